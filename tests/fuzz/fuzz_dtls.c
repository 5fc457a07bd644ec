/*
 * tests/fuzz/fuzz_dtls.c - libFuzzer target for what a phone does with the
 * plaintext of one DTLS record from the headend: the one-byte framing
 * (dtls_frame_parse), then for a DATA record the IPv4 packet inside and the
 * UDP payload the phone hands on, read both as TFTP (its config fetch) and
 * as RTP (its call), as engine/phone/tunnel.c dispatches it.
 */
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine/proto/cstp.h"
#include "engine/proto/inner.h"
#include "engine/proto/tftp.h"
#include "engine/voice/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cstp_frame f;
	struct inner_info in;
	struct tftp_msg m;
	struct rtp_hdr h;
	struct rtp_probe pr;
	const uint8_t *pl;
	size_t plen;

	if (dtls_frame_parse(data, size, &f))
		return 0;
	if (f.payload != data + 1 || f.len != size - 1)
		__builtin_trap();
	cstp_type_name(f.type);
	if (f.type != CSTP_DATA || inner_parse(f.payload, f.len, &in) || in.proto != IPPROTO_UDP)
		return 0;
	if (tftp_parse(in.payload, in.payload_len, &m) == 0 && m.op == TFTP_DATA &&
	    m.data + m.len > in.payload + in.payload_len)
		__builtin_trap();
	if (rtp_parse(in.payload, in.payload_len, &h, &pl, &plen) == 0) {
		if (pl + plen > in.payload + in.payload_len)
			__builtin_trap();
		rtp_probe_get(pl, plen, &pr);
	}
	return 0;
}
