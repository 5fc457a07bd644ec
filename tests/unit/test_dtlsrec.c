/*
 * tests/unit/test_dtlsrec.c - the DTLS record layer against OpenSSL's own DTLS.
 *
 * Every flavour a phone can end up with is handshaken in memory by the
 * phone's own code (dtls_open_psk / dtls_open_legacy) against a server:
 *  - PSK-NEGOTIATE: a plain OpenSSL DTLS 1.2 PSK server, one suite each;
 *  - legacy DTLS 1.2 resumption (OC-DTLS1_2-*, X-DTLS12): an OpenSSL DTLS
 *    server whose session cache hands out the session the phone resumes;
 *  - legacy DTLS 0.9 (DTLS1_BAD_VER): OpenSSL has no such server, so this
 *    file plays it (ServerHello, 3-byte CCS, Finished over the handshake
 *    bodies without their DTLS headers, as OpenSSL's bad_dtls_test does),
 *    with its own key expansion, HMAC and CBC (EVP_PKEY TLS1-PRF, EVP_MAC,
 *    EVP ciphers: not the layer's code), checked by the OpenSSL client's
 *    acceptance of its Finished and by ours of the client's.
 * Then the record layer is taken out of both ends (or, for DTLS 0.9, keyed
 * as the server from the handshake's parameters) and checked: records
 * OpenSSL seals are opened by it; records it seals are read by OpenSSL's
 * SSL_read; for the same sequence number and the explicit IV or nonce
 * OpenSSL used, its bytes are OpenSSL's bytes; the replay window agrees
 * with a list worked out by hand from RFC 6347 and with OpenSSL; tampered
 * records are refused and do not move the window; alerts are recognised;
 * sealing and opening allocate nothing.
 *
 * The file includes dtlsrec.c to seal with a given IV or nonce (seal_with),
 * and so needs what it needs before any OpenSSL header.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "engine/tls/dtls.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"
#include "engine/tls/dtlsrec.c"

#define BUFSZ 2048

/* ==== Allocation counting (installed before OpenSSL allocates anything) ==== */

static long n_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* ==== Flavours ==== */

enum how { PSK, RESUME, BADVER };

struct flavour {
	const char *suite; /* PSK: the server's only suite; legacy: the header's value */
	enum how how;
	int hdr12;	 /* legacy: named in X-DTLS12-CipherSuite */
	uint16_t id;	 /* the IANA number the handshake must end with */
	const char *cbc; /* CBC suites: the EVP cipher, for this file's own records */
	size_t key_len;
};

static const struct flavour flavours[] = {
    {"PSK-AES128-GCM-SHA256", PSK, 0, 0x00a8, NULL, 16},
    {"PSK-AES256-GCM-SHA384", PSK, 0, 0x00a9, NULL, 32},
    {"PSK-CHACHA20-POLY1305", PSK, 0, 0xccab, NULL, 32},
    {"PSK-AES128-CBC-SHA", PSK, 0, 0x008c, "AES-128-CBC", 16},
    {"PSK-AES256-CBC-SHA", PSK, 0, 0x008d, "AES-256-CBC", 32},
    {"OC-DTLS1_2-AES128-GCM", RESUME, 0, 0x009c, NULL, 16},
    {"OC-DTLS1_2-AES256-GCM", RESUME, 0, 0x009d, NULL, 32},
    {"AES128-GCM-SHA256", RESUME, 1, 0x009c, NULL, 16},
    {"AES256-GCM-SHA384", RESUME, 1, 0x009d, NULL, 32},
    {"AES128-SHA", BADVER, 0, 0x002f, "AES-128-CBC", 16},
    {"AES256-SHA", BADVER, 0, 0x0035, "AES-256-CBC", 32},
};
#define N_FLAVOURS (sizeof(flavours) / sizeof(flavours[0]))

/* ==== This file's own key expansion and CBC records (not the layer's code) ==== */

struct ref_dir {
	uint8_t mac[20], key[32];
};

static void ref_prf(const EVP_MD *md, const uint8_t master[48], const char *label,
		    const uint8_t *s1, size_t l1, const uint8_t *s2, size_t l2, uint8_t *out,
		    size_t olen)
{
	EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_derive_init(k), 1);
	assert_int_equal(EVP_PKEY_CTX_set_tls1_prf_md(k, md), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_tls1_prf_secret(k, master, 48), 1);
	assert_int_equal(
	    EVP_PKEY_CTX_add1_tls1_prf_seed(k, (const unsigned char *)label, (int)strlen(label)),
	    1);
	assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(k, s1, (int)l1), 1);
	if (l2)
		assert_int_equal(EVP_PKEY_CTX_add1_tls1_prf_seed(k, s2, (int)l2), 1);
	assert_int_equal(EVP_PKEY_derive(k, out, &olen), 1);
	EVP_PKEY_CTX_free(k);
}

/* client/server MAC and keys of a CBC-SHA suite */
static void ref_keys(const struct flavour *f, uint16_t version, const uint8_t master[48],
		     const uint8_t crand[32], const uint8_t srand[32], struct ref_dir *c,
		     struct ref_dir *s)
{
	uint8_t kb[2 * (20 + 32)];
	size_t k = f->key_len;

	ref_prf(version == 0xfefd ? EVP_sha256() : EVP_md5_sha1(), master, "key expansion", srand,
		32, crand, 32, kb, 40 + 2 * k);
	memcpy(c->mac, kb, 20);
	memcpy(s->mac, kb + 20, 20);
	memcpy(c->key, kb + 40, k);
	memcpy(s->key, kb + 40 + k, k);
}

static void ref_hmac(const uint8_t key[20], const uint8_t *a, size_t al, const uint8_t *b,
		     size_t bl, uint8_t out[20])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA1", 0),
			       OSSL_PARAM_construct_end()};
	size_t n;

	assert_int_equal(EVP_MAC_init(m, key, 20, params), 1);
	assert_int_equal(EVP_MAC_update(m, a, al), 1);
	assert_int_equal(EVP_MAC_update(m, b, bl), 1);
	assert_int_equal(EVP_MAC_final(m, out, &n, 20), 1);
	EVP_MAC_CTX_free(m);
	EVP_MAC_free(mac);
}

static void mac_header(uint8_t h[13], uint16_t epoch, uint64_t seq, uint8_t type, uint16_t version,
		       size_t len)
{
	h[0] = (uint8_t)(epoch >> 8);
	h[1] = (uint8_t)epoch;
	for (int i = 0; i < 6; i++)
		h[2 + i] = (uint8_t)(seq >> (40 - 8 * i));
	h[8] = type;
	h[9] = (uint8_t)(version >> 8);
	h[10] = (uint8_t)version;
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
}

/*
 * A CBC record: HMAC-SHA1, then padn padding bytes (0: the fewest), a
 * random IV, AES-CBC. bad_pad spoils the first padding byte, bad_mac the MAC.
 */
static size_t ref_seal(const struct flavour *f, const struct ref_dir *d, uint16_t version,
		       uint16_t epoch, uint64_t seq, uint8_t type, const void *data, size_t len,
		       size_t padn, bool bad_pad, bool bad_mac, uint8_t *out)
{
	uint8_t h[13], pt[BUFSZ], iv[16];
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, f->cbc, NULL);
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	size_t total;
	int ol;

	if (!padn)
		padn = 16 - (len + 20) % 16;
	total = len + 20 + padn;
	assert_int_equal(total % 16, 0);
	memcpy(pt, data, len);
	mac_header(h, epoch, seq, type, version, len);
	ref_hmac(d->mac, h, 13, pt, len, pt + len);
	if (bad_mac)
		pt[len + 3] ^= 0x01;
	memset(pt + len + 20, (int)(padn - 1), padn);
	if (bad_pad)
		pt[len + 20] ^= 0x55;
	assert_int_equal(RAND_bytes(iv, 16), 1);
	out[0] = type;
	out[1] = (uint8_t)(version >> 8);
	out[2] = (uint8_t)version;
	memcpy(out + 3, h, 8);
	out[11] = (uint8_t)((16 + total) >> 8);
	out[12] = (uint8_t)(16 + total);
	memcpy(out + 13, iv, 16);
	assert_int_equal(EVP_EncryptInit_ex(e, ciph, NULL, d->key, iv), 1);
	EVP_CIPHER_CTX_set_padding(e, 0);
	assert_int_equal(EVP_EncryptUpdate(e, out + 29, &ol, pt, (int)total), 1);
	EVP_CIPHER_CTX_free(e);
	EVP_CIPHER_free(ciph);
	return 29 + total;
}

/* Open one CBC record of ours, plainly (not in constant time). Plaintext length or -1. */
static int ref_open(const struct flavour *f, const struct ref_dir *d, uint16_t version,
		    const uint8_t *rec, size_t len, uint8_t *pt, uint8_t *type)
{
	EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, f->cbc, NULL);
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	size_t clen = len - 29, dlen;
	uint8_t h[13], mac[20];
	int ol, pad;

	assert_true(len >= 29 + 32 && clen % 16 == 0);
	assert_int_equal(EVP_DecryptInit_ex(e, ciph, NULL, d->key, rec + 13), 1);
	EVP_CIPHER_CTX_set_padding(e, 0);
	assert_int_equal(EVP_DecryptUpdate(e, pt, &ol, rec + 29, (int)clen), 1);
	EVP_CIPHER_CTX_free(e);
	EVP_CIPHER_free(ciph);
	pad = pt[clen - 1];
	for (int i = 0; i <= pad; i++)
		if (pt[clen - 1 - i] != pad)
			return -1;
	dlen = clen - 20 - (size_t)pad - 1;
	mac_header(h, (uint16_t)(rec[3] << 8 | rec[4]), get48(rec + 5), rec[0], version, dlen);
	ref_hmac(d->mac, h, 13, pt, dlen, mac);
	if (memcmp(mac, pt + dlen, 20))
		return -1;
	*type = rec[0];
	return (int)dlen;
}

/* ==== A phone and a server, in memory ==== */

static uint8_t psk[32];
static SSL_SESSION *resume_session; /* what the RESUME server's cache hands out */

static unsigned int srv_psk_cb(SSL *ssl, const char *identity, unsigned char *out, unsigned int max)
{
	(void)ssl;
	(void)identity;
	if (max < 32)
		return 0;
	memcpy(out, psk, 32);
	return 32;
}

static SSL_SESSION *srv_get_session(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	(void)ssl;
	(void)id;
	(void)len;
	*copy = 1;
	return resume_session;
}

struct pair {
	const struct flavour *f;
	SSL_CTX *cctx, *sctx;	       /* cctx: PSK only */
	struct dtls_legacy *legacy; /* the legacy contexts (NULL for PSK) */
	struct tls c;	       /* the phone, as tunnel.c opens it */
	SSL *s;		       /* OpenSSL's server (NULL for DTLS 0.9) */
	BIO *sb;	       /* the server's datagram membio (owned by s) */
	struct dtlsrec cr, sr; /* the record layer: client (phone) and server side */
	uint16_t version;
	uint8_t master[48], crand[32], srand[32], sid[32];
	struct ref_dir rc, rs; /* CBC keys by this file's own derivation */
	uint8_t dg[BUFSZ], rec[BUFSZ], out[BUFSZ];
};

static struct dtlsrec_ctx *ctx;

/* Server datagrams to the phone's SSL, with a handshake step after each. */
static void to_client_hs(struct pair *p)
{
	size_t n;

	while ((n = membio_take_dgram(p->sb, p->dg, sizeof(p->dg)))) {
		tls_feed(&p->c, p->dg, n);
		assert_true(tls_handshake(&p->c) >= 0);
	}
}

static void to_server_hs(struct pair *p)
{
	size_t n;

	while ((n = membio_take_dgram(p->c.bio, p->dg, sizeof(p->dg)))) {
		membio_feed(p->sb, p->dg, n);
		SSL_do_handshake(p->s);
	}
}

static void openssl_handshake(struct pair *p)
{
	for (int round = 0; round < 10; round++) {
		int c = tls_handshake(&p->c);

		if (c < 0)
			fail_msg("%s: phone's handshake failed: %s", p->f->suite, tls_last_error());
		to_server_hs(p);
		to_client_hs(p);
		if (tls_handshake(&p->c) == 1 && SSL_is_init_finished(p->s) &&
		    !membio_pending(p->c.bio) && !membio_pending(p->sb))
			return;
	}
	fail_msg("%s: handshake did not complete (client %d, server %d)", p->f->suite,
		 tls_handshake(&p->c), SSL_is_init_finished(p->s));
}

/* DTLS 0.9: this file plays the headend's resumption. */
static void badver_handshake(struct pair *p)
{
	const struct flavour *f = p->f;
	EVP_MD_CTX *th = EVP_MD_CTX_new(), *th2 = EVP_MD_CTX_new();
	uint8_t hash[36], verify[12], fin[24], pt[BUFSZ], type;
	unsigned hl;
	size_t n, mlen;

	assert_int_equal(EVP_DigestInit_ex(th, EVP_md5_sha1(), NULL), 1);
	assert_int_equal(tls_handshake(&p->c), 0);
	n = membio_take_dgram(p->c.bio, p->dg, sizeof(p->dg));
	/* ClientHello: record header, DTLS handshake header, then version, random, id */
	assert_true(n > 25 + 2 + 32 + 1 + 32);
	assert_int_equal(p->dg[0], 22);
	assert_int_equal(p->dg[1] << 8 | p->dg[2], 0x0100);
	assert_int_equal(p->dg[13], 1);
	mlen = (size_t)p->dg[14] << 16 | p->dg[15] << 8 | p->dg[16];
	assert_int_equal(25 + mlen, n);
	memcpy(p->crand, p->dg + 25 + 2, 32);
	assert_int_equal(p->dg[25 + 34], 32);
	assert_memory_equal(p->dg + 25 + 35, p->sid, 32);
	/* DTLS1_BAD_VER hashes the handshake bodies without their 12-byte headers */
	EVP_DigestUpdate(th, p->dg + 25, mlen);

	/* ServerHello (message 0, record 0), then the 3-byte CCS (message 1, record 1) */
	uint8_t sh[25 + 70] = {22, 1, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 82, 2,
			       0,  0, 70, 0, 0, 0, 0, 0, 0, 0, 70, 1, 0};
	assert_int_equal(RAND_bytes(p->srand, 32), 1);
	memcpy(sh + 27, p->srand, 32);
	sh[59] = 32;
	memcpy(sh + 60, p->sid, 32);
	sh[92] = (uint8_t)(f->id >> 8);
	sh[93] = (uint8_t)f->id;
	sh[94] = 0;
	EVP_DigestUpdate(th, sh + 25, 70);
	tls_feed(&p->c, sh, sizeof(sh));
	assert_int_equal(tls_handshake(&p->c), 0);
	static const uint8_t ccs[] = {20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 1, 0, 1};
	tls_feed(&p->c, ccs, sizeof(ccs));
	assert_int_equal(tls_handshake(&p->c), 0);

	/* Finished (message 2), epoch 1 record 0 */
	ref_keys(f, 0x0100, p->master, p->crand, p->srand, &p->rc, &p->rs);
	assert_int_equal(EVP_MD_CTX_copy_ex(th2, th), 1);
	assert_int_equal(EVP_DigestFinal_ex(th2, hash, &hl), 1);
	ref_prf(EVP_md5_sha1(), p->master, "server finished", hash, hl, NULL, 0, verify, 12);
	static const uint8_t fin_hdr[12] = {20, 0, 0, 12, 0, 2, 0, 0, 0, 0, 0, 12};
	memcpy(fin, fin_hdr, 12);
	memcpy(fin + 12, verify, 12);
	EVP_DigestUpdate(th, fin + 12, 12);
	n = ref_seal(f, &p->rs, 0x0100, 1, 0, 22, fin, sizeof(fin), 0, false, false, p->rec);
	tls_feed(&p->c, p->rec, n);
	if (tls_handshake(&p->c) != 1)
		fail_msg("%s: the phone refused this file's Finished: %s", f->suite,
			 tls_last_error());
	assert_true(dtls_resumed(&p->c));

	/* the phone's CCS (epoch 0) and Finished (epoch 1, record 0), in whatever datagrams */
	bool seen_fin = false;
	assert_int_equal(EVP_DigestFinal_ex(th, hash, &hl), 1);
	ref_prf(EVP_md5_sha1(), p->master, "client finished", hash, hl, NULL, 0, verify, 12);
	while ((n = membio_take_dgram(p->c.bio, p->dg, sizeof(p->dg)))) {
		for (size_t off = 0; off + 13 <= n;) {
			const uint8_t *r = p->dg + off;
			size_t rl = (size_t)r[11] << 8 | r[12];

			if (r[0] == 20) {
				assert_int_equal(
				    rl, 3); /* DTLS1_BAD_VER's CCS carries a message number */
			} else {
				assert_int_equal(r[0], 22);
				assert_int_equal(r[3] << 8 | r[4], 1);
				assert_int_equal(get48(r + 5), 0);
				int pl = ref_open(f, &p->rc, 0x0100, r, 13 + rl, pt, &type);
				assert_int_equal(pl, 24);
				assert_int_equal(pt[0], 20);
				assert_memory_equal(pt + 12, verify, 12);
				seen_fin = true;
			}
			off += 13 + rl;
		}
	}
	assert_true(seen_fin);
	EVP_MD_CTX_free(th);
	EVP_MD_CTX_free(th2);
}

static void pair_open(struct pair *p, const struct flavour *f)
{
	char list[80];

	memset(p, 0, sizeof(*p));
	p->f = f;
	assert_int_equal(RAND_bytes(psk, sizeof(psk)), 1);
	assert_int_equal(RAND_bytes(p->master, 48), 1);
	assert_int_equal(RAND_bytes(p->sid, 32), 1);
	if (f->how == PSK) {
		p->cctx = dtls_ctx_new_psk();
		assert_int_equal(dtls_open_psk(&p->c, p->cctx, psk, p->sid, 32, NULL), 0);
	} else {
		p->legacy = dtls_legacy_new();
		assert_non_null(p->legacy);
		assert_int_equal(dtls_open_legacy(&p->c, p->legacy, f->suite, f->hdr12, p->master,
						  p->sid, 0, NULL),
				 0);
	}
	dtlsrec_watch(&p->cr, p->c.ssl);
	if (f->how == BADVER) {
		p->version = 0x0100;
		return;
	}
	p->version = 0xfefd;
	p->sctx = SSL_CTX_new(DTLS_server_method());
	assert_non_null(p->sctx);
	SSL_CTX_set_options(p->sctx, SSL_OP_NO_TICKET | SSL_OP_NO_ENCRYPT_THEN_MAC |
					 SSL_OP_NO_RENEGOTIATION);
	snprintf(list, sizeof(list), "%s:@SECLEVEL=0",
		 f->how == PSK ? f->suite : "AES128-GCM-SHA256:AES256-GCM-SHA384");
	assert_int_equal(SSL_CTX_set_cipher_list(p->sctx, list), 1);
	if (f->how == PSK) {
		SSL_CTX_set_psk_server_callback(p->sctx, srv_psk_cb);
	} else {
		resume_session = SSL_get1_session(p->c.ssl);
		assert_non_null(resume_session);
		SSL_CTX_sess_set_get_cb(p->sctx, srv_get_session);
	}
	p->s = SSL_new(p->sctx);
	p->sb = membio_new(true);
	assert_non_null(p->sb);
	SSL_set_bio(p->s, p->sb, p->sb);
	SSL_set_accept_state(p->s);
	dtlsrec_watch(&p->sr, p->s);
}

static void pair_close(struct pair *p)
{
	tls_close(&p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	dtls_legacy_free(p->legacy);
	SSL_CTX_free(p->sctx);
	SSL_SESSION_free(resume_session);
	resume_session = NULL;
	ERR_clear_error();
}

/* OpenSSL's server seals: one record, returned in p->rec. */
static size_t server_ssl_seal(struct pair *p, const void *data, size_t len)
{
	size_t n;

	assert_int_equal(SSL_write(p->s, data, (int)len), (int)len);
	n = membio_take_dgram(p->sb, p->rec, sizeof(p->rec));
	assert_true(n > 0);
	return n;
}

/* OpenSSL's server reads datagram d: plaintext length into p->out, or -1 if dropped. */
static int server_ssl_read(struct pair *p, const uint8_t *d, size_t n)
{
	int r;

	memcpy(p->dg, d, n);
	membio_feed(p->sb, p->dg, n);
	r = SSL_read(p->s, p->out, sizeof(p->out));
	if (r <= 0) {
		assert_int_equal(SSL_get_error(p->s, r), SSL_ERROR_WANT_READ);
		ERR_clear_error();
		return -1;
	}
	return r;
}

/* The phone's OpenSSL reads datagram d: plaintext length into p->out, 0 dropped, <0 error. */
static int client_ssl_read(struct pair *p, const uint8_t *d, size_t n)
{
	memcpy(p->dg, d, n);
	tls_feed(&p->c, p->dg, n);
	return tls_read(&p->c, p->out, sizeof(p->out));
}

/* Our client side opens a copy of datagram d. */
static int cr_open(struct pair *p, const uint8_t *d, size_t n, struct dtlsrec_msg *m)
{
	int v;

	memcpy(p->dg, d, n);
	v = dtlsrec_open(&p->cr, ctx, p->dg, n, m);
	if (v == DTLSREC_DATA || v == DTLSREC_CLOSE)
		assert_int_equal(m->used, n);
	return v;
}

/*
 * The phone's OpenSSL seals msg at the sequence number our client side is
 * at, and our client side seals the same with OpenSSL's explicit IV or
 * nonce: the bytes must be the same. Leaves OpenSSL's record in p->rec.
 */
static size_t same_bytes_as_openssl(struct pair *p, const char *msg, size_t len)
{
	uint8_t ours[BUFSZ];
	size_t n, head = dtlsrec_head(&p->cr);
	uint64_t seq = p->cr.wseq;
	int r;

	assert_int_equal(tls_write(&p->c, msg, len), 0);
	n = membio_take_dgram(p->c.bio, p->rec, sizeof(p->rec));
	assert_true(n > 13);
	if (get48(p->rec + 5) != seq)
		fail_msg("%s: OpenSSL wrote sequence number %llu, the record layer is at %llu",
			 p->f->suite, (unsigned long long)get48(p->rec + 5),
			 (unsigned long long)seq);
	memcpy(ours + head, msg, len);
	r = seal_with(&p->cr, ctx, DTLSREC_T_APP, ours, len, sizeof(ours),
		      head > 13 ? p->rec + 13 : NULL);
	assert_int_equal(r, (int)n);
	for (size_t i = 0; i < n; i++)
		if (ours[i] != p->rec[i])
			fail_msg("%s: our record differs from OpenSSL's at byte %zu of %zu",
				 p->f->suite, i, n);
	return n;
}

/*
 * Handshake, then take the record layer out of both ends at the moments
 * the rules allow, checking the moments that are too early.
 */
static void pair_up(struct pair *p, const struct flavour *f)
{
	static const char hello1[] = "\x00hello from the headend";
	static const char up1[] = "\x00phone to headend 1";
	struct dtlsrec_msg m;
	size_t n;

	pair_open(p, f);
	assert_int_equal(dtlsrec_take(&p->cr, p->c.ssl), -EAGAIN); /* no handshake yet */
	if (f->how == BADVER)
		badver_handshake(p);
	else
		openssl_handshake(p);
	assert_int_equal(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p->c.ssl)), f->id);

	/* the phone's side */
	if (f->how == PSK) {
		assert_int_equal(dtlsrec_take(&p->cr, p->c.ssl), 0);
	} else {
		/* resumed: our Finished was the last flight; wait for proof it arrived */
		assert_int_equal(dtlsrec_take(&p->cr, p->c.ssl), -EAGAIN);
		if (f->how == BADVER)
			n = ref_seal(f, &p->rs, 0x0100, 1, 1, 23, hello1, sizeof(hello1), 0, false,
				     false, p->rec);
		else
			n = server_ssl_seal(p, hello1, sizeof(hello1));
		assert_int_equal(client_ssl_read(p, p->rec, n), sizeof(hello1));
		assert_memory_equal(p->out, hello1, sizeof(hello1));
		assert_int_equal(dtlsrec_take(&p->cr, p->c.ssl), 0);
		/* that record counts as seen */
		assert_int_equal(cr_open(p, p->rec, n, &m), DTLSREC_REPLAY);
	}
	assert_int_equal(p->cr.version, p->version);
	assert_int_equal(p->cr.epoch, 1);

	/* the server's side, and a first record of ours the same as OpenSSL's */
	if (f->how == BADVER) {
		struct dtlsrec_params prm = {.version = 0x0100,
					     .suite = f->id,
					     .server = 1,
					     .epoch = 1,
					     .wseq = 2,
					     .rtop = 0};
		uint8_t pt[BUFSZ], type;

		memcpy(prm.master, p->master, 48);
		memcpy(prm.client_random, p->crand, 32);
		memcpy(prm.server_random, p->srand, 32);
		assert_int_equal(dtlsrec_init(&p->sr, &prm), 0);
		n = same_bytes_as_openssl(p, up1, sizeof(up1));
		assert_int_equal(ref_open(f, &p->rc, 0x0100, p->rec, n, pt, &type), sizeof(up1));
		assert_memory_equal(pt, up1, sizeof(up1));
		memcpy(p->dg, p->rec, n);
		assert_int_equal(dtlsrec_open(&p->sr, ctx, p->dg, n, &m), DTLSREC_DATA);
		assert_int_equal(m.len, sizeof(up1));
		assert_memory_equal(m.data, up1, sizeof(up1));
	} else {
		/* the server of a full handshake sent the last flight: it waits too */
		assert_int_equal(dtlsrec_take(&p->sr, p->s), f->how == PSK ? -EAGAIN : 0);
		n = same_bytes_as_openssl(p, up1, sizeof(up1));
		assert_int_equal(server_ssl_read(p, p->rec, n), sizeof(up1));
		assert_memory_equal(p->out, up1, sizeof(up1));
		if (f->how == PSK)
			assert_int_equal(dtlsrec_take(&p->sr, p->s), 0);
		if (f->cbc) {
			/* this file's own keys, to craft CBC records below */
			SSL_SESSION_get_master_key(SSL_get_session(p->s), p->master, 48);
			SSL_get_client_random(p->s, p->crand, 32);
			SSL_get_server_random(p->s, p->srand, 32);
			ref_keys(f, 0xfefd, p->master, p->crand, p->srand, &p->rc, &p->rs);
		}
	}
}

/* ==== Tests ==== */

/* Both directions, OpenSSL against the record layer, and close_notify. */
static void test_both_ways(void **state)
{
	const struct flavour *f = *state;
	static const char down[] = "\x00an RTP packet from the headend";
	static const char down2[] = "\x00sealed by the server's record layer";
	static const char up2[] = "\x00phone to headend 2";
	static const char up[] = "\x00an RTP packet from the phone";
	struct pair p;
	struct dtlsrec_msg m;
	uint8_t buf[BUFSZ], pt[BUFSZ], type;
	size_t n, head;
	int r;

	pair_up(&p, f);
	head = dtlsrec_head(&p.cr);

	/* headend -> phone: sealed by OpenSSL (or this file for DTLS 0.9), opened by the layer */
	if (f->how == BADVER)
		n = ref_seal(f, &p.rs, 0x0100, 1, 7, 23, down, sizeof(down), 0, false, false,
			     p.rec);
	else
		n = server_ssl_seal(&p, down, sizeof(down));
	assert_int_equal(cr_open(&p, p.rec, n, &m), DTLSREC_DATA);
	assert_int_equal(m.type, DTLSREC_T_APP);
	assert_int_equal(m.len, sizeof(down));
	assert_memory_equal(m.data, down, sizeof(down));

	/*
	 * The server's side of the layer against the phone's OpenSSL, both ways
	 * (before the phone's side seals alone, which OpenSSL cannot follow).
	 */
	memcpy(buf + dtlsrec_head(&p.sr), down2, sizeof(down2));
	r = dtlsrec_seal(&p.sr, ctx, DTLSREC_T_APP, buf, sizeof(down2), sizeof(buf));
	assert_true(r > 0);
	assert_int_equal(client_ssl_read(&p, buf, (size_t)r), sizeof(down2));
	assert_memory_equal(p.out, down2, sizeof(down2));
	n = same_bytes_as_openssl(&p, up2, sizeof(up2));
	memcpy(p.dg, p.rec, n);
	assert_int_equal(dtlsrec_open(&p.sr, ctx, p.dg, n, &m), DTLSREC_DATA);
	assert_memory_equal(m.data, up2, sizeof(up2));

	/* phone -> headend: sealed by the layer, read by OpenSSL's server (or this file) */
	memcpy(buf + head, up, sizeof(up));
	r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, buf, sizeof(up), sizeof(buf));
	assert_int_equal(r, (int)dtlsrec_sealed_len(&p.cr, sizeof(up)));
	assert_int_equal(get48(buf + 5), p.cr.wseq - 1);
	if (f->how == BADVER) {
		assert_int_equal(ref_open(f, &p.rc, 0x0100, buf, (size_t)r, pt, &type), sizeof(up));
		assert_memory_equal(pt, up, sizeof(up));
	} else {
		assert_int_equal(server_ssl_read(&p, buf, (size_t)r), sizeof(up));
		assert_memory_equal(p.out, up, sizeof(up));
	}
	/* GCM's explicit nonce is epoch||seq, as on the record header */
	if (head == 21)
		assert_memory_equal(buf + 13, buf + 3, 8);

	/* an empty record and a full-size one */
	r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, buf, 0, sizeof(buf));
	assert_true(r > 0);
	assert_int_equal(dtlsrec_open(&p.sr, ctx, buf, (size_t)r, &m), DTLSREC_DATA);
	assert_int_equal(m.len, 0);
	for (size_t i = 0; i < 1400; i++)
		buf[head + i] = (uint8_t)i;
	assert_int_equal(
	    dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, buf, 1400, dtlsrec_sealed_len(&p.cr, 1400) - 1),
	    -EMSGSIZE);
	r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, buf, 1400, sizeof(buf));
	assert_int_equal(r, (int)dtlsrec_sealed_len(&p.cr, 1400));
	if (f->how != BADVER) {
		assert_int_equal(server_ssl_read(&p, buf, (size_t)r), 1400);
		for (size_t i = 0; i < 1400; i++)
			assert_int_equal(p.out[i], (uint8_t)i);
	}

	/* close_notify, from the phone at logout, and from the headend */
	r = dtlsrec_close_notify(&p.cr, ctx, buf, sizeof(buf));
	assert_true(r > 0);
	if (f->how == BADVER) {
		assert_int_equal(ref_open(f, &p.rc, 0x0100, buf, (size_t)r, pt, &type), 2);
		assert_int_equal(type, 21);
		assert_int_equal(pt[0], 1);
		assert_int_equal(pt[1], 0);
		r = dtlsrec_close_notify(&p.sr, ctx, buf, sizeof(buf));
		assert_int_equal(client_ssl_read(&p, buf, (size_t)r), -EPIPE);
		n = ref_seal(f, &p.rs, 0x0100, 1, 9, 21, "\x01\x00", 2, 0, false, false, p.rec);
	} else {
		memcpy(p.dg, buf, (size_t)r);
		membio_feed(p.sb, p.dg, (size_t)r);
		int sr = SSL_read(p.s, p.out, sizeof(p.out));
		assert_int_equal(sr, 0);
		assert_int_equal(SSL_get_error(p.s, sr), SSL_ERROR_ZERO_RETURN);
		SSL_shutdown(p.s);
		n = membio_take_dgram(p.sb, p.rec, sizeof(p.rec));
	}
	assert_int_equal(cr_open(&p, p.rec, n, &m), DTLSREC_CLOSE);
	assert_int_equal(m.type, DTLSREC_T_ALERT);
	assert_int_equal(m.alert, 0);
	pair_close(&p);
}

/*
 * A fatal alert from the headend ends DTLS, a warning does not. OpenSSL's
 * server is made to send a fatal one by a record the layer seals: a
 * handshake message it cannot expect. For DTLS 0.9 this file seals both.
 */
static void test_alerts(void **state)
{
	const struct flavour *f = *state;
	struct pair p;
	struct dtlsrec_msg m;
	uint8_t buf[BUFSZ];
	size_t n, head;
	int r;

	if (f->how == BADVER) {
		pair_up(&p, f);
		n = ref_seal(f, &p.rs, 0x0100, 1, 40, 21, "\x01\x64", 2, 0, false, false, p.rec);
		assert_int_equal(cr_open(&p, p.rec, n, &m), DTLSREC_WARNING);
		assert_int_equal(m.alert, 100); /* no_renegotiation */
		n = ref_seal(f, &p.rs, 0x0100, 1, 41, 21, "\x02\x28", 2, 0, false, false, p.rec);
		assert_int_equal(cr_open(&p, p.rec, n, &m), DTLSREC_CLOSE);
		assert_int_equal(m.alert, 40); /* handshake_failure */
		pair_close(&p);
		return;
	}
	pair_up(&p, f);
	head = dtlsrec_head(&p.cr);
	/* a whole 4-byte handshake message of type 99, which does not exist */
	static const uint8_t bogus[16] = {99, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
	memcpy(buf + head, bogus, sizeof(bogus));
	r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_HANDSHAKE, buf, sizeof(bogus), sizeof(buf));
	memcpy(p.dg, buf, (size_t)r);
	membio_feed(p.sb, p.dg, (size_t)r);
	int sr = SSL_read(p.s, p.out, sizeof(p.out));
	n = membio_take_dgram(p.sb, p.rec, sizeof(p.rec));
	if (!n)
		fail_msg("%s: OpenSSL's server sent no alert for a bogus handshake message "
			 "(SSL_read %d, error %d: %s)",
			 f->suite, sr, SSL_get_error(p.s, sr),
			 ERR_error_string(ERR_peek_last_error(), NULL));
	ERR_clear_error();
	assert_int_equal(cr_open(&p, p.rec, n, &m), DTLSREC_CLOSE);
	assert_int_equal(m.type, DTLSREC_T_ALERT);
	assert_int_equal(m.data[0], 2); /* fatal */
	assert_int_equal(m.alert, SSL_AD_UNEXPECTED_MESSAGE);
	pair_close(&p);
}

/*
 * The replay window, against a list worked out by hand from RFC 6347
 * (window of 64: accept a number above the highest, or within 63 below it
 * and not seen yet). Each distinct number is sealed once and every
 * delivery is a copy of that datagram, as a replay on the wire is. The
 * layer's opener (records sealed by the server's side of the layer) and
 * OpenSSL's server (records sealed by the phone's side) must both agree.
 */
static void test_window(void **state)
{
	const struct flavour *f = *state;
	static const struct {
		uint64_t seq; /* above B */
		bool ok;
	} list[] = {
	    {0, true},	     {2, true},	       {1, true}, /* reordered inside */
	    {1, false},	     {2, false},		  /* replays */
	    {70, true},					  /* top 70 */
	    {10, true},					  /* 60 below: inside */
	    {6, false},					  /* 64 below: left of the window */
	    {7, true},	     {7, false},		  /* 63 below, then replayed */
	    {300, true},				  /* top 300 */
	    {70, false},				  /* seen, and far left */
	    {237, true},     {236, false},		  /* 63 and 64 below */
	    {0x10000, true}, {301, false},		  /* a jump: all before is old */
	    {0xffff, true},  {0x10000, false}, {0x10001, true},
	};
	enum { B = 1000, NSEQ = sizeof(list) / sizeof(list[0]) };
	uint8_t(*sealed_s)[BUFSZ] = calloc(NSEQ, BUFSZ), (*sealed_c)[BUFSZ] = calloc(NSEQ, BUFSZ);
	size_t len_s[NSEQ], len_c[NSEQ];
	struct pair p;
	struct dtlsrec_msg m;

	assert_non_null(sealed_s);
	assert_non_null(sealed_c);
	pair_up(&p, f);
	/* seal each number once, the first time the list names it */
	for (size_t i = 0; i < NSEQ; i++) {
		size_t first = i;
		char msg[32];
		int n, r;

		for (size_t j = 0; j < i; j++)
			if (list[j].seq == list[i].seq) {
				first = j;
				break;
			}
		if (first != i) {
			memcpy(sealed_s[i], sealed_s[first], len_s[first]);
			len_s[i] = len_s[first];
			memcpy(sealed_c[i], sealed_c[first], len_c[first]);
			len_c[i] = len_c[first];
			continue;
		}
		n = snprintf(msg, sizeof(msg), "%c record %llu", 0,
			     (unsigned long long)list[i].seq);
		p.sr.wseq = B + list[i].seq;
		memcpy(sealed_s[i] + dtlsrec_head(&p.sr), msg, (size_t)n);
		r = dtlsrec_seal(&p.sr, ctx, DTLSREC_T_APP, sealed_s[i], (size_t)n, BUFSZ);
		assert_true(r > 0);
		len_s[i] = (size_t)r;
		p.cr.wseq = B + list[i].seq;
		memcpy(sealed_c[i] + dtlsrec_head(&p.cr), msg, (size_t)n);
		r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, sealed_c[i], (size_t)n, BUFSZ);
		assert_true(r > 0);
		len_c[i] = (size_t)r;
	}
	for (size_t i = 0; i < NSEQ; i++) {
		int v = cr_open(&p, sealed_s[i], len_s[i], &m);

		if ((v == DTLSREC_DATA) != list[i].ok)
			fail_msg("%s: record layer, delivery %zu (B+%llu): %s, expected %s",
				 f->suite, i, (unsigned long long)list[i].seq,
				 dtlsrec_verdict_name(v), list[i].ok ? "data" : "replay");
		if (!list[i].ok)
			assert_int_equal(v, DTLSREC_REPLAY);
		if (f->how != BADVER) {
			int r = server_ssl_read(&p, sealed_c[i], len_c[i]);

			if ((r > 0) != list[i].ok)
				fail_msg("%s: OpenSSL, delivery %zu (B+%llu): %s, expected %s",
					 f->suite, i, (unsigned long long)list[i].seq,
					 r > 0 ? "read" : "dropped",
					 list[i].ok ? "read" : "dropped");
		}
	}
	free(sealed_s);
	free(sealed_c);
	pair_close(&p);
}

/* Spoiled records are refused, named, and leave the window as it was. */
static void test_tamper(void **state)
{
	const struct flavour *f = *state;
	static const char msg[] = "\x00payload that will be spoiled";
	uint8_t good[BUFSZ], bad[BUFSZ];
	struct pair p;
	struct dtlsrec_msg m;
	size_t n, good_n, cut;
	int v;

	pair_up(&p, f);
	/* a genuine record from the headend, kept aside */
	if (f->how == BADVER) {
		good_n =
		    ref_seal(f, &p.rs, 0x0100, 1, 20, 23, msg, sizeof(msg), 0, false, false, good);
	} else {
		good_n = server_ssl_seal(&p, msg, sizeof(msg));
		memcpy(good, p.rec, good_n);
	}
	n = good_n;

	const struct {
		const char *what;
		size_t at;   /* byte to flip */
		uint8_t bit; /* by */
		int verdict;
	} flips[] = {
	    {"last byte (tag or padding)", n - 1, 0x01, DTLSREC_FORGED},
	    {"middle of the ciphertext", n - 24, 0x01, DTLSREC_FORGED},
	    {"first byte after the header", 13, 0x01, DTLSREC_FORGED},
	    {"sequence number (2^40 higher)", 5, 0x01, DTLSREC_FORGED},
	    {"content type (23 to 20)", 0, 0x03, DTLSREC_FORGED},
	    {"version", 1, 0x01, DTLSREC_MALFORMED},
	    {"epoch", 4, 0x01, DTLSREC_EPOCH},
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, good, n);
		bad[flips[i].at] ^= flips[i].bit;
		v = dtlsrec_open(&p.cr, ctx, bad, n, &m);
		if (v != flips[i].verdict)
			fail_msg("%s: %s spoiled: %s, expected %s", f->suite, flips[i].what,
				 dtlsrec_verdict_name(v), dtlsrec_verdict_name(flips[i].verdict));
	}
	/* cut short: the header's length runs past the datagram; or a block (a byte) less */
	memcpy(bad, good, n);
	assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n - 1, &m), DTLSREC_MALFORMED);
	assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, 12, &m), DTLSREC_MALFORMED);
	cut = f->cbc ? 16 : 1;
	bad[11] = (uint8_t)((n - 13 - cut) >> 8);
	bad[12] = (uint8_t)(n - 13 - cut);
	assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n - cut, &m), DTLSREC_FORGED);

	if (f->cbc) {
		/*
		 * Made by this file: a correct MAC under spoiled padding, a wrong
		 * MAC under good padding, a long (legal) padding, a padding length
		 * byte beyond the record, then the good one.
		 */
		uint64_t s = f->how == BADVER ? 30 : p.cr.rtop + 10;
		uint16_t ver = p.version;
		size_t padn = 16 - (sizeof(msg) + 20) % 16 + 160; /* 161..176 padding bytes */

		assert_true(16 - (sizeof(msg) + 20) % 16 >= 2); /* bad_pad spoils a padding byte */

		n = ref_seal(f, &p.rs, ver, 1, s, 23, msg, sizeof(msg), 0, true, false, bad);
		assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n, &m), DTLSREC_FORGED);
		n = ref_seal(f, &p.rs, ver, 1, s, 23, msg, sizeof(msg), 0, false, true, bad);
		assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n, &m), DTLSREC_FORGED);
		n = ref_seal(f, &p.rs, ver, 1, s + 1, 23, msg, sizeof(msg), padn, false, false,
			     bad);
		assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n, &m), DTLSREC_DATA);
		assert_int_equal(m.len, sizeof(msg));
		assert_memory_equal(m.data, msg, sizeof(msg));
		/* flipping a bit of the last-but-one cipher block flips it in the last
		 * plaintext block: the padding length byte, now 128 more than the record holds */
		n = ref_seal(f, &p.rs, ver, 1, s + 2, 23, msg, sizeof(msg), 0, false, false, bad);
		bad[n - 17] ^= 0x80;
		assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n, &m), DTLSREC_FORGED);
		n = ref_seal(f, &p.rs, ver, 1, s, 23, msg, sizeof(msg), 0, false, false, bad);
		assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, n, &m), DTLSREC_DATA);
	}
	/* nothing of the above moved the window: the genuine record still opens, once */
	memcpy(bad, good, good_n);
	assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, good_n, &m), DTLSREC_DATA);
	assert_memory_equal(m.data, msg, sizeof(msg));
	memcpy(bad, good, good_n);
	assert_int_equal(dtlsrec_open(&p.cr, ctx, bad, good_n, &m), DTLSREC_REPLAY);
	pair_close(&p);
}

/*
 * Sealing and opening allocate nothing, with a context of their own or one
 * shared by both sides (re-keyed at every record).
 */
static void test_no_allocation(void **state)
{
	const struct flavour *f = *state;
	struct dtlsrec_ctx *own = dtlsrec_ctx_new();
	uint8_t buf[BUFSZ];
	struct dtlsrec_msg m;
	struct pair p;
	long before;

	assert_non_null(own);
	pair_up(&p, f);
	for (int pass = 0; pass < 2; pass++) {
		struct dtlsrec_ctx *cs = pass ? ctx : own;

		before = 0;
		for (int i = 0; i < 201; i++) {
			int r;

			if (i == 1) /* after the contexts' first use */
				before = n_allocs;
			memset(buf + dtlsrec_head(&p.cr), i, 172);
			r = dtlsrec_seal(&p.cr, cs, DTLSREC_T_APP, buf, 172, sizeof(buf));
			assert_true(r > 0);
			assert_int_equal(dtlsrec_open(&p.sr, ctx, buf, (size_t)r, &m),
					 DTLSREC_DATA);
			memset(buf + dtlsrec_head(&p.sr), i, 172);
			r = dtlsrec_seal(&p.sr, ctx, DTLSREC_T_APP, buf, 172, sizeof(buf));
			assert_true(r > 0);
			assert_int_equal(dtlsrec_open(&p.cr, cs, buf, (size_t)r, &m), DTLSREC_DATA);
		}
		if (n_allocs != before)
			fail_msg("%s: %ld allocations in 800 seals and opens (%s context)",
				 f->suite, n_allocs - before, pass ? "shared" : "own");
	}
	dtlsrec_ctx_free(own);
	pair_close(&p);
}

/*
 * The phone's hand-over (engine/phone/tunnel.c): the keys taken, the SSL
 * freed by tls_keep_bio, its BIO kept as the send queue. A record OpenSSL
 * queued before the take (PSK: taken at once) and one the layer seals after
 * it leave in order, with consecutive sequence numbers, and the headend's
 * side reads both; tls_close then frees the kept BIO.
 */
static void test_hand_over(void **state)
{
	const struct flavour *f = *state;
	static const char before[] = "\x00queued by OpenSSL before the take";
	static const char after[] = "\x00sealed by the record layer after it";
	const char *sent[2];
	size_t lens[2], n_sent = 0, head, n;
	uint8_t buf[BUFSZ];
	struct dtlsrec_msg m;
	uint64_t seq = 0;
	struct pair p;
	int r;

	if (f->how == PSK) {
		pair_open(&p, f);
		openssl_handshake(&p);
		assert_int_equal(tls_write(&p.c, before, sizeof(before)), 0);
		assert_int_equal(dtlsrec_take(&p.cr, p.c.ssl), 0);
		sent[n_sent] = before;
		lens[n_sent++] = sizeof(before);
	} else {
		pair_up(&p, f);
	}
	tls_keep_bio(&p.c);
	assert_null(p.c.ssl);
	assert_non_null(p.c.bio);
	head = dtlsrec_head(&p.cr);
	memcpy(buf + head, after, sizeof(after));
	r = dtlsrec_seal(&p.cr, ctx, DTLSREC_T_APP, buf, sizeof(after), sizeof(buf));
	assert_true(r > 0);
	assert_int_equal(BIO_write(p.c.bio, buf, r), r);
	sent[n_sent] = after;
	lens[n_sent++] = sizeof(after);
	assert_int_equal(membio_pending(p.c.bio), n_sent);

	for (size_t i = 0; i < n_sent; i++) {
		n = membio_take_dgram(p.c.bio, p.rec, sizeof(p.rec));
		assert_true(n > 13);
		if (i && get48(p.rec + 5) != seq + 1)
			fail_msg("%s: sequence number %llu after %llu", f->suite,
				 (unsigned long long)get48(p.rec + 5), (unsigned long long)seq);
		seq = get48(p.rec + 5);
		if (p.s) {
			assert_int_equal(server_ssl_read(&p, p.rec, n), (int)lens[i]);
			assert_memory_equal(p.out, sent[i], lens[i]);
		} else {
			assert_int_equal(dtlsrec_open(&p.sr, ctx, p.rec, n, &m), DTLSREC_DATA);
			assert_int_equal(m.len, lens[i]);
			assert_memory_equal(m.data, sent[i], lens[i]);
		}
	}
	assert_int_equal(membio_pending(p.c.bio), 0);
	tls_close(&p.c);
	assert_null(p.c.bio);
	pair_close(&p);
}

/*
 * One datagram from the headend to the phone, as tunnel_udp_input takes it:
 * OpenSSL's until the take (handshake, then every record tls_read gives,
 * then dtlsrec_take and the SSL freed), the record layer's after. Counts
 * the times payload came out.
 */
static void phone_input(struct pair *p, const uint8_t *d, size_t n, bool *up, bool *taken,
			const char *payload, size_t plen, int *got)
{
	struct dtlsrec_msg m;
	int r;

	memcpy(p->dg, d, n);
	if (*taken) {
		if (dtlsrec_open(&p->cr, ctx, p->dg, n, &m) == DTLSREC_DATA && m.len == plen &&
		    !memcmp(m.data, payload, plen))
			++*got;
		return;
	}
	tls_feed(&p->c, p->dg, n);
	if (!*up) {
		r = tls_handshake(&p->c);
		assert_true(r >= 0);
		if (r == 0)
			return;
		*up = true;
	}
	while ((r = tls_read(&p->c, p->out, sizeof(p->out))) > 0)
		if ((size_t)r == plen && !memcmp(p->out, payload, plen))
			++*got;
	assert_int_equal(r, 0);
	if (dtlsrec_take(&p->cr, p->c.ssl) == 0) {
		tls_keep_bio(&p->c);
		*taken = true;
	}
}

/*
 * A full (PSK) handshake: the headend's last flight (ChangeCipherSpec,
 * Finished, each its own datagram) and at once its first record (the DPD
 * request a headend sends to see DTLS up). Whatever order the three come
 * in, the request comes out exactly once, through OpenSSL before the take
 * or the record layer after it: a record OpenSSL holds back (read before
 * the CCS or between CCS and Finished) must not be lost with the SSL.
 */
static void test_first_record_early(void **state)
{
	const struct flavour *f = *state;
	static const char dpd[] = "\x03";
	static const int orders[][3] = {{0, 1, 2}, {0, 2, 1}, {2, 0, 1}, {2, 1, 0}, {1, 2, 0}};
	static const uint8_t types[3] = {20, 22, 23};

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		uint8_t dg[3][BUFSZ];
		size_t len[3], k = 0;
		bool up = false, taken = false;
		int got = 0;
		struct pair p;

		pair_open(&p, f);
		/* ClientHello; the server's hello flight; the phone's last flight */
		assert_int_equal(tls_handshake(&p.c), 0);
		to_server_hs(&p);
		to_client_hs(&p);
		assert_int_equal(tls_handshake(&p.c), 0);
		assert_false(SSL_is_init_finished(p.s));
		to_server_hs(&p);
		assert_true(SSL_is_init_finished(p.s));
		assert_int_equal(SSL_write(p.s, dpd, sizeof(dpd) - 1), (int)sizeof(dpd) - 1);
		/* each record its own datagram (OpenSSL may pack CCS and Finished in one) */
		for (size_t n; k < 3 && (n = membio_take_dgram(p.sb, p.rec, sizeof(p.rec)));)
			for (size_t off = 0; off + 13 <= n && k < 3; k++) {
				len[k] = 13 + (size_t)(p.rec[off + 11] << 8 | p.rec[off + 12]);
				assert_true(off + len[k] <= n);
				memcpy(dg[k], p.rec + off, len[k]);
				off += len[k];
			}
		assert_int_equal(k, 3);
		assert_int_equal(membio_pending(p.sb), 0);
		for (k = 0; k < 3; k++)
			assert_int_equal(dg[k][0], types[k]);
		for (k = 0; k < 3; k++) {
			int i = orders[o][k];

			phone_input(&p, dg[i], len[i], &up, &taken, dpd, sizeof(dpd) - 1, &got);
		}
		if (!up || got != 1)
			fail_msg("%s: CCS, Finished, request in the order %d %d %d: DTLS %s, taken %d, "
				 "the request came out %d times",
				 f->suite, orders[o][0], orders[o][1], orders[o][2], up ? "up" : "not up",
				 taken, got);
		tls_close(&p.c);
		pair_close(&p);
	}
}

/* The phone's handshake timer: OpenSSL's, or 1 us once short_timer_on (to run out at once). */
static bool short_timer_on;

static unsigned int short_timer(SSL *s, unsigned int timer_us)
{
	(void)s;
	if (short_timer_on) {
		short_timer_on = false; /* once */
		return 1;
	}
	return timer_us < 1000000 ? 1000000 : 2 * timer_us;
}

/* The phone answers: its record (OpenSSL's or the layer's) must reach OpenSSL's server. */
static void phone_answers(struct pair *p, bool taken, const char *msg, size_t len)
{
	uint8_t buf[BUFSZ];
	size_t n;

	if (taken) {
		size_t head = dtlsrec_head(&p->cr);
		int r;

		memcpy(buf + head, msg, len);
		r = dtlsrec_seal(&p->cr, ctx, DTLSREC_T_APP, buf, len, sizeof(buf));
		assert_true(r > 0);
		n = (size_t)r;
	} else {
		assert_int_equal(tls_write(&p->c, msg, len), 0);
		n = membio_take_dgram(p->c.bio, buf, sizeof(buf));
	}
	if (server_ssl_read(p, buf, n) != (int)len || memcmp(p->out, msg, len))
		fail_msg("%s: the headend's OpenSSL did not take the phone's answer", p->f->suite);
}

/*
 * The phone, slow, sends its last flight again (its timer ran out) after
 * the headend had finished and sent its first record; the headend answers
 * that with its own last flight again (a higher sequence number than its
 * first record). The phone takes all of it in the order sent: the request
 * comes out once, the answer, sealed after the take, reaches the headend.
 */
static void test_last_flight_again(void **state)
{
	const struct flavour *f = *state;
	static const char dpd[] = "\x03", resp[] = "\x04";
	uint8_t dg[8][BUFSZ];
	size_t len[8], k = 0, n;
	bool up = false, taken = false;
	int got = 0, r;
	struct pair p;

	pair_open(&p, f);
	DTLS_set_timer_cb(p.c.ssl, short_timer);
	assert_int_equal(tls_handshake(&p.c), 0);
	to_server_hs(&p);
	/* the phone's last flight, its timer 1 us: sent twice */
	while ((n = membio_take_dgram(p.sb, p.dg, sizeof(p.dg)))) {
		tls_feed(&p.c, p.dg, n);
		/* the flight's records take well over the 1 us to write: the same call, going on
		   to read, finds the timer out and sends the flight again */
		short_timer_on = !membio_pending(p.sb);
		r = tls_handshake(&p.c);
		if (r < 0)
			fail_msg("%s: %s", f->suite, tls_last_error());
	}
	short_timer_on = false;
	/* the headend takes the first, finishes and sends its request... */
	size_t flight = membio_pending(p.c.bio) / 2;

	assert_true(flight > 0);
	assert_int_equal(membio_pending(p.c.bio), 2 * flight);
	for (size_t i = 0; i < flight; i++) {
		n = membio_take_dgram(p.c.bio, p.dg, sizeof(p.dg));
		membio_feed(p.sb, p.dg, n);
		SSL_do_handshake(p.s);
	}
	assert_true(SSL_is_init_finished(p.s));
	assert_int_equal(SSL_write(p.s, dpd, sizeof(dpd) - 1), (int)sizeof(dpd) - 1);
	/* ...then the second: it sends its last flight again */
	for (size_t i = 0; i < flight; i++) {
		n = membio_take_dgram(p.c.bio, p.rec, sizeof(p.rec));
		assert_int_equal(server_ssl_read(&p, p.rec, n), -1);
	}
	while (k < 8 && (len[k] = membio_take_dgram(p.sb, dg[k], BUFSZ)))
		k++;
	assert_true(k >= 3);
	for (size_t i = 0; i < k; i++)
		phone_input(&p, dg[i], len[i], &up, &taken, dpd, sizeof(dpd) - 1, &got);
	if (!up || got != 1)
		fail_msg("%s: DTLS %s, taken %d, the request came out %d times", f->suite,
			 up ? "up" : "not up", taken, got);
	phone_answers(&p, taken, resp, sizeof(resp) - 1);
	tls_close(&p.c);
	pair_close(&p);
}

/* Not watched, unsupported suites and versions, unkeyed use, numbers used up. */
static void test_refusals(void **state)
{
	static const struct flavour sha256 = {"PSK-AES128-CBC-SHA256", PSK, 0, 0x00ae, NULL, 16};
	struct dtlsrec_params prm = {.version = 0xfefd, .suite = 0x00ae};
	struct dtlsrec r, fresh;
	struct dtlsrec_msg m;
	uint8_t buf[64] = {23, 0xfe, 0xfd};
	struct pair p;

	(void)state;
	assert_int_equal(dtlsrec_init(&r, &prm), -ENOTSUP); /* PSK-AES128-CBC-SHA256 */
	prm.suite = 0x009c;
	prm.version = 0x0100; /* GCM needs DTLS 1.2 */
	assert_int_equal(dtlsrec_init(&r, &prm), -ENOTSUP);
	prm.version = 0x0301; /* TLS 1.0: its CBC IV chains from record to record */
	prm.suite = 0x002f;
	assert_int_equal(dtlsrec_init(&r, &prm), -ENOTSUP);
	prm.version = 0x0302; /* TLS 1.1: no GCM */
	prm.suite = 0x009c;
	assert_int_equal(dtlsrec_init(&r, &prm), -ENOTSUP);
	memset(&r, 0, sizeof(r));
	assert_int_equal(dtlsrec_seal(&r, ctx, 23, buf, 1, sizeof(buf)), -EINVAL);
	assert_int_equal(dtlsrec_sealed_len(&r, 1), 0);
	assert_int_equal(dtlsrec_open(&r, ctx, buf, sizeof(buf), &m), DTLSREC_MALFORMED);
	assert_int_equal(sizeof(struct dtlsrec), 216); /* as dtlsrec.h says */

	/* a handshake that ends in a suite the layer does not do stays with OpenSSL */
	pair_open(&p, &sha256);
	openssl_handshake(&p);
	assert_int_equal(dtlsrec_take(&p.cr, p.c.ssl), -ENOTSUP);
	memset(&fresh, 0, sizeof(fresh)); /* never watched */
	assert_int_equal(dtlsrec_take(&fresh, p.c.ssl), -EPROTO);
	pair_close(&p);

	/* sequence numbers used up */
	prm.version = 0xfefd;
	prm.suite = 0x00a8;
	prm.wseq = ((uint64_t)1 << 48) - 1;
	assert_int_equal(dtlsrec_init(&r, &prm), 0);
	assert_true(dtlsrec_seal(&r, ctx, 23, buf, 1, sizeof(buf)) > 0);
	assert_int_equal(dtlsrec_seal(&r, ctx, 23, buf, 1, sizeof(buf)), -EOVERFLOW);
}

/* ==== TLS over a stream (the CSTP channel: tls_take) against OpenSSL's TLS ==== */

/* A TLS session of OpenSSL's: client and server SSLs on memory BIOs. */
struct tls_pair {
	SSL_CTX *cctx, *sctx;
	SSL *c, *s;
	BIO *c_in, *c_out, *s_in, *s_out;
};

static EVP_PKEY *tls_key;
static X509 *tls_cert;

static void tls_pki(void)
{
	X509_NAME *name;

	if (tls_cert)
		return;
	tls_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(tls_key);
	tls_cert = X509_new();
	X509_set_version(tls_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(tls_cert), 7);
	X509_gmtime_adj(X509_getm_notBefore(tls_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(tls_cert), 86400);
	X509_set_pubkey(tls_cert, tls_key);
	name = X509_get_subject_name(tls_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"vpn.test", -1,
				   -1, 0);
	X509_set_issuer_name(tls_cert, name);
	assert_true(X509_sign(tls_cert, tls_key, EVP_sha256()) > 0);
}

/* Move what one side wrote to the other side's input. */
static void tls_move(BIO *from, BIO *to)
{
	uint8_t b[20000];
	int n;

	while ((n = BIO_read(from, b, sizeof(b))) > 0)
		assert_int_equal(BIO_write(to, b, n), n);
}

static void tls_pair_up(struct tls_pair *p, int version, const char *ciphers, bool no_etm)
{
	tls_pki();
	memset(p, 0, sizeof(*p));
	p->cctx = SSL_CTX_new(TLS_client_method());
	p->sctx = SSL_CTX_new(TLS_server_method());
	assert_true(p->cctx && p->sctx);
	SSL_CTX_set_min_proto_version(p->cctx, version);
	SSL_CTX_set_max_proto_version(p->cctx, version);
	SSL_CTX_set_min_proto_version(p->sctx, version);
	SSL_CTX_set_max_proto_version(p->sctx, version);
	assert_int_equal(SSL_CTX_set_cipher_list(p->cctx, ciphers), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(p->sctx, ciphers), 1);
	SSL_CTX_set_options(p->cctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_options(p->sctx, SSL_OP_NO_TICKET | (no_etm ? SSL_OP_NO_ENCRYPT_THEN_MAC : 0));
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, tls_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, tls_key), 1);
	p->c = SSL_new(p->cctx);
	p->s = SSL_new(p->sctx);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	p->s_in = BIO_new(BIO_s_mem());
	p->s_out = BIO_new(BIO_s_mem());
	SSL_set_bio(p->c, p->c_in, p->c_out);
	SSL_set_bio(p->s, p->s_in, p->s_out);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
	for (int i = 0; i < 10 && !(SSL_is_init_finished(p->c) && SSL_is_init_finished(p->s)); i++) {
		SSL_do_handshake(p->c);
		tls_move(p->c_out, p->s_in);
		SSL_do_handshake(p->s);
		tls_move(p->s_out, p->c_in);
	}
	assert_true(SSL_is_init_finished(p->c) && SSL_is_init_finished(p->s));
}

static void tls_pair_close(struct tls_pair *p)
{
	SSL_free(p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
}

/*
 * Our records of a session, keyed as tls_take keys them: from the session's
 * secrets, the sequence numbers a fresh TLS session has after the handshake
 * (each side's Finished was record 0 under the new keys, RFC 5246 6.1).
 */
static void tls_keys(struct tls_pair *p, bool etm, struct dtlsrec *c, struct dtlsrec *s)
{
	struct dtlsrec_params prm = {.version = (uint16_t)SSL_version(p->c), .etm = etm};

	prm.suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p->c));
	assert_int_equal(SSL_SESSION_get_master_key(SSL_get_session(p->c), prm.master, 48), 48);
	assert_int_equal(SSL_get_client_random(p->c, prm.client_random, 32), 32);
	assert_int_equal(SSL_get_server_random(p->c, prm.server_random, 32), 32);
	prm.wseq = prm.rtop = 1;
	assert_int_equal(dtlsrec_init(c, &prm), 0);
	prm.server = 1;
	assert_int_equal(dtlsrec_init(s, &prm), 0);
}

/*
 * One record written by OpenSSL's side `from` (SSL_write, or its
 * close_notify when msg is NULL): ours, sealed with the same explicit IV or
 * nonce by `mine` (the same side), is the same bytes; the other side's
 * `theirs` opens it to what was sent.
 */
static void tls_same_record(SSL *from, BIO *out, struct dtlsrec *mine, struct dtlsrec *theirs,
			    const uint8_t *msg, size_t len)
{
	uint8_t rec[20000], ours[20000];
	size_t head = dtlsrec_head(mine);
	struct dtlsrec_msg m;
	int n, r;

	if (msg)
		assert_int_equal(SSL_write(from, msg, (int)len), (int)len);
	else
		SSL_shutdown(from);
	n = BIO_read(out, rec, sizeof(rec));
	assert_true(n > (int)head);
	assert_int_equal(5 + (rec[3] << 8 | rec[4]), n); /* one record */
	if (msg)
		memcpy(ours + head, msg, len);
	else
		memcpy(ours + head, "\x01\x00", 2);
	r = seal_with(mine, ctx, msg ? DTLSREC_T_APP : DTLSREC_T_ALERT, ours, msg ? len : 2,
		      sizeof(ours), rec + 5);
	assert_int_equal(r, n);
	assert_memory_equal(ours, rec, (size_t)n);
	r = dtlsrec_open(theirs, ctx, rec, (size_t)n, &m);
	if (msg) {
		assert_int_equal(r, DTLSREC_DATA);
		assert_int_equal(m.len, len);
		if (len)
			assert_memory_equal(m.data, msg, len);
	} else {
		assert_int_equal(r, DTLSREC_CLOSE);
		assert_int_equal(m.alert, 0);
	}
	assert_int_equal(m.used, (size_t)n);
}

/*
 * Each TLS form the phone's CSTP channel can be taken over in, byte for byte
 * against OpenSSL's own records both ways: application records of several
 * lengths (1, a block less one, a block, a data frame, 16 KiB), then each side's
 * close_notify (OpenSSL sends no empty record). Then a record of the other side's with a byte changed does
 * not open, and one sent again (its sequence number past) does not either.
 */
static void test_tls_same_as_openssl(void **state)
{
	static const struct {
		int version;
		const char *ciphers;
		bool no_etm;
	} cases[] = {
	    {TLS1_2_VERSION, "AES128-SHA", false},
	    {TLS1_2_VERSION, "AES256-SHA", true},
	    {TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", false},
	    {TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384", false},
	    {TLS1_2_VERSION, "AES256-GCM-SHA384", false},
	    {TLS1_2_VERSION, "ECDHE-RSA-AES256-SHA", false},
	    {TLS1_1_VERSION, "AES256-SHA:@SECLEVEL=0", false},
	    {TLS1_1_VERSION, "AES128-SHA:@SECLEVEL=0", true},
	};
	static const size_t lens[] = {1, 15, 16, 1400, 16384};
	static uint8_t msg[16384 + 8]; /* (the server sends from msg + k) */

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dtlsrec c, s;
		struct tls_pair p;
		struct dtlsrec_msg m;
		uint8_t rec[2000], again[2000];
		int n;

		tls_pair_up(&p, cases[i].version, cases[i].ciphers, cases[i].no_etm);
		tls_keys(&p, !cases[i].no_etm, &c, &s);
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			tls_same_record(p.c, p.c_out, &c, &s, msg, lens[k]);
			tls_same_record(p.s, p.s_out, &s, &c, msg + k, lens[k]);
		}
		/* a changed byte, a record sent again */
		assert_int_equal(SSL_write(p.s, msg, 100), 100);
		n = BIO_read(p.s_out, rec, sizeof(rec));
		memcpy(again, rec, (size_t)n);
		rec[n - 1] ^= 1;
		{
			struct dtlsrec c2 = c;

			assert_int_equal(dtlsrec_open(&c2, ctx, rec, (size_t)n, &m), DTLSREC_FORGED);
			assert_int_equal(c2.rtop, c.rtop); /* nothing moved */
		}
		assert_int_equal(dtlsrec_open(&c, ctx, again, (size_t)n, &m), DTLSREC_DATA);
		memcpy(rec, again, (size_t)n);
		assert_true(dtlsrec_open(&c, ctx, rec, (size_t)n, &m) > DTLSREC_HANDSHAKE);
		s.wseq++; /* (that record was OpenSSL's server's, not sealed by s) */
		tls_same_record(p.c, p.c_out, &c, &s, NULL, 0);
		tls_same_record(p.s, p.s_out, &s, &c, NULL, 0);
		tls_pair_close(&p);
	}
}

static int group_setup(void **state)
{
	(void)state;
	ctx = dtlsrec_ctx_new();
	return ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	dtlsrec_ctx_free(ctx);
	X509_free(tls_cert);
	EVP_PKEY_free(tls_key);
	return 0;
}

int main(void)
{
	static const struct {
		const char *what;
		CMUnitTestFunction fn;
	} kinds[] = {{"both ways", test_both_ways},
		     {"alerts", test_alerts},
		     {"window", test_window},
		     {"tamper", test_tamper},
		     {"no allocation", test_no_allocation},
		     {"hand-over", test_hand_over}};
	enum { K = sizeof(kinds) / sizeof(kinds[0]) };
	static struct CMUnitTest tests[(K + 2) * N_FLAVOURS + 2];
	static char names[K * N_FLAVOURS][80], early[2 * N_FLAVOURS][80];
	size_t n = 0, ne = 0;

	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
		fprintf(stderr, "test_dtlsrec: allocations cannot be counted\n");
	for (size_t i = 0; i < N_FLAVOURS; i++)
		for (size_t k = 0; k < K; k++, n++) {
			snprintf(names[n], sizeof(names[n]), "%s: %s%s", kinds[k].what,
				 flavours[i].suite, flavours[i].hdr12 ? " (X-DTLS12)" : "");
			tests[n] = (struct CMUnitTest){names[n], kinds[k].fn, NULL, NULL,
						       (void *)&flavours[i]};
		}
	for (size_t i = 0; i < N_FLAVOURS; i++)
		if (flavours[i].how == PSK) {
			snprintf(early[ne], sizeof(early[ne]), "first record early: %s",
				 flavours[i].suite);
			tests[n++] = (struct CMUnitTest){early[ne++], test_first_record_early, NULL,
							 NULL, (void *)&flavours[i]};
			snprintf(early[ne], sizeof(early[ne]), "last flight again: %s",
				 flavours[i].suite);
			tests[n++] = (struct CMUnitTest){early[ne++], test_last_flight_again, NULL,
							 NULL, (void *)&flavours[i]};
		}
	tests[n++] = (struct CMUnitTest){"refusals", test_refusals, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"TLS: the same bytes as OpenSSL's", test_tls_same_as_openssl,
					 NULL, NULL, NULL};
	return _cmocka_run_group_tests("dtlsrec", tests, n, group_setup, group_teardown);
}
