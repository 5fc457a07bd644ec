/*
 * engine/config.c - defaults and release of a swarm description, the DTLS
 * modes' names, and the rules that hold across its keys (each identity's
 * CA, DNS for a URL that names a host), for the scenario loader and the
 * swarm alike.
 *
 * The defaults are those of a scenario file that gives only the required
 * keys: one Cisco 8861 with its own certificate, arriving at 10 phones per
 * second, staying up for a minute, with the phone's 30 s "Fail to Connect"
 * timer and whatever DTLS flavour the headend picks.
 */
#include "engine/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/proto/url.h"
#include "engine/trust/identity.h"
#include "engine/trust/model.h"

/*
 * First phone MAC when the scenario gives none: 02:AB:00:00:00:00, a
 * locally administered unicast address, so a swarm never borrows a real
 * vendor's OUI. Phone i gets mac_base + i.
 */
#define CONFIG_DEFAULT_MAC_BASE 0x02AB00000000ULL
/* The lab's TFTP server (dnsmasq in the headend's namespace), reached through the tunnel. */
#define CONFIG_DEFAULT_TFTP "198.18.0.53"

const char *const dtls_mode_names[DTLS_MODE__COUNT] = {
	[DTLS_MODE_AUTO] = "auto",
	[DTLS_MODE_LEGACY] = "legacy",
	[DTLS_MODE_PSK] = "psk",
	[DTLS_MODE_OFF] = "off",
};

const char *const client_names[CLIENT__COUNT] = {
	[CLIENT_PHONE] = "phone",
	[CLIENT_ANYCONNECT] = "anyconnect",
};

int dtls_mode_parse(const char *name)
{
	for (int m = 0; m < DTLS_MODE__COUNT; m++)
		if (!strcmp(name, dtls_mode_names[m]))
			return m;
	return -1;
}

void config_defaults(struct swarm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->count = 1;
	strcpy(cfg->models[0].model, "8861");
	cfg->models[0].share = 1.0;
	cfg->n_models = 1;
	cfg->auth = AUTH_CERTIFICATE;
	cfg->client = CLIENT_PHONE;
	cfg->mac_base = CONFIG_DEFAULT_MAC_BASE;
	cfg->rate = 10.0;
	cfg->duration_us = 60ULL * 1000000;
	cfg->connect_timeout_us = 30ULL * 1000000;
	cfg->threads = 0;
	cfg->interval_us = 1000000;
	cfg->capacity_hold_us = 10000000;
	cfg->dtls_mode = DTLS_MODE_AUTO;
	cfg->reconnect = RECONNECT_ON_DROP;
	cfg->backoff_us = 10ULL * 1000000;
	cfg->dtls_retry_us = 60ULL * 1000000;
	strcpy(cfg->codec, "g711");
	cfg->ptime_us = 20000;
	cfg->call_duration_us = 180ULL * 1000000;
	cfg->jitter_buffer_us = 60000;
	inet_pton(AF_INET, CONFIG_DEFAULT_TFTP, &cfg->tftp);
	cfg->keylog_fd = -1;
	cfg->fetch_config = FETCH_NEVER;
}

/*
 * Free what the config owns and leave the pointers NULL and their counts
 * zero, so a second call, or a call on a config fresh from
 * config_defaults(), is harmless. The scalar settings are left as they are.
 */
void config_free(struct swarm_config *cfg)
{
	free(cfg->url);
	cfg->url = NULL;
	for (int i = 0; i < cfg->n_more_urls; i++)
		free(cfg->more_urls[i]);
	cfg->n_more_urls = 0;
	for (int i = 0; i < cfg->n_spread; i++)
		free(cfg->spread[i]);
	cfg->n_spread = 0;
	free(cfg->cnf);
	cfg->cnf = NULL;
	free(cfg->user_pattern);
	cfg->user_pattern = NULL;
	free(cfg->password_pattern);
	cfg->password_pattern = NULL;
	free(cfg->ca_cert);
	cfg->ca_cert = NULL;
	free(cfg->ca_key);
	cfg->ca_key = NULL;
	free(cfg->source);
	cfg->source = NULL;
	cfg->n_source = 0;
	char **paths[] = {&cfg->mic_ca, &cfg->mic_ca_key, &cfg->mic_sha1_ca, &cfg->mic_sha1_ca_key,
			  &cfg->lsc_ca, &cfg->lsc_ca_key};
	for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		free(*paths[i]);
		*paths[i] = NULL;
	}
	free(cfg->trace_phones);
	cfg->trace_phones = NULL;
	cfg->n_trace_phones = 0;
	for (int c = 0; c < CHAIN__COUNT; c++) {
		identity_ca_free(cfg->ca[c]);
		cfg->ca[c] = NULL;
	}
}

/* ==== Rules on a whole config ==== */

const char *const config_chain_keys[CHAIN__COUNT][2] = {
	[CHAIN_ANY] = {"phones.ca_cert", "phones.ca_key"},
	[CHAIN_MIC] = {"phones.mic_ca", "phones.mic_ca_key"},
	[CHAIN_MIC_SHA1] = {"phones.mic_sha1_ca", "phones.mic_sha1_ca_key"},
	[CHAIN_LSC] = {"phones.lsc_ca", "phones.lsc_ca_key"},
};

void config_chain_paths(const struct swarm_config *cfg, enum ca_chain c, const char **cert,
			const char **key)
{
	const char *const paths[CHAIN__COUNT][2] = {
		[CHAIN_ANY] = {cfg->ca_cert, cfg->ca_key},
		[CHAIN_MIC] = {cfg->mic_ca, cfg->mic_ca_key},
		[CHAIN_MIC_SHA1] = {cfg->mic_sha1_ca, cfg->mic_sha1_ca_key},
		[CHAIN_LSC] = {cfg->lsc_ca, cfg->lsc_ca_key},
	};

	*cert = paths[c][0];
	*key = paths[c][1];
}

int config_load_ca(struct swarm_config *cfg, enum ca_chain c, char *err, size_t errlen,
		   bool *key_fault)
{
	const char *cert, *key;

	config_chain_paths(cfg, c, &cert, &key);
	if (cfg->ca[c] || !cert || !key)
		return 0;
	cfg->ca[c] = identity_ca_load(cert, key, err, errlen, key_fault);
	return cfg->ca[c] ? 0 : -1;
}

int config_load_cas(struct swarm_config *cfg, char *err, size_t errlen, enum ca_chain *bad,
		    bool *key_fault)
{
	for (int c = 0; c < CHAIN__COUNT; c++) {
		if (config_load_ca(cfg, (enum ca_chain)c, err, errlen, key_fault)) {
			*bad = (enum ca_chain)c;
			return -1;
		}
	}
	return 0;
}

int config_chain_missing(const struct swarm_config *cfg, char *err, size_t errlen)
{
	const char *cert, *key;
	bool given[CHAIN__COUNT];

	for (int c = 0; c < CHAIN__COUNT; c++) {
		config_chain_paths(cfg, (enum ca_chain)c, &cert, &key);
		given[c] = cert != NULL;
	}
	if (given[CHAIN_ANY])
		return -1;
	for (int i = 0; i < cfg->n_models && cfg->lsc_share < 1; i++) {
		const struct model *m = model_find(cfg->models[i].model);
		enum ca_chain need = m && m->mic_sha1 ? CHAIN_MIC_SHA1 : CHAIN_MIC;

		if (!m || given[need])
			continue;
		snprintf(err, errlen, "model %s presents a MIC on the %s manufacturing chain",
			 m->name, m->mic_sha1 ? "SHA-1" : "SHA-256");
		return need;
	}
	if (cfg->lsc_share > 0 && !given[CHAIN_LSC]) {
		snprintf(err, errlen, "phones.identity has LSC phones");
		return CHAIN_LSC;
	}
	return -1;
}

int config_dns_missing(const struct swarm_config *cfg, struct url *u)
{
	if (cfg->n_dns > 0)
		return -1;
	for (int i = 0; i <= cfg->n_more_urls; i++)
		if (!url_parse(i ? cfg->more_urls[i - 1] : cfg->url, u) && !url_host_is_ipv4(u))
			return i;
	for (int j = 0; j < cfg->n_spread; j++)
		if (!url_parse(cfg->spread[j], u) && !url_host_is_ipv4(u))
			return CONFIG_MAX_URLS + j;
	return -1;
}

int config_spread_pick(uint32_t idx, int n_spread)
{
	return n_spread > 0 ? (int)(idx % (uint32_t)(1 + n_spread)) : 0;
}
