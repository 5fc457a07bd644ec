/*
 * tests/unit/test_series.c - report/series: timeseries.csv read back.
 *
 * Row splitting (empty cells, line ends, more cells than room), reading a
 * file by column name with empty cells as NaN and the events column as
 * text, strict numbers ("nan", "inf" and hex are not numbers here), a last
 * line cut short, and the errors that name the line at fault; and rows
 * written by series_write() read back to what was written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats/stats.h"
#include "engine/stats/hist.h"
#include "report/series.h"

static const char *const text_cols[] = {"events", NULL};

/* Loads text as a file; returns the code, *s set on success. */
static int load(const char *text, struct series **s, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	err[0] = '\0';
	rc = series_load(f, text_cols, s, err, errlen);
	fclose(f);
	return rc;
}

static void test_split(void **state)
{
	char line[] = "a,b,,c\r\n", empty[] = "", one[] = "x\n", many[] = "1,2,3,4,5";
	char *cells[4];

	(void)state;
	assert_int_equal(series_split(line, cells, 4), 4);
	assert_string_equal(cells[0], "a");
	assert_string_equal(cells[1], "b");
	assert_string_equal(cells[2], "");
	assert_string_equal(cells[3], "c"); /* no "\r" left */

	assert_int_equal(series_split(empty, cells, 4), 1);
	assert_string_equal(cells[0], "");
	assert_int_equal(series_split(one, cells, 4), 1);
	assert_string_equal(cells[0], "x");

	/* more cells than room: counted, the first ones stored */
	assert_int_equal(series_split(many, cells, 2), 5);
	assert_string_equal(cells[0], "1");
	assert_string_equal(cells[1], "2");
}

static void test_load(void **state)
{
	const char *csv = "t_s,interval_s,up,ttt_p50_ms,fail_TcpRefused,events\n"
			  "1.000,1.000,10,12.5,0,\n"
			  "2.000,1.000,25,,3,restart|dns\r\n"
			  "\n"
			  "3.000,1.000,40,9.25,-1,1e5\n";
	struct series *s;
	char err[128];
	int c;

	(void)state;
	assert_int_equal(load(csv, &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 3);
	assert_int_equal(series_columns(s), 6);
	assert_string_equal(series_name(s, 2), "up");
	assert_int_equal(series_find(s, "t_s"), 0);
	assert_int_equal(series_find(s, "nothing"), -1);

	c = series_find(s, "up");
	assert_true(series_values(s, c)[0] == 10 && series_values(s, c)[1] == 25 &&
		    series_values(s, c)[2] == 40);
	c = series_find(s, "ttt_p50_ms");
	assert_true(series_values(s, c)[0] == 12.5);
	assert_true(isnan(series_values(s, c)[1])); /* empty: no samples */
	assert_true(series_values(s, c)[2] == 9.25);
	assert_true(series_values(s, series_find(s, "fail_TcpRefused"))[2] == -1);

	/* the events column is kept as text; others are not */
	c = series_find(s, "events");
	assert_null(series_text(s, c, 0));
	assert_string_equal(series_text(s, c, 1), "restart|dns");
	assert_string_equal(series_text(s, c, 2), "1e5"); /* a name that looks like a number */
	assert_null(series_text(s, series_find(s, "up"), 1));
	assert_true(isnan(series_values(s, c)[1]));
	series_free(s);
}

static void test_not_numbers(void **state)
{
	const char *csv = "t_s,a,b,c,d,e\n1,nan,inf,0x10,-,+5\n";
	struct series *s;
	char err[128];

	(void)state;
	assert_int_equal(load(csv, &s, err, sizeof(err)), 0);
	for (int c = 1; c <= 4; c++)
		assert_true(isnan(series_values(s, c)[0]));
	assert_true(series_values(s, 5)[0] == 5);
	series_free(s);
}

static void test_truncated_last_line(void **state)
{
	struct series *s;
	char err[128];

	(void)state;
	/* killed while writing the last row: dropped */
	assert_int_equal(load("t_s,up,dtls\n1,2,3\n2,4", &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 1);
	series_free(s);
	/* complete but without its newline: kept */
	assert_int_equal(load("t_s,up,dtls\n1,2,3\n2,4,5", &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 2);
	assert_true(series_values(s, 2)[1] == 5);
	series_free(s);
	/* header only: no rows */
	assert_int_equal(load("t_s,up\n", &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 0);
	series_free(s);
}

static void test_errors(void **state)
{
	struct series *s = (struct series *)1;
	char err[128];

	(void)state;
	assert_int_equal(load("t_s,up\n1,2\n2,3,4\n3,4\n", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "line 3: 3 cells, the header has 2");
	assert_int_equal(load("t_s,up\n1\n2,3\n", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: 1 cells, the header has 2");
	assert_int_equal(load("time,up\n1,2\n", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(load("", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "empty file");
	assert_int_equal(series_read("/nonexistent/timeseries.csv", text_cols, &s, err,
				     sizeof(err)),
			 -ENOENT);
	assert_null(s);
	assert_string_equal(err, strerror(ENOENT));
}

static void test_many_rows(void **state)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct series *s;
	char err[128];

	(void)state;
	fputs("t_s,up,events\n", f);
	for (int i = 1; i <= 100000; i++)
		fprintf(f, "%d.000,%d,%s\n", i, i * 2, i % 1000 ? "" : "tick");
	fclose(f);
	assert_int_equal(load(buf, &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 100000);
	assert_true(series_values(s, 1)[99999] == 200000);
	assert_true(series_values(s, 0)[4999] == 5000);
	assert_string_equal(series_text(s, 2, 999), "tick");
	assert_null(series_text(s, 2, 1000));
	series_free(s);
	free(buf);
}

static double at(const struct series *s, const char *col, size_t row)
{
	int c = series_find(s, col);

	if (c < 0) {
		fprintf(stderr, "no column %s\n", col);
		fail();
	}
	return series_values(s, c)[row];
}

static void test_round_trip(void **state)
{
	struct stats prev = {0}, now = {0};
	struct hist *lat[M__COUNT];
	char *buf = NULL, err[128];
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct series *s;

	(void)state;
	for (int m = 0; m < M__COUNT; m++)
		lat[m] = hist_new();
	series_header(f);
	now.attempted = 40;
	now.up_now = 35;
	now.tunnels_up = 36;
	now.failures[R_TCP_REFUSED] = 3;
	for (int v = 1; v <= 100; v++)
		hist_record(lat[M_TIME_TO_TUNNEL], (uint64_t)v * 1000); /* 1..100 ms */
	assert_int_equal(series_write(f, &(struct series_row){.t_s = 1, .interval_s = 1,
							      .now = &now, .prev = &prev,
							      .lat = (const struct hist *const *)lat,
							      .cpu_pct = 12.5, .rss_mib = 40,
							      .events = "restart|dns"}),
			 0);
	prev = now;
	now.attempted = 50;
	now.up_now = 12;
	for (int m = 0; m < M__COUNT; m++)
		hist_reset(lat[m]);
	assert_int_equal(series_write(f, &(struct series_row){.t_s = 2.5, .interval_s = 1.5,
							      .now = &now, .prev = &prev,
							      .lat = (const struct hist *const *)lat,
							      .events = ""}),
			 0);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(load(buf, &s, err, sizeof(err)), 0);
	assert_int_equal(series_rows(s), 2);
	assert_true(at(s, "t_s", 1) == 2.5 && at(s, "interval_s", 1) == 1.5);
	assert_true(at(s, "arrived", 0) == 40 && at(s, "arrived", 1) == 50);
	assert_true(at(s, "arrivals", 0) == 40 && at(s, "arrivals", 1) == 10);
	assert_true(at(s, "up", 1) == 12 && at(s, "tunnels_up", 0) == 36);
	assert_true(at(s, "fail_TcpRefused", 0) == 3 && at(s, "fail_TcpRefused", 1) == 0);
	assert_true(at(s, "failures", 0) == 3);
	assert_true(at(s, "ttt_count", 0) == 100);
	assert_true(fabs(at(s, "ttt_p50_ms", 0) - 50) < 0.1);
	assert_true(fabs(at(s, "ttt_p99_ms", 0) - 99) < 0.1);
	assert_true(isnan(at(s, "ttt_p50_ms", 1))); /* no sample in the second interval */
	assert_true(isnan(at(s, "rtp_rtt_p50_ms", 0)));
	assert_true(at(s, "cpu_pct", 0) == 12.5 && at(s, "rss_mib", 0) == 40);
	assert_string_equal(series_text(s, series_find(s, "events"), 0), "restart|dns");
	assert_null(series_text(s, series_find(s, "events"), 1));
	/* a fail_ column for every reason but R_NONE */
	for (int r = 1; r < R__COUNT; r++) {
		char name[64];

		snprintf(name, sizeof(name), "fail_%s", reason_name((enum reason)r));
		assert_true(series_find(s, name) > 0);
	}
	series_free(s);
	free(buf);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(lat[m]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),	     cmocka_unit_test(test_load),
		cmocka_unit_test(test_not_numbers),  cmocka_unit_test(test_truncated_last_line),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
