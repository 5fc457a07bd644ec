/*
 * engine/proto/http.h - HTTP/1.1 replies: the head, and a chunked body.
 *
 * The headend's replies (auth XML, the phone's login pages, CONNECT) arrive
 * over TLS in pieces of any size. http_parse_response() is called again
 * with the whole buffer each time more bytes arrive; it says "need more",
 * "refused" or "here is the head, N bytes long". Nothing is copied: the
 * response remembers where each header line starts in the caller's buffer
 * (two bytes a header, so a head of a thousand headers costs 2 KiB, not the
 * 32 bytes a header a table of pointers would), and header lookups return
 * views into that buffer, valid only while it is unchanged.
 *
 * A body comes in one of three framings (http_response.body). A chunked body
 * is decoded by struct http_chunked, an incremental decoder that can work
 * in place: fed whatever bytes have arrived, it moves the data down over the
 * chunk framing and says when the last chunk has come. Every error is a
 * distinct -errno that http_strerror() names for a failure detail.
 * No allocation, no globals.
 */
#ifndef ENGINE_HTTP_H
#define ENGINE_HTTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD	 65536 /* bytes, status line to blank line inclusive */
#define HTTP_MAX_HEADERS 1024  /* header lines in one head */
#define HTTP_CHUNK_LINE	 256   /* bytes of a chunk-size line (extensions included) or a trailer */

/*
 * Errors, beyond -EBADMSG (a head that is not HTTP/1.x) and -E2BIG (no end
 * of head within HTTP_MAX_HEAD bytes). http_strerror() names them all.
 */
#define HTTP_E_HEADERS	 (-EMLINK)	 /* more than HTTP_MAX_HEADERS header lines */
#define HTTP_E_CODING	 (-ENOTSUP)	 /* a Transfer-Encoding other than chunked */
#define HTTP_E_CHUNK_HEX (-EILSEQ)	 /* a chunk-size line that is not hex digits */
#define HTTP_E_CHUNK_LINE (-ENAMETOOLONG) /* a chunk-size or trailer line over HTTP_CHUNK_LINE */
#define HTTP_E_CHUNK_SIZE (-EOVERFLOW)	 /* a chunk size that passes the body limit */
#define HTTP_E_CHUNK_END (-EPROTO)	 /* chunk data not followed by CRLF: the size lied */
#define HTTP_E_BODY	 (-EMSGSIZE)	 /* a body longer than the caller's limit */

struct http_header {
	const char *name;  /* borrowed from the parsed buffer, not NUL-terminated */
	size_t name_len;   /* bytes */
	const char *value; /* borrowed; leading and trailing blanks removed */
	size_t value_len;  /* bytes, may be 0 */
};

/* How the body after the head ends. */
enum http_body {
	HTTP_BODY_NONE,	   /* no body: 1xx, 204, 304, or no length on a kept connection */
	HTTP_BODY_LENGTH,  /* Content-Length bytes */
	HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked (it overrides a Content-Length) */
	HTTP_BODY_CLOSE,   /* no length, connection closing: the body runs to the close */
};

struct http_response {
	int minor_version;  /* the x of HTTP/1.x */
	int status;	    /* 100..999 */
	const char *reason; /* borrowed reason phrase, not NUL-terminated */
	size_t reason_len;  /* bytes, may be 0 */
	const char *head;   /* borrowed: the buffer the head was parsed from */
	int n_headers;	    /* header lines, 0..HTTP_MAX_HEADERS */
	uint16_t line[HTTP_MAX_HEADERS]; /* offset of each header line in head, arrival order */
	int64_t content_length;		 /* bytes; -1 when there is no Content-Length */
	enum http_body body;		 /* how the body is framed */
	/*
	 * The headend will close after this reply: "Connection: close", or
	 * HTTP/1.0 whatever else it says. openconnect closes after every
	 * HTTP/1.0 reply on purpose: some ASAs forget the client certificate
	 * on a connection kept alive after one.
	 */
	bool connection_close;
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
 * HTTP_MAX_HEAD bytes, HTTP_E_HEADERS past HTTP_MAX_HEADERS header lines,
 * HTTP_E_CODING for a transfer coding other than chunked. Malformed starts
 * are reported as soon as they are seen, before the end of the head. *out
 * is scratch space until the return value is > 0.
 */
int http_parse_response(const char *buf, size_t len, struct http_response *out);

/* Header i (0 <= i < resp->n_headers) as a view into the parsed buffer. */
struct http_header http_header_at(const struct http_response *resp, int i);

/*
 * The first header called name (compared case-insensitively) at index from
 * or later: its index, with *out set; -1 when there is none. To walk
 * repeated headers (Set-Cookie):
 *   for (int i = 0; (i = http_header_find(r, "Set-Cookie", i, &h)) >= 0; i++)
 */
int http_header_find(const struct http_response *resp, const char *name, int from,
		     struct http_header *out);

/* The first header called name into *out: true, or false when there is none. */
bool http_header(const struct http_response *resp, const char *name, struct http_header *out);

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

/* ==== Chunked bodies ==== */

struct http_chunked {
	uint64_t left;	/* data bytes still to come in the current chunk */
	uint64_t total; /* data bytes decoded so far */
	uint64_t max;	/* the body limit, bytes of data */
	uint16_t line;	/* bytes of the current size or trailer line so far */
	uint8_t state;	/* private */
	bool digits;	/* the size line has a hex digit */
};

/* Ready to decode a body of at most max data bytes. */
void http_chunked_init(struct http_chunked *c, uint64_t max);

/*
 * Decode in[0..len), the next bytes of a chunked body. Data bytes are
 * written to out, which may be in itself (or anywhere below it: decoding
 * in place moves the data down over the framing). Chunk extensions and
 * trailer fields are read and dropped; a bare LF is taken for CRLF.
 *
 * Returns 1 when the body has ended (the last chunk and the empty line after
 * its trailers read; what follows in[] belongs to the next reply and is not
 * consumed), 0 when all of in[] was used and more is needed, or an error:
 * HTTP_E_CHUNK_HEX, HTTP_E_CHUNK_LINE, HTTP_E_CHUNK_SIZE, HTTP_E_CHUNK_END,
 * HTTP_E_BODY (more than max data bytes in all). *used is the input bytes
 * consumed and *produced the data bytes written, also on error. After an
 * error or the end the decoder must be initialised again.
 */
int http_chunked_decode(struct http_chunked *c, const char *in, size_t len, char *out,
			size_t *used, size_t *produced);

/* What an error of this module means, for a failure detail ("chunk size not hex"). */
const char *http_strerror(int err);

#endif
