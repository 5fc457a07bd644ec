/*
 * tests/unit/test_preflight.c - loadgen/preflight: what this machine allows
 * a run. The figures are worked out here from the rules (2 descriptors a
 * phone, ...) and from the kernel's own answers (a bind, a ring), so that
 * a check that always says "ok" fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
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
	assert_int_equal(preflight_fds_needed(&cfg),
			 2000 + 2 * PREFLIGHT_FDS_THREAD + PREFLIGHT_FDS_RUN);
	fleet(&cfg, 1, 8); /* never more threads than phones */
	assert_int_equal(preflight_threads(&cfg), 1);
}

/*
 * Under a hard limit of 1,024 (set in a child: it cannot be raised back),
 * 1,000 phones do not fit and the text says what to raise and how many
 * phones would; 400 do, with the soft limit raised to the hard one.
 */
static void test_descriptors(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = 256, .rlim_max = 1024};
		struct swarm_config cfg;
		struct preflight pf;
		char want[64];

		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(10);
		fleet(&cfg, 1000, 2);
		preflight_descriptors(&cfg, &pf);
		snprintf(want, sizeof(want), "raise it to %llu",
			 (unsigned long long)preflight_fds_needed(&cfg));
		if (!pf.problem || !strstr(pf.text, "may open 1024") || !strstr(pf.text, want) ||
		    !strstr(pf.text, "run at most 474 phones" /* (1024 - 76) / 2 */)) {
			fprintf(stderr, "1000 phones: %s\n", pf.text);
			_exit(11);
		}
		fleet(&cfg, 400, 2);
		preflight_descriptors(&cfg, &pf);
		if (pf.problem || getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != 1024) {
			fprintf(stderr, "400 phones: %s (soft %llu)\n", pf.text,
				(unsigned long long)rl.rlim_cur);
			_exit(12);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fds_needed), cmocka_unit_test(test_descriptors),
	    cmocka_unit_test(test_memory),     cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_sources),    cmocka_unit_test(test_io_uring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
