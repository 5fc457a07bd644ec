/*
 * engine/stats/recorder.c - interval histograms swapped with an epoch (recorder.h).
 *
 * The phases: in an even phase writers enter with tickets 0, 1, 2, ... and
 * count their leaving in end[0]; in an odd phase tickets run up from
 * INT64_MIN and leaving counts in end[1]. A swap installs the new set, then
 * starts the other phase (its end counter first set to the phase's first
 * ticket) by exchanging start, which returns how far the old phase got: the
 * old phase is over once its end counter has reached that value. All the
 * epoch operations are sequentially consistent, so a writer that entered
 * after the exchange reads the new set, and one that entered before is
 * waited for.
 */
#include "engine/stats/recorder.h"

#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/stats/hist.h"

struct hist_set *hist_set_new(void)
{
	struct hist_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	for (int m = 0; m < M__COUNT; m++) {
		s->h[m] = hist_new();
		if (!s->h[m]) {
			hist_set_free(s);
			return NULL;
		}
	}
	return s;
}

void hist_set_free(struct hist_set *s)
{
	if (!s)
		return;
	for (int m = 0; m < M__COUNT; m++)
		hist_free(s->h[m]);
	free(s);
}

void recorder_init(struct recorder *r, struct hist_set *s)
{
	r->active = s;
	r->start = 0;
	r->end[0] = 0;
	r->end[1] = INT64_MIN;
	pthread_mutex_init(&r->take_lock, NULL);
}

struct hist_set *recorder_fini(struct recorder *r)
{
	struct hist_set *s = r->active;

	pthread_mutex_destroy(&r->take_lock);
	r->active = NULL;
	return s;
}

struct hist_set *recorder_enter(struct recorder *r, int64_t *ticket)
{
	*ticket = __atomic_fetch_add(&r->start, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&r->active, __ATOMIC_SEQ_CST);
}

void recorder_leave(struct recorder *r, int64_t ticket)
{
	/* release: what the stretch recorded is seen by the taker that waited for it */
	__atomic_fetch_add(&r->end[ticket < 0], 1, __ATOMIC_RELEASE);
}

struct hist_set *recorder_swap(struct recorder *r, struct hist_set *s)
{
	pthread_mutex_lock(&r->take_lock);
	struct hist_set *old = __atomic_exchange_n(&r->active, s, __ATOMIC_SEQ_CST);
	bool next_odd = __atomic_load_n(&r->start, __ATOMIC_SEQ_CST) >= 0;
	int64_t first = next_odd ? INT64_MIN : 0;

	__atomic_store_n(&r->end[next_odd], first, __ATOMIC_SEQ_CST);
	int64_t reached = __atomic_exchange_n(&r->start, first, __ATOMIC_SEQ_CST);

	/* the old phase's writers: their stretches are short (one pass of a loop) */
	while (__atomic_load_n(&r->end[!next_odd], __ATOMIC_ACQUIRE) != reached)
		sched_yield();
	pthread_mutex_unlock(&r->take_lock);
	return old;
}
