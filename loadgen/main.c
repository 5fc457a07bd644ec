/*
 * loadgen/main.c - phoneswarm's command line: parse the subcommand, dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "loadgen/certhash_cmd.h"
#include "loadgen/check_cmd.h"
#include "loadgen/compare_cmd.h"
#include "loadgen/merge_cmd.h"
#include "loadgen/probe_cmd.h"
#include "loadgen/reflect_cmd.h"
#include "loadgen/run.h"
#include "loadgen/version.h"

static void usage(FILE *f)
{
	fprintf(f, "phoneswarm %s: load and soak tester for VPN phone deployments\n\n"
		   "usage:\n"
		   "  phoneswarm run SCENARIO.ini [-s section.key=value ...] [-o DIR] [-q]\n"
		   "  phoneswarm check SCENARIO.ini [-s section.key=value ...] [--probe]\n"
		   "  phoneswarm certhash FILE...\n"
		   "  phoneswarm probe [URL] [--cnf FILE] [--models LIST] [--ca-cert PEM --ca-key PEM]\n"
		   "  phoneswarm reflect --listen ADDR:PORT\n"
		   "  phoneswarm compare BASE NEW [--tolerance METRIC=PERCENT ...]\n"
		   "  phoneswarm merge RUN_DIR... -o DIR\n"
		   "  phoneswarm version\n"
		   "  phoneswarm help\n\n"
		   "Exit status: 0 expectations held, 1 an expectation failed, 2 usage or\n"
		   "scenario error, 3 runtime error. See docs/commands.md.\n",
		version_string());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "reflect"))
		return reflect_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "probe"))
		return probe_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "merge"))
		return merge_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "certhash"))
		return certhash_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		version_print(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "phoneswarm: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
