/*
 * engine/trust/trust.h - the phones' trust lists, each distinct one kept once.
 *
 * A phone trusts the headend certificates whose SHA-1 is in its list (the
 * certHash1..10 of its SEP<MAC>.cnf.xml). A list is an immutable set; a
 * table holds every distinct set once and phones point at it, so ten
 * thousand phones with the same list cost one pointer each. A set lives as
 * long as its table. Order and repetition do not matter: {A, B}, {B, A}
 * and {A, B, A} are one set. A table belongs to one thread (a worker's).
 */
#ifndef ENGINE_TRUST_H
#define ENGINE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRUST_MAX 10 /* hashes in one list: certHash1..certHash10 */

struct trust_set {
	uint32_t hash; /* of the contents, for the table */
	int n;         /* distinct hashes, 0..TRUST_MAX; 0 trusts nothing */
	uint8_t sha1[][20]; /* sorted */
};

struct trust_table; /* opaque */

struct trust_table *trust_table_new(void);
/* Free the table and every set in it. */
void trust_table_free(struct trust_table *t);
/*
 * The set of sha1[0..n) in table t: the one already there, or a new one.
 * NULL if n is outside 0..TRUST_MAX or memory runs out. Borrowed from t.
 */
const struct trust_set *trust_intern(struct trust_table *t, const uint8_t (*sha1)[20], int n);
/* Does set s hold h? (false for NULL s) */
bool trust_has(const struct trust_set *s, const uint8_t h[20]);
/* Distinct sets in t. */
size_t trust_table_count(const struct trust_table *t);

#endif
