/*
 * tests/unit/test_svg.c - report/svg: ticks, scales, thinning, escaping.
 *
 * The pure parts of the chart writer: nice ticks (case by case, and as
 * properties over many ranges), where a value lands on each kind of axis,
 * tick labels, that thinning keeps spikes, the first and the last point and
 * stays within its budget, re-binning, and that user text cannot open an
 * element. A chart's output is checked for the shape of its path (the pen
 * lifted at a missing value) and the escaping of its names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"

/* cmocka's assert_float_equal works in float; these are doubles */
#define assert_near(a, b, eps) near_(a, b, eps, __FILE__, __LINE__)

static void near_(double a, double b, double eps, const char *file, int line)
{
	if (!(fabs(a - b) <= eps) && !(isnan(a) && isnan(b))) {
		fprintf(stderr, "%s:%d: want %.17g, got %.17g (within %g)\n", file, line, b, a,
			eps);
		fail();
	}
}

static void assert_ticks(const struct svg_ticks *t, const double *want, int n)
{
	if (t->n != n) {
		fprintf(stderr, "want %d ticks, got %d:", n, t->n);
		for (int i = 0; i < t->n; i++)
			fprintf(stderr, " %g", t->v[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(t->n, n);
	for (int i = 0; i < n; i++)
		assert_near(t->v[i], want[i], 1e-9 * fmax(1, fabs(want[i])));
}

static void test_ticks_linear_cases(void **state)
{
	struct svg_ticks t;

	(void)state;
	svg_ticks_linear(0, 1000, 6, false, &t);
	assert_ticks(&t, (double[]){0, 200, 400, 600, 800, 1000}, 6);
	assert_near(t.step, 200, 0);
	assert_near(t.lo, 0, 0);
	assert_near(t.hi, 1000, 0);

	/* a little over: 200 apart would need 7 ticks, so 500 */
	svg_ticks_linear(0, 1080, 6, false, &t);
	assert_ticks(&t, (double[]){0, 500, 1000, 1500}, 4);
	assert_near(t.hi, 1500, 0);

	svg_ticks_linear(0, 0.73, 8, false, &t);
	assert_ticks(&t, (double[]){0, 0.2, 0.4, 0.6, 0.8}, 5);

	/* 2 apart needs 7 ticks from -4 to 8; 5 apart fits */
	svg_ticks_linear(-3, 7, 6, false, &t);
	assert_ticks(&t, (double[]){-5, 0, 5, 10}, 4);

	/* nothing to show: one unit */
	svg_ticks_linear(0, 0, 6, false, &t);
	assert_near(t.lo, 0, 0);
	assert_near(t.hi, 1, 0);
	svg_ticks_linear(5, 2, 6, false, &t);
	assert_true(t.lo <= 5 && t.hi >= 6);
	svg_ticks_linear(NAN, 2, 6, false, &t);
	assert_true(t.n >= 2);
}

static void test_ticks_linear_tight(void **state)
{
	struct svg_ticks t;

	(void)state;
	/* a day in hours: the axis ends at 24, the ticks inside */
	svg_ticks_linear(0, 24, 10, true, &t);
	assert_ticks(&t, (double[]){0, 5, 10, 15, 20}, 5);
	assert_near(t.lo, 0, 0);
	assert_near(t.hi, 24, 0);

	/* no multiple of the step inside: a smaller step */
	svg_ticks_linear(7.46, 654.81, 3, true, &t);
	assert_true(t.n >= 1 && t.n <= 3);

	svg_ticks_linear(0.5, 121, 12, true, &t);
	assert_ticks(&t, (double[]){20, 40, 60, 80, 100, 120}, 6);
	assert_near(t.lo, 0.5, 0);
	assert_near(t.hi, 121, 0);
}

/* Is s 1, 2 or 5 times a power of ten? */
static int is_nice(double s)
{
	double m = s / pow(10, floor(log10(s) + 1e-12));

	return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9 ||
	       fabs(m - 10) < 1e-9;
}

static void test_ticks_linear_properties(void **state)
{
	struct svg_ticks t;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		double lo, hi, mag;
		int max, tight;

		seed = seed * 1103515245 + 12345;
		mag = pow(10, (int)(seed >> 16) % 12 - 4);
		seed = seed * 1103515245 + 12345;
		lo = ((int)(seed >> 8) % 2000 - 1000) / 1000.0 * mag;
		seed = seed * 1103515245 + 12345;
		hi = lo + ((seed >> 8) % 100000 + 1) / 1000.0 * mag;
		seed = seed * 1103515245 + 12345;
		max = 3 + (int)((seed >> 16) % (SVG_MAX_TICKS - 2));
		tight = (seed >> 4) & 1;

		svg_ticks_linear(lo, hi, max, tight, &t);
		if (t.n < (tight ? 1 : 2) || t.n > max || !is_nice(t.step)) {
			fprintf(stderr, "lo %g hi %g max %d tight %d: %d ticks, step %g\n", lo, hi,
				max, tight, t.n, t.step);
			fail();
		}
		for (int k = 1; k < t.n; k++)
			assert_near(t.v[k] - t.v[k - 1], t.step, t.step * 1e-6);
		if (tight) {
			assert_true(t.lo == lo && t.hi == hi);
			assert_true(t.v[0] >= lo - t.step * 1e-6);
			assert_true(t.v[t.n - 1] <= hi + t.step * 1e-6);
		} else {
			assert_true(t.lo == t.v[0] && t.hi == t.v[t.n - 1]);
			assert_true(t.v[0] <= lo + t.step * 1e-6);
			assert_true(t.v[t.n - 1] >= hi - t.step * 1e-6);
			/* rounded out by less than a step each side */
			assert_true(lo - t.v[0] < t.step * (1 + 1e-6));
			assert_true(t.v[t.n - 1] - hi < t.step * (1 + 1e-6));
		}
	}
}

static void test_ticks_log(void **state)
{
	struct svg_ticks t;

	(void)state;
	/* up to two decades: 1, 2, 5, only those around the range */
	svg_ticks_log(3, 40, &t);
	assert_ticks(&t, (double[]){2, 5, 10, 20, 50}, 5);
	assert_near(t.lo, 2, 0);
	assert_near(t.hi, 50, 0);

	svg_ticks_log(1, 100, &t);
	assert_ticks(&t, (double[]){1, 2, 5, 10, 20, 50, 100}, 7);

	/* more: decades */
	svg_ticks_log(0.0013, 7000, &t);
	assert_ticks(&t, (double[]){0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000}, 8);

	/* 1 us to an hour in ms and beyond: decades thinned to fit */
	svg_ticks_log(1e-6, 1e12, &t);
	assert_true(t.n <= SVG_MAX_TICKS);
	assert_true(t.lo <= 1e-6 && t.hi >= 1e12);
}

static void test_frac(void **state)
{
	struct svg_ticks t;

	(void)state;
	svg_ticks_linear(0, 100, 6, false, &t);
	assert_near(svg_frac(SVG_LINEAR, &t, 25), 0.25, 1e-12);
	assert_near(svg_frac(SVG_LINEAR, &t, -5), 0, 0);  /* clamped */
	assert_near(svg_frac(SVG_LINEAR, &t, 500), 1, 0); /* clamped */
	assert_true(isnan(svg_frac(SVG_LINEAR, &t, NAN)));

	svg_ticks_log(1, 1000, &t);
	assert_near(svg_frac(SVG_LOG, &t, 10), 1.0 / 3, 1e-12);
	assert_near(svg_frac(SVG_LOG, &t, 100), 2.0 / 3, 1e-12);
	assert_true(isnan(svg_frac(SVG_LOG, &t, 0)));
	assert_true(isnan(svg_frac(SVG_LOG, &t, -1)));

	/* percentiles: each nine one step, four steps to 99.99 */
	svg_ticks_pct(&t);
	assert_near(svg_frac(SVG_PCT, &t, 0), 0, 1e-12);
	assert_near(svg_frac(SVG_PCT, &t, 90), 0.25, 1e-12);
	assert_near(svg_frac(SVG_PCT, &t, 99), 0.5, 1e-12);
	assert_near(svg_frac(SVG_PCT, &t, 99.9), 0.75, 1e-12);
	assert_near(svg_frac(SVG_PCT, &t, 99.99), 1, 1e-12);
	assert_near(svg_frac(SVG_PCT, &t, 100), 1, 0);
	assert_near(svg_frac(SVG_PCT, &t, 50), log10(2) / 4, 1e-12);
}

static const char *label(const struct svg_ticks *t, int i)
{
	static char buf[32];

	svg_tick_label(t, i, buf, sizeof(buf));
	return buf;
}

static void test_tick_labels(void **state)
{
	struct svg_ticks t;

	(void)state;
	svg_ticks_linear(0, 1, 6, false, &t); /* 0.2 apart */
	assert_string_equal(label(&t, 0), "0");
	assert_string_equal(label(&t, 1), "0.2");
	assert_string_equal(label(&t, 5), "1.0");

	svg_ticks_linear(0, 1000, 6, false, &t);
	assert_string_equal(label(&t, 3), "600");

	/* from 10,000 up the whole axis in thousands, with the digits the step needs */
	svg_ticks_linear(0, 12500, 6, false, &t); /* 5,000 apart */
	assert_string_equal(label(&t, 0), "0");
	assert_string_equal(label(&t, 1), "5k");
	assert_string_equal(label(&t, 3), "15k");
	svg_ticks_linear(10000, 12000, 6, false, &t); /* 500 apart */
	assert_string_equal(label(&t, 0), "10.0k");
	assert_string_equal(label(&t, 1), "10.5k");
	svg_ticks_linear(0, 0.004, 5, false, &t); /* 0.001 apart */
	assert_string_equal(label(&t, 1), "0.001");
	svg_ticks_linear(0, 4e6, 5, false, &t);
	assert_string_equal(label(&t, 1), "1M");
	svg_ticks_linear(0, 2e6, 5, false, &t); /* 500,000 apart */
	assert_string_equal(label(&t, 1), "0.5M");

	svg_ticks_log(0.001, 100000, &t);
	assert_string_equal(label(&t, 0), "0.001");
	assert_string_equal(label(&t, 4), "10");
	assert_string_equal(label(&t, 7), "10k");
	assert_string_equal(label(&t, 8), "100k");

	svg_ticks_pct(&t);
	assert_string_equal(label(&t, 0), "0%");
	assert_string_equal(label(&t, 4), "99.9%");
	assert_string_equal(label(&t, 5), "99.99%");
}

static void test_downsample(void **state)
{
	enum { N = 100000, MAX = 2000 };
	double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
	double ox[MAX], oy[MAX];
	size_t m;
	int spike = 0, dip = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		x[i] = i;
		y[i] = 10 + (i % 7); /* 10..16 */
	}
	y[54321] = 1000; /* one interval's spike */
	y[77777] = -50;	 /* and a dip */
	m = svg_downsample(x, y, N, MAX, ox, oy);
	assert_true(m <= MAX);
	assert_true(m > MAX / 2);
	assert_near(ox[0], 0, 0);
	assert_near(ox[m - 1], N - 1, 0);
	for (size_t i = 0; i < m; i++) {
		if (i)
			assert_true(ox[i] > ox[i - 1]);
		spike += oy[i] == 1000 && ox[i] == 54321;
		dip += oy[i] == -50 && ox[i] == 77777;
		assert_true(oy[i] >= -50 && oy[i] <= 1000);
	}
	assert_int_equal(spike, 1);
	assert_int_equal(dip, 1);

	/* a stretch with no value gives one missing point */
	for (int i = 20000; i < 30000; i++)
		y[i] = NAN;
	m = svg_downsample(x, y, N, MAX, ox, oy);
	assert_true(m <= MAX);
	int nans = 0;

	for (size_t i = 0; i < m; i++)
		nans += isnan(oy[i]);
	assert_true(nans >= 95 && nans <= 101); /* 10,000 of stretches of about 100 */

	/* few points: copied as they are, NaN included */
	m = svg_downsample(x, y + 19998, 5, MAX, ox, oy);
	assert_int_equal(m, 5);
	assert_near(oy[1], y[19999], 0);
	assert_true(isnan(oy[2]));
	free(x);
	free(y);
}

static void test_rebin(void **state)
{
	double in[] = {1, 2, NAN, 4, 5, 6, 7};
	double out[4];

	(void)state;
	assert_int_equal(svg_rebin(in, 7, 3, out), 3);
	assert_near(out[0], 3, 0);
	assert_near(out[1], 15, 0);
	assert_near(out[2], 7, 0); /* the last group is short */
	assert_int_equal(svg_rebin(in, 2, 5, out), 1);
	assert_near(out[0], 3, 0);
}

/* What f wrote, as a string; closes f. */
static char *text_of(FILE *f, char **buf)
{
	assert_int_equal(fclose(f), 0);
	return *buf;
}

static void test_escape(void **state)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	svg_escape(f, "<script>alert(\"x\")</script> & 'y'\ttab\x01\x7f\xc3\xa9");
	svg_escape(f, NULL);
	assert_string_equal(text_of(f, &buf),
			    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
			    "\ttab\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	free(buf);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_chart(void **state)
{
	char *buf = NULL, *out;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct svg_chart c;
	struct svg_axis x = {"time (s)", SVG_LINEAR, 0, 10, true};
	struct svg_axis y = {"phones", SVG_LINEAR, 0, 100, false};
	double xs[] = {1, 2, 3, 4, 5, 6, 7}, ys[] = {10, 20, 30, NAN, 50, NAN, 70};
	double zero[] = {0, 0, 0, 0, 0, 0, 0};

	(void)state;
	svg_chart_begin(&c, f, "chart-x", "Phones <up>", SVG_WIDTH, SVG_HEIGHT, &x, &y);
	svg_line(&c, "a&b", "#0072b2", true, xs, ys, 7);
	svg_band(&c, "band", "#e69f00", xs, zero, ys, 7);
	svg_marker(&c, 5, "restart<1>", "exec \"x\"", NULL);
	svg_marker(&c, 500, "outside", NULL, NULL); /* clamped to the right edge */
	svg_chart_end(&c);
	out = text_of(f, &buf);

	assert_non_null(strstr(out, "<figure class=\"chart\" id=\"chart-x\">"));
	assert_non_null(strstr(out, "Phones &lt;up&gt;"));
	assert_null(strstr(out, "<up>"));
	assert_null(strstr(out, "restart<1>"));
	assert_non_null(strstr(out, "restart&lt;1&gt;: exec &quot;x&quot;"));
	/* the line: three points, a gap, a lone point, a gap, a lone point; dots for those two */
	const char *d = strstr(out, "class=\"series\" data-name=\"a&amp;b\" d=\"");

	assert_non_null(d);
	d = strchr(d + 36, '"') + 1;
	char path[256];

	snprintf(path, sizeof(path), "%.*s", (int)(strchr(d, '"') - d), d);
	assert_int_equal(count(path, "M"), 3);
	assert_int_equal(count(path, "L"), 2);
	assert_int_equal(count(out, "<circle class=\"dot\""), 2);
	assert_non_null(strstr(out, "stroke-dasharray=\"7 5\""));
	/* legend under the chart */
	assert_non_null(strstr(out, "<div class=\"legend\">"));
	assert_non_null(strstr(out, "a&amp;b</span>"));
	assert_int_equal(count(out, "<g class=\"marker\">"), 2);
	assert_non_null(strstr(out, "</svg>\n<div class=\"legend\">"));
	assert_non_null(strstr(out, "</figure>\n"));
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	svg_empty(f, "chart-v", "Voice", SVG_WIDTH, SVG_HEIGHT, "no voice in this run");
	out = text_of(f, &buf);
	assert_non_null(strstr(out, "no voice in this run</text>"));
	assert_null(strstr(out, "<path"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_linear_cases),
		cmocka_unit_test(test_ticks_linear_tight),
		cmocka_unit_test(test_ticks_linear_properties),
		cmocka_unit_test(test_ticks_log),
		cmocka_unit_test(test_frac),
		cmocka_unit_test(test_tick_labels),
		cmocka_unit_test(test_downsample),
		cmocka_unit_test(test_rebin),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_chart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
