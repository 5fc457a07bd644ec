/*
 * tests/unit/test_model.c - the model table and the CN each model presents.
 *
 * Checked: a 79xx's CN carries the G of its product ID (CP-7962G-SEP...),
 * an 88xx's does not (CP-8861-SEP...); phones.models may name a model by
 * the short name users type or by the CN's product ID; every profile offers
 * for legacy DTLS only suites it also offers for TLS, and the phone's user
 * agent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/trust/identity.h"
#include "engine/trust/model.h"

static void test_cn_forms(void **state)
{
	char cn[64];

	(void)state;
	identity_cn(cn, sizeof(cn), "7962", 0x00112233AABBULL);
	assert_string_equal(cn, "CP-7962G-SEP00112233AABB");
	identity_cn(cn, sizeof(cn), "7965", 0x0250000000FFULL);
	assert_string_equal(cn, "CP-7965G-SEP0250000000FF");
	identity_cn(cn, sizeof(cn), "8861", 0xB000B4BA0AEEULL);
	assert_string_equal(cn, "CP-8861-SEPB000B4BA0AEE");
	identity_cn(cn, sizeof(cn), "8845", 0x682C7B5C2342ULL);
	assert_string_equal(cn, "CP-8845-SEP682C7B5C2342");
	/* the product ID names the same profile; an unknown model is written as given */
	identity_cn(cn, sizeof(cn), "7962G", 1);
	assert_string_equal(cn, "CP-7962G-SEP000000000001");
	identity_cn(cn, sizeof(cn), "1234", 1);
	assert_string_equal(cn, "CP-1234-SEP000000000001");
	/* only the MAC's 48 bits */
	identity_cn(cn, sizeof(cn), "8861", 0xFF0000000000002AULL);
	assert_string_equal(cn, "CP-8861-SEP00000000002A");
}

static void test_find(void **state)
{
	(void)state;
	assert_non_null(model_find("7962"));
	assert_ptr_equal(model_find("7962G"), model_find("7962"));
	assert_ptr_equal(model_find("7965G"), model_find("7965"));
	assert_null(model_find("7962g"));
	assert_null(model_find("8861G"));
	assert_null(model_find(""));
	assert_null(model_at(-1));
}

/* Is suite in the colon-separated list (up to a "@..." directive)? */
static int listed(const char *list, const char *suite, size_t n)
{
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ":");

		if (len == n && !strncmp(s, suite, n))
			return 1;
		s += len + (s[len] == ':');
	}
	return 0;
}

static void test_profiles(void **state)
{
	(void)state;
	for (int i = 0; model_at(i); i++) {
		const struct model *m = model_at(i);
		const char *d = m->dtls_ciphers;

		assert_ptr_equal(model_find(m->name), m);
		/* the CN's product ID starts with the model's number: 7962 -> 7962G */
		assert_int_equal(strncmp(m->cn_model, m->name, strlen(m->name)), 0);
		if (m->name[0] == '7' && m->name[1] == '9')
			assert_string_equal(m->cn_model + strlen(m->name), "G");
		assert_string_equal(m->user_agent, "Cisco SVC IPPhone Client v1.0");
		/* DTLS 0.9 suites the phone also offers for TLS */
		while (*d) {
			size_t n = strcspn(d, ":");

			if (!listed(m->tls_ciphers, d, n))
				fail_msg("model %s offers DTLS %.*s, not among its TLS suites %s",
					 m->name, (int)n, d, m->tls_ciphers);
			d += n + (d[n] == ':');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cn_forms),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_profiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
