/*
 * engine/reason.c - public names of the failure reasons (see reason.h).
 *
 * Names follow the phone's own notify codes where the documents give one
 * (DnsLookupErr), and CamelCase descriptions otherwise.
 */
#include "engine/reason.h"

static const char *const names[R__COUNT] = {
	[R_NONE] = "None",
	[R_DNS_LOOKUP] = "DnsLookupErr",
	[R_DNS_NXDOMAIN] = "DnsNxdomain",
	[R_TCP_REFUSED] = "TcpRefused",
	[R_TCP_TIMEOUT] = "TcpTimeout",
	[R_TCP_ERROR] = "TcpError",
	[R_TLS_ALERT] = "TlsAlertReceived",
	[R_TLS_NO_SHARED] = "TlsNoSharedCipher",
	[R_TLS_ERROR] = "TlsError",
	[R_CERT_HASH] = "CertHashMismatch",
	[R_HOST_ID] = "HostIdMismatch",
	[R_AUTH_FAILED] = "AuthFailed",
	[R_HTTP_STATUS] = "HttpStatus",
	[R_HTTP_MALFORMED] = "HttpMalformed",
	[R_TUNNEL_REFUSED] = "TunnelRefused",
	[R_CSTP_MALFORMED] = "CstpMalformed",
	[R_CLOSED_HANDSHAKE] = "ClosedDuringSetup",
	[R_CLOSED_BY_HEADEND] = "ClosedByHeadend",
	[R_DTLS_FAILED] = "DtlsFailed",
	[R_DTLS_TIMEOUT] = "DtlsTimeout",
	[R_DPD_TIMEOUT] = "DpdTimeout",
	[R_CONNECT_TIMEOUT] = "ConnectTimeout",
	[R_INTERNAL] = "Internal",
	[R_BAD_CREDENTIALS] = "CredentialsRefusedByPhone",
	[R_CLIENT_CERT] = "ClientCertRejected",
	[R_TLS_REFUSED] = "TlsRefused",
	[R_WEBVPN_COOKIE] = "WebvpnCookieNotFound",
	[R_WEBVPN_LOGIN] = "WebvpnLoginInvalid",
	[R_IDLE_TIMEOUT] = "IdleTimeout",
	[R_BAD_REDIRECT] = "BadRedirect",
};

const char *reason_name(enum reason r)
{
	if ((unsigned)r >= R__COUNT || !names[r])
		return "Unknown";
	return names[r];
}
