/*
 * tests/unit/test_phone.c - a phone's state machine, driven through its seam.
 *
 * One phone (engine/phone) runs on a scripted worker and faces a scripted
 * headend in memory (tests/unit/phone_script.h): its TLS is real, against a
 * real OpenSSL server; its HTTP, CSTP and DTLS reach a headend whose answers
 * each test chooses; its clock, timer, DNS and sockets are the script's, so
 * minutes of keepalives and backoffs pass in no time. Each test says what
 * must happen from the protocol and the phone's documented policies
 * (keepalive and DPD as in policy.h, the reconnect backoff of 10 s, 20 s, ...
 * 100 s, the 29 s DNS give-up, the 30 s "Fail to Connect" timer, failover
 * to url2 before the tunnel is up), not from what the code happens to do.
 *
 * A phone logs in as IP phones do (phones.client = phone, the default: GET,
 * the login page's webvpnlogin cookie, the form POST, the webvpn cookie)
 * and takes DTLS 0.9 only, on UDP 443 only: the headend serves that by hand
 * (tests/unit/dtls09.h). The desktop client's XML login (phones.client =
 * anyconnect) is tested beside it, and so is its DTLS (PSK-NEGOTIATE, DTLS
 * 1.2), which the DTLS timing tests use: their server is OpenSSL's.
 *
 * Legacy DTLS: a phone resumes a session made from the master secret it
 * sent. For a phone that is DTLS 0.9 (DTLS1_BAD_VER), for the desktop
 * client also the legacy suite OC-DTLS1_2-AES128-GCM, which ocserv offers:
 * the same resumption, over DTLS 1.2.
 *
 * At the end the program prints the state transitions the tests went
 * through, out of those the state machine has, and lists the others.
 */
#include "tests/unit/phone_script.h"

#include "engine/command.h"
#include "engine/phone/failure.h"
#include "engine/proto/http.h"
#include "engine/proto/svc.h"
#include "engine/trust/trust.h"
#include "engine/voice/voice.h"

/* Arrive, resolve vpn.test, connect: the phone goes as far as the headend lets it. */
static void bring_up(struct script *s)
{
	script_arrive(s);
	assert_state(s, PH_RESOLVING);
	script_dns(s, LOOKUP_OK, "198.18.0.1");
	assert_state(s, PH_CONNECTING);
	script_connect(s, 0);
}

/* A phone on url with a headend as set by the test, up to its tunnel. */
static void tunnel_up(struct script *s)
{
	bring_up(s);
	assert_state(s, PH_TUNNEL);
}

/* The phone sends a ping through the tunnel once its data path is settled. */
static int pings(const struct script *s)
{
	return s->h.data_tls + s->h.data_dtls;
}

/* The headend's liveness timers, seconds (X-CSTP-DPD, -Keepalive, X-DTLS-DPD, -Keepalive; 0: off). */
static void timers(struct script *s, unsigned dpd, unsigned keepalive, unsigned dtls_dpd,
		   unsigned dtls_keepalive)
{
	s->h.dpd_s = dpd;
	s->h.keepalive_s = keepalive;
	s->h.dtls_dpd_s = dtls_dpd;
	s->h.dtls_keepalive_s = dtls_keepalive;
}

/* The desktop AnyConnect client: its XML login, and DTLS as dtls.mode says. */
static void desktop(struct script *s)
{
	s->cfg.client = CLIENT_ANYCONNECT;
}

/* ==== Bring-up ==== */

/*
 * DNS, TCP, TLS, the phone's login (GET, login page, form POST, session
 * cookie), CONNECT: the tunnel is up, every phase timed.
 */
static void test_up_without_dtls(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	assert_state(&s, PH_IDLE);
	script_arrive(&s);
	assert_state(&s, PH_RESOLVING);
	assert_int_equal(s.lookups, 1);
	assert_string_equal(s.lookup_host, "vpn.test");
	s.now += 2000;
	script_dns(&s, LOOKUP_OK, "198.18.0.1");
	assert_state(&s, PH_CONNECTING);
	assert_true(s.ch[CH_TCP].open);
	assert_int_equal(ntohs(s.ch[CH_TCP].dst.sin_port), 443);
	assert_string_equal(inet_ntoa(s.ch[CH_TCP].dst.sin_addr), "198.18.0.1");
	s.now += 3000;
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_true(s.h.tls_up);
	/* the phone's login: a GET of its URL, then the form, empty for a certificate phone */
	assert_int_equal(s.h.gets, 1);
	assert_non_null(strstr(s.h.last_get, "GET / HTTP/1.1\r\n"));
	assert_non_null(strstr(s.h.last_get, "\r\nUser-Agent: Cisco SVC IPPhone Client v1.0\r\n"));
	assert_non_null(strstr(s.h.last_get, "\r\nX-Transcend-Version: 1\r\n"));
	assert_int_equal(s.h.posts, 1);
	assert_int_equal(s.h.svc_posts, 1);
	assert_non_null(strstr(s.h.last_post, "POST / HTTP/1.1\r\n"));
	assert_non_null(strstr(s.h.last_post, "\r\nContent-Length: 0\r\n"));
	assert_null(strstr(s.h.last_post, "config-auth"));
	assert_int_equal(s.h.connects, 1);
	assert_non_null(strstr(s.h.last_connect, "CONNECT /CSCOSSLC/tunnel HTTP/1.1"));
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	assert_int_equal(s.w.st.attempted, 1);
	assert_int_equal(s.w.st.tunnels_up, 1);
	assert_int_equal(s.w.st.up_now, 1);
	assert_int_equal(samples(&s, M_TCP_CONNECT), 1);
	assert_int_equal(samples(&s, M_TLS_HANDSHAKE), 1);
	assert_int_equal(samples(&s, M_AUTH), 1);
	assert_int_equal(samples(&s, M_CSTP_CONNECT), 1);
	assert_int_equal(samples(&s, M_TIME_TO_TUNNEL), 1);
	/* from when it was due: 2 ms of DNS, 3 ms of connect, the rest took no time */
	assert_int_equal(hist_max(s.w.ival->h[M_TIME_TO_TUNNEL]), 5000);
	assert_int_equal(s.p->dtls, DT_OFF);
	/* no DTLS offered: the data path is TLS, and the phone pings its DNS server */
	assert_int_equal(s.h.data_tls, 1);
	assert_string_equal(inet_ntoa(*(struct in_addr *)(s.h.last_data + 16)), "10.10.0.1");
	/* the tunnel up and idle: its records are the phone's (GCM), OpenSSL's session gone */
	assert_int_equal(s.w.st.tls_takeovers, 1);
	assert_null(s.p->tls.ssl);
	assert_non_null(s.p->tls.rec);
	assert_string_equal(tls_cipher_name(&s.p->tls), "ECDHE-RSA-AES128-GCM-SHA256");
	assert_string_equal(tls_version_name(&s.p->tls), "TLSv1.2");
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/*
 * phones.tls_records = openssl: the CSTP session stays OpenSSL's for the
 * tunnel's life, and carries the tunnel as before (the ping's answer).
 */
static void test_tls_records_openssl(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.tls_openssl_records = true;
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(s.h.data_tls, 1);
	headend_echo_reply(&s.h, false);
	script_settle(&s);
	assert_int_equal(samples(&s, M_PING_RTT), 1);
	assert_int_equal(s.w.st.tls_takeovers, 0);
	assert_non_null(s.p->tls.ssl);
	assert_null(s.p->tls.rec);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/* The desktop client logs in with the XML: one init POST, no GET. */
static void test_up_desktop_login(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	desktop(&s);
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(s.h.gets, 0);
	assert_int_equal(s.h.posts, 1);
	assert_int_equal(s.h.svc_posts, 0);
	assert_non_null(strstr(s.h.last_post, "POST / HTTP/1.1"));
	assert_non_null(strstr(s.h.last_post, "type=\"init\""));
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	assert_int_equal(samples(&s, M_AUTH), 1);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/*
 * A headend that answers the phone's GET with the session cookie at once: no
 * form to send, CONNECT follows.
 */
static void test_session_at_get(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/svc");
	s.h.auth = HA_GET_SESSION;
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(s.h.gets, 1);
	assert_int_equal(s.h.posts, 0);
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	script_free(&s);
}

/* A URL with an address: no lookup, TCP at once. The ping's answer is timed. */
static void test_up_by_address_and_ping(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1:8443/");
	script_start(&s);
	script_arrive(&s);
	assert_state(&s, PH_CONNECTING);
	assert_int_equal(s.lookups, 0);
	assert_int_equal(ntohs(s.ch[CH_TCP].dst.sin_port), 8443);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.h.data_tls, 1);
	s.now += 1500;
	headend_echo_reply(&s.h, false);
	script_settle(&s);
	assert_int_equal(samples(&s, M_PING_RTT), 1);
	assert_int_equal(hist_max(s.w.ival->h[M_PING_RTT]), 1500);
	script_free(&s);
}

/*
 * A password phone sends its user name and password in the form POST, once
 * (form-encoded); with the desktop client it answers the username form and
 * the password form once each.
 */
static void test_password_login(void **state)
{
	(void)state;
	for (int d = 0; d < 2; d++) {
		struct script s;

		script_init(&s, "https://vpn.test/svc");
		if (d)
			desktop(&s);
		s.cfg.auth = AUTH_PASSWORD;
		s.cfg.user_pattern = strdup("phone-%m");
		s.cfg.password_pattern = strdup("secret%i&=");
		s.h.auth = HA_FORM;
		script_start(&s);
		tunnel_up(&s);
		if (d) {
			assert_int_equal(s.h.posts, 3); /* init, username, password */
			assert_non_null(strstr(s.h.last_post, "secret0&amp;="));
		} else {
			assert_int_equal(s.h.gets, 1);
			assert_int_equal(s.h.posts, 1);
			assert_non_null(strstr(s.h.last_post, "POST /svc HTTP/1.1\r\n"));
			assert_non_null(strstr(s.h.last_post, "\r\nContent-Type: "
							      "application/x-www-form-urlencoded\r\n"));
			assert_non_null(strstr(s.h.last_post,
					       "\r\n\r\nusername=phone-02AB00000000&password=secret0%26%3D"));
		}
		assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
		assert_int_equal(fails_all(&s), 0);
		script_free(&s);
	}
}

/* A headend that gives the cookie as an XML session token (an ASA): CONNECT carries it. */
static void test_session_token(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	desktop(&s);
	s.h.auth = HA_TOKEN;
	s.h.cookie = "2B7F9E@12345@ABCD";
	script_start(&s);
	tunnel_up(&s);
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=2B7F9E@12345@ABCD"));
	script_free(&s);
}

/* PSK-NEGOTIATE: DTLS 1.2 keyed by the TLS exporter; the ping goes over DTLS. */
static void test_dtls_psk_up(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(s.p->dtls, DT_UP);
	assert_true(s.h.dtls_up);
	assert_true(s.ch[CH_UDP].open);
	assert_string_equal(inet_ntoa(s.ch[CH_UDP].dst.sin_addr), "198.18.0.1");
	assert_int_equal(ntohs(s.ch[CH_UDP].dst.sin_port), 443);
	assert_non_null(strstr(s.h.last_connect, "X-DTLS-CipherSuite: PSK-NEGOTIATE"));
	assert_int_equal(s.w.st.dtls_up, 1);
	assert_int_equal(s.w.st.dtls_now, 1);
	assert_int_equal(samples(&s, M_DTLS_HANDSHAKE), 1);
	assert_int_equal(s.h.data_dtls, 1);
	assert_int_equal(s.h.data_tls, 0);
	/* the ping's answer over DTLS */
	headend_echo_reply(&s.h, true);
	script_settle(&s);
	assert_int_equal(samples(&s, M_PING_RTT), 1);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/* Legacy: the phone resumes the session the headend made from its master secret. */
static void test_dtls_legacy_up(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.dtls_mode = DTLS_MODE_LEGACY;
	s.h.dtls = HD_LEGACY;
	desktop(&s);
	script_start(&s);
	tunnel_up(&s);
	assert_non_null(strstr(s.h.last_connect, "X-DTLS-Master-Secret: "));
	assert_null(strstr(s.h.last_connect, "PSK-NEGOTIATE"));
	assert_int_equal(s.p->dtls, DT_UP);
	assert_int_equal(s.h.dtls_resumed, 1);
	assert_int_equal(s.h.data_dtls, 1);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/*
 * A phone's DTLS: it offers its model's DTLS 0.9 suites (X-DTLS-CipherSuite,
 * with the master secret its resumption will use), never PSK-NEGOTIATE nor
 * DTLS 1.2; the headend picks AES256-SHA on X-DTLS-Port 4443, and the phone
 * sends a DTLS 0.9 ClientHello (version 0x0100) resuming the headend's
 * session ID with that suite, to UDP 443. A headend that never answers: the
 * phone's DTLS times out with its connect timer, and the tunnel carries on
 * over TLS.
 */
static void test_phone_dtls(void **state)
{
	(void)state;
	for (int openssl = 0; openssl < 2; openssl++) {
		struct script s;
		const uint8_t *d;
		size_t sid_at = 13 + 12 + 2 + 32, suites_at;

		script_init(&s, "https://vpn.test/svc");
		s.cfg.dtls_openssl_handshake = openssl; /* phones.dtls_handshake: the same either way */
		s.h.dtls = HD_DTLS09;
		s.h.dtls_srv = HDS_SILENT;
		s.h.dtls_port = 4443;
		script_start(&s);
		tunnel_up(&s);
		assert_non_null(strstr(s.h.last_connect, "\r\nX-DTLS-CipherSuite: AES256-SHA:AES128-SHA\r\n"));
		assert_non_null(strstr(s.h.last_connect, "\r\nX-DTLS-Master-Secret: "));
		assert_null(strstr(s.h.last_connect, "PSK-NEGOTIATE"));
		assert_null(strstr(s.h.last_connect, "X-DTLS12-CipherSuite"));
		assert_int_equal(s.p->dtls, DT_HANDSHAKE);
		assert_true(openssl ? s.p->dtls_s.ssl && !s.p->dtls_s.hs : s.p->dtls_s.hs && !s.p->dtls_s.ssl);
		assert_true(s.ch[CH_UDP].open);
		assert_int_equal(ntohs(s.ch[CH_UDP].dst.sin_port), 443);
		assert_string_equal(inet_ntoa(s.ch[CH_UDP].dst.sin_addr), "198.18.0.1");

		/* the ClientHello: record header (13 bytes), handshake header (12), then the hello */
		d = s.h.first_dgram;
		assert_true(s.h.first_dgram_len > sid_at + 1 + 32 + 1 + 2);
		assert_int_equal(d[0], 22);                 /* handshake */
		assert_int_equal(d[1] << 8 | d[2], 0x0100); /* DTLS 0.9 (DTLS1_BAD_VER) */
		assert_int_equal(d[13], 1);                 /* ClientHello */
		assert_int_equal(d[25] << 8 | d[26], 0x0100);
		assert_int_equal(d[sid_at], 32);
		assert_memory_equal(d + sid_at + 1, script_sid, 32);
		suites_at = sid_at + 1 + 32 + 1 + d[sid_at + 1 + 32]; /* after the cookie */
		for (unsigned i = 0; i < (unsigned)(d[suites_at] << 8 | d[suites_at + 1]); i += 2) {
			unsigned suite = (unsigned)(d[suites_at + 2 + i] << 8 | d[suites_at + 3 + i]);

			/* AES256-SHA, and no other suite (the renegotiation SCSV is no suite) */
			if (suite != 0x0035 && suite != 0x00ff)
				fail_msg("the phone's DTLS hello offers suite 0x%04x", suite);
		}

		script_advance(&s, S_T0 + 30 * S_SECOND - 1);
		assert_int_equal(s.p->dtls, DT_HANDSHAKE);
		assert_int_equal(pings(&s), 0); /* the data path waits for DTLS */
		script_advance(&s, S_T0 + 30 * S_SECOND);
		assert_int_equal(s.p->dtls, DT_FAILED);
		assert_state(&s, PH_TUNNEL);
		assert_int_equal(fails(&s, R_DTLS_TIMEOUT), 1);
		assert_int_equal(s.h.data_tls, 1);
		script_free(&s);
	}
}

/*
 * A phone's DTLS 0.9 up, against a headend that serves it as ocserv does
 * for phones (TLS and DTLS both AES256-SHA): the resumption is checked from
 * the headend's side (the phone's Finished matches the handshake, keyed by
 * the master secret of its CONNECT), the ping and its answer go over DTLS,
 * DTLS keepalives and DPD follow X-DTLS-Keepalive and -DPD, and the logout
 * leaves on both channels.
 */
static void test_phone_dtls_up(void **state)
{
	(void)state;
	for (int openssl = 0; openssl < 2; openssl++) {
		struct script s;
		uint64_t up;

		script_init(&s, "https://vpn.test/svc");
		s.cfg.dtls_openssl_handshake = openssl; /* phones.dtls_handshake: the same either way */
		s.h.tls_ciphers = "AES256-SHA:@SECLEVEL=0";
		s.h.dtls = HD_DTLS09;
		timers(&s, 0, 0, 30, 20);
		script_start(&s);
		tunnel_up(&s);
		if (s.h.d09.why)
			fail_msg("the headend's DTLS 0.9: %s", s.h.d09.why);
		assert_int_equal(s.h.d09.stage, D09_UP);
		assert_int_equal(s.p->dtls, DT_UP);
		assert_int_equal(s.w.st.dtls_up, 1);
		assert_int_equal(samples(&s, M_DTLS_HANDSHAKE), 1);
		assert_int_equal(s.h.data_dtls, 1);
		assert_int_equal(s.h.data_tls, 0);
		/* CSTP's AES256-SHA records (encrypt-then-MAC, which OpenSSL's server agrees to) are the phone's */
		assert_int_equal(s.w.st.tls_takeovers, 1);
		assert_null(s.p->tls.ssl);
		up = s.now;
		/* ours: the records are the phone's at once, its handshake kept until the headend's first */
		assert_int_equal(s.w.st.dtls_takeovers, openssl ? 0 : 1);
		assert_true(openssl ? s.p->dtls_s.ssl != NULL : s.p->dtls_s.hs != NULL);
		/* the headend's Finished again: the phone's ChangeCipherSpec and Finished again */
		int before = s.h.dgrams_in;

		d09_finished_again(&s.h.d09);
		script_settle(&s);
		assert_int_equal(s.h.dgrams_in, before + 2);
		assert_int_equal(s.p->dtls, DT_UP);
		assert_int_equal(s.w.st.dtls_rx_dropped, 0);
		headend_echo_reply(&s.h, true);
		script_settle(&s);
		assert_int_equal(samples(&s, M_PING_RTT), 1);
		assert_int_equal(s.w.st.dtls_takeovers, 1);
		assert_null(s.p->dtls_s.ssl);
		assert_null(s.p->dtls_s.hs);
		/* keepalive every 20 s of silence; the answered DPD after 30 s without anything */
		script_advance(&s, up + 20 * S_SECOND);
		assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 1);
		script_advance(&s, up + 30 * S_SECOND);
		assert_int_equal(s.h.dtls_frames[CSTP_DPD_REQ], 1);
		assert_int_equal(samples(&s, M_DPD_RTT), 1);
		assert_int_equal(worker_stop(&s.w, s.now), 0);
		script_settle(&s);
		assert_state(&s, PH_DONE);
		assert_int_equal(s.h.dtls_frames[CSTP_DISCONNECT], 1);
		assert_int_equal(s.h.frames[CSTP_DISCONNECT], 1);
		assert_int_equal(fails_all(&s), 0);
		script_free(&s);
	}
}

/*
 * The headend's DTLS suite is not the TLS session's (TLS AES128-SHA, DTLS
 * AES256-SHA): the phone's resumed session claims its TLS cipher, so the
 * ServerHello is refused ("old session cipher not returned"): DtlsFailed,
 * the failure's record hints at the two cipher lists, and the tunnel
 * carries on over TLS.
 */
static void test_phone_dtls_cipher_mismatch(void **state)
{
	(void)state;
	for (int openssl = 0; openssl < 2; openssl++) {
		struct script s;
		struct failure_rec rec;

		script_init(&s, "https://vpn.test/svc");
		s.cfg.dtls_openssl_handshake = openssl; /* phones.dtls_handshake: the same either way */
		s.h.tls_ciphers = "AES128-SHA:@SECLEVEL=0";
		s.h.dtls = HD_DTLS09;
		script_start(&s);
		tunnel_up(&s);
		assert_int_equal(s.p->dtls, DT_FAILED);
		assert_int_equal(s.h.d09.stage, D09_FINISHED); /* its Finished never came */
		assert_int_equal(fails(&s, R_DTLS_FAILED), 1);
		assert_int_equal(failq_pop(&s.w.failq, &rec, 1), 1);
		assert_non_null(strstr(rec.detail, "old session cipher not returned"));
		assert_int_equal(s.h.data_tls, 1);
		script_free(&s);
	}
}

/*
 * A headend that answers a phone with a DTLS suite it did not offer
 * (PSK-NEGOTIATE, a DTLS 1.2 suite): the phone fails DTLS at once, without
 * a datagram, and the tunnel carries on over TLS.
 */
static void test_phone_dtls_not_offered(void **state)
{
	(void)state;
	for (int c = 0; c < 2; c++) {
		struct script s;
		struct failure_rec rec;

		script_init(&s, "https://vpn.test/svc");
		s.h.dtls = c ? HD_LEGACY : HD_PSK;
		script_start(&s);
		tunnel_up(&s);
		assert_int_equal(s.p->dtls, DT_FAILED);
		assert_int_equal(fails(&s, R_DTLS_FAILED), 1);
		assert_int_equal(fails_all(&s), 1);
		/* the failure's record says why, as failures.csv will */
		assert_int_equal(failq_pop(&s.w.failq, &rec, 1), 1);
		assert_int_equal(rec.reason, R_DTLS_FAILED);
		assert_int_equal(rec.phase, FP_DTLS);
		assert_non_null(strstr(rec.detail, "not a DTLSv0.9 cipher the phone offered"));
		assert_int_equal(s.ch[CH_UDP].opens, 0);
		assert_int_equal(s.h.dgrams_in, 0);
		assert_int_equal(s.h.data_tls, 1); /* the ping went over TLS at once */
		assert_int_equal(s.w.st.up_now, 1);
		assert_int_equal(s.w.st.dtls_now, 0);
		script_free(&s);
	}
}

/* ==== Failures before the tunnel: every named reason the phone can reach ==== */

/* A space in the user name: the phone refuses its own credentials, before any packet. */
static void test_fail_bad_credentials(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.auth = AUTH_PASSWORD;
	s.cfg.user_pattern = strdup("phone %m");
	s.cfg.password_pattern = strdup("x");
	script_start(&s);
	script_arrive(&s);
	assert_failed(&s, R_BAD_CREDENTIALS);
	assert_int_equal(s.lookups, 0);
	assert_int_equal(s.ch[CH_TCP].opens, 0);
	script_free(&s);
}

static void test_fail_nxdomain(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	script_arrive(&s);
	script_dns(&s, LOOKUP_NXDOMAIN, NULL);
	assert_failed(&s, R_DNS_NXDOMAIN);
	script_free(&s);
}

/* No DNS server answers: DnsLookupErr at once when told so, or at 29 s (the phone's give-up). */
static void test_fail_dns_lookup(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	script_arrive(&s);
	script_dns(&s, LOOKUP_TIMEOUT, NULL);
	assert_failed(&s, R_DNS_LOOKUP);
	script_free(&s);

	script_init(&s, "https://vpn.test/");
	script_start(&s);
	script_arrive(&s);
	script_advance(&s, S_T0 + 29 * S_SECOND - 1);
	assert_state(&s, PH_RESOLVING);
	script_advance(&s, S_T0 + 29 * S_SECOND);
	assert_failed(&s, R_DNS_LOOKUP);
	/* an answer after the give-up changes nothing */
	script_dns(&s, LOOKUP_OK, "198.18.0.1");
	assert_failed(&s, R_DNS_LOOKUP);
	script_free(&s);
}

/* The lookup cannot even be asked (a local fault): Internal, never the headend's. */
static void test_fail_internal(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.lookup_result = -ENOTSUP;
	script_start(&s);
	script_arrive(&s);
	assert_failed(&s, R_INTERNAL);
	script_free(&s);
}

/* What TCP answers the SYN with names the failure. */
static void test_fail_tcp(void **state)
{
	static const struct {
		int res;
		enum reason r;
	} cases[] = {{-ECONNREFUSED, R_TCP_REFUSED},
		     {-ETIMEDOUT, R_TCP_TIMEOUT},
		     {-ENETUNREACH, R_TCP_ERROR},
		     {-EHOSTUNREACH, R_TCP_ERROR}};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s;

		script_init(&s, "https://198.18.0.1/");
		script_start(&s);
		script_arrive(&s);
		script_connect(&s, cases[i].res);
		assert_failed(&s, cases[i].r);
		assert_int_equal(s.p->detail, cases[i].res);
		script_free(&s);
	}
}

/* No SYN-ACK before the connect timer (30 s from when it was due): TcpTimeout. */
static void test_fail_tcp_timer(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	script_arrive(&s);
	script_advance(&s, S_T0 + 30 * S_SECOND - 1);
	assert_state(&s, PH_CONNECTING);
	script_advance(&s, S_T0 + 30 * S_SECOND);
	assert_failed(&s, R_TCP_TIMEOUT);
	script_free(&s);
}

/*
 * The socket cannot be made (no address to bind, no descriptor): trouble of
 * our own, LocalResource, never blamed on the headend, and no failover for it.
 */
static void test_fail_socket(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.cfg.more_urls[0] = strdup("https://198.18.0.2/");
	s.cfg.n_more_urls = 1;
	s.open_result[CH_TCP] = -EADDRNOTAVAIL;
	script_start(&s);
	script_arrive(&s);
	assert_failed(&s, R_LOCAL_RESOURCE);
	assert_int_equal(s.p->detail, -EADDRNOTAVAIL);
	assert_int_equal(s.w.st.failovers, 0);
	script_free(&s);
}

/* The TLS handshake's failures, each named from what the headend did. */
static void he_other_cert(struct script *s)
{
	s->h.cert = pki.other;
}

static void he_no_cipher(struct script *s)
{
	s->h.tls_ciphers = "CAMELLIA128-SHA:@SECLEVEL=0";
}

static void he_alert(struct script *s)
{
	s->h.hello_alert = SSL_AD_INTERNAL_ERROR;
}

static void he_garbage(struct script *s)
{
	s->h.hello_garbage = true;
}

static void he_close(struct script *s)
{
	s->h.hello_close = true;
}

static void he_refuse_cert(struct script *s)
{
	s->h.want_client_cert = true;
	s->p->cert = X509_dup(pki.phone);
	s->p->key = pki.key;
}

static void test_fail_tls(void **state)
{
	static const struct {
		void (*headend)(struct script *s);
		enum reason r;
		int detail; /* -1: not checked */
		const char *what;
	} cases[] = {
	    {he_other_cert, R_CERT_HASH, 0, "its certificate's SHA-1 is not in the trust list"},
	    {he_no_cipher, R_TLS_NO_SHARED, -1, "it speaks none of the phone's ciphers"},
	    {he_alert, R_TLS_ALERT, 80, "a fatal alert of another kind (internal_error)"},
	    {he_garbage, R_TLS_ERROR, 0, "a record that is no handshake, and no alert"},
	    {he_close, R_TLS_REFUSED, -1, "it closes on the ClientHello (a cap, a version)"},
	    {he_refuse_cert, R_CLIENT_CERT, -1, "it refuses the phone's certificate with an alert"},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s;

		print_message("the headend: %s\n", cases[i].what);
		script_init(&s, "https://vpn.test/");
		script_start(&s);
		cases[i].headend(&s);
		bring_up(&s);
		assert_failed(&s, cases[i].r);
		if (cases[i].detail >= 0)
			assert_int_equal(s.p->detail, cases[i].detail);
		assert_int_equal(s.h.posts, 0); /* nothing of the login left the phone */
		script_free(&s);
	}
}

/* Host-ID check on: the URL's host is not the certificate's CN or SAN. */
static void test_fail_host_id(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://other.test/");
	s.cfg.host_id_check = true;
	script_start(&s);
	bring_up(&s);
	assert_failed(&s, R_HOST_ID);
	script_free(&s);

	/* the same certificate checked against its own name passes */
	script_init(&s, "https://vpn.test/");
	s.cfg.host_id_check = true;
	script_start(&s);
	tunnel_up(&s);
	script_free(&s);
}

/*
 * The login's answers, each with its name: the phone's exchange (detail: the
 * HTTP status, what answered (enum svc_body) or what the login page lacked
 * (enum svc_answer)), then the desktop client's.
 */
static void test_fail_login(void **state)
{
	static const struct {
		bool desktop;
		enum h_auth auth;
		enum reason r;
		int detail;  /* -1: not checked */
		int posts;   /* POSTs the headend saw */
	} cases[] = {
	    {false, HA_401, R_AUTH_FAILED, 401, 0},        /* the GET refused */
	    {false, HA_FORM, R_AUTH_FAILED, 200, 1},       /* the page again: it wants a password */
	    {false, HA_FORM_FAIL, R_AUTH_FAILED, 401, 1},  /* the POST refused */
	    {false, HA_NO_COOKIE, R_WEBVPN_COOKIE, SVC_BODY_EMPTY, 1},
	    {false, HA_BAD_XML, R_WEBVPN_COOKIE, SVC_BODY_HTML, 1},
	    {false, HA_DESKTOP, R_WEBVPN_COOKIE, SVC_BODY_XML, 0}, /* ocserv at "/" */
	    {false, HA_HTML, R_WEBVPN_COOKIE, SVC_BODY_HTML, 0},   /* a portal's page */
	    {false, HA_NO_LOGIN, R_WEBVPN_LOGIN, SVC_NO_LOGIN, 0},
	    {false, HA_EMPTY_LOGIN, R_WEBVPN_LOGIN, SVC_EMPTY_LOGIN, 0},
	    {false, HA_LOGIN_TWICE, R_WEBVPN_LOGIN, SVC_LOGIN_TWICE, 0},
	    {false, HA_REDIRECT, R_HTTP_STATUS, 302, 0},    /* an ASA's portal */
	    {false, HA_404, R_HTTP_STATUS, 404, 0},         /* a 1.1.6 ocserv asked on /svc */
	    {false, HA_GARBAGE, R_HTTP_MALFORMED, -1, 0},   /* not HTTP */
	    {false, HA_CLOSE, R_CLOSED_HANDSHAKE, 0, 0},    /* the headend hangs up */
	    {true, HA_401, R_AUTH_FAILED, 401, 1},          /* credentials refused */
	    {true, HA_FORM, R_AUTH_FAILED, 200, 1},         /* a form: a certificate phone has no answer */
	    {true, HA_NO_COOKIE, R_WEBVPN_COOKIE, SVC_BODY_XML, 1}, /* "'webvpn=' not found in cookie" */
	    {true, HA_404, R_HTTP_STATUS, 404, 1},
	    {true, HA_GARBAGE, R_HTTP_MALFORMED, -1, 1},
	    {true, HA_BAD_XML, R_WEBVPN_COOKIE, SVC_BODY_HTML, 1}, /* a page, not the XML */
	    {true, HA_CLOSE, R_CLOSED_HANDSHAKE, 0, 1},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s;

		script_init(&s, "https://vpn.test/");
		if (cases[i].desktop)
			desktop(&s);
		s.h.auth = cases[i].auth;
		script_start(&s);
		bring_up(&s);
		assert_failed(&s, cases[i].r);
		if (cases[i].detail >= 0)
			assert_int_equal(s.p->detail, cases[i].detail);
		assert_int_equal(s.h.gets, cases[i].desktop ? 0 : 1);
		assert_int_equal(s.h.posts, cases[i].posts);
		assert_int_equal(s.h.connects, 0);
		script_free(&s);
	}
}

/*
 * A password phone sends its password once: refused, it does not try again.
 * The phone's exchange: 401 to the form POST. The desktop client: a form
 * after its password.
 */
static void test_fail_password_refused(void **state)
{
	(void)state;
	for (int d = 0; d < 2; d++) {
		struct script s;

		script_init(&s, "https://vpn.test/");
		if (d)
			desktop(&s);
		s.cfg.auth = AUTH_PASSWORD;
		s.cfg.user_pattern = strdup("u");
		s.cfg.password_pattern = strdup("p");
		s.h.auth = HA_FORM_FAIL;
		script_start(&s);
		bring_up(&s);
		assert_failed(&s, R_AUTH_FAILED);
		assert_int_equal(s.p->detail, d ? 200 : 401);
		/* desktop: init, username, password, no fourth; the phone: one form */
		assert_int_equal(s.h.posts, d ? 3 : 1);
		script_free(&s);
	}
}

/* CONNECT refused (503) or answered without an address. */
static void test_fail_connect(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.connect = HC_503;
	script_start(&s);
	bring_up(&s);
	assert_failed(&s, R_TUNNEL_REFUSED);
	assert_int_equal(s.p->detail, 503);
	script_free(&s);

	script_init(&s, "https://vpn.test/");
	s.h.connect = HC_NO_ADDR;
	script_start(&s);
	bring_up(&s);
	assert_failed(&s, R_HTTP_MALFORMED);
	script_free(&s);

	/* a 401 to the first CONNECT: the cookie was just made, so no second login */
	script_init(&s, "https://vpn.test/");
	s.h.connect = HC_401;
	script_start(&s);
	bring_up(&s);
	assert_failed(&s, R_TUNNEL_REFUSED);
	assert_int_equal(s.h.posts, 1);
	script_free(&s);
}

/* A headend that stops answering during TLS, the login or CONNECT: ConnectTimeout at 30 s. */
static void test_fail_connect_timer(void **state)
{
	(void)state;
	for (int phase = 0; phase < 3; phase++) {
		struct script s;

		script_init(&s, "https://vpn.test/");
		if (phase == 1)
			s.h.auth = HA_SILENT;
		if (phase == 2)
			s.h.connect = HC_SILENT;
		script_start(&s);
		script_arrive(&s);
		script_dns(&s, LOOKUP_OK, "198.18.0.1");
		if (phase == 0)
			s.hold_sends = true; /* the ClientHello never gets there */
		script_connect(&s, 0);
		assert_state(&s, phase == 0 ? PH_TLS : phase == 1 ? PH_AUTH : PH_CSTP);
		script_advance(&s, S_T0 + 30 * S_SECOND - 1);
		assert_state(&s, phase == 0 ? PH_TLS : phase == 1 ? PH_AUTH : PH_CSTP);
		script_advance(&s, S_T0 + 30 * S_SECOND);
		assert_failed(&s, R_CONNECT_TIMEOUT);
		script_free(&s);
	}
}

/*
 * The TLS connection dies in the middle of CONNECT, before its status line:
 * the phone sends CONNECT once more on a new connection (same cookie, no new
 * login), as openconnect does; a second loss is ClosedDuringSetup.
 */
static void test_fail_closed_in_cstp(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.connect = HC_SILENT;
	script_start(&s);
	bring_up(&s);
	assert_state(&s, PH_CSTP);
	assert_int_equal(s.h.connects, 1);
	script_tcp_end(&s, -ECONNRESET);
	assert_int_equal(fails_all(&s), 0);
	assert_false(s.ch[CH_TCP].open);
	script_advance(&s, s.now);
	assert_state(&s, PH_RESOLVING);
	script_dns(&s, LOOKUP_OK, "198.18.0.1");
	script_connect(&s, 0);
	assert_int_equal(s.ch[CH_TCP].opens, 2);
	assert_state(&s, PH_CSTP);
	assert_int_equal(s.h.connects, 2);
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	assert_int_equal(s.h.gets, 1); /* no second login */
	assert_int_equal(s.h.posts, 1);
	script_tcp_end(&s, -ECONNRESET);
	assert_failed(&s, R_CLOSED_HANDSHAKE);
	script_free(&s);
}

/* ==== The exchange: replies framed, connections replaced ==== */

/*
 * The login page in chunks (as an ASA frames its replies), with Connection:
 * close: the phone reads it whole, and sends its form POST on a new
 * connection (a new TCP connect and TLS handshake, no second GET). A
 * headend that closes after the page without saying so gets the same.
 */
static void test_login_chunked_new_connection(void **state)
{
	(void)state;
	for (int said = 0; said < 2; said++) {
		struct script s;
		char page[512];

		snprintf(page, sizeof(page),
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s"
			 "Set-Cookie: webvpn=; " SVC_EXPIRED "\r\nSet-Cookie: webvpnlogin=1; secure\r\n"
			 "\r\n7\r\n<html>x\r\n1;ext=1\r\n<\r\n0\r\n\r\n",
			 said ? "Connection: close\r\n" : "");
		script_init(&s, "https://198.18.0.1/svc");
		s.h.get_raw = page;
		s.h.get_close = true;
		script_start(&s);
		script_arrive(&s);
		script_connect(&s, 0);
		assert_int_equal(s.h.gets, 1);
		assert_int_equal(s.h.posts, 0);
		assert_false(s.ch[CH_TCP].open); /* the page is read; the connection let go */
		assert_int_equal(fails_all(&s), 0);
		script_advance(&s, s.now);
		assert_state(&s, PH_CONNECTING);
		assert_int_equal(s.ch[CH_TCP].opens, 2);
		s.h.get_raw = NULL;
		script_connect(&s, 0);
		assert_state(&s, PH_TUNNEL);
		assert_int_equal(s.h.gets, 1);
		assert_int_equal(s.h.posts, 1);
		assert_int_equal(s.h.connects, 1);
		assert_int_equal(samples(&s, M_AUTH), 1);
		assert_int_equal(fails_all(&s), 0);
		script_free(&s);
	}
}

/*
 * The desktop login redirected to another server (an ASA cluster's 302 to a
 * member): the phone resolves and connects to it, checks its certificate
 * against the trust list again, and logs in there from the start; counted
 * in redirects, not as a failure.
 */
static void test_login_redirect(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	desktop(&s);
	s.h.auth = HA_REDIRECT;
	script_start(&s);
	bring_up(&s);
	assert_int_equal(s.h.posts, 1);
	assert_false(s.ch[CH_TCP].open);
	script_advance(&s, s.now);
	assert_state(&s, PH_RESOLVING);
	assert_string_equal(s.lookup_host, "other.test");
	script_dns(&s, LOOKUP_OK, "198.18.0.2");
	assert_string_equal(inet_ntoa(s.ch[CH_TCP].dst.sin_addr), "198.18.0.2");
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.h.posts, 2);
	assert_non_null(strstr(s.h.last_post, "POST /phone HTTP/1.1\r\n"));
	assert_non_null(strstr(s.h.last_post, "\r\nHost: other.test\r\n"));
	assert_int_equal(s.w.st.redirects, 1);
	assert_int_equal(s.w.st.failovers, 0);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/*
 * Replies that break HTTP's framing: a chunk size that is not hex, chunk
 * data longer than its size said, a head of 10,000 header lines. Each is
 * HttpMalformed with the HTTP layer's error, never a hang.
 */
static void test_login_malformed_framing(void **state)
{
	static char many[10000 * 8 + 256];
	static const struct {
		const char *reply;
		int detail;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
	     HTTP_E_CHUNK_HEX},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n",
	     HTTP_E_CHUNK_END},
	    {many, HTTP_E_HEADERS},
	};
	size_t n = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");

	(void)state;
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "X-%d: 1\r\n", i % 10);
	snprintf(many + n, sizeof(many) - n, "Content-Length: 0\r\n\r\n");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script s;

		script_init(&s, "https://198.18.0.1/svc");
		s.h.get_raw = cases[i].reply;
		script_start(&s);
		script_arrive(&s);
		script_connect(&s, 0);
		assert_failed(&s, R_HTTP_MALFORMED);
		assert_int_equal(s.p->detail, cases[i].detail);
		assert_int_equal(s.h.posts, 0);
		script_free(&s);
	}
}

/*
 * The headend's rekey (X-CSTP-Rekey-Method new-tunnel, every 60 s): at 60 s
 * the phone leaves the tunnel without logging out, opens a new connection
 * and sends CONNECT with the same cookie; not a failure, counted in rekeys.
 * The next one is 60 s after the new tunnel.
 */
static void test_rekey(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.h.connect_extra = "X-CSTP-Rekey-Time: 60\r\nX-CSTP-Rekey-Method: new-tunnel\r\n";
	timers(&s, 0, 0, 0, 0);
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	up = s.now;
	script_advance(&s, up + 60 * S_SECOND - 1);
	assert_int_equal(s.ch[CH_TCP].opens, 1);
	script_advance(&s, up + 60 * S_SECOND);
	assert_int_equal(s.w.st.rekeys, 1);
	assert_int_equal(s.h.frames[CSTP_DISCONNECT], 0); /* no logout */
	assert_int_equal(s.ch[CH_TCP].opens, 2);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.h.connects, 2);
	assert_int_equal(s.h.gets, 1); /* no second login */
	assert_int_equal(s.h.posts, 1);
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	assert_int_equal(fails_all(&s), 0);
	assert_int_equal(s.w.st.up_now, 1);
	script_advance(&s, up + 120 * S_SECOND - 1);
	assert_int_equal(s.w.st.rekeys, 1);
	script_advance(&s, up + 120 * S_SECOND);
	assert_int_equal(s.w.st.rekeys, 2);
	script_free(&s);
}

/*
 * X-CSTP-Idle-Timeout: 120. A session the headend ends once 120 s passed
 * without data from the phone ended for idleness (IdleTimeout, the idle
 * seconds as detail); one it ends before then was closed by it.
 */
static void test_idle_timeout(void **state)
{
	(void)state;
	for (int idle = 0; idle < 2; idle++) {
		struct script s;
		uint64_t up;

		script_init(&s, "https://198.18.0.1/");
		s.h.connect_extra = "X-CSTP-Idle-Timeout: 120\r\n";
		s.cfg.reconnect = RECONNECT_NEVER;
		script_start(&s);
		script_arrive(&s);
		script_connect(&s, 0);
		assert_state(&s, PH_TUNNEL);
		up = s.now; /* its ping of the DNS server was its last data */
		script_advance(&s, up + (idle ? 121 : 100) * S_SECOND);
		script_tcp_end(&s, 0);
		assert_failed(&s, idle ? R_IDLE_TIMEOUT : R_CLOSED_BY_HEADEND);
		if (idle)
			assert_int_equal(s.p->detail, 121);
		script_free(&s);
	}
}

/* ==== The tunnel: CSTP, keepalive, DPD ==== */

/* Keepalive: a frame whenever nothing was sent for X-CSTP-Keepalive seconds. */
static void test_keepalive(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	timers(&s, 0, 20, 30, 20);
	script_start(&s);
	tunnel_up(&s);
	up = s.now; /* the ping left now too */
	script_advance(&s, up + 20 * S_SECOND - 1);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 0);
	script_advance(&s, up + 20 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 1);
	script_advance(&s, up + 60 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 3);
	/* something else sent moves the next keepalive */
	script_advance(&s, up + 70 * S_SECOND);
	headend_echo_reply(&s.h, false); /* receiving does not count... */
	script_settle(&s);
	script_advance(&s, up + 80 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 4);
	assert_int_equal(s.w.st.keepalives_sent, 4);
	assert_int_equal(s.h.frames[CSTP_DPD_REQ], 0);
	assert_state(&s, PH_TUNNEL);
	script_free(&s);
}

/* DPD: after X-CSTP-DPD seconds without hearing from the headend, a request; answered. */
static void test_dpd_answered(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	timers(&s, 30, 0, 30, 20);
	script_start(&s);
	tunnel_up(&s);
	up = s.now;
	script_advance(&s, up + 30 * S_SECOND - 1);
	assert_int_equal(s.h.frames[CSTP_DPD_REQ], 0);
	script_advance(&s, up + 30 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_DPD_REQ], 1);
	assert_int_equal(s.w.st.dpd_sent, 1);
	assert_int_equal(s.w.st.dpd_answered, 1);
	assert_int_equal(samples(&s, M_DPD_RTT), 1);
	/* answered every time: one every 30 s, never dead */
	script_advance(&s, up + 300 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_DPD_REQ], 10);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/* The headend's DPD requests are answered, with their payload. */
static void test_dpd_from_headend(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);
	headend_cstp(&s.h, CSTP_DPD_REQ, "ping", 4);
	script_settle(&s);
	assert_int_equal(s.h.frames[CSTP_DPD_RESP], 1);
	/* the headend was heard: the phone's own DPD moves (due 30 s from now, not from up) */
	assert_int_equal(s.w.st.dpd_sent, 0);
	script_free(&s);
}

/*
 * DPD unanswered: repeated every DPD/2, dead at 2 x DPD: DpdTimeout. The
 * tunnel was lost (not the headend's DISCONNECT): the phone reconnects after
 * the first backoff step.
 */
static void test_dpd_timeout(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	timers(&s, 30, 0, 30, 20);
	s.h.answer_dpd = false;
	script_start(&s);
	tunnel_up(&s);
	up = s.now;
	script_advance(&s, up + 45 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_DPD_REQ], 2);
	script_advance(&s, up + 60 * S_SECOND - 1);
	assert_state(&s, PH_TUNNEL);
	script_advance(&s, up + 60 * S_SECOND);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(fails(&s, R_DPD_TIMEOUT), 1);
	assert_int_equal(s.w.st.tunnels_dropped, 1);
	assert_int_equal(s.w.st.up_now, 0);
	assert_false(s.ch[CH_TCP].open);
	assert_int_equal(s.wake_at, up + 70 * S_SECOND);
	script_free(&s);
}

/* A frame that breaks CSTP framing (bad magic): CstpMalformed. */
/*
 * A TLS record from the headend that does not open, once the phone runs the
 * session's records itself: it answers bad_record_mac, as OpenSSL did, and
 * the tunnel ends with TlsError, OpenSSL's words for it in the record.
 */
static void test_tls_bad_record_taken_over(void **state)
{
	struct script s;
	char *d;
	long n;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.reconnect = RECONNECT_NEVER;
	script_start(&s);
	tunnel_up(&s);
	assert_null(s.p->tls.ssl);
	headend_cstp(&s.h, CSTP_DPD_REQ, NULL, 0);
	n = BIO_get_mem_data(s.h.out, &d);
	assert_true(n > 5);
	d[n - 1] ^= 1; /* its last byte changed on the way */
	script_settle(&s);
	assert_failed(&s, R_TLS_ERROR);
	assert_int_equal(s.p->detail, 0);
	assert_int_equal(s.p->tls.alert_sent, SSL_AD_BAD_RECORD_MAC);
	assert_non_null(strstr(tls_last_error(), "bad record mac"));
	assert_int_equal(s.w.st.tunnels_dropped, 1);
	script_free(&s);
}

static void test_cstp_malformed(void **state)
{
	struct script s;
	static const uint8_t bad[] = {'S', 'T', 'X', 1, 0, 0, 0, 0};

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.reconnect = RECONNECT_NEVER;
	script_start(&s);
	tunnel_up(&s);
	headend_write(&s.h, bad, sizeof(bad));
	script_settle(&s);
	assert_failed(&s, R_CSTP_MALFORMED);
	assert_int_equal(s.w.st.tunnels_dropped, 1);
	script_free(&s);
}

/* ==== DTLS: up, failed, retried, carrying on over TLS ==== */

/* UDP blocked: DtlsTimeout at the connect timer's end; the tunnel carries on over TLS. */
static void test_dtls_timeout(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	s.h.dtls_srv = HDS_SILENT;
	timers(&s, 0, 0, 30, 20);
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(s.p->dtls, DT_HANDSHAKE);
	assert_int_equal(pings(&s), 0); /* the data path waits for DTLS */
	script_advance(&s, S_T0 + 30 * S_SECOND - 1);
	assert_int_equal(s.p->dtls, DT_HANDSHAKE);
	assert_true(s.h.dgrams_in >= 1);
	script_advance(&s, S_T0 + 30 * S_SECOND);
	assert_int_equal(s.p->dtls, DT_FAILED);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(fails(&s, R_DTLS_TIMEOUT), 1);
	assert_false(s.ch[CH_UDP].open);
	assert_int_equal(s.h.data_tls, 1); /* carried on over TLS */
	assert_int_equal(s.w.st.up_now, 1);
	assert_int_equal(s.w.st.dtls_now, 0);
	script_free(&s);
}

/*
 * The DTLS handshake fails (the headend refuses the PSK identity; a legacy headend
 * that makes a full handshake instead of resuming): DtlsFailed; or there is no UDP
 * socket: LocalResource. Either way the tunnel carries on over TLS and tries DTLS
 * again after dtls.retry.
 */
static void test_dtls_failed_and_retry(void **state)
{
	(void)state;
	for (int c = 0; c < 3; c++) {
		struct script s;

		script_init(&s, "https://vpn.test/");
		s.h.dtls = c == 1 ? HD_LEGACY : HD_PSK;
		desktop(&s);
		s.h.dtls_srv = c == 0 ? HDS_REFUSE : c == 1 ? HDS_FULL : HDS_SERVE;
		if (c == 1)
			s.cfg.dtls_mode = DTLS_MODE_LEGACY;
		if (c == 2)
			s.open_result[CH_UDP] = -EMFILE;
		timers(&s, 0, 0, 30, 20);
		script_start(&s);
		tunnel_up(&s);
		if (s.p->dtls != DT_FAILED)
			fail_msg("case %d: DTLS %d, expected failed", c, s.p->dtls);
		/* no UDP socket is this machine's failure, not the headend's DTLS */
		assert_int_equal(fails(&s, c == 2 ? R_LOCAL_RESOURCE : R_DTLS_FAILED), 1);
		assert_int_equal(s.h.data_tls, 1);
		uint64_t failed_at = s.now;

		/* dtls.retry (60 s) later it tries again; this time the headend serves it */
		s.h.dtls_srv = HDS_SERVE;
		s.open_result[CH_UDP] = 0;
		script_advance(&s, failed_at + 60 * S_SECOND - 1);
		assert_int_equal(s.p->dtls, DT_FAILED);
		script_advance(&s, failed_at + 60 * S_SECOND);
		assert_int_equal(s.p->dtls, DT_UP);
		assert_int_equal(s.w.st.dtls_retries, 1);
		assert_int_equal(s.w.st.dtls_up, 1);
		script_free(&s);
	}
}

/* dtls.on_failure = abort: the strict phone drops the tunnel with the DTLS reason. */
static void test_dtls_abort(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.dtls_abort = true;
	s.cfg.reconnect = RECONNECT_NEVER;
	s.h.dtls = HD_PSK;
	desktop(&s);
	s.h.dtls_srv = HDS_REFUSE;
	script_start(&s);
	bring_up(&s);
	assert_failed(&s, R_DTLS_FAILED);
	script_free(&s);
}

/* DTLS keepalive and DPD run on their own channel, by X-DTLS-Keepalive and X-DTLS-DPD. */
static void test_dtls_keepalive_and_dpd(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	timers(&s, 0, 0, 0, 15);
	script_start(&s);
	tunnel_up(&s);
	up = s.now;
	script_advance(&s, up + 15 * S_SECOND - 1);
	assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 0);
	script_advance(&s, up + 15 * S_SECOND);
	assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 1);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 0);
	/* the headend's DPD request over DTLS is answered over DTLS */
	headend_dtls(&s.h, CSTP_DPD_REQ, NULL, 0);
	script_settle(&s);
	assert_int_equal(s.h.dtls_frames[CSTP_DPD_RESP], 1);
	script_free(&s);
}

/* DTLS DPD unanswered: DTLS is dead (DpdTimeout), the tunnel stays up over TLS. */
static void test_dtls_dpd_timeout(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	s.h.answer_dpd = false;
	timers(&s, 0, 0, 30, 0);
	script_start(&s);
	tunnel_up(&s);
	up = s.now;
	script_advance(&s, up + 60 * S_SECOND - 1);
	assert_int_equal(s.h.dtls_frames[CSTP_DPD_REQ], 2);
	assert_int_equal(s.p->dtls, DT_UP);
	script_advance(&s, up + 60 * S_SECOND);
	assert_int_equal(s.p->dtls, DT_FAILED);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(fails(&s, R_DPD_TIMEOUT), 1);
	assert_int_equal(s.w.st.dtls_now, 0);
	assert_int_equal(s.w.st.tunnels_dropped, 0);
	script_free(&s);
}

/* The headend ends DTLS with a DISCONNECT over DTLS: counted, the tunnel stays on TLS. */
static void test_dtls_disconnect(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	script_start(&s);
	tunnel_up(&s);
	headend_dtls(&s.h, CSTP_DISCONNECT, NULL, 0);
	script_settle(&s);
	assert_int_equal(s.p->dtls, DT_FAILED);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(fails(&s, R_CLOSED_BY_HEADEND), 1);
	script_free(&s);
}

/* ==== Losing the tunnel: reconnect, backoff, give up, fail over ==== */

/* The headend drops the connection: the phone comes back with its session cookie. */
static void test_reconnect_with_cookie(void **state)
{
	struct script s;
	uint64_t dropped;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);
	s.now += S_SECOND;
	dropped = s.now;
	script_tcp_end(&s, 0);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(fails(&s, R_CLOSED_BY_HEADEND), 1);
	assert_int_equal(s.w.st.tunnels_dropped, 1);
	assert_int_equal(s.wake_at, dropped + 10 * S_SECOND); /* the first backoff step */
	script_advance(&s, dropped + 10 * S_SECOND);
	assert_state(&s, PH_RESOLVING); /* url1 again, looked up again */
	assert_int_equal(s.lookups, 2);
	script_dns(&s, LOOKUP_OK, "198.18.0.1");
	s.now += 2000;
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.h.posts, 1);    /* no second login: the cookie still stands */
	assert_int_equal(s.h.connects, 2);
	assert_non_null(strstr(s.h.last_connect, "Cookie: webvpn=C00K1E"));
	assert_int_equal(s.w.st.reconnects, 1);
	assert_int_equal(s.w.st.tunnels_up, 1);
	assert_int_equal(s.w.st.up_now, 1);
	assert_int_equal(samples(&s, M_RECONNECT), 1);
	assert_int_equal(hist_max(s.w.ival->h[M_RECONNECT]), 10 * S_SECOND + 2000);
	assert_int_equal(samples(&s, M_TIME_TO_TUNNEL), 1);
	script_free(&s);
}

/* The headend forgot the session (401 to CONNECT with the cookie): log in again at once. */
static void test_reconnect_cookie_refused(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	script_tcp_end(&s, 0);
	script_advance_by(&s, 10 * S_SECOND);
	s.h.connect = HC_401;
	script_connect(&s, 0);
	/* refused: a new connection, now, with a login */
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(s.wake_at, s.now);
	assert_false(s.ch[CH_TCP].open);
	script_advance(&s, s.now);
	assert_state(&s, PH_CONNECTING);
	s.h.connect = HC_OK;
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.h.posts, 2);
	assert_int_equal(s.h.connects, 3);
	assert_int_equal(s.w.st.reconnects, 1);
	assert_int_equal(fails_all(&s), 1); /* the drop; the refused cookie is no failure */
	script_free(&s);
}

/*
 * Reconnection attempts that fail back off 10 s, 20 s, ... up to 100 s, then
 * stay at 100 s; each is counted. Back up, the next loss starts again at 10 s.
 */
static void test_backoff(void **state)
{
	struct script s;
	uint64_t t;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.cfg.reconnect = RECONNECT_ALWAYS;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	script_tcp_end(&s, 0);
	t = s.now;
	for (unsigned k = 0; k < 12; k++) {
		uint64_t wait = (k < 10 ? k + 1 : 10) * 10 * S_SECOND;

		if (s.wake_at != t + wait)
			fail_msg("attempt %u: next try %.1f s after the last, expected %.1f s", k + 1,
				 (double)(s.wake_at - t) / 1e6, (double)wait / 1e6);
		t += wait;
		script_advance(&s, t);
		assert_state(&s, PH_CONNECTING);
		script_connect(&s, -ECONNREFUSED);
		assert_state(&s, PH_BACKOFF);
	}
	assert_int_equal(s.w.st.reconnect_failures, 12);
	assert_int_equal(fails(&s, R_TCP_REFUSED), 12);
	assert_int_equal(s.w.st.failed, 0);
	/* back up, and lost again: 10 s */
	script_advance(&s, s.wake_at);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	script_tcp_end(&s, 0);
	assert_int_equal(s.wake_at, s.now + 10 * S_SECOND);
	script_free(&s);
}

/*
 * Giving up: the headend's DISCONNECT ends the phone under the default policy
 * (it stays down); with reconnect = never any loss is final.
 */
static void test_give_up(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);
	headend_cstp(&s.h, CSTP_DISCONNECT, "\xb0" "bye", 4);
	script_settle(&s);
	assert_failed(&s, R_CLOSED_BY_HEADEND);
	assert_int_equal(s.p->detail, CSTP_DISCONNECT);
	assert_int_equal(s.w.st.tunnels_dropped, 1);
	assert_int_equal(s.w.st.failed_by[R_CLOSED_BY_HEADEND], 1);
	assert_int_equal(s.wake_at, UINT64_MAX);
	script_free(&s);

	script_init(&s, "https://vpn.test/");
	s.cfg.reconnect = RECONNECT_NEVER;
	script_start(&s);
	tunnel_up(&s);
	script_tcp_end(&s, -ECONNRESET);
	assert_failed(&s, R_CLOSED_BY_HEADEND);
	script_free(&s);

	/* a reconnection that fails in a way the policy does not retry: the headend's DISCONNECT */
	script_init(&s, "https://vpn.test/");
	s.cfg.reconnect = RECONNECT_ALWAYS;
	script_start(&s);
	tunnel_up(&s);
	headend_cstp(&s.h, CSTP_TERMINATE, NULL, 0);
	script_settle(&s);
	assert_state(&s, PH_BACKOFF); /* always: even the headend's word */
	script_free(&s);
}

/* url1 refuses before the tunnel is up: url2 at once (the phone's <vpnGroup> order). */
static void test_failover(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.cfg.more_urls[0] = strdup("https://198.18.0.2/");
	s.cfg.n_more_urls = 1;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, -ECONNREFUSED);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(s.wake_at, s.now);
	assert_int_equal(s.w.st.failovers, 1);
	script_advance(&s, s.now);
	assert_state(&s, PH_CONNECTING);
	assert_string_equal(inet_ntoa(s.ch[CH_TCP].dst.sin_addr), "198.18.0.2");
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_non_null(strstr(s.h.last_post, "198.18.0.2"));
	assert_int_equal(s.w.st.tunnels_up, 1);
	script_free(&s);

	/* both refuse: the failure of the last one is the phone's */
	script_init(&s, "https://198.18.0.1/");
	s.cfg.more_urls[0] = strdup("https://198.18.0.2/");
	s.cfg.n_more_urls = 1;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, -ECONNREFUSED);
	script_advance(&s, s.now);
	script_connect(&s, -ETIMEDOUT);
	assert_failed(&s, R_TCP_TIMEOUT);
	script_free(&s);
}

/* ==== The timeline's commands and the run's end ==== */

/*
 * A reset: logout (DISCONNECT 0xb0 and close_notify), then 0.5 s later the
 * phone arrives again as after a reboot: a fresh login, no cookie.
 */
static void test_reset(void **state)
{
	(void)state;
	for (int bye = 0; bye < 2; bye++) {
		struct script s;
		uint64_t at;

		script_init(&s, "https://vpn.test/");
		/* ocserv answers a logout with its own close_notify, which the phone reads as data */
		s.h.bye_on_disconnect = bye;
		script_start(&s);
		tunnel_up(&s);
		at = s.now + 3 * S_SECOND;
		phone_reset(&s.w, s.p, s.now, at, false); /* spread: not yet */
		script_settle(&s);
		assert_state(&s, PH_TUNNEL);
		script_advance(&s, at);
		assert_state(&s, PH_IDLE);
		assert_int_equal(s.h.frames[CSTP_DISCONNECT], 1);
		assert_int_equal(s.h.last_disconnect[0], CSTP_DISCONNECT_LOGOUT);
		assert_true(s.h.close_notify || bye); /* a headend that closed reads no more */
		assert_int_equal(s.w.st.resets, 1);
		assert_int_equal(s.w.st.up_now, 0);
		assert_int_equal(s.wake_at, at + 500000);
		script_advance(&s, at + 500000);
		assert_state(&s, PH_RESOLVING);
		script_dns(&s, LOOKUP_OK, "198.18.0.1");
		script_connect(&s, 0);
		assert_state(&s, PH_TUNNEL);
		assert_int_equal(s.h.posts, 2);       /* logged in afresh */
		assert_int_equal(s.w.st.attempted, 1); /* the same phone */
		assert_int_equal(s.w.st.tunnels_up, 2);
		assert_int_equal(fails_all(&s), 0);
		script_free(&s);
	}
}

/* A phone that had failed is brought back by a reset. */
static void test_reset_failed_phone(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, -ECONNREFUSED);
	assert_failed(&s, R_TCP_REFUSED);
	phone_reset(&s.w, s.p, s.now, s.now, false);
	assert_state(&s, PH_IDLE);
	assert_int_equal(s.w.st.failed, 0);
	assert_int_equal(s.w.st.failed_by[R_TCP_REFUSED], 0);
	script_advance_by(&s, 500000);
	assert_state(&s, PH_CONNECTING);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	script_free(&s);
}

/* A cut: TCP held both ways and datagrams lost until the path is restored; then all flows. */
static void test_cut(void **state)
{
	struct script s;
	uint64_t up;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	timers(&s, 0, 20, 0, 20);
	script_start(&s);
	tunnel_up(&s);
	up = s.now;
	phone_cut(&s.w, s.p, s.now, up + 45 * S_SECOND, 1.0);
	script_advance(&s, up + 44 * S_SECOND);
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 0);      /* held */
	assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 0); /* lost */
	assert_int_equal(s.w.st.keepalives_sent, 4);
	script_advance(&s, up + 45 * S_SECOND);
	/* restored: what TCP held reaches the headend; lost datagrams stay lost */
	assert_int_equal(s.h.frames[CSTP_KEEPALIVE], 2);
	assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 0);
	assert_int_equal(s.impair_loss, 0);
	script_advance(&s, up + 60 * S_SECOND);
	assert_int_equal(s.h.dtls_frames[CSTP_KEEPALIVE], 1);
	assert_state(&s, PH_TUNNEL);
	script_free(&s);
}

/* The run's end: logout on both channels, then done; counted as disconnected. */
static void test_stop_logout(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.h.dtls = HD_PSK;
	desktop(&s);
	script_start(&s);
	tunnel_up(&s);
	assert_int_equal(worker_stop(&s.w, s.now), 0); /* no calls: at once */
	script_settle(&s);
	assert_state(&s, PH_DONE);
	assert_true(phone_finished(s.p));
	assert_int_equal(s.h.frames[CSTP_DISCONNECT], 1);
	assert_int_equal(s.h.dtls_frames[CSTP_DISCONNECT], 1);
	assert_true(s.h.close_notify);
	assert_int_equal(s.w.st.disconnected, 1);
	assert_int_equal(s.w.st.up_now, 0);
	assert_int_equal(s.w.st.dtls_now, 0);
	assert_false(s.ch[CH_TCP].open);
	assert_false(s.ch[CH_UDP].open);
	assert_int_equal(fails_all(&s), 0);
	script_free(&s);
}

/* A logout that cannot leave (the headend stopped reading): done after 2 s anyway. */
static void test_stop_logout_stuck(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);
	s.hold_sends = true;
	worker_stop(&s.w, s.now);
	script_settle(&s);
	assert_state(&s, PH_CLOSING);
	script_advance_by(&s, 2 * S_SECOND - 1);
	assert_state(&s, PH_CLOSING);
	script_advance_by(&s, 1);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.disconnected, 1);
	script_free(&s);
}

/* The run ends before the phone got its tunnel, or before it was due, or as it was due. */
static void test_stop_early(void **state)
{
	struct script s;

	(void)state;
	/* connecting: aborted */
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	script_arrive(&s);
	worker_stop(&s.w, s.now);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.aborted, 1);
	assert_false(s.ch[CH_TCP].open);
	script_free(&s);

	/* backing off: aborted too */
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	script_tcp_end(&s, 0);
	assert_state(&s, PH_BACKOFF);
	worker_stop(&s.w, s.now);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.aborted, 1);
	assert_int_equal(s.wake_at, UINT64_MAX);
	script_free(&s);

	/* not yet due: never arrives */
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	phone_due(&s.w, s.p, s.now + S_SECOND);
	worker_stop(&s.w, s.now);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.attempted, 0);
	assert_int_equal(s.wake_at, UINT64_MAX);
	script_free(&s);

	/* due at this very moment: it arrives, then is cut short like the others */
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	phone_due(&s.w, s.p, s.now);
	worker_stop(&s.w, s.now);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.attempted, 1);
	assert_int_equal(s.w.st.aborted, 1);
	script_free(&s);
}

/* The capacity search stopped arrivals: a phone not yet arrived never starts. */
static void test_arrivals_stopped(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	script_start(&s);
	phone_due(&s.w, s.p, s.now + S_SECOND);
	s.fleet.no_arrivals = 1;
	script_advance_by(&s, S_SECOND);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.attempted, 0);
	assert_int_equal(s.ch[CH_TCP].opens, 0);
	script_free(&s);
}

/* worker_apply carries each command of the timeline to the phones it selects. */
static void test_commands(void **state)
{
	struct script s;
	struct phone_command c;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);

	/* a selection that leaves phone 0 out does nothing to it */
	memset(&c, 0, sizeof(c));
	c.action = PA_RESET;
	c.sel.fraction = 1;
	c.sel.n_ranges = 1;
	c.sel.lo[0] = c.sel.hi[0] = 7;
	worker_apply(&s.w, &c, s.now);
	script_settle(&s);
	assert_state(&s, PH_TUNNEL);

	/* trust: a new list, for the next handshake only */
	memset(&c, 0, sizeof(c));
	c.action = PA_TRUST;
	c.sel.fraction = 1;
	c.n_hashes = 1;
	memset(c.hashes[0], 0x42, 20);
	worker_apply(&s.w, &c, s.now);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.p->trust->n, 1);
	assert_memory_equal(s.p->trust->sha1[0], c.hashes[0], 20);

	/* DNS servers: handed to the worker's resolver */
	memset(&c, 0, sizeof(c));
	c.action = PA_DNS;
	c.n_dns = 1;
	worker_apply(&s.w, &c, s.now);
	assert_int_equal(s.dns_servers_set, 1);

	/* a cut: the path is impaired for its duration */
	memset(&c, 0, sizeof(c));
	c.action = PA_CUT;
	c.sel.fraction = 1;
	c.duration_us = 5 * S_SECOND;
	c.loss = 0.25;
	worker_apply(&s.w, &c, s.now);
	assert_int_equal(s.impair_until, s.now + 5 * S_SECOND);
	assert_true(s.impair_loss == 0.25);

	/* lost, reconnecting: the new trust list now applies, and refuses the headend */
	script_tcp_end(&s, 0);
	script_advance_by(&s, 10 * S_SECOND);
	script_dns(&s, LOOKUP_OK, "198.18.0.1");
	script_connect(&s, 0);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(fails(&s, R_CERT_HASH), 1);
	assert_int_equal(s.w.st.reconnect_failures, 1);

	/* reset, by command: the phone restarts */
	memset(&c, 0, sizeof(c));
	c.action = PA_RESET;
	c.sel.fraction = 1;
	worker_apply(&s.w, &c, s.now);
	assert_state(&s, PH_IDLE);
	assert_int_equal(s.w.st.resets, 1);
	script_free(&s);
}

/* The run ends in each phase of the bring-up: the phone gives up, counted as aborted. */
/* A phone held in phase (PH_RESOLVING to PH_CSTP) of its bring-up: the headend is silent. */
static void hold_in_phase(struct script *s, int phase)
{
	script_init(s, "https://vpn.test/");
	s->h.auth = phase == PH_AUTH ? HA_SILENT : HA_OK;
	s->h.connect = HC_SILENT;
	script_start(s);
	script_arrive(s);
	if (phase > PH_RESOLVING)
		script_dns(s, LOOKUP_OK, "198.18.0.1");
	s->hold_sends = phase == PH_TLS;
	if (phase > PH_CONNECTING)
		script_connect(s, 0);
	assert_state(s, (enum phone_state)phase);
}

static void test_stop_in_each_phase(void **state)
{
	(void)state;
	for (int phase = PH_RESOLVING; phase <= PH_CSTP; phase++) {
		struct script s;

		hold_in_phase(&s, phase);
		worker_stop(&s.w, s.now);
		script_settle(&s);
		assert_state(&s, PH_DONE);
		assert_int_equal(s.w.st.aborted, 1);
		assert_int_equal(fails_all(&s), 0);
		assert_false(s.ch[CH_TCP].open);
		script_free(&s);
	}
}

/*
 * A reset in each phase of the bring-up: no logout to send (no tunnel yet), so
 * the phone drops its connection at once, is idle (no failure counted), and
 * arrives again 0.5 s later as after a reboot; its tunnel then comes up.
 */
static void test_reset_in_each_phase(void **state)
{
	(void)state;
	for (int phase = PH_RESOLVING; phase <= PH_CSTP; phase++) {
		struct script s;

		hold_in_phase(&s, phase);
		phone_reset(&s.w, s.p, s.now, s.now, false);
		script_settle(&s);
		assert_state(&s, PH_IDLE);
		assert_int_equal(s.w.st.resets, 1);
		assert_int_equal(fails_all(&s), 0);
		assert_false(s.ch[CH_TCP].open);
		assert_int_equal(s.h.frames[CSTP_DISCONNECT], 0);
		s.hold_sends = false;
		s.h.auth = HA_OK;
		s.h.connect = HC_OK;
		script_advance_by(&s, 500000);
		assert_state(&s, PH_RESOLVING);
		script_dns(&s, LOOKUP_OK, "198.18.0.1");
		script_connect(&s, 0);
		assert_state(&s, PH_TUNNEL);
		assert_int_equal(s.w.st.attempted, 1); /* the same phone */
		assert_int_equal(s.w.st.tunnels_up, 1);
		script_free(&s);
	}
}

/* Any refusal by url1 before the tunnel, the login's included, moves on to url2. */
static void test_failover_in_login(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.more_urls[0] = strdup("https://vpn2.test/svc");
	s.cfg.n_more_urls = 1;
	s.h.auth = HA_404; /* a 1.1.6 headend on the phone's first URL */
	script_start(&s);
	bring_up(&s);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(s.w.st.failovers, 1);
	s.h.auth = HA_OK;
	script_advance(&s, s.now);
	assert_state(&s, PH_RESOLVING);
	assert_string_equal(s.lookup_host, "vpn2.test");
	script_dns(&s, LOOKUP_OK, "198.18.0.2");
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_non_null(strstr(s.h.last_post, "POST /svc HTTP/1.1"));
	script_free(&s);
}

/* Reconnecting, the lookup fails: a failed reconnection, and the next try backs off more. */
static void test_reconnect_lookup_fails(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://vpn.test/");
	script_start(&s);
	tunnel_up(&s);
	script_tcp_end(&s, 0);
	script_advance_by(&s, 10 * S_SECOND);
	assert_state(&s, PH_RESOLVING);
	script_dns(&s, LOOKUP_TIMEOUT, NULL);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(s.w.st.reconnect_failures, 1);
	assert_int_equal(s.wake_at, s.now + 20 * S_SECOND);
	script_free(&s);
}

/*
 * Reconnecting, this machine cannot give the phone a socket (its source
 * address gone a while: EADDRNOTAVAIL): ours (LocalResource), and the phone
 * tries again after its backoff instead of failing for good; each try is
 * counted, and it stays among the lost until it is back. A first bring-up
 * that meets the same is final.
 */
static void test_reconnect_local_retried(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.cfg.reconnect = RECONNECT_ALWAYS;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	script_tcp_end(&s, 0);
	assert_int_equal(s.w.st.lost_now, 1);
	assert_int_equal(s.w.st.reconnect_attempts, 0);
	script_advance(&s, s.wake_at);
	assert_state(&s, PH_CONNECTING);
	assert_int_equal(s.w.st.reconnect_attempts, 1);
	script_connect(&s, -EADDRNOTAVAIL);
	assert_state(&s, PH_BACKOFF);
	assert_int_equal(fails(&s, R_LOCAL_RESOURCE), 1);
	assert_int_equal(s.w.st.reconnect_failures, 1);
	assert_int_equal(s.w.st.failed, 0);
	assert_int_equal(s.w.st.lost_now, 1);
	script_advance(&s, s.wake_at);
	assert_int_equal(s.w.st.reconnect_attempts, 2);
	script_connect(&s, 0);
	assert_state(&s, PH_TUNNEL);
	assert_int_equal(s.w.st.reconnects, 1);
	assert_int_equal(s.w.st.lost_now, 0);
	script_free(&s);

	script_init(&s, "https://198.18.0.1/");
	s.cfg.reconnect = RECONNECT_ALWAYS;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, -EADDRNOTAVAIL);
	assert_state(&s, PH_FAILED);
	assert_int_equal(s.w.st.failed_by[R_LOCAL_RESOURCE], 1);
	assert_int_equal(s.w.st.reconnect_attempts, 0);
	assert_int_equal(s.w.st.lost_now, 0);
	script_free(&s);
}

/* A phone waiting to reconnect when the run ends leaves the lost (aborted). */
static void test_lost_given_up(void **state)
{
	struct script s;

	(void)state;
	script_init(&s, "https://198.18.0.1/");
	s.cfg.reconnect = RECONNECT_ALWAYS;
	script_start(&s);
	script_arrive(&s);
	script_connect(&s, 0);
	script_tcp_end(&s, 0);
	assert_int_equal(s.w.st.lost_now, 1);
	/* the run ends while it waits: it leaves the lost too */
	phone_stop(&s.w, s.p, s.now);
	assert_int_equal(s.w.st.lost_now, 0);
	assert_int_equal(s.w.st.aborted, 1);
	script_free(&s);
}

/* DTLS ends with the tunnel, in whatever state it was. */
static void test_dtls_ends_with_tunnel(void **state)
{
	(void)state;
	for (int c = 0; c < 2; c++) {
		struct script s;

		script_init(&s, "https://vpn.test/");
		s.h.dtls = HD_PSK;
		desktop(&s);
		s.h.dtls_srv = c == 0 ? HDS_SILENT : HDS_REFUSE;
		s.cfg.reconnect = RECONNECT_NEVER;
		script_start(&s);
		tunnel_up(&s);
		assert_int_equal(s.p->dtls, c == 0 ? DT_HANDSHAKE : DT_FAILED);
		script_tcp_end(&s, 0);
		assert_state(&s, PH_FAILED);
		assert_int_equal(s.p->reason, R_CLOSED_BY_HEADEND);
		assert_int_equal(s.p->dtls, DT_OFF);
		assert_false(s.ch[CH_UDP].open);
		assert_int_equal(s.w.st.dtls_now, 0);
		/* the DTLS failure was counted when it happened, the tunnel's end now */
		assert_int_equal(fails_all(&s), c == 0 ? 1 : 2);
		script_free(&s);
	}
}

/*
 * The run's end with calls: the phones hang up first (a call ends, scored as
 * completed once its last echoes had VOICE_DRAIN_US to come back) and log
 * out only after that.
 */
static void test_stop_with_calls(void **state)
{
	struct script s;
	int rtp;

	(void)state;
	script_init(&s, "https://vpn.test/");
	s.cfg.calls = 1.0; /* always in a call: the first starts as the tunnel comes up */
	s.cfg.call_duration_us = 600 * S_SECOND;
	inet_pton(AF_INET, "198.18.0.1", &s.cfg.voice_target.sin_addr);
	s.cfg.voice_target.sin_port = htons(5004);
	s.fleet.voice = &voice_hooks;
	script_start(&s);
	assert_int_equal(voice_init(&s.w, s.p), 0);
	tunnel_up(&s);
	script_advance_by(&s, S_SECOND);
	rtp = s.h.data_tls - 1; /* less the ping */
	assert_true(rtp >= 49 && rtp <= 51); /* G.711 at 20 ms: 50 a second */
	assert_int_equal(s.sent_due, rtp);
	uint64_t again = worker_stop(&s.w, s.now);
	assert_int_equal(again, s.now + VOICE_DRAIN_US + 20000);
	script_advance(&s, again - 1);
	assert_state(&s, PH_TUNNEL);                     /* still up: the echoes may come */
	assert_int_equal(s.h.data_tls - 1, rtp);         /* hung up: nothing more sent */
	assert_int_equal(s.w.st.calls_completed, 1);
	assert_int_equal(worker_stop(&s.w, again), 0);
	script_settle(&s);
	assert_state(&s, PH_DONE);
	assert_int_equal(s.w.st.disconnected, 1);
	assert_int_equal(s.w.st.calls_dropped, 0);
	script_free(&s);
}

/* ==== The transitions covered ==== */

/* The state machine's transitions, and what takes each (DESIGN: the phone's states). */
static const struct {
	uint8_t from, to;
	const char *why;
} transitions[] = {
    {PH_IDLE, PH_RESOLVING, "due, the URL names a host"},
    {PH_IDLE, PH_CONNECTING, "due, the URL holds an address"},
    {PH_IDLE, PH_DONE, "run ends or arrivals stop before it is due"},
    {PH_RESOLVING, PH_CONNECTING, "looked up"},
    {PH_RESOLVING, PH_FAILED, "NXDOMAIN, no answer, 29 s give-up, lookup refused"},
    {PH_RESOLVING, PH_BACKOFF, "failover or reconnect while resolving"},
    {PH_RESOLVING, PH_DONE, "run ends"},
    {PH_CONNECTING, PH_TLS, "TCP connected"},
    {PH_CONNECTING, PH_FAILED, "refused, timed out, socket error"},
    {PH_CONNECTING, PH_BACKOFF, "failover, or a reconnection refused"},
    {PH_CONNECTING, PH_DONE, "run ends"},
    {PH_TLS, PH_AUTH, "handshake done, no cookie"},
    {PH_TLS, PH_CSTP, "handshake done, reconnecting with the cookie"},
    {PH_TLS, PH_FAILED, "certificate, alert, cipher, refused, closed, timer"},
    {PH_TLS, PH_BACKOFF, "a reconnection refused in TLS (new trust list)"},
    {PH_TLS, PH_DONE, "run ends"},
    {PH_AUTH, PH_CSTP, "cookie received"},
    {PH_AUTH, PH_FAILED, "refused, bad reply, closed, timer"},
    {PH_AUTH, PH_BACKOFF, "failover or reconnect during login"},
    {PH_AUTH, PH_DONE, "run ends"},
    {PH_CSTP, PH_TUNNEL, "200 CONNECTED"},
    {PH_CSTP, PH_FAILED, "CONNECT refused, bad reply, closed, timer"},
    {PH_CSTP, PH_BACKOFF, "cookie refused: log in again at once"},
    {PH_CSTP, PH_DONE, "run ends"},
    {PH_TUNNEL, PH_CLOSING, "logout: run's end or reset"},
    {PH_TUNNEL, PH_BACKOFF, "tunnel lost, reconnecting"},
    {PH_TUNNEL, PH_FAILED, "tunnel lost for good"},
    {PH_BACKOFF, PH_RESOLVING, "retry, URL with a host"},
    {PH_BACKOFF, PH_CONNECTING, "retry, URL with an address"},
    {PH_BACKOFF, PH_DONE, "run ends"},
    {PH_BACKOFF, PH_IDLE, "reset while backing off"},
    {PH_CLOSING, PH_DONE, "logged out (or 2 s passed)"},
    {PH_CLOSING, PH_IDLE, "logged out for a reset: restart"},
    {PH_FAILED, PH_IDLE, "reset brings it back"},
    {PH_RESOLVING, PH_IDLE, "reset before the tunnel: dropped, back 0.5 s later"},
    {PH_CONNECTING, PH_IDLE, "reset before the tunnel"},
    {PH_TLS, PH_IDLE, "reset before the tunnel"},
    {PH_AUTH, PH_IDLE, "reset before the tunnel"},
    {PH_CSTP, PH_IDLE, "reset before the tunnel"},
};

static const struct {
	uint8_t from, to;
	const char *why;
} dtls_transitions[] = {
    {DT_OFF, DT_HANDSHAKE, "offered: hello sent"},
    {DT_HANDSHAKE, DT_UP, "handshake done"},
    {DT_HANDSHAKE, DT_FAILED, "failed, timed out, not resumed, no socket"},
    {DT_OFF, DT_FAILED, "no UDP socket"},
    {DT_UP, DT_FAILED, "DPD, the headend's DISCONNECT"},
    {DT_FAILED, DT_HANDSHAKE, "retry"},
    {DT_UP, DT_OFF, "the tunnel ends"},
    {DT_HANDSHAKE, DT_OFF, "the tunnel ends during the handshake"},
    {DT_FAILED, DT_OFF, "the tunnel ends after DTLS failed"},
};

static const char *const dtls_names[] = {"off", "handshake", "up", "failed"};

static int print_coverage(void **state)
{
	unsigned covered = 0, dcovered = 0, n = sizeof(transitions) / sizeof(transitions[0]);
	unsigned dn = sizeof(dtls_transitions) / sizeof(dtls_transitions[0]);

	(void)state;
	for (unsigned i = 0; i < n; i++)
		covered += seen_state[transitions[i].from][transitions[i].to] > 0;
	for (unsigned i = 0; i < dn; i++)
		dcovered += seen_dtls[dtls_transitions[i].from][dtls_transitions[i].to] > 0;
	printf("%u phones driven; phone state transitions covered: %u of %u; DTLS: %u of %u\n",
	       scripts_run, covered, n, dcovered, dn);
	for (unsigned i = 0; i < n; i++)
		if (!seen_state[transitions[i].from][transitions[i].to])
			printf("  not covered: %s -> %s (%s)\n",
			       phone_state_name((enum phone_state)transitions[i].from),
			       phone_state_name((enum phone_state)transitions[i].to), transitions[i].why);
	for (unsigned i = 0; i < dn; i++)
		if (!seen_dtls[dtls_transitions[i].from][dtls_transitions[i].to])
			printf("  not covered: DTLS %s -> %s (%s)\n",
			       dtls_names[dtls_transitions[i].from], dtls_names[dtls_transitions[i].to],
			       dtls_transitions[i].why);
	/* a transition seen that the table does not list is a state machine the table misreads */
	for (int a = 0; a < PH__COUNT; a++)
		for (int b = 0; b < PH__COUNT; b++) {
			bool listed = false;

			for (unsigned i = 0; i < n; i++)
				listed |= transitions[i].from == a && transitions[i].to == b;
			if (seen_state[a][b] && !listed)
				printf("  seen, not in the table: %s -> %s\n",
				       phone_state_name((enum phone_state)a),
				       phone_state_name((enum phone_state)b));
		}
	return script_pki_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_up_without_dtls),
	    cmocka_unit_test(test_tls_records_openssl),
	    cmocka_unit_test(test_up_desktop_login),
	    cmocka_unit_test(test_session_at_get),
	    cmocka_unit_test(test_up_by_address_and_ping),
	    cmocka_unit_test(test_password_login),
	    cmocka_unit_test(test_session_token),
	    cmocka_unit_test(test_dtls_psk_up),
	    cmocka_unit_test(test_dtls_legacy_up),
	    cmocka_unit_test(test_phone_dtls),
	    cmocka_unit_test(test_phone_dtls_up),
	    cmocka_unit_test(test_phone_dtls_cipher_mismatch),
	    cmocka_unit_test(test_phone_dtls_not_offered),
	    cmocka_unit_test(test_fail_bad_credentials),
	    cmocka_unit_test(test_fail_nxdomain),
	    cmocka_unit_test(test_fail_dns_lookup),
	    cmocka_unit_test(test_fail_internal),
	    cmocka_unit_test(test_fail_tcp),
	    cmocka_unit_test(test_fail_tcp_timer),
	    cmocka_unit_test(test_fail_socket),
	    cmocka_unit_test(test_fail_tls),
	    cmocka_unit_test(test_fail_host_id),
	    cmocka_unit_test(test_fail_login),
	    cmocka_unit_test(test_fail_password_refused),
	    cmocka_unit_test(test_fail_connect),
	    cmocka_unit_test(test_fail_connect_timer),
	    cmocka_unit_test(test_fail_closed_in_cstp),
	    cmocka_unit_test(test_login_chunked_new_connection),
	    cmocka_unit_test(test_login_malformed_framing),
	    cmocka_unit_test(test_login_redirect),
	    cmocka_unit_test(test_rekey),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_dpd_answered),
	    cmocka_unit_test(test_dpd_from_headend),
	    cmocka_unit_test(test_dpd_timeout),
	    cmocka_unit_test(test_tls_bad_record_taken_over),
	    cmocka_unit_test(test_cstp_malformed),
	    cmocka_unit_test(test_dtls_timeout),
	    cmocka_unit_test(test_dtls_failed_and_retry),
	    cmocka_unit_test(test_dtls_abort),
	    cmocka_unit_test(test_dtls_keepalive_and_dpd),
	    cmocka_unit_test(test_dtls_dpd_timeout),
	    cmocka_unit_test(test_dtls_disconnect),
	    cmocka_unit_test(test_reconnect_with_cookie),
	    cmocka_unit_test(test_reconnect_cookie_refused),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_give_up),
	    cmocka_unit_test(test_failover),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_reset_failed_phone),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_stop_logout),
	    cmocka_unit_test(test_stop_logout_stuck),
	    cmocka_unit_test(test_stop_with_calls),
	    cmocka_unit_test(test_stop_early),
	    cmocka_unit_test(test_arrivals_stopped),
	    cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_stop_in_each_phase),
	    cmocka_unit_test(test_reset_in_each_phase),
	    cmocka_unit_test(test_failover_in_login),
	    cmocka_unit_test(test_reconnect_lookup_fails),
	    cmocka_unit_test(test_reconnect_local_retried),
	    cmocka_unit_test(test_lost_given_up),
	    cmocka_unit_test(test_dtls_ends_with_tunnel),
	};

	return cmocka_run_group_tests(tests, script_pki_setup, print_coverage);
}
