/*
 * report/html_series.c - report.html's charts over time (html_internal.h).
 *
 * Read back from DIR/timeseries.csv: phones up with the scenario's events
 * marked, arrivals and tunnels per second, time to tunnel percentiles,
 * failures by reason stacked, RTP loss, jitter and round trip, CPU and
 * memory. A chart with nothing to show says so instead.
 *
 * Time is drawn in seconds, minutes or hours, whichever keeps the axis
 * readable for the run's length. Counts per interval are drawn per second
 * (count / interval length), so the y axis means the same thing when
 * intervals are merged to keep a long run's charts light.
 */
#include "report/html_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "report/capacity.h"
#include "report/series.h"
#include "report/svg.h"

#define HALF_WIDTH 470 /* px: two charts side by side */

#define C_UP	  "#0072b2"
#define C_DTLS	  "#009e73"
#define C_ARRIVED "#8c959f"
#define C_FAILED  "#cf222e"
#define C_EVENT	  "#57606a"

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

int html_series_load(struct page *p, const char *dir)
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
 * The reconnect storm: tunnels up and the phones still bringing a lost
 * tunnel back, with the reconnection attempts begun, the reconnections and
 * the failed attempts per second, the events marked. Only when some
 * tunnel was lost.
 */
static void chart_storm(struct page *p)
{
	static const struct {
		const char *col, *name, *colour;
		bool rate, dashed;
	} lines[] = {
		{"up", "tunnels up", C_UP, false, false},
		{"lost", "lost, still trying", C_ARRIVED, false, true},
		{"reconnect_tries", "reconnect attempts/s", "#e69f00", true, false},
		{"reconnects", "reconnects/s", C_DTLS, true, false},
		{"reconnect_fails", "failed attempts/s", C_FAILED, true, false},
	};
	enum { N = sizeof(lines) / sizeof(lines[0]) };
	const double *v[N];
	double *own[N] = {0}, hi = NAN;
	const double *drops = col(p, "drops");
	struct svg_chart c;

	if (!drops || col_sum(p, drops) <= 0)
		return;
	for (int i = 0; i < N; i++) {
		const double *raw = col(p, lines[i].col);

		v[i] = lines[i].rate ? (own[i] = per_second(p, raw)) : raw;
		double m = col_max(p, v[i], NULL, NULL, NULL);

		if (!isnan(m) && (isnan(hi) || m > hi))
			hi = m;
	}
	fputs("<h3>Reconnect storm</h3>\n", p->f);
	time_chart_begin(p, &c, "chart-storm", "Tunnels up and reconnect attempts", SVG_WIDTH,
			 "phones, per second", SVG_LINEAR, 0, hi);
	for (int i = 0; i < N; i++)
		if (v[i])
			svg_line(&c, lines[i].name, lines[i].colour, lines[i].dashed, p->x, v[i],
				 p->n);
	markers(p, &c);
	svg_chart_end(&c);
	for (int i = 0; i < N; i++)
		free(own[i]);
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
	label = html_latency_unit(hi, ys, &div);
	time_chart_begin(p, &c, id, title, SVG_WIDTH, label, ys, ys == SVG_LOG ? lo / div : 0,
			 hi / div);
	scaled = malloc(p->n * sizeof(double));
	for (int i = 0; scaled && i < n && i < 4; i++) {
		if (!v[i])
			continue;
		for (size_t j = 0; j < p->n; j++)
			scaled[j] = v[i][j] / div;
		svg_line(&c, names[i], html_palette[i], false, p->x, scaled, p->n);
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
		svg_band(&c, series_name(p->ts, k) + 5, html_palette[layers++ % HTML_N_PALETTE], x,
			 lo, hi, 2 * nb);
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
	static const char *const cols[] = {"rtp_jitter_p99_ms", "rtp_rtt_p50_ms", "rtp_rtt_p99_ms",
					   "rtp_late_p99_ms"};
	static const char *const names[] = {"jitter p99", "round trip p50", "round trip p99",
					    "send lateness p99 (the tool's own)"};
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
		svg_line(&c, "lost phone \u2192 reflector (up)", html_palette[0], false, p->x, lu,
			 p->n);
		svg_line(&c, "lost reflector \u2192 phone (down)", html_palette[1], false, p->x, ld,
			 p->n);
		markers(p, &c);
		svg_chart_end(&c);
	}
	free(lu);
	free(ld);
	chart_ms(p, "chart-rtp-jitter", "RTP jitter, round trip and send lateness per interval", cols,
		 names, 4, "no RTP packet came back in this run");
}

static void chart_resources(struct page *p)
{
	const double *cpu = col(p, "cpu_pct"), *rss = col(p, "rss_mib");
	struct svg_chart c;

	fputs("<div class=\"pair\">\n", p->f);
	if (cpu && !isnan(col_max(p, cpu, NULL, NULL, NULL))) {
		time_chart_begin(p, &c, "chart-cpu", "phoneswarm CPU", HALF_WIDTH,
				 "% of one core", SVG_LINEAR, 0, col_max(p, cpu, NULL, NULL, NULL));
		svg_line(&c, NULL, html_palette[4], false, p->x, cpu, p->n);
		svg_chart_end(&c);
	} else {
		svg_empty(p->f, "chart-cpu", "phoneswarm CPU", HALF_WIDTH, SVG_HEIGHT,
			  "not measured");
	}
	if (rss && !isnan(col_max(p, rss, NULL, NULL, NULL))) {
		time_chart_begin(p, &c, "chart-rss", "phoneswarm memory", HALF_WIDTH,
				 "resident MiB", SVG_LINEAR, 0, col_max(p, rss, NULL, NULL, NULL));
		svg_line(&c, NULL, html_palette[6], false, p->x, rss, p->n);
		svg_chart_end(&c);
	} else {
		svg_empty(p->f, "chart-rss", "phoneswarm memory", HALF_WIDTH, SVG_HEIGHT,
			  "not measured");
	}
	fputs("</div>\n", p->f);
}

void html_series_section(struct page *p)
{
	fputs("<section id=\"over-time\">\n<h2>Over time</h2>\n", p->f);
	if (!p->ts) {
		fputs("<p class=\"note\">No charts over time: cannot read timeseries.csv (", p->f);
		html_esc(p, p->ts_err);
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
	chart_storm(p);
	chart_ttt(p);
	chart_failures(p);
	chart_voice(p);
	fputs("<h3>Resources</h3>\n", p->f);
	chart_resources(p);
	fputs("</section>\n", p->f);
}
