/*
 * engine/phone.c - the phone state machine (phone.h).
 *
 * Handlers take a completion, advance the phone, and leave it waiting for
 * the next one; phone_arm() then sets the phone's single timer to the
 * earliest of its deadlines (connect timer, DNS give-up, DTLS
 * retransmission, keepalive and DPD of both channels). Failures go through
 * fail(), which counts the reason once and tears the connection down.
 */
#include "engine/phone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "engine/anyconnect.h"
#include "engine/authxml.h"
#include "engine/certhash.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/cstp.h"
#include "engine/dns.h"
#include "engine/dtls.h"
#include "engine/http.h"
#include "engine/inner.h"
#include "engine/membio.h"
#include "engine/model.h"
#include "engine/swarm.h"
#include "engine/url.h"
#include "engine/worker.h"

#define DNS_GIVE_UP_US 29000000u /* the phone gives up its lookup at about 29 s */
#define CLOSE_WAIT_US 2000000u   /* how long a DISCONNECT may take to leave */
#define IBUF_MIN 2048u
#define IBUF_MAX (HTTP_MAX_HEAD + 16384u) /* head + body, or one CSTP frame */
#define CSTP_MTU 1406u                    /* what we ask for on a 1500-byte path */

static const char *const state_names[PH__COUNT] = {
	"idle", "resolving", "connecting", "tls", "auth", "cstp", "tunnel", "backoff", "closing",
	"done", "failed",
};

const char *phone_state_name(enum phone_state s)
{
	return (unsigned)s < PH__COUNT ? state_names[s] : "?";
}

void phone_init(struct phone *p, struct worker *w, uint32_t idx)
{
	memset(p, 0, sizeof(*p));
	p->w = w;
	p->idx = idx;
	p->ch[CH_TCP].fd = -1;
	p->ch[CH_UDP].fd = -1;
	timer_init(&p->timer, phone_on_timer);
}

static void set_state(struct phone *p, enum phone_state s, uint64_t now)
{
	p->state = (uint8_t)s;
	p->t_phase = now;
}

/* The current connection is over (failed, done, or replaced by a new try). */
static inline bool gone(const struct phone *p)
{
	return p->state == PH_FAILED || p->state == PH_DONE || p->state == PH_BACKOFF;
}

static void free_ibuf(struct phone *p)
{
	free(p->ibuf);
	p->ibuf = NULL;
	p->ilen = p->icap = 0;
}

/* Close both channels and sessions; the kernel may still hold buffers. */
static void teardown(struct worker *w, struct phone *p)
{
	tls_close(&p->tls);
	tls_close(&p->dtls_s);
	worker_close(w, p, CH_TCP);
	worker_close(w, p, CH_UDP);
	free_ibuf(p);
	wheel_del(&w->wheel, &p->timer);
}

static void leave_tunnel(struct worker *w, struct phone *p)
{
	if (p->state == PH_TUNNEL || p->state == PH_CLOSING)
		STAT_SUB(w, up_now, 1);
	if (p->dtls == DT_UP)
		STAT_SUB(w, dtls_now, 1);
	p->dtls = DT_OFF;
}

static void fail(struct worker *w, struct phone *p, enum reason r, int detail)
{
	if (gone(p))
		return;
	uint64_t now = clock_us();

	/* Before the tunnel is up, a phone with more URLs tries the next one. */
	bool setup = p->state > PH_IDLE && p->state < PH_TUNNEL;
	bool local = r == R_BAD_CREDENTIALS || r == R_INTERNAL;

	if (setup && !local && p->url_i + 1 < swarm_n_urls(w->sw)) {
		PTRACE(p, now, "VPNC: -vpnc_control: %s failed (%s); trying url%d %s",
		       swarm_url_text(w->sw, p->url_i), reason_name(r), p->url_i + 2,
		       swarm_url_text(w->sw, p->url_i + 1));
		teardown(w, p);
		p->url_i++;
		STAT_ADD(w, failovers, 1);
		set_state(p, PH_BACKOFF, now);
		p->retry_at = now;
		wheel_add(&w->wheel, &p->timer, now);
		return;
	}
	if (r == R_CONNECT_TIMEOUT || r == R_TCP_TIMEOUT) {
		PTRACE(p, now, "VPNC: -vpnc_control: conn timer expired ... to abort connect");
		PTRACE(p, now, "VPNC: -abort_connect: in %s phase", phone_state_name(p->state));
	}
	if (r == R_DNS_LOOKUP)
		PTRACE(p, now, "VPNC: notify code: 32 [DnsLookupErr]");
	else
		PTRACE(p, now, "VPNC: notify: [%s] detail %d", reason_name(r), detail);

	/*
	 * A tunnel lost, or a reconnection that failed: by policy the phone
	 * comes back after a backoff (10 s, 20 s, ... 100 s), else it is down
	 * for good. A first bring-up that fails is final: that is what a load
	 * test measures.
	 */
	bool by_headend = r == R_CLOSED_BY_HEADEND && (detail == 5 || detail == 9);
	bool drop = p->state == PH_TUNNEL;

	if (!w->stopping && !local && (drop || (setup && p->reconnecting)) &&
	    policy_reconnect(w->cfg->reconnect, by_headend)) {
		uint64_t wait = policy_backoff_us(p->attempt++, w->cfg->backoff_us);

		if (drop) {
			p->dropped_at = now;
			p->reconnecting = true;
			STAT_ADD(w, tunnels_dropped, 1);
			PTRACE(p, now, "VPNC: set_login_state: LOGIN: 2 (CONNECTED) --> 1 (TRYING)");
		} else {
			STAT_ADD(w, reconnect_failures, 1);
		}
		leave_tunnel(w, p);
		STAT_ADD(w, failures[r], 1);
		teardown(w, p);
		p->url_i = 0;
		set_state(p, PH_BACKOFF, now);
		p->retry_at = now + wait;
		PTRACE(p, now, "VPNC: -vpnc_control: reconnecting in %.0f s", (double)wait / 1e6);
		wheel_add(&w->wheel, &p->timer, p->retry_at);
		return;
	}
	if (drop)
		STAT_ADD(w, tunnels_dropped, 1);
	leave_tunnel(w, p);
	p->reason = (uint8_t)r;
	p->detail = detail;
	if (p->probe) {
		p->probe->reason = (uint8_t)r;
		p->probe->detail = detail;
	}
	PTRACE(p, now, "VPNC: set_login_state: LOGIN: %s --> 3 (FAILED)",
	       drop ? "2 (CONNECTED)" : "1 (TRYING)");
	set_state(p, PH_FAILED, now);
	STAT_ADD(w, failed, 1);
	STAT_ADD(w, failures[r], 1);
	teardown(w, p);
}

static void ping_once(struct worker *w, struct phone *p, uint64_t now);

/* The probe has what it came for: leave (logging out if the tunnel is up). */
static void probe_done(struct worker *w, struct phone *p, uint64_t now)
{
	phone_stop(w, p, now);
}

/* DTLS trouble does not end the phone: the tunnel carries on over TLS. */
static void dtls_fail(struct worker *w, struct phone *p, enum reason r)
{
	uint64_t now = clock_us();

	PTRACE(p, now, "VPNC: -create_dtls_connection: DTLS setup failure (%s)", reason_name(r));
	PTRACE(p, now, "VPNC: connect : err: SSL success DTLS fail");
	if (p->dtls == DT_UP)
		STAT_SUB(w, dtls_now, 1);
	p->dtls = DT_FAILED;
	tls_close(&p->dtls_s);
	worker_close(w, p, CH_UDP);
	if (p->state != PH_TUNNEL)
		return;
	if (p->probe) {
		snprintf(p->probe->dtls, sizeof(p->probe->dtls), "failed: %s", reason_name(r));
		probe_done(w, p, now);
		return;
	}
	if (w->cfg->dtls_abort) {
		/* the strict phone: no DTLS, no connection ("abort_connect") */
		fail(w, p, r, 0);
		return;
	}
	STAT_ADD(w, failures[r], 1);
	if (w->cfg->dtls_retry_us)
		p->dtls_retry_at = now + w->cfg->dtls_retry_us;
	ping_once(w, p, now);
}

static void finish(struct worker *w, struct phone *p)
{
	PTRACE(p, clock_us(), "VPNC: -disconnect: tunnel closed, logged out");
	leave_tunnel(w, p);
	STAT_ADD(w, disconnected, 1);
	set_state(p, PH_DONE, clock_us());
	teardown(w, p);
}

bool phone_finished(const struct phone *p)
{
	return (p->state == PH_DONE || p->state == PH_FAILED) && !p->ch[CH_TCP].inflight &&
	       !p->ch[CH_UDP].inflight;
}

void phone_release(struct phone *p)
{
	tls_close(&p->tls);
	tls_close(&p->dtls_s);
	free_ibuf(p);
	for (int c = 0; c < 2; c++) {
		free(p->ch[c].rbuf);
		free(p->ch[c].sbuf);
		p->ch[c].rbuf = p->ch[c].sbuf = NULL;
	}
	X509_free(p->cert);
	p->cert = NULL;
	trace_free(&p->trace);
	free(p->probe);
	p->probe = NULL;
}

/* ==== Timer ==== */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Arm the phone's timer for the earliest of its deadlines in this state. */
static void phone_arm(struct worker *w, struct phone *p, uint64_t now)
{
	uint64_t next = UINT64_MAX, n;

	switch (p->state) {
	case PH_RESOLVING:
		next = min_u64(p->connect_deadline, p->t_phase + DNS_GIVE_UP_US);
		break;
	case PH_CONNECTING:
	case PH_TLS:
	case PH_AUTH:
	case PH_CSTP:
		next = p->connect_deadline;
		break;
	case PH_TUNNEL:
		policy_liveness(&p->live[CH_TCP], now, &n);
		next = n;
		if (p->dtls == DT_UP) {
			policy_liveness(&p->live[CH_UDP], now, &n);
			next = min_u64(next, n);
		} else if (p->dtls == DT_FAILED && p->dtls_retry_at) {
			next = min_u64(next, p->dtls_retry_at);
		} else if (p->dtls == DT_HANDSHAKE) {
			int64_t t = dtls_timeout_us(&p->dtls_s);

			next = min_u64(next, p->dtls_deadline);
			if (t >= 0)
				next = min_u64(next, now + (uint64_t)t);
		}
		break;
	case PH_CLOSING:
		next = p->close_deadline;
		break;
	case PH_BACKOFF:
		next = p->retry_at;
		break;
	default:
		break;
	}
	if (next == UINT64_MAX)
		wheel_del(&w->wheel, &p->timer);
	else
		wheel_add(&w->wheel, &p->timer, next);
}

/* ==== Sending ==== */

static void ibuf_consume(struct phone *p, uint32_t n)
{
	memmove(p->ibuf, p->ibuf + n, p->ilen - n);
	p->ilen -= n;
}

static int send_cstp(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		     uint16_t len, uint64_t now)
{
	uint8_t frame[CSTP_HEADER_LEN + 1600];

	if (len > sizeof(frame) - CSTP_HEADER_LEN)
		return -EMSGSIZE;
	cstp_header(frame, type, len);
	if (len)
		memcpy(frame + CSTP_HEADER_LEN, payload, len);
	/* one frame, one record: ocserv reads them one to one */
	if (tls_write(&p->tls, frame, CSTP_HEADER_LEN + len))
		return -EPROTO;
	STAT_ADD(w, cstp_tx_bytes, CSTP_HEADER_LEN + len);
	p->live[CH_TCP].last_tx_us = now;
	worker_flush(w, p, CH_TCP);
	return 0;
}

static int send_dtls(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		     uint16_t len, uint64_t now)
{
	uint8_t rec[1 + 1600];

	if (len > sizeof(rec) - 1)
		return -EMSGSIZE;
	rec[0] = type;
	if (len)
		memcpy(rec + 1, payload, len);
	if (tls_write(&p->dtls_s, rec, 1u + len))
		return -EPROTO;
	STAT_ADD(w, dtls_tx_bytes, 1u + len);
	p->live[CH_UDP].last_tx_us = now;
	worker_flush(w, p, CH_UDP);
	tls_idle(&p->dtls_s);
	return 0;
}

/* An IP packet into the tunnel: over DTLS while it is up, else over TLS. */
static int send_data(struct worker *w, struct phone *p, const uint8_t *pkt, uint16_t len,
		     uint64_t now)
{
	int r = p->dtls == DT_UP ? send_dtls(w, p, CSTP_DATA, pkt, len, now)
				 : send_cstp(w, p, CSTP_DATA, pkt, len, now);
	if (!r)
		STAT_ADD(w, data_tx_packets, 1);
	return r;
}

/*
 * Once the data path is settled (DTLS up, failed, or not offered), the
 * phone pings the DNS server the headend gave it, as a phone checks its
 * network: one echo, timed, proving both directions of the tunnel.
 */
static void ping_once(struct worker *w, struct phone *p, uint64_t now)
{
	uint8_t pkt[128];
	int n;

	if (p->pinged || !p->ping_dst.s_addr)
		return;
	p->pinged = true;
	n = inner_icmp_echo(pkt, sizeof(pkt), p->tun_addr, p->ping_dst, (uint16_t)p->idx,
			    p->gen, 56);
	if (n > 0 && !send_data(w, p, pkt, (uint16_t)n, now))
		p->ping_sent_us = now;
}

static void on_data(struct worker *w, struct phone *p, const uint8_t *pkt, size_t len,
		    uint64_t now)
{
	struct inner_info in;

	STAT_ADD(w, data_rx_packets, 1);
	if (len && (pkt[0] >> 4) == 6)
		return; /* the headend's IPv6 housekeeping: phones here speak IPv4 */
	if (inner_parse(pkt, len, &in) < 0) {
		STAT_ADD(w, data_rx_bad, 1);
		return;
	}
	if (in.proto == IPPROTO_ICMP && in.icmp_type == 0 && in.icmp_id == (uint16_t)p->idx &&
	    in.icmp_seq == p->gen && p->ping_sent_us) {
		worker_record(w, M_PING_RTT, now - p->ping_sent_us);
		PTRACE(p, now, "VPNC: ping %s through the tunnel: %.2f ms", inet_ntoa(in.src),
		       (double)(now - p->ping_sent_us) / 1e3);
		p->ping_sent_us = 0;
	}
}

static const struct url *url_of(struct worker *w, const struct phone *p)
{
	return swarm_url(w->sw, p->url_i);
}

/* A credential pattern with %m (the MAC, 12 upper-case hex digits), %i (the index), %%. */
static void expand(char *out, size_t cap, const char *pattern, const struct phone *p)
{
	size_t n = 0;

	for (const char *c = pattern; *c && n + 1 < cap; c++) {
		if (*c == '%' && (c[1] == 'm' || c[1] == 'i' || c[1] == '%')) {
			c++;
			if (*c == 'm')
				n += (size_t)snprintf(out + n, cap - n, "%012llX",
						      (unsigned long long)p->mac);
			else if (*c == 'i')
				n += (size_t)snprintf(out + n, cap - n, "%u", p->idx);
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
	const struct url *u = url_of(w, p);
	char user[128], pass[128], body[2048], req[3072];
	struct ac_request rq = {.host = u->host, .port = u->port,
				.user_agent = p->model->user_agent, .cookies = NULL};
	bool asks_password = false;

	for (int i = 0; i < form->n_inputs; i++)
		if (!strcmp(form->inputs[i].type, "password"))
			asks_password = true;
	expand(user, sizeof(user), w->cfg->user_pattern, p);
	expand(pass, sizeof(pass), w->cfg->password_pattern, p);
	form->version = "1.0";
	form->device_id = "cisco-ip-phone";
	int bl = authxml_reply(body, sizeof(body), form, user, pass);
	int rl = bl < 0 ? bl
			: ac_auth_request(req, sizeof(req), &rq, form->action, body, (size_t)bl);
	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		fail(w, p, R_INTERNAL, rl);
		return;
	}
	p->auth_step++;
	p->password_sent |= asks_password;
	worker_flush(w, p, CH_TCP);
}

static void send_auth(struct worker *w, struct phone *p)
{
	const struct url *u = url_of(w, p);
	char body[1024], req[2048];
	struct ac_request rq = {.host = u->host, .port = u->port,
				.user_agent = p->model->user_agent, .cookies = NULL};
	int bl = authxml_init(body, sizeof(body), "1.0", "cisco-ip-phone",
			      swarm_url_text(w->sw, p->url_i));
	int rl = bl < 0 ? bl : ac_auth_request(req, sizeof(req), &rq, u->path, body, (size_t)bl);

	if (rl < 0 || tls_write(&p->tls, req, (size_t)rl)) {
		fail(w, p, R_INTERNAL, rl);
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

static void send_connect(struct worker *w, struct phone *p)
{
	const struct url *u = url_of(w, p);
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
		fail(w, p, R_INTERNAL, rl);
		return;
	}
	worker_flush(w, p, CH_TCP);
}

/* ==== Bring-up ==== */

static void start_tcp(struct worker *w, struct phone *p, uint64_t now)
{
	int r;

	set_state(p, PH_CONNECTING, now);
	if (p->traced) {
		char src[16] = "any";
		struct in_addr a = {.s_addr = p->src};

		if (p->src)
			inet_ntop(AF_INET, &a, src, sizeof(src));
		PTRACE(p, now, "VPNC: -connect: TCP %s -> %s:%u", src, inet_ntoa(p->dst.sin_addr),
		       ntohs(p->dst.sin_port));
	}
	r = worker_tcp_connect(w, p);
	if (r)
		fail(w, p, R_TCP_ERROR, r);
}

/* Begin a connection to the phone's current URL: resolve it, or connect at once. */
static void start_url(struct worker *w, struct phone *p, uint64_t now)
{
	const struct url *u = url_of(w, p);

	p->gen++;
	p->dtls = DT_OFF;
	p->auth_step = 0;
	p->password_sent = false;
	p->verify_fail = R_NONE;
	p->dst.sin_family = AF_INET;
	p->dst.sin_port = htons(u->port);
	p->dst.sin_addr.s_addr = 0;
	if (url_host_is_ipv4(u)) {
		inet_pton(AF_INET, u->host, &p->dst.sin_addr);
		start_tcp(w, p, now);
	} else {
		set_state(p, PH_RESOLVING, now);
		if (p->traced) {
			char d0[16], d1[16] = "";

			inet_ntop(AF_INET, &w->cfg->dns[0], d0, sizeof(d0));
			if (w->cfg->n_dns > 1)
				inet_ntop(AF_INET, &w->cfg->dns[1], d1, sizeof(d1));
			PTRACE(p, now, "VPNC: -parse_url: resolving %s (DNS %s%s%s)", u->host, d0,
			       d1[0] ? ", " : "", d1);
		}
		if (worker_dns_lookup(w, p, u->host))
			fail(w, p, R_INTERNAL, 0);
	}
}

void phone_arrive(struct worker *w, struct phone *p, uint64_t now)
{
	p->t_due = p->timer.deadline_us ? p->timer.deadline_us : now;
	p->connect_deadline = p->t_due + w->cfg->connect_timeout_us;
	p->url_i = 0;
	STAT_ADD(w, attempted, 1);
	PTRACE(p, now, "VPNC: -vpnc_control: %s starts, conn timer %llu s (due %.3f ms ago)",
	       p->model->name, (unsigned long long)(w->cfg->connect_timeout_us / 1000000),
	       (double)(now - p->t_due) / 1000.0);
	if (p->cert) {
		static const char *const validity[] = {"valid", "EXPIRED", "NOT YET VALID"};

		PTRACE(p, now, "SECD: client certificate: %s%s, %s",
		       p->lsc ? "LSC (CAPF)" : "MIC",
		       p->lsc ? "" : p->model->mic_sha1 ? " (SHA-1 chain)" : " (SHA-256 chain)",
		       validity[p->validity % 3]);
	}
	PTRACE(p, now, "VPNC: set_login_state: LOGIN: 0 (IDLE) --> 1 (TRYING)");
	if (w->cfg->auth == AUTH_PASSWORD) {
		char user[128], pass[128];

		/* the phone's own settings refuse a space in either */
		expand(user, sizeof(user), w->cfg->user_pattern, p);
		expand(pass, sizeof(pass), w->cfg->password_pattern, p);
		if (strchr(user, ' ') || strchr(pass, ' ')) {
			set_state(p, PH_RESOLVING, now);
			fail(w, p, R_BAD_CREDENTIALS, 0);
			return;
		}
	}
	start_url(w, p, now);
	if (!gone(p))
		phone_arm(w, p, now);
}

void phone_on_dns(struct worker *w, struct phone *p, int status, struct in_addr addr)
{
	uint64_t now = clock_us();

	PTRACE(p, now, "VPNC: -parse_url: %s -> %s", url_of(w, p)->host,
	       status == DNS_OK ? inet_ntoa(addr) : status == DNS_NXDOMAIN ? "NXDOMAIN-IPv4"
									 : "no answer");
	if (status != DNS_OK)
		PTRACE(p, now, "VPNC: -parse_url: gethostbyname failed <%s>", url_of(w, p)->host);
	switch (status) {
	case DNS_OK:
		p->dst.sin_addr = addr;
		start_tcp(w, p, now);
		if (!gone(p))
			phone_arm(w, p, now);
		break;
	case DNS_NXDOMAIN:
		fail(w, p, R_DNS_NXDOMAIN, 0);
		break;
	default:
		fail(w, p, R_DNS_LOOKUP, status);
		break;
	}
}

/* The headend's leaf certificate, judged by its SHA-1 hash as the phone does. */
bool phone_verify_leaf(void *app, X509 *leaf)
{
	struct phone *p = app;
	uint8_t h[20];

	if (certhash_sha1_x509(leaf, h))
		return false;
	bool ok = swarm_trusts(p->w->sw, h);
	p->verify_fail = ok ? R_NONE : R_CERT_HASH;
	if (p->traced) {
		char hex[41], b64[29];
		uint64_t now = clock_us();

		certhash_hex(h, 20, hex, false);
		certhash_b64(h, b64);
		PTRACE(p, now, "SECD: Leaf cert hash = %s (%s)", hex, b64);
		PTRACE(p, now, ok ? "SECD: Hash was found in the trust list"
				  : "SECD: Hash was not found in the trust list");
		PTRACE(p, now, ok ? "VPNC: VPN cert chain trusted" : "VPNC: VPN cert chain untrusted");
	}
	if (p->probe) {
		memcpy(p->probe->leaf_sha1, h, 20);
		p->probe->got_leaf = true;
		p->probe->trusted = ok;
		p->probe->host_id_ok = true;
	}
	if ((ok && p->w->cfg->host_id_check) || p->probe) {
		const struct url *u = url_of(p->w, p);
		bool match = url_host_is_ipv4(u)
				     ? X509_check_ip_asc(leaf, u->host, 0) == 1
				     : X509_check_host(leaf, u->host, 0,
						       X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT, NULL) == 1;

		PTRACE(p, clock_us(), "SECD: host ID check: %s %s the certificate's CN/SAN", u->host,
		       match ? "matches" : "does not match");
		if (p->probe)
			p->probe->host_id_ok = match;
		else if (!match) {
			p->verify_fail = R_HOST_ID;
			ok = false;
		}
	}
	/* a probe looks further whatever the answer: it reports, it does not refuse */
	return ok || p->probe;
}

/* ==== Probe ==== */

static void probe_tls(struct phone *p)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(p->tls.ssl);
	struct probe_result *r = p->probe;
	size_t n = 0;

	snprintf(r->tls_version, sizeof(r->tls_version), "%s", tls_version_name(&p->tls));
	snprintf(r->tls_cipher, sizeof(r->tls_cipher), "%s", tls_cipher_name(&p->tls));
	for (int i = 0; chain && i < sk_X509_num(chain) && n < sizeof(r->chain) - 1; i++) {
		char cn[128] = "?";

		X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(chain, i)),
					  NID_commonName, cn, sizeof(cn));
		n += (size_t)snprintf(r->chain + n, sizeof(r->chain) - n, "%s%s", i ? " <- " : "",
				      cn);
	}
}


void phone_on_connect(struct worker *w, struct phone *p, int res)
{
	uint64_t now = clock_us();
	const struct url *u = url_of(w, p);

	if (res < 0) {
		fail(w, p, res == -ECONNREFUSED ? R_TCP_REFUSED
			   : res == -ETIMEDOUT  ? R_TCP_TIMEOUT
						: R_TCP_ERROR,
		     res);
		return;
	}
	worker_record(w, M_TCP_CONNECT, now - p->t_phase);
	PTRACE(p, now, "VPNC: -connect: TCP connected in %.1f ms", (double)(now - p->t_phase) / 1e3);
	if (p->traced) {
		const char *c = p->model->tls_ciphers, *at = strstr(c, ":@");

		PTRACE(p, now, "VPNC: -protocol_handler: current cipher -> %.*s",
		       at ? (int)(at - c) : (int)strlen(c), c);
	}
	set_state(p, PH_TLS, now);
	if (tls_open(&p->tls, p->ssl_ctx, p->cert, p->key, url_host_is_ipv4(u) ? NULL : u->host,
		     p)) {
		fail(w, p, R_INTERNAL, -ENOMEM);
		return;
	}
	tls_handshake(&p->tls);
	worker_flush(w, p, CH_TCP);
	worker_recv(w, p, CH_TCP);
}

static void tls_failed(struct worker *w, struct phone *p)
{
	uint64_t now = clock_us();

	if (p->tls.alert_rcvd)
		PTRACE(p, now, "VPNC: SSL alert received: %s",
		       SSL_alert_desc_string_long(p->tls.alert_rcvd));
	if (p->tls.alert_sent)
		PTRACE(p, now, "VPNC: SSL alert sent: %s", SSL_alert_desc_string_long(p->tls.alert_sent));
	PTRACE(p, now, "VPNC: -protocol_handler: SSL handshake failed: %s", tls_last_error());
	/* bad_certificate .. unknown_ca, access_denied: the headend refused our certificate */
	uint8_t a = p->tls.alert_rcvd;
	bool cert_refused = (a >= 42 && a <= 46) || a == 48 || a == 49;

	if (p->verify_fail)
		fail(w, p, (enum reason)p->verify_fail, 0);
	else if (cert_refused && p->cert)
		fail(w, p, R_CLIENT_CERT, a);
	else if (tls_failure_is_no_shared(&p->tls))
		fail(w, p, R_TLS_NO_SHARED, p->tls.alert_rcvd);
	else if (p->tls.alert_rcvd)
		fail(w, p, R_TLS_ALERT, p->tls.alert_rcvd);
	else
		fail(w, p, R_TLS_ERROR, 0);
}

/* ==== Tunnel ==== */

/* What the CONNECT reply said about DTLS, kept for retries. */
static void keep_dtls_params(struct phone *p, const struct ac_tunnel *t)
{
	struct dtls_params *d = &p->dp;

	memset(d, 0, sizeof(*d));
	if (t->dtls == AC_DTLS_NONE || !t->dtls_port)
		return;
	d->port = t->dtls_port;
	d->psk = t->dtls == AC_DTLS_PSK;
	d->cipher_12 = t->dtls_cipher_12;
	d->dpd = t->dtls_dpd;
	d->keepalive = t->dtls_keepalive;
	if (d->psk) {
		d->id_len = t->dtls_app_id_len;
		memcpy(d->id, t->dtls_app_id, t->dtls_app_id_len);
	} else {
		d->id_len = 32;
		memcpy(d->id, t->dtls_session_id, 32);
	}
	snprintf(d->cipher, sizeof(d->cipher), "%s", t->dtls_cipher);
}

static void start_dtls(struct worker *w, struct phone *p, uint64_t now)
{
	const struct dtls_params *d = &p->dp;
	int r;

	if (w->cfg->dtls_mode == DTLS_MODE_OFF || !d->port)
		return;
	r = worker_udp_open(w, p, d->port);
	if (r) {
		dtls_fail(w, p, R_DTLS_FAILED);
		return;
	}
	p->dtls_psk = d->psk;
	if (p->dtls_psk) {
		r = dtls_psk_from_tls(&p->tls, p->psk);
		if (!r)
			r = dtls_open_psk(&p->dtls_s, swarm_dtls_ctx(w->sw, true), p->psk, d->id,
					  d->id_len, p);
	} else {
		r = dtls_open_legacy(&p->dtls_s, swarm_dtls_ctx(w->sw, false), d->cipher,
				     d->cipher_12, p->master, d->id, p);
	}
	if (r) {
		dtls_fail(w, p, R_DTLS_FAILED);
		return;
	}
	p->dtls = DT_HANDSHAKE;
	p->t_dtls = now;
	if (!p->dtls_deadline || p->dtls_deadline < now)
		p->dtls_deadline = p->connect_deadline > now ? p->connect_deadline
							     : now + w->cfg->connect_timeout_us;
	PTRACE(p, now, "VPNC: -create_dtls_connection: %s to port %u",
	       p->dtls_psk ? "DTLSv1.2 PSK-NEGOTIATE" : "DTLSv0.9 resumption", d->port);
	p->live[CH_UDP] = (struct liveness){.last_rx_us = now, .last_tx_us = now,
					    .dpd_s = d->dpd, .keepalive_s = d->keepalive};
	tls_handshake(&p->dtls_s);
	worker_flush(w, p, CH_UDP);
}

static void tunnel_up(struct worker *w, struct phone *p, const struct ac_tunnel *t, uint64_t now)
{
	uint64_t since = p->reconnecting ? p->dropped_at : p->t_due;

	worker_record(w, M_CSTP_CONNECT, now - p->t_phase);
	if (p->reconnecting) {
		worker_record(w, M_RECONNECT, now - p->dropped_at);
		STAT_ADD(w, reconnects, 1);
		PTRACE(p, now, "VPNC: reconnected %.1f s after the drop",
		       (double)(now - p->dropped_at) / 1e6);
		p->reconnecting = false;
	} else {
		worker_record(w, M_TIME_TO_TUNNEL, now - p->t_due);
		STAT_ADD(w, tunnels_up, 1);
	}
	p->attempt = 0;
	set_state(p, PH_TUNNEL, now);
	PTRACE(p, now, "VPNC: -do_connect: 200 CONNECTED: address %s, DPD %u s, keepalive %u s, "
		       "DTLS %s",
	       inet_ntoa(t->addr), t->dpd, t->keepalive,
	       t->dtls == AC_DTLS_PSK ? "PSK-NEGOTIATE" : t->dtls == AC_DTLS_LEGACY ? t->dtls_cipher : "none");
	PTRACE(p, now, "VPNC: set_login_state: LOGIN: 1 (TRYING) --> 2 (CONNECTED) in %.1f ms",
	       (double)(now - since) / 1e3);
	STAT_ADD(w, up_now, 1);
	p->tun_addr = t->addr;
	p->live[CH_TCP] = (struct liveness){.last_rx_us = now, .last_tx_us = now,
					    .dpd_s = t->dpd, .keepalive_s = t->keepalive};
	p->pinged = false;
	p->dtls_retry_at = 0;
	p->dtls_deadline = 0;
	keep_dtls_params(p, t);
	start_dtls(w, p, now);
	if (p->probe) {
		p->probe->tunnel = true;
		p->probe->dtls_offered = p->dp.port != 0;
		if (p->dtls == DT_OFF) {
			snprintf(p->probe->dtls, sizeof(p->probe->dtls), "%s",
				 w->cfg->dtls_mode == DTLS_MODE_OFF ? "not asked for"
								     : "not offered by the headend");
			probe_done(w, p, now);
			return;
		}
	}
	if (p->dtls == DT_OFF)
		ping_once(w, p, now);
}

static void on_dpd_resp(struct worker *w, struct phone *p, enum chan_id c, uint64_t now)
{
	if (p->live[c].dpd_sent_us) {
		PTRACE(p, now, "VPNC: %s DPD response in %.2f ms", c == CH_TCP ? "CSTP" : "DTLS",
		       (double)(now - p->live[c].dpd_sent_us) / 1e3);
		worker_record(w, M_DPD_RTT, now - p->live[c].dpd_sent_us);
		STAT_ADD(w, dpd_answered, 1);
		p->live[c].dpd_sent_us = 0;
	}
}

/* CSTP frames from the headend, in the tunnel. */
static void tunnel_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct cstp_frame f;
	int n = 0;

	while (p->state == PH_TUNNEL && (n = cstp_parse(p->ibuf, p->ilen, &f)) > 0) {
		p->live[CH_TCP].last_rx_us = now;
		STAT_ADD(w, cstp_rx_bytes, (uint64_t)n);
		switch (f.type) {
		case CSTP_DPD_REQ:
			send_cstp(w, p, CSTP_DPD_RESP, f.payload, f.len, now);
			break;
		case CSTP_DPD_RESP:
			on_dpd_resp(w, p, CH_TCP, now);
			break;
		case CSTP_DATA:
			on_data(w, p, f.payload, f.len, now);
			break;
		case CSTP_DISCONNECT:
		case CSTP_TERMINATE:
			PTRACE(p, now, "VPNC: headend sent %s (%u bytes)", cstp_type_name(f.type), f.len);
			fail(w, p, R_CLOSED_BY_HEADEND, f.type);
			return;
		default: /* data, keepalive: counted above */
			break;
		}
		ibuf_consume(p, (uint32_t)n);
	}
	if (p->state == PH_TUNNEL && n < 0)
		fail(w, p, R_CSTP_MALFORMED, n);
}

/* One HTTP reply (head and body) is in ibuf; returns its length, 0 if incomplete. */
static int http_reply(struct worker *w, struct phone *p, struct http_response *resp)
{
	int hl = http_parse_response((const char *)p->ibuf, p->ilen, resp);

	if (hl < 0) {
		fail(w, p, R_HTTP_MALFORMED, hl);
		return -1;
	}
	if (hl == 0)
		return 0;
	/* a CONNECT reply has no body: the tunnel starts after the head */
	int64_t cl = p->state == PH_CSTP ? 0 : resp->content_length;
	if (cl < 0)
		cl = 0;
	if ((uint64_t)hl + (uint64_t)cl > IBUF_MAX) {
		fail(w, p, R_HTTP_MALFORMED, -E2BIG);
		return -1;
	}
	if (p->ilen < (uint64_t)hl + (uint64_t)cl)
		return 0;
	return hl + (int)cl;
}

static void auth_input(struct worker *w, struct phone *p, uint64_t now)
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
		fail(w, p, R_AUTH_FAILED, resp.status);
		return;
	}
	if (resp.status != 200) {
		fail(w, p, R_HTTP_STATUS, resp.status);
		return;
	}
	int hl = http_parse_response((const char *)p->ibuf, p->ilen, &resp);
	if (authxml_parse((const char *)p->ibuf + hl, (size_t)(total - hl), &form) < 0) {
		fail(w, p, R_HTTP_MALFORMED, 0);
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
			fail(w, p, R_AUTH_FAILED, resp.status);
			return;
		}
		ibuf_consume(p, (uint32_t)total);
		PTRACE(p, now, "VPNC: -do_auth: login form \"%s\": answering", form.message);
		answer_form(w, p, &form);
		return;
	}
	if (http_cookie(&resp, "webvpn", p->cookie, sizeof(p->cookie)) <= 0) {
		if (!form.has_session_token ||
		    strlen(form.session_token) >= sizeof(p->cookie)) {
			/* the phone's "'webvpn=' not found in cookie" */
			fail(w, p, R_AUTH_FAILED, 0);
			return;
		}
		strcpy(p->cookie, form.session_token);
	}
	worker_record(w, M_AUTH, now - p->t_phase);
	if (p->probe)
		p->probe->authenticated = true;
	PTRACE(p, now, "VPNC: -do_auth: authenticated, session cookie received");
	PTRACE(p, now, "VPNC: -do_connect: CONNECT /CSCOSSLC/tunnel");
	ibuf_consume(p, (uint32_t)total);
	set_state(p, PH_CSTP, now);
	send_connect(w, p);
}

static void cstp_input(struct worker *w, struct phone *p, uint64_t now)
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
			teardown(w, p);
			set_state(p, PH_BACKOFF, now);
			p->retry_at = now;
			wheel_add(&w->wheel, &p->timer, now);
			return;
		}
		fail(w, p, R_TUNNEL_REFUSED, resp.status);
		return;
	}
	if (ac_parse_connect_reply(&resp, &t) < 0) {
		fail(w, p, R_HTTP_MALFORMED, 0);
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
	ibuf_consume(p, (uint32_t)total);
	tunnel_up(w, p, &t, now);
	tunnel_input(w, p, now);
}

static int ibuf_room(struct phone *p)
{
	if (p->icap - p->ilen >= 512)
		return 0;
	uint32_t cap = p->icap ? p->icap * 2 : IBUF_MIN;
	if (cap > IBUF_MAX)
		cap = IBUF_MAX;
	if (cap <= p->ilen)
		return -E2BIG;
	uint8_t *b = realloc(p->ibuf, cap);
	if (!b)
		return -ENOMEM;
	p->ibuf = b;
	p->icap = cap;
	return 0;
}

static void tcp_input(struct worker *w, struct phone *p, const uint8_t *data, size_t len,
		      uint64_t now)
{
	tls_feed(&p->tls, data, len);
	if (p->state == PH_TLS) {
		int r = tls_handshake(&p->tls);

		if (r < 0) {
			worker_flush(w, p, CH_TCP);
			tls_failed(w, p);
			return;
		}
		if (r == 0) {
			worker_flush(w, p, CH_TCP);
			return;
		}
		worker_record(w, M_TLS_HANDSHAKE, now - p->t_phase);
		if (p->probe) {
			probe_tls(p);
			if (!p->cert && w->cfg->auth == AUTH_CERTIFICATE) {
				probe_done(w, p, now); /* no identity to log in with */
				return;
			}
		}
		PTRACE(p, now, "VPNC: -protocol_handler: new cipher -> %s (%s)", tls_cipher_name(&p->tls),
		       tls_version_name(&p->tls));
		if (p->reconnecting && p->cookie[0]) {
			/* the session cookie still stands for the phone: no new login */
			PTRACE(p, now, "VPNC: -do_connect: CONNECT with the session cookie");
			set_state(p, PH_CSTP, now);
			send_connect(w, p);
		} else {
			PTRACE(p, now, "VPNC: -do_auth: POST %s", url_of(w, p)->path);
			set_state(p, PH_AUTH, now);
			send_auth(w, p);
		}
	}
	for (;;) {
		int r = ibuf_room(p);

		if (r) {
			fail(w, p, p->state == PH_TUNNEL ? R_CSTP_MALFORMED : R_HTTP_MALFORMED, r);
			return;
		}
		r = tls_read(&p->tls, p->ibuf + p->ilen, p->icap - p->ilen);
		if (r == 0)
			break;
		if (r < 0) {
			bool up = p->state == PH_TUNNEL;

			if (p->state == PH_CLOSING) {
				/* the headend's close_notify answering our logout */
				finish(w, p);
				return;
			}

			if (r == -EPIPE)
				fail(w, p, up ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE, 0);
			else if (p->tls.alert_rcvd)
				fail(w, p, R_TLS_ALERT, p->tls.alert_rcvd);
			else
				fail(w, p, R_TLS_ERROR, 0);
			return;
		}
		p->ilen += (uint32_t)r;
		switch (p->state) {
		case PH_AUTH:
			auth_input(w, p, now);
			break;
		case PH_CSTP:
			cstp_input(w, p, now);
			break;
		case PH_TUNNEL:
			tunnel_input(w, p, now);
			break;
		case PH_CLOSING:
			p->ilen = 0; /* nothing more matters */
			break;
		default:
			return;
		}
		if (gone(p))
			return;
	}
	/* an idle tunnel keeps no input buffer */
	if (p->state == PH_TUNNEL && p->ilen == 0)
		free_ibuf(p);
	worker_flush(w, p, CH_TCP);
}

static void udp_input(struct worker *w, struct phone *p, const uint8_t *data, size_t len,
		      uint64_t now)
{
	uint8_t rec[2048];

	if (p->dtls != DT_HANDSHAKE && p->dtls != DT_UP)
		return;
	tls_feed(&p->dtls_s, data, len);
	if (p->dtls == DT_HANDSHAKE) {
		int r = tls_handshake(&p->dtls_s);

		if (r < 0) {
			dtls_fail(w, p, R_DTLS_FAILED);
			return;
		}
		worker_flush(w, p, CH_UDP);
		if (r == 0)
			return;
		/* a legacy session must be the resumed one, never a full handshake */
		if (!p->dtls_psk && !dtls_resumed(&p->dtls_s)) {
			dtls_fail(w, p, R_DTLS_FAILED);
			return;
		}
		worker_record(w, M_DTLS_HANDSHAKE, now - p->t_dtls);
		PTRACE(p, now, "VPNC: DTLS connected: %s %s in %.1f ms", tls_version_name(&p->dtls_s),
		       tls_cipher_name(&p->dtls_s), (double)(now - p->t_dtls) / 1e3);
		p->dtls = DT_UP;
		STAT_ADD(w, dtls_up, 1);
		STAT_ADD(w, dtls_now, 1);
		if (p->probe) {
			p->probe->dtls_up = true;
			snprintf(p->probe->dtls, sizeof(p->probe->dtls), "%s %s (%s)",
				 tls_version_name(&p->dtls_s), tls_cipher_name(&p->dtls_s),
				 p->dtls_psk ? "PSK-NEGOTIATE" : "legacy resumption");
			probe_done(w, p, now);
			return;
		}
		p->live[CH_UDP].last_rx_us = now;
		ping_once(w, p, now);
	}
	for (;;) {
		int n = tls_read(&p->dtls_s, rec, sizeof(rec));

		if (n <= 0) {
			if (n < 0 && n != -EPIPE)
				dtls_fail(w, p, R_DTLS_FAILED);
			break;
		}
		p->live[CH_UDP].last_rx_us = now;
		STAT_ADD(w, dtls_rx_bytes, (uint64_t)n);
		switch (rec[0]) {
		case CSTP_DPD_REQ:
			send_dtls(w, p, CSTP_DPD_RESP, rec + 1, (uint16_t)(n - 1 > 256 ? 0 : n - 1),
				  now);
			break;
		case CSTP_DPD_RESP:
			on_dpd_resp(w, p, CH_UDP, now);
			break;
		case CSTP_DATA:
			on_data(w, p, rec + 1, (size_t)n - 1, now);
			break;
		case CSTP_DISCONNECT:
			dtls_fail(w, p, R_CLOSED_BY_HEADEND);
			return;
		default:
			break;
		}
	}
	worker_flush(w, p, CH_UDP);
	tls_idle(&p->dtls_s);
}

void phone_on_recv(struct worker *w, struct phone *p, enum chan_id c, int res)
{
	uint64_t now = clock_us();

	if (c == CH_UDP) {
		if (res > 0)
			udp_input(w, p, p->ch[CH_UDP].rbuf, (size_t)res, now);
		else if (p->ch[CH_UDP].fd >= 0)
			worker_recv(w, p, CH_UDP); /* ICMP errors: keep listening */
	} else if (res <= 0) {
		if (p->state == PH_CLOSING)
			finish(w, p);
		else
			fail(w, p, p->state == PH_TUNNEL ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE,
			     res);
		return;
	} else {
		tcp_input(w, p, p->ch[CH_TCP].rbuf, (size_t)res, now);
	}
	if (!gone(p) || p->state == PH_BACKOFF)
		phone_arm(w, p, now);
}

void phone_on_send(struct worker *w, struct phone *p, enum chan_id c, int res)
{
	if (c == CH_TCP && res < 0 && p->state != PH_CLOSING) {
		fail(w, p, p->state == PH_TUNNEL ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE, res);
		return;
	}
	/* CLOSING: the DISCONNECT and close_notify have left */
	if (c == CH_TCP && p->state == PH_CLOSING &&
	    (res < 0 || !p->tls.ssl || !membio_pending(p->tls.bio)))
		finish(w, p);
}

/* ==== Timer and stop ==== */

static void tunnel_timer(struct worker *w, struct phone *p, uint64_t now)
{
	uint64_t next;

	switch (policy_liveness(&p->live[CH_TCP], now, &next)) {
	case LIVE_DEAD:
		fail(w, p, R_DPD_TIMEOUT, 0);
		return;
	case LIVE_DPD:
		p->live[CH_TCP].dpd_sent_us = now;
		STAT_ADD(w, dpd_sent, 1);
		send_cstp(w, p, CSTP_DPD_REQ, NULL, 0, now);
		break;
	case LIVE_KEEPALIVE:
		STAT_ADD(w, keepalives_sent, 1);
		send_cstp(w, p, CSTP_KEEPALIVE, NULL, 0, now);
		break;
	default:
		break;
	}
	if (p->dtls == DT_FAILED && p->dtls_retry_at && now >= p->dtls_retry_at) {
		p->dtls_retry_at = 0;
		PTRACE(p, now, "VPNC: retrying DTLS");
		STAT_ADD(w, dtls_retries, 1);
		p->dtls_deadline = now + w->cfg->connect_timeout_us;
		start_dtls(w, p, now);
	} else if (p->dtls == DT_HANDSHAKE) {
		if (now >= p->dtls_deadline) {
			dtls_fail(w, p, R_DTLS_TIMEOUT);
		} else {
			dtls_handle_timeout(&p->dtls_s);
			worker_flush(w, p, CH_UDP);
		}
	} else if (p->dtls == DT_UP) {
		switch (policy_liveness(&p->live[CH_UDP], now, &next)) {
		case LIVE_DEAD:
			dtls_fail(w, p, R_DPD_TIMEOUT);
			break;
		case LIVE_DPD:
			p->live[CH_UDP].dpd_sent_us = now;
			STAT_ADD(w, dpd_sent, 1);
			send_dtls(w, p, CSTP_DPD_REQ, NULL, 0, now);
			break;
		case LIVE_KEEPALIVE:
			STAT_ADD(w, keepalives_sent, 1);
			send_dtls(w, p, CSTP_KEEPALIVE, NULL, 0, now);
			break;
		default:
			break;
		}
	}
}

void phone_on_timer(struct timer *t, uint64_t now)
{
	struct phone *p = (struct phone *)((char *)t - offsetof(struct phone, timer));
	struct worker *w = p->w;

	switch (p->state) {
	case PH_IDLE:
		if (!w->stopping)
			phone_arrive(w, p, now);
		return;
	case PH_RESOLVING:
		if (now >= p->t_phase + DNS_GIVE_UP_US) {
			fail(w, p, R_DNS_LOOKUP, 0);
			return;
		}
		/* fall through */
	case PH_CONNECTING:
	case PH_TLS:
	case PH_AUTH:
	case PH_CSTP:
		if (now >= p->connect_deadline) {
			fail(w, p, p->state == PH_CONNECTING ? R_TCP_TIMEOUT : R_CONNECT_TIMEOUT,
			     0);
			return;
		}
		break;
	case PH_TUNNEL:
		tunnel_timer(w, p, now);
		break;
	case PH_CLOSING:
		if (now >= p->close_deadline) {
			finish(w, p);
			return;
		}
		break;
	case PH_BACKOFF:
		if (now < p->retry_at)
			break;
		p->connect_deadline = now + w->cfg->connect_timeout_us;
		start_url(w, p, now);
		break;
	default:
		return;
	}
	if (!gone(p) || p->state == PH_BACKOFF)
		phone_arm(w, p, now);
}

void phone_stop(struct worker *w, struct phone *p, uint64_t now)
{
	static const char bye[] = "\xb0Phone disconnected";

	switch (p->state) {
	case PH_IDLE:
		wheel_del(&w->wheel, &p->timer);
		set_state(p, PH_DONE, now);
		break;
	case PH_TUNNEL:
		/* logout: the headend ends the session and forgets the cookie */
		if (p->dtls == DT_UP)
			send_dtls(w, p, CSTP_DISCONNECT, bye, sizeof(bye) - 1, now);
		send_cstp(w, p, CSTP_DISCONNECT, bye, sizeof(bye) - 1, now);
		tls_shutdown(&p->tls);
		worker_flush(w, p, CH_TCP);
		set_state(p, PH_CLOSING, now);
		p->close_deadline = now + CLOSE_WAIT_US;
		if (!p->ch[CH_TCP].send_busy)
			finish(w, p);
		else
			phone_arm(w, p, now);
		break;
	case PH_RESOLVING:
	case PH_CONNECTING:
	case PH_TLS:
	case PH_AUTH:
	case PH_CSTP:
	case PH_BACKOFF:
		/* the run ends before this phone got its tunnel */
		STAT_ADD(w, aborted, 1);
		set_state(p, PH_DONE, now);
		teardown(w, p);
		break;
	default:
		break;
	}
}
