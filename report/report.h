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

/*
 * What followed an event that fired with tunnels up: how long until as many
 * tunnels were up again with every phone that lost its tunnel meanwhile
 * back (loadgen/timeline_recovery.c), and the reconnect storm on the way.
 */
#define RECOVERY_MAX_S 600 /* seconds of the storm kept second by second */

struct event_recovery {
	bool measured;		      /* it fired with tunnels up, and was followed */
	uint64_t before, dtls_before; /* tunnels and DTLS sessions up when it fired */
	uint64_t dropped;	      /* tunnels lost from it until back (or "end") */
	uint64_t lowest;	      /* fewest tunnels up after it, until back */
	double back_s;		      /* seconds until back; 0: none dropped; < 0: never */
	double dtls_back_s;	      /* ... and DTLS as before too; < 0: never */
	uint64_t short_at_end;	      /* never back: tunnels short of before at "end" */
	uint64_t attempts, reconnects, failures; /* reconnection attempts begun, back, failed */
	uint64_t peak_attempts;	      /* the most attempts begun in one second */
	double peak_at_s;	      /* that second's start, seconds after the event */
	const uint64_t (*per_s)[3];   /* borrowed: attempts, back, failed per second; NULL: none */
	int n_per_s;
};

/* An event of the scenario's timeline, as it happened. */
struct run_event {
	char name[48];    /* the NAME of [event.NAME] */
	char action[24];  /* reset, exec, fetch, trust, dns, cut, lab... */
	double at_s;      /* when it fired, seconds since the first arrival; < 0: never */
	bool ok;          /* it was carried out (an exec exited 0, phones were told) */
	char detail[200]; /* what was done, or why it failed */
	struct event_recovery rec; /* what followed it (a run's own report only) */
};

/* One line of [expect], judged at the end of the run. */
struct expect_result {
	char name[160];   /* the expectation as written ("tunnels_up >= 99.5%") */
	bool ok;          /* it held */
	char detail[200]; /* the measured value against the bound */
};

/* One key of the scenario as the run took it (report.json's "configuration"). */
struct run_setting {
	const char *section; /* "phones", "event.rotate", "expect" */
	const char *key;     /* "count"; NULL for an [expect] line */
	const char *value;   /* as written (after -s), or the default; an [expect] line whole */
	const char *from;    /* "demo.ini:12", "-s" or "default" */
};

/* A run merged though it did not complete (phoneswarm merge --partial). */
struct run_incomplete {
	const char *run;	   /* borrowed: its directory, as given */
	const char *stopped_early; /* borrowed: how it ended ("SIGINT at 12.3 s of 60 s") */
};

/*
 * report.json's schema_version: 2 added where a run came from (started_at,
 * version, build, run_id, host, configuration, overrides) and whether it
 * measured the headend; a report without the field is of version 1.
 * docs/report.schema.json describes it.
 */
#define REPORT_SCHEMA_VERSION 2

/* Where a run came from (report.json's provenance); NULL or 0 where unknown. */
struct run_origin {
	const char *version, *build; /* phoneswarm's ("0.1.0", "v0.1.0-3-gabc1234") */
	const char *run_id;	     /* a random UUID naming this run */
	const char *host, *kernel;   /* the load machine: its name, its kernel's release */
	int cpus;		     /* its CPUs online */
	const struct run_setting *settings; /* borrowed: the scenario as the run took it */
	int n_settings;
	const char *const *overrides; /* borrowed: the -s given, as given */
	int n_overrides;
	const char *const *merged_ids; /* a merge: the run_id of each run merged (NULL: unknown) */
	int n_merged_ids;
};

struct run_result {
	const char *scenario;          /* path of the scenario file */
	const struct run_origin *origin; /* borrowed; NULL: none said */
	double started_at;             /* the first arrival, seconds since the Epoch; 0: unknown */
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
	uint64_t heap_base_bytes;      /* in use (heap_in_use) before the first arrival; 0: unknown */
	uint64_t heap_end_bytes;       /* in use when the report is written */
	uint64_t hist_base_bytes;      /* held by the latency histograms, at the base */
	uint64_t hist_end_bytes;       /* held by them when the report is written */
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
/*
 * An event's recovery in words ("all 1000 back after 12.3 s, DTLS after
 * 13.0 s (lowest 0); 2480 reconnect attempts, peak 310/s at +10 s, 1480
 * failed"); false when it was not followed.
 */
bool report_recovery_text(const struct event_recovery *rec, char *buf, size_t len);
/* The human summary. */
void report_print_summary(const struct run_result *r, const char *dir, FILE *out);
/*
 * Why a run with the counters st does not measure the headend: phones
 * failed for this machine's own shortage (engine/phone/reason.h,
 * reason_is_local()), said in a sentence in buf ("2 failures were this
 * machine's (LocalResource 2): ..."). NULL when it does measure it.
 */
const char *report_invalid_because(const struct stats *st, char *buf, size_t len);
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
