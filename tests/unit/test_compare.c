/*
 * tests/unit/test_compare.c - report/compare and "phoneswarm compare":
 * tolerance names and values, which tolerance applies, where the line
 * between a regression and noise lies for each kind of figure, the table,
 * and the command's exit status on real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen/compare_cmd.h"
#include "report/compare.h"
#include "report/jsonread.h"
#include "tests/unit/quiet.h"

/*
 * A report.json as a run writes it, with the figures the tests vary:
 * tunnels up, failures of one reason, time_to_tunnel p99 (us), RTP loss
 * (lost of 10000 sent), MOS.
 */
static struct jval *report(unsigned up, unsigned refused, unsigned p99, unsigned lost, double mos)
{
	char text[4096], err[256], fail[64] = "";
	struct jval *v;

	if (refused)
		snprintf(fail, sizeof(fail), "\"TlsRefused\": %u", refused);
	snprintf(
	    text, sizeof(text),
	    "{\"tool\": \"phoneswarm\", \"scenario\": \"s.ini\", \"headend\": \"https://h/\","
	    " \"phones\": {\"configured\": 1000, \"tunnels_up\": %u, \"dtls_up\": %u,"
	    "  \"peak_concurrent\": %u, \"failed\": %u, \"tunnels_dropped\": 0},"
	    " \"failures\": {%s},"
	    " \"latency_us\": {"
	    "  \"time_to_tunnel\": {\"count\": 1000, \"min\": 900, \"p50\": 2000, \"p90\": 5000,"
	    "    \"p99\": %u, \"p999\": %u, \"max\": %u, \"mean\": 3000},"
	    "  \"dpd_rtt\": {\"count\": 0, \"min\": 0, \"p50\": 0, \"p90\": 0, \"p99\": 0,"
	    "    \"p999\": 0, \"max\": 0, \"mean\": 0}},"
	    " \"rtp\": {\"sent\": 10000, \"lost\": %u, \"loss_up_pct\": 0, \"loss_down_pct\": 0,"
	    "  \"mos_mean\": %g, \"mos_min\": 3.9},"
	    " \"resources\": {\"cpu_ms_per_tunnel\": 2.5, \"kib_per_connected_phone\": 60,"
	    "  \"max_rss_kb\": 90000}}",
	    up, up, up, 1000 - up, fail, p99, p99, p99, lost, mos);
	v = jval_parse(text, strlen(text), err, sizeof(err));
	if (!v)
		fail_msg("%s", err);
	return v;
}

static const struct compare_row *row(const struct compare_row *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/* Compares, and says whether metric name regressed (failing if it has no row). */
static bool regressed(const struct jval *a, const struct jval *b, const char *name,
		      const char *const *tol_args, size_t n_tol)
{
	struct compare_tol tols[8];
	struct compare_row *rows;
	const struct compare_row *r;
	size_t n;
	char why[512];
	bool reg;

	for (size_t i = 0; i < n_tol; i++)
		if (compare_tol_parse(tol_args[i], &tols[i], why, sizeof(why)))
			fail_msg("%s", why);
	assert_true(compare_reports(a, b, tols, n_tol, &rows, &n) >= 0);
	r = row(rows, n, name);
	if (!r)
		fail_msg("no row %s", name);
	reg = r->regression;
	free(rows);
	return reg;
}

static void test_tolerance_names(void **state)
{
	static const char *const good[] = {
	    "tunnels_up=1",
	    "latency=30",
	    "latency.time_to_tunnel=10%",
	    "latency.rtp_rtt.p999=5",
	    "failures=off",
	    "failures.CertHashMismatch=0",
	    "rtp.loss=0.2",
	    "rtp=1",
	    "resources.max_rss_kb=50",
	    "peak_concurrent=0.5",
	    "reconnect_failures=100",
	};
	static const struct {
		const char *arg, *why;
	} bad[] = {
	    {"latency.foo=3", "unknown metric \"latency.foo\""},
	    {"latency.time_to_tunnel.p42=3", "unknown metric"},
	    {"failures.NoSuchReason=1", "unknown metric"},
	    {"tunnels_up.x=1", "unknown metric"},
	    {"tunnels=1", "unknown metric"},
	    {"tunnels_up", "expected METRIC=PERCENT"},
	    {"=5", "expected METRIC=PERCENT"},
	    {"tunnels_up=-1", "is not a percentage"},
	    {"tunnels_up=5x", "is not a percentage"},
	    {"tunnels_up=", "is not a percentage"},
	};
	struct compare_tol t;
	char why[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (compare_tol_parse(good[i], &t, why, sizeof(why)))
			fail_msg("%s refused: %s", good[i], why);
	assert_int_equal(compare_tol_parse("latency.auth.p99=12.5%", &t, why, sizeof(why)), 0);
	assert_string_equal(t.name, "latency.auth.p99");
	assert_true(t.value == 12.5);
	assert_int_equal(compare_tol_parse("failures=off", &t, why, sizeof(why)), 0);
	assert_true(t.value < 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!compare_tol_parse(bad[i].arg, &t, why, sizeof(why)))
			fail_msg("%s accepted", bad[i].arg);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: expected \"%s\" in \"%s\"", bad[i].arg, bad[i].why, why);
	}
}

static void test_shares_in_points(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4);
	struct jval *a = report(996, 0, 10000, 0, 4.4), *b = report(994, 0, 10000, 0, 4.4);
	static const char *const one_pt[] = {"tunnels_up=1"};

	(void)state;
	/* default 0.5 points: 99.6% passes, 99.4% does not */
	assert_false(regressed(base, a, "tunnels_up", NULL, 0));
	assert_true(regressed(base, b, "tunnels_up", NULL, 0));
	assert_true(regressed(base, b, "failed", NULL, 0)); /* 0% -> 0.6% of the fleet */
	assert_false(regressed(base, b, "tunnels_up", one_pt, 1));
	/* better is never a regression */
	assert_false(regressed(b, base, "tunnels_up", NULL, 0));
	jval_free(base);
	jval_free(a);
	jval_free(b);
}

static void test_latency_percent_and_floor(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4);
	struct jval *up24 = report(1000, 0, 12400, 0, 4.4), *up26 = report(1000, 0, 12600, 0, 4.4);
	struct jval *fast = report(1000, 0, 2000, 0, 4.4), *fast40 = report(1000, 0, 2800, 0, 4.4);
	static const char *const t10[] = {"latency.time_to_tunnel=10"};
	static const char *const both[] = {"latency=10", "latency.time_to_tunnel.p99=30"};
	static const char *const off[] = {"latency.time_to_tunnel.p99=off"};

	(void)state;
	/* default 25% for p99 */
	assert_false(regressed(base, up24, "latency.time_to_tunnel.p99", NULL, 0));
	assert_true(regressed(base, up26, "latency.time_to_tunnel.p99", NULL, 0));
	/* a prefix applies to what is under it; the longest name wins */
	assert_true(regressed(base, up24, "latency.time_to_tunnel.p99", t10, 1));
	assert_false(regressed(base, up26, "latency.time_to_tunnel.p99", both, 2));
	assert_true(regressed(base, up26, "latency.time_to_tunnel.p999", both, 2));
	assert_false(regressed(base, up26, "latency.time_to_tunnel.p99", off, 1));
	/* max is shown, not judged, by default */
	assert_false(regressed(base, up26, "latency.time_to_tunnel.max", NULL, 0));
	/* +40% of 2 ms is 0.8 ms: under the 1 ms floor */
	assert_false(regressed(fast, fast40, "latency.time_to_tunnel.p99", NULL, 0));
	jval_free(base);
	jval_free(up24);
	jval_free(up26);
	jval_free(fast);
	jval_free(fast40);
}

static void test_counts_from_zero(void **state)
{
	struct jval *none = report(1000, 0, 10000, 0, 4.4), *one = report(1000, 1, 10000, 0, 4.4);
	struct jval *ten = report(1000, 10, 10000, 0, 4.4),
		    *eleven = report(1000, 11, 10000, 0, 4.4);
	struct jval *twelve = report(1000, 12, 10000, 0, 4.4);
	static const char *const off[] = {"failures=off"};

	(void)state;
	assert_true(regressed(none, one, "failures.TlsRefused", NULL, 0));
	assert_true(regressed(none, one, "failures", NULL, 0));
	assert_false(regressed(none, one, "failures.TlsRefused", off, 1));
	/* 10% of 10: 11 is within, 12 is not */
	assert_false(regressed(ten, eleven, "failures.TlsRefused", NULL, 0));
	assert_true(regressed(ten, twelve, "failures.TlsRefused", NULL, 0));
	/* a reason gone is an improvement, with a row saying so */
	assert_false(regressed(ten, none, "failures.TlsRefused", NULL, 0));
	jval_free(none);
	jval_free(one);
	jval_free(ten);
	jval_free(eleven);
	jval_free(twelve);
}

static void test_rtp(void **state)
{
	struct jval *base = report(1000, 0, 10000, 10, 4.40);
	struct jval *lossy = report(1000, 0, 10000, 70, 4.40),
		    *bad_mos = report(1000, 0, 10000, 10, 4.28);
	struct jval *ok_mos = report(1000, 0, 10000, 10, 4.33);

	(void)state;
	/* 0.1% -> 0.7%: 0.6 points */
	assert_true(regressed(base, lossy, "rtp.loss", NULL, 0));
	/* MOS, higher is better, 2%: 4.40 -> 4.33 is -1.6%, 4.28 is -2.7% */
	assert_false(regressed(base, ok_mos, "rtp.mos", NULL, 0));
	assert_true(regressed(base, bad_mos, "rtp.mos", NULL, 0));
	jval_free(base);
	jval_free(lossy);
	jval_free(bad_mos);
	jval_free(ok_mos);
}

static void test_rows_and_table(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4), *new = report(990, 3, 20000, 0, 4.4);
	struct compare_row *rows;
	size_t n;
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f;
	int reg;

	(void)state;
	reg = compare_reports(base, new, NULL, 0, &rows, &n);
	/* tunnels_up, dtls_up, failed (1 point each), failures, failures.TlsRefused, p99, p999;
	 * peak_concurrent is down 1%, just within its tolerance */
	assert_int_equal(reg, 7);
	/* dpd_rtt has no samples on either side: no rows */
	assert_null(row(rows, n, "latency.dpd_rtt.p99"));
	/* tunnels_dropped is 0 on both sides: left out; tunnels_up always there */
	assert_null(row(rows, n, "tunnels_dropped"));
	assert_non_null(row(rows, n, "tunnels_up"));
	f = open_memstream(&text, &len);
	compare_print(f, rows, n);
	fclose(f);
	line = strstr(text, "\nlatency.time_to_tunnel.p99 ");
	assert_non_null(line);
	line = strtok(line + 1, "\n");
	assert_non_null(strstr(line, "10.00 ms"));
	assert_non_null(strstr(line, "20.00 ms"));
	assert_non_null(strstr(line, "+100.0%"));
	assert_non_null(strstr(line, "25%"));
	assert_non_null(strstr(line, "REGRESSION"));
	free(text);
	free(rows);
	jval_free(base);
	jval_free(new);
}

static void write_report(const char *path, unsigned up)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
		"{\"phones\": {\"configured\": 100, \"tunnels_up\": %u}, \"failures\": {},"
		" \"latency_us\": {}}\n",
		up);
	fclose(f);
}

static void test_command_exit_status(void **state)
{
	char dir[] = "/tmp/test_compare_XXXXXX", a[64], b[64], bad[64];
	char *ok_args[] = {"compare", dir, b, NULL};
	char *reg_args[] = {"compare", a, b, NULL};
	char *tol_args[] = {"compare", a, b, "--tolerance", "tunnels_up=6", NULL};
	char *usage1[] = {"compare", a, NULL};
	char *usage2[] = {"compare", a, b, "--tolerance", "bogus=1", NULL};
	char *unreadable[] = {"compare", a, bad, NULL};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/report.json", dir);
	snprintf(b, sizeof(b), "%s/new.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	write_report(a, 100);
	write_report(b, 95);
	FILE *f = fopen(bad, "w");
	fputs("{\"phones\": ", f);
	fclose(f);

	assert_int_equal(quietly(compare_main, 3, reg_args), 1);
	assert_int_equal(quietly(compare_main, 5, tol_args), 0);
	/* a directory stands for its report.json; NEW better than BASE is fine */
	ok_args[1] = b;
	ok_args[2] = dir;
	assert_int_equal(quietly(compare_main, 3, ok_args), 0);
	assert_int_equal(quietly(compare_main, 2, usage1), 2);
	assert_int_equal(quietly(compare_main, 5, usage2), 2);
	assert_int_equal(quietly(compare_main, 3, unreadable), 2);
	unlink(a);
	unlink(b);
	unlink(bad);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tolerance_names),
	    cmocka_unit_test(test_shares_in_points),
	    cmocka_unit_test(test_latency_percent_and_floor),
	    cmocka_unit_test(test_counts_from_zero),
	    cmocka_unit_test(test_rtp),
	    cmocka_unit_test(test_rows_and_table),
	    cmocka_unit_test(test_command_exit_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
