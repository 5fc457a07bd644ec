/*
 * engine/phone/failure.c - phases and the phone's words for a failure (failure.h).
 *
 * The details say what the phone's console log says of the failure (the
 * VPNC/SECD lines of phone-behaviour.md: "SSL alert received: bad
 * certificate", "abort_connect: in tls phase", "gethostbyname failed
 * <host>"), completed with what the log spreads over several lines: the
 * HTTP status, the leaf certificate's hash, the OpenSSL error.
 */
#include "engine/phone/failure.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/ssl.h>

#include "engine/trust/certhash.h"
#include "engine/proto/cstp.h"
#include "engine/ring/dns.h"
#include "engine/phone/phone.h"

static const char *const phase_names[FP__COUNT] = {
	[FP_START] = "start",
	[FP_DNS] = "dns",
	[FP_TCP] = "tcp",
	[FP_TLS] = "tls",
	[FP_AUTH] = "auth",
	[FP_CSTP] = "cstp",
	[FP_DTLS] = "dtls",
	[FP_UP] = "up",
	[FP_CLOSING] = "closing",
	[FP_RE_DNS] = "reconnect-dns",
	[FP_RE_TCP] = "reconnect-tcp",
	[FP_RE_TLS] = "reconnect-tls",
	[FP_RE_AUTH] = "reconnect-auth",
	[FP_RE_CSTP] = "reconnect-cstp",
};

const char *failure_phase_name(enum fail_phase ph)
{
	return (unsigned)ph < FP__COUNT ? phase_names[ph] : "?";
}

enum fail_phase failure_phase(int state, bool reconnecting, enum reason r, int d)
{
	enum fail_phase ph;

	if (r == R_DTLS_FAILED || r == R_DTLS_TIMEOUT || (r == R_DPD_TIMEOUT && d == CH_UDP))
		return FP_DTLS;
	if (r == R_BAD_CREDENTIALS)
		return FP_START;
	if (r == R_LOCAL_RESOURCE && state == PH_TUNNEL)
		return FP_DTLS; /* with the tunnel up, only DTLS opens a socket */
	switch (state) {
	case PH_RESOLVING:
		ph = FP_DNS;
		break;
	case PH_CONNECTING:
		ph = FP_TCP;
		break;
	case PH_TLS:
		ph = FP_TLS;
		break;
	case PH_AUTH:
		ph = FP_AUTH;
		break;
	case PH_CSTP:
		ph = FP_CSTP;
		break;
	case PH_TUNNEL:
		return FP_UP;
	case PH_CLOSING:
		return FP_CLOSING;
	default:
		return FP_START;
	}
	return reconnecting ? (enum fail_phase)(ph - FP_DNS + FP_RE_DNS) : ph;
}

/* The stage of a phase, without "reconnect-": what abort_connect names. */
static const char *stage_name(enum fail_phase ph)
{
	if (ph >= FP_RE_DNS && ph <= FP_RE_CSTP)
		ph = (enum fail_phase)(ph - FP_RE_DNS + FP_DNS);
	return failure_phase_name(ph);
}

/* The errno's symbol, "EMFILE" (what to search for), or "errno N". */
static const char *err_name(int e)
{
	const char *n = strerrorname_np(e < 0 ? -e : e);

	return n ? n : "errno ?";
}

static const char *err_text(int e)
{
	return strerror(e < 0 ? -e : e);
}

static bool has(const char *s)
{
	return s && s[0];
}

size_t failure_describe(char *buf, size_t cap, const struct failure_facts *f)
{
	const char *host = has(f->host) ? f->host : "?";
	const char *alert = f->alert_rcvd ? SSL_alert_desc_string_long(f->alert_rcvd) : NULL;
	int d = f->detail;
	char h[2 * CERTHASH_SHA1_LEN + 1], b64[CERTHASH_B64_LEN + 1];
	int n;

	if (!cap)
		return 0;
	switch (f->reason) {
	case R_DNS_LOOKUP:
		n = snprintf(buf, cap, "gethostbyname failed <%s>: %s", host,
			     d == DNS_ERROR ? "DNS error" : "no answer from its DNS servers");
		break;
	case R_DNS_NXDOMAIN:
		n = snprintf(buf, cap, "gethostbyname failed <%s>: NXDOMAIN", host);
		break;
	case R_TCP_REFUSED:
	case R_TCP_ERROR:
		n = snprintf(buf, cap, "connect: %s", err_text(d));
		break;
	case R_TCP_TIMEOUT:
		if (d)
			n = snprintf(buf, cap, "connect: %s", err_text(d));
		else
			n = snprintf(buf, cap, "conn timer expired (%u s): no SYN-ACK", f->timer_s);
		break;
	case R_TLS_ALERT:
	case R_TLS_NO_SHARED:
		if (alert)
			n = snprintf(buf, cap, "SSL alert received: %s", alert);
		else
			n = snprintf(buf, cap, "SSL handshake failed: %s",
				     has(f->tls_error) ? f->tls_error : "no shared cipher or version");
		break;
	case R_TLS_ERROR:
		n = snprintf(buf, cap, "%s: %s",
			     f->phase == FP_TLS || f->phase == FP_RE_TLS ? "SSL handshake failed"
									 : "SSL error",
			     has(f->tls_error) ? f->tls_error : "unknown");
		break;
	case R_TLS_REFUSED:
		n = snprintf(buf, cap, "connection closed by the headend during the SSL handshake "
				       "(no ServerHello)");
		break;
	case R_CLIENT_CERT:
		if (alert)
			n = snprintf(buf, cap, "SSL alert received: %s", alert);
		else
			n = snprintf(buf, cap, "connection closed by the headend after our certificate "
					       "and Finished");
		break;
	case R_CERT_HASH:
		if (f->leaf_sha1) {
			certhash_hex(f->leaf_sha1, CERTHASH_SHA1_LEN, h, false);
			certhash_b64(f->leaf_sha1, b64);
			n = snprintf(buf, cap, "Leaf cert hash = %s (%s): Hash was not found in the "
					       "trust list", h, b64);
		} else {
			n = snprintf(buf, cap, "Hash was not found in the trust list");
		}
		break;
	case R_HOST_ID:
		n = snprintf(buf, cap, "host ID check: %s does not match the certificate's CN/SAN",
			     host);
		break;
	case R_BAD_CREDENTIALS:
		n = snprintf(buf, cap, "the phone's user name or password holds a space");
		break;
	case R_AUTH_FAILED:
		if (d == 0)
			n = snprintf(buf, cap, "'webvpn=' not found in cookie");
		else if (d == 200)
			n = snprintf(buf, cap, "login form again: Login failed or nothing to answer with");
		else
			n = snprintf(buf, cap, "HTTP %d on POST %s", d, has(f->path) ? f->path : "/");
		break;
	case R_HTTP_STATUS:
		n = snprintf(buf, cap, "HTTP %d on POST %s", d, has(f->path) ? f->path : "/");
		break;
	case R_HTTP_MALFORMED:
		if (d < 0)
			n = snprintf(buf, cap, "malformed HTTP reply: %s", err_text(d));
		else
			n = snprintf(buf, cap, "malformed reply body (XML or CONNECT headers)");
		break;
	case R_TUNNEL_REFUSED:
		n = snprintf(buf, cap, "CONNECT /CSCOSSLC/tunnel: HTTP %d", d);
		break;
	case R_CSTP_MALFORMED:
		n = snprintf(buf, cap, "bad CSTP frame: %s", err_text(d));
		break;
	case R_CLOSED_HANDSHAKE:
	case R_CLOSED_BY_HEADEND:
		if (d == CSTP_DISCONNECT || d == CSTP_TERMINATE)
			n = snprintf(buf, cap, "headend sent %s", cstp_type_name((uint8_t)d));
		else if (d < 0)
			n = snprintf(buf, cap, "connection lost: %s", err_text(d));
		else
			n = snprintf(buf, cap, "connection closed by the headend");
		break;
	case R_DTLS_FAILED:
		n = snprintf(buf, cap, "DTLS setup failure: %s",
			     has(f->tls_error) ? f->tls_error : "handshake failed");
		break;
	case R_DTLS_TIMEOUT:
		n = snprintf(buf, cap, "conn timer expired: abort_connect: in dtls setup phase");
		break;
	case R_DPD_TIMEOUT:
		n = snprintf(buf, cap, "nothing received for 2 x DPD on %s",
			     d == CH_UDP ? "DTLS" : "CSTP");
		break;
	case R_CONNECT_TIMEOUT:
		n = snprintf(buf, cap, "conn timer expired (%u s): abort_connect: in %s phase",
			     f->timer_s, stage_name(f->phase));
		break;
	case R_INTERNAL:
		n = snprintf(buf, cap, "local resource: %s", d ? err_text(d) : "exhausted");
		break;
	case R_LOCAL_RESOURCE:
		n = snprintf(buf, cap, "this machine: %s (%s)%s%s", err_text(d), err_name(d),
			     has(f->src) ? " from " : "", has(f->src) ? f->src : "");
		break;
	default:
		n = snprintf(buf, cap, "%s", reason_name(f->reason));
		break;
	}
	if (n < 0) {
		buf[0] = 0;
		return 0;
	}
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
