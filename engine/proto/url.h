/*
 * engine/proto/url.h - the headend URL of a phone's VPN profile.
 *
 * A phone's <url1> is "https://host[:port][/path]". url_parse() splits it
 * into fixed buffers inside struct url so nothing is allocated or
 * borrowed. Only https is accepted; IPv6 literals, user info and
 * fragments are refused.
 */
#ifndef ENGINE_URL_H
#define ENGINE_URL_H

#include <stdbool.h>
#include <stdint.h>

#define URL_MAX_HOST 253  /* bytes, as a DNS name */
#define URL_MAX_PATH 1023 /* bytes, query string included */

struct url {
	char host[URL_MAX_HOST + 1]; /* NUL-terminated, as written in the URL */
	uint16_t port;		     /* 1..65535; 443 when absent */
	char path[URL_MAX_PATH + 1]; /* starts with '/'; "/" when absent */
};

/*
 * Split url into *out. The scheme is matched case-insensitively; the host
 * is a DNS name or an IPv4 literal (letters, digits, '-', '.', '_'); the
 * path runs to the end and may hold a query ("?...") but no blanks or
 * control characters.
 *
 * Returns 0, or -EINVAL for another scheme, an empty or over-long host, a
 * bad port (empty, not decimal, 0 or above 65535), an over-long path, or
 * characters not allowed where they stand. *out is undefined on error.
 */
int url_parse(const char *url, struct url *out);

/* True when u->host is a dotted-quad IPv4 literal ("192.0.2.1"). */
bool url_host_is_ipv4(const struct url *u);

#endif
