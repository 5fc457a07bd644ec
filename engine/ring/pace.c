/*
 * engine/ring/pace.c - how long a ring's loop sleeps, and what wakes it early (pace.h).
 */
#include "engine/ring/pace.h"

struct pace pace_plan(uint64_t next_timer_us, bool stopping, bool kernel_min_wait)
{
	struct pace p = {.timeout_us = next_timer_us, .min_wait_us = 0, .wait_nr = 1};

	if (stopping && p.timeout_us > PACE_STOPPING_WAIT_US)
		p.timeout_us = PACE_STOPPING_WAIT_US; /* keep checking whether everyone is done */
	if (p.timeout_us > PACE_MAX_WAIT_US)
		p.timeout_us = PACE_MAX_WAIT_US;
	if (!p.timeout_us)
		return p; /* a timer is due: no sleep */
	if (p.timeout_us < PACE_MIN_WAIT_US)
		p.timeout_us = PACE_MIN_WAIT_US;
	if (kernel_min_wait) {
		p.min_wait_us = PACE_MIN_WAIT_US;
		p.wait_nr = PACE_BATCH;
	}
	return p;
}
