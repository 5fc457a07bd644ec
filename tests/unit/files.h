/*
 * tests/unit/files.h - a whole file read into memory, for tests that look
 * at what a writer left on disk.
 */
#ifndef TESTS_UNIT_FILES_H
#define TESTS_UNIT_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* The whole of the file at path, NUL-terminated (the caller frees it); fails the test if unreadable. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

#endif
