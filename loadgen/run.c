/*
 * loadgen/run.c - the run's timeline: load the scenario, start the swarm,
 * show progress while it runs, then write the report and the summary.
 *
 * Exit status (a public contract): 0 every expectation held, 1 one failed,
 * 2 usage or scenario error, 3 runtime error.
 */
#include "loadgen/run.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "engine/clock.h"
#include "engine/config.h"
#include "engine/swarm.h"
#include "loadgen/scenario.h"
#include "loadgen/value.h"
#include "report/report.h"

#define EXIT_EXPECT 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3
#define MAX_OVERRIDES 256

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	signal(SIGINT, SIG_DFL); /* a second ^C ends the process at once */
	signal(SIGTERM, SIG_DFL);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm run SCENARIO.ini [-s section.key=value ...] [-o DIR] [-q]\n"
		   "                     [--trace PHONE ...] [--trace-failed N]\n"
		   "  -s KEY=VALUE      override a scenario key (repeatable)\n"
		   "  -o DIR            where to write report.json (default: ./phoneswarm-out)\n"
		   "  -q                no live progress on stderr\n"
		   "  --trace PHONE     write the console log of a phone to DIR/trace/<CN>.log;\n"
		   "                    PHONE is its index (0..count-1), its MAC, SEP<MAC> or CN\n"
		   "  --trace-failed N  also the logs of the first N phones that failed\n");
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

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static const char *top_failure(const struct stats *s)
{
	int best = 0;

	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k] > s->failures[best])
			best = k;
	return best ? reason_name((enum reason)best) : NULL;
}

static void progress(FILE *f, bool tty, uint64_t t0, const struct swarm_config *cfg,
		     const struct stats *s)
{
	uint64_t now = clock_us();
	double el = now > t0 ? (double)(now - t0) / 1e6 : 0;
	const char *top = top_failure(s);

	fprintf(f, "%s[%7.1fs] arrived %llu/%u  up %llu  dtls %llu  failed %llu%s%s%s  done %llu%s",
		tty ? "\r" : "", el, (unsigned long long)s->attempted, cfg->count,
		(unsigned long long)s->up_now, (unsigned long long)s->dtls_now,
		(unsigned long long)s->failed, top ? " (top: " : "", top ? top : "",
		top ? ")" : "", (unsigned long long)s->disconnected, tty ? "\033[K" : "\n");
	fflush(f);
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
	struct rusage ru0, ru1, ru_peak;
	uint64_t up_at_peak = 0;

	static const struct option longopts[] = {
		{"trace", required_argument, NULL, 'T'},
		{"trace-failed", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *traces[MAX_OVERRIDES];
	int n_traces = 0;
	uint64_t trace_failed = 0;

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

	if (scenario_load(scenario, overrides, n_over, &cfg, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		return EXIT_USAGE;
	}
	cfg.trace_failed = (uint32_t)trace_failed;
	if (n_traces) {
		cfg.trace_phones = calloc((size_t)n_traces, sizeof(*cfg.trace_phones));
		if (!cfg.trace_phones) {
			config_free(&cfg);
			return EXIT_RUNTIME;
		}
		for (int i = 0; i < n_traces; i++) {
			int64_t idx = phone_index(traces[i], &cfg);

			if (idx < 0) {
				fprintf(stderr, "phoneswarm: --trace %s: no such phone (give an index "
						"0..%u, a MAC, SEP<MAC> or its CN)\n",
					traces[i], cfg.count - 1);
				config_free(&cfg);
				return EXIT_USAGE;
			}
			cfg.trace_phones[cfg.n_trace_phones++] = (uint32_t)idx;
		}
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "phoneswarm: -o %s: %s\n", dir, strerror(errno));
		config_free(&cfg);
		return EXIT_USAGE;
	}
	sw = swarm_new(&cfg, err, sizeof(err));
	if (!sw) {
		fprintf(stderr, "phoneswarm: %s: %s\n", scenario, err);
		config_free(&cfg);
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
		config_free(&cfg);
		return EXIT_RUNTIME;
	}
	getrusage(RUSAGE_SELF, &ru0);
	ru_peak = ru0;

	/* Watch: progress, peak concurrency and the memory it took. */
	bool tty = isatty(STDERR_FILENO);
	uint64_t t0 = swarm_t0(sw), next_line = t0, peak = 0, rss_peak = 0;
	uint64_t interval = tty ? 1000000u : 5000000u;
	struct stats s;

	while (!swarm_done(sw)) {
		usleep(100000);
		swarm_stats(sw, &s);
		if (s.up_now > peak || (s.up_now == peak && peak)) {
			uint64_t rss = swarm_rss_kb();

			if (s.up_now > peak || rss > rss_peak)
				rss_peak = rss;
			if (s.up_now > peak) {
				/* what bringing these tunnels up has cost so far */
				getrusage(RUSAGE_SELF, &ru_peak);
				up_at_peak = s.tunnels_up;
			}
			peak = s.up_now;
		}
		if (interrupted == 1) {
			interrupted = 2;
			swarm_request_stop(sw);
			if (!quiet)
				fprintf(stderr, "\nphoneswarm: interrupted: disconnecting phones...\n");
		}
		if (!quiet && clock_us() >= next_line) {
			progress(stderr, tty, t0, &cfg, &s);
			next_line += interval;
		}
	}
	getrusage(RUSAGE_SELF, &ru1);
	if (swarm_wait(sw, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm: %s\n", err);
		rc = EXIT_RUNTIME;
	}
	swarm_stats(sw, &s);
	if (!quiet) {
		progress(stderr, tty, t0, &cfg, &s);
		if (tty)
			fputc('\n', stderr);
	}

	memset(&res, 0, sizeof(res));
	res.scenario = scenario;
	res.cfg = &cfg;
	res.st = s;
	res.peak_concurrent = peak;
	for (int m = 0; m < M__COUNT; m++)
		res.lat[m] = swarm_hist(sw, (enum metric)m);
	res.wall_s = (double)(clock_us() - t0) / 1e6;
	res.cpu_user_s = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
	res.cpu_sys_s = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
	res.max_rss_kb = (uint64_t)ru1.ru_maxrss;
	res.rss_base_kb = swarm_rss_base_kb(sw);
	res.rss_at_peak_kb = rss_peak;
	res.cpu_to_peak_s = tv_s(ru_peak.ru_utime) - tv_s(ru0.ru_utime) + tv_s(ru_peak.ru_stime) -
			    tv_s(ru0.ru_stime);
	res.tunnels_at_peak = up_at_peak;

	snprintf(path, sizeof(path), "%s/report.json", dir);
	int wr = report_write_json(&res, path);
	if (wr) {
		fprintf(stderr, "phoneswarm: %s: %s\n", path, strerror(-wr));
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
	swarm_free(sw);
	config_free(&cfg);
	return rc;
}
