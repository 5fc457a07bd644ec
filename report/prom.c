/*
 * report/prom.c - the Prometheus text exposition of a run (prom.h).
 *
 * Plain counters and gauges of struct stats come from one table (name,
 * type, help, field); the families with labels (failures by reason, bytes
 * by channel and direction, RTP loss by direction) and the latency
 * summaries are written by hand below it. An empty or absent histogram is
 * a summary with NaN quantiles and a zero count, as Prometheus' own client
 * libraries write one that has seen nothing.
 */
#include "report/prom.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/phone/reason.h"
#include "engine/stats/hist.h"

#define F(field) offsetof(struct stats, field)

struct simple {
	const char *name, *type, *help;
	size_t off; /* of the uint64_t in struct stats */
};

static const struct simple simple[] = {
	{"phoneswarm_phones_arrived_total", "counter", "Phones that began connecting.",
	 F(attempted)},
	{"phoneswarm_tunnels_up", "gauge", "Tunnels (CSTP) up now.", F(up_now)},
	{"phoneswarm_dtls_up", "gauge", "DTLS sessions up now.", F(dtls_now)},
	{"phoneswarm_phones_failed", "gauge",
	 "Phones down for good now after a failure (a reset brings one back).", F(failed)},
	{"phoneswarm_tunnels_established_total", "counter",
	 "Tunnels brought up (a reconnection counts again); rate() is tunnels per second.",
	 F(tunnels_up)},
	{"phoneswarm_dtls_established_total", "counter", "DTLS sessions brought up.", F(dtls_up)},
	{"phoneswarm_phones_disconnected_total", "counter",
	 "Tunnels logged out cleanly at the end of the run.", F(disconnected)},
	{"phoneswarm_phones_aborted_total", "counter",
	 "Phones still connecting, or waiting to reconnect, when the run ended.", F(aborted)},
	{"phoneswarm_failovers_total", "counter", "Bring-ups moved on to the next headend URL.",
	 F(failovers)},
	{"phoneswarm_tunnels_dropped_total", "counter", "Tunnels lost while up.",
	 F(tunnels_dropped)},
	{"phoneswarm_reconnects_total", "counter", "Tunnels brought back after a drop.",
	 F(reconnects)},
	{"phoneswarm_reconnect_failures_total", "counter", "Reconnection attempts that failed.",
	 F(reconnect_failures)},
	{"phoneswarm_dtls_retries_total", "counter", "DTLS handshakes tried again after a failure.",
	 F(dtls_retries)},
	{"phoneswarm_redirects_total", "counter", "Headend redirects followed.", F(redirects)},
	{"phoneswarm_rekeys_total", "counter", "Tunnels rekeyed as the headend asked.", F(rekeys)},
	{"phoneswarm_resets_total", "counter", "Phones reset by the scenario's timeline.", F(resets)},
	{"phoneswarm_keepalives_sent_total", "counter", "Keepalives sent, CSTP and DTLS.",
	 F(keepalives_sent)},
	{"phoneswarm_dpd_sent_total", "counter", "DPD requests sent, CSTP and DTLS.", F(dpd_sent)},
	{"phoneswarm_dpd_answered_total", "counter", "DPD requests of the headend answered.",
	 F(dpd_answered)},
	{"phoneswarm_data_rx_bad_total", "counter",
	 "IP packets received through the tunnel that failed their checks.", F(data_rx_bad)},
	{"phoneswarm_data_tx_dropped_total", "counter",
	 "IP packets lost to a phone's full send queue.", F(data_tx_dropped)},
	{"phoneswarm_rtp_packets_sent_total", "counter", "RTP packets sent.", F(rtp_sent)},
	{"phoneswarm_rtp_packets_received_total", "counter",
	 "RTP packets received (distinct): echoes from the reflector, or the peer's.",
	 F(rtp_received)},
	{"phoneswarm_rtp_duplicates_total", "counter", "RTP packets received twice.",
	 F(rtp_duplicates)},
	{"phoneswarm_rtp_reordered_total", "counter", "RTP packets received out of order.",
	 F(rtp_reordered)},
	{"phoneswarm_rtp_late_total", "counter",
	 "RTP packets later than the jitter buffer (lost to the caller).", F(rtp_late)},
	{"phoneswarm_rtp_not_sent_total", "counter",
	 "RTP packets due but never sent (the loop fell behind).", F(rtp_skipped)},
	{"phoneswarm_rtp_stray_total", "counter", "RTP packets received for no call of the phone.",
	 F(rtp_stray)},
	{"phoneswarm_config_fetched_total", "counter",
	 "SEP<MAC>.cnf.xml fetched by TFTP through the tunnels and taken.", F(config_fetched)},
	{"phoneswarm_config_fetch_failed_total", "counter",
	 "Config fetches that failed (no answer, TFTP error, bad file, tunnel lost).",
	 F(config_failed)},
	{"phoneswarm_config_bytes_total", "counter", "Bytes of the config files taken.",
	 F(config_bytes)},
	{"phoneswarm_config_fetch_unfinished_total", "counter",
	 "Config fetches still under way when the run ended.", F(config_unfinished)},
	{"phoneswarm_calls_completed_total", "counter", "Calls that ran their course.",
	 F(calls_completed)},
	{"phoneswarm_calls_cut_total", "counter",
	 "Calls in progress when their tunnel went down (the run's end included).",
	 F(calls_dropped)},
};

static const char *const metric_help[M__COUNT] = {
	[M_TCP_CONNECT] = "SYN sent to connected",
	[M_TLS_HANDSHAKE] = "ClientHello to handshake done, certificate hash checked",
	[M_AUTH] = "first authentication POST to session cookie",
	[M_CSTP_CONNECT] = "CONNECT to 200 CONNECTED",
	[M_DTLS_HANDSHAKE] = "first DTLS datagram to DTLS up",
	[M_TIME_TO_TUNNEL] = "when the phone was due to arrive to CSTP tunnel up",
	[M_DPD_RTT] = "DPD request to response, either channel",
	[M_PING_RTT] = "ICMP echo through the tunnel to its reply",
	[M_RECONNECT] = "tunnel lost to tunnel back",
	[M_RTP_RTT] = "RTP packet to its echo from the reflector",
	[M_RTP_JITTER_DOWN] = "per call, RFC 3550 interarrival jitter, reflector to phone",
	[M_RTP_JITTER_UP] = "per call, RFC 3550 interarrival jitter, phone to reflector",
	[M_RTP_SEND_LATE] = "per RTP packet, how late it left against its schedule",
};

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void u64(FILE *out, const char *name, uint64_t v)
{
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* A counter family with n labelled samples: labels[i] (without braces) has the value v[i]. */
static void labelled(FILE *out, const char *name, const char *help, const char *const *labels,
		     const uint64_t *v, int n)
{
	family(out, name, "counter", help);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s{%s} %llu\n", name, labels[i], (unsigned long long)v[i]);
}

static uint64_t field(const struct stats *st, size_t off)
{
	return *(const uint64_t *)((const char *)st + off);
}

/* A latency histogram as a summary of seconds; h NULL or empty: NaN quantiles, zero count. */
static void summary(FILE *out, enum metric m, const struct hist *h)
{
	char name[96], help[160];
	uint64_t n = h ? hist_count(h) : 0;

	snprintf(name, sizeof(name), "phoneswarm_%s_seconds", metric_name(m));
	snprintf(help, sizeof(help), "Latency, %s, since the run began (seconds).",
		 metric_help[m] ? metric_help[m] : metric_name(m));
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

int prom_render(FILE *out, const struct prom_input *in)
{
	const struct stats *st = in->st;

	family(out, "phoneswarm_phones_configured", "gauge", "Phones in the scenario.");
	u64(out, "phoneswarm_phones_configured", in->phones_configured);
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		family(out, simple[i].name, simple[i].type, simple[i].help);
		u64(out, simple[i].name, field(st, simple[i].off));
	}
	family(out, "phoneswarm_tunnels_up_peak", "gauge", "Most tunnels up at once so far.");
	u64(out, "phoneswarm_tunnels_up_peak", in->peak_up);

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

	static const char *const bytes_l[] = {
		"channel=\"cstp\",direction=\"tx\"", "channel=\"cstp\",direction=\"rx\"",
		"channel=\"dtls\",direction=\"tx\"", "channel=\"dtls\",direction=\"rx\""};
	const uint64_t bytes[] = {st->cstp_tx_bytes, st->cstp_rx_bytes, st->dtls_tx_bytes,
				  st->dtls_rx_bytes};
	static const char *const txrx_l[] = {"direction=\"tx\"", "direction=\"rx\""};
	const uint64_t packets[] = {st->data_tx_packets, st->data_rx_packets};
	static const char *const updown_l[] = {"direction=\"up\"", "direction=\"down\""};
	const uint64_t lost[] = {st->rtp_up_lost, st->rtp_down_lost};
	const uint64_t sent_way[] = {st->rtp_up_expected, st->rtp_down_expected};

	labelled(out, "phoneswarm_tunnel_bytes_total",
		 "Tunnel payload bytes: CSTP frames on TLS, DTLS plaintext.", bytes_l, bytes, 4);
	labelled(out, "phoneswarm_data_packets_total",
		 "IP packets through the tunnels, sent (tx) and received (rx).", txrx_l, packets, 2);
	labelled(out, "phoneswarm_rtp_packets_lost_total",
		 "RTP packets lost, phone to reflector (up) and reflector to phone (down); phone to "
		 "phone, caller to callee (up) and back (down).",
		 updown_l, lost, 2);
	labelled(out, "phoneswarm_rtp_packets_sent_way_total",
		 "RTP packets sent each way, what the loss of that way is a share of.", updown_l,
		 sent_way, 2);

	family(out, "phoneswarm_call_mos", "summary",
	       "MOS of the calls scored (ITU-T G.107, the worse direction); rate(_sum) / "
	       "rate(_count) is the mean over a window.");
	fprintf(out, "phoneswarm_call_mos_sum %.3f\nphoneswarm_call_mos_count %llu\n",
		(double)st->mos_milli_sum / 1000.0, (unsigned long long)st->mos_calls);
	family(out, "phoneswarm_call_mos_min", "gauge", "Lowest MOS of a call so far (NaN: none).");
	if (st->mos_calls)
		fprintf(out, "phoneswarm_call_mos_min %.3f\n",
			(double)(5000 - st->mos_worst_milli) / 1000.0);
	else
		fprintf(out, "phoneswarm_call_mos_min NaN\n");

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
