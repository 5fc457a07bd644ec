/*
 * tests/unit/test_pace.c - the ring loop's sleep (engine/ring/pace.h), as pure functions.
 *
 * pace_plan: a timer due now means no sleep at all, and no minimum wait; a
 * quiet loop sleeps exactly until its next timer (at most PACE_MAX_WAIT_US,
 * PACE_STOPPING_WAIT_US once stopping) and the first completion wakes it; a
 * busy loop waits at least PACE_MIN_WAIT_US for a timer due sooner (the
 * bound on how late batching makes it), a later one exactly until it is due,
 * and with the kernel's minimum wait takes PACE_BATCH completions within
 * PACE_MIN_WAIT_US. pace_count: busy once a whole window had
 * PACE_BUSY_EVENTS events, quiet again after a window with fewer, or after a
 * silence longer than a window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/ring/pace.h"

static void check(uint64_t next, bool busy, bool stopping, bool kmw, uint64_t timeout,
		  uint32_t min_wait, uint32_t nr)
{
	struct pace p = pace_plan(next, busy, stopping, kmw);

	if (p.timeout_us != timeout || p.min_wait_us != min_wait || p.wait_nr != nr)
		fail_msg("next timer %llu us, busy %d, stopping %d, kernel min wait %d: expected "
			 "timeout %llu, min wait %u, wait_nr %u; got %llu, %u, %u",
			 (unsigned long long)next, busy, stopping, kmw, (unsigned long long)timeout,
			 min_wait, nr, (unsigned long long)p.timeout_us, p.min_wait_us, p.wait_nr);
}

static void test_due_now(void **state)
{
	(void)state;
	check(0, true, false, true, 0, 0, 1);
	check(0, false, false, false, 0, 0, 1);
	check(0, true, true, true, 0, 0, 1);
}

static void test_quiet_is_exact(void **state)
{
	(void)state;
	check(1, false, false, true, 1, 0, 1);
	check(100, false, false, true, 100, 0, 1);
	check(20000, false, false, true, 20000, 0, 1);
	check(UINT64_MAX, false, false, true, PACE_MAX_WAIT_US, 0, 1);
	check(UINT64_MAX, false, true, true, PACE_STOPPING_WAIT_US, 0, 1);
}

static void test_busy_is_batched(void **state)
{
	(void)state;
	check(1, true, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(100, true, false, false, PACE_MIN_WAIT_US, 0, 1);
	check(PACE_MIN_WAIT_US - 1, true, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(PACE_MIN_WAIT_US, true, false, true, PACE_MIN_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	/* later timers are waited for exactly */
	check(20000, true, false, true, 20000, PACE_MIN_WAIT_US, PACE_BATCH);
	check(20000, true, false, false, 20000, 0, 1);
	check(UINT64_MAX, true, false, true, PACE_MAX_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
	check(5000000, true, false, false, PACE_MAX_WAIT_US, 0, 1);
	check(UINT64_MAX, true, true, true, PACE_STOPPING_WAIT_US, PACE_MIN_WAIT_US, PACE_BATCH);
}

static void test_load(void **state)
{
	struct pace_load l = {.window_start = 1000000};
	uint64_t t = 1000000;

	(void)state;
	/* a window with one event short of busy: quiet */
	pace_count(&l, t, PACE_BUSY_EVENTS - 1);
	pace_count(&l, t + PACE_WINDOW_US, 0);
	assert_false(l.busy);
	/* a full window: busy from its end, through the next window */
	t += PACE_WINDOW_US;
	for (uint32_t i = 0; i < PACE_BUSY_EVENTS; i++)
		pace_count(&l, t + i, 1);
	assert_false(l.busy); /* the window is not over yet */
	pace_count(&l, t + PACE_WINDOW_US, 3);
	assert_true(l.busy);
	/* the next window had 3: quiet at its end */
	t += PACE_WINDOW_US;
	pace_count(&l, t + PACE_WINDOW_US + 1, 0);
	assert_false(l.busy);
	/* busy again, then a silence of more than a window: quiet */
	t += PACE_WINDOW_US + 1;
	pace_count(&l, t, PACE_BUSY_EVENTS * 2);
	pace_count(&l, t + 3 * PACE_WINDOW_US, 1);
	assert_false(l.busy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_due_now),
	    cmocka_unit_test(test_quiet_is_exact),
	    cmocka_unit_test(test_busy_is_batched),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
