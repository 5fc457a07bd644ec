/*
 * loadgen/timeline_recovery.c - what followed each event: the time until
 * the tunnels up when it fired were up again, and the reconnect storm on
 * the way (timeline_internal.h; report.h's struct event_recovery).
 *
 * Every event that fires with tunnels up is followed at each tick (0.1 s):
 * the tunnels up then are its "before". It has hit the fleet once fewer
 * tunnels are up than before, or a tunnel dropped. What an event sets off
 * may act a second or two after it fires (a lab command starting on a busy
 * machine) while phones are still arriving, so an event that hits takes as
 * its before the most tunnels (and DTLS sessions) up at any tick from its
 * firing to the one before it hit; one never hit keeps those at its firing.
 * It is back at the first
 * tick after that with at least as many tunnels up as before and no phone
 * still bringing a lost tunnel back (the lost_now gauge: every phone that
 * lost its tunnel is back, or down for good), and its DTLS is back once as
 * many DTLS sessions are up as before too. Phones that arrive meanwhile
 * count among the tunnels up, but not among the phones still lost, so a
 * fleet refilled by arrivals while one of its phones is still trying is
 * not back. A drop that a later event caused counts for every event still
 * followed: each measures from its own moment. Following stops once both
 * are back, or at "end" (before the phones log out): an event never hit
 * says 0 s, one not back says how many tunnels were short.
 *
 * The storm: reconnection attempts begun, reconnections and failed
 * attempts, second by second from the event (RECOVERY_MAX_S of them kept),
 * until it is back; the busiest second is the peak.
 */
#include "loadgen/timeline_internal.h"

#include <stdlib.h>
#include <string.h>

static double rel_s(uint64_t from, uint64_t now)
{
	return now > from ? (double)(now - from) / 1e6 : 0.0;
}

void timeline_recovery_fire(struct timeline *t, int k, uint64_t now, const struct stats *s)
{
	struct follow *f = &t->rec.f[k];
	struct event_recovery *rec = &t->ev.ev[k].rec;

	memset(rec, 0, sizeof(*rec));
	rec->back_s = rec->dtls_back_s = -1;
	if (!s->up_now)
		return; /* nothing up to lose: not followed */
	free(f->storm);
	f->storm = calloc(RECOVERY_MAX_S, sizeof(*f->storm));
	f->fired = now;
	f->at = *s;
	f->last = *s;
	f->active = true;
	f->hit = false;
	rec->measured = true;
	rec->before = f->most = s->up_now;
	rec->dtls_before = f->dtls_most = s->dtls_now;
	rec->lowest = s->up_now;
	rec->per_s = (const uint64_t(*)[3])f->storm;
}

/* Follow event k one tick further. */
static void follow(struct timeline *t, int k, uint64_t now, const struct stats *s)
{
	struct follow *f = &t->rec.f[k];
	struct event_recovery *rec = &t->ev.ev[k].rec;
	uint64_t d[3] = {s->reconnect_attempts - f->last.reconnect_attempts,
			 s->reconnects - f->last.reconnects,
			 s->reconnect_failures - f->last.reconnect_failures};
	uint64_t sec = (now - f->fired) / 1000000u;

	f->last = *s;
	rec->attempts += d[0];
	rec->reconnects += d[1];
	rec->failures += d[2];
	if (f->storm && sec < RECOVERY_MAX_S) {
		for (int i = 0; i < 3; i++)
			f->storm[sec][i] += d[i];
		if ((int)sec >= rec->n_per_s)
			rec->n_per_s = (int)sec + 1;
		if (f->storm[sec][0] > rec->peak_attempts) {
			rec->peak_attempts = f->storm[sec][0];
			rec->peak_at_s = (double)sec;
		}
	}
	rec->dropped = s->tunnels_dropped - f->at.tunnels_dropped;
	if (rec->back_s < 0) {
		if (s->up_now < rec->lowest)
			rec->lowest = s->up_now;
		if (!f->hit && (s->up_now < f->most || rec->dropped)) {
			f->hit = true;
			rec->before = f->most;
			rec->dtls_before = f->dtls_most;
		} else if (!f->hit) {
			f->most = s->up_now;
			if (s->dtls_now > f->dtls_most)
				f->dtls_most = s->dtls_now;
		}
		if (f->hit && !s->lost_now && s->up_now >= rec->before)
			rec->back_s = rel_s(f->fired, now);
	}
	if (rec->back_s >= 0 && rec->dtls_back_s < 0 && s->dtls_now >= rec->dtls_before)
		rec->dtls_back_s = rel_s(f->fired, now);
	if (rec->back_s >= 0 && rec->dtls_back_s >= 0)
		f->active = false;
}

void timeline_recovery_step(struct timeline *t, uint64_t now, const struct stats *s)
{
	for (int k = 0; k < t->ev.n_fired; k++)
		if (t->rec.f[k].active)
			follow(t, k, now, s);
}

void timeline_recovery_end(struct timeline *t, uint64_t now, const struct stats *s)
{
	for (int k = 0; k < t->ev.n_fired; k++) {
		struct follow *f = &t->rec.f[k];
		struct event_recovery *rec = &t->ev.ev[k].rec;

		if (!f->active)
			continue;
		follow(t, k, now, s);
		f->active = false;
		if (!f->hit) {
			rec->back_s = rec->dtls_back_s = 0; /* never hit */
			continue;
		}
		if (rec->back_s < 0)
			rec->short_at_end = rec->before > s->up_now ? rec->before - s->up_now : 0;
	}
}

void timeline_recovery_free(struct timeline *t)
{
	for (int k = 0; k < TIMELINE_MAX_EVENTS; k++)
		free(t->rec.f[k].storm);
}
