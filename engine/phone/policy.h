/*
 * engine/phone/policy.h - the phone's timing decisions, as pure functions.
 *
 * Arrivals, keepalive and dead-peer detection take times in microseconds
 * and return what to do and when to look again. No sockets, no state of
 * their own: tests/unit/test_policy.c drives them with made-up clocks.
 */
#ifndef ENGINE_POLICY_H
#define ENGINE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/command.h" /* struct phone_sel */
#include "engine/config.h"  /* struct ramp_spec, enum reconnect_policy */

/* When phone i of an open-loop ramp is due: t0 + i/rate seconds. */
uint64_t policy_arrival_us(uint64_t t0_us, uint64_t i, double rate_per_s);

/* When phone i (from 0) arrives under r. */
uint64_t policy_ramp_arrival_us(uint64_t t0_us, uint64_t i, const struct ramp_spec *r);

/* Liveness of one channel (CSTP or DTLS), OpenConnect's semantics. */
struct liveness {
	uint64_t last_rx_us;   /* last packet of any type received */
	uint64_t last_tx_us;   /* last packet of any type sent */
	uint64_t dpd_sent_us;  /* our outstanding DPD request, 0 if none */
	uint32_t dpd_s;        /* X-*-DPD, seconds; 0 = off */
	uint32_t keepalive_s;  /* X-*-Keepalive, seconds; 0 = off */
};

enum live_action {
	LIVE_NONE,      /* nothing to do yet */
	LIVE_KEEPALIVE, /* nothing sent for keepalive_s: send a keepalive */
	LIVE_DPD,       /* nothing received for dpd_s: send a DPD request */
	LIVE_DEAD,      /* nothing received for 2 x dpd_s: the peer is gone */
};

/*
 * What the channel should do at now_us, and in *next_us the time it should
 * be asked again (UINT64_MAX if never). DEAD wins over DPD over KEEPALIVE.
 * A DPD is repeated every dpd_s/2 while unanswered.
 */
enum live_action policy_liveness(const struct liveness *l, uint64_t now_us, uint64_t *next_us);

/*
 * How long a phone waits before reconnect attempt n (0 for the first):
 * step, then 2 x step, ... up to 10 x step (OpenConnect: 10 s, +10 s each
 * time, at most 100 s).
 */
uint64_t policy_backoff_us(unsigned attempt, uint64_t step_us);

/*
 * After a tunnel loss, whether the phone comes back (as enum reconnect_policy
 * p says); by_headend: the headend sent DISCONNECT.
 */
bool policy_reconnect(enum reconnect_policy p, bool by_headend);

/*
 * The headend's rekey timer (X-CSTP-Rekey-Time and -Method, or their
 * X-DTLS- twins), counted from since_us: the tunnel's bring-up or its last
 * rekey, as openconnect counts it.
 */
enum rekey_action {
	REKEY_NONE,	  /* no rekey asked (method none, or time 0) */
	REKEY_SSL,	  /* "ssl": a new handshake on the same connection */
	REKEY_NEW_TUNNEL, /* "new-tunnel": a new connection, CONNECT with the same cookie */
};

/*
 * What to do at now_us under a rekey of method every rekey_s seconds since
 * since_us: method when it is due, else REKEY_NONE; *next_us the time to
 * ask again (UINT64_MAX: never).
 */
enum rekey_action policy_rekey(enum rekey_action method, uint32_t rekey_s, uint64_t since_us,
			       uint64_t now_us, uint64_t *next_us);

/*
 * Was a session the headend ended at end_us ended for idleness? Yes when it
 * gave an idle timeout (X-CSTP-Idle-Timeout, idle_s > 0) and the phone had
 * sent it no data (keepalives and DPD do not count) for at least that long,
 * less a second for the two clocks: a headend cannot have timed a session
 * out before its idle time ran. last_data_us is the last data the phone
 * sent through the tunnel, or its bring-up when it sent none.
 */
bool policy_idle_end(uint32_t idle_s, uint64_t last_data_us, uint64_t end_us);

/* Whether phone idx is one of those s selects (struct phone_sel, engine/command.h). */
bool policy_selected(const struct phone_sel *s, uint32_t idx);

/* When, within [0, spread_us), phone idx carries out a spread action: a
 * low-discrepancy point, so the phones of any stretch are spread out too. */
uint64_t policy_spread_us(uint32_t idx, uint64_t spread_us);

#endif
