/*
 * loadgen/timeline_outputs.c - what a run writes as it goes, and its result
 * (timeline_internal.h).
 *
 * timeseries.csv gets a row per interval and latency.hlog the interval's
 * histograms (every interval's, so that they add up to the run's);
 * failures.csv the failure records the workers queued, drained at every
 * tick; report.json is rewritten aside and renamed into place at each
 * checkpoint, saying the run has not completed. An output that cannot be
 * written is said once on stderr, closed, and stops a run still going:
 * it would go on unrecorded. /metrics' body is made here too, when asked.
 */
#include "loadgen/timeline_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/stats/clock.h"
#include "engine/stats/heap.h"
#include "engine/stats/hist.h"
#include "engine/swarm/swarm.h"
#include "report/failcsv.h"
#include "report/hdrlog.h"
#include "report/prom.h"
#include "report/series.h"
#include "loadgen/version.h"

/* -errno of the last failed call, or -EIO when it left none (a stdio error flag). */
static int last_err(void)
{
	return errno ? -errno : -EIO;
}

void timeline_outputs_failed(struct timeline *t, const char *file, int err)
{
	bool running = !t->ended && !swarm_done(t->sw);
	char why[128];

	if (t->out.err)
		return;
	t->out.err = err;
	fprintf(stderr, "%sphoneswarm: %s/%s: %s%s\n", t->tty ? "\r\033[K" : "", t->o.dir, file,
		strerror(-err), running ? ": stopping the run" : "");
	if (!running)
		return;
	snprintf(why, sizeof(why), "%s: %s", file, strerror(-err));
	timeline_stop_early(t, why);
}

/* ==== Opening ==== */

void timeline_outputs_open(struct timeline *t)
{
	char path[4200];

	t->out.next_checkpoint = t->o.checkpoint_us ? t->t0 + t->o.checkpoint_us : NO_TIME;
	/* run.c proved the directory writable; should these fail all the same, the
	 * run stops at once, and still goes through its end */
	snprintf(path, sizeof(path), "%s/timeseries.csv", t->o.dir);
	t->out.csv = fopen(path, "w");
	if (t->out.csv)
		series_header(t->out.csv);
	else
		timeline_outputs_failed(t, "timeseries.csv", -errno);
	snprintf(path, sizeof(path), "%s/failures.csv", t->o.dir);
	errno = 0;
	t->out.fcsv = fopen(path, "w");
	if (!t->out.fcsv || failcsv_header(t->out.fcsv)) {
		timeline_outputs_failed(t, "failures.csv", last_err());
		if (t->out.fcsv)
			fclose(t->out.fcsv);
		t->out.fcsv = NULL;
	}
}

void timeline_outputs_open_hlog(struct timeline *t)
{
	char path[4200], err[512];

	snprintf(path, sizeof(path), "%s/latency.hlog", t->o.dir);
	t->out.hlog = hdrlog_create(path, t->t0_epoch_s, err, sizeof(err));
	if (!t->out.hlog && !t->out.err) {
		fprintf(stderr, "phoneswarm: %s: stopping the run\n", err);
		t->out.err = -EIO;
		timeline_stop_early(t, "latency.hlog cannot be created");
	}
}

/* ==== As the run goes ==== */

void timeline_outputs_interval(struct timeline *t, uint64_t now, const struct stats *s,
			       const struct rusage *ru)
{
	double len = (double)(now - t->ival_start) / 1e6;

	if (t->out.csv && now > t->ival_start) {
		double cpu = timeline_tv_s(ru->ru_utime) - timeline_tv_s(t->ru_prev.ru_utime) +
			     timeline_tv_s(ru->ru_stime) - timeline_tv_s(t->ru_prev.ru_stime);
		struct series_row row = {
		    .t_s = timeline_rel_s(t, now),
		    .interval_s = len,
		    .utc_s = t->t0_epoch_s + timeline_rel_s(t, now),
		    .now = s,
		    .prev = &t->prev,
		    .lat = (const struct hist *const *)t->ival,
		    .cpu_pct = len > 0 ? 100.0 * cpu / len : 0,
		    .rss_mib = (double)swarm_rss_kb() / 1024.0,
		    .events = t->ival_events,
		};
		errno = 0;
		if (series_write(t->out.csv, &row) || fflush(t->out.csv)) {
			timeline_outputs_failed(t, "timeseries.csv", last_err());
			fclose(t->out.csv);
			t->out.csv = NULL;
		}
	}
	/* every interval's histograms, so that they add up to the run's */
	for (int m = 0; t->out.hlog && m < M__COUNT; m++) {
		if (!(now > t->ival_start || hist_count(t->ival[m])))
			continue;
		errno = 0;
		int r = hdrlog_write(t->out.hlog, metric_name((enum metric)m),
				     timeline_rel_s(t, t->ival_start), len, t->ival[m]);
		if (r) {
			timeline_outputs_failed(t, "latency.hlog", r == -EIO ? last_err() : r);
			hdrlog_close(t->out.hlog);
			t->out.hlog = NULL;
		}
	}
}

/*
 * Stream the failure records the workers queued since the last call to
 * failures.csv. Once writing fails, the file is closed, nothing more is
 * written and the run stops.
 */
void timeline_outputs_drain_failures(struct timeline *t)
{
	static struct failure_rec recs[1024];
	struct failcsv_t0 t0 = {.us = t->t0, .epoch_s = t->t0_epoch_s};
	size_t n;

	do {
		n = swarm_drain_failures(t->sw, recs, 1024);
		if (n && !t->cap.have_first_fail) {
			t->cap.first_fail = recs[0]; /* drained in time order */
			t->cap.have_first_fail = true;
		}
		for (size_t i = 0; i < n; i++)
			refusals_add(&t->out.refusals, &recs[i]);
		errno = 0;
		if (n && t->out.fcsv && failcsv_write(t->out.fcsv, recs, n, &t0)) {
			timeline_outputs_failed(t, "failures.csv", last_err());
			fclose(t->out.fcsv);
			t->out.fcsv = NULL;
		}
	} while (n == 1024);
}

/*
 * report.json as it stands, written aside and renamed into place. It says
 * the run has not completed: if the process dies, the report it leaves is
 * never taken for a whole run.
 */
void timeline_outputs_checkpoint(struct timeline *t, uint64_t now, const struct stats *s,
				 struct run_result *res)
{
	char path[4200], tmp[4300];
	int r;

	if (now < t->out.next_checkpoint)
		return;
	t->out.next_checkpoint += t->o.checkpoint_us;
	timeline_outputs_result(t, s, res);
	if (!res->stopped_early) {
		snprintf(t->out.checkpoint_note, sizeof(t->out.checkpoint_note),
			 "still running at %.1f s of %.1f s (a checkpoint)",
			 timeline_rel_s(t, clock_us()), timeline_rel_s(t, t->t_end));
		res->stopped_early = t->out.checkpoint_note;
	}
	snprintf(path, sizeof(path), "%s/report.json", t->o.dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	r = report_write_json(res, tmp);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		timeline_outputs_failed(t, "report.json (checkpoint)", r);
	}
}

/* Descriptors this process has open (its /proc/self/fd, less the one reading it), and may. */
static void open_fds(uint64_t *open, uint64_t *max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct rlimit rl;

	*open = 0;
	while (d && (e = readdir(d)))
		*open += e->d_name[0] != '.';
	if (d) {
		closedir(d);
		(*open)--;
	}
	*max = getrlimit(RLIMIT_NOFILE, &rl) ? 0 : (uint64_t)rl.rlim_cur;
}

/*
 * The body of /metrics, made when it is asked for: the counters now, and
 * the run's histograms as of the last interval closed.
 */
int timeline_outputs_metrics(FILE *out, void *arg)
{
	struct timeline *t = arg;
	struct stats s;
	struct rusage ru;
	struct prom_input in = {
	    .st = &s,
	    .phones_configured = t->cfg->count,
	    .elapsed_s = timeline_rel_s(t, clock_us()),
	    .peak_up = t->peak,
	    .rss_bytes = swarm_rss_kb() * 1024u,
	    .failure_records_lost = swarm_failures_lost(t->sw),
	    .version = version_number(),
	    .build = version_build(),
	};

	swarm_stats(t->sw, &s);
	getrusage(RUSAGE_SELF, &ru);
	in.cpu_s = timeline_tv_s(ru.ru_utime) + timeline_tv_s(ru.ru_stime);
	open_fds(&in.open_fds, &in.max_fds);
	for (int m = 0; m < M__COUNT; m++)
		in.lat[m] = swarm_hist(t->sw, (enum metric)m);
	return prom_render(out, &in);
}

/* ==== At the end ==== */

void timeline_outputs_last_failures(struct timeline *t)
{
	timeline_outputs_drain_failures(t);
	errno = 0;
	if (t->out.fcsv && fclose(t->out.fcsv))
		timeline_outputs_failed(t, "failures.csv", last_err());
	t->out.fcsv = NULL;
	if (swarm_failures_lost(t->sw))
		fprintf(stderr,
			"phoneswarm: %llu failure records lost (the workers' queues "
			"overflowed between drains): %s/failures.csv misses them\n",
			(unsigned long long)swarm_failures_lost(t->sw), t->o.dir);
}

void timeline_outputs_close(struct timeline *t)
{
	errno = 0;
	if (t->out.csv && (fflush(t->out.csv) || ferror(t->out.csv)))
		timeline_outputs_failed(t, "timeseries.csv", last_err());
	errno = 0;
	if (hdrlog_close(t->out.hlog))
		timeline_outputs_failed(t, "latency.hlog", last_err());
	t->out.hlog = NULL;
}

void timeline_outputs_result(struct timeline *t, const struct stats *s, struct run_result *res)
{
	struct rusage ru;
	double (*tv)(struct timeval) = timeline_tv_s;

	getrusage(RUSAGE_SELF, &ru);
	res->st = *s;
	res->peak_concurrent = t->peak;
	for (int m = 0; m < M__COUNT; m++)
		res->lat[m] = swarm_hist(t->sw, (enum metric)m);
	res->wall_s = (double)(clock_us() - t->t0) / 1e6;
	res->started_at = t->t0_epoch_s;
	res->cpu_user_s = tv(ru.ru_utime) - tv(t->ru0.ru_utime);
	res->cpu_sys_s = tv(ru.ru_stime) - tv(t->ru0.ru_stime);
	res->max_rss_kb = (uint64_t)ru.ru_maxrss;
	res->rss_base_kb = swarm_rss_base_kb(t->sw);
	res->rss_at_peak_kb = t->rss_peak;
	res->heap_base_bytes = swarm_heap_base(t->sw, &res->hist_base_bytes);
	res->heap_end_bytes = heap_in_use(); /* run.c reads it again once the workers are joined */
	res->hist_end_bytes = hist_bytes_held();
	res->cpu_to_peak_s = tv(t->ru_peak.ru_utime) - tv(t->ru0.ru_utime) +
			     tv(t->ru_peak.ru_stime) - tv(t->ru0.ru_stime);
	res->tunnels_at_peak = t->up_at_peak;
	res->events = t->ev.ev;
	res->n_events = t->ev.n_fired;
	res->expects = t->win.ex;
	res->n_expects = t->win.n_ex;
	res->stopped_early = t->stopped[0] ? t->stopped : NULL;
	res->refusals = &t->out.refusals;
	if (t->cfg->capacity)
		timeline_capacity_result(t, res);
}
