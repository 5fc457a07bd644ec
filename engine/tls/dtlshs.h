/*
 * engine/tls/dtlshs.h - the client side of the legacy DTLS 0.9 resumption
 * handshake, done here instead of by an OpenSSL `SSL`.
 *
 * An IP phone's DTLS (DTLS1_BAD_VER, version 0x0100, AES128-SHA or
 * AES256-SHA) is an abbreviated handshake resuming a session that never
 * existed: the master secret the phone sent in its CONNECT under the session
 * ID the headend gave (X-DTLS-Session-ID). Three flights, no public key:
 *
 *   ClientHello (empty cookie)      -> HelloVerifyRequest (optional)
 *   ClientHello (with the cookie)   -> ServerHello, ChangeCipherSpec, Finished
 *   ChangeCipherSpec + Finished     (one datagram; the session is up)
 *
 * The bytes are those OpenSSL 3.0's client sends for the same session (but
 * for the random and the Finished record's IV), its retransmission timer the
 * same (1 s, doubled up to 60 s, 12 times at most), and what it refuses it
 * refuses alike, with the alert OpenSSL sends and the text OpenSSL's error
 * would carry. The records of epoch 1 are engine/tls/dtlsrec's: once the
 * handshake is done, dtlshs_keys gives the session to the phone's own
 * record layer. Nothing here touches a socket: flights are queued in a
 * datagram membio (membio.h).
 *
 * Not done (OpenSSL buffers or reassembles them; here they are dropped and
 * the retransmission timer recovers): handshake messages out of order or in
 * fragments, epoch-1 records before the ChangeCipherSpec.
 */
#ifndef ENGINE_DTLSHS_H
#define ENGINE_DTLSHS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/bio.h>

struct dtlsrec;
struct dtlsrec_ctx;
struct dtlshs;

/* The two-byte id of a suite this handshake does ("AES256-SHA" -> 0x0035), 0 if not. */
uint16_t dtlshs_suite(const char *name);

/*
 * A handshake resuming (master, sid) with suite (dtlshs_suite), claiming the
 * session had session_cipher (0: suite; another: a headend answering with
 * suite fails it, "old session cipher not returned", as OpenSSL does).
 * random: the client random, or NULL for a fresh one. ctx (borrowed, must
 * outlive the handshake) opens the headend's Finished. 0, -ENOTSUP (suite),
 * -ENOMEM.
 */
int dtlshs_new(struct dtlshs **out, struct dtlsrec_ctx *ctx, uint16_t suite,
	       uint16_t session_cipher, const uint8_t master[48], const uint8_t sid[32],
	       const uint8_t *random);
void dtlshs_free(struct dtlshs *h);

/*
 * Drive the handshake at now_us (a monotonic clock, microseconds): the first
 * call sends the ClientHello; then each datagram (dg, len; may be NULL, 0)
 * from the headend is taken in, and what answers it queued in out. 1: done
 * (the session is up; dtlshs_used says where records after the headend's
 * Finished start in dg); 0: more wanted; -EPROTO: failed for good
 * (dtlshs_error, and any alert sent is queued in out).
 */
int dtlshs_step(struct dtlshs *h, BIO *out, const uint8_t *dg, size_t len, uint64_t now_us);
/*
 * Bytes of the last datagram given to dtlshs_step that the handshake took
 * (up to the record of the headend's Finished, when that finished it).
 */
size_t dtlshs_used(const struct dtlshs *h);

/* Microseconds until a retransmission is due at now_us (0 within 15 ms), -1 if none. */
int64_t dtlshs_timeout_us(const struct dtlshs *h, uint64_t now_us);
/*
 * Retransmit the last ClientHello into out if its timer is due. 1 sent,
 * 0 not due, -EPROTO: the 12 retransmissions are used up (failed).
 */
int dtlshs_handle_timeout(struct dtlshs *h, BIO *out, uint64_t now_us);

/*
 * Once done: the session's epoch-1 record state into r (keys, our Finished
 * counted, the headend's in the window), for dtlsrec_seal / dtlsrec_open.
 */
void dtlshs_keys(const struct dtlshs *h, struct dtlsrec *r);
/*
 * The headend sent its Finished again (it lacks ours): our ChangeCipherSpec
 * and Finished again, as OpenSSL resends them after its handshake (two
 * datagrams, the ChangeCipherSpec without its message sequence), the
 * Finished sealed with r (the session's records, which move on), queued in
 * out. 0, or as dtlsrec_seal; -EPROTO: the 13th time (OpenSSL counts these
 * as timeouts and fails then, "read timeout expired").
 */
int dtlshs_resend(struct dtlshs *h, struct dtlsrec *r, BIO *out);

/* What failed, as OpenSSL's error reason would say ("old session cipher not returned"). */
const char *dtlshs_error(const struct dtlshs *h);
/* ...and that reason's code (an SSL_R_* of <openssl/sslerr.h>), 0 if none. */
int dtlshs_reason(const struct dtlshs *h);
/* The fatal alert sent, received (TLS alert numbers), 0 if none. */
uint8_t dtlshs_alert_sent(const struct dtlshs *h);
uint8_t dtlshs_alert_rcvd(const struct dtlshs *h);
/* The client random (for the key log), the suite's OpenSSL name. */
const uint8_t *dtlshs_client_random(const struct dtlshs *h);
const char *dtlshs_suite_name(const struct dtlshs *h);

#endif
