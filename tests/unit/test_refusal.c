/*
 * tests/unit/test_refusal.c - the headend's words in a refusal, from the
 * replies headends are known to send: ocserv's X-Reason (and the versions
 * that put it in the body), Cisco Secure Access's XML <error>, a 2008 ASA's
 * <message> template, an ASA page with no text at all, and error pages of
 * the usual web servers; then the cleaning every word goes through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/refusal.h"

struct words_case {
	const char *head; /* NULL: no reply head */
	const char *body;
	enum refusal_source src;
	const char *words;
};

static void check(const struct words_case *k)
{
	struct http_response r;
	char out[REFUSAL_WORDS_MAX];
	enum refusal_source src;

	if (k->head)
		assert_int_equal(http_parse_response(k->head, strlen(k->head), &r),
				 strlen(k->head));
	src = refusal_words(k->head ? &r : NULL, k->body, k->body ? strlen(k->body) : 0, out,
			    sizeof(out));
	if (src != k->src || strcmp(out, k->words))
		fail_msg("%.40s|%.60s: expected %s \"%s\", got %s \"%s\"", k->head ? k->head : "",
			 k->body ? k->body : "", refusal_source_name(k->src), k->words,
			 refusal_source_name(src), out);
}

static void test_headends(void **state)
{
	static const struct words_case cases[] = {
	    /* ocserv (worker-vpn.c) refusing a CONNECT when it has no address to give */
	    {"HTTP/1.1 503 Service Unavailable\r\nX-Reason: Server configuration error\r\n\r\n",
	     NULL, REFUSAL_X_REASON, "Server configuration error"},
	    /* X-Reason wins over the body */
	    {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\nX-Reason:   a  b \r\n\r\n",
	     "body text", REFUSAL_X_REASON, "a b"},
	    /* ocserv 0.8.0 to 0.11.6 wrote it in the body by mistake */
	    {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 24\r\n\r\n",
	     "X-Reason: Server error\r\n", REFUSAL_TEXT, "X-Reason: Server error"},
	    /* Cisco Secure Access, 2025 (openconnect-sso issue 188) */
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	     "<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n"
	     "<error id=\"24\" param1=\"\" param2=\"\">Authentication failed.</error>\n"
	     "</config-auth>",
	     REFUSAL_XML_ERROR, "Authentication failed."},
	    /* ocserv's form after a wrong password */
	    {NULL,
	     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	     "<config-auth client=\"vpn\" type=\"auth-request\">\n"
	     "<version who=\"sg\">0.1(1)</version>\n<auth id=\"main\">\n"
	     "<message>Login failed.\nPlease enter your password.</message>\n"
	     "<form method=\"post\" action=\"/auth\">\n"
	     "<input type=\"password\" name=\"password\" label=\"Password:\" />\n"
	     "</form></auth>\n</config-auth>",
	     REFUSAL_XML_MESSAGE, "Login failed. Please enter your password."},
	    /* a 2008 ASA's legacy page (openconnect commit 5f6631e8): no config-auth root */
	    {NULL,
	     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<auth id=\"next_tokencode\">\n"
	     "<title>SSL VPN Service</title>\n<message id=\"54\" param1=\"\" param2=\"\">"
	     "Enter the next card code to complete authentication.</message>\n</auth>",
	     REFUSAL_XML_MESSAGE, "Enter the next card code to complete authentication."},
	    {NULL, "<auth id=\"main\"><error id=\"3\">Login &amp; password refused</error>"
		   "<message>Please log in</message></auth>",
	     REFUSAL_XML_ERROR, "Login & password refused"},
	    /* an empty <error/> says nothing: the <message> is next */
	    {NULL, "<auth id=\"main\"><error/><message>Try again</message></auth>",
	     REFUSAL_XML_MESSAGE, "Try again"},
	    /* the page an ASA sends a group-url that is SSO-only (openconnect-sso issue 12) */
	    {"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 54\r\n\r\n",
	     "<html><body><br><center><b></b></center></body></html>", REFUSAL_NONE, ""},
	    /* nginx and Apache error pages: the body's first text, else the title */
	    {"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n",
	     "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
	     "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
	     "</body>\r\n</html>\r\n",
	     REFUSAL_PAGE, "502 Bad Gateway"},
	    {NULL,
	     "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
	     "<title>403 Forbidden</title>\n</head><body>\n<h1>Forbidden</h1>\n"
	     "<p>You don't have permission to access this resource.</p>\n</body></html>",
	     REFUSAL_PAGE, "Forbidden"},
	    {NULL, "<html><head><title>Session limit</title><script>var x = '<b>no</b>';"
		   "</script></head><body><!-- nothing --><style>p{}</style>"
		   "<p>&nbsp;Too&nbsp;many &amp; more &#x263A; &#65;&bogus;</p></body></html>",
	     REFUSAL_PAGE, "Too many & more \xe2\x98\xba A&bogus;"},
	    {NULL, "<HTML><HEAD><TITLE>Only a title</TITLE></HEAD><BODY>\n</BODY></HTML>",
	     REFUSAL_PAGE, "Only a title"},
	    /* served as HTML without tags; a plain body */
	    {"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n", "\n\n  denied  \n",
	     REFUSAL_PAGE, "denied"},
	    {NULL, "\r\n\r\nFirst line\r\nsecond line\r\n", REFUSAL_TEXT, "First line"},
	    {NULL, "\xef\xbb\xbf  <?xml version=\"1.0\"?><config-auth type=\"complete\">"
		   "<auth id=\"success\"/></config-auth>",
	     REFUSAL_NONE, ""},
	    {"HTTP/1.1 401 Unauthorized\r\n\r\n", NULL, REFUSAL_NONE, ""},
	    {"HTTP/1.1 401 Unauthorized\r\nX-Reason: \r\n\r\n", "", REFUSAL_NONE, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

static void test_clean(void **state)
{
	char out[16];

	(void)state;
	static const char ctl[] = "  a\r\n\tb\x01\x7f c  ";

	assert_int_equal(refusal_clean(out, sizeof(out), ctl, strlen(ctl)), 5);
	assert_string_equal(out, "a b c");
	/* not UTF-8: an overlong slash, a lone continuation, a surrogate, a cut sequence */
	static const char bad[] = "x\xc0\xafy\x80z\xed\xa0\x80\xe2\x98";

	refusal_clean(out, sizeof(out), bad, strlen(bad));
	assert_string_equal(out, "x??y?z?????");
	/* cut at a character boundary, never in the middle of one */
	refusal_clean(out, sizeof(out), "abcdefghijklm\xe2\x98\xba", 16);
	assert_string_equal(out, "abcdefghijklm");
	refusal_clean(out, 1, "abc", 3);
	assert_string_equal(out, "");
	/* a long X-Reason is cut to REFUSAL_WORDS_MAX - 1 bytes */
	char head[400], words[REFUSAL_WORDS_MAX];
	struct http_response r;
	int n = snprintf(head, sizeof(head), "HTTP/1.1 503 x\r\nX-Reason: ");

	memset(head + n, 'w', 200);
	strcpy(head + n + 200, "\r\n\r\n");
	assert_true(http_parse_response(head, strlen(head), &r) > 0);
	assert_int_equal(refusal_words(&r, NULL, 0, words, sizeof(words)), REFUSAL_X_REASON);
	assert_int_equal(strlen(words), REFUSAL_WORDS_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headends),
	    cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
