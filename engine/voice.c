/*
 * engine/voice.c - a phone's calls (voice.h).
 *
 * A call goes: planned -> sending (one packet per ptime, due times fixed
 * from the call's planned start so a late loop shows as lateness, never as
 * a slower stream) -> draining (the last echoes may still be on their way)
 * -> scored, and the next call is planned. Packets carry phoneswarm's probe
 * (engine/rtp.h): the phone's index and clock, stamped on the way back by
 * the reflector with its receive time and how many packets of the stream it
 * had, so each direction has its own loss and delay.
 */
#include "engine/voice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/rand.h>

#include "engine/calls.h"
#include "engine/codec.h"
#include "engine/config.h"
#include "engine/inner.h"
#include "engine/phone.h"
#include "engine/rtp.h"
#include "engine/tunnel.h"
#include "engine/worker.h"
#include "report/emodel.h"
#include "report/rtpstats.h"

#define DRAIN_US VOICE_DRAIN_US
#define MAX_BURST 5u       /* packets sent at once when the loop fell behind */
#define MIN_SCORED 10u     /* a call shorter than this (packets) gets no MOS */
#define PROBE_BYTES 32u

enum call_state { V_IDLE, V_SENDING, V_DRAINING };

struct voice {
	const struct codec *codec;
	struct call_plan plan;
	struct call call;       /* the current call, or the next one */
	uint8_t state;          /* enum call_state */
	bool planned;           /* call is valid */
	uint64_t start_us;      /* due time of the call's first packet */
	uint64_t n_sent;        /* packets sent in this call */
	uint16_t seq0;          /* first RTP sequence number */
	uint32_t ts0, ssrc;
	uint32_t max_refl;      /* most packets the reflector said it had of this call */
	uint32_t calls;         /* calls made, for the SSRC */
	bool hung_up;           /* the run is ending: no new calls */
	struct rtpstats down;   /* reflector -> phone, as the phone receives it */
	struct rtpstats up;     /* phone -> reflector, as the reflector stamped it */
};

uint16_t voice_port(const struct phone *p)
{
	return (uint16_t)(16384u + 2u * (p->idx % 8000u)); /* RTP: even ports */
}

int voice_init(struct worker *w, struct phone *p)
{
	const struct swarm_config *cfg = w->cfg;

	if (cfg->calls <= 0)
		return 0;
	p->voice = calloc(1, sizeof(*p->voice));
	if (!p->voice)
		return -ENOMEM;
	p->voice->codec = codec_find(cfg->codec);
	if (!p->voice->codec)
		return -EINVAL;
	calls_init(&p->voice->plan, p->idx, cfg->mac_base, cfg->calls, cfg->call_duration_us);
	return 0;
}

void voice_free(struct phone *p)
{
	free(p->voice);
	p->voice = NULL;
}

void voice_up(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;

	(void)w;
	if (!v)
		return;
	if (!v->planned)
		v->call = calls_first_start(&v->plan, now);
	else if (v->call.end_us <= now)
		v->call = calls_next(&v->plan, now);
	v->planned = true;
}

uint64_t voice_next(const struct phone *p)
{
	const struct voice *v = p->voice;
	uint32_t ptime;

	if (!v || !v->planned)
		return UINT64_MAX;
	ptime = (uint32_t)p->w->cfg->ptime_us;
	switch (v->state) {
	case V_SENDING: {
		uint64_t next = rtp_due_us(v->start_us, v->n_sent, ptime);
		return next < v->call.end_us ? next : v->call.end_us;
	}
	case V_DRAINING:
		return v->call.end_us + DRAIN_US;
	default:
		return v->call.start_us;
	}
}

static void start_call(struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;

	v->state = V_SENDING;
	v->start_us = v->call.start_us; /* due times from the plan, not from now */
	v->n_sent = 0;
	v->max_refl = 0;
	v->calls++;
	/* random SSRC, first sequence number and timestamp, as RFC 3550 wants */
	uint32_t rnd[3];
	if (RAND_bytes((unsigned char *)rnd, sizeof(rnd)) != 1) {
		rnd[0] = (p->idx * 2654435761u) ^ (v->calls * 40503u) ^ (uint32_t)now;
		rnd[1] = rnd[0] >> 7;
		rnd[2] = rnd[0] * 7u;
	}
	v->ssrc = rnd[0];
	v->seq0 = (uint16_t)rnd[1];
	v->ts0 = rnd[2];
	rtpstats_init(&v->down, v->codec->clock_hz, p->w->cfg->jitter_buffer_us);
	rtpstats_init(&v->up, v->codec->clock_hz, p->w->cfg->jitter_buffer_us);
	PTRACE(p, now, "VPNC: call %u starts (%s, %llu ms packets)", v->calls, v->codec->name,
	       (unsigned long long)(p->w->cfg->ptime_us / 1000));
}

static void send_one(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;
	const struct swarm_config *cfg = w->cfg;
	uint32_t ptime = (uint32_t)cfg->ptime_us;
	uint8_t rtp[1500], pkt[1600];
	size_t plen = codec_payload_bytes(v->codec, ptime);
	struct rtp_hdr h = {
		.marker = v->n_sent == 0,
		.pt = v->codec->pt,
		.seq = (uint16_t)(v->seq0 + v->n_sent),
		.ts = v->ts0 + (uint32_t)v->n_sent * codec_ts_step(v->codec, ptime),
		.ssrc = v->ssrc,
	};
	struct rtp_probe pr = {.phone = p->idx, .seq32 = (uint32_t)v->n_sent, .sent_us = now};
	uint64_t due = rtp_due_us(v->start_us, v->n_sent, ptime);

	/* the probe needs 32 bytes: a smaller frame (G.729 at 20 ms) is padded up to it */
	if (plen < PROBE_BYTES)
		plen = PROBE_BYTES;
	int n = rtp_build(rtp, sizeof(rtp), &h, NULL, plen);
	if (n < 0 || rtp_probe_put(rtp + n - plen, plen, &pr) < 0)
		return;
	int m = inner_udp(pkt, sizeof(pkt), p->tun_addr, voice_port(p), cfg->voice_target.sin_addr,
			  ntohs(cfg->voice_target.sin_port), rtp, (size_t)n);
	v->n_sent++;
	worker_record(w, M_RTP_SEND_LATE, now > due ? now - due : 0);
	/* a packet lost to the phone's own full queue is lost upstream, like any other */
	STAT_ADD(w, rtp_sent, 1);
	if (m > 0)
		tunnel_send_ip(w, p, pkt, (uint16_t)m, now);
}

/* The call is over (done, or cut): its figures go to the worker. */
static void score_call(struct worker *w, struct phone *p, bool cut, uint64_t now)
{
	struct voice *v = p->voice;
	const struct swarm_config *cfg = w->cfg;
	uint64_t sent = v->n_sent, refl = v->max_refl;
	uint64_t got = v->down.received - v->down.duplicates;
	uint64_t up_lost = sent > refl ? sent - refl : 0;
	uint64_t down_lost = refl > got ? refl - got : 0;

	STAT_ADD(w, rtp_received, got);
	STAT_ADD(w, rtp_up_lost, up_lost);
	STAT_ADD(w, rtp_down_lost, down_lost);
	STAT_ADD(w, rtp_duplicates, v->down.duplicates);
	STAT_ADD(w, rtp_reordered, v->down.reordered);
	STAT_ADD(w, rtp_late, v->down.late);
	if (cut)
		STAT_ADD(w, calls_dropped, 1);
	else
		STAT_ADD(w, calls_completed, 1);
	if (got)
		worker_record(w, M_RTP_JITTER_DOWN, (uint64_t)rtpstats_jitter_us(&v->down));
	if (refl)
		worker_record(w, M_RTP_JITTER_UP, (uint64_t)rtpstats_jitter_us(&v->up));
	if (!cut && sent >= MIN_SCORED) {
		/* each direction as its listener hears it: delay includes the jitter buffer */
		double jb_ms = (double)cfg->jitter_buffer_us / 1000.0;
		double down_pct = refl ? 100.0 * (double)(down_lost + v->down.late) / (double)refl : 100;
		double up_pct = 100.0 * (double)up_lost / (double)sent;
		double r_down = emodel_r(v->codec, rtpstats_delay_mean_us(&v->down) / 1000 + jb_ms,
					 down_pct, 1.0);
		double r_up = emodel_r(v->codec, rtpstats_delay_mean_us(&v->up) / 1000 + jb_ms,
				       up_pct, 1.0);
		double mos = emodel_mos(r_down < r_up ? r_down : r_up);
		uint64_t milli = (uint64_t)(mos * 1000 + 0.5);

		STAT_ADD(w, mos_milli_sum, milli);
		STAT_ADD(w, mos_calls, 1);
		if (5000 - milli > w->st.mos_worst_milli)
			STAT_ADD(w, mos_worst_milli, 5000 - milli - w->st.mos_worst_milli);
		PTRACE(p, now, "VPNC: call %u ends: %llu sent, lost %llu up / %llu down, jitter %.2f ms, "
			       "MOS %.2f",
		       v->calls, (unsigned long long)sent, (unsigned long long)up_lost,
		       (unsigned long long)down_lost, rtpstats_jitter_us(&v->down) / 1000, mos);
	} else if (cut) {
		PTRACE(p, now, "VPNC: call %u cut after %llu packets", v->calls,
		       (unsigned long long)sent);
	}
	v->state = V_IDLE;
	v->call = calls_next(&v->plan, now);
	if (v->hung_up)
		v->planned = false;
}

void voice_tick(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;
	uint32_t ptime;

	if (!v || !v->planned)
		return;
	ptime = (uint32_t)w->cfg->ptime_us;
	if (v->state == V_IDLE && now >= v->call.start_us) {
		if (now >= v->call.end_us)
			v->call = calls_next(&v->plan, now); /* missed while down */
		else
			start_call(p, now);
	}
	if (v->state == V_SENDING) {
		uint64_t until = now < v->call.end_us ? now : v->call.end_us;
		uint64_t due = rtp_due_count(v->start_us, ptime, until);
		unsigned burst = 0;

		while (v->n_sent < due && burst++ < MAX_BURST)
			send_one(w, p, now);
		if (v->n_sent < due) {
			/* far behind (a stall): those packets were never sent */
			STAT_ADD(w, rtp_skipped, due - v->n_sent);
			v->n_sent = due;
		}
		if (now >= v->call.end_us)
			v->state = V_DRAINING;
	}
	if (v->state == V_DRAINING && now >= v->call.end_us + DRAIN_US)
		score_call(w, p, false, now);
}

void voice_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now)
{
	struct voice *v = p->voice;
	struct rtp_hdr h;
	struct rtp_probe pr;
	const uint8_t *payload;
	size_t plen;

	if (!v || v->state == V_IDLE)
		return;
	if (rtp_parse(in->payload, in->payload_len, &h, &payload, &plen) ||
	    rtp_probe_get(payload, plen, &pr) || pr.phone != p->idx || h.ssrc != v->ssrc) {
		STAT_ADD(w, rtp_stray, 1);
		return;
	}
	if (pr.sent_us && pr.sent_us <= now)
		worker_record(w, M_RTP_RTT, now - pr.sent_us);
	rtpstats_packet(&v->down, h.seq, h.ts, now, pr.refl_rx_us);
	if (pr.refl_rx_us)
		rtpstats_packet(&v->up, h.seq, h.ts, pr.refl_rx_us, pr.sent_us);
	if (pr.refl_count > v->max_refl)
		v->max_refl = pr.refl_count;
}

void voice_hangup(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;

	(void)w;
	if (!v)
		return;
	v->hung_up = true;
	if (v->state == V_SENDING) {
		v->call.end_us = now; /* stop sending; the echoes still on their way count */
		v->state = V_DRAINING;
	} else if (v->state == V_IDLE) {
		v->planned = false;
	}
}

void voice_cut(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;

	if (v && v->state != V_IDLE)
		score_call(w, p, true, now);
}
