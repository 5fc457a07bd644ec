/*
 * engine/proto/anyconnect.h - the AnyConnect HTTP requests and the CONNECT reply.
 *
 * Two requests bring a tunnel up: the auth POSTs carrying the XML of
 * engine/proto/authxml.h, and "CONNECT /CSCOSSLC/tunnel" with the session cookie
 * and the client's MTU and DTLS offer. Header names are written with the
 * exact capitalisation OpenConnect uses: ocserv 1.1.6 matches them
 * case-sensitively ("cookie:" is not "Cookie:"). The 200 CONNECTED reply is
 * turned into struct ac_tunnel, which the phone keeps for its timers and
 * DTLS set-up.
 *
 * Builders write NUL-terminated text into a caller buffer and return its
 * length without the NUL, -ENOSPC when it does not fit, or -EINVAL when a
 * string would break the request (CR, LF or NUL inside a header value).
 * No allocation, no globals.
 */
#ifndef ENGINE_ANYCONNECT_H
#define ENGINE_ANYCONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine/proto/http.h"
#include "engine/proto/text.h"

#define AC_DTLS_SECRET_LEN 48 /* bytes of X-DTLS-Master-Secret */
#define AC_DTLS_ID_MAX	   32 /* bytes of Session-ID or App-ID */
#define AC_CIPHER_MAX	   64 /* bytes with the NUL */

/* What every request to the headend carries. Strings are borrowed. */
struct ac_request {
	const char *host;	/* URL host, for Host: */
	uint16_t port;		/* URL port; ":port" is added unless 443 */
	const char *user_agent; /* "Cisco SVC IPPhone Client v1.0" */
	const char *cookies;	/* Cookie: "a=1; b=2" (e.g. webvpncontext); NULL or "": none */
};

/*
 * The start every request to the headend shares, into w: the request line
 * "<method> <path> HTTP/1.1", Host (":port" added unless 443), User-Agent
 * and Cookie (if rq->cookies is neither NULL nor ""). 0, or -EINVAL when a
 * value holds CR or LF, or path does not start with '/' or holds a blank or
 * control character (nothing written then). Whether it fitted is w's.
 */
int ac_request_head(struct text *w, const char *method, const struct ac_request *rq,
		    const char *path);

/*
 * "POST <path> HTTP/1.1" with Host, User-Agent, Cookie (if any), Accept,
 * Accept-Encoding: identity, X-Transcend-Version: 1, X-Aggregate-Auth: 1,
 * Content-Type: application/xml; charset=utf-8 and Content-Length, then
 * body[0..body_len). path must start with '/' and hold no blank.
 */
int ac_auth_request(char *buf, size_t cap, const struct ac_request *rq, const char *path,
		    const char *body, size_t body_len);

/* The CONNECT request. Strings and the secret are borrowed. */
struct ac_connect {
	const char *host; /* as in struct ac_request */
	uint16_t port;
	const char *user_agent;
	const char *cookie;	      /* the webvpn value, verbatim */
	const char *hostname;	      /* X-CSTP-Hostname; NULL omits it */
	uint32_t base_mtu;	      /* X-CSTP-Base-MTU, bytes; 0 omits it */
	uint32_t mtu;		      /* X-CSTP-MTU, bytes; 0 omits it */
	bool dtls;		      /* false: no X-DTLS-* header at all */
	const uint8_t *master_secret; /* AC_DTLS_SECRET_LEN bytes (legacy DTLS), or NULL */
	const char *dtls_ciphers; /* X-DTLS-CipherSuite ("PSK-NEGOTIATE:AES256-SHA"); NULL omits */
	const char *dtls12_ciphers; /* X-DTLS12-CipherSuite; NULL omits */
};

/*
 * "CONNECT /CSCOSSLC/tunnel HTTP/1.1" with Host, User-Agent,
 * Cookie: webvpn=<cookie>, X-CSTP-Version: 1, X-CSTP-Hostname,
 * X-CSTP-Base-MTU, X-CSTP-MTU, X-CSTP-Address-Type: IPv4 and, when
 * c->dtls, X-DTLS-Master-Secret (96 uppercase hex), X-DTLS-CipherSuite
 * and X-DTLS12-CipherSuite. No body.
 */
int ac_connect_request(char *buf, size_t cap, const struct ac_connect *c);

enum ac_dtls {
	AC_DTLS_NONE,	/* no usable DTLS offer: tunnel over TLS only */
	AC_DTLS_LEGACY, /* resumed session: Session-ID + a cipher name */
	AC_DTLS_PSK,	/* PSK-NEGOTIATE + App-ID */
};

enum ac_rekey {
	AC_REKEY_NONE,	     /* absent or "none" */
	AC_REKEY_SSL,	     /* "ssl": renegotiate in place */
	AC_REKEY_NEW_TUNNEL, /* "new-tunnel": reconnect */
};

/* The tunnel as the headend configured it. Times in seconds, 0 = none. */
struct ac_tunnel {
	struct in_addr addr;	    /* X-CSTP-Address (IPv4), network order */
	struct in_addr netmask;	    /* X-CSTP-Netmask; 0.0.0.0 when absent */
	uint32_t mtu;		    /* X-CSTP-MTU, bytes; 0 when absent */
	uint32_t base_mtu;	    /* X-CSTP-Base-MTU, bytes; 0 when absent */
	uint32_t dpd;		    /* X-CSTP-DPD */
	uint32_t keepalive;	    /* X-CSTP-Keepalive */
	uint32_t idle_timeout;	    /* X-CSTP-Idle-Timeout */
	uint32_t rekey_time;	    /* X-CSTP-Rekey-Time */
	enum ac_rekey rekey_method; /* X-CSTP-Rekey-Method */

	enum ac_dtls dtls;			 /* derived, see ac_parse_connect_reply() */
	uint16_t dtls_port;			 /* X-DTLS-Port; 0 when absent */
	uint32_t dtls_dpd;			 /* X-DTLS-DPD */
	uint32_t dtls_keepalive;		 /* X-DTLS-Keepalive */
	uint32_t dtls_mtu;			 /* X-DTLS-MTU, bytes (legacy only) */
	uint32_t dtls_rekey_time;		 /* X-DTLS-Rekey-Time */
	enum ac_rekey dtls_rekey_method;	 /* X-DTLS-Rekey-Method */
	uint8_t dtls_session_id[AC_DTLS_ID_MAX]; /* X-DTLS-Session-ID */
	bool has_session_id;
	uint8_t dtls_app_id[AC_DTLS_ID_MAX]; /* X-DTLS-App-ID */
	uint8_t dtls_app_id_len;	     /* bytes, 0 when absent */
	char dtls_cipher[AC_CIPHER_MAX];     /* the suite the headend chose */
	bool dtls_cipher_12;		     /* it came in X-DTLS12-CipherSuite */
};

/*
 * Read a CONNECT reply (resp->status must be 200) into *out. Numbers are
 * decimal seconds or bytes, "none" meaning 0; IPv6 values of X-CSTP-Address
 * and X-CSTP-Netmask are skipped. dtls is LEGACY when a 64-hex-digit
 * Session-ID and a cipher other than PSK-NEGOTIATE were given, PSK when the
 * cipher is PSK-NEGOTIATE and an App-ID was given, else NONE; it is also
 * NONE without an X-DTLS-Port.
 *
 * Returns 0; -EINVAL when the status is not 200; -EBADMSG when there is no
 * IPv4 X-CSTP-Address or a header listed in struct ac_tunnel has a value
 * that does not parse (out of range, odd hex, Session-ID not 64 hex
 * digits, App-ID over AC_DTLS_ID_MAX bytes, cipher name too long).
 */
int ac_parse_connect_reply(const struct http_response *resp, struct ac_tunnel *out);

#endif
