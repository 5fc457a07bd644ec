/*
 * tests/fuzz/fuzz_chunked.c - libFuzzer target for the chunked body decoder.
 *
 * The first two bytes choose a body limit and a split pattern; the rest is
 * the body. It is decoded whole into a separate buffer, then again in place
 * in pieces of varying sizes, as a headend's TLS records would cut it: both
 * must end the same way with the same data, never write past what they
 * consumed, and never pass the limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proto/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_chunked c;
	size_t used, produced, in = 0, out = 0;
	int whole, piece = 0;

	if (size < 2)
		return 0;
	uint64_t max = (uint64_t)data[0] * 64;
	unsigned pattern = data[1];
	const char *body = (const char *)data + 2;
	size_t len = size - 2;
	char *a = malloc(len + 1), *b = malloc(len + 1);

	if (!a || !b)
		goto out;
	http_chunked_init(&c, max);
	whole = http_chunked_decode(&c, body, len, a, &used, &produced);
	if (used > len || produced > used || c.total > max || produced != c.total)
		__builtin_trap();
	size_t w_used = used, w_produced = produced;

	memcpy(b, body, len);
	http_chunked_init(&c, max);
	for (unsigned k = 0; piece == 0 && in < len; k++) {
		size_t n = 1 + ((pattern + k * 7) % 13);

		if (n > len - in)
			n = len - in;
		piece = http_chunked_decode(&c, b + in, n, b + out, &used, &produced);
		if (used > n || out + produced > in + used)
			__builtin_trap();
		in += used;
		out += produced;
	}
	if (piece != whole || in != w_used || out != w_produced || memcmp(a, b, out))
		__builtin_trap();
out:
	free(a);
	free(b);
	return 0;
}
