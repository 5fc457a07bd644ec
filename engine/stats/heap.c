/*
 * engine/stats/heap.c - the memory the process holds (heap.h).
 */
#include "engine/stats/heap.h"

#include <malloc.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
/* the sanitizer runtime's (its header, sanitizer/allocator_interface.h, is not
 * always installed) */
size_t __sanitizer_get_current_allocated_bytes(void);

uint64_t heap_in_use(void)
{
	return (uint64_t)__sanitizer_get_current_allocated_bytes();
}
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
uint64_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2(); /* every arena, and the mapped blocks */

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}
#else
uint64_t heap_in_use(void)
{
	return 0;
}
#endif
