/*
 * engine/proto/http.c - HTTP/1.1 replies: the head, and a chunked body.
 *
 * A strict reader for the few replies an AnyConnect headend sends: one pass
 * over the bytes received so far, each complete line checked as soon as it
 * is seen, so garbage is refused early instead of after 64 KiB. The parse
 * keeps only where each header line starts; a lookup reads the line again
 * (a colon and two trims), which costs nothing next to the TLS record it
 * came in. Nothing is copied except by http_cookie(), into a caller buffer.
 *
 * The chunked decoder is a byte-at-a-time state machine with the same
 * bounds as the head: a size line, a trailer and the whole body each have a
 * limit, so a headend that lies about a size, never ends the body or sends
 * a size of twenty hex digits gets a named error, never an overflow.
 */
#include "engine/proto/http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "engine/proto/text.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

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

/*
 * Call fn on each token of a comma-separated header value, trimmed; stops
 * early when fn returns non-zero and returns that.
 */
static int each_token(const struct http_header *h, int (*fn)(const char *tok, size_t n, void *arg),
		      void *arg)
{
	const char *p = h->value, *end = h->value + h->value_len;

	while (p < end) {
		const char *tok, *tend;
		int r;

		while (p < end && (is_blank(*p) || *p == ','))
			p++;
		tok = p;
		while (p < end && *p != ',')
			p++;
		tend = p;
		while (tend > tok && is_blank(tend[-1]))
			tend--;
		if (tend > tok && (r = fn(tok, (size_t)(tend - tok), arg)) != 0)
			return r;
	}
	return 0;
}

static int connection_token(const char *tok, size_t n, void *arg)
{
	if (span_ieq(tok, n, "close"))
		*(bool *)arg = true;
	return 0;
}

/*
 * Transfer-Encoding: "chunked" (case-insensitive) is the only coding we
 * read; "identity" (of RFC 2616) means none. Anything else, gzip before
 * chunked included (we ask for identity), is refused.
 */
static int coding_token(const char *tok, size_t n, void *arg)
{
	if (span_ieq(tok, n, "chunked")) {
		*(bool *)arg = true;
		return 0;
	}
	if (span_ieq(tok, n, "identity"))
		return 0;
	return HTTP_E_CODING;
}

static int parse_header(const char *p, size_t n, struct http_response *r)
{
	const char *colon;

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
		return HTTP_E_HEADERS;
	r->line[r->n_headers++] = (uint16_t)(p - r->head);
	return 0;
}

/* ==== Parser ==== */

/* Derive content_length, body and connection_close from the parsed headers. */
static int finish(struct http_response *r)
{
	bool close = false, chunked = false;
	int err;

	for (int k = 0; k < r->n_headers; k++) {
		struct http_header h = http_header_at(r, k);

		if (span_ieq(h.name, h.name_len, "Content-Length")) {
			err = parse_content_length(&h, r);
			if (err)
				return err;
		} else if (span_ieq(h.name, h.name_len, "Connection")) {
			each_token(&h, connection_token, &close);
		} else if (span_ieq(h.name, h.name_len, "Transfer-Encoding")) {
			chunked = false; /* chunked must be the last coding */
			err = each_token(&h, coding_token, &chunked);
			if (err)
				return err;
		}
	}
	r->connection_close = close || r->minor_version == 0;
	if (r->status < 200 || r->status == 204 || r->status == 304)
		r->body = HTTP_BODY_NONE;
	else if (chunked)
		r->body = HTTP_BODY_CHUNKED;
	else if (r->content_length >= 0)
		r->body = HTTP_BODY_LENGTH;
	else if (r->connection_close)
		r->body = HTTP_BODY_CLOSE;
	else
		r->body = HTTP_BODY_NONE;
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

	out->head = buf;
	out->n_headers = 0;
	out->content_length = -1;
	out->connection_close = false;
	out->body = HTTP_BODY_NONE;

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

/* The line was checked by the parse: it has a colon and ends in LF. */
struct http_header http_header_at(const struct http_response *resp, int i)
{
	const char *p = resp->head + resp->line[i];
	const char *end = strchr(p, '\n');
	const char *colon = memchr(p, ':', (size_t)(end - p));
	const char *v = colon + 1;
	struct http_header h;

	if (end > p && end[-1] == '\r')
		end--;
	while (v < end && is_blank(*v))
		v++;
	while (end > v && is_blank(end[-1]))
		end--;
	h.name = p;
	h.name_len = (size_t)(colon - p);
	h.value = v;
	h.value_len = (size_t)(end - v);
	return h;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

/*
 * Is the header line at p called name? Byte by byte: the line's own colon
 * ends the compare before it could read past the line.
 */
static bool line_named(const char *p, const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (lower(p[i]) != lower(name[i]))
			return false;
	return p[i] == ':';
}

int http_header_find(const struct http_response *resp, const char *name, int from,
		     struct http_header *out)
{
	for (int k = from < 0 ? 0 : from; k < resp->n_headers; k++) {
		const char *p = resp->head + resp->line[k];

		if (!line_named(p, name))
			continue;
		*out = http_header_at(resp, k);
		return k;
	}
	return -1;
}

bool http_header(const struct http_response *resp, const char *name, struct http_header *out)
{
	return http_header_find(resp, name, 0, out) >= 0;
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
	struct http_header h;
	const char *best = NULL;
	size_t best_len = 0, nlen = strlen(cookie_name);

	for (int i = 0; (i = http_header_find(resp, "Set-Cookie", i, &h)) >= 0; i++) {
		const char *p = h.value, *end = p + h.value_len;
		const char *eq = memchr(p, '=', h.value_len);
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

/* ==== Chunked bodies ==== */

enum chunk_state {
	CS_SIZE,     /* hex digits of a chunk size */
	CS_SIZE_WS,  /* blanks after the digits */
	CS_EXT,	     /* a chunk extension, up to the LF */
	CS_SIZE_LF,  /* CR seen at the end of the size line */
	CS_DATA,     /* chunk data */
	CS_DATA_CR,  /* the CRLF after the data */
	CS_DATA_LF,  /* its LF */
	CS_TRAILER,  /* at the start of a trailer line (or of the final empty line) */
	CS_TLINE,    /* inside a trailer line */
	CS_FINAL_LF, /* CR of the final empty line seen */
};

#define TRAILER_MAX (16 * HTTP_CHUNK_LINE) /* bytes of trailer fields in all */

void http_chunked_init(struct http_chunked *c, uint64_t max)
{
	c->left = 0;
	c->total = 0;
	c->max = max;
	c->line = 0;
	c->state = CS_SIZE;
	c->digits = false;
}

/* The size line ended: a data chunk follows, or the last chunk's trailers. */
static int size_line_end(struct http_chunked *c)
{
	if (!c->digits)
		return HTTP_E_CHUNK_HEX;
	c->line = 0;
	c->digits = false;
	if (c->left == 0) {
		c->state = CS_TRAILER; /* left now counts trailer bytes */
		return 0;
	}
	c->state = CS_DATA;
	return 0;
}

/*
 * One more hex digit of the size. No size may pass what the body has left,
 * checked before the multiplication, so twenty digits cannot overflow.
 */
static int size_digit(struct http_chunked *c, char ch)
{
	int d = text_hex_digit(ch);
	uint64_t room = c->max - c->total; /* total never passes max */

	if (d < 0)
		return HTTP_E_CHUNK_HEX;
	if ((uint64_t)d > room || c->left > (room - (uint64_t)d) / 16)
		/* past the limit: by itself, or with the chunks before it */
		return (uint64_t)d > c->max || c->left > (c->max - (uint64_t)d) / 16
			       ? HTTP_E_CHUNK_SIZE
			       : HTTP_E_BODY;
	c->left = c->left * 16 + (uint64_t)d;
	c->digits = true;
	return 0;
}

int http_chunked_decode(struct http_chunked *c, const char *in, size_t len, char *out,
			size_t *used, size_t *produced)
{
	size_t i = 0, o = 0;
	int err = 0;

	while (i < len && !err) {
		char ch = in[i];

		if (c->state == CS_DATA) {
			size_t n = len - i;

			if (n > c->left)
				n = (size_t)c->left;
			memmove(out + o, in + i, n);
			i += n;
			o += n;
			c->left -= n;
			c->total += n;
			if (c->left == 0)
				c->state = CS_DATA_CR;
			continue;
		}
		i++;
		switch (c->state) {
		case CS_EXT:
			if (++c->line > HTTP_CHUNK_LINE)
				err = HTTP_E_CHUNK_LINE;
			else if (ch == '\n')
				err = size_line_end(c);
			break;
		case CS_SIZE:
		case CS_SIZE_WS:
			if (++c->line > HTTP_CHUNK_LINE)
				err = HTTP_E_CHUNK_LINE;
			else if (ch == '\n')
				err = size_line_end(c);
			else if (ch == '\r')
				c->state = CS_SIZE_LF;
			else if (ch == ';' && c->digits)
				c->state = CS_EXT;
			else if (is_blank(ch) && c->digits)
				c->state = CS_SIZE_WS;
			else if (c->state == CS_SIZE)
				err = size_digit(c, ch);
			else
				err = HTTP_E_CHUNK_HEX; /* something after the blanks */
			break;
		case CS_SIZE_LF:
			err = ch == '\n' ? size_line_end(c) : HTTP_E_CHUNK_HEX;
			break;
		case CS_DATA_CR:
			if (ch == '\r')
				c->state = CS_DATA_LF;
			else if (ch == '\n')
				c->state = CS_SIZE;
			else
				err = HTTP_E_CHUNK_END;
			break;
		case CS_DATA_LF:
			if (ch == '\n')
				c->state = CS_SIZE;
			else
				err = HTTP_E_CHUNK_END;
			break;
		case CS_TRAILER:
			if (ch == '\n') {
				*used = i;
				*produced = o;
				return 1;
			}
			c->state = ch == '\r' ? CS_FINAL_LF : CS_TLINE;
			c->line = 1;
			if (++c->left > TRAILER_MAX)
				err = HTTP_E_CHUNK_LINE;
			break;
		case CS_FINAL_LF:
			if (ch == '\n') {
				*used = i;
				*produced = o;
				return 1;
			}
			err = HTTP_E_CHUNK_END;
			break;
		case CS_TLINE:
			if (++c->line > HTTP_CHUNK_LINE || ++c->left > TRAILER_MAX)
				err = HTTP_E_CHUNK_LINE;
			else if (ch == '\n')
				c->state = CS_TRAILER;
			break;
		default:
			err = HTTP_E_CHUNK_END;
			break;
		}
	}
	*used = i;
	*produced = o;
	return err;
}

const char *http_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "not an HTTP/1.x reply head";
	case -E2BIG:
		return "reply head over " STR(HTTP_MAX_HEAD) " bytes";
	case HTTP_E_HEADERS:
		return "reply head over " STR(HTTP_MAX_HEADERS) " header lines";
	case HTTP_E_CODING:
		return "a Transfer-Encoding other than chunked";
	case HTTP_E_CHUNK_HEX:
		return "chunk size not hex";
	case HTTP_E_CHUNK_LINE:
		return "chunk size or trailer line too long";
	case HTTP_E_CHUNK_SIZE:
		return "chunk size past the body limit";
	case HTTP_E_CHUNK_END:
		return "chunk data not followed by CRLF (the chunk size lied)";
	case HTTP_E_BODY:
		return "reply body past its limit";
	default:
		return "malformed HTTP reply";
	}
}
