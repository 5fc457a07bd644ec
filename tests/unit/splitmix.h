/*
 * tests/unit/splitmix.h - splitmix64, the fixed-seed generator of the unit
 * tests' random data (so a failure repeats): set rng_state, call rng_next().
 */
#ifndef TESTS_UNIT_SPLITMIX_H
#define TESTS_UNIT_SPLITMIX_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
