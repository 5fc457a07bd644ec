/*
 * tests/fuzz/fuzz_http.c - libFuzzer target for the headend's HTTP replies as
 * a phone reads them (engine/phone/login.c): the response head parser, at
 * every split point a slow peer could produce, then the reply read both ways
 * a phone reads one:
 *   - as the answer to its auth POST: the body framed by Content-Length,
 *     read as auth XML, the webvpn cookie taken from Set-Cookie;
 *   - as the answer to its CONNECT: no body, the X-CSTP/X-DTLS headers read
 *     by ac_parse_connect_reply() (status forced to 200, so that every header
 *     is looked at).
 * tests/fuzz/fuzz_authxml.c and fuzz_anyconnect.c go deeper into each.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/anyconnect.h"
#include "engine/proto/authxml.h"
#include "engine/proto/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The body of an auth reply whose head is hl bytes: its length, or -1 when
 * the bytes so far do not hold all of it (login.c's http_reply()).
 *
 * Hook: a Transfer-Encoding the engine comes to read (chunked) is decoded
 * here, with the decoded body handed back in place of the raw bytes.
 */
static long body_of(const struct http_response *r, size_t hl, size_t size)
{
	int64_t cl = r->content_length < 0 ? 0 : r->content_length;

	if ((uint64_t)cl > size - hl)
		return -1;
	return (long)cl;
}

static void as_auth_reply(const char *buf, int hl, size_t size, struct http_response *r)
{
	static struct authxml_form f;
	char cookie[256];
	long bl = body_of(r, (size_t)hl, size);

	if (bl < 0)
		return;
	if (authxml_parse(buf + hl, (size_t)bl, &f) == 0 && f.opaque &&
	    (f.opaque < buf + hl || f.opaque + f.opaque_len > buf + hl + bl))
		__builtin_trap();
	if (http_cookie(r, "webvpn", cookie, sizeof(cookie)) > 0 &&
	    strlen(cookie) >= sizeof(cookie))
		__builtin_trap();
}

static void as_connect_reply(struct http_response *r)
{
	static struct ac_tunnel t;

	r->status = 200;
	if (ac_parse_connect_reply(r, &t) == 0 && t.dtls_app_id_len > AC_DTLS_ID_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	const char *buf = (const char *)data;
	struct http_header h;
	char cookie[64];
	int n;

	/* Any prefix of a complete head needs more bytes or fails. */
	n = http_parse_response(buf, size, &r);
	for (size_t i = 0; n > 0 && i < (size_t)n; i += 1 + i / 8)
		if (http_parse_response(buf, i, &r) > 0)
			__builtin_trap();
	n = http_parse_response(buf, size, &r);
	if (n <= 0)
		return 0;
	if ((size_t)n > size || r.n_headers > HTTP_MAX_HEADERS || r.status < 100 || r.status > 999)
		__builtin_trap();
	for (int i = 0; i < r.n_headers; i++) {
		h = http_header_at(&r, i);
		if (h.name < buf || h.value + h.value_len > buf + n)
			__builtin_trap();
	}
	for (int i = 0; (i = http_header_find(&r, "Set-Cookie", i, &h)) >= 0; i++)
		if (h.value + h.value_len > buf + n)
			__builtin_trap();
	http_header(&r, "Content-Length", &h);
	http_header(&r, "X-CSTP-Address-IPv6-Extra-Long-Name", &h);
	http_cookie(&r, "webvpncontext", cookie, 1);
	if (r.body == HTTP_BODY_LENGTH && r.content_length < 0)
		__builtin_trap();
	as_auth_reply(buf, n, size, &r);
	as_connect_reply(&r);
	return 0;
}
