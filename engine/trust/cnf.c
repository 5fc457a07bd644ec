/*
 * engine/trust/cnf.c - read <vpnGroup> from a phone config file (cnf.h).
 *
 * The file is small and machine-written by the call manager: a scan for the
 * few elements we need, inside <vpnGroup>, is enough; anything else in the
 * file (there is a lot) is skipped.
 */
#include "engine/trust/cnf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/trust/certhash.h"

/* The text of <name>...</name> within [from, end): pointer and length, or NULL. */
static const char *element(const char *from, const char *end, const char *name, size_t *len)
{
	char open[64], close[64];
	size_t ol = (size_t)snprintf(open, sizeof(open), "<%s>", name);
	size_t cl = (size_t)snprintf(close, sizeof(close), "</%s>", name);

	for (const char *p = from; p + ol <= end; p++) {
		if (memcmp(p, open, ol))
			continue;
		const char *v = p + ol;
		for (const char *q = v; q + cl <= end; q++)
			if (!memcmp(q, close, cl)) {
				*len = (size_t)(q - v);
				return v;
			}
		return NULL;
	}
	return NULL;
}

/*
 * Copy text with XML's five entities undone and surrounding blanks trimmed.
 * 0; or -1 when it does not fit in cap bytes, out then holding what did
 * (always NUL-terminated).
 */
static int unescape(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t o = 0;

	while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n;) {
		char c = s[i];
		size_t adv = 1;

		if (c == '&')
			for (unsigned k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t l = strlen(ents[k].ent);
				if (n - i >= l && !memcmp(s + i, ents[k].ent, l)) {
					c = ents[k].c;
					adv = l;
					break;
				}
			}
		if (o + 1 >= cap) {
			out[o] = 0;
			return -1;
		}
		out[o++] = c;
		i += adv;
	}
	out[o] = 0;
	return 0;
}

int cnf_parse(const char *doc, size_t len, struct phone_cnf *out, char *why, size_t whylen)
{
	const char *end = doc + len, *g, *v;
	size_t glen, vlen;
	char name[32], text[CNF_URL_MAX];

	memset(out, 0, sizeof(*out));
	g = element(doc, end, "vpnGroup", &glen);
	if (!g) {
		snprintf(why, whylen, "no <vpnGroup> element");
		return -1;
	}
	end = g + glen;
	for (int i = 1; i <= CNF_MAX_URLS; i++) {
		snprintf(name, sizeof(name), "url%d", i);
		v = element(g, end, name, &vlen);
		if (!v)
			break;
		if (unescape(v, vlen, out->urls[out->n_urls], CNF_URL_MAX) ||
		    !out->urls[out->n_urls][0]) {
			snprintf(why, whylen, "%s: empty or too long", name);
			return -1;
		}
		out->n_urls++;
	}
	if (!out->n_urls) {
		snprintf(why, whylen, "<vpnGroup> has no <url1>");
		return -1;
	}
	v = element(g, end, "hashAlg", &vlen);
	if (v && unescape(v, vlen, text, sizeof(text))) {
		snprintf(why, whylen, "hashAlg: longer than %zu characters", sizeof(text) - 1);
		return -1;
	}
	if (v && strcmp(text, "0")) {
		snprintf(why, whylen, "hashAlg %s is not supported (0, SHA-1, is what phones use)",
			 text);
		return -1;
	}
	for (int i = 1; i <= CNF_MAX_HASHES; i++) {
		snprintf(name, sizeof(name), "certHash%d", i);
		v = element(g, end, name, &vlen);
		if (!v)
			continue; /* certHash numbering may have gaps */
		if (unescape(v, vlen, text, sizeof(text))) {
			snprintf(why, whylen, "%s: longer than %zu characters", name, sizeof(text) - 1);
			return -1;
		}
		if (certhash_parse(text, out->hashes[out->n_hashes])) {
			snprintf(why, whylen, "%s: \"%s\" is not a SHA-1 hash (Base64 or hex)", name,
				 text);
			return -1;
		}
		out->n_hashes++;
	}
	if (!out->n_hashes) {
		snprintf(why, whylen, "<vpnGroup> has no <certHash1>: the phone would trust nothing");
		return -1;
	}
	v = element(g, end, "enableHostIDCheck", &vlen);
	if (v && !unescape(v, vlen, text, sizeof(text)))
		out->host_id_check = !strcmp(text, "1") || !strcasecmp(text, "true");
	return 0;
}

int cnf_load(const char *path, struct phone_cnf *out, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	char *doc;
	long n;
	int r;

	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1 << 22) || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		snprintf(why, whylen, "%s: unreadable or larger than 4 MiB", path);
		return -1;
	}
	doc = malloc((size_t)n + 1);
	if (!doc || fread(doc, 1, (size_t)n, f) != (size_t)n) {
		free(doc);
		fclose(f);
		snprintf(why, whylen, "%s: read error", path);
		return -1;
	}
	fclose(f);
	char inner[256];
	r = cnf_parse(doc, (size_t)n, out, inner, sizeof(inner));
	if (r)
		snprintf(why, whylen, "%s: %s", path, inner);
	free(doc);
	return r;
}
