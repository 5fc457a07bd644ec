/*
 * engine/ring/dns.c - c-ares on the ring (dns.h).
 *
 * c-ares owns the queries and their sockets; we only tell it when a socket
 * is readable and when time has passed. Lookups skip /etc/hosts and search
 * domains: a phone asks its DNS servers for exactly the URL's host.
 */
#include "engine/ring/dns.h"

#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <pthread.h>

#include "engine/stats/clock.h"

#define DNS_TICK_US 20000u /* how often timeouts are looked at */

struct dns {
	ares_channel ch;
	ares_channel old;       /* the channel before a server switch, until its lookups end */
	unsigned gen;           /* bumped by a switch: lookups of an older gen are old's */
	dns_poll_fn poll;
	dns_done_fn done;
	void *arg;
	unsigned inflight, old_inflight;
	unsigned retry_ms, tries;
	uint64_t next_tick;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	ares_library_init(ARES_LIB_INIT_ALL);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;

	(void)writable;
	d->poll(d->arg, fd, readable != 0);
}

static int channel_new(struct dns *d, ares_channel *ch, const struct in_addr *servers, int n)
{
	struct ares_options o;
	struct ares_addr_node nodes[8];
	char lookups[] = "b";

	if (n < 1 || n > 8)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	o.timeout = (int)d->retry_ms;
	o.tries = (int)d->tries;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	o.lookups = lookups;
	o.ndomains = 0;
	if (ares_init_options(ch, &o,
			      ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				      ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS) !=
	    ARES_SUCCESS)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = AF_INET;
		nodes[i].addr.addr4 = servers[i];
	}
	if (ares_set_servers(*ch, nodes) != ARES_SUCCESS) {
		ares_destroy(*ch);
		return -EIO;
	}
	return 0;
}

struct dns *dns_new(const struct in_addr *servers, int n, unsigned retry_ms, unsigned tries,
		    dns_poll_fn poll, dns_done_fn done, void *arg)
{
	struct dns *d;

	pthread_once(&once, lib_init);
	if (n < 1 || n > 4)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->poll = poll;
	d->done = done;
	d->arg = arg;
	d->retry_ms = retry_ms;
	d->tries = tries;
	if (channel_new(d, &d->ch, servers, n)) {
		free(d);
		return NULL;
	}
	return d;
}

/*
 * c-ares will not change the servers of a channel with lookups under way,
 * so those finish on the old channel while new lookups use a new one.
 */
int dns_set_servers(struct dns *d, const struct in_addr *servers, int n)
{
	ares_channel ch;
	int r = channel_new(d, &ch, servers, n);

	if (r)
		return r;
	if (d->old)
		ares_destroy(d->old); /* a switch before the last one settled: those lookups end */
	d->old = d->ch;
	d->old_inflight = d->inflight;
	d->inflight = 0;
	d->gen++;
	d->ch = ch;
	return 0;
}

void dns_free(struct dns *d)
{
	if (!d)
		return;
	ares_destroy(d->ch); /* calls back every pending lookup with ARES_EDESTRUCTION */
	if (d->old)
		ares_destroy(d->old);
	free(d);
}

struct lookup {
	struct dns *d;
	uint64_t cookie;
	unsigned gen;
};

static void host_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct lookup *l = arg;
	struct dns *d = l->d;
	struct in_addr addr = {0};
	int st;

	(void)timeouts;
	if (l->gen == d->gen)
		d->inflight--;
	else
		d->old_inflight--;
	if (status == ARES_SUCCESS && he && he->h_addrtype == AF_INET && he->h_addr_list[0]) {
		memcpy(&addr, he->h_addr_list[0], sizeof(addr));
		st = DNS_OK;
	} else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		st = DNS_NXDOMAIN;
	} else if (status == ARES_ETIMEOUT) {
		st = DNS_TIMEOUT;
	} else {
		st = DNS_ERROR;
	}
	if (status != ARES_EDESTRUCTION)
		d->done(d->arg, l->cookie, st, addr);
	free(l);
}

int dns_lookup(struct dns *d, const char *host, uint64_t cookie)
{
	struct lookup *l = malloc(sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->d = d;
	l->cookie = cookie;
	l->gen = d->gen;
	d->inflight++;
	ares_gethostbyname(d->ch, host, AF_INET, host_cb, l);
	return 0;
}

void dns_on_readable(struct dns *d, int fd)
{
	ares_process_fd(d->ch, fd, ARES_SOCKET_BAD);
	if (d->old)
		ares_process_fd(d->old, fd, ARES_SOCKET_BAD);
}

unsigned dns_tick(struct dns *d)
{
	uint64_t now;

	if (d->old && !d->old_inflight) {
		ares_destroy(d->old);
		d->old = NULL;
	}
	if (!d->inflight && !d->old)
		return 0;
	now = clock_us();
	if (now >= d->next_tick) {
		d->next_tick = now + DNS_TICK_US;
		ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		if (d->old)
			ares_process_fd(d->old, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	return d->inflight + d->old_inflight;
}
