/*
 * tests/unit/test_exchange.c - engine/phone/exchange: a reply framed and
 * decoded in the phone's own input buffer as its bytes trickle in.
 *
 * A phone without a worker is enough for the paths that do not fail: the
 * replies here are whole and well-formed, fed a byte at a time and in one
 * piece; the failures (a chunk size that lies, a body past its limit, a
 * head of 10,000 lines) are test_phone's (test_login_malformed_framing)
 * and the lab's (tests/lab/test_asa_headend.sh), where a phone has a
 * worker to fail on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/phone/phone_internal.h"

/* A reply as an ASA sends its aggregate-auth answers (chunked, its head), then the next one. */
static const char asa_reply[] = "HTTP/1.1 200 OK\r\n"
				"Content-Type: text/html; charset=utf-8\r\n"
				"Transfer-Encoding: chunked\r\n"
				"Connection: Keep-Alive\r\n"
				"X-Aggregate-Auth: 1\r\n"
				"\r\n"
				"1\r\n<\r\n"
				"10\r\n?xml version=\"1.\r\n"
				"4;ext=1\r\n0\"?>\r\n"
				"0\r\n"
				"X-Trailer: x\r\n"
				"\r\n";
static const char next_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char body[] = "<?xml version=\"1.0\"?>";

static void phone_with(struct phone *p, enum phone_state s)
{
	memset(p, 0, sizeof(*p));
	p->state = (uint8_t)s;
	p->icap = IBUF_MAX;
	p->ibuf = malloc(p->icap);
	assert_non_null(p->ibuf);
}

/* Feed s[0..n) step bytes at a time; the reply's length once whole, else 0. */
static int feed(struct phone *p, const char *s, size_t n, size_t step, struct http_response *r,
		int *hl)
{
	int total = 0;

	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;

		memcpy(p->ibuf + p->ilen, s + i, k);
		p->ilen += (uint32_t)k;
		if (!total)
			total = exchange_reply(NULL, p, r, hl);
		assert_true(total >= 0);
	}
	return total;
}

static void test_chunked_in_place(void **state)
{
	static const size_t steps[] = {1, 3, 7, 1000};
	char all[512];
	struct phone p;
	struct http_response r;
	int hl = 0, total;
	size_t head = strstr(asa_reply, "\r\n\r\n") - asa_reply + 4;

	(void)state;
	snprintf(all, sizeof(all), "%s%s", asa_reply, next_reply);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		phone_with(&p, PH_AUTH);
		total = feed(&p, all, strlen(all), steps[k], &r, &hl);
		if (total != (int)(head + strlen(body)))
			fail_msg("step %zu: expected %zu, got %d", steps[k], head + strlen(body), total);
		assert_int_equal(hl, head);
		/* head and decoded body contiguous; the next reply right after, intact */
		assert_memory_equal(p.ibuf + hl, body, strlen(body));
		assert_int_equal(p.ilen, total + strlen(next_reply));
		assert_memory_equal(p.ibuf + total, next_reply, strlen(next_reply));
		assert_false(r.connection_close);
		exchange_done(&p, (uint32_t)total, &r);
		assert_int_equal(p.ilen, strlen(next_reply));
		assert_int_equal(p.ex.replies, 1);
		total = exchange_reply(NULL, &p, &r, &hl);
		assert_int_equal(total, strlen(next_reply));
		assert_memory_equal(p.ibuf + hl, "ok", 2);
		exchange_done(&p, (uint32_t)total, &r);
		assert_int_equal(p.ilen, 0);
		free(p.ibuf);
		exchange_reset(&p);
	}
}

/* Many one-byte chunks: the framing never piles up in the buffer. */
static void test_tiny_chunks(void **state)
{
	static char in[200000];
	struct phone p;
	struct http_response r;
	int hl = 0, total = 0;
	size_t n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	uint32_t most = 0;

	(void)state;
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(in + n, "1\r\n%c\r\n", 'a' + i % 26);
	n += (size_t)sprintf(in + n, "0\r\n\r\n");
	assert_true(n > IBUF_MAX); /* more framing than the buffer holds */
	phone_with(&p, PH_AUTH);
	for (size_t i = 0; i < n && !total; i += 100) {
		size_t k = n - i < 100 ? n - i : 100;

		memcpy(p.ibuf + p.ilen, in + i, k);
		p.ilen += (uint32_t)k;
		total = exchange_reply(NULL, &p, &r, &hl);
		most = p.ilen > most ? p.ilen : most;
	}
	assert_int_equal(total, hl + 20000);
	assert_true(most < (uint32_t)hl + 20000 + 200);
	free(p.ibuf);
}

/* A 100 Continue before the reply, a body to the close, a granted CONNECT's tunnel bytes. */
static void test_framings(void **state)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nbody to the end";
	static const char connect[] = "HTTP/1.1 200 OK\r\nX-CSTP-MTU: 1300\r\n\r\nSTF\x01";
	struct phone p;
	struct http_response r;
	int hl = 0;

	(void)state;
	phone_with(&p, PH_AUTH);
	memcpy(p.ibuf, cont, strlen(cont));
	p.ilen = (uint32_t)strlen(cont);
	assert_int_equal(exchange_reply(NULL, &p, &r, &hl), 0); /* until the close */
	assert_int_equal(r.status, 200);
	p.ex.eof = true;
	assert_int_equal(exchange_reply(NULL, &p, &r, &hl), strlen(cont) - 25);
	assert_true(r.connection_close);
	exchange_done(&p, p.ilen, &r);
	assert_true(p.ex.closing);
	free(p.ibuf);

	phone_with(&p, PH_CSTP);
	memcpy(p.ibuf, connect, strlen(connect));
	p.ilen = (uint32_t)strlen(connect);
	assert_int_equal(exchange_reply(NULL, &p, &r, &hl), strlen(connect) - 4);
	free(p.ibuf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chunked_in_place),
	    cmocka_unit_test(test_tiny_chunks),
	    cmocka_unit_test(test_framings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
