/*
 * report/prom.c - the Prometheus text exposition of a run (prom.h).
 *
 * The counters and figures come from the counter table
 * (engine/stats/counters.def: sample name with its labels, help, kind);
 * then the families keyed by failure reason, the calls' MOS and the
 * latency summaries (one per metric of the table), and the process's
 * figures. An empty or absent histogram is a summary with NaN quantiles
 * and a zero count, as Prometheus' own client libraries write one that has
 * seen nothing.
 */
#include "report/prom.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine/reason.h"
#include "engine/stats/counters.h"
#include "engine/stats/hist.h"

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void u64(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* A latency histogram as a summary of seconds; h NULL or empty: NaN quantiles, zero count. */
static void summary(FILE *out, enum metric m, const struct hist *h)
{
	char name[96], help[160];
	uint64_t n = h ? hist_count(h) : 0;

	snprintf(name, sizeof(name), "phoneswarm_%s_seconds", metric_name(m));
	snprintf(help, sizeof(help), "Latency, %s, since the run began (seconds).",
		 counter_metric(m)->help);
	family(out, name, "summary", help);
	for (size_t q = 0; q < sizeof(quantiles) / sizeof(quantiles[0]); q++) {
		if (n)
			fprintf(out, "%s{quantile=\"%g\"} %.6f\n", name, quantiles[q],
				(double)hist_percentile(h, quantiles[q] * 100.0) / 1e6);
		else
			fprintf(out, "%s{quantile=\"%g\"} NaN\n", name, quantiles[q]);
	}
	fprintf(out, "%s_sum %.6f\n", name, n ? hist_mean(h) * (double)n / 1e6 : 0.0);
	fprintf(out, "%s_count %llu\n", name, (unsigned long long)n);
}

/*
 * Every entry of the counter table with a sample name, in the table's
 * order: a family's HELP and TYPE before its first sample (a labelled
 * family's samples are consecutive in the table). A score with no value
 * is NaN.
 */
static void table(FILE *out, const struct figures *fig)
{
	char fam[128] = "";

	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		size_t len;
		double v;

		if (!c->prom)
			continue;
		len = strcspn(c->prom, "{");
		if (strlen(fam) != len || strncmp(fam, c->prom, len)) {
			snprintf(fam, sizeof(fam), "%.*s", (int)len, c->prom);
			family(out, fam, c->kind == KIND_COUNTER ? "counter" : "gauge", c->help);
		}
		if (counter_whole(c))
			fprintf(out, "%s %llu\n", c->prom, (unsigned long long)counter_count(c, fig));
		else if (counter_value(c, fig, &v))
			fprintf(out, "%s NaN\n", c->prom);
		else
			fprintf(out, "%s %.3f\n", c->prom, v);
	}
}

int prom_render(FILE *out, const struct prom_input *in)
{
	const struct stats *st = in->st;
	struct figures fig = {.st = st, .configured = in->phones_configured, .peak = in->peak_up};

	table(out, &fig);
	family(out, "phoneswarm_failures_total", "counter",
	       "Failure events by reason: a phone down for good, a tunnel lost, a failed "
	       "reconnection, DTLS failing under a tunnel that carries on over TLS.");
	for (int r = R_NONE + 1; r < R__COUNT; r++)
		fprintf(out, "phoneswarm_failures_total{reason=\"%s\"} %llu\n",
			reason_name((enum reason)r), (unsigned long long)st->failures[r]);
	family(out, "phoneswarm_phones_failed_by_reason", "gauge",
	       "Phones down for good now, by the reason they failed for.");
	for (int r = R_NONE + 1; r < R__COUNT; r++)
		fprintf(out, "phoneswarm_phones_failed_by_reason{reason=\"%s\"} %llu\n",
			reason_name((enum reason)r), (unsigned long long)st->failed_by[r]);
	family(out, "phoneswarm_failure_records_lost_total", "counter",
	       "failures.csv records lost because a worker's queue was full between drains.");
	u64(out, "phoneswarm_failure_records_lost_total", in->failure_records_lost);

	family(out, "phoneswarm_call_mos", "summary",
	       "MOS of the calls scored (ITU-T G.107, the worse direction); rate(_sum) / "
	       "rate(_count) is the mean over a window.");
	fprintf(out, "phoneswarm_call_mos_sum %.3f\nphoneswarm_call_mos_count %llu\n",
		(double)st->mos_milli_sum / 1000.0, (unsigned long long)st->mos_calls);

	for (int m = 0; m < M__COUNT; m++)
		summary(out, (enum metric)m, in->lat[m]);

	family(out, "phoneswarm_run_elapsed_seconds", "gauge", "Seconds since the first arrival.");
	fprintf(out, "phoneswarm_run_elapsed_seconds %.3f\n", in->elapsed_s);
	family(out, "process_cpu_seconds_total", "counter",
	       "CPU time of phoneswarm, user and system, seconds.");
	fprintf(out, "process_cpu_seconds_total %.3f\n", in->cpu_s);
	family(out, "process_resident_memory_bytes", "gauge", "Resident memory of phoneswarm.");
	u64(out, "process_resident_memory_bytes", in->rss_bytes);
	return ferror(out) || fflush(out) ? -EIO : 0;
}
