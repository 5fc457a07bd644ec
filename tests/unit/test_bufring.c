/*
 * tests/unit/test_bufring.c - the ring's shared receive buffers, against the kernel.
 *
 * A real io_uring and real UDP sockets on loopback: receives posted without
 * a buffer take one of the bufring's as their datagram arrives, with the
 * datagram's bytes in it; when every buffer is lent out, a receive completes
 * with -ENOBUFS and its datagram stays in the socket, to be read intact by
 * the receive posted again once a buffer is put back; the count of buffers
 * lent follows each step. bufring_count sizes the pool by the
 * phone count within its bounds. A multishot receive, as the ring's UDP
 * channels post, takes a buffer per datagram and stays posted; a shutdown
 * does not end it, a cancel by its user_data does (what the ring does when a
 * channel closes). bufring_init_some puts a count of buffers that is not
 * a power of two in a ring that is, and lends no more than that. A pool
 * made with room to grow lends only what it was given until bufring_grow
 * doubles it (or fills it up to its room), then lends the new buffers, and
 * stops at its room; bufring_cap sizes the room by the phone count; the
 * memory of buffers never written into is not resident (mincore). Skipped
 * where the kernel has no io_uring or no provided-buffer rings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "engine/ring/bufring.h"
#include "tests/unit/skip.h"

static void test_count(void **state)
{
	(void)state;
	assert_int_equal(bufring_count(0), 64);
	assert_int_equal(bufring_count(256), 64);
	assert_int_equal(bufring_count(260), 128);  /* 65 -> the next power of two */
	assert_int_equal(bufring_count(500), 128);  /* 125 -> the next power of two */
	assert_int_equal(bufring_count(1000), 256); /* 250 -> 256 */
	assert_int_equal(bufring_count(16384), 4096);
	assert_int_equal(bufring_count(1000000), 4096);
	/* eight a phone, as a power of two, at least bufring_count's, at most 32768 */
	assert_int_equal(bufring_cap(0), 64);
	assert_int_equal(bufring_cap(5), 64);      /* 40 -> bufring_count's 64 */
	assert_int_equal(bufring_cap(100), 1024);  /* 800 -> the next power of two */
	assert_int_equal(bufring_cap(500), 4096);  /* 4000 -> 4096 */
	assert_int_equal(bufring_cap(4096), 32768);
	assert_int_equal(bufring_cap(5000), 32768); /* 40000: the most a ring holds */
	assert_int_equal(bufring_cap(4000000000u), 32768);
}

static void test_bad_sizes(void **state)
{
	struct io_uring u;
	struct bufring b;

	(void)state;
	if (io_uring_queue_init(8, &u, 0) < 0)
		skip_missing("io_uring");
	assert_int_equal(bufring_init(&b, &u, 1, 3, 64), -EINVAL);
	assert_int_equal(bufring_init(&b, &u, 1, 0, 64), -EINVAL);
	assert_int_equal(bufring_init(&b, &u, 1, 65536, 64), -EINVAL);
	assert_int_equal(bufring_init(&b, &u, 1, 4, 0), -EINVAL);
	assert_int_equal(bufring_init_max(&b, &u, 1, 0, 4, 64), -EINVAL);
	assert_int_equal(bufring_init_max(&b, &u, 1, 5, 4, 64), -EINVAL);	 /* more than its room */
	assert_int_equal(bufring_init_max(&b, &u, 1, 4, 32769, 64), -EINVAL); /* more than a ring */
	bufring_free(&b); /* a failed one: harmless */
	io_uring_queue_exit(&u);
}

/* A UDP socket on 127.0.0.1, connected to peer (port 0: not connected); its port in *port. */
static int udp_socket(uint16_t peer, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	if (peer) {
		a.sin_port = htons(peer);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return fd;
}

static void post_recv(struct io_uring *u, struct bufring *b, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(u);

	assert_non_null(sqe);
	io_uring_prep_recv(sqe, fd, NULL, b->size, 0);
	bufring_select(b, sqe);
	io_uring_sqe_set_data64(sqe, tag);
	assert_int_equal(io_uring_submit(u), 1);
}

struct done {
	uint64_t tag;
	int res;
	int bid;
};

static struct done wait_one(struct io_uring *u, struct bufring *b)
{
	struct io_uring_cqe *cqe;
	struct done d;

	assert_int_equal(io_uring_wait_cqe(u, &cqe), 0);
	d.tag = io_uring_cqe_get_data64(cqe);
	d.res = cqe->res;
	d.bid = bufring_id(b, cqe->flags);
	io_uring_cqe_seen(u, cqe);
	return d;
}

/* Two buffers, three sockets with a datagram each: the third waits for a buffer put back. */
static void test_lend_and_put(void **state)
{
	struct io_uring u;
	struct bufring b;
	int rx[3], tx;
	uint16_t port[3], tx_port;
	char msg[3][24];
	bool seen[3] = {false, false, false};
	int bids[3];
	int rc;

	(void)state;
	if (io_uring_queue_init(8, &u, 0) < 0)
		skip_missing("io_uring");
	rc = bufring_init(&b, &u, 5, 2, 64);
	if (rc == -EINVAL) {
		io_uring_queue_exit(&u);
		skip_missing("io_uring provided-buffer rings (Linux 5.19)");
	}
	assert_int_equal(rc, 0);
	assert_int_equal(b.lent, 0);
	tx = udp_socket(0, &tx_port);
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

		rx[i] = udp_socket(tx_port, &port[i]);
		snprintf(msg[i], sizeof(msg[i]), "datagram %d", i);
		to.sin_port = htons(port[i]);
		assert_int_equal(sendto(tx, msg[i], strlen(msg[i]), 0, (struct sockaddr *)&to,
					sizeof(to)),
				 (ssize_t)strlen(msg[i]));
	}
	/* the first two take the two buffers */
	for (int i = 0; i < 2; i++) {
		post_recv(&u, &b, rx[i], (uint64_t)i);
		struct done d = wait_one(&u, &b);

		assert_int_equal(d.tag, (uint64_t)i);
		assert_int_equal(d.res, (int)strlen(msg[i]));
		assert_true(d.bid >= 0 && d.bid < 2);
		assert_memory_equal(bufring_buf(&b, d.bid), msg[i], strlen(msg[i]));
		bids[i] = d.bid;
		seen[d.bid] = true;
	}
	assert_true(seen[0] && seen[1]); /* two different buffers */
	assert_int_equal(b.lent, 2);
	/* the third finds none: -ENOBUFS, no buffer, and its datagram stays */
	post_recv(&u, &b, rx[2], 2);
	struct done d = wait_one(&u, &b);

	assert_int_equal(d.tag, 2);
	assert_int_equal(d.res, -ENOBUFS);
	assert_int_equal(d.bid, -1);
	assert_int_equal(b.lent, 2);
	/* one buffer back: the third datagram arrives whole, in that buffer */
	bufring_put(&b, bids[0]);
	assert_int_equal(b.lent, 1);
	post_recv(&u, &b, rx[2], 2);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, (int)strlen(msg[2]));
	assert_int_equal(d.bid, bids[0]);
	assert_memory_equal(bufring_buf(&b, d.bid), msg[2], strlen(msg[2]));
	assert_int_equal(b.lent, 2);
	bufring_put(&b, d.bid);
	bufring_put(&b, bids[1]);
	assert_int_equal(b.lent, 0);
	for (int i = 0; i < 3; i++)
		close(rx[i]);
	close(tx);
	bufring_free(&b);
	io_uring_queue_exit(&u);
}

/*
 * bufring_init_some (the reflector's slots): three buffers in a ring of four
 * descriptors lend three, then -ENOBUFS, whatever is free in the ring; each
 * buffer put back is lent again, up to three at once.
 */
static void test_some(void **state)
{
	struct io_uring u;
	struct bufring b;
	int rx, tx, rc;
	uint16_t rx_port, tx_port;
	bool seen[3] = {false, false, false};

	(void)state;
	if (io_uring_queue_init(8, &u, 0) < 0)
		skip_missing("io_uring");
	assert_int_equal(bufring_init_some(&b, &u, 7, 0, 64), -EINVAL);
	assert_int_equal(bufring_init_some(&b, &u, 7, 32769, 64), -EINVAL);
	assert_int_equal(bufring_init_some(&b, &u, 7, 3, 0), -EINVAL);
	rc = bufring_init_some(&b, &u, 7, 3, 64);
	if (rc == -EINVAL) {
		io_uring_queue_exit(&u);
		skip_missing("io_uring provided-buffer rings (Linux 5.19)");
	}
	assert_int_equal(rc, 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.entries, 4);
	tx = udp_socket(0, &tx_port);
	rx = udp_socket(tx_port, &rx_port);
	for (int round = 0; round < 2; round++) {
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(rx_port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int bids[3];

		for (int i = 0; i < 4; i++)
			assert_int_equal(sendto(tx, "abcd", 4, 0, (struct sockaddr *)&to, sizeof(to)),
					 4);
		for (int i = 0; i < 3; i++) {
			post_recv(&u, &b, rx, (uint64_t)i);
			struct done d = wait_one(&u, &b);

			assert_int_equal(d.res, 4);
			assert_true(d.bid >= 0 && d.bid < 3);
			bids[i] = d.bid;
			seen[d.bid] = true;
		}
		assert_true(seen[0] && seen[1] && seen[2]);
		assert_int_equal(b.lent, 3);
		post_recv(&u, &b, rx, 3);
		struct done d = wait_one(&u, &b);

		assert_int_equal(d.res, -ENOBUFS);
		/* all back; the fourth datagram is read with one of them, once more lent */
		for (int i = 0; i < 3; i++)
			bufring_put(&b, bids[i]);
		post_recv(&u, &b, rx, 4);
		d = wait_one(&u, &b);
		assert_int_equal(d.res, 4);
		assert_true(d.bid >= 0 && d.bid < 3);
		bufring_put(&b, d.bid);
		assert_int_equal(b.lent, 0);
	}
	close(rx);
	close(tx);
	bufring_free(&b);
	io_uring_queue_exit(&u);
}

/* How many of the len bytes at p (page-aligned) are in resident pages. */
static size_t resident(const uint8_t *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)page - 1) / (size_t)page, n = 0;
	unsigned char vec[64];

	assert_true(pages <= sizeof(vec));
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n * (size_t)page;
}

/*
 * A pool of one buffer with room for three: the second socket's receive
 * finds none; grown once (doubled) it gets buffer 1; grown again it is
 * filled up to its room (one more, not two), and then no more. The room
 * beyond the buffers written into is not resident.
 */
static void test_grow(void **state)
{
	struct io_uring u;
	struct bufring b;
	int rx[4], tx, rc;
	uint16_t port[4], tx_port;
	bool seen[3] = {false, false, false};

	(void)state;
	if (io_uring_queue_init(8, &u, 0) < 0)
		skip_missing("io_uring");
	rc = bufring_init_max(&b, &u, 9, 1, 3, 4096);
	if (rc == -EINVAL) {
		io_uring_queue_exit(&u);
		skip_missing("io_uring provided-buffer rings (Linux 5.19)");
	}
	assert_int_equal(rc, 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.max, 3);
	assert_int_equal(b.entries, 4);
	assert_int_equal(resident(b.mem, 3 * 4096), 0); /* reserved, not touched */
	tx = udp_socket(0, &tx_port);
	for (int i = 0; i < 4; i++) {
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

		rx[i] = udp_socket(tx_port, &port[i]);
		to.sin_port = htons(port[i]);
		assert_int_equal(sendto(tx, "grow", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	}
	post_recv(&u, &b, rx[0], 0);
	struct done d = wait_one(&u, &b);

	assert_int_equal(d.res, 4);
	assert_int_equal(d.bid, 0);
	seen[0] = true;
	assert_int_equal(resident(b.mem, 3 * 4096), 4096); /* the one buffer written into */
	post_recv(&u, &b, rx[1], 1);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, -ENOBUFS); /* the one buffer is lent */
	assert_int_equal(bufring_grow(&b), 1); /* doubled: 1 -> 2 */
	assert_int_equal(b.n, 2);
	post_recv(&u, &b, rx[1], 1);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, 4);
	assert_int_equal(d.bid, 1);
	assert_memory_equal(bufring_buf(&b, 1), "grow", 4);
	seen[1] = true;
	post_recv(&u, &b, rx[2], 2);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, -ENOBUFS);
	assert_int_equal(bufring_grow(&b), 1); /* 2 -> 3: filled up to its room, not doubled */
	assert_int_equal(bufring_grow(&b), 0); /* and no more */
	assert_int_equal(b.n, 3);
	post_recv(&u, &b, rx[2], 2);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, 4);
	assert_int_equal(d.bid, 2);
	seen[2] = true;
	assert_int_equal(b.lent, 3);
	post_recv(&u, &b, rx[3], 3);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, -ENOBUFS); /* three lent, room for three */
	assert_true(seen[0] && seen[1] && seen[2]);
	for (int id = 0; id < 3; id++)
		bufring_put(&b, id);
	assert_int_equal(b.lent, 0);
	post_recv(&u, &b, rx[3], 3);
	d = wait_one(&u, &b);
	assert_int_equal(d.res, 4);
	assert_true(d.bid >= 0 && d.bid < 3);
	bufring_put(&b, d.bid);
	for (int i = 0; i < 4; i++)
		close(rx[i]);
	close(tx);
	bufring_free(&b);
	io_uring_queue_exit(&u);
}

/* A multishot receive (the ring's UDP channel): each datagram its own buffer, still posted. */
static void test_multishot(void **state)
{
	struct io_uring u;
	struct bufring b;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	uint16_t rx_port, tx_port;
	int rx, tx, rc, first = -1;

	(void)state;
	if (io_uring_queue_init(8, &u, 0) < 0)
		skip_missing("io_uring");
	rc = bufring_init(&b, &u, 6, 4, 64);
	if (rc == -EINVAL) {
		io_uring_queue_exit(&u);
		skip_missing("io_uring provided-buffer rings (Linux 5.19)");
	}
	assert_int_equal(rc, 0);
	tx = udp_socket(0, &tx_port);
	rx = udp_socket(tx_port, &rx_port);
	sqe = io_uring_get_sqe(&u);
	io_uring_prep_recv_multishot(sqe, rx, NULL, 0, 0);
	bufring_select(&b, sqe);
	io_uring_sqe_set_data64(sqe, 77);
	assert_int_equal(io_uring_submit(&u), 1);
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					 .sin_port = htons(rx_port)};
		char msg[16];

		snprintf(msg, sizeof(msg), "dg %d", i);
		assert_int_equal(sendto(tx, msg, 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
		assert_int_equal(io_uring_wait_cqe(&u, &cqe), 0);
		if (cqe->res == -EINVAL)
			skip_missing("multishot receives (Linux 6.0)");
		assert_int_equal(cqe->res, 4);
		assert_true(cqe->flags & IORING_CQE_F_MORE); /* still posted */
		int id = bufring_id(&b, cqe->flags);

		io_uring_cqe_seen(&u, cqe);
		assert_true(id >= 0);
		assert_memory_equal(bufring_buf(&b, id), msg, 4);
		if (i == 0)
			first = id;
		else
			assert_int_not_equal(id, first); /* the first is still lent */
	}
	assert_int_equal(b.lent, 2);
	/*
	 * A shutdown does not end a multishot receive (it would end a single
	 * one): the ring cancels it by its user_data when a channel closes.
	 */
	struct __kernel_timespec ts = {.tv_nsec = 50 * 1000 * 1000};

	shutdown(rx, SHUT_RDWR);
	assert_int_equal(io_uring_wait_cqe_timeout(&u, &cqe, &ts), -ETIME);
	sqe = io_uring_get_sqe(&u);
	io_uring_prep_cancel64(sqe, 77, 0);
	io_uring_sqe_set_data64(sqe, 78);
	assert_int_equal(io_uring_submit(&u), 1);
	bool ended = false, cancelled = false;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(io_uring_wait_cqe(&u, &cqe), 0);
		if (io_uring_cqe_get_data64(cqe) == 77) {
			assert_int_equal(cqe->res, -ECANCELED);
			assert_false(cqe->flags & IORING_CQE_F_MORE); /* the last of it */
			ended = true;
		} else {
			assert_int_equal(cqe->res, 0);
			cancelled = true;
		}
		io_uring_cqe_seen(&u, cqe);
	}
	assert_true(ended && cancelled);
	close(rx);
	close(tx);
	bufring_free(&b);
	io_uring_queue_exit(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_bad_sizes),
	    cmocka_unit_test(test_lend_and_put),
	    cmocka_unit_test(test_some),
	    cmocka_unit_test(test_grow),
	    cmocka_unit_test(test_multishot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
