/*
 * tests/fuzz/fuzz_cstp.c - libFuzzer target for the CSTP stream decoder
 * and the DTLS one-byte framing. The input is a TLS byte stream: frames
 * are taken off its front until the decoder asks for more or refuses.
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/proto/cstp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cstp_frame f;
	size_t off = 0;
	int n;

	while ((n = cstp_parse(data + off, size - off, &f)) > 0) {
		if ((size_t)n > size - off || f.len > CSTP_MAX_PAYLOAD ||
		    f.payload + f.len != data + off + (size_t)n)
			__builtin_trap();
		cstp_type_name(f.type);
		off += (size_t)n;
	}
	if (dtls_frame_parse(data, size, &f) == 0 && f.payload + f.len != data + size)
		__builtin_trap();
	return 0;
}
