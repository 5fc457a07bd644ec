/*
 * engine/swarm.c - workers, their shards of phones, and what they share (swarm.h).
 *
 * Start-up happens in two steps so that the clock is fair: every worker
 * first makes its phones (minting each one's certificate, the costly part),
 * then all wait at a barrier; the main thread fixes t0 and the workers
 * schedule their arrivals from it. Phone i lives on worker i % threads and
 * is due at t0 + i / rate, so the open-loop schedule is the same whatever
 * the number of threads.
 */
#include "engine/swarm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "engine/ring/clock.h"
#include "engine/config.h"
#include "engine/tls/dtls.h"
#include "engine/tls/keylog.h"
#include "engine/trust/identity.h"
#include "engine/trust/model.h"
#include "engine/voice/p2p.h"
#include "engine/phone/phone.h"
#include "engine/phone/policy.h"
#include "engine/tls/tls.h"
#include "engine/phone/trace.h"
#include "engine/trust/trust.h"
#include "engine/proto/url.h"
#include "engine/voice/voice.h"
#include "engine/ring/worker.h"
#include "engine/stats/hist.h"

#define KEY_POOL 4 /* RSA keys shared by all phone identities */

struct swarm {
	const struct swarm_config *cfg;
	struct url url[CONFIG_MAX_URLS];
	const char *url_text[CONFIG_MAX_URLS]; /* borrowed from the config */
	int n_urls;
	bool needs_dns;
	struct identity_keys *keys;
	const struct model *model[CONFIG_MAX_MODELS];
	SSL_CTX *tls_ctx[CONFIG_MAX_MODELS];
	SSL_CTX *dtls_legacy, *dtls_psk;
	struct p2p_board *p2p; /* phone-to-phone calls only */
	int n_workers;
	struct worker *workers;
	pthread_t *threads;
	pthread_barrier_t ready, go;
	uint64_t t0, t_end;
	uint64_t rss_base_kb;
	struct hist *run[M__COUNT];   /* the run so far: every interval taken, merged */
	struct hist *spare[M__COUNT]; /* empty; swapped with a worker's interval set */
	int running; /* workers not yet finished (atomic) */
	int stop;    /* stop requested (atomic) */
	int no_arrivals; /* arrivals stopped (atomic) */
	bool started;
};

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
	sw->cfg = cfg;
	sw->url_text[0] = cfg->url;
	for (int i = 0; i < cfg->n_more_urls; i++)
		sw->url_text[i + 1] = cfg->more_urls[i];
	sw->n_urls = 1 + cfg->n_more_urls;
	for (int i = 0; i < sw->n_urls; i++) {
		if (url_parse(sw->url_text[i], &sw->url[i])) {
			snprintf(err, errlen, "headend.url: cannot parse \"%s\"", sw->url_text[i]);
			goto out_free;
		}
		if (!url_host_is_ipv4(&sw->url[i]))
			sw->needs_dns = true;
	}
	if (config_dns_missing(cfg, &sw->url[0]) >= 0) {
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
	sw->dtls_legacy = dtls_ctx_new_legacy();
	sw->dtls_psk = dtls_ctx_new_psk();
	if (!sw->dtls_legacy || !sw->dtls_psk) {
		snprintf(err, errlen, "DTLS context creation failed");
		goto out_free;
	}
	if (cfg->keylog_fd >= 0) {
		/* the traced phones' secrets, for a capture of them to be decrypted */
		keylog_start(cfg->keylog_fd, phone_keylog_wanted);
		for (int i = 0; i < cfg->n_models; i++)
			keylog_attach(sw->tls_ctx[i]);
		keylog_attach(sw->dtls_legacy);
		keylog_attach(sw->dtls_psk);
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
	if (cfg->voice_p2p && cfg->calls > 0) {
		sw->p2p = p2p_board_new(cfg->count, clock_us());
		if (!sw->p2p) {
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
	for (int i = 0; i < sw->n_workers && sw->workers; i++) {
		worker_fini(&sw->workers[i]);
		free(sw->workers[i].phones);
	}
	free(sw->workers);
	free(sw->threads);
	for (int m = 0; m < M__COUNT; m++) {
		hist_free(sw->run[m]);
		hist_free(sw->spare[m]);
	}
	for (int i = 0; i < CONFIG_MAX_MODELS; i++)
		SSL_CTX_free(sw->tls_ctx[i]);
	SSL_CTX_free(sw->dtls_legacy);
	SSL_CTX_free(sw->dtls_psk);
	identity_keys_free(sw->keys);
	p2p_board_free(sw->p2p);
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

static int make_phones(struct swarm *sw, struct worker *w)
{
	const struct swarm_config *cfg = sw->cfg;
	uint32_t n = 0;

	for (uint32_t i = (uint32_t)w->id; i < cfg->count; i += (uint32_t)sw->n_workers)
		n++;
	w->phones = calloc(n ? n : 1, sizeof(struct phone));
	if (!w->phones)
		return -ENOMEM;
	w->n_phones = n;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (uint32_t)w->id + k * (uint32_t)sw->n_workers;
		uint32_t g = cfg->index_base + i; /* in the whole fleet, when sharded */
		struct phone *p = &w->phones[k];
		int m = model_of(cfg, g);
		char cn[64];

		phone_init(p, w, i);
		p->model = sw->model[m];
		p->ssl_ctx = sw->tls_ctx[m];
		p->mac = (cfg->mac_base + i) & 0xffffffffffffull;
		p->src = cfg->n_source ? cfg->source[i % cfg->n_source] : 0;
		p->trust = trust_intern(w->trust, (const uint8_t(*)[20])cfg->cert_hashes,
					cfg->n_cert_hashes);
		if (!p->trust)
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

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	struct swarm *sw = w->sw;
	int r = worker_init(w, w->id, sw);

	if (!r && (r = make_phones(sw, w)) < 0)
		snprintf(w->err, sizeof(w->err), "making phones: %s", strerror(-r));
	pthread_barrier_wait(&sw->ready);
	pthread_barrier_wait(&sw->go); /* main has set t0, or given up */
	if (!r && sw->t0) {
		for (uint32_t k = 0; k < w->n_phones; k++) {
			struct phone *p = &w->phones[k];

			wheel_add(&w->wheel, &p->timer,
				  swarm_arrival(sw, p->idx));
		}
		w->t_end = sw->t_end;
		w->t_grace = sw->t_end + 10000000u;
		worker_run(w);
	}
	__atomic_sub_fetch(&sw->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

int swarm_start(struct swarm *sw, char *err, size_t errlen)
{
	int n = sw->n_workers, r = 0, made = 0;

	sw->workers = calloc((size_t)n, sizeof(*sw->workers));
	sw->threads = calloc((size_t)n, sizeof(*sw->threads));
	bool oom = !sw->workers || !sw->threads;

	for (int m = 0; m < M__COUNT; m++) {
		sw->run[m] = hist_new();
		sw->spare[m] = hist_new();
		oom |= !sw->run[m] || !sw->spare[m];
	}
	if (oom) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sw->rss_base_kb = swarm_rss_kb();
	trace_set_epoch(clock_us());
	pthread_barrier_init(&sw->ready, NULL, (unsigned)n + 1);
	pthread_barrier_init(&sw->go, NULL, (unsigned)n + 1);
	sw->running = n;
	for (int i = 0; i < n; i++) {
		sw->workers[i].id = i;
		sw->workers[i].sw = sw;
		r = pthread_create(&sw->threads[i], NULL, thread_main, &sw->workers[i]);
		if (r) {
			snprintf(err, errlen, "pthread_create: %s", strerror(r));
			/* the barriers expect n threads: stand in for the missing ones */
			for (int k = i; k < n; k++)
				sw->threads[k] = 0;
			sw->n_workers = i;
			return -r;
		}
		made++;
	}
	pthread_barrier_wait(&sw->ready);
	for (int i = 0; i < n; i++)
		if (sw->workers[i].err[0]) {
			snprintf(err, errlen, "worker %d: %s", i, sw->workers[i].err);
			r = -EIO;
		}
	if (!r) {
		sw->t0 = clock_us() + 10000u;
		sw->t_end = swarm_arrival(sw, sw->cfg->count - 1) +
			    sw->cfg->duration_us;
	}
	pthread_barrier_wait(&sw->go);
	sw->started = made == n;
	return r;
}

int swarm_wait(struct swarm *sw, char *err, size_t errlen)
{
	int r = 0;

	for (int i = 0; i < sw->n_workers; i++)
		if (sw->threads[i])
			pthread_join(sw->threads[i], NULL);
	for (int i = 0; i < sw->n_workers; i++)
		if (sw->workers[i].err[0] && !r) {
			snprintf(err, errlen, "worker %d: %s", i, sw->workers[i].err);
			r = -EIO;
		}
	swarm_interval(sw, NULL); /* what was recorded since the last interval */
	return r;
}

void swarm_interval(struct swarm *sw, struct hist *const *out)
{
	for (int i = 0; i < sw->n_workers; i++) {
		struct worker *w = &sw->workers[i];

		if (!w->ival[0])
			continue; /* never initialised */
		pthread_mutex_lock(&w->ival_lock);
		for (int m = 0; m < M__COUNT; m++) {
			struct hist *full = w->ival[m];

			w->ival[m] = sw->spare[m];
			sw->spare[m] = full;
		}
		pthread_mutex_unlock(&w->ival_lock);
		for (int m = 0; m < M__COUNT; m++) {
			if (!hist_count(sw->spare[m]))
				continue;
			hist_merge(sw->run[m], sw->spare[m]);
			if (out)
				hist_merge(out[m], sw->spare[m]);
			hist_reset(sw->spare[m]);
		}
	}
}

bool swarm_done(struct swarm *sw)
{
	return __atomic_load_n(&sw->running, __ATOMIC_ACQUIRE) == 0;
}

void swarm_stats(struct swarm *sw, struct stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < sw->n_workers; i++)
		stats_add(out, &sw->workers[i].st);
}

static int by_time(const void *a, const void *b)
{
	uint64_t x = ((const struct failure_rec *)a)->t_us, y = ((const struct failure_rec *)b)->t_us;

	return x < y ? -1 : x > y;
}

size_t swarm_drain_failures(struct swarm *sw, struct failure_rec *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < sw->n_workers && n < max; i++)
		n += failq_pop(&sw->workers[i].failq, out + n, max - n);
	qsort(out, n, sizeof(*out), by_time);
	return n;
}

uint64_t swarm_failures_lost(struct swarm *sw)
{
	uint64_t lost = 0;

	for (int i = 0; i < sw->n_workers; i++)
		lost += failq_lost(&sw->workers[i].failq);
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
		struct worker *w = &sw->workers[i % (uint32_t)sw->n_workers];
		struct phone *p = &w->phones[i / (uint32_t)sw->n_workers];
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
	struct worker *w = &sw->workers[i % (uint32_t)sw->n_workers];
	struct phone *p = &w->phones[i / (uint32_t)sw->n_workers];

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
	return policy_ramp_arrival_us(sw->t0, i, &r);
}

uint64_t swarm_t0(struct swarm *sw)
{
	return sw->t0;
}

uint64_t swarm_t_end(struct swarm *sw)
{
	return sw->t_end;
}

uint64_t swarm_rss_base_kb(struct swarm *sw)
{
	return sw->rss_base_kb;
}

const struct swarm_config *swarm_config(struct swarm *sw)
{
	return sw->cfg;
}

const struct url *swarm_url(struct swarm *sw, int i)
{
	return &sw->url[i];
}

const char *swarm_url_text(struct swarm *sw, int i)
{
	return sw->url_text[i];
}

int swarm_n_urls(struct swarm *sw)
{
	return sw->n_urls;
}

bool swarm_needs_dns(struct swarm *sw)
{
	return sw->needs_dns;
}

struct p2p_board *swarm_p2p(struct swarm *sw)
{
	return sw->p2p;
}

SSL_CTX *swarm_dtls_ctx(struct swarm *sw, bool psk)
{
	return psk ? sw->dtls_psk : sw->dtls_legacy;
}

int swarm_command(struct swarm *sw, const struct phone_command *c)
{
	int r = 0;

	for (int i = 0; i < sw->n_workers; i++)
		if (worker_command(&sw->workers[i], c))
			r = -EAGAIN;
	return r;
}

void swarm_request_stop(struct swarm *sw)
{
	__atomic_store_n(&sw->stop, 1, __ATOMIC_RELEASE);
}

void swarm_stop_arrivals(struct swarm *sw)
{
	__atomic_store_n(&sw->no_arrivals, 1, __ATOMIC_RELEASE);
}

bool swarm_arrivals_stopped(struct swarm *sw)
{
	return __atomic_load_n(&sw->no_arrivals, __ATOMIC_ACQUIRE) != 0;
}

bool swarm_stop_requested(struct swarm *sw)
{
	return __atomic_load_n(&sw->stop, __ATOMIC_ACQUIRE) != 0;
}
