/*
 * loadgen/probe_cmd.h - "phoneswarm probe URL": the pre-flight check before
 * an upgrade or a certificate renewal, one connection per phone model.
 */
#ifndef LOADGEN_PROBE_CMD_H
#define LOADGEN_PROBE_CMD_H

/* argv[0] is "probe". Exit status: 0 every model gets through, 1 one would fail, 2 usage. */
int probe_main(int argc, char **argv);

#endif
