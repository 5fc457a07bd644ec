/*
 * report/compare.h - two report.json side by side, metric by metric, with
 * regressions flagged against tolerances: the headend upgrade check
 * (phoneswarm compare).
 *
 * Metrics carry the names the [expect] language gives them: tunnels_up,
 * dtls_up, failed, peak_concurrent, failures, failures.REASON,
 * tunnels_dropped, reconnect_failures, latency.METRIC.{p50,p90,p99,p999,
 * mean,max}, rtp.loss, rtp.loss_up, rtp.loss_down, rtp.mos, rtp.mos_min,
 * and resources.{cpu_ms_per_tunnel,kib_per_connected_phone,max_rss_kb}.
 *
 * A tolerance is how much worse NEW may be than BASE: for the metrics that
 * are shares of the fleet or of the packets (tunnels_up, dtls_up, failed,
 * rtp.loss*) in percentage points; for every other metric in percent of
 * BASE's value. A tolerance set on a prefix of names (latency,
 * latency.time_to_tunnel, failures) applies to every metric under it that
 * has no longer name set; "off" never flags. The defaults are in
 * compare_default_tolerances() (and the README).
 *
 * A figure BASE has and NEW has not (a latency metric with samples in BASE
 * and none in NEW, RTP sent in BASE and none in NEW, a counter or section
 * NEW lacks) has vanished: a regression, unless its tolerance is "off". A
 * latency metric or the RTP figures that vanished make one row
 * (latency.METRIC, rtp), not one per statistic.
 */
#ifndef REPORT_COMPARE_H
#define REPORT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct jval;

#define COMPARE_NAME_MAX 96

enum compare_unit {
	CU_SHARE,    /* a percentage; changes and tolerances in points */
	CU_COUNT,    /* events or phones; from 0, any increase is a regression */
	CU_DURATION, /* microseconds; a change under 1 ms is never a regression */
	CU_NUMBER,   /* a score or a resource figure */
};

struct compare_tol {
	char name[COMPARE_NAME_MAX]; /* a metric, or a prefix of metric names */
	double value;		     /* points or percent; < 0: off */
};

struct compare_row {
	char name[COMPARE_NAME_MAX];
	enum compare_unit unit;
	bool higher_is_better;
	bool has_base, has_new; /* the report has the figure (a latency with samples...) */
	double base, new;	/* in the unit (a share in %, a duration in us) */
	double tol;		/* the tolerance that applies; < 0: off */
	bool vanished;		/* in BASE, not in NEW */
	const char *what;	/* vanished: what base counts ("samples"), or NULL; static */
	bool regression;
};

/*
 * Parses "NAME=VALUE" (VALUE a number >= 0, "%" allowed after it, or
 * "off") into t, checking that NAME is a metric compare knows or a prefix
 * of such names. 0, or -1 with a one-line reason in why.
 */
int compare_tol_parse(const char *arg, struct compare_tol *t, char *why, size_t whylen);

/* The built-in tolerances, n of them (*n set); given ones take precedence. */
const struct compare_tol *compare_default_tolerances(size_t *n);

/*
 * Compares report documents base and new. tols[0..n_tols) are the user's
 * (the last of equal names wins), over the defaults. Fills a malloc'ed
 * array of rows (*rows, *n_rows; the caller frees it), in a fixed order:
 * phones, failures, latencies, RTP, resources. Rows whose figure is absent
 * or zero on both sides are left out. Returns the number of regressions
 * (vanished figures included), or -1 if out of memory.
 */
int compare_reports(const struct jval *base, const struct jval *new,
		    const struct compare_tol *tols, size_t n_tols, struct compare_row **rows,
		    size_t *n_rows);

/*
 * The table: metric, base, new, change, tolerance, and REGRESSION where one
 * is; then a line for each figure that vanished.
 */
void compare_print(FILE *out, const struct compare_row *rows, size_t n_rows);

/*
 * Prints a "WARNING:" line on out for each reason the two runs are not like
 * for like: a run that did not complete (or a partial merge), another
 * scenario (by file name), DTLS mode or fleet size (phones.configured).
 * base_name and new_name name the runs in those lines. Returns how many.
 */
int compare_warnings(FILE *out, const struct jval *base, const char *base_name,
		     const struct jval *new, const char *new_name);

#endif
