/*
 * engine/stats/recorder.h - a worker's interval histograms, handed over without a lock.
 *
 * One thread records (a worker, into one histogram per metric); another (the
 * timeline's, through swarm_interval) takes what was recorded so far and
 * leaves an empty set in its place. The recording side never locks: it marks
 * the stretches of code in which it may record (a pass of its loop) by
 * counting them in an epoch, and the taking side, once the new set is in
 * place, waits until every stretch begun before the swap has ended: after
 * that nobody writes into the old set. This is the writer-reader phaser of
 * HdrHistogram's interval recorder; a writer pays two atomic additions per
 * stretch, nothing per sample.
 *
 * Any number of writers may enter at once (each with its own ticket); takers
 * are serialised by a mutex of their own, which no writer ever touches.
 */
#ifndef ENGINE_RECORDER_H
#define ENGINE_RECORDER_H

#include <pthread.h>
#include <stdint.h>

#include "engine/stats/stats.h"

struct hist;

/* What a worker records into during an interval: one histogram per metric. */
struct hist_set {
	struct hist *h[M__COUNT]; /* owned */
};

/* A set of empty histograms, owned by the caller; NULL if out of memory. */
struct hist_set *hist_set_new(void);
/* Frees s and its histograms; NULL is allowed. */
void hist_set_free(struct hist_set *s);

struct recorder {
	struct hist_set *active; /* borrowed: what writers record into (swapped by takers) */
	int64_t start;           /* stretches entered: from 0 in an even phase, INT64_MIN in an odd */
	int64_t end[2];          /* stretches left, of the even and of the odd phase */
	pthread_mutex_t take_lock; /* one taker at a time */
};

/* A recorder whose writers record into s (borrowed; the caller keeps ownership). */
void recorder_init(struct recorder *r, struct hist_set *s);
/* Returns the set it holds now (for its owner to free). No writer may be inside. */
struct hist_set *recorder_fini(struct recorder *r);

/*
 * Writer: begin a stretch of recording. Returns the set to record into,
 * valid until the matching recorder_leave(); *ticket is for that call.
 * Wait-free.
 */
struct hist_set *recorder_enter(struct recorder *r, int64_t *ticket);
/* Writer: end the stretch recorder_enter() began (its ticket). Wait-free. */
void recorder_leave(struct recorder *r, int64_t ticket);

/*
 * Taker: writers record into s from now on; returns the set they recorded
 * into until now, once no writer can be in it any more (it waits for the
 * stretches under way to end, yielding the processor meanwhile). Every value
 * recorded is in exactly one of the sets returned over time, or in the
 * recorder's current one.
 */
struct hist_set *recorder_swap(struct recorder *r, struct hist_set *s);

#endif
