/*
 * loadgen/merge_cmd.c - "phoneswarm merge" (merge_cmd.h): its options, and
 * the steps in order (merge.h).
 *
 * Reads every run (merge_read.c), checks that they belong together and
 * make the whole split (or --partial), lines their intervals up
 * (merge_interval.c), then writes the merged run directory: timeseries.csv
 * and latency.hlog (merge_write.c), report.json and report.html
 * (merge_report.c). Without timeseries.csv, peak_concurrent is the sum of
 * the runs' peaks.
 */
#include "loadgen/merge_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loadgen/cmdline.h"
#include "report/merge.h"
#include "report/csvread.h"
#include "engine/stats/hist.h"
#include "report/jsonread.h"
#include "loadgen/origin.h"

#define EXIT_USAGE   2
#define EXIT_RUNTIME 3
#define MAX_RUNS     4096

/* The state's error message (merge.h). */
int merge_fail(struct merge *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm merge RUN_DIR... -o DIR [--partial]\n"
		   "  merges runs of one scenario made in parallel (--shard i/N on several\n"
		   "  machines): counters summed, histograms merged exactly from each run's\n"
		   "  latency.hlog, percentiles recomputed; writes DIR/report.json,\n"
		   "  DIR/timeseries.csv, DIR/latency.hlog and DIR/report.html\n"
		   "  --partial  merge even if a shard of the split is missing or a run did\n"
		   "             not complete (refused otherwise); the merged report.json\n"
		   "             lists them (shards_missing, runs_incomplete), so does the\n"
		   "             summary\n"
		   "  exit status: 0 merged, 2 usage error or runs that cannot be merged,\n"
		   "  3 the output cannot be written\n");
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
	free(m->missing);
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
			return merge_fail(m, "-o %s is one of the runs being merged", out);
	return 0;
}

int merge_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"partial", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "o:h", .longopts = opts,
			     .usage = usage};
	struct merge m = {0};
	struct origin_texts texts;
	struct run_origin origin;
	const char *out = NULL;
	uint64_t peak = 0;
	bool partial = false;
	int opt, rc = EXIT_USAGE;

	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			partial = true;
			break;
		}
	}
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 1, MAX_RUNS))
		return EXIT_USAGE;
	if (!out) {
		usage(stderr);
		return EXIT_USAGE;
	}
	origin_fill(&origin, &texts);
	m.origin = &origin;
	m.n_runs = argc - optind;
	m.partial = partial;
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
		if (merge_read_run(&m, i))
			goto fail;
	if (merge_check_shards(&m) || check_out(&m, out) || merge_find_step(&m) ||
	    merge_key_rows(&m))
		goto fail;
	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "phoneswarm merge: -o %s: %s\n", out, strerror(errno));
		goto done;
	}
	rc = EXIT_RUNTIME;
	if (m.runs[0].has_ts && merge_write_series(&m, out, &peak))
		goto fail;
	if (!m.runs[0].has_ts)
		fprintf(stderr,
			"phoneswarm merge: no timeseries.csv: peak_concurrent is the sum of "
			"the runs' peaks (an upper bound)\n");
	if (merge_write_hlog(&m, out) || merge_write_report(&m, out, peak, m.runs[0].has_ts))
		goto fail;
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "phoneswarm merge: %s\n", m.err);
done:
	merge_free(&m);
	return rc;
}
