/*
 * engine/phone/phone_internal.h - what phone.c, login.c and tunnel.c share.
 *
 * The phone's state machine is written in three files; this is how they
 * reach each other. Nothing outside the three includes it: the phone's
 * interface is phone.h.
 */
#ifndef ENGINE_PHONE_INTERNAL_H
#define ENGINE_PHONE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/proto/http.h"
#include "engine/phone/io.h"
#include "engine/proto/redirect.h"
#include "engine/phone/phone.h"
#include "engine/reason.h"
#include "engine/phone/worker.h"

#define IBUF_MAX (HTTP_MAX_HEAD + 16384u) /* bytes: a reply's head and body, or one CSTP frame */

/* The current connection is over (failed, done, or replaced by a new try). */
static inline bool phone_gone(const struct phone *p)
{
	return p->state == PH_FAILED || p->state == PH_DONE || p->state == PH_BACKOFF;
}

/* Where a redirect took the phone (engine/proto/redirect.h), while it stands. */
struct phone_redirect {
	struct url u;		     /* the URL the phone uses instead of its own */
	struct redirect_trail trail; /* the URLs this login visited */
};

/* The headend URL this attempt uses: the phone's, or where a redirect took it. */
static inline const struct url *phone_url(struct worker *w, const struct phone *p)
{
	return p->redir ? &p->redir->u : &w->fleet->url[fleet_url_slot(w->fleet, p->idx, p->url_i)];
}

/* Forget a redirect: the phone's own URL again (a new login, a failover, a reset). */
void phone_forget_redirect(struct phone *p);

/* The calls of the phone (engine/voice), or NULL if it makes none. */
static inline const struct voice_hooks *phone_voice(struct worker *w, const struct phone *p)
{
	return p->voice ? w->fleet->voice : NULL;
}

/* Set the phone's one timer for `at`; UINT64_MAX disarms it. */
void phone_wake(struct worker *w, struct phone *p, uint64_t at);

/* Enter state s, timestamping the phase. */
void phone_set_state(struct phone *p, enum phone_state s, uint64_t now);
/*
 * What the headend said with a failure, for its detail (engine/phone/failure.h).
 * All borrowed, and needed only during the call; NULL members: none.
 */
struct fail_said {
	const char *words; /* its own words, one line (engine/proto/refusal.h) */
	const char *how;   /* where they were found: "X-Reason", "<error>", "page", "Location" */
	const char *status; /* the reason phrase of the status that refused */
	const char *method; /* the request that status answered: "GET", "POST" */
};

/*
 * The connection failed for reason r (detail: HTTP status, alert, errno,
 * frame type). Counts it and, by the phone's policies, fails over to the
 * next URL, schedules a reconnection, or ends the phone. phone_fail_said()
 * does the same with what the headend said (said may be NULL).
 */
void phone_fail(struct worker *w, struct phone *p, enum reason r, int detail);
void phone_fail_said(struct worker *w, struct phone *p, enum reason r, int detail,
		     const struct fail_said *said);
/*
 * Count one failure event of reason r (detail as phone_fail's, said as
 * phone_fail_said's, may be NULL) and queue its record for failures.csv.
 * phone_fail does it for the failures it handles.
 */
void phone_count_failure(struct worker *w, struct phone *p, enum reason r, int detail,
			 const struct fail_said *said);
/*
 * The headend's rekey is due (X-CSTP-Rekey-Method new-tunnel, or ssl, which
 * phoneswarm carries out the same way): leave the tunnel without logging
 * out and bring it back on a new connection with the same session cookie,
 * at once. Not a failure; counted in rekeys.
 */
void phone_rekey(struct worker *w, struct phone *p, uint64_t now);
/* Close the connection's sessions and sockets; the phone's state is the caller's. */
void phone_teardown(struct worker *w, struct phone *p);
/*
 * Drop the connection and open a new one to the phone's URL (resolving it
 * again if it is a name). With p->ex.resume, the login goes on where it was
 * (exchange_resume() sends the kept request once TLS is up); without, it
 * starts afresh at the URL, as after a redirect.
 */
void phone_new_connection(struct worker *w, struct phone *p, uint64_t now);
/* Set the phone's one timer to the earliest deadline of its state. */
void phone_arm(struct worker *w, struct phone *p, uint64_t now);
/* Drop the first n bytes of the decrypted input. */
void phone_ibuf_consume(struct phone *p, uint32_t n);
/* phoneswarm probe: this phone has learned what it came for. */
void phone_probe_done(struct worker *w, struct phone *p, uint64_t now);

#endif
