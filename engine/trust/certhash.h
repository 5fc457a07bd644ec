/*
 * engine/trust/certhash.h - certificate hashes as a Cisco phone pins them.
 *
 * A phone's VPN profile holds up to ten <certHashN> values: with
 * hashAlg 0, the SHA-1 of the whole DER server certificate in Base64 (28
 * characters). OpenConnect's bare-hex --servercert and ocserv's "sh:" in
 * the webvpnc cookie are the same digest in hex. This module computes,
 * prints, parses and compares those digests. No allocation, no globals.
 */
#ifndef ENGINE_CERTHASH_H
#define ENGINE_CERTHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define CERTHASH_SHA1_LEN   20
#define CERTHASH_SHA256_LEN 32
#define CERTHASH_B64_LEN    28 /* characters, without the NUL */

/* SHA-1 of der[0..len). Returns 0, or -EIO if OpenSSL fails. */
int certhash_sha1(const unsigned char *der, size_t len, uint8_t out[CERTHASH_SHA1_LEN]);

/* SHA-1 / SHA-256 of the whole DER encoding of cert. 0 or -EIO. */
int certhash_sha1_x509(X509 *cert, uint8_t out[CERTHASH_SHA1_LEN]);
int certhash_sha256_x509(X509 *cert, uint8_t out[CERTHASH_SHA256_LEN]);

/* Standard Base64 with padding: 28 characters and a NUL into out. */
void certhash_b64(const uint8_t sha1[CERTHASH_SHA1_LEN], char out[CERTHASH_B64_LEN + 1]);

/*
 * d[0..n) as uppercase hex, NUL-terminated, into out: 2n + 1 bytes, or
 * 3n bytes (n > 0) with colons ("D5:E0:..."). Returns the string length.
 */
size_t certhash_hex(const uint8_t *d, size_t n, char *out, bool colons);

/*
 * Parse a SHA-1 pin in any of the forms a tester meets: 28-character
 * Base64 (the phone's form, case-sensitive), 40 hex digits, or 20 colon-
 * separated hex pairs as "openssl x509 -fingerprint" prints them, with or
 * without its "SHA1 Fingerprint=" prefix. Hex is case-insensitive;
 * surrounding blanks are ignored. Returns 0, or -EINVAL.
 */
int certhash_parse(const char *text, uint8_t out[CERTHASH_SHA1_LEN]);

/* True when h equals one of list[0..n). */
bool certhash_in_list(const uint8_t h[CERTHASH_SHA1_LEN], const uint8_t (*list)[CERTHASH_SHA1_LEN],
		      int n);

#endif
