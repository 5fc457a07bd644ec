/*
 * tests/unit/test_merge.c - "phoneswarm merge" on run directories made
 * here: report.json by report_write_json(), latency.hlog by report/hdrlog,
 * timeseries.csv in the run directory's format, from random samples kept
 * in full. The merged run must say what one run holding all the samples
 * would say: counters summed, every latency figure exactly that of one
 * histogram of all the samples (never an average of the runs'), the peak
 * the largest sum of tunnels up at one time (not the sum of the peaks),
 * each interval's percentiles those of all its samples. Runs that do not
 * belong together, or whose files disagree, are refused; so are a split
 * with a shard missing and a run that did not complete, unless --partial,
 * and then the merged report and the summary say what is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/reason.h"
#include "engine/stats/stats.h"
#include "loadgen/merge_cmd.h"
#include "report/contract.h"
#include "report/hdrlog.h"
#include "engine/stats/hist.h"
#include "report/jsonread.h"
#include "report/refusals.h"
#include "report/report.h"
#include "report/series.h"
#include "tests/unit/files.h"
#include "tests/unit/quiet.h"
#include "tests/unit/seriesrow.h"
#include "tests/unit/splitmix.h"

#define N_RUNS	2
#define MAX_IVL 8
#define PER_IVL 400

static char root[64];

/* Everything one fake run recorded. */
struct fake {
	char dir[128];
	int n_ivl;
	double offset;		   /* its intervals start this much later */
	double end[MAX_IVL];	   /* each interval's end, since the first arrival */
	unsigned up[MAX_IVL];	   /* tunnels up at the end of each interval */
	unsigned arrived[MAX_IVL]; /* cumulative */
	struct hist *ttt[MAX_IVL]; /* time_to_tunnel, per interval */
	struct hist *dpd[MAX_IVL]; /* dpd_rtt, per interval */
	const char *events[MAX_IVL];
	uint64_t refused; /* failures TlsRefused */
	struct refusals refusals; /* "No address" refused (5 + its index) times; run 0 also "Licence" twice */
	uint32_t configured;
};

static struct fake runs[N_RUNS];

/* Which merged interval each run's interval belongs to (see make_runs). */
static const int cluster[N_RUNS][MAX_IVL] = {{0, 1, 2, 3, 3, 4}, {0, 1, 2, 3, 4, 5}};
#define N_MERGED 6

static uint64_t sample_us(void)
{
	/* log-uniform, 1 ms to about 3 s */
	return (uint64_t)(1000.0 * exp((double)(rng_next() % 8000) / 1000.0));
}

static const char *path_in(const char *dir, const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* Column col: a percentile of h in ms, or left empty when h is. */
static void pct_cell(struct seriesrow *row, const char *col, const struct hist *h, double p)
{
	if (hist_count(h))
		seriesrow_set(row, col, "%.3f", (double)hist_percentile(h, p) / 1000.0);
}

/* Writes the three files of run r; a shard of a split of n (n 0: not sharded). */
/* A phone refused a tunnel with the headend's words: 503 with an X-Reason. */
static struct failure_rec refused_rec(const char *words)
{
	struct failure_facts f = {.reason = R_TUNNEL_REFUSED, .detail = 503, .host = "vpn.lab.test",
				  .path = "/", .said = words, .said_how = "X-Reason",
				  .phase = FP_CSTP};
	struct failure_rec x;

	memset(&x, 0, sizeof(x));
	x.reason = R_TUNNEL_REFUSED;
	x.phase = FP_CSTP;
	failure_fill(&x, &f);
	return x;
}

static void write_run(struct fake *r, int index, int n, const char *scenario)
{
	struct hist *all[M__COUNT];
	struct swarm_config cfg;
	struct run_result res;
	struct run_event ev[MAX_IVL];
	struct seriesrow row;
	char err[256];
	struct hdrlog *l;
	FILE *f;
	int n_ev = 0;

	mkdir(r->dir, 0755);
	for (int m = 0; m < M__COUNT; m++)
		all[m] = hist_new();
	l = hdrlog_create(path_in(r->dir, "latency.hlog"), 1700000000.0 + r->offset, err,
			  sizeof(err));
	assert_non_null(l);
	f = fopen(path_in(r->dir, "timeseries.csv"), "w");
	assert_non_null(f);
	series_header(f); /* the run directory's own header; the rows below follow it */
	assert_int_equal(seriesrow_init(&row), 0);
	for (int i = 0; i < r->n_ivl; i++) {
		double start = i ? r->end[i - 1] : r->offset, len = r->end[i] - start;

		hist_merge(all[M_TIME_TO_TUNNEL], r->ttt[i]);
		hist_merge(all[M_DPD_RTT], r->dpd[i]);
		/* the send lateness borrows the time-to-tunnel samples: a second percentile column */
		hist_merge(all[M_RTP_SEND_LATE], r->ttt[i]);
		assert_int_equal(hdrlog_write(l, "time_to_tunnel", start, len, r->ttt[i]), 0);
		assert_int_equal(hdrlog_write(l, "dpd_rtt", start, len, r->dpd[i]), 0);
		assert_int_equal(hdrlog_write(l, "rtp_send_late", start, len, r->ttt[i]), 0);
		unsigned arrivals = r->arrived[i] - (i ? r->arrived[i - 1] : 0);
		static const char *const zero[] = {"failed",	   "failures",	   "drops",
						   "reconnects",   "rtp_sent",	   "rtp_received",
						   "rtp_lost_up", "rtp_lost_down"};

		seriesrow_set(&row, "t_s", "%.3f", r->end[i]);
		seriesrow_set(&row, "interval_s", "%.3f", len);
		seriesrow_set(&row, "arrived", "%u", r->arrived[i]);
		seriesrow_set(&row, "up", "%u", r->up[i]);
		seriesrow_set(&row, "dtls", "%u", r->up[i]);
		seriesrow_set(&row, "arrivals", "%u", arrivals);
		seriesrow_set(&row, "tunnels_up", "%u", arrivals);
		for (size_t k = 0; k < sizeof(zero) / sizeof(zero[0]); k++)
			seriesrow_set(&row, zero[k], "0");
		seriesrow_set(&row, "ttt_count", "%llu", (unsigned long long)hist_count(r->ttt[i]));
		pct_cell(&row, "ttt_p50_ms", r->ttt[i], 50);
		pct_cell(&row, "ttt_p90_ms", r->ttt[i], 90);
		pct_cell(&row, "ttt_p99_ms", r->ttt[i], 99);
		pct_cell(&row, "ttt_max_ms", r->ttt[i], 100);
		pct_cell(&row, "rtp_late_p99_ms", r->ttt[i], 99);
		seriesrow_set(&row, "cpu_pct", "%.1f", 12.5);
		seriesrow_set(&row, "rss_mib", "%.1f", 40.0);
		for (int k = 1; k < R__COUNT; k++) {
			char col[64];

			snprintf(col, sizeof(col), "fail_%s", reason_name((enum reason)k));
			seriesrow_set(&row, col, "%d",
				      k == R_TLS_REFUSED && i == 0 ? (int)r->refused : 0);
		}
		seriesrow_set(&row, "events", "%s", r->events[i] ? r->events[i] : "");
		seriesrow_write(&row, f);
		if (r->events[i]) {
			memset(&ev[n_ev], 0, sizeof(ev[n_ev]));
			snprintf(ev[n_ev].name, sizeof(ev[n_ev].name), "%s", r->events[i]);
			snprintf(ev[n_ev].action, sizeof(ev[n_ev].action), "reset");
			ev[n_ev].at_s = start + 0.5;
			ev[n_ev].ok = true;
			n_ev++;
		}
	}
	seriesrow_free(&row);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(hdrlog_close(l), 0);

	config_defaults(&cfg);
	cfg.url = "https://vpn.lab.test/";
	cfg.spread[0] = "https://198.18.2.1/"; /* headend.spread: two headends */
	cfg.n_spread = 1;
	cfg.count = r->configured;
	memset(&res, 0, sizeof(res));
	res.scenario = scenario;
	res.cfg = &cfg;
	res.st.attempted = r->arrived[r->n_ivl - 1];
	res.st.tunnels_up = r->arrived[r->n_ivl - 1];
	res.st.failures[R_TLS_REFUSED] = r->refused;
	res.st.data_tx_packets = 1000 + (uint64_t)index;
	res.peak_concurrent = 0;
	for (int i = 0; i < r->n_ivl; i++)
		if (r->up[i] > res.peak_concurrent)
			res.peak_concurrent = r->up[i];
	for (int m = 0; m < M__COUNT; m++)
		res.lat[m] = all[m];
	res.wall_s = r->n_ivl;
	res.cpu_user_s = 1.5;
	res.shard_index = (uint32_t)index;
	res.shard_count = (uint32_t)n;
	res.events = ev;
	res.n_events = n_ev;
	struct failure_rec no_address = refused_rec("No address"), licence = refused_rec("Licence");

	refusals_init(&r->refusals);
	for (int i = 0; i < 5 + index; i++)
		assert_true(refusals_add(&r->refusals, &no_address));
	for (int i = 0; index == 0 && i < 2; i++)
		assert_true(refusals_add(&r->refusals, &licence));
	res.refusals = &r->refusals;
	assert_int_equal(report_write_json(&res, path_in(r->dir, "report.json")), 0);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(all[m]);
}

static void make_runs(void)
{
	/*
	 * Intervals close every second, and at events (a timeline cuts one
	 * there, then goes on a second at a time from the cut): run 0 at 2.4
	 * and 3.4, run 1 (started 13 ms later) at 2.5, a tick late. Ends:
	 *   run 0: 1     2     2.4   3.4 3.5  4.5
	 *   run 1: 1.013 2.013 2.513 3.513    4.513 5.513
	 * so the merged intervals are those of cluster[][] below, run 0's rows
	 * 3 and 4 in one of them.
	 */
	static const double ends[N_RUNS][MAX_IVL] = {{1, 2, 2.4, 3.4, 3.5, 4.5},
						     {1.013, 2.013, 2.513, 3.513, 4.513, 5.513}};
	static const unsigned up[N_RUNS][MAX_IVL] = {{50, 100, 100, 80, 60, 0},
						     {20, 40, 90, 100, 100, 30}};
	static const char *const events[N_RUNS][MAX_IVL] = {{NULL, "rotate", "cut", NULL, "x"},
							    {NULL, "rotate", "cut"}};

	rng_state = 99;
	for (int k = 0; k < N_RUNS; k++) {
		struct fake *r = &runs[k];

		snprintf(r->dir, sizeof(r->dir), "%s/shard%d", root, k);
		r->n_ivl = 6;
		r->offset = 0.013 * k; /* started a little later */
		r->configured = 100;
		r->refused = 3 + (uint64_t)k;
		for (int i = 0; i < r->n_ivl; i++) {
			r->up[i] = up[k][i];
			r->end[i] = ends[k][i];
			r->arrived[i] = (unsigned)(20 * (i + 1) < 100 ? 20 * (i + 1) : 100);
			r->events[i] = events[k][i];
			r->ttt[i] = hist_new();
			r->dpd[i] = hist_new();
			for (int s = 0; s < PER_IVL * (k + 1); s++)
				hist_record(r->ttt[i], sample_us());
			for (int s = 0; s < 10; s++)
				hist_record(r->dpd[i], sample_us() / 10);
		}
		write_run(r, k, N_RUNS, "scenarios/fleet.ini");
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_merge_XXXXXX");
	if (!mkdtemp(root))
		return -1;
	make_runs();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	for (int k = 0; k < N_RUNS; k++)
		for (int i = 0; i < runs[k].n_ivl; i++) {
			hist_free(runs[k].ttt[i]);
			hist_free(runs[k].dpd[i]);
		}
	snprintf(cmd, sizeof(cmd), "%s%s", getenv("KEEP") ? "echo kept " : "rm -rf ", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int merge(const char *out, int n, char **dirs)
{
	char *argv[16] = {"merge", "-o", (char *)out};

	for (int i = 0; i < n; i++)
		argv[3 + i] = dirs[i];
	return quietly(merge_main, 3 + n, argv);
}

/* merge [--partial] DIRS -o out, with its stdout and stderr into text; the exit status. */
static int merge_caught(const char *out, bool partial, int n, char **dirs, char *text, size_t len)
{
	char *argv[16] = {"merge", "-o", (char *)out};
	int argc = 3;

	if (partial)
		argv[argc++] = "--partial";
	for (int i = 0; i < n; i++)
		argv[argc++] = dirs[i];
	return captured(merge_main, argc, argv, text, len);
}

static int merge_all(const char *out)
{
	char *dirs[N_RUNS];

	for (int k = 0; k < N_RUNS; k++)
		dirs[k] = runs[k].dir;
	return merge(out, N_RUNS, dirs);
}

static void check_latency(const struct jval *doc, const char *name, const struct hist *want)
{
	static const struct {
		const char *key;
		double pct;
	} pcts[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}};
	char path[128];

	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		snprintf(path, sizeof(path), "latency_us.%s.%s", name, pcts[i].key);
		assert_int_equal(jval_u64(jval_path(doc, path), 0),
				 hist_percentile(want, pcts[i].pct));
	}
	snprintf(path, sizeof(path), "latency_us.%s.count", name);
	assert_int_equal(jval_u64(jval_path(doc, path), 0), hist_count(want));
	snprintf(path, sizeof(path), "latency_us.%s.min", name);
	assert_int_equal(jval_u64(jval_path(doc, path), 0), hist_min(want));
	snprintf(path, sizeof(path), "latency_us.%s.max", name);
	assert_int_equal(jval_u64(jval_path(doc, path), 0), hist_max(want));
	snprintf(path, sizeof(path), "latency_us.%s.mean", name);
	assert_true(fabs(jval_num(jval_path(doc, path), 0) - hist_mean(want)) <=
		    hist_mean(want) * 1e-6);
}

static void test_report(void **state)
{
	char out[128], err[256];
	struct hist *ttt = hist_new(), *dpd = hist_new();
	struct jval *doc;
	uint64_t p99_a, p99_b;

	(void)state;
	snprintf(out, sizeof(out), "%s/merged", root);
	assert_int_equal(merge_all(out), 0);
	doc = jval_load(path_in(out, "report.json"), err, sizeof(err));
	assert_non_null(doc);
	for (int k = 0; k < N_RUNS; k++)
		for (int i = 0; i < runs[k].n_ivl; i++) {
			hist_merge(ttt, runs[k].ttt[i]);
			hist_merge(dpd, runs[k].dpd[i]);
		}
	/* one histogram of every sample, exactly */
	check_latency(doc, "time_to_tunnel", ttt);
	check_latency(doc, "dpd_rtt", dpd);
	/* (and not what averaging the runs' p99 would have given) */
	p99_a = hist_percentile(runs[0].ttt[0], 99);
	p99_b = hist_percentile(runs[1].ttt[0], 99);
	assert_true(jval_u64(jval_path(doc, "latency_us.time_to_tunnel.p99"), 0) !=
		    (p99_a + p99_b) / 2);
	/* counters summed */
	assert_int_equal(jval_u64(jval_path(doc, "phones.configured"), 0), 200);
	assert_int_equal(jval_u64(jval_path(doc, "phones.tunnels_up"), 0), 200);
	assert_int_equal(jval_u64(jval_path(doc, "failures.TlsRefused"), 0), 3 + 4);
	assert_int_equal(jval_u64(jval_path(doc, "traffic.data_tx_packets"), 0), 2001);
	assert_true(jval_num(jval_path(doc, "resources.cpu_user_s"), 0) == 3.0);
	/* the peak: at interval 2, 100 + 90 (not 100 + 100, the sum of the peaks) */
	assert_int_equal(jval_u64(jval_path(doc, "phones.peak_concurrent"), 0), 190);
	assert_int_equal(jval_u64(jval_get(doc, "merged_runs"), 0), 2);
	assert_null(jval_get(doc, "shard"));
	assert_true(jval_num(jval_get(doc, "duration_s"), 0) == 6.0);
	/* what the runs were: their headends (a spread over two), their login */
	assert_string_equal(jval_str(jval_get(doc, "headend"), ""), "https://vpn.lab.test/");
	assert_int_equal(jval_get(doc, "headends")->n, 2);
	assert_string_equal(jval_str(&jval_get(doc, "headends")->items[1], ""),
			    "https://198.18.2.1/");
	assert_string_equal(jval_str(jval_get(doc, "client"), ""), "phone");
	/* events by name: rotate and cut (both runs), x */
	assert_int_equal(jval_get(doc, "events")->n, 3);
	assert_string_equal(jval_str(jval_get(&jval_get(doc, "events")->items[0], "name"), ""),
			    "rotate");
	assert_true(jval_num(jval_get(&jval_get(doc, "events")->items[0], "at_s"), 0) == 1.5);
	/* a report compare takes, whole: nothing missing, said as empty lists */
	if (!contract_check(doc, err, sizeof(err)))
		fail_msg("the merged report.json is refused: %s", err);
	assert_true(contract_whole(doc, err, sizeof(err)));
	assert_int_equal(jval_get(doc, "shards_missing")->type, JVAL_ARR);
	assert_int_equal(jval_get(doc, "shards_missing")->n, 0);
	assert_int_equal(jval_get(doc, "runs_incomplete")->n, 0);
	/* refusals: the runs' lines summed by reason and detail, commonest first */
	const struct jval *ref = jval_get(doc, "refusals");
	struct failure_rec na = refused_rec("No address"), li = refused_rec("Licence");

	assert_non_null(ref);
	assert_int_equal(ref->type, JVAL_ARR);
	assert_int_equal(ref->n, 2);
	assert_string_equal(jval_str(jval_get(&ref->items[0], "reason"), ""), "TunnelRefused");
	assert_string_equal(jval_str(jval_get(&ref->items[0], "phase"), ""), "cstp");
	assert_int_equal(jval_u64(jval_get(&ref->items[0], "count"), 0), 5 + 6);
	assert_string_equal(jval_str(jval_get(&ref->items[0], "detail"), ""), na.detail);
	assert_string_equal(jval_str(jval_get(&ref->items[0], "said"), ""), "No address");
	assert_int_equal(jval_u64(jval_get(&ref->items[1], "count"), 0), 2);
	assert_string_equal(jval_str(jval_get(&ref->items[1], "detail"), ""), li.detail);
	assert_string_equal(jval_str(jval_get(&ref->items[1], "said"), ""), "Licence");
	/* the page the summary names */
	assert_int_equal(access(path_in(out, "report.html"), F_OK), 0);
	jval_free(doc);
	hist_free(ttt);
	hist_free(dpd);
}

/* Reads the merged timeseries.csv into rows of cells (at most 16 rows). */
static int read_csv(const char *path, char cells[16][64][32], char names[64][32], int *ncols)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int rows = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *c;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		while ((c = strsep(&p, ",")) && k < 64) {
			snprintf(rows < 0 ? names[k] : cells[rows][k], 32, "%s", c);
			k++;
		}
		*ncols = k;
		rows++;
	}
	fclose(f);
	return rows;
}

static int col(char names[64][32], int n, const char *name)
{
	for (int k = 0; k < n; k++)
		if (!strcmp(names[k], name))
			return k;
	fail_msg("no column %s", name);
	return -1;
}

static void test_timeseries(void **state)
{
	static char cells[16][64][32], names[64][32];
	char out[128], want[32];
	int ncols, rows;

	(void)state;
	snprintf(out, sizeof(out), "%s/merged_ts", root);
	assert_int_equal(merge_all(out), 0);
	rows = read_csv(path_in(out, "timeseries.csv"), cells, names, &ncols);
	assert_int_equal(rows, N_MERGED);
	for (int c = 0; c < rows; c++) {
		struct hist *h = hist_new();
		unsigned up = 0, arrived = 0, runs_in = 0;
		double t = 0, len = 0;

		for (int k = 0; k < N_RUNS; k++) {
			int last = -1, in = 0;
			double run_len = 0;

			for (int i = 0; i < runs[k].n_ivl && cluster[k][i] <= c; i++) {
				last = i;
				if (cluster[k][i] < c)
					continue;
				in++;
				hist_merge(h, runs[k].ttt[i]);
				run_len +=
				    runs[k].end[i] - (i ? runs[k].end[i - 1] : runs[k].offset);
			}
			arrived += runs[k].arrived[last]; /* carried once a run has ended */
			if (!in)
				continue;
			runs_in++;
			up += runs[k].up[last]; /* at the interval's end */
			t = fmax(t, runs[k].end[last]);
			len = fmax(len, run_len);
		}
		snprintf(want, sizeof(want), "%u", up);
		assert_string_equal(cells[c][col(names, ncols, "up")], want);
		snprintf(want, sizeof(want), "%u", arrived);
		assert_string_equal(cells[c][col(names, ncols, "arrived")], want);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)hist_count(h));
		assert_string_equal(cells[c][col(names, ncols, "ttt_count")], want);
		/* percentiles of all the interval's samples, the max exact */
		snprintf(want, sizeof(want), "%.3f", (double)hist_percentile(h, 99) / 1000.0);
		assert_string_equal(cells[c][col(names, ncols, "ttt_p99_ms")], want);
		assert_string_equal(cells[c][col(names, ncols, "rtp_late_p99_ms")], want);
		snprintf(want, sizeof(want), "%.3f", (double)hist_percentile(h, 50) / 1000.0);
		assert_string_equal(cells[c][col(names, ncols, "ttt_p50_ms")], want);
		snprintf(want, sizeof(want), "%.3f", (double)hist_max(h) / 1000.0);
		assert_string_equal(cells[c][col(names, ncols, "ttt_max_ms")], want);
		/* no RTP: empty cells stay empty */
		assert_string_equal(cells[c][col(names, ncols, "rtp_rtt_p99_ms")], "");
		snprintf(want, sizeof(want), "%.3f", t);
		assert_string_equal(cells[c][col(names, ncols, "t_s")], want);
		snprintf(want, sizeof(want), "%.3f", len);
		assert_string_equal(cells[c][col(names, ncols, "interval_s")], want);
		/* each run at 12.5% of a core */
		snprintf(want, sizeof(want), "%.1f", 12.5 * runs_in);
		assert_string_equal(cells[c][col(names, ncols, "cpu_pct")], want);
		hist_free(h);
	}
	assert_string_equal(cells[0][col(names, ncols, "fail_TlsRefused")], "7");
	assert_string_equal(cells[1][col(names, ncols, "events")], "rotate");
	assert_string_equal(cells[2][col(names, ncols, "events")], "cut");
	assert_string_equal(cells[3][col(names, ncols, "events")], "x");
}

static int take_slot(const struct hist_bucket *b, void *arg)
{
	struct hist_bucket **p = arg;

	*(*p)++ = *b;
	return 0;
}

static void assert_same_slots(const struct hist *a, const struct hist *b)
{
	static struct hist_bucket sa[23221], sb[23221];
	struct hist_bucket *pa = sa, *pb = sb;

	hist_foreach_bucket(a, take_slot, &pa);
	hist_foreach_bucket(b, take_slot, &pb);
	assert_int_equal(pa - sa, pb - sb);
	for (long i = 0; i < pa - sa; i++) {
		assert_int_equal(sa[i].index, sb[i].index);
		assert_int_equal(sa[i].count, sb[i].count);
	}
}

struct tagsum {
	struct hist *ttt;
	int lines;
};

static int sum_ttt(const char *tag, double start, double len, const struct hist *h, void *arg)
{
	struct tagsum *s = arg;

	(void)start, (void)len;
	if (!strcmp(tag, "time_to_tunnel")) {
		hist_merge(s->ttt, h);
		s->lines++;
	}
	return 0;
}

static void test_hlog(void **state)
{
	char out[128], err[256];
	struct tagsum s = {hist_new(), 0};
	struct hist *want = hist_new();
	double start;
	uint64_t count = 0;

	(void)state;
	snprintf(out, sizeof(out), "%s/merged_hlog", root);
	assert_int_equal(merge_all(out), 0);
	assert_int_equal(
	    hdrlog_read(path_in(out, "latency.hlog"), sum_ttt, &s, &start, err, sizeof(err)), 0);
	assert_true(start == 1700000000.0);  /* the earlier run's */
	assert_int_equal(s.lines, N_MERGED); /* one line per merged interval */
	for (int k = 0; k < N_RUNS; k++)
		for (int i = 0; i < runs[k].n_ivl; i++) {
			hist_merge(want, runs[k].ttt[i]);
			count += hist_count(runs[k].ttt[i]);
		}
	assert_int_equal(hist_count(s.ttt), count);
	assert_same_slots(s.ttt, want);
	hist_free(s.ttt);
	hist_free(want);
}

static void expect_refused(const char *out, int n, char **dirs)
{
	assert_int_equal(merge(out, n, dirs), 2);
}

static void test_refusals(void **state)
{
	char other[128], out[128], bad[128], lone[128], cmd[1024];
	char *dirs[3];

	(void)state;
	snprintf(out, sizeof(out), "%s/refused", root);

	/* another scenario */
	snprintf(other, sizeof(other), "%s/other", root);
	struct fake o = runs[1];
	snprintf(o.dir, sizeof(o.dir), "%s", other);
	write_run(&o, 1, N_RUNS, "scenarios/another.ini");
	dirs[0] = runs[0].dir;
	dirs[1] = other;
	expect_refused(out, 2, dirs);

	/* the same shard twice */
	dirs[1] = runs[0].dir;
	expect_refused(out, 2, dirs);

	/* another split (1/3), and a run that is no shard */
	write_run(&o, 1, 3, "scenarios/fleet.ini");
	dirs[1] = other;
	expect_refused(out, 2, dirs);
	snprintf(lone, sizeof(lone), "%s/lone", root);
	snprintf(o.dir, sizeof(o.dir), "%s", lone);
	write_run(&o, 0, 0, "scenarios/fleet.ini");
	dirs[1] = lone;
	expect_refused(out, 2, dirs);

	/* a log that does not hold what the report counts */
	snprintf(bad, sizeof(bad), "%s/bad", root);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && grep -v '^Tag=dpd_rtt,2.013' %s/latency.hlog > "
		 "%s/x && mv %s/x %s/latency.hlog",
		 runs[1].dir, bad, bad, bad, bad, bad);
	assert_int_equal(system(cmd), 0);
	dirs[1] = bad;
	expect_refused(out, 2, dirs);
	/* no log at all */
	snprintf(cmd, sizeof(cmd), "rm %s/latency.hlog", bad);
	assert_int_equal(system(cmd), 0);
	expect_refused(out, 2, dirs);

	/* the output is one of the runs */
	dirs[1] = runs[1].dir;
	expect_refused(runs[1].dir, 2, dirs);
	/* usage */
	assert_int_equal(merge(out, 0, dirs), 2);
	/* nothing was written by the refusals */
	assert_int_equal(access(path_in(out, "report.json"), F_OK), -1);
}

static void test_missing_shard(void **state)
{
	static char text[16384];
	char out[128], why[256], err[256];
	char *dirs[1] = {runs[0].dir};
	struct jval *doc;
	char *html;

	(void)state;
	snprintf(out, sizeof(out), "%s/half", root);
	/* refused, naming the shard */
	assert_int_equal(merge_caught(out, false, 1, dirs, text, sizeof(text)), 2);
	if (!strstr(text, "phoneswarm merge: shard 1/2 missing: "))
		fail_msg("expected \"shard 1/2 missing\", got:\n%s", text);
	assert_int_equal(access(path_in(out, "report.json"), F_OK), -1);
	dirs[0] = runs[1].dir;
	assert_int_equal(merge_caught(out, false, 1, dirs, text, sizeof(text)), 2);
	if (!strstr(text, "phoneswarm merge: shard 0/2 missing: "))
		fail_msg("expected \"shard 0/2 missing\", got:\n%s", text);

	/* --partial: merged, and said so in report.json, the summary and the page */
	dirs[0] = runs[0].dir;
	assert_int_equal(merge_caught(out, true, 1, dirs, text, sizeof(text)), 0);
	if (!strstr(text, "\n  PARTIAL    shard 1/2 missing: its phones are in no figure\n"))
		fail_msg("no PARTIAL line in the summary:\n%s", text);
	doc = jval_load(path_in(out, "report.json"), err, sizeof(err));
	assert_non_null(doc);
	assert_int_equal(jval_get(doc, "shards_missing")->n, 1);
	assert_int_equal(jval_u64(&jval_get(doc, "shards_missing")->items[0], 99), 1);
	assert_int_equal(jval_get(doc, "runs_incomplete")->n, 0);
	assert_int_equal(jval_u64(jval_get(doc, "merged_runs"), 0), 1);
	assert_int_equal(jval_u64(jval_path(doc, "phones.configured"), 0), 100);
	assert_true(contract_check(doc, why, sizeof(why)));
	assert_false(contract_whole(doc, why, sizeof(why)));
	assert_string_equal(why, "is a partial merge: shard 1/2 missing");
	jval_free(doc);
	html = slurp(path_in(out, "report.html"));
	assert_non_null(strstr(html, "<b>Partial merge:</b>"));
	assert_non_null(strstr(html, "Shard 1/2 missing"));
	assert_non_null(strstr(html, "merged from 1 run &middot;"));
	free(html);
}

static void test_incomplete_run(void **state)
{
	static char text[16384];
	char stopped[128], out[128], why[512], want[512], cmd[1024];
	char *dirs[2] = {runs[0].dir, stopped};
	const struct jval *inc;
	struct jval *doc;

	(void)state;
	snprintf(stopped, sizeof(stopped), "%s/stopped", root);
	snprintf(out, sizeof(out), "%s/merged_stopped", root);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && sed -i -e 's/^  \"completed\": true,$/  \"completed\": false,/' "
		 "-e 's/^  \"stopped_early\": null,$/  \"stopped_early\": \"SIGINT at 3.0 s of 6 s\",/' "
		 "%s/report.json && grep -q '\"completed\": false' %s/report.json",
		 runs[1].dir, stopped, stopped, stopped);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(merge_caught(out, false, 2, dirs, text, sizeof(text)), 2);
	snprintf(want, sizeof(want),
		 "phoneswarm merge: %s did not complete (SIGINT at 3.0 s of 6 s): refused; "
		 "--partial merges it anyway",
		 stopped);
	if (!strstr(text, want))
		fail_msg("expected \"%s\", got:\n%s", want, text);
	assert_int_equal(access(path_in(out, "report.json"), F_OK), -1);

	assert_int_equal(merge_caught(out, true, 2, dirs, text, sizeof(text)), 0);
	snprintf(want, sizeof(want),
		 "\n  PARTIAL    %s did not complete (SIGINT at 3.0 s of 6 s)\n", stopped);
	if (!strstr(text, want))
		fail_msg("expected \"%s\" in the summary:\n%s", want, text);
	doc = jval_load(path_in(out, "report.json"), why, sizeof(why));
	assert_non_null(doc);
	inc = jval_get(doc, "runs_incomplete");
	assert_int_equal(inc->n, 1);
	assert_string_equal(jval_str(jval_get(&inc->items[0], "run"), ""), stopped);
	assert_string_equal(jval_str(jval_get(&inc->items[0], "stopped_early"), ""),
			    "SIGINT at 3.0 s of 6 s");
	assert_int_equal(jval_get(doc, "shards_missing")->n, 0);
	assert_false(contract_whole(doc, why, sizeof(why)));
	snprintf(want, sizeof(want),
		 "is a partial merge: %s did not complete (SIGINT at 3.0 s of 6 s)", stopped);
	assert_string_equal(why, want);
	jval_free(doc);
}

/* Reports older than the phone's login have no "client": their phones logged in as the desktop. */
static void test_pre_phone_login(void **state)
{
	char old0[128], old1[128], out[128], why[256], cmd[2048];
	char *dirs[2] = {old0, old1};
	struct jval *doc;

	(void)state;
	snprintf(old0, sizeof(old0), "%s/old0", root);
	snprintf(old1, sizeof(old1), "%s/old1", root);
	snprintf(out, sizeof(out), "%s/merged_old", root);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && cp -r %s %s && sed -i '/^  \"client\": /d' %s/report.json "
		 "%s/report.json && ! grep -q '\"client\"' %s/report.json %s/report.json",
		 runs[0].dir, old0, runs[1].dir, old1, old0, old1, old0, old1);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(merge(out, 2, dirs), 0);
	doc = jval_load(path_in(out, "report.json"), why, sizeof(why));
	assert_non_null(doc);
	assert_string_equal(jval_str(jval_get(doc, "client"), ""), "anyconnect");
	jval_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report),	  cmocka_unit_test(test_timeseries),
	    cmocka_unit_test(test_hlog),	  cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_missing_shard), cmocka_unit_test(test_incomplete_run),
	    cmocka_unit_test(test_pre_phone_login),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
