/*
 * engine/phone/worker.h - the phones of one thread, and what they share.
 *
 * A worker is what the phones of one thread share: the fleet's read-only
 * state, the counters and interval histograms they record, the failure
 * records they queue for failures.csv, the trust lists they intern, and the
 * I/O operations they reach the world through (engine/phone/io.h), which
 * the thread's loop (engine/ring) provides. The worker also carries out what
 * the run asks of its phones as a whole: the timeline's commands, the run's
 * end.
 *
 * Everything here runs on the worker's thread, but for the accessors the
 * swarm uses from the main thread (worker_stats, worker_failq,
 * worker_recorder), which are safe to read there.
 */
#ifndef ENGINE_PHONE_WORKER_H
#define ENGINE_PHONE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "engine/config.h"
#include "engine/phone/failq.h"
#include "engine/proto/url.h"
#include "engine/stats/hist.h"
#include "engine/stats/recorder.h"
#include "engine/stats/stats.h"

struct phone;
struct phone_io;
struct phone_command;
struct p2p_board;
struct trust_table;
struct dtlsrec_ctx;
struct dtls_legacy;
struct voice_hooks;

/* What every worker of a run shares, read-only once it has started; the swarm owns it. */
struct fleet {
	const struct swarm_config *cfg;        /* borrowed */
	/* the headend URLs in failover order (url1 first), then headend.spread's at
	   CONFIG_MAX_URLS.. (fleet_url_slot() says which a phone uses) */
	struct url url[CONFIG_MAX_URLS + CONFIG_MAX_SPREAD];
	const char *url_text[CONFIG_MAX_URLS + CONFIG_MAX_SPREAD]; /* as written; borrowed from cfg */
	int n_urls;                            /* url1..: failover */
	int n_spread;                          /* headend.spread's */
	bool needs_dns;                        /* a URL names a host */
	struct dtls_legacy *dtls_legacy;       /* legacy DTLS client contexts; borrowed */
	SSL_CTX *dtls_psk;                     /* the PSK DTLS client context; borrowed */
	struct p2p_board *p2p;                 /* phone-to-phone calls; NULL otherwise */
	const struct voice_hooks *voice;       /* the phones' calls; NULL when there are none */
	uint64_t t0;                           /* when arrivals begin (the run's clock) */
	int no_arrivals;                       /* atomic: phones not yet due never start */
	int stop;                              /* atomic: every phone is to disconnect now */
};

/*
 * The slot of fleet->url that phone idx uses for its failover URL url_i:
 * url1 is the phone's own of headend.url and headend.spread
 * (config_spread_pick()), the failover URLs after it are everyone's.
 */
static inline int fleet_url_slot(const struct fleet *f, uint32_t idx, int url_i)
{
	int k = url_i == 0 ? config_spread_pick(idx, f->n_spread) : 0;

	return k ? CONFIG_MAX_URLS + k - 1 : url_i;
}

struct worker {
	int id;                        /* 0..threads-1 */
	const struct phone_io *io;     /* borrowed: the I/O under the phones */
	const struct fleet *fleet;     /* borrowed */
	const struct swarm_config *cfg;/* borrowed: fleet->cfg */
	struct phone *phones;          /* owned: this worker's phones */
	uint32_t n_phones;
	struct trust_table *trust;     /* owned: the distinct trust lists of its phones */
	struct dtlsrec_ctx *rec_ctx;   /* owned: the DTLS record layer's cipher contexts, made
					  at the first take-over (engine/phone/tunnel.c); NULL till then */
	struct stats st;               /* written here, read by the main thread */
	struct recorder rec;           /* this interval's latency histograms, swapped out by the
					  swarm (worker_recorder) without a lock on this side */
	struct hist_set *ival;         /* borrowed from rec: what this pass records into */
	int64_t ival_ticket;           /* the pass's ticket (recorder_enter) */
	struct failq failq;            /* failure records, popped by the main thread */
	bool stopping;                 /* the run's end: phones were told to stop */
	bool hung_up;                  /* the run's end: calls were told to hang up */
};

/* Relaxed atomic counter update: one writer (the worker), readers elsewhere. */
#define STAT_ADD(w, field, n) \
	__atomic_store_n(&(w)->st.field, (w)->st.field + (n), __ATOMIC_RELAXED)
#define STAT_SUB(w, field, n) \
	__atomic_store_n(&(w)->st.field, (w)->st.field - (n), __ATOMIC_RELAXED)
#define STAT_GET(st, field) __atomic_load_n(&(st)->field, __ATOMIC_RELAXED)

/*
 * Set up worker id of fleet f on io, with n_phones phones zeroed (each to be
 * phone_init()ed), a trust table, a failure queue and interval histograms.
 * 0 or -ENOMEM (worker_fini() cleans up either way).
 */
int worker_init(struct worker *w, int id, const struct phone_io *io, const struct fleet *f,
		uint32_t n_phones);
/* Release the phones and everything the worker holds. */
void worker_fini(struct worker *w);

/*
 * A pass of the thread's loop, in which phones may record latencies
 * (worker_record): the swarm swaps the interval histograms at any time and
 * waits only for a pass under way to end (engine/stats/recorder.h).
 */
void worker_pass_begin(struct worker *w);
void worker_pass_end(struct worker *w);

/*
 * The run's end: phones in calls hang up first (returns when to call again,
 * once the last echoes are back), then every phone disconnects or gives up
 * (returns 0). Sets stopping.
 */
uint64_t worker_stop(struct worker *w, uint64_t now);
/* Carry out a command of the timeline (engine/command.h) on the phones it selects. */
void worker_apply(struct worker *w, const struct phone_command *c, uint64_t now);
/* Phone k of the worker (0 <= k < worker_n_phones), and how many it has. */
struct phone *worker_phone(struct worker *w, uint32_t k);
uint32_t worker_n_phones(const struct worker *w);
/* For the swarm, from the main thread. */
const struct stats *worker_stats(const struct worker *w);
struct failq *worker_failq(struct worker *w);
struct recorder *worker_recorder(struct worker *w);


static inline bool fleet_stop_requested(const struct fleet *f)
{
	return __atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) != 0;
}

static inline bool fleet_arrivals_stopped(const struct fleet *f)
{
	return __atomic_load_n(&f->no_arrivals, __ATOMIC_ACQUIRE) != 0;
}

/* One latency sample of metric m, microseconds (inside a pass of the loop). */
static inline void worker_record(struct worker *w, enum metric m, uint64_t us)
{
	hist_record(w->ival->h[m], us);
}

#endif
