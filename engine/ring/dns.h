/*
 * engine/ring/dns.h - asynchronous A lookups through the phone's DNS servers.
 *
 * One c-ares channel per worker, driven from the ring: c-ares says which
 * sockets it wants watched (the poll callback adds or removes a ring poll),
 * the worker hands readiness back with dns_on_readable() and calls
 * dns_tick() from its loop so that retransmissions and timeouts happen.
 * Thousands of lookups may be in flight; nothing blocks.
 */
#ifndef ENGINE_DNS_H
#define ENGINE_DNS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct dns; /* opaque */

enum dns_status {
	DNS_OK = 0,
	DNS_NXDOMAIN = -1, /* the name does not exist (or has no A record) */
	DNS_TIMEOUT = -2,  /* no server answered */
	DNS_ERROR = -3,    /* any other failure (refused, malformed, local) */
};

/* Watch (add) or stop watching fd for readability. 0 or -errno. */
typedef int (*dns_poll_fn)(void *arg, int fd, bool add);
/* A lookup ended: status as enum dns_status, addr valid when DNS_OK. */
typedef void (*dns_done_fn)(void *arg, uint64_t cookie, int status, struct in_addr addr);

/*
 * A resolver asking servers[0..n-1] (n >= 1), each query tried every
 * retry_ms up to tries times in all. NULL on failure.
 */
struct dns *dns_new(const struct in_addr *servers, int n, unsigned retry_ms, unsigned tries,
		    dns_poll_fn poll, dns_done_fn done, void *arg);
void dns_free(struct dns *d);
/* Use these servers (1..8) for lookups from now on. 0, or -errno. */
int dns_set_servers(struct dns *d, const struct in_addr *servers, int n);
/* Start a lookup of host; done() is called later with cookie. 0 or -errno. */
int dns_lookup(struct dns *d, const char *host, uint64_t cookie);
void dns_on_readable(struct dns *d, int fd);
/* Run retransmissions and timeouts that are due. Returns lookups in flight. */
unsigned dns_tick(struct dns *d);

#endif
