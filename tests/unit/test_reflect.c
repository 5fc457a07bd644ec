/*
 * tests/unit/test_reflect.c - the voice reflector (engine/voice/reflect.c), on loopback.
 *
 * A real reflector on a thread of its own, a real UDP socket sending to it.
 * Each case runs twice: with the multishot receive this kernel gives, and
 * with one plain receive at a time, as on a kernel without multishot.
 *  - RTP probes come back stamped with the reflector's receive time (between
 *    our send and our receive) and the stream's count (1, 2, 3, ...), the
 *    rest of their bytes as sent; the counts at the end match what was sent.
 *  - One receive waits on the socket whatever the slots: 200 datagrams to a
 *    reflector of 256 slots take one receive request in all (multishot) or
 *    one a datagram plus the one waiting at the end, never one a slot. (The
 *    reflector used to post a receive per slot, 256 + 200 here: each
 *    datagram woke all of them, its CPU growing with the slots.)
 *  - Every slot held by jitter: 40 datagrams at once to 2 slots that hold
 *    each echo up to 20 ms all come back, intact, once each; the rest wait
 *    in the socket meanwhile.
 *  - A datagram over 2,048 bytes is echoed cut to 2,048; an empty one is
 *    neither counted nor echoed.
 * Skipped where the kernel has no io_uring or no provided-buffer rings.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <liburing.h>

#include "engine/ring/bufring.h"
#include "engine/stats/clock.h"
#include "engine/voice/reflect.h"
#include "engine/voice/rtp.h"
#include "tests/unit/skip.h"

struct refl {
	struct reflect_cfg cfg;
	struct reflect_stats st;
	volatile sig_atomic_t stop;
	pthread_t th;
	int fd, rc;
	int tx; /* our socket, connected to the reflector */
};

static void *refl_thread(void *arg)
{
	struct refl *r = arg;

	r->rc = reflect_run(r->fd, &r->cfg, &r->stop, &r->st);
	return NULL;
}

/* Skip unless this kernel has io_uring and provided-buffer rings. */
static void need_kernel(void)
{
	struct io_uring u;
	struct bufring b;
	int rc;

	if (io_uring_queue_init(4, &u, 0) < 0)
		skip_missing("io_uring");
	rc = bufring_init(&b, &u, 1, 2, 64);
	bufring_free(&b);
	io_uring_queue_exit(&u);
	if (rc < 0)
		skip_missing("io_uring provided-buffer rings (Linux 5.19)");
}

static void refl_start(struct refl *r, unsigned slots, uint64_t jitter_us, bool single)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int rcvbuf = 1 << 20;

	need_kernel();
	memset(r, 0, sizeof(*r));
	r->cfg =
	    (struct reflect_cfg){.slots = slots, .jitter_us = jitter_us, .single_recv = single};
	r->fd = reflect_listen(&a);
	assert_true(r->fd >= 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
	r->tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(r->tx >= 0);
	setsockopt(r->tx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(connect(r->tx, (struct sockaddr *)&a, sizeof(a)), 0);
	/* what is sent before the loop runs waits in the bound socket: no race */
	assert_int_equal(pthread_create(&r->th, NULL, refl_thread, r), 0);
}

static void refl_stop(struct refl *r)
{
	r->stop = 1;
	assert_int_equal(pthread_join(r->th, NULL), 0);
	close(r->fd);
	close(r->tx);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->st.multishot, !r->cfg.single_recv);
}

/* The next echo into buf (cap bytes) within 2 s: its length, or -1 on none. */
static ssize_t echo_in(struct refl *r, void *buf, size_t cap)
{
	struct pollfd p = {.fd = r->tx, .events = POLLIN};

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(r->tx, buf, cap, 0);
}

static bool single_of(void **state)
{
	return *state != NULL;
}

static void test_stamps_and_one_receive(void **state)
{
	bool single = single_of(state);
	struct refl r;
	const unsigned n = 200;

	refl_start(&r, 256, 0, single);
	for (unsigned i = 0; i < n; i++) {
		struct rtp_hdr h = {.pt = 0, .seq = (uint16_t)i, .ts = i * 160, .ssrc = 0xabcd0001};
		struct rtp_probe pr = {.phone = 7, .seq32 = i, .sent_us = 1000 + i}, back;
		uint8_t pkt[12 + 160], got[sizeof(pkt) + 16];
		struct rtp_hdr gh;
		const uint8_t *payload;
		size_t plen;

		assert_int_equal(rtp_build(pkt, sizeof(pkt), &h, NULL, 160), (int)sizeof(pkt));
		for (size_t k = 12 + RTP_PROBE_LEN; k < sizeof(pkt); k++)
			pkt[k] = (uint8_t)(k * 7 + i);
		assert_int_equal(rtp_probe_put(pkt + 12, 160, &pr), RTP_PROBE_LEN);
		uint64_t t0 = clock_us();
		assert_int_equal(send(r.tx, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
		assert_int_equal(echo_in(&r, got, sizeof(got)), (ssize_t)sizeof(pkt));
		uint64_t t1 = clock_us();
		assert_int_equal(rtp_parse(got, sizeof(pkt), &gh, &payload, &plen), 0);
		assert_int_equal(gh.ssrc, h.ssrc);
		assert_int_equal(gh.seq, h.seq);
		assert_int_equal(rtp_probe_get(payload, plen, &back), 0);
		assert_int_equal(back.phone, 7);
		assert_int_equal(back.seq32, i);
		assert_int_equal(back.sent_us, 1000 + i);
		assert_int_equal(back.refl_count, i + 1);
		assert_true(back.refl_rx_us >= t0 && back.refl_rx_us <= t1);
		/* all but the probe's reflector fields as sent */
		assert_memory_equal(got, pkt, 12 + 16);
		assert_memory_equal(got + 12 + RTP_PROBE_LEN, pkt + 12 + RTP_PROBE_LEN,
				    sizeof(pkt) - 12 - RTP_PROBE_LEN);
	}
	refl_stop(&r);
	assert_int_equal(r.st.received, n);
	assert_int_equal(r.st.echoed, n);
	assert_int_equal(r.st.stamped, n);
	assert_int_equal(r.st.streams, 1);
	assert_int_equal(r.st.dropped, 0);
	/* one receive waiting at a time, not one a slot (256 + n before) */
	if (single)
		assert_int_equal(r.st.receives, n + 1);
	else
		assert_int_equal(r.st.receives, 1);
	assert_int_equal(r.st.nobufs, 0);
}

static void test_every_slot_held(void **state)
{
	bool single = single_of(state);
	const unsigned n = 40;
	bool seen[40] = {false};
	struct refl r;

	refl_start(&r, 2, 20000, single);
	uint64_t t0 = clock_us();
	for (unsigned i = 0; i < n; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "held echo %u", i);

		assert_int_equal(send(r.tx, msg, (size_t)len, 0), len);
	}
	for (unsigned got = 0; got < n; got++) {
		char buf[64];
		unsigned i;
		ssize_t len = echo_in(&r, buf, sizeof(buf) - 1);

		assert_true(len > 0);
		buf[len] = 0;
		assert_int_equal(sscanf(buf, "held echo %u", &i), 1);
		assert_true(i < n);
		assert_false(seen[i]);
		seen[i] = true;
	}
	uint64_t took = clock_us() - t0;
	refl_stop(&r);
	assert_int_equal(r.st.received, n);
	assert_int_equal(r.st.echoed, n);
	assert_int_equal(r.st.stamped, 0);
	/* each slot held ~20 echoes of 0..20 ms: 200 ms on average, under 50 ms never seen */
	assert_true(took > 50000);
	if (!single)
		assert_true(r.st.nobufs > 0); /* the receive stopped with both slots held */
}

static void test_long_and_empty(void **state)
{
	bool single = single_of(state);
	uint8_t big[3000], got[4096];
	struct refl r;

	for (size_t k = 0; k < sizeof(big); k++)
		big[k] = (uint8_t)(k * 13 + 5);
	refl_start(&r, 16, 0, single);
	assert_int_equal(send(r.tx, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(echo_in(&r, got, sizeof(got)), 2048);
	assert_memory_equal(got, big, 2048);
	assert_int_equal(send(r.tx, big, 0, 0), 0);
	assert_int_equal(send(r.tx, "after", 5, 0), 5);
	assert_int_equal(echo_in(&r, got, sizeof(got)), 5);
	assert_memory_equal(got, "after", 5);
	refl_stop(&r);
	assert_int_equal(r.st.received, 2);
	assert_int_equal(r.st.echoed, 2);
}

static int single = 1;

static void test_stamps_multishot(void **state)
{
	*state = NULL;
	test_stamps_and_one_receive(state);
}

static void test_stamps_single(void **state)
{
	*state = &single;
	test_stamps_and_one_receive(state);
}

static void test_held_multishot(void **state)
{
	*state = NULL;
	test_every_slot_held(state);
}

static void test_held_single(void **state)
{
	*state = &single;
	test_every_slot_held(state);
}

static void test_long_multishot(void **state)
{
	*state = NULL;
	test_long_and_empty(state);
}

static void test_long_single(void **state)
{
	*state = &single;
	test_long_and_empty(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stamps_multishot), cmocka_unit_test(test_stamps_single),
	    cmocka_unit_test(test_held_multishot),   cmocka_unit_test(test_held_single),
	    cmocka_unit_test(test_long_multishot),   cmocka_unit_test(test_long_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
