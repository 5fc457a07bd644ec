/*
 * tests/unit/skip.h - skipping a unit test, honestly.
 *
 * A test skips only where this machine lacks a feature it needs (a device, a
 * kernel feature), and says which on a "SKIP: " line that tests/run-unit lists
 * (a skip without one counts as a failure there). What `make test` installs
 * (scripts/deps test) is not missing: under PSW_TEST_STRICT=1, which
 * tests/run-all sets, a test that needs it fails instead of skipping.
 */
#ifndef TESTS_UNIT_SKIP_H
#define TESTS_UNIT_SKIP_H

#include <stdlib.h>
#include <string.h>

/* Skip the running test: the machine lacks what why names. */
#define skip_missing(why)                                 \
	do {                                              \
		print_message("SKIP: %s\n", (why));       \
		skip();                                   \
	} while (0)

/* Skip, or fail under PSW_TEST_STRICT=1: a package scripts/deps installs is missing. */
#define skip_not_installed(why)                                                      \
	do {                                                                         \
		const char *strict_ = getenv("PSW_TEST_STRICT");                      \
		if (strict_ && !strcmp(strict_, "1"))                                \
			fail_msg("%s is not installed (scripts/deps test installs it)", \
				 (why));                                             \
		print_message("SKIP: %s is not installed\n", (why));                \
		skip();                                                              \
	} while (0)

#endif
