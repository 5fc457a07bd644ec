/*
 * engine/phone/io.h - the seam: how a phone reaches its channels, DNS, timer and clock.
 *
 * A phone reaches the world only through its worker's I/O operations
 * (struct phone_io): its two channels (TCP carrying TLS, UDP carrying DTLS),
 * DNS, its one timer, the clock. engine/ring implements them with an
 * io_uring and hands what completes back to the phone (the phone_on_* calls
 * of phone.h); tests/unit/test_phone.c implements them with a headend
 * scripted in memory. The worker_* calls below are those operations as the
 * phone's code calls them: one indirect call each.
 */
#ifndef ENGINE_PHONE_IO_H
#define ENGINE_PHONE_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine/phone/worker.h"

struct phone;

enum chan_id { CH_TCP = 0, CH_UDP = 1 };

/* How a DNS lookup ended (phone_on_dns); also the detail of a DnsLookupErr. */
enum lookup_status {
	LOOKUP_OK = 0,
	LOOKUP_NXDOMAIN = -1, /* the name does not exist (or has no A record) */
	LOOKUP_TIMEOUT = -2,  /* no server answered */
	LOOKUP_ERROR = -3,    /* any other failure (refused, malformed, local) */
};

/*
 * A phone's I/O, as the thread under it provides it. Each operation takes
 * the worker and the phone; what completes later comes back through the
 * phone_on_* calls. A channel has at most one send and one receive in
 * flight; the bytes to send are pulled from the phone (phone_take_*), so
 * that nothing below the phone touches its TLS sessions.
 */
struct phone_io {
	/* The clock every time of the phone is read on, microseconds (clock_us in the ring). */
	uint64_t (*now)(struct worker *w);
	/* Call phone_on_timer() at `at` (at once if it is past); UINT64_MAX: never. */
	void (*wake)(struct worker *w, struct phone *p, uint64_t at);
	/* Look host up through the phones' DNS servers; phone_on_dns() follows. 0 or -errno. */
	int (*lookup)(struct worker *w, struct phone *p, const char *host);
	/* Every lookup from now on asks servers[0..n) (1..CONFIG_MAX_DNS). 0 or -errno. */
	int (*dns_servers)(struct worker *w, const struct in_addr *servers, int n);
	/*
	 * Open channel c from src (IPv4, network order; 0: any) to dst. TCP: a
	 * connect, phone_on_connect() follows. UDP: connected at once and a
	 * receive posted. 0 or -errno.
	 */
	int (*open)(struct worker *w, struct phone *p, enum chan_id c, uint32_t src,
		    const struct sockaddr_in *dst);
	/* Keep a receive posted on c; phone_on_recv() with what arrives. 0 or -errno. */
	int (*recv)(struct worker *w, struct phone *p, enum chan_id c);
	/*
	 * Send what the phone has for c, unless a send on c is under way (then
	 * after it, phone_on_send() first). True while a send on c is under way.
	 */
	bool (*flush)(struct worker *w, struct phone *p, enum chan_id c);
	/* Close c; what is still in flight on it completes to nobody. */
	void (*close)(struct worker *w, struct phone *p, enum chan_id c);
	/*
	 * The phone's path loses datagrams (each with probability loss; 1: all of
	 * them, and its TCP is held both ways) until `until`; loss 0 restores it.
	 */
	void (*impair)(struct worker *w, struct phone *p, uint64_t until, double loss);
	/* An RTP packet due at `due` was queued: its lateness is taken as it leaves. */
	void (*sent_due)(struct worker *w, uint64_t due);
};

/* ==== The phone's I/O, through the worker's operations ==== */

static inline uint64_t worker_now(struct worker *w)
{
	return w->io->now(w);
}

static inline int worker_dns_lookup(struct worker *w, struct phone *p, const char *host)
{
	return w->io->lookup(w, p, host);
}

static inline int worker_open(struct worker *w, struct phone *p, enum chan_id c, uint32_t src,
			      const struct sockaddr_in *dst)
{
	return w->io->open(w, p, c, src, dst);
}

static inline int worker_recv(struct worker *w, struct phone *p, enum chan_id c)
{
	return w->io->recv(w, p, c);
}

static inline bool worker_flush(struct worker *w, struct phone *p, enum chan_id c)
{
	return w->io->flush(w, p, c);
}

static inline void worker_close(struct worker *w, struct phone *p, enum chan_id c)
{
	w->io->close(w, p, c);
}

/* An RTP packet due at `due` has been queued: its send lateness is taken as it leaves. */
static inline void worker_sent_due(struct worker *w, uint64_t due)
{
	w->io->sent_due(w, due);
}

#endif
