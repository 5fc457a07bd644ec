/*
 * engine/stats/stats.h - what a worker counts, and the latency metrics.
 *
 * Each worker owns one struct stats and writes it alone; the main thread
 * reads the counters with relaxed atomic loads for the progress line, and
 * merges the histograms once the workers are done. Counters are 64-bit and
 * never wrap. The fields and the metrics are declared in
 * engine/stats/counters.def, with what each one is and where it is shown.
 */
#ifndef ENGINE_STATS_H
#define ENGINE_STATS_H

#include <stdint.h>

#include "engine/reason.h"

enum metric {
#define METRIC(id, ...) id,
#include "engine/stats/counters.def"
	M__COUNT
};

/* The metric's name ("time_to_tunnel"), as every output writes it; "?" if m is none. */
const char *metric_name(enum metric m);

struct stats {
#define STAT(field, ...) uint64_t field;
#include "engine/stats/counters.def"
	uint64_t failures[R__COUNT];  /* failure events, by reason (a COUNTER each) */
	uint64_t failed_by[R__COUNT]; /* phones down for good now, by the reason they failed
					 for (a GAUGE each) */
};

/*
 * Adds worker's counters into sum, each read with a relaxed atomic load
 * (the worker may be writing them): the largest of the MAX ones.
 */
void stats_add(struct stats *sum, const struct stats *worker);

/* out = what happened between then and now: COUNTERs' increase, the others as now. */
void stats_delta(struct stats *out, const struct stats *now, const struct stats *then);

#endif
