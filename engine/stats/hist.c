/*
 * engine/stats/hist.c - log-linear latency histogram with HdrHistogram semantics.
 *
 * A value v goes to a slot found from its highest set bit alone: values
 * below 2048 are their own slot; otherwise, with k = floor(log2 v) - 10, the
 * slot holds the 2^k values sharing v >> k. Slot numbers follow HdrHistogram's
 * counts array for lowest = 1, three digits (sub-bucket count 2048, the lower
 * half of every bucket but the first left out), so a log writer can emit the
 * counts as they are. The array stops at the slot of HIST_MAX_US.
 *
 * Besides the counts we keep the exact count, sum, min and max: min, max and
 * mean are then exact, and percentiles can be capped at the true max.
 */
#include "engine/stats/hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB_HALF_MAG 10				  /* log2 of half the sub-buckets */
#define SUB_HALF     (1U << SUB_HALF_MAG)	  /* 1024 */
#define SUB_MASK     ((2ULL << SUB_HALF_MAG) - 1) /* 2047: values below are exact */
#define NSLOTS	     23221U			  /* slot_of(HIST_MAX_US) + 1 */

struct hist {
	unsigned __int128 sum; /* sum of the values, us; cannot wrap in practice */
	uint64_t count;	       /* values recorded */
	uint64_t min;	       /* smallest value, us; UINT64_MAX when empty */
	uint64_t max;	       /* largest value, us; 0 when empty */
	uint64_t counts[];     /* NSLOTS counts, indexed by slot_of() */
};

/* ==== Slots ==== */

static inline unsigned slot_of(uint64_t v)
{
	unsigned k = 64 - __builtin_clzll(v | SUB_MASK) - (SUB_HALF_MAG + 1);

	return (k << SUB_HALF_MAG) + (unsigned)(v >> k);
}

/* log2 of the width of slot s: its values share all bits above this many. */
static inline unsigned slot_shift(unsigned s)
{
	return s < 2 * SUB_HALF ? 0 : (s >> SUB_HALF_MAG) - 1;
}

static inline uint64_t slot_lo(unsigned s)
{
	unsigned k = slot_shift(s);

	if (k == 0)
		return s;
	return (uint64_t)((s & (SUB_HALF - 1)) + SUB_HALF) << k;
}

static inline uint64_t slot_hi(unsigned s)
{
	return slot_lo(s) + (1ULL << slot_shift(s)) - 1;
}

/* ==== Life cycle ==== */

#define HIST_BYTES (sizeof(struct hist) + NSLOTS * sizeof(uint64_t))

static uint64_t bytes_held; /* every live histogram's HIST_BYTES, all threads (atomic) */

struct hist *hist_new(void)
{
	struct hist *h;

	h = calloc(1, HIST_BYTES);
	if (!h)
		return NULL;
	h->min = UINT64_MAX;
	__atomic_add_fetch(&bytes_held, HIST_BYTES, __ATOMIC_RELAXED);
	return h;
}

void hist_free(struct hist *h)
{
	if (!h)
		return;
	__atomic_sub_fetch(&bytes_held, HIST_BYTES, __ATOMIC_RELAXED);
	free(h);
}

uint64_t hist_bytes_held(void)
{
	return __atomic_load_n(&bytes_held, __ATOMIC_RELAXED);
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, NSLOTS * sizeof(h->counts[0]));
	h->sum = 0;
	h->count = 0;
	h->min = UINT64_MAX;
	h->max = 0;
}

/* ==== Recording ==== */

static inline void record(struct hist *h, uint64_t us, uint64_t n)
{
	if (us > HIST_MAX_US)
		us = HIST_MAX_US;
	h->counts[slot_of(us)] += n;
	h->count += n;
	h->sum += (unsigned __int128)us * n;
	if (us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
}

void hist_record(struct hist *h, uint64_t us)
{
	record(h, us, 1);
}

void hist_record_n(struct hist *h, uint64_t us, uint64_t n)
{
	if (n)
		record(h, us, n);
}

/*
 * The missing values form the arithmetic sequence us - iv, us - 2 iv, ...
 * down to the last one >= iv. Rather than one record per value (3.6e9 of
 * them for a one-hour stall at 1 us), count how many fall in each slot,
 * largest first, so the work is at most one step per slot.
 */
void hist_record_corrected(struct hist *h, uint64_t us, uint64_t expected_interval_us)
{
	uint64_t iv = expected_interval_us;
	uint64_t x, lo, n;
	unsigned s;

	if (us > HIST_MAX_US)
		us = HIST_MAX_US;
	record(h, us, 1);
	if (iv == 0 || us <= iv)
		return;

	for (x = us - iv; x >= iv; x -= n * iv) {
		/*
		 * n never counts a value below iv: a slot holding both iv
		 * and x >= iv is narrower than iv, so there n is 1.
		 */
		s = slot_of(x);
		lo = slot_lo(s);
		n = (x - lo) / iv + 1;
		h->counts[s] += n;
		h->count += n;
		h->sum += (unsigned __int128)n * x - (unsigned __int128)iv * n * (n - 1) / 2;
	}
	if (x + iv < h->min)
		h->min = x + iv;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;

	for (i = 0; i < NSLOTS; i++)
		dst->counts[i] += src->counts[i];
	dst->sum += src->sum;
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* ==== Queries ==== */

uint64_t hist_count(const struct hist *h)
{
	return h ? h->count : 0;
}

uint64_t hist_min(const struct hist *h)
{
	return h && h->count ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h ? h->max : 0;
}

double hist_mean(const struct hist *h)
{
	return h && h->count ? (double)h->sum / (double)h->count : 0.0;
}

/*
 * Rank (1-based) of the value at percentile pct among count values:
 * ceil(pct / 100 * count), at least 1. A product that is an integer but for
 * rounding (99.9 % of 1000 computing as 999.0000000000001) counts as that
 * integer, so the rank is the one exact decimal arithmetic gives.
 */
static uint64_t rank_of(double pct, uint64_t count)
{
	double x, k;

	if (!(pct > 0.0))
		pct = 0.0;
	if (pct > 100.0)
		pct = 100.0;
	x = pct * (double)count / 100.0;
	k = floor(x + 0.5);
	if (fabs(x - k) > k * 1e-12)
		k = ceil(x);
	if (k < 1.0)
		return 1;
	if (k >= (double)count)
		return count;
	return (uint64_t)k;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0, hi;
	unsigned s;

	if (!h || h->count == 0)
		return 0;
	rank = rank_of(pct, h->count);
	for (s = 0; s < NSLOTS - 1; s++) {
		seen += h->counts[s];
		if (seen >= rank)
			break;
	}
	hi = slot_hi(s);
	return hi < h->max ? hi : h->max;
}

int hist_foreach_bucket(const struct hist *h, hist_bucket_fn fn, void *arg)
{
	struct hist_bucket b;
	unsigned s;
	int ret;

	for (s = 0; h && s < NSLOTS; s++) {
		if (!h->counts[s])
			continue;
		b.lo_us = slot_lo(s);
		b.hi_us = slot_hi(s);
		b.count = h->counts[s];
		b.index = s;
		ret = fn(&b, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int hist_slot_bounds(uint32_t index, uint64_t *lo_us, uint64_t *hi_us)
{
	if (index >= NSLOTS)
		return -ERANGE;
	*lo_us = slot_lo(index);
	*hi_us = slot_hi(index);
	return 0;
}

int hist_set_exact(struct hist *h, uint64_t min_us, uint64_t max_us, double mean_us)
{
	if (!h->count || min_us > max_us || max_us > HIST_MAX_US)
		return -EINVAL;
	if (slot_of(min_us) != slot_of(h->min) || slot_of(max_us) != slot_of(h->max))
		return -EINVAL;
	if (mean_us >= 0 && (mean_us < (double)min_us || mean_us > (double)max_us))
		return -EINVAL;
	h->min = min_us;
	h->max = max_us;
	if (mean_us >= 0)
		h->sum = (unsigned __int128)(mean_us * (double)h->count + 0.5);
	return 0;
}
