/*
 * report/merge_read.c - "phoneswarm merge" (merge.h): reads each run into
 * the merge state.
 *
 * A run is its report.json, its latency.hlog (every line kept, compressed,
 * and added to its tag's total) and its timeseries.csv if it has one. The
 * runs must belong together (one scenario, headend and DTLS mode; the
 * shards of one split, each once, all of them) and each run's files must
 * agree: its log holds exactly the values its report counts. A run that
 * did not complete, or a missing shard, is taken only with --partial.
 */
#include "report/merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/contract.h"
#include "report/csvread.h"
#include "report/hdrlog.h"
#include "engine/stats/hist.h"
#include "report/jsonread.h"

/* ==== latency.hlog ==== */

int merge_tag_index(struct merge *m, const char *tag)
{
	for (int t = 0; t < m->n_tags; t++)
		if (!strcmp(m->tags[t], tag))
			return t;
	return -1;
}

static int take_ivl(const char *tag, double start, double len, const struct hist *h, void *arg)
{
	struct merge *m = arg;
	struct merge_run *r = &m->runs[m->cur];
	int t = merge_tag_index(m, tag);
	struct merge_ivl *v;

	if (!*tag)
		return merge_fail(m, "%s/latency.hlog: an untagged histogram line", r->dir);
	if (t < 0) {
		if (m->n_tags == MERGE_MAX_TAGS)
			return merge_fail(m, "%s/latency.hlog: more than %d tags", r->dir,
					  MERGE_MAX_TAGS);
		t = m->n_tags;
		m->tags[t] = strdup(tag);
		m->total[t] = hist_new();
		if (!m->tags[t] || !m->total[t])
			return merge_fail(m, "out of memory");
		m->n_tags++;
	}
	hist_merge(m->total[t], h);
	r->tag_count[t] += hist_count(h);
	if (m->n_ivls == m->cap_ivls) {
		size_t cap = m->cap_ivls ? m->cap_ivls * 2 : 1024;
		struct merge_ivl *ivls = realloc(m->ivls, cap * sizeof(*ivls));

		if (!ivls)
			return merge_fail(m, "out of memory");
		m->ivls = ivls;
		m->cap_ivls = cap;
	}
	v = &m->ivls[m->n_ivls];
	*v = (struct merge_ivl){.run = m->cur, .tag = t, .start = start, .len = len};
	v->b64 = hdrlog_encode(h);
	if (!v->b64)
		return merge_fail(m, "out of memory");
	m->n_ivls++;
	return 0;
}

/* ==== Reading a run ==== */

const char *merge_str_at(const struct jval *doc, const char *path)
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
	const struct merge_run *a = &m->runs[0], *b = &m->runs[i];
	static const char *const same[] = {"scenario", "headend", "dtls_mode", "client"};
	uint64_t ia, na, ib, nb;

	for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
		if (strcmp(merge_str_at(a->doc, same[k]), merge_str_at(b->doc, same[k])))
			return merge_fail(
			    m,
			    "%s and %s are runs of different %ss (%s, %s): they cannot "
			    "be merged",
			    a->dir, b->dir, same[k], merge_str_at(a->doc, same[k]),
			    merge_str_at(b->doc, same[k]));
	shard_of(a->doc, &ia, &na);
	shard_of(b->doc, &ib, &nb);
	if (!na != !nb)
		return merge_fail(m, "%s is %s, %s is %s: merge the shards of one split", a->dir,
				  na ? "a shard of a split" : "not a shard", b->dir,
				  nb ? "a shard of a split" : "not a shard");
	if (na != nb)
		return merge_fail(
		    m, "%s is shard %llu/%llu, %s is shard %llu/%llu: different shard counts",
		    a->dir, (unsigned long long)ia, (unsigned long long)na, b->dir,
		    (unsigned long long)ib, (unsigned long long)nb);
	for (int k = 0; k < i && nb; k++) {
		uint64_t ik, nk;

		shard_of(m->runs[k].doc, &ik, &nk);
		if (ik == ib)
			return merge_fail(m, "%s and %s are both shard %llu/%llu", m->runs[k].dir,
					  b->dir, (unsigned long long)ib, (unsigned long long)nb);
	}
	return 0;
}

/* Its log holds exactly the values its report counts, metric by metric. */
static int check_counts(struct merge *m, const struct merge_run *r)
{
	const struct jval *lat = jval_get(r->doc, "latency_us");

	for (size_t k = 0; lat && k < lat->n; k++) {
		uint64_t want = jval_u64(jval_get(&lat->items[k], "count"), 0);
		int t = merge_tag_index(m, lat->keys[k]);
		uint64_t got = t < 0 ? 0 : r->tag_count[t];

		if (got != want)
			return merge_fail(
			    m,
			    "%s: latency.hlog holds %llu values of %s, report.json says "
			    "%llu: the run is incomplete or its files do not match",
			    r->dir, (unsigned long long)got, lat->keys[k],
			    (unsigned long long)want);
	}
	return 0;
}

/* It covers its whole run, else it is taken only with --partial, marked. */
static int check_whole(struct merge *m, struct merge_run *r)
{
	char why[sizeof(r->stopped_early)];
	const char *stopped;

	if (contract_whole(r->doc, why, sizeof(why)))
		return 0;
	if (!m->partial)
		return merge_fail(m,
				  "%s %s: refused; --partial merges it anyway, and the merged "
				  "report says so",
				  r->dir, why);
	r->incomplete = true;
	if (contract_completed(r->doc, &stopped))
		snprintf(r->stopped_early, sizeof(r->stopped_early), "%s", why);
	else
		snprintf(r->stopped_early, sizeof(r->stopped_early), "%s",
			 stopped ? stopped : "stopped early; it does not say why");
	return 0;
}

int merge_read_run(struct merge *m, int i)
{
	struct merge_run *r = &m->runs[i];
	char path[4096], err[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/report.json", r->dir);
	r->doc = jval_load(path, err, sizeof(err));
	if (!r->doc)
		return merge_fail(m, "%s", err);
	if (!contract_check(r->doc, err, sizeof(err)))
		return merge_fail(m, "%s: not a phoneswarm report.json: %s", path, err);
	if (check_whole(m, r))
		return -1;
	if (check_together(m, i))
		return -1;
	snprintf(path, sizeof(path), "%s/latency.hlog", r->dir);
	m->cur = i;
	m->err[0] = '\0';
	rc = hdrlog_read(path, take_ivl, m, &r->start_unix, err, sizeof(err));
	if (rc)
		return m->err[0] ? -1 : merge_fail(m, "%s", err);
	if (check_counts(m, r))
		return -1;
	snprintf(path, sizeof(path), "%s/timeseries.csv", r->dir);
	rc = csv_load(path, &r->ts, err, sizeof(err));
	if (rc == -1)
		return merge_fail(m, "%s", err);
	r->has_ts = rc == 0;
	if (r->has_ts && (csv_col(&r->ts, "t_s") < 0 || csv_col(&r->ts, "interval_s") < 0))
		return merge_fail(m, "%s: no t_s and interval_s columns", path);
	if (i && r->has_ts != m->runs[0].has_ts)
		return merge_fail(m, "%s has a timeseries.csv, %s has none",
				  r->has_ts ? r->dir : m->runs[0].dir,
				  r->has_ts ? m->runs[0].dir : r->dir);
	if (i && r->has_ts && strcmp(r->ts.header, m->runs[0].ts.header))
		return merge_fail(m,
				  "%s/timeseries.csv and %s/timeseries.csv have different columns "
				  "(different versions of phoneswarm?)",
				  m->runs[0].dir, r->dir);
	return 0;
}

/* ==== Missing shards ==== */

#define MAX_SHARDS 65536

int merge_check_shards(struct merge *m)
{
	uint64_t index, count;
	char list[512] = "";
	bool *seen;
	size_t len = 0;

	shard_of(m->runs[0].doc, &index, &count);
	if (!count)
		return 0;
	if (count > MAX_SHARDS)
		return merge_fail(m, "%s is shard %llu/%llu: more shards than %d", m->runs[0].dir,
				  (unsigned long long)index, (unsigned long long)count, MAX_SHARDS);
	seen = calloc(count, sizeof(*seen));
	m->missing = calloc(count, sizeof(*m->missing));
	if (!seen || !m->missing) {
		free(seen);
		return merge_fail(m, "out of memory");
	}
	for (int i = 0; i < m->n_runs; i++) {
		shard_of(m->runs[i].doc, &index, &count);
		if (index >= count) {
			free(seen);
			return merge_fail(m, "%s is shard %llu/%llu: there is no such shard",
					  m->runs[i].dir, (unsigned long long)index,
					  (unsigned long long)count);
		}
		seen[index] = true;
	}
	for (uint64_t k = 0; k < count; k++)
		if (!seen[k])
			m->missing[m->n_missing++] = (uint32_t)k;
	free(seen);
	if (!m->n_missing || m->partial)
		return 0;
	for (int k = 0; k < m->n_missing; k++) {
		if (len + 40 > sizeof(list)) {
			snprintf(list + len, sizeof(list) - len, " and %d more", m->n_missing - k);
			break;
		}
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u/%llu", k ? ", " : "",
					m->missing[k], (unsigned long long)count);
	}
	return merge_fail(m,
			  "shard%s %s missing: give every shard's run directory, or --partial to "
			  "merge the %d given (the merged report then says which are missing)",
			  m->n_missing > 1 ? "s" : "", list, m->n_runs);
}
