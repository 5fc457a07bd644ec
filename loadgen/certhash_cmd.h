/*
 * loadgen/certhash_cmd.h - "phoneswarm certhash FILE...": a certificate's
 * hashes in the forms a phone config and a headend use.
 */
#ifndef LOADGEN_CERTHASH_CMD_H
#define LOADGEN_CERTHASH_CMD_H

/* argv[0] is "certhash". Returns the exit status (0, or 2 for a bad file). */
int certhash_main(int argc, char **argv);

#endif
