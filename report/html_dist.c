/*
 * report/html_dist.c - report.html's latency distributions (html_internal.h).
 *
 * The whole run's histograms, a curve per metric that has samples, grouped
 * on a few charts (the counter table's .group: bring-up, round trips,
 * voice, reconnection, and "Other") over a percentile axis where 90, 99 and 99.9
 * are equally apart; then the table of counts and percentiles.
 */
#include "report/html_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats/counters.h"
#include "engine/stats/hist.h"
#include "report/svg.h"

static const char *const group_title[] = {
	"Other", "Bring-up: each phase, and the whole", "Round trips through the tunnel",
	"Voice: jitter per call, and lateness of each packet sent", "Reconnection",
};
#define N_GROUPS (int)(sizeof(group_title) / sizeof(group_title[0]))

struct curve {
	double *x, *y; /* owned: percentile, ms */
	size_t n, cap;
	uint64_t seen, total, max_us;
};

static int curve_add(struct curve *cv, double x, double y)
{
	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 256;
		double *nx = realloc(cv->x, cap * sizeof(double)), *ny;

		if (!nx)
			return -ENOMEM;
		cv->x = nx;
		ny = realloc(cv->y, cap * sizeof(double));
		if (!ny)
			return -ENOMEM;
		cv->y = ny;
		cv->cap = cap;
	}
	cv->x[cv->n] = x;
	cv->y[cv->n++] = y;
	return 0;
}

/*
 * One slot of the histogram: hist_percentile() gives the slot's highest
 * value (capped at the max) to every percentile from the count below the
 * slot to the count up to it, so the curve is a flat step over that range.
 */
static int curve_bucket(const struct hist_bucket *b, void *arg)
{
	struct curve *cv = arg;
	double v = (double)(b->hi_us < cv->max_us ? b->hi_us : cv->max_us) / 1000.0;
	double from = 100.0 * (double)cv->seen / (double)cv->total;

	cv->seen += b->count;
	if (curve_add(cv, from, v))
		return -ENOMEM;
	return curve_add(cv, 100.0 * (double)cv->seen / (double)cv->total, v);
}

static void chart_distribution(struct page *p, int g)
{
	const struct run_result *r = p->r;
	struct curve cv[M__COUNT];
	double lo = NAN, hi = NAN, div;
	int k = 0;
	char id[32], name[120], a[24], b[24];
	struct svg_axis x = {"percentile (log-ish: each step right is one more nine)", SVG_PCT,
			     0, 100, false};
	struct svg_axis y = {"ms", SVG_LINEAR, 0, 1, false};
	struct svg_chart c;

	memset(cv, 0, sizeof(cv));
	for (int m = 0; m < M__COUNT; m++) {
		const struct hist *h = r->lat[m];

		if (counter_metric((enum metric)m)->group != g || !h || !hist_count(h))
			continue;
		cv[m].total = hist_count(h);
		cv[m].max_us = hist_max(h);
		hist_foreach_bucket(h, curve_bucket, &cv[m]);
		for (size_t i = 0; i < cv[m].n; i++) {
			if (cv[m].y[i] > 0 && !(cv[m].y[i] >= lo))
				lo = cv[m].y[i];
			if (!(cv[m].y[i] <= hi))
				hi = cv[m].y[i];
		}
	}
	if (isnan(hi))
		return;
	if (lo > 0 && hi / lo > 50) {
		y.scale = SVG_LOG;
		y.lo = lo;
	}
	y.label = html_latency_unit(hi, y.scale, &div);
	y.lo /= div;
	y.hi = hi > 0 ? hi / div : 1;
	for (int m = 0; m < M__COUNT; m++)
		for (size_t i = 0; i < cv[m].n; i++)
			cv[m].y[i] /= div;
	snprintf(id, sizeof(id), "chart-latency-%d", g);
	svg_chart_begin(&c, p->f, id, group_title[g], SVG_WIDTH, SVG_HEIGHT + 40, &x, &y);
	for (int m = 0; m < M__COUNT; m++) {
		if (!cv[m].n)
			continue;
		snprintf(name, sizeof(name), "%s (p50 %s, p99 %s ms)", metric_name((enum metric)m),
			 html_ms_str(a, sizeof(a), (double)hist_percentile(r->lat[m], 50)),
			 html_ms_str(b, sizeof(b), (double)hist_percentile(r->lat[m], 99)));
		svg_line(&c, name,
			 m == M_TIME_TO_TUNNEL ? "#1f2328" : html_palette[k++ % HTML_N_PALETTE],
			 false, cv[m].x, cv[m].y, cv[m].n);
	}
	svg_chart_end(&c);
	for (int m = 0; m < M__COUNT; m++) {
		free(cv[m].x);
		free(cv[m].y);
	}
}

static void latency_table(struct page *p)
{
	const struct run_result *r = p->r;
	static const double pcts[] = {50, 90, 99, 99.9};
	char buf[32];
	bool none = true;

	fputs("<table class=\"num\"><thead><tr><th>metric</th><th>count</th><th>min</th>"
	      "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th>"
	      "</tr></thead><tbody>\n",
	      p->f);
	for (int m = 0; m < M__COUNT; m++) {
		const struct hist *h = r->lat[m];

		if (!h || !hist_count(h))
			continue;
		fprintf(p->f, "<tr><td>%s</td><td>%s</td>", metric_name((enum metric)m),
			html_count_str(buf, sizeof(buf), hist_count(h)));
		fprintf(p->f, "<td>%s</td>", html_ms_str(buf, sizeof(buf), (double)hist_min(h)));
		for (int i = 0; i < 4; i++)
			fprintf(p->f, "<td>%s</td>",
				html_ms_str(buf, sizeof(buf), (double)hist_percentile(h, pcts[i])));
		fprintf(p->f, "<td>%s</td>", html_ms_str(buf, sizeof(buf), (double)hist_max(h)));
		fprintf(p->f, "<td>%s</td></tr>\n", html_ms_str(buf, sizeof(buf), hist_mean(h)));
	}
	fputs("</tbody></table>\n<p class=\"note\">All in milliseconds. No samples: ", p->f);
	for (int m = 0; m < M__COUNT; m++)
		if (!r->lat[m] || !hist_count(r->lat[m])) {
			fprintf(p->f, "%s%s", none ? "" : ", ", metric_name((enum metric)m));
			none = false;
		}
	fprintf(p->f, "%s.</p>\n", none ? "none" : "");
}

void html_dist_section(struct page *p)
{
	bool any = false;

	fputs("<section id=\"latency\">\n<h2>Latency distributions</h2>\n", p->f);
	for (int m = 0; m < M__COUNT; m++)
		any |= p->r->lat[m] && hist_count(p->r->lat[m]);
	if (!any) {
		svg_empty(p->f, "chart-latency", "Latency distributions", SVG_WIDTH, EMPTY_HEIGHT,
			  "nothing was measured in this run");
		fputs("</section>\n", p->f);
		return;
	}
	fputs("<p class=\"note\">The whole run. Read a curve left to right: half the samples "
	      "were at or below its value at 50%, all but one in a thousand at 99.9%. "
	      "Time to tunnel counts from when the phone was due, so a stalled headend shows "
	      "here.</p>\n",
	      p->f);
	for (int g = 1; g < N_GROUPS; g++)
		chart_distribution(p, g);
	chart_distribution(p, 0);
	latency_table(p);
	fputs("</section>\n", p->f);
}
