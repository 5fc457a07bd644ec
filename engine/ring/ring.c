/*
 * engine/ring/ring.c - the io_uring loop of one thread (ring.h).
 *
 * A phone's sockets are "channels": the TCP one carries TLS (CSTP), the UDP
 * one DTLS. Each channel has at most one receive and one send in flight.
 * The bytes to send are pulled from the phone when the channel can take
 * them (phone_take_*); received bytes are lent to the phone for the time of
 * phone_on_recv. Errors are handed to the phone, which names the failure.
 * What the ring keeps of a phone (its channels, its timer, its path) lives
 * in a slot of its own, beside the phone: the ring never looks inside one.
 *
 * When the phones' sockets would not fit the descriptor limit (cfg
 * fixed_files, as preflight decides), they are io_uring registered files:
 * each ring has a table of its own, and the process's descriptor table
 * holds none of them (a socket is made and bound with plain calls, put in
 * the ring's table, and its descriptor closed at once). The kernel caps a
 * table at RLIMIT_NOFILE, but per ring, so 10,000 phones (20,000 sockets)
 * fit in one process under a limit of 20,000 when two or more threads
 * share them. Otherwise a channel's file is its plain descriptor.
 */
#include "engine/ring/ring.h"

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "engine/bufcache.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/phone/io.h"
#include "engine/phone/phone.h"
#include "engine/phone/worker.h"
#include "engine/ring/bufring.h"
#include "engine/ring/dns.h"
#include "engine/ring/pace.h"
#include "engine/ring/wheel.h"
#include "engine/stats/clock.h"
#include "engine/stats/hist.h"

#define RBUF 2048u      /* bytes: one receive of TLS records, or one datagram (path MTU 1500) */
#define RX_GROUP 0      /* the buffer group of the ring's receives */
#define MAX_CMDS 16     /* commands waiting for the ring to take them */
#define LATE_MAX 1024   /* RTP packets built and not yet handed to the kernel */
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15) /* Linux 6.12; liburing 2.3's header predates it */
#endif

enum op {
	OP_CONNECT = 1,
	OP_RECV,
	OP_SEND,
	OP_DNS_POLL,
	OP_IGNORED, /* a completion nobody waits for: a cancel, a shutdown, a close */
	OP_WAKE,
};

/* One socket of a phone. */
struct chan {
	int file;                /* its descriptor, or its entry (chan_entry) if r->fixed; -1 closed */
	uint16_t gen;            /* bumped at each open: completions of an older socket are stale */
	uint8_t inflight;        /* operations the kernel still holds */
	bool recv_busy, send_busy;
	/*
	 * Asked for while the kernel still held an operation of a socket the
	 * phone has closed since: posted when that stale operation completes.
	 */
	bool recv_wanted, send_wanted;
	uint8_t *sbuf;           /* owned; held by the kernel while a send is in flight */
	size_t scap, slen, soff; /* capacity, bytes to send, bytes sent */
};

/* What the ring keeps for one phone (slots[i] is phones[i]'s). */
struct slot {
	struct chan ch[2];
	struct timer timer;      /* the phone's one timer: phone_on_timer */
	struct ring *ring;       /* borrowed: the ring the slot belongs to */
	struct sockaddr_in peer; /* where the TCP channel connects (held until submitted) */
	uint64_t cut_until;      /* the path loses datagrams until then; 0: not */
	float cut_loss;          /* the share lost meanwhile; 1: all, and TCP held */
	uint16_t lookup_gen;     /* bumped per DNS lookup: an older answer is dropped */
	uint32_t src;            /* the TCP channel's source address, network order; 0: any */
};

struct ring {
	struct worker w;         /* the phones' side; they reach the ring through w.io */
	struct io_uring uring;
	bool uring_up;
	bool min_wait;           /* the kernel has a minimum wait (engine/ring/pace.h) */
	bool single_recv;        /* the kernel refused a multishot receive (before Linux 6.0) */
	bool fixed;              /* the channels' files are entries of a registered table */
	struct pace_load load;   /* timers and completions of late: batch when busy */
	struct wheel wheel;
	struct slot *slots;      /* owned: one per phone of w */
	struct dns *dns;         /* owned; NULL when every URL holds an address */
	struct bufring rx;       /* every receive's buffer, picked by the kernel as data arrives */
	bool rx_grown;           /* the pool of receive buffers grew in this pass of the loop */
	const struct fleet *fleet; /* borrowed */
	uint64_t t_end;          /* when phones are told to stop */
	uint64_t t_grace;        /* when the loop gives up waiting for them */
	struct timer stop_timer;
	uint32_t unsubmitted;    /* SQEs prepared, not yet submitted */
	uint64_t late_due[LATE_MAX]; /* when each RTP packet not yet submitted was due */
	uint32_t n_late;
	uint64_t rng;            /* xorshift state: the packet loss of an impaired path */
	char err[256];           /* why ring_init or ring_run failed */

	/* the timeline's commands: queued by the main thread, woken by wake_fd */
	pthread_mutex_t cmd_lock;
	bool cmd_lock_up;
	struct phone_command cmds[MAX_CMDS];
	uint32_t n_cmds;
	int wake_fd;             /* eventfd; -1 when none */
	uint64_t wake_buf;
};

/* user_data: local phone index (32) | channel generation (16) | channel (4) | op (4) */
static inline uint64_t ud_make(uint32_t local, uint16_t gen, unsigned ch, unsigned op)
{
	return ((uint64_t)local << 24) | ((uint64_t)gen << 8) | (ch << 4) | op;
}

static struct ring *ring_of(struct worker *w)
{
	return (struct ring *)((char *)w - offsetof(struct ring, w));
}

static uint32_t local_of(const struct ring *r, const struct phone *p)
{
	return (uint32_t)(p - r->w.phones);
}

static struct slot *slot_of(struct ring *r, const struct phone *p)
{
	return &r->slots[local_of(r, p)];
}

/* The entry of channel c of local phone `local` in the ring's registered files. */
static unsigned chan_entry(uint32_t local, enum chan_id c)
{
	return 2 * local + (unsigned)c;
}

/* sqe, prepared with a channel's file where a descriptor goes: an entry, if r->fixed. */
static void sqe_on_chan(const struct ring *r, struct io_uring_sqe *sqe)
{
	if (r->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
}

/* The RTP packets queued since the last submission leave now: how late each is. */
static void record_lateness(struct ring *r, uint64_t now)
{
	if (!r->n_late)
		return;
	for (uint32_t i = 0; i < r->n_late; i++)
		worker_record(&r->w, M_RTP_SEND_LATE,
			      now > r->late_due[i] ? now - r->late_due[i] : 0);
	r->n_late = 0;
}

static void submit_now(struct ring *r)
{
	io_uring_submit(&r->uring);
	r->unsubmitted = 0;
	record_lateness(r, clock_us());
}

/* Whatever is queued goes to the kernel now; true when nothing stays queued. */
static bool submit_queued(struct ring *r)
{
	if (io_uring_sq_ready(&r->uring))
		submit_now(r);
	return !io_uring_sq_ready(&r->uring);
}

static struct io_uring_sqe *get_sqe(struct ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

	if (!sqe) {
		submit_now(r);
		sqe = io_uring_get_sqe(&r->uring);
	}
	if (sqe)
		r->unsubmitted++;
	return sqe;
}

/* Does the phone's impaired path lose this datagram? */
static bool path_drops(struct ring *r, const struct slot *s, uint64_t now)
{
	if (!s->cut_until || now >= s->cut_until)
		return false;
	if (s->cut_loss >= 1)
		return true;
	r->rng ^= r->rng << 13; /* xorshift64 */
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return (double)(r->rng >> 11) * 0x1p-53 < s->cut_loss;
}

/* A cut path holds the phone's TCP both ways until it is restored. */
static bool tcp_held(const struct slot *s)
{
	return s->cut_until && s->cut_loss >= 1;
}

/* ==== The phones' I/O (struct phone_io) ==== */

static uint64_t io_now(struct worker *w)
{
	(void)w;
	return clock_us();
}

static void io_wake(struct worker *w, struct phone *p, uint64_t at)
{
	struct ring *r = ring_of(w);
	struct slot *s = slot_of(r, p);

	if (at == UINT64_MAX)
		wheel_del(&r->wheel, &s->timer);
	else
		wheel_add(&r->wheel, &s->timer, at);
}

static int io_recv(struct worker *w, struct phone *p, enum chan_id c)
{
	struct ring *r = ring_of(w);
	struct slot *s = slot_of(r, p);
	struct chan *ch = &s->ch[c];
	struct io_uring_sqe *sqe;

	if (ch->file < 0)
		return 0;
	if (ch->recv_busy) {
		ch->recv_wanted = true;
		return 0;
	}
	if (c == CH_TCP && tcp_held(s))
		return 0; /* a cut path: the bytes wait in the kernel until it is restored */
	sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	/*
	 * UDP: one multishot receive takes every datagram until it ends (an
	 * error, no buffer, the socket closed), instead of one SQE per datagram.
	 * TCP: one receive at a time, so that a cut path can hold its bytes.
	 */
	if (c == CH_UDP && !r->single_recv)
		io_uring_prep_recv_multishot(sqe, ch->file, NULL, 0, 0);
	else
		io_uring_prep_recv(sqe, ch->file, NULL, r->rx.size, 0);
	sqe_on_chan(r, sqe);
	bufring_select(&r->rx, sqe);
	io_uring_sqe_set_data64(sqe, ud_make(local_of(r, p), ch->gen, c, OP_RECV));
	ch->recv_busy = true;
	ch->recv_wanted = false;
	ch->inflight++;
	return 0;
}

static int post_send(struct ring *r, struct phone *p, enum chan_id c)
{
	struct chan *ch = &slot_of(r, p)->ch[c];
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, ch->file, ch->sbuf + ch->soff, ch->slen - ch->soff, MSG_NOSIGNAL);
	sqe_on_chan(r, sqe);
	io_uring_sqe_set_data64(sqe, ud_make(local_of(r, p), ch->gen, c, OP_SEND));
	ch->send_busy = true;
	ch->send_wanted = false;
	ch->inflight++;
	return 0;
}

static bool io_flush(struct worker *w, struct phone *p, enum chan_id c)
{
	struct ring *r = ring_of(w);
	struct slot *s = slot_of(r, p);
	struct chan *ch = &s->ch[c];

	if (ch->send_busy || ch->file < 0 || !phone_pending(p, c)) {
		ch->send_wanted |= ch->send_busy && ch->file >= 0;
		return ch->send_busy;
	}
	if (c == CH_TCP) {
		if (tcp_held(s))
			return false; /* held until the path is restored */
		phone_take_stream(p, &ch->sbuf, &ch->scap, &ch->slen);
	} else {
		if (!ch->sbuf) {
			/* from the thread's cache: a datagram now and then allocates nothing */
			ch->sbuf = bufcache_get();
			if (!ch->sbuf)
				return false;
			ch->scap = BUFCACHE_SIZE;
		}
		uint64_t now = s->cut_until ? clock_us() : 0;

		do
			ch->slen = phone_take_datagram(p, ch->sbuf, ch->scap);
		while (ch->slen && path_drops(r, s, now));
	}
	ch->soff = 0;
	if (ch->slen)
		post_send(r, p, c);
	return ch->send_busy;
}

static void chan_free_buffers(struct chan *ch)
{
	if (ch->scap == BUFCACHE_SIZE)
		bufcache_put(ch->sbuf); /* the size the cache deals in, whoever got it */
	else
		free(ch->sbuf);
	ch->sbuf = NULL;
	ch->scap = ch->slen = ch->soff = 0;
}

/*
 * Close channel c of phone local. What the kernel still holds of the socket
 * is cancelled by its user_data (this socket's generation), not by its
 * file: the cancel is submitted later, when the descriptor's number may
 * already be the phone's next socket, and an entry always is. A TCP
 * socket is shut down first, so that it sends its FIN even with bytes
 * unread (a close alone would send a reset then); a UDP one is not: the
 * cancels end its receive, and the kernel never runs a shutdown SQE inline
 * (each would wake one of io_uring's worker threads). The socket itself
 * goes when the kernel's last operation on it completes. A registered one
 * is shut down and its entry closed by SQEs, submitted in this order after
 * whatever was queued for it before.
 *
 * A plain descriptor: whatever is still queued and not submitted goes to
 * the kernel before the close(). A queued SQE names its socket by number,
 * and the kernel looks the number up only when the SQE is submitted.
 * Closed first, the number could be taken by the next socket opened in
 * this same pass (another phone's, or this phone's own reconnection), and
 * a queued send would put this socket's bytes on that one, a queued
 * receive eat its first bytes. (An entry has the same rule:
 * chan_install.)
 */
static void chan_close(struct ring *r, uint32_t local, enum chan_id c)
{
	static const unsigned ops[] = {OP_RECV, OP_SEND, OP_CONNECT};
	struct chan *ch = &r->slots[local].ch[c];
	struct io_uring_sqe *sqe;

	if (ch->file < 0)
		return;
	if (c == CH_UDP)
		; /* its receive ends with the cancels below */
	else if (!r->fixed)
		shutdown(ch->file, SHUT_RDWR);
	else if ((sqe = get_sqe(r))) {
		io_uring_prep_shutdown(sqe, ch->file, SHUT_RDWR);
		sqe_on_chan(r, sqe);
		io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_IGNORED));
	}
	for (unsigned i = 0; ch->inflight && i < sizeof(ops) / sizeof(ops[0]); i++) {
		sqe = get_sqe(r);
		if (!sqe)
			break;
		io_uring_prep_cancel64(sqe, ud_make(local, ch->gen, c, ops[i]), 0);
		io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_IGNORED));
	}
	if (!r->fixed) {
		submit_queued(r);
		close(ch->file);
	} else if ((sqe = get_sqe(r))) {
		io_uring_prep_close_direct(sqe, (unsigned)ch->file);
		io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_IGNORED));
	} else {
		int none = -1; /* the queue is stuck: empty the entry now */

		io_uring_register_files_update(&r->uring, (unsigned)ch->file, &none, 1);
	}
	ch->file = -1;
	ch->recv_wanted = ch->send_wanted = false;
	if (!ch->inflight)
		chan_free_buffers(ch);
}

/*
 * The file of channel c for socket fd: fd itself, or, if r->fixed, the
 * channel's entry with fd in it and the descriptor closed (the entry holds
 * the socket now, or the socket is gone). What is queued for the entry's
 * previous socket (its close) is submitted first: the kernel takes an
 * operation's socket from the entry when the operation is submitted. The
 * file, or -errno (-EBUSY: the queue could not be submitted).
 */
static int chan_install(struct ring *r, uint32_t local, enum chan_id c, int fd)
{
	unsigned entry = chan_entry(local, c);
	int rc = -EBUSY;

	if (!r->fixed)
		return fd;
	if (submit_queued(r))
		rc = io_uring_register_files_update(&r->uring, entry, &fd, 1);
	close(fd);
	return rc < 0 ? rc : (int)entry;
}

static void io_close(struct worker *w, struct phone *p, enum chan_id c)
{
	struct ring *r = ring_of(w);

	chan_close(r, local_of(r, p), c);
}

/*
 * Is addr (network order) this machine's, one it can send from? A socket
 * bound to one that is not (phones.freebind) gets ENETUNREACH from connect().
 */
static bool addr_is_local(uint32_t addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool local;

	if (fd < 0)
		return true; /* cannot tell: do not blame this machine */
	local = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EADDRNOTAVAIL;
	close(fd);
	return local;
}

static int new_socket(uint32_t src, int type, bool freebind)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = src};

		/* leave the port to connect(): many phones may share an address */
		setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		/* phones.freebind: an address that is not this machine's yet binds too */
		if (freebind)
			setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
	}
	return fd;
}

static int io_open(struct worker *w, struct phone *p, enum chan_id c, uint32_t src,
		   const struct sockaddr_in *dst)
{
	struct ring *r = ring_of(w);
	struct slot *s = slot_of(r, p);
	struct chan *ch = &s->ch[c];
	uint32_t local = local_of(r, p);
	int fd = new_socket(src, c == CH_TCP ? SOCK_STREAM : SOCK_DGRAM, w->cfg->freebind), rc;
	struct io_uring_sqe *sqe;

	if (fd < 0)
		return fd;
	/* a UDP connect only sets the peer: no round trip, done here */
	if (c == CH_UDP && connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		int e = -errno;

		close(fd);
		if (e == -ENETUNREACH && src && w->cfg->freebind && !addr_is_local(src))
			e = -EADDRNOTAVAIL; /* as a TCP connect's (io_done) */
		return e;
	}
	rc = chan_install(r, local, c, fd);
	if (rc < 0)
		return rc;
	ch->file = rc;
	ch->gen++;
	if (c == CH_UDP)
		return io_recv(w, p, CH_UDP);
	sqe = get_sqe(r);
	if (!sqe) {
		chan_close(r, local, c);
		return -EBUSY;
	}
	s->peer = *dst;
	s->src = src;
	io_uring_prep_connect(sqe, ch->file, (struct sockaddr *)&s->peer, sizeof(s->peer));
	sqe_on_chan(r, sqe);
	io_uring_sqe_set_data64(sqe, ud_make(local, ch->gen, CH_TCP, OP_CONNECT));
	ch->inflight++;
	return 0;
}

static void io_impair(struct worker *w, struct phone *p, uint64_t until, double loss)
{
	struct slot *s = slot_of(ring_of(w), p);

	s->cut_until = loss > 0 ? until : 0;
	s->cut_loss = (float)loss;
}

static void io_sent_due(struct worker *w, uint64_t due)
{
	struct ring *r = ring_of(w);

	if (r->n_late == LATE_MAX)
		submit_now(r);
	r->late_due[r->n_late++] = due;
}

/* ==== DNS ==== */

static int io_lookup(struct worker *w, struct phone *p, const char *host)
{
	struct ring *r = ring_of(w);
	struct slot *s = slot_of(r, p);

	if (!r->dns)
		return -ENOTSUP;
	s->lookup_gen++;
	return dns_lookup(r->dns, host, ((uint64_t)local_of(r, p) << 16) | s->lookup_gen);
}

static int io_dns_servers(struct worker *w, const struct in_addr *servers, int n)
{
	struct ring *r = ring_of(w);

	return r->dns ? dns_set_servers(r->dns, servers, n) : 0;
}

static int lookup_status(int dns_status)
{
	switch (dns_status) {
	case DNS_OK:
		return LOOKUP_OK;
	case DNS_NXDOMAIN:
		return LOOKUP_NXDOMAIN;
	case DNS_TIMEOUT:
		return LOOKUP_TIMEOUT;
	default:
		return LOOKUP_ERROR;
	}
}

static void dns_done(void *arg, uint64_t cookie, int status, struct in_addr addr)
{
	struct ring *r = arg;
	uint32_t local = (uint32_t)(cookie >> 16);

	if (local >= r->w.n_phones || r->slots[local].lookup_gen != (uint16_t)cookie)
		return; /* the phone has asked again since */
	phone_on_dns(&r->w, &r->w.phones[local], lookup_status(status), addr);
}

static int dns_poll(void *arg, int fd, bool add)
{
	struct ring *r = arg;
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return -EBUSY;
	if (add) {
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
		io_uring_sqe_set_data64(sqe, ud_make((uint32_t)fd, 0, 0, OP_DNS_POLL));
	} else {
		io_uring_prep_poll_remove(sqe, ud_make((uint32_t)fd, 0, 0, OP_DNS_POLL));
		io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_IGNORED));
	}
	return 0;
}

static const struct phone_io ring_io = {
	.now = io_now,
	.wake = io_wake,
	.lookup = io_lookup,
	.dns_servers = io_dns_servers,
	.open = io_open,
	.recv = io_recv,
	.flush = io_flush,
	.close = io_close,
	.impair = io_impair,
	.sent_due = io_sent_due,
};

/* ==== The timeline's commands ==== */

static void post_wake(struct ring *r)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return; /* commands are also taken at the top of the loop */
	io_uring_prep_read(sqe, r->wake_fd, &r->wake_buf, sizeof(r->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_WAKE));
}

int ring_command(struct ring *r, const struct phone_command *c)
{
	uint64_t one = 1;
	int rc = 0;

	pthread_mutex_lock(&r->cmd_lock);
	if (r->n_cmds == MAX_CMDS)
		rc = -EAGAIN;
	else
		r->cmds[r->n_cmds++] = *c;
	pthread_mutex_unlock(&r->cmd_lock);
	if (!rc && write(r->wake_fd, &one, sizeof(one)) < 0)
		rc = 0; /* the counter is full: the ring is awake anyway */
	return rc;
}

static void take_commands(struct ring *r)
{
	struct phone_command cmds[MAX_CMDS];
	uint32_t n;

	pthread_mutex_lock(&r->cmd_lock);
	n = r->n_cmds;
	memcpy(cmds, r->cmds, n * sizeof(cmds[0]));
	r->n_cmds = 0;
	pthread_mutex_unlock(&r->cmd_lock);
	for (uint32_t i = 0; i < n && !r->w.stopping; i++)
		worker_apply(&r->w, &cmds[i], clock_us());
}

/* ==== Completions ==== */

static void handle_cqe(struct ring *r, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned op = ud & 0xf, c = (ud >> 4) & 0xf;
	uint16_t gen = (uint16_t)(ud >> 8);
	uint32_t local = (uint32_t)(ud >> 24);
	int res = cqe->res;

	if (op == OP_IGNORED)
		return;
	if (op == OP_WAKE) {
		take_commands(r);
		post_wake(r);
		return;
	}
	if (op == OP_DNS_POLL) {
		if (r->dns && res > 0)
			dns_on_readable(r->dns, (int)local);
		return;
	}
	if (local >= r->w.n_phones || c > CH_UDP)
		return;

	struct worker *w = &r->w;
	struct phone *p = &w->phones[local];
	struct slot *s = &r->slots[local];
	struct chan *ch = &s->ch[c];
	/* a receive's data is in a buffer of r->rx, ours until put back below */
	int bid = op == OP_RECV ? bufring_id(&r->rx, cqe->flags) : -1;

	/* a multishot receive stays posted while its completions say F_MORE */
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		ch->inflight--;
		if (op == OP_RECV)
			ch->recv_busy = false;
		else if (op == OP_SEND)
			ch->send_busy = false;
	}
	if (gen != ch->gen || ch->file < 0) {
		/* a completion for a socket the phone has closed */
		if (ch->file < 0 && !ch->inflight)
			chan_free_buffers(ch);
		/* a newer socket of the channel asked meanwhile: its turn now */
		if (ch->file >= 0 && op == OP_RECV && ch->recv_wanted) {
			ch->recv_wanted = false;
			io_recv(w, p, (enum chan_id)c);
		} else if (ch->file >= 0 && op == OP_SEND && ch->send_wanted) {
			ch->send_wanted = false;
			io_flush(w, p, (enum chan_id)c);
		}
		goto out_put;
	}
	switch (op) {
	case OP_CONNECT:
		/* Linux sends nothing from a freebind address not its own: ours, not the path's */
		if (res == -ENETUNREACH && s->src && w->cfg->freebind && !addr_is_local(s->src))
			res = -EADDRNOTAVAIL;
		phone_on_connect(w, p, res);
		break;
	case OP_RECV:
		if (res == -ENOBUFS) {
			/*
			 * every buffer was out: the data waits in the socket, asked for
			 * again, with twice the buffers (once a pass) until the cap
			 */
			STAT_ADD(w, rx_nobufs, 1);
			if (!r->rx_grown && bufring_grow(&r->rx)) {
				r->rx_grown = true;
				STAT_ADD(w, rx_buffers, r->rx.n - w->st.rx_buffers);
			}
			if (!ch->recv_busy)
				io_recv(w, p, (enum chan_id)c);
			break;
		}
		if (c == CH_UDP && res == -EINVAL && !r->single_recv) {
			/* a kernel before multishot receives: one receive at a time from now on */
			r->single_recv = true;
			io_recv(w, p, CH_UDP);
			break;
		}
		if (c == CH_UDP && res > 0 && s->cut_until && path_drops(r, s, clock_us())) {
			if (!ch->recv_busy)
				io_recv(w, p, CH_UDP); /* lost on the way in */
			break;
		}
		phone_on_recv(w, p, (enum chan_id)c, bid >= 0 ? bufring_buf(&r->rx, bid) : NULL, res);
		if (ch->file >= 0 && res > 0 && !ch->recv_busy)
			io_recv(w, p, (enum chan_id)c);
		break;
	case OP_SEND:
		if (res > 0 && (ch->soff += (size_t)res) < ch->slen) {
			post_send(r, p, (enum chan_id)c);
			break;
		}
		phone_on_send(w, p, (enum chan_id)c, res < 0 ? res : 0);
		io_flush(w, p, (enum chan_id)c);
		if (!ch->send_busy) {
			/* an idle channel keeps no send buffer */
			chan_free_buffers(ch);
		}
		break;
	}
out_put:
	if (bid >= 0)
		bufring_put(&r->rx, bid);
}

/* ==== The loop ==== */

/*
 * Submit what is queued and sleep as pace says. With a minimum wait, the
 * call is liburing's io_uring_submit_and_wait_timeout with the minimum wait
 * filled in (liburing 2.3 has no field for it: its getevents argument's
 * `pad` is the kernel's min_wait_usec), the queue flushed as liburing does.
 */
static int submit_and_wait(struct ring *r, const struct pace *pace)
{
	struct __kernel_timespec ts = {.tv_sec = (long long)(pace->timeout_us / 1000000),
				       .tv_nsec = (long long)(pace->timeout_us % 1000000) * 1000};
	struct io_uring_cqe *cqe;

	if (!pace->min_wait_us)
		return io_uring_submit_and_wait_timeout(&r->uring, &cqe, pace->wait_nr, &ts, NULL);

	struct io_uring_sq *sq = &r->uring.sq;
	unsigned tail = sq->sqe_tail;
	struct io_uring_getevents_arg arg = {.sigmask = 0,
					     .sigmask_sz = _NSIG / 8,
					     .pad = pace->min_wait_us,
					     .ts = (uint64_t)(uintptr_t)&ts};

	if (sq->sqe_head != tail) {
		sq->sqe_head = tail;
		io_uring_smp_store_release(sq->ktail, tail);
	}
	return io_uring_enter2(r->uring.ring_fd, tail - *sq->khead, pace->wait_nr,
			       IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, (sigset_t *)&arg,
			       sizeof(arg));
}

static void phone_fired(struct timer *t, uint64_t now)
{
	struct slot *s = (struct slot *)((char *)t - offsetof(struct slot, timer));
	struct ring *r = s->ring;

	phone_on_timer(&r->w, &r->w.phones[s - r->slots], now);
}

static void stop_fired(struct timer *t, uint64_t now)
{
	struct ring *r = (struct ring *)((char *)t - offsetof(struct ring, stop_timer));
	uint64_t again = worker_stop(&r->w, now);

	if (again)
		wheel_add(&r->wheel, &r->stop_timer, again);
}

/* Every phone has ended, and the kernel holds nothing of theirs. */
static bool all_finished(struct ring *r)
{
	for (uint32_t i = 0; i < r->w.n_phones; i++)
		if (!phone_finished(&r->w.phones[i]) || r->slots[i].ch[CH_TCP].inflight ||
		    r->slots[i].ch[CH_UDP].inflight)
			return false;
	return true;
}

struct ring *ring_new(void)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (r)
		r->wake_fd = -1;
	return r;
}

int ring_init(struct ring *r, int id, const struct fleet *f, uint32_t n_phones)
{
	struct io_uring_params params;
	uint32_t n_rx, max_rx;
	int rc;

	r->fleet = f;
	memset(&params, 0, sizeof(params));
	params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	params.cq_entries = 16384;
	rc = io_uring_queue_init_params(2048, &r->uring, &params);
	if (rc < 0) {
		memset(&params, 0, sizeof(params));
		params.flags = IORING_SETUP_CQSIZE;
		params.cq_entries = 16384;
		rc = io_uring_queue_init_params(2048, &r->uring, &params);
	}
	if (rc < 0) {
		snprintf(r->err, sizeof(r->err), "io_uring_queue_init: %s", strerror(-rc));
		return rc;
	}
	r->uring_up = true;
	r->min_wait = (params.features & IORING_FEAT_MIN_TIMEOUT) &&
		      (params.features & IORING_FEAT_EXT_ARG);
	n_rx = f->cfg->rx_buffers ? f->cfg->rx_buffers : bufring_count(n_phones);
	max_rx = bufring_cap(n_phones);
	if (max_rx < n_rx)
		max_rx = n_rx;
	rc = bufring_init_max(&r->rx, &r->uring, RX_GROUP, n_rx, max_rx, RBUF);
	if (rc < 0) {
		snprintf(r->err, sizeof(r->err), "io_uring provided-buffer ring: %s%s",
			 strerror(-rc),
			 rc == -EINVAL ? " (Linux 5.19 or later is needed)"
				       : rc == -ENOMEM ? " (memory for this thread's receive buffers)"
						       : "");
		return rc;
	}
	r->fixed = f->cfg->fixed_files;
	rc = r->fixed && n_phones ? io_uring_register_files_sparse(&r->uring, 2 * n_phones) : 0;
	if (rc < 0) {
		snprintf(r->err, sizeof(r->err),
			 "io_uring registered files, %u for this thread's %u phones: %s%s",
			 2 * n_phones, n_phones, strerror(-rc),
			 rc == -EMFILE ? " (a thread's table may hold no more than the descriptor "
					 "limit, ulimit -n: more worker threads, run.threads, "
					 "make each smaller)"
				       : "");
		return rc;
	}
	pthread_mutex_init(&r->cmd_lock, NULL);
	r->cmd_lock_up = true;
	r->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(id + 1);
	r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wake_fd < 0) {
		snprintf(r->err, sizeof(r->err), "eventfd: %s", strerror(errno));
		return -errno;
	}
	post_wake(r);
	r->slots = calloc(n_phones ? n_phones : 1, sizeof(*r->slots));
	if (!r->slots || worker_init(&r->w, id, &ring_io, f, n_phones)) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -ENOMEM;
	}
	STAT_ADD(&r->w, rx_buffers, r->rx.n);
	for (uint32_t i = 0; i < n_phones; i++) {
		struct slot *s = &r->slots[i];

		s->ch[CH_TCP].file = s->ch[CH_UDP].file = -1;
		s->ring = r;
		timer_init(&s->timer, phone_fired);
	}
	wheel_init(&r->wheel, clock_us());
	timer_init(&r->stop_timer, stop_fired);
	if (f->needs_dns) {
		r->dns = dns_new(f->cfg->dns, f->cfg->n_dns, 14000, 3, dns_poll, dns_done, r);
		if (!r->dns) {
			snprintf(r->err, sizeof(r->err), "DNS resolver initialisation failed");
			return -ENOMEM;
		}
	}
	return 0;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; r->slots && i < r->w.n_phones; i++) {
		chan_free_buffers(&r->slots[i].ch[CH_TCP]);
		chan_free_buffers(&r->slots[i].ch[CH_UDP]);
	}
	free(r->slots);
	worker_fini(&r->w);
	if (r->dns)
		dns_free(r->dns);
	if (r->cmd_lock_up)
		pthread_mutex_destroy(&r->cmd_lock);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->uring_up) {
		bufring_free(&r->rx);
		io_uring_queue_exit(&r->uring);
	}
	free(r);
}

struct worker *ring_worker(struct ring *r)
{
	return &r->w;
}

const char *ring_error(const struct ring *r)
{
	return r->err;
}

int ring_run(struct ring *r, uint64_t t_end, uint64_t t_grace)
{
	struct worker *w = &r->w;

	r->t_end = t_end;
	r->t_grace = t_grace;
	wheel_add(&r->wheel, &r->stop_timer, r->t_end);
	/* a pass of the loop (all but the wait) is one stretch of recording latencies */
	worker_pass_begin(w);
	for (;;) {
		uint64_t now = clock_us();
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		if (!w->stopping && fleet_stop_requested(r->fleet)) {
			wheel_del(&r->wheel, &r->stop_timer);
			stop_fired(&r->stop_timer, now);
		}
		pace_count(&r->load, now, wheel_run(&r->wheel, now));
		if (r->dns)
			dns_tick(r->dns);
		if (w->stopping && (all_finished(r) || now >= r->t_grace))
			break;
		if (w->cfg->probe && all_finished(r))
			break; /* every probe is done: no need to wait for the end */

		struct pace pace = pace_plan(wheel_timeout(&r->wheel, clock_us()), r->load.busy,
					     w->stopping, r->min_wait);
		record_lateness(r, clock_us()); /* submitted by the call below */
		worker_pass_end(w);
		int rc = submit_and_wait(r, &pace);
		worker_pass_begin(w);
		r->unsubmitted = 0;
		r->rx_grown = false;
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
			snprintf(r->err, sizeof(r->err), "io_uring_submit_and_wait: %s",
				 strerror(-rc));
			worker_pass_end(w);
			return rc;
		}
		io_uring_for_each_cqe(&r->uring, head, cqe)
		{
			handle_cqe(r, cqe);
			seen++;
		}
		io_uring_cq_advance(&r->uring, seen);
		pace_count(&r->load, clock_us(), seen);
	}
	/* whatever did not finish in the grace time is closed now */
	for (uint32_t i = 0; i < w->n_phones; i++) {
		chan_close(r, i, CH_TCP);
		chan_close(r, i, CH_UDP);
	}
	submit_now(r);
	worker_pass_end(w);
	return 0;
}
