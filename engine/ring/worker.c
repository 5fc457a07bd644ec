/*
 * engine/ring/worker.c - the io_uring loop of one thread (worker.h).
 *
 * A phone's sockets are "channels": the TCP one carries TLS (CSTP), the UDP
 * one DTLS. Each channel has at most one receive and one send in flight.
 * The bytes to send are whatever the channel's membio collected from
 * OpenSSL; received bytes are lent to the phone, which feeds them to its
 * session. Errors are handed to the phone, which names the failure.
 */
#include "engine/ring/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "engine/ring/clock.h"
#include "engine/config.h"
#include "engine/ring/dns.h"
#include "engine/tls/membio.h"
#include "engine/swarm.h"
#include "engine/trust/trust.h"
#include "engine/voice/voice.h"
#include "engine/stats/hist.h"

#define TCP_RBUF 2048u /* bytes: one receive of TLS records */
#define UDP_RBUF 2048u /* bytes: one datagram (path MTU 1500) */

enum op {
	OP_CONNECT = 1,
	OP_RECV,
	OP_SEND,
	OP_DNS_POLL,
	OP_CANCEL,
	OP_WAKE,
};

/* user_data: local phone index (32) | generation (16) | channel (4) | op (4) */
static inline uint64_t ud_make(uint32_t local, uint16_t gen, unsigned ch, unsigned op)
{
	return ((uint64_t)local << 24) | ((uint64_t)gen << 8) | (ch << 4) | op;
}

/* The RTP packets queued since the last submission leave now: how late each is. */
static void record_lateness(struct worker *w, uint64_t now)
{
	if (!w->n_late)
		return;
	pthread_mutex_lock(&w->ival_lock);
	for (uint32_t i = 0; i < w->n_late; i++)
		hist_record(w->ival[M_RTP_SEND_LATE], now > w->late_due[i] ? now - w->late_due[i] : 0);
	pthread_mutex_unlock(&w->ival_lock);
	w->n_late = 0;
}

static void submit_now(struct worker *w)
{
	io_uring_submit(&w->ring);
	w->unsubmitted = 0;
	record_lateness(w, clock_us());
}

static struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		submit_now(w);
		sqe = io_uring_get_sqe(&w->ring);
	}
	if (sqe)
		w->unsubmitted++;
	return sqe;
}

static uint32_t local_of(struct worker *w, struct phone *p)
{
	return (uint32_t)(p - w->phones);
}

static struct tls *chan_tls(struct phone *p, enum chan_id c)
{
	return c == CH_TCP ? &p->tls : &p->dtls_s;
}

/* ==== Channels ==== */

int worker_recv(struct worker *w, struct phone *p, enum chan_id c)
{
	struct chan *ch = &p->ch[c];
	struct io_uring_sqe *sqe;

	if (ch->recv_busy || ch->fd < 0)
		return 0;
	if (c == CH_TCP && p->cut_until && p->cut_loss >= 1)
		return 0; /* a cut path: the bytes wait in the kernel until it is restored */
	if (!ch->rbuf) {
		ch->rcap = c == CH_TCP ? TCP_RBUF : UDP_RBUF;
		ch->rbuf = malloc(ch->rcap);
		if (!ch->rbuf)
			return -ENOMEM;
	}
	sqe = get_sqe(w);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, ch->fd, ch->rbuf, ch->rcap, 0);
	io_uring_sqe_set_data64(sqe, ud_make(local_of(w, p), p->gen, c, OP_RECV));
	ch->recv_busy = true;
	ch->inflight++;
	return 0;
}

static int post_send(struct worker *w, struct phone *p, enum chan_id c)
{
	struct chan *ch = &p->ch[c];
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, ch->fd, ch->sbuf + ch->soff, ch->slen - ch->soff, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud_make(local_of(w, p), p->gen, c, OP_SEND));
	ch->send_busy = true;
	ch->inflight++;
	return 0;
}

void worker_flush(struct worker *w, struct phone *p, enum chan_id c)
{
	struct chan *ch = &p->ch[c];
	struct tls *t = chan_tls(p, c);

	if (ch->send_busy || ch->fd < 0 || !t->ssl || !membio_pending(t->bio))
		return;
	if (c == CH_TCP) {
		if (p->cut_until && p->cut_loss >= 1)
			return; /* held until the path is restored */
		membio_take(t->bio, &ch->sbuf, &ch->scap, &ch->slen);
	} else {
		if (!ch->sbuf) {
			ch->scap = UDP_RBUF;
			ch->sbuf = malloc(ch->scap);
			if (!ch->sbuf)
				return;
		}
		uint64_t now = p->cut_until ? clock_us() : 0;

		do
			ch->slen = membio_take_dgram(t->bio, ch->sbuf, ch->scap);
		while (ch->slen && worker_path_drops(w, p, now));
	}
	ch->soff = 0;
	if (ch->slen)
		post_send(w, p, c);
}

static void chan_free_buffers(struct chan *ch)
{
	free(ch->rbuf);
	free(ch->sbuf);
	ch->rbuf = ch->sbuf = NULL;
	ch->rcap = 0;
	ch->scap = ch->slen = ch->soff = 0;
}

void worker_close(struct worker *w, struct phone *p, enum chan_id c)
{
	struct chan *ch = &p->ch[c];

	if (ch->fd < 0)
		return;
	/* wake any receive in flight, then let the ring drop what it holds */
	shutdown(ch->fd, SHUT_RDWR);
	if (ch->inflight) {
		struct io_uring_sqe *sqe = get_sqe(w);

		if (sqe) {
			io_uring_prep_cancel_fd(sqe, ch->fd, IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_CANCEL));
		}
	}
	close(ch->fd);
	ch->fd = -1;
	if (!ch->inflight)
		chan_free_buffers(ch);
}

static int new_socket(struct worker *w, struct phone *p, int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	if (p->src) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = p->src};

		/* leave the port to connect(): many phones may share an address */
		setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		/* phones.freebind: an address routed here, on no interface, binds too */
		if (w->cfg->freebind)
			setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
	}
	return fd;
}

bool worker_addr_is_local(uint32_t addr)
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

int worker_tcp_connect(struct worker *w, struct phone *p)
{
	struct chan *ch = &p->ch[CH_TCP];
	struct io_uring_sqe *sqe;
	int fd = new_socket(w, p, SOCK_STREAM);

	if (fd < 0)
		return fd;
	sqe = get_sqe(w);
	if (!sqe) {
		close(fd);
		return -EBUSY;
	}
	ch->fd = fd;
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&p->dst, sizeof(p->dst));
	io_uring_sqe_set_data64(sqe, ud_make(local_of(w, p), p->gen, CH_TCP, OP_CONNECT));
	ch->inflight++;
	return 0;
}

int worker_udp_open(struct worker *w, struct phone *p, uint16_t port)
{
	struct chan *ch = &p->ch[CH_UDP];
	struct sockaddr_in sa = p->dst;
	int fd = new_socket(w, p, SOCK_DGRAM);

	if (fd < 0)
		return fd;
	sa.sin_port = htons(port);
	/* a UDP connect only sets the peer: no round trip, done here */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	ch->fd = fd;
	return worker_recv(w, p, CH_UDP);
}

bool worker_path_drops(struct worker *w, struct phone *p, uint64_t now)
{
	if (!p->cut_until || now >= p->cut_until)
		return false;
	if (p->cut_loss >= 1)
		return true;
	w->rng ^= w->rng << 13; /* xorshift64 */
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (double)(w->rng >> 11) * 0x1p-53 < p->cut_loss;
}

void worker_record(struct worker *w, enum metric m, uint64_t us)
{
	pthread_mutex_lock(&w->ival_lock);
	hist_record(w->ival[m], us);
	pthread_mutex_unlock(&w->ival_lock);
}

void worker_sent_due(struct worker *w, uint64_t due)
{
	if (w->n_late == WORKER_LATE_MAX)
		submit_now(w);
	w->late_due[w->n_late++] = due;
}

/* ==== DNS ==== */

static void dns_done(void *arg, uint64_t cookie, int status, struct in_addr addr)
{
	struct worker *w = arg;
	uint32_t local = (uint32_t)(cookie >> 16);
	uint16_t gen = (uint16_t)cookie;

	if (local >= w->n_phones)
		return;
	struct phone *p = &w->phones[local];
	if (p->gen != gen || p->state != PH_RESOLVING)
		return; /* the phone gave up on this lookup */
	phone_on_dns(w, p, status, addr);
}

int worker_dns_lookup(struct worker *w, struct phone *p, const char *host)
{
	if (!w->dns)
		return -ENOTSUP;
	return dns_lookup(w->dns, host, ((uint64_t)local_of(w, p) << 16) | p->gen);
}

static int dns_poll(void *arg, int fd, bool add)
{
	struct worker *w = arg;
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return -EBUSY;
	if (add) {
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
		io_uring_sqe_set_data64(sqe, ud_make((uint32_t)fd, 0, 0, OP_DNS_POLL));
	} else {
		io_uring_prep_poll_remove(sqe, ud_make((uint32_t)fd, 0, 0, OP_DNS_POLL));
		io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_CANCEL));
	}
	return 0;
}

/* ==== The timeline's commands ==== */

static void post_wake(struct worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (!sqe)
		return; /* commands are also taken at the top of the loop */
	io_uring_prep_read(sqe, w->wake_fd, &w->wake_buf, sizeof(w->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, ud_make(0, 0, 0, OP_WAKE));
}

int worker_command(struct worker *w, const struct phone_command *c)
{
	uint64_t one = 1;
	int r = 0;

	pthread_mutex_lock(&w->cmd_lock);
	if (w->n_cmds == WORKER_MAX_CMDS)
		r = -EAGAIN;
	else
		w->cmds[w->n_cmds++] = *c;
	pthread_mutex_unlock(&w->cmd_lock);
	if (!r && write(w->wake_fd, &one, sizeof(one)) < 0)
		r = 0; /* the counter is full: the worker is awake anyway */
	return r;
}

static void apply(struct worker *w, const struct phone_command *c, uint64_t now)
{
	if (c->action == PA_DNS) {
		if (w->dns)
			dns_set_servers(w->dns, c->dns, c->n_dns);
		return;
	}
	for (uint32_t i = 0; i < w->n_phones; i++) {
		struct phone *p = &w->phones[i];

		if (!policy_selected(&c->sel, p->idx))
			continue;
		switch (c->action) {
		case PA_RESET:
			phone_reset(w, p, now, now + policy_spread_us(p->idx, c->spread_us), c->fetch);
			break;
		case PA_CUT:
			phone_cut(w, p, now, now + c->duration_us, c->loss);
			break;
		case PA_FETCH:
			phone_fetch_config(w, p);
			break;
		case PA_TRUST:
			phone_set_trust(w, p, (const uint8_t(*)[20])c->hashes, c->n_hashes);
			break;
		default:
			break;
		}
	}
}

static void take_commands(struct worker *w)
{
	struct phone_command cmds[WORKER_MAX_CMDS];
	uint32_t n;

	pthread_mutex_lock(&w->cmd_lock);
	n = w->n_cmds;
	memcpy(cmds, w->cmds, n * sizeof(cmds[0]));
	w->n_cmds = 0;
	pthread_mutex_unlock(&w->cmd_lock);
	for (uint32_t i = 0; i < n && !w->stopping; i++)
		apply(w, &cmds[i], clock_us());
}

/* ==== Completions ==== */

static void handle_cqe(struct worker *w, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned op = ud & 0xf, c = (ud >> 4) & 0xf;
	uint16_t gen = (uint16_t)(ud >> 8);
	uint32_t local = (uint32_t)(ud >> 24);
	int res = cqe->res;

	if (op == OP_CANCEL)
		return;
	if (op == OP_WAKE) {
		take_commands(w);
		post_wake(w);
		return;
	}
	if (op == OP_DNS_POLL) {
		if (w->dns && res > 0)
			dns_on_readable(w->dns, (int)local);
		return;
	}
	if (local >= w->n_phones || c > CH_UDP)
		return;

	struct phone *p = &w->phones[local];
	struct chan *ch = &p->ch[c];

	ch->inflight--;
	if (op == OP_RECV)
		ch->recv_busy = false;
	else if (op == OP_SEND)
		ch->send_busy = false;
	if (gen != p->gen || ch->fd < 0) {
		/* a completion for a connection the phone has left */
		if (ch->fd < 0 && !ch->inflight)
			chan_free_buffers(ch);
		return;
	}
	switch (op) {
	case OP_CONNECT:
		phone_on_connect(w, p, res);
		break;
	case OP_RECV:
		if (c == CH_UDP && res > 0 && p->cut_until && worker_path_drops(w, p, clock_us())) {
			worker_recv(w, p, CH_UDP); /* lost on the way in */
			break;
		}
		phone_on_recv(w, p, (enum chan_id)c, res);
		if (ch->fd >= 0 && res > 0)
			worker_recv(w, p, (enum chan_id)c);
		break;
	case OP_SEND:
		if (res > 0 && (ch->soff += (size_t)res) < ch->slen) {
			post_send(w, p, (enum chan_id)c);
			break;
		}
		phone_on_send(w, p, (enum chan_id)c, res < 0 ? res : 0);
		worker_flush(w, p, (enum chan_id)c);
		if (!ch->send_busy) {
			/* an idle channel keeps no send buffer */
			free(ch->sbuf);
			ch->sbuf = NULL;
			ch->scap = ch->slen = ch->soff = 0;
		}
		break;
	}
}

/* ==== The loop ==== */

static void stop_all(struct timer *t, uint64_t now)
{
	struct worker *w = (struct worker *)((char *)t - offsetof(struct worker, stop_timer));

	/* phones in calls hang up first, and log out once the last echoes are back */
	if (w->cfg->calls > 0 && !w->hung_up) {
		w->hung_up = true;
		for (uint32_t i = 0; i < w->n_phones; i++)
			voice_hangup(w, &w->phones[i], now);
		wheel_add(&w->wheel, &w->stop_timer, now + VOICE_DRAIN_US + 20000u);
		return;
	}

	w->stopping = true;
	for (uint32_t i = 0; i < w->n_phones; i++)
		phone_stop(w, &w->phones[i], now);
}

static bool all_finished(struct worker *w)
{
	for (uint32_t i = 0; i < w->n_phones; i++)
		if (!phone_finished(&w->phones[i]))
			return false;
	return true;
}

int worker_init(struct worker *w, int id, struct swarm *sw)
{
	struct io_uring_params params;
	int r;

	w->id = id;
	w->sw = sw;
	w->cfg = swarm_config(sw);
	memset(&params, 0, sizeof(params));
	params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	params.cq_entries = 16384;
	r = io_uring_queue_init_params(2048, &w->ring, &params);
	if (r < 0) {
		memset(&params, 0, sizeof(params));
		params.flags = IORING_SETUP_CQSIZE;
		params.cq_entries = 16384;
		r = io_uring_queue_init_params(2048, &w->ring, &params);
	}
	if (r < 0) {
		snprintf(w->err, sizeof(w->err), "io_uring_queue_init: %s", strerror(-r));
		return r;
	}
	pthread_mutex_init(&w->ival_lock, NULL);
	pthread_mutex_init(&w->cmd_lock, NULL);
	w->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(id + 1);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		snprintf(w->err, sizeof(w->err), "eventfd: %s", strerror(errno));
		return -errno;
	}
	post_wake(w);
	for (int m = 0; m < M__COUNT; m++) {
		w->ival[m] = hist_new();
		if (!w->ival[m])
			return -ENOMEM;
	}
	if (failq_init(&w->failq, FAILQ_CAP))
		return -ENOMEM;
	w->trust = trust_table_new();
	if (!w->trust)
		return -ENOMEM;
	wheel_init(&w->wheel, clock_us());
	timer_init(&w->stop_timer, stop_all);
	if (swarm_needs_dns(sw)) {
		w->dns = dns_new(w->cfg->dns, w->cfg->n_dns, 14000, 3, dns_poll, dns_done, w);
		if (!w->dns) {
			snprintf(w->err, sizeof(w->err), "DNS resolver initialisation failed");
			return -ENOMEM;
		}
	}
	return 0;
}

void worker_fini(struct worker *w)
{
	for (uint32_t i = 0; i < w->n_phones; i++)
		phone_release(&w->phones[i]);
	trust_table_free(w->trust);
	w->trust = NULL;
	if (w->dns)
		dns_free(w->dns);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(w->ival[m]);
	pthread_mutex_destroy(&w->ival_lock);
	pthread_mutex_destroy(&w->cmd_lock);
	if (w->wake_fd > 0)
		close(w->wake_fd);
	failq_free(&w->failq);
	io_uring_queue_exit(&w->ring);
}

int worker_run(struct worker *w)
{
	wheel_add(&w->wheel, &w->stop_timer, w->t_end);
	for (;;) {
		uint64_t now = clock_us();
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;

		if (!w->stopping && swarm_stop_requested(w->sw)) {
			wheel_del(&w->wheel, &w->stop_timer);
			stop_all(&w->stop_timer, now);
		}
		wheel_run(&w->wheel, now);
		if (w->dns)
			dns_tick(w->dns);
		if (w->stopping && (all_finished(w) || now >= w->t_grace))
			break;
		if (w->cfg->probe && all_finished(w))
			break; /* every probe is done: no need to wait for the end */

		uint64_t wait = wheel_timeout(&w->wheel, clock_us());
		if (w->stopping && wait > 100000)
			wait = 100000; /* keep checking whether everyone is done */
		if (wait > 1000000)
			wait = 1000000;
		struct __kernel_timespec ts = {.tv_sec = (long long)(wait / 1000000),
					       .tv_nsec = (long long)(wait % 1000000) * 1000};
		record_lateness(w, clock_us()); /* submitted by the call below */
		int r = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
		w->unsubmitted = 0;
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY) {
			snprintf(w->err, sizeof(w->err), "io_uring_submit_and_wait: %s",
				 strerror(-r));
			return r;
		}
		io_uring_for_each_cqe(&w->ring, head, cqe)
		{
			handle_cqe(w, cqe);
			seen++;
		}
		io_uring_cq_advance(&w->ring, seen);
	}
	/* whatever did not finish in the grace time is closed now */
	for (uint32_t i = 0; i < w->n_phones; i++) {
		worker_close(w, &w->phones[i], CH_TCP);
		worker_close(w, &w->phones[i], CH_UDP);
	}
	submit_now(w);
	return 0;
}
