/*
 * engine/ring/worker.h - one thread, one io_uring, one timer wheel, its phones.
 *
 * Phones are sharded across workers and nothing is shared between them but
 * read-only configuration and SSL_CTXs. The worker runs the loop: fire due
 * timers, submit, wait for completions (or the next timer), hand each
 * completion to its phone. Completions carry {phone, generation, channel,
 * operation} in user_data; an old generation marks a completion for a
 * connection the phone has already left, which is dropped.
 */
#ifndef ENGINE_WORKER_H
#define ENGINE_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>
#include <pthread.h>

#include "engine/command.h"
#include "engine/phone/failq.h"
#include "engine/phone/phone.h"
#include "engine/stats/stats.h"
#include "engine/ring/wheel.h"

struct swarm;
struct swarm_config;
struct hist;
struct dns;
struct trust_table;

#define WORKER_MAX_CMDS 16 /* commands waiting for a worker to take them */
#define WORKER_LATE_MAX 1024 /* RTP packets built and not yet handed to the kernel */

struct worker {
	struct io_uring ring;
	struct wheel wheel;
	int id;
	struct swarm *sw;              /* borrowed: shared read-only state */
	const struct swarm_config *cfg;/* borrowed */
	struct phone *phones;          /* owned: this worker's phones */
	uint32_t n_phones;
	struct dns *dns;               /* owned; NULL when the URL holds an address */
	struct trust_table *trust;     /* owned: the distinct trust lists of its phones */
	struct stats st;               /* written here, read by the main thread */
	struct hist *ival[M__COUNT];   /* owned: this interval's latency histograms; the
					  swarm swaps them out under ival_lock */
	pthread_mutex_t ival_lock;
	struct failq failq;            /* failure records, popped by the main thread */
	uint64_t t_end;                /* when phones are told to stop */
	uint64_t t_grace;              /* when the loop gives up waiting for them */
	struct timer stop_timer;
	bool stopping;
	bool hung_up;                  /* the run's end: calls were told to hang up */
	uint32_t unsubmitted;          /* SQEs prepared, not yet submitted */
	uint64_t late_due[WORKER_LATE_MAX]; /* when each RTP packet not yet submitted was due */
	uint32_t n_late;
	char err[256];                 /* why the worker failed, if it did */

	/* the timeline's commands: queued by the main thread, woken by wake_fd */
	pthread_mutex_t cmd_lock;
	struct phone_command cmds[WORKER_MAX_CMDS];
	uint32_t n_cmds;
	int wake_fd;                   /* eventfd */
	uint64_t wake_buf;
	uint64_t rng;                  /* xorshift state: packet loss of a cut path */
};

/* Relaxed atomic counter update: one writer (the worker), readers elsewhere. */
#define STAT_ADD(w, field, n) \
	__atomic_store_n(&(w)->st.field, (w)->st.field + (n), __ATOMIC_RELAXED)
#define STAT_SUB(w, field, n) \
	__atomic_store_n(&(w)->st.field, (w)->st.field - (n), __ATOMIC_RELAXED)
#define STAT_GET(st, field) __atomic_load_n(&(st)->field, __ATOMIC_RELAXED)

/* Set up the ring, wheel and histograms; phones are given by the swarm. 0 or -errno. */
int worker_init(struct worker *w, int id, struct swarm *sw);
void worker_fini(struct worker *w);
/* Run until every phone has finished (or t_grace passed). 0 or -errno. */
int worker_run(struct worker *w);

/* For the phone: I/O on its channels. Each returns 0 or -errno. */
int worker_tcp_connect(struct worker *w, struct phone *p);
int worker_udp_open(struct worker *w, struct phone *p, uint16_t port);
/*
 * Is addr (network order) an address of this machine now, one it can send
 * from? A socket bound with IP_FREEBIND to one that is not gets
 * -ENETUNREACH from connect(): this machine's failure, not the network's.
 */
bool worker_addr_is_local(uint32_t addr);
int worker_dns_lookup(struct worker *w, struct phone *p, const char *host);
int worker_recv(struct worker *w, struct phone *p, enum chan_id c);
void worker_flush(struct worker *w, struct phone *p, enum chan_id c);
void worker_close(struct worker *w, struct phone *p, enum chan_id c);
void worker_record(struct worker *w, enum metric m, uint64_t us);
/*
 * An RTP packet due at this time has been queued on the ring: its send
 * lateness (M_RTP_SEND_LATE) is taken when the ring is submitted, the moment
 * it is handed to the kernel.
 */
void worker_sent_due(struct worker *w, uint64_t due);

/* From the main thread: queue c for this worker's phones and wake it. 0, or -EAGAIN
 * when the queue is full. */
int worker_command(struct worker *w, const struct phone_command *c);
/* The phone's path loses this datagram (a cut or impaired path, see PA_CUT). */
bool worker_path_drops(struct worker *w, struct phone *p, uint64_t now);

#endif
