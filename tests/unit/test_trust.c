/*
 * tests/unit/test_trust.c - interned trust lists (engine/trust/trust.c): equal
 * lists are one set whatever their order or repetitions, different lists
 * are different sets, membership is exact, and a table of many sets keeps
 * them all findable as it grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/trust/trust.h"

static void fill(uint8_t h[20], unsigned v)
{
	memset(h, 0, 20);
	h[0] = (uint8_t)(v >> 8);
	h[19] = (uint8_t)v;
}

static void test_same_list_same_set(void **state)
{
	struct trust_table *t = trust_table_new();
	uint8_t ab[2][20], ba[2][20], aba[3][20];
	const struct trust_set *s1, *s2, *s3;

	(void)state;
	assert_non_null(t);
	fill(ab[0], 1), fill(ab[1], 2);
	fill(ba[0], 2), fill(ba[1], 1);
	fill(aba[0], 1), fill(aba[1], 2), fill(aba[2], 1);
	s1 = trust_intern(t, (const uint8_t(*)[20])ab, 2);
	s2 = trust_intern(t, (const uint8_t(*)[20])ba, 2);
	s3 = trust_intern(t, (const uint8_t(*)[20])aba, 3);
	assert_non_null(s1);
	assert_ptr_equal(s1, s2);
	assert_ptr_equal(s1, s3);
	assert_int_equal(s1->n, 2);
	assert_int_equal(trust_table_count(t), 1);
	trust_table_free(t);
}

static void test_membership(void **state)
{
	struct trust_table *t = trust_table_new();
	uint8_t l[3][20], x[20];
	const struct trust_set *s, *empty, *one;

	(void)state;
	fill(l[0], 7), fill(l[1], 300), fill(l[2], 9);
	s = trust_intern(t, (const uint8_t(*)[20])l, 3);
	one = trust_intern(t, (const uint8_t(*)[20])l, 1);
	empty = trust_intern(t, NULL, 0);
	assert_non_null(empty);
	assert_int_equal(empty->n, 0);
	assert_true(s != one && s != empty && one != empty);
	assert_int_equal(trust_table_count(t), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(trust_has(s, l[i]));
		assert_false(trust_has(empty, l[i]));
	}
	assert_true(trust_has(one, l[0]));
	assert_false(trust_has(one, l[1]));
	fill(x, 8);
	assert_false(trust_has(s, x));
	x[0] = 0, x[19] = 7, x[10] = 1; /* differs from l[0] in the middle only */
	assert_false(trust_has(s, x));
	assert_false(trust_has(NULL, l[0]));
	trust_table_free(t);
}

static void test_bounds(void **state)
{
	struct trust_table *t = trust_table_new();
	uint8_t l[11][20];

	(void)state;
	for (int i = 0; i < 11; i++)
		fill(l[i], (unsigned)i);
	assert_null(trust_intern(t, (const uint8_t(*)[20])l, 11));
	assert_null(trust_intern(t, (const uint8_t(*)[20])l, -1));
	assert_non_null(trust_intern(t, (const uint8_t(*)[20])l, 10));
	trust_table_free(t);
}

/* 1,000 distinct pairs: the table grows, and every set is found again, the same pointer. */
static void test_many_sets(void **state)
{
	enum { N = 1000 };
	struct trust_table *t = trust_table_new();
	static const struct trust_set *sets[N];
	uint8_t l[2][20];

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		fill(l[0], i), fill(l[1], i + 5000);
		sets[i] = trust_intern(t, (const uint8_t(*)[20])l, 2);
		assert_non_null(sets[i]);
	}
	assert_int_equal(trust_table_count(t), N);
	for (unsigned i = 0; i < N; i++) {
		fill(l[1], i), fill(l[0], i + 5000);
		assert_ptr_equal(trust_intern(t, (const uint8_t(*)[20])l, 2), sets[i]);
		assert_true(trust_has(sets[i], l[0]));
	}
	assert_int_equal(trust_table_count(t), N);
	trust_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_list_same_set),
		cmocka_unit_test(test_membership),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_many_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
