/*
 * engine/tls/dtlsrec.h - the DTLS record layer, run by us once OpenSSL has
 * finished a handshake.
 *
 * An OpenSSL DTLS `SSL` keeps about 37 KiB for the life of a session (21 KiB
 * of it a handshake buffer OpenSSL 3.0 never frees). After the handshake a
 * phone needs only its keys and sequence numbers: a struct dtlsrec (216
 * bytes, embedded in the phone) takes them out of the `SSL`, which can then
 * be freed, and seals and opens records itself with libcrypto. The cipher
 * contexts live in a struct dtlsrec_ctx, one per worker thread, re-keyed
 * when a record of another session comes by.
 *
 * Suites (all the DTLS ones a phone can end up with): the legacy "DTLS 0.9"
 * (DTLS1_BAD_VER, 0x0100) AES128-SHA and AES256-SHA; DTLS 1.2
 * AES128-GCM-SHA256 and AES256-GCM-SHA384 (OC-DTLS1_2-* and X-DTLS12
 * resumption); PSK-NEGOTIATE's PSK-AES128/256-GCM, PSK-CHACHA20-POLY1305
 * and PSK-AES128/256-CBC-SHA (DES-CBC3-SHA is not: this OpenSSL does not
 * offer it, so no phone here can negotiate it). CBC suites are MAC-then-encrypt (HMAC-SHA1,
 * TLS padding, an explicit IV per record); GCM carries epoch||seq as its
 * explicit nonce; ChaCha20-Poly1305 has none (RFC 7905). Received records
 * pass the RFC 6347 replay window of 64, which OpenSSL applies to
 * DTLS1_BAD_VER as to DTLS 1.2.
 *
 * How a phone uses it (engine/phone/tunnel.c, one DTLS channel):
 *   1. open the `SSL` as always (dtls_open_legacy / dtls_open_psk), then
 *      dtlsrec_watch(&p->dtls_rec, ssl): from then on OpenSSL's record
 *      headers tell the struct which sequence numbers the handshake used;
 *   2. handshake with OpenSSL (tls_handshake, tls_read);
 *   3. after each tls_read loop while DTLS is up, dtlsrec_take(). 0: the
 *      keys are out; tls_keep_bio() frees the `SSL` and keeps its membio,
 *      with what OpenSSL still queued, as the send queue; from then on
 *      tunnel_send_dtls seals each frame at buf + dtlsrec_head() of its
 *      own buffer with dtlsrec_seal and queues the datagram there, and a
 *      received datagram is opened record by record (m.used) with
 *      dtlsrec_open in a copy of the ring's buffer, DATA going to the frame
 *      switch as tls_read's output does. -EAGAIN: not yet (a resumed
 *      session keeps the `SSL` until the headend's first record shows it
 *      has our Finished, since only OpenSSL can resend it); -ENOTSUP: a
 *      suite or option not done here, stay on OpenSSL;
 *   4. a DTLSREC_CLOSE from dtlsrec_open with a fatal alert ends DTLS; a
 *      close_notify, a DTLSREC_WARNING or DTLSREC_HANDSHAKE (a
 *      renegotiation or a late retransmission) is not answered, the rest
 *      are dropped and counted (traffic.dtls_rx_dropped). The phone sends
 *      no close_notify at logout (it never did): dtlsrec_close_notify is
 *      there for a client that does;
 *   5. rekey, a new handshake, DTLS failure or the phone's end:
 *      tunnel_dtls_close (tls_close, dtlsrec_clear), then a new `SSL` from
 *      step 1.
 * Nothing here touches the ring, and nothing allocates per record.
 *
 * The same layer serves TLS 1.1 and 1.2 over a stream (struct
 * dtlsrec_params below; engine/tls/tls.c's tls_take for the CSTP channel):
 * the same suites and keys, 5-byte headers, implicit sequence numbers, CBC
 * MAC-then-encrypt or encrypt-then-MAC (RFC 7366) as the ServerHello said,
 * and the ECDHE and DHE forms of the suites (the record protection is the
 * same).
 */
#ifndef ENGINE_DTLSREC_H
#define ENGINE_DTLSREC_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#define DTLSREC_HEADER_LEN 13 /* type, version, epoch, sequence number, length */
#define DTLSREC_MAX_HEAD   29 /* header + the largest explicit IV (AES block) */
#define DTLSREC_MAX_TAIL   36 /* the most a record adds after its plaintext (SHA-1 MAC + padding) */

/* Record content types (RFC 6347). */
enum dtlsrec_type {
	DTLSREC_T_CCS = 20,
	DTLSREC_T_ALERT = 21,
	DTLSREC_T_HANDSHAKE = 22,
	DTLSREC_T_APP = 23,
};

/* What dtlsrec_open made of a record. Everything after DTLSREC_HANDSHAKE is dropped. */
enum dtlsrec_verdict {
	DTLSREC_DATA,	   /* application data: m->data, m->len */
	DTLSREC_CLOSE,	   /* close_notify or a fatal alert (m->alert): the peer ended DTLS */
	DTLSREC_WARNING,   /* another warning alert (m->alert): nothing to do */
	DTLSREC_HANDSHAKE, /* handshake or CCS in the current epoch (a retransmitted
			      Finished, a renegotiation): not answered */
	DTLSREC_REPLAY,	   /* seen already, or left of the window */
	DTLSREC_EPOCH,	   /* another epoch (a handshake's epoch-0 retransmission) */
	DTLSREC_FORGED,	   /* MAC, padding or tag wrong */
	DTLSREC_MALFORMED, /* not one of our records: short, length, version or type */
};

/*
 * One session's record state: keys, sequence numbers, the replay window.
 * Embedded in its owner; plain bytes (copy, zero or dtlsrec_clear it).
 */
struct dtlsrec {
	uint64_t id;	  /* identity of these keys in a dtlsrec_ctx's cache; 0: not keyed */
	uint64_t wseq;	  /* next sequence number to send (48 bits) */
	uint64_t rtop;	  /* highest sequence number received and accepted (TLS: the next
			     one to receive) */
	uint64_t rmap;	  /* bit i set: rtop - i was accepted (the window of 64) */
	uint16_t version; /* on the wire: 0x0100 (DTLS 0.9) or 0xfefd (DTLS 1.2) */
	uint16_t epoch;	  /* of both directions: 1 after a first handshake */
	uint8_t suite;	  /* index in dtlsrec.c's suite table, 0: none */
	uint8_t flags;	  /* dtlsrec.c's F_* bits (what dtlsrec_watch saw) */
	uint8_t salt[8];  /* random per session: the CBC explicit IV's nonce */
	uint8_t wkey[32], rkey[32]; /* cipher keys, send and receive */
	uint32_t wmac[10], rmac[10]; /* HMAC-SHA1 (CBC suites), send and receive: the
					SHA-1 state after the inner padded key, then
					after the outer one (the keys' only form kept) */
	uint8_t wiv[12], riv[12];   /* AEAD implicit IVs (GCM: 4 bytes, ChaCha20: 12) */
};

/* What one dtlsrec_open call found. */
struct dtlsrec_msg {
	uint8_t *data; /* the plaintext, inside the caller's buffer */
	size_t len;
	size_t used;  /* bytes of the datagram this record took: the next one starts there */
	uint8_t type; /* content type (enum dtlsrec_type) */
	uint8_t
	    alert; /* DTLSREC_CLOSE / DTLSREC_WARNING: the alert's description (0 close_notify) */
};

/*
 * A session's parameters, to key a struct dtlsrec without an `SSL` (tests,
 * tools, and engine/tls/tls.c for the CSTP channel). A TLS version (0x0302
 * TLS 1.1, 0x0303 TLS 1.2) keys it for TLS over a stream instead: 5-byte
 * headers, sequence numbers implicit (wseq the next to send, rtop the next
 * to receive, epoch unused), each record opened by dtlsrec_open whole and in
 * order (the caller frames the stream), CBC with encrypt-then-MAC when etm.
 * TLS 1.0's chained CBC IV is not done (-ENOTSUP).
 */
struct dtlsrec_params {
	uint16_t version; /* 0x0100 (DTLS1_BAD_VER), 0xfeff (DTLS 1.0) or 0xfefd (DTLS 1.2);
			     0x0302, 0x0303: TLS 1.1, 1.2 */
	int etm;	  /* TLS CBC suites: encrypt-then-MAC (RFC 7366) was negotiated */
	uint16_t suite;	  /* IANA cipher suite number (0x0035 AES256-SHA, ...) */
	int server;	  /* nonzero: we are the server (write with the server's keys) */
	uint8_t master[48];
	uint8_t client_random[32], server_random[32];
	uint16_t epoch; /* of both directions */
	uint64_t wseq;	/* next sequence number to send */
	uint64_t rtop;	/* everything up to this sequence number counts as seen... */
	int rnone;	/* ...unless nonzero: nothing received yet in this epoch */
};

/* Per-thread cipher contexts: one for sealing, one for opening. NULL on ENOMEM. */
struct dtlsrec_ctx *dtlsrec_ctx_new(void);
void dtlsrec_ctx_free(struct dtlsrec_ctx *c);

/*
 * Before the handshake: have ssl report the sequence numbers of the records
 * it sends and receives in epoch 1 into r (zeroed here). ssl writes into r
 * until dtlsrec_take returns 0 or -ENOTSUP or ssl is freed: r must stay put.
 */
void dtlsrec_watch(struct dtlsrec *r, SSL *ssl);
/*
 * After the handshake: take ssl's keys and sequence numbers into r (client
 * or server side, as ssl is). 0: done, ssl may be freed; -EAGAIN: not yet
 * (handshake unfinished, records left unread in ssl, or a resumed session
 * whose peer has sent no application record yet); -ENOTSUP: a suite or
 * option not handled here (stay on OpenSSL); -EPROTO: ssl was not watched
 * or its secrets cannot be read. ssl is not changed except for its message
 * callback, removed on 0 and -ENOTSUP.
 */
int dtlsrec_take(struct dtlsrec *r, SSL *ssl);
/* Key r from explicit parameters. 0, -ENOTSUP (suite or version), -EPROTO (key derivation). */
int dtlsrec_init(struct dtlsrec *r, const struct dtlsrec_params *p);
/*
 * TLS 1.0's PRF (P_MD5 XOR P_SHA1) of a 48-byte master secret over seed
 * (label and data), len bytes into out: DTLS 0.9's key expansion and
 * Finished (engine/tls/dtlshs.c).
 */
void dtlsrec_prf10(const uint8_t master[48], const uint8_t *seed, size_t seed_len, uint8_t *out,
		   size_t len);
/* Wipe r's keys and state. */
void dtlsrec_clear(struct dtlsrec *r);

/* Bytes before the plaintext in a sealed record: header and explicit IV or nonce. */
size_t dtlsrec_head(const struct dtlsrec *r);
/* Bytes a record of len plaintext bytes takes once sealed (0 if r is not keyed). */
size_t dtlsrec_sealed_len(const struct dtlsrec *r, size_t len);

/*
 * Seal a record of content type in place: its len plaintext bytes are at
 * buf + dtlsrec_head(r), in a buffer of cap bytes from buf. Writes header,
 * IV, MAC, padding or tag around them. Returns the record's length (send
 * buf[0..n)), -EMSGSIZE if cap is short or len over 2^14, -EOVERFLOW when
 * the sequence numbers are used up (rekey), -EINVAL if r is not keyed, -EIO
 * if libcrypto fails.
 */
int dtlsrec_seal(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t type, uint8_t *buf, size_t len,
		 size_t cap);
/* Seal a close_notify alert into buf (cap bytes). Length, or as dtlsrec_seal. */
int dtlsrec_close_notify(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t *buf, size_t cap);
/*
 * Open the first record of a received datagram (buf, len) in place and
 * return its enum dtlsrec_verdict; m->used says where the next record of
 * the datagram starts. Only DATA, CLOSE, WARNING and HANDSHAKE come from
 * the peer's keys; the window moves only for them.
 */
int dtlsrec_open(struct dtlsrec *r, struct dtlsrec_ctx *c, uint8_t *buf, size_t len,
		 struct dtlsrec_msg *m);
/* The verdict's name ("replay"), for traces and counters. */
const char *dtlsrec_verdict_name(int verdict);

#endif
