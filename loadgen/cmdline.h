/*
 * loadgen/cmdline.h - what every command does with its options alike:
 * getopt_long() from the first argument, -h/--help printing the usage on
 * stdout (exit 0), a bad option or a wrong number of operands printing it
 * on stderr (exit 2, a usage error).
 *
 *	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "o:h",
 *			     .longopts = opts, .usage = usage};
 *
 *	while ((opt = cmdline_next(&cl)) != -1)
 *		switch (opt) { ... the command's own options ... }
 *	if (cl.exit >= 0)
 *		return cl.exit;
 *	if (!cmdline_operands(&cl, 1, 1))
 *		return 2;
 *	... argv[optind] ...
 */
#ifndef LOADGEN_CMDLINE_H
#define LOADGEN_CMDLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct cmdline {
	int argc;
	char **argv;		       /* argv[0] is the command's name */
	const char *shortopts;	       /* with "h" */
	const struct option *longopts; /* with {"help", no_argument, NULL, 'h'} */
	void (*usage)(FILE *f);	       /* prints the command's usage on f */
	int exit;		       /* after the last option: -1 go on; 0 or 2 exit with it */
	bool started;
};

/*
 * The next option, as getopt_long() returns it, for the command to act on;
 * -1 once the options are done (cl->exit -1), or when -h/--help printed the
 * usage on stdout (cl->exit 0) or a bad option printed it on stderr
 * (cl->exit 2).
 */
int cmdline_next(struct cmdline *cl);

/* Are there min to max operands after the options (max < 0: no limit)? Else the usage on stderr. */
bool cmdline_operands(const struct cmdline *cl, int min, int max);

#endif
