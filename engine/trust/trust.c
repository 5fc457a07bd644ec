/*
 * engine/trust/trust.c - interned trust lists (trust.h).
 *
 * The table is an open-addressing hash of set pointers, grown at half
 * full. Sets are normalised (sorted, duplicates dropped) before they are
 * looked up, so equal lists meet whatever order they were written in.
 */
#include "engine/trust/trust.h"

#include <stdlib.h>
#include <string.h>

#include "engine/trust/certhash.h"

struct trust_table {
	struct trust_set **slot; /* owned, each set owned; NULL = empty */
	size_t cap;              /* slots, a power of two */
	size_t count;            /* sets */
};

struct trust_table *trust_table_new(void)
{
	struct trust_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cap = 16;
	t->slot = calloc(t->cap, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return NULL;
	}
	return t;
}

void trust_table_free(struct trust_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	free(t);
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* FNV-1a over the count and the sorted hashes. */
static uint32_t contents_hash(const uint8_t (*h)[20], int n)
{
	uint32_t x = 2166136261u ^ (uint32_t)n;

	x *= 16777619u;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 20; k++) {
			x ^= h[i][k];
			x *= 16777619u;
		}
	return x;
}

static int grow(struct trust_table *t)
{
	size_t cap = t->cap * 2;
	struct trust_set **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		struct trust_set *s = t->slot[i];
		size_t k;

		if (!s)
			continue;
		for (k = s->hash & (cap - 1); slot[k]; k = (k + 1) & (cap - 1))
			;
		slot[k] = s;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

const struct trust_set *trust_intern(struct trust_table *t, const uint8_t (*sha1)[20], int n)
{
	uint8_t h[TRUST_MAX][20];
	int m = 0;
	size_t k;

	if (n < 0 || n > TRUST_MAX)
		return NULL;
	if (n)
		memcpy(h, sha1, (size_t)n * 20);
	qsort(h, (size_t)n, 20, cmp_hash);
	for (int i = 0; i < n; i++)
		if (!m || memcmp(h[m - 1], h[i], 20))
			memcpy(h[m++], h[i], 20);

	uint32_t hash = contents_hash((const uint8_t(*)[20])h, m);

	for (k = hash & (t->cap - 1); t->slot[k]; k = (k + 1) & (t->cap - 1)) {
		const struct trust_set *s = t->slot[k];

		if (s->hash == hash && s->n == m && !memcmp(s->sha1, h, (size_t)m * 20))
			return s;
	}
	if ((t->count + 1) * 2 > t->cap) {
		if (grow(t))
			return NULL;
		for (k = hash & (t->cap - 1); t->slot[k]; k = (k + 1) & (t->cap - 1))
			;
	}
	struct trust_set *s = malloc(sizeof(*s) + (size_t)m * 20);

	if (!s)
		return NULL;
	s->hash = hash;
	s->n = m;
	memcpy(s->sha1, h, (size_t)m * 20);
	t->slot[k] = s;
	t->count++;
	return s;
}

bool trust_has(const struct trust_set *s, const uint8_t h[20])
{
	return s && certhash_in_list(h, (const uint8_t(*)[20])s->sha1, s->n);
}

size_t trust_table_count(const struct trust_table *t)
{
	return t->count;
}
