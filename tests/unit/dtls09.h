/*
 * tests/unit/dtls09.h - the headend's side of a legacy DTLS 0.9 resumption, by hand.
 *
 * An IP phone brings DTLS up the way Cisco's AnyConnect headends expect:
 * DTLS 0.9 (version 0x0100, OpenSSL's DTLS1_BAD_VER), resuming a session
 * made from the master secret it sent in CONNECT (X-DTLS-Master-Secret)
 * under the session ID the headend gave (X-DTLS-Session-ID), with the one
 * suite the headend chose (X-DTLS-CipherSuite). OpenSSL speaks DTLS 0.9 as
 * a client only, so the test headend plays the server here, as ocserv
 * (GnuTLS) does:
 *
 *   phone: ClientHello (no cookie)      -> HelloVerifyRequest (a cookie)
 *   phone: ClientHello (the cookie)     -> ServerHello, ChangeCipherSpec,
 *                                          Finished (epoch 1), one datagram
 *   phone: ChangeCipherSpec, Finished   -> checked: the session is up
 *   then application records both ways (a CSTP type byte and its payload).
 *
 * What DTLS 0.9 does differently from DTLS 1.0: its handshake hash leaves
 * out the 12-byte DTLS handshake header of each message, and its
 * ChangeCipherSpec carries the handshake message sequence (3 bytes, not 1).
 * Keys and Finished come from the TLS 1.0 PRF (MD5 and SHA-1) of the
 * master secret; records are AES-CBC with an explicit IV and HMAC-SHA1 over
 * epoch, sequence, type, version, length and data. AES256-SHA (0x0035), the
 * phones' first DTLS suite, is served unless d09_suite() picks AES128-SHA
 * (0x002f); d->flaws make a headend that gets something wrong on purpose.
 */
#ifndef TESTS_UNIT_DTLS09_H
#define TESTS_UNIT_DTLS09_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#define D09_VERSION 0x0100
#define D09_SUITE   0x0035 /* AES256-SHA */
#define D09_REC	    13	   /* record header: type, version, epoch, sequence (6), length */
#define D09_HS	    12	   /* handshake header: type, length (3), seq (2), offset (3), length (3) */
#define D09_MAC	    20
#define D09_KEY	    32	   /* the largest key (AES-256) */

/* What a broken headend gets wrong (d->flaws) */
#define D09_FLAW_FINISHED 1u /* its Finished's verify data (the record itself is sound) */
#define D09_FLAW_NO_VERIFY 2u /* no HelloVerifyRequest: the first hello is answered */

enum d09_stage { D09_HELLO, D09_FINISHED, D09_UP, D09_FAILED };

struct dtls09 {
	uint8_t master[48], sid[32], cookie[20];
	uint16_t suite;	  /* 0x0035 AES256-SHA or 0x002f AES128-SHA */
	unsigned key_len; /* its AES key, bytes */
	unsigned flaws;	  /* D09_FLAW_* */
	uint8_t crand[32], srand[32];
	uint8_t kb[2 * D09_MAC + 2 * D09_KEY + 2 * 16]; /* the key block, client's half first */
	uint8_t fin[D09_HS + 12]; /* its Finished, for d09_finished_again */
	EVP_MD_CTX *hs; /* MD5+SHA-1 of the handshake, headers left out */
	enum d09_stage stage;
	uint64_t tx_seq[2]; /* the next record sequence, by epoch */
	BIO *out;	    /* datagrams to the phone (borrowed) */
	const char *why;    /* D09_FAILED: what the phone got wrong */
};

#define D09_CLIENT_MAC(d) ((d)->kb)
#define D09_SERVER_MAC(d) ((d)->kb + D09_MAC)
#define D09_CLIENT_KEY(d) ((d)->kb + 2 * D09_MAC)
#define D09_SERVER_KEY(d) ((d)->kb + 2 * D09_MAC + (d)->key_len)
#define D09_CIPHER(d)	  ((d)->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc())

static inline void d09_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void d09_put24(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 16);
	d09_put16(p + 1, v);
}

static inline unsigned d09_get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The TLS 1.0 PRF of the master secret: out[0..n) from label || a || b. */
static inline bool d09_prf(const struct dtls09 *d, const char *label, const uint8_t *a, size_t alen,
			   const uint8_t *b, size_t blen, uint8_t *out, size_t n)
{
	uint8_t seed[128];
	size_t l = strlen(label);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	bool ok;

	memcpy(seed, label, l);
	memcpy(seed + l, a, alen);
	if (blen)
		memcpy(seed + l + alen, b, blen);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "MD5-SHA1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)d->master, 48);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, l + alen + blen);
	params[3] = OSSL_PARAM_construct_end();
	ok = ctx && EVP_KDF_derive(ctx, out, n, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* The Finished of one side (label "server finished" or "client finished"), over the hash so far. */
static inline bool d09_finished(const struct dtls09 *d, const char *label, uint8_t out[12])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	bool ok = c && EVP_MD_CTX_copy_ex(c, d->hs) && EVP_DigestFinal_ex(c, h, &hl) &&
		  d09_prf(d, label, h, hl, NULL, 0, out, 12);

	EVP_MD_CTX_free(c);
	return ok;
}

/* A record's header into r: type, version, epoch, its next sequence, length len. */
static inline void d09_header(struct dtls09 *d, uint8_t *r, uint8_t type, unsigned epoch,
			      size_t len)
{
	uint64_t seq = d->tx_seq[epoch]++;

	r[0] = type;
	d09_put16(r + 1, D09_VERSION);
	d09_put16(r + 3, epoch);
	for (int i = 0; i < 6; i++)
		r[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	d09_put16(r + 11, (unsigned)len);
}

/* HMAC-SHA1 of a record: header fields (epoch, sequence, type, version, length) and data. */
static inline void d09_mac(const uint8_t *key, const uint8_t *rec_header, const uint8_t *data,
			   size_t len, uint8_t out[D09_MAC])
{
	uint8_t m[D09_REC + 2048];

	memcpy(m, rec_header + 3, 8); /* epoch and sequence */
	m[8] = rec_header[0];
	memcpy(m + 9, rec_header + 1, 2);
	d09_put16(m + 11, (unsigned)len);
	memcpy(m + 13, data, len);
	HMAC(EVP_sha1(), key, D09_MAC, m, 13 + len, out, NULL);
}

/* An epoch 1 record of data[0..len) into r: header, IV, CBC of data, MAC and padding. */
static inline size_t d09_seal(struct dtls09 *d, uint8_t *r, uint8_t type, const uint8_t *data,
			      size_t len)
{
	uint8_t plain[2048 + 64], *iv = r + D09_REC;
	size_t n = len, pad = 15 - ((len + D09_MAC) % 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;

	d09_header(d, r, type, 1, 16 + len + D09_MAC + pad + 1);
	memcpy(plain, data, len);
	d09_mac(D09_SERVER_MAC(d), r, data, len, plain + n);
	n += D09_MAC;
	for (size_t i = 0; i <= pad; i++)
		plain[n++] = (uint8_t)pad;
	RAND_bytes(iv, 16);
	EVP_CipherInit_ex(c, D09_CIPHER(d), NULL, D09_SERVER_KEY(d), iv, 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_CipherUpdate(c, r + D09_REC + 16, &outl, plain, (int)n);
	EVP_CIPHER_CTX_free(c);
	return D09_REC + 16 + n;
}

/*
 * Open the epoch 1 record rec (header and body of blen bytes) from the
 * phone into out: the data's length, or -1 when its padding or MAC is wrong.
 */
static inline int d09_open(const struct dtls09 *d, const uint8_t *rec, size_t blen, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t mac[D09_MAC];
	int outl = 0;
	size_t pad, len;

	if (blen < 32 || (blen - 16) % 16 || blen - 16 > 2048)
		return -1;
	EVP_CipherInit_ex(c, D09_CIPHER(d), NULL, D09_CLIENT_KEY(d), rec + D09_REC, 0);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_CipherUpdate(c, out, &outl, rec + D09_REC + 16, (int)(blen - 16));
	EVP_CIPHER_CTX_free(c);
	pad = out[blen - 17];
	if (pad + 1 + D09_MAC > blen - 16)
		return -1;
	len = blen - 16 - pad - 1 - D09_MAC;
	d09_mac(D09_CLIENT_MAC(d), rec, out, len, mac);
	return memcmp(mac, out + len, D09_MAC) ? -1 : (int)len;
}

/* A handshake message's header into m: type, length len, sequence seq, whole. */
static inline void d09_hs_header(uint8_t *m, uint8_t type, unsigned seq, size_t len)
{
	m[0] = type;
	d09_put24(m + 1, (unsigned)len);
	d09_put16(m + 4, seq);
	d09_put24(m + 6, 0);
	d09_put24(m + 9, (unsigned)len);
}

static inline void d09_init(struct dtls09 *d, const uint8_t master[48], const uint8_t sid[32],
			    BIO *out)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->master, master, 48);
	memcpy(d->sid, sid, 32);
	d->suite = D09_SUITE;
	d->key_len = 32;
	RAND_bytes(d->cookie, sizeof(d->cookie));
	RAND_bytes(d->srand, sizeof(d->srand));
	d->hs = EVP_MD_CTX_new();
	EVP_DigestInit_ex(d->hs, EVP_md5_sha1(), NULL);
	d->out = out;
}

/* Serve suite (0x0035 AES256-SHA, 0x002f AES128-SHA) instead. */
static inline void d09_suite(struct dtls09 *d, uint16_t suite)
{
	d->suite = suite;
	d->key_len = suite == 0x002f ? 16 : 32;
}

static inline void d09_free(struct dtls09 *d)
{
	EVP_MD_CTX_free(d->hs);
	d->hs = NULL;
}

static inline void d09_fail(struct dtls09 *d, const char *why)
{
	d->stage = D09_FAILED;
	d->why = why;
}

/* A ClientHello (its body ch[0..len)): a cookie asked for, or the resumption answered. */
static inline void d09_client_hello(struct dtls09 *d, const uint8_t *ch, size_t len)
{
	uint8_t dg[512], *m;
	size_t n = 0, off = 2 + 32;
	bool offered = false;
	unsigned seq = d->flaws & D09_FLAW_NO_VERIFY ? 0 : 1; /* the ServerHello's */

	if (len < off + 1 + 32 + 1 || d09_get16(ch) != D09_VERSION)
		return d09_fail(d, "a ClientHello that is not DTLS 0.9");
	if (ch[off] != 32 || memcmp(ch + off + 1, d->sid, 32))
		return d09_fail(d, "a ClientHello that does not resume the headend's session ID");
	off += 1 + 32;
	if (ch[off] == 0 && !(d->flaws & D09_FLAW_NO_VERIFY)) {
		/* no cookie yet: HelloVerifyRequest (its hello is not in the hash) */
		m = dg + D09_REC;
		d09_hs_header(m, 3, 0, 3 + sizeof(d->cookie));
		d09_put16(m + D09_HS, D09_VERSION);
		m[D09_HS + 2] = sizeof(d->cookie);
		memcpy(m + D09_HS + 3, d->cookie, sizeof(d->cookie));
		d09_header(d, dg, 22, 0, D09_HS + 3 + sizeof(d->cookie));
		BIO_write(d->out, dg, (int)(D09_REC + D09_HS + 3 + sizeof(d->cookie)));
		return;
	}
	if (!(d->flaws & D09_FLAW_NO_VERIFY) &&
	    (ch[off] != sizeof(d->cookie) || memcmp(ch + off + 1, d->cookie, sizeof(d->cookie))))
		return d09_fail(d, "a ClientHello with a cookie not ours");
	off += 1 + ch[off];
	for (size_t i = 0; off + 2 + i + 1 < len && i < d09_get16(ch + off); i += 2)
		offered |= d09_get16(ch + off + 2 + i) == d->suite;
	if (!offered)
		return d09_fail(d, "a ClientHello without the headend's suite");
	memcpy(d->crand, ch + 2, 32);
	EVP_DigestUpdate(d->hs, ch, len);

	/* ServerHello: the session resumed, with the suite the CONNECT reply named */
	m = dg + D09_REC;
	d09_hs_header(m, 2, seq, 2 + 32 + 1 + 32 + 2 + 1);
	d09_put16(m + D09_HS, D09_VERSION);
	memcpy(m + D09_HS + 2, d->srand, 32);
	m[D09_HS + 34] = 32;
	memcpy(m + D09_HS + 35, d->sid, 32);
	d09_put16(m + D09_HS + 67, d->suite);
	m[D09_HS + 69] = 0;
	d09_header(d, dg, 22, 0, D09_HS + 70);
	EVP_DigestUpdate(d->hs, m + D09_HS, 70);
	n = D09_REC + D09_HS + 70;

	/* ChangeCipherSpec: DTLS 0.9 carries the handshake sequence (2) in it */
	d09_header(d, dg + n, 20, 0, 3);
	dg[n + D09_REC] = 1;
	d09_put16(dg + n + D09_REC + 1, seq + 1);
	n += D09_REC + 3;

	/* keys, then Finished in epoch 1 */
	uint8_t fin[D09_HS + 12];

	if (!d09_prf(d, "key expansion", d->srand, 32, d->crand, 32, d->kb, sizeof(d->kb)) ||
	    !d09_finished(d, "server finished", fin + D09_HS))
		return d09_fail(d, "the PRF failed");
	d09_hs_header(fin, 20, seq + 2, 12);
	EVP_DigestUpdate(d->hs, fin + D09_HS, 12);
	if (d->flaws & D09_FLAW_FINISHED)
		fin[D09_HS] ^= 1;
	memcpy(d->fin, fin, sizeof(fin));
	n += d09_seal(d, dg + n, 22, fin, sizeof(fin));
	BIO_write(d->out, dg, (int)n);
	d->stage = D09_FINISHED;
}

/*
 * One datagram from the phone. Application data it carries (once the
 * session is up) goes to on_data(arg, data, len). A handshake the phone
 * gets wrong leaves the server D09_FAILED, d->why saying what.
 */
static inline void d09_input(struct dtls09 *d, const uint8_t *dg, size_t n,
			     void (*on_data)(void *arg, const uint8_t *data, size_t len), void *arg)
{
	uint8_t plain[2048 + 64];

	for (size_t off = 0; off + D09_REC <= n && d->stage != D09_FAILED;) {
		const uint8_t *rec = dg + off, *body = rec + D09_REC;
		size_t blen = d09_get16(rec + 11);
		unsigned epoch = d09_get16(rec + 3);

		if (off + D09_REC + blen > n || d09_get16(rec + 1) != D09_VERSION)
			return d09_fail(d, "a record that is not DTLS 0.9");
		off += D09_REC + blen;
		if (d->stage == D09_HELLO && rec[0] == 22 && epoch == 0 && blen > D09_HS &&
		    body[0] == 1) {
			d09_client_hello(d, body + D09_HS, blen - D09_HS);
		} else if (d->stage == D09_FINISHED && rec[0] == 20 && epoch == 0) {
			if (blen != 3 || body[0] != 1 ||
			    d09_get16(body + 1) != (d->flaws & D09_FLAW_NO_VERIFY ? 1u : 2u))
				return d09_fail(d, "a ChangeCipherSpec without its sequence");
		} else if (d->stage == D09_FINISHED && rec[0] == 22 && epoch == 1) {
			uint8_t want[12];
			int len = d09_open(d, rec, blen, plain);

			if (len != D09_HS + 12 || plain[0] != 20)
				return d09_fail(d, "a Finished that does not decrypt");
			if (!d09_finished(d, "client finished", want) ||
			    memcmp(want, plain + D09_HS, 12))
				return d09_fail(d, "a Finished that does not match the handshake");
			d->stage = D09_UP;
		} else if (d->stage == D09_UP && rec[0] == 23 && epoch == 1) {
			int len = d09_open(d, rec, blen, plain);

			if (len < 0)
				return d09_fail(d, "a record whose MAC is wrong");
			on_data(arg, plain, (size_t)len);
		}
	}
}

/* Its Finished again, in a datagram of its own (it did not get the phone's). */
static inline void d09_finished_again(struct dtls09 *d)
{
	uint8_t dg[D09_REC + 16 + 64];

	BIO_write(d->out, dg, (int)d09_seal(d, dg, 22, d->fin, sizeof(d->fin)));
}

/* Application data to the phone, in one record of its own datagram. */
static inline void d09_send(struct dtls09 *d, const uint8_t *data, size_t len)
{
	uint8_t dg[D09_REC + 16 + 2048 + 64];

	BIO_write(d->out, dg, (int)d09_seal(d, dg, 23, data, len));
}

#endif
