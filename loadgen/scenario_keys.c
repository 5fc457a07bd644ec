/*
 * loadgen/scenario_keys.c - the sections and keys of a scenario file, and
 * the setters that store their values in struct swarm_config.
 *
 * Each known key has a setter that parses its value with loadgen/value.c,
 * checks what is particular to the key (a range, a file that must be
 * readable now, one of a few words) and otherwise says in a phrase what is
 * wrong with the value; the table maps section.key to its setter. Reading
 * the file, where a key came from, keys given twice and keys required are
 * loadgen/scenario.c's. The keys are documented in scenarios/README.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loadgen/scenario_keys.h"

#include "engine/voice/codec.h"
#include "engine/trust/model.h"
#include "engine/proto/url.h"
#include "loadgen/value.h"

/* ==== Value setters ==== */

static int set_string(char **field, const char *v, char *why, size_t whylen)
{
	char *s = strdup(v);

	if (!s) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	free(*field);
	*field = s;
	return 0;
}

/* Where scripts/lab keeps what it makes: a scenario naming it runs against the lab. */
#define LAB_RUN_DIR "/run/phoneswarm-lab/"

/* "PATH: error", and for a lab file that is not there, what that means. */
static void path_error(char *why, size_t whylen, const char *path, int err)
{
	bool lab = err == ENOENT && !strncmp(path, LAB_RUN_DIR, strlen(LAB_RUN_DIR));

	snprintf(why, whylen, "%s: %s%s", path, strerror(err),
		 lab ? " (a file of the lab: is the lab up? Elsewhere, give the key with -s)" : "");
}

/* A path that must name a readable file now, not when the run starts. */
static int set_readable_path(char **field, const char *v, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	fd = open(v, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		path_error(why, whylen, v, errno);
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s: %s", v, strerror(EISDIR));
		return -1;
	}
	close(fd);
	return set_string(field, v, why, whylen);
}

/* Index of v in words (any case), or -1 with the choices listed in why. */
static int set_word(const char *v, const char *const *words, int n, char *why, size_t whylen)
{
	size_t off;

	for (int i = 0; i < n; i++) {
		if (strcasecmp(v, words[i]) == 0)
			return i;
	}
	off = (size_t)snprintf(why, whylen, "\"%s\" is not one of", v);
	for (int i = 0; i < n && off < whylen; i++)
		off += (size_t)snprintf(why + off, whylen - off, "%s %s", i ? "," : "", words[i]);
	return -1;
}

static int set_whole(const char *v, uint64_t min, uint64_t max, uint64_t *out, char *why,
		     size_t whylen)
{
	uint64_t n;

	if (value_uint(v, 0, UINT64_MAX, &n) < 0) {
		snprintf(why, whylen, "\"%s\" is not a whole number", v);
		return -1;
	}
	if (n < min || n > max) {
		snprintf(why, whylen, "%s is out of range (%llu..%llu)", v, (unsigned long long)min,
			 (unsigned long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

static int set_duration(const char *v, bool positive, uint64_t *us, char *why, size_t whylen)
{
	uint64_t d;

	if (value_duration(v, &d) < 0) {
		snprintf(why, whylen, "\"%s\" is not a duration (250ms, 20s, 5m, 2h...)", v);
		return -1;
	}
	if (positive && d == 0) {
		snprintf(why, whylen, "%s: must be longer than 0", v);
		return -1;
	}
	*us = d;
	return 0;
}

/*
 * The URL as the engine reads it (engine/proto/url.c): "https://", a name or an
 * IPv4 address, optionally ":port" (1..65535), then a path starting with
 * '/'. Refused here so that the error names the line, not the run's start.
 */
int scenario_keys_check_url(const char *v, char *why, size_t whylen)
{
	struct url u;

	if (url_parse(v, &u) == 0)
		return 0;
	if (strncasecmp(v, "https://[", 9) == 0)
		snprintf(why, whylen,
			 "\"%s\": an IPv6 address cannot be the host (give a name or "
			 "an IPv4 address)",
			 v);
	else
		snprintf(why, whylen, "\"%s\" is not an https:// URL with a host", v);
	return -1;
}

static int set_url(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (scenario_keys_check_url(v, why, whylen) < 0)
		return -1;
	return set_string(&cfg->url, v, why, whylen);
}

/* headend.spread: 1 to CONFIG_MAX_SPREAD URLs, each one headend.url would take */
static int set_spread(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	char *urls[CONFIG_MAX_SPREAD];
	char item[1024];
	const char *cur = v;
	int rc, n = 0;

	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (n == CONFIG_MAX_SPREAD) {
			snprintf(why, whylen, "\"%s\": more than %d URLs", v, CONFIG_MAX_SPREAD);
			goto fail;
		}
		if (scenario_keys_check_url(item, why, whylen) < 0)
			goto fail;
		urls[n] = strdup(item);
		if (!urls[n]) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		n++;
	}
	if (rc != 0) {
		snprintf(why, whylen, "\"%s\" is not a list of 1 to %d https:// URLs", v,
			 CONFIG_MAX_SPREAD);
		goto fail;
	}
	for (int i = 0; i < cfg->n_spread; i++)
		free(cfg->spread[i]);
	memcpy(cfg->spread, urls, sizeof(urls[0]) * (size_t)n);
	cfg->n_spread = n;
	return 0;
fail:
	while (n > 0)
		free(urls[--n]);
	return -1;
}

static int set_cert_hashes(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	int rc = value_cert_hashes(v, cfg->cert_hashes, CONFIG_MAX_HASHES, &cfg->n_cert_hashes);

	if (rc == -EINVAL) {
		snprintf(why, whylen,
			 "\"%s\" is not a list of 1 to %d SHA-1 hashes "
			 "(Base64, 28 characters, or hex, 40 digits)",
			 v, CONFIG_MAX_HASHES);
		return -1;
	}
	if (rc < 0) {
		path_error(why, whylen, v + 1, -rc);
		return -1;
	}
	return 0;
}

static int set_cnf(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_readable_path(&cfg->cnf, v, why, whylen);
}

static int set_host_id(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_bool(v, &cfg->host_id_check)) {
		snprintf(why, whylen, "\"%s\" is not true or false", v);
		return -1;
	}
	return 0;
}

static int set_dns(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	struct in_addr dns[CONFIG_MAX_DNS];
	const char *cur = v;
	char item[INET_ADDRSTRLEN];
	int rc, n = 0;

	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		if (n == CONFIG_MAX_DNS || inet_pton(AF_INET, item, &dns[n]) != 1)
			break;
		n++;
	}
	if (rc != 0) {
		snprintf(why, whylen, "\"%s\" is not one or %d IPv4 addresses", v, CONFIG_MAX_DNS);
		return -1;
	}
	memcpy(cfg->dns, dns, sizeof(dns));
	cfg->n_dns = n;
	return 0;
}

static int set_count(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (set_whole(v, 1, 1000000, &n, why, whylen) < 0)
		return -1;
	cfg->count = (uint32_t)n;
	return 0;
}

/* The mix, and each of its models one that engine/trust/model.c knows. */
static int set_models(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	struct model_share models[CONFIG_MAX_MODELS] = {0};
	int n;

	if (value_models(v, models, CONFIG_MAX_MODELS, &n) < 0) {
		snprintf(why, whylen,
			 "\"%s\" is not a model mix such as 8861:60,7962:40 "
			 "(at most %d models; percentages must sum to 100%%)",
			 v, CONFIG_MAX_MODELS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t off;

		if (model_find(models[i].model))
			continue;
		off = (size_t)snprintf(why, whylen, "unknown model %s (known:", models[i].model);
		for (int k = 0; model_at(k) && off < whylen; k++)
			off += (size_t)snprintf(why + off, whylen - off, " %s", model_at(k)->name);
		if (off < whylen)
			snprintf(why + off, whylen - off, ")");
		return -1;
	}
	memcpy(cfg->models, models, sizeof(models));
	cfg->n_models = n;
	return 0;
}

static int set_auth(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {
	    [AUTH_CERTIFICATE] = "certificate",
	    [AUTH_PASSWORD] = "password",
	};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	cfg->auth = (enum auth_method)i;
	return 0;
}

static int set_client(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	int i = set_word(v, client_names, CLIENT__COUNT, why, whylen);

	if (i < 0)
		return -1;
	cfg->client = (enum client_kind)i;
	return 0;
}

static int set_identity(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {"mic", "lsc"};
	double shares[2];

	if (value_mix(v, words, 2, shares)) {
		snprintf(why, whylen, "\"%s\" is not mic, lsc, or a mix such as mic:70%%,lsc:30%%", v);
		return -1;
	}
	cfg->lsc_share = shares[1];
	return 0;
}

static int set_validity(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {"valid", "expired", "not_yet_valid"};
	double shares[3];

	if (value_mix(v, words, 3, shares)) {
		snprintf(why, whylen,
			 "\"%s\" is not valid, expired, not_yet_valid, or a mix such as "
			 "valid:90%%,expired:10%%",
			 v);
		return -1;
	}
	cfg->expired_share = shares[1];
	cfg->not_yet_share = shares[2];
	return 0;
}

#define PATH_SETTER(fn, field)                                                             \
	static int fn(struct swarm_config *cfg, const char *v, char *why, size_t whylen) \
	{                                                                                  \
		return set_readable_path(&cfg->field, v, why, whylen);                     \
	}
PATH_SETTER(set_mic_ca, mic_ca)
PATH_SETTER(set_mic_ca_key, mic_ca_key)
PATH_SETTER(set_mic_sha1_ca, mic_sha1_ca)
PATH_SETTER(set_mic_sha1_ca_key, mic_sha1_ca_key)
PATH_SETTER(set_lsc_ca, lsc_ca)
PATH_SETTER(set_lsc_ca_key, lsc_ca_key)

static int set_user(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_string(&cfg->user_pattern, v, why, whylen);
}

static int set_password(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_string(&cfg->password_pattern, v, why, whylen);
}

static int set_ca_cert(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_readable_path(&cfg->ca_cert, v, why, whylen);
}

static int set_ca_key(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_readable_path(&cfg->ca_key, v, why, whylen);
}

static int set_source(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint32_t *addrs, n;
	int rc = value_ipv4_set(v, &addrs, &n);

	if (rc == -ENOMEM) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen,
			 "\"%s\" is not a list of IPv4 addresses, ranges or "
			 "CIDR blocks (at most %u addresses)",
			 v, VALUE_MAX_ADDRS);
		return -1;
	}
	free(cfg->source);
	cfg->source = addrs;
	cfg->n_source = n;
	return 0;
}

static int set_freebind(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_bool(v, &cfg->freebind)) {
		snprintf(why, whylen, "\"%s\" is not true or false", v);
		return -1;
	}
	return 0;
}

static int set_mac_base(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_mac(v, &cfg->mac_base) < 0) {
		snprintf(why, whylen, "\"%s\" is not a MAC address such as 00:11:22:33:44:55", v);
		return -1;
	}
	return 0;
}

static int set_rate(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	double r;

	if (value_double(v, -DBL_MAX, DBL_MAX, &r) < 0) {
		snprintf(why, whylen, "\"%s\" is not a number", v);
		return -1;
	}
	if (!(r > 0)) {
		snprintf(why, whylen, "%s: must be more than 0 phones per second", v);
		return -1;
	}
	cfg->rate = r;
	return 0;
}

static int set_ramp_mode(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {"constant", "linear", "step"};
	int k = set_word(v, words, 3, why, whylen);

	if (k < 0)
		return -1;
	cfg->ramp.mode = (enum ramp_mode)k;
	return 0;
}

static int set_rate_max(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_double(v, DBL_MIN, DBL_MAX, &cfg->ramp.rate_max) < 0) {
		snprintf(why, whylen, "\"%s\" is not a number of phones per second above 0", v);
		return -1;
	}
	return 0;
}

static int set_ramp_time(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, true, &cfg->ramp.ramp_us, why, whylen);
}

static int set_step(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (set_whole(v, 1, 1000000, &n, why, whylen) < 0)
		return -1;
	cfg->ramp.step = (uint32_t)n;
	return 0;
}

static int set_step_hold(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->ramp.hold_us, why, whylen);
}

static int set_stop_failures(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_share(v, &cfg->stop_failures) || cfg->stop_failures <= 0) {
		snprintf(why, whylen, "\"%s\" is not a share above 0 (5%% or 0.05)", v);
		return -1;
	}
	cfg->capacity = true;
	return 0;
}

static int set_stop_p99(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (set_duration(v, true, &cfg->stop_p99_us, why, whylen) < 0)
		return -1;
	cfg->capacity = true;
	return 0;
}

static int set_stop_refusals(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (set_whole(v, 1, 1000000, &n, why, whylen) < 0)
		return -1;
	cfg->stop_refusals = (uint32_t)n;
	cfg->capacity = true;
	return 0;
}

static int set_capacity_hold(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->capacity_hold_us, why, whylen);
}

static int set_run_duration(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->duration_us, why, whylen);
}

static int set_connect_timeout(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	cfg->connect_timeout_given = true;
	return set_duration(v, true, &cfg->connect_timeout_us, why, whylen);
}

static int set_interval(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (set_duration(v, true, &cfg->interval_us, why, whylen) < 0)
		return -1;
	if (cfg->interval_us < 100000) {
		snprintf(why, whylen, "\"%s\" is shorter than 100ms", v);
		return -1;
	}
	return 0;
}

static int set_checkpoint(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->checkpoint_us, why, whylen);
}

static int set_priority(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {"normal", "realtime"};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	cfg->realtime = i == 1;
	return 0;
}

static int set_threads(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (set_whole(v, 0, CONFIG_MAX_THREADS, &n, why, whylen) < 0)
		return -1;
	cfg->threads = (int)n;
	return 0;
}

static int set_dtls_mode(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	int i = set_word(v, dtls_mode_names, DTLS_MODE__COUNT, why, whylen);

	if (i < 0)
		return -1;
	cfg->dtls_mode = (enum dtls_mode)i;
	return 0;
}

static int set_tftp(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (inet_pton(AF_INET, v, &cfg->tftp) != 1) {
		snprintf(why, whylen, "\"%s\" is not an IPv4 address", v);
		return -1;
	}
	return 0;
}

static int set_fetch_config(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {
	    [FETCH_NEVER] = "never",
	    [FETCH_ON_CONNECT] = "on_connect",
	};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	cfg->fetch_config = (enum fetch_policy)i;
	return 0;
}

static int set_reconnect(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {
	    [RECONNECT_ON_DROP] = "on_drop",
	    [RECONNECT_ALWAYS] = "always",
	    [RECONNECT_NEVER] = "never",
	};
	int i = set_word(v, words, 3, why, whylen);

	if (i < 0)
		return -1;
	cfg->reconnect = (enum reconnect_policy)i;
	return 0;
}

static int set_backoff(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, true, &cfg->backoff_us, why, whylen);
}

static int set_dtls_on_failure(struct swarm_config *cfg, const char *v, char *why,
			       size_t whylen)
{
	static const char *const words[] = {"tls", "abort"};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	cfg->dtls_abort = i == 1;
	return 0;
}

static int set_dtls_retry(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->dtls_retry_us, why, whylen);
}

/* dtls.records, phones.tls_records, phones.dtls_handshake: own or openssl (*openssl) */
static int set_records(const char *v, bool *openssl, char *why, size_t whylen)
{
	static const char *const words[] = {"own", "openssl"};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	*openssl = i == 1;
	return 0;
}

static int set_dtls_records(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_records(v, &cfg->dtls_openssl_records, why, whylen);
}

static int set_tls_records(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_records(v, &cfg->tls_openssl_records, why, whylen);
}

static int set_dtls_handshake(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_records(v, &cfg->dtls_openssl_handshake, why, whylen);
}

static int set_codec(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	const struct codec *c = codec_find(v);

	if (!c) {
		snprintf(why, whylen, "\"%s\" is not g711, g729 or g722", v);
		return -1;
	}
	snprintf(cfg->codec, sizeof(cfg->codec), "%s", c->name);
	return 0;
}

static int set_ptime(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (set_duration(v, true, &cfg->ptime_us, why, whylen))
		return -1;
	if (cfg->ptime_us % 10000 || cfg->ptime_us > 120000) {
		snprintf(why, whylen, "\"%s\" is not 10ms, 20ms, ... 120ms", v);
		return -1;
	}
	return 0;
}

static int set_calls(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_share(v, &cfg->calls)) {
		snprintf(why, whylen, "\"%s\" is not a share such as 30%% or 0.3", v);
		return -1;
	}
	return 0;
}

static int set_call_duration(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, true, &cfg->call_duration_us, why, whylen);
}

static int set_target(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	char host[64];
	const char *colon = strrchr(v, ':');
	uint64_t port;

	cfg->voice_p2p = strcasecmp(v, "phones") == 0;
	if (cfg->voice_p2p) {
		memset(&cfg->voice_target, 0, sizeof(cfg->voice_target));
		return 0;
	}
	if (!colon || (size_t)(colon - v) >= sizeof(host) || value_uint(colon + 1, 1, 65535, &port))
		goto out_bad;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = 0;
	cfg->voice_target.sin_family = AF_INET;
	cfg->voice_target.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &cfg->voice_target.sin_addr) != 1)
		goto out_bad;
	return 0;
out_bad:
	snprintf(why, whylen, "\"%s\" is not ADDR:PORT (an IPv4 address inside the network) or phones", v);
	return -1;
}

static int set_path(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {"tunnel", "direct"};
	int i = set_word(v, words, 2, why, whylen);

	if (i < 0)
		return -1;
	cfg->voice_direct = i == 1;
	return 0;
}

static int set_jitter_buffer(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->jitter_buffer_us, why, whylen);
}

/* ==== Sections and keys ==== */

static const char *const sections[] = {"headend", "phones", "ramp",	 "run",
				       "dtls",	  "traffic", "capacity"};

const struct key scenario_keys[K__COUNT] = {
    [K_URL] = {"headend", "url", set_url, NULL},
    [K_SPREAD] = {"headend", "spread", set_spread, NULL},
    [K_CERT_HASHES] = {"headend", "cert_hashes", set_cert_hashes, NULL},
    [K_CNF] = {"headend", "cnf", set_cnf, NULL},
    [K_DNS] = {"headend", "dns", set_dns, NULL},
    [K_HOST_ID] = {"headend", "host_id_check", set_host_id, "false"},
    [K_COUNT] = {"phones", "count", set_count, NULL},
    [K_MODELS] = {"phones", "models", set_models, "8861"},
    [K_AUTH] = {"phones", "auth", set_auth, "certificate"},
    [K_USER] = {"phones", "user", set_user, NULL},
    [K_PASSWORD] = {"phones", "password", set_password, NULL},
    [K_CA_CERT] = {"phones", "ca_cert", set_ca_cert, NULL},
    [K_CA_KEY] = {"phones", "ca_key", set_ca_key, NULL},
    [K_SOURCE] = {"phones", "source", set_source, NULL},
    [K_MAC_BASE] = {"phones", "mac_base", set_mac_base, "02:ab:00:00:00:00"},
    [K_IDENTITY] = {"phones", "identity", set_identity, "mic"},
    [K_VALIDITY] = {"phones", "cert_validity", set_validity, "valid"},
    [K_MIC_CA] = {"phones", "mic_ca", set_mic_ca, NULL},
    [K_MIC_CA_KEY] = {"phones", "mic_ca_key", set_mic_ca_key, NULL},
    [K_MIC_SHA1_CA] = {"phones", "mic_sha1_ca", set_mic_sha1_ca, NULL},
    [K_MIC_SHA1_CA_KEY] = {"phones", "mic_sha1_ca_key", set_mic_sha1_ca_key, NULL},
    [K_LSC_CA] = {"phones", "lsc_ca", set_lsc_ca, NULL},
    [K_LSC_CA_KEY] = {"phones", "lsc_ca_key", set_lsc_ca_key, NULL},
    [K_RATE] = {"ramp", "rate", set_rate, "10"},
    [K_DURATION] = {"run", "duration", set_run_duration, "60s"},
    [K_CONNECT_TIMEOUT] = {"run", "connect_timeout", set_connect_timeout, NULL},
    [K_THREADS] = {"run", "threads", set_threads, "0"},
    [K_DTLS_MODE] = {"dtls", "mode", set_dtls_mode, "auto"},
    [K_RECONNECT] = {"phones", "reconnect", set_reconnect, "on_drop"},
    [K_BACKOFF] = {"phones", "reconnect_backoff", set_backoff, "10s"},
    [K_DTLS_ON_FAILURE] = {"dtls", "on_failure", set_dtls_on_failure, "tls"},
    [K_DTLS_RETRY] = {"dtls", "retry", set_dtls_retry, "60s"},
    [K_CODEC] = {"traffic", "codec", set_codec, "g711"},
    [K_PTIME] = {"traffic", "ptime", set_ptime, "20ms"},
    [K_CALLS] = {"traffic", "calls", set_calls, "0"},
    [K_CALL_DURATION] = {"traffic", "call_duration", set_call_duration, "180s"},
    [K_TARGET] = {"traffic", "target", set_target, NULL},
    [K_JITTER_BUFFER] = {"traffic", "jitter_buffer", set_jitter_buffer, "60ms"},
    [K_INTERVAL] = {"run", "interval", set_interval, "1s"},
    [K_CHECKPOINT] = {"run", "checkpoint", set_checkpoint, "0"},
    [K_PRIORITY] = {"run", "priority", set_priority, "normal"},
    [K_RAMP_MODE] = {"ramp", "mode", set_ramp_mode, "constant"},
    [K_RATE_MAX] = {"ramp", "rate_max", set_rate_max, NULL},
    [K_RAMP_TIME] = {"ramp", "ramp_time", set_ramp_time, NULL},
    [K_STEP] = {"ramp", "step", set_step, NULL},
    [K_STEP_HOLD] = {"ramp", "step_hold", set_step_hold, "0"},
    [K_STOP_FAILURES] = {"capacity", "stop_failures", set_stop_failures, NULL},
    [K_STOP_P99] = {"capacity", "stop_p99", set_stop_p99, NULL},
    [K_STOP_REFUSALS] = {"capacity", "stop_refusals", set_stop_refusals, NULL},
    [K_CAPACITY_HOLD] = {"capacity", "hold", set_capacity_hold, "10s"},
    [K_TFTP] = {"phones", "tftp", set_tftp, "198.18.0.53"},
    [K_FETCH_CONFIG] = {"phones", "fetch_config", set_fetch_config, "never"},
    [K_FREEBIND] = {"phones", "freebind", set_freebind, "false"},
    [K_CLIENT] = {"phones", "client", set_client, "phone"},
    [K_DTLS_RECORDS] = {"dtls", "records", set_dtls_records, "own"},
    [K_TLS_RECORDS] = {"phones", "tls_records", set_tls_records, "own"},
    [K_DTLS_HANDSHAKE] = {"phones", "dtls_handshake", set_dtls_handshake, "own"},
    [K_PATH] = {"traffic", "path", set_path, "tunnel"},
};

/* 0 for a section we understand; -1 with the reason written in why. */
int scenario_keys_check_section(const char *name, char *why, size_t whylen)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (strcmp(name, sections[i]) == 0)
			return 0;
	}
	if (strcmp(name, "expect") == 0 || strncmp(name, "event.", 6) == 0)
		return 0;
	if (strcmp(name, "event") == 0)
		snprintf(why, whylen, "[event]: give the event a name: [event.NAME]");
	else
		snprintf(why, whylen, "[%s]: unknown section", name);
	return -1;
}

int scenario_keys_find(const char *section, const char *name)
{
	for (int i = 0; i < K__COUNT; i++) {
		if (strcmp(scenario_keys[i].section, section) == 0 &&
		    strcmp(scenario_keys[i].name, name) == 0)
			return i;
	}
	return -1;
}
