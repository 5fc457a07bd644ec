/*
 * engine/ring/bufring.c - receive buffers shared by a ring's phones (bufring.h).
 */
#include "engine/ring/bufring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

uint32_t bufring_count(uint32_t n_phones)
{
	uint32_t want = n_phones / 4, n = 64;

	while (n < want && n < 4096)
		n <<= 1;
	return n;
}

uint32_t bufring_cap(uint32_t n_phones)
{
	uint64_t want = (uint64_t)n_phones * 8;
	uint32_t n = bufring_count(n_phones);

	while (n < want && n < 32768)
		n <<= 1;
	return n;
}

/* Give buffers [from, to) to the kernel. */
static void give(struct bufring *b, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		io_uring_buf_ring_add(b->br, bufring_buf(b, (int)i), b->size, (unsigned short)i,
				      io_uring_buf_ring_mask(b->entries), (int)(i - from));
	io_uring_buf_ring_advance(b->br, (int)(to - from));
}

int bufring_init_max(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		     uint32_t max, uint32_t size)
{
	struct io_uring_buf_reg reg;
	long page = sysconf(_SC_PAGESIZE);
	void *ring_mem = NULL, *mem;
	uint32_t entries = 1;
	int rc;

	memset(b, 0, sizeof(*b));
	if (!n || n > max || max > 32768 || !size)
		return -EINVAL;
	while (entries < max)
		entries <<= 1;
	if (posix_memalign(&ring_mem, page > 0 ? (size_t)page : 4096,
			   entries * sizeof(struct io_uring_buf)))
		return -ENOMEM;
	/* reserved, not touched: a page costs memory once the kernel writes into it */
	mem = mmap(NULL, (size_t)max * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		free(ring_mem);
		return -ENOMEM;
	}
	b->mem = mem;
	b->br = ring_mem;
	io_uring_buf_ring_init(b->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	rc = io_uring_register_buf_ring(uring, &reg, 0);
	if (rc) {
		munmap(mem, (size_t)max * size);
		free(ring_mem);
		memset(b, 0, sizeof(*b));
		return rc < 0 ? rc : -EINVAL;
	}
	b->uring = uring;
	b->n = n;
	b->max = max;
	b->entries = entries;
	b->size = size;
	b->bgid = bgid;
	give(b, 0, n);
	return 0;
}

int bufring_init_some(struct bufring *b, struct io_uring *uring, uint16_t bgid, uint32_t n,
		      uint32_t size)
{
	return bufring_init_max(b, uring, bgid, n, n, size);
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

uint32_t bufring_grow(struct bufring *b)
{
	uint32_t more = b->max - b->n < b->n ? b->max - b->n : b->n;

	if (more) {
		give(b, b->n, b->n + more);
		b->n += more;
	}
	return more;
}

void bufring_free(struct bufring *b)
{
	if (b->uring)
		io_uring_unregister_buf_ring(b->uring, b->bgid);
	free(b->br);
	if (b->mem)
		munmap(b->mem, (size_t)b->max * b->size);
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
