/*
 * loadgen/timeline.h - a run as time goes by: intervals, events, windows.
 *
 * While the swarm runs, the timeline wakes every 100 ms: it fires the
 * scenario's events when they are due (phone actions through the swarm,
 * exec and lab commands as child processes), closes an interval every
 * run.interval (and at every event, so that windows between events are
 * exact), writes its row of timeseries.csv, checkpoints report.json, and
 * shows progress on stderr. At the end it judges the expectations.
 */
#ifndef LOADGEN_TIMELINE_H
#define LOADGEN_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "report/report.h"

struct swarm;
struct swarm_config;
struct timeline_spec;
struct metrics;

struct timeline_opts {
	const char *dir;        /* the run directory */
	const char *scenario;   /* its path, for the report */
	bool quiet;             /* no progress on stderr */
	uint64_t interval_us;   /* one row of timeseries.csv per interval */
	uint64_t checkpoint_us; /* rewrite report.json this often; 0 = only at the end */
	struct metrics *metrics; /* /metrics served while waiting; NULL = none */
};

/*
 * Watch sw from swarm_start() until every worker has finished, then fill
 * res (events, expectations, peak, resources; res->lat from the swarm).
 * *interrupted is polled: the number of a signal that asks the phones to
 * stop (^C, SIGTERM), 0 for none; before "end" that stops the run early
 * (res->stopped_early, and a failed expectation "run completed its
 * duration"). Returns 0, or -errno when an output file cannot be written
 * (message on stderr; the run is stopped early then too, and res is still
 * filled). The result's events and expectations live until timeline_free().
 */
struct timeline;
struct timeline *timeline_new(struct swarm *sw, const struct swarm_config *cfg,
			      const struct timeline_spec *spec, const struct timeline_opts *o);
int timeline_run(struct timeline *t, volatile int *interrupted, struct run_result *res);
/* How many expectations failed (events not carried out count as failed). */
int timeline_failed(const struct timeline *t);
void timeline_free(struct timeline *t);

#endif
