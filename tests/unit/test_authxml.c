/*
 * tests/unit/test_authxml.c - the auth XML builders, byte for byte, and
 * the parser against ocserv 1.1.6's observed documents and an ASA-style
 * form (opaque block, group list, session token, odd quoting).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/proto/authxml.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* docs/anyconnect-protocol.md 1.3: the ocserv login form. */
static const char ocserv_user_form[] =
    DECL "<config-auth client=\"vpn\" type=\"auth-request\">\n"
	 "<version who=\"sg\">0.1(1)</version>\n"
	 "<auth id=\"main\">\n"
	 "<message>Please enter your username.</message>\n"
	 "<form method=\"post\" action=\"/auth\">\n"
	 "<input type=\"text\" name=\"username\" label=\"Username:\" />\n"
	 "</form></auth>\n"
	 "</config-auth>\n";

static const char ocserv_password_form[] =
    DECL "<config-auth client=\"vpn\" type=\"auth-request\">\n"
	 "<version who=\"sg\">0.1(1)</version>\n"
	 "<auth id=\"main\">\n"
	 "<message>Login failed.\nPlease enter your password.</message>\n"
	 "<form method=\"post\" action=\"/auth\">\n"
	 "<input type=\"password\" name=\"password\" label=\"Password:\" />\n"
	 "</form></auth>\n"
	 "</config-auth>\n";

static const char ocserv_success[] = DECL "<config-auth client=\"vpn\" type=\"complete\">\n"
					  "<version who=\"sg\">0.1(1)</version>\n"
					  "<auth id=\"success\">\n"
					  "<title>SSL VPN Service</title></auth></config-auth>\n";

/* An ASA-style form: opaque to echo, group list, odd quoting. */
static const char asa_form[] =
    "<?xml version='1.0' encoding='UTF-8'?>\r\n"
    "<!-- a comment with <tags> -->\r\n"
    "<config-auth\r\n type = 'auth-request' client='vpn'>\r\n"
    "<opaque is-for=\"sg\">\r\n"
    "<tunnel-group>PHONES</tunnel-group>\r\n"
    "<auth-handle>168</auth-handle>\r\n"
    "<config-hash>1595829378234</config-hash>\r\n"
    "</opaque>\r\n"
    "<auth   id='main'>\r\n"
    "<title>Login</title>\r\n"
    "<message>Enter &quot;name&quot; &amp; password &#x263A;</message>\r\n"
    "<error id=\"88\" param1=\"\" param2=\"\">Login failed &lt;3</error>\r\n"
    "<form>\r\n"
    "<input label=\"Username:\" name='username' type='text'></input>\r\n"
    "<input name=\"password\" type=\"password\" label=\"Password:\"/>\r\n"
    "<select name=\"group_list\" label=\"GROUP:\">\r\n"
    "<option value=\"PHONES\" selected=\"true\">Phones</option>\r\n"
    "<option>LAB</option>\r\n"
    "</select>\r\n"
    "<input type=\"hidden\" name=\"csrf\" value=\"a&amp;b\"/>\r\n"
    "<input type=\"password\" name=\"verify_pin\"/>\r\n"
    "<input type=\"submit\" name=\"Login\" value=\"Logon\"/>\r\n"
    "</form></auth>\r\n"
    "</config-auth>\r\n";

static const char asa_complete[] =
    DECL "<config-auth client=\"vpn\" type=\"complete\">"
	 "<session-id>12345</session-id>"
	 "<session-token>\n  2B7F9E@12345@ABCD@0123456789ABCDEF\n</session-token>"
	 "<auth id=\"success\"><message id=\"0\" param1=\"\" param2=\"\">"
	 "</message></auth></config-auth>";

static void test_init_bytes(void **state)
{
	static const char want[] = DECL "<config-auth client=\"vpn\" type=\"init\" "
					"aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3"
					"</version><device-id>linux-64</device-id><group-access>"
					"https://127.0.0.1:24443/</group-access></config-auth>";
	static const char want_escaped[] =
	    DECL "<config-auth client=\"vpn\" type=\"init\" "
		 "aggregate-auth-version=\"2\"><version who=\"vpn\">1&lt;2"
		 "</version><device-id>a&quot;b</device-id><group-access>"
		 "https://h/p?a=1&amp;b=&apos;2&apos;&gt;</group-access>"
		 "</config-auth>";
	char buf[1024];
	int n;

	(void)state;
	n = authxml_init(buf, sizeof(buf), "v9.01-3", "linux-64", "https://127.0.0.1:24443/", false);
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);

	n = authxml_init(buf, sizeof(buf), "1<2", "a\"b", "https://h/p?a=1&b='2'>", false);
	assert_int_equal(n, strlen(want_escaped));
	assert_string_equal(buf, want_escaped);
}

static void test_enospc(void **state)
{
	char buf[1024];
	size_t need;

	(void)state;
	need = (size_t)authxml_init(buf, sizeof(buf), "v", "d", "https://h/", false);
	for (size_t cap = 0; cap <= need; cap++)
		if (authxml_init(buf, cap, "v", "d", "https://h/", false) != -ENOSPC)
			fail_msg("cap %zu: expected -ENOSPC", cap);
	assert_int_equal(authxml_init(buf, need + 1, "v", "d", "https://h/", false), need);
}

static void test_ocserv_forms(void **state)
{
	struct authxml_form f;

	(void)state;
	assert_int_equal(authxml_parse(ocserv_user_form, strlen(ocserv_user_form), &f), 0);
	assert_int_equal(f.type, AUTHXML_AUTH_REQUEST);
	assert_string_equal(f.auth_id, "main");
	assert_false(f.success);
	assert_string_equal(f.message, "Please enter your username.");
	assert_string_equal(f.error, "");
	assert_string_equal(f.action, "/auth");
	assert_int_equal(f.n_inputs, 1);
	assert_string_equal(f.inputs[0].name, "username");
	assert_string_equal(f.inputs[0].type, "text");
	assert_null(f.opaque);
	assert_int_equal(f.opaque_len, 0);
	assert_false(f.has_session_token);

	assert_int_equal(authxml_parse(ocserv_password_form, strlen(ocserv_password_form), &f), 0);
	assert_string_equal(f.message, "Login failed.\nPlease enter your password.");
	assert_int_equal(f.n_inputs, 1);
	assert_string_equal(f.inputs[0].name, "password");
	assert_string_equal(f.inputs[0].type, "password");

	assert_int_equal(authxml_parse(ocserv_success, strlen(ocserv_success), &f), 0);
	assert_int_equal(f.type, AUTHXML_COMPLETE);
	assert_string_equal(f.auth_id, "success");
	assert_true(f.success);
	assert_int_equal(f.n_inputs, 0);
	assert_string_equal(f.action, "");
}

static void test_ocserv_replies(void **state)
{
	static const char want_user[] =
	    DECL "<config-auth client=\"vpn\" type=\"auth-reply\" "
		 "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3"
		 "</version><device-id>linux-64</device-id><auth><username>"
		 "test</username></auth></config-auth>";
	static const char want_pass[] =
	    DECL "<config-auth client=\"vpn\" type=\"auth-reply\" "
		 "aggregate-auth-version=\"2\"><auth><password>a&amp;&lt;b"
		 "</password></auth></config-auth>";
	struct authxml_form f;
	char buf[2048];
	int n;

	(void)state;
	assert_int_equal(authxml_parse(ocserv_user_form, strlen(ocserv_user_form), &f), 0);
	f.version = "v9.01-3";
	f.device_id = "linux-64";
	n = authxml_reply(buf, sizeof(buf), &f, "test", "test123");
	assert_int_equal(n, strlen(want_user));
	assert_string_equal(buf, want_user);
	assert_int_equal(authxml_reply(buf, sizeof(buf), &f, NULL, "x"), -EINVAL);

	assert_int_equal(authxml_parse(ocserv_password_form, strlen(ocserv_password_form), &f), 0);
	n = authxml_reply(buf, sizeof(buf), &f, "test", "a&<b");
	assert_int_equal(n, strlen(want_pass));
	assert_string_equal(buf, want_pass);
	assert_int_equal(authxml_reply(buf, (size_t)n, &f, "test", "a&<b"), -ENOSPC);
}

static void test_asa_form(void **state)
{
	static const char opaque[] = "<opaque is-for=\"sg\">\r\n"
				     "<tunnel-group>PHONES</tunnel-group>\r\n"
				     "<auth-handle>168</auth-handle>\r\n"
				     "<config-hash>1595829378234</config-hash>\r\n"
				     "</opaque>";
	static const char want[] = DECL "<config-auth client=\"vpn\" type=\"auth-reply\" "
					"aggregate-auth-version=\"2\"><version who=\"vpn\">"
					"Cisco SVC IPPhone Client v1.0</version>"
					"<opaque is-for=\"sg\">\r\n"
					"<tunnel-group>PHONES</tunnel-group>\r\n"
					"<auth-handle>168</auth-handle>\r\n"
					"<config-hash>1595829378234</config-hash>\r\n"
					"</opaque><auth><username>SEP001122334455</username>"
					"<password>pw</password><csrf>a&amp;b</csrf></auth>"
					"<group-select>PHONES</group-select></config-auth>";
	struct authxml_form f;
	char buf[2048];
	const char *lab;
	int n;

	(void)state;
	assert_int_equal(authxml_parse(asa_form, strlen(asa_form), &f), 0);
	assert_int_equal(f.type, AUTHXML_AUTH_REQUEST);
	assert_string_equal(f.auth_id, "main");
	assert_string_equal(f.message, "Enter \"name\" & password \xe2\x98\xba");
	assert_string_equal(f.error, "Login failed <3");
	assert_string_equal(f.action, ""); /* no action: post back to the same URL */
	assert_int_equal(f.opaque_len, strlen(opaque));
	assert_memory_equal(f.opaque, opaque, f.opaque_len);
	assert_ptr_equal(f.opaque, asa_form + f.opaque_off);
	assert_int_equal(f.n_inputs, 6);
	assert_string_equal(f.inputs[0].name, "username");
	assert_string_equal(f.inputs[0].type, "text");
	assert_string_equal(f.inputs[2].name, "group_list");
	assert_string_equal(f.inputs[2].type, "select");
	assert_string_equal(f.inputs[2].value, "PHONES");
	assert_string_equal(f.inputs[3].value, "a&b");
	assert_int_equal(f.n_options, 2);
	assert_string_equal(f.options[0], "PHONES");
	assert_string_equal(f.options[1], "LAB");

	f.version = "Cisco SVC IPPhone Client v1.0";
	n = authxml_reply(buf, sizeof(buf), &f, "SEP001122334455", "pw");
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);

	/* The caller picks another group. */
	f.group = "LAB";
	n = authxml_reply(buf, sizeof(buf), &f, "SEP001122334455", "pw");
	assert_true(n > 0);
	lab = strstr(buf, "<group-select>LAB</group-select></config-auth>");
	assert_non_null(lab);
}

static void test_session_token(void **state)
{
	struct authxml_form f;
	char big[AUTHXML_TOKEN_MAX + 200];
	int n;

	(void)state;
	assert_int_equal(authxml_parse(asa_complete, strlen(asa_complete), &f), 0);
	assert_int_equal(f.type, AUTHXML_COMPLETE);
	assert_true(f.success);
	assert_true(f.has_session_token);
	assert_string_equal(f.session_token, "2B7F9E@12345@ABCD@0123456789ABCDEF");

	n = snprintf(big, sizeof(big), "<config-auth type=\"complete\"><session-token>");
	memset(big + n, 'A', AUTHXML_TOKEN_MAX);
	strcpy(big + n + AUTHXML_TOKEN_MAX, "</session-token></config-auth>");
	assert_int_equal(authxml_parse(big, strlen(big), &f), -EMSGSIZE);
}

static void test_other_documents(void **state)
{
	static const char auth_complete[] = "<config-auth type=\"auth-request\"><auth id=\"x\">"
					    "<authentication-complete/></auth></config-auth>";
	static const char failed[] = "<config-auth client=\"vpn\" type=\"auth-request\">"
				     "<auth id=\"failed\"><message>Bad</message></auth>";
	static const char cert_req[] = "<config-auth client=\"vpn\" type=\"auth-request\">"
				       "<client-cert-request/></config-auth>";
	struct authxml_form f;

	(void)state;
	assert_int_equal(authxml_parse(auth_complete, strlen(auth_complete), &f), 0);
	assert_true(f.success);
	/* A truncated document still yields what it holds. */
	assert_int_equal(authxml_parse(failed, strlen(failed), &f), 0);
	assert_false(f.success);
	assert_string_equal(f.auth_id, "failed");
	assert_string_equal(f.message, "Bad");
	assert_int_equal(authxml_parse(cert_req, strlen(cert_req), &f), 0);
	assert_true(f.client_cert_request);
	assert_int_equal(f.type, AUTHXML_AUTH_REQUEST);
}

static void check_refused(const char *s)
{
	struct authxml_form f;
	int err = authxml_parse(s, strlen(s), &f);

	if (err != -EBADMSG)
		fail_msg("\"%s\": expected -EBADMSG, got %d", s, err);
}

static void test_not_config_auth(void **state)
{
	(void)state;
	check_refused("");
	check_refused("garbage");
	check_refused(DECL);
	check_refused("<html><body>404 Not found</body></html>");
	check_refused(DECL "<auth id=\"main\"></auth>");
	check_refused("</config-auth>");
	check_refused("<config-auth type=\"complete\"");
	check_refused("<config-authx type=\"complete\"/>");
}

static void test_truncation(void **state)
{
	char body[2048], want[AUTHXML_TEXT_MAX];
	struct authxml_form f;
	int n;

	(void)state;
	n = snprintf(body, sizeof(body), "<config-auth><message>");
	memset(body + n, 'm', 1000);
	strcpy(body + n + 1000, "</message></config-auth>");
	assert_int_equal(authxml_parse(body, strlen(body), &f), 0);
	memset(want, 'm', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	assert_string_equal(f.message, want);

	/* More inputs than fit: the first AUTHXML_MAX_INPUTS are kept. */
	n = snprintf(body, sizeof(body), "<config-auth><form>");
	for (int i = 0; i < 12; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n,
			      "<input name=\"f%d\" type=\"text\"/>", i);
	snprintf(body + n, sizeof(body) - (size_t)n, "</form></config-auth>");
	assert_int_equal(authxml_parse(body, strlen(body), &f), 0);
	assert_int_equal(f.n_inputs, AUTHXML_MAX_INPUTS);
	assert_string_equal(f.inputs[7].name, "f7");
}

static void test_bad_input_name(void **state)
{
	static const char s[] = "<config-auth><form><input name=\"a&lt;b\" "
				"type=\"text\"/></form></config-auth>";
	struct authxml_form f;
	char buf[1024];

	(void)state;
	assert_int_equal(authxml_parse(s, strlen(s), &f), 0);
	assert_string_equal(f.inputs[0].name, "a<b");
	assert_int_equal(authxml_reply(buf, sizeof(buf), &f, "u", "p"), -EINVAL);
}

/*
 * Cisco Secure Access answering a login, 2025 (openconnect-sso issue 188):
 * type="complete" with an <error> and no success. "complete" is not success.
 */
static void test_complete_with_error(void **state)
{
	static const char sse[] = "<config-auth client=\"vpn\" type=\"complete\" "
				  "aggregate-auth-version=\"2\">\n"
				  "<error id=\"24\" param1=\"\" param2=\"\">Authentication "
				  "failed.</error>\n</config-auth>";
	struct authxml_form f;

	(void)state;
	assert_int_equal(authxml_parse(sse, strlen(sse), &f), 0);
	assert_int_equal(f.type, AUTHXML_COMPLETE);
	assert_false(f.success);
	assert_false(f.has_session_token);
	assert_string_equal(f.error, "Authentication failed.");
	assert_int_equal(f.error_id, 24);
}

/*
 * Message templates: an ASA of 2008 (openconnect commit 5f6631e8) writes
 * <message id="54" param1="" param2="">; the params fill "%s" in order.
 * The templated error is ours, in the same form.
 */
static void test_message_params(void **state)
{
	static const char asa[] = "<config-auth type=\"auth-request\"><auth id=\"next\">"
				  "<message id=\"54\" param1=\"\" param2=\"\">Enter the next card "
				  "code to complete authentication.</message>"
				  "<error id=\"7\" param1=\"CP-8841-SEP001122334455\" param2=\"3\">"
				  "\n  User %s: %s attempts left; 100%% sure %s\n</error>"
				  "</auth></config-auth>";
	struct authxml_form f;
	char big[3 * AUTHXML_TEXT_MAX];
	int n;

	(void)state;
	assert_int_equal(authxml_parse(asa, strlen(asa), &f), 0);
	assert_string_equal(f.message, "Enter the next card code to complete authentication.");
	/* two params at most; the third %s stays as it is */
	assert_string_equal(f.error, "User CP-8841-SEP001122334455: 3 attempts left; 100%% sure %s");
	assert_int_equal(f.error_id, 7);

	/* a long param is cut, never overrun */
	n = snprintf(big, sizeof(big), "<config-auth><error param1=\"");
	memset(big + n, 'p', AUTHXML_TEXT_MAX - 1);
	strcpy(big + n + AUTHXML_TEXT_MAX - 1, "\">%s and %s</error></config-auth>");
	assert_int_equal(authxml_parse(big, strlen(big), &f), 0);
	assert_int_equal(strlen(f.error), AUTHXML_TEXT_MAX - 1);
}

/*
 * The group the headend selected is the one sent back. The options are
 * written as a 2008 ASA wrote its group list (openconnect commit eaa41be1:
 * noaaa, auth-type, override-name, a value unlike the label); the
 * selected="true" marks are ours (no public body shows one; openconnect
 * reads them since 2013, commit a4bb6afc, the last one winning).
 */
static void test_selected_group(void **state)
{
	static const char form[] =
	    "<config-auth client=\"vpn\" type=\"auth-request\"><auth id=\"main\"><form>"
	    "<input type=\"text\" name=\"username\" label=\"Username:\"></input>"
	    "<input type=\"password\" name=\"password\" label=\"Password:\"></input>"
	    "<select name=\"group_list\" label=\"GROUP:\">"
	    "<option noaaa=\"0\" value=\"Layer3\">Certificate</option>"
	    "<option noaaa=\"0\" value=\"PHONES\" selected=\"TRUE\">Phones</option>"
	    "<option noaaa=\"0\" value=\"Layer3_ACE\" auth-type=\"sdi-via-proxy\" "
	    "override-name=\"password\" override-label=\"PASSCODE:\">SecureID</option>"
	    "</select>"
	    "<select name=\"region\"><option>eu</option><option selected=\"true\">us</option>"
	    "<option selected=\"false\">asia</option></select>"
	    "</form></auth></config-auth>";
	static const char twice[] = "<config-auth><select name=\"group_list\">"
				    "<option selected=\"true\">A</option><option>B</option>"
				    "<option selected=\"true\">C</option></select></config-auth>";
	struct authxml_form f;
	char buf[2048];

	(void)state;
	assert_int_equal(authxml_parse(form, strlen(form), &f), 0);
	assert_int_equal(f.n_options, 3);
	assert_int_equal(f.selected, 1);
	assert_string_equal(f.inputs[2].value, "PHONES");
	assert_string_equal(f.inputs[3].value, "us");
	assert_true(authxml_reply(buf, sizeof(buf), &f, "u", "p") > 0);
	assert_non_null(strstr(buf, "<region>us</region></auth><group-select>PHONES</group-select>"));
	assert_null(strstr(buf, "Layer3"));
	/* a group the scenario names still wins */
	f.group = "Layer3";
	assert_true(authxml_reply(buf, sizeof(buf), &f, "u", "p") > 0);
	assert_non_null(strstr(buf, "<group-select>Layer3</group-select>"));

	assert_int_equal(authxml_parse(twice, strlen(twice), &f), 0);
	assert_int_equal(f.selected, 2);
	assert_string_equal(f.inputs[0].value, "C");
	/* none selected: the first */
	assert_int_equal(authxml_parse(asa_form, strlen(asa_form), &f), 0);
	assert_int_equal(f.selected, 0);
	static const char none[] = "<config-auth><select name=\"group_list\"><option>A</option>"
				   "<option>B</option></select></config-auth>";
	assert_int_equal(authxml_parse(none, strlen(none), &f), 0);
	assert_int_equal(f.selected, -1);
	assert_string_equal(f.inputs[0].value, "A");
}

/*
 * A certificate asked for late: <client-cert-request/> (the shape
 * what-vpn and openconnect's test server use; no real ASA body is
 * public), the multi-certificate challenge with <cert-authenticated/>
 * (openconnect auth.c comment, from real servers), and our answer when we
 * have no certificate to give.
 */
static void test_client_cert_request(void **state)
{
	static const char req[] = "<config-auth client=\"vpn\" type=\"auth-request\" "
				  "aggregate-auth-version=\"2\"><client-cert-request /></config-auth>";
	static const char multi[] = "<config-auth client=\"vpn\" type=\"auth-request\">\n"
				    "  <multiple-client-cert-request>\n"
				    "    <hash-algorithm>sha256</hash-algorithm>\n"
				    "  </multiple-client-cert-request>\n"
				    "  <random>FA4003BD87436B227</random>\n"
				    "  <cert-authenticated/>\n</config-auth>";
	static const char want[] = DECL "<config-auth client=\"vpn\" type=\"init\" "
					"aggregate-auth-version=\"2\"><group-access>https://asa/phone"
					"</group-access><client-cert-fail/></config-auth>";
	struct authxml_form f;
	char buf[1024];

	(void)state;
	assert_int_equal(authxml_parse(req, strlen(req), &f), 0);
	assert_true(f.client_cert_request);
	assert_false(f.cert_authenticated);
	assert_false(f.success);
	assert_int_equal(f.n_inputs, 0);
	assert_int_equal(authxml_parse(multi, strlen(multi), &f), 0);
	assert_false(f.client_cert_request);
	assert_true(f.cert_authenticated);
	assert_int_equal(authxml_init(buf, sizeof(buf), NULL, NULL, "https://asa/phone", true),
			 strlen(want));
	assert_string_equal(buf, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_bytes),	    cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_ocserv_forms),    cmocka_unit_test(test_ocserv_replies),
	    cmocka_unit_test(test_asa_form),	    cmocka_unit_test(test_session_token),
	    cmocka_unit_test(test_other_documents), cmocka_unit_test(test_not_config_auth),
	    cmocka_unit_test(test_truncation),	    cmocka_unit_test(test_bad_input_name),
	    cmocka_unit_test(test_complete_with_error), cmocka_unit_test(test_message_params),
	    cmocka_unit_test(test_selected_group),  cmocka_unit_test(test_client_cert_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
