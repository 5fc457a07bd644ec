/*
 * tests/fuzz/fuzz_tlsrec.c - libFuzzer target for the CSTP channel's TLS
 * records once taken over from OpenSSL: engine/tls/tls.c's tls_feed and
 * tls_read (the stream cut into records, a record part way in, plaintext
 * longer than the reader's buffer, alerts) over engine/tls/dtlsrec.c's
 * stream form.
 *
 * The first input byte picks a form (TLS 1.2 AES-CBC with and without
 * encrypt-then-MAC, AES-GCM, TLS 1.1 CBC both ways), the second how the
 * bytes are cut into receives (1 to 64 bytes, or all at once), keyed from
 * fixed secrets. Then:
 *  - the rest of the input is a stream from outside, fed in those pieces to
 *    a phone's taken-over session and read 37 bytes at a time: no read
 *    returns more than asked, and once the session has ended (-EPIPE, its
 *    peer's close_notify; -EPROTO, a failure) it stays ended;
 *  - the rest is also sent by the peer as application records (cut at the
 *    lengths its bytes give) and read the same way: exactly what was sent
 *    comes back; then the same stream with one byte flipped (the position
 *    taken from the input): what comes back is a prefix of what was sent,
 *    and the session ends failed or waits for more, never giving bytes that
 *    were not sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint16_t version, suite;
	int etm;
} forms[] = {
    {0x0303, 0x002f, 1}, {0x0303, 0x0035, 0}, {0x0303, 0xc02f, 0},
    {0x0303, 0x009d, 0}, {0x0302, 0x0035, 1}, {0x0302, 0x002f, 0},
};
#define N      (sizeof(forms) / sizeof(forms[0]))
#define MAX_IN 6000

static struct dtlsrec_ctx *ctx;
static struct dtlsrec_params prm[N];
static struct dtlsrec peer[N]; /* the headend's side, to seal with */
/*
 * The peer's records, sealed: each takes at least one input byte and adds at
 * most 57 (header 5, IV 16, padding 16, MAC 20), so n bytes seal to at most
 * n * 58 (1,818 bytes of 1-byte records overflowed the 2 n + 64 KiB it had).
 */
#define MAX_SEALED(n) ((n) * (1 + 5 + 16 + 16 + 20))
static uint8_t stream[MAX_SEALED(MAX_IN) + 65536], out[MAX_IN + 64];

static void setup(void)
{
	ctx = dtlsrec_ctx_new();
	if (!ctx)
		__builtin_trap();
	for (unsigned i = 0; i < N; i++) {
		prm[i] = (struct dtlsrec_params){.version = forms[i].version,
						 .suite = forms[i].suite,
						 .etm = forms[i].etm,
						 .wseq = 1,
						 .rtop = 1};
		memset(prm[i].master, 0x4d, sizeof(prm[i].master));
		memset(prm[i].client_random, 0x43, 32);
		memset(prm[i].server_random, 0x53, 32);
		prm[i].server = 1;
		if (dtlsrec_init(&peer[i], &prm[i]))
			__builtin_trap();
		prm[i].server = 0;
	}
}

/*
 * Feed s[0..n) to a fresh session of form k in pieces of cut bytes (0: all
 * at once), reading into out; the bytes read, *end the last read's answer.
 */
static size_t feed(unsigned k, const uint8_t *s, size_t n, size_t cut, int *end)
{
	struct tls t;
	size_t got = 0;
	int r = 0;

	if (tls_take_params(&t, &prm[k], ctx))
		__builtin_trap();
	for (size_t off = 0; off < n;) {
		size_t piece = cut && n - off > cut ? cut : n - off;

		tls_feed(&t, s + off, piece);
		off += piece;
		while ((r = tls_read(&t, out + got, 37)) > 0) {
			if (r > 37 || got + (size_t)r > sizeof(out))
				__builtin_trap();
			got += (size_t)r;
		}
		if (r < 0) {
			if (r != -EPIPE && r != -EPROTO)
				__builtin_trap();
			if (tls_read(&t, out, 37) != r) /* ended for good */
				__builtin_trap();
			break;
		}
	}
	*end = r;
	tls_close(&t);
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned k;
	size_t cut, n = 0, got;
	int end;

	if (!ctx)
		setup();
	if (size < 3 || size > MAX_IN)
		return 0;
	k = data[0] % N;
	cut = data[1] % 65;
	data += 2;
	size -= 2;

	/* a stream from outside */
	feed(k, data, size, cut, &end);

	/* the peer's records: lengths from the bytes themselves (1..300) */
	struct dtlsrec s = peer[k];
	size_t head = dtlsrec_head(&s);

	for (size_t off = 0; off < size;) {
		size_t len = 1 + data[off] % 300;
		int r;

		if (len > size - off)
			len = size - off;
		memcpy(stream + n + head, data + off, len);
		r = dtlsrec_seal(&s, ctx, DTLSREC_T_APP, stream + n, len, sizeof(stream) - n);
		if (r < 0)
			__builtin_trap();
		n += (size_t)r;
		off += len;
	}
	got = feed(k, stream, n, cut, &end);
	if (got != size || memcmp(out, data, size) || end != 0)
		__builtin_trap();

	/* one byte flipped: a prefix of what was sent, then failed or waiting */
	stream[(data[0] | data[size - 1] << 8) % n] ^= 0x10;
	got = feed(k, stream, n, cut, &end);
	if (got > size || memcmp(out, data, got) || end > 0 || (end == 0 && got == size))
		__builtin_trap();
	return 0;
}
