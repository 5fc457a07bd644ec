/*
 * tests/unit/test_http.c - the HTTP response head parser against the
 * replies ocserv 1.1.6 was observed to send, fed whole and byte by byte,
 * and against the malformed heads it must refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/http.h"

/* docs/anyconnect-protocol.md 1.3, success reply (head only, then body). */
static const char success_reply[] =
    "HTTP/1.1 200 OK\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Type: text/xml\r\n"
    "Content-Length: 189\r\n"
    "X-Transcend-Version: 1\r\n"
    "Set-Cookie: webvpncontext=Q0NDQw==; Secure; HttpOnly\r\n"
    "Set-Cookie: webvpn=AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=; "
    "Secure; HttpOnly\r\n"
    "Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; "
    "Secure; HttpOnly\r\n"
    "Set-Cookie: webvpnc=bu:/&p:t&iu:1/&sh:0C853A37; path=/; Secure; "
    "HttpOnly\r\n"
    "\r\n"
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

static size_t head_len(const char *s)
{
	return (size_t)(strstr(s, "\r\n\r\n") - s) + 4;
}

static void check_header(const struct http_response *r, const char *name, const char *want)
{
	const struct http_header *h = http_header(r, name);
	char got[256];

	if (!h)
		fail_msg("header %s: expected \"%s\", got none", name, want);
	snprintf(got, sizeof(got), "%.*s", (int)h->value_len, h->value);
	if (strcmp(got, want) != 0)
		fail_msg("header %s: expected \"%s\", got \"%s\"", name, want, got);
}

static void test_success_reply(void **state)
{
	struct http_response r;
	char cookie[64];
	int n;

	(void)state;
	n = http_parse_response(success_reply, strlen(success_reply), &r);
	assert_int_equal(n, head_len(success_reply));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.minor_version, 1);
	assert_int_equal(r.reason_len, 2);
	assert_memory_equal(r.reason, "OK", 2);
	assert_int_equal(r.n_headers, 8);
	assert_int_equal(r.content_length, 189);
	assert_false(r.connection_close);
	check_header(&r, "content-type", "text/xml");
	check_header(&r, "X-TRANSCEND-VERSION", "1");

	n = http_cookie(&r, "webvpn", cookie, sizeof(cookie));
	assert_int_equal(n, 44);
	assert_string_equal(cookie, "AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=");
	n = http_cookie(&r, "webvpncontext", cookie, sizeof(cookie));
	assert_int_equal(n, 8);
	assert_string_equal(cookie, "Q0NDQw==");
	/* The expiring empty webvpnc is skipped, the later value wins. */
	n = http_cookie(&r, "webvpnc", cookie, sizeof(cookie));
	assert_string_equal(cookie, "bu:/&p:t&iu:1/&sh:0C853A37");
	assert_int_equal(http_cookie(&r, "webvp", cookie, sizeof(cookie)), -ENOENT);
	assert_int_equal(http_cookie(&r, "webvpn", cookie, 44), -ENOSPC);
	assert_int_equal(http_cookie(&r, "webvpn", cookie, 45), 44);
}

static void test_cookie_only_expired(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\n"
				"Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 "
				"22:00:00 GMT; path=/; Secure; HttpOnly\r\n"
				"Set-Cookie: webvpnc=abc\r\n"
				"Content-Length: 0\r\n\r\n";
	struct http_response r;
	char c[32];

	(void)state;
	assert_int_equal(http_parse_response(s, strlen(s), &r), strlen(s));
	assert_int_equal(http_cookie(&r, "webvpncontext", c, sizeof(c)), -ENOENT);
	assert_int_equal(http_cookie(&r, "webvpn", c, sizeof(c)), -ENOENT);
}

/* Every proper prefix needs more bytes; the whole head parses the same. */
static void test_piecewise(void **state)
{
	size_t h = head_len(success_reply);
	struct http_response r;

	(void)state;
	for (size_t i = 0; i < h; i++) {
		int n = http_parse_response(success_reply, i, &r);

		if (n != 0)
			fail_msg("prefix %zu: expected 0, got %d", i, n);
	}
	assert_int_equal(http_parse_response(success_reply, h, &r), h);
	assert_int_equal(r.n_headers, 8);
}

static void test_connect_reply_and_repeats(void **state)
{
	static const char s[] = "HTTP/1.1 200 CONNECTED\r\n"
				"X-CSTP-Version: 1\r\n"
				"X-CSTP-DNS: 10.251.7.1\r\n"
				"X-CSTP-DNS: 10.251.7.2\r\n"
				"X-CSTP-Idle-Timeout: none\r\n"
				"X-CSTP-MTU: 1434\r\n"
				"\r\n"
				"STF\x01";
	struct http_response r;
	const struct http_header *h;
	int n;

	(void)state;
	n = http_parse_response(s, sizeof(s) - 1, &r);
	assert_int_equal(n, sizeof(s) - 1 - 4);
	assert_int_equal(r.content_length, -1);
	assert_memory_equal(r.reason, "CONNECTED", 9);
	h = http_header(&r, "x-cstp-dns");
	assert_non_null(h);
	assert_memory_equal(h->value, "10.251.7.1", 10);
	h = http_header_next(&r, "X-CSTP-DNS", h);
	assert_non_null(h);
	assert_memory_equal(h->value, "10.251.7.2", 10);
	assert_null(http_header_next(&r, "X-CSTP-DNS", h));
	assert_true(http_value_is(http_header(&r, "X-CSTP-Idle-Timeout"), "NONE"));
	assert_null(http_header(&r, "X-DTLS-Port"));
}

static void test_error_replies(void **state)
{
	static const char s503[] = "HTTP/1.1 503 Service Unavailable\r\n\r\n";
	static const char s401[] = "HTTP/1.1 401 Cookie is not acceptable\r\n"
				   "\r\n";
	static const char s404[] = "HTTP/1.1 404 Not found\r\n"
				   "Connection: close\r\n"
				   "Content-Length: 5\r\n\r\nhello";
	struct http_response r;

	(void)state;
	assert_int_equal(http_parse_response(s503, strlen(s503), &r), strlen(s503));
	assert_int_equal(r.status, 503);
	assert_int_equal(r.n_headers, 0);
	assert_int_equal(http_parse_response(s401, strlen(s401), &r), strlen(s401));
	assert_int_equal(r.status, 401);
	assert_int_equal(http_parse_response(s404, strlen(s404), &r), strlen(s404) - 5);
	assert_true(r.connection_close);
	assert_int_equal(r.content_length, 5);
}

static void test_bare_lf_and_http10(void **state)
{
	static const char s[] = "HTTP/1.0 200\nContent-Length: 3\nX-A:b\n\nabc";
	static const char k[] = "HTTP/1.0 200 OK\nConnection: foo, Keep-Alive"
				"\n\n";
	struct http_response r;

	(void)state;
	assert_int_equal(http_parse_response(s, strlen(s), &r), strlen(s) - 3);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.reason_len, 0);
	assert_true(r.connection_close);
	check_header(&r, "x-a", "b");
	assert_int_equal(http_parse_response(k, strlen(k), &r), strlen(k));
	assert_false(r.connection_close);
}

static void check_err(const char *s, size_t len, int want)
{
	struct http_response r;
	int got = http_parse_response(s, len, &r);

	if (got != want)
		fail_msg("\"%.40s\": expected %d, got %d", s, want, got);
}

static void test_malformed(void **state)
{
	(void)state;
	check_err("HTTP/2 200 OK\r\n\r\n", 17, -EBADMSG);
	check_err("XTTP", 4, -EBADMSG); /* refused before the head ends */
	check_err("HTTP/1.1 20 OK\r\n\r\n", 18, -EBADMSG);
	check_err("HTTP/1.1 2000 OK\r\n\r\n", 20, -EBADMSG);
	check_err("HTTP/1.1 2x0 OK\r\n\r\n", 19, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 28, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 32, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\n: x\r\n\r\n", 24, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 29, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 27, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nA: b\0", 22, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 27, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 39, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n",
		  57, -EBADMSG);
	check_err("HTTP/1.1 200 OK\r\nContent-Length: "
		  "99999999999999999999\r\n\r\n",
		  57, -EBADMSG);
}

static void test_too_big(void **state)
{
	static char buf[HTTP_MAX_HEAD + 64];
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(buf + n, "X-H%d: v\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	check_err(buf, n, -E2BIG);

	/* No blank line within HTTP_MAX_HEAD bytes. */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(buf + n, 'a', sizeof(buf) - n);
	check_err(buf, HTTP_MAX_HEAD - 1, 0);
	check_err(buf, HTTP_MAX_HEAD, -E2BIG);
	check_err(buf, sizeof(buf), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_success_reply), cmocka_unit_test(test_cookie_only_expired),
	    cmocka_unit_test(test_piecewise),	  cmocka_unit_test(test_connect_reply_and_repeats),
	    cmocka_unit_test(test_error_replies), cmocka_unit_test(test_bare_lf_and_http10),
	    cmocka_unit_test(test_malformed),	  cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
