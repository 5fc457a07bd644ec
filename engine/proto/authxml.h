/*
 * engine/proto/authxml.h - the XML bodies of AnyConnect authentication.
 *
 * The client POSTs a <config-auth type="init"> document; the headend answers
 * with a form (<config-auth type="auth-request">: a message, some inputs,
 * maybe an <opaque> block to echo) or with <config-auth type="complete">
 * and the session cookie. The client answers a form with a
 * <config-auth type="auth-reply">. This module builds the two requests and
 * reads the answers. It is a small tag scanner, not an XML parser: it reads
 * the few elements that matter, tolerates anything else, and never reads
 * outside the body it is given.
 *
 * Builders write a NUL-terminated document into a caller buffer and return
 * its length without the NUL, or -ENOSPC when it does not fit (the buffer
 * contents are then undefined). Text is XML-escaped.
 */
#ifndef ENGINE_AUTHXML_H
#define ENGINE_AUTHXML_H

#include <stdbool.h>
#include <stddef.h>

#define AUTHXML_MAX_INPUTS  8
#define AUTHXML_MAX_OPTIONS 8	 /* options kept from a group_list select */
#define AUTHXML_NAME_MAX    64	 /* bytes with the NUL: names, types, values */
#define AUTHXML_TEXT_MAX    256	 /* bytes with the NUL: message, error, action */
#define AUTHXML_TOKEN_MAX   1024 /* bytes with the NUL: <session-token> */

enum authxml_type {
	AUTHXML_OTHER,	      /* a config-auth of another type */
	AUTHXML_AUTH_REQUEST, /* type="auth-request": a form to answer */
	AUTHXML_COMPLETE,     /* type="complete" */
};

struct authxml_input {
	char name[AUTHXML_NAME_MAX];  /* "username", "password", "group_list" */
	char type[AUTHXML_NAME_MAX];  /* "text", "password", "hidden", "select" */
	/*
	 * The value attribute; for a select, its option marked
	 * selected="true" (the last one so marked), else its first option.
	 * May be "".
	 */
	char value[AUTHXML_NAME_MAX];
};

struct authxml_form {
	/* Filled by authxml_parse() from the headend's document. */
	enum authxml_type type;
	char auth_id[AUTHXML_NAME_MAX]; /* <auth id="...">: "main", "success" */
	/*
	 * The document says the login succeeded: <auth id="success"> or
	 * <authentication-complete/>. type COMPLETE alone does not: a Cisco
	 * headend has answered type="complete" with an <error> and no success.
	 */
	bool success;
	bool client_cert_request; /* <client-cert-request/>: present a certificate, on a new connection */
	bool cert_authenticated;  /* <cert-authenticated/>: the certificate was taken */
	/*
	 * First <message> and first <error>, unescaped, up to two "%s" in them
	 * replaced by the element's param1 and param2 attributes, blanks at
	 * either end trimmed, truncated; "" if none.
	 */
	char message[AUTHXML_TEXT_MAX];
	char error[AUTHXML_TEXT_MAX];
	int error_id;			/* the <error id="..."> number, 0 if none */
	/*
	 * <form action>, unescaped; "" when the form has none: post back to
	 * the URL the form came from (an ASA's aggregate-auth form has no
	 * action; openconnect stopped taking that for "/" in 2024).
	 */
	char action[AUTHXML_TEXT_MAX];
	int n_inputs;			/* entries used in inputs[]; extra inputs dropped */
	struct authxml_input inputs[AUTHXML_MAX_INPUTS];
	int n_options;					     /* entries used in options[] */
	char options[AUTHXML_MAX_OPTIONS][AUTHXML_NAME_MAX]; /* group_list values */
	int selected; /* index in options[] marked selected="true" (the last so marked), -1: none */
	/* Borrowed: the whole <opaque ...>...</opaque> element inside the parsed body, or NULL. */
	const char *opaque;
	size_t opaque_off; /* its offset in the body, bytes */
	size_t opaque_len; /* its length, bytes; 0 when absent */
	bool has_session_token;
	char session_token[AUTHXML_TOKEN_MAX]; /* ASA's cookie, unescaped */

	/*
	 * Set by the caller between authxml_parse() (which clears them) and
	 * authxml_reply(). Borrowed; NULL omits the element.
	 */
	const char *version;   /* <version who="vpn">: "v9.01-3" */
	const char *device_id; /* <device-id>: "linux-64" */
	const char *group;     /* <group-select>; NULL: the headend's selected option, or the first */
};

/*
 * The first request: <config-auth client="vpn" type="init"
 * aggregate-auth-version="2"> with <version who="vpn">version</version>,
 * <device-id>device_id</device-id> and <group-access>group_access_url
 * </group-access>, after the XML declaration and a newline; with
 * cert_fail, then <client-cert-fail/>: "I have no certificate for you"
 * (after a <client-cert-request/>), so that the headend may fall back to
 * another method. No <capabilities>: a phone offers no single-sign-on
 * method. version and device_id may be NULL (element omitted);
 * group_access_url may not (-EINVAL).
 */
int authxml_init(char *buf, size_t cap, const char *version, const char *device_id,
		 const char *group_access_url, bool cert_fail);

/*
 * The answer to a parsed form: <config-auth type="auth-reply"> with the
 * form's <opaque> element copied verbatim (so form->opaque must still
 * point into a live body), then <auth> holding one element per input:
 * text inputs get username, password inputs get password (the inputs
 * "answer", "whichpin" and "new_password" are sent as <password>), hidden
 * inputs their own value, other selects their value (the selected option,
 * else the first); "verify_*" inputs and submit/reset buttons are skipped.
 * A "group_list" select becomes a root <group-select> holding form->group,
 * else the option the headend marked selected, else the first: sending
 * the first when the headend selected another would move the phone to
 * another tunnel group.
 *
 * Returns the length, -ENOSPC, or -EINVAL when an input name is not a
 * plain XML name or the form needs a username or password that is NULL.
 */
int authxml_reply(char *buf, size_t cap, const struct authxml_form *form, const char *username,
		  const char *password);

/*
 * Read the headend's document body[0..len) (need not be NUL-terminated)
 * into *out. Tolerates attribute order, either quote, blanks and
 * newlines, comments, and unknown elements.
 *
 * Returns 0, -EBADMSG when the root element is not <config-auth>, or
 * -EMSGSIZE when a <session-token> does not fit (a truncated cookie is
 * useless). *out is fully written even on error.
 */
int authxml_parse(const char *body, size_t len, struct authxml_form *out);

#endif
