/*
 * loadgen/version.h - phoneswarm's version and build, and the versions of the
 * libraries it was built against and runs with (`phoneswarm version`).
 *
 * The version and build come from the Makefile (VERSION, and `git describe`
 * of the tree at build time, or BUILD_ID given by a packager), through the
 * generated header BUILD/buildinfo.h.
 */
#ifndef LOADGEN_VERSION_H
#define LOADGEN_VERSION_H

#include <stdio.h>

/* "0.1.0 (build f4fc44c)": the version and build, for reports and logs. */
const char *version_string(void);
/* The same apart: "0.1.0", "f4fc44c". */
const char *version_number(void);
const char *version_build(void);

/*
 * Prints what `phoneswarm version` shows to f: the version and build, one
 * line per library (OpenSSL, liburing, c-ares, inih, zlib) with the version
 * it runs with and the one it was built against, the kernel, and where the
 * lab script is found. Never fails; a version it cannot learn is "?".
 */
void version_print(FILE *f);

#endif
