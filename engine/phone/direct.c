/*
 * engine/phone/direct.c - calls without a tunnel (direct.h).
 *
 * The phone's UDP channel, which otherwise carries its DTLS, is connected
 * to the reflector instead; the session it pulls datagrams from is a plain
 * datagram queue (a struct tls with a BIO and no SSL, as after a DTLS
 * take-over), so the ring sends RTP exactly as it sends DTLS records.
 */
#include "engine/phone/direct.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "engine/config.h"
#include "engine/phone/phone_internal.h"
#include "engine/proto/inner.h"
#include "engine/tls/membio.h"

void direct_start(struct worker *w, struct phone *p, uint64_t now)
{
	const struct voice_hooks *v = phone_voice(w, p);
	const struct sockaddr_in *to = &w->cfg->voice_target;
	int r;

	p->gen++;
	p->dtls = DT_OFF;
	phone_set_state(p, PH_CONNECTING, now);
	PTRACE(p, now, "VPNC: traffic.path = direct: RTP straight to %s:%u, no tunnel",
	       inet_ntoa(to->sin_addr), ntohs(to->sin_port));
	p->dtls_s.bio = membio_new(true);
	if (!p->dtls_s.bio) {
		phone_fail(w, p, R_LOCAL_RESOURCE, -ENOMEM);
		return;
	}
	/* before anything is sent, any failure is ours: no descriptor, address, SQE */
	r = worker_open(w, p, CH_UDP, p->src, to);
	if (r) {
		phone_fail(w, p, reason_errno_local(r) ? R_LOCAL_RESOURCE : R_INTERNAL, r);
		return;
	}
	phone_set_state(p, PH_TUNNEL, now);
	STAT_ADD(w, tunnels_up, 1);
	STAT_ADD(w, up_now, 1);
	if (v)
		v->up(w, p, now);
}

int direct_send(struct worker *w, struct phone *p, const uint8_t *pkt, size_t len)
{
	BIO *out = p->dtls_s.bio;
	uint8_t *at;
	int n;

	if (p->state != PH_TUNNEL || !out)
		return -ENOTCONN;
	n = membio_dgram_reserve(out, len, &at);
	if (n) {
		/* the phone's own queue is full: lost here, as through a tunnel */
		if (n > 0)
			STAT_ADD(w, data_tx_dropped, 1);
		return n > 0 ? -ENOBUFS : n;
	}
	memcpy(at, pkt, len);
	membio_dgram_commit(out, len);
	worker_flush(w, p, CH_UDP);
	membio_trim(out); /* sent at once: an idle phone keeps no buffer */
	return 0;
}

void direct_input(struct worker *w, struct phone *p, const uint8_t *data, size_t len,
		  uint64_t now)
{
	const struct voice_hooks *v = phone_voice(w, p);
	const struct sockaddr_in *from = &w->cfg->voice_target;
	struct inner_info in = {
		.src = from->sin_addr,
		.proto = IPPROTO_UDP,
		.payload = data,
		.payload_len = len,
		.sport = ntohs(from->sin_port),
	};

	if (p->state != PH_TUNNEL || !v)
		return;
	in.dport = v->port(p); /* the socket is connected: all it gets is the reflector's */
	v->rx(w, p, &in, now);
}
