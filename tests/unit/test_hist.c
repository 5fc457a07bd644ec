/*
 * tests/unit/test_hist.c - report/hist against exact arithmetic.
 *
 * Every percentile is checked against a sort of the same data: the histogram
 * must return exactly the highest value of the exact value's slot (capped at
 * the max), where the slot is worked out here from the definition (width 1
 * below 2048, else 2^(floor(log2 v) - 10)), and so lie within 1/1000 above
 * the exact value. Data come from a fixed-seed splitmix64, so a failure
 * repeats. Failures print expected and got.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats/hist.h"
#include "tests/unit/splitmix.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error(__VA_ARGS__);                                                  \
			fail_msg("%s:%d: %s", __FILE__, __LINE__, #cond);                          \
		}                                                                                  \
	} while (0)

#define N_SAMPLES 200000

/* ==== Reference arithmetic ==== */

/* Uniform in (0, 1). */
static double rng_unit(void)
{
	return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static uint64_t ref_width(uint64_t v)
{
	int log2v;

	if (v < 2048)
		return 1;
	log2v = 63 - __builtin_clzll(v);
	return 1ULL << (log2v - 10);
}

static uint64_t ref_lo(uint64_t v)
{
	return v - v % ref_width(v);
}

static uint64_t ref_hi(uint64_t v)
{
	return ref_lo(v) + ref_width(v) - 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Copies the non-empty slots of h into out (at most max); returns how many. */
struct snap {
	struct hist_bucket *b;
	size_t n, max;
};

static int snap_one(const struct hist_bucket *b, void *arg)
{
	struct snap *s = arg;

	if (s->n == s->max)
		return -1;
	s->b[s->n++] = *b;
	return 0;
}

static size_t snapshot(const struct hist *h, struct hist_bucket *out, size_t max)
{
	struct snap s = {out, 0, max};

	assert_int_equal(hist_foreach_bucket(h, snap_one, &s), 0);
	return s.n;
}

#define MAX_SLOTS 23221

static void assert_same_hist(const struct hist *a, const struct hist *b)
{
	static struct hist_bucket ba[MAX_SLOTS], bb[MAX_SLOTS];
	size_t na = snapshot(a, ba, MAX_SLOTS), nb = snapshot(b, bb, MAX_SLOTS);
	size_t i;

	CHECK(na == nb, "slots: expected %zu, got %zu\n", na, nb);
	for (i = 0; i < na; i++)
		CHECK(ba[i].index == bb[i].index && ba[i].count == bb[i].count &&
			  ba[i].lo_us == bb[i].lo_us && ba[i].hi_us == bb[i].hi_us,
		      "slot %zu: expected #%u [%" PRIu64 ",%" PRIu64 "] x%" PRIu64
		      ", got #%u [%" PRIu64 ",%" PRIu64 "] x%" PRIu64 "\n",
		      i, ba[i].index, ba[i].lo_us, ba[i].hi_us, ba[i].count, bb[i].index,
		      bb[i].lo_us, bb[i].hi_us, bb[i].count);
	assert_int_equal(hist_count(a), hist_count(b));
	assert_int_equal(hist_min(a), hist_min(b));
	assert_int_equal(hist_max(a), hist_max(b));
	CHECK(hist_mean(a) == hist_mean(b), "mean: expected %.17g, got %.17g\n", hist_mean(a),
	      hist_mean(b));
}

/*
 * Percentiles in units of 1e-4 %, so the exact rank ceil(k * n / 1e6) is
 * integer arithmetic here while the histogram gets k / 1e4 as a double.
 */
static const uint64_t fixed_k[] = {
    0,	    1,	    10,	    10000,  100000, 250000, 500000,  750000,
    900000, 950000, 990000, 999000, 999900, 999990, 1000000,
};

static void check_percentile(const struct hist *h, const uint64_t *sorted, size_t n, uint64_t k,
			     const char *dist)
{
	uint64_t rank = (k * n + 999999) / 1000000;
	uint64_t exact, want, got;

	if (rank < 1)
		rank = 1;
	exact = sorted[rank - 1];
	want = ref_hi(exact) < sorted[n - 1] ? ref_hi(exact) : sorted[n - 1];
	got = hist_percentile(h, (double)k / 10000.0);
	CHECK(got == want, "%s p%.4f: exact %" PRIu64 ", expected %" PRIu64 ", got %" PRIu64 "\n",
	      dist, (double)k / 10000.0, exact, want, got);
	CHECK(got >= exact && got - exact <= exact / 1000,
	      "%s p%.4f: exact %" PRIu64 ", got %" PRIu64 " (> 1/1000 off)\n", dist,
	      (double)k / 10000.0, exact, got);
}

/* Records v[0..n) into h, sorts v and checks h against it. */
static void check_against_sort(struct hist *h, uint64_t *v, size_t n, const char *dist)
{
	double sum = 0.0, mean;
	size_t i;

	for (i = 0; i < n; i++) {
		hist_record(h, v[i]);
		sum += (double)v[i];
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);

	assert_int_equal(hist_count(h), n);
	CHECK(hist_min(h) == v[0], "%s min: expected %" PRIu64 ", got %" PRIu64 "\n", dist, v[0],
	      hist_min(h));
	CHECK(hist_max(h) == v[n - 1], "%s max: expected %" PRIu64 ", got %" PRIu64 "\n", dist,
	      v[n - 1], hist_max(h));
	mean = sum / (double)n;
	CHECK(fabs(hist_mean(h) - mean) <= mean * 1e-9, "%s mean: expected %.6f, got %.6f\n", dist,
	      mean, hist_mean(h));

	for (i = 0; i < sizeof(fixed_k) / sizeof(fixed_k[0]); i++)
		check_percentile(h, v, n, fixed_k[i], dist);
	for (i = 0; i < 2000; i++)
		check_percentile(h, v, n, rng_next() % 1000001, dist);
}

/* ==== Distributions ==== */

enum dist {
	D_UNIFORM,    /* 1 .. 10,000 us */
	D_EXP,	      /* exponential, mean 5 ms */
	D_LOGNORMAL,  /* median 20 ms, sigma 1 */
	D_LOGUNIFORM, /* heavy tail: log-uniform over 1 us .. 1 h */
	D_PARETO,     /* Pareto alpha 1.1 from 100 us, capped at 1 h */
	D_SMALL,      /* 0 .. 2,100: the exact slots and the first bucket edge */
	D__COUNT
};

static const char *const dist_name[D__COUNT] = {
    "uniform", "exponential", "lognormal", "log-uniform", "pareto", "small",
};

static uint64_t draw(enum dist d)
{
	double x = 0.0, u1, u2;

	switch (d) {
	case D_UNIFORM:
		return 1 + rng_next() % 10000;
	case D_EXP:
		x = -log(rng_unit()) * 5000.0;
		break;
	case D_LOGNORMAL:
		u1 = rng_unit();
		u2 = rng_unit();
		x = 20000.0 * exp(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
		break;
	case D_LOGUNIFORM:
		x = exp(rng_unit() * log((double)HIST_MAX_US));
		break;
	case D_PARETO:
		x = 100.0 / pow(rng_unit(), 1.0 / 1.1);
		break;
	case D_SMALL:
		return rng_next() % 2101;
	case D__COUNT:
		break;
	}
	if (x > (double)HIST_MAX_US)
		return HIST_MAX_US;
	return (uint64_t)llround(x);
}

static void fill(uint64_t *v, size_t n, enum dist d)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = draw(d);
}

/* ==== Tests ==== */

/* Every value 0 .. 70,000 once: slots must tile the range exactly. */
static void test_layout_tiles(void **state)
{
	static struct hist_bucket b[MAX_SLOTS];
	struct hist *h = hist_new();
	uint64_t v, expect_lo = 0;
	size_t n, i;

	(void)state;
	assert_non_null(h);
	for (v = 0; v <= 70000; v++)
		hist_record(h, v);
	n = snapshot(h, b, MAX_SLOTS);
	for (i = 0; i < n; i++) {
		CHECK(b[i].index == i, "slot %zu has index %u\n", i, b[i].index);
		CHECK(b[i].lo_us == expect_lo && b[i].hi_us == ref_hi(expect_lo),
		      "slot %zu: expected [%" PRIu64 ",%" PRIu64 "], got [%" PRIu64 ",%" PRIu64
		      "]\n",
		      i, expect_lo, ref_hi(expect_lo), b[i].lo_us, b[i].hi_us);
		if (b[i].hi_us <= 70000)
			CHECK(b[i].count == b[i].hi_us - b[i].lo_us + 1,
			      "slot %zu [%" PRIu64 ",%" PRIu64 "]: count %" PRIu64 "\n", i,
			      b[i].lo_us, b[i].hi_us, b[i].count);
		expect_lo = b[i].hi_us + 1;
	}
	assert_true(b[n - 1].lo_us <= 70000 && 70000 <= b[n - 1].hi_us);
	/* 2048 exact slots, then 1024 per power of two: 2048..4095 is 1024 */
	assert_int_equal(b[2048].lo_us, 2048);
	assert_int_equal(b[2048].hi_us, 2049);
	assert_int_equal(b[3071].lo_us, 4094);
	assert_int_equal(b[3072].lo_us, 4096);
	assert_int_equal(b[3072].hi_us, 4099);
	hist_free(h);
}

/* Single values across the whole range land in the slot the definition says. */
static void test_layout_points(void **state)
{
	struct hist_bucket b[2];
	struct hist *h = hist_new();
	uint64_t v;
	size_t n;
	int i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < 3000; i++) {
		v = i < 64 ? (1ULL << (i % 32)) - (uint64_t)(i / 32)
			   : rng_next() % (HIST_MAX_US + 1);
		hist_reset(h);
		hist_record(h, v);
		n = snapshot(h, b, 2);
		assert_int_equal(n, 1);
		CHECK(b[0].lo_us == ref_lo(v) && b[0].hi_us == ref_hi(v),
		      "%" PRIu64 ": expected [%" PRIu64 ",%" PRIu64 "], got [%" PRIu64 ",%" PRIu64
		      "]\n",
		      v, ref_lo(v), ref_hi(v), b[0].lo_us, b[0].hi_us);
		CHECK(ref_width(v) == 1 || ref_width(v) * 1000 <= v, "%" PRIu64 ": slot too wide\n",
		      v);
	}
	hist_free(h);
}

static void test_percentiles_vs_sort(void **state)
{
	uint64_t *v = malloc(N_SAMPLES * sizeof(*v));
	struct hist *h = hist_new();
	int d;

	(void)state;
	assert_non_null(v);
	assert_non_null(h);
	rng_state = 42;
	for (d = 0; d < D__COUNT; d++) {
		hist_reset(h);
		fill(v, N_SAMPLES, d);
		check_against_sort(h, v, N_SAMPLES, dist_name[d]);
	}
	/* tiny populations, where ranks are coarse */
	for (d = 1; d <= 7; d++) {
		hist_reset(h);
		fill(v, (size_t)d, D_LOGUNIFORM);
		check_against_sort(h, v, (size_t)d, "tiny");
	}
	hist_free(h);
	free(v);
}

static void test_merge(void **state)
{
	uint64_t *v = malloc(N_SAMPLES * sizeof(*v));
	struct hist *a = hist_new(), *b = hist_new(), *all = hist_new();
	struct hist *empty = hist_new();
	size_t i;

	(void)state;
	assert_true(v && a && b && all && empty);
	rng_state = 7;
	fill(v, N_SAMPLES, D_LOGNORMAL);
	for (i = 0; i < N_SAMPLES; i++) {
		hist_record(a, v[i]);
		hist_record(all, v[i]);
	}
	fill(v, N_SAMPLES, D_PARETO);
	for (i = 0; i < N_SAMPLES; i++) {
		hist_record(b, v[i]);
		hist_record(all, v[i]);
	}

	hist_merge(a, b);
	assert_same_hist(all, a);
	for (i = 0; i < sizeof(fixed_k) / sizeof(fixed_k[0]); i++)
		assert_int_equal(hist_percentile(a, fixed_k[i] / 10000.0),
				 hist_percentile(all, fixed_k[i] / 10000.0));
	assert_int_equal(hist_count(b), N_SAMPLES); /* src untouched */

	/* empty on either side */
	hist_merge(a, empty);
	assert_same_hist(all, a);
	hist_merge(empty, all);
	assert_same_hist(all, empty);

	hist_free(a);
	hist_free(b);
	hist_free(all);
	hist_free(empty);
	free(v);
}

static void test_clamp(void **state)
{
	struct hist_bucket b[2];
	struct hist *h = hist_new();

	(void)state;
	assert_non_null(h);
	hist_record(h, HIST_MAX_US + 1);
	hist_record(h, UINT64_MAX);
	hist_record_n(h, 5000000000ULL, 2);
	hist_record(h, HIST_MAX_US);
	assert_int_equal(hist_count(h), 5);
	assert_int_equal(hist_min(h), HIST_MAX_US);
	assert_int_equal(hist_max(h), HIST_MAX_US);
	assert_int_equal(hist_percentile(h, 50), HIST_MAX_US);
	assert_int_equal(hist_percentile(h, 100), HIST_MAX_US);
	CHECK(hist_mean(h) == (double)HIST_MAX_US, "mean %.17g\n", hist_mean(h));
	assert_int_equal(snapshot(h, b, 2), 1);
	assert_int_equal(b[0].count, 5);
	assert_int_equal(b[0].index, 23220); /* HdrHistogram's index for 1 h */
	assert_true(b[0].lo_us <= HIST_MAX_US && HIST_MAX_US <= b[0].hi_us);
	hist_free(h);
}

static void test_zero(void **state)
{
	struct hist_bucket b[3];
	struct hist *h = hist_new();

	(void)state;
	assert_non_null(h);
	hist_record(h, 0);
	assert_int_equal(hist_count(h), 1);
	assert_int_equal(hist_min(h), 0);
	assert_int_equal(hist_max(h), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 100), 0);
	hist_record(h, 1);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 50.1), 1);
	assert_int_equal(snapshot(h, b, 3), 2);
	assert_int_equal(b[0].index, 0);
	assert_int_equal(b[0].lo_us, 0);
	assert_int_equal(b[0].hi_us, 0);
	assert_int_equal(b[1].index, 1);
	hist_free(h);
}

static int count_calls(const struct hist_bucket *b, void *arg)
{
	(void)b;
	++*(int *)arg;
	return *(int *)arg == 2 ? 7 : 0;
}

static void assert_empty(const struct hist *h)
{
	int calls = 0;

	assert_int_equal(hist_count(h), 0);
	assert_int_equal(hist_min(h), 0);
	assert_int_equal(hist_max(h), 0);
	assert_true(hist_mean(h) == 0.0);
	assert_int_equal(hist_percentile(h, 0), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 100), 0);
	assert_int_equal(hist_foreach_bucket(h, count_calls, &calls), 0);
	assert_int_equal(calls, 0);
}

static void test_empty_and_foreach_stop(void **state)
{
	struct hist *h = hist_new();
	int calls = 0;

	(void)state;
	assert_non_null(h);
	assert_empty(h);
	hist_record_n(h, 123, 0); /* n == 0 records nothing, not even a min */
	assert_empty(h);

	hist_record(h, 10);
	hist_record(h, 20);
	hist_record(h, 30);
	assert_int_equal(hist_foreach_bucket(h, count_calls, &calls), 7);
	assert_int_equal(calls, 2);
	hist_free(NULL);
	hist_free(h);
}

/* A histogram that was never gathered (a run cut short) reads as empty. */
static void test_null_is_empty(void **state)
{
	(void)state;
	assert_empty(NULL);
}

static void test_record_n(void **state)
{
	struct hist *a = hist_new(), *b = hist_new();
	int i;

	(void)state;
	assert_true(a && b);
	hist_record_n(a, 4097, 5);
	hist_record_n(a, 3, 2);
	for (i = 0; i < 5; i++)
		hist_record(b, 4097);
	hist_record(b, 3);
	hist_record(b, 3);
	assert_same_hist(a, b);
	assert_int_equal(hist_percentile(a, 28.57), 3);	   /* rank 2 of 7 */
	assert_int_equal(hist_percentile(a, 28.58), 4097); /* rank 3: capped */
	hist_free(a);
	hist_free(b);
}

/* Corrected recording, against the definition done one value at a time. */
static void naive_corrected(struct hist *h, uint64_t v, uint64_t iv)
{
	uint64_t m;

	if (v > HIST_MAX_US)
		v = HIST_MAX_US;
	hist_record(h, v);
	if (iv == 0 || v <= iv)
		return;
	for (m = v - iv; m >= iv; m -= iv)
		hist_record(h, m);
}

static void test_corrected(void **state)
{
	static const struct {
		uint64_t v, iv, count;
	} fixed[] = {
	    {10, 3, 3}, /* 10, 7, 4 */
	    {9, 3, 3},	/* 9, 6, 3 */
	    {3, 3, 1},
	    {2, 3, 1},
	    {1000, 0, 1},
	    {1000000, 1000, 1000},
	    {5000000000ULL, 1000000000ULL, 3}, /* clamped to 3.6e9 first */
	};
	struct hist *a = hist_new(), *b = hist_new();
	uint64_t v, iv;
	size_t i;

	(void)state;
	assert_true(a && b);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		hist_reset(a);
		hist_record_corrected(a, fixed[i].v, fixed[i].iv);
		CHECK(hist_count(a) == fixed[i].count,
		      "%" PRIu64 "/%" PRIu64 ": expected %" PRIu64 " values, got %" PRIu64 "\n",
		      fixed[i].v, fixed[i].iv, fixed[i].count, hist_count(a));
	}
	assert_int_equal(hist_min(a), HIST_MAX_US - 2000000000ULL);

	/* random cases, into histograms that already hold data */
	rng_state = 99;
	hist_reset(a);
	hist_reset(b);
	hist_record(a, 5000);
	hist_record(b, 5000);
	for (i = 0; i < 300; i++) {
		v = rng_next() % (i < 100 ? 100000 : 20000000);
		iv = 1 + rng_next() % (i % 3 == 0 ? 50 : v / 1000 + 1);
		if (v / iv > 200000)
			iv = v / 200000;
		hist_record_corrected(a, v, iv);
		naive_corrected(b, v, iv);
	}
	assert_same_hist(b, a);

	/* a one-hour stall at 1 us: 3.6e9 values, not 3.6e9 steps */
	hist_reset(a);
	hist_record_corrected(a, HIST_MAX_US, 1);
	assert_int_equal(hist_count(a), HIST_MAX_US);
	assert_int_equal(hist_min(a), 1);
	assert_int_equal(hist_max(a), HIST_MAX_US);
	CHECK(fabs(hist_mean(a) - (HIST_MAX_US + 1) / 2.0) < 1e-3,
	      "mean: expected %.1f, got %.17g\n", (HIST_MAX_US + 1) / 2.0, hist_mean(a));
	assert_int_equal(hist_percentile(a, 50), ref_hi(HIST_MAX_US / 2));
	assert_int_equal(hist_percentile(a, 0.001), ref_hi(36000));
	hist_free(a);
	hist_free(b);
}

static void test_reset(void **state)
{
	struct hist *h = hist_new();

	(void)state;
	assert_non_null(h);
	hist_record(h, 7);
	hist_record(h, 123456789);
	hist_record_corrected(h, 10000, 10);
	hist_reset(h);
	assert_empty(h);
	hist_record(h, 500);
	assert_int_equal(hist_count(h), 1);
	assert_int_equal(hist_min(h), 500);
	assert_int_equal(hist_max(h), 500);
	assert_int_equal(hist_percentile(h, 1), 500);
	hist_free(h);
}

/* hist_bytes_held counts each live histogram's calloc, 185,816 bytes (hist.h:
 * 23,221 slots of 8 bytes and a 48-byte header), and nothing once freed. */
static void test_bytes_held(void **state)
{
	(void)state;
	uint64_t before = hist_bytes_held();
	struct hist *h[3];

	for (int i = 0; i < 3; i++)
		assert_non_null(h[i] = hist_new());
	hist_record(h[0], 5000000); /* recording allocates nothing */
	assert_int_equal(hist_bytes_held() - before, 3 * 185816);
	hist_free(h[1]);
	hist_free(NULL);
	assert_int_equal(hist_bytes_held() - before, 2 * 185816);
	hist_free(h[0]);
	hist_free(h[2]);
	assert_int_equal(hist_bytes_held(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_tiles),
	    cmocka_unit_test(test_layout_points),
	    cmocka_unit_test(test_percentiles_vs_sort),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_clamp),
	    cmocka_unit_test(test_zero),
	    cmocka_unit_test(test_empty_and_foreach_stop),
	    cmocka_unit_test(test_null_is_empty),
	    cmocka_unit_test(test_record_n),
	    cmocka_unit_test(test_corrected),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_bytes_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
