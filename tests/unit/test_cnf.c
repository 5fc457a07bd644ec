/*
 * tests/unit/test_cnf.c - reading <vpnGroup> from a phone config file (engine/trust/cnf.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/trust/certhash.h"
#include "engine/trust/cnf.h"

/* The <vpnGroup> of phone-behaviour.md, inside the rest of a real-looking file. */
static const char doc_example[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device><deviceProtocol>SIP</deviceProtocol>\n"
	"<vpnGroup>\n  <enableHostIDCheck>0</enableHostIDCheck>\n"
	"  <addresses><url1>https://asav.example.lab/phone</url1></addresses>\n"
	"  <credentials>\n    <hashAlg>0</hashAlg>\n"
	"    <certHash1>1eD9l3VEI9DGWQGKlNBGE1bRhUg=</certHash1>\n  </credentials>\n"
	"</vpnGroup>\n<loadInformation>sip88xx.14-1</loadInformation></device>\n";

static void test_document_example(void **state)
{
	struct phone_cnf c;
	char why[256];
	uint8_t want[20];

	(void)state;
	assert_int_equal(cnf_parse(doc_example, strlen(doc_example), &c, why, sizeof(why)), 0);
	assert_int_equal(c.n_urls, 1);
	assert_string_equal(c.urls[0], "https://asav.example.lab/phone");
	assert_int_equal(c.n_hashes, 1);
	assert_int_equal(certhash_parse("1eD9l3VEI9DGWQGKlNBGE1bRhUg=", want), 0);
	assert_memory_equal(c.hashes[0], want, 20);
	assert_false(c.host_id_check);
}

static void test_failover_renewal_and_hostid(void **state)
{
	/* two URLs, old and new hashes during a renewal (with a gap), entities, host ID on */
	static const char d[] =
		"<vpnGroup><enableHostIDCheck>1</enableHostIDCheck><addresses>"
		"<url1> https://vpn1.example.net/?a=1&amp;b=2 </url1>"
		"<url2>https://198.18.0.1/</url2></addresses><credentials><hashAlg>0</hashAlg>"
		"<certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1>"
		"<certHash3>0c853a37 9</certHash3></credentials></vpnGroup>";
	struct phone_cnf c;
	char why[256];

	(void)state;
	/* certHash3 is not a hash: refused, naming the element */
	assert_int_equal(cnf_parse(d, strlen(d), &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "certHash3"));

	static const char ok[] =
		"<vpnGroup><enableHostIDCheck>true</enableHostIDCheck><addresses>"
		"<url1> https://vpn1.example.net/?a=1&amp;b=2 </url1>"
		"<url2>https://198.18.0.1/</url2></addresses><credentials>"
		"<certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1>"
		"<certHash3>D5:E0:FD:97:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF</certHash3>"
		"</credentials></vpnGroup>";
	assert_int_equal(cnf_parse(ok, strlen(ok), &c, why, sizeof(why)), 0);
	assert_int_equal(c.n_urls, 2);
	assert_string_equal(c.urls[0], "https://vpn1.example.net/?a=1&b=2");
	assert_string_equal(c.urls[1], "https://198.18.0.1/");
	assert_int_equal(c.n_hashes, 2);
	assert_int_equal(c.hashes[1][0], 0xd5);
	assert_int_equal(c.hashes[1][19], 0xff);
	assert_true(c.host_id_check);
}

static void test_refusals(void **state)
{
	struct phone_cnf c;
	char why[256];
	static const char none[] = "<device><vpnGroup2/></device>";
	static const char nourl[] = "<vpnGroup><certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1>"
				    "</vpnGroup>";
	static const char nohash[] = "<vpnGroup><url1>https://a/</url1></vpnGroup>";
	static const char alg1[] = "<vpnGroup><url1>https://a/</url1><hashAlg>1</hashAlg>"
				   "<certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1></vpnGroup>";
	/* elements outside <vpnGroup> do not count */
	static const char outside[] = "<url1>https://a/</url1><vpnGroup>"
				      "<certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1></vpnGroup>";

	(void)state;
	assert_int_equal(cnf_parse(none, strlen(none), &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "vpnGroup"));
	assert_int_equal(cnf_parse(nourl, strlen(nourl), &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "url1"));
	assert_int_equal(cnf_parse(nohash, strlen(nohash), &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "certHash1"));
	assert_int_equal(cnf_parse(alg1, strlen(alg1), &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "hashAlg 1"));
	assert_int_equal(cnf_parse(outside, strlen(outside), &c, why, sizeof(why)), -1);
	/* a truncated document: no closing tag, no crash */
	assert_int_equal(cnf_parse(doc_example, 60, &c, why, sizeof(why)), -1);
}

/*
 * A value longer than the reader keeps (found by tests/fuzz/fuzz_cnf.c): the
 * copy stopped without its NUL and the message then printed it, reading on
 * past its buffer. Now the value is refused as too long, by name.
 */
static void test_overlong_values(void **state)
{
	struct phone_cnf c;
	char why[256], doc[2048], *p;
	static const char *const el[] = {"certHash2", "hashAlg"};

	(void)state;
	for (unsigned k = 0; k < sizeof(el) / sizeof(el[0]); k++) {
		p = doc + sprintf(doc, "<vpnGroup><url1>https://a/</url1>"
				  "<certHash1>DIU6N1McmqabP+Vnx4YkiPdd094=</certHash1><%s>", el[k]);
		memset(p, '\'', 600);
		sprintf(p + 600, "</%s></vpnGroup>", el[k]);
		strcpy(why, "");
		assert_int_equal(cnf_parse(doc, strlen(doc), &c, why, sizeof(why)), -1);
		assert_string_equal(why, k ? "hashAlg: longer than 511 characters"
					   : "certHash2: longer than 511 characters");
	}
}

static void test_load_names_the_file(void **state)
{
	struct phone_cnf c;
	char why[512], path[] = "/tmp/test_cnf_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc_example, strlen(doc_example)), (int)strlen(doc_example));
	close(fd);
	assert_int_equal(cnf_load(path, &c, why, sizeof(why)), 0);
	assert_string_equal(c.urls[0], "https://asav.example.lab/phone");
	unlink(path);
	assert_int_equal(cnf_load(path, &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_example),
		cmocka_unit_test(test_failover_renewal_and_hostid),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_overlong_values),
		cmocka_unit_test(test_load_names_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
