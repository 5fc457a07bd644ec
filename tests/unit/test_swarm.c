/*
 * tests/unit/test_swarm.c - starting and stopping the worker threads (engine/swarm).
 *
 * This program is linked with -Wl,--wrap=pthread_create (Makefile,
 * LDFLAGS_test_swarm), so a test can make the Nth thread creation fail as a
 * machine out of threads would. Checked: swarm_start then returns a clear
 * error, with every worker it had started told to stop and ended (no thread
 * of the process is left, and it returns at all: it once waited forever for
 * the threads it never made); a normal start runs and stops. The phones are
 * told to stop before any is due, so nothing goes on the network.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/config.h"
#include "engine/stats/clock.h"
#include "engine/swarm/swarm.h"

/* ==== pthread_create, failing on demand ==== */

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

static int fail_at;   /* the creation (1, 2, ...) that fails with EAGAIN; 0: none */
static int creations; /* creations asked for since the test reset it */

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (++creations == fail_at)
		return EAGAIN;
	return __real_pthread_create(t, a, fn, arg);
}

/* Threads of this process, from /proc/self/task. */
static int threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ==== A swarm that goes nowhere ==== */

static struct swarm_config cfg;

static struct swarm *swarm_of(int threads)
{
	char err[256] = "";
	struct swarm *sw;

	config_defaults(&cfg);
	cfg.url = strdup("https://127.0.0.1:9/");
	cfg.auth = AUTH_PASSWORD; /* no identities to mint */
	cfg.user_pattern = strdup("u%i");
	cfg.password_pattern = strdup("p");
	cfg.count = 8;
	cfg.threads = threads;
	cfg.rate = 0.01; /* phone i due at 100 s x i: stopped long before */
	sw = swarm_new(&cfg, err, sizeof(err));
	if (!sw)
		fail_msg("swarm_new: %s", err);
	return sw;
}

struct start {
	struct swarm *sw;
	int r;
	char err[256];
	int done; /* atomic */
};

static void *start_it(void *arg)
{
	struct start *s = arg;

	s->r = swarm_start(s->sw, s->err, sizeof(s->err));
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* swarm_start in a thread of its own, so that a hang is a failure, not a stuck test. */
static void start_within(struct start *s, uint64_t limit_us)
{
	pthread_t th;
	uint64_t deadline;

	assert_int_equal(__real_pthread_create(&th, NULL, start_it, s), 0);
	deadline = clock_us() + limit_us;
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		if (clock_us() > deadline)
			fail_msg("swarm_start did not return within %.0f s", (double)limit_us / 1e6);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	pthread_join(th, NULL);
}

/* The 3rd of 4 worker threads cannot be made: an error, and the first two are ended. */
static void test_thread_creation_fails(void **state)
{
	struct start s = {0};
	int before = threads_now();

	(void)state;
	s.sw = swarm_of(4);
	creations = 0;
	fail_at = 3;
	start_within(&s, 10000000);
	fail_at = 0;
	assert_int_equal(creations, 3);
	assert_int_equal(s.r, -EAGAIN);
	if (!strstr(s.err, "pthread_create") || !strstr(s.err, strerror(EAGAIN)))
		fail_msg("error \"%s\": expected pthread_create and \"%s\"", s.err, strerror(EAGAIN));
	/* the two workers that started have ended: only the threads there before remain */
	if (threads_now() != before)
		fail_msg("%d threads left running after the failed start (a swarm_wait would "
			 "wait for them forever)",
			 threads_now() - before);
	/* what a caller does after a failed start (loadgen/run.c) must neither hang nor fail */
	char err[256] = "";
	assert_int_equal(swarm_wait(s.sw, err, sizeof(err)), 0);
	assert_true(swarm_done(s.sw));
	swarm_free(s.sw);
	config_free(&cfg);
}

/* The very first creation fails: nothing was started, the error is the same. */
static void test_first_thread_fails(void **state)
{
	struct start s = {0};
	int before = threads_now();

	(void)state;
	s.sw = swarm_of(2);
	creations = 0;
	fail_at = 1;
	start_within(&s, 10000000);
	fail_at = 0;
	assert_int_equal(s.r, -EAGAIN);
	assert_non_null(strstr(s.err, "pthread_create"));
	assert_int_equal(threads_now(), before);
	swarm_free(s.sw);
	config_free(&cfg);
}

/* All threads made: the swarm starts, stops when asked, and its threads end. */
static void test_start_and_stop(void **state)
{
	struct start s = {0};
	int before = threads_now();
	char err[256] = "";

	(void)state;
	s.sw = swarm_of(3);
	creations = 0;
	start_within(&s, 10000000);
	if (s.r)
		fail_msg("swarm_start: %s", s.err);
	assert_int_equal(creations, 3);
	swarm_request_stop(s.sw);
	assert_int_equal(swarm_wait(s.sw, err, sizeof(err)), 0);
	assert_true(swarm_done(s.sw));
	assert_int_equal(threads_now(), before);
	swarm_free(s.sw);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thread_creation_fails),
	    cmocka_unit_test(test_first_thread_fails),
	    cmocka_unit_test(test_start_and_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
