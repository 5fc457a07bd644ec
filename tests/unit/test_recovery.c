/*
 * tests/unit/test_recovery.c - loadgen/timeline_recovery.c: what followed an
 * event, tick by tick.
 *
 * The counters are fed by hand, as swarm_stats() would give them at each
 * 0.1 s tick, and the expected figures are worked out here from those
 * counters: a fleet that drops and comes back (back when as many are up
 * and nobody is still lost, DTLS later; the storm second by second and its
 * peak); a fleet refilled by arrivals while a phone is still lost (not
 * back); an event nothing followed (none up); one never hit (0 s, its before
 * as it fired); one not back by "end" (how many short); and one that hit
 * only after arrivals had raised the tunnels up (its before is the most up
 * until it hit, so phones that arrived meanwhile must come back too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "loadgen/timeline_internal.h"

#define S(x) ((uint64_t)((x) * 1e6)) /* seconds to the clock's microseconds */

static struct timeline *new_timeline(void)
{
	struct timeline *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->ev.n_fired = 1;
	return t;
}

static void done(struct timeline *t)
{
	timeline_recovery_free(t);
	free(t);
}

/* 10 up (8 with DTLS) at 100 s; all drop at 100.2; tries, then all back with DTLS later. */
static void test_drop_and_back(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {.up_now = 10, .dtls_now = 8};
	const struct event_recovery *rec = &t->ev.ev[0].rec;

	timeline_recovery_fire(t, 0, S(100), &s);
	assert_true(rec->measured);
	assert_int_equal(rec->before, 10);
	assert_int_equal(rec->dtls_before, 8);

	s.up_now = 0, s.dtls_now = 0, s.lost_now = 10, s.tunnels_dropped = 10;
	timeline_recovery_step(t, S(100.2), &s);
	/* second 1: 10 attempts begun, 4 fail */
	s.reconnect_attempts = 10, s.reconnect_failures = 4;
	timeline_recovery_step(t, S(101.5), &s);
	/* second 2: 6 back, 4 more attempts */
	s.reconnect_attempts = 14, s.reconnects = 6, s.up_now = 6, s.lost_now = 4;
	timeline_recovery_step(t, S(102.1), &s);
	assert_true(rec->back_s < 0);
	/* second 3: the last 4 back: 10 up, none lost; DTLS 7 of 8 */
	s.reconnects = 10, s.up_now = 10, s.lost_now = 0, s.dtls_now = 7;
	timeline_recovery_step(t, S(103.3), &s);
	assert_true(rec->back_s > 3.29 && rec->back_s < 3.31);
	assert_true(rec->dtls_back_s < 0);
	s.dtls_now = 8;
	timeline_recovery_step(t, S(103.4), &s);
	assert_true(rec->dtls_back_s > 3.39 && rec->dtls_back_s < 3.41);
	/* no longer followed: later counters change nothing */
	s.reconnect_attempts = 99;
	timeline_recovery_step(t, S(105), &s);
	timeline_recovery_end(t, S(106), &s);

	assert_int_equal(rec->lowest, 0);
	assert_int_equal(rec->dropped, 10);
	assert_int_equal(rec->attempts, 14);
	assert_int_equal(rec->reconnects, 10);
	assert_int_equal(rec->failures, 4);
	assert_int_equal(rec->short_at_end, 0);
	assert_int_equal(rec->n_per_s, 4);
	static const uint64_t want[4][3] = {{0, 0, 0}, {10, 0, 4}, {4, 6, 0}, {0, 4, 0}};
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(rec->per_s[i][k], want[i][k]);
	assert_int_equal(rec->peak_attempts, 10);
	assert_true(rec->peak_at_s == 1);
	done(t);
}

/* As many up as before, thanks to arrivals, while one phone is still lost: not back. */
static void test_refilled_not_back(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {.up_now = 5};
	const struct event_recovery *rec = &t->ev.ev[0].rec;

	timeline_recovery_fire(t, 0, S(10), &s);
	s.up_now = 4, s.lost_now = 1, s.tunnels_dropped = 1;
	timeline_recovery_step(t, S(10.1), &s);
	s.up_now = 9; /* arrivals */
	timeline_recovery_step(t, S(11), &s);
	assert_true(rec->back_s < 0);
	s.lost_now = 0, s.up_now = 10, s.reconnects = 1;
	timeline_recovery_step(t, S(12), &s);
	assert_true(rec->back_s > 1.99 && rec->back_s < 2.01);
	/* no DTLS before: DTLS is back with the tunnels */
	assert_true(rec->dtls_back_s == rec->back_s);
	assert_int_equal(rec->lowest, 4);
	done(t);
}

static void test_nothing_up(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {0};

	timeline_recovery_fire(t, 0, S(1), &s);
	s.up_now = 3;
	timeline_recovery_step(t, S(2), &s);
	timeline_recovery_end(t, S(3), &s);
	assert_false(t->ev.ev[0].rec.measured);
	assert_null(t->ev.ev[0].rec.per_s);
	done(t);
}

/* Up all along (more arriving), nothing dropped: 0 s at "end". */
static void test_never_hit(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {.up_now = 5, .dtls_now = 5};
	const struct event_recovery *rec = &t->ev.ev[0].rec;

	timeline_recovery_fire(t, 0, S(1), &s);
	s.up_now = 7, s.dtls_now = 7;
	timeline_recovery_step(t, S(2), &s);
	assert_true(rec->back_s < 0);
	timeline_recovery_end(t, S(3), &s);
	assert_true(rec->back_s == 0 && rec->dtls_back_s == 0);
	assert_int_equal(rec->dropped, 0);
	assert_int_equal(rec->before, 5); /* never hit: as it fired */
	assert_int_equal(rec->dtls_before, 5);
	done(t);
}

/*
 * 100 up (80 DTLS) when it fires; arrivals bring 110 (90), then 120 (100);
 * then the headend goes and 100 drop. 100 come back but 5 of the 100 give
 * up: 115 up, none lost. Against the 100 at its firing that would be back;
 * against the 120 up before it hit, it is 5 short at "end".
 */
static void test_before_rises(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {.up_now = 100, .dtls_now = 80};
	const struct event_recovery *rec = &t->ev.ev[0].rec;

	timeline_recovery_fire(t, 0, S(10), &s);
	s.up_now = 110, s.dtls_now = 90;
	timeline_recovery_step(t, S(10.1), &s);
	s.up_now = 120, s.dtls_now = 100;
	timeline_recovery_step(t, S(10.2), &s);
	s.up_now = 20, s.dtls_now = 20, s.lost_now = 100, s.tunnels_dropped = 100;
	timeline_recovery_step(t, S(11.5), &s);
	assert_int_equal(rec->before, 120);
	assert_int_equal(rec->dtls_before, 100);
	s.up_now = 115, s.dtls_now = 115, s.lost_now = 0, s.reconnects = 95, s.failed = 5;
	timeline_recovery_step(t, S(20), &s);
	assert_true(rec->back_s < 0);
	timeline_recovery_end(t, S(30), &s);
	assert_true(rec->back_s < 0);
	assert_int_equal(rec->short_at_end, 5);
	assert_int_equal(rec->lowest, 20);
	assert_int_equal(rec->dropped, 100);
	done(t);
}

/* Three of ten gave up (down for good), seven back: at "end", three short. */
static void test_short_at_end(void **state)
{
	(void)state;
	struct timeline *t = new_timeline();
	struct stats s = {.up_now = 10};
	const struct event_recovery *rec = &t->ev.ev[0].rec;

	timeline_recovery_fire(t, 0, S(1), &s);
	s.up_now = 0, s.lost_now = 10, s.tunnels_dropped = 10;
	timeline_recovery_step(t, S(2), &s);
	s.up_now = 7, s.lost_now = 0, s.reconnects = 7, s.failed = 3;
	timeline_recovery_step(t, S(5), &s);
	timeline_recovery_end(t, S(9), &s);
	assert_true(rec->back_s < 0);
	assert_int_equal(rec->short_at_end, 3);
	assert_int_equal(rec->lowest, 0);
	done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop_and_back), cmocka_unit_test(test_refilled_not_back),
	    cmocka_unit_test(test_nothing_up),	  cmocka_unit_test(test_never_hit),
	    cmocka_unit_test(test_short_at_end),  cmocka_unit_test(test_before_rises),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
