/*
 * tests/unit/test_prom.c - report/prom against a strict reader of the
 * Prometheus text format 0.0.4.
 *
 * The reader written here refuses what Prometheus would refuse, and some
 * more: every line is a "# HELP", a "# TYPE" or a sample; names match
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values
 * are quoted with only \\, \" and \n escaped; values are floats, NaN or
 * +-Inf; each family has one HELP and one TYPE, before its samples, and its
 * lines form one group; a sample belongs to the family its name says
 * (summaries: NAME{quantile=...}, NAME_sum, NAME_count; histograms:
 * NAME_bucket{le=...}, cumulative, the +Inf one equal to NAME_count);
 * counters end in _total and are not negative; no series twice. Then the
 * values: each counter of struct stats, given a value of its own, must come
 * out as the sample that names it, and the latency histograms' buckets and
 * sums must be the HdrHistograms'. Last, Prometheus' own linter (promtool
 * check metrics, from Debian's prometheus package) reads a scrape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/reason.h"
#include "engine/stats/hist.h"
#include "report/prom.h"

/* ==== A strict reader ==== */

#define MAX_FAM 256
#define MAX_SAMPLES 1024

struct fam {
	char name[128], type[16];
	bool help, closed;
	double inf; /* a histogram: its le="+Inf" bucket */
};

struct sample {
	char series[256]; /* name{labels} as written */
	char name[128];
	double v;
};

struct expo {
	struct fam fam[MAX_FAM];
	int n_fam;
	struct sample s[MAX_SAMPLES];
	int n;
	char err[256];
};

static bool name_ok(const char *s, size_t n, bool colon)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (colon && c == ':');

		if (!alpha && !(i && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static struct fam *find_fam(struct expo *e, const char *name)
{
	for (int i = 0; i < e->n_fam; i++)
		if (!strcmp(e->fam[i].name, name))
			return &e->fam[i];
	return NULL;
}

static bool value_ok(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "NaN")) {
		*v = NAN;
		return true;
	}
	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf")) {
		*v = s[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	if (!*s || strchr(s, 'n') || strchr(s, 'N') || strchr(s, 'x') || strchr(s, 'X'))
		return false; /* strtod's nan, inf, hex: not the format's */
	*v = strtod(s, &end);
	return !*end;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(e->err, sizeof(e->err), __VA_ARGS__);                                     \
		return -1;                                                                         \
	} while (0)

/*
 * The family a sample name belongs to, given the families declared so far;
 * *is_quantile_ok when it is a summary's main series, *is_bucket when a
 * histogram's _bucket.
 */
static struct fam *owner(struct expo *e, const char *name, bool *is_quantile_ok, bool *is_bucket)
{
	static const char *const suffixes[] = {"_sum", "_count", "_bucket"};
	struct fam *f = find_fam(e, name);
	char base[128];
	size_t n = strlen(name);

	*is_quantile_ok = f && !strcmp(f->type, "summary");
	*is_bucket = false;
	if (f)
		return !strcmp(f->type, "histogram") ? NULL : f; /* a histogram has no bare series */
	for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++) {
		size_t k = strlen(suffixes[s]);

		if (n > k && !strcmp(name + n - k, suffixes[s]) && n - k < sizeof(base)) {
			memcpy(base, name, n - k);
			base[n - k] = 0;
			f = find_fam(e, base);
			if (!f)
				continue;
			if (s == 2) { /* _bucket: histograms only */
				*is_bucket = true;
				return !strcmp(f->type, "histogram") ? f : NULL;
			}
			if (!strcmp(f->type, "summary") || !strcmp(f->type, "histogram"))
				return f;
		}
	}
	return NULL;
}

static int parse_sample(struct expo *e, char *line, struct fam **cur)
{
	char *p = line, *sp;
	struct sample *s;
	size_t nl = strcspn(p, "{ ");
	bool q_ok, has_quantile = false, is_bucket, has_le = false;

	if (e->n == MAX_SAMPLES)
		BAD("too many samples");
	s = &e->s[e->n];
	if (!name_ok(p, nl, true) || nl >= sizeof(s->name))
		BAD("bad metric name in <%s>", line);
	memcpy(s->name, p, nl);
	s->name[nl] = 0;
	p += nl;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = strcspn(p, "=");

			if (!name_ok(p, ln, false))
				BAD("bad label name in <%s>", line);
			if (ln == 8 && !strncmp(p, "quantile", 8))
				has_quantile = true;
			if (ln == 2 && !strncmp(p, "le", 2))
				has_le = true;
			p += ln;
			if (p[0] != '=' || p[1] != '"')
				BAD("label value not quoted in <%s>", line);
			for (p += 2; *p != '"'; p++) {
				if (!*p)
					BAD("unterminated label value in <%s>", line);
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						BAD("bad escape in <%s>", line);
				}
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				BAD("bad label list in <%s>", line);
		}
		p++;
	}
	size_t sl = (size_t)(p - line);
	if (sl >= sizeof(s->series))
		BAD("series too long");
	memcpy(s->series, line, sl);
	s->series[sl] = 0;
	if (*p != ' ')
		BAD("no space before the value in <%s>", line);
	p++;
	sp = strchr(p, ' ');
	if (sp) {
		char *end;

		*sp = 0; /* a timestamp: an integer */
		strtoll(sp + 1, &end, 10);
		if (*end || end == sp + 1)
			BAD("bad timestamp in <%s>", line);
	}
	if (!value_ok(p, &s->v))
		BAD("bad value <%s> of %s", p, s->series);

	struct fam *f = owner(e, s->name, &q_ok, &is_bucket);
	if (!f)
		BAD("sample %s of no declared family", s->series);
	if (is_bucket != has_le)
		BAD("le label %s a histogram's _bucket: %s", has_le ? "outside" : "missing in",
		    s->series);
	if (is_bucket) {
		/* cumulative: never less than the bucket before it of the same family */
		const struct sample *prev = e->n ? &e->s[e->n - 1] : NULL;

		if (prev && !strcmp(prev->name, s->name) && s->v < prev->v)
			BAD("bucket %s is below the one before it", s->series);
		if (strstr(s->series, "le=\"+Inf\""))
			f->inf = s->v;
	} else if (!strcmp(f->type, "histogram") && strlen(s->name) > 6 &&
		   !strcmp(s->name + strlen(s->name) - 6, "_count") && f->inf != s->v) {
		BAD("%s is %g, its +Inf bucket %g", s->series, s->v, f->inf);
	}
	if (!f->help)
		BAD("family %s has samples but no HELP", f->name);
	if (f->closed || (*cur && *cur != f))
		BAD("family %s: its lines are not one group (%s)", f->name, s->series);
	*cur = f;
	if (has_quantile && !q_ok)
		BAD("quantile label outside a summary's main series: %s", s->series);
	if (!strcmp(f->type, "counter") && !(s->v >= 0))
		BAD("counter %s is %g", s->series, s->v);
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].series, s->series))
			BAD("series %s twice", s->series);
	e->n++;
	return 0;
}

/* Parse text into e; 0, or -1 with e->err saying why. */
static int expo_parse(struct expo *e, char *text)
{
	struct fam *cur = NULL;
	char *line, *next;

	memset(e, 0, sizeof(*e));
	if (!*text || text[strlen(text) - 1] != '\n')
		BAD("the text does not end with a newline");
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = 0;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			bool help = line[2] == 'H';
			char *name = line + 7, *rest = strchr(name, ' ');

			if (!rest || !name_ok(name, (size_t)(rest - name), true))
				BAD("bad %s line <%s>", help ? "HELP" : "TYPE", line);
			*rest++ = 0;
			struct fam *f = find_fam(e, name);
			if (f != cur && cur)
				cur->closed = true;
			if (!f) {
				if (e->n_fam == MAX_FAM || strlen(name) >= sizeof(f->name))
					BAD("too many families");
				f = &e->fam[e->n_fam++];
				snprintf(f->name, sizeof(f->name), "%s", name);
			} else if (f->closed) {
				BAD("family %s declared again after other families", name);
			}
			cur = f;
			if (help) {
				if (f->help)
					BAD("HELP twice for %s", name);
				if (!*rest)
					BAD("empty HELP for %s", name);
				for (char *c = rest; *c; c++)
					if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
						BAD("bad escape in HELP of %s", name);
				f->help = true;
			} else {
				if (f->type[0])
					BAD("TYPE twice for %s", name);
				if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
				    strcmp(rest, "summary") && strcmp(rest, "histogram") &&
				    strcmp(rest, "untyped"))
					BAD("unknown type %s of %s", rest, name);
				snprintf(f->type, sizeof(f->type), "%s", rest);
			}
			continue;
		}
		if (line[0] == '#' || !line[0])
			BAD("comment or empty line <%s>", line);
		if (cur && !cur->type[0])
			BAD("family %s: samples before its TYPE", cur->name);
		if (parse_sample(e, line, &cur))
			return -1;
	}
	for (int i = 0; i < e->n_fam; i++) {
		struct fam *f = &e->fam[i];
		size_t n = strlen(f->name);

		if (!f->help || !f->type[0])
			BAD("family %s lacks HELP or TYPE", f->name);
		if (!strcmp(f->type, "counter") && (n < 6 || strcmp(f->name + n - 6, "_total")))
			BAD("counter %s does not end in _total", f->name);
	}
	return 0;
}

/* The value of series (name{labels} exactly as written); fails the test if absent. */
static double val(const struct expo *e, const char *series)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].series, series))
			return e->s[i].v;
	fail_msg("no series %s", series);
	return NAN;
}

static char *render(const struct prom_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(prom_render(f, in), 0);
	fclose(f);
	return text;
}

static void parse_ok(struct expo *e, char *text)
{
	if (expo_parse(e, text))
		fail_msg("not valid exposition text: %s", e->err);
}

/* ==== The reader itself refuses what it must ==== */

static void test_reader_refuses(void **state)
{
	static const char *const bad[] = {
	    "x 1\n",                                                   /* no family */
	    "# HELP x h\n# TYPE x gauge\nx 1",                         /* no final newline */
	    "# HELP 1x h\n# TYPE 1x gauge\n1x 1\n",                    /* bad name */
	    "# HELP x h\n# TYPE x gauge\nx{a=1} 1\n",                  /* unquoted label */
	    "# HELP x h\n# TYPE x gauge\nx{a=\"\\t\"} 1\n",            /* bad escape */
	    "# HELP x h\n# TYPE x gauge\nx one\n",                     /* bad value */
	    "# HELP x h\n# TYPE x gauge\nx nan\n",                     /* strtod's nan */
	    "# HELP x_total h\n# TYPE x_total counter\nx_total -1\n",  /* negative counter */
	    "# HELP x h\n# TYPE x counter\nx 1\n",                     /* counter not _total */
	    "# HELP x h\n# HELP x h\n# TYPE x gauge\nx 1\n",           /* HELP twice */
	    "# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",                  /* series twice */
	    "# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\ny 1\nx 1\n", /* not grouped */
	    "# HELP x h\n# TYPE x gauge\nx{quantile=\"0.5\"} 1\n",     /* quantile in a gauge */
	    "# HELP x h\n# TYPE x gauge\n\nx 1\n",                     /* empty line */
	    "# HELP x h\n# TYPE x gauge\nx_sum 1\n",                   /* _sum of a gauge */
	    "# HELP x h\n# TYPE x histogram\nx 1\n",                   /* bare histogram */
	    "# HELP x h\n# TYPE x summary\nx_bucket{le=\"1\"} 1\n",     /* bucket of a summary */
	    "# HELP x h\n# TYPE x histogram\nx_bucket 1\n",            /* bucket without le */
	    "# HELP x h\n# TYPE x histogram\nx_bucket{le=\"1\"} 2\nx_bucket{le=\"+Inf\"} 1\n"
	    "x_count 1\n", /* not cumulative */
	    "# HELP x h\n# TYPE x histogram\nx_bucket{le=\"+Inf\"} 2\nx_count 3\n", /* +Inf != count */
	};
	static const char *const good[] = {
	    "# HELP x h\n# TYPE x summary\nx{quantile=\"0.5\"} NaN\nx_sum 0\nx_count 0\n",
	    "# HELP x_total h\n# TYPE x_total counter\nx_total{r=\"a\\\"b\"} 3 1700000000000\n",
	    "# HELP x h\n# TYPE x histogram\nx_bucket{le=\"0.1\"} 1\nx_bucket{le=\"+Inf\"} 2\n"
	    "x_sum 0.3\nx_count 2\n",
	};
	struct expo *e = malloc(sizeof(*e));
	char buf[512];

	(void)state;
	assert_non_null(e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (expo_parse(e, buf) == 0)
			fail_msg("the reader took bad text %zu: %s", i, bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", good[i]);
		if (expo_parse(e, buf))
			fail_msg("the reader refused good text %zu: %s", i, e->err);
	}
	free(e);
}

/* ==== The renderer ==== */

static void test_empty_run(void **state)
{
	struct stats st;
	struct prom_input in = {.st = &st, .phones_configured = 1000};
	struct expo *e = malloc(sizeof(*e));
	char series[160];

	(void)state;
	assert_non_null(e);
	memset(&st, 0, sizeof(st));
	char *text = render(&in);
	parse_ok(e, text);
	assert_true(val(e, "phoneswarm_phones_configured") == 1000);
	assert_true(val(e, "phoneswarm_tunnels_up") == 0);
	assert_true(isnan(val(e, "phoneswarm_call_mos_min")));
	/* every reason is there from the start, None is not */
	for (int r = R_NONE + 1; r < R__COUNT; r++) {
		snprintf(series, sizeof(series), "phoneswarm_failures_total{reason=\"%s\"}",
			 reason_name((enum reason)r));
		assert_true(val(e, series) == 0);
	}
	assert_null(strstr(text, "reason=\"None\""));
	/* and every metric's histogram, empty */
	for (int m = 0; m < M__COUNT; m++) {
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_bucket{le=\"0.001\"}",
			 metric_name((enum metric)m));
		assert_true(val(e, series) == 0);
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_bucket{le=\"+Inf\"}",
			 metric_name((enum metric)m));
		assert_true(val(e, series) == 0);
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_count",
			 metric_name((enum metric)m));
		assert_true(val(e, series) == 0);
	}
	assert_true(val(e, "phoneswarm_build_info{version=\"\",build=\"\"}") == 1);
	free(text);
	free(e);
}

/*
 * Each counter of struct stats gets a value no other has; each must be
 * found as the sample that names it (a missing or mislabelled counter, or
 * one sample showing another field, fails).
 */
static void test_values(void **state)
{
	struct stats st;
	struct hist *h[M__COUNT];
	struct prom_input in = {.st = &st, .phones_configured = 5000, .elapsed_s = 12.5,
				.peak_up = 4321, .cpu_s = 3.25, .rss_bytes = 123456789,
				.failure_records_lost = 17, .open_fds = 2345, .max_fds = 65536,
				.version = "0.1.0", .build = "v0.1.0-3-g\"x\"\\y"};
	struct expo *e = malloc(sizeof(*e));
	uint64_t *f = (uint64_t *)&st;
	char series[160];

	(void)state;
	assert_non_null(e);
	for (size_t k = 0; k < sizeof(st) / sizeof(uint64_t); k++)
		f[k] = 100000 + 7 * k;
	st.mos_calls = 4;
	st.mos_milli_sum = 4 * 4100;
	st.mos_worst_milli = 5000 - 3900;
	for (int m = 0; m < M__COUNT; m++) {
		h[m] = hist_new();
		assert_non_null(h[m]);
		/* metric m: the values 1..1000 us, times (m + 1) */
		for (uint64_t v = 1; v <= 1000; v++)
			hist_record(h[m], v * (uint64_t)(m + 1));
		in.lat[m] = h[m];
	}
	in.lat[M_PING_RTT] = NULL; /* not yet measured */

	char *text = render(&in);
	parse_ok(e, text);

	static const struct {
		const char *series;
		size_t off;
	} map[] = {
#define M(s, field) {s, offsetof(struct stats, field)}
	    M("phoneswarm_phones_arrived_total", attempted),
	    M("phoneswarm_tunnels_up", up_now),
	    M("phoneswarm_dtls_up", dtls_now),
	    M("phoneswarm_phones_failed", failed),
	    M("phoneswarm_tunnels_established_total", tunnels_up),
	    M("phoneswarm_dtls_established_total", dtls_up),
	    M("phoneswarm_phones_disconnected_total", disconnected),
	    M("phoneswarm_phones_aborted_total", aborted),
	    M("phoneswarm_failovers_total", failovers),
	    M("phoneswarm_redirects_total", redirects),
	    M("phoneswarm_rekeys_total", rekeys),
	    M("phoneswarm_tunnels_dropped_total", tunnels_dropped),
	    M("phoneswarm_reconnects_total", reconnects),
	    M("phoneswarm_reconnect_attempts_total", reconnect_attempts),
	    M("phoneswarm_reconnect_failures_total", reconnect_failures),
	    M("phoneswarm_tunnels_lost", lost_now),
	    M("phoneswarm_dtls_retries_total", dtls_retries),
	    M("phoneswarm_resets_total", resets),
	    M("phoneswarm_rtp_packets_sent_total", rtp_sent),
	    M("phoneswarm_rtp_packets_received_total", rtp_received),
	    M("phoneswarm_rtp_packets_lost_total{direction=\"up\"}", rtp_up_lost),
	    M("phoneswarm_rtp_packets_lost_total{direction=\"down\"}", rtp_down_lost),
	    M("phoneswarm_rtp_packets_sent_way_total{direction=\"up\"}", rtp_up_expected),
	    M("phoneswarm_rtp_packets_sent_way_total{direction=\"down\"}", rtp_down_expected),
	    M("phoneswarm_config_fetched_total", config_fetched),
	    M("phoneswarm_config_fetch_failed_total", config_failed),
	    M("phoneswarm_config_bytes_total", config_bytes),
	    M("phoneswarm_config_fetch_unfinished_total", config_unfinished),
	    M("phoneswarm_config_retries_total", config_retries),
	    M("phoneswarm_rtp_duplicates_total", rtp_duplicates),
	    M("phoneswarm_rtp_reordered_total", rtp_reordered),
	    M("phoneswarm_rtp_late_total", rtp_late),
	    M("phoneswarm_rtp_not_sent_total", rtp_skipped),
	    M("phoneswarm_rtp_stray_total", rtp_stray),
	    M("phoneswarm_calls_completed_total", calls_completed),
	    M("phoneswarm_calls_cut_total", calls_dropped),
	    M("phoneswarm_call_mos_count", mos_calls),
	    M("phoneswarm_tunnel_bytes_total{channel=\"cstp\",direction=\"rx\"}", cstp_rx_bytes),
	    M("phoneswarm_tunnel_bytes_total{channel=\"cstp\",direction=\"tx\"}", cstp_tx_bytes),
	    M("phoneswarm_tunnel_bytes_total{channel=\"dtls\",direction=\"rx\"}", dtls_rx_bytes),
	    M("phoneswarm_tunnel_bytes_total{channel=\"dtls\",direction=\"tx\"}", dtls_tx_bytes),
	    M("phoneswarm_dpd_sent_total", dpd_sent),
	    M("phoneswarm_dpd_answered_total", dpd_answered),
	    M("phoneswarm_keepalives_sent_total", keepalives_sent),
	    M("phoneswarm_data_packets_total{direction=\"tx\"}", data_tx_packets),
	    M("phoneswarm_data_packets_total{direction=\"rx\"}", data_rx_packets),
	    M("phoneswarm_data_rx_bad_total", data_rx_bad),
	    M("phoneswarm_data_tx_dropped_total", data_tx_dropped),
	    M("phoneswarm_rx_nobufs_total", rx_nobufs),
	    M("phoneswarm_rx_buffers", rx_buffers),
	    M("phoneswarm_dtls_takeovers_total", dtls_takeovers),
	    M("phoneswarm_dtls_rx_dropped_total", dtls_rx_dropped),
	    M("phoneswarm_tls_takeovers_total", tls_takeovers),
#undef M
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint64_t want = *(const uint64_t *)((const char *)&st + map[i].off);
		double got = val(e, map[i].series);

		if (got != (double)want)
			fail_msg("%s: want %llu, got %.17g", map[i].series, (unsigned long long)want,
				 got);
	}
	for (int r = R_NONE + 1; r < R__COUNT; r++) {
		snprintf(series, sizeof(series), "phoneswarm_failures_total{reason=\"%s\"}",
			 reason_name((enum reason)r));
		assert_true(val(e, series) == (double)st.failures[r]);
		snprintf(series, sizeof(series), "phoneswarm_phones_failed_by_reason{reason=\"%s\"}",
			 reason_name((enum reason)r));
		assert_true(val(e, series) == (double)st.failed_by[r]);
	}
	/*
	 * Every uint64 of struct stats but the MOS workings is rendered as itself:
	 * a counter added to struct stats and not here fails this.
	 */
	size_t fields = sizeof(st) / sizeof(uint64_t) - 2 * R__COUNT + 2 /* the two arrays */;
	assert_int_equal(fields - 2 /* mos_milli_sum, mos_worst_milli */,
			 sizeof(map) / sizeof(map[0]) + 2);

	assert_true(val(e, "phoneswarm_phones_configured") == 5000);
	assert_true(val(e, "phoneswarm_tunnels_up_peak") == 4321);
	assert_true(val(e, "phoneswarm_failure_records_lost_total") == 17);
	assert_true(fabs(val(e, "phoneswarm_call_mos_sum") - 16.4) < 1e-9);
	assert_true(fabs(val(e, "phoneswarm_call_mos_min") - 3.9) < 1e-9);
	assert_true(val(e, "phoneswarm_run_elapsed_seconds") == 12.5);
	assert_true(val(e, "process_cpu_seconds_total") == 3.25);
	assert_true(val(e, "process_resident_memory_bytes") == 123456789);
	assert_true(val(e, "process_open_fds") == 2345);
	assert_true(val(e, "process_max_fds") == 65536);
	/* the build's text is a label value: its quote and backslash escaped */
	assert_true(val(e, "phoneswarm_build_info{version=\"0.1.0\",build=\"v0.1.0-3-g\\\"x\\\"\\\\y\"}") ==
		    1);

	/*
	 * Histograms: metric m holds k x (m + 1) us for k = 1..1000. A bucket
	 * of bound B must hold every value at most B x (1 - 1/1024) and none
	 * above B (HdrHistogram's slots are never wider than 1/1024 of their
	 * values); below 2,048 us every value has a slot of its own: exact.
	 */
	static const char *const les[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
					  "0.005",  "0.01",    "0.025",	 "0.05",  "0.1"};
	for (int m = 0; m < M__COUNT; m++) {
		const char *n = metric_name((enum metric)m);

		for (size_t b = 0; b < sizeof(les) / sizeof(les[0]); b++) {
			double bound_us = strtod(les[b], NULL) * 1e6;
			uint64_t at_most = 0, below = 0;

			for (uint64_t k = 1; k <= 1000; k++) {
				double v = (double)(k * (uint64_t)(m + 1));

				at_most += v <= bound_us;
				below += v <= bound_us * (1 - 1.0 / 1024);
			}
			snprintf(series, sizeof(series), "phoneswarm_%s_seconds_bucket{le=\"%s\"}", n,
				 les[b]);
			double got = val(e, series);
			if (m == M_PING_RTT) {
				assert_true(got == 0);
				continue;
			}
			if (got > (double)at_most || got < (double)below ||
			    (bound_us < 2048 && got != (double)at_most))
				fail_msg("%s: %.0f, want %llu..%llu", series, got,
					 (unsigned long long)below, (unsigned long long)at_most);
		}
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_bucket{le=\"+Inf\"}", n);
		assert_true(val(e, series) == (m == M_PING_RTT ? 0 : 1000));
		/* 500.5 us mean of 1..1000, times (m + 1), over 1000 values */
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_sum", n);
		double want_sum = m == M_PING_RTT ? 0 : 500.5 * (m + 1) * 1000 / 1e6;
		if (fabs(val(e, series) - want_sum) > 1e-6)
			fail_msg("%s: want %.6f, got %.6f", series, want_sum, val(e, series));
		snprintf(series, sizeof(series), "phoneswarm_%s_seconds_count", n);
		assert_true(val(e, series) == (m == M_PING_RTT ? 0 : 1000));
	}
	/*
	 * time_to_tunnel (x 6), le 0.0025 by hand: 6 k <= 2500 for k <= 416 (2496 us,
	 * in the slot [2496, 2497], 2 us wide from 2048 to 4095): 416 values.
	 */
	assert_true(val(e, "phoneswarm_time_to_tunnel_seconds_bucket{le=\"0.0025\"}") == 416);

	for (int m = 0; m < M__COUNT; m++)
		hist_free(h[m]);
	free(text);
	free(e);
}

/*
 * Prometheus' own linter on a scrape of a run with something in it: its
 * text format parser and its naming rules (promtool check metrics, exit 0
 * and nothing said). Skipped where promtool is not installed.
 */
static void test_promtool(void **state)
{
	struct stats st;
	struct hist *h = hist_new();
	struct prom_input in = {.st = &st, .phones_configured = 10, .version = "0.1.0",
				.build = "test", .open_fds = 30, .max_fds = 1024};
	char cmd[] = "promtool check metrics 2>&1", said[4096] = "";
	FILE *p;
	size_t n;
	int rc;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1")) {
		hist_free(h);
		skip();
	}
	memset(&st, 0, sizeof(st));
	st.attempted = st.tunnels_up = 10;
	st.failures[R_LOCAL_RESOURCE] = 1;
	for (uint64_t v = 1000; v < 900000; v += 997)
		hist_record(h, v);
	in.lat[M_TIME_TO_TUNNEL] = h;
	char *text = render(&in);
	char path[] = "/tmp/test_prom.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char full[128];
	snprintf(full, sizeof(full), "%s <%s", cmd, path);
	p = popen(full, "r");
	assert_non_null(p);
	n = fread(said, 1, sizeof(said) - 1, p);
	said[n] = 0;
	rc = pclose(p);
	unlink(path);
	if (rc != 0 || n)
		fail_msg("promtool check metrics (exit %d):\n%s", rc, said);
	free(text);
	hist_free(h);
}

static void test_stream_error(void **state)
{
	struct stats st;
	struct prom_input in = {.st = &st};
	char small[64];
	FILE *f = fmemopen(small, sizeof(small), "w");

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_non_null(f);
	assert_int_equal(prom_render(f, &in), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_refuses),
	    cmocka_unit_test(test_empty_run),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_promtool),
	    cmocka_unit_test(test_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
