/*
 * engine/voice/reflect.c - the voice reflector (reflect.h).
 *
 * One receive waits on the socket, whatever the slots. (The reflector used
 * to post a receive per slot on its one socket: each datagram then woke
 * every one of them, and its CPU grew with the slots, 2.2 times for 256
 * slots against 16 at 48,500 echoes a second.) The slots are the buffers
 * of a provided-buffer ring (engine/ring/bufring.h): the kernel puts each
 * datagram in a free one, with its source address in front when the
 * receive is multishot; the echo is sent from the same bytes and the
 * buffer goes back to the kernel when the send completes. Streams are
 * counted in an open-addressing table keyed by source address and SSRC.
 * With jitter, a stamped echo waits in its slot until its random send time,
 * the held slots in a binary heap by that time; the loop wakes for the
 * earliest.
 */
#include "engine/voice/reflect.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "engine/ring/bufring.h"
#include "engine/stats/clock.h"
#include "engine/voice/rtp.h"

#define SLOT_BYTES 2048u   /* the longest datagram echoed whole; a longer one is cut to it */
#define STREAM_BITS 17     /* 131,072 streams before the table is full */
#define RX_GROUP 1         /* the slots' buffer group */
#define RECV_TAG UINT64_MAX /* the receive's user_data; a send's is its slot */
/* A slot's buffer: what a multishot recvmsg puts before the datagram, then the datagram. */
#define BUF_BYTES (sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_in) + SLOT_BYTES)

/* An echo being sent or held; its bytes are in buffer i of the bufring. */
struct slot {
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_in to;
	uint64_t send_at; /* held for jitter until then, clock_us() */
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
	struct bufring rx;       /* buffer i is slot i's */
	struct slot *slots;
	unsigned n_slots;
	struct msghdr rmsg;      /* the receive's: the address length it wants, its cap */
	struct iovec riov;
	struct sockaddr_in from; /* a single receive's source */
	bool single;             /* one datagram a receive */
	bool armed;              /* the receive is posted */
	struct stream *streams;
	struct reflect_stats *st;
	uint64_t jitter_us; /* hold echoes up to this long; 0: none */
	uint64_t rng;       /* splitmix64 state, for the holds */
	unsigned *heap;     /* held slots, a binary heap by send_at */
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

/* The heap of held slots: the earliest send_at at the top. */
static uint64_t held_at(const struct reflector *r, unsigned k)
{
	return r->slots[r->heap[k]].send_at;
}

static void heap_swap(struct reflector *r, unsigned a, unsigned b)
{
	unsigned t = r->heap[a];

	r->heap[a] = r->heap[b];
	r->heap[b] = t;
}

static void hold(struct reflector *r, unsigned i)
{
	unsigned k = r->held++;

	r->heap[k] = i;
	while (k && held_at(r, (k - 1) / 2) > held_at(r, k)) {
		heap_swap(r, k, (k - 1) / 2);
		k = (k - 1) / 2;
	}
}

static unsigned unhold(struct reflector *r)
{
	unsigned top = r->heap[0], k = 0;

	r->heap[0] = r->heap[--r->held];
	for (;;) {
		unsigned c = 2 * k + 1;

		if (c >= r->held)
			break;
		if (c + 1 < r->held && held_at(r, c + 1) < held_at(r, c))
			c++;
		if (held_at(r, k) <= held_at(r, c))
			break;
		heap_swap(r, k, c);
		k = c;
	}
	return top;
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

static struct io_uring_sqe *get_sqe(struct reflector *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	return sqe;
}

/* Post the receive unless it is posted or every slot is busy (then: when one is back). */
static void arm(struct reflector *r)
{
	struct io_uring_sqe *sqe;

	if (r->armed || r->rx.lent == r->n_slots || !(sqe = get_sqe(r)))
		return;
	if (r->single) {
		r->rmsg.msg_iovlen = 1; /* the cap: a buffer holds more */
		io_uring_prep_recvmsg(sqe, r->fd, &r->rmsg, 0);
	} else {
		r->rmsg.msg_iovlen = 0; /* the whole buffer: header, address, datagram */
		io_uring_prep_recvmsg_multishot(sqe, r->fd, &r->rmsg, 0);
	}
	bufring_select(&r->rx, sqe);
	io_uring_sqe_set_data64(sqe, RECV_TAG);
	r->armed = true;
	r->st->receives++;
}

/* Send slot i's echo; its buffer goes back to the kernel when the send completes. */
static void send_echo(struct reflector *r, unsigned i)
{
	struct slot *s = &r->slots[i];
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe) {
		r->st->dropped++;
		bufring_put(&r->rx, (int)i);
		return;
	}
	io_uring_prep_sendmsg(sqe, r->fd, &s->msg, 0);
	io_uring_sqe_set_data64(sqe, i);
}

/* Send the held echoes whose time has come; the earliest still held, or UINT64_MAX. */
static uint64_t release_held(struct reflector *r, uint64_t now)
{
	while (r->held && held_at(r, 0) <= now)
		send_echo(r, unhold(r));
	return r->held ? held_at(r, 0) : UINT64_MAX;
}

/* A datagram of len bytes at buf arrived in slot i from *from: stamp it if it is one of ours. */
static void turn_round(struct reflector *r, unsigned i, uint8_t *buf, size_t len,
		       const struct sockaddr_in *from, uint64_t now)
{
	struct slot *s = &r->slots[i];
	struct rtp_hdr h;
	struct rtp_probe pr;
	const uint8_t *payload;
	size_t plen;

	r->st->received++;
	if (!rtp_parse(buf, len, &h, &payload, &plen) && !rtp_probe_get(payload, plen, &pr)) {
		pr.refl_rx_us = now;
		pr.refl_count = stream_count(r, from->sin_addr.s_addr, h.ssrc, now);
		rtp_probe_put(buf + (payload - buf), plen, &pr);
		r->st->stamped++;
	}
	s->to = *from;
	s->iov.iov_base = buf;
	s->iov.iov_len = len;
	if (r->jitter_us) {
		s->send_at = now + hold_us(r) + 1;
		hold(r, i); /* sent when its time comes */
	} else {
		send_echo(r, i);
	}
}

/* The receive's completion: a datagram in a slot, or why none. 0, or -errno to stop. */
static int on_recv(struct reflector *r, const struct io_uring_cqe *cqe, uint64_t now)
{
	int bid = bufring_id(&r->rx, cqe->flags);
	struct sockaddr_in from = r->from;
	uint8_t *buf;
	int len = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		r->armed = false; /* posted again after this pass */
	if (bid < 0) {
		if (cqe->res == -ENOBUFS)
			r->st->nobufs++; /* every slot busy: the datagrams wait in the socket */
		else if (cqe->res == -EINVAL && !r->single)
			r->single = true; /* a kernel before multishot recvmsg (Linux 6.0) */
		else if (cqe->res == -EINVAL)
			return -EINVAL;
		return 0;
	}
	buf = bufring_buf(&r->rx, bid);
	if (!r->single && len > 0) {
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, len, &r->rmsg);

		if (!o || o->namelen < sizeof(from)) {
			len = 0;
		} else {
			memcpy(&from, io_uring_recvmsg_name(o), sizeof(from));
			len = (int)io_uring_recvmsg_payload_length(o, cqe->res, &r->rmsg);
			buf = io_uring_recvmsg_payload(o, &r->rmsg);
		}
	}
	if (len > 0)
		turn_round(r, (unsigned)bid, buf, (size_t)len, &from, now);
	else
		bufring_put(&r->rx, bid); /* an empty datagram or an error: nothing to echo */
	return 0;
}

int reflect_listen(const struct sockaddr_in *addr)
{
	int one = 1, rcvbuf = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int reflect_run(int fd, const struct reflect_cfg *cfg, volatile sig_atomic_t *stop,
		struct reflect_stats *st)
{
	struct reflector r = {.fd = fd, .st = st, .n_slots = cfg->slots ? cfg->slots : 256,
			      .jitter_us = cfg->jitter_us, .single = cfg->single_recv,
			      .rng = clock_us()};
	uint64_t wait_us = 100000;
	int rc;

	memset(st, 0, sizeof(*st));
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
	r.heap = calloc(r.n_slots, sizeof(*r.heap));
	r.streams = calloc(1u << STREAM_BITS, sizeof(*r.streams));
	if (!r.slots || !r.heap || !r.streams) {
		rc = -ENOMEM;
		goto out_free;
	}
	/* a send per slot and the receive; the CQ (twice that) for all their completions */
	rc = io_uring_queue_init(r.n_slots + 1, &r.ring, 0);
	if (rc < 0)
		goto out_free;
	rc = bufring_init_some(&r.rx, &r.ring, RX_GROUP, r.n_slots, BUF_BYTES);
	if (rc < 0)
		goto out_ring;
	for (unsigned i = 0; i < r.n_slots; i++) {
		r.slots[i].msg.msg_name = &r.slots[i].to;
		r.slots[i].msg.msg_namelen = sizeof(r.slots[i].to);
		r.slots[i].msg.msg_iov = &r.slots[i].iov;
		r.slots[i].msg.msg_iovlen = 1;
	}
	r.riov.iov_len = SLOT_BYTES;
	r.rmsg.msg_name = &r.from;
	r.rmsg.msg_namelen = sizeof(r.from);
	r.rmsg.msg_iov = &r.riov;
	arm(&r);
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
		rc = 0;
		io_uring_for_each_cqe(&r.ring, head, cqe)
		{
			uint64_t tag = io_uring_cqe_get_data64(cqe);

			seen++;
			if (tag == RECV_TAG) {
				if (!rc)
					rc = on_recv(&r, cqe, now);
			} else if (tag < r.n_slots) {
				if (cqe->res < 0)
					st->dropped++;
				else
					st->echoed++;
				bufring_put(&r.rx, (int)tag); /* the slot is free */
			}
		}
		io_uring_cq_advance(&r.ring, seen);
		if (rc < 0)
			break;
		wait_us = 100000;
		if (r.held) {
			uint64_t next = release_held(&r, clock_us()), t = clock_us();

			if (next != UINT64_MAX)
				wait_us = next > t ? (next - t < wait_us ? next - t : wait_us) : 0;
		}
		arm(&r);
	}
	st->multishot = !r.single;
out_ring:
	/* the ring first: no send reads a buffer once it is gone (its registration with it) */
	io_uring_queue_exit(&r.ring);
	r.rx.uring = NULL;
	bufring_free(&r.rx);
out_free:
	free(r.slots);
	free(r.heap);
	free(r.streams);
	return rc < 0 ? rc : 0;
}
