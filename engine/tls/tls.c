/*
 * engine/tls/tls.c - TLS/DTLS sessions on membios (tls.h).
 *
 * The headend's certificate is judged the way a phone judges it: not by a
 * CA store but by the hash of its leaf, through the verify callback the
 * phone gives. Alerts are recorded through the info callback so that a
 * failure can be named after the alert the headend sent.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* the ENGINE calls of tls_builtin_rsa() */
#include "engine/tls/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "engine/tls/membio.h"
#include "engine/trust/model.h"

static int cert_verify(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	tls_verify_fn verify = (tls_verify_fn)arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);

	if (!ssl || !leaf || !verify(tls_app(ssl), leaf)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_UNTRUSTED);
		return 0;
	}
	return 1;
}

/* Records fatal alerts in the struct tls found through the SSL's ex data. */
static int tls_index = -1;
static int app_index = -1;

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tls *t = SSL_get_ex_data(ssl, tls_index);

	if (t && (where & SSL_CB_CONNECT_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_CERT_REQ)
		t->cert_asked = true; /* the headend sent a CertificateRequest */
	if (!t || !(where & SSL_CB_ALERT))
		return;
	if ((ret >> 8) != SSL3_AL_FATAL)
		return;
	if (where & SSL_CB_READ)
		t->alert_rcvd = (uint8_t)(ret & 0xff);
	else
		t->alert_sent = (uint8_t)(ret & 0xff);
}

/* ==== RSA keys without the provider decoders ==== */

#ifndef OPENSSL_NO_ENGINE
static int rsa_nids[] = {EVP_PKEY_RSA};

/* An ENGINE's key methods: OpenSSL's own built-in RSA method, nothing else. */
static int rsa_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **m, const int **nids, int nid)
{
	(void)e;
	if (!m) {
		*nids = rsa_nids;
		return 1;
	}
	*m = nid == EVP_PKEY_RSA ? (EVP_PKEY_METHOD *)EVP_PKEY_meth_find(EVP_PKEY_RSA) : NULL;
	return *m != NULL;
}
#endif

/*
 * OpenSSL 3.0 decodes a certificate's public key (X509_PUBKEY's d2i) with
 * its built-in code only when an ENGINE offers a method for that key type;
 * otherwise it makes an OSSL_DECODER_CTX, which walks every key manager and
 * decoder of every provider under the method store's locks: about 80 us per
 * certificate here, ten times the built-in decoding, paid by every phone for
 * the headend's certificate. The ENGINE registered here offers OpenSSL's own
 * built-in RSA method, so RSA keys are decoded and used as OpenSSL 1.1 did:
 * the same arithmetic (rsa_ossl.c), the same bytes on the wire.
 */
static pthread_once_t builtin_rsa_once = PTHREAD_ONCE_INIT;
static bool builtin_rsa_on;

static void builtin_rsa(void)
{
#ifndef OPENSSL_NO_ENGINE
	ENGINE *e = ENGINE_new();

	if (!e)
		return;
	if (ENGINE_set_id(e, "phoneswarm-rsa") && ENGINE_set_name(e, "OpenSSL's built-in RSA") &&
	    ENGINE_set_pkey_meths(e, rsa_pkey_meths) && ENGINE_init(e)) {
		builtin_rsa_on = ENGINE_set_default_pkey_meths(e) == 1;
		ENGINE_finish(e); /* the default table keeps its own reference */
	}
	ENGINE_free(e);
	ERR_clear_error();
#endif
}

bool tls_builtin_rsa(void)
{
	pthread_once(&builtin_rsa_once, builtin_rsa);
	return builtin_rsa_on;
}

static void init_indexes(void)
{
	tls_index = SSL_get_ex_new_index(0, "phoneswarm tls", NULL, NULL, NULL);
	app_index = SSL_get_ex_new_index(0, "phoneswarm app", NULL, NULL, NULL);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

SSL_CTX *tls_ctx_new(const struct model *m, tls_verify_fn verify)
{
	pthread_once(&once, init_indexes);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, m->tls_min);
	SSL_CTX_set_max_proto_version(ctx, m->tls_max);
	if (!SSL_CTX_set_cipher_list(ctx, m->tls_ciphers)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* one CSTP frame per record: no empty-fragment records before CBC ones */
	SSL_CTX_set_options(ctx, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_NO_TICKET |
					 SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, cert_verify, (void *)verify);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return ctx;
}

int tls_open(struct tls *t, SSL_CTX *ctx, X509 *cert, EVP_PKEY *key, const char *sni, void *app)
{
	pthread_once(&once, init_indexes);
	t->alert_rcvd = t->alert_sent = 0;
	t->idle = false;
	t->cert_asked = false;
	t->ssl = SSL_new(ctx);
	if (!t->ssl)
		return -ENOMEM;
	t->bio = membio_new(SSL_is_dtls(t->ssl));
	if (!t->bio)
		goto out_free_ssl;
	SSL_set_bio(t->ssl, t->bio, t->bio);
	SSL_set_ex_data(t->ssl, tls_index, t);
	SSL_set_ex_data(t->ssl, app_index, app);
	SSL_set_info_callback(t->ssl, info_cb);
	if (cert && key) {
		if (SSL_use_certificate(t->ssl, cert) != 1 || SSL_use_PrivateKey(t->ssl, key) != 1)
			goto out_free_ssl;
	}
	if (sni)
		SSL_set_tlsext_host_name(t->ssl, sni);
	SSL_set_connect_state(t->ssl);
	return 0;

out_free_ssl:
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->bio = NULL;
	return -ENOMEM;
}

void tls_close(struct tls *t)
{
	if (t->ssl)
		SSL_free(t->ssl);
	else if (t->bio)
		BIO_free(t->bio); /* kept by tls_keep_bio */
	t->ssl = NULL;
	t->bio = NULL;
}

void tls_keep_bio(struct tls *t)
{
	if (!t->ssl)
		return;
	BIO_up_ref(t->bio); /* the SSL drops its own reference */
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->idle = false;
	membio_trim(t->bio); /* an empty queue keeps no buffer */
}

void *tls_app(const SSL *ssl)
{
	return SSL_get_ex_data(ssl, app_index);
}

/* Record buffers back before any use of a session tls_idle() emptied. */
static void wake(struct tls *t)
{
	if (t->idle) {
		SSL_alloc_buffers(t->ssl);
		t->idle = false;
	}
}

void tls_feed(struct tls *t, const uint8_t *data, size_t len)
{
	wake(t);
	membio_feed(t->bio, data, len);
}

static __thread char tl_error[160];

static void save_error(void)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, tl_error, sizeof(tl_error));
	else
		snprintf(tl_error, sizeof(tl_error), "%s", "no error reported");
	ERR_clear_error();
}

const char *tls_last_error(void)
{
	return tl_error;
}

int tls_handshake(struct tls *t)
{
	int r = SSL_do_handshake(t->ssl);

	if (r == 1)
		return 1;
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		save_error();
		return -EPROTO;
	}
}

int tls_read(struct tls *t, uint8_t *buf, size_t cap)
{
	int r = SSL_read(t->ssl, buf, (int)cap);

	if (r > 0)
		return r;
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return -EPIPE;
	default:
		save_error();
		return -EPROTO;
	}
}

int tls_write(struct tls *t, const void *buf, size_t len)
{
	wake(t);
	int r = SSL_write(t->ssl, buf, (int)len);

	if (r == (int)len)
		return 0;
	save_error();
	return -EPROTO;
}

void tls_idle(struct tls *t)
{
	if (t->ssl && !t->idle && SSL_is_init_finished(t->ssl) && SSL_free_buffers(t->ssl))
		t->idle = true; /* (it refuses, harmlessly, while data is pending) */
}

void tls_shutdown(struct tls *t)
{
	if (t->ssl)
		wake(t);
	if (t->ssl && SSL_is_init_finished(t->ssl)) {
		SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
}

bool tls_failure_is_no_shared(const struct tls *t)
{
	/*
	 * handshake_failure, protocol_version, insufficient_security from the
	 * headend. Not "wrong version number": OpenSSL's word for bytes that are
	 * no TLS record at all (a plain HTTP server, garbage), a broken headend.
	 */
	if (t->alert_rcvd == 40 || t->alert_rcvd == 70 || t->alert_rcvd == 71)
		return true;
	return strstr(tl_error, "no shared cipher") || strstr(tl_error, "no ciphers available") ||
	       strstr(tl_error, "unsupported protocol") || strstr(tl_error, "no protocols available");
}

enum tls_stage tls_stage(const struct tls *t)
{
	if (!t->ssl)
		return TLS_STAGE_HELLO;
	switch (SSL_get_state(t->ssl)) {
	case TLS_ST_OK:
		return TLS_STAGE_DONE;
	case TLS_ST_BEFORE:
	case TLS_ST_CW_CLNT_HELLO:
	case TLS_ST_CR_SRVR_HELLO:
		return TLS_STAGE_HELLO;
	case TLS_ST_CW_FINISHED:
	case TLS_ST_CR_SESSION_TICKET:
	case TLS_ST_CR_CHANGE:
	case TLS_ST_CR_FINISHED:
		return TLS_STAGE_FINISHED;
	default:
		return TLS_STAGE_KEYX;
	}
}

const char *tls_version_name(const struct tls *t)
{
	return t->ssl ? SSL_get_version(t->ssl) : "";
}

const char *tls_cipher_name(const struct tls *t)
{
	return t->ssl ? SSL_get_cipher_name(t->ssl) : "";
}
