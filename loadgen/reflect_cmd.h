/*
 * loadgen/reflect_cmd.h - "phoneswarm reflect --listen ADDR:PORT": the far
 * end of the phones' calls.
 */
#ifndef LOADGEN_REFLECT_CMD_H
#define LOADGEN_REFLECT_CMD_H

/* argv[0] is "reflect". Runs until SIGINT/SIGTERM; exit status 0, 2 usage, 3 runtime. */
int reflect_main(int argc, char **argv);

#endif
