/*
 * engine/proto/url.c - the headend URL of a phone's VPN profile.
 *
 * Deliberately narrow: what a phone config can hold and ocserv or an ASA
 * can serve, nothing of RFC 3986 beyond that. Anything unexpected is
 * refused so that a typo in a scenario fails at start-up, not at run time.
 */
#include "engine/proto/url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* Printable ASCII other than space; '#' starts a fragment, refused. */
static bool is_path_char(char c)
{
	return c > ' ' && c < 0x7f && c != '#';
}

int url_parse(const char *url, struct url *out)
{
	const char *p = url, *h;
	size_t n;

	if (strncasecmp(p, "https://", 8) != 0)
		return -EINVAL;
	p += 8;

	h = p;
	while (is_host_char(*p))
		p++;
	n = (size_t)(p - h);
	if (n == 0 || n > URL_MAX_HOST)
		return -EINVAL;
	memcpy(out->host, h, n);
	out->host[n] = '\0';

	out->port = 443;
	if (*p == ':') {
		unsigned long port = 0;

		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			port = port * 10 + (unsigned long)(*p++ - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (port == 0)
			return -EINVAL;
		out->port = (uint16_t)port;
	}

	if (*p == '\0') {
		strcpy(out->path, "/");
		return 0;
	}
	if (*p != '/')
		return -EINVAL;
	n = strlen(p);
	if (n > URL_MAX_PATH)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!is_path_char(p[i]))
			return -EINVAL;
	memcpy(out->path, p, n + 1);
	return 0;
}

bool url_host_is_ipv4(const struct url *u)
{
	struct in_addr a;

	return inet_pton(AF_INET, u->host, &a) == 1;
}
