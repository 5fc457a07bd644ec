/*
 * loadgen/metrics.c - the /metrics endpoint, served from the run's loop (metrics.h).
 *
 * One listening socket and a fixed table of clients, all non-blocking, all
 * in one poll() set. A client goes READ (gathering its request head) ->
 * WRITE (its answer, made whole at once) -> DRAIN (our side shut, reading
 * what it may still send until it closes, so that closing never resets an
 * answer it has not read yet) -> closed. Each has a deadline from its
 * accept; past it, it is closed wherever it was. Nothing a client does can
 * make metrics_poll() wait longer than it was asked to.
 */
#include "loadgen/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/stats/clock.h"
#include "loadgen/value.h"

#define DRAIN_MS 1000 /* how long a closing client may keep sending */

enum cstate { CL_FREE, CL_READ, CL_WRITE, CL_DRAIN };

struct client {
	int fd;
	enum cstate st;
	uint64_t deadline_us;       /* closed at this time, wherever it is */
	size_t rlen;                /* bytes of req */
	char req[METRICS_REQ_MAX];  /* the request head so far */
	char *out;                  /* owned: the whole answer */
	size_t olen, ooff;          /* its length, bytes sent */
};

struct metrics {
	int lfd;
	uint16_t port;
	struct client c[METRICS_CLIENTS];
};

/* ==== Listening ==== */

/* Split "HOST:PORT" / "[V6]:PORT" / ":PORT" into host (NULL: any) and port. 0 or -EINVAL. */
static int split_addr(const char *addr, char *host, size_t hcap, const char **port)
{
	const char *colon;
	size_t hl;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - addr - 1);
		addr++;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
	}
	if (hl >= hcap || !colon[1])
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = 0;
	*port = colon + 1;
	return 0;
}

struct metrics *metrics_listen(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256];
	const char *port;
	int one = 1, r, fd = -1;
	uint64_t port_n;
	struct metrics *m;

	if (split_addr(addr, host, sizeof(host), &port)) {
		snprintf(err, errlen, "%s: give HOST:PORT (127.0.0.1:9464, [::1]:9464, :9464)",
			 addr);
		return NULL;
	}
	/* getaddrinfo() would take 99999 and listen on 99999 % 65536 */
	if (value_uint(port, 0, 65535, &port_n)) {
		snprintf(err, errlen, "%s: the port is 1 to 65535 (or 0: any free port)", addr);
		return NULL;
	}
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(r));
		return NULL;
	}
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, a->ai_addr, a->ai_addrlen) && !listen(fd, 64))
			break;
		r = errno;
		close(fd);
		fd = -1;
		errno = r;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", addr);
		return NULL;
	}
	m->lfd = fd;
	for (int i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	return m;
}

uint16_t metrics_port(const struct metrics *m)
{
	return m->port;
}

/* ==== Clients ==== */

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->olen = c->ooff = c->rlen = 0;
	c->fd = -1;
	c->st = CL_FREE;
}

/* Make c's answer: status line, headers, and body (unless head_only). */
static void answer(struct client *c, int status, const char *reason, const char *body,
		   size_t blen, bool head_only, const char *extra)
{
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\n"
			  "Content-Type: %s\r\n"
			  "Content-Length: %zu\r\n"
			  "%s"
			  "Connection: close\r\n\r\n",
			  status, reason,
			  status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
					: "text/plain; charset=utf-8",
			  blen, extra ? extra : "");

	c->olen = (size_t)hl + (head_only ? 0 : blen);
	c->out = malloc(c->olen);
	if (!c->out) {
		drop(c);
		return;
	}
	memcpy(c->out, head, (size_t)hl);
	if (!head_only)
		memcpy(c->out + hl, body, blen);
	c->ooff = 0;
	c->st = CL_WRITE;
}

static void simple(struct client *c, int status, const char *reason, bool head_only,
		   const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	answer(c, status, reason, body, (size_t)n, head_only, extra);
}

/* The request head is complete in c->req: decide the answer. */
static void respond(struct client *c, metrics_render_fn fn, void *arg)
{
	char *sp1 = memchr(c->req, ' ', c->rlen), *sp2, *eol;
	bool get, head;

	eol = strpbrk(c->req, "\r\n");
	if (!sp1 || !eol || sp1 > eol || !(sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) ||
	    strncmp(sp2 + 1, "HTTP/1.", 7)) {
		simple(c, 400, "Bad Request", false, NULL);
		return;
	}
	get = sp1 - c->req == 3 && !memcmp(c->req, "GET", 3);
	head = sp1 - c->req == 4 && !memcmp(c->req, "HEAD", 4);
	if (!get && !head) {
		simple(c, 405, "Method Not Allowed", false, "Allow: GET, HEAD\r\n");
		return;
	}
	size_t plen = strcspn(sp1 + 1, "? ");
	if (plen != 8 || memcmp(sp1 + 1, "/metrics", 8)) {
		simple(c, 404, "Not Found", head, NULL);
		return;
	}

	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	int r = f ? fn(f, arg) : -1;

	if (f && fclose(f))
		r = -1;
	if (r)
		simple(c, 500, "Internal Server Error", head, NULL);
	else
		answer(c, 200, "OK", body, blen, head, NULL);
	free(body);
}

/* Has the head ended (an empty line)? */
static bool head_done(const struct client *c)
{
	return memmem(c->req, c->rlen, "\r\n\r\n", 4) || memmem(c->req, c->rlen, "\n\n", 2);
}

static void on_readable(struct client *c, metrics_render_fn fn, void *arg)
{
	char sink[512];
	ssize_t n;

	if (c->st == CL_DRAIN) {
		while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop(c);
		return;
	}
	n = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(c);
		return;
	}
	if (n < 0)
		return;
	c->rlen += (size_t)n;
	c->req[c->rlen] = 0;
	if (head_done(c))
		respond(c, fn, arg);
	else if (c->rlen == sizeof(c->req) - 1)
		simple(c, 431, "Request Header Fields Too Large", false, NULL);
}

static void on_writable(struct client *c, uint64_t now)
{
	while (c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->out + c->ooff, c->olen - c->ooff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				drop(c);
			return;
		}
		c->ooff += (size_t)n;
	}
	/* all sent: say so, then wait a little for the client to close its side */
	shutdown(c->fd, SHUT_WR);
	free(c->out);
	c->out = NULL;
	c->st = CL_DRAIN;
	if (c->deadline_us > now + DRAIN_MS * 1000ull)
		c->deadline_us = now + DRAIN_MS * 1000ull;
}

static void accept_all(struct metrics *m, uint64_t now)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";

	for (int k = 0; k < 64; k++) {
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or an error of that one connection */
		for (int i = 0; i < METRICS_CLIENTS && !c; i++)
			if (m->c[i].st == CL_FREE)
				c = &m->c[i];
		if (!c) {
			ssize_t r = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)r;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->st = CL_READ;
		c->rlen = 0;
		c->deadline_us = now + METRICS_CLIENT_MS * 1000ull;
	}
}

/* ==== The loop's wait ==== */

void metrics_poll(struct metrics *m, int timeout_ms, metrics_render_fn fn, void *arg)
{
	uint64_t end = clock_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;

	if (!m) {
		if (timeout_ms > 0)
			usleep((useconds_t)timeout_ms * 1000u);
		return;
	}
	for (;;) {
		struct pollfd pfd[METRICS_CLIENTS + 1];
		int idx[METRICS_CLIENTS + 1], n = 0;
		uint64_t now = clock_us(), wake = end;

		for (int i = 0; i < METRICS_CLIENTS; i++) {
			struct client *c = &m->c[i];

			if (c->st == CL_FREE)
				continue;
			if (now >= c->deadline_us) {
				drop(c);
				continue;
			}
			if (c->deadline_us < wake)
				wake = c->deadline_us;
			pfd[n].fd = c->fd;
			pfd[n].events = c->st == CL_WRITE ? POLLOUT : POLLIN;
			idx[n++] = i;
		}
		pfd[n].fd = m->lfd;
		pfd[n].events = POLLIN;
		idx[n++] = -1;
		if (now >= end)
			return;

		int r = poll(pfd, (nfds_t)n, (int)((wake - now + 999) / 1000));
		if (r < 0)
			return; /* a signal: let the loop see it */
		now = clock_us();
		for (int k = 0; k < n && r > 0; k++) {
			if (!pfd[k].revents)
				continue;
			if (idx[k] < 0) {
				accept_all(m, now);
				continue;
			}
			struct client *c = &m->c[idx[k]];
			if (c->st == CL_WRITE && (pfd[k].revents & (POLLOUT | POLLERR | POLLHUP)))
				on_writable(c, now);
			else if (pfd[k].revents & (POLLIN | POLLERR | POLLHUP))
				on_readable(c, fn, arg);
			/* a whole answer is often sent at once */
			if (c->st == CL_WRITE)
				on_writable(c, now);
		}
	}
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].st != CL_FREE)
			drop(&m->c[i]);
	close(m->lfd);
	free(m);
}
