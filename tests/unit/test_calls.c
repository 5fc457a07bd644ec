/*
 * tests/unit/test_calls.c - call pacing (engine/voice/calls.c): a simulated swarm
 * of 10,000 phones over a day is in calls the share of the time it was
 * asked for, from the first instant on, with calls of the mean length
 * asked for; and the same seed plans the same calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "engine/voice/calls.h"

#define S       1000000ull /* one second in us */
#define T0      (1000 * S + 123)
#define PHONES  10000
#define HORIZON (24 * 3600 * S)
#define NSAMPLE 25

#define assert_near(got, want, tol)                                                         \
	do {                                                                                \
		double g_ = (got), w_ = (want);                                             \
		if (!(fabs(g_ - w_) <= (tol)))                                              \
			fail_msg("%s = %.9g, expected %.9g +/- %g", #got, g_, w_, (double)(tol)); \
	} while (0)

/*
 * Plan every phone from T0 to T0 + HORIZON and check, at T0 and at
 * NSAMPLE - 1 instants spread over the day (odd offsets, not on any grid),
 * the share of phones in a call; and the mean call and idle lengths.
 */
static void swarm(double p, uint64_t mean_call_us, uint64_t seed)
{
	uint64_t at[NSAMPLE], in_call[NSAMPLE] = {0};
	double call_sum = 0, idle_sum = 0;
	uint64_t calls = 0, gaps = 0;

	at[0] = T0;
	for (int k = 1; k < NSAMPLE; k++)
		at[k] = T0 + (uint64_t)k * (HORIZON / NSAMPLE) + (uint64_t)k * 7919 * 1013;
	for (uint32_t ph = 0; ph < PHONES; ph++) {
		struct call_plan pl;
		struct call c;
		int j = 0;

		calls_init(&pl, ph, seed, p, mean_call_us);
		c = calls_first_start(&pl, T0);
		while (c.start_us < T0 + HORIZON) {
			while (j < NSAMPLE && at[j] < c.start_us)
				j++;
			while (j < NSAMPLE && at[j] < c.end_us)
				in_call[j++]++;
			call_sum += (double)(c.end_us - c.start_us);
			calls++;
			struct call n = calls_next(&pl, c.end_us);
			assert_true(n.start_us >= c.end_us);
			idle_sum += (double)(n.start_us - c.end_us);
			gaps++;
			c = n;
		}
	}
	for (int k = 0; k < NSAMPLE; k++)
		assert_near((double)in_call[k] / PHONES, p, 0.02);
	assert_near(call_sum / (double)calls, (double)mean_call_us, 0.05 * (double)mean_call_us);
	assert_near(idle_sum / (double)gaps, (double)mean_call_us * (1 - p) / p,
		    0.05 * (double)mean_call_us * (1 - p) / p);
}

static void test_share_and_length_30(void **state)
{
	(void)state;
	swarm(0.3, 180 * S, 1);
}

static void test_share_and_length_70(void **state)
{
	(void)state;
	swarm(0.7, 60 * S, 0xfeedface);
}

static void test_share_and_length_5(void **state)
{
	(void)state;
	swarm(0.05, 300 * S, 42);
}

static void test_deterministic(void **state)
{
	struct call_plan a, b, c, d;
	int same_phone = 1, other_phone = 0, other_seed = 0;

	(void)state;
	calls_init(&a, 17, 99, 0.4, 120 * S);
	calls_init(&b, 17, 99, 0.4, 120 * S);
	calls_init(&c, 18, 99, 0.4, 120 * S);
	calls_init(&d, 17, 100, 0.4, 120 * S);
	struct call ca = calls_first_start(&a, T0), cb = calls_first_start(&b, T0),
		    cc = calls_first_start(&c, T0), cd = calls_first_start(&d, T0);
	for (int i = 0; i < 100; i++) {
		same_phone &= ca.start_us == cb.start_us && ca.end_us == cb.end_us;
		other_phone |= ca.start_us != cc.start_us || ca.end_us != cc.end_us;
		other_seed |= ca.start_us != cd.start_us || ca.end_us != cd.end_us;
		ca = calls_next(&a, ca.end_us);
		cb = calls_next(&b, cb.end_us);
		cc = calls_next(&c, cc.end_us);
		cd = calls_next(&d, cd.end_us);
	}
	assert_true(same_phone);
	assert_true(other_phone);
	assert_true(other_seed);
}

static void test_edges(void **state)
{
	struct call_plan pl;
	struct call c, n;

	(void)state;
	/* p = 0: never a call */
	calls_init(&pl, 3, 1, 0, 60 * S);
	c = calls_first_start(&pl, T0);
	assert_int_equal(c.start_us, UINT64_MAX);
	assert_int_equal(calls_next(&pl, T0).start_us, UINT64_MAX);
	/* p = 1: in a call from t0, and calls back to back */
	calls_init(&pl, 3, 1, 1, 60 * S);
	c = calls_first_start(&pl, T0);
	assert_int_equal(c.start_us, T0);
	for (int i = 0; i < 50; i++) {
		n = calls_next(&pl, c.end_us);
		assert_int_equal(n.start_us, c.end_us);
		assert_true(n.end_us >= n.start_us);
		c = n;
	}
	/* a phone back late is not owed calls: the next one comes after now */
	calls_init(&pl, 3, 1, 0.5, 60 * S);
	c = calls_first_start(&pl, T0);
	n = calls_next(&pl, c.end_us + 3600 * S);
	assert_true(n.start_us >= c.end_us + 3600 * S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_and_length_30),
		cmocka_unit_test(test_share_and_length_70),
		cmocka_unit_test(test_share_and_length_5),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
