/*
 * engine/voice/rtpstats.h - what the receiver of one RTP stream measures.
 *
 * Fed one packet at a time as they arrive, a struct rtpstats keeps the
 * figures RFC 3550 defines for a receiver report (expected, lost,
 * interarrival jitter) and those a voice call is judged by: duplicates,
 * reordering, packets too late for a fixed jitter buffer, and one-way
 * delay when the packet says when it was sent.
 *
 * Sequence numbers are extended past their 16-bit wrap by RFC 3550
 * appendix A.1 (a jump of up to MAX_DROPOUT 3000 ahead is loss, up to
 * MAX_MISORDER 100 behind is a late or duplicate packet, anything else is
 * held until the next packet confirms the sender restarted), except that
 * the first packet is trusted without probation and a restart keeps the
 * counts so far instead of zeroing them.
 *
 * Embedded in its owner (312 bytes); rtpstats_packet() neither
 * allocates nor fails. Not thread-safe: one receiver, one thread.
 */
#ifndef REPORT_RTPSTATS_H
#define REPORT_RTPSTATS_H

#include <stdbool.h>
#include <stdint.h>

#define RTPSTATS_WINDOW 1024 /* sequence numbers remembered to tell duplicates, packets */

struct rtpstats {
	/* set by rtpstats_init() */
	uint32_t clock_hz;	   /* RTP timestamp units per second, > 0 */
	uint64_t jitter_buffer_us; /* playout delay the late count assumes, microseconds */

	/* sequence state, RFC 3550 A.1 */
	bool started;		 /* a packet has been counted */
	int64_t ext_max;	 /* highest extended sequence number seen */
	int64_t base;		 /* extended sequence number of the first packet */
	uint32_t bad_seq;	 /* seq that would confirm a restart; > 0xffff: none */
	uint64_t expected_prior; /* packets expected before the last restart */
	uint64_t window[RTPSTATS_WINDOW / 64]; /* bit ext % 1024: ext received */

	/* counts, packets */
	uint64_t received;   /* counted by A.1: duplicates and reordered included */
	uint64_t duplicates; /* a sequence number received again */
	uint64_t reordered;  /* older than the highest seen, not a duplicate */
	uint64_t late;	     /* arrived after its playout time (not duplicates) */
	uint64_t stray;	     /* far off the sequence and not confirmed: ignored */
	uint64_t restarts;   /* the sender's sequence jumped and was followed */

	/* timing of the packets counted, duplicates left out */
	bool timed;		   /* first_arrival_us is set */
	uint64_t first_arrival_us; /* the playout anchor, microseconds */
	uint64_t last_arrival_us;  /* previous packet's arrival, microseconds */
	uint32_t last_ts;	   /* previous packet's RTP timestamp */
	int64_t last_ts_off;	   /* its offset from the first's, RTP timestamp units */
	double jitter;		   /* RFC 3550 J, RTP timestamp units */

	/* one-way delay, arrival - sent, of packets given a sent time */
	uint64_t delay_count; /* packets */
	int64_t delay_sum_us; /* microseconds */
	int64_t delay_min_us; /* microseconds */
	int64_t delay_max_us; /* microseconds */
};

/*
 * Start a stream whose RTP clock runs at clock_hz (timestamp units per
 * second, > 0) and whose receiver would play each packet jitter_buffer_us
 * after the first packet's arrival plus its media offset from that first.
 */
void rtpstats_init(struct rtpstats *s, uint32_t clock_hz, uint64_t jitter_buffer_us);

/*
 * Count one arriving packet: seq and rtp_ts from its RTP header,
 * arrival_us the receiver's clock, sent_us the sender's clock at send
 * (the probe's sent_us) or 0 if unknown. Arrival times must not go
 * backwards. The two clocks must share an epoch for the delay to mean
 * anything (both clock_us() on one host, or a reflected packet whose
 * sent_us is the phone's own); a negative delay is kept as it is.
 */
void rtpstats_packet(struct rtpstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us,
		     uint64_t sent_us);

/* Packets expected: extended highest seq - first + 1, across restarts. */
uint64_t rtpstats_expected(const struct rtpstats *s);
/* RFC 3550's cumulative lost, expected - received: negative with duplicates. */
int64_t rtpstats_lost_rfc(const struct rtpstats *s);
/* Packets lost: expected - distinct packets received, at least 0. */
uint64_t rtpstats_lost(const struct rtpstats *s);
/* rtpstats_lost() as a percentage of expected; 0 if nothing expected. */
double rtpstats_loss_percent(const struct rtpstats *s);
/* Interarrival jitter J in microseconds (s->jitter is in timestamp units). */
double rtpstats_jitter_us(const struct rtpstats *s);
/* Mean one-way delay, microseconds; 0 if no packet had a sent time. */
double rtpstats_delay_mean_us(const struct rtpstats *s);

#endif
