/*
 * engine/trust/certhash.c - certificate hashes as a Cisco phone pins them.
 *
 * Base64 and hex are done here rather than with OpenSSL's BIO chains so
 * that printing and parsing a pin never allocates and never depends on
 * OpenSSL's line-wrapping rules.
 */
#include "engine/trust/certhash.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "engine/proto/text.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ==== Digests ==== */

int certhash_sha1(const unsigned char *der, size_t len, uint8_t out[CERTHASH_SHA1_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(der, len, out, &n, EVP_sha1(), NULL) || n != CERTHASH_SHA1_LEN)
		return -EIO;
	return 0;
}

int certhash_sha1_x509(X509 *cert, uint8_t out[CERTHASH_SHA1_LEN])
{
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha1(), out, &n) || n != CERTHASH_SHA1_LEN)
		return -EIO;
	return 0;
}

int certhash_sha256_x509(X509 *cert, uint8_t out[CERTHASH_SHA256_LEN])
{
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), out, &n) || n != CERTHASH_SHA256_LEN)
		return -EIO;
	return 0;
}

/* ==== Printing ==== */

void certhash_b64(const uint8_t sha1[CERTHASH_SHA1_LEN], char out[CERTHASH_B64_LEN + 1])
{
	char *o = out;
	uint32_t v;

	for (size_t i = 0; i + 3 <= CERTHASH_SHA1_LEN; i += 3) {
		v = (uint32_t)sha1[i] << 16 | (uint32_t)sha1[i + 1] << 8 | sha1[i + 2];
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	/* 20 = 6 * 3 + 2: two bytes left, one '=' of padding. */
	v = (uint32_t)sha1[18] << 16 | (uint32_t)sha1[19] << 8;
	*o++ = b64_alphabet[v >> 18];
	*o++ = b64_alphabet[(v >> 12) & 63];
	*o++ = b64_alphabet[(v >> 6) & 63];
	*o++ = '=';
	*o = '\0';
}

size_t certhash_hex(const uint8_t *d, size_t n, char *out, bool colons)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = out;

	for (size_t i = 0; i < n; i++) {
		if (colons && i > 0)
			*o++ = ':';
		*o++ = hex[d[i] >> 4];
		*o++ = hex[d[i] & 15];
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* ==== Parsing ==== */

static int b64_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64_alphabet, c);
	return p ? (int)(p - b64_alphabet) : -1;
}

/* 27 Base64 characters and one '='; the unused low bits must be zero. */
static int parse_b64(const char *s, uint8_t out[CERTHASH_SHA1_LEN])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (s[27] != '=')
		return -EINVAL;
	for (int i = 0; i < 27; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o != CERTHASH_SHA1_LEN || (acc & ((1u << bits) - 1)) != 0)
		return -EINVAL;
	return 0;
}

/* 40 hex digits, or 20 pairs separated by single colons. */
static int parse_hex(const char *s, size_t n, uint8_t out[CERTHASH_SHA1_LEN])
{
	size_t step;

	if (n == 2 * CERTHASH_SHA1_LEN)
		step = 2;
	else if (n == 3 * CERTHASH_SHA1_LEN - 1)
		step = 3;
	else
		return -EINVAL;
	for (size_t i = 0; i < CERTHASH_SHA1_LEN; i++) {
		const char *p = s + i * step;
		int hi = text_hex_digit(p[0]), lo = text_hex_digit(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (step == 3 && i + 1 < CERTHASH_SHA1_LEN && p[2] != ':')
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int certhash_parse(const char *text, uint8_t out[CERTHASH_SHA1_LEN])
{
	static const char fp[] = "SHA1 Fingerprint=";
	const char *s = text;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, fp, sizeof(fp) - 1) == 0)
		s += sizeof(fp) - 1;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n == CERTHASH_B64_LEN)
		return parse_b64(s, out);
	if (n == CERTHASH_B64_LEN - 1) {
		/* Base64 without its padding '=', as some tools print it */
		char padded[CERTHASH_B64_LEN + 1];

		memcpy(padded, s, n);
		padded[n] = '=';
		padded[n + 1] = 0;
		return parse_b64(padded, out);
	}
	return parse_hex(s, n, out);
}

bool certhash_in_list(const uint8_t h[CERTHASH_SHA1_LEN], const uint8_t (*list)[CERTHASH_SHA1_LEN],
		      int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(h, list[i], CERTHASH_SHA1_LEN) == 0)
			return true;
	return false;
}
