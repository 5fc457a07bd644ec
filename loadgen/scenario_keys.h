/*
 * loadgen/scenario_keys.h - the sections and keys of a scenario file, and
 * their setters (loadgen/scenario_keys.c).
 *
 * Private to loadgen/scenario.c, which reads the file and the -s overrides
 * and hands each section.key = value here to be found and parsed.
 */
#ifndef LOADGEN_SCENARIO_KEYS_H
#define LOADGEN_SCENARIO_KEYS_H

#include <stddef.h>

#include "engine/config.h"

/* Each key of the table; K__COUNT is their number. */
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
	K_PRIORITY,
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
	K_FREEBIND,
	K_CLIENT,
	K_DTLS_RECORDS,
	K_SPREAD,
	K_TLS_RECORDS,
	K_DTLS_HANDSHAKE,
	K_PATH,
	K__COUNT
};

/*
 * A setter parses one value into cfg. On error it returns -1 and writes in
 * why what is wrong with the value; the caller adds where and which key.
 * Setters replace what an earlier setting of the same key stored.
 */
typedef int (*key_setter)(struct swarm_config *cfg, const char *v, char *why, size_t whylen);

/* A key: where it is written, [section] name, its setter, and its default. */
struct key {
	const char *section;
	const char *name;
	key_setter set;
	const char *def; /* the value config_defaults() stands for, as written; NULL: none
			    (required, off, or worked out from other keys) */
};

/* Every key the scenario format knows, indexed by enum key_id. */
extern const struct key scenario_keys[K__COUNT];

/*
 * 0 for a section we understand, those of the keys above and [expect] and
 * [event.NAME]; -1 with the reason written in why (whylen bytes).
 */
int scenario_keys_check_section(const char *name, char *why, size_t whylen);

/* The enum key_id of section.name, or -1 when there is no such key. */
int scenario_keys_find(const char *section, const char *name);

/*
 * 0 when url is a headend URL the engine can use (engine/proto/url.h), as
 * headend.url and a cnf's url1..N must be; -1 with the reason in why.
 */
int scenario_keys_check_url(const char *url, char *why, size_t whylen);

#endif
