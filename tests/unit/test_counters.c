/*
 * tests/unit/test_counters.c - the counter table (engine/stats/counters.def)
 * is whole and agrees with itself and with the documents; and what it
 * declares is what the outputs write.
 *
 * The table is checked for what no compiler sees: every entry explained,
 * no name, path, sample or column twice, a labelled Prometheus family in
 * one piece, paths in sections report.json writes, labels in sections the
 * page shows, and every name, path, sample and column in docs/outputs.md
 * or docs/scenario.md. Then each counter, given a value of its own, is
 * read back from report.json at its path, from timeseries.csv in its
 * column, and summed by stats_add() and differenced by stats_delta() as
 * its kind says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/stats/counters.h"
#include "engine/stats/hist.h"
#include "report/jsonread.h"
#include "report/report.h"
#include "report/series.h"
#include "tests/unit/files.h"

static uint64_t *field(struct stats *st, const struct counter *c)
{
	return (uint64_t *)((char *)st + c->off);
}

/* Every field of the table a value no other has; the MOS workings a sane MOS. */
static void distinct(struct stats *st)
{
	uint64_t v = 1000;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].type == CT_STAT)
			*field(st, &counters[i]) = v += 7;
	st->mos_calls = 3;
	st->mos_milli_sum = 3 * 4200;
	st->mos_worst_milli = 1000;
}

static void test_entries(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *a = &counters[i];

		if (!a->help || !*a->help)
			fail_msg("%s: no .help", a->id);
		if (a->type == CT_METRIC && (!a->csv != !a->csv_stats))
			fail_msg("%s: .csv and .csv_stats go together", a->id);
		if (a->type != CT_METRIC && a->csv && a->kind == KIND_MAX)
			fail_msg("%s: a MAX has no interval column", a->id);
		if (a->cmp.as != CMP_NONE && !a->name)
			fail_msg("%s: compared, but has no name", a->id);
		if (a->cmp.as == CMP_SHARE && !a->json)
			fail_msg("%s: a share of the fleet is read from report.json", a->id);
		for (size_t k = 0; k < i; k++) {
			const struct counter *b = &counters[k];

#define SAME(col) (a->col && b->col && !strcmp(a->col, b->col))
			if (!strcmp(a->id, b->id) || SAME(json) || SAME(prom) ||
			    (SAME(name) && (a->type == CT_METRIC) == (b->type == CT_METRIC)) ||
			    SAME(csv) || SAME(csv_total) ||
			    (a->csv && b->csv_total && !strcmp(a->csv, b->csv_total)))
				fail_msg("%s and %s share a name, path, sample or column", b->id,
					 a->id);
#undef SAME
		}
	}
}

/* report.json writes these sections from the table; the page shows three of them. */
static bool in_section(const char *path, const char *const *sections)
{
	for (; *sections; sections++) {
		size_t len = strlen(*sections);

		if (!strncmp(path, *sections, len) && path[len] == '.' &&
		    !strchr(path + len + 1, '.'))
			return true;
	}
	return false;
}

static void test_sections(void **state)
{
	static const char *const written[] = {"phones", "rtp", "config", "traffic", NULL};
	static const char *const shown[] = {"phones", "rtp", "traffic", NULL};

	(void)state;
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];

		if (c->json && !in_section(c->json, written))
			fail_msg("%s: report.json writes no section for %s", c->id, c->json);
		if (c->html && (!c->json || !in_section(c->json, shown)))
			fail_msg("%s: report.html shows no table for %s", c->id,
				 c->json ? c->json : "(no .json)");
	}
}

/* A labelled family's samples are consecutive; counters end in _total, gauges do not. */
static void test_prom_families(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		size_t len;
		bool total;

		if (!c->prom)
			continue;
		len = strcspn(c->prom, "{");
		total = len > 6 && !strncmp(c->prom + len - 6, "_total", 6);
		if (total != (c->kind == KIND_COUNTER))
			fail_msg("%s: a %s named %.*s", c->id,
				 c->kind == KIND_COUNTER ? "counter" : "gauge", (int)len, c->prom);
		for (size_t k = 0; k + 1 < i; k++) {
			const char *p = counters[k].prom;

			if (p && strcspn(p, "{") == len && !strncmp(p, c->prom, len) &&
			    !(counters[i - 1].prom && !strncmp(counters[i - 1].prom, c->prom, len)))
				fail_msg("%s: its family %.*s is not in one piece", c->id, (int)len,
					 c->prom);
		}
	}
}

/* "`word`" is in text, or "word" after a "." or "|" of a backticked list ("`rtp.loss|loss_up`"). */
static bool documented(const char *text, const char *word)
{
	char quoted[160];

	snprintf(quoted, sizeof(quoted), "`%s`", word);
	if (strstr(text, quoted))
		return true;
	snprintf(quoted, sizeof(quoted), "%s`", word);
	for (const char *p = strstr(text, quoted); p; p = strstr(p + 1, quoted))
		if (p > text && (p[-1] == '|' || p[-1] == '.'))
			return true;
	return false;
}

static void test_documented(void **state)
{
	char *readme = slurp("docs/outputs.md"), *scen = slurp("docs/scenario.md");
	char word[160];
	int missing = 0;

	(void)state;
#define MISSING(...) (print_error(__VA_ARGS__), missing++)
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];

		if (c->json && !documented(readme, strchr(c->json, '.') + 1))
			MISSING("%s: docs/outputs.md does not list %s\n", c->id, c->json);
		if (c->prom) {
			snprintf(word, sizeof(word), "%.*s", (int)strcspn(c->prom, "{"), c->prom);
			if (!strstr(readme, word))
				MISSING("%s: docs/outputs.md does not list %s\n", c->id, word);
		}
		if (c->csv && c->type != CT_METRIC && !documented(readme, c->csv))
			MISSING("%s: docs/outputs.md does not list the column %s\n", c->id, c->csv);
		if (c->csv_total && !documented(readme, c->csv_total))
			MISSING("%s: docs/outputs.md does not list the column %s\n", c->id, c->csv_total);
		if (c->name && c->type != CT_METRIC && !documented(scen, c->name))
			MISSING("%s: scenarios/docs/outputs.md does not list %s\n", c->id, c->name);
		if (c->type == CT_METRIC && !documented(readme, c->name))
			MISSING("%s: docs/outputs.md does not list the metric\n", c->id);
	}
#undef MISSING
	free(readme);
	free(scen);
	if (missing)
		fail_msg("%d names of the counter table undocumented", missing);
}

/* Each counter report.json writes is found at its path, as itself. */
static void test_json_paths(void **state)
{
	struct swarm_config cfg;
	struct run_result r;
	struct hist *empty = hist_new();
	char dir[] = "/tmp/test_counters.XXXXXX", path[64], err[256];
	struct stats back;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	config_defaults(&cfg);
	cfg.url = strdup("https://h/");
	memset(&r, 0, sizeof(r));
	distinct(&r.st);
	r.cfg = &cfg;
	r.scenario = "s.ini";
	for (int m = 0; m < M__COUNT; m++)
		r.lat[m] = empty;
	assert_int_equal(report_write_json(&r, path), 0);
	struct jval *doc = jval_load(path, err, sizeof(err));
	assert_non_null(doc);
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];

		if (c->type != CT_STAT || !c->json)
			continue;
		if (jval_u64(jval_path(doc, c->json), 0) != *field(&r.st, c))
			fail_msg("%s: %s is %llu, want %llu", c->id, c->json,
				 (unsigned long long)jval_u64(jval_path(doc, c->json), 0),
				 (unsigned long long)*field(&r.st, c));
	}
	/* and read back as they were written */
	memset(&back, 0, sizeof(back));
	report_read_stats(doc, &back);
	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].type == CT_STAT && counters[i].json &&
		    *field(&back, &counters[i]) != *field(&r.st, &counters[i]))
			fail_msg("%s: read back as %llu", counters[i].id,
				 (unsigned long long)*field(&back, &counters[i]));
	jval_free(doc);
	unlink(path);
	rmdir(dir);
	hist_free(empty);
	config_free(&cfg);
}

/* Each counter's column holds its increase in the interval, or its value at the end. */
static void test_csv_columns(void **state)
{
	struct stats now, prev;
	const struct hist *lat[M__COUNT] = {0};
	char *text = NULL, *cells[512], *names[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n;

	(void)state;
	distinct(&now);
	distinct(&prev);
	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].type == CT_STAT)
			*field(&prev, &counters[i]) /= 2;
	struct series_row row = {
	    .t_s = 1, .interval_s = 1, .now = &now, .prev = &prev, .lat = lat, .events = ""};
	series_header(f);
	assert_int_equal(series_write(f, &row), 0);
	fclose(f);
	char *nl = strchr(text, '\n');
	*nl = '\0';
	n = series_split(text, names, 512);
	assert_int_equal(series_split(nl + 1, cells, 512), n);
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];

		for (int k = 0; c->type == CT_STAT && k < n; k++) {
			uint64_t want;

			if (c->csv && !strcmp(names[k], c->csv))
				want = c->kind == KIND_COUNTER ? *field(&now, c) - *field(&prev, c)
							       : *field(&now, c);
			else if (c->csv_total && !strcmp(names[k], c->csv_total))
				want = *field(&now, c);
			else
				continue;
			if (strtoull(cells[k], NULL, 10) != want)
				fail_msg("%s: column %s is %s, want %llu", c->id, names[k],
					 cells[k], (unsigned long long)want);
		}
	}
	free(text);
}

/* Workers summed, a window differenced, as each field's kind says. */
static void test_kinds(void **state)
{
	struct stats a, b, sum, d;

	(void)state;
	distinct(&a);
	distinct(&b);
	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].type == CT_STAT)
			*field(&b, &counters[i]) *= 3;
	memset(&sum, 0, sizeof(sum));
	stats_add(&sum, &a);
	stats_add(&sum, &b);
	stats_delta(&d, &b, &a);
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		uint64_t x, y;

		if (c->type != CT_STAT)
			continue;
		x = *field(&a, c);
		y = *field(&b, c);
		assert_true(*field(&sum, c) == (c->kind == KIND_MAX ? y : x + y));
		assert_true(*field(&d, c) == (c->kind == KIND_COUNTER ? y - x : y));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entries),	  cmocka_unit_test(test_sections),
	    cmocka_unit_test(test_prom_families), cmocka_unit_test(test_documented),
	    cmocka_unit_test(test_json_paths),	  cmocka_unit_test(test_csv_columns),
	    cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
