/*
 * engine/command.h - what the run's timeline asks of the phones.
 *
 * The timeline (loadgen/timeline.c) hands a command to the swarm
 * (swarm_command), which queues a copy on every worker and wakes it; each
 * worker carries it out on its own phones that the selection takes, so a
 * phone is only ever touched by its own thread.
 */
#ifndef ENGINE_COMMAND_H
#define ENGINE_COMMAND_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine/config.h"

/*
 * Which phones an action of the timeline applies to: those whose index lies
 * in one of the ranges (all phones when there are none) and, of those, the
 * share fraction spread evenly over the indexes (phone i is taken when
 * floor((i + 1) * fraction) > floor(i * fraction), so any run of n phones
 * holds n * fraction of them, give or take one).
 */
#define POLICY_MAX_RANGES 8
struct phone_sel {
	double fraction;                 /* 0..1; 1 = all */
	uint32_t lo[POLICY_MAX_RANGES];  /* inclusive ranges of phone indexes */
	uint32_t hi[POLICY_MAX_RANGES];
	int n_ranges;
};

enum phone_action {
	PA_RESET, /* a call manager's reset: log out if up, restart, connect afresh */
	PA_FETCH, /* fetch the config file through the tunnel (TFTP) */
	PA_TRUST, /* replace the trusted certificate hashes (next TLS handshake on) */
	PA_CUT,   /* the phone's path loses packets (all of them: cut) for a while */
	PA_DNS,   /* switch the DNS servers (every phone of the worker) */
};

struct phone_command {
	enum phone_action action;
	struct phone_sel sel;    /* which phones */
	uint64_t spread_us;      /* PA_RESET: spread over this time, not all at once */
	bool fetch;              /* PA_RESET: fetch the config once the tunnel is back */
	uint64_t duration_us;    /* PA_CUT: how long */
	double loss;             /* PA_CUT: share of datagrams lost; 1 = cut */
	uint8_t hashes[CONFIG_MAX_HASHES][20]; /* PA_TRUST */
	int n_hashes;
	struct in_addr dns[CONFIG_MAX_DNS];    /* PA_DNS */
	int n_dns;
};

#endif
