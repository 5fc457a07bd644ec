/*
 * tests/unit/seriesrow.h - a made-up row of timeseries.csv given cell by
 * cell by column name, written in the order of series_header()'s columns
 * (a column not given is left empty), so that a synthetic file follows
 * whatever columns the counter table gives.
 */
#ifndef TESTS_UNIT_SERIESROW_H
#define TESTS_UNIT_SERIESROW_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/series.h"

#define SERIESROW_MAX 512

struct seriesrow {
	char *head;		    /* owned: series_header()'s line, split */
	char *names[SERIESROW_MAX]; /* into head */
	char cells[SERIESROW_MAX][48];
	int n;
};

/* r ready for rows; 0, or -1 if out of memory. */
static inline int seriesrow_init(struct seriesrow *r)
{
	size_t len = 0;
	FILE *f = open_memstream(&r->head, &len);

	if (!f)
		return -1;
	series_header(f);
	fclose(f);
	r->n = series_split(r->head, r->names, SERIESROW_MAX);
	memset(r->cells, 0, sizeof(r->cells));
	return 0;
}

/* The cell of column name, printf-style; a name the header does not have is ignored. */
static inline void __attribute__((format(printf, 3, 4)))
seriesrow_set(struct seriesrow *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name)) {
			va_start(ap, fmt);
			vsnprintf(r->cells[i], sizeof(r->cells[i]), fmt, ap);
			va_end(ap);
		}
}

/* Writes the row (each column's cell, or empty) and empties the cells for the next. */
static inline void seriesrow_write(struct seriesrow *r, FILE *f)
{
	for (int i = 0; i < r->n; i++)
		fprintf(f, "%s%s", i ? "," : "", r->cells[i]);
	fputc('\n', f);
	memset(r->cells, 0, sizeof(r->cells));
}

static inline void seriesrow_free(struct seriesrow *r)
{
	free(r->head);
	r->head = NULL;
}

#endif
