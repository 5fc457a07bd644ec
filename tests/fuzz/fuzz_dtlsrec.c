/*
 * tests/fuzz/fuzz_dtlsrec.c - libFuzzer target for the DTLS record opener.
 *
 * The first input byte picks a suite (DTLS 0.9 CBC, DTLS 1.2 CBC, GCM,
 * ChaCha20) keyed from fixed secrets. Then, for that suite:
 *  - the rest of the input is a received datagram: its records are opened
 *    one after the other, and each verdict must account for the bytes
 *    (used within what was left, plaintext inside the record);
 *  - the rest of the input is also sealed (type and plaintext) by the
 *    server's side and opened by the phone's: the plaintext must come back;
 *    then with one byte of the record flipped (the position taken from the
 *    input) it must not open as anything the peer sent;
 *  - each input byte is also a sequence number relative to the highest one
 *    seen so far (behind it, at or beyond the window's edge of 64, or ahead
 *    of it): a record sealed with that number is opened, and its verdict
 *    must be what a plain model of RFC 6347's window says (new and within
 *    64 of the highest: opened, else DTLSREC_REPLAY), so that the window's
 *    out-of-order and replay paths, behind a valid MAC, are reached.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/tls/dtlsrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint16_t version, suite;
} suites[] = {
    {0x0100, 0x002f}, {0x0100, 0x0035}, {0xfefd, 0x008c}, {0xfefd, 0x00a8},
    {0xfefd, 0x00a9}, {0xfefd, 0x009d}, {0xfefd, 0xccab},
};
#define N (sizeof(suites) / sizeof(suites[0]))

static struct dtlsrec client[N], server[N];
static struct dtlsrec_ctx *ctx;

#define WINDOW 64
#define SEQS   64 /* records of one replay run, at most */

/*
 * The replay run: the byte b picks the next sequence number from top, the
 * highest seen: b < 0xc0: top + 1 - b % 80 (replays, out of order, at and
 * past the window's edge); else top + 1 + 3 * (b - 0xc0) (ahead, in jumps).
 */
static void replay_run(unsigned k, const uint8_t *data, size_t size)
{
	static uint8_t buf[64];
	uint64_t seen[SEQS], top = 0; /* the model: 0 counts as seen (rtop 0) */
	size_t n_seen = 0;
	struct dtlsrec c = client[k], s = server[k];
	size_t head = dtlsrec_head(&s);

	for (size_t i = 0; i < size && i < SEQS; i++) {
		uint8_t b = data[i];
		int64_t want = b < 0xc0 ? (int64_t)top + 1 - b % 80 : (int64_t)top + 1 + 3 * (b - 0xc0);
		uint64_t seq = want < 1 ? 1 : (uint64_t)want;
		bool fresh = seq > top || top - seq < WINDOW;
		struct dtlsrec_msg m;

		for (size_t j = 0; j < n_seen && fresh; j++)
			fresh = seen[j] != seq;
		s.wseq = seq;
		memset(buf + head, b, 8);
		int n = dtlsrec_seal(&s, ctx, DTLSREC_T_APP, buf, 8, sizeof(buf));
		if (n < 0)
			__builtin_trap();
		int v = dtlsrec_open(&c, ctx, buf, (size_t)n, &m);
		if (fresh ? v != DTLSREC_DATA || m.len != 8 : v != DTLSREC_REPLAY)
			__builtin_trap();
		if (fresh) {
			seen[n_seen++] = seq;
			if (seq > top)
				top = seq;
		}
	}
}

static void setup(void)
{
	ctx = dtlsrec_ctx_new();
	if (!ctx)
		__builtin_trap();
	for (unsigned i = 0; i < N; i++) {
		struct dtlsrec_params p = {.version = suites[i].version,
					   .suite = suites[i].suite,
					   .epoch = 1,
					   .wseq = 1,
					   .rtop = 0};

		memset(p.master, 0x4d, sizeof(p.master));
		memset(p.client_random, 0x43, sizeof(p.client_random));
		memset(p.server_random, 0x53, sizeof(p.server_random));
		if (dtlsrec_init(&client[i], &p))
			__builtin_trap();
		p.server = 1;
		if (dtlsrec_init(&server[i], &p))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[20000];
	struct dtlsrec c, s;
	struct dtlsrec_msg m;
	size_t off, len, head;
	int v, n;

	if (!ctx)
		setup();
	if (size < 1 || size > 16000)
		return 0;
	c = client[data[0] % N];
	s = server[data[0] % N];
	data++;
	size--;

	/* a datagram from outside */
	memcpy(buf, data, size);
	for (off = 0; off < size; off += m.used) {
		v = dtlsrec_open(&c, ctx, buf + off, size - off, &m);
		if (m.used == 0 || m.used > size - off)
			__builtin_trap();
		if (v <= DTLSREC_HANDSHAKE &&
		    (m.data < buf + off || m.data + m.len > buf + off + m.used))
			__builtin_trap();
		dtlsrec_verdict_name(v);
	}

	/* sealed by the server's side, opened by the phone's */
	if (size < 2)
		return 0;
	c = client[data[-1] % N];
	head = dtlsrec_head(&s);
	len = size - 2;
	memcpy(buf + head, data + 2, len);
	n = dtlsrec_seal(&s, ctx, (uint8_t)(20 + data[0] % 4), buf, len, sizeof(buf));
	if (n < 0)
		return 0;
	if ((size_t)n != dtlsrec_sealed_len(&s, len))
		__builtin_trap();
	uint8_t copy[sizeof(buf)];
	memcpy(copy, buf, (size_t)n);
	v = dtlsrec_open(&c, ctx, buf, (size_t)n, &m);
	if (v > DTLSREC_HANDSHAKE || m.len != len || memcmp(m.data, data + 2, len) ||
	    m.used != (size_t)n)
		__builtin_trap();
	c = client[data[-1] % N];
	copy[data[1] % (size_t)n] ^= 0x20;
	v = dtlsrec_open(&c, ctx, copy, (size_t)n, &m);
	if (v <= DTLSREC_HANDSHAKE)
		__builtin_trap();

	replay_run(data[-1] % N, data, size);
	return 0;
}
