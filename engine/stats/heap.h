/*
 * engine/stats/heap.h - the memory the process holds, as its allocator counts it.
 *
 * A process's resident memory after a peak is not what it holds: the
 * allocator keeps freed memory it cannot return (fragmented arenas), and
 * resident pages say nothing of which bytes are live. What it holds is the
 * allocator's own count of the bytes in use: glibc's mallinfo2(), summed over
 * every arena (uordblks) and the blocks it mapped on its own (hblkhd), or,
 * under AddressSanitizer, its count of the bytes allocated and not freed.
 */
#ifndef ENGINE_STATS_HEAP_H
#define ENGINE_STATS_HEAP_H

#include <stdint.h>

/*
 * Bytes the allocator counts in use now, every thread's: with glibc, each
 * block's whole chunk (its header and rounding), and the blocks a thread
 * has freed into its cache (tcache) until it exits or takes them again.
 * 0 where the allocator cannot say.
 */
uint64_t heap_in_use(void);

#endif
