/*
 * engine/trust/model.c - the table of phone model profiles (model.h).
 *
 * Values from ../shared/docs/phone-behaviour.md: 7900/8900/9900 series speak
 * TLS 1.0 only with AES-SHA suites; 7811-7861 and 8811-8865 speak TLS 1.0 and
 * 1.2, the 88xx offering the four suites its VPNC log prints. Phones log the
 * legacy DTLS as DTLSv0.9 with the AES-SHA suites, and "the phone must be
 * able to use the same cipher on TLS and DTLS" (the cipher mismatch of the
 * troubleshooting guide): every profile has dtls_same_cipher. MICs and LSCs
 * are RSA-2048 by default (the LSC section of the Italian guide); the VPN
 * profile's "Fail to Connect" timer defaults to 30 s (the guide's log shows
 * the abort 30 s after the start). "@SECLEVEL=0" lets
 * OpenSSL 3.0 speak TLS 1.0 and SHA-1 suites as these phones do.
 */
#include "engine/trust/model.h"

#include <openssl/ssl.h>
#include <string.h>

#define PHONE_UA "Cisco SVC IPPhone Client v1.0" /* as ocserv's phone tests send it */
#define AES_SHA "AES256-SHA:AES128-SHA:@SECLEVEL=0"
#define C88XX "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:AES128-SHA:@SECLEVEL=0"

static const struct model models[] = {
	{"7962", TLS1_VERSION, TLS1_VERSION, AES_SHA, "AES256-SHA:AES128-SHA", false, true, true, "RSA-2048", 30, PHONE_UA,
	 "79xx: TLS 1.0 only, AES-SHA (phone-behaviour.md, cipher facts); MIC on the SHA-1 chain"},
	{"7965", TLS1_VERSION, TLS1_VERSION, AES_SHA, "AES256-SHA:AES128-SHA", false, true, true, "RSA-2048", 30, PHONE_UA,
	 "79xx: TLS 1.0 only, AES-SHA; MIC on the SHA-1 chain"},
	{"7841", TLS1_VERSION, TLS1_2_VERSION, C88XX, "AES256-SHA:AES128-SHA", true, false, true, "RSA-2048", 30, PHONE_UA,
	 "78xx: TLS 1.0 and 1.2, same suites as 88xx; MIC on the SHA-256 chain"},
	{"8845", TLS1_VERSION, TLS1_2_VERSION, C88XX, "AES256-SHA:AES128-SHA", true, false, true, "RSA-2048", 30, PHONE_UA,
	 "88xx: TLS 1.0 and 1.2; MIC on Cisco_Manufacturing_CA_SHA2"},
	{"8861", TLS1_VERSION, TLS1_2_VERSION, C88XX, "AES256-SHA:AES128-SHA", true, false, true, "RSA-2048", 30, PHONE_UA,
	 "8861: the suites of its VPNC 'current cipher' log line; SHA-256 MIC chain"},
	{"9971", TLS1_VERSION, TLS1_VERSION, AES_SHA, "AES256-SHA:AES128-SHA", false, true, true, "RSA-2048", 30, PHONE_UA,
	 "99xx: TLS 1.0 only; MIC on Cisco_Root_CA_2048 (SHA-1)"},
};

const struct model *model_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (!strcmp(models[i].name, name))
			return &models[i];
	return NULL;
}

const struct model *model_at(int n)
{
	if (n < 0 || (unsigned)n >= sizeof(models) / sizeof(models[0]))
		return NULL;
	return &models[n];
}
