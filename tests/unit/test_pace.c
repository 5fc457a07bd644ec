/*
 * tests/unit/test_pace.c - the ring loop's sleep (engine/ring/pace.h), as a pure function.
 *
 * Checked: a timer due now means no sleep at all, and no minimum wait; a
 * timer due sooner than PACE_MIN_WAIT_US is waited for PACE_MIN_WAIT_US (the
 * bound on how late batching makes it), a later one exactly until it is due;
 * no timer, or a far one, sleeps at most PACE_MAX_WAIT_US (and
 * PACE_STOPPING_WAIT_US once stopping); with the kernel's minimum wait the
 * sleep takes PACE_BATCH completions within PACE_MIN_WAIT_US, without it the
 * first completion ends it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/ring/pace.h"

static void check(uint64_t next, bool stopping, bool kmw, uint64_t timeout, uint32_t min_wait,
		  uint32_t nr)
{
	struct pace p = pace_plan(next, stopping, kmw);

	if (p.timeout_us != timeout || p.min_wait_us != min_wait || p.wait_nr != nr)
		fail_msg("next timer %llu us, stopping %d, kernel min wait %d: expected timeout %llu, "
			 "min wait %u, wait_nr %u; got %llu, %u, %u",
			 (unsigned long long)next, stopping, kmw, (unsigned long long)timeout, min_wait,
			 nr, (unsigned long long)p.timeout_us, p.min_wait_us, p.wait_nr);
}

static void test_due_now(void **state)
{
	(void)state;
	check(0, false, true, 0, 0, 1);
	check(0, false, false, 0, 0, 1);
	check(0, true, true, 0, 0, 1);
}

static void test_soon_is_batched(void **state)
{
	(void)state;
	check(1, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(100, false, false, PACE_MIN_WAIT_US, 0, 1);
	check(PACE_MIN_WAIT_US - 1, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(PACE_MIN_WAIT_US, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	/* later timers are waited for exactly */
	check(20000, false, true, 20000, PACE_MIN_WAIT_US, PACE_BATCH);
	check(20000, false, false, 20000, 0, 1);
}

static void test_bounds(void **state)
{
	(void)state;
	check(UINT64_MAX, false, true, PACE_MAX_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(5000000, false, false, PACE_MAX_WAIT_US, 0, 1);
	check(UINT64_MAX, true, true, PACE_STOPPING_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(50000, true, false, 50000, 0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_due_now),
	    cmocka_unit_test(test_soon_is_batched),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
