/*
 * tests/fuzz/fuzz_cnf.c - libFuzzer target for the phone config reader
 * (SEP<MAC>.cnf.xml, fetched by TFTP through the tunnel): any document is
 * either read into at most CNF_MAX_URLS non-empty URLs and CNF_MAX_HASHES
 * hashes, or refused with a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/trust/cnf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct phone_cnf c;
	char why[256] = "";

	if (cnf_parse((const char *)data, size, &c, why, sizeof(why))) {
		if (!why[0] || !memchr(why, '\0', sizeof(why)))
			__builtin_trap();
		return 0;
	}
	if (c.n_urls < 1 || c.n_urls > CNF_MAX_URLS || c.n_hashes < 0 ||
	    c.n_hashes > CNF_MAX_HASHES)
		__builtin_trap();
	for (int i = 0; i < c.n_urls; i++)
		if (!c.urls[i][0] || !memchr(c.urls[i], '\0', CNF_URL_MAX))
			__builtin_trap();
	return 0;
}
