/*
 * tests/tools/report_replay.c - one fixed run written by a tree's own report
 * writers: report.json, the summary, timeseries.csv (two rows), failures.csv,
 * the /metrics exposition and report.html, into DIR. Compiled by
 * scripts/report-identity against each tree it compares, older ones too (back
 * to 419b4a9, before issue 13's refactor), so it sets only the counters every
 * such tree has (the counter values are tests/unit/test_report.c's, whose tiny
 * run sets newer ones too, so it cannot be shared) and finds the headers that
 * moved through the H_* macros the script passes.
 *
 *	report_replay DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include H_REASON
#include H_FAILURE
#include H_STATS
#include H_HIST
#include "report/failcsv.h"
#include "report/html.h"
#include "report/prom.h"
#include "report/report.h"
#include "report/series.h"

/* every counter every tree has, a value of its own */
static void tiny_stats(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	s->attempted = 10;
	s->tunnels_up = 9;
	s->dtls_up = 8;
	s->up_now = 7;
	s->dtls_now = 6;
	s->failed = 1;
	s->disconnected = 5;
	s->aborted = 2;
	s->failovers = 3;
	s->tunnels_dropped = 4;
	s->reconnects = 11;
	s->reconnect_failures = 12;
	s->dtls_retries = 13;
	s->resets = 14;
	s->failures[R_TLS_REFUSED] = 2;
	s->failures[R_DPD_TIMEOUT] = 1;
	s->failed_by[R_TLS_REFUSED] = 1;
	s->rtp_sent = 1000;
	s->rtp_received = 990;
	s->rtp_up_lost = 4;
	s->rtp_down_lost = 6;
	s->rtp_up_expected = 1000;
	s->rtp_down_expected = 800;
	s->rtp_duplicates = 15;
	s->rtp_reordered = 16;
	s->rtp_late = 17;
	s->rtp_skipped = 18;
	s->rtp_stray = 19;
	s->calls_completed = 20;
	s->calls_dropped = 21;
	s->mos_calls = 2;
	s->mos_milli_sum = 8500;	  /* a mean of 4.25 */
	s->mos_worst_milli = 5000 - 4000; /* the worst call 4.0 */
	s->cstp_tx_bytes = 100;
	s->cstp_rx_bytes = 101;
	s->dtls_tx_bytes = 102;
	s->dtls_rx_bytes = 103;
	s->keepalives_sent = 104;
	s->dpd_sent = 105;
	s->dpd_answered = 106;
	s->data_tx_packets = 107;
	s->data_rx_packets = 108;
	s->data_rx_bad = 109;
	s->data_tx_dropped = 110;
	s->config_fetched = 22;
	s->config_failed = 23;
	s->config_bytes = 24;
	s->config_unfinished = 25;
}

int main(int argc, char **argv)
{
	static struct swarm_config cfg;
	static struct run_result r;
	static struct hist *lat[M__COUNT], *ilat[M__COUNT];
	static struct run_event ev;
	static struct expect_result ex;
	static struct stats prev;
	char path[512];
	FILE *f;

	if (argc != 2)
		return 2;
	config_defaults(&cfg);
	cfg.url = strdup("https://vpn.example.test/");
	cfg.count = 10;
	cfg.dtls_mode = DTLS_MODE_LEGACY;
	tiny_stats(&r.st);
	/* every metric its own samples, across several decades */
	for (int m = 0; m < M__COUNT; m++) {
		lat[m] = hist_new();
		ilat[m] = hist_new();
		r.lat[m] = lat[m];
		for (uint64_t i = 1; i <= 200; i++) {
			uint64_t v = (uint64_t)(m + 1) * 37 * i * i % 3000000 + (uint64_t)m;
			hist_record(lat[m], v);
			if (i % 3 == 0)
				hist_record(ilat[m], v);
		}
	}
	r.scenario = "tiny.ini";
	r.cfg = &cfg;
	r.peak_concurrent = 7;
	r.wall_s = 2.5;
	r.cpu_user_s = 1.5;
	r.cpu_sys_s = 0.25;
	r.max_rss_kb = 10240;
	r.rss_base_kb = 2048;
	r.rss_at_peak_kb = 9216;
	r.cpu_to_peak_s = 0.9;
	r.tunnels_at_peak = 9;
	snprintf(ev.name, sizeof(ev.name), "rotate");
	snprintf(ev.action, sizeof(ev.action), "reset");
	ev.at_s = 1.5;
	ev.ok = true;
	snprintf(ev.detail, sizeof(ev.detail), "phones told");
	r.events = &ev;
	r.n_events = 1;
	snprintf(ex.name, sizeof(ex.name), "tunnels_up >= 90%%");
	ex.ok = true;
	snprintf(ex.detail, sizeof(ex.detail), "measured 90.00%%");
	r.expects = &ex;
	r.n_expects = 1;

	snprintf(path, sizeof(path), "%s/report.json", argv[1]);
	if (report_write_json(&r, path))
		return 3;
	snprintf(path, sizeof(path), "%s/summary.txt", argv[1]);
	f = fopen(path, "w");
	if (!f)
		return 3;
	report_print_summary(&r, "out", f);
	fclose(f);

	/* timeseries.csv: two rows */
	snprintf(path, sizeof(path), "%s/timeseries.csv", argv[1]);
	f = fopen(path, "w");
	if (!f)
		return 3;
	series_header(f);
	prev.attempted = 4;
	prev.tunnels_up = 3;
	prev.tunnels_dropped = 1;
	prev.rtp_sent = 600;
	for (int i = 0; i < 2; i++) {
		struct series_row row = {
		    .t_s = 1.0 + i,
		    .interval_s = 1.0,
		    .now = i ? &r.st : &prev,
		    .prev = i ? &prev : &(struct stats){0},
		    .lat = (const struct hist *const *)ilat,
		    .cpu_pct = 12.5,
		    .rss_mib = 9.0,
		    .events = i ? "rotate" : "",
		};
		series_write(f, &row);
	}
	fclose(f);

	/* failures.csv: three records, one detail with a comma and quotes */
	struct failure_rec recs[3];
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < 3; i++) {
		recs[i].t_us = 5000000 + (uint64_t)i * 1234567;
		recs[i].mac = 0x02ab00100000ull + (uint64_t)i;
		recs[i].model = "8861";
		recs[i].phone = (uint32_t)i * 3;
		recs[i].reason = i == 0 ? R_TLS_REFUSED : R_DPD_TIMEOUT;
		recs[i].phase = (uint8_t)i;
	}
	snprintf(recs[0].detail, sizeof(recs[0].detail), "handshake failure, alert 40");
	snprintf(recs[1].detail, sizeof(recs[1].detail), "no answer to 3 DPD \"requests\"");
	snprintf(recs[2].detail, sizeof(recs[2].detail), "plain");
	snprintf(path, sizeof(path), "%s/failures.csv", argv[1]);
	f = fopen(path, "w");
	if (!f)
		return 3;
	failcsv_header(f);
#ifdef FAILCSV_T0
	struct failcsv_t0 t0 = {.us = 1000000, .epoch_s = 0};
	failcsv_write(f, recs, 3, &t0);
#else
	failcsv_write(f, recs, 3, 1000000);
#endif
	fclose(f);

	/* /metrics */
	struct prom_input in = {
	    .st = &r.st,
	    .phones_configured = 10,
	    .elapsed_s = 2.5,
	    .peak_up = 7,
	    .cpu_s = 1.75,
	    .rss_bytes = 9437184,
	    .failure_records_lost = 1,
	};
	for (int m = 0; m < M__COUNT; m++)
		in.lat[m] = lat[m];
	snprintf(path, sizeof(path), "%s/metrics.prom", argv[1]);
	f = fopen(path, "w");
	if (!f)
		return 3;
	prom_render(f, &in);
	fclose(f);

	if (report_html_write(&r, argv[1]))
		return 4;
	return 0;
}
