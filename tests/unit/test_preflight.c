/*
 * tests/unit/test_preflight.c - loadgen/preflight: what this machine allows
 * a run. The figures are worked out here from the rules (a few descriptors
 * a worker thread, a ring's table of 2 registered files a phone, ...) and
 * from the kernel's own answers (a bind, a ring, a table registered), so
 * that a check that always says "ok" fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "engine/config.h"
#include "loadgen/preflight.h"

static void fleet(struct swarm_config *cfg, uint32_t count, int threads)
{
	config_defaults(cfg);
	cfg->count = count;
	cfg->threads = threads;
}

static void test_fds_needed(void **state)
{
	struct swarm_config cfg;

	(void)state;
	fleet(&cfg, 1000, 2);
	assert_int_equal(preflight_threads(&cfg), 2);
	assert_int_equal(preflight_fds_needed(&cfg, false),
			 2000 + 2 * PREFLIGHT_FDS_THREAD + PREFLIGHT_FDS_RUN);
	/* as registered files, the phones' sockets are no descriptors */
	assert_int_equal(preflight_fds_needed(&cfg, true), 2 * PREFLIGHT_FDS_THREAD + PREFLIGHT_FDS_RUN);
	assert_int_equal(preflight_table_needed(&cfg), 1000); /* 500 phones a thread, 2 each */
	fleet(&cfg, 1001, 2); /* phones 0, 2, ... 1000 on the first thread: 501 */
	assert_int_equal(preflight_table_needed(&cfg), 1002);
	fleet(&cfg, 10000, 1);
	assert_int_equal(preflight_table_needed(&cfg), 20000);
	/* traffic.path = direct: one UDP socket a phone, no TCP */
	fleet(&cfg, 10000, 2);
	cfg.voice_direct = true;
	assert_int_equal(preflight_fds_needed(&cfg, false),
			 10000 + 2 * PREFLIGHT_FDS_THREAD + PREFLIGHT_FDS_RUN);
	fleet(&cfg, 1, 8); /* never more threads than phones */
	assert_int_equal(preflight_threads(&cfg), 1);
	assert_int_equal(preflight_table_needed(&cfg), 2);
}

/* What a fleet should get under a hard limit. */
struct verdict {
	uint64_t hard;		 /* the hard limit (the soft one starts at a quarter of it) */
	uint32_t count;
	int threads;
	bool force;		 /* PHONESWARM_FIXED_FILES=1 */
	bool fixed, problem;	 /* want: registered files; a problem */
	const char *want[8];	 /* in the text; NULL-terminated */
};

/* In a child (a lowered hard limit cannot be raised back): v's fleet against v's limit. */
static bool verdict_under(const struct verdict *v)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = v->hard / 4, .rlim_max = v->hard};
		struct swarm_config cfg;
		struct preflight pf;

		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(10);
		if (v->force)
			setenv("PHONESWARM_FIXED_FILES", "1", 1);
		fleet(&cfg, v->count, v->threads);
		preflight_descriptors(&cfg, &pf);
		if (pf.problem != v->problem || preflight_fixed_files(&cfg) != v->fixed) {
			fprintf(stderr, "%u phones, %d threads, hard limit %llu: problem %d, fixed %d, "
				"want %d, %d: %s\n", v->count, v->threads, (unsigned long long)v->hard,
				pf.problem, preflight_fixed_files(&cfg), v->problem, v->fixed, pf.text);
			_exit(11);
		}
		for (const char *const *w = v->want; *w; w++)
			if (!strstr(pf.text, *w)) {
				fprintf(stderr, "%u phones, %d threads: no \"%s\" in: %s\n", v->count,
					v->threads, *w, pf.text);
				_exit(12);
			}
		if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != v->hard) {
			fprintf(stderr, "soft limit %llu, not raised to %llu\n",
				(unsigned long long)rl.rlim_cur, (unsigned long long)v->hard);
			_exit(13);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Under a hard limit of 1,024: 400 phones on two threads fit as
 * descriptors (878). 1,000 do not (2,078), so their sockets are registered
 * files: on two threads a table of 1,000 each, which fits; on one, 2,000,
 * which does not, and the text says the threads, the limit or the phones
 * that would do. 400 forced to registered files say so. Under 64, the
 * run's own descriptors do not fit.
 */
static void test_descriptors(void **state)
{
	static const struct verdict vs[] = {
	    {1024, 400, 2, false, false, false,
	     {"need 878 (2 a phone, 7 a worker thread, 64 for the run), may open 1024: ok"}},
	    {1024, 1000, 2, false, true, false,
	     {"as descriptors the phones' sockets would need 2078", "1000 entries (2 a phone) in the table",
	      "of 1024 a ring may hold", "the run needs 78 descriptors"}},
	    {1024, 1000, 1, false, true, true,
	     {"1000 phones on 1 worker thread put 1000 on one thread",
	      "a table of 2000 registered files", "the descriptor limit, 1024 here",
	      "set run.threads = 2 or more", /* 512 phones a thread */
	      "raise the limit to 2000", "run at most 512 phones"}},
	    {1024, 3000, 2, false, true, true,
	     {"set run.threads = 6 or more" /* 3000 / 512 */, "run at most 1024 phones"}},
	    {1024, 400, 2, true, true, false,
	     {"PHONESWARM_FIXED_FILES=1: they are io_uring registered files instead, 400 entries "
	      "(2 a phone)" /* 200 phones a thread */}},
	    {64, 10, 2, false, true, true,
	     {"2 worker threads need 78 descriptors", "may open 64", "raise it to 78"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		assert_true(verdict_under(&vs[i]));
}

/*
 * The table rule is the kernel's: under a limit of 1,024, the table 512
 * phones on one thread need registers, 513's does not (EMFILE), as the
 * check says.
 */
static void test_table_is_the_kernels(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = 1024, .rlim_max = 1024};
		struct swarm_config cfg;
		struct preflight pf;

		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(10);
		for (uint32_t n = 512; n <= 513; n++) {
			struct io_uring ring;
			int r;

			fleet(&cfg, n, 1);
			preflight_descriptors(&cfg, &pf);
			if (io_uring_queue_init(8, &ring, 0))
				_exit(77); /* no io_uring here */
			r = io_uring_register_files_sparse(&ring, (unsigned)preflight_table_needed(&cfg));
			io_uring_queue_exit(&ring);
			if (r != (n == 512 ? 0 : -EMFILE) || pf.problem != (n == 513)) {
				fprintf(stderr, "%u phones: the kernel says %d, the check %s: %s\n", n,
					r, pf.problem ? "problem" : "ok", pf.text);
				_exit(11);
			}
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_memory(void **state)
{
	struct swarm_config cfg;
	struct preflight pf;

	(void)state;
	fleet(&cfg, 10, 1);
	preflight_memory(&cfg, &pf);
	assert_false(pf.problem);
	assert_non_null(strstr(pf.text, "69 KiB a phone"));
	fleet(&cfg, 1000000, 1); /* 66 GiB: more than this machine has free */
	cfg.dtls_mode = DTLS_MODE_OFF;
	preflight_memory(&cfg, &pf);
	assert_non_null(strstr(pf.text, "32 KiB a phone"));
	assert_non_null(strstr(pf.text, "need about 31"));
}

/* Phones per address against the port range: the same arithmetic, done here. */
static void test_ports(void **state)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned lo, hi;
	struct swarm_config cfg;
	struct preflight pf;
	uint32_t addrs[2];
	char want[64];

	(void)state;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u %u", &lo, &hi), 2);
	fclose(f);
	fleet(&cfg, hi - lo + 1, 1); /* exactly the range on one address: fits */
	preflight_ports(&cfg, &pf);
	assert_false(pf.problem);
	fleet(&cfg, hi - lo + 2, 1); /* one more */
	preflight_ports(&cfg, &pf);
	assert_true(pf.problem);
	snprintf(want, sizeof(want), "%u phones a source address (1 address", hi - lo + 2);
	assert_non_null(strstr(pf.text, want));
	cfg.source = addrs; /* split over two: fits again */
	cfg.n_source = 2;
	preflight_ports(&cfg, &pf);
	assert_false(pf.problem);
}

/* 127.0.0.1 binds; 203.0.113.1 (on no interface) does not, unless IP_FREEBIND. */
static void test_sources(void **state)
{
	struct swarm_config cfg;
	struct preflight pf;
	uint32_t addrs[3];

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &addrs[0]);
	inet_pton(AF_INET, "203.0.113.1", &addrs[1]);
	inet_pton(AF_INET, "203.0.113.2", &addrs[2]);
	fleet(&cfg, 3, 1);
	preflight_sources(&cfg, &pf);
	assert_false(pf.problem); /* none given */
	cfg.source = addrs;
	cfg.n_source = 1;
	preflight_sources(&cfg, &pf);
	assert_false(pf.problem);
	cfg.n_source = 3;
	preflight_sources(&cfg, &pf);
	assert_true(pf.problem);
	assert_non_null(strstr(pf.text, "1 of the 3 addresses used bind here; 2 do not (the first, "
					"203.0.113.1: Cannot assign requested address)"));
	/* freebind binds them, but this machine sends nothing from an address not its own */
	cfg.freebind = true;
	preflight_sources(&cfg, &pf);
	assert_true(pf.problem);
	assert_non_null(strstr(pf.text, "3 of the 3 addresses used bind here (with IP_FREEBIND); 2 "
					"are not this machine's yet (the first, 203.0.113.1)"));
	cfg.n_source = 1;
	preflight_sources(&cfg, &pf);
	assert_false(pf.problem);
	cfg.n_source = 3;
	cfg.count = 1; /* only the addresses phones use are tried */
	cfg.freebind = false;
	preflight_sources(&cfg, &pf);
	assert_false(pf.problem);
}

static void test_io_uring(void **state)
{
	struct preflight pf;

	(void)state;
	preflight_io_uring(&pf);
	assert_non_null(strstr(pf.text, "kernel "));
	if (pf.problem)
		skip(); /* no io_uring here: the text says why, nothing more to test */
	assert_non_null(strstr(pf.text, "a ring was set up: ok"));
}

/* The preflight of run.priority = realtime, in a child: 0 when it says ok, 1 when a
 * problem naming EPERM and what grants it, 2 otherwise. With uid >= 0 the child first
 * sets RLIMIT_RTPRIO to rtprio (4 when it may not: a root without CAP_SYS_RESOURCE,
 * as in some containers, cannot raise the hard limit) and becomes that user (so: root
 * only). */
static int priority_in_child(int uid, rlim_t rtprio)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct swarm_config cfg;
		struct rlimit rl = {rtprio, rtprio};
		struct preflight pf;

		fleet(&cfg, 10, 1);
		cfg.realtime = true;
		if (uid >= 0 && setrlimit(RLIMIT_RTPRIO, &rl))
			_exit(4); /* raising the hard limit takes CAP_SYS_RESOURCE */
		if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid)))
			_exit(3);
		preflight_priority(&cfg, &pf);
		if (!pf.problem)
			_exit(strstr(pf.text, "realtime: the worker threads run SCHED_FIFO 1: ok") ? 0 : 2);
		_exit(strstr(pf.text, strerror(EPERM)) && strstr(pf.text, "CAP_SYS_NICE") &&
			      strstr(pf.text, "ulimit -r")
			  ? 1
			  : 2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * run.priority: normal asks nothing; realtime is granted to root, and to a
 * user whose RLIMIT_RTPRIO allows priority 1, refused (EPERM, saying what
 * grants it) to one whose limit is 0; the thread that asks is left as it was.
 */
static void test_priority(void **state)
{
	struct swarm_config cfg;
	struct preflight pf;
	struct rlimit rl;
	long long runtime = -1, period = -1;
	FILE *f;
	char want[64];

	(void)state;
	fleet(&cfg, 10, 1);
	preflight_priority(&cfg, &pf);
	assert_false(pf.problem);
	assert_non_null(strstr(pf.text, "normal: "));
	cfg.realtime = true;
	preflight_priority(&cfg, &pf);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	assert_int_equal(getrlimit(RLIMIT_RTPRIO, &rl), 0);
	if (geteuid() != 0) { /* what this user may do decides */
		assert_int_equal(pf.problem, rl.rlim_cur < 1);
		return;
	}
	if (pf.problem)
		fail_msg("root refused: %s", pf.text);
	/* what the kernel keeps back, from its own settings */
	if ((f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "r"))) {
		if (fscanf(f, "%lld", &runtime) != 1)
			runtime = -1;
		fclose(f);
	}
	if ((f = fopen("/proc/sys/kernel/sched_rt_period_us", "r"))) {
		if (fscanf(f, "%lld", &period) != 1)
			period = -1;
		fclose(f);
	}
	if (runtime >= 0 && period > 0) {
		snprintf(want, sizeof(want), "keeps %lld%% of each core",
			 (100 * (period - runtime) + period / 2) / period);
		if (!strstr(pf.text, want))
			fail_msg("want \"%s\" in: %s", want, pf.text);
	}
	assert_int_equal(priority_in_child(-1, 0), 0);	   /* root */
	assert_int_equal(priority_in_child(65534, 0), 1);  /* nobody, no real-time allowed */
	/* nobody, priority 1 allowed (when this root may raise the limit to 1) */
	int r = priority_in_child(65534, 1);

	if (r == 4 && rl.rlim_max < 1)
		return;
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fds_needed), cmocka_unit_test(test_descriptors),
	    cmocka_unit_test(test_table_is_the_kernels),
	    cmocka_unit_test(test_memory),     cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_sources),    cmocka_unit_test(test_io_uring),
	    cmocka_unit_test(test_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
