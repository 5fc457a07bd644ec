/*
 * engine/phone/policy.c - pure timing policies (policy.h).
 */
#include "engine/phone/policy.h"

#include <math.h>

uint64_t policy_arrival_us(uint64_t t0_us, uint64_t i, double rate_per_s)
{
	return t0_us + (uint64_t)llround((double)i * 1e6 / rate_per_s);
}

uint64_t policy_ramp_arrival_us(uint64_t t0_us, uint64_t i, const struct ramp_spec *r)
{
	double t, T, r0 = r->rate, r1 = r->rate_max, n_T, a;

	switch (r->mode) {
	case RAMP_LINEAR:
		/* arrivals by time t <= T: r0 t + (r1 - r0) t^2 / 2T; after T, at r1 */
		T = (double)r->ramp_us / 1e6;
		if (T <= 0 || r1 <= r0)
			break;
		n_T = (r0 + r1) * T / 2;
		if ((double)i <= n_T) {
			a = (r1 - r0) / (2 * T);
			t = (-r0 + sqrt(r0 * r0 + 4 * a * (double)i)) / (2 * a);
		} else {
			t = T + ((double)i - n_T) / r1;
		}
		return t0_us + (uint64_t)llround(t * 1e6);
	case RAMP_STEP:
		if (!r->step)
			break;
		t = (double)(i / r->step) * ((double)r->step / r0 + (double)r->hold_us / 1e6) +
		    (double)(i % r->step) / r0;
		return t0_us + (uint64_t)llround(t * 1e6);
	case RAMP_CONSTANT:
		break;
	}
	return policy_arrival_us(t0_us, i, r0);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

enum live_action policy_liveness(const struct liveness *l, uint64_t now_us, uint64_t *next_us)
{
	uint64_t next = UINT64_MAX;
	enum live_action act = LIVE_NONE;

	if (l->dpd_s) {
		uint64_t dpd = (uint64_t)l->dpd_s * 1000000u;
		uint64_t dead_at = l->last_rx_us + 2 * dpd;
		uint64_t dpd_at = l->last_rx_us + dpd;

		/* an unanswered DPD is repeated every dpd/2 */
		if (l->dpd_sent_us > l->last_rx_us && l->dpd_sent_us + dpd / 2 > dpd_at)
			dpd_at = l->dpd_sent_us + dpd / 2;
		if (now_us >= dead_at) {
			*next_us = UINT64_MAX;
			return LIVE_DEAD;
		}
		if (now_us >= dpd_at) {
			act = LIVE_DPD;
			dpd_at = now_us + dpd / 2; /* once sent, next look */
		}
		next = min_u64(dead_at, dpd_at);
	}
	if (l->keepalive_s) {
		uint64_t ka_at = l->last_tx_us + (uint64_t)l->keepalive_s * 1000000u;

		if (now_us >= ka_at && act == LIVE_NONE)
			act = LIVE_KEEPALIVE;
		/* the packet we send now (keepalive or DPD) moves last_tx */
		if (act != LIVE_NONE)
			ka_at = now_us + (uint64_t)l->keepalive_s * 1000000u;
		next = min_u64(next, ka_at);
	}
	*next_us = next;
	return act;
}

uint64_t policy_backoff_us(unsigned attempt, uint64_t step_us)
{
	unsigned k = attempt < 9 ? attempt + 1 : 10;

	return (uint64_t)k * step_us;
}

enum rekey_action policy_rekey(enum rekey_action method, uint32_t rekey_s, uint64_t since_us,
			       uint64_t now_us, uint64_t *next_us)
{
	uint64_t due = since_us + (uint64_t)rekey_s * 1000000u;

	if (method == REKEY_NONE || rekey_s == 0) {
		*next_us = UINT64_MAX;
		return REKEY_NONE;
	}
	*next_us = due;
	return now_us >= due ? method : REKEY_NONE;
}

bool policy_idle_end(uint32_t idle_s, uint64_t last_data_us, uint64_t end_us)
{
	uint64_t idle_us = (uint64_t)idle_s * 1000000u;

	if (idle_s == 0 || end_us < last_data_us)
		return false;
	return end_us - last_data_us + 1000000u >= idle_us;
}

bool policy_reconnect(enum reconnect_policy p, bool by_headend)
{
	switch (p) {
	case RECONNECT_ALWAYS:
		return true;
	case RECONNECT_ON_DROP:
		return !by_headend;
	default:
		return false;
	}
}

bool policy_selected(const struct phone_sel *s, uint32_t idx)
{
	bool in = s->n_ranges == 0;

	for (int r = 0; r < s->n_ranges && !in; r++)
		in = idx >= s->lo[r] && idx <= s->hi[r];
	if (!in || s->fraction >= 1.0)
		return in;
	return floor((double)(idx + 1) * s->fraction) > floor((double)idx * s->fraction);
}

uint64_t policy_spread_us(uint32_t idx, uint64_t spread_us)
{
	double x = (double)idx * 0.6180339887498949;

	return (uint64_t)((x - floor(x)) * (double)spread_us);
}
