/*
 * engine/phone/phone.c - the phone state machine (phone.h).
 *
 * A phone is one state machine in three files: this one (states, the one
 * timer, bringing a connection up to TLS and tearing it down, failures,
 * reconnection and failover), login.c (the HTTP exchanges: authentication
 * and CONNECT) and tunnel.c (CSTP frames, DTLS, keepalive and DPD, packets
 * through the tunnel). Handlers take a completion, advance the phone, and
 * leave it waiting for the next one; phone_arm() then sets the phone's
 * single timer to the earliest of its deadlines. Failures go through
 * phone_fail(), which counts the reason once and tears the connection down.
 */
#include "engine/phone/phone_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include "engine/trust/certhash.h"
#include "engine/config.h"
#include "engine/proto/cstp.h"
#include "engine/phone/direct.h"
#include "engine/tls/dtls.h"
#include "engine/phone/failq.h"
#include "engine/phone/fetch.h"
#include "engine/phone/login.h"
#include "engine/tls/membio.h"
#include "engine/trust/model.h"
#include "engine/trust/trust.h"
#include "engine/phone/tunnel.h"
#include "engine/proto/url.h"

#define DNS_GIVE_UP_US 29000000u /* the phone gives up its lookup at about 29 s */
#define CLOSE_WAIT_US 2000000u   /* how long a DISCONNECT may take to leave */
#define IBUF_MIN 2048u
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
}

void phone_wake(struct worker *w, struct phone *p, uint64_t at)
{
	if (at != UINT64_MAX)
		p->wake_at = at;
	p->wake_armed = at != UINT64_MAX;
	w->io->wake(w, p, at);
}

void phone_due(struct worker *w, struct phone *p, uint64_t at)
{
	phone_wake(w, p, at);
}

void phone_set_state(struct phone *p, enum phone_state s, uint64_t now)
{
	p->state = (uint8_t)s;
	p->t_phase = now;
}

static void free_ibuf(struct phone *p)
{
	free(p->ibuf);
	p->ibuf = NULL;
	p->ilen = p->icap = 0;
}

/* Close both channels and sessions; the kernel may still hold buffers. */
void phone_teardown(struct worker *w, struct phone *p)
{
	tls_close(&p->tls);
	tunnel_dtls_close(p);
	worker_close(w, p, CH_TCP);
	worker_close(w, p, CH_UDP);
	free_ibuf(p);
	phone_wake(w, p, UINT64_MAX);
}

static void leave_tunnel(struct worker *w, struct phone *p)
{
	const struct voice_hooks *v = phone_voice(w, p);

	if (v)
		v->cut(w, p, worker_now(w));
	fetch_cut(w, p, worker_now(w));
	if (p->state == PH_TUNNEL || p->state == PH_CLOSING)
		STAT_SUB(w, up_now, 1);
	if (p->dtls == DT_UP)
		STAT_SUB(w, dtls_now, 1);
	p->dtls = DT_OFF;
}

/* The phone's "Fail to Connect" timer: the scenario's, or its model's. */
static uint64_t phone_connect_timer(struct worker *w, const struct phone *p)
{
	if (w->cfg->connect_timeout_given)
		return w->cfg->connect_timeout_us;
	return (uint64_t)p->model->connect_timer_s * 1000000u;
}

/*
 * One failure event: counted by reason, and told in a failure record for
 * failures.csv (dropped, and counted as lost, if the worker's queue is full).
 * Called before the connection is torn down, while the TLS session still
 * knows what happened.
 */
void phone_count_failure(struct worker *w, struct phone *p, enum reason r, int detail,
			 const struct fail_said *said)
{
	const struct url *u = phone_url(w, p);
	uint8_t leaf[CERTHASH_SHA1_LEN];
	struct failure_rec rec;
	struct in_addr a = {.s_addr = p->src};
	char src[INET_ADDRSTRLEN];
	struct failure_facts f = {
		.src = p->src ? inet_ntop(AF_INET, &a, src, sizeof(src)) : NULL,
		.reason = r,
		.detail = detail,
		.phase = failure_phase(p->state, p->reconnecting, r, detail),
		.alert_rcvd = p->tls.alert_rcvd,
		.tls_error = tls_last_error(),
		.host = u ? u->host : NULL,
		.path = u ? u->path : NULL,
		.method = p->state == PH_AUTH && w->cfg->client == CLIENT_PHONE && p->auth_step == 0
				  ? "GET"
				  : NULL,
		.timer_s = (unsigned)(phone_connect_timer(w, p) / 1000000u),
		.idle_s = p->idle_s,
		.redirected = p->redir != NULL,
		.resent = p->ex.resent,
	};

	if (said) {
		f.said = said->words;
		f.said_how = said->how;
		f.status_text = said->status;
		f.method = said->method;
	}
	STAT_ADD(w, failures[r], 1);
	if (r == R_CERT_HASH && p->tls.ssl) {
		STACK_OF(X509) *chain = SSL_get_peer_cert_chain(p->tls.ssl);

		if (chain && sk_X509_num(chain) > 0) {
			X509 *x = sk_X509_value(chain, 0);

			if (!certhash_sha1_x509(x, leaf))
				f.leaf_sha1 = leaf;
			f.leaf_ec = X509_get0_pubkey(x) &&
				    EVP_PKEY_base_id(X509_get0_pubkey(x)) == EVP_PKEY_EC;
		}
	}
	/* the headend chose another suite for DTLS than TLS runs: "old session cipher..." */
	if ((r == R_DTLS_FAILED || r == R_DTLS_TIMEOUT) && !p->dp.psk && p->dp.cipher[0] &&
	    tls_is_open(&p->tls)) {
		char buf[32];
		const char *tls = dtls_tls_cipher(&p->tls, buf, sizeof(buf));
		const char *dtls = dtls_suite_cipher(p->dp.cipher, p->dp.cipher_12);

		f.dtls_cipher_mismatch = tls && dtls && strcmp(tls, dtls);
	}
	rec.t_us = worker_now(w);
	rec.mac = p->mac;
	rec.model = p->model->name;
	rec.phone = p->idx;
	rec.src = p->src;
	rec.reason = (uint8_t)r;
	rec.phase = (uint8_t)f.phase;
	failure_fill(&rec, &f);
	failq_push(&w->failq, &rec);
}

void phone_fail(struct worker *w, struct phone *p, enum reason r, int detail)
{
	phone_fail_said(w, p, r, detail, NULL);
}

void phone_fail_said(struct worker *w, struct phone *p, enum reason r, int detail,
		     const struct fail_said *said)
{
	if (phone_gone(p))
		return;
	uint64_t now = worker_now(w);
	/* a DISCONNECT (or a close) that ended the session: the headend's, taken as it was */
	bool by_headend = r == R_CLOSED_BY_HEADEND && (detail == 5 || detail == 9);

	/*
	 * A headend that ended the session once its idle timeout had run with no
	 * data from the phone ended it for idleness: say so, not just "closed".
	 */
	if (r == R_CLOSED_BY_HEADEND && p->state == PH_TUNNEL &&
	    policy_idle_end(p->idle_s, p->last_data_us, now)) {
		PTRACE(p, now, "VPNC: session ended after %llu s without data: the headend's idle "
			       "timeout (%u s)",
		       (unsigned long long)((now - p->last_data_us) / 1000000u), p->idle_s);
		r = R_IDLE_TIMEOUT;
		detail = (int)((now - p->last_data_us) / 1000000u);
	}

	/* Before the tunnel is up, a phone with more URLs tries the next one. */
	bool setup = p->state > PH_IDLE && p->state < PH_TUNNEL;
	bool local = r == R_BAD_CREDENTIALS || reason_is_local(r);

	if (setup && !local && p->url_i + 1 < w->fleet->n_urls) {
		PTRACE(p, now, "VPNC: -vpnc_control: %s failed (%s); trying url%d %s",
		       w->fleet->url_text[fleet_url_slot(w->fleet, p->idx, p->url_i)],
		       reason_name(r), p->url_i + 2,
		       w->fleet->url_text[p->url_i + 1]);
		phone_teardown(w, p);
		exchange_reset(p);
		phone_forget_redirect(p);
		p->url_i++;
		STAT_ADD(w, failovers, 1);
		phone_set_state(p, PH_BACKOFF, now);
		p->retry_at = now;
		phone_wake(w, p, now);
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
	 * test measures. This machine's own trouble on the way back (its
	 * source address gone for a while, descriptors short) is counted as
	 * ours and tried again like the rest, as a phone whose network came
	 * back would; only the phone's refusal of its own credentials is final.
	 */
	bool drop = p->state == PH_TUNNEL;
	bool final = r == R_BAD_CREDENTIALS;

	if (!w->stopping && !final && (drop || (setup && p->reconnecting)) &&
	    policy_reconnect(w->cfg->reconnect, by_headend)) {
		uint64_t wait = policy_backoff_us(p->attempt++, w->cfg->backoff_us);

		if (drop) {
			p->dropped_at = now;
			p->reconnecting = true;
			STAT_ADD(w, tunnels_dropped, 1);
			if (!p->lost) {
				p->lost = true;
				STAT_ADD(w, lost_now, 1);
			}
			PTRACE(p, now, "VPNC: set_login_state: LOGIN: 2 (CONNECTED) --> 1 (TRYING)");
		} else {
			STAT_ADD(w, reconnect_failures, 1);
		}
		phone_count_failure(w, p, r, detail, said);
		leave_tunnel(w, p);
		phone_teardown(w, p);
		exchange_reset(p);
		p->url_i = 0;
		phone_set_state(p, PH_BACKOFF, now);
		p->retry_at = now + wait;
		p->retry_due = true;
		PTRACE(p, now, "VPNC: -vpnc_control: reconnecting in %.0f s", (double)wait / 1e6);
		phone_wake(w, p, p->retry_at);
		return;
	}
	if (drop)
		STAT_ADD(w, tunnels_dropped, 1);
	phone_lost_over(w, p);
	phone_count_failure(w, p, r, detail, said);
	leave_tunnel(w, p);
	p->reason = (uint8_t)r;
	p->detail = detail;
	if (p->probe) {
		p->probe->reason = (uint8_t)r;
		p->probe->detail = detail;
	}
	PTRACE(p, now, "VPNC: set_login_state: LOGIN: %s --> 3 (FAILED)",
	       drop ? "2 (CONNECTED)" : "1 (TRYING)");
	phone_set_state(p, PH_FAILED, now);
	STAT_ADD(w, failed, 1);
	STAT_ADD(w, failed_by[r], 1);
	phone_teardown(w, p);
	exchange_reset(p);
}

void phone_rekey(struct worker *w, struct phone *p, uint64_t now)
{
	PTRACE(p, now, "VPNC: rekey due (%s, every %u s): a new connection, CONNECT with the "
		       "session cookie",
	       p->rekey == REKEY_SSL ? "ssl, done as new-tunnel" : "new-tunnel", p->rekey_s);
	STAT_ADD(w, rekeys, 1);
	leave_tunnel(w, p);
	phone_teardown(w, p);
	p->reconnecting = true;
	p->rekeying = true;
	p->dropped_at = now;
	phone_set_state(p, PH_BACKOFF, now);
	p->retry_at = now;
	phone_wake(w, p, now);
}

/* The probe has what it came for: leave (logging out if the tunnel is up). */
void phone_probe_done(struct worker *w, struct phone *p, uint64_t now)
{
	phone_stop(w, p, now);
}

static void reboot(struct worker *w, struct phone *p, uint64_t now);

static void finish(struct worker *w, struct phone *p)
{
	PTRACE(p, worker_now(w), "VPNC: -disconnect: tunnel closed, logged out");
	leave_tunnel(w, p);
	if (p->resetting) {
		phone_teardown(w, p);
		reboot(w, p, worker_now(w));
		return;
	}
	STAT_ADD(w, disconnected, 1);
	phone_set_state(p, PH_DONE, worker_now(w));
	phone_teardown(w, p);
}

void phone_lost_over(struct worker *w, struct phone *p)
{
	p->retry_due = false;
	if (!p->lost)
		return;
	p->lost = false;
	STAT_SUB(w, lost_now, 1);
}

bool phone_finished(const struct phone *p)
{
	return p->state == PH_DONE || p->state == PH_FAILED;
}

void phone_release(struct phone *p)
{
	tls_close(&p->tls);
	tunnel_dtls_close(p);
	free_ibuf(p);
	X509_free(p->cert);
	p->cert = NULL;
	trace_free(&p->trace);
	exchange_reset(p);
	phone_forget_redirect(p);
	if (phone_voice(p->w, p))
		p->w->fleet->voice->release(p);
	fetch_free(p);
	free(p->probe);
	p->probe = NULL;
}

/* ==== Timer ==== */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Arm the phone's timer for the earliest of its deadlines in this state. */
void phone_arm(struct worker *w, struct phone *p, uint64_t now)
{
	uint64_t next = UINT64_MAX, n;

	/* an idle phone's timer is its arrival (or its restart after a reset): set by whoever */
	if (p->state == PH_IDLE)
		return;
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
		policy_rekey((enum rekey_action)p->rekey, p->rekey_s, p->rekey_since, now, &n);
		next = min_u64(next, n);
		if (p->dtls == DT_UP) {
			policy_rekey(p->dp.rekey_s ? REKEY_SSL : REKEY_NONE, p->dp.rekey_s,
				     p->dtls_rekey_since, now, &n);
			next = min_u64(next, n);
		}
		if (phone_voice(w, p))
			next = min_u64(next, w->fleet->voice->next(p));
		next = min_u64(next, fetch_next(p));
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
	if (p->cut_until && p->state >= PH_RESOLVING && p->state <= PH_TUNNEL)
		next = min_u64(next, p->cut_until);
	if (p->reset_at && p->state != PH_IDLE && p->state != PH_DONE)
		next = min_u64(next, p->reset_at);
	phone_wake(w, p, next);
}

/* ==== Sending ==== */

/* What the channel c carries: the CSTP session on TCP, the DTLS one on UDP. */
static const struct tls *chan_session(const struct phone *p, enum chan_id c)
{
	return c == CH_TCP ? &p->tls : &p->dtls_s;
}

size_t phone_pending(const struct phone *p, enum chan_id c)
{
	const struct tls *t = chan_session(p, c);

	return t->bio ? membio_pending(t->bio) : 0;
}

size_t phone_take_stream(struct phone *p, uint8_t **buf, size_t *cap, size_t *len)
{
	return membio_take(p->tls.bio, buf, cap, len);
}

size_t phone_take_datagram(struct phone *p, uint8_t *out, size_t cap)
{
	return membio_take_dgram(p->dtls_s.bio, out, cap);
}

void phone_ibuf_consume(struct phone *p, uint32_t n)
{
	memmove(p->ibuf, p->ibuf + n, p->ilen - n);
	p->ilen -= n;
}

/* ==== Bring-up ==== */

static void start_tcp(struct worker *w, struct phone *p, uint64_t now)
{
	int r;

	phone_set_state(p, PH_CONNECTING, now);
	if (p->traced) {
		char src[16] = "any";
		struct in_addr a = {.s_addr = p->src};

		if (p->src)
			inet_ntop(AF_INET, &a, src, sizeof(src));
		PTRACE(p, now, "VPNC: -connect: TCP %s -> %s:%u", src, inet_ntoa(p->dst.sin_addr),
		       ntohs(p->dst.sin_port));
	}
	/* before the connect is sent, any failure is ours: no descriptor, address, SQE */
	r = worker_open(w, p, CH_TCP, p->src, &p->dst);
	if (r)
		phone_fail(w, p, reason_errno_local(r) ? R_LOCAL_RESOURCE : R_INTERNAL, r);
}

/* Begin a connection to the phone's current URL: resolve it, or connect at once. */
static void start_url(struct worker *w, struct phone *p, uint64_t now)
{
	const struct url *u = phone_url(w, p);

	if (w->cfg->voice_direct) {
		direct_start(w, p, now); /* a measurement aid: no headend, no tunnel */
		return;
	}
	p->gen++;
	p->dtls = DT_OFF;
	if (!p->ex.resume) {
		p->auth_step = 0;
		p->password_sent = false;
	}
	/* what the exchange knows of a connection starts again with this one */
	p->ex.replies = 0;
	p->ex.closing = false;
	p->ex.chunking = false;
	p->ex.eof = false;
	p->verify_fail = R_NONE;
	p->dst.sin_family = AF_INET;
	p->dst.sin_port = htons(u->port);
	p->dst.sin_addr.s_addr = 0;
	if (url_host_is_ipv4(u)) {
		inet_pton(AF_INET, u->host, &p->dst.sin_addr);
		start_tcp(w, p, now);
	} else {
		phone_set_state(p, PH_RESOLVING, now);
		if (p->traced) {
			char d0[16], d1[16] = "";

			inet_ntop(AF_INET, &w->cfg->dns[0], d0, sizeof(d0));
			if (w->cfg->n_dns > 1)
				inet_ntop(AF_INET, &w->cfg->dns[1], d1, sizeof(d1));
			PTRACE(p, now, "VPNC: -parse_url: resolving %s (DNS %s%s%s)", u->host, d0,
			       d1[0] ? ", " : "", d1);
		}
		if (worker_dns_lookup(w, p, u->host))
			phone_fail(w, p, R_INTERNAL, 0);
	}
}

void phone_forget_redirect(struct phone *p)
{
	free(p->redir);
	p->redir = NULL;
}

void phone_new_connection(struct worker *w, struct phone *p, uint64_t now)
{
	PTRACE(p, now, "VPNC: -connect: closing this connection, opening a new one to %s",
	       phone_url(w, p)->host);
	if (p->ex.resume) {
		p->ex.resume_state = p->state;
		p->ex.resume_t_phase = p->t_phase;
	}
	phone_teardown(w, p);
	/* at the next tick, once the ring has let go of this connection's buffers */
	p->ex.same_bringup = true;
	phone_set_state(p, PH_BACKOFF, now);
	p->retry_at = now;
	phone_wake(w, p, now);
}

void phone_arrive(struct worker *w, struct phone *p, uint64_t now)
{
	p->t_due = p->wake_at ? p->wake_at : now;
	p->connect_deadline = p->t_due + phone_connect_timer(w, p);
	p->url_i = 0;
	if (!p->rebooted)
		STAT_ADD(w, attempted, 1);
	PTRACE(p, now, "VPNC: -vpnc_control: %s starts, conn timer %llu s (due %.3f ms ago)",
	       p->model->name, (unsigned long long)(phone_connect_timer(w, p) / 1000000),
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
		login_expand(user, sizeof(user), w->cfg->user_pattern, p);
		login_expand(pass, sizeof(pass), w->cfg->password_pattern, p);
		if (strchr(user, ' ') || strchr(pass, ' ')) {
			phone_set_state(p, PH_RESOLVING, now);
			phone_fail(w, p, R_BAD_CREDENTIALS, 0);
			return;
		}
	}
	start_url(w, p, now);
	if (!phone_gone(p))
		phone_arm(w, p, now);
}

void phone_on_dns(struct worker *w, struct phone *p, int status, struct in_addr addr)
{
	uint64_t now = worker_now(w);

	if (p->state != PH_RESOLVING)
		return; /* the phone gave up on this lookup */
	PTRACE(p, now, "VPNC: -parse_url: %s -> %s", phone_url(w, p)->host,
	       status == LOOKUP_OK	  ? inet_ntoa(addr)
	       : status == LOOKUP_NXDOMAIN ? "NXDOMAIN-IPv4"
					   : "no answer");
	if (status != LOOKUP_OK)
		PTRACE(p, now, "VPNC: -parse_url: gethostbyname failed <%s>", phone_url(w, p)->host);
	switch (status) {
	case LOOKUP_OK:
		p->dst.sin_addr = addr;
		start_tcp(w, p, now);
		if (!phone_gone(p))
			phone_arm(w, p, now);
		break;
	case LOOKUP_NXDOMAIN:
		phone_fail(w, p, R_DNS_NXDOMAIN, 0);
		break;
	default:
		phone_fail(w, p, R_DNS_LOOKUP, status);
		break;
	}
}

/* The headend's leaf certificate, judged by its SHA-1 hash as the phone does. */
bool phone_keylog_wanted(void *app)
{
	const struct phone *p = app;
	const struct swarm_config *cfg = p && p->w ? p->w->cfg : NULL;

	for (uint32_t t = 0; cfg && t < cfg->n_trace_phones; t++)
		if (cfg->trace_phones[t] == p->idx)
			return true;
	return false;
}

bool phone_verify_leaf(void *app, X509 *leaf)
{
	struct phone *p = app;
	uint8_t h[20];

	if (certhash_sha1_x509(leaf, h))
		return false;
	bool ok = trust_has(p->trust_conn, h);
	p->verify_fail = ok ? R_NONE : R_CERT_HASH;
	if (p->traced) {
		char hex[41], b64[29];
		uint64_t now = worker_now(p->w);

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
		const struct url *u = phone_url(p->w, p);
		bool match = url_host_is_ipv4(u)
				     ? X509_check_ip_asc(leaf, u->host, 0) == 1
				     : X509_check_host(leaf, u->host, 0,
						       X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT, NULL) == 1;

		PTRACE(p, worker_now(p->w), "SECD: host ID check: %s %s the certificate's CN/SAN", u->host,
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

int phone_set_trust(struct worker *w, struct phone *p, const uint8_t (*sha1)[20], int n)
{
	const struct trust_set *s;

	if (n < 0 || n > TRUST_MAX)
		return -EINVAL;
	s = trust_intern(w->trust, sha1, n);
	if (!s)
		return -ENOMEM;
	if (p->traced && s != p->trust) {
		uint64_t now = worker_now(w);

		PTRACE(p, now, "SECD: trust list updated: %d certificate hash%s", s->n,
		       s->n == 1 ? "" : "es");
		for (int i = 0; i < s->n; i++) {
			char b64[29];

			certhash_b64(s->sha1[i], b64);
			PTRACE(p, now, "SECD:   certHash%d = %s", i + 1, b64);
		}
	}
	p->trust = s;
	return 0;
}

int phone_fetch_config(struct worker *w, struct phone *p)
{
	uint64_t now = worker_now(w);
	int r = fetch_request(w, p, now);

	if (p->fetch)
		phone_arm(w, p, now);
	return r;
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
	uint64_t now = worker_now(w);
	const struct url *u = phone_url(w, p);

	if (res < 0) {
		/* no port left on the source address is ours: EADDRNOTAVAIL */
		phone_fail(w, p, res == -ECONNREFUSED	     ? R_TCP_REFUSED
			   : res == -ETIMEDOUT	     ? R_TCP_TIMEOUT
			   : reason_errno_local(res) ? R_LOCAL_RESOURCE
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
	phone_set_state(p, PH_TLS, now);
	p->trust_conn = p->trust; /* a new list applies from this handshake on */
	if (tls_open(&p->tls, p->ssl_ctx, p->cert, p->key, url_host_is_ipv4(u) ? NULL : u->host,
		     p)) {
		phone_fail(w, p, R_INTERNAL, -ENOMEM);
		return;
	}
	tls_handshake(&p->tls);
	worker_flush(w, p, CH_TCP);
	worker_recv(w, p, CH_TCP);
}

static void tls_failed(struct worker *w, struct phone *p)
{
	uint64_t now = worker_now(w);

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
		phone_fail(w, p, (enum reason)p->verify_fail, 0);
	else if (cert_refused && p->cert)
		phone_fail(w, p, R_CLIENT_CERT, a);
	else if (tls_failure_is_no_shared(&p->tls))
		phone_fail(w, p, R_TLS_NO_SHARED, p->tls.alert_rcvd);
	else if (p->tls.alert_rcvd)
		phone_fail(w, p, R_TLS_ALERT, p->tls.alert_rcvd);
	else
		phone_fail(w, p, R_TLS_ERROR, 0);
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

/*
 * The tunnel is up and the CSTP session idle: its records go to the TLS
 * record layer (tls_take) and OpenSSL's `SSL` is freed, unless the scenario
 * keeps OpenSSL's records (tls.records = openssl). A PSK-NEGOTIATE DTLS key
 * is the TLS session's exporter: taken now, for every DTLS attempt of this
 * tunnel. A session that cannot be taken (TLS 1.0, a suite the layer does
 * not know) stays on OpenSSL, as before.
 */
static void take_tls(struct worker *w, struct phone *p)
{
	if (!p->tls.ssl || p->tls.no_take || w->cfg->tls_openssl_records)
		return;
	if (p->dp.psk && dtls_psk_from_tls(&p->tls, p->psk))
		return;
	if (!w->rec_ctx)
		w->rec_ctx = dtlsrec_ctx_new();
	if (w->rec_ctx && !tls_take(&p->tls, w->rec_ctx))
		STAT_ADD(w, tls_takeovers, 1);
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
			/* the phone's GET needs no identity: the probe sends it anyway */
			if (!p->cert && w->cfg->auth == AUTH_CERTIFICATE &&
			    w->cfg->client != CLIENT_PHONE) {
				phone_probe_done(w, p, now); /* no identity to log in with */
				return;
			}
		}
		PTRACE(p, now, "VPNC: -protocol_handler: new cipher -> %s (%s)", tls_cipher_name(&p->tls),
		       tls_version_name(&p->tls));
		PTRACE(p, now, "SECD: the headend %s the phone's certificate%s",
		       p->tls.cert_asked ? "asked for" : "did not ask for",
		       p->tls.cert_asked ? (p->cert ? ": sent" : ", and the phone has none") : "");
		if (p->ex.resume && p->ex.req) {
			/* a request the last connection could not carry goes on this one */
			p->state = p->ex.resume_state;
			p->t_phase = p->ex.resume_t_phase;
			exchange_resume(w, p);
		} else if (p->reconnecting && p->cookie[0]) {
			/* the session cookie still stands for the phone: no new login */
			PTRACE(p, now, "VPNC: -do_connect: CONNECT with the session cookie");
			phone_set_state(p, PH_CSTP, now);
			login_connect(w, p);
		} else {
			phone_set_state(p, PH_AUTH, now);
			login_start(w, p, now);
		}
	}
	uint16_t gen = p->gen;

	for (;;) {
		int r = ibuf_room(p);

		if (r == -ENOMEM) {
			phone_fail(w, p, R_INTERNAL, r); /* ours, never the headend's */
			return;
		}
		if (r) {
			/* full: the head has its own, lower limit, so this is a body (or a frame) */
			phone_fail(w, p, p->state == PH_TUNNEL ? R_CSTP_MALFORMED : R_HTTP_MALFORMED,
				   p->state == PH_TUNNEL ? r : HTTP_E_BODY);
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
			if (r == -EPIPE && exchange_eof(w, p, now))
				return;
			if (r == -EPIPE)
				phone_fail(w, p, up ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE, 0);
			else if (p->tls.alert_rcvd)
				phone_fail(w, p, R_TLS_ALERT, p->tls.alert_rcvd);
			else
				phone_fail(w, p, R_TLS_ERROR, 0);
			return;
		}
		p->ilen += (uint32_t)r;
		switch (p->state) {
		case PH_AUTH:
			login_auth_input(w, p, now);
			break;
		case PH_CSTP:
			login_connect_input(w, p, now);
			break;
		case PH_TUNNEL:
			tunnel_cstp_input(w, p, now);
			break;
		case PH_CLOSING:
			p->ilen = 0; /* nothing more matters */
			break;
		default:
			return;
		}
		if (phone_gone(p) || p->gen != gen)
			return; /* failed, or moved on to a new connection */
	}
	/* an idle tunnel keeps no input buffer, nor OpenSSL's session */
	if (p->state == PH_TUNNEL && p->ilen == 0) {
		free_ibuf(p);
		take_tls(w, p);
	}
	worker_flush(w, p, CH_TCP);
}

/*
 * The headend closed the connection during the TLS handshake. A headend that
 * will not talk to a phone often just closes (ocserv sends no alert), so the
 * phone tells what it can from how far it got: before any ServerHello, its
 * hello was refused (no shared version or cipher, or a headend at its
 * session cap closing what it just accepted); after it sent its certificate
 * and Finished, its certificate was refused.
 */
static void closed_in_tls(struct worker *w, struct phone *p, int res)
{
	enum tls_stage st = tls_stage(&p->tls);
	uint64_t now = worker_now(w);

	PTRACE(p, now, "VPNC: -protocol_handler: connection closed by the headend during the SSL "
		       "handshake (%s)",
	       st == TLS_STAGE_HELLO	? "no ServerHello"
	       : st == TLS_STAGE_FINISHED ? "after our certificate and Finished"
					  : "during the key exchange");
	if (st == TLS_STAGE_HELLO)
		phone_fail(w, p, R_TLS_REFUSED, res);
	else if (st == TLS_STAGE_FINISHED && p->cert)
		phone_fail(w, p, R_CLIENT_CERT, res);
	else
		phone_fail(w, p, R_CLOSED_HANDSHAKE, res);
}

void phone_on_recv(struct worker *w, struct phone *p, enum chan_id c, uint8_t *data,
		   int res)
{
	uint64_t now = worker_now(w);

	if (c == CH_UDP) {
		if (res > 0 && w->cfg->voice_direct)
			direct_input(w, p, data, (size_t)res, now);
		else if (res > 0)
			tunnel_udp_input(w, p, data, (size_t)res, now);
		else
			worker_recv(w, p, CH_UDP); /* ICMP errors: keep listening */
	} else if (res <= 0) {
		if (p->state == PH_CLOSING)
			finish(w, p);
		else if (p->state == PH_TLS)
			closed_in_tls(w, p, res);
		else if (!exchange_eof(w, p, now))
			phone_fail(w, p, p->state == PH_TUNNEL ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE,
			     res);
		else if (!phone_gone(p) || p->state == PH_BACKOFF)
			phone_arm(w, p, now); /* a body to the close delivered, or the request sent again */
		return;
	} else {
		tcp_input(w, p, data, (size_t)res, now);
	}
	if (!phone_gone(p) || p->state == PH_BACKOFF)
		phone_arm(w, p, now);
}

void phone_on_send(struct worker *w, struct phone *p, enum chan_id c, int res)
{
	if (c == CH_TCP && res < 0 && p->state != PH_CLOSING) {
		if (exchange_eof(w, p, worker_now(w)))
			return;
		phone_fail(w, p, p->state == PH_TUNNEL ? R_CLOSED_BY_HEADEND : R_CLOSED_HANDSHAKE, res);
		return;
	}
	/* CLOSING: the DISCONNECT and close_notify have left */
	if (c == CH_TCP && p->state == PH_CLOSING &&
	    (res < 0 || !tls_is_open(&p->tls) || !membio_pending(p->tls.bio)))
		finish(w, p);
}

void phone_on_timer(struct worker *w, struct phone *p, uint64_t now)
{
	p->wake_armed = false;
	if (p->reset_at && now >= p->reset_at && p->state != PH_IDLE) {
		p->reset_at = 0;
		phone_reset(w, p, now, now, p->fetch_pending);
		return;
	}
	if (p->cut_until && now >= p->cut_until) {
		p->cut_until = 0;
		PTRACE(p, now, "NET: path restored");
		w->io->impair(w, p, 0, 0);
		worker_recv(w, p, CH_TCP);
		worker_flush(w, p, CH_TCP);
		worker_flush(w, p, CH_UDP);
	}
	switch (p->state) {
	case PH_IDLE:
		if (fleet_arrivals_stopped(w->fleet) && !p->rebooted)
			phone_set_state(p, PH_DONE, now); /* the capacity search stopped arrivals */
		else if (!w->stopping)
			phone_arrive(w, p, now);
		return;
	case PH_RESOLVING:
		if (now >= p->t_phase + DNS_GIVE_UP_US) {
			PTRACE(p, now, "VPNC: -parse_url: gethostbyname failed <%s>",
			       phone_url(w, p)->host);
			phone_fail(w, p, R_DNS_LOOKUP, 0);
			return;
		}
		/* fall through */
	case PH_CONNECTING:
	case PH_TLS:
	case PH_AUTH:
	case PH_CSTP:
		if (now >= p->connect_deadline) {
			phone_fail(w, p, p->state == PH_CONNECTING ? R_TCP_TIMEOUT : R_CONNECT_TIMEOUT,
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
		/* a reconnection's next try (after a drop or a failed try), counted once */
		if (p->retry_due) {
			p->retry_due = false;
			STAT_ADD(w, reconnect_attempts, 1);
		}
		/* a new connection within one bring-up keeps its connect timer */
		if (!p->ex.same_bringup)
			p->connect_deadline = now + phone_connect_timer(w, p);
		p->ex.same_bringup = false;
		start_url(w, p, now);
		break;
	default:
		return;
	}
	if (!phone_gone(p) || p->state == PH_BACKOFF)
		phone_arm(w, p, now);
}

/* Logout: the headend ends the session and forgets the cookie; finish() follows. */
static void logout(struct worker *w, struct phone *p, uint64_t now)
{
	static const char bye[] = "\xb0Phone disconnected";

	if (p->dtls == DT_UP)
		tunnel_send_dtls(w, p, CSTP_DISCONNECT, bye, sizeof(bye) - 1, now);
	tunnel_send_cstp(w, p, CSTP_DISCONNECT, bye, sizeof(bye) - 1, now);
	tls_shutdown(&p->tls);
	bool sending = worker_flush(w, p, CH_TCP);
	phone_set_state(p, PH_CLOSING, now);
	p->close_deadline = now + CLOSE_WAIT_US;
	if (!sending)
		finish(w, p);
	else
		phone_arm(w, p, now);
}

void phone_stop(struct worker *w, struct phone *p, uint64_t now)
{
	p->resetting = false; /* the run's end wins over a reset under way */
	p->reset_at = 0;
	phone_lost_over(w, p);

	switch (p->state) {
	case PH_IDLE:
		if (p->wake_armed && p->wake_at <= now) {
			/* due at this very moment: it arrives, then is cut short like the others */
			phone_wake(w, p, UINT64_MAX);
			phone_arrive(w, p, now);
			phone_stop(w, p, now);
			break;
		}
		phone_wake(w, p, UINT64_MAX);
		phone_set_state(p, PH_DONE, now);
		break;
	case PH_TUNNEL:
		if (w->cfg->voice_direct)
			finish(w, p); /* no session to log out of */
		else
			logout(w, p, now);
		break;
	case PH_RESOLVING:
	case PH_CONNECTING:
	case PH_TLS:
	case PH_AUTH:
	case PH_CSTP:
	case PH_BACKOFF:
		/* the run ends before this phone got its tunnel */
		STAT_ADD(w, aborted, 1);
		phone_set_state(p, PH_DONE, now);
		phone_teardown(w, p);
		break;
	default:
		break;
	}
}

/* ==== The timeline's commands ==== */

#define REBOOT_US 500000u /* a reset phone is back this long after its logout */

/* After a reset: forget the session and arrive again, as a phone that restarted. */
static void reboot(struct worker *w, struct phone *p, uint64_t now)
{
	p->resetting = false;
	p->rebooted = true;
	p->reconnecting = false;
	phone_lost_over(w, p);
	p->attempt = 0;
	p->cookie[0] = '\0';
	exchange_reset(p);
	phone_forget_redirect(p);
	STAT_ADD(w, resets, 1);
	phone_set_state(p, PH_IDLE, now);
	phone_wake(w, p, now + REBOOT_US);
}

void phone_reset(struct worker *w, struct phone *p, uint64_t now, uint64_t at, bool fetch)
{
	if (w->stopping || p->state == PH_IDLE || p->state == PH_DONE || p->resetting)
		return; /* not there yet (it will arrive fresh), or already going */
	p->fetch_pending = fetch;
	if (at > now) {
		p->reset_at = at;
		if (!p->wake_armed || p->wake_at > at)
			phone_wake(w, p, at);
		return;
	}
	p->reset_at = 0;
	PTRACE(p, now, "VPNC: reset by the call manager: restarting%s",
	       fetch ? ", config to be fetched once connected" : "");
	switch (p->state) {
	case PH_TUNNEL:
		p->resetting = true;
		logout(w, p, now);
		return;
	case PH_CLOSING:
		p->resetting = true; /* finish() restarts it */
		return;
	case PH_FAILED:
		STAT_SUB(w, failed, 1);
		STAT_SUB(w, failed_by[p->reason], 1);
		p->reason = R_NONE;
		break;
	default:
		break;
	}
	phone_teardown(w, p);
	reboot(w, p, now);
}

void phone_cut(struct worker *w, struct phone *p, uint64_t now, uint64_t until, double loss)
{
	if (p->state == PH_IDLE || p->state == PH_DONE)
		return;
	p->cut_until = until;
	w->io->impair(w, p, until, loss);
	PTRACE(p, now, "NET: path %s for %.1f s", loss >= 1 ? "cut" : "losing packets",
	       (double)(until - now) / 1e6);
	if (p->state >= PH_RESOLVING && p->state <= PH_TUNNEL)
		phone_arm(w, p, now);
}
