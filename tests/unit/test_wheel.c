/*
 * tests/unit/test_wheel.c - the hashed timer wheel driven by a fake clock.
 *
 * Every test passes made-up now_us values, so nothing here depends on how
 * fast the machine is. The contract checked: a timer never fires before its
 * deadline, fires at the first wheel_run at or after it, exactly once, in
 * deadline order (to the tick) across turns; deletion and re-arming work,
 * from outside and from inside callbacks; wheel_timeout says how long the
 * loop may sleep (0 if due, the distance to the next timer to within a
 * tick, UINT64_MAX if empty); a clock jump of more than a turn fires
 * everything due.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ring/wheel.h"

#define TURN_US ((uint64_t)WHEEL_SLOTS * WHEEL_TICK_US)
#define T0 1000000007ull /* an arbitrary start, not tick-aligned */

struct ev {
	struct timer t; /* first member: the callback casts back */
	uint64_t deadline;
	unsigned fired;
	uint64_t fired_at;
	/* what the callback does */
	int rearm_times;        /* re-arm this many more times */
	int64_t rearm_delta_us; /* relative to the callback's now */
	struct ev *victim;      /* disarm this one from the callback */
};

/* The run being checked: what fired, in order. */
static struct ev *fired_log[8192];
static unsigned fired_n;
static uint64_t prev_run_now; /* now_us of the previous wheel_run */

static struct wheel W; /* 4096 pointers + bitmap: keep it off the stack */

static void on_fire(struct timer *t, uint64_t now_us)
{
	struct ev *e = (struct ev *)t;

	if (now_us < e->deadline)
		fail_msg("timer fired early: deadline %llu, now %llu",
			 (unsigned long long)e->deadline, (unsigned long long)now_us);
	e->fired++;
	e->fired_at = now_us;
	if (fired_n < sizeof(fired_log) / sizeof(fired_log[0]))
		fired_log[fired_n++] = e;
	if (e->victim)
		wheel_del(&W, &e->victim->t);
	if (e->rearm_times > 0) {
		e->rearm_times--;
		e->deadline = (uint64_t)((int64_t)now_us + e->rearm_delta_us);
		wheel_add(&W, &e->t, e->deadline);
		if (e->rearm_delta_us < 0)
			e->deadline = now_us; /* a past deadline is due at once */
	}
}

static void ev_arm(struct ev *e, uint64_t deadline)
{
	timer_init(&e->t, on_fire);
	e->deadline = deadline;
	wheel_add(&W, &e->t, deadline);
}

static unsigned run(uint64_t now)
{
	fired_n = 0;
	unsigned n = wheel_run(&W, now);
	if (n != fired_n)
		fail_msg("wheel_run(%llu) returned %u, callbacks ran %u times",
			 (unsigned long long)now, n, fired_n);
	prev_run_now = now;
	return n;
}

static void setup_wheel(uint64_t now)
{
	memset(&W, 0xa5, sizeof(W)); /* wheel_init must not rely on zeroed memory */
	wheel_init(&W, now);
	prev_run_now = now;
	fired_n = 0;
}

/* xorshift64*: a fixed sequence, so a failure can be replayed. */
static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 2685821657736338717ull) % n;
}

/* ==== Single timers ==== */

/* Deadlines at every offset within a tick, reached by runs at every offset. */
static void test_not_early_first_run_at_or_after(void **state)
{
	(void)state;
	for (uint64_t off = 0; off < 2 * WHEEL_TICK_US; off += 7) {
		for (uint64_t step = 1; step <= 250; step += 31) {
			struct ev e = {0};
			uint64_t now = T0;

			setup_wheel(now);
			ev_arm(&e, T0 + 1000 + off);
			while (!e.fired) {
				now += step;
				if (now > e.deadline + TURN_US)
					fail_msg("deadline %llu (+%llu us): not fired by %llu, run step %llu",
						 (unsigned long long)e.deadline,
						 (unsigned long long)(e.deadline - T0),
						 (unsigned long long)now, (unsigned long long)step);
				run(now);
			}
			if (e.fired_at - e.deadline >= step)
				fail_msg("deadline +%llu fired at +%llu with runs every %llu us: "
					 "not the first run at or after the deadline",
					 (unsigned long long)(e.deadline - T0),
					 (unsigned long long)(e.fired_at - T0), (unsigned long long)step);
			assert_false(timer_armed(&e.t));
			assert_int_equal(run(now + TURN_US * 2), 0);
			assert_int_equal(e.fired, 1);
		}
	}
}

/* A deadline later in the very tick the wheel just ran must not wait a turn. */
static void test_later_in_current_tick(void **state)
{
	struct ev e = {0};
	uint64_t base = 5000000; /* tick-aligned */

	(void)state;
	setup_wheel(base);
	ev_arm(&e, base + 80);
	assert_int_equal(run(base + 30), 0);
	if (run(base + 80) != 1)
		fail_msg("deadline +80 us, run at +30 then +80: did not fire at +80 (fired %u)",
			 e.fired);
	/* the same, armed after the run of that tick */
	struct ev f = {0};
	assert_int_equal(run(base + 130), 0);
	ev_arm(&f, base + 170);
	uint64_t to = wheel_timeout(&W, base + 130);
	if (to == 0 || to > 40)
		fail_msg("timer 40 us ahead in the current tick: wheel_timeout %llu, expected 1..40",
			 (unsigned long long)to);
	assert_int_equal(run(base + 170), 1);
	assert_int_equal(f.fired, 1);
}

static void test_past_deadline(void **state)
{
	struct ev e = {0};

	(void)state;
	setup_wheel(T0);
	run(T0 + 10000);
	ev_arm(&e, T0); /* 10 ms in the past */
	assert_int_equal(wheel_timeout(&W, T0 + 10000), 0);
	if (run(T0 + 10000) != 1)
		fail_msg("a timer armed in the past did not fire at the next run (same now)");
	assert_int_equal(wheel_timeout(&W, T0 + 10000), UINT64_MAX);
}

/* ==== Many timers ==== */

#define MANY 3000

/* Random deadlines over 30 s (73 turns), random clock steps of 1..350 us. */
static void test_many_random_in_order_once(void **state)
{
	static struct ev evs[MANY];
	uint64_t now = T0, end = T0 + 30000000;

	(void)state;
	setup_wheel(now);
	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < MANY; i++) {
		/* a few share a deadline, a few share a slot a turn apart */
		uint64_t d = i % 10 == 0 && i ? evs[i - 1].deadline
			   : i % 10 == 1 && i > 1 ? evs[i - 1].deadline + TURN_US
						: T0 + rnd(end - T0);
		ev_arm(&evs[i], d);
	}
	uint64_t last_tick = 0;
	unsigned total = 0;

	while (now < end + TURN_US) {
		uint64_t prev = prev_run_now;

		now += 1 + rnd(350);
		total += run(now);
		for (unsigned j = 0; j < fired_n; j++) {
			struct ev *e = fired_log[j];
			uint64_t tick = e->deadline / WHEEL_TICK_US;

			if (e->deadline <= prev)
				fail_msg("timer #%ld (deadline %llu) fired at %llu, but the run at %llu "
					 "was already at or after its deadline",
					 (long)(e - evs), (unsigned long long)e->deadline,
					 (unsigned long long)now, (unsigned long long)prev);
			if (tick < last_tick)
				fail_msg("out of order: deadline tick %llu fired after tick %llu",
					 (unsigned long long)tick, (unsigned long long)last_tick);
			last_tick = tick;
		}
	}
	for (int i = 0; i < MANY; i++)
		if (evs[i].fired != 1)
			fail_msg("timer #%d (deadline +%llu us) fired %u times, expected once", i,
				 (unsigned long long)(evs[i].deadline - T0), evs[i].fired);
	assert_int_equal(total, MANY);
	assert_int_equal(W.armed, 0);
	assert_int_equal(wheel_timeout(&W, now), UINT64_MAX);
}

static void test_del(void **state)
{
	static struct ev evs[MANY];
	uint64_t now = T0;

	(void)state;
	setup_wheel(now);
	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < MANY; i++)
		ev_arm(&evs[i], T0 + rnd(3000000));
	for (int i = 0; i < MANY; i += 2)
		wheel_del(&W, &evs[i].t);
	for (int i = 0; i < MANY; i += 4)
		wheel_del(&W, &evs[i].t); /* twice: harmless */
	assert_int_equal(W.armed, MANY / 2);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(timer_armed(&evs[i].t), i % 2);
	while (now < T0 + 3000000 + WHEEL_TICK_US) {
		now += 1 + rnd(500);
		run(now);
	}
	for (int i = 0; i < MANY; i++)
		if (evs[i].fired != (unsigned)(i % 2))
			fail_msg("timer #%d %s fired %u times", i, i % 2 ? "(kept)" : "(deleted)",
				 evs[i].fired);
	assert_int_equal(wheel_timeout(&W, now), UINT64_MAX);
}

/*
 * A callback disarms timers of its own slot that have not fired yet: one
 * with the same deadline, and one of the same slot a turn later.
 */
static void test_del_from_callback(void **state)
{
	struct ev a = {0}, b = {0}, c = {0}, d = {0};
	uint64_t dl = T0 + 50000;

	(void)state;
	for (int order = 0; order < 2; order++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		memset(&c, 0, sizeof(c));
		memset(&d, 0, sizeof(d));
		setup_wheel(T0);
		/* list order in a slot is an implementation detail: try both */
		if (order) {
			ev_arm(&a, dl);
			ev_arm(&b, dl);
		} else {
			ev_arm(&b, dl);
			ev_arm(&a, dl);
		}
		ev_arm(&c, dl + TURN_US); /* same slot, next turn */
		ev_arm(&d, dl);
		a.victim = &b;
		d.victim = &c;
		b.victim = &a;
		run(dl);
		if (a.fired + b.fired != 1)
			fail_msg("a and b disarm each other: fired %u + %u times, expected 1 in all",
				 a.fired, b.fired);
		assert_int_equal(d.fired, 1);
		assert_false(timer_armed(&c.t));
		if (W.armed != 0)
			fail_msg("after disarming from callbacks the wheel counts %u armed, expected 0",
				 W.armed);
		run(dl + 2 * TURN_US);
		assert_int_equal(a.fired + b.fired, 1);
		if (c.fired)
			fail_msg("c was disarmed by d's callback but fired");
		assert_int_equal(wheel_timeout(&W, dl + 2 * TURN_US), UINT64_MAX);
	}
}

/* ==== Re-arming ==== */

static void test_rearm_now_from_callback(void **state)
{
	struct ev e = {0};
	uint64_t dl = T0 + 20000;

	(void)state;
	setup_wheel(T0);
	ev_arm(&e, dl);
	e.rearm_times = 1000;
	e.rearm_delta_us = 0;
	/* fires once per run, never loops inside one run */
	assert_int_equal(run(dl), 1);
	assert_true(timer_armed(&e.t));
	assert_int_equal(wheel_timeout(&W, dl + 1), 0);
	if (run(dl + 1) != 1)
		fail_msg("re-armed for now (%llu) in its callback: the next run at +1 us fired %u, "
			 "expected 1 (it must not wait a turn)",
			 (unsigned long long)dl, fired_n);
	/* a run at the very same now may fire it too (it is due), but only once */
	assert_in_range(run(dl + 1), 0, 1);
	/*
	 * A run covering several ticks reaches the timer in its old tick, and
	 * the re-arm for "now" lands in now's slot, which the same run visits
	 * last: at most twice, never an endless loop.
	 */
	uint64_t n = e.fired;
	assert_in_range(run(dl + WHEEL_TICK_US * 3), 1, 2);
	assert_in_range(e.fired, n + 1, n + 2);
}

static void test_rearm_later_and_past_from_callback(void **state)
{
	struct ev e = {0}, p = {0};
	uint64_t now = T0;

	(void)state;
	setup_wheel(now);
	ev_arm(&e, T0 + 1000);
	e.rearm_times = 50;
	e.rearm_delta_us = 12345; /* 50 re-arms: 617 ms, more than a turn */
	uint64_t expect_deadline = T0 + 1000;
	unsigned fires = 0;

	while (now < T0 + 1000000) {
		now += 1 + rnd(200);
		run(now);
		if (e.fired != fires) {
			if (now < expect_deadline)
				fail_msg("re-armed timer fired at %llu before %llu",
					 (unsigned long long)now, (unsigned long long)expect_deadline);
			fires = e.fired;
			expect_deadline = e.deadline;
		}
	}
	assert_int_equal(e.fired, 51);

	/* re-armed into the past: due at the next run */
	setup_wheel(T0);
	ev_arm(&p, T0 + 500);
	p.rearm_times = 1;
	p.rearm_delta_us = -1000000;
	assert_int_equal(run(T0 + 500), 1);
	if (run(T0 + 501) != 1)
		fail_msg("re-armed 1 s into the past from its callback: not fired by the next run");
	assert_int_equal(p.fired, 2);
}

/* Re-arming an armed timer moves it: it fires only at the new deadline. */
static void test_rearm_moves(void **state)
{
	struct ev e = {0};

	(void)state;
	setup_wheel(T0);
	ev_arm(&e, T0 + 1000);
	e.deadline = T0 + 900000;
	wheel_add(&W, &e.t, e.deadline);
	assert_int_equal(W.armed, 1);
	for (uint64_t now = T0; now < T0 + 900000; now += 997)
		assert_int_equal(run(now), 0);
	assert_int_equal(run(T0 + 900000), 1);
	e.deadline = T0 + 910000;
	wheel_add(&W, &e.t, T0 + 905000);
	wheel_add(&W, &e.t, e.deadline);
	assert_int_equal(run(T0 + 909999), 0);
	assert_int_equal(run(T0 + 910000), 1);
}

/* ==== wheel_timeout ==== */

static void check_timeout(uint64_t now, uint64_t next_deadline)
{
	uint64_t got = wheel_timeout(&W, now);

	if (next_deadline <= now) {
		if (got != 0)
			fail_msg("at %llu with a timer due at %llu: wheel_timeout %llu, expected 0",
				 (unsigned long long)now, (unsigned long long)next_deadline,
				 (unsigned long long)got);
		return;
	}
	uint64_t want = next_deadline - now;
	if (got > want || want - got >= WHEEL_TICK_US || got == 0)
		fail_msg("at %llu, next timer at %llu: wheel_timeout %llu, expected %llu "
			 "(to within a tick, never late, not 0)",
			 (unsigned long long)now, (unsigned long long)next_deadline,
			 (unsigned long long)got, (unsigned long long)want);
}

static void test_timeout(void **state)
{
	struct ev a = {0}, b = {0}, c = {0};
	uint64_t now = T0;

	(void)state;
	setup_wheel(now);
	assert_int_equal(wheel_timeout(&W, now), UINT64_MAX);

	ev_arm(&a, T0 + 5000);
	check_timeout(now, a.deadline);
	check_timeout(now + 4999, a.deadline);
	check_timeout(now + 5000, a.deadline);
	check_timeout(now + 7000, a.deadline);

	/* several turns away */
	ev_arm(&b, T0 + 30000000 + 33);
	wheel_del(&W, &a.t);
	check_timeout(now, b.deadline);
	run(now + 1000000);
	check_timeout(now + 1000000, b.deadline);

	/* the nearer of two, one of them in a later round of an earlier slot */
	ev_arm(&c, T0 + 1000000 + 2 * TURN_US + 50);
	check_timeout(now + 1000000, c.deadline);
	ev_arm(&a, T0 + 1000000 + TURN_US - 200);
	check_timeout(now + 1000000, a.deadline);

	/* walk through all of it with random steps */
	now += 1000000;
	while (W.armed) {
		uint64_t next = UINT64_MAX;
		struct ev *all[] = {&a, &b, &c};
		for (int i = 0; i < 3; i++)
			if (timer_armed(&all[i]->t) && all[i]->deadline < next)
				next = all[i]->deadline;
		check_timeout(now, next);
		/* sleep as told (capped) or a random bit less */
		uint64_t to = wheel_timeout(&W, now);
		now += to > 2000000 ? 1 + rnd(2000000) : to ? to : 1 + rnd(100);
		run(now);
	}
	assert_int_equal(wheel_timeout(&W, now), UINT64_MAX);
	assert_int_equal(a.fired + b.fired + c.fired, 3);
}

/* Sleeping exactly as wheel_timeout says reaches each timer in one wake-up. */
static void test_timeout_drives_loop(void **state)
{
	static struct ev evs[200];
	uint64_t now = T0;
	unsigned wakeups = 0;

	(void)state;
	setup_wheel(now);
	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < 200; i++)
		ev_arm(&evs[i], T0 + 1 + rnd(20000000));
	while (W.armed) {
		uint64_t to = wheel_timeout(&W, now);

		assert_true(to != UINT64_MAX);
		now += to;
		wakeups++;
		if (run(now) == 0 && to == 0)
			fail_msg("at %llu wheel_timeout said 0 (due) but wheel_run fired nothing: "
				 "the loop would spin", (unsigned long long)now);
		for (unsigned j = 0; j < fired_n; j++)
			if (fired_log[j]->fired_at - fired_log[j]->deadline >= WHEEL_TICK_US)
				fail_msg("sleeping per wheel_timeout: timer fired %llu us late",
					 (unsigned long long)(fired_log[j]->fired_at -
							      fired_log[j]->deadline));
	}
	for (int i = 0; i < 200; i++)
		assert_int_equal(evs[i].fired, 1);
	/* one wake-up per timer at most (some share a wake-up), none wasted */
	if (wakeups > 200)
		fail_msg("%u wake-ups for 200 timers over 20 s: wheel_timeout woke the loop early",
			 wakeups);
}

/* ==== Clock jumps ==== */

static void test_jump_over_turns(void **state)
{
	static struct ev evs[MANY];
	uint64_t jump = T0 + 3 * TURN_US + 12345;

	(void)state;
	setup_wheel(T0);
	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < MANY; i++)
		ev_arm(&evs[i], T0 + rnd(6 * TURN_US));
	unsigned due = 0;
	for (int i = 0; i < MANY; i++)
		due += evs[i].deadline <= jump;
	unsigned n = run(jump);
	if (n != due)
		fail_msg("clock jumped %llu us (%.1f turns): fired %u, %u were due",
			 (unsigned long long)(jump - T0), (double)(jump - T0) / TURN_US, n, due);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(evs[i].fired, evs[i].deadline <= jump);
	/* then the rest, each once, never early */
	uint64_t now = jump;
	while (now < T0 + 7 * TURN_US) {
		now += 1 + rnd(1000);
		run(now);
	}
	for (int i = 0; i < MANY; i++)
		assert_int_equal(evs[i].fired, 1);

	/* a jump from an idle wheel: timers armed right after fire in time */
	struct ev e = {0};
	run(now + 100 * TURN_US);
	now += 100 * TURN_US;
	ev_arm(&e, now + 700);
	check_timeout(now, e.deadline);
	assert_int_equal(run(now + 699), 0);
	assert_int_equal(run(now + 700), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_early_first_run_at_or_after),
	    cmocka_unit_test(test_later_in_current_tick),
	    cmocka_unit_test(test_past_deadline),
	    cmocka_unit_test(test_many_random_in_order_once),
	    cmocka_unit_test(test_del),
	    cmocka_unit_test(test_del_from_callback),
	    cmocka_unit_test(test_rearm_now_from_callback),
	    cmocka_unit_test(test_rearm_later_and_past_from_callback),
	    cmocka_unit_test(test_rearm_moves),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_timeout_drives_loop),
	    cmocka_unit_test(test_jump_over_turns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
