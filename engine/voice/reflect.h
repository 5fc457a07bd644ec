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
#include <stdint.h>
#include <netinet/in.h>

struct reflect_stats {
	uint64_t received;  /* datagrams received */
	uint64_t echoed;    /* datagrams sent back */
	uint64_t stamped;   /* of which RTP probes stamped */
	uint64_t streams;   /* distinct (address, SSRC) streams seen */
	uint64_t dropped;   /* send errors */
};

/*
 * Echo on addr until *stop becomes non-zero (checked at least every 100 ms).
 * slots: datagrams in flight at once (each a 2 KiB buffer). jitter_us: hold
 * each echo for a random time, uniform in 0..jitter_us microseconds, after
 * stamping it (so the delay is on the way back only), as a network adding
 * jitter would; 0 echoes at once. A held echo keeps its slot: slots must
 * cover the packet rate times the mean hold. 0, or -errno (bind failure,
 * io_uring unavailable) with nothing started.
 */
int reflect_run(const struct sockaddr_in *addr, unsigned slots, uint64_t jitter_us,
		volatile sig_atomic_t *stop, struct reflect_stats *st);

#endif
