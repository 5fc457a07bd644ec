/*
 * tests/unit/test_compare.c - report/compare and "phoneswarm compare":
 * tolerance names and values, which tolerance applies, where the line
 * between a regression and noise lies for each kind of figure, figures
 * that vanish from NEW, the warnings about runs that are not like for
 * like, the table, and the command's exit status and output on real files.
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
 * A report.json as a run writes it (every field the contract requires,
 * and lost_up and lost_down, which rtp.loss is computed from as [expect]
 * computes it), with the figures the tests vary: tunnels up, failures of one reason,
 * time_to_tunnel p99 (us), RTP loss (lost of 10000 sent), MOS. Into text.
 */
static void report_text(char *text, size_t len, unsigned up, unsigned refused, unsigned p99,
			unsigned lost, double mos)
{
	char fail[64] = "";

	if (refused)
		snprintf(fail, sizeof(fail), "\"TlsRefused\": %u", refused);
	snprintf(
	    text, len,
	    "{\"tool\": \"phoneswarm\", \"scenario\": \"s.ini\", \"headend\": \"https://h/\","
	    " \"dtls_mode\": \"auto\","
	    " \"phones\": {\"configured\": 1000, \"attempted\": 1000, \"tunnels_up\": %u,"
	    "  \"dtls_up\": %u, \"peak_concurrent\": %u, \"failed\": %u, \"tunnels_dropped\": 0},"
	    " \"failures\": {%s},"
	    " \"latency_us\": {"
	    "  \"time_to_tunnel\": {\"count\": 1000, \"min\": 900, \"p50\": 2000, \"p90\": 5000,"
	    "    \"p99\": %u, \"p999\": %u, \"max\": %u, \"mean\": 3000},"
	    "  \"dpd_rtt\": {\"count\": 0, \"min\": 0, \"p50\": 0, \"p90\": 0, \"p99\": 0,"
	    "    \"p999\": 0, \"max\": 0, \"mean\": 0}},"
	    " \"rtp\": {\"sent\": 10000, \"received\": 10000, \"lost\": %u, \"lost_up\": %u,"
	    "  \"lost_down\": 0, \"loss_up_pct\": 0,"
	    "  \"loss_down_pct\": 0, \"mos_mean\": %g, \"mos_min\": 3.9},"
	    " \"expectations\": [],"
	    " \"resources\": {\"cpu_user_s\": 1, \"cpu_sys_s\": 1, \"cpu_ms_per_tunnel\": 2.5,"
	    "  \"kib_per_connected_phone\": 60, \"max_rss_kb\": 90000}}",
	    up, up, up, 1000 - up, fail, p99, p99, p99, lost, lost, mos);
}

/* text with the first cut replaced by paste. */
static void edit(char *text, size_t len, const char *cut, const char *paste)
{
	char *at = strstr(text, cut), tail[4096];

	if (!at)
		fail_msg("no \"%s\" to cut", cut);
	snprintf(tail, sizeof(tail), "%s", at + strlen(cut));
	snprintf(at, len - (size_t)(at - text), "%s%s", paste, tail);
}

static struct jval *parse(const char *text)
{
	char err[256];
	struct jval *v = jval_parse(text, strlen(text), err, sizeof(err));

	if (!v)
		fail_msg("%s", err);
	return v;
}

static struct jval *report(unsigned up, unsigned refused, unsigned p99, unsigned lost, double mos)
{
	char text[4096];

	report_text(text, sizeof(text), up, refused, p99, lost, mos);
	return parse(text);
}

/* The usual report (all up, no failure), with cut replaced by paste. */
static struct jval *report_edited(const char *cut, const char *paste)
{
	char text[4096];

	report_text(text, sizeof(text), 1000, 0, 10000, 0, 4.4);
	edit(text, sizeof(text), cut, paste);
	return parse(text);
}

static const struct compare_row *row(const struct compare_row *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/* Compares base and new with the tolerances given; the rows (to free) and the regressions. */
static int rows_of(const struct jval *base, const struct jval *new, const char *const *tol_args,
		   size_t n_tol, struct compare_row **rows, size_t *n)
{
	struct compare_tol tols[8];
	char why[512];
	int reg;

	for (size_t i = 0; i < n_tol; i++)
		if (compare_tol_parse(tol_args[i], &tols[i], why, sizeof(why)))
			fail_msg("%s", why);
	reg = compare_reports(base, new, tols, n_tol, rows, n);
	assert_true(reg >= 0);
	return reg;
}

/* Compares, and says whether metric name regressed (failing if it has no row). */
static bool regressed(const struct jval *a, const struct jval *b, const char *name,
		      const char *const *tol_args, size_t n_tol)
{
	struct compare_row *rows;
	const struct compare_row *r;
	size_t n;
	bool reg;

	rows_of(a, b, tol_args, n_tol, &rows, &n);
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

#define TTT_MEMBER                                                                                 \
	"  \"time_to_tunnel\": {\"count\": 1000, \"min\": 900, \"p50\": 2000, \"p90\": 5000,"      \
	"    \"p99\": 10000, \"p999\": 10000, \"max\": 10000, \"mean\": 3000},"

static void test_vanished_latency(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4);
	struct jval *empty = report_edited("\"time_to_tunnel\": {\"count\": 1000",
					   "\"time_to_tunnel\": {\"count\": 0");
	struct jval *gone = report_edited(TTT_MEMBER, "");
	static const char *const off[] = {"latency.time_to_tunnel=off"};
	static const char *const all_off[] = {"latency=off"};
	static const char *const p99_off[] = {"latency.time_to_tunnel.p99=off"};
	struct jval *news[] = {empty, gone};
	const struct compare_row *r;
	struct compare_row *rows;
	size_t n;

	(void)state;
	/* no samples in NEW, or no such metric at all: one row, a regression */
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(rows_of(base, news[k], NULL, 0, &rows, &n), 1);
		r = row(rows, n, "latency.time_to_tunnel");
		assert_non_null(r);
		assert_true(r->vanished && r->regression);
		assert_true(r->has_base && !r->has_new);
		assert_true(r->base == 1000);
		assert_string_equal(r->what, "samples");
		/* instead of a row per statistic */
		assert_null(row(rows, n, "latency.time_to_tunnel.p99"));
		free(rows);
	}
	/* "off" for the metric or above it: shown, not counted; off for one statistic is not */
	assert_int_equal(rows_of(base, empty, off, 1, &rows, &n), 0);
	assert_true(row(rows, n, "latency.time_to_tunnel")->vanished);
	assert_false(row(rows, n, "latency.time_to_tunnel")->regression);
	free(rows);
	assert_int_equal(rows_of(base, empty, all_off, 1, &rows, &n), 0);
	free(rows);
	assert_int_equal(rows_of(base, empty, p99_off, 1, &rows, &n), 1);
	free(rows);
	/* a metric that appears in NEW is no regression */
	assert_int_equal(rows_of(empty, base, NULL, 0, &rows, &n), 0);
	r = row(rows, n, "latency.time_to_tunnel.p99");
	assert_non_null(r);
	assert_false(r->has_base);
	assert_false(r->vanished);
	free(rows);
	jval_free(base);
	jval_free(empty);
	jval_free(gone);
}

static void test_vanished_counters(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4);
	struct jval *no_drops = report_edited(", \"tunnels_dropped\": 0", "");
	struct jval *no_rtp =
	    report_edited("\"sent\": 10000, \"received\": 10000", "\"sent\": 0, \"received\": 0");
	struct jval *no_mos = report_edited("\"mos_mean\": 4.4", "\"mos_mean\": null");
	static const char *const rtp_off[] = {"rtp=off"};
	const struct compare_row *r;
	struct compare_row *rows;
	size_t n;

	(void)state;
	/* a counter BASE has (even at 0) and NEW lacks */
	assert_int_equal(rows_of(base, no_drops, NULL, 0, &rows, &n), 1);
	r = row(rows, n, "tunnels_dropped");
	assert_non_null(r);
	assert_true(r->vanished && r->regression);
	assert_null(r->what);
	free(rows);
	/* RTP sent in BASE, none in NEW: one row for all of RTP */
	assert_int_equal(rows_of(base, no_rtp, NULL, 0, &rows, &n), 1);
	r = row(rows, n, "rtp");
	assert_non_null(r);
	assert_true(r->vanished && r->regression);
	assert_true(r->base == 10000);
	assert_null(row(rows, n, "rtp.mos"));
	free(rows);
	assert_int_equal(rows_of(base, no_rtp, rtp_off, 1, &rows, &n), 0);
	free(rows);
	/* calls scored in BASE, none in NEW */
	assert_int_equal(rows_of(base, no_mos, NULL, 0, &rows, &n), 1);
	assert_true(row(rows, n, "rtp.mos")->regression);
	assert_true(row(rows, n, "rtp.mos")->vanished);
	free(rows);
	jval_free(base);
	jval_free(no_drops);
	jval_free(no_rtp);
	jval_free(no_mos);
}

/* The line of text that starts with start (NUL-terminated copy in line), or fail. */
static void line_of(const char *text, const char *start, char *line, size_t len)
{
	const char *at = text;

	while (at && strncmp(at, start, strlen(start))) {
		at = strchr(at, '\n');
		at = at ? at + 1 : NULL;
	}
	if (!at)
		fail_msg("no line starting \"%s\" in:\n%s", start, text);
	snprintf(line, len, "%.*s", (int)strcspn(at, "\n"), at);
}

static void test_vanished_printed(void **state)
{
	struct jval *base = report(1000, 0, 10000, 0, 4.4);
	struct jval *new = report_edited(TTT_MEMBER, "");
	struct jval *no_drops = report_edited(", \"tunnels_dropped\": 0", "");
	static const char *const off[] = {"latency=off"};
	char *text = NULL, line[256];
	struct compare_row *rows;
	size_t n, len = 0;
	FILE *f;

	(void)state;
	rows_of(base, new, NULL, 0, &rows, &n);
	f = open_memstream(&text, &len);
	compare_print(f, rows, n);
	fclose(f);
	free(rows);
	line_of(text, "latency.time_to_tunnel ", line, sizeof(line));
	assert_non_null(strstr(line, " 1000 "));
	assert_non_null(strstr(line, " none "));
	assert_non_null(strstr(line, " vanished "));
	assert_non_null(strstr(line, "REGRESSION"));
	line_of(text, "VANISHED ", line, sizeof(line));
	assert_string_equal(line,
			    "VANISHED latency.time_to_tunnel: 1000 samples in BASE, none in NEW");
	free(text);
	text = NULL;

	rows_of(base, new, off, 1, &rows, &n);
	f = open_memstream(&text, &len);
	compare_print(f, rows, n);
	fclose(f);
	free(rows);
	line_of(text, "VANISHED ", line, sizeof(line));
	assert_string_equal(line, "VANISHED latency.time_to_tunnel: 1000 samples in BASE, none in "
				  "NEW (tolerance off: not counted)");
	line_of(text, "latency.time_to_tunnel ", line, sizeof(line));
	assert_null(strstr(line, "REGRESSION"));
	free(text);
	text = NULL;

	rows_of(base, no_drops, NULL, 0, &rows, &n);
	f = open_memstream(&text, &len);
	compare_print(f, rows, n);
	fclose(f);
	free(rows);
	line_of(text, "VANISHED ", line, sizeof(line));
	assert_string_equal(line, "VANISHED tunnels_dropped: 0 in BASE, absent from NEW");
	free(text);
	jval_free(base);
	jval_free(new);
	jval_free(no_drops);
}

/* compare_warnings() of the usual report against it edited (before/ and after/); its count. */
static int warnings_of(const char *cut, const char *paste, bool edit_base, char **text)
{
	struct jval *usual = report(1000, 0, 10000, 0, 4.4), *edited = report_edited(cut, paste);
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int n = edit_base ? compare_warnings(f, edited, "before/", usual, "after/")
			  : compare_warnings(f, usual, "before/", edited, "after/");

	fclose(f);
	jval_free(usual);
	jval_free(edited);
	return n;
}

static void expect_warning(const char *cut, const char *paste, bool edit_base, const char *want)
{
	char *text = NULL;
	int n = warnings_of(cut, paste, edit_base, &text);

	if (!want && (n || *text))
		fail_msg("%s -> %s: expected no warning, got %d:\n%s", cut, paste, n, text);
	if (want && (n != 1 || strncmp(text, want, strlen(want)) || text[strlen(want)] != '\n'))
		fail_msg("%s -> %s: expected one warning \"%s\", got %d:\n%s", cut, paste, want, n,
			 text);
	free(text);
}

static void test_warnings(void **state)
{
	(void)state;
	expect_warning("\"s.ini\"", "\"s.ini\"", false, NULL);
	/* the same scenario file, elsewhere: no warning */
	expect_warning("\"s.ini\"", "\"/srv/scenarios/s.ini\"", false, NULL);
	expect_warning("\"s.ini\"", "\"t.ini\"", false,
		       "WARNING: the runs are of different scenarios: s.ini in BASE, t.ini in NEW");
	expect_warning("\"dtls_mode\": \"auto\"", "\"dtls_mode\": \"off\"", false,
		       "WARNING: the runs have different DTLS modes: auto in BASE, off in NEW");
	expect_warning("\"dtls_mode\": \"auto\",", "\"dtls_mode\": \"auto\", \"client\": \"phone\",",
		       false,
		       "WARNING: the phones logged in differently: phones.client anyconnect in BASE, "
		       "phone in NEW");
	expect_warning("\"dtls_mode\": \"auto\",", "\"dtls_mode\": \"auto\", \"client\": \"anyconnect\",",
		       true, NULL);
	expect_warning("\"configured\": 1000", "\"configured\": 500", false,
		       "WARNING: the runs have different fleet sizes: 1000 phones in BASE, 500 in "
		       "NEW: counts are compared as they are, shares are of each run's fleet");
	/* a run that did not complete, either side; an older report (no field) did */
	expect_warning("{\"tool\"",
		       "{\"completed\": false, \"stopped_early\": \"SIGINT at 12.3 s of 60 s\", "
		       "\"tool\"",
		       false, "WARNING: NEW (after/) did not complete (SIGINT at 12.3 s of 60 s)");
	expect_warning("{\"tool\"", "{\"completed\": false, \"tool\"", true,
		       "WARNING: BASE (before/) did not complete (stopped early; it does not say "
		       "why)");
	expect_warning("{\"tool\"", "{\"completed\": true, \"stopped_early\": null, \"tool\"",
		       false, NULL);
	/* a partial merge */
	expect_warning("{\"tool\"",
		       "{\"merged_runs\": 1, \"shards_missing\": [1], \"runs_incomplete\": [], "
		       "\"tool\"",
		       true, "WARNING: BASE (before/) is a partial merge: shard 1/2 missing");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A report as a run writes it, refused failures added (a regression from none), with an edit. */
static void write_report(const char *path, unsigned refused, const char *cut, const char *paste)
{
	char text[4096];

	report_text(text, sizeof(text), 1000, refused, 10000, 0, 4.4);
	if (cut)
		edit(text, sizeof(text), cut, paste);
	write_text(path, text);
}

static void test_command_exit_status(void **state)
{
	char dir[] = "/tmp/test_compare_XXXXXX", a[64], b[64], bad[64], gone[64], notrep[64];
	char stopped[64], out[16384], want[256];
	char *ok_args[] = {"compare", dir, b, NULL};
	char *reg_args[] = {"compare", a, b, NULL};
	char *tol_args[] = {"compare", a, b, "--tolerance", "failures=off", NULL};
	char *usage1[] = {"compare", a, NULL};
	char *usage2[] = {"compare", a, b, "--tolerance", "bogus=1", NULL};
	char *unreadable[] = {"compare", a, bad, NULL};
	char *vanished[] = {"compare", a, gone, NULL};
	char *not_report[] = {"compare", a, notrep, NULL};
	char *not_complete[] = {"compare", a, stopped, NULL};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/report.json", dir);
	snprintf(b, sizeof(b), "%s/new.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	snprintf(gone, sizeof(gone), "%s/gone.json", dir);
	snprintf(notrep, sizeof(notrep), "%s/phones.json", dir);
	snprintf(stopped, sizeof(stopped), "%s/stopped.json", dir);
	write_report(a, 0, NULL, NULL);
	write_report(b, 3, NULL, NULL);
	write_text(bad, "{\"phones\": ");
	write_report(gone, 0, TTT_MEMBER, "");
	write_text(notrep, "{\"phones\": {}}\n");
	write_report(stopped, 0, "{\"tool\"",
		     "{\"completed\": false, \"stopped_early\": \"SIGINT at 12.3 s of 60 s\", "
		     "\"tool\"");

	assert_int_equal(quietly(compare_main, 3, reg_args), 1);
	assert_int_equal(quietly(compare_main, 5, tol_args), 0);
	/* a directory stands for its report.json; NEW better than BASE is fine */
	ok_args[1] = b;
	ok_args[2] = dir;
	assert_int_equal(quietly(compare_main, 3, ok_args), 0);
	assert_int_equal(quietly(compare_main, 2, usage1), 2);
	assert_int_equal(quietly(compare_main, 5, usage2), 2);
	assert_int_equal(quietly(compare_main, 3, unreadable), 2);

	/* a latency metric gone from NEW: a regression, said so */
	assert_int_equal(captured(compare_main, 3, vanished, out, sizeof(out)), 1);
	line_of(out, "VANISHED ", want, sizeof(want));
	assert_string_equal(want,
			    "VANISHED latency.time_to_tunnel: 1000 samples in BASE, none in NEW");
	assert_non_null(strstr(out, "\n1 regression beyond tolerance (1 vanished from NEW)\n"));
	/* not a report: refused, the file and what it lacks named */
	assert_int_equal(captured(compare_main, 3, not_report, out, sizeof(out)), 2);
	snprintf(want, sizeof(want),
		 "phoneswarm compare: %s: not a phoneswarm report.json: no phones.configured\n",
		 notrep);
	assert_string_equal(out, want);
	/* a run that did not complete: compared, with a warning before and after the table */
	assert_int_equal(captured(compare_main, 3, not_complete, out, sizeof(out)), 0);
	snprintf(want, sizeof(want),
		 "\nWARNING: NEW (%s) did not complete (SIGINT at 12.3 s of 60 s)\n", stopped);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\nno regression beyond tolerance\nWARNING: 1 warning above: "
				    "the runs are not like for like"));
	unlink(a);
	unlink(b);
	unlink(bad);
	unlink(gone);
	unlink(notrep);
	unlink(stopped);
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
	    cmocka_unit_test(test_vanished_latency),
	    cmocka_unit_test(test_vanished_counters),
	    cmocka_unit_test(test_vanished_printed),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_command_exit_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
