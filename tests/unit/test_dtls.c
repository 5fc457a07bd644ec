/*
 * tests/unit/test_dtls.c - the PSK-NEGOTIATE DTLS client wired in memory to
 * an OpenSSL DTLS server.
 *
 * Both ends run on datagram membios, so record boundaries survive the
 * pumping. Checked: the handshake completes with the PSK, the ClientHello
 * carries the App-ID as its session_id (ocserv routes the datagram by it,
 * protocol doc 4.1 and 4.3), records go both ways one datagram each, and
 * a wrong PSK fails. Legacy resumption is tried against a DTLS 1.2 server
 * that resumes the session from the master secret and session ID (an
 * OpenSSL server cannot speak DTLS1_BAD_VER, but the resumption and its
 * cipher check are the same): with the suite's own cipher it resumes; when
 * the session claims another cipher (an IP phone's TLS cipher) the client
 * refuses the server's with "old session cipher not returned" and an
 * illegal_parameter alert, the phones' DTLS failure. And each legacy
 * suite's ClientHello is byte for byte the one OpenSSL sends for the same
 * session read from its ASN.1 form, but for the random.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "engine/tls/dtls.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"

static uint8_t client_psk[32], server_psk[32];
static char seen_identity[64];

static unsigned int srv_psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
			       unsigned int max_psk_len)
{
	(void)ssl;
	snprintf(seen_identity, sizeof(seen_identity), "%s", identity ? identity : "(null)");
	if (max_psk_len < 32)
		return 0;
	memcpy(psk, server_psk, 32);
	return 32;
}

struct dpair {
	SSL_CTX *cctx, *sctx;
	struct tls c;
	SSL *s;
	BIO *sb; /* the server's datagram membio (owned by s) */
	uint8_t first[2048]; /* the client's first datagram */
	size_t first_len;
	unsigned c_dgrams, s_dgrams;
	uint8_t dg[16][2048]; /* datagrams in flight (lent to the receiver) */
};

static void dpair_open(struct dpair *p, const uint8_t *app_id, size_t app_id_len)
{
	memset(p, 0, sizeof(*p));
	p->cctx = dtls_ctx_new_psk();
	assert_non_null(p->cctx);
	assert_int_equal(dtls_open_psk(&p->c, p->cctx, client_psk, app_id, app_id_len, p), 0);

	p->sctx = SSL_CTX_new(DTLS_server_method());
	assert_non_null(p->sctx);
	assert_int_equal(SSL_CTX_set_cipher_list(p->sctx, "PSK:@SECLEVEL=0"), 1);
	SSL_CTX_set_psk_server_callback(p->sctx, srv_psk_cb);
	SSL_CTX_set_options(p->sctx, SSL_OP_NO_TICKET);
	p->s = SSL_new(p->sctx);
	p->sb = membio_new(true);
	assert_non_null(p->sb);
	SSL_set_bio(p->s, p->sb, p->sb);
	SSL_set_accept_state(p->s);
}

static void dpair_close(struct dpair *p)
{
	tls_close(&p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	ERR_clear_error();
}

/* Client datagrams -> server, one SSL call per datagram. Returns the server's result. */
static int to_server(struct dpair *p, int (*srv)(SSL *))
{
	int r = 0;
	size_t n;

	while ((n = membio_take_dgram(p->c.bio, p->dg[0], sizeof(p->dg[0])))) {
		if (!p->c_dgrams++) {
			memcpy(p->first, p->dg[0], n);
			p->first_len = n;
		}
		membio_feed(p->sb, p->dg[0], n);
		r = srv(p->s);
		if (membio_unread(p->sb))
			fail_msg("server left %zu bytes of a %zu-byte datagram unread",
				 membio_unread(p->sb), n);
	}
	return r;
}

static int srv_handshake(SSL *s)
{
	return SSL_do_handshake(s);
}

/* Server datagrams -> client. */
static int to_client(struct dpair *p)
{
	int r = 0;
	size_t n;

	while ((n = membio_take_dgram(p->sb, p->dg[1], sizeof(p->dg[1])))) {
		p->s_dgrams++;
		tls_feed(&p->c, p->dg[1], n);
		r = tls_handshake(&p->c);
		if (r < 0)
			break;
	}
	return r;
}

static int pump(struct dpair *p, int *srv)
{
	int c = tls_handshake(&p->c), s = 0;

	for (int round = 0; round < 10 && c >= 0; round++) {
		s = to_server(p, srv_handshake);
		if (!membio_pending(p->sb) && c == 1)
			break;
		c = to_client(p);
	}
	to_server(p, srv_handshake);
	*srv = SSL_is_init_finished(p->s) ? 1 : s <= 0 ? s : 0;
	return c;
}

static void test_psk_handshake_and_app_id(void **state)
{
	struct dpair p;
	uint8_t app_id[32];
	int srv;

	(void)state;
	for (int i = 0; i < 32; i++)
		app_id[i] = (uint8_t)(0xa0 + i);
	memset(client_psk, 0x5c, 32);
	memset(server_psk, 0x5c, 32);
	dpair_open(&p, app_id, sizeof(app_id));

	int r = pump(&p, &srv);
	if (r != 1)
		fail_msg("DTLS PSK handshake: client %d (%s)", r, tls_last_error());
	assert_int_equal(srv, 1);
	assert_string_equal(seen_identity, "psk");
	assert_string_equal(tls_version_name(&p.c), "DTLSv1.2");
	assert_non_null(strstr(tls_cipher_name(&p.c), "PSK"));

	/* the ClientHello: record header (13), handshake header (12), body */
	const uint8_t *d = p.first;
	assert_true(p.first_len > 13 + 12 + 2 + 32 + 1 + 32);
	assert_int_equal(d[0], 22);  /* handshake */
	assert_int_equal(d[1], 0xfe); /* DTLS record version */
	size_t rec_len = (size_t)d[11] << 8 | d[12];
	assert_int_equal(13 + rec_len, p.first_len); /* one record, the whole datagram */
	assert_int_equal(d[13], 1); /* client_hello */
	const uint8_t *body = d + 13 + 12;
	assert_int_equal(body[0], 0xfe);
	int zero = 1;
	for (int i = 0; i < 32; i++)
		zero &= body[2 + i] == 0;
	assert_false(zero); /* ocserv drops all-zero randoms */
	unsigned sid_len = body[34];
	if (sid_len != 32 || memcmp(body + 35, app_id, 32))
		fail_msg("ClientHello session_id has %u bytes%s, expected the 32-byte App-ID",
			 sid_len, sid_len == 32 ? " but other contents" : "");

	/* records both ways, one datagram each */
	static const uint8_t dpd[] = {3};
	static const uint8_t data[] = {0, 0x45, 0, 0, 20, 1, 2, 3, 4};
	uint8_t buf[2048];
	assert_int_equal(tls_write(&p.c, dpd, 1), 0);
	assert_int_equal(tls_write(&p.c, data, sizeof(data)), 0);
	assert_int_equal(membio_pending(p.c.bio), 2);
	size_t n = membio_take_dgram(p.c.bio, p.dg[0], sizeof(p.dg[0]));
	membio_feed(p.sb, p.dg[0], n);
	assert_int_equal(SSL_read(p.s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 3);
	n = membio_take_dgram(p.c.bio, p.dg[0], sizeof(p.dg[0]));
	membio_feed(p.sb, p.dg[0], n);
	assert_int_equal(SSL_read(p.s, buf, sizeof(buf)), sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));

	static const uint8_t resp[] = {4};
	assert_int_equal(SSL_write(p.s, resp, 1), 1);
	n = membio_take_dgram(p.sb, p.dg[1], sizeof(p.dg[1]));
	assert_true(n > 0);
	tls_feed(&p.c, p.dg[1], n);
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 4);
	assert_int_equal(tls_read(&p.c, buf, sizeof(buf)), 0);
	dpair_close(&p);
}

/* A short App-ID is carried as is. */
static void test_short_app_id(void **state)
{
	struct dpair p;
	static const uint8_t app_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	int srv;

	(void)state;
	memset(client_psk, 0x11, 32);
	memset(server_psk, 0x11, 32);
	dpair_open(&p, app_id, sizeof(app_id));
	assert_int_equal(pump(&p, &srv), 1);
	const uint8_t *body = p.first + 13 + 12;
	assert_int_equal(body[34], 8);
	assert_memory_equal(body + 35, app_id, 8);
	dpair_close(&p);

	struct tls t = {0};
	SSL_CTX *ctx = dtls_ctx_new_psk();
	assert_int_equal(dtls_open_psk(&t, ctx, client_psk, app_id, 0, NULL), -EINVAL);
	uint8_t big[33] = {0};
	assert_int_equal(dtls_open_psk(&t, ctx, client_psk, big, 33, NULL), -EINVAL);
	SSL_CTX_free(ctx);
}

static void test_wrong_psk_fails(void **state)
{
	struct dpair p;
	uint8_t app_id[32] = {9};
	int srv;

	(void)state;
	memset(client_psk, 0x5c, 32);
	memset(server_psk, 0x5d, 32);
	dpair_open(&p, app_id, sizeof(app_id));
	int r = pump(&p, &srv);
	if (r == 1 && srv == 1)
		fail_msg("DTLS handshake completed with different PSKs");
	assert_true(r < 0 || srv <= 0);
	dpair_close(&p);
}

/* A retransmission timer runs while the handshake waits for the server. */
static void test_retransmit_timer(void **state)
{
	struct dpair p;
	uint8_t app_id[32] = {7};

	(void)state;
	dpair_open(&p, app_id, sizeof(app_id));
	assert_int_equal(dtls_timeout_us(&p.c), -1);
	assert_int_equal(tls_handshake(&p.c), 0);
	int64_t to = dtls_timeout_us(&p.c);
	if (to < 0 || to > 1000000)
		fail_msg("after the ClientHello: dtls_timeout_us %lld, expected 0..1 s",
			 (long long)to);
	assert_int_equal(membio_pending(p.c.bio), 1);
	dpair_close(&p);
}

/* ==== Legacy resumption ==== */

static uint8_t legacy_master[48], legacy_sid[32];
static SSL_SESSION *legacy_srv_sess;

/* The server "finds" the session the CONNECT exchange agreed on. */
static SSL_SESSION *srv_get_session(SSL *s, const unsigned char *id, int len, int *copy)
{
	(void)s;
	*copy = 1;
	if (len != 32 || memcmp(id, legacy_sid, 32))
		return NULL;
	return legacy_srv_sess;
}

/*
 * A legacy DTLS 1.2 handshake of suite OC-DTLS1_2-AES256-GCM (the server's
 * session: AES256-GCM-SHA384), the client's session claiming
 * session_cipher. Returns the client's handshake result.
 */
static int legacy_handshake(uint16_t session_cipher, struct tls *c)
{
	static const unsigned char gcm256[2] = {0x00, 0x9d};
	struct dtls_legacy *cctx = dtls_legacy_new();
	SSL_CTX *sctx = SSL_CTX_new(DTLS_server_method());
	SSL *s;
	BIO *sb;
	uint8_t dg[2048];
	size_t n;
	int r = 0;

	assert_non_null(cctx);
	assert_non_null(sctx);
	memset(legacy_master, 0x42, sizeof(legacy_master));
	for (int i = 0; i < 32; i++)
		legacy_sid[i] = (uint8_t)(0x10 + i);
	assert_int_equal(SSL_CTX_set_cipher_list(sctx, "AES256-GCM-SHA384:@SECLEVEL=0"), 1);
	SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET | SSL_OP_NO_EXTENDED_MASTER_SECRET);
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_get_cb(sctx, srv_get_session);
	s = SSL_new(sctx);
	legacy_srv_sess = SSL_SESSION_new();
	assert_int_equal(SSL_SESSION_set1_master_key(legacy_srv_sess, legacy_master, 48), 1);
	assert_int_equal(SSL_SESSION_set1_id(legacy_srv_sess, legacy_sid, 32), 1);
	assert_int_equal(SSL_SESSION_set_protocol_version(legacy_srv_sess, DTLS1_2_VERSION), 1);
	assert_int_equal(SSL_SESSION_set_cipher(legacy_srv_sess, SSL_CIPHER_find(s, gcm256)), 1);
	sb = membio_new(true);
	SSL_set_bio(s, sb, sb);
	SSL_set_accept_state(s);

	assert_int_equal(dtls_open_legacy(c, cctx, "OC-DTLS1_2-AES256-GCM", 0, legacy_master,
					  legacy_sid, session_cipher, NULL),
			 0);
	r = tls_handshake(c);
	for (int round = 0; round < 6 && r == 0; round++) {
		while ((n = membio_take_dgram(c->bio, dg, sizeof(dg)))) {
			membio_feed(sb, dg, n);
			SSL_do_handshake(s);
		}
		while (r == 0 && (n = membio_take_dgram(sb, dg, sizeof(dg)))) {
			tls_feed(c, dg, n);
			r = tls_handshake(c);
		}
	}
	SSL_free(s);
	SSL_SESSION_free(legacy_srv_sess);
	SSL_CTX_free(sctx);
	dtls_legacy_free(cctx);
	return r;
}

static void test_legacy_session_cipher(void **state)
{
	struct tls c = {0};
	int r;

	(void)state;
	/* the suite's own cipher: the session resumes */
	r = legacy_handshake(0, &c);
	if (r != 1)
		fail_msg("legacy resumption with the suite's cipher: %d (%s)", r, tls_last_error());
	assert_true(dtls_resumed(&c));
	assert_string_equal(tls_cipher_name(&c), "AES256-GCM-SHA384");
	tls_close(&c);

	/* the session claims the phone's TLS cipher, ECDHE-RSA-AES256-GCM-SHA384 */
	r = legacy_handshake(0xc030, &c);
	assert_int_equal(r, -EPROTO);
	if (!strstr(tls_last_error(), "old session cipher not returned"))
		fail_msg("want \"old session cipher not returned\", got %s", tls_last_error());
	assert_int_equal(c.alert_sent, SSL_AD_ILLEGAL_PARAMETER);
	tls_close(&c);
	ERR_clear_error();
}

/* ==== The legacy ClientHello, byte for byte ==== */

/* DER INTEGER or OCTET STRING with a short-form length, at p; its size. */
static size_t der_put(uint8_t *p, uint8_t tag, const uint8_t *d, size_t n)
{
	p[0] = tag;
	p[1] = (uint8_t)n;
	memcpy(p + 2, d, n);
	return 2 + n;
}

/*
 * The session as OpenSSL reads it from its ASN.1 form (SSL_SESSION_ASN1:
 * version 1, protocol version, cipher id, session id, master key): an
 * independent way to the session the phone resumes.
 */
static SSL_SESSION *asn1_session(uint16_t ver, uint16_t cipher_id, const uint8_t sid[32],
				 const uint8_t master[48])
{
	uint8_t der[160], *p = der + 2;
	/* INTEGERs 1 and ver (0x0100: 01 00; 0xfefd: 00 fe fd, a sign byte) */
	const uint8_t one = 1, v[3] = {0, (uint8_t)(ver >> 8), (uint8_t)ver};
	const uint8_t cid[2] = {(uint8_t)(cipher_id >> 8), (uint8_t)cipher_id};
	const unsigned char *q = der;

	p += der_put(p, 0x02, &one, 1);
	p += v[1] & 0x80 ? der_put(p, 0x02, v, 3) : der_put(p, 0x02, v + 1, 2);
	p += der_put(p, 0x04, cid, 2);
	p += der_put(p, 0x04, sid, 32);
	p += der_put(p, 0x04, master, 48);
	der[0] = 0x30;
	der[1] = (uint8_t)(p - der - 2);
	return d2i_SSL_SESSION(NULL, &q, p - der);
}

/*
 * A DTLS client context as the phone's legacy DTLS is set up (protocol doc:
 * no encrypt-then-MAC, extended master secret or tickets), made here.
 */
static SSL_CTX *ref_legacy_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());

	assert_non_null(ctx);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET |
					 SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_EXTENDED_MASTER_SECRET |
					 SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

/*
 * Each legacy suite's ClientHello from dtls_open_legacy against the one an
 * SSL of such a context sends with the suite as its cipher list, its
 * version as both bounds and the session read from ASN.1: the same bytes
 * but for the 32-byte random.
 */
static void test_legacy_client_hello_bytes(void **state)
{
	static const struct {
		const char *header;
		int hdr12;
		const char *openssl;
		uint16_t ver, id;
	} s[] = {
	    {"AES128-SHA", 0, "AES128-SHA", 0x0100, 0x002f},
	    {"AES256-SHA", 0, "AES256-SHA", 0x0100, 0x0035},
	    {"OC-DTLS1_2-AES128-GCM", 0, "AES128-GCM-SHA256", 0xfefd, 0x009c},
	    {"AES256-GCM-SHA384", 1, "AES256-GCM-SHA384", 0xfefd, 0x009d},
	};
	uint8_t master[48], sid[32], a[2048], b[2048];
	char list[64];

	(void)state;
	memset(master, 0x42, sizeof(master));
	for (int i = 0; i < 32; i++)
		sid[i] = (uint8_t)(0x10 + i);
	for (unsigned i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct dtls_legacy *legacy = dtls_legacy_new();
		SSL_CTX *ctx = ref_legacy_ctx();
		struct tls c = {0}, ref = {0};
		SSL_SESSION *sess = asn1_session(s[i].ver, s[i].id, sid, master);
		size_t na, nb;

		assert_non_null(legacy);
		assert_non_null(sess);
		assert_int_equal(
		    dtls_open_legacy(&c, legacy, s[i].header, s[i].hdr12, master, sid, 0, NULL), 0);
		assert_int_equal(tls_handshake(&c), 0);
		na = membio_take_dgram(c.bio, a, sizeof(a));

		snprintf(list, sizeof(list), "%s:@SECLEVEL=0", s[i].openssl);
		assert_int_equal(tls_open(&ref, ctx, NULL, NULL, NULL, NULL), 0);
		assert_int_equal(SSL_set_min_proto_version(ref.ssl, s[i].ver), 1);
		assert_int_equal(SSL_set_max_proto_version(ref.ssl, s[i].ver), 1);
		assert_int_equal(SSL_set_cipher_list(ref.ssl, list), 1);
		assert_int_equal(SSL_set_session(ref.ssl, sess), 1);
		assert_int_equal(tls_handshake(&ref), 0);
		nb = membio_take_dgram(ref.bio, b, sizeof(b));

		/* record header (13), handshake header (12), client_version (2), then the random */
		if (na != nb || na < 13 + 12 + 2 + 32)
			fail_msg("%s: ClientHello of %zu bytes, the reference's %zu", s[i].header,
				 na, nb);
		memset(a + 27, 0, 32);
		memset(b + 27, 0, 32);
		if (memcmp(a, b, na))
			fail_msg("%s: the ClientHello differs from the reference's", s[i].header);
		assert_memory_equal(a + 27 + 32 + 1, sid, 32); /* the session it resumes */
		SSL_SESSION_free(sess);
		tls_close(&c);
		tls_close(&ref);
		SSL_CTX_free(ctx);
		dtls_legacy_free(legacy);
	}

	/* 3DES: open exactly when this OpenSSL takes it as a cipher list */
	struct dtls_legacy *legacy = dtls_legacy_new();
	SSL_CTX *ctx = ref_legacy_ctx();
	SSL *ssl = SSL_new(ctx);
	struct tls c = {0};
	int want = SSL_set_cipher_list(ssl, "DES-CBC3-SHA:@SECLEVEL=0") == 1 ? 0 : -EINVAL;

	assert_int_equal(dtls_open_legacy(&c, legacy, "DES-CBC3-SHA", 0, master, sid, 0, NULL),
			 want);
	tls_close(&c);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	dtls_legacy_free(legacy);
	ERR_clear_error();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_psk_handshake_and_app_id),
	    cmocka_unit_test(test_short_app_id),
	    cmocka_unit_test(test_wrong_psk_fails),
	    cmocka_unit_test(test_retransmit_timer),
	    cmocka_unit_test(test_legacy_session_cipher),
	    cmocka_unit_test(test_legacy_client_hello_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
