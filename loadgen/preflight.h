/*
 * loadgen/preflight.h - what this machine allows a run, found out before
 * any phone starts: descriptors, memory, source addresses and their
 * ephemeral ports, io_uring, real-time scheduling.
 *
 * Each check fills a struct preflight: one line of what it found, and
 * whether that stops the run as asked (a problem), with what to change.
 * `phoneswarm check` prints them all; `phoneswarm run` refuses a run whose
 * descriptors, memory or io_uring cannot do (a local shortage must never
 * show up as the headend's failures). Figures that are estimates say so
 * and where they come from.
 */
#ifndef LOADGEN_PREFLIGHT_H
#define LOADGEN_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct swarm_config;

/* Descriptors a run holds besides its phones': stdio, outputs, /metrics' 33, events. */
#define PREFLIGHT_FDS_RUN 64
/* ... and each worker thread: its ring, its wake-up eventfd, the socket a phone
 * is being given until it is in the ring's table, c-ares' sockets (two
 * channels' worth during a DNS switch). */
#define PREFLIGHT_FDS_THREAD 7
/* Memory per phone up, KiB, as `make bench` measured it (NOTES.md): with DTLS, without. */
#define PREFLIGHT_KIB_PHONE_DTLS 69
#define PREFLIGHT_KIB_PHONE_TLS	 32
/* Memory of the process before its phones (histograms aside), KiB. */
#define PREFLIGHT_KIB_BASE (24 * 1024)

struct preflight {
	char text[1024]; /* what was found, one line (no newline) */
	bool problem;	/* the run cannot go as asked: text says what to change */
};

/*
 * The worker threads a run of cfg starts (run.threads, or one per core,
 * never more than phones).
 */
int preflight_threads(const struct swarm_config *cfg);

/*
 * Descriptors a run of cfg holds at its peak, every phone up, with the
 * phones' sockets as descriptors (2 a phone) or not (registered files).
 */
uint64_t preflight_fds_needed(const struct swarm_config *cfg, bool fixed_files);

/*
 * Entries of the largest table of registered files a worker's ring needs: 2
 * for each phone of the worker with the most. The kernel refuses a table
 * larger than RLIMIT_NOFILE, each ring's on its own.
 */
uint64_t preflight_table_needed(const struct swarm_config *cfg);

/*
 * Raise this process's soft RLIMIT_NOFILE as far as its hard limit allows
 * (a shell's soft limit is often 1,024); call before any phone. Returns
 * the soft limit now.
 */
uint64_t preflight_raise_nofile(void);

/*
 * Whether a run of cfg holds the phones' sockets as io_uring registered
 * files: when, as descriptors, they would not fit the limit (raised first:
 * preflight_raise_nofile()), or when PHONESWARM_FIXED_FILES=1 (for tests).
 */
bool preflight_fixed_files(const struct swarm_config *cfg);

/*
 * The shared receive buffers per worker thread that PHONESWARM_RX_BUFFERS
 * asks for (for tests: a pool small enough to run out), 0 when it is not
 * set; -1 with err filled when it is not a number from 1 to 32768.
 */
int64_t preflight_rx_buffers(char *err, size_t len);

/*
 * Descriptors needed against the limit (raised first), and, when the
 * sockets are registered files (preflight_fixed_files), the largest ring's
 * table against the same limit.
 */
void preflight_descriptors(const struct swarm_config *cfg, struct preflight *out);

/* Memory needed (an estimate from the measured figure per phone) against what is free. */
void preflight_memory(const struct swarm_config *cfg, struct preflight *out);

/* Phones per source address against the ephemeral port range (ip_local_port_range). */
void preflight_ports(const struct swarm_config *cfg, struct preflight *out);

/*
 * Whether each source address the phones use can be bound here (with
 * IP_FREEBIND when phones.freebind is set): each is bound once, port left
 * open, and released. A problem when one cannot; none given is no problem.
 */
void preflight_sources(const struct swarm_config *cfg, struct preflight *out);

/*
 * Whether io_uring works here: the kernel, kernel.io_uring_disabled, the
 * process's seccomp mode, and a ring set up as the workers set theirs.
 */
void preflight_io_uring(struct preflight *out);

/*
 * Whether the worker threads can run as run.priority asks: with realtime, a
 * thread of its own is made real-time (swarm_realtime_self()) and ends; a
 * problem when the kernel refuses, saying what grants it. The text also
 * says how much of each core the kernel keeps back for everything else.
 */
void preflight_priority(const struct swarm_config *cfg, struct preflight *out);

#endif
