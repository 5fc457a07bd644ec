/*
 * tests/unit/test_p2p.c - the board of phone-to-phone calls (engine/voice/p2p.c):
 * pairing, where a phone is, call numbers, and the claim that has exactly
 * one end of each call score it, the second, with the first's account,
 * even when the two ends finish at the same moment on two threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "engine/voice/p2p.h"

#define T0 5000000000ull

static void test_pairs(void **state)
{
	(void)state;
	assert_int_equal(p2p_peer(0, 4), 1);
	assert_int_equal(p2p_peer(1, 4), 0);
	assert_int_equal(p2p_peer(3, 4), 2);
	assert_int_equal(p2p_peer(4, 5), P2P_NONE); /* odd count: the last has nobody */
	assert_int_equal(p2p_peer(3, 5), 2);
	assert_true(p2p_is_caller(0));
	assert_false(p2p_is_caller(1));
	assert_true(p2p_is_caller(4));
}

static void test_where(void **state)
{
	struct p2p_board *b = p2p_board_new(4, T0);
	struct in_addr a, got;
	uint64_t up;

	(void)state;
	assert_non_null(b);
	assert_false(p2p_where(b, 2, &got, &up));
	inet_pton(AF_INET, "198.19.7.9", &a);
	p2p_set_up(b, 2, a, T0 + 1234567);
	assert_true(p2p_where(b, 2, &got, &up));
	assert_int_equal(got.s_addr, a.s_addr);
	assert_int_equal(up, T0 + 1234000); /* kept to the millisecond */
	p2p_set_up(b, 3, a, T0);            /* up at the very start is still up */
	assert_true(p2p_where(b, 3, &got, &up));
	assert_int_equal(up, T0);
	p2p_set_down(b, 2);
	assert_false(p2p_where(b, 2, &got, &up));
	assert_true(p2p_call_id(b, T0) != 0);
	assert_int_equal(p2p_call_id(b, T0 + 20000), p2p_call_id(b, T0 + 20999));
	assert_true(p2p_call_id(b, T0 + 21000) != p2p_call_id(b, T0 + 20000));
	p2p_board_free(b);
}

static void test_finish(void **state)
{
	struct p2p_board *b = p2p_board_new(5, T0);
	struct p2p_half a = {.call = 7, .sent = 100, .received = 98, .late = 1, .delay_us = 900},
			c = {.call = 7, .sent = 99, .received = 97, .late = 2, .delay_us = 1100,
			     .cut_us = T0 + 5},
			got = {0};

	(void)state;
	assert_false(p2p_finish(b, 1, &c, &got)); /* the callee first */
	assert_true(p2p_finish(b, 0, &a, &got));  /* the caller second: it scores */
	assert_int_equal(got.call, 7);
	assert_int_equal(got.sent, 99);
	assert_int_equal(got.received, 97);
	assert_int_equal(got.late, 2);
	assert_int_equal(got.delay_us, 1100);
	assert_int_equal(got.cut_us, T0 + 5);
	/* the next call: the caller first this time */
	a.call = c.call = 8;
	assert_false(p2p_finish(b, 0, &a, &got));
	assert_true(p2p_finish(b, 1, &c, &got));
	assert_int_equal(got.sent, 100);
	/* a call the peer never was in: the one end is first, nobody scores */
	a.call = 9;
	assert_false(p2p_finish(b, 0, &a, &got));
	c.call = 10; /* and the peer's next call does not match it */
	assert_false(p2p_finish(b, 1, &c, &got));
	/* the phone without a peer */
	a.call = 11;
	assert_false(p2p_finish(b, 4, &a, &got));
	p2p_board_free(b);
}

/*
 * Two threads, the two ends, finish the same 100,000 calls, meeting before
 * each so that they finish it at the same moment: each call is scored once,
 * by one end, with the other's account.
 */
#define CALLS 100000u
static unsigned arrived;
struct end {
	struct p2p_board *b;
	uint32_t idx;
	uint32_t scored, bad;
};

static void *finish_all(void *arg)
{
	struct end *e = arg;

	for (uint32_t c = 1; c <= CALLS; c++) {
		struct p2p_half mine = {.call = c, .sent = c * 2u + e->idx}, peer;

		__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < 2 * c)
			;
		if (p2p_finish(e->b, e->idx, &mine, &peer)) {
			e->scored++;
			if (peer.sent != c * 2u + (e->idx ^ 1u))
				e->bad++;
		}
	}
	return NULL;
}

static void test_finish_race(void **state)
{
	struct p2p_board *b = p2p_board_new(2, T0);
	struct end e[2] = {{.b = b, .idx = 0}, {.b = b, .idx = 1}};
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, finish_all, &e[1]), 0);
	finish_all(&e[0]);
	pthread_join(t, NULL);
	assert_int_equal(e[0].bad + e[1].bad, 0);
	assert_int_equal(e[0].scored + e[1].scored, CALLS);
	p2p_board_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_finish_race),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
