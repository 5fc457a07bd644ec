/*
 * engine/tls/tls.c - TLS/DTLS sessions on membios (tls.h).
 *
 * The headend's certificate is judged the way a phone judges it: not by a
 * CA store but by the hash of its leaf, through the verify callback the
 * phone gives. Alerts are recorded through the info callback so that a
 * failure can be named after the alert the headend sent.
 *
 * A TLS session can be taken over once its handshake is done (tls_take):
 * its records are then sealed and opened by engine/tls/dtlsrec.c in stream
 * mode and its `SSL` is freed. The keys come from the session (master
 * secret, randoms, suite); the sequence numbers, which OpenSSL does not
 * tell, from a message callback installed at tls_open that counts the
 * record headers each side sent after its ChangeCipherSpec; whether CBC
 * records are encrypt-then-MAC, from the ServerHello's extensions. What
 * OpenSSL did with a record after the handshake is done the same way here:
 * a close_notify ends reading (-EPIPE), a fatal alert is recorded and fails
 * the session, a warning is ignored, a HelloRequest is answered with a
 * no_renegotiation warning (the phone never renegotiates), a record that
 * does not open is answered with a fatal bad_record_mac.
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

#include "engine/stats/clock.h"
#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"
#include "engine/trust/model.h"

/* struct tls.seen */
#define S_CCS_SENT 0x01 /* our ChangeCipherSpec left: wseq counts records since */
#define S_CCS_RCVD 0x02 /* the peer's came: rseq counts records since */
#define S_ETM	   0x04 /* the ServerHello agreed to encrypt-then-MAC */

#define TLS_RECORD_MAX (5 + 16384 + 2048) /* the largest TLS 1.2 record (RFC 5246 6.2.3) */

/* A session taken over from OpenSSL (tls_take). */
struct tlsrec {
	struct dtlsrec r;	  /* keys and sequence numbers */
	struct dtlsrec_ctx *ctx;  /* borrowed: the worker's cipher contexts */
	const SSL_CIPHER *cipher; /* libssl's static table */
	const char *version;	  /* "TLSv1.2": static */
	const uint8_t *in;	  /* lent by tls_feed */
	size_t in_len;
	uint8_t *part; /* owned: the start of a record not yet whole; NULL: none */
	uint32_t part_len, part_cap;
	uint8_t *plain; /* owned: an opened record's plaintext not yet read; NULL: none */
	uint32_t plain_off, plain_len;
	int ended;	 /* 0; -EPIPE once the peer's close_notify came; -EPROTO once failed */
	bool close_sent; /* our close_notify (or a fatal alert) has left */
};

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

/* Whether a ServerHello's extensions (the message after its header) hold encrypt_then_mac. */
static bool hello_has_etm(const uint8_t *b, size_t n)
{
	size_t off = 2 + 32, end;

	if (n < off + 1)
		return false;
	off += 1 + b[off] + 2 + 1; /* session ID, suite, compression */
	if (n < off + 2)
		return false;
	end = off + 2 + ((size_t)b[off] << 8 | b[off + 1]);
	off += 2;
	if (end > n)
		return false;
	while (off + 4 <= end) {
		if ((b[off] << 8 | b[off + 1]) == TLSEXT_TYPE_encrypt_then_mac)
			return true;
		off += 4 + ((size_t)b[off + 2] << 8 | b[off + 3]);
	}
	return false;
}

/* A TLS session's message callback: record headers after each side's CCS, the ServerHello. */
static void stream_watch(int write_p, int version, int content_type, const void *buf, size_t len,
			 SSL *ssl, void *arg)
{
	struct tls *t = arg;
	const uint8_t *b = buf;

	(void)version;
	(void)ssl;
	if (content_type == SSL3_RT_HEADER && len >= 5) {
		uint8_t ccs = write_p ? S_CCS_SENT : S_CCS_RCVD;
		uint32_t *seq = write_p ? &t->wseq : &t->rseq;

		if (t->seen & ccs)
			(*seq)++;
		if (b[0] == SSL3_RT_CHANGE_CIPHER_SPEC) {
			t->seen |= ccs;
			*seq = 0;
		}
	} else if (content_type == SSL3_RT_HANDSHAKE && !write_p && len >= 4 &&
		   b[0] == SSL3_MT_SERVER_HELLO) {
		if (hello_has_etm(b + 4, len - 4))
			t->seen |= S_ETM;
		else
			t->seen &= (uint8_t)~S_ETM;
	}
}

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
	t->rec = NULL;
	t->hs = NULL;
	t->wseq = t->rseq = 0;
	t->seen = 0;
	t->no_take = false;
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
	if (!SSL_is_dtls(t->ssl)) {
		SSL_set_msg_callback(t->ssl, stream_watch);
		SSL_set_msg_callback_arg(t->ssl, t);
	}
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

static void rec_free(struct tlsrec *x)
{
	if (!x)
		return;
	free(x->part);
	OPENSSL_clear_free(x->plain, x->plain_len);
	OPENSSL_clear_free(x, sizeof(*x));
}

void tls_close(struct tls *t)
{
	if (t->ssl)
		SSL_free(t->ssl);
	else if (t->bio)
		BIO_free(t->bio); /* kept by tls_keep_bio or tls_take */
	rec_free(t->rec);
	dtlshs_free(t->hs);
	t->rec = NULL;
	t->hs = NULL;
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

static __thread char tl_error[160];

/*
 * A failure of a taken-over session, in OpenSSL's words for the same thing
 * (its error string for libssl's reason code), so that failures.csv reads
 * the same whoever ran the records.
 */
static void ssl_error(int reason)
{
	ERR_error_string_n(ERR_PACK(ERR_LIB_SSL, 0, reason), tl_error, sizeof(tl_error));
}

/* A taken-over session's state, keyed by p. 0, -ENOMEM or as dtlsrec_init. */
static int rec_new(struct tlsrec **out, const struct dtlsrec_params *p, struct dtlsrec_ctx *ctx)
{
	struct tlsrec *x = OPENSSL_zalloc(sizeof(*x));
	int e;

	if (!x)
		return -ENOMEM;
	e = dtlsrec_init(&x->r, p);
	if (e) {
		rec_free(x);
		return e;
	}
	x->ctx = ctx;
	x->version = "TLS";
	*out = x;
	return 0;
}

int tls_take_params(struct tls *t, const struct dtlsrec_params *p, struct dtlsrec_ctx *ctx)
{
	struct tlsrec *x;
	int e;

	memset(t, 0, sizeof(*t));
	t->bio = membio_new(false);
	if (!t->bio)
		return -ENOMEM;
	e = rec_new(&x, p, ctx);
	if (e) {
		BIO_free(t->bio);
		t->bio = NULL;
		return e;
	}
	t->rec = x;
	return 0;
}

int tls_take(struct tls *t, struct dtlsrec_ctx *ctx)
{
	struct dtlsrec_params prm;
	const SSL_CIPHER *cs;
	struct tlsrec *x;
	int v, e;

	if (!t->ssl || SSL_is_dtls(t->ssl) || !ctx)
		return -EPROTO;
	if (!SSL_is_init_finished(t->ssl))
		return -EAGAIN;
	v = SSL_version(t->ssl);
	cs = SSL_get_current_cipher(t->ssl);
	if ((v != TLS1_1_VERSION && v != TLS1_2_VERSION) || !cs) {
		/* TLS 1.0's chained IV, TLS 1.3's post-handshake messages: OpenSSL's */
		t->no_take = true;
		return -ENOTSUP;
	}
	if (SSL_has_pending(t->ssl) || membio_unread(t->bio) || SSL_get_shutdown(t->ssl))
		return -EAGAIN;
	if ((t->seen & (S_CCS_SENT | S_CCS_RCVD)) != (S_CCS_SENT | S_CCS_RCVD)) {
		t->no_take = true; /* the handshake is over: it will not come now */
		return -EPROTO;
	}
	memset(&prm, 0, sizeof(prm));
	prm.version = (uint16_t)v;
	prm.suite = SSL_CIPHER_get_protocol_id(cs);
	prm.etm = !!(t->seen & S_ETM);
	prm.wseq = t->wseq;
	prm.rtop = t->rseq;
	if (SSL_SESSION_get_master_key(SSL_get_session(t->ssl), prm.master, sizeof(prm.master)) !=
		48 ||
	    SSL_get_client_random(t->ssl, prm.client_random, 32) != 32 ||
	    SSL_get_server_random(t->ssl, prm.server_random, 32) != 32) {
		OPENSSL_cleanse(&prm, sizeof(prm));
		t->no_take = true;
		return -EPROTO;
	}
	e = rec_new(&x, &prm, ctx);
	OPENSSL_cleanse(&prm, sizeof(prm));
	if (e) {
		t->no_take = e == -ENOTSUP;
		return e;
	}
	x->cipher = cs;
	x->version = SSL_get_version(t->ssl);
	BIO_up_ref(t->bio); /* the SSL drops its own reference */
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->rec = x;
	membio_trim(t->bio);
	return 0;
}

const SSL_CIPHER *tls_cipher(const struct tls *t)
{
	if (t->ssl)
		return SSL_get_current_cipher(t->ssl);
	return t->rec ? t->rec->cipher : NULL;
}

/* Seal one record of type into the session's BIO. 0 or -EPROTO. */
static int rec_send(struct tls *t, uint8_t type, const void *data, size_t len)
{
	struct tlsrec *x = t->rec;
	uint8_t rec[TLS_RECORD_MAX];
	size_t head = dtlsrec_head(&x->r);
	int n;

	memcpy(rec + head, data, len);
	n = dtlsrec_seal(&x->r, x->ctx, type, rec, len, sizeof(rec));
	if (n < 0 || BIO_write(t->bio, rec, n) != n) {
		ssl_error(n == -ENOMEM ? ERR_R_MALLOC_FAILURE : ERR_R_INTERNAL_ERROR);
		return -EPROTO;
	}
	return 0;
}

/* Send an alert; a fatal one ends the session, as OpenSSL's does (-EPROTO, error text). */
static int rec_alert(struct tls *t, bool fatal, uint8_t desc, int reason)
{
	uint8_t a[2] = {fatal ? 2 : 1, desc};

	if (!t->rec->close_sent)
		rec_send(t, DTLSREC_T_ALERT, a, 2);
	if (!fatal)
		return 0;
	t->alert_sent = desc;
	t->rec->close_sent = true;
	t->rec->ended = -EPROTO;
	ssl_error(reason);
	return -EPROTO;
}

/*
 * The next whole record into out (TLS_RECORD_MAX bytes): its length; 0 if
 * not yet whole (what there is kept in part); -EPROTO if its length is
 * beyond what TLS allows.
 */
static int next_record(struct tlsrec *x, uint8_t *out)
{
	uint8_t h[5];
	size_t have = x->part_len, total;

	if (have + x->in_len < 5)
		goto partial;
	for (size_t i = 0; i < 5; i++)
		h[i] = i < have ? x->part[i] : x->in[i - have];
	total = 5 + ((size_t)h[3] << 8 | h[4]);
	if (total > TLS_RECORD_MAX)
		return -EPROTO;
	if (have + x->in_len < total)
		goto partial;
	if (have)
		memcpy(out, x->part, have);
	memcpy(out + have, x->in, total - have);
	x->in += total - have;
	x->in_len -= total - have;
	free(x->part);
	x->part = NULL;
	x->part_len = x->part_cap = 0;
	return (int)total;

partial:
	if (!x->in_len)
		return 0;
	if (have + x->in_len > x->part_cap) {
		uint32_t cap = (uint32_t)(have + x->in_len < 512 ? 512 : have + x->in_len);
		uint8_t *b = realloc(x->part, cap);

		if (!b)
			return -ENOMEM;
		x->part = b;
		x->part_cap = cap;
	}
	memcpy(x->part + have, x->in, x->in_len);
	x->part_len += (uint32_t)x->in_len;
	x->in_len = 0;
	return 0;
}

/* Plaintext kept from the last record into buf: bytes copied. */
static int plain_out(struct tlsrec *x, uint8_t *buf, size_t cap)
{
	size_t n = x->plain_len - x->plain_off < cap ? x->plain_len - x->plain_off : cap;

	memcpy(buf, x->plain + x->plain_off, n);
	x->plain_off += (uint32_t)n;
	if (x->plain_off == x->plain_len) {
		OPENSSL_clear_free(x->plain, x->plain_len);
		x->plain = NULL;
		x->plain_off = x->plain_len = 0;
	}
	return (int)n;
}

/* tls_read for a session taken over. */
static int rec_read(struct tls *t, uint8_t *buf, size_t cap)
{
	struct tlsrec *x = t->rec;
	uint8_t rec[TLS_RECORD_MAX];
	struct dtlsrec_msg m;

	for (;;) {
		int n, v;

		if (x->plain)
			return plain_out(x, buf, cap);
		if (x->ended)
			return x->ended;
		n = next_record(x, rec);
		if (n == 0)
			return 0;
		if (n == -ENOMEM) {
			ssl_error(ERR_R_MALLOC_FAILURE);
			return -EPROTO; /* (not the headend's doing: as OpenSSL's path) */
		}
		if (n < 0)
			return rec_alert(t, true, SSL_AD_RECORD_OVERFLOW,
					 SSL_R_ENCRYPTED_LENGTH_TOO_LONG);
		if ((rec[1] << 8 | rec[2]) != x->r.version)
			return rec_alert(t, true, SSL_AD_PROTOCOL_VERSION,
					 SSL_R_WRONG_VERSION_NUMBER);
		v = dtlsrec_open(&x->r, x->ctx, rec, (size_t)n, &m);
		switch (v) {
		case DTLSREC_DATA:
			if (!m.len)
				continue;
			if (m.len > cap) {
				x->plain = OPENSSL_malloc(m.len - cap);
				if (!x->plain) {
					ssl_error(ERR_R_MALLOC_FAILURE);
					return -EPROTO;
				}
				memcpy(x->plain, m.data + cap, m.len - cap);
				x->plain_len = (uint32_t)(m.len - cap);
				memcpy(buf, m.data, cap);
				return (int)cap;
			}
			memcpy(buf, m.data, m.len);
			return (int)m.len;
		case DTLSREC_CLOSE:
			if (!m.alert) {
				x->ended = -EPIPE; /* close_notify */
				return -EPIPE;
			}
			t->alert_rcvd = m.alert;
			x->ended = -EPROTO;
			x->close_sent = true; /* OpenSSL sends nothing more after a fatal alert */
			ssl_error(SSL_AD_REASON_OFFSET + m.alert); /* "sslv3 alert ..." */
			return -EPROTO;
		case DTLSREC_WARNING:
			continue;
		case DTLSREC_HANDSHAKE:
			if (m.type == DTLSREC_T_HANDSHAKE) {
				/* a HelloRequest: the phone does not renegotiate */
				rec_alert(t, false, SSL_AD_NO_RENEGOTIATION, 0);
				continue;
			}
			return rec_alert(t, true, SSL_AD_UNEXPECTED_MESSAGE,
					 SSL_R_UNEXPECTED_RECORD);
		case DTLSREC_MALFORMED:
			if (rec[0] < DTLSREC_T_CCS || rec[0] > DTLSREC_T_APP)
				return rec_alert(t, true, SSL_AD_UNEXPECTED_MESSAGE,
						 SSL_R_UNEXPECTED_RECORD);
			/* fall through */
		default:
			return rec_alert(t, true, SSL_AD_BAD_RECORD_MAC,
					 SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
		}
	}
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
	if (t->hs) {
		/* taken at once; tls_handshake() then says where the handshake stands */
		dtlshs_step(t->hs, t->bio, data, len, clock_us());
		return;
	}
	if (t->rec) {
		t->rec->in = data;
		t->rec->in_len = len;
		return;
	}
	wake(t);
	membio_feed(t->bio, data, len);
}

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
	if (t->hs) {
		int r = dtlshs_step(t->hs, t->bio, NULL, 0, clock_us());

		t->alert_sent = dtlshs_alert_sent(t->hs);
		t->alert_rcvd = dtlshs_alert_rcvd(t->hs);
		if (r < 0)
			ERR_error_string_n(ERR_PACK(ERR_LIB_SSL, 0, dtlshs_reason(t->hs)), tl_error,
					   sizeof(tl_error));
		return r;
	}
	if (!t->ssl)
		return t->rec ? 1 : -EPROTO;

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
	if (t->rec)
		return rec_read(t, buf, cap);

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
	if (t->rec) {
		const uint8_t *b = buf;

		if (t->rec->close_sent) {
			ssl_error(SSL_R_PROTOCOL_IS_SHUTDOWN);
			return -EPROTO;
		}
		do {
			size_t n = len < 16384 ? len : 16384;

			if (rec_send(t, DTLSREC_T_APP, b, n))
				return -EPROTO;
			b += n;
			len -= n;
		} while (len);
		return 0;
	}
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
	if (t->rec) {
		static const uint8_t close_notify[2] = {1, 0};

		if (!t->rec->close_sent)
			rec_send(t, DTLSREC_T_ALERT, close_notify, 2);
		t->rec->close_sent = true;
		return;
	}
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
	if (t->rec)
		return TLS_STAGE_DONE;
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
	if (t->hs)
		return "DTLSv0.9";
	return t->ssl ? SSL_get_version(t->ssl) : t->rec ? t->rec->version : "";
}

const char *tls_cipher_name(const struct tls *t)
{
	if (t->hs)
		return dtlshs_suite_name(t->hs);

	const SSL_CIPHER *c = tls_cipher(t);

	return c ? SSL_CIPHER_get_name(c) : "";
}
