/*
 * loadgen/run.c - the run's timeline: load the scenario, start the swarm,
 * show progress while it runs, then write the report and the summary.
 *
 * Exit status (a public contract): 0 every expectation held, 1 one failed,
 * 2 usage or scenario error, 3 runtime error.
 */
#include "loadgen/run.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "engine/ring/clock.h"
#include "engine/config.h"
#include "engine/swarm.h"
#include "engine/tls/tls.h"
#include "loadgen/event.h"
#include "loadgen/metrics.h"
#include "loadgen/outdir.h"
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
	fprintf(f, "usage: phoneswarm run SCENARIO.ini [-s section.key=value ...] [-o DIR] [-q]\n"
		   "                     [--trace PHONE ...] [--trace-failed N] [--shard i/N]\n"
		   "                     [--metrics-listen ADDR:PORT]\n"
		   "  -s KEY=VALUE      override a scenario key (repeatable)\n"
		   "  -o DIR            where to write report.json (default: ./phoneswarm-out)\n"
		   "  -q                no live progress on stderr\n"
		   "  --trace PHONE     write the console log of a phone to DIR/trace/<CN>.log;\n"
		   "                    PHONE is its index (0..count-1), its MAC, SEP<MAC> or CN\n"
		   "  --trace-failed N  also the logs of the first N phones that failed\n"
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
 * Every phone holds a TCP and a UDP socket: take all the descriptors the hard
 * limit allows (a shell's soft limit is often 1,024), and say so when even
 * that is too few, before phones fail for it.
 */
static void raise_nofile(uint32_t phones)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)phones * 2 + 64; /* and the ring, c-ares, outputs */

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		fprintf(stderr,
			"phoneswarm: %u phones need about %llu descriptors but this process may "
			"open %llu (ulimit -Hn): phones beyond that will fail to open sockets\n",
			phones, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

int run_main(int argc, char **argv)
{
	const char *overrides[MAX_OVERRIDES];
	int n_over = 0, opt, rc = 0;
	const char *dir = "phoneswarm-out";
	bool quiet = false;
	char err[512], path[4096];
	struct swarm_config cfg;
	struct run_result res;
	struct swarm *sw;
	struct timeline *tl = NULL;
	struct timeline_spec *spec = calloc(1, sizeof(*spec));

	static const struct option longopts[] = {
		{"trace", required_argument, NULL, 'T'},
		{"trace-failed", required_argument, NULL, 'F'},
		{"shard", required_argument, NULL, 'S'},
		{"metrics-listen", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *traces[MAX_OVERRIDES];
	int n_traces = 0;
	uint64_t trace_failed = 0;
	struct shard shard = {0};
	const char *metrics_addr = NULL;
	struct metrics *metrics = NULL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'T':
			if (n_traces == MAX_OVERRIDES) {
				fprintf(stderr, "phoneswarm: too many --trace options\n");
				return EXIT_USAGE;
			}
			traces[n_traces++] = optarg;
			break;
		case 'F':
			if (value_uint(optarg, 0, UINT32_MAX, &trace_failed)) {
				fprintf(stderr, "phoneswarm: --trace-failed %s: not a whole number\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (shard_parse(optarg, &shard, err, sizeof(err))) {
				fprintf(stderr, "phoneswarm: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case 'M':
			metrics_addr = optarg;
			break;
		case 's':
			if (n_over == MAX_OVERRIDES) {
				fprintf(stderr, "phoneswarm: too many -s overrides\n");
				return EXIT_USAGE;
			}
			overrides[n_over++] = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *scenario = argv[optind];

	if (!spec) {
		fprintf(stderr, "phoneswarm: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (scenario_load_run(scenario, overrides, n_over, &cfg, spec, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		free(spec);
		return EXIT_USAGE;
	}
	if (shard_apply(&cfg, &shard, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		config_free(&cfg);
		free(spec);
		return EXIT_USAGE;
	}
	cfg.trace_failed = (uint32_t)trace_failed;
	if (cfg.capacity && !cfg.trace_failed)
		cfg.trace_failed = 3; /* how the first phones were refused, as they saw it */
	if (n_traces) {
		cfg.trace_phones = calloc((size_t)n_traces, sizeof(*cfg.trace_phones));
		if (!cfg.trace_phones) {
			config_free(&cfg);
			free(spec);
			return EXIT_RUNTIME;
		}
		for (int i = 0; i < n_traces; i++) {
			int64_t idx = phone_index(traces[i], &cfg);

			if (idx < 0) {
				fprintf(stderr, "phoneswarm: --trace %s: no such phone (give an index "
						"0..%u, a MAC, SEP<MAC> or its CN)\n",
					traces[i], cfg.count - 1);
				config_free(&cfg);
				free(spec);
				return EXIT_USAGE;
			}
			cfg.trace_phones[cfg.n_trace_phones++] = (uint32_t)idx;
		}
	}
	/* a run that cannot write its outputs must not start: no phone yet */
	if (outdir_prepare(dir, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		config_free(&cfg);
		free(spec);
		return EXIT_RUNTIME;
	}
	if (metrics_addr) {
		metrics = metrics_listen(metrics_addr, err, sizeof(err));
		if (!metrics) {
			fprintf(stderr, "phoneswarm: --metrics-listen %s\n", err);
			config_free(&cfg);
			free(spec);
			return EXIT_USAGE;
		}
		int hl = (int)(strrchr(metrics_addr, ':') - metrics_addr);
		fprintf(stderr, "phoneswarm: metrics at http://%.*s:%u/metrics\n", hl ? hl : 9,
			hl ? metrics_addr : "localhost", metrics_port(metrics));
	}
	raise_nofile(cfg.count);
	tls_builtin_rsa(); /* this process is only ever a TLS client */
	sw = swarm_new(&cfg, err, sizeof(err));
	if (!sw) {
		fprintf(stderr, "phoneswarm: %s: %s\n", scenario, err);
		metrics_close(metrics);
		config_free(&cfg);
		free(spec);
		return EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (!quiet)
		fprintf(stderr, "phoneswarm: %u phones at %.1f/s to %s, then %.0f s up; minting "
				"identities...\n",
			cfg.count, cfg.rate, cfg.url, (double)cfg.duration_us / 1e6);
	if (swarm_start(sw, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		swarm_wait(sw, err, sizeof(err));
		swarm_free(sw);
		metrics_close(metrics);
		config_free(&cfg);
		free(spec);
		return EXIT_RUNTIME;
	}
	memset(&res, 0, sizeof(res));
	res.scenario = scenario;
	res.cfg = &cfg;
	res.shard_index = shard.index;
	res.shard_count = shard.count;
	struct timeline_opts topts = {
		.dir = dir,
		.scenario = scenario,
		.quiet = quiet,
		.interval_us = cfg.interval_us,
		.checkpoint_us = cfg.checkpoint_us,
		.metrics = metrics,
	};
	tl = timeline_new(sw, &cfg, spec, &topts);
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

	snprintf(path, sizeof(path), "%s/report.json", dir);
	int wr = report_write_json(&res, path);
	if (wr) {
		fprintf(stderr, "phoneswarm: %s: %s\n", path, strerror(-wr));
		rc = EXIT_RUNTIME;
	}
	wr = report_html_write(&res, dir);
	if (wr) {
		fprintf(stderr, "phoneswarm: %s/report.html: %s\n", dir, strerror(-wr));
		rc = EXIT_RUNTIME;
	}
	report_print_summary(&res, dir, stdout);
	int nt = swarm_write_traces(sw, dir);
	if (nt < 0) {
		fprintf(stderr, "phoneswarm: %s/trace: %s\n", dir, strerror(-nt));
		rc = EXIT_RUNTIME;
	} else if (nt > 0) {
		printf("  traces     %d in %s/trace/\n", nt, dir);
	}
	if (tl && timeline_failed(tl) && rc == 0)
		rc = EXIT_EXPECT;
	timeline_free(tl);
	swarm_free(sw);
	config_free(&cfg);
	free(spec);
	return rc;
}
