/*
 * loadgen/timeline_windows.c - the expectations' windows and the verdict
 * (timeline_internal.h).
 *
 * A window runs from one point of the timeline to another ("during
 * rotate..end:"); one is kept per distinct pair. It opens when its FROM
 * point passes, keeping the counters then; takes every interval closed
 * while it is open (histograms merged, the lowest and highest tunnel
 * counts at an interval's end); and closes when its TO point passes, its
 * figures the counters' difference (stats_delta()). Points fall on
 * interval ends (timeline.c closes one at each), so a window's figures
 * are exact. At the end every expectation is judged on the whole run or
 * its window, and the implicit ones are added: each event carried out,
 * no phone failed for this machine's own shortage, and the run completed.
 */
#include "loadgen/timeline_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/stats/hist.h"

int timeline_windows_new(struct timeline *t)
{
	for (int i = 0; i < t->spec->n_ex; i++) {
		const struct expect *e = &t->spec->ex[i];
		bool have = !e->from[0];

		for (int k = 0; k < t->win.n_win && !have; k++)
			have = !strcmp(t->win.win[k].from, e->from) &&
			       !strcmp(t->win.win[k].to, e->to);
		if (have)
			continue;
		struct window *w = &t->win.win[t->win.n_win++];
		snprintf(w->from, sizeof(w->from), "%s", e->from);
		snprintf(w->to, sizeof(w->to), "%s", e->to);
		for (int m = 0; m < M__COUNT; m++)
			if (!(w->lat[m] = hist_new()))
				return -ENOMEM;
	}
	t->win.up_min_after_ramp = UINT64_MAX;
	return 0;
}

void timeline_windows_free(struct timeline *t)
{
	for (int w = 0; w < t->win.n_win; w++)
		for (int m = 0; m < M__COUNT; m++)
			hist_free(t->win.win[w].lat[m]);
}

void timeline_windows_take(struct timeline *t, uint64_t now, const struct stats *s)
{
	for (int w = 0; w < t->win.n_win; w++) {
		struct window *win = &t->win.win[w];

		if (!win->open || win->closed)
			continue;
		for (int m = 0; m < M__COUNT; m++)
			hist_merge(win->lat[m], t->ival[m]);
		if (s->up_now < win->up_min)
			win->up_min = s->up_now;
		if (s->up_now > win->peak)
			win->peak = s->up_now;
	}
	/*
	 * The whole run's up_min: intervals that began at or after the last
	 * arrival (one cut just after it would catch the last phones still on
	 * their way up), and the one closed at "end" whatever its start, so
	 * that a run too short for a whole interval after its ramp has one.
	 */
	if (!t->ended && now >= t->t_ramp_end &&
	    (t->ival_start >= t->t_ramp_end || t->win.at_end) &&
	    s->up_now < t->win.up_min_after_ramp)
		t->win.up_min_after_ramp = s->up_now;
}

void timeline_windows_step(struct timeline *t, const struct stats *s)
{
	for (int w = 0; w < t->win.n_win; w++) {
		struct window *win = &t->win.win[w];

		if (!win->open && timeline_point_passed(t, win->from)) {
			win->open = true;
			win->at_open = *s;
			win->up_min = s->up_now;
			win->peak = s->up_now;
		}
		if (win->open && !win->closed && timeline_point_passed(t, win->to)) {
			win->closed = true;
			stats_delta(&win->st, s, &win->at_open);
		}
	}
}

void timeline_windows_judge(struct timeline *t, const struct stats *final,
			    const struct run_result *res)
{
	const struct timeline_spec *sp = t->spec;

	t->win.n_ex = t->win.n_failed = 0;
	for (int i = 0; i < sp->n_ex; i++) {
		const struct expect *e = &sp->ex[i];
		struct expect_result *r = &t->win.ex[t->win.n_ex++];
		struct expect_view v = {.configured = t->cfg->count};

		snprintf(r->name, sizeof(r->name), "%s", e->text);
		if (!e->from[0]) {
			v.st = final;
			v.lat = res->lat;
			v.up_min =
			    t->win.up_min_after_ramp == UINT64_MAX ? 0 : t->win.up_min_after_ramp;
			v.peak = t->peak;
			r->ok = expect_judge(e, &v, r->detail, sizeof(r->detail));
		} else {
			const struct window *w = NULL;

			for (int k = 0; k < t->win.n_win; k++)
				if (!strcmp(t->win.win[k].from, e->from) &&
				    !strcmp(t->win.win[k].to, e->to))
					w = &t->win.win[k];
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
		t->win.n_failed += !r->ok;
	}
	/* every event must have been carried out: an implicit expectation each */
	for (int i = 0; i < sp->n_ev; i++) {
		struct expect_result *r = &t->win.ex[t->win.n_ex++];
		const struct run_event *re = NULL;

		for (int k = 0; k < t->ev.n_fired; k++)
			if (!strcmp(t->ev.ev[k].name, sp->ev[i].name))
				re = &t->ev.ev[k];
		snprintf(r->name, sizeof(r->name), "event %s carried out", sp->ev[i].name);
		r->ok = re && re->ok;
		snprintf(r->detail, sizeof(r->detail), "%s", re ? re->detail : "never fired");
		t->win.n_failed += !r->ok;
	}
	/* phones that failed for this machine's own shortage: the headend was not measured */
	char why[200];

	if (report_invalid_because(final, why, sizeof(why))) {
		struct expect_result *r = &t->win.ex[t->win.n_ex++];

		snprintf(r->name, sizeof(r->name), "the headend was measured, not this machine");
		r->ok = false;
		snprintf(r->detail, sizeof(r->detail), "%s", why);
		t->win.n_failed++;
	}
	/* a run stopped early did not measure what it set out to */
	if (t->stopped[0]) {
		struct expect_result *r = &t->win.ex[t->win.n_ex++];

		snprintf(r->name, sizeof(r->name), "run completed its duration");
		r->ok = false;
		snprintf(r->detail, sizeof(r->detail), "stopped early: %s", t->stopped);
		t->win.n_failed++;
	}
}
