/*
 * loadgen/timeline_capacity.c - a capacity search as the run goes
 * (timeline_internal.h).
 *
 * After each interval the search's stop conditions are checked on what
 * the interval saw (report/capacity.c: failures among its arrivals, its
 * time-to-tunnel p99, the phones refused so far); when one holds, the
 * arrivals stop, the load reached is noted with the limit it points at,
 * and the phones up are held a while (capacity_hold) before the run ends.
 * A search that never stopped ran out of phones: its result says so. The
 * run's first failure, as failures.csv has it, is the search's first
 * refusal.
 */
#include "loadgen/timeline_internal.h"

#include <stdio.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/stats/hist.h"
#include "engine/swarm/swarm.h"
#include "engine/trust/identity.h"

/* The arrival rate in effect at time at (linear ramps climb). */
static double rate_at(const struct timeline *t, uint64_t at)
{
	const struct ramp_spec *r = &t->cfg->ramp;
	double x;

	if (r->mode != RAMP_LINEAR || !r->ramp_us)
		return t->cfg->rate;
	x = (double)(at > t->t0 ? at - t->t0 : 0) / (double)r->ramp_us;
	return t->cfg->rate + (r->rate_max - t->cfg->rate) * (x > 1 ? 1 : x);
}

void timeline_capacity_step(struct timeline *t, uint64_t now, const struct stats *s,
			    const struct rusage *ru)
{
	struct capacity_result *c = &t->cap.res;
	enum reason top;
	uint64_t refused = capacity_refused(s, &t->prev, &top);
	const struct hist *ttt = t->ival[M_TIME_TO_TUNNEL];
	struct cap_interval iv;
	double len = (double)(now - t->ival_start) / 1e6;
	double cpu = timeline_tv_s(ru->ru_utime) - timeline_tv_s(t->ru_prev.ru_utime) +
		     timeline_tv_s(ru->ru_stime) - timeline_tv_s(t->ru_prev.ru_stime);

	t->cap.refused_total += refused;
	iv = (struct cap_interval){
	    .arrivals = s->attempted - t->prev.attempted,
	    .refused = refused,
	    .ttt_count = hist_count(ttt),
	    .ttt_p99_us = hist_percentile(ttt, 99),
	    .refused_total = t->cap.refused_total,
	};
	enum cap_stop why = capacity_check(t->cfg, &iv);
	if (why == CAP_NONE)
		return;
	swarm_stop_arrivals(t->sw);
	c->stopped = true;
	c->why = why;
	c->at_s = timeline_rel_s(t, now);
	c->held_concurrent = t->peak;
	c->held_rate = rate_at(t, t->ival_start);
	c->reason = refused ? top : R_NONE;
	char said[FAILURE_DETAIL];

	timeline_outputs_drain_failures(t); /* the interval's refusals, with their words */
	refusals_words(&t->out.refusals, c->reason, said, sizeof(said));
	capacity_limit(c, len > 0 ? 100.0 * cpu / len : 0, (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
		       said);
	t->cap.stop_at = now + t->cfg->capacity_hold_us;
	if (!t->o.quiet)
		fprintf(stderr,
			"%sphoneswarm: [%7.1fs] capacity: %s; %llu phones up held; "
			"arrivals stopped, holding %.0f s\n",
			t->tty ? "\r\033[K" : "", c->at_s, capacity_stop_name(why),
			(unsigned long long)c->held_concurrent,
			(double)t->cfg->capacity_hold_us / 1e6);
}

void timeline_capacity_result(struct timeline *t, struct run_result *res)
{
	struct capacity_result *c = &t->cap.res;

	if (!c->stopped) {
		c->held_concurrent = t->peak;
		c->held_rate = rate_at(t, t->t_ramp_end);
		snprintf(c->limit, sizeof(c->limit),
			 "none reached: the fleet "
			 "(phones.count) ran out first; raise phones.count");
	}
	if (t->cap.have_first_fail) {
		const struct failure_rec *f = &t->cap.first_fail;
		char cn[64];

		identity_cn(cn, sizeof(cn), f->model, f->mac);
		snprintf(c->first, sizeof(c->first),
			 "phone %u failed %.1f s into the run in phase %s: %s: %s; its "
			 "console log: trace/%s.log",
			 f->phone, timeline_rel_s(t, f->t_us),
			 failure_phase_name((enum fail_phase)f->phase),
			 reason_name((enum reason)f->reason), f->detail, cn);
	}
	res->capacity = c;
}
