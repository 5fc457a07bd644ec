/*
 * tests/fuzz/seed_dtlshs.c - writes the seeds of fuzz_dtlshs: real
 * transcripts of a DTLS 0.9 resumption between our handshake
 * (engine/tls/dtlshs.c) and tests/unit/dtls09.h's headend, with the fuzz
 * target's fixed secrets, in its input format (tests/fuzz/fuzz_dtlshs.c).
 * Not part of the build:
 *
 *   cc -I. -Ibuild -D_GNU_SOURCE -o /tmp/seed tests/fuzz/seed_dtlshs.c \
 *      build/libphoneswarm.a -lssl -lcrypto -lpthread && /tmp/seed tests/fuzz/corpus/dtlshs
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"
#include "tests/unit/dtls09.h"

static uint8_t seed[8192];
static size_t seed_len;

static void op_dgram(const uint8_t *d, size_t n)
{
	seed[seed_len++] = 0;
	seed[seed_len++] = (uint8_t)(n >> 8);
	seed[seed_len++] = (uint8_t)n;
	memcpy(seed + seed_len, d, n);
	seed_len += n;
}

static void no_data(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
}

/* One transcript: flags as the target's first byte, the headend's flaws. */
static void transcript(const char *dir, const char *name, uint8_t flags, unsigned flaws,
		       int timeouts)
{
	uint8_t master[48], sid[32], random[32], d[2048];
	struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
	BIO *out = membio_new(true), *srv = membio_new(true);
	struct dtlshs *h;
	struct dtls09 s;
	uint16_t suite = flags & 1 ? 0x002f : 0x0035;
	uint64_t now = 1000000;
	size_t n;
	char path[512];
	FILE *f;

	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)(0x80 + i);
	for (int i = 0; i < 32; i++) {
		sid[i] = (uint8_t)(0x10 + i);
		random[i] = (uint8_t)(0x55 ^ i);
	}
	dtlshs_new(&h, ctx, suite, flags & 2 ? (suite == 0x002f ? 0x0035 : 0x002f) : 0, master, sid,
		   random);
	d09_init(&s, master, sid, srv);
	d09_suite(&s, suite);
	s.flaws = flaws;
	seed_len = 0;
	seed[seed_len++] = flags;
	dtlshs_step(h, out, NULL, 0, now);
	for (int i = 0; i < timeouts; i++) {
		seed[seed_len++] = 1;
		now += 1000000;
		dtlshs_handle_timeout(h, out, now);
	}
	for (int round = 0; round < 3; round++) {
		while ((n = membio_take_dgram(out, d, sizeof(d))))
			d09_input(&s, d, n, no_data, NULL);
		n = membio_take_dgram(srv, d, sizeof(d));
		if (!n)
			break;
		op_dgram(d, n);
		if (dtlshs_step(h, out, d, n, now) != 0)
			break;
	}
	while ((n = membio_take_dgram(out, d, sizeof(d))))
		d09_input(&s, d, n, no_data, NULL);
	if (s.stage == D09_UP) {
		seed[seed_len++] = 2; /* the Finished again */
		d09_send(&s, (const uint8_t *)"\x03", 1);
		n = membio_take_dgram(srv, d, sizeof(d));
		op_dgram(d, n);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, seed_len, f) != seed_len)
		exit(1);
	fclose(f);
	d09_free(&s);
	dtlshs_free(h);
	BIO_free(out);
	BIO_free(srv);
	dtlsrec_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	transcript(argv[1], "aes256-hvr", 0, 0, 0);
	transcript(argv[1], "aes128-hvr", 1, 0, 0);
	transcript(argv[1], "aes256-no-hvr", 0, D09_FLAW_NO_VERIFY, 0);
	transcript(argv[1], "aes256-retransmit", 0, 0, 2);
	transcript(argv[1], "aes256-claims-aes128", 2, 0, 0);
	transcript(argv[1], "aes256-bad-finished", 0, D09_FLAW_FINISHED, 0);
	return 0;
}
