/*
 * engine/proto/anyconnect.c - the AnyConnect HTTP requests and the CONNECT reply.
 *
 * The requests are written header by header in OpenConnect's order and
 * capitalisation, which is what ocserv and an ASA were tested against. The
 * reply is read through one table that maps each X-CSTP-/X-DTLS- header we
 * use to a field of struct ac_tunnel and a value syntax; headers not in the
 * table (DNS, split routes, banners, custom headers) are ignored.
 */
#include "engine/proto/anyconnect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/proto/text.h"

/* ==== Requests ==== */

/* A header value must not end the line or the request early. */
static bool value_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

int ac_request_head(struct text *w, const char *method, const struct ac_request *rq,
		    const char *path)
{
	bool cookies = rq->cookies && rq->cookies[0];

	if (!value_ok(rq->host) || !value_ok(rq->user_agent) || (cookies && !value_ok(rq->cookies)))
		return -EINVAL;
	if (!path || path[0] != '/')
		return -EINVAL;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EINVAL;
	text_put(w, method);
	text_put(w, " ");
	text_put(w, path);
	text_put(w, " HTTP/1.1\r\nHost: ");
	text_put(w, rq->host);
	if (rq->port != 443) {
		text_put(w, ":");
		text_put_u32(w, rq->port);
	}
	text_put(w, "\r\n");
	text_header(w, "User-Agent", rq->user_agent);
	if (cookies)
		text_header(w, "Cookie", rq->cookies);
	return 0;
}

int ac_auth_request(char *buf, size_t cap, const struct ac_request *rq, const char *path,
		    const char *body, size_t body_len)
{
	struct text w;

	text_init(&w, buf, cap);
	if (ac_request_head(&w, "POST", rq, path))
		return -EINVAL;
	text_header(&w, "Accept", "*/*");
	text_header(&w, "Accept-Encoding", "identity");
	text_header(&w, "X-Transcend-Version", "1");
	text_header(&w, "X-Aggregate-Auth", "1");
	text_header(&w, "Content-Type", "application/xml; charset=utf-8");
	text_put(&w, "Content-Length: ");
	text_put_u32(&w, (uint32_t)body_len);
	if (body_len > UINT32_MAX)
		w.full = true;
	text_put(&w, "\r\n\r\n");
	if (body_len)
		text_put_n(&w, body, body_len);
	return text_result(&w);
}

int ac_connect_request(char *buf, size_t cap, const struct ac_connect *c)
{
	static const char hex[] = "0123456789ABCDEF";
	struct ac_request rq = {.host = c->host, .port = c->port, .user_agent = c->user_agent};
	struct text w;

	if (!value_ok(c->host) || !value_ok(c->user_agent) || !value_ok(c->cookie) ||
	    (c->hostname && !value_ok(c->hostname)) ||
	    (c->dtls_ciphers && !value_ok(c->dtls_ciphers)) ||
	    (c->dtls12_ciphers && !value_ok(c->dtls12_ciphers)))
		return -EINVAL;

	text_init(&w, buf, cap);
	if (ac_request_head(&w, "CONNECT", &rq, "/CSCOSSLC/tunnel"))
		return -EINVAL;
	text_put(&w, "Cookie: webvpn=");
	text_put(&w, c->cookie);
	text_put(&w, "\r\n");
	text_header(&w, "X-CSTP-Version", "1");
	if (c->hostname)
		text_header(&w, "X-CSTP-Hostname", c->hostname);
	if (c->base_mtu) {
		text_put(&w, "X-CSTP-Base-MTU: ");
		text_put_u32(&w, c->base_mtu);
		text_put(&w, "\r\n");
	}
	if (c->mtu) {
		text_put(&w, "X-CSTP-MTU: ");
		text_put_u32(&w, c->mtu);
		text_put(&w, "\r\n");
	}
	text_header(&w, "X-CSTP-Address-Type", "IPv4");
	if (c->dtls) {
		if (c->master_secret) {
			char secret[2 * AC_DTLS_SECRET_LEN + 1];

			for (int i = 0; i < AC_DTLS_SECRET_LEN; i++) {
				secret[2 * i] = hex[c->master_secret[i] >> 4];
				secret[2 * i + 1] = hex[c->master_secret[i] & 15];
			}
			secret[2 * AC_DTLS_SECRET_LEN] = '\0';
			text_header(&w, "X-DTLS-Master-Secret", secret);
		}
		if (c->dtls_ciphers)
			text_header(&w, "X-DTLS-CipherSuite", c->dtls_ciphers);
		if (c->dtls12_ciphers)
			text_header(&w, "X-DTLS12-CipherSuite", c->dtls12_ciphers);
	}
	text_put(&w, "\r\n");
	return text_result(&w);
}

/* ==== Reply ==== */

static bool value_is(const struct http_header *h, const char *s)
{
	return h->value_len == strlen(s) && !strncasecmp(h->value, s, h->value_len);
}

/* Decimal uint32, or "none" = 0. */
static int get_u32(const struct http_header *h, uint32_t *out)
{
	uint64_t v = 0;

	if (value_is(h, "none")) {
		*out = 0;
		return 0;
	}
	if (h->value_len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < h->value_len; i++) {
		char c = h->value[i];

		if (c < '0' || c > '9')
			return -EBADMSG;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > UINT32_MAX)
			return -EBADMSG;
	}
	*out = (uint32_t)v;
	return 0;
}

static int get_rekey(const struct http_header *h, enum ac_rekey *out)
{
	if (value_is(h, "none"))
		*out = AC_REKEY_NONE;
	else if (value_is(h, "ssl"))
		*out = AC_REKEY_SSL;
	else if (value_is(h, "new-tunnel"))
		*out = AC_REKEY_NEW_TUNNEL;
	else
		return -EBADMSG;
	return 0;
}

/*
 * An IPv4 dotted quad. Returns 0, 1 for an IPv6 value (skipped by the
 * caller), or -EBADMSG.
 */
static int get_ipv4(const struct http_header *h, struct in_addr *out)
{
	char tmp[INET_ADDRSTRLEN];

	if (memchr(h->value, ':', h->value_len))
		return 1;
	if (h->value_len == 0 || h->value_len >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, h->value, h->value_len);
	tmp[h->value_len] = '\0';
	if (inet_pton(AF_INET, tmp, out) != 1)
		return -EBADMSG;
	return 0;
}

/* Hex into out[0..max); returns the byte count or -EBADMSG. */
static int get_hex(const struct http_header *h, uint8_t *out, size_t max)
{
	size_t n = h->value_len / 2;

	if (h->value_len == 0 || h->value_len % 2 || n > max)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int hi = text_hex_digit(h->value[2 * i]);
		int lo = text_hex_digit(h->value[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)n;
}

enum field_kind {
	F_U32,	  /* uint32_t, decimal or "none" */
	F_REKEY,  /* enum ac_rekey */
	F_ADDR,	  /* first IPv4 value, struct in_addr */
	F_MASK,	  /* IPv4 netmask, struct in_addr */
	F_PORT,	  /* uint16_t */
	F_SID,	  /* Session-ID: exactly 32 bytes of hex */
	F_APPID,  /* App-ID: 1..32 bytes of hex */
	F_CIPHER, /* a suite name; F_CIPHER12 for the DTLS 1.2 header */
	F_CIPHER12,
};

static const struct field {
	const char *name;
	enum field_kind kind;
	size_t off; /* offsetof(struct ac_tunnel, ...) */
} fields[] = {
    {"X-CSTP-Address", F_ADDR, offsetof(struct ac_tunnel, addr)},
    {"X-CSTP-Netmask", F_MASK, offsetof(struct ac_tunnel, netmask)},
    {"X-CSTP-MTU", F_U32, offsetof(struct ac_tunnel, mtu)},
    {"X-CSTP-Base-MTU", F_U32, offsetof(struct ac_tunnel, base_mtu)},
    {"X-CSTP-DPD", F_U32, offsetof(struct ac_tunnel, dpd)},
    {"X-CSTP-Keepalive", F_U32, offsetof(struct ac_tunnel, keepalive)},
    {"X-CSTP-Idle-Timeout", F_U32, offsetof(struct ac_tunnel, idle_timeout)},
    {"X-CSTP-Rekey-Time", F_U32, offsetof(struct ac_tunnel, rekey_time)},
    {"X-CSTP-Rekey-Method", F_REKEY, offsetof(struct ac_tunnel, rekey_method)},
    {"X-DTLS-Port", F_PORT, offsetof(struct ac_tunnel, dtls_port)},
    {"X-DTLS-DPD", F_U32, offsetof(struct ac_tunnel, dtls_dpd)},
    {"X-DTLS-Keepalive", F_U32, offsetof(struct ac_tunnel, dtls_keepalive)},
    {"X-DTLS-MTU", F_U32, offsetof(struct ac_tunnel, dtls_mtu)},
    {"X-DTLS-Rekey-Time", F_U32, offsetof(struct ac_tunnel, dtls_rekey_time)},
    {"X-DTLS-Rekey-Method", F_REKEY, offsetof(struct ac_tunnel, dtls_rekey_method)},
    {"X-DTLS-Session-ID", F_SID, offsetof(struct ac_tunnel, dtls_session_id)},
    {"X-DTLS-App-ID", F_APPID, offsetof(struct ac_tunnel, dtls_app_id)},
    {"X-DTLS-CipherSuite", F_CIPHER, offsetof(struct ac_tunnel, dtls_cipher)},
    {"X-DTLS12-CipherSuite", F_CIPHER12, offsetof(struct ac_tunnel, dtls_cipher)},
};

/* Apply one reply header to *t. have_addr: an IPv4 address was seen. */
static int apply(const struct field *f, const struct http_header *h, struct ac_tunnel *t,
		 bool *have_addr)
{
	void *dst = (char *)t + f->off;
	uint32_t v;
	int n;

	switch (f->kind) {
	case F_U32:
		return get_u32(h, (uint32_t *)dst);
	case F_REKEY:
		return get_rekey(h, (enum ac_rekey *)dst);
	case F_ADDR:
		if (*have_addr)
			return 0;
		n = get_ipv4(h, (struct in_addr *)dst);
		if (n == 0)
			*have_addr = true;
		return n < 0 ? n : 0;
	case F_MASK:
		n = get_ipv4(h, (struct in_addr *)dst);
		return n < 0 ? n : 0;
	case F_PORT:
		if (get_u32(h, &v) || v > 65535)
			return -EBADMSG;
		t->dtls_port = (uint16_t)v;
		return 0;
	case F_SID:
		if (h->value_len != 2 * AC_DTLS_ID_MAX)
			return -EBADMSG;
		n = get_hex(h, t->dtls_session_id, AC_DTLS_ID_MAX);
		if (n < 0)
			return n;
		t->has_session_id = true;
		return 0;
	case F_APPID:
		n = get_hex(h, t->dtls_app_id, AC_DTLS_ID_MAX);
		if (n < 0)
			return n;
		t->dtls_app_id_len = (uint8_t)n;
		return 0;
	case F_CIPHER:
	case F_CIPHER12:
		/* The first cipher header wins; ocserv sends one. */
		if (t->dtls_cipher[0])
			return 0;
		if (h->value_len == 0 || h->value_len >= AC_CIPHER_MAX)
			return -EBADMSG;
		memcpy(t->dtls_cipher, h->value, h->value_len);
		t->dtls_cipher[h->value_len] = '\0';
		t->dtls_cipher_12 = f->kind == F_CIPHER12;
		return 0;
	}
	return 0;
}

static enum ac_dtls dtls_mode(const struct ac_tunnel *t)
{
	if (!t->dtls_port || !t->dtls_cipher[0])
		return AC_DTLS_NONE;
	if (!strcmp(t->dtls_cipher, "PSK-NEGOTIATE"))
		return t->dtls_app_id_len ? AC_DTLS_PSK : AC_DTLS_NONE;
	return t->has_session_id ? AC_DTLS_LEGACY : AC_DTLS_NONE;
}

int ac_parse_connect_reply(const struct http_response *resp, struct ac_tunnel *out)
{
	bool have_addr = false;

	memset(out, 0, sizeof(*out));
	if (resp->status != 200)
		return -EINVAL;
	for (int i = 0; i < resp->n_headers; i++) {
		struct http_header hv = http_header_at(resp, i);
		const struct http_header *h = &hv;

		if (h->name_len < 6 || strncasecmp(h->name, "X-", 2))
			continue;
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			const struct field *f = &fields[k];
			int err;

			if (strlen(f->name) != h->name_len ||
			    strncasecmp(f->name, h->name, h->name_len))
				continue;
			err = apply(f, h, out, &have_addr);
			if (err)
				return err;
			break;
		}
	}
	if (!have_addr)
		return -EBADMSG;
	out->dtls = dtls_mode(out);
	return 0;
}
