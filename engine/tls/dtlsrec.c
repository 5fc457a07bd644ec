/*
 * engine/tls/dtlsrec.c - the DTLS record layer after the handshake (dtlsrec.h).
 *
 * Keys: the standard key expansion, PRF(master, "key expansion",
 * server_random || client_random) cut into client MAC, server MAC, client
 * key, server key, client IV, server IV; the PRF is TLS 1.0's (MD5+SHA-1)
 * for DTLS 0.9 and 1.0, SHA-256 or the suite's SHA-384 for DTLS 1.2.
 * Sequence numbers: OpenSSL does not tell them, so dtlsrec_watch installs a
 * message callback that sees every record header OpenSSL writes or reads;
 * the handshake's last epoch-1 numbers are where the record layer goes on.
 * Everything at or below the highest one received counts as seen.
 *
 * Records. CBC: HMAC-SHA1 over epoch||seq, type, version, length and the
 * plaintext, then TLS padding (n+1 bytes of value n, the fewest that fill
 * the block), encrypted under an explicit IV. That IV is the first cipher
 * block of a CBC pass over [nonce block | plaintext | MAC | padding]: the
 * block cipher applied to a per-record nonce (salt, epoch, seq) XOR the
 * context's previous block, the "encrypt a nonce" IV of NIST SP 800-38A
 * appendix C, unpredictable without the key and set without an extra call.
 * Opening decrypts IV and body in one pass and drops the first block. The
 * padding is checked over the last 256 bytes whatever its length, a bad
 * one is taken as zero padding so the MAC is still computed, and the MAC
 * is padded with dummy SHA-1 blocks to the count of the longest plaintext
 * the record could hold: the work is the same for every padding value but
 * for where the MAC is read (constant-ish, as the brief says; Lucky13's
 * network timing is gone). GCM: nonce = implicit IV (4) || epoch||seq (8),
 * which is also the explicit nonce on the wire (OpenSSL 3.0 sends a random
 * start plus a counter instead; both are unique per key, which is all the
 * receiver assumes). ChaCha20-Poly1305: nonce = IV XOR epoch||seq.
 *
 * Why SHA1_Init and friends, deprecated in OpenSSL 3.0: every EVP digest or
 * EVP_MAC init in 3.0 allocates (measured: 1 to 2.5 mallocs a call), and a
 * record must cost no allocation. The low-level SHA-1 is the same assembly.
 * The key expansion's PRF is on the low-level hashes too (see prf()).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "engine/tls/dtlsrec.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define MAC_LEN	      20u /* HMAC-SHA1 */
#define TAG_LEN	      16u /* GCM and Poly1305 */
#define MAX_PLAINTEXT 16384

#define V_BAD	       0x0100 /* DTLS1_BAD_VER, "DTLS 0.9" */
#define V_10	       0xfeff
#define V_12	       0xfefd
#define V_TLS11	       0x0302
#define V_TLS12	       0x0303
#define TLS_HEADER_LEN 5 /* type, version, length */

/* struct dtlsrec.flags, while dtlsrec_watch fills it */
#define F_WATCHED  0x01
#define F_SENT	   0x02 /* a record of ours seen in epoch 1 */
#define F_RECEIVED 0x04 /* a record of the peer seen in epoch 1 */
#define F_APP_SEEN 0x08 /* ... and one of those was application data */
/* and once keyed */
#define F_STREAM 0x10 /* TLS over a stream: 5-byte headers, implicit sequence numbers */
#define F_ETM	 0x20 /* TLS CBC with encrypt-then-MAC (RFC 7366) */

/* ==== Suites ==== */

enum kind { K_CBC, K_GCM, K_CHACHA };

static const char *const cipher_names[] = {"AES-128-CBC", "AES-256-CBC", "AES-128-GCM",
					   "AES-256-GCM", "ChaCha20-Poly1305"};
#define N_CIPHERS (sizeof(cipher_names) / sizeof(cipher_names[0]))

struct suite {
	uint16_t id;	 /* IANA number */
	uint8_t kind;	 /* enum kind */
	uint8_t key_len; /* cipher key bytes */
	uint8_t iv_len;	 /* implicit IV bytes from the key block (AEAD) */
	uint8_t xlen;	 /* bytes after the header: explicit IV (CBC: the AES block) or nonce */
	uint8_t cipher;	 /* index in cipher_names */
	bool sha384;	 /* DTLS 1.2 PRF hash is SHA-384 (else SHA-256) */
};

static const struct suite suites[] = {
    {0, 0, 0, 0, 0, 0, false},		     /* 0: not keyed */
    {0x002f, K_CBC, 16, 0, 16, 0, false},    /* AES128-SHA */
    {0x0035, K_CBC, 32, 0, 16, 1, false},    /* AES256-SHA */
    {0x008c, K_CBC, 16, 0, 16, 0, false},    /* PSK-AES128-CBC-SHA */
    {0x008d, K_CBC, 32, 0, 16, 1, false},    /* PSK-AES256-CBC-SHA */
    {0x009c, K_GCM, 16, 4, 8, 2, false},     /* AES128-GCM-SHA256 */
    {0x009d, K_GCM, 32, 4, 8, 3, true},	     /* AES256-GCM-SHA384 */
    {0x00a8, K_GCM, 16, 4, 8, 2, false},     /* PSK-AES128-GCM-SHA256 */
    {0x00a9, K_GCM, 32, 4, 8, 3, true},	     /* PSK-AES256-GCM-SHA384 */
    {0xccab, K_CHACHA, 32, 12, 0, 4, false}, /* PSK-CHACHA20-POLY1305 */
    /* TLS's key exchanges with the same record protection (the CSTP channel: tls.h) */
    {0x0033, K_CBC, 16, 0, 16, 0, false}, /* DHE-RSA-AES128-SHA */
    {0x0039, K_CBC, 32, 0, 16, 1, false}, /* DHE-RSA-AES256-SHA */
    {0xc009, K_CBC, 16, 0, 16, 0, false}, /* ECDHE-ECDSA-AES128-SHA */
    {0xc00a, K_CBC, 32, 0, 16, 1, false}, /* ECDHE-ECDSA-AES256-SHA */
    {0xc013, K_CBC, 16, 0, 16, 0, false}, /* ECDHE-RSA-AES128-SHA */
    {0xc014, K_CBC, 32, 0, 16, 1, false}, /* ECDHE-RSA-AES256-SHA */
    {0x009e, K_GCM, 16, 4, 8, 2, false},  /* DHE-RSA-AES128-GCM-SHA256 */
    {0x009f, K_GCM, 32, 4, 8, 3, true},	  /* DHE-RSA-AES256-GCM-SHA384 */
    {0xc02b, K_GCM, 16, 4, 8, 2, false},  /* ECDHE-ECDSA-AES128-GCM-SHA256 */
    {0xc02c, K_GCM, 32, 4, 8, 3, true},	  /* ECDHE-ECDSA-AES256-GCM-SHA384 */
    {0xc02f, K_GCM, 16, 4, 8, 2, false},  /* ECDHE-RSA-AES128-GCM-SHA256 */
    {0xc030, K_GCM, 32, 4, 8, 3, true},	  /* ECDHE-RSA-AES256-GCM-SHA384 */
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static unsigned find_suite(uint16_t id)
{
	for (unsigned i = 1; i < N_SUITES; i++)
		if (suites[i].id == id)
			return i;
	return 0;
}

/* ==== Per-thread contexts ==== */

/* One direction's context for one cipher, and whose keys it holds. */
struct dir_ctx {
	EVP_CIPHER_CTX *evp;  /* owned; created at first use */
	uint64_t id;	      /* struct dtlsrec id whose keys are loaded, 0 none */
	SHA_CTX inner, outer; /* HMAC-SHA1 (CBC): states after the padded key */
};

/*
 * A context per cipher and direction: a worker whose phones use several
 * suites re-keys on a switch but never changes a context's cipher, which
 * would free and allocate OpenSSL's provider state.
 */
struct dtlsrec_ctx {
	struct dir_ctx seal[N_CIPHERS], open[N_CIPHERS];
	EVP_CIPHER *ciphers[N_CIPHERS]; /* owned, fetched once */
};

static atomic_uint_fast64_t next_id = 1;

struct dtlsrec_ctx *dtlsrec_ctx_new(void)
{
	struct dtlsrec_ctx *c = OPENSSL_zalloc(sizeof(*c));

	if (!c)
		return NULL;
	for (unsigned i = 0; i < N_CIPHERS; i++) {
		c->ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
		if (!c->ciphers[i]) {
			dtlsrec_ctx_free(c);
			return NULL;
		}
	}
	return c;
}

void dtlsrec_ctx_free(struct dtlsrec_ctx *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < N_CIPHERS; i++) {
		EVP_CIPHER_CTX_free(c->seal[i].evp);
		EVP_CIPHER_CTX_free(c->open[i].evp);
		EVP_CIPHER_free(c->ciphers[i]);
	}
	OPENSSL_clear_free(c, sizeof(*c));
}

/* An HMAC pad: block bytes of fill (0x36 inner, 0x5c outer) XOR the key (key_len <= block). */
static void hmac_pad(uint8_t *pad, unsigned block, uint8_t fill, const uint8_t *key,
		     size_t key_len)
{
	memset(pad, fill, block);
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
}

/*
 * An HMAC-SHA1 key as it is kept (struct dtlsrec's wmac, rmac): the SHA-1
 * chaining values after the inner padded key block, then after the outer
 * one. Done once a session, so that a context re-keyed for every record
 * (a worker's phones taking turns) hashes no key block per record.
 */
static void hmac_state(uint32_t st[10], const uint8_t key[MAC_LEN])
{
	uint8_t pad[64];
	SHA_CTX x;

	for (int i = 0; i < 2; i++) {
		hmac_pad(pad, sizeof(pad), i ? 0x5c : 0x36, key, MAC_LEN);
		SHA1_Init(&x);
		SHA1_Update(&x, pad, sizeof(pad));
		st[5 * i + 0] = x.h0;
		st[5 * i + 1] = x.h1;
		st[5 * i + 2] = x.h2;
		st[5 * i + 3] = x.h3;
		st[5 * i + 4] = x.h4;
	}
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&x, sizeof(x));
}

/* A SHA-1 context that has hashed one 64-byte block and has chaining values h. */
static void sha1_resume(SHA_CTX *x, const uint32_t h[5])
{
	x->h0 = h[0];
	x->h1 = h[1];
	x->h2 = h[2];
	x->h3 = h[3];
	x->h4 = h[4];
	x->Nl = 512; /* bits so far */
	x->Nh = 0;
	x->num = 0; /* no bytes of a block waiting (data[] is not read until written) */
}

static void hmac_key(struct dir_ctx *d, const uint32_t st[10])
{
	sha1_resume(&d->inner, st);
	sha1_resume(&d->outer, st + 5);
}

/*
 * The context holding r's keys for one direction (enc: the send keys), or
 * NULL if libcrypto fails. Loading is skipped when it holds them already,
 * which is every record when a session has the context to itself, and is
 * a key schedule (and the HMAC pads) when sessions share it.
 */
static struct dir_ctx *load(struct dtlsrec_ctx *c, const struct dtlsrec *r, int enc)
{
	const struct suite *s = &suites[r->suite];
	struct dir_ctx *d = enc ? &c->seal[s->cipher] : &c->open[s->cipher];
	const EVP_CIPHER *type = NULL;

	if (d->id == r->id)
		return d;
	if (!d->evp) {
		d->evp = EVP_CIPHER_CTX_new();
		if (!d->evp)
			return NULL;
		type = c->ciphers[s->cipher];
	}
	d->id = 0;
	if (!EVP_CipherInit_ex(d->evp, type, NULL, enc ? r->wkey : r->rkey, NULL, enc))
		return NULL;
	if (s->kind == K_CBC)
		hmac_key(d, enc ? r->wmac : r->rmac);
	d->id = r->id;
	return d;
}

/* ==== Keys ==== */

/*
 * The PRF (RFC 2246 5, RFC 5246 5) on the low-level hashes, as the records'
 * HMAC-SHA1 is: OpenSSL 3.0's TLS1-PRF KDF fetches its HMACs and digests by
 * name at every derivation (two of each for TLS 1.0's MD5+SHA-1). Measured
 * here, dtlsrec_init went from 13.4 to 4.8 us for DTLS 0.9 and from 4.9 to
 * 1.8 us for TLS 1.2 (a tunnel has one of each). Same function, same bytes
 * (test_dtlsrec checks them against OpenSSL's PRF).
 */
union hash_state {
	MD5_CTX md5;
	SHA_CTX sha1;
	SHA256_CTX sha256;
	SHA512_CTX sha512;
};

enum prf_hash { H_MD5, H_SHA1, H_SHA256, H_SHA384 };

static const struct {
	unsigned len, block; /* digest and block sizes, bytes */
} hashes[] = {
    [H_MD5] = {16, 64}, [H_SHA1] = {20, 64}, [H_SHA256] = {32, 64}, [H_SHA384] = {48, 128}};

static void hash_init(enum prf_hash h, union hash_state *x)
{
	switch (h) {
	case H_MD5:
		MD5_Init(&x->md5);
		break;
	case H_SHA1:
		SHA1_Init(&x->sha1);
		break;
	case H_SHA256:
		SHA256_Init(&x->sha256);
		break;
	case H_SHA384:
		SHA384_Init(&x->sha512);
		break;
	}
}

static void hash_update(enum prf_hash h, union hash_state *x, const void *d, size_t n)
{
	switch (h) {
	case H_MD5:
		MD5_Update(&x->md5, d, n);
		break;
	case H_SHA1:
		SHA1_Update(&x->sha1, d, n);
		break;
	case H_SHA256:
		SHA256_Update(&x->sha256, d, n);
		break;
	case H_SHA384:
		SHA384_Update(&x->sha512, d, n);
		break;
	}
}

static void hash_final(enum prf_hash h, union hash_state *x, uint8_t *out)
{
	switch (h) {
	case H_MD5:
		MD5_Final(out, &x->md5);
		break;
	case H_SHA1:
		SHA1_Final(out, &x->sha1);
		break;
	case H_SHA256:
		SHA256_Final(out, &x->sha256);
		break;
	case H_SHA384:
		SHA384_Final(out, &x->sha512);
		break;
	}
}

/* HMAC with the states after the padded key (key_len <= the block size). */
struct hmac {
	enum prf_hash h;
	union hash_state inner, outer;
};

static void hmac_init(struct hmac *m, enum prf_hash h, const uint8_t *key, size_t key_len)
{
	uint8_t pad[128];
	unsigned block = hashes[h].block;

	m->h = h;
	hmac_pad(pad, block, 0x36, key, key_len);
	hash_init(h, &m->inner);
	hash_update(h, &m->inner, pad, block);
	hmac_pad(pad, block, 0x5c, key, key_len);
	hash_init(h, &m->outer);
	hash_update(h, &m->outer, pad, block);
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC(key, a || b) into out (hashes[h].len bytes); b may be empty. */
static void hmac2(const struct hmac *m, const uint8_t *a, size_t a_len, const uint8_t *b,
		  size_t b_len, uint8_t *out)
{
	union hash_state x = m->inner;

	hash_update(m->h, &x, a, a_len);
	if (b_len)
		hash_update(m->h, &x, b, b_len);
	hash_final(m->h, &x, out);
	x = m->outer;
	hash_update(m->h, &x, out, hashes[m->h].len);
	hash_final(m->h, &x, out);
	OPENSSL_cleanse(&x, sizeof(x));
}

/* P_hash(secret, seed) XORed into out (len bytes). */
static void p_hash_xor(enum prf_hash h, const uint8_t *secret, size_t secret_len,
		       const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
	struct hmac m;
	uint8_t a[64], block[64];
	unsigned n = hashes[h].len;

	hmac_init(&m, h, secret, secret_len);
	hmac2(&m, seed, seed_len, NULL, 0, a); /* A(1) */
	for (size_t off = 0; off < len; off += n) {
		hmac2(&m, a, n, seed, seed_len, block);
		for (size_t i = 0; i < n && off + i < len; i++)
			out[off + i] ^= block[i];
		hmac2(&m, a, n, NULL, 0, a); /* A(i+1) */
	}
	OPENSSL_cleanse(&m, sizeof(m));
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(block, sizeof(block));
}

/*
 * PRF(secret, seed) into out: TLS 1.2's with SHA-256 or SHA-384 (v12), else
 * TLS 1.0's, P_MD5 over the secret's first half XOR P_SHA1 over its second
 * (the halves share the middle byte when the length is odd). The secret is
 * at most a block (it is the 48-byte master secret).
 */
static void prf(bool v12, bool sha384, const uint8_t *secret, size_t secret_len,
		const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
	memset(out, 0, len);
	if (v12) {
		p_hash_xor(sha384 ? H_SHA384 : H_SHA256, secret, secret_len, seed, seed_len, out,
			   len);
		return;
	}
	size_t half = (secret_len + 1) / 2;

	p_hash_xor(H_MD5, secret, half, seed, seed_len, out, len);
	p_hash_xor(H_SHA1, secret + secret_len - half, half, seed, seed_len, out, len);
}

void dtlsrec_prf10(const uint8_t master[48], const uint8_t *seed, size_t seed_len, uint8_t *out,
		   size_t len)
{
	prf(false, false, master, 48, seed, seed_len, out, len);
}

int dtlsrec_init(struct dtlsrec *r, const struct dtlsrec_params *p)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof(label) - 1 + 64], kb[2 * (MAC_LEN + 32 + 12)];
	unsigned idx = find_suite(p->suite);
	const struct suite *s = &suites[idx];
	size_t mac, n;

	bool stream = p->version == V_TLS11 || p->version == V_TLS12;
	bool v12 = p->version == V_12 || p->version == V_TLS12;

	if (!idx || (p->version != V_BAD && p->version != V_10 && !v12 && !stream))
		return -ENOTSUP;
	if (s->kind != K_CBC && !v12)
		return -ENOTSUP;
	mac = s->kind == K_CBC ? MAC_LEN : 0;
	n = 2 * (mac + s->key_len + s->iv_len);
	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, p->server_random, 32);
	memcpy(seed + sizeof(label) - 1 + 32, p->client_random, 32);
	prf(v12, s->sha384, p->master, 48, seed, sizeof(seed), kb, n);

	const uint8_t *cmac = kb, *smac = kb + mac, *ckey = kb + 2 * mac;
	const uint8_t *skey = ckey + s->key_len, *civ = skey + s->key_len, *siv = civ + s->iv_len;

	memset(r, 0, sizeof(*r));
	if (RAND_bytes(r->salt, sizeof(r->salt)) != 1) {
		OPENSSL_cleanse(kb, sizeof(kb));
		return -EPROTO;
	}
	r->suite = (uint8_t)idx;
	r->version = p->version;
	r->epoch = stream ? 0 : p->epoch;
	r->wseq = p->wseq;
	if (stream) {
		r->flags = F_STREAM | (p->etm && s->kind == K_CBC ? F_ETM : 0);
		r->rtop = p->rtop; /* the next sequence number to receive */
	} else if (!p->rnone) {
		r->rtop = p->rtop;
		r->rmap = ~(uint64_t)0;
	}
	if (mac) {
		hmac_state(r->wmac, p->server ? smac : cmac);
		hmac_state(r->rmac, p->server ? cmac : smac);
	}
	memcpy(r->wkey, p->server ? skey : ckey, s->key_len);
	memcpy(r->rkey, p->server ? ckey : skey, s->key_len);
	memcpy(r->wiv, p->server ? siv : civ, s->iv_len);
	memcpy(r->riv, p->server ? civ : siv, s->iv_len);
	r->id = atomic_fetch_add(&next_id, 1);
	OPENSSL_cleanse(kb, sizeof(kb));
	return 0;
}

void dtlsrec_clear(struct dtlsrec *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}

/* ==== Taking over from OpenSSL ==== */

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

/* OpenSSL's message callback: every record header it writes or reads. */
static void watch_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		     SSL *ssl, void *arg)
{
	struct dtlsrec *r = arg;
	const uint8_t *h = buf;
	uint64_t seq;

	(void)version;
	(void)ssl;
	if (!r || content_type != SSL3_RT_HEADER || len < DTLSREC_HEADER_LEN)
		return;
	if ((h[3] << 8 | h[4]) != 1) /* epoch 1: a fresh SSL's keys, renegotiation is off */
		return;
	seq = get48(h + 5);
	if (write_p) {
		if (!(r->flags & F_SENT) || seq >= r->wseq)
			r->wseq = seq + 1;
		r->flags |= F_SENT;
	} else {
		if (!(r->flags & F_RECEIVED) || seq > r->rtop)
			r->rtop = seq;
		r->flags |= F_RECEIVED;
		if (h[0] == DTLSREC_T_APP)
			r->flags |= F_APP_SEEN;
	}
}

void dtlsrec_watch(struct dtlsrec *r, SSL *ssl)
{
	memset(r, 0, sizeof(*r));
	r->flags = F_WATCHED;
	SSL_set_msg_callback(ssl, watch_cb);
	SSL_set_msg_callback_arg(ssl, r);
}

int dtlsrec_take(struct dtlsrec *r, SSL *ssl)
{
	struct dtlsrec_params p;
	const SSL_CIPHER *cs;
	unsigned idx;
	int e;

	if (!SSL_is_init_finished(ssl) || SSL_has_pending(ssl))
		return -EAGAIN;
	if (!(r->flags & F_WATCHED) || !(r->flags & F_SENT) || !(r->flags & F_RECEIVED))
		return -EPROTO;
	/*
	 * Whoever sent the handshake's last flight (the client of a resumption,
	 * the server of a full handshake) may have to send it again if it was
	 * lost: only the peer's first application record proves it was not.
	 */
	if (!!SSL_session_reused(ssl) != !!SSL_is_server(ssl) && !(r->flags & F_APP_SEEN))
		return -EAGAIN;
	cs = SSL_get_current_cipher(ssl);
	if (!cs)
		return -EPROTO;
	memset(&p, 0, sizeof(p));
	p.version = (uint16_t)SSL_version(ssl);
	p.suite = SSL_CIPHER_get_protocol_id(cs);
	idx = find_suite(p.suite);
	/* encrypt-then-MAC is not done here; it is off unless the option is cleared */
	if (!idx ||
	    (suites[idx].kind == K_CBC && !(SSL_get_options(ssl) & SSL_OP_NO_ENCRYPT_THEN_MAC))) {
		SSL_set_msg_callback(ssl, NULL);
		return -ENOTSUP;
	}
	p.server = SSL_is_server(ssl);
	if (SSL_SESSION_get_master_key(SSL_get_session(ssl), p.master, sizeof(p.master)) != 48 ||
	    SSL_get_client_random(ssl, p.client_random, 32) != 32 ||
	    SSL_get_server_random(ssl, p.server_random, 32) != 32) {
		OPENSSL_cleanse(&p, sizeof(p));
		return -EPROTO;
	}
	p.epoch = 1;
	p.wseq = r->wseq;
	p.rtop = r->rtop;
	e = dtlsrec_init(r, &p);
	OPENSSL_cleanse(&p, sizeof(p));
	if (e == -ENOTSUP || !e)
		SSL_set_msg_callback(ssl, NULL);
	return e;
}

/* ==== Records ==== */

static size_t header_len(const struct dtlsrec *r)
{
	return r->flags & F_STREAM ? TLS_HEADER_LEN : DTLSREC_HEADER_LEN;
}

size_t dtlsrec_head(const struct dtlsrec *r)
{
	return header_len(r) + suites[r->suite].xlen;
}

size_t dtlsrec_sealed_len(const struct dtlsrec *r, size_t len)
{
	const struct suite *s = &suites[r->suite];

	if (!r->suite)
		return 0;
	if (r->flags & F_ETM)
		return header_len(r) + s->xlen + (len + s->xlen) / s->xlen * s->xlen + MAC_LEN;
	if (s->kind == K_CBC)
		return header_len(r) + s->xlen + (len + MAC_LEN + s->xlen) / s->xlen * s->xlen;
	return header_len(r) + s->xlen + len + TAG_LEN;
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* epoch||seq, type, version, length: the MAC's and the AEAD's additional data */
static void pseudo_header(uint8_t h[13], const struct dtlsrec *r, uint64_t seq, uint8_t type,
			  size_t len)
{
	h[0] = (uint8_t)(r->epoch >> 8);
	h[1] = (uint8_t)r->epoch;
	put48(h + 2, seq);
	h[8] = type;
	h[9] = (uint8_t)(r->version >> 8);
	h[10] = (uint8_t)r->version;
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
}

static void hmac(const struct dir_ctx *d, const uint8_t h[13], const uint8_t *data, size_t len,
		 uint8_t out[MAC_LEN])
{
	SHA_CTX x = d->inner;

	SHA1_Update(&x, h, 13);
	SHA1_Update(&x, data, len);
	SHA1_Final(out, &x);
	x = d->outer;
	SHA1_Update(&x, out, MAC_LEN);
	SHA1_Final(out, &x);
}

/* The 12-byte AEAD nonce of record seq: GCM salt||explicit, ChaCha20 IV ^ epoch||seq. */
static void aead_nonce(uint8_t nonce[12], const struct suite *s, const uint8_t *iv,
		       const uint8_t *explicit8, const uint8_t es[8])
{
	if (s->kind == K_GCM) {
		memcpy(nonce, iv, 4);
		memcpy(nonce + 4, explicit8, 8);
	} else {
		memcpy(nonce, iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= es[i];
	}
}

static int aead_seal(EVP_CIPHER_CTX *e, const uint8_t nonce[12], const uint8_t aad[13], uint8_t *p,
		     size_t len)
{
	int ol;

	if (!EVP_CipherInit_ex(e, NULL, NULL, NULL, nonce, 1) ||
	    !EVP_EncryptUpdate(e, NULL, &ol, aad, 13) ||
	    (len && !EVP_EncryptUpdate(e, p, &ol, p, (int)len)) ||
	    !EVP_EncryptFinal_ex(e, p + len, &ol) ||
	    !EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, p + len))
		return -EIO;
	return 0;
}

/* TLS padding after body bytes at p, to a whole number of bs-byte blocks: the padded length. */
static size_t cbc_pad(uint8_t *p, size_t body, size_t bs)
{
	size_t padn = bs - body % bs;

	memset(p + body, (int)(padn - 1), padn);
	return body + padn;
}

/*
 * CBC-encrypt the body (body bytes after the explicit IV at x): under xiv
 * when given, else under the encryption of the nonce block (salt ||
 * epoch||seq, from h), which is then the explicit IV. 0 or -EIO.
 */
static int cbc_encrypt(struct dir_ctx *d, const struct suite *s, const struct dtlsrec *r,
		       const uint8_t h[13], uint8_t *x, size_t body, const uint8_t *xiv)
{
	uint8_t *p = x + s->xlen;

	if (xiv) {
		memcpy(x, xiv, s->xlen);
		return EVP_CipherInit_ex(d->evp, NULL, NULL, NULL, xiv, 1) &&
			       EVP_Cipher(d->evp, p, p, (unsigned)body) > 0
			   ? 0
			   : -EIO;
	}
	memcpy(x, r->salt, 8);
	memcpy(x + 8, h, 8);
	return EVP_Cipher(d->evp, x, x, (unsigned)(s->xlen + body)) > 0 ? 0 : -EIO;
}

/*
 * dtlsrec_seal with, when xiv is not NULL, the explicit IV (CBC) or nonce
 * (GCM) given instead of our own: to compare our bytes with another
 * implementation's for the same record. Never reuse a GCM nonce otherwise.
 */
static int seal_with(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t type, uint8_t *buf,
		     size_t len, size_t cap, const uint8_t *xiv)
{
	const struct suite *s = &suites[r->suite];
	size_t hl = header_len(r);
	uint8_t *x = buf + hl, *p = x + s->xlen, h[13], nonce[12];
	struct dir_ctx *d;
	size_t n;

	if (!r->suite)
		return -EINVAL;
	if (len > MAX_PLAINTEXT || (n = dtlsrec_sealed_len(r, len)) > cap)
		return -EMSGSIZE;
	if (r->wseq >= (uint64_t)1 << 48)
		return -EOVERFLOW;
	d = load(c, r, 1);
	if (!d)
		return -EIO;
	pseudo_header(h, r, r->wseq, type, len);
	if (r->flags & F_ETM) {
		/* encrypt [nonce block | plaintext | padding], then MAC the IV and ciphertext */
		size_t body = cbc_pad(p, len, s->xlen);

		if (cbc_encrypt(d, s, r, h, x, body, xiv))
			goto out_fail;
		pseudo_header(h, r, r->wseq, type, s->xlen + body);
		hmac(d, h, x, s->xlen + body, x + s->xlen + body);
	} else if (s->kind == K_CBC) {
		hmac(d, h, p, len, p + len);
		if (cbc_encrypt(d, s, r, h, x, cbc_pad(p, len + MAC_LEN, s->xlen), xiv))
			goto out_fail;
	} else {
		if (s->kind == K_GCM)
			memcpy(x, xiv ? xiv : h, 8);
		aead_nonce(nonce, s, r->wiv, x, h);
		if (aead_seal(d->evp, nonce, h, p, len))
			goto out_fail;
	}
	buf[0] = type;
	buf[1] = (uint8_t)(r->version >> 8);
	buf[2] = (uint8_t)r->version;
	if (hl == DTLSREC_HEADER_LEN)
		memcpy(buf + 3, h, 8);
	buf[hl - 2] = (uint8_t)((n - hl) >> 8);
	buf[hl - 1] = (uint8_t)(n - hl);
	r->wseq++;
	return (int)n;

out_fail:
	d->id = 0; /* whatever state it is in, key it afresh next time */
	return -EIO;
}

int dtlsrec_seal(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t type, uint8_t *buf, size_t len,
		 size_t cap)
{
	return seal_with(r, c, type, buf, len, cap, NULL);
}

int dtlsrec_close_notify(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t *buf, size_t cap)
{
	size_t head = dtlsrec_head(r);

	if (cap < head + 2)
		return -EMSGSIZE;
	buf[head] = 1;	   /* warning */
	buf[head + 1] = 0; /* close_notify */
	return dtlsrec_seal(r, c, DTLSREC_T_ALERT, buf, 2, cap);
}

/* all ones if a < b, else 0 (a, b < 2^63) */
static size_t mask_lt(size_t a, size_t b)
{
	return (size_t)0 - ((a - b) >> (sizeof(size_t) * 8 - 1));
}

/* SHA-1 compression calls for an inner hash over l message bytes (after the key block) */
static size_t sha1_blocks(size_t l)
{
	return (64 + l + 9 + 63) / 64;
}

/*
 * Decrypt and check a CBC record's body (IV, then ciphertext) in place.
 * *data, *len: the plaintext. A verdict: DTLSREC_DATA for good.
 */
static int open_cbc(const struct dtlsrec *r, struct dir_ctx *d, const struct suite *s, uint64_t seq,
		    uint8_t type, uint8_t *body, size_t blen, uint8_t **data, size_t *len)
{
	size_t bs = s->xlen, plen, scan, pad, good, dlen, extra;
	uint8_t *p = body + bs, h[13], mac[MAC_LEN];

	if (blen % bs || blen < bs + (MAC_LEN + 1 + bs - 1) / bs * bs)
		return DTLSREC_MALFORMED;
	/* the first block decrypts to garbage: the IV is the chain for the rest */
	if (EVP_Cipher(d->evp, body, body, (unsigned)blen) <= 0) {
		d->id = 0;
		return DTLSREC_FORGED;
	}
	plen = blen - bs;
	pad = p[plen - 1];
	good = ~mask_lt(plen, pad + 1 + MAC_LEN);
	scan = plen < 256 ? plen : 256;
	for (size_t i = 0; i < scan; i++) {
		size_t in_pad = ~mask_lt(pad, i); /* i <= pad */
		size_t diff = (size_t)(p[plen - 1 - i] ^ pad);

		good &= ~(in_pad & ((size_t)0 - ((0 - diff) >> (sizeof(size_t) * 8 - 1))));
	}
	pad &= good; /* bad padding: MAC the record as if it had none */
	dlen = plen - MAC_LEN - 1 - pad;
	pseudo_header(h, r, seq, type, dlen);
	hmac(d, h, p, dlen, mac);
	/* the same number of SHA-1 blocks whatever the padding length */
	extra = sha1_blocks(13 + plen - MAC_LEN - 1) - sha1_blocks(13 + dlen);
	if (extra) {
		SHA_CTX dummy = d->inner;

		for (size_t i = 0; i < extra; i++)
			SHA1_Transform(&dummy, p);
	}
	good &= (size_t)0 - (size_t)(CRYPTO_memcmp(mac, p + dlen, MAC_LEN) == 0);
	if (!good)
		return DTLSREC_FORGED;
	*data = p;
	*len = dlen;
	return DTLSREC_DATA;
}

static int open_aead(const struct dtlsrec *r, struct dir_ctx *d, const struct suite *s,
		     const uint8_t *hdr, uint8_t *body, size_t blen, uint8_t **data, size_t *len)
{
	EVP_CIPHER_CTX *e = d->evp;
	uint8_t nonce[12], aad[13], *p = body + s->xlen;
	size_t clen;
	int ol;

	if (blen < s->xlen + TAG_LEN)
		return DTLSREC_MALFORMED;
	clen = blen - s->xlen - TAG_LEN;
	aead_nonce(nonce, s, r->riv, body, hdr + 3);
	memcpy(aad, hdr + 3, 8);
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	aad[11] = (uint8_t)(clen >> 8);
	aad[12] = (uint8_t)clen;
	if (!EVP_CipherInit_ex(e, NULL, NULL, NULL, nonce, 0) ||
	    !EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, p + clen) ||
	    !EVP_DecryptUpdate(e, NULL, &ol, aad, 13) ||
	    (clen && !EVP_DecryptUpdate(e, p, &ol, p, (int)clen)) ||
	    EVP_DecryptFinal_ex(e, p + clen, &ol) <= 0)
		return DTLSREC_FORGED;
	*data = p;
	*len = clen;
	return DTLSREC_DATA;
}

static bool window_ok(const struct dtlsrec *r, uint64_t seq)
{
	uint64_t d;

	if (seq > r->rtop)
		return true;
	d = r->rtop - seq;
	return d < 64 && !(r->rmap >> d & 1);
}

static void window_add(struct dtlsrec *r, uint64_t seq)
{
	if (seq > r->rtop) {
		uint64_t d = seq - r->rtop;

		r->rmap = d < 64 ? r->rmap << d | 1 : 1;
		r->rtop = seq;
	} else {
		r->rmap |= (uint64_t)1 << (r->rtop - seq);
	}
}

static int classify(uint8_t type, struct dtlsrec_msg *m);

/*
 * An ETM record's body (IV, ciphertext, MAC): the MAC checked first, over
 * IV and ciphertext, then decrypted and its padding removed.
 */
static int open_etm(const struct dtlsrec *r, struct dir_ctx *d, const struct suite *s, uint64_t seq,
		    uint8_t type, uint8_t *body, size_t blen, uint8_t **data, size_t *len)
{
	size_t bs = s->xlen, clen, pad;
	uint8_t h[13], mac[MAC_LEN];

	if (blen < MAC_LEN + 2 * bs || (blen - MAC_LEN) % bs)
		return DTLSREC_MALFORMED;
	clen = blen - MAC_LEN;
	pseudo_header(h, r, seq, type, clen);
	hmac(d, h, body, clen, mac);
	if (CRYPTO_memcmp(mac, body + clen, MAC_LEN))
		return DTLSREC_FORGED;
	if (EVP_Cipher(d->evp, body, body, (unsigned)clen) <= 0) {
		d->id = 0;
		return DTLSREC_FORGED;
	}
	pad = body[clen - 1];
	if (pad + 1 > clen - bs)
		return DTLSREC_FORGED;
	for (size_t i = 0; i <= pad; i++)
		if (body[clen - 1 - i] != pad)
			return DTLSREC_FORGED;
	*data = body + bs;
	*len = clen - bs - pad - 1;
	return DTLSREC_DATA;
}

/* A TLS record, whole in buf[0..len) (5-byte header): the next sequence number or nothing. */
static int open_stream(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t *buf, size_t len,
		       struct dtlsrec_msg *m)
{
	const struct suite *s = &suites[r->suite];
	uint8_t hdr[DTLSREC_HEADER_LEN], type = buf[0];
	struct dir_ctx *d;
	size_t rlen;
	int v;

	if (len < TLS_HEADER_LEN)
		return DTLSREC_MALFORMED;
	rlen = (size_t)buf[3] << 8 | buf[4];
	if (rlen > len - TLS_HEADER_LEN)
		return DTLSREC_MALFORMED;
	m->used = TLS_HEADER_LEN + rlen;
	if (type < DTLSREC_T_CCS || type > DTLSREC_T_APP || (buf[1] << 8 | buf[2]) != r->version ||
	    rlen > MAX_PLAINTEXT + 2048)
		return DTLSREC_MALFORMED;
	if (r->rtop >= (uint64_t)1 << 48)
		return DTLSREC_REPLAY; /* sequence numbers used up */
	d = load(c, r, 0);
	if (!d)
		return DTLSREC_FORGED;
	if (r->flags & F_ETM) {
		v = open_etm(r, d, s, r->rtop, type, buf + TLS_HEADER_LEN, rlen, &m->data, &m->len);
	} else if (s->kind == K_CBC) {
		v = open_cbc(r, d, s, r->rtop, type, buf + TLS_HEADER_LEN, rlen, &m->data, &m->len);
	} else {
		/* the AEAD's additional data as a DTLS header would carry it: type, version, seq */
		hdr[0] = type;
		hdr[1] = buf[1];
		hdr[2] = buf[2];
		hdr[3] = hdr[4] = 0;
		put48(hdr + 5, r->rtop);
		v = open_aead(r, d, s, hdr, buf + TLS_HEADER_LEN, rlen, &m->data, &m->len);
	}
	if (v != DTLSREC_DATA)
		return v;
	r->rtop++;
	return classify(type, m);
}

int dtlsrec_open(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t *buf, size_t len,
		 struct dtlsrec_msg *m)
{
	const struct suite *s = &suites[r->suite];
	struct dir_ctx *d;
	size_t rlen;
	uint64_t seq;
	uint8_t type;
	int v;

	memset(m, 0, sizeof(*m));
	m->used = len;
	if (r->suite && (r->flags & F_STREAM))
		return open_stream(r, c, buf, len, m);
	if (!r->suite || len < DTLSREC_HEADER_LEN)
		return DTLSREC_MALFORMED;
	rlen = (size_t)buf[11] << 8 | buf[12];
	if (rlen > len - DTLSREC_HEADER_LEN)
		return DTLSREC_MALFORMED;
	m->used = DTLSREC_HEADER_LEN + rlen;
	type = buf[0];
	if (type < DTLSREC_T_CCS || type > DTLSREC_T_APP || (buf[1] << 8 | buf[2]) != r->version)
		return DTLSREC_MALFORMED;
	if ((buf[3] << 8 | buf[4]) != r->epoch)
		return DTLSREC_EPOCH;
	seq = get48(buf + 5);
	if (!window_ok(r, seq))
		return DTLSREC_REPLAY;
	d = load(c, r, 0);
	if (!d)
		return DTLSREC_FORGED;
	if (s->kind == K_CBC)
		v = open_cbc(r, d, s, seq, type, buf + DTLSREC_HEADER_LEN, rlen, &m->data, &m->len);
	else
		v = open_aead(r, d, s, buf, buf + DTLSREC_HEADER_LEN, rlen, &m->data, &m->len);
	if (v != DTLSREC_DATA)
		return v;
	window_add(r, seq);
	return classify(type, m);
}

/* An opened record by its content type: data, an alert, or handshake. */
static int classify(uint8_t type, struct dtlsrec_msg *m)
{
	m->type = type;
	switch (type) {
	case DTLSREC_T_APP:
		return DTLSREC_DATA;
	case DTLSREC_T_ALERT:
		/* an alert that is not two bytes ends DTLS as a decode_error would */
		if (m->len != 2) {
			m->alert = 50;
			return DTLSREC_CLOSE;
		}
		m->alert = m->data[1];
		return m->data[0] == 2 || m->alert == 0 ? DTLSREC_CLOSE : DTLSREC_WARNING;
	default:
		return DTLSREC_HANDSHAKE;
	}
}

const char *dtlsrec_verdict_name(int verdict)
{
	static const char *const names[] = {"data",   "close", "warning", "handshake",
					    "replay", "epoch", "forged",  "malformed"};

	if (verdict < 0 || verdict >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[verdict];
}
