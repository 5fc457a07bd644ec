/*
 * engine/voice/voice.h - a phone's calls: RTP through the tunnel, and what a
 * caller would hear.
 *
 * While its tunnel is up, a phone is in a call for a share of the time
 * (engine/voice/calls.c decides when). In a call it sends an RTP packet every
 * ptime to the reflector, on a schedule that does not drift, and records
 * how late each left; the reflector echoes it, stamped, and the phone
 * measures round trip, loss, jitter, reordering, duplicates and late
 * packets in each direction (engine/voice/rtpstats.c). When a call ends its
 * figures go into the worker's counters and histograms, with a MOS from
 * the E-model (engine/voice/emodel.c).
 */
#ifndef ENGINE_VOICE_H
#define ENGINE_VOICE_H

#include <stdint.h>

#define VOICE_DRAIN_US 300000u /* how long echoes of a finished call are still counted */

struct worker;
struct phone;
struct inner_info;

/* Give phone p its call plan (if the scenario has voice). 0 or -ENOMEM. */
int voice_init(struct worker *w, struct phone *p);
void voice_free(struct phone *p);
/* The tunnel is up (first time or again): plan the next call from now. */
void voice_up(struct worker *w, struct phone *p, uint64_t now);
/* When the phone's voice needs it next: a call to start, a packet, a call to end. */
uint64_t voice_next(const struct phone *p);
/* Time has come: start or end a call, send the packets due. */
void voice_tick(struct worker *w, struct phone *p, uint64_t now);
/* A UDP packet from the tunnel to the phone's RTP port. */
void voice_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now);
/*
 * The run is ending: the phone hangs up (the call ends normally and is scored
 * once its last echoes had VOICE_DRAIN_US to come back) and makes no more.
 */
void voice_hangup(struct worker *w, struct phone *p, uint64_t now);
/* The tunnel went down: a call in progress is cut (counted dropped). */
void voice_cut(struct worker *w, struct phone *p, uint64_t now);
/* The phone's RTP port. */
uint16_t voice_port(const struct phone *p);

/*
 * The calls as the phone drives them (struct voice_hooks, engine/phone/phone.h):
 * the functions above; the swarm puts them in the fleet when there are calls.
 */
struct voice_hooks;
extern const struct voice_hooks voice_hooks;

#endif
