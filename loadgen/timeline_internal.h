/*
 * loadgen/timeline_internal.h - what the parts of a run's timeline share.
 *
 * The timeline (timeline.h) is written in six files, each owning a part
 * of struct timeline:
 *   timeline.c          the loop: time, intervals, stopping early, progress
 *   timeline_events.c   the events: when each is due, firing it, the exec
 *                       and lab commands' child processes (struct tl_events)
 *   timeline_windows.c  the expectations' windows and the verdict
 *                       (struct tl_windows)
 *   timeline_outputs.c  timeseries.csv, latency.hlog, failures.csv, the
 *                       checkpoints of report.json, /metrics' body and the
 *                       run's result (struct tl_outputs)
 *   timeline_capacity.c a capacity search: when to stop the arrivals, and
 *                       what it found (struct tl_capacity)
 *   timeline_recovery.c what followed each event: the time until the
 *                       tunnels were back, the reconnect storm (struct
 *                       tl_recovery)
 * Nothing outside them includes this: the interface is timeline.h.
 */
#ifndef LOADGEN_TIMELINE_INTERNAL_H
#define LOADGEN_TIMELINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "engine/phone/failure.h"
#include "engine/stats/stats.h"
#include "loadgen/event.h"
#include "loadgen/timeline.h"
#include "report/capacity.h"
#include "report/refusals.h"
#include "report/expect.h"
#include "report/report.h"

#define NO_TIME UINT64_MAX

/* An exec or lab event's command, running. */
struct child {
	pid_t pid; /* 0: none running */
	uint64_t started, deadline;
};

/* timeline_events.c: when each event fired, and what came of it. */
struct tl_events {
	uint64_t fired[TIMELINE_MAX_EVENTS]; /* when each event fired; NO_TIME: not yet */
	struct child child[TIMELINE_MAX_EVENTS];
	struct run_event ev[TIMELINE_MAX_EVENTS]; /* as they happened, in firing order */
	int n_fired;
};

/* A window of expectations: from one point to another. */
struct window {
	char from[EXPECT_POINT_MAX], to[EXPECT_POINT_MAX];
	bool open, closed;
	struct stats at_open, st;   /* st: the window's figures once closed */
	struct hist *lat[M__COUNT]; /* owned */
	uint64_t up_min, peak;
};

/* timeline_windows.c: the windows, and the verdict on every expectation. */
struct tl_windows {
	struct window win[TIMELINE_MAX_EXPECTS];
	int n_win;
	uint64_t up_min_after_ramp; /* fewest tunnels up from the last arrival to "end" */
	bool at_end;		    /* the interval being taken is the one "end" closes */
	struct expect_result ex[TIMELINE_MAX_EXPECTS + TIMELINE_MAX_EVENTS + 2];
	int n_ex, n_failed;
};

/* timeline_outputs.c: the files written as the run goes. */
struct tl_outputs {
	FILE *csv;		  /* timeseries.csv; NULL once writing it failed */
	struct hdrlog *hlog;	  /* latency.hlog, the intervals' histograms; likewise */
	FILE *fcsv;		  /* failures.csv; likewise */
	int err;		  /* the first output that failed: -errno; 0: none */
	struct refusals refusals; /* the run's commonest refusals, for report.json */
	uint64_t next_checkpoint; /* when to rewrite report.json; NO_TIME: at the end only */
	char checkpoint_note[64]; /* a checkpoint's "still running at ..." */
};

/* timeline_capacity.c: a capacity search. */
struct tl_capacity {
	struct capacity_result res;
	uint64_t refused_total;	       /* phones the headend refused so far */
	uint64_t stop_at;	       /* the search is done then; 0: not yet stopped */
	struct failure_rec first_fail; /* the run's first failure, as failures.csv has it */
	bool have_first_fail;
};

/* timeline_recovery.c: event k of tl_events' list, followed after it fired. */
struct follow {
	uint64_t fired;		/* when it fired */
	struct stats at, last;	/* the counters then, and at the last tick */
	uint64_t (*storm)[3];	/* owned: RECOVERY_MAX_S seconds of attempts, back, failed */
	bool active;		/* still followed */
	bool hit;		/* fewer tunnels up than before, or one dropped, since */
	uint64_t most, dtls_most; /* till hit: the most tunnels (DTLS sessions) up since */
};

struct tl_recovery {
	struct follow f[TIMELINE_MAX_EVENTS];
};

struct timeline {
	struct swarm *sw;
	const struct swarm_config *cfg;
	const struct timeline_spec *spec;
	struct timeline_opts o;

	uint64_t t0, t_ramp_end, t_end; /* the first arrival, the last, "end" */
	double t0_epoch_s;		/* the first arrival, seconds since the Epoch (UTC) */
	bool ended;			/* "end" has passed */

	/* the interval under way */
	uint64_t ival_start, next_cut;
	struct hist *ival[M__COUNT]; /* owned: its histograms */
	struct stats prev;	     /* the counters at its start */
	struct rusage ru_prev;
	char ival_events[512]; /* the events fired in it, '|'-joined */

	/* the whole run */
	uint64_t peak, rss_peak, up_at_peak;
	struct rusage ru0, ru_peak;

	/* stopping early */
	int stop_sig;	   /* the signal that stopped the run; 0: none */
	char stopped[160]; /* why the run stopped before its end; "": it did not */

	/* the progress line */
	bool tty;
	uint64_t next_line;
	double last_tps;      /* tunnels per second over the last interval */
	uint64_t last_p99_us; /* its time-to-tunnel p99; 0: no sample */

	struct tl_events ev;
	struct tl_windows win;
	struct tl_outputs out;
	struct tl_capacity cap;
	struct tl_recovery rec;
};

/* ==== timeline.c ==== */

/* Seconds from the first arrival to at (0 before it). */
double timeline_rel_s(const struct timeline *t, uint64_t at);
/* Seconds of a struct timeval. */
double timeline_tv_s(struct timeval tv);
/*
 * Tell the phones to disconnect now, the run cut short by why ("SIGINT",
 * "timeseries.csv: No space left on device"); the first reason is kept.
 */
void timeline_stop_early(struct timeline *t, const char *why);

/* ==== timeline_events.c ==== */

/* Has point passed: "start", "end", or an event that fired? */
bool timeline_point_passed(const struct timeline *t, const char *point);
/* The next event due, for the progress line: its index and *when, or -1. */
int timeline_events_next(const struct timeline *t, uint64_t *when);
/* When event i is due, or NO_TIME while its anchor has not fired (or it has fired). */
uint64_t timeline_events_due(const struct timeline *t, int i);
/* Fire event i now: phones told, a command started, or a mark. */
void timeline_events_fire(struct timeline *t, int i, uint64_t now);
/* Children that ended or ran out of time (all: every one still running is killed). */
void timeline_events_reap(struct timeline *t, bool all);
/* At the end: the events that never fired join the list, at_s < 0. */
void timeline_events_unfired(struct timeline *t);

/* ==== timeline_windows.c ==== */

/* One window per distinct FROM..TO of the expectations. 0, or -ENOMEM. */
int timeline_windows_new(struct timeline *t);
void timeline_windows_free(struct timeline *t);
/* An interval closed with the counters s: the open windows take its histograms and lows. */
void timeline_windows_take(struct timeline *t, uint64_t now, const struct stats *s);
/* Windows open or close at this point (s: the counters now). */
void timeline_windows_step(struct timeline *t, const struct stats *s);
/* The verdict on every expectation, and the implicit ones (events, the whole duration). */
void timeline_windows_judge(struct timeline *t, const struct stats *final,
			    const struct run_result *res);

/* ==== timeline_outputs.c ==== */

/* Creates timeseries.csv and failures.csv; a failure stops the run. */
void timeline_outputs_open(struct timeline *t);
/* Creates latency.hlog, its StartTime the first arrival's wall-clock time (t0 has come). */
void timeline_outputs_open_hlog(struct timeline *t);
/* The interval ending now: its row of timeseries.csv and its histograms in latency.hlog. */
void timeline_outputs_interval(struct timeline *t, uint64_t now, const struct stats *s,
			       const struct rusage *ru);
/* The failure records the workers queued, to failures.csv. */
void timeline_outputs_drain_failures(struct timeline *t);
/* report.json rewritten when a checkpoint is due (res filled as it stands). */
void timeline_outputs_checkpoint(struct timeline *t, uint64_t now, const struct stats *s,
				 struct run_result *res);
/* The body of /metrics (a metrics_poll() callback; arg is the timeline). */
int timeline_outputs_metrics(FILE *out, void *arg);
/* The last failure records; failures.csv closed, and what the queues lost said. */
void timeline_outputs_last_failures(struct timeline *t);
/* timeseries.csv flushed, latency.hlog closed. */
void timeline_outputs_close(struct timeline *t);
/* res filled with the run as it stands (counters s). */
void timeline_outputs_result(struct timeline *t, const struct stats *s, struct run_result *res);
/*
 * Output file (its name in the run directory) failed with err (-errno):
 * said once on stderr, and before "end" the run stops, since it would go
 * on unrecorded. timeline_run() then returns the error.
 */
void timeline_outputs_failed(struct timeline *t, const char *file, int err);

/* ==== timeline_capacity.c ==== */

/* After an interval of a capacity search: stop the arrivals when a condition holds. */
void timeline_capacity_step(struct timeline *t, uint64_t now, const struct stats *s,
			    const struct rusage *ru);
/* The search's result as it stands, into res->capacity. */
void timeline_capacity_result(struct timeline *t, struct run_result *res);

/* ==== timeline_recovery.c ==== */

/* Event k (of tl_events' list) fired now with the counters s: follow it if tunnels are up. */
void timeline_recovery_fire(struct timeline *t, int k, uint64_t now, const struct stats *s);
/* A tick: every event still followed takes the counters s. */
void timeline_recovery_step(struct timeline *t, uint64_t now, const struct stats *s);
/* "end" has come (the phones not yet logged out): every event still followed is settled. */
void timeline_recovery_end(struct timeline *t, uint64_t now, const struct stats *s);
void timeline_recovery_free(struct timeline *t);

#endif
