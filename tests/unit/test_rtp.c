/*
 * tests/unit/test_rtp.c - RTP headers built and parsed, the probe payload,
 * and the send schedule (engine/voice/rtp.c).
 *
 * Packets are compared byte for byte with ones written out by hand from
 * RFC 3550 5.1, so a field in the wrong place or order fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "engine/voice/rtp.h"

#define S  1000000ull        /* one second in us */
#define T0 (1000 * S + 123) /* a clock that does not start at 0 */

/* ==== Header ==== */

static void test_build_known_bytes(void **state)
{
	struct rtp_hdr h = {.marker = true, .pt = 18, .seq = 0x1234, .ts = 0xdeadbeef,
			    .ssrc = 0x01020304};
	const uint8_t want[] = {0x80, 0x80 | 18, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
				0x01, 0x02, 0x03, 0x04, 'a',  'b',  'c'};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(rtp_build(buf, sizeof(buf), &h, "abc", 3), 15);
	assert_memory_equal(buf, want, sizeof(want));
	h.marker = false;
	h.pt = 0;
	assert_int_equal(rtp_build(buf, sizeof(buf), &h, "abc", 3), 15);
	assert_int_equal(buf[1], 0);
}

static void test_build_limits(void **state)
{
	struct rtp_hdr h = {.pt = 0, .seq = 1};
	uint8_t buf[12 + 160];

	(void)state;
	assert_int_equal(rtp_build(buf, sizeof(buf), &h, NULL, 160), 172);
	for (size_t i = 12; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(rtp_build(buf, sizeof(buf), &h, NULL, 161), -ENOSPC);
	assert_int_equal(rtp_build(buf, 11, &h, NULL, 0), -ENOSPC);
	assert_int_equal(rtp_build(buf, 12, &h, NULL, 0), 12);
	assert_int_equal(rtp_build(buf, 12, &h, NULL, SIZE_MAX), -ENOSPC);
	h.pt = 128;
	assert_int_equal(rtp_build(buf, sizeof(buf), &h, NULL, 0), -EINVAL);
}

static void test_parse_roundtrip(void **state)
{
	struct rtp_hdr h = {.marker = true, .pt = 9, .seq = 65535, .ts = 4000000000u,
			    .ssrc = 0xcafef00d};
	struct rtp_hdr got;
	const uint8_t *pl;
	size_t plen;
	uint8_t buf[64];
	int n = rtp_build(buf, sizeof(buf), &h, "voice", 5);

	(void)state;
	assert_int_equal(rtp_parse(buf, (size_t)n, &got, &pl, &plen), 0);
	assert_true(got.marker);
	assert_int_equal(got.pt, 9);
	assert_int_equal(got.seq, 65535);
	assert_int_equal(got.ts, 4000000000u);
	assert_int_equal(got.ssrc, 0xcafef00d);
	assert_ptr_equal(pl, buf + 12);
	assert_int_equal(plen, 5);
	assert_memory_equal(pl, "voice", 5);
}

/*
 * A packet with everything optional: 2 CSRCs, a one-word extension
 * (RFC 5285's 0xBEDE profile), 3 bytes of payload and 4 of padding.
 */
static const uint8_t full[] = {
	0xb2, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 42, /* V=2 P=1 X=1 CC=2 */
	0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,     /* CSRCs */
	0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,     /* extension, 1 word */
	'x',  'y',  'z',                                    /* payload */
	0x00, 0x00, 0x00, 0x04,                             /* padding of 4 */
};

static void test_parse_csrc_extension_padding(void **state)
{
	struct rtp_hdr h;
	const uint8_t *pl;
	size_t plen;

	(void)state;
	assert_int_equal(rtp_parse(full, sizeof(full), &h, &pl, &plen), 0);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.ts, 160);
	assert_int_equal(h.ssrc, 42);
	assert_false(h.marker);
	assert_ptr_equal(pl, full + 28);
	assert_int_equal(plen, 3);
	assert_memory_equal(pl, "xyz", 3);

	/* CSRCs alone */
	uint8_t csrc[] = {0x81, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 'p'};
	assert_int_equal(rtp_parse(csrc, sizeof(csrc), &h, &pl, &plen), 0);
	assert_ptr_equal(pl, csrc + 16);
	assert_int_equal(plen, 1);

	/* padding that takes the whole payload */
	uint8_t pad[] = {0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3};
	assert_int_equal(rtp_parse(pad, sizeof(pad), &h, &pl, &plen), 0);
	assert_int_equal(plen, 0);
}

static void test_parse_rejects(void **state)
{
	struct rtp_hdr h;
	const uint8_t *pl;
	size_t plen;
	uint8_t b[sizeof(full)];

	(void)state;
	/* every truncation of the full packet fails: its padding count is its last byte */
	for (size_t len = 0; len < sizeof(full); len++)
		assert_int_equal(rtp_parse(full, len, &h, &pl, &plen), -EBADMSG);
	/* versions other than 2 */
	for (int v = 0; v < 4; v++) {
		memcpy(b, full, sizeof(b));
		b[0] = (uint8_t)((b[0] & 0x3f) | v << 6);
		assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), v == 2 ? 0 : -EBADMSG);
	}
	/* a CSRC count past the end */
	memcpy(b, full, sizeof(b));
	b[0] = (b[0] & 0xf0) | 6; /* 12 + 24 + ext 8 = 44 > 35 */
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), -EBADMSG);
	/* an extension length past the end */
	memcpy(b, full, sizeof(b));
	b[23] = 3;
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), -EBADMSG);
	b[23] = 2; /* 28 + 4 = 32 <= 35, then padding 4 > 3 left */
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), -EBADMSG);
	/* padding count 0, and padding reaching into the header */
	memcpy(b, full, sizeof(b));
	b[sizeof(b) - 1] = 0;
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), -EBADMSG);
	b[sizeof(b) - 1] = 8;
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), -EBADMSG);
	b[sizeof(b) - 1] = 7; /* payload and padding exactly */
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), 0);
	assert_int_equal(plen, 0);
	/* the same bytes without P: the padding is payload */
	b[0] &= (uint8_t)~0x20;
	assert_int_equal(rtp_parse(b, sizeof(b), &h, &pl, &plen), 0);
	assert_int_equal(plen, 7);
}

/* ==== Probe ==== */

static void test_probe_layout(void **state)
{
	struct rtp_probe p = {.phone = 0x01020304,
			      .seq32 = 0x05060708,
			      .sent_us = 0x1112131415161718ull,
			      .refl_rx_us = 0x2122232425262728ull,
			      .refl_count = 0x31323334,
			      .call = 0x41424344};
	const uint8_t want[32] = {1,    2,    3,    4,    5,    6,    7,    8,    0x11, 0x12, 0x13,
				  0x14, 0x15, 0x16, 0x17, 0x18, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
				  0x27, 0x28, 0x31, 0x32, 0x33, 0x34, 0x41, 0x42, 0x43, 0x44};
	uint8_t buf[40];
	struct rtp_probe got;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(rtp_probe_put(buf, sizeof(buf), &p), RTP_PROBE_LEN);
	assert_memory_equal(buf, want, 32);
	assert_int_equal(buf[32], 0xff); /* nothing written past the probe */
	assert_int_equal(rtp_probe_get(buf, 32, &got), 0);
	assert_int_equal(got.phone, p.phone);
	assert_int_equal(got.seq32, p.seq32);
	assert_int_equal(got.sent_us, p.sent_us);
	assert_int_equal(got.refl_rx_us, p.refl_rx_us);
	assert_int_equal(got.refl_count, p.refl_count);
	assert_int_equal(got.call, p.call);
	assert_int_equal(rtp_probe_get(buf, 31, &got), -EBADMSG);
	assert_int_equal(rtp_probe_put(buf, 31, &p), -ENOSPC);
}

/* A g711 packet as a phone sends it: probe at the front of 160 bytes, then the reflector's turn. */
static void test_probe_in_packet(void **state)
{
	struct rtp_hdr h = {.pt = 0, .seq = 3, .ts = 480, .ssrc = 77}, got;
	struct rtp_probe p = {.phone = 12, .seq32 = 3, .sent_us = T0}, back;
	uint8_t pkt[RTP_HDR_LEN + 160];
	const uint8_t *pl;
	size_t plen;
	int n = rtp_build(pkt, sizeof(pkt), &h, NULL, 160);

	(void)state;
	assert_int_equal(n, 172);
	assert_int_equal(rtp_probe_put(pkt + RTP_HDR_LEN, 160, &p), 32);
	assert_int_equal(rtp_parse(pkt, (size_t)n, &got, &pl, &plen), 0);
	assert_int_equal(plen, 160);
	assert_int_equal(rtp_probe_get(pl, plen, &back), 0);
	assert_int_equal(back.phone, 12);
	assert_int_equal(back.refl_count, 0);
	/* the reflector stamps its side into the same bytes */
	back.refl_rx_us = T0 + 1500;
	back.refl_count = 4;
	assert_int_equal(rtp_probe_put(pkt + RTP_HDR_LEN, 160, &back), 32);
	assert_int_equal(rtp_probe_get(pkt + RTP_HDR_LEN, 160, &p), 0);
	assert_int_equal(p.sent_us, T0);
	assert_int_equal(p.refl_rx_us, T0 + 1500);
	assert_int_equal(p.refl_count, 4);
}

/* ==== Schedule ==== */

static void test_due(void **state)
{
	(void)state;
	assert_int_equal(rtp_due_us(T0, 0, 20000), T0);
	assert_int_equal(rtp_due_us(T0, 1, 20000), T0 + 20000);
	assert_int_equal(rtp_due_us(T0, 50, 20000), T0 + S);
	/* an hour of 20 ms packets lands exactly on the hour: no drift */
	assert_int_equal(rtp_due_us(T0, 180000, 20000), T0 + 3600 * S);
	assert_int_equal(rtp_due_us(T0, 3, 30000), T0 + 90000);

	assert_int_equal(rtp_due_count(T0, 20000, T0 - 1), 0);
	assert_int_equal(rtp_due_count(T0, 20000, T0), 1);
	assert_int_equal(rtp_due_count(T0, 20000, T0 + 19999), 1);
	assert_int_equal(rtp_due_count(T0, 20000, T0 + 20000), 2);
	assert_int_equal(rtp_due_count(T0, 20000, T0 + S), 51);
	/* the count and the due times agree everywhere */
	for (uint64_t n = 0; n < 500; n++) {
		uint64_t due = rtp_due_us(T0, n, 20000);
		assert_int_equal(rtp_due_count(T0, 20000, due), n + 1);
		assert_int_equal(rtp_due_count(T0, 20000, due - 1), n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_known_bytes),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_parse_csrc_extension_padding),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_probe_layout),
		cmocka_unit_test(test_probe_in_packet),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
