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
#include "engine/proto/svc.h"
#include "engine/trust/model.h"
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

/* ==== Sending ==== */

/* One request (rl bytes of req, or a builder's -errno) to the headend on the TLS stream. */
static void send_request(struct worker *w, struct phone *p, const char *req, int rl)
{
	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		phone_fail(w, p, R_INTERNAL, rl);
		return;
	}
	worker_flush(w, p, CH_TCP);
}

/* What every login request carries. Strings borrowed from the phone and its URL. */
static struct ac_request login_request(struct worker *w, const struct phone *p)
{
	const struct url *u = phone_url(w, p);

	return (struct ac_request){.host = u->host, .port = u->port,
				   .user_agent = p->model->user_agent, .cookies = NULL};
}

/*
 * The session cookie is in p->cookie, taken from the reply of total bytes
 * at the start of ibuf: the login is over, CONNECT follows.
 */
static void login_authenticated(struct worker *w, struct phone *p, uint64_t now, uint32_t total)
{
	worker_record(w, M_AUTH, now - p->t_phase);
	if (p->probe)
		p->probe->authenticated = true;
	PTRACE(p, now, "VPNC: -do_auth: authenticated, session cookie received");
	PTRACE(p, now, "VPNC: -do_connect: CONNECT /CSCOSSLC/tunnel");
	phone_ibuf_consume(p, total);
	phone_set_state(p, PH_CSTP, now);
	login_connect(w, p);
}

/* ==== The phone's exchange: GET, webvpnlogin, form POST, webvpn cookie ==== */

static void svc_get(struct worker *w, struct phone *p, uint64_t now)
{
	const char *path = phone_url(w, p)->path;
	struct ac_request rq = login_request(w, p);
	char req[1024];

	PTRACE(p, now, "VPNC: -do_login: GET %s", path);
	p->auth_step = 0;
	send_request(w, p, req, svc_get_request(req, sizeof(req), &rq, path));
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
	send_request(w, p, req,
		     svc_post_request(req, sizeof(req), &rq, path, password ? user : NULL,
				      password ? pass : NULL));
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
	struct svc_reply r;
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
			phone_fail(w, p, R_AUTH_FAILED, 200);
			return;
		}
		phone_ibuf_consume(p, (uint32_t)total);
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
		login_authenticated(w, p, now, (uint32_t)total);
		return;
	case SVC_NO_WEBVPN:
		PTRACE(p, now, "VPNC: -do_login: 'webvpn=' not found in cookie");
		phone_fail(w, p, R_WEBVPN_COOKIE, (int)r.body);
		return;
	case SVC_NO_LOGIN:
	case SVC_EMPTY_LOGIN:
	case SVC_LOGIN_TWICE:
		if (get)
			phone_fail(w, p, R_WEBVPN_LOGIN, (int)r.answer);
		else
			phone_fail(w, p, R_WEBVPN_COOKIE, (int)r.body); /* no session in it */
		return;
	case SVC_REDIRECT:
		PTRACE(p, now, "VPNC: -do_login: redirected to %.*s", (int)r.location_len,
		       r.location ? r.location : "(no Location)");
		phone_fail(w, p, R_HTTP_STATUS, r.status);
		return;
	case SVC_UNAUTHORIZED:
		phone_fail(w, p, R_AUTH_FAILED, r.status);
		return;
	case SVC_STATUS:
		phone_fail(w, p, R_HTTP_STATUS, r.status);
		return;
	}
}

/* ==== The desktop exchange: XML aggregate auth ==== */

/* Answer a login form with the phone's user name and password. */
static void answer_form(struct worker *w, struct phone *p, struct authxml_form *form)
{
	struct ac_request rq = login_request(w, p);
	char user[128], pass[128], body[2048], req[3072];
	bool asks_password = false;

	for (int i = 0; i < form->n_inputs; i++)
		if (!strcmp(form->inputs[i].type, "password"))
			asks_password = true;
	login_expand(user, sizeof(user), w->cfg->user_pattern, p);
	login_expand(pass, sizeof(pass), w->cfg->password_pattern, p);
	form->version = "1.0";
	form->device_id = "cisco-ip-phone";
	int bl = authxml_reply(body, sizeof(body), form, user, pass);
	int rl = bl < 0 ? bl
			: ac_auth_request(req, sizeof(req), &rq, form->action, body, (size_t)bl);
	p->auth_step++;
	p->password_sent |= asks_password;
	send_request(w, p, req, rl);
}

static void xml_start(struct worker *w, struct phone *p, uint64_t now)
{
	const char *path = phone_url(w, p)->path;
	struct ac_request rq = login_request(w, p);
	char body[1024], req[2048];
	int bl = authxml_init(body, sizeof(body), "1.0", "cisco-ip-phone",
			      w->fleet->url_text[p->url_i]);

	PTRACE(p, now, "VPNC: -do_auth: POST %s", path);
	send_request(w, p, req,
		     bl < 0 ? bl : ac_auth_request(req, sizeof(req), &rq, path, body, (size_t)bl));
}

/* A reply to an XML POST, head and body in ibuf[0..total). */
static void xml_input(struct worker *w, struct phone *p, uint64_t now,
		      const struct http_response *resp, int hl, int total)
{
	struct authxml_form form;

	if (resp->status != 200)
		PTRACE(p, now, "VPNC: -do_auth: HTTP %d %.*s", resp->status, (int)resp->reason_len,
		       resp->reason);
	if (resp->status == 401) {
		phone_fail(w, p, R_AUTH_FAILED, resp->status);
		return;
	}
	if (resp->status != 200) {
		phone_fail(w, p, R_HTTP_STATUS, resp->status);
		return;
	}
	if (authxml_parse((const char *)p->ibuf + hl, (size_t)(total - hl), &form) < 0) {
		phone_fail(w, p, R_HTTP_MALFORMED, 0);
		return;
	}
	if (p->probe && p->auth_step == 0) {
		p->probe->login = PROBE_LOGIN_DESKTOP;
		p->probe->login_status = resp->status;
	}
	if (form.type != AUTHXML_COMPLETE) {
		/*
		 * A login form. Certificate phones have nothing to answer with;
		 * a password phone answers once, and a form after its password
		 * ("Login failed") means refused: a phone does not retry.
		 */
		if (w->cfg->auth != AUTH_PASSWORD || p->password_sent || p->auth_step >= 4 ||
		    form.type != AUTHXML_AUTH_REQUEST) {
			phone_fail(w, p, R_AUTH_FAILED, resp->status);
			return;
		}
		phone_ibuf_consume(p, (uint32_t)total);
		PTRACE(p, now, "VPNC: -do_auth: login form \"%s\": answering", form.message);
		answer_form(w, p, &form);
		return;
	}
	if (http_cookie(resp, "webvpn", p->cookie, sizeof(p->cookie)) <= 0) {
		if (!form.has_session_token ||
		    strlen(form.session_token) >= sizeof(p->cookie)) {
			PTRACE(p, now, "VPNC: -do_auth: 'webvpn=' not found in cookie");
			phone_fail(w, p, R_WEBVPN_COOKIE, SVC_BODY_XML);
			return;
		}
		strcpy(p->cookie, form.session_token);
	}
	login_authenticated(w, p, now, (uint32_t)total);
}

/* ==== Both exchanges ==== */

void login_start(struct worker *w, struct phone *p, uint64_t now)
{
	p->auth_step = 0;
	p->password_sent = false;
	if (w->cfg->client == CLIENT_PHONE)
		svc_get(w, p, now);
	else
		xml_start(w, p, now);
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
	send_request(w, p, req, ac_connect_request(req, sizeof(req), &c));
}

/*
 * One HTTP reply (head and body) is in ibuf: returns its length, with the
 * head's in *head_len; 0 if incomplete; -1 when the phone failed on it.
 */
static int http_reply(struct worker *w, struct phone *p, struct http_response *resp,
		      int *head_len)
{
	int hl = http_parse_response((const char *)p->ibuf, p->ilen, resp);

	if (hl < 0) {
		phone_fail(w, p, R_HTTP_MALFORMED, hl);
		return -1;
	}
	if (hl == 0)
		return 0;
	/* a CONNECT reply has no body: the tunnel starts after the head */
	int64_t cl = p->state == PH_CSTP ? 0 : resp->content_length;
	if (cl < 0)
		cl = 0;
	if ((uint64_t)hl + (uint64_t)cl > IBUF_MAX) {
		phone_fail(w, p, R_HTTP_MALFORMED, -E2BIG);
		return -1;
	}
	if (p->ilen < (uint64_t)hl + (uint64_t)cl)
		return 0;
	*head_len = hl;
	return hl + (int)cl;
}

void login_auth_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct http_response resp;
	int hl = 0, total = http_reply(w, p, &resp, &hl);

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
	int hl, total = http_reply(w, p, &resp, &hl);

	if (total <= 0)
		return;
	if (resp.status != 200) {
		PTRACE(p, now, "VPNC: -do_connect: HTTP %d %.*s", resp.status, (int)resp.reason_len,
		       resp.reason);
		if (resp.status == 401 && p->reconnecting && p->cookie[0]) {
			/* the headend forgot the session: log in again, at once */
			PTRACE(p, now, "VPNC: -do_connect: session cookie refused: logging in again");
			p->cookie[0] = 0;
			phone_teardown(w, p);
			phone_set_state(p, PH_BACKOFF, now);
			p->retry_at = now;
			phone_wake(w, p, now);
			return;
		}
		phone_fail(w, p, R_TUNNEL_REFUSED, resp.status);
		return;
	}
	if (ac_parse_connect_reply(&resp, &t) < 0) {
		phone_fail(w, p, R_HTTP_MALFORMED, 0);
		return;
	}
	const struct http_header *dns = http_header(&resp, "X-CSTP-DNS");
	char a[16];
	p->ping_dst.s_addr = 0;
	if (dns && dns->value_len < sizeof(a)) {
		memcpy(a, dns->value, dns->value_len);
		a[dns->value_len] = 0;
		inet_pton(AF_INET, a, &p->ping_dst);
	}
	phone_ibuf_consume(p, (uint32_t)total);
	tunnel_up(w, p, &t, now);
	tunnel_cstp_input(w, p, now);
}
