/*
 * tests/unit/test_json.c - report/json output, byte for byte.
 *
 * Each test writes a document into an open_memstream buffer and compares it
 * with the exact text expected (the layout jq prints), so commas, indentation,
 * escaping and number formats are all pinned down. Misuse and stream errors
 * must come back from json_close().
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

#include "report/json.h"
#include "tests/unit/skip.h"

struct buf {
	FILE *f;
	char *text;
	size_t len;
	struct json j;
};

static void buf_open(struct buf *b)
{
	b->text = NULL;
	b->f = open_memstream(&b->text, &b->len);
	assert_non_null(b->f);
	json_open(&b->j, b->f);
}

/* Closes the writer, expecting ret, then compares the text with want. */
static void buf_check(struct buf *b, int ret, const char *want)
{
	assert_int_equal(json_close(&b->j), ret);
	assert_int_equal(fclose(b->f), 0);
	assert_string_equal(b->text, want);
	free(b->text);
}

static void test_nested(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b);
	json_obj_begin(&b.j, NULL);
	json_obj_begin(&b.j, "phones");
	json_uint(&b.j, "configured", 1000);
	json_uint(&b.j, "tunnels_up", 998);
	json_obj_end(&b.j);
	json_obj_begin(&b.j, "failures");
	json_obj_end(&b.j);
	json_arr_begin(&b.j, "expectations");
	json_obj_begin(&b.j, NULL);
	json_str(&b.j, "name", "p99 tunnel");
	json_bool(&b.j, "ok", true);
	json_null(&b.j, "detail");
	json_obj_end(&b.j);
	json_arr_begin(&b.j, NULL);
	json_arr_end(&b.j);
	json_arr_begin(&b.j, NULL);
	json_int(&b.j, NULL, -1);
	json_bool(&b.j, NULL, false);
	json_arr_end(&b.j);
	json_arr_end(&b.j);
	json_double(&b.j, "cpu_user_s", 1.5);
	json_obj_end(&b.j);
	buf_check(&b, 0,
		  "{\n"
		  "  \"phones\": {\n"
		  "    \"configured\": 1000,\n"
		  "    \"tunnels_up\": 998\n"
		  "  },\n"
		  "  \"failures\": {},\n"
		  "  \"expectations\": [\n"
		  "    {\n"
		  "      \"name\": \"p99 tunnel\",\n"
		  "      \"ok\": true,\n"
		  "      \"detail\": null\n"
		  "    },\n"
		  "    [],\n"
		  "    [\n"
		  "      -1,\n"
		  "      false\n"
		  "    ]\n"
		  "  ],\n"
		  "  \"cpu_user_s\": 1.5\n"
		  "}\n");
}

static void test_top_level(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b);
	json_arr_begin(&b.j, NULL);
	json_arr_end(&b.j);
	buf_check(&b, 0, "[]\n");

	buf_open(&b);
	json_str(&b.j, NULL, "x");
	buf_check(&b, 0, "\"x\"\n");

	buf_open(&b);
	json_obj_begin(&b.j, NULL);
	json_obj_end(&b.j);
	buf_check(&b, 0, "{}\n");
}

static void test_escaping(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b);
	json_obj_begin(&b.j, NULL);
	json_str(&b.j, "quote\"key", "say \"hi\"\\ C:\\x");
	json_str(&b.j, "ctl", "a\nb\rc\td\001e\037f\177g\bh");
	json_str(&b.j, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	json_str(&b.j, "empty", "");
	json_str(&b.j, "none", NULL);
	json_obj_end(&b.j);
	buf_check(&b, 0,
		  "{\n"
		  "  \"quote\\\"key\": \"say \\\"hi\\\"\\\\ C:\\\\x\",\n"
		  "  \"ctl\": \"a\\nb\\rc\\td\\u0001e\\u001ff\177g\\u0008h\",\n"
		  "  \"utf8\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\",\n"
		  "  \"empty\": \"\",\n"
		  "  \"none\": null\n"
		  "}\n");
}

/* Bytes that are not UTF-8 become U+FFFD, one per byte; nothing else changes. */
static void test_bad_utf8(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b);
	json_arr_begin(&b.j, NULL);
	json_str(&b.j, NULL,
		 "a\xff"
		 "b");				  /* never valid */
	json_str(&b.j, NULL, "\xc0\x80");	  /* overlong NUL */
	json_str(&b.j, NULL, "\xe0\x80\xaf");	  /* overlong '/' */
	json_str(&b.j, NULL, "\xed\xa0\x80");	  /* surrogate U+D800 */
	json_str(&b.j, NULL, "\xf4\x90\x80\x80"); /* above U+10FFFF */
	json_str(&b.j, NULL, "\xc3");		  /* truncated at the end */
	json_str(&b.j, NULL, "\xe2\x82z");	  /* truncated in the middle */
	json_str(&b.j, NULL, "\x80x");		  /* lone continuation */
	json_str(&b.j, NULL, "\xf0\x9f\x98");	  /* 3 of 4 bytes */
	json_str(&b.j, NULL, "\xf0\x80\x80\xaf"); /* overlong 4-byte '/' */
	json_str(&b.j, NULL, "\xf5\x80\x80\x80"); /* no such lead byte */
	json_arr_end(&b.j);
	buf_check(&b, 0,
		  "[\n"
		  "  \"a\\ufffdb\",\n"
		  "  \"\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\",\n"
		  "  \"\\ufffd\\ufffdz\",\n"
		  "  \"\\ufffdx\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\\ufffd\",\n"
		  "  \"\\ufffd\\ufffd\\ufffd\\ufffd\"\n"
		  "]\n");
}

static void test_numbers(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b);
	json_arr_begin(&b.j, NULL);
	json_int(&b.j, NULL, INT64_MIN);
	json_int(&b.j, NULL, INT64_MAX);
	json_int(&b.j, NULL, 0);
	json_uint(&b.j, NULL, UINT64_MAX);
	json_double(&b.j, NULL, 0.0);
	json_double(&b.j, NULL, -2.25);
	json_double(&b.j, NULL, 1.0 / 3.0);
	json_double(&b.j, NULL, 1234567.891);
	json_double(&b.j, NULL, 1e20);
	json_double(&b.j, NULL, 1.5e-7);
	json_double(&b.j, NULL, NAN);
	json_double(&b.j, NULL, INFINITY);
	json_double(&b.j, NULL, -INFINITY);
	json_arr_end(&b.j);
	buf_check(&b, 0,
		  "[\n"
		  "  -9223372036854775808,\n"
		  "  9223372036854775807,\n"
		  "  0,\n"
		  "  18446744073709551615,\n"
		  "  0,\n"
		  "  -2.25,\n"
		  "  0.333333333,\n"
		  "  1234567.89,\n"
		  "  1e+20,\n"
		  "  1.5e-07,\n"
		  "  null,\n"
		  "  null,\n"
		  "  null\n"
		  "]\n");
}

/* JSON_MAX_DEPTH levels are fine; one more is refused. */
static void test_depth(void **state)
{
	char want[4 * JSON_MAX_DEPTH * JSON_MAX_DEPTH];
	struct buf b;
	size_t off = 0;
	int i, k;

	(void)state;
	buf_open(&b);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_begin(&b.j, NULL);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_end(&b.j);
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		for (k = 0; k < i; k++)
			off += (size_t)sprintf(want + off, "  ");
		off += (size_t)sprintf(want + off, i < JSON_MAX_DEPTH - 1 ? "[\n" : "[]\n");
	}
	for (i = JSON_MAX_DEPTH - 2; i >= 0; i--) {
		for (k = 0; k < i; k++)
			off += (size_t)sprintf(want + off, "  ");
		off += (size_t)sprintf(want + off, "]\n");
	}
	buf_check(&b, 0, want);

	buf_open(&b);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&b.j, NULL);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_end(&b.j);
	assert_int_equal(json_close(&b.j), -EINVAL);
	fclose(b.f);
	free(b.text);
}

/* Each misuse is reported by json_close(), and writing stops where it was. */
static void test_misuse(void **state)
{
	struct buf b;

	(void)state;
	buf_open(&b); /* member without a key in an object */
	json_obj_begin(&b.j, NULL);
	json_uint(&b.j, "a", 1);
	json_uint(&b.j, NULL, 2);
	json_uint(&b.j, "c", 3);
	json_obj_end(&b.j);
	buf_check(&b, -EINVAL, "{\n  \"a\": 1");

	buf_open(&b); /* key inside an array */
	json_arr_begin(&b.j, NULL);
	json_str(&b.j, "k", "v");
	json_arr_end(&b.j);
	buf_check(&b, -EINVAL, "[");

	buf_open(&b); /* key at the top level */
	json_obj_begin(&b.j, "top");
	json_obj_end(&b.j);
	buf_check(&b, -EINVAL, "");

	buf_open(&b); /* end of the wrong kind */
	json_obj_begin(&b.j, NULL);
	json_arr_end(&b.j);
	buf_check(&b, -EINVAL, "{");

	buf_open(&b); /* end with nothing open */
	json_obj_end(&b.j);
	buf_check(&b, -EINVAL, "");

	buf_open(&b); /* left open */
	json_obj_begin(&b.j, NULL);
	json_bool(&b.j, "x", true);
	buf_check(&b, -EINVAL, "{\n  \"x\": true");

	buf_open(&b); /* two top-level values */
	json_null(&b.j, NULL);
	json_null(&b.j, NULL);
	buf_check(&b, -EINVAL, "null");

	buf_open(&b); /* nothing at all */
	buf_check(&b, -EINVAL, "");
}

/* A stream that cannot be written: the document is fine, the disk is full. */
static void test_io_error(void **state)
{
	struct json j;
	FILE *f;

	(void)state;
	f = fopen("/dev/full", "w");
	if (!f)
		skip_missing("no /dev/full on this machine");
	json_open(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "k", "v");
	json_obj_end(&j);
	assert_int_equal(json_close(&j), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nested),   cmocka_unit_test(test_top_level),
	    cmocka_unit_test(test_escaping), cmocka_unit_test(test_bad_utf8),
	    cmocka_unit_test(test_numbers),  cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_misuse),   cmocka_unit_test(test_io_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
