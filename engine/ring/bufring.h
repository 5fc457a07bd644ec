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
 * were given back. No allocation after bufring_init.
 */
#ifndef ENGINE_RING_BUFRING_H
#define ENGINE_RING_BUFRING_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

struct bufring {
	struct io_uring_buf_ring *br; /* owned: the ring of buffer descriptors the kernel reads */
	uint8_t *mem;                 /* owned: n buffers of size bytes, back to back */
	uint32_t n;                   /* buffers */
	uint32_t entries;             /* descriptors in br: n, or the power of two above it */
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
 * Register n buffers (a power of two, at most 32768) of size bytes as group
 * bgid of uring, all in the kernel's hands. 0, or -errno (-EINVAL from a
 * kernel without provided-buffer rings, which came in Linux 5.19).
 */
int bufring_init(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		 uint32_t size);
/*
 * The same for any n from 1 to 32768: the ring of descriptors gets the
 * power of two at or above n, and only n buffers go into it.
 */
int bufring_init_some(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		      uint32_t size);
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
