/*
 * tests/tools/htmlgen.c - a synthetic run, for developing and testing report.html.
 *
 *	htmlgen DIR [--seconds S] [--interval S] [--phones N] [--no-voice]
 *	            [--no-csv] [--capacity] [--scenario NAME]
 *
 * Writes DIR/timeseries.csv (the columns series_header() gives, one row
 * per interval) for a made-up run: N phones arrive over the first fifth of the
 * run, the headend restarts at half time (every tunnel drops, phones fail
 * with TcpRefused and TlsRefused for a while, then reconnect), a certificate
 * renewal at three quarters fails (with --capacity, a capacity search also
 * stops the load 5 s after the restart); then builds the matching struct
 * run_result, with histograms filled with known values, and calls
 * report_html_write(). Nothing is random: the same arguments give the same
 * files (but for the "written" time in the page).
 *
 * Known values the tests check against: tcp_connect holds 1..1000 us once
 * each (p50 0.50 ms, p99 0.99 ms, max 1.00 ms); auth holds 2,000 us x 900
 * and 40,000 us x 100 (p50 2.00 ms, p99 40.0 ms).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/config.h"
#include "engine/stats/stats.h"
#include "report/capacity.h"
#include "engine/stats/hist.h"
#include "report/html.h"
#include "report/report.h"
#include "report/series.h"
#include "tests/unit/seriesrow.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* Uniform in (0, 1), xorshift64*. */
static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((double)((rng * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal around median, spread sigma (natural log). */
static double lognormal(double median, double sigma)
{
	double z = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());

	return median * exp(sigma * z);
}

static void usage(void)
{
	fprintf(stderr, "usage: htmlgen DIR [--seconds S] [--interval S] [--phones N] "
			"[--no-voice] [--no-csv] [--capacity] [--scenario NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'},
		{"phones", required_argument, NULL, 'n'},  {"no-voice", no_argument, NULL, 'V'},
		{"no-csv", no_argument, NULL, 'C'},	   {"scenario", required_argument, NULL, 'S'},
		{"capacity", no_argument, NULL, 'K'},	   {NULL, 0, NULL, 0},
	};
	double seconds = 120, interval = 1;
	unsigned phones = 1000;
	bool voice = true, csv = true, cap = false;
	struct capacity_result capres;
	const char *scenario = "scenarios/headend-restart.ini", *dir;
	struct swarm_config cfg;
	struct run_result r;
	struct hist *lat[M__COUNT];
	struct seriesrow row = {0};
	struct run_event ev[3];
	struct expect_result ex[3];
	char path[4096];
	FILE *f = NULL;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'n':
			phones = (unsigned)atoi(optarg);
			break;
		case 'V':
			voice = false;
			break;
		case 'C':
			csv = false;
			break;
		case 'S':
			scenario = optarg;
			break;
		case 'K':
			cap = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || seconds < interval || interval <= 0 || !phones)
		usage();
	dir = argv[optind];
	mkdir(dir, 0755);

	config_defaults(&cfg);
	cfg.url = strdup("https://vpn.lab.test/");
	cfg.count = phones;
	cfg.n_models = 2;
	snprintf(cfg.models[0].model, sizeof(cfg.models[0].model), "8861");
	cfg.models[0].share = 0.6;
	snprintf(cfg.models[1].model, sizeof(cfg.models[1].model), "7841");
	cfg.models[1].share = 0.4;
	cfg.rate = phones / (seconds / 5);
	cfg.duration_us = (uint64_t)(seconds * 0.8 * 1e6);
	if (voice) {
		cfg.calls = 0.3;
		snprintf(cfg.codec, sizeof(cfg.codec), "g711");
	}

	memset(&r, 0, sizeof(r));
	for (int m = 0; m < M__COUNT; m++)
		if (!(lat[m] = hist_new()))
			return 3;

	if (csv) {
		snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
		if (!(f = fopen(path, "w"))) {
			perror(path);
			return 3;
		}
		series_header(f); /* the real header; each row's cells go by its column names */
		if (seriesrow_init(&row))
			return 3;
	}

	/* the run, interval by interval */
	double restart = seconds / 2, renew = seconds * 3 / 4, arrived = 0, up = 0, dtls = 0;
	double failed = 0, down = 0; /* tunnels lost in the restart, waiting to come back */
	double rss = 40;
	uint64_t fails[R__COUNT] = {0};

	for (double t = interval; t <= seconds + 1e-9; t += interval) {
		double t0 = t - interval, arr = 0, tun = 0, drops = 0, rec = 0, fl[R__COUNT] = {0};
		const char *events = "";

		if (arrived < phones) {
			arr = fmin(phones - arrived, cfg.rate * interval);
			arrived += arr;
			fl[R_CERT_HASH] = (int)(t / interval) % 5 == 0; /* a phone of a bad batch */
			tun = arr - fl[R_CERT_HASH];
		}
		if (restart >= t0 && restart < t) {
			drops = up;
			down = up;
			up = dtls = 0;
			events = "headend_restart";
		}
		if (renew >= t0 && renew < t)
			events = "renew_cert";
		double since = t - restart;

		if (since > 0 && since < 8) {
			fl[R_TCP_REFUSED] = down * 0.05 * interval;
			fl[R_TLS_REFUSED] = since > 4 ? down * 0.02 * interval : 0;
		} else if (since >= 8 && down > 0) {
			rec = fmin(down, phones * 0.08 * interval);
			down -= rec;
		}
		double nf = 0;

		for (int k = 1; k < R__COUNT; k++) {
			fl[k] = floor(fl[k]);
			fails[k] += (uint64_t)fl[k];
			nf += fl[k];
		}
		failed += fl[R_CERT_HASH];
		tun = floor(tun);
		rec = floor(rec);
		up += tun + rec;
		dtls = floor(up * 0.98);
		r.st.attempted = (uint64_t)arrived;
		r.st.tunnels_up += (uint64_t)(tun + rec);
		r.st.tunnels_dropped += (uint64_t)drops;
		r.st.reconnects += (uint64_t)rec;
		if (up > r.peak_concurrent)
			r.peak_concurrent = (uint64_t)up;

		/* time to tunnel: every new tunnel gives a sample; slow while the headend is busy */
		double n_ttt = tun + rec, slow = since > 0 && since < 20 ? 8 : 1;
		double p50 = NAN, p90 = NAN, p99 = NAN, mx = NAN;

		if (n_ttt > 0) {
			p50 = 28 * slow * (1 + 0.1 * uniform());
			p90 = p50 * 2.2;
			p99 = p50 * (4 + 2 * uniform());
			mx = p99 * 1.3;
			for (int i = 0; i < (int)n_ttt; i++)
				hist_record(lat[M_TIME_TO_TUNNEL],
					    (uint64_t)(lognormal(28000 * slow, 0.6)));
		}
		/* voice: 30% of the phones up, 50 packets/s each */
		double sent = voice ? floor(up * 0.3 * 50 * interval) : 0;
		double lost_up = floor(sent * (since > -2 && since < 1 ? 0.04 : 0.0005));
		double lost_down = floor((sent - lost_up) * 0.001);

		rss = fmin(40 + up * 0.07, fmax(rss, 40 + up * 0.07));
		if (f) {
			struct {
				const char *col;
				double v;
			} counts[] = {
				{"t_s", t},	   {"interval_s", interval}, {"arrived", arrived},
				{"up", up},	   {"dtls", dtls},	     {"failed", failed},
				{"arrivals", arr}, {"tunnels_up", tun + rec}, {"failures", nf},
				{"drops", drops},  {"reconnects", rec},	     {"ttt_count", n_ttt},
				{"rtp_sent", sent}, {"rtp_received", sent - lost_up - lost_down},
				{"rtp_lost_up", lost_up}, {"rtp_lost_down", lost_down},
			};
			char col[64];

			for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
				seriesrow_set(&row, counts[k].col, k < 2 ? "%.3f" : "%.0f",
					      counts[k].v);
			if (n_ttt > 0) {
				seriesrow_set(&row, "ttt_p50_ms", "%.3f", p50);
				seriesrow_set(&row, "ttt_p90_ms", "%.3f", p90);
				seriesrow_set(&row, "ttt_p99_ms", "%.3f", p99);
				seriesrow_set(&row, "ttt_max_ms", "%.3f", mx);
			}
			if (sent > 0) { /* drawn last to first, as the files made so far were */
				double late = 0.2 + 0.3 * uniform(), jitter = 0.8 + 0.4 * uniform();
				double rtt99 = 3 + 2 * uniform() + (lost_up > sent * 0.01 ? 40 : 0);
				double rtt50 = 1.1 + 0.2 * uniform();

				seriesrow_set(&row, "rtp_rtt_p50_ms", "%.3f", rtt50);
				seriesrow_set(&row, "rtp_rtt_p99_ms", "%.3f", rtt99);
				seriesrow_set(&row, "rtp_jitter_p99_ms", "%.3f", jitter);
				seriesrow_set(&row, "rtp_late_p99_ms", "%.3f", late);
			}
			seriesrow_set(&row, "cpu_pct", "%.1f",
				      12 + 30 * tun / fmax(1, cfg.rate) + 5 * uniform());
			seriesrow_set(&row, "rss_mib", "%.1f", rss);
			for (int k = 1; k < R__COUNT; k++) {
				snprintf(col, sizeof(col), "fail_%s", reason_name((enum reason)k));
				seriesrow_set(&row, col, "%.0f", fl[k]);
			}
			seriesrow_set(&row, "events", "%s", events);
			seriesrow_write(&row, f);
		}
	}
	seriesrow_free(&row);
	if (f && fclose(f)) {
		perror(path);
		return 3;
	}
	r.st.tunnels_up = r.st.tunnels_up ? r.st.tunnels_up : 1;
	r.st.dtls_up = (uint64_t)(r.st.tunnels_up * 0.98);
	r.st.failed = (uint64_t)failed;
	r.st.disconnected = (uint64_t)up;
	for (int k = 1; k < R__COUNT; k++)
		r.st.failures[k] = fails[k];
	r.st.cstp_tx_bytes = 123456789;
	r.st.keepalives_sent = 4321;

	/* the known histograms */
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(lat[M_TCP_CONNECT], v);
	hist_record_n(lat[M_AUTH], 2000, 900);
	hist_record_n(lat[M_AUTH], 40000, 100);
	for (int i = 0; i < 5000; i++) {
		hist_record(lat[M_TLS_HANDSHAKE], (uint64_t)lognormal(6000, 0.5));
		hist_record(lat[M_CSTP_CONNECT], (uint64_t)lognormal(1500, 0.4));
		hist_record(lat[M_DTLS_HANDSHAKE], (uint64_t)lognormal(4000, 0.7));
		hist_record(lat[M_DPD_RTT], (uint64_t)lognormal(400, 0.3));
		hist_record(lat[M_PING_RTT], (uint64_t)lognormal(350, 0.3));
	}
	for (int i = 0; i < 800; i++)
		hist_record(lat[M_RECONNECT], (uint64_t)lognormal(9e6, 0.3));
	if (voice) {
		for (int i = 0; i < 200000; i++) {
			hist_record(lat[M_RTP_RTT], (uint64_t)lognormal(1200, 0.5));
			hist_record(lat[M_RTP_SEND_LATE], (uint64_t)lognormal(80, 1.0));
		}
		for (int i = 0; i < 300; i++) {
			hist_record(lat[M_RTP_JITTER_DOWN], (uint64_t)lognormal(900, 0.4));
			hist_record(lat[M_RTP_JITTER_UP], (uint64_t)lognormal(700, 0.4));
		}
		r.st.rtp_sent = 3000000;
		r.st.rtp_up_lost = 2100;
		r.st.rtp_down_lost = 2990;
		r.st.rtp_received = r.st.rtp_sent - r.st.rtp_up_lost - r.st.rtp_down_lost;
		r.st.calls_completed = 300;
		r.st.mos_calls = 300;
		r.st.mos_milli_sum = 300 * 4390;
		r.st.mos_worst_milli = 5000 - 3810;
	}

	memset(ev, 0, sizeof(ev));
	snprintf(ev[0].name, sizeof(ev[0].name), "headend_restart");
	snprintf(ev[0].action, sizeof(ev[0].action), "exec");
	ev[0].at_s = restart;
	ev[0].ok = true;
	snprintf(ev[0].detail, sizeof(ev[0].detail), "scripts/lab restart: exit 0");
	snprintf(ev[1].name, sizeof(ev[1].name), "renew_cert");
	snprintf(ev[1].action, sizeof(ev[1].action), "trust");
	ev[1].at_s = renew;
	ev[1].ok = false;
	snprintf(ev[1].detail, sizeof(ev[1].detail), "<b>new.pem</b> & 'old': not found");
	snprintf(ev[2].name, sizeof(ev[2].name), "never");
	snprintf(ev[2].action, sizeof(ev[2].action), "dns");
	ev[2].at_s = -1;
	ev[2].ok = false;
	snprintf(ev[2].detail, sizeof(ev[2].detail), "the run ended first");

	memset(ex, 0, sizeof(ex));
	snprintf(ex[0].name, sizeof(ex[0].name), "tunnels_up >= 99%%");
	ex[0].ok = true;
	snprintf(ex[0].detail, sizeof(ex[0].detail), "99.5%% (995 of 1000)");
	snprintf(ex[1].name, sizeof(ex[1].name), "time_to_tunnel.p99 < 200ms");
	ex[1].ok = false;
	snprintf(ex[1].detail, sizeof(ex[1].detail), "p99 was %.0f ms",
		 (double)hist_percentile(lat[M_TIME_TO_TUNNEL], 99) / 1000);
	snprintf(ex[2].name, sizeof(ex[2].name), "failures.CertHashMismatch == 0");
	ex[2].ok = false;
	snprintf(ex[2].detail, sizeof(ex[2].detail), "%llu",
		 (unsigned long long)fails[R_CERT_HASH]);

	r.scenario = scenario;
	r.cfg = &cfg;
	for (int m = 0; m < M__COUNT; m++)
		r.lat[m] = lat[m];
	r.wall_s = seconds;
	r.cpu_user_s = 3.2;
	r.cpu_sys_s = 1.9;
	r.max_rss_kb = (uint64_t)(rss * 1024);
	r.rss_base_kb = 40 * 1024;
	r.rss_at_peak_kb = (uint64_t)(rss * 1024);
	r.cpu_to_peak_s = 2.4;
	r.tunnels_at_peak = r.peak_concurrent;
	r.events = ev;
	r.n_events = 3;
	r.expects = ex;
	r.n_expects = 3;

	if (cap) {
		memset(&capres, 0, sizeof(capres));
		capres.stopped = true;
		capres.why = CAP_P99;
		capres.at_s = restart + 5;
		capres.held_concurrent = r.peak_concurrent;
		capres.held_rate = cfg.rate;
		capres.reason = R_TLS_REFUSED;
		snprintf(capres.limit, sizeof(capres.limit), "the headend's TLS handshakes <CPU>");
		snprintf(capres.first, sizeof(capres.first), "CP-8861-SEP02AB00000011: TlsRefused");
		r.capacity = &capres;
	}
	rc = report_html_write(&r, dir);
	if (rc) {
		fprintf(stderr, "htmlgen: %s/report.html: %s\n", dir, strerror(-rc));
		return 3;
	}
	for (int m = 0; m < M__COUNT; m++)
		hist_free(lat[m]);
	config_free(&cfg);
	return 0;
}
