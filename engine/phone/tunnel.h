/*
 * engine/phone/tunnel.h - a phone's tunnel: CSTP frames, DTLS, liveness, packets.
 */
#ifndef ENGINE_TUNNEL_H
#define ENGINE_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/reason.h"

struct worker;
struct phone;
struct ac_tunnel;

/* CONNECT succeeded with t: the tunnel is up; start DTLS if offered. */
void tunnel_up(struct worker *w, struct phone *p, const struct ac_tunnel *t, uint64_t now);
/* Parse and act on the CSTP frames in the phone's decrypted input. */
void tunnel_cstp_input(struct worker *w, struct phone *p, uint64_t now);
/* One datagram received on the phone's UDP channel (lent, writable: opened in place). */
void tunnel_udp_input(struct worker *w, struct phone *p, uint8_t *data, size_t len,
		      uint64_t now);
/* The phone's timer fired in the tunnel: keepalive, DPD, DTLS retransmission and retry. */
void tunnel_timer(struct worker *w, struct phone *p, uint64_t now);
/* Send one CSTP frame (one TLS record) / one DTLS record of the given type. 0 or -errno. */
int tunnel_send_cstp(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		     uint16_t len, uint64_t now);
int tunnel_send_dtls(struct worker *w, struct phone *p, uint8_t type, const void *payload,
		     uint16_t len, uint64_t now);
/* An IP packet into the tunnel: over DTLS while it is up, else over TLS. 0 or -errno. */
int tunnel_send_ip(struct worker *w, struct phone *p, const uint8_t *pkt, uint16_t len,
		   uint64_t now);
/* DTLS failed for reason r: carry on over TLS (and retry later), or abort, by policy. */
void tunnel_dtls_fail(struct worker *w, struct phone *p, enum reason r);
/*
 * Close the phone's DTLS session, whichever record layer runs it: the SSL
 * (or the BIO kept after the take-over) and the record layer's keys. The
 * UDP channel is the caller's.
 */
void tunnel_dtls_close(struct phone *p);

#endif
