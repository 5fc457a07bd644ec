/*
 * report/csvread.h - reads back a CSV file phoneswarm wrote (timeseries.csv):
 * a header line of column names, then rows of as many cells, none quoted
 * (every name and value is [A-Za-z0-9_.|-]). Empty cells are "".
 */
#ifndef REPORT_CSVREAD_H
#define REPORT_CSVREAD_H

#include <stddef.h>

struct csv {
	char *text;   /* the file, cut into cells in place */
	char *header; /* the header line as written */
	char **cells; /* nrows x ncols */
	size_t ncols, nrows;
};

/*
 * Reads path into c (blank lines skipped, CRLF allowed). 0; -ENOENT if the
 * file does not exist; or -1 with "path:LINE: what" in err (a row with
 * another number of cells than the header, an empty file, out of memory).
 * c is to be freed with csv_free() whatever the result.
 */
int csv_load(const char *path, struct csv *c, char *err, size_t errlen);

void csv_free(struct csv *c);

/* Column k's name, into buf. */
const char *csv_name(const struct csv *c, size_t k, char *buf, size_t len);

/* The column called name, or -1. */
int csv_col(const struct csv *c, const char *name);

/* The cell of row, col (both in range). */
const char *csv_cell(const struct csv *c, size_t row, size_t col);

#endif
