/*
 * engine/phone/failure.h - one failure event, as failures.csv tells it.
 *
 * Every time a phone counts a failure (a bring-up that fails, a tunnel lost,
 * a reconnection that fails, DTLS that fails under a tunnel carrying on over
 * TLS) it writes one struct failure_rec: when, which phone, where it was
 * (the phase) and, in the phone's own words, what it saw (the detail: the
 * alert text, the HTTP status, the timer that expired...). These are pure
 * functions; the record travels to the main thread through engine/failq.
 */
#ifndef ENGINE_FAILURE_H
#define ENGINE_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/reason.h"

/*
 * Bytes of detail kept, NUL included: the phone's words (about 60), the
 * headend's own (up to 100, engine/proto/refusal.h) and what an ASA admin
 * should look at (about 110). A worker's queue of FAILQ_CAP records holds
 * 8192 x 360 bytes, 2.8 MiB.
 */
#define FAILURE_DETAIL 320

/* failure_facts.detail of R_CLIENT_CERT: <client-cert-request/> again after a certificate */
#define FAILURE_CERT_ASKED_AGAIN 1
/* ... of R_CLIENT_CERT: <client-cert-request/> to a phone that has no certificate */
#define FAILURE_CERT_NONE 3
/* ... of R_AUTH_FAILED: the login answered with an <error> and no success */
#define FAILURE_LOGIN_REFUSED 1
/* DtlsFailed's detail when the headend's DTLS suite is not one the phone offered */
#define FAILURE_DTLS_NOT_OFFERED 2

/* Where the phone was when it failed. Append; never renumber. */
enum fail_phase {
	FP_START,   /* before connecting: the phone's own settings */
	FP_DNS,     /* resolving the headend's name */
	FP_TCP,     /* TCP connect */
	FP_TLS,     /* TLS handshake and certificate check */
	FP_AUTH,    /* XML authentication */
	FP_CSTP,    /* CONNECT */
	FP_DTLS,    /* the DTLS channel: its handshake, or its DPD */
	FP_UP,      /* the tunnel was up, and was lost */
	FP_CLOSING, /* logging out at the end of the run */
	/* the same stages of a reconnection after the tunnel was lost */
	FP_RE_DNS,
	FP_RE_TCP,
	FP_RE_TLS,
	FP_RE_AUTH,
	FP_RE_CSTP,
	FP__COUNT
};

struct failure_rec {
	uint64_t t_us;      /* when, clock_us() */
	uint64_t mac;       /* the phone's MAC */
	const char *model;  /* its model's name ("8861"): static storage */
	uint32_t phone;     /* its index, 0..count-1 */
	uint8_t reason;     /* enum reason */
	uint8_t phase;      /* enum fail_phase */
	uint16_t said_at;   /* where the headend's own words start in detail, bytes */
	uint16_t said_len;  /* their length, bytes; 0: the headend said nothing */
	char detail[FAILURE_DETAIL]; /* NUL-terminated, may hold any printable text */
};

/* What the phone knew when it failed, for failure_describe(). */
struct failure_facts {
	enum reason reason;
	int detail;                /* phone_fail's: HTTP status, TLS alert, -errno, CSTP frame
				      type, DNS status, the channel of a DPD timeout (1 = DTLS),
				      the answer's body (enum svc_body) for WebvpnCookieNotFound,
				      what was wrong (enum svc_answer) for WebvpnLoginInvalid,
				      FAILURE_DTLS_NOT_OFFERED for DtlsFailed */
	enum fail_phase phase;
	uint8_t alert_rcvd;        /* fatal TLS alert received on the connection, 0 if none */
	const char *tls_error;     /* OpenSSL's text for the last TLS failure; NULL or "" if none */
	const char *host, *path;   /* the headend URL's host and path; NULL if unknown */
	const char *method;        /* of the login request answered: "GET" or "POST"; NULL: POST */
	const uint8_t *leaf_sha1;  /* the headend's leaf certificate SHA-1 (20 bytes), or NULL */
	unsigned timer_s;          /* the phone's connect timer, seconds */
	const char *status_text;   /* its reason phrase, one line; NULL or "": none */
	/*
	 * The headend's own words (engine/proto/refusal.h: one line, at most
	 * 100 bytes) and where they were found ("X-Reason", "<error>", "page",
	 * "Location"...); NULL or "": it said nothing. Kept verbatim.
	 */
	const char *said, *said_how;
	bool leaf_ec;              /* the headend's certificate has an EC key */
	bool dtls_cipher_mismatch; /* the DTLS suite the headend chose is not the TLS one */
	unsigned idle_s;           /* R_IDLE_TIMEOUT: X-CSTP-Idle-Timeout, seconds */
	bool redirected;           /* host is where a headend's redirect led the phone */
	bool resent;               /* the request had been sent again on a new connection */
};

/* Public name of a phase ("tls", "up", "reconnect-tls"); never NULL. */
const char *failure_phase_name(enum fail_phase ph);

/*
 * The phase of a phone in phone state `state` (enum phone_state) that fails
 * for reason r with detail d: DTLS reasons, and a DPD timeout of the DTLS
 * channel, are FP_DTLS; the bring-up stages of a phone that is reconnecting
 * are the FP_RE_* ones.
 */
enum fail_phase failure_phase(int state, bool reconnecting, enum reason r, int d);

/*
 * The detail of a failure in the phone's words, into buf (cap bytes, always
 * NUL-terminated, cut if longer): what the phone saw, then what the headend
 * said (': X-Reason "..."'), then, where a Cisco document names an
 * ASA-side cause for it, what the ASA admin should look at ("[ASA: ...]").
 * Returns the length written.
 */
size_t failure_describe(char *buf, size_t cap, const struct failure_facts *f);

/*
 * r->detail, r->said_at and r->said_len from f (the rest of *r is the
 * caller's): failure_describe() that also notes where the headend's words
 * landed, so that reports can quote them alone.
 */
void failure_fill(struct failure_rec *r, const struct failure_facts *f);

/* The headend's words of r into out[0..cap) ("" when it said nothing); their length. */
size_t failure_said(const struct failure_rec *r, char *out, size_t cap);

#endif
