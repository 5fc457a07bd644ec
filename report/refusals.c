/*
 * report/refusals.c - the commonest refusals of a run (refusals.h).
 *
 * A linear table: 32 lines, looked up by reason and detail on each record.
 * The main thread drains records in batches of up to 1024 between ticks of
 * 100 ms, so even a storm of refusals costs a few string compares each.
 */
#include "report/refusals.h"

#include <stdio.h>
#include <string.h>

#include "report/capacity.h"

void refusals_init(struct refusals *t)
{
	t->n = 0;
	t->total = 0;
	t->other = 0;
}

/* The line of (reason, detail), a new one if there is room; NULL when full. */
static struct refusal_line *line_of(struct refusals *t, uint8_t reason, uint8_t phase,
				    const char *detail, uint16_t said_at, uint16_t said_len)
{
	struct refusal_line *l;

	for (int i = 0; i < t->n; i++) {
		l = &t->line[i];
		if (l->reason == reason && !strcmp(l->detail, detail))
			return l;
	}
	if (t->n == REFUSALS_MAX)
		return NULL;
	l = &t->line[t->n++];
	l->reason = reason;
	l->phase = phase;
	l->said_at = said_at;
	l->said_len = said_len;
	l->count = 0;
	snprintf(l->detail, sizeof(l->detail), "%s", detail);
	return l;
}

bool refusals_add(struct refusals *t, const struct failure_rec *r)
{
	char detail[sizeof(r->detail)];
	struct refusal_line *l;

	if (!capacity_refusal((enum reason)r->reason) && !r->said_len)
		return false;
	memcpy(detail, r->detail, sizeof(detail));
	detail[sizeof(detail) - 1] = '\0';
	t->total++;
	l = line_of(t, r->reason, r->phase, detail, r->said_at, r->said_len);
	if (l)
		l->count++;
	else
		t->other++;
	return true;
}

void refusals_add_line(struct refusals *t, enum reason r, enum fail_phase ph, uint64_t n,
		       const char *detail, const char *said)
{
	const char *at = said && *said ? strstr(detail, said) : NULL;
	size_t len = at ? strlen(said) : 0;
	struct refusal_line *l;

	t->total += n;
	l = line_of(t, (uint8_t)r, (uint8_t)ph, detail, at ? (uint16_t)(at - detail) : 0,
		    (uint16_t)len);
	if (l)
		l->count += n;
	else
		t->other += n;
}

int refusals_top(const struct refusals *t, const struct refusal_line **out, int max)
{
	int n = 0;

	/* selection by count; a stable order for equal counts (first seen first) */
	for (int k = 0; k < max && k < t->n; k++) {
		const struct refusal_line *best = NULL;

		for (int i = 0; i < t->n; i++) {
			const struct refusal_line *l = &t->line[i];
			bool taken = false;

			for (int j = 0; j < n; j++)
				taken |= out[j] == l;
			if (!taken && (!best || l->count > best->count))
				best = l;
		}
		out[n++] = best;
	}
	return n;
}

size_t refusals_words(const struct refusals *t, enum reason r, char *out, size_t cap)
{
	const struct refusal_line *best = NULL;
	size_t at, end;

	if (!cap)
		return 0;
	out[0] = '\0';
	for (int i = 0; i < t->n; i++) {
		const struct refusal_line *l = &t->line[i];

		if (l->reason == r && l->said_len && (!best || l->count > best->count))
			best = l;
	}
	if (!best)
		return 0;
	/* from where the source is named (": X-Reason \"") to the closing quote */
	at = best->said_at;
	end = at + best->said_len + 1;
	while (at > 1 && !(best->detail[at - 2] == ':' && best->detail[at - 1] == ' '))
		at--;
	if (end > strlen(best->detail))
		end = strlen(best->detail);
	if (end - at >= cap)
		end = at + cap - 1;
	memcpy(out, best->detail + at, end - at);
	out[end - at] = '\0';
	return end - at;
}
