/*
 * loadgen/outdir.h - the run directory (-o DIR), made ready before the run.
 *
 * A run that cannot write its outputs must fail before any phone starts:
 * outdir_prepare() creates DIR and its parents as needed (mkdir -p) and
 * proves that a file can be written in it, so that a regular file, a
 * read-only directory or a full disk is a message, not a blind run.
 */
#ifndef LOADGEN_OUTDIR_H
#define LOADGEN_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Creates dir and any missing parent (mode 0755, as mkdir -p), refuses it
 * when it already holds anything (-EEXIST: runs must never mix) unless
 * force, then writes and removes a probe file of 4 KiB in it. 0, or
 * -errno with a one-line message naming the path that failed and the OS
 * error (or what to do) in err.
 */
int outdir_prepare(const char *dir, bool force, char *err, size_t errlen);

#endif
