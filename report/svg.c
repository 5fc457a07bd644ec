/*
 * report/svg.c - charts as inline SVG (svg.h).
 *
 * A chart is a <figure> holding one <svg> with a viewBox, so the page can
 * shrink it to its column, and a legend in HTML under it, which wraps on
 * its own however many entries there are. Styling that does not depend on
 * the data (fonts, grid, axes) is in svg_css(); colours of the data are
 * attributes of each element.
 */
#include "report/svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAD_LEFT   72 /* px: room for the y tick labels and the y axis label */
#define PAD_RIGHT  24
#define PAD_TOP	   40 /* the title */
#define PAD_BOTTOM 48 /* x tick labels and the x axis label */
#define PCT_TOP	   99.99 /* the percentile axis ends here */

/* ==== Ticks ==== */

static double nice_step(double raw)
{
	double mag = pow(10, floor(log10(raw)));
	double f = raw / mag;

	if (f <= 1.0 + 1e-9)
		return mag;
	if (f <= 2.0 + 1e-9)
		return 2 * mag;
	if (f <= 5.0 + 1e-9)
		return 5 * mag;
	return 10 * mag;
}

void svg_ticks_linear(double lo, double hi, int max_ticks, bool tight, struct svg_ticks *t)
{
	double step, first, last;
	int n;

	if (max_ticks < 3)
		max_ticks = 3; /* with two, a range across 0 would have no answer */
	if (max_ticks > SVG_MAX_TICKS)
		max_ticks = SVG_MAX_TICKS;
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi <= lo)
		hi = lo + 1;
	step = nice_step((hi - lo) / (max_ticks - 1));
	for (;;) {
		if (tight) {
			first = ceil(lo / step - 1e-9) * step;
			last = floor(hi / step + 1e-9) * step;
		} else {
			first = floor(lo / step + 1e-9) * step;
			last = ceil(hi / step - 1e-9) * step;
		}
		n = (int)lround((last - first) / step) + 1;
		if (n <= max_ticks)
			break;
		step = nice_step(step * 1.5); /* the next nice step up */
	}
	while (tight && n < 1) {
		/* lo..hi holds no multiple of the step: the next step down (at most 3 ticks) */
		step = nice_step(step / 2.6);
		first = ceil(lo / step - 1e-9) * step;
		last = floor(hi / step + 1e-9) * step;
		n = (int)lround((last - first) / step) + 1;
	}
	t->n = n;
	t->step = step;
	for (int i = 0; i < n; i++) {
		double v = first + i * step;

		/* exact multiples, and no "-0" */
		v = round(v / step) * step;
		t->v[i] = v == 0 ? 0 : v;
	}
	t->lo = tight ? lo : t->v[0];
	t->hi = tight ? hi : t->v[n - 1];
}

void svg_ticks_log(double lo, double hi, struct svg_ticks *t)
{
	static const double mant[] = {1, 2, 5};
	double all[3 * 8 + 1];
	int d0, d1, n = 0, every = 1;

	if (!(lo > 0) || !isfinite(lo))
		lo = 1;
	if (!(hi > lo) || !isfinite(hi))
		hi = lo * 10;
	d0 = (int)floor(log10(lo) + 1e-9);
	d1 = (int)ceil(log10(hi) - 1e-9);
	if (d1 <= d0)
		d1 = d0 + 1;
	t->step = 0;
	if (d1 - d0 <= 2) {
		/* 1, 2, 5 in each decade, then only those around lo..hi */
		int a = 0, b;

		for (int d = d0; d < d1; d++)
			for (int m = 0; m < 3; m++)
				all[n++] = mant[m] * pow(10, d);
		all[n++] = pow(10, d1);
		while (a + 1 < n && all[a + 1] <= lo * (1 + 1e-9))
			a++;
		b = a;
		while (b < n - 1 && all[b] < hi * (1 - 1e-9))
			b++;
		t->n = b - a + 1;
		memcpy(t->v, all + a, (size_t)t->n * sizeof(double));
	} else {
		while ((d1 - d0) / every + 1 > SVG_MAX_TICKS)
			every++;
		d1 = d0 + ((d1 - d0 + every - 1) / every) * every;
		t->n = 0;
		for (int d = d0; d <= d1; d += every)
			t->v[t->n++] = pow(10, d);
	}
	t->lo = t->v[0];
	t->hi = t->v[t->n - 1];
}

void svg_ticks_pct(struct svg_ticks *t)
{
	static const double v[] = {0, 50, 90, 99, 99.9, PCT_TOP};

	t->n = (int)(sizeof(v) / sizeof(v[0]));
	memcpy(t->v, v, sizeof(v));
	t->lo = 0;
	t->hi = PCT_TOP;
	t->step = -1;
}

/* How many "nines" a percentile has: 0 -> 0, 90 -> 1, 99 -> 2, 99.9 -> 3. */
static double nines(double pct)
{
	if (pct >= 100)
		return INFINITY;
	return -log10(1 - pct / 100);
}

double svg_frac(enum svg_scale s, const struct svg_ticks *t, double v)
{
	double f;

	if (isnan(v))
		return NAN;
	switch (s) {
	case SVG_LOG:
		if (v <= 0)
			return NAN;
		f = (log10(v) - log10(t->lo)) / (log10(t->hi) - log10(t->lo));
		break;
	case SVG_PCT:
		f = nines(v < 0 ? 0 : v) / nines(t->hi);
		break;
	default:
		f = (v - t->lo) / (t->hi - t->lo);
	}
	if (isnan(f))
		return NAN;
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

void svg_tick_label(const struct svg_ticks *t, int i, char *buf, size_t cap)
{
	static const char *const sfx[] = {"", "k", "M", "G"};
	double v = t->v[i], top = 0, div = 1;
	int k = 0;

	if (t->step < 0) {
		snprintf(buf, cap, "%g%%", v);
		return;
	}
	if (v == 0) {
		snprintf(buf, cap, "0");
		return;
	}
	if (t->step == 0) {
		/* a power of ten, or 2 or 5 times one: %g is exact */
		while (k < 3 && fabs(v) >= 1e4 * div) {
			div *= 1e3;
			k++;
		}
		snprintf(buf, cap, "%g%s", v / div, sfx[k]);
		return;
	}
	for (int j = 0; j < t->n; j++)
		top = fmax(top, fabs(t->v[j]));
	if (top >= 1e4)
		while (k < 3 && top >= 1e3 * div) {
			div *= 1e3;
			k++;
		}
	double step = t->step / div; /* 1, 2 or 5 x 10^k */
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	snprintf(buf, cap, "%.*f%s", decimals, v / div, sfx[k]);
}

/* ==== Thinning ==== */

size_t svg_downsample(const double *x, const double *y, size_t n, size_t max, double *ox,
		      double *oy)
{
	size_t buckets, out = 0;

	if (max < 4)
		max = 4;
	if (n <= max) {
		memcpy(ox, x, n * sizeof(*x));
		memcpy(oy, y, n * sizeof(*y));
		return n;
	}
	/* the first and the last point always: where the line starts and ends */
	buckets = (max - 2) / 2;
	ox[out] = x[0];
	oy[out++] = y[0];
	for (size_t b = 0; b < buckets; b++) {
		size_t from = 1 + b * (n - 2) / buckets, to = 1 + (b + 1) * (n - 2) / buckets;
		size_t lo = (size_t)-1, hi = (size_t)-1;

		for (size_t i = from; i < to; i++) {
			if (isnan(y[i]))
				continue;
			if (lo == (size_t)-1 || y[i] < y[lo])
				lo = i;
			if (hi == (size_t)-1 || y[i] > y[hi])
				hi = i;
		}
		if (lo == (size_t)-1) {
			ox[out] = x[from];
			oy[out++] = NAN;
			continue;
		}
		size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;

		ox[out] = x[first];
		oy[out++] = y[first];
		if (second != first) {
			ox[out] = x[second];
			oy[out++] = y[second];
		}
	}
	ox[out] = x[n - 1];
	oy[out++] = y[n - 1];
	return out;
}

size_t svg_rebin(const double *in, size_t n, size_t group, double *out)
{
	size_t m = 0;

	if (!group)
		group = 1;
	for (size_t i = 0; i < n; i += group) {
		double s = 0;

		for (size_t j = i; j < n && j < i + group; j++)
			if (!isnan(in[j]))
				s += in[j];
		out[m++] = s;
	}
	return m;
}

/* ==== Text ==== */

void svg_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p && *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				fputs("\xef\xbf\xbd", f); /* U+FFFD */
			else
				putc(*p, f);
		}
	}
}

/* ==== Charts ==== */

void svg_css(FILE *f)
{
	fputs("figure.chart{margin:0 0 18px 0}\n"
	      "figure.chart svg{width:100%;height:auto;display:block;background:#fff;"
	      "font-family:inherit}\n"
	      "svg .title{font-size:16px;font-weight:600;fill:#1f2328}\n"
	      "svg .tick{font-size:12px;fill:#57606a}\n"
	      "svg .label{font-size:12px;fill:#57606a}\n"
	      "svg .grid{stroke:#eaeef2;stroke-width:1}\n"
	      "svg .axis{stroke:#8c959f;stroke-width:1}\n"
	      "svg .series{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}\n"
	      "svg .marker text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}\n"
	      "svg .empty{font-size:15px;fill:#8c959f}\n"
	      ".legend{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px;color:#1f2328;"
	      "padding:2px 0 0 72px}\n"
	      ".legend .key{display:inline-flex;align-items:center;gap:6px}\n"
	      ".legend i{display:inline-block;width:22px;height:0;border-top:3px solid}\n"
	      ".legend i.dash{border-top-style:dashed}\n"
	      ".legend i.band{height:10px;border-top:0}\n",
	      f);
}

static void svg_open(FILE *f, const char *id, const char *title, int w, int h)
{
	fprintf(f, "<figure class=\"chart\" id=\"");
	svg_escape(f, id);
	fprintf(f, "\">\n<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n<title>",
		w, h, w, h);
	svg_escape(f, title);
	fprintf(f, "</title>\n<text class=\"title\" x=\"%d\" y=\"24\">", PAD_LEFT);
	svg_escape(f, title);
	fputs("</text>\n", f);
}

double svg_chart_x(const struct svg_chart *c, double v)
{
	return c->left + svg_frac(c->xs, &c->xt, v) * (c->right - c->left);
}

double svg_chart_y(const struct svg_chart *c, double v)
{
	return c->bottom - svg_frac(c->ys, &c->yt, v) * (c->bottom - c->top);
}

static void axis_ticks(const struct svg_axis *a, int max, struct svg_ticks *t)
{
	if (a->scale == SVG_PCT)
		svg_ticks_pct(t);
	else if (a->scale == SVG_LOG)
		svg_ticks_log(a->lo, a->hi, t);
	else
		svg_ticks_linear(a->lo, a->hi, max, a->tight, t);
}

void svg_chart_begin(struct svg_chart *c, FILE *f, const char *id, const char *title, int w,
		     int h, const struct svg_axis *x, const struct svg_axis *y)
{
	char buf[32];

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->xs = x->scale;
	c->ys = y->scale;
	c->left = PAD_LEFT;
	c->right = w - PAD_RIGHT;
	c->top = PAD_TOP;
	c->bottom = h - PAD_BOTTOM;
	axis_ticks(x, (int)((c->right - c->left) / 70), &c->xt);
	axis_ticks(y, (int)((c->bottom - c->top) / 40), &c->yt);
	svg_open(f, id, title, w, h);

	fputs("<g class=\"axes\">\n", f);
	for (int i = 0; i < c->yt.n; i++) {
		double py = svg_chart_y(c, c->yt.v[i]);

		svg_tick_label(&c->yt, i, buf, sizeof(buf));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			c->left, c->right, py, py, c->left - 6, py + 4, buf);
	}
	for (int i = 0; i < c->xt.n; i++) {
		double px = svg_chart_x(c, c->xt.v[i]);

		svg_tick_label(&c->xt, i, buf, sizeof(buf));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			px, px, c->top, c->bottom, px, c->bottom + 17, buf);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		c->left, c->right, c->bottom, c->bottom);
	fprintf(f, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		c->left, c->left, c->top, c->bottom);
	fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
		(c->left + c->right) / 2, h - 8);
	svg_escape(f, x->label);
	fprintf(f, "</text>\n<text class=\"label\" transform=\"translate(16 %.1f) rotate(-90)\" "
		   "text-anchor=\"middle\">",
		(c->top + c->bottom) / 2);
	svg_escape(f, y->label);
	fputs("</text>\n</g>\n", f);
}

static void legend_add(struct svg_chart *c, const char *name, const char *colour, bool dashed,
		       bool band)
{
	if (!name || c->n_legend >= SVG_MAX_LEGEND)
		return;
	snprintf(c->legend[c->n_legend].name, sizeof(c->legend[0].name), "%s", name);
	snprintf(c->legend[c->n_legend].colour, sizeof(c->legend[0].colour), "%s", colour);
	c->legend[c->n_legend].dashed = dashed;
	c->legend[c->n_legend].band = band;
	c->n_legend++;
}

static void series_open(struct svg_chart *c, const char *cls, const char *name)
{
	fprintf(c->f, "<path class=\"%s\" data-name=\"", cls);
	svg_escape(c->f, name);
	fputs("\" d=\"", c->f);
}

static void series_close(struct svg_chart *c, const char *name)
{
	fputs("\"><title>", c->f);
	svg_escape(c->f, name);
	fputs("</title></path>\n", c->f);
}

void svg_line(struct svg_chart *c, const char *name, const char *colour, bool dashed,
	      const double *x, const double *y, size_t n)
{
	size_t cap = n < SVG_MAX_POINTS ? n : SVG_MAX_POINTS;
	double *px = malloc((cap ? cap : 1) * sizeof(double) * 2), *py = px + (cap ? cap : 1);
	size_t m, seg = 0;

	legend_add(c, name, colour, dashed, false);
	if (!px)
		return;
	m = svg_downsample(x, y, n, SVG_MAX_POINTS, px, py);
	series_open(c, "series", name);
	for (size_t i = 0; i < m; i++) {
		double X = svg_chart_x(c, px[i]), Y = svg_chart_y(c, py[i]);

		if (isnan(X) || isnan(Y)) {
			seg = 0;
			continue;
		}
		fprintf(c->f, "%s%.1f %.1f", seg ? "L" : "M", X, Y);
		seg++;
	}
	fprintf(c->f, "\" stroke=\"%s", colour);
	if (dashed)
		fputs("\" stroke-dasharray=\"7 5", c->f);
	series_close(c, name);
	/* a value alone between gaps draws no line: a dot, so that it shows */
	for (size_t i = 0; i < m; i++) {
		bool alone = (i == 0 || isnan(svg_chart_y(c, py[i - 1]))) &&
			     (i + 1 == m || isnan(svg_chart_y(c, py[i + 1])));
		double Y = svg_chart_y(c, py[i]);

		if (alone && !isnan(Y))
			fprintf(c->f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
				svg_chart_x(c, px[i]), Y, colour);
	}
	free(px);
}

static double zero_nan(double v)
{
	return isnan(v) ? 0 : v;
}

void svg_band(struct svg_chart *c, const char *name, const char *colour, const double *x,
	      const double *lo, const double *hi, size_t n)
{
	legend_add(c, name, colour, false, true);
	if (!n)
		return;
	series_open(c, "band", name);
	for (size_t i = 0; i < n; i++)
		fprintf(c->f, "%s%.1f %.1f", i ? "L" : "M", svg_chart_x(c, x[i]),
			svg_chart_y(c, zero_nan(hi[i])));
	for (size_t i = n; i-- > 0;)
		fprintf(c->f, "L%.1f %.1f", svg_chart_x(c, x[i]), svg_chart_y(c, zero_nan(lo[i])));
	fprintf(c->f, "Z\" fill=\"%s\" stroke=\"%s\" stroke-width=\"0.5", colour, colour);
	series_close(c, name);
}

void svg_marker(struct svg_chart *c, double x, const char *label, const char *detail,
		const char *colour)
{
	double px = svg_chart_x(c, x);
	double wide = 6.5 * (double)strlen(label ? label : "") + 6;
	int row = 0;
	bool left;

	if (isnan(px))
		return;
	if (!colour)
		colour = "#57606a";
	/* the first row free at px, else the one that frees soonest */
	for (int i = 0; i < 3; i++) {
		if (c->marker_end[i] <= px) {
			row = i;
			break;
		}
		if (c->marker_end[i] < c->marker_end[row])
			row = i;
	}
	left = px + wide > c->right; /* no room on the right: label on the left of the line */
	c->marker_end[row] = left ? px + 4 : px + wide + 4;
	c->n_markers++;
	fprintf(c->f, "<g class=\"marker\"><title>");
	svg_escape(c->f, label);
	if (detail && *detail) {
		fputs(": ", c->f);
		svg_escape(c->f, detail);
	}
	fprintf(c->f, "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		      "stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
		      "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\">",
		px, px, c->top, c->bottom, colour, left ? px - 4 : px + 4,
		c->top + 12 + 14 * row, colour, left ? "end" : "start");
	svg_escape(c->f, label);
	fputs("</text></g>\n", c->f);
}

void svg_chart_end(struct svg_chart *c)
{
	fputs("</svg>\n", c->f);
	if (c->n_legend) {
		fputs("<div class=\"legend\">", c->f);
		for (int i = 0; i < c->n_legend; i++) {
			fprintf(c->f, "<span class=\"key\"><i class=\"%s\" style=\"%s:%s\"></i>",
				c->legend[i].band ? "band" : c->legend[i].dashed ? "dash" : "line",
				c->legend[i].band ? "background" : "border-color",
				c->legend[i].colour);
			svg_escape(c->f, c->legend[i].name);
			fputs("</span>", c->f);
		}
		fputs("</div>\n", c->f);
	}
	fputs("</figure>\n", c->f);
}

void svg_empty(FILE *f, const char *id, const char *title, int w, int h, const char *message)
{
	svg_open(f, id, title, w, h);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f6f8fa\" "
		   "rx=\"6\"/>\n<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
		PAD_LEFT, PAD_TOP, w - PAD_LEFT - PAD_RIGHT, h - PAD_TOP - PAD_BOTTOM,
		(PAD_LEFT + w - PAD_RIGHT) / 2, (PAD_TOP + h - PAD_BOTTOM) / 2 + 5);
	svg_escape(f, message);
	fputs("</text>\n</svg>\n</figure>\n", f);
}
