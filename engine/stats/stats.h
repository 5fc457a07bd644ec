/*
 * engine/stats/stats.h - what a worker counts, and the latency metrics.
 *
 * Each worker owns one struct stats and writes it alone; the main thread
 * reads the counters with relaxed atomic loads for the progress line, and
 * merges the histograms once the workers are done. Counters are 64-bit and
 * never wrap.
 */
#ifndef ENGINE_STATS_H
#define ENGINE_STATS_H

#include <stdint.h>

#include "engine/phone/reason.h"

enum metric {
	M_TCP_CONNECT,    /* SYN to connected */
	M_TLS_HANDSHAKE,  /* ClientHello to Finished, certificate check included */
	M_AUTH,           /* XML authentication: first POST to the session cookie */
	M_CSTP_CONNECT,   /* CONNECT to "200 CONNECTED" */
	M_DTLS_HANDSHAKE, /* first DTLS datagram to handshake done */
	M_TIME_TO_TUNNEL, /* from when the phone was due to arrive to tunnel up */
	M_DPD_RTT,        /* DPD request to its response, either channel */
	M_PING_RTT,       /* ICMP echo through the tunnel to the assigned DNS server */
	M_RECONNECT,      /* from losing the tunnel to having it back */
	M_RTP_RTT,        /* RTP packet to the reflector and back */
	M_RTP_JITTER_DOWN, /* per call: RFC 3550 interarrival jitter, reflector -> phone */
	M_RTP_JITTER_UP,  /* per call: the same, phone -> reflector */
	M_RTP_SEND_LATE,  /* how late each RTP packet left against its schedule */
	M_TFTP_FETCH,     /* TFTP read request to the config file's last block */
	M__COUNT
};

const char *metric_name(enum metric m);

struct stats {
	uint64_t attempted;      /* phones that began connecting */
	uint64_t tunnels_up;     /* tunnels that came up (a phone counts once per tunnel) */
	uint64_t dtls_up;        /* DTLS sessions that came up */
	uint64_t up_now;         /* tunnels up at this moment */
	uint64_t dtls_now;       /* DTLS sessions up at this moment */
	uint64_t failed;         /* phones down for good now (a reset brings one back) */
	uint64_t failures[R__COUNT];
	uint64_t disconnected;   /* tunnels closed by us at the end of the run */
	uint64_t aborted;        /* phones still connecting when the run ended */
	uint64_t failovers;      /* bring-ups moved on to the next URL */
	uint64_t tunnels_dropped;    /* tunnels lost while up (not our logout) */
	uint64_t reconnects;         /* tunnels brought back after a drop */
	uint64_t reconnect_failures; /* reconnection attempts that failed */
	uint64_t dtls_retries;       /* DTLS handshakes tried again after a failure */
	uint64_t redirects;          /* headend redirects followed (engine/proto/redirect.h) */
	uint64_t rekeys;             /* tunnels rekeyed as the headend asked (X-*-Rekey-*) */
	uint64_t rtp_sent, rtp_received;   /* RTP packets sent, and echoes received (distinct) */
	uint64_t rtp_up_lost, rtp_down_lost; /* lost phone -> reflector, reflector -> phone */
	uint64_t rtp_up_expected, rtp_down_expected; /* sent each way (what the loss is a share of) */
	uint64_t rtp_duplicates, rtp_reordered, rtp_late; /* as received by the phones */
	uint64_t rtp_skipped;        /* due but never sent (the loop fell far behind) */
	uint64_t rtp_stray;          /* received, not of a call of this phone */
	uint64_t calls_completed, calls_dropped;
	uint64_t mos_milli_sum, mos_calls; /* sum of per-call MOS x 1000, calls scored */
	uint64_t mos_worst_milli;    /* 5000 - the lowest MOS x 1000 (so that 0 means none) */
	uint64_t cstp_rx_bytes, cstp_tx_bytes; /* TLS payload bytes (CSTP frames) */
	uint64_t dtls_rx_bytes, dtls_tx_bytes; /* DTLS plaintext bytes */
	uint64_t dpd_sent, dpd_answered, keepalives_sent;
	uint64_t data_tx_packets, data_rx_packets; /* IP packets through the tunnel */
	uint64_t data_rx_bad;                      /* received packets that failed checks */
	uint64_t data_tx_dropped;                  /* lost to the phone's full send queue */
	uint64_t failed_by[R__COUNT]; /* phones down for good now, by the reason they failed for */
	uint64_t resets;             /* phones reset by the timeline (action = reset) */
	uint64_t config_fetched;     /* SEP<MAC>.cnf.xml fetched (TFTP) and taken */
	uint64_t config_failed;      /* fetches that failed: no answer, TFTP error, bad file */
	uint64_t config_bytes;       /* bytes of the config files taken */
	uint64_t config_unfinished;  /* fetches still under way when the run ended */
};

#endif
