/*
 * tests/unit/test_heap.c - engine/stats/heap: the allocator's count of bytes in use.
 *
 * Each test reads heap_in_use() on either side of an allocation of a known
 * size and checks the difference against that size: at least the bytes asked
 * for, at most those and the allocator's rounding (glibc: an 8-byte header,
 * rounded up to 16, or up to a page for a block it maps on its own). Freeing
 * brings the figure back to where it was. A block allocated by another thread
 * (in that thread's arena) counts as well: a figure that read only the main
 * arena would miss it (the thread's arena is made by a thread before it: an
 * arena's own bookkeeping, about 2.5 KiB in glibc, is in use for good, and a
 * thread that ends leaves its arena to the next). Failures print expected and got.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/stats/heap.h"

/* The growth in use from before to after, for n bytes asked for: n <= d <= n + slack. */
static void check_grew(uint64_t before, uint64_t after, size_t n, size_t slack)
{
	if (after < before + n || after > before + n + slack)
		fail_msg("in use grew by %lld bytes for %zu asked for (expected %zu..%zu)",
			 (long long)(after - before), n, n, n + slack);
}

/* A block within the arena: n bytes, a 16-byte-rounded chunk. */
static void test_arena_block(void **state)
{
	(void)state;
	size_t n = 100000; /* below glibc's mmap threshold (128 KiB) */
	uint64_t before = heap_in_use();
	char *p = malloc(n);

	assert_non_null(p);
	memset(p, 1, n);
	check_grew(before, heap_in_use(), n, 32);
	free(p);
	assert_int_equal(heap_in_use(), before);
}

/* A block the allocator maps on its own: n bytes, rounded up to a page. */
static void test_mapped_block(void **state)
{
	(void)state;
	size_t n = 8u << 20;
	uint64_t before = heap_in_use();
	char *p = malloc(n);

	assert_non_null(p);
	memset(p, 1, n);
	check_grew(before, heap_in_use(), n, (size_t)sysconf(_SC_PAGESIZE) + 32);
	free(p);
	assert_int_equal(heap_in_use(), before);
}

static void *alloc_elsewhere(void *arg)
{
	size_t n = *(size_t *)arg;
	char *p = malloc(n);

	if (p)
		memset(p, 1, n);
	return p;
}

/* A block another thread allocated and left: counted until it is freed. */
static void test_other_thread(void **state)
{
	(void)state;
	size_t n = 100000;
	uint64_t before;
	pthread_t th;
	void *p;

	assert_int_equal(pthread_create(&th, NULL, alloc_elsewhere, &n), 0);
	assert_int_equal(pthread_join(th, &p), 0);
	free(p);
	before = heap_in_use();
	assert_int_equal(pthread_create(&th, NULL, alloc_elsewhere, &n), 0);
	assert_int_equal(pthread_join(th, &p), 0);
	assert_non_null(p);
	check_grew(before, heap_in_use(), n, 32);
	free(p);
	assert_int_equal(heap_in_use(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arena_block),
	    cmocka_unit_test(test_mapped_block),
	    cmocka_unit_test(test_other_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
