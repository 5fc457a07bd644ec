/*
 * engine/proto/http.c - HTTP/1.1 response head parser.
 *
 * A strict reader for the few replies an AnyConnect headend sends: one pass
 * over the bytes received so far, each complete line checked as soon as it
 * is seen, so garbage is refused early instead of after 16 KiB. Header
 * values are trimmed views into the caller's buffer; nothing is copied
 * except by http_cookie(), which copies into a caller buffer.
 */
#include "engine/proto/http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* ==== Character classes ==== */

/* RFC 9110 tchar: the characters a header name may use. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Control characters other than HTAB are not allowed in a header line. */
static bool has_ctl(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static bool span_ieq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* ==== Lines ==== */

/*
 * Status line: "HTTP/1.<d> <ddd>[ <reason>]". One space is required
 * between the fields; a missing reason phrase is accepted.
 */
static int parse_status(const char *p, size_t n, struct http_response *r)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !is_digit(p[7]) || p[8] != ' ')
		return -EBADMSG;
	if (!is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) || p[9] == '0')
		return -EBADMSG;
	if (n > 12 && p[12] != ' ')
		return -EBADMSG;
	if (has_ctl(p, n))
		return -EBADMSG;
	r->minor_version = p[7] - '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	r->reason = n > 13 ? p + 13 : p + n;
	r->reason_len = n > 13 ? n - 13 : 0;
	return 0;
}

/* Content-Length: digits only; a repeat must carry the same value. */
static int parse_content_length(const struct http_header *h, struct http_response *r)
{
	int64_t v = 0;

	if (h->value_len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < h->value_len; i++) {
		if (!is_digit(h->value[i]))
			return -EBADMSG;
		if (v > (INT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (h->value[i] - '0');
	}
	if (r->content_length >= 0 && r->content_length != v)
		return -EBADMSG;
	r->content_length = v;
	return 0;
}

/* Connection: a comma-separated token list; we care about two tokens. */
static void parse_connection(const struct http_header *h, bool *close, bool *keep_alive)
{
	const char *p = h->value, *end = h->value + h->value_len;

	while (p < end) {
		const char *tok, *tend;

		while (p < end && (is_blank(*p) || *p == ','))
			p++;
		tok = p;
		while (p < end && *p != ',')
			p++;
		tend = p;
		while (tend > tok && is_blank(tend[-1]))
			tend--;
		if (span_ieq(tok, (size_t)(tend - tok), "close"))
			*close = true;
		else if (span_ieq(tok, (size_t)(tend - tok), "keep-alive"))
			*keep_alive = true;
	}
}

static int parse_header(const char *p, size_t n, struct http_response *r)
{
	struct http_header *h;
	const char *colon, *v, *vend;

	if (n == 0 || is_blank(p[0]))
		return -EBADMSG; /* obsolete line folding is refused */
	if (has_ctl(p, n))
		return -EBADMSG;
	colon = memchr(p, ':', n);
	if (!colon || colon == p)
		return -EBADMSG;
	for (const char *q = p; q < colon; q++)
		if (!is_tchar((unsigned char)*q))
			return -EBADMSG;
	if (r->n_headers >= HTTP_MAX_HEADERS)
		return -E2BIG;

	v = colon + 1;
	vend = p + n;
	while (v < vend && is_blank(*v))
		v++;
	while (vend > v && is_blank(vend[-1]))
		vend--;

	h = &r->headers[r->n_headers++];
	h->name = p;
	h->name_len = (size_t)(colon - p);
	h->value = v;
	h->value_len = (size_t)(vend - v);
	return 0;
}

/* ==== Parser ==== */

/* Derive content_length and connection_close from the parsed headers. */
static int finish(struct http_response *r)
{
	bool close = false, keep_alive = false;
	int err;

	for (int k = 0; k < r->n_headers; k++) {
		const struct http_header *h = &r->headers[k];

		if (span_ieq(h->name, h->name_len, "Content-Length")) {
			err = parse_content_length(h, r);
			if (err)
				return err;
		} else if (span_ieq(h->name, h->name_len, "Connection")) {
			parse_connection(h, &close, &keep_alive);
		}
	}
	r->connection_close = close || (r->minor_version == 0 && !keep_alive);
	return 0;
}

/*
 * One pass over buf: every complete line is checked when its LF is seen.
 * A CR is allowed only right before the LF. *out is scratch until the
 * blank line is found.
 */
int http_parse_response(const char *buf, size_t len, struct http_response *out)
{
	size_t scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	size_t line = 0;
	int err;

	if (len == 0)
		return 0;
	if (memcmp(buf, "HTTP/1.", scan < 7 ? scan : 7) != 0)
		return -EBADMSG;

	out->n_headers = 0;
	out->content_length = -1;
	out->connection_close = false;

	for (size_t i = 0; i < scan; i++) {
		size_t n;

		if (buf[i] == '\0')
			return -EBADMSG;
		if (buf[i] != '\n')
			continue;
		n = i - line;
		if (n > 0 && buf[i - 1] == '\r')
			n--;
		if (memchr(buf + line, '\r', n))
			return -EBADMSG; /* bare CR inside a line */
		if (line == 0)
			err = parse_status(buf, n, out);
		else if (n > 0)
			err = parse_header(buf + line, n, out);
		else
			return finish(out) ?: (int)(i + 1);
		if (err)
			return err;
		line = i + 1;
	}
	return len >= HTTP_MAX_HEAD ? -E2BIG : 0;
}

/* ==== Lookups ==== */

const struct http_header *http_header_next(const struct http_response *resp, const char *name,
					   const struct http_header *prev)
{
	int k = prev ? (int)(prev - resp->headers) + 1 : 0;

	for (; k < resp->n_headers; k++) {
		const struct http_header *h = &resp->headers[k];

		if (span_ieq(h->name, h->name_len, name))
			return h;
	}
	return NULL;
}

const struct http_header *http_header(const struct http_response *resp, const char *name)
{
	return http_header_next(resp, name, NULL);
}

bool http_value_is(const struct http_header *h, const char *s)
{
	return span_ieq(h->value, h->value_len, s);
}

/*
 * Set-Cookie: NAME=VALUE[; attributes]. The name is compared exactly
 * (cookie names are case-sensitive), after trimming blanks around it.
 */
int http_cookie(const struct http_response *resp, const char *cookie_name, char *out, size_t outcap)
{
	const struct http_header *h = NULL;
	const char *best = NULL;
	size_t best_len = 0, nlen = strlen(cookie_name);

	while ((h = http_header_next(resp, "Set-Cookie", h)) != NULL) {
		const char *p = h->value, *end = p + h->value_len;
		const char *eq = memchr(p, '=', h->value_len);
		const char *nend, *v, *vend;

		if (!eq)
			continue;
		nend = eq;
		while (nend > p && is_blank(nend[-1]))
			nend--;
		if ((size_t)(nend - p) != nlen || memcmp(p, cookie_name, nlen))
			continue;
		v = eq + 1;
		vend = memchr(v, ';', (size_t)(end - v));
		if (!vend)
			vend = end;
		while (v < vend && is_blank(*v))
			v++;
		while (vend > v && is_blank(vend[-1]))
			vend--;
		if (vend == v)
			continue;
		best = v;
		best_len = (size_t)(vend - v);
	}
	if (!best)
		return -ENOENT;
	if (best_len >= outcap || best_len > (size_t)INT32_MAX)
		return -ENOSPC;
	memcpy(out, best, best_len);
	out[best_len] = '\0';
	return (int)best_len;
}
