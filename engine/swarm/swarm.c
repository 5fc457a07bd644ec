/*
 * engine/swarm/swarm.c - workers, their shards of phones, and what they share (swarm.h).
 *
 * Start-up happens in two steps so that the clock is fair: every worker
 * first makes its phones (minting each one's certificate, the costly part),
 * then all wait at a barrier; the main thread fixes t0 and the workers
 * schedule their arrivals from it. Phone i lives on worker i % threads and
 * is due at t0 + i / rate, so the open-loop schedule is the same whatever
 * the number of threads.
 */
#include "engine/swarm/swarm.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "engine/stats/clock.h"
#include "engine/config.h"
#include "engine/tls/dtls.h"
#include "engine/tls/keylog.h"
#include "engine/trust/identity.h"
#include "engine/trust/model.h"
#include "engine/voice/p2p.h"
#include "engine/phone/phone.h"
#include "engine/phone/policy.h"
#include "engine/ring/ring.h"
#include "engine/tls/tls.h"
#include "engine/phone/trace.h"
#include "engine/trust/trust.h"
#include "engine/proto/url.h"
#include "engine/voice/voice.h"
#include "engine/phone/worker.h"
#include "engine/stats/heap.h"
#include "engine/stats/hist.h"

#define KEY_POOL 4 /* RSA keys shared by all phone identities */

enum { GATE_WAIT, GATE_GO, GATE_STOP };

/* One worker thread: its ring (and the worker its phones live in). */
struct thread {
	struct swarm *sw;             /* borrowed */
	int id;
	struct ring *ring;            /* owned */
	pthread_t th;
	char err[256];                /* why making its phones failed, if it did */
};

struct swarm {
	const struct swarm_config *cfg;
	struct fleet fleet;           /* what the workers share: URLs, DTLS contexts, t0, stop */
	struct identity_keys *keys;
	const struct model *model[CONFIG_MAX_MODELS];
	SSL_CTX *tls_ctx[CONFIG_MAX_MODELS];
	int n_workers;
	struct thread *threads;       /* n_workers of them */
	int n_threads;                /* worker threads created: threads [0, n_threads) */
	bool joined;                  /* they have ended (swarm_wait, or a failed swarm_start) */
	pthread_mutex_t gate_lock;    /* the start: workers ready, then told to go or to stop */
	pthread_cond_t gate_cond;
	int n_ready;                  /* workers that made their phones (or failed to) */
	int gate;                     /* GATE_WAIT, GATE_GO or GATE_STOP */
	uint64_t t_end;
	uint64_t rss_base_kb;
	uint64_t heap_base, hist_base; /* bytes in use, and the histograms', at the start gate */
	uint64_t trimmed_at;     /* the last swarm_trim that trimmed, clock_us() */
	uint64_t trimmed_up;     /* tunnels brought up by then */
	struct hist *run[M__COUNT];   /* the run so far: every interval taken, merged */
	struct hist_set *spare;       /* empty; swapped with a worker's interval set */
	int running; /* workers not yet finished (atomic) */
};

/* The worker of thread i (set up once the thread has passed the start gate). */
static struct worker *worker_of(struct swarm *sw, int i)
{
	return sw->threads && sw->threads[i].ring ? ring_worker(sw->threads[i].ring) : NULL;
}

/* Phone i of the fleet: on worker i % n_workers, its (i / n_workers)-th. */
static struct phone *phone_of(struct swarm *sw, uint32_t i)
{
	return worker_phone(worker_of(sw, (int)(i % (uint32_t)sw->n_workers)),
			    i / (uint32_t)sw->n_workers);
}

uint64_t swarm_rss_kb(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) / 1024u;
}

struct swarm *swarm_new(const struct swarm_config *cfg, char *err, size_t errlen)
{
	struct swarm *sw = calloc(1, sizeof(*sw));

	if (!sw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct fleet *f = &sw->fleet;

	sw->cfg = cfg;
	f->cfg = cfg;
	pthread_mutex_init(&sw->gate_lock, NULL);
	pthread_cond_init(&sw->gate_cond, NULL);
	f->url_text[0] = cfg->url;
	for (int i = 0; i < cfg->n_more_urls; i++)
		f->url_text[i + 1] = cfg->more_urls[i];
	f->n_urls = 1 + cfg->n_more_urls;
	f->n_spread = cfg->n_spread;
	for (int j = 0; j < cfg->n_spread; j++)
		f->url_text[CONFIG_MAX_URLS + j] = cfg->spread[j];
	for (int i = 0; i < CONFIG_MAX_URLS + f->n_spread; i++) {
		if (i >= f->n_urls && i < CONFIG_MAX_URLS)
			continue;
		if (url_parse(f->url_text[i], &f->url[i])) {
			snprintf(err, errlen, "headend.url: cannot parse \"%s\"", f->url_text[i]);
			goto out_free;
		}
		if (!url_host_is_ipv4(&f->url[i]))
			f->needs_dns = true;
	}
	if (config_dns_missing(cfg, &f->url[0]) >= 0) {
		snprintf(err, errlen,
			 "headend.url names a host: headend.dns must give the phones' DNS servers");
		goto out_free;
	}
	for (int i = 0; i < cfg->n_models; i++) {
		sw->model[i] = model_find(cfg->models[i].model);
		if (!sw->model[i]) {
			snprintf(err, errlen, "phones.models: unknown model %s (known:",
				 cfg->models[i].model);
			for (int k = 0; model_at(k); k++) {
				size_t l = strlen(err);
				snprintf(err + l, errlen - l, " %s", model_at(k)->name);
			}
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, ")");
			goto out_free;
		}
		sw->tls_ctx[i] = tls_ctx_new(sw->model[i], phone_verify_leaf);
		if (!sw->tls_ctx[i]) {
			snprintf(err, errlen, "TLS context for model %s: %s", sw->model[i]->name,
				 tls_last_error());
			goto out_free;
		}
	}
	f->dtls_legacy = dtls_legacy_new();
	f->dtls_psk = dtls_ctx_new_psk();
	if (!f->dtls_legacy || !f->dtls_psk) {
		snprintf(err, errlen, "DTLS context creation failed");
		goto out_free;
	}
	if (cfg->keylog_fd >= 0) {
		/* the traced phones' secrets, for a capture of them to be decrypted */
		keylog_start(cfg->keylog_fd, phone_keylog_wanted);
		for (int i = 0; i < cfg->n_models; i++)
			keylog_attach(sw->tls_ctx[i]);
		dtls_legacy_each(f->dtls_legacy, keylog_attach);
		keylog_attach(f->dtls_psk);
	}
	/* a probe without a CA only looks at TLS: its phones have no identity */
	bool no_identity = cfg->probe && !cfg->ca_cert && !cfg->mic_ca && !cfg->mic_sha1_ca &&
			   !cfg->lsc_ca;

	if (cfg->auth == AUTH_CERTIFICATE && !no_identity) {
		const char *cert, *key;
		char why[200];
		int c = config_chain_missing(cfg, why, sizeof(why));

		/* every phone must find the CA its identity needs */
		if (c >= 0) {
			snprintf(err, errlen, "%s: give %s (or phones.ca_cert for every phone)", why,
				 config_chain_keys[c][0]);
			goto out_free;
		}
		for (c = 0; c < CHAIN__COUNT; c++) {
			config_chain_paths(cfg, (enum ca_chain)c, &cert, &key);
			if (cert && !cfg->ca[c]) {
				snprintf(err, errlen, "%s: not read (config_load_cas)",
					 config_chain_keys[c][0]);
				goto out_free;
			}
		}
		sw->keys = identity_keys_new(KEY_POOL);
		if (!sw->keys) {
			snprintf(err, errlen, "RSA key generation failed");
			goto out_free;
		}
	}
	if (cfg->calls > 0)
		f->voice = &voice_hooks;
	if (cfg->voice_p2p && cfg->calls > 0) {
		f->p2p = p2p_board_new(cfg->count, clock_us());
		if (!f->p2p) {
			snprintf(err, errlen, "out of memory");
			goto out_free;
		}
	}
	sw->n_workers = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (sw->n_workers < 1)
		sw->n_workers = 1;
	if ((uint32_t)sw->n_workers > cfg->count)
		sw->n_workers = (int)cfg->count;
	return sw;

out_free:
	swarm_free(sw);
	return NULL;
}

void swarm_free(struct swarm *sw)
{
	if (!sw)
		return;
	for (int i = 0; sw->threads && i < sw->n_workers; i++)
		ring_free(sw->threads[i].ring);
	free(sw->threads);
	for (int m = 0; m < M__COUNT; m++)
		hist_free(sw->run[m]);
	hist_set_free(sw->spare);
	for (int i = 0; i < CONFIG_MAX_MODELS; i++)
		SSL_CTX_free(sw->tls_ctx[i]);
	dtls_legacy_free(sw->fleet.dtls_legacy);
	SSL_CTX_free(sw->fleet.dtls_psk);
	identity_keys_free(sw->keys);
	p2p_board_free(sw->fleet.p2p);
	pthread_mutex_destroy(&sw->gate_lock);
	pthread_cond_destroy(&sw->gate_cond);
	free(sw);
}

/* A low-discrepancy point in [0,1) for phone i and property k, so that any
 * stretch of arrivals has the fleet's mix of models, identities, validity. */
static double mix_point(uint32_t i, unsigned k)
{
	static const double step[] = {0.6180339887498949, 0.7548776662466927, 0.5698402909980532};
	double f = (double)i * step[k] + 0.5 * (k != 0);

	return f - (double)(uint64_t)f;
}

static int model_of(const struct swarm_config *cfg, uint32_t i)
{
	if (cfg->probe)
		return (int)(i % (uint32_t)cfg->n_models); /* one phone per model */
	double f = mix_point(i, 0);
	double acc = 0;

	for (int m = 0; m < cfg->n_models; m++) {
		acc += cfg->models[m].share;
		if (f < acc)
			return m;
	}
	return cfg->n_models - 1;
}

/* How many phones worker id has: phone i lives on worker i % n_workers. */
static uint32_t phones_of(const struct swarm *sw, int id)
{
	uint32_t n = 0;

	for (uint32_t i = (uint32_t)id; i < sw->cfg->count; i += (uint32_t)sw->n_workers)
		n++;
	return n;
}

static int make_phones(struct swarm *sw, struct worker *w, int id)
{
	const struct swarm_config *cfg = sw->cfg;
	uint32_t n = worker_n_phones(w);

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (uint32_t)id + k * (uint32_t)sw->n_workers;
		uint32_t g = cfg->index_base + i; /* in the whole fleet, when sharded */
		struct phone *p = worker_phone(w, k);
		int m = model_of(cfg, g);
		char cn[64];

		phone_init(p, w, i);
		p->model = sw->model[m];
		p->ssl_ctx = sw->tls_ctx[m];
		p->mac = (cfg->mac_base + i) & 0xffffffffffffull;
		p->src = cfg->n_source ? cfg->source[i % cfg->n_source] : 0;
		if (phone_set_trust(w, p, (const uint8_t(*)[20])cfg->cert_hashes,
				    cfg->n_cert_hashes))
			return -ENOMEM;
		if (voice_init(w, p))
			return -ENOMEM;
		p->traced = cfg->trace_failed > 0;
		if (cfg->probe) {
			p->probe = calloc(1, sizeof(*p->probe));
			if (!p->probe)
				return -ENOMEM;
		}
		for (uint32_t t = 0; t < cfg->n_trace_phones; t++)
			if (cfg->trace_phones[t] == i)
				p->traced = true;
		if (sw->keys) {
			/* the identity: LSC or MIC (on the model's chain), and its validity */
			bool lsc = mix_point(g, 1) < cfg->lsc_share;
			double v = mix_point(g, 2);
			enum ca_chain c = lsc ? CHAIN_LSC : p->model->mic_sha1 ? CHAIN_MIC_SHA1 : CHAIN_MIC;
			const struct identity_ca *ca = cfg->ca[c] ? cfg->ca[c] : cfg->ca[CHAIN_ANY];
			enum validity val = v < cfg->expired_share ? EXPIRED
					    : v < cfg->expired_share + cfg->not_yet_share
						    ? NOT_YET_VALID
						    : VALID;

			identity_cn(cn, sizeof(cn), p->model->name, p->mac);
			p->cert = identity_mint(ca, sw->keys, cn, g, !lsc && p->model->mic_sha1, val,
						&p->key);
			if (!p->cert)
				return -ENOMEM;
			p->lsc = lsc;
			p->validity = (uint8_t)val;
		}
	}
	return 0;
}

/* A worker is ready: wait until the main thread says go (true) or stop (false). */
static bool gate_pass(struct swarm *sw)
{
	bool go;

	pthread_mutex_lock(&sw->gate_lock);
	sw->n_ready++;
	pthread_cond_broadcast(&sw->gate_cond);
	while (sw->gate == GATE_WAIT)
		pthread_cond_wait(&sw->gate_cond, &sw->gate_lock);
	go = sw->gate == GATE_GO;
	pthread_mutex_unlock(&sw->gate_lock);
	return go;
}

static void gate_open(struct swarm *sw, int how)
{
	pthread_mutex_lock(&sw->gate_lock);
	sw->gate = how;
	pthread_cond_broadcast(&sw->gate_cond);
	pthread_mutex_unlock(&sw->gate_lock);
}

int swarm_realtime_self(void)
{
	struct sched_param sp = {.sched_priority = SWARM_RT_PRIORITY};

	return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) ? -errno : 0;
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct swarm *sw = t->sw;
	char name[16];
	int r = ring_init(t->ring, t->id, &sw->fleet, phones_of(sw, t->id));
	struct worker *w = ring_worker(t->ring);

	snprintf(name, sizeof(name), "phoneswarm-w%d", t->id);
	pthread_setname_np(pthread_self(), name); /* for top -H and the tests; cosmetic */
	if (!r && sw->cfg->realtime && (r = swarm_realtime_self()) < 0)
		snprintf(t->err, sizeof(t->err), "run.priority = realtime: SCHED_FIFO: %s",
			 strerror(-r));
	if (!r && (r = make_phones(sw, w, t->id)) < 0)
		snprintf(t->err, sizeof(t->err), "making phones: %s", strerror(-r));
	if (gate_pass(sw) && !r) {
		for (uint32_t k = 0; k < worker_n_phones(w); k++) {
			struct phone *p = worker_phone(w, k);

			phone_due(w, p, swarm_arrival(sw, p->idx));
		}
		ring_run(t->ring, sw->t_end, sw->t_end + 10000000u);
	}
	__atomic_sub_fetch(&sw->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Why worker thread i failed, or NULL. */
static const char *thread_error(const struct swarm *sw, int i)
{
	const struct thread *t = &sw->threads[i];

	if (t->ring && ring_error(t->ring)[0])
		return ring_error(t->ring);
	return t->err[0] ? t->err : NULL;
}

/* Tell the workers started so far to stop, and wait for them to end. */
static void stop_started(struct swarm *sw)
{
	gate_open(sw, GATE_STOP);
	for (int i = 0; i < sw->n_threads; i++)
		pthread_join(sw->threads[i].th, NULL);
	sw->joined = true;
}

int swarm_start(struct swarm *sw, char *err, size_t errlen)
{
	int n = sw->n_workers, r = 0;

	sw->threads = calloc((size_t)n, sizeof(*sw->threads));
	bool oom = !sw->threads;

	for (int i = 0; !oom && i < n; i++) {
		sw->threads[i].sw = sw;
		sw->threads[i].id = i;
		sw->threads[i].ring = ring_new();
		oom |= !sw->threads[i].ring;
	}
	for (int m = 0; m < M__COUNT; m++) {
		sw->run[m] = hist_new();
		oom |= !sw->run[m];
	}
	sw->spare = hist_set_new();
	oom |= !sw->spare;
	if (oom) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sw->rss_base_kb = swarm_rss_kb();
	trace_set_epoch(clock_us());
	sw->gate = GATE_WAIT;
	sw->running = n;
	for (int i = 0; i < n; i++) {
		r = pthread_create(&sw->threads[i].th, NULL, thread_main, &sw->threads[i]);
		if (r) {
			snprintf(err, errlen, "starting worker thread %d of %d: pthread_create: %s",
				 i + 1, n, strerror(r));
			__atomic_sub_fetch(&sw->running, n - i, __ATOMIC_RELEASE);
			stop_started(sw);
			return -r;
		}
		sw->n_threads++;
	}
	pthread_mutex_lock(&sw->gate_lock);
	while (sw->n_ready < n)
		pthread_cond_wait(&sw->gate_cond, &sw->gate_lock);
	pthread_mutex_unlock(&sw->gate_lock);
	for (int i = 0; i < n && !r; i++)
		if (thread_error(sw, i)) {
			snprintf(err, errlen, "worker %d: %s", i, thread_error(sw, i));
			r = -EIO;
		}
	if (r) {
		stop_started(sw);
		return r;
	}
	/* every phone made, none due yet, the workers waiting at the gate */
	sw->hist_base = hist_bytes_held();
	sw->heap_base = heap_in_use();
	sw->fleet.t0 = clock_us() + 10000u;
	sw->t_end = swarm_arrival(sw, sw->cfg->count - 1) + sw->cfg->duration_us;
	gate_open(sw, GATE_GO);
	return 0;
}

int swarm_wait(struct swarm *sw, char *err, size_t errlen)
{
	int r = 0;

	for (int i = 0; i < sw->n_threads && !sw->joined; i++)
		pthread_join(sw->threads[i].th, NULL);
	sw->joined = true;
	for (int i = 0; i < sw->n_threads && !r; i++)
		if (thread_error(sw, i)) {
			snprintf(err, errlen, "worker %d: %s", i, thread_error(sw, i));
			r = -EIO;
		}
	if (sw->threads)
		swarm_interval(sw, NULL); /* what was recorded since the last interval */
	return r;
}

void swarm_interval(struct swarm *sw, struct hist *const *out)
{
	for (int i = 0; i < sw->n_threads; i++) {
		struct worker *w = worker_of(sw, i);

		if (!w || !w->ival)
			continue; /* never set up */
		/* the worker records into the spare from now on; its full set is ours */
		sw->spare = recorder_swap(worker_recorder(w), sw->spare);
		for (int m = 0; m < M__COUNT; m++) {
			struct hist *full = sw->spare->h[m];

			if (!hist_count(full))
				continue;
			hist_merge(sw->run[m], full);
			if (out)
				hist_merge(out[m], full);
			hist_reset(full);
		}
	}
}

void swarm_trim(struct swarm *sw, uint64_t now, uint64_t tunnels_up)
{
	if (now - sw->trimmed_at < 1000000 || tunnels_up == sw->trimmed_up)
		return;
	sw->trimmed_at = now;
	sw->trimmed_up = tunnels_up;
	malloc_trim(0);
}

bool swarm_done(struct swarm *sw)
{
	return __atomic_load_n(&sw->running, __ATOMIC_ACQUIRE) == 0;
}

void swarm_stats(struct swarm *sw, struct stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < sw->n_threads; i++)
		stats_add(out, worker_stats(worker_of(sw, i)));
}

static int by_time(const void *a, const void *b)
{
	uint64_t x = ((const struct failure_rec *)a)->t_us, y = ((const struct failure_rec *)b)->t_us;

	return x < y ? -1 : x > y;
}

size_t swarm_drain_failures(struct swarm *sw, struct failure_rec *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < sw->n_threads && n < max; i++)
		n += failq_pop(worker_failq(worker_of(sw, i)), out + n, max - n);
	qsort(out, n, sizeof(*out), by_time);
	return n;
}

uint64_t swarm_failures_lost(struct swarm *sw)
{
	uint64_t lost = 0;

	for (int i = 0; i < sw->n_threads; i++)
		lost += failq_lost(worker_failq(worker_of(sw, i)));
	return lost;
}

static bool asked_for(const struct swarm_config *cfg, uint32_t idx)
{
	for (uint32_t t = 0; t < cfg->n_trace_phones; t++)
		if (cfg->trace_phones[t] == idx)
			return true;
	return false;
}

int swarm_write_traces(struct swarm *sw, const char *dir)
{
	const struct swarm_config *cfg = sw->cfg;
	uint32_t failed_written = 0;
	int written = 0;
	char path[4096], cn[64];

	if (!cfg->n_trace_phones && !cfg->trace_failed)
		return 0;
	snprintf(path, sizeof(path), "%s/trace", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	/* phone order, so that "the first N that failed" is the same on every run */
	for (uint32_t i = 0; i < cfg->count; i++) {
		struct phone *p = phone_of(sw, i);
		bool want = asked_for(cfg, i);

		if (!want && p->state == PH_FAILED && failed_written < cfg->trace_failed) {
			want = true;
			failed_written++;
		}
		if (!want || !p->trace.len)
			continue;
		identity_cn(cn, sizeof(cn), p->model->name, p->mac);
		snprintf(path, sizeof(path), "%s/trace/%s.log", dir, cn);
		FILE *f = fopen(path, "w");
		if (!f)
			return -errno;
		int r = trace_write(&p->trace, f);
		if (fclose(f) || r)
			return -EIO;
		written++;
	}
	return written;
}

const struct probe_result *swarm_probe(struct swarm *sw, uint32_t i, const char **model)
{
	struct phone *p = phone_of(sw, i);

	*model = p->model->name;
	return p->probe;
}

const struct hist *swarm_hist(struct swarm *sw, enum metric m)
{
	return sw->run[m];
}

uint64_t swarm_arrival(struct swarm *sw, uint32_t i)
{
	struct ramp_spec r = sw->cfg->ramp;

	r.rate = sw->cfg->rate;
	return policy_ramp_arrival_us(sw->fleet.t0, i, &r);
}

uint64_t swarm_t0(struct swarm *sw)
{
	return sw->fleet.t0;
}

uint64_t swarm_t_end(struct swarm *sw)
{
	return sw->t_end;
}

uint64_t swarm_rss_base_kb(struct swarm *sw)
{
	return sw->rss_base_kb;
}

uint64_t swarm_heap_base(struct swarm *sw, uint64_t *hist)
{
	*hist = sw->hist_base;
	return sw->heap_base;
}

int swarm_command(struct swarm *sw, const struct phone_command *c)
{
	int r = 0;

	for (int i = 0; i < sw->n_threads; i++)
		if (ring_command(sw->threads[i].ring, c))
			r = -EAGAIN;
	return r;
}

void swarm_request_stop(struct swarm *sw)
{
	__atomic_store_n(&sw->fleet.stop, 1, __ATOMIC_RELEASE);
}

void swarm_stop_arrivals(struct swarm *sw)
{
	__atomic_store_n(&sw->fleet.no_arrivals, 1, __ATOMIC_RELEASE);
}
