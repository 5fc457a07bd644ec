/*
 * loadgen/check_cmd.h - "phoneswarm check SCENARIO": everything that can be
 * known about a run before it starts, without sending load.
 */
#ifndef LOADGEN_CHECK_CMD_H
#define LOADGEN_CHECK_CMD_H

/*
 * argv[0] is "check". Exit status: 0 the run can go as asked, 2 a usage
 * error or at least one problem (every one listed).
 */
int check_main(int argc, char **argv);

#endif
