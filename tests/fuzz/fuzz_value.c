/*
 * tests/fuzz/fuzz_value.c - libFuzzer target for the parsers of scenario
 * values (loadgen/value.c). The first byte of the input picks the parser,
 * the rest is the value as the INI reader hands it over (a string). A value
 * taken must give a result in its range; one refused must leave the output
 * untouched, as value.h promises.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const words[] = {"mic", "lsc", "valid", "expired"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 11) {
	case 0: {
		uint64_t us = 12345;

		if (value_duration(s, &us) && us != 12345)
			__builtin_trap();
		break;
	}
	case 1: {
		double f = -1;

		if (value_share(s, &f) == 0 ? !(f >= 0 && f <= 1) : f != -1)
			__builtin_trap();
		break;
	}
	case 2: {
		uint64_t v = 7;

		if (value_uint(s, 1, 65535, &v) == 0 ? v < 1 || v > 65535 : v != 7)
			__builtin_trap();
		break;
	}
	case 3: {
		double v = 7;

		if (value_double(s, -1e6, 1e6, &v) == 0 ? !isfinite(v) || v < -1e6 || v > 1e6 : v != 7)
			__builtin_trap();
		break;
	}
	case 4: {
		bool b;

		value_bool(s, &b);
		break;
	}
	case 5: {
		const char *cur = s;
		char item[64];
		int rc, n = 0;

		while ((rc = value_list_next(&cur, item, sizeof(item))) > 0)
			if (!item[0] || ++n > (int)size)
				__builtin_trap();
		break;
	}
	case 6: {
		struct model_share m[8];
		double sum = 0;
		int n = -1;

		if (value_models(s, m, 8, &n) == 0) {
			if (n < 1 || n > 8)
				__builtin_trap();
			for (int i = 0; i < n; i++)
				sum += m[i].share;
			if (fabs(sum - 1) > 1e-6)
				__builtin_trap();
		} else if (n != -1) {
			__builtin_trap();
		}
		break;
	}
	case 7: {
		uint32_t *a = NULL, n = 0;

		if (value_ipv4_set(s, &a, &n) == 0 && (n == 0 || n > VALUE_MAX_ADDRS || !a))
			__builtin_trap();
		free(a);
		break;
	}
	case 8: {
		uint64_t mac = 1;

		if (value_mac(s, &mac) == 0 ? mac >> 48 != 0 : mac != 1)
			__builtin_trap();
		break;
	}
	case 9: {
		uint8_t h[4][20];
		int n = -1;

		/* "@PATH" would read a file: the file reading is not the parser */
		if (s[0] != '@' && value_cert_hashes(s, h, 4, &n) == 0 && (n < 1 || n > 4))
			__builtin_trap();
		break;
	}
	default: {
		double sh[4] = {0};

		if (value_mix(s, words, 4, sh) == 0 &&
		    fabs(sh[0] + sh[1] + sh[2] + sh[3] - 1) > 1e-6)
			__builtin_trap();
		break;
	}
	}
	free(s);
	return 0;
}
