/*
 * loadgen/check_cmd.c - "phoneswarm check": a run's pre-flight (check_cmd.h).
 *
 * What a run would take, found out without a phone: the scenario with its
 * overrides (every error in it), printed back as the scenario file the run
 * takes; then what this machine allows (loadgen/preflight.c), the CAs the
 * phones' certificates come from, the trust list, the events' needs, the
 * output directory; with --probe, one phone of each model against the
 * headend. Each finding is a line; a problem is a finding that stops the
 * run as asked, and every one is listed again at the end.
 */
#include "loadgen/check_cmd.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "engine/trust/certhash.h"
#include "loadgen/cmdline.h"
#include "loadgen/event.h"
#include "loadgen/labscript.h"
#include "loadgen/outdir.h"
#include "loadgen/preflight.h"
#include "loadgen/probe_cmd.h"
#include "loadgen/scenario.h"

#define MAX_OVERRIDES 256
#define MAX_PROBLEMS  32

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: phoneswarm check SCENARIO.ini [-s section.key=value ...] [-o DIR [--force]]\n"
	    "                       [--probe]\n"
	    "  -s KEY=VALUE   override a scenario key, as run takes it (repeatable)\n"
	    "  -o DIR         check the output directory as run would (creating it)\n"
	    "  --force        as run's: DIR may hold something\n"
	    "  --probe        also connect one phone of each model to the headend\n"
	    "exit status: 0 the run can go as asked, 2 a usage error or a problem (all listed)\n");
}

/* The findings: printed as they come, the problems kept for the end. */
struct findings {
	char problems[MAX_PROBLEMS][640];
	int n_problems;
};

static void finding(struct findings *fs, const char *what, const char *text, bool problem)
{
	printf("  %-12s %s%s\n", what, problem ? "PROBLEM: " : "", text);
	if (!problem)
		return;
	if (fs->n_problems < MAX_PROBLEMS)
		snprintf(fs->problems[fs->n_problems], sizeof(fs->problems[0]), "%s: %s", what,
			 text);
	fs->n_problems++;
}

/* ==== The scenario, as the run takes it ==== */

static void print_settings(const struct scenario_settings *st)
{
	const char *section = "";

	for (int i = 0; i < st->n; i++) {
		const struct run_setting *s = &st->v[i];
		bool def = !strcmp(s->from, "default");
		char line[600];

		if (strcmp(s->section, section)) {
			printf("%s[%s]\n", i ? "\n" : "", s->section);
			section = s->section;
		}
		if (!s->key) {
			printf("%s\n", s->value); /* an [expect] line */
			continue;
		}
		snprintf(line, sizeof(line), "%s%s = %s", def ? "; " : "", s->key, s->value);
		if (strchr(s->value, ';')) /* a comment after it would not be one */
			printf("; %s\n%s\n", s->from, line);
		else
			printf("%-44s ; %s\n", line, s->from);
	}
}

/* ==== The phones' CAs and trust ==== */

/* One CA certificate: its subject and validity; a problem when it is not valid now. */
static void check_ca(struct findings *fs, const char *key, const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	char subject[256] = "?", until[64] = "?", text[600];
	bool expired, early;
	BIO *b;

	if (f)
		fclose(f);
	if (!x) { /* the loader has read it; it changed since */
		snprintf(text, sizeof(text), "%s: %s: cannot be read now", key, path);
		finding(fs, "CA", text, true);
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	b = BIO_new(BIO_s_mem());
	if (b && ASN1_TIME_print(b, X509_get0_notAfter(x)) > 0) {
		int n = BIO_read(b, until, sizeof(until) - 1);

		until[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
	early = X509_cmp_current_time(X509_get0_notBefore(x)) > 0;
	snprintf(text, sizeof(text), "%s: %s, valid until %s%s", key, subject, until,
		 expired ? ": it has EXPIRED, and so has every certificate it signs"
		 : early ? ": it is NOT YET valid, nor is any certificate it signs"
			 : "");
	finding(fs, "CA", text, expired || early);
	X509_free(x);
}

static void check_trust(struct findings *fs, const struct swarm_config *cfg)
{
	char text[600], b64[CERTHASH_B64_LEN + 1];
	size_t off;

	if (cfg->auth == AUTH_CERTIFICATE) {
		for (int c = 0; c < CHAIN__COUNT; c++) {
			const char *cert, *key;

			config_chain_paths(cfg, (enum ca_chain)c, &cert, &key);
			if (cert)
				check_ca(fs, config_chain_keys[c][0], cert);
		}
	} else {
		finding(fs, "login", "phones.auth is password: no CA needed", false);
	}
	off = (size_t)snprintf(text, sizeof(text), "%d hash%s%s%s:", cfg->n_cert_hashes,
			       cfg->n_cert_hashes == 1 ? "" : "es", cfg->cnf ? " from " : "",
			       cfg->cnf ? cfg->cnf : "");
	for (int i = 0; i < cfg->n_cert_hashes && off < sizeof(text); i++) {
		certhash_b64(cfg->cert_hashes[i], b64);
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %s", b64);
	}
	finding(fs, "trust", text, false);
}

/* ==== What the events need ==== */

static void check_events(struct findings *fs, const struct timeline_spec *tl)
{
	char text[600], err[512];
	size_t off = 0;

	if (!tl->n_ev) {
		finding(fs, "events", "none", false);
		return;
	}
	for (int i = 0; i < tl->n_ev && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s (%s)", i ? ", " : "",
					tl->ev[i].name, event_action_name(tl->ev[i].action));
	finding(fs, "events", text, false);
	if (labscript_check(tl, err, sizeof(err)))
		finding(fs, "events", err, true);
}

/* ==== The command ==== */

struct check_opts {
	const char *scenario;
	const char *overrides[MAX_OVERRIDES];
	int n_over;
	const char *dir; /* -o; NULL: not checked */
	bool force, probe;
};

static int parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"probe", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmdline cl = {
	    .argc = argc, .argv = argv, .shortopts = "s:o:h", .longopts = longopts, .usage = usage};
	int opt;

	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 's':
			if (o->n_over == MAX_OVERRIDES) {
				fprintf(stderr, "phoneswarm check: too many -s overrides\n");
				return 2;
			}
			o->overrides[o->n_over++] = optarg;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'p':
			o->probe = true;
			break;
		}
	}
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 1, 1))
		return 2;
	o->scenario = argv[optind];
	return -1;
}

/* What this machine allows the run. */
static void check_machine(struct findings *fs, const struct swarm_config *cfg)
{
	struct preflight pf;
	char text[200];

	snprintf(text, sizeof(text), "%u, all up at once at the peak, on %d worker thread%s",
		 cfg->count, preflight_threads(cfg), preflight_threads(cfg) == 1 ? "" : "s");
	finding(fs, "phones", text, false);
	preflight_descriptors(cfg, &pf);
	finding(fs, "descriptors", pf.text, pf.problem);
	preflight_memory(cfg, &pf);
	finding(fs, "memory", pf.text, pf.problem);
	preflight_ports(cfg, &pf);
	finding(fs, "ports", pf.text, pf.problem);
	preflight_sources(cfg, &pf);
	finding(fs, "sources", pf.text, pf.problem);
	preflight_io_uring(&pf);
	finding(fs, "io_uring", pf.text, pf.problem);
	preflight_priority(cfg, &pf);
	finding(fs, "priority", pf.text, pf.problem);
}

int check_main(int argc, char **argv)
{
	struct check_opts o = {0};
	struct swarm_config cfg;
	struct timeline_spec *tl;
	struct scenario_settings st;
	struct findings *fs;
	char err[SCENARIO_ERRORS_MAX];
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	tl = calloc(1, sizeof(*tl));
	fs = calloc(1, sizeof(*fs));
	if (!tl || !fs) {
		fprintf(stderr, "phoneswarm check: out of memory\n");
		free(tl);
		free(fs);
		return 2;
	}
	if (scenario_load_run(o.scenario, o.overrides, o.n_over, &cfg, tl, &st, err, sizeof(err))) {
		scenario_print_errors(stderr, "phoneswarm check: ", err);
		fprintf(stderr,
			"phoneswarm check: %s: the scenario has errors (all listed above)\n",
			o.scenario);
		free(tl);
		free(fs);
		return 2;
	}
	printf("phoneswarm check %s%s\n\n; the scenario as the run takes it\n", o.scenario,
	       o.n_over ? " (with -s)" : "");
	print_settings(&st);
	printf("\nthis machine and the run:\n");
	check_machine(fs, &cfg);
	check_trust(fs, &cfg);
	check_events(fs, tl);
	if (o.dir) {
		rc = outdir_prepare(o.dir, o.force, err, sizeof(err));
		finding(fs, "output", rc ? err : "writable, and holds nothing else", rc != 0);
	}
	if (o.probe) {
		printf("\n");
		fflush(stdout);
		rc = probe_run(&cfg, cfg.cnf, "phoneswarm check: --probe: ");
		if (rc)
			finding(fs, "probe",
				rc == 1 ? "a model would not get through (the table above says how)"
					: "the probe could not be made (said above)",
				true);
	}
	if (!fs->n_problems) {
		printf("\nok: the run can go as asked\n");
	} else {
		printf("\n%d problem%s: the run cannot go as asked\n", fs->n_problems,
		       fs->n_problems == 1 ? "" : "s");
		for (int i = 0; i < fs->n_problems && i < MAX_PROBLEMS; i++)
			fprintf(stderr, "phoneswarm check: %s\n", fs->problems[i]);
	}
	rc = fs->n_problems ? 2 : 0;
	scenario_settings_free(&st);
	config_free(&cfg);
	free(tl);
	free(fs);
	return rc;
}
