/*
 * tests/fuzz/fuzz_hlog.c - libFuzzer target for the HdrHistogram interval
 * log reader (latency.hlog, read back by merge): any file is either read
 * line by line into histograms, each handed over with a tag and finite
 * times, or refused with a message naming the line. (tests/fuzz/fuzz_hdrlog.c
 * fuzzes the decoding of one histogram more deeply.)
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/stats/hist.h"
#include "report/hdrlog.h"
#include "tests/fuzz/memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int entry(const char *tag, double start_s, double len_s, const struct hist *h, void *arg)
{
	unsigned *n = arg;

	if (!tag || !h || isnan(start_s) || isnan(len_s))
		__builtin_trap();
	hist_count(h);
	hist_max(h);
	return ++*n > 1000; /* a stop from the callback is passed back */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256] = "";
	double start;
	unsigned n = 0;
	int r;

	memfile_set(data, size, path);
	r = hdrlog_read(path, entry, &n, &start, err, sizeof(err));
	if ((r == -1 && !err[0]) || (r > 0 && n <= 1000))
		__builtin_trap();
	return 0;
}
