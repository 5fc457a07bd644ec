/*
 * tests/fuzz/fuzz_http.c - libFuzzer target for the HTTP response head
 * parser and its lookups. The input is parsed whole and then at every
 * split point a slow peer could produce.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	const char *buf = (const char *)data;
	struct http_header h;
	char cookie[64];
	int n;

	n = http_parse_response(buf, size, &r);
	if (n > 0) {
		if ((size_t)n > size || r.n_headers > HTTP_MAX_HEADERS)
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
		http_cookie(&r, "webvpn", cookie, sizeof(cookie));
		http_cookie(&r, "webvpncontext", cookie, 1);
		if (r.body == HTTP_BODY_LENGTH && r.content_length < 0)
			__builtin_trap();
	}
	/* Any prefix of a complete head needs more bytes or fails. */
	for (size_t i = 0; n > 0 && i < (size_t)n; i += 1 + i / 8) {
		int m = http_parse_response(buf, i, &r);

		if (m > 0)
			__builtin_trap();
	}
	return 0;
}
