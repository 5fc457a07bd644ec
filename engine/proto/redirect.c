/*
 * engine/proto/redirect.c - following a headend's redirect, safely (redirect.h).
 *
 * A Location is resolved as text into "https://host[:port]/path" and then
 * read back by url_parse(), so that a redirect target obeys exactly the
 * rules a URL of the scenario does. The trail keeps a 64-bit hash (FNV-1a)
 * per URL visited rather than the URLs: four hashes cost 32 bytes where
 * four struct url would cost 5 KiB.
 */
#include "engine/proto/redirect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(REDIRECT_MAX_HOPS == 3, "redirect_strerror() says 3");

static uint64_t fnv(uint64_t h, const char *s, size_t n, bool fold)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 'a' - 'A');
		h = (h ^ c) * 0x100000001b3ull;
	}
	return h;
}

static uint64_t url_hash(const struct url *u)
{
	char port[8];
	uint64_t h = 0xcbf29ce484222325ull;

	snprintf(port, sizeof(port), ":%u", u->port);
	h = fnv(h, u->host, strlen(u->host), true);
	h = fnv(h, port, strlen(port), false);
	return fnv(h, u->path, strlen(u->path), false);
}

void redirect_start(struct redirect_trail *t, const struct url *first)
{
	t->hops = 0;
	memset(t->seen, 0, sizeof(t->seen));
	t->seen[0] = url_hash(first);
}

bool redirect_status(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool redirect_same_server(const struct url *a, const struct url *b)
{
	return a->port == b->port && !strcasecmp(a->host, b->host);
}

/* A scheme: a letter, then letters, digits, '+', '-', '.', then ':'. Its length, or 0. */
static size_t scheme_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (c == ':')
			return i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

/*
 * Remove "." and ".." segments from the path part of p (up to a '?'), in
 * place, as RFC 3986 5.2.4 does; p starts with '/'.
 */
static void remove_dots(char *p)
{
	char *q = strchr(p, '?');
	char query[URL_MAX_PATH + 1] = "";
	char out[URL_MAX_PATH + 1];
	size_t o = 0;
	const char *s = p;

	if (q) {
		snprintf(query, sizeof(query), "%s", q);
		*q = '\0';
	}
	while (*s) {
		/* s is at a '/': the segment runs to the next '/' or the end */
		const char *seg = s + 1, *e = strchr(seg, '/');
		size_t n = e ? (size_t)(e - seg) : strlen(seg);

		if (n == 1 && seg[0] == '.') {
			if (!e)
				out[o++] = '/';
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			if (!e)
				out[o++] = '/';
		} else {
			out[o++] = '/';
			memcpy(out + o, seg, n);
			o += n;
		}
		s = seg + n;
	}
	if (o == 0)
		out[o++] = '/';
	/* never longer than p was: dot segments only ever shorten a path */
	size_t ql = strlen(query);

	if (o + ql > URL_MAX_PATH)
		ql = URL_MAX_PATH - o;
	memcpy(p, out, o);
	memcpy(p + o, query, ql);
	p[o + ql] = '\0';
}

int redirect_follow(struct redirect_trail *t, const struct url *cur, const char *loc, size_t len,
		    struct url *next)
{
	char text[8 + URL_MAX_HOST + 7 + URL_MAX_PATH + 2];
	char path[URL_MAX_PATH + 1];
	const char *hash;
	size_t sl;
	int n;

	while (len && (loc[0] == ' ' || loc[0] == '\t'))
		loc++, len--;
	while (len && (loc[len - 1] == ' ' || loc[len - 1] == '\t'))
		len--;
	hash = memchr(loc, '#', len);
	if (hash)
		len = (size_t)(hash - loc);
	if (len == 0 || memchr(loc, '\0', len))
		return -EINVAL;
	if (t->hops >= REDIRECT_MAX_HOPS)
		return -EMLINK;

	sl = scheme_len(loc, len);
	if (sl) {
		if (sl != 5 || strncasecmp(loc, "https", 5) || len < 8 || memcmp(loc + 5, "://", 3))
			return -EPROTONOSUPPORT;
		n = snprintf(text, sizeof(text), "%.*s", (int)len, loc);
	} else if (len >= 2 && loc[0] == '/' && loc[1] == '/') {
		n = snprintf(text, sizeof(text), "https:%.*s", (int)len, loc);
	} else {
		if (loc[0] == '/') {
			if (len > URL_MAX_PATH)
				return -EINVAL;
			snprintf(path, sizeof(path), "%.*s", (int)len, loc);
		} else {
			/* relative to the directory of cur's path (before any query) */
			size_t q = strcspn(cur->path, "?");
			const char *slash = memrchr(cur->path, '/', q);
			size_t dir = slash ? (size_t)(slash - cur->path) + 1 : 1;

			if (dir + len > URL_MAX_PATH)
				return -EINVAL;
			snprintf(path, sizeof(path), "%.*s%.*s", (int)dir, cur->path, (int)len, loc);
		}
		remove_dots(path);
		if (cur->port == 443)
			n = snprintf(text, sizeof(text), "https://%s%s", cur->host, path);
		else
			n = snprintf(text, sizeof(text), "https://%s:%u%s", cur->host, cur->port,
				     path);
	}
	if (n < 0 || (size_t)n >= sizeof(text) || url_parse(text, next))
		return -EINVAL;
	if (next->path[0] == '/' && strstr(next->path, "/."))
		remove_dots(next->path);

	uint64_t h = url_hash(next);

	for (int i = 0; i <= t->hops; i++)
		if (t->seen[i] == h)
			return -ELOOP;
	t->seen[++t->hops] = h;
	return 0;
}

const char *redirect_strerror(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT:
		return "redirect to a URL that is not https";
	case -EMLINK:
		return "more than 3 redirects";
	case -ELOOP:
		return "redirect loop: back to a URL already visited";
	case -EINVAL:
		return "redirect without a usable Location";
	default:
		return "redirect refused";
	}
}
