/*
 * report/series.h - timeseries.csv: one row per interval of the run.
 *
 * The columns (a public format, listed in README.md) are fixed: counts of
 * the interval, gauges at its end, percentiles of its histograms, failures
 * by reason, and the events that fired in it. Empty cells stand for "no
 * samples". Nothing needs quoting: every name is [A-Za-z0-9_.-].
 */
#ifndef REPORT_SERIES_H
#define REPORT_SERIES_H

#include <stdint.h>
#include <stdio.h>

#include "engine/stats.h"

struct hist;

struct series_row {
	double t_s, interval_s;          /* end of the interval since the first arrival; length */
	const struct stats *now, *prev;  /* counters at the end and at the start */
	const struct hist *const *lat;   /* the interval's histograms, by metric */
	double cpu_pct;                  /* phoneswarm's CPU over the interval, % of one core */
	double rss_mib;
	const char *events;              /* names joined by '|', or "" */
};

/* Writes the header line. */
void series_header(FILE *f);
/* Writes one row. 0, or -EIO if f has failed. */
int series_write(FILE *f, const struct series_row *r);

#endif
