/*
 * tests/unit/test_scenario.c - scenario files and -s overrides.
 *
 * Each test writes a scenario to a temporary file and loads it. Good files
 * must land in struct swarm_config field by field; bad ones must produce
 * exactly the one-line error the user will read, naming file, line and key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "engine/phone/worker.h"
#include "loadgen/event.h"
#include "loadgen/scenario.h"
#include "loadgen/scenario_keys.h"

#define HASH_B64   "AAECAwQFBgcICQoLDA0ODxAREhM="
#define HASH_COLON "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13"

static const uint8_t hash_a[20] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,
				   10, 11, 12, 13, 14, 15, 16, 17, 18, 19};

/*
 * The temporary files of one test: a CA certificate, its key, another key
 * (not the CA's), a phone config, a scenario.
 */
struct fixture {
	char ca_cert[64];
	char ca_key[64];
	char other_key[64];
	char cnf[64];
	char ini[64];
	struct swarm_config cfg;
	char err[SCENARIO_ERRORS_MAX];
	char want[SCENARIO_ERRORS_MAX];
};

static void make_temp(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/test_scenario_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A PEM file at path (made like make_temp's) holding a key or a certificate. */
static void write_pem(char *path, size_t len, EVP_PKEY *key, X509 *cert)
{
	FILE *f;

	make_temp(path, len, "");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(cert ? PEM_write_X509(f, cert)
			      : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL),
			 1);
	assert_int_equal(fclose(f), 0);
}

/* A self-signed CA (P-256, quick to make) and its key, and a key of no CA. */
static void make_ca(struct fixture *fx)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name;

	assert_true(key && other && x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test CA", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	write_pem(fx->ca_cert, sizeof(fx->ca_cert), NULL, x);
	write_pem(fx->ca_key, sizeof(fx->ca_key), key, NULL);
	write_pem(fx->other_key, sizeof(fx->other_key), other, NULL);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	make_ca(fx);
	make_temp(fx->cnf, sizeof(fx->cnf),
		  "<device><vpnGroup><enableHostIDCheck>1</enableHostIDCheck><addresses>"
		  "<url1>https://vpn-cnf.lab.test/</url1><url2>https://198.18.0.1/</url2>"
		  "</addresses><credentials><hashAlg>0</hashAlg><certHash1>" HASH_B64
		  "</certHash1></credentials></vpnGroup></device>\n");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->ca_cert);
	unlink(fx->ca_key);
	unlink(fx->other_key);
	unlink(fx->cnf);
	if (fx->ini[0])
		unlink(fx->ini);
	config_free(&fx->cfg);
	free(fx);
	return 0;
}

/* Write the scenario text (a printf format; %1$s is ca_cert, %2$s ca_key). */
__attribute__((format(printf, 2, 3))) static void write_ini(struct fixture *fx, const char *fmt,
							    ...)
{
	char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (fx->ini[0])
		unlink(fx->ini);
	make_temp(fx->ini, sizeof(fx->ini), text);
}

/* [phones] with what a scenario needs there (%1$s is ca_cert, %2$s ca_key). */
#define PHONES "[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n"

/* A scenario with every required key, lines 1 to 9. */
#define MINIMAL                                                                                    \
	"[headend]\n"                                                                              \
	"url = https://198.18.0.1/\n"                                                              \
	"cert_hashes = " HASH_B64 "\n"                                                             \
	"\n"                                                                                       \
	"[phones]\n"                                                                               \
	"count = 100\n"                                                                            \
	"ca_cert = %1$s\n"                                                                         \
	"ca_key = %2$s\n"                                                                          \
	"\n"

static int load(struct fixture *fx, const char *const *ov, int n)
{
	config_free(&fx->cfg);
	memset(fx->err, 'X', sizeof(fx->err));
	return scenario_load(fx->ini, ov, n, &fx->cfg, fx->err, sizeof(fx->err));
}

/* Load, expecting failure with exactly the message printf(fmt, ...). */
__attribute__((format(printf, 4, 5))) static void
expect_error(struct fixture *fx, const char *const *ov, int n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fx->want, sizeof(fx->want), fmt, ap);
	va_end(ap);
	if (load(fx, ov, n) != -1)
		fail_msg("loaded, expected error: %s", fx->want);
	if (strcmp(fx->err, fx->want) != 0)
		fail_msg("error:\n  got:  %s\n  want: %s", fx->err, fx->want);
	/* Nothing left to free after a failure. */
	assert_null(fx->cfg.url);
	assert_null(fx->cfg.ca_cert);
	assert_null(fx->cfg.source);
}

static void expect_ok(struct fixture *fx, const char *const *ov, int n)
{
	if (load(fx, ov, n) != 0)
		fail_msg("scenario refused: %s", fx->err);
}

/* ==== Good scenarios ==== */

static void test_minimal_gets_defaults(void **state)
{
	struct fixture *fx = *state;
	struct swarm_config *c = &fx->cfg;

	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_string_equal(c->url, "https://198.18.0.1/");
	assert_int_equal(c->n_cert_hashes, 1);
	assert_memory_equal(c->cert_hashes[0], hash_a, 20);
	assert_null(c->cnf);
	assert_int_equal(c->n_dns, 0);
	assert_int_equal(c->count, 100);
	assert_int_equal(c->n_models, 1);
	assert_string_equal(c->models[0].model, "8861");
	assert_float_equal(c->models[0].share, 1.0, 0);
	assert_int_equal(c->auth, AUTH_CERTIFICATE);
	assert_float_equal(c->lsc_share, 0, 0);
	assert_float_equal(c->expired_share, 0, 0);
	assert_string_equal(c->ca_cert, fx->ca_cert);
	assert_string_equal(c->ca_key, fx->ca_key);
	/* the CA was read, once, here: the swarm takes it from the config */
	assert_non_null(c->ca[CHAIN_ANY]);
	assert_null(c->ca[CHAIN_MIC]);
	assert_null(c->source);
	assert_int_equal(c->n_source, 0);
	assert_true(c->mac_base == 0x02AB00000000ULL);
	assert_float_equal(c->rate, 10.0, 0);
	assert_int_equal(c->duration_us, 60000000);
	assert_int_equal(c->connect_timeout_us, 30000000);
	assert_int_equal(c->threads, 0);
	assert_int_equal(c->dtls_mode, DTLS_MODE_AUTO);
	assert_int_equal(c->client, CLIENT_PHONE);
	assert_int_equal(c->fetch_config, FETCH_NEVER);
	assert_int_equal(c->tftp.s_addr, htonl(0xC6120035)); /* 198.18.0.53, the lab's */
}

static void test_every_key(void **state)
{
	struct fixture *fx = *state;
	struct swarm_config *c = &fx->cfg;
	struct in_addr a;

	write_ini(fx,
		  "; a comment\n"
		  "# another\n"
		  "[headend]\n"
		  "  url = https://198.18.0.1:8443/phone  ; inline comment\n"
		  "cert_hashes = " HASH_B64 ", " HASH_COLON "\n"
		  "dns = 198.18.0.53, 198.18.0.54\n"
		  "cnf = %1$s\n"
		  "[phones]\n"
		  "count = 3000\n"
		  "models = 8861:60%%, 7962:40%%\n"
		  "auth = password\n"
		  "user = phone%%i\n"
		  "password = secret-%%m\n"
		  "source = 198.18.64.0/30, 198.18.65.7\n"
		  "mac_base = 0011.2233.4455\n"
		  "identity = lsc\n"
		  "fetch_config = on_connect\n"
		  "tftp = 10.1.2.3\n"
		  "client = anyconnect\n"
		  "[ramp]\n"
		  "rate = 2.5\n"
		  "[run]\n"
		  "duration = 5m\n"
		  "connect_timeout = 1500ms\n"
		  "threads = 2\n"
		  "[dtls]\n"
		  "mode = psk\n",
		  fx->cnf);
	expect_ok(fx, NULL, 0);
	/* url and cert_hashes given: they win over the cnf's; its host-ID check applies */
	assert_string_equal(c->url, "https://198.18.0.1:8443/phone");
	assert_int_equal(c->n_more_urls, 0);
	assert_true(c->host_id_check);
	assert_int_equal(c->n_cert_hashes, 2);
	assert_memory_equal(c->cert_hashes[1], hash_a, 20);
	assert_int_equal(c->n_dns, 2);
	inet_pton(AF_INET, "198.18.0.54", &a);
	assert_int_equal(c->dns[1].s_addr, a.s_addr);
	assert_string_equal(c->cnf, fx->cnf);
	assert_int_equal(c->count, 3000);
	assert_int_equal(c->n_models, 2);
	assert_string_equal(c->models[1].model, "7962");
	assert_float_equal(c->models[1].share, 0.4, 1e-12);
	assert_int_equal(c->auth, AUTH_PASSWORD);
	assert_string_equal(c->user_pattern, "phone%i");
	assert_string_equal(c->password_pattern, "secret-%m");
	assert_int_equal(c->n_source, 3);
	inet_pton(AF_INET, "198.18.65.7", &a);
	assert_int_equal(c->source[2], a.s_addr);
	assert_true(c->mac_base == 0x001122334455ULL);
	assert_float_equal(c->lsc_share, 1.0, 0);
	assert_int_equal(c->fetch_config, FETCH_ON_CONNECT);
	inet_pton(AF_INET, "10.1.2.3", &a);
	assert_int_equal(c->tftp.s_addr, a.s_addr);
	assert_float_equal(c->rate, 2.5, 0);
	assert_int_equal(c->duration_us, 300000000);
	assert_int_equal(c->connect_timeout_us, 1500000);
	assert_int_equal(c->threads, 2);
	assert_int_equal(c->dtls_mode, DTLS_MODE_PSK);
	assert_int_equal(c->client, CLIENT_ANYCONNECT);
}

/* phones.client: phone (the default) or anyconnect; PSK-NEGOTIATE is not a phone's. */
static void test_client(void **state)
{
	struct fixture *fx = *state;
	static const char *const base = "[headend]\nurl = https://198.18.0.1/svc\n"
					"cert_hashes = " HASH_B64 "\ndns = 198.18.0.53\n"
					"[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n";
	char text[1024];

	snprintf(text, sizeof(text), "%s[dtls]\nmode = legacy\n", base);
	write_ini(fx, text, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_int_equal(fx->cfg.client, CLIENT_PHONE);
	config_free(&fx->cfg);

	snprintf(text, sizeof(text), "%sclient = Phone\n[dtls]\nmode = auto\n", base);
	write_ini(fx, text, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_int_equal(fx->cfg.client, CLIENT_PHONE);
	config_free(&fx->cfg);

	snprintf(text, sizeof(text), "%sclient = desktop\n", base);
	write_ini(fx, text, fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:9: phones.client: \"desktop\" is not one of phone, anyconnect", fx->ini);

	/* a phone does legacy DTLS only: psk is refused, naming the line that asks for it */
	snprintf(text, sizeof(text), "%s[dtls]\nmode = psk\n", base);
	write_ini(fx, text, fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:10: dtls.mode: psk is not what a phone does (its DTLS is legacy DTLS "
		     "0.9): give phones.client = anyconnect for PSK-NEGOTIATE",
		     fx->ini);
	const char *ov[] = {"phones.client=anyconnect"};
	expect_ok(fx, ov, 1);
	assert_int_equal(fx->cfg.client, CLIENT_ANYCONNECT);
	assert_int_equal(fx->cfg.dtls_mode, DTLS_MODE_PSK);
	config_free(&fx->cfg);
}

/* cnf stands in for url and cert_hashes; a line longer than inih's 200 works. */
static void test_cnf_and_long_line(void **state)
{
	struct fixture *fx = *state;
	char hashes[700] = "";

	for (int i = 0; i < 10; i++)
		strcat(strcat(hashes, i ? ", " : ""), HASH_COLON);
	write_ini(fx,
		  "[headend]\ncnf = %3$s\ndns = 198.18.0.53\n"
		  "[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key, fx->cnf);
	expect_ok(fx, NULL, 0);
	assert_string_equal(fx->cfg.url, "https://vpn-cnf.lab.test/");
	assert_int_equal(fx->cfg.n_more_urls, 1);
	assert_string_equal(fx->cfg.more_urls[0], "https://198.18.0.1/");
	assert_int_equal(fx->cfg.n_cert_hashes, 1);
	assert_memory_equal(fx->cfg.cert_hashes[0], hash_a, 20);
	assert_true(fx->cfg.host_id_check);
	config_free(&fx->cfg);

	/* a file that is not a phone config is refused, naming the line and the key */
	write_ini(fx,
		  "[headend]\ncnf = %1$s\n"
		  "[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:2: headend.cnf: %s: no <vpnGroup> element", fx->ini,
		     fx->ca_cert);

	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\n"
		  "cert_hashes = %3$s\n"
		  "[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n"
		  "[run]\nthreads = 4", /* last line without a newline */
		  fx->ca_cert, fx->ca_key, hashes);
	expect_ok(fx, NULL, 0);
	assert_int_equal(fx->cfg.n_cert_hashes, 10);
	assert_memory_equal(fx->cfg.cert_hashes[9], hash_a, 20);
	assert_int_equal(fx->cfg.threads, 4);
}

/* ==== Errors in the file ==== */

static void test_unknown_section(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, MINIMAL "[phone]\ncount = 3\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:10: [phone]: unknown section", fx->ini);

	/* Even with no key under it. */
	write_ini(fx, MINIMAL "[ramp]\n[rmap]\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:11: [rmap]: unknown section", fx->ini);
}

static void test_unsupported_sections(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, MINIMAL "[event]\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:10: [event]: give the event a name: [event.NAME]", fx->ini);
	/* [traffic] is understood now: its unknown keys are errors like any other */
	write_ini(fx, MINIMAL "\n[traffic]\nrtp = on\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:12: traffic.rtp: unknown key", fx->ini);
	/* calls without a far end: refused, naming the missing key */
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s: traffic.target: required key missing (traffic.calls is above 0)",
		     fx->ini);
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\ntarget = 198.18.0.1:5004\ncodec = g728\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:13: traffic.codec: \"g728\" is not g711, g729 or g722",
		     fx->ini);
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\ntarget = 198.18.0.1:5004\nptime = 25ms\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:13: traffic.ptime: \"25ms\" is not 10ms, 20ms, ... 120ms",
		     fx->ini);
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\ntarget = 198.18.0.1:5004\ncodec = G729\n",
		  fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_string_equal(fx->cfg.codec, "g729");
	assert_float_equal(fx->cfg.calls, 0.3, 1e-12);
	assert_int_equal(ntohs(fx->cfg.voice_target.sin_port), 5004);
	assert_false(fx->cfg.voice_p2p);
	/* phone to phone, and a far end that is neither */
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\ntarget = Phones\n", fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_true(fx->cfg.voice_p2p);
	write_ini(fx, MINIMAL "[traffic]\ncalls = 30%%\ntarget = reflector\n", fx->ca_cert,
		  fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:12: traffic.target: \"reflector\" is not ADDR:PORT (an IPv4 address "
		     "inside the network) or phones",
		     fx->ini);
	write_ini(fx, MINIMAL "[event.rotate]\nat = 5m\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:10: event.rotate.action: required key missing", fx->ini);
}

/*
 * traffic.path: tunnel unless told; direct only for calls to a reflector,
 * and never beside what needs a tunnel (a config fetch, an event that acts
 * on the phones' connections), each refusal naming the key's line.
 */
static void test_traffic_path(void **state)
{
	struct fixture *fx = *state;
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	static const struct {
		const char *calls, *target; /* lines 11 and 12, under [traffic] on line 10 */
		const char *tail;	    /* from line 13 */
		const char *want;	    /* the error after "FILE:"; NULL: loads */
	} cases[] = {
	    {"100%", "127.0.0.1:5004", "path = direct\n", NULL},
	    {"100%", "127.0.0.1:5004", "path = DIRECT\n", NULL},
	    {"100%", "127.0.0.1:5004", "path = tunnel\n", NULL},
	    {"100%", "127.0.0.1:5004", "path = udp\n",
	     "13: traffic.path: \"udp\" is not one of tunnel, direct"},
	    {"0", "127.0.0.1:5004", "path = direct\n",
	     "13: traffic.path: direct measures calls: give traffic.calls above 0"},
	    {"100%", "phones", "path = direct\n",
	     "13: traffic.path: direct sends to a reflector: give traffic.target as ADDR:PORT "
	     "(phone to phone goes through the headend's tunnels)"},
	    {"100%", "127.0.0.1:5004", "path = direct\n[phones]\nfetch_config = on_connect\n",
	     "13: traffic.path: direct has no tunnel to fetch a config through: "
	     "phones.fetch_config must be never"},
	    {"100%", "127.0.0.1:5004", "path = direct\n[event.r]\nat = 5s\naction = reset\n",
	     "13: traffic.path: direct has no tunnel for event.r (action = reset) to act on"},
	    {"50%", "127.0.0.1:5004",
	     "path = direct\n[event.c]\nat = 5s\naction = cut\nduration = 1s\n",
	     "13: traffic.path: direct has no tunnel for event.c (action = cut) to act on"},
	    /* an event that leaves the phones' connections alone is fine */
	    {"100%", "127.0.0.1:5004", "path = direct\n[event.m]\nat = 5s\naction = mark\n",
	     NULL},
	};
	char want[SCENARIO_ERRORS_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_ini(fx, MINIMAL "[traffic]\ncalls = %3$s\ntarget = %4$s\n%5$s", fx->ca_cert,
			  fx->ca_key, cases[i].calls, cases[i].target, cases[i].tail);
		memset(tl, 0, sizeof(*tl));
		config_free(&fx->cfg);
		int rc = scenario_load_run(fx->ini, NULL, 0, &fx->cfg, tl, NULL, fx->err,
					   sizeof(fx->err));
		if (!cases[i].want) {
			if (rc)
				fail_msg("case %zu refused: %s", i, fx->err);
			assert_int_equal(fx->cfg.voice_direct,
					 strcasestr(cases[i].tail, "direct") != NULL);
			continue;
		}
		assert_int_equal(rc, -1);
		snprintf(want, sizeof(want), "%s:%s", fx->ini, cases[i].want);
		if (strcmp(fx->err, want))
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, fx->err, want);
	}
	/* the default is the tunnel; an override sets direct as the file does */
	write_ini(fx, MINIMAL "[traffic]\ncalls = 100%%\ntarget = 127.0.0.1:5004\n", fx->ca_cert,
		  fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_false(fx->cfg.voice_direct);
	const char *ov[] = {"traffic.path=direct"};
	expect_ok(fx, ov, 1);
	assert_true(fx->cfg.voice_direct);
	free(tl);
}

/* run.priority: normal unless told, realtime in any case, anything else named by its line. */
static void test_run_priority(void **state)
{
	struct fixture *fx = *state;
	const char *ov[] = {"run.priority=realtime"};

	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_false(fx->cfg.realtime);
	expect_ok(fx, ov, 1);
	assert_true(fx->cfg.realtime);
	write_ini(fx, MINIMAL "[run]\npriority = RealTime\n", fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_true(fx->cfg.realtime);
	write_ini(fx, MINIMAL "[run]\npriority = normal\n", fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_false(fx->cfg.realtime);
	write_ini(fx, MINIMAL "[run]\npriority = high\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:11: run.priority: \"high\" is not one of normal, realtime",
		     fx->ini);
}

/* [event.NAME] and [expect]: what is kept, and every error named by file, line and key. */
static void test_timeline(void **state)
{
	struct fixture *fx = *state;
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	static const struct {
		const char *tail; /* after MINIMAL, from line 10 */
		const char *want; /* the error after "FILE:" */
	} bad[] = {
	    {"[event.a]\nat = 5s\naction = rest\n",
	     "12: event.a.action: \"rest\" is not one of mark, reset, fetch, trust, dns, cut, "
	     "impair, exec, lab"},
	    {"[event.a]\nat = 5 days\naction = mark\n",
	     "11: event.a.at: \"5 days\" is not a time: give 90s (after the first arrival), NAME + "
	     "30s (after event NAME), or ramp_end + 10s"},
	    {"[event.a]\nat = 5s\naction = mark\nfraction = 10%\n",
	     "13: event.a.fraction: not a key of action mark"},
	    {"[event.a]\nat = 5s\naction = exec\n",
	     "10: event.a.command: required key missing (action is exec)"},
	    {"[event.a]\nat = b + 5s\naction = mark\n", "11: event.a.at: no event called \"b\""},
	    {"[event.a]\nat = b\naction = mark\n[event.b]\nat = a\naction = mark\n",
	     "11: event.a.at: events anchored on each other in a circle"},
	    /* a key once in the file, an event's too, whatever its sections */
	    {"[event.a]\nat = 1s\naction = mark\n[event.a]\nat = 2s\n",
	     "14: event.a.at: given twice (first on line 11)"},
	    {"[event.a]\nat = 1s\naction = mark\naction = reset\n",
	     "13: event.a.action: given twice (first on line 12)"},
	    {"[event.a]\nat = 5s\naction = reset\nphones = 9-1\n",
	     "13: event.a.phones: \"9-1\" is not a list of phone indexes and ranges "
	     "(0-9,100,200-299)"},
	    {"[event.a]\nat = 5s\naction = cut\nduration = 0s\n",
	     "13: event.a.duration: \"0s\" is not a duration above zero (250ms, 20s, 5m)"},
	    {"[event.a]\nat = 5s\naction = mark\ncolour = red\n",
	     "13: event.a.colour: unknown key (at, action, fraction, phones, spread, fetch_config, "
	     "hashes, servers, duration, loss, command, timeout)"},
	    {"[expect]\ntunnels_up >= 99%\nlatency.time_to_tunnel.p99 < 2\n",
	     "12: expect: latency.time_to_tunnel.p99: give the bound as a duration (250ms, 2s)"},
	    {"[expect]\nduring x..end: up == 100%\n",
	     "11: expect: during x..end: no event called \"x\""},
	};
	char want[600];

	assert_non_null(tl);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char tmpl[600];

		snprintf(tmpl, sizeof(tmpl), "%s%s", MINIMAL, bad[i].tail);
		write_ini(fx, tmpl, fx->ca_cert, fx->ca_key);
		memset(tl, 0, sizeof(*tl));
		config_free(&fx->cfg);
		assert_int_equal(scenario_load_run(fx->ini, NULL, 0, &fx->cfg, tl, NULL, fx->err,
						   sizeof(fx->err)), -1);
		snprintf(want, sizeof(want), "%s:%s", fx->ini, bad[i].want);
		if (strcmp(fx->err, want))
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, fx->err, want);
	}

	write_ini(fx, MINIMAL "[event.add-hash]\nat = 30s\naction = mark\n"
			      "[event.reset-all]\nat = add-hash + 5s\naction = reset\n"
			      "fraction = 90%%\nspread = 10s\nphones = 0-9,50\n"
			      "[event.rotate]\nat = reset-all+1m\naction = lab\ncommand = rotate\n"
			      "[expect]\n; a comment\ntunnels_up >= 99.5%%\n"
			      "during rotate..end: tunnels_dropped == 0\n",
		  fx->ca_cert, fx->ca_key);
	memset(tl, 0, sizeof(*tl));
	config_free(&fx->cfg);
	const char *ov[] = {"event.rotate.at=reset-all + 2m"};
	if (scenario_load_run(fx->ini, ov, 1, &fx->cfg, tl, NULL, fx->err, sizeof(fx->err)))
		fail_msg("%s", fx->err);
	assert_int_equal(tl->n_ev, 3);
	assert_string_equal(tl->ev[1].name, "reset-all");
	assert_string_equal(tl->ev[1].anchor, "add-hash");
	assert_int_equal(tl->ev[1].at_us, 5000000);
	assert_int_equal(tl->ev[1].action, EV_RESET);
	assert_float_equal(tl->ev[1].cmd.sel.fraction, 0.9, 1e-12);
	assert_int_equal(tl->ev[1].cmd.sel.n_ranges, 2);
	assert_int_equal(tl->ev[1].cmd.sel.hi[0], 9);
	assert_int_equal(tl->ev[1].cmd.sel.lo[1], 50);
	assert_int_equal(tl->ev[1].cmd.spread_us, 10000000);
	assert_int_equal(tl->ev[0].line, 10);
	assert_string_equal(tl->ev[2].anchor, "reset-all");
	assert_int_equal(tl->ev[2].at_us, 120000000); /* the override won */
	assert_string_equal(tl->ev[2].command, "rotate");
	assert_int_equal(tl->n_ex, 2);
	assert_int_equal(tl->ex_line[0], 25);
	assert_string_equal(tl->ex[1].from, "rotate");
	assert_string_equal(tl->ex[1].metric, "tunnels_dropped");
	free(tl);
}

static void test_unknown_key(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, MINIMAL "[ramp]\nrate = 5\nspeed = 3\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:12: ramp.speed: unknown key", fx->ini);

	/* A key of another section is unknown here. */
	write_ini(fx, MINIMAL "[run]\ncount = 3\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:11: run.count: unknown key", fx->ini);
}

static void test_bad_values(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
	    {"[phones]\nmodels = 8861:60%,7962:30%",
	     "phones.models: \"8861:60%,7962:30%\" is not a model mix such as "
	     "8861:60,7962:40 (at most 16 models; percentages must sum to "
	     "100%)"},
	    {"[phones]\nmodels = 8861,9999",
	     "phones.models: unknown model 9999 (known: 7962 7965 7841 8845 8861 9971)"},
	    {"[phones]\nauth = cert", "phones.auth: \"cert\" is not one of certificate, password"},
	    {"[phones]\nidentity = x",
	     "phones.identity: \"x\" is not mic, lsc, or a mix such as mic:70%,lsc:30%"},
	    {"[phones]\nsource = 198.18.0.1/24",
	     "phones.source: \"198.18.0.1/24\" is not a list of IPv4 "
	     "addresses, ranges or CIDR blocks (at most 1048576 addresses)"},
	    {"[phones]\nmac_base = 00:11:22",
	     "phones.mac_base: \"00:11:22\" is not a MAC address such as "
	     "00:11:22:33:44:55"},
	    {"[phones]\nuser =", "phones.user: empty value"},
	    {"[ramp]\nrate = 0", "ramp.rate: 0: must be more than 0 phones "
				 "per second"},
	    {"[ramp]\nrate = fast", "ramp.rate: \"fast\" is not a number"},
	    {"[run]\nduration = 5 mins",
	     "run.duration: \"5 mins\" is not a duration (250ms, 20s, 5m, "
	     "2h...)"},
	    {"[run]\nconnect_timeout = 0s", "run.connect_timeout: 0s: must be longer than 0"},
	    {"[run]\nthreads = 257", "run.threads: 257 is out of range (0..256)"},
	    {"[phones]\nfetch_config = always",
	     "phones.fetch_config: \"always\" is not one of never, on_connect"},
	    {"[phones]\ntftp = tftp.lab.test",
	     "phones.tftp: \"tftp.lab.test\" is not an IPv4 address"},
	    {"[dtls]\nmode = dtls1.2",
	     "dtls.mode: \"dtls1.2\" is not one of auto, legacy, psk, off"},
	    {"[headend]\ndns = 198.18.0.53,198.18.0.54,198.18.0.55",
	     "headend.dns: \"198.18.0.53,198.18.0.54,198.18.0.55\" is not one "
	     "or 2 IPv4 addresses"},
	    {"[headend]\ndns = ns.lab.test",
	     "headend.dns: \"ns.lab.test\" is not one or 2 IPv4 addresses"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_ini(fx, MINIMAL "%3$s\n", fx->ca_cert, fx->ca_key, cases[i].line);
		expect_error(fx, NULL, 0, "%s:11: %s", fx->ini, cases[i].msg);
	}
}

static void test_bad_value_count(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx,
		  "[headend]\nurl = https://vpn.lab.test/\ncert_hashes = " HASH_B64
		  "\n[phones]\ncount = 12x\nca_cert = %1$s\nca_key = %2$s\n[headend]\n"
		  "dns = 198.18.0.53\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:5: phones.count: \"12x\" is not a whole number", fx->ini);
	/* a value refused is not also missing; what else is missing is said too */
	write_ini(fx, "[phones]\ncount = 1000001\n");
	expect_error(fx, NULL, 0,
		     "%1$s:2: phones.count: 1000001 is out of range (1..1000000)\n"
		     "%1$s: headend.cert_hashes: required key missing (or give headend.cnf)\n"
		     "%1$s: headend.url: required key missing (or give headend.cnf)\n"
		     "%1$s: phones.ca_cert: required key missing (phones.auth is certificate)",
		     fx->ini);
}

static void test_bad_url_and_hashes(void **state)
{
	struct fixture *fx = *state;
	static const char *const urls[] = {
	    "http://vpn.lab.test/", "https://",	      "https:///x",   "https://vpn:0/",
	    "https://vpn:70000/",   "https://vpn:x/", "vpn.lab.test", "https://vpn lab/",
	    /* what the engine cannot use either: a query or fragment without a path */
	    "https://1.2.3.4:443?x", "https://vpn#top",
	};
	const char *ov[1];

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		write_ini(fx, "[headend]\nurl = %3$s\ncert_hashes = " HASH_B64 "\n" PHONES,
			  fx->ca_cert, fx->ca_key, urls[i]);
		expect_error(fx, NULL, 0,
			     "%s:2: headend.url: \"%s\" is not an https:// URL "
			     "with a host",
			     fx->ini, urls[i]);
	}
	write_ini(fx, "[headend]\nurl = https://[::1]/\ncert_hashes = " HASH_B64 "\n" PHONES,
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:2: headend.url: \"https://[::1]/\": an IPv6 address cannot be the host "
		     "(give a name or an IPv4 address)",
		     fx->ini);
	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	ov[0] = "headend.url=https://1.2.3.4:443?x";
	expect_error(fx, ov, 1,
		     "-s headend.url=https://1.2.3.4:443?x: headend.url: \"https://1.2.3.4:443?x\" "
		     "is not an https:// URL with a host");
	write_ini(fx, "[headend]\n\ncert_hashes = abc\nurl = https://198.18.0.1/\n" PHONES,
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:3: headend.cert_hashes: \"abc\" is not a list of 1 to "
		     "10 SHA-1 hashes (Base64, 28 characters, or hex, 40 digits)",
		     fx->ini);
	write_ini(
	    fx, "[headend]\ncert_hashes = @/nonexistent/h.b64\nurl = https://198.18.0.1/\n" PHONES,
	    fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:2: headend.cert_hashes: /nonexistent/h.b64: No such "
		     "file or directory",
		     fx->ini);
}

/* ==== headend.spread: phone k to headend k mod N (a lab convenience) ==== */

static void test_spread(void **state)
{
	struct fixture *fx = *state;
	struct swarm_config *c = &fx->cfg;
	const char *ov[1];
	struct url u;

	write_ini(fx, MINIMAL "[headend]\nspread = https://198.18.2.1/svc , https://198.18.3.1:8443/\n",
		  fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_string_equal(c->url, "https://198.18.0.1/");
	assert_int_equal(c->n_spread, 2);
	assert_string_equal(c->spread[0], "https://198.18.2.1/svc");
	assert_string_equal(c->spread[1], "https://198.18.3.1:8443/");
	assert_int_equal(config_dns_missing(c, &u), -1);
	/* an override replaces the list */
	ov[0] = "headend.spread=https://198.18.4.1/";
	expect_ok(fx, ov, 1);
	assert_int_equal(c->n_spread, 1);
	assert_string_equal(c->spread[0], "https://198.18.4.1/");
	/* not given: none */
	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	assert_int_equal(c->n_spread, 0);

	/* each URL is checked as headend.url is */
	write_ini(fx, MINIMAL "[headend]\nspread = https://198.18.2.1/, http://198.18.3.1/\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:11: headend.spread: \"http://198.18.3.1/\" is not an https:// URL "
		     "with a host",
		     fx->ini);
	write_ini(fx, MINIMAL "[headend]\nspread = https://198.18.2.1/,,https://198.18.3.1/\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:11: headend.spread: \"https://198.18.2.1/,,https://198.18.3.1/\" is not "
		     "a list of 1 to 8 https:// URLs",
		     fx->ini);
	write_ini(fx,
		  MINIMAL "[headend]\nspread = https://a/,https://b/,https://c/,https://d/,"
			  "https://e/,https://f/,https://g/,https://h/,https://i/\ndns = 198.18.0.53\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:11: headend.spread: \"https://a/,https://b/,https://c/,https://d/,"
		     "https://e/,https://f/,https://g/,https://h/,https://i/\": more than 8 URLs",
		     fx->ini);
	/* a name in the list needs the phones' DNS servers, as headend.url's does */
	write_ini(fx, MINIMAL "[headend]\nspread = https://198.18.2.1/, https://vpn3.lab.test/\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s: headend.dns: required key missing (headend.spread's URL 2 names a host, "
		     "vpn3.lab.test)",
		     fx->ini);
}

/* The spread rule: phone idx takes the (idx mod (1 + n))-th of headend.url and the n URLs. */
static void test_spread_rule(void **state)
{
	(void)state;
	/* without headend.spread every phone takes headend.url */
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(config_spread_pick(i, 0), 0);
	/* one more headend: even phones to headend.url, odd ones to the spread URL */
	static const int two[] = {0, 1, 0, 1, 0, 1};
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(config_spread_pick(i, 1), two[i]);
	/* two more: 0, 1, 2, 0, 1, 2, ... up to the last phone number */
	static const int three[] = {0, 1, 2, 0, 1, 2, 0};
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(config_spread_pick(i, 2), three[i]);
	assert_int_equal(config_spread_pick(9999, 2), 0);    /* 9999 = 3 * 3333 */
	assert_int_equal(config_spread_pick(UINT32_MAX, 2), 0); /* 2^32 - 1 = 3 * 1431655765 */
	assert_int_equal(config_spread_pick(UINT32_MAX, 1), 1);

	/* the fleet's slots: url1 is the phone's own, the failover URLs everyone's */
	struct fleet f = {.n_urls = 2, .n_spread = 2};

	assert_int_equal(fleet_url_slot(&f, 0, 0), 0);			 /* headend.url */
	assert_int_equal(fleet_url_slot(&f, 1, 0), CONFIG_MAX_URLS);	 /* spread[0] */
	assert_int_equal(fleet_url_slot(&f, 2, 0), CONFIG_MAX_URLS + 1); /* spread[1] */
	assert_int_equal(fleet_url_slot(&f, 3, 0), 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(fleet_url_slot(&f, i, 1), 1); /* url2: failover, the same for all */
	f.n_spread = 0;
	assert_int_equal(fleet_url_slot(&f, 1, 0), 0);
}

static void test_unreadable_ca(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, MINIMAL "[phones]\nmic_ca = /nonexistent/ca.pem\nmic_ca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s:11: phones.mic_ca: /nonexistent/ca.pem: No such file "
		     "or directory",
		     fx->ini);
	write_ini(fx, MINIMAL, fx->ca_cert, "/tmp");
	expect_error(fx, NULL, 0, "%s:8: phones.ca_key: /tmp: Is a directory", fx->ini);
}

static void test_key_twice(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, MINIMAL "[phones]\ncount = 200\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:11: phones.count: given twice (first on line 6)", fx->ini);
}

static void test_missing_required(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64
		  "\n[phones]\nca_cert = %1$s\nca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s: phones.count: required key missing", fx->ini);

	write_ini(fx, "[headend]\nurl = https://198.18.0.1/\n" PHONES, fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s: headend.cert_hashes: required key missing (or give "
		     "headend.cnf)",
		     fx->ini);

	write_ini(fx,
		  "[headend]\ncert_hashes = " HASH_B64 "\n"
		  "[phones]\ncount = 1\nca_cert = %1$s\nca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s: headend.url: required key missing (or give headend.cnf)",
		     fx->ini);

	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64
		  "\n[phones]\ncount = 1\nca_cert = %1$s\n",
		  fx->ca_cert);
	expect_error(fx, NULL, 0,
		     "%s: phones.ca_key: required key missing (phones.auth is "
		     "certificate)",
		     fx->ini);

	write_ini(fx, "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64
		      "\n[phones]\ncount = 1\nauth = password\nuser = u%%i\n");
	expect_error(fx, NULL, 0,
		     "%s: phones.password: required key missing (phones.auth is "
		     "password)",
		     fx->ini);
}

static void test_syntax(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx, "count = 1\n" MINIMAL, fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:1: count: key outside any [section]", fx->ini);
	write_ini(fx, MINIMAL "[phones]\n\nmodels 8861\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:12: not a [section] or a key = value line", fx->ini);
	/* its keys are passed over: one message for the header */
	write_ini(fx, MINIMAL "[phones\nmodels = 9999\n", fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:10: a [section] header without its ]", fx->ini);
}

static void test_missing_file(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->ini, sizeof(fx->ini), "/nonexistent/demo.ini");
	expect_error(fx, NULL, 0, "/nonexistent/demo.ini: No such file or directory");
	fx->ini[0] = '\0';
}

static void test_short_error_buffer(void **state)
{
	struct fixture *fx = *state;
	char err[16];

	memset(err, 'X', sizeof(err));
	write_ini(fx, "[phones]\ncount = 12x\n");
	assert_int_equal(scenario_load(fx->ini, NULL, 0, &fx->cfg, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, fx->ini, sizeof(err) - 1);
}

/* ==== Overrides ==== */

static void test_override_wins(void **state)
{
	struct fixture *fx = *state;
	const char *const ov[] = {
	    "phones.count=7",  " ramp.rate = 0.5 ",
	    "run.duration=2h", "phones.count=9", /* the last of two overrides wins */
	    "dtls.mode=off",
	};

	write_ini(fx, MINIMAL "[ramp]\nrate = 50\n", fx->ca_cert, fx->ca_key);
	expect_ok(fx, ov, 3);
	assert_int_equal(fx->cfg.count, 7);
	assert_float_equal(fx->cfg.rate, 0.5, 0);
	assert_int_equal(fx->cfg.duration_us, 7200000000ULL);

	expect_ok(fx, ov, 5);
	assert_int_equal(fx->cfg.count, 9);
	assert_int_equal(fx->cfg.dtls_mode, DTLS_MODE_OFF);

	/* Without the overrides the file's values stand. */
	expect_ok(fx, NULL, 0);
	assert_int_equal(fx->cfg.count, 100);
	assert_float_equal(fx->cfg.rate, 50, 0);
}

static void test_override_supplies_required(void **state)
{
	struct fixture *fx = *state;
	char ca[128];
	const char *const ov[] = {"phones.count=5", ca, "phones.source=198.18.64.1-198.18.64.4"};

	snprintf(ca, sizeof(ca), "phones.ca_key=%s", fx->ca_key);
	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64
		  "\n[phones]\nca_cert = %1$s\nsource = 198.18.0.9\n",
		  fx->ca_cert);
	expect_ok(fx, ov, 3);
	assert_int_equal(fx->cfg.count, 5);
	assert_string_equal(fx->cfg.ca_key, fx->ca_key);
	assert_int_equal(fx->cfg.n_source, 4); /* replaced, not appended */
}

static void test_bad_overrides(void **state)
{
	struct fixture *fx = *state;
	const char *ov[1];

	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);

	ov[0] = "phones.count=12x";
	expect_error(fx, ov, 1,
		     "-s phones.count=12x: phones.count: \"12x\" is not a whole "
		     "number");
	ov[0] = "ramp.speed=3";
	expect_error(fx, ov, 1, "-s ramp.speed=3: ramp.speed: unknown key");
	ov[0] = "phone.count=3";
	expect_error(fx, ov, 1, "-s phone.count=3: [phone]: unknown section");
	ov[0] = "event.rotate.at=5m";
	expect_error(fx, ov, 1, "%s: event.rotate.action: required key missing", fx->ini);
	ov[0] = "expect.up=5";
	expect_error(fx, ov, 1,
		     "-s expect.up=5: [expect]: expectations are lines of the file, not -s "
		     "overrides");
	ov[0] = "phones.count";
	expect_error(fx, ov, 1, "-s phones.count: expected section.key=value");
	ov[0] = "count=3";
	expect_error(fx, ov, 1, "-s count=3: expected section.key=value");
	ov[0] = "phones.=3";
	expect_error(fx, ov, 1, "-s phones.=3: expected section.key=value");
	ov[0] = "phones.count=";
	expect_error(fx, ov, 1, "-s phones.count=: phones.count: empty value");
}

/* ==== Checks once the file and the overrides are in ==== */

/* headend.cnf's URLs are checked as headend.url is, naming the file and the entry. */
static void test_cnf_urls(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *urls; /* the cnf's <url1>... */
		const char *want; /* the error after "INI:2: headend.cnf: CNF: " */
	} cases[] = {
	    {"<url1>http://vpn.example/</url1>",
	     "url1: \"http://vpn.example/\" is not an https:// URL with a host"},
	    {"<url1>https://198.18.0.1/</url1><url2>https://198.18.0.2:70000/</url2>",
	     "url2: \"https://198.18.0.2:70000/\" is not an https:// URL with a host"},
	};
	char cnf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[512];

		snprintf(
		    doc, sizeof(doc),
		    "<device><vpnGroup><addresses>%s</addresses><credentials><certHash1>" HASH_B64
		    "</certHash1></credentials></vpnGroup></device>\n",
		    cases[i].urls);
		make_temp(cnf, sizeof(cnf), doc);
		write_ini(fx,
			  "[headend]\ncnf = %3$s\n[phones]\ncount = 1\nca_cert = %1$s\n"
			  "ca_key = %2$s\n",
			  fx->ca_cert, fx->ca_key, cnf);
		expect_error(fx, NULL, 0, "%s:2: headend.cnf: %s: %s", fx->ini, cnf, cases[i].want);
		/* not used, not checked: headend.url wins over the cnf's */
		write_ini(fx,
			  "[headend]\ncnf = %3$s\nurl = https://198.18.0.1/\n[phones]\n"
			  "count = 1\nca_cert = %1$s\nca_key = %2$s\n",
			  fx->ca_cert, fx->ca_key, cnf);
		expect_ok(fx, NULL, 0);
		unlink(cnf);
	}
}

/* A URL naming a host needs headend.dns, whichever key gave the URL. */
static void test_dns_required(void **state)
{
	struct fixture *fx = *state;
	char cnf[64];
	const char *ov[1] = {"headend.url=https://vpn.lab.test/"};

	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	expect_error(fx, ov, 1,
		     "%s: headend.dns: required key missing (headend.url names a host, "
		     "vpn.lab.test)",
		     fx->ini);
	write_ini(fx, MINIMAL "[headend]\ndns = 198.18.0.53\n", fx->ca_cert, fx->ca_key);
	expect_ok(fx, ov, 1);

	make_temp(cnf, sizeof(cnf),
		  "<vpnGroup><url1>https://198.18.0.1/</url1><url2>https://backup.lab.test/</url2>"
		  "<certHash1>" HASH_B64 "</certHash1></vpnGroup>");
	write_ini(fx,
		  "[headend]\ncnf = %3$s\n[phones]\ncount = 1\nca_cert = %1$s\n"
		  "ca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key, cnf);
	expect_error(fx, NULL, 0,
		     "%s: headend.dns: required key missing (url2 of headend.cnf names a host, "
		     "backup.lab.test)",
		     fx->ini);
	unlink(cnf);
}

/* Every certificate phone finds the CA of its chain; password phones need none. */
static void test_chains(void **state)
{
	struct fixture *fx = *state;
	const char *ov[2];

	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64 "\n"
		  "[phones]\ncount = 10\nmodels = 8861,7962\nmic_ca = %1$s\nmic_ca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_error(fx, NULL, 0,
		     "%s: phones.mic_sha1_ca: required key missing (model 7962 presents a MIC on "
		     "the SHA-1 manufacturing chain; or give phones.ca_cert for every phone)",
		     fx->ini);
	ov[0] = "phones.models=8861";
	expect_ok(fx, ov, 1);
	ov[1] = "phones.identity=mic:50%,lsc:50%";
	expect_error(fx, ov, 2,
		     "%s: phones.lsc_ca: required key missing (phones.identity has LSC phones; "
		     "or give phones.ca_cert for every phone)",
		     fx->ini);
	ov[0] = "phones.identity=lsc"; /* LSCs only: no MIC chain needed, but the CAPF's */
	expect_error(fx, ov, 1,
		     "%s: phones.lsc_ca: required key missing (phones.identity has LSC phones; "
		     "or give phones.ca_cert for every phone)",
		     fx->ini);
	ov[1] = "phones.auth=password";
	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64 "\n"
		  "[phones]\ncount = 10\nmodels = 7962\nuser = u\npassword = p\n"
		  "mic_ca = %1$s\nmic_ca_key = %2$s\n",
		  fx->ca_cert, fx->ca_key);
	expect_ok(fx, ov + 1, 1);
}

/* The CA files must be a PEM certificate and its key: the message names the file's key. */
static void test_ca_files(void **state)
{
	struct fixture *fx = *state;
	char ov0[128];
	const char *ov[1] = {ov0};

	write_ini(fx, MINIMAL, fx->cnf, fx->ca_key);
	expect_error(fx, NULL, 0, "%s:7: phones.ca_cert: %s: not a PEM certificate", fx->ini,
		     fx->cnf);
	write_ini(fx, MINIMAL, fx->ca_cert, fx->cnf);
	expect_error(fx, NULL, 0, "%s:8: phones.ca_key: %s: not a PEM private key", fx->ini,
		     fx->cnf);
	write_ini(fx, MINIMAL, fx->ca_cert, fx->other_key);
	expect_error(fx, NULL, 0, "%s:8: phones.ca_key: %s does not match %s", fx->ini,
		     fx->other_key, fx->ca_cert);
	/* a key, not the certificate, given by -s: the override is named */
	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	snprintf(ov0, sizeof(ov0), "phones.ca_key=%s", fx->cnf);
	expect_error(fx, ov, 1, "-s %s: phones.ca_key: %s: not a PEM private key", ov0, fx->cnf);
	/* the per-chain CAs likewise */
	write_ini(fx,
		  "[headend]\nurl = https://198.18.0.1/\ncert_hashes = " HASH_B64 "\n"
		  "[phones]\ncount = 10\nmic_ca = %1$s\nmic_ca_key = %2$s\n",
		  fx->ca_cert, fx->cnf);
	expect_error(fx, NULL, 0, "%s:7: phones.mic_ca_key: %s: not a PEM private key", fx->ini,
		     fx->cnf);
	/* password phones mint nothing: their CA files are not read */
	write_ini(fx, MINIMAL "[phones]\nauth = password\nuser = u\npassword = p\n", fx->cnf,
		  fx->cnf);
	expect_ok(fx, NULL, 0);
}

/* An event's keys named where they are: their own line, or their -s override. */
static void test_event_key_origins(void **state)
{
	struct fixture *fx = *state;
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	const char *ov[] = {"event.a.at=3s", "event.a.command=rotate"};

	assert_non_null(tl);
	write_ini(fx, MINIMAL "[event.a]\nat = 1s\naction = mark\n", fx->ca_cert, fx->ca_key);
	/* an override may repeat a key of the file */
	assert_int_equal(
	    scenario_load_run(fx->ini, ov, 1, &fx->cfg, tl, NULL, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(tl->ev[0].at_us, 3000000);
	config_free(&fx->cfg);
	memset(tl, 0, sizeof(*tl));
	assert_int_equal(
	    scenario_load_run(fx->ini, ov, 2, &fx->cfg, tl, NULL, fx->err, sizeof(fx->err)), -1);
	assert_string_equal(fx->err,
			    "-s event.a.command=rotate: event.a.command: not a key of action mark");
	free(tl);
}

/* ==== Every error, and overrides before checks ==== */

/* A scenario with a mistake of each kind: every one is said, in the order found. */
static void test_every_error(void **state)
{
	struct fixture *fx = *state;

	write_ini(fx,
		  "[headend]\n"			   /* 1 */
		  "url = http://vpn.example/\n"	   /* 2: not https */
		  "cert_hashes = " HASH_B64 "\n"   /* 3 */
		  "[phones]\n"			   /* 4 */
		  "count = 12x\n"		   /* 5: not a number */
		  "models = 8861:60%%,7962:30%%\n" /* 6: shares */
		  "ca_cert = %1$s\n"		   /* 7 */
		  "ca_key = /nonexistent/ca.key\n" /* 8: no such file */
		  "count = 3\n"			   /* 9: twice */
		  "[phone]\n"			   /* 10: unknown section */
		  "rate = 5\n"			   /* 11: passed over */
		  "[ramp]\n"			   /* 12 */
		  "rate 5\n"			   /* 13: no = */
		  "speed = 3\n"			   /* 14: unknown key */
		  "[event.a]\n"			   /* 15 */
		  "at = 5s\n"			   /* 16 */
		  "action = rest\n"		   /* 17: unknown action */
		  "[expect]\n"			   /* 18 */
		  "tunnels_up >= lots\n"	   /* 19: no number */
		  "during x..end: up == 100%%\n",  /* 20: no event x */
		  fx->ca_cert);
	expect_error(
	    fx, NULL, 0,
	    "%1$s:9: phones.count: given twice (first on line 5)\n"
	    "%1$s:10: [phone]: unknown section\n"
	    "%1$s:13: not a [section] or a key = value line\n"
	    "%1$s:19: expect: \"lots\": expected a number, a share (99.5%%) or a duration (2s)\n"
	    "%1$s:2: headend.url: \"http://vpn.example/\" is not an https:// URL with a "
	    "host\n"
	    "%1$s:5: phones.count: \"12x\" is not a whole number\n"
	    "%1$s:6: phones.models: \"8861:60%%,7962:30%%\" is not a model mix such as "
	    "8861:60,7962:40 (at most 16 models; percentages must sum to 100%%)\n"
	    "%1$s:8: phones.ca_key: /nonexistent/ca.key: No such file or directory\n"
	    "%1$s:14: ramp.speed: unknown key\n"
	    "%1$s:17: event.a.action: \"rest\" is not one of mark, reset, fetch, trust, "
	    "dns, cut, impair, exec, lab\n"
	    "%1$s:20: expect: during x..end: no event called \"x\"",
	    fx->ini);
}

/*
 * An override replaces the file's value before anything looks at it: a
 * scenario written for the lab runs where the lab's files are not, and a
 * wrong value in the file is no error once -s replaces it.
 */
static void test_override_before_check(void **state)
{
	struct fixture *fx = *state;
	char cert[128], key[128], cnf[128];
	const char *ov[] = {
	    "headend.url=https://198.18.0.1/",
	    "headend.cert_hashes=" HASH_B64,
	    cert,
	    key,
	    "phones.count=3",
	    "event.a.action=mark",
	    "ramp.rate=2",
	};
	struct timeline_spec *tl = calloc(1, sizeof(*tl));

	assert_non_null(tl);
	snprintf(cert, sizeof(cert), "phones.ca_cert=%s", fx->ca_cert);
	snprintf(key, sizeof(key), "phones.ca_key=%s", fx->ca_key);
	write_ini(fx, "[headend]\n"
		      "url = https://vpn.lab.test/\n"
		      "cert_hashes = @/nonexistent/pki/headend.sha1.b64\n"
		      "[phones]\n"
		      "count = many\n"
		      "ca_cert = /nonexistent/pki/ca.pem\n"
		      "ca_key = /nonexistent/pki/ca.key\n"
		      "[ramp]\nrate = 0\n"
		      "[event.a]\nat = 5s\naction = rest\n");
	/* only what no override replaced is looked at */
	if (scenario_load_run(fx->ini, ov, 5, &fx->cfg, tl, NULL, fx->err, sizeof(fx->err)) != -1)
		fail_msg("loaded with event.a.action and ramp.rate wrong");
	snprintf(fx->want, sizeof(fx->want),
		 "%1$s:9: ramp.rate: 0: must be more than 0 phones per second\n"
		 "%1$s:12: event.a.action: \"rest\" is not one of mark, reset, fetch, trust, dns, "
		 "cut, impair, exec, lab",
		 fx->ini);
	assert_string_equal(fx->err, fx->want);
	memset(tl, 0, sizeof(*tl));
	if (scenario_load_run(fx->ini, ov, 7, &fx->cfg, tl, NULL, fx->err, sizeof(fx->err)))
		fail_msg("refused: %s", fx->err);
	assert_string_equal(fx->cfg.url, "https://198.18.0.1/");
	assert_memory_equal(fx->cfg.cert_hashes[0], hash_a, 20);
	assert_string_equal(fx->cfg.ca_cert, fx->ca_cert);
	assert_non_null(fx->cfg.ca[CHAIN_ANY]);
	assert_int_equal(fx->cfg.count, 3);
	assert_float_equal(fx->cfg.rate, 2, 0);
	assert_int_equal(tl->ev[0].action, EV_MARK);

	/* a phone config the file names, replaced by one that is here */
	snprintf(cnf, sizeof(cnf), "headend.cnf=%s", fx->cnf);
	ov[0] = cnf;
	write_ini(fx, "[headend]\ncnf = /nonexistent/SEP.cnf.xml\ndns = 198.18.0.53\n" PHONES,
		  fx->ca_cert, fx->ca_key);
	expect_ok(fx, ov, 1);
	assert_string_equal(fx->cfg.url, "https://vpn-cnf.lab.test/");
	free(tl);
}

/* The scalar settings of c (its owned pointers and what they point to left out). */
static void scalars(const struct swarm_config *c, struct swarm_config *out)
{
	*out = *c;
	out->url = out->cnf = out->user_pattern = out->password_pattern = NULL;
	out->ca_cert = out->ca_key = NULL;
	out->mic_ca = out->mic_ca_key = out->mic_sha1_ca = out->mic_sha1_ca_key = NULL;
	out->lsc_ca = out->lsc_ca_key = NULL;
	memset(out->more_urls, 0, sizeof(out->more_urls));
	memset(out->ca, 0, sizeof(out->ca));
	out->source = NULL;
	out->trace_phones = NULL;
}

/* A key's documented default, written out, changes nothing: the table says what is true. */
static void test_defaults_written_out(void **state)
{
	struct fixture *fx = *state;
	struct swarm_config base, with;
	int n = 0;

	write_ini(fx, MINIMAL, fx->ca_cert, fx->ca_key);
	expect_ok(fx, NULL, 0);
	scalars(&fx->cfg, &base);
	for (int k = 0; k < K__COUNT; k++) {
		if (!scenario_keys[k].def)
			continue;
		write_ini(fx, MINIMAL "[%3$s]\n%4$s = %5$s\n", fx->ca_cert, fx->ca_key,
			  scenario_keys[k].section, scenario_keys[k].name, scenario_keys[k].def);
		expect_ok(fx, NULL, 0);
		scalars(&fx->cfg, &with);
		if (memcmp(&base, &with, sizeof(base)))
			fail_msg("%s.%s = %s is not what the default stands for",
				 scenario_keys[k].section, scenario_keys[k].name,
				 scenario_keys[k].def);
		n++;
	}
	assert_true(n >= 20);
}

/* What the run takes, as text: file, -s and default told apart; events and [expect] too. */
static void test_settings(void **state)
{
	struct fixture *fx = *state;
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	struct scenario_settings st;
	const char *ov[] = {"ramp.rate=2.5", "event.a.at=7s"};
	char line6[128];
	int found = 0;

	assert_non_null(tl);
	write_ini(fx, MINIMAL "[event.a]\nat = 1s\naction = mark\n[expect]\nfailures == 0\n",
		  fx->ca_cert, fx->ca_key);
	if (scenario_load_run(fx->ini, ov, 2, &fx->cfg, tl, &st, fx->err, sizeof(fx->err)))
		fail_msg("%s", fx->err);
	snprintf(line6, sizeof(line6), "%s:6", fx->ini);
	for (int i = 0; i < st.n; i++) {
		const struct run_setting *r = &st.v[i];
		char k[64];

		snprintf(k, sizeof(k), "%s.%s", r->section, r->key ? r->key : "");
		if (!strcmp(k, "phones.count")) {
			assert_string_equal(r->value, "100");
			assert_string_equal(r->from, line6);
			found |= 1;
		} else if (!strcmp(k, "ramp.rate")) {
			assert_string_equal(r->value, "2.5");
			assert_string_equal(r->from, "-s");
			found |= 2;
		} else if (!strcmp(k, "dtls.mode")) {
			assert_string_equal(r->value, "auto");
			assert_string_equal(r->from, "default");
			found |= 4;
		} else if (!strcmp(k, "event.a.at")) {
			assert_string_equal(r->value, "7s");
			found |= 8;
		} else if (!strcmp(k, "expect.")) {
			assert_string_equal(r->value, "failures == 0");
			assert_int_equal(i, st.n - 1); /* the expectations last */
			found |= 16;
		} else if (!strcmp(k, "headend.dns") || !strcmp(k, "phones.source")) {
			fail_msg("%s: not given and no default, yet listed", k);
		}
	}
	assert_int_equal(found, 31);
	assert_string_equal(st.v[0].section, "headend"); /* a scenario file's order */
	scenario_settings_free(&st);
	assert_null(st.v);
	free(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_minimal_gets_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cnf_and_long_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsupported_sections, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_traffic_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_priority, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_value_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_url_and_hashes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreadable_ca, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_error_buffer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_override_wins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_override_supplies_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_overrides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cnf_urls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dns_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ca_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_key_origins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_override_before_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults_written_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spread, setup, teardown),
	    cmocka_unit_test(test_spread_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
