/*
 * report/compare.c - two report.json side by side (compare.h).
 *
 * Each figure is taken from both documents the same way (extract()), put
 * in a row, and judged against the tolerance that applies to its name
 * (tol_for()): the longest matching name the user gave, else the first
 * matching default pattern, where "*" stands for one name component. A
 * figure only BASE has is a row of its own kind (vanished), judged by
 * whether its tolerance is off. compare_warnings() says what makes the two
 * runs unlike, for the command to print before the table.
 */
#include "report/compare.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reason.h"
#include "engine/stats/counters.h"
#include "report/contract.h"
#include "report/jsonread.h"
#include "report/report.h"

#define LATENCY_FLOOR_US 1000.0 /* a latency change under 1 ms is noise */

/* The defaults of the figures the counter table does not hold. */
static const struct compare_tol failures_tol = {"failures", 10};
static const struct compare_tol latency_tols[] = {
    {"latency.*.p50", 20},  {"latency.*.p90", 20},  {"latency.*.p99", 25},
    {"latency.*.p999", 50}, {"latency.*.mean", 20}, {"latency.*.max", -1},
};
static const struct compare_tol resources_tols[] = {
    {"resources.cpu_ms_per_tunnel", 25},
    {"resources.kib_per_connected_phone", 10},
    {"resources.max_rss_kb", 20},
};

/* the latency figures compared (min is left out: a best case says little) */
static const char *const lat_stats[] = {"p50", "p90", "p99", "p999", "mean", "max"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The order of the table's rows, and of the defaults: the phones' shares
 * of the fleet, then their other figures (names without a section), the
 * failures, the latencies, the figures of each section (rtp.*), in the
 * counter table's order, and the resources.
 */
enum group { G_SHARES, G_PHONES, G_SECTIONS };

static bool in_group(const struct counter *c, enum group g)
{
	if (c->type == CT_METRIC || c->cmp.as == CMP_NONE || !c->name)
		return false;
	if (g == G_SECTIONS)
		return strchr(c->name, '.') != NULL;
	return !strchr(c->name, '.') && (c->cmp.as == CMP_SHARE) == (g == G_SHARES);
}

const struct compare_tol *compare_default_tolerances(size_t *n)
{
	static struct compare_tol d[64];
	static size_t nd;

	if (!nd) {
		for (int g = G_SHARES; g <= G_SECTIONS; g++) {
			if (g == G_SECTIONS) {
				d[nd++] = failures_tol;
				for (size_t k = 0; k < COUNT_OF(latency_tols); k++)
					d[nd++] = latency_tols[k];
			}
			for (size_t i = 0; i < n_counters; i++)
				if (in_group(&counters[i], (enum group)g)) {
					snprintf(d[nd].name, sizeof(d[nd].name), "%s",
						 counters[i].name);
					d[nd++].value = counters[i].cmp.tol;
				}
		}
		for (size_t k = 0; k < COUNT_OF(resources_tols); k++)
			d[nd++] = resources_tols[k];
	}
	*n = nd;
	return d;
}

/* ==== Names ==== */

/* pattern matches name or a prefix of it ending at a '.'; "*" matches one component. */
static bool matches(const char *pattern, const char *name)
{
	while (*pattern) {
		if (pattern[0] == '*' && (pattern[1] == '.' || !pattern[1])) {
			if (!*name || *name == '.')
				return false;
			while (*name && *name != '.')
				name++;
			pattern++;
			continue;
		}
		if (*pattern++ != *name++)
			return false;
	}
	return *name == '\0' || *name == '.';
}

/* Is s[0..len) the word w? */
static bool is_word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !strncmp(s, w, len);
}

/* Is s[0..len) one of list[0..n)? */
static bool one_of(const char *s, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_word(s, len, list[i]))
			return true;
	return false;
}

static bool is_metric(const char *s, size_t len)
{
	for (int m = 0; m < M__COUNT; m++)
		if (is_word(s, len, metric_name((enum metric)m)))
			return true;
	return false;
}

static bool is_reason(const char *s)
{
	for (int r = 1; r < R__COUNT; r++)
		if (!strcmp(s, reason_name((enum reason)r)))
			return true;
	return false;
}

/* Is name a figure of the counter table compare judges, or a section of such ("rtp")? */
static bool table_name(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n_counters; i++) {
		const char *n = counters[i].name;

		if (counters[i].type == CT_METRIC || counters[i].cmp.as == CMP_NONE || !n)
			continue;
		if (!strcmp(n, name) || (!strncmp(n, name, len) && n[len] == '.'))
			return true;
	}
	return false;
}

/* name is a metric compare knows, or a prefix of such names. */
static bool known_name(const char *name)
{
	const char *dot = strchr(name, '.'), *rest = dot ? dot + 1 : NULL;
	size_t head = dot ? (size_t)(dot - name) : strlen(name);

	if (table_name(name))
		return true;
	if (is_word(name, head, "failures"))
		return !rest || is_reason(rest);
	if (is_word(name, head, "resources")) {
		for (size_t k = 0; rest && k < COUNT_OF(resources_tols); k++)
			if (!strcmp(resources_tols[k].name, name))
				return true;
		return !rest;
	}
	if (is_word(name, head, "latency")) {
		const char *dot2;

		if (!rest)
			return true;
		dot2 = strchr(rest, '.');
		if (!dot2)
			return is_metric(rest, strlen(rest));
		return is_metric(rest, (size_t)(dot2 - rest)) &&
		       one_of(dot2 + 1, strlen(dot2 + 1), lat_stats, COUNT_OF(lat_stats));
	}
	return false;
}

/* Appends the names compare knows to buf, as the --tolerance error lists them. */
static void list_names(char *buf, size_t len)
{
	size_t n = strlen(buf);
	char section[COMPARE_NAME_MAX] = "";

#define ADD(...) n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__)
	for (int g = G_SHARES; g <= G_PHONES; g++)
		for (size_t i = 0; i < n_counters; i++)
			if (in_group(&counters[i], (enum group)g))
				ADD("%s, ", counters[i].name);
	ADD("failures[.REASON], latency[.METRIC[.p50|p90|p99|p999|mean|max]]");
	for (size_t i = 0; i < n_counters; i++) {
		const char *name = counters[i].name, *dot;

		if (!in_group(&counters[i], G_SECTIONS))
			continue;
		dot = strchr(name, '.');
		if (strlen(section) == (size_t)(dot - name) && !strncmp(section, name, strlen(section))) {
			ADD("|%s", dot + 1);
			continue;
		}
		ADD("%s, %.*s[.%s", section[0] ? "]" : "", (int)(dot - name), name, dot + 1);
		snprintf(section, sizeof(section), "%.*s", (int)(dot - name), name);
	}
	ADD("%s, resources[", section[0] ? "]" : "");
	for (size_t k = 0; k < COUNT_OF(resources_tols); k++)
		ADD("%s%s", k ? "|" : ".", resources_tols[k].name + strlen("resources."));
	ADD("]");
#undef ADD
}

int compare_tol_parse(const char *arg, struct compare_tol *t, char *why, size_t whylen)
{
	const char *eq = strchr(arg, '=');
	char *end;
	size_t len;

	if (!eq || eq == arg) {
		snprintf(why, whylen, "--tolerance %s: expected METRIC=PERCENT", arg);
		return -1;
	}
	len = (size_t)(eq - arg);
	if (len >= sizeof(t->name)) {
		snprintf(why, whylen, "--tolerance %s: name too long", arg);
		return -1;
	}
	memcpy(t->name, arg, len);
	t->name[len] = '\0';
	if (!known_name(t->name)) {
		snprintf(why, whylen, "--tolerance %s: unknown metric \"%s\" (", arg, t->name);
		list_names(why, whylen);
		snprintf(why + strlen(why), whylen - strlen(why), ")");
		return -1;
	}
	if (!strcmp(eq + 1, "off")) {
		t->value = -1;
		return 0;
	}
	t->value = strtod(eq + 1, &end);
	if (end == eq + 1 || (*end && strcmp(end, "%")) || !(t->value >= 0) || isinf(t->value)) {
		snprintf(why, whylen,
			 "--tolerance %s: \"%s\" is not a percentage (a number >= 0) or off", arg,
			 eq + 1);
		return -1;
	}
	return 0;
}

/* The tolerance for name: the user's longest match, else the first default, else none. */
static double tol_for(const char *name, const struct compare_tol *tols, size_t n, double none)
{
	size_t best = 0;
	double v = -1;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(tols[i].name);

		if (len >= best && matches(tols[i].name, name)) {
			best = len;
			v = tols[i].value;
		}
	}
	if (best)
		return v;
	tols = compare_default_tolerances(&n);
	for (size_t i = 0; i < n; i++)
		if (matches(tols[i].name, name))
			return tols[i].value;
	return none;
}

/* ==== Figures ==== */

/* A number at path, or absent. */
static bool num_at(const struct jval *doc, const char *path, double *v)
{
	const struct jval *j = jval_path(doc, path);

	if (!j || j->type != JVAL_NUM)
		return false;
	*v = j->is_u64 ? (double)j->u : j->num;
	return true;
}

/* A share of the fleet: path / phones.configured, in %. */
static bool share_at(const struct jval *doc, const char *path, double *v)
{
	double part, whole;

	if (!num_at(doc, path, &part) || !num_at(doc, "phones.configured", &whole) || whole <= 0)
		return false;
	*v = 100.0 * part / whole;
	return true;
}

/* failures.REASON: report.json leaves out the reasons that did not happen. */
static bool failure_at(const struct jval *doc, const char *reason, double *v)
{
	const struct jval *f = jval_get(doc, "failures");

	if (!f || f->type != JVAL_OBJ)
		return false;
	*v = jval_num(jval_get(f, reason), 0);
	return true;
}

static bool failures_sum(const struct jval *doc, double *v)
{
	const struct jval *f = jval_get(doc, "failures");

	if (!f || f->type != JVAL_OBJ)
		return false;
	*v = 0;
	for (size_t i = 0; i < f->n; i++)
		*v += jval_num(&f->items[i], 0);
	return true;
}

/*
 * A figure of the counter table in doc: as report.json has it (a share of
 * the fleet when compared as one), or, when report.json does not write it
 * (rtp.loss), computed from the counters it has, as [expect] computes it.
 */
static bool figure_at(const struct jval *doc, const struct stats *st, const struct counter *c,
		      double *v)
{
	struct figures f = {.st = st};

	if (c->json)
		return c->cmp.as == CMP_SHARE ? share_at(doc, c->json, v) : num_at(doc, c->json, v);
	f.configured = jval_u64(jval_path(doc, "phones.configured"), 0);
	f.peak = jval_u64(jval_path(doc, "phones.peak_concurrent"), 0);
	return !counter_value(c, &f, v);
}

/* The samples of latency metric, if it has any. */
static bool samples_at(const struct jval *doc, const char *metric, double *count)
{
	char path[COMPARE_NAME_MAX + 16];

	snprintf(path, sizeof(path), "latency_us.%s.count", metric);
	return num_at(doc, path, count) && *count > 0;
}

/* latency.METRIC.STAT, from latency_us; absent when the metric has no samples. */
static bool latency_at(const struct jval *doc, const char *metric, const char *stat, double *v)
{
	char path[COMPARE_NAME_MAX + 16];
	double count;

	if (!samples_at(doc, metric, &count))
		return false;
	snprintf(path, sizeof(path), "latency_us.%s.%s", metric, stat);
	return num_at(doc, path, v);
}

/* ==== Rows ==== */

struct table {
	struct compare_row *rows;
	size_t n, cap;
	const struct compare_tol *tols;
	size_t n_tols;
	bool oom;
};

static bool judge(const struct compare_row *r)
{
	double worse = r->higher_is_better ? r->base - r->new : r->new - r->base;

	if (r->vanished)
		return r->tol >= 0;
	if (r->tol < 0 || !r->has_base || !r->has_new || !(worse > 0))
		return false;
	switch (r->unit) {
	case CU_SHARE:
		return worse > r->tol;
	case CU_DURATION:
		return worse >= LATENCY_FLOOR_US &&
		       (r->base <= 0 || worse > r->base * r->tol / 100);
	case CU_COUNT:
		return r->base <= 0 || worse > r->base * r->tol / 100;
	case CU_NUMBER:
		return r->base > 0 && worse > r->base * r->tol / 100;
	}
	return false;
}

/* A new row named name, zeroed; NULL (t->oom set) if out of memory. */
static struct compare_row *push(struct table *t, const char *name)
{
	struct compare_row *r;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct compare_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows) {
			t->oom = true;
			return NULL;
		}
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

static void add(struct table *t, const char *name, enum compare_unit unit, bool higher_better,
		bool always, bool has_base, double base, bool has_new, double new)
{
	bool vanished = has_base && !has_new;
	struct compare_row *r;

	if (!has_base && !has_new)
		return;
	if (!always && !vanished && (!has_base || base == 0) && (!has_new || new == 0))
		return;
	r = push(t, name);
	if (!r)
		return;
	r->unit = unit;
	r->higher_is_better = higher_better;
	r->has_base = has_base;
	r->has_new = has_new;
	r->base = has_base ? base : 0;
	r->new = has_new ? new : 0;
	r->tol = tol_for(name, t->tols, t->n_tols, -1);
	r->vanished = vanished;
	r->regression = judge(r);
}

/*
 * A group of figures that vanished as one (a latency metric's, RTP's):
 * one row, base how many `what` BASE had. Flagged unless a tolerance the
 * user gave for the group's name, or a name above it, is off.
 */
static void add_gone(struct table *t, const char *name, const char *what, double count)
{
	struct compare_row *r = push(t, name);

	if (!r)
		return;
	r->unit = CU_COUNT;
	r->has_base = true;
	r->base = count;
	r->tol = tol_for(name, t->tols, t->n_tols, 0);
	r->vanished = true;
	r->what = what;
	r->regression = judge(r);
}

/* The keys of object path in either document: base's in order, then new's others. */
static size_t union_keys(const struct jval *a, const struct jval *b, const char *path,
			 const char **keys, size_t max)
{
	const struct jval *o[2] = {jval_path(a, path), jval_path(b, path)};
	size_t n = 0;

	for (int d = 0; d < 2; d++) {
		if (!o[d] || o[d]->type != JVAL_OBJ)
			continue;
		for (size_t i = 0; i < o[d]->n && n < max; i++) {
			size_t k;

			for (k = 0; k < n && strcmp(keys[k], o[d]->keys[i]); k++)
				;
			if (k == n)
				keys[n++] = o[d]->keys[i];
		}
	}
	return n;
}

/* A row for figure c of the counter table, as its .cmp says; st: each report's counters. */
static void add_figure(struct table *t, const struct jval *const *doc, const struct stats *st,
		       const struct counter *c)
{
	static const enum compare_unit unit[] = {
		[CMP_SHARE] = CU_SHARE,
		[CMP_COUNT] = CU_COUNT,
		[CMP_PERCENT] = CU_SHARE,
		[CMP_NUMBER] = CU_NUMBER,
	};
	double v[2] = {0, 0};
	bool h[2];

	for (int d = 0; d < 2; d++)
		h[d] = figure_at(doc[d], &st[d], c, &v[d]);
	add(t, c->name, unit[c->cmp.as], c->cmp.higher_better, c->cmp.always, h[0], v[0], h[1],
	    v[1]);
}

int compare_reports(const struct jval *base, const struct jval *new, const struct compare_tol *tols,
		    size_t n_tols, struct compare_row **rows, size_t *n_rows)
{
	struct table t = {.tols = tols, .n_tols = n_tols};
	const struct jval *doc[2] = {base, new};
	const char *keys[256];
	char name[COMPARE_NAME_MAX], path[COMPARE_NAME_MAX + 16];
	struct stats st[2] = {{0}};
	double v[2];
	bool h[2], rtp_gone;
	size_t nk;
	int regressions = 0;

#define BOTH(expr)                                                                                 \
	for (int d = 0; d < 2; d++) {                                                              \
		const struct jval *j = doc[d];                                                     \
		h[d] = (expr);                                                                     \
	}

	for (int d = 0; d < 2; d++)
		report_read_stats(doc[d], &st[d]);
	for (int g = G_SHARES; g <= G_PHONES; g++)
		for (size_t i = 0; i < n_counters; i++)
			if (in_group(&counters[i], (enum group)g))
				add_figure(&t, doc, st, &counters[i]);

	BOTH(failures_sum(j, &v[d]));
	add(&t, "failures", CU_COUNT, false, true, h[0], v[0], h[1], v[1]);
	nk = union_keys(base, new, "failures", keys, COUNT_OF(keys));
	for (size_t k = 0; k < nk; k++) {
		snprintf(path, sizeof(path), "failures.%s", keys[k]);
		BOTH(failure_at(j, keys[k], &v[d]));
		add(&t, path, CU_COUNT, false, false, h[0], v[0], h[1], v[1]);
	}

	nk = union_keys(base, new, "latency_us", keys, COUNT_OF(keys));
	for (size_t k = 0; k < nk; k++) {
		snprintf(name, sizeof(name), "latency.%s", keys[k]);
		BOTH(samples_at(j, keys[k], &v[d]));
		if (h[0] && !h[1]) {
			add_gone(&t, name, "samples", v[0]);
			continue;
		}
		for (size_t s = 0; s < COUNT_OF(lat_stats); s++) {
			snprintf(name, sizeof(name), "latency.%s.%s", keys[k], lat_stats[s]);
			BOTH(latency_at(j, keys[k], lat_stats[s], &v[d]));
			add(&t, name, CU_DURATION, false, false, h[0], v[0], h[1], v[1]);
		}
	}

	/* RTP's figures need RTP: sent in BASE and none in NEW is one row, "rtp" */
	BOTH(num_at(j, "rtp.sent", &v[d]) && v[d] > 0);
	rtp_gone = h[0] && !h[1];
	if (rtp_gone)
		add_gone(&t, "rtp", "RTP packets sent", v[0]);
	for (size_t i = 0; i < n_counters; i++)
		if (in_group(&counters[i], G_SECTIONS) &&
		    (strncmp(counters[i].name, "rtp.", 4) || (h[0] && h[1])))
			add_figure(&t, doc, st, &counters[i]);
	for (size_t k = 0; k < COUNT_OF(resources_tols); k++) {
		const char *res = resources_tols[k].name;

		BOTH(num_at(j, res, &v[d]));
		add(&t, res, CU_NUMBER, false, false, h[0], v[0], h[1], v[1]);
	}
#undef BOTH

	if (t.oom) {
		free(t.rows);
		return -1;
	}
	for (size_t i = 0; i < t.n; i++)
		regressions += t.rows[i].regression;
	*rows = t.rows;
	*n_rows = t.n;
	return regressions;
}

/* ==== Printing ==== */

static void fmt_value(char *buf, size_t len, const struct compare_row *r, bool has, double v)
{
	if (!has) {
		snprintf(buf, len, "-");
		return;
	}
	switch (r->unit) {
	case CU_SHARE:
		snprintf(buf, len, "%.2f%%", v);
		break;
	case CU_COUNT:
		snprintf(buf, len, "%.0f", v);
		break;
	case CU_DURATION:
		snprintf(buf, len,
			 v >= 100000 ? "%.1f ms"
			 : v >= 1000 ? "%.2f ms"
				     : "%.3f ms",
			 v / 1000.0);
		break;
	case CU_NUMBER:
		snprintf(buf, len, v >= 1000 ? "%.0f" : "%.2f", v);
		break;
	}
}

static void fmt_change(char *buf, size_t len, const struct compare_row *r)
{
	if (r->vanished)
		snprintf(buf, len, "vanished");
	else if (!r->has_base || !r->has_new)
		snprintf(buf, len, "-");
	else if (r->unit == CU_SHARE)
		snprintf(buf, len, "%+.2f pt", r->new - r->base);
	else if (r->new == r->base)
		snprintf(buf, len, "=");
	else if (r->base == 0)
		snprintf(buf, len, "from 0");
	else
		snprintf(buf, len, "%+.1f%%", 100.0 * (r->new - r->base) / r->base);
}

void compare_print(FILE *out, const struct compare_row *rows, size_t n_rows)
{
	char b[32], n[32], c[32], t[32];
	int any = 0;

	fprintf(out, "%-40s %12s %12s %10s %9s\n", "metric", "base", "new", "change", "tolerance");
	for (size_t i = 0; i < n_rows; i++) {
		const struct compare_row *r = &rows[i];

		fmt_value(b, sizeof(b), r, r->has_base, r->base);
		fmt_value(n, sizeof(n), r, r->has_new, r->new);
		if (r->what)
			snprintf(n, sizeof(n), "none");
		fmt_change(c, sizeof(c), r);
		if (r->tol < 0)
			snprintf(t, sizeof(t), "off");
		else if (r->vanished)
			snprintf(t, sizeof(t), "-");
		else
			snprintf(t, sizeof(t), r->unit == CU_SHARE ? "%g pt" : "%g%%", r->tol);
		fprintf(out, "%-40s %12s %12s %10s %9s%s\n", r->name, b, n, c, t,
			r->regression ? "  REGRESSION" : "");
	}
	for (size_t i = 0; i < n_rows; i++) {
		const struct compare_row *r = &rows[i];

		if (!r->vanished)
			continue;
		fmt_value(b, sizeof(b), r, true, r->base);
		if (!any++)
			fputc('\n', out);
		if (r->what)
			fprintf(out, "VANISHED %s: %s %s in BASE, none in NEW", r->name, b,
				r->what);
		else
			fprintf(out, "VANISHED %s: %s in BASE, absent from NEW", r->name, b);
		fprintf(out, "%s\n", r->regression ? "" : " (tolerance off: not counted)");
	}
}

/* ==== Like for like ==== */

/* The file name of a path. */
static const char *base_name_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int compare_warnings(FILE *out, const struct jval *base, const char *base_name,
		     const struct jval *new, const char *new_name)
{
	const struct jval *doc[2] = {base, new};
	const char *label[2] = {"BASE", "NEW"}, *name[2] = {base_name, new_name};
	const char *sa = jval_str(jval_get(base, "scenario"), ""),
		   *sb = jval_str(jval_get(new, "scenario"), "");
	const char *da = jval_str(jval_get(base, "dtls_mode"), "(none)"),
		   *db = jval_str(jval_get(new, "dtls_mode"), "(none)");
	/* reports from before phones.client logged in with the desktop exchange */
	const char *ca = jval_str(jval_get(base, "client"), "anyconnect"),
		   *cb = jval_str(jval_get(new, "client"), "anyconnect");
	double fa = jval_num(jval_path(base, "phones.configured"), 0),
	       fb = jval_num(jval_path(new, "phones.configured"), 0);
	char why[1024];
	int n = 0;

	for (int d = 0; d < 2; d++)
		if (!contract_whole(doc[d], why, sizeof(why))) {
			fprintf(out, "WARNING: %s (%s) %s\n", label[d], name[d], why);
			n++;
		}
	if (strcmp(base_name_of(sa), base_name_of(sb))) {
		fprintf(out,
			"WARNING: the runs are of different scenarios: %s in BASE, %s in NEW\n", sa,
			sb);
		n++;
	}
	if (strcmp(da, db)) {
		fprintf(out, "WARNING: the runs have different DTLS modes: %s in BASE, %s in NEW\n",
			da, db);
		n++;
	}
	if (strcmp(ca, cb)) {
		fprintf(out,
			"WARNING: the phones logged in differently: phones.client %s in BASE, %s in "
			"NEW\n",
			ca, cb);
		n++;
	}
	if (fa != fb) {
		fprintf(
		    out,
		    "WARNING: the runs have different fleet sizes: %.0f phones in BASE, %.0f in "
		    "NEW: counts are compared as they are, shares are of each run's fleet\n",
		    fa, fb);
		n++;
	}
	return n;
}
