/*
 * engine/ring/wheel.c - hashed timer wheel (see wheel.h).
 *
 * A timer lives in the slot of its deadline's tick modulo WHEEL_SLOTS. Each
 * turn visits the slots from the last turn's tick to now's, now's included
 * and visited again next turn since part of that tick may be ahead; a timer
 * whose deadline is still in the future (later in the tick, or a later
 * round) stays where it is. A bitmap of non-empty slots lets wheel_timeout()
 * find the earliest deadline without walking empty slots.
 */
#include "engine/ring/wheel.h"

#include <string.h>

static inline uint64_t tick_of(uint64_t us)
{
	return us / WHEEL_TICK_US;
}

void wheel_init(struct wheel *w, uint64_t now_us)
{
	memset(w, 0, sizeof(*w));
	w->tick = tick_of(now_us);
}

void timer_init(struct timer *t, timer_fn fn)
{
	t->next = 0;
	t->pprev = 0;
	t->deadline_us = 0;
	t->fn = fn;
}

static void slot_mark(struct wheel *w, unsigned s)
{
	w->bits[s / 64] |= 1ull << (s % 64);
}

static void slot_clear_if_empty(struct wheel *w, unsigned s)
{
	if (!w->slot[s])
		w->bits[s / 64] &= ~(1ull << (s % 64));
}

void wheel_del(struct wheel *w, struct timer *t)
{
	if (!t->pprev)
		return;
	unsigned s = t->slot;

	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = 0;
	t->pprev = 0;
	w->armed--;
	slot_clear_if_empty(w, s);
}

void wheel_add(struct wheel *w, struct timer *t, uint64_t deadline_us)
{
	uint64_t tick = tick_of(deadline_us);

	/*
	 * Filed under the tick holding the deadline (not the next one): the run
	 * of that tick keeps it until it is due and the next run revisits the
	 * tick, so it fires at the first run at or after the deadline, and
	 * wheel_timeout's "deadline - now" is never an instant too early.
	 */
	wheel_del(w, t);
	/* a deadline already passed goes in the next tick to process */
	if (tick < w->tick)
		tick = w->tick;
	t->deadline_us = deadline_us;

	unsigned s = (unsigned)(tick % WHEEL_SLOTS);

	t->slot = s;
	t->next = w->slot[s];
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &w->slot[s];
	w->slot[s] = t;
	w->armed++;
	slot_mark(w, s);
}

/*
 * Fire the due timers of one slot. The slot's list is detached first so that
 * callbacks can re-arm into the same slot without being fired twice this turn;
 * its head is relinked to a local so that callbacks can also disarm timers of
 * the detached list. Timers not yet due (later this tick, or a later round)
 * go back into the slot.
 */
static unsigned run_slot(struct wheel *w, unsigned s, uint64_t now_us)
{
	struct timer *list = w->slot[s], *t;
	unsigned fired = 0;

	w->slot[s] = 0;
	if (list)
		list->pprev = &list;
	while ((t = list)) {
		list = t->next;
		if (list)
			list->pprev = &list;
		if (t->deadline_us > now_us) {
			t->next = w->slot[s];
			if (t->next)
				t->next->pprev = &t->next;
			t->pprev = &w->slot[s];
			w->slot[s] = t;
			continue;
		}
		t->next = 0;
		t->pprev = 0;
		w->armed--;
		fired++;
		t->fn(t, now_us);
	}
	if (w->slot[s])
		slot_mark(w, s);
	else
		slot_clear_if_empty(w, s);
	return fired;
}

/*
 * Visit the slots of the ticks from the last run's up to now's (each slot at
 * most once when more than a turn has passed). The current tick stays
 * unprocessed-for-good: w->tick ends at now's tick, so a timer due later in
 * this tick, or re-armed for "now" by a callback, is found by the next run.
 * w->tick is set to now's tick first so that a past deadline armed by a
 * callback lands in now's slot, which this run or the next one visits.
 */
unsigned wheel_run(struct wheel *w, uint64_t now_us)
{
	uint64_t now_tick = tick_of(now_us);
	uint64_t k = w->tick;
	unsigned fired = 0;

	if (now_tick < k)
		return 0; /* the clock went back: nothing can be due */
	if (now_tick - k >= WHEEL_SLOTS)
		k = now_tick - WHEEL_SLOTS + 1;
	w->tick = now_tick;
	for (; k <= now_tick; k++) {
		unsigned s = (unsigned)(k % WHEEL_SLOTS);

		if (w->bits[s / 64] & (1ull << (s % 64)))
			fired += run_slot(w, s, now_us);
	}
	return fired;
}

/*
 * Every armed timer's tick is at or after w->tick, so a slot's timers of the
 * current round (tick == w->tick + distance) are earlier than any timer of a
 * later slot, and those of later rounds later than every current-round one.
 * Scan slots in order keeping the earliest deadline seen; stop at the first
 * slot whose earliest timer is of the current round.
 */
uint64_t wheel_timeout(const struct wheel *w, uint64_t now_us)
{
	const unsigned words = WHEEL_SLOTS / 64;
	uint64_t best = UINT64_MAX;

	if (!w->armed)
		return UINT64_MAX;
	unsigned start = (unsigned)(w->tick % WHEEL_SLOTS);
	unsigned word = start / 64;
	uint64_t m = w->bits[word] & (~0ull << (start % 64));

	for (unsigned i = 0; i <= words; i++) {
		while (m) {
			unsigned s = word * 64 + (unsigned)__builtin_ctzll(m);
			unsigned dist = (s + WHEEL_SLOTS - start) % WHEEL_SLOTS;

			m &= m - 1;
			for (const struct timer *t = w->slot[s]; t; t = t->next)
				if (t->deadline_us < best)
					best = t->deadline_us;
			if (tick_of(best) <= w->tick + dist)
				goto out;
		}
		word = (word + 1) % words;
		m = w->bits[word];
		if (i + 1 == words) /* back at the start word: only the slots before start */
			m &= (start % 64) ? ~(~0ull << (start % 64)) : 0;
	}
out:
	if (best == UINT64_MAX)
		return WHEEL_TICK_US; /* not reached while armed > 0 */
	return best > now_us ? best - now_us : 0;
}
