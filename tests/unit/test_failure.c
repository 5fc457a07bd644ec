/*
 * tests/unit/test_failure.c - engine/failure (phases, the phone's words) and
 * engine/failq (the worker-to-main-thread queue of failure records).
 *
 * The queue is checked alone (order, full queue, wrap-around) and with a real
 * producer thread racing the consumer: every record pushed is either popped,
 * in order and intact, or counted as lost, never both and never neither.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proto/cstp.h"
#include "engine/proto/svc.h"
#include "engine/proto/http.h"
#include "engine/phone/failq.h"
#include "engine/phone/failure.h"
#include "engine/phone/phone.h"

#define HINT_CA                                                                        \
	" [ASA: a trustpoint for the phones' issuer (Cisco Manufacturing CA, or CAPF for " \
	"LSCs); debug crypto ca 255]"
#define HINT_GROUP_URL                                                                 \
	" [ASA: the tunnel group's group-url must be this URL, and not DefaultWEBVPNGroup's]"
#define HINT_CAP                                                                     \
	" [ASA: syslog 716023/113029 (session limit), 722020/737019 (address pool); " \
	"licences: AnyConnect Premium and VPN Phone]"

static const char *describe(const struct failure_facts *f)
{
	static char buf[FAILURE_DETAIL];

	size_t n = failure_describe(buf, sizeof(buf), f);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_phase(void **state)
{
	(void)state;
	assert_int_equal(failure_phase(PH_RESOLVING, false, R_DNS_NXDOMAIN, 0), FP_DNS);
	assert_int_equal(failure_phase(PH_CONNECTING, false, R_TCP_REFUSED, -ECONNREFUSED), FP_TCP);
	assert_int_equal(failure_phase(PH_TLS, false, R_CERT_HASH, 0), FP_TLS);
	assert_int_equal(failure_phase(PH_AUTH, false, R_AUTH_FAILED, 401), FP_AUTH);
	assert_int_equal(failure_phase(PH_CSTP, false, R_TUNNEL_REFUSED, 503), FP_CSTP);
	/* a drop is "up" whether or not the phone will reconnect */
	assert_int_equal(failure_phase(PH_TUNNEL, true, R_DPD_TIMEOUT, CH_TCP), FP_UP);
	assert_int_equal(failure_phase(PH_TUNNEL, false, R_CLOSED_BY_HEADEND, 5), FP_UP);
	/* the DTLS channel, whatever the state */
	assert_int_equal(failure_phase(PH_TUNNEL, false, R_DPD_TIMEOUT, CH_UDP), FP_DTLS);
	assert_int_equal(failure_phase(PH_TUNNEL, false, R_DTLS_TIMEOUT, 0), FP_DTLS);
	assert_int_equal(failure_phase(PH_TUNNEL, false, R_DTLS_FAILED, 0), FP_DTLS);
	/* a reconnection's stages */
	assert_int_equal(failure_phase(PH_RESOLVING, true, R_DNS_LOOKUP, 0), FP_RE_DNS);
	assert_int_equal(failure_phase(PH_TLS, true, R_TLS_REFUSED, 0), FP_RE_TLS);
	assert_int_equal(failure_phase(PH_CSTP, true, R_TUNNEL_REFUSED, 401), FP_RE_CSTP);
	assert_int_equal(failure_phase(PH_RESOLVING, false, R_BAD_CREDENTIALS, 0), FP_START);
	assert_int_equal(failure_phase(PH_CLOSING, false, R_CSTP_MALFORMED, -EBADMSG), FP_CLOSING);

	assert_string_equal(failure_phase_name(FP_UP), "up");
	assert_string_equal(failure_phase_name(FP_RE_AUTH), "reconnect-auth");
	assert_string_equal(failure_phase_name(FP__COUNT), "?");
	/* every phase has a distinct name made of [a-z-] */
	for (int i = 0; i < FP__COUNT; i++) {
		const char *a = failure_phase_name((enum fail_phase)i);

		assert_true(a[0] && strspn(a, "abcdefghijklmnopqrstuvwxyz-") == strlen(a));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, failure_phase_name((enum fail_phase)j));
	}
}

static void test_describe(void **state)
{
	static const uint8_t leaf[20] = {0x6c, 0xe3, 0x1d, 0x05, 0x27, 0x70, 0xcc, 0xfa, 0x43, 0x41,
					 0x74, 0xb0, 0x5e, 0x3f, 0xd8, 0x42, 0xf9, 0x12, 0x90, 0x32};
	struct failure_facts f = {.host = "vpn.lab.test", .path = "/phone", .timer_s = 30};

	(void)state;
	f.reason = R_CERT_HASH;
	f.phase = FP_TLS;
	assert_string_equal(describe(&f), "Hash was not found in the trust list");
	f.leaf_sha1 = leaf; /* the README's example: bOMdBSdwzPpDQXSwXj/YQvkSkDI= */
	assert_string_equal(describe(&f), "Leaf cert hash = 6CE31D052770CCFA434174B05E3FD842F9129032 "
					  "(bOMdBSdwzPpDQXSwXj/YQvkSkDI=): Hash was not found in "
					  "the trust list");
	f.leaf_sha1 = NULL;

	f.reason = R_CLIENT_CERT;
	f.alert_rcvd = 48;
	assert_string_equal(describe(&f), "SSL alert received: unknown CA" HINT_CA);
	f.alert_rcvd = 0;
	assert_string_equal(describe(&f), "connection closed by the headend after our certificate "
					  "and Finished" HINT_CA);
	f.detail = FAILURE_CERT_ASKED_AGAIN;
	assert_string_equal(describe(&f), "the headend asked for a client certificate again "
					  "(<client-cert-request/>) on a new connection that "
					  "presented one" HINT_CA);
	f.detail = 0;

	f.reason = R_CONNECT_TIMEOUT;
	f.phase = FP_RE_AUTH;
	assert_string_equal(describe(&f), "conn timer expired (30 s): abort_connect: in auth phase");

	f.reason = R_HTTP_STATUS;
	f.detail = 404;
	f.phase = FP_AUTH;
	assert_string_equal(describe(&f), "HTTP 404 on POST /phone");
	f.status_text = "Not found";
	f.method = "GET";
	assert_string_equal(describe(&f), "HTTP 404 Not found on GET /phone");
	f.method = NULL;
	f.status_text = NULL;

	/* the phone's exchange: the GET's answers, named after the request */
	f.method = "GET";
	f.path = "/svc";
	assert_string_equal(describe(&f), "HTTP 404 on GET /svc");
	f.detail = 302;
	assert_string_equal(describe(&f), "HTTP 302 on GET /svc (a redirect)");
	f.reason = R_WEBVPN_COOKIE;
	f.detail = SVC_BODY_XML;
	assert_string_equal(describe(&f), "'webvpn=' not found in cookie (GET /svc answered with "
					  "the desktop AnyConnect XML login)" HINT_GROUP_URL);
	f.method = NULL;
	f.detail = SVC_BODY_EMPTY;
	assert_string_equal(describe(&f), "'webvpn=' not found in cookie (POST /svc answered with "
					  "no body)" HINT_GROUP_URL);
	f.reason = R_WEBVPN_LOGIN;
	f.detail = SVC_LOGIN_TWICE;
	assert_string_equal(describe(&f), "GET /svc answered with webvpnlogin set more than once" HINT_GROUP_URL);
	f.detail = 99;
	assert_string_equal(describe(&f), "GET /svc answered with ?" HINT_GROUP_URL);
	f.reason = R_AUTH_FAILED;
	f.detail = 401;
	assert_string_equal(describe(&f), "HTTP 401 on POST /svc [ASA: syslog 113005, 113015 or "
					  "716039 say why the login was refused]");
	f.path = "/phone";

	f.reason = R_DTLS_FAILED;
	f.detail = FAILURE_DTLS_NOT_OFFERED;
	assert_string_equal(describe(&f), "DTLS setup failure: the headend's x-dtls-ciphersuite is "
					  "not a DTLSv0.9 cipher the phone offered");
	f.detail = 0;
	f.tls_error = "error:0A0000C5:SSL routines::old session cipher not returned";
	assert_string_equal(describe(&f), "DTLS setup failure: error:0A0000C5:SSL routines::old "
					  "session cipher not returned");
	f.tls_error = NULL;

	f.reason = R_TUNNEL_REFUSED;
	f.detail = 503;
	f.status_text = NULL;
	assert_string_equal(describe(&f), "CONNECT /CSCOSSLC/tunnel: HTTP 503" HINT_CAP);

	f.reason = R_DNS_NXDOMAIN;
	assert_string_equal(describe(&f), "gethostbyname failed <vpn.lab.test>: NXDOMAIN");

	f.reason = R_TCP_REFUSED;
	f.detail = -ECONNREFUSED;
	assert_string_equal(describe(&f), "connect: Connection refused");
	f.reason = R_TCP_TIMEOUT;
	f.detail = 0;
	assert_string_equal(describe(&f), "conn timer expired (30 s): no SYN-ACK");

	f.reason = R_DPD_TIMEOUT;
	f.detail = CH_UDP;
	assert_string_equal(describe(&f), "nothing received for 2 x DPD on DTLS");
	f.detail = CH_TCP;
	assert_string_equal(describe(&f), "nothing received for 2 x DPD on CSTP");

	f.reason = R_CLOSED_BY_HEADEND;
	f.detail = CSTP_DISCONNECT;
	assert_string_equal(describe(&f), "headend sent DISCONNECT");
	f.detail = 0;
	assert_string_equal(describe(&f), "connection closed by the headend");

	f.reason = R_TLS_ERROR;
	f.phase = FP_TLS;
	f.tls_error = "error:0A000126:SSL routines::unexpected eof while reading";
	assert_string_equal(describe(&f), "SSL handshake failed: error:0A000126:SSL "
					  "routines::unexpected eof while reading");

	f.tls_error = NULL;
	f.reason = R_HTTP_MALFORMED;
	f.detail = HTTP_E_CHUNK_END;
	assert_string_equal(describe(&f), "malformed HTTP reply: chunk data not followed by CRLF "
					  "(the chunk size lied)");
	f.detail = -E2BIG;
	assert_string_equal(describe(&f), "malformed HTTP reply: reply head over 65536 bytes");
	f.detail = -ENOMEM;
	assert_string_equal(describe(&f), "malformed HTTP reply: Cannot allocate memory");

	f.reason = R_BAD_REDIRECT;
	f.detail = -ELOOP;
	f.said = "https://vpn.lab.test/phone";
	f.said_how = "Location";
	assert_string_equal(describe(&f), "redirect loop: back to a URL already visited: Location "
					  "\"https://vpn.lab.test/phone\"");

	f.reason = R_IDLE_TIMEOUT;
	f.detail = 1802;
	f.idle_s = 1800;
	f.said = NULL;
	assert_string_equal(describe(&f), "the headend ended the session after 1802 s without data "
					  "from the phone (X-CSTP-Idle-Timeout: 1800) [ASA: "
					  "vpn-idle-timeout of the group policy; syslog 113019 "
					  "Reason: Idle Timeout]");

	/* the hints that depend on what the phone saw */
	f.reason = R_CERT_HASH;
	assert_string_equal(describe(&f), "Hash was not found in the trust list");
	f.leaf_ec = true;
	assert_string_equal(describe(&f), "Hash was not found in the trust list [ASA 9.4 and later "
					  "may pick ECDHE with a temporary EC certificate "
					  "(CSCuu02848): limit 'ssl cipher' to AES256-SHA:AES128-SHA]");
	f.reason = R_DTLS_FAILED;
	f.tls_error = "error:0A0000C5:SSL routines::old session cipher not returned";
	assert_string_equal(describe(&f), "DTLS setup failure: error:0A0000C5:SSL routines::old "
					  "session cipher not returned");
	f.dtls_cipher_mismatch = true;
	assert_string_equal(describe(&f), "DTLS setup failure: error:0A0000C5:SSL routines::old "
					  "session cipher not returned [ASA: TLS and DTLS cipher "
					  "lists must share this suite ('old session cipher not "
					  "returned'); syslog 722043]");
	f.leaf_ec = f.dtls_cipher_mismatch = false;
	f.tls_error = NULL;

	/* every reason says something, and never overruns */
	for (int r = R_NONE; r <= R__COUNT; r++) {
		char small[8];

		size_t full;

		f.reason = (enum reason)r;
		f.said = "a long time ago";
		full = strlen(describe(&f));
		assert_true(full > 0);
		assert_int_equal(failure_describe(small, sizeof(small), &f), full < 7 ? full : 7);
		assert_int_equal(strlen(small), full < 7 ? full : 7);
	}
}

/* The headend's words land in the detail verbatim, and the record knows where. */
static void test_said(void **state)
{
	struct failure_facts f = {.host = "vpn.lab.test", .path = "/phone", .timer_s = 30};
	struct failure_rec r;
	char said[128];

	(void)state;
	f.reason = R_TUNNEL_REFUSED;
	f.detail = 503;
	f.status_text = "Service Unavailable";
	f.said = "no address \"pool\", sorry";
	f.said_how = "X-Reason";
	failure_fill(&r, &f);
	assert_string_equal(r.detail, "CONNECT /CSCOSSLC/tunnel: HTTP 503 Service Unavailable: "
				      "X-Reason \"no address \"pool\", sorry\"" HINT_CAP);
	assert_int_equal(failure_said(&r, said, sizeof(said)), strlen(f.said));
	assert_string_equal(said, f.said);
	assert_int_equal(failure_said(&r, said, 5), 4);
	assert_string_equal(said, "no a");

	f.reason = R_AUTH_FAILED;
	f.detail = 200;
	f.said = "Login failed.";
	f.said_how = "<message>";
	failure_fill(&r, &f);
	assert_string_equal(r.detail, "login form again: Login failed or nothing to answer with: "
				      "<message> \"Login failed.\" [ASA: syslog 113005, 113015 or "
				      "716039 say why the login was refused]");
	assert_int_equal(failure_said(&r, said, sizeof(said)), 13);

	f.said = NULL;
	failure_fill(&r, &f);
	assert_int_equal(r.said_len, 0);
	assert_int_equal(failure_said(&r, said, sizeof(said)), 0);
	assert_string_equal(said, "");

	/* the longest words with the longest hint still fit, words whole */
	char words[101];

	memset(words, 'w', 100);
	words[100] = 0;
	f.reason = R_TUNNEL_REFUSED;
	f.said = words;
	f.said_how = "X-Reason";
	failure_fill(&r, &f);
	assert_int_equal(r.said_len, 100);
	assert_non_null(strstr(r.detail, "VPN Phone]"));
}

/* ==== The queue ==== */

static struct failure_rec rec_n(uint32_t n)
{
	struct failure_rec r;

	memset(&r, 0, sizeof(r));
	r.t_us = 1000u * n;
	r.phone = n;
	r.mac = 0x02ab00000000ull + n;
	r.model = "8861";
	r.reason = (uint8_t)(n % R__COUNT);
	snprintf(r.detail, sizeof(r.detail), "record %u", n);
	return r;
}

static void check_rec(const struct failure_rec *r, uint32_t n)
{
	struct failure_rec want = rec_n(n);

	if (memcmp(r, &want, sizeof(want)))
		fail_msg("record %u: got phone %u detail \"%.*s\"", n, r->phone,
			 (int)sizeof(r->detail), r->detail);
}

static void test_failq_order_and_full(void **state)
{
	struct failq q;
	struct failure_rec out[16];

	(void)state;
	assert_int_equal(failq_init(&q, 5), 0);
	assert_int_equal(q.cap, 8); /* rounded up to a power of two */
	assert_int_equal(failq_pop(&q, out, 16), 0);

	uint32_t pushed = 0, popped = 0;
	/* many laps around the ring, with the queue filled past full each time */
	for (int lap = 0; lap < 50; lap++) {
		for (int i = 0; i < 10; i++) {
			struct failure_rec r = rec_n(pushed);

			if (failq_push(&q, &r))
				pushed++;
		}
		assert_int_equal(failq_lost(&q), 2u * (lap + 1));
		size_t n = failq_pop(&q, out, 3);
		assert_int_equal(n, 3);
		n += failq_pop(&q, out + 3, 16);
		assert_int_equal(n, 8);
		for (size_t k = 0; k < n; k++)
			check_rec(&out[k], popped++);
	}
	assert_int_equal(pushed, popped);
	failq_free(&q);
}

#define RACE_N 2000000u

static void *producer(void *arg)
{
	struct failq *q = arg;

	for (uint32_t i = 0; i < RACE_N; i++) {
		struct failure_rec r = rec_n(i);

		failq_push(q, &r);
	}
	return NULL;
}

/*
 * A producer pushes RACE_N numbered records as fast as it can into a small
 * queue while this thread drains it: what arrives must be increasing,
 * intact, and, with the lost count, add up to RACE_N.
 */
static void test_failq_race(void **state)
{
	struct failq q;
	struct failure_rec out[64];
	pthread_t t;
	uint64_t got = 0;
	int64_t last = -1;
	bool done = false;

	(void)state;
	assert_int_equal(failq_init(&q, 256), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &q), 0);
	while (!done) {
		done = __atomic_load_n(&q.tail, __ATOMIC_ACQUIRE) + failq_lost(&q) == RACE_N;
		size_t n;
		while ((n = failq_pop(&q, out, 64)) > 0) {
			for (size_t k = 0; k < n; k++) {
				if ((int64_t)out[k].phone <= last)
					fail_msg("record %u after %lld", out[k].phone, (long long)last);
				last = out[k].phone;
				check_rec(&out[k], out[k].phone);
			}
			got += n;
		}
	}
	pthread_join(t, NULL);
	got += failq_pop(&q, out, 64);
	assert_int_equal(failq_pop(&q, out, 64), 0);
	if (got + failq_lost(&q) != RACE_N)
		fail_msg("popped %llu + lost %llu != pushed %u", (unsigned long long)got,
			 (unsigned long long)failq_lost(&q), RACE_N);
	assert_true(got > 0);
	failq_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_phase),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_said),
	    cmocka_unit_test(test_failq_order_and_full),
	    cmocka_unit_test(test_failq_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
