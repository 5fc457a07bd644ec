/*
 * engine/tls/dtls.h - keying a DTLS session the AnyConnect way.
 *
 * Two flavours, both on a struct tls with a datagram membio:
 *  - legacy ("DTLS 0.9"): an abbreviated handshake resuming a session that
 *    never existed, made from the master secret we sent in the CONNECT and
 *    the session ID the headend returned;
 *  - PSK-NEGOTIATE: a DTLS 1.2 PSK handshake keyed by the TLS exporter of
 *    the CSTP session, with the headend's App-ID as the hello's session ID.
 * The handshake and records then use tls_handshake/tls_read/tls_write.
 */
#ifndef ENGINE_DTLS_H
#define ENGINE_DTLS_H

#include <stdint.h>

#include "engine/tls/tls.h"

/* The PSK DTLS client context (shared by all phones). NULL on error. */
SSL_CTX *dtls_ctx_new_psk(void);

/*
 * The legacy DTLS client contexts, one per suite of the X-DTLS-CipherSuite
 * table that this OpenSSL offers (shared by all phones; opaque). NULL on
 * ENOMEM. dtls_legacy_each gives each context to fn (to attach a key log,
 * say).
 */
struct dtls_legacy;
struct dtls_legacy *dtls_legacy_new(void);
void dtls_legacy_free(struct dtls_legacy *l);
void dtls_legacy_each(struct dtls_legacy *l, void (*fn)(SSL_CTX *ctx));

/*
 * Legacy: resume (master, sid) with the suite the headend chose.
 * suite is the header value ("AES256-SHA", "OC-DTLS1_2-AES256-GCM", or an
 * OpenSSL name if dtls12_header); the hello offers that suite alone.
 * session_cipher is the cipher (its two-byte TLS id) the resumed session
 * claims to have had: 0 for the suite's own. An IP phone's session claims
 * its TLS session's cipher (dtls_tls_cipher_id), so that a headend that
 * resumes with another suite gets OpenSSL's "old session cipher not
 * returned" and an illegal_parameter alert, as the phone's log shows.
 * 0, -EINVAL unknown suite (or one this OpenSSL does not offer), -ENOMEM.
 */
int dtls_open_legacy(struct tls *t, const struct dtls_legacy *l, const char *suite,
		     int dtls12_header, const uint8_t master[48], const uint8_t sid[32],
		     uint16_t session_cipher, void *app);
/*
 * Legacy DTLS 0.9 (AES128-SHA, AES256-SHA) by our own handshake
 * (engine/tls/dtlshs.c) instead of OpenSSL's: t gets no SSL, its bio is the
 * send queue from the start, and the records are engine/tls/dtlsrec's, with
 * the cipher contexts ctx (borrowed, must outlive t). The same arguments
 * and outcome as dtls_open_legacy, but no app: with no SSL to carry it,
 * dtls_keylog is given it.
 * tls_handshake, tls_feed, dtls_timeout_us, dtls_handle_timeout,
 * dtls_resumed, tls_version_name and tls_cipher_name then work as for an
 * OpenSSL session; once the handshake is done, dtlshs_keys(t->hs, ...)
 * gives the session's record state. 0; -ENOTSUP: not a suite done here
 * (use dtls_open_legacy); -ENOMEM.
 */
int dtls_open_own(struct tls *t, struct dtlsrec_ctx *ctx, const char *suite,
		  const uint8_t master[48], const uint8_t sid[32], uint16_t session_cipher);
/*
 * After our own handshake: the headend sent its Finished again, so ours
 * is sent again, sealed with r (the session's records). 0, or as
 * dtlshs_resend (-EPROTO: the 13th time, DTLS has failed).
 */
struct dtlsrec;
int dtls_own_resend(struct tls *t, struct dtlsrec *r);
/* The headend's first record came: our handshake's state is freed. */
void dtls_own_settled(struct tls *t);
/*
 * The key log's CLIENT_RANDOM line of a legacy session (master: the secret
 * the phone sent), whichever handshake made it; app as given to the open.
 */
void dtls_keylog(const struct tls *t, void *app, const uint8_t master[48]);
/* The two-byte id of a TLS session's cipher (0x0035 for AES256-SHA), 0 if none. */
uint16_t dtls_tls_cipher_id(const struct tls *t);
/* PSK: psk (32 bytes, borrowed for the session's life), app_id as session ID. */
int dtls_open_psk(struct tls *t, SSL_CTX *ctx, const uint8_t psk[32], const uint8_t *app_id,
		  size_t app_id_len, void *app);
/* The PSK of a TLS session: exporter "EXPORTER-openconnect-psk", 32 bytes. 0 or -EPROTO. */
int dtls_psk_from_tls(const struct tls *cstp, uint8_t psk[32]);
/*
 * The symmetric cipher and key size of a legacy DTLS suite as the headend
 * names it ("AES256-SHA" -> "AES-256"), or NULL if unknown; and of a TLS
 * session's cipher ("ECDHE-RSA-AES256-GCM-SHA384" -> "AES-256"). A phone
 * that must use the same cipher on TLS and DTLS compares the two.
 */
const char *dtls_suite_cipher(const char *suite, int dtls12_header);
const char *dtls_tls_cipher(const struct tls *t, char *buf, size_t len);
/* Microseconds until a handshake retransmission is due, or -1 if none. */
int64_t dtls_timeout_us(const struct tls *t);
/* Retransmit if due. */
void dtls_handle_timeout(struct tls *t);
/* After the handshake: was a legacy session really resumed (else: reject). */
int dtls_resumed(const struct tls *t);

#endif
