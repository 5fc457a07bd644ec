/*
 * loadgen/run.h - the "run" subcommand: a scenario from start to report.
 */
#ifndef LOADGEN_RUN_H
#define LOADGEN_RUN_H

/* argv[0] is "run". Returns the process exit status (0, 1, 2 or 3, see README). */
int run_main(int argc, char **argv);

#endif
