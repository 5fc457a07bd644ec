/*
 * engine/proto/http.h - HTTP/1.1 response head parser.
 *
 * The headend's replies (auth XML, CONNECT) arrive over TLS in pieces of any
 * size. http_parse_response() is called again with the whole buffer each
 * time more bytes arrive; it says "need more", "malformed" or "here is the
 * head, N bytes long". Nothing is copied: every string in struct
 * http_response points into the caller's buffer and is valid only while
 * that buffer is unchanged. No allocation, no globals.
 */
#ifndef ENGINE_HTTP_H
#define ENGINE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD	 16384 /* bytes, status line to blank line inclusive */
#define HTTP_MAX_HEADERS 64

struct http_header {
	const char *name;  /* borrowed from the parsed buffer, not NUL-terminated */
	size_t name_len;   /* bytes */
	const char *value; /* borrowed; leading and trailing blanks removed */
	size_t value_len;  /* bytes, may be 0 */
};

struct http_response {
	int minor_version;  /* the x of HTTP/1.x */
	int status;	    /* 100..999 */
	const char *reason; /* borrowed reason phrase, not NUL-terminated */
	size_t reason_len;  /* bytes, may be 0 */
	int n_headers;	    /* entries used in headers[] */
	struct http_header headers[HTTP_MAX_HEADERS]; /* in arrival order */
	int64_t content_length; /* bytes; -1 when there is no Content-Length */
	bool connection_close;	/* "Connection: close", or HTTP/1.0 without keep-alive */
};

/*
 * Parse the response head at the start of buf[0..len). Lines end in CRLF or
 * a bare LF; the head ends at the first empty line.
 *
 * Returns the length of the head including the blank line (> 0; the body,
 * if any, starts at buf + that), 0 when more bytes are needed, -EBADMSG for
 * a malformed head (status line not "HTTP/1.<digit> <3 digits>", header
 * line without a colon or with a bad name, folded line, NUL byte, invalid or
 * conflicting Content-Length), -E2BIG when no blank line is found within
 * HTTP_MAX_HEAD bytes or there are more than HTTP_MAX_HEADERS headers.
 * Malformed starts are reported as soon as they are seen, before the end
 * of the head. *out is scratch space until the return value is > 0.
 */
int http_parse_response(const char *buf, size_t len, struct http_response *out);

/*
 * The first header called name (compared case-insensitively), or NULL.
 * To walk repeated headers (Set-Cookie), pass the previous match as prev
 * to http_header_next(); prev NULL starts from the first header.
 */
const struct http_header *http_header(const struct http_response *resp, const char *name);
const struct http_header *http_header_next(const struct http_response *resp, const char *name,
					   const struct http_header *prev);

/* True when h's value equals s, compared case-insensitively. */
bool http_value_is(const struct http_header *h, const char *s);

/*
 * The value of cookie cookie_name (exact, case-sensitive name: "webvpn"
 * does not match "webvpncontext" or "webvpnc") from the Set-Cookie
 * headers, copied NUL-terminated into out[0..outcap). When the cookie is
 * set several times the last non-empty value wins; empty values (the
 * "expire this cookie" form) are skipped.
 *
 * Returns the value length in bytes (> 0), -ENOENT when no non-empty value
 * was set, -ENOSPC when the value does not fit in outcap - 1 bytes.
 */
int http_cookie(const struct http_response *resp, const char *cookie_name, char *out,
		size_t outcap);

#endif
