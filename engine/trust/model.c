/*
 * engine/trust/model.c - the table of phone model profiles (model.h).
 *
 * Where each value comes from:
 * - TLS: 7900/8900/9900 series speak TLS 1.0 only; 7811-7861 and 8811-8865
 *   TLS 1.0 and 1.2 (Cisco's VPN phone guide, table "TLS version support").
 *   The 88xx offer the four suites of their VPNC "current cipher" log line;
 *   the older ones AES256-SHA and AES128-SHA with RSA key exchange (the
 *   fix Cisco's guide gives for them, and usecallmanager.nz's advice to force
 *   RSA/SHA1/AES-CBC for 894x and 99xx). "@SECLEVEL=0" lets OpenSSL 3.0
 *   speak TLS 1.0 and SHA-1 suites as these phones do.
 * - User agent "Cisco SVC IPPhone Client v1.0": what an ASA shows as a
 *   7962's "Client Ver" in Cisco's VPN phone guide, and what ocserv 1.2+
 *   recognises as a phone (worker-http.c).
 * - Login: the phone's own exchange (engine/proto/svc.h), from ocserv
 *   1.2.0's implementation of the headend side (worker-svc.c; its commit
 *   message: the phone GETs, looks for an expired webvpn cookie and a
 *   webvpnlogin cookie with a value, then POSTs the form, empty for a
 *   certificate phone).
 * - DTLS: legacy DTLS 0.9 only (every phone log in Cisco's guides says
 *   DTLSv0.9; an ASA lists a 7962's tunnel as DTLSv1.0, the same
 *   pre-standard version 0x0100), offering the AES-SHA suites
 *   (dtls_ciphers); on UDP 443 only, whatever X-DTLS-Port says (ocserv's
 *   README for phones; cisco-svc-client-compat refuses any other udp-port;
 *   Cisco bug CSCtz42052 "IP Phone SSL VPN Support For Non Default Port
 *   Numbers"). The resumed DTLS session claims the TLS session's cipher, so
 *   a headend that picks another DTLS suite gets "old session cipher not
 *   returned" and an illegal_parameter alert: the 8861 log of the guide,
 *   and ocserv's README ("If the ciphers do not match the phone will log
 *   the error old session cipher not returned ... force either AES256-CBC
 *   or AES128-CBC"); its commit message says older firmware fails when the
 *   cipher negotiated for HTTPS does not match the one selected for DTLS.
 *   Newer firmware seems to offer DTLS 1.2 with its ECDHE-RSA GCM suites
 *   (ocserv 1.2.0 added them to X-DTLS12-CipherSuite "for
 *   cisco-svc-client-compat devices"): not modelled, no phone log shows it.
 *   Checked in the lab against ocserv 1.3 (tests/lab/test_svc_*.sh).
 *   dtls12 and dtls_same_cipher only serve phones.client = anyconnect.
 * - Certificates: the CN is CP-<product ID>-SEP<MAC>; the 79xx product IDs
 *   carry a G (an ASA lists a 7962 as CP-7962G-SEP...; 7965G by the same
 *   naming), the 88xx none (CP-8841-SEP... on an ASA, an 8861's LSC
 *   CP-8861-SEP...); 7841 and 9971 by their product IDs (no document shows
 *   their CN). MICs of the 79xx and 99xx chain to the SHA-1 manufacturing
 *   CA, the newer ones to the SHA-256 one; MICs and LSCs are RSA-2048 by
 *   default (the guides on MICs and LSCs).
 * - "Fail to Connect" timer: 30 s by default (the guide's log shows the
 *   abort 30 s after the start).
 */
#include "engine/trust/model.h"

#include <openssl/ssl.h>
#include <string.h>

#define PHONE_UA "Cisco SVC IPPhone Client v1.0"
#define AES_SHA "AES256-SHA:AES128-SHA:@SECLEVEL=0"
#define C88XX "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:AES128-SHA:@SECLEVEL=0"
#define DTLS09 "AES256-SHA:AES128-SHA"

static const struct model models[] = {
	{"7962", "7962G", TLS1_VERSION, TLS1_VERSION, AES_SHA, DTLS09, false, true, true, "RSA-2048", 30, PHONE_UA,
	 "79xx: TLS 1.0 only, AES-SHA; MIC on the SHA-1 chain; CN CP-7962G-SEP<MAC>"},
	{"7965", "7965G", TLS1_VERSION, TLS1_VERSION, AES_SHA, DTLS09, false, true, true, "RSA-2048", 30, PHONE_UA,
	 "79xx: TLS 1.0 only, AES-SHA; MIC on the SHA-1 chain; CN CP-7965G-SEP<MAC>"},
	{"7841", "7841", TLS1_VERSION, TLS1_2_VERSION, C88XX, DTLS09, true, false, true, "RSA-2048", 30, PHONE_UA,
	 "78xx: TLS 1.0 and 1.2, same suites as 88xx; MIC on the SHA-256 chain"},
	{"8845", "8845", TLS1_VERSION, TLS1_2_VERSION, C88XX, DTLS09, true, false, true, "RSA-2048", 30, PHONE_UA,
	 "88xx: TLS 1.0 and 1.2; MIC on Cisco_Manufacturing_CA_SHA2"},
	{"8861", "8861", TLS1_VERSION, TLS1_2_VERSION, C88XX, DTLS09, true, false, true, "RSA-2048", 30, PHONE_UA,
	 "8861: the suites of its VPNC 'current cipher' log line; SHA-256 MIC chain"},
	{"9971", "9971", TLS1_VERSION, TLS1_VERSION, AES_SHA, DTLS09, false, true, true, "RSA-2048", 30, PHONE_UA,
	 "99xx: TLS 1.0 only; MIC on Cisco_Root_CA_2048 (SHA-1)"},
};

const struct model *model_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (!strcmp(models[i].name, name) || !strcmp(models[i].cn_model, name))
			return &models[i];
	return NULL;
}

const struct model *model_at(int n)
{
	if (n < 0 || (unsigned)n >= sizeof(models) / sizeof(models[0]))
		return NULL;
	return &models[n];
}
