/*
 * engine/ring/bufring.h - receive buffers shared by a ring's phones.
 *
 * A phone's channels used to keep a 2 KiB receive buffer each, posted to the
 * kernel for as long as the socket was open: 4 KiB per phone that sat idle
 * almost all the time. A bufring is one io_uring provided-buffer ring
 * (IORING_REGISTER_PBUF_RING): a receive is posted without a buffer
 * (IOSQE_BUFFER_SELECT) and the kernel picks one of the ring's only when
 * data arrives. The completion names the buffer (bufring_id); its bytes are
 * the caller's, writable, until it gives the buffer back (bufring_put),
 * which it does once the phone has read them. When every buffer is out, a
 * receive completes with -ENOBUFS and nothing is consumed from the socket:
 * the caller posts it again once buffers are back.
 *
 * Buffers go back in any order; the kernel takes them in the order they
 * were given back.
 *
 * A pool can grow (bufring_grow), up to the most it was made for: the
 * memory for that many is reserved at bufring_init_max but untouched, so
 * it costs nothing until the kernel first writes into a buffer, and the
 * kernel only writes into buffers that are in the ring. A ring's loop that
 * falls behind under load (every socket's datagrams waiting for it) so
 * gets enough buffers for one pass without each idle phone paying for
 * them. No allocation after bufring_init_max; a pool never shrinks.
 */
#ifndef ENGINE_RING_BUFRING_H
#define ENGINE_RING_BUFRING_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

struct bufring {
	struct io_uring_buf_ring *br; /* owned: the ring of buffer descriptors the kernel reads */
	uint8_t *mem;                 /* owned: room for max buffers of size bytes, back to back */
	uint32_t n;                   /* buffers in the kernel's ring (given so far) */
	uint32_t max;                 /* buffers mem has room for: n can grow to it */
	uint32_t entries;             /* descriptors in br: max, or the power of two above it */
	uint32_t size;                /* bytes per buffer */
	uint16_t bgid;                /* the buffer group receives name */
	uint32_t lent;                /* buffers out of the kernel's hands, not yet put back */
	struct io_uring *uring;       /* borrowed: where the group is registered */
};

/*
 * How many buffers a ring of n_phones phones gets: a quarter of its phones,
 * as a power of two between 64 and 4096. A receive holds a buffer only from
 * its data's arrival to the end of the pass of the loop that hands it to its
 * phone, so the pool follows the traffic of one pass, not the phone count.
 */
uint32_t bufring_count(uint32_t n_phones);
/*
 * The most buffers the pool of a ring of n_phones phones may grow to: eight
 * a phone (a voice call's 50 datagrams a second for 160 ms, a loop that far
 * behind), as a power of two, at least bufring_count's and at most 32768.
 */
uint32_t bufring_cap(uint32_t n_phones);
/*
 * Register n buffers of size bytes as group bgid of uring, all in the
 * kernel's hands, with room to grow to max (1 <= n <= max <= 32768; the
 * ring of descriptors gets the power of two at or above max). 0, or -errno
 * (-EINVAL from a kernel without provided-buffer rings, which came in
 * Linux 5.19).
 */
int bufring_init_max(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		     uint32_t max, uint32_t size);
/* The same for n buffers (a power of two), none to grow. */
int bufring_init(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		 uint32_t size);
/* The same for any n from 1 to 32768, none to grow. */
int bufring_init_some(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		      uint32_t size);
/*
 * Double the pool, or fill it up to max if that is nearer: the new buffers
 * go to the kernel at once. How many were added: 0 once the pool is at max.
 */
uint32_t bufring_grow(struct bufring *b);
/* Unregister and free; harmless on a zeroed or failed bufring. */
void bufring_free(struct bufring *b);
/* Make sqe (a receive of up to b->size bytes, buffer NULL) take its buffer from b. */
void bufring_select(const struct bufring *b, struct io_uring_sqe *sqe);
/*
 * The buffer a completion of flags cqe_flags carries: its index, or -1 if
 * it carries none. The buffer is lent to the caller from here (counted).
 */
int bufring_id(struct bufring *b, uint32_t cqe_flags);
/* The bytes of buffer id (size bytes, writable while lent). */
static inline uint8_t *bufring_buf(const struct bufring *b, int id)
{
	return b->mem + (size_t)id * b->size;
}
/* Give buffer id back to the kernel. */
void bufring_put(struct bufring *b, int id);

#endif
