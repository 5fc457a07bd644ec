/*
 * tests/fuzz/fuzz_rtp.c - libFuzzer target for the RTP parser and the
 * probe reader. The input is one datagram as the tunnel delivers it; a
 * parse that succeeds must point inside it, and rebuilding its header
 * with the payload must parse back to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/voice/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[65536 + RTP_HDR_LEN];
	struct rtp_hdr h, h2;
	struct rtp_probe p;
	const uint8_t *pl, *pl2;
	size_t plen, plen2;

	if (rtp_parse(data, size, &h, &pl, &plen) != 0)
		return 0;
	if (pl < data + RTP_HDR_LEN || plen > size || pl + plen > data + size)
		__builtin_trap();
	rtp_probe_get(pl, plen, &p);
	int n = rtp_build(again, sizeof(again), &h, pl, plen);
	if (n < 0 || rtp_parse(again, (size_t)n, &h2, &pl2, &plen2) != 0 || plen2 != plen ||
	    h2.seq != h.seq || h2.ts != h.ts || h2.ssrc != h.ssrc || h2.pt != h.pt ||
	    h2.marker != h.marker || memcmp(pl2, pl, plen) != 0)
		__builtin_trap();
	return 0;
}
