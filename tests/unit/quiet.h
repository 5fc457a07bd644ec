/*
 * tests/unit/quiet.h - run a command's main in a unit test with its stdout
 * sent to /dev/null, or its stdout and stderr caught to be looked at;
 * cmocka's own lines still on the real stdout after.
 */
#ifndef TESTS_UNIT_QUIET_H
#define TESTS_UNIT_QUIET_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Calls fn(argc, argv) with stdout silenced; returns its result. */
static inline int quietly(int (*fn)(int, char **), int argc, char **argv)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0)
		return -1000;
	dup2(null, STDOUT_FILENO);
	close(null);
	rc = fn(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return rc;
}

/*
 * Calls fn(argc, argv) with stdout and stderr into out (len bytes, the
 * text NUL-terminated, what does not fit dropped); returns its result.
 */
static inline int captured(int (*fn)(int, char **), int argc, char **argv, char *out, size_t len)
{
	char path[] = "/tmp/unit_captured_XXXXXX";
	int fd = mkstemp(path), saved_out, saved_err, rc;
	ssize_t got;

	if (fd < 0)
		return -1000;
	unlink(path);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	lseek(fd, 0, SEEK_SET);
	got = read(fd, out, len - 1);
	out[got > 0 ? got : 0] = '\0';
	close(fd);
	return rc;
}

#endif
