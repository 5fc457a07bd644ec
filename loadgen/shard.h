/*
 * loadgen/shard.h - one shard of a fleet split over several machines
 * (phoneswarm run --shard i/N).
 *
 * The scenario describes the whole fleet; shard i of N runs its slice of it:
 * the phones [i*count/N, (i+1)*count/N) with their own MACs and identities
 * (as the unsplit run would give them), their own slice of phones.source,
 * and ramp.rate / N, so that N shards started together arrive at the
 * scenario's rate and never share a MAC, a certificate CN or a source
 * address. Pure functions of the config.
 */
#ifndef LOADGEN_SHARD_H
#define LOADGEN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"

#define SHARD_MAX 10000

struct shard {
	uint32_t index; /* 0..count-1 */
	uint32_t count; /* N; 0 when the run is not sharded */
};

/* Parses "i/N" (0 <= i < N <= SHARD_MAX). 0, or -1 with a one-line reason in why. */
int shard_parse(const char *text, struct shard *sh, char *why, size_t whylen);

/*
 * Turns cfg (the whole fleet) into shard sh's part of it: phones.count,
 * phones.mac_base, index_base, phones.source (a new array; the old one is
 * freed) and ramp.rate. 0, or -1 with a reason in why, cfg unchanged: fewer
 * phones, or fewer source addresses, than shards (some shard would have none).
 */
int shard_apply(struct swarm_config *cfg, const struct shard *sh, char *why, size_t whylen);

#endif
