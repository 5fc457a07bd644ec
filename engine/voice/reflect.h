/*
 * engine/voice/reflect.h - the voice reflector: the far end of a phone's calls.
 *
 * A UDP echo on the engine's ring. Every datagram goes back to where it
 * came from; an RTP packet carrying phoneswarm's probe (engine/voice/rtp.h) is
 * stamped first with the time the reflector received it and how many
 * packets of that stream (source address and SSRC) it has received, so
 * the phone can tell loss and delay in each direction.
 */
#ifndef ENGINE_REFLECT_H
#define ENGINE_REFLECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct reflect_cfg {
	unsigned slots;     /* datagrams in flight or held at once (each a 2 KiB buffer); 0: 256 */
	uint64_t jitter_us; /* hold each echo up to this long (below); 0: echo at once */
	bool single_recv;   /* plain receives, as on a kernel without multishot (tests) */
};

struct reflect_stats {
	uint64_t received;  /* datagrams received */
	uint64_t echoed;    /* datagrams sent back */
	uint64_t stamped;   /* of which RTP probes stamped */
	uint64_t streams;   /* distinct (address, SSRC) streams seen */
	uint64_t dropped;   /* send errors */
	uint64_t receives;  /* receive requests posted to the kernel (one waits at a time) */
	uint64_t nobufs;    /* times the receive stopped with every slot busy, until one was free */
	bool multishot;     /* the receive was multishot (else one datagram a request) */
};

/*
 * The reflector's socket: UDP bound to addr, with a 4 MiB receive buffer.
 * Its descriptor, or -errno.
 */
int reflect_listen(const struct sockaddr_in *addr);

/*
 * Echo on fd (from reflect_listen; left open) until *stop becomes non-zero
 * (checked at least every 100 ms). One receive waits on the socket at a
 * time, whatever the slots: a multishot one with a provided buffer per
 * slot (Linux 6.0), or one datagram a request before that. Each datagram
 * takes a slot until its echo is sent; when every slot is busy the
 * datagrams wait in the socket's receive buffer, and the receive is posted
 * again once a slot is free. With cfg->jitter_us each echo is held a random
 * time, uniform in 0..jitter_us microseconds, after stamping it (so the
 * delay is on the way back only), as a network adding jitter would. A held
 * echo keeps its slot: slots must cover the packet rate times the mean
 * hold. 0 at the stop, or -errno (io_uring or its provided-buffer rings,
 * Linux 5.19, unavailable) with nothing echoed.
 */
int reflect_run(int fd, const struct reflect_cfg *cfg, volatile sig_atomic_t *stop,
		struct reflect_stats *st);

#endif
