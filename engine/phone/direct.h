/*
 * engine/phone/direct.h - calls without a tunnel (traffic.path = direct).
 *
 * A measurement aid, not something a phone does: with traffic.path =
 * direct each phone sends its RTP straight over UDP to the reflector from
 * one socket, and takes the echoes from it, so that how late its packets
 * leave is the tool's alone, with no headend sharing the machine. The
 * socket stands in for the tunnel: the phone counts as up (tunnels_up,
 * up_now) once it is open, and its calls run on the same worker ring, timer,
 * pacing and voice code (engine/voice/voice.c) as through a tunnel. The
 * scenario loader refuses what needs a tunnel (phone to phone, config
 * fetches, resets, cuts, trust changes).
 */
#ifndef ENGINE_DIRECT_H
#define ENGINE_DIRECT_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct phone;

/* The phone arrives: open its socket to the reflector, and its calls begin. */
void direct_start(struct worker *w, struct phone *p, uint64_t now);
/*
 * One RTP packet (len bytes) to the reflector, through the phone's bounded
 * datagram queue as a tunnel's packets go: 0, or -ENOBUFS when the queue is
 * full (lost, counted in data_tx_dropped), -ENOTCONN, -ENOMEM.
 */
int direct_send(struct worker *w, struct phone *p, const uint8_t *pkt, size_t len);
/* A datagram from the reflector, for the phone's calls. */
void direct_input(struct worker *w, struct phone *p, const uint8_t *data, size_t len,
		  uint64_t now);

#endif
