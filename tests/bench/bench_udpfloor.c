/*
 * tests/bench/bench_udpfloor.c - the kernel's own CPU for one datagram sent or
 * received the way a ring's loop does it, with no cryptography and no phone:
 * the floor under make bench's "CPU per RTP packet". Printed figures, not a
 * timed test. scripts/bench-floor runs it in two network namespaces of its
 * own joined by a veth pair, as the lab joins the phones to the headend.
 *
 *   bench_udpfloor send ADDR PORT SOCKETS RATE SECONDS
 *     SOCKETS connected UDP sockets (socket i to ADDR:PORT+i) send 200-byte
 *     datagrams (an RTP packet in a DTLS record), RATE a second in all, round
 *     robin, as a loop in a call does: it wakes once a millisecond (its
 *     sleep a timed wait of the ring), submits the sends due by then in one
 *     io_uring_enter (IORING_OP_SEND) and takes their completions.
 *   bench_udpfloor recv ADDR PORT SOCKETS SECONDS
 *     SOCKETS UDP sockets bound to ADDR:PORT+i, each with a multishot receive
 *     taking its buffer from one provided-buffer ring (engine/ring/bufring,
 *     the loop's own), every buffer read and given back; the loop wakes once
 *     a millisecond and takes every completion there is, so each wake-up
 *     carries as many datagrams as the traffic allows: a floor, not what a
 *     loop that must answer in time would pay.
 *
 * Each prints its datagrams and its own CPU (getrusage: user and system) over
 * them, from its first datagram to its last.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <liburing.h>

#include "engine/ring/bufring.h"
#include "engine/stats/clock.h"

#define DGRAM 200      /* bytes a datagram: 172 of RTP and its DTLS 0.9 record */
#define TICK_US 1000u  /* a wake-up of the loop */
#define RING 4096u     /* submission queue entries */
#define BUFS 4096u     /* receive buffers */
#define BUF_SIZE 2048u /* bytes each, as the engine's */

static volatile uint8_t seen_byte; /* each datagram received: its last byte read into it */

static double cpu_s(double *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + *sys;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_udpfloor: %s: %s\n", what, strerror(err));
	exit(1);
}

static long arg(const char *s, const char *name, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_udpfloor: %s must be %ld to %ld, not \"%s\"\n", name, lo, hi,
			s);
		exit(2);
	}
	return v;
}

/* n UDP sockets, socket i connected (or bound) to addr:port+i. */
static int *open_sockets(const char *addr, int port, int n, bool bind_them)
{
	int *fd = calloc((size_t)n, sizeof(*fd));
	if (!fd)
		die("calloc", ENOMEM);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)) };
		if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
			fprintf(stderr, "bench_udpfloor: not an IPv4 address: %s\n", addr);
			exit(2);
		}
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd[i] < 0)
			die("socket", errno);
		int rc = bind_them ? bind(fd[i], (struct sockaddr *)&sa, sizeof(sa))
				   : connect(fd[i], (struct sockaddr *)&sa, sizeof(sa));
		if (rc)
			die(bind_them ? "bind" : "connect", errno);
	}
	return fd;
}

/* Sleep until the next tick (t0 + k * TICK_US) in one enter, submitting what is queued. */
static void submit_and_sleep(struct io_uring *ring, uint64_t t0)
{
	uint64_t now = clock_us();
	uint64_t next = now + TICK_US - (now - t0) % TICK_US;
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = (long long)(next - now) * 1000 };
	struct io_uring_cqe *cqe;
	/* as many as the queue holds: the timeout, not a count, ends the sleep */
	int rc = io_uring_submit_and_wait_timeout(ring, &cqe, 2 * RING, &ts, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR)
		die("io_uring_submit_and_wait_timeout", -rc);
}

static void report(const char *what, uint64_t n, uint64_t errors, double cpu, double sys,
		   uint64_t us)
{
	printf("%s %llu datagrams in %.2f s (%.0f a second), %llu errors; CPU %.3f s (system "
	       "%.3f s): %.3f us a datagram\n",
	       what, (unsigned long long)n, (double)us / 1e6, n ? (double)n * 1e6 / (double)us : 0,
	       (unsigned long long)errors, cpu, sys, n ? cpu * 1e6 / (double)n : 0);
}

static int run_send(const char *addr, int port, int n, long rate, long seconds)
{
	int *fd = open_sockets(addr, port, n, false);
	static uint8_t payload[DGRAM];
	memset(payload, 0x17, sizeof(payload));
	struct io_uring ring;
	int rc = io_uring_queue_init(RING, &ring, 0);
	if (rc)
		die("io_uring_queue_init", -rc);

	uint64_t queued = 0, done = 0, errors = 0;
	double sys0, cpu0 = cpu_s(&sys0);
	uint64_t t0 = clock_us(), end = t0 + (uint64_t)seconds * 1000000u;
	int next = 0;
	for (uint64_t now = t0; now < end; now = clock_us()) {
		uint64_t due = (uint64_t)rate * (now - t0) / 1000000u;
		while (queued < due) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			if (!sqe)
				break; /* the rest next tick */
			io_uring_prep_send(sqe, fd[next], payload, sizeof(payload), MSG_NOSIGNAL);
			next = (next + 1) % n;
			queued++;
		}
		submit_and_sleep(&ring, t0);
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			seen++;
			if (cqe->res == DGRAM)
				done++;
			else
				errors++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	double sys1, cpu1 = cpu_s(&sys1);
	report("sent", done, errors, cpu1 - cpu0, sys1 - sys0, clock_us() - t0);
	io_uring_queue_exit(&ring);
	for (int i = 0; i < n; i++)
		close(fd[i]);
	free(fd);
	return errors ? 1 : 0;
}

static void post_recv(struct io_uring *ring, struct bufring *b, int fd, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	bufring_select(b, sqe);
	io_uring_sqe_set_data64(sqe, (uint64_t)i);
}

static int run_recv(const char *addr, int port, int n, long seconds)
{
	int *fd = open_sockets(addr, port, n, true);
	struct io_uring ring;
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE, .cq_entries = 4 * RING };
	int rc = io_uring_queue_init_params(RING, &ring, &p);
	if (rc)
		die("io_uring_queue_init", -rc);
	struct bufring b;
	rc = bufring_init(&b, &ring, 1, BUFS, BUF_SIZE);
	if (rc)
		die("bufring_init", -rc);
	for (int i = 0; i < n; i++)
		post_recv(&ring, &b, fd[i], i);
	io_uring_submit(&ring);
	printf("ready\n");
	fflush(stdout);

	uint64_t got = 0, errors = 0, t_first = 0, t_last = 0;
	/* 30 s for the sender to start; from the first datagram, SECONDS */
	uint64_t deadline = clock_us() + (uint64_t)(seconds + 30) * 1000000u;
	double sys0 = 0, cpu0 = 0, sys1 = 0, cpu1 = 0;
	while (clock_us() < deadline) {
		submit_and_sleep(&ring, 0);
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			seen++;
			int i = (int)io_uring_cqe_get_data64(cqe);
			int id = bufring_id(&b, cqe->flags);
			if (cqe->res > 0 && id >= 0) {
				if (!got) {
					cpu0 = cpu_s(&sys0);
					t_first = clock_us();
					deadline = t_first + (uint64_t)seconds * 1000000u;
				}
				got++;
				seen_byte = bufring_buf(&b, id)[cqe->res - 1];
			} else if (cqe->res < 0 && cqe->res != -ENOBUFS) {
				errors++;
			}
			if (id >= 0)
				bufring_put(&b, id);
			if (!(cqe->flags & IORING_CQE_F_MORE))
				post_recv(&ring, &b, fd[i], i);
		}
		io_uring_cq_advance(&ring, seen);
		if (seen && got) {
			cpu1 = cpu_s(&sys1);
			t_last = clock_us();
		}
	}
	report("received", got, errors, cpu1 - cpu0, sys1 - sys0, t_last - t_first);
	bufring_free(&b);
	io_uring_queue_exit(&ring);
	for (int i = 0; i < n; i++)
		close(fd[i]);
	free(fd);
	return got ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "send"))
		return run_send(argv[2], (int)arg(argv[3], "PORT", 1, 65535 - 10000),
				(int)arg(argv[4], "SOCKETS", 1, 10000),
				arg(argv[5], "RATE", 1, 10000000), arg(argv[6], "SECONDS", 1, 3600));
	if (argc == 6 && !strcmp(argv[1], "recv"))
		return run_recv(argv[2], (int)arg(argv[3], "PORT", 1, 65535 - 10000),
				(int)arg(argv[4], "SOCKETS", 1, 10000),
				arg(argv[5], "SECONDS", 1, 3600));
	fprintf(stderr, "usage: bench_udpfloor send ADDR PORT SOCKETS RATE SECONDS\n"
			"       bench_udpfloor recv ADDR PORT SOCKETS SECONDS\n");
	return 2;
}
