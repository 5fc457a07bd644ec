/*
 * report/merge_interval.c - "phoneswarm merge" (merge.h): lines the runs'
 * intervals up.
 *
 * A merged interval is known by its key. The ends of all runs' intervals
 * (log lines and series rows, in seconds since each run's first arrival),
 * in order, start a new key where the gap to the previous end is more than
 * SAME_END of the usual interval length (the step: the median interval);
 * so runs started a little apart line up, and several rows of one run may
 * fall in one merged interval.
 */
#include "report/merge.h"

#include <stdlib.h>
#include <string.h>

#include "engine/stats/stats.h"
#include "report/csvread.h"
#include "report/hdrlog.h"
#include "engine/stats/hist.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The usual interval length: the median of the logs' (or, with none, of the series'). */
int merge_find_step(struct merge *m)
{
	size_t n = 0, cap = m->n_ivls;
	double *lens;

	for (int i = 0; i < m->n_runs; i++)
		cap += m->runs[i].ts.nrows;
	lens = malloc((cap ? cap : 1) * sizeof(*lens));
	if (!lens)
		return merge_fail(m, "out of memory");
	for (size_t k = 0; k < m->n_ivls; k++)
		if (m->ivls[k].len > 0)
			lens[n++] = m->ivls[k].len;
	for (int i = 0; !n && i < m->n_runs; i++) {
		int c = m->runs[i].has_ts ? csv_col(&m->runs[i].ts, "interval_s") : -1;

		for (size_t row = 0; c >= 0 && row < m->runs[i].ts.nrows; row++) {
			double v = strtod(csv_cell(&m->runs[i].ts, row, (size_t)c), NULL);

			if (v > 0)
				lens[n++] = v;
		}
	}
	qsort(lens, n, sizeof(*lens), cmp_double);
	m->step = n ? lens[n / 2] : 1.0;
	free(lens);
	return 0;
}

/* Rank of a tag in the output: the metrics in their order, then the others. */
static int tag_rank(const struct merge *m, int t)
{
	for (int k = 0; k < M__COUNT; k++)
		if (!strcmp(m->tags[t], metric_name((enum metric)k)))
			return k;
	return M__COUNT + t;
}

static const struct merge *sort_m;

static int cmp_ivl(const void *a, const void *b)
{
	const struct merge_ivl *x = a, *y = b;
	int rx = tag_rank(sort_m, x->tag), ry = tag_rank(sort_m, y->tag);

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (rx != ry)
		return rx - ry;
	return x->run - y->run;
}

/*
 * Interval ends closer than this (a fraction of the usual interval) are the
 * same interval seen by different runs: their timelines close intervals on
 * a 100 ms tick, at the same times since their first arrival.
 */
#define SAME_END 0.3

/* The key of end: its cluster among the sorted ends[0..n) (end is one of them). */
static long key_at(const double *ends, const long *keys, size_t n, double end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ends[mid] < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return keys[lo < n ? lo : n - 1];
}

/*
 * Every interval (log line, series row) gets the key of its cluster: the
 * ends of all runs' intervals, in order, start a new cluster where the gap
 * to the previous end is more than SAME_END of the usual interval.
 */
int merge_key_rows(struct merge *m)
{
	size_t n = m->n_ivls, j = 0;
	double *ends;
	long *keys;

	for (int i = 0; i < m->n_runs; i++)
		n += m->runs[i].ts.nrows;
	ends = malloc((n ? n : 1) * sizeof(*ends));
	keys = malloc((n ? n : 1) * sizeof(*keys));
	for (int i = 0; ends && keys && i < m->n_runs; i++) {
		struct merge_run *r = &m->runs[i];

		r->row_key = malloc((r->ts.nrows ? r->ts.nrows : 1) * sizeof(*r->row_key));
		if (!r->row_key)
			break;
	}
	if (!ends || !keys || (m->n_runs && !m->runs[m->n_runs - 1].row_key)) {
		free(ends);
		free(keys);
		return merge_fail(m, "out of memory");
	}
	for (size_t k = 0; k < m->n_ivls; k++)
		ends[j++] = m->ivls[k].start + m->ivls[k].len;
	for (int i = 0; i < m->n_runs; i++)
		for (size_t row = 0; row < m->runs[i].ts.nrows; row++)
			ends[j++] = strtod(
			    csv_cell(&m->runs[i].ts, row, (size_t)csv_col(&m->runs[i].ts, "t_s")),
			    NULL);
	qsort(ends, n, sizeof(*ends), cmp_double);
	for (j = 0; j < n; j++)
		keys[j] = j && ends[j] - ends[j - 1] > SAME_END * m->step ? keys[j - 1] + 1
									  : (j ? keys[j - 1] : 0);
	for (size_t k = 0; k < m->n_ivls; k++)
		m->ivls[k].key = key_at(ends, keys, n, m->ivls[k].start + m->ivls[k].len);
	for (int i = 0; i < m->n_runs; i++) {
		struct merge_run *r = &m->runs[i];
		int ct = csv_col(&r->ts, "t_s");

		for (size_t row = 0; row < r->ts.nrows; row++)
			r->row_key[row] =
			    key_at(ends, keys, n, strtod(csv_cell(&r->ts, row, (size_t)ct), NULL));
	}
	free(ends);
	free(keys);
	sort_m = m;
	qsort(m->ivls, m->n_ivls, sizeof(*m->ivls), cmp_ivl);
	return 0;
}

/* The first ivl of key or later (ivls are sorted by key). */
static size_t first_of_key(const struct merge *m, long key)
{
	size_t lo = 0, hi = m->n_ivls;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->ivls[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* m->scratch := the sum of tag t's histograms of interval key. */
void merge_interval_hist(struct merge *m, int t, long key)
{
	const char *why;

	if (m->scratch_valid && m->scratch_tag == t && m->scratch_key == key)
		return;
	hist_reset(m->scratch);
	for (size_t k = first_of_key(m, key); k < m->n_ivls && m->ivls[k].key == key; k++)
		if (m->ivls[k].tag == t)
			hdrlog_decode(m->ivls[k].b64, strlen(m->ivls[k].b64), m->scratch, &why);
	m->scratch_valid = true;
	m->scratch_tag = t;
	m->scratch_key = key;
}
