/*
 * engine/phone/exchange.c - a phone's HTTP requests and their replies (exchange.h).
 *
 * Chunked bodies are decoded in place: the decoder writes the data down
 * over the chunk framing it consumed, and the bytes not yet decoded are
 * moved down after each step, so the input buffer holds the head, the data
 * so far and what is still to decode, never the framing. A reply of many
 * tiny chunks thus costs its data, not six times its data.
 */
#include "engine/phone/exchange.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/phone/login.h"
#include "engine/phone/phone_internal.h"

static void send_now(struct worker *w, struct phone *p)
{
	struct exchange *x = &p->ex;

	if (tls_write(&p->tls, x->req, x->req_len)) {
		phone_fail(w, p, R_INTERNAL, -EPROTO);
		return;
	}
	worker_flush(w, p, CH_TCP);
}

void exchange_send(struct worker *w, struct phone *p, const char *req, int len, unsigned flags)
{
	struct exchange *x = &p->ex;

	if (len < 0) {
		phone_fail(w, p, R_INTERNAL, len);
		return;
	}
	free(x->req);
	x->req = malloc((size_t)len ? (size_t)len : 1);
	if (!x->req) {
		phone_fail(w, p, R_INTERNAL, -ENOMEM);
		return;
	}
	memcpy(x->req, req, (size_t)len);
	x->req_len = (uint32_t)len;
	x->resent = false;
	if ((flags & EX_NEW_CONN) || x->closing || !tls_is_open(&p->tls)) {
		x->resume = true;
		phone_new_connection(w, p, worker_now(w));
		return;
	}
	send_now(w, p);
}

bool exchange_resume(struct worker *w, struct phone *p)
{
	struct exchange *x = &p->ex;

	if (!x->resume || !x->req)
		return false;
	x->resume = false;
	PTRACE(p, worker_now(w), "VPNC: %.*s on the new connection", (int)strcspn(x->req, "\r"),
	       x->req);
	send_now(w, p);
	return true;
}

/* Move the bytes not yet decoded down over the framing already read. */
static void close_gap(struct phone *p)
{
	struct exchange *x = &p->ex;

	memmove(p->ibuf + x->body_out, p->ibuf + x->body_in, p->ilen - x->body_in);
	p->ilen -= x->body_in - x->body_out;
	x->body_in = x->body_out;
}

int exchange_reply(struct worker *w, struct phone *p, struct http_response *resp, int *head_len)
{
	struct exchange *x = &p->ex;

	for (;;) {
		int hl = p->ilen ? http_parse_response((const char *)p->ibuf, p->ilen, resp) : 0;
		size_t used, produced;
		int r;

		if (hl < 0) {
			phone_fail(w, p, R_HTTP_MALFORMED, hl);
			return -1;
		}
		if (hl == 0)
			return 0;
		if (resp->status < 200 && resp->status != 101) {
			phone_ibuf_consume(p, (uint32_t)hl); /* "100 Continue" and the like */
			continue;
		}
		*head_len = hl;
		/* a CONNECT granted has no body: the tunnel starts after the head */
		if (p->state == PH_CSTP && resp->status == 200)
			return hl;
		switch (resp->body) {
		case HTTP_BODY_NONE:
			return hl;
		case HTTP_BODY_LENGTH:
			if (resp->content_length > (int64_t)(IBUF_MAX - (uint32_t)hl)) {
				phone_fail(w, p, R_HTTP_MALFORMED, HTTP_E_BODY);
				return -1;
			}
			if (p->ilen < (uint64_t)hl + (uint64_t)resp->content_length)
				return 0;
			return hl + (int)resp->content_length;
		case HTTP_BODY_CLOSE:
			return x->eof ? (int)p->ilen : 0;
		case HTTP_BODY_CHUNKED:
			if (!x->chunking) {
				http_chunked_init(&x->chunk, IBUF_MAX - (uint32_t)hl);
				x->body_in = x->body_out = (uint32_t)hl;
				x->chunking = true;
			}
			r = http_chunked_decode(&x->chunk, (const char *)p->ibuf + x->body_in,
						p->ilen - x->body_in, (char *)p->ibuf + x->body_out,
						&used, &produced);
			x->body_in += (uint32_t)used;
			x->body_out += (uint32_t)produced;
			close_gap(p);
			if (r < 0) {
				x->chunking = false;
				phone_fail(w, p, R_HTTP_MALFORMED, r);
				return -1;
			}
			if (r == 0)
				return 0;
			x->chunking = false;
			return (int)x->body_out;
		}
		return hl;
	}
}

void exchange_done(struct phone *p, uint32_t total, const struct http_response *resp)
{
	struct exchange *x = &p->ex;

	phone_ibuf_consume(p, total);
	x->replies++;
	x->closing = resp->connection_close;
	x->chunking = false;
	free(x->req);
	x->req = NULL;
}

bool exchange_eof(struct worker *w, struct phone *p, uint64_t now)
{
	struct exchange *x = &p->ex;
	struct http_response resp;
	int hl;

	if (p->state != PH_AUTH && p->state != PH_CSTP)
		return false;
	/* a body that runs to the close has come whole */
	hl = p->ilen ? http_parse_response((const char *)p->ibuf, p->ilen, &resp) : 0;
	if (hl > 0 && resp.body == HTTP_BODY_CLOSE &&
	    !(p->state == PH_CSTP && resp.status == 200)) {
		x->eof = true;
		if (p->state == PH_AUTH)
			login_auth_input(w, p, now);
		else
			login_connect_input(w, p, now);
		x->eof = false;
		return true;
	}
	/*
	 * Nothing of the reply, not even its status line: on a connection that
	 * carried a reply before, or for CONNECT, the headend may just have
	 * closed it. Once, the request goes again on a new connection.
	 */
	bool line = p->ilen && memchr(p->ibuf, '\n', p->ilen);

	if (x->req && !x->resent && !line && (x->replies > 0 || p->state == PH_CSTP)) {
		PTRACE(p, now, "VPNC: connection closed before the reply to %.*s: sending it again on "
			       "a new connection",
		       (int)strcspn(x->req, " "), x->req);
		x->resent = true;
		x->resume = true;
		phone_new_connection(w, p, now);
		return true;
	}
	return false;
}

void exchange_reset(struct phone *p)
{
	struct exchange *x = &p->ex;

	free(x->req);
	memset(x, 0, sizeof(*x));
}
