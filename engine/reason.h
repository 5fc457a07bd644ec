/*
 * engine/reason.h - the named reasons a phone can fail for.
 *
 * Every phone that does not reach "tunnel up", or loses it, ends with exactly
 * one of these. The names are public: they are the keys of report.json's
 * "failures" object and are listed in the README. Append; never renumber.
 */
#ifndef ENGINE_REASON_H
#define ENGINE_REASON_H

enum reason {
	R_NONE = 0,
	R_DNS_LOOKUP,        /* DnsLookupErr: no answer from the phone's DNS servers */
	R_DNS_NXDOMAIN,      /* the name does not exist */
	R_TCP_REFUSED,       /* RST to our SYN */
	R_TCP_TIMEOUT,       /* no SYN-ACK in time */
	R_TCP_ERROR,         /* the connect failed otherwise (host or network unreachable) */
	R_TLS_ALERT,         /* the headend sent a fatal TLS alert */
	R_TLS_NO_SHARED,     /* no shared cipher or protocol version */
	R_TLS_ERROR,         /* the TLS handshake failed otherwise */
	R_CERT_HASH,         /* leaf certificate hash not in the trust list */
	R_HOST_ID,           /* URL host does not match the certificate's CN/SAN */
	R_AUTH_FAILED,       /* the headend refused our credentials */
	R_HTTP_STATUS,       /* an unexpected HTTP status during auth or CONNECT */
	R_HTTP_MALFORMED,    /* a reply that cannot be parsed */
	R_TUNNEL_REFUSED,    /* CONNECT answered with anything but 200 */
	R_CSTP_MALFORMED,    /* bad magic, reserved byte or oversized CSTP length */
	R_CLOSED_HANDSHAKE,  /* connection closed before the tunnel came up */
	R_CLOSED_BY_HEADEND, /* DISCONNECT or close while the tunnel was up */
	R_DTLS_FAILED,       /* DTLS handshake failed */
	R_DTLS_TIMEOUT,      /* DTLS handshake did not complete in time */
	R_DPD_TIMEOUT,       /* the headend stopped answering DPD */
	R_CONNECT_TIMEOUT,   /* "Fail to Connect": the connect timer expired */
	R_INTERNAL,          /* out of memory or a local resource; never the headend's fault */
	R_BAD_CREDENTIALS,   /* the phone refuses its own credentials (a space in them) */
	R_CLIENT_CERT,       /* the headend refused the phone's certificate (TLS alert) */
	R_TLS_REFUSED,       /* the headend closed before its ServerHello (version, ciphers, a cap) */
	R_WEBVPN_COOKIE,     /* the login's answer has no webvpn cookie (a group-url mismatch) */
	R_WEBVPN_LOGIN,      /* the answer to the phone's GET: no single webvpnlogin with a value */
	R_IDLE_TIMEOUT,      /* the headend ended the session after its idle timeout without data */
	R_BAD_REDIRECT,      /* a redirect not followed: not https, a loop, more than 3 hops */
	R__COUNT
};

/* Public name of a reason ("CertHashMismatch"); never NULL. */
const char *reason_name(enum reason r);

#endif
