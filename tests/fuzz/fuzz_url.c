/*
 * tests/fuzz/fuzz_url.c - libFuzzer target for the headend URL parser and
 * the certificate pin parser, both fed NUL-terminated text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trust/certhash.h"
#include "engine/proto/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url u;
	uint8_t h[CERTHASH_SHA1_LEN];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (url_parse(s, &u) == 0) {
		if (!u.host[0] || u.path[0] != '/' || u.port == 0)
			__builtin_trap();
		url_host_is_ipv4(&u);
	}
	certhash_parse(s, h);
	free(s);
	return 0;
}
