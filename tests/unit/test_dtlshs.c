/*
 * tests/unit/test_dtlshs.c - our own DTLS 0.9 resumption handshake
 * (engine/tls/dtlshs.c) against OpenSSL's client doing the same.
 *
 * OpenSSL has no DTLS 0.9 server (DTLS1_BAD_VER is a client method only),
 * so both clients talk to the test headend of tests/unit/dtls09.h, written
 * from the protocol, not from either client. Each test runs OpenSSL's client
 * (dtls_open_legacy, as the phone did before) and ours side by side, ours
 * given OpenSSL's client random, each against a headend of its own that
 * holds the same cookie and server random: then every byte the two clients
 * send must be the same, but for the Finished record's IV and ciphertext,
 * whose plaintext (the Finished message, header and verify data) must be
 * the same once decrypted with the headend's keys. What a broken headend
 * sends goes to both alike; both must end the same way (handshake result,
 * the alert on the wire byte for byte, OpenSSL's error text).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Update from a state, as dtlsrec keeps it */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "engine/tls/dtls.h"
#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/keylog.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"
#include "tests/unit/dtls09.h"

static uint8_t master[48], sid[32];

/* The two clients and their two headends. */
struct duo {
	struct dtls_legacy *legacy;
	struct dtlsrec_ctx *ctx;
	struct tls ref, own;  /* OpenSSL's client; ours (dtls_open_own, its random set) */
	BIO *to_ref, *to_own; /* what each headend sends */
	struct dtls09 a, b;   /* a serves ref, b serves own */
	uint16_t suite;
};

static const char *suite_name(uint16_t suite)
{
	return suite == 0x002f ? "AES128-SHA" : "AES256-SHA";
}

/*
 * Open both clients for suite, their sessions claiming session_cipher, and
 * send each one's first ClientHello (left in its BIO); the headends get
 * flaws.
 */
/*
 * st (struct dtlsrec's wmac or rmac: SHA-1 chaining values after the inner
 * padded key block, then after the outer one) continued over a message
 * gives what OpenSSL's HMAC-SHA1 under key gives for it.
 */
static void assert_hmac_state(const uint32_t st[10], const uint8_t key[20])
{
	static const uint8_t m[] = "a message of some length, longer than one SHA-1 block of 64 bytes";
	uint8_t want[20], got[20];
	unsigned int wlen = 0;
	SHA_CTX x;

	assert_non_null(HMAC(EVP_sha1(), key, 20, m, sizeof(m), want, &wlen));
	assert_int_equal(wlen, 20);
	for (int i = 0; i < 2; i++) {
		memset(&x, 0, sizeof(x));
		x.h0 = st[5 * i];
		x.h1 = st[5 * i + 1];
		x.h2 = st[5 * i + 2];
		x.h3 = st[5 * i + 3];
		x.h4 = st[5 * i + 4];
		x.Nl = 512;
		if (i == 0)
			SHA1_Update(&x, m, sizeof(m));
		else
			SHA1_Update(&x, got, sizeof(got));
		SHA1_Final(got, &x);
	}
	assert_memory_equal(got, want, 20);
}

static void duo_open(struct duo *d, uint16_t suite, uint16_t session_cipher, unsigned flaws)
{
	uint8_t random[32];

	memset(d, 0, sizeof(*d));
	d->suite = suite;
	d->legacy = dtls_legacy_new();
	d->ctx = dtlsrec_ctx_new();
	assert_non_null(d->legacy);
	assert_non_null(d->ctx);
	assert_int_equal(dtls_open_legacy(&d->ref, d->legacy, suite_name(suite), 0, master, sid,
					  session_cipher, NULL),
			 0);
	assert_int_equal(tls_handshake(&d->ref), 0);
	assert_int_equal(SSL_get_client_random(d->ref.ssl, random, 32), 32);

	assert_int_equal(
	    dtls_open_own(&d->own, d->ctx, suite_name(suite), master, sid, session_cipher),
	    0);
	assert_non_null(d->own.hs);
	assert_null(d->own.ssl);
	dtlshs_free(d->own.hs); /* the same client random as OpenSSL's */
	assert_int_equal(dtlshs_new(&d->own.hs, d->ctx, suite, session_cipher, master, sid, random),
			 0);
	assert_int_equal(tls_handshake(&d->own), 0);

	d->to_ref = membio_new(true);
	d->to_own = membio_new(true);
	d09_init(&d->a, master, sid, d->to_ref);
	d09_init(&d->b, master, sid, d->to_own);
	memcpy(d->b.cookie, d->a.cookie, sizeof(d->a.cookie));
	memcpy(d->b.srand, d->a.srand, sizeof(d->a.srand));
	d09_suite(&d->a, suite);
	d09_suite(&d->b, suite);
	d->a.flaws = d->b.flaws = flaws;
}

static void duo_close(struct duo *d)
{
	tls_close(&d->ref);
	tls_close(&d->own);
	BIO_free(d->to_ref);
	BIO_free(d->to_own);
	d09_free(&d->a);
	d09_free(&d->b);
	dtlsrec_ctx_free(d->ctx);
	dtls_legacy_free(d->legacy);
	ERR_clear_error();
}

static size_t take(BIO *b, uint8_t *out)
{
	return membio_take_dgram(b, out, 2048);
}

static void no_data(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
}

static void hex_diff(const char *what, const uint8_t *x, size_t nx, const uint8_t *y, size_t ny)
{
	if (nx == ny && !memcmp(x, y, nx))
		return;
	for (size_t i = 0; i < nx && i < ny; i++)
		if (x[i] != y[i])
			fail_msg(
			    "%s: ours (%zu bytes) and OpenSSL's (%zu) differ first at byte %zu: "
			    "%02x, OpenSSL %02x",
			    what, nx, ny, i, x[i], y[i]);
	fail_msg("%s: ours is %zu bytes, OpenSSL's %zu", what, nx, ny);
}

/*
 * One flight from each client to its headend: the same bytes. Returns the
 * length; the datagram is left in x (ours) and y (OpenSSL's).
 */
static size_t client_flight(struct duo *d, const char *what, uint8_t *x, uint8_t *y)
{
	size_t nx = take(d->own.bio, x), ny = take(d->ref.bio, y);

	if (!ny)
		fail_msg("%s: OpenSSL sent nothing", what);
	hex_diff(what, x, nx, y, ny);
	assert_int_equal(take(d->own.bio, x), 0); /* one datagram each */
	assert_int_equal(take(d->ref.bio, y), 0);
	d09_input(&d->b, x, nx, no_data, NULL);
	d09_input(&d->a, y, ny, no_data, NULL);
	return nx;
}

/* Feed each client its headend's next datagram; both must answer r. */
static void server_flight(struct duo *d, int r)
{
	uint8_t x[2048], y[2048];
	size_t nx = take(d->to_own, x), ny = take(d->to_ref, y);

	assert_true(nx > 0);
	assert_int_equal(nx, ny);
	tls_feed(&d->own, x, nx);
	tls_feed(&d->ref, y, ny);
	assert_int_equal(tls_handshake(&d->own), r);
	assert_int_equal(tls_handshake(&d->ref), r);
}

/*
 * The last flight: ChangeCipherSpec (13 + 3 bytes, the same) and the
 * Finished record: its header the same, its plaintext the same once
 * opened with the headend's keys. Both headends then have the session up.
 */
static void final_flight(struct duo *d)
{
	uint8_t x[2048], y[2048], px[2048], py[2048];
	size_t nx = take(d->own.bio, x), ny = take(d->ref.bio, y);
	const size_t ccs = 13 + 3;

	assert_int_equal(take(d->own.bio, px), 0);
	assert_int_equal(take(d->ref.bio, py), 0);
	if (nx != ny || ny < ccs + 13)
		fail_msg("last flight: ours %zu bytes, OpenSSL's %zu", nx, ny);
	hex_diff("ChangeCipherSpec and the Finished record's header", x, ccs + 13, y, ccs + 13);
	size_t blen = (size_t)y[ccs + 11] << 8 | y[ccs + 12];
	int lx = d09_open(&d->a, x + ccs, blen, px), ly = d09_open(&d->a, y + ccs, blen, py);

	assert_int_equal(ly, 12 + 12);
	hex_diff("the Finished, decrypted", px, (size_t)lx, py, (size_t)ly);
	d09_input(&d->b, x, nx, no_data, NULL);
	d09_input(&d->a, y, ny, no_data, NULL);
	if (d->b.stage != D09_UP)
		fail_msg("the headend refused our Finished: %s", d->b.why ? d->b.why : "?");
	assert_int_equal(d->a.stage, D09_UP);
}

/* Records both ways once up: ours (dtlsrec keyed by the handshake) and OpenSSL's. */
static const uint8_t *got;
static size_t got_len;

static void keep_data(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	static uint8_t buf[2048];

	memcpy(buf, data, len);
	got = buf;
	got_len = len;
}

static void records_both_ways(struct duo *d)
{
	static const uint8_t msg[] = "\x00 a CSTP frame's worth";
	struct dtlsrec rec;
	struct dtlsrec_msg m;
	uint8_t buf[2048];
	size_t kl = d->suite == 0x002f ? 16 : 32;

	dtlshs_keys(d->own.hs, &rec);
	/* the same keys as the headend's (dtls09.h's key block: MACs, then keys) */
	assert_memory_equal(rec.wkey, D09_CLIENT_KEY(&d->b), kl);
	assert_memory_equal(rec.rkey, D09_SERVER_KEY(&d->b), kl);
	/* the MAC keys, kept as HMAC-SHA1 states: each gives OpenSSL's HMAC under the key */
	assert_hmac_state(rec.wmac, D09_CLIENT_MAC(&d->b));
	assert_hmac_state(rec.rmac, D09_SERVER_MAC(&d->b));
	assert_int_equal(rec.wseq, 1); /* our Finished was epoch 1's first record */

	memcpy(buf + dtlsrec_head(&rec), msg, sizeof(msg));
	int n = dtlsrec_seal(&rec, d->ctx, DTLSREC_T_APP, buf, sizeof(msg), sizeof(buf));

	assert_true(n > 0);
	got = NULL;
	d09_input(&d->b, buf, (size_t)n, keep_data, NULL);
	assert_non_null(got);
	assert_int_equal(got_len, sizeof(msg));
	assert_memory_equal(got, msg, sizeof(msg));
	/* the same record opened by OpenSSL's session's headend: the keys are OpenSSL's too */
	got = NULL;
	d09_input(&d->a, buf, (size_t)n, keep_data, NULL);
	assert_non_null(got);

	d09_send(&d->b, msg, sizeof(msg));
	n = (int)take(d->to_own, buf);
	assert_int_equal(dtlsrec_open(&rec, d->ctx, buf, (size_t)n, &m), DTLSREC_DATA);
	assert_int_equal(m.len, sizeof(msg));
	assert_memory_equal(m.data, msg, sizeof(msg));

	/* OpenSSL's session both ways, for comparison */
	uint8_t r[64];

	assert_int_equal(tls_write(&d->ref, msg, sizeof(msg)), 0);
	got = NULL;
	n = (int)take(d->ref.bio, buf);
	d09_input(&d->a, buf, (size_t)n, keep_data, NULL);
	assert_non_null(got);
	d09_send(&d->a, msg, sizeof(msg));
	n = (int)take(d->to_ref, buf);
	tls_feed(&d->ref, buf, (size_t)n);
	assert_int_equal(tls_read(&d->ref, r, sizeof(r)), (int)sizeof(msg));
	assert_memory_equal(r, msg, sizeof(msg));
}

/* The whole handshake, hello verify included, for each legacy suite. */
static void test_handshake_each_suite(void **state)
{
	static const uint16_t suites[] = {0x002f, 0x0035};
	uint8_t x[2048], y[2048];

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct duo d;

		duo_open(&d, suites[i], 0, 0);
		client_flight(&d, "first ClientHello", x, y); /* random included */
		server_flight(&d, 0);			      /* HelloVerifyRequest */
		client_flight(&d, "ClientHello with the cookie", x, y);
		assert_memory_equal(x + 13 + 12 + 2 + 32 + 1 + 32 + 1, d.a.cookie, 20);
		server_flight(&d, 1); /* ServerHello, ChangeCipherSpec, Finished */
		final_flight(&d);
		assert_true(dtls_resumed(&d.own));
		assert_string_equal(tls_version_name(&d.own), tls_version_name(&d.ref));
		assert_string_equal(tls_cipher_name(&d.own), tls_cipher_name(&d.ref));
		/* no timer once the last flight is sent (OpenSSL: none either) */
		assert_int_equal(dtls_timeout_us(&d.own), -1);
		assert_int_equal(dtls_timeout_us(&d.ref), -1);
		records_both_ways(&d);
		duo_close(&d);
	}
}

/* A headend that answers the first hello at once (no cookie): sequences one lower. */
static void test_no_hello_verify(void **state)
{
	uint8_t x[2048], y[2048];
	struct duo d;

	(void)state;
	duo_open(&d, 0x0035, 0, D09_FLAW_NO_VERIFY);
	client_flight(&d, "first ClientHello", x, y);
	server_flight(&d, 1);
	final_flight(&d);
	records_both_ways(&d);
	duo_close(&d);
}

/* ==== A broken headend: both clients alike ==== */

typedef void (*mutate_fn)(uint8_t *dg, size_t *len);

static void set_sid_byte(uint8_t *dg, size_t *len)
{
	(void)len;
	dg[13 + 12 + 35] ^= 0xff; /* the ServerHello's session ID: another session */
}

static void ccs_first(uint8_t *dg, size_t *len)
{
	size_t sh = 13 + 12 + 70;

	memmove(dg, dg + sh, *len - sh); /* the ServerHello lost */
	*len -= sh;
}

static void set_version(uint8_t *dg, size_t *len)
{
	(void)len;
	dg[13 + 12] = 0xfe; /* the ServerHello's version: 0xfe00 */
}

static void fatal_alert(uint8_t *dg, size_t *len)
{
	static const uint8_t a[] = {21, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40};

	memcpy(dg, a, sizeof(a));
	*len = sizeof(a);
}

static void garbage(uint8_t *dg, size_t *len)
{
	for (size_t i = 0; i < *len; i++)
		dg[i] = (uint8_t)(i * 37 + 11);
}

static void short_hello(uint8_t *dg, size_t *len)
{
	/* a whole record holding a ServerHello that says it is 10 bytes long */
	dg[11] = 0;
	dg[12] = 12 + 10;
	dg[13 + 1] = dg[13 + 2] = 0;
	dg[13 + 3] = 10;
	dg[13 + 9] = dg[13 + 10] = 0;
	dg[13 + 11] = 10;
	*len = 13 + 12 + 10;
}

static void hello_only(uint8_t *dg, size_t *len)
{
	*len = 13 + 12 + 70; /* the ServerHello alone: its ChangeCipherSpec never comes */
	(void)dg;
}

static void bad_ccs(uint8_t *dg, size_t *len)
{
	dg[13 + 12 + 70 + 13] = 2; /* the ChangeCipherSpec's type byte */
	(void)len;
}

/*
 * A warning alert (description warning) before the flight, as the record
 * after the HelloVerifyRequest (sequence 0: OpenSSL starts its epoch-0
 * window again after it). (A warning whose sequence number is ahead of the
 * flight's makes OpenSSL 3.0 fail "too many warn alerts" at once; ours
 * takes it as one warning: NOTES-dtlshs.md.)
 */
static uint8_t warning = 90;

static void warning_alert(uint8_t *dg, size_t *len)
{
	uint8_t a[] = {21, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, warning};

	memmove(dg + sizeof(a), dg, *len);
	memcpy(dg, a, sizeof(a));
	*len += sizeof(a);
}

static void unsolicited_ems(uint8_t *dg, size_t *len)
{
	/* the ServerHello with an extended_master_secret extension (4 bytes more) */
	size_t sh = 13 + 12 + 70;

	memmove(dg + sh + 6, dg + sh, *len - sh);
	dg[sh] = 0;
	dg[sh + 1] = 4;
	dg[sh + 2] = 0;
	dg[sh + 3] = 23;
	dg[sh + 4] = dg[sh + 5] = 0;
	*len += 6;
	dg[12] = (uint8_t)(12 + 76);
	dg[13 + 3] = dg[13 + 11] = 76;
}

/*
 * One broken-headend case: the handshake up to the headend's flight, which
 * mutate changes alike for both (NULL: as sent); both clients must give r,
 * send the same bytes after it (an alert, or nothing) and, when failed, the
 * same OpenSSL error text.
 */
static void broken(const char *what, uint16_t session_cipher, unsigned flaws, mutate_fn mutate,
		   int r)
{
	uint8_t x[2048], y[2048];
	size_t nx, ny;
	struct duo d;

	duo_open(&d, 0x0035, session_cipher, flaws);
	client_flight(&d, "first ClientHello", x, y);
	server_flight(&d, 0);
	client_flight(&d, "ClientHello with the cookie", x, y);
	nx = take(d.to_own, x);
	ny = take(d.to_ref, y);
	if (mutate) {
		mutate(x, &nx);
		mutate(y, &ny);
	}
	tls_feed(&d.own, x, nx);
	tls_feed(&d.ref, y, ny);
	int rr = tls_handshake(&d.ref);
	char ref_error[160];

	snprintf(ref_error, sizeof(ref_error), "%s", tls_last_error());
	int ro = tls_handshake(&d.own);

	if (rr != r)
		fail_msg("%s: OpenSSL's handshake gave %d, the test expects %d (%s)", what, rr, r,
			 ref_error);
	if (ro != rr)
		fail_msg("%s: ours gave %d, OpenSSL's %d (%s)", what, ro, rr, ref_error);
	if (r < 0 && strcmp(tls_last_error(), ref_error))
		fail_msg("%s: ours failed with \"%s\", OpenSSL's with \"%s\"", what,
			 tls_last_error(), ref_error);
	assert_int_equal(d.own.alert_sent, d.ref.alert_sent);
	assert_int_equal(d.own.alert_rcvd, d.ref.alert_rcvd);
	for (;;) {
		nx = take(d.own.bio, x);
		ny = take(d.ref.bio, y);
		if (!nx && !ny)
			break;
		if (r == 1 && nx && ny)
			break; /* the last flight: compared by final_flight's tests */
		hex_diff(what, x, nx, y, ny);
	}
	duo_close(&d);
}

static void test_broken_headends(void **state)
{
	(void)state;
	/* a session that claims AES128-SHA, resumed with AES256-SHA (a phone's case) */
	broken("another suite than the session's", 0x002f, 0, NULL, -EPROTO);
	broken("a Finished that does not match", 0, D09_FLAW_FINISHED, NULL, -EPROTO);
	broken("another session ID", 0, 0, set_sid_byte, 0);
	broken("a ChangeCipherSpec first", 0, 0, ccs_first, 0);
	broken("another version", 0, 0, set_version, -EPROTO);
	broken("a fatal alert", 0, 0, fatal_alert, -EPROTO);
	broken("garbage", 0, 0, garbage, 0);
	broken("a ServerHello cut short", 0, 0, short_hello, -EPROTO);
	broken("a ServerHello alone", 0, 0, hello_only, 0);
	broken("a ChangeCipherSpec that is not", 0, 0, bad_ccs, -EPROTO);
	broken("a warning alert (user_canceled) first", 0, 0, warning_alert, 1);
	warning = 0;
	broken("a warning close_notify first", 0, 0, warning_alert, 1);
	warning = 100;
	broken("a warning no_renegotiation first", 0, 0, warning_alert, 1);

	broken("an extension not asked for", 0, 0, unsolicited_ems, -EPROTO);
}

/* ==== Retransmission ==== */

/*
 * OpenSSL's timer, from its documentation (DTLSv1_set_timer_cb: 1 s at
 * first, doubled at each expiry up to 60 s) and its DTLS1_TMO_ALERT_COUNT
 * (12 expiries, the 13th fails): the ClientHello sent again at each expiry,
 * the same bytes but for the record sequence number, which moves on.
 */
static void test_retransmission_schedule(void **state)
{
	static const uint64_t gap_s[] = {1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60};
	struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
	BIO *out = membio_new(true);
	struct dtlshs *h;
	uint8_t first[512], again[512];
	uint64_t t = 5000000;
	size_t n;

	(void)state;
	assert_int_equal(dtlshs_new(&h, ctx, 0x0035, 0, master, sid, NULL), 0);
	assert_int_equal(dtlshs_timeout_us(h, t), -1);
	assert_int_equal(dtlshs_step(h, out, NULL, 0, t), 0);
	n = take(out, first);
	assert_true(n > 0);
	for (unsigned i = 0; i < sizeof(gap_s) / sizeof(gap_s[0]); i++) {
		uint64_t due = t + gap_s[i] * 1000000;

		assert_int_equal(dtlshs_timeout_us(h, t), (int64_t)(due - t));
		/* not yet 15 ms before it: nothing */
		assert_int_equal(dtlshs_handle_timeout(h, out, due - 15001), 0);
		assert_int_equal(dtlshs_timeout_us(h, due - 14999), 0);
		assert_int_equal(take(out, again), 0);
		t = due - 14999; /* within OpenSSL's 15 ms: due */
		assert_int_equal(dtlshs_handle_timeout(h, out, t), 1);
		assert_int_equal(take(out, again), n);
		assert_int_equal(again[10], first[10] + i + 1); /* the record sequence */
		again[10] = first[10];
		assert_memory_equal(again, first, n);
	}
	t += 60000000;
	assert_int_equal(dtlshs_handle_timeout(h, out, t), -EPROTO);
	assert_string_equal(dtlshs_error(h), "read timeout expired");
	assert_int_equal(take(out, again), 0); /* no alert: OpenSSL sends none either */
	assert_int_equal(dtlshs_timeout_us(h, t), -1);
	dtlshs_free(h);
	BIO_free(out);
	dtlsrec_ctx_free(ctx);
}

/* Wait (with a deadline) until t's retransmission is due. */
static void until_due(struct tls *t)
{
	struct timespec ts = {0, 5000000};

	for (int i = 0; i < 400 && dtls_timeout_us(t) != 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(dtls_timeout_us(t), 0);
}

/*
 * Both clients on the real clock: the first timer 1 s (OpenSSL's a little
 * less by now), the hello sent again alike; after the HelloVerifyRequest a
 * new 1-s timer for the hello with the cookie; none once done.
 */
static void test_retransmission_like_openssl(void **state)
{
	uint8_t x[2048], y[2048];
	struct duo d;

	(void)state;
	duo_open(&d, 0x0035, 0, 0);
	int64_t to = dtls_timeout_us(&d.own), tr = dtls_timeout_us(&d.ref);

	if (to < 900000 || to > 1000000 || tr < 900000 || tr > 1000000)
		fail_msg("first timers: ours %lld us, OpenSSL's %lld", (long long)to,
			 (long long)tr);
	take(d.own.bio, x);
	take(d.ref.bio, y);
	until_due(&d.ref);
	until_due(&d.own);
	dtls_handle_timeout(&d.ref);
	dtls_handle_timeout(&d.own);
	client_flight(&d, "the first ClientHello again", x, y);
	to = dtls_timeout_us(&d.own);
	tr = dtls_timeout_us(&d.ref);
	if (to < 1900000 || to > 2000000 || tr < 1900000 || tr > 2000000)
		fail_msg("doubled: ours %lld us, OpenSSL's %lld", (long long)to, (long long)tr);
	server_flight(&d, 0);
	client_flight(&d, "ClientHello with the cookie", x, y);
	to = dtls_timeout_us(&d.own);
	tr = dtls_timeout_us(&d.ref);
	if (to < 900000 || to > 1000000 || tr < 900000 || tr > 1000000)
		fail_msg("after the cookie: ours %lld us, OpenSSL's %lld", (long long)to,
			 (long long)tr);
	server_flight(&d, 1);
	final_flight(&d);
	duo_close(&d);
}

/*
 * Once done, the headend's Finished again (ours was lost): both clients
 * send their ChangeCipherSpec and Finished again, as OpenSSL does after its
 * handshake: two datagrams, the ChangeCipherSpec without its message
 * sequence, the Finished under the next sequence number of epoch 1 (the
 * headend's window would drop a repeat); the 13th repeat fails both ("read
 * timeout expired", no alert). Ours as the phone takes a record then: opened
 * by the session's records (DTLSREC_HANDSHAKE), then dtls_own_resend.
 */
static void test_resend_last_flight(void **state)
{
	uint8_t x[2048], y[2048], px[2048], py[2048];
	struct dtlsrec rec;
	struct dtlsrec_msg m;
	struct duo d;

	(void)state;
	duo_open(&d, 0x0035, 0, 0);
	client_flight(&d, "first ClientHello", x, y);
	server_flight(&d, 0);
	client_flight(&d, "ClientHello with the cookie", x, y);
	server_flight(&d, 1);
	final_flight(&d);
	dtlshs_keys(d.own.hs, &rec);
	for (int i = 1; i <= 13; i++) {
		d09_finished_again(&d.b);
		size_t n = take(d.to_own, x);

		assert_int_equal(dtlsrec_open(&rec, d.ctx, x, n, &m), DTLSREC_HANDSHAKE);
		assert_int_equal(m.data[0], 20);
		int ro = dtls_own_resend(&d.own, &rec);

		d09_finished_again(&d.a);
		n = take(d.to_ref, y);
		tls_feed(&d.ref, y, n);
		int rr = tls_read(&d.ref, py, sizeof(py));

		if (i < 13) {
			assert_int_equal(ro, 0);
			assert_int_equal(rr, 0);
		} else {
			assert_int_equal(ro, -EPROTO);
			assert_int_equal(rr, -EPROTO);
			char ours[160];

			/* OpenSSL's error queue's words for our reason: its own, exactly */
			ERR_error_string_n(ERR_PACK(ERR_LIB_SSL, 0, dtlshs_reason(d.own.hs)), ours,
					   sizeof(ours));
			assert_string_equal(tls_last_error(), ours);
			assert_string_equal(dtlshs_error(d.own.hs), "read timeout expired");
			assert_int_equal(take(d.own.bio, x), 0);
			assert_int_equal(take(d.ref.bio, y), 0);
			break;
		}
		size_t nx = take(d.own.bio, x), ny = take(d.ref.bio, y);

		hex_diff("the ChangeCipherSpec again", x, nx, y, ny);
		nx = take(d.own.bio, x);
		ny = take(d.ref.bio, y);
		assert_true(ny > 13);
		hex_diff("the Finished record's header again", x, nx < 13 ? nx : 13, y, 13);
		assert_int_equal(nx, ny);
		assert_int_equal(d09_open(&d.b, x, nx - 13, px), 24);
		assert_int_equal(d09_open(&d.a, y, ny - 13, py), 24);
		hex_diff("the Finished again, decrypted", px, 24, py, 24);
		assert_int_equal(take(d.own.bio, x), 0);
		assert_int_equal(take(d.ref.bio, y), 0);
		assert_int_equal(rec.wseq, 1 + (uint64_t)i);
	}
	duo_close(&d);
}

/* ==== The key log ==== */

static bool want_all(void *app)
{
	(void)app;
	return true;
}

/* Our session's CLIENT_RANDOM line: the random of its hello, the master secret. */
static void test_keylog_line(void **state)
{
	char path[] = "/tmp/test_dtlshs_keylog_XXXXXX", line[512], want[512];
	int fd = mkstemp(path);
	uint8_t x[2048], y[2048];
	struct duo d;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	keylog_start(fd, want_all);
	duo_open(&d, 0x0035, 0, 0);
	client_flight(&d, "first ClientHello", x, y);
	dtls_keylog(&d.own, NULL, master);
	strcpy(want, "CLIENT_RANDOM ");
	for (int i = 0; i < 32; i++)
		sprintf(want + strlen(want), "%02x", x[13 + 12 + 2 + i]);
	strcat(want, " ");
	for (int i = 0; i < 48; i++)
		sprintf(want + strlen(want), "%02x", master[i]);
	strcat(want, "\n");
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, want);
	fclose(f);
	unlink(path);
	duo_close(&d);
}

/* ==== What our handshake does not take ==== */

static void test_suites_left_to_openssl(void **state)
{
	struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
	struct tls t = {0};

	(void)state;
	assert_int_equal(dtls_open_own(&t, ctx, "OC-DTLS1_2-AES256-GCM", master, sid, 0),
			 -ENOTSUP);
	assert_int_equal(dtls_open_own(&t, ctx, "DES-CBC3-SHA", master, sid, 0), -ENOTSUP);
	assert_int_equal(dtls_open_own(&t, NULL, "AES256-SHA", master, sid, 0), -ENOTSUP);
	assert_null(t.bio);
	dtlsrec_ctx_free(ctx);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)(0x80 + i);
	for (int i = 0; i < 32; i++)
		sid[i] = (uint8_t)(0x10 + i);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_each_suite),
	    cmocka_unit_test(test_no_hello_verify),
	    cmocka_unit_test(test_broken_headends),
	    cmocka_unit_test(test_retransmission_schedule),
	    cmocka_unit_test(test_retransmission_like_openssl),
	    cmocka_unit_test(test_resend_last_flight),
	    cmocka_unit_test(test_keylog_line),
	    cmocka_unit_test(test_suites_left_to_openssl),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
