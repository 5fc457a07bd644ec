/*
 * engine/ring/wheel.h - one hashed timer wheel per worker thread.
 *
 * Timers are embedded in their owner (struct timer inside struct phone) and
 * carry an absolute deadline in clock_us() microseconds. The wheel turns in
 * WHEEL_TICK_US steps; a timer is filed under the first tick that starts at
 * or after its deadline, so it fires at the first wheel_run at or after its
 * deadline: never early, at most one tick late (plus the loop's own
 * latency). Adding, re-arming and removing are O(1); no allocation.
 */
#ifndef ENGINE_WHEEL_H
#define ENGINE_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define WHEEL_TICK_US 100u
#define WHEEL_SLOTS 4096u /* one turn = 409.6 ms */

struct timer;
typedef void (*timer_fn)(struct timer *t, uint64_t now_us);

struct timer {
	struct timer *next;   /* slot list; NULL when not armed */
	struct timer **pprev; /* NULL when not armed */
	uint64_t deadline_us; /* as asked; never changed by the wheel */
	uint32_t slot;        /* where it is filed */
	timer_fn fn;
};

struct wheel {
	struct timer *slot[WHEEL_SLOTS];
	uint64_t bits[WHEEL_SLOTS / 64]; /* which slots are non-empty */
	uint64_t tick;                   /* next tick to process */
	uint32_t armed;                  /* timers in the wheel */
};

void wheel_init(struct wheel *w, uint64_t now_us);
void timer_init(struct timer *t, timer_fn fn);
static inline bool timer_armed(const struct timer *t)
{
	return t->pprev != 0;
}
/* Arm (or re-arm) t to fire at deadline_us; a past deadline fires at the next wheel_run. */
void wheel_add(struct wheel *w, struct timer *t, uint64_t deadline_us);
/* Disarm t; harmless if it is not armed. */
void wheel_del(struct wheel *w, struct timer *t);
/*
 * Fire every timer due at now_us; callbacks may add and delete any timer.
 * A timer a callback arms for a due time fires at the next run (or later in
 * this one if it spans several ticks), never twice in one slot visit.
 * Returns the fired count.
 */
unsigned wheel_run(struct wheel *w, uint64_t now_us);
/* Microseconds until the earliest deadline (0 if one is due, UINT64_MAX if none). */
uint64_t wheel_timeout(const struct wheel *w, uint64_t now_us);

#endif
