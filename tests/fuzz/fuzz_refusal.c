/*
 * tests/fuzz/fuzz_refusal.c - libFuzzer target for the reader of a headend's
 * words: the input as a body alone, then as a whole reply (head and body).
 * The words must be NUL-terminated within their buffer, hold no control
 * character and no blank at either end.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *w)
{
	size_t n = strnlen(w, REFUSAL_WORDS_MAX);

	if (n >= REFUSAL_WORDS_MAX || (n && (w[0] == ' ' || w[n - 1] == ' ')))
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] < 0x20 || w[i] == 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	const char *buf = (const char *)data;
	char w[REFUSAL_WORDS_MAX];
	int hl;

	refusal_words(NULL, buf, size, w, sizeof(w));
	check(w);
	hl = http_parse_response(buf, size, &r);
	if (hl > 0) {
		refusal_words(&r, buf + hl, size - (size_t)hl, w, sizeof(w));
		check(w);
	}
	refusal_clean(w, 7, buf, size);
	check(w);
	return 0;
}
