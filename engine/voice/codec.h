/*
 * engine/voice/codec.h - the voice codecs a phone can put in its RTP stream.
 *
 * A codec here is only what the load needs: its RTP payload type and
 * clock, how many payload bytes a packet of a given packetisation time
 * (ptime) carries, how far the RTP timestamp moves per packet, and the two
 * E-model figures (engine/voice/emodel.h) that turn measured delay and loss into
 * an R factor. No audio is encoded: the payload is the probe and filler.
 *
 * The table is constant; codec_find() hands out borrowed pointers into it.
 */
#ifndef ENGINE_CODEC_H
#define ENGINE_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct codec {
	const char *name;     /* phoneswarm's name: "g711", "g729", "g722" */
	const char *encoding; /* RTP/SDP encoding name: "PCMU", "G729", "G722" */
	uint8_t pt;	      /* static RTP payload type (RFC 3551 table 4) */
	uint32_t clock_hz;    /* RTP timestamp units per second */
	uint32_t frame_us;    /* one codec frame, microseconds */
	uint32_t frame_bytes; /* payload bytes per frame */
	uint32_t frame_ts;    /* RTP timestamp units per frame */
	double ie;	      /* E-model equipment impairment Ie, R units */
	double bpl;	      /* E-model packet-loss robustness Bpl, percent */
};

/* The codec called name ("g711", "g729", "g722"; case-insensitive), or NULL. */
const struct codec *codec_find(const char *name);

/*
 * Payload bytes of one packet of ptime_us microseconds: whole frames only
 * (ptime rounded down to a multiple of frame_us). g711 20 ms = 160,
 * 10 ms = 80; g729 20 ms = 20; g722 20 ms = 160. 0 if ptime < one frame.
 */
size_t codec_payload_bytes(const struct codec *c, uint32_t ptime_us);

/*
 * RTP timestamp increment between consecutive packets of ptime_us, in RTP
 * timestamp units, for the same whole frames as codec_payload_bytes():
 * 160 for 20 ms at 8 kHz (g722 too: RFC 3551 clocks it at 8 kHz).
 */
uint32_t codec_ts_step(const struct codec *c, uint32_t ptime_us);

#endif
