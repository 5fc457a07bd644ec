/*
 * engine/voice/codec.c - the codec table (codec.h).
 *
 * Sizes: G.711 is one byte per 8 kHz sample; G.722 is 64 kbit/s, one byte
 * per two 16 kHz samples, so also one byte per 125 us; G.729 is a 10-byte
 * frame every 10 ms (8 kbit/s). RTP clocks are RFC 3551's: 8000 for all
 * three, G.722 included (section 4.5.2: its clock rate is 8000 Hz "for
 * historical reasons" although it samples at 16 kHz).
 *
 * E-model figures are the provisional planning values of ITU-T G.113
 * (11/2007) Appendix I, narrowband, for 20 ms packets and random loss:
 *   G.711: Ie 0. Bpl 25.1 with the PLC of G.711 Appendix I, 4.3 without.
 *          Phones conceal losses, so we take 25.1.
 *   G.729A (+VAD): Ie 11, Bpl 19.0.
 *   G.722: G.113 rates it only on the wideband scale of G.107.1 (Ro,wb
 *          129), which does not mix with our narrowband R (93.2 at best).
 *          We use the usual narrowband approximation: no worse than G.711,
 *          so Ie 0, and G.711's Bpl with PLC, 25.1 (G.722 has PLC in its
 *          Appendices III and IV). An assumption, not a G.113 figure.
 */
#include "engine/voice/codec.h"

#include <strings.h>

static const struct codec codecs[] = {
	/* name  encoding  pt  clock  frame_us bytes ts  Ie    Bpl */
	{"g711", "PCMU", 0, 8000, 125, 1, 1, 0.0, 25.1},
	{"g729", "G729", 18, 8000, 10000, 10, 80, 11.0, 19.0},
	{"g722", "G722", 9, 8000, 125, 1, 1, 0.0, 25.1},
};

const struct codec *codec_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (strcasecmp(name, codecs[i].name) == 0)
			return &codecs[i];
	return NULL;
}

size_t codec_payload_bytes(const struct codec *c, uint32_t ptime_us)
{
	return (size_t)(ptime_us / c->frame_us) * c->frame_bytes;
}

uint32_t codec_ts_step(const struct codec *c, uint32_t ptime_us)
{
	return ptime_us / c->frame_us * c->frame_ts;
}
