/*
 * engine/voice/p2p.c - the board two ends of a phone-to-phone call share (p2p.h).
 *
 * Each phone's "where" is one 64-bit word (address, milliseconds since the
 * board began + 1; 0 = down), so a reader never sees half of an update.
 * A finished call is published as fields of the phone's half, then claimed
 * on its pair's word (call number, ends finished) with a compare-and-swap:
 * the end that moves it from 1 to 2 finished second, and the release and
 * acquire of that exchange make the first end's half visible to it.
 */
#include "engine/voice/p2p.h"

#include <stdlib.h>

struct half_slot {
	uint64_t call, sent, received, late, delay_us, cut_us; /* as in struct p2p_half */
};

struct p2p_board {
	uint32_t count;
	uint64_t base_us;        /* the board's clock starts here */
	uint64_t *where;         /* owned, per phone: address << 32 | ms + 1; 0 = down */
	struct half_slot *half;  /* owned, per phone: its last finished call */
	uint64_t *claim;         /* owned, per pair: call << 32 | ends finished */
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

uint32_t p2p_peer(uint32_t idx, uint32_t count)
{
	uint32_t peer = idx ^ 1u;

	return peer < count ? peer : P2P_NONE;
}

bool p2p_is_caller(uint32_t idx)
{
	return (idx & 1u) == 0;
}

struct p2p_board *p2p_board_new(uint32_t count, uint64_t now_us)
{
	struct p2p_board *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->count = count;
	b->base_us = now_us;
	b->where = calloc(count ? count : 1, sizeof(*b->where));
	b->half = calloc(count ? count : 1, sizeof(*b->half));
	b->claim = calloc(count / 2 + 1, sizeof(*b->claim));
	if (!b->where || !b->half || !b->claim) {
		p2p_board_free(b);
		return NULL;
	}
	return b;
}

void p2p_board_free(struct p2p_board *b)
{
	if (!b)
		return;
	free(b->where);
	free(b->half);
	free(b->claim);
	free(b);
}

static uint32_t board_ms(const struct p2p_board *b, uint64_t us)
{
	return us > b->base_us ? (uint32_t)((us - b->base_us) / 1000u) : 0;
}

void p2p_set_up(struct p2p_board *b, uint32_t idx, struct in_addr addr, uint64_t up_us)
{
	uint64_t w = (uint64_t)ntohl(addr.s_addr) << 32 | ((uint64_t)board_ms(b, up_us) + 1u);

	__atomic_store_n(&b->where[idx], w, __ATOMIC_RELEASE);
}

void p2p_set_down(struct p2p_board *b, uint32_t idx)
{
	__atomic_store_n(&b->where[idx], 0, __ATOMIC_RELEASE);
}

bool p2p_where(const struct p2p_board *b, uint32_t idx, struct in_addr *addr, uint64_t *up_us)
{
	uint64_t w = __atomic_load_n(&b->where[idx], __ATOMIC_ACQUIRE);

	if (!w)
		return false;
	addr->s_addr = htonl((uint32_t)(w >> 32));
	*up_us = b->base_us + ((w & 0xffffffffu) - 1u) * 1000u;
	return true;
}

uint32_t p2p_call_id(const struct p2p_board *b, uint64_t start_us)
{
	return board_ms(b, start_us) + 1u;
}

bool p2p_finish(struct p2p_board *b, uint32_t idx, const struct p2p_half *mine,
		struct p2p_half *peer)
{
	struct half_slot *h = &b->half[idx];
	uint64_t *claim = &b->claim[idx / 2];
	uint32_t other = p2p_peer(idx, b->count);
	uint64_t old, want;

	STORE(&h->call, mine->call);
	STORE(&h->sent, mine->sent);
	STORE(&h->received, mine->received);
	STORE(&h->late, mine->late);
	STORE(&h->delay_us, (uint64_t)mine->delay_us);
	STORE(&h->cut_us, mine->cut_us);
	if (other == P2P_NONE)
		return false;
	old = __atomic_load_n(claim, __ATOMIC_ACQUIRE);
	for (;;) {
		bool second = (old >> 32) == mine->call && (old & 0xffffffffu) == 1;

		want = (uint64_t)mine->call << 32 | (second ? 2u : 1u);
		if ((old >> 32) == mine->call && !second)
			return false; /* already scored: not expected, but never twice */
		if (__atomic_compare_exchange_n(claim, &old, want, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			if (!second)
				return false;
			break;
		}
	}
	const struct half_slot *o = &b->half[other];

	peer->call = (uint32_t)LOAD(&o->call);
	peer->sent = LOAD(&o->sent);
	peer->received = LOAD(&o->received);
	peer->late = LOAD(&o->late);
	peer->delay_us = (int64_t)LOAD(&o->delay_us);
	peer->cut_us = LOAD(&o->cut_us);
	/* the peer may, in theory, have finished its next call meanwhile: then it is not ours */
	return peer->call == mine->call;
}
