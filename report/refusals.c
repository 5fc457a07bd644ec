/*
 * report/refusals.c - the commonest refusals of a run (refusals.h).
 *
 * A linear table: 32 lines, looked up by reason and detail on each record.
 * The main thread drains records in batches of up to 1024 between ticks of
 * 100 ms, so even a storm of refusals costs a few string compares each.
 */
#include "report/refusals.h"

#include <string.h>

#include "report/capacity.h"

void refusals_init(struct refusals *t)
{
	t->n = 0;
	t->total = 0;
	t->other = 0;
}

bool refusals_add(struct refusals *t, const struct failure_rec *r)
{
	struct refusal_line *l;

	if (!capacity_refusal((enum reason)r->reason) && !r->said_len)
		return false;
	t->total++;
	for (int i = 0; i < t->n; i++) {
		l = &t->line[i];
		if (l->reason == r->reason && !strcmp(l->detail, r->detail)) {
			l->count++;
			return true;
		}
	}
	if (t->n == REFUSALS_MAX) {
		t->other++;
		return true;
	}
	l = &t->line[t->n++];
	l->reason = r->reason;
	l->phase = r->phase;
	l->said_at = r->said_at;
	l->said_len = r->said_len;
	l->count = 1;
	memcpy(l->detail, r->detail, sizeof(l->detail));
	l->detail[sizeof(l->detail) - 1] = '\0';
	return true;
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
