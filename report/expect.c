/*
 * report/expect.c - the [expect] language (expect.h).
 *
 * A metric name resolves to a value and a kind: a name of the counter
 * table to its figure (the kind from its unit), failures.REASON and
 * failed.REASON to the counts by reason, latency.METRIC.STAT to a
 * histogram. The kind decides which bounds make sense: phone counts take
 * a share of the fleet ("99.5%") or a number, percentages take either
 * spelling, latencies need a duration, call quality a number.
 */
#include "report/expect.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats/counters.h"
#include "engine/stats/hist.h"

enum kind {
	K_PHONES,  /* a count of phones or tunnels: "%" is a share of the fleet */
	K_COUNT,   /* a count of something else: packets, calls, retries */
	K_PERCENT, /* already a percentage */
	K_LATENCY, /* microseconds */
	K_SCORE,   /* MOS, 1..5 */
};

/* The kind of bound a figure of the counter table takes, by its unit. */
static enum kind kind_of(const struct counter *c)
{
	switch (c->unit) {
	case UNIT_PHONES:
	case UNIT_FLEET:
		return K_PHONES;
	case UNIT_PERCENT:
		return K_PERCENT;
	case UNIT_SCORE:
		return K_SCORE;
	case UNIT_US:
		return K_LATENCY;
	default:
		return K_COUNT;
	}
}

/*
 * Phones at one moment, not events: never more than the fleet, so never
 * more than 100% of it. (An event count such as tunnels_up or resets may
 * pass 100%: a phone reset twice comes up three times.)
 */
static bool at_one_moment(const char *metric)
{
	const struct counter *c = counter_by_name(metric);

	return (c && c->unit == UNIT_FLEET) || !strncmp(metric, "failed.", 7);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static int find_reason(const char *name)
{
	for (int r = 1; r < R__COUNT; r++)
		if (!strcmp(name, reason_name((enum reason)r)))
			return r;
	return -1;
}

/* "p99" -> 99, "p999" -> 99.9, "p99.99" -> 99.99; -1 if not a percentile. */
static double percentile_of(const char *s)
{
	char *end;

	if (s[0] != 'p' || !isdigit((unsigned char)s[1]))
		return -1;
	if (!strcmp(s, "p999"))
		return 99.9;
	double v = strtod(s + 1, &end);
	return *end || v <= 0 || v > 100 ? -1 : v;
}

/*
 * Resolve metric: its kind, and with v its value (*val) and, for latencies,
 * how many samples it rests on (*n). 0; -1 unknown metric (why set); 1 the
 * view has nothing to measure it on (why set).
 */
static int measure(const char *metric, const struct expect_view *v, enum kind *kind, double *val,
		   uint64_t *n, char *why, size_t whylen)
{
	const struct stats *st = v ? v->st : NULL;
	const struct counter *c = counter_by_name(metric);

	*n = 0;
	if (c) {
		struct figures f;
		const char *none;

		*kind = kind_of(c);
		if (!v)
			return 0;
		f = (struct figures){.st = st, .configured = v->configured, .peak = v->peak,
				     .up_min = v->up_min};
		none = counter_value(c, &f, val);
		if (none) {
			snprintf(why, whylen, "%s", none);
			return 1;
		}
		return 0;
	}
	if (!strncmp(metric, "failures.", 9) || !strncmp(metric, "failed.", 7)) {
		bool events = metric[6] == 'e';
		int r = find_reason(strchr(metric, '.') + 1);

		if (r < 0) {
			snprintf(why, whylen, "%s: no such failure reason (see README: Failure reasons)",
				 strchr(metric, '.') + 1);
			return -1;
		}
		*kind = K_PHONES;
		if (st)
			*val = (double)(events ? st->failures[r] : st->failed_by[r]);
		return 0;
	}
	if (!strncmp(metric, "latency.", 8)) {
		const char *stat = NULL;
		int m;

		for (m = 0; m < M__COUNT; m++) {
			const char *name = metric_name((enum metric)m);
			size_t len = strlen(name);

			if (!strncmp(metric + 8, name, len) && metric[8 + len] == '.') {
				stat = metric + 8 + len + 1;
				break;
			}
		}
		if (!stat) {
			snprintf(why, whylen, "%s: no such latency metric (see README: Metrics)",
				 metric + 8);
			return -1;
		}
		const char *name = metric_name((enum metric)m);
		double p = percentile_of(stat);
		bool count = !strcmp(stat, "count");

		if (p < 0 && !count && strcmp(stat, "min") && strcmp(stat, "max") &&
		    strcmp(stat, "mean")) {
			snprintf(why, whylen, "%s: not a statistic (count, min, mean, max, p50, p99, "
					      "p999, pNN)", stat);
			return -1;
		}
		*kind = count ? K_COUNT : K_LATENCY;
		if (!v)
			return 0;
		const struct hist *h = v->lat[m];
		*n = hist_count(h);
		if (count) {
			*val = (double)*n;
			return 0;
		}
		if (!*n) {
			snprintf(why, whylen, "no %s samples in this window", name);
			return 1;
		}
		if (p >= 0)
			*val = (double)hist_percentile(h, p);
		else if (!strcmp(stat, "min"))
			*val = (double)hist_min(h);
		else if (!strcmp(stat, "max"))
			*val = (double)hist_max(h);
		else
			*val = hist_mean(h);
		return 0;
	}
	snprintf(why, whylen, "%s: unknown metric", metric);
	return -1;
}

/* ==== Parsing ==== */

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A name: letters, digits, _ . - (not ".."); copied to out. Returns the end, or NULL. */
static const char *take_name(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '-' ||
	       (s[n] == '.' && s[n + 1] != '.'))
		n++;
	if (!n || n >= outlen)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n;
}

static int parse_bound(const char *s, struct expect *e, char *why, size_t whylen)
{
	static const struct {
		const char *suffix;
		double us;
	} units[] = {{"us", 1},	  {"ms", 1e3},	 {"s", 1e6},
		     {"m", 60e6}, {"h", 3600e6}, {"d", 86400e6}};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !isfinite(v)) {
		snprintf(why, whylen, "\"%s\": expected a number, a share (99.5%%) or a duration (2s)",
			 s);
		return -1;
	}
	end = (char *)skip_blanks(end);
	e->value = v;
	e->unit = EU_NUMBER;
	if (*end == '\0')
		return 0;
	if (!strcmp(end, "%")) {
		e->unit = EU_PERCENT;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix)) {
			e->unit = EU_DURATION;
			e->value = v * units[i].us;
			return 0;
		}
	snprintf(why, whylen, "\"%s\": unknown unit (%%, us, ms, s, m, h, d)", end);
	return -1;
}

int expect_parse(const char *line, struct expect *e, char *why, size_t whylen)
{
	static const struct {
		const char *text;
		enum expect_op op;
	} ops[] = {{"<=", EX_LE}, {">=", EX_GE}, {"==", EX_EQ}, {"!=", EX_NE},
		   {"<", EX_LT},  {">", EX_GT}};
	const char *s = skip_blanks(line);
	size_t len = strlen(s);

	memset(e, 0, sizeof(*e));
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		       s[len - 1] == '\n'))
		len--;
	if (len >= sizeof(e->text)) {
		snprintf(why, whylen, "expectation longer than %zu characters", sizeof(e->text) - 1);
		return -1;
	}
	memcpy(e->text, s, len);
	s = e->text;

	if (!strncmp(s, "during", 6) && (s[6] == ' ' || s[6] == '\t')) {
		s = skip_blanks(s + 6);
		s = take_name(s, e->from, sizeof(e->from));
		if (!s || strncmp(s, "..", 2)) {
			snprintf(why, whylen, "expected \"during FROM..TO: METRIC OP BOUND\"");
			return -1;
		}
		s = take_name(s + 2, e->to, sizeof(e->to));
		if (!s || *(s = skip_blanks(s)) != ':') {
			snprintf(why, whylen, "expected \"during FROM..TO: METRIC OP BOUND\"");
			return -1;
		}
		if (!strcmp(e->from, "end") || !strcmp(e->to, "start")) {
			snprintf(why, whylen, "during %s..%s: a window runs from start or an event "
					      "to an event or end", e->from, e->to);
			return -1;
		}
		s = skip_blanks(s + 1);
	}
	s = take_name(s, e->metric, sizeof(e->metric));
	if (!s) {
		snprintf(why, whylen, "expected \"METRIC OP BOUND\", as in tunnels_up >= 99.5%%");
		return -1;
	}
	s = skip_blanks(s);
	size_t k;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strncmp(s, ops[k].text, strlen(ops[k].text)))
			break;
	if (k == sizeof(ops) / sizeof(ops[0])) {
		snprintf(why, whylen, "%s: expected an operator (< <= > >= == !=) after the metric",
			 e->metric);
		return -1;
	}
	e->op = ops[k].op;
	s = skip_blanks(s + strlen(ops[k].text));
	if (parse_bound(s, e, why, whylen))
		return -1;

	enum kind kind;
	double val;
	uint64_t n;

	if (measure(e->metric, NULL, &kind, &val, &n, why, whylen) < 0)
		return -1;
	if (e->unit == EU_PERCENT && kind != K_PHONES && kind != K_PERCENT) {
		snprintf(why, whylen, "%s: a share (%%) applies to phone counts and percentages only",
			 e->metric);
		return -1;
	}
	/* a bound no share can reach (or one every share passes) is a typo */
	if (e->unit == EU_PERCENT &&
	    (e->value < 0 || (e->value > 100 && (kind == K_PERCENT || at_one_moment(e->metric))))) {
		snprintf(why, whylen, "%s: %g%% is not a share (0%% to 100%%)", e->metric,
			 e->value);
		return -1;
	}
	if (e->unit == EU_DURATION && kind != K_LATENCY) {
		snprintf(why, whylen, "%s: not a duration: give a number", e->metric);
		return -1;
	}
	if (kind == K_LATENCY && e->unit != EU_DURATION) {
		snprintf(why, whylen, "%s: give the bound as a duration (250ms, 2s)", e->metric);
		return -1;
	}
	return 0;
}

/* ==== Judging ==== */

static bool compare(double a, enum expect_op op, double b)
{
	switch (op) {
	case EX_LT:
		return a < b;
	case EX_LE:
		return a <= b;
	case EX_GT:
		return a > b;
	case EX_GE:
		return a >= b;
	case EX_EQ:
		return a == b;
	case EX_NE:
		return a != b;
	}
	return false;
}

static const char *op_text(enum expect_op op)
{
	static const char *const t[] = {"<", "<=", ">", ">=", "==", "!="};
	return t[op];
}

/* A duration in the unit a reader wants: "850 us", "12.3 ms", "2.00 s". */
static void fmt_us(char *buf, size_t len, double us)
{
	if (us < 1000)
		snprintf(buf, len, "%.0f us", us);
	else if (us < 1e6)
		snprintf(buf, len, "%.3g ms", us / 1e3);
	else
		snprintf(buf, len, "%.3g s", us / 1e6);
}

bool expect_judge(const struct expect *e, const struct expect_view *v, char *detail,
		  size_t detaillen)
{
	enum kind kind;
	double val = 0, lhs;
	uint64_t n;
	char why[160], a[32], b[32];
	int r = measure(e->metric, v, &kind, &val, &n, why, sizeof(why));

	if (r) {
		snprintf(detail, detaillen, "%s", why);
		return false;
	}
	lhs = val;
	if (e->unit == EU_PERCENT && kind == K_PHONES)
		lhs = pct((uint64_t)val, v->configured);

	bool ok = compare(lhs, e->op, e->value);
	const char *op = op_text(e->op);

	switch (kind) {
	case K_LATENCY:
		fmt_us(a, sizeof(a), val);
		fmt_us(b, sizeof(b), e->value);
		snprintf(detail, detaillen, "measured %s over %llu samples; bound %s %s", a,
			 (unsigned long long)n, op, b);
		break;
	case K_PHONES:
		if (e->unit == EU_PERCENT) {
			snprintf(detail, detaillen, "measured %.2f%% (%.0f of %llu phones); bound %s %g%%",
				 lhs, val, (unsigned long long)v->configured, op, e->value);
			break;
		}
		/* fall through */
	case K_COUNT:
		snprintf(detail, detaillen, "measured %.0f; bound %s %g", val, op, e->value);
		break;
	case K_PERCENT:
		snprintf(detail, detaillen, "measured %.3f%%; bound %s %g%%", val, op, e->value);
		break;
	case K_SCORE:
		snprintf(detail, detaillen, "measured %.2f; bound %s %g", val, op, e->value);
		break;
	}
	return ok;
}
