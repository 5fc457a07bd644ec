/*
 * report/capacity.h - the capacity search: when to stop raising the load,
 * and which limit of the headend was hit.
 *
 * With a [capacity] section the load rises (ramp.mode linear or step) and
 * after every interval the timeline asks capacity_check() whether a stop
 * condition holds: too many of the interval's arrivals refused, time to
 * tunnel p99 above a bound, or enough phones refused in all. It then stops
 * arrivals, and capacity_limit() names the limit from how phones failed.
 * Pure functions: no clock, no I/O.
 */
#ifndef REPORT_CAPACITY_H
#define REPORT_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/reason.h"
#include "engine/stats/stats.h"

struct swarm_config;

enum cap_stop { CAP_NONE, CAP_FAILURES, CAP_P99, CAP_REFUSALS };

/* One interval, as the check sees it. */
struct cap_interval {
	uint64_t arrivals;       /* phones that began connecting */
	uint64_t refused;        /* failures of those reasons the headend causes */
	uint64_t ttt_count, ttt_p99_us;
	uint64_t refused_total;  /* since the start */
};

/* What the search found, for report.json and the summary. */
struct capacity_result {
	bool stopped;            /* a stop condition held (else the fleet ran out first) */
	enum cap_stop why;
	double at_s;             /* when, since the first arrival */
	uint64_t held_concurrent;/* most tunnels up at once before the stop */
	double held_rate;        /* arrival rate (phones/s) then */
	enum reason reason;      /* how most refused phones failed */
	char limit[360];         /* which limit that points at, and the headend's words */
	char first[560];         /* the first refused phone, as it saw it */
};

/* Is this failure reason the headend refusing a phone (not the phone's own check)? */
bool capacity_refusal(enum reason r);
/* Failures the headend caused between two snapshots, and the commonest reason. */
uint64_t capacity_refused(const struct stats *now, const struct stats *then, enum reason *top);
enum cap_stop capacity_check(const struct swarm_config *cfg, const struct cap_interval *iv);
/*
 * Name the limit: from the stop, the commonest refusal, and phoneswarm's CPU
 * (percent of one core, with ncpu cores) over the last interval; said, when
 * neither NULL nor "", is what the headend said with its commonest refusal
 * ("X-Reason \"...\"", report/refusals.h), quoted after the limit: only its
 * words can tell a licence from an address pool.
 */
void capacity_limit(struct capacity_result *r, double cpu_pct, unsigned ncpu, const char *said);
const char *capacity_stop_name(enum cap_stop s);

#endif
