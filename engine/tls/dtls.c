/*
 * engine/tls/dtls.c - legacy and PSK DTLS keying (dtls.h).
 *
 * The legacy handshake needs OpenSSL to believe it holds a session: we
 * make one with its protocol version, cipher, session id and master key.
 * The legacy protocol is DTLS1_BAD_VER (0x0100) for the AES-SHA suites and
 * DTLS 1.2 for the OC-DTLS1_2 GCM ones.
 * Encrypt-then-MAC and extended master secret would make the headend refuse
 * the resumption, so both are off.
 */
#include "engine/tls/dtls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "engine/stats/clock.h"
#include "engine/tls/dtlshs.h"
#include "engine/tls/keylog.h"
#include "engine/tls/membio.h"

#ifndef DTLS1_BAD_VER
#define DTLS1_BAD_VER 0x0100
#endif

static int psk_index = -1;
static pthread_once_t psk_once = PTHREAD_ONCE_INIT;

static void psk_index_init(void)
{
	psk_index = SSL_get_ex_new_index(0, "phoneswarm psk", NULL, NULL, NULL);
}

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity,
			   unsigned int max_identity_len, unsigned char *psk, unsigned int max_psk_len)
{
	const uint8_t *key = SSL_get_ex_data(ssl, psk_index);

	(void)hint;
	if (!key || max_identity_len < 4 || max_psk_len < 32)
		return 0;
	memcpy(identity, "psk", 4);
	memcpy(psk, key, 32);
	return 32;
}

static SSL_CTX *ctx_common(void)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_TICKET |
					 SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

SSL_CTX *dtls_ctx_new_psk(void)
{
	SSL_CTX *ctx = ctx_common();

	if (!ctx)
		return NULL;
	pthread_once(&psk_once, psk_index_init);
	SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	if (!SSL_CTX_set_cipher_list(ctx, "PSK:@SECLEVEL=0")) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * An SSL_SESSION for protocol version ver, cipher id, session id and master
 * key, set field by field (the same session as an ASN.1 form read back with
 * d2i_SSL_SESSION, without a decode per tunnel). NULL on ENOMEM or a cipher
 * id that ssl's method does not know.
 */
static SSL_SESSION *fake_session(const SSL *ssl, int ver, uint16_t cipher_id, const uint8_t *sid,
				 size_t sid_len, const uint8_t master[48])
{
	const uint8_t cid[2] = {(uint8_t)(cipher_id >> 8), (uint8_t)cipher_id};
	const SSL_CIPHER *c = SSL_CIPHER_find((SSL *)ssl, cid);
	SSL_SESSION *s = c ? SSL_SESSION_new() : NULL;

	if (!s)
		return NULL;
	if (!SSL_SESSION_set_protocol_version(s, ver) || !SSL_SESSION_set_cipher(s, c) ||
	    !SSL_SESSION_set1_id(s, sid, (unsigned)sid_len) ||
	    !SSL_SESSION_set1_master_key(s, master, 48)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/* Give the session to resume (or to carry an ID) to t's SSL. 0 or -1. */
static int attach_session(struct tls *t, int ver, uint16_t cipher_id, const uint8_t *sid,
			  size_t sid_len, const uint8_t master[48])
{
	SSL_SESSION *sess = fake_session(t->ssl, ver, cipher_id, sid, sid_len, master);
	int r;

	if (!sess)
		return -1;
	r = SSL_set_session(t->ssl, sess);
	SSL_SESSION_free(sess);
	return r == 1 ? 0 : -1;
}

struct suite_map {
	const char *header; /* X-DTLS-CipherSuite value */
	const char *openssl;
	int version;
	uint16_t id;
	const char *cipher; /* symmetric cipher and key size */
};

static const struct suite_map suites[] = {
	{"AES128-SHA", "AES128-SHA", DTLS1_BAD_VER, 0x002f, "AES-128"},
	{"AES256-SHA", "AES256-SHA", DTLS1_BAD_VER, 0x0035, "AES-256"},
	{"DES-CBC3-SHA", "DES-CBC3-SHA", DTLS1_BAD_VER, 0x000a, "DES-EDE3"},
	{"OC-DTLS1_2-AES128-GCM", "AES128-GCM-SHA256", DTLS1_2_VERSION, 0x009c, "AES-128"},
	{"OC-DTLS1_2-AES256-GCM", "AES256-GCM-SHA384", DTLS1_2_VERSION, 0x009d, "AES-256"},
};

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

/*
 * A context per suite, holding the suite as its cipher list and its
 * protocol version as both bounds: an SSL made from it needs no cipher list
 * of its own, which OpenSSL would parse for every tunnel (about 9 us of a
 * tunnel's DTLS here, for the same ClientHello). A suite this OpenSSL does
 * not offer (3DES, in some builds) has none: dtls_open_legacy refuses it,
 * as SSL_set_cipher_list did.
 */
struct dtls_legacy {
	SSL_CTX *ctx[N_SUITES]; /* owned; NULL: the suite is not offered here */
};

struct dtls_legacy *dtls_legacy_new(void)
{
	struct dtls_legacy *l = calloc(1, sizeof(*l));
	char list[64];

	if (!l)
		return NULL;
	for (unsigned i = 0; i < N_SUITES; i++) {
		SSL_CTX *ctx = ctx_common();

		if (!ctx)
			goto out_free;
		SSL_CTX_set_options(ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET |
						 SSL_OP_LEGACY_SERVER_CONNECT);
		snprintf(list, sizeof(list), "%s:@SECLEVEL=0", suites[i].openssl);
		if (!SSL_CTX_set_min_proto_version(ctx, suites[i].version) ||
		    !SSL_CTX_set_max_proto_version(ctx, suites[i].version) ||
		    !SSL_CTX_set_cipher_list(ctx, list)) {
			SSL_CTX_free(ctx);
			ERR_clear_error();
			continue;
		}
		l->ctx[i] = ctx;
	}
	return l;

out_free:
	dtls_legacy_free(l);
	return NULL;
}

void dtls_legacy_free(struct dtls_legacy *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < N_SUITES; i++)
		SSL_CTX_free(l->ctx[i]);
	free(l);
}

void dtls_legacy_each(struct dtls_legacy *l, void (*fn)(SSL_CTX *ctx))
{
	for (unsigned i = 0; l && i < N_SUITES; i++)
		if (l->ctx[i])
			fn(l->ctx[i]);
}

const char *dtls_suite_cipher(const char *suite, int dtls12_header)
{
	for (unsigned i = 0; i < N_SUITES; i++)
		if (!strcmp(dtls12_header ? suites[i].openssl : suites[i].header, suite))
			return suites[i].cipher;
	return NULL;
}

const char *dtls_tls_cipher(const struct tls *t, char *buf, size_t len)
{
	static const struct {
		const char *in, *cipher;
	} fam[] = {{"AES256", "AES-256"}, {"AES128", "AES-128"}, {"DES-CBC3", "DES-EDE3"},
		   {"CHACHA20", "CHACHA20"}, {"CAMELLIA256", "CAMELLIA-256"},
		   {"CAMELLIA128", "CAMELLIA-128"}};
	const SSL_CIPHER *c = tls_cipher(t);
	const char *name = c ? SSL_CIPHER_get_name(c) : NULL;

	/* from the OpenSSL suite name: "ECDHE-RSA-AES256-GCM-SHA384" -> "AES-256" */
	for (unsigned i = 0; name && i < sizeof(fam) / sizeof(fam[0]); i++)
		if (strstr(name, fam[i].in)) {
			snprintf(buf, len, "%s", fam[i].cipher);
			return buf;
		}
	return NULL;
}

uint16_t dtls_tls_cipher_id(const struct tls *t)
{
	const SSL_CIPHER *c = tls_cipher(t);

	return c ? SSL_CIPHER_get_protocol_id(c) : 0;
}

int dtls_open_legacy(struct tls *t, const struct dtls_legacy *l, const char *suite,
		     int dtls12_header, const uint8_t master[48], const uint8_t sid[32],
		     uint16_t session_cipher, void *app)
{
	unsigned i, found = N_SUITES;
	int r;

	for (i = 0; i < N_SUITES; i++) {
		const char *name = dtls12_header ? suites[i].openssl : suites[i].header;

		if (!strcmp(name, suite) && (!dtls12_header || suites[i].version == DTLS1_2_VERSION))
			found = i;
	}
	if (found == N_SUITES || !l->ctx[found])
		return -EINVAL;
	r = tls_open(t, l->ctx[found], NULL, NULL, NULL, app);
	if (r)
		return r;
	if (attach_session(t, suites[found].version,
			   session_cipher ? session_cipher : suites[found].id, sid, 32, master)) {
		tls_close(t);
		return -EINVAL;
	}
	return 0;
}

int dtls_open_own(struct tls *t, struct dtlsrec_ctx *ctx, const char *suite,
		  const uint8_t master[48], const uint8_t sid[32], uint16_t session_cipher)
{
	uint16_t id = dtlshs_suite(suite);
	int r;

	if (!id || !ctx)
		return -ENOTSUP;
	memset(t, 0, sizeof(*t));
	t->bio = membio_new(true);
	if (!t->bio)
		return -ENOMEM;
	r = dtlshs_new(&t->hs, ctx, id, session_cipher, master, sid, NULL);
	if (r) {
		tls_close(t);
		return r;
	}
	return 0;
}

void dtls_own_settled(struct tls *t)
{
	dtlshs_free(t->hs);
	t->hs = NULL;
}

int dtls_own_resend(struct tls *t, struct dtlsrec *r)
{
	return t->hs ? dtlshs_resend(t->hs, r, t->bio) : 0;
}

void dtls_keylog(const struct tls *t, void *app, const uint8_t master[48])
{
	if (t->hs)
		keylog_random(app, dtlshs_client_random(t->hs), master);
	else if (t->ssl)
		keylog_session(t->ssl);
}

int dtls_open_psk(struct tls *t, SSL_CTX *ctx, const uint8_t psk[32], const uint8_t *app_id,
		  size_t app_id_len, void *app)
{
	uint8_t rnd[48];
	int r;

	if (app_id_len == 0 || app_id_len > 32)
		return -EINVAL;
	r = tls_open(t, ctx, NULL, NULL, NULL, app);
	if (r)
		return r;
	SSL_set_ex_data(t->ssl, psk_index, (void *)psk);
	/* a session that cannot be resumed, carrying the App-ID as its ID */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out_close;
	if (attach_session(t, DTLS1_VERSION, 0x002f, app_id, app_id_len, rnd))
		goto out_close;
	return 0;

out_close:
	tls_close(t);
	return -EINVAL;
}

int dtls_psk_from_tls(const struct tls *cstp, uint8_t psk[32])
{
	static const char label[] = "EXPORTER-openconnect-psk";

	if (SSL_export_keying_material(cstp->ssl, psk, 32, label, sizeof(label) - 1, NULL, 0,
				       0) != 1)
		return -EPROTO;
	return 0;
}

int64_t dtls_timeout_us(const struct tls *t)
{
	struct timeval tv;

	if (t->hs)
		return dtlshs_timeout_us(t->hs, clock_us());
	if (!t->ssl || DTLSv1_get_timeout(t->ssl, &tv) != 1)
		return -1;
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void dtls_handle_timeout(struct tls *t)
{
	if (t->hs)
		dtlshs_handle_timeout(t->hs, t->bio, clock_us());
	else if (t->ssl)
		DTLSv1_handle_timeout(t->ssl);
}

int dtls_resumed(const struct tls *t)
{
	if (t->hs)
		return 1; /* ours completes only as the resumption */
	return SSL_session_reused(t->ssl);
}
