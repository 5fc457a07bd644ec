/*
 * engine/voice/reflect.c - the voice reflector (reflect.h).
 *
 * Each slot is a buffer that goes round: receive a datagram into it, send
 * it back to its source, receive again. Many slots are in flight, so the
 * reflector keeps up with thousands of phones on one thread. Streams are
 * counted in an open-addressing table keyed by source address and SSRC.
 * With jitter, a stamped echo waits in its slot until its random send time;
 * the loop wakes for the earliest.
 */
#include "engine/voice/reflect.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "engine/stats/clock.h"
#include "engine/voice/rtp.h"

#define SLOT_BYTES 2048u
#define STREAM_BITS 17 /* 131,072 streams before the table is full */

struct slot {
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_in from;
	uint8_t buf[SLOT_BYTES];
	bool sending;
	uint64_t send_at; /* held for jitter until then, clock_us(); 0: not held */
};

struct stream {
	uint32_t addr, ssrc; /* addr 0: empty */
	uint32_t count;
	uint64_t last_us;    /* last packet: a stream quiet for STREAM_IDLE_US may be reused */
};

#define STREAM_IDLE_US 30000000u

struct reflector {
	struct io_uring ring;
	int fd;
	struct slot *slots;
	unsigned n_slots;
	struct stream *streams;
	struct reflect_stats *st;
	uint64_t jitter_us; /* hold echoes up to this long; 0: none */
	uint64_t rng;       /* splitmix64 state, for the holds */
	unsigned held;      /* slots holding an echo */
};

/* A hold, uniform in 0..jitter_us (splitmix64). */
static uint64_t hold_us(struct reflector *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) % (r->jitter_us + 1);
}

/* Send the held echoes whose time has come; the earliest still held, or UINT64_MAX. */
static int post(struct reflector *r, unsigned i);
static uint64_t release_held(struct reflector *r, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < r->n_slots && r->held; i++) {
		struct slot *s = &r->slots[i];

		if (!s->send_at)
			continue;
		if (s->send_at <= now) {
			s->send_at = 0;
			r->held--;
			post(r, i);
		} else if (s->send_at < next) {
			next = s->send_at;
		}
	}
	return next;
}

/*
 * The count of packets received so far on (addr, ssrc), this one included.
 * A new stream takes the first slot on its probe path that is empty or
 * whose stream has been quiet for STREAM_IDLE_US, so that a soak of days
 * (a new stream per call) never fills the table.
 */
static uint32_t stream_count(struct reflector *r, uint32_t addr, uint32_t ssrc, uint64_t now)
{
	uint32_t mask = (1u << STREAM_BITS) - 1;
	uint32_t h = (addr * 2654435761u) ^ (ssrc * 40503u);
	struct stream *reuse = NULL;

	if (!addr)
		addr = 1;
	for (uint32_t i = 0; i <= mask; i++) {
		struct stream *s = &r->streams[(h + i) & mask];

		if (s->addr == addr && s->ssrc == ssrc) {
			s->last_us = now;
			return ++s->count;
		}
		if (!s->addr) {
			if (!reuse)
				reuse = s;
			break;
		}
		if (!reuse && now - s->last_us > STREAM_IDLE_US)
			reuse = s;
	}
	if (!reuse)
		return 0; /* table full of live streams: stamped 0, "unknown" */
	if (!reuse->addr)
		r->st->streams++;
	*reuse = (struct stream){.addr = addr, .ssrc = ssrc, .count = 1, .last_us = now};
	return 1;
}

static int post(struct reflector *r, unsigned i)
{
	struct slot *s = &r->slots[i];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
		if (!sqe)
			return -EBUSY;
	}
	if (s->sending) {
		io_uring_prep_sendmsg(sqe, r->fd, &s->msg, 0);
	} else {
		s->iov.iov_base = s->buf;
		s->iov.iov_len = SLOT_BYTES;
		s->msg.msg_name = &s->from;
		s->msg.msg_namelen = sizeof(s->from);
		io_uring_prep_recvmsg(sqe, r->fd, &s->msg, 0);
	}
	io_uring_sqe_set_data64(sqe, i);
	return 0;
}

/* A datagram arrived in slot s: stamp it if it is one of ours, turn it round. */
static void turn_round(struct reflector *r, struct slot *s, size_t len, uint64_t now)
{
	struct rtp_hdr h;
	struct rtp_probe pr;
	const uint8_t *payload;
	size_t plen;

	r->st->received++;
	if (!rtp_parse(s->buf, len, &h, &payload, &plen) && !rtp_probe_get(payload, plen, &pr)) {
		pr.refl_rx_us = now;
		pr.refl_count = stream_count(r, s->from.sin_addr.s_addr, h.ssrc, now);
		rtp_probe_put(s->buf + (payload - s->buf), plen, &pr);
		r->st->stamped++;
	}
	s->iov.iov_len = len;
	s->sending = true;
}

int reflect_run(const struct sockaddr_in *addr, unsigned slots, uint64_t jitter_us,
		volatile sig_atomic_t *stop, struct reflect_stats *st)
{
	struct reflector r = {.st = st, .n_slots = slots ? slots : 256, .jitter_us = jitter_us,
			      .rng = clock_us()};
	uint64_t wait_us = 100000;
	int one = 1, rc;

	memset(st, 0, sizeof(*st));
	r.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r.fd < 0)
		return -errno;
	setsockopt(r.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rcvbuf = 4 << 20;
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(r.fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		rc = -errno;
		goto out_close;
	}
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
	r.streams = calloc(1u << STREAM_BITS, sizeof(*r.streams));
	if (!r.slots || !r.streams) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = io_uring_queue_init(r.n_slots * 2 > 4096 ? 4096 : r.n_slots * 2, &r.ring, 0);
	if (rc < 0)
		goto out_free;
	for (unsigned i = 0; i < r.n_slots; i++) {
		r.slots[i].msg.msg_iov = &r.slots[i].iov;
		r.slots[i].msg.msg_iovlen = 1;
		post(&r, i);
	}
	while (!*stop) {
		struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = (long long)wait_us * 1000};
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		rc = io_uring_submit_and_wait_timeout(&r.ring, &cqe, 1, &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR) {
			if (rc == -EBUSY)
				continue;
			break;
		}
		uint64_t now = clock_us();
		io_uring_for_each_cqe(&r.ring, head, cqe)
		{
			unsigned i = (unsigned)io_uring_cqe_get_data64(cqe);
			struct slot *s = &r.slots[i];

			seen++;
			if (i >= r.n_slots)
				continue;
			if (s->sending) {
				if (cqe->res < 0)
					st->dropped++;
				else
					st->echoed++;
				s->sending = false;
			} else if (cqe->res > 0) {
				turn_round(&r, s, (size_t)cqe->res, now);
				if (r.jitter_us) {
					s->send_at = now + hold_us(&r) + 1;
					r.held++;
					continue; /* posted when its time comes */
				}
			}
			post(&r, i);
		}
		io_uring_cq_advance(&r.ring, seen);
		wait_us = 100000;
		if (r.held) {
			uint64_t next = release_held(&r, clock_us()), t = clock_us();

			if (next != UINT64_MAX)
				wait_us = next > t ? (next - t < wait_us ? next - t : wait_us) : 0;
		}
		rc = 0;
	}
	io_uring_queue_exit(&r.ring);
out_free:
	free(r.slots);
	free(r.streams);
out_close:
	close(r.fd);
	return rc < 0 ? rc : 0;
}
