/*
 * report/series.h - timeseries.csv: one row per interval of the run,
 * written as the run goes and read back for report.html.
 *
 * The columns (a public format, listed in docs/outputs.md) are t_s,
 * interval_s and utc (the interval's end, UTC ISO 8601), then those of the counter table (engine/stats/counters.def:
 * gauges and running totals at the interval's end, counts of the interval,
 * percentiles of its histograms), the process's CPU and memory, failures
 * by reason, and the events that fired in it. Empty cells stand for "no
 * samples". Nothing needs quoting: every name is [A-Za-z0-9_.-].
 *
 * The reader finds columns by name, so a column added later or missing
 * from an older file does not break it, and keeps every cell as a number
 * (NaN when empty or not a number); the cells of the columns the caller
 * names (the events column) also as text. It takes one header line of
 * names, then rows with as many comma-separated cells; "\r\n" or "\n";
 * blank lines skipped. A last line without its newline is taken when it is
 * complete and dropped when it has too few cells (a run killed while
 * writing it).
 */
#ifndef REPORT_SERIES_H
#define REPORT_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/stats/stats.h"

struct hist;

struct series_row {
	double t_s, interval_s;          /* end of the interval since the first arrival; length */
	double utc_s;                    /* that end in seconds since the Epoch; 0: unknown */
	const struct stats *now, *prev;  /* counters at the end and at the start */
	const struct hist *const *lat;   /* the interval's histograms, by metric */
	double cpu_pct;                  /* phoneswarm's CPU over the interval, % of one core */
	double rss_mib;
	const char *events;              /* names joined by '|', or "" */
};

/* Writes the header line. */
void series_header(FILE *f);
/* Writes one row. 0, or -EIO if f has failed. */
int series_write(FILE *f, const struct series_row *r);

/* ==== Reading it back ==== */

struct series;

/*
 * Splits line in place at each ',' (the commas become NULs) into at most max
 * cells, strips one trailing "\n" or "\r\n", and points cells[i] at each.
 * Returns the number of cells the line has (which may be more than max: only
 * the first max are stored). An empty line has one empty cell.
 */
int series_split(char *line, char **cells, int max);

/*
 * Reads a whole timeseries.csv from f (which stays the caller's) into *out;
 * the columns named in text_cols (NULL-terminated; NULL for none) are kept as
 * text too. 0; -EINVAL with a message in err (line number and what is wrong)
 * if the text is not such a file; -ENOMEM; -EIO on a read error.
 */
int series_load(FILE *f, const char *const *text_cols, struct series **out, char *err,
		size_t errlen);

/* series_load() on the file at path; -errno (and err) if it cannot be opened. */
int series_read(const char *path, const char *const *text_cols, struct series **out, char *err,
		size_t errlen);

/* Rows (intervals) read. */
size_t series_rows(const struct series *s);

/* Column number of name, or -1 when the file has no such column. */
int series_find(const struct series *s, const char *name);

/* Number of columns, and the name of column col (0..columns - 1). */
int series_columns(const struct series *s);
const char *series_name(const struct series *s, int col);

/* The column's values, series_rows() of them, NaN where a cell is empty or not a number. */
const double *series_values(const struct series *s, int col);

/* The text of a cell of a text column, or NULL when it is empty or not a text column. */
const char *series_text(const struct series *s, int col, size_t row);

/* Frees s; NULL is allowed. */
void series_free(struct series *s);

#endif
