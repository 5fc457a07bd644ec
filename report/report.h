/*
 * report/report.h - what a run leaves behind: report.json and the summary.
 *
 * A struct run_result gathers the run's figures once the workers are done;
 * report_write_json() writes the public report.json (its fields are a
 * contract, see README) and report_print_summary() the human summary.
 */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/stats/stats.h"

struct hist;
struct jval;
struct swarm_config;
struct capacity_result;
struct refusals;

/* An event of the scenario's timeline, as it happened. */
struct run_event {
	char name[48];    /* the NAME of [event.NAME] */
	char action[24];  /* reset, exec, fetch, trust, dns, cut, lab... */
	double at_s;      /* when it fired, seconds since the first arrival; < 0: never */
	bool ok;          /* it was carried out (an exec exited 0, phones were told) */
	char detail[200]; /* what was done, or why it failed */
};

/* One line of [expect], judged at the end of the run. */
struct expect_result {
	char name[160];   /* the expectation as written ("tunnels_up >= 99.5%") */
	bool ok;          /* it held */
	char detail[200]; /* the measured value against the bound */
};

/* A run merged though it did not complete (phoneswarm merge --partial). */
struct run_incomplete {
	const char *run;	   /* borrowed: its directory, as given */
	const char *stopped_early; /* borrowed: how it ended ("SIGINT at 12.3 s of 60 s") */
};

struct run_result {
	const char *scenario;          /* path of the scenario file */
	const struct swarm_config *cfg;/* borrowed */
	struct stats st;               /* counters summed over workers */
	uint64_t peak_concurrent;      /* most tunnels up at once */
	const struct hist *lat[M__COUNT]; /* borrowed: merged histograms */
	double wall_s;                 /* from the first arrival to the end */
	const char *stopped_early;     /* borrowed: why the run ended before its duration
					  ("SIGINT at 12.3 s of 60 s"); NULL: it ran its course */
	double cpu_user_s, cpu_sys_s;  /* CPU of the run (set-up excluded) */
	uint64_t max_rss_kb;           /* peak resident memory of the process */
	uint64_t rss_base_kb;          /* resident before the phones existed */
	uint64_t rss_at_peak_kb;       /* resident when most tunnels were up */
	double cpu_to_peak_s;          /* CPU spent until the peak was reached */
	uint64_t tunnels_at_peak;      /* tunnels brought up by then */
	const struct run_event *events;     /* borrowed: the timeline, in firing order */
	int n_events;
	const struct expect_result *expects;/* borrowed: [expect], in file order */
	int n_expects;
	const struct capacity_result *capacity; /* borrowed; NULL: not a capacity search */
	const struct refusals *refusals; /* borrowed: the commonest refusals; NULL: not kept */
	uint32_t shard_index, shard_count; /* --shard i/N; count 0: not sharded */
	uint32_t merged_runs;           /* phoneswarm merge: how many runs; 0: a run */
	const uint32_t *shards_missing; /* borrowed: merge --partial: shards not merged */
	int n_shards_missing;
	const struct run_incomplete *incomplete; /* borrowed: merge --partial: runs stopped early */
	int n_incomplete;
	bool no_timeseries;             /* no timeseries.csv beside report.json (a merge without) */
};

/*
 * Write report.json to path. A merged report (merged_runs) always holds
 * shards_missing and runs_incomplete, empty when it is whole. 0, or -errno.
 */
int report_write_json(const struct run_result *r, const char *path);
/* The human summary. */
void report_print_summary(const struct run_result *r, const char *dir, FILE *out);
/* KiB of memory per connected phone at the peak, 0 if none were up. */
double report_kib_per_phone(const struct run_result *r);
/* CPU milliseconds per tunnel brought up (bring-up phase only), 0 if none. */
double report_cpu_ms_per_tunnel(const struct run_result *r);

/*
 * Adds the counters report.json doc holds to st (so that runs read one
 * after the other are summed): every counter of the table that report.json
 * writes, the failures by reason, and the MOS workings rebuilt from
 * mos_mean and mos_min (to a thousandth). Missing fields add nothing.
 */
void report_read_stats(const struct jval *doc, struct stats *st);

#endif
