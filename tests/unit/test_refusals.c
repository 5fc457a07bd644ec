/*
 * tests/unit/test_refusals.c - report/refusals: the commonest refusals of a
 * run, counted by reason and detail, with the headend's words kept apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "report/refusals.h"

static struct failure_rec rec(enum reason r, int d, const char *said, const char *how)
{
	struct failure_facts f = {.reason = r, .detail = d, .host = "asa", .path = "/phone",
				  .timer_s = 30, .said = said, .said_how = how, .phase = FP_CSTP};
	struct failure_rec x;

	memset(&x, 0, sizeof(x));
	x.reason = (uint8_t)r;
	x.phase = FP_CSTP;
	failure_fill(&x, &f);
	return x;
}

static void test_counts(void **state)
{
	static struct refusals t;
	const struct refusal_line *top[5];
	struct failure_rec a = rec(R_TUNNEL_REFUSED, 503, "No address", "X-Reason");
	struct failure_rec b = rec(R_AUTH_FAILED, 200, "Login failed.", "<message>");
	struct failure_rec c = rec(R_TUNNEL_REFUSED, 503, "Licence", "X-Reason");
	char words[200];

	(void)state;
	refusals_init(&t);
	for (int i = 0; i < 5; i++)
		assert_true(refusals_add(&t, &a));
	for (int i = 0; i < 2; i++)
		assert_true(refusals_add(&t, &b));
	assert_true(refusals_add(&t, &c));
	/* the phone's own checks are not refusals; a headend that ended a session with words is */
	struct failure_rec h = rec(R_CERT_HASH, 0, NULL, NULL);
	struct failure_rec d = rec(R_CLOSED_BY_HEADEND, 5, "Idle timeout", "DISCONNECT");

	assert_false(refusals_add(&t, &h));
	assert_true(refusals_add(&t, &d));
	assert_int_equal(t.total, 9);
	assert_int_equal(refusals_top(&t, top, 5), 4);
	assert_int_equal(top[0]->count, 5);
	assert_string_equal(top[0]->detail, a.detail);
	assert_int_equal(top[1]->count, 2);
	assert_int_equal(top[1]->reason, R_AUTH_FAILED);
	/* equal counts: in the order first seen */
	assert_ptr_equal(top[2], &t.line[2]);
	assert_ptr_equal(top[3], &t.line[3]);
	assert_int_equal(refusals_top(&t, top, 1), 1);

	/* the words of the commonest refusal of a reason, with their source */
	assert_int_equal(refusals_words(&t, R_TUNNEL_REFUSED, words, sizeof(words)),
			 strlen("X-Reason \"No address\""));
	assert_string_equal(words, "X-Reason \"No address\"");
	refusals_words(&t, R_AUTH_FAILED, words, sizeof(words));
	assert_string_equal(words, "<message> \"Login failed.\"");
	assert_int_equal(refusals_words(&t, R_TCP_REFUSED, words, sizeof(words)), 0);
	assert_string_equal(words, "");
	refusals_words(&t, R_TUNNEL_REFUSED, words, 9);
	assert_string_equal(words, "X-Reason");
}

static void test_full(void **state)
{
	static struct refusals t;
	const struct refusal_line *top[3];
	char said[32];

	(void)state;
	refusals_init(&t);
	for (int i = 0; i < REFUSALS_MAX + 8; i++) {
		snprintf(said, sizeof(said), "reason %d", i);
		struct failure_rec r = rec(R_TUNNEL_REFUSED, 503, said, "X-Reason");

		refusals_add(&t, &r);
		if (i == REFUSALS_MAX + 7) /* a late one that comes often is counted, not kept */
			for (int k = 0; k < 10; k++)
				refusals_add(&t, &r);
	}
	assert_int_equal(t.n, REFUSALS_MAX);
	assert_int_equal(t.total, REFUSALS_MAX + 8 + 10);
	assert_int_equal(t.other, 8 + 10);
	assert_int_equal(refusals_top(&t, top, 3), 3);
	assert_int_equal(top[0]->count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
