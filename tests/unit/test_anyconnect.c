/*
 * tests/unit/test_anyconnect.c - the auth POST and CONNECT requests byte
 * for byte, and the CONNECT replies ocserv 1.1.6 was observed to send (PSK
 * and legacy DTLS, DTLS off) read through the real HTTP parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/anyconnect.h"
#include "engine/proto/http.h"

static const char ua[] = "Open AnyConnect VPN Agent v9.01-3";
static const char cookie[] = "AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=";

static void test_auth_request(void **state)
{
	static const char body[] = "<?xml?>\n<config-auth/>";
	static const char want[] = "POST / HTTP/1.1\r\n"
				   "Host: 127.0.0.1:24443\r\n"
				   "User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
				   "Accept: */*\r\n"
				   "Accept-Encoding: identity\r\n"
				   "X-Transcend-Version: 1\r\n"
				   "X-Aggregate-Auth: 1\r\n"
				   "Content-Type: application/xml; charset=utf-8\r\n"
				   "Content-Length: 22\r\n"
				   "\r\n"
				   "<?xml?>\n<config-auth/>";
	static const char want_cookie[] = "POST /auth HTTP/1.1\r\n"
					  "Host: vpn.example.com\r\n"
					  "User-Agent: Cisco SVC IPPhone Client v1.0\r\n"
					  "Cookie: webvpncontext=Q0NDQw==\r\n"
					  "Accept: */*\r\n"
					  "Accept-Encoding: identity\r\n"
					  "X-Transcend-Version: 1\r\n"
					  "X-Aggregate-Auth: 1\r\n"
					  "Content-Type: application/xml; charset=utf-8\r\n"
					  "Content-Length: 0\r\n"
					  "\r\n";
	struct ac_request rq = {"127.0.0.1", 24443, ua, NULL};
	char buf[1024];
	int n;

	(void)state;
	n = ac_auth_request(buf, sizeof(buf), &rq, "/", body, strlen(body));
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	for (size_t cap = 0; cap <= strlen(want); cap++)
		if (ac_auth_request(buf, cap, &rq, "/", body, strlen(body)) != -ENOSPC)
			fail_msg("cap %zu: expected -ENOSPC", cap);

	rq.cookies = "";
	assert_int_equal(ac_auth_request(buf, sizeof(buf), &rq, "/", body, strlen(body)),
			 strlen(want));

	rq = (struct ac_request){"vpn.example.com", 443, "Cisco SVC IPPhone Client v1.0",
				 "webvpncontext=Q0NDQw=="};
	n = ac_auth_request(buf, sizeof(buf), &rq, "/auth", "", 0);
	assert_int_equal(n, strlen(want_cookie));
	assert_string_equal(buf, want_cookie);

	/* Nothing may end a header line early or break the request line. */
	rq.cookies = "a=b\r\nX-Evil: 1";
	assert_int_equal(ac_auth_request(buf, sizeof(buf), &rq, "/", "", 0), -EINVAL);
	rq.cookies = NULL;
	assert_int_equal(ac_auth_request(buf, sizeof(buf), &rq, "/a b", "", 0), -EINVAL);
	assert_int_equal(ac_auth_request(buf, sizeof(buf), &rq, "auth", "", 0), -EINVAL);
}

static void test_connect_request(void **state)
{
	static const char want[] = "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
				   "Host: 127.0.0.1:24443\r\n"
				   "User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
				   "Cookie: webvpn=AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=\r\n"
				   "X-CSTP-Version: 1\r\n"
				   "X-CSTP-Hostname: vm\r\n"
				   "X-CSTP-Base-MTU: 1500\r\n"
				   "X-CSTP-MTU: 1390\r\n"
				   "X-CSTP-Address-Type: IPv4\r\n"
				   "X-DTLS-Master-Secret: 000102030405060708090A0B0C0D0E0F10111213"
				   "1415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F\r\n"
				   "X-DTLS-CipherSuite: PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:"
				   "AES256-SHA:AES128-SHA\r\n"
				   "X-DTLS12-CipherSuite: AES256-GCM-SHA384:AES128-GCM-SHA256\r\n"
				   "\r\n";
	static const char want_nodtls[] =
	    "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
	    "Host: vpn.example.com\r\n"
	    "User-Agent: Cisco SVC IPPhone Client v1.0\r\n"
	    "Cookie: webvpn=AEdOqM8hUgZG/fC4pHJsVVosHna6Pd5BXIM8VBI0pBg=\r\n"
	    "X-CSTP-Version: 1\r\n"
	    "X-CSTP-Address-Type: IPv4\r\n"
	    "\r\n";
	uint8_t secret[48];
	struct ac_connect c = {
	    .host = "127.0.0.1",
	    .port = 24443,
	    .user_agent = ua,
	    .cookie = cookie,
	    .hostname = "vm",
	    .base_mtu = 1500,
	    .mtu = 1390,
	    .dtls = true,
	    .master_secret = secret,
	    .dtls_ciphers = "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:"
			    "AES256-SHA:AES128-SHA",
	    .dtls12_ciphers = "AES256-GCM-SHA384:AES128-GCM-SHA256",
	};
	char buf[2048];
	int n;

	(void)state;
	for (int i = 0; i < 48; i++)
		secret[i] = (uint8_t)i;
	n = ac_connect_request(buf, sizeof(buf), &c);
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	for (size_t cap = 0; cap <= strlen(want); cap++)
		if (ac_connect_request(buf, cap, &c) != -ENOSPC)
			fail_msg("cap %zu: expected -ENOSPC", cap);

	/* DTLS off: no X-DTLS header even if ciphers are set. */
	c = (struct ac_connect){.host = "vpn.example.com",
				.port = 443,
				.user_agent = "Cisco SVC IPPhone Client v1.0",
				.cookie = cookie,
				.dtls = false,
				.master_secret = secret,
				.dtls_ciphers = "AES256-SHA"};
	n = ac_connect_request(buf, sizeof(buf), &c);
	assert_int_equal(n, strlen(want_nodtls));
	assert_string_equal(buf, want_nodtls);

	c.cookie = "abc\n";
	assert_int_equal(ac_connect_request(buf, sizeof(buf), &c), -EINVAL);
	c.cookie = NULL;
	assert_int_equal(ac_connect_request(buf, sizeof(buf), &c), -EINVAL);
}

#define APP_ID	"d8513c2e6f7a8b9c0d1e2f30415263748596a7b8c9dae0f1021324354c6b0c5d"
#define SESS_ID "7ecb00112233445566778899aabbccddeeff00112233445566778899aabb0a0a"

/* docs/anyconnect-protocol.md 2.2, PSK variant, in emitted order. */
static const char reply_psk[] = "HTTP/1.1 200 CONNECTED\r\n"
				"X-CSTP-Version: 1\r\n"
				"X-CSTP-Server-Name: ocserv 1.1.6\r\n"
				"X-CSTP-Hostname: vm\r\n"
				"X-CSTP-DPD: 90\r\n"
				"X-CSTP-Default-Domain: example.com\r\n"
				"X-CSTP-Address: 10.251.7.190\r\n"
				"X-CSTP-Netmask: 255.255.255.0\r\n"
				"X-CSTP-DNS: 10.251.7.1\r\n"
				"X-CSTP-Split-Include: 10.252.0.0/255.255.0.0\r\n"
				"X-CSTP-Tunnel-All-DNS: false\r\n"
				"X-CSTP-Client-Bypass-Protocol: false\r\n"
				"X-CSTP-Keepalive: 32400\r\n"
				"X-CSTP-Idle-Timeout: none\r\n"
				"X-CSTP-Smartcard-Removal-Disconnect: true\r\n"
				"X-CSTP-Rekey-Time: 172786\r\n"
				"X-CSTP-Rekey-Method: ssl\r\n"
				"X-CSTP-Session-Timeout: 0\r\n"
				"X-CSTP-Session-Timeout-Remaining: 0\r\n"
				"X-CSTP-Disconnected-Timeout: none\r\n"
				"X-CSTP-Keep: true\r\n"
				"X-CSTP-TCP-Keepalive: true\r\n"
				"X-CSTP-License: accept\r\n"
				"X-DTLS-DPD: 90\r\n"
				"X-DTLS-Port: 24443\r\n"
				"X-DTLS-Rekey-Time: 172796\r\n"
				"X-DTLS-Rekey-Method: ssl\r\n"
				"X-DTLS-Keepalive: 32400\r\n"
				"X-DTLS-App-ID: " APP_ID "\r\n"
				"X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
				"X-CSTP-Base-MTU: 1500\r\n"
				"X-CSTP-MTU: 1434\r\n"
				"\r\n";

/* The legacy variant of the DTLS block. */
static const char reply_legacy[] = "HTTP/1.1 200 CONNECTED\r\n"
				   "X-CSTP-Version: 1\r\n"
				   "X-CSTP-DPD: 90\r\n"
				   "X-CSTP-Address: 10.251.7.191\r\n"
				   "X-CSTP-Netmask: 255.255.255.0\r\n"
				   "X-CSTP-Keepalive: 32400\r\n"
				   "X-CSTP-Idle-Timeout: 1800\r\n"
				   "X-CSTP-Rekey-Time: 172786\r\n"
				   "X-CSTP-Rekey-Method: new-tunnel\r\n"
				   "X-DTLS-DPD: 90\r\n"
				   "X-DTLS-Port: 443\r\n"
				   "X-DTLS-Keepalive: 32400\r\n"
				   "X-DTLS-Session-ID: " SESS_ID "\r\n"
				   "X-DTLS12-CipherSuite: AES256-GCM-SHA384\r\n"
				   "X-DTLS-MTU: 1306\r\n"
				   "X-CSTP-Base-MTU: 1400\r\n"
				   "X-CSTP-MTU: 1306\r\n"
				   "\r\n";

/* UDP disabled on the headend. */
static const char reply_tcp_only[] = "HTTP/1.1 200 CONNECTED\r\n"
				     "X-CSTP-Version: 1\r\n"
				     "X-CSTP-DPD: 90\r\n"
				     "X-CSTP-Address: 10.251.7.192\r\n"
				     "X-CSTP-Netmask: 255.255.255.0\r\n"
				     "X-CSTP-Keepalive: 32400\r\n"
				     "X-CSTP-Base-MTU: 1500\r\n"
				     "X-CSTP-MTU: 1472\r\n"
				     "\r\n";

static int parse_reply(const char *s, struct ac_tunnel *t)
{
	struct http_response r;
	int n = http_parse_response(s, strlen(s), &r);

	if (n != (int)strlen(s))
		fail_msg("http_parse_response: expected %zu, got %d", strlen(s), n);
	return ac_parse_connect_reply(&r, t);
}

static void check_addr(struct in_addr a, const char *want)
{
	char got[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("address: expected %s, got %s", want, got);
}

static void test_reply_psk(void **state)
{
	struct ac_tunnel t;

	(void)state;
	assert_int_equal(parse_reply(reply_psk, &t), 0);
	check_addr(t.addr, "10.251.7.190");
	check_addr(t.netmask, "255.255.255.0");
	assert_int_equal(t.mtu, 1434);
	assert_int_equal(t.base_mtu, 1500);
	assert_int_equal(t.dpd, 90);
	assert_int_equal(t.keepalive, 32400);
	assert_int_equal(t.idle_timeout, 0);
	assert_int_equal(t.rekey_time, 172786);
	assert_int_equal(t.rekey_method, AC_REKEY_SSL);
	assert_int_equal(t.dtls, AC_DTLS_PSK);
	assert_int_equal(t.dtls_port, 24443);
	assert_int_equal(t.dtls_dpd, 90);
	assert_int_equal(t.dtls_keepalive, 32400);
	assert_int_equal(t.dtls_rekey_time, 172796);
	assert_int_equal(t.dtls_rekey_method, AC_REKEY_SSL);
	assert_int_equal(t.dtls_mtu, 0);
	assert_false(t.has_session_id);
	assert_int_equal(t.dtls_app_id_len, 32);
	assert_int_equal(t.dtls_app_id[0], 0xd8);
	assert_int_equal(t.dtls_app_id[1], 0x51);
	assert_int_equal(t.dtls_app_id[30], 0x0c);
	assert_int_equal(t.dtls_app_id[31], 0x5d);
	assert_string_equal(t.dtls_cipher, "PSK-NEGOTIATE");
	assert_false(t.dtls_cipher_12);
}

static void test_reply_legacy(void **state)
{
	struct ac_tunnel t;

	(void)state;
	assert_int_equal(parse_reply(reply_legacy, &t), 0);
	check_addr(t.addr, "10.251.7.191");
	assert_int_equal(t.idle_timeout, 1800);
	assert_int_equal(t.rekey_method, AC_REKEY_NEW_TUNNEL);
	assert_int_equal(t.dtls, AC_DTLS_LEGACY);
	assert_int_equal(t.dtls_port, 443);
	assert_int_equal(t.dtls_mtu, 1306);
	assert_true(t.has_session_id);
	assert_int_equal(t.dtls_session_id[0], 0x7e);
	assert_int_equal(t.dtls_session_id[1], 0xcb);
	assert_int_equal(t.dtls_session_id[31], 0x0a);
	assert_int_equal(t.dtls_app_id_len, 0);
	assert_string_equal(t.dtls_cipher, "AES256-GCM-SHA384");
	assert_true(t.dtls_cipher_12);
	assert_int_equal(t.mtu, 1306);
	assert_int_equal(t.base_mtu, 1400);
}

static void test_reply_tcp_only(void **state)
{
	struct ac_tunnel t;

	(void)state;
	assert_int_equal(parse_reply(reply_tcp_only, &t), 0);
	check_addr(t.addr, "10.251.7.192");
	assert_int_equal(t.dtls, AC_DTLS_NONE);
	assert_int_equal(t.dtls_port, 0);
	assert_int_equal(t.mtu, 1472);
	assert_int_equal(t.rekey_method, AC_REKEY_NONE);
}

/* Replace the first occurrence of from in base by to, parse the result. */
static int parse_edited(const char *base, const char *from, const char *to, struct ac_tunnel *t)
{
	static char buf[4096];
	const char *at = strstr(base, from);

	if (!at)
		fail_msg("test bug: \"%s\" not in the reply", from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	return parse_reply(buf, t);
}

static void check_edit(const char *base, const char *from, const char *to, int want)
{
	struct ac_tunnel t;
	int got = parse_edited(base, from, to, &t);

	if (got != want)
		fail_msg("\"%s\" -> \"%s\": expected %d, got %d", from, to, want, got);
}

static void test_reply_errors(void **state)
{
	static const char r401[] = "HTTP/1.1 401 Cookie is not acceptable\r\n"
				   "\r\n";
	struct ac_tunnel t;

	(void)state;
	assert_int_equal(parse_reply(r401, &t), -EINVAL);
	check_edit(reply_psk, "X-CSTP-Address: 10.251.7.190\r\n", "", -EBADMSG);
	check_edit(reply_psk, "10.251.7.190", "10.251.7", -EBADMSG);
	check_edit(reply_psk, "10.251.7.190", "10.251.7.190.1", -EBADMSG);
	check_edit(reply_psk, "X-CSTP-DPD: 90", "X-CSTP-DPD: 9O", -EBADMSG);
	check_edit(reply_psk, "X-CSTP-DPD: 90", "X-CSTP-DPD: -1", -EBADMSG);
	check_edit(reply_psk, "X-CSTP-DPD: 90", "X-CSTP-DPD: 4294967296", -EBADMSG);
	check_edit(reply_psk, "X-CSTP-DPD: 90", "X-CSTP-DPD: 4294967295", 0);
	check_edit(reply_psk, "X-DTLS-Port: 24443", "X-DTLS-Port: 65536", -EBADMSG);
	check_edit(reply_psk, "Rekey-Method: ssl", "Rekey-Method: foo", -EBADMSG);
	check_edit(reply_psk, APP_ID, APP_ID "00", -EBADMSG);
	check_edit(reply_psk, APP_ID, "d85", -EBADMSG);
	check_edit(reply_psk, APP_ID, "zz", -EBADMSG);
	check_edit(reply_legacy, SESS_ID, "7ecb", -EBADMSG);
	check_edit(reply_legacy, "AES256-GCM-SHA384",
		   "AES256-GCM-SHA384-AES256-GCM-SHA384-AES256-GCM-SHA384-"
		   "AES256-GCM",
		   -EBADMSG);
	/* Header names are matched case-insensitively on receive. */
	check_edit(reply_psk, "X-CSTP-Address:", "x-cstp-address:", 0);
}

static void test_reply_dtls_derivation(void **state)
{
	struct ac_tunnel t;

	(void)state;
	/* PSK-NEGOTIATE without an App-ID: no DTLS. */
	assert_int_equal(parse_edited(reply_psk, "X-DTLS-App-ID: " APP_ID "\r\n", "", &t), 0);
	assert_int_equal(t.dtls, AC_DTLS_NONE);
	/* No port: no DTLS. */
	assert_int_equal(parse_edited(reply_psk, "X-DTLS-Port: 24443\r\n", "", &t), 0);
	assert_int_equal(t.dtls, AC_DTLS_NONE);
	/* Legacy cipher without a Session-ID: no DTLS. */
	assert_int_equal(parse_edited(reply_legacy, "X-DTLS-Session-ID: " SESS_ID "\r\n", "", &t),
			 0);
	assert_int_equal(t.dtls, AC_DTLS_NONE);
	/* An IPv6 address first is skipped; the IPv4 one is taken. */
	assert_int_equal(parse_edited(reply_psk, "X-CSTP-Address: ",
				      "X-CSTP-Address: fd00::5\r\n"
				      "X-CSTP-Netmask: fd00::/64\r\n"
				      "X-CSTP-Address: ",
				      &t),
			 0);
	check_addr(t.addr, "10.251.7.190");
	check_addr(t.netmask, "255.255.255.0");
}

/*
 * The CONNECT reply of a real ASA: the header set openconnect-gui issue
 * 206 (2017) logged, continued by the tail issue 195 (2018) logged, values
 * as logged (the DTLS Session-ID in upper-case hex, split-DNS holding
 * addresses, ASA's defaults DPD 30 and Keepalive 20). The logs hide the
 * address lines; X-CSTP-Address and X-CSTP-Netmask are ours. Then, as a
 * desktop policy could, 300 split-include routes and a 10 KB
 * X-CSTP-Post-Auth-XML line (one line, as openconnect reads it).
 */
static void test_reply_asa(void **state)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\n"
	    "X-CSTP-Address: 10.10.1.7\r\n"
	    "X-CSTP-Netmask: 255.255.255.0\r\n"
	    "X-CSTP-Hostname: BJM1-F1D-IEXSV-001.baidu.com\r\n"
	    "X-CSTP-DNS: 172.22.1.253\r\n"
	    "X-CSTP-DNS: 10.10.10.10\r\n"
	    "X-CSTP-Lease-Duration: 43200\r\n"
	    "X-CSTP-Session-Timeout: 43200\r\n"
	    "X-CSTP-Idle-Timeout: 3600\r\n"
	    "X-CSTP-Disconnected-Timeout: 3600\r\n"
	    "X-CSTP-Default-Domain: baidu.com\r\n"
	    "X-CSTP-Split-Include: 10.0.0.0/255.0.0.0\r\n"
	    "X-CSTP-Split-Include: 172.16.0.0/255.240.0.0\r\n"
	    "X-CSTP-Split-Include: 100.64.0.0/255.192.0.0\r\n"
	    "X-CSTP-Split-DNS: 172.22.1.253\r\n"
	    "X-CSTP-Split-DNS: 10.10.10.10\r\n"
	    "X-CSTP-Keep: true\r\n"
	    "X-CSTP-Tunnel-All-DNS: true\r\n"
	    "X-CSTP-DPD: 30\r\n"
	    "X-CSTP-Keepalive: 20\r\n"
	    "X-CSTP-MSIE-Proxy-Lockdown: true\r\n"
	    "X-CSTP-Smartcard-Removal-Disconnect: false\r\n"
	    "X-DTLS-Session-ID: D1E7E172CADC810CA78CB256ABB314698A420C2C77A12CDBD87B43FE364947C8\r\n"
	    "X-DTLS-Port: 443\r\n"
	    "X-DTLS-Keepalive: 20\r\n"
	    "X-DTLS-DPD: 30\r\n"
	    "X-CSTP-MTU: 1300\r\n"
	    "X-DTLS-MTU: 1300\r\n"
	    "X-DTLS-CipherSuite: DHE-RSA-AES256-SHA\r\n"
	    "X-CSTP-Routing-Filtering-Ignore: false\r\n"
	    "X-CSTP-Quarantine: false\r\n"
	    "X-CSTP-Disable-Always-On-VPN: false\r\n"
	    "X-CSTP-Client-Bypass-Protocol: false\r\n"
	    "X-CSTP-TCP-Keepalive: true\r\n";
	static char buf[HTTP_MAX_HEAD];
	struct http_response r;
	struct ac_tunnel t;
	size_t n;

	(void)state;
	n = (size_t)sprintf(buf, "%s", head);
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(buf + n, "X-CSTP-Split-Include: 10.%d.%d.0/255.255.255.0\r\n",
				     i / 200, i % 200);
	n += (size_t)sprintf(buf + n, "X-CSTP-Post-Auth-XML: <?xml version=\"1.0\"?><config-auth "
				      "client=\"vpn\" type=\"complete\"><session-token>");
	memset(buf + n, 'A', 10000);
	n += 10000;
	n += (size_t)sprintf(buf + n, "</session-token><auth id=\"success\"/></config-auth>\r\n\r\n");
	assert_true(n < HTTP_MAX_HEAD);
	assert_int_equal(http_parse_response(buf, n, &r), n);
	assert_int_equal(r.n_headers, 33 + 300 + 1);
	assert_int_equal(ac_parse_connect_reply(&r, &t), 0);
	check_addr(t.addr, "10.10.1.7");
	assert_int_equal(t.mtu, 1300);
	assert_int_equal(t.dpd, 30);
	assert_int_equal(t.keepalive, 20);
	assert_int_equal(t.idle_timeout, 3600);
	assert_int_equal(t.rekey_method, AC_REKEY_NONE);
	assert_int_equal(t.dtls, AC_DTLS_LEGACY);
	assert_int_equal(t.dtls_port, 443);
	assert_int_equal(t.dtls_session_id[0], 0xD1);
	assert_int_equal(t.dtls_session_id[31], 0xC8);
	assert_string_equal(t.dtls_cipher, "DHE-RSA-AES256-SHA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_request),
	    cmocka_unit_test(test_connect_request),
	    cmocka_unit_test(test_reply_psk),
	    cmocka_unit_test(test_reply_legacy),
	    cmocka_unit_test(test_reply_tcp_only),
	    cmocka_unit_test(test_reply_errors),
	    cmocka_unit_test(test_reply_dtls_derivation),
	    cmocka_unit_test(test_reply_asa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
