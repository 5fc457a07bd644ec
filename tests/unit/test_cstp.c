/*
 * tests/unit/test_cstp.c - CSTP header building and incremental decoding,
 * the DTLS one-byte framing, and the errors that end a tunnel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/cstp.h"

static void test_header(void **state)
{
	static const uint8_t want[8] = {'S', 'T', 'F', 1, 0x05, 0xdc, 0, 0};
	static const uint8_t dpd[8] = {'S', 'T', 'F', 1, 0, 0, 3, 0};
	uint8_t h[8];

	(void)state;
	cstp_header(h, CSTP_DATA, 1500);
	assert_memory_equal(h, want, 8);
	cstp_header(h, CSTP_DPD_REQ, 0);
	assert_memory_equal(h, dpd, 8);
}

/* ocserv's DISCONNECT on session end: empty payload. */
static void test_disconnect_from_server(void **state)
{
	static const uint8_t b[] = {'S', 'T', 'F', 1, 0, 0, 5, 0, 'S'};
	struct cstp_frame f;

	(void)state;
	assert_int_equal(cstp_parse(b, sizeof(b), &f), 8);
	assert_int_equal(f.type, CSTP_DISCONNECT);
	assert_int_equal(f.len, 0);
	assert_string_equal(cstp_type_name(f.type), "DISCONNECT");
}

/* Two frames back to back, fed one byte more at a time. */
static void test_incremental(void **state)
{
	uint8_t b[8 + 3 + 8 + 4];
	struct cstp_frame f;
	size_t off;
	int n;

	(void)state;
	cstp_header(b, CSTP_DPD_REQ, 3);
	memcpy(b + 8, "abc", 3);
	cstp_header(b + 11, CSTP_DATA, 4);
	memcpy(b + 19, "\x45\x00\x00\x04", 4);

	for (size_t i = 0; i < 11; i++)
		assert_int_equal(cstp_parse(b, i, &f), 0);
	n = cstp_parse(b, sizeof(b), &f);
	assert_int_equal(n, 11);
	assert_int_equal(f.type, CSTP_DPD_REQ);
	assert_int_equal(f.len, 3);
	assert_ptr_equal(f.payload, b + 8);
	off = (size_t)n;
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(cstp_parse(b + off, i, &f), 0);
	assert_int_equal(cstp_parse(b + off, 12, &f), 12);
	assert_int_equal(f.type, CSTP_DATA);
	assert_memory_equal(f.payload, "\x45\x00\x00\x04", 4);
}

static void test_errors(void **state)
{
	uint8_t b[CSTP_HEADER_LEN + CSTP_MAX_PAYLOAD + 1] = {0};
	struct cstp_frame f;

	(void)state;
	/* A bad magic is refused as soon as its byte arrives. */
	assert_int_equal(cstp_parse((const uint8_t *)"X", 1, &f), -EPROTO);
	assert_int_equal(cstp_parse((const uint8_t *)"STG", 3, &f), -EPROTO);
	assert_int_equal(cstp_parse((const uint8_t *)"STF\x02", 4, &f), -EPROTO);
	/* An HTTP reply where a frame was expected. */
	assert_int_equal(cstp_parse((const uint8_t *)"HTTP/1.1", 8, &f), -EPROTO);

	cstp_header(b, CSTP_DATA, 4);
	b[7] = 1;
	assert_int_equal(cstp_parse(b, 7, &f), 0);
	assert_int_equal(cstp_parse(b, 8, &f), -EPROTO);

	cstp_header(b, CSTP_DATA, CSTP_MAX_PAYLOAD + 1);
	assert_int_equal(cstp_parse(b, 6, &f), -EMSGSIZE);
	cstp_header(b, CSTP_DATA, 0xffff);
	assert_int_equal(cstp_parse(b, 8, &f), -EMSGSIZE);

	cstp_header(b, CSTP_DATA, CSTP_MAX_PAYLOAD);
	assert_int_equal(cstp_parse(b, sizeof(b) - 1, &f), CSTP_HEADER_LEN + CSTP_MAX_PAYLOAD);
	assert_int_equal(f.len, CSTP_MAX_PAYLOAD);
}

static void test_unknown_type_passes(void **state)
{
	uint8_t b[8];
	struct cstp_frame f;

	(void)state;
	cstp_header(b, 42, 0);
	assert_int_equal(cstp_parse(b, 8, &f), 8);
	assert_int_equal(f.type, 42);
	assert_string_equal(cstp_type_name(42), "UNKNOWN");
	assert_string_equal(cstp_type_name(CSTP_KEEPALIVE), "KEEPALIVE");
	assert_string_equal(cstp_type_name(CSTP_TERMINATE), "TERMINATE");
}

static void test_dtls(void **state)
{
	static const uint8_t dpd[1] = {CSTP_DPD_REQ};
	static const uint8_t data[4] = {CSTP_DATA, 0x45, 0, 0};
	static uint8_t big[CSTP_MAX_PAYLOAD + 2];
	struct cstp_frame f;

	(void)state;
	assert_int_equal(dtls_frame_parse(dpd, 1, &f), 0);
	assert_int_equal(f.type, CSTP_DPD_REQ);
	assert_int_equal(f.len, 0);
	assert_int_equal(dtls_frame_parse(data, 4, &f), 0);
	assert_int_equal(f.type, CSTP_DATA);
	assert_int_equal(f.len, 3);
	assert_ptr_equal(f.payload, data + 1);
	assert_int_equal(dtls_frame_parse(data, 0, &f), -EBADMSG);
	assert_int_equal(dtls_frame_parse(big, sizeof(big), &f), -EMSGSIZE);
	assert_int_equal(dtls_frame_parse(big, sizeof(big) - 1, &f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header),
	    cmocka_unit_test(test_disconnect_from_server),
	    cmocka_unit_test(test_incremental),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_unknown_type_passes),
	    cmocka_unit_test(test_dtls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
