/*
 * tests/fuzz/memfile.h - for the fuzz targets whose parser reads a file by
 * its path (CSV, HdrHistogram logs, scenarios): the input is written to an
 * in-memory file, and its /proc/self/fd path handed to the parser.
 */
#ifndef TESTS_FUZZ_MEMFILE_H
#define TESTS_FUZZ_MEMFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Make the file hold exactly data[0..size) and write its path into path
 * (64 bytes). The file is made once and reused. Aborts if it cannot be.
 */
static inline void memfile_set(const uint8_t *data, size_t size, char path[64])
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-input", 0);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, 64, "/proc/self/fd/%d", fd);
}

#endif
