/*
 * tests/fuzz/fuzz_svc.c - libFuzzer target for the phone's login answers:
 * the input goes through the HTTP head parser, then, with the rest of the
 * input as its body, through svc_classify(); the answer must stay inside
 * its enum, the cookie NUL-terminated and only set for a session, and a
 * redirect's Location inside the input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/http.h"
#include "engine/proto/svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	static struct svc_reply s;
	const char *text = (const char *)data;
	int hl = http_parse_response(text, size, &r);

	if (hl <= 0)
		return 0;
	int rc = svc_classify(&r, text + hl, size - (size_t)hl, &s);

	if ((unsigned)s.answer > SVC_STATUS || (unsigned)s.body > SVC_BODY_OTHER ||
	    !memchr(s.cookie, '\0', sizeof(s.cookie)) || s.n_login < 0)
		__builtin_trap();
	if (s.cookie[0] && s.answer != SVC_SESSION)
		__builtin_trap();
	if (rc && (rc != -EMSGSIZE || s.answer != SVC_SESSION || s.cookie[0]))
		__builtin_trap();
	if (s.location && (s.location < text || s.location + s.location_len > text + hl))
		__builtin_trap();
	return 0;
}
