/*
 * engine/stats/stats.c - summing and differencing struct stats by the kind
 * counters.def gives each field, and the metrics' names (stats.h).
 */
#include "engine/stats/stats.h"

#include <string.h>

const char *metric_name(enum metric m)
{
	static const char *const names[M__COUNT] = {
#define METRIC(id, nm, ...) [id] = nm,
#include "engine/stats/counters.def"
	};

	return (unsigned)m < M__COUNT ? names[m] : "?";
}

#define LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)

void stats_add(struct stats *sum, const struct stats *worker)
{
	uint64_t v;

#define KIND_COUNTER(f) sum->f += LOAD(&worker->f);
#define KIND_GAUGE(f)	sum->f += LOAD(&worker->f);
#define KIND_MAX(f)                                                                                \
	v = LOAD(&worker->f);                                                                      \
	if (v > sum->f)                                                                            \
		sum->f = v;
#define STAT(field, kind, ...) KIND_##kind(field)
#include "engine/stats/counters.def"
#undef KIND_COUNTER
#undef KIND_GAUGE
#undef KIND_MAX
	for (int r = 0; r < R__COUNT; r++) {
		sum->failures[r] += LOAD(&worker->failures[r]);
		sum->failed_by[r] += LOAD(&worker->failed_by[r]);
	}
}

void stats_delta(struct stats *out, const struct stats *now, const struct stats *then)
{
#define KIND_COUNTER(f)	       out->f = now->f - then->f;
#define KIND_GAUGE(f)	       out->f = now->f;
#define KIND_MAX(f)	       out->f = now->f;
#define STAT(field, kind, ...) KIND_##kind(field)
#include "engine/stats/counters.def"
#undef KIND_COUNTER
#undef KIND_GAUGE
#undef KIND_MAX
	for (int r = 0; r < R__COUNT; r++) {
		out->failures[r] = now->failures[r] - then->failures[r];
		out->failed_by[r] = now->failed_by[r];
	}
}
