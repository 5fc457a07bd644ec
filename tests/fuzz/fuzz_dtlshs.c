/*
 * tests/fuzz/fuzz_dtlshs.c - libFuzzer target for our DTLS 0.9 handshake's
 * reading of the headend's flights (engine/tls/dtlshs.c).
 *
 * The client is keyed from fixed secrets (master, session ID, client
 * random: the same as tests/fuzz/seed_dtlshs.c's, so that its seeds, real
 * transcripts of tests/unit/dtls09.h's headend, carry a Finished that
 * verifies and reach the end). The first byte picks the suite (bit 0:
 * AES128-SHA, else AES256-SHA) and whether the session claims another
 * cipher (bit 1). Then operations, each a byte:
 *   0: a datagram from the headend follows (two bytes of length, the bytes);
 *   1: one second passes and the retransmission timer is asked;
 *   2: once done, the headend's Finished came again: our last flight again
 *      (the 13th time fails the handshake);
 *   else: a datagram of the rest of the input.
 * What must hold: a step answers -EPROTO, 0 or 1, a failed or finished
 * handshake stays so, used never passes the datagram, every datagram we
 * queue is whole DTLS 0.9 records, and once done the session's record
 * state seals.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dtlsrec_ctx *ctx;

/* Every datagram we queued: DTLS 0.9 records, whole. */
static void check_out(BIO *out)
{
	uint8_t d[2048];
	size_t n;

	while ((n = membio_take_dgram(out, d, sizeof(d)))) {
		for (size_t off = 0; off < n;) {
			if (n - off < 13 || (d[off + 1] << 8 | d[off + 2]) != 0x0100)
				__builtin_trap();
			off += 13 + (size_t)(d[off + 11] << 8 | d[off + 12]);
			if (off > n)
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t master[48], sid[32], random[32];
	uint64_t now = 1000000;
	struct dtlshs *h;
	int last = 0;

	if (size < 1)
		return 0;
	if (!ctx)
		ctx = dtlsrec_ctx_new();
	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)(0x80 + i);
	for (int i = 0; i < 32; i++) {
		sid[i] = (uint8_t)(0x10 + i);
		random[i] = (uint8_t)(0x55 ^ i);
	}
	uint16_t suite = data[0] & 1 ? 0x002f : 0x0035;
	uint16_t claims = data[0] & 2 ? (suite == 0x002f ? 0x0035 : 0x002f) : 0;
	BIO *out = membio_new(true);

	if (!out || dtlshs_new(&h, ctx, suite, claims, master, sid, random))
		__builtin_trap();
	if (dtlshs_step(h, out, NULL, 0, now) != 0)
		__builtin_trap();
	check_out(out);
	for (size_t off = 1; off < size;) {
		uint8_t op = data[off++];
		const uint8_t *dg = data + off;
		size_t len = size - off;
		int r;

		if (op == 1) {
			now += 1000000;
			r = dtlshs_handle_timeout(h, out, now);
			if (r != -EPROTO && r != 0 && r != 1)
				__builtin_trap();
			if (r == -EPROTO)
				last = -EPROTO;
			check_out(out);
			continue;
		}
		if (op == 2) {
			struct dtlsrec rec;

			if (last == 1) {
				dtlshs_keys(h, &rec);
				r = dtlshs_resend(h, &rec, out);
				if (r == -EPROTO)
					last = -EPROTO; /* the 13th time */
				else if (r)
					__builtin_trap();
				check_out(out);
			}
			continue;
		}
		if (op == 0) {
			if (len < 2)
				break;
			len = (size_t)(dg[0] << 8 | dg[1]);
			dg += 2;
			off += 2;
			if (len > size - off)
				len = size - off;
		}
		off += len;
		r = dtlshs_step(h, out, dg, len, now);
		if (r != -EPROTO && r != 0 && r != 1)
			__builtin_trap();
		if ((last == 1 && r != 1) || (last == -EPROTO && r != -EPROTO))
			__builtin_trap(); /* done or failed stays so */
		if (dtlshs_used(h) > len)
			__builtin_trap();
		if (r < 0 && !dtlshs_error(h)[0])
			__builtin_trap();
		last = r;
		check_out(out);
	}
	if (last == 1) {
		/* done: the session's record state seals */
		struct dtlsrec c;
		uint8_t rec[128];

		dtlshs_keys(h, &c);
		memcpy(rec + dtlsrec_head(&c), "ping", 4);
		if (dtlsrec_seal(&c, ctx, 23, rec, 4, sizeof(rec)) <= 0)
			__builtin_trap();
	}
	dtlshs_free(h);
	BIO_free(out);
	return 0;
}
