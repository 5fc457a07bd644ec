/*
 * engine/voice/voice.c - a phone's calls (voice.h).
 *
 * A call goes: planned -> sending (one packet per ptime, due times fixed
 * from the call's planned start so a late loop shows as lateness, never as
 * a slower stream) -> draining (the last echoes may still be on their way)
 * -> scored, and the next call is planned. Packets carry phoneswarm's probe
 * (engine/voice/rtp.h): the phone's index and clock, stamped on the way back by
 * the reflector with its receive time and how many packets of the stream it
 * had, so each direction has its own loss and delay.
 *
 * Phone to phone (traffic.target = phones), the two ends of a pair follow
 * one plan (engine/voice/p2p.h). A call is heard from the moment both are in it:
 * the later of its start and the two tunnels' up times, which both ends
 * read off the board and so agree on; packets due before then are not
 * sent. Each end sends to the other's tunnel address and measures what it
 * receives; the end that finishes second scores the call from both ends'
 * accounts: each direction's loss is what its sender sent less what its
 * receiver got, and the MOS is the worse direction's.
 */
#include "engine/voice/voice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/rand.h>

#include "engine/voice/calls.h"
#include "engine/voice/codec.h"
#include "engine/config.h"
#include "engine/phone/direct.h"
#include "engine/proto/inner.h"
#include "engine/voice/p2p.h"
#include "engine/phone/phone.h"
#include "engine/voice/rtp.h"
#include "engine/phone/tunnel.h"
#include "engine/phone/worker.h"
#include "engine/voice/emodel.h"
#include "engine/voice/rtpstats.h"

#define DRAIN_US VOICE_DRAIN_US
#define MAX_BURST 5u       /* packets sent at once when the loop fell behind */
#define MIN_SCORED 10u     /* a call shorter than this (packets) gets no MOS */
#define PROBE_BYTES 32u
#define P2P_SETTLE_US 200000u /* phone to phone: between one call's scoring and the next */

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
	struct rtpstats down;   /* reflector (or the peer) -> phone, as the phone receives it */
	struct rtpstats up;     /* phone -> reflector, as the reflector stamped it */
	/* phone to phone */
	struct p2p_board *board;  /* borrowed from the swarm; NULL: calls to a reflector */
	uint32_t peer;            /* the other end */
	uint32_t call_id;         /* this call's number, the same at both ends */
	uint64_t join_us;         /* from when both ends are in the call; 0: not yet */
	uint64_t first_k;         /* the first packet due at or after join_us */
	struct in_addr peer_addr; /* the other end's tunnel address */
};

static uint16_t port_of(uint32_t idx)
{
	return (uint16_t)(16384u + 2u * (idx % 8000u)); /* RTP: even ports */
}

uint16_t voice_port(const struct phone *p)
{
	return port_of(p->idx);
}

/*
 * The call after this one. Phone to phone, a function of the plan alone, as
 * both ends need, and not before both have scored this one (each at
 * DRAIN_US after its end, give or take how late its thread is), so that
 * neither end gets the next call's first packets while still on this one.
 */
static struct call next_call(struct voice *v, uint64_t now)
{
	if (v->board)
		return calls_next(&v->plan, v->call.end_us == UINT64_MAX
						    ? now
						    : v->call.end_us + DRAIN_US + P2P_SETTLE_US);
	return calls_next(&v->plan, now);
}

int voice_init(struct worker *w, struct phone *p)
{
	const struct swarm_config *cfg = w->cfg;
	struct p2p_board *board = w->fleet->p2p;
	uint32_t plan_of = p->idx;

	if (cfg->calls <= 0)
		return 0;
	if (board) {
		if (p2p_peer(p->idx, cfg->count) == P2P_NONE)
			return 0; /* the odd one out has nobody to call */
		plan_of = p->idx & ~1u; /* both ends of a pair, one plan */
	}
	p->voice = calloc(1, sizeof(*p->voice));
	if (!p->voice)
		return -ENOMEM;
	p->voice->codec = codec_find(cfg->codec);
	if (!p->voice->codec)
		return -EINVAL;
	p->voice->board = board;
	p->voice->peer = p2p_peer(p->idx, cfg->count);
	calls_init(&p->voice->plan, plan_of, cfg->mac_base, cfg->calls, cfg->call_duration_us);
	return 0;
}

void voice_free(struct phone *p)
{
	free(p->voice);
	p->voice = NULL;
}

static void start_call(struct phone *p, uint64_t now);
static void try_join(struct phone *p, uint64_t now);

void voice_up(struct worker *w, struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;

	if (!v)
		return;
	if (v->board) {
		/* the pair's plan, from the run's start; calls missed while down are skipped */
		if (!v->planned)
			v->call = calls_first_start(&v->plan, w->fleet->t0);
		v->planned = true;
		while (v->call.end_us <= now)
			v->call = next_call(v, now);
		if (v->state == V_IDLE && now >= v->call.start_us)
			start_call(p, now);
		/* in the call before the peer can see us, so that nothing it sends is missed */
		p2p_set_up(v->board, p->idx, p->tun_addr, now);
		if (v->state == V_SENDING)
			try_join(p, now);
		return;
	}
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
	if (v->board) {
		v->call_id = p2p_call_id(v->board, v->call.start_us);
		v->join_us = 0;
		v->first_k = 0;
	}
}

/*
 * Phone to phone: once both ends are up, the call is heard from the later
 * of its start and their up times; the packets due before are not sent.
 */
static void try_join(struct phone *p, uint64_t now)
{
	struct voice *v = p->voice;
	uint32_t ptime = (uint32_t)p->w->cfg->ptime_us;
	struct in_addr peer, me;
	uint64_t up_peer, up_me, join;

	if (v->join_us || !p2p_where(v->board, v->peer, &peer, &up_peer) ||
	    !p2p_where(v->board, p->idx, &me, &up_me))
		return;
	join = v->call.start_us;
	if (up_me > join)
		join = up_me;
	if (up_peer > join)
		join = up_peer;
	if (join >= v->call.end_us)
		return;
	v->join_us = join;
	v->peer_addr = peer;
	v->first_k = join > v->call.start_us ? rtp_due_count(v->call.start_us, ptime, join - 1) : 0;
	v->n_sent = v->first_k; /* those due since join_us go now */
	PTRACE(p, now, "VPNC: call %u %s phone %u at %s, heard from %.0f ms into the call", v->calls,
	       p2p_is_caller(p->idx) ? "to" : "from", v->peer, inet_ntoa(peer),
	       (double)(join - v->call.start_us) / 1e3);
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
	struct rtp_probe pr = {.phone = p->idx, .seq32 = (uint32_t)v->n_sent, .sent_us = now,
			       .call = v->board ? v->call_id : 0};
	struct in_addr dst = v->board ? v->peer_addr : cfg->voice_target.sin_addr;
	uint16_t dport = v->board ? port_of(v->peer) : ntohs(cfg->voice_target.sin_port);
	uint64_t due = rtp_due_us(v->start_us, v->n_sent, ptime);

	/* the probe needs 32 bytes: a smaller frame (G.729 at 20 ms) is padded up to it */
	if (plen < PROBE_BYTES)
		plen = PROBE_BYTES;
	int n = rtp_build(rtp, sizeof(rtp), &h, NULL, plen);
	if (n < 0 || rtp_probe_put(rtp + n - plen, plen, &pr) < 0)
		return;
	v->n_sent++;
	worker_sent_due(w, due);
	/* a packet lost to the phone's own full queue is lost upstream, like any other */
	STAT_ADD(w, rtp_sent, 1);
	if (cfg->voice_direct) {
		direct_send(w, p, rtp, (size_t)n); /* traffic.path = direct: no tunnel */
		return;
	}
	int m = inner_udp(pkt, sizeof(pkt), p->tun_addr, voice_port(p), dst, dport, rtp, (size_t)n);

	if (m > 0)
		tunnel_send_ip(w, p, pkt, (uint16_t)m, now);
}

/* A call scored: a MOS for it. */
static void count_mos(struct worker *w, double mos)
{
	uint64_t milli = (uint64_t)(mos * 1000 + 0.5);

	STAT_ADD(w, mos_milli_sum, milli);
	STAT_ADD(w, mos_calls, 1);
	if (5000 - milli > w->st.mos_worst_milli)
		STAT_ADD(w, mos_worst_milli, 5000 - milli - w->st.mos_worst_milli);
}

/* What this end received of the call: the receiving side's counters, rtp_received aside. */
static void count_received(struct worker *w, const struct voice *v)
{
	STAT_ADD(w, rtp_duplicates, v->down.duplicates);
	STAT_ADD(w, rtp_reordered, v->down.reordered);
	STAT_ADD(w, rtp_late, v->down.late);
}

/* R of one direction, as its listener hears it: delay includes the jitter buffer. */
static double direction_r(const struct voice *v, const struct swarm_config *cfg, double delay_us,
			  double lost_pct)
{
	return emodel_r(v->codec, delay_us / 1000 + (double)cfg->jitter_buffer_us / 1000.0, lost_pct,
			1.0);
}

/* The call is over and this phone scores it alone: the reflector told it about both ways. */
static void score_reflected(struct worker *w, struct phone *p, bool cut, uint64_t now)
{
	struct voice *v = p->voice;
	const struct swarm_config *cfg = w->cfg;
	uint64_t sent = v->n_sent, refl = v->max_refl;
	uint64_t got = v->down.received - v->down.duplicates;
	uint64_t up_lost = sent > refl ? sent - refl : 0;
	uint64_t down_lost = refl > got ? refl - got : 0;

	count_received(w, v);
	STAT_ADD(w, rtp_up_lost, up_lost);
	STAT_ADD(w, rtp_down_lost, down_lost);
	STAT_ADD(w, rtp_up_expected, sent);
	STAT_ADD(w, rtp_down_expected, refl);
	if (cut)
		STAT_ADD(w, calls_dropped, 1);
	else
		STAT_ADD(w, calls_completed, 1);
	if (got)
		worker_record(w, M_RTP_JITTER_DOWN, (uint64_t)rtpstats_jitter_us(&v->down));
	if (refl)
		worker_record(w, M_RTP_JITTER_UP, (uint64_t)rtpstats_jitter_us(&v->up));
	if (!cut && sent >= MIN_SCORED) {
		double down_pct = refl ? 100.0 * (double)(down_lost + v->down.late) / (double)refl : 100;
		double up_pct = 100.0 * (double)up_lost / (double)sent;
		double r_down = direction_r(v, cfg, rtpstats_delay_mean_us(&v->down), down_pct);
		double r_up = direction_r(v, cfg, rtpstats_delay_mean_us(&v->up), up_pct);
		double mos = emodel_mos(r_down < r_up ? r_down : r_up);

		count_mos(w, mos);
		PTRACE(p, now, "VPNC: call %u ends: %llu sent, lost %llu up / %llu down, jitter %.2f ms, "
			       "MOS %.2f",
		       v->calls, (unsigned long long)sent, (unsigned long long)up_lost,
		       (unsigned long long)down_lost, rtpstats_jitter_us(&v->down) / 1000, mos);
	} else if (cut) {
		PTRACE(p, now, "VPNC: call %u cut after %llu packets", v->calls,
		       (unsigned long long)sent);
	}
}

/*
 * One direction of a phone-to-phone call from its sender's and its
 * receiver's accounts: packets the sender sent while the receiver was there
 * (a receiver whose tunnel went down hears nothing after), lost, and R.
 */
struct direction {
	uint64_t sent, lost;
	double r;
};

static struct direction p2p_direction(const struct voice *v, const struct swarm_config *cfg,
				      const struct p2p_half *from, const struct p2p_half *to)
{
	struct direction d = {.sent = from->sent};

	if (to->cut_us && v->join_us) {
		uint64_t heard = rtp_due_count(v->call.start_us, (uint32_t)cfg->ptime_us, to->cut_us);

		heard = heard > v->first_k ? heard - v->first_k : 0;
		if (heard < d.sent)
			d.sent = heard;
	}
	d.lost = d.sent > to->received ? d.sent - to->received : 0;
	d.r = direction_r(v, cfg, (double)to->delay_us,
			  d.sent ? 100.0 * (double)(d.lost + to->late) / (double)d.sent : 100);
	return d;
}

/* Both ends have finished the call and this one was second: the call's figures, once. */
static void score_pair(struct worker *w, struct phone *p, const struct p2p_half *mine,
		       const struct p2p_half *peer, uint64_t now)
{
	struct voice *v = p->voice;
	bool caller = p2p_is_caller(p->idx);
	const struct p2p_half *a = caller ? mine : peer, *b = caller ? peer : mine;
	struct direction up = p2p_direction(v, w->cfg, a, b), down = p2p_direction(v, w->cfg, b, a);
	bool cut = a->cut_us || b->cut_us;

	if (!a->sent && !b->sent)
		return; /* never heard: the two ends were never up together */
	STAT_ADD(w, rtp_up_lost, up.lost);
	STAT_ADD(w, rtp_down_lost, down.lost);
	STAT_ADD(w, rtp_up_expected, up.sent);
	STAT_ADD(w, rtp_down_expected, down.sent);
	if (cut)
		STAT_ADD(w, calls_dropped, 1);
	else
		STAT_ADD(w, calls_completed, 1);
	if (!cut && up.sent >= MIN_SCORED && down.sent >= MIN_SCORED) {
		double mos = emodel_mos(up.r < down.r ? up.r : down.r);

		count_mos(w, mos);
		PTRACE(p, now, "VPNC: call %u with phone %u ends: lost %llu of %llu to the callee, "
			       "%llu of %llu to the caller, MOS %.2f",
		       v->calls, v->peer, (unsigned long long)up.lost, (unsigned long long)up.sent,
		       (unsigned long long)down.lost, (unsigned long long)down.sent, mos);
	} else if (cut) {
		PTRACE(p, now, "VPNC: call %u with phone %u cut", v->calls, v->peer);
	}
}

/* This end of a phone-to-phone call is over: its own figures, and the call's if it is second. */
static void finish_p2p(struct worker *w, struct phone *p, bool cut, uint64_t now)
{
	struct voice *v = p->voice;
	uint64_t got = v->down.received - v->down.duplicates;
	struct p2p_half mine = {
		.call = v->call_id,
		.sent = v->join_us && v->n_sent > v->first_k ? v->n_sent - v->first_k : 0,
		.received = got,
		.late = v->down.late,
		.delay_us = (int64_t)rtpstats_delay_mean_us(&v->down),
		.cut_us = cut ? now : 0,
	};
	struct p2p_half peer;

	count_received(w, v);
	if (got)
		worker_record(w, p2p_is_caller(p->idx) ? M_RTP_JITTER_DOWN : M_RTP_JITTER_UP,
			      (uint64_t)rtpstats_jitter_us(&v->down));
	PTRACE(p, now, "VPNC: call %u %s: %llu sent, %llu received, jitter %.2f ms", v->calls,
	       cut ? "cut" : "ends", (unsigned long long)mine.sent, (unsigned long long)got,
	       rtpstats_jitter_us(&v->down) / 1000);
	if (p2p_finish(v->board, p->idx, &mine, &peer))
		score_pair(w, p, &mine, &peer, now);
}

/* The call is over (done, or cut): its figures go to the worker; the next is planned. */
static void score_call(struct worker *w, struct phone *p, bool cut, uint64_t now)
{
	struct voice *v = p->voice;

	if (v->board)
		finish_p2p(w, p, cut, now);
	else
		score_reflected(w, p, cut, now);
	v->state = V_IDLE;
	v->call = next_call(v, now);
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
			v->call = next_call(v, now); /* missed while down */
		else
			start_call(p, now);
	}
	if (v->state == V_SENDING) {
		uint64_t until = now < v->call.end_us ? now : v->call.end_us;
		uint64_t due = rtp_due_count(v->start_us, ptime, until);
		unsigned burst = 0;

		if (v->board && !v->join_us)
			try_join(p, now);
		if (v->board && !v->join_us) {
			v->n_sent = due; /* nobody to hear them: not sent, not owed */
		} else {
			while (v->n_sent < due && burst++ < MAX_BURST)
				send_one(w, p, now);
			if (v->n_sent < due) {
				/* far behind (a stall): those packets were never sent */
				STAT_ADD(w, rtp_skipped, due - v->n_sent);
				v->n_sent = due;
			}
		}
		if (now >= v->call.end_us)
			v->state = V_DRAINING;
	}
	if (v->state == V_DRAINING && now >= v->call.end_us + DRAIN_US)
		score_call(w, p, false, now);
}

/*
 * One packet of the call's downstream into its statistics, and into rtp_received
 * at once when it is one not seen before (a duplicate is not; a sender's restart
 * can make the packet before it count too): the interval it arrives in shows it.
 */
static void count_packet(struct worker *w, struct rtpstats *down, const struct rtp_hdr *h,
			 uint64_t now, uint64_t sent_us)
{
	uint64_t distinct = down->received - down->duplicates;

	rtpstats_packet(down, h->seq, h->ts, now, sent_us);
	STAT_ADD(w, rtp_received, down->received - down->duplicates - distinct);
}

void voice_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now)
{
	struct voice *v = p->voice;
	struct rtp_hdr h;
	struct rtp_probe pr;
	const uint8_t *payload;
	size_t plen;

	if (!v || (v->state == V_IDLE && !v->board))
		return;
	if (rtp_parse(in->payload, in->payload_len, &h, &payload, &plen) ||
	    rtp_probe_get(payload, plen, &pr)) {
		STAT_ADD(w, rtp_stray, 1);
		return;
	}
	if (v->board && v->state == V_IDLE) {
		/*
		 * The peer's first packet of our next call, before our own thread
		 * got round to starting it: the call starts now, as a phone answers.
		 */
		if (!v->planned || pr.phone != v->peer || now < v->call.start_us ||
		    now >= v->call.end_us || pr.call != p2p_call_id(v->board, v->call.start_us))
			return;
		start_call(p, now);
		try_join(p, now);
	}
	if (v->board) {
		/* the peer's stream of this call; one-way delay on the one clock both ends share */
		if (pr.phone != v->peer || pr.call != v->call_id) {
			STAT_ADD(w, rtp_stray, 1);
			return;
		}
		count_packet(w, &v->down, &h, now, pr.sent_us);
		return;
	}
	if (pr.phone != p->idx || h.ssrc != v->ssrc) {
		STAT_ADD(w, rtp_stray, 1);
		return;
	}
	if (pr.sent_us && pr.sent_us <= now)
		worker_record(w, M_RTP_RTT, now - pr.sent_us);
	count_packet(w, &v->down, &h, now, pr.refl_rx_us);
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

	if (v && v->board)
		p2p_set_down(v->board, p->idx);
	if (v && v->state != V_IDLE)
		score_call(w, p, true, now);
}

/* An inner UDP packet for the phone: its calls take what comes to their RTP port. */
static bool take_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now)
{
	if (in->dport != voice_port(p))
		return false;
	voice_rx(w, p, in, now);
	return true;
}

const struct voice_hooks voice_hooks = {
	.up = voice_up,
	.next = voice_next,
	.tick = voice_tick,
	.rx = take_rx,
	.hangup = voice_hangup,
	.cut = voice_cut,
	.release = voice_free,
	.port = voice_port,
	.drain_us = VOICE_DRAIN_US,
};
