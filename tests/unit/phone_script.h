/*
 * tests/unit/phone_script.h - one phone on a scripted worker, facing a
 * scripted headend, all in memory (tests/unit/test_phone.c).
 *
 * The worker's I/O operations (struct phone_io, engine/phone/io.h) are
 * implemented here as the ring implements them, with no socket: a virtual
 * clock, the phone's one timer, a DNS lookup the test answers, a TCP
 * channel whose connect the test answers, a UDP channel, sends that
 * complete when the "kernel" runs (script_settle), receives posted and
 * re-posted as the ring does. What the phone sends reaches the headend: a
 * real OpenSSL TLS server on memory BIOs (so the phone's own TLS runs for
 * real), an HTTP server scripted per test (the phone's login, GET and form
 * POST, or the desktop client's XML; the CONNECT reply), the CSTP frames of
 * the tunnel, and a real OpenSSL DTLS server keyed as a headend keys it
 * (PSK-NEGOTIATE from the TLS exporter, or a legacy session resumed from the
 * master secret the phone sent), or for a phone's DTLS 0.9 the server of
 * tests/unit/dtls09.h.
 *
 * Every state the phone is seen in (at each operation it calls and after
 * each event) is recorded, so that the transitions the tests went through
 * can be counted (script_seen).
 */
#ifndef TESTS_UNIT_PHONE_SCRIPT_H
#define TESTS_UNIT_PHONE_SCRIPT_H

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine/config.h"
#include "engine/proto/cstp.h"
#include "engine/proto/inner.h"
#include "engine/proto/url.h"
#include "engine/phone/io.h"
#include "engine/phone/phone.h"
#include "engine/phone/worker.h"
#include "engine/stats/hist.h"
#include "engine/tls/dtls.h"
#include "engine/tls/membio.h"
#include "engine/tls/tls.h"
#include "engine/trust/certhash.h"
#include "engine/trust/model.h"
#include "tests/unit/dtls09.h"

#define S_SECOND 1000000ull
#define S_T0 (1000 * S_SECOND) /* the virtual clock starts here */

/* ==== Keys and certificates, made once ==== */

struct script_pki {
	EVP_PKEY *key;       /* the headend's key, and the phone's */
	X509 *headend;       /* CN vpn.test, SAN vpn.test */
	uint8_t headend_sha1[20];
	X509 *other;         /* a second headend certificate (CN other.test) */
	X509 *phone;         /* a phone certificate (CN CP-8861-SEP...) */
};

static struct script_pki pki;

static inline X509 *script_cert(const char *cn, EVP_PKEY *key)
{
	X509 *c = X509_new();
	X509_NAME *name;
	char san[80];

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), (long)(random() & 0xffffff) + 1);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 365);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, name);
	snprintf(san, sizeof(san), "DNS:%s", cn);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(c, key, EVP_sha256());
	return c;
}

static inline int script_pki_setup(void **state)
{
	unsigned n = 0;

	(void)state;
	pki.key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!pki.key)
		return -1;
	pki.headend = script_cert("vpn.test", pki.key);
	pki.other = script_cert("other.test", pki.key);
	pki.phone = script_cert("CP-8861-SEP02AB00000000", pki.key);
	if (!X509_digest(pki.headend, EVP_sha1(), pki.headend_sha1, &n) || n != 20)
		return -1;
	return 0;
}

static inline int script_pki_teardown(void **state)
{
	(void)state;
	X509_free(pki.headend);
	X509_free(pki.other);
	X509_free(pki.phone);
	EVP_PKEY_free(pki.key);
	return 0;
}

/* ==== The headend ==== */

/*
 * How the headend answers the login. It speaks both exchanges, as ocserv
 * 1.2 and later do: the phone's (a GET answered with the login page, the
 * form POST with the session cookie: engine/proto/svc.h) and the desktop
 * client's XML. Where a value says nothing of one exchange, that exchange
 * goes as with HA_OK.
 */
enum h_auth {
	HA_OK,          /* phone: login page, then webvpn=<cookie>; XML: complete, webvpn=<cookie> */
	HA_TOKEN,       /* XML: complete, the cookie only as <session-token> (an ASA) */
	HA_FORM,        /* phone: a session only for a POST with username and password, else
			   the login page again; XML: a login form (username, then password) */
	HA_FORM_FAIL,   /* phone: 401 to the POST (a wrong password, as ocserv 1.3 answers);
			   XML: a login form every time ("Login failed") */
	HA_NO_COOKIE,   /* 200 to the POST (XML: complete) without a webvpn cookie anywhere */
	HA_401,         /* 401 Unauthorized to the first request */
	HA_404,         /* 404 Not Found to the first request */
	HA_GARBAGE,     /* not HTTP */
	HA_BAD_XML,     /* phone: the POST answered 200 with an HTML page; XML: no config-auth */
	HA_CLOSE,       /* closes the connection on the first request */
	HA_SILENT,      /* never answers */
	HA_DESKTOP,     /* only the XML login (ocserv at "/"): the GET gets the XML form */
	HA_HTML,        /* the GET answered with an HTML page, no cookie (a portal) */
	HA_NO_LOGIN,    /* the GET's answer expires webvpn but sets no webvpnlogin */
	HA_EMPTY_LOGIN, /* the GET's answer sets webvpnlogin without a value */
	HA_LOGIN_TWICE, /* the GET's answer sets webvpnlogin twice */
	HA_REDIRECT,    /* the GET answered 302 to a portal page; XML: the first POST answered
			   302 to https://other.test/phone (a load-balancing cluster) */
	HA_GET_SESSION, /* the GET answered with the session cookie at once (no form) */
};

/* How it answers CONNECT. */
enum h_connect {
	HC_OK,       /* 200 CONNECTED with the tunnel's headers */
	HC_401,      /* 401: the cookie is not (any more) a session */
	HC_503,      /* 503: no address, over the licence, ... */
	HC_NO_ADDR,  /* 200 without X-CSTP-Address */
	HC_SILENT,   /* never answers */
};

/* The DTLS the CONNECT reply offers. */
enum h_dtls {
	HD_NONE,    /* no X-DTLS-* headers */
	HD_PSK,     /* PSK-NEGOTIATE with an App-ID */
	HD_LEGACY,  /* a legacy session (X-DTLS-Session-ID) with the OC-DTLS1_2-AES128-GCM suite */
	HD_DTLS09,  /* a legacy session with AES256-SHA: DTLS 0.9, as ocserv offers a phone
		       (served by hand: tests/unit/dtls09.h) */
};

/* What the DTLS server does with the phone's handshake. */
enum h_dtls_srv {
	HDS_SERVE,     /* answers as a headend does */
	HDS_SILENT,    /* never answers (UDP blocked) */
	HDS_REFUSE,    /* PSK: refuses the phone's identity (its fatal alert ends the handshake) */
	HDS_FULL,      /* legacy: does not know the session, makes a full handshake */
};

struct headend {
	/* the script, set by the test before the phone connects */
	enum h_auth auth;
	enum h_connect connect;
	enum h_dtls dtls;
	enum h_dtls_srv dtls_srv;
	unsigned dpd_s, keepalive_s;     /* X-CSTP-DPD, X-CSTP-Keepalive (0: absent) */
	unsigned dtls_dpd_s, dtls_keepalive_s;
	unsigned dtls_port;              /* X-DTLS-Port */
	bool answer_dpd;                 /* answers the phone's DPD requests (CSTP and DTLS) */
	const char *tls_ciphers;         /* server cipher list (TLS 1.2 and below) */
	int tls_max;                     /* highest TLS version it speaks */
	X509 *cert;                      /* the certificate it presents */
	bool want_client_cert;           /* asks for the phone's certificate, and refuses it */
	STACK_OF(X509_NAME) *client_cas; /* when set: asks for the phone's certificate naming
					    these CAs, and takes any (as ocserv with certificate
					    authentication; borrowed) */
	int hello_alert;                 /* answers the ClientHello with this fatal alert */
	bool hello_close;                /* closes the connection on the ClientHello */
	bool hello_garbage;              /* answers the ClientHello with a record that is no TLS */
	const char *cookie;              /* the session cookie it hands out */
	const char *get_raw;             /* when set: the whole answer to the phone's GET, verbatim */
	bool get_close;                  /* closes the connection after answering the GET */
	const char *connect_extra;       /* header lines added to the CONNECT reply (CRLF each) */
	bool bye_on_disconnect;          /* answers the phone's DISCONNECT with close_notify, then closes */

	/* what it saw */
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;                   /* its memory BIOs (owned by ssl) */
	bool tls_up, closed, eof_sent;
	char req[16384];                 /* the HTTP request being received */
	size_t req_len;
	int gets, posts, connects;       /* requests answered (a GET: the phone's login) */
	int svc_posts;                   /* of the POSTs, the phone's form POSTs */
	char last_get[4096];             /* the last GET, its head */
	char last_post[8192];            /* the last POST, head and body */
	char last_connect[4096];         /* the last CONNECT request's head */
	bool tunnel;                     /* CONNECT answered 200: CSTP from here on */
	uint8_t cstp[65536];             /* CSTP bytes received, not yet framed */
	size_t cstp_len;
	int frames[16];                  /* CSTP frames received, by type (0..15) */
	uint8_t last_disconnect[64];     /* payload of the last DISCONNECT */
	uint8_t last_data[1600];         /* the last IP packet from the phone (CSTP or DTLS) */
	size_t last_data_len;
	int data_tls, data_dtls;         /* IP packets from the phone over each channel */
	uint8_t master[48];              /* X-DTLS-Master-Secret of the last CONNECT */
	bool close_notify;               /* the phone's close_notify arrived */

	/* DTLS */
	SSL_CTX *dctx;
	SSL *dssl;                       /* the OpenSSL server (PSK, DTLS 1.2) */
	struct dtls09 d09;               /* or the DTLS 0.9 one (HD_DTLS09) */
	bool d09_on;
	BIO *dbio;                       /* its datagram membio (owned by dssl, or by us for d09) */
	uint8_t psk[32];                 /* PSK-NEGOTIATE: the TLS exporter, its side */
	bool dtls_up;
	int dgrams_in;                   /* datagrams from the phone */
	uint8_t first_dgram[2048];       /* the first of them (a DTLS ClientHello) */
	size_t first_dgram_len;
	int dtls_frames[16];             /* DTLS records received, by type */
	int dtls_resumed;                /* the DTLS handshake resumed the legacy session */
};

/* ==== The phone's worker, scripted ==== */

struct script_chan {
	bool open, connecting, recv_posted, sending;
	int opens, closes;
	uint32_t src;
	struct sockaddr_in dst;
	uint8_t *sbuf;                   /* TCP: swapped with the phone's session (phone_take_stream) */
	size_t scap, slen;
	uint8_t dgram[2048];             /* UDP: the datagram being sent */
	size_t dlen;
	uint64_t bytes_out;              /* bytes that reached the headend */
};

struct script {
	struct worker w;
	struct fleet fleet;
	struct swarm_config cfg;
	struct phone *p;
	struct headend h;
	uint64_t now;

	/* the operations the phone called */
	uint64_t wake_at;                /* UINT64_MAX: not armed */
	int lookups;
	char lookup_host[128];
	int lookup_result;               /* what the lookup operation returns */
	int open_result[2];              /* what opening each channel returns */
	struct script_chan ch[2];
	uint64_t impair_until;
	double impair_loss;
	int sent_due;
	int dns_servers_set;
	bool hold_sends;                 /* sends never complete (a peer that stopped reading) */

	/* states seen, for the transition count */
	uint8_t last_state, last_dtls;
	bool first_seen;
};

/* Transitions seen over the whole program: [from][to] of the phone state, and of DTLS. */
static unsigned seen_state[PH__COUNT][PH__COUNT];
static unsigned seen_dtls[4][4];
static unsigned scripts_run; /* phones driven, one per script_init */

static inline void script_observe(struct script *s)
{
	const struct phone *p = s->p;

	if (!p)
		return;
	if (s->first_seen) {
		if (p->state != s->last_state)
			seen_state[s->last_state][p->state]++;
		if (p->dtls != s->last_dtls)
			seen_dtls[s->last_dtls][p->dtls]++;
	}
	s->first_seen = true;
	s->last_state = p->state;
	s->last_dtls = p->dtls;
}

static inline void headend_open_dtls(struct headend *h);

static inline struct script *script_of(struct worker *w)
{
	return (struct script *)((char *)w - offsetof(struct script, w));
}

static inline uint64_t sio_now(struct worker *w)
{
	struct script *s = script_of(w);

	script_observe(s);
	return s->now;
}

static inline void sio_wake(struct worker *w, struct phone *p, uint64_t at)
{
	struct script *s = script_of(w);

	(void)p;
	script_observe(s);
	s->wake_at = at;
}

static inline int sio_lookup(struct worker *w, struct phone *p, const char *host)
{
	struct script *s = script_of(w);

	(void)p;
	script_observe(s);
	s->lookups++;
	snprintf(s->lookup_host, sizeof(s->lookup_host), "%s", host);
	return s->lookup_result;
}

static inline int sio_dns_servers(struct worker *w, const struct in_addr *servers, int n)
{
	(void)servers;
	(void)n;
	script_of(w)->dns_servers_set++;
	return 0;
}

static inline int sio_open(struct worker *w, struct phone *p, enum chan_id c, uint32_t src,
			   const struct sockaddr_in *dst)
{
	struct script *s = script_of(w);
	struct script_chan *ch = &s->ch[c];

	(void)p;
	script_observe(s);
	if (s->open_result[c])
		return s->open_result[c];
	assert_false(ch->open); /* the phone closes a channel before opening it again */
	ch->open = true;
	ch->opens++;
	ch->src = src;
	ch->dst = *dst;
	ch->sending = false;
	if (c == CH_TCP) {
		ch->connecting = true;
	} else {
		ch->recv_posted = true;
		/* a new DTLS session on the headend for each socket the phone opens */
		if (s->h.tunnel && s->h.dtls != HD_NONE)
			headend_open_dtls(&s->h);
	}
	return 0;
}

/* The path holds TCP both ways (a cut), until the phone restores it. */
static inline bool script_tcp_held(const struct script *s)
{
	return s->impair_loss >= 1 && s->impair_until > s->now;
}

static inline int sio_recv(struct worker *w, struct phone *p, enum chan_id c)
{
	struct script *s = script_of(w);

	(void)p;
	script_observe(s);
	if (!s->ch[c].open || (c == CH_TCP && (s->ch[c].connecting || script_tcp_held(s))))
		return 0;
	s->ch[c].recv_posted = true;
	return 0;
}

static inline bool sio_flush(struct worker *w, struct phone *p, enum chan_id c)
{
	struct script *s = script_of(w);
	struct script_chan *ch = &s->ch[c];

	script_observe(s);
	if (ch->sending || !ch->open || ch->connecting || !phone_pending(p, c))
		return ch->sending;
	if (c == CH_TCP) {
		if (script_tcp_held(s))
			return false;
		phone_take_stream(p, &ch->sbuf, &ch->scap, &ch->slen);
		ch->sending = ch->slen > 0;
	} else {
		do
			ch->dlen = phone_take_datagram(p, ch->dgram, sizeof(ch->dgram));
		while (ch->dlen && s->impair_loss >= 1 && s->impair_until > s->now);
		ch->sending = ch->dlen > 0;
	}
	return ch->sending;
}

static inline void sio_close(struct worker *w, struct phone *p, enum chan_id c)
{
	struct script *s = script_of(w);
	struct script_chan *ch = &s->ch[c];

	(void)p;
	script_observe(s);
	if (!ch->open)
		return;
	ch->open = ch->connecting = ch->recv_posted = ch->sending = false;
	ch->closes++;
}

static inline void sio_impair(struct worker *w, struct phone *p, uint64_t until, double loss)
{
	struct script *s = script_of(w);

	(void)p;
	s->impair_until = until;
	s->impair_loss = loss;
}

static inline void sio_sent_due(struct worker *w, uint64_t due)
{
	(void)due;
	script_of(w)->sent_due++;
}

static const struct phone_io script_io = {
	.now = sio_now,
	.wake = sio_wake,
	.lookup = sio_lookup,
	.dns_servers = sio_dns_servers,
	.open = sio_open,
	.recv = sio_recv,
	.flush = sio_flush,
	.close = sio_close,
	.impair = sio_impair,
	.sent_due = sio_sent_due,
};

/* ==== The headend's side ==== */

/* The ClientHello callback of a headend that refuses it with an alert. */
static inline int headend_hello_cb(SSL *ssl, int *al, void *arg)
{
	(void)ssl;
	*al = *(int *)arg;
	return SSL_CLIENT_HELLO_ERROR;
}

/* A client certificate, refused whatever it is. */
static inline int headend_refuse_cert(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* A client certificate, taken whatever it is. */
static inline int headend_take_cert(int ok, X509_STORE_CTX *xs)
{
	(void)ok;
	(void)xs;
	return 1;
}

static inline void headend_open_tls(struct headend *h)
{
	h->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(h->ctx);
	assert_int_equal(SSL_CTX_use_certificate(h->ctx, h->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(h->ctx, pki.key), 1);
	SSL_CTX_set_min_proto_version(h->ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(h->ctx, h->tls_max);
	SSL_CTX_set_options(h->ctx, SSL_OP_NO_TICKET);
	assert_int_equal(SSL_CTX_set_cipher_list(h->ctx, h->tls_ciphers), 1);
	if (h->want_client_cert)
		SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   headend_refuse_cert);
	if (h->client_cas) {
		STACK_OF(X509_NAME) *names = SSL_dup_CA_list(h->client_cas);

		assert_non_null(names);
		SSL_CTX_set_client_CA_list(h->ctx, names);
		SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, headend_take_cert);
	}
	if (h->hello_alert)
		SSL_CTX_set_client_hello_cb(h->ctx, headend_hello_cb, &h->hello_alert);
	h->ssl = SSL_new(h->ctx);
	h->in = BIO_new(BIO_s_mem());
	h->out = BIO_new(BIO_s_mem());
	SSL_set_bio(h->ssl, h->in, h->out);
	SSL_set_accept_state(h->ssl);
	h->tls_up = h->closed = h->eof_sent = false;
	h->req_len = 0;
	h->tunnel = false;
	h->cstp_len = 0;
}

static inline void headend_close_tls(struct headend *h)
{
	SSL_free(h->ssl);
	SSL_CTX_free(h->ctx);
	h->ssl = NULL;
	h->ctx = NULL;
	ERR_clear_error();
}

static inline void headend_close_dtls(struct headend *h)
{
	if (h->d09_on) {
		d09_free(&h->d09);
		BIO_free(h->dbio);
		h->d09_on = false;
	}
	h->dbio = NULL;
	SSL_free(h->dssl);
	SSL_CTX_free(h->dctx);
	h->dssl = NULL;
	h->dctx = NULL;
	h->dtls_up = false;
	ERR_clear_error();
}

static inline void headend_write(struct headend *h, const void *buf, size_t len)
{
	assert_int_equal(SSL_write(h->ssl, buf, (int)len), (int)len);
}

/* One CSTP frame to the phone, in one TLS record. */
static inline void headend_cstp(struct headend *h, uint8_t type, const void *payload, uint16_t len)
{
	uint8_t f[CSTP_HEADER_LEN + 1600];

	cstp_header(f, type, len);
	if (len)
		memcpy(f + CSTP_HEADER_LEN, payload, len);
	headend_write(h, f, CSTP_HEADER_LEN + len);
}

/* One DTLS record to the phone: type || payload. */
static inline void headend_dtls(struct headend *h, uint8_t type, const void *payload, uint16_t len)
{
	uint8_t r[1 + 1600];

	r[0] = type;
	if (len)
		memcpy(r + 1, payload, len);
	if (h->d09_on) {
		d09_send(&h->d09, r, 1 + (size_t)len);
		return;
	}
	assert_int_equal(SSL_write(h->dssl, r, 1 + len), 1 + len);
}

static inline void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02X", b[i]);
}

static const uint8_t script_sid[32] = {0x5e, 0x55, 0x10, 0x1d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				       13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static const uint8_t script_app_id[32] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
					  0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
					  0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

static inline unsigned int headend_psk_cb(SSL *ssl, const char *identity, unsigned char *psk,
					  unsigned int max)
{
	struct headend *h = SSL_get_app_data(ssl);

	(void)identity;
	if (max < 32 || h->dtls_srv == HDS_REFUSE)
		return 0; /* unknown_psk_identity */
	memcpy(psk, h->psk, 32);
	return 32;
}

/* The DTLS server, keyed as the CONNECT reply said. */
static inline void headend_open_dtls(struct headend *h)
{
	static const unsigned char sid_ctx[] = "psw";

	headend_close_dtls(h);
	if (h->dtls == HD_DTLS09) {
		h->dbio = membio_new(true);
		assert_non_null(h->dbio);
		d09_init(&h->d09, h->master, script_sid, h->dbio);
		h->d09_on = true;
		return;
	}
	h->dctx = SSL_CTX_new(DTLS_server_method());
	assert_non_null(h->dctx);
	SSL_CTX_set_options(h->dctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_read_ahead(h->dctx, 1);
	assert_int_equal(SSL_CTX_use_certificate(h->dctx, h->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(h->dctx, pki.key), 1);
	SSL_CTX_set_session_id_context(h->dctx, sid_ctx, 3);
	if (h->dtls == HD_PSK) {
		static const char label[] = "EXPORTER-openconnect-psk";

		assert_int_equal(SSL_export_keying_material(h->ssl, h->psk, 32, label,
							    sizeof(label) - 1, NULL, 0, 0),
				 1);
		assert_int_equal(SSL_CTX_set_cipher_list(h->dctx, "PSK:@SECLEVEL=0"), 1);
		SSL_CTX_set_psk_server_callback(h->dctx, headend_psk_cb);
	} else {
		assert_int_equal(SSL_CTX_set_cipher_list(h->dctx, "AES128-GCM-SHA256:@SECLEVEL=0"), 1);
		SSL_CTX_set_options(h->dctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
		SSL_CTX_set_session_cache_mode(h->dctx, SSL_SESS_CACHE_SERVER);
	}
	h->dssl = SSL_new(h->dctx);
	h->dbio = membio_new(true);
	assert_non_null(h->dbio);
	SSL_set_bio(h->dssl, h->dbio, h->dbio);
	SSL_set_app_data(h->dssl, h);
	SSL_set_accept_state(h->dssl);
	if (h->dtls == HD_LEGACY && h->dtls_srv != HDS_FULL) {
		/* the session the phone resumes: the master secret it sent, the ID we gave */
		SSL_SESSION *sess = SSL_SESSION_new();
		const SSL_CIPHER *c = SSL_CIPHER_find(h->dssl, (const unsigned char *)"\x00\x9c");

		assert_non_null(sess);
		assert_non_null(c);
		SSL_SESSION_set_protocol_version(sess, DTLS1_2_VERSION);
		assert_int_equal(SSL_SESSION_set_cipher(sess, c), 1);
		assert_int_equal(SSL_SESSION_set1_master_key(sess, h->master, 48), 1);
		assert_int_equal(SSL_SESSION_set1_id(sess, script_sid, 32), 1);
		assert_int_equal(SSL_SESSION_set1_id_context(sess, sid_ctx, 3), 1);
		SSL_SESSION_set_time(sess, (long)time(NULL));
		SSL_SESSION_set_timeout(sess, 3600);
		assert_int_equal(SSL_CTX_add_session(h->dctx, sess), 1);
		SSL_SESSION_free(sess);
	}
}

static inline int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
					      : c >= 'a' && c <= 'f' ? c - 'a' + 10
								     : -1;
}

/* The value of header name in the request head req (NUL-terminated), or NULL. */
static inline const char *req_header(const char *req, const char *name, char *out, size_t cap)
{
	char pat[64];
	const char *v;

	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	v = strstr(req, pat);
	if (!v)
		return NULL;
	v += strlen(pat);
	size_t n = strcspn(v, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = 0;
	return out;
}

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

static inline void headend_reply(struct headend *h, const char *status, const char *headers,
				 const char *body)
{
	char r[8192];
	int n = snprintf(r, sizeof(r), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n%s", status,
			 headers, strlen(body), body);

	headend_write(h, r, (size_t)n);
}

/* The XML login's form: the user name's (step 1) or the password's. */
static inline void headend_xml_form(struct headend *h, int step)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "%s<config-auth client=\"vpn\" type=\"auth-request\">\n<auth id=\"main\">\n"
		 "<message>%s</message>\n<form method=\"post\" action=\"/auth\">\n"
		 "<input type=\"%s\" name=\"%s\" label=\"x\" />\n</form></auth>\n"
		 "</config-auth>\n",
		 xml_decl, step == 1 ? "Please enter your username." : "Please enter your password.",
		 step == 1 ? "text" : "password", step == 1 ? "username" : "password");
	headend_reply(h, "200 OK", "Content-Type: text/xml\r\n", body);
}

/* What the headend does to a first request it refuses; false if it does not refuse it. */
static inline bool headend_refuse(struct headend *h)
{
	switch (h->auth) {
	case HA_401:
		headend_reply(h, "401 Unauthorized", "", "");
		return true;
	case HA_404:
		headend_reply(h, "404 Not Found", "", "");
		return true;
	case HA_GARBAGE:
		headend_write(h, "\x01\x02 not HTTP at all\r\n\r\n", 21);
		return true;
	case HA_CLOSE:
		h->closed = true;
		return true;
	case HA_SILENT:
		return true;
	default:
		return false;
	}
}

/* The desktop client's XML POST. */
static inline void headend_answer_xml_post(struct headend *h)
{
	char body[2048], hdr[256];

	h->posts++;
	if (headend_refuse(h))
		return;
	switch (h->auth) {
	case HA_TOKEN:
		snprintf(body, sizeof(body),
			 "%s<config-auth client=\"vpn\" type=\"complete\"><session-token>%s"
			 "</session-token><auth id=\"success\"></auth></config-auth>",
			 xml_decl, h->cookie);
		headend_reply(h, "200 OK", "Content-Type: text/xml\r\n", body);
		return;
	case HA_NO_COOKIE:
		snprintf(body, sizeof(body),
			 "%s<config-auth client=\"vpn\" type=\"complete\"><auth id=\"success\">"
			 "</auth></config-auth>",
			 xml_decl);
		headend_reply(h, "200 OK", "Content-Type: text/xml\r\n", body);
		return;
	case HA_FORM:
	case HA_FORM_FAIL:
		if (h->auth == HA_FORM && h->posts == 3) /* init, username, password: in */
			break;
		headend_xml_form(h, h->posts);
		return;
	case HA_BAD_XML:
		headend_reply(h, "200 OK", "Content-Type: text/xml\r\n", "<html>hello</html>");
		return;
	case HA_REDIRECT:
		if (h->posts == 1) {
			headend_reply(h, "302 Found", "Location: https://other.test/phone\r\n", "");
			return;
		}
		break;
	default:
		break;
	}
	snprintf(body, sizeof(body),
		 "%s<config-auth client=\"vpn\" type=\"complete\">\n<version who=\"sg\">0.1(1)"
		 "</version>\n<auth id=\"success\">\n<title>SSL VPN Service</title></auth>"
		 "</config-auth>\n",
		 xml_decl);
	snprintf(hdr, sizeof(hdr), "Content-Type: text/xml\r\nSet-Cookie: webvpn=%s; Secure\r\n",
		 h->cookie);
	headend_reply(h, "200 OK", hdr, body);
}

/* ==== The phone's login, as ocserv 1.3 answers it at /svc ==== */

#define SVC_EXPIRED "expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure"

/* The login page: an expired webvpn cookie and webvpnlogin with a value. */
static inline void headend_login_page(struct headend *h)
{
	headend_reply(h, "200 OK",
		      "Set-Cookie: webvpn=; " SVC_EXPIRED "\r\nSet-Cookie: webvpnlogin=1; secure\r\n"
		      "X-Transcend-Version: 1\r\n",
		      "");
}

static inline void headend_svc_session(struct headend *h)
{
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "Set-Cookie: webvpn=%s; secure\r\nX-Transcend-Version: 1\r\n",
		 h->cookie);
	headend_reply(h, "200 OK", hdr, "");
}

/* The phone's GET of its URL. */
static inline void headend_answer_get(struct headend *h)
{
	h->gets++;
	h->closed = h->get_close; /* what it wrote still reaches the phone, then the end */
	if (h->get_raw) {
		headend_write(h, h->get_raw, strlen(h->get_raw));
		return;
	}
	if (headend_refuse(h))
		return;
	switch (h->auth) {
	case HA_DESKTOP: /* the XML login's first form, to anyone */
		headend_xml_form(h, 1);
		return;
	case HA_HTML:
		headend_reply(h, "200 OK", "Content-Type: text/html\r\n",
			      "<html><body><h1>Welcome</h1></body></html>\n");
		return;
	case HA_NO_LOGIN:
		headend_reply(h, "200 OK", "Set-Cookie: webvpn=; " SVC_EXPIRED "\r\n", "");
		return;
	case HA_EMPTY_LOGIN:
		headend_reply(h, "200 OK",
			      "Set-Cookie: webvpn=; " SVC_EXPIRED "\r\nSet-Cookie: webvpnlogin=; secure\r\n",
			      "");
		return;
	case HA_LOGIN_TWICE:
		headend_reply(h, "200 OK",
			      "Set-Cookie: webvpn=; " SVC_EXPIRED "\r\nSet-Cookie: webvpnlogin=1; secure\r\n"
			      "Set-Cookie: webvpnlogin=1; secure\r\n",
			      "");
		return;
	case HA_REDIRECT:
		headend_reply(h, "302 Found",
			      "Location: /+CSCOE+/logon.html\r\nSet-Cookie: webvpn=; " SVC_EXPIRED "\r\n",
			      "");
		return;
	case HA_GET_SESSION:
		headend_svc_session(h);
		return;
	default:
		headend_login_page(h);
		return;
	}
}

/* The value of form field name in body ("username=a&password=b"), or NULL. */
static inline const char *form_field(const char *body, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);

	for (const char *f = body; f && *f; f = strchr(f, '&') ? strchr(f, '&') + 1 : NULL) {
		if (!strncmp(f, name, n) && f[n] == '=') {
			size_t len = strcspn(f + n + 1, "&");

			if (len >= cap)
				len = cap - 1;
			memcpy(out, f + n + 1, len);
			out[len] = 0;
			return out;
		}
	}
	return NULL;
}

/* The phone's form POST (body: the form, NUL-terminated). */
static inline void headend_answer_svc_post(struct headend *h, const char *body)
{
	char user[128], pass[128];

	h->posts++;
	h->svc_posts++;
	switch (h->auth) {
	case HA_FORM:
		if (form_field(body, "username", user, sizeof(user)) && *user &&
		    form_field(body, "password", pass, sizeof(pass)) && *pass)
			headend_svc_session(h);
		else
			headend_login_page(h); /* nothing to log in with: the page again */
		return;
	case HA_FORM_FAIL:
		headend_reply(h, "401 Authentication failed", "", "");
		return;
	case HA_NO_COOKIE:
		headend_reply(h, "200 OK", "X-Transcend-Version: 1\r\n", "");
		return;
	case HA_BAD_XML:
		headend_reply(h, "200 OK", "Content-Type: text/html\r\n", "<html>hello</html>");
		return;
	default:
		headend_svc_session(h);
		return;
	}
}

static inline void headend_answer_connect(struct headend *h)
{
	char r[4096], v[128];
	int n = 0;

	h->connects++;
	if (req_header(h->last_connect, "X-DTLS-Master-Secret", v, sizeof(v)) && strlen(v) == 96)
		for (int i = 0; i < 48; i++)
			h->master[i] = (uint8_t)(hexval(v[2 * i]) << 4 | hexval(v[2 * i + 1]));
	switch (h->connect) {
	case HC_401:
		headend_reply(h, "401 Unauthorized", "", "");
		return;
	case HC_503:
		headend_reply(h, "503 Service Unavailable", "", "");
		return;
	case HC_SILENT:
		return;
	case HC_OK:
	case HC_NO_ADDR:
		break;
	}
	n += snprintf(r + n, sizeof(r) - (size_t)n, "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Version: 1\r\n");
	if (h->connect == HC_OK)
		n += snprintf(r + n, sizeof(r) - (size_t)n,
			      "X-CSTP-Address: 10.10.0.5\r\nX-CSTP-Netmask: 255.255.255.0\r\n");
	n += snprintf(r + n, sizeof(r) - (size_t)n, "X-CSTP-DNS: 10.10.0.1\r\nX-CSTP-MTU: 1400\r\n");
	if (h->dpd_s)
		n += snprintf(r + n, sizeof(r) - (size_t)n, "X-CSTP-DPD: %u\r\n", h->dpd_s);
	if (h->keepalive_s)
		n += snprintf(r + n, sizeof(r) - (size_t)n, "X-CSTP-Keepalive: %u\r\n", h->keepalive_s);
	if (h->dtls != HD_NONE) {
		char id[65];

		hex(h->dtls == HD_PSK ? script_app_id : script_sid, 32, id);
		n += snprintf(r + n, sizeof(r) - (size_t)n, "%s: %s\r\nX-DTLS-Port: %u\r\n",
			      h->dtls == HD_PSK ? "X-DTLS-App-ID" : "X-DTLS-Session-ID", id,
			      h->dtls_port);
		n += snprintf(r + n, sizeof(r) - (size_t)n, "X-DTLS-CipherSuite: %s\r\n",
			      h->dtls == HD_PSK      ? "PSK-NEGOTIATE"
			      : h->dtls == HD_DTLS09 ? "AES256-SHA"
						     : "OC-DTLS1_2-AES128-GCM");
		if (h->dtls_dpd_s)
			n += snprintf(r + n, sizeof(r) - (size_t)n, "X-DTLS-DPD: %u\r\n", h->dtls_dpd_s);
		if (h->dtls_keepalive_s)
			n += snprintf(r + n, sizeof(r) - (size_t)n, "X-DTLS-Keepalive: %u\r\n",
				      h->dtls_keepalive_s);
	}
	if (h->connect_extra)
		n += snprintf(r + n, sizeof(r) - (size_t)n, "%s", h->connect_extra);
	n += snprintf(r + n, sizeof(r) - (size_t)n, "\r\n");
	headend_write(h, r, (size_t)n);
	h->tunnel = h->connect == HC_OK;
}

/* A whole HTTP request is in h->req: answer it. Returns its length, 0 if incomplete. */
static inline size_t headend_request(struct headend *h)
{
	char *end, v[32];
	size_t head, body = 0;

	h->req[h->req_len] = 0;
	end = strstr(h->req, "\r\n\r\n");
	if (!end)
		return 0;
	head = (size_t)(end - h->req) + 4;
	end[2] = 0; /* headers end at the blank line */
	if (req_header(h->req, "Content-Length", v, sizeof(v)))
		body = (size_t)atol(v);
	end[2] = '\r';
	if (h->req_len < head + body)
		return 0;
	if (!strncmp(h->req, "CONNECT ", 8)) {
		memcpy(h->last_connect, h->req, head);
		h->last_connect[head] = 0;
		headend_answer_connect(h);
	} else if (!strncmp(h->req, "GET ", 4)) {
		size_t n = head < sizeof(h->last_get) - 1 ? head : sizeof(h->last_get) - 1;

		memcpy(h->last_get, h->req, n);
		h->last_get[n] = 0;
		headend_answer_get(h);
	} else {
		size_t n = head + body < sizeof(h->last_post) - 1 ? head + body : sizeof(h->last_post) - 1;

		memcpy(h->last_post, h->req, n);
		h->last_post[n] = 0;
		if (strstr(h->last_post, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"))
			headend_answer_svc_post(h, h->last_post + head);
		else
			headend_answer_xml_post(h);
	}
	return head + body;
}

/* CSTP frames from the phone: count them, answer DPD if asked to. */
static inline void headend_frames(struct headend *h)
{
	struct cstp_frame f;
	int n;

	while ((n = cstp_parse(h->cstp, h->cstp_len, &f)) > 0) {
		h->frames[f.type & 15]++;
		if (f.type == CSTP_DATA && f.len <= sizeof(h->last_data)) {
			memcpy(h->last_data, f.payload, f.len);
			h->last_data_len = f.len;
			h->data_tls++;
		}
		if (f.type == CSTP_DPD_REQ && h->answer_dpd)
			headend_cstp(h, CSTP_DPD_RESP, f.payload, f.len);
		if (f.type == CSTP_DISCONNECT) {
			size_t k = f.len < sizeof(h->last_disconnect) ? f.len : sizeof(h->last_disconnect);

			memcpy(h->last_disconnect, f.payload, k);
			if (h->bye_on_disconnect) {
				SSL_shutdown(h->ssl); /* its close_notify, then the end of the stream */
				h->closed = true;
			}
		}
		memmove(h->cstp, h->cstp + n, h->cstp_len - (size_t)n);
		h->cstp_len -= (size_t)n;
	}
	assert_true(n == 0); /* the phone frames its CSTP right */
}

/* The TLS server reads what arrived and answers. Returns true if it did anything. */
static inline bool headend_run(struct headend *h)
{
	uint8_t buf[16384];
	bool did = false;
	int r;

	if (!h->ssl || h->closed)
		return false;
	if (!h->tls_up && BIO_ctrl_pending(h->in) && (h->hello_close || h->hello_garbage)) {
		/* a bogus handshake message (type 99) in a TLS 1.2 record */
		static const uint8_t junk[] = {0x16, 0x03, 0x03, 0x00, 0x04, 99, 0, 0, 0};

		if (h->hello_garbage)
			BIO_write(h->out, junk, sizeof(junk));
		h->closed = true;
		return true;
	}
	if (!h->tls_up) {
		r = SSL_do_handshake(h->ssl);
		if (r == 1) {
			h->tls_up = true;
			did = true;
		} else {
			int e = SSL_get_error(h->ssl, r);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				h->closed = true; /* the handshake failed: the alert is in out */
				ERR_clear_error();
			}
			return BIO_ctrl_pending(h->out) > 0;
		}
	}
	while ((r = SSL_read(h->ssl, buf, sizeof(buf))) > 0) {
		did = true;
		if (h->tunnel) {
			assert_true(h->cstp_len + (size_t)r <= sizeof(h->cstp));
			memcpy(h->cstp + h->cstp_len, buf, (size_t)r);
			h->cstp_len += (size_t)r;
			headend_frames(h);
			continue;
		}
		assert_true(h->req_len + (size_t)r < sizeof(h->req));
		memcpy(h->req + h->req_len, buf, (size_t)r);
		h->req_len += (size_t)r;
		size_t used;
		while (!h->tunnel && (used = headend_request(h)) > 0) {
			memmove(h->req, h->req + used, h->req_len - used);
			h->req_len -= used;
		}
		if (h->tunnel && h->req_len) { /* frames right behind the CONNECT */
			memcpy(h->cstp, h->req, h->req_len);
			h->cstp_len = h->req_len;
			h->req_len = 0;
			headend_frames(h);
		}
	}
	if (SSL_get_error(h->ssl, r) == SSL_ERROR_ZERO_RETURN)
		h->close_notify = true;
	ERR_clear_error();
	return did;
}

/*
 * The echo reply to the phone's last IP packet (its ping of the DNS server),
 * over the channel it came on.
 */
static inline void headend_echo_reply(struct headend *h, bool over_dtls)
{
	uint8_t pkt[1600], src[4];
	size_t n = h->last_data_len;

	assert_true(n >= 28 && h->last_data[9] == IPPROTO_ICMP && h->last_data[20] == 8);
	memcpy(pkt, h->last_data, n);
	memcpy(src, pkt + 12, 4); /* swap the addresses: the IP checksum stays */
	memcpy(pkt + 12, pkt + 16, 4);
	memcpy(pkt + 16, src, 4);
	pkt[20] = 0; /* echo reply */
	pkt[22] = pkt[23] = 0;
	uint16_t c = inner_checksum(pkt + 20, n - 20, 0);
	pkt[22] = (uint8_t)(c >> 8);
	pkt[23] = (uint8_t)c;
	if (over_dtls)
		headend_dtls(h, CSTP_DATA, pkt, (uint16_t)n);
	else
		headend_cstp(h, CSTP_DATA, pkt, (uint16_t)n);
}

/* ==== The "kernel": moving bytes, completing operations ==== */

static inline void script_fire_dtls(struct script *s, const uint8_t *d, size_t n);

/* Sends under way complete: their bytes reach the headend; the phone hears of it. */
static inline bool script_complete_sends(struct script *s)
{
	bool did = false;

	for (int c = 0; c < 2; c++) {
		struct script_chan *ch = &s->ch[c];

		if (!ch->sending || s->hold_sends)
			continue;
		did = true;
		ch->sending = false;
		if (c == CH_TCP) {
			if (s->h.ssl && !s->h.closed)
				assert_int_equal(BIO_write(s->h.in, ch->sbuf, (int)ch->slen), (int)ch->slen);
			ch->bytes_out += ch->slen;
			ch->slen = 0;
		} else {
			ch->bytes_out += ch->dlen;
			script_fire_dtls(s, ch->dgram, ch->dlen);
		}
		phone_on_send(&s->w, s->p, (enum chan_id)c, 0);
		script_observe(s);
		sio_flush(&s->w, s->p, (enum chan_id)c); /* the ring flushes after each send */
		if (!ch->sending) {
			/* as the ring: an idle channel keeps no send buffer */
			free(ch->sbuf);
			ch->sbuf = NULL;
			ch->scap = ch->slen = 0;
		}
	}
	return did;
}

/* A datagram from the phone reaches the DTLS server. */
/* A DTLS record's plaintext from the phone (a CSTP type byte and its payload). */
static inline void headend_dtls_record(void *arg, const uint8_t *buf, size_t r)
{
	struct headend *h = arg;

	if (!r)
		return;
	h->dtls_frames[buf[0] & 15]++;
	if (buf[0] == CSTP_DATA && r - 1 <= sizeof(h->last_data)) {
		memcpy(h->last_data, buf + 1, r - 1);
		h->last_data_len = r - 1;
		h->data_dtls++;
	}
	if (buf[0] == CSTP_DPD_REQ && h->answer_dpd)
		headend_dtls(h, CSTP_DPD_RESP, buf + 1, (uint16_t)(r - 1));
}

static inline void script_fire_dtls(struct script *s, const uint8_t *d, size_t n)
{
	struct headend *h = &s->h;
	uint8_t buf[2048];
	int r;

	if (!h->dgrams_in++ && n <= sizeof(h->first_dgram)) {
		memcpy(h->first_dgram, d, n);
		h->first_dgram_len = n;
	}
	if (h->dtls_srv == HDS_SILENT)
		return;
	if (h->d09_on) {
		d09_input(&h->d09, d, n, headend_dtls_record, h);
		if (h->d09.stage == D09_UP && !h->dtls_up) {
			h->dtls_up = true;
			h->dtls_resumed = 1;
		}
		return;
	}
	if (!h->dssl)
		return;
	membio_feed(h->dbio, d, n);
	if (!h->dtls_up) {
		r = SSL_do_handshake(h->dssl);
		if (r == 1) {
			h->dtls_up = true;
			h->dtls_resumed = SSL_session_reused(h->dssl);
		}
		ERR_clear_error();
		return;
	}
	while ((r = SSL_read(h->dssl, buf, sizeof(buf))) > 0)
		headend_dtls_record(h, buf, (size_t)r);
	ERR_clear_error();
}

static uint8_t script_rx[2048]; /* what a receive hands the phone, as the ring's buffer */

/* What the headend wrote reaches the phone, through receives it has posted. */
static inline bool script_deliver(struct script *s)
{
	bool did = false;
	struct script_chan *tcp = &s->ch[CH_TCP], *udp = &s->ch[CH_UDP];

	while (tcp->open && tcp->recv_posted && !script_tcp_held(s)) {
		int n = s->h.ssl ? BIO_read(s->h.out, script_rx, sizeof(script_rx)) : 0;

		if (n <= 0) {
			if (!s->h.closed || s->h.eof_sent || (s->h.ssl && BIO_ctrl_pending(s->h.out)))
				break;
			n = 0; /* the headend closed: the phone reads the end of the stream */
			s->h.eof_sent = true;
		}
		did = true;
		tcp->recv_posted = false;
		phone_on_recv(&s->w, s->p, CH_TCP, script_rx, n);
		script_observe(s);
		if (tcp->open && n > 0)
			tcp->recv_posted = true; /* the ring posts the next receive */
	}
	while (s->h.dbio && udp->open && udp->recv_posted) {
		size_t n = membio_take_dgram(s->h.dbio, script_rx, sizeof(script_rx));

		if (!n)
			break;
		did = true;
		if (s->impair_loss >= 1 && s->impair_until > s->now)
			continue; /* lost on the way */
		udp->recv_posted = false;
		phone_on_recv(&s->w, s->p, CH_UDP, script_rx, (int)n);
		script_observe(s);
		if (udp->open)
			udp->recv_posted = true;
	}
	return did;
}

/* Let everything that can happen now happen: sends, the headend, receives. */
static inline void script_settle(struct script *s)
{
	for (int i = 0;; i++) {
		bool did = script_complete_sends(s);

		did |= headend_run(&s->h);
		did |= script_deliver(s);
		if (!did)
			break;
		if (i > 10000)
			fail_msg("script_settle: no end to the exchange");
	}
	script_observe(s);
}

/* The phone's timer, and everything it sets off, up to time t. */
static inline void script_advance(struct script *s, uint64_t t)
{
	script_settle(s);
	for (int i = 0; s->wake_at <= t; i++) {
		if (s->wake_at > s->now)
			s->now = s->wake_at;
		s->wake_at = UINT64_MAX; /* fired: disarmed, as the wheel does */
		phone_on_timer(&s->w, s->p, s->now);
		script_observe(s);
		script_settle(s);
		if (i > 100000)
			fail_msg("script_advance: the timer fires without end");
	}
	if (t > s->now)
		s->now = t;
}

static inline void script_advance_by(struct script *s, uint64_t us)
{
	script_advance(s, s->now + us);
}

/* ==== Answers from below ==== */

/* The DNS lookup the phone asked for ends with status (enum lookup_status). */
static inline void script_dns(struct script *s, int status, const char *addr)
{
	struct in_addr a = {0};

	if (addr)
		inet_pton(AF_INET, addr, &a);
	phone_on_dns(&s->w, s->p, status, a);
	script_observe(s);
	script_settle(s);
}

/* The TCP connect the phone asked for ends with res (0, or -errno). */
static inline void script_connect(struct script *s, int res)
{
	struct script_chan *ch = &s->ch[CH_TCP];

	assert_true(ch->open && ch->connecting);
	ch->connecting = false;
	if (!res) {
		if (s->h.ssl)
			headend_close_tls(&s->h);
		headend_open_tls(&s->h);
	}
	phone_on_connect(&s->w, s->p, res);
	script_observe(s);
	script_settle(s);
}

/* The headend's TCP goes away: the end of the stream (after what it wrote), or res < 0. */
static inline void script_tcp_end(struct script *s, int res)
{
	struct script_chan *tcp = &s->ch[CH_TCP];

	if (res == 0) {
		s->h.closed = true;
		script_settle(s);
		return;
	}
	if (tcp->open && tcp->recv_posted) {
		tcp->recv_posted = false;
		phone_on_recv(&s->w, s->p, CH_TCP, NULL, res);
		script_observe(s);
		script_settle(s);
	}
}

/* ==== Setting up ==== */

/* A phone of model 8861 (certificate auth, no identity), and a headend as ocserv answers. */
static inline void script_init(struct script *s, const char *url)
{
	memset(s, 0, sizeof(*s));
	scripts_run++;
	config_defaults(&s->cfg);
	s->cfg.url = strdup(url);
	s->cfg.n_dns = 1;
	inet_pton(AF_INET, "198.18.0.53", &s->cfg.dns[0]);
	s->cfg.connect_timeout_us = 30 * S_SECOND;
	s->cfg.connect_timeout_given = true;
	s->cfg.backoff_us = 10 * S_SECOND;
	s->cfg.dtls_retry_us = 60 * S_SECOND;
	memcpy(s->cfg.cert_hashes[0], pki.headend_sha1, 20);
	s->cfg.n_cert_hashes = 1;
	s->now = S_T0;
	s->wake_at = UINT64_MAX;
	s->h = (struct headend){
		.auth = HA_OK,
		.connect = HC_OK,
		.dtls = HD_NONE,
		.dpd_s = 30,
		.keepalive_s = 20,
		.dtls_dpd_s = 30,
		.dtls_keepalive_s = 20,
		.dtls_port = 443,
		.answer_dpd = true,
		.tls_ciphers = "ECDHE-RSA-AES128-GCM-SHA256",
		.tls_max = TLS1_2_VERSION,
		.cert = pki.headend,
		.cookie = "C00K1E",
	};
}

/* The scenario is complete: make the fleet, the worker, the phone (not yet due). */
static inline void script_start(struct script *s)
{
	struct fleet *f = &s->fleet;

	f->cfg = &s->cfg;
	f->url_text[0] = s->cfg.url;
	for (int i = 0; i < s->cfg.n_more_urls; i++)
		f->url_text[i + 1] = s->cfg.more_urls[i];
	f->n_urls = 1 + s->cfg.n_more_urls;
	for (int i = 0; i < f->n_urls; i++) {
		assert_int_equal(url_parse(f->url_text[i], &f->url[i]), 0);
		f->needs_dns |= !url_host_is_ipv4(&f->url[i]);
	}
	f->dtls_legacy = dtls_legacy_new();
	f->dtls_psk = dtls_ctx_new_psk();
	f->t0 = S_T0;
	assert_int_equal(worker_init(&s->w, 0, &script_io, f, 1), 0);
	s->p = worker_phone(&s->w, 0);
	phone_init(s->p, &s->w, 0);
	s->p->model = model_find("8861");
	s->p->ssl_ctx = tls_ctx_new(s->p->model, phone_verify_leaf);
	assert_non_null(s->p->ssl_ctx);
	s->p->mac = 0x02AB00000000ull;
	assert_int_equal(phone_set_trust(&s->w, s->p, (const uint8_t(*)[20])s->cfg.cert_hashes,
					 s->cfg.n_cert_hashes),
			 0);
	s->first_seen = false;
	script_observe(s);
}

/* The phone arrives now (its due time). */
static inline void script_arrive(struct script *s)
{
	phone_due(&s->w, s->p, s->now);
	script_advance(s, s->now);
}

static inline void script_free(struct script *s)
{
	SSL_CTX *ctx = s->p ? s->p->ssl_ctx : NULL;

	worker_fini(&s->w);
	SSL_CTX_free(ctx);
	dtls_legacy_free(s->fleet.dtls_legacy);
	SSL_CTX_free(s->fleet.dtls_psk);
	headend_close_tls(&s->h);
	headend_close_dtls(&s->h);
	for (int c = 0; c < 2; c++)
		free(s->ch[c].sbuf);
	config_free(&s->cfg);
}

/* The counter of a named failure, and its total. */
static inline uint64_t fails(const struct script *s, enum reason r)
{
	return s->w.st.failures[r];
}

/* Failures counted of any reason. */
static inline uint64_t fails_all(const struct script *s)
{
	uint64_t n = 0;

	for (int r = 0; r < R__COUNT; r++)
		n += s->w.st.failures[r];
	return n;
}

/* The phone ended FAILED with reason r, counted once, and holds no channel. */
#define assert_failed(s, r)                                                                    \
	do {                                                                                   \
		if ((s)->p->state != PH_FAILED || (s)->p->reason != (r))                       \
			fail_msg("phone %s (reason %s), expected failed with %s",              \
				 phone_state_name((enum phone_state)(s)->p->state),             \
				 reason_name((enum reason)(s)->p->reason), reason_name(r));     \
		assert_int_equal(fails(s, r), 1);                                              \
		assert_int_equal(fails_all(s), 1);                                             \
		assert_int_equal((s)->w.st.failed, 1);                                         \
		assert_false((s)->ch[CH_TCP].open);                                            \
		assert_false((s)->ch[CH_UDP].open);                                            \
	} while (0)

#define assert_state(s, st)                                                                    \
	do {                                                                                   \
		if ((s)->p->state != (st))                                                     \
			fail_msg("phone %s (reason %s), expected %s",                          \
				 phone_state_name((enum phone_state)(s)->p->state),             \
				 reason_name((enum reason)(s)->p->reason), phone_state_name(st)); \
	} while (0)

/* Latency samples of metric m recorded so far. */
static inline uint64_t samples(const struct script *s, enum metric m)
{
	return hist_count(s->w.ival->h[m]);
}

#endif
