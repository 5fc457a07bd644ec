/*
 * tests/unit/test_svc.c - the IP phone's login exchange: the GET and the
 * form POST byte for byte, and the headend's answers sorted as the phone
 * sorts them, from transcripts: ocserv 1.3's /svc answers (worker-svc.c),
 * ocserv 1.1.6's 404 and its desktop XML login at /, and the broken answers
 * a headend may give (a redirect, no cookies, a webvpnlogin without value
 * or twice, a session cookie too long to keep).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/http.h"
#include "engine/proto/svc.h"

static const char ua[] = "Cisco SVC IPPhone Client v1.0";

static void test_get_request(void **state)
{
	static const char want[] = "GET /svc HTTP/1.1\r\n"
				   "Host: vpn.lab.test\r\n"
				   "User-Agent: Cisco SVC IPPhone Client v1.0\r\n"
				   "Accept: */*\r\n"
				   "X-Transcend-Version: 1\r\n"
				   "\r\n";
	struct ac_request rq = {"vpn.lab.test", 443, ua, NULL};
	char buf[512];

	(void)state;
	assert_int_equal(svc_get_request(buf, sizeof(buf), &rq, "/svc"), strlen(want));
	assert_string_equal(buf, want);
	for (size_t cap = 0; cap <= strlen(want); cap++)
		if (svc_get_request(buf, cap, &rq, "/svc") != -ENOSPC)
			fail_msg("cap %zu: expected -ENOSPC", cap);

	rq.port = 8443;
	assert_true(svc_get_request(buf, sizeof(buf), &rq, "/phone") > 0);
	assert_non_null(strstr(buf, "GET /phone HTTP/1.1\r\nHost: vpn.lab.test:8443\r\n"));

	assert_int_equal(svc_get_request(buf, sizeof(buf), &rq, "svc"), -EINVAL);
	assert_int_equal(svc_get_request(buf, sizeof(buf), &rq, "/s c"), -EINVAL);
	rq.user_agent = "x\r\nX-Evil: 1";
	assert_int_equal(svc_get_request(buf, sizeof(buf), &rq, "/svc"), -EINVAL);
}

static void test_post_request(void **state)
{
	static const char want_cert[] = "POST /svc HTTP/1.1\r\n"
					"Host: 198.18.0.1:4443\r\n"
					"User-Agent: Cisco SVC IPPhone Client v1.0\r\n"
					"Accept: */*\r\n"
					"X-Transcend-Version: 1\r\n"
					"Content-Type: application/x-www-form-urlencoded\r\n"
					"Content-Length: 0\r\n"
					"\r\n";
	static const char want_pass[] = "POST /svc HTTP/1.1\r\n"
					"Host: vpn.lab.test\r\n"
					"User-Agent: Cisco SVC IPPhone Client v1.0\r\n"
					"Accept: */*\r\n"
					"X-Transcend-Version: 1\r\n"
					"Content-Type: application/x-www-form-urlencoded\r\n"
					"Content-Length: 46\r\n"
					"\r\n"
					"username=SEP02AB00000000&password=lab-password";
	struct ac_request rq = {"198.18.0.1", 4443, ua, NULL};
	char buf[1024];
	int n;

	(void)state;
	assert_int_equal(svc_post_request(buf, sizeof(buf), &rq, "/svc", NULL, NULL),
			 strlen(want_cert));
	assert_string_equal(buf, want_cert);

	rq = (struct ac_request){"vpn.lab.test", 443, ua, NULL};
	n = svc_post_request(buf, sizeof(buf), &rq, "/svc", "SEP02AB00000000", "lab-password");
	assert_int_equal(n, strlen(want_pass));
	assert_string_equal(buf, want_pass);
	for (size_t cap = 0; cap <= strlen(want_pass); cap++)
		if (svc_post_request(buf, cap, &rq, "/svc", "SEP02AB00000000", "lab-password") !=
		    -ENOSPC)
			fail_msg("cap %zu: expected -ENOSPC", cap);

	/* form encoding: blank as '+', reserved and non-ASCII bytes as %XX */
	assert_true(svc_post_request(buf, sizeof(buf), &rq, "/svc", "a b&c=d", "p%2/\xc3\xa9~._-") >
		    0);
	assert_non_null(strstr(buf, "\r\n\r\nusername=a+b%26c%3Dd&password=p%252%2F%C3%A9~._-"));
	assert_non_null(strstr(buf, "Content-Length: 48\r\n"));

	/* both credentials or neither */
	assert_int_equal(svc_post_request(buf, sizeof(buf), &rq, "/svc", "u", NULL), -EINVAL);
	assert_int_equal(svc_post_request(buf, sizeof(buf), &rq, "/svc", NULL, "p"), -EINVAL);
	assert_int_equal(svc_post_request(buf, sizeof(buf), &rq, "/svc\n", NULL, NULL), -EINVAL);
}

/* Parse a whole answer (head and body) and classify it; the classifier's return in *rc. */
static struct svc_reply classify(const char *text, int *rc)
{
	static struct http_response resp;
	struct svc_reply r;
	int hl = http_parse_response(text, strlen(text), &resp);

	if (hl <= 0)
		fail_msg("transcript does not parse (%d): %s", hl, text);
	*rc = svc_classify(&resp, text + hl, strlen(text) - (size_t)hl, &r);
	return r;
}

static void expect(const char *text, enum svc_answer a, enum svc_body b)
{
	int rc;
	struct svc_reply r = classify(text, &rc);

	if (r.answer != a || r.body != b || rc != 0)
		fail_msg("want answer %s, body %s, rc 0; got %s, %s, rc %d, for:\n%s",
			 svc_answer_name(a), svc_body_name(b), svc_answer_name(r.answer),
			 svc_body_name(r.body), rc, text);
}

/* What ocserv 1.3 sends: the login page, then the session (worker-svc.c). */
static void test_ocserv_answers(void **state)
{
	static const char get[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Length: 0\r\n"
		"Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		"Set-Cookie: webvpnlogin=1; secure\r\n"
		"X-Transcend-Version: 1\r\n"
		"\r\n";
	static const char post[] = "HTTP/1.1 200 OK\r\n"
				   "Connection: Keep-Alive\r\n"
				   "Content-Length: 0\r\n"
				   "Set-Cookie: webvpn=AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=; secure\r\n"
				   "X-Transcend-Version: 1\r\n"
				   "\r\n";
	static const char refused[] = "HTTP/1.1 401 Authentication failed\r\n"
				      "Content-Length: 0\r\n"
				      "\r\n";
	struct svc_reply r;
	int rc;

	(void)state;
	r = classify(get, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.answer, SVC_LOGIN_PAGE);
	assert_int_equal(r.body, SVC_BODY_EMPTY);
	assert_true(r.webvpn_seen && r.webvpn_expires);
	assert_int_equal(r.n_login, 1);
	assert_string_equal(r.cookie, "");

	r = classify(post, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.answer, SVC_SESSION);
	assert_string_equal(r.cookie, "AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=");
	assert_false(r.webvpn_expires);

	r = classify(refused, &rc);
	assert_int_equal(r.answer, SVC_UNAUTHORIZED);
	assert_int_equal(r.status, 401);
}

/* ocserv 1.1.6 has no /svc, and answers a GET of / with its desktop login. */
static void test_desktop_headend(void **state)
{
	static const char not_found[] = "HTTP/1.1 404 Not found\r\n"
					"Connection: close\r\n"
					"Content-Type: text/html\r\n"
					"Content-Length: 49\r\n"
					"\r\n"
					"<html><body><h1>404 Not found</h1></body></html>\n";
	static const char xml[] =
		"HTTP/1.1 200 OK\r\n"
		"Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; Secure; "
		"HttpOnly\r\n"
		"Content-Type: text/xml\r\n"
		"Content-Length: 244\r\n"
		"X-Transcend-Version: 1\r\n"
		"\r\n"
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<config-auth client=\"vpn\" type=\"auth-request\">\n"
		"<version who=\"sg\">0.1(1)</version>\n"
		"<auth id=\"main\">\n"
		"<message>Please enter your username.</message>\n"
		"<form method=\"post\" action=\"/auth\">\n"
		"</form></auth>\n"
		"</config-auth>";
	int rc;

	(void)state;
	expect(not_found, SVC_STATUS, SVC_BODY_HTML);
	assert_int_equal(classify(not_found, &rc).status, 404);
	/* webvpncontext is not webvpn: "'webvpn=' not found in cookie" */
	expect(xml, SVC_NO_WEBVPN, SVC_BODY_XML);
}

/* Every way an answer can fail to be the phone's login page or session. */
static void test_broken_answers(void **state)
{
	int rc;
	struct svc_reply r;

	(void)state;
	/* an HTML page and no cookie at all (an ASA's portal for a wrong group-url) */
	expect("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 27\r\n\r\n<html><body>Login</body>\n\n",
	       SVC_NO_WEBVPN, SVC_BODY_HTML);
	expect("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", SVC_NO_WEBVPN, SVC_BODY_EMPTY);
	expect("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", SVC_NO_WEBVPN, SVC_BODY_OTHER);
	/* look-alike names are other cookies */
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpnc=x\r\nSet-Cookie: WEBVPN=y\r\n"
	       "Set-Cookie: webvpnlogin=1\r\nContent-Length: 0\r\n\r\n",
	       SVC_NO_WEBVPN, SVC_BODY_EMPTY);

	/* a redirect, its Location kept */
	r = classify("HTTP/1.1 302 Found\r\nLocation: /+webvpn+/index.html\r\n"
		     "Set-Cookie: webvpnlogin=1\r\nContent-Length: 0\r\n\r\n",
		     &rc);
	assert_int_equal(r.answer, SVC_REDIRECT);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.location_len, strlen("/+webvpn+/index.html"));
	assert_memory_equal(r.location, "/+webvpn+/index.html", r.location_len);
	r = classify("HTTP/1.1 303 See Other\r\nContent-Length: 0\r\n\r\n", &rc);
	assert_int_equal(r.answer, SVC_REDIRECT);
	assert_null(r.location);

	/* the expired webvpn cookie without its partner */
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT\r\n"
	       "Content-Length: 0\r\n\r\n",
	       SVC_NO_LOGIN, SVC_BODY_EMPTY);
	/* webvpnlogin without a value, with '=' or without */
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT\r\n"
	       "Set-Cookie: webvpnlogin=; secure\r\nContent-Length: 0\r\n\r\n",
	       SVC_EMPTY_LOGIN, SVC_BODY_EMPTY);
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=\r\nSet-Cookie: webvpnlogin\r\n"
	       "Content-Length: 0\r\n\r\n",
	       SVC_EMPTY_LOGIN, SVC_BODY_EMPTY);
	/* a second webvpnlogin, even with the same value */
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT\r\n"
	       "Set-Cookie: webvpnlogin=1\r\nSet-Cookie: webvpnlogin=1\r\nContent-Length: 0\r\n\r\n",
	       SVC_LOGIN_TWICE, SVC_BODY_EMPTY);
	/* a webvpnlogin but no webvpn cookie: the phone's "'webvpn=' not found in cookie" */
	expect("HTTP/1.1 200 OK\r\nSet-Cookie: webvpnlogin=1\r\nContent-Length: 0\r\n\r\n",
	       SVC_NO_WEBVPN, SVC_BODY_EMPTY);
	/* a login page without expires= on the webvpn cookie still is one */
	r = classify("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=\r\nSet-Cookie: webvpnlogin=yes\r\n"
		     "Content-Length: 0\r\n\r\n",
		     &rc);
	assert_int_equal(r.answer, SVC_LOGIN_PAGE);
	assert_false(r.webvpn_expires);
	/* a cookie counts only on a 200 */
	r = classify("HTTP/1.1 401 Unauthorized\r\nSet-Cookie: webvpn=abc\r\n\r\n", &rc);
	assert_int_equal(r.answer, SVC_UNAUTHORIZED);
	assert_string_equal(r.cookie, "");
	/* other statuses */
	expect("HTTP/1.1 503 Service Unavailable\r\n\r\n", SVC_STATUS, SVC_BODY_EMPTY);
	expect("HTTP/1.1 204 No Content\r\n\r\n", SVC_STATUS, SVC_BODY_EMPTY);
}

/*
 * What an ASA sends in the same exchange family (published transcripts):
 * several expired cookies beside webvpnlogin; the success clears
 * webvpnlogin, writes ";PATH=/" and a webvpn value holding '@'.
 */
static void test_asa_answers(void **state)
{
	static const char get[] =
		"HTTP/1.1 200 OK\r\n"
		"Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		"Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		"Set-Cookie: webvpn_portal=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		"Set-Cookie: webvpnSharePoint=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		"Set-Cookie: webvpnlogin=1; path=/; secure\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	static const char success[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: text/xml\r\n"
		"Set-Cookie: webvpnlogin=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
		"Set-Cookie: tg=1Layer3; expires=Mon, 22 Sep 2008 11:36:46 GMT; path=/\r\n"
		"Set-Cookie: webvpn=3581410512@1417216@1222033006@E13E470F73AE0BE3B35489C81C2EC8DD6B85CE20;PATH=/\r\n"
		"Set-Cookie: webvpnc=bu:/CACHE/stc/&p:t&iu:1/;PATH=/\r\n"
		"Content-Length: 78\r\n"
		"\r\n"
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<auth id=\"success\">\n<success/>\n</auth>\n";
	struct svc_reply r;
	int rc;

	(void)state;
	r = classify(get, &rc);
	assert_int_equal(r.answer, SVC_LOGIN_PAGE);
	assert_int_equal(r.n_login, 1);
	r = classify(success, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.answer, SVC_SESSION);
	assert_string_equal(r.cookie,
			    "3581410512@1417216@1222033006@E13E470F73AE0BE3B35489C81C2EC8DD6B85CE20");
	assert_int_equal(r.body, SVC_BODY_OTHER);
}

/* The session cookie: trimmed, the last non-empty value, too long refused. */
static void test_session_cookie(void **state)
{
	char text[1024], big[200];
	struct svc_reply r;
	int rc;

	(void)state;
	r = classify("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT\r\n"
		     "Set-Cookie:  webvpn = abc ; secure\r\nSet-Cookie: webvpn=; path=/\r\n"
		     "Set-Cookie: webvpnlogin=1\r\nContent-Length: 0\r\n\r\n",
		     &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.answer, SVC_SESSION);
	assert_string_equal(r.cookie, "abc");

	r = classify("HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=one\r\nSet-Cookie: webvpn=two\r\n"
		     "Content-Length: 0\r\n\r\n",
		     &rc);
	assert_string_equal(r.cookie, "two");

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=%s\r\n\r\n", big);
	r = classify(text, &rc);
	assert_int_equal(rc, -EMSGSIZE);
	assert_int_equal(r.answer, SVC_SESSION);
	assert_string_equal(r.cookie, "");
	/* the longest value that fits */
	big[SVC_COOKIE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nSet-Cookie: webvpn=%s\r\n\r\n", big);
	r = classify(text, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(r.cookie), SVC_COOKIE_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_request),	cmocka_unit_test(test_post_request),
		cmocka_unit_test(test_ocserv_answers), cmocka_unit_test(test_desktop_headend),
		cmocka_unit_test(test_broken_answers), cmocka_unit_test(test_asa_answers),
		cmocka_unit_test(test_session_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
