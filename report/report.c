/*
 * report/report.c - report.json and the printed summary (report.h).
 */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "engine/config.h"
#include "engine/stats/counters.h"
#include "report/capacity.h"
#include "engine/stats/hist.h"
#include "report/json.h"
#include "report/jsonread.h"
#include "report/refusals.h"
#include "report/utc.h"

#define REPORT_REFUSALS 5 /* lines of "refusals" in report.json; the summary shows 3 */

const char *report_invalid_because(const struct stats *st, char *buf, size_t len)
{
	uint64_t n = 0;
	size_t off;

	for (int k = 1; k < R__COUNT; k++)
		if (reason_is_local((enum reason)k))
			n += st->failures[k];
	if (!n)
		return NULL;
	off = (size_t)snprintf(buf, len, "%llu failure%s of this machine, not the headend (",
			       (unsigned long long)n, n == 1 ? " was" : "s were");
	for (int k = 1, first = 1; k < R__COUNT && off < len; k++)
		if (reason_is_local((enum reason)k) && st->failures[k]) {
			off += (size_t)snprintf(buf + off, len - off, "%s%s %llu", first ? "" : ", ",
						reason_name((enum reason)k),
						(unsigned long long)st->failures[k]);
			first = 0;
		}
	if (off < len)
		snprintf(buf + off, len - off,
			 "): the figures are not the headend's; see failures.csv, and phoneswarm check");
	return buf;
}

double report_kib_per_phone(const struct run_result *r)
{
	if (!r->peak_concurrent || r->rss_at_peak_kb < r->rss_base_kb)
		return 0;
	return (double)(r->rss_at_peak_kb - r->rss_base_kb) / (double)r->peak_concurrent;
}

double report_cpu_ms_per_tunnel(const struct run_result *r)
{
	if (!r->tunnels_at_peak)
		return 0;
	return r->cpu_to_peak_s * 1000.0 / (double)r->tunnels_at_peak;
}

/* lost as a percentage of what was sent that way; 0 when nothing was */
static double loss_pct(uint64_t lost, uint64_t sent)
{
	return sent ? 100.0 * (double)lost / (double)sent : 0;
}

static void latency(struct json *j, const char *name, const struct hist *h)
{
	json_obj_begin(j, name);
	json_uint(j, "count", hist_count(h));
	json_uint(j, "min", hist_min(h));
	json_uint(j, "p50", hist_percentile(h, 50));
	json_uint(j, "p90", hist_percentile(h, 90));
	json_uint(j, "p99", hist_percentile(h, 99));
	json_uint(j, "p999", hist_percentile(h, 99.9));
	json_uint(j, "max", hist_max(h));
	json_double(j, "mean", hist_mean(h));
	json_obj_end(j);
}

/*
 * The object section ("phones") of report.json: every entry of the counter
 * table whose path is in it, in the table's order. A score with no value
 * is null; a share of nothing is 0.
 */
static void write_section(struct json *j, const char *section, const struct figures *fig)
{
	size_t len = strlen(section);

	json_obj_begin(j, section);
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		const char *key;
		double v;

		if (!c->json || strncmp(c->json, section, len) || c->json[len] != '.')
			continue;
		key = c->json + len + 1;
		if (counter_whole(c))
			json_uint(j, key, counter_count(c, fig));
		else if (counter_value(c, fig, &v) && c->unit == UNIT_SCORE)
			json_null(j, key);
		else
			json_double(j, key, v);
	}
	json_obj_end(j);
}

/* The end of a section of "configuration": [expect] is a list, the others objects. */
static void end_section(struct json *j, const char *section)
{
	if (strcmp(section, "expect"))
		json_obj_end(j);
	else
		json_arr_end(j);
}

/*
 * Where the run came from: phoneswarm's version and build, the run's id,
 * when it began, the load machine, and the scenario as it was taken
 * ("configuration": {section: {key: value}}, [expect] lines as a list;
 * "overrides": the -s as given).
 */
static void write_origin(struct json *j, const struct run_result *r)
{
	const struct run_origin *o = r->origin;
	char utc[UTC_LEN];
	const char *section = NULL;

	json_str(j, "version", o ? o->version : NULL);
	json_str(j, "build", o ? o->build : NULL);
	json_str(j, "run_id", o ? o->run_id : NULL);
	if (r->started_at > 0)
		json_str(j, "started_at", utc_format(utc, sizeof(utc), r->started_at));
	else
		json_null(j, "started_at");
	json_obj_begin(j, "host");
	json_str(j, "name", o ? o->host : NULL);
	json_str(j, "kernel", o ? o->kernel : NULL);
	json_uint(j, "cpus", o && o->cpus > 0 ? (uint64_t)o->cpus : 0);
	json_obj_end(j);
	if (o && o->n_merged_ids) {
		json_arr_begin(j, "merged_run_ids");
		for (int i = 0; i < o->n_merged_ids; i++)
			json_str(j, NULL, o->merged_ids[i]);
		json_arr_end(j);
	}
	json_obj_begin(j, "configuration");
	for (int i = 0; o && i < o->n_settings; i++) {
		const struct run_setting *s = &o->settings[i];

		if (!section || strcmp(section, s->section)) {
			if (section)
				end_section(j, section);
			section = s->section;
			if (strcmp(section, "expect"))
				json_obj_begin(j, section);
			else
				json_arr_begin(j, section);
		}
		json_str(j, s->key, s->value);
	}
	if (section)
		end_section(j, section);
	json_obj_end(j);
	json_arr_begin(j, "overrides");
	for (int i = 0; o && i < o->n_overrides; i++)
		json_str(j, NULL, o->overrides[i]);
	json_arr_end(j);
}

/* An event's "recovery" (null when it was not followed: nothing was up). */
static void write_recovery(struct json *j, const struct event_recovery *rec)
{
	if (!rec->measured) {
		json_null(j, "recovery");
		return;
	}
	json_obj_begin(j, "recovery");
	json_uint(j, "before", rec->before);
	json_uint(j, "dtls_before", rec->dtls_before);
	json_uint(j, "lowest", rec->lowest);
	json_uint(j, "dropped", rec->dropped);
	if (rec->back_s >= 0)
		json_double(j, "back_s", rec->back_s);
	else
		json_null(j, "back_s");
	if (rec->dtls_back_s >= 0)
		json_double(j, "dtls_back_s", rec->dtls_back_s);
	else
		json_null(j, "dtls_back_s");
	json_uint(j, "short_at_end", rec->short_at_end);
	json_uint(j, "attempts", rec->attempts);
	json_uint(j, "reconnects", rec->reconnects);
	json_uint(j, "failures", rec->failures);
	json_uint(j, "peak_attempts_per_s", rec->peak_attempts);
	json_double(j, "peak_at_s", rec->peak_at_s);
	json_arr_begin(j, "per_second");
	for (int i = 0; rec->per_s && i < rec->n_per_s; i++) {
		json_arr_begin(j, NULL);
		for (int k = 0; k < 3; k++)
			json_uint(j, NULL, rec->per_s[i][k]);
		json_arr_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

bool report_recovery_text(const struct event_recovery *rec, char *buf, size_t len)
{
	char dtls[64] = "", storm[120] = "";

	if (!rec->measured)
		return false;
	if (rec->back_s == 0) {
		snprintf(buf, len, "no tunnel lost (%llu up)", (unsigned long long)rec->before);
		return true;
	}
	if (rec->attempts)
		snprintf(storm, sizeof(storm), "; %llu reconnect attempts, peak %llu/s at +%.0f s, "
					       "%llu failed",
			 (unsigned long long)rec->attempts, (unsigned long long)rec->peak_attempts,
			 rec->peak_at_s, (unsigned long long)rec->failures);
	if (rec->back_s < 0) {
		if (rec->short_at_end)
			snprintf(buf, len, "%llu of %llu never came back (lowest %llu)%s",
				 (unsigned long long)rec->short_at_end,
				 (unsigned long long)rec->before, (unsigned long long)rec->lowest,
				 storm);
		else
			snprintf(buf, len, "not all back yet: phones still reconnecting "
					   "(lowest %llu of %llu)%s",
				 (unsigned long long)rec->lowest, (unsigned long long)rec->before,
				 storm);
		return true;
	}
	if (rec->dtls_before && rec->dtls_back_s >= 0)
		snprintf(dtls, sizeof(dtls), ", DTLS after %.1f s", rec->dtls_back_s);
	else if (rec->dtls_before)
		snprintf(dtls, sizeof(dtls), ", DTLS not all back");
	snprintf(buf, len, "all %llu back after %.1f s%s (lowest %llu)%s",
		 (unsigned long long)rec->before, rec->back_s, dtls, (unsigned long long)rec->lowest,
		 storm);
	return true;
}

int report_write_json(const struct run_result *r, const char *path)
{
	FILE *f = fopen(path, "w");
	struct figures fig = {.st = &r->st, .configured = r->cfg->count, .peak = r->peak_concurrent};
	char why[300];
	const char *invalid = report_invalid_because(&r->st, why, sizeof(why));
	struct json j;
	int rc;

	if (!f)
		return -errno;
	json_open(&j, f);
	json_obj_begin(&j, NULL);
	json_uint(&j, "schema_version", REPORT_SCHEMA_VERSION);
	json_str(&j, "tool", "phoneswarm");
	write_origin(&j, r);
	json_str(&j, "scenario", r->scenario);
	json_str(&j, "headend", r->cfg->url);
	if (r->cfg->n_spread) { /* headend.spread: every headend the fleet went to */
		json_arr_begin(&j, "headends");
		json_str(&j, NULL, r->cfg->url);
		for (int i = 0; i < r->cfg->n_spread; i++)
			json_str(&j, NULL, r->cfg->spread[i]);
		json_arr_end(&j);
	}
	json_str(&j, "dtls_mode", dtls_mode_names[r->cfg->dtls_mode]);
	json_str(&j, "client", client_names[r->cfg->client]);
	json_double(&j, "duration_s", r->wall_s);
	json_bool(&j, "completed", !r->stopped_early);
	json_str(&j, "stopped_early", r->stopped_early);
	json_bool(&j, "valid_measurement", !invalid);
	json_str(&j, "invalid_because", invalid);
	if (r->shard_count) {
		json_obj_begin(&j, "shard");
		json_uint(&j, "index", r->shard_index);
		json_uint(&j, "count", r->shard_count);
		json_obj_end(&j);
	}
	if (r->merged_runs) {
		json_uint(&j, "merged_runs", r->merged_runs);
		json_arr_begin(&j, "shards_missing");
		for (int i = 0; i < r->n_shards_missing; i++)
			json_uint(&j, NULL, r->shards_missing[i]);
		json_arr_end(&j);
		json_arr_begin(&j, "runs_incomplete");
		for (int i = 0; i < r->n_incomplete; i++) {
			json_obj_begin(&j, NULL);
			json_str(&j, "run", r->incomplete[i].run);
			json_str(&j, "stopped_early", r->incomplete[i].stopped_early);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	}

	write_section(&j, "phones", &fig);

	json_obj_begin(&j, "failures");
	for (int k = 1; k < R__COUNT; k++)
		if (r->st.failures[k])
			json_uint(&j, reason_name((enum reason)k), r->st.failures[k]);
	json_obj_end(&j);

	json_obj_begin(&j, "latency_us");
	for (int m = 0; m < M__COUNT; m++)
		latency(&j, metric_name((enum metric)m), r->lat[m]);
	json_obj_end(&j);

	write_section(&j, "traffic", &fig);
	write_section(&j, "rtp", &fig);

	if (r->refusals) {
		const struct refusal_line *top[REPORT_REFUSALS];
		int n = refusals_top(r->refusals, top, REPORT_REFUSALS);
		char said[FAILURE_DETAIL];

		json_arr_begin(&j, "refusals");
		for (int i = 0; i < n; i++) {
			struct failure_rec fr = {.said_at = top[i]->said_at,
						 .said_len = top[i]->said_len};

			memcpy(fr.detail, top[i]->detail, sizeof(fr.detail));
			failure_said(&fr, said, sizeof(said));
			json_obj_begin(&j, NULL);
			json_str(&j, "reason", reason_name((enum reason)top[i]->reason));
			json_str(&j, "phase", failure_phase_name((enum fail_phase)top[i]->phase));
			json_uint(&j, "count", top[i]->count);
			json_str(&j, "detail", top[i]->detail);
			json_str(&j, "said", said[0] ? said : NULL);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	}
	if (r->capacity) {
		const struct capacity_result *c = r->capacity;

		json_obj_begin(&j, "capacity");
		json_bool(&j, "stopped", c->stopped);
		json_str(&j, "stopped_by", capacity_stop_name(c->why));
		if (c->stopped)
			json_double(&j, "at_s", c->at_s);
		else
			json_null(&j, "at_s");
		json_uint(&j, "held_concurrent", c->held_concurrent);
		json_double(&j, "held_rate", c->held_rate);
		json_str(&j, "refused_with", c->reason ? reason_name(c->reason) : NULL);
		json_str(&j, "limit", c->limit);
		json_str(&j, "first_refusal", c->first[0] ? c->first : NULL);
		json_obj_end(&j);
	}
	write_section(&j, "config", &fig);

	json_arr_begin(&j, "events");
	for (int i = 0; i < r->n_events; i++) {
		const struct run_event *e = &r->events[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "name", e->name);
		json_str(&j, "action", e->action);
		if (e->at_s >= 0)
			json_double(&j, "at_s", e->at_s);
		else
			json_null(&j, "at_s");
		json_bool(&j, "ok", e->ok);
		json_str(&j, "detail", e->detail);
		write_recovery(&j, &e->rec);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_arr_begin(&j, "expectations");
	for (int i = 0; i < r->n_expects; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "name", r->expects[i].name);
		json_bool(&j, "ok", r->expects[i].ok);
		json_str(&j, "detail", r->expects[i].detail);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_obj_begin(&j, "resources");
	json_double(&j, "cpu_user_s", r->cpu_user_s);
	json_double(&j, "cpu_sys_s", r->cpu_sys_s);
	json_uint(&j, "max_rss_kb", r->max_rss_kb);
	json_uint(&j, "rss_base_kb", r->rss_base_kb);
	json_uint(&j, "rss_at_peak_kb", r->rss_at_peak_kb);
	json_uint(&j, "heap_base_bytes", r->heap_base_bytes);
	json_uint(&j, "heap_end_bytes", r->heap_end_bytes);
	json_uint(&j, "hist_base_bytes", r->hist_base_bytes);
	json_uint(&j, "hist_end_bytes", r->hist_end_bytes);
	json_double(&j, "kib_per_connected_phone", report_kib_per_phone(r));
	json_double(&j, "cpu_ms_per_tunnel", report_cpu_ms_per_tunnel(r));
	json_obj_end(&j);
	json_obj_end(&j);

	rc = json_close(&j);
	if (fclose(f) && !rc)
		rc = -EIO;
	return rc;
}

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* A merge: how many runs, and what a partial one lacks. */
static void print_merged(const struct run_result *r, FILE *out)
{
	uint32_t of = r->merged_runs + (uint32_t)r->n_shards_missing;
	bool partial = r->n_shards_missing || r->n_incomplete;

	fprintf(out, "  merged     %u run%s%s\n", r->merged_runs, r->merged_runs == 1 ? "" : "s",
		partial ? "; PARTIAL: not the whole fleet's run" : "");
	for (int i = 0; i < r->n_shards_missing; i++)
		fprintf(out, "  PARTIAL    shard %u/%u missing: its phones are in no figure\n",
			r->shards_missing[i], of);
	for (int i = 0; i < r->n_incomplete; i++)
		fprintf(out, "  PARTIAL    %s did not complete (%s)\n", r->incomplete[i].run,
			r->incomplete[i].stopped_early);
}

void report_print_summary(const struct run_result *r, const char *dir, FILE *out)
{
	const struct stats *s = &r->st;
	bool any = false;
	char why[300];

	fprintf(out, "phoneswarm: %s against %s", r->scenario, r->cfg->url);
	for (int i = 0; i < r->cfg->n_spread; i++)
		fprintf(out, "%s%s", i == r->cfg->n_spread - 1 ? " and " : ", ", r->cfg->spread[i]);
	fprintf(out, " (%.1f s)\n", r->wall_s);
	if (r->stopped_early)
		fprintf(out, "  STOPPED    early, %s: the figures cover part of the run only\n",
			r->stopped_early);
	if (report_invalid_because(s, why, sizeof(why)))
		fprintf(out, "  INVALID    as a measurement of the headend: %s\n", why);
	fprintf(out, "  phones     %u configured, %llu attempted, %llu tunnels up, %llu DTLS up, "
		     "peak %llu concurrent\n",
		r->cfg->count, (unsigned long long)s->attempted,
		(unsigned long long)s->tunnels_up, (unsigned long long)s->dtls_up,
		(unsigned long long)r->peak_concurrent);
	fprintf(out, "  ended      %llu disconnected cleanly, %llu failed, %llu still connecting "
		     "at the end\n",
		(unsigned long long)s->disconnected, (unsigned long long)s->failed,
		(unsigned long long)s->aborted);
	fprintf(out, "  failures  ");
	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k]) {
			fprintf(out, " %s %llu", reason_name((enum reason)k),
				(unsigned long long)s->failures[k]);
			any = true;
		}
	fprintf(out, "%s\n", any ? "" : " none");
	if (r->refusals) {
		const struct refusal_line *top[3];
		int n = refusals_top(r->refusals, top, 3);

		for (int i = 0; i < n; i++)
			fprintf(out, "  %-10s %llu x %s: %s\n", i ? "" : "refusals",
				(unsigned long long)top[i]->count,
				reason_name((enum reason)top[i]->reason), top[i]->detail);
	}
	fprintf(out, "  latency ms %16s %8s %8s %8s %8s %8s %8s\n", "count", "min", "p50", "p90",
		"p99", "p99.9", "max");
	for (int m = 0; m < M__COUNT; m++) {
		const struct hist *h = r->lat[m];

		/* the contract's metrics always; the others when something was measured */
		if (!counter_metric((enum metric)m)->summary && !hist_count(h))
			continue;

		fprintf(out, "    %-16s %8llu %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n",
			metric_name((enum metric)m), (unsigned long long)hist_count(h),
			ms(hist_min(h)), ms(hist_percentile(h, 50)), ms(hist_percentile(h, 90)),
			ms(hist_percentile(h, 99)), ms(hist_percentile(h, 99.9)), ms(hist_max(h)));
	}
	if (s->rtp_sent) {
		fprintf(out, "  voice      %llu calls (%llu cut), %llu RTP sent, lost %.2f%% up / %.2f%% "
			     "down, %llu late, MOS mean %.2f, worst %.2f\n",
			(unsigned long long)s->calls_completed, (unsigned long long)s->calls_dropped,
			(unsigned long long)s->rtp_sent,
			loss_pct(s->rtp_up_lost, s->rtp_up_expected),
			loss_pct(s->rtp_down_lost, s->rtp_down_expected),
			(unsigned long long)s->rtp_late,
			s->mos_calls ? (double)s->mos_milli_sum / 1000.0 / (double)s->mos_calls : 0.0,
			s->mos_calls ? (5000.0 - (double)s->mos_worst_milli) / 1000.0 : 0.0);
	}
	if (s->config_fetched || s->config_failed || s->config_unfinished)
		fprintf(out, "  config     %llu SEP<MAC>.cnf.xml fetched (%llu bytes), %llu fetches "
			     "failed, %llu cut short by the end of the run\n",
			(unsigned long long)s->config_fetched, (unsigned long long)s->config_bytes,
			(unsigned long long)s->config_failed, (unsigned long long)s->config_unfinished);
	fprintf(out, "  resources  cpu %.2f s user + %.2f s sys; %.2f ms per tunnel brought up; "
		     "max RSS %.1f MiB; %.1f KiB per connected phone\n",
		r->cpu_user_s, r->cpu_sys_s, report_cpu_ms_per_tunnel(r),
		(double)r->max_rss_kb / 1024.0, report_kib_per_phone(r));
	if (r->capacity) {
		const struct capacity_result *c = r->capacity;

		fprintf(out, "  capacity   %llu phones up held at %.1f phones/s; %s%s%s\n",
			(unsigned long long)c->held_concurrent, c->held_rate,
			c->stopped ? "stopped by " : "", c->stopped ? capacity_stop_name(c->why) : "",
			c->stopped ? "" : "no stop condition held");
		fprintf(out, "  limit      %s%s%s\n", c->limit, c->reason ? "; refused with " : "",
			c->reason ? reason_name(c->reason) : "");
		if (c->first[0])
			fprintf(out, "  first      %s\n", c->first);
	}
	for (int i = 0; i < r->n_events; i++) {
		const struct run_event *e = &r->events[i];

		char rec[200];

		if (e->at_s >= 0)
			fprintf(out, "  event      %-16s at %7.1f s  %-6s %s%s\n", e->name, e->at_s,
				e->action, e->ok ? "" : "FAILED: ", e->detail);
		if (e->at_s >= 0 && report_recovery_text(&e->rec, rec, sizeof(rec)))
			fprintf(out, "  recovery   %-16s %s\n", e->name, rec);
		else if (e->at_s < 0)
			fprintf(out, "  event      %-16s %-12s %-6s %s\n", e->name, "never", e->action,
				e->detail);
	}
	for (int i = 0; i < r->n_expects; i++)
		fprintf(out, "  expect     %s  %s  (%s)\n", r->expects[i].ok ? "ok  " : "FAIL",
			r->expects[i].name, r->expects[i].detail);
	if (r->merged_runs)
		print_merged(r, out);
	fprintf(out, "  report     %s/report.json, %sreport.html\n", dir,
		r->no_timeseries ? "" : "timeseries.csv, ");
}

/* ==== Reading it back ==== */

void report_read_stats(const struct jval *doc, struct stats *st)
{
	const struct jval *mos = jval_path(doc, "rtp.mos_mean");
	double calls = jval_num(jval_path(doc, "rtp.calls_scored"), 0);

	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].type == CT_STAT && counters[i].json)
			*(uint64_t *)((char *)st + counters[i].off) +=
			    jval_u64(jval_path(doc, counters[i].json), 0);
	for (int r = 1; r < R__COUNT; r++)
		st->failures[r] +=
		    jval_u64(jval_get(jval_get(doc, "failures"), reason_name((enum reason)r)), 0);
	/* the MOS workings, as near as the report's mean and minimum give them */
	if (mos && mos->type == JVAL_NUM && calls > 0) {
		uint64_t worst =
		    (uint64_t)llround(5000.0 - 1000.0 * jval_num(jval_path(doc, "rtp.mos_min"), 5));

		st->mos_milli_sum += (uint64_t)llround(mos->num * 1000.0 * calls);
		if (worst > st->mos_worst_milli)
			st->mos_worst_milli = worst;
	}
}
