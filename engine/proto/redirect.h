/*
 * engine/proto/redirect.h - following a headend's redirect, safely.
 *
 * An ASA load-balancing cluster answers the first request made to the
 * cluster's address with "302 Temporary moved" and the Location of its
 * least loaded member. redirect_follow() turns a Location into the next
 * URL (absolute, host-relative or path-relative, resolved against the URL
 * that was asked) and keeps the trail of URLs already visited, so that a
 * chain ends: https only, at most REDIRECT_MAX_HOPS hops, never back to a
 * URL already seen. Pure functions on struct url: no I/O, no allocation.
 */
#ifndef ENGINE_REDIRECT_H
#define ENGINE_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/proto/url.h"

#define REDIRECT_MAX_HOPS 3 /* redirects followed for one login */

/* The URLs one login has visited, as hashes (host case-folded, port, path). */
struct redirect_trail {
	uint8_t hops;				  /* redirects followed so far */
	uint64_t seen[REDIRECT_MAX_HOPS + 1]; /* the first URL, then each hop's */
};

/* A new trail starting at first. */
void redirect_start(struct redirect_trail *t, const struct url *first);

/* Is status a redirect to follow: 301, 302, 303, 307 or 308. */
bool redirect_status(int status);

/*
 * The URL that Location loc[0..len) (not NUL-terminated, blanks around it
 * allowed) points to from cur, into *next, recorded in the trail. A
 * fragment ("#...") is dropped; "//host/path" takes cur's scheme (https);
 * "/path" keeps cur's host and port; anything else without a scheme is
 * relative to cur's path, "." and ".." segments resolved.
 *
 * Returns 0; -EPROTONOSUPPORT for another scheme than https ("http://...",
 * refused as openconnect refuses it); -EINVAL for an empty Location or one
 * that is no valid URL (url_parse's rules); -EMLINK when the trail already
 * holds REDIRECT_MAX_HOPS hops; -ELOOP when next is a URL the trail has
 * visited. *next is undefined on error.
 */
int redirect_follow(struct redirect_trail *t, const struct url *cur, const char *loc, size_t len,
		    struct url *next);

/* Same host (compared case-insensitively) and port: the connection may stay. */
bool redirect_same_server(const struct url *a, const struct url *b);

/* What an error of redirect_follow() means, for a failure detail. */
const char *redirect_strerror(int err);

#endif
