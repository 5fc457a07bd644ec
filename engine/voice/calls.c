/*
 * engine/voice/calls.c - call and idle periods of each phone (calls.h).
 */
#include "engine/voice/calls.h"

#include <math.h>

/* splitmix64 (Steele, Lea and Flood 2014; Vigna's reference constants). */
static uint64_t next64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static double uniform(uint64_t *state)
{
	return (double)(next64(state) >> 11) * 0x1.0p-53;
}

/* An exponential duration of mean mean_us, microseconds, rounded. */
static uint64_t expo(uint64_t *state, double mean_us)
{
	if (mean_us <= 0)
		return 0;
	return (uint64_t)llround(-mean_us * log1p(-uniform(state)));
}

void calls_init(struct call_plan *pl, uint32_t phone, uint64_t seed, double share,
		uint64_t mean_call_us)
{
	double p = share > 0 ? (share < 1 ? share : 1) : 0;

	/* two splitmix steps so that neighbouring phones and seeds start far apart */
	pl->rng = seed ^ ((uint64_t)phone * 0xd1b54a32d192ed03ull);
	pl->rng = next64(&pl->rng);
	pl->share = p;
	pl->mean_call_us = (double)mean_call_us;
	pl->mean_idle_us = p > 0 ? (double)mean_call_us * (1 - p) / p : INFINITY;
	pl->last_end_us = 0;
}

static struct call plan(struct call_plan *pl, uint64_t start_us)
{
	struct call c = {start_us, start_us + expo(&pl->rng, pl->mean_call_us)};

	pl->last_end_us = c.end_us;
	return c;
}

static const struct call never = {UINT64_MAX, UINT64_MAX};

struct call calls_first_start(struct call_plan *pl, uint64_t t0_us)
{
	if (pl->share <= 0)
		return never;
	/* in a call now: memoryless, so what is left of it is a whole call */
	if (uniform(&pl->rng) < pl->share)
		return plan(pl, t0_us);
	return plan(pl, t0_us + expo(&pl->rng, pl->mean_idle_us));
}

struct call calls_next(struct call_plan *pl, uint64_t now_us)
{
	uint64_t from = pl->last_end_us > now_us ? pl->last_end_us : now_us;

	if (pl->share <= 0)
		return never;
	return plan(pl, from + expo(&pl->rng, pl->mean_idle_us));
}
