/*
 * engine/tls/tls.h - TLS and DTLS sessions over a membio, never over a socket.
 *
 * A struct tls is an SSL object and the membio it reads and writes. The
 * channel feeds it received bytes (tls_feed), calls the handshake or read
 * functions until they want more, then sends what the BIO collected. The
 * same calls serve TLS (stream membio) and DTLS (datagram membio); dtls.h
 * adds how a DTLS session is keyed. Nothing here touches the ring.
 */
#ifndef ENGINE_TLS_H
#define ENGINE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

struct model;
struct tlsrec;
struct dtlsrec_ctx;
struct dtlshs;

struct tls {
	SSL *ssl; /* owned; NULL when closed, or once tls_take() or tls_keep_bio() freed it */
	BIO *bio; /* owned by ssl: both its read and write BIO; owned by the struct
		     itself once tls_take() or tls_keep_bio() freed ssl; NULL when closed */
	struct tlsrec *rec; /* owned: the session's records once tls_take() took them over */
	struct dtlshs *hs;  /* owned: our own DTLS 0.9 handshake (dtls_open_own: no ssl,
			       bio is the send queue), until dtls_own_settled() */
	uint32_t wseq, rseq; /* TLS: records sent, received since each side's ChangeCipherSpec */
	uint8_t seen;	    /* TLS: what the handshake showed (tls.c's S_* bits) */
	uint8_t alert_rcvd; /* last fatal alert received (TLS alert number), 0 if none */
	uint8_t alert_sent; /* last fatal alert we sent, 0 if none */
	bool idle;          /* record buffers given back by tls_idle() */
	bool cert_asked;    /* the peer asked for our certificate in the handshake */
	bool no_take;       /* tls_take said no for good (-ENOTSUP, or -EPROTO after the
			       handshake): the session stays OpenSSL's */
};

/*
 * Called during the handshake with the headend's leaf certificate; return
 * true to trust it. app is what tls_open was given.
 */
typedef bool (*tls_verify_fn)(void *app, X509 *leaf);

/*
 * Once per process, before its first handshake: RSA keys (the headend's
 * certificate, the phones' own keys) decoded and used by OpenSSL's built-in
 * RSA code instead of through the providers, which in OpenSSL 3.0 build a
 * decoder chain for every certificate received (a tenth of a millisecond of
 * CPU per handshake). Process-wide and for good: a process that is also a TLS
 * server with RSA key transport must not call it (OpenSSL 3.0 checks that
 * padding in its provider only). True if it took effect (false without
 * ENGINE support in the library).
 */
bool tls_builtin_rsa(void);

/*
 * A client context for one phone model: its protocol versions and cipher
 * list, buffers released when idle. Certificates are checked only by
 * verify (phones pin the leaf hash; there is no CA store). NULL on error.
 */
SSL_CTX *tls_ctx_new(const struct model *m, tls_verify_fn verify);

/* Start a client session. cert/key are borrowed (referenced). sni may be NULL. 0 or -ENOMEM. */
int tls_open(struct tls *t, SSL_CTX *ctx, X509 *cert, EVP_PKEY *key, const char *sni, void *app);
void tls_close(struct tls *t);
/*
 * Free the session's SSL but keep its BIO, with what it still holds to send,
 * as a plain datagram queue (membio.h): a DTLS session whose records are
 * sealed by engine/tls/dtlsrec after the handshake sends through it (an
 * empty queue keeps no buffer: membio_trim). tls_close() frees it.
 */
void tls_keep_bio(struct tls *t);
/*
 * A TLS session (not DTLS) whose handshake is done: free its `SSL` and seal
 * and open its records here from now on (engine/tls/dtlsrec.c's stream
 * mode), with the worker's cipher contexts ctx (borrowed: it must outlive
 * the session). The calls below go on as before (feed, read, write,
 * shutdown, close, the names); what OpenSSL's session kept after the
 * handshake (its `SSL`, about 7.6 KiB, the session and the headend's
 * certificate chain: about 21 KiB a phone) is gone. 0: taken; -EAGAIN: not
 * now (bytes OpenSSL has not yet read, or a record part way in); -ENOTSUP:
 * not done here (TLS 1.0, a suite the record layer does not know), the
 * session stays on OpenSSL; -ENOMEM; -EPROTO. -ENOTSUP, and -EPROTO once the
 * handshake is done (keys or sequence numbers not to be had), set no_take:
 * asking again would only repeat the answer.
 */
int tls_take(struct tls *t, struct dtlsrec_ctx *ctx);
/*
 * For tests and fuzzing: t (closed) becomes a client session already taken
 * over, keyed by p (a TLS version: dtlsrec.h), writing to a new stream
 * membio and sealing with ctx. 0, or as dtlsrec_init; -ENOMEM.
 */
struct dtlsrec_params;
int tls_take_params(struct tls *t, const struct dtlsrec_params *p, struct dtlsrec_ctx *ctx);
/* The negotiated suite, with or without the `SSL` (tls_take); NULL before the handshake. */
const SSL_CIPHER *tls_cipher(const struct tls *t);
/* True while the session is open: OpenSSL's or taken over (tls_take). */
static inline bool tls_is_open(const struct tls *t)
{
	return t->ssl || t->rec || t->hs;
}
/* The app pointer given to tls_open / dtls_open_*. */
void *tls_app(const SSL *ssl);

/* Lend received bytes (one datagram for DTLS) to the session. */
void tls_feed(struct tls *t, const uint8_t *data, size_t len);
/* Drive the handshake: 1 done, 0 needs more input, -EPROTO failed (see tls_alert/tls_last_error). */
int tls_handshake(struct tls *t);
/* Decrypted bytes into buf: >0 count, 0 needs more input, -EPIPE peer closed, -EPROTO error. */
int tls_read(struct tls *t, uint8_t *buf, size_t cap);
/* Encrypt len bytes as one record. 0, or -EPROTO. */
int tls_write(struct tls *t, const void *buf, size_t len);
/*
 * Give back the session's record buffers while it is idle. TLS does this by
 * itself (SSL_MODE_RELEASE_BUFFERS); OpenSSL never does it for DTLS, whose
 * two 17 KB buffers would otherwise stay with every connected phone. The
 * buffers come back before the session is used again (OpenSSL 3.0's DTLS
 * write path does not re-create them by itself).
 */
void tls_idle(struct tls *t);
/* Queue a close_notify. */
void tls_shutdown(struct tls *t);

/* The OpenSSL error of the last failure, as text ("no shared cipher"); static storage. */
const char *tls_last_error(void);
/* True if the last failure is a version or cipher mismatch. */
bool tls_failure_is_no_shared(const struct tls *t);
/* How far a client handshake got, to name a headend that just closes. */
enum tls_stage {
	TLS_STAGE_HELLO,    /* no ServerHello yet: the headend refused our hello */
	TLS_STAGE_KEYX,     /* between the ServerHello and our Finished */
	TLS_STAGE_FINISHED, /* our certificate and Finished sent: awaiting the headend's */
	TLS_STAGE_DONE,     /* handshake complete */
};
enum tls_stage tls_stage(const struct tls *t);

/* Negotiated protocol and cipher names ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"). */
const char *tls_version_name(const struct tls *t);
const char *tls_cipher_name(const struct tls *t);

#endif
