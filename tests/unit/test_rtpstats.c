/*
 * tests/unit/test_rtpstats.c - receiver statistics of one RTP stream
 * (engine/voice/rtpstats.c), fed made-up streams whose figures are known.
 *
 * The streams are g711 at 20 ms: 160 timestamp units and 20,000 us apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "engine/voice/rtpstats.h"

#define assert_near(got, want, tol)                                                         \
	do {                                                                                \
		double g_ = (got), w_ = (want);                                             \
		if (!(fabs(g_ - w_) <= (tol)))                                              \
			fail_msg("%s = %.9g, expected %.9g +/- %g", #got, g_, w_, (double)(tol)); \
	} while (0)

#define T0    (1000000000ull + 7) /* receiver clock at the first arrival, us */
#define PT_US 20000u              /* packet interval, us */
#define STEP  160u                /* timestamp units per packet */
#define TS0   0xfffff000u         /* first timestamp, near the 32-bit wrap */
#define NET   15000u              /* base network delay, us */

/* Packet i of the stream, arriving its nominal time plus extra_us. */
static void feed(struct rtpstats *s, uint16_t seq0, uint32_t i, int64_t extra_us)
{
	uint64_t sent = T0 - NET + (uint64_t)i * PT_US;

	rtpstats_packet(s, (uint16_t)(seq0 + i), TS0 + i * STEP,
			(uint64_t)((int64_t)(sent + NET) + extra_us), sent);
}

static void test_clean_stream(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 1000; i++)
		feed(&s, 100, i, 0);
	assert_int_equal(s.received, 1000);
	assert_int_equal(rtpstats_expected(&s), 1000);
	assert_int_equal(rtpstats_lost(&s), 0);
	assert_int_equal(rtpstats_lost_rfc(&s), 0);
	assert_int_equal(s.duplicates, 0);
	assert_int_equal(s.reordered, 0);
	assert_int_equal(s.late, 0);
	assert_near(s.jitter, 0, 0);
	assert_near(rtpstats_jitter_us(&s), 0, 0);
	assert_near(rtpstats_loss_percent(&s), 0, 0);
	assert_int_equal(s.delay_count, 1000);
	assert_near(rtpstats_delay_mean_us(&s), NET, 1e-9);
	assert_int_equal(s.delay_min_us, NET);
	assert_int_equal(s.delay_max_us, NET);
}

/*
 * Arrivals alternately X early and X late: every |D| is 2X, so after n
 * packets J = 2X (1 - (15/16)^(n-1)) (RFC 3550 A.8 from J = 0), tending
 * to 2X. X = 5 ms = 40 timestamp units: J -> 80 units = 10 ms.
 */
static void test_constant_jitter(void **state)
{
	const int64_t x = 5000;
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 10; i++)
		feed(&s, 0, i, i % 2 ? x : -x);
	assert_near(s.jitter, 80 * (1 - pow(15.0 / 16, 9)), 1e-9);
	for (uint32_t i = 10; i < 2000; i++)
		feed(&s, 0, i, i % 2 ? x : -x);
	assert_near(s.jitter, 80, 1e-6);
	assert_near(rtpstats_jitter_us(&s), 10000, 1e-3);
	/* one-way delay: 15 ms +/- 5 ms */
	assert_int_equal(s.delay_min_us, NET - x);
	assert_int_equal(s.delay_max_us, NET + x);
	assert_near(rtpstats_delay_mean_us(&s), NET, 1e-9);
	/* 10 ms late at most against a 60 ms buffer anchored 5 ms early: none late */
	assert_int_equal(s.late, 0);
}

/* Every 20th packet lost (i % 20 == 7): 5%, and jitter stays 0 across the gaps. */
static void test_five_percent_loss(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 2000; i++)
		if (i % 20 != 7)
			feed(&s, 1000, i, 0);
	assert_int_equal(rtpstats_expected(&s), 2000);
	assert_int_equal(s.received, 1900);
	assert_int_equal(rtpstats_lost(&s), 100);
	assert_near(rtpstats_loss_percent(&s), 5.0, 1e-9);
	assert_near(s.jitter, 0, 0);
	assert_int_equal(s.reordered, 0);
	/* lost at the end is not yet known to be lost: expected stops at the highest seen */
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 10; i++)
		feed(&s, 0, i, 0);
	assert_int_equal(rtpstats_expected(&s), 10);
}

/* 65533, 65534, 65535, 0, 1, ... : one stream, no loss, across the wrap (twice). */
static void test_sequence_wrap(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 140000; i++)
		feed(&s, 65533, i, 0);
	assert_int_equal(rtpstats_expected(&s), 140000);
	assert_int_equal(rtpstats_lost(&s), 0);
	assert_int_equal(s.reordered, 0);
	assert_int_equal(s.duplicates, 0);
	/* and a loss right at the wrap: 65535 missing */
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 10; i++)
		if ((uint16_t)(65530 + i) != 65535)
			feed(&s, 65530, i, 0);
	assert_int_equal(rtpstats_expected(&s), 10);
	assert_int_equal(rtpstats_lost(&s), 1);
	/* a packet from before the wrap arriving after it is reordered, not a new cycle */
	rtpstats_init(&s, 8000, 60000);
	feed(&s, 65534, 0, 0); /* 65534 */
	feed(&s, 65534, 2, 0); /* 0 */
	feed(&s, 65534, 1, 0); /* 65535, late by two */
	assert_int_equal(rtpstats_expected(&s), 3);
	assert_int_equal(rtpstats_lost(&s), 0);
	assert_int_equal(s.reordered, 1);
}

static void test_reorder_and_duplicates(void **state)
{
	const uint32_t order[] = {0, 1, 3, 2, 4, 4, 5, 2, 7, 6, 8, 8, 8, 9};
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		feed(&s, 500, order[k], 0);
	assert_int_equal(s.received, 14);
	assert_int_equal(rtpstats_expected(&s), 10);
	assert_int_equal(s.duplicates, 4); /* 4, 2, 8, 8 */
	assert_int_equal(s.reordered, 2);  /* 2 after 3, 6 after 7 */
	assert_int_equal(rtpstats_lost_rfc(&s), -4);
	assert_int_equal(rtpstats_lost(&s), 0);

	/* duplicates do not hide a loss: 3 lost, 3 duplicated */
	const uint32_t lossy[] = {0, 1, 1, 2, 2, 4, 4, 5, 8, 9};
	rtpstats_init(&s, 8000, 60000);
	for (size_t k = 0; k < sizeof(lossy) / sizeof(lossy[0]); k++)
		feed(&s, 0, lossy[k], 0);
	assert_int_equal(rtpstats_expected(&s), 10);
	assert_int_equal(s.duplicates, 3);
	assert_int_equal(rtpstats_lost_rfc(&s), 0);
	assert_int_equal(rtpstats_lost(&s), 3);
	assert_near(rtpstats_loss_percent(&s), 30, 1e-9);

	/* a repeat 99 behind the highest, in a stream of 1,100, is still a duplicate */
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 1100; i++)
		feed(&s, 0, i, 0);
	feed(&s, 0, 1099 - 99, 0); /* within MAX_MISORDER */
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.reordered, 0);
}

/*
 * A 60 ms buffer: packet i is played at T0 + 20 ms i + 60 ms. Arrivals
 * 59 ms late are in time, 61 ms late are not, and so is a packet that
 * comes behind a later one (reordered) yet too late. The anchor is the
 * first arrival, so a first packet itself 30 ms late moves it.
 */
static void test_late(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	feed(&s, 0, 0, 0);
	feed(&s, 0, 1, 59000);
	feed(&s, 0, 2, 60000); /* exactly at its playout time: in time */
	feed(&s, 0, 3, 61000);
	feed(&s, 0, 5, 0);
	feed(&s, 0, 4, 70000); /* reordered and late */
	feed(&s, 0, 6, 0);
	assert_int_equal(s.late, 2);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(rtpstats_lost(&s), 0);

	rtpstats_init(&s, 8000, 60000);
	feed(&s, 0, 0, 30000); /* playout is anchored 30 ms late */
	feed(&s, 0, 1, 89000);
	feed(&s, 0, 2, 91000);
	assert_int_equal(s.late, 1);
	/* with no buffer, anything behind the first packet's pace is late */
	rtpstats_init(&s, 8000, 0);
	feed(&s, 0, 0, 0);
	feed(&s, 0, 1, 1);
	feed(&s, 0, 2, 0);
	assert_int_equal(s.late, 1);
}

/*
 * RFC 3550 A.1: a jump of more than MAX_DROPOUT is ignored once; if the
 * next packet follows it, the sender restarted and counting goes on from
 * there without losing what came before.
 */
static void test_jump_and_restart(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 10; i++)
		feed(&s, 0, i, 0);
	feed(&s, 0, 20000, 0); /* one stray packet */
	assert_int_equal(s.stray, 1);
	assert_int_equal(s.received, 10);
	feed(&s, 0, 10, 0);
	assert_int_equal(rtpstats_expected(&s), 11);
	assert_int_equal(rtpstats_lost(&s), 0);

	/* a restart at 30000: the stray packet and its follower start a new count */
	feed(&s, 0, 30000, 0);
	feed(&s, 0, 30001, 0);
	feed(&s, 0, 30003, 0);
	assert_int_equal(s.restarts, 1);
	assert_int_equal(s.stray, 1);
	assert_int_equal(s.received, 14);
	assert_int_equal(rtpstats_expected(&s), 11 + 4);
	assert_int_equal(rtpstats_lost(&s), 1);
	/* a jump of up to MAX_DROPOUT is loss */
	feed(&s, 0, 30003 + 2999, 0);
	assert_int_equal(rtpstats_lost(&s), 1 + 2998);
}

/* The timestamp wraps at 2^32 (TS0 is near it) and the jitter does not notice. */
static void test_timestamp_wrap(void **state)
{
	struct rtpstats s;

	(void)state;
	rtpstats_init(&s, 8000, 60000);
	for (uint32_t i = 0; i < 100; i++) /* TS0 + 26 x 160 wraps */
		feed(&s, 0, i, 0);
	assert_near(s.jitter, 0, 0);
	assert_int_equal(s.late, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_stream),
		cmocka_unit_test(test_constant_jitter),
		cmocka_unit_test(test_five_percent_loss),
		cmocka_unit_test(test_sequence_wrap),
		cmocka_unit_test(test_reorder_and_duplicates),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_jump_and_restart),
		cmocka_unit_test(test_timestamp_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
