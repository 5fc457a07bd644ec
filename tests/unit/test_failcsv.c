/*
 * tests/unit/test_failcsv.c - report/failcsv: failures.csv lines.
 *
 * Lines are compared byte for byte; details holding commas, quotes and line
 * breaks are read back with a strict RFC 4180 parser written here, which
 * must give back the seven fields and the detail exactly as recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/phone/failure.h"
#include "report/failcsv.h"

#define T0 5000000000ull /* the first arrival, clock_us() */

static struct failure_rec rec(uint64_t t_us, const char *detail)
{
	struct failure_rec r;

	memset(&r, 0, sizeof(r));
	r.t_us = t_us;
	r.mac = 0x02ab00000007ull;
	r.model = "8861";
	r.phone = 7;
	r.reason = R_CERT_HASH;
	r.phase = FP_TLS;
	snprintf(r.detail, sizeof(r.detail), "%s", detail);
	return r;
}

/*
 * Strict RFC 4180: parse one record of text into at most max fields (each
 * malloc'd); returns the number of fields, or -1 on anything malformed
 * (a quote inside an unquoted field, text after a closing quote, no final
 * newline). *end is set past the record's newline.
 */
static int csv_parse(const char *text, char **fields, int max, const char **end)
{
	int n = 0;
	const char *s = text;

	for (;;) {
		char *f = malloc(strlen(text) + 1);
		size_t len = 0;

		if (!f || n == max)
			return -1;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s)
					return -1;
				if (*s == '"') {
					if (s[1] != '"')
						break;
					s++;
				}
				f[len++] = *s;
			}
			s++;
			if (*s != ',' && *s != '\n')
				return -1;
		} else {
			for (; *s && *s != ',' && *s != '\n'; s++) {
				if (*s == '"' || *s == '\r')
					return -1;
				f[len++] = *s;
			}
		}
		f[len] = 0;
		fields[n++] = f;
		if (*s == '\n') {
			*end = s + 1;
			return n;
		}
		if (*s != ',')
			return -1;
		s++;
	}
}

static void free_fields(char **fields, int n)
{
	for (int i = 0; i < n; i++)
		free(fields[i]);
}

static void test_plain_row(void **state)
{
	char buf[512];
	struct failure_rec r = rec(T0 + 12345678, "Hash was not found in the trust list");

	(void)state;
	int n = failcsv_row(buf, sizeof(buf), &r, T0);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "12.345,7,CP-8861-SEP02AB00000007,8861,tls,CertHashMismatch,"
				 "Hash was not found in the trust list\n");
	r.t_us = T0;
	r.phase = FP_RE_CSTP;
	r.reason = R_TUNNEL_REFUSED;
	snprintf(r.detail, sizeof(r.detail), "CONNECT /CSCOSSLC/tunnel: HTTP 503");
	failcsv_row(buf, sizeof(buf), &r, T0);
	assert_string_equal(buf, "0.000,7,CP-8861-SEP02AB00000007,8861,reconnect-cstp,TunnelRefused,"
				 "CONNECT /CSCOSSLC/tunnel: HTTP 503\n");
	assert_string_equal(FAILCSV_HEADER, "t_s,phone,cn,model,phase,reason,detail\n");
}

static void test_quoting(void **state)
{
	static const char *const details[] = {
	    "login form again: Login failed, or nothing to answer with",
	    "he said \"no\"",
	    "\"",
	    "two\nlines",
	    "cr\r\nlf",
	    "",
	    ",\",\"\",",
	};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		struct failure_rec r = rec(T0 + 1500, details[i]);
		char *fields[8];
		const char *end;

		assert_true(failcsv_row(buf, sizeof(buf), &r, T0) > 0);
		int n = csv_parse(buf, fields, 8, &end);
		if (n != 7)
			fail_msg("detail %zu: %d fields in <%s>", i, n, buf);
		assert_string_equal(end, "");
		assert_string_equal(fields[0], "0.001");
		assert_string_equal(fields[2], "CP-8861-SEP02AB00000007");
		assert_string_equal(fields[6], details[i]);
		/* quoted exactly when it has to be */
		assert_int_equal(strchr(buf, '"') != NULL, strpbrk(details[i], ",\"\r\n") != NULL);
		free_fields(fields, n);
	}
}

static void test_worst_case_fits(void **state)
{
	char buf[1024], detail[FAILURE_DETAIL]; /* failcsv_write's line buffer */
	struct failure_rec r;

	(void)state;
	memset(detail, '"', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = 0;
	r = rec(T0 + 3600000000ull * 24 * 365, detail); /* a year-long soak */
	int n = failcsv_row(buf, sizeof(buf), &r, T0);
	assert_true(n > 2 * (int)(FAILURE_DETAIL - 1));
	assert_int_equal(failcsv_row(buf, 40, &r, T0), -ENOSPC);
}

static void test_write_stream(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct failure_rec rs[3] = {rec(T0 + 1000000, "a"), rec(T0 + 2000000, "b,c"),
				    rec(T0 + 3000000, "d")};

	(void)state;
	assert_non_null(f);
	assert_int_equal(failcsv_header(f), 0);
	assert_int_equal(failcsv_write(f, rs, 3, T0), 0);
	assert_int_equal(failcsv_write(f, rs, 0, T0), 0);
	/* flushed: the text is there before the stream is closed */
	assert_string_equal(text, FAILCSV_HEADER
			    "1.000,7,CP-8861-SEP02AB00000007,8861,tls,CertHashMismatch,a\n"
			    "2.000,7,CP-8861-SEP02AB00000007,8861,tls,CertHashMismatch,\"b,c\"\n"
			    "3.000,7,CP-8861-SEP02AB00000007,8861,tls,CertHashMismatch,d\n");
	fclose(f);
	free(text);

	/* a stream that cannot take the text */
	char small[16];
	f = fmemopen(small, sizeof(small), "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(failcsv_write(f, rs, 3, T0), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_row),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_worst_case_fits),
	    cmocka_unit_test(test_write_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
