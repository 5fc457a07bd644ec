/*
 * loadgen/cmdline.c - options the same way in every command (cmdline.h).
 */
#include "loadgen/cmdline.h"

int cmdline_next(struct cmdline *cl)
{
	int opt;

	if (!cl->started) {
		cl->started = true;
		cl->exit = -1;
		optind = 1;
	}
	opt = getopt_long(cl->argc, cl->argv, cl->shortopts, cl->longopts, NULL);
	if (opt == 'h') {
		cl->usage(stdout);
		cl->exit = 0;
		return -1;
	}
	if (opt == '?' || opt == ':') {
		cl->usage(stderr);
		cl->exit = 2;
		return -1;
	}
	return opt;
}

bool cmdline_operands(const struct cmdline *cl, int min, int max)
{
	int n = cl->argc - optind;

	if (n >= min && (max < 0 || n <= max))
		return true;
	cl->usage(stderr);
	return false;
}
