/*
 * report/svg.h - charts as inline SVG, for report.html.
 *
 * What a chart of a time series or of a latency distribution needs, written
 * straight to a stdio stream: axes with ticks at nice numbers (linear, log,
 * or percentiles spread so that 90, 99, 99.9 and 99.99 are equally apart),
 * lines that break where a value is missing, filled bands for stacked areas,
 * labelled vertical markers, and a legend (HTML, under the chart). A line of
 * more than SVG_MAX_POINTS points is thinned to that many, keeping the
 * lowest and the highest value of each stretch of points, so that a spike
 * one interval wide survives.
 *
 *	struct svg_chart c;
 *	struct svg_axis x = {"time (s)", SVG_LINEAR, 0, 60, true};
 *	struct svg_axis y = {"phones", SVG_LINEAR, 0, 1000, false};
 *
 *	svg_chart_begin(&c, f, "phones", "Phones up", SVG_WIDTH, SVG_HEIGHT, &x, &y);
 *	svg_line(&c, "tunnels up", "#0072b2", false, t, up, n);
 *	svg_marker(&c, 30, "restart", "exec systemctl restart ocserv: ok", NULL);
 *	svg_chart_end(&c);
 *
 * The tick, thinning, scale and number-formatting functions are pure.
 */
#ifndef REPORT_SVG_H
#define REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SVG_MAX_POINTS 2000 /* points drawn per line, at most */
#define SVG_MAX_TICKS  16
#define SVG_MAX_LEGEND 32
#define SVG_WIDTH      960 /* px: a chart the width of a laptop screen's page */
#define SVG_HEIGHT     300

enum svg_scale {
	SVG_LINEAR,
	SVG_LOG, /* log10; values <= 0 are not drawn */
	SVG_PCT, /* percentiles 0..100, placed at -log10(1 - p/100): 0, 90, 99, 99.9 equally apart */
};

/* The ticks of an axis. */
struct svg_ticks {
	double lo, hi;		 /* the axis' range: the data's, rounded out to ticks */
	int n;			 /* ticks */
	double v[SVG_MAX_TICKS]; /* their values, increasing */
	double step;		 /* between ticks of a linear axis; 0: log, -1: percentiles */
};

/*
 * Ticks for a linear axis showing lo..hi: at most max_ticks (3..SVG_MAX_TICKS)
 * of them, a step of 1, 2 or 5 x 10^k apart. The axis is rounded out to a
 * tick at or below lo and one at or above hi; or, tight, it is lo..hi
 * exactly, with the ticks that fall inside (at least one). hi <= lo is widened to one unit.
 */
void svg_ticks_linear(double lo, double hi, int max_ticks, bool tight, struct svg_ticks *t);

/*
 * Ticks for a log axis showing at least lo..hi (lo > 0): powers of ten, with
 * 2 and 5 times them when the range spans at most two decades.
 */
void svg_ticks_log(double lo, double hi, struct svg_ticks *t);

/* Ticks for a percentile axis: 0, 50, 90, 99, 99.9 and 99.99 (the axis ends there). */
void svg_ticks_pct(struct svg_ticks *t);

/*
 * Where v lies on an axis of scale s and ticks t: 0 at t->lo, 1 at t->hi,
 * clamped to 0..1; NaN when v cannot be drawn (NaN, or <= 0 on a log axis).
 */
double svg_frac(enum svg_scale s, const struct svg_ticks *t, double v);

/*
 * Thins the n points (x[i], y[i]) to at most max (>= 4) into ox/oy (room for
 * max each): when n <= max they are copied; otherwise the points are cut into
 * the first point, the last, and between them (max - 2) / 2 stretches of
 * consecutive points, each giving its lowest and its highest point in their
 * order (one point if they are the same, one with y NaN if the stretch has
 * no value). Returns the number of points written.
 */
size_t svg_downsample(const double *x, const double *y, size_t n, size_t max, double *ox,
		      double *oy);

/*
 * Sums of consecutive groups of group (>= 1) values of in[0..n) into out
 * (room for ceil(n / group)); NaN counts as 0. Returns the number of sums.
 */
size_t svg_rebin(const double *in, size_t n, size_t group, double *out);

/*
 * The label of tick i of t into buf, formatted alike for the whole axis: as
 * many digits after the point as the step needs; from 10,000 up, in
 * thousands, millions or billions with a k, M or G; a percentile axis' with %.
 */
void svg_tick_label(const struct svg_ticks *t, int i, char *buf, size_t cap);

/*
 * Text for HTML or SVG: & < > " ' as character references, control
 * characters other than tab and newline as U+FFFD; other bytes as they are
 * (the page is UTF-8; a browser shows a byte that is not as U+FFFD).
 * NULL writes nothing.
 */
void svg_escape(FILE *f, const char *s);

/* An axis as the caller wants it. */
struct svg_axis {
	const char *label;     /* with its unit: "time since the first arrival (s)" */
	enum svg_scale scale;
	double lo, hi;         /* the data's range (SVG_PCT: ignored) */
	bool tight;            /* SVG_LINEAR: the axis is lo..hi exactly, not rounded out */
};

/* A chart being written. On the caller's stack; fields are private. */
struct svg_chart {
	FILE *f;			/* borrowed */
	enum svg_scale xs, ys;
	struct svg_ticks xt, yt;
	double left, right, top, bottom; /* the plot area, px */
	int n_markers;
	double marker_end[3];		/* px where each row of marker labels is free again */
	int n_legend;
	struct {
		char name[80];
		char colour[16];
		bool dashed, band;
	} legend[SVG_MAX_LEGEND];
};

/*
 * Starts a chart of w x h px (the page scales it down to fit) with a title,
 * a grid, ticks and axis labels. id names it in the page (letters, digits,
 * '-'), title is the heading.
 */
void svg_chart_begin(struct svg_chart *c, FILE *f, const char *id, const char *title, int w,
		     int h, const struct svg_axis *x, const struct svg_axis *y);

/* x of data value v on the chart, px. */
double svg_chart_x(const struct svg_chart *c, double v);
/* y of data value v on the chart, px (NaN: not drawable). */
double svg_chart_y(const struct svg_chart *c, double v);

/*
 * A line through (x[i], y[i]), broken where y is NaN (or not drawable),
 * thinned to SVG_MAX_POINTS; a value alone between two gaps is a dot. name
 * goes to the legend (NULL: none). colour is a CSS colour. An all-NaN
 * series draws nothing but keeps its legend entry.
 */
void svg_line(struct svg_chart *c, const char *name, const char *colour, bool dashed,
	      const double *x, const double *y, size_t n);

/*
 * A filled band between lo[i] and hi[i] along x[i] (a layer of a stacked
 * area); NaN counts as 0. Not thinned: give at most SVG_MAX_POINTS points
 * (svg_rebin).
 */
void svg_band(struct svg_chart *c, const char *name, const char *colour, const double *x,
	      const double *lo, const double *hi, size_t n);

/*
 * A vertical line at x, labelled at the top (labels that would overlap go
 * on a lower row), with detail as its tooltip. colour NULL: dark grey.
 */
void svg_marker(struct svg_chart *c, double x, const char *label, const char *detail,
		const char *colour);

/* Ends the chart: closes the SVG and writes the legend under it. */
void svg_chart_end(struct svg_chart *c);

/* In place of a chart that has nothing to show: its title and message, same size. */
void svg_empty(FILE *f, const char *id, const char *title, int w, int h, const char *message);

/* The style sheet the charts need, for the page's <style>. */
void svg_css(FILE *f);

#endif
