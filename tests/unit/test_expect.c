/*
 * tests/unit/test_expect.c - the [expect] language: parsing, units, verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "report/expect.h"
#include "engine/stats/hist.h"

static struct stats st;
static struct hist *lat[M__COUNT];
static struct expect_view view;

static int setup(void **state)
{
	(void)state;
	memset(&st, 0, sizeof(st));
	for (int m = 0; m < M__COUNT; m++)
		lat[m] = hist_new();
	view = (struct expect_view){.st = &st, .lat = (const struct hist *const *)lat,
				    .configured = 1000};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int m = 0; m < M__COUNT; m++)
		hist_free(lat[m]);
	return 0;
}

/* Parse line (must succeed) and judge it against the view; detail to out. */
static bool judge(const char *line, char *out, size_t len)
{
	struct expect e;
	char why[256];

	if (expect_parse(line, &e, why, sizeof(why)))
		fail_msg("%s: %s", line, why);
	return expect_judge(&e, &view, out, len);
}

static void parse_fields(void **state)
{
	struct expect e;
	char why[256];

	(void)state;
	assert_int_equal(expect_parse("  latency.time_to_tunnel.p99 < 2s ", &e, why, sizeof(why)), 0);
	assert_string_equal(e.text, "latency.time_to_tunnel.p99 < 2s");
	assert_string_equal(e.metric, "latency.time_to_tunnel.p99");
	assert_int_equal(e.op, EX_LT);
	assert_int_equal(e.unit, EU_DURATION);
	assert_true(e.value == 2e6);
	assert_string_equal(e.from, "");

	assert_int_equal(expect_parse("during rotate..end: tunnels_dropped == 0", &e, why,
				      sizeof(why)), 0);
	assert_string_equal(e.from, "rotate");
	assert_string_equal(e.to, "end");
	assert_string_equal(e.metric, "tunnels_dropped");
	assert_int_equal(e.op, EX_EQ);
	assert_int_equal(e.unit, EU_NUMBER);

	assert_int_equal(expect_parse("tunnels_up>=99.5%", &e, why, sizeof(why)), 0);
	assert_int_equal(e.op, EX_GE);
	assert_int_equal(e.unit, EU_PERCENT);
	assert_true(e.value == 99.5);

	assert_int_equal(expect_parse("latency.dpd_rtt.max <= 250ms", &e, why, sizeof(why)), 0);
	assert_int_equal(e.op, EX_LE);
	assert_true(e.value == 250000);

	/* days, as a scenario's durations have them */
	assert_int_equal(expect_parse("latency.reconnect.max < 1.5d", &e, why, sizeof(why)), 0);
	assert_int_equal(e.unit, EU_DURATION);
	assert_true(e.value == 1.5 * 86400e6);

	/* the ends of a share are bounds too */
	assert_int_equal(expect_parse("up_min >= 100%", &e, why, sizeof(why)), 0);
	assert_int_equal(expect_parse("rtp.loss <= 0%", &e, why, sizeof(why)), 0);
	/* events may pass the fleet: each phone reset twice, each up three times */
	assert_int_equal(expect_parse("resets == 200%", &e, why, sizeof(why)), 0);
	assert_int_equal(expect_parse("tunnels_up >= 300%", &e, why, sizeof(why)), 0);
}

static void parse_errors(void **state)
{
	static const struct {
		const char *line, *says;
	} bad[] = {
	    {"tunnels_upp >= 1", "unknown metric"},
	    {"failures.CertHashMismach == 0", "no such failure reason"},
	    {"latency.time_to_tunel.p99 < 2s", "no such latency metric"},
	    {"latency.time_to_tunnel < 2s", "no such latency metric"},
	    {"latency.time_to_tunnel.p101 < 2s", "not a statistic"},
	    {"latency.time_to_tunnel.p99 < 2", "as a duration"},
	    {"latency.time_to_tunnel.p99 < 20%", "share"},
	    {"tunnels_up >= 2s", "not a duration"},
	    {"rtp.sent > 5%", "share"},
	    {"tunnels_up => 5", "expected an operator"},
	    {"tunnels_up >= lots", "expected a number"},
	    {"tunnels_up >= 5 phones", "unknown unit"},
	    {"latency.time_to_tunnel.max < 2w", "unknown unit (%, us, ms, s, m, h, d)"},
	    {"up >= 150%", "up: 150% is not a share (0% to 100%)"},
	    {"during a..b: peak_concurrent > 101%", "is not a share"},
	    {"failed.TlsRefused < 200%", "is not a share"},
	    {"tunnels_up < -1%", "is not a share"},
	    {"rtp.loss < 100.5%", "rtp.loss: 100.5% is not a share (0% to 100%)"},
	    {"during rotate: up == 1", "during FROM..TO"},
	    {"during end..rotate: up == 1", "a window runs"},
	    {">= 5", "METRIC OP BOUND"},
	};
	struct expect e;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (expect_parse(bad[i].line, &e, why, sizeof(why)) == 0)
			fail_msg("%s: accepted", bad[i].line);
		if (!strstr(why, bad[i].says))
			fail_msg("%s: said \"%s\", expected \"%s\"", bad[i].line, why, bad[i].says);
	}
}

static void shares_of_the_fleet(void **state)
{
	char d[256];

	(void)state;
	st.tunnels_up = 995;
	assert_true(judge("tunnels_up >= 99.5%", d, sizeof(d)));
	assert_non_null(strstr(d, "99.50% (995 of 1000 phones)"));
	st.tunnels_up = 994;
	assert_false(judge("tunnels_up >= 99.5%", d, sizeof(d)));
	/* a bare number is a count, not a share */
	assert_true(judge("tunnels_up > 990", d, sizeof(d)));
	assert_false(judge("tunnels_up > 994", d, sizeof(d)));
}

static void failures_by_reason(void **state)
{
	char d[256];

	(void)state;
	st.failures[R_CERT_HASH] = 3;
	st.failures[R_DNS_LOOKUP] = 2;
	st.failed_by[R_CERT_HASH] = 1;
	assert_false(judge("failures.CertHashMismatch == 0", d, sizeof(d)));
	assert_string_equal(d, "measured 3; bound == 0");
	assert_true(judge("failures == 5", d, sizeof(d)));
	assert_true(judge("failed.CertHashMismatch == 1", d, sizeof(d)));
	assert_true(judge("failures.DnsLookupErr != 0", d, sizeof(d)));
	assert_true(judge("failures.HostIdMismatch == 0", d, sizeof(d)));
}

static void latencies(void **state)
{
	char d[256];

	(void)state;
	/* no samples: a latency bound cannot hold */
	assert_false(judge("latency.time_to_tunnel.p99 < 2s", d, sizeof(d)));
	assert_non_null(strstr(d, "no time_to_tunnel samples"));
	assert_true(judge("latency.time_to_tunnel.count == 0", d, sizeof(d)));

	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(lat[M_TIME_TO_TUNNEL], v * 1000); /* 1..1000 ms */
	assert_true(judge("latency.time_to_tunnel.p99 < 1s", d, sizeof(d)));
	assert_false(judge("latency.time_to_tunnel.p99 < 980ms", d, sizeof(d)));
	assert_non_null(strstr(d, "over 1000 samples"));
	assert_true(judge("latency.time_to_tunnel.p50 <= 501ms", d, sizeof(d)));
	assert_false(judge("latency.time_to_tunnel.p50 < 499ms", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.max == 1s", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.min == 1ms", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.mean < 501ms", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.mean > 499ms", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.p99.9 <= 1s", d, sizeof(d)));
	assert_true(judge("latency.time_to_tunnel.count == 1000", d, sizeof(d)));
}

static void voice(void **state)
{
	char d[256];

	(void)state;
	assert_false(judge("rtp.loss < 1%", d, sizeof(d)));
	assert_non_null(strstr(d, "no RTP"));
	st.rtp_sent = 1000;
	st.rtp_up_lost = 10;  /* 1% up */
	st.rtp_down_lost = 99; /* 10% of the 990 that reached the reflector */
	st.rtp_up_expected = 1000;  /* what each way's loss is a share of */
	st.rtp_down_expected = 990;
	assert_false(judge("rtp.loss_up < 1%", d, sizeof(d)));
	assert_true(judge("rtp.loss_up <= 1", d, sizeof(d)));
	assert_true(judge("rtp.loss_down == 10%", d, sizeof(d)));
	assert_true(judge("rtp.loss > 10.8%", d, sizeof(d)));
	assert_true(judge("rtp.loss < 11%", d, sizeof(d)));
	st.mos_calls = 2;
	st.mos_milli_sum = 4400 + 4000;
	st.mos_worst_milli = 5000 - 4000;
	assert_true(judge("rtp.mos >= 4.2", d, sizeof(d)));
	assert_false(judge("rtp.mos > 4.2", d, sizeof(d)));
	assert_true(judge("rtp.mos_min == 4", d, sizeof(d)));
}

static void window_gauges(void **state)
{
	char d[256];

	(void)state;
	view.up_min = 998;
	view.peak = 1000;
	st.up_now = 999;
	assert_true(judge("during rotate..reset-one: up_min >= 99.8%", d, sizeof(d)));
	assert_false(judge("up_min == 100%", d, sizeof(d)));
	assert_true(judge("peak_concurrent == 1000", d, sizeof(d)));
	assert_true(judge("up == 999", d, sizeof(d)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_fields),
	    cmocka_unit_test(parse_errors),
	    cmocka_unit_test_setup_teardown(shares_of_the_fleet, setup, teardown),
	    cmocka_unit_test_setup_teardown(failures_by_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(latencies, setup, teardown),
	    cmocka_unit_test_setup_teardown(voice, setup, teardown),
	    cmocka_unit_test_setup_teardown(window_gauges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
