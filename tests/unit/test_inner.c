/*
 * tests/unit/test_inner.c - IPv4/ICMP/UDP packets built and parsed (engine/proto/inner.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/proto/inner.h"

/* A checksum written the slow, obvious way, to check the real one against. */
static uint16_t slow_sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i % 2) ? p[i] : (uint64_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void test_known_header_checksum(void **state)
{
	/* the classic example header (Wikipedia, "IPv4 header checksum"): checksum 0xb861 */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	(void)state;
	assert_int_equal(inner_checksum(h, 20, 0), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(inner_checksum(h, 20, 0), 0);
}

static void test_icmp_echo_roundtrip(void **state)
{
	uint8_t pkt[256];
	struct inner_info in;
	int n = inner_icmp_echo(pkt, sizeof(pkt), ip("198.19.0.7"), ip("198.18.0.53"), 0x1234, 7,
				56);

	(void)state;
	assert_int_equal(n, 84);
	assert_int_equal(pkt[0], 0x45);
	assert_int_equal(pkt[9], IPPROTO_ICMP);
	assert_int_equal(slow_sum(pkt, 20), 0);
	assert_int_equal(slow_sum(pkt + 20, 64), 0);
	assert_int_equal(inner_parse(pkt, (size_t)n, &in), 0);
	assert_int_equal(in.icmp_type, 8);
	assert_int_equal(in.icmp_id, 0x1234);
	assert_int_equal(in.icmp_seq, 7);
	assert_int_equal(in.payload_len, 56);
	assert_int_equal(in.src.s_addr, ip("198.19.0.7").s_addr);
	assert_int_equal(in.dst.s_addr, ip("198.18.0.53").s_addr);
}

static void test_udp_checksum_and_parse(void **state)
{
	uint8_t pkt[256], pseudo[12 + 8 + 5];
	struct inner_info in;
	int n = inner_udp(pkt, sizeof(pkt), ip("198.19.1.2"), 16384, ip("198.18.0.1"), 5004,
			  "hello", 5);

	(void)state;
	assert_int_equal(n, 33);
	/* pseudo-header + UDP header + data, summed the slow way, must be 0 */
	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = 0;
	pseudo[11] = 13;
	uint8_t all[12 + 13];
	memcpy(all, pseudo, 12);
	memcpy(all + 12, pkt + 20, 13);
	assert_int_equal(slow_sum(all, sizeof(all)), 0);
	assert_int_equal(inner_parse(pkt, (size_t)n, &in), 0);
	assert_int_equal(in.sport, 16384);
	assert_int_equal(in.dport, 5004);
	assert_int_equal(in.payload_len, 5);
	assert_memory_equal(in.payload, "hello", 5);
}

static void test_parse_rejects_damage(void **state)
{
	uint8_t pkt[256];
	struct inner_info in;
	int n = inner_icmp_echo(pkt, sizeof(pkt), ip("10.0.0.1"), ip("10.0.0.2"), 1, 1, 8);

	(void)state;
	pkt[8] ^= 1; /* TTL changed: header checksum no longer holds */
	assert_int_equal(inner_parse(pkt, (size_t)n, &in), -EBADMSG);
	pkt[8] ^= 1;
	pkt[n - 1] ^= 0xff; /* payload changed: ICMP checksum no longer holds */
	assert_int_equal(inner_parse(pkt, (size_t)n, &in), -EBADMSG);
	pkt[n - 1] ^= 0xff;
	assert_int_equal(inner_parse(pkt, (size_t)n - 1, &in), -EBADMSG); /* truncated */
	assert_int_equal(inner_parse(pkt, 10, &in), -EBADMSG);
	pkt[0] = 0x65; /* IPv6 version nibble */
	assert_int_equal(inner_parse(pkt, (size_t)n, &in), -EBADMSG);
}

static void test_no_overflow(void **state)
{
	uint8_t pkt[40];

	(void)state;
	assert_int_equal(inner_icmp_echo(pkt, sizeof(pkt), ip("1.1.1.1"), ip("2.2.2.2"), 1, 1, 56),
			 -ENOSPC);
	assert_int_equal(inner_udp(pkt, sizeof(pkt), ip("1.1.1.1"), 1, ip("2.2.2.2"), 2, pkt, 20),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_header_checksum),
		cmocka_unit_test(test_icmp_echo_roundtrip),
		cmocka_unit_test(test_udp_checksum_and_parse),
		cmocka_unit_test(test_parse_rejects_damage),
		cmocka_unit_test(test_no_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
