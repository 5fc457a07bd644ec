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

#include "engine/phone/reason.h"

#define FAILURE_DETAIL 130 /* bytes of detail kept, NUL included */

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
	uint32_t src;       /* its source address, network order; 0: the kernel's pick */
	uint8_t reason;     /* enum reason */
	uint8_t phase;      /* enum fail_phase */
	char detail[FAILURE_DETAIL]; /* NUL-terminated, may hold any printable text */
};

/* What the phone knew when it failed, for failure_describe(). */
struct failure_facts {
	enum reason reason;
	int detail;                /* phone_fail's: HTTP status, TLS alert, -errno, CSTP frame
				      type, DNS status, or the channel of a DPD timeout (1 = DTLS) */
	enum fail_phase phase;
	uint8_t alert_rcvd;        /* fatal TLS alert received on the connection, 0 if none */
	const char *tls_error;     /* OpenSSL's text for the last TLS failure; NULL or "" if none */
	const char *host, *path;   /* the headend URL's host and path; NULL if unknown */
	const char *src;           /* the phone's source address ("198.18.64.7"); NULL: any */
	const uint8_t *leaf_sha1;  /* the headend's leaf certificate SHA-1 (20 bytes), or NULL */
	unsigned timer_s;          /* the phone's connect timer, seconds */
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
 * NUL-terminated, cut if longer). Returns the length written.
 */
size_t failure_describe(char *buf, size_t cap, const struct failure_facts *f);

#endif
