/*
 * engine/phone/exchange.h - a phone's HTTP requests and their replies, across connections.
 *
 * login.c decides what to ask and what an answer means; this is how a
 * request gets to the headend and its reply back, whatever the connection
 * does meanwhile. A reply is framed as its head says (a length, chunks
 * decoded in place in the phone's input buffer, or the connection's close);
 * a headend that says "Connection: close", or speaks HTTP/1.0, gets the
 * next request on a new TLS connection; a request whose reply never began
 * because the connection died (a headend that closes after a reply without
 * saying so, or a CONNECT that loses its connection before its status line)
 * is sent once more on a new connection, as openconnect does, and never
 * twice. Each request is kept (owned, freed with its reply) for that.
 */
#ifndef ENGINE_EXCHANGE_H
#define ENGINE_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/proto/http.h"

struct worker;
struct phone;

/* What the phone keeps of its exchange (embedded in struct phone). */
struct exchange {
	char *req;	   /* owned: the request awaiting its reply, for a resend; NULL: none */
	uint32_t req_len;  /* bytes */
	uint32_t body_in;  /* a chunked body: raw bytes read up to here in ibuf */
	uint32_t body_out; /* decoded bytes written up to here in ibuf */
	struct http_chunked chunk;
	uint16_t replies;  /* replies read on this connection */
	bool chunking;	   /* a chunked body is being decoded */
	bool closing;	   /* the last reply said the headend closes: the next request goes anew */
	bool resent;	   /* the request awaiting its reply was sent again already */
	bool resume;	   /* a new connection carries the kept request, not a new login */
	bool eof;	   /* the connection has ended: a body that runs to the close is whole */
	bool same_bringup; /* the new connection belongs to the bring-up under way: same timer */
	bool cert_retried;   /* <client-cert-request/>: tried once more on a new connection */
	bool cert_fail_sent; /* <client-cert-fail/> sent for want of a certificate */
	uint8_t resume_state; /* the state (PH_AUTH, PH_CSTP) a resumed request goes on in */
	uint64_t resume_t_phase; /* and when that phase began */
};

enum {
	EX_NEW_CONN = 1, /* send on a new TLS connection, whatever the current one says */
};

/*
 * Send the request req[0..len) (a builder's -errno in len fails the phone
 * as R_INTERNAL): now on the connection, or on a new one when flags hold
 * EX_NEW_CONN or the last reply said the headend closes. The request is
 * kept until its reply has come.
 */
void exchange_send(struct worker *w, struct phone *p, const char *req, int len, unsigned flags);

/*
 * A new connection is up (TLS done): if it carries a kept request, send it
 * and return true; false when the login starts afresh.
 */
bool exchange_resume(struct worker *w, struct phone *p);

/*
 * Is one whole reply at the start of the phone's input? Parses its head
 * into *resp (and its length into *head_len), skips 1xx heads, frames and
 * decodes its body. Returns its length (head and decoded body, contiguous in
 * ibuf), 0 while more is needed, or -1 when the phone failed on it
 * (HttpMalformed with the HTTP layer's named error). A body that runs to
 * the connection's close is whole once exchange_eof() saw the close.
 */
int exchange_reply(struct worker *w, struct phone *p, struct http_response *resp, int *head_len);

/* The reply of total bytes is handled: drop it, and note whether the headend will close. */
void exchange_done(struct phone *p, uint32_t total, const struct http_response *resp);

/*
 * The connection ended (EOF, a reset, a failed send) during the login or
 * CONNECT. Returns true when the exchange took it: a body that ran to the
 * close was delivered (through login's input), or the kept request goes
 * once more on a new connection. false: the phone fails as before.
 */
bool exchange_eof(struct worker *w, struct phone *p, uint64_t now);

/* Forget everything of the exchange (a new login, the phone's end). */
void exchange_reset(struct phone *p);

#endif
