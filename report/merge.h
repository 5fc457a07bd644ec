/*
 * report/merge.h - the inside of "phoneswarm merge" (merge_cmd.h): the
 * state the runs are read into, and the steps between the files that make
 * the command. Only report/merge_*.c and loadgen/merge_cmd.c include it.
 *
 * merge_cmd.c owns the state and calls, in order: merge_read_run() for
 * each run and merge_check_shards() (merge_read.c), merge_find_step() and
 * merge_key_rows() (merge_interval.c), then merge_write_series(),
 * merge_write_hlog() (merge_write.c) and merge_write_report()
 * (merge_report.c). Every step returns 0, or -1 with a one-line reason in
 * m->err.
 */
#ifndef LOADGEN_MERGE_H
#define LOADGEN_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/csvread.h"

#define MERGE_MAX_TAGS 64

struct hist;
struct jval;

/* One run being merged. */
struct merge_run {
	const char *dir;		    /* borrowed: its directory, from argv */
	struct jval *doc;		    /* owned: its report.json */
	double start_unix;		    /* StartTime of its latency.hlog */
	bool has_ts;			    /* it has a timeseries.csv */
	struct csv ts;			    /* owned: its timeseries.csv */
	long *row_key;			    /* owned: the key of each row of ts */
	uint64_t tag_count[MERGE_MAX_TAGS]; /* values of each tag in its log */
	bool incomplete;		    /* it did not cover its whole run (--partial) */
	char stopped_early[256];	    /* if so, how it ended, as its report says */
};

struct merge_ivl { /* one line of a run's latency.hlog */
	int run, tag;
	double start, len; /* seconds since the run's StartTime */
	long key;	   /* the merged interval it belongs to (merge_key_rows()) */
	char *b64;	   /* owned: the histogram, as the log encodes it */
};

struct merge {
	struct merge_run *runs; /* owned: n_runs of them */
	int n_runs, cur;	/* cur: the run being read */
	bool partial;		/* --partial: merge runs stopped early, shards missing */
	uint32_t *missing;	/* owned: the split's shards not given (merge_check_shards()) */
	int n_missing;
	char *tags[MERGE_MAX_TAGS]; /* owned: the logs' tags, in order first seen */
	int n_tags;
	struct hist *total[MERGE_MAX_TAGS]; /* owned: each tag, all intervals of all runs */
	struct merge_ivl *ivls;		    /* owned: every line of every run's log */
	size_t n_ivls, cap_ivls;
	double step;	      /* the usual interval length, in seconds */
	struct hist *scratch; /* owned: one interval's histogram at a time */
	bool scratch_valid;   /* it holds tag scratch_tag of interval scratch_key */
	int scratch_tag;
	long scratch_key;
	char err[1024]; /* why the last step failed */
	const struct run_origin *origin; /* borrowed: the merging phoneswarm's version, the
					    merged run's id, this machine (merge_cmd.c) */
};

/* Puts the reason (printf format) in m->err; returns -1 (merge_cmd.c). */
int merge_fail(struct merge *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ==== Reading (merge_read.c) ==== */

/*
 * Reads run i (its dir set) into m: its report.json, every line of its
 * latency.hlog (new tags are added to m->tags, its histograms to m->total
 * and m->ivls), and its timeseries.csv if it has one. Refuses a report
 * that is not one (report/contract.h), a run that did not complete
 * (unless m->partial: then it is marked incomplete), a run that does not
 * belong with runs 0..i-1 (another scenario, headend, DTLS mode, shard
 * split), whose log does not hold what its report counts, or whose series
 * has other columns than run 0's. 0 or -1; what was read is freed with the
 * rest of m either way.
 */
int merge_read_run(struct merge *m, int i);

/*
 * After every run is read: the shards of the split that were not given
 * go in m->missing, in order. Refuses a shard index out of its split, and
 * any shard missing unless m->partial. 0 or -1.
 */
int merge_check_shards(struct merge *m);

/* The index of tag in m->tags, or -1. */
int merge_tag_index(struct merge *m, const char *tag);

/* The string at path (jval_path()) in doc, "" if none; borrowed from doc. */
const char *merge_str_at(const struct jval *doc, const char *path);

/* ==== Lining intervals up (merge_interval.c) ==== */

/* m->step := the usual interval length, seconds. 0 or -1 (out of memory). */
int merge_find_step(struct merge *m);

/*
 * Gives every log line and series row of every run the key of the merged
 * interval it belongs to (allocates each run's row_key), then sorts
 * m->ivls by key, then tag (metrics in their order), then run. Needs
 * m->step. 0 or -1.
 */
int merge_key_rows(struct merge *m);

/*
 * m->scratch := the sum of tag t's histograms of interval key (after
 * merge_key_rows()); kept, so asking again for the same is free.
 */
void merge_interval_hist(struct merge *m, int t, long key);

/* ==== Writing (merge_write.c, merge_report.c) ==== */

/*
 * Writes dir/timeseries.csv, with run 0's columns (only when the runs have
 * one); *peak gets the largest sum of `up` at one interval. 0 or -1.
 */
int merge_write_series(struct merge *m, const char *dir, uint64_t *peak);

/*
 * Writes dir/latency.hlog: per interval and tag, the sum of the runs'
 * histograms (m->ivls sorted by merge_key_rows(); uses m->scratch). 0 or -1.
 */
int merge_write_hlog(struct merge *m, const char *dir);

/*
 * Writes dir/report.json and prints its summary on stdout. peak is the peak
 * of concurrent tunnels if have_peak (from the series), else the sum of
 * the runs' peaks is used. Sets each merged tag's exact min, max and mean
 * in m->total. 0 or -1.
 */
int merge_write_report(struct merge *m, const char *dir, uint64_t peak, bool have_peak);

#endif
