/*
 * report/merge_report.c - "phoneswarm merge" (merge.h): the merged
 * report.json and report.html, through report_write_json() and
 * report_html_write().
 *
 * Counters are summed; latencies come from the sum of all intervals of
 * each tag of the logs, with the exact min, max and mean the runs' reports
 * give (hist_set_exact()); refusals are the runs' lists summed line by
 * line; events and expectations are the runs' (an
 * expectation holds if it held in every run: it is not judged again). A
 * partial merge (--partial) lists the shards missing and the runs that did
 * not complete. The page charts the merged timeseries.csv beside it.
 */
#include "report/merge.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "engine/reason.h"
#include "engine/stats/stats.h"
#include "engine/stats/hist.h"
#include "report/html.h"
#include "report/jsonread.h"
#include "report/refusals.h"
#include "report/report.h"
#include "report/utc.h"

#define MAX_EVENTS 256

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

/* The name's enum value among n names, or -1. */
static int name_index(const char *name, const char *(*name_of)(int), int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(name_of(i), name))
			return i;
	return -1;
}

static const char *reason_at(int i) { return reason_name((enum reason)i); }
static const char *phase_at(int i) { return failure_phase_name((enum fail_phase)i); }

/*
 * The runs' refusal lists summed line by line (same reason and detail).
 * Each report lists only its commonest lines, so a line that was rare in
 * every run can be missing. False when no run kept refusals.
 */
static bool merge_refusals(const struct merge *m, struct refusals *t)
{
	bool any = false;

	refusals_init(t);
	for (int i = 0; i < m->n_runs; i++) {
		const struct jval *a = jval_get(m->runs[i].doc, "refusals");

		any = any || (a && a->type == JVAL_ARR);
		for (size_t k = 0; a && a->type == JVAL_ARR && k < a->n; k++) {
			const struct jval *e = &a->items[k];
			int r = name_index(jval_str(jval_get(e, "reason"), ""), reason_at, R__COUNT);
			int ph = name_index(jval_str(jval_get(e, "phase"), ""), phase_at, FP__COUNT);

			if (r < 0 || ph < 0)
				continue; /* a reason this version does not know */
			refusals_add_line(t, (enum reason)r, (enum fail_phase)ph,
					  jval_u64(jval_get(e, "count"), 0),
					  jval_str(jval_get(e, "detail"), ""),
					  jval_str(jval_get(e, "said"), NULL));
		}
	}
	return any;
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

/*
 * Where the merged run came from: the merging phoneswarm and machine
 * (m->origin), the runs' ids, their scenario as run 0's report has it
 * (the shards of one fleet share it), the earliest start. Strings are
 * borrowed from the runs' reports; o's arrays are allocated (free them
 * with free_origin()). -1 out of memory.
 */
static int merge_origin(const struct merge *m, struct run_origin *o, double *started)
{
	const struct jval *conf = jval_get(m->runs[0].doc, "configuration");
	const struct jval *ov = jval_get(m->runs[0].doc, "overrides");
	struct run_setting *st;
	const char **ids, **ovs;
	size_t n = 0;

	*o = *m->origin;
	for (size_t s = 0; conf && conf->type == JVAL_OBJ && s < conf->n; s++)
		n += conf->items[s].n;
	st = calloc(n + 1, sizeof(*st));
	ids = calloc((size_t)m->n_runs, sizeof(*ids));
	ovs = calloc(ov && ov->type == JVAL_ARR ? ov->n + 1 : 1, sizeof(*ovs));
	if (!st || !ids || !ovs) {
		free(st);
		free(ids);
		free(ovs);
		return -1;
	}
	o->settings = st;
	o->merged_ids = ids;
	o->overrides = ovs;
	for (size_t s = 0; conf && conf->type == JVAL_OBJ && s < conf->n; s++) {
		const struct jval *sec = &conf->items[s];

		for (size_t k = 0; k < sec->n; k++) {
			if (sec->items[k].type != JVAL_STR)
				continue;
			st[o->n_settings++] = (struct run_setting){
			    .section = conf->keys[s],
			    .key = sec->type == JVAL_OBJ ? sec->keys[k] : NULL,
			    .value = sec->items[k].str,
			    .from = "",
			};
		}
	}
	for (size_t i = 0; ov && ov->type == JVAL_ARR && i < ov->n; i++)
		if (ov->items[i].type == JVAL_STR)
			ovs[o->n_overrides++] = ov->items[i].str;
	*started = 0;
	for (int i = 0; i < m->n_runs; i++) {
		double t = utc_parse(jval_str(jval_get(m->runs[i].doc, "started_at"), NULL));

		ids[o->n_merged_ids++] = jval_str(jval_get(m->runs[i].doc, "run_id"), NULL);
		if (t > 0 && (*started == 0 || t < *started))
			*started = t;
	}
	return 0;
}

static void free_origin(struct run_origin *o)
{
	free((void *)o->settings);
	free((void *)o->merged_ids);
	free((void *)o->overrides);
}

/*
 * The memory figures of run d added to a merge's (first: d is its first run):
 * summed, as the processes held them; the base is unknown (0) once one run's is.
 */
static void merge_heap(struct run_result *res, const struct jval *d, bool first)
{
	uint64_t base = jval_u64(jval_path(d, "resources.heap_base_bytes"), 0);

	res->heap_base_bytes = base && (first || res->heap_base_bytes) ? res->heap_base_bytes + base : 0;
	res->heap_end_bytes += jval_u64(jval_path(d, "resources.heap_end_bytes"), 0);
	res->hist_base_bytes += jval_u64(jval_path(d, "resources.hist_base_bytes"), 0);
	res->hist_end_bytes += jval_u64(jval_path(d, "resources.hist_end_bytes"), 0);
}

int merge_write_report(struct merge *m, const char *dir, uint64_t peak, bool have_peak)
{
	struct run_origin origin = {0};
	static struct run_event ev[MAX_EVENTS];
	static struct expect_result ex[MAX_EVENTS];
	static struct refusals refusals;
	struct run_incomplete *inc = calloc((size_t)m->n_runs, sizeof(*inc));
	struct hist *empty = hist_new(), *lat[M__COUNT] = {0};
	struct swarm_config cfg;
	struct run_result res;
	double weighted_cpu = 0, sum_up = 0;
	char path[4096];
	int rc = 0, mode;

	config_defaults(&cfg);
	memset(&res, 0, sizeof(res));
	cfg.n_models = 0; /* the runs' reports do not say */
	cfg.url = (char *)merge_str_at(m->runs[0].doc, "headend");
	mode = dtls_mode_parse(merge_str_at(m->runs[0].doc, "dtls_mode"));
	if (mode >= 0)
		cfg.dtls_mode = (enum dtls_mode)mode;
	/* a report without "client" is older than the phone's login: the desktop one */
	const char *client = merge_str_at(m->runs[0].doc, "client");

	if (!*client || !strcmp(client, client_names[CLIENT_ANYCONNECT]))
		cfg.client = CLIENT_ANYCONNECT;
	/* headend.spread: the first run's list (headend.url first), borrowed like url */
	const struct jval *spread = jval_get(m->runs[0].doc, "headends");

	for (size_t i = 1; spread && spread->type == JVAL_ARR && i < spread->n &&
			   cfg.n_spread < CONFIG_MAX_SPREAD;
	     i++)
		if (spread->items[i].type == JVAL_STR)
			cfg.spread[cfg.n_spread++] = spread->items[i].str;
	cfg.count = 0;
	for (int i = 0; i < m->n_runs; i++) {
		const struct jval *d = m->runs[i].doc;
		double up = jval_num(jval_path(d, "phones.tunnels_up"), 0);

		cfg.count += (uint32_t)jval_u64(jval_path(d, "phones.configured"), 0);
		report_read_stats(d, &res.st);
		res.wall_s = fmax(res.wall_s, jval_num(jval_get(d, "duration_s"), 0));
		res.cpu_user_s += jval_num(jval_path(d, "resources.cpu_user_s"), 0);
		res.cpu_sys_s += jval_num(jval_path(d, "resources.cpu_sys_s"), 0);
		res.max_rss_kb += jval_u64(jval_path(d, "resources.max_rss_kb"), 0);
		res.rss_base_kb += jval_u64(jval_path(d, "resources.rss_base_kb"), 0);
		res.rss_at_peak_kb += jval_u64(jval_path(d, "resources.rss_at_peak_kb"), 0);
		merge_heap(&res, d, i == 0);
		weighted_cpu += jval_num(jval_path(d, "resources.cpu_ms_per_tunnel"), 0) * up;
		sum_up += up;
		if (!have_peak)
			peak += jval_u64(jval_path(d, "phones.peak_concurrent"), 0);
		if (inc && m->runs[i].incomplete)
			inc[res.n_incomplete++] = (struct run_incomplete){
			    .run = m->runs[i].dir, .stopped_early = m->runs[i].stopped_early};
	}
	res.scenario = merge_str_at(m->runs[0].doc, "scenario");
	if (m->origin && merge_origin(m, &origin, &res.started_at)) {
		hist_free(empty);
		free(inc);
		return merge_fail(m, "out of memory");
	}
	res.origin = m->origin ? &origin : NULL;
	res.cfg = &cfg;
	res.peak_concurrent = peak;
	res.cpu_to_peak_s = weighted_cpu / 1000.0;
	res.tunnels_at_peak = (uint64_t)sum_up;
	res.merged_runs = (uint32_t)m->n_runs;
	res.shards_missing = m->missing;
	res.n_shards_missing = m->n_missing;
	res.incomplete = inc;
	res.no_timeseries = !have_peak;
	merge_events(m, ev, &res.n_events);
	merge_expects(m, ex, &res.n_expects);
	res.events = ev;
	res.expects = ex;
	res.refusals = merge_refusals(m, &refusals) ? &refusals : NULL;
	if (!empty || !inc) {
		hist_free(empty);
		free(inc);
		return merge_fail(m, "out of memory");
	}
	for (int k = 0; k < M__COUNT; k++) {
		const char *name = metric_name((enum metric)k);
		int t = merge_tag_index(m, name);
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
	if (rc) {
		rc = merge_fail(m, "%s: %s", path, strerror(-rc));
		goto out;
	}
	rc = report_html_write(&res, dir);
	if (rc) {
		rc = merge_fail(m, "%s/report.html: %s", dir, strerror(-rc));
		goto out;
	}
	report_print_summary(&res, dir, stdout);
out:
	free_origin(&origin);
	hist_free(empty);
	free(inc);
	return rc;
}
