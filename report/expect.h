/*
 * report/expect.h - the [expect] language: parse a threshold, judge it.
 *
 * One expectation is one line of a scenario's [expect] section:
 *
 *	[during FROM..TO:] METRIC OP BOUND
 *
 *	tunnels_up >= 99.5%
 *	latency.time_to_tunnel.p99 < 2s
 *	failures.CertHashMismatch == 0
 *	rtp.loss < 1%
 *	during rotate..end: tunnels_dropped == 0
 *
 * OP is one of < <= > >= == !=. BOUND is a number, a share ("99.5%") or a
 * duration ("250ms", "2s"). METRIC is a name of the counter table
 * (engine/stats/counters.def: .name), failures.REASON, failed.REASON or
 * latency.METRIC.STAT, listed in docs/scenario.md. FROM and TO are
 * "start", "end" or the NAME of an [event.NAME]: the expectation is then
 * judged on what happened between those two moments only.
 *
 * Parsing and judging are pure functions: the run hands over a view of
 * its figures (for the whole run, or for one window) and gets a verdict.
 */
#ifndef REPORT_EXPECT_H
#define REPORT_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/stats/stats.h"

#define EXPECT_POINT_MAX 48

struct hist;

enum expect_op { EX_LT, EX_LE, EX_GT, EX_GE, EX_EQ, EX_NE };

enum expect_unit {
	EU_NUMBER,   /* a bare number */
	EU_PERCENT,  /* "99.5%": value holds 99.5 */
	EU_DURATION, /* "2s": value holds microseconds */
};

struct expect {
	char text[160];                /* as written, blanks trimmed */
	char metric[96];               /* "latency.time_to_tunnel.p99" */
	enum expect_op op;
	double value;                  /* the bound, in unit */
	enum expect_unit unit;
	char from[EXPECT_POINT_MAX];   /* window start: "" (whole run), "start", an event */
	char to[EXPECT_POINT_MAX];     /* window end: "" (whole run), "end", an event */
};

/* What a run measured over a window (or the whole run). */
struct expect_view {
	const struct stats *st;        /* counters over the window, gauges at its end */
	const struct hist *const *lat; /* latency histograms over the window, by metric */
	uint64_t configured;           /* phones in the scenario */
	uint64_t up_min;               /* fewest tunnels up at any moment of the window */
	uint64_t peak;                 /* most tunnels up at any moment of the window */
};

/*
 * Parse one [expect] line. 0, or -1 with a one-line reason in why (the
 * caller adds file and line). The metric is checked here, so a typo is a
 * scenario error, not a failed expectation.
 */
int expect_parse(const char *line, struct expect *e, char *why, size_t whylen);

/*
 * Judge e against v: true if it held. detail gets the measured value and
 * the bound ("measured 99.8% (998 of 1000 phones); bound >= 99.5%"), or
 * why it could not be measured (no samples: a latency bound then fails).
 */
bool expect_judge(const struct expect *e, const struct expect_view *v, char *detail,
		  size_t detaillen);

#endif
