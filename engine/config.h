/*
 * engine/config.h - what the engine is asked to run.
 *
 * A plain description of a swarm, filled in by loadgen/scenario.c from a
 * scenario file and its -s overrides, read (never written) by the engine;
 * with the CAs its paths name, read once by config_load_cas(), and the
 * rules that hold across its keys, which the scenario loader and the
 * swarm both apply.
 * Durations are in microseconds, rates in phones per second. Strings and
 * arrays are owned by the config and freed by config_free().
 */
#ifndef ENGINE_CONFIG_H
#define ENGINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct identity_ca;
struct url;

#define CONFIG_MAX_HASHES 10 /* certHash1..certHash10, as a phone's config */
#define CONFIG_MAX_DNS 2     /* a phone has two DNS servers */
#define CONFIG_MAX_MODELS 16
#define CONFIG_MAX_URLS 4    /* url1..url4 of a phone's <vpnGroup> */
#define CONFIG_MAX_SPREAD 8  /* headend.spread: more headends the fleet is spread over */
#define CONFIG_MAX_THREADS 256 /* run.threads */

enum dtls_mode {
	DTLS_MODE_AUTO,   /* offer PSK-NEGOTIATE and legacy, take what the headend picks */
	DTLS_MODE_LEGACY, /* legacy Cisco DTLS 0.9 (resumed session from the master secret) */
	DTLS_MODE_PSK,    /* DTLS 1.2 keyed by the TLS exporter (PSK-NEGOTIATE) */
	DTLS_MODE_OFF,    /* no DTLS: everything over the TLS tunnel */
	DTLS_MODE__COUNT
};

/* The modes' names, as dtls.mode, report.json and the page write them ("legacy"). */
extern const char *const dtls_mode_names[DTLS_MODE__COUNT];

/* The chains a phone's identity can be minted on; phones.ca_cert stands in for any. */
enum ca_chain {
	CHAIN_ANY,	/* phones.ca_cert / ca_key */
	CHAIN_MIC,	/* phones.mic_ca / mic_ca_key: the SHA-256 manufacturing CA */
	CHAIN_MIC_SHA1, /* phones.mic_sha1_ca / mic_sha1_ca_key: the SHA-1 one (79xx, 99xx) */
	CHAIN_LSC,	/* phones.lsc_ca / lsc_ca_key: the CAPF */
	CHAIN__COUNT
};

/* The scenario keys of each chain's CA certificate and key ("phones.mic_ca"). */
extern const char *const config_chain_keys[CHAIN__COUNT][2];

/*
 * How the phones log in and bring DTLS up. A phone's own VPN client does the
 * "svc" exchange (engine/proto/svc.h) and legacy DTLS 0.9 on UDP 443; the
 * desktop AnyConnect exchange is not what a phone does, and is kept for
 * headends or comparisons that need it.
 */
enum client_kind {
	CLIENT_PHONE,      /* GET, webvpnlogin, form POST; DTLS 0.9 only, UDP 443 only */
	CLIENT_ANYCONNECT, /* XML aggregate auth; PSK-NEGOTIATE and DTLS 1.2 by dtls.mode */
	CLIENT__COUNT
};

/* The clients' names, as phones.client and report.json write them ("phone"). */
extern const char *const client_names[CLIENT__COUNT];

enum auth_method {
	AUTH_CERTIFICATE, /* the phone's own certificate (MIC or LSC) */
	AUTH_PASSWORD,    /* username and password */
};

enum fetch_policy {
	FETCH_NEVER,      /* phones fetch their config only when told to (phone_fetch_config) */
	FETCH_ON_CONNECT, /* and each time their tunnel comes up */
};

/*
 * How the offered load grows (ramp.mode): constant, at rate; linear, the
 * rate climbing from rate to rate_max over ramp_us, then staying there;
 * step, phones arriving step at a time (at rate), each step followed by a
 * hold of hold_us before the next, so the headend is measured at each level
 * of concurrent phones.
 */
enum ramp_mode { RAMP_CONSTANT, RAMP_LINEAR, RAMP_STEP };
struct ramp_spec {
	enum ramp_mode mode;
	double rate;      /* phones per second */
	double rate_max;  /* linear: the rate reached after ramp_us */
	uint64_t ramp_us; /* linear */
	uint32_t step;    /* step: phones per step */
	uint64_t hold_us; /* step: the pause after each step */
};

/* After a tunnel loss, does the phone come back? */
enum reconnect_policy {
	RECONNECT_ON_DROP, /* after a drop, yes; after the headend's DISCONNECT, no (it stays
			    * down, as the community thread's phone did) */
	RECONNECT_ALWAYS,  /* after any loss */
	RECONNECT_NEVER,   /* never */
};


struct model_share {
	char model[16]; /* "8861", "7962", ... as in the CN CP-<model>-SEP<MAC> */
	double share;   /* fraction of the fleet, 0..1; shares sum to 1 */
};

struct swarm_config {
	/* [headend] */
	char *url;                                /* https://host[:port]/path */
	char *more_urls[CONFIG_MAX_URLS - 1];     /* url2.. of a phone config: failover order */
	int n_more_urls;
	char *spread[CONFIG_MAX_SPREAD];          /* headend.spread: phone k's url1 is the
						     (k mod (1 + n_spread))-th of url,
						     spread[0], ...: a lab convenience */
	int n_spread;
	bool host_id_check;                       /* URL host must match the cert's CN or SAN */
	uint8_t cert_hashes[CONFIG_MAX_HASHES][20]; /* SHA-1 of the leaf DER */
	int n_cert_hashes;
	char *cnf;                                /* headend.cnf: a phone config file the
						     URLs, hashes and host-ID check come
						     from; NULL: none */
	struct in_addr dns[CONFIG_MAX_DNS];
	int n_dns;

	/* [phones] */
	uint32_t count;
	struct model_share models[CONFIG_MAX_MODELS];
	int n_models;
	enum auth_method auth;
	enum client_kind client; /* [phones] client: how they log in and do DTLS */
	double lsc_share;       /* phones presenting an LSC (CAPF); the others a MIC; 0..1 */
	double expired_share;   /* phones whose certificate has expired; 0..1 */
	double not_yet_share;   /* phones whose certificate is not yet valid; 0..1 */
	char *mic_ca, *mic_ca_key;           /* PEM: SHA-256 manufacturing CA (newer models) */
	char *mic_sha1_ca, *mic_sha1_ca_key; /* PEM: SHA-1 manufacturing CA (79xx, 99xx) */
	char *lsc_ca, *lsc_ca_key;           /* PEM: the CAPF that signs LSCs */
	char *user_pattern;     /* password auth: "%m" MAC, "%i" index */
	char *password_pattern; /* password auth */
	char *ca_cert;          /* PEM path: CA that signs the phones' identities */
	char *ca_key;           /* PEM path: its private key */
	struct identity_ca *ca[CHAIN__COUNT]; /* owned: each chain's CA as read from the paths
						 above by config_load_cas(); NULL: none */
	uint64_t mac_base;      /* first MAC; phone i gets mac_base + i */
	uint32_t *source;       /* IPv4 source addresses (network order); NULL: any */
	uint32_t n_source;
	bool freebind;          /* IP_FREEBIND on every socket: the source addresses may be
				   routed to this machine without being on an interface */
	struct in_addr tftp;    /* TFTP server of the phones' SEP<MAC>.cnf.xml, through the tunnel */
	enum fetch_policy fetch_config;

	/* [ramp] */
	double rate; /* arrivals per second, > 0 (the starting rate of a linear ramp) */
	struct ramp_spec ramp; /* the arrival schedule; ramp.rate is set from rate at start */

	/* [capacity]: raise the load until one of these holds, then stop arrivals */
	bool capacity;               /* any stop condition given */
	double stop_failures;        /* share of an interval's arrivals failing; 0 = off */
	uint64_t stop_p99_us;        /* time_to_tunnel p99 of an interval above this; 0 = off */
	uint32_t stop_refusals;      /* this many phones refused by the headend; 0 = off */
	uint64_t capacity_hold_us;   /* after the stop, hold the phones up this long */

	/* [run] */
	uint64_t duration_us;        /* how long phones stay up after the last arrival */
	uint64_t connect_timeout_us; /* "Fail to Connect" timer for the whole bring-up */
	bool connect_timeout_given;  /* set by the scenario; else each model's own timer */
	enum reconnect_policy reconnect; /* after the tunnel drops */
	uint64_t backoff_us;         /* first reconnect delay; then +backoff each try, to 10x */
	int threads;                 /* worker threads; 0 = one per core */
	uint64_t interval_us;        /* one row of timeseries.csv per interval */
	uint64_t checkpoint_us;      /* rewrite report.json this often; 0 = at the end only */
	bool realtime;               /* run.priority = realtime: worker threads SCHED_FIFO
					(swarm_realtime_self) */

	/* [dtls] */
	enum dtls_mode dtls_mode;
	bool dtls_abort;        /* a DTLS failure aborts the connection (else: carry on over TLS) */
	uint64_t dtls_retry_us; /* carrying on over TLS: retry DTLS this often; 0 = never */
	bool tls_openssl_records;  /* phones.tls_records = openssl: OpenSSL's record layer for
				      the CSTP session's life (else engine/tls/dtlsrec's stream
				      mode once the tunnel is up, the SSL freed: tls_take) */
	bool dtls_openssl_records; /* dtls.records = openssl: OpenSSL's record layer for a
				      DTLS session's life (else engine/tls/dtlsrec after the
				      handshake, the SSL freed) */
	bool dtls_openssl_handshake; /* phones.dtls_handshake = openssl: OpenSSL's legacy
					DTLS 0.9 handshake (else engine/tls/dtlshs's, when the
					records are ours) */

	/* [traffic]: voice; calls == 0 means none */
	char codec[8];              /* "g711", "g729", "g722" */
	uint64_t ptime_us;          /* packet interval */
	double calls;               /* share of phones in a call at any moment, 0..1 */
	uint64_t call_duration_us;  /* mean call length (exponential) */
	struct sockaddr_in voice_target; /* the reflector, HOST:PORT inside the network */
	bool voice_p2p;             /* target = phones: phone 2k and 2k+1 call each other */
	bool voice_direct;          /* path = direct: RTP straight over UDP to the reflector, no
				       tunnel (a measurement of the tool alone, not a phone's way) */
	uint64_t jitter_buffer_us;  /* playout delay a packet may be late by */

	/* from the command line, not the scenario */
	uint32_t *trace_phones; /* phone indexes to keep a transcript of (--trace) */
	uint32_t n_trace_phones;
	uint32_t trace_failed;  /* keep transcripts of the first N phones that fail */
	int keylog_fd;          /* --keylog: the NSS key log of the trace_phones' TLS and DTLS
				   sessions (O_APPEND, the caller's); -1: none */
	uint32_t index_base;    /* --shard: phone i is the fleet's phone index_base + i (its
				   model, identity mix, certificate serial and %i follow that) */
	bool probe;             /* phoneswarm probe: phone i is model i; record, don't refuse */
	bool fixed_files;       /* the phones' sockets as io_uring registered files, not
				   descriptors (run: preflight_fixed_files) */
	uint32_t rx_buffers;    /* shared receive buffers per worker thread; 0: as many as
				   bufring_count gives (run: preflight_rx_buffers) */
};

/* The mode named name exactly ("psk"), or -1. */
int dtls_mode_parse(const char *name);

void config_defaults(struct swarm_config *cfg);
void config_free(struct swarm_config *cfg);

/* The CA certificate and key paths of chain c (NULL where not given). */
void config_chain_paths(const struct swarm_config *cfg, enum ca_chain c, const char **cert,
			const char **key);

/*
 * Reads the CA of every chain whose certificate and key paths are given,
 * once (cfg->ca; a chain already read is kept). 0, or -1 with why in err,
 * the chain in *bad and whether its key file is at fault (it cannot be
 * read, is not a PEM private key, or not the certificate's) in *key_fault.
 */
int config_load_cas(struct swarm_config *cfg, char *err, size_t errlen, enum ca_chain *bad,
		    bool *key_fault);

/* The same for chain c alone (a loader that lists every bad file reads them one by one). */
int config_load_ca(struct swarm_config *cfg, enum ca_chain c, char *err, size_t errlen,
		   bool *key_fault);

/*
 * Certificate phones: the chain an identity needs that has no CA given
 * (a MIC is minted on its model's manufacturing chain, SHA-1 or SHA-256,
 * an LSC on the CAPF's; phones.ca_cert stands in for any), with why in
 * err ("model 8861 presents a MIC on the SHA-256 manufacturing chain");
 * -1 when every identity finds its CA. Unknown models are not looked at.
 */
int config_chain_missing(const struct swarm_config *cfg, char *err, size_t errlen);

/*
 * A URL (headend.url, url2.. of the phone config, or one of headend.spread)
 * that names a host needs the phones' DNS servers (headend.dns): when one
 * does and none are given, the first such URL's number (0: headend.url, i:
 * more_urls[i - 1], CONFIG_MAX_URLS + j: spread[j]) with the URL in *u; else
 * -1. URLs that do not parse are not looked at.
 */
int config_dns_missing(const struct swarm_config *cfg, struct url *u);

/*
 * headend.spread's rule: which of the fleet's spread headends phone number
 * idx (0..count-1) takes as its first URL, given n_spread URLs in
 * headend.spread: 0 = headend.url (or the cnf's url1), j = spread[j - 1].
 * Phone idx takes idx mod (1 + n_spread): consecutive phones go round the
 * headends, and a phone keeps its headend for the whole run.
 */
int config_spread_pick(uint32_t idx, int n_spread);

#endif
