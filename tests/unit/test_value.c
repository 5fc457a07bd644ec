/*
 * tests/unit/test_value.c - the parsers of scenario values.
 *
 * Each parser gets the examples the documentation promises, the edges of
 * its range, and the near-misses it must refuse; a refused value must leave
 * the output untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loadgen/value.h"

/* The address a.b.c.d in network byte order. */
static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ==== Durations ==== */

static void expect_duration(const char *s, uint64_t want)
{
	uint64_t got = 12345;

	if (value_duration(s, &got) != 0)
		fail_msg("value_duration(\"%s\") refused, want %llu", s, (unsigned long long)want);
	if (got != want)
		fail_msg("value_duration(\"%s\") = %llu, want %llu", s, (unsigned long long)got,
			 (unsigned long long)want);
}

static void refuse_duration(const char *s)
{
	uint64_t got = 777;

	if (value_duration(s, &got) != -EINVAL)
		fail_msg("value_duration(\"%s\") accepted (%llu)", s, (unsigned long long)got);
	assert_int_equal(got, 777);
}

static void test_duration_good(void **state)
{
	(void)state;
	expect_duration("250ms", 250000);
	expect_duration("20s", 20000000);
	expect_duration("5m", 300000000);
	expect_duration("2h", 7200000000ULL);
	expect_duration("1d", 86400000000ULL);
	expect_duration("1.5s", 1500000);
	expect_duration("0.1s", 100000);
	expect_duration("7", 7000000);
	expect_duration("2.25", 2250000);
	expect_duration("0", 0);
	expect_duration("0s", 0);
	expect_duration("40us", 40);
	expect_duration("1.5ms", 1500);
	expect_duration("0.0000004s", 0); /* below a microsecond: dropped */
	expect_duration("250 ms", 250000);
	expect_duration("18446744073709551615us", UINT64_MAX);
}

static void test_duration_bad(void **state)
{
	(void)state;
	refuse_duration("");
	refuse_duration("-5s");
	refuse_duration("+5s");
	refuse_duration("s");
	refuse_duration("5x");
	refuse_duration("5 mins");
	refuse_duration("5S");
	refuse_duration("5M");
	refuse_duration("1.s");
	refuse_duration(".5s");
	refuse_duration("1..5s");
	refuse_duration("5s5");
	refuse_duration(" 5s");
	refuse_duration("0x10s");
	refuse_duration("18446744073709551616us"); /* 2^64 */
	refuse_duration("18446744073709552s");	   /* 2^64 us and a bit */
	refuse_duration("99999999999999999999999d");
	refuse_duration("213503983d"); /* 1.84467441312e19 us */
	expect_duration("213503982d", 18446744044800000000ULL);
}

/* ==== Shares ==== */

static void test_share(void **state)
{
	double f = -1;

	(void)state;
	assert_int_equal(value_share("30%", &f), 0);
	assert_float_equal(f, 0.3, 1e-12);
	assert_int_equal(value_share("0.3", &f), 0);
	assert_float_equal(f, 0.3, 1e-12);
	assert_int_equal(value_share("100%", &f), 0);
	assert_float_equal(f, 1.0, 1e-12);
	assert_int_equal(value_share("0%", &f), 0);
	assert_float_equal(f, 0.0, 1e-12);
	assert_int_equal(value_share("1", &f), 0);
	assert_float_equal(f, 1.0, 1e-12);
	assert_int_equal(value_share("12.5%", &f), 0);
	assert_float_equal(f, 0.125, 1e-12);

	f = 42;
	assert_int_equal(value_share("30", &f), -EINVAL); /* 30 is not 0..1 */
	assert_int_equal(value_share("101%", &f), -EINVAL);
	assert_int_equal(value_share("1.01", &f), -EINVAL);
	assert_int_equal(value_share("-0.1", &f), -EINVAL);
	assert_int_equal(value_share("", &f), -EINVAL);
	assert_int_equal(value_share("%", &f), -EINVAL);
	assert_int_equal(value_share("30%%", &f), -EINVAL);
	assert_int_equal(value_share("3e-1", &f), -EINVAL);
	assert_int_equal(value_share("nan", &f), -EINVAL);
	assert_int_equal(value_share("0.3x", &f), -EINVAL);
	assert_float_equal(f, 42, 0);
}

/* ==== Numbers and booleans ==== */

static void test_uint(void **state)
{
	uint64_t v = 9;

	(void)state;
	assert_int_equal(value_uint("1", 1, 1000000, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(value_uint("1000000", 1, 1000000, &v), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(value_uint("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(value_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);

	v = 9;
	assert_int_equal(value_uint("0", 1, 1000000, &v), -EINVAL);
	assert_int_equal(value_uint("1000001", 1, 1000000, &v), -EINVAL);
	assert_int_equal(value_uint("12x", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("+1", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("1.0", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(value_uint("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 9);
}

static void test_double(void **state)
{
	double d = 5;

	(void)state;
	assert_int_equal(value_double("2.5", 0, 100, &d), 0);
	assert_float_equal(d, 2.5, 0);
	assert_int_equal(value_double("-1", -10, 10, &d), 0);
	assert_float_equal(d, -1, 0);
	assert_int_equal(value_double("1e3", 0, 1e6, &d), 0);
	assert_float_equal(d, 1000, 0);
	assert_int_equal(value_double("0.001", 0, 1, &d), 0);
	assert_float_equal(d, 0.001, 1e-15);

	d = 5;
	assert_int_equal(value_double("101", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("-0.5", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("inf", 0, 1e308, &d), -EINVAL);
	assert_int_equal(value_double("nan", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("0x10", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("1e999", 0, 1e308, &d), -EINVAL);
	assert_int_equal(value_double("", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double(".", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("1e", 0, 100, &d), -EINVAL);
	assert_int_equal(value_double("2/s", 0, 100, &d), -EINVAL);
	assert_float_equal(d, 5, 0);
}

static void test_bool(void **state)
{
	static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "On"};
	static const char *const no[] = {"false", "no", "off", "0", "No", "OFF"};
	bool b;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(value_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(value_bool(no[i], &b), 0);
		assert_false(b);
	}
	assert_int_equal(value_bool("", &b), -EINVAL);
	assert_int_equal(value_bool("2", &b), -EINVAL);
	assert_int_equal(value_bool("yess", &b), -EINVAL);
	assert_int_equal(value_bool("enabled", &b), -EINVAL);
}

/* ==== Lists ==== */

static void test_list(void **state)
{
	const char *cur = " a , bb,c\t,  d e ";
	char item[8];

	(void)state;
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "a");
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "bb");
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "c");
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "d e");
	assert_null(cur);
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 0);

	cur = "one";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_string_equal(item, "one");
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 0);

	cur = "a,,b";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), -EINVAL);
	cur = "a,";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), -EINVAL);
	cur = "";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), -EINVAL);
	cur = "  ";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), -EINVAL);
	cur = "1234567"; /* 7 characters and the NUL fit in 8 */
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), 1);
	cur = "12345678";
	assert_int_equal(value_list_next(&cur, item, sizeof(item)), -EINVAL);
}

/* ==== Models ==== */

static void test_models_good(void **state)
{
	struct model_share m[CONFIG_MAX_MODELS];
	int n = -1;

	(void)state;
	assert_int_equal(value_models("8861:60,7962:40", m, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].model, "8861");
	assert_float_equal(m[0].share, 0.6, 1e-12);
	assert_string_equal(m[1].model, "7962");
	assert_float_equal(m[1].share, 0.4, 1e-12);

	/* Weights are normalised: 3:1 is 75/25. */
	assert_int_equal(value_models("8861:3, 7962:1", m, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_float_equal(m[0].share, 0.75, 1e-12);
	assert_float_equal(m[1].share, 0.25, 1e-12);

	assert_int_equal(value_models("8861:60%,7962:40%", m, 16, &n), 0);
	assert_float_equal(m[0].share, 0.6, 1e-12);
	assert_float_equal(m[1].share, 0.4, 1e-12);

	assert_int_equal(value_models("8861:0.6,7962:0.2", m, 16, &n), 0);
	assert_float_equal(m[0].share, 0.75, 1e-12);
	assert_float_equal(m[1].share, 0.25, 1e-12);

	assert_int_equal(value_models("8861", m, 16, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].model, "8861");
	assert_float_equal(m[0].share, 1.0, 0);

	assert_int_equal(value_models("8861,7962,7821,8845", m, 16, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(m[3].model, "8845");
	for (int i = 0; i < 4; i++)
		assert_float_equal(m[i].share, 0.25, 1e-12);

	assert_int_equal(value_models("794:1,88611:1,8861:0", m, 16, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(m[1].model, "88611");
	assert_float_equal(m[2].share, 0.0, 0);
}

static void test_models_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    ",",
	    "8861,",
	    "8861:60,8861:40",	 /* duplicate */
	    "8861:0,7962:0",	 /* zero total */
	    "8861:60%,7962:40",	 /* percent and weight mixed */
	    "8861:60,7962",	 /* share and no share mixed */
	    "8861:60%,7962:30%", /* 90% */
	    "88:100",		 /* too short a name */
	    "886100:100",	 /* too long */
	    "CP-8861:100",
	    "8861:",
	    "8861:-5",
	    "8861:abc",
	    "8861:%",
	    "8861:60:40",
	    "8861;60",
	};
	struct model_share m[2] = {{"keep", 0.5}, {"keep", 0.5}};
	int n = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (value_models(bad[i], m, 2, &n) != -EINVAL)
			fail_msg("value_models(\"%s\") accepted", bad[i]);
	}
	/* More models than the caller has room for. */
	assert_int_equal(value_models("1001,1002,1003", m, 2, &n), -EINVAL);
	assert_int_equal(n, 99);
	assert_string_equal(m[0].model, "keep");
}

/* ==== IPv4 sets ==== */

static void test_ipv4_single_and_range(void **state)
{
	uint32_t *a = NULL, n = 0;

	(void)state;
	assert_int_equal(value_ipv4_set("198.18.0.2", &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0], ip("198.18.0.2"));
	free(a);

	assert_int_equal(value_ipv4_set("198.18.64.1-198.18.64.254", &a, &n), 0);
	assert_int_equal(n, 254);
	assert_int_equal(a[0], ip("198.18.64.1"));
	assert_int_equal(a[1], ip("198.18.64.2"));
	assert_int_equal(a[253], ip("198.18.64.254"));
	free(a);

	/* A range across an octet boundary, and one of a single address. */
	assert_int_equal(value_ipv4_set("10.0.0.250-10.0.1.5,10.9.9.9-10.9.9.9", &a, &n), 0);
	assert_int_equal(n, 13);
	assert_int_equal(a[5], ip("10.0.0.255"));
	assert_int_equal(a[6], ip("10.0.1.0"));
	assert_int_equal(a[11], ip("10.0.1.5"));
	assert_int_equal(a[12], ip("10.9.9.9"));
	free(a);
}

static void test_ipv4_cidr(void **state)
{
	uint32_t *a = NULL, n = 0;

	(void)state;
	/* /18: 16384 addresses less network and broadcast. */
	assert_int_equal(value_ipv4_set("198.18.64.0/18", &a, &n), 0);
	assert_int_equal(n, 16382);
	assert_int_equal(a[0], ip("198.18.64.1"));
	assert_int_equal(a[n - 1], ip("198.18.127.254"));
	free(a);

	assert_int_equal(value_ipv4_set("198.18.0.0/24", &a, &n), 0);
	assert_int_equal(n, 254);
	assert_int_equal(a[0], ip("198.18.0.1"));
	assert_int_equal(a[253], ip("198.18.0.254"));
	free(a);

	assert_int_equal(value_ipv4_set("198.18.0.4/30", &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0], ip("198.18.0.5"));
	assert_int_equal(a[1], ip("198.18.0.6"));
	free(a);

	/* /31 and /32 keep every address. */
	assert_int_equal(value_ipv4_set("198.18.0.6/31", &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0], ip("198.18.0.6"));
	assert_int_equal(a[1], ip("198.18.0.7"));
	free(a);
	assert_int_equal(value_ipv4_set("198.18.0.9/32", &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0], ip("198.18.0.9"));
	free(a);

	/* A list mixing the three forms, in the order given. */
	assert_int_equal(value_ipv4_set("198.18.1.1, 198.18.2.0/30 ,"
					"198.18.3.10-198.18.3.11",
					&a, &n),
			 0);
	assert_int_equal(n, 5);
	assert_int_equal(a[0], ip("198.18.1.1"));
	assert_int_equal(a[1], ip("198.18.2.1"));
	assert_int_equal(a[2], ip("198.18.2.2"));
	assert_int_equal(a[3], ip("198.18.3.10"));
	assert_int_equal(a[4], ip("198.18.3.11"));
	free(a);

	/* The cap: a /12 less two fits, plus two more is exactly the cap. */
	assert_int_equal(value_ipv4_set("10.0.0.0/12,11.0.0.1,11.0.0.2", &a, &n), 0);
	assert_int_equal(n, VALUE_MAX_ADDRS);
	assert_int_equal(a[0], ip("10.0.0.1"));
	assert_int_equal(a[n - 3], ip("10.15.255.254"));
	assert_int_equal(a[n - 1], ip("11.0.0.2"));
	free(a);
}

static void test_ipv4_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "198.18.0",
	    "198.18.0.256",
	    "198.18.0.1,",
	    "198.18.0.1,,198.18.0.2",
	    "198.18.0.10-198.18.0.9", /* backwards */
	    "198.18.0.1-",
	    "198.18.0.0/33",
	    "198.18.0.0/",
	    "198.18.0.0/-1",
	    "198.18.0.1/24", /* host bits set */
	    "198.18.0.0/24x",
	    "fe80::1",
	    "host.example",
	    "0.0.0.0/0",			      /* over the cap */
	    "10.0.0.0/11",			      /* 2M, over the cap */
	    "10.0.0.0/12,11.0.0.1,11.0.0.2,11.0.0.3", /* cap + 1 */
	    "10.0.0.0-10.32.0.0",
	};
	uint32_t *a = (uint32_t *)0x1, n = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (value_ipv4_set(bad[i], &a, &n) != -EINVAL)
			fail_msg("value_ipv4_set(\"%s\") accepted (%u)", bad[i], n);
	}
	assert_ptr_equal(a, (uint32_t *)0x1);
	assert_int_equal(n, 77);
}

/* ==== MAC addresses ==== */

static void test_mac(void **state)
{
	static const char *const same[] = {
	    "00:11:22:33:44:55",
	    "00-11-22-33-44-55",
	    "001122334455",
	    "0011.2233.4455",
	};
	static const char *const bad[] = {
	    "",
	    "00:11:22:33:44",
	    "00:11:22:33:44:55:66",
	    "00:11:22-33:44:55",
	    "0011223344556",
	    "00112233445g",
	    "0011.2233:4455",
	    "00:11:22:33:44:5",
	    "0:11:22:33:44:555",
	    "001122.334455",
	};
	uint64_t mac;

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		mac = 0;
		assert_int_equal(value_mac(same[i], &mac), 0);
		assert_true(mac == 0x001122334455ULL);
	}
	assert_int_equal(value_mac("AA:bb:Cc:dD:ee:FF", &mac), 0);
	assert_true(mac == 0xAABBCCDDEEFFULL);
	assert_int_equal(value_mac("ffffffffffff", &mac), 0);
	assert_true(mac == 0xFFFFFFFFFFFFULL);

	mac = 5;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (value_mac(bad[i], &mac) != -EINVAL)
			fail_msg("value_mac(\"%s\") accepted", bad[i]);
	}
	assert_true(mac == 5);
}

/* ==== Certificate hashes ==== */

#define B64_A	"AAECAwQFBgcICQoLDA0ODxAREhM="
#define HEX_A	"000102030405060708090a0b0c0d0e0f10111213"
#define COLON_A "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13"
#define B64_B	"7O3u7/Dx8vP09fb3+Pn6+/z9/v8="
#define HEX_B	"ECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"

static const uint8_t hash_a[20] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,
				   10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
static const uint8_t hash_b[20] = {0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
				   0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};

static void test_hashes_inline(void **state)
{
	uint8_t h[CONFIG_MAX_HASHES][20];
	int n = 0;

	(void)state;
	assert_int_equal(value_cert_hashes(B64_A, h, 10, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(h[0], hash_a, 20);

	assert_int_equal(value_cert_hashes(B64_A "," B64_B, h, 10, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(h[0], hash_a, 20);
	assert_memory_equal(h[1], hash_b, 20);

	/* Unpadded Base64, hex either case, with colons, mixed in one list. */
	assert_int_equal(value_cert_hashes("7O3u7/Dx8vP09fb3+Pn6+/z9/v8, " HEX_A " ," COLON_A
					   "," HEX_B,
					   h, 10, &n),
			 0);
	assert_int_equal(n, 4);
	assert_memory_equal(h[0], hash_b, 20);
	assert_memory_equal(h[1], hash_a, 20);
	assert_memory_equal(h[2], hash_a, 20);
	assert_memory_equal(h[3], hash_b, 20);
}

static void test_hashes_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    B64_A ",",
	    "AAECAwQFBgcICQoLDA0ODxAREhM",  /* fine: skipped below */
	    "AAECAwQFBgcICQoLDA0ODxAREhN=", /* last 2 bits not zero */
	    "AAECAwQFBgcICQoLDA0ODxAREh==", /* 26 digits */
	    "AAECAwQFBgcICQoLDA0ODxAREhM=A",
	    "AAECAwQFBgcICQoLDA0ODxAREh*=",
	    "000102030405060708090a0b0c0d0e0f1011121",	 /* 39 hex */
	    "000102030405060708090a0b0c0d0e0f101112130", /* 41 hex */
	    "000102030405060708090a0b0c0d0e0f1011121g",
	    "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12-13",
	    "00010203040506070809:0A0B0C0D0E0F10111213",
	    "@", /* no file name: fopen("") fails, reported as -errno */
	};
	uint8_t h[CONFIG_MAX_HASHES][20];
	char eleven[11 * 30];
	int n = 42;

	(void)state;
	/* The unpadded form is fine on its own: check the list above. */
	assert_int_equal(value_cert_hashes(bad[2], h, 10, &n), 0);
	n = 42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 2)
			continue;
		if (value_cert_hashes(bad[i], h, 10, &n) >= 0)
			fail_msg("value_cert_hashes(\"%s\") accepted", bad[i]);
	}
	assert_int_equal(n, 42);

	/* Ten hashes fit, eleven do not; max below ten is honoured. */
	eleven[0] = '\0';
	for (int i = 0; i < 11; i++)
		strcat(strcat(eleven, i ? "," : ""), B64_A);
	assert_int_equal(value_cert_hashes(eleven, h, 10, &n), -EINVAL);
	eleven[10 * 29 - 1] = '\0';
	assert_int_equal(value_cert_hashes(eleven, h, 10, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(value_cert_hashes(B64_A "," B64_B, h, 1, &n), -EINVAL);
}

static void test_hashes_file(void **state)
{
	char path[] = "/tmp/test_value_hashes_XXXXXX", arg[64];
	const char text[] = "# headend certificates\n"
			    "\n" B64_A "\r\n"
			    "  " HEX_B " , " COLON_A "\n"
			    "7O3u7/Dx8vP09fb3+Pn6+/z9/v8=";
	const char *bad_text = B64_A "\nnot-a-hash\n";
	uint8_t h[CONFIG_MAX_HASHES][20];
	int fd, n = 0;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(value_cert_hashes(arg, h, 10, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(h[0], hash_a, 20);
	assert_memory_equal(h[1], hash_b, 20);
	assert_memory_equal(h[2], hash_a, 20);
	assert_memory_equal(h[3], hash_b, 20);

	/* A file with a bad line, an empty file, a missing file. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad_text, strlen(bad_text)), (ssize_t)strlen(bad_text));
	close(fd);
	assert_int_equal(value_cert_hashes(arg, h, 10, &n), -EINVAL);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(value_cert_hashes(arg, h, 10, &n), -EINVAL);
	unlink(path);
	assert_int_equal(value_cert_hashes(arg, h, 10, &n), -ENOENT);
}

static void test_mix(void **state)
{
	static const char *const words[] = {"valid", "expired", "not_yet_valid"};
	double sh[3];

	(void)state;
	assert_int_equal(value_mix("expired", words, 3, sh), 0);
	assert_float_equal(sh[0], 0, 0);
	assert_float_equal(sh[1], 1, 0);
	assert_int_equal(value_mix("valid:90%, expired:10%", words, 3, sh), 0);
	assert_float_equal(sh[0], 0.9, 1e-12);
	assert_float_equal(sh[1], 0.1, 1e-12);
	assert_float_equal(sh[2], 0, 0);
	assert_int_equal(value_mix("VALID:0.5,not_yet_valid:0.5", words, 3, sh), 0);
	assert_float_equal(sh[2], 0.5, 1e-12);
	/* shares must sum to 1; words known, once each; shares well formed */
	assert_int_equal(value_mix("valid:90%,expired:20%", words, 3, sh), -EINVAL);
	assert_int_equal(value_mix("valid:50%", words, 3, sh), -EINVAL);
	assert_int_equal(value_mix("revoked", words, 3, sh), -EINVAL);
	assert_int_equal(value_mix("valid:50%,valid:50%", words, 3, sh), -EINVAL);
	assert_int_equal(value_mix("valid:x,expired:1", words, 3, sh), -EINVAL);
	assert_int_equal(value_mix("", words, 3, sh), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_good), cmocka_unit_test(test_duration_bad),
	    cmocka_unit_test(test_share),	  cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_double),	  cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_list),	  cmocka_unit_test(test_models_good),
	    cmocka_unit_test(test_models_bad),	  cmocka_unit_test(test_ipv4_single_and_range),
	    cmocka_unit_test(test_ipv4_cidr),	  cmocka_unit_test(test_ipv4_bad),
	    cmocka_unit_test(test_mac),		  cmocka_unit_test(test_hashes_inline),
	    cmocka_unit_test(test_hashes_bad),	  cmocka_unit_test(test_hashes_file),
	    cmocka_unit_test(test_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
