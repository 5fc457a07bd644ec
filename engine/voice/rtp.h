/*
 * engine/voice/rtp.h - RTP packets (RFC 3550) as a phone's voice stream carries
 * them inside its tunnel, the probe phoneswarm hides in their payload, and
 * the send schedule.
 *
 * Builders write into a caller buffer and the parser points into the
 * caller's; nothing here allocates, keeps state or touches a socket.
 *
 * The probe: the first RTP_PROBE_LEN bytes of every payload phoneswarm
 * sends (the rest is filler up to the codec's payload size). The phone
 * fills phone, seq32, sent_us and call; the reflector sends the packet back
 * with refl_rx_us and refl_count filled, so the phone can tell the loss
 * and delay of each direction apart. Layout, all big-endian:
 *
 *   offset  size  field
 *        0     4  phone       the sending phone's index
 *        4     4  seq32       packet number in the call, from 0 (no wrap)
 *        8     8  sent_us     the phone's clock_us() when it sent it
 *       16     8  refl_rx_us  the reflector's clock when it received it
 *                             (0 on the way out)
 *       24     4  refl_count  packets of this SSRC the reflector has
 *                             received so far, this one included
 *                             (0 on the way out); seq32 + 1 - refl_count
 *                             is the upstream loss so far
 *       28     4  call        phone-to-phone calls: the call's number, the
 *                             same at both ends (engine/voice/p2p.h); 0 in calls
 *                             to a reflector, which leaves it as it is
 *
 * A g729 packet of 20 ms has 20 payload bytes, fewer than RTP_PROBE_LEN:
 * the probe does not fit unless ptime is 40 ms or more.
 */
#ifndef ENGINE_RTP_H
#define ENGINE_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN   12 /* fixed header, no CSRC, no extension */
#define RTP_PROBE_LEN 32 /* the probe at the start of the payload */

/* The RTP header fields phoneswarm uses. Built with V=2, P=0, X=0, CC=0. */
struct rtp_hdr {
	bool marker;   /* M: first packet of a talkspurt */
	uint8_t pt;    /* payload type, 0..127 */
	uint16_t seq;  /* sequence number, packets */
	uint32_t ts;   /* timestamp, RTP timestamp units (codec clock) */
	uint32_t ssrc; /* synchronisation source */
};

struct rtp_probe {
	uint32_t phone;	     /* phone index */
	uint32_t seq32;	     /* packet number in the call, packets */
	uint64_t sent_us;    /* sender's clock at send, microseconds */
	uint64_t refl_rx_us; /* reflector's clock at receive, microseconds; 0 outbound */
	uint32_t refl_count; /* packets the reflector has had of this SSRC; 0 outbound */
	uint32_t call;       /* phone-to-phone: the call's number at both ends; else 0 */
};

/*
 * An RTP packet of header h and len payload bytes copied from payload
 * (payload NULL: len zero bytes, to be overwritten). Length in bytes,
 * -ENOSPC if it does not fit in cap, -EINVAL if h->pt > 127.
 */
int rtp_build(uint8_t *buf, size_t cap, const struct rtp_hdr *h, const void *payload, size_t len);

/*
 * Check a received RTP packet of len bytes: version 2, CSRC list,
 * extension header and padding all within len. 0 with *h filled and
 * *payload (borrowed, into buf) and *plen set to the payload without
 * CSRCs, extension or padding; -EBADMSG otherwise.
 */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h, const uint8_t **payload,
	      size_t *plen);

/* Write p at buf in the layout above. RTP_PROBE_LEN, or -ENOSPC if cap is smaller. */
int rtp_probe_put(uint8_t *buf, size_t cap, const struct rtp_probe *p);
/* Read a probe from the start of a payload of len bytes. 0, or -EBADMSG if too short. */
int rtp_probe_get(const uint8_t *buf, size_t len, struct rtp_probe *p);

/*
 * When packet n (0 for the first) of a stream started at start_us is due:
 * start_us + n x ptime_us, microseconds, computed from the start each time
 * so it never drifts. A packet sent at t left t - rtp_due_us() late.
 */
uint64_t rtp_due_us(uint64_t start_us, uint64_t n, uint32_t ptime_us);

/*
 * How many packets of that stream are due by now_us (due time <= now_us):
 * a sender that has sent fewer owes the difference. 0 before start_us;
 * ptime_us must not be 0 (UINT64_MAX if it is).
 */
uint64_t rtp_due_count(uint64_t start_us, uint32_t ptime_us, uint64_t now_us);

#endif
