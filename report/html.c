/*
 * report/html.c - report.html (html.h).
 *
 * The page, top to bottom: what ran and the verdict; tiles with the figures
 * an engineer looks for first; the expectations; the charts over time, read
 * back from timeseries.csv; the latency distributions, from the run's
 * histograms; the events; the detailed tables. Every string that came from
 * a user or a headend (scenario path, URL, event and expectation text) goes
 * through svg_escape().
 *
 * Time is drawn in seconds, minutes or hours, whichever keeps the axis
 * readable for the run's length. Counts per interval are drawn per second
 * (count / interval length), so the y axis means the same thing when
 * intervals are merged to keep a long run's charts light.
 */
#include "report/html.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/config.h"
#include "report/capacity.h"
#include "report/hist.h"
#include "report/series.h"
#include "report/svg.h"

#define HALF_WIDTH   470 /* px: two charts side by side */
#define EMPTY_HEIGHT 140 /* px: a chart with nothing to show says so in less room */

/* Colours that stay apart for the colour-blind, and on a projector. */
static const char *const palette[] = {
	"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
	"#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#1f2328", "#f0e442",
};
#define N_PALETTE (int)(sizeof(palette) / sizeof(palette[0]))
#define C_UP	  "#0072b2"
#define C_DTLS	  "#009e73"
#define C_ARRIVED "#8c959f"
#define C_FAILED  "#cf222e"
#define C_EVENT	  "#57606a"

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

/* ==== Small formatting ==== */

static void esc(struct page *p, const char *s)
{
	svg_escape(p->f, s);
}

/* 1234567 as "1,234,567". */
static const char *count_str(char *buf, size_t cap, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < len && (size_t)o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

/* A latency in microseconds as milliseconds, with the digits that matter. */
static const char *ms_str(char *buf, size_t cap, double us)
{
	double ms = us / 1000.0;

	if (ms < 10)
		snprintf(buf, cap, "%.2f", ms);
	else if (ms < 100)
		snprintf(buf, cap, "%.1f", ms);
	else
		snprintf(buf, cap, "%.0f", ms);
	return buf;
}

static const char *duration_str(char *buf, size_t cap, double s)
{
	if (s < 120)
		snprintf(buf, cap, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, cap, "%d min %02d s", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, cap, "%d h %02d min", (int)s / 3600, (int)s % 3600 / 60);
	return buf;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* ==== Time series ==== */

static const double *col(const struct page *p, const char *name)
{
	int c = p->ts ? series_find(p->ts, name) : -1;

	return c < 0 ? NULL : series_values(p->ts, c);
}

static double col_sum(const struct page *p, const double *v)
{
	double s = 0;

	for (size_t i = 0; v && i < p->n; i++)
		if (!isnan(v[i]))
			s += v[i];
	return s;
}

/* Largest value of up to four columns (NULL ones skipped), NaN if none has a value. */
static double col_max(const struct page *p, const double *a, const double *b, const double *c,
		      const double *d)
{
	const double *v[4] = {a, b, c, d};
	double m = NAN;

	for (int k = 0; k < 4; k++)
		for (size_t i = 0; v[k] && i < p->n; i++)
			if (!isnan(v[k][i]) && (isnan(m) || v[k][i] > m))
				m = v[k][i];
	return m;
}

/* Smallest positive value of up to four columns, NaN if none. */
static double col_min_pos(const struct page *p, const double *a, const double *b,
			  const double *c, const double *d)
{
	const double *v[4] = {a, b, c, d};
	double m = NAN;

	for (int k = 0; k < 4; k++)
		for (size_t i = 0; v[k] && i < p->n; i++)
			if (v[k][i] > 0 && (isnan(m) || v[k][i] < m))
				m = v[k][i];
	return m;
}

static int load_series(struct page *p, const char *dir)
{
	static const char *const text_cols[] = {"events", NULL};
	char path[4096];
	const double *t;
	double span;
	int rc;

	snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
	rc = series_read(path, text_cols, &p->ts, p->ts_err, sizeof(p->ts_err));
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return 0;
	p->n = series_rows(p->ts);
	t = col(p, "t_s");
	p->x = malloc((p->n ? p->n : 1) * sizeof(double));
	if (!p->x)
		return -ENOMEM;
	span = p->n ? t[p->n - 1] : 0;
	if (isnan(span) || span < p->r->wall_s)
		span = p->r->wall_s;
	if (span <= 600) {
		p->unit = 1;
		p->x_label = "time since the first arrival (s)";
	} else if (span <= 600 * 60) {
		p->unit = 60;
		p->x_label = "time since the first arrival (min)";
	} else {
		p->unit = 3600;
		p->x_label = "time since the first arrival (h)";
	}
	for (size_t i = 0; i < p->n; i++)
		p->x[i] = t[i] / p->unit;
	p->x_hi = span / p->unit;
	return 0;
}

/* v[i] / interval_s[i]: a count per interval as a rate per second. */
static double *per_second(const struct page *p, const double *v)
{
	const double *len = col(p, "interval_s");
	double *out;

	if (!v || !len)
		return NULL;
	out = malloc((p->n ? p->n : 1) * sizeof(double));
	for (size_t i = 0; out && i < p->n; i++)
		out[i] = len[i] > 0 ? v[i] / len[i] : NAN;
	return out;
}

/*
 * The scenario's events as markers: from the run's timeline, else the CSV's
 * events column; and where a capacity search stopped the load.
 */
static void markers(struct page *p, struct svg_chart *c)
{
	const struct run_result *r = p->r;
	char detail[300];
	int ev;

	for (int i = 0; i < r->n_events; i++) {
		const struct run_event *e = &r->events[i];

		if (e->at_s < 0)
			continue;
		snprintf(detail, sizeof(detail), "%s%s%s%s", e->action, e->ok ? "" : " (FAILED)",
			 *e->detail ? ": " : "", e->detail);
		svg_marker(c, e->at_s / p->unit, e->name, detail, e->ok ? NULL : C_FAILED);
	}
	if (r->capacity && r->capacity->stopped)
		svg_marker(c, r->capacity->at_s / p->unit, "capacity stop",
			   capacity_stop_name(r->capacity->why), C_FAILED);
	if (r->n_events)
		return;
	ev = p->ts ? series_find(p->ts, "events") : -1;
	for (size_t i = 0; ev >= 0 && i < p->n; i++) {
		const char *names = series_text(p->ts, ev, i);

		if (names)
			svg_marker(c, p->x[i], names, NULL, NULL);
	}
}

static void time_chart_begin(struct page *p, struct svg_chart *c, const char *id,
			     const char *title, int w, const char *y_label, enum svg_scale ys,
			     double y_lo, double y_hi)
{
	struct svg_axis x = {p->x_label, SVG_LINEAR, 0, p->x_hi, true};
	struct svg_axis y = {y_label, ys, y_lo, y_hi, false};

	if (isnan(y.hi) || y.hi <= y.lo)
		y.hi = ys == SVG_LOG ? y.lo * 10 : y.lo + 1;
	else if (ys == SVG_LINEAR)
		y.hi *= 1.1; /* headroom for the event labels */
	svg_chart_begin(c, p->f, id, title, w, SVG_HEIGHT, &x, &y);
}

static void chart_phones(struct page *p)
{
	const double *arrived = col(p, "arrived"), *up = col(p, "up"), *dtls = col(p, "dtls");
	const double *failed = col(p, "failed");
	struct svg_chart c;

	time_chart_begin(p, &c, "chart-phones", "Phones over time", SVG_WIDTH, "phones",
			 SVG_LINEAR, 0, col_max(p, arrived, up, dtls, failed));
	if (arrived)
		svg_line(&c, "arrived (cumulative)", C_ARRIVED, true, p->x, arrived, p->n);
	if (failed)
		svg_line(&c, "failed (cumulative)", C_FAILED, false, p->x, failed, p->n);
	if (dtls && p->r->cfg->dtls_mode != DTLS_MODE_OFF)
		svg_line(&c, "DTLS up", C_DTLS, false, p->x, dtls, p->n);
	if (up)
		svg_line(&c, "tunnels up", C_UP, false, p->x, up, p->n);
	markers(p, &c);
	svg_chart_end(&c);
}

static void chart_rates(struct page *p)
{
	static const struct {
		const char *col, *name, *colour;
		bool always, dashed;
	} lines[] = {
		{"arrivals", "arrivals/s", C_ARRIVED, true, true},
		{"tunnels_up", "tunnels up/s", C_UP, true, false},
		{"drops", "tunnels dropped/s", C_FAILED, false, false},
		{"reconnects", "reconnects/s", "#e69f00", false, false},
	};
	double *v[4] = {0};
	struct svg_chart c;

	for (int i = 0; i < 4; i++) {
		const double *raw = col(p, lines[i].col);

		if (raw && (lines[i].always || col_sum(p, raw) > 0))
			v[i] = per_second(p, raw);
	}
	time_chart_begin(p, &c, "chart-rates", "Arrivals and tunnels per second", SVG_WIDTH,
			 "per second", SVG_LINEAR, 0, col_max(p, v[0], v[1], v[2], v[3]));
	for (int i = 0; i < 4; i++)
		if (v[i])
			svg_line(&c, lines[i].name, lines[i].colour, lines[i].dashed, p->x, v[i],
				 p->n);
	markers(p, &c);
	svg_chart_end(&c);
	for (int i = 0; i < 4; i++)
		free(v[i]);
}

/*
 * The unit of a latency axis whose values, in ms, reach hi: seconds from
 * 10 s up. Sets *div (ms per unit) and returns the axis label.
 */
static const char *latency_unit(double hi, enum svg_scale ys, double *div)
{
	*div = hi >= 10000 ? 1000 : 1;
	if (ys == SVG_LOG)
		return *div > 1 ? "seconds (log scale)" : "ms (log scale)";
	return *div > 1 ? "seconds" : "ms";
}

/*
 * Lines of ms values over time on one chart, log scale when they span more
 * than 50x (a p99 in seconds next to a p50 in milliseconds).
 */
static void chart_ms(struct page *p, const char *id, const char *title, const char *const *cols,
		     const char *const *names, int n, const char *empty)
{
	const double *v[4] = {0};
	double lo, hi, div, *scaled;
	bool any = false;
	struct svg_chart c;
	enum svg_scale ys;
	const char *label;

	for (int i = 0; i < n && i < 4; i++) {
		v[i] = col(p, cols[i]);
		any |= !isnan(col_max(p, v[i], NULL, NULL, NULL));
	}
	if (!any) {
		svg_empty(p->f, id, title, SVG_WIDTH, EMPTY_HEIGHT, empty);
		return;
	}
	hi = col_max(p, v[0], v[1], v[2], v[3]);
	lo = col_min_pos(p, v[0], v[1], v[2], v[3]);
	ys = lo > 0 && hi / lo > 50 ? SVG_LOG : SVG_LINEAR;
	label = latency_unit(hi, ys, &div);
	time_chart_begin(p, &c, id, title, SVG_WIDTH, label, ys, ys == SVG_LOG ? lo / div : 0,
			 hi / div);
	scaled = malloc(p->n * sizeof(double));
	for (int i = 0; scaled && i < n && i < 4; i++) {
		if (!v[i])
			continue;
		for (size_t j = 0; j < p->n; j++)
			scaled[j] = v[i][j] / div;
		svg_line(&c, names[i], palette[i], false, p->x, scaled, p->n);
	}
	free(scaled);
	markers(p, &c);
	svg_chart_end(&c);
}

static void chart_ttt(struct page *p)
{
	static const char *const cols[] = {"ttt_p50_ms", "ttt_p90_ms", "ttt_p99_ms"};
	static const char *const names[] = {"p50", "p90", "p99"};

	chart_ms(p, "chart-ttt", "Time to tunnel, percentiles per interval", cols, names, 3,
		 "no tunnel came up in this run");
}

/*
 * Failures by reason, stacked, per second. Intervals are merged in groups
 * so the areas have at most SVG_MAX_POINTS points; each group is drawn as a
 * step over the time it covers.
 */
static void chart_failures(struct page *p)
{
	const double *len = col(p, "interval_s"), *t = col(p, "t_s");
	size_t group = (p->n + SVG_MAX_POINTS / 2 - 1) / (SVG_MAX_POINTS / 2);
	size_t nb = group ? (p->n + group - 1) / group : 0;
	double *secs = NULL, *x = NULL, *lo = NULL, *hi = NULL, *sum = NULL, top = 0;
	int layers = 0;
	struct svg_chart c;

	if (!len || !t || !nb)
		goto empty;
	secs = malloc(nb * sizeof(double));
	sum = malloc(nb * sizeof(double));
	x = malloc(2 * nb * sizeof(double));
	lo = calloc(2 * nb, sizeof(double));
	hi = calloc(2 * nb, sizeof(double));
	if (!secs || !sum || !x || !lo || !hi)
		goto out;
	svg_rebin(len, p->n, group, secs);
	for (size_t b = 0; b < nb; b++) {
		size_t first = b * group, last = first + group - 1 < p->n ? first + group - 1 : p->n - 1;

		x[2 * b] = (t[first] - len[first]) / p->unit;
		x[2 * b + 1] = t[last] / p->unit;
	}
	/* the height of the stack first, for the axis */
	for (int k = 0; k < series_columns(p->ts); k++) {
		if (strncmp(series_name(p->ts, k), "fail_", 5))
			continue;
		svg_rebin(series_values(p->ts, k), p->n, group, sum);
		for (size_t b = 0; b < nb; b++)
			hi[2 * b] += secs[b] > 0 ? sum[b] / secs[b] : 0;
	}
	for (size_t b = 0; b < nb; b++)
		top = fmax(top, hi[2 * b]);
	if (top <= 0)
		goto empty;
	memset(hi, 0, 2 * nb * sizeof(double));
	time_chart_begin(p, &c, "chart-failures", "Failures by reason, per second", SVG_WIDTH,
			 "failures per second", SVG_LINEAR, 0, top);
	for (int k = 0; k < series_columns(p->ts); k++) {
		const double *v = series_values(p->ts, k);

		if (strncmp(series_name(p->ts, k), "fail_", 5) || col_sum(p, v) <= 0)
			continue;
		svg_rebin(v, p->n, group, sum);
		for (size_t b = 0; b < nb; b++) {
			double rate = secs[b] > 0 ? sum[b] / secs[b] : 0;

			lo[2 * b] = lo[2 * b + 1] = hi[2 * b];
			hi[2 * b] = hi[2 * b + 1] = lo[2 * b] + rate;
		}
		svg_band(&c, series_name(p->ts, k) + 5, palette[layers++ % N_PALETTE], x, lo, hi,
			 2 * nb);
	}
	markers(p, &c);
	svg_chart_end(&c);
	goto out;
empty:
	svg_empty(p->f, "chart-failures", "Failures by reason, per second", SVG_WIDTH, EMPTY_HEIGHT,
		  "no failures in this run");
out:
	free(secs);
	free(sum);
	free(x);
	free(lo);
	free(hi);
}

static void chart_voice(struct page *p)
{
	const double *sent = col(p, "rtp_sent"), *up = col(p, "rtp_lost_up");
	const double *down = col(p, "rtp_lost_down");
	static const char *const cols[] = {"rtp_jitter_p99_ms", "rtp_rtt_p50_ms", "rtp_rtt_p99_ms"};
	static const char *const names[] = {"jitter p99", "round trip p50", "round trip p99"};
	double *lu, *ld;
	struct svg_chart c;

	fputs("<h3>Voice</h3>\n", p->f);
	if (!sent || col_sum(p, sent) <= 0) {
		svg_empty(p->f, "chart-rtp-loss", "RTP loss per interval", SVG_WIDTH, EMPTY_HEIGHT,
			  "no voice in this run");
		return;
	}
	lu = malloc(p->n * sizeof(double));
	ld = malloc(p->n * sizeof(double));
	for (size_t i = 0; lu && ld && i < p->n; i++) {
		double reflected = sent[i] - (up ? up[i] : 0);

		lu[i] = sent[i] > 0 && up ? 100 * up[i] / sent[i] : NAN;
		ld[i] = reflected > 0 && down ? 100 * down[i] / reflected : NAN;
	}
	if (lu && ld) {
		time_chart_begin(p, &c, "chart-rtp-loss", "RTP loss per interval", SVG_WIDTH,
				 "% of packets lost", SVG_LINEAR, 0, col_max(p, lu, ld, NULL, NULL));
		svg_line(&c, "lost phone \u2192 reflector (up)", palette[0], false, p->x, lu, p->n);
		svg_line(&c, "lost reflector \u2192 phone (down)", palette[1], false, p->x, ld,
			 p->n);
		markers(p, &c);
		svg_chart_end(&c);
	}
	free(lu);
	free(ld);
	chart_ms(p, "chart-rtp-jitter", "RTP jitter and round trip per interval", cols, names, 3,
		 "no RTP packet came back in this run");
}

static void chart_resources(struct page *p)
{
	const double *cpu = col(p, "cpu_pct"), *rss = col(p, "rss_mib");
	struct svg_chart c;

	fputs("<div class=\"pair\">\n", p->f);
	if (cpu && !isnan(col_max(p, cpu, NULL, NULL, NULL))) {
		time_chart_begin(p, &c, "chart-cpu", "phoneswarm CPU", HALF_WIDTH,
				 "% of one core", SVG_LINEAR, 0, col_max(p, cpu, NULL, NULL, NULL));
		svg_line(&c, NULL, palette[4], false, p->x, cpu, p->n);
		svg_chart_end(&c);
	} else {
		svg_empty(p->f, "chart-cpu", "phoneswarm CPU", HALF_WIDTH, SVG_HEIGHT,
			  "not measured");
	}
	if (rss && !isnan(col_max(p, rss, NULL, NULL, NULL))) {
		time_chart_begin(p, &c, "chart-rss", "phoneswarm memory", HALF_WIDTH,
				 "resident MiB", SVG_LINEAR, 0, col_max(p, rss, NULL, NULL, NULL));
		svg_line(&c, NULL, palette[6], false, p->x, rss, p->n);
		svg_chart_end(&c);
	} else {
		svg_empty(p->f, "chart-rss", "phoneswarm memory", HALF_WIDTH, SVG_HEIGHT,
			  "not measured");
	}
	fputs("</div>\n", p->f);
}

static void section_time(struct page *p)
{
	fputs("<section id=\"over-time\">\n<h2>Over time</h2>\n", p->f);
	if (!p->ts) {
		fputs("<p class=\"note\">No charts over time: cannot read timeseries.csv (", p->f);
		esc(p, p->ts_err);
		fputs(").</p>\n</section>\n", p->f);
		return;
	}
	if (!p->n) {
		fputs("<p class=\"note\">No charts over time: timeseries.csv has no interval "
		      "(the run ended within its first interval).</p>\n</section>\n",
		      p->f);
		return;
	}
	chart_phones(p);
	chart_rates(p);
	chart_ttt(p);
	chart_failures(p);
	chart_voice(p);
	fputs("<h3>Resources</h3>\n", p->f);
	chart_resources(p);
	fputs("</section>\n", p->f);
}

/* ==== Latency distributions ==== */

/* Which chart a metric's distribution goes on (0: "Other", for metrics added later). */
static const int metric_group[M__COUNT] = {
	[M_TCP_CONNECT] = 1,	[M_TLS_HANDSHAKE] = 1, [M_AUTH] = 1,
	[M_CSTP_CONNECT] = 1,	[M_DTLS_HANDSHAKE] = 1, [M_TIME_TO_TUNNEL] = 1,
	[M_DPD_RTT] = 2,	[M_PING_RTT] = 2,	[M_RTP_RTT] = 2,
	[M_RTP_JITTER_DOWN] = 3, [M_RTP_JITTER_UP] = 3, [M_RTP_SEND_LATE] = 3,
	[M_RECONNECT] = 4,
};
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

		if (metric_group[m] != g || !h || !hist_count(h))
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
	y.label = latency_unit(hi, y.scale, &div);
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
			 ms_str(a, sizeof(a), (double)hist_percentile(r->lat[m], 50)),
			 ms_str(b, sizeof(b), (double)hist_percentile(r->lat[m], 99)));
		svg_line(&c, name, m == M_TIME_TO_TUNNEL ? "#1f2328" : palette[k++ % N_PALETTE],
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
			count_str(buf, sizeof(buf), hist_count(h)));
		fprintf(p->f, "<td>%s</td>", ms_str(buf, sizeof(buf), (double)hist_min(h)));
		for (int i = 0; i < 4; i++)
			fprintf(p->f, "<td>%s</td>",
				ms_str(buf, sizeof(buf), (double)hist_percentile(h, pcts[i])));
		fprintf(p->f, "<td>%s</td>", ms_str(buf, sizeof(buf), (double)hist_max(h)));
		fprintf(p->f, "<td>%s</td></tr>\n", ms_str(buf, sizeof(buf), hist_mean(h)));
	}
	fputs("</tbody></table>\n<p class=\"note\">All in milliseconds. No samples: ", p->f);
	for (int m = 0; m < M__COUNT; m++)
		if (!r->lat[m] || !hist_count(r->lat[m])) {
			fprintf(p->f, "%s%s", none ? "" : ", ", metric_name((enum metric)m));
			none = false;
		}
	fprintf(p->f, "%s.</p>\n", none ? "none" : "");
}

static void section_latency(struct page *p)
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

/* ==== Header, tiles, tables ==== */

static void css(FILE *f)
{
	fputs("<style>\n"
	      ":root{color-scheme:light}\n"
	      "body{margin:0;background:#f6f8fa;color:#1f2328;font:14px/1.45 system-ui,"
	      "-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
	      "main{max-width:1000px;margin:0 auto;padding:20px 24px 40px}\n"
	      "header h1{font-size:22px;margin:0 0 4px}\n"
	      "header .meta{color:#57606a;margin:0 0 12px;overflow-wrap:anywhere}\n"
	      "h2{font-size:18px;margin:0 0 10px;padding-bottom:4px;border-bottom:1px solid "
	      "#d0d7de}\n"
	      "h3{font-size:15px;margin:18px 0 6px;color:#424a53}\n"
	      "section,header{background:#fff;border:1px solid #d0d7de;border-radius:8px;"
	      "padding:14px 18px;margin:0 0 16px}\n"
	      ".verdict{font-size:17px;font-weight:600;padding:10px 14px;border-radius:6px;"
	      "margin:10px 0 0}\n"
	      ".verdict.ok{background:#dafbe1;color:#116329;border:1px solid #4ac26b}\n"
	      ".verdict.fail{background:#ffebe9;color:#a40e26;border:1px solid #ff8182}\n"
	      ".verdict.none{background:#f6f8fa;color:#424a53;border:1px solid #d0d7de}\n"
	      ".capacity{margin:10px 0 0;padding:10px 14px;border-radius:6px;background:#fff8c5;"
	      "border:1px solid #d4a72c}\n"
	      ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));"
	      "gap:10px;margin:14px 0 0}\n"
	      ".tile{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}\n"
	      ".tile .k{font-size:12px;color:#57606a;text-transform:uppercase;"
	      "letter-spacing:.03em}\n"
	      ".tile .v{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums;"
	      "white-space:nowrap}\n"
	      ".tile .s{font-size:12px;color:#57606a}\n"
	      ".tile.bad .v{color:#cf222e}.tile.good .v{color:#1a7f37}\n"
	      "table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}\n"
	      "th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left;"
	      "vertical-align:top}\n"
	      "th{background:#f6f8fa;font-weight:600}\n"
	      "table.num td+td,table.num th+th{text-align:right;"
	      "font-variant-numeric:tabular-nums}\n"
	      "td.ok{color:#1a7f37;font-weight:600}td.fail{color:#cf222e;font-weight:600}\n"
	      ".note{color:#57606a;font-size:13px}\n"
	      ".pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}\n"
	      ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));"
	      "gap:0 24px}\n.cols table{width:100%}\n"
	      "footer{color:#8c959f;font-size:12px;text-align:center}\n",
	      f);
	svg_css(f);
	fputs("</style>\n", f);
}

static void tile(struct page *p, const char *cls, const char *key, const char *value,
		 const char *sub)
{
	fprintf(p->f, "<div class=\"tile %s\"><div class=\"k\">%s</div><div class=\"v\">%s</div>"
		      "<div class=\"s\">",
		cls, key, value);
	esc(p, sub);
	fputs("</div></div>\n", p->f);
}

static void tiles(struct page *p)
{
	const struct run_result *r = p->r;
	const struct stats *s = &r->st;
	const struct hist *ttt = r->lat[M_TIME_TO_TUNNEL];
	char v[64], sub[160], a[32], b[32], c[32], d[32];
	int top = 0;

	fputs("<div class=\"tiles\">\n", p->f);
	count_str(v, sizeof(v), s->tunnels_up);
	if (s->reconnects || s->resets)
		snprintf(sub, sizeof(sub), "for %s phones (%s reconnects, %s resets); %s with DTLS",
			 count_str(a, sizeof(a), s->attempted), count_str(b, sizeof(b), s->reconnects),
			 count_str(c, sizeof(c), s->resets), count_str(d, sizeof(d), s->dtls_up));
	else
		snprintf(sub, sizeof(sub), "of %s phones attempted; %s with DTLS",
			 count_str(a, sizeof(a), s->attempted), count_str(b, sizeof(b), s->dtls_up));
	tile(p, s->attempted && !s->failed && s->tunnels_up >= s->attempted ? "good" : "",
	     "tunnels up", v, sub);
	snprintf(sub, sizeof(sub), "of %s configured", count_str(a, sizeof(a), r->cfg->count));
	tile(p, "", "peak concurrent", count_str(v, sizeof(v), r->peak_concurrent), sub);
	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k] > s->failures[top])
			top = k;
	if (top)
		snprintf(sub, sizeof(sub), "most frequent failure: %s (%s)",
			 reason_name((enum reason)top), count_str(a, sizeof(a), s->failures[top]));
	else
		snprintf(sub, sizeof(sub), "no failure");
	tile(p, s->failed ? "bad" : "good", "phones failed", count_str(v, sizeof(v), s->failed),
	     sub);
	if (ttt && hist_count(ttt)) {
		snprintf(v, sizeof(v), "%s ms", ms_str(a, sizeof(a), (double)hist_percentile(ttt, 99)));
		snprintf(sub, sizeof(sub), "p50 %s ms, max %s ms",
			 ms_str(a, sizeof(a), (double)hist_percentile(ttt, 50)),
			 ms_str(b, sizeof(b), (double)hist_max(ttt)));
	} else {
		snprintf(v, sizeof(v), "&ndash;");
		snprintf(sub, sizeof(sub), "no tunnel came up");
	}
	tile(p, "", "time to tunnel p99", v, sub);
	if (s->rtp_sent) {
		double up = pct(s->rtp_up_lost, s->rtp_up_expected);
		double down = pct(s->rtp_down_lost, s->rtp_down_expected);
		int n = snprintf(sub, sizeof(sub), "up %.2f%%, down %.2f%%", up, down);

		snprintf(v, sizeof(v), "%.2f%%", fmax(up, down));
		if (s->mos_calls)
			snprintf(sub + n, sizeof(sub) - (size_t)n, "; MOS mean %.2f, worst %.2f",
				 (double)s->mos_milli_sum / 1000.0 / (double)s->mos_calls,
				 (5000.0 - (double)s->mos_worst_milli) / 1000.0);
		tile(p, s->rtp_up_lost + s->rtp_down_lost ? "bad" : "good", "RTP loss, worse way", v,
		     sub);
	}
	snprintf(v, sizeof(v), "%.2f ms", report_cpu_ms_per_tunnel(r));
	snprintf(sub, sizeof(sub), "%.1f KiB of memory per connected phone",
		 report_kib_per_phone(r));
	tile(p, "", "CPU per tunnel", v, sub);
	fputs("</div>\n", p->f);
}

/* A capacity search: the load held, what stopped it, the limit and the first refusal. */
static void capacity(struct page *p)
{
	const struct capacity_result *c = p->r->capacity;
	char a[32];

	if (!c)
		return;
	fprintf(p->f, "<div class=\"capacity\" id=\"capacity\"><b>Capacity:</b> %s phones up held "
		      "at %.1f phones/s; ",
		count_str(a, sizeof(a), c->held_concurrent), c->held_rate);
	if (c->stopped)
		fprintf(p->f, "stopped by %s at %.1f s.", capacity_stop_name(c->why), c->at_s);
	else
		fputs("no stop condition held (the fleet ran out first).", p->f);
	fputs("<br><b>Limit:</b> ", p->f);
	esc(p, c->limit);
	if (c->reason)
		fprintf(p->f, "; refused with %s", reason_name(c->reason));
	if (c->first[0]) {
		fputs("<br><b>First refusal:</b> ", p->f);
		esc(p, c->first);
	}
	fputs("</div>\n", p->f);
}

static void header(struct page *p)
{
	const struct run_result *r = p->r;
	const struct swarm_config *cfg = r->cfg;
	char buf[64], buf2[32], when[64];
	time_t now = time(NULL);
	struct tm tm;
	int failed = 0;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&now, &tm));
	fputs("<header>\n<h1>phoneswarm: ", p->f);
	esc(p, r->scenario);
	fputs("</h1>\n<p class=\"meta\">against <b>", p->f);
	esc(p, cfg->url);
	fprintf(p->f, "</b> &middot; %s &middot; %s phones", duration_str(buf, sizeof(buf), r->wall_s),
		count_str(buf2, sizeof(buf2), cfg->count));
	for (int i = 0; i < cfg->n_models; i++) {
		fprintf(p->f, "%s", i ? ", " : " (");
		esc(p, cfg->models[i].model);
		if (cfg->n_models > 1)
			fprintf(p->f, " %.0f%%", 100 * cfg->models[i].share);
	}
	fprintf(p->f, "%s at %.4g/s &middot; DTLS %s", cfg->n_models ? ")" : "", cfg->rate,
		(const char *[]){"auto", "legacy", "psk", "off"}[cfg->dtls_mode & 3]);
	if (cfg->calls > 0) {
		fprintf(p->f, " &middot; voice: %.0f%% in calls, ", 100 * cfg->calls);
		esc(p, cfg->codec);
	}
	fprintf(p->f, " &middot; written %s</p>\n", when);

	for (int i = 0; i < r->n_expects; i++)
		failed += !r->expects[i].ok;
	if (!r->n_expects) {
		fputs("<div class=\"verdict none\" id=\"verdict\">No expectations in this scenario "
		      "(no [expect] section): nothing was judged.</div>\n",
		      p->f);
	} else if (!failed) {
		fprintf(p->f, "<div class=\"verdict ok\" id=\"verdict\">&#10004; All %d "
			      "expectations held.</div>\n",
			r->n_expects);
	} else {
		fprintf(p->f, "<div class=\"verdict fail\" id=\"verdict\">&#10008; %d of %d "
			      "expectations failed: ",
			failed, r->n_expects);
		for (int i = 0, k = 0; i < r->n_expects; i++)
			if (!r->expects[i].ok) {
				fputs(k++ ? "; " : "", p->f);
				esc(p, r->expects[i].name);
			}
		fputs("</div>\n", p->f);
	}
	capacity(p);
	tiles(p);
	fputs("</header>\n", p->f);
}

static void expectations(struct page *p)
{
	const struct run_result *r = p->r;

	if (!r->n_expects)
		return;
	fputs("<section id=\"expectations\">\n<h2>Expectations</h2>\n<table><thead><tr>"
	      "<th>expectation</th><th>result</th><th>measured</th></tr></thead><tbody>\n",
	      p->f);
	for (int i = 0; i < r->n_expects; i++) {
		const struct expect_result *e = &r->expects[i];

		fputs("<tr><td>", p->f);
		esc(p, e->name);
		fprintf(p->f, "</td><td class=\"%s\">%s</td><td>", e->ok ? "ok" : "fail",
			e->ok ? "held" : "FAILED");
		esc(p, e->detail);
		fputs("</td></tr>\n", p->f);
	}
	fputs("</tbody></table>\n</section>\n", p->f);
}

static void events(struct page *p)
{
	const struct run_result *r = p->r;
	char buf[32];

	fputs("<section id=\"events\">\n<h2>Events</h2>\n", p->f);
	if (!r->n_events) {
		fputs("<p class=\"note\">No [event.*] in this scenario.</p>\n</section>\n", p->f);
		return;
	}
	fputs("<table><thead><tr><th>event</th><th>action</th><th>at</th><th>result</th>"
	      "<th>detail</th></tr></thead><tbody>\n",
	      p->f);
	for (int i = 0; i < r->n_events; i++) {
		const struct run_event *e = &r->events[i];

		fputs("<tr><td>", p->f);
		esc(p, e->name);
		fputs("</td><td>", p->f);
		esc(p, e->action);
		if (e->at_s >= 0)
			fprintf(p->f, "</td><td>%s", duration_str(buf, sizeof(buf), e->at_s));
		else
			fputs("</td><td>never fired", p->f);
		fprintf(p->f, "</td><td class=\"%s\">%s</td><td>", e->ok ? "ok" : "fail",
			e->ok ? "ok" : "FAILED");
		esc(p, e->detail);
		fputs("</td></tr>\n", p->f);
	}
	fputs("</tbody></table>\n</section>\n", p->f);
}

static void row_u(struct page *p, const char *name, uint64_t v)
{
	char buf[32];

	fprintf(p->f, "<tr><td>%s</td><td>%s</td></tr>\n", name, count_str(buf, sizeof(buf), v));
}

static void row_f(struct page *p, const char *name, const char *fmt, double v)
{
	fprintf(p->f, "<tr><td>%s</td><td>", name);
	fprintf(p->f, fmt, v);
	fputs("</td></tr>\n", p->f);
}

static void details(struct page *p)
{
	const struct run_result *r = p->r;
	const struct stats *s = &r->st;
	bool any = false;

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cols\">\n<div>\n"
	      "<h3>Phones</h3>\n<table class=\"num\"><tbody>\n",
	      p->f);
	row_u(p, "configured", r->cfg->count);
	row_u(p, "attempted", s->attempted);
	row_u(p, "tunnels up", s->tunnels_up);
	row_u(p, "DTLS up", s->dtls_up);
	row_u(p, "peak concurrent", r->peak_concurrent);
	row_u(p, "failed", s->failed);
	row_u(p, "disconnected cleanly at the end", s->disconnected);
	row_u(p, "still connecting at the end", s->aborted);
	row_u(p, "failovers", s->failovers);
	row_u(p, "tunnels dropped", s->tunnels_dropped);
	row_u(p, "reconnects", s->reconnects);
	row_u(p, "resets (by the timeline)", s->resets);
	row_u(p, "reconnect failures", s->reconnect_failures);
	row_u(p, "DTLS retries", s->dtls_retries);
	fputs("</tbody></table>\n</div>\n<div>\n<h3>Failures by reason</h3>\n", p->f);
	fputs("<table class=\"num\"><tbody>\n", p->f);
	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k]) {
			row_u(p, reason_name((enum reason)k), s->failures[k]);
			any = true;
		}
	if (!any)
		fputs("<tr><td>none</td><td></td></tr>\n", p->f);
	fputs("</tbody></table>\n<h3>Resources</h3>\n<table class=\"num\"><tbody>\n", p->f);
	row_f(p, "CPU user (s)", "%.2f", r->cpu_user_s);
	row_f(p, "CPU system (s)", "%.2f", r->cpu_sys_s);
	row_f(p, "CPU per tunnel brought up (ms)", "%.2f", report_cpu_ms_per_tunnel(r));
	row_f(p, "max resident memory (MiB)", "%.1f", (double)r->max_rss_kb / 1024.0);
	row_f(p, "memory per connected phone (KiB)", "%.1f", report_kib_per_phone(r));
	fputs("</tbody></table>\n</div>\n", p->f);
	if (s->rtp_sent) {
		bool p2p = r->cfg && r->cfg->voice_p2p;

		fputs("<div>\n<h3>Voice</h3>\n<table class=\"num\"><tbody>\n", p->f);
		row_u(p, "calls completed", s->calls_completed);
		row_u(p, "calls cut", s->calls_dropped);
		row_u(p, "RTP packets sent", s->rtp_sent);
		row_u(p, "RTP packets received", s->rtp_received);
		row_f(p, p2p ? "lost caller &rarr; callee (%)" : "lost phone &rarr; reflector (%)",
		      "%.3f", pct(s->rtp_up_lost, s->rtp_up_expected));
		row_f(p, p2p ? "lost callee &rarr; caller (%)" : "lost reflector &rarr; phone (%)",
		      "%.3f", pct(s->rtp_down_lost, s->rtp_down_expected));
		row_u(p, "late (past the jitter buffer)", s->rtp_late);
		row_u(p, "duplicates", s->rtp_duplicates);
		row_u(p, "reordered", s->rtp_reordered);
		row_u(p, "due but not sent", s->rtp_skipped);
		if (s->mos_calls) {
			row_f(p, "MOS mean", "%.2f",
			      (double)s->mos_milli_sum / 1000.0 / (double)s->mos_calls);
			row_f(p, "MOS worst call", "%.2f",
			      (5000.0 - (double)s->mos_worst_milli) / 1000.0);
		}
		fputs("</tbody></table>\n</div>\n", p->f);
	}
	fputs("<div>\n<h3>Traffic</h3>\n<table class=\"num\"><tbody>\n", p->f);
	row_u(p, "CSTP bytes sent", s->cstp_tx_bytes);
	row_u(p, "CSTP bytes received", s->cstp_rx_bytes);
	row_u(p, "DTLS bytes sent", s->dtls_tx_bytes);
	row_u(p, "DTLS bytes received", s->dtls_rx_bytes);
	row_u(p, "keepalives sent", s->keepalives_sent);
	row_u(p, "DPD sent", s->dpd_sent);
	row_u(p, "DPD answered", s->dpd_answered);
	fputs("</tbody></table>\n</div>\n</div>\n</section>\n", p->f);
}

/* ==== The page ==== */

int report_html_write(const struct run_result *r, const char *dir)
{
	struct page p = {.r = r};
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/report.html", dir);
	rc = load_series(&p, dir);
	if (rc)
		goto out;
	p.f = fopen(path, "w");
	if (!p.f) {
		rc = -errno;
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>phoneswarm: ",
	      p.f);
	esc(&p, r->scenario);
	fputs("</title>\n", p.f);
	css(p.f);
	fputs("</head>\n<body>\n<main>\n", p.f);
	header(&p);
	expectations(&p);
	section_time(&p);
	section_latency(&p);
	events(&p);
	details(&p);
	fputs("<footer>phoneswarm report.html: the same run as report.json, timeseries.csv and "
	      "latency.hlog beside it.</footer>\n</main>\n</body>\n</html>\n",
	      p.f);
	if (ferror(p.f))
		rc = -EIO;
	if (fclose(p.f) && !rc)
		rc = -EIO;
out:
	series_free(p.ts);
	free(p.x);
	return rc;
}
