/*
 * report/refusals.h - the commonest refusals of a run, in the words they came with.
 *
 * failures.csv has every failure; a capacity run that refused ten thousand
 * phones needs the few distinct ways it did so on one screen. Each failure
 * record that the main thread drains is counted under its reason and its
 * detail (which holds the headend's own words and never the phone's
 * identity), so "TunnelRefused: ... X-Reason \"...\"" from 9,000 phones is
 * one line with a count. Only refusals are counted: the reasons a headend
 * causes (capacity_refusal()) and any failure in which the headend said
 * something (a DISCONNECT's text, say). Fixed memory: the first
 * REFUSALS_MAX distinct lines are kept, later ones only counted.
 */
#ifndef REPORT_REFUSALS_H
#define REPORT_REFUSALS_H

#include <stdint.h>

#include "engine/phone/failure.h"

#define REFUSALS_MAX 32 /* distinct (reason, detail) lines kept */

struct refusal_line {
	uint8_t reason;		     /* enum reason */
	uint8_t phase;		     /* enum fail_phase of the first one */
	uint16_t said_at, said_len;  /* the headend's words in detail (failure_rec's) */
	uint64_t count;		     /* failures with this reason and detail */
	char detail[FAILURE_DETAIL]; /* as failures.csv has it */
};

struct refusals {
	int n;		/* lines used */
	uint64_t total; /* refusals counted */
	uint64_t other; /* of those, the ones whose line did not fit */
	struct refusal_line line[REFUSALS_MAX];
};

void refusals_init(struct refusals *t);
/* Count r if it is a refusal (see above); true if it was. */
bool refusals_add(struct refusals *t, const struct failure_rec *r);
/*
 * Counts n refusals of reason r as one line (phase ph, detail as
 * failures.csv has it, said the headend's words in it or NULL), adding to
 * the line of the same reason and detail: how merge sums the runs' lists.
 */
void refusals_add_line(struct refusals *t, enum reason r, enum fail_phase ph, uint64_t n,
		       const char *detail, const char *said);
/*
 * Up to max lines, commonest first (ties: the one seen first), as pointers
 * into t into out[]. Returns how many.
 */
int refusals_top(const struct refusals *t, const struct refusal_line **out, int max);
/*
 * The headend's words of the commonest line of reason r that has some,
 * into out[0..cap) with where they came from ("X-Reason \"...\"", as the
 * detail writes it); "" and 0 when no refusal of r had words.
 */
size_t refusals_words(const struct refusals *t, enum reason r, char *out, size_t cap);

#endif
