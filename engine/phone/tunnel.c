/*
 * engine/phone/tunnel.c - a phone's tunnel once CONNECT succeeded (tunnel.h).
 *
 * CSTP frames on the TLS stream, one per record; the DTLS session (where a
 * phone's DTLS handshake lives: legacy resumption or PSK-NEGOTIATE, keyed
 * by dtls.c), its failure policy and retries; keepalive and DPD on both
 * channels by policy.c's rules; the IP packets the phone sends and receives
 * through the tunnel (inner.c), today one ping to check the data path.
 *
 * A DTLS session's records: OpenSSL seals and opens them during the
 * handshake; then (dtls.records = own) engine/tls/dtlsrec takes the keys
 * and sequence numbers, the SSL is freed (its ~37 KiB), and the session's
 * datagrams are sealed into and opened from the phone's buffers here. The
 * SSL's BIO stays as the queue of datagrams waiting for the UDP channel.
 */
#include "engine/phone/tunnel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/proto/anyconnect.h"
#include "engine/config.h"
#include "engine/proto/cstp.h"
#include "engine/tls/dtls.h"
#include "engine/tls/dtlshs.h"
#include "engine/tls/dtlsrec.h"
#include "engine/phone/failure.h"
#include "engine/phone/fetch.h"
#include "engine/proto/inner.h"
#include "engine/proto/refusal.h"
#include "engine/tls/membio.h"
#include "engine/trust/model.h"
#include "engine/phone/phone_internal.h"
#include "engine/tls/keylog.h"

#define TLS_QUEUE_BYTES 65536u /* bytes of TLS records waiting to be sent, at most */
#define PHONE_DTLS_PORT 443u   /* a phone's DTLS goes to UDP 443, whatever X-DTLS-Port says */

static void data_path_ready(struct worker *w, struct phone *p, uint64_t now);

/*
 * DTLS trouble does not end the phone: the tunnel carries on over TLS. detail
 * is the failure's (failure.h): the channel of a DPD timeout,
 * FAILURE_DTLS_NOT_OFFERED, the -errno of a local failure, or 0.
 */
static void dtls_fail(struct worker *w, struct phone *p, enum reason r, int detail)
{
	uint64_t now = worker_now(w);

	if (r == R_DTLS_TIMEOUT) {
		PTRACE(p, now, "VPNC: -vpnc_control: conn timer expired ... to abort connect");
		PTRACE(p, now, "VPNC: -abort_connect: in dtls setup phase");
	}
	PTRACE(p, now, "VPNC: -create_dtls_connection: DTLS setup failure (%s)", reason_name(r));
	PTRACE(p, now, "VPNC: connect : err: SSL success DTLS fail");
	if (p->dtls == DT_UP)
		STAT_SUB(w, dtls_now, 1);
	p->dtls = DT_FAILED;
	tunnel_dtls_close(p);
	worker_close(w, p, CH_UDP);
	if (p->state != PH_TUNNEL)
		return;
	if (p->probe) {
		snprintf(p->probe->dtls, sizeof(p->probe->dtls), "failed: %s", reason_name(r));
		phone_probe_done(w, p, now);
		return;
	}
	if (w->cfg->dtls_abort) {
		/* the strict phone: no DTLS, no connection ("abort_connect") */
		phone_fail(w, p, r, detail);
		return;
	}
	phone_count_failure(w, p, r, detail, NULL);
	if (w->cfg->dtls_retry_us)
		p->dtls_retry_at = now + w->cfg->dtls_retry_us;
	data_path_ready(w, p, now);
}

void tunnel_dtls_fail(struct worker *w, struct phone *p, enum reason r)
{
	dtls_fail(w, p, r, r == R_DPD_TIMEOUT ? CH_UDP : 0);
}

int tunnel_send_cstp(struct worker *w, struct phone *p, uint8_t type, const void *payload,
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

/* ==== The DTLS record layer ==== */

#define DTLS_FRAME_MAX 1600u /* bytes of a CSTP payload in one DTLS record */

/* Are the session's records ours (dtlsrec keyed), not OpenSSL's? */
static bool own_records(const struct phone *p)
{
	return p->dtls_rec.id != 0;
}

void tunnel_dtls_close(struct phone *p)
{
	tls_close(&p->dtls_s);
	dtlsrec_clear(&p->dtls_rec);
	p->dtls_watch = false;
}

/*
 * Once DTLS is up and OpenSSL has read all it was given: take the keys and
 * sequence numbers from the SSL and free it (dtlsrec.h, step 3). Until the
 * headend's first record after a legacy resumption, not yet (only OpenSSL
 * can resend the phone's Finished); a suite dtlsrec does not do, or keys it
 * cannot read, stay with OpenSSL for the session's life.
 */
static void dtls_take_over(struct worker *w, struct phone *p, uint64_t now)
{
	int r;

	if (!p->dtls_watch || p->dtls != DT_UP || !p->dtls_s.ssl)
		return;
	r = dtlsrec_take(&p->dtls_rec, p->dtls_s.ssl);
	if (r == -EAGAIN)
		return;
	p->dtls_watch = false;
	if (!r && !w->rec_ctx)
		w->rec_ctx = dtlsrec_ctx_new();
	if (r || !w->rec_ctx) {
		PTRACE(p, now, "DTLS: records stay with OpenSSL (%s)",
		       r == -ENOTSUP ? "a suite phoneswarm does not seal"
		       : r		 ? "its keys could not be read"
					 : "no memory for the cipher contexts");
		dtlsrec_clear(&p->dtls_rec);
		return;
	}
	tls_keep_bio(&p->dtls_s);
	STAT_ADD(w, dtls_takeovers, 1);
	PTRACE(p, now, "DTLS: records sealed by phoneswarm from here (next sequence number %llu)",
	       (unsigned long long)p->dtls_rec.wseq);
}

/*
 * Seal a frame (its type byte, then len bytes of payload) as one record,
 * in place in the send queue: the record's bytes are written once, where
 * the channel will take them from. A full queue loses the frame, counted
 * as a BIO_write's would be.
 */
static int seal_own(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		    uint16_t len)
{
	size_t head = dtlsrec_head(&p->dtls_rec);
	size_t cap = head + 1u + len + DTLSREC_MAX_TAIL;
	uint8_t *rec;
	int n = membio_dgram_reserve(p->dtls_s.bio, cap, &rec);

	if (n)
		return n > 0 ? 0 : n;
	rec[head] = type;
	if (len)
		memcpy(rec + head + 1, payload, len);
	n = dtlsrec_seal(&p->dtls_rec, w->rec_ctx, DTLSREC_T_APP, rec, 1u + len, cap);
	if (n < 0)
		return n;
	membio_dgram_commit(p->dtls_s.bio, (size_t)n);
	return 0;
}

int tunnel_send_dtls(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		     uint16_t len, uint64_t now)
{
	bool own = own_records(p);

	if (len > DTLS_FRAME_MAX)
		return -EMSGSIZE;
	if (own) {
		if (seal_own(w, p, type, payload, len))
			return -EPROTO;
	} else {
		uint8_t rec[1 + DTLS_FRAME_MAX];

		rec[0] = type;
		if (len)
			memcpy(rec + 1, payload, len);
		if (tls_write(&p->dtls_s, rec, 1u + len))
			return -EPROTO;
	}
	STAT_ADD(w, dtls_tx_bytes, 1u + len);
	p->live[CH_UDP].last_tx_us = now;
	worker_flush(w, p, CH_UDP);
	if (own)
		membio_trim(p->dtls_s.bio); /* sent at once: an idle phone keeps no buffer */
	else
		tls_idle(&p->dtls_s);
	return 0;
}

/* An IP packet into the tunnel: over DTLS while it is up, else over TLS. */
int tunnel_send_ip(struct worker *w, struct phone *p, const uint8_t *pkt, uint16_t len,
		     uint64_t now)
{
	bool dtls = p->dtls == DT_UP;
	BIO *out = dtls ? p->dtls_s.bio : p->tls.bio;

	/*
	 * A socket that cannot keep up: the phone's own queue is bounded, as a
	 * real phone's is, and a packet that finds it full is lost here.
	 */
	if (membio_pending(out) >= (dtls ? MEMBIO_DGRAM_QUEUE : TLS_QUEUE_BYTES)) {
		STAT_ADD(w, data_tx_dropped, 1);
		return -ENOBUFS;
	}
	int r = dtls ? tunnel_send_dtls(w, p, CSTP_DATA, pkt, len, now)
		     : tunnel_send_cstp(w, p, CSTP_DATA, pkt, len, now);
	if (!r) {
		STAT_ADD(w, data_tx_packets, 1);
		p->last_data_us = now; /* what a headend's idle timer counts from */
	}
	return r;
}

/*
 * Once the data path is settled (DTLS up, failed, or not offered), the
 * phone pings the DNS server the headend gave it, as a phone checks its
 * network: one echo, timed, proving both directions of the tunnel.
 */
static void tunnel_ping(struct worker *w, struct phone *p, uint64_t now)
{
	uint8_t pkt[128];
	int n;

	if (p->pinged || !p->ping_dst.s_addr)
		return;
	p->pinged = true;
	n = inner_icmp_echo(pkt, sizeof(pkt), p->tun_addr, p->ping_dst, (uint16_t)p->idx,
			    p->gen, 56);
	if (n > 0 && !tunnel_send_ip(w, p, pkt, (uint16_t)n, now))
		p->ping_sent_us = now;
}

/* DTLS is up, failed, or not used: what waited for the data path goes now. */
static void data_path_ready(struct worker *w, struct phone *p, uint64_t now)
{
	tunnel_ping(w, p, now);
	fetch_ready(w, p, now);
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
	if (in.proto == IPPROTO_UDP && p->fetch && fetch_rx(w, p, &in, now))
		return;
	if (in.proto == IPPROTO_UDP && phone_voice(w, p) && w->fleet->voice->rx(w, p, &in, now))
		return;
	if (in.proto == IPPROTO_ICMP && in.icmp_type == 0 && in.icmp_id == (uint16_t)p->idx &&
	    in.icmp_seq == p->gen && p->ping_sent_us) {
		worker_record(w, M_PING_RTT, now - p->ping_sent_us);
		PTRACE(p, now, "VPNC: ping %s through the tunnel: %.2f ms", inet_ntoa(in.src),
		       (double)(now - p->ping_sent_us) / 1e3);
		p->ping_sent_us = 0;
	}
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
	/* a DTLS rekey of method new-tunnel asks nothing of the client (openconnect) */
	d->rekey_s = t->dtls_rekey_method == AC_REKEY_SSL ? t->dtls_rekey_time : 0;
	if (d->psk) {
		d->id_len = t->dtls_app_id_len;
		memcpy(d->id, t->dtls_app_id, t->dtls_app_id_len);
	} else {
		d->id_len = 32;
		memcpy(d->id, t->dtls_session_id, 32);
	}
	snprintf(d->cipher, sizeof(d->cipher), "%s", t->dtls_cipher);
}

/* Is suite one of the colon-separated list? */
static bool in_list(const char *list, const char *suite)
{
	size_t n = strlen(suite);

	for (const char *s = list; s && *s;) {
		const char *end = strchr(s, ':');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len == n && !strncmp(s, suite, n))
			return true;
		s = end ? end + 1 : NULL;
	}
	return false;
}

/*
 * What an IP phone makes of the headend's DTLS offer (phone-behaviour: DTLS
 * 0.9 only, UDP 443 only, the TLS session's cipher). Returns the session
 * cipher its resumption claims, or 0 after failing DTLS: a headend that
 * picks a suite the phone did not offer (PSK-NEGOTIATE, a DTLS 1.2 suite).
 */
static uint16_t phone_dtls_check(struct worker *w, struct phone *p, uint64_t now)
{
	const struct dtls_params *d = &p->dp;

	PTRACE(p, now, "VPNC: -process_connect: x-dtls-ciphersuite: %s", d->psk ? "PSK-NEGOTIATE" : d->cipher);
	if (d->port != PHONE_DTLS_PORT)
		PTRACE(p, now, "VPNC: -process_connect: x-dtls-port: %u; the phone's DTLS goes to UDP %u",
		       d->port, PHONE_DTLS_PORT);
	if (d->psk || d->cipher_12 || !in_list(p->model->dtls_ciphers, d->cipher)) {
		PTRACE(p, now, "VPNC: -create_dtls_connection: %s is not a DTLSv0.9 cipher the phone "
			       "offered (%s)",
		       d->psk ? "PSK-NEGOTIATE" : d->cipher, p->model->dtls_ciphers);
		dtls_fail(w, p, R_DTLS_FAILED, FAILURE_DTLS_NOT_OFFERED);
		return 0;
	}
	PTRACE(p, now, "VPNC: -create_dtls_connection: cipher list: %s", d->cipher);
	return dtls_tls_cipher_id(&p->tls);
}

/*
 * The desktop client's model of a phone that must use its TLS cipher on
 * DTLS: when the headend chose another, its DTLS setup hangs until the
 * connect timer aborts it, as in the troubleshooting guide. True when that
 * is what happens now.
 */
static bool same_cipher_hang(struct worker *w, struct phone *p, uint64_t now)
{
	const struct dtls_params *d = &p->dp;
	char buf[32];
	const char *tls = dtls_tls_cipher(&p->tls, buf, sizeof(buf));
	const char *dtls = dtls_suite_cipher(d->cipher, d->cipher_12);

	if (d->psk || !p->model->dtls_same_cipher || (tls && dtls && !strcmp(tls, dtls)))
		return false;
	PTRACE(p, now, "VPNC: -create_dtls_connection: x-dtls-ciphersuite %s (%s) is not "
		       "the TLS cipher (%s): cannot set up DTLS",
	       d->cipher, dtls ? dtls : "?", tls ? tls : "?");
	p->dtls = DT_HANDSHAKE;
	p->t_dtls = now;
	if (!p->dtls_deadline || p->dtls_deadline < now)
		p->dtls_deadline = p->connect_deadline > now ? p->connect_deadline
							     : now + w->cfg->connect_timeout_us;
	return true;
}

/*
 * Is a legacy DTLS 0.9 handshake ours (engine/tls/dtlshs.c, no SSL) rather
 * than OpenSSL's? When the records are ours too (they are sealed with our
 * keys from the handshake's Finished on) and the worker has its cipher
 * contexts.
 */
static bool own_handshake(struct worker *w)
{
	if (w->cfg->dtls_openssl_handshake || w->cfg->dtls_openssl_records)
		return false;
	if (!w->rec_ctx)
		w->rec_ctx = dtlsrec_ctx_new();
	return w->rec_ctx != NULL;
}

static void start_dtls(struct worker *w, struct phone *p, uint64_t now)
{
	const struct dtls_params *d = &p->dp;
	bool phone = w->cfg->client == CLIENT_PHONE;
	uint16_t port = phone ? PHONE_DTLS_PORT : d->port, session_cipher = 0;
	int r;

	if (w->cfg->dtls_mode == DTLS_MODE_OFF || !d->port)
		return;
	if (phone) {
		session_cipher = phone_dtls_check(w, p, now);
		if (!session_cipher)
			return;
	} else if (same_cipher_hang(w, p, now)) {
		return;
	}
	struct sockaddr_in to = p->dst;

	to.sin_port = htons(port);
	r = worker_open(w, p, CH_UDP, p->src, &to);
	if (r) {
		/* a UDP socket this machine cannot give is not the headend's DTLS failing */
		dtls_fail(w, p, reason_errno_local(r) ? R_LOCAL_RESOURCE : R_DTLS_FAILED, r);
		return;
	}
	p->dtls_psk = d->psk;
	if (p->dtls_psk) {
		/* (once the TLS session is taken over, p->psk holds it already: take_tls) */
		r = p->tls.ssl ? dtls_psk_from_tls(&p->tls, p->psk) : 0;
		if (!r)
			r = dtls_open_psk(&p->dtls_s, w->fleet->dtls_psk, p->psk, d->id,
					  d->id_len, p);
	} else {
		r = own_handshake(w) && !d->cipher_12
			? dtls_open_own(&p->dtls_s, w->rec_ctx, d->cipher, p->master, d->id,
					session_cipher)
			: -ENOTSUP;
		if (r == -ENOTSUP)
			r = dtls_open_legacy(&p->dtls_s, w->fleet->dtls_legacy, d->cipher,
					     d->cipher_12, p->master, d->id, session_cipher, p);
	}
	if (r) {
		tunnel_dtls_fail(w, p, R_DTLS_FAILED);
		return;
	}
	if (!w->cfg->dtls_openssl_records && p->dtls_s.ssl) {
		dtlsrec_watch(&p->dtls_rec, p->dtls_s.ssl);
		p->dtls_watch = true;
	}
	p->dtls = DT_HANDSHAKE;
	p->t_dtls = now;
	if (!p->dtls_deadline || p->dtls_deadline < now)
		p->dtls_deadline = p->connect_deadline > now ? p->connect_deadline
							     : now + w->cfg->connect_timeout_us;
	PTRACE(p, now, "VPNC: -create_dtls_connection: %s to port %u",
	       p->dtls_psk ? "DTLSv1.2 PSK-NEGOTIATE" : "DTLSv0.9 resumption", port);
	p->live[CH_UDP] = (struct liveness){.last_rx_us = now, .last_tx_us = now,
					    .dpd_s = d->dpd, .keepalive_s = d->keepalive};
	tls_handshake(&p->dtls_s);
	worker_flush(w, p, CH_UDP);
}

void tunnel_up(struct worker *w, struct phone *p, const struct ac_tunnel *t, uint64_t now)
{
	uint64_t since = p->reconnecting ? p->dropped_at : p->t_due;

	worker_record(w, M_CSTP_CONNECT, now - p->t_phase);
	if (p->rekeying) {
		PTRACE(p, now, "VPNC: rekeyed: tunnel back on a new connection in %.1f ms",
		       (double)(now - p->dropped_at) / 1e3);
		p->rekeying = false;
		p->reconnecting = false;
	} else if (p->reconnecting) {
		worker_record(w, M_RECONNECT, now - p->dropped_at);
		STAT_ADD(w, reconnects, 1);
		phone_lost_over(w, p);
		PTRACE(p, now, "VPNC: reconnected %.1f s after the drop",
		       (double)(now - p->dropped_at) / 1e6);
		p->reconnecting = false;
	} else {
		worker_record(w, M_TIME_TO_TUNNEL, now - p->t_due);
		STAT_ADD(w, tunnels_up, 1);
	}
	p->attempt = 0;
	phone_set_state(p, PH_TUNNEL, now);
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
	/*
	 * The headend's timers. An idle timeout asks nothing of the phone (a
	 * real phone's signalling keeps its session busy); it names the end of
	 * a session that ran it out. A rekey is done as told (phone_rekey()).
	 */
	p->idle_s = t->idle_timeout;
	p->last_data_us = now;
	p->rekey_s = t->rekey_time;
	p->rekey = t->rekey_method == AC_REKEY_SSL	   ? REKEY_SSL
		   : t->rekey_method == AC_REKEY_NEW_TUNNEL ? REKEY_NEW_TUNNEL
							    : REKEY_NONE;
	p->rekey_since = now;
	if (p->rekey != REKEY_NONE && p->rekey_s)
		PTRACE(p, now, "VPNC: the headend asks for a rekey every %u s (%s)", p->rekey_s,
		       p->rekey == REKEY_SSL ? "ssl" : "new-tunnel");
	p->pinged = false;
	p->dtls_retry_at = 0;
	p->dtls_deadline = 0;
	keep_dtls_params(p, t);
	if (w->cfg->fetch_config == FETCH_ON_CONNECT && !p->probe)
		p->fetch_pending = true;
	start_dtls(w, p, now);
	if (phone_voice(w, p))
		w->fleet->voice->up(w, p, now);
	if (p->probe) {
		p->probe->tunnel = true;
		p->probe->dtls_offered = p->dp.port != 0;
		if (p->dtls == DT_OFF) {
			snprintf(p->probe->dtls, sizeof(p->probe->dtls), "%s",
				 w->cfg->dtls_mode == DTLS_MODE_OFF ? "not asked for"
								     : "not offered by the headend");
			phone_probe_done(w, p, now);
			return;
		}
	}
	if (p->dtls == DT_OFF)
		data_path_ready(w, p, now);
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
void tunnel_cstp_input(struct worker *w, struct phone *p, uint64_t now)
{
	struct cstp_frame f;
	int n = 0;

	while (p->state == PH_TUNNEL && (n = cstp_parse(p->ibuf, p->ilen, &f)) > 0) {
		p->live[CH_TCP].last_rx_us = now;
		STAT_ADD(w, cstp_rx_bytes, (uint64_t)n);
		switch (f.type) {
		case CSTP_DPD_REQ:
			tunnel_send_cstp(w, p, CSTP_DPD_RESP, f.payload, f.len, now);
			break;
		case CSTP_DPD_RESP:
			on_dpd_resp(w, p, CH_TCP, now);
			break;
		case CSTP_DATA:
			on_data(w, p, f.payload, f.len, now);
			break;
		case CSTP_DISCONNECT:
		case CSTP_TERMINATE: {
			/* a reason byte, then text (openconnect prints them so); kept as said */
			char words[REFUSAL_WORDS_MAX], how[32];
			struct fail_said said = {.words = words, .how = how};

			words[0] = 0;
			if (f.len > 1)
				refusal_clean(words, sizeof(words), (const char *)f.payload + 1,
					      f.len - 1u);
			snprintf(how, sizeof(how), "%s 0x%02x", cstp_type_name(f.type),
				 f.len ? f.payload[0] : 0);
			PTRACE(p, now, "VPNC: headend sent %s (%u bytes)%s%s", cstp_type_name(f.type),
			       f.len, words[0] ? ": " : "", words);
			phone_fail_said(w, p, R_CLOSED_BY_HEADEND, f.type, &said);
			return;
		}
		default: /* data, keepalive: counted above */
			break;
		}
		phone_ibuf_consume(p, (uint32_t)n);
	}
	if (p->state == PH_TUNNEL && n < 0)
		phone_fail(w, p, R_CSTP_MALFORMED, n);
}

/*
 * One DTLS record's plaintext from the headend: a CSTP type byte and its
 * payload. False if it ended DTLS (the phone carries on over TLS).
 */
static bool dtls_frame(struct worker *w, struct phone *p, const uint8_t *rec, size_t n,
		       uint64_t now)
{
	if (!n)
		return true;
	p->live[CH_UDP].last_rx_us = now;
	STAT_ADD(w, dtls_rx_bytes, (uint64_t)n);
	switch (rec[0]) {
	case CSTP_DPD_REQ:
		tunnel_send_dtls(w, p, CSTP_DPD_RESP, rec + 1, (uint16_t)(n - 1 > 256 ? 0 : n - 1),
				 now);
		break;
	case CSTP_DPD_RESP:
		on_dpd_resp(w, p, CH_UDP, now);
		break;
	case CSTP_DATA:
		on_data(w, p, rec + 1, n - 1, now);
		break;
	case CSTP_DISCONNECT:
		tunnel_dtls_fail(w, p, R_CLOSED_BY_HEADEND);
		return false;
	default:
		break;
	}
	return true;
}

/*
 * A datagram for the record layer: its records opened one by one where they
 * lie (the ring's buffer is lent writable). What the layer drops (replayed,
 * another epoch, forged, malformed) is counted; a warning alert, a
 * close_notify and a late handshake record are not answered, as OpenSSL's
 * session left them; a fatal alert ends DTLS as OpenSSL's would.
 */
static void udp_input_own(struct worker *w, struct phone *p, uint8_t *data, size_t len,
			  uint64_t now)
{
	size_t off = 0;

	while (off < len && own_records(p)) {
		struct dtlsrec_msg m;
		int v = dtlsrec_open(&p->dtls_rec, w->rec_ctx, data + off, len - off, &m);

		off += m.used;
		switch (v) {
		case DTLSREC_DATA:
			if (p->dtls_s.hs)
				dtls_own_settled(&p->dtls_s); /* it has our Finished */
			if (!dtls_frame(w, p, m.data, m.len, now))
				return;
			break;
		case DTLSREC_CLOSE:
			if (!m.alert) {
				PTRACE(p, now, "DTLS: the headend sent close_notify");
				break;
			}
			PTRACE(p, now, "VPNC: -dtls_state_cb: %s: read: alert: fatal:%s",
			       p->dtls_psk ? "DTLSv1.2" : "DTLSv0.9", SSL_alert_desc_string_long(m.alert));
			tunnel_dtls_fail(w, p, R_DTLS_FAILED);
			return;
		case DTLSREC_WARNING:
			break;
		case DTLSREC_HANDSHAKE:
			/* our own handshake's Finished lost: the headend sends its own again */
			if (p->dtls_s.hs && m.type == DTLSREC_T_HANDSHAKE && m.len && m.data[0] == 20 &&
			    dtls_own_resend(&p->dtls_s, &p->dtls_rec) == -EPROTO) {
				tunnel_dtls_fail(w, p, R_DTLS_FAILED); /* the 13th time, as OpenSSL */
				return;
			}
			break;
		case DTLSREC_EPOCH:
			if (p->dtls_s.hs)
				break; /* the headend's flight again: its Finished will say */
			/* fall through */
		default:
			STAT_ADD(w, dtls_rx_dropped, 1);
			PTRACE(p, now, "DTLS: record dropped (%s)", dtlsrec_verdict_name(v));
			break;
		}
	}
	if (own_records(p)) {
		worker_flush(w, p, CH_UDP);
		membio_trim(p->dtls_s.bio);
	}
}

void tunnel_udp_input(struct worker *w, struct phone *p, uint8_t *data, size_t len,
		      uint64_t now)
{
	uint8_t rec[2048];

	if (p->dtls != DT_HANDSHAKE && p->dtls != DT_UP)
		return;
	if (own_records(p)) {
		udp_input_own(w, p, data, len, now);
		return;
	}
	tls_feed(&p->dtls_s, data, len);
	if (p->dtls == DT_HANDSHAKE) {
		int r = tls_handshake(&p->dtls_s);

		if (r < 0) {
			if (p->dtls_s.alert_sent)
				PTRACE(p, now, "VPNC: -dtls_state_cb: %s: write: alert: fatal:%s",
				       p->dtls_psk ? "DTLSv1.2" : "DTLSv0.9",
				       SSL_alert_desc_string_long(p->dtls_s.alert_sent));
			PTRACE(p, now, "VPNC: -DTLS: SSL_connect: %s", tls_last_error());
			tunnel_dtls_fail(w, p, R_DTLS_FAILED);
			return;
		}
		worker_flush(w, p, CH_UDP);
		if (r == 0)
			return;
		/* a legacy session must be the resumed one, never a full handshake */
		if (!p->dtls_psk && !dtls_resumed(&p->dtls_s)) {
			tunnel_dtls_fail(w, p, R_DTLS_FAILED);
			return;
		}
		worker_record(w, M_DTLS_HANDSHAKE, now - p->t_dtls);
		if (!p->dtls_psk)
			dtls_keylog(&p->dtls_s, p, p->master); /* the master secret the phone sent */
		PTRACE(p, now, "VPNC: DTLS connected: %s %s in %.1f ms", tls_version_name(&p->dtls_s),
		       tls_cipher_name(&p->dtls_s), (double)(now - p->t_dtls) / 1e3);
		p->dtls = DT_UP;
		p->dtls_rekey_since = now;
		STAT_ADD(w, dtls_up, 1);
		STAT_ADD(w, dtls_now, 1);
		if (p->dtls_s.hs) {
			/* our own handshake: its records are ours from its Finished on */
			dtlshs_keys(p->dtls_s.hs, &p->dtls_rec);
			STAT_ADD(w, dtls_takeovers, 1);
		}
		if (p->probe) {
			p->probe->dtls_up = true;
			snprintf(p->probe->dtls, sizeof(p->probe->dtls), "%s %s (%s)",
				 tls_version_name(&p->dtls_s), tls_cipher_name(&p->dtls_s),
				 p->dtls_psk ? "PSK-NEGOTIATE" : "legacy resumption");
			phone_probe_done(w, p, now);
			return;
		}
		p->live[CH_UDP].last_rx_us = now;
		data_path_ready(w, p, now);
		if (!p->dtls_s.ssl) {
			/* our own handshake: records after the headend's Finished, in the same datagram */
			size_t used = p->dtls_s.hs ? dtlshs_used(p->dtls_s.hs) : len;

			if (p->dtls == DT_UP && own_records(p) && used < len)
				udp_input_own(w, p, data + used, len - used, now);
			else if (p->dtls == DT_UP)
				worker_flush(w, p, CH_UDP);
			return;
		}
	}
	for (;;) {
		int n = tls_read(&p->dtls_s, rec, sizeof(rec));

		if (n <= 0) {
			if (n < 0 && n != -EPIPE)
				tunnel_dtls_fail(w, p, R_DTLS_FAILED);
			break;
		}
		if (!dtls_frame(w, p, rec, (size_t)n, now))
			return;
	}
	dtls_take_over(w, p, now);
	worker_flush(w, p, CH_UDP);
	tls_idle(&p->dtls_s);
}

/* ==== Timer and stop ==== */

/*
 * Keepalive and DPD of channel c, by policy_liveness(): send what is due and
 * return the action, so that the caller decides what a dead channel means.
 */
static enum live_action keep_alive(struct worker *w, struct phone *p, enum chan_id c, uint64_t now)
{
	uint64_t next;
	enum live_action act = policy_liveness(&p->live[c], now, &next);
	int (*send)(struct worker *, struct phone *, uint8_t, const void *, uint16_t, uint64_t) =
		c == CH_TCP ? tunnel_send_cstp : tunnel_send_dtls;

	if (act == LIVE_DPD) {
		p->live[c].dpd_sent_us = now;
		STAT_ADD(w, dpd_sent, 1);
		send(w, p, CSTP_DPD_REQ, NULL, 0, now);
	} else if (act == LIVE_KEEPALIVE) {
		STAT_ADD(w, keepalives_sent, 1);
		send(w, p, CSTP_KEEPALIVE, NULL, 0, now);
	}
	return act;
}

void tunnel_timer(struct worker *w, struct phone *p, uint64_t now)
{
	if (phone_voice(w, p))
		w->fleet->voice->tick(w, p, now);
	fetch_tick(w, p, now);
	if (keep_alive(w, p, CH_TCP, now) == LIVE_DEAD) {
		phone_fail(w, p, R_DPD_TIMEOUT, 0);
		return;
	}
	uint64_t next;

	if (policy_rekey((enum rekey_action)p->rekey, p->rekey_s, p->rekey_since, now, &next) !=
	    REKEY_NONE) {
		phone_rekey(w, p, now);
		return;
	}
	if (p->dtls == DT_UP &&
	    policy_rekey(p->dp.rekey_s ? REKEY_SSL : REKEY_NONE, p->dp.rekey_s, p->dtls_rekey_since,
			 now, &next) != REKEY_NONE) {
		/* a new DTLS handshake: openconnect's way when a rehandshake fails */
		PTRACE(p, now, "VPNC: DTLS rekey due (every %u s): a new DTLS handshake", p->dp.rekey_s);
		STAT_ADD(w, rekeys, 1);
		STAT_SUB(w, dtls_now, 1);
		tunnel_dtls_close(p);
		worker_close(w, p, CH_UDP);
		p->dtls = DT_FAILED;
		p->dtls_deadline = now + w->cfg->connect_timeout_us;
		start_dtls(w, p, now);
		return;
	}
	if (p->dtls == DT_FAILED && p->dtls_retry_at && now >= p->dtls_retry_at) {
		p->dtls_retry_at = 0;
		PTRACE(p, now, "VPNC: retrying DTLS");
		STAT_ADD(w, dtls_retries, 1);
		p->dtls_deadline = now + w->cfg->connect_timeout_us;
		start_dtls(w, p, now);
	} else if (p->dtls == DT_HANDSHAKE) {
		if (now >= p->dtls_deadline) {
			tunnel_dtls_fail(w, p, R_DTLS_TIMEOUT);
		} else {
			dtls_handle_timeout(&p->dtls_s);
			worker_flush(w, p, CH_UDP);
		}
	} else if (p->dtls == DT_UP && keep_alive(w, p, CH_UDP, now) == LIVE_DEAD) {
		tunnel_dtls_fail(w, p, R_DPD_TIMEOUT);
	}
}
