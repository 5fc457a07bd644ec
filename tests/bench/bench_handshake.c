/*
 * tests/bench/bench_handshake.c - CPU of a phone's TLS handshake, alone.
 *
 * make bench measures the CPU of whole tunnels against the lab: DNS, two
 * sockets, TLS, authentication, CONNECT, DTLS, packets through the kernel.
 * This isolates the TLS part: the engine's own client (tls.c on a membio,
 * the 8861 profile, an RSA-2048 certificate of its own) against an
 * in-memory OpenSSL server (ECDHE P-256, RSA-2048), timing only the client
 * thread's CPU, with RSA as phoneswarm run sets it up (tls_builtin_rsa). It
 * prints that next to the cost of the cryptography the handshake needs,
 * measured here too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine/tls/membio.h"
#include "engine/trust/model.h"
#include "engine/tls/tls.h"

#define HANDSHAKES 400

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool trust_all(void *app, X509 *leaf)
{
	(void)app;
	(void)leaf;
	return true;
}

static int accept_any(X509_STORE_CTX *xs, void *arg)
{
	(void)xs;
	(void)arg;
	return 1;
}

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, signer, EVP_sha256());
	return x;
}

/* One handshake; returns the client's CPU seconds, or -1. */
static double handshake(SSL_CTX *cctx, SSL_CTX *sctx, X509 *cert, EVP_PKEY *key)
{
	struct tls c;
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	char tmp[32768];
	double spent = 0, t;
	int h = 0;

	t = cpu_s();
	tls_open(&c, cctx, cert, key, "vpn.lab.test", NULL);
	spent += cpu_s() - t;
	SSL *s = SSL_new(sctx);
	BIO *si = BIO_new(BIO_s_mem()), *so = BIO_new(BIO_s_mem());
	SSL_set_bio(s, si, so);
	SSL_set_accept_state(s);
	for (int round = 0; round < 10 && h != 1; round++) {
		t = cpu_s();
		h = tls_handshake(&c);
		membio_take(c.bio, &buf, &cap, &len);
		spent += cpu_s() - t;
		if (h < 0)
			break;
		if (len)
			BIO_write(si, buf, (int)len);
		SSL_do_handshake(s);
		int n = BIO_read(so, tmp, sizeof(tmp));
		if (n > 0) {
			t = cpu_s();
			tls_feed(&c, (const uint8_t *)tmp, (size_t)n);
			h = tls_handshake(&c);
			membio_take(c.bio, &buf, &cap, &len);
			spent += cpu_s() - t;
			if (len)
				BIO_write(si, buf, (int)len);
			SSL_do_handshake(s);
		}
	}
	t = cpu_s();
	tls_close(&c);
	spent += cpu_s() - t;
	SSL_free(s);
	free(buf);
	return h == 1 ? spent : -1;
}

/* The cryptography itself: one RSA-2048 signature and verification, one P-256 ECDH. */
static double crypto_s(EVP_PKEY *rsa)
{
	unsigned char sig[512], md[32] = {1};
	size_t siglen = sizeof(sig), secret_len = 64;
	unsigned char secret[64];
	double t = cpu_s();

	for (int i = 0; i < 100; i++) {
		EVP_PKEY_CTX *sc = EVP_PKEY_CTX_new(rsa, NULL);
		EVP_PKEY_sign_init(sc);
		EVP_PKEY_CTX_set_signature_md(sc, EVP_sha256());
		siglen = sizeof(sig);
		EVP_PKEY_sign(sc, sig, &siglen, md, sizeof(md));
		EVP_PKEY_verify_init(sc);
		EVP_PKEY_verify(sc, sig, siglen, md, sizeof(md));
		EVP_PKEY_CTX_free(sc);

		EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(a, NULL);
		EVP_PKEY_derive_init(dc);
		EVP_PKEY_derive_set_peer(dc, b);
		secret_len = sizeof(secret);
		EVP_PKEY_derive(dc, secret, &secret_len);
		EVP_PKEY_CTX_free(dc);
		EVP_PKEY_free(a);
		EVP_PKEY_free(b); /* b's key generation is the server's: not counted below */
	}
	/* two P-256 key generations were made per round; the phone makes one */
	double per = (cpu_s() - t) / 100;
	t = cpu_s();
	for (int i = 0; i < 100; i++)
		EVP_PKEY_free(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	return per - (cpu_s() - t) / 100;
}

int main(void)
{
	bool builtin = tls_builtin_rsa(); /* as phoneswarm run has it */
	EVP_PKEY *skey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ckey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *scert = make_cert(skey, skey, "vpn.lab.test");
	X509 *ccert = make_cert(ckey, ckey, "CP-8861-SEP02AB00000000");
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = tls_ctx_new(model_find("8861"), trust_all);
	double total = 0;

	SSL_CTX_use_certificate(sctx, scert);
	SSL_CTX_use_PrivateKey(sctx, skey);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(sctx, accept_any, NULL);
	SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(sctx, "ECDHE-RSA-AES256-GCM-SHA384");
	SSL_CTX_set1_groups_list(sctx, "P-256");
	handshake(cctx, sctx, ccert, ckey); /* warm up: first-use initialisation */
	for (int i = 0; i < HANDSHAKES; i++) {
		double s = handshake(cctx, sctx, ccert, ckey);

		if (s < 0) {
			fprintf(stderr, "bench_handshake: handshake failed\n");
			return 1;
		}
		total += s;
	}
	printf("TLS handshake alone     %.3f ms client CPU (in memory, %d handshakes; its "
	       "cryptography %.3f ms)%s\n",
	       total * 1000 / HANDSHAKES, HANDSHAKES, crypto_s(ckey) * 1000,
	       builtin ? "" : " (RSA through the providers: no ENGINE support)");
	return 0;
}
