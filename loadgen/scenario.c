/*
 * loadgen/scenario.c - a scenario file and its -s overrides into a config.
 *
 * inih splits the file into (section, key, value); a table below maps each
 * known key to a setter that parses the value with loadgen/value.c and
 * stores it in struct swarm_config. The file is read through our own inih
 * reader so that we know the line every callback comes from (the Debian
 * build of inih does not pass line numbers) and so that a section header
 * is checked when it is read, even if the section holds no keys.
 *
 * Policy, all of it documented in scenarios/README.md:
 *   - unknown sections and keys are errors, and so are the sections a later
 *     version will understand ([expect], [event.*]): a test whose
 *     expectations were silently ignored would pass when it should not;
 *   - a key given twice in the file is an error naming both lines; -s
 *     overrides are applied after the file, in order, and the last one wins;
 *   - required keys are checked once the overrides are in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loadgen/scenario.h"

#include "loadgen/event.h"
#include "engine/cnf.h"
#include "engine/codec.h"
#include "loadgen/value.h"

/* Longest line accepted, without its newline: ten hex hashes fit easily. */
#define SCENARIO_LINE_MAX 16384

/* ==== Value setters ==== */

/*
 * A setter parses one value into cfg. On error it returns -1 and writes in
 * why what is wrong with the value; the caller adds where and which key.
 * Setters replace what an earlier setting of the same key stored.
 */
typedef int (*key_setter)(struct swarm_config *cfg, const char *v, char *why, size_t whylen);

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

/* A path that must name a readable file now, not when the run starts. */
static int set_readable_path(char **field, const char *v, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	fd = open(v, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", v, strerror(errno));
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

/* "https://" then a host, then optionally ":port" (1..65535) and a path. */
static int set_url(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	const char *host = v + 8, *p;

	if (strncasecmp(v, "https://", 8) != 0)
		goto out_bad;
	if (*host == '[') { /* IPv6 literal */
		p = strchr(host, ']');
		if (!p || p == host + 1)
			goto out_bad;
		p++;
	} else {
		p = host + strcspn(host, ":/?#");
		if (p == host)
			goto out_bad;
	}
	if (*p == ':') {
		const char *port = ++p;
		unsigned long n = 0;

		while (*p >= '0' && *p <= '9' && n <= 65535)
			n = n * 10 + (unsigned long)(*p++ - '0');
		if (p == port || n == 0 || n > 65535)
			goto out_bad;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		goto out_bad;
	if (strpbrk(v, " \t"))
		goto out_bad;
	return set_string(&cfg->url, v, why, whylen);

out_bad:
	snprintf(why, whylen, "\"%s\" is not an https:// URL with a host", v);
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
		snprintf(why, whylen, "%s: %s", v + 1, strerror(-rc));
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

static int set_models(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	if (value_models(v, cfg->models, CONFIG_MAX_MODELS, &cfg->n_models) < 0) {
		snprintf(why, whylen,
			 "\"%s\" is not a model mix such as 8861:60,7962:40 "
			 "(at most %d models; percentages must sum to 100%%)",
			 v, CONFIG_MAX_MODELS);
		return -1;
	}
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

static int set_threads(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	uint64_t n;

	if (set_whole(v, 0, 256, &n, why, whylen) < 0)
		return -1;
	cfg->threads = (int)n;
	return 0;
}

static int set_dtls_mode(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	static const char *const words[] = {
	    [DTLS_MODE_AUTO] = "auto",
	    [DTLS_MODE_LEGACY] = "legacy",
	    [DTLS_MODE_PSK] = "psk",
	    [DTLS_MODE_OFF] = "off",
	};
	int i = set_word(v, words, 4, why, whylen);

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

static int set_jitter_buffer(struct swarm_config *cfg, const char *v, char *why, size_t whylen)
{
	return set_duration(v, false, &cfg->jitter_buffer_us, why, whylen);
}

/* ==== Sections and keys ==== */

static const char *const sections[] = {"headend", "phones", "ramp",	 "run",
				       "dtls",	  "traffic", "capacity"};

enum key_id {
	K_URL,
	K_CERT_HASHES,
	K_CNF,
	K_DNS,
	K_HOST_ID,
	K_COUNT,
	K_MODELS,
	K_AUTH,
	K_USER,
	K_PASSWORD,
	K_CA_CERT,
	K_CA_KEY,
	K_SOURCE,
	K_MAC_BASE,
	K_IDENTITY,
	K_VALIDITY,
	K_MIC_CA,
	K_MIC_CA_KEY,
	K_MIC_SHA1_CA,
	K_MIC_SHA1_CA_KEY,
	K_LSC_CA,
	K_LSC_CA_KEY,
	K_RATE,
	K_DURATION,
	K_CONNECT_TIMEOUT,
	K_THREADS,
	K_DTLS_MODE,
	K_RECONNECT,
	K_BACKOFF,
	K_DTLS_ON_FAILURE,
	K_DTLS_RETRY,
	K_CODEC,
	K_PTIME,
	K_CALLS,
	K_CALL_DURATION,
	K_TARGET,
	K_JITTER_BUFFER,
	K_INTERVAL,
	K_CHECKPOINT,
	K_RAMP_MODE,
	K_RATE_MAX,
	K_RAMP_TIME,
	K_STEP,
	K_STEP_HOLD,
	K_STOP_FAILURES,
	K_STOP_P99,
	K_STOP_REFUSALS,
	K_CAPACITY_HOLD,
	K_TFTP,
	K_FETCH_CONFIG,
	K__COUNT
};

static const struct key {
	const char *section;
	const char *name;
	key_setter set;
} keys[K__COUNT] = {
    [K_URL] = {"headend", "url", set_url},
    [K_CERT_HASHES] = {"headend", "cert_hashes", set_cert_hashes},
    [K_CNF] = {"headend", "cnf", set_cnf},
    [K_DNS] = {"headend", "dns", set_dns},
    [K_HOST_ID] = {"headend", "host_id_check", set_host_id},
    [K_COUNT] = {"phones", "count", set_count},
    [K_MODELS] = {"phones", "models", set_models},
    [K_AUTH] = {"phones", "auth", set_auth},
    [K_USER] = {"phones", "user", set_user},
    [K_PASSWORD] = {"phones", "password", set_password},
    [K_CA_CERT] = {"phones", "ca_cert", set_ca_cert},
    [K_CA_KEY] = {"phones", "ca_key", set_ca_key},
    [K_SOURCE] = {"phones", "source", set_source},
    [K_MAC_BASE] = {"phones", "mac_base", set_mac_base},
    [K_IDENTITY] = {"phones", "identity", set_identity},
    [K_VALIDITY] = {"phones", "cert_validity", set_validity},
    [K_MIC_CA] = {"phones", "mic_ca", set_mic_ca},
    [K_MIC_CA_KEY] = {"phones", "mic_ca_key", set_mic_ca_key},
    [K_MIC_SHA1_CA] = {"phones", "mic_sha1_ca", set_mic_sha1_ca},
    [K_MIC_SHA1_CA_KEY] = {"phones", "mic_sha1_ca_key", set_mic_sha1_ca_key},
    [K_LSC_CA] = {"phones", "lsc_ca", set_lsc_ca},
    [K_LSC_CA_KEY] = {"phones", "lsc_ca_key", set_lsc_ca_key},
    [K_RATE] = {"ramp", "rate", set_rate},
    [K_DURATION] = {"run", "duration", set_run_duration},
    [K_CONNECT_TIMEOUT] = {"run", "connect_timeout", set_connect_timeout},
    [K_THREADS] = {"run", "threads", set_threads},
    [K_DTLS_MODE] = {"dtls", "mode", set_dtls_mode},
    [K_RECONNECT] = {"phones", "reconnect", set_reconnect},
    [K_BACKOFF] = {"phones", "reconnect_backoff", set_backoff},
    [K_DTLS_ON_FAILURE] = {"dtls", "on_failure", set_dtls_on_failure},
    [K_DTLS_RETRY] = {"dtls", "retry", set_dtls_retry},
    [K_CODEC] = {"traffic", "codec", set_codec},
    [K_PTIME] = {"traffic", "ptime", set_ptime},
    [K_CALLS] = {"traffic", "calls", set_calls},
    [K_CALL_DURATION] = {"traffic", "call_duration", set_call_duration},
    [K_TARGET] = {"traffic", "target", set_target},
    [K_JITTER_BUFFER] = {"traffic", "jitter_buffer", set_jitter_buffer},
    [K_INTERVAL] = {"run", "interval", set_interval},
    [K_CHECKPOINT] = {"run", "checkpoint", set_checkpoint},
    [K_RAMP_MODE] = {"ramp", "mode", set_ramp_mode},
    [K_RATE_MAX] = {"ramp", "rate_max", set_rate_max},
    [K_RAMP_TIME] = {"ramp", "ramp_time", set_ramp_time},
    [K_STEP] = {"ramp", "step", set_step},
    [K_STEP_HOLD] = {"ramp", "step_hold", set_step_hold},
    [K_STOP_FAILURES] = {"capacity", "stop_failures", set_stop_failures},
    [K_STOP_P99] = {"capacity", "stop_p99", set_stop_p99},
    [K_STOP_REFUSALS] = {"capacity", "stop_refusals", set_stop_refusals},
    [K_CAPACITY_HOLD] = {"capacity", "hold", set_capacity_hold},
    [K_TFTP] = {"phones", "tftp", set_tftp},
    [K_FETCH_CONFIG] = {"phones", "fetch_config", set_fetch_config},
};

/* The state of one scenario_load() call. */
struct load {
	struct swarm_config *cfg; /* borrowed: being filled */
	const char *path;	  /* borrowed: the scenario file's name */
	FILE *f;		  /* owned: the scenario file */
	char *line;		  /* owned: the line being fed to inih */
	size_t linecap, linelen;  /* bytes allocated, bytes in line */
	size_t fed;		  /* bytes of line already given to inih */
	int lineno;		  /* 1-based number of that line */
	int set_on[K__COUNT];	  /* line a key was set on; -1: by -s; 0: unset */
	struct timeline_spec *tl; /* borrowed: events and expectations go here */
	bool in_expect;		  /* the lines being read are [expect]'s */
	int section_line;	  /* line of the last section header */
	bool failed;		  /* err holds the message */
	char *err;		  /* borrowed: the caller's buffer */
	size_t errlen;
};

/* Write the error message "WHERE: WHAT" once; later failures keep the first. */
__attribute__((format(printf, 3, 4))) static void fail(struct load *ld, const char *where,
						       const char *fmt, ...)
{
	va_list ap;
	int off;

	if (ld->failed)
		return;
	ld->failed = true;
	off = snprintf(ld->err, ld->errlen, "%s: ", where);
	if (off < 0 || (size_t)off >= ld->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ld->err + off, ld->errlen - (size_t)off, fmt, ap);
	va_end(ap);
}

/* 0 for a section we understand; -1 with the reason written in why. */
static int check_section(const char *name, char *why, size_t whylen)
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

static int find_key(const char *section, const char *name)
{
	for (int i = 0; i < K__COUNT; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * Set section.name to value, found at where (a "file:line" or "-s ..."
 * prefix for messages); lineno is the file line, or -1 for an override.
 */
static int apply(struct load *ld, const char *where, const char *section, const char *name,
		 const char *value, int lineno)
{
	char why[1024];
	int k;

	if (check_section(section, why, sizeof(why)) < 0) {
		fail(ld, where, "%s", why);
		return -1;
	}
	if (strncmp(section, "event.", 6) == 0) {
		if (event_set(ld->tl, section + 6, name, value, lineno > 0 ? ld->section_line : 0,
			      why, sizeof(why)) < 0) {
			fail(ld, where, "%s.%s: %s", section, name, why);
			return -1;
		}
		return 0;
	}
	if (strcmp(section, "expect") == 0) {
		fail(ld, where, "[expect]: expectations are lines of the file, not -s overrides");
		return -1;
	}
	k = find_key(section, name);
	if (k < 0) {
		fail(ld, where, "%s.%s: unknown key", section, name);
		return -1;
	}
	if (lineno > 0 && ld->set_on[k] > 0) {
		fail(ld, where, "%s.%s: given twice (first on line %d)", section, name,
		     ld->set_on[k]);
		return -1;
	}
	if (*value == '\0') {
		fail(ld, where, "%s.%s: empty value", section, name);
		return -1;
	}
	if (keys[k].set(ld->cfg, value, why, sizeof(why)) < 0) {
		fail(ld, where, "%s.%s: %s", section, name, why);
		return -1;
	}
	ld->set_on[k] = lineno;
	return 0;
}

/* ==== Reading the file ==== */

/*
 * Check a section header as soon as it is read, so that an unknown or
 * unsupported section is reported even when no key follows it. Lines that
 * are not "[name]" are left to inih.
 */
static int check_header(struct load *ld)
{
	char *p = ld->line, *close, where[4200], why[1024];

	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* UTF-8 BOM, which inih skips too */
	p += strspn(p, " \t");
	if (*p != '[')
		return 0;
	close = strchr(p, ']');
	if (!close)
		return 0;
	*close = '\0';
	ld->in_expect = strcmp(p + 1, "expect") == 0;
	ld->section_line = ld->lineno;
	if (check_section(p + 1, why, sizeof(why)) < 0) {
		snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
		fail(ld, where, "%s", why);
	}
	*close = ']';
	return ld->failed ? -1 : 0;
}

/*
 * An [expect] line is not "key = value": it is read here, whole, and inih
 * is given an empty line in its place (so that line numbers stay right).
 */
static int take_expect(struct load *ld)
{
	const char *p = ld->line + strspn(ld->line, " \t\r\n");
	char where[4200], why[512];

	if (*p == '\0' || *p == ';' || *p == '#' || *p == '[')
		return 0;
	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (ld->tl->n_ex == TIMELINE_MAX_EXPECTS) {
		fail(ld, where, "[expect]: more than %d expectations", TIMELINE_MAX_EXPECTS);
		return -1;
	}
	if (expect_parse(ld->line, &ld->tl->ex[ld->tl->n_ex], why, sizeof(why))) {
		fail(ld, where, "expect: %s", why);
		return -1;
	}
	ld->tl->ex_line[ld->tl->n_ex++] = ld->lineno;
	ld->line[0] = '\n';
	ld->line[1] = '\0';
	ld->linelen = 1;
	return 0;
}

/*
 * inih's fgets-like reader. Lines are read whole with getline() and handed
 * over in pieces of at most num - 1 bytes (inih asks again, with a bigger
 * buffer, until it has seen the newline), which tells us the number of the
 * line inih is working on. Every line is given a newline so that inih
 * never glues the next line onto a last line without one. Returns NULL at
 * the end of the file or to stop on an error (ld->failed).
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load *ld = stream;
	size_t n;

	if (ld->failed || num < 2)
		return NULL;
	if (ld->fed == ld->linelen) {
		ssize_t got = getline(&ld->line, &ld->linecap, ld->f);

		if (got < 0)
			return NULL;
		ld->lineno++;
		ld->linelen = (size_t)got;
		ld->fed = 0;
		if (got == 0 || ld->line[got - 1] != '\n') {
			if (ld->linecap < (size_t)got + 2) {
				char *bigger = realloc(ld->line, (size_t)got + 2);

				if (!bigger)
					return NULL;
				ld->line = bigger;
				ld->linecap = (size_t)got + 2;
			}
			ld->line[ld->linelen++] = '\n';
			ld->line[ld->linelen] = '\0';
		}
		if (ld->linelen - 1 > SCENARIO_LINE_MAX) {
			char where[4200];

			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
			fail(ld, where, "line longer than %d characters", SCENARIO_LINE_MAX);
			return NULL;
		}
		if (check_header(ld) < 0)
			return NULL;
		if (ld->in_expect && take_expect(ld) < 0)
			return NULL;
	}
	n = ld->linelen - ld->fed;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, ld->line + ld->fed, n);
	str[n] = '\0';
	ld->fed += n;
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	char where[4200];

	snprintf(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (*section == '\0') {
		fail(ld, where, "%s: key outside any [section]", name);
		return 0;
	}
	return apply(ld, where, section, name, value, ld->lineno) == 0;
}

/*
 * Run inih over the file with the settings this format needs. The knobs are
 * process-wide variables of Debian's libinih (upstream has them as
 * compile-time macros): a heap line buffer that grows, so that long lists
 * of hashes fit; no continuation lines, so that an indented key is a key;
 * stop at the first error. They are put back as they were afterwards.
 */
static void parse_file(struct load *ld)
{
	bool use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
	bool multiline = ini_allow_multiline, stop = ini_stop_on_first_error;
	int max_line = ini_max_line, rc;
	char where[4200];

	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = SCENARIO_LINE_MAX + 3;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(read_line, ld, on_key, ld);
	ini_use_stack = use_stack;
	ini_allow_realloc = allow_realloc;
	ini_max_line = max_line;
	ini_allow_multiline = multiline;
	ini_stop_on_first_error = stop;

	if (ld->failed)
		return;
	if (ferror(ld->f)) {
		fail(ld, ld->path, "%s", strerror(EIO));
	} else if (rc == -2) {
		fail(ld, ld->path, "out of memory");
	} else if (rc > 0) {
		snprintf(where, sizeof(where), "%s:%d", ld->path, rc);
		fail(ld, where, "not a [section] or a key = value line");
	}
}

/* ==== Overrides and required keys ==== */

static void trim(char *s)
{
	size_t len = strlen(s), lead = strspn(s, " \t");

	while (len > lead && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	memmove(s, s + lead, len - lead);
	s[len - lead] = '\0';
}

/* "section.key=value"; the section is what precedes the last dot. */
static int apply_override(struct load *ld, const char *ov)
{
	char where[4200], why[1024], *copy, *eq, *dot;
	int rc = -1;

	snprintf(where, sizeof(where), "-s %s", ov);
	copy = strdup(ov);
	if (!copy) {
		fail(ld, where, "out of memory");
		return -1;
	}
	eq = strchr(copy, '=');
	if (!eq)
		goto out_syntax;
	*eq = '\0';
	trim(copy);
	trim(eq + 1);
	dot = strrchr(copy, '.');
	if (!dot || dot == copy || dot[1] == '\0')
		goto out_syntax;
	*dot = '\0';
	if (check_section(copy, why, sizeof(why)) < 0) {
		fail(ld, where, "%s", why);
		goto out_free;
	}
	rc = apply(ld, where, copy, dot + 1, eq + 1, -1);
	goto out_free;

out_syntax:
	fail(ld, where, "expected section.key=value");
out_free:
	free(copy);
	return rc;
}

/* Each required key that is missing, with the condition that requires it. */
static void check_required(struct load *ld)
{
	const struct swarm_config *cfg = ld->cfg;
	static const struct {
		enum key_id key;
		int auth; /* -1: always; else only for this auth method */
	} required[] = {
	    {K_COUNT, -1},
	    {K_USER, AUTH_PASSWORD},
	    {K_PASSWORD, AUTH_PASSWORD},
	};

	if (!ld->set_on[K_CERT_HASHES] && !ld->set_on[K_CNF])
		fail(ld, ld->path,
		     "headend.cert_hashes: required key missing "
		     "(or give headend.cnf)");
	if (!ld->set_on[K_URL] && !ld->set_on[K_CNF])
		fail(ld, ld->path, "headend.url: required key missing (or give headend.cnf)");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const struct key *k = &keys[required[i].key];

		if (ld->set_on[required[i].key])
			continue;
		if (required[i].auth < 0)
			fail(ld, ld->path, "%s.%s: required key missing", k->section, k->name);
		else if ((int)cfg->auth == required[i].auth)
			fail(ld, ld->path, "%s.%s: required key missing (phones.auth is %s)",
			     k->section, k->name,
			     cfg->auth == AUTH_CERTIFICATE ? "certificate" : "password");
	}
	/* certificate phones need a CA (and its key) to mint their identities */
	static const struct {
		enum key_id cert, key;
	} pairs[] = {{K_CA_CERT, K_CA_KEY},
		     {K_MIC_CA, K_MIC_CA_KEY},
		     {K_MIC_SHA1_CA, K_MIC_SHA1_CA_KEY},
		     {K_LSC_CA, K_LSC_CA_KEY}};
	bool any = false;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]) && cfg->auth == AUTH_CERTIFICATE;
	     i++) {
		bool c = ld->set_on[pairs[i].cert], k = ld->set_on[pairs[i].key];
		const struct key *missing = &keys[c ? pairs[i].key : pairs[i].cert];

		if (c != k)
			fail(ld, ld->path, "%s.%s: required key missing (phones.auth is certificate)",
			     missing->section, missing->name);
		any |= c && k;
	}
	if (cfg->auth == AUTH_CERTIFICATE && !any)
		fail(ld, ld->path, "phones.ca_cert: required key missing (phones.auth is certificate)");
	if (cfg->ramp.mode == RAMP_LINEAR && (!ld->set_on[K_RATE_MAX] || !ld->set_on[K_RAMP_TIME]))
		fail(ld, ld->path, "ramp.%s: required key missing (ramp.mode is linear)",
		     ld->set_on[K_RATE_MAX] ? "ramp_time" : "rate_max");
	if (cfg->ramp.mode == RAMP_STEP && !ld->set_on[K_STEP])
		fail(ld, ld->path, "ramp.step: required key missing (ramp.mode is step)");
	if (cfg->calls > 0 && !ld->set_on[K_TARGET])
		fail(ld, ld->path, "traffic.target: required key missing (traffic.calls is above 0)");
	if (cfg->mac_base + cfg->count - 1 > 0xFFFFFFFFFFFFULL)
		fail(ld, ld->path,
		     "phones.mac_base: %012llx plus %u phones passes "
		     "ff:ff:ff:ff:ff:ff",
		     (unsigned long long)cfg->mac_base, cfg->count);
}

/*
 * Take what headend.cnf gives: the URLs (url1 first, the others for
 * failover) and trusted hashes, unless headend.url / headend.cert_hashes
 * were given too (the keys win), and the host-ID check unless
 * headend.host_id_check was given.
 */
static void apply_cnf(struct load *ld)
{
	struct swarm_config *cfg = ld->cfg;
	struct phone_cnf cnf;
	char why[512];
	int line = ld->set_on[K_CNF];

	if (cnf_load(cfg->cnf, &cnf, why, sizeof(why))) {
		char where[4200];

		if (line > 0)
			snprintf(where, sizeof(where), "%s:%d", ld->path, line);
		else
			snprintf(where, sizeof(where), "-s headend.cnf=%s", cfg->cnf);
		fail(ld, where, "headend.cnf: %s", why);
		return;
	}
	if (!ld->set_on[K_URL]) {
		cfg->url = strdup(cnf.urls[0]);
		for (int i = 1; i < cnf.n_urls && i < CONFIG_MAX_URLS; i++)
			cfg->more_urls[cfg->n_more_urls++] = strdup(cnf.urls[i]);
	}
	if (!ld->set_on[K_CERT_HASHES]) {
		memcpy(cfg->cert_hashes, cnf.hashes, sizeof(cnf.hashes));
		cfg->n_cert_hashes = cnf.n_hashes;
	}
	if (!ld->set_on[K_HOST_ID])
		cfg->host_id_check = cnf.host_id_check;
}

/* Events complete, anchors resolve, windows of expectations name events. */
static void check_timeline(struct load *ld)
{
	char where[4200], why[512];
	int line = 0;

	if (event_check(ld->tl, why, sizeof(why), &line)) {
		if (line > 0)
			snprintf(where, sizeof(where), "%s:%d", ld->path, line);
		else
			snprintf(where, sizeof(where), "%s", ld->path);
		fail(ld, where, "%s", why);
		return;
	}
	for (int i = 0; i < ld->tl->n_ex; i++) {
		const struct expect *e = &ld->tl->ex[i];
		const char *points[2] = {e->from, e->to};

		for (int k = 0; k < 2; k++) {
			if (!points[k][0] || !strcmp(points[k], "start") || !strcmp(points[k], "end") ||
			    event_find(ld->tl, points[k]))
				continue;
			snprintf(where, sizeof(where), "%s:%d", ld->path, ld->tl->ex_line[i]);
			fail(ld, where, "expect: during %s..%s: no event called \"%s\"", e->from,
			     e->to, points[k]);
			return;
		}
	}
}

int scenario_load(const char *path, const char *const *overrides, int n_overrides,
		  struct swarm_config *cfg, char *err, size_t errlen)
{
	struct timeline_spec *tl = calloc(1, sizeof(*tl));
	int rc;

	if (!tl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = scenario_load_run(path, overrides, n_overrides, cfg, tl, err, errlen);
	free(tl);
	return rc;
}

int scenario_load_run(const char *path, const char *const *overrides, int n_overrides,
		      struct swarm_config *cfg, struct timeline_spec *tl, char *err, size_t errlen)
{
	struct load ld = {
	    .cfg = cfg,
	    .path = path,
	    .err = err,
	    .errlen = errlen,
	    .tl = tl,
	};

	config_defaults(cfg);
	if (errlen > 0)
		err[0] = '\0';
	ld.f = fopen(path, "r");
	if (!ld.f) {
		fail(&ld, path, "%s", strerror(errno));
		return -1;
	}
	parse_file(&ld);
	free(ld.line);
	fclose(ld.f);
	for (int i = 0; i < n_overrides && !ld.failed; i++)
		apply_override(&ld, overrides[i]);
	if (!ld.failed)
		check_required(&ld);
	if (!ld.failed)
		check_timeline(&ld);
	if (!ld.failed && cfg->cnf)
		apply_cnf(&ld);
	if (ld.failed) {
		config_free(cfg);
		return -1;
	}
	return 0;
}
