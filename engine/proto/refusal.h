/*
 * engine/proto/refusal.h - the headend's own words when it refuses a phone.
 *
 * A refusal means little as a status code alone: a capacity run must tell
 * a licence limit from an exhausted address pool from bad credentials, and
 * only the headend knows which. It says so, when it says anything, in one
 * of a few places: the X-Reason header of a refused CONNECT, the <error>
 * (or <message>) of an XML reply, the text of an HTML page, the first line
 * of a plain body. refusal_words() finds the first of these and returns
 * the words as they were written, cleaned up only so that they fit on one
 * line of a CSV or a trace. No public source shows what a real ASA writes
 * there, so nothing is mapped or interpreted: the words travel verbatim.
 * No allocation, no globals.
 */
#ifndef ENGINE_REFUSAL_H
#define ENGINE_REFUSAL_H

#include <stddef.h>

#include "engine/proto/http.h"

#define REFUSAL_WORDS_MAX 101 /* bytes of the words kept, NUL included */

/* Where the words were found. */
enum refusal_source {
	REFUSAL_NONE,	     /* the headend said nothing beyond its status */
	REFUSAL_X_REASON,    /* the X-Reason header */
	REFUSAL_XML_ERROR,   /* the <error> of an XML reply */
	REFUSAL_XML_MESSAGE, /* its <message>, when it has no <error> */
	REFUSAL_PAGE,	     /* the first text of an HTML page's body (else its title) */
	REFUSAL_TEXT,	     /* the first non-empty line of another body */
};

/*
 * The headend's words in the reply resp with body body[0..len) (decoded,
 * not NUL-terminated; len 0 for none), into out[0..cap) (cap at least 1):
 * the X-Reason header if there is one, else what the body says. XML is a
 * body that starts (after blanks) with "<?xml", "<config-auth" or "<auth";
 * HTML one that holds "<html" or "<body" (in any case) or is served as
 * text/html; anything else is text.
 *
 * Returns where the words came from; out holds "" for REFUSAL_NONE.
 */
enum refusal_source refusal_words(const struct http_response *resp, const char *body, size_t len,
				  char *out, size_t cap);

/* How a source is named in a failure's detail: "X-Reason", "<error>", "page"... */
const char *refusal_source_name(enum refusal_source s);

/*
 * s[0..n) made fit for one line, into out[0..cap) (cap at least 1): control
 * characters and runs of blanks become one blank, blanks at either end
 * go, bytes that are not UTF-8 become '?', and the text is cut at a
 * character boundary. Returns the length written.
 */
size_t refusal_clean(char *out, size_t cap, const char *s, size_t n);

#endif
