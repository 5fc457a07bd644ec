/*
 * engine/stats/clock.h - the one clock phoneswarm measures with.
 *
 * CLOCK_MONOTONIC in microseconds: every deadline, timestamp and latency in
 * the engine is a value of clock_us().
 */
#ifndef ENGINE_CLOCK_H
#define ENGINE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
