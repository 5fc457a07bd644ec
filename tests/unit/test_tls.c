/*
 * tests/unit/test_tls.c - a phone's TLS session wired in memory to an
 * OpenSSL server, and the membio it runs on.
 *
 * The client is what the engine uses (tls_ctx_new for a phone model,
 * tls_open on a stream membio); the server is plain OpenSSL on two memory
 * BIOs with a self-signed RSA certificate made here. Bytes are pumped by
 * hand: what the client wrote is taken with membio_take and written into
 * the server's read BIO; what the server wrote is lent to the client with
 * tls_feed. Checked: handshake, the pinning callback and the alert a
 * refusal sends, one TLS record per CSTP frame (ocserv drops the session
 * otherwise, protocol doc section 3), reads, close_notify, and the
 * version-mismatch diagnosis.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine/trust/certhash.h"
#include "engine/proto/cstp.h"
#include "engine/tls/membio.h"
#include "engine/trust/model.h"
#include "engine/tls/dtls.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/tls.h"

/* ==== The server side ==== */

static EVP_PKEY *srv_key;
static X509 *srv_cert;
static uint8_t srv_sha1[CERTHASH_SHA1_LEN]; /* computed here with X509_digest */

/* What the verify callback saw and answers. */
static bool trust = true;
static int verify_calls;
static void *verify_app;
static uint8_t seen_sha1[CERTHASH_SHA1_LEN];

static bool verify_cb(void *app, X509 *leaf)
{
	verify_calls++;
	verify_app = app;
	assert_int_equal(certhash_sha1_x509(leaf, seen_sha1), 0);
	return trust;
}

static int group_setup(void **state)
{
	unsigned int n = 0;

	(void)state;
	srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!srv_key)
		return -1;
	srv_cert = X509_new();
	X509_set_version(srv_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(srv_cert), 4242);
	X509_gmtime_adj(X509_getm_notBefore(srv_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(srv_cert), 86400L * 365);
	X509_set_pubkey(srv_cert, srv_key);
	X509_NAME *name = X509_get_subject_name(srv_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"vpn.test",
				   -1, -1, 0);
	X509_set_issuer_name(srv_cert, name);
	if (!X509_sign(srv_cert, srv_key, EVP_sha256()))
		return -1;
	if (!X509_digest(srv_cert, EVP_sha1(), srv_sha1, &n) || n != CERTHASH_SHA1_LEN)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(srv_cert);
	EVP_PKEY_free(srv_key);
	return 0;
}

struct pair {
	SSL_CTX *cctx, *sctx;
	struct tls c;
	SSL *s;
	BIO *s_in, *s_out; /* the server's read and write BIOs (owned by s) */
	uint8_t *cbuf;     /* what membio_take handed over last */
	size_t ccap, clen;
	uint8_t sbuf[65536]; /* server output being lent to the client */
	int app_marker;
};

static void pair_open(struct pair *p, const char *model, int srv_min, int srv_max,
		      const char *srv_ciphers)
{
	memset(p, 0, sizeof(*p));
	p->cctx = tls_ctx_new(model_find(model), verify_cb);
	assert_non_null(p->cctx);
	assert_int_equal(tls_open(&p->c, p->cctx, NULL, NULL, "vpn.test", &p->app_marker), 0);

	p->sctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(p->sctx);
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, srv_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, srv_key), 1);
	SSL_CTX_set_min_proto_version(p->sctx, srv_min);
	SSL_CTX_set_max_proto_version(p->sctx, srv_max);
	assert_int_equal(SSL_CTX_set_cipher_list(p->sctx, srv_ciphers), 1);
	p->s = SSL_new(p->sctx);
	p->s_in = BIO_new(BIO_s_mem());
	p->s_out = BIO_new(BIO_s_mem());
	SSL_set_bio(p->s, p->s_in, p->s_out);
	SSL_set_accept_state(p->s);
	verify_calls = 0;
	verify_app = NULL;
	memset(seen_sha1, 0, sizeof(seen_sha1));
}

static void pair_close(struct pair *p)
{
	tls_close(&p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	free(p->cbuf);
	ERR_clear_error();
}

/* Client output, taken from the membio as the channel would before a send. */
static size_t client_take(struct pair *p)
{
	return membio_take(p->c.bio, &p->cbuf, &p->ccap, &p->clen);
}

/* Client output -> server. */
static void to_server(struct pair *p)
{
	if (client_take(p))
		assert_int_equal(BIO_write(p->s_in, p->cbuf, (int)p->clen), (int)p->clen);
}

/* Server output -> client (lent; consumed by the next client call). */
static size_t from_server(struct pair *p)
{
	int n = BIO_read(p->s_out, p->sbuf, sizeof(p->sbuf));

	if (n <= 0)
		return 0;
	tls_feed(&p->c, p->sbuf, (size_t)n);
	return (size_t)n;
}

/* Run both handshakes to the end; the client's result (1, or -EPROTO). */
static int pump_handshake(struct pair *p, int *srv_result)
{
	int c = 0, s = 0;

	for (int round = 0; round < 20; round++) {
		c = tls_handshake(&p->c);
		if (c < 0)
			break;
		to_server(p);
		s = SSL_do_handshake(p->s);
		bool srv_failed = s <= 0 && SSL_get_error(p->s, s) != SSL_ERROR_WANT_READ;
		size_t got = from_server(p);
		if (srv_failed) {
			/* the client reads the server's alert */
			c = got ? tls_handshake(&p->c) : c;
			break;
		}
		if (!got && c == 1 && s == 1)
			break;
	}
	to_server(p); /* e.g. the alert of a refusal */
	if (srv_result) {
		s = SSL_do_handshake(p->s);
		*srv_result = s;
	}
	return c;
}

/* ==== TLS record parsing ==== */

struct rec {
	uint8_t type;
	uint16_t version;
	size_t len;
};

/* Split buf into TLS records; fails the test on a partial record. */
static unsigned parse_records(const uint8_t *buf, size_t len, struct rec *out, unsigned max)
{
	unsigned n = 0;
	size_t off = 0;

	while (off < len) {
		if (len - off < 5)
			fail_msg("%zu stray bytes after %u records", len - off, n);
		size_t rl = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (off + 5 + rl > len)
			fail_msg("record %u claims %zu bytes, only %zu there", n, rl, len - off - 5);
		if (n < max) {
			out[n].type = buf[off];
			out[n].version = (uint16_t)(buf[off + 1] << 8 | buf[off + 2]);
			out[n].len = rl;
		}
		n++;
		off += 5 + rl;
	}
	return n;
}

/* ==== Tests ==== */

static void test_handshake_and_pin(void **state)
{
	struct pair p;
	int srv;

	(void)state;
	trust = true;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	int r = pump_handshake(&p, &srv);
	if (r != 1)
		fail_msg("8861 against a TLS 1.0-1.2 server: handshake %d (%s)", r, tls_last_error());
	assert_int_equal(srv, 1);
	assert_int_equal(verify_calls, 1);
	assert_ptr_equal(verify_app, &p.app_marker);
	if (memcmp(seen_sha1, srv_sha1, CERTHASH_SHA1_LEN)) {
		char got[41], want[41];
		certhash_hex(seen_sha1, CERTHASH_SHA1_LEN, got, false);
		certhash_hex(srv_sha1, CERTHASH_SHA1_LEN, want, false);
		fail_msg("verify callback saw leaf SHA-1 %s, the server's is %s", got, want);
	}
	assert_string_equal(tls_version_name(&p.c), "TLSv1.2");
	/* the 8861's first suite, as it offers it */
	assert_string_equal(tls_cipher_name(&p.c), "ECDHE-RSA-AES256-GCM-SHA384");
	assert_int_equal(p.c.alert_sent, 0);
	assert_int_equal(p.c.alert_rcvd, 0);
	pair_close(&p);
}

static void test_pin_refused(void **state)
{
	struct pair p;

	(void)state;
	trust = false;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	/* keep a copy of the client's last flight: it must hold the alert */
	int r = tls_handshake(&p.c);
	assert_int_equal(r, 0);
	to_server(&p);
	assert_true(SSL_do_handshake(p.s) <= 0);
	from_server(&p);
	r = tls_handshake(&p.c);
	trust = true;
	if (r != -EPROTO)
		fail_msg("verify callback said no: tls_handshake %d, expected -EPROTO", r);
	assert_int_equal(verify_calls, 1);
	if (p.c.alert_sent == 0)
		fail_msg("handshake refused by the pin but no fatal alert recorded as sent");
	/* the alert is on the wire: a plaintext alert record, level fatal */
	assert_true(client_take(&p) >= 7);
	struct rec recs[8];
	unsigned n = parse_records(p.cbuf, p.clen, recs, 8);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].type, 21);
	assert_int_equal(recs[0].len, 2);
	assert_int_equal(p.cbuf[5], 2); /* fatal */
	assert_int_equal(p.cbuf[6], p.c.alert_sent);
	/* and the server fails on it */
	assert_int_equal(BIO_write(p.s_in, p.cbuf, (int)p.clen), (int)p.clen);
	assert_true(SSL_do_handshake(p.s) <= 0);
	assert_int_equal(SSL_get_error(p.s, -1), SSL_ERROR_SSL);
	pair_close(&p);
}

/* One tls_write of a CSTP frame = one TLS application record carrying it. */
static void check_one_record_per_frame(const char *model, int smin, int smax, const char *cs,
				       const char *want_version)
{
	static const size_t sizes[] = {0, 1, 15, 16, 100, 1399, 1400, 1500, 4096, 16000};
	static uint8_t frame[CSTP_HEADER_LEN + 16000], got[sizeof(frame)];
	struct pair p;

	trust = true;
	pair_open(&p, model, smin, smax, cs);
	int r = pump_handshake(&p, NULL);
	if (r != 1)
		fail_msg("%s: handshake %d (%s)", model, r, tls_last_error());
	assert_string_equal(tls_version_name(&p.c), want_version);
	/* drain the server's post-handshake bytes, if any */
	while (from_server(&p))
		assert_true(tls_read(&p.c, got, sizeof(got)) >= 0);
	client_take(&p);

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		cstp_header(frame, CSTP_DATA, (uint16_t)n);
		for (size_t j = 0; j < n; j++)
			frame[CSTP_HEADER_LEN + j] = (uint8_t)(j * 7 + i);
		/* two frames back to back, as a busy channel writes them */
		assert_int_equal(tls_write(&p.c, frame, CSTP_HEADER_LEN + n), 0);
		assert_int_equal(tls_write(&p.c, frame, CSTP_HEADER_LEN + n), 0);
		assert_true(client_take(&p) > 0);

		struct rec recs[8];
		unsigned nr = parse_records(p.cbuf, p.clen, recs, 8);
		if (nr != 2)
			fail_msg("%s %s: two tls_write of a %zu-byte CSTP frame gave %u TLS records, "
				 "expected 2 (one per frame)",
				 model, want_version, CSTP_HEADER_LEN + n, nr);
		for (unsigned k = 0; k < 2; k++)
			if (recs[k].type != 23)
				fail_msg("%s: record %u has type %u, expected 23 (application data)",
					 model, k, recs[k].type);
		/* the server reads each record as exactly one frame */
		assert_int_equal(BIO_write(p.s_in, p.cbuf, (int)p.clen), (int)p.clen);
		for (unsigned k = 0; k < 2; k++) {
			int g = SSL_read(p.s, got, sizeof(got));
			if (g != (int)(CSTP_HEADER_LEN + n))
				fail_msg("%s: server SSL_read %d bytes, expected one frame of %zu",
					 model, g, CSTP_HEADER_LEN + n);
			assert_memory_equal(got, frame, CSTP_HEADER_LEN + n);
		}
	}
	pair_close(&p);
}

static void test_one_record_per_frame_tls12(void **state)
{
	(void)state;
	check_one_record_per_frame("8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0",
				   "TLSv1.2");
	/* TLS 1.2 with a CBC suite (the 88xx's AES256-SHA) */
	check_one_record_per_frame("8861", TLS1_2_VERSION, TLS1_2_VERSION, "AES256-SHA",
				   "TLSv1.2");
}

/* TLS 1.0 CBC: no 1/n-1 or empty-fragment split of a frame. */
static void test_one_record_per_frame_tls10(void **state)
{
	(void)state;
	check_one_record_per_frame("7962", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0",
				   "TLSv1");
}

static void test_read_and_close_notify(void **state)
{
	struct pair p;
	uint8_t buf[4096];
	static const char a[] = "STF\x01 first", b[] = "second record";

	(void)state;
	trust = true;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	assert_int_equal(pump_handshake(&p, NULL), 1);
	while (from_server(&p))
		assert_true(tls_read(&p.c, buf, sizeof(buf)) >= 0);

	/* nothing to read yet */
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 0);

	/* two records arriving in one receive */
	assert_int_equal(SSL_write(p.s, a, sizeof(a) - 1), (int)sizeof(a) - 1);
	assert_int_equal(SSL_write(p.s, b, sizeof(b) - 1), (int)sizeof(b) - 1);
	assert_true(from_server(&p) > 0);
	int n = tls_read(&p.c, buf, sizeof(buf));
	assert_int_equal(n, sizeof(a) - 1);
	assert_memory_equal(buf, a, sizeof(a) - 1);
	n = tls_read(&p.c, buf, sizeof(buf));
	assert_int_equal(n, sizeof(b) - 1);
	assert_memory_equal(buf, b, sizeof(b) - 1);
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 0);
	assert_int_equal(membio_unread(p.c.bio), 0);

	/* a record split over two receives */
	assert_int_equal(SSL_write(p.s, a, sizeof(a) - 1), (int)sizeof(a) - 1);
	int len = BIO_read(p.s_out, p.sbuf, sizeof(p.sbuf));
	assert_true(len > 10);
	tls_feed(&p.c, p.sbuf, 10);
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 0);
	tls_feed(&p.c, p.sbuf + 10, (size_t)len - 10);
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), sizeof(a) - 1);
	assert_memory_equal(buf, a, sizeof(a) - 1);

	/* close_notify from the headend */
	SSL_shutdown(p.s);
	assert_true(from_server(&p) > 0);
	n = tls_read(&p.c, buf, sizeof(buf));
	if (n != -EPIPE)
		fail_msg("server close_notify: tls_read %d, expected -EPIPE (%d)", n, -EPIPE);
	assert_int_equal(p.c.alert_rcvd, 0); /* close_notify is a warning, not a failure */
	pair_close(&p);
}

/* Our close_notify reaches the server. */
static void test_shutdown(void **state)
{
	struct pair p;
	uint8_t buf[256];

	(void)state;
	trust = true;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	assert_int_equal(pump_handshake(&p, NULL), 1);
	tls_shutdown(&p.c);
	to_server(&p);
	int r = SSL_read(p.s, buf, sizeof(buf));
	assert_true(r <= 0);
	assert_int_equal(SSL_get_error(p.s, r), SSL_ERROR_ZERO_RETURN);
	pair_close(&p);
}

/* A TLS 1.0-only phone against a TLS 1.2-only headend. */
static void test_version_mismatch(void **state)
{
	struct pair p;
	int srv;

	(void)state;
	trust = true;
	pair_open(&p, "7962", TLS1_2_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	int r = pump_handshake(&p, &srv);
	if (r != -EPROTO)
		fail_msg("7962 (TLS 1.0) against TLS 1.2 only: handshake %d, expected -EPROTO", r);
	assert_true(srv <= 0);
	assert_int_equal(verify_calls, 0);
	if (!tls_failure_is_no_shared(&p.c))
		fail_msg("version mismatch not recognised: alert received %u, error \"%s\"",
			 p.c.alert_rcvd, tls_last_error());
	assert_int_equal(p.c.alert_rcvd, 70); /* protocol_version */

	/* a refused pin is not a mismatch */
	pair_close(&p);
	trust = false;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	assert_int_equal(pump_handshake(&p, NULL), -EPROTO);
	trust = true;
	if (tls_failure_is_no_shared(&p.c))
		fail_msg("a refused certificate was classed as no-shared (error \"%s\")",
			 tls_last_error());
	pair_close(&p);
}

/* No common cipher: the 7962's AES-SHA against an ECDHE-GCM-only headend. */
static void test_cipher_mismatch(void **state)
{
	struct pair p;

	(void)state;
	trust = true;
	pair_open(&p, "7962", TLS1_VERSION, TLS1_2_VERSION,
		  "ECDHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0");
	assert_int_equal(pump_handshake(&p, NULL), -EPROTO);
	if (!tls_failure_is_no_shared(&p.c))
		fail_msg("cipher mismatch not recognised: alert received %u, error \"%s\"",
			 p.c.alert_rcvd, tls_last_error());
	pair_close(&p);
}

/*
 * Garbage where the ServerHello should be (a plain HTTP server's answer,
 * then noise): a broken headend, not one that shares no cipher or version
 * with the phone (that one says so with an alert, or closes): TlsError, not
 * TlsNoSharedCipher. OpenSSL calls it "wrong version number".
 */
static void test_garbage_hello(void **state)
{
	static const char said[] = "HTTP/1.1 400 Bad Request\r\n";
	uint8_t junk[512];
	struct pair p;

	(void)state;
	trust = true;
	pair_open(&p, "8861", TLS1_VERSION, TLS1_2_VERSION, "ALL:@SECLEVEL=0");
	assert_int_equal(tls_handshake(&p.c), 0); /* the ClientHello is out */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	memcpy(junk, said, sizeof(said) - 1);
	tls_feed(&p.c, junk, sizeof(junk));
	assert_int_equal(tls_handshake(&p.c), -EPROTO);
	assert_int_equal(p.c.alert_rcvd, 0);
	if (tls_failure_is_no_shared(&p.c))
		fail_msg("garbage instead of a ServerHello classed as no-shared (error \"%s\")",
			 tls_last_error());
	pair_close(&p);
}

/* ==== membio on its own ==== */

/*
 * The cipher a TLS session runs, as a phone compares it with the legacy DTLS
 * suite the headend chose (the documents' TLS/DTLS cipher mismatch).
 */
static void check_cipher_family(const char *srv_ciphers, const char *want_tls, const char *suite,
				bool want_same)
{
	struct pair p;
	char buf[32];
	int srv = 0;

	pair_open(&p, "8861", TLS1_2_VERSION, TLS1_2_VERSION, srv_ciphers);
	assert_int_equal(pump_handshake(&p, &srv), 1);
	const char *tls = dtls_tls_cipher(&p.c, buf, sizeof(buf));
	const char *dtls = dtls_suite_cipher(suite, 0);
	assert_non_null(tls);
	assert_string_equal(tls, want_tls);
	assert_non_null(dtls);
	if (want_same)
		assert_string_equal(tls, dtls);
	else
		assert_string_not_equal(tls, dtls);
	pair_close(&p);
}

static void test_tls_dtls_cipher_match(void **state)
{
	(void)state;
	/* the 88xx's GCM suite and legacy AES256-SHA: both AES-256, usable */
	check_cipher_family("ECDHE-RSA-AES256-GCM-SHA384", "AES-256", "AES256-SHA", true);
	/* the guide: TLS on an AES-256 suite, the headend's DTLS only AES128-SHA */
	check_cipher_family("AES256-SHA", "AES-256", "AES128-SHA", false);
	check_cipher_family("ECDHE-RSA-AES128-GCM-SHA256", "AES-128", "OC-DTLS1_2-AES128-GCM", true);
	assert_null(dtls_suite_cipher("RC4-MD5", 0));
	assert_string_equal(dtls_suite_cipher("AES256-GCM-SHA384", 1), "AES-256");
}

/* ==== The session taken over (tls_take): its records ours, OpenSSL's SSL freed ==== */

/* Server -> client: msg written by OpenSSL's server, read whole by the client (cap bytes a read). */
static void server_says(struct pair *p, const char *msg, size_t cap)
{
	uint8_t got[8192];
	size_t n = strlen(msg), have = 0;
	int r;

	assert_true(n <= sizeof(got));
	assert_int_equal(SSL_write(p->s, msg, (int)n), (int)n);
	from_server(p);
	while ((r = tls_read(&p->c, got + have, cap)) > 0)
		have += (size_t)r;
	assert_int_equal(r, 0);
	assert_int_equal(have, n);
	assert_memory_equal(got, msg, n);
}

/* Client -> server: one tls_write, read by OpenSSL's server. */
static void client_says(struct pair *p, const char *msg)
{
	char got[8192];
	int n = (int)strlen(msg);

	assert_int_equal(tls_write(&p->c, msg, (size_t)n), 0);
	to_server(p);
	assert_int_equal(SSL_read(p->s, got, sizeof(got)), n);
	assert_memory_equal(got, msg, (size_t)n);
}

/*
 * Each suite and version a phone can end up with on its CSTP channel, taken
 * over after a first exchange through OpenSSL (so that the sequence numbers
 * are not the handshake's): records go both ways with OpenSSL's server on
 * the other side, a long one read in pieces, one fed a byte at a time; then
 * the server's close_notify ends reading and ours reaches it. TLS 1.0 is
 * not taken (its CBC IV is the last record's).
 */
static void test_take(void **state)
{
	static const struct {
		int version;
		const char *ciphers;
		uint64_t srv_options;
		int taken; /* tls_take's answer */
		const char *suite;
	} cases[] = {
	    {TLS1_2_VERSION, "AES128-SHA", 0, 0, "AES128-SHA"}, /* encrypt-then-MAC */
	    {TLS1_2_VERSION, "AES256-SHA", SSL_OP_NO_ENCRYPT_THEN_MAC, 0, "AES256-SHA"},
	    {TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384", 0, 0, "ECDHE-RSA-AES256-GCM-SHA384"},
	    {TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", 0, 0, "ECDHE-RSA-AES128-GCM-SHA256"},
	    {TLS1_1_VERSION, "AES256-SHA:@SECLEVEL=0", 0, 0, "AES256-SHA"},
	    {TLS1_1_VERSION, "AES128-SHA:@SECLEVEL=0", SSL_OP_NO_ENCRYPT_THEN_MAC, 0, "AES128-SHA"},
	    {TLS1_VERSION, "AES256-SHA:@SECLEVEL=0", 0, -ENOTSUP, "AES256-SHA"},
	};
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
		struct pair p;
		char buf[64];
		int r;

		pair_open(&p, "8861", cases[i].version, cases[i].version, cases[i].ciphers);
		SSL_set_options(p.s, cases[i].srv_options);
		assert_int_equal(pump_handshake(&p, NULL), 1);
		client_says(&p, "GET / HTTP/1.1\r\n\r\n");
		server_says(&p, "HTTP/1.1 200 OK\r\n\r\n", 64);
		assert_int_equal(tls_take(&p.c, ctx), cases[i].taken);
		assert_string_equal(tls_cipher_name(&p.c), cases[i].suite);
		if (cases[i].taken) {
			assert_non_null(p.c.ssl); /* stays OpenSSL's, and works as before */
			assert_true(p.c.no_take);
			client_says(&p, "still OpenSSL's");
			server_says(&p, "and still", 64);
			pair_close(&p);
			dtlsrec_ctx_free(ctx);
			continue;
		}
		assert_null(p.c.ssl);
		assert_non_null(p.c.rec);
		assert_int_equal(tls_stage(&p.c), TLS_STAGE_DONE);
		for (int k = 0; k < 3; k++) {
			client_says(&p, "a CSTP frame");
			server_says(&p, "its answer", 64);
		}
		client_says(&p, big);
		server_says(&p, big, 512); /* read in pieces of 512 */
		/* one record fed a byte at a time: nothing until it is whole */
		assert_int_equal(SSL_write(p.s, "split", 5), 5);
		r = BIO_read(p.s_out, p.sbuf, sizeof(p.sbuf));
		assert_true(r > 5);
		for (int b = 0; b < r - 1; b++) {
			tls_feed(&p.c, p.sbuf + b, 1);
			assert_int_equal(tls_read(&p.c, (uint8_t *)buf, sizeof(buf)), 0);
		}
		tls_feed(&p.c, p.sbuf + r - 1, 1);
		assert_int_equal(tls_read(&p.c, (uint8_t *)buf, sizeof(buf)), 5);
		assert_memory_equal(buf, "split", 5);
		/* the server's close_notify ends reading; ours reaches it */
		SSL_shutdown(p.s);
		from_server(&p);
		assert_int_equal(tls_read(&p.c, (uint8_t *)buf, sizeof(buf)), -EPIPE);
		tls_shutdown(&p.c);
		to_server(&p);
		assert_int_equal(SSL_read(p.s, buf, sizeof(buf)), 0);
		assert_int_equal(SSL_get_error(p.s, 0), SSL_ERROR_ZERO_RETURN);
		assert_int_equal(p.c.alert_sent, 0);
		assert_int_equal(p.c.alert_rcvd, 0);
		pair_close(&p);
		dtlsrec_ctx_free(ctx);
	}
}

/*
 * A record that does not open (a byte of it changed on the way) is answered
 * as OpenSSL answers it: a fatal bad_record_mac, which the server reads, and
 * the session fails (-EPROTO) for good. A fatal alert from the server fails
 * it too, named after the alert.
 */
static void test_take_bad_record_and_alert(void **state)
{
	static const char *const ciphers[] = {"AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"};
	uint8_t buf[64];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
		struct pair p;
		int r;

		pair_open(&p, "8861", TLS1_2_VERSION, TLS1_2_VERSION, ciphers[i]);
		assert_int_equal(pump_handshake(&p, NULL), 1);
		assert_int_equal(tls_take(&p.c, ctx), 0);
		assert_int_equal(SSL_write(p.s, "hello", 5), 5);
		r = BIO_read(p.s_out, p.sbuf, sizeof(p.sbuf));
		assert_true(r > 5);
		p.sbuf[r - 1] ^= 1;
		tls_feed(&p.c, p.sbuf, (size_t)r);
		assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), -EPROTO);
		assert_int_equal(p.c.alert_sent, SSL_AD_BAD_RECORD_MAC);
		assert_non_null(strstr(tls_last_error(), "bad record mac"));
		assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), -EPROTO); /* for good */
		assert_int_equal(tls_write(&p.c, "x", 1), -EPROTO);
		to_server(&p);
		assert_true(SSL_read(p.s, buf, sizeof(buf)) <= 0);
		assert_int_equal(SSL_get_error(p.s, -1), SSL_ERROR_SSL);
		pair_close(&p);

		/* the server's fatal alert: its bad_record_mac for a record of ours changed on the way */
		pair_open(&p, "8861", TLS1_2_VERSION, TLS1_2_VERSION, ciphers[i]);
		assert_int_equal(pump_handshake(&p, NULL), 1);
		assert_int_equal(tls_take(&p.c, ctx), 0);
		client_says(&p, "ping");
		assert_int_equal(tls_write(&p.c, "pong", 4), 0);
		assert_true(client_take(&p) > 5);
		p.cbuf[p.clen - 1] ^= 1;
		assert_int_equal(BIO_write(p.s_in, p.cbuf, (int)p.clen), (int)p.clen);
		assert_true(SSL_read(p.s, buf, sizeof(buf)) <= 0);
		from_server(&p);
		assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), -EPROTO);
		assert_int_equal(p.c.alert_rcvd, SSL_AD_BAD_RECORD_MAC);
		assert_int_equal(p.c.alert_sent, 0);
		assert_non_null(strstr(tls_last_error(), "bad record mac"));
		pair_close(&p);
		dtlsrec_ctx_free(ctx);
	}
}

/*
 * A renegotiation request (the server's HelloRequest) to a session taken
 * over: the phone declines it as OpenSSL's own client does (a
 * no_renegotiation warning, SSL_OP_NO_RENEGOTIATION) and carries on; the
 * server, which wanted a renegotiation, gives up on it the same way in both
 * cases. Checked against an OpenSSL client of the same model that is not
 * taken over.
 */
static void test_take_renegotiation(void **state)
{
	(void)state;
	for (int taken = 0; taken < 2; taken++) {
		struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
		struct pair p;
		uint8_t buf[64];
		unsigned long e;

		pair_open(&p, "8861", TLS1_2_VERSION, TLS1_2_VERSION, "AES128-SHA");
		assert_int_equal(pump_handshake(&p, NULL), 1);
		if (taken)
			assert_int_equal(tls_take(&p.c, ctx), 0);
		assert_int_equal(SSL_renegotiate(p.s), 1);
		SSL_do_handshake(p.s); /* the HelloRequest */
		from_server(&p);
		assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 0); /* nothing for the phone */
		assert_int_equal(p.c.alert_sent, 0);
		to_server(&p);
		ERR_clear_error();
		assert_true(SSL_read(p.s, buf, sizeof(buf)) <= 0);
		e = ERR_peek_last_error();
		assert_int_equal(ERR_GET_REASON(e), SSL_R_NO_RENEGOTIATION);
		pair_close(&p);
		dtlsrec_ctx_free(ctx);
	}
}

/*
 * A session that is not TLS 1.1 or 1.2 is not taken over and stays
 * OpenSSL's: TLS 1.3 (a client context that allows it; no phone model does;
 * its post-handshake messages, NewSessionTicket and KeyUpdate, are OpenSSL's
 * business then), and TLS 1.0 (test_take).
 */
static void test_take_refused_tls13(void **state)
{
	struct dtlsrec_ctx *ctx = dtlsrec_ctx_new();
	struct pair p;

	(void)state;
	pair_open(&p, "8861", TLS1_3_VERSION, TLS1_3_VERSION, "ALL");
	SSL_CTX_set_max_proto_version(p.cctx, TLS1_3_VERSION);
	tls_close(&p.c);
	assert_int_equal(tls_open(&p.c, p.cctx, NULL, NULL, "vpn.test", &p.app_marker), 0);
	assert_int_equal(pump_handshake(&p, NULL), 1);
	assert_string_equal(tls_version_name(&p.c), "TLSv1.3");
	assert_int_equal(tls_take(&p.c, ctx), -ENOTSUP);
	assert_true(p.c.no_take);
	assert_non_null(p.c.ssl);
	client_says(&p, "still OpenSSL's");
	pair_close(&p);
	dtlsrec_ctx_free(ctx);
}

static void test_membio_dgram(void **state)
{
	BIO *b = membio_new(true);
	uint8_t out[64];
	char in[64];

	(void)state;
	assert_non_null(b);
	assert_int_equal(membio_pending(b), 0);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 0);

	/* writes keep their boundaries */
	assert_int_equal(BIO_write(b, "abc", 3), 3);
	assert_int_equal(BIO_write(b, "defghij", 7), 7);
	assert_int_equal(BIO_write(b, "k", 1), 1);
	if (membio_pending(b) != 3)
		fail_msg("three datagrams written, membio_pending %zu", membio_pending(b));
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(membio_pending(b), 2);
	/* a datagram longer than the buffer is cut, and gone */
	assert_int_equal(membio_take_dgram(b, out, 4), 4);
	assert_memory_equal(out, "defg", 4);
	assert_int_equal(membio_pending(b), 1);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 1);
	assert_int_equal(out[0], 'k');
	assert_int_equal(membio_pending(b), 0);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 0);
	membio_trim(b);
	assert_int_equal(BIO_write(b, "again", 5), 5);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 5);
	assert_memory_equal(out, "again", 5);

	/* a fed datagram is read whole, once */
	static const uint8_t dg[] = "0123456789";
	membio_feed(b, dg, 10);
	assert_int_equal(membio_unread(b), 10);
	assert_int_equal(BIO_read(b, in, sizeof(in)), 10);
	assert_memory_equal(in, dg, 10);
	assert_int_equal(membio_unread(b), 0);
	assert_true(BIO_read(b, in, sizeof(in)) <= 0);
	assert_true(BIO_should_retry(b) && BIO_should_read(b));
	/* read into a short buffer: the tail is lost, as on a socket */
	membio_feed(b, dg, 10);
	assert_int_equal(BIO_read(b, in, 4), 4);
	assert_memory_equal(in, "0123", 4);
	assert_true(BIO_read(b, in, sizeof(in)) <= 0);
	assert_true(BIO_should_retry(b));
	BIO_free(b);
}

/* A datagram written in place: queued with the length committed, among BIO_writes. */
static void test_membio_dgram_in_place(void **state)
{
	BIO *b = membio_new(true);
	uint8_t out[64], *at = NULL;

	(void)state;
	assert_int_equal(BIO_write(b, "abc", 3), 3);
	assert_int_equal(membio_dgram_reserve(b, 40, &at), 0);
	memcpy(at, "sealed-here", 11);
	membio_dgram_commit(b, 11); /* fewer bytes than reserved */
	assert_int_equal(BIO_write(b, "z", 1), 1);
	assert_int_equal(membio_pending(b), 3);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 11);
	assert_memory_equal(out, "sealed-here", 11);
	assert_int_equal(membio_take_dgram(b, out, sizeof(out)), 1);
	assert_int_equal(out[0], 'z');
	/* a reservation never committed queues nothing */
	assert_int_equal(membio_dgram_reserve(b, 40, &at), 0);
	assert_int_equal(membio_pending(b), 0);
	/* a full queue: nothing to write, the datagram counted as dropped */
	for (int i = 0; i < MEMBIO_DGRAM_QUEUE; i++)
		assert_int_equal(BIO_write(b, "q", 1), 1);
	assert_int_equal(membio_dropped(b), 0);
	assert_int_equal(membio_dgram_reserve(b, 40, &at), 1);
	assert_int_equal(membio_dropped(b), 1);
	assert_int_equal(membio_pending(b), MEMBIO_DGRAM_QUEUE);
	/* too long for the two-byte length */
	while (membio_take_dgram(b, out, sizeof(out)))
		;
	assert_int_equal(membio_dgram_reserve(b, 0x10000, &at), -ENOMEM);
	BIO_free(b);
}

static void test_membio_stream(void **state)
{
	BIO *b = membio_new(false);
	uint8_t *buf = NULL, *mine;
	size_t cap = 0, len = 0;
	char in[64];

	(void)state;
	assert_int_equal(BIO_write(b, "hello ", 6), 6);
	assert_int_equal(BIO_write(b, "world", 5), 5);
	assert_int_equal(membio_pending(b), 11);
	assert_int_equal(membio_take(b, &buf, &cap, &len), 11);
	assert_int_equal(len, 11);
	assert_true(cap >= 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(membio_pending(b), 0);
	/* the buffer given back is reused; ours stays ours */
	mine = buf;
	assert_int_equal(BIO_write(b, "x", 1), 1);
	assert_int_equal(membio_take(b, &buf, &cap, &len), 1);
	assert_true(buf != mine);
	assert_memory_equal(mine, "hello world", 11);
	assert_int_equal(buf[0], 'x');
	free(buf);
	/* stream reads take what fits and leave the rest */
	static const uint8_t s[] = "0123456789";
	membio_feed(b, s, 10);
	assert_int_equal(BIO_read(b, in, 4), 4);
	assert_int_equal(membio_unread(b), 6);
	assert_int_equal(BIO_read(b, in, sizeof(in)), 6);
	assert_memory_equal(in, "456789", 6);
	assert_true(BIO_read(b, in, sizeof(in)) <= 0);
	assert_true(BIO_should_retry(b));
	BIO_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_pin),
	    cmocka_unit_test(test_tls_dtls_cipher_match),
	    cmocka_unit_test(test_pin_refused),
	    cmocka_unit_test(test_one_record_per_frame_tls12),
	    cmocka_unit_test(test_one_record_per_frame_tls10),
	    cmocka_unit_test(test_read_and_close_notify),
	    cmocka_unit_test(test_shutdown),
	    cmocka_unit_test(test_version_mismatch),
	    cmocka_unit_test(test_cipher_mismatch),
	    cmocka_unit_test(test_garbage_hello),
	    cmocka_unit_test(test_take),
	    cmocka_unit_test(test_take_bad_record_and_alert),
	    cmocka_unit_test(test_take_renegotiation),
	    cmocka_unit_test(test_take_refused_tls13),
	    cmocka_unit_test(test_membio_dgram),
	    cmocka_unit_test(test_membio_dgram_in_place),
	    cmocka_unit_test(test_membio_stream),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
