/*
 * tests/fuzz/fuzz_inner.c - libFuzzer target for the inner IPv4 parser: the
 * input is one packet out of the tunnel (a CSTP or DTLS DATA payload). A
 * packet it takes must have its payload inside the input, and a UDP packet
 * rebuilt from what it found must parse back to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "engine/proto/inner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[65536];
	struct inner_info in, in2;
	int n;

	if (inner_parse(data, size, &in) < 0)
		return 0;
	if (size < INNER_IPV4_HDR || in.payload < data + INNER_IPV4_HDR ||
	    in.payload + in.payload_len > data + size)
		__builtin_trap();
	if (in.proto != IPPROTO_UDP)
		return 0;
	n = inner_udp(again, sizeof(again), in.src, in.sport, in.dst, in.dport, in.payload,
		      in.payload_len);
	if (n < 0 || inner_parse(again, (size_t)n, &in2) < 0 || in2.proto != IPPROTO_UDP ||
	    in2.src.s_addr != in.src.s_addr || in2.dst.s_addr != in.dst.s_addr ||
	    in2.sport != in.sport || in2.dport != in.dport || in2.payload_len != in.payload_len ||
	    memcmp(in2.payload, in.payload, in.payload_len))
		__builtin_trap();
	return 0;
}
