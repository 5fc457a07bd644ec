/*
 * engine/phone/failure.c - phases and the phone's words for a failure (failure.h).
 *
 * The details say what the phone's console log says of the failure (the
 * VPNC/SECD lines of phone-behaviour.md: "SSL alert received: bad
 * certificate", "abort_connect: in tls phase", "gethostbyname failed
 * <host>"), completed with what the log spreads over several lines: the
 * HTTP status, the leaf certificate's hash, the OpenSSL error. Then the
 * headend's own words, verbatim, and for the refusals a Cisco document
 * explains from the ASA's side, what the ASA admin should check: the
 * syslog messages and settings of Cisco's guides and the community thread
 * of the seeds, nothing guessed from the headend's words.
 */
#include "engine/phone/failure.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/ssl.h>

#include "engine/trust/certhash.h"
#include "engine/proto/cstp.h"
#include "engine/proto/svc.h"
#include "engine/proto/http.h"
#include "engine/proto/redirect.h"
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

static const char *err_text(int e)
{
	return strerror(e < 0 ? -e : e);
}

static bool has(const char *s)
{
	return s && s[0];
}

static bool http_error(int err);

/* What the phone saw, in its words, into buf; snprintf's return. */
static int phone_words(char *buf, size_t cap, const struct failure_facts *f)
{
	const char *host = has(f->host) ? f->host : "?";
	const char *alert = f->alert_rcvd ? SSL_alert_desc_string_long(f->alert_rcvd) : NULL;
	const char *status = has(f->status_text) ? f->status_text : "", *sp = status[0] ? " " : "";
	const char *method = has(f->method) ? f->method : "POST";
	const char *path = has(f->path) ? f->path : "/";
	int d = f->detail;
	char h[2 * CERTHASH_SHA1_LEN + 1], b64[CERTHASH_B64_LEN + 1];
	int n;

	switch (f->reason) {
	case R_DNS_LOOKUP:
		n = snprintf(buf, cap, "gethostbyname failed <%s>: %s", host,
			     d == LOOKUP_ERROR ? "DNS error" : "no answer from its DNS servers");
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
		if (d == FAILURE_CERT_ASKED_AGAIN)
			n = snprintf(buf, cap, "the headend asked for a client certificate again "
					       "(<client-cert-request/>) on a new connection that "
					       "presented one");
		else if (d == FAILURE_CERT_NONE)
			n = snprintf(buf, cap, "the headend asks for a client certificate "
					       "(<client-cert-request/>) and the phone has none");
		else if (alert)
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
		if (d == FAILURE_LOGIN_REFUSED)
			n = snprintf(buf, cap, "login refused");
		else if (d == 200)
			n = snprintf(buf, cap, "login form again: Login failed or nothing to answer with");
		else
			n = snprintf(buf, cap, "HTTP %d%s%s on %s %s", d, sp, status, method, path);
		break;
	case R_HTTP_STATUS:
		n = snprintf(buf, cap, "HTTP %d%s%s on %s %s%s", d, sp, status, method, path,
			     d >= 300 && d < 400 ? " (a redirect)" : "");
		break;
	case R_WEBVPN_COOKIE:
		n = snprintf(buf, cap, "'webvpn=' not found in cookie (%s %s answered with %s)", method,
			     path, svc_body_name((enum svc_body)d));
		break;
	case R_WEBVPN_LOGIN:
		n = snprintf(buf, cap, "GET %s answered with %s", path,
			     svc_answer_name((enum svc_answer)d));
		break;
	case R_HTTP_MALFORMED:
		if (http_error(d))
			n = snprintf(buf, cap, "malformed HTTP reply: %s", http_strerror(d));
		else if (d < 0)
			n = snprintf(buf, cap, "malformed HTTP reply: %s", err_text(d));
		else
			n = snprintf(buf, cap, "malformed reply body (XML or CONNECT headers)");
		break;
	case R_TUNNEL_REFUSED:
		n = snprintf(buf, cap, "CONNECT /CSCOSSLC/tunnel: HTTP %d%s%s", d, sp, status);
		break;
	case R_IDLE_TIMEOUT:
		n = snprintf(buf, cap, "the headend ended the session after %d s without data from "
				       "the phone (X-CSTP-Idle-Timeout: %u)",
			     d, f->idle_s);
		break;
	case R_BAD_REDIRECT:
		n = snprintf(buf, cap, "%s", redirect_strerror(d));
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
		if (f->resent && n >= 0 && (size_t)n < cap)
			n += snprintf(buf + n, cap - (size_t)n, " before the reply, on a new "
								"connection too");
		break;
	case R_DTLS_FAILED:
		if (d == FAILURE_DTLS_NOT_OFFERED)
			n = snprintf(buf, cap, "DTLS setup failure: the headend's x-dtls-ciphersuite is "
					       "not a DTLSv0.9 cipher the phone offered");
		else
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
	default:
		n = snprintf(buf, cap, "%s", reason_name(f->reason));
		break;
	}
	return n;
}
/* Is err one of the HTTP layer's own errors (engine/proto/http.h)? */
static bool http_error(int err)
{
	return err == -EBADMSG || err == -E2BIG || err == HTTP_E_HEADERS || err == HTTP_E_CODING ||
	       err == HTTP_E_CHUNK_HEX || err == HTTP_E_CHUNK_LINE || err == HTTP_E_CHUNK_SIZE ||
	       err == HTTP_E_CHUNK_END || err == HTTP_E_BODY;
}

/*
 * What an ASA admin should look at for this failure, where a Cisco document
 * says (the phone VPN guides of the seeds, the ASA syslog guide, the
 * community thread); NULL where none does.
 */
static const char *asa_hint(const struct failure_facts *f)
{
	switch (f->reason) {
	case R_WEBVPN_COOKIE:
	case R_WEBVPN_LOGIN:
		return "ASA: the tunnel group's group-url must be this URL, and not "
		       "DefaultWEBVPNGroup's";
	case R_AUTH_FAILED:
		return "ASA: syslog 113005, 113015 or 716039 say why the login was refused";
	case R_TUNNEL_REFUSED:
		return "ASA: syslog 716023/113029 (session limit), 722020/737019 (address pool); "
		       "licences: AnyConnect Premium and VPN Phone";
	case R_CLIENT_CERT:
		return "ASA: a trustpoint for the phones' issuer (Cisco Manufacturing CA, or CAPF "
		       "for LSCs); debug crypto ca 255";
	case R_CERT_HASH:
		if (f->leaf_ec)
			return "ASA 9.4 and later may pick ECDHE with a temporary EC certificate "
			       "(CSCuu02848): limit 'ssl cipher' to AES256-SHA:AES128-SHA";
		return NULL;
	case R_TLS_REFUSED:
	case R_TLS_NO_SHARED:
		return "ASA: 'ssl cipher' must allow this model's suites (79xx: TLS 1.0, "
		       "AES-SHA, no EC)";
	case R_DTLS_FAILED:
	case R_DTLS_TIMEOUT:
		if (f->dtls_cipher_mismatch)
			return "ASA: TLS and DTLS cipher lists must share this suite ('old session "
			       "cipher not returned'); syslog 722043";
		return NULL;
	case R_IDLE_TIMEOUT:
		return "ASA: vpn-idle-timeout of the group policy; syslog 113019 Reason: Idle "
		       "Timeout";
	default:
		return NULL;
	}
}

/* Append to buf[0..cap) at *n, cut to fit; *n stays within cap - 1. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n + 1 >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < cap ? *n + (size_t)k : cap - 1;
}

static size_t describe(char *buf, size_t cap, const struct failure_facts *f, size_t *said_at,
		       size_t *said_len)
{
	const char *hint = asa_hint(f);
	int k;
	size_t n;

	*said_at = *said_len = 0;
	if (!cap)
		return 0;
	k = phone_words(buf, cap, f);
	if (k < 0) {
		buf[0] = 0;
		return 0;
	}
	n = (size_t)k < cap ? (size_t)k : cap - 1;
	if (has(f->said)) {
		append(buf, cap, &n, ": %s%s\"", has(f->said_how) ? f->said_how : "",
		       has(f->said_how) ? " " : "");
		*said_at = n;
		append(buf, cap, &n, "%s", f->said);
		*said_len = n - *said_at;
		append(buf, cap, &n, "\"");
	}
	if (f->redirected)
		append(buf, cap, &n, " (at %s, where a redirect led)", has(f->host) ? f->host : "?");
	if (hint)
		append(buf, cap, &n, " [%s]", hint);
	return n;
}

size_t failure_describe(char *buf, size_t cap, const struct failure_facts *f)
{
	size_t at, len;

	return describe(buf, cap, f, &at, &len);
}

void failure_fill(struct failure_rec *r, const struct failure_facts *f)
{
	size_t at, len;

	describe(r->detail, sizeof(r->detail), f, &at, &len);
	r->said_at = (uint16_t)at;
	r->said_len = (uint16_t)len;
}

size_t failure_said(const struct failure_rec *r, char *out, size_t cap)
{
	size_t n = r->said_len;

	if (!cap)
		return 0;
	if (r->said_at >= sizeof(r->detail) || n > sizeof(r->detail) - r->said_at)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, r->detail + r->said_at, n);
	out[n] = 0;
	return n;
}
