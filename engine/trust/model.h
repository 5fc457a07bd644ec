/*
 * engine/trust/model.h - the phone model profiles.
 *
 * What each Cisco phone model offers when it connects: TLS versions and
 * ciphers, the DTLS it speaks, its user agent. One SSL_CTX is made per
 * profile in use and shared by all phones of that model.
 */
#ifndef ENGINE_MODEL_H
#define ENGINE_MODEL_H

#include <stdbool.h>

struct model {
	const char *name;          /* "7962": what phones.models takes */
	const char *cn_model;      /* "7962G": the product ID in its CN, CP-7962G-SEP<MAC> */
	int tls_min, tls_max;      /* TLS1_VERSION .. TLS1_2_VERSION */
	const char *tls_ciphers;   /* OpenSSL cipher list offered */
	const char *dtls_ciphers;  /* X-DTLS-CipherSuite offered for legacy DTLS 0.9 */
	bool dtls12;               /* phones.client = anyconnect: offers PSK-NEGOTIATE (DTLS 1.2) */
	bool mic_sha1;             /* its MIC chains to the SHA-1 manufacturing CA */
	bool dtls_same_cipher;     /* phones.client = anyconnect: DTLS hangs unless on the TLS cipher */
	const char *key;           /* key of its certificates: "RSA-2048" */
	unsigned connect_timer_s;  /* "Fail to Connect": the whole bring-up, seconds */
	const char *user_agent;
	const char *source;        /* where these values come from */
};

/*
 * The profile for a model name ("7962", or the CN's "7962G"), or NULL if
 * the table does not know it.
 */
const struct model *model_find(const char *name);
/* The n-th profile of the table (NULL past the end), for listings. */
const struct model *model_at(int n);

#endif
