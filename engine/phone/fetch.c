/*
 * engine/phone/fetch.c - a phone's TFTP fetch of its config file (fetch.h).
 *
 * One transfer at a time per phone, RFC 1350 with 512-byte blocks and no
 * options, in octet mode. The server answers from a port of its own (the
 * transfer's TID); packets from any other port or address are dropped.
 * Timing runs from the first read request to the last block.
 */
#include "engine/phone/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/trust/cnf.h"
#include "engine/config.h"
#include "engine/proto/inner.h"
#include "engine/phone/phone.h"
#include "engine/proto/tftp.h"
#include "engine/phone/tunnel.h"
#include "engine/phone/worker.h"

struct fetch {
	struct tftp_rx rx;     /* the file so far */
	uint64_t t_start;      /* first read request sent */
	uint64_t deadline;     /* send again, or give up, at this time */
	uint16_t sport;        /* our port for this transfer */
	uint16_t server_port;  /* the server's TID; 0 until its first packet */
	uint8_t tries;         /* sends of the packet now waiting for an answer */
	char name[24];         /* SEP<MAC>.cnf.xml */
};

/* The tunnel is up and its data path settled (DTLS up, failed or not used). */
static bool can_carry(const struct phone *p)
{
	return p->state == PH_TUNNEL && p->dtls != DT_HANDSHAKE;
}

static void send_udp(struct worker *w, struct phone *p, const uint8_t *msg, size_t len,
		     uint16_t dport, uint64_t now)
{
	uint8_t pkt[INNER_IPV4_HDR + INNER_UDP_HDR + 600];
	int n = inner_udp(pkt, sizeof(pkt), p->tun_addr, p->fetch->sport, w->cfg->tftp, dport, msg,
			  len);

	/* a packet the tunnel cannot take now is sent again on the timeout */
	if (n > 0)
		tunnel_send_ip(w, p, pkt, (uint16_t)n, now);
}

/* Send what the server is waiting for: the read request, or the last ACK. */
static void send_current(struct worker *w, struct phone *p, uint64_t now)
{
	struct fetch *f = p->fetch;
	uint8_t msg[64];
	int n;

	if (!f->server_port) {
		n = tftp_rrq(msg, sizeof(msg), f->name, "octet");
		if (n > 0)
			send_udp(w, p, msg, (size_t)n, TFTP_PORT, now);
	} else {
		n = tftp_ack(msg, sizeof(msg), f->rx.block);
		if (n > 0)
			send_udp(w, p, msg, (size_t)n, f->server_port, now);
	}
	f->tries++;
	f->deadline = now + FETCH_WAIT_US;
}

static void end_fetch(struct phone *p)
{
	tftp_rx_free(&p->fetch->rx);
	free(p->fetch);
	p->fetch = NULL;
}

static void failed(struct worker *w, struct phone *p, uint64_t now, const char *why)
{
	PTRACE(p, now, "TFTP: -tftp_get: %s failed: %s", p->fetch->name, why);
	STAT_ADD(w, config_failed, 1);
	end_fetch(p);
}

/* The file is whole: take its certificate hashes for the next connection. */
static void done(struct worker *w, struct phone *p, uint64_t now)
{
	struct fetch *f = p->fetch;
	struct phone_cnf cnf;
	char why[160];
	int r;

	PTRACE(p, now, "TFTP: -tftp_get: %s: %zu bytes in %u blocks, %.1f ms", f->name, f->rx.len,
	       f->rx.block, (double)(now - f->t_start) / 1e3);
	if (cnf_parse((const char *)f->rx.buf, f->rx.len, &cnf, why, sizeof(why))) {
		failed(w, p, now, why);
		return;
	}
	r = phone_set_trust(w, p, (const uint8_t(*)[20])cnf.hashes, cnf.n_hashes);
	if (r) {
		failed(w, p, now, strerror(-r));
		return;
	}
	PTRACE(p, now, "CFG: %s: %d certHash entries, for the next connection", f->name,
	       cnf.n_hashes);
	worker_record(w, M_TFTP_FETCH, now - f->t_start);
	STAT_ADD(w, config_fetched, 1);
	STAT_ADD(w, config_bytes, f->rx.len);
	end_fetch(p);
}

static void start(struct worker *w, struct phone *p, uint64_t now)
{
	struct fetch *f = calloc(1, sizeof(*f));

	p->fetch_pending = false;
	if (!f) {
		STAT_ADD(w, config_failed, 1);
		return;
	}
	p->fetch = f;
	tftp_rx_init(&f->rx, FETCH_MAX_BYTES);
	snprintf(f->name, sizeof(f->name), "SEP%012llX.cnf.xml", (unsigned long long)p->mac);
	/* an ephemeral port of its own per transfer, as a TFTP client takes */
	f->sport = (uint16_t)(49152u + (p->idx * 4099u + (uint32_t)(now / 1000u)) % 16384u);
	f->t_start = now;
	if (p->traced) {
		char srv[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &w->cfg->tftp, srv, sizeof(srv));
		PTRACE(p, now, "TFTP: -tftp_get: RRQ %s (octet) from %s through the tunnel", f->name,
		       srv);
	}
	send_current(w, p, now);
}

int fetch_request(struct worker *w, struct phone *p, uint64_t now)
{
	if (p->fetch)
		return -EALREADY;
	if (can_carry(p))
		start(w, p, now);
	else
		p->fetch_pending = true;
	return 0;
}

void fetch_ready(struct worker *w, struct phone *p, uint64_t now)
{
	if (p->fetch_pending && !p->fetch && can_carry(p))
		start(w, p, now);
}

uint64_t fetch_next(const struct phone *p)
{
	return p->fetch ? p->fetch->deadline : UINT64_MAX;
}

void fetch_tick(struct worker *w, struct phone *p, uint64_t now)
{
	struct fetch *f = p->fetch;

	if (!f || now < f->deadline)
		return;
	if (f->tries >= FETCH_TRIES) {
		char why[64];

		snprintf(why, sizeof(why), "no answer after %u tries", f->tries);
		failed(w, p, now, why);
		return;
	}
	PTRACE(p, now, "TFTP: -tftp_get: timeout, sending %s again (try %u of %u)",
	       f->server_port ? "ACK" : "RRQ", f->tries + 1, FETCH_TRIES);
	STAT_ADD(w, config_retries, 1);
	send_current(w, p, now);
}

bool fetch_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now)
{
	struct fetch *f = p->fetch;
	struct tftp_msg m;
	uint8_t ack[4];

	if (!f || in->dport != f->sport || in->src.s_addr != w->cfg->tftp.s_addr)
		return false;
	if (f->server_port && in->sport != f->server_port)
		return true; /* another transfer's TID */
	if (tftp_parse(in->payload, in->payload_len, &m)) {
		STAT_ADD(w, data_rx_bad, 1);
		return true;
	}
	if (m.op == TFTP_ERROR) {
		char why[160];

		snprintf(why, sizeof(why), "TFTP error %u: %.100s", m.error, m.errmsg);
		failed(w, p, now, why);
		return true;
	}
	if (m.op != TFTP_DATA)
		return true;
	f->server_port = in->sport;
	switch (tftp_rx_data(&f->rx, m.block, m.data, m.len)) {
	case TFTP_RX_ACK:
		f->tries = 0;
		send_current(w, p, now);
		break;
	case TFTP_RX_REACK:
		if (tftp_ack(ack, sizeof(ack), m.block) > 0)
			send_udp(w, p, ack, sizeof(ack), f->server_port, now);
		break;
	case TFTP_RX_DONE:
		f->tries = 0;
		send_current(w, p, now);
		done(w, p, now);
		break;
	case TFTP_RX_IGNORE:
		break;
	case TFTP_RX_TOO_BIG:
		failed(w, p, now, "larger than 64 KiB");
		break;
	case TFTP_RX_NOMEM:
		failed(w, p, now, "out of memory");
		break;
	}
	return true;
}

void fetch_cut(struct worker *w, struct phone *p, uint64_t now)
{
	if (!p->fetch)
		return;
	if (w->stopping) {
		/* the run's end is not the server's fault: neither fetched nor failed */
		PTRACE(p, now, "TFTP: -tftp_get: %s cut short by the end of the run",
		       p->fetch->name);
		STAT_ADD(w, config_unfinished, 1);
		end_fetch(p);
		return;
	}
	failed(w, p, now, "the tunnel went down");
	p->fetch_pending = true;
}

void fetch_free(struct phone *p)
{
	if (p->fetch)
		end_fetch(p);
	p->fetch_pending = false;
}
