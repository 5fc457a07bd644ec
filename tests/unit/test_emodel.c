/*
 * tests/unit/test_emodel.c - R and MOS of the simplified E-model
 * (engine/voice/emodel.c) against values worked by hand from G.107's formulas.
 *
 * Worked values (Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)):
 *   G.711, 1 % random:   95 x 1 / (1 + 25.1) = 3.63985     R = 89.56015
 *   G.711, 5 %, BurstR 2: 95 x 5 / (2.5 + 25.1) = 17.21014  R = 75.98986
 *   G.729, 2 % random:   11 + 84 x 2 / (2 + 19) = 19        R = 74.2
 *   G.711, 100 %:        95 x 100 / (100 + 25.1) = 75.93925 R = 17.26075
 * Idd (X = log2(Ta / 100)):
 *   Ta 200: X = 1, 25 (2^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 3.044414
 *   Ta 400: X = 2, 25 (65^(1/6) - 3 (1 + (2/3)^6)^(1/6) + 2) = 24.07009
 *   Ta 150: X = 0.584963, 0.1635312
 * MOS = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6:
 *   R 93.2: 1 + 3.262 + 93.2 x 33.2 x 6.8 x 7e-6 = 4.409286
 *   R 82.2: 4.104375;  R 89.56015: 4.328075;  R 50: 1 + 1.75 - 0.175 = 2.575;
 *   R 70: 3.597
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "engine/voice/emodel.h"

#define assert_near(got, want, tol)                                                         \
	do {                                                                                \
		double g_ = (got), w_ = (want);                                             \
		if (!(fabs(g_ - w_) <= (tol)))                                              \
			fail_msg("%s = %.9g, expected %.9g +/- %g", #got, g_, w_, (double)(tol)); \
	} while (0)

static void test_no_impairment(void **state)
{
	const struct codec *g711 = codec_find("g711"), *g729 = codec_find("g729"),
			   *g722 = codec_find("g722");

	(void)state;
	assert_near(emodel_r(g711, 0, 0, 1), 93.2, 1e-9);
	assert_near(emodel_r(g722, 0, 0, 1), 93.2, 1e-9);
	assert_near(emodel_r(g729, 0, 0, 1), 82.2, 1e-9);
	/* delay up to 100 ms costs nothing */
	assert_near(emodel_r(g711, 100, 0, 1), 93.2, 1e-9);
	assert_near(emodel_r(g711, 50, 0, 1), 93.2, 1e-9);
}

static void test_loss(void **state)
{
	const struct codec *g711 = codec_find("g711"), *g729 = codec_find("g729");

	(void)state;
	assert_near(emodel_ie_eff(g711, 1, 1), 3.639847, 1e-6);
	assert_near(emodel_r(g711, 0, 1, 1), 89.560153, 1e-6);
	assert_near(emodel_r(g711, 0, 5, 2), 75.989855, 1e-6);
	assert_near(emodel_r(g729, 0, 2, 1), 74.2, 1e-9);
	assert_near(emodel_r(g711, 0, 100, 1), 17.260751, 1e-6);
	/* burstier loss hurts more */
	assert_true(emodel_r(g711, 0, 5, 2) < emodel_r(g711, 0, 5, 1));
	/* out-of-range inputs: negative loss is none, over 100 is 100, BurstR <= 0 is 1 */
	assert_near(emodel_r(g711, 0, -3, 1), 93.2, 1e-9);
	assert_near(emodel_r(g711, 0, 250, 1), emodel_r(g711, 0, 100, 1), 1e-9);
	assert_near(emodel_r(g711, 0, 1, 0), emodel_r(g711, 0, 1, 1), 1e-9);
}

static void test_delay(void **state)
{
	const struct codec *g711 = codec_find("g711");

	(void)state;
	assert_near(emodel_idd(0), 0, 0);
	assert_near(emodel_idd(-5), 0, 0);
	assert_near(emodel_idd(100), 0, 1e-12);
	assert_near(emodel_idd(150), 0.1635312, 1e-6);
	assert_near(emodel_idd(200), 3.044414, 1e-6);
	assert_near(emodel_idd(400), 24.070089, 1e-6);
	assert_near(emodel_r(g711, 200, 0, 1), 93.2 - 3.044414, 1e-6);
	/* delay and loss add */
	assert_near(emodel_r(g711, 200, 1, 1), 93.2 - 3.044414 - 3.639847, 1e-6);
	/* Idd only grows */
	for (double t = 100; t < 1000; t += 10)
		assert_true(emodel_idd(t + 10) > emodel_idd(t));
}

static void test_mos(void **state)
{
	(void)state;
	assert_near(emodel_mos(93.2), 4.409286, 1e-6);
	assert_near(emodel_mos(82.2), 4.104375, 1e-6);
	assert_near(emodel_mos(70), 3.597, 1e-9);
	assert_near(emodel_mos(50), 2.575, 1e-9);
	assert_near(emodel_mos(0), 1, 1e-12);
	assert_near(emodel_mos(-10), 1, 0);
	assert_near(emodel_mos(100), 4.5, 1e-12);
	assert_near(emodel_mos(120), 4.5, 0);
	/* the G.711 call at 1 % loss */
	assert_near(emodel_mos(emodel_r(codec_find("g711"), 0, 1, 1)), 4.328075, 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_impairment),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_mos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
