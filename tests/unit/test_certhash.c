/*
 * tests/unit/test_certhash.c - phone certHash values: the document's
 * example, a real certificate whose digests were computed with
 * "openssl x509 -outform DER | openssl dgst -sha1" when this test was
 * written, and the pin forms the parser must take or refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "engine/trust/certhash.h"

/* docs/anyconnect-protocol.md section 6: hashAlg 0 example. */
static const char doc_hex[] = "0C853A37531C9AA69B3FE567C7862488F75DD3DE";
static const char doc_b64[] = "DIU6N1McmqabP+Vnx4YkiPdd094=";

/* A self-signed P-256 certificate, CN=vpn.example.com. */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBizCCATGgAwIBAgIUZ3naz/j2DFl4oxEDCxPkeygaqsowCgYIKoZIzj0EAwIw\n"
			       "GjEYMBYGA1UEAwwPdnBuLmV4YW1wbGUuY29tMCAXDTI2MTEyMjE2MjgxMloYDzIx\n"
			       "MjYxMDI5MTYyODEyWjAaMRgwFgYDVQQDDA92cG4uZXhhbXBsZS5jb20wWTATBgcq\n"
			       "hkjOPQIBBggqhkjOPQMBBwNCAAR297vH9/mDl4B5pZyhH2StSp4gRrZFP51xBfVY\n"
			       "C0f9AV9C1drtVAQI41+xf74ndL6kiO2KIAyJmwvk7mXNEWOSo1MwUTAdBgNVHQ4E\n"
			       "FgQUamKvmBbGlOiCqNYtaI5HL34tXCgwHwYDVR0jBBgwFoAUamKvmBbGlOiCqNYt\n"
			       "aI5HL34tXCgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBnJSpd\n"
			       "9v8Cozj90nTDde5OXHRzSl8qgL3Y/IlqMUggigIhAIfAvnY3nznoXqFgGf+Uj+lj\n"
			       "CjsEsiMlllzZ7+OebGw3\n"
			       "-----END CERTIFICATE-----\n";
static const char cert_sha1[] = "481A0B2A334964FA9F4DCBCDACC512B8DD07B8CF";
static const char cert_sha1_b64[] = "SBoLKjNJZPqfTcvNrMUSuN0HuM8=";
static const char cert_fingerprint[] =
    "sha1 Fingerprint=48:1A:0B:2A:33:49:64:FA:9F:4D:CB:CD:AC:C5:12:B8:"
    "DD:07:B8:CF";
static const char cert_sha256[] =
    "9233C2F97525356268C5071DD6A65FC97933331451AF9DFA0E435638AEE925C8";

static X509 *load_cert(void)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void test_doc_example(void **state)
{
	uint8_t h[20], h2[20];
	char b64[29], hex[41];

	(void)state;
	assert_int_equal(certhash_parse(doc_hex, h), 0);
	certhash_b64(h, b64);
	assert_string_equal(b64, doc_b64);
	assert_int_equal(certhash_parse(doc_b64, h2), 0);
	assert_memory_equal(h, h2, 20);
	assert_int_equal(certhash_hex(h2, 20, hex, false), 40);
	assert_string_equal(hex, doc_hex);
}

static void test_real_certificate(void **state)
{
	X509 *x = load_cert();
	unsigned char *der = NULL;
	uint8_t h[20], hx[20], h256[32];
	char b64[29], hex[65], colons[60];
	int n;

	(void)state;
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_int_equal(certhash_sha1(der, (size_t)n, h), 0);
	certhash_hex(h, 20, hex, false);
	assert_string_equal(hex, cert_sha1);
	certhash_b64(h, b64);
	assert_string_equal(b64, cert_sha1_b64);
	assert_int_equal(certhash_hex(h, 20, colons, true), 59);
	assert_string_equal(colons, cert_fingerprint + 17);

	assert_int_equal(certhash_sha1_x509(x, hx), 0);
	assert_memory_equal(h, hx, 20);
	assert_int_equal(certhash_sha256_x509(x, h256), 0);
	certhash_hex(h256, 32, hex, false);
	assert_string_equal(hex, cert_sha256);

	OPENSSL_free(der);
	X509_free(x);
}

static void check_parses(const char *text, const char *want_hex)
{
	uint8_t h[20];
	char hex[41];
	int err = certhash_parse(text, h);

	if (err)
		fail_msg("\"%s\": expected 0, got %d", text, err);
	certhash_hex(h, 20, hex, false);
	if (strcmp(hex, want_hex))
		fail_msg("\"%s\": expected %s, got %s", text, want_hex, hex);
}

static void check_refused(const char *text)
{
	uint8_t h[20];
	int err = certhash_parse(text, h);

	if (err != -EINVAL)
		fail_msg("\"%s\": expected -EINVAL, got %d", text, err);
}

static void test_parse_forms(void **state)
{
	(void)state;
	check_parses(cert_sha1_b64, cert_sha1);
	check_parses(cert_sha1, cert_sha1);
	check_parses("481a0b2a334964fa9f4dcbcdacc512b8dd07b8cf", cert_sha1);
	check_parses(cert_fingerprint, cert_sha1);
	check_parses(cert_fingerprint + 17, cert_sha1);
	check_parses("48:1a:0b:2a:33:49:64:fa:9f:4d:cb:cd:ac:c5:12:b8:dd:07:"
		     "b8:cf",
		     cert_sha1);
	check_parses("SHA1 Fingerprint=48:1A:0B:2A:33:49:64:FA:9F:4D:CB:CD:AC:"
		     "C5:12:B8:DD:07:B8:CF\n",
		     cert_sha1);
	check_parses("  DIU6N1McmqabP+Vnx4YkiPdd094=  ", doc_hex);

	check_refused("");
	check_parses("DIU6N1McmqabP+Vnx4YkiPdd094", doc_hex); /* no padding: the same hash */
	check_refused("DIU6N1McmqabP+Vnx4YkiPdd095="); /* stray low bits */
	check_refused("DIU6N1McmqabP-Vnx4YkiPdd094="); /* URL-safe alphabet */
	check_refused("0C853A37531C9AA69B3FE567C7862488F75DD3D");
	check_refused("0C853A37531C9AA69B3FE567C7862488F75DD3DEAA");
	check_refused("0C853A37531C9AA69B3FE567C7862488F75DD3DG");
	check_refused("48:1A:0B:2A:33:49:64:FA:9F:4D:CB:CD:AC:C5:12:B8:DD:07:"
		      "B8-CF");
	check_refused("48:1A:0B:2A:33:49:64:FA:9F:4D:CB:CD:AC:C5:12:B8:DD:07:"
		      "B8:C");
	check_refused("sha256:481A0B2A334964FA9F4DCBCDACC512B8DD07B8CF");
}

static void test_in_list(void **state)
{
	uint8_t list[3][20], h[20];

	(void)state;
	assert_int_equal(certhash_parse(doc_hex, list[0]), 0);
	assert_int_equal(certhash_parse(cert_sha1, list[1]), 0);
	memset(list[2], 0, 20);
	assert_int_equal(certhash_parse(cert_sha1_b64, h), 0);
	assert_true(certhash_in_list(h, (const uint8_t(*)[20])list, 3));
	assert_false(certhash_in_list(h, (const uint8_t(*)[20])list, 1));
	assert_false(certhash_in_list(h, (const uint8_t(*)[20])list, 0));
	h[19] ^= 1;
	assert_false(certhash_in_list(h, (const uint8_t(*)[20])list, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doc_example),
	    cmocka_unit_test(test_real_certificate),
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_in_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
