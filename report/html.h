/*
 * report/html.h - report.html: the run at a glance, in one self-contained page.
 *
 * One file, no external assets, no JavaScript: the verdict, the key figures,
 * the expectations, charts over time drawn from DIR/timeseries.csv (phones up
 * with the scenario's events marked, tunnels per second, time to tunnel
 * percentiles, failures by reason, RTP loss and jitter, CPU and memory), the
 * latency distribution of every metric that has samples, and the tables of
 * the summary and of the events. See README ("report.html").
 */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include "report/report.h"

/*
 * Writes DIR/report.html for the run r. The charts over time come from
 * DIR/timeseries.csv, read back; without it (or unreadable) the page says so
 * and shows everything else. 0, or -errno when the page cannot be written.
 */
int report_html_write(const struct run_result *r, const char *dir);

#endif
