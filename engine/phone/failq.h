/*
 * engine/phone/failq.h - failure records on their way from a worker to the main thread.
 *
 * Each worker owns one bounded queue: the worker alone pushes, the main
 * thread alone pops (a single-producer single-consumer ring; no locks, no
 * allocation after failq_init). The main thread drains every queue each
 * time its loop wakes and streams the records to failures.csv, so a
 * days-long run with millions of failures keeps a fixed memory. A record
 * that finds its queue full is dropped and counted, never waited for.
 */
#ifndef ENGINE_FAILQ_H
#define ENGINE_FAILQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/phone/failure.h"

#define FAILQ_CAP 8192u /* records per worker: 2.8 MiB of struct failure_rec */

struct failq {
	struct failure_rec *rec; /* owned: cap slots */
	uint32_t cap;            /* a power of two */
	uint64_t head;           /* records popped so far; written by the consumer only */
	uint64_t tail;           /* records pushed so far; written by the producer only */
	uint64_t lost;           /* records dropped on a full queue; producer writes */
};

/* An empty queue of cap records (rounded up to a power of two, at least 2). 0 or -ENOMEM. */
int failq_init(struct failq *q, uint32_t cap);
void failq_free(struct failq *q);
/* Producer: queue a copy of *r; false (and counted as lost) if the queue is full. */
bool failq_push(struct failq *q, const struct failure_rec *r);
/* Consumer: move up to max records, oldest first, into out. Returns how many. */
size_t failq_pop(struct failq *q, struct failure_rec *out, size_t max);
/* Records dropped so far because the queue was full (any thread). */
uint64_t failq_lost(const struct failq *q);

#endif
