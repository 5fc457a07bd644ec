/*
 * engine/ring/bufring.c - receive buffers shared by a ring's phones (bufring.h).
 */
#include "engine/ring/bufring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t bufring_count(uint32_t n_phones)
{
	uint32_t want = n_phones / 4, n = 64;

	while (n < want && n < 4096)
		n <<= 1;
	return n;
}

/* n buffers in a ring of entries descriptors (a power of two, at least n) */
static int init(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t entries,
		uint32_t n, uint32_t size)
{
	struct io_uring_buf_reg reg;
	long page = sysconf(_SC_PAGESIZE);
	void *ring_mem = NULL;
	int rc;

	if (posix_memalign(&ring_mem, page > 0 ? (size_t)page : 4096,
			   entries * sizeof(struct io_uring_buf)))
		return -ENOMEM;
	b->mem = malloc((size_t)n * size);
	if (!b->mem) {
		free(ring_mem);
		return -ENOMEM;
	}
	b->br = ring_mem;
	io_uring_buf_ring_init(b->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	rc = io_uring_register_buf_ring(uring, &reg, 0);
	if (rc) {
		free(b->mem);
		free(ring_mem);
		memset(b, 0, sizeof(*b));
		return rc < 0 ? rc : -EINVAL;
	}
	b->uring = uring;
	b->n = n;
	b->entries = entries;
	b->size = size;
	b->bgid = bgid;
	for (uint32_t i = 0; i < n; i++)
		io_uring_buf_ring_add(b->br, bufring_buf(b, (int)i), size, (unsigned short)i,
				      io_uring_buf_ring_mask(entries), (int)i);
	io_uring_buf_ring_advance(b->br, (int)n);
	return 0;
}

int bufring_init_some(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		      uint32_t size)
{
	uint32_t entries = 1;

	memset(b, 0, sizeof(*b));
	if (!n || n > 32768 || !size)
		return -EINVAL;
	while (entries < n)
		entries <<= 1;
	return init(b, uring, bgid, entries, n, size);
}

int bufring_init(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		 uint32_t size)
{
	if (n & (n - 1)) {
		memset(b, 0, sizeof(*b));
		return -EINVAL;
	}
	return bufring_init_some(b, uring, bgid, n, size);
}

void bufring_free(struct bufring *b)
{
	if (b->uring)
		io_uring_unregister_buf_ring(b->uring, b->bgid);
	free(b->br);
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

void bufring_select(const struct bufring *b, struct io_uring_sqe *sqe)
{
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = b->bgid;
}

int bufring_id(struct bufring *b, uint32_t cqe_flags)
{
	if (!(cqe_flags & IORING_CQE_F_BUFFER))
		return -1;
	b->lent++;
	return (int)(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
}

void bufring_put(struct bufring *b, int id)
{
	io_uring_buf_ring_add(b->br, bufring_buf(b, id), b->size, (unsigned short)id,
			      io_uring_buf_ring_mask(b->entries), 0);
	io_uring_buf_ring_advance(b->br, 1);
	b->lent--;
}
