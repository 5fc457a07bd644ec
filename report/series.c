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

#include "engine/stats/hist.h"

static const char *const head =
	"t_s,interval_s,arrived,up,dtls,failed,arrivals,tunnels_up,failures,drops,reconnects,"
	"ttt_count,ttt_p50_ms,ttt_p90_ms,ttt_p99_ms,ttt_max_ms,"
	"rtp_sent,rtp_received,rtp_lost_up,rtp_lost_down,rtp_rtt_p50_ms,rtp_rtt_p99_ms,"
	"rtp_jitter_p99_ms,rtp_late_p99_ms,cpu_pct,rss_mib";

void series_header(FILE *f)
{
	fputs(head, f);
	for (int r = 1; r < R__COUNT; r++)
		fprintf(f, ",fail_%s", reason_name((enum reason)r));
	fputs(",events\n", f);
}

#define D(field) (r->now->field - r->prev->field)

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
	const struct hist *ttt = r->lat[M_TIME_TO_TUNNEL];
	uint64_t failures = 0;

	for (int k = 1; k < R__COUNT; k++)
		failures += D(failures[k]);
	fprintf(f, "%.3f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu", r->t_s,
		r->interval_s, (unsigned long long)r->now->attempted,
		(unsigned long long)r->now->up_now, (unsigned long long)r->now->dtls_now,
		(unsigned long long)r->now->failed, (unsigned long long)D(attempted),
		(unsigned long long)D(tunnels_up), (unsigned long long)failures,
		(unsigned long long)D(tunnels_dropped), (unsigned long long)D(reconnects),
		(unsigned long long)hist_count(ttt));
	pct_ms(f, ttt, 50);
	pct_ms(f, ttt, 90);
	pct_ms(f, ttt, 99);
	pct_ms(f, ttt, 100);
	fprintf(f, ",%llu,%llu,%llu,%llu", (unsigned long long)D(rtp_sent),
		(unsigned long long)D(rtp_received), (unsigned long long)D(rtp_up_lost),
		(unsigned long long)D(rtp_down_lost));
	pct_ms(f, r->lat[M_RTP_RTT], 50);
	pct_ms(f, r->lat[M_RTP_RTT], 99);
	pct_ms(f, r->lat[M_RTP_JITTER_DOWN], 99);
	pct_ms(f, r->lat[M_RTP_SEND_LATE], 99);
	fprintf(f, ",%.1f,%.1f", r->cpu_pct, r->rss_mib);
	for (int k = 1; k < R__COUNT; k++)
		fprintf(f, ",%llu", (unsigned long long)D(failures[k]));
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
