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
	struct http_header h;
	char got[256];

	if (!http_header(r, name, &h))
		fail_msg("header %s: expected \"%s\", got none", name, want);
	snprintf(got, sizeof(got), "%.*s", (int)h.value_len, h.value);
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
	struct http_header h;
	int n, i;

	(void)state;
	n = http_parse_response(s, sizeof(s) - 1, &r);
	assert_int_equal(n, sizeof(s) - 1 - 4);
	assert_int_equal(r.content_length, -1);
	assert_memory_equal(r.reason, "CONNECTED", 9);
	i = http_header_find(&r, "x-cstp-dns", 0, &h);
	assert_int_equal(i, 1);
	assert_memory_equal(h.value, "10.251.7.1", 10);
	i = http_header_find(&r, "X-CSTP-DNS", i + 1, &h);
	assert_int_equal(i, 2);
	assert_memory_equal(h.value, "10.251.7.2", 10);
	assert_int_equal(http_header_find(&r, "X-CSTP-DNS", i + 1, &h), -1);
	assert_true(http_header(&r, "X-CSTP-Idle-Timeout", &h));
	assert_true(http_value_is(&h, "NONE"));
	assert_false(http_header(&r, "X-DTLS-Port", &h));
	/* a name that is a prefix of a header's is not that header */
	assert_false(http_header(&r, "X-CSTP", &h));
	assert_false(http_header(&r, "X-CSTP-MTU-Extra", &h));
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
	/* HTTP/1.0 closes even with Keep-Alive, as openconnect does (an ASA bug) */
	assert_int_equal(http_parse_response(k, strlen(k), &r), strlen(k));
	assert_true(r.connection_close);
	assert_int_equal(r.body, HTTP_BODY_CLOSE);
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
	check_err(buf, n, HTTP_E_HEADERS);

	/* No blank line within HTTP_MAX_HEAD bytes. */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(buf + n, 'a', sizeof(buf) - n);
	check_err(buf, HTTP_MAX_HEAD - 1, 0);
	check_err(buf, HTTP_MAX_HEAD, -E2BIG);
	check_err(buf, sizeof(buf), -E2BIG);
}

/* ==== Replies of real ASAs (public logs; see the comment above each) ==== */

/*
 * The body sent in chunks of the given sizes (0 ends the list), framed as
 * a chunked body with its last chunk, appended to out at *n.
 */
static void put_chunked(char *out, size_t *n, const char *body, const size_t *sizes)
{
	size_t off = 0, len = strlen(body);

	for (int i = 0; off < len; i++) {
		size_t k = sizes[i] ? sizes[i] : len - off;

		if (k > len - off)
			k = len - off;
		*n += (size_t)sprintf(out + *n, "%zx\r\n", k);
		memcpy(out + *n, body + off, k);
		*n += k;
		*n += (size_t)sprintf(out + *n, "\r\n");
		off += k;
		if (!sizes[i])
			break;
	}
	*n += (size_t)sprintf(out + *n, "0\r\n\r\n");
}

/* Decode body[0..len) whole; returns the decoder's result, data in out. */
static int dechunk(const char *in, size_t len, char *out, size_t *used, size_t *produced)
{
	struct http_chunked c;

	http_chunked_init(&c, 1 << 20);
	return http_chunked_decode(&c, in, len, out, used, produced);
}

/*
 * An ASA's reply to the aggregate-auth init POST, head as openconnect
 * logged it (openconnect-gui issue 94, 2016; the same head in issues 112,
 * 206, 55 and openconnect issue 9): chunked, Content-Type text/html for an
 * XML body, Connection: Keep-Alive. The body is the auth-request form of
 * vpn-slice issue 68 (2020); the chunk boundaries are ours (the logs show
 * the decoded body).
 */
static const char asa_auth_head[] = "HTTP/1.1 200 OK\r\n"
				    "Content-Type: text/html; charset=utf-8\r\n"
				    "Transfer-Encoding: chunked\r\n"
				    "Cache-Control: no-cache\r\n"
				    "Pragma: no-cache\r\n"
				    "Connection: Keep-Alive\r\n"
				    "Date: Tue, 15 Mar 2016 12:30:44 GMT\r\n"
				    "X-Frame-Options: SAMEORIGIN\r\n"
				    "X-Aggregate-Auth: 1\r\n"
				    "\r\n";
static const char asa_auth_form[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<config-auth client=\"vpn\" type=\"auth-request\" aggregate-auth-version=\"2\">\n"
    "<opaque is-for=\"sg\">\n<tunnel-group>PHONES</tunnel-group>\n"
    "<group-alias>phones</group-alias>\n<config-hash>1234</config-hash>\n</opaque>\n"
    "<auth id=\"main\">\n<title>Login</title>\n"
    "<message>Please enter your username and password.</message>\n<banner></banner>\n"
    "<form>\n<input type=\"text\" name=\"username\" label=\"Username:\"></input>\n"
    "<input type=\"password\" name=\"password\" label=\"Password:\"></input>\n"
    "</form></auth>\n</config-auth>\n";

static void test_asa_chunked_auth(void **state)
{
	static const size_t sizes[] = {1, 16, 200, 7, 0};
	static char buf[8192], out[8192];
	struct http_response r;
	size_t n = 0, used, produced;
	int hl;

	(void)state;
	n += (size_t)sprintf(buf, "%s", asa_auth_head);
	put_chunked(buf, &n, asa_auth_form, sizes);
	strcpy(buf + n, "HTTP/1.1 200 OK\r\n"); /* the next reply must not be eaten */

	hl = http_parse_response(buf, n, &r);
	assert_int_equal(hl, strlen(asa_auth_head));
	assert_int_equal(r.body, HTTP_BODY_CHUNKED);
	assert_int_equal(r.content_length, -1);
	assert_false(r.connection_close);
	assert_int_equal(dechunk(buf + hl, n + 17 - (size_t)hl, out, &used, &produced), 1);
	assert_int_equal(used, n - (size_t)hl);
	assert_int_equal(produced, strlen(asa_auth_form));
	assert_memory_equal(out, asa_auth_form, produced);

	/* the same, decoded in place and fed one byte at a time */
	struct http_chunked c;
	size_t in = (size_t)hl, o = (size_t)hl;
	int ret = 0;

	http_chunked_init(&c, sizeof(out));
	while (ret == 0 && in < n) {
		ret = http_chunked_decode(&c, buf + in, 1, buf + o, &used, &produced);
		in += used;
		o += produced;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(in, n);
	assert_int_equal(o - (size_t)hl, strlen(asa_auth_form));
	assert_memory_equal(buf + hl, asa_auth_form, strlen(asa_auth_form));
}

/*
 * The legacy login exchange of a 2008 ASA (Virata-EmWeb), as David
 * Woodhouse recorded it in openconnect commit eaa41be1: the login page
 * (expired cookies, webvpnlogin=1, ClientCertAuthFailed=1) and the success
 * reply (webvpnlogin cleared, a tunnel-group cookie, ";PATH=/" without a
 * blank and '@' in the webvpn value), both chunked.
 */
static void test_asa_legacy_login(void **state)
{
	static const char page[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Server: Virata-EmWeb/R6_2_0\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Content-Type: text/xml\r\n"
	    "Cache-Control: max-age=0\r\n"
	    "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
	    "Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
	    "Set-Cookie: webvpnlogin=1\r\n"
	    "Set-Cookie: ClientCertAuthFailed=1; path=/\r\n"
	    "X-Transcend-Version: 1\r\n"
	    "\r\n";
	static const char success[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Server: Virata-EmWeb/R6_2_0\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Content-Type: text/xml\r\n"
	    "Cache-Control: max-age=0\r\n"
	    "Set-Cookie: webvpnlogin=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
	    "Set-Cookie: tg=1Layer3; expires=Mon, 22 Sep 2008 11:36:46 GMT; path=/\r\n"
	    "Set-Cookie: "
	    "webvpn=3581410512@1417216@1222033006@E13E470F73AE0BE3B35489C81C2EC8DD6B85CE20;PATH=/\r\n"
	    "Set-Cookie: webvpnc=bu:/CACHE/stc/&p:t&iu:1/&fu:profiles/OrionAnyConnect.xml;PATH=/\r\n"
	    "X-Transcend-Version: 1\r\n"
	    "\r\n";
	static const char body[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<auth id=\"success\">\n<title>SSL VPN Service</title>\n"
				   "<message>Success</message>\n<success/>\n</auth>\n";
	static const size_t sizes[] = {0};
	static char buf[4096], out[4096];
	struct http_response r;
	char cookie[128];
	size_t n, used, produced;
	int hl;

	(void)state;
	hl = http_parse_response(page, strlen(page), &r);
	assert_int_equal(hl, strlen(page));
	assert_int_equal(r.body, HTTP_BODY_CHUNKED);
	assert_int_equal(http_cookie(&r, "webvpn", cookie, sizeof(cookie)), -ENOENT);
	assert_int_equal(http_cookie(&r, "webvpnlogin", cookie, sizeof(cookie)), 1);
	assert_int_equal(http_cookie(&r, "ClientCertAuthFailed", cookie, sizeof(cookie)), 1);

	n = (size_t)sprintf(buf, "%s", success);
	put_chunked(buf, &n, body, sizes);
	hl = http_parse_response(buf, n, &r);
	assert_int_equal(hl, strlen(success));
	assert_int_equal(http_cookie(&r, "webvpn", cookie, sizeof(cookie)), 70);
	assert_string_equal(cookie,
			    "3581410512@1417216@1222033006@E13E470F73AE0BE3B35489C81C2EC8DD6B85CE20");
	assert_int_equal(http_cookie(&r, "webvpnlogin", cookie, sizeof(cookie)), -ENOENT);
	assert_int_equal(http_cookie(&r, "tg", cookie, sizeof(cookie)), 7);
	assert_int_equal(dechunk(buf + hl, n - (size_t)hl, out, &used, &produced), 1);
	assert_int_equal(produced, strlen(body));
	assert_memory_equal(out, body, produced);
}

/*
 * An ASA load-balancing cluster's redirect (vpn-slice issue 3, 2017):
 * HTTP/1.0, Connection: Close, an empty body and an absolute Location.
 */
static void test_asa_redirect(void **state)
{
	static const char s[] = "HTTP/1.0 302 Temporary moved\r\n"
				"Content-Length: 0\r\n"
				"Cache-Control: no-cache\r\n"
				"Pragma: no-cache\r\n"
				"Connection: Close\r\n"
				"Date: Tue, 18 Apr 2017 19:45:17 GMT\r\n"
				"X-Frame-Options: SAMEORIGIN\r\n"
				"Location: https://lon-twvpn-3a.mycompanyvpn.com/\r\n"
				"\r\n";
	struct http_response r;

	(void)state;
	assert_int_equal(http_parse_response(s, strlen(s), &r), strlen(s));
	assert_int_equal(r.status, 302);
	assert_int_equal(r.minor_version, 0);
	assert_true(r.connection_close);
	assert_int_equal(r.body, HTTP_BODY_LENGTH);
	assert_int_equal(r.content_length, 0);
	check_header(&r, "location", "https://lon-twvpn-3a.mycompanyvpn.com/");
}

/* How each body is framed, whatever the order of the headers. */
static void test_body_framing(void **state)
{
	static const struct {
		const char *s;
		int body, close;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", HTTP_BODY_LENGTH, 0},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", HTTP_BODY_CHUNKED, 0},
	    /* chunked overrides a Content-Length, in either order */
	    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
	     HTTP_BODY_CHUNKED, 0},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	     HTTP_BODY_CHUNKED, 0},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\n",
	     HTTP_BODY_LENGTH, 0},
	    {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", HTTP_BODY_CLOSE, 1},
	    {"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\n\r\n", HTTP_BODY_CLOSE, 1},
	    {"HTTP/1.0 200 OK\r\n\r\n", HTTP_BODY_CLOSE, 1},
	    /* no length on a connection kept open: an empty body, as ocserv's replies */
	    {"HTTP/1.1 503 Service Unavailable\r\n\r\n", HTTP_BODY_NONE, 0},
	    {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", HTTP_BODY_NONE, 1},
	    {"HTTP/1.1 100 Continue\r\n\r\n", HTTP_BODY_NONE, 0},
	    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", HTTP_BODY_NONE, 0},
	};
	struct http_response r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = http_parse_response(cases[i].s, strlen(cases[i].s), &r);

		if (n != (int)strlen(cases[i].s) || (int)r.body != cases[i].body ||
		    r.connection_close != (bool)cases[i].close)
			fail_msg("case %zu: expected %zu/body %d/close %d, got %d/body %d/close %d",
				 i, strlen(cases[i].s), cases[i].body, cases[i].close, n, r.body,
				 r.connection_close);
	}
	check_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 53,
		  HTTP_E_CODING);
	check_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 53,
		  HTTP_E_CODING);
}

/*
 * A CONNECT reply as big as an ASA's with a long split-include list: 1,000
 * header lines and a 10 KB X-CSTP-Post-Auth-XML line, about 60 KiB. The
 * 1,024th line is accepted and the 1,025th refused; 10,000 tiny headers
 * (60 KB, under the byte limit) are refused by the count.
 */
static void test_big_heads(void **state)
{
	static char buf[HTTP_MAX_HEAD + 100000];
	struct http_response r;
	struct http_header h;
	size_t n;
	int i;

	(void)state;
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX-CSTP-Post-Auth-XML: <config-auth>");
	memset(buf + n, 'x', 10000);
	n += 10000;
	n += (size_t)sprintf(buf + n, "</config-auth>\r\n");
	for (i = 1; i < 1000; i++)
		n += (size_t)sprintf(buf + n, "X-CSTP-Split-Include: 10.%d.%d.0/255.255.255.0\r\n",
				     i / 256, i % 256);
	n += (size_t)sprintf(buf + n, "X-CSTP-MTU: 1300\r\n\r\n");
	assert_true(n < HTTP_MAX_HEAD);
	assert_int_equal(http_parse_response(buf, n, &r), n);
	assert_int_equal(r.n_headers, 1001);
	assert_true(http_header(&r, "X-CSTP-Post-Auth-XML", &h));
	assert_int_equal(h.value_len, 10000 + 27);
	i = http_header_find(&r, "X-CSTP-Split-Include", 0, &h);
	assert_int_equal(i, 1);
	check_header(&r, "X-CSTP-MTU", "1300");
	h = http_header_at(&r, 999);
	assert_int_equal(h.value_len, strlen("10.3.231.0/255.255.255.0"));
	assert_memory_equal(h.value, "10.3.231.0/255.255.255.0", h.value_len);

	/* exactly HTTP_MAX_HEADERS lines pass, one more is refused */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
	assert_int_equal(http_parse_response(buf, n, &r), 0);
	strcpy(buf + n, "\r\n");
	assert_int_equal(http_parse_response(buf, n + 2, &r), n + 2);
	assert_int_equal(r.n_headers, HTTP_MAX_HEADERS);

	/* 10,000 headers of 6 bytes: refused at the 1,025th, long before the end */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 10000; i++)
		n += (size_t)sprintf(buf + n, "A: b\r\n");
	assert_true(n < HTTP_MAX_HEAD);
	n += (size_t)sprintf(buf + n, "\r\n");
	check_err(buf, n, HTTP_E_HEADERS);

	/* the head of exactly HTTP_MAX_HEAD bytes passes; one byte more does not */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX-L: ");
	memset(buf + n, 'a', HTTP_MAX_HEAD - n - 4);
	memcpy(buf + HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
	assert_int_equal(http_parse_response(buf, HTTP_MAX_HEAD, &r), HTTP_MAX_HEAD);
	memset(buf + n, 'a', HTTP_MAX_HEAD - n - 3);
	memcpy(buf + HTTP_MAX_HEAD - 3, "\r\n\r\n", 4);
	check_err(buf, HTTP_MAX_HEAD + 1, -E2BIG);
}

/* The response stays small whatever the head holds: the point of the line offsets. */
static void test_response_size(void **state)
{
	(void)state;
	printf("sizeof(struct http_response) = %zu bytes for %d headers\n",
	       sizeof(struct http_response), HTTP_MAX_HEADERS);
	assert_true(sizeof(struct http_response) <= 2 * HTTP_MAX_HEADERS + 128);
}

/* ==== The chunked decoder ==== */

struct chunk_case {
	const char *in;
	int ret;	  /* 1 done, 0 needs more, else the error */
	const char *data; /* decoded data (done or partial) */
	size_t used;	  /* bytes of in consumed; 0 = all */
};

static void check_chunks(const struct chunk_case *k, uint64_t max)
{
	char out[1024];
	size_t len = strlen(k->in), used, produced;
	struct http_chunked c;
	int ret;

	http_chunked_init(&c, max);
	ret = http_chunked_decode(&c, k->in, len, out, &used, &produced);
	if (ret != k->ret || produced != strlen(k->data) || memcmp(out, k->data, produced) ||
	    used != (k->used ? k->used : len))
		fail_msg("\"%s\": expected %d \"%s\" used %zu, got %d \"%.*s\" used %zu", k->in,
			 k->ret, k->data, k->used ? k->used : len, ret, (int)produced, out, used);

	/* byte by byte, in place: the same end and the same data */
	char buf[1024];
	size_t o = 0, i = 0;

	memcpy(buf, k->in, len);
	http_chunked_init(&c, max);
	ret = 0;
	while (ret == 0 && i < len) {
		ret = http_chunked_decode(&c, buf + i, 1, buf + o, &used, &produced);
		i += used;
		o += produced;
	}
	if (ret != k->ret || o != strlen(k->data) || memcmp(buf, k->data, o))
		fail_msg("\"%s\" byte by byte: expected %d \"%s\", got %d \"%.*s\"", k->in, k->ret,
			 k->data, ret, (int)o, buf);
}

static void test_chunked(void **state)
{
	static const struct chunk_case cases[] = {
	    {"4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n", 1,
	     "Wikipedia in\r\n\r\nchunks.", 0},
	    /* bare LFs, leading zeros, either case */
	    {"000a\nabcdefghij\n0\n\n", 1, "abcdefghij", 0},
	    {"A\r\nabcdefghij\r\n00\r\n\r\n", 1, "abcdefghij", 0},
	    /* extensions and blanks after the size (openconnect tolerates both since 2024) */
	    {"3;name=\"v;x\"\r\nabc\r\n3 \t\r\ndef\r\n2 ;x\r\ngh\r\n0;last\r\n\r\n", 1,
	     "abcdefgh", 0},
	    /* trailers are read and dropped */
	    {"2\r\nab\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", 1, "ab", 0},
	    /* what follows the body is not consumed */
	    {"1\r\nz\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", 1, "z", 11},
	    {"0\r\n\r\n", 1, "", 0},
	    /* incomplete: everything so far consumed */
	    {"5\r\nab", 0, "ab", 0},
	    {"5\r\nabcde\r", 0, "abcde", 0},
	    {"5\r\nabcde\r\n0\r\n", 0, "abcde", 0},
	    {"5\r\nabcde\r\n0\r\nX: 1\r\n", 0, "abcde", 0},
	    /* not a size */
	    {"\r\nabc", HTTP_E_CHUNK_HEX, "", 2},
	    {"zz\r\n", HTTP_E_CHUNK_HEX, "", 1},
	    {"-1\r\n", HTTP_E_CHUNK_HEX, "", 1},
	    {"0x10\r\n", HTTP_E_CHUNK_HEX, "", 2},
	    {"1 2\r\n", HTTP_E_CHUNK_HEX, "", 3},
	    {";x\r\n", HTTP_E_CHUNK_HEX, "", 1},
	    {"1\r\r\na", HTTP_E_CHUNK_HEX, "", 3},
	    /* the size lied: fewer bytes than announced, then the next size line */
	    {"3\r\nabcdef\r\n0\r\n\r\n", HTTP_E_CHUNK_END, "abc", 7},
	    {"3\r\nabc\rx", HTTP_E_CHUNK_END, "abc", 8},
	    /* the final empty line must be one */
	    {"0\r\n\rx", HTTP_E_CHUNK_END, "", 5},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_chunks(&cases[i], 1 << 20);
}

static void test_chunked_limits(void **state)
{
	static char in[8192];
	char out[64];
	struct http_chunked c;
	size_t used, produced, n;
	int ret;

	(void)state;
	/* a size that would overflow 64 bits: refused at the digit that passes the limit */
	static const struct chunk_case huge = {"FFFFFFFFFFFFFFFFFFFFFFFF\r\n", HTTP_E_CHUNK_SIZE,
					       "", 6};
	check_chunks(&huge, 1 << 20);
	/* one chunk bigger than the whole limit, and a chunk that passes what is left */
	static const struct chunk_case big = {"11\r\n", HTTP_E_CHUNK_SIZE, "", 2};
	check_chunks(&big, 16);
	static const struct chunk_case over = {"6\r\nabcdef\r\nb\r\n", HTTP_E_BODY, "abcdef",
					       12};
	check_chunks(&over, 16);
	static const struct chunk_case exact = {"6\r\nabcdef\r\na\r\n0123456789\r\n0\r\n\r\n", 1,
						"abcdef0123456789", 0};
	check_chunks(&exact, 16);

	/* a size line (leading zeros) or an extension over HTTP_CHUNK_LINE bytes */
	memset(in, '0', HTTP_CHUNK_LINE + 10);
	in[HTTP_CHUNK_LINE + 10] = 0;
	http_chunked_init(&c, 1 << 20);
	ret = http_chunked_decode(&c, in, strlen(in), out, &used, &produced);
	assert_int_equal(ret, HTTP_E_CHUNK_LINE);
	assert_int_equal(used, HTTP_CHUNK_LINE + 1);
	n = (size_t)sprintf(in, "1;");
	memset(in + n, 'x', HTTP_CHUNK_LINE);
	in[n + HTTP_CHUNK_LINE] = 0;
	http_chunked_init(&c, 1 << 20);
	assert_int_equal(http_chunked_decode(&c, in, strlen(in), out, &used, &produced),
			 HTTP_E_CHUNK_LINE);

	/* trailers that never end: refused after 16 lines' worth */
	n = (size_t)sprintf(in, "0\r\n");
	while (n + 8 < sizeof(in))
		n += (size_t)sprintf(in + n, "X: abc\r\n");
	http_chunked_init(&c, 1 << 20);
	assert_int_equal(http_chunked_decode(&c, in, n, out, &used, &produced),
			 HTTP_E_CHUNK_LINE);
	assert_true(used <= 3 + 16 * HTTP_CHUNK_LINE + 1);

	/* chunks that never end: refused when the body passes its limit */
	http_chunked_init(&c, 1000);
	ret = 0;
	for (int i = 0; ret == 0 && i < 10000; i++)
		ret = http_chunked_decode(&c, "1\r\na\r\n", 6, out, &used, &produced);
	assert_int_equal(ret, HTTP_E_BODY);
	assert_int_equal(c.total, 1000);
}

static void test_strerror(void **state)
{
	static const int errs[] = {-EBADMSG,	      -E2BIG,		 HTTP_E_HEADERS,
				   HTTP_E_CODING,     HTTP_E_CHUNK_HEX,	 HTTP_E_CHUNK_LINE,
				   HTTP_E_CHUNK_SIZE, HTTP_E_CHUNK_END, HTTP_E_BODY};

	(void)state;
	/* every error has its own words */
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(http_strerror(errs[i]), http_strerror(errs[j]));
	assert_string_equal(http_strerror(-E2BIG), "reply head over 65536 bytes");
	assert_string_equal(http_strerror(HTTP_E_HEADERS), "reply head over 1024 header lines");
}

int main(void)

{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_success_reply), cmocka_unit_test(test_cookie_only_expired),
	    cmocka_unit_test(test_piecewise),	  cmocka_unit_test(test_connect_reply_and_repeats),
	    cmocka_unit_test(test_error_replies), cmocka_unit_test(test_bare_lf_and_http10),
	    cmocka_unit_test(test_malformed),	  cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_asa_chunked_auth), cmocka_unit_test(test_asa_legacy_login),
	    cmocka_unit_test(test_asa_redirect),  cmocka_unit_test(test_body_framing),
	    cmocka_unit_test(test_big_heads),	  cmocka_unit_test(test_response_size),
	    cmocka_unit_test(test_chunked),	  cmocka_unit_test(test_chunked_limits),
	    cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
