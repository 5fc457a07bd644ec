/*
 * engine/config.c - defaults and release of a swarm description.
 *
 * The defaults are those of a scenario file that gives only the required
 * keys: one Cisco 8861 with its own certificate, arriving at 10 phones per
 * second, staying up for a minute, with the phone's 30 s "Fail to Connect"
 * timer and whatever DTLS flavour the headend picks.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine/config.h"

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
}
