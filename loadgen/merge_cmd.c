/*
 * loadgen/merge_cmd.c - "phoneswarm merge" (merge_cmd.h).
 *
 * Reads every run (report.json, latency.hlog, timeseries.csv), checks that
 * they belong together, then writes the merged run directory:
 * - report.json through report_write_json(): counters summed, latencies
 *   from the sum of all intervals of each tag of the logs, with the exact
 *   min, max and mean the runs' reports give (hist_set_exact());
 * - latency.hlog: per interval and tag, the sum of the runs' histograms;
 * - timeseries.csv: per interval, counts summed, percentiles computed from
 *   the merged interval histograms, maxima the largest of the runs'.
 * An interval is known by its key: floor(middle / step), the middle in
 * seconds since the run's first arrival, the step the runs' usual interval
 * length; so runs started a little apart line up.
 */
#include "loadgen/merge_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/config.h"
#include "engine/reason.h"
#include "engine/stats.h"
#include "report/csvread.h"
#include "report/hdrlog.h"
#include "report/hist.h"
#include "report/jsonread.h"
#include "report/report.h"

#define EXIT_USAGE   2
#define EXIT_RUNTIME 3
#define MAX_RUNS     4096
#define MAX_TAGS     64
#define MAX_EVENTS   256

/* ==== State ==== */

struct run {
	const char *dir;
	struct jval *doc;
	double start_unix; /* StartTime of its latency.hlog */
	bool has_ts;	   /* it has a timeseries.csv */
	struct csv ts;
	long *row_key;		      /* the key of each row of ts */
	uint64_t tag_count[MAX_TAGS]; /* values of each tag in its log */
};

struct ivl { /* one line of a run's latency.hlog */
	int run, tag;
	double start, len;
	long key;
	char *b64;
};

struct merge {
	struct run *runs;
	int n_runs, cur;
	char *tags[MAX_TAGS];
	int n_tags;
	struct hist *total[MAX_TAGS]; /* each tag, all intervals of all runs */
	struct ivl *ivls;
	size_t n_ivls, cap_ivls;
	double step;
	struct hist *scratch; /* one interval's histogram at a time */
	bool scratch_valid;   /* it holds tag scratch_tag of interval scratch_key */
	int scratch_tag;
	long scratch_key;
	char err[1024];
};

static int fail(struct merge *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ==== latency.hlog ==== */

static int tag_index(struct merge *m, const char *tag)
{
	for (int t = 0; t < m->n_tags; t++)
		if (!strcmp(m->tags[t], tag))
			return t;
	return -1;
}

static int take_ivl(const char *tag, double start, double len, const struct hist *h, void *arg)
{
	struct merge *m = arg;
	struct run *r = &m->runs[m->cur];
	int t = tag_index(m, tag);
	struct ivl *v;

	if (!*tag)
		return fail(m, "%s/latency.hlog: an untagged histogram line", r->dir);
	if (t < 0) {
		if (m->n_tags == MAX_TAGS)
			return fail(m, "%s/latency.hlog: more than %d tags", r->dir, MAX_TAGS);
		t = m->n_tags;
		m->tags[t] = strdup(tag);
		m->total[t] = hist_new();
		if (!m->tags[t] || !m->total[t])
			return fail(m, "out of memory");
		m->n_tags++;
	}
	hist_merge(m->total[t], h);
	r->tag_count[t] += hist_count(h);
	if (m->n_ivls == m->cap_ivls) {
		size_t cap = m->cap_ivls ? m->cap_ivls * 2 : 1024;
		struct ivl *ivls = realloc(m->ivls, cap * sizeof(*ivls));

		if (!ivls)
			return fail(m, "out of memory");
		m->ivls = ivls;
		m->cap_ivls = cap;
	}
	v = &m->ivls[m->n_ivls];
	*v = (struct ivl){.run = m->cur, .tag = t, .start = start, .len = len};
	v->b64 = hdrlog_encode(h);
	if (!v->b64)
		return fail(m, "out of memory");
	m->n_ivls++;
	return 0;
}

/* ==== Reading a run ==== */

static const char *str_at(const struct jval *doc, const char *path)
{
	return jval_str(jval_path(doc, path), "");
}

/* Shard of a run: count 0 if it was not sharded. */
static void shard_of(const struct jval *doc, uint64_t *index, uint64_t *count)
{
	*index = jval_u64(jval_path(doc, "shard.index"), 0);
	*count = jval_u64(jval_path(doc, "shard.count"), 0);
}

/* The runs belong together: one scenario, headend, DTLS mode; shards of one split. */
static int check_together(struct merge *m, int i)
{
	const struct run *a = &m->runs[0], *b = &m->runs[i];
	static const char *const same[] = {"scenario", "headend", "dtls_mode"};
	uint64_t ia, na, ib, nb;

	for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
		if (strcmp(str_at(a->doc, same[k]), str_at(b->doc, same[k])))
			return fail(m,
				    "%s and %s are runs of different %ss (%s, %s): they cannot "
				    "be merged",
				    a->dir, b->dir, same[k], str_at(a->doc, same[k]),
				    str_at(b->doc, same[k]));
	shard_of(a->doc, &ia, &na);
	shard_of(b->doc, &ib, &nb);
	if (!na != !nb)
		return fail(m, "%s is %s, %s is %s: merge the shards of one split", a->dir,
			    na ? "a shard of a split" : "not a shard", b->dir,
			    nb ? "a shard of a split" : "not a shard");
	if (na != nb)
		return fail(m,
			    "%s is shard %llu/%llu, %s is shard %llu/%llu: different shard counts",
			    a->dir, (unsigned long long)ia, (unsigned long long)na, b->dir,
			    (unsigned long long)ib, (unsigned long long)nb);
	for (int k = 0; k < i && nb; k++) {
		uint64_t ik, nk;

		shard_of(m->runs[k].doc, &ik, &nk);
		if (ik == ib)
			return fail(m, "%s and %s are both shard %llu/%llu", m->runs[k].dir, b->dir,
				    (unsigned long long)ib, (unsigned long long)nb);
	}
	return 0;
}

/* Its log holds exactly the values its report counts, metric by metric. */
static int check_counts(struct merge *m, const struct run *r)
{
	const struct jval *lat = jval_get(r->doc, "latency_us");

	for (size_t k = 0; lat && k < lat->n; k++) {
		uint64_t want = jval_u64(jval_get(&lat->items[k], "count"), 0);
		int t = tag_index(m, lat->keys[k]);
		uint64_t got = t < 0 ? 0 : r->tag_count[t];

		if (got != want)
			return fail(m,
				    "%s: latency.hlog holds %llu values of %s, report.json says "
				    "%llu: the run is incomplete or its files do not match",
				    r->dir, (unsigned long long)got, lat->keys[k],
				    (unsigned long long)want);
	}
	return 0;
}

static int read_run(struct merge *m, int i)
{
	struct run *r = &m->runs[i];
	char path[4096], err[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/report.json", r->dir);
	r->doc = jval_load(path, err, sizeof(err));
	if (!r->doc)
		return fail(m, "%s", err);
	if (r->doc->type != JVAL_OBJ || !jval_get(r->doc, "phones"))
		return fail(m, "%s: not a phoneswarm report.json", path);
	if (check_together(m, i))
		return -1;
	snprintf(path, sizeof(path), "%s/latency.hlog", r->dir);
	m->cur = i;
	m->err[0] = '\0';
	rc = hdrlog_read(path, take_ivl, m, &r->start_unix, err, sizeof(err));
	if (rc)
		return m->err[0] ? -1 : fail(m, "%s", err);
	if (check_counts(m, r))
		return -1;
	snprintf(path, sizeof(path), "%s/timeseries.csv", r->dir);
	rc = csv_load(path, &r->ts, err, sizeof(err));
	if (rc == -1)
		return fail(m, "%s", err);
	r->has_ts = rc == 0;
	if (r->has_ts && (csv_col(&r->ts, "t_s") < 0 || csv_col(&r->ts, "interval_s") < 0))
		return fail(m, "%s: no t_s and interval_s columns", path);
	if (i && r->has_ts != m->runs[0].has_ts)
		return fail(m, "%s has a timeseries.csv, %s has none",
			    r->has_ts ? r->dir : m->runs[0].dir,
			    r->has_ts ? m->runs[0].dir : r->dir);
	if (i && r->has_ts && strcmp(r->ts.header, m->runs[0].ts.header))
		return fail(m,
			    "%s/timeseries.csv and %s/timeseries.csv have different columns "
			    "(different versions of phoneswarm?)",
			    m->runs[0].dir, r->dir);
	return 0;
}

/* ==== Intervals ==== */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The usual interval length: the median of the logs' (or, with none, of the series'). */
static int find_step(struct merge *m)
{
	size_t n = 0, cap = m->n_ivls;
	double *lens;

	for (int i = 0; i < m->n_runs; i++)
		cap += m->runs[i].ts.nrows;
	lens = malloc((cap ? cap : 1) * sizeof(*lens));
	if (!lens)
		return fail(m, "out of memory");
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
	const struct ivl *x = a, *y = b;
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
static int key_rows(struct merge *m)
{
	size_t n = m->n_ivls, j = 0;
	double *ends;
	long *keys;

	for (int i = 0; i < m->n_runs; i++)
		n += m->runs[i].ts.nrows;
	ends = malloc((n ? n : 1) * sizeof(*ends));
	keys = malloc((n ? n : 1) * sizeof(*keys));
	for (int i = 0; ends && keys && i < m->n_runs; i++) {
		struct run *r = &m->runs[i];

		r->row_key = malloc((r->ts.nrows ? r->ts.nrows : 1) * sizeof(*r->row_key));
		if (!r->row_key)
			break;
	}
	if (!ends || !keys || (m->n_runs && !m->runs[m->n_runs - 1].row_key)) {
		free(ends);
		free(keys);
		return fail(m, "out of memory");
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
		struct run *r = &m->runs[i];
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
static void interval_hist(struct merge *m, int t, long key)
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

/* ==== Writing latency.hlog ==== */

static int write_hlog(struct merge *m, const char *dir)
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
		return fail(m, "%s", err);
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
		return fail(m, "%s: %s", path, strerror(EIO));
	return 0;
}

/* ==== Writing timeseries.csv ==== */

/* A column that is a percentile or max of a metric: PREFIX_pNN_ms, PREFIX_max_ms. */
static const struct {
	const char *prefix, *metric;
} pct_prefixes[] = {
    {"ttt", "time_to_tunnel"},
    {"rtp_rtt", "rtp_rtt"},
    {"rtp_jitter", "rtp_jitter_down"},
};

enum col_kind {
	COL_SUM,	   /* counts of the interval: summed */
	COL_T,		   /* t_s: the latest end */
	COL_LEN,	   /* interval_s: the longest run's share of the interval */
	COL_GAUGE,	   /* up, dtls, rss_mib: each run's at the interval's end, summed */
	COL_GAUGE_CARRIED, /* arrived, failed: the same, carried on once a run has ended */
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

static void classify(struct merge *m, const struct csv *c, struct col *cols)
{
	char name[64], want[64];

	for (size_t k = 0; k < c->ncols; k++) {
		struct col *o = &cols[k];
		size_t len;

		csv_name(c, k, name, sizeof(name));
		*o = (struct col){.kind = COL_SUM, .tag = -1, .max_col = -1};
		len = strlen(name);
		if (!strcmp(name, "t_s"))
			o->kind = COL_T;
		else if (!strcmp(name, "interval_s"))
			o->kind = COL_LEN;
		else if (!strcmp(name, "up") || !strcmp(name, "dtls") || !strcmp(name, "rss_mib"))
			o->kind = COL_GAUGE;
		else if (!strcmp(name, "cpu_pct"))
			o->kind = COL_RATE;
		else if (!strcmp(name, "arrived") || !strcmp(name, "failed"))
			o->kind = COL_GAUGE_CARRIED;
		else if (!strcmp(name, "events"))
			o->kind = COL_EVENTS;
		else if (len > 3 && !strcmp(name + len - 3, "_ms")) {
			for (size_t p = 0; p < sizeof(pct_prefixes) / sizeof(pct_prefixes[0]);
			     p++) {
				size_t pl = strlen(pct_prefixes[p].prefix);
				const char *stat = name + pl + 1;

				if (strncmp(name, pct_prefixes[p].prefix, pl) || name[pl] != '_')
					continue;
				o->tag = tag_index(m, pct_prefixes[p].metric);
				snprintf(want, sizeof(want), "%s_max_ms", pct_prefixes[p].prefix);
				if (!strcmp(name, want)) {
					o->kind = COL_MAX_MS;
				} else if (stat[0] == 'p') {
					o->kind = COL_PCT;
					o->pct = strtod(stat + 1, NULL);
					if (!strncmp(stat, "p999_", 5))
						o->pct = 99.9;
					o->max_col = csv_col(c, want);
				}
			}
		}
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
	if (o->kind == COL_PCT) {
		char mx[64];
		uint64_t max_us;

		if (o->tag < 0)
			return;
		interval_hist(m, o->tag, key);
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
static int write_series(struct merge *m, const char *dir, uint64_t *peak)
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
		rc = fail(m, "out of memory");
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
		rc = fail(m, "%s: %s", path, strerror(errno));
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
			const struct run *r = &m->runs[i];

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
		rc = fail(m, "%s: %s", path, strerror(EIO));
done:
	free(cols);
	free(sp);
	free(pos);
	free(keys);
	return rc;
}

/* ==== report.json ==== */

static const struct {
	const char *path;
	size_t off;
} counters[] = {
#define C(path, field)                                                                             \
	{                                                                                          \
		path, offsetof(struct stats, field)                                                \
	}
    C("phones.attempted", attempted),
    C("phones.tunnels_up", tunnels_up),
    C("phones.dtls_up", dtls_up),
    C("phones.failed", failed),
    C("phones.disconnected", disconnected),
    C("phones.aborted_at_end", aborted),
    C("phones.failovers", failovers),
    C("phones.tunnels_dropped", tunnels_dropped),
    C("phones.reconnects", reconnects),
    C("phones.reconnect_failures", reconnect_failures),
    C("phones.dtls_retries", dtls_retries),
    C("traffic.cstp_tx_bytes", cstp_tx_bytes),
    C("traffic.cstp_rx_bytes", cstp_rx_bytes),
    C("traffic.dtls_tx_bytes", dtls_tx_bytes),
    C("traffic.dtls_rx_bytes", dtls_rx_bytes),
    C("traffic.keepalives_sent", keepalives_sent),
    C("traffic.dpd_sent", dpd_sent),
    C("traffic.dpd_answered", dpd_answered),
    C("traffic.data_tx_packets", data_tx_packets),
    C("traffic.data_rx_packets", data_rx_packets),
    C("traffic.data_rx_bad", data_rx_bad),
    C("traffic.data_tx_dropped", data_tx_dropped),
    C("rtp.sent", rtp_sent),
    C("rtp.received", rtp_received),
    C("rtp.lost_up", rtp_up_lost),
    C("rtp.lost_down", rtp_down_lost),
    C("rtp.sent_up", rtp_up_expected),
    C("rtp.sent_down", rtp_down_expected),
    C("rtp.duplicates", rtp_duplicates),
    C("rtp.reordered", rtp_reordered),
    C("rtp.late", rtp_late),
    C("rtp.not_sent", rtp_skipped),
    C("rtp.stray", rtp_stray),
    C("rtp.calls_completed", calls_completed),
    C("rtp.calls_cut", calls_dropped),
    C("rtp.calls_scored", mos_calls),
    C("config.fetched", config_fetched),
    C("config.failed", config_failed),
    C("config.bytes", config_bytes),
    C("config.unfinished", config_unfinished),
#undef C
};

static void sum_stats(const struct jval *doc, struct stats *st)
{
	const struct jval *mos = jval_path(doc, "rtp.mos_mean");
	double calls = jval_num(jval_path(doc, "rtp.calls_scored"), 0);

	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
		*(uint64_t *)((char *)st + counters[k].off) +=
		    jval_u64(jval_path(doc, counters[k].path), 0);
	for (int r = 1; r < R__COUNT; r++)
		st->failures[r] +=
		    jval_u64(jval_get(jval_get(doc, "failures"), reason_name((enum reason)r)), 0);
	if (mos && mos->type == JVAL_NUM && calls > 0) {
		uint64_t worst =
		    (uint64_t)llround(5000.0 - 1000.0 * jval_num(jval_path(doc, "rtp.mos_min"), 5));

		st->mos_milli_sum += (uint64_t)llround(mos->num * 1000.0 * calls);
		if (worst > st->mos_worst_milli)
			st->mos_worst_milli = worst;
	}
}

/* Exact min, max and weighted mean of metric name over the runs; false if none has samples. */
static bool exact_of(const struct merge *m, const char *name, uint64_t *min, uint64_t *max,
		     double *mean)
{
	char path[128];
	double sum = 0, n = 0;

	*min = UINT64_MAX;
	*max = 0;
	for (int i = 0; i < m->n_runs; i++) {
		snprintf(path, sizeof(path), "latency_us.%s", name);
		const struct jval *l = jval_path(m->runs[i].doc, path);
		double c = jval_num(jval_get(l, "count"), 0);

		if (c <= 0)
			continue;
		if (jval_u64(jval_get(l, "min"), 0) < *min)
			*min = jval_u64(jval_get(l, "min"), 0);
		if (jval_u64(jval_get(l, "max"), 0) > *max)
			*max = jval_u64(jval_get(l, "max"), 0);
		sum += jval_num(jval_get(l, "mean"), 0) * c;
		n += c;
	}
	*mean = n ? sum / n : 0;
	return n > 0;
}

static void merge_events(const struct merge *m, struct run_event *ev, int *n_ev)
{
	*n_ev = 0;
	for (int i = 0; i < m->n_runs; i++) {
		const struct jval *a = jval_get(m->runs[i].doc, "events");

		for (size_t k = 0; a && a->type == JVAL_ARR && k < a->n; k++) {
			const struct jval *e = &a->items[k];
			const char *name = jval_str(jval_get(e, "name"), "");
			const struct jval *at = jval_get(e, "at_s");
			bool ok = jval_get(e, "ok") && jval_get(e, "ok")->b;
			int j;

			for (j = 0; j < *n_ev && strcmp(ev[j].name, name); j++)
				;
			if (j == *n_ev) {
				if (*n_ev == MAX_EVENTS)
					continue;
				(*n_ev)++;
				memset(&ev[j], 0, sizeof(ev[j]));
				snprintf(ev[j].name, sizeof(ev[j].name), "%s", name);
				snprintf(ev[j].action, sizeof(ev[j].action), "%s",
					 jval_str(jval_get(e, "action"), ""));
				snprintf(ev[j].detail, sizeof(ev[j].detail), "%s",
					 jval_str(jval_get(e, "detail"), ""));
				ev[j].at_s = -1;
				ev[j].ok = true;
			}
			if (at && at->type == JVAL_NUM && (ev[j].at_s < 0 || at->num < ev[j].at_s))
				ev[j].at_s = at->num;
			if (!ok && ev[j].ok)
				snprintf(ev[j].detail, sizeof(ev[j].detail), "%s: %s",
					 m->runs[i].dir, jval_str(jval_get(e, "detail"), ""));
			ev[j].ok = ev[j].ok && ok;
		}
	}
}

/* Expectations were judged per run: merged, one holds if it held in every run. */
static void merge_expects(const struct merge *m, struct expect_result *ex, int *n_ex)
{
	int held[MAX_EVENTS] = {0};

	*n_ex = 0;
	for (int i = 0; i < m->n_runs; i++) {
		const struct jval *a = jval_get(m->runs[i].doc, "expectations");

		for (size_t k = 0; a && a->type == JVAL_ARR && k < a->n; k++) {
			const struct jval *e = &a->items[k];
			const char *name = jval_str(jval_get(e, "name"), "");
			bool ok = jval_get(e, "ok") && jval_get(e, "ok")->b;
			int j;

			for (j = 0; j < *n_ex && strcmp(ex[j].name, name); j++)
				;
			if (j == *n_ex) {
				if (*n_ex == MAX_EVENTS)
					continue;
				(*n_ex)++;
				memset(&ex[j], 0, sizeof(ex[j]));
				snprintf(ex[j].name, sizeof(ex[j].name), "%s", name);
				ex[j].ok = true;
			}
			held[j] += ok;
			if (!ok && ex[j].ok)
				snprintf(ex[j].detail, sizeof(ex[j].detail), "%s: %s",
					 m->runs[i].dir, jval_str(jval_get(e, "detail"), ""));
			ex[j].ok = ex[j].ok && ok;
		}
	}
	for (int j = 0; j < *n_ex; j++)
		if (ex[j].ok)
			snprintf(
			    ex[j].detail, sizeof(ex[j].detail),
			    "held in %d of %d runs (judged in each run, not on the merged fleet)",
			    held[j], m->n_runs);
}

static int write_report(struct merge *m, const char *dir, uint64_t peak, bool have_peak)
{
	static const char *const dtls_modes[] = {"auto", "legacy", "psk", "off"};
	static struct run_event ev[MAX_EVENTS];
	static struct expect_result ex[MAX_EVENTS];
	struct hist *empty = hist_new(), *lat[M__COUNT] = {0};
	struct swarm_config cfg;
	struct run_result res;
	double weighted_cpu = 0, sum_up = 0;
	char path[4096];
	int rc = 0;

	config_defaults(&cfg);
	memset(&res, 0, sizeof(res));
	cfg.url = (char *)str_at(m->runs[0].doc, "headend");
	for (int k = 0; k < 4; k++)
		if (!strcmp(str_at(m->runs[0].doc, "dtls_mode"), dtls_modes[k]))
			cfg.dtls_mode = (enum dtls_mode)k;
	cfg.count = 0;
	for (int i = 0; i < m->n_runs; i++) {
		const struct jval *d = m->runs[i].doc;
		double up = jval_num(jval_path(d, "phones.tunnels_up"), 0);

		cfg.count += (uint32_t)jval_u64(jval_path(d, "phones.configured"), 0);
		sum_stats(d, &res.st);
		res.wall_s = fmax(res.wall_s, jval_num(jval_get(d, "duration_s"), 0));
		res.cpu_user_s += jval_num(jval_path(d, "resources.cpu_user_s"), 0);
		res.cpu_sys_s += jval_num(jval_path(d, "resources.cpu_sys_s"), 0);
		res.max_rss_kb += jval_u64(jval_path(d, "resources.max_rss_kb"), 0);
		res.rss_base_kb += jval_u64(jval_path(d, "resources.rss_base_kb"), 0);
		res.rss_at_peak_kb += jval_u64(jval_path(d, "resources.rss_at_peak_kb"), 0);
		weighted_cpu += jval_num(jval_path(d, "resources.cpu_ms_per_tunnel"), 0) * up;
		sum_up += up;
		if (!have_peak)
			peak += jval_u64(jval_path(d, "phones.peak_concurrent"), 0);
	}
	res.scenario = str_at(m->runs[0].doc, "scenario");
	res.cfg = &cfg;
	res.peak_concurrent = peak;
	res.cpu_to_peak_s = weighted_cpu / 1000.0;
	res.tunnels_at_peak = (uint64_t)sum_up;
	res.merged_runs = (uint32_t)m->n_runs;
	merge_events(m, ev, &res.n_events);
	merge_expects(m, ex, &res.n_expects);
	res.events = ev;
	res.expects = ex;
	if (!empty)
		return fail(m, "out of memory");
	for (int k = 0; k < M__COUNT; k++) {
		const char *name = metric_name((enum metric)k);
		int t = tag_index(m, name);
		uint64_t min, max;
		double mean;

		res.lat[k] = empty;
		if (t < 0 || !hist_count(m->total[t]))
			continue;
		lat[k] = m->total[t];
		res.lat[k] = lat[k];
		if (exact_of(m, name, &min, &max, &mean) && hist_set_exact(lat[k], min, max, mean))
			fprintf(stderr,
				"phoneswarm merge: %s: the runs' min/max do not match their logs; "
				"min, max and mean are the logs' slots\n",
				name);
	}
	snprintf(path, sizeof(path), "%s/report.json", dir);
	rc = report_write_json(&res, path);
	if (rc)
		rc = fail(m, "%s: %s", path, strerror(-rc));
	else
		report_print_summary(&res, dir, stdout);
	hist_free(empty);
	return rc;
}

/* ==== The command ==== */

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm merge RUN_DIR... -o DIR\n"
		   "  merges runs of one scenario made in parallel (--shard i/N on several\n"
		   "  machines): counters summed, histograms merged exactly from each run's\n"
		   "  latency.hlog, percentiles recomputed; writes DIR/report.json,\n"
		   "  DIR/timeseries.csv and DIR/latency.hlog\n");
}

static void merge_free(struct merge *m)
{
	for (int i = 0; i < m->n_runs; i++) {
		jval_free(m->runs[i].doc);
		csv_free(&m->runs[i].ts);
		free(m->runs[i].row_key);
	}
	free(m->runs);
	for (int t = 0; t < m->n_tags; t++) {
		free(m->tags[t]);
		hist_free(m->total[t]);
	}
	for (size_t k = 0; k < m->n_ivls; k++)
		free(m->ivls[k].b64);
	free(m->ivls);
	hist_free(m->scratch);
}

/* DIR is none of the runs (its report.json would be overwritten). */
static int check_out(struct merge *m, const char *out)
{
	struct stat so, sr;

	if (stat(out, &so))
		return 0;
	for (int i = 0; i < m->n_runs; i++)
		if (!stat(m->runs[i].dir, &sr) && sr.st_dev == so.st_dev && sr.st_ino == so.st_ino)
			return fail(m, "-o %s is one of the runs being merged", out);
	return 0;
}

int merge_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct merge m = {0};
	const char *out = NULL;
	uint64_t peak = 0, want;
	int opt, rc = EXIT_USAGE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!out || optind == argc || argc - optind > MAX_RUNS) {
		usage(stderr);
		return EXIT_USAGE;
	}
	m.n_runs = argc - optind;
	m.runs = calloc((size_t)m.n_runs, sizeof(*m.runs));
	m.scratch = hist_new();
	if (!m.runs || !m.scratch) {
		fprintf(stderr, "phoneswarm merge: out of memory\n");
		merge_free(&m);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < m.n_runs; i++)
		m.runs[i].dir = argv[optind + i];
	for (int i = 0; i < m.n_runs; i++)
		if (read_run(&m, i))
			goto fail;
	if (check_out(&m, out) || find_step(&m) || key_rows(&m))
		goto fail;
	want = jval_u64(jval_path(m.runs[0].doc, "shard.count"), 0);
	if (want && want != (uint64_t)m.n_runs)
		fprintf(stderr, "phoneswarm merge: note: %d runs of a split in %llu shards\n",
			m.n_runs, (unsigned long long)want);
	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "phoneswarm merge: -o %s: %s\n", out, strerror(errno));
		goto done;
	}
	rc = EXIT_RUNTIME;
	if (m.runs[0].has_ts && write_series(&m, out, &peak))
		goto fail;
	if (!m.runs[0].has_ts)
		fprintf(stderr,
			"phoneswarm merge: no timeseries.csv: peak_concurrent is the sum of "
			"the runs' peaks (an upper bound)\n");
	if (write_hlog(&m, out) || write_report(&m, out, peak, m.runs[0].has_ts))
		goto fail;
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "phoneswarm merge: %s\n", m.err);
done:
	merge_free(&m);
	return rc;
}
