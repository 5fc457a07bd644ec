/*
 * tests/unit/test_tftp.c - TFTP packets and file assembly (engine/proto/tftp.c):
 * the bytes of an RRQ and an ACK as RFC 1350 lays them out, the parser on
 * every packet a phone meets and on broken ones, and a transfer with a
 * duplicate, a block out of turn, the short last block, a file that ends
 * on a block boundary, an empty file and one over the size bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "engine/proto/tftp.h"

static void test_rrq(void **state)
{
	uint8_t b[64];
	static const uint8_t want[] = {0, 1, 'S', 'E', 'P', '0', '.', 'x', 0, 'o', 'c', 't', 'e', 't', 0};

	(void)state;
	assert_int_equal(tftp_rrq(b, sizeof(b), "SEP0.x", "octet"), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(tftp_rrq(b, sizeof(want) - 1, "SEP0.x", "octet"), -ENOSPC);
	assert_int_equal(tftp_rrq(b, sizeof(b), "", "octet"), -EINVAL);
}

static void test_ack(void **state)
{
	uint8_t b[4];
	static const uint8_t want[] = {0, 4, 0x01, 0x02};

	(void)state;
	assert_int_equal(tftp_ack(b, 4, 0x0102), 4);
	assert_memory_equal(b, want, 4);
	assert_int_equal(tftp_ack(b, 3, 1), -ENOSPC);
}

static void test_parse(void **state)
{
	struct tftp_msg m;
	uint8_t data[4 + TFTP_BLOCK + 1] = {0, 3, 0, 7, 'a', 'b'};
	static const uint8_t ack[] = {0, 4, 1, 0};
	static const uint8_t err[] = {0, 5, 0, 1, 'F', 'i', 'l', 'e', ' ', 'n', 'o', 't', ' ',
				      'f', 'o', 'u', 'n', 'd', 0};
	static const uint8_t err_unterminated[] = {0, 5, 0, 1, 'x'};
	static const uint8_t unknown[] = {0, 9, 0, 0};
	static const uint8_t oack[] = {0, 6, 'b', 'l', 'k', 's', 'i', 'z', 'e', 0, '1', 0};

	(void)state;
	assert_int_equal(tftp_parse(data, 6, &m), 0);
	assert_int_equal(m.op, TFTP_DATA);
	assert_int_equal(m.block, 7);
	assert_int_equal(m.len, 2);
	assert_memory_equal(m.data, "ab", 2);
	assert_int_equal(tftp_parse(data, 4, &m), 0); /* an empty last block */
	assert_int_equal(m.len, 0);
	assert_int_equal(tftp_parse(data, 4 + TFTP_BLOCK, &m), 0);
	assert_int_equal(tftp_parse(data, 4 + TFTP_BLOCK + 1, &m), -EBADMSG);
	assert_int_equal(tftp_parse(data, 3, &m), -EBADMSG);
	assert_int_equal(tftp_parse(ack, sizeof(ack), &m), 0);
	assert_int_equal(m.op, TFTP_ACK);
	assert_int_equal(m.block, 256);
	assert_int_equal(tftp_parse(ack, 3, &m), -EBADMSG);
	assert_int_equal(tftp_parse(err, sizeof(err), &m), 0);
	assert_int_equal(m.op, TFTP_ERROR);
	assert_int_equal(m.error, 1);
	assert_string_equal(m.errmsg, "File not found");
	assert_int_equal(tftp_parse(err_unterminated, sizeof(err_unterminated), &m), -EBADMSG);
	assert_int_equal(tftp_parse(unknown, sizeof(unknown), &m), -EBADMSG);
	assert_int_equal(tftp_parse(oack, sizeof(oack), &m), 0);
	assert_int_equal(m.op, TFTP_OACK);
	assert_int_equal(tftp_parse(unknown, 1, &m), -EBADMSG);
}

/* The file 0, 1, 2, ... (mod 251) of n bytes, block b (from 1) of it. */
static size_t block_of(uint8_t *out, size_t n, uint16_t b)
{
	size_t off = (size_t)(b - 1) * TFTP_BLOCK, len = n - off < TFTP_BLOCK ? n - off : TFTP_BLOCK;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)((off + i) % 251);
	return len;
}

static void check_file(const struct tftp_rx *r, size_t n)
{
	assert_int_equal(r->len, n);
	for (size_t i = 0; i < n; i++)
		if (r->buf[i] != (uint8_t)(i % 251))
			fail_msg("byte %zu: got %u, want %u", i, r->buf[i], (unsigned)(i % 251));
}

static void test_transfer(void **state)
{
	struct tftp_rx r;
	uint8_t blk[TFTP_BLOCK];
	const size_t n = 2 * TFTP_BLOCK + 100;
	size_t l;

	(void)state;
	tftp_rx_init(&r, 65536);
	l = block_of(blk, n, 1);
	assert_int_equal(tftp_rx_data(&r, 1, blk, l), TFTP_RX_ACK);
	assert_int_equal(tftp_rx_data(&r, 1, blk, l), TFTP_RX_REACK); /* our ACK was lost */
	assert_int_equal(r.blocks_dup, 1);
	l = block_of(blk, n, 3);
	assert_int_equal(tftp_rx_data(&r, 3, blk, l), TFTP_RX_IGNORE); /* not its turn */
	l = block_of(blk, n, 2);
	assert_int_equal(tftp_rx_data(&r, 2, blk, l), TFTP_RX_ACK);
	assert_int_equal(r.block, 2);
	l = block_of(blk, n, 3);
	assert_int_equal(l, 100);
	assert_int_equal(tftp_rx_data(&r, 3, blk, l), TFTP_RX_DONE);
	check_file(&r, n);
	tftp_rx_free(&r);
	assert_null(r.buf);
}

/* A file of exactly two blocks ends with an empty third one. */
static void test_block_boundary(void **state)
{
	struct tftp_rx r;
	uint8_t blk[TFTP_BLOCK];
	const size_t n = 2 * TFTP_BLOCK;

	(void)state;
	tftp_rx_init(&r, n);
	assert_int_equal(tftp_rx_data(&r, 1, blk, block_of(blk, n, 1)), TFTP_RX_ACK);
	assert_int_equal(tftp_rx_data(&r, 2, blk, block_of(blk, n, 2)), TFTP_RX_ACK);
	assert_int_equal(tftp_rx_data(&r, 3, blk, 0), TFTP_RX_DONE);
	check_file(&r, n);
	tftp_rx_free(&r);

	tftp_rx_init(&r, 100);
	assert_int_equal(tftp_rx_data(&r, 1, blk, 0), TFTP_RX_DONE); /* an empty file */
	assert_int_equal(r.len, 0);
	tftp_rx_free(&r);
}

static void test_too_big(void **state)
{
	struct tftp_rx r;
	uint8_t blk[TFTP_BLOCK] = {0};

	(void)state;
	tftp_rx_init(&r, 1000);
	assert_int_equal(tftp_rx_data(&r, 1, blk, TFTP_BLOCK), TFTP_RX_ACK);
	assert_int_equal(tftp_rx_data(&r, 2, blk, TFTP_BLOCK), TFTP_RX_TOO_BIG);
	assert_int_equal(r.len, TFTP_BLOCK);
	assert_true(r.cap <= 1000);
	tftp_rx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rrq),         cmocka_unit_test(test_ack),
		cmocka_unit_test(test_parse),       cmocka_unit_test(test_transfer),
		cmocka_unit_test(test_block_boundary), cmocka_unit_test(test_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
