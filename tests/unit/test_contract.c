/*
 * tests/unit/test_contract.c - report/contract: a report.json as
 * report_write_json() writes it passes; taking away any field the
 * contract guarantees fails with that field named, and nothing else is
 * required; the fields about how a run ended are read (an older report
 * completed) and say what a partial merge lacks.
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
#include "engine/stats/stats.h"
#include "report/contract.h"
#include "engine/stats/hist.h"
#include "report/jsonread.h"
#include "report/report.h"

static char *report_text; /* report.json as a run writes it (setup) */

static int setup(void **state)
{
	char path[] = "/tmp/test_contract_XXXXXX";
	struct hist *h[M__COUNT];
	struct swarm_config cfg;
	struct run_result r;
	int fd = mkstemp(path);
	long len;
	FILE *f;

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	config_defaults(&cfg);
	cfg.url = "https://vpn.lab.test/";
	cfg.count = 10;
	memset(&r, 0, sizeof(r));
	r.scenario = "scenarios/x.ini";
	r.cfg = &cfg;
	r.st.tunnels_up = 10;
	for (int m = 0; m < M__COUNT; m++) {
		h[m] = hist_new();
		r.lat[m] = h[m];
	}
	hist_record(h[M_TIME_TO_TUNNEL], 12000);
	if (report_write_json(&r, path))
		return -1;
	for (int m = 0; m < M__COUNT; m++)
		hist_free(h[m]);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	report_text = calloc(1, (size_t)len + 1);
	if (fread(report_text, 1, (size_t)len, f) != (size_t)len)
		return -1;
	fclose(f);
	unlink(path);
	/* the base is a report from before "completed": the tests add it as they need it */
	for (const char *const *m = (const char *const[]){"  \"completed\": true,\n",
							  "  \"stopped_early\": null,\n", NULL};
	     *m; m++) {
		char *at = strstr(report_text, *m);

		if (!at)
			return -1;
		memmove(at, at + strlen(*m), strlen(at + strlen(*m)) + 1);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(report_text);
	return 0;
}

/* The report with members (JSON text, ending in a comma) added at the top. */
static struct jval *with(const char *members)
{
	size_t len = strlen(report_text) + strlen(members) + 1;
	char *text = malloc(len), err[256];
	struct jval *v;

	assert_non_null(text);
	snprintf(text, len, "{%s%s", members, strchr(report_text, '{') + 1);
	v = jval_parse(text, strlen(text), err, sizeof(err));
	if (!v)
		fail_msg("%s", err);
	free(text);
	return v;
}

/* Hides the member at path (renamed, so jval_get() no longer finds it). */
static void hide(struct jval *doc, const char *path)
{
	char parent[128];
	const char *dot = strrchr(path, '.');
	const struct jval *o = doc;

	if (dot) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
		o = jval_path(doc, parent);
	}
	assert_non_null(o);
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], dot ? dot + 1 : path)) {
			o->keys[i][0] = '_';
			return;
		}
	fail_msg("no %s to hide", path);
}

static void expect_refused(const struct jval *doc, const char *want)
{
	char why[256] = "";

	if (contract_check(doc, why, sizeof(why)))
		fail_msg("accepted; expected \"%s\"", want);
	if (strcmp(why, want))
		fail_msg("expected \"%s\", got \"%s\"", want, why);
}

static void test_required(void **state)
{
	static const char *const required[] = {
	    "phones.configured",
	    "phones.attempted",
	    "phones.tunnels_up",
	    "phones.dtls_up",
	    "phones.peak_concurrent",
	    "failures",
	    "latency_us",
	    "latency_us.auth.p99",
	    "latency_us.time_to_tunnel.count",
	    "rtp.sent",
	    "rtp.received",
	    "rtp.lost",
	    "expectations",
	    "resources.cpu_user_s",
	    "resources.cpu_sys_s",
	    "resources.max_rss_kb",
	    "phones",
	    "rtp",
	    "resources",
	};
	static const char *const optional[] = {"traffic",
					       "events",
					       "config",
					       "dtls_mode",
					       "scenario",
					       "latency_us.auth",
					       "latency_us.auth.mean",
					       "rtp.mos_mean"};
	char want[160], why[256];
	struct jval *doc = with("");

	(void)state;
	if (!contract_check(doc, why, sizeof(why)))
		fail_msg("a run's report refused: %s", why);
	jval_free(doc);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		doc = with("");
		hide(doc, required[i]);
		snprintf(want, sizeof(want), "no %s", required[i]);
		expect_refused(doc, want);
		jval_free(doc);
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		doc = with("");
		hide(doc, optional[i]);
		if (!contract_check(doc, why, sizeof(why)))
			fail_msg("without %s: refused: %s", optional[i], why);
		jval_free(doc);
	}
}

static void test_types(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"[]", "not a JSON object"},
	    {"{\"phones\": {}}", "no phones.configured"},
	    {"{\"phones\": 3}", "phones is not an object"},
	    {"{\"phones\": {\"configured\": \"10\"}}", "phones.configured is not a number"},
	};
	static const struct {
		const char *members, *why;
	} bad_members[] = {
	    {"\"completed\": \"yes\",", "completed is not true or false"},
	    {"\"stopped_early\": 12,", "stopped_early is not null or a string"},
	    {"\"shards_missing\": 1,", "shards_missing is not an array"},
	    {"\"shards_missing\": [1.5],", "shards_missing[0] is not a shard index"},
	    {"\"runs_incomplete\": [{}],", "runs_incomplete[0] has no run"},
	};
	char err[256], why[256];
	struct jval *doc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = jval_parse(bad[i].text, strlen(bad[i].text), err, sizeof(err));
		assert_non_null(doc);
		expect_refused(doc, bad[i].why);
		jval_free(doc);
	}
	for (size_t i = 0; i < sizeof(bad_members) / sizeof(bad_members[0]); i++) {
		doc = with(bad_members[i].members);
		expect_refused(doc, bad_members[i].why);
		jval_free(doc);
	}
	doc = with("\"completed\": false, \"stopped_early\": null, \"shards_missing\": [],"
		   " \"runs_incomplete\": [{\"run\": \"s1\", \"stopped_early\": null}],");
	if (!contract_check(doc, why, sizeof(why)))
		fail_msg("refused: %s", why);
	jval_free(doc);
}

/* contract_whole() of the report with members added: true, or the phrase. */
static void expect_whole(const char *members, const char *want)
{
	struct jval *doc = with(members);
	char why[256];
	bool whole = contract_whole(doc, why, sizeof(why));

	if (!want && !whole)
		fail_msg("%s: not whole: \"%s\"", members, why);
	if (want && whole)
		fail_msg("%s: whole; expected \"%s\"", members, want);
	if (want && strcmp(why, want))
		fail_msg("%s: expected \"%s\", got \"%s\"", members, want, why);
	jval_free(doc);
}

static void test_completed(void **state)
{
	const char *stopped = "x";
	struct jval *doc = with("");

	(void)state;
	/* a report from before the field completed */
	assert_true(contract_completed(doc, &stopped));
	assert_null(stopped);
	jval_free(doc);
	doc = with("\"completed\": false, \"stopped_early\": \"SIGINT at 12.3 s of 60 s\",");
	assert_false(contract_completed(doc, &stopped));
	assert_string_equal(stopped, "SIGINT at 12.3 s of 60 s");
	jval_free(doc);

	expect_whole("", NULL);
	expect_whole("\"completed\": true, \"stopped_early\": null,", NULL);
	expect_whole("\"completed\": false, \"stopped_early\": \"SIGINT at 12.3 s of 60 s\",",
		     "did not complete (SIGINT at 12.3 s of 60 s)");
	expect_whole("\"completed\": false,",
		     "did not complete (stopped early; it does not say why)");
	/* merged: whole, then shards missing (of merged + missing), then runs stopped early */
	expect_whole("\"merged_runs\": 2, \"shards_missing\": [], \"runs_incomplete\": [],", NULL);
	expect_whole("\"merged_runs\": 1, \"shards_missing\": [1], \"runs_incomplete\": [],",
		     "is a partial merge: shard 1/2 missing");
	expect_whole("\"merged_runs\": 2, \"shards_missing\": [1, 3],",
		     "is a partial merge: shards 1/4, 3/4 missing");
	expect_whole("\"merged_runs\": 2, \"runs_incomplete\": [{\"run\": \"s1\","
		     " \"stopped_early\": \"SIGTERM at 3.0 s of 60 s\"}],",
		     "is a partial merge: s1 did not complete (SIGTERM at 3.0 s of 60 s)");
	expect_whole("\"merged_runs\": 1, \"shards_missing\": [0], \"runs_incomplete\": "
		     "[{\"run\": \"s1\", \"stopped_early\": \"SIGINT\"}],",
		     "is a partial merge: shard 0/2 missing; s1 did not complete (SIGINT)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required),
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_completed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
