/*
 * engine/phone/login.c - a phone's HTTP exchanges with the headend (login.h).
 *
 * The XML authentication (the init POST, and for password phones the
 * username and password forms, answered once), the session cookie, then
 * CONNECT /CSCOSSLC/tunnel with the X-CSTP and X-DTLS headers of the
 * phone's model and DTLS mode, and the headend's answer to it.
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
#include "engine/ring/clock.h"
#include "engine/config.h"
#include "engine/proto/http.h"
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

/* Answer a login form with the phone's user name and password. */
static void answer_form(struct worker *w, struct phone *p, struct authxml_form *form)
{
	const struct url *u = phone_url(w, p);
	char user[128], pass[128], body[2048], req[3072];
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
	int rl = bl < 0 ? bl
			: ac_auth_request(req, sizeof(req), &rq,
					  form->action[0] ? form->action : u->path, body, (size_t)bl);
	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		phone_fail(w, p, R_INTERNAL, rl);
		return;
	}
	p->auth_step++;
	p->password_sent |= asks_password;
	worker_flush(w, p, CH_TCP);
}

void login_start(struct worker *w, struct phone *p)
{
	const struct url *u = phone_url(w, p);
	char body[1024], req[2048];
	struct ac_request rq = {.host = u->host, .port = u->port,
				.user_agent = p->model->user_agent, .cookies = NULL};
	int bl = authxml_init(body, sizeof(body), "1.0", "cisco-ip-phone",
			      swarm_url_text(w->sw, p->url_i), false);
	int rl = bl < 0 ? bl : ac_auth_request(req, sizeof(req), &rq, u->path, body, (size_t)bl);

	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		phone_fail(w, p, R_INTERNAL, rl);
		return;
	}
	worker_flush(w, p, CH_TCP);
}

static const char *dtls_offer(struct worker *w, struct phone *p, char *buf, size_t cap)
{
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
	bool dtls = w->cfg->dtls_mode != DTLS_MODE_OFF;
	struct ac_connect c = {
		.host = u->host,
		.port = u->port,
		.user_agent = p->model->user_agent,
		.cookie = p->cookie,
		.hostname = host,
		.base_mtu = 1500,
		.mtu = CSTP_MTU,
		.dtls = dtls,
		.master_secret = NULL,
		.dtls_ciphers = dtls ? dtls_offer(w, p, offer, sizeof(offer)) : NULL,
	};

	snprintf(host, sizeof(host), "SEP%012llX", (unsigned long long)p->mac);
	if (dtls && w->cfg->dtls_mode != DTLS_MODE_PSK) {
		RAND_bytes(p->master, sizeof(p->master));
		c.master_secret = p->master;
	}
	int rl = ac_connect_request(req, sizeof(req), &c);
	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		phone_fail(w, p, R_INTERNAL, rl);
		return;
	}
	worker_flush(w, p, CH_TCP);
}

/* One HTTP reply (head and body) is in ibuf; returns its length, 0 if incomplete. */
static int http_reply(struct worker *w, struct phone *p, struct http_response *resp)
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
	return hl + (int)cl;
}

void login_auth_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct http_response resp;
	struct authxml_form form;
	int total = http_reply(w, p, &resp);

	if (total <= 0)
		return;
	if (resp.status != 200)
		PTRACE(p, now, "VPNC: -do_auth: HTTP %d %.*s", resp.status, (int)resp.reason_len,
		       resp.reason);
	if (resp.status == 401) {
		phone_fail(w, p, R_AUTH_FAILED, resp.status);
		return;
	}
	if (resp.status != 200) {
		phone_fail(w, p, R_HTTP_STATUS, resp.status);
		return;
	}
	int hl = http_parse_response((const char *)p->ibuf, p->ilen, &resp);
	if (authxml_parse((const char *)p->ibuf + hl, (size_t)(total - hl), &form) < 0) {
		phone_fail(w, p, R_HTTP_MALFORMED, 0);
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
			phone_fail(w, p, R_AUTH_FAILED, resp.status);
			return;
		}
		phone_ibuf_consume(p, (uint32_t)total);
		PTRACE(p, now, "VPNC: -do_auth: login form \"%s\": answering", form.message);
		answer_form(w, p, &form);
		return;
	}
	if (http_cookie(&resp, "webvpn", p->cookie, sizeof(p->cookie)) <= 0) {
		if (!form.has_session_token ||
		    strlen(form.session_token) >= sizeof(p->cookie)) {
			/* the phone's "'webvpn=' not found in cookie" */
			phone_fail(w, p, R_AUTH_FAILED, 0);
			return;
		}
		strcpy(p->cookie, form.session_token);
	}
	worker_record(w, M_AUTH, now - p->t_phase);
	if (p->probe)
		p->probe->authenticated = true;
	PTRACE(p, now, "VPNC: -do_auth: authenticated, session cookie received");
	PTRACE(p, now, "VPNC: -do_connect: CONNECT /CSCOSSLC/tunnel");
	phone_ibuf_consume(p, (uint32_t)total);
	phone_set_state(p, PH_CSTP, now);
	login_connect(w, p);
}

void login_connect_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct http_response resp;
	struct ac_tunnel t;
	int total = http_reply(w, p, &resp);

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
			wheel_add(&w->wheel, &p->timer, now);
			return;
		}
		phone_fail(w, p, R_TUNNEL_REFUSED, resp.status);
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
	phone_ibuf_consume(p, (uint32_t)total);
	tunnel_up(w, p, &t, now);
	tunnel_cstp_input(w, p, now);
}
