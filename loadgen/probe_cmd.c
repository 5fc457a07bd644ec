/*
 * loadgen/probe_cmd.c - probe a headend as each phone model would (probe_cmd.h).
 *
 * One phone per model profile connects once, with the engine's own code: it
 * records the chain the headend presents and the hash of its leaf, whether
 * the phone config trusts it, the TLS version and cipher the model ends up
 * with, which login the headend answered the phone's first request with
 * (the phone's own exchange, or the desktop AnyConnect XML), and, when it
 * can log in (a CA to mint its certificate), whether the login, the tunnel
 * and DTLS come up. Untrusted certificates are reported, not refused: the
 * point is to see what every model would meet.
 */
#include "loadgen/probe_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/trust/certhash.h"
#include "engine/config.h"
#include "engine/trust/model.h"
#include "engine/phone/phone.h"
#include "engine/swarm/swarm.h"
#include "engine/trust/cnf.h"
#include "loadgen/cmdline.h"
#include "loadgen/value.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: phoneswarm probe [URL] [--cnf FILE] [--hash HASH ...] [--models LIST]\n"
		"                        [--dns IP[,IP]] [--source IP] [--ca-cert PEM --ca-key PEM]\n"
		"                        [--dtls auto|legacy|psk|off] [--client phone|anyconnect]\n"
		"                        [--timeout DURATION]\n"
		"  URL            the headend (default: url1 of --cnf)\n"
		"  --cnf FILE     a phone config (SEP<MAC>.cnf.xml): its certHashN are the trust list\n"
		"  --hash HASH    a trusted certificate hash (Base64 or hex SHA-1; repeatable)\n"
		"  --models LIST  models to probe (default: every model phoneswarm knows)\n"
		"  --dns IP,IP    the phones' DNS servers, for a URL with a host name\n"
		"  --source IP    the address to connect from\n"
		"  --ca-cert/--ca-key  a CA whose certificates the headend accepts: the probe then\n"
		"                 logs in and checks the tunnel and DTLS as well\n"
		"  --dtls MODE    the DTLS the probes offer after login (default auto: a phone's\n"
		"                 legacy DTLS; psk needs --client anyconnect)\n"
		"  --client C     log in as the phone does (phone, the default) or with the desktop\n"
		"                 AnyConnect XML exchange (anyconnect: not what a phone does)\n"
		"  --timeout D    each probe's connect timer, DNS to tunnel up (default 30s)\n"
		"exit status: 0 every model gets through (a phone: its own login works at URL),\n"
		"             1 one would not, 2 usage error\n");
}

static int add_models(struct swarm_config *cfg, const char *list)
{
	const char *cur = list;
	char item[16];
	int rc;

	cfg->n_models = 0;
	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (!model_find(item) || cfg->n_models == CONFIG_MAX_MODELS)
			return -1;
		snprintf(cfg->models[cfg->n_models].model, sizeof(cfg->models[0].model), "%s",
			 item);
		cfg->n_models++;
	}
	return rc < 0 || !cfg->n_models ? -1 : 0;
}

/* What answered the probe's first login request, in a word or two. */
static const char *login_kind(const struct probe_result *r, char *buf, size_t len)
{
	switch (r->login) {
	case PROBE_LOGIN_PHONE:
		return "phone";
	case PROBE_LOGIN_DESKTOP:
		return "desktop";
	case PROBE_LOGIN_OTHER:
		snprintf(buf, len, "HTTP %d", r->login_status);
		return buf;
	default:
		return "-";
	}
}

static void print_result(const char *model, const struct probe_result *r, bool login)
{
	char b64[29] = "-", kind[16];

	if (r->got_leaf)
		certhash_b64(r->leaf_sha1, b64);
	printf("%-6s %-8s %-30s %-29s %-8s %-8s %-8s %-7s %s\n", model,
	       r->tls_version[0] ? r->tls_version : "-", r->tls_cipher[0] ? r->tls_cipher : "-",
	       b64, r->got_leaf ? (r->trusted ? "yes" : "NO") : "-",
	       r->got_leaf ? (r->host_id_ok ? "match" : "MISMATCH") : "-",
	       login_kind(r, kind, sizeof(kind)), !login ? "-" : r->authenticated ? "ok" : "FAILED",
	       r->dtls[0] ? r->dtls : r->tunnel ? "-" : "");
	if (r->reason)
		printf("       failed: %s (detail %d)\n", reason_name((enum reason)r->reason),
		       r->detail);
}

/*
 * Which login the headend answered at the URL, and what that means for a
 * phone: the first probe that got an answer speaks for the URL.
 */
static void print_login(const struct swarm_config *cfg, const struct probe_result *r)
{
	const char *path = strlen(cfg->url) > 8 ? strchr(cfg->url + 8, '/') : NULL;

	if (!path)
		path = "/";
	switch (r->login) {
	case PROBE_LOGIN_PHONE:
		printf("login at %s: the phone's exchange (login page with webvpnlogin)", path);
		break;
	case PROBE_LOGIN_DESKTOP:
		printf("login at %s: the desktop AnyConnect XML exchange, not the phone's", path);
		break;
	default:
		printf("login at %s: neither exchange (HTTP %d)", path, r->login_status);
		break;
	}
	if (cfg->client == CLIENT_ANYCONNECT)
		printf("; the probes logged in with the desktop exchange (--client anyconnect)\n");
	else if (r->login != PROBE_LOGIN_PHONE)
		printf(": a phone cannot log in here (ocserv 1.2 and later serve phones at "
		       "/svc; an ASA at the phones' tunnel group's group-url)\n");
	else if (!cfg->ca_cert)
		printf("; give --ca-cert and --ca-key to try the login itself\n");
	else
		printf(": %s\n", r->authenticated ? "phones log in" : "the login failed");
}

int probe_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cnf", required_argument, NULL, 'c'},	   {"hash", required_argument, NULL, 'H'},
		{"models", required_argument, NULL, 'm'},  {"dns", required_argument, NULL, 'd'},
		{"source", required_argument, NULL, 's'},  {"ca-cert", required_argument, NULL, 'C'},
		{"ca-key", required_argument, NULL, 'K'},  {"dtls", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'}, {"client", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "h", .longopts = opts,
			     .usage = usage};
	struct swarm_config cfg;
	struct phone_cnf cnf;
	const char *cnf_path = NULL;
	char err[512];
	int opt, rc = 0;

	config_defaults(&cfg);
	cfg.n_models = 0;
	for (int k = 0; model_at(k) && k < CONFIG_MAX_MODELS; k++) {
		snprintf(cfg.models[k].model, sizeof(cfg.models[0].model), "%s", model_at(k)->name);
		cfg.n_models++;
	}
	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 'c':
			cnf_path = optarg;
			break;
		case 'H':
			if (cfg.n_cert_hashes == CONFIG_MAX_HASHES ||
			    certhash_parse(optarg, cfg.cert_hashes[cfg.n_cert_hashes])) {
				fprintf(stderr, "phoneswarm probe: --hash %s: not a SHA-1 hash\n", optarg);
				goto out_usage;
			}
			cfg.n_cert_hashes++;
			break;
		case 'm':
			if (add_models(&cfg, optarg)) {
				fprintf(stderr, "phoneswarm probe: --models %s: unknown model\n", optarg);
				goto out_usage;
			}
			break;
		case 'd': {
			const char *cur = optarg;
			char ip[32];

			cfg.n_dns = 0;
			while (value_list_next(&cur, ip, sizeof(ip)) > 0 && cfg.n_dns < CONFIG_MAX_DNS)
				if (inet_pton(AF_INET, ip, &cfg.dns[cfg.n_dns]) == 1)
					cfg.n_dns++;
			break;
		}
		case 's':
			if (value_ipv4_set(optarg, &cfg.source, &cfg.n_source)) {
				fprintf(stderr, "phoneswarm probe: --source %s: not an address\n", optarg);
				goto out_usage;
			}
			break;
		case 'C':
			cfg.ca_cert = strdup(optarg);
			break;
		case 'K':
			cfg.ca_key = strdup(optarg);
			break;
		case 't': {
			int k = dtls_mode_parse(optarg);

			if (k < 0) {
				fprintf(stderr, "phoneswarm probe: --dtls %s:", optarg);
				for (k = 0; k < DTLS_MODE__COUNT; k++)
					fprintf(stderr, "%s %s", !k ? "" : k + 1 < DTLS_MODE__COUNT ? "," : " or",
						dtls_mode_names[k]);
				fputc('\n', stderr);
				goto out_usage;
			}
			cfg.dtls_mode = (enum dtls_mode)k;
			break;
		}
		case 'L': {
			int k = 0;

			while (k < CLIENT__COUNT && strcmp(optarg, client_names[k]))
				k++;
			if (k == CLIENT__COUNT) {
				fprintf(stderr, "phoneswarm probe: --client %s: %s or %s\n", optarg,
					client_names[CLIENT_PHONE], client_names[CLIENT_ANYCONNECT]);
				goto out_usage;
			}
			cfg.client = (enum client_kind)k;
			break;
		}
		case 'T':
			cfg.connect_timeout_given = true;
			if (value_duration(optarg, &cfg.connect_timeout_us) || !cfg.connect_timeout_us) {
				fprintf(stderr, "phoneswarm probe: --timeout %s: not a duration\n", optarg);
				goto out_usage;
			}
			break;
		}
	}
	if (cl.exit >= 0) {
		config_free(&cfg);
		return cl.exit;
	}
	if (cnf_path) {
		if (cnf_load(cnf_path, &cnf, err, sizeof(err))) {
			fprintf(stderr, "phoneswarm probe: --cnf %s\n", err);
			goto out_usage;
		}
		for (int i = 0; i < cnf.n_hashes && cfg.n_cert_hashes < CONFIG_MAX_HASHES; i++)
			memcpy(cfg.cert_hashes[cfg.n_cert_hashes++], cnf.hashes[i], 20);
		cfg.host_id_check = cnf.host_id_check;
	}
	if (optind < argc)
		cfg.url = strdup(argv[optind++]);
	else if (cnf_path)
		cfg.url = strdup(cnf.urls[0]);
	if (!cfg.url || optind != argc || !!cfg.ca_cert != !!cfg.ca_key) {
		if (cfg.url && !!cfg.ca_cert != !!cfg.ca_key)
			fprintf(stderr, "phoneswarm probe: --ca-cert and --ca-key go together\n");
		goto out_usage;
	}
	if (cfg.client == CLIENT_PHONE && cfg.dtls_mode == DTLS_MODE_PSK) {
		fprintf(stderr, "phoneswarm probe: --dtls psk is not what a phone does: add "
				"--client anyconnect\n");
		goto out_usage;
	}
	cfg.probe = true;
	cfg.count = (uint32_t)cfg.n_models;
	cfg.rate = 1000;
	cfg.threads = 1;
	cfg.reconnect = RECONNECT_NEVER;
	cfg.duration_us = cfg.connect_timeout_us + 5000000; /* probes end as soon as they know */
	for (int i = 0; i < cfg.n_models; i++)
		cfg.models[i].share = 1.0 / cfg.n_models;

	enum ca_chain bad;
	bool key_fault;

	if (config_load_cas(&cfg, err, sizeof(err), &bad, &key_fault)) {
		fprintf(stderr, "phoneswarm probe: %s: %s\n", config_chain_keys[bad][key_fault], err);
		config_free(&cfg);
		return 2;
	}
	struct swarm *sw = swarm_new(&cfg, err, sizeof(err));
	if (!sw) {
		fprintf(stderr, "phoneswarm probe: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	if (swarm_start(sw, err, sizeof(err)) || swarm_wait(sw, err, sizeof(err))) {
		fprintf(stderr, "phoneswarm probe: %s\n", err);
		swarm_free(sw);
		config_free(&cfg);
		return 3;
	}
	printf("probe %s: %d trusted hash%s%s%s%s\n", cfg.url, cfg.n_cert_hashes,
	       cfg.n_cert_hashes == 1 ? "" : "es", cnf_path ? " from " : "",
	       cnf_path ? cnf_path : "", cfg.host_id_check ? ", host-ID check on" : "");
	printf("%-6s %-8s %-30s %-29s %-8s %-8s %-8s %-7s %s\n", "model", "TLS", "cipher",
	       "leaf SHA-1 (certHash)", "trusted", "host-ID", "answered", "login", "DTLS");
	const char *chain = NULL;
	const struct probe_result *first = NULL;
	for (uint32_t i = 0; i < cfg.count; i++) {
		const char *model;
		const struct probe_result *r = swarm_probe(sw, i, &model);

		print_result(model, r, cfg.ca_cert != NULL);
		if (r->chain[0] && !chain)
			chain = r->chain;
		if (r->login && !first)
			first = r;
		/* a model that would not get through (untrusted, refused, no DTLS) fails the check */
		if (r->reason || !r->got_leaf || !r->trusted ||
		    (cfg.host_id_check && !r->host_id_ok) ||
		    (cfg.ca_cert && r->dtls_offered && !r->dtls_up))
			rc = 1;
	}
	if (chain)
		printf("chain presented: %s\n", chain);
	if (first)
		print_login(&cfg, first);
	if (!cfg.ca_cert)
		printf("(no --ca-cert: login, tunnel and DTLS not tried)\n");
	swarm_free(sw);
	config_free(&cfg);
	return rc;

out_usage:
	usage(stderr);
	config_free(&cfg);
	return 2;
}
