/*
 * engine/trust/identity.c - mint phone certificates (identity.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* EVP_PKEY_get1_RSA: see builtin_form() */
#include "engine/trust/identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "engine/trust/model.h"

struct identity_ca {
	X509 *cert;
	EVP_PKEY *key;
};

struct identity_keys {
	int n;
	EVP_PKEY *key[];
};

void identity_cn(char *buf, size_t len, const char *model, uint64_t mac)
{
	const struct model *m = model_find(model);

	snprintf(buf, len, "CP-%s-SEP%012llX", m ? m->cn_model : model,
		 (unsigned long long)(mac & 0xffffffffffffull));
}

/*
 * An RSA key as OpenSSL's built-in RSA code holds it. PEM_read_PrivateKey
 * gives a provider's key; once tls_builtin_rsa() has put the built-in RSA in
 * charge, X509_sign cannot use such a key (it asks the provider for the
 * signature's algorithm identifier), while a key in the built-in form signs
 * whichever way the process is set up. Other key types are left as they are.
 */
static EVP_PKEY *builtin_form(EVP_PKEY *k)
{
	RSA *r = EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? EVP_PKEY_get1_RSA(k) : NULL;
	EVP_PKEY *b = r ? EVP_PKEY_new() : NULL;

	if (!b || !EVP_PKEY_assign_RSA(b, r)) {
		RSA_free(r);
		EVP_PKEY_free(b);
		return k;
	}
	EVP_PKEY_free(k);
	return b;
}

struct identity_ca *identity_ca_load(const char *cert_path, const char *key_path, char *err,
				     size_t errlen, bool *key_at_fault)
{
	struct identity_ca *ca = calloc(1, sizeof(*ca));
	FILE *f;

	*key_at_fault = false;
	if (!ca) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f = fopen(cert_path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", cert_path, strerror(errno));
		goto out_free;
	}
	ca->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!ca->cert) {
		snprintf(err, errlen, "%s: not a PEM certificate", cert_path);
		goto out_free;
	}
	*key_at_fault = true;
	f = fopen(key_path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", key_path, strerror(errno));
		goto out_free;
	}
	ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!ca->key) {
		snprintf(err, errlen, "%s: not a PEM private key", key_path);
		goto out_free;
	}
	ca->key = builtin_form(ca->key);
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(err, errlen, "%s does not match %s", key_path, cert_path);
		goto out_free;
	}
	return ca;

out_free:
	ERR_clear_error();
	identity_ca_free(ca);
	return NULL;
}

void identity_ca_free(struct identity_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

struct identity_keys *identity_keys_new(int n)
{
	struct identity_keys *k = calloc(1, sizeof(*k) + (size_t)n * sizeof(EVP_PKEY *));

	if (!k)
		return NULL;
	for (; k->n < n; k->n++) {
		k->key[k->n] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (!k->key[k->n]) {
			identity_keys_free(k);
			return NULL;
		}
	}
	return k;
}

void identity_keys_free(struct identity_keys *k)
{
	if (!k)
		return;
	for (int i = 0; i < k->n; i++)
		EVP_PKEY_free(k->key[i]);
	free(k);
}

X509 *identity_mint(const struct identity_ca *ca, const struct identity_keys *keys, const char *cn,
		    uint64_t serial, bool sha1, enum validity v, EVP_PKEY **key)
{
	X509 *x = X509_new();
	EVP_PKEY *k = keys->key[serial % (uint64_t)keys->n];
	long from = -86400, to = 365L * 86400; /* seconds from now */
	X509_NAME *name;

	if (!x)
		return NULL;
	if (v == EXPIRED) {
		from = -2 * 365L * 86400;
		to = -86400;
	} else if (v == NOT_YET_VALID) {
		from = 365L * 86400;
		to = 2 * 365L * 86400;
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial + 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Cisco Systems Inc.",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
	if (!X509_sign(x, ca->key, sha1 ? EVP_sha1() : EVP_sha256())) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	/*
	 * OpenSSL parses a certificate's extensions and takes its SHA-1 the first
	 * time it is used (SSL_use_certificate), and keeps them: done here, at
	 * start-up, a phone's certificate is ready before its first connection,
	 * as a real phone's is.
	 */
	X509_check_purpose(x, -1, 0);
	*key = k;
	return x;
}
