/*
 * loadgen/compare_cmd.c - "phoneswarm compare" (compare_cmd.h): read both
 * reports, refuse a file that is not one (report/contract.c), warn where
 * the runs are not like for like, compare them (report/compare.c), print
 * the table and the verdict.
 */
#include "loadgen/compare_cmd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loadgen/cmdline.h"
#include "report/compare.h"
#include "report/contract.h"
#include "report/jsonread.h"

#define EXIT_REGRESSION 1
#define EXIT_USAGE	2
#define MAX_TOLS	256

static void usage(FILE *f)
{
	size_t n;
	const struct compare_tol *d = compare_default_tolerances(&n);

	fprintf(f, "usage: phoneswarm compare BASE NEW [--tolerance METRIC=PERCENT ...]\n"
		   "  BASE, NEW: run directories (their report.json) or report.json files\n"
		   "  --tolerance METRIC=P  how much worse NEW may be: percentage points for\n"
		   "                        shares (tunnels_up, dtls_up, failed, rtp.loss*),\n"
		   "                        percent of BASE otherwise; \"off\" never flags. A\n"
		   "                        prefix (latency, failures) covers the names under it.\n"
		   "  A figure measured in BASE and absent or without samples in NEW has\n"
		   "  vanished: a regression (unless its tolerance is off). Runs that did not\n"
		   "  complete, partial merges, and runs of other scenarios, DTLS modes or\n"
		   "  fleet sizes are compared, under a WARNING line.\n"
		   "  exit status: 0 no tolerance exceeded, 1 a regression, 2 usage error or\n"
		   "  a file that is not a phoneswarm report.json\n"
		   "  default tolerances:");
	for (size_t i = 0; i < n; i++) {
		if (d[i].value < 0)
			fprintf(f, "%s %s=off", i % 3 ? "" : "\n   ", d[i].name);
		else
			fprintf(f, "%s %s=%g", i % 3 ? "" : "\n   ", d[i].name, d[i].value);
	}
	fputc('\n', f);
}

/* A run directory or a report.json: the document, or NULL with a message printed. */
static struct jval *load(const char *arg)
{
	char path[4096], err[512], why[512];
	struct stat sb;
	struct jval *v;

	if (!stat(arg, &sb) && S_ISDIR(sb.st_mode))
		snprintf(path, sizeof(path), "%s/report.json", arg);
	else
		snprintf(path, sizeof(path), "%s", arg);
	v = jval_load(path, err, sizeof(err));
	if (!v)
		fprintf(stderr, "phoneswarm compare: %s\n", err);
	else if (!contract_check(v, why, sizeof(why))) {
		fprintf(stderr, "phoneswarm compare: %s: not a phoneswarm report.json: %s\n", path,
			why);
		jval_free(v);
		v = NULL;
	}
	return v;
}

static void describe(const char *label, const char *arg, const struct jval *r)
{
	uint64_t merged = jval_u64(jval_get(r, "merged_runs"), 0);

	printf("%s %s: %s against %s, %.0f phones, %.1f s", label, arg,
	       jval_str(jval_get(r, "scenario"), "?"), jval_str(jval_get(r, "headend"), "?"),
	       jval_num(jval_path(r, "phones.configured"), 0),
	       jval_num(jval_get(r, "duration_s"), 0));
	if (merged)
		printf(", merged from %llu run%s", (unsigned long long)merged,
		       merged == 1 ? "" : "s");
	putchar('\n');
}

int compare_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"tolerance", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct compare_tol tols[MAX_TOLS];
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "t:h", .longopts = opts,
			     .usage = usage};
	struct jval *base = NULL, *new = NULL;
	struct compare_row *rows = NULL;
	size_t n_tols = 0, n_rows = 0;
	char why[1024];
	int opt, rc = EXIT_USAGE, reg, warnings, vanished = 0;

	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 't':
			if (n_tols == MAX_TOLS) {
				fprintf(stderr,
					"phoneswarm compare: too many --tolerance options\n");
				return EXIT_USAGE;
			}
			if (compare_tol_parse(optarg, &tols[n_tols], why, sizeof(why))) {
				fprintf(stderr, "phoneswarm compare: %s\n", why);
				return EXIT_USAGE;
			}
			n_tols++;
			break;
		}
	}
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 2, 2))
		return EXIT_USAGE;
	base = load(argv[optind]);
	new = base ? load(argv[optind + 1]) : NULL;
	if (!new)
		goto done;

	describe("base", argv[optind], base);
	describe("new ", argv[optind + 1], new);
	warnings = compare_warnings(stdout, base, argv[optind], new, argv[optind + 1]);
	reg = compare_reports(base, new, tols, n_tols, &rows, &n_rows);
	if (reg < 0) {
		fprintf(stderr, "phoneswarm compare: out of memory\n");
		rc = 3;
		goto done;
	}
	putchar('\n');
	compare_print(stdout, rows, n_rows);
	for (size_t i = 0; i < n_rows; i++)
		vanished += rows[i].vanished && rows[i].regression;
	if (reg)
		printf("\n%d regression%s beyond tolerance", reg, reg == 1 ? "" : "s");
	else
		printf("\nno regression beyond tolerance");
	if (vanished)
		printf(" (%d vanished from NEW)", vanished);
	putchar('\n');
	if (warnings)
		printf("WARNING: %d warning%s above: the runs are not like for like, and the "
		       "difference may be that, not the headend\n",
		       warnings, warnings == 1 ? "" : "s");
	rc = reg ? EXIT_REGRESSION : 0;
done:
	free(rows);
	jval_free(base);
	jval_free(new);
	return rc;
}
