/*
 * loadgen/labscript.h - where the lab script is, for `lab` events and for
 * `phoneswarm version`.
 *
 * The lab script (scripts/lab in the source tree) is installed by `make
 * install` as LIBEXECDIR/phoneswarm/lab. A run finds it without being told,
 * whether phoneswarm runs from its build tree or from where it was
 * installed, so that a scenario's `action = lab` events work in both.
 */
#ifndef LOADGEN_LABSCRIPT_H
#define LOADGEN_LABSCRIPT_H

#include <stddef.h>

/*
 * Writes the lab script's path into out (len bytes), the first of:
 * $PHONESWARM_LAB when set and not empty; scripts/lab of the source tree
 * when the binary is BUILD/phoneswarm in it; libexec/phoneswarm/lab beside
 * the binary's bin/ (an installed tree, wherever it was moved); the
 * LIBEXECDIR compiled in; else "scripts/lab" (relative to the current
 * directory). The candidates after $PHONESWARM_LAB must be executable.
 */
void labscript_path(char *out, size_t len);

/*
 * A timeline's lab events can be carried out here: the lab script needs
 * root, and must be found. 0, or -1 with what to do in err (len bytes),
 * naming the first event that cannot.
 */
struct timeline_spec;
int labscript_check(const struct timeline_spec *tl, char *err, size_t len);

#endif
