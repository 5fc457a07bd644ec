/*
 * report/contract.c - a report.json read back, checked against the
 * contract (contract.h).
 *
 * Only what DESIGN.md promises is required, so that a report from any
 * version of phoneswarm that kept the promise passes; the fields about how
 * a run ended are optional, and checked for their type when there.
 */
#include "report/contract.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report/jsonread.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const phones_nums[] = {"configured", "attempted", "tunnels_up", "dtls_up",
					  "peak_concurrent"};
static const char *const latency_nums[] = {"count", "min", "p50", "p90", "p99", "p999", "max"};
static const char *const rtp_nums[] = {"sent", "received", "lost"};
static const char *const resources_nums[] = {"cpu_user_s", "cpu_sys_s", "max_rss_kb"};

/* Appends to the string in buf (printf format), truncating at len. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* o, called where, is an object whose members names[0..n) are numbers. */
static bool numbers(const struct jval *o, const char *where, const char *const *names, size_t n,
		    char *why, size_t whylen)
{
	if (!o) {
		snprintf(why, whylen, "no %s", where);
		return false;
	}
	if (o->type != JVAL_OBJ) {
		snprintf(why, whylen, "%s is not an object", where);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct jval *v = jval_get(o, names[i]);

		if (!v || v->type != JVAL_NUM) {
			snprintf(why, whylen, v ? "%s.%s is not a number" : "no %s.%s", where,
				 names[i]);
			return false;
		}
	}
	return true;
}

/* Member key of doc, if there, has type t (or, for stopped_early, is null). */
static bool typed(const struct jval *doc, const char *key, enum jval_type t, const char *what,
		  char *why, size_t whylen)
{
	const struct jval *v = jval_get(doc, key);

	if (!v || v->type == t || (t == JVAL_STR && v->type == JVAL_NULL))
		return true;
	snprintf(why, whylen, "%s is not %s", key, what);
	return false;
}

/* The optional fields about how the run ended, and their elements. */
static bool ending(const struct jval *doc, char *why, size_t whylen)
{
	const struct jval *miss = jval_get(doc, "shards_missing");
	const struct jval *inc = jval_get(doc, "runs_incomplete");

	if (!typed(doc, "completed", JVAL_BOOL, "true or false", why, whylen) ||
	    !typed(doc, "stopped_early", JVAL_STR, "null or a string", why, whylen) ||
	    !typed(doc, "shards_missing", JVAL_ARR, "an array", why, whylen) ||
	    !typed(doc, "runs_incomplete", JVAL_ARR, "an array", why, whylen))
		return false;
	for (size_t i = 0; miss && i < miss->n; i++)
		if (miss->items[i].type != JVAL_NUM || !miss->items[i].is_u64) {
			snprintf(why, whylen, "shards_missing[%zu] is not a shard index", i);
			return false;
		}
	for (size_t i = 0; inc && i < inc->n; i++)
		if (!jval_get(&inc->items[i], "run") ||
		    jval_get(&inc->items[i], "run")->type != JVAL_STR) {
			snprintf(why, whylen, "runs_incomplete[%zu] has no run", i);
			return false;
		}
	return true;
}

bool contract_check(const struct jval *doc, char *why, size_t whylen)
{
	const struct jval *v;
	char where[128];

	if (!doc || doc->type != JVAL_OBJ) {
		snprintf(why, whylen, "not a JSON object");
		return false;
	}
	if (!numbers(jval_get(doc, "phones"), "phones", phones_nums, COUNT_OF(phones_nums), why,
		     whylen))
		return false;
	v = jval_get(doc, "failures");
	if (!numbers(v, "failures", NULL, 0, why, whylen))
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i].type != JVAL_NUM) {
			snprintf(why, whylen, "failures.%s is not a number", v->keys[i]);
			return false;
		}
	v = jval_get(doc, "latency_us");
	if (!numbers(v, "latency_us", NULL, 0, why, whylen))
		return false;
	for (size_t i = 0; i < v->n; i++) {
		snprintf(where, sizeof(where), "latency_us.%s", v->keys[i]);
		if (!numbers(&v->items[i], where, latency_nums, COUNT_OF(latency_nums), why,
			     whylen))
			return false;
	}
	if (!numbers(jval_get(doc, "rtp"), "rtp", rtp_nums, COUNT_OF(rtp_nums), why, whylen))
		return false;
	v = jval_get(doc, "expectations");
	if (!v || v->type != JVAL_ARR) {
		snprintf(why, whylen, v ? "expectations is not an array" : "no expectations");
		return false;
	}
	if (!numbers(jval_get(doc, "resources"), "resources", resources_nums,
		     COUNT_OF(resources_nums), why, whylen))
		return false;
	return ending(doc, why, whylen);
}

bool contract_completed(const struct jval *doc, const char **stopped_early)
{
	const struct jval *c = jval_get(doc, "completed");

	*stopped_early = NULL;
	if (!c || c->type != JVAL_BOOL || c->b)
		return true;
	*stopped_early = jval_str(jval_get(doc, "stopped_early"), NULL);
	return false;
}

bool contract_whole(const struct jval *doc, char *why, size_t whylen)
{
	const struct jval *miss = jval_get(doc, "shards_missing");
	const struct jval *inc = jval_get(doc, "runs_incomplete");
	uint64_t merged = jval_u64(jval_get(doc, "merged_runs"), 0);
	size_t n_miss = miss && miss->type == JVAL_ARR ? miss->n : 0;
	size_t n_inc = inc && inc->type == JVAL_ARR ? inc->n : 0;
	const char *stopped;

	why[0] = '\0';
	if (!contract_completed(doc, &stopped)) {
		snprintf(why, whylen, "did not complete (%s)",
			 stopped ? stopped : "stopped early; it does not say why");
		return false;
	}
	if (!n_miss && !n_inc)
		return true;
	snprintf(why, whylen, "is a partial merge: %s",
		 n_miss > 1 ? "shards "
		 : n_miss   ? "shard "
			    : "");
	for (size_t i = 0; i < n_miss; i++)
		append(why, whylen, "%s%llu/%llu", i ? ", " : "",
		       (unsigned long long)jval_u64(&miss->items[i], 0),
		       (unsigned long long)(merged + n_miss));
	if (n_miss)
		append(why, whylen, " missing");
	for (size_t i = 0; i < n_inc; i++) {
		const char *s = jval_str(jval_get(&inc->items[i], "stopped_early"), NULL);

		append(why, whylen, "%s%s did not complete (%s)", i || n_miss ? "; " : "",
		       jval_str(jval_get(&inc->items[i], "run"), "?"),
		       s ? s : "it does not say why");
	}
	return false;
}
