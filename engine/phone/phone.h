/*
 * engine/phone/phone.h - one simulated phone: its state machine and its events.
 *
 * A phone goes idle -> resolving -> connecting -> TLS -> auth -> CONNECT ->
 * tunnel up (-> closing -> done), or ends in FAILED with one reason. DTLS is
 * a sub-state of the tunnel: off, handshake, up, failed. Every transition
 * goes through phone_set_state(), which timestamps the phase for the
 * latency histograms. A phone reaches its channels, DNS, timer and clock
 * only through its worker's I/O operations (engine/phone/io.h); what
 * they bring back comes in through the phone_on_* handlers below, and the
 * channels pull what the phone has to send with phone_take_*().
 */
#ifndef ENGINE_PHONE_H
#define ENGINE_PHONE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine/phone/exchange.h"
#include "engine/phone/policy.h"
#include "engine/reason.h"
#include "engine/tls/dtlsrec.h"
#include "engine/tls/tls.h"
#include "engine/phone/io.h"
#include "engine/phone/trace.h"
#include "engine/phone/worker.h"

struct model;
struct trust_set;
struct inner_info;
struct phone_redirect;

enum phone_state {
	PH_IDLE,       /* not yet due */
	PH_RESOLVING,  /* DNS lookup of the headend's name */
	PH_CONNECTING, /* TCP SYN sent */
	PH_TLS,        /* TLS handshake, certificate hash check */
	PH_AUTH,       /* XML authentication POST(s) */
	PH_CSTP,       /* CONNECT /CSCOSSLC/tunnel sent */
	PH_TUNNEL,     /* CSTP up; DTLS in its own sub-state */
	PH_BACKOFF,    /* waiting to try again (the next URL, or a reconnect) */
	PH_CLOSING,    /* DISCONNECT sent, waiting for the sockets to drain */
	PH_DONE,       /* disconnected cleanly at the end of the run */
	PH_FAILED,     /* ended with a reason */
	PH__COUNT
};

enum dtls_state {
	DT_OFF,       /* not offered, or not granted by the headend */
	DT_HANDSHAKE, /* hello sent */
	DT_UP,        /* carrying data */
	DT_FAILED,    /* handshake failed or timed out; the tunnel stays on TLS */
};

/* What the headend's CONNECT reply said about DTLS, kept for retries. */
struct dtls_params {
	uint16_t port;       /* X-DTLS-Port; 0: no DTLS offered */
	bool psk;            /* PSK-NEGOTIATE (else legacy resumption) */
	bool cipher_12;      /* the cipher came in X-DTLS12-CipherSuite */
	uint8_t id_len;      /* bytes of id */
	uint8_t id[32];      /* App-ID (PSK) or Session-ID (legacy) */
	char cipher[64];     /* the legacy suite the headend chose */
	uint32_t dpd, keepalive; /* X-DTLS-DPD, X-DTLS-Keepalive, seconds */
	uint32_t rekey_s;    /* X-DTLS-Rekey-Time with method ssl, seconds; 0: none */
};

/* Which login answered the probe's first request. */
enum probe_login {
	PROBE_LOGIN_NONE,    /* no answer (the connection failed before) */
	PROBE_LOGIN_PHONE,   /* the phone's exchange: the login page (webvpnlogin) or a session */
	PROBE_LOGIN_DESKTOP, /* the desktop AnyConnect XML login (<config-auth>) */
	PROBE_LOGIN_OTHER,   /* neither: an HTTP error, a redirect, another page */
};

/* What phoneswarm probe learns from one phone's connection. */
struct probe_result {
	uint8_t login;          /* enum probe_login */
	int login_status;       /* the HTTP status of that first answer */
	char tls_version[16], tls_cipher[64];
	char chain[512];        /* subject CNs of the presented chain, leaf first */
	uint8_t leaf_sha1[20];
	bool got_leaf, trusted, host_id_ok, authenticated, tunnel, dtls_offered, dtls_up;
	char dtls[96];          /* DTLS version and cipher, or why it did not come up */
	uint8_t reason;         /* enum reason if the connection failed */
	int detail;
};

struct phone {
	struct worker *w; /* borrowed: the worker the phone lives on */
	uint32_t idx; /* global phone number, 0..count-1 */
	uint16_t gen; /* bumped per connection; stale completions carry an old one */
	uint8_t state, dtls;
	uint8_t reason; /* enum reason when FAILED */
	uint8_t url_i;  /* which of the headend URLs this attempt uses */
	uint8_t verify_fail; /* why the certificate check refused the headend (enum reason) */
	bool lsc;       /* presents an LSC (CAPF) rather than its MIC */
	uint8_t validity; /* enum validity of its certificate */
	const struct model *model;
	void *ssl_ctx; /* SSL_CTX of the model, borrowed */
	uint64_t mac;
	uint32_t src;             /* source IPv4 address, network order; 0 = any */
	struct sockaddr_in dst;   /* headend */
	X509 *cert;               /* owned: the phone's identity */
	EVP_PKEY *key;            /* borrowed from the identity pool */
	const struct trust_set *trust;      /* borrowed (worker's table): for the next connection */
	const struct trust_set *trust_conn; /* borrowed: what this connection checks against */

	uint64_t wake_at;         /* the phone's one timer: when it was last set for */
	bool wake_armed;          /* ... and it has not fired since */
	uint64_t t_due;           /* when the phone was due to arrive */
	uint64_t t_phase;         /* when the current phase began */
	uint64_t t_dtls;          /* when the DTLS handshake began */
	uint64_t connect_deadline;

	struct tls tls, dtls_s;   /* dtls_s: the DTLS handshake's SSL; once dtls_rec has taken
				     over, only its BIO (the datagrams waiting to be sent) */
	struct dtlsrec dtls_rec;  /* the DTLS record layer after the handshake (tunnel.c); keyed
				     (id != 0) once it seals and opens the session's records */
	uint8_t *ibuf;            /* owned: decrypted TLS bytes not yet parsed */
	uint32_t ilen, icap;

	char cookie[128];         /* webvpn session cookie */
	struct exchange ex;       /* the request awaiting its reply, a chunked body (exchange.h) */
	struct phone_redirect *redir; /* owned: where a headend redirected the phone; NULL: none */
	uint8_t master[48];       /* legacy DTLS master secret we sent */
	uint8_t psk[32];          /* PSK-NEGOTIATE key */
	struct in_addr tun_addr;  /* address the headend assigned */
	struct liveness live[2];  /* CSTP and DTLS keepalive/DPD */
	uint64_t close_deadline;  /* CLOSING: when to stop waiting for the send */
	uint64_t retry_at;        /* BACKOFF: when to try again */
	uint64_t dropped_at;      /* when the tunnel was lost, while reconnecting */
	uint64_t dtls_retry_at;   /* DTLS failed: when to try it again, 0 = not */
	uint64_t dtls_deadline;   /* the DTLS handshake must be done by then */
	bool reconnecting;        /* bringing a lost tunnel back (the cookie may serve) */
	uint8_t attempt;          /* reconnect attempts since the tunnel was last up */
	bool lost;                /* its tunnel dropped and is not back yet (counted in lost_now) */
	bool retry_due;           /* a reconnect attempt starts when the backoff ends */
	struct dtls_params dp;
	/* The headend's timers from its CONNECT reply (engine/phone/policy.h) */
	uint32_t idle_s;          /* X-CSTP-Idle-Timeout, seconds; 0: none */
	uint32_t rekey_s;         /* X-CSTP-Rekey-Time, seconds; 0: none */
	uint8_t rekey;            /* enum rekey_action of X-CSTP-Rekey-Method */
	bool rekeying;            /* coming back on a new connection for a rekey */
	uint64_t rekey_since;     /* the tunnel's keys date from then: bring-up or last rekey */
	uint64_t dtls_rekey_since;/* the DTLS session's, likewise */
	uint64_t last_data_us;    /* the last IP packet the phone sent into the tunnel, or its
				     bring-up: what an idle timeout counts from */
	struct probe_result *probe; /* owned; only for phoneswarm probe */
	struct voice *voice;        /* owned; only when the scenario has calls */
	struct fetch *fetch;        /* owned; only while a config fetch runs */
	int detail;               /* failure detail: HTTP status, TLS alert, errno */
	bool dtls_psk;            /* the DTLS session is PSK-NEGOTIATE (else legacy) */
	bool dtls_watch;          /* dtls_rec watches dtls_s's SSL, to take over from it */
	bool pinged;              /* the tunnel check ping has been sent */
	uint8_t auth_step;        /* login forms answered on this connection */
	bool password_sent;       /* a password went out: another form means refused */
	struct in_addr ping_dst;  /* the DNS server the headend assigned (X-CSTP-DNS) */
	uint64_t ping_sent_us;    /* when, 0 once answered */
	uint64_t reset_at;        /* the timeline reset the phone: restart then; 0 = not */
	uint64_t cut_until;       /* the phone's path loses packets until then; 0 = not */
	bool resetting;           /* logging out for a reset: restart once closed */
	bool rebooted;            /* restarted by a reset at least once */
	bool fetch_pending;       /* fetch the config once the tunnel can carry it (engine/phone/fetch.h) */
	bool traced;              /* keep a console-log transcript (--trace, --trace-failed) */
	struct trace trace;       /* owned: the transcript */
};

/* Set up phone idx (not yet due) on worker w. */
void phone_init(struct phone *p, struct worker *w, uint32_t idx);
/* Free what the phone still holds (certificate, buffers, sessions). */
void phone_release(struct phone *p);
/* The phone is due to arrive at `at` (the run's schedule): its timer is set for then. */
void phone_due(struct worker *w, struct phone *p, uint64_t at);
/* The phone's arrival time has come: start bringing the tunnel up. */
void phone_arrive(struct worker *w, struct phone *p, uint64_t now);
/* End of run: disconnect cleanly if up, abandon otherwise. */
void phone_stop(struct worker *w, struct phone *p, uint64_t now);
/*
 * The timeline's commands (engine/command.h). A reset at `at` logs the phone
 * out if its tunnel is up, then it restarts and connects afresh (DNS, TLS,
 * login: no cookie), fetching its config once up if fetch is set; a phone
 * that had failed comes back to life. A cut drops the phone's datagrams
 * (share loss) and, when loss is 1, holds its TCP both ways, until `until`.
 */
void phone_reset(struct worker *w, struct phone *p, uint64_t now, uint64_t at, bool fetch);
void phone_cut(struct worker *w, struct phone *p, uint64_t now, uint64_t until, double loss);
/* True when the phone is in a final state (its channels may still hold buffers in flight). */
bool phone_finished(const struct phone *p);
/* A lost tunnel's story ends (back up, given up, reset, the run's end): lost_now drops. */
void phone_lost_over(struct worker *w, struct phone *p);

/*
 * What the worker's I/O brings back (engine/phone/worker.h). res is the
 * result of the operation: bytes, or -errno; data (res bytes) is lent for the
 * time of the call, writable (a DTLS record is opened where it lies). status
 * is an enum lookup_status.
 */
void phone_on_dns(struct worker *w, struct phone *p, int status, struct in_addr addr);
void phone_on_connect(struct worker *w, struct phone *p, int res);
void phone_on_recv(struct worker *w, struct phone *p, enum chan_id c, uint8_t *data,
		   int res);
void phone_on_send(struct worker *w, struct phone *p, enum chan_id c, int res);
void phone_on_timer(struct worker *w, struct phone *p, uint64_t now);

/*
 * What the phone has to send, pulled by its channels. phone_pending: bytes
 * (TCP) or datagrams (UDP) waiting. phone_take_stream: TCP, the bytes
 * waiting handed over by swapping buffers with the channel (*buf of *cap
 * bytes, or NULL; *len set to the bytes now in it); returns *len.
 * phone_take_datagram: UDP, the oldest datagram copied into out (cap bytes);
 * its length, 0 if none.
 */
size_t phone_pending(const struct phone *p, enum chan_id c);
size_t phone_take_stream(struct phone *p, uint8_t **buf, size_t *cap, size_t *len);
size_t phone_take_datagram(struct phone *p, uint8_t *out, size_t cap);

/*
 * A phone's calls (engine/voice), as the phone drives them; the swarm puts
 * them in the fleet when the scenario has calls. up: the tunnel is up (first
 * time or again); next: when the calls need the timer next (UINT64_MAX:
 * never); tick: that time has come; rx: an inner UDP packet, true if it was
 * theirs; hangup: the run is ending; cut: the tunnel went down; release:
 * free the phone's call state; port: the phone's RTP port (what a datagram
 * from the reflector is addressed to, traffic.path = direct). drain_us: how
 * long after hanging up the last echoes are still counted.
 */
struct voice_hooks {
	void (*up)(struct worker *w, struct phone *p, uint64_t now);
	uint64_t (*next)(const struct phone *p);
	void (*tick)(struct worker *w, struct phone *p, uint64_t now);
	bool (*rx)(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now);
	void (*hangup)(struct worker *w, struct phone *p, uint64_t now);
	void (*cut)(struct worker *w, struct phone *p, uint64_t now);
	void (*release)(struct phone *p);
	uint16_t (*port)(const struct phone *p);
	uint64_t drain_us;
};

const char *phone_state_name(enum phone_state s);
/* Append a line to the phone's transcript, if it keeps one. */
#define PTRACE(p, now, ...)                                        \
	do {                                                       \
		if ((p)->traced)                                   \
			trace_add(&(p)->trace, (now), __VA_ARGS__); \
	} while (0)

/* The TLS verify callback: is the leaf's SHA-1 in the phone's trust list? */
bool phone_verify_leaf(void *app, X509 *leaf);

/* The key log's predicate (engine/tls/keylog.h): is app a phone asked for with --trace? */
bool phone_keylog_wanted(void *app);

/*
 * Give phone p (of worker w, on w's thread) the trust list sha1[0..n)
 * (certHash1..N of its config; n 0..10, 0 trusts nothing). It takes effect
 * at the phone's next TLS handshake: a connection under way or a tunnel
 * already up keeps the list it was checked with, as on a real phone.
 * 0, -EINVAL (n out of range) or -ENOMEM.
 */
int phone_set_trust(struct worker *w, struct phone *p, const uint8_t (*sha1)[20], int n);

/*
 * Phone p (of worker w, on w's thread) fetches its SEP<MAC>.cnf.xml by TFTP
 * through its tunnel and takes the certHash entries it finds for its next
 * connection (engine/phone/fetch.h): now if its tunnel is up, else as soon as the
 * tunnel next comes up. 0, or -EALREADY if a fetch is under way.
 */
int phone_fetch_config(struct worker *w, struct phone *p);

#endif
