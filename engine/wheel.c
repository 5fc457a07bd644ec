/*
 * engine/wheel.c - hashed timer wheel (see wheel.h).
 *
 * A timer lives in the slot of its deadline's tick modulo WHEEL_SLOTS. Each
 * turn visits the slots between the last processed tick and now; a timer
 * whose deadline is still in the future (a later round) stays where it is.
 * A bitmap of non-empty slots lets wheel_timeout() find the next slot to
 * visit without walking empty ones.
 */
#include "engine/wheel.h"

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
	unsigned s = (unsigned)(tick_of(t->deadline_us) % WHEEL_SLOTS);

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
	wheel_del(w, t);
	/* A deadline in the past goes in the current tick's slot. */
	if (tick_of(deadline_us) < w->tick)
		deadline_us = w->tick * WHEEL_TICK_US;
	t->deadline_us = deadline_us;

	unsigned s = (unsigned)(tick_of(deadline_us) % WHEEL_SLOTS);

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
 * callbacks can re-arm into the same slot without being fired twice this turn.
 */
static unsigned run_slot(struct wheel *w, unsigned s, uint64_t now_us)
{
	struct timer *list = w->slot[s], *t;
	struct timer *keep = 0;
	unsigned fired = 0;

	w->slot[s] = 0;
	w->bits[s / 64] &= ~(1ull << (s % 64));
	while ((t = list)) {
		list = t->next;
		if (t->deadline_us > now_us) {
			/* a later round: keep it in this slot */
			t->next = keep;
			keep = t;
			continue;
		}
		t->next = 0;
		t->pprev = 0;
		w->armed--;
		fired++;
		t->fn(t, now_us);
	}
	while ((t = keep)) {
		keep = t->next;
		t->next = w->slot[s];
		if (t->next)
			t->next->pprev = &t->next;
		t->pprev = &w->slot[s];
		w->slot[s] = t;
		slot_mark(w, s);
	}
	return fired;
}

unsigned wheel_run(struct wheel *w, uint64_t now_us)
{
	uint64_t now_tick = tick_of(now_us);
	unsigned fired = 0;

	/* More than a turn behind: every slot is due once. */
	uint64_t k = w->tick;
	if (now_tick >= k && now_tick - k >= WHEEL_SLOTS)
		k = now_tick - WHEEL_SLOTS + 1;
	for (; k <= now_tick; k++) {
		unsigned s = (unsigned)(k % WHEEL_SLOTS);

		/* timers armed by callbacks for "now" land in the next tick's slot */
		w->tick = k + 1;
		if (w->bits[s / 64] & (1ull << (s % 64)))
			fired += run_slot(w, s, now_us);
	}
	return fired;
}

uint64_t wheel_timeout(const struct wheel *w, uint64_t now_us)
{
	const unsigned words = WHEEL_SLOTS / 64;

	if (!w->armed)
		return UINT64_MAX;
	if (tick_of(now_us) >= w->tick)
		return 0; /* ticks not yet processed */
	unsigned start = (unsigned)(w->tick % WHEEL_SLOTS);
	unsigned word = start / 64;
	uint64_t m = w->bits[word] & (~0ull << (start % 64));

	for (unsigned i = 0; i <= words; i++) {
		if (m) {
			unsigned s = word * 64 + (unsigned)__builtin_ctzll(m);
			unsigned dist = (s + WHEEL_SLOTS - start) % WHEEL_SLOTS;
			uint64_t at = (w->tick + dist) * WHEEL_TICK_US;

			return at > now_us ? at - now_us : 0;
		}
		word = (word + 1) % words;
		m = w->bits[word];
	}
	return WHEEL_TICK_US; /* not reached while armed > 0 */
}
