/*
 * tests/fuzz/fuzz_anyconnect.c - libFuzzer target for the CONNECT reply:
 * the input goes through the HTTP head parser, then (status forced to 200
 * so every header is looked at) through ac_parse_connect_reply().
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/proto/anyconnect.h"
#include "engine/proto/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	static struct ac_tunnel t;

	if (http_parse_response((const char *)data, size, &r) <= 0)
		return 0;
	r.status = 200;
	if (ac_parse_connect_reply(&r, &t) == 0) {
		if (t.dtls_app_id_len > AC_DTLS_ID_MAX ||
		    (t.dtls == AC_DTLS_PSK && t.dtls_app_id_len == 0) ||
		    (t.dtls == AC_DTLS_LEGACY && !t.has_session_id))
			__builtin_trap();
	}
	return 0;
}
