/*
 * tests/unit/test_redirect.c - resolving a headend's Location and ending
 * chains: the load-balancing redirect an ASA cluster was seen to send
 * (vpn-slice issue 3: an absolute https URL of another host), same-host
 * and relative forms, and the refusals (another scheme, loops, a fourth hop).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/redirect.h"

static struct url at(const char *s)
{
	struct url u;

	assert_int_equal(url_parse(s, &u), 0);
	return u;
}

/* Follow loc from cur (a fresh trail) and check host, port and path, or the error. */
static void check(const char *cur, const char *loc, int err, const char *host, unsigned port,
		  const char *path)
{
	struct redirect_trail t;
	struct url c = at(cur), n;
	int got;

	redirect_start(&t, &c);
	got = redirect_follow(&t, &c, loc, strlen(loc), &n);
	if (got != err)
		fail_msg("%s + \"%s\": expected %d, got %d", cur, loc, err, got);
	if (err)
		return;
	if (strcmp(n.host, host) || n.port != port || strcmp(n.path, path))
		fail_msg("%s + \"%s\": expected %s:%u%s, got %s:%u%s", cur, loc, host, port, path,
			 n.host, n.port, n.path);
}

static void test_resolve(void **state)
{
	(void)state;
	/* the ASA cluster's redirect */
	check("https://myaccess.mycompanyvpn.com/", "https://lon-twvpn-3a.mycompanyvpn.com/", 0,
	      "lon-twvpn-3a.mycompanyvpn.com", 443, "/");
	check("https://asa/phone", "  HTTPS://198.51.100.7:8443/phone?x=1#top  ", 0,
	      "198.51.100.7", 8443, "/phone?x=1");
	check("https://asa:4443/phone", "//member2/phone", 0, "member2", 443, "/phone");
	/* same host and port, another path */
	check("https://asa:4443/phone", "/+CSCOE+/logon.html", 0, "asa", 4443,
	      "/+CSCOE+/logon.html");
	check("https://asa/a/phone", "other", 0, "asa", 443, "/a/other");
	check("https://asa/a/b/c?q=/x/y", "../d/./e", 0, "asa", 443, "/a/d/e");
	check("https://asa/a", "../../..", 0, "asa", 443, "/");
	check("https://asa/a/b", "./", 0, "asa", 443, "/a/");
	check("https://asa/", "https://asa/x/../y", 0, "asa", 443, "/y");
	/* refused */
	check("https://asa/phone", "http://asa/phone", -EPROTONOSUPPORT, 0, 0, 0);
	check("https://asa/phone", "ftp://asa/", -EPROTONOSUPPORT, 0, 0, 0);
	check("https://asa/phone", "javascript:alert(1)", -EPROTONOSUPPORT, 0, 0, 0);
	check("https://asa/phone", "https:/asa", -EPROTONOSUPPORT, 0, 0, 0);
	check("https://asa/phone", "", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "  ", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "#top", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "https://bad host/", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "https://asa:0/", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "https://[2001:db8::1]/", -EINVAL, 0, 0, 0);
	check("https://asa/phone", "/a b", -EINVAL, 0, 0, 0);
}

static void test_chains(void **state)
{
	struct redirect_trail t;
	struct url a = at("https://vpn.example/phone"), b, c, d, e;
	static const char *const hops[] = {"https://m1.example/phone", "https://m2.example/phone",
					   "https://m3.example/phone", "https://m4.example/phone"};

	(void)state;
	/* back to the first URL (host in another case): a loop */
	redirect_start(&t, &a);
	assert_int_equal(redirect_follow(&t, &a, hops[0], strlen(hops[0]), &b), 0);
	assert_false(redirect_same_server(&a, &b));
	assert_int_equal(redirect_follow(&t, &b, "https://VPN.example/phone", 25, &c), -ELOOP);
	/* to itself */
	redirect_start(&t, &a);
	assert_int_equal(redirect_follow(&t, &a, "/phone", 6, &b), -ELOOP);
	/* a different port is a different URL */
	assert_int_equal(redirect_follow(&t, &a, "https://vpn.example:444/phone", 29, &b), 0);
	assert_false(redirect_same_server(&a, &b));
	/* three hops pass, the fourth is refused */
	redirect_start(&t, &a);
	assert_int_equal(redirect_follow(&t, &a, hops[0], strlen(hops[0]), &b), 0);
	assert_int_equal(redirect_follow(&t, &b, hops[1], strlen(hops[1]), &c), 0);
	assert_int_equal(redirect_follow(&t, &c, hops[2], strlen(hops[2]), &d), 0);
	assert_int_equal(t.hops, 3);
	assert_int_equal(redirect_follow(&t, &d, hops[3], strlen(hops[3]), &e), -EMLINK);
	assert_true(redirect_status(302) && redirect_status(301) && redirect_status(303) &&
		    redirect_status(307) && redirect_status(308));
	assert_false(redirect_status(300) || redirect_status(304) || redirect_status(200));
	assert_string_equal(redirect_strerror(-EMLINK), "more than 3 redirects");
	assert_string_not_equal(redirect_strerror(-ELOOP), redirect_strerror(-EPROTONOSUPPORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
