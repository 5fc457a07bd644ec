/*
 * loadgen/timeline.c - a run as time goes by (timeline.h).
 *
 * Time points: "start" is the first arrival (swarm_t0), "ramp_end" the last
 * phone's arrival, "end" the moment phones are told to disconnect
 * (swarm_t_end, or a ^C), and each event when it fired. An event anchored
 * on another fires once that one has fired, plus its offset. Every firing
 * and "end" close the current interval first, so a window between two
 * points is a whole number of intervals and its figures are exact.
 *
 * A run stops early when a signal asks (^C, a Kubernetes eviction) or when
 * an output cannot be written (a full disk): the phones are told to
 * disconnect at once, the report says why, and a failed implicit
 * expectation, "run completed its duration", keeps the run from passing.
 * A capacity search that stops its arrivals has run its course.
 */
#include "loadgen/timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/ring/clock.h"
#include "engine/config.h"
#include "engine/phone/failure.h"
#include "engine/trust/identity.h"
#include "engine/swarm.h"
#include "loadgen/event.h"
#include "loadgen/labscript.h"
#include "loadgen/metrics.h"
#include "report/capacity.h"
#include "report/expect.h"
#include "report/hdrlog.h"
#include "report/failcsv.h"
#include "engine/stats/hist.h"
#include "report/prom.h"
#include "report/refusals.h"
#include "report/series.h"

#define TICK_US 100000u
/* The workers stop the phones at t_end on their own: "end" is read this much before. */
#define END_EARLY_US 20000u
#define NO_TIME UINT64_MAX

/* A window of expectations: from one point to another. */
struct window {
	char from[EXPECT_POINT_MAX], to[EXPECT_POINT_MAX];
	bool open, closed;
	struct stats at_open, st;      /* st: the window's figures once closed */
	struct hist *lat[M__COUNT];
	uint64_t up_min, peak;
};

struct child {
	pid_t pid;       /* 0: none running */
	uint64_t started, deadline;
};

struct timeline {
	struct swarm *sw;
	const struct swarm_config *cfg;
	const struct timeline_spec *spec;
	struct timeline_opts o;

	uint64_t t0, t_ramp_end, t_end;
	bool ended;                        /* "end" has passed */
	uint64_t fired[TIMELINE_MAX_EVENTS]; /* when each event fired; NO_TIME: not yet */
	struct child child[TIMELINE_MAX_EVENTS];
	struct run_event ev[TIMELINE_MAX_EVENTS];
	int n_fired;

	/* intervals */
	uint64_t ival_start, next_cut;
	struct hist *ival[M__COUNT];
	struct stats prev;
	struct rusage ru_prev;
	char ival_events[512];
	FILE *csv;
	struct hdrlog *hlog; /* latency.hlog, the intervals' histograms */
	FILE *fcsv; /* failures.csv; NULL once writing it failed */

	/* whole run */
	uint64_t peak, rss_peak, up_at_peak, up_min_after_ramp;
	struct rusage ru0, ru_peak;

	/* the capacity search */
	struct capacity_result cap;
	uint64_t refused_total, stop_at;
	struct failure_rec first_fail; /* the run's first failure, as failures.csv has it */
	bool have_first_fail;
	struct refusals refusals; /* the run's commonest refusals, for report.json */

	/* stopping early */
	int stop_sig;       /* the signal that stopped the run; 0: none */
	int out_err;        /* the first output that failed: -errno; 0: none */
	char stopped[160];  /* why the run stopped before its end; "": it did not */
	char checkpoint_note[64]; /* a checkpoint's "still running at ..." */

	struct window win[TIMELINE_MAX_EXPECTS];
	int n_win;
	struct expect_result ex[TIMELINE_MAX_EXPECTS + TIMELINE_MAX_EVENTS + 1];
	int n_ex, n_failed;
	bool tty;
	uint64_t next_line;
	double last_tps;          /* tunnels per second over the last interval */
	uint64_t last_p99_us;     /* its time-to-tunnel p99; 0: no sample */
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double rel_s(const struct timeline *t, uint64_t at)
{
	return at > t->t0 ? (double)(at - t->t0) / 1e6 : 0.0;
}

/* ==== Stats over a window ==== */

/* out = now - then for counters; gauges (up, dtls, failed, worst MOS) as now. */
static void stats_delta(struct stats *out, const struct stats *now, const struct stats *then)
{
	const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)then;
	uint64_t *o = (uint64_t *)out;

	for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
		o[k] = a[k] - b[k];
	out->up_now = now->up_now;
	out->dtls_now = now->dtls_now;
	out->failed = now->failed;
	memcpy(out->failed_by, now->failed_by, sizeof(out->failed_by));
	out->mos_worst_milli = now->mos_worst_milli;
}

/* ==== Time points ==== */

static const struct event_spec *ev_spec(const struct timeline *t, int i)
{
	return &t->spec->ev[i];
}

static int ev_index(const struct timeline *t, const char *name)
{
	for (int i = 0; i < t->spec->n_ev; i++)
		if (!strcmp(t->spec->ev[i].name, name))
			return i;
	return -1;
}

/* When event i is due, or NO_TIME while its anchor has not fired. */
static uint64_t due_at(const struct timeline *t, int i)
{
	const struct event_spec *e = ev_spec(t, i);

	if (!e->anchor[0])
		return t->t0 + e->at_us;
	if (!strcmp(e->anchor, "ramp_end"))
		return t->t_ramp_end + e->at_us;
	int a = ev_index(t, e->anchor);
	return a >= 0 && t->fired[a] != NO_TIME ? t->fired[a] + e->at_us : NO_TIME;
}

/* Has point passed (start, end, or an event that fired)? */
static bool point_passed(const struct timeline *t, const char *point)
{
	if (!strcmp(point, "start"))
		return true;
	if (!strcmp(point, "end"))
		return t->ended;
	int i = ev_index(t, point);
	return i >= 0 && t->fired[i] != NO_TIME;
}

/* ==== Stopping early ==== */

/*
 * Tell the phones to disconnect now, the run cut short by why ("SIGINT",
 * "timeseries.csv: No space left on device"); the first reason is kept.
 */
static void stop_early(struct timeline *t, const char *why)
{
	if (!t->stopped[0])
		snprintf(t->stopped, sizeof(t->stopped), "%s at %.1f s of %.1f s", why,
			 rel_s(t, clock_us()), rel_s(t, t->t_end));
	swarm_request_stop(t->sw);
}

/*
 * Output file (its name in the run directory) failed with err (-errno):
 * said once on stderr, and before "end" the run stops, since it would go
 * on unrecorded. timeline_run() then returns the error.
 */
static void output_failed(struct timeline *t, const char *file, int err)
{
	bool running = !t->ended && !swarm_done(t->sw);
	char why[128];

	if (t->out_err)
		return;
	t->out_err = err;
	fprintf(stderr, "%sphoneswarm: %s/%s: %s%s\n", t->tty ? "\r\033[K" : "", t->o.dir, file,
		strerror(-err), running ? ": stopping the run" : "");
	if (!running)
		return;
	snprintf(why, sizeof(why), "%s: %s", file, strerror(-err));
	stop_early(t, why);
}

/* -errno of the last failed call, or -EIO when it left none (a stdio error flag). */
static int last_err(void)
{
	return errno ? -errno : -EIO;
}

/* ==== Intervals ==== */

static void windows_step(struct timeline *t, const struct stats *s);

/* The arrival rate in effect at time at (linear ramps climb). */
static double rate_at(const struct timeline *t, uint64_t at)
{
	const struct ramp_spec *r = &t->cfg->ramp;
	double x;

	if (r->mode != RAMP_LINEAR || !r->ramp_us)
		return t->cfg->rate;
	x = (double)(at > t->t0 ? at - t->t0 : 0) / (double)r->ramp_us;
	return t->cfg->rate + (r->rate_max - t->cfg->rate) * (x > 1 ? 1 : x);
}

static void drain_failures(struct timeline *t);

/* After an interval of a capacity search: stop arrivals when a condition holds. */
static void capacity_step(struct timeline *t, uint64_t now, const struct stats *s,
			  const struct rusage *ru)
{
	enum reason top;
	uint64_t refused = capacity_refused(s, &t->prev, &top);
	const struct hist *ttt = t->ival[M_TIME_TO_TUNNEL];
	struct cap_interval iv;
	double len = (double)(now - t->ival_start) / 1e6;
	double cpu = tv_s(ru->ru_utime) - tv_s(t->ru_prev.ru_utime) + tv_s(ru->ru_stime) -
		     tv_s(t->ru_prev.ru_stime);

	t->refused_total += refused;
	iv = (struct cap_interval){
		.arrivals = s->attempted - t->prev.attempted,
		.refused = refused,
		.ttt_count = hist_count(ttt),
		.ttt_p99_us = hist_percentile(ttt, 99),
		.refused_total = t->refused_total,
	};
	enum cap_stop why = capacity_check(t->cfg, &iv);
	if (why == CAP_NONE)
		return;
	swarm_stop_arrivals(t->sw);
	t->cap.stopped = true;
	t->cap.why = why;
	t->cap.at_s = rel_s(t, now);
	t->cap.held_concurrent = t->peak;
	t->cap.held_rate = rate_at(t, t->ival_start);
	t->cap.reason = refused ? top : R_NONE;
	char said[FAILURE_DETAIL];

	drain_failures(t); /* the interval's refusals, with their words */
	refusals_words(&t->refusals, t->cap.reason, said, sizeof(said));
	capacity_limit(&t->cap, len > 0 ? 100.0 * cpu / len : 0,
		       (unsigned)sysconf(_SC_NPROCESSORS_ONLN), said);
	t->stop_at = now + t->cfg->capacity_hold_us;
	if (!t->o.quiet)
		fprintf(stderr, "%sphoneswarm: [%7.1fs] capacity: %s; %llu phones up held; "
				"arrivals stopped, holding %.0f s\n",
			t->tty ? "\r\033[K" : "", t->cap.at_s, capacity_stop_name(why),
			(unsigned long long)t->cap.held_concurrent,
			(double)t->cfg->capacity_hold_us / 1e6);
}

static void close_interval(struct timeline *t, uint64_t now, const struct stats *s)
{
	struct rusage ru;
	double len = (double)(now - t->ival_start) / 1e6;

	swarm_interval(t->sw, t->ival);
	getrusage(RUSAGE_SELF, &ru);
	if (t->csv && now > t->ival_start) {
		double cpu = tv_s(ru.ru_utime) - tv_s(t->ru_prev.ru_utime) + tv_s(ru.ru_stime) -
			     tv_s(t->ru_prev.ru_stime);
		struct series_row row = {
			.t_s = rel_s(t, now),
			.interval_s = len,
			.now = s,
			.prev = &t->prev,
			.lat = (const struct hist *const *)t->ival,
			.cpu_pct = len > 0 ? 100.0 * cpu / len : 0,
			.rss_mib = (double)swarm_rss_kb() / 1024.0,
			.events = t->ival_events,
		};
		errno = 0;
		if (series_write(t->csv, &row) || fflush(t->csv)) {
			output_failed(t, "timeseries.csv", last_err());
			fclose(t->csv);
			t->csv = NULL;
		}
	}
	if (t->cfg->capacity && !t->cap.stopped && !t->ended && now > t->ival_start)
		capacity_step(t, now, s, &ru);
	/* every interval's histograms, so that they add up to the run's */
	for (int m = 0; t->hlog && m < M__COUNT; m++) {
		if (!(now > t->ival_start || hist_count(t->ival[m])))
			continue;
		errno = 0;
		int r = hdrlog_write(t->hlog, metric_name((enum metric)m), rel_s(t, t->ival_start),
				     len, t->ival[m]);
		if (r) {
			output_failed(t, "latency.hlog", r == -EIO ? last_err() : r);
			hdrlog_close(t->hlog);
			t->hlog = NULL;
		}
	}
	/* windows take the interval, then open or close at this point */
	for (int w = 0; w < t->n_win; w++) {
		struct window *win = &t->win[w];

		if (!win->open || win->closed)
			continue;
		for (int m = 0; m < M__COUNT; m++)
			hist_merge(win->lat[m], t->ival[m]);
		if (s->up_now < win->up_min)
			win->up_min = s->up_now;
		if (s->up_now > win->peak)
			win->peak = s->up_now;
	}
	if (now >= t->t_ramp_end && !t->ended && s->up_now < t->up_min_after_ramp)
		t->up_min_after_ramp = s->up_now;
	windows_step(t, s);
	if (len > 0) {
		t->last_tps = (double)(s->tunnels_up - t->prev.tunnels_up) / len;
		t->last_p99_us = hist_percentile(t->ival[M_TIME_TO_TUNNEL], 99);
	}
	for (int m = 0; m < M__COUNT; m++)
		hist_reset(t->ival[m]);
	t->prev = *s;
	t->ru_prev = ru;
	t->ival_start = now;
	t->ival_events[0] = '\0';
	t->next_cut = now + t->o.interval_us;
}

static void windows_step(struct timeline *t, const struct stats *s)
{
	for (int w = 0; w < t->n_win; w++) {
		struct window *win = &t->win[w];

		if (!win->open && point_passed(t, win->from)) {
			win->open = true;
			win->at_open = *s;
			win->up_min = s->up_now;
			win->peak = s->up_now;
		}
		if (win->open && !win->closed && point_passed(t, win->to)) {
			win->closed = true;
			stats_delta(&win->st, s, &win->at_open);
		}
	}
}

/* ==== Events ==== */

static int spawn(struct timeline *t, int i, const char *command)
{
	const struct event_spec *e = ev_spec(t, i);
	char path[4200], lab[PATH_MAX + 32];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/events", t->o.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/events/%s.log", t->o.dir, e->name);
	labscript_path(lab, sizeof(lab));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		setenv("PHONESWARM_EVENT", e->name, 1);
		setenv("PHONESWARM_LAB", lab, 1);
		setenv("PHONESWARM_RUN_DIR", t->o.dir, 1);
		if (e->action == EV_LAB)
			execl("/bin/sh", "sh", "-c", "exec \"$0\" $1", lab, command, (char *)NULL);
		else
			execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	t->child[i].pid = pid;
	t->child[i].started = clock_us();
	t->child[i].deadline = t->child[i].started + e->timeout_us;
	return 0;
}

/* Children that ended, or ran out of time (killed, with their group). */
static void reap(struct timeline *t, bool all)
{
	for (int i = 0; i < t->spec->n_ev; i++) {
		struct child *c = &t->child[i];
		struct run_event *re = NULL;
		int status;

		if (!c->pid)
			continue;
		for (int k = 0; k < t->n_fired; k++)
			if (!strcmp(t->ev[k].name, ev_spec(t, i)->name))
				re = &t->ev[k];
		pid_t r = waitpid(c->pid, &status, WNOHANG);
		uint64_t now = clock_us();

		if (r == 0 && (all || now >= c->deadline)) {
			kill(-c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			c->pid = 0;
			re->ok = false;
			snprintf(re->detail, sizeof(re->detail), "%s after %.1f s: killed (see events/%s.log)",
				 all ? "still running at the end" : "timed out",
				 (double)(now - c->started) / 1e6, re->name);
			continue;
		}
		if (r != c->pid)
			continue;
		c->pid = 0;
		re->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (WIFEXITED(status))
			snprintf(re->detail, sizeof(re->detail), "exit %d after %.1f s (events/%s.log)",
				 WEXITSTATUS(status), (double)(now - c->started) / 1e6, re->name);
		else
			snprintf(re->detail, sizeof(re->detail), "killed by signal %d (events/%s.log)",
				 WTERMSIG(status), re->name);
	}
}

static void fire(struct timeline *t, int i, uint64_t now)
{
	const struct event_spec *e = ev_spec(t, i);
	struct run_event *re = &t->ev[t->n_fired++];
	struct phone_command c = e->cmd;
	static const enum phone_action pa[EV__COUNT] = {
		[EV_RESET] = PA_RESET, [EV_FETCH] = PA_FETCH, [EV_TRUST] = PA_TRUST,
		[EV_DNS] = PA_DNS,     [EV_CUT] = PA_CUT,     [EV_IMPAIR] = PA_CUT,
	};

	t->fired[i] = now;
	snprintf(re->name, sizeof(re->name), "%s", e->name);
	snprintf(re->action, sizeof(re->action), "%s", event_action_name(e->action));
	re->at_s = rel_s(t, now);
	re->ok = true;
	size_t len = strlen(t->ival_events);
	snprintf(t->ival_events + len, sizeof(t->ival_events) - len, "%s%s", len ? "|" : "",
		 e->name);

	switch (e->action) {
	case EV_MARK:
		snprintf(re->detail, sizeof(re->detail), "marked");
		break;
	case EV_EXEC:
	case EV_LAB: {
		int r = spawn(t, i, e->command);

		re->ok = r == 0;
		snprintf(re->detail, sizeof(re->detail), "%s%s%s", r ? "cannot start: " : "running: ",
			 r ? strerror(-r) : (e->action == EV_LAB ? "scripts/lab " : ""),
			 r ? "" : e->command);
		break;
	}
	default:
		c.action = pa[e->action];
		if (e->action == EV_CUT)
			c.loss = 1;
		re->ok = swarm_command(t->sw, &c) == 0;
		if (!re->ok)
			snprintf(re->detail, sizeof(re->detail), "not carried out: too many commands "
								 "waiting");
		else if (e->action == EV_DNS)
			snprintf(re->detail, sizeof(re->detail), "every phone told");
		else
			snprintf(re->detail, sizeof(re->detail), "phones told (%.0f%% of those in %s)",
				 100.0 * c.sel.fraction,
				 c.sel.n_ranges ? "the ranges given" : "the fleet");
		break;
	}
	if (!t->o.quiet)
		fprintf(stderr, "%sphoneswarm: [%7.1fs] event %s: %s %s\n", t->tty ? "\r\033[K" : "",
			re->at_s, e->name, event_action_name(e->action), re->detail);
}

/* The next event due, for the progress line: its index, or -1. */
static int next_event(const struct timeline *t, uint64_t *when)
{
	int best = -1;

	*when = NO_TIME;
	for (int i = 0; i < t->spec->n_ev; i++) {
		uint64_t d = t->fired[i] == NO_TIME ? due_at(t, i) : NO_TIME;

		if (d < *when) {
			*when = d;
			best = i;
		}
	}
	return best;
}

/* ==== Progress ==== */

static const char *top_failure(const struct stats *s)
{
	int best = 0;

	for (int k = 1; k < R__COUNT; k++)
		if (s->failures[k] > s->failures[best])
			best = k;
	return best ? reason_name((enum reason)best) : NULL;
}

static void progress(struct timeline *t, const struct stats *s, uint64_t now)
{
	const char *top = top_failure(s);
	uint64_t when;
	int nx = next_event(t, &when);
	char next[96] = "";
	double el = rel_s(t, now);

	if (nx >= 0 && when != NO_TIME && !t->ended)
		snprintf(next, sizeof(next), "  next: %s in %.0fs", ev_spec(t, nx)->name,
			 when > now ? (double)(when - now) / 1e6 : 0.0);
	char p99[32] = "-", loss[48] = "";

	if (t->last_p99_us)
		snprintf(p99, sizeof(p99), "%.0fms", (double)t->last_p99_us / 1000.0);
	if (s->rtp_sent)
		snprintf(loss, sizeof(loss), "  rtp loss %.2f%%",
			 100.0 * (double)(s->rtp_up_lost + s->rtp_down_lost) / (double)s->rtp_sent);
	fprintf(stderr, "%s[%7.1fs] arrived %llu/%u  up %llu  dtls %llu  failed %llu%s%s%s  "
			"%.0f/s  p99 %s%s%s%s",
		t->tty ? "\r" : "", el, (unsigned long long)s->attempted, t->cfg->count,
		(unsigned long long)s->up_now, (unsigned long long)s->dtls_now,
		(unsigned long long)s->failed, top ? " (top: " : "", top ? top : "",
		top ? ")" : "", t->last_tps, p99, loss, next, t->tty ? "\033[K" : "\n");
	fflush(stderr);
}

/* ==== The result ==== */

static void judge(struct timeline *t, const struct stats *final, struct run_result *res)
{
	const struct timeline_spec *sp = t->spec;

	t->n_ex = t->n_failed = 0;
	for (int i = 0; i < sp->n_ex; i++) {
		const struct expect *e = &sp->ex[i];
		struct expect_result *r = &t->ex[t->n_ex++];
		struct expect_view v = {.configured = t->cfg->count};

		snprintf(r->name, sizeof(r->name), "%s", e->text);
		if (!e->from[0]) {
			v.st = final;
			v.lat = res->lat;
			v.up_min = t->up_min_after_ramp == UINT64_MAX ? 0 : t->up_min_after_ramp;
			v.peak = t->peak;
			r->ok = expect_judge(e, &v, r->detail, sizeof(r->detail));
		} else {
			const struct window *w = NULL;

			for (int k = 0; k < t->n_win; k++)
				if (!strcmp(t->win[k].from, e->from) && !strcmp(t->win[k].to, e->to))
					w = &t->win[k];
			if (!w || !w->closed) {
				r->ok = false;
				snprintf(r->detail, sizeof(r->detail), "the window %s..%s never %s",
					 e->from, e->to, w && w->open ? "closed" : "opened");
			} else {
				v.st = &w->st;
				v.lat = (const struct hist *const *)w->lat;
				v.up_min = w->up_min;
				v.peak = w->peak;
				r->ok = expect_judge(e, &v, r->detail, sizeof(r->detail));
			}
		}
		t->n_failed += !r->ok;
	}
	/* every event must have been carried out: an implicit expectation each */
	for (int i = 0; i < sp->n_ev; i++) {
		struct expect_result *r = &t->ex[t->n_ex++];
		const struct run_event *re = NULL;

		for (int k = 0; k < t->n_fired; k++)
			if (!strcmp(t->ev[k].name, sp->ev[i].name))
				re = &t->ev[k];
		snprintf(r->name, sizeof(r->name), "event %s carried out", sp->ev[i].name);
		r->ok = re && re->ok;
		snprintf(r->detail, sizeof(r->detail), "%s", re ? re->detail : "never fired");
		t->n_failed += !r->ok;
	}
	/* a run stopped early did not measure what it set out to */
	if (t->stopped[0]) {
		struct expect_result *r = &t->ex[t->n_ex++];

		snprintf(r->name, sizeof(r->name), "run completed its duration");
		r->ok = false;
		snprintf(r->detail, sizeof(r->detail), "stopped early: %s", t->stopped);
		t->n_failed++;
	}
	/* events that never fired are listed too, at_s < 0 */
	for (int i = 0; i < sp->n_ev; i++)
		if (t->fired[i] == NO_TIME) {
			struct run_event *re = &t->ev[t->n_fired++];

			snprintf(re->name, sizeof(re->name), "%s", sp->ev[i].name);
			snprintf(re->action, sizeof(re->action), "%s",
				 event_action_name(sp->ev[i].action));
			re->at_s = -1;
			re->ok = false;
			snprintf(re->detail, sizeof(re->detail), "never fired: the run ended first");
		}
}

/* ==== The loop ==== */

struct timeline *timeline_new(struct swarm *sw, const struct swarm_config *cfg,
			      const struct timeline_spec *spec, const struct timeline_opts *o)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sw = sw;
	t->cfg = cfg;
	t->spec = spec;
	t->o = *o;
	refusals_init(&t->refusals);
	if (!t->o.interval_us)
		t->o.interval_us = 1000000u;
	for (int i = 0; i < TIMELINE_MAX_EVENTS; i++)
		t->fired[i] = NO_TIME;
	for (int m = 0; m < M__COUNT; m++)
		if (!(t->ival[m] = hist_new()))
			goto oom;
	for (int i = 0; i < spec->n_ex; i++) {
		const struct expect *e = &spec->ex[i];
		bool have = !e->from[0];

		for (int k = 0; k < t->n_win && !have; k++)
			have = !strcmp(t->win[k].from, e->from) && !strcmp(t->win[k].to, e->to);
		if (have)
			continue;
		struct window *w = &t->win[t->n_win++];
		snprintf(w->from, sizeof(w->from), "%s", e->from);
		snprintf(w->to, sizeof(w->to), "%s", e->to);
		for (int m = 0; m < M__COUNT; m++)
			if (!(w->lat[m] = hist_new()))
				goto oom;
	}
	t->up_min_after_ramp = UINT64_MAX;
	t->cap.why = CAP_NONE;
	return t;
oom:
	timeline_free(t);
	return NULL;
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	hdrlog_close(t->hlog);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(t->ival[m]);
	for (int w = 0; w < t->n_win; w++)
		for (int m = 0; m < M__COUNT; m++)
			hist_free(t->win[w].lat[m]);
	if (t->csv)
		fclose(t->csv);
	if (t->fcsv)
		fclose(t->fcsv);
	free(t);
}

int timeline_failed(const struct timeline *t)
{
	return t->n_failed;
}

static void fill(struct timeline *t, const struct stats *s, struct run_result *res)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	res->st = *s;
	res->peak_concurrent = t->peak;
	for (int m = 0; m < M__COUNT; m++)
		res->lat[m] = swarm_hist(t->sw, (enum metric)m);
	res->wall_s = (double)(clock_us() - t->t0) / 1e6;
	res->cpu_user_s = tv_s(ru.ru_utime) - tv_s(t->ru0.ru_utime);
	res->cpu_sys_s = tv_s(ru.ru_stime) - tv_s(t->ru0.ru_stime);
	res->max_rss_kb = (uint64_t)ru.ru_maxrss;
	res->rss_base_kb = swarm_rss_base_kb(t->sw);
	res->rss_at_peak_kb = t->rss_peak;
	res->cpu_to_peak_s = tv_s(t->ru_peak.ru_utime) - tv_s(t->ru0.ru_utime) +
			     tv_s(t->ru_peak.ru_stime) - tv_s(t->ru0.ru_stime);
	res->tunnels_at_peak = t->up_at_peak;
	res->events = t->ev;
	res->n_events = t->n_fired;
	res->expects = t->ex;
	res->n_expects = t->n_ex;
	res->stopped_early = t->stopped[0] ? t->stopped : NULL;
	res->refusals = &t->refusals;
	if (t->cfg->capacity) {
		if (!t->cap.stopped) {
			t->cap.held_concurrent = t->peak;
			t->cap.held_rate = rate_at(t, t->t_ramp_end);
			snprintf(t->cap.limit, sizeof(t->cap.limit), "none reached: the fleet "
				 "(phones.count) ran out first; raise phones.count");
		}
		if (t->have_first_fail) {
			const struct failure_rec *f = &t->first_fail;
			char cn[64];

			identity_cn(cn, sizeof(cn), f->model, f->mac);
			snprintf(t->cap.first, sizeof(t->cap.first),
				 "phone %u failed %.1f s into the run in phase %s: %s: %s; its "
				 "console log: trace/%s.log", f->phone, rel_s(t, f->t_us),
				 failure_phase_name((enum fail_phase)f->phase),
				 reason_name((enum reason)f->reason), f->detail, cn);
		}
		res->capacity = &t->cap;
	}
}

/*
 * report.json as it stands, written aside and renamed into place. It says
 * the run has not completed: if the process dies, the report it leaves is
 * never taken for a whole run.
 */
static void checkpoint(struct timeline *t, const struct stats *s, struct run_result *res)
{
	char path[4200], tmp[4300];
	int r;

	fill(t, s, res);
	if (!res->stopped_early) {
		snprintf(t->checkpoint_note, sizeof(t->checkpoint_note),
			 "still running at %.1f s of %.1f s (a checkpoint)", rel_s(t, clock_us()),
			 rel_s(t, t->t_end));
		res->stopped_early = t->checkpoint_note;
	}
	snprintf(path, sizeof(path), "%s/report.json", t->o.dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	r = report_write_json(res, tmp);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		output_failed(t, "report.json (checkpoint)", r);
	}
}

/*
 * Stream the failure records the workers queued since the last call to
 * failures.csv. Once writing fails, the file is closed, nothing more is
 * written and the run stops (output_failed).
 */
static void drain_failures(struct timeline *t)
{
	static struct failure_rec recs[1024];
	size_t n;

	do {
		n = swarm_drain_failures(t->sw, recs, 1024);
		if (n && !t->have_first_fail) {
			t->first_fail = recs[0]; /* drained in time order */
			t->have_first_fail = true;
		}
		for (size_t i = 0; i < n; i++)
			refusals_add(&t->refusals, &recs[i]);
		errno = 0;
		if (n && t->fcsv && failcsv_write(t->fcsv, recs, n, t->t0)) {
			output_failed(t, "failures.csv", last_err());
			fclose(t->fcsv);
			t->fcsv = NULL;
		}
	} while (n == 1024);
}

/*
 * The body of /metrics, made when it is asked for: the
 * counters now, and the run's histograms as of the last interval closed.
 */
static int render_metrics(FILE *out, void *arg)
{
	struct timeline *t = arg;
	struct stats s;
	struct rusage ru;
	struct prom_input in = {
		.st = &s,
		.phones_configured = t->cfg->count,
		.elapsed_s = rel_s(t, clock_us()),
		.peak_up = t->peak,
		.rss_bytes = swarm_rss_kb() * 1024u,
		.failure_records_lost = swarm_failures_lost(t->sw),
	};

	swarm_stats(t->sw, &s);
	getrusage(RUSAGE_SELF, &ru);
	in.cpu_s = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	for (int m = 0; m < M__COUNT; m++)
		in.lat[m] = swarm_hist(t->sw, (enum metric)m);
	return prom_render(out, &in);
}

int timeline_run(struct timeline *t, volatile int *interrupted, struct run_result *res)
{
	char path[4200];
	struct stats s;
	uint64_t next_checkpoint;

	t->tty = isatty(STDERR_FILENO);
	t->t0 = swarm_t0(t->sw);
	t->t_end = swarm_t_end(t->sw);
	t->t_ramp_end = swarm_arrival(t->sw, t->cfg->count - 1);
	t->ival_start = t->t0;
	t->next_cut = t->t0 + t->o.interval_us;
	t->next_line = t->t0;
	next_checkpoint = t->o.checkpoint_us ? t->t0 + t->o.checkpoint_us : NO_TIME;
	getrusage(RUSAGE_SELF, &t->ru0);
	t->ru_peak = t->ru_prev = t->ru0;
	memset(&t->prev, 0, sizeof(t->prev));

	/* run.c proved the directory writable; should these fail all the same, the
	 * run stops at once, and still goes through its end below */
	snprintf(path, sizeof(path), "%s/timeseries.csv", t->o.dir);
	t->csv = fopen(path, "w");
	if (t->csv)
		series_header(t->csv);
	else
		output_failed(t, "timeseries.csv", -errno);
	snprintf(path, sizeof(path), "%s/failures.csv", t->o.dir);
	errno = 0;
	t->fcsv = fopen(path, "w");
	if (!t->fcsv || failcsv_header(t->fcsv)) {
		output_failed(t, "failures.csv", last_err());
		if (t->fcsv)
			fclose(t->fcsv);
		t->fcsv = NULL;
	}
	while (clock_us() < t->t0)
		usleep(1000);
	{ /* latency.hlog, its StartTime the first arrival's wall-clock time */
		struct timespec wall;
		char err[512];

		clock_gettime(CLOCK_REALTIME, &wall);
		snprintf(path, sizeof(path), "%s/latency.hlog", t->o.dir);
		t->hlog = hdrlog_create(path,
					(double)wall.tv_sec + (double)wall.tv_nsec / 1e9 -
						(double)(clock_us() - t->t0) / 1e6,
					err, sizeof(err));
		if (!t->hlog && !t->out_err) {
			fprintf(stderr, "phoneswarm: %s: stopping the run\n", err);
			t->out_err = -EIO;
			stop_early(t, "latency.hlog cannot be created");
		}
	}
	swarm_stats(t->sw, &s);
	windows_step(t, &s); /* windows from "start" open now */

	while (!swarm_done(t->sw)) {
		uint64_t now = clock_us(), wake = now + TICK_US;

		if (!t->ended && t->t_end < wake + END_EARLY_US) /* "end" is due before the tick */
			wake = t->t_end > now + END_EARLY_US ? t->t_end - END_EARLY_US : now;
		metrics_poll(t->o.metrics, (int)((wake - now) / 1000), render_metrics, t);
		now = clock_us();

		drain_failures(t);

		swarm_stats(t->sw, &s);
		if (s.up_now > t->peak || (s.up_now == t->peak && t->peak)) {
			uint64_t rss = swarm_rss_kb();

			if (s.up_now > t->peak || rss > t->rss_peak)
				t->rss_peak = rss;
			if (s.up_now > t->peak) {
				getrusage(RUSAGE_SELF, &t->ru_peak);
				t->up_at_peak = s.tunnels_up;
			}
			t->peak = s.up_now;
		}
		if (*interrupted && !t->stop_sig) {
			const char *abbrev = sigabbrev_np(*interrupted);
			char why[32];

			t->stop_sig = *interrupted;
			if (abbrev)
				snprintf(why, sizeof(why), "SIG%s", abbrev);
			else
				snprintf(why, sizeof(why), "signal %d", t->stop_sig);
			if (t->ended) /* phones already told to go: the run had its duration */
				swarm_request_stop(t->sw);
			else
				stop_early(t, why);
			if (!t->o.quiet)
				fprintf(stderr, "\nphoneswarm: %s: disconnecting phones...\n", why);
		}
		if (!t->ended && t->stop_at && now >= t->stop_at)
			swarm_request_stop(t->sw); /* the capacity search is done */
		if (!t->ended && (now + END_EARLY_US >= t->t_end || t->stop_sig || t->stopped[0] ||
				  (t->stop_at && now >= t->stop_at))) {
			close_interval(t, now, &s);
			t->ended = true;
			windows_step(t, &s);
		}
		/* events due: each begins an interval of its own */
		for (int i = 0; i < t->spec->n_ev && !t->ended; i++) {
			uint64_t d = t->fired[i] == NO_TIME ? due_at(t, i) : NO_TIME;

			if (d > now)
				continue;
			if (now > t->ival_start)
				close_interval(t, now, &s);
			fire(t, i, now);
			windows_step(t, &s);
			i = -1; /* an event anchored on this one at +0 fires now too */
		}
		reap(t, false);
		if (now >= t->next_cut)
			close_interval(t, now, &s);
		if (now >= next_checkpoint) {
			checkpoint(t, &s, res);
			next_checkpoint += t->o.checkpoint_us;
		}
		if (!t->o.quiet && now >= t->next_line) {
			progress(t, &s, now);
			/* a terminal: refreshed each second; a log: one line per interval */
			t->next_line += t->tty ? 1000000u : t->o.interval_us;
		}
	}
	swarm_stats(t->sw, &s);
	close_interval(t, clock_us(), &s);
	if (!t->ended) {
		t->ended = true;
		windows_step(t, &s);
	}
	reap(t, true);
	/* the last failure records, and what the queues could not hold */
	drain_failures(t);
	errno = 0;
	if (t->fcsv && fclose(t->fcsv))
		output_failed(t, "failures.csv", last_err());
	t->fcsv = NULL;
	if (swarm_failures_lost(t->sw))
		fprintf(stderr, "phoneswarm: %llu failure records lost (the workers' queues "
				"overflowed between drains): %s/failures.csv misses them\n",
			(unsigned long long)swarm_failures_lost(t->sw), t->o.dir);
	if (!t->o.quiet) {
		progress(t, &s, clock_us());
		if (t->tty)
			fputc('\n', stderr);
	}
	fill(t, &s, res);
	judge(t, &s, res);
	fill(t, &s, res);
	errno = 0;
	if (t->csv && (fflush(t->csv) || ferror(t->csv)))
		output_failed(t, "timeseries.csv", last_err());
	errno = 0;
	if (hdrlog_close(t->hlog))
		output_failed(t, "latency.hlog", last_err());
	t->hlog = NULL;
	return t->out_err;
}
