/*
 * engine/phone/failq.c - the single-producer single-consumer ring of failure records (failq.h).
 *
 * head and tail count records ever popped and pushed; their difference is
 * the fill. The producer publishes a record by storing tail with release
 * after writing the slot, the consumer frees slots by storing head with
 * release after copying them out; each loads the other's counter with
 * acquire, so a slot is never read before it is written nor overwritten
 * before it is read.
 */
#include "engine/phone/failq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int failq_init(struct failq *q, uint32_t cap)
{
	uint32_t c = 2;

	memset(q, 0, sizeof(*q));
	while (c < cap && c < (1u << 30))
		c <<= 1;
	q->rec = calloc(c, sizeof(*q->rec));
	if (!q->rec)
		return -ENOMEM;
	q->cap = c;
	return 0;
}

void failq_free(struct failq *q)
{
	free(q->rec);
	q->rec = NULL;
	q->cap = 0;
}

bool failq_push(struct failq *q, const struct failure_rec *r)
{
	uint64_t tail = q->tail; /* ours alone */
	uint64_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);

	if (!q->rec || tail - head >= q->cap) {
		__atomic_store_n(&q->lost, q->lost + 1, __ATOMIC_RELAXED);
		return false;
	}
	q->rec[tail & (q->cap - 1)] = *r;
	__atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

size_t failq_pop(struct failq *q, struct failure_rec *out, size_t max)
{
	uint64_t head = q->head; /* ours alone */
	uint64_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
	size_t n = 0;

	while (head + n < tail && n < max) {
		out[n] = q->rec[(head + n) & (q->cap - 1)];
		n++;
	}
	__atomic_store_n(&q->head, head + n, __ATOMIC_RELEASE);
	return n;
}

uint64_t failq_lost(const struct failq *q)
{
	return __atomic_load_n(&q->lost, __ATOMIC_RELAXED);
}
