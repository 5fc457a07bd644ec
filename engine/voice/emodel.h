/*
 * engine/voice/emodel.h - a call's transmission rating R and MOS from what the
 * network did to it: ITU-T G.107's E-model, cut down to the terms a
 * network can move.
 *
 *   R = (Ro - Is) - Id + A - Ie,eff
 *
 * Ro - Is = 93.2: G.107's default signal-to-noise and simultaneous
 * impairments (the R of a perfect narrowband G.711 call, with the default
 * echo terms folded in). A = 0 (no advantage expected of a desk phone).
 *
 * Id: G.107's pure-delay impairment Idd, with the absolute delay Ta = the
 * one-way delay (and, in the editions that have them, the defaults
 * mT = 100 ms, sT = 1): 0 up to 100 ms, then
 *   Idd = 25 { (1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2 },
 *   X = log2(Ta / 100).
 * The talker- and listener-echo terms Idte and Idle are taken at their
 * defaults, inside the 93.2: echo is assumed cancelled, as it is on IP
 * phones. (The Cole and Rosenbluth fit Id = 0.024 d + 0.11 (d - 177.3)
 * H(d - 177.3) would charge 0.024 per ms from 0 ms; it is not used.)
 *
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl), G.107's, with the
 * codec's Ie and Bpl (engine/voice/codec.h, from G.113 Appendix I).
 */
#ifndef REPORT_EMODEL_H
#define REPORT_EMODEL_H

#include "engine/voice/codec.h"

#define EMODEL_R0 93.2 /* Ro - Is, the default G.107 R with no delay and no codec loss */

/*
 * R for a call with codec c, one_way_delay_ms of mouth-to-ear delay
 * (milliseconds; below 0 taken as 0), loss_percent of its packets lost
 * (percent, clamped to 0..100) and burst_ratio BurstR (1 for random loss,
 * above 1 for bursty; 0 or below taken as 1). Not clamped: it can fall
 * below 0.
 */
double emodel_r(const struct codec *c, double one_way_delay_ms, double loss_percent,
		double burst_ratio);

/* G.107's delay impairment Idd for a one-way delay of ta_ms milliseconds, R units. */
double emodel_idd(double ta_ms);

/* G.107's effective equipment impairment Ie,eff for codec c, R units. */
double emodel_ie_eff(const struct codec *c, double loss_percent, double burst_ratio);

/* G.107 annex B's MOS (conversational quality, 1..4.5) for a rating R. */
double emodel_mos(double r);

#endif
