/*
 * report/prom.c - the Prometheus text exposition of a run (prom.h).
 *
 * The counters and figures come from the counter table
 * (engine/stats/counters.def: sample name with its labels, help, kind);
 * then the families keyed by failure reason, the calls' MOS, the latency
 * histograms (one per metric of the table), phoneswarm_build_info and the
 * process's figures (with the names Prometheus' client libraries give
 * them). A latency histogram is the run's HdrHistogram folded into fixed
 * buckets: a slot of the HdrHistogram counts in the first bucket whose
 * bound is at or above its highest value, so a bucket never holds a value
 * above its bound, and holds every value below bound x (1 - 1/1024) (a
 * slot is never wider than 1/1024 of its values). _sum is the exact sum.
 * Empty, every bucket is 0.
 */
#include "report/prom.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine/reason.h"
#include "engine/stats/counters.h"
#include "engine/stats/hist.h"

/* The latency buckets' upper bounds, in microseconds: 100 us to 5 min (and +Inf). */
static const uint64_t le_us[] = {
    100,     250,     500,	1000,	  2500,	    5000,      10000,	  25000,     50000, 100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000,
};
#define N_LE (sizeof(le_us) / sizeof(le_us[0]))

/* A slot of the HdrHistogram into its bucket (the first bound at or above its highest value). */
static int fold(const struct hist_bucket *b, void *arg)
{
	uint64_t *bins = arg;
	size_t i = 0;

	while (i < N_LE && le_us[i] < b->hi_us)
		i++;
	bins[i] += b->count; /* bins[N_LE]: above the last bound */
	return 0;
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* s as a label value: backslash, double quote and newline escaped. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void u64(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* A latency histogram in seconds, cumulative over the run; h NULL: empty. */
static void histogram(FILE *out, enum metric m, const struct hist *h)
{
	char name[96], help[200];
	uint64_t n = h ? hist_count(h) : 0, bins[N_LE + 1] = {0}, cum = 0;

	snprintf(name, sizeof(name), "phoneswarm_%s_seconds", metric_name(m));
	snprintf(help, sizeof(help),
		 "Latency, %s, since the run began (seconds); histogram_quantile() of its rate() "
		 "is a window's percentile.",
		 counter_metric(m)->help);
	family(out, name, "histogram", help);
	if (n)
		hist_foreach_bucket(h, fold, bins);
	for (size_t i = 0; i < N_LE; i++) {
		cum += bins[i];
		fprintf(out, "%s_bucket{le=\"%g\"} %llu\n", name, (double)le_us[i] / 1e6,
			(unsigned long long)cum);
	}
	fprintf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)n);
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
		histogram(out, (enum metric)m, in->lat[m]);

	family(out, "phoneswarm_build_info", "gauge",
	       "Always 1: the version and build of the phoneswarm serving these metrics.");
	fprintf(out, "phoneswarm_build_info{version=\"");
	label_value(out, in->version ? in->version : "");
	fprintf(out, "\",build=\"");
	label_value(out, in->build ? in->build : "");
	fprintf(out, "\"} 1\n");

	family(out, "phoneswarm_run_elapsed_seconds", "gauge", "Seconds since the first arrival.");
	fprintf(out, "phoneswarm_run_elapsed_seconds %.3f\n", in->elapsed_s);
	family(out, "process_cpu_seconds_total", "counter",
	       "CPU time of phoneswarm, user and system, seconds.");
	fprintf(out, "process_cpu_seconds_total %.3f\n", in->cpu_s);
	family(out, "process_resident_memory_bytes", "gauge", "Resident memory of phoneswarm.");
	u64(out, "process_resident_memory_bytes", in->rss_bytes);
	family(out, "process_open_fds", "gauge", "Descriptors phoneswarm has open.");
	u64(out, "process_open_fds", in->open_fds);
	family(out, "process_max_fds", "gauge",
	       "Descriptors phoneswarm may open (its soft limit, raised to the hard one at start).");
	u64(out, "process_max_fds", in->max_fds);
	return ferror(out) || fflush(out) ? -EIO : 0;
}
