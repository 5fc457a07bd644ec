/*
 * tests/unit/test_codec.c - the codec table (engine/voice/codec.c): payload
 * types, sizes and timestamp steps against RFC 3551, and the E-model
 * figures against G.113 Appendix I.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "engine/voice/codec.h"

#define assert_near(got, want, tol)                                                         \
	do {                                                                                \
		double g_ = (got), w_ = (want);                                             \
		if (!(fabs(g_ - w_) <= (tol)))                                              \
			fail_msg("%s = %.9g, expected %.9g +/- %g", #got, g_, w_, (double)(tol)); \
	} while (0)

static void test_find(void **state)
{
	(void)state;
	assert_non_null(codec_find("g711"));
	assert_non_null(codec_find("G729"));
	assert_non_null(codec_find("g722"));
	assert_null(codec_find("g723"));
	assert_null(codec_find(""));
	assert_null(codec_find(NULL));
	assert_string_equal(codec_find("g711")->encoding, "PCMU");
	assert_string_equal(codec_find("g729")->encoding, "G729");
	assert_string_equal(codec_find("g722")->encoding, "G722");
}

/* RFC 3551 table 4: PCMU 0, G722 9, G729 18, all clocked at 8000 Hz. */
static void test_payload_types_and_clocks(void **state)
{
	(void)state;
	assert_int_equal(codec_find("g711")->pt, 0);
	assert_int_equal(codec_find("g729")->pt, 18);
	assert_int_equal(codec_find("g722")->pt, 9);
	assert_int_equal(codec_find("g711")->clock_hz, 8000);
	assert_int_equal(codec_find("g729")->clock_hz, 8000);
	assert_int_equal(codec_find("g722")->clock_hz, 8000);
}

static void test_payload_bytes(void **state)
{
	const struct codec *g711 = codec_find("g711"), *g729 = codec_find("g729"),
			   *g722 = codec_find("g722");

	(void)state;
	assert_int_equal(codec_payload_bytes(g711, 20000), 160);
	assert_int_equal(codec_payload_bytes(g711, 10000), 80);
	assert_int_equal(codec_payload_bytes(g711, 30000), 240);
	assert_int_equal(codec_payload_bytes(g729, 20000), 20);
	assert_int_equal(codec_payload_bytes(g729, 10000), 10);
	assert_int_equal(codec_payload_bytes(g729, 40000), 40);
	assert_int_equal(codec_payload_bytes(g722, 20000), 160);
	assert_int_equal(codec_payload_bytes(g722, 30000), 240);
	/* whole frames only: 25 ms of g729 is two 10 ms frames; below one frame, nothing */
	assert_int_equal(codec_payload_bytes(g729, 25000), 20);
	assert_int_equal(codec_payload_bytes(g729, 9999), 0);
}

static void test_ts_step(void **state)
{
	(void)state;
	assert_int_equal(codec_ts_step(codec_find("g711"), 20000), 160);
	assert_int_equal(codec_ts_step(codec_find("g711"), 10000), 80);
	assert_int_equal(codec_ts_step(codec_find("g729"), 20000), 160);
	assert_int_equal(codec_ts_step(codec_find("g729"), 30000), 240);
	/* g722 samples at 16 kHz but its RTP clock is 8 kHz: 160, not 320 */
	assert_int_equal(codec_ts_step(codec_find("g722"), 20000), 160);
	/* bytes and timestamp step describe the same frames */
	assert_int_equal(codec_ts_step(codec_find("g729"), 25000), 160);
}

static void test_emodel_figures(void **state)
{
	(void)state;
	assert_near(codec_find("g711")->ie, 0, 1e-9);
	assert_near(codec_find("g711")->bpl, 25.1, 1e-9); /* with PLC */
	assert_near(codec_find("g729")->ie, 11, 1e-9);
	assert_near(codec_find("g729")->bpl, 19.0, 1e-9);
	assert_near(codec_find("g722")->ie, 0, 1e-9);
	assert_near(codec_find("g722")->bpl, 25.1, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_payload_types_and_clocks),
		cmocka_unit_test(test_payload_bytes),
		cmocka_unit_test(test_ts_step),
		cmocka_unit_test(test_emodel_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
