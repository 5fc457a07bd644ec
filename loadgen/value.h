/*
 * loadgen/value.h - parsers for the values of scenario keys.
 *
 * Pure functions: each reads one string and, on success, writes its result
 * and returns 0; on a malformed or out-of-range value it returns -EINVAL and
 * leaves the output untouched. They do not trim: the INI reader already
 * strips spaces around a value, and value_list_next() strips them around
 * list items. The syntax is documented for users in scenarios/README.md.
 */
#ifndef LOADGEN_VALUE_H
#define LOADGEN_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"

/* Most addresses value_ipv4_set() will return (a /12 worth). */
#define VALUE_MAX_ADDRS 1048576u

/*
 * A duration in microseconds: a non-negative decimal number with an
 * optional unit, "us", "ms", "s", "m", "h" or "d" (lower case; spaces before
 * the unit allowed); a bare number is seconds. "1.5s" is 1500000; fractions
 * finer than a microsecond are dropped. Rejects signs, junk and overflow.
 */
int value_duration(const char *s, uint64_t *us);

/* A share of a whole: "30%" or "0.3", 0 to 1 inclusive, into *frac. */
int value_share(const char *s, double *frac);

/* A whole decimal number (digits only, no sign) between min and max inclusive. */
int value_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A finite decimal number ("-1", "2.5", "1e3"; not "inf", "nan" or hex)
 * between min and max inclusive.
 */
int value_double(const char *s, double min, double max, double *out);

/* true/false, yes/no, on/off, 1/0, any case. */
int value_bool(const char *s, bool *out);

/*
 * Iterate over a comma-separated list. Copies the next item of *cursor,
 * without the spaces and tabs around it, into item (itemlen bytes with the
 * NUL) and advances *cursor past it; *cursor is set to NULL after the last
 * item. Returns 1 when an item was copied, 0 when *cursor is NULL (the list
 * is exhausted), -EINVAL when the item is empty ("", "a,,b", "a,") or does
 * not fit in item. Typical use:
 *	const char *cur = s;
 *	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) ...
 */
int value_list_next(const char **cursor, char *item, size_t itemlen);

/*
 * A phone model mix, "8861:60,7962:40". A model is 3 to 5 digits; its share
 * is a weight ("60", "0.6") or a percentage ("60%"); the shares are
 * normalised to sum 1. Percentages must sum to 100 and cannot be mixed
 * with weights. "8861" alone is the whole fleet; models given without any
 * share split the fleet equally. Rejects an empty list, a duplicate model,
 * more than max models and a zero total. Writes out[0..*n-1].
 */
int value_models(const char *s, struct model_share *out, int max, int *n);

/*
 * A set of IPv4 addresses: a comma-separated list of single addresses,
 * ranges "198.18.64.1-198.18.64.254" and CIDR blocks "198.18.64.0/18"
 * (without their network and broadcast addresses when the prefix is
 * shorter than /31; the host bits must be zero). At most VALUE_MAX_ADDRS
 * in all. On success *addrs is a malloc'ed array, owned by the caller, of
 * *n addresses in network byte order, in the order given. -ENOMEM when
 * the array cannot be allocated.
 */
int value_ipv4_set(const char *s, uint32_t **addrs, uint32_t *n);

/*
 * A MAC address, "00:11:22:33:44:55", "00-11-22-33-44-55", "001122334455"
 * or "0011.2233.4455", any case, into the low 48 bits of *mac.
 */
int value_mac(const char *s, uint64_t *mac);

/*
 * A list of SHA-1 certificate hashes, as a phone's certHash1..10: each is
 * Base64 (28 characters with its "=", or 27 without) or hex (40 digits,
 * or 20 colon-separated pairs). A value "@PATH" reads them from that file
 * instead, one per line or comma-separated; blank lines and lines starting
 * with '#' are skipped. At most max hashes (max itself is capped at
 * CONFIG_MAX_HASHES); writes out[0..*n-1]. Returns
 * -errno when the file cannot be read, -EINVAL for anything malformed.
 */
int value_cert_hashes(const char *s, uint8_t out[][20], int max, int *n);

/*
 * A mix of named kinds: "mic", or "mic:70%,lsc:30%" (shares as value_share
 * reads them, summing to 1). shares[i] is set for words[i] (0 when absent).
 * 0 or -EINVAL (unknown word, duplicate, bad share, sum not 1).
 */
int value_mix(const char *s, const char *const *words, int n_words, double *shares);

#endif
