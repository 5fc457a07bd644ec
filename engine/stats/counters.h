/*
 * engine/stats/counters.h - the table of counters, figures and latency
 * metrics (counters.def), as the outputs read it.
 *
 * Each output walks counters[] in order and takes the entries that have
 * its column: report.json those with .json, /metrics those with .prom,
 * and so on; counter_value() gives an entry's value in a run or a window
 * of it. Adding a counter is one line in counters.def and its increment.
 */
#ifndef ENGINE_STATS_COUNTERS_H
#define ENGINE_STATS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/stats/stats.h"

enum counter_type {
	CT_STAT,   /* a field of struct stats */
	CT_FIGURE, /* computed from the counters and the run */
	CT_METRIC, /* a latency histogram */
};

enum counter_kind {
	KIND_COUNTER, /* only grows: over a window, its increase */
	KIND_GAUGE,   /* a level now: over a window, its value at the end */
	KIND_MAX,     /* the largest so far: over workers and runs, the largest */
	KIND_HISTOGRAM,
};

enum counter_unit {
	UNIT_PHONES, /* phones or tunnels, events of them: a share may pass 100% */
	UNIT_FLEET,  /* phones at one moment: never more than the fleet */
	UNIT_COUNT,  /* packets, calls, retries */
	UNIT_BYTES,
	UNIT_PERCENT, /* already a percentage */
	UNIT_SCORE,   /* MOS, 1 to 5 */
	UNIT_US,      /* microseconds (a latency metric) */
};

/* How compare judges a figure (CMP_NONE: it does not). */
enum compare_as {
	CMP_NONE,
	CMP_SHARE,   /* a share of the fleet (.json / phones.configured); points */
	CMP_COUNT,   /* a count; from 0, any increase is a regression */
	CMP_PERCENT, /* a percentage; points */
	CMP_NUMBER,  /* a score */
};

struct compare_spec {
	enum compare_as as;
	double tol; /* the default tolerance: points for shares and percentages,
		       percent of BASE otherwise */
	bool higher_better;
	bool always; /* shown even when zero or absent on both sides */
};

/* timeseries.csv's columns of a latency metric, in this order. */
#define CSV_COUNT (1u << 0)
#define CSV_P50	  (1u << 1)
#define CSV_P90	  (1u << 2)
#define CSV_P99	  (1u << 3)
#define CSV_MAX	  (1u << 4)

enum figure {
#define FIGURE(id, ...) id,
#include "engine/stats/counters.def"
	F__COUNT
};

/* One line of counters.def; the columns are explained there. */
struct counter {
	enum counter_type type;
	const char *id;	    /* the field, figure or metric as the table names it */
	size_t off;	    /* CT_STAT: of its uint64_t in struct stats */
	enum figure fig;    /* CT_FIGURE */
	enum metric metric; /* CT_METRIC */
	enum counter_kind kind;
	enum counter_unit unit;
	const char *json, *name, *prom, *help, *csv, *csv_total, *html; /* NULL: not there */
	struct compare_spec cmp;
	unsigned csv_stats; /* CT_METRIC: CSV_* */
	bool summary;	    /* CT_METRIC */
	int group;	    /* CT_METRIC */
};

extern const struct counter counters[];
extern const size_t n_counters;

/* What a figure is computed from: a run, or a window of it. */
struct figures {
	const struct stats *st; /* counters over the window, gauges at its end */
	uint64_t configured;	/* phones in the scenario */
	uint64_t peak, up_min;	/* most and fewest tunnels up at once in it */
};

/*
 * c's value in f (c a STAT or a FIGURE), in its unit, in *v. Returns NULL,
 * or why it has no value ("no RTP sent in this window", "no call was
 * scored in this window"); *v is set all the same (a share of nothing is
 * 0, a score of nothing 0).
 */
const char *counter_value(const struct counter *c, const struct figures *f, double *v);

/* The value of c (a STAT or a FIGURE of a whole unit: phones, counts, bytes) in f, exactly. */
uint64_t counter_count(const struct counter *c, const struct figures *f);

/* Is c's unit a whole number (written as one in report.json and /metrics)? */
bool counter_whole(const struct counter *c);

/* The entry named name in [expect] and compare, or NULL. */
const struct counter *counter_by_name(const char *name);

/* The entry of latency metric m. */
const struct counter *counter_metric(enum metric m);

#endif
