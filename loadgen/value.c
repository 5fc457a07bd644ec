/*
 * loadgen/value.c - parsers for the values of scenario keys.
 *
 * Every scenario value goes through one of these before it reaches
 * struct swarm_config, so this is where "20s", "30%", "8861:60,7962:40" or
 * "198.18.64.0/18" get their one meaning. The parsers are strict on
 * purpose: a value that is almost right ("5 mins", "60%,30%", an address
 * with host bits after its prefix) is refused, because the user gets a
 * precise error naming the key, whereas a guess would quietly run a
 * different load test from the one intended.
 *
 * Nothing here allocates except value_ipv4_set() (its result) and the
 * temporary buffers of value_models() and value_cert_hashes().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loadgen/value.h"

#include "engine/trust/certhash.h"
#include "engine/proto/text.h"

/* ==== Numbers ==== */

/*
 * Strict unsigned decimal "123" or "12.5" (no sign, no exponent) of len
 * bytes at s, converted by strtod. Used for shares, where anything fancier
 * would only hide a typo.
 */
static int parse_plain_decimal(const char *s, size_t len, double *out)
{
	char buf[64];
	size_t i = 0;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0)
		return -EINVAL;
	if (i < len && s[i] == '.') {
		size_t start = ++i;

		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	return 0;
}

int value_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
	}
	if (*p != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * The syntax is checked by hand before strtod() sees the string, because
 * strtod() also takes "inf", "nan", "0x1p3" and leading spaces.
 */
int value_double(const char *s, double min, double max, double *out)
{
	const char *p = s;
	size_t digits = 0;
	double v;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.') {
		size_t frac = 0;

		for (p++; isdigit((unsigned char)*p); p++)
			frac++;
		if (frac == 0)
			return -EINVAL;
		digits += frac;
	}
	if (digits == 0)
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int value_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* ==== Durations and shares ==== */

/*
 * Exact arithmetic: the integer part and up to 12 fraction digits are kept
 * as integers and scaled in 128 bits, so "0.1s" is exactly 100000 us and
 * not 99999 as a double would make it.
 */
int value_duration(const char *s, uint64_t *us)
{
	static const struct {
		const char *name;
		uint64_t us;
	} units[] = {
	    {"", 1000000ULL},	{"us", 1ULL},	      {"ms", 1000ULL},	     {"s", 1000000ULL},
	    {"m", 60000000ULL}, {"h", 3600000000ULL}, {"d", 86400000000ULL},
	};
	const char *p = s;
	uint64_t whole = 0, scale = 1, frac = 0;
	unsigned __int128 total;
	int nfrac = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (nfrac < 12) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
				nfrac++;
			}
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) != 0)
			continue;
		total = (unsigned __int128)whole * units[i].us +
			(unsigned __int128)frac * units[i].us / scale;
		if (total > UINT64_MAX)
			return -EINVAL;
		*us = (uint64_t)total;
		return 0;
	}
	return -EINVAL;
}

int value_share(const char *s, double *frac)
{
	size_t len = strlen(s);
	double v;

	if (len > 0 && s[len - 1] == '%') {
		if (parse_plain_decimal(s, len - 1, &v) < 0)
			return -EINVAL;
		v /= 100.0;
	} else if (parse_plain_decimal(s, len, &v) < 0) {
		return -EINVAL;
	}
	if (v > 1.0)
		return -EINVAL;
	*frac = v;
	return 0;
}

/* ==== Lists ==== */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int value_list_next(const char **cursor, char *item, size_t itemlen)
{
	const char *start = *cursor, *end, *comma;

	if (start == NULL)
		return 0;
	comma = strchr(start, ',');
	end = comma ? comma : start + strlen(start);
	while (start < end && is_blank(*start))
		start++;
	while (end > start && is_blank(end[-1]))
		end--;
	if (end == start || (size_t)(end - start) >= itemlen)
		return -EINVAL;
	memcpy(item, start, (size_t)(end - start));
	item[end - start] = '\0';
	*cursor = comma ? comma + 1 : NULL;
	return 1;
}

/* ==== Phone models ==== */

enum share_kind { SHARE_NONE, SHARE_WEIGHT, SHARE_PERCENT };

/*
 * One "MODEL[:SHARE]" item into *ms (share not yet normalised) and the kind
 * of share it carried.
 */
static int parse_model_item(const char *item, struct model_share *ms, enum share_kind *kind)
{
	const char *colon = strchr(item, ':');
	size_t namelen = colon ? (size_t)(colon - item) : strlen(item);
	double share = 1.0;

	if (namelen < 3 || namelen > 5)
		return -EINVAL;
	for (size_t i = 0; i < namelen; i++) {
		if (!isdigit((unsigned char)item[i]))
			return -EINVAL;
	}
	*kind = SHARE_NONE;
	if (colon) {
		const char *sh = colon + 1;
		size_t len = strlen(sh);

		if (len > 0 && sh[len - 1] == '%') {
			*kind = SHARE_PERCENT;
			len--;
		} else {
			*kind = SHARE_WEIGHT;
		}
		if (parse_plain_decimal(sh, len, &share) < 0)
			return -EINVAL;
	}
	memcpy(ms->model, item, namelen);
	ms->model[namelen] = '\0';
	ms->share = share;
	return 0;
}

int value_models(const char *s, struct model_share *out, int max, int *n)
{
	enum share_kind kind = SHARE_NONE, k;
	struct model_share *tmp;
	const char *cur = s;
	char item[64];
	double total = 0;
	int rc, count = 0;

	if (max <= 0)
		return -EINVAL;
	tmp = calloc((size_t)max, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (count == max || parse_model_item(item, &tmp[count], &k) < 0)
			goto out_invalid;
		/* All items carry the same kind of share, or none does. */
		if (count > 0 && k != kind)
			goto out_invalid;
		kind = k;
		for (int i = 0; i < count; i++) {
			if (strcmp(tmp[i].model, tmp[count].model) == 0)
				goto out_invalid;
		}
		total += tmp[count].share;
		count++;
	}
	if (rc < 0 || count == 0 || !(total > 0))
		goto out_invalid;
	if (kind == SHARE_PERCENT && fabs(total - 100.0) > 0.001)
		goto out_invalid;
	for (int i = 0; i < count; i++) {
		out[i] = tmp[i];
		out[i].share = tmp[i].share / total;
	}
	*n = count;
	free(tmp);
	return 0;

out_invalid:
	free(tmp);
	return -EINVAL;
}

/* ==== IPv4 address sets ==== */

static int parse_ipv4(const char *s, size_t len, uint32_t *host)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*host = ntohl(a.s_addr);
	return 0;
}

/*
 * One item of an address set: its first address (host order) and how many
 * consecutive addresses it holds.
 */
static int parse_ipv4_item(const char *item, uint32_t *first, uint64_t *count)
{
	const char *slash = strchr(item, '/'), *dash = strchr(item, '-');
	uint32_t a, b;

	if (slash) {
		uint64_t prefix;
		uint32_t mask;

		if (parse_ipv4(item, (size_t)(slash - item), &a) < 0 ||
		    value_uint(slash + 1, 0, 32, &prefix) < 0)
			return -EINVAL;
		mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
		if (a & ~mask)
			return -EINVAL;
		*count = 1ULL << (32 - prefix);
		*first = a;
		if (prefix < 31) {
			*first = a + 1;
			*count -= 2;
		}
		return 0;
	}
	if (dash) {
		if (parse_ipv4(item, (size_t)(dash - item), &a) < 0 ||
		    parse_ipv4(dash + 1, strlen(dash + 1), &b) < 0 || b < a)
			return -EINVAL;
		*first = a;
		*count = (uint64_t)b - a + 1;
		return 0;
	}
	if (parse_ipv4(item, strlen(item), &a) < 0)
		return -EINVAL;
	*first = a;
	*count = 1;
	return 0;
}

/*
 * Two passes over the list: the first checks every item and the total
 * against the cap before anything is allocated (so "0.0.0.0/0" costs
 * nothing), the second fills the array.
 */
int value_ipv4_set(const char *s, uint32_t **addrs, uint32_t *n)
{
	const char *cur = s;
	char item[64];
	uint64_t total = 0, count;
	uint32_t first, *a, k = 0;
	int rc;

	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (parse_ipv4_item(item, &first, &count) < 0)
			return -EINVAL;
		total += count;
		if (total > VALUE_MAX_ADDRS)
			return -EINVAL;
	}
	if (rc < 0 || total == 0)
		return -EINVAL;
	a = malloc(total * sizeof(*a));
	if (!a)
		return -ENOMEM;
	cur = s;
	while (value_list_next(&cur, item, sizeof(item)) > 0) {
		parse_ipv4_item(item, &first, &count);
		for (uint64_t i = 0; i < count; i++)
			a[k++] = htonl(first + (uint32_t)i);
	}
	*addrs = a;
	*n = k;
	return 0;
}

/* ==== MAC addresses ==== */

int value_mac(const char *s, uint64_t *mac)
{
	size_t len = strlen(s);
	uint64_t v = 0;
	char sep = 0;
	int every = 0; /* a separator after every `every` hex digits */
	int ndigits = 0;

	if (len == 17 && (s[2] == ':' || s[2] == '-')) {
		sep = s[2];
		every = 2;
	} else if (len == 14 && s[4] == '.') {
		sep = '.';
		every = 4;
	} else if (len != 12) {
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		int d;

		if (every && i % (size_t)(every + 1) == (size_t)every) {
			if (s[i] != sep)
				return -EINVAL;
			continue;
		}
		d = text_hex_digit(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
		ndigits++;
	}
	if (ndigits != 12)
		return -EINVAL;
	*mac = v;
	return 0;
}

/* ==== Certificate hashes ==== */


/*
 * 20 bytes from 27 Base64 digits (and an optional "="): 162 bits, of which
 * the last 2 must be zero, as an encoder writes them.
 */
/* Append the hashes of one comma-separated list to out[*n..max-1]. */
static int parse_hash_list(const char *s, uint8_t out[][20], int max, int *n)
{
	const char *cur = s;
	char item[80];
	int rc;

	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (*n == max || certhash_parse(item, out[*n]) < 0)
			return -EINVAL;
		(*n)++;
	}
	return rc;
}

/* The whole of a small file, NUL-terminated, into a malloc'ed buffer. */
static int read_small_file(const char *path, size_t limit, char **text)
{
	FILE *f = fopen(path, "r");
	size_t len;
	char *buf;
	int rc = 0;

	if (!f)
		return -errno;
	buf = malloc(limit + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	len = fread(buf, 1, limit + 1, f);
	if (ferror(f))
		rc = -EIO;
	else if (len > limit)
		rc = -EFBIG;
	if (rc < 0) {
		free(buf);
		goto out_close;
	}
	buf[len] = '\0';
	*text = buf;
out_close:
	fclose(f);
	return rc;
}

int value_cert_hashes(const char *s, uint8_t out[][20], int max, int *n)
{
	uint8_t tmp[CONFIG_MAX_HASHES][20];
	char *text = NULL, *line, *next;
	int rc, count = 0;

	if (max > CONFIG_MAX_HASHES)
		max = CONFIG_MAX_HASHES;
	if (s[0] != '@') {
		rc = parse_hash_list(s, tmp, max, &count);
		goto out;
	}
	rc = read_small_file(s + 1, 64 * 1024, &text);
	if (rc < 0)
		return rc;
	for (line = text; line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		while (is_blank(*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		rc = parse_hash_list(line, tmp, max, &count);
		if (rc < 0)
			break;
	}
	free(text);
out:
	if (rc < 0 || count == 0)
		return -EINVAL;
	memcpy(out, tmp, (size_t)count * 20);
	*n = count;
	return 0;
}

int value_mix(const char *s, const char *const *words, int n_words, double *shares)
{
	const char *cur = s;
	char item[64];
	bool seen[16] = {false};
	double sum = 0;
	int rc, n = 0;

	if (n_words > 16)
		return -EINVAL;
	for (int i = 0; i < n_words; i++)
		shares[i] = 0;
	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		char *colon = strchr(item, ':');
		double share = 1;
		int k;

		if (colon) {
			*colon = 0;
			if (value_share(colon + 1, &share))
				return -EINVAL;
		}
		for (k = 0; k < n_words; k++)
			if (!strcasecmp(item, words[k]))
				break;
		if (k == n_words || seen[k])
			return -EINVAL;
		seen[k] = true;
		shares[k] = share;
		sum += share;
		n++;
	}
	if (rc < 0 || n == 0)
		return -EINVAL;
	if (n == 1 && !strchr(s, ':'))
		return 0;
	return fabs(sum - 1.0) < 1e-6 ? 0 : -EINVAL;
}
