/*
 * loadgen/event.h - a scenario's timeline: [event.NAME] sections and [expect].
 *
 *	[event.rotate]
 *	at = add-hash + 60s      ; or "90s" (after the first arrival), "ramp_end + 10s"
 *	action = lab
 *	command = rotate
 *
 * Actions: mark (only a stamp), reset, fetch, trust, dns, cut, impair (on
 * the phones, carried out by the engine, see engine/command.h), exec (a
 * shell command: drive a real headend with your own script) and lab (the
 * same, with scripts/lab ARGS). Each key, its values and which actions take
 * it are in scenarios/README.md. The loader (loadgen/scenario.c) hands every
 * key of an event section to event_set() and checks the whole with
 * event_check() once the file and the -s overrides are read.
 *
 * Where a key came from is an "origin", as the loader counts them: a line
 * of the scenario file (> 0), or -1 - i for the loader's -s override i;
 * 0 is nowhere (not given).
 */
#ifndef LOADGEN_EVENT_H
#define LOADGEN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/command.h"
#include "report/expect.h"

#define TIMELINE_MAX_EVENTS 32
#define TIMELINE_MAX_EXPECTS 64
#define EVENT_NAME_MAX 40
#define EVENT_KEYS	     12 /* at, action, fraction, ... timeout */

enum event_action {
	EV_MARK,
	EV_RESET,
	EV_FETCH,
	EV_TRUST,
	EV_DNS,
	EV_CUT,
	EV_IMPAIR,
	EV_EXEC,
	EV_LAB,
	EV__COUNT
};

struct event_spec {
	char name[EVENT_NAME_MAX];
	int line;		     /* of the first section header (0: made by -s) */
	int key_at[EVENT_KEYS];	     /* origin of each key (see above); 0: not given */
	char anchor[EVENT_NAME_MAX]; /* "" = the first arrival; "ramp_end"; or an event */
	uint64_t at_us;           /* after the anchor */
	bool has_at, has_action;
	enum event_action action;
	struct phone_command cmd; /* the phone-side actions */
	char command[512];        /* exec: shell command; lab: arguments of scripts/lab */
	uint64_t timeout_us;      /* exec, lab: killed after this long */
	unsigned keys;            /* bit k: key k of the event was given */
	unsigned refused;         /* bit k: key k was given a value event_set() refused */
};

struct timeline_spec {
	struct event_spec ev[TIMELINE_MAX_EVENTS];
	int n_ev;
	struct expect ex[TIMELINE_MAX_EXPECTS];
	int ex_line[TIMELINE_MAX_EXPECTS];
	int n_ex;
};

/*
 * Set key of the event called name (created when first seen, in file
 * order), found under the [event.NAME] header of line section_line (0 for
 * -s) and coming from origin. A key given twice in the file is refused; an
 * override replaces what the file or an earlier override gave. 0, or -1
 * with the reason (without "event.NAME.KEY: ") in why.
 */
int event_set(struct timeline_spec *tl, const char *name, const char *key, const char *value,
	      int section_line, int origin, char *why, size_t whylen);

/*
 * Check event i once all keys are in: action and at given, the keys fit
 * the action, its anchors name other events and do not go round in a
 * circle. A key whose value event_set() refused is not said to be missing
 * (and an event whose action was refused is not checked further). 0, or
 * -1 with "event.NAME...: reason" in why and in *origin where the fault
 * lies: the origin of the key at fault, or for a key missing the event's
 * section line (0 when -s made the event).
 */
int event_check(const struct timeline_spec *tl, int i, char *why, size_t whylen, int *origin);

const char *event_action_name(enum event_action a);
/* The event called name, or NULL. */
const struct event_spec *event_find(const struct timeline_spec *tl, const char *name);

#endif
