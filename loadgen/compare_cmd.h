/*
 * loadgen/compare_cmd.h - "phoneswarm compare BASE NEW [--tolerance M=P ...]":
 * two runs' report.json metric by metric, regressions flagged.
 */
#ifndef LOADGEN_COMPARE_CMD_H
#define LOADGEN_COMPARE_CMD_H

/*
 * argv[0] is "compare". Returns the exit status: 0 no tolerance exceeded,
 * 1 a regression, 2 usage error or a report that cannot be read.
 */
int compare_main(int argc, char **argv);

#endif
