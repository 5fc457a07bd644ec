/*
 * tests/bench/bench_dtlshs.c - a phone's DTLS 0.9 bring-up, OpenSSL's
 * handshake against ours (engine/tls/dtlshs.c), in memory (no lab).
 *
 * What a phone's DTLS costs it from the open to records of its own, as
 * engine/phone/tunnel.c does it with each handshake, against the test
 * headend of tests/unit/dtls09.h (hello verify included):
 *  - openssl: dtls_open_legacy, dtlsrec_watch, the handshake, the headend's
 *    first record read by OpenSSL, dtlsrec_take, tls_keep_bio;
 *  - own: dtls_open_own, the handshake, dtlshs_keys, the headend's first
 *    record opened by dtlsrec, dtls_own_settled;
 * then tls_close. Only the phone's side is timed (this thread's CPU clock
 * around its calls); the headend's work is left out. Rounds of each
 * alternate; the figure is the median round's CPU per bring-up.
 *
 *   make bench-dtlshs [BENCH_N=1000]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/tls/dtls.h"
#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"
#include "tests/unit/dtls09.h"

#define ROUNDS 7

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void no_data(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
}

static uint8_t master[48], sid[32];
static struct dtls_legacy *legacy;
static struct dtlsrec_ctx *ctx;
static uint64_t spent; /* ns of the phone's side */

#define PHONE(expr)                                                                                \
	do {                                                                                       \
		uint64_t t0_ = cpu_ns();                                                           \
		expr;                                                                              \
		spent += cpu_ns() - t0_;                                                           \
	} while (0)

/* One bring-up; 0 when the phone's records are its own at the end. */
static int bring_up(bool own)
{
	struct tls t = {0};
	struct dtlsrec rec;
	struct dtls09 d;
	BIO *srv = membio_new(true);
	uint8_t dg[2048], app[64];
	size_t n;
	int r = -1;

	d09_init(&d, master, sid, srv);
	if (own)
		PHONE(r = dtls_open_own(&t, ctx, "AES256-SHA", master, sid, 0));
	else
		PHONE(r = dtls_open_legacy(&t, legacy, "AES256-SHA", 0, master, sid, 0, NULL);
		      if (!r) dtlsrec_watch(&rec, t.ssl));
	if (r)
		goto out;
	PHONE(r = tls_handshake(&t));
	for (int i = 0; i < 3 && r == 0; i++) {
		PHONE(n = membio_take_dgram(t.bio, dg, sizeof(dg)));
		d09_input(&d, dg, n, no_data, NULL);
		n = membio_take_dgram(srv, dg, sizeof(dg));
		PHONE(tls_feed(&t, dg, n); r = tls_handshake(&t));
	}
	if (r != 1)
		goto out;
	PHONE(n = membio_take_dgram(t.bio, dg, sizeof(dg)));
	d09_input(&d, dg, n, no_data, NULL);
	d09_send(&d, (const uint8_t *)"\x03", 1); /* the headend's first record (a DPD answer) */
	n = membio_take_dgram(srv, dg, sizeof(dg));
	if (own) {
		struct dtlsrec_msg m;

		PHONE(dtlshs_keys(t.hs, &rec);
		      r = dtlsrec_open(&rec, ctx, dg, n, &m) == DTLSREC_DATA ? 0 : -1;
		      dtls_own_settled(&t));
	} else {
		PHONE(tls_feed(&t, dg, n); r = tls_read(&t, app, sizeof(app)) == 1 ? 0 : -1;
		      if (!r) r = dtlsrec_take(&rec, t.ssl); if (!r) tls_keep_bio(&t));
	}
out:
	PHONE(tls_close(&t));
	d09_free(&d);
	BIO_free(srv);
	return r;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double us[2][ROUNDS];

	memset(master, 0x42, sizeof(master));
	for (int i = 0; i < 32; i++)
		sid[i] = (uint8_t)(0x10 + i);
	legacy = dtls_legacy_new();
	ctx = dtlsrec_ctx_new();
	if (!legacy || !ctx || n < 1)
		return 1;
	for (int round = 0; round < ROUNDS; round++) {
		for (int own = 0; own < 2; own++) {
			spent = 0;
			for (int i = 0; i < n; i++)
				if (bring_up(own)) {
					fprintf(stderr, "bench_dtlshs: a %s bring-up failed\n",
						own ? "own" : "openssl");
					return 1;
				}
			us[own][round] = (double)spent / 1e3 / n;
		}
	}
	for (int own = 0; own < 2; own++) {
		qsort(us[own], ROUNDS, sizeof(double), cmp);
		printf(
		    "%-8s DTLS 0.9 bring-up, the phone's side: %.1f us (median of %d rounds of %d; "
		    "min %.1f, max %.1f)\n",
		    own ? "own" : "openssl", us[own][ROUNDS / 2], ROUNDS, n, us[own][0],
		    us[own][ROUNDS - 1]);
	}
	dtls_legacy_free(legacy);
	dtlsrec_ctx_free(ctx);
	return 0;
}
