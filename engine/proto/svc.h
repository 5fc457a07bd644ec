/*
 * engine/proto/svc.h - the IP phone's own login exchange ("svc").
 *
 * A Cisco IP phone does not log in like the desktop AnyConnect client (the
 * XML of engine/proto/authxml.h). Its VPN client GETs the URL of its config,
 * expects an answer that expires the session cookie and sets
 * "webvpnlogin" to a non-empty value (Set-Cookie: webvpn=; expires=... and
 * Set-Cookie: webvpnlogin=1), then POSTs a form to the same URL
 * (username=...&password=..., empty for a phone that logs in with its
 * certificate) and takes its session cookie from the answer's
 * "Set-Cookie: webvpn=<cookie>". An answer without a webvpn cookie is the
 * phone's "'webvpn=' not found in cookie". ocserv serves this exchange from
 * 1.2.0 at /svc; an ASA at the group-url of the phones' tunnel group.
 *
 * This module builds the two requests and sorts the headend's answers; the
 * phone's state machine (engine/phone/login.c) decides what each means.
 * Builders follow engine/proto/anyconnect.h: text into a caller buffer, the
 * length or -ENOSPC / -EINVAL. No allocation, no globals.
 */
#ifndef ENGINE_SVC_H
#define ENGINE_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/proto/anyconnect.h"
#include "engine/proto/http.h"

#define SVC_COOKIE_MAX 128 /* bytes of a session cookie, NUL included */

/*
 * "GET <path> HTTP/1.1" with Host, User-Agent, Cookie (rq->cookies, if
 * any), Accept (any type) and X-Transcend-Version: 1. path must start with
 * '/' and hold no blank or control character.
 */
int svc_get_request(char *buf, size_t cap, const struct ac_request *rq, const char *path);

/*
 * "POST <path> HTTP/1.1" with the GET's headers, Content-Type:
 * application/x-www-form-urlencoded and Content-Length, then the form
 * "username=U&password=P", each value form-encoded (a blank as '+', bytes
 * outside A-Z a-z 0-9 - . _ ~ as %XX). username and password both NULL: an
 * empty body (the certificate phone's POST). One of them NULL: -EINVAL.
 */
int svc_post_request(char *buf, size_t cap, const struct ac_request *rq, const char *path,
		     const char *username, const char *password);

/* What a headend's answer to the phone's GET or POST is. */
enum svc_answer {
	SVC_LOGIN_PAGE,	    /* 200, a webvpn cookie, webvpnlogin set once to a value: POST */
	SVC_SESSION,	    /* 200 with a non-empty webvpn cookie: the session */
	SVC_NO_WEBVPN,	    /* 200 without a webvpn cookie ("'webvpn=' not found in cookie") */
	SVC_NO_LOGIN,	    /* 200, a webvpn cookie without a value, no webvpnlogin */
	SVC_EMPTY_LOGIN,    /* 200, webvpnlogin set without a value */
	SVC_LOGIN_TWICE,    /* 200, webvpnlogin set more than once */
	SVC_REDIRECT,	    /* 3xx */
	SVC_UNAUTHORIZED,   /* 401 */
	SVC_STATUS,	    /* any other status */
};

/* What the answer's body looked like, to tell a user what answered. */
enum svc_body {
	SVC_BODY_EMPTY,	 /* no body */
	SVC_BODY_XML,	 /* <config-auth>: the desktop AnyConnect (XML) login */
	SVC_BODY_HTML,	 /* an HTML page (Content-Type or an <html> tag) */
	SVC_BODY_OTHER,	 /* anything else */
};

struct svc_reply {
	enum svc_answer answer;
	enum svc_body body;
	int status;		       /* the HTTP status */
	bool webvpn_seen;	       /* some Set-Cookie named webvpn, with or without a value */
	bool webvpn_expires;	       /* one of them had an expires= attribute */
	int n_login;		       /* Set-Cookie: webvpnlogin headers */
	char cookie[SVC_COOKIE_MAX];   /* SVC_SESSION: the last non-empty webvpn value */
	const char *location;	       /* SVC_REDIRECT: borrowed Location value, or NULL */
	size_t location_len;	       /* bytes */
};

/*
 * Sort the answer resp (with its body body[0..body_len), which need not be
 * NUL-terminated) into *out. Cookie names are exact (webvpn is neither
 * webvpnc nor webvpncontext); a Set-Cookie without '=' is a cookie without
 * a value. A non-empty webvpn cookie makes the answer SVC_SESSION whatever
 * else it sets; a webvpnlogin with a value makes it SVC_LOGIN_PAGE only if
 * it is the only webvpnlogin and a webvpn cookie (expired) came with it.
 *
 * Returns 0; -EMSGSIZE when a webvpn value does not fit in SVC_COOKIE_MAX
 * (out->answer is then SVC_SESSION with an empty cookie). *out is fully
 * written either way.
 */
int svc_classify(const struct http_response *resp, const char *body, size_t body_len,
		 struct svc_reply *out);

/* Short words for an answer and a body, for traces and reports ("login page"). */
const char *svc_answer_name(enum svc_answer a);
const char *svc_body_name(enum svc_body b);

#endif
