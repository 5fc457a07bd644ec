/*
 * tests/fuzz/fuzz_authxml.c - libFuzzer target for the auth XML parser,
 * and for building a reply to whatever form it found (which copies the
 * opaque span out of the input) into a roomy and a tight buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/authxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authxml_form f;
	static char out[8192];
	const char *body = (const char *)data;
	int n;

	if (authxml_parse(body, size, &f) != 0)
		return 0;
	check_string(f.message, sizeof(f.message));
	check_string(f.error, sizeof(f.error));
	check_string(f.action, sizeof(f.action));
	check_string(f.auth_id, sizeof(f.auth_id));
	check_string(f.session_token, sizeof(f.session_token));
	if (f.n_inputs < 0 || f.n_inputs > AUTHXML_MAX_INPUTS || f.n_options < 0 ||
	    f.n_options > AUTHXML_MAX_OPTIONS || f.selected < -1 || f.selected >= f.n_options ||
	    strlen(f.error) >= AUTHXML_TEXT_MAX || strlen(f.message) >= AUTHXML_TEXT_MAX)
		__builtin_trap();
	if (f.opaque && (f.opaque != body + f.opaque_off || f.opaque_off + f.opaque_len > size))
		__builtin_trap();

	f.version = "v1";
	f.device_id = "linux-64";
	n = authxml_reply(out, sizeof(out), &f, "user", "pass");
	if (n >= (int)sizeof(out))
		__builtin_trap();
	n = authxml_reply(out, 100, &f, "user", "pass");
	if (n >= 100)
		__builtin_trap();
	return 0;
}
