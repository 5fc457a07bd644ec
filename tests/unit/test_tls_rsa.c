/*
 * tests/unit/test_tls_rsa.c - tls_builtin_rsa(): the phones' RSA through
 * OpenSSL's built-in code, checked against an OpenSSL server that keeps the
 * providers.
 *
 * tls_builtin_rsa() changes the whole process, so each server runs in a child
 * process forked before it is called (at the group's set-up): plain OpenSSL
 * on its end of a socket pair, asking for the client's certificate (so that
 * it checks the phone's CertificateVerify signature), echoing one record. The phone's side is what
 * the engine uses (tls_ctx_new for the model, tls_open with a certificate and
 * key, a stream membio), pumped by hand over the socket. Checked for the
 * suites the models offer: RSA key transport (the 79xx on TLS 1.0, the 88xx
 * on TLS 1.2) and ECDHE-RSA (the headend's ServerKeyExchange signature), that
 * the handshake completes on both sides, that data goes both ways, and that
 * the headend's certificate was decoded by the built-in code (the point of
 * the switch: no provider decoder chain per certificate). Phone identities are
 * minted from a CA key read from a PEM file (a provider's key) before and
 * after the switch, their signatures checked, and a minted identity logs in.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine/tls/membio.h"
#include "engine/tls/tls.h"
#include "engine/trust/identity.h"
#include "engine/trust/model.h"

static EVP_PKEY *srv_key, *cli_key, *ca_key;
static X509 *srv_cert, *cli_cert, *ca_cert;
static char ca_cert_path[] = "/tmp/test_tls_rsa.ca.XXXXXX",
	    ca_key_path[] = "/tmp/test_tls_rsa.key.XXXXXX";

/* The description OpenSSL gives a key decoded by the built-in RSA code. */
#define BUILTIN_RSA "OpenSSL RSA method"

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, key, EVP_sha256());
	return x;
}

/* ==== The server: a child process with OpenSSL as it comes ==== */

static int accept_any(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	(void)xs;
	return 1;
}

/*
 * Serve one handshake on fd with the given versions and suites, asking for the
 * client's certificate; echo one record. Exit status 0 if all went well.
 */
static void serve(int fd, int version, const char *ciphers)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *s;
	char buf[256];
	int n;

	SSL_CTX_use_certificate(ctx, srv_cert);
	SSL_CTX_use_PrivateKey(ctx, srv_key);
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	if (!SSL_CTX_set_cipher_list(ctx, ciphers))
		_exit(2);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	s = SSL_new(ctx);
	SSL_set_fd(s, fd);
	if (SSL_accept(s) != 1) {
		ERR_print_errors_fp(stderr);
		_exit(3);
	}
	if (!SSL_get0_peer_certificate(s))
		_exit(4);
	n = SSL_read(s, buf, sizeof(buf));
	if (n <= 0 || SSL_write(s, buf, n) != n)
		_exit(5);
	_exit(0);
}

struct peer {
	pid_t pid;
	int fd; /* our end of the socket pair */
};

/* A server for one case, waiting on its end of a socket pair. 0 or -1. */
static int peer_start(struct peer *pe, int version, const char *ciphers)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	pe->pid = fork();
	if (pe->pid < 0)
		return -1;
	if (pe->pid == 0) {
		close(sv[0]);
		serve(sv[1], version, ciphers);
	}
	close(sv[1]);
	pe->fd = sv[0];
	return 0;
}

/* The server's exit status (0 = served), its socket closed; -1 if already ended. */
static int peer_end(struct peer *pe)
{
	int st = 0;

	if (pe->fd < 0)
		return -1;
	close(pe->fd);
	pe->fd = -1;
	if (waitpid(pe->pid, &st, 0) != pe->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* The cases, each with its server forked at set-up. */
enum { C_79XX_RSA, C_88XX_RSA, C_88XX_ECDHE, C_MINTED, C__COUNT };
static const struct {
	int version;
	const char *ciphers;
} cases[C__COUNT] = {
    /* TLS 1.0: the phone's CertificateVerify is signed with MD5+SHA-1 */
    [C_79XX_RSA] = {TLS1_VERSION, "AES256-SHA:@SECLEVEL=0"},
    [C_88XX_RSA] = {TLS1_2_VERSION, "AES128-SHA"},
    [C_88XX_ECDHE] = {TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384"},
    [C_MINTED] = {TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384"},
};
static struct peer peers[C__COUNT];

/* ==== The phone's side ==== */

static char leaf_description[64];

static bool note_leaf(void *app, X509 *leaf)
{
	(void)app;
	snprintf(leaf_description, sizeof(leaf_description), "%s",
		 EVP_PKEY_get0_description(X509_get0_pubkey(leaf)));
	return true;
}

/* What the membio collected, written to the server. */
static void flush(struct tls *t, int fd)
{
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;

	if (membio_take(t->bio, &buf, &cap, &len))
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	free(buf);
}

/* Bytes from the server lent to the session; 0 on end of stream or after 5 s. */
static ssize_t receive(struct tls *t, int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&pfd, 1, 5000) != 1)
		return 0;
	n = read(fd, buf, cap);
	if (n > 0)
		tls_feed(t, buf, (size_t)n);
	return n;
}

/* A phone of model with this identity against the server of case c: handshake, echo. */
static void phone_as(const char *model, X509 *cert, EVP_PKEY *key, int c, const char *want_cipher)
{
	static uint8_t in[65536];
	SSL_CTX *ctx = tls_ctx_new(model_find(model), note_leaf);
	struct peer pe = peers[c];
	struct tls t;
	uint8_t got[64];
	int h = 0, r = 0;

	if (!tls_builtin_rsa())
		skip();
	assert_non_null(ctx);
	peers[c].fd = -1; /* ended here, not again at teardown */
	leaf_description[0] = 0;
	assert_int_equal(tls_open(&t, ctx, cert, key, NULL, NULL), 0);
	for (int round = 0; round < 20 && h != 1; round++) {
		h = tls_handshake(&t);
		flush(&t, pe.fd);
		if (h != 0)
			break;
		if (receive(&t, pe.fd, in, sizeof(in)) <= 0)
			break;
	}
	if (h != 1)
		fail_msg("%s against %s: handshake %d (%s), server exit %d", model,
			 cases[c].ciphers, h, tls_last_error(), peer_end(&pe));
	assert_string_equal(tls_cipher_name(&t), want_cipher);
	assert_string_equal(leaf_description, BUILTIN_RSA);
	assert_int_equal(tls_write(&t, "phoneswarm", 10), 0);
	flush(&t, pe.fd);
	for (int round = 0; round < 10 && r == 0; round++) {
		if (receive(&t, pe.fd, in, sizeof(in)) <= 0)
			break;
		r = tls_read(&t, got, sizeof(got));
	}
	assert_int_equal(r, 10);
	assert_memory_equal(got, "phoneswarm", 10);
	assert_int_equal(peer_end(&pe), 0);
	tls_close(&t);
	SSL_CTX_free(ctx);
}

static void phone_against(const char *model, int c, const char *want_cipher)
{
	phone_as(model, cli_cert, cli_key, c, want_cipher);
}

/* A phone identity minted from the CA files, its signature checked with the CA's key. */
static X509 *mint(bool sha1, EVP_PKEY **key)
{
	char err[256];
	bool key_at_fault;
	struct identity_ca *ca =
	    identity_ca_load(ca_cert_path, ca_key_path, err, sizeof(err), &key_at_fault);
	struct identity_keys *keys;
	X509 *x;

	if (!ca)
		fail_msg("identity_ca_load: %s", err);
	keys = identity_keys_new(1);
	assert_non_null(keys);
	x = identity_mint(ca, keys, "CP-8861-SEP02AB00000001", 41, sha1, VALID, key);
	if (!x)
		fail_msg("identity_mint (%s) failed", sha1 ? "SHA-1" : "SHA-256");
	assert_int_equal(X509_verify(x, ca_key), 1);
	EVP_PKEY_up_ref(*key); /* the pool goes, the key stays with the caller */
	identity_keys_free(keys);
	identity_ca_free(ca);
	return x;
}

/* ==== Tests ==== */

static void test_mint_before_switch(void **state)
{
	EVP_PKEY *key;

	(void)state;
	X509 *x = mint(false, &key);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void test_switch_takes(void **state)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(srv_cert, &der);
	X509 *x;

	(void)state;
	p = der;
	x = d2i_X509(NULL, &p, n);
	assert_non_null(x);
	/* before: the providers' decoder made the key */
	assert_string_not_equal(EVP_PKEY_get0_description(X509_get0_pubkey(x)), BUILTIN_RSA);
	X509_free(x);
	if (!tls_builtin_rsa()) {
		OPENSSL_free(der);
		skip(); /* an OpenSSL without ENGINE support: nothing to check */
	}
	assert_true(tls_builtin_rsa()); /* a second call is harmless */
	p = der;
	x = d2i_X509(NULL, &p, n);
	assert_non_null(x);
	assert_string_equal(EVP_PKEY_get0_description(X509_get0_pubkey(x)), BUILTIN_RSA);
	X509_free(x);
	OPENSSL_free(der);
}

static void test_mint_after_switch(void **state)
{
	EVP_PKEY *key;
	X509 *x;

	(void)state;
	if (!tls_builtin_rsa())
		skip();
	x = mint(true, &key); /* a 79xx's SHA-1 MIC */
	X509_free(x);
	EVP_PKEY_free(key);
	x = mint(false, &key);
	phone_as("8861", x, key, C_MINTED, "ECDHE-RSA-AES256-GCM-SHA384");
	X509_free(x);
	EVP_PKEY_free(key);
}

static void test_79xx_rsa_key_transport(void **state)
{
	(void)state;
	phone_against("7962", C_79XX_RSA, "AES256-SHA");
}

static void test_88xx_rsa_key_transport(void **state)
{
	(void)state;
	phone_against("8861", C_88XX_RSA, "AES128-SHA");
}

static void test_88xx_ecdhe_rsa(void **state)
{
	(void)state;
	phone_against("8861", C_88XX_ECDHE, "ECDHE-RSA-AES256-GCM-SHA384");
}

static int group_setup(void **state)
{
	(void)state;
	/* made before the switch, as the lab's keys are made elsewhere */
	srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	cli_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!srv_key || !cli_key || !ca_key)
		return -1;
	srv_cert = self_signed(srv_key, "vpn.test");
	cli_cert = self_signed(cli_key, "CP-8861-SEP02AB00000000");
	ca_cert = self_signed(ca_key, "Test Manufacturing CA");
	if (!srv_cert || !cli_cert || !ca_cert)
		return -1;
	/* the CA as files, read back as the engine reads phones.ca_cert and ca_key */
	int cf = mkstemp(ca_cert_path), kf = mkstemp(ca_key_path);
	FILE *cfile = cf >= 0 ? fdopen(cf, "w") : NULL, *kfile = kf >= 0 ? fdopen(kf, "w") : NULL;
	if (!cfile || !kfile || !PEM_write_X509(cfile, ca_cert) ||
	    !PEM_write_PrivateKey(kfile, ca_key, NULL, NULL, 0, NULL, NULL) || fclose(cfile) ||
	    fclose(kfile))
		return -1;
	fflush(NULL);
	for (int c = 0; c < C__COUNT; c++)
		if (peer_start(&peers[c], cases[c].version, cases[c].ciphers))
			return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int c = 0; c < C__COUNT; c++)
		peer_end(&peers[c]); /* a server never reached ends on end of stream */
	X509_free(srv_cert);
	X509_free(cli_cert);
	X509_free(ca_cert);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(ca_key);
	unlink(ca_cert_path);
	unlink(ca_key_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mint_before_switch),
	    /* it switches the process over: the tests below run after it */
	    cmocka_unit_test(test_switch_takes),
	    cmocka_unit_test(test_mint_after_switch),
	    cmocka_unit_test(test_79xx_rsa_key_transport),
	    cmocka_unit_test(test_88xx_rsa_key_transport),
	    cmocka_unit_test(test_88xx_ecdhe_rsa),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
