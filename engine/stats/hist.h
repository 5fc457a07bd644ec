/*
 * engine/stats/hist.h - log-linear latency histogram with HdrHistogram semantics.
 *
 * Every latency phoneswarm measures goes into one of these: values in
 * microseconds from 1 us to one hour, kept to 3 significant decimal digits.
 * The layout is HdrHistogram's for lowest = 1, highest = 3,600,000,000 and
 * 3 digits: values 0..2047 each have a slot of their own; above that, each
 * power of two [2^k, 2^(k+1)) is split into 1024 equal slots, so a slot is
 * never wider than 1/1024 of the values it holds.
 *
 * Each worker thread owns its histograms (one per metric, per interval and
 * for the run); they are merged at report time. Nothing here locks.
 * Recording never allocates, never uses floating point and is O(1).
 *
 * Memory: one histogram is a single calloc of 185,816 bytes (23,221 uint64_t
 * slots plus a 48-byte header), about 181 KiB. A set holds one per latency
 * metric (engine/stats/counters.def, M__COUNT of them): each worker thread
 * has its interval's set, the swarm and the timeline a few more, and each
 * window of [expect] one; all are allocated at start-up.
 */
#ifndef ENGINE_STATS_HIST_H
#define ENGINE_STATS_HIST_H

#include <stdint.h>

#define HIST_LOWEST_US	1ULL	      /* lowest discernible value */
#define HIST_MAX_US	3600000000ULL /* one hour; larger values are clamped */
#define HIST_SIG_DIGITS 3	      /* significant decimal digits kept */

struct hist;

/* One non-empty slot, as hist_foreach_bucket() reports it. */
struct hist_bucket {
	uint64_t lo_us; /* lowest value that lands in this slot */
	uint64_t hi_us; /* highest value that lands in this slot (inclusive) */
	uint64_t count; /* values recorded in it */
	uint32_t index; /* slot number in HdrHistogram's counts array for this
			   layout, for writing the HdrHistogram log format */
};

/*
 * Called once per non-empty slot, lowest values first. Return 0 to go on;
 * anything else stops the walk and is returned by hist_foreach_bucket().
 */
typedef int (*hist_bucket_fn)(const struct hist_bucket *b, void *arg);

/* A new empty histogram, owned by the caller; NULL if out of memory. */
struct hist *hist_new(void);

/* Frees h; NULL is allowed. */
void hist_free(struct hist *h);

/*
 * Bytes the histograms of this process hold now: what hist_new asked the
 * allocator for, summed over those not yet freed (every thread's).
 */
uint64_t hist_bytes_held(void);

/* Empties h (all counts, min, max, mean), as new. */
void hist_reset(struct hist *h);

/*
 * Records one value of us microseconds. 0 is a value like any other (the
 * lowest slot); values above HIST_MAX_US are recorded as HIST_MAX_US.
 */
void hist_record(struct hist *h, uint64_t us);

/* Records the value us, n times (n == 0 records nothing). */
void hist_record_n(struct hist *h, uint64_t us, uint64_t n);

/*
 * Records us, corrected for coordinated omission as HdrHistogram's
 * recordCorrectedValue: when us exceeds expected_interval_us (the interval
 * at which samples were due, 0 for none), the samples a stall kept from being
 * taken are also recorded, with the values us - interval, us - 2 * interval,
 * ... down to the last one >= interval (floor(us / interval) - 1 extra
 * values). Bounded in time by the number of slots, not by us / interval.
 */
void hist_record_corrected(struct hist *h, uint64_t us, uint64_t expected_interval_us);

/* Adds every count of src into dst, exactly; src is unchanged. */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * The queries below take h NULL as an empty histogram (a run cut short
 * before its histograms were gathered has none): 0, or no bucket.
 */

/* Number of values recorded. */
uint64_t hist_count(const struct hist *h);

/* Exact smallest value recorded (after clamping), 0 when empty. */
uint64_t hist_min(const struct hist *h);

/* Exact largest value recorded (after clamping), 0 when empty. */
uint64_t hist_max(const struct hist *h);

/* Exact mean of the values recorded, in us; 0.0 when empty. */
double hist_mean(const struct hist *h);

/*
 * HdrHistogram's "value at percentile", pct in 0..100 (clamped; NaN is 0):
 * the highest value of the slot where the cumulative count first reaches
 * ceil(pct / 100 * count), at least 1, but never above hist_max(); so
 * pct 100 is the exact max and every result is at most 1/1000 above the
 * exact percentile of the values recorded, never below it. 0 when empty.
 */
uint64_t hist_percentile(const struct hist *h, double pct);

/*
 * Calls fn for each non-empty slot of h in increasing order of value.
 * Returns 0, or the first non-zero value fn returned.
 */
int hist_foreach_bucket(const struct hist *h, hist_bucket_fn fn, void *arg);

/*
 * The values slot index holds (index as in struct hist_bucket), lo_us..hi_us
 * inclusive. Returns 0, or -ERANGE past the slot of HIST_MAX_US.
 */
int hist_slot_bounds(uint32_t index, uint64_t *lo_us, uint64_t *hi_us);

/*
 * For a histogram rebuilt from slot counts alone (a log keeps no more), whose
 * min, max and mean are then those of the values it was rebuilt from: sets
 * the exact min, max and mean, known from elsewhere (a report.json). min must
 * lie in the lowest non-empty slot, max in the highest, min <= mean <= max;
 * a negative mean leaves the mean as it is. Returns 0, or -EINVAL (h empty, or
 * a value out of place) changing nothing.
 */
int hist_set_exact(struct hist *h, uint64_t min_us, uint64_t max_us, double mean_us);

#endif
