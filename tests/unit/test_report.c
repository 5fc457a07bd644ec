/*
 * tests/unit/test_report.c - report.json, the summary and a timeseries.csv
 * row of a tiny run, against text written out here by hand.
 *
 * The run: 10 phones; every counter of struct stats a value of its own, so
 * that a counter written under another's name, or not at all, shows; one
 * latency metric with four samples below 2,048 us (where every value has a
 * slot of its own, so its percentiles are exact and can be worked out by
 * hand), the others empty. The expected texts follow README's field lists
 * and the figures below, not what the code printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/reason.h"
#include "engine/stats/hist.h"
#include "engine/stats/stats.h"
#include "report/jsonread.h"
#include "report/report.h"
#include "report/series.h"
#include "tests/unit/files.h"

struct tiny {
	struct swarm_config cfg;
	struct run_result r;
	struct run_origin origin;
	struct hist *lat[M__COUNT];
	struct run_event ev;
	struct expect_result ex;
};

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
	s->redirects = 15;
	s->rekeys = 16;
	s->tunnels_dropped = 4;
	s->reconnects = 11;
	s->reconnect_attempts = 21;
	s->reconnect_failures = 12;
	s->lost_now = 3;
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
	s->dtls_takeovers = 111;
	s->dtls_rx_dropped = 112;
	s->tls_takeovers = 113;
	s->keepalives_sent = 104;
	s->dpd_sent = 105;
	s->dpd_answered = 106;
	s->data_tx_packets = 107;
	s->data_rx_packets = 108;
	s->data_rx_bad = 109;
	s->data_tx_dropped = 110;
	s->rx_nobufs = 114;
	s->rx_buffers = 115;
	s->config_fetched = 22;
	s->config_failed = 23;
	s->config_bytes = 24;
	s->config_unfinished = 25;
	s->config_retries = 26;
}

static void tiny_make(struct tiny *t)
{
	memset(t, 0, sizeof(*t));
	config_defaults(&t->cfg);
	t->cfg.url = strdup("https://vpn.example.test/");
	t->cfg.count = 10;
	t->cfg.dtls_mode = DTLS_MODE_LEGACY;
	tiny_stats(&t->r.st);
	for (int m = 0; m < M__COUNT; m++) {
		t->lat[m] = hist_new();
		assert_non_null(t->lat[m]);
		t->r.lat[m] = t->lat[m];
	}
	/* 100, 200, 300, 400 us: p50 is the 2nd value, p90 and above the 4th */
	for (uint64_t v = 100; v <= 400; v += 100)
		hist_record(t->lat[M_TIME_TO_TUNNEL], v);
	t->r.scenario = "tiny.ini";
	/* where it came from: the scenario as taken, a -s, the machine */
	static const struct run_setting settings[] = {
	    {"headend", "url", "https://vpn.example.test/", "tiny.ini:2"},
	    {"phones", "count", "10", "-s"},
	    {"dtls", "mode", "legacy", "tiny.ini:6"},
	    {"dtls", "retry", "60s", "default"},
	    {"event.rotate", "at", "1s", "tiny.ini:8"},
	    {"event.rotate", "action", "reset", "tiny.ini:9"},
	    {"expect", NULL, "tunnels_up >= 90%", "tiny.ini:11"},
	};
	static const char *const overrides[] = {"phones.count=10"};
	t->origin = (struct run_origin){
	    .version = "0.1.0",
	    .build = "v0.1.0-7-g0123abc",
	    .run_id = "0b7d2f6e-1c4a-4e8b-9f3d-5a6b7c8d9e0f",
	    .host = "loadgen1",
	    .kernel = "6.1.0-28-amd64",
	    .cpus = 2,
	    .settings = settings,
	    .n_settings = sizeof(settings) / sizeof(settings[0]),
	    .overrides = overrides,
	    .n_overrides = 1,
	};
	t->r.origin = &t->origin;
	t->r.started_at = 1796428800.5; /* 2026-12-05T00:00:00.500Z */
	t->r.cfg = &t->cfg;
	t->r.peak_concurrent = 7;
	t->r.wall_s = 2.5;
	t->r.cpu_user_s = 1.5;
	t->r.cpu_sys_s = 0.25;
	t->r.max_rss_kb = 10240;
	t->r.rss_base_kb = 2048;
	t->r.rss_at_peak_kb = 9216; /* 7168 KiB over 7 phones: 1024 each */
	t->r.heap_base_bytes = 3000000;
	t->r.heap_end_bytes = 3000100;
	t->r.hist_base_bytes = 2600000;
	t->r.hist_end_bytes = 2600200;
	t->r.cpu_to_peak_s = 0.9;
	t->r.tunnels_at_peak = 9; /* 900 ms over 9 tunnels: 100 ms each */
	snprintf(t->ev.name, sizeof(t->ev.name), "rotate");
	snprintf(t->ev.action, sizeof(t->ev.action), "reset");
	t->ev.at_s = 1.5;
	t->ev.ok = true;
	snprintf(t->ev.detail, sizeof(t->ev.detail), "phones told");
	static const uint64_t storm[2][3] = {{0, 0, 0}, {5, 3, 2}};
	t->ev.rec = (struct event_recovery){
	    .measured = true, .before = 7, .dtls_before = 6, .dropped = 7, .lowest = 1,
	    .back_s = 12.5, .dtls_back_s = 13.0, .attempts = 9, .reconnects = 7, .failures = 2,
	    .peak_attempts = 5, .peak_at_s = 1, .per_s = storm, .n_per_s = 2};
	t->r.events = &t->ev;
	t->r.n_events = 1;
	snprintf(t->ex.name, sizeof(t->ex.name), "tunnels_up >= 90%%");
	t->ex.ok = true;
	snprintf(t->ex.detail, sizeof(t->ex.detail), "measured 90.00%%");
	t->r.expects = &t->ex;
	t->r.n_expects = 1;
}

static void tiny_free(struct tiny *t)
{
	for (int m = 0; m < M__COUNT; m++)
		hist_free(t->lat[m]);
	config_free(&t->cfg);
}

/* got and want line by line, the first line that differs named */
static void same_text(const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;

	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	if (*g || *w) {
		const char *gl = g, *wl = w;

		while (gl > got && gl[-1] != '\n')
			gl--;
		while (wl > want && wl[-1] != '\n')
			wl--;
		fail_msg("line %d differs:\n  want: %.*s\n  got:  %.*s", line,
			 (int)strcspn(wl, "\n"), wl, (int)strcspn(gl, "\n"), gl);
	}
}

/* An empty latency metric, as report.json writes it (name and indentation given). */
#define EMPTY(name)                                                                                \
	"    \"" name "\": {\n"                                                                      \
	"      \"count\": 0,\n      \"min\": 0,\n      \"p50\": 0,\n      \"p90\": 0,\n"             \
	"      \"p99\": 0,\n      \"p999\": 0,\n      \"max\": 0,\n      \"mean\": 0\n    }"

static const char want_json[] =
	"{\n"
	"  \"schema_version\": 2,\n"
	"  \"tool\": \"phoneswarm\",\n"
	"  \"version\": \"0.1.0\",\n"
	"  \"build\": \"v0.1.0-7-g0123abc\",\n"
	"  \"run_id\": \"0b7d2f6e-1c4a-4e8b-9f3d-5a6b7c8d9e0f\",\n"
	"  \"started_at\": \"2026-12-05T00:00:00.500Z\",\n"
	"  \"host\": {\n"
	"    \"name\": \"loadgen1\",\n"
	"    \"kernel\": \"6.1.0-28-amd64\",\n"
	"    \"cpus\": 2\n"
	"  },\n"
	"  \"configuration\": {\n"
	"    \"headend\": {\n"
	"      \"url\": \"https://vpn.example.test/\"\n"
	"    },\n"
	"    \"phones\": {\n"
	"      \"count\": \"10\"\n"
	"    },\n"
	"    \"dtls\": {\n"
	"      \"mode\": \"legacy\",\n"
	"      \"retry\": \"60s\"\n"
	"    },\n"
	"    \"event.rotate\": {\n"
	"      \"at\": \"1s\",\n"
	"      \"action\": \"reset\"\n"
	"    },\n"
	"    \"expect\": [\n"
	"      \"tunnels_up >= 90%\"\n"
	"    ]\n"
	"  },\n"
	"  \"overrides\": [\n"
	"    \"phones.count=10\"\n"
	"  ],\n"
	"  \"scenario\": \"tiny.ini\",\n"
	"  \"headend\": \"https://vpn.example.test/\",\n"
	"  \"dtls_mode\": \"legacy\",\n"
	"  \"client\": \"phone\",\n"
	"  \"duration_s\": 2.5,\n"
	"  \"completed\": true,\n"
	"  \"stopped_early\": null,\n"
	"  \"valid_measurement\": true,\n"
	"  \"invalid_because\": null,\n"
	"  \"phones\": {\n"
	"    \"configured\": 10,\n"
	"    \"attempted\": 10,\n"
	"    \"tunnels_up\": 9,\n"
	"    \"dtls_up\": 8,\n"
	"    \"peak_concurrent\": 7,\n"
	"    \"failed\": 1,\n"
	"    \"disconnected\": 5,\n"
	"    \"aborted_at_end\": 2,\n"
	"    \"failovers\": 3,\n"
	"    \"redirects\": 15,\n"
	"    \"rekeys\": 16,\n"
	"    \"tunnels_dropped\": 4,\n"
	"    \"reconnects\": 11,\n"
	"    \"reconnect_attempts\": 21,\n"
	"    \"reconnect_failures\": 12,\n"
	"    \"dtls_retries\": 13,\n"
	"    \"resets\": 14\n"
	"  },\n"
	"  \"failures\": {\n"
	"    \"DpdTimeout\": 1,\n"
	"    \"TlsRefused\": 2\n"
	"  },\n"
	"  \"latency_us\": {\n"
	EMPTY("tcp_connect") ",\n"
	EMPTY("tls_handshake") ",\n"
	EMPTY("auth") ",\n"
	EMPTY("cstp_connect") ",\n"
	EMPTY("dtls_handshake") ",\n"
	"    \"time_to_tunnel\": {\n"
	"      \"count\": 4,\n"
	"      \"min\": 100,\n"
	"      \"p50\": 200,\n"
	"      \"p90\": 400,\n"
	"      \"p99\": 400,\n"
	"      \"p999\": 400,\n"
	"      \"max\": 400,\n"
	"      \"mean\": 250\n"
	"    },\n"
	EMPTY("dpd_rtt") ",\n"
	EMPTY("ping_rtt") ",\n"
	EMPTY("reconnect") ",\n"
	EMPTY("rtp_rtt") ",\n"
	EMPTY("rtp_jitter_down") ",\n"
	EMPTY("rtp_jitter_up") ",\n"
	EMPTY("rtp_send_late") ",\n"
	EMPTY("tftp_fetch") "\n"
	"  },\n"
	"  \"traffic\": {\n"
	"    \"cstp_tx_bytes\": 100,\n"
	"    \"cstp_rx_bytes\": 101,\n"
	"    \"dtls_tx_bytes\": 102,\n"
	"    \"dtls_rx_bytes\": 103,\n"
	"    \"dtls_takeovers\": 111,\n"
	"    \"tls_takeovers\": 113,\n"
	"    \"dtls_rx_dropped\": 112,\n"
	"    \"keepalives_sent\": 104,\n"
	"    \"dpd_sent\": 105,\n"
	"    \"dpd_answered\": 106,\n"
	"    \"data_tx_packets\": 107,\n"
	"    \"data_rx_packets\": 108,\n"
	"    \"data_rx_bad\": 109,\n"
	"    \"data_tx_dropped\": 110,\n"
	"    \"rx_nobufs\": 114,\n"
	"    \"rx_buffers\": 115\n"
	"  },\n"
	"  \"rtp\": {\n"
	"    \"sent\": 1000,\n"
	"    \"received\": 990,\n"
	"    \"lost\": 10,\n"
	"    \"lost_up\": 4,\n"
	"    \"lost_down\": 6,\n"
	"    \"sent_up\": 1000,\n"
	"    \"sent_down\": 800,\n"
	"    \"loss_up_pct\": 0.4,\n"
	"    \"loss_down_pct\": 0.75,\n"
	"    \"duplicates\": 15,\n"
	"    \"reordered\": 16,\n"
	"    \"late\": 17,\n"
	"    \"not_sent\": 18,\n"
	"    \"stray\": 19,\n"
	"    \"calls_completed\": 20,\n"
	"    \"calls_cut\": 21,\n"
	"    \"calls_scored\": 2,\n"
	"    \"mos_mean\": 4.25,\n"
	"    \"mos_min\": 4\n"
	"  },\n"
	"  \"config\": {\n"
	"    \"fetched\": 22,\n"
	"    \"failed\": 23,\n"
	"    \"bytes\": 24,\n"
	"    \"unfinished\": 25,\n"
	"    \"retries\": 26\n"
	"  },\n"
	"  \"events\": [\n"
	"    {\n"
	"      \"name\": \"rotate\",\n"
	"      \"action\": \"reset\",\n"
	"      \"at_s\": 1.5,\n"
	"      \"ok\": true,\n"
	"      \"detail\": \"phones told\",\n"
	"      \"recovery\": {\n"
	"        \"before\": 7,\n"
	"        \"dtls_before\": 6,\n"
	"        \"lowest\": 1,\n"
	"        \"dropped\": 7,\n"
	"        \"back_s\": 12.5,\n"
	"        \"dtls_back_s\": 13,\n"
	"        \"short_at_end\": 0,\n"
	"        \"attempts\": 9,\n"
	"        \"reconnects\": 7,\n"
	"        \"failures\": 2,\n"
	"        \"peak_attempts_per_s\": 5,\n"
	"        \"peak_at_s\": 1,\n"
	"        \"per_second\": [\n"
	"          [\n"
	"            0,\n"
	"            0,\n"
	"            0\n"
	"          ],\n"
	"          [\n"
	"            5,\n"
	"            3,\n"
	"            2\n"
	"          ]\n"
	"        ]\n"
	"      }\n"
	"    }\n"
	"  ],\n"
	"  \"expectations\": [\n"
	"    {\n"
	"      \"name\": \"tunnels_up >= 90%\",\n"
	"      \"ok\": true,\n"
	"      \"detail\": \"measured 90.00%\"\n"
	"    }\n"
	"  ],\n"
	"  \"resources\": {\n"
	"    \"cpu_user_s\": 1.5,\n"
	"    \"cpu_sys_s\": 0.25,\n"
	"    \"max_rss_kb\": 10240,\n"
	"    \"rss_base_kb\": 2048,\n"
	"    \"rss_at_peak_kb\": 9216,\n"
	"    \"heap_base_bytes\": 3000000,\n"
	"    \"heap_end_bytes\": 3000100,\n"
	"    \"hist_base_bytes\": 2600000,\n"
	"    \"hist_end_bytes\": 2600200,\n"
	"    \"kib_per_connected_phone\": 1024,\n"
	"    \"cpu_ms_per_tunnel\": 100\n"
	"  }\n"
	"}\n";

static void test_report_json(void **state)
{
	struct tiny t;
	char dir[] = "/tmp/test_report.XXXXXX", path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	tiny_make(&t);
	assert_int_equal(report_write_json(&t.r, path), 0);
	char *got = slurp(path);
	same_text(got, want_json);
	free(got);
	unlink(path);
	rmdir(dir);
	tiny_free(&t);
}

/*
 * The summary: the contract's metrics always (empty ones as zeros), the
 * others only with samples; voice and config lines because something was
 * sent and fetched.
 */
static const char want_summary[] =
	"phoneswarm: tiny.ini against https://vpn.example.test/ (2.5 s)\n"
	"  phones     10 configured, 10 attempted, 9 tunnels up, 8 DTLS up, peak 7 concurrent\n"
	"  ended      5 disconnected cleanly, 1 failed, 2 still connecting at the end\n"
	"  failures   DpdTimeout 1 TlsRefused 2\n"
	"  latency ms            count      min      p50      p90      p99    p99.9      max\n"
	"    tcp_connect             0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"    tls_handshake           0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"    auth                    0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"    cstp_connect            0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"    dtls_handshake          0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"    time_to_tunnel          4      0.1      0.2      0.4      0.4      0.4      0.4\n"
	"    dpd_rtt                 0      0.0      0.0      0.0      0.0      0.0      0.0\n"
	"  voice      20 calls (21 cut), 1000 RTP sent, lost 0.40% up / 0.75% down, 17 late, "
	"MOS mean 4.25, worst 4.00\n"
	"  config     22 SEP<MAC>.cnf.xml fetched (24 bytes), 23 fetches failed, 25 cut short "
	"by the end of the run\n"
	"  resources  cpu 1.50 s user + 0.25 s sys; 100.00 ms per tunnel brought up; max RSS "
	"10.0 MiB; 1024.0 KiB per connected phone\n"
	"  event      rotate           at     1.5 s  reset  phones told\n"
	"  recovery   rotate           all 7 back after 12.5 s, DTLS after 13.0 s (lowest 1); 9 "
	"reconnect attempts, peak 5/s at +1 s, 2 failed\n"
	"  expect     ok    tunnels_up >= 90%  (measured 90.00%)\n"
	"  report     out/report.json, timeseries.csv, report.html\n";

static void test_summary(void **state)
{
	struct tiny t;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	tiny_make(&t);
	report_print_summary(&t.r, "out", f);
	fclose(f);
	same_text(text, want_summary);
	free(text);
	tiny_free(&t);
}

/*
 * headend.spread: report.json lists every headend after "headend"
 * (headend.url first, then the spread in its order), and the summary's
 * first line names them all; without a spread there is no "headends"
 * (test_report_json's want_json has none).
 */
static void test_spread_headends(void **state)
{
	static const char *const want[] = {"https://vpn.example.test/", "https://198.18.2.1/",
					   "https://198.18.3.1/"};
	struct tiny t;
	char dir[] = "/tmp/test_report.XXXXXX", path[64], err[128];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	tiny_make(&t);
	t.cfg.spread[0] = strdup(want[1]);
	t.cfg.spread[1] = strdup(want[2]);
	t.cfg.n_spread = 2;
	assert_int_equal(report_write_json(&t.r, path), 0);
	struct jval *v = jval_load(path, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(jval_str(jval_get(v, "headend"), ""), want[0]);
	const struct jval *h = jval_get(v, "headends");
	assert_non_null(h);
	assert_int_equal(h->type, JVAL_ARR);
	assert_int_equal(h->n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(jval_str(&h->items[i], ""), want[i]);
	jval_free(v);

	report_print_summary(&t.r, "out", f);
	fclose(f);
	assert_non_null(strstr(text, "phoneswarm: tiny.ini against https://vpn.example.test/, "
				     "https://198.18.2.1/ and https://198.18.3.1/ (2.5 s)\n"));
	free(text);
	unlink(path);
	rmdir(dir);
	tiny_free(&t);
}

/*
 * A row of timeseries.csv: gauges at the interval's end (arrived is the
 * running total of attempted), counts of the interval (now - prev), the
 * interval's time-to-tunnel percentiles in ms, failures by reason.
 */
static void test_series_row(void **state)
{
	struct tiny t;
	struct stats prev;
	char *text = NULL, want[2048];
	size_t len = 0, n;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	tiny_make(&t);
	memset(&prev, 0, sizeof(prev));
	prev.attempted = 4;
	prev.tunnels_up = 3;
	prev.tunnels_dropped = 1;
	prev.rtp_sent = 600;
	prev.failures[R_TLS_REFUSED] = 1;
	struct series_row row = {
		.t_s = 2,
		.interval_s = 0.5,
		.utc_s = 1796428802.5, /* the run started at 2026-12-05T00:00:00.500Z */
		.now = &t.r.st,
		.prev = &prev,
		.lat = (const struct hist *const *)t.lat,
		.cpu_pct = 12.25,
		.rss_mib = 9,
		.events = "rotate",
	};
	assert_int_equal(series_write(f, &row), 0);
	fclose(f);
	n = (size_t)snprintf(want, sizeof(want),
			     /* t_s, interval_s, utc, arrived, up, dtls, failed, lost */
			     "2.000,0.500,2026-12-05T00:00:02.500Z,10,7,6,1,3,"
			     /* arrivals, tunnels_up, failures, drops, reconnects, reconnect_tries,
				reconnect_fails */
			     "6,6,2,3,11,21,12,"
			     /* ttt_count, p50, p90, p99, max */
			     "4,0.200,0.400,0.400,0.400,"
			     /* rtp_sent, received, lost up, lost down; rtt p50, p99, jitter, late */
			     "400,990,4,6,,,,,"
			     /* cpu_pct, rss_mib */
			     "12.2,9.0");
	for (int r = 1; r < R__COUNT; r++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, ",%d",
				      r == R_TLS_REFUSED || r == R_DPD_TIMEOUT ? 1 : 0);
	snprintf(want + n, sizeof(want) - n, ",rotate\n");
	same_text(text, want);
	free(text);
	tiny_free(&t);
}

/*
 * Phones that failed for this machine's own shortage: report.json says the
 * run did not measure the headend, and why; so does the summary.
 */
static void test_invalid_measurement(void **state)
{
	struct tiny t;
	char dir[] = "/tmp/test_report.XXXXXX", path[64], *got, *text = NULL;
	size_t len = 0;
	FILE *f;
	static const char why[] =
	    "5 failures were of this machine, not the headend (Internal 2, LocalResource 3): the "
	    "figures are not the headend's; see failures.csv, and phoneswarm check";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	tiny_make(&t);
	t.r.st.failures[R_LOCAL_RESOURCE] = 3;
	t.r.st.failures[R_INTERNAL] = 2;
	assert_int_equal(report_write_json(&t.r, path), 0);
	got = slurp(path);
	assert_non_null(strstr(got, "  \"valid_measurement\": false,\n"));
	assert_non_null(strstr(got, why));
	free(got);
	unlink(path);
	rmdir(dir);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	report_print_summary(&t.r, "out", f);
	fclose(f);
	assert_non_null(strstr(text, "\n  INVALID    as a measurement of the headend: "));
	assert_non_null(strstr(text, why));
	free(text);
	tiny_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_spread_headends),
	    cmocka_unit_test(test_series_row),
	    cmocka_unit_test(test_invalid_measurement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
