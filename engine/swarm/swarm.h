/*
 * engine/swarm/swarm.h - a fleet of phones across worker threads.
 *
 * The swarm holds what workers share read-only (configuration, the CA that
 * mints identities, one SSL_CTX per phone model, the DTLS contexts), starts
 * one worker thread per core, gives each its shard of phones, and sums
 * their counters for the progress line and their histograms for the report.
 */
#ifndef ENGINE_SWARM_H
#define ENGINE_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "engine/stats/stats.h"

struct swarm; /* opaque */
struct swarm_config;
struct url;
struct hist;
struct model;
struct p2p_board;

/*
 * Check and prepare a run of cfg (borrowed for the swarm's life, its CAs
 * read by config_load_cas()). NULL with err set.
 */
struct swarm *swarm_new(const struct swarm_config *cfg, char *err, size_t errlen);
void swarm_free(struct swarm *sw);
/*
 * Make the calling thread real-time, as run.priority = realtime makes each
 * worker: SCHED_FIFO at SWARM_RT_PRIORITY, the lowest, so that a worker
 * whose send is due runs at once instead of waiting for the turn of
 * whatever else shares the core (a headend on the same machine); its
 * children start as ordinary processes (SCHED_RESET_ON_FORK). 0 or -errno
 * (-EPERM without root, CAP_SYS_NICE or an RLIMIT_RTPRIO of 1).
 */
#define SWARM_RT_PRIORITY 1
int swarm_realtime_self(void);
/* Start the workers (named phoneswarm-wN, N from 0; real-time with
 * run.priority = realtime); arrivals begin about 10 ms after they are
 * ready. 0 or -errno (err set). */
int swarm_start(struct swarm *sw, char *err, size_t errlen);
/* Wait for the workers to end. 0, or -errno if one failed (err set). */
int swarm_wait(struct swarm *sw, char *err, size_t errlen);
/* Ask every phone to disconnect now (as at the end of the run). */
void swarm_request_stop(struct swarm *sw);
/* No more arrivals: phones not yet due never start (the capacity search stopped). */
void swarm_stop_arrivals(struct swarm *sw);
/* Hand a timeline command to every worker (engine/command.h). 0, or -EAGAIN when a
 * worker still has too many waiting. */
struct phone_command;
int swarm_command(struct swarm *sw, const struct phone_command *c);
/* Resident memory of this process now, KiB. */
uint64_t swarm_rss_kb(void);
/*
 * Hand the heap's free pages back to the system (malloc_trim), at most once
 * a second (now, clock_us()) and only if tunnels came up since the last
 * time (tunnels_up: the run's count so far); from the thread that samples
 * the memory. Each bring-up allocates and frees far more than a phone keeps
 * (TLS handshake buffers, certificates, HTTP), and the allocator keeps the
 * holes it leaves resident; phones that only keep their tunnels (calls
 * included) allocate nothing, so there is nothing to trim then.
 */
void swarm_trim(struct swarm *sw, uint64_t now, uint64_t tunnels_up);
/* True once every worker has finished. */
bool swarm_done(struct swarm *sw);

/* Counters summed over workers (a racy but consistent-enough snapshot). */
void swarm_stats(struct swarm *sw, struct stats *out);
/*
 * Failure records queued by the workers since the last drain: up to max of
 * them into out, in time order. Returns how many; call it until it returns
 * less than max. Successive drains are in order too, but for records made
 * while a drain was reading (a few microseconds' worth), or when a drain
 * fills max. Any thread, but one at a time.
 */
struct failure_rec;
size_t swarm_drain_failures(struct swarm *sw, struct failure_rec *out, size_t max);
/* Failure records dropped because a worker's queue was full between drains. */
uint64_t swarm_failures_lost(struct swarm *sw);
/*
 * Close the current interval: every worker's histograms of what was recorded
 * since the last call are merged into out[metric] (added to what out holds;
 * out may be NULL) and into the run's. Each worker is paused only for a
 * pointer swap. From the main thread only.
 */
void swarm_interval(struct swarm *sw, struct hist *const *out);
/* The run's histograms: every interval closed so far (all of them after
 * swarm_wait). Borrowed. */
const struct hist *swarm_hist(struct swarm *sw, enum metric m);
/* Run clock: when arrivals began (clock_us), and when phones are told to stop. */
uint64_t swarm_t0(struct swarm *sw);
/* When phone i is due to arrive (the scenario's ramp). */
uint64_t swarm_arrival(struct swarm *sw, uint32_t i);
uint64_t swarm_t_end(struct swarm *sw);
/* Memory: resident KiB before the phones existed. */
uint64_t swarm_rss_base_kb(struct swarm *sw);
/*
 * Memory: bytes in use (heap_in_use) once every phone was made, before the
 * first arrival; *hist: those the histograms held then (hist_bytes_held).
 * 0 and 0 before swarm_start got that far.
 */
uint64_t swarm_heap_base(struct swarm *sw, uint64_t *hist);

/*
 * After swarm_wait: write the transcripts of the phones asked for with
 * --trace, and of the first trace_failed phones that failed, as
 * DIR/trace/<CN>.log. Returns how many were written, or -errno.
 */
int swarm_write_traces(struct swarm *sw, const char *dir);

/* After swarm_wait, for phoneswarm probe: what phone i learned, and its model. */
struct probe_result;
const struct probe_result *swarm_probe(struct swarm *sw, uint32_t i, const char **model);

#endif
