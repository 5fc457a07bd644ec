/*
 * tests/unit/test_policy.c - arrival schedule and channel liveness as pure
 * functions of made-up times.
 *
 * Liveness is checked by walking a timeline the way a channel would: ask
 * policy_liveness at the next_us it gave, apply its action (a keepalive or a
 * DPD is a packet sent, so it moves last_tx; a DPD also sets dpd_sent), and
 * let scripted peer events (replies, traffic) move last_rx/last_tx between
 * the questions. The sequence of actions and their times is compared with
 * what OpenConnect does (docs/anyconnect-protocol.md 4.4 and 5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "engine/phone/policy.h"

#define S 1000000ull              /* one second in us */
#define T0 (1000 * S + 123)       /* a clock that does not start at 0 */

/* ==== Arrivals ==== */

static void test_arrival_spacing(void **state)
{
	(void)state;
	assert_int_equal(policy_arrival_us(T0, 0, 10), T0);
	assert_int_equal(policy_arrival_us(T0, 1, 10), T0 + 100000);
	assert_int_equal(policy_arrival_us(T0, 7, 10), T0 + 700000);
	assert_int_equal(policy_arrival_us(0, 1000, 1000), S);
	/* 3/s: 333333.3 us apart, rounded, without drift */
	assert_int_equal(policy_arrival_us(T0, 1, 3), T0 + 333333);
	assert_int_equal(policy_arrival_us(T0, 2, 3), T0 + 666667);
	assert_int_equal(policy_arrival_us(T0, 3, 3), T0 + S);
	assert_int_equal(policy_arrival_us(T0, 30000000, 3), T0 + 10000000 * S);
	/* fractional rates: one every 2 s, one every 8 s */
	assert_int_equal(policy_arrival_us(T0, 1, 0.5), T0 + 2 * S);
	assert_int_equal(policy_arrival_us(T0, 3, 0.5), T0 + 6 * S);
	assert_int_equal(policy_arrival_us(T0, 5, 0.125), T0 + 40 * S);
	/* 250.5/s */
	assert_int_equal(policy_arrival_us(T0, 501, 250.5), T0 + 2 * S);
	/* a large t0 is an offset, not lost in the rounding */
	uint64_t big = 1ull << 52;
	assert_int_equal(policy_arrival_us(big + 1, 1, 4), big + 1 + 250000);
	assert_int_equal(policy_arrival_us(big + 1, 0, 4), big + 1);
}

/* Every arrival is within 1 us of i/rate and the schedule never goes back. */
static void test_arrival_exact_and_monotonic(void **state)
{
	static const double rates[] = {0.3, 1, 7, 33.3, 1000, 12345.678, 1e6};

	(void)state;
	for (unsigned r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		uint64_t prev = 0;

		for (uint64_t i = 0; i < 200000; i += 1 + i / 7) {
			uint64_t at = policy_arrival_us(T0, i, rates[r]);
			double want = (double)T0 + (double)i * 1e6 / rates[r];

			if ((double)at < want - 1 || (double)at > want + 1)
				fail_msg("rate %g/s, phone %llu: due at %llu, expected %.1f",
					 rates[r], (unsigned long long)i, (unsigned long long)at, want);
			if (at < prev)
				fail_msg("rate %g/s: phone %llu due at %llu, before the previous one (%llu)",
					 rates[r], (unsigned long long)i, (unsigned long long)at,
					 (unsigned long long)prev);
			prev = at;
		}
	}
}

/* ==== Liveness: single questions ==== */

static void test_liveness_off(void **state)
{
	struct liveness l = {.last_rx_us = T0, .last_tx_us = T0};
	uint64_t next = 0;

	(void)state;
	assert_int_equal(policy_liveness(&l, T0 + 3600 * S, &next), LIVE_NONE);
	assert_true(next == UINT64_MAX);
}

static void test_liveness_boundaries(void **state)
{
	struct liveness l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30, .keepalive_s = 20};
	uint64_t next = 0;

	(void)state;
	/* nothing due: next is the keepalive */
	assert_int_equal(policy_liveness(&l, T0, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 20 * S);
	assert_int_equal(policy_liveness(&l, T0 + 20 * S - 1, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 20 * S);
	/* keepalive exactly at last_tx + keepalive_s */
	assert_int_equal(policy_liveness(&l, T0 + 20 * S, &next), LIVE_KEEPALIVE);
	if (next != T0 + 30 * S)
		fail_msg("keepalive sent at +20 s, DPD due at +30 s: next_us +%lld us, expected +30 s",
			 (long long)(next - T0));

	/* DPD exactly at last_rx + dpd_s, and it wins over a due keepalive */
	l.last_tx_us = T0;
	assert_int_equal(policy_liveness(&l, T0 + 30 * S - 1, &next), LIVE_KEEPALIVE);
	assert_int_equal(policy_liveness(&l, T0 + 30 * S, &next), LIVE_DPD);
	/* after the DPD (a packet sent): repeat at dpd/2, keepalive 20 s after it */
	assert_int_equal(next, T0 + 45 * S);

	/* outstanding DPD: not repeated before dpd/2 */
	l.last_tx_us = l.dpd_sent_us = T0 + 30 * S;
	assert_int_equal(policy_liveness(&l, T0 + 45 * S - 1, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 45 * S);
	assert_int_equal(policy_liveness(&l, T0 + 45 * S, &next), LIVE_DPD);

	/* DEAD at 2 x dpd of silence, winning over a DPD due at the same time */
	l.last_tx_us = l.dpd_sent_us = T0 + 45 * S;
	assert_int_equal(policy_liveness(&l, T0 + 60 * S - 1, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 60 * S);
	assert_int_equal(policy_liveness(&l, T0 + 60 * S, &next), LIVE_DEAD);
	assert_int_equal(policy_liveness(&l, T0 + 600 * S, &next), LIVE_DEAD);

	/* an answer (anything received after the DPD) ends the DPD */
	l.last_rx_us = T0 + 46 * S;
	assert_int_equal(policy_liveness(&l, T0 + 60 * S, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 65 * S); /* keepalive: 20 s after the last DPD sent */
	l.last_tx_us = T0 + 60 * S;
	assert_int_equal(policy_liveness(&l, T0 + 60 * S, &next), LIVE_NONE);
	assert_int_equal(next, T0 + 76 * S); /* DPD: 30 s after the answer */
}

/* ==== Liveness: timelines ==== */

struct step {
	enum live_action act;
	uint64_t at; /* us after T0 */
};

enum peer_ev_kind { EV_RX, EV_TX };
struct peer_ev {
	uint64_t at; /* us after T0 */
	enum peer_ev_kind kind;
};

struct sim {
	struct liveness l;
	uint64_t start, now, end; /* start, end: us after T0 */
	uint64_t dpd_reply_delay; /* 0: the peer never answers DPDs */
	unsigned replies_to_drop;  /* the first N DPDs are lost */
	const struct peer_ev *evs; /* scripted traffic, sorted by time */
	unsigned n_evs;
	struct step got[64];
	unsigned n_got;
	unsigned polls;
	uint64_t reply_at; /* pending DPD reply, 0 if none */
};

static const char *act_name(enum live_action a)
{
	switch (a) {
	case LIVE_NONE:
		return "NONE";
	case LIVE_KEEPALIVE:
		return "KEEPALIVE";
	case LIVE_DPD:
		return "DPD";
	case LIVE_DEAD:
		return "DEAD";
	}
	return "?";
}

static void run_sim(struct sim *s)
{
	uint64_t next = T0 + s->start;
	unsigned ev = 0;

	s->now = next;
	while (s->n_got < 64) {
		uint64_t t = next;
		uint64_t e_at = ev < s->n_evs ? T0 + s->evs[ev].at : UINT64_MAX;

		if (s->reply_at && s->reply_at < e_at)
			e_at = s->reply_at;
		if (e_at <= t) {
			/* a packet arrives (or the app sends one) before the next question */
			s->now = e_at;
			if (s->reply_at == e_at) {
				s->l.last_rx_us = e_at;
				s->reply_at = 0;
			} else {
				if (s->evs[ev].kind == EV_RX)
					s->l.last_rx_us = e_at;
				else
					s->l.last_tx_us = e_at;
				ev++;
			}
			continue;
		}
		if (t == UINT64_MAX || t > T0 + s->end)
			break;
		s->now = t;
		s->polls++;
		enum live_action a = policy_liveness(&s->l, s->now, &next);

		if (a != LIVE_NONE) {
			s->got[s->n_got].act = a;
			s->got[s->n_got].at = s->now - T0;
			s->n_got++;
		}
		if (a == LIVE_DEAD)
			break;
		if (next <= s->now)
			fail_msg("at +%llu us after %s: next_us +%lld is not in the future",
				 (unsigned long long)(s->now - T0), act_name(a),
				 (long long)(next - T0));
		if (a == LIVE_KEEPALIVE || a == LIVE_DPD)
			s->l.last_tx_us = s->now;
		if (a == LIVE_DPD) {
			s->l.dpd_sent_us = s->now;
			if (s->replies_to_drop)
				s->replies_to_drop--;
			else if (s->dpd_reply_delay)
				s->reply_at = s->now + s->dpd_reply_delay;
		}
	}
}

static void expect_steps(const char *what, const struct sim *s, const struct step *want,
			 unsigned n)
{
	char got[1024], exp[1024];
	size_t g = 0, e = 0;
	bool same = s->n_got == n;

	for (unsigned i = 0; i < s->n_got && g < sizeof(got) - 40; i++)
		g += (size_t)snprintf(got + g, sizeof(got) - g, " %s@%.1fs", act_name(s->got[i].act),
				      (double)s->got[i].at / S);
	for (unsigned i = 0; i < n && e < sizeof(exp) - 40; i++) {
		e += (size_t)snprintf(exp + e, sizeof(exp) - e, " %s@%.1fs", act_name(want[i].act),
				      (double)want[i].at / S);
		if (i < s->n_got && (s->got[i].act != want[i].act || s->got[i].at != want[i].at))
			same = false;
	}
	got[g] = exp[e] = 0;
	if (!same)
		fail_msg("%s:\n  expected%s\n  got     %s", what, exp, got);
}

#define EXPECT(what, s, ...)                                                                   \
	do {                                                                                   \
		static const struct step want_[] = {__VA_ARGS__};                              \
		expect_steps(what, s, want_, sizeof(want_) / sizeof(want_[0]));                \
	} while (0)

/* A headend that goes silent: DPD at dpd, repeated at dpd/2, dead at 2 x dpd. */
static void test_timeline_silent_dpd_only(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30}, .end = 1000 * S};

	(void)state;
	run_sim(&s);
	EXPECT("silent peer, dpd 30 s", &s, {LIVE_DPD, 30 * S}, {LIVE_DPD, 45 * S},
	       {LIVE_DEAD, 60 * S});
	/* asked only when something is due */
	assert_int_equal(s.polls, 4); /* t0, 30, 45, 60 */
}

static void test_timeline_silent_with_keepalive(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30, .keepalive_s = 20},
			.end = 1000 * S};

	(void)state;
	run_sim(&s);
	EXPECT("silent peer, dpd 30 s, keepalive 20 s", &s, {LIVE_KEEPALIVE, 20 * S},
	       {LIVE_DPD, 30 * S}, {LIVE_DPD, 45 * S}, {LIVE_DEAD, 60 * S});
	if (s.polls != 5)
		fail_msg("silent peer: policy asked %u times for 4 actions plus the first look; "
			 "next_us woke the channel for nothing",
			 s.polls);
}

/* An odd DPD (DTLS, X-DTLS-DPD: 31): repeats every 15.5 s. */
static void test_timeline_odd_dpd(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 31}, .end = 1000 * S};

	(void)state;
	run_sim(&s);
	EXPECT("silent peer, dpd 31 s", &s, {LIVE_DPD, 31 * S}, {LIVE_DPD, 46500000},
	       {LIVE_DEAD, 62 * S});
}

/* The headend answers every DPD after 1 s: a DPD every 31 s, never dead. */
static void test_timeline_dpd_answered(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30},
			.end = 100 * S,
			.dpd_reply_delay = S};

	(void)state;
	run_sim(&s);
	EXPECT("peer answers after 1 s", &s, {LIVE_DPD, 30 * S}, {LIVE_DPD, 61 * S},
	       {LIVE_DPD, 92 * S});
}

/* The first DPD is lost, the repeat answered: next DPD 30 s after that answer. */
static void test_timeline_dpd_lost_once(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30},
			.end = 120 * S,
			.dpd_reply_delay = S,
			.replies_to_drop = 1};

	(void)state;
	run_sim(&s);
	EXPECT("first DPD lost", &s, {LIVE_DPD, 30 * S}, {LIVE_DPD, 45 * S}, {LIVE_DPD, 76 * S},
	       {LIVE_DPD, 107 * S});
}

/* Traffic both ways more often than either timer: nothing to do, ever. */
static void test_timeline_busy(void **state)
{
	static struct peer_ev evs[200];
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 30, .keepalive_s = 20},
			.end = 500 * S,
			.evs = evs,
			.n_evs = 200};

	(void)state;
	for (int i = 0; i < 200; i++) {
		evs[i].at = (uint64_t)(i / 2 + 1) * 5 * S + (i % 2) * 7;
		evs[i].kind = i % 2 ? EV_TX : EV_RX;
	}
	run_sim(&s);
	if (s.n_got)
		fail_msg("traffic every 5 s both ways, dpd 30, keepalive 20: got %s at +%llu us",
			 act_name(s.got[0].act), (unsigned long long)s.got[0].at);
	/* traffic stops at 500 s: keepalive at 520 s, DPD at 530 s ... */
	s.start = 500 * S + 7;
	s.end = 600 * S;
	s.n_evs = 0;
	run_sim(&s);
	EXPECT("traffic stops at +500 s", &s, {LIVE_KEEPALIVE, 520 * S + 7}, {LIVE_DPD, 530 * S},
	       {LIVE_DPD, 545 * S}, {LIVE_DEAD, 560 * S});
}

/* Receiving does not hold off keepalives; sending holds them off. */
static void test_timeline_keepalive_only(void **state)
{
	static const struct peer_ev evs[] = {
	    {10 * S, EV_RX}, {25 * S, EV_TX}, {50 * S, EV_RX}, {52 * S, EV_RX}};
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .keepalive_s = 20},
			.end = 90 * S,
			.evs = evs,
			.n_evs = 4};

	(void)state;
	run_sim(&s);
	EXPECT("keepalive 20 s, app sends at 25 s", &s, {LIVE_KEEPALIVE, 20 * S},
	       {LIVE_KEEPALIVE, 45 * S}, {LIVE_KEEPALIVE, 65 * S}, {LIVE_KEEPALIVE, 85 * S});
}

/* DPD shorter than keepalive (ocserv's mobile values): DPD carries the liveness. */
static void test_timeline_dpd_shorter(void **state)
{
	struct sim s = {.l = {.last_rx_us = T0, .last_tx_us = T0, .dpd_s = 10, .keepalive_s = 32},
			.end = 200 * S,
			.dpd_reply_delay = 200000};

	(void)state;
	run_sim(&s);
	/* each DPD (a packet sent) holds the keepalive off */
	EXPECT("dpd 10 s answered in 0.2 s, keepalive 32 s", &s, {LIVE_DPD, 10 * S},
	       {LIVE_DPD, 20200000}, {LIVE_DPD, 30400000}, {LIVE_DPD, 40600000},
	       {LIVE_DPD, 50800000}, {LIVE_DPD, 61 * S}, {LIVE_DPD, 71200000},
	       {LIVE_DPD, 81400000}, {LIVE_DPD, 91600000}, {LIVE_DPD, 101800000},
	       {LIVE_DPD, 112 * S}, {LIVE_DPD, 122200000}, {LIVE_DPD, 132400000},
	       {LIVE_DPD, 142600000}, {LIVE_DPD, 152800000}, {LIVE_DPD, 163 * S},
	       {LIVE_DPD, 173200000}, {LIVE_DPD, 183400000}, {LIVE_DPD, 193600000});
}

/* OpenConnect's reconnect pacing: 10 s, then +10 s each time, at most 100 s. */
static void test_backoff(void **state)
{
	const uint64_t step = 10000000;

	(void)state;
	assert_int_equal(policy_backoff_us(0, step), 10000000);
	assert_int_equal(policy_backoff_us(1, step), 20000000);
	assert_int_equal(policy_backoff_us(8, step), 90000000);
	assert_int_equal(policy_backoff_us(9, step), 100000000);
	assert_int_equal(policy_backoff_us(10, step), 100000000);
	assert_int_equal(policy_backoff_us(250, step), 100000000);
	assert_int_equal(policy_backoff_us(2, 1000), 3000);
}

static void test_reconnect_policy(void **state)
{
	(void)state;
	/* after a drop the phone comes back; after the headend's DISCONNECT it stays down */
	assert_true(policy_reconnect(RECONNECT_ON_DROP, false));
	assert_false(policy_reconnect(RECONNECT_ON_DROP, true));
	assert_true(policy_reconnect(RECONNECT_ALWAYS, true));
	assert_true(policy_reconnect(RECONNECT_ALWAYS, false));
	assert_false(policy_reconnect(RECONNECT_NEVER, false));
	assert_false(policy_reconnect(RECONNECT_NEVER, true));
}

/* ==== Which phones an action takes, and when ==== */

static uint32_t count_selected(const struct phone_sel *s, uint32_t from, uint32_t to)
{
	uint32_t n = 0;

	for (uint32_t i = from; i < to; i++)
		n += policy_selected(s, i);
	return n;
}

static void test_selection_share_is_exact_and_even(void **state)
{
	struct phone_sel s = {.fraction = 0.3};

	(void)state;
	/* floor(n * f) of the first n phones, for every n: exact, and evenly spread */
	for (uint32_t n = 1; n <= 1000; n++)
		assert_int_equal(count_selected(&s, 0, n), (uint32_t)floor(n * 0.3));
	/* any stretch of 100 holds 30, give or take one */
	for (uint32_t a = 0; a < 900; a += 37) {
		uint32_t k = count_selected(&s, a, a + 100);
		assert_true(k >= 29 && k <= 31);
	}
	s.fraction = 1;
	assert_int_equal(count_selected(&s, 0, 500), 500);
	s.fraction = 0;
	assert_int_equal(count_selected(&s, 0, 500), 0);
}

static void test_selection_ranges(void **state)
{
	struct phone_sel s = {.fraction = 1, .n_ranges = 2, .lo = {0, 100}, .hi = {9, 100}};

	(void)state;
	assert_int_equal(count_selected(&s, 0, 1000), 11);
	assert_true(policy_selected(&s, 9));
	assert_false(policy_selected(&s, 10));
	assert_true(policy_selected(&s, 100));
	assert_false(policy_selected(&s, 101));
	/* a share within the ranges */
	s.fraction = 0.5;
	s.n_ranges = 1;
	s.lo[0] = 0;
	s.hi[0] = 99;
	assert_int_equal(count_selected(&s, 0, 1000), 50);
}

static void test_spread_covers_the_window(void **state)
{
	uint32_t buckets[10] = {0};

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		uint64_t t = policy_spread_us(i, 10000000);

		assert_true(t < 10000000);
		buckets[t / 1000000]++;
	}
	/* each second of a 10 s spread gets about a tenth of the phones */
	for (int b = 0; b < 10; b++)
		assert_true(buckets[b] >= 95 && buckets[b] <= 105);
	assert_int_equal(policy_spread_us(7, 0), 0);
}

/* The headend's rekey timer: due at since + time, method as told; off when told none. */
static void test_rekey(void **state)
{
	uint64_t next;

	(void)state;
	assert_int_equal(policy_rekey(REKEY_NEW_TUNNEL, 3600, 5000000, 5000000, &next), REKEY_NONE);
	assert_int_equal(next, 3605000000ull);
	assert_int_equal(policy_rekey(REKEY_NEW_TUNNEL, 3600, 5000000, 3604999999ull, &next),
			 REKEY_NONE);
	assert_int_equal(policy_rekey(REKEY_NEW_TUNNEL, 3600, 5000000, 3605000000ull, &next),
			 REKEY_NEW_TUNNEL);
	assert_int_equal(policy_rekey(REKEY_SSL, 60, 0, 61000000, &next), REKEY_SSL);
	assert_int_equal(next, 60000000);
	/* counted from the last rekey */
	assert_int_equal(policy_rekey(REKEY_SSL, 60, 61000000, 62000000, &next), REKEY_NONE);
	assert_int_equal(next, 121000000);
	assert_int_equal(policy_rekey(REKEY_NONE, 60, 0, 1ull << 40, &next), REKEY_NONE);
	assert_int_equal(next, UINT64_MAX);
	assert_int_equal(policy_rekey(REKEY_SSL, 0, 0, 1ull << 40, &next), REKEY_NONE);
	assert_int_equal(next, UINT64_MAX);
}

/* An end for idleness only once the idle time has run since the last data. */
static void test_idle_end(void **state)
{
	(void)state;
	/* ASA default 30 minutes */
	assert_false(policy_idle_end(1800, 0, 1798000000ull));
	assert_true(policy_idle_end(1800, 0, 1799000000ull));
	assert_true(policy_idle_end(1800, 0, 1860000000ull));
	assert_false(policy_idle_end(1800, 1000000000ull, 2000000000ull));
	/* no idle timeout given, or data after the end (another clock) */
	assert_false(policy_idle_end(0, 0, 1ull << 40));
	assert_false(policy_idle_end(6, 9000000, 8000000));
	assert_true(policy_idle_end(6, 2000000, 8000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arrival_spacing),
	    cmocka_unit_test(test_selection_share_is_exact_and_even),
	    cmocka_unit_test(test_selection_ranges),
	    cmocka_unit_test(test_spread_covers_the_window),
	    cmocka_unit_test(test_arrival_exact_and_monotonic),
	    cmocka_unit_test(test_liveness_off),
	    cmocka_unit_test(test_liveness_boundaries),
	    cmocka_unit_test(test_timeline_silent_dpd_only),
	    cmocka_unit_test(test_timeline_silent_with_keepalive),
	    cmocka_unit_test(test_timeline_odd_dpd),
	    cmocka_unit_test(test_timeline_dpd_answered),
	    cmocka_unit_test(test_timeline_dpd_lost_once),
	    cmocka_unit_test(test_timeline_busy),
	    cmocka_unit_test(test_timeline_keepalive_only),
	    cmocka_unit_test(test_timeline_dpd_shorter),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_reconnect_policy),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_idle_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
