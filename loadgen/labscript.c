/*
 * loadgen/labscript.c - where the lab script is (labscript.h).
 *
 * Looked up from the running binary (/proc/self/exe), so that neither an
 * installed phoneswarm nor one in its build tree needs a setting. The
 * compiled-in directory is the last resort, for a binary that was copied
 * away from both.
 */
#include "loadgen/labscript.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildinfo.h" /* PHONESWARM_LIBEXECDIR: where make install puts the lab */
#include "loadgen/event.h"

/* out = dir/rel (without its ".."s) if that file is executable; true when it is. */
static bool try_path(char *out, size_t len, const char *dir, const char *rel)
{
	char path[PATH_MAX], real[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);

	if (n <= 0 || (size_t)n >= sizeof(path) || access(path, X_OK) != 0)
		return false;
	snprintf(out, len, "%s", realpath(path, real) ? real : path);
	return true;
}

void labscript_path(char *out, size_t len)
{
	const char *env = getenv("PHONESWARM_LAB");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/phoneswarm in the source tree; bin/phoneswarm installed */
			if (try_path(out, len, exe, "../scripts/lab") ||
			    try_path(out, len, exe, "../libexec/phoneswarm/lab"))
				return;
		}
	}
	if (try_path(out, len, PHONESWARM_LIBEXECDIR, "lab"))
		return;
	snprintf(out, len, "scripts/lab");
}

int labscript_check(const struct timeline_spec *tl, char *err, size_t len)
{
	char lab[PATH_MAX];

	for (int i = 0; i < tl->n_ev; i++) {
		const struct event_spec *e = &tl->ev[i];

		if (e->action != EV_LAB)
			continue;
		if (geteuid() != 0) {
			snprintf(err, len,
				 "event.%s: action lab runs the lab script, which needs root: run "
				 "phoneswarm as root, or make it an exec event running your own command",
				 e->name);
			return -1;
		}
		labscript_path(lab, sizeof(lab));
		if (access(lab, X_OK)) {
			snprintf(err, len,
				 "event.%s: action lab runs the lab script, and there is none here (%s): "
				 "install phoneswarm whole, set PHONESWARM_LAB, or make it an exec event",
				 e->name, lab);
			return -1;
		}
	}
	return 0;
}
