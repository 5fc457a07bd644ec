/*
 * loadgen/shard.c - one shard of a fleet (shard.h).
 */
#include "loadgen/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/value.h"

int shard_parse(const char *text, struct shard *sh, char *why, size_t whylen)
{
	const char *slash = strchr(text, '/');
	char idx[16];
	uint64_t i, n;

	if (!slash || (size_t)(slash - text) >= sizeof(idx)) {
		snprintf(why, whylen, "--shard %s: expected i/N (0/4 is the first of 4)", text);
		return -1;
	}
	memcpy(idx, text, (size_t)(slash - text));
	idx[slash - text] = '\0';
	if (value_uint(slash + 1, 1, SHARD_MAX, &n) || value_uint(idx, 0, UINT32_MAX, &i)) {
		snprintf(why, whylen, "--shard %s: expected i/N, whole numbers, N from 1 to %d",
			 text, SHARD_MAX);
		return -1;
	}
	if (i >= n) {
		snprintf(why, whylen, "--shard %s: i counts from 0 to N-1", text);
		return -1;
	}
	sh->index = (uint32_t)i;
	sh->count = (uint32_t)n;
	return 0;
}

/* The slice [lo, hi) of total for shard sh. */
static void slice(uint64_t total, const struct shard *sh, uint64_t *lo, uint64_t *hi)
{
	*lo = total * sh->index / sh->count;
	*hi = total * (sh->index + 1) / sh->count;
}

int shard_apply(struct swarm_config *cfg, const struct shard *sh, char *why, size_t whylen)
{
	uint64_t lo, hi, slo = 0, shi = 0;
	uint32_t *src = NULL;

	if (!sh->count)
		return 0;
	/* every shard refuses what would leave any of them empty-handed */
	if (cfg->count < sh->count) {
		snprintf(why, whylen, "--shard %u/%u: %u phones cannot make %u shards", sh->index,
			 sh->count, cfg->count, sh->count);
		return -1;
	}
	slice(cfg->count, sh, &lo, &hi);
	if (cfg->n_source) {
		slice(cfg->n_source, sh, &slo, &shi);
		if (cfg->n_source < sh->count) {
			snprintf(why, whylen,
				 "--shard %u/%u: phones.source has %u addresses, fewer than the "
				 "%u shards: each needs its own",
				 sh->index, sh->count, cfg->n_source, sh->count);
			return -1;
		}
		src = malloc((shi - slo) * sizeof(*src));
		if (!src) {
			snprintf(why, whylen, "--shard: out of memory");
			return -1;
		}
		memcpy(src, cfg->source + slo, (shi - slo) * sizeof(*src));
		free(cfg->source);
		cfg->source = src;
		cfg->n_source = (uint32_t)(shi - slo);
	}
	cfg->count = (uint32_t)(hi - lo);
	cfg->mac_base += lo;
	cfg->index_base += (uint32_t)lo;
	cfg->rate /= sh->count;
	return 0;
}
