/*
 * loadgen/scenario.h - a scenario file and its -s overrides into a config.
 *
 * A scenario is an INI file of [section] and key = value lines; the keys
 * and the syntax of their values are in docs/scenario.md. Every error
 * found is one line naming where it was found and the key:
 *	scenarios/demo.ini:12: phones.count: "12x" is not a whole number
 *	scenarios/demo.ini:3: [phone]: unknown section
 *	-s ramp.speed=3: ramp.speed: unknown key
 *	scenarios/demo.ini: phones.count: required key missing
 */
#ifndef LOADGEN_SCENARIO_H
#define LOADGEN_SCENARIO_H

#include <stddef.h>
#include <stdio.h>

#include "engine/config.h"
#include "report/report.h"

/*
 * Fill cfg from config_defaults(), then the scenario file at path with the
 * overrides ("section.key=value" strings, as given to -s, in order so that
 * the last one wins) in place of the file's values, then check what needs
 * them all: the required keys, the URLs of headend.cnf, that every phone
 * finds the CA of its chain and that the CA files load. An overridden
 * value of the file is never looked at (a path that does not exist here
 * can be replaced). A key given twice in the file is an error; an
 * override may repeat a key of the file or of an earlier override.
 *
 * Returns 0 with cfg owning its strings and arrays (release them with
 * config_free()), or -1 with every error found, one per line ("WHERE:
 * WHAT", lines separated by '\n', no trailing newline), in err (errlen
 * bytes, cut to fit) and nothing left to free in cfg. The caller turns -1
 * into exit status 2.
 */
/* Bytes of err that hold the errors of any scenario a person would write. */
#define SCENARIO_ERRORS_MAX 16384

int scenario_load(const char *path, const char *const *overrides, int n_overrides,
		  struct swarm_config *cfg, char *err, size_t errlen);

/* The errors of a load (err as above), each line on f after prefix ("phoneswarm: "). */
void scenario_print_errors(FILE *f, const char *prefix, const char *err);

/*
 * The keys a run takes, as text: each key given (its final value), or the
 * default of a key not given; each event's keys; each [expect] line (key
 * NULL). The order is a scenario file's: section by section. Owned, with
 * their strings; release with scenario_settings_free().
 */
struct scenario_settings {
	struct run_setting *v;
	int n;
};

void scenario_settings_free(struct scenario_settings *s);

/*
 * The same as scenario_load(), keeping the timeline: [event.NAME] sections
 * and [expect] lines (loadgen/event.h) go into tl, which the caller
 * provides zeroed; the timeline is checked too (events whole, anchors and
 * windows naming events). settings, when not NULL, gets what the run takes
 * as text (on success only).
 */
struct timeline_spec;
int scenario_load_run(const char *path, const char *const *overrides, int n_overrides,
		      struct swarm_config *cfg, struct timeline_spec *tl,
		      struct scenario_settings *settings, char *err, size_t errlen);

#endif
