/*
 * engine/trust/identity.h - per-phone certificates minted at start.
 *
 * Each phone gets its own certificate, CN "CP-<product ID>-SEP<MAC>" (the
 * product ID of its model profile: CP-7962G-SEP... for a 7962), signed by
 * the CA its identity calls for: a MIC by the manufacturing CA of its model's
 * chain (SHA-1 for the 79xx/99xx, SHA-256 for the newer ones), an LSC by the
 * CAPF. Private keys come from a small pool shared across phones: signing
 * is the phone's cost, key generation is not, and a pool keeps start-up
 * quick. Certificates can be minted expired or not yet valid on purpose.
 */
#ifndef ENGINE_IDENTITY_H
#define ENGINE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct identity_ca;   /* opaque: a CA's certificate and key */
struct identity_keys; /* opaque: the pool of phone keys */

enum validity {
	VALID,         /* from a day ago for a year */
	EXPIRED,       /* ended yesterday */
	NOT_YET_VALID, /* starts in a year */
};

/*
 * Load a CA (PEM certificate and its key). NULL on failure, with a message
 * in err and *key_at_fault true when the key file is what is wrong (it
 * cannot be read, is not a PEM private key or is not the certificate's),
 * false when it is the certificate file.
 */
struct identity_ca *identity_ca_load(const char *cert_path, const char *key_path, char *err,
				     size_t errlen, bool *key_at_fault);
void identity_ca_free(struct identity_ca *ca);
/* n RSA-2048 keys. NULL on failure. */
struct identity_keys *identity_keys_new(int n);
void identity_keys_free(struct identity_keys *k);
/*
 * A certificate for cn with serial number serial + 1, key number
 * serial % n of the pool (returned in *key, borrowed from the pool), signed
 * by ca with SHA-1 (sha1) or SHA-256, valid as v says. Thread-safe. NULL on
 * failure.
 */
X509 *identity_mint(const struct identity_ca *ca, const struct identity_keys *keys, const char *cn,
		    uint64_t serial, bool sha1, enum validity v, EVP_PKEY **key);
/*
 * "CP-<product ID>-SEP<12 hex MAC>" into buf (at least 32 bytes): the
 * product ID of the model profile called model ("7962" -> CP-7962G-...),
 * or model itself when the table does not know it.
 */
void identity_cn(char *buf, size_t len, const char *model, uint64_t mac);

#endif
