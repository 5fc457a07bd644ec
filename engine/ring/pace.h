/*
 * engine/ring/pace.h - how long a ring's loop sleeps, and what wakes it early.
 *
 * A pass of the loop (fire due timers, submit, handle completions) costs a
 * system call and the pass's own overhead whatever it carries. Phones in
 * calls send every 20 ms each, out of step with each other, and each
 * datagram sent or received would otherwise make a pass of its own. So a
 * busy loop (PACE_BUSY_EVENTS timers and completions or more in the last
 * PACE_WINDOW_US) with nothing due sleeps at least PACE_MIN_WAIT_US: the
 * timers due meanwhile fire together at its end (a timer is at most that
 * much later than its deadline, on top of the wheel's tick), and
 * completions arriving meanwhile are taken together, by the kernel's
 * minimum wait (IORING_FEAT_MIN_TIMEOUT, Linux 6.12) where it has one: the
 * kernel then returns after PACE_MIN_WAIT_US with what has completed, at
 * once when PACE_BATCH have, or at the first completion after that. Without
 * it a completion ends the sleep at once, as before. A quiet loop sleeps
 * exactly until its next timer or completion, as the few phones of a
 * timing test need; a timer already due never waits.
 */
#ifndef ENGINE_RING_PACE_H
#define ENGINE_RING_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define PACE_MIN_WAIT_US 250u /* the least a loop with nothing due sleeps, microseconds */
#define PACE_BATCH 64u        /* completions that end the minimum wait early */
#define PACE_MAX_WAIT_US 1000000u    /* the most: the loop looks at the stop flag that often */
#define PACE_STOPPING_WAIT_US 100000u /* the most once stopping: are all phones done? */
#define PACE_WINDOW_US 10000u   /* how long a window of the loop's load lasts */
#define PACE_BUSY_EVENTS 40u    /* events in a window that make the loop busy (4,000 a second) */

/* The loop's load: timers fired and completions handled, by window. */
struct pace_load {
	uint64_t window_start; /* clock_us() */
	uint32_t events;       /* in the window so far */
	bool busy;             /* the last whole window had PACE_BUSY_EVENTS or more */
};

/*
 * Count n events at now: a window that has ended decides busy (a window
 * with no pass in it, or more than one window ago, counts as quiet).
 */
void pace_count(struct pace_load *l, uint64_t now, uint32_t n);

/* One sleep of the loop. */
struct pace {
	uint64_t timeout_us;  /* return by then at the latest */
	uint32_t min_wait_us; /* the kernel's minimum wait; 0: return at the first completion */
	uint32_t wait_nr;     /* completions that end the sleep (before min_wait_us ends: all of them) */
};

/*
 * The sleep of a loop whose next timer is due in next_timer_us (0: one is
 * due now; UINT64_MAX: none), busy or not (pace_load), stopping or not, on
 * a kernel with a minimum wait (kernel_min_wait) or without.
 */
struct pace pace_plan(uint64_t next_timer_us, bool busy, bool stopping, bool kernel_min_wait);

#endif
