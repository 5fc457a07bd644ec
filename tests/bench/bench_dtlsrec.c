/*
 * tests/bench/bench_dtlsrec.c - the DTLS record layer against OpenSSL's: CPU
 * per record and bytes per session. Printed figures, not a timed test.
 *
 * For each suite, 1,000 phones' DTLS sessions are handshaken in memory (the
 * phone's own dtls_open_psk against an OpenSSL PSK server) and then, round
 * robin over the 1,000 as a worker serves its phones, 172-byte payloads
 * (an RTP packet) are:
 *  - sealed by the phone's OpenSSL (SSL_write into the datagram membio, the
 *    datagram taken out) and opened by it (datagram fed, SSL_read);
 *  - sealed and opened by the record layer with one dtlsrec_ctx for all
 *    1,000 (a worker's: re-keyed at every record), and with one per session.
 * CPU is this thread's (CLOCK_THREAD_CPUTIME_ID) over every record of a
 * pass, divided by the records. The DTLS 0.9 suites AES128-SHA and
 * AES256-SHA have the record work of PSK-AES128/256-CBC-SHA measured here
 * (HMAC-SHA1, CBC, an explicit IV; only the version bytes differ) and no
 * OpenSSL server to handshake with.
 *
 * Memory: glibc's bytes in use (mallinfo2), and OpenSSL's own allocations
 * counted exactly, before and after 1,000 client SSLs are handshaken and
 * their servers freed, then after tls_idle() gives back their record
 * buffers (what a phone keeps with dtls.records = openssl), and the
 * process's resident size across the same; then after the phone's
 * hand-over (tls_keep_bio: the SSL freed, its BIO kept as the send queue);
 * against sizeof(struct dtlsrec) and OpenSSL's bytes in a dtlsrec_ctx once
 * it has served every suite.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "engine/tls/dtls.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"

#define SESSIONS 1000
#define PASSES	 20
#define PAYLOAD	 172
#define RECSZ	 256

static uint8_t psk[32];

static unsigned int srv_psk(SSL *ssl, const char *id, unsigned char *out, unsigned int max)
{
	(void)ssl;
	(void)id;
	if (max < 32)
		return 0;
	memcpy(out, psk, 32);
	return 32;
}

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Bytes OpenSSL holds (its allocations go through these): exact, where
 * glibc's mallinfo2 counts chunks parked in its per-thread cache as in
 * use and so under-counts small objects allocated after frees.
 */
static size_t ossl_live;

static void *acct_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);

	(void)file;
	(void)line;
	if (p)
		ossl_live += malloc_usable_size(p);
	return p;
}

static void *acct_realloc(void *old, size_t n, const char *file, int line)
{
	size_t was = old ? malloc_usable_size(old) : 0;
	void *p = realloc(old, n);

	(void)file;
	(void)line;
	if (p || !n)
		ossl_live -= was;
	if (p)
		ossl_live += malloc_usable_size(p);
	return p;
}

static void acct_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p)
		ossl_live -= malloc_usable_size(p);
	free(p);
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

struct session {
	struct tls c; /* the phone's OpenSSL */
	SSL *s;	      /* the server (freed in the memory pass) */
	BIO *sb;
	struct dtlsrec cr, sr;
	struct dtlsrec_ctx *own; /* the per-session context variant */
};

static void die(const char *what)
{
	fprintf(stderr, "bench_dtlsrec: %s\n", what);
	exit(1);
}

/* Handshake s's phone with a fresh server; take both record layers. */
static void handshake(struct session *x, SSL_CTX *cctx, SSL_CTX *sctx)
{
	uint8_t dg[2048], id[32];
	size_t n;

	RAND_bytes(id, sizeof(id));
	if (dtls_open_psk(&x->c, cctx, psk, id, sizeof(id), NULL))
		die("dtls_open_psk");
	x->s = SSL_new(sctx);
	x->sb = membio_new(true);
	SSL_set_bio(x->s, x->sb, x->sb);
	SSL_set_accept_state(x->s);
	dtlsrec_watch(&x->cr, x->c.ssl);
	dtlsrec_watch(&x->sr, x->s);
	for (int round = 0; round < 10; round++) {
		tls_handshake(&x->c);
		while ((n = membio_take_dgram(x->c.bio, dg, sizeof(dg)))) {
			membio_feed(x->sb, dg, n);
			SSL_do_handshake(x->s);
		}
		while ((n = membio_take_dgram(x->sb, dg, sizeof(dg)))) {
			tls_feed(&x->c, dg, n);
			tls_handshake(&x->c);
		}
		if (tls_handshake(&x->c) == 1 && SSL_is_init_finished(x->s))
			break;
	}
	if (!SSL_is_init_finished(x->s))
		die("handshake");
	/*
	 * One record up, so that the server (which sent the last flight) may hand
	 * over. Everything the phone has queued goes first: on a busy machine its
	 * retransmission timer may have fired during the handshake, leaving a copy
	 * of its last flight ahead of the record, which the server's SSL_read
	 * takes in its stride when it has the record too (and answers with its
	 * own last flight, dropped here: the phone is done with the handshake).
	 */
	if (tls_write(&x->c, "\0", 1))
		die("tls_write");
	while ((n = membio_take_dgram(x->c.bio, dg, sizeof(dg))))
		membio_feed(x->sb, dg, n);
	if (SSL_read(x->s, dg, sizeof(dg)) != 1)
		die("SSL_read");
	while (membio_take_dgram(x->sb, dg, sizeof(dg)))
		; /* the server's answer to such a copy: its own last flight again */
	if (dtlsrec_take(&x->cr, x->c.ssl) || dtlsrec_take(&x->sr, x->s))
		die("dtlsrec_take");
}

static SSL_CTX *server_ctx(const char *suite)
{
	SSL_CTX *sctx = SSL_CTX_new(DTLS_server_method());
	char list[80];

	snprintf(list, sizeof(list), "%s:@SECLEVEL=0", suite);
	if (!sctx || !SSL_CTX_set_cipher_list(sctx, list))
		die(suite);
	SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET | SSL_OP_NO_ENCRYPT_THEN_MAC);
	SSL_CTX_set_psk_server_callback(sctx, srv_psk);
	return sctx;
}

/* Bytes a handshaken client SSL keeps, with and without its record buffers. */
static void memory_pass(const char *suite, SSL_CTX *cctx)
{
	static struct session x[SESSIONS];
	SSL_CTX *sctx = server_ctx(suite);
	size_t h0, h1, h2, h3, r0, r1, o0, o1, o2;

	memset(x, 0, sizeof(x));
	malloc_trim(0);
	h0 = heap_bytes();
	r0 = rss_bytes();
	o0 = ossl_live;
	for (int i = 0; i < SESSIONS; i++) {
		handshake(&x[i], cctx, sctx);
		SSL_free(x[i].s);
		x[i].s = NULL;
	}
	h1 = heap_bytes();
	r1 = rss_bytes();
	o1 = ossl_live;
	for (int i = 0; i < SESSIONS; i++)
		tls_idle(&x[i].c);
	h2 = heap_bytes();
	o2 = ossl_live;
	printf("  %-22s OpenSSL client SSL: %5.1f KiB after the handshake, %5.1f KiB after "
	       "tls_idle (heap; OpenSSL's own: %.1f and %.1f); RSS grew %.1f KiB a session\n",
	       suite, (double)(h1 - h0) / SESSIONS / 1024, (double)(h2 - h0) / SESSIONS / 1024,
	       (double)(o1 - o0) / SESSIONS / 1024, (double)(o2 - o0) / SESSIONS / 1024,
	       (double)(r1 - r0) / SESSIONS / 1024);
	/* the phone's hand-over (engine/phone/tunnel.c): the SSL freed, its BIO kept to send */
	for (int i = 0; i < SESSIONS; i++)
		tls_keep_bio(&x[i].c);
	h3 = heap_bytes();
	printf("  %-22s after the hand-over (SSL freed, its BIO kept as the send queue): "
	       "%.0f B a session (heap)\n",
	       suite, (double)(h3 - h0) / SESSIONS);
	for (int i = 0; i < SESSIONS; i++)
		tls_close(&x[i].c);
	SSL_CTX_free(sctx);
}

static void cpu_pass(const char *suite, SSL_CTX *cctx, struct dtlsrec_ctx *shared)
{
	static struct session x[SESSIONS];
	static uint8_t recs[SESSIONS][RECSZ];
	static size_t lens[SESSIONS];
	SSL_CTX *sctx = server_ctx(suite);
	uint8_t payload[PAYLOAD], buf[RECSZ], out[2048];
	struct dtlsrec_msg m;
	double t, ssl_seal = 0, ssl_open = 0, rec_seal[2] = {0}, rec_open[2] = {0};
	size_t own_bytes;

	memset(x, 0, sizeof(x));
	memset(payload, 0x5a, sizeof(payload));
	payload[0] = 0;
	for (int i = 0; i < SESSIONS; i++)
		handshake(&x[i], cctx, sctx);
	/* the per-session variant: a context each, keyed by a first seal and open */
	own_bytes = ossl_live;
	for (int i = 0; i < SESSIONS; i++) {
		int n;

		if (!(x[i].own = dtlsrec_ctx_new()))
			die("dtlsrec_ctx_new");
		memcpy(buf + dtlsrec_head(&x[i].cr), payload, PAYLOAD);
		if (dtlsrec_seal(&x[i].cr, x[i].own, DTLSREC_T_APP, buf, PAYLOAD, sizeof(buf)) <= 0)
			die("dtlsrec_seal");
		memcpy(buf + dtlsrec_head(&x[i].sr), payload, PAYLOAD);
		n = dtlsrec_seal(&x[i].sr, shared, DTLSREC_T_APP, buf, PAYLOAD, sizeof(buf));
		if (n <= 0 || dtlsrec_open(&x[i].cr, x[i].own, buf, (size_t)n, &m) != DTLSREC_DATA)
			die("dtlsrec_open");
	}
	own_bytes = ossl_live - own_bytes;

	for (int pass = 0; pass < PASSES; pass++) {
		/* OpenSSL seals (the phone's SSL_write) */
		t = cpu_s();
		for (int i = 0; i < SESSIONS; i++) {
			if (tls_write(&x[i].c, payload, PAYLOAD))
				die("tls_write");
			lens[i] = membio_take_dgram(x[i].c.bio, recs[i], RECSZ);
		}
		ssl_seal += cpu_s() - t;
		/* OpenSSL opens (the phone's SSL_read) what its server sealed */
		for (int i = 0; i < SESSIONS; i++) {
			if (SSL_write(x[i].s, payload, PAYLOAD) != PAYLOAD)
				die("SSL_write");
			lens[i] = membio_take_dgram(x[i].sb, recs[i], RECSZ);
		}
		t = cpu_s();
		for (int i = 0; i < SESSIONS; i++) {
			tls_feed(&x[i].c, recs[i], lens[i]);
			if (tls_read(&x[i].c, out, sizeof(out)) != PAYLOAD)
				die("tls_read");
		}
		ssl_open += cpu_s() - t;
		tls_idle(&x[0].c); /* as the phone does after each use */

		/* the record layer: v = 0 one context for all, v = 1 one per session */
		for (int v = 0; v < 2; v++) {
			t = cpu_s();
			for (int i = 0; i < SESSIONS; i++) {
				memcpy(buf + dtlsrec_head(&x[i].cr), payload, PAYLOAD);
				if (dtlsrec_seal(&x[i].cr, v ? x[i].own : shared, DTLSREC_T_APP,
						 buf, PAYLOAD, sizeof(buf)) <= 0)
					die("dtlsrec_seal");
			}
			rec_seal[v] += cpu_s() - t;
			for (int i = 0; i < SESSIONS; i++) {
				memcpy(recs[i] + dtlsrec_head(&x[i].sr), payload, PAYLOAD);
				int n = dtlsrec_seal(&x[i].sr, shared, DTLSREC_T_APP, recs[i],
						     PAYLOAD, RECSZ);
				if (n <= 0)
					die("dtlsrec_seal (server)");
				lens[i] = (size_t)n;
			}
			t = cpu_s();
			for (int i = 0; i < SESSIONS; i++)
				if (dtlsrec_open(&x[i].cr, v ? x[i].own : shared, recs[i], lens[i],
						 &m) != DTLSREC_DATA)
					die("dtlsrec_open");
			rec_open[v] += cpu_s() - t;
		}
	}
	double n = (double)SESSIONS * PASSES / 1e9;
	printf("  %-22s OpenSSL %5.0f / %5.0f ns; dtlsrec, one ctx per worker %4.0f / %4.0f ns; "
	       "one ctx per session %4.0f / %4.0f ns (%.0f B a session)\n",
	       suite, ssl_seal / n, ssl_open / n, rec_seal[0] / n, rec_open[0] / n, rec_seal[1] / n,
	       rec_open[1] / n, (double)own_bytes / SESSIONS);
	for (int i = 0; i < SESSIONS; i++) {
		tls_close(&x[i].c);
		SSL_free(x[i].s);
		dtlsrec_ctx_free(x[i].own);
	}
	SSL_CTX_free(sctx);
}

/* Bytes of a worker's dtlsrec_ctx once it has sealed and opened with every suite. */
static size_t ctx_bytes(int ns)
{
	static const uint16_t ids[] = {0x008c, 0x008d, 0x00a8, 0x00a9, 0xccab};
	uint8_t buf[RECSZ];
	struct dtlsrec c, s;
	struct dtlsrec_msg m;
	struct dtlsrec_ctx *x;
	size_t h = ossl_live;

	if (!(x = dtlsrec_ctx_new()))
		die("dtlsrec_ctx_new");
	for (int i = 0; i < ns && i < (int)(sizeof(ids) / sizeof(ids[0])); i++) {
		struct dtlsrec_params p = {
		    .version = 0xfefd, .suite = ids[i], .epoch = 1, .rnone = 1};
		int n;

		RAND_bytes(p.master, sizeof(p.master));
		if (dtlsrec_init(&c, &p))
			die("dtlsrec_init");
		p.server = 1;
		if (dtlsrec_init(&s, &p))
			die("dtlsrec_init");
		memset(buf, 0, sizeof(buf));
		n = dtlsrec_seal(&s, x, DTLSREC_T_APP, buf, PAYLOAD, sizeof(buf));
		if (n <= 0 || dtlsrec_open(&c, x, buf, (size_t)n, &m) != DTLSREC_DATA)
			die("ctx_bytes");
	}
	h = ossl_live - h;
	dtlsrec_ctx_free(x);
	return h;
}

int main(void)
{
	static const char *const suites[] = {"PSK-AES128-CBC-SHA", "PSK-AES256-CBC-SHA",
					     "PSK-AES128-GCM-SHA256", "PSK-AES256-GCM-SHA384",
					     "PSK-CHACHA20-POLY1305"};
	enum { NS = sizeof(suites) / sizeof(suites[0]) };
	SSL_CTX *cctx;
	struct dtlsrec_ctx *shared;
	size_t ctx_b;

	if (!CRYPTO_set_mem_functions(acct_malloc, acct_realloc, acct_free))
		die("CRYPTO_set_mem_functions");
	RAND_bytes(psk, sizeof(psk));
	ctx_bytes(NS); /* the first one pays for OpenSSL's one-time set-up */
	ctx_b = ctx_bytes(NS);
	cctx = dtls_ctx_new_psk();
	if (!cctx)
		die("dtls_ctx_new_psk");
	shared = dtlsrec_ctx_new();
	if (!shared)
		die("dtlsrec_ctx_new");

	printf("dtlsrec: CPU per record of %d bytes, seal / open, round robin over %d sessions "
	       "(%d passes)\n",
	       PAYLOAD, SESSIONS, PASSES);
	for (int i = 0; i < NS; i++)
		cpu_pass(suites[i], cctx, shared);
	printf("dtlsrec: bytes per session\n");
	for (int i = 0; i < NS; i += 2)
		memory_pass(suites[i], cctx);
	printf("  record layer: %zu B a session (struct dtlsrec, in the phone) + one dtlsrec_ctx "
	       "per worker (%zu B once it has served all %d suites)\n",
	       sizeof(struct dtlsrec), ctx_b, NS);
	dtlsrec_ctx_free(shared);
	SSL_CTX_free(cctx);
	return 0;
}
