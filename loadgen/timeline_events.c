/*
 * loadgen/timeline_events.c - the scenario's events as the run goes
 * (timeline_internal.h).
 *
 * An event is due at its time from the first arrival, from the last
 * ("ramp_end"), or from another event's firing ("rotate + 10s"); once due,
 * it fires: phones are told through the swarm (reset, fetch, trust, dns,
 * cut, impair), a mark is only noted, and an exec or lab command runs as a
 * child process in its own process group, its output in DIR/events/NAME.log,
 * killed with its group when it outlives its timeout or the run. What
 * happened is kept for the report (struct tl_events).
 */
#include "loadgen/timeline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/stats/clock.h"
#include "engine/swarm/swarm.h"
#include "loadgen/labscript.h"

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

/* ==== Time points ==== */

uint64_t timeline_events_due(const struct timeline *t, int i)
{
	const struct event_spec *e = ev_spec(t, i);

	if (t->ev.fired[i] != NO_TIME)
		return NO_TIME;
	if (!e->anchor[0])
		return t->t0 + e->at_us;
	if (!strcmp(e->anchor, "ramp_end"))
		return t->t_ramp_end + e->at_us;
	int a = ev_index(t, e->anchor);
	return a >= 0 && t->ev.fired[a] != NO_TIME ? t->ev.fired[a] + e->at_us : NO_TIME;
}

bool timeline_point_passed(const struct timeline *t, const char *point)
{
	if (!strcmp(point, "start"))
		return true;
	if (!strcmp(point, "end"))
		return t->ended;
	int i = ev_index(t, point);
	return i >= 0 && t->ev.fired[i] != NO_TIME;
}

int timeline_events_next(const struct timeline *t, uint64_t *when)
{
	int best = -1;

	*when = NO_TIME;
	for (int i = 0; i < t->spec->n_ev; i++) {
		uint64_t d = timeline_events_due(t, i);

		if (d < *when) {
			*when = d;
			best = i;
		}
	}
	return best;
}

/* ==== Child processes ==== */

/*
 * Start event i's command: a shell runs it (a lab event: scripts/lab with
 * it as arguments) in a process group of its own, with the event's name,
 * the lab script and the run directory in its environment and its output
 * in DIR/events/NAME.log. 0, or -errno if it cannot be started.
 */
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
	t->ev.child[i].pid = pid;
	t->ev.child[i].started = clock_us();
	t->ev.child[i].deadline = t->ev.child[i].started + e->timeout_us;
	return 0;
}

/* Children that ended, or ran out of time (killed, with their group); all: every one. */
void timeline_events_reap(struct timeline *t, bool all)
{
	for (int i = 0; i < t->spec->n_ev; i++) {
		struct child *c = &t->ev.child[i];
		struct run_event *re = NULL;
		int status;

		if (!c->pid)
			continue;
		for (int k = 0; k < t->ev.n_fired; k++)
			if (!strcmp(t->ev.ev[k].name, ev_spec(t, i)->name))
				re = &t->ev.ev[k];
		pid_t r = waitpid(c->pid, &status, WNOHANG);
		uint64_t now = clock_us();

		if (r == 0 && (all || now >= c->deadline)) {
			kill(-c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			c->pid = 0;
			re->ok = false;
			snprintf(re->detail, sizeof(re->detail),
				 "%s after %.1f s: killed (see events/%s.log)",
				 all ? "still running at the end" : "timed out",
				 (double)(now - c->started) / 1e6, re->name);
			continue;
		}
		if (r != c->pid)
			continue;
		c->pid = 0;
		re->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (WIFEXITED(status))
			snprintf(re->detail, sizeof(re->detail),
				 "exit %d after %.1f s (events/%s.log)", WEXITSTATUS(status),
				 (double)(now - c->started) / 1e6, re->name);
		else
			snprintf(re->detail, sizeof(re->detail),
				 "killed by signal %d (events/%s.log)", WTERMSIG(status), re->name);
	}
}

/* ==== Firing ==== */

void timeline_events_fire(struct timeline *t, int i, uint64_t now)
{
	const struct event_spec *e = ev_spec(t, i);
	struct run_event *re = &t->ev.ev[t->ev.n_fired++];
	struct phone_command c = e->cmd;
	static const enum phone_action pa[EV__COUNT] = {
	    [EV_RESET] = PA_RESET, [EV_FETCH] = PA_FETCH, [EV_TRUST] = PA_TRUST,
	    [EV_DNS] = PA_DNS,	   [EV_CUT] = PA_CUT,	  [EV_IMPAIR] = PA_CUT,
	};

	t->ev.fired[i] = now;
	snprintf(re->name, sizeof(re->name), "%s", e->name);
	snprintf(re->action, sizeof(re->action), "%s", event_action_name(e->action));
	re->at_s = timeline_rel_s(t, now);
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
		snprintf(re->detail, sizeof(re->detail), "%s%s%s",
			 r ? "cannot start: " : "running: ",
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
			snprintf(re->detail, sizeof(re->detail),
				 "not carried out: too many commands "
				 "waiting");
		else if (e->action == EV_DNS)
			snprintf(re->detail, sizeof(re->detail), "every phone told");
		else
			snprintf(re->detail, sizeof(re->detail),
				 "phones told (%.0f%% of those in %s)", 100.0 * c.sel.fraction,
				 c.sel.n_ranges ? "the ranges given" : "the fleet");
		break;
	}
	if (!t->o.quiet)
		fprintf(stderr, "%sphoneswarm: [%7.1fs] event %s: %s %s\n",
			t->tty ? "\r\033[K" : "", re->at_s, e->name, event_action_name(e->action),
			re->detail);
}

void timeline_events_unfired(struct timeline *t)
{
	for (int i = 0; i < t->spec->n_ev; i++)
		if (t->ev.fired[i] == NO_TIME) {
			struct run_event *re = &t->ev.ev[t->ev.n_fired++];

			snprintf(re->name, sizeof(re->name), "%s", t->spec->ev[i].name);
			snprintf(re->action, sizeof(re->action), "%s",
				 event_action_name(t->spec->ev[i].action));
			re->at_s = -1;
			re->ok = false;
			snprintf(re->detail, sizeof(re->detail),
				 "never fired: the run ended first");
		}
}
