/*
 * tests/unit/test_bufcache.c - the per-thread cache of 2 KiB send buffers.
 *
 * What is checked: a buffer put back is the next one got (no allocation:
 * `reused` counts it, `allocated` does not move); the cache keeps at most
 * BUFCACHE_KEEP and frees the rest; a drain empties it; NULL is a harmless
 * put; every buffer is BUFCACHE_SIZE bytes writable (ASan would say
 * otherwise under make asan); and each thread has a cache of its own, which
 * its exit frees (LeakSanitizer, under make asan, would report it if not).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/bufcache.h"

static void test_reuse(void **state)
{
	struct bufcache_stats s0, s;
	uint8_t *a, *b;

	(void)state;
	bufcache_drain();
	s0 = bufcache_stats();
	a = bufcache_get();
	assert_non_null(a);
	memset(a, 0xa5, BUFCACHE_SIZE);
	s = bufcache_stats();
	assert_int_equal(s.allocated, s0.allocated + 1);
	assert_int_equal(s.kept, 0);
	bufcache_put(a);
	assert_int_equal(bufcache_stats().kept, 1);
	b = bufcache_get();
	assert_ptr_equal(b, a); /* the one put back, not a new one */
	s = bufcache_stats();
	assert_int_equal(s.allocated, s0.allocated + 1);
	assert_int_equal(s.reused, s0.reused + 1);
	assert_int_equal(s.kept, 0);
	bufcache_put(NULL);
	assert_int_equal(bufcache_stats().kept, 0);
	bufcache_put(b);
	bufcache_drain();
	assert_int_equal(bufcache_stats().kept, 0);
}

static void test_keeps_at_most(void **state)
{
	uint8_t *bufs[BUFCACHE_KEEP + 5];
	uint64_t allocated;

	(void)state;
	bufcache_drain();
	for (unsigned i = 0; i < BUFCACHE_KEEP + 5; i++)
		assert_non_null(bufs[i] = bufcache_get());
	for (unsigned i = 0; i < BUFCACHE_KEEP + 5; i++)
		bufcache_put(bufs[i]);
	assert_int_equal(bufcache_stats().kept, BUFCACHE_KEEP);
	/* the kept ones come back without allocating; the next allocates */
	allocated = bufcache_stats().allocated;
	for (unsigned i = 0; i < BUFCACHE_KEEP; i++)
		bufs[i] = bufcache_get();
	assert_int_equal(bufcache_stats().allocated, allocated);
	bufs[BUFCACHE_KEEP] = bufcache_get();
	assert_int_equal(bufcache_stats().allocated, allocated + 1);
	for (unsigned i = 0; i <= BUFCACHE_KEEP; i++)
		bufcache_put(bufs[i]);
	bufcache_drain();
}

static void *other_thread(void *arg)
{
	uint8_t *mine;

	(void)arg;
	/* a new thread starts with an empty cache of its own */
	if (bufcache_stats().kept != 0 || bufcache_stats().allocated != 0)
		return (void *)1;
	mine = bufcache_get();
	bufcache_put(mine);
	bufcache_put(bufcache_get()); /* the same one again */
	/* left kept: the thread's exit frees it */
	return bufcache_stats().kept == 1 && bufcache_stats().reused == 1 ? NULL : (void *)2;
}

static void test_per_thread(void **state)
{
	pthread_t th;
	void *rc = (void *)3;
	uint8_t *here;

	(void)state;
	bufcache_drain();
	here = bufcache_get();
	bufcache_put(here);
	assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(th, &rc), 0);
	assert_null(rc);
	assert_int_equal(bufcache_stats().kept, 1); /* the other thread took nothing of ours */
	assert_ptr_equal(bufcache_get(), here);
	bufcache_put(here);
	bufcache_drain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuse),
	    cmocka_unit_test(test_keeps_at_most),
	    cmocka_unit_test(test_per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
