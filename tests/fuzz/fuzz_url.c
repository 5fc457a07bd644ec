/*
 * tests/fuzz/fuzz_url.c - libFuzzer target for the headend URL parser and
 * the certificate pin parser, both fed NUL-terminated text, and for the
 * redirect resolver fed the input as a Location (not NUL-terminated).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trust/certhash.h"
#include "engine/proto/redirect.h"
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

	static struct url cur, next;
	struct redirect_trail t;

	url_parse("https://vpn.example:4443/a/phone?x=1", &cur);
	redirect_start(&t, &cur);
	for (int i = 0; i < 5; i++) {
		int r = redirect_follow(&t, &cur, (const char *)data, size, &next);

		if (r == 0 && (!next.host[0] || next.path[0] != '/' || next.port == 0 ||
			       t.hops > REDIRECT_MAX_HOPS))
			__builtin_trap();
		if (r)
			break;
		cur = next;
	}
	return 0;
}
