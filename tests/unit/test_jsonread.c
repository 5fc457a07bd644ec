/*
 * tests/unit/test_jsonread.c - report/jsonread: every kind of value, every
 * escape, numbers exact where they are whole, errors with their place, and
 * what report/json and report_write_json() write, read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/stats/hist.h"
#include "report/json.h"
#include "report/jsonread.h"
#include "report/report.h"

static struct jval *parse(const char *text)
{
	char err[256];
	struct jval *v = jval_parse(text, strlen(text), err, sizeof(err));

	if (!v)
		fail_msg("parsing %s: %s", text, err);
	return v;
}

static void test_all_kinds(void **state)
{
	struct jval *v = parse(" {\"a\": [1, -2.5, true, false, null, \"s\", {}, []],\n"
			       "  \"b\": {\"c\": {\"d\": 7}}, \"a\": \"again\"} ");
	const struct jval *a;

	(void)state;
	assert_int_equal(v->type, JVAL_OBJ);
	assert_int_equal(v->n, 3);
	assert_string_equal(v->keys[0], "a");
	a = &v->items[0];
	assert_int_equal(a->type, JVAL_ARR);
	assert_int_equal(a->n, 8);
	assert_int_equal(jval_u64(&a->items[0], 99), 1);
	assert_true(jval_num(&a->items[1], 0) == -2.5);
	assert_int_equal(a->items[2].type, JVAL_BOOL);
	assert_true(a->items[2].b);
	assert_false(a->items[3].b);
	assert_int_equal(a->items[4].type, JVAL_NULL);
	assert_string_equal(jval_str(&a->items[5], NULL), "s");
	assert_int_equal(a->items[6].type, JVAL_OBJ);
	assert_int_equal(a->items[6].n, 0);
	assert_int_equal(a->items[7].type, JVAL_ARR);
	assert_int_equal(a->items[7].n, 0);
	/* the last of a repeated name wins */
	assert_string_equal(jval_str(jval_get(v, "a"), NULL), "again");
	assert_int_equal(jval_u64(jval_path(v, "b.c.d"), 0), 7);
	/* defaults for what is missing or of another type */
	assert_null(jval_path(v, "b.x.d"));
	assert_null(jval_get(a, "a"));
	assert_int_equal(jval_u64(jval_path(v, "b.c"), 5), 5);
	assert_true(jval_num(NULL, 1.5) == 1.5);
	assert_string_equal(jval_str(jval_path(v, "b.c.d"), "none"), "none");
	jval_free(v);
}

static void test_escapes(void **state)
{
	struct jval *v = parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00 "
			       "raw \xc3\xa9\"");

	(void)state;
	assert_string_equal(v->str, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
				    "raw \xc3\xa9");
	jval_free(v);
}

static void test_numbers(void **state)
{
	struct jval *v = parse("[0, -0, 18446744073709551615, 18446744073709551616, 1.5e3, "
			       "1E-2, -7, 12.0, 9007199254740993]");

	(void)state;
	assert_true(v->items[0].is_u64);
	assert_int_equal(v->items[0].u, 0);
	assert_false(v->items[1].is_u64);
	assert_int_equal(jval_u64(&v->items[1], 9), 0);
	assert_true(v->items[2].is_u64);
	assert_int_equal(jval_u64(&v->items[2], 0), UINT64_MAX);
	assert_false(v->items[3].is_u64); /* beyond uint64_t: a double only */
	assert_int_equal(jval_u64(&v->items[3], 3), 3);
	assert_true(jval_num(&v->items[4], 0) == 1500);
	assert_int_equal(jval_u64(&v->items[4], 0), 1500);
	assert_true(jval_num(&v->items[5], 0) == 0.01);
	assert_int_equal(jval_u64(&v->items[6], 4), 4);
	assert_true(jval_num(&v->items[6], 0) == -7);
	assert_int_equal(jval_u64(&v->items[7], 0), 12);
	assert_int_equal(jval_u64(&v->items[8], 0), 9007199254740993ULL); /* not via double */
	jval_free(v);
}

static void expect_error(const char *text, const char *want)
{
	char err[256];
	struct jval *v = jval_parse(text, strlen(text), err, sizeof(err));

	if (v)
		fail_msg("%s: parsed, expected \"%s\"", text, want);
	if (strcmp(err, want))
		fail_msg("%s: expected \"%s\", got \"%s\"", text, want, err);
}

static void test_errors(void **state)
{
	char deep[200];

	(void)state;
	expect_error("", "line 1, column 1: expected a value");
	expect_error("[1,]", "line 1, column 4: bad number");
	expect_error("{\"a\" 1}", "line 1, column 6: expected ':'");
	expect_error("{\"a\": 1,\n 2}", "line 2, column 2: expected a member name");
	expect_error("[1 2]", "line 1, column 4: expected ',' or ']'");
	expect_error("tru", "line 1, column 1: unknown word");
	expect_error("\"abc", "line 1, column 5: unterminated string");
	expect_error("01", "line 1, column 2: text after the value");
	expect_error("1.", "line 1, column 1: bad number: digits must follow '.'");
	expect_error("1e+", "line 1, column 1: bad number: digits must follow the exponent");
	expect_error("-", "line 1, column 1: bad number");
	expect_error("\"\\x\"", "line 1, column 3: bad escape \\x");
	expect_error("\"\\u12\"", "line 1, column 4: \\u needs four hex digits");
	expect_error("\"\\ud800 \"",
		     "line 1, column 8: high surrogate \\ud800 without its low half");
	expect_error("\"\\udc00\"", "line 1, column 8: lone low surrogate \\udc00");
	expect_error("\"\\u0000\"", "line 1, column 8: \\u0000 in a string");
	expect_error("\"a\x01\"", "line 1, column 3: control character 0x01 in a string");
	expect_error("[1] 2", "line 1, column 5: text after the value");
	memset(deep, '[', 65);
	deep[65] = '\0';
	expect_error(deep, "line 1, column 65: nested deeper than 64");
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	deep[128] = '\0';
	jval_free(parse(deep));
}

/* What report/json writes comes back as written, escaping included. */
static void test_writer_round_trip(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;
	struct jval *v;

	(void)state;
	json_open(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "ctl", "tab\there \x01\x1f quote\" back\\ nl\n");
	json_str(&j, "bad utf8",
		 "a\xff"
		 "b");
	json_uint(&j, "big", UINT64_MAX);
	json_int(&j, "neg", INT64_MIN);
	json_double(&j, "d", 0.1);
	json_double(&j, "nan", NAN);
	json_arr_begin(&j, "arr");
	json_bool(&j, NULL, true);
	json_arr_end(&j);
	json_obj_end(&j);
	assert_int_equal(json_close(&j), 0);
	fclose(f);

	v = parse(text);
	assert_string_equal(jval_str(jval_get(v, "ctl"), ""),
			    "tab\there \x01\x1f quote\" back\\ nl\n");
	assert_string_equal(jval_str(jval_get(v, "bad utf8"), ""), "a\xef\xbf\xbd"
								   "b");
	assert_int_equal(jval_u64(jval_get(v, "big"), 0), UINT64_MAX);
	assert_true(jval_num(jval_get(v, "neg"), 0) == (double)INT64_MIN);
	assert_true(jval_num(jval_get(v, "d"), 0) == 0.1);
	assert_int_equal(jval_get(v, "nan")->type, JVAL_NULL);
	assert_true(jval_path(v, "arr")->items[0].b);
	jval_free(v);
	free(text);
}

/* report.json, as a run writes it, read back. */
static void test_report_json(void **state)
{
	struct swarm_config cfg;
	struct run_result r;
	struct hist *h[M__COUNT];
	char path[] = "/tmp/test_jsonread_XXXXXX", err[256];
	int fd = mkstemp(path);
	struct jval *v;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	config_defaults(&cfg);
	cfg.url = "https://vpn.lab.test/";
	cfg.count = 10;
	memset(&r, 0, sizeof(r));
	r.scenario = "scenarios/x.ini";
	r.cfg = &cfg;
	r.st.tunnels_up = 9;
	r.st.failures[R_TLS_REFUSED] = 1;
	for (int m = 0; m < M__COUNT; m++) {
		h[m] = hist_new();
		r.lat[m] = h[m];
	}
	for (int k = 1; k <= 100; k++)
		hist_record(h[M_TIME_TO_TUNNEL], (uint64_t)k * 1000);
	assert_int_equal(report_write_json(&r, path), 0);

	v = jval_load(path, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(jval_str(jval_get(v, "headend"), ""), "https://vpn.lab.test/");
	assert_int_equal(jval_u64(jval_path(v, "phones.configured"), 0), 10);
	assert_int_equal(jval_u64(jval_path(v, "phones.tunnels_up"), 0), 9);
	assert_int_equal(jval_u64(jval_path(v, "failures.TlsRefused"), 0), 1);
	assert_int_equal(jval_u64(jval_path(v, "latency_us.time_to_tunnel.p99"), 0),
			 hist_percentile(h[M_TIME_TO_TUNNEL], 99));
	assert_int_equal(jval_u64(jval_path(v, "latency_us.time_to_tunnel.count"), 0), 100);
	assert_int_equal(jval_path(v, "rtp.mos_mean")->type, JVAL_NULL);
	jval_free(v);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(h[m]);
	unlink(path);

	assert_null(jval_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_kinds),	      cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_numbers),	      cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_writer_round_trip), cmocka_unit_test(test_report_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
