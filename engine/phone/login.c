/*
 * engine/phone/login.c - a phone's HTTP exchanges with the headend (login.h).
 *
 * The login, by one of two exchanges (phones.client): the phone's own
 * (GET the URL, the login page's webvpnlogin cookie, the form POST, the
 * webvpn cookie: engine/proto/svc.h), or the desktop AnyConnect client's
 * XML (the init POST, and for password phones the username and password
 * forms, answered once). Then CONNECT /CSCOSSLC/tunnel with the X-CSTP and
 * X-DTLS headers of the phone's model and client, and the headend's answer
 * to it. Every answer that is not the next step is one named failure.
 */
#include "engine/phone/login.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/rand.h>

#include "engine/proto/anyconnect.h"
#include "engine/proto/authxml.h"
#include "engine/config.h"
#include "engine/proto/http.h"
#include "engine/proto/redirect.h"
#include "engine/proto/refusal.h"
#include "engine/proto/svc.h"
#include "engine/trust/model.h"
#include "engine/phone/exchange.h"
#include "engine/phone/phone_internal.h"
#include "engine/phone/tunnel.h"
#include "engine/proto/url.h"

#define CSTP_MTU 1406u /* what we ask for on a 1500-byte path */

/*
 * A credential pattern with %m (the MAC, 12 upper-case hex digits), %i (the
 * index in the fleet), %%.
 */
void login_expand(char *out, size_t cap, const char *pattern, const struct phone *p)
{
	size_t n = 0;

	for (const char *c = pattern; *c && n + 1 < cap; c++) {
		if (*c == '%' && (c[1] == 'm' || c[1] == 'i' || c[1] == '%')) {
			c++;
			if (*c == 'm')
				n += (size_t)snprintf(out + n, cap - n, "%012llX",
						      (unsigned long long)p->mac);
			else if (*c == 'i')
				n += (size_t)snprintf(out + n, cap - n, "%u",
						      p->w->cfg->index_base + p->idx);
			else
				out[n++] = '%';
			if (n >= cap)
				n = cap - 1;
		} else {
			out[n++] = *c;
		}
	}
	out[n] = 0;
}

/* What every login request carries. Strings borrowed from the phone and its URL. */
static struct ac_request login_request(struct worker *w, const struct phone *p)
{
	const struct url *u = phone_url(w, p);

	return (struct ac_request){.host = u->host, .port = u->port,
				   .user_agent = p->model->user_agent, .cookies = NULL};
}

/*
 * The session cookie is in p->cookie, from the reply resp of total bytes at
 * the start of ibuf: the login is over, CONNECT follows.
 */
static void login_authenticated(struct worker *w, struct phone *p, uint64_t now,
				const struct http_response *resp, uint32_t total)
{
	worker_record(w, M_AUTH, now - p->t_phase);
	if (p->probe)
		p->probe->authenticated = true;
	PTRACE(p, now, "VPNC: -do_auth: authenticated, session cookie received");
	PTRACE(p, now, "VPNC: -do_connect: CONNECT /CSCOSSLC/tunnel");
	exchange_done(p, total, resp);
	phone_set_state(p, PH_CSTP, now);
	login_connect(w, p);
}

/* ==== The desktop exchange: XML aggregate auth ==== */

/*
 * The answer to a login form, with the phone's user name and password, into
 * req[0..cap): its length or a builder's -errno. Built before the reply is
 * let go: the form's <opaque> still points into it.
 */
static int form_answer(struct worker *w, struct phone *p, struct authxml_form *form, char *req,
		       size_t cap)
{
	const struct url *u = phone_url(w, p);
	char user[128], pass[128], body[2048];
	struct ac_request rq = {.host = u->host, .port = u->port,
				.user_agent = p->model->user_agent, .cookies = NULL};
	bool asks_password = false;

	for (int i = 0; i < form->n_inputs; i++)
		if (!strcmp(form->inputs[i].type, "password"))
			asks_password = true;
	login_expand(user, sizeof(user), w->cfg->user_pattern, p);
	login_expand(pass, sizeof(pass), w->cfg->password_pattern, p);
	form->version = "1.0";
	form->device_id = "cisco-ip-phone";
	int bl = authxml_reply(body, sizeof(body), form, user, pass);
	p->auth_step++;
	p->password_sent |= asks_password;
	return bl < 0 ? bl
		      : ac_auth_request(req, cap, &rq, form->action[0] ? form->action : u->path, body,
					(size_t)bl);
}

/*
 * The XML init POST to the phone's URL (after a redirect, the new one),
 * with <client-cert-fail/> when the phone has no certificate to give;
 * on a new connection with EX_NEW_CONN in flags.
 */
static void xml_init(struct worker *w, struct phone *p, bool cert_fail, unsigned flags)
{
	const struct url *u = phone_url(w, p);
	char body[2048], req[3072], access[URL_MAX_HOST + URL_MAX_PATH + 16];
	struct ac_request rq = {.host = u->host, .port = u->port,
				.user_agent = p->model->user_agent, .cookies = NULL};

	if (p->redir && u->port != 443)
		snprintf(access, sizeof(access), "https://%s:%u%s", u->host, u->port, u->path);
	else if (p->redir)
		snprintf(access, sizeof(access), "https://%s%s", u->host, u->path);
	else
		snprintf(access, sizeof(access), "%s",
			 w->fleet->url_text[fleet_url_slot(w->fleet, p->idx, p->url_i)]);
	int bl = authxml_init(body, sizeof(body), "1.0", "cisco-ip-phone", access, cert_fail);
	int rl = bl < 0 ? bl : ac_auth_request(req, sizeof(req), &rq, u->path, body, (size_t)bl);

	exchange_send(w, p, req, rl, flags);
}

static void svc_get(struct worker *w, struct phone *p, uint64_t now);

void login_start(struct worker *w, struct phone *p, uint64_t now)
{
	p->auth_step = 0;
	p->password_sent = false;
	if (w->cfg->client == CLIENT_PHONE) {
		svc_get(w, p, now);
		return;
	}
	PTRACE(p, now, "VPNC: -do_auth: POST %s", phone_url(w, p)->path);
	xml_init(w, p, false, 0);
}

/*
 * What the phone offers in X-DTLS-CipherSuite. A phone: its model's legacy
 * DTLS 0.9 suites, whatever dtls.mode says (psk is refused for it when the
 * scenario is read). The desktop client: as dtls.mode says.
 */
static const char *dtls_offer(struct worker *w, struct phone *p, char *buf, size_t cap)
{
	if (w->cfg->client == CLIENT_PHONE)
		return w->cfg->dtls_mode == DTLS_MODE_OFF ? NULL : p->model->dtls_ciphers;
	switch (w->cfg->dtls_mode) {
	case DTLS_MODE_PSK:
		return "PSK-NEGOTIATE";
	case DTLS_MODE_LEGACY:
		return p->model->dtls_ciphers;
	case DTLS_MODE_AUTO:
		snprintf(buf, cap, "%s%s", p->model->dtls12 ? "PSK-NEGOTIATE:" : "",
			 p->model->dtls_ciphers);
		return buf;
	default:
		return NULL;
	}
}

void login_connect(struct worker *w, struct phone *p)
{
	const struct url *u = phone_url(w, p);
	char req[2048], host[32], offer[128];
	const char *ciphers = dtls_offer(w, p, offer, sizeof(offer));
	struct ac_connect c = {
		.host = u->host,
		.port = u->port,
		.user_agent = p->model->user_agent,
		.cookie = p->cookie,
		.hostname = host,
		.base_mtu = 1500,
		.mtu = CSTP_MTU,
		.dtls = ciphers != NULL,
		.master_secret = NULL,
		.dtls_ciphers = ciphers,
	};

	snprintf(host, sizeof(host), "SEP%012llX", (unsigned long long)p->mac);
	if (ciphers && strcmp(ciphers, "PSK-NEGOTIATE")) {
		RAND_bytes(p->master, sizeof(p->master));
		c.master_secret = p->master;
	}
	exchange_send(w, p, req, ac_connect_request(req, sizeof(req), &c), 0);
}

/* ==== What the headend said ==== */

/* The words of a refusal and where they came from, for phone_fail_said(). */
struct said_buf {
	char words[REFUSAL_WORDS_MAX];
	char status[48];
	struct fail_said s;
};

/*
 * What the headend said in the reply resp (its body at ibuf[hl..total)),
 * answering a request of method: its own words (X-Reason, an XML <error>,
 * a page's text) and its reason phrase.
 */
static const struct fail_said *said_of(struct said_buf *b, const struct phone *p,
				       const struct http_response *resp, int hl, int total,
				       const char *method)
{
	enum refusal_source src = refusal_words(resp, (const char *)p->ibuf + hl,
						(size_t)(total - hl), b->words, sizeof(b->words));

	refusal_clean(b->status, sizeof(b->status), resp->reason, resp->reason_len);
	b->s = (struct fail_said){.words = src == REFUSAL_NONE ? NULL : b->words,
				  .how = refusal_source_name(src),
				  .status = b->status,
				  .method = method};
	return &b->s;
}

/* ==== Redirects ==== */

/*
 * A redirect (3xx with a Location): resolved against the URL asked, at most
 * REDIRECT_MAX_HOPS of them, https only, no loops. The new URL replaces the
 * phone's for the rest of its session (a reconnection with the cookie goes
 * where the login ended, as openconnect's does); a new host gets a new
 * connection, whose certificate the phone checks against its trust list and
 * host ID as any other. The login starts again there.
 */
static void follow_redirect(struct worker *w, struct phone *p, uint64_t now,
			    const struct http_response *resp, int total)
{
	const struct url *cur = phone_url(w, p);
	struct http_header loc = {.value = "", .value_len = 0};
	struct url next;
	int r;

	http_header(resp, "Location", &loc);
	if (!p->redir) {
		p->redir = calloc(1, sizeof(*p->redir));
		if (!p->redir) {
			phone_fail(w, p, R_INTERNAL, -ENOMEM);
			return;
		}
		p->redir->u = *cur;
		redirect_start(&p->redir->trail, cur);
	}
	r = redirect_follow(&p->redir->trail, cur, loc.value, loc.value_len, &next);
	if (r) {
		char words[REFUSAL_WORDS_MAX];
		struct fail_said said = {.words = words, .how = "Location"};

		refusal_clean(words, sizeof(words), loc.value, loc.value_len);
		PTRACE(p, now, "VPNC: -do_auth: HTTP %d to \"%s\": %s", resp->status, words,
		       redirect_strerror(r));
		phone_fail_said(w, p, R_BAD_REDIRECT, r, &said);
		return;
	}
	bool same = redirect_same_server(cur, &next);

	STAT_ADD(w, redirects, 1);
	PTRACE(p, now, "VPNC: -do_auth: HTTP %d: redirected to https://%s:%u%s (%s)", resp->status,
	       next.host, next.port, next.path, same ? "same server" : "another server");
	p->redir->u = next;
	exchange_done(p, (uint32_t)total, resp);
	p->ex.cert_retried = false;
	p->ex.cert_fail_sent = false;
	if (same && !p->ex.closing) {
		login_start(w, p, now);
		return;
	}
	p->ex.resume = false;
	phone_new_connection(w, p, now);
}

/* ==== The phone's exchange: GET, webvpnlogin, form POST, webvpn cookie ==== */

static void svc_get(struct worker *w, struct phone *p, uint64_t now)
{
	const char *path = phone_url(w, p)->path;
	struct ac_request rq = login_request(w, p);
	char req[1024];

	PTRACE(p, now, "VPNC: -do_login: GET %s", path);
	p->auth_step = 0;
	exchange_send(w, p, req, svc_get_request(req, sizeof(req), &rq, path), 0);
}

/* The form POST: user name and password, or nothing for a certificate phone. */
static void svc_post(struct worker *w, struct phone *p, uint64_t now)
{
	const char *path = phone_url(w, p)->path;
	struct ac_request rq = login_request(w, p);
	bool password = w->cfg->auth == AUTH_PASSWORD;
	char user[128], pass[128], req[2048];

	if (password) {
		login_expand(user, sizeof(user), w->cfg->user_pattern, p);
		login_expand(pass, sizeof(pass), w->cfg->password_pattern, p);
	}
	PTRACE(p, now, "VPNC: -do_login: webvpnlogin cookie: POST %s (%s%s)", path,
	       password ? "username " : "certificate", password ? user : "");
	p->auth_step = 1;
	p->password_sent = password;
	exchange_send(w, p, req,
		      svc_post_request(req, sizeof(req), &rq, path, password ? user : NULL,
				       password ? pass : NULL),
		      0);
}

/* The probe notes who answered the phone's GET (phone.h, struct probe_result). */
static void probe_login(struct phone *p, const struct svc_reply *r)
{
	if (!p->probe || p->auth_step != 0)
		return;
	p->probe->login_status = r->status;
	if (r->answer == SVC_LOGIN_PAGE || r->answer == SVC_SESSION)
		p->probe->login = PROBE_LOGIN_PHONE;
	else if (r->body == SVC_BODY_XML)
		p->probe->login = PROBE_LOGIN_DESKTOP;
	else
		p->probe->login = PROBE_LOGIN_OTHER;
}

/*
 * An answer to the GET or the POST, head and body in ibuf[0..total). The
 * login page after the GET brings the POST; a session cookie after either
 * brings CONNECT; everything else is the phone's failure, named.
 */
static void svc_input(struct worker *w, struct phone *p, uint64_t now,
		      const struct http_response *resp, int hl, int total)
{
	bool get = p->auth_step == 0;
	const char *path = phone_url(w, p)->path;
	const char *method = get ? "GET" : "POST";
	struct svc_reply r;
	struct said_buf sb;
	int rc = svc_classify(resp, (const char *)p->ibuf + hl, (size_t)(total - hl), &r);

	probe_login(p, &r);
	if (r.answer != SVC_LOGIN_PAGE && r.answer != SVC_SESSION)
		PTRACE(p, now, "VPNC: -do_login: %s %s: HTTP %d %.*s, %s, %s", get ? "GET" : "POST",
		       path, resp->status, (int)resp->reason_len, resp->reason,
		       svc_answer_name(r.answer), svc_body_name(r.body));
	switch (r.answer) {
	case SVC_LOGIN_PAGE:
		if (!get) {
			/* the login page again: the headend wants what the phone did not send */
			phone_fail_said(w, p, R_AUTH_FAILED, 200, said_of(&sb, p, resp, hl, total, method));
			return;
		}
		exchange_done(p, (uint32_t)total, resp);
		if (p->probe && !p->cert && w->cfg->auth == AUTH_CERTIFICATE) {
			phone_probe_done(w, p, now); /* no identity to log in with */
			return;
		}
		svc_post(w, p, now);
		return;
	case SVC_SESSION:
		if (rc) {
			phone_fail(w, p, R_HTTP_MALFORMED, rc);
			return;
		}
		snprintf(p->cookie, sizeof(p->cookie), "%s", r.cookie);
		login_authenticated(w, p, now, resp, (uint32_t)total);
		return;
	case SVC_NO_WEBVPN:
		PTRACE(p, now, "VPNC: -do_login: 'webvpn=' not found in cookie");
		phone_fail_said(w, p, R_WEBVPN_COOKIE, (int)r.body, said_of(&sb, p, resp, hl, total, method));
		return;
	case SVC_NO_LOGIN:
	case SVC_EMPTY_LOGIN:
	case SVC_LOGIN_TWICE:
		if (get)
			phone_fail_said(w, p, R_WEBVPN_LOGIN, (int)r.answer, said_of(&sb, p, resp, hl, total, method));
		else
			phone_fail_said(w, p, R_WEBVPN_COOKIE, (int)r.body, said_of(&sb, p, resp, hl, total, method)); /* no session in it */
		return;
	case SVC_REDIRECT:
		PTRACE(p, now, "VPNC: -do_login: redirected to %.*s", (int)r.location_len,
		       r.location ? r.location : "(no Location)");
		phone_fail_said(w, p, R_HTTP_STATUS, r.status, said_of(&sb, p, resp, hl, total, method));
		return;
	case SVC_UNAUTHORIZED:
		phone_fail_said(w, p, R_AUTH_FAILED, r.status, said_of(&sb, p, resp, hl, total, method));
		return;
	case SVC_STATUS:
		phone_fail_said(w, p, R_HTTP_STATUS, r.status, said_of(&sb, p, resp, hl, total, method));
		return;
	}
}

/* ==== Replies ==== */

/*
 * The XML said the headend wants a client certificate (<client-cert-request/>,
 * asked after the TLS handshake). A phone with one tries once more on a new
 * connection, where the headend may ask for it in the handshake (openconnect
 * does the same); a phone without says so (<client-cert-fail/>), once. Asked
 * again after that, it fails, named.
 */
static void cert_requested(struct worker *w, struct phone *p, uint64_t now,
			   const struct http_response *resp, int total)
{
	if (p->cert && !p->ex.cert_retried) {
		PTRACE(p, now, "VPNC: -do_auth: the headend asks for the phone's certificate "
			       "(<client-cert-request/>): again on a new connection");
		p->ex.cert_retried = true;
		exchange_done(p, (uint32_t)total, resp);
		xml_init(w, p, false, EX_NEW_CONN);
		return;
	}
	if (!p->cert && !p->ex.cert_fail_sent) {
		PTRACE(p, now, "VPNC: -do_auth: the headend asks for a certificate the phone does not "
			       "have: <client-cert-fail/>");
		p->ex.cert_fail_sent = true;
		exchange_done(p, (uint32_t)total, resp);
		xml_init(w, p, true, 0);
		return;
	}
	PTRACE(p, now, "VPNC: -do_auth: <client-cert-request/> again: giving up");
	phone_fail(w, p, R_CLIENT_CERT, p->cert ? FAILURE_CERT_ASKED_AGAIN : FAILURE_CERT_NONE);
}

/* A reply to an XML POST, head and body in ibuf[0..total). */
static void xml_input(struct worker *w, struct phone *p, uint64_t now,
		      const struct http_response *resp, int hl, int total)
{
	struct authxml_form form;
	struct said_buf sb;

	if (resp->status != 200)
		PTRACE(p, now, "VPNC: -do_auth: HTTP %d %.*s", resp->status, (int)resp->reason_len,
		       resp->reason);
	if (redirect_status(resp->status)) {
		follow_redirect(w, p, now, resp, total);
		return;
	}
	if (resp->status == 401) {
		phone_fail_said(w, p, R_AUTH_FAILED, resp->status,
				said_of(&sb, p, resp, hl, total, "POST"));
		return;
	}
	if (resp->status != 200) {
		phone_fail_said(w, p, R_HTTP_STATUS, resp->status,
				said_of(&sb, p, resp, hl, total, "POST"));
		return;
	}
	if (authxml_parse((const char *)p->ibuf + hl, (size_t)(total - hl), &form) < 0) {
		/* a web page, not the AnyConnect XML: this URL is not a phones' tunnel group */
		const struct fail_said *said = said_of(&sb, p, resp, hl, total, "POST");

		struct svc_reply r;

		svc_classify(resp, (const char *)p->ibuf + hl, (size_t)(total - hl), &r);
		PTRACE(p, now, "VPNC: -do_auth: the answer is not the AnyConnect XML%s%s",
		       said->words ? ": " : "", said->words ? said->words : "");
		PTRACE(p, now, "VPNC: -do_auth: 'webvpn=' not found in cookie");
		phone_fail_said(w, p, R_WEBVPN_COOKIE, (int)r.body, said);
		return;
	}
	if (p->probe && p->auth_step == 0) {
		p->probe->login = PROBE_LOGIN_DESKTOP;
		p->probe->login_status = resp->status;
	}
	if (form.client_cert_request && !form.cert_authenticated) {
		cert_requested(w, p, now, resp, total);
		return;
	}
	if (form.error[0] && !form.success) {
		/* refused, in its words; type="complete" does not mean success */
		PTRACE(p, now, "VPNC: -do_auth: login refused: %s", form.error);
		phone_fail_said(w, p, R_AUTH_FAILED, FAILURE_LOGIN_REFUSED,
				said_of(&sb, p, resp, hl, total, "POST"));
		return;
	}
	if (form.type != AUTHXML_COMPLETE) {
		/*
		 * A login form. Certificate phones have nothing to answer with;
		 * a password phone answers once, and a form after its password
		 * ("Login failed") means refused: a phone does not retry.
		 */
		if (w->cfg->auth != AUTH_PASSWORD || p->password_sent || p->auth_step >= 4 ||
		    form.type != AUTHXML_AUTH_REQUEST) {
			phone_fail_said(w, p, R_AUTH_FAILED, resp->status,
					said_of(&sb, p, resp, hl, total, "POST"));
			return;
		}
		PTRACE(p, now, "VPNC: -do_auth: login form \"%s\": answering%s%s%s", form.message,
		       form.n_options ? " for group " : "",
		       form.n_options ? form.options[form.selected >= 0 ? form.selected : 0] : "",
		       form.selected >= 0 ? " (selected by the headend)" : "");
		char req[3072];
		int rl = form_answer(w, p, &form, req, sizeof(req));

		exchange_done(p, (uint32_t)total, resp);
		exchange_send(w, p, req, rl, 0);
		return;
	}
	if (http_cookie(resp, "webvpn", p->cookie, sizeof(p->cookie)) <= 0) {
		if (!form.has_session_token ||
		    strlen(form.session_token) >= sizeof(p->cookie)) {
			PTRACE(p, now, "VPNC: -do_auth: 'webvpn=' not found in cookie");
			phone_fail_said(w, p, R_WEBVPN_COOKIE, SVC_BODY_XML,
					said_of(&sb, p, resp, hl, total, "POST"));
			return;
		}
		strcpy(p->cookie, form.session_token);
	}
	login_authenticated(w, p, now, resp, (uint32_t)total);
}

void login_auth_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct http_response resp;
	int hl = 0, total = exchange_reply(w, p, &resp, &hl);

	if (total <= 0)
		return;
	if (w->cfg->client == CLIENT_PHONE)
		svc_input(w, p, now, &resp, hl, total);
	else
		xml_input(w, p, now, &resp, hl, total);
}

void login_connect_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct http_response resp;
	struct ac_tunnel t;
	struct said_buf sb;
	int hl = 0, total = exchange_reply(w, p, &resp, &hl);

	if (total <= 0)
		return;
	if (resp.status != 200) {
		PTRACE(p, now, "VPNC: -do_connect: HTTP %d %.*s", resp.status, (int)resp.reason_len,
		       resp.reason);
		if (resp.status == 401 && p->reconnecting && p->cookie[0]) {
			/* the headend forgot the session: log in again, at once, where it began */
			PTRACE(p, now, "VPNC: -do_connect: session cookie refused: logging in again");
			p->cookie[0] = 0;
			phone_forget_redirect(p);
			phone_teardown(w, p);
			exchange_reset(p);
			phone_set_state(p, PH_BACKOFF, now);
			p->retry_at = now;
			phone_wake(w, p, now);
			return;
		}
		const struct fail_said *said = said_of(&sb, p, &resp, hl, total, "CONNECT");

		if (said->words)
			PTRACE(p, now, "VPNC: -do_connect: the headend says (%s): %s", said->how,
			       said->words);
		phone_fail_said(w, p, R_TUNNEL_REFUSED, resp.status, said);
		return;
	}
	if (ac_parse_connect_reply(&resp, &t) < 0) {
		phone_fail(w, p, R_HTTP_MALFORMED, 0);
		return;
	}
	struct http_header dns;
	char a[16];
	p->ping_dst.s_addr = 0;
	if (http_header(&resp, "X-CSTP-DNS", &dns) && dns.value_len < sizeof(a)) {
		memcpy(a, dns.value, dns.value_len);
		a[dns.value_len] = 0;
		inet_pton(AF_INET, a, &p->ping_dst);
	}
	exchange_done(p, (uint32_t)total, &resp);
	tunnel_up(w, p, &t, now);
	tunnel_cstp_input(w, p, now);
}
