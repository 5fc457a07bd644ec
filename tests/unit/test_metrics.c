/*
 * tests/unit/test_metrics.c - loadgen/metrics, the /metrics server, over
 * real loopback sockets in this one thread.
 *
 * Clients connect (the kernel completes that from the listen backlog),
 * send, then metrics_poll() serves them for a few milliseconds at a time
 * while they read. Checked: the answers (200 with the render function's
 * text and a right Content-Length, HEAD, 404, 405, 400, 431, 500), that
 * every connection is closed after its answer, that silent or half-sent
 * clients delay nobody and metrics_poll() keeps its time, that more clients
 * than slots are told 503, and that a silent client loses its slot at its
 * deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/stats/clock.h"
#include "loadgen/metrics.h"

#define BODY "# HELP x_total A test.\n# TYPE x_total counter\nx_total 42\n"

static int renders;

static int render_ok(FILE *out, void *arg)
{
	(void)arg;
	renders++;
	fputs(BODY, out);
	return 0;
}

static int render_fail(FILE *out, void *arg)
{
	(void)out;
	(void)arg;
	return -1;
}

static int dial(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void put(int fd, const char *s, size_t n)
{
	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/*
 * Read what the server sends on fd until it closes, serving for at most
 * max_ms. Returns the text (malloc'd); *closed says whether it closed.
 */
static char *collect(struct metrics *m, int fd, int max_ms, metrics_render_fn fn, bool *closed)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	uint64_t end = clock_us() + (uint64_t)max_ms * 1000u;

	assert_non_null(buf);
	*closed = false;
	while (clock_us() < end && !*closed) {
		metrics_poll(m, 5, fn, NULL);
		for (;;) {
			ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);

			if (n > 0) {
				len += (size_t)n;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				*closed = true;
			break;
		}
	}
	buf[len] = 0;
	return buf;
}

static char *ask(struct metrics *m, const char *req, metrics_render_fn fn)
{
	int fd = dial(metrics_port(m));
	bool closed;

	put(fd, req, strlen(req));
	char *r = collect(m, fd, 1000, fn, &closed);
	if (!closed)
		fail_msg("the server did not close after answering <%s>: got <%s>", req, r);
	close(fd);
	return r;
}

static struct metrics *start(void)
{
	char err[256] = "";
	struct metrics *m = metrics_listen("127.0.0.1:0", err, sizeof(err));

	if (!m)
		fail_msg("metrics_listen: %s", err);
	assert_true(metrics_port(m) > 0);
	return m;
}

static void expect_status(const char *resp, const char *status_line)
{
	if (strncmp(resp, status_line, strlen(status_line)))
		fail_msg("want <%s>, got <%.80s>", status_line, resp);
}

static void test_get_metrics(void **state)
{
	struct metrics *m = start();
	char want[256];

	(void)state;
	renders = 0;
	char *r = ask(m, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", render_ok);
	snprintf(want, sizeof(want),
		 "HTTP/1.1 200 OK\r\n"
		 "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		 "Content-Length: %zu\r\n"
		 "Connection: close\r\n\r\n" BODY,
		 strlen(BODY));
	assert_string_equal(r, want);
	assert_int_equal(renders, 1);
	free(r);

	/* HTTP/1.0, a query string, bare LF line ends */
	r = ask(m, "GET /metrics?name[]=x HTTP/1.0\n\n", render_ok);
	assert_string_equal(r, want);
	free(r);

	/* HEAD: the same head, no body, no render needed beyond the length */
	r = ask(m, "HEAD /metrics HTTP/1.1\r\n\r\n", render_ok);
	want[strlen(want) - strlen(BODY)] = 0;
	assert_string_equal(r, want);
	free(r);
	metrics_close(m);
}

static void test_errors(void **state)
{
	struct metrics *m = start();
	char big[METRICS_REQ_MAX + 100];

	(void)state;
	char *r = ask(m, "GET /other HTTP/1.1\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 404 Not Found\r\n");
	free(r);
	r = ask(m, "GET /metricsx HTTP/1.1\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 404 Not Found\r\n");
	free(r);
	r = ask(m, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 405 Method Not Allowed\r\n");
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	r = ask(m, "hello\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 400 Bad Request\r\n");
	free(r);
	r = ask(m, "GET /metrics SPDY/3\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 400 Bad Request\r\n");
	free(r);
	r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n", render_fail);
	expect_status(r, "HTTP/1.1 500 Internal Server Error\r\n");
	free(r);

	/* a head that never ends: cut at METRICS_REQ_MAX */
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', sizeof(big) - 27);
	big[sizeof(big) - 1] = 0;
	int fd = dial(metrics_port(m));
	put(fd, big, strlen(big));
	bool closed;
	r = collect(m, fd, 1000, render_ok, &closed);
	expect_status(r, "HTTP/1.1 431 Request Header Fields Too Large\r\n");
	assert_true(closed);
	close(fd);
	free(r);
	metrics_close(m);
}

/* Silent and half-sent clients hold nobody up, and metrics_poll keeps its time. */
static void test_slow_clients(void **state)
{
	struct metrics *m = start();
	int silent = dial(metrics_port(m));
	int half = dial(metrics_port(m));

	(void)state;
	put(half, "GET /metr", 9);
	uint64_t t = clock_us();
	metrics_poll(m, 50, render_ok, NULL);
	uint64_t took = clock_us() - t;
	if (took < 49000 || took > 100000)
		fail_msg("metrics_poll(50 ms) took %llu us", (unsigned long long)took);

	char *r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 200 OK\r\n");
	free(r);

	/* the half-sent one finishes its request later and is answered */
	put(half, "ics HTTP/1.1\r\n\r\n", 16);
	bool closed;
	r = collect(m, half, 1000, render_ok, &closed);
	expect_status(r, "HTTP/1.1 200 OK\r\n");
	assert_true(closed);
	free(r);
	close(half);
	close(silent);

	/* NULL: a plain sleep */
	t = clock_us();
	metrics_poll(NULL, 20, render_ok, NULL);
	took = clock_us() - t;
	assert_true(took >= 19000 && took < 60000);
	metrics_close(m);
}

/*
 * More clients than slots at once: METRICS_CLIENTS are answered, the rest
 * told 503. Then silent clients fill every slot: a newcomer gets 503 until
 * their deadline (METRICS_CLIENT_MS) has passed, then 200.
 */
static void test_many_clients(void **state)
{
	enum { N = METRICS_CLIENTS + 8 };
	struct metrics *m = start();
	int fd[N], ok = 0, busy = 0;
	static const char req[] = "GET /metrics HTTP/1.1\r\n\r\n";

	(void)state;
	for (int i = 0; i < N; i++) {
		fd[i] = dial(metrics_port(m));
		put(fd[i], req, sizeof(req) - 1);
	}
	for (int i = 0; i < N; i++) {
		bool closed;
		char *r = collect(m, fd[i], 1000, render_ok, &closed);

		assert_true(closed);
		if (!strncmp(r, "HTTP/1.1 200 OK\r\n", 17))
			ok++;
		else if (!strncmp(r, "HTTP/1.1 503 ", 13))
			busy++;
		else
			fail_msg("client %d: <%.60s>", i, r);
		free(r);
		close(fd[i]);
	}
	assert_int_equal(ok, METRICS_CLIENTS);
	assert_int_equal(busy, N - METRICS_CLIENTS);

	int idle[METRICS_CLIENTS];
	for (int i = 0; i < METRICS_CLIENTS; i++)
		idle[i] = dial(metrics_port(m));
	metrics_poll(m, 20, render_ok, NULL); /* they take every slot */
	char *r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 503 ");
	free(r);
	metrics_poll(m, METRICS_CLIENT_MS + 50, render_ok, NULL);
	r = ask(m, "GET /metrics HTTP/1.1\r\n\r\n", render_ok);
	expect_status(r, "HTTP/1.1 200 OK\r\n");
	free(r);
	/* and the silent ones were closed */
	char c;
	for (int i = 0; i < METRICS_CLIENTS; i++) {
		assert_int_equal(recv(idle[i], &c, 1, MSG_DONTWAIT), 0);
		close(idle[i]);
	}
	metrics_close(m);
}

static void test_listen_errors(void **state)
{
	static const char *const bad[] = {
	    "nonsense",	       "127.0.0.1",	  "127.0.0.1:",
	    "127.0.0.1:http",  "[::1:9464",	  "192.0.2.1:9464" /* not ours */,
	    "127.0.0.1:99999", "127.0.0.1:65536", ":-1",
	    "[::1]:1e3"};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		struct metrics *m = metrics_listen(bad[i], err, sizeof(err));
		if (m)
			fail_msg("metrics_listen(%s) took it", bad[i]);
		if (!strstr(err, bad[i]))
			fail_msg("metrics_listen(%s): the error does not name it: %s", bad[i], err);
	}
	/* a port out of range is refused as such, not taken modulo 65536 */
	assert_null(metrics_listen("127.0.0.1:99999", err, sizeof(err)));
	assert_string_equal(err, "127.0.0.1:99999: the port is 1 to 65535 (or 0: any free port)");
	/* a port in use */
	struct metrics *a = start();
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", metrics_port(a));
	assert_null(metrics_listen(addr, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	metrics_close(a);
	metrics_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_metrics),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_slow_clients),
	    cmocka_unit_test(test_many_clients),
	    cmocka_unit_test(test_listen_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
