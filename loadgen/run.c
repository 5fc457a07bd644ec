/*
 * loadgen/run.c - "phoneswarm run": its options, then a run in order: load
 * the scenario (with the -s overrides and --shard), prepare the output
 * directory and /metrics, start the swarm, hand it to the timeline
 * (loadgen/timeline.c) until every phone is done, then write report.json,
 * report.html, the summary and the traces.
 *
 * Exit status (a public contract): 0 every expectation held, 1 one failed,
 * 2 usage or scenario error, 3 runtime error.
 */
#include "loadgen/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/stats/clock.h"
#include "engine/stats/heap.h"
#include "engine/stats/hist.h"
#include "engine/config.h"
#include "engine/swarm/swarm.h"
#include "engine/tls/tls.h"
#include "loadgen/cmdline.h"
#include "loadgen/event.h"
#include "loadgen/metrics.h"
#include "loadgen/labscript.h"
#include "loadgen/origin.h"
#include "loadgen/outdir.h"
#include "loadgen/preflight.h"
#include "loadgen/scenario.h"
#include "loadgen/shard.h"
#include "loadgen/timeline.h"
#include "loadgen/value.h"
#include "report/html.h"
#include "report/report.h"

#define EXIT_EXPECT 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3
#define MAX_OVERRIDES 256

static volatile sig_atomic_t interrupted; /* the signal that asked to stop; 0: none */

static void on_signal(int sig)
{
	interrupted = sig;
	signal(SIGINT, SIG_DFL); /* a second ^C ends the process at once */
	signal(SIGTERM, SIG_DFL);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm run SCENARIO.ini [-s section.key=value ...] [-o DIR [--force]] [-q]\n"
		   "                     [--trace PHONE ...] [--trace-failed N] [--keylog FILE]\n"
		   "                     [--shard i/N]\n"
		   "                     [--metrics-listen ADDR:PORT]\n"
		   "  -s KEY=VALUE      override a scenario key (repeatable)\n"
		   "  -o DIR            where to write report.json (default: ./phoneswarm-out);\n"
		   "                    it must be new or empty\n"
		   "  --force           write into DIR even if it holds something\n"
		   "  -q                no live progress on stderr\n"
		   "  --trace PHONE     write the console log of a phone to DIR/trace/<CN>.log;\n"
		   "                    PHONE is its index (0..count-1), its MAC, SEP<MAC> or CN\n"
		   "  --trace-failed N  also the logs of the first N phones that failed\n"
		   "  --keylog FILE     append the TLS and DTLS secrets of the --trace phones to\n"
		   "                    FILE (NSS key log: decrypts a capture of them)\n"
		   "  --shard i/N       run shard i (0..N-1) of the fleet: its slice of the\n"
		   "                    phones, of phones.source, and ramp.rate / N\n"
		   "  --metrics-listen ADDR:PORT\n"
		   "                    serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		   "                    while the run goes on\n");
}

/* A phone named by index, MAC, SEP<MAC> or CP-<model>-SEP<MAC>: its index, or -1. */
static int64_t phone_index(const char *name, const struct swarm_config *cfg)
{
	const char *sep = strstr(name, "SEP");
	uint64_t v, mac;

	if (!sep && !value_uint(name, 0, UINT32_MAX, &v))
		return v < cfg->count ? (int64_t)v : -1;
	if (value_mac(sep ? sep + 3 : name, &mac))
		return -1;
	if (mac < cfg->mac_base || mac - cfg->mac_base >= cfg->count)
		return -1;
	return (int64_t)(mac - cfg->mac_base);
}

/*
 * What this machine must allow the run, before any phone: the descriptors
 * (the soft limit raised to the hard one first), the memory, io_uring,
 * real-time scheduling when asked, and root for the lab's events. A run
 * that cannot fit is refused saying what to change, rather than phones
 * failing for it. 0, or the exit status.
 */
static int fits(const struct swarm_config *cfg, const struct timeline_spec *spec)
{
	struct preflight pf;
	char err[512];

	preflight_descriptors(cfg, &pf);
	if (pf.problem) {
		fprintf(stderr, "phoneswarm: %s\n", pf.text);
		return EXIT_RUNTIME;
	}
	preflight_memory(cfg, &pf);
	if (pf.problem) {
		fprintf(stderr, "phoneswarm: memory: %s\n", pf.text);
		return EXIT_RUNTIME;
	}
	preflight_io_uring(&pf);
	if (pf.problem) {
		fprintf(stderr, "phoneswarm: io_uring: %s\n", pf.text);
		return EXIT_RUNTIME;
	}
	preflight_priority(cfg, &pf);
	if (pf.problem) {
		fprintf(stderr, "phoneswarm: run.priority: %s\n", pf.text);
		return EXIT_RUNTIME;
	}
	if (labscript_check(spec, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* What the command line asks of a run, beside the scenario's own keys. */
struct run_opts {
	const char *scenario;
	const char *overrides[MAX_OVERRIDES]; /* -s, in order */
	int n_over;
	const char *dir;		      /* -o */
	bool force;			      /* --force: -o DIR may hold something */
	bool quiet;			      /* -q */
	const char *traces[MAX_OVERRIDES];    /* --trace */
	int n_traces;
	uint64_t trace_failed;		      /* --trace-failed */
	const char *keylog;		      /* --keylog; NULL: none */
	struct shard shard;		      /* --shard */
	const char *metrics_addr;	      /* --metrics-listen; NULL: none */
};

/* The options into o; -1 to go on, else the exit status (help printed, or a usage error). */
static int parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{"trace", required_argument, NULL, 'T'},
		{"trace-failed", required_argument, NULL, 'F'},
		{"shard", required_argument, NULL, 'S'},
		{"metrics-listen", required_argument, NULL, 'M'},
		{"force", no_argument, NULL, 'f'},
		{"keylog", required_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "s:o:qh",
			     .longopts = longopts, .usage = usage};
	char err[512];
	int opt;

	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 'T':
			if (o->n_traces == MAX_OVERRIDES) {
				fprintf(stderr, "phoneswarm: too many --trace options\n");
				return EXIT_USAGE;
			}
			o->traces[o->n_traces++] = optarg;
			break;
		case 'F':
			if (value_uint(optarg, 0, UINT32_MAX, &o->trace_failed)) {
				fprintf(stderr, "phoneswarm: --trace-failed %s: not a whole number\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (shard_parse(optarg, &o->shard, err, sizeof(err))) {
				fprintf(stderr, "phoneswarm: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'M':
			o->metrics_addr = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'K':
			o->keylog = optarg;
			break;
		case 's':
			if (o->n_over == MAX_OVERRIDES) {
				fprintf(stderr, "phoneswarm: too many -s overrides\n");
				return EXIT_USAGE;
			}
			o->overrides[o->n_over++] = optarg;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		}
	}
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 1, 1))
		return EXIT_USAGE;
	o->scenario = argv[optind];
	return -1;
}

/* --trace, --trace-failed and --keylog into cfg. 0, or the exit status. */
static int set_traces(struct swarm_config *cfg, const struct run_opts *o)
{
	if (o->keylog && !o->n_traces) {
		fprintf(stderr, "phoneswarm: --keylog %s: it logs the secrets of the phones of "
				"--trace: give at least one\n",
			o->keylog);
		return EXIT_USAGE;
	}
	if (o->keylog) {
		cfg->keylog_fd = open(o->keylog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (cfg->keylog_fd < 0) {
			fprintf(stderr, "phoneswarm: --keylog %s: %s\n", o->keylog, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	cfg->trace_failed = (uint32_t)o->trace_failed;
	if (cfg->capacity && !cfg->trace_failed)
		cfg->trace_failed = 3; /* how the first phones were refused, as they saw it */
	if (!o->n_traces)
		return 0;
	cfg->trace_phones = calloc((size_t)o->n_traces, sizeof(*cfg->trace_phones));
	if (!cfg->trace_phones)
		return EXIT_RUNTIME;
	for (int i = 0; i < o->n_traces; i++) {
		int64_t idx = phone_index(o->traces[i], cfg);

		if (idx < 0) {
			fprintf(stderr, "phoneswarm: --trace %s: no such phone (give an index "
					"0..%u, a MAC, SEP<MAC> or its CN)\n",
				o->traces[i], cfg->count - 1);
			return EXIT_USAGE;
		}
		cfg->trace_phones[cfg->n_trace_phones++] = (uint32_t)idx;
	}
	return 0;
}

/* /metrics on the address asked for, said on stderr. NULL when it cannot listen (said). */
static struct metrics *serve_metrics(const char *addr)
{
	char err[512];
	struct metrics *m = metrics_listen(addr, err, sizeof(err));
	int hl;

	if (!m) {
		fprintf(stderr, "phoneswarm: --metrics-listen %s\n", err);
		return NULL;
	}
	hl = (int)(strrchr(addr, ':') - addr);
	fprintf(stderr, "phoneswarm: metrics at http://%.*s:%u/metrics\n", hl ? hl : 9,
		hl ? addr : "localhost", metrics_port(m));
	return m;
}

/*
 * The swarm started: the timeline watches it to the end (serving
 * /metrics, then closed), and the report, the page, the summary and the
 * traces are written. The exit status.
 */
static int watch(struct swarm *sw, const struct swarm_config *cfg,
		 const struct timeline_spec *spec, const struct scenario_settings *settings,
		 const struct run_opts *o, struct metrics *metrics)
{
	struct origin_texts texts;
	struct run_origin origin;
	struct timeline_opts topts = {
		.dir = o->dir,
		.scenario = o->scenario,
		.quiet = o->quiet,
		.interval_us = cfg->interval_us,
		.checkpoint_us = cfg->checkpoint_us,
		.metrics = metrics,
	};
	struct run_result res = {
		.scenario = o->scenario,
		.cfg = cfg,
		.shard_index = o->shard.index,
		.shard_count = o->shard.count,
	};
	struct timeline *tl = timeline_new(sw, cfg, spec, &topts);
	char err[512], path[4096];
	int rc = 0, wr, nt;

	origin_fill(&origin, &texts);
	origin.settings = settings->v;
	origin.n_settings = settings->n;
	origin.overrides = o->overrides;
	origin.n_overrides = o->n_over;
	res.origin = &origin;

	if (!tl) {
		fprintf(stderr, "phoneswarm: out of memory\n");
		swarm_request_stop(sw);
		rc = EXIT_RUNTIME;
		while (!swarm_done(sw))
			usleep(100000);
	} else if (timeline_run(tl, (volatile int *)&interrupted, &res)) {
		rc = EXIT_RUNTIME;
	}
	metrics_close(metrics); /* served while the run goes on */
	if (swarm_wait(sw, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		rc = EXIT_RUNTIME;
	}
	/* every phone ended and its worker joined: what the run still holds */
	res.heap_end_bytes = heap_in_use();
	res.hist_end_bytes = hist_bytes_held();
	snprintf(path, sizeof(path), "%s/report.json", o->dir);
	wr = report_write_json(&res, path);
	if (wr) {
		fprintf(stderr, "phoneswarm: %s: %s\n", path, strerror(-wr));
		rc = EXIT_RUNTIME;
	}
	wr = report_html_write(&res, o->dir);
	if (wr) {
		fprintf(stderr, "phoneswarm: %s/report.html: %s\n", o->dir, strerror(-wr));
		rc = EXIT_RUNTIME;
	}
	report_print_summary(&res, o->dir, stdout);
	nt = swarm_write_traces(sw, o->dir);
	if (nt < 0) {
		fprintf(stderr, "phoneswarm: %s/trace: %s\n", o->dir, strerror(-nt));
		rc = EXIT_RUNTIME;
	} else if (nt > 0) {
		printf("  traces     %d in %s/trace/\n", nt, o->dir);
	}
	if (tl && timeline_failed(tl) && rc == 0)
		rc = EXIT_EXPECT;
	timeline_free(tl);
	return rc;
}

int run_main(int argc, char **argv)
{
	struct run_opts o = {.dir = "phoneswarm-out"};
	struct swarm_config cfg;
	struct timeline_spec *spec;
	struct scenario_settings settings;
	struct metrics *metrics = NULL;
	struct swarm *sw;
	char err[512], lerr[SCENARIO_ERRORS_MAX];
	int64_t rx_buffers;
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	spec = calloc(1, sizeof(*spec));
	if (!spec) {
		fprintf(stderr, "phoneswarm: out of memory\n");
		return EXIT_RUNTIME;
	}
	rc = EXIT_USAGE;
	if (scenario_load_run(o.scenario, o.overrides, o.n_over, &cfg, spec, &settings, lerr,
			      sizeof(lerr))) {
		scenario_print_errors(stderr, "phoneswarm: ", lerr);
		goto out_free_spec;
	}
	if (shard_apply(&cfg, &o.shard, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		goto out_free_config;
	}
	rc = set_traces(&cfg, &o);
	if (rc)
		goto out_free_config;
	rc = fits(&cfg, spec);
	if (rc)
		goto out_free_config;
	cfg.fixed_files = preflight_fixed_files(&cfg);
	rx_buffers = preflight_rx_buffers(err, sizeof(err));
	if (rx_buffers < 0) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		rc = EXIT_USAGE;
		goto out_free_config;
	}
	cfg.rx_buffers = (uint32_t)rx_buffers;
	if (cfg.fixed_files && !o.quiet)
		fprintf(stderr, "phoneswarm: the phones' sockets are io_uring registered files, "
				"not descriptors (phoneswarm check says why)\n");
	/* a run that cannot write its outputs must not start: no phone yet */
	if (outdir_prepare(o.dir, o.force, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		rc = EXIT_RUNTIME;
		goto out_free_config;
	}
	rc = EXIT_USAGE;
	if (o.metrics_addr && !(metrics = serve_metrics(o.metrics_addr)))
		goto out_free_config;
	tls_builtin_rsa(); /* this process is only ever a TLS client */
	sw = swarm_new(&cfg, err, sizeof(err));
	if (!sw) {
		fprintf(stderr, "phoneswarm: %s: %s\n", o.scenario, err);
		goto out_close_metrics;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (!o.quiet)
		fprintf(stderr, "phoneswarm: %u phones at %.1f/s to %s, then %.0f s up; minting "
				"identities...\n",
			cfg.count, cfg.rate, cfg.url, (double)cfg.duration_us / 1e6);
	if (swarm_start(sw, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		swarm_wait(sw, err, sizeof(err));
		rc = EXIT_RUNTIME;
		goto out_free_swarm;
	}
	rc = watch(sw, &cfg, spec, &settings, &o, metrics);
	metrics = NULL; /* closed by watch() */
out_free_swarm:
	swarm_free(sw);
out_close_metrics:
	metrics_close(metrics);
out_free_config:
	if (cfg.keylog_fd >= 0)
		close(cfg.keylog_fd);
	scenario_settings_free(&settings);
	config_free(&cfg);
out_free_spec:
	free(spec);
	return rc;
}
