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
 * A load goes in three steps, so that an override replaces a value before
 * anything looks at it (a scenario written for the lab runs elsewhere with
 * its lab paths replaced by -s, none of them opened):
 *   1. read: the file's keys are gathered as text, with their lines; the
 *      [expect] lines are parsed as they come;
 *   2. override: each -s replaces the text of its key (or adds the key);
 *   3. set: each key's setter parses its final text; then the checks that
 *      need them all (required keys, headend.cnf, DNS, the CAs' chains and
 *      files, the timeline).
 *
 * Policy, all of it documented in docs/scenario.md:
 *   - unknown sections and keys are errors, never ignored: a test whose
 *     settings or expectations were silently dropped would pass when it
 *     should not. [expect] lines go to report/expect.c, [event.NAME] keys
 *     to loadgen/event.c; [event] without a name is an error;
 *   - a key given twice in the file, an event's too, is an error naming
 *     both lines; -s overrides are applied in order, and the last one wins;
 *   - every error is found, not just the first: each is a line
 *     "FILE:LINE: section.key: ...", "-s section.key=value: section.key: ..."
 *     or, for a key missing, "FILE: section.key: required key missing (...)";
 *     a check that depends on a key whose value was refused is not made
 *     (one mistake, one message).
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
/* Where a message may say it came from: a path, a line, or a whole -s. */
#define WHERE_MAX 4200

/* One key of the file, or of an override, as text until step 3. */
struct entry {
	char *section, *name, *value; /* owned */
	int from;		      /* its origin (see origin()) */
	int section_line;	      /* the line of its [section] header; 0: made by -s */
};

/* The state of one scenario_load() call. */
struct load {
	struct swarm_config *cfg;     /* borrowed: being filled */
	const char *path;	      /* borrowed: the scenario file's name */
	FILE *f;		      /* owned: the scenario file */
	char *line;		      /* owned: the line being fed to inih */
	size_t linecap, linelen;      /* bytes allocated, bytes in line */
	size_t fed;		      /* bytes of line already given to inih */
	int lineno;		      /* 1-based number of that line */
	int bad_line;		      /* the last line we said was wrong: inih need not */
	const char *const *overrides; /* borrowed: the -s strings */
	struct entry *ent;	      /* owned: the keys, in file order, then the -s ones */
	int n_ent, cap_ent;
	int given[K__COUNT];	  /* origin of each key given, good or not; 0: not */
	int set_on[K__COUNT];	  /* origin of each key whose value was taken; 0: none */
	struct timeline_spec *tl; /* borrowed: events and expectations go here */
	bool in_expect;		  /* the lines being read are [expect]'s */
	bool skip_section;	  /* the section being read was refused: its keys too */
	int section_line;	  /* line of the last section header */
	int n_err;		  /* errors found */
	bool no_memory;		  /* an allocation failed: the load cannot go on */
	char *err;		  /* borrowed: the caller's buffer, lines of errors */
	size_t errlen, errused;
};

/* ==== Errors ==== */

/* Add the error "WHERE: WHAT" as a line of err (cut where the buffer ends). */
static void vfail(struct load *ld, const char *where, const char *fmt, va_list ap)
{
	size_t left = ld->errlen > ld->errused ? ld->errlen - ld->errused : 0;
	char *p = ld->err + ld->errused;
	int n;

	ld->n_err++;
	if (left < 2)
		return;
	if (ld->errused) {
		*p++ = '\n';
		left--;
		ld->errused++;
	}
	n = snprintf(p, left, "%s: ", where);
	if (n < 0 || (size_t)n >= left) {
		ld->errused = ld->errlen - 1;
		return;
	}
	ld->errused += (size_t)n;
	n = vsnprintf(p + n, left - (size_t)n, fmt, ap);
	if (n < 0 || (size_t)n >= ld->errlen - ld->errused)
		ld->errused = ld->errlen - 1;
	else
		ld->errused += (size_t)n;
}

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
	char where[WHERE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vfail(ld, origin(ld, from, where, sizeof(where)), fmt, ap);
	va_end(ap);
}

static void out_of_memory(struct load *ld)
{
	if (!ld->no_memory)
		fail(ld, ld->path, "out of memory");
	ld->no_memory = true;
}

/* ==== Step 1: reading the file ==== */

/* The entry of section.name, or NULL. */
static struct entry *find_entry(struct load *ld, const char *section, const char *name)
{
	for (int i = 0; i < ld->n_ent; i++)
		if (!strcmp(ld->ent[i].section, section) && !strcmp(ld->ent[i].name, name))
			return &ld->ent[i];
	return NULL;
}

static struct entry *add_entry(struct load *ld, const char *section, const char *name,
			       const char *value, int from, int section_line)
{
	struct entry *e;

	if (ld->n_ent == ld->cap_ent) {
		int cap = ld->cap_ent ? 2 * ld->cap_ent : 64;
		struct entry *bigger = realloc(ld->ent, (size_t)cap * sizeof(*bigger));

		if (!bigger)
			goto out_nomem;
		ld->ent = bigger;
		ld->cap_ent = cap;
	}
	e = &ld->ent[ld->n_ent];
	e->section = strdup(section);
	e->name = strdup(name);
	e->value = strdup(value);
	e->from = from;
	e->section_line = section_line;
	if (!e->section || !e->name || !e->value) {
		free(e->section);
		free(e->name);
		free(e->value);
		goto out_nomem;
	}
	ld->n_ent++;
	return e;

out_nomem:
	out_of_memory(ld);
	return NULL;
}

/*
 * Check a section header as soon as it is read, so that an unknown or
 * unsupported section is reported even when no key follows it (and its
 * keys are then passed over: one message for the section). A "[" line
 * without its "]" is said here too. Lines that are not headers are left.
 */
static void check_header(struct load *ld, char *p)
{
	char *close, where[WHERE_MAX], why[1024];

	if (*p != '[')
		return;
	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	close = strchr(p, ']');
	if (!close) {
		fail(ld, where, "a [section] header without its ]");
		ld->bad_line = ld->lineno;
		ld->skip_section = true;
		ld->in_expect = false;
		return;
	}
	*close = '\0';
	ld->in_expect = strcmp(p + 1, "expect") == 0;
	ld->section_line = ld->lineno;
	ld->skip_section = scenario_keys_check_section(p + 1, why, sizeof(why)) < 0;
	if (ld->skip_section)
		fail(ld, where, "%s", why);
	*close = ']';
}

/*
 * An [expect] line is not "key = value": it is read here, whole, and inih
 * is given an empty line in its place (so that line numbers stay right).
 */
static void take_expect(struct load *ld, const char *p)
{
	char where[WHERE_MAX], why[512];

	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ';' || *p == '#' || *p == '[')
		return;
	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (ld->tl->n_ex == TIMELINE_MAX_EXPECTS)
		fail(ld, where, "[expect]: more than %d expectations", TIMELINE_MAX_EXPECTS);
	else if (expect_parse(ld->line, &ld->tl->ex[ld->tl->n_ex], why, sizeof(why)))
		fail(ld, where, "expect: %s", why);
	else
		ld->tl->ex_line[ld->tl->n_ex++] = ld->lineno;
	ld->line[0] = '\n';
	ld->line[1] = '\0';
	ld->linelen = 1;
}

/* A line that is no header, no comment and no "key = value" (inih's syntax): said, blanked. */
static void check_syntax(struct load *ld, const char *p)
{
	char where[WHERE_MAX];

	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ';' || *p == '#' || *p == '[' ||
	    strpbrk(p, "=:"))
		return;
	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	fail(ld, where, "not a [section] or a key = value line");
	ld->bad_line = ld->lineno;
	ld->line[0] = '\n';
	ld->line[1] = '\0';
	ld->linelen = 1;
}

/* A new line read whole: checked as a header, an expectation or for its syntax. */
static void look_at_line(struct load *ld)
{
	char *p = ld->line;

	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* UTF-8 BOM, which inih skips too */
	p += strspn(p, " \t");
	check_header(ld, p);
	if (*p == '[')
		return;
	if (ld->in_expect)
		take_expect(ld, p);
	else
		check_syntax(ld, p);
}

/*
 * inih's fgets-like reader. Lines are read whole with getline() and handed
 * over in pieces of at most num - 1 bytes (inih asks again, with a bigger
 * buffer, until it has seen the newline), which tells us the number of the
 * line inih is working on. Every line is given a newline so that inih
 * never glues the next line onto a last line without one. Returns NULL at
 * the end of the file or when memory runs out.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	size_t n;

	if (ld->no_memory || num < 2)
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

				if (!bigger) {
					out_of_memory(ld);
					return NULL;
				}
				ld->line = bigger;
				ld->linecap = (size_t)got + 2;
			}
			ld->line[ld->linelen++] = '\n';
			ld->line[ld->linelen] = '\0';
		}
		if (ld->linelen - 1 > SCENARIO_LINE_MAX) {
			char where[WHERE_MAX];

			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
			fail(ld, where, "line longer than %d characters", SCENARIO_LINE_MAX);
			ld->bad_line = ld->lineno;
			ld->line[0] = '\n';
			ld->line[1] = '\0';
			ld->linelen = 1;
		}
		look_at_line(ld);
	}
	n = ld->linelen - ld->fed;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, ld->line + ld->fed, n);
	str[n] = '\0';
	ld->fed += n;
	return str;
}

/* inih's handler: a key of the file, kept as text (a key twice is refused here). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	char where[WHERE_MAX];
	struct entry *e;

	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (*section == '\0') {
		fail(ld, where, "%s: key outside any [section]", name);
		return 1;
	}
	if (ld->skip_section)
		return 1;
	e = find_entry(ld, section, name);
	if (e) {
		fail(ld, where, "%s.%s: given twice (first on line %d)", section, name, e->from);
		return 1;
	}
	add_entry(ld, section, name, value, ld->lineno, ld->section_line);
	return 1;
}

/*
 * Run inih over the file with the settings this format needs. The knobs are
 * process-wide variables of Debian's libinih (upstream has them as
 * compile-time macros): a heap line buffer that grows, so that long lists
 * of hashes fit; no continuation lines, so that an indented key is a key;
 * go on after an error (we say every one). They are put back as they were
 * afterwards.
 */
static void parse_file(struct load *ld)
{
	bool use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
	bool multiline = ini_allow_multiline, stop = ini_stop_on_first_error;
	int max_line = ini_max_line, rc;
	char where[WHERE_MAX];

	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = SCENARIO_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_stop_on_first_error = false;
	rc = ini_parse_stream(read_line, ld, on_key, ld);
	ini_use_stack = use_stack;
	ini_allow_realloc = allow_realloc;
	ini_max_line = max_line;
	ini_allow_multiline = multiline;
	ini_stop_on_first_error = stop;

	if (ld->no_memory)
		return;
	if (ferror(ld->f)) {
		fail(ld, ld->path, "%s", strerror(EIO));
	} else if (rc == -2) {
		out_of_memory(ld);
	} else if (rc > 0 && rc != ld->bad_line) {
		/* what inih refused and our look at the line did not catch */
		snprintf(where, sizeof(where), "%s:%d", ld->path, rc);
		fail(ld, where, "not a [section] or a key = value line");
	}
}

/* ==== Step 2: the overrides ==== */

static void trim(char *s)
{
	size_t len = strlen(s), lead = strspn(s, " \t");

	while (len > lead && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	memmove(s, s + lead, len - lead);
	s[len - lead] = '\0';
}

/*
 * Override i, "section.key=value" (the section is what precedes the last
 * dot): replaces the text of the key, wherever the file had it, or adds
 * the key.
 */
static void take_override(struct load *ld, int i)
{
	const char *ov = ld->overrides[i];
	char where[WHERE_MAX], why[1024], *copy, *eq, *dot;
	struct entry *e;

	snprintf(where, sizeof(where), "-s %s", ov);
	copy = strdup(ov);
	if (!copy) {
		out_of_memory(ld);
		return;
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
	} else if (!strcmp(copy, "expect")) {
		fail(ld, where, "[expect]: expectations are lines of the file, not -s overrides");
	} else if ((e = find_entry(ld, copy, dot + 1))) {
		char *v = strdup(eq + 1);

		if (!v) {
			out_of_memory(ld);
		} else {
			free(e->value);
			e->value = v;
			e->from = -1 - i;
		}
	} else {
		add_entry(ld, copy, dot + 1, eq + 1, -1 - i, 0);
	}
	free(copy);
	return;

out_syntax:
	fail(ld, where, "expected section.key=value");
	free(copy);
}

/* ==== Step 3: setting the keys ==== */

/* Set one key from its final text, where it came from. */
static void apply(struct load *ld, const struct entry *e)
{
	char where[WHERE_MAX], why[1024];
	int k;

	origin(ld, e->from, where, sizeof(where));
	if (strncmp(e->section, "event.", 6) == 0) {
		if (event_set(ld->tl, e->section + 6, e->name, e->value, e->section_line, e->from,
			      why, sizeof(why)) < 0)
			fail(ld, where, "%s.%s: %s", e->section, e->name, why);
		return;
	}
	k = scenario_keys_find(e->section, e->name);
	if (k < 0) {
		fail(ld, where, "%s.%s: unknown key", e->section, e->name);
		return;
	}
	ld->given[k] = e->from;
	if (*e->value == '\0')
		fail(ld, where, "%s.%s: empty value", e->section, e->name);
	else if (scenario_keys[k].set(ld->cfg, e->value, why, sizeof(why)) < 0)
		fail(ld, where, "%s.%s: %s", e->section, e->name, why);
	else
		ld->set_on[k] = e->from;
}

/* Was key k given a value that was refused? */
static bool refused(const struct load *ld, enum key_id k)
{
	return ld->given[k] && !ld->set_on[k];
}

/* The keys of the CAs a certificate phone's identity is minted by, by enum ca_chain. */
static const struct {
	enum key_id cert, key;
} ca_pairs[CHAIN__COUNT] = {{K_CA_CERT, K_CA_KEY},
			    {K_MIC_CA, K_MIC_CA_KEY},
			    {K_MIC_SHA1_CA, K_MIC_SHA1_CA_KEY},
			    {K_LSC_CA, K_LSC_CA_KEY}};

/* Any CA key refused: what the chains need cannot be judged. */
static bool ca_refused(const struct load *ld)
{
	for (int i = 0; i < CHAIN__COUNT; i++)
		if (refused(ld, ca_pairs[i].cert) || refused(ld, ca_pairs[i].key))
			return true;
	return false;
}

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

	if (!ld->given[K_CERT_HASHES] && !ld->given[K_CNF])
		fail(ld, ld->path,
		     "headend.cert_hashes: required key missing "
		     "(or give headend.cnf)");
	if (!ld->given[K_URL] && !ld->given[K_CNF])
		fail(ld, ld->path, "headend.url: required key missing (or give headend.cnf)");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const struct key *k = &scenario_keys[required[i].key];

		if (ld->given[required[i].key] || (required[i].auth >= 0 && refused(ld, K_AUTH)))
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
		bool c = ld->given[ca_pairs[i].cert], k = ld->given[ca_pairs[i].key];
		const struct key *missing = &scenario_keys[c ? ca_pairs[i].key : ca_pairs[i].cert];

		if (c != k)
			fail(ld, ld->path,
			     "%s.%s: required key missing (phones.auth is certificate)",
			     missing->section, missing->name);
		any |= c || k;
	}
	if (cfg->auth == AUTH_CERTIFICATE && !any && !refused(ld, K_AUTH))
		fail(ld, ld->path,
		     "phones.ca_cert: required key missing (phones.auth is certificate)");
	if (cfg->ramp.mode == RAMP_LINEAR && (!ld->given[K_RATE_MAX] || !ld->given[K_RAMP_TIME]))
		fail(ld, ld->path, "ramp.%s: required key missing (ramp.mode is linear)",
		     ld->given[K_RATE_MAX] ? "ramp_time" : "rate_max");
	if (cfg->ramp.mode == RAMP_STEP && !ld->given[K_STEP])
		fail(ld, ld->path, "ramp.step: required key missing (ramp.mode is step)");
	if (cfg->calls > 0 && !ld->given[K_TARGET])
		fail(ld, ld->path,
		     "traffic.target: required key missing (traffic.calls is above 0)");
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
 * headend.host_id_check was given. False when the file cannot be used.
 */
static bool apply_cnf(struct load *ld)
{
	struct swarm_config *cfg = ld->cfg;
	struct phone_cnf cnf;
	char why[1024];
	bool ok = true;

	if (cnf_load(cfg->cnf, &cnf, why, sizeof(why))) {
		fail_at(ld, ld->set_on[K_CNF], "headend.cnf: %s", why);
		return false;
	}
	for (int i = 0; i < cnf.n_urls && !ld->given[K_URL]; i++) {
		if (scenario_keys_check_url(cnf.urls[i], why, sizeof(why)) < 0) {
			fail_at(ld, ld->set_on[K_CNF], "headend.cnf: %s: url%d: %s", cfg->cnf,
				i + 1, why);
			ok = false;
		}
	}
	if (!ok)
		return false;
	if (!ld->given[K_URL]) {
		cfg->url = strdup(cnf.urls[0]);
		for (int i = 1; i < cnf.n_urls && i < CONFIG_MAX_URLS; i++)
			cfg->more_urls[cfg->n_more_urls++] = strdup(cnf.urls[i]);
	}
	if (!ld->given[K_CERT_HASHES]) {
		memcpy(cfg->cert_hashes, cnf.hashes, sizeof(cnf.hashes));
		cfg->n_cert_hashes = cnf.n_hashes;
	}
	if (!ld->given[K_HOST_ID])
		cfg->host_id_check = cnf.host_id_check;
	return true;
}

/* A headend URL that names a host needs the phones' DNS servers (config_dns_missing()). */
static void check_dns(struct load *ld)
{
	struct url u;
	int i = config_dns_missing(ld->cfg, &u);

	if (i < 0 || refused(ld, K_DNS))
		return;
	if (i >= CONFIG_MAX_URLS)
		fail(ld, ld->path,
		     "headend.dns: required key missing (headend.spread's URL %d names a host, %s)",
		     i - CONFIG_MAX_URLS + 1, u.host);
	else if (ld->set_on[K_URL])
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
	int c;

	bool any = false;

	for (int i = 0; i < CHAIN__COUNT; i++)
		any |= ld->given[ca_pairs[i].cert] != 0;
	if (!any || ca_refused(ld) || refused(ld, K_MODELS) || refused(ld, K_IDENTITY))
		return; /* no CA at all is said by check_required() */
	c = config_chain_missing(ld->cfg, why, sizeof(why));
	if (c >= 0)
		fail(ld, ld->path,
		     "phones.%s: required key missing (%s; or give phones.ca_cert for every phone)",
		     scenario_keys[ca_pairs[c].cert].name, why);
}

/*
 * Each CA given, with its key, is read now, once, as the run will use it
 * (config_load_ca(): a PEM certificate, a PEM private key, and the
 * certificate's). The message names the key whose file is wrong.
 */
static void check_cas(struct load *ld)
{
	char why[1024];
	bool key_fault;

	for (int c = 0; c < CHAIN__COUNT; c++) {
		if (refused(ld, ca_pairs[c].cert) || refused(ld, ca_pairs[c].key))
			continue;
		if (!config_load_ca(ld->cfg, (enum ca_chain)c, why, sizeof(why), &key_fault))
			continue;
		enum key_id bad = key_fault ? ca_pairs[c].key : ca_pairs[c].cert;
		fail_at(ld, ld->set_on[bad], "%s.%s: %s", scenario_keys[bad].section,
			scenario_keys[bad].name, why);
	}
}

/* Events complete, anchors resolve, windows of expectations name events. */
static void check_timeline(struct load *ld)
{
	char where[WHERE_MAX], why[512];
	int from = 0;

	for (int i = 0; i < ld->tl->n_ev; i++)
		if (event_check(ld->tl, i, why, sizeof(why), &from))
			fail_at(ld, from, "%s", why);
	for (int i = 0; i < ld->tl->n_ex; i++) {
		const struct expect *e = &ld->tl->ex[i];
		const char *points[2] = {e->from, e->to};

		for (int k = 0; k < 2; k++) {
			if (!points[k][0] || !strcmp(points[k], "start") ||
			    !strcmp(points[k], "end") || event_find(ld->tl, points[k]))
				continue;
			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->tl->ex_line[i]);
			fail(ld, where, "expect: during %s..%s: no event called \"%s\"", e->from,
			     e->to, points[k]);
			break;
		}
	}
}

/*
 * traffic.path = direct: calls straight to a reflector, a measurement of the
 * tool alone; nothing that needs a tunnel or a peer behind one.
 */
static void check_direct(struct load *ld)
{
	const struct swarm_config *cfg = ld->cfg;
	int at = ld->set_on[K_PATH];

	if (!cfg->voice_direct)
		return;
	if (cfg->calls <= 0)
		fail_at(ld, at, "traffic.path: direct measures calls: give traffic.calls above 0");
	if (cfg->voice_p2p)
		fail_at(ld, at,
			"traffic.path: direct sends to a reflector: give traffic.target as "
			"ADDR:PORT (phone to phone goes through the headend's tunnels)");
	if (cfg->fetch_config != FETCH_NEVER)
		fail_at(ld, at,
			"traffic.path: direct has no tunnel to fetch a config through: "
			"phones.fetch_config must be never");
	for (int i = 0; i < ld->tl->n_ev; i++) {
		const struct event_spec *e = &ld->tl->ev[i];

		if (e->action == EV_RESET || e->action == EV_FETCH || e->action == EV_TRUST ||
		    e->action == EV_CUT)
			fail_at(ld, at,
				"traffic.path: direct has no tunnel for event.%s (action = %s) "
				"to act on",
				e->name, event_action_name(e->action));
	}
}

/* ==== What was taken, as text ==== */

static char *dup_or(struct load *ld, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		out_of_memory(ld);
	return d;
}

static void add_setting(struct load *ld, struct scenario_settings *out, const char *section,
			const char *key, const char *value, int from, bool is_default)
{
	struct run_setting *s = &out->v[out->n];
	char where[WHERE_MAX];

	if (is_default)
		snprintf(where, sizeof(where), "default");
	else if (from < 0)
		snprintf(where, sizeof(where), "-s");
	else
		origin(ld, from, where, sizeof(where));
	s->section = dup_or(ld, section);
	s->key = key ? dup_or(ld, key) : NULL;
	s->value = dup_or(ld, value);
	s->from = dup_or(ld, where);
	out->n++;
}

/*
 * The settings the run takes, in the order a scenario file would hold
 * them: the sections of the key table, each key given (or its default),
 * then each event's keys as given, then the [expect] lines.
 */
static void make_settings(struct load *ld, struct scenario_settings *out)
{
	int cap = K__COUNT + ld->n_ent + ld->tl->n_ex;

	out->v = calloc((size_t)cap, sizeof(*out->v));
	if (!out->v) {
		out_of_memory(ld);
		return;
	}
	for (int first = 0; first < K__COUNT; first++) {
		const char *section = scenario_keys[first].section;
		bool seen = false;

		for (int p = 0; p < first && !seen; p++)
			seen = !strcmp(scenario_keys[p].section, section);
		if (seen)
			continue; /* its keys are out already */
		for (int k = first; k < K__COUNT; k++) {
			const struct entry *e;

			if (strcmp(scenario_keys[k].section, section))
				continue;
			e = find_entry(ld, section, scenario_keys[k].name);
			if (e)
				add_setting(ld, out, section, e->name, e->value, e->from, false);
			else if (scenario_keys[k].def)
				add_setting(ld, out, section, scenario_keys[k].name,
					    scenario_keys[k].def, 0, true);
		}
	}
	/* each event's keys together, the events in the order they first appear */
	for (int i = 0; i < ld->n_ent; i++) {
		const char *section = ld->ent[i].section;
		bool seen = false;

		for (int p = 0; p < i && !seen; p++)
			seen = !strcmp(ld->ent[p].section, section);
		if (seen || strncmp(section, "event.", 6))
			continue;
		for (int k = i; k < ld->n_ent; k++)
			if (!strcmp(ld->ent[k].section, section))
				add_setting(ld, out, section, ld->ent[k].name, ld->ent[k].value,
					    ld->ent[k].from, false);
	}
	for (int i = 0; i < ld->tl->n_ex; i++)
		add_setting(ld, out, "expect", NULL, ld->tl->ex[i].text, ld->tl->ex_line[i], false);
}

void scenario_settings_free(struct scenario_settings *s)
{
	for (int i = 0; s->v && i < s->n; i++) {
		free((char *)s->v[i].section);
		free((char *)s->v[i].key);
		free((char *)s->v[i].value);
		free((char *)s->v[i].from);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* ==== Loading ==== */

void scenario_print_errors(FILE *f, const char *prefix, const char *err)
{
	for (const char *p = err, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(f, "%s%.*s\n", prefix, nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
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
	rc = scenario_load_run(path, overrides, n_overrides, cfg, tl, NULL, err, errlen);
	free(tl);
	return rc;
}

int scenario_load_run(const char *path, const char *const *overrides, int n_overrides,
		      struct swarm_config *cfg, struct timeline_spec *tl,
		      struct scenario_settings *settings, char *err, size_t errlen)
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
	if (settings)
		memset(settings, 0, sizeof(*settings));
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
	for (int i = 0; i < n_overrides && !ld.no_memory; i++)
		take_override(&ld, i);
	for (int i = 0; i < ld.n_ent && !ld.no_memory; i++)
		apply(&ld, &ld.ent[i]);
	if (!ld.no_memory) {
		check_required(&ld);
		check_timeline(&ld);
		check_direct(&ld);
		/* the URLs are known unless their key or file was refused */
		if ((cfg->cnf ? apply_cnf(&ld) : !refused(&ld, K_CNF)) && cfg->url)
			check_dns(&ld);
		if (cfg->auth == AUTH_CERTIFICATE && !refused(&ld, K_AUTH)) {
			check_chains(&ld);
			check_cas(&ld);
		}
	}
	if (!ld.n_err && settings)
		make_settings(&ld, settings);
	for (int i = 0; i < ld.n_ent; i++) {
		free(ld.ent[i].section);
		free(ld.ent[i].name);
		free(ld.ent[i].value);
	}
	free(ld.ent);
	if (ld.n_err) {
		if (settings)
			scenario_settings_free(settings);
		config_free(cfg);
		return -1;
	}
	return 0;
}
