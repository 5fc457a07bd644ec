/*
 * engine/tls/dtlshs.c - the DTLS 0.9 resumption handshake, client side (dtlshs.h).
 *
 * Why: an OpenSSL `SSL` for this handshake costs a tunnel more than the
 * rest of its DTLS (the SSL, its session, its buffers, provider fetches for
 * the keys; about a fifth of a tunnel's bring-up CPU in the ninth session's
 * profile), for three small flights whose records engine/tls/dtlsrec already
 * seals and opens. What OpenSSL 3.0's client does with DTLS1_BAD_VER, and so
 * what this does:
 *  - the ClientHello: version 0x0100, the random, the session ID to resume,
 *    the cookie (empty at first), the suite and the renegotiation SCSV
 *    (0x00ff), null compression, no extensions; handshake message sequence
 *    0, then 1 for the hello carrying a HelloVerifyRequest's cookie;
 *  - the handshake hash (MD5 and SHA-1) covers the bodies of the hello the
 *    ServerHello answers, the ServerHello and the server's Finished: DTLS
 *    0.9 leaves out every message header;
 *  - the ChangeCipherSpec carries the next handshake message sequence (two
 *    bytes) and uses it up; the server's must be three bytes long;
 *  - the Finished is TLS 1.0's (its PRF over MD5 || SHA-1 of the hash);
 *  - a ServerHello with another session ID is a full handshake, which a
 *    phone never accepts: OpenSSL then ignores the ChangeCipherSpec and
 *    waits (here too; its next handshake message fails it, no alert); with
 *    a suite other than the session's, "old session cipher not returned"
 *    and an illegal_parameter alert;
 *  - records of another version, or not whole, end the datagram silently;
 *    epoch 0 has a replay window of its own (started again after a
 *    HelloVerifyRequest); messages already seen are dropped; epoch-1
 *    records that do not open are dropped (the timer then resends the
 *    hello); warning alerts are ignored, the fifth fails the handshake;
 *  - once done, the headend's Finished again gets the last flight again,
 *    as OpenSSL resends it (dtlshs_resend).
 * Every one of these is checked against OpenSSL's client in
 * tests/unit/test_dtlshs.c.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "engine/tls/dtlshs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "engine/tls/dtlsrec.h"
#include "engine/tls/membio.h"

#define V_BAD	  0x0100u /* DTLS1_BAD_VER */
#define REC	  DTLSREC_HEADER_LEN
#define HS	  12u	    /* handshake header: type, length, sequence, offset, fragment length */
#define FIN	  12u	    /* Finished verify data */
#define SCSV	  0x00ffu   /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
#define TMO_FIRST 1000000u  /* retransmission timer: first, microseconds */
#define TMO_MAX	  60000000u /* ...doubled up to this */
#define TMO_COUNT 12u	    /* retransmissions at most */
#define TMO_SLACK 15000u    /* a timer this close counts as due */
#define WARN_MAX  5u	    /* warning alerts: the fifth ends the handshake */
#define HVR_MAX	  258u	    /* the longest HelloVerifyRequest */

enum { M_HELLO_VERIFY = 3, M_SERVER_HELLO = 2, M_FINISHED = 20 };
enum {
	A_UNEXPECTED = 10,
	A_HANDSHAKE_FAILURE = 40,
	A_ILLEGAL_PARAMETER = 47,
	A_DECODE_ERROR = 50,
	A_DECRYPT_ERROR = 51,
	A_PROTOCOL_VERSION = 70,
	A_UNSUPPORTED_EXT = 110
};

enum hs_state {
	S_START,    /* nothing sent yet */
	S_HELLO,    /* ClientHello sent: a HelloVerifyRequest or ServerHello next */
	S_FULL,	    /* the ServerHello did not resume: a full handshake, refused */
	S_CCS,	    /* ServerHello in: the server's ChangeCipherSpec next */
	S_FINISHED, /* reading epoch 1: the server's Finished next */
	S_DONE,
	S_FAILED,
};

static const struct {
	const char *name;
	uint16_t id;
} suites[] = {{"AES128-SHA", 0x002f}, {"AES256-SHA", 0x0035}};

struct dtlshs {
	struct dtlsrec rec;	 /* epoch 1, keyed at the ServerHello */
	struct dtlsrec_ctx *ctx; /* borrowed: opens the server's Finished */
	MD5_CTX md5;		 /* the handshake hash, from the ServerHello on */
	SHA_CTX sha1;
	uint64_t due_us;       /* retransmission due (monotonic us), 0: no timer */
	uint64_t seq0;	       /* next epoch-0 record sequence number to send */
	uint64_t r0top, r0map; /* epoch-0 records received: the highest, the window of 64
				  below it (bit i: r0top - i seen); r0map 0: none yet */
	uint32_t tmo_us;       /* the timer's current duration */
	uint16_t suite, session_cipher;
	uint16_t wmsg, rmsg; /* next handshake message sequence to send, to read */
	uint16_t ccs_seq;    /* what our ChangeCipherSpec carried */
	uint8_t state;	     /* enum hs_state */
	uint8_t timeouts, warnings;
	uint8_t alert_sent, alert_rcvd;
	int reason;  /* S_FAILED: OpenSSL's SSL_R_* reason for it */
	size_t used; /* of the last datagram, up to the server's Finished */
	uint8_t master[48], sid[32], crandom[32], srandom[32];
	uint8_t fin[HS + FIN]; /* our Finished message, for resends */
	uint8_t cookie_len;
	uint8_t cookie[255];
};

/* ==== Small helpers ==== */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 16);
	put16(p + 1, v);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned get24(const uint8_t *p)
{
	return (unsigned)p[0] << 16 | get16(p + 1);
}

static uint64_t get48(const uint8_t *p)
{
	return (uint64_t)get24(p) << 24 | get24(p + 3);
}

uint16_t dtlshs_suite(const char *name)
{
	for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!strcmp(suites[i].name, name))
			return suites[i].id;
	return 0;
}

/* The name of suite id, NULL if this handshake does not do it. */
static const char *suite_name(uint16_t id)
{
	for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return suites[i].name;
	return NULL;
}

const char *dtlshs_suite_name(const struct dtlshs *h)
{
	return suite_name(h->suite);
}

/* An epoch-0 record header at r for len bytes of type, with the next sequence number. */
static void header0(struct dtlshs *h, uint8_t *r, uint8_t type, size_t len)
{
	uint64_t seq = h->seq0++;

	r[0] = type;
	put16(r + 1, V_BAD);
	put16(r + 3, 0);
	for (int i = 0; i < 6; i++)
		r[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	put16(r + 11, (unsigned)len);
}

/* A handshake message header at m: type, length len, sequence seq, unfragmented. */
static void hs_header(uint8_t *m, uint8_t type, unsigned seq, size_t len)
{
	m[0] = type;
	put24(m + 1, (unsigned)len);
	put16(m + 4, seq);
	put24(m + 6, 0);
	put24(m + 9, (unsigned)len);
}

/* Queue n bytes as one datagram. */
static void queue(BIO *out, const uint8_t *d, size_t n)
{
	BIO_write(out, d, (int)n);
}

/* Fail for good with OpenSSL's reason, sending a fatal alert (if alert > 0). */
static int fail(struct dtlshs *h, BIO *out, int alert, int reason)
{
	if (alert >= 0) {
		uint8_t r[REC + 2];

		header0(h, r, DTLSREC_T_ALERT, 2);
		r[REC] = 2;
		r[REC + 1] = (uint8_t)alert;
		queue(out, r, sizeof(r));
		h->alert_sent = (uint8_t)alert;
	}
	h->state = S_FAILED;
	h->reason = reason;
	h->due_us = 0;
	return -EPROTO;
}

/* ==== Our flights ==== */

/* The ClientHello's body at b: its length. */
static size_t hello_body(const struct dtlshs *h, uint8_t *b)
{
	size_t n = 0;

	put16(b, V_BAD);
	memcpy(b + 2, h->crandom, 32);
	b[34] = 32;
	memcpy(b + 35, h->sid, 32);
	n = 67;
	b[n++] = h->cookie_len;
	memcpy(b + n, h->cookie, h->cookie_len);
	n += h->cookie_len;
	put16(b + n, 4); /* the suite and the renegotiation SCSV */
	put16(b + n + 2, h->suite);
	put16(b + n + 4, SCSV);
	n += 6;
	b[n++] = 1; /* null compression */
	b[n++] = 0;
	return n;
}

/* Send the ClientHello (message sequence wmsg - 1, already counted). */
static void send_hello(struct dtlshs *h, BIO *out)
{
	uint8_t d[REC + HS + 80 + 255];
	size_t n = hello_body(h, d + REC + HS);

	hs_header(d + REC, 1, (unsigned)(h->wmsg - 1u), n);
	header0(h, d, DTLSREC_T_HANDSHAKE, HS + n);
	queue(out, d, REC + HS + n);
}

static void timer_start(struct dtlshs *h, uint64_t now)
{
	h->due_us = now + h->tmo_us;
}

static void timer_stop(struct dtlshs *h)
{
	h->due_us = 0;
	h->tmo_us = TMO_FIRST;
	h->timeouts = 0;
}

/* The Finished verify data of label, over the handshake hash so far. */
static void finished(const struct dtlshs *h, const char *label, uint8_t out[FIN])
{
	uint8_t seed[32 + MD5_DIGEST_LENGTH + SHA_DIGEST_LENGTH];
	size_t l = strlen(label);
	MD5_CTX md5 = h->md5;
	SHA_CTX sha1 = h->sha1;

	memcpy(seed, label, l);
	MD5_Final(seed + l, &md5);
	SHA1_Final(seed + l + MD5_DIGEST_LENGTH, &sha1);
	dtlsrec_prf10(h->master, seed, l + MD5_DIGEST_LENGTH + SHA_DIGEST_LENGTH, out, FIN);
	OPENSSL_cleanse(seed, sizeof(seed));
}

/*
 * Our ChangeCipherSpec (epoch 0) and Finished (epoch 1, sealed with r) in
 * one datagram, as OpenSSL sends the flight. 0 or as dtlsrec_seal; -ENOMEM.
 */
static int send_finished(struct dtlshs *h, struct dtlsrec *r, BIO *out)
{
	size_t head = dtlsrec_head(r), cap = REC + 3 + head + sizeof(h->fin) + DTLSREC_MAX_TAIL;
	uint8_t *d;
	int n = membio_dgram_reserve(out, cap, &d);

	if (n)
		return n > 0 ? 0 : n;
	header0(h, d, DTLSREC_T_CCS, 3);
	d[REC] = 1;
	put16(d + REC + 1, h->ccs_seq);
	memcpy(d + REC + 3 + head, h->fin, sizeof(h->fin));
	n = dtlsrec_seal(r, h->ctx, DTLSREC_T_HANDSHAKE, d + REC + 3, sizeof(h->fin),
			 cap - REC - 3);
	if (n < 0)
		return n;
	membio_dgram_commit(out, REC + 3 + (size_t)n);
	return 0;
}

/* ==== The server's flight ==== */

/*
 * The extensions of a ServerHello (ext, n bytes after the length): the
 * empty renegotiation_info answers our SCSV; an extension OpenSSL knows and
 * did not send is refused (unsupported_extension), one it does not know is
 * ignored, as OpenSSL does. 0, or fail()'s -EPROTO.
 */
static int server_extensions(struct dtlshs *h, BIO *out, const uint8_t *ext, size_t n)
{
	/* OpenSSL 3.0's own extensions (ext_defs), none of which this hello sends */
	static const uint16_t known[] = {0,  1,	 5,  10, 11, 12, 13, 14, 16, 21, 22,
					 23, 35, 41, 42, 43, 45, 47, 49, 50, 51, 13172};
	uint8_t seen_reneg = 0;

	while (n) {
		unsigned type, len;

		if (n < 4 || (len = get16(ext + 2)) > n - 4)
			return fail(h, out, A_DECODE_ERROR, SSL_R_BAD_EXTENSION);
		type = get16(ext);
		if (type == 0xff01) {
			if (seen_reneg++)
				return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
			if (len != 1 || ext[4] != 0)
				return fail(h, out, A_HANDSHAKE_FAILURE,
					    SSL_R_RENEGOTIATION_MISMATCH);
		} else {
			for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				if (known[i] == type)
					return fail(h, out, A_UNSUPPORTED_EXT,
						    SSL_R_UNSOLICITED_EXTENSION);
		}
		ext += 4 + len;
		n -= 4 + len;
	}
	return 0;
}

/* The ServerHello's body b (n bytes). 0, or fail()'s -EPROTO. */
static int server_hello(struct dtlshs *h, BIO *out, const uint8_t *b, size_t n)
{
	unsigned sid_len, suite;
	size_t off;
	int r;

	if (n < 2 + 32 + 1)
		return fail(h, out, A_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
	if (get16(b) != V_BAD)
		return fail(h, out, A_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
	sid_len = b[34];
	if (sid_len > 32)
		return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_SSL3_SESSION_ID_TOO_LONG);
	off = 35 + sid_len;
	if (n < off + 3)
		return fail(h, out, A_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
	suite = get16(b + off);
	if (suite != h->suite)
		return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_WRONG_CIPHER_RETURNED);
	bool resumed = sid_len == 32 && !memcmp(b + 35, h->sid, 32);

	if (resumed && suite != h->session_cipher)
		return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED);
	if (b[off + 2] != 0)
		return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM);
	off += 3;
	if (off < n) {
		if (n - off < 2 || get16(b + off) != n - off - 2)
			return fail(h, out, A_DECODE_ERROR, SSL_R_BAD_LENGTH);
		r = server_extensions(h, out, b + off + 2, n - off - 2);
		if (r)
			return r;
	}
	memcpy(h->srandom, b + 2, 32);
	if (!resumed) {
		h->state = S_FULL;
		return 0;
	}

	/* the hash from the hello it answers; the keys for epoch 1 */
	uint8_t ch[80 + 255];
	size_t chn = hello_body(h, ch);
	struct dtlsrec_params p = {.version = V_BAD, .suite = h->suite, .epoch = 1, .rnone = 1};

	MD5_Init(&h->md5);
	SHA1_Init(&h->sha1);
	MD5_Update(&h->md5, ch, chn);
	SHA1_Update(&h->sha1, ch, chn);
	MD5_Update(&h->md5, b, n);
	SHA1_Update(&h->sha1, b, n);
	memcpy(p.master, h->master, 48);
	memcpy(p.client_random, h->crandom, 32);
	memcpy(p.server_random, h->srandom, 32);
	r = dtlsrec_init(&h->rec, &p);
	OPENSSL_cleanse(&p, sizeof(p));
	if (r)
		return fail(h, out, A_HANDSHAKE_FAILURE, ERR_R_INTERNAL_ERROR);
	h->state = S_CCS;
	return 0;
}

/*
 * Has the epoch-0 record seq been seen (or fallen behind the window of 64)?
 * If not, it counts as seen from now on. OpenSSL keeps this window for
 * epoch 0 too, and starts it again after a HelloVerifyRequest.
 */
static bool replayed0(struct dtlshs *h, uint64_t seq)
{
	if (!h->r0map || seq > h->r0top) {
		uint64_t shift = h->r0map ? seq - h->r0top : 64;

		h->r0map = shift >= 64 ? 1 : h->r0map << shift | 1;
		h->r0top = seq;
		return false;
	}
	if (h->r0top - seq >= 64 || (h->r0map >> (h->r0top - seq) & 1))
		return true;
	h->r0map |= (uint64_t)1 << (h->r0top - seq);
	return false;
}

/* A HelloVerifyRequest's body b (n bytes): the hello again, with its cookie. */
static int hello_verify(struct dtlshs *h, BIO *out, const uint8_t *b, size_t n, uint64_t now)
{
	if (n > HVR_MAX)
		return fail(h, out, A_ILLEGAL_PARAMETER, SSL_R_EXCESSIVE_MESSAGE_SIZE);
	if (n < 3 || b[2] > n - 3)
		return fail(h, out, A_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
	h->cookie_len = b[2];
	memcpy(h->cookie, b + 3, b[2]);
	h->r0map = 0;
	timer_stop(h);
	h->wmsg++;
	send_hello(h, out);
	timer_start(h, now);
	return 0;
}

/* The server's Finished, opened (msg: header and body, n bytes). 1 done, or -EPROTO. */
static int server_finished(struct dtlshs *h, BIO *out, const uint8_t *msg, size_t n)
{
	uint8_t want[FIN];
	int r;

	if (n != HS + FIN)
		return fail(h, out, A_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
	finished(h, "server finished", want);
	if (CRYPTO_memcmp(want, msg + HS, FIN))
		return fail(h, out, A_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
	MD5_Update(&h->md5, msg + HS, FIN);
	SHA1_Update(&h->sha1, msg + HS, FIN);
	timer_stop(h);

	/* ours: ChangeCipherSpec (carrying and using up a message sequence), Finished */
	h->ccs_seq = h->wmsg++;
	hs_header(h->fin, M_FINISHED, h->wmsg++, FIN);
	finished(h, "client finished", h->fin + HS);
	r = send_finished(h, &h->rec, out);
	if (r)
		return fail(h, out, -1, ERR_R_INTERNAL_ERROR);
	h->state = S_DONE;
	return 1;
}

/*
 * The handshake messages of one plaintext record (body, n bytes), in turn.
 * 0 go on, 1 done, -EPROTO failed.
 */
static int handshake_record(struct dtlshs *h, BIO *out, const uint8_t *body, size_t n, uint64_t now)
{
	while (n >= HS && h->state != S_FAILED) {
		unsigned type = body[0], len = get24(body + 1), seq = get16(body + 4);
		unsigned foff = get24(body + 6), flen = get24(body + 9);
		int r = 0;

		if (flen > n - HS)
			return 0; /* not whole: the rest of the record is dropped */
		body += HS + flen;
		n -= HS + flen;
		if (seq != h->rmsg || foff != 0 || flen != len)
			continue; /* seen already, ahead of its turn, or a fragment */
		h->rmsg++;
		const uint8_t *b = body - flen;

		if (h->state == S_HELLO && type == M_HELLO_VERIFY)
			r = hello_verify(h, out, b, len, now);
		else if (h->state == S_HELLO && type == M_SERVER_HELLO)
			r = server_hello(h, out, b, len);
		else if (h->state == S_FULL)
			r = fail(h, out, -1, SSL_R_UNEXPECTED_MESSAGE); /* not a resumption */
		else
			r = fail(h, out, A_UNEXPECTED, SSL_R_UNEXPECTED_MESSAGE);
		if (r)
			return r;
	}
	return 0;
}

/* An alert (body, n bytes) during the handshake. 0 go on, -EPROTO failed. */
static int alert(struct dtlshs *h, BIO *out, const uint8_t *body, size_t n)
{
	if (n != 2)
		return fail(h, out, A_DECODE_ERROR, SSL_R_INVALID_ALERT);
	if (body[0] == 2) {
		h->alert_rcvd = body[1];
		return fail(h, out, -1, SSL_AD_REASON_OFFSET + body[1]);
	}
	if (++h->warnings >= WARN_MAX)
		return fail(h, out, A_UNEXPECTED, SSL_R_TOO_MANY_WARN_ALERTS);
	return 0;
}

/* One epoch-0 record (type, body of n bytes). 0 go on, -EPROTO failed. */
static int record0(struct dtlshs *h, BIO *out, uint8_t type, const uint8_t *body, size_t n,
		   uint64_t now)
{
	switch (type) {
	case DTLSREC_T_HANDSHAKE:
		return handshake_record(h, out, body, n, now);
	case DTLSREC_T_ALERT:
		return alert(h, out, body, n);
	case DTLSREC_T_CCS:
		if (h->state != S_CCS)
			return 0; /* early, or in a full handshake: OpenSSL waits on */
		if (n != 3)
			return fail(h, out, A_DECODE_ERROR, SSL_R_BAD_CHANGE_CIPHER_SPEC);
		if (body[0] != 1)
			return fail(h, out, A_UNEXPECTED, SSL_R_BAD_CHANGE_CIPHER_SPEC);
		h->rmsg++; /* DTLS 0.9: the ChangeCipherSpec takes a message sequence */
		h->state = S_FINISHED;
		return 0;
	case DTLSREC_T_APP:
		return 0; /* before the session is up: dropped */
	default:
		return fail(h, out, A_UNEXPECTED, SSL_R_UNEXPECTED_RECORD);
	}
}

/* One epoch-1 record, opened in place (rec, n bytes). 0 go on, 1 done, -EPROTO failed. */
static int record1(struct dtlshs *h, BIO *out, uint8_t *rec, size_t n)
{
	struct dtlsrec_msg m;
	int v = dtlsrec_open(&h->rec, h->ctx, rec, n, &m);

	if (v == DTLSREC_CLOSE || v == DTLSREC_WARNING)
		return alert(h, out, m.data, m.len);
	if (v != DTLSREC_HANDSHAKE)
		return 0; /* forged, replayed, not ours: dropped, as OpenSSL drops them */
	if (m.type != DTLSREC_T_HANDSHAKE || m.len < HS)
		return fail(h, out, A_UNEXPECTED, SSL_R_UNEXPECTED_MESSAGE);
	if (get16(m.data + 4) != h->rmsg || get24(m.data + 6) != 0 ||
	    get24(m.data + 9) != get24(m.data + 1))
		return 0; /* seen already, ahead, or a fragment */
	if (m.data[0] != M_FINISHED)
		return fail(h, out, A_UNEXPECTED, SSL_R_UNEXPECTED_MESSAGE);
	if (get24(m.data + 9) != m.len - HS)
		return fail(h, out, A_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
	h->rmsg++;
	return server_finished(h, out, m.data, m.len);
}

/* ==== The interface ==== */

int dtlshs_new(struct dtlshs **out, struct dtlsrec_ctx *ctx, uint16_t suite,
	       uint16_t session_cipher, const uint8_t master[48], const uint8_t sid[32],
	       const uint8_t *random)
{
	struct dtlshs *h;

	*out = NULL;
	if (!suite_name(suite))
		return -ENOTSUP;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ctx = ctx;
	h->suite = suite;
	h->session_cipher = session_cipher ? session_cipher : suite;
	memcpy(h->master, master, 48);
	memcpy(h->sid, sid, 32);
	if (random)
		memcpy(h->crandom, random, 32);
	else if (RAND_bytes(h->crandom, 32) != 1) {
		free(h);
		return -ENOMEM;
	}
	h->tmo_us = TMO_FIRST;
	*out = h;
	return 0;
}

void dtlshs_free(struct dtlshs *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

int dtlshs_step(struct dtlshs *h, BIO *out, const uint8_t *dg, size_t len, uint64_t now_us)
{
	uint8_t buf[2048];
	size_t off = 0;
	int r = 0;

	if (dg)
		h->used = 0;
	if (h->state == S_FAILED)
		return -EPROTO;
	if (h->state == S_DONE)
		return 1;
	if (h->state == S_START) {
		h->wmsg = 1;
		send_hello(h, out);
		timer_start(h, now_us);
		h->state = S_HELLO;
	}
	if (!dg || !len || len > sizeof(buf))
		return 0;
	memcpy(buf, dg, len); /* records of epoch 1 are opened in place */
	while (len - off >= REC && !r) {
		uint8_t *rec = buf + off;
		size_t n = get16(rec + 11);
		unsigned epoch = get16(rec + 3);

		if (get16(rec + 1) != V_BAD || n > len - off - REC)
			break; /* not ours, or not whole: the rest is dropped */
		off += REC + n;
		if (epoch == 0 && h->state < S_FINISHED && !replayed0(h, get48(rec + 5)))
			r = record0(h, out, rec[0], rec + REC, n, now_us);
		else if (epoch == 1 && h->state == S_FINISHED)
			r = record1(h, out, rec, REC + n);
	}
	h->used = off;
	return r;
}

size_t dtlshs_used(const struct dtlshs *h)
{
	return h->used;
}

int64_t dtlshs_timeout_us(const struct dtlshs *h, uint64_t now_us)
{
	if (!h->due_us)
		return -1;
	if (h->due_us <= now_us || h->due_us - now_us < TMO_SLACK)
		return 0;
	return (int64_t)(h->due_us - now_us);
}

int dtlshs_handle_timeout(struct dtlshs *h, BIO *out, uint64_t now_us)
{
	if (dtlshs_timeout_us(h, now_us) != 0)
		return 0;
	h->tmo_us = h->tmo_us * 2 > TMO_MAX ? TMO_MAX : h->tmo_us * 2;
	if (++h->timeouts > TMO_COUNT)
		return fail(h, out, -1, SSL_R_READ_TIMEOUT_EXPIRED);
	timer_start(h, now_us);
	send_hello(h, out);
	return 1;
}

void dtlshs_keys(const struct dtlshs *h, struct dtlsrec *r)
{
	*r = h->rec;
}

int dtlshs_resend(struct dtlshs *h, struct dtlsrec *r, BIO *out)
{
	uint8_t ccs[REC + 1];
	size_t head = dtlsrec_head(r);
	uint8_t rec[DTLSREC_MAX_HEAD + sizeof(h->fin) + DTLSREC_MAX_TAIL];
	int n;

	if (h->state != S_DONE)
		return h->state == S_FAILED ? -EPROTO : 0;
	/* each repeat counts as a timeout would, as OpenSSL counts them */
	if (++h->timeouts > TMO_COUNT)
		return fail(h, out, -1, SSL_R_READ_TIMEOUT_EXPIRED);
	/*
	 * As OpenSSL 3.0 resends them once its handshake is over: two
	 * datagrams, and a ChangeCipherSpec of the one byte, its message
	 * sequence left out (unlike the first one's)
	 */
	header0(h, ccs, DTLSREC_T_CCS, 1);
	ccs[REC] = 1;
	queue(out, ccs, sizeof(ccs));
	memcpy(rec + head, h->fin, sizeof(h->fin));
	n = dtlsrec_seal(r, h->ctx, DTLSREC_T_HANDSHAKE, rec, sizeof(h->fin), sizeof(rec));
	if (n < 0)
		return n;
	queue(out, rec, (size_t)n);
	return 0;
}

const char *dtlshs_error(const struct dtlshs *h)
{
	const char *s =
	    h->reason ? ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, h->reason)) : NULL;

	return s ? s : h->state == S_FAILED ? "failed" : "";
}

int dtlshs_reason(const struct dtlshs *h)
{
	return h->reason;
}

uint8_t dtlshs_alert_sent(const struct dtlshs *h)
{
	return h->alert_sent;
}

uint8_t dtlshs_alert_rcvd(const struct dtlshs *h)
{
	return h->alert_rcvd;
}

const uint8_t *dtlshs_client_random(const struct dtlshs *h)
{
	return h->crandom;
}
