/*
 * tests/unit/test_capacity.c - the capacity search's stop conditions and limits,
 * and the ramps that raise the load (engine/phone/policy.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/config.h"
#include "engine/phone/policy.h"
#include "report/capacity.h"

static void stop_conditions(void **state)
{
	struct swarm_config cfg;
	struct cap_interval iv = {.arrivals = 100, .refused = 4, .ttt_count = 96,
				  .ttt_p99_us = 900000, .refused_total = 4};

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(capacity_check(&cfg, &iv), CAP_NONE); /* nothing asked */
	cfg.stop_failures = 0.05;
	assert_int_equal(capacity_check(&cfg, &iv), CAP_NONE); /* 4% < 5% */
	iv.refused = 5;
	assert_int_equal(capacity_check(&cfg, &iv), CAP_FAILURES);
	iv.refused = 1;
	iv.arrivals = 0; /* refusals of phones that arrived earlier still count */
	assert_int_equal(capacity_check(&cfg, &iv), CAP_FAILURES);
	iv.refused = 0;
	cfg.stop_p99_us = 1000000;
	assert_int_equal(capacity_check(&cfg, &iv), CAP_NONE);
	iv.ttt_p99_us = 1000001;
	assert_int_equal(capacity_check(&cfg, &iv), CAP_P99);
	iv.ttt_count = 0; /* no sample: no verdict on p99 */
	assert_int_equal(capacity_check(&cfg, &iv), CAP_NONE);
	cfg.stop_refusals = 4;
	assert_int_equal(capacity_check(&cfg, &iv), CAP_REFUSALS);
}

static void refusals_are_the_headends(void **state)
{
	struct stats a, b;
	enum reason top;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.failures[R_CERT_HASH] = 50;     /* the phone's own check: not a refusal */
	a.failures[R_DNS_LOOKUP] = 7;     /* nor DNS */
	a.failures[R_CONNECT_TIMEOUT] = 9;
	a.failures[R_TLS_REFUSED] = 3;
	b.failures[R_CONNECT_TIMEOUT] = 2;
	assert_int_equal(capacity_refused(&a, &b, &top), 10);
	assert_int_equal(top, R_CONNECT_TIMEOUT);
	assert_false(capacity_refusal(R_CERT_HASH));
	assert_true(capacity_refusal(R_TUNNEL_REFUSED));
}

static void limits_named(void **state)
{
	struct capacity_result r = {.stopped = true, .why = CAP_FAILURES, .reason = R_TLS_REFUSED};

	(void)state;
	capacity_limit(&r, 50, 2, NULL);
	assert_non_null(strstr(r.limit, "session cap"));
	r.reason = R_TUNNEL_REFUSED;
	capacity_limit(&r, 50, 2, "");
	assert_string_equal(r.limit, "address pool or licence: the headend refused the tunnel "
				     "after the login");
	/* the headend's words, when it had some, name it better than we can */
	capacity_limit(&r, 50, 2, "X-Reason \"No assigned address\"");
	assert_string_equal(r.limit, "address pool or licence: the headend refused the tunnel "
				     "after the login; the headend said: X-Reason \"No assigned "
				     "address\"");
	r.reason = R_AUTH_FAILED;
	capacity_limit(&r, 50, 2, "<error> \"Login denied. Simultaneous login limit exceeded.\"");
	assert_non_null(strstr(r.limit, "session limit (licence) or credentials"));
	assert_non_null(strstr(r.limit, "Simultaneous login limit exceeded."));
	r.why = CAP_P99;
	r.reason = R_NONE;
	capacity_limit(&r, 50, 2, NULL);
	assert_non_null(strstr(r.limit, "handshake rate"));
	/* our own two cores nearly full: we are the limit, whatever the headend said */
	capacity_limit(&r, 190, 2, "X-Reason \"busy\"");
	assert_non_null(strstr(r.limit, "phoneswarm's own CPU"));
	assert_null(strstr(r.limit, "busy"));
}

static void ramps(void **state)
{
	struct ramp_spec step = {.mode = RAMP_STEP, .rate = 10, .step = 5, .hold_us = 2000000};
	struct ramp_spec lin = {.mode = RAMP_LINEAR, .rate = 10, .rate_max = 30,
				.ramp_us = 10000000};

	(void)state;
	/* step: 5 phones 0.1 s apart, then 2 s of hold, then the next 5 */
	assert_int_equal(policy_ramp_arrival_us(0, 0, &step), 0);
	assert_int_equal(policy_ramp_arrival_us(0, 4, &step), 400000);
	assert_int_equal(policy_ramp_arrival_us(0, 5, &step), 2500000);
	assert_int_equal(policy_ramp_arrival_us(0, 10, &step), 5000000);
	/* linear 10 -> 30/s over 10 s: 200 phones by then, then 30/s */
	assert_int_equal(policy_ramp_arrival_us(0, 0, &lin), 0);
	assert_int_equal(policy_ramp_arrival_us(0, 200, &lin), 10000000);
	assert_int_equal(policy_ramp_arrival_us(0, 230, &lin), 11000000);
	/* by t = 5 s the rate is 20/s: 10*5 + 10*25/10 = 75 phones */
	assert_int_equal(policy_ramp_arrival_us(0, 75, &lin), 5000000);
	for (uint64_t i = 1; i < 400; i++) /* never out of order */
		assert_true(policy_ramp_arrival_us(0, i, &lin) > policy_ramp_arrival_us(0, i - 1, &lin));
	struct ramp_spec c = {.mode = RAMP_CONSTANT, .rate = 4};
	assert_int_equal(policy_ramp_arrival_us(7, 3, &c), 7 + 750000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stop_conditions),
	    cmocka_unit_test(refusals_are_the_headends),
	    cmocka_unit_test(limits_named),
	    cmocka_unit_test(ramps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
