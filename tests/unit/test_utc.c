/*
 * tests/unit/test_utc.c - report/utc: moments in UTC, ISO 8601, to the
 * millisecond, and back. The texts are worked out by hand (date -u -d @S).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "report/utc.h"

static void test_format(void **state)
{
	char buf[UTC_LEN];

	(void)state;
	/* 1796428800 is 2026-12-05 00:00:00 UTC */
	assert_string_equal(utc_format(buf, sizeof(buf), 1796428800.0), "2026-12-05T00:00:00.000Z");
	/* cut to the millisecond, as t_s is, never rounded up */
	assert_string_equal(utc_format(buf, sizeof(buf), 1796428812.3459),
			    "2026-12-05T00:00:12.345Z");
	assert_string_equal(utc_format(buf, sizeof(buf), 951782400.999),
			    "2000-02-29T00:00:00.999Z"); /* a leap day */
	/* not a moment: empty */
	assert_string_equal(utc_format(buf, sizeof(buf), 0), "");
	assert_string_equal(utc_format(buf, sizeof(buf), -5), "");
	assert_string_equal(utc_format(buf, sizeof(buf), NAN), "");
	/* a buffer too small is cut, never overrun */
	char small[8];
	assert_string_equal(utc_format(small, sizeof(small), 1796428800.0), "2026-12");
}

static void test_parse(void **state)
{
	char buf[UTC_LEN];

	(void)state;
	assert_true(fabs(utc_parse("2026-12-05T00:00:12.345Z") - 1796428812.345) < 1e-6);
	utc_format(buf, sizeof(buf), utc_parse("2000-02-29T23:59:59.001Z"));
	assert_string_equal(buf, "2000-02-29T23:59:59.001Z");
	assert_true(utc_parse(NULL) == 0);
	assert_true(utc_parse("") == 0);
	assert_true(utc_parse("2026-12-05T00:00:12Z") == 0);	  /* no milliseconds */
	assert_true(utc_parse("2026-12-05T00:00:12.345Zx") == 0); /* trailing text */
	assert_true(utc_parse("2026-12-05 00:00:12.345") == 0);
}

static void test_now(void **state)
{
	(void)state;
	assert_true(utc_now() > 1700000000.0); /* after 2023 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
