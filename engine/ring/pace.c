/*
 * engine/ring/pace.c - how long a ring's loop sleeps, and what wakes it early (pace.h).
 */
#include "engine/ring/pace.h"

void pace_count(struct pace_load *l, uint64_t now, uint32_t n)
{
	if (now - l->window_start >= PACE_WINDOW_US) {
		/* the window ended: it decides, unless it was longer ago than one window */
		l->busy = l->events >= PACE_BUSY_EVENTS && now - l->window_start < 2 * PACE_WINDOW_US;
		l->window_start = now;
		l->events = 0;
	}
	l->events += n;
}

struct pace pace_plan(uint64_t next_timer_us, bool busy, bool stopping, bool kernel_min_wait)
{
	struct pace p = {.timeout_us = next_timer_us, .min_wait_us = 0, .wait_nr = 1};

	if (stopping && p.timeout_us > PACE_STOPPING_WAIT_US)
		p.timeout_us = PACE_STOPPING_WAIT_US; /* keep checking whether everyone is done */
	if (p.timeout_us > PACE_MAX_WAIT_US)
		p.timeout_us = PACE_MAX_WAIT_US;
	if (!p.timeout_us || !busy)
		return p; /* a timer is due: no sleep; a quiet loop: no batching */
	if (p.timeout_us < PACE_MIN_WAIT_US)
		p.timeout_us = PACE_MIN_WAIT_US;
	if (kernel_min_wait) {
		p.min_wait_us = PACE_MIN_WAIT_US;
		p.wait_nr = PACE_BATCH;
	}
	return p;
}
