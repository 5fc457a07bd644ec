/*
 * tests/unit/test_url.c - headend URL splitting: defaults, ports, IPv4
 * literals, and the URLs a scenario must not get away with.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/url.h"

static void check_url(const char *s, const char *host, unsigned port, const char *path)
{
	struct url u;
	int err = url_parse(s, &u);

	if (err)
		fail_msg("%s: expected 0, got %d", s, err);
	if (strcmp(u.host, host) || u.port != port || strcmp(u.path, path))
		fail_msg("%s: expected %s %u %s, got %s %u %s", s, host, port, path, u.host, u.port,
			 u.path);
}

static void check_bad(const char *s)
{
	struct url u;
	int err = url_parse(s, &u);

	if (err != -EINVAL)
		fail_msg("\"%s\": expected -EINVAL, got %d", s, err);
}

static void test_good(void **state)
{
	(void)state;
	check_url("https://vpn.example.com", "vpn.example.com", 443, "/");
	check_url("https://vpn.example.com/", "vpn.example.com", 443, "/");
	check_url("HTTPS://Vpn.Example.com/phone", "Vpn.Example.com", 443, "/phone");
	check_url("https://127.0.0.1:24443/", "127.0.0.1", 24443, "/");
	check_url("https://10.0.0.1:443", "10.0.0.1", 443, "/");
	check_url("https://h:1/a/b?c=d&e", "h", 1, "/a/b?c=d&e");
	check_url("https://h:65535", "h", 65535, "/");
	check_url("https://h:00080/x", "h", 80, "/x");
}

static void test_bad(void **state)
{
	char long_host[300], long_path[1100];

	(void)state;
	check_bad("http://vpn.example.com/");
	check_bad("ftp://vpn.example.com/");
	check_bad("vpn.example.com");
	check_bad("https://");
	check_bad("https:///path");
	check_bad("https://:443/");
	check_bad("https://h:/");
	check_bad("https://h:0/");
	check_bad("https://h:65536/");
	check_bad("https://h:99999999999999999999/");
	check_bad("https://h:44x/");
	check_bad("https://user@h/");
	check_bad("https://[::1]:443/");
	check_bad("https://h/a b");
	check_bad("https://h/a#frag");
	check_bad("https://h/\x01");
	check_bad("https://h?x");

	strcpy(long_host, "https://");
	memset(long_host + 8, 'a', 254);
	long_host[8 + 254] = '\0';
	check_bad(long_host);
	long_host[8 + 253] = '\0';
	check_url(long_host, long_host + 8, 443, "/");

	strcpy(long_path, "https://h/");
	memset(long_path + 10, 'p', 1023);
	long_path[10 + 1023] = '\0';
	check_bad(long_path);
	long_path[10 + 1022] = '\0';
	check_url(long_path, "h", 443, long_path + 9);
}

static void test_ipv4(void **state)
{
	struct url u;

	(void)state;
	assert_int_equal(url_parse("https://192.0.2.1:8443/", &u), 0);
	assert_true(url_host_is_ipv4(&u));
	assert_int_equal(url_parse("https://vpn.example.com/", &u), 0);
	assert_false(url_host_is_ipv4(&u));
	assert_int_equal(url_parse("https://1.2.3/", &u), 0);
	assert_false(url_host_is_ipv4(&u));
	assert_int_equal(url_parse("https://1.2.3.256/", &u), 0);
	assert_false(url_host_is_ipv4(&u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_ipv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
