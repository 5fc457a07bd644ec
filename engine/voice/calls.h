/*
 * engine/voice/calls.h - when each phone is in a call, as a pure function of
 * its index.
 *
 * A scenario says what share p of the phones is in a call at any moment
 * and how long a call lasts on average (D). Each phone alternates idle
 * gaps and calls, both exponentially distributed: calls of mean D, gaps of
 * mean D (1 - p) / p, so a phone is in a call p of the time. The first
 * period starts in the stationary state: at t0 a phone is already in a
 * call (starting at t0) with probability p, or else its first call comes
 * after an idle gap; the swarm is at p from the start instead of ramping.
 *
 * The random numbers are a splitmix64 sequence seeded by the run seed and
 * the phone index: the same seed, phone and call number give the same
 * plan on any machine, whatever order phones are planned in. The plan is
 * embedded in the phone; nothing here allocates.
 */
#ifndef ENGINE_CALLS_H
#define ENGINE_CALLS_H

#include <stdint.h>

/* One call: [start_us, end_us), microseconds. Both UINT64_MAX: never. */
struct call {
	uint64_t start_us;
	uint64_t end_us;
};

struct call_plan {
	uint64_t rng;	      /* splitmix64 state */
	double share;	      /* p, fraction of the time in a call, 0..1 */
	double mean_call_us;  /* D, microseconds */
	double mean_idle_us;  /* D (1 - p) / p, microseconds */
	uint64_t last_end_us; /* end of the last call planned, microseconds */
};

/*
 * Plan phone `phone` of a run seeded `seed`: share p of the time in calls
 * (clamped to 0..1) of mean_call_us microseconds on average (> 0).
 */
void calls_init(struct call_plan *pl, uint32_t phone, uint64_t seed, double share,
		uint64_t mean_call_us);

/*
 * The phone's first call when the plan starts at t0_us (the phone is up):
 * with probability p it starts at t0_us (in a call from the start), else
 * after an idle gap. A call of p = 1 starts at t0_us; with p = 0 there is
 * none ({UINT64_MAX, UINT64_MAX}).
 */
struct call calls_first_start(struct call_plan *pl, uint64_t t0_us);

/*
 * The call after the last one planned: an idle gap after the later of that
 * call's end and now_us (a phone that could not hold its call or came back
 * late is not owed calls), then a call. With p = 1 the gap is 0: back to
 * back calls. With p = 0, none.
 */
struct call calls_next(struct call_plan *pl, uint64_t now_us);

#endif
