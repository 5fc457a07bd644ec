/*
 * loadgen/merge_cmd.h - "phoneswarm merge RUN_DIR... -o DIR": the runs of
 * one scenario made in parallel (the shards of --shard i/N, on several
 * machines) put back together into one run directory: report.json,
 * timeseries.csv and latency.hlog.
 *
 * Counters are summed; histograms are merged exactly from the runs'
 * latency.hlog (all intervals of a tag), and every percentile is computed
 * again from the merged histograms, never averaged; intervals are lined up
 * by their time since each run's first arrival.
 */
#ifndef LOADGEN_MERGE_CMD_H
#define LOADGEN_MERGE_CMD_H

/*
 * argv[0] is "merge". Returns the exit status: 0 merged, 2 usage error or
 * runs that cannot be merged (unreadable, of different scenarios or shard
 * counts, inconsistent), 3 the output cannot be written.
 */
int merge_main(int argc, char **argv);

#endif
