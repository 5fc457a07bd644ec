/*
 * report/html_internal.h - what html.c, html_tables.c, html_series.c and
 * html_dist.c share.
 *
 * report.html is written in four files: html.c (the page, its style sheet,
 * and the small formatting the others use), html_tables.c (the header, its
 * tiles, the tables), html_series.c (the charts over time) and html_dist.c
 * (the latency distributions); this is how they reach each other. Nothing
 * outside the four includes it: the page's interface is html.h.
 */
#ifndef REPORT_HTML_INTERNAL_H
#define REPORT_HTML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report.h"
#include "report/svg.h"

#define EMPTY_HEIGHT 140 /* px: a chart with nothing to show says so in less room */

/* The page being written, for every part of it. */
struct page {
	FILE *f;			/* borrowed */
	const struct run_result *r;	/* borrowed */
	struct series *ts;		/* owned: timeseries.csv; NULL when unreadable */
	char ts_err[256];		/* why it is NULL */
	size_t n;			/* its rows */
	double *x;			/* owned: n interval ends, in unit */
	double unit;			/* seconds per unit of the time axis */
	const char *x_label;		/* the time axis' label */
	double x_hi;			/* the time axis' end, in unit */
};

/* Colours that stay apart for the colour-blind, and on a projector (html.c). */
#define HTML_N_PALETTE 12
extern const char *const html_palette[HTML_N_PALETTE];

/* ==== html.c: small formatting ==== */

/* Writes s to the page, escaped for HTML text and attributes (svg_escape). */
void html_esc(struct page *p, const char *s);
/* v with thousands separators ("1,234,567") in buf of cap bytes; returns buf. */
const char *html_count_str(char *buf, size_t cap, uint64_t v);
/* A latency in microseconds as milliseconds, with the digits that matter, in buf; returns buf. */
const char *html_ms_str(char *buf, size_t cap, double us);
/*
 * The unit of a latency axis whose values, in ms, reach hi: seconds from
 * 10 s up. Sets *div (ms per unit) and returns the axis label (static).
 */
const char *html_latency_unit(double hi, enum svg_scale ys, double *div);

/* ==== html_tables.c ==== */

/* The <header>: what ran, the verdict, a capacity search's result, the tiles. */
void html_tables_header(struct page *p);
/* The expectations' section; nothing when the scenario has none. */
void html_tables_expectations(struct page *p);
/* The events' section. */
void html_tables_events(struct page *p);
/* The summary's section: phones, failures by reason, resources, voice, traffic. */
void html_tables_details(struct page *p);

/* ==== html_series.c ==== */

/*
 * Reads DIR/timeseries.csv into p (ts, n, and the time axis: x, unit,
 * x_label, x_hi); p->r must be set. An unreadable file is not an error:
 * p->ts stays NULL and p->ts_err says why. 0, or -ENOMEM. What it
 * allocates is p's, freed by its owner (series_free(p->ts), free(p->x))
 * whatever it returns.
 */
int html_series_load(struct page *p, const char *dir);
/* The "Over time" section, or a note saying why there are no charts. */
void html_series_section(struct page *p);

/* ==== html_dist.c ==== */

/* The "Latency distributions" section: a chart per group of metrics, then the table. */
void html_dist_section(struct page *p);

#endif
