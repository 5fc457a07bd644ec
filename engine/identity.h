/*
 * engine/identity.h - per-phone certificates minted at start.
 *
 * Each phone gets its own certificate, CN "CP-<model>-SEP<MAC>", signed by
 * the CA a scenario names (phones.ca_cert / phones.ca_key), as a phone's
 * MIC is signed by the manufacturing CA. Private keys come from a small
 * pool shared across phones: signing is the phone's cost, key generation
 * is not, and a pool keeps start-up quick.
 */
#ifndef ENGINE_IDENTITY_H
#define ENGINE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct identity_ca; /* opaque: the CA's certificate and key, and the key pool */

/* Load the CA and make n_keys RSA-2048 keys. NULL with a message in err on failure. */
struct identity_ca *identity_ca_load(const char *cert_path, const char *key_path, int n_keys,
				     char *err, size_t errlen);
void identity_ca_free(struct identity_ca *ca);
/*
 * A certificate for cn, serial number serial, valid from a day ago for a
 * year, with the pool key number serial % n_keys; *key is set to that key
 * (borrowed from the pool). Thread-safe. NULL on failure.
 */
X509 *identity_mint(struct identity_ca *ca, const char *cn, uint64_t serial, EVP_PKEY **key);
/* "CP-<model>-SEP<12 hex MAC>" into buf (at least 32 bytes). */
void identity_cn(char *buf, size_t len, const char *model, uint64_t mac);

#endif
