/*
 * report/prom.h - the run's figures in the Prometheus text exposition format.
 *
 * What `phoneswarm run --metrics-listen` serves on /metrics: format 0.0.4
 * (a "# HELP" and a "# TYPE" line per family, then its samples), every
 * name prefixed phoneswarm_, counters ending in _total, times in seconds.
 * A pure function of its input: the run's counters (struct stats), the
 * latency histograms of the run so far (rendered as Prometheus histograms:
 * _bucket{le=...} from 100 us to 5 min and +Inf, _sum and _count, so that
 * a window's percentile is histogram_quantile() of their rate()), the
 * build, and a few process figures. The
 * families are the same in every scrape, whatever has happened yet, so a
 * dashboard never sees a series appear from nothing. README lists them.
 */
#ifndef REPORT_PROM_H
#define REPORT_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "engine/stats/stats.h"

struct hist;

struct prom_input {
	const struct stats *st;          /* borrowed: counters summed over workers */
	const struct hist *lat[M__COUNT]; /* borrowed: run-so-far histograms; NULL = none yet */
	uint32_t phones_configured;      /* phones.count */
	double elapsed_s;                /* since the first arrival */
	uint64_t peak_up;                /* most tunnels up at once so far */
	double cpu_s;                    /* process CPU, user + system, seconds */
	uint64_t rss_bytes;              /* resident memory now */
	uint64_t failure_records_lost;   /* failures.csv records lost to full queues */
	uint64_t open_fds, max_fds;      /* descriptors open now; the soft limit */
	const char *version, *build;     /* phoneswarm's, for phoneswarm_build_info */
};

/*
 * Write the exposition of in to out. Returns 0, or -EIO if out failed.
 * Counters of struct stats that only ever grow are counters here; tunnels
 * and DTLS sessions up now, the peak, the MOS figures and the process
 * figures are gauges.
 */
int prom_render(FILE *out, const struct prom_input *in);

#endif
