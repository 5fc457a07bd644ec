/*
 * report/contract.h - a report.json read back: does it hold what every
 * phoneswarm report is guaranteed to hold (DESIGN.md, "Contracts"; README,
 * "What a run leaves behind"), and does it cover the whole run.
 *
 * compare and merge call these before trusting a document: a file that is
 * not a report is refused with what it lacks, and a run that was stopped
 * early, or a merge with shards missing, is named as such.
 *
 * How a run ended is in the top-level "completed" (true or false) and
 * "stopped_early" (null, or an account: "SIGINT at 12.3 s of 60 s"); a
 * report from before those fields completed. A merged report adds
 * "shards_missing" (the indices of the split's shards that were not
 * merged) and "runs_incomplete" ({"run", "stopped_early"} for each run
 * merged though it did not complete), both empty when it is whole.
 */
#ifndef REPORT_CONTRACT_H
#define REPORT_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>

struct jval;

/*
 * Does doc hold what the contract guarantees: phones (configured,
 * attempted, tunnels_up, dtls_up, peak_concurrent), failures, latency_us
 * (each metric: count, min, p50, p90, p99, p999, max), rtp (sent,
 * received, lost), expectations, resources (cpu_user_s, cpu_sys_s,
 * max_rss_kb), and, where present, completed, stopped_early,
 * shards_missing and runs_incomplete of the right types? true, or false
 * with what is wrong in why ("no phones.configured", "latency_us.auth.p99
 * is not a number").
 */
bool contract_check(const struct jval *doc, char *why, size_t whylen);

/*
 * Did the run behind doc run to its end? A report without "completed"
 * did. When not, *stopped_early is its account (borrowed from doc), or
 * NULL if it gives none.
 */
bool contract_completed(const struct jval *doc, const char **stopped_early);

/*
 * Does doc cover the whole run: it completed and, if it is a merge, no
 * shard is missing and every run merged completed? When not, why gets a
 * phrase to follow the report's name: "did not complete (SIGINT at 12.3 s
 * of 60 s)", "is a partial merge: shard 1/2 missing", "is a partial
 * merge: shard1 did not complete (...)".
 */
bool contract_whole(const struct jval *doc, char *why, size_t whylen);

#endif
