/*
 * engine/ring/ring.h - one thread, one io_uring, one timer wheel: the I/O under its phones.
 *
 * Phones are sharded across threads and nothing is shared between them but
 * the fleet's read-only state and SSL_CTXs. A ring runs its thread's loop:
 * fire due timers, submit, wait for completions (or the next timer), hand
 * each completion to its phone. It implements the phones' I/O operations
 * (struct phone_io, engine/phone/worker.h) with sockets (with cfg
 * fixed_files, held in its io_uring's table of registered files, not as
 * the process's descriptors), a c-ares resolver and the wheel, and knows a
 * phone only through that seam: it never looks inside one. Completions carry {phone, channel generation, channel,
 * operation} in user_data; an old generation marks a completion for a
 * socket the phone has already closed, which is dropped.
 */
#ifndef ENGINE_RING_H
#define ENGINE_RING_H

#include <stdint.h>

struct ring; /* opaque */
struct fleet;
struct worker;
struct phone_command;

/* A ring not yet set up (ring_init, on the thread that will run it); NULL if out of memory. */
struct ring *ring_new(void);
/*
 * Set up ring r as worker thread id of fleet f, for n_phones phones: its
 * io_uring (with cfg fixed_files, and a table of 2 x n_phones registered
 * files: the kernel refuses more than RLIMIT_NOFILE, -EMFILE), wheel,
 * resolver (if a URL names a host) and the worker its phones live in. 0 or
 * -errno, ring_error() saying why.
 */
int ring_init(struct ring *r, int id, const struct fleet *f, uint32_t n_phones);
/* Free r and all it holds (whether or not ring_init succeeded); NULL is allowed. */
void ring_free(struct ring *r);
/* The worker of r: its phones and what they share. */
struct worker *ring_worker(struct ring *r);
/*
 * Run: phones are told to stop at t_end; returns once every phone has
 * finished, or at t_grace whatever is left. 0 or -errno (ring_error).
 */
int ring_run(struct ring *r, uint64_t t_end, uint64_t t_grace);
/* Why ring_init or ring_run failed; "" if neither did. */
const char *ring_error(const struct ring *r);
/*
 * From the main thread: queue c for this ring's phones and wake it. 0, or
 * -EAGAIN when the queue is full.
 */
int ring_command(struct ring *r, const struct phone_command *c);

#endif
