/*
 * tests/unit/test_shard.c - loadgen/shard: "i/N" parsing, and that the N
 * shards of a fleet cover every phone and source address exactly once,
 * with the whole arrival rate between them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "loadgen/shard.h"

static void test_parse(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"4/4", "i counts from 0 to N-1"}, {"1", "expected i/N"},
	    {"a/b", "whole numbers"},	       {"1/0", "whole numbers"},
	    {"-1/2", "whole numbers"},	       {"0/10001", "N from 1 to 10000"},
	    {"/3", "whole numbers"},	       {"0/", "whole numbers"},
	};
	struct shard sh;
	char why[256];

	(void)state;
	assert_int_equal(shard_parse("0/1", &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 0);
	assert_int_equal(sh.count, 1);
	assert_int_equal(shard_parse("3/4", &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 3);
	assert_int_equal(sh.count, 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!shard_parse(bad[i].text, &sh, why, sizeof(why)))
			fail_msg("%s accepted", bad[i].text);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: expected \"%s\" in \"%s\"", bad[i].text, bad[i].why, why);
	}
}

static void fleet(struct swarm_config *cfg, uint32_t count, uint32_t n_source)
{
	config_defaults(cfg);
	cfg->count = count;
	cfg->rate = 90;
	cfg->mac_base = 0x02ab00001000ULL;
	cfg->n_source = n_source;
	cfg->source = n_source ? calloc(n_source, sizeof(uint32_t)) : NULL;
	for (uint32_t i = 0; i < n_source; i++)
		cfg->source[i] = 0xc6124000u + i;
}

/* Every phone (by MAC and fleet index) and every source in exactly one shard. */
static void check_cover(uint32_t count, uint32_t n_source, uint32_t n)
{
	uint8_t *phone_seen = calloc(count, 1), *src_seen = calloc(n_source + 1, 1);
	struct swarm_config cfg;
	char why[256];
	double rate = 0;

	assert_non_null(phone_seen);
	assert_non_null(src_seen);
	for (uint32_t i = 0; i < n; i++) {
		struct shard sh = {i, n};

		fleet(&cfg, count, n_source);
		if (shard_apply(&cfg, &sh, why, sizeof(why)))
			fail_msg("%u phones, %u sources, shard %u/%u: %s", count, n_source, i, n,
				 why);
		assert_true(cfg.count > 0);
		/* the MAC and the fleet index move together */
		assert_int_equal(cfg.mac_base - 0x02ab00001000ULL, cfg.index_base);
		for (uint32_t k = 0; k < cfg.count; k++) {
			uint32_t g = cfg.index_base + k;

			assert_true(g < count);
			assert_int_equal(phone_seen[g], 0);
			phone_seen[g] = 1;
		}
		for (uint32_t k = 0; k < cfg.n_source; k++) {
			uint32_t a = cfg.source[k] - 0xc6124000u;

			assert_true(a < n_source);
			assert_int_equal(src_seen[a], 0);
			src_seen[a] = 1;
		}
		if (n_source)
			assert_true(cfg.n_source > 0);
		else
			assert_null(cfg.source);
		rate += cfg.rate;
		config_free(&cfg);
	}
	for (uint32_t g = 0; g < count; g++)
		assert_int_equal(phone_seen[g], 1);
	for (uint32_t a = 0; a < n_source; a++)
		assert_int_equal(src_seen[a], 1);
	assert_true(rate > 90 - 1e-9 && rate < 90 + 1e-9);
	free(phone_seen);
	free(src_seen);
}

static void test_cover(void **state)
{
	(void)state;
	check_cover(1000, 10, 3);
	check_cover(1000, 0, 7);
	check_cover(7, 7, 7);
	check_cover(1, 1, 1);
	for (uint32_t n = 1; n <= 40; n++)
		check_cover(997, 1021, n);
	check_cover(1000000, 16384, 64);
}

static void test_slices(void **state)
{
	struct swarm_config cfg;
	struct shard sh = {2, 3};
	char why[256];

	(void)state;
	fleet(&cfg, 1000, 10);
	assert_int_equal(shard_apply(&cfg, &sh, why, sizeof(why)), 0);
	/* phones [666, 1000), sources [6, 10) */
	assert_int_equal(cfg.count, 334);
	assert_int_equal(cfg.index_base, 666);
	assert_int_equal(cfg.mac_base, 0x02ab00001000ULL + 666);
	assert_int_equal(cfg.n_source, 4);
	assert_int_equal(cfg.source[0], 0xc6124006u);
	assert_true(cfg.rate == 30);
	config_free(&cfg);

	/* not sharded: nothing changes */
	fleet(&cfg, 1000, 10);
	sh = (struct shard){0, 0};
	assert_int_equal(shard_apply(&cfg, &sh, why, sizeof(why)), 0);
	assert_int_equal(cfg.count, 1000);
	assert_int_equal(cfg.n_source, 10);
	assert_true(cfg.rate == 90);
	config_free(&cfg);
}

static void test_refusals(void **state)
{
	struct swarm_config cfg;
	struct shard sh = {0, 4};
	char why[256];

	(void)state;
	fleet(&cfg, 3, 0);
	sh.index = 2; /* one phone would do for this one, but shard 0 would have none */
	assert_int_equal(shard_apply(&cfg, &sh, why, sizeof(why)), -1);
	assert_string_equal(why, "--shard 2/4: 3 phones cannot make 4 shards");
	assert_int_equal(cfg.count, 3);
	config_free(&cfg);

	fleet(&cfg, 100, 3);
	assert_int_equal(shard_apply(&cfg, &sh, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "phones.source has 3 addresses, fewer than the 4 shards"));
	/* unchanged */
	assert_int_equal(cfg.count, 100);
	assert_int_equal(cfg.n_source, 3);
	assert_int_equal(cfg.index_base, 0);
	assert_true(cfg.rate == 90);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_cover),
	    cmocka_unit_test(test_slices),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
