/*
 * report/series.c - timeseries.csv rows, written and read back (series.h).
 *
 * The reader takes the whole file at once: a column of doubles per header
 * name, grown by doubling, and for the text columns the caller names an
 * array of strings. A day of one-second intervals is 86,400 rows, about
 * 35 MiB for fifty columns: fine for a report written once at the end.
 */
#include "report/series.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats/counters.h"
#include "engine/stats/hist.h"
#include "report/utc.h"

/*
 * The columns the counter table gives come in two passes over it: first
 * the running totals and the gauges (each a value at the interval's end),
 * then the interval's counts and the latency metrics' columns, in the
 * table's order.
 */

/* A latency metric's columns, in the order CSV_COUNT, P50, P90, P99, MAX. */
static const struct {
	unsigned bit;
	const char *suffix;
	double pct; /* < 0: the count */
} metric_cols[] = {
	{CSV_COUNT, "count", -1}, {CSV_P50, "p50_ms", 50}, {CSV_P90, "p90_ms", 90},
	{CSV_P99, "p99_ms", 99},  {CSV_MAX, "max_ms", 100},
};

/* c's column of the first pass (a value at the interval's end), or NULL. */
static const char *level_col(const struct counter *c)
{
	if (c->csv_total)
		return c->csv_total;
	return c->kind == KIND_GAUGE && c->type != CT_METRIC ? c->csv : NULL;
}

/* c's column of the second pass (its increase in the interval), or NULL; metrics aside. */
static const char *interval_col(const struct counter *c)
{
	return c->kind == KIND_COUNTER ? c->csv : NULL;
}

void series_header(FILE *f)
{
	fputs("t_s,interval_s,utc", f);
	for (size_t i = 0; i < n_counters; i++)
		if (level_col(&counters[i]))
			fprintf(f, ",%s", level_col(&counters[i]));
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];

		if (c->type == CT_METRIC) {
			for (size_t k = 0; k < sizeof(metric_cols) / sizeof(metric_cols[0]); k++)
				if (c->csv_stats & metric_cols[k].bit)
					fprintf(f, ",%s_%s", c->csv, metric_cols[k].suffix);
		} else if (interval_col(c)) {
			fprintf(f, ",%s", interval_col(c));
		}
	}
	fputs(",cpu_pct,rss_mib", f);
	for (int r = 1; r < R__COUNT; r++)
		fprintf(f, ",fail_%s", reason_name((enum reason)r));
	fputs(",events\n", f);
}

/* ",12.345" for a percentile of h, or "," when h is empty. */
static void pct_ms(FILE *f, const struct hist *h, double p)
{
	if (!hist_count(h))
		fputc(',', f);
	else
		fprintf(f, ",%.3f", (double)hist_percentile(h, p) / 1000.0);
}

int series_write(FILE *f, const struct series_row *r)
{
	struct figures now = {.st = r->now}, prev = {.st = r->prev};
	char utc[UTC_LEN];

	fprintf(f, "%.3f,%.3f,%s", r->t_s, r->interval_s, utc_format(utc, sizeof(utc), r->utc_s));
	for (size_t i = 0; i < n_counters; i++)
		if (level_col(&counters[i]))
			fprintf(f, ",%llu", (unsigned long long)counter_count(&counters[i], &now));
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		const struct hist *h = c->type == CT_METRIC ? r->lat[c->metric] : NULL;

		if (c->type == CT_METRIC) {
			for (size_t k = 0; k < sizeof(metric_cols) / sizeof(metric_cols[0]); k++) {
				if (!(c->csv_stats & metric_cols[k].bit))
					continue;
				if (metric_cols[k].pct < 0)
					fprintf(f, ",%llu", (unsigned long long)hist_count(h));
				else
					pct_ms(f, h, metric_cols[k].pct);
			}
		} else if (interval_col(c)) {
			fprintf(f, ",%llu",
				(unsigned long long)(counter_count(c, &now) - counter_count(c, &prev)));
		}
	}
	fprintf(f, ",%.1f,%.1f", r->cpu_pct, r->rss_mib);
	for (int k = 1; k < R__COUNT; k++)
		fprintf(f, ",%llu", (unsigned long long)(r->now->failures[k] - r->prev->failures[k]));
	fprintf(f, ",%s\n", r->events ? r->events : "");
	return ferror(f) ? -EIO : 0;
}

/* ==== Reading it back ==== */

#define SERIES_MAX_COLS 512 /* more columns than any timeseries.csv has */

struct column {
	char *name;   /* owned */
	double *v;    /* owned: rows values */
	char **text;  /* owned, text columns only: rows strings (NULL: empty cell) */
};

struct series {
	struct column *col; /* owned: ncols of them */
	int ncols;
	size_t rows, cap; /* rows stored, rows allocated */
};

int series_split(char *line, char **cells, int max)
{
	size_t len = strlen(line);
	int n = 0;
	char *p = line;

	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (;;) {
		char *comma = strchr(p, ',');

		if (n < max)
			cells[n] = p;
		n++;
		if (!comma)
			return n;
		*comma = '\0';
		p = comma + 1;
	}
}

/* A cell as a number: decimal notation only (no "nan", "inf" or hex); else NaN. */
static double cell_value(const char *s)
{
	char *end;
	double v;

	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.'))
		return NAN;
	if (strpbrk(s, "xXnN"))
		return NAN;
	errno = 0;
	v = strtod(s, &end);
	return end != s && !*end && !errno ? v : NAN;
}

static bool is_text_col(const char *name, const char *const *text_cols)
{
	for (; text_cols && *text_cols; text_cols++)
		if (!strcmp(name, *text_cols))
			return true;
	return false;
}

static int grow(struct series *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;

	for (int i = 0; i < s->ncols; i++) {
		struct column *c = &s->col[i];
		double *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		if (c->text) {
			char **t = realloc(c->text, cap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			c->text = t;
		}
	}
	s->cap = cap;
	return 0;
}

static int header(struct series *s, char *line, const char *const *text_cols, char *err,
		  size_t errlen)
{
	char *cells[SERIES_MAX_COLS];
	int n = series_split(line, cells, SERIES_MAX_COLS);

	if (n > SERIES_MAX_COLS) {
		snprintf(err, errlen, "line 1: %d columns, at most %d", n, SERIES_MAX_COLS);
		return -EINVAL;
	}
	if (n < 2 || strcmp(cells[0], "t_s")) {
		snprintf(err, errlen, "line 1: not a timeseries.csv header (no t_s column first)");
		return -EINVAL;
	}
	s->col = calloc((size_t)n, sizeof(*s->col));
	if (!s->col)
		return -ENOMEM;
	s->ncols = n;
	for (int i = 0; i < n; i++) {
		s->col[i].name = strdup(cells[i]);
		if (!s->col[i].name)
			return -ENOMEM;
		if (is_text_col(cells[i], text_cols)) {
			s->col[i].text = malloc(sizeof(char *)); /* grown with the values */
			if (!s->col[i].text)
				return -ENOMEM;
		}
	}
	return 0;
}

static int row(struct series *s, char *line, size_t lineno, bool last, char *err,
	       size_t errlen)
{
	char *cells[SERIES_MAX_COLS];
	int n = series_split(line, cells, SERIES_MAX_COLS);
	int rc;

	if (n != s->ncols) {
		if (last && n < s->ncols)
			return 0; /* cut short while being written */
		snprintf(err, errlen, "line %zu: %d cells, the header has %d", lineno, n,
			 s->ncols);
		return -EINVAL;
	}
	if (s->rows == s->cap && (rc = grow(s)))
		return rc;
	for (int i = 0; i < n; i++) {
		struct column *c = &s->col[i];

		c->v[s->rows] = cell_value(cells[i]);
		if (c->text) {
			c->text[s->rows] = NULL;
			if (*cells[i] && !(c->text[s->rows] = strdup(cells[i])))
				return -ENOMEM;
		}
	}
	s->rows++;
	return 0;
}

int series_load(FILE *f, const char *const *text_cols, struct series **out, char *err,
		size_t errlen)
{
	struct series *s = calloc(1, sizeof(*s));
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	while ((len = getline(&line, &cap, f)) >= 0) {
		bool last = !len || line[len - 1] != '\n';

		lineno++;
		if (lineno == 1)
			rc = header(s, line, text_cols, err, errlen);
		else if (strcmp(line, "\n") && strcmp(line, "\r\n")) /* blank lines skipped */
			rc = row(s, line, lineno, last, err, errlen);
		if (rc)
			goto out_free;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "read error");
		rc = -EIO;
		goto out_free;
	}
	if (!lineno) {
		snprintf(err, errlen, "empty file");
		rc = -EINVAL;
		goto out_free;
	}
	free(line);
	*out = s;
	return 0;

out_free:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(line);
	series_free(s);
	return rc;
}

int series_read(const char *path, const char *const *text_cols, struct series **out, char *err,
		size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	*out = NULL;
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		return rc;
	}
	rc = series_load(f, text_cols, out, err, errlen);
	fclose(f);
	return rc;
}

size_t series_rows(const struct series *s)
{
	return s->rows;
}

int series_find(const struct series *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (!strcmp(s->col[i].name, name))
			return i;
	return -1;
}

int series_columns(const struct series *s)
{
	return s->ncols;
}

const char *series_name(const struct series *s, int col)
{
	return s->col[col].name;
}

const double *series_values(const struct series *s, int col)
{
	return s->col[col].v;
}

const char *series_text(const struct series *s, int col, size_t row)
{
	return s->col[col].text ? s->col[col].text[row] : NULL;
}

void series_free(struct series *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ncols; i++) {
		struct column *c = &s->col[i];

		if (c->text)
			for (size_t r = 0; r < s->rows; r++)
				free(c->text[r]);
		free(c->text);
		free(c->v);
		free(c->name);
	}
	free(s->col);
	free(s);
}
