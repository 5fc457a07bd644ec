/*
 * loadgen/scenario.h - a scenario file and its -s overrides into a config.
 *
 * A scenario is an INI file of [section] and key = value lines; the keys
 * and the syntax of their values are listed in scenarios/README.md. Every
 * error is one line naming where it was found and the key:
 *	scenarios/demo.ini:12: phones.count: "12x" is not a whole number
 *	scenarios/demo.ini:3: [phone]: unknown section
 *	-s ramp.speed=3: ramp.speed: unknown key
 *	scenarios/demo.ini: phones.count: required key missing
 */
#ifndef LOADGEN_SCENARIO_H
#define LOADGEN_SCENARIO_H

#include <stddef.h>

#include "engine/config.h"

/*
 * Fill cfg from config_defaults(), then the scenario file at path, then
 * the overrides ("section.key=value" strings, as given to -s, applied in
 * order so that the last one wins), then check what needs them all: the
 * required keys, the URLs of headend.cnf, that every phone finds the CA
 * of its chain and that the CA files load. A key given twice in the file
 * is an error; an override may repeat a key of the file or of an earlier
 * override.
 *
 * Returns 0 with cfg owning its strings and arrays (release them with
 * config_free()), or -1 with a one-line message, without a trailing
 * newline, in err (errlen bytes, truncated to fit) and nothing left to free
 * in cfg. The caller turns -1 into exit status 2.
 */
int scenario_load(const char *path, const char *const *overrides, int n_overrides,
		  struct swarm_config *cfg, char *err, size_t errlen);

/*
 * The same, keeping the timeline: [event.NAME] sections and [expect] lines
 * (loadgen/event.h) go into tl, which the caller provides zeroed. The
 * timeline is checked too: events whole, anchors and windows naming events.
 */
struct timeline_spec;
int scenario_load_run(const char *path, const char *const *overrides, int n_overrides,
		      struct swarm_config *cfg, struct timeline_spec *tl, char *err,
		      size_t errlen);

#endif
