/*
 * engine/voice/p2p.h - phone-to-phone calls: who calls whom, and the little the
 * two ends of a call share across worker threads.
 *
 * Phone 2k calls phone 2k+1 (the caller and the callee); with an odd count
 * the last phone has nobody to call. Both ends follow the same call plan
 * (engine/voice/calls.c seeded by the pair), so they agree on when each call is
 * without talking. What neither can know alone is on a board, each entry
 * written only by its phone's own worker thread:
 *  - where a phone is: its tunnel address and since when it has been up,
 *    so the peer knows where to send and both ends agree from when the call
 *    can be heard (the later of the call's start and the two up times);
 *  - how a finished call went at that end: what it sent, what it received
 *    of the peer's, how late, so that whichever end finishes second scores
 *    the call, both directions at once, exactly once.
 * Times are clock_us() microseconds; the board keeps them to the
 * millisecond, so both ends read the same rounded values.
 */
#ifndef ENGINE_P2P_H
#define ENGINE_P2P_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define P2P_NONE UINT32_MAX

/* One end's account of one call. */
struct p2p_half {
	uint32_t call;     /* the call's number (p2p_call_id), nonzero */
	uint64_t sent;     /* packets this end sent in the call */
	uint64_t received; /* distinct packets of the peer's this end received */
	uint64_t late;     /* of those, too late for its jitter buffer */
	int64_t delay_us;  /* their mean one-way delay, microseconds */
	uint64_t cut_us;   /* when this end's tunnel went down during the call; 0: it did not */
};

struct p2p_board; /* opaque */

/* The phone that phone idx of count calls or is called by; P2P_NONE if none. */
uint32_t p2p_peer(uint32_t idx, uint32_t count);
/* Does phone idx place the pair's calls (the even one)? */
bool p2p_is_caller(uint32_t idx);

/* A board for count phones, its clock starting at now_us. NULL if out of memory. */
struct p2p_board *p2p_board_new(uint32_t count, uint64_t now_us);
void p2p_board_free(struct p2p_board *b);

/* Phone idx's tunnel came up at up_us with address addr. */
void p2p_set_up(struct p2p_board *b, uint32_t idx, struct in_addr addr, uint64_t up_us);
/* Phone idx's tunnel is down. */
void p2p_set_down(struct p2p_board *b, uint32_t idx);
/* Is phone idx up? If so *addr and *up_us (as the board keeps it) are set. */
bool p2p_where(const struct p2p_board *b, uint32_t idx, struct in_addr *addr, uint64_t *up_us);

/* The number of the call that starts at start_us, as both ends name it (nonzero). */
uint32_t p2p_call_id(const struct p2p_board *b, uint64_t start_us);
/*
 * Phone idx has finished its end of a call (mine->call): publish it. True
 * if the peer had already finished its end of the same call: *peer is its
 * account and this end scores the call. False if this end is the first
 * (the peer will score) or the only one (the peer never was in the call).
 */
bool p2p_finish(struct p2p_board *b, uint32_t idx, const struct p2p_half *mine,
		struct p2p_half *peer);

#endif
