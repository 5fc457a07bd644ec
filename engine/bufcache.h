/*
 * engine/bufcache.h - the 2 KiB buffers a thread's sends go through, kept for reuse.
 *
 * A datagram's way out takes two short-lived buffers: the phone's DTLS send
 * queue (membio) and the UDP channel's send buffer, each given back as soon
 * as the phone is idle again, so that an idle phone keeps no memory. With a
 * call sending every 20 ms that was an allocation and a free of each per
 * packet. A bufcache keeps up to BUFCACHE_KEEP freed buffers per thread and
 * hands them out again: no allocation in the steady state, and no lock (each
 * thread has its own; a buffer may be put back on another thread than the
 * one that got it). What a thread keeps is freed when it exits.
 */
#ifndef ENGINE_BUFCACHE_H
#define ENGINE_BUFCACHE_H

#include <stdint.h>

#define BUFCACHE_SIZE 2048u /* bytes per buffer: one datagram (path MTU 1500) and then some */
#define BUFCACHE_KEEP 64u   /* buffers a thread keeps for reuse; more are freed */

/* What this thread's cache did so far. */
struct bufcache_stats {
	uint64_t reused;    /* gets served from the cache */
	uint64_t allocated; /* gets that had to allocate */
	uint32_t kept;      /* buffers held for reuse now */
};

/* A buffer of BUFCACHE_SIZE bytes (contents undefined); NULL when out of memory. */
uint8_t *bufcache_get(void);
/* Give back a buffer from bufcache_get (NULL is allowed): kept or freed. */
void bufcache_put(uint8_t *buf);
/* Free what this thread keeps (also done when the thread exits). */
void bufcache_drain(void);
struct bufcache_stats bufcache_stats(void);

#endif
