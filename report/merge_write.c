/*
 * report/merge_write.c - "phoneswarm merge" (merge.h): writes the merged
 * latency.hlog and timeseries.csv.
 *
 * - latency.hlog: per interval and tag, the sum of the runs' histograms;
 * - timeseries.csv: per interval, counts summed, gauges from each run's
 *   latest row, percentiles computed from the merged interval histograms
 *   (never averaged), maxima the largest of the runs'. Which is which the
 *   counter table says (a column's counter, its kind, a metric's prefix).
 */
#include "report/merge.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/csvread.h"
#include "report/hdrlog.h"
#include "engine/stats/counters.h"
#include "engine/stats/hist.h"

/* ==== Writing latency.hlog ==== */

int merge_write_hlog(struct merge *m, const char *dir)
{
	char path[4096], err[1024];
	double start = INFINITY;
	struct hdrlog *l;
	int rc = 0;

	for (int i = 0; i < m->n_runs; i++)
		if (m->runs[i].start_unix > 0 && m->runs[i].start_unix < start)
			start = m->runs[i].start_unix;
	snprintf(path, sizeof(path), "%s/latency.hlog", dir);
	l = hdrlog_create(path, isfinite(start) ? start : 0, err, sizeof(err));
	if (!l)
		return merge_fail(m, "%s", err);
	m->scratch_valid = false;
	for (size_t k = 0, end; k < m->n_ivls && !rc; k = end) {
		double s = m->ivls[k].start, e = s + m->ivls[k].len;
		const char *why;

		hist_reset(m->scratch);
		for (end = k; end < m->n_ivls && m->ivls[end].key == m->ivls[k].key &&
			      m->ivls[end].tag == m->ivls[k].tag;
		     end++) {
			hdrlog_decode(m->ivls[end].b64, strlen(m->ivls[end].b64), m->scratch, &why);
			s = fmin(s, m->ivls[end].start);
			e = fmax(e, m->ivls[end].start + m->ivls[end].len);
		}
		rc = hdrlog_write(l, m->tags[m->ivls[k].tag], s, e - s, m->scratch);
	}
	if (hdrlog_close(l) || rc)
		return merge_fail(m, "%s: %s", path, strerror(EIO));
	return 0;
}

/* ==== Writing timeseries.csv ==== */

enum col_kind {
	COL_SUM,	   /* counts of the interval (and columns it does not know): summed */
	COL_T,		   /* t_s: the latest end */
	COL_UTC,	   /* utc: the latest end, as the runs wrote it */
	COL_LEN,	   /* interval_s: the longest run's share of the interval */
	COL_GAUGE,	   /* a GAUGE's column (up, dtls), rss_mib: each run's at the
			      interval's end, summed */
	COL_GAUGE_CARRIED, /* a running total (arrived, failed): the same, carried on once
			      a run has ended */
	COL_RATE,	   /* cpu_pct: each run's over the interval, summed */
	COL_EVENTS,	   /* names, each once */
	COL_PCT,	   /* a percentile: from the merged interval histogram */
	COL_MAX_MS,	   /* a max: the largest */
};

struct col {
	enum col_kind kind;
	int tag;     /* COL_PCT, COL_MAX_MS: the metric's tag (-1: none in the logs) */
	double pct;  /* COL_PCT */
	int max_col; /* COL_PCT: the PREFIX_max_ms column, -1 if none */
};

/* The column's kind as the counter table gives it; COL_SUM if it does not know the name. */
static void classify_counter(struct merge *m, const struct csv *c, const char *name, struct col *o)
{
	char want[64];

	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *ct = &counters[i];
		size_t pl = ct->csv ? strlen(ct->csv) : 0;
		const char *stat = name + pl + 1;

		if (ct->csv_total && !strcmp(name, ct->csv_total)) {
			o->kind = COL_GAUGE_CARRIED;
			return;
		}
		if (!ct->csv || strncmp(name, ct->csv, pl))
			continue;
		if (ct->type != CT_METRIC) {
			if (name[pl])
				continue;
			o->kind = ct->kind == KIND_GAUGE ? COL_GAUGE : COL_SUM;
			return;
		}
		/* a latency metric's PREFIX_pNN_ms or PREFIX_max_ms (PREFIX_count is summed) */
		if (name[pl] != '_' || strlen(name) < 3 || strcmp(name + strlen(name) - 3, "_ms"))
			continue;
		o->tag = merge_tag_index(m, ct->name);
		snprintf(want, sizeof(want), "%s_max_ms", ct->csv);
		if (!strcmp(name, want)) {
			o->kind = COL_MAX_MS;
		} else if (stat[0] == 'p') {
			o->kind = COL_PCT;
			o->pct = strtod(stat + 1, NULL);
			if (!strncmp(stat, "p999_", 5))
				o->pct = 99.9;
			o->max_col = csv_col(c, want);
		}
		return;
	}
}

static void classify(struct merge *m, const struct csv *c, struct col *cols)
{
	char name[64];

	for (size_t k = 0; k < c->ncols; k++) {
		struct col *o = &cols[k];

		csv_name(c, k, name, sizeof(name));
		*o = (struct col){.kind = COL_SUM, .tag = -1, .max_col = -1};
		if (!strcmp(name, "t_s"))
			o->kind = COL_T;
		else if (!strcmp(name, "interval_s"))
			o->kind = COL_LEN;
		else if (!strcmp(name, "utc"))
			o->kind = COL_UTC;
		else if (!strcmp(name, "rss_mib"))
			o->kind = COL_GAUGE;
		else if (!strcmp(name, "cpu_pct"))
			o->kind = COL_RATE;
		else if (!strcmp(name, "events"))
			o->kind = COL_EVENTS;
		else
			classify_counter(m, c, name, o);
	}
}

/* Decimals written after the point in s. */
static int decimals(const char *s)
{
	const char *dot = strchr(s, '.');

	return dot ? (int)strspn(dot + 1, "0123456789") : 0;
}

/* Is name[0..len) one of the '|'-joined names of list? */
static bool has_name(const char *list, const char *name, size_t len)
{
	while (*list) {
		size_t n = strcspn(list, "|");

		if (n == len && !strncmp(list, name, len))
			return true;
		list += n + (list[n] == '|');
	}
	return false;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Each run's rows at the interval being merged: [first, end), and its latest row so far. */
struct span {
	long first, end, last; /* last -1: none yet */
};

static double num(const struct merge *m, int run, long row, size_t col)
{
	return strtod(csv_cell(&m->runs[run].ts, (size_t)row, col), NULL);
}

static void union_events(const struct merge *m, const struct span *sp, size_t k, char *out,
			 size_t len)
{
	size_t n = 0;

	for (int i = 0; i < m->n_runs; i++)
		for (long row = sp[i].first; row < sp[i].end; row++) {
			const char *ev = csv_cell(&m->runs[i].ts, (size_t)row, k);

			while (*ev) {
				size_t el = strcspn(ev, "|");

				/* each name once, in the order first seen */
				if (!has_name(out, ev, el) && n + el + 2 < len)
					n += (size_t)snprintf(out + n, len - n, "%s%.*s",
							      n ? "|" : "", (int)el, ev);
				ev += el + (ev[el] == '|');
			}
		}
}

/* The merged cell of column k of interval key into out ("" when no run has a value). */
static void merged_cell(struct merge *m, const struct col *cols, size_t k, long key,
			const struct span *sp, char *out, size_t len)
{
	const struct col *o = &cols[k];
	int lc = csv_col(&m->runs[0].ts, "interval_s");
	double v = 0;
	int dec = 0, seen = 0;

	out[0] = '\0';
	if (o->kind == COL_EVENTS) {
		union_events(m, sp, k, out, len);
		return;
	}
	if (o->kind == COL_UTC) { /* ISO 8601 in UTC: the latest is the greatest text */
		for (int i = 0; i < m->n_runs; i++) {
			const char *c;

			if (sp[i].first == sp[i].end)
				continue;
			c = csv_cell(&m->runs[i].ts, (size_t)(sp[i].end - 1), k);
			if (strcmp(c, out) > 0)
				snprintf(out, len, "%s", c);
		}
		return;
	}
	if (o->kind == COL_PCT) {
		char mx[64];
		uint64_t max_us;

		if (o->tag < 0)
			return;
		merge_interval_hist(m, o->tag, key);
		if (!hist_count(m->scratch))
			return;
		if (o->max_col >= 0) {
			merged_cell(m, cols, (size_t)o->max_col, key, sp, mx, sizeof(mx));
			max_us = mx[0] ? (uint64_t)llround(strtod(mx, NULL) * 1000.0) : 0;
			if (max_us)
				hist_set_exact(m->scratch, hist_min(m->scratch), max_us, -1);
		}
		snprintf(out, len, "%.3f", (double)hist_percentile(m->scratch, o->pct) / 1000.0);
		return;
	}
	if (o->kind == COL_T || o->kind == COL_MAX_MS)
		v = -INFINITY;
	for (int i = 0; i < m->n_runs; i++) {
		long first = sp[i].first, end = sp[i].end;
		double run_v = o->kind == COL_MAX_MS ? -INFINITY : 0, w = 0;
		bool any = false;

		if (o->kind == COL_GAUGE_CARRIED) {
			if (sp[i].last < 0)
				continue;
			first = sp[i].last, end = sp[i].last + 1;
		} else if (first == end) {
			continue; /* no row of this run in the interval */
		} else if (o->kind == COL_GAUGE || o->kind == COL_T) {
			first = end - 1; /* the interval's end */
		}
		for (long row = first; row < end; row++) {
			const char *c = csv_cell(&m->runs[i].ts, (size_t)row, k);

			if (!*c)
				continue;
			any = true;
			if (decimals(c) > dec)
				dec = decimals(c);
			if (o->kind == COL_RATE) { /* weighted by the rows' lengths */
				run_v += strtod(c, NULL) * num(m, i, row, (size_t)lc);
				w += num(m, i, row, (size_t)lc);
			} else if (o->kind == COL_MAX_MS) {
				run_v = fmax(run_v, strtod(c, NULL));
			} else {
				run_v += strtod(c, NULL);
			}
		}
		if (!any)
			continue;
		seen++;
		if (o->kind == COL_RATE)
			run_v = w > 0 ? run_v / w : 0;
		if (o->kind == COL_T || o->kind == COL_MAX_MS || o->kind == COL_LEN)
			v = seen == 1 ? run_v : fmax(v, run_v);
		else
			v += run_v;
	}
	if (seen)
		snprintf(out, len, "%.*f", dec, v);
}

/* Writes timeseries.csv; *peak gets the largest sum of `up`. */
int merge_write_series(struct merge *m, const char *dir, uint64_t *peak)
{
	const struct csv *c0 = &m->runs[0].ts;
	size_t n_keys = 0, *pos = calloc((size_t)m->n_runs, sizeof(*pos));
	struct col *cols = calloc(c0->ncols, sizeof(*cols));
	struct span *sp = calloc((size_t)m->n_runs, sizeof(*sp));
	long *keys = NULL;
	int up = csv_col(c0, "up");
	char path[4096], buf[4096];
	FILE *f = NULL;
	int rc = 0;

	*peak = 0;
	for (int i = 0; i < m->n_runs; i++)
		n_keys += m->runs[i].ts.nrows;
	keys = malloc((n_keys ? n_keys : 1) * sizeof(*keys));
	if (!cols || !sp || !pos || !keys) {
		rc = merge_fail(m, "out of memory");
		goto done;
	}
	n_keys = 0;
	for (int i = 0; i < m->n_runs; i++)
		for (size_t row = 0; row < m->runs[i].ts.nrows; row++)
			keys[n_keys++] = m->runs[i].row_key[row];
	qsort(keys, n_keys, sizeof(*keys), cmp_long);
	classify(m, c0, cols);
	snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
	f = fopen(path, "w");
	if (!f) {
		rc = merge_fail(m, "%s: %s", path, strerror(errno));
		goto done;
	}
	fprintf(f, "%s\n", c0->header);
	for (int i = 0; i < m->n_runs; i++)
		sp[i].last = -1;
	for (size_t q = 0; q < n_keys; q++) {
		long key = keys[q];

		if (q && key == keys[q - 1])
			continue;
		/* each run's rows at this key, and its latest row so far (in time order) */
		for (int i = 0; i < m->n_runs; i++) {
			const struct merge_run *r = &m->runs[i];

			sp[i].first = sp[i].end = (long)pos[i];
			while (pos[i] < r->ts.nrows && r->row_key[pos[i]] <= key) {
				if (r->row_key[pos[i]] < key)
					sp[i].first = (long)pos[i] + 1;
				sp[i].last = (long)pos[i];
				pos[i]++;
			}
			sp[i].end = (long)pos[i];
		}
		for (size_t k = 0; k < c0->ncols; k++) {
			merged_cell(m, cols, k, key, sp, buf, sizeof(buf));
			fprintf(f, "%s%s", k ? "," : "", buf);
			if ((int)k == up && buf[0] && strtoull(buf, NULL, 10) > *peak)
				*peak = strtoull(buf, NULL, 10);
		}
		fputc('\n', f);
	}
	if (fclose(f))
		rc = merge_fail(m, "%s: %s", path, strerror(EIO));
done:
	free(cols);
	free(sp);
	free(pos);
	free(keys);
	return rc;
}
