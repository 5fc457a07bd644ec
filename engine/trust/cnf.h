/*
 * engine/trust/cnf.h - the VPN part of a phone's config file (SEP<MAC>.cnf.xml).
 *
 * A call manager gives each phone its VPN settings in <vpnGroup>: the
 * headend URLs (url1..urlN, tried in order), the SHA-1 hashes of the
 * headend certificates it trusts (certHash1..certHash10, Base64, hashAlg 0)
 * and whether the URL's host must match the certificate (enableHostIDCheck).
 * This reads exactly that, from a whole file or an in-memory document.
 */
#ifndef ENGINE_CNF_H
#define ENGINE_CNF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CNF_MAX_URLS 4
#define CNF_MAX_HASHES 10
#define CNF_URL_MAX 512

struct phone_cnf {
	char urls[CNF_MAX_URLS][CNF_URL_MAX]; /* url1.. in order, unescaped */
	int n_urls;
	uint8_t hashes[CNF_MAX_HASHES][20]; /* certHash1.. decoded */
	int n_hashes;
	int hash_alg;       /* <hashAlg>: 0 = SHA-1 of the whole DER certificate */
	bool host_id_check; /* <enableHostIDCheck> is 1 or true */
};

/*
 * Parse doc[0..len). 0, or -1 with why set ("no <vpnGroup> element",
 * "certHash2: not a Base64 SHA-1 hash", "hashAlg 1 is not supported").
 */
int cnf_parse(const char *doc, size_t len, struct phone_cnf *out, char *why, size_t whylen);
/* Read and parse the file at path; errors name the file. */
int cnf_load(const char *path, struct phone_cnf *out, char *why, size_t whylen);

#endif
