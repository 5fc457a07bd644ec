/*
 * loadgen/scenario.c - a scenario file and its -s overrides into a config.
 *
 * inih splits the file into (section, key, value); the table in
 * loadgen/scenario_keys.c maps each known key to a setter that parses the
 * value with loadgen/value.c and stores it in struct swarm_config. The file
 * is read through our own inih reader so that we know the line every
 * callback comes from (the Debian build of inih does not pass line numbers)
 * and so that a section header is checked when it is read, even if the
 * section holds no keys.
 *
 * Policy, all of it documented in scenarios/README.md:
 *   - unknown sections and keys are errors, never ignored: a test whose
 *     settings or expectations were silently dropped would pass when it
 *     should not. [expect] lines go to report/expect.c, [event.NAME] keys
 *     to loadgen/event.c; [event] without a name is an error;
 *   - a key given twice in the file, an event's too, is an error naming
 *     both lines; -s overrides are applied after the file, in order, and
 *     the last one wins;
 *   - the loader remembers where each key came from (its "origin": a line
 *     of the file, or an override), so that the checks made once the
 *     overrides are in (required keys, the phone config of headend.cnf, the
 *     CA files, what one key asks of another) name it as the setters do:
 *     "FILE:LINE: section.key: ...", "-s section.key=value: section.key: ..."
 *     or, for a key missing, "FILE: section.key: required key missing (...)".
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/scenario.h"

#include "loadgen/event.h"
#include "engine/trust/cnf.h"
#include "engine/proto/url.h"
#include "loadgen/scenario_keys.h"

/* Longest line accepted, without its newline: ten hex hashes fit easily. */
#define SCENARIO_LINE_MAX 16384

/* ==== Setting a key ==== */

/* The state of one scenario_load() call. */
struct load {
	struct swarm_config *cfg;     /* borrowed: being filled */
	const char *path;	      /* borrowed: the scenario file's name */
	FILE *f;		      /* owned: the scenario file */
	char *line;		      /* owned: the line being fed to inih */
	size_t linecap, linelen;      /* bytes allocated, bytes in line */
	size_t fed;		      /* bytes of line already given to inih */
	int lineno;		      /* 1-based number of that line */
	const char *const *overrides; /* borrowed: the -s strings */
	int set_on[K__COUNT];	      /* origin of each key (see origin()); 0: unset */
	struct timeline_spec *tl;     /* borrowed: events and expectations go here */
	bool in_expect;		      /* the lines being read are [expect]'s */
	int section_line;	      /* line of the last section header */
	bool failed;		      /* err holds the message */
	char *err;		      /* borrowed: the caller's buffer */
	size_t errlen;
};

static void vfail(struct load *ld, const char *where, const char *fmt, va_list ap)
{
	int off;

	if (ld->failed)
		return;
	ld->failed = true;
	off = snprintf(ld->err, ld->errlen, "%s: ", where);
	if (off < 0 || (size_t)off >= ld->errlen)
		return;
	vsnprintf(ld->err + off, ld->errlen - (size_t)off, fmt, ap);
}

/* Write the error message "WHERE: WHAT" once; later failures keep the first. */
__attribute__((format(printf, 3, 4))) static void fail(struct load *ld, const char *where,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, where, fmt, ap);
	va_end(ap);
}

/*
 * An origin says where a value came from: line n of the file (n > 0), the
 * -s override i (-1 - i), or nowhere (0: a default, or a key missing).
 * Written for a message as "FILE:LINE", "-s section.key=value" or "FILE".
 */
static const char *origin(const struct load *ld, int from, char *buf, size_t len)
{
	if (from > 0)
		snprintf(buf, len, "%s:%d", ld->path, from);
	else if (from < 0)
		snprintf(buf, len, "-s %s", ld->overrides[-1 - from]);
	else
		snprintf(buf, len, "%s", ld->path);
	return buf;
}

/* fail() at an origin. */
__attribute__((format(printf, 3, 4))) static void fail_at(struct load *ld, int from,
							  const char *fmt, ...)
{
	char where[4200];
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, origin(ld, from, where, sizeof(where)), fmt, ap);
	va_end(ap);
}

/*
 * Set section.name to value, found at where (a "file:line" or "-s ..."
 * prefix for messages), which is the origin from.
 */
static int apply(struct load *ld, const char *where, const char *section, const char *name,
		 const char *value, int from)
{
	char why[1024];
	int k;

	if (scenario_keys_check_section(section, why, sizeof(why)) < 0) {
		fail(ld, where, "%s", why);
		return -1;
	}
	if (strncmp(section, "event.", 6) == 0) {
		if (event_set(ld->tl, section + 6, name, value, from > 0 ? ld->section_line : 0,
			      from, why, sizeof(why)) < 0) {
			fail(ld, where, "%s.%s: %s", section, name, why);
			return -1;
		}
		return 0;
	}
	if (strcmp(section, "expect") == 0) {
		fail(ld, where, "[expect]: expectations are lines of the file, not -s overrides");
		return -1;
	}
	k = scenario_keys_find(section, name);
	if (k < 0) {
		fail(ld, where, "%s.%s: unknown key", section, name);
		return -1;
	}
	if (from > 0 && ld->set_on[k] > 0) {
		fail(ld, where, "%s.%s: given twice (first on line %d)", section, name,
		     ld->set_on[k]);
		return -1;
	}
	if (*value == '\0') {
		fail(ld, where, "%s.%s: empty value", section, name);
		return -1;
	}
	if (scenario_keys[k].set(ld->cfg, value, why, sizeof(why)) < 0) {
		fail(ld, where, "%s.%s: %s", section, name, why);
		return -1;
	}
	ld->set_on[k] = from;
	return 0;
}

/* ==== Reading the file ==== */

/*
 * Check a section header as soon as it is read, so that an unknown or
 * unsupported section is reported even when no key follows it. Lines that
 * are not "[name]" are left to inih.
 */
static int check_header(struct load *ld)
{
	char *p = ld->line, *close, where[4200], why[1024];

	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* UTF-8 BOM, which inih skips too */
	p += strspn(p, " \t");
	if (*p != '[')
		return 0;
	close = strchr(p, ']');
	if (!close)
		return 0;
	*close = '\0';
	ld->in_expect = strcmp(p + 1, "expect") == 0;
	ld->section_line = ld->lineno;
	if (scenario_keys_check_section(p + 1, why, sizeof(why)) < 0) {
		snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
		fail(ld, where, "%s", why);
	}
	*close = ']';
	return ld->failed ? -1 : 0;
}

/*
 * An [expect] line is not "key = value": it is read here, whole, and inih
 * is given an empty line in its place (so that line numbers stay right).
 */
static int take_expect(struct load *ld)
{
	const char *p = ld->line + strspn(ld->line, " \t\r\n");
	char where[4200], why[512];

	if (*p == '\0' || *p == ';' || *p == '#' || *p == '[')
		return 0;
	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (ld->tl->n_ex == TIMELINE_MAX_EXPECTS) {
		fail(ld, where, "[expect]: more than %d expectations", TIMELINE_MAX_EXPECTS);
		return -1;
	}
	if (expect_parse(ld->line, &ld->tl->ex[ld->tl->n_ex], why, sizeof(why))) {
		fail(ld, where, "expect: %s", why);
		return -1;
	}
	ld->tl->ex_line[ld->tl->n_ex++] = ld->lineno;
	ld->line[0] = '\n';
	ld->line[1] = '\0';
	ld->linelen = 1;
	return 0;
}

/*
 * inih's fgets-like reader. Lines are read whole with getline() and handed
 * over in pieces of at most num - 1 bytes (inih asks again, with a bigger
 * buffer, until it has seen the newline), which tells us the number of the
 * line inih is working on. Every line is given a newline so that inih
 * never glues the next line onto a last line without one. Returns NULL at
 * the end of the file or to stop on an error (ld->failed).
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	size_t n;

	if (ld->failed || num < 2)
		return NULL;
	if (ld->fed == ld->linelen) {
		ssize_t got = getline(&ld->line, &ld->linecap, ld->f);

		if (got < 0)
			return NULL;
		ld->lineno++;
		ld->linelen = (size_t)got;
		ld->fed = 0;
		if (got == 0 || ld->line[got - 1] != '\n') {
			if (ld->linecap < (size_t)got + 2) {
				char *bigger = realloc(ld->line, (size_t)got + 2);

				if (!bigger)
					return NULL;
				ld->line = bigger;
				ld->linecap = (size_t)got + 2;
			}
			ld->line[ld->linelen++] = '\n';
			ld->line[ld->linelen] = '\0';
		}
		if (ld->linelen - 1 > SCENARIO_LINE_MAX) {
			char where[4200];

			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
			fail(ld, where, "line longer than %d characters", SCENARIO_LINE_MAX);
			return NULL;
		}
		if (check_header(ld) < 0)
			return NULL;
		if (ld->in_expect && take_expect(ld) < 0)
			return NULL;
	}
	n = ld->linelen - ld->fed;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, ld->line + ld->fed, n);
	str[n] = '\0';
	ld->fed += n;
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	char where[4200];

	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (*section == '\0') {
		fail(ld, where, "%s: key outside any [section]", name);
		return 0;
	}
	return apply(ld, where, section, name, value, ld->lineno) == 0;
}

/*
 * Run inih over the file with the settings this format needs. The knobs are
 * process-wide variables of Debian's libinih (upstream has them as
 * compile-time macros): a heap line buffer that grows, so that long lists
 * of hashes fit; no continuation lines, so that an indented key is a key;
 * stop at the first error. They are put back as they were afterwards.
 */
static void parse_file(struct load *ld)
{
	bool use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
	bool multiline = ini_allow_multiline, stop = ini_stop_on_first_error;
	int max_line = ini_max_line, rc;
	char where[4200];

	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = SCENARIO_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(read_line, ld, on_key, ld);
	ini_use_stack = use_stack;
	ini_allow_realloc = allow_realloc;
	ini_max_line = max_line;
	ini_allow_multiline = multiline;
	ini_stop_on_first_error = stop;

	if (ld->failed)
		return;
	if (ferror(ld->f)) {
		fail(ld, ld->path, "%s", strerror(EIO));
	} else if (rc == -2) {
		fail(ld, ld->path, "out of memory");
	} else if (rc > 0) {
		snprintf(where, sizeof(where), "%s:%d", ld->path, rc);
		fail(ld, where, "not a [section] or a key = value line");
	}
}

/* ==== Overrides and required keys ==== */

static void trim(char *s)
{
	size_t len = strlen(s), lead = strspn(s, " \t");

	while (len > lead && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	memmove(s, s + lead, len - lead);
	s[len - lead] = '\0';
}

/* Override i, "section.key=value"; the section is what precedes the last dot. */
static int apply_override(struct load *ld, int i)
{
	const char *ov = ld->overrides[i];
	char where[4200], why[1024], *copy, *eq, *dot;
	int rc = -1;

	snprintf(where, sizeof(where), "-s %s", ov);
	copy = strdup(ov);
	if (!copy) {
		fail(ld, where, "out of memory");
		return -1;
	}
	eq = strchr(copy, '=');
	if (!eq)
		goto out_syntax;
	*eq = '\0';
	trim(copy);
	trim(eq + 1);
	dot = strrchr(copy, '.');
	if (!dot || dot == copy || dot[1] == '\0')
		goto out_syntax;
	*dot = '\0';
	if (scenario_keys_check_section(copy, why, sizeof(why)) < 0) {
		fail(ld, where, "%s", why);
		goto out_free;
	}
	rc = apply(ld, where, copy, dot + 1, eq + 1, -1 - i); /* its origin */
	goto out_free;

out_syntax:
	fail(ld, where, "expected section.key=value");
out_free:
	free(copy);
	return rc;
}

/* The keys of the CAs a certificate phone's identity is minted by, by enum ca_chain. */
static const struct {
	enum key_id cert, key;
} ca_pairs[CHAIN__COUNT] = {{K_CA_CERT, K_CA_KEY},
			  {K_MIC_CA, K_MIC_CA_KEY},
			  {K_MIC_SHA1_CA, K_MIC_SHA1_CA_KEY},
			  {K_LSC_CA, K_LSC_CA_KEY}};

/* Each required key that is missing, with the condition that requires it. */
static void check_required(struct load *ld)
{
	const struct swarm_config *cfg = ld->cfg;
	static const struct {
		enum key_id key;
		int auth; /* -1: always; else only for this auth method */
	} required[] = {
	    {K_COUNT, -1},
	    {K_USER, AUTH_PASSWORD},
	    {K_PASSWORD, AUTH_PASSWORD},
	};

	if (!ld->set_on[K_CERT_HASHES] && !ld->set_on[K_CNF])
		fail(ld, ld->path,
		     "headend.cert_hashes: required key missing "
		     "(or give headend.cnf)");
	if (!ld->set_on[K_URL] && !ld->set_on[K_CNF])
		fail(ld, ld->path, "headend.url: required key missing (or give headend.cnf)");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const struct key *k = &scenario_keys[required[i].key];

		if (ld->set_on[required[i].key])
			continue;
		if (required[i].auth < 0)
			fail(ld, ld->path, "%s.%s: required key missing", k->section, k->name);
		else if ((int)cfg->auth == required[i].auth)
			fail(ld, ld->path, "%s.%s: required key missing (phones.auth is %s)",
			     k->section, k->name,
			     cfg->auth == AUTH_CERTIFICATE ? "certificate" : "password");
	}
	/* certificate phones need a CA (and its key) to mint their identities */
	bool any = false;

	for (int i = 0; i < CHAIN__COUNT && cfg->auth == AUTH_CERTIFICATE; i++) {
		bool c = ld->set_on[ca_pairs[i].cert], k = ld->set_on[ca_pairs[i].key];
		const struct key *missing = &scenario_keys[c ? ca_pairs[i].key : ca_pairs[i].cert];

		if (c != k)
			fail(ld, ld->path, "%s.%s: required key missing (phones.auth is certificate)",
			     missing->section, missing->name);
		any |= c && k;
	}
	if (cfg->auth == AUTH_CERTIFICATE && !any)
		fail(ld, ld->path, "phones.ca_cert: required key missing (phones.auth is certificate)");
	if (cfg->ramp.mode == RAMP_LINEAR && (!ld->set_on[K_RATE_MAX] || !ld->set_on[K_RAMP_TIME]))
		fail(ld, ld->path, "ramp.%s: required key missing (ramp.mode is linear)",
		     ld->set_on[K_RATE_MAX] ? "ramp_time" : "rate_max");
	if (cfg->ramp.mode == RAMP_STEP && !ld->set_on[K_STEP])
		fail(ld, ld->path, "ramp.step: required key missing (ramp.mode is step)");
	if (cfg->calls > 0 && !ld->set_on[K_TARGET])
		fail(ld, ld->path, "traffic.target: required key missing (traffic.calls is above 0)");
	if (cfg->client == CLIENT_PHONE && cfg->dtls_mode == DTLS_MODE_PSK)
		fail_at(ld, ld->set_on[K_DTLS_MODE],
			"dtls.mode: psk is not what a phone does (its DTLS is legacy DTLS 0.9): "
			"give phones.client = anyconnect for PSK-NEGOTIATE");
	if (cfg->mac_base + cfg->count - 1 > 0xFFFFFFFFFFFFULL)
		fail(ld, ld->path,
		     "phones.mac_base: %012llx plus %u phones passes "
		     "ff:ff:ff:ff:ff:ff",
		     (unsigned long long)cfg->mac_base, cfg->count);
}

/*
 * Take what headend.cnf gives: the URLs (url1 first, the others for
 * failover) and trusted hashes, unless headend.url / headend.cert_hashes
 * were given too (the keys win), and the host-ID check unless
 * headend.host_id_check was given.
 */
static void apply_cnf(struct load *ld)
{
	struct swarm_config *cfg = ld->cfg;
	struct phone_cnf cnf;
	char why[1024];

	if (cnf_load(cfg->cnf, &cnf, why, sizeof(why))) {
		fail_at(ld, ld->set_on[K_CNF], "headend.cnf: %s", why);
		return;
	}
	for (int i = 0; i < cnf.n_urls && !ld->set_on[K_URL]; i++) {
		if (scenario_keys_check_url(cnf.urls[i], why, sizeof(why)) < 0) {
			fail_at(ld, ld->set_on[K_CNF], "headend.cnf: %s: url%d: %s", cfg->cnf,
				i + 1, why);
			return;
		}
	}
	if (!ld->set_on[K_URL]) {
		cfg->url = strdup(cnf.urls[0]);
		for (int i = 1; i < cnf.n_urls && i < CONFIG_MAX_URLS; i++)
			cfg->more_urls[cfg->n_more_urls++] = strdup(cnf.urls[i]);
	}
	if (!ld->set_on[K_CERT_HASHES]) {
		memcpy(cfg->cert_hashes, cnf.hashes, sizeof(cnf.hashes));
		cfg->n_cert_hashes = cnf.n_hashes;
	}
	if (!ld->set_on[K_HOST_ID])
		cfg->host_id_check = cnf.host_id_check;
}

/* A headend URL that names a host needs the phones' DNS servers (config_dns_missing()). */
static void check_dns(struct load *ld)
{
	struct url u;
	int i = config_dns_missing(ld->cfg, &u);

	if (i < 0)
		return;
	if (ld->set_on[K_URL])
		fail(ld, ld->path,
		     "headend.dns: required key missing (headend.url names a host, %s)", u.host);
	else
		fail(ld, ld->path,
		     "headend.dns: required key missing (url%d of headend.cnf names a host, %s)",
		     i + 1, u.host);
}

/* Certificate phones: every identity must find the CA of its chain (config_chain_missing()). */
static void check_chains(struct load *ld)
{
	char why[200];
	int c = config_chain_missing(ld->cfg, why, sizeof(why));

	if (c >= 0)
		fail(ld, ld->path,
		     "phones.%s: required key missing (%s; or give phones.ca_cert for every phone)",
		     scenario_keys[ca_pairs[c].cert].name, why);
}

/*
 * Each CA given, with its key, is read now, once, as the run will use it
 * (config_load_cas(): a PEM certificate, a PEM private key, and the
 * certificate's). The message names the key whose file is wrong.
 */
static void check_cas(struct load *ld)
{
	enum ca_chain c;
	char why[1024];
	bool key_fault;

	if (!config_load_cas(ld->cfg, why, sizeof(why), &c, &key_fault))
		return;
	enum key_id bad = key_fault ? ca_pairs[c].key : ca_pairs[c].cert;
	fail_at(ld, ld->set_on[bad], "%s.%s: %s", scenario_keys[bad].section,
		scenario_keys[bad].name, why);
}

/* Events complete, anchors resolve, windows of expectations name events. */
static void check_timeline(struct load *ld)
{
	char where[4200], why[512];
	int from = 0;

	if (event_check(ld->tl, why, sizeof(why), &from)) {
		fail_at(ld, from, "%s", why);
		return;
	}
	for (int i = 0; i < ld->tl->n_ex; i++) {
		const struct expect *e = &ld->tl->ex[i];
		const char *points[2] = {e->from, e->to};

		for (int k = 0; k < 2; k++) {
			if (!points[k][0] || !strcmp(points[k], "start") || !strcmp(points[k], "end") ||
			    event_find(ld->tl, points[k]))
				continue;
			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->tl->ex_line[i]);
			fail(ld, where, "expect: during %s..%s: no event called \"%s\"", e->from,
			     e->to, points[k]);
			return;
		}
	}
}

int scenario_load(const char *path, const char *const *overrides, int n_overrides,
		  struct swarm_config *cfg, char *err, size_t errlen)
{
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	int rc;

	if (!tl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = scenario_load_run(path, overrides, n_overrides, cfg, tl, err, errlen);
	free(tl);
	return rc;
}

int scenario_load_run(const char *path, const char *const *overrides, int n_overrides,
		      struct swarm_config *cfg, struct timeline_spec *tl, char *err, size_t errlen)
{
	struct load ld = {
	    .cfg = cfg,
	    .path = path,
	    .overrides = overrides,
	    .err = err,
	    .errlen = errlen,
	    .tl = tl,
	};

	config_defaults(cfg);
	if (errlen > 0)
		err[0] = '\0';
	ld.f = fopen(path, "r");
	if (!ld.f) {
		fail(&ld, path, "%s", strerror(errno));
		return -1;
	}
	parse_file(&ld);
	free(ld.line);
	fclose(ld.f);
	for (int i = 0; i < n_overrides && !ld.failed; i++)
		apply_override(&ld, i);
	if (!ld.failed)
		check_required(&ld);
	if (!ld.failed)
		check_timeline(&ld);
	if (!ld.failed && cfg->cnf)
		apply_cnf(&ld);
	if (!ld.failed)
		check_dns(&ld);
	if (!ld.failed && cfg->auth == AUTH_CERTIFICATE)
		check_chains(&ld);
	if (!ld.failed && cfg->auth == AUTH_CERTIFICATE)
		check_cas(&ld);
	if (ld.failed) {
		config_free(cfg);
		return -1;
	}
	return 0;
}
