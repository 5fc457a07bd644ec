/*
 * tests/unit/quiet.h - run a command's main in a unit test with its stdout
 * sent to /dev/null, cmocka's own lines still on the real stdout after.
 */
#ifndef TESTS_UNIT_QUIET_H
#define TESTS_UNIT_QUIET_H

#include <fcntl.h>
#include <stdio.h>
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

#endif
