/*
 * loadgen/timeline.c - a run as time goes by (timeline.h): the loop.
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
 *
 * This file keeps the clock, the interval under way, the peak and the
 * progress line; the events, the windows, the outputs and the capacity
 * search are in timeline_events.c, _windows.c, _outputs.c and _capacity.c
 * (timeline_internal.h).
 */
#include "loadgen/timeline_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/stats/clock.h"
#include "engine/stats/hist.h"
#include "engine/swarm/swarm.h"
#include "loadgen/metrics.h"
#include "report/hdrlog.h"
#include "report/utc.h"

#define TICK_US 100000u
/* The workers stop the phones at t_end on their own: "end" is read this much before. */
#define END_EARLY_US 20000u

double timeline_tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double timeline_rel_s(const struct timeline *t, uint64_t at)
{
	return at > t->t0 ? (double)(at - t->t0) / 1e6 : 0.0;
}

void timeline_stop_early(struct timeline *t, const char *why)
{
	if (!t->stopped[0])
		snprintf(t->stopped, sizeof(t->stopped), "%s at %.1f s of %.1f s", why,
			 timeline_rel_s(t, clock_us()), timeline_rel_s(t, t->t_end));
	swarm_request_stop(t->sw);
}

/* ==== Setting up ==== */

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
	refusals_init(&t->out.refusals);
	if (!t->o.interval_us)
		t->o.interval_us = 1000000u;
	for (int i = 0; i < TIMELINE_MAX_EVENTS; i++)
		t->ev.fired[i] = NO_TIME;
	t->cap.res.why = CAP_NONE;
	for (int m = 0; m < M__COUNT; m++)
		if (!(t->ival[m] = hist_new()))
			goto out_free;
	if (timeline_windows_new(t))
		goto out_free;
	return t;
out_free:
	timeline_free(t);
	return NULL;
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	hdrlog_close(t->out.hlog);
	if (t->out.csv)
		fclose(t->out.csv);
	if (t->out.fcsv)
		fclose(t->out.fcsv);
	timeline_windows_free(t);
	timeline_recovery_free(t);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(t->ival[m]);
	free(t);
}

int timeline_failed(const struct timeline *t)
{
	return t->win.n_failed;
}

/* ==== Intervals ==== */

/*
 * The interval ends now (s: the counters now): its outputs written, a
 * capacity search's conditions checked, the windows given it, and a new
 * one begun.
 */
static void close_interval(struct timeline *t, uint64_t now, const struct stats *s)
{
	struct rusage ru;
	double len = (double)(now - t->ival_start) / 1e6;

	swarm_interval(t->sw, t->ival);
	getrusage(RUSAGE_SELF, &ru);
	timeline_outputs_interval(t, now, s, &ru);
	if (t->cfg->capacity && !t->cap.res.stopped && !t->ended && now > t->ival_start)
		timeline_capacity_step(t, now, s, &ru);
	timeline_windows_take(t, now, s);
	timeline_windows_step(t, s);
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

/* "end" passes now: the last interval before it closed, the windows up to it closed. */
static void reach_end(struct timeline *t, uint64_t now, const struct stats *s)
{
	timeline_recovery_end(t, now, s);
	t->win.at_end = true;
	close_interval(t, now, s);
	t->ended = true;
	timeline_windows_step(t, s);
}

/* Events due by now fire, each beginning an interval of its own. */
static void fire_due(struct timeline *t, uint64_t now, const struct stats *s)
{
	for (int i = 0; i < t->spec->n_ev && !t->ended; i++) {
		if (timeline_events_due(t, i) > now)
			continue;
		if (now > t->ival_start)
			close_interval(t, now, s);
		timeline_events_fire(t, i, now);
		timeline_recovery_fire(t, t->ev.n_fired - 1, now, s);
		timeline_windows_step(t, s);
		i = -1; /* an event anchored on this one at +0 fires now too */
	}
}

/* ==== The run as a whole ==== */

/* The most tunnels up at once, and the memory and CPU when that was reached. */
static void track_peak(struct timeline *t, const struct stats *s)
{
	uint64_t rss;

	if (s->up_now < t->peak || !s->up_now)
		return;
	rss = swarm_rss_kb();
	if (s->up_now > t->peak || rss > t->rss_peak)
		t->rss_peak = rss;
	if (s->up_now > t->peak) {
		getrusage(RUSAGE_SELF, &t->ru_peak);
		t->up_at_peak = s->tunnels_up;
	}
	t->peak = s->up_now;
}

/* A signal asked the phones to stop: before "end" the run stops early. */
static void on_signal(struct timeline *t, int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	char why[32];

	t->stop_sig = sig;
	if (abbrev)
		snprintf(why, sizeof(why), "SIG%s", abbrev);
	else
		snprintf(why, sizeof(why), "signal %d", sig);
	if (t->ended) /* phones already told to go: the run had its duration */
		swarm_request_stop(t->sw);
	else
		timeline_stop_early(t, why);
	if (!t->o.quiet)
		fprintf(stderr, "\nphoneswarm: %s: disconnecting phones...\n", why);
}

/* Has "end" come (its time, a signal, a stop, a capacity search done)? */
static bool end_due(const struct timeline *t, uint64_t now)
{
	return now + END_EARLY_US >= t->t_end || t->stop_sig || t->stopped[0] ||
	       (t->cap.stop_at && now >= t->cap.stop_at);
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
	int nx = timeline_events_next(t, &when);
	char next[96] = "", p99[32] = "-", loss[48] = "";

	if (nx >= 0 && when != NO_TIME && !t->ended)
		snprintf(next, sizeof(next), "  next: %s in %.0fs", t->spec->ev[nx].name,
			 when > now ? (double)(when - now) / 1e6 : 0.0);
	if (t->last_p99_us)
		snprintf(p99, sizeof(p99), "%.0fms", (double)t->last_p99_us / 1000.0);
	if (s->rtp_sent)
		snprintf(loss, sizeof(loss), "  rtp loss %.2f%%",
			 100.0 * (double)(s->rtp_up_lost + s->rtp_down_lost) / (double)s->rtp_sent);
	fprintf(stderr,
		"%s[%7.1fs] arrived %llu/%u  up %llu  dtls %llu  failed %llu%s%s%s  "
		"%.0f/s  p99 %s%s%s%s",
		t->tty ? "\r" : "", timeline_rel_s(t, now), (unsigned long long)s->attempted,
		t->cfg->count, (unsigned long long)s->up_now, (unsigned long long)s->dtls_now,
		(unsigned long long)s->failed, top ? " (top: " : "", top ? top : "", top ? ")" : "",
		t->last_tps, p99, loss, next, t->tty ? "\033[K" : "\n");
	fflush(stderr);
}

/* The progress line when due: each second on a terminal, each interval in a log. */
static void progress_due(struct timeline *t, const struct stats *s, uint64_t now)
{
	if (t->o.quiet || now < t->next_line)
		return;
	progress(t, s, now);
	t->next_line += t->tty ? 1000000u : t->o.interval_us;
}

/* ==== The loop ==== */

/* Waits for the next tick (or "end", if it is due first), serving /metrics; the time then. */
static uint64_t wait_tick(struct timeline *t)
{
	uint64_t now = clock_us(), wake = now + TICK_US;

	if (!t->ended && t->t_end < wake + END_EARLY_US) /* "end" is due before the tick */
		wake = t->t_end > now + END_EARLY_US ? t->t_end - END_EARLY_US : now;
	metrics_poll(t->o.metrics, (int)((wake - now) / 1000), timeline_outputs_metrics, t);
	return clock_us();
}

/* Before the first arrival: the clock's points, the outputs, the windows open from "start". */
static void begin(struct timeline *t, struct stats *s)
{
	t->tty = isatty(STDERR_FILENO);
	t->t0 = swarm_t0(t->sw);
	/* the same moment by the wall clock, for the outputs' absolute times */
	t->t0_epoch_s = utc_now() - ((double)clock_us() - (double)t->t0) / 1e6;
	t->t_end = swarm_t_end(t->sw);
	t->t_ramp_end = swarm_arrival(t->sw, t->cfg->count - 1);
	t->ival_start = t->t0;
	t->next_cut = t->t0 + t->o.interval_us;
	t->next_line = t->t0;
	getrusage(RUSAGE_SELF, &t->ru0);
	t->ru_peak = t->ru_prev = t->ru0;
	memset(&t->prev, 0, sizeof(t->prev));
	timeline_outputs_open(t);
	while (clock_us() < t->t0)
		usleep(1000);
	timeline_outputs_open_hlog(t);
	swarm_stats(t->sw, s);
	timeline_windows_step(t, s);
}

/* Once every worker is done: the last interval, the children, the verdict, the files. */
static void finish(struct timeline *t, struct stats *s, struct run_result *res)
{
	swarm_stats(t->sw, s);
	timeline_recovery_end(t, clock_us(), s);
	close_interval(t, clock_us(), s);
	if (!t->ended) {
		t->ended = true;
		timeline_windows_step(t, s);
	}
	timeline_events_reap(t, true);
	timeline_outputs_last_failures(t);
	if (!t->o.quiet) {
		progress(t, s, clock_us());
		if (t->tty)
			fputc('\n', stderr);
	}
	timeline_outputs_result(t, s, res);
	timeline_windows_judge(t, s, res);
	timeline_events_unfired(t);
	timeline_outputs_result(t, s, res);
	timeline_outputs_close(t);
}

int timeline_run(struct timeline *t, volatile int *interrupted, struct run_result *res)
{
	struct stats s;

	begin(t, &s);
	while (!swarm_done(t->sw)) {
		uint64_t now = wait_tick(t);

		timeline_outputs_drain_failures(t);
		swarm_stats(t->sw, &s);
		swarm_trim(t->sw, now, s.tunnels_up);
		track_peak(t, &s);
		if (*interrupted && !t->stop_sig)
			on_signal(t, *interrupted);
		if (!t->ended && t->cap.stop_at && now >= t->cap.stop_at)
			swarm_request_stop(t->sw); /* the capacity search is done */
		timeline_recovery_step(t, now, &s);
		if (!t->ended && end_due(t, now))
			reach_end(t, now, &s);
		fire_due(t, now, &s);
		timeline_events_reap(t, false);
		if (now >= t->next_cut)
			close_interval(t, now, &s);
		timeline_outputs_checkpoint(t, now, &s, res);
		progress_due(t, &s, now);
	}
	finish(t, &s, res);
	return t->out.err;
}
