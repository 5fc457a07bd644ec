/*
 * tests/tools/badheadend.c - a deliberately broken AnyConnect headend, for tests.
 *
 * It behaves like ocserv (certificate-authenticated login, by the phone's
 * own exchange when the first request is a GET (the login page, then a
 * session for the form POST) or by the desktop XML when it is a POST;
 * CONNECT, CSTP on the TLS stream and, when the phone asks for
 * PSK-NEGOTIATE, DTLS 1.2 with the PSK both sides derive from the TLS
 * session) up to the point where the chosen mode makes it misbehave:
 * garbage instead of HTTP, an endless head, a refusal, a missing cookie or
 * address, a login page that is not the phone's, a broken or oversized CSTP
 * frame, a close at the wrong moment, a silence, a stall (in TLS, the login,
 * CONNECT or DTLS), a TLS alert, a broken TLS message or record, garbage
 * where the ServerHello should be, a DTLS alert, a DTLS suite the phone did
 * not offer, a DTLS peer that sends only forged records and garbage, DPD
 * answered late (within the phone's limit or beyond it) or never, and
 * tunnels reset at random. When DTLS was asked for, the tunnel modes
 * misbehave only once the DTLS channel is up (the phone has answered a DPD
 * on it), so that both channels are at stake. Each mode is meant to make
 * every phone end with one named reason (reset-tenth: a drop and a
 * reconnection per reset), which tests/lab/test_bad_headend.sh checks, and
 * scripts/bench-hostile with 1,000 phones.
 *
 *   badheadend --listen ADDR:PORT --cert PEM --key PEM --mode MODE [--max-conns N]
 *              [--lifetime S]
 *
 * One process accepts; each connection is served by a forked child with
 * blocking I/O (DTLS's handshake excepted), which dies with the parent
 * (PR_SET_PDEATHSIG) and after a lifetime cap (--lifetime S, 120 s by
 * default: a run of thousands of phones may need longer); the parent reaps
 * them. In reset-tenth the parent knows which children have a tunnel up (a shared
 * page, one byte per child) and every 3 s signals a random tenth of them
 * (SIGUSR1), each of which resets its connection and says so on stderr.
 * SIGTERM or SIGINT ends the server; --max-conns N makes it stop accepting
 * after N connections and exit once they are served.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#define CHILD_LIFETIME_S 120   /* a connection never outlives this (unless --lifetime) */
#define LINGER_S	 30    /* how long we wait for the phone to give up */
#define REQ_MAX		 65536 /* bytes of one request, head and body */
#define RESET_PERIOD_MS	 3000  /* reset-tenth: how often a tenth of the tunnels is reset */
#define SLOTS		 8192  /* children the server tracks (reset-tenth); more go untracked */
#define DELAYED_MAX	 16    /* DPD answers held back at once (dpd-slow, dpd-late) */

enum mode {
	M_NORMAL,
	M_GARBAGE_AUTH,
	M_HUGE_HEAD,
	M_STATUS_404,
	M_AUTH_401,
	M_FORM,
	M_NO_COOKIE,
	M_CONNECT_503,
	M_CONNECT_GARBAGE,
	M_CLOSE_TLS,
	M_CLOSE_AUTH,
	M_BAD_MAGIC,
	M_OVERSIZED,
	M_TRUNCATED,
	M_DISCONNECT,
	M_SILENT_DPD,
	M_STALL_TLS,
	M_ALERT,
	M_ALERT_INTERNAL,
	M_SVC_HTML,
	M_SVC_REDIRECT,
	M_SVC_NO_COOKIES,
	M_SVC_EMPTY_LOGIN,
	M_SVC_LOGIN_TWICE,
	M_SVC_CLOSE_GET,
	M_DTLS_PSK,
	M_DTLS12,
	M_STALL_AUTH,
	M_STALL_CONNECT,
	M_BAD_HELLO,
	M_BAD_RECORD,
	M_DTLS_ALERT,
	M_GARBAGE_HELLO,
	M_STALL_DTLS,
	M_DTLS_GARBAGE,
	M_DPD_SLOW,
	M_DPD_LATE,
	M_RESET_TENTH,
};

static const struct {
	const char *name;
	enum mode mode;
	const char *help;
} modes[] = {
    {"normal", M_NORMAL, "behave like ocserv (tunnel up, DPD answered)"},
    {"garbage-auth", M_GARBAGE_AUTH, "auth POST answered with a non-HTTP line and random bytes"},
    {"huge-head", M_HUGE_HEAD, "auth reply head that never ends (> 64 KB of headers)"},
    {"status-404", M_STATUS_404, "auth POST answered 404 Not found"},
    {"auth-401", M_AUTH_401, "auth POST answered 401 Authentication failed"},
    {"form", M_FORM, "auth POST (or the phone's GET) answered with the XML login form"},
    {"no-cookie", M_NO_COOKIE, "success XML (or the phone's form POST answered) without a webvpn cookie"},
    {"connect-503", M_CONNECT_503, "CONNECT answered 503 Service Unavailable"},
    {"connect-garbage", M_CONNECT_GARBAGE, "200 CONNECTED without X-CSTP-Address"},
    {"close-tls", M_CLOSE_TLS, "close the TCP connection right after accept"},
    {"close-auth", M_CLOSE_AUTH, "close after reading the auth POST"},
    {"bad-magic", M_BAD_MAGIC, "in the tunnel, a frame with magic XTF\\1"},
    {"oversized", M_OVERSIZED, "in the tunnel, a CSTP header announcing 0xFFFF bytes"},
    {"truncated", M_TRUNCATED, "in the tunnel, half a frame then close"},
    {"disconnect", M_DISCONNECT, "in the tunnel, DISCONNECT (empty) after 2 s"},
    {"silent-dpd", M_SILENT_DPD, "X-CSTP-DPD: 2, then never answer anything"},
    {"stall-tls", M_STALL_TLS, "accept TCP, never speak TLS"},
    {"alert", M_ALERT, "handshake_failure alert (40) to the ClientHello"},
    {"alert-internal", M_ALERT_INTERNAL, "internal_error alert (80) to the ClientHello"},
    {"svc-html", M_SVC_HTML, "the phone's GET answered with an HTML page, no cookie"},
    {"svc-redirect", M_SVC_REDIRECT, "the phone's GET answered 302 to /+CSCOE+/logon.html"},
    {"svc-no-cookies", M_SVC_NO_COOKIES, "the phone's GET answered 200 without Set-Cookie"},
    {"svc-empty-login", M_SVC_EMPTY_LOGIN, "the login page's webvpnlogin cookie has no value"},
    {"svc-login-twice", M_SVC_LOGIN_TWICE, "the login page sets webvpnlogin twice"},
    {"svc-close-get", M_SVC_CLOSE_GET,
     "close after the login page, before the POST (and close the POST sent again unanswered)"},
    {"dtls-psk", M_DTLS_PSK, "CONNECT answered with DTLS PSK-NEGOTIATE (no UDP behind it)"},
    {"dtls12", M_DTLS12, "CONNECT answered with X-DTLS12-CipherSuite AES256-GCM-SHA384 (no UDP)"},
    {"stall-auth", M_STALL_AUTH, "read the auth POST, never answer it"},
    {"stall-connect", M_STALL_CONNECT, "read the CONNECT, never answer it"},
    {"bad-hello", M_BAD_HELLO, "a Finished message where the ServerHello should be"},
    {"bad-record", M_BAD_RECORD, "in the tunnel, a TLS record that fails its integrity check"},
    {"dtls-alert", M_DTLS_ALERT, "handshake_failure alert to the DTLS ClientHello"},
    {"garbage-hello", M_GARBAGE_HELLO,
     "a text line and random bytes where the ServerHello should be"},
    {"stall-dtls", M_STALL_DTLS, "offer DTLS, read its datagrams, never answer; CSTP served"},
    {"dtls-garbage", M_DTLS_GARBAGE,
     "DTLS up (DPD 2 s), then only forged records and garbage datagrams on it, DPD never answered"},
    {"dpd-slow", M_DPD_SLOW,
     "DPD 4 s, each DPD answered 1 s late (well within the phone's 2 x DPD)"},
    {"dpd-late", M_DPD_LATE,
     "DPD 2 s, each DPD answered 3 s late (after the phone's 2 x DPD); with DTLS up, DTLS's only"},
    {"reset-tenth", M_RESET_TENTH,
     "every 3 s, reset (TCP RST) a random tenth (at least one) of the tunnels that are up"},
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reset_now; /* a child: the server picked this tunnel to reset */
static volatile uint8_t *tunnel_up;	/* shared: slot -> 1 while that child's tunnel is up */
static int my_slot = -1;		/* a child: its slot, -1 if untracked */
static enum mode mode;
static struct sockaddr_in listen_sa; /* our TCP address; DTLS listens on the same host */

/* ==== Utilities ==== */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "badheadend: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_ssl(const char *what)
{
	fprintf(stderr, "badheadend: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_reset(int sig)
{
	(void)sig;
	reset_now = 1;
}

/* ==== One connection ==== */

struct conn {
	SSL *ssl;
	int fd;
	uint8_t buf[REQ_MAX]; /* bytes read and not yet consumed */
	size_t len;	      /* bytes in buf */
	bool asked_psk;	      /* the last request asked for PSK-NEGOTIATE DTLS */
	int ufd;	      /* the DTLS socket, -1 without DTLS */
	SSL *dssl;	      /* the DTLS session, NULL without DTLS */
	bool dtls_up;	      /* its handshake completed */
};

/* Read more into c->buf; returns the byte count, 0 on EOF or error. */
static int conn_fill(struct conn *c)
{
	if (c->len == sizeof(c->buf))
		return 0;
	int r = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));

	if (r <= 0)
		return 0;
	c->len += (size_t)r;
	return r;
}

static void conn_consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Write all of buf in one SSL_write (so one record if it fits); false on error. */
static bool conn_write(struct conn *c, const void *buf, size_t len)
{
	return SSL_write(c->ssl, buf, (int)len) == (int)len;
}

/*
 * Read one HTTP request (head, and a body of Content-Length bytes) and
 * consume it. Returns false if the peer closed or sent something too big.
 */
static bool read_request(struct conn *c, char *first_line, size_t cap)
{
	for (;;) {
		uint8_t *end = memmem(c->buf, c->len, "\r\n\r\n", 4);

		if (end) {
			size_t head = (size_t)(end - c->buf) + 4;
			size_t body = 0;
			char *cl;

			c->buf[head - 1] = '\0'; /* the final LF; the head is a string now */
			cl = strcasestr((char *)c->buf, "\r\nContent-Length:");
			if (cl)
				body = strtoul(cl + 17, NULL, 10);
			c->asked_psk = strstr((char *)c->buf, "PSK-NEGOTIATE") != NULL;
			c->buf[head - 1] = '\n';
			if (head + body > sizeof(c->buf))
				return false;
			while (c->len < head + body)
				if (!conn_fill(c))
					return false;
			size_t ll = strcspn((char *)c->buf, "\r");
			if (ll >= cap)
				ll = cap - 1;
			memcpy(first_line, c->buf, ll);
			first_line[ll] = '\0';
			conn_consume(c, head + body);
			return true;
		}
		if (!conn_fill(c))
			return false;
	}
}

/* Wait until the phone closes (or LINGER_S), discarding what it sends. */
static void linger_until_closed(struct conn *c)
{
	alarm(LINGER_S);
	while (conn_fill(c))
		c->len = 0;
}

static bool conn_puts(struct conn *c, const char *s)
{
	return conn_write(c, s, strlen(s));
}

static void send_http(struct conn *c, const char *status, const char *extra, const char *body)
{
	char out[4096];
	int n = snprintf(out, sizeof(out),
			 "HTTP/1.1 %s\r\n%sContent-Type: text/xml\r\nContent-Length: %zu\r\n"
			 "X-Transcend-Version: 1\r\n\r\n%s",
			 status, extra, strlen(body), body);

	conn_write(c, out, (size_t)n);
}

static const char success_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<config-auth client=\"vpn\" type=\"complete\">\n"
				  "<version who=\"sg\">0.1(1)</version>\n"
				  "<auth id=\"success\">\n"
				  "<title>SSL VPN Service</title></auth></config-auth>";

static const char form_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<config-auth client=\"vpn\" type=\"auth-request\">\n"
			       "<version who=\"sg\">0.1(1)</version>\n"
			       "<auth id=\"main\">\n"
			       "<message>Please enter your username.</message>\n"
			       "<form method=\"post\" action=\"/auth\">\n"
			       "<input type=\"text\" name=\"username\" label=\"Username:\" />\n"
			       "</form></auth>\n"
			       "</config-auth>";

/* A 32-byte session cookie in padded standard base64: 44 characters. */
static void make_cookie(char out[45])
{
	uint8_t raw[32];

	RAND_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
}

/* The reply to the auth POST; false if the connection should end here. */
static bool answer_auth(struct conn *c)
{
	char extra[512], cookie[45];

	make_cookie(cookie);
	switch (mode) {
	case M_GARBAGE_AUTH: {
		uint8_t junk[512];
		static const char line[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

		RAND_bytes(junk, sizeof(junk));
		memcpy(junk, line, sizeof(line) - 1);
		conn_write(c, junk, sizeof(junk));
		return false;
	}
	case M_HUGE_HEAD: {
		char hdr[1001];

		/*
		 * 80 KB in 80 lines of 1000 bytes and never a blank line: the
		 * 64 KiB head limit trips before the 1,024-header one.
		 */
		conn_puts(c, "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < 80; i++) {
			snprintf(hdr, 16, "X-Filler-%02d: ", i % 100);
			memset(hdr + 13, 'a', 985);
			memcpy(hdr + 998, "\r\n", 3);
			if (!conn_write(c, hdr, 1000))
				break;
		}
		return false;
	}
	case M_STATUS_404:
		conn_puts(c, "HTTP/1.1 404 Not found\r\nConnection: close\r\n"
			     "Content-Type: text/html\r\nContent-Length: 49\r\n\r\n"
			     "<html><body><h1>404 Not found</h1></body></html>\n");
		return false;
	case M_AUTH_401:
		conn_puts(c, "HTTP/1.1 401 Authentication failed\r\nContent-Length: 0\r\n\r\n");
		return false;
	case M_FORM:
		send_http(c, "200 OK",
			  "Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT; "
			  "path=/; Secure; HttpOnly\r\n",
			  form_xml);
		return true; /* the phone may answer it; we would not accept that */
	case M_NO_COOKIE:
		snprintf(extra, sizeof(extra),
			 "Connection: Keep-Alive\r\n"
			 "Set-Cookie: webvpncontext=%s; Secure; HttpOnly\r\n",
			 cookie);
		send_http(c, "200 OK", extra, success_xml);
		return true;
	default:
		snprintf(extra, sizeof(extra),
			 "Connection: Keep-Alive\r\n"
			 "Set-Cookie: webvpncontext=%s; Secure; HttpOnly\r\n"
			 "Set-Cookie: webvpn=%s; Secure; HttpOnly\r\n",
			 cookie, cookie);
		send_http(c, "200 OK", extra, success_xml);
		return true;
	}
}

/* ==== The phone's exchange ==== */

#define EXPIRED "expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure"

/* The reply to the phone's GET; false if the connection should end here. */
static bool answer_svc_get(struct conn *c)
{
	switch (mode) {
	case M_GARBAGE_AUTH:
	case M_HUGE_HEAD:
	case M_STATUS_404:
	case M_AUTH_401:
		return answer_auth(c); /* what those modes do to any first request */
	case M_FORM:
		send_http(c, "200 OK",
			  "Set-Cookie: webvpncontext=; " EXPIRED "\r\n", form_xml);
		return true;
	case M_SVC_HTML:
		conn_puts(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 44\r\n\r\n"
			     "<html><body><h1>Welcome</h1></body></html>\n\n");
		return true;
	case M_SVC_REDIRECT:
		conn_puts(c, "HTTP/1.1 302 Found\r\nLocation: /+CSCOE+/logon.html\r\n"
			     "Set-Cookie: webvpn=; " EXPIRED "\r\nContent-Length: 0\r\n\r\n");
		return true;
	case M_SVC_NO_COOKIES:
		conn_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Transcend-Version: 1\r\n\r\n");
		return true;
	case M_SVC_EMPTY_LOGIN:
		conn_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
			     "Set-Cookie: webvpn=; " EXPIRED "\r\nSet-Cookie: webvpnlogin=; secure\r\n"
			     "X-Transcend-Version: 1\r\n\r\n");
		return true;
	case M_SVC_LOGIN_TWICE:
		conn_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
			     "Set-Cookie: webvpn=; " EXPIRED "\r\nSet-Cookie: webvpnlogin=1; secure\r\n"
			     "Set-Cookie: webvpnlogin=1; secure\r\nX-Transcend-Version: 1\r\n\r\n");
		return true;
	default: /* what ocserv 1.3 answers at /svc */
		conn_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
			     "Set-Cookie: webvpn=; " EXPIRED "\r\nSet-Cookie: webvpnlogin=1; secure\r\n"
			     "X-Transcend-Version: 1\r\n\r\n");
		return true;
	}
}

/* The reply to the phone's form POST; false if no CONNECT follows. */
static bool answer_svc_post(struct conn *c)
{
	char out[512], cookie[45];
	int n;

	if (mode == M_NO_COOKIE) {
		conn_puts(c, "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n"
			     "X-Transcend-Version: 1\r\n\r\n");
		return false;
	}
	make_cookie(cookie);
	n = snprintf(out, sizeof(out),
		     "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n"
		     "Set-Cookie: webvpn=%s; secure\r\nX-Transcend-Version: 1\r\n\r\n",
		     cookie);
	conn_write(c, out, (size_t)n);
	return true;
}

/* A DTLS session or App-ID for the DTLS modes: 32 bytes, 64 hex digits. */
#define SID_HEX "27689696cb6b34ae2a6d9e348f0ad86abfb0ae8b1fe584a0dc2b380b8ea42c3e"

/* ==== DTLS (PSK-NEGOTIATE) ==== */

static uint8_t dtls_psk[32]; /* this connection's PSK, exported from its TLS session */

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	(void)ssl;
	(void)identity;
	if (max_psk_len < sizeof(dtls_psk))
		return 0;
	memcpy(psk, dtls_psk, sizeof(dtls_psk));
	return sizeof(dtls_psk);
}

static int dtls_refuse_hello(SSL *ssl, int *al, void *arg)
{
	(void)ssl;
	(void)arg;
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

/*
 * Get ready for the phone's DTLS: a UDP socket on our address, the PSK it
 * will use, and the X-DTLS-* headers that offer it, written into hdrs.
 * False (and no offer) if any of it fails.
 */
static bool dtls_offer(struct conn *c, char *hdrs, size_t cap)
{
	static const char label[] = "EXPORTER-openconnect-psk";
	struct sockaddr_in sa = listen_sa;
	socklen_t sl = sizeof(sa);
	uint8_t app_id[32];
	char hex[65];
	SSL_CTX *ctx;

	sa.sin_port = 0;
	c->ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->ufd < 0 || bind(c->ufd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(c->ufd, (struct sockaddr *)&sa, &sl))
		return false;
	if (SSL_export_keying_material(c->ssl, dtls_psk, sizeof(dtls_psk), label,
				       sizeof(label) - 1, NULL, 0, 0) != 1)
		return false;
	ctx = SSL_CTX_new(DTLS_server_method());
	/* the AES-GCM suites first, as ocserv: the phone seals and opens those itself */
	if (!ctx || !SSL_CTX_set_cipher_list(ctx, "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:"
						  "PSK:@SECLEVEL=0"))
		return false;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
	if (mode == M_DTLS_ALERT)
		SSL_CTX_set_client_hello_cb(ctx, dtls_refuse_hello, NULL);
	c->dssl = SSL_new(ctx);
	if (!c->dssl)
		return false;
	RAND_bytes(app_id, sizeof(app_id));
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", app_id[i]);
	/*
	 * silent-dpd: the DTLS channel is found dead first (DPD 1 s against 2 s);
	 * dtls-garbage, dpd-late: a 2 s DPD, so that the phone looks soon; dpd-slow
	 * 4 s, so that its answers, 1 s late, have 3 s to spare on a busy machine
	 */
	snprintf(hdrs, cap,
		 "X-DTLS-App-ID: %s\r\nX-DTLS-Port: %u\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
		 "X-DTLS-DPD: %d\r\nX-DTLS-Keepalive: 20\r\nX-DTLS-MTU: 1400\r\n",
		 hex, ntohs(sa.sin_port),
		 mode == M_SILENT_DPD				? 1
		 : mode == M_DTLS_GARBAGE || mode == M_DPD_LATE ? 2
		 : mode == M_DPD_SLOW				? 4
								: 30);
	return true;
}

/*
 * Wait for the DTLS socket to be readable, at most until end_ms (and
 * DTLS's own retransmission timer, when a handshake is under way); false
 * when the time is up or the phone closed its TCP connection (it gave up,
 * or failed: nothing will come). TCP data (a CSTP frame) is left for later.
 */
static bool dtls_wait(struct conn *c, uint64_t end_ms, bool *timer)
{
	struct pollfd pfd[2] = {{.fd = c->ufd, .events = POLLIN}, {.fd = c->fd, .events = POLLIN}};
	struct timeval tv;

	for (;;) {
		uint64_t now = now_ms();
		int timeout;
		uint8_t b;

		if (now >= end_ms)
			return false;
		timeout = (int)(end_ms - now);
		*timer = false;
		if (c->dssl && DTLSv1_get_timeout(c->dssl, &tv) == 1 &&
		    tv.tv_sec * 1000 + tv.tv_usec / 1000 < timeout) {
			timeout = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
			*timer = true;
		}
		int n = poll(pfd, 2, timeout);
		if (n == 0)
			return *timer;
		if (n < 0)
			continue;
		if (pfd[1].revents) {
			if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
				return false; /* closed (or reset): the phone is gone */
			pfd[1].fd = -1;	      /* a frame waits: the tunnel will read it */
		}
		if (pfd[0].revents & POLLIN)
			return true;
	}
}

/*
 * Take the phone's DTLS handshake: wait for its first datagram, connect
 * the socket to it, accept, then make sure the phone has DTLS up: a DPD
 * request on it, and its answer, before the mode misbehaves (else a
 * misbehaving TLS stream could overtake the last DTLS flight). All within
 * 30 s (the phone's own DTLS timer) and while the phone's TCP connection
 * lasts. True once DTLS is up.
 */
static bool dtls_accept(struct conn *c)
{
	uint64_t end = now_ms() + 30000;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	static const uint8_t dpd_req[] = {3};
	uint8_t rec[2048];
	bool timer;
	BIO *bio;
	int r;

	if (!dtls_wait(c, end, &timer) ||
	    recvfrom(c->ufd, rec, 1, MSG_PEEK, (struct sockaddr *)&peer, &pl) < 0 ||
	    connect(c->ufd, (struct sockaddr *)&peer, pl) ||
	    fcntl(c->ufd, F_SETFL, fcntl(c->ufd, F_GETFL) | O_NONBLOCK))
		return false;
	bio = BIO_new_dgram(c->ufd, BIO_NOCLOSE);
	if (!bio)
		return false;
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
	SSL_set_bio(c->dssl, bio, bio);
	while ((r = SSL_accept(c->dssl)) != 1) {
		if (SSL_get_error(c->dssl, r) != SSL_ERROR_WANT_READ || !dtls_wait(c, end, &timer))
			return false;
		if (timer)
			DTLSv1_handle_timeout(c->dssl);
	}
	if (SSL_write(c->dssl, dpd_req, sizeof(dpd_req)) != sizeof(dpd_req))
		return false;
	for (;;) {
		if (!dtls_wait(c, end, &timer))
			return false;
		r = SSL_read(c->dssl, rec, sizeof(rec));
		if (r <= 0) {
			if (SSL_get_error(c->dssl, r) != SSL_ERROR_WANT_READ)
				return false;
			continue;
		}
		if (rec[0] == 4)
			break; /* the phone's answer: its DTLS is up */
		if (rec[0] == 3) {
			rec[0] = 4;
			SSL_write(c->dssl, rec, r);
		}
	}
	c->dtls_up = true;
	return true;
}

/*
 * The X-CSTP-DPD we give: 2 s where the phone's DPD is at stake (on CSTP;
 * dpd-late with DTLS asked for keeps its lateness for DTLS), 4 s in
 * dpd-slow, else 30 s.
 */
static int cstp_dpd_s(const struct conn *c)
{
	switch (mode) {
	case M_DPD_SLOW:
		return 4;
	case M_SILENT_DPD:
		return 2;
	case M_DPD_LATE:
		return c->asked_psk ? 30 : 2;
	default:
		return 30;
	}
}

/* The reply to CONNECT; false if no tunnel follows. */
static bool answer_connect(struct conn *c)
{
	char out[1024], dtls[512] = "";
	int n;

	switch (mode) {
	case M_CONNECT_503:
		conn_puts(c, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
		return false;
	case M_CONNECT_GARBAGE:
		n = snprintf(out, sizeof(out),
			     "HTTP/1.1 200 CONNECTED\r\n"
			     "X-CSTP-Version: 1\r\n"
			     "X-CSTP-Server-Name: badheadend\r\n"
			     "X-CSTP-DPD: 30\r\n"
			     "X-CSTP-Netmask: 255.255.255.0\r\n"
			     "X-CSTP-Keepalive: 20\r\n"
			     "X-CSTP-MTU: 1400\r\n\r\n");
		conn_write(c, out, (size_t)n);
		return false;
	default:
		if (c->asked_psk && !dtls_offer(c, dtls, sizeof(dtls)))
			dtls[0] = '\0';
		n = snprintf(out, sizeof(out),
			     "HTTP/1.1 200 CONNECTED\r\n"
			     "X-CSTP-Version: 1\r\n"
			     "X-CSTP-Server-Name: badheadend\r\n"
			     "X-CSTP-DPD: %d\r\n"
			     "X-CSTP-Address: 10.0.0.2\r\n"
			     "X-CSTP-Netmask: 255.255.255.0\r\n"
			     "X-CSTP-Keepalive: 20\r\n"
			     "X-CSTP-Idle-Timeout: none\r\n"
			     "X-CSTP-MTU: 1400\r\n%s\r\n",
			     cstp_dpd_s(c),
			     mode == M_DTLS_PSK ? "X-DTLS-Port: 443\r\nX-DTLS-DPD: 30\r\n"
						  "X-DTLS-App-ID: " SID_HEX "\r\n"
						  "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
			     : mode == M_DTLS12 ? "X-DTLS-Port: 443\r\nX-DTLS-DPD: 30\r\n"
						  "X-DTLS-Session-ID: " SID_HEX "\r\n"
						  "X-DTLS12-CipherSuite: AES256-GCM-SHA384\r\n"
						  "X-DTLS-MTU: 1300\r\n"
						: dtls);
		conn_write(c, out, (size_t)n);
		return true;
	}
}

static void cstp_hdr(uint8_t h[8], uint8_t type, uint16_t len)
{
	h[0] = 'S';
	h[1] = 'T';
	h[2] = 'F';
	h[3] = 1;
	h[4] = (uint8_t)(len >> 8);
	h[5] = (uint8_t)len;
	h[6] = type;
	h[7] = 0;
}

/* ==== The tunnel ==== */

/* A DPD answer held back until its time (dpd-slow, dpd-late). */
struct delayed {
	uint64_t due_ms; /* CLOCK_MONOTONIC, ms */
	bool dtls;	 /* on DTLS (a record's plaintext), else a whole CSTP frame */
	uint16_t len;	 /* bytes in data */
	uint8_t data[8 + 256];
};

struct tunnel {
	struct delayed q[DELAYED_MAX];
	int nq;
	uint64_t forged_seq; /* dtls-garbage: the sequence number of our next forged record */
};

/* How long a DPD answer on the given channel is held back, in ms. */
static uint64_t dpd_delay_ms(const struct conn *c, bool dtls)
{
	switch (mode) {
	case M_DPD_SLOW:
		return 1000;
	case M_DPD_LATE:
		/* with DTLS up only its DPD is late; without, CSTP's */
		return dtls == c->dtls_up ? 3000 : 0;
	default:
		return 0;
	}
}

static void send_dpd_resp(struct conn *c, bool dtls, const uint8_t *msg, size_t len)
{
	if (dtls)
		SSL_write(c->dssl, msg, (int)len);
	else
		conn_write(c, msg, len);
}

/* Answer a DPD request (msg: the answer, type byte set) now or when its delay is up. */
static void answer_dpd(struct conn *c, struct tunnel *t, bool dtls, const uint8_t *msg, size_t len)
{
	uint64_t delay = dpd_delay_ms(c, dtls);
	struct delayed *d;

	if (!delay) {
		send_dpd_resp(c, dtls, msg, len);
		return;
	}
	if (t->nq == DELAYED_MAX || len > sizeof(d->data))
		return; /* a phone that floods us with DPD gets no more answers */
	d = &t->q[t->nq++];
	/*
	 * now_ms() drops the fraction of a millisecond: one more, so that no
	 * answer leaves before its delay has passed since the request came (a
	 * phone measured a 1 s delay as 999.8 ms once: make asan, dpd-slow+dtls)
	 */
	d->due_ms = now_ms() + delay + 1;
	d->dtls = dtls;
	d->len = (uint16_t)len;
	memcpy(d->data, msg, len);
}

/* Send the held-back answers that are due; returns ms until the next (-1: none). */
static int send_due(struct conn *c, struct tunnel *t)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	int i = 0;

	while (i < t->nq) {
		struct delayed *d = &t->q[i];

		if (d->due_ms <= now) {
			send_dpd_resp(c, d->dtls, d->data, d->len);
			t->q[i] = t->q[--t->nq];
			continue;
		}
		if (d->due_ms < next)
			next = d->due_ms;
		i++;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/*
 * dtls-garbage: what a broken DTLS peer sends: an application data record
 * of our epoch whose integrity check fails, and a datagram that is no DTLS
 * record at all (an unknown content type).
 */
static void dtls_garbage(struct conn *c, struct tunnel *t)
{
	uint8_t rec[13 + 48] = {23, 0xfe, 0xfd, 0, 1};
	uint8_t junk[40];
	uint64_t seq = t->forged_seq++;

	for (int i = 0; i < 6; i++)
		rec[5 + i] = (uint8_t)(seq >> (8 * (5 - i)));
	rec[11] = 0;
	rec[12] = 48;
	RAND_bytes(rec + 13, 48);
	RAND_bytes(junk, sizeof(junk));
	junk[0] = 0xff;
	if (send(c->ufd, rec, sizeof(rec), 0) < 0 || send(c->ufd, junk, sizeof(junk), 0) < 0)
		return; /* the phone's port is gone: its tunnel will end too */
}

/*
 * One datagram from the phone on the DTLS socket: answer a DPD request
 * (as the mode says), or, in stall-dtls, read it and say nothing. False on
 * the phone's DISCONNECT or an error.
 */
static bool dtls_input(struct conn *c, struct tunnel *t)
{
	uint8_t rec[2048];
	int n;

	if (mode == M_STALL_DTLS)
		return recv(c->ufd, rec, sizeof(rec), 0) >= 0;
	n = SSL_read(c->dssl, rec, sizeof(rec));
	if (n <= 0)
		return SSL_get_error(c->dssl, n) == SSL_ERROR_WANT_READ;
	if (mode == M_DTLS_GARBAGE) {
		dtls_garbage(c, t);
		return true;
	}
	if (rec[0] == 3) { /* DPD-REQ: the same payload back */
		rec[0] = 4;
		answer_dpd(c, t, true, rec, (size_t)n);
	}
	return rec[0] != 5;
}

/*
 * reset-tenth: the server picked this tunnel: end it with a TCP RST (no
 * close_notify, no DISCONNECT), as a headend's crashed worker or a
 * middlebox does, and say so on stderr (one line per reset, for counting).
 */
static void reset_tunnel(struct conn *c)
{
	static const char said[] = "badheadend: reset a tunnel\n";
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
	c->fd = -1;
	if (write(2, said, sizeof(said) - 1) < 0)
		return;
}

/*
 * Serve CSTP (and DTLS when it is up, or read in stall-dtls): answer
 * DPD-REQ with DPD-RESP (same payload; late in dpd-slow and dpd-late),
 * ignore the rest, end on the phone's DISCONNECT or close. With
 * disconnect_at_ms set, send an empty DISCONNECT at that time and keep
 * reading until the phone goes. In reset-tenth the tunnel is marked up in
 * its slot while served, and reset when the server signals it. Returns
 * false if the connection was reset (nothing more may be sent on it).
 */
static bool serve_tunnel(struct conn *c, uint64_t disconnect_at_ms)
{
	bool udp = c->dtls_up || (mode == M_STALL_DTLS && c->ufd >= 0);
	struct pollfd pfd[2] = {{.fd = c->fd, .events = POLLIN},
				{.fd = udp ? c->ufd : -1, .events = POLLIN}};
	static struct tunnel t;
	sigset_t usr1, waiting;
	bool open = true;

	t.nq = 0;
	t.forged_seq = 1000;
	if (mode == M_DTLS_GARBAGE && c->dtls_up)
		for (int i = 0; i < 3; i++)
			dtls_garbage(c, &t);
	/* the server's signal is taken only while we wait (ppoll), so none is missed */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &waiting);
	reset_now = 0;
	if (my_slot >= 0)
		tunnel_up[my_slot] = 1;
	for (;;) {
		int timeout = send_due(c, &t);
		struct timespec ts, *tsp = NULL;

		if (disconnect_at_ms) {
			uint64_t now = now_ms();

			if (now >= disconnect_at_ms) {
				uint8_t h[8];

				cstp_hdr(h, 5, 0);
				conn_write(c, h, 8);
				disconnect_at_ms = 0;
				continue;
			}
			if (timeout < 0 || (uint64_t)timeout > disconnect_at_ms - now)
				timeout = (int)(disconnect_at_ms - now);
		}
		if (timeout >= 0) {
			ts.tv_sec = timeout / 1000;
			ts.tv_nsec = (long)(timeout % 1000) * 1000000;
			tsp = &ts;
		}
		if (!SSL_pending(c->ssl) && ppoll(pfd, 2, tsp, &waiting) <= 0) {
			if (reset_now) {
				reset_tunnel(c);
				open = false;
				break;
			}
			continue;
		}
		if ((pfd[1].revents & POLLIN) && !dtls_input(c, &t))
			break;
		if (!SSL_pending(c->ssl) && !(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (!conn_fill(c))
			break;
		while (c->len >= 8) {
			size_t plen = (size_t)c->buf[4] << 8 | c->buf[5];

			if (memcmp(c->buf, "STF\1", 4) || plen > sizeof(c->buf) - 8)
				goto out; /* the phone is broken: ocserv would drop it */
			if (c->len < 8 + plen)
				break;
			if (c->buf[6] == 3) { /* DPD-REQ */
				c->buf[6] = 4;
				answer_dpd(c, &t, false, c->buf, 8 + plen);
			} else if (c->buf[6] == 5) { /* DISCONNECT */
				goto out;
			}
			conn_consume(c, 8 + plen);
		}
	}
out:
	if (my_slot >= 0)
		tunnel_up[my_slot] = 0;
	return open;
}

static int client_cert_ok(int preverify, X509_STORE_CTX *xs)
{
	(void)preverify;
	(void)xs;
	return 1; /* any client certificate, or none */
}

/*
 * Log the phone in, from its first request (in line) to its CONNECT (in
 * line when we return true); false if the connection ends here, as the
 * mode says.
 */
static bool login(struct conn *c, char *line, size_t cap)
{
	if (mode == M_CLOSE_AUTH) {
		close(c->fd); /* no reply, no close_notify */
		return false;
	}
	if (mode == M_STALL_AUTH) {
		linger_until_closed(c);
		return false;
	}
	if (!strncmp(line, "GET ", 4)) {
		/* the phone's exchange: the login page, then the form POST */
		if (!answer_svc_get(c)) {
			linger_until_closed(c);
			return false;
		}
		if (mode == M_SVC_CLOSE_GET) {
			close(c->fd);
			return false;
		}
		if (!read_request(c, line, cap))
			return false;
		if (strncmp(line, "POST ", 5) || !answer_svc_post(c)) {
			linger_until_closed(c);
			return false;
		}
	} else if (mode == M_SVC_CLOSE_GET) {
		/*
		 * the POST sent again on a new connection after the close: this
		 * headend closes that too, so the phone's one resend fails as well
		 */
		close(c->fd);
		return false;
	} else if (!answer_auth(c)) {
		linger_until_closed(c);
		return false;
	}
	if (!read_request(c, line, cap))
		return false;
	if (strncmp(line, "CONNECT ", 8) != 0) {
		/* a second POST (the phone answered our form): refuse it */
		conn_puts(c, "HTTP/1.1 401 Authentication failed\r\nContent-Length: 0\r\n\r\n");
		linger_until_closed(c);
		return false;
	}
	return true;
}

static void serve(SSL_CTX *ctx, int fd)
{
	static struct conn c;
	char line[256];
	uint8_t h[8 + 64];

	c.fd = fd;
	c.len = 0;
	c.ufd = -1;
	c.dssl = NULL;
	c.dtls_up = false;
	switch (mode) {
	case M_CLOSE_TLS:
		close(fd);
		return;
	case M_BAD_HELLO: {
		/* after the ClientHello, a handshake record holding a Finished (20) */
		static const uint8_t fin[] = {22, 3, 3, 0, 16, 20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
		char hello[4096];

		if (read(fd, hello, sizeof(hello)) > 0 && write(fd, fin, sizeof(fin)) == sizeof(fin)) {
			alarm(LINGER_S);
			while (read(fd, hello, sizeof(hello)) > 0)
				;
		}
		return;
	}
	case M_GARBAGE_HELLO: {
		/* after the ClientHello, what a plain HTTP server would say, then noise */
		static const char said[] = "HTTP/1.1 400 Bad Request\r\n";
		uint8_t junk[512];
		char hello[4096];

		RAND_bytes(junk, sizeof(junk));
		memcpy(junk, said, sizeof(said) - 1);
		if (read(fd, hello, sizeof(hello)) > 0 &&
		    write(fd, junk, sizeof(junk)) == sizeof(junk)) {
			alarm(LINGER_S);
			while (read(fd, hello, sizeof(hello)) > 0)
				;
		}
		return;
	}
	case M_STALL_TLS: {
		char junk[4096];

		alarm(LINGER_S);
		while (read(fd, junk, sizeof(junk)) > 0)
			;
		return;
	}
	default:
		break;
	}

	c.ssl = SSL_new(ctx);
	if (!c.ssl)
		return;
	SSL_set_fd(c.ssl, fd);
	if (SSL_accept(c.ssl) != 1) {
		/* (the alert modes end here, their alert sent) */
		return;
	}
	if (!read_request(&c, line, sizeof(line)))
		return;
	/* a CONNECT first: a phone reconnecting with its session cookie, which we take */
	if (strncmp(line, "CONNECT ", 8) && !login(&c, line, sizeof(line)))
		return;
	if (mode == M_STALL_CONNECT) {
		linger_until_closed(&c);
		return;
	}
	if (!answer_connect(&c)) {
		linger_until_closed(&c);
		return;
	}
	/* DTLS asked for: the tunnel modes misbehave once it is up (dtls-alert refuses it) */
	if (c.dssl && mode != M_STALL_DTLS && !dtls_accept(&c)) {
		linger_until_closed(&c);
		return;
	}
	switch (mode) {
	case M_BAD_MAGIC:
		cstp_hdr(h, 3, 0);
		h[0] = 'X';
		conn_write(&c, h, 8);
		linger_until_closed(&c);
		break;
	case M_OVERSIZED:
		cstp_hdr(h, 0, 0xffff);
		memset(h + 8, 0x45, 64);
		conn_write(&c, h, sizeof(h));
		linger_until_closed(&c);
		break;
	case M_TRUNCATED:
		/* a 100-byte DATA frame, of which only the header and 32 bytes come */
		cstp_hdr(h, 0, 100);
		memset(h + 8, 0x45, 32);
		conn_write(&c, h, 8 + 32);
		SSL_shutdown(c.ssl);
		break;
	case M_DISCONNECT:
		serve_tunnel(&c, now_ms() + 2000);
		break;
	case M_SILENT_DPD:
		linger_until_closed(&c);
		break;
	case M_BAD_RECORD: {
		/* an application data record whose integrity check fails, under TLS */
		uint8_t rec[5 + 48] = {23, 3, 3, 0, 48};

		RAND_bytes(rec + 5, 48);
		if (write(fd, rec, sizeof(rec)) == sizeof(rec))
			linger_until_closed(&c);
		break;
	}
	default:
		if (serve_tunnel(&c, 0))
			SSL_shutdown(c.ssl);
		break;
	}
}

/* ==== Server ==== */

static pid_t slot_pid[SLOTS]; /* the child in each slot, 0 if free */

/*
 * reset-tenth: signal a random tenth (rounded up) of the children whose
 * tunnel is up; each resets its connection (reset_tunnel) and says so.
 */
static void reset_some(void)
{
	static int up[SLOTS];
	int n = 0, k;

	for (int i = 0; i < SLOTS; i++)
		if (slot_pid[i] && tunnel_up[i])
			up[n++] = i;
	k = (n + 9) / 10;
	for (int i = 0; i < k; i++) {
		uint32_t r;
		int j, t;

		RAND_bytes((unsigned char *)&r, sizeof(r));
		j = i + (int)(r % (uint32_t)(n - i));
		t = up[i];
		up[i] = up[j];
		up[j] = t;
		kill(slot_pid[up[i]], SIGUSR1);
	}
}

static int alert_on_hello(SSL *ssl, int *al, void *arg)
{
	(void)ssl;
	(void)arg;
	*al = mode == M_ALERT ? SSL_AD_HANDSHAKE_FAILURE : SSL_AD_INTERNAL_ERROR;
	return SSL_CLIENT_HELLO_ERROR;
}

static SSL_CTX *make_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		die_ssl("SSL_CTX_new");
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		die_ssl("cannot load the certificate");
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		die_ssl("cannot load the key");
	/* phones: TLS 1.2 with old suites; allow everything OpenSSL will */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* ask for a client certificate, accept any or none */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, client_cert_ok);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"badheadend", 10);
	if (mode == M_ALERT || mode == M_ALERT_INTERNAL)
		SSL_CTX_set_client_hello_cb(ctx, alert_on_hello, NULL);
	return ctx;
}

static int listen_on(const char *spec)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(stderr, "badheadend: --listen wants ADDR:PORT\n");
		exit(2);
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		fprintf(stderr, "badheadend: bad --listen %s\n", spec);
		exit(2);
	}
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	if (listen(fd, 1024))
		die("listen");
	listen_sa = sa;
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: badheadend --listen ADDR:PORT --cert PEM --key PEM --mode MODE "
			"[--max-conns N] [--lifetime S]\nmodes:\n");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-16s %s\n", modes[i].name, modes[i].help);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_spec = NULL, *cert = NULL, *key = NULL, *mode_name = NULL;
	long max_conns = 0, conns = 0, lifetime_s = CHILD_LIFETIME_S;
	uint64_t next_reset;
	struct sigaction sa = {0};
	pid_t parent = getpid();
	int lfd;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(argv[i], "--listen"))
			listen_spec = v;
		else if (!strcmp(argv[i], "--cert"))
			cert = v;
		else if (!strcmp(argv[i], "--key"))
			key = v;
		else if (!strcmp(argv[i], "--mode"))
			mode_name = v;
		else if (!strcmp(argv[i], "--max-conns"))
			max_conns = atol(v);
		else if (!strcmp(argv[i], "--lifetime") && atol(v) > 0)
			lifetime_s = atol(v);
		else
			usage();
		i++;
	}
	if (!listen_spec || !cert || !key || !mode_name)
		usage();
	size_t m;
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (!strcmp(modes[m].name, mode_name))
			break;
	if (m == sizeof(modes) / sizeof(modes[0]))
		usage();
	mode = modes[m].mode;

	SSL_CTX *ctx = make_ctx(cert, key);
	lfd = listen_on(listen_spec);

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	tunnel_up = mmap(NULL, SLOTS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tunnel_up == MAP_FAILED)
		die("mmap");
	next_reset = now_ms() + RESET_PERIOD_MS;

	while (!stop && (!max_conns || conns < max_conns)) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		pid_t pid;
		int slot;

		/* the children that ended leave their slots (and no zombie) */
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			for (int i = 0; i < SLOTS; i++)
				if (slot_pid[i] == pid) {
					slot_pid[i] = 0;
					tunnel_up[i] = 0;
					break;
				}
		if (mode == M_RESET_TENTH && now_ms() >= next_reset) {
			reset_some();
			next_reset += RESET_PERIOD_MS;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		conns++;
		for (slot = 0; slot < SLOTS && slot_pid[slot]; slot++)
			;
		pid = fork();
		if (pid < 0) {
			close(fd);
			continue;
		}
		if (pid == 0) {
			struct sigaction dfl = {.sa_handler = SIG_DFL};
			struct sigaction usr1 = {.sa_handler = on_reset, .sa_flags = SA_RESTART};

			sigaction(SIGTERM, &dfl, NULL);
			sigaction(SIGINT, &dfl, NULL);
			sigaction(SIGUSR1, &usr1, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			close(lfd);
			my_slot = slot < SLOTS ? slot : -1;
			alarm((unsigned)lifetime_s);
			serve(ctx, fd);
			_exit(0);
		}
		if (slot < SLOTS)
			slot_pid[slot] = pid;
		close(fd);
	}
	close(lfd);
	if (!stop) /* --max-conns: let the last connections finish */
		while (!stop && (wait(NULL) > 0 || errno == EINTR))
			;
	SSL_CTX_free(ctx);
	return 0;
}
