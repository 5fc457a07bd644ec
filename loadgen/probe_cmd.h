/*
 * loadgen/probe_cmd.h - "phoneswarm probe URL": the pre-flight check before
 * an upgrade or a certificate renewal, one connection per phone model.
 */
#ifndef LOADGEN_PROBE_CMD_H
#define LOADGEN_PROBE_CMD_H

/* argv[0] is "probe". Exit status: 0 every model gets through, 1 one would fail, 2 usage. */
int probe_main(int argc, char **argv);

/*
 * Probe with cfg (a loaded scenario, or what probe's options made): one
 * phone of each of its models connects once, and a table of what each got
 * is printed on stdout (trust_from, when not NULL, names the file the
 * trusted hashes came from). cfg is turned into the probe's own (one
 * phone a model, no reconnection, no calls). Errors go to stderr after
 * prefix. Returns 0 every model gets through, 1 one would not, 2 the
 * probe cannot be set up, 3 it could not run.
 */
struct swarm_config;
int probe_run(struct swarm_config *cfg, const char *trust_from, const char *prefix);

#endif
