/*
 * tests/unit/test_recorder.c - interval histograms swapped without a lock on
 * the recording side (engine/stats/recorder.h).
 *
 * Checked: a value recorded before a swap is in the set the swap returns, one
 * recorded after it in the new set; a swap waits for a stretch of recording
 * under way (it cannot return while the writer may still write into the old
 * set); and, with a recording thread and a swapping thread running flat out,
 * every value is counted exactly once: the sets taken add up to what was
 * recorded, value by value.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/stats/clock.h"
#include "engine/stats/hist.h"
#include "engine/stats/recorder.h"

static void test_before_and_after_a_swap(void **state)
{
	struct hist_set *a = hist_set_new(), *b = hist_set_new();
	struct recorder r;
	int64_t t;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	recorder_init(&r, a);
	struct hist_set *s = recorder_enter(&r, &t);
	assert_ptr_equal(s, a);
	hist_record(s->h[M_AUTH], 100);
	recorder_leave(&r, t);

	assert_ptr_equal(recorder_swap(&r, b), a);
	s = recorder_enter(&r, &t);
	assert_ptr_equal(s, b);
	hist_record(s->h[M_AUTH], 200);
	recorder_leave(&r, t);
	assert_int_equal(hist_count(a->h[M_AUTH]), 1);
	assert_int_equal(hist_max(a->h[M_AUTH]), 100);

	/* and back: an odd phase, then an even one again */
	assert_ptr_equal(recorder_swap(&r, a), b);
	assert_int_equal(hist_count(b->h[M_AUTH]), 1);
	assert_int_equal(hist_max(b->h[M_AUTH]), 200);
	assert_ptr_equal(recorder_fini(&r), a);
	hist_set_free(a);
	hist_set_free(b);
}

struct taker {
	struct recorder *r;
	struct hist_set *give, *got;
	int done; /* atomic */
};

static void *take_once(void *arg)
{
	struct taker *k = arg;

	k->got = recorder_swap(k->r, k->give);
	__atomic_store_n(&k->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A swap begun while a stretch is under way returns only once it has ended. */
static void test_swap_waits_for_the_stretch(void **state)
{
	struct hist_set *a = hist_set_new(), *b = hist_set_new();
	struct recorder r;
	struct taker k = {.r = &r, .give = b};
	pthread_t th;
	int64_t t;

	(void)state;
	recorder_init(&r, a);
	struct hist_set *s = recorder_enter(&r, &t);
	assert_int_equal(pthread_create(&th, NULL, take_once, &k), 0);
	/* the taker has installed b once a new stretch sees it */
	uint64_t deadline = clock_us() + 5000000;
	for (;;) {
		int64_t t2;
		struct hist_set *seen = recorder_enter(&r, &t2);

		recorder_leave(&r, t2);
		if (seen == b)
			break;
		if (clock_us() > deadline)
			fail_msg("the taker did not install the new set within 5 s");
		sched_yield();
	}
	/* the old stretch still writes into a: the taker must still be waiting */
	for (int i = 0; i < 1000; i++) {
		hist_record(s->h[M_DPD_RTT], 7);
		sched_yield();
	}
	if (__atomic_load_n(&k.done, __ATOMIC_ACQUIRE))
		fail_msg("recorder_swap returned while a stretch begun before it was under way");
	recorder_leave(&r, t);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_ptr_equal(k.got, a);
	assert_int_equal(hist_count(a->h[M_DPD_RTT]), 1000);
	recorder_fini(&r);
	hist_set_free(a);
	hist_set_free(b);
}

#define PER_PASS 1000u
#define SWAPS_WITH_VALUES 50u /* the taker stops the writer after this many */

struct writer {
	struct recorder *r;
	struct hist_set *ref; /* owned by the test: the same values, recorded privately */
	uint64_t n;           /* values recorded */
	int stop;             /* atomic: set by the taker */
	int done;             /* atomic */
};

static void *write_until_stopped(void *arg)
{
	struct writer *w = arg;

	for (uint32_t i = 0; !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE); i++) {
		int64_t t;
		struct hist_set *s = recorder_enter(w->r, &t);

		for (uint32_t j = 0; j < PER_PASS; j++) {
			/* spread over metrics and slots; exact below 2048 */
			uint64_t v = (uint64_t)((i * PER_PASS + j) % 2000u);
			int m = (int)((i + j) % M__COUNT);

			hist_record(s->h[m], v);
			hist_record(w->ref->h[m], v);
			w->n++;
		}
		recorder_leave(w->r, t);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A recording thread and a swapping thread at full speed: every value counted once. */
static void test_concurrent_exactly_once(void **state)
{
	struct hist_set *a = hist_set_new(), *spare = hist_set_new(), *total = hist_set_new();
	struct recorder r;
	struct writer w = {.r = &r, .ref = hist_set_new()};
	pthread_t th;
	unsigned swaps = 0, nonempty = 0;

	(void)state;
	recorder_init(&r, a);
	assert_int_equal(pthread_create(&th, NULL, write_until_stopped, &w), 0);
	for (;;) {
		bool last = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
		struct hist_set *full = recorder_swap(&r, spare);
		uint64_t n = 0;

		swaps++;
		for (int m = 0; m < M__COUNT; m++) {
			n += hist_count(full->h[m]);
			hist_merge(total->h[m], full->h[m]);
			hist_reset(full->h[m]);
		}
		spare = full;
		if (last)
			break; /* the writer had finished before this swap: nothing is left */
		if (n && ++nonempty == SWAPS_WITH_VALUES)
			__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	}
	assert_int_equal(pthread_join(th, NULL), 0);

	uint64_t count = 0;
	for (int m = 0; m < M__COUNT; m++)
		count += hist_count(total->h[m]);
	if (count != w.n)
		fail_msg("%llu values taken over %u swaps, %llu recorded", (unsigned long long)count,
			 swaps, (unsigned long long)w.n);
	/* metric by metric: count, sum (the mean), median and max of what was recorded */
	for (int m = 0; m < M__COUNT; m++) {
		const struct hist *got = total->h[m], *want = w.ref->h[m];

		assert_int_equal(hist_count(got), hist_count(want));
		assert_true(hist_mean(got) == hist_mean(want));
		assert_int_equal(hist_percentile(got, 50), hist_percentile(want, 50));
		assert_int_equal(hist_max(got), hist_max(want));
	}
	print_message("%llu values, %u swaps, %u of them with values\n", (unsigned long long)w.n,
		      swaps, nonempty);
	hist_set_free(recorder_fini(&r));
	hist_set_free(spare);
	hist_set_free(total);
	hist_set_free(w.ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_before_and_after_a_swap),
	    cmocka_unit_test(test_swap_waits_for_the_stretch),
	    cmocka_unit_test(test_concurrent_exactly_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
