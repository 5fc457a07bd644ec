/*
 * tests/unit/test_windows.c - loadgen/timeline_windows.c: which intervals
 * the whole run's up_min is taken over.
 *
 * The intervals are closed by hand, as timeline.c closes them (ival_start
 * the interval's beginning, at_end set for the one "end" closes, ended
 * after it), with the tunnel counts at each close chosen so that the
 * expected minimum is plain: an interval cut 0.1 s after the last arrival
 * began before it and catches phones still on their way up, so it does not
 * count; intervals begun after it do; the one closed at "end" counts even
 * when it began before the last arrival (a run too short for a whole
 * interval after its ramp); nothing after "end" (the logout) counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "loadgen/timeline_internal.h"

#define S(x) ((uint64_t)((x) * 1e6)) /* seconds to the clock's microseconds */

static struct timeline *new_timeline(double ramp_end_s)
{
	static const struct timeline_spec no_expectations;
	struct timeline *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->spec = &no_expectations;
	assert_int_equal(timeline_windows_new(t), 0);
	t->t_ramp_end = S(ramp_end_s);
	return t;
}

/* Close the interval [ival_start, now) with up tunnels up at its end. */
static void close_at(struct timeline *t, double now_s, uint64_t up)
{
	struct stats s = {.up_now = up};

	timeline_windows_take(t, S(now_s), &s);
	t->ival_start = S(now_s);
}

static void done(struct timeline *t)
{
	timeline_windows_free(t);
	free(t);
}

static void end_at(struct timeline *t, double now_s, uint64_t up)
{
	t->win.at_end = true;
	close_at(t, now_s, up);
	t->ended = true;
}

/* Last arrival at 20.0 s, 1 s intervals cut at 0.098 past each second. */
static void test_ramp_edge_not_counted(void **state)
{
	(void)state;
	struct timeline *t = new_timeline(20.0);

	t->ival_start = S(18.098);
	close_at(t, 19.098, 900);  /* before the last arrival */
	close_at(t, 20.098, 962);  /* began 19.098: 38 still on their way */
	close_at(t, 21.098, 1000); /* began 20.098: counts */
	close_at(t, 22.098, 1000);
	end_at(t, 30.0, 1000);
	close_at(t, 31.0, 0); /* the logout */
	assert_int_equal(t->win.up_min_after_ramp, 1000);
	done(t);
}

/* A drop after the ramp is what up_min is for. */
static void test_drop_counted(void **state)
{
	(void)state;
	struct timeline *t = new_timeline(20.0);

	t->ival_start = S(19.5);
	close_at(t, 20.5, 990);
	close_at(t, 21.5, 1000);
	close_at(t, 22.5, 997);
	close_at(t, 23.5, 1000);
	end_at(t, 24.0, 1000);
	assert_int_equal(t->win.up_min_after_ramp, 997);
	done(t);
}

/* Last arrival at 2.5 s, "end" at 3 s: the end's interval, begun at 2 s, is taken. */
static void test_short_run_end_taken(void **state)
{
	(void)state;
	struct timeline *t = new_timeline(2.5);

	close_at(t, 1.0, 2);
	close_at(t, 2.0, 4);
	end_at(t, 3.0, 5);
	close_at(t, 3.4, 0);
	assert_int_equal(t->win.up_min_after_ramp, 5);
	done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ramp_edge_not_counted),
	    cmocka_unit_test(test_drop_counted),
	    cmocka_unit_test(test_short_run_end_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
