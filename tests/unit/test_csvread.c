/*
 * tests/unit/test_csvread.c - report/csvread: cells, empty cells, CRLF,
 * blank lines, rows of the wrong width, missing, empty and zero-byte files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/csvread.h"

static char path[] = "/tmp/test_csvread_XXXXXX";

static int load(const char *text, struct csv *c, char *err, size_t errlen)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	int rc;

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	rc = csv_load(path, c, err, errlen);
	unlink(path);
	strcpy(path, "/tmp/test_csvread_XXXXXX");
	return rc;
}

static void test_cells(void **state)
{
	struct csv c;
	char err[256], buf[32];

	(void)state;
	assert_int_equal(load("t_s,up,ttt_p99_ms,events\r\n1.000,5,,a|b\r\n\n2.000,7,12.5,\n", &c,
			      err, sizeof(err)),
			 0);
	assert_int_equal(c.ncols, 4);
	assert_int_equal(c.nrows, 2);
	assert_string_equal(c.header, "t_s,up,ttt_p99_ms,events");
	assert_string_equal(csv_name(&c, 2, buf, sizeof(buf)), "ttt_p99_ms");
	assert_int_equal(csv_col(&c, "events"), 3);
	assert_int_equal(csv_col(&c, "nope"), -1);
	assert_string_equal(csv_cell(&c, 0, 2), "");
	assert_string_equal(csv_cell(&c, 0, 3), "a|b");
	assert_string_equal(csv_cell(&c, 1, 1), "7");
	assert_string_equal(csv_cell(&c, 1, 2), "12.5");
	assert_string_equal(csv_cell(&c, 1, 3), "");
	csv_free(&c);
}

static void test_errors(void **state)
{
	struct csv c;
	char err[256];

	(void)state;
	assert_int_equal(load("a,b\n1,2\n1,2,3\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":3: more cells than the header's 2"));
	csv_free(&c);
	assert_int_equal(load("a,b,c\n1,2\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: fewer cells than the header's 3"));
	csv_free(&c);
	assert_int_equal(load("\n\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": empty"));
	csv_free(&c);
	assert_int_equal(csv_load("/tmp/no/such.csv", &c, err, sizeof(err)), -ENOENT);
	csv_free(&c);
}

/*
 * A file of zero bytes (found by tests/fuzz/fuzz_csv.c): getdelim() made a
 * buffer and wrote nothing in it, not even a NUL, and the reader took what
 * was in that memory for the header. Fresh memory is made non-zero here
 * (M_PERTURB) so that the old reader fails for sure.
 */
static void test_zero_bytes(void **state)
{
	struct csv c;
	char err[256] = "";

	(void)state;
	mallopt(M_PERTURB, 0x55);
	assert_int_equal(load("", &c, err, sizeof(err)), -1);
	mallopt(M_PERTURB, 0);
	assert_non_null(strstr(err, ": empty"));
	assert_null(c.header);
	csv_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cells),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_zero_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
