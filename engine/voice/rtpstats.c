/*
 * engine/voice/rtpstats.c - receiver statistics of one RTP stream (rtpstats.h).
 */
#include "engine/voice/rtpstats.h"

#include <math.h>
#include <string.h>

#define RTP_SEQ_MOD  (1 << 16)
#define MAX_DROPOUT  3000 /* RFC 3550 A.1 */
#define MAX_MISORDER 100  /* RFC 3550 A.1 */
#define NO_BAD_SEQ   (RTP_SEQ_MOD + 1)

void rtpstats_init(struct rtpstats *s, uint32_t clock_hz, uint64_t jitter_buffer_us)
{
	memset(s, 0, sizeof(*s));
	s->clock_hz = clock_hz;
	s->jitter_buffer_us = jitter_buffer_us;
	s->bad_seq = NO_BAD_SEQ;
}

/* ==== Duplicate window ==== */

static bool seen(const struct rtpstats *s, int64_t ext)
{
	uint64_t i = (uint64_t)ext % RTPSTATS_WINDOW;

	return s->window[i / 64] >> (i % 64) & 1;
}

static void mark(struct rtpstats *s, int64_t ext)
{
	uint64_t i = (uint64_t)ext % RTPSTATS_WINDOW;

	s->window[i / 64] |= 1ull << (i % 64);
}

/* Move the highest sequence number up to ext, forgetting what slides out. */
static void advance(struct rtpstats *s, int64_t ext)
{
	if (ext - s->ext_max >= RTPSTATS_WINDOW) {
		memset(s->window, 0, sizeof(s->window));
	} else {
		for (int64_t e = s->ext_max + 1; e <= ext; e++) {
			uint64_t i = (uint64_t)e % RTPSTATS_WINDOW;
			s->window[i / 64] &= ~(1ull << (i % 64));
		}
	}
	s->ext_max = ext;
}

/* ==== Sequence: RFC 3550 A.1 update_seq ==== */

/*
 * The extended sequence number of seq; *ok false if the packet is to be
 * ignored instead (a large jump not yet confirmed). A restart (the packet
 * after a large jump follows it) counts the held packet, starts a new
 * base at it and drops the playout anchor.
 */
static int64_t extend(struct rtpstats *s, uint16_t seq, bool *ok)
{
	uint16_t max_seq = (uint16_t)s->ext_max;
	uint16_t udelta = (uint16_t)(seq - max_seq);

	*ok = true;
	if (udelta < MAX_DROPOUT) {
		if (udelta)
			advance(s, s->ext_max + udelta);
		return s->ext_max;
	}
	if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		if (seq != s->bad_seq) {
			s->bad_seq = (uint16_t)(seq + 1);
			s->stray++;
			*ok = false;
			return -1;
		}
		/* two sequential packets: the sender restarted */
		int64_t ext = (s->ext_max | 0xffff) + 1 + seq;

		s->expected_prior += (uint64_t)(s->ext_max - s->base + 1);
		memset(s->window, 0, sizeof(s->window));
		s->ext_max = ext;
		s->base = ext - 1;
		mark(s, ext - 1);
		s->received++;
		s->stray--;
		s->restarts++;
		s->bad_seq = NO_BAD_SEQ;
		s->timed = false;
		return ext;
	}
	return s->ext_max - (uint16_t)(max_seq - seq); /* reordered or duplicate */
}

/* ==== Timing ==== */

/*
 * Jitter (RFC 3550 6.4.1, A.8) from the previous packet counted, the late
 * check against the playout time, and the one-way delay.
 */
static void timing(struct rtpstats *s, uint32_t rtp_ts, uint64_t arrival_us, uint64_t sent_us)
{
	int64_t ts_off = 0;

	if (!s->timed) {
		s->timed = true;
		s->first_arrival_us = arrival_us;
	} else {
		int32_t dts = (int32_t)(rtp_ts - s->last_ts);
		double darr =
		    (double)(int64_t)(arrival_us - s->last_arrival_us) * s->clock_hz / 1e6;
		double d = darr - dts;

		ts_off = s->last_ts_off + dts;
		s->jitter += (fabs(d) - s->jitter) / 16;
	}
	s->last_ts = rtp_ts;
	s->last_ts_off = ts_off;
	s->last_arrival_us = arrival_us;

	int64_t media_us = ts_off * 1000000 / (int64_t)s->clock_hz;
	int64_t since_first = (int64_t)(arrival_us - s->first_arrival_us);
	if (since_first > media_us + (int64_t)s->jitter_buffer_us)
		s->late++;

	if (sent_us) {
		int64_t d = (int64_t)(arrival_us - sent_us);

		if (!s->delay_count || d < s->delay_min_us)
			s->delay_min_us = d;
		if (!s->delay_count || d > s->delay_max_us)
			s->delay_max_us = d;
		s->delay_sum_us += d;
		s->delay_count++;
	}
}

void rtpstats_packet(struct rtpstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us,
		     uint64_t sent_us)
{
	int64_t ext;
	bool ok;

	if (!s->started) {
		s->started = true;
		s->ext_max = s->base = seq;
		ext = seq;
	} else {
		ext = extend(s, seq, &ok);
		if (!ok)
			return;
	}
	s->received++;
	if (seen(s, ext)) {
		s->duplicates++;
		return;
	}
	if (ext < s->ext_max)
		s->reordered++;
	mark(s, ext);
	timing(s, rtp_ts, arrival_us, sent_us);
}

/* ==== Figures ==== */

uint64_t rtpstats_expected(const struct rtpstats *s)
{
	if (!s->started)
		return 0;
	return s->expected_prior + (uint64_t)(s->ext_max - s->base + 1);
}

int64_t rtpstats_lost_rfc(const struct rtpstats *s)
{
	return (int64_t)rtpstats_expected(s) - (int64_t)s->received;
}

uint64_t rtpstats_lost(const struct rtpstats *s)
{
	int64_t lost = rtpstats_lost_rfc(s) + (int64_t)s->duplicates;

	return lost > 0 ? (uint64_t)lost : 0;
}

double rtpstats_loss_percent(const struct rtpstats *s)
{
	uint64_t expected = rtpstats_expected(s);

	return expected ? 100.0 * (double)rtpstats_lost(s) / (double)expected : 0;
}

double rtpstats_jitter_us(const struct rtpstats *s)
{
	return s->jitter * 1e6 / s->clock_hz;
}

double rtpstats_delay_mean_us(const struct rtpstats *s)
{
	return s->delay_count ? (double)s->delay_sum_us / (double)s->delay_count : 0;
}
