/*
 * loadgen/certhash_cmd.c - print a certificate's hashes (certhash_cmd.h).
 *
 * The documents convert `openssl x509 -fingerprint` hex to Base64 by hand
 * to fill certHashN; this prints every form at once: SHA-1 of the DER
 * certificate in hex (as the fingerprint and the SECD log show it) and in
 * Base64 (certHashN, hashAlg 0), and SHA-256, with the subject, SANs and
 * validity so that the right certificate is recognised. PEM files may hold
 * a chain: each certificate is printed, the leaf first.
 */
#include "loadgen/certhash_cmd.h"

#include <stdio.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "engine/trust/certhash.h"
#include "loadgen/cmdline.h"

static void print_time(const char *label, const ASN1_TIME *t)
{
	BIO *b = BIO_new_fp(stdout, BIO_NOCLOSE);

	printf("  %-12s ", label);
	ASN1_TIME_print(b, t);
	BIO_free(b);
	printf("\n");
}

static void print_cert(X509 *x, int n)
{
	uint8_t sha1[20], sha256[32];
	char hex[3 * 32 + 1], b64[29], name[256];
	GENERAL_NAMES *sans;

	certhash_sha1_x509(x, sha1);
	certhash_sha256_x509(x, sha256);
	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
	printf("certificate %d: %s\n", n, name);
	X509_NAME_oneline(X509_get_issuer_name(x), name, sizeof(name));
	printf("  issuer       %s\n", name);
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_DNS)
			printf("  SAN          DNS:%s\n", ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD && g->d.iPAddress->length == 4) {
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			printf("  SAN          IP:%u.%u.%u.%u\n", a[0], a[1], a[2], a[3]);
		}
	}
	GENERAL_NAMES_free(sans);
	print_time("not before", X509_get0_notBefore(x));
	print_time("not after", X509_get0_notAfter(x));
	certhash_hex(sha1, 20, hex, true);
	printf("  SHA-1        %s\n", hex);
	certhash_b64(sha1, b64);
	printf("  certHash     %s   (Base64 SHA-1, hashAlg 0: <certHashN> of SEP<MAC>.cnf.xml)\n",
	       b64);
	certhash_hex(sha256, 32, hex, true);
	printf("  SHA-256      %s\n", hex);
}

static int one_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	X509 *x;
	int n = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	printf("%s\n", path);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		print_cert(x, ++n);
		X509_free(x);
	}
	if (!n) {
		/* not PEM: try DER, as a certificate exported from a capture is */
		rewind(f);
		x = d2i_X509_fp(f, NULL);
		if (x) {
			print_cert(x, ++n);
			X509_free(x);
		}
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "phoneswarm certhash: %s: no certificate (PEM or DER) in it\n", path);
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm certhash FILE...\n"
		   "  prints each certificate's SHA-1 (hex and Base64, as certHashN) and SHA-256\n");
}

int certhash_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "h", .longopts = opts,
			     .usage = usage};
	int rc = 0;

	while (cmdline_next(&cl) != -1)
		;
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 1, -1))
		return 2;
	for (int i = optind; i < argc; i++) {
		if (one_file(argv[i]))
			rc = 2;
		if (i + 1 < argc)
			printf("\n");
	}
	return rc;
}
