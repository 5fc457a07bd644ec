/*
 * tests/fuzz/fuzz_hdrlog.c - libFuzzer target for the decoder of HdrHistogram
 * log histograms: the input is taken as the Base64 text of a line, then
 * Base64-encoded (the zlib layer), then deflated behind the compressed-V2
 * cookie and Base64-encoded (the V2 header and counts). A
 * refused histogram must leave the histogram untouched; an accepted one must
 * encode again to something that decodes to the same counts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "report/hdrlog.h"
#include "engine/stats/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *b64, size_t len)
{
	struct hist *h = hist_new(), *again = hist_new();
	const char *why;
	char *enc;

	if (!h || !again)
		goto done;
	if (hdrlog_decode(b64, len, h, &why)) {
		if (hist_count(h))
			__builtin_trap();
		goto done;
	}
	enc = hdrlog_encode(h);
	if (!enc)
		goto done;
	if (hdrlog_decode(enc, strlen(enc), again, &why) || hist_count(again) != hist_count(h) ||
	    hist_max(again) != hist_max(h))
		__builtin_trap();
	free(enc);
done:
	hist_free(h);
	hist_free(again);
}

static void check_bytes(const uint8_t *d, size_t n)
{
	char *b64 = malloc(4 * ((n + 2) / 3) + 1);

	if (!b64)
		return;
	EVP_EncodeBlock((unsigned char *)b64, d, (int)n);
	check(b64, strlen(b64));
	free(b64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uLongf zlen = compressBound((uLong)size);
	uint8_t *z;

	if (size > 1 << 16)
		return 0;
	check((const char *)data, size);
	check_bytes(data, size);
	z = malloc(8 + zlen);
	if (z && compress(z + 8, &zlen, data, (uLong)size) == Z_OK) {
		memcpy(z, "\x1c\x84\x93\x14", 4);
		for (int i = 0; i < 4; i++)
			z[4 + i] = (uint8_t)(zlen >> (24 - 8 * i));
		check_bytes(z, 8 + zlen);
	}
	free(z);
	return 0;
}
