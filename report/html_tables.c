/*
 * report/html_tables.c - report.html's header and tables (html_internal.h).
 *
 * The header: what ran, against what, the verdict of the expectations, a
 * capacity search's result, and tiles with the figures an engineer looks
 * for first. Then the tables: the expectations, the events, and the
 * summary (phones, failures by reason, resources, voice, traffic); the
 * phones', voice's and traffic's rows are the counter table's with an
 * .html label, in its order.
 */
#include "report/html_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/config.h"
#include "report/capacity.h"
#include "engine/stats/counters.h"
#include "engine/stats/hist.h"

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

static void tile(struct page *p, const char *cls, const char *key, const char *value,
		 const char *sub)
{
	fprintf(p->f, "<div class=\"tile %s\"><div class=\"k\">%s</div><div class=\"v\">%s</div>"
		      "<div class=\"s\">",
		cls, key, value);
	html_esc(p, sub);
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
	html_count_str(v, sizeof(v), s->tunnels_up);
	if (s->reconnects || s->resets)
		snprintf(sub, sizeof(sub), "for %s phones (%s reconnects, %s resets); %s with DTLS",
			 html_count_str(a, sizeof(a), s->attempted),
			 html_count_str(b, sizeof(b), s->reconnects),
			 html_count_str(c, sizeof(c), s->resets),
			 html_count_str(d, sizeof(d), s->dtls_up));
	else
		snprintf(sub, sizeof(sub), "of %s phones attempted; %s with DTLS",
			 html_count_str(a, sizeof(a), s->attempted),
			 html_count_str(b, sizeof(b), s->dtls_up));
	tile(p, s->attempted && !s->failed && s->tunnels_up >= s->attempted ? "good" : "",
	     "tunnels up", v, sub);
	snprintf(sub, sizeof(sub), "of %s configured",
		 html_count_str(a, sizeof(a), r->cfg->count));
	tile(p, "", "peak concurrent", html_count_str(v, sizeof(v), r->peak_concurrent), sub);
	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k] > s->failures[top])
			top = k;
	if (top)
		snprintf(sub, sizeof(sub), "most frequent failure: %s (%s)",
			 reason_name((enum reason)top),
			 html_count_str(a, sizeof(a), s->failures[top]));
	else
		snprintf(sub, sizeof(sub), "no failure");
	tile(p, s->failed ? "bad" : "good", "phones failed",
	     html_count_str(v, sizeof(v), s->failed), sub);
	if (ttt && hist_count(ttt)) {
		snprintf(v, sizeof(v), "%s ms",
			 html_ms_str(a, sizeof(a), (double)hist_percentile(ttt, 99)));
		snprintf(sub, sizeof(sub), "p50 %s ms, max %s ms",
			 html_ms_str(a, sizeof(a), (double)hist_percentile(ttt, 50)),
			 html_ms_str(b, sizeof(b), (double)hist_max(ttt)));
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
		html_count_str(a, sizeof(a), c->held_concurrent), c->held_rate);
	if (c->stopped)
		fprintf(p->f, "stopped by %s at %.1f s.", capacity_stop_name(c->why), c->at_s);
	else
		fputs("no stop condition held (the fleet ran out first).", p->f);
	fputs("<br><b>Limit:</b> ", p->f);
	html_esc(p, c->limit);
	if (c->reason)
		fprintf(p->f, "; refused with %s", reason_name(c->reason));
	if (c->first[0]) {
		fputs("<br><b>First refusal:</b> ", p->f);
		html_esc(p, c->first);
	}
	fputs("</div>\n", p->f);
}

/* A partial merge: the shards missing, the runs that did not complete. */
static void partial(struct page *p)
{
	const struct run_result *r = p->r;

	if (!r->n_shards_missing && !r->n_incomplete)
		return;
	fputs("<div class=\"partial\" id=\"partial\"><b>Partial merge:</b> not the whole "
	      "fleet's run.",
	      p->f);
	for (int i = 0; i < r->n_shards_missing; i++)
		fprintf(p->f, "<br>Shard %u/%u missing: its phones are in no figure.",
			r->shards_missing[i], r->merged_runs + (uint32_t)r->n_shards_missing);
	for (int i = 0; i < r->n_incomplete; i++) {
		fputs("<br>", p->f);
		html_esc(p, r->incomplete[i].run);
		fputs(" did not complete (", p->f);
		html_esc(p, r->incomplete[i].stopped_early);
		fputs(").", p->f);
	}
	fputs("</div>\n", p->f);
}

void html_tables_header(struct page *p)
{
	const struct run_result *r = p->r;
	const struct swarm_config *cfg = r->cfg;
	char buf[64], buf2[32], when[64];
	time_t now = time(NULL);
	struct tm tm;
	int failed = 0;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&now, &tm));
	fputs("<header>\n<h1>phoneswarm: ", p->f);
	html_esc(p, r->scenario);
	fputs("</h1>\n<p class=\"meta\">against <b>", p->f);
	html_esc(p, cfg->url);
	for (int i = 0; i < cfg->n_spread; i++) {
		fputs(i == cfg->n_spread - 1 ? "</b> and <b>" : "</b>, <b>", p->f);
		html_esc(p, cfg->spread[i]);
	}
	fprintf(p->f, "</b> &middot; %s &middot; %s phones", duration_str(buf, sizeof(buf), r->wall_s),
		html_count_str(buf2, sizeof(buf2), cfg->count));
	for (int i = 0; i < cfg->n_models; i++) {
		fprintf(p->f, "%s", i ? ", " : " (");
		html_esc(p, cfg->models[i].model);
		if (cfg->n_models > 1)
			fprintf(p->f, " %.0f%%", 100 * cfg->models[i].share);
	}
	if (r->merged_runs) /* the runs' reports give no models nor rate */
		fprintf(p->f, " &middot; merged from %u run%s", r->merged_runs,
			r->merged_runs == 1 ? "" : "s");
	else
		fprintf(p->f, "%s at %.4g/s", cfg->n_models ? ")" : "", cfg->rate);
	fprintf(p->f, " &middot; %s login &middot; DTLS %s",
		cfg->client == CLIENT_ANYCONNECT ? "desktop (anyconnect)" : "phone",
		dtls_mode_names[cfg->dtls_mode]);
	if (cfg->calls > 0) {
		fprintf(p->f, " &middot; voice: %.0f%% in calls, ", 100 * cfg->calls);
		html_esc(p, cfg->codec);
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
				html_esc(p, r->expects[i].name);
			}
		fputs("</div>\n", p->f);
	}
	partial(p);
	capacity(p);
	tiles(p);
	fputs("</header>\n", p->f);
}

void html_tables_expectations(struct page *p)
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
		html_esc(p, e->name);
		fprintf(p->f, "</td><td class=\"%s\">%s</td><td>", e->ok ? "ok" : "fail",
			e->ok ? "held" : "FAILED");
		html_esc(p, e->detail);
		fputs("</td></tr>\n", p->f);
	}
	fputs("</tbody></table>\n</section>\n", p->f);
}

void html_tables_events(struct page *p)
{
	const struct run_result *r = p->r;
	char buf[32], rec[200];

	fputs("<section id=\"events\">\n<h2>Events</h2>\n", p->f);
	if (!r->n_events) {
		fputs("<p class=\"note\">No [event.*] in this scenario.</p>\n</section>\n", p->f);
		return;
	}
	fputs("<table><thead><tr><th>event</th><th>action</th><th>at</th><th>result</th>"
	      "<th>detail</th><th>recovery</th></tr></thead><tbody>\n",
	      p->f);
	for (int i = 0; i < r->n_events; i++) {
		const struct run_event *e = &r->events[i];

		fputs("<tr><td>", p->f);
		html_esc(p, e->name);
		fputs("</td><td>", p->f);
		html_esc(p, e->action);
		if (e->at_s >= 0)
			fprintf(p->f, "</td><td>%s", duration_str(buf, sizeof(buf), e->at_s));
		else
			fputs("</td><td>never fired", p->f);
		fprintf(p->f, "</td><td class=\"%s\">%s</td><td>", e->ok ? "ok" : "fail",
			e->ok ? "ok" : "FAILED");
		html_esc(p, e->detail);
		fputs("</td><td", p->f);
		if (report_recovery_text(&e->rec, rec, sizeof(rec))) {
			fprintf(p->f, " class=\"%s\">", e->rec.back_s >= 0 ? "ok" : "fail");
			html_esc(p, rec);
		} else {
			fputs(">", p->f);
		}
		fputs("</td></tr>\n", p->f);
	}
	fputs("</tbody></table>\n</section>\n", p->f);
}

static void row_u(struct page *p, const char *name, uint64_t v)
{
	char buf[32];

	fprintf(p->f, "<tr><td>%s</td><td>%s</td></tr>\n", name,
		html_count_str(buf, sizeof(buf), v));
}

static void row_f(struct page *p, const char *name, const char *fmt, double v)
{
	fprintf(p->f, "<tr><td>%s</td><td>", name);
	fprintf(p->f, fmt, v);
	fputs("</td></tr>\n", p->f);
}

/*
 * The rows of the counter table in report.json's section (its .html
 * label): whole numbers with separators, percentages to 0.001, scores to
 * 0.01; a figure with no value (a MOS with no call) is left out. Phone to
 * phone, the RTP loss rows name the caller and callee.
 */
static void section_rows(struct page *p, const char *section)
{
	const struct run_result *r = p->r;
	struct figures fig = {.st = &r->st, .configured = r->cfg->count,
			      .peak = r->peak_concurrent};
	bool p2p = r->cfg && r->cfg->voice_p2p;
	size_t len = strlen(section);

	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		const char *label = c->html;
		double v;

		if (!label || !c->json || strncmp(c->json, section, len) || c->json[len] != '.')
			continue;
		if (p2p && c->type == CT_FIGURE && c->fig == F_LOSS_UP)
			label = "lost caller &rarr; callee (%)";
		if (p2p && c->type == CT_FIGURE && c->fig == F_LOSS_DOWN)
			label = "lost callee &rarr; caller (%)";
		if (counter_whole(c))
			row_u(p, label, counter_count(c, &fig));
		else if (!counter_value(c, &fig, &v))
			row_f(p, label, c->unit == UNIT_PERCENT ? "%.3f" : "%.2f", v);
	}
}

void html_tables_details(struct page *p)
{
	const struct run_result *r = p->r;
	const struct stats *s = &r->st;
	bool any = false;

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cols\">\n<div>\n"
	      "<h3>Phones</h3>\n<table class=\"num\"><tbody>\n",
	      p->f);
	section_rows(p, "phones");
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
		fputs("<div>\n<h3>Voice</h3>\n<table class=\"num\"><tbody>\n", p->f);
		section_rows(p, "rtp");
		fputs("</tbody></table>\n</div>\n", p->f);
	}
	fputs("<div>\n<h3>Traffic</h3>\n<table class=\"num\"><tbody>\n", p->f);
	section_rows(p, "traffic");
	fputs("</tbody></table>\n</div>\n</div>\n</section>\n", p->f);
}
