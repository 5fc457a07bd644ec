/*
 * tests/fuzz/fuzz_csv.c - libFuzzer target for the CSV reader (what compare
 * and merge read back: timeseries.csv, failures.csv). Any file is either
 * read into a table whose every cell is a string and whose every column
 * can be found by its name, or refused with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report/csvread.h"
#include "tests/fuzz/memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv c;
	char path[64], err[256] = "", name[128];

	memfile_set(data, size, path);
	if (csv_load(path, &c, err, sizeof(err))) {
		if (!err[0])
			__builtin_trap();
		csv_free(&c);
		return 0;
	}
	if (!c.header || c.ncols == 0)
		__builtin_trap();
	for (size_t k = 0; k < c.ncols; k++) {
		int col;

		csv_name(&c, k, name, sizeof(name));
		col = csv_col(&c, name);
		if (col < 0 || (size_t)col >= c.ncols)
			__builtin_trap();
	}
	for (size_t r = 0; r < c.nrows; r++)
		for (size_t k = 0; k < c.ncols; k++)
			if (!csv_cell(&c, r, k) || strchr(csv_cell(&c, r, k), ','))
				__builtin_trap();
	csv_free(&c);
	return 0;
}
