/*
 * tests/tools/asaheadend.c - a scripted headend that answers as a Cisco ASA does.
 *
 * Nobody here has an ASA, so this sibling of badheadend.c imitates what
 * public logs of real ASAs show (the phoneswarm README's section for ASA
 * users lists the sources): chunked replies with the ASA's heads to both
 * login exchanges (the desktop client's aggregate-auth XML, and the phone's
 * GET and form POST with the legacy <auth> page, its cookies, ";PATH=/"
 * and '@' in the session cookie), a CONNECT answered "200 OK" with the
 * ASA's headers, and the CSTP tunnel. A mode makes it do one thing an ASA
 * may do that the phones must cope with (a certificate asked for late, a
 * selected group, a refusal with its words, a huge CONNECT reply, a
 * load-balancing redirect, a connection closed after a reply, the headend's
 * timers), or one bad input (chunk sizes that overflow, lie or never end,
 * redirect loops, a certificate asked for forever, 10,000 headers).
 * tests/lab/test_asa_headend.sh runs each mode in the lab and checks what
 * the phones report.
 *
 *   asaheadend --listen ADDR:PORT --cert PEM --key PEM --mode MODE
 *              [--group-url PATH] [--redirect-to URL] [--reason TEXT]
 *              [--idle S] [--rekey S] [--max-conns N]
 *
 * It logs one line per thing it did to stderr ("asaheadend: 198.18.64.1
 * CONNECT 200 cookie 3f0c... (2nd connection)"): the headend's own view,
 * which the lab test reads.
 *
 * One process accepts; each connection is served by a forked child with
 * blocking I/O (tests/tools/headend.h, shared with badheadend). What
 * must outlive a connection (a client asked for its certificate, a CONNECT
 * already dropped once) is kept per client address in a small table shared
 * by the children (an anonymous shared mapping), so the lab gives each
 * phone its own source address. Session cookies are signed with a key made
 * at start-up, so any child can tell one of its own from a forgery.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "tests/tools/headend.h"

#define CHILD_LIFETIME_S 120   /* a connection never outlives this */
#define LINGER_S	 30    /* how long we wait for the phone to give up */
#define PEERS		 1024  /* client addresses remembered */

enum mode {
	M_ASA,		   /* the ASA as the logs show it: everything chunked */
	M_CERT_LATE,	   /* no CertificateRequest until the client was told to come back */
	M_CERT_FOREVER,	   /* as cert-late, and the certificate is never enough */
	M_GROUP_SELECT,	   /* a group list whose selected option is not the first */
	M_X_REASON,	   /* CONNECT refused: 503 with X-Reason */
	M_XML_ERROR,	   /* login refused: type="complete" with <error> */
	M_HTML_ERROR,	   /* login answered with an HTML page */
	M_WRONG_GROUP_URL, /* any path but the group-url: 302 to the portal's logon page */
	M_BIG_CONNECT,	   /* CONNECT reply of 700 headers and a long Post-Auth-XML */
	M_HEADERS_10000,   /* CONNECT reply of 10,000 headers */
	M_REDIRECT,	   /* the first request: 302 to --redirect-to */
	M_REDIRECT_LOOP,   /* /x -> /x2 -> /x -> ... */
	M_REDIRECT_MANY,   /* /x -> /xa -> /xaa -> ... */
	M_REDIRECT_HTTP,   /* 302 to http:// */
	M_CLOSE_AFTER,	   /* every reply says Connection: close, and closes */
	M_CLOSE_SILENT,	   /* replies keep-alive, then the connection is closed anyway */
	M_CONNECT_RETRY,   /* the first CONNECT of a client: closed without a status line */
	M_CONNECT_DROP,	   /* every CONNECT: closed without a status line */
	M_IDLE,		   /* X-CSTP-Idle-Timeout, and a DISCONNECT after that long without data */
	M_REKEY,	   /* X-CSTP-Rekey-Method: new-tunnel after --rekey seconds */
	M_CHUNK_OVERFLOW,  /* a chunk size of 24 hex digits */
	M_CHUNK_LIE,	   /* a chunk size smaller than the data that follows */
	M_CHUNK_STALL,	   /* a chunk size larger than the data, then silence */
	M_CHUNK_ENDLESS,   /* chunks forever, never the last one */
};

static const struct {
	const char *name;
	enum mode mode;
	const char *help;
} modes[] = {
    {"asa", M_ASA, "an ASA as its public logs show it: chunked replies, its cookies, its CONNECT"},
    {"cert-late", M_CERT_LATE,
     "no CertificateRequest on a client's first connection: <client-cert-request/> to the "
     "XML init, or Connection: close after the phone's login page; asked on the next"},
    {"cert-forever", M_CERT_FOREVER,
     "as cert-late, but the certificate presented on the next connection is never enough: "
     "<client-cert-request/> again, or ClientCertAuthFailed=1 after the phone's POST"},
    {"group-select", M_GROUP_SELECT,
     "an XML form whose group list selects its second option; another group is refused"},
    {"x-reason", M_X_REASON, "CONNECT answered 503 with X-Reason: --reason"},
    {"xml-error", M_XML_ERROR, "login answered type=\"complete\" with <error>--reason</error>"},
    {"html-error", M_HTML_ERROR, "login answered with an HTML page saying --reason"},
    {"wrong-group-url", M_WRONG_GROUP_URL,
     "a path other than --group-url: 302 to /+CSCOE+/logon.html, a portal page"},
    {"big-connect", M_BIG_CONNECT,
     "CONNECT reply with 700 split-include headers and a 20 KB X-CSTP-Post-Auth-XML"},
    {"headers-10000", M_HEADERS_10000, "CONNECT reply of 10,000 header lines"},
    {"redirect", M_REDIRECT,
     "HTTP/1.0 302 Temporary moved to --redirect-to, Connection: Close, to the first request"},
    {"redirect-loop", M_REDIRECT_LOOP, "302 from PATH to PATH2 and back"},
    {"redirect-many", M_REDIRECT_MANY, "302 from PATH to PATHa, PATHaa, ... without end"},
    {"redirect-http", M_REDIRECT_HTTP, "302 to http:// on the same host"},
    {"close-after", M_CLOSE_AFTER, "every reply with Connection: close, then a close"},
    {"close-silent", M_CLOSE_SILENT, "replies say Keep-Alive, and the connection closes"},
    {"connect-retry", M_CONNECT_RETRY,
     "a client's first CONNECT: the connection closed before a status line"},
    {"connect-drop", M_CONNECT_DROP, "every CONNECT: the connection closed before a status line"},
    {"idle", M_IDLE,
     "X-CSTP-Idle-Timeout: --idle, and DISCONNECT after --idle seconds without data"},
    {"rekey", M_REKEY, "X-CSTP-Rekey-Time: --rekey, X-CSTP-Rekey-Method: new-tunnel"},
    {"chunk-overflow", M_CHUNK_OVERFLOW, "a login reply whose chunk size has 24 hex digits"},
    {"chunk-lie", M_CHUNK_LIE, "a login reply whose chunk size is smaller than its data"},
    {"chunk-stall", M_CHUNK_STALL, "a login reply whose chunk size is larger, then silence"},
    {"chunk-endless", M_CHUNK_ENDLESS, "a login reply of 4 KB chunks that never ends"},
};

static enum mode mode;
static const char *group_url = "/phone";
static const char *redirect_to = "https://198.18.0.1:4444/phone";
static const char *reason_text = "asaheadend: a scripted refusal";
static unsigned idle_s = 4, rekey_s = 3;
static uint8_t cookie_key[32]; /* signs session cookies; made at start-up */

/* ==== Utilities ==== */

static void die(const char *what)
{
	fprintf(stderr, "asaheadend: %s: %s\n", what, strerror(errno));
	exit(1);
}


static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ==== What outlives a connection: per client address ==== */

struct peer {
	uint32_t addr;	 /* network order; 0: free slot */
	uint8_t told;	 /* told to come back with a certificate */
	uint8_t dropped; /* CONNECTs dropped */
	uint8_t conns;	 /* connections accepted */
};

static struct {
	int lock; /* a spin lock: the children hold it for a few instructions */
	struct peer p[PEERS];
} *peers;

/* The slot of addr (made if new), locked by the caller's peer_lock(). */
static struct peer *peer_of(uint32_t addr)
{
	for (int i = 0; i < PEERS; i++)
		if (peers->p[i].addr == addr)
			return &peers->p[i];
	for (int i = 0; i < PEERS; i++)
		if (!peers->p[i].addr) {
			peers->p[i].addr = addr;
			return &peers->p[i];
		}
	return &peers->p[addr % PEERS]; /* full: share a slot */
}

static void peer_lock(void)
{
	while (__atomic_exchange_n(&peers->lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void peer_unlock(void)
{
	__atomic_store_n(&peers->lock, 0, __ATOMIC_RELEASE);
}

/* ==== One connection ==== */

struct conn {
	struct hconn h;
	char ip[INET_ADDRSTRLEN];
	uint32_t addr; /* the client's, network order */
	int nth;       /* this client's connection number, from 1 */
	bool cert;     /* the client presented a certificate */
};

struct request {
	char method[16];
	char path[512];
	char cookie[256];  /* the webvpn cookie it sent, "" if none */
	char body[8192];   /* NUL-terminated, cut */
	size_t body_len;   /* bytes, as sent */
};

static void say(const struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct conn *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "asaheadend: %s#%d ", c->ip, c->nth);

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

static bool conn_write(struct conn *c, const void *buf, size_t len)
{
	return hconn_write(&c->h, buf, len);
}

static bool conn_puts(struct conn *c, const char *s)
{
	return hconn_puts(&c->h, s);
}

/* Read one request; false on EOF or junk. */
static bool read_request(struct conn *c, struct request *rq)
{
	size_t head, body, keep;
	char cookies[1024];

	if (!hconn_request(&c->h, &head, &body))
		return false;
	if (sscanf((const char *)c->h.buf, "%15s %511s", rq->method, rq->path) != 2)
		return false;
	rq->cookie[0] = '\0';
	if (hconn_header(&c->h, head, "Cookie", cookies, sizeof(cookies))) {
		char *w = strstr(cookies, "webvpn=");

		while (w && w != cookies && w[-1] != ' ' && w[-1] != ';')
			w = strstr(w + 1, "webvpn=");
		if (w)
			snprintf(rq->cookie, sizeof(rq->cookie), "%.*s", (int)strcspn(w + 7, "; "),
				 w + 7);
	}
	rq->body_len = body;
	keep = body < sizeof(rq->body) - 1 ? body : sizeof(rq->body) - 1;
	memcpy(rq->body, c->h.buf + head, keep);
	rq->body[keep] = '\0';
	hconn_consume(&c->h, head + body);
	return true;
}

static void linger_until_closed(struct conn *c)
{
	hconn_linger(&c->h, LINGER_S);
}

/* ==== Session cookies ==== */

/* An ASA-like cookie "N@N@N@HEX40", its hex the signature of the rest. */
static void cookie_sign(const char *front, char out[41])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	EVP_DigestInit_ex(x, EVP_sha1(), NULL);
	EVP_DigestUpdate(x, cookie_key, sizeof(cookie_key));
	EVP_DigestUpdate(x, front, strlen(front));
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (unsigned i = 0; i < 20; i++)
		sprintf(out + 2 * i, "%02X", md[i]);
}

static void make_cookie(char *out, size_t cap)
{
	uint32_t r[3];
	char front[48], sig[41];

	RAND_bytes((uint8_t *)r, sizeof(r));
	snprintf(front, sizeof(front), "%u@%u@%u", r[0], r[1] & 0xffffff, r[2]);
	cookie_sign(front, sig);
	snprintf(out, cap, "%s@%s", front, sig);
}

static bool cookie_ok(const char *cookie)
{
	const char *at = strrchr(cookie, '@');
	char front[48], sig[41];

	if (!at || at - cookie >= (long)sizeof(front) || strlen(at + 1) != 40)
		return false;
	snprintf(front, sizeof(front), "%.*s", (int)(at - cookie), cookie);
	cookie_sign(front, sig);
	return !strcmp(sig, at + 1);
}

/* ==== Replies ==== */

/*
 * The head an ASA answers the aggregate-auth POSTs with (openconnect-gui
 * issue 94, 2016, and vpn-slice issue 68, 2020): text/html for an XML
 * body, chunked, kept alive.
 */
static const char asa_xml_head[] = "Content-Type: text/html; charset=utf-8\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "Cache-Control: no-store\r\n"
				   "Pragma: no-cache\r\n"
				   "%s"
				   "Date: Tue, 15 Mar 2016 12:30:44 GMT\r\n"
				   "X-Frame-Options: SAMEORIGIN\r\n"
				   "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
				   "X-Aggregate-Auth: 1\r\n";

/* The legacy login's head (a 2008 ASA, openconnect commit eaa41be1; a 2015 one, gui issue 30). */
static const char asa_legacy_head[] = "Transfer-Encoding: chunked\r\n"
				      "Content-Type: text/xml\r\n"
				      "Cache-Control: max-age=0\r\n"
				      "%s"
				      "X-Transcend-Version: 1\r\n";

static bool reply_closes; /* the next reply says Connection: close */

/* "Connection: Keep-Alive", or close when the mode or the reply closes. */
static const char *keep_or_close(void)
{
	return mode == M_CLOSE_AFTER || reply_closes ? "Connection: close\r\n"
						     : "Connection: Keep-Alive\r\n";
}

/*
 * body as chunks of varying sizes, each in its own TLS record, as a
 * headend writing as it goes would send it: the phone must join them.
 */
static void send_chunks(struct conn *c, const char *body)
{
	static const size_t sizes[] = {1, 17, 5, 200, 64, 3};
	size_t len = strlen(body), off = 0;
	char line[16];

	for (int i = 0; off < len; i++) {
		size_t k = sizes[i % 6];

		if (k > len - off)
			k = len - off;
		snprintf(line, sizeof(line), "%zx\r\n", k);
		conn_puts(c, line);
		conn_write(c, body + off, k);
		conn_puts(c, "\r\n");
		off += k;
	}
	conn_puts(c, "0\r\n\r\n");
}

/* A reply: status, the head template with its Connection line, extra headers, chunked body. */
static void send_chunked(struct conn *c, const char *status, const char *head_tmpl,
			 const char *extra, const char *body)
{
	char head[4096];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n", status);

	n += snprintf(head + n, sizeof(head) - (size_t)n, head_tmpl, keep_or_close());
	snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n", extra);
	conn_puts(c, head);
	send_chunks(c, body);
}

/* ==== The desktop client's aggregate-auth exchange ==== */

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/* The form a password tunnel group sends (vpn-slice issue 68: an opaque, no form action). */
static void xml_form(char *out, size_t cap, bool groups)
{
	snprintf(out, cap,
		 "%s<config-auth client=\"vpn\" type=\"auth-request\" aggregate-auth-version=\"2\">\n"
		 "<opaque is-for=\"sg\">\n<tunnel-group>PHONES</tunnel-group>\n"
		 "<group-alias>phones</group-alias>\n<config-hash>1595829378234</config-hash>\n"
		 "</opaque>\n<auth id=\"main\">\n<title>Login</title>\n"
		 "<message>Please enter your username and password.</message>\n<banner></banner>\n"
		 "<form>\n<input type=\"text\" name=\"username\" label=\"Username:\"></input>\n"
		 "<input type=\"password\" name=\"password\" label=\"Password:\"></input>\n%s"
		 "</form></auth>\n</config-auth>\n",
		 xml_decl,
		 groups ? "<select name=\"group_list\" label=\"GROUP:\">\n"
			  "<option value=\"DESKTOP\">Desktop</option>\n"
			  "<option value=\"PHONES\" selected=\"true\">Phones</option>\n"
			  "<option value=\"LAB\">Lab</option>\n</select>\n"
			: "");
}

/* Logged in: the session token in the document (an ASA of 2024, openconnect-sso 175). */
static void xml_complete(struct conn *c)
{
	char cookie[128], body[1024];

	make_cookie(cookie, sizeof(cookie));
	snprintf(body, sizeof(body),
		 "%s<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n"
		 "<session-id>4096</session-id>\n<session-token>%s</session-token>\n"
		 "<auth id=\"success\">\n<banner></banner>\n</auth>\n"
		 "<capabilities>\n<crypto-supported>ssl-dhe</crypto-supported>\n</capabilities>\n"
		 "</config-auth>\n",
		 xml_decl, cookie);
	send_chunked(c, "200 OK", asa_xml_head, "", body);
	say(c, "XML login complete, session %.8s", cookie);
}

static void xml_error(struct conn *c)
{
	char body[1024];

	/* Cisco Secure Access, 2025 (openconnect-sso issue 188) */
	snprintf(body, sizeof(body),
		 "%s<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n"
		 "<error id=\"24\" param1=\"\" param2=\"\">%s</error>\n</config-auth>\n",
		 xml_decl, reason_text);
	send_chunked(c, "200 OK", asa_xml_head, "", body);
	say(c, "XML login refused with <error>");
}

static const char html_page[] =
    "<html>\n<head><title>SSL VPN Service</title>\n"
    "<script>document.location.replace('/+CSCOE+/logon.html');</script></head>\n"
    "<body><div class=\"error\">%s</div>\n<form action=\"/+webvpn+/index.html\">"
    "</form></body></html>\n";

static void html_error(struct conn *c)
{
	char body[1024];

	snprintf(body, sizeof(body), html_page, reason_text);
	send_chunked(c, "200 OK", asa_legacy_head,
		     "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n",
		     body);
	say(c, "login answered with an HTML page");
}

static void cert_request(struct conn *c)
{
	char body[512];

	/* the shape what-vpn and openconnect's test server use; no real ASA body is public */
	snprintf(body, sizeof(body),
		 "%s<config-auth client=\"vpn\" type=\"auth-request\" "
		 "aggregate-auth-version=\"2\">\n<client-cert-request />\n</config-auth>\n",
		 xml_decl);
	send_chunked(c, "200 OK", asa_xml_head, "", body);
}

/* A POST of the XML exchange; false to end the connection. */
static bool xml_post(struct conn *c, const struct request *rq)
{
	bool init = strstr(rq->body, "type=\"init\"") != NULL;
	char body[4096];

	if (mode == M_XML_ERROR) {
		xml_error(c);
		return true;
	}
	if (mode == M_HTML_ERROR) {
		html_error(c);
		return true;
	}
	if (init && (mode == M_CERT_FOREVER || (mode == M_CERT_LATE && !c->cert))) {
		if (strstr(rq->body, "<client-cert-fail")) {
			say(c, "XML init with <client-cert-fail/>: refused");
			xml_error(c);
			return true;
		}
		peer_lock();
		peer_of(c->addr)->told = 1;
		peer_unlock();
		cert_request(c);
		say(c, "XML init %s a certificate: <client-cert-request/>",
		    c->cert ? "with" : "without");
		return true; /* the client must come back on a new connection by itself */
	}
	if (init && !c->cert) {
		xml_form(body, sizeof(body), mode == M_GROUP_SELECT);
		send_chunked(c, "200 OK", asa_xml_head, "", body);
		say(c, "XML init: login form%s", mode == M_GROUP_SELECT ? " with a group list" : "");
		return true;
	}
	if (!init && mode == M_GROUP_SELECT && !strstr(rq->body, "<group-select>PHONES<")) {
		const char *g = strstr(rq->body, "<group-select>");

		say(c, "XML auth-reply chose group %.*s, not the selected PHONES: refused",
		    g ? (int)strcspn(g + 14, "<") : 6, g ? g + 14 : "(none)");
		snprintf(body, sizeof(body),
			 "%s<config-auth client=\"vpn\" type=\"complete\" "
			 "aggregate-auth-version=\"2\">\n<error id=\"51\" param1=\"\" "
			 "param2=\"\">Login failed: not the group of this URL</error>\n"
			 "</config-auth>\n",
			 xml_decl);
		send_chunked(c, "200 OK", asa_xml_head, "", body);
		return true;
	}
	xml_complete(c);
	return true;
}

/* ==== The phone's own exchange (GET, form POST) ==== */

/* The login page (the cookies of rapid7/recog PR 183, the legacy <auth> of 2008). */
static void svc_login_page(struct conn *c)
{
	static const char page[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<auth id=\"main\">\n<title>SSL VPN Service</title>\n"
				   "<message>Please enter your username and password.</message>\n"
				   "<form method=\"post\" action=\"/+webvpn+/index.html\">\n"
				   "<input type=\"text\" name=\"username\" label=\"USERNAME:\" />\n"
				   "<input type=\"password\" name=\"password\" label=\"PASSWORD:\" />\n"
				   "<input type=\"submit\" name=\"Login\" value=\"Login\" />\n"
				   "</form></auth>\n";
	static const char cookies[] =
	    "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
	    "Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
	    "Set-Cookie: webvpn_portal=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
	    "Set-Cookie: webvpnSharePoint=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
	    "Set-Cookie: webvpnlogin=1; path=/; secure\r\n";

	send_chunked(c, "200 OK", asa_legacy_head, cookies, page);
}

static void svc_success(struct conn *c)
{
	static const char page[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<auth id=\"success\">\n<title>SSL VPN Service</title>\n"
				   "<message>Success</message>\n<success/>\n</auth>\n";
	char cookie[128], cookies[512];

	make_cookie(cookie, sizeof(cookie));
	snprintf(cookies, sizeof(cookies),
		 "Set-Cookie: webvpnlogin=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
		 "Set-Cookie: tg=1PHONES; path=/\r\n"
		 "Set-Cookie: webvpn=%s;PATH=/\r\n"
		 "Set-Cookie: webvpnc=bu:/CACHE/stc/&p:t&iu:1/&sh:5A0C;PATH=/\r\n",
		 cookie);
	send_chunked(c, "200 OK", asa_legacy_head, cookies, page);
	say(c, "phone login complete, session %.8s", cookie);
}

/* The phone's GET; false to end the connection. */
static bool svc_get(struct conn *c, const struct request *rq)
{
	(void)rq;
	if (mode == M_HTML_ERROR) {
		html_error(c);
		return true;
	}
	if ((mode == M_CERT_LATE && !c->cert) || mode == M_CERT_FOREVER) {
		/* "come back with your certificate": the page, then a close */
		peer_lock();
		peer_of(c->addr)->told = 1;
		peer_unlock();
		reply_closes = true;
		svc_login_page(c);
		reply_closes = false;
		say(c, "phone GET without a certificate: login page, Connection: close");
		return false;
	}
	svc_login_page(c);
	say(c, "phone GET: login page");
	return true;
}

static bool svc_post(struct conn *c, const struct request *rq)
{
	(void)rq;
	if (mode == M_XML_ERROR) {
		char body[512];

		snprintf(body, sizeof(body),
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<auth id=\"main\">\n"
			 "<title>SSL VPN Service</title>\n<error id=\"24\" param1=\"\" "
			 "param2=\"\">%s</error>\n</auth>\n",
			 reason_text);
		send_chunked(c, "200 OK", asa_legacy_head,
			     "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n",
			     body);
		say(c, "phone POST refused with <error>");
		return true;
	}
	if (mode == M_HTML_ERROR) {
		html_error(c);
		return true;
	}
	if (mode == M_CERT_FOREVER || (mode == M_CERT_LATE && !c->cert)) {
		send_chunked(c, "200 OK", asa_legacy_head,
			     "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/\r\n"
			     "Set-Cookie: ClientCertAuthFailed=1; path=/\r\n"
			     "Set-Cookie: webvpnlogin=1\r\n",
			     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<auth id=\"main\">\n"
			     "<title>SSL VPN Service</title>\n</auth>\n");
		say(c, "phone POST without a certificate: ClientCertAuthFailed=1");
		return true;
	}
	svc_success(c);
	return true;
}

/* ==== Redirects ==== */

/* The load-balancing redirect as vpn-slice issue 3 logged it (2017). */
static void send_redirect(struct conn *c, const char *location)
{
	char out[1024];

	snprintf(out, sizeof(out),
		 "HTTP/1.0 302 Temporary moved\r\nContent-Length: 0\r\nCache-Control: no-cache\r\n"
		 "Pragma: no-cache\r\nConnection: Close\r\nDate: Tue, 18 Apr 2017 19:45:17 GMT\r\n"
		 "X-Frame-Options: SAMEORIGIN\r\nLocation: %s\r\n\r\n",
		 location);
	conn_puts(c, out);
	say(c, "302 to %s", location);
}

/* A redirect this mode sends for rq, into loc; false when none. */
static bool redirect_for(const struct request *rq, char *loc, size_t cap)
{
	const char *p = rq->path;
	size_t n = strlen(group_url);

	switch (mode) {
	case M_REDIRECT:
		snprintf(loc, cap, "%s", redirect_to);
		return true;
	case M_REDIRECT_HTTP:
		snprintf(loc, cap, "http://198.18.0.1%s", group_url);
		return true;
	case M_REDIRECT_LOOP:
		/* /phone -> /phone2 -> /phone */
		if (!strcmp(p, group_url))
			snprintf(loc, cap, "%s2", group_url);
		else
			snprintf(loc, cap, "%s", group_url);
		return true;
	case M_REDIRECT_MANY:
		snprintf(loc, cap, "%sa", p);
		return true;
	case M_WRONG_GROUP_URL:
		if (!strncmp(p, group_url, n) && (p[n] == '\0' || p[n] == '?'))
			return false;
		if (!strncmp(p, "/+CSCOE+/", 9) || !strncmp(p, "/+webvpn+/", 10))
			return false;
		snprintf(loc, cap, "/+CSCOE+/logon.html");
		return true;
	default:
		return false;
	}
}

/* The portal's logon page: only expired cookies, no webvpnlogin (an inference, see README). */
static void portal_page(struct conn *c)
{
	send_chunked(c, "200 OK", asa_legacy_head,
		     "Set-Cookie: webvpn=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n"
		     "Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; secure\r\n",
		     "<html><head><title>SSL VPN Service</title></head><body><form "
		     "name=\"unicorn\" action=\"/+webvpn+/index.html\"></form></body></html>\n");
	say(c, "portal logon page");
}

/* ==== Bad bodies ==== */

/* A login reply whose chunked body is broken the mode's way; then the client must go. */
static void bad_chunks(struct conn *c)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
				   "Transfer-Encoding: chunked\r\nConnection: Keep-Alive\r\n"
				   "X-Aggregate-Auth: 1\r\nSet-Cookie: webvpnlogin=1\r\n\r\n";
	char junk[4096 + 16];

	conn_puts(c, head);
	switch (mode) {
	case M_CHUNK_OVERFLOW:
		conn_puts(c, "FFFFFFFFFFFFFFFFFFFFFFFF\r\n<?xml version=\"1.0\"?>");
		say(c, "chunk size of 24 hex digits");
		break;
	case M_CHUNK_LIE:
		conn_puts(c, "a\r\n<?xml version=\"1.0\"?><config-auth/>\r\n0\r\n\r\n");
		say(c, "chunk size 10 before 37 bytes");
		break;
	case M_CHUNK_STALL:
		conn_puts(c, "1000\r\n<?xml version=\"1.0\"?>");
		say(c, "chunk size 4096 before 21 bytes, then silence");
		break;
	case M_CHUNK_ENDLESS:
		memset(junk, ' ', sizeof(junk));
		memcpy(junk, "1000\r\n", 6);
		memcpy(junk + 6 + 4096, "\r\n", 2);
		say(c, "4 KB chunks without end");
		alarm(LINGER_S);
		while (conn_write(c, junk, 6 + 4096 + 2))
			;
		break;
	default:
		break;
	}
}

/* ==== CONNECT ==== */

/* The headers of an ASA's CONNECT reply (openconnect-gui issues 206 and 195). */
static int asa_connect_head(char *out, size_t cap, int n_addr)
{
	return snprintf(out, cap,
			"HTTP/1.1 200 OK\r\n"
			"X-CSTP-Version: 1\r\n"
			"X-CSTP-Address: 10.10.1.%d\r\n"
			"X-CSTP-Netmask: 255.255.255.0\r\n"
			"X-CSTP-Hostname: asav\r\n"
			"X-CSTP-DNS: 198.18.0.53\r\n"
			"X-CSTP-Lease-Duration: 43200\r\n"
			"X-CSTP-Session-Timeout: 43200\r\n"
			"X-CSTP-Idle-Timeout: %u\r\n"
			"X-CSTP-Disconnected-Timeout: %u\r\n"
			"X-CSTP-Default-Domain: lab.test\r\n"
			"X-CSTP-Keep: true\r\n"
			"X-CSTP-Tunnel-All-DNS: false\r\n"
			"X-CSTP-DPD: 30\r\n"
			"X-CSTP-Keepalive: 20\r\n"
			"X-CSTP-MSIE-Proxy-Lockdown: true\r\n"
			"X-CSTP-Smartcard-Removal-Disconnect: true\r\n"
			"X-CSTP-MTU: 1300\r\n"
			"X-CSTP-Routing-Filtering-Ignore: false\r\n"
			"X-CSTP-Quarantine: false\r\n"
			"X-CSTP-Disable-Always-On-VPN: false\r\n"
			"X-CSTP-Client-Bypass-Protocol: false\r\n"
			"X-CSTP-TCP-Keepalive: true\r\n",
			2 + n_addr % 250, mode == M_IDLE ? idle_s : 1800, mode == M_IDLE ? idle_s : 1800);
}

static bool answer_connect(struct conn *c, const struct request *rq)
{
	static char out[1 << 20];
	size_t n;
	bool again;

	if (!cookie_ok(rq->cookie)) {
		conn_puts(c, "HTTP/1.1 401 Cookie is not acceptable\r\nContent-Length: 0\r\n\r\n");
		say(c, "CONNECT with a cookie not ours: 401");
		return false;
	}
	peer_lock();
	struct peer *pr = peer_of(c->addr);
	again = pr->dropped > 0;
	bool drop = mode == M_CONNECT_DROP || (mode == M_CONNECT_RETRY && !pr->dropped);

	if (drop)
		pr->dropped++;
	peer_unlock();
	if (drop) {
		say(c, "CONNECT %s: closed before a status line", again ? "again" : "first");
		return false; /* the caller closes without a word */
	}
	if (mode == M_X_REASON) {
		snprintf(out, sizeof(out),
			 "HTTP/1.1 503 Service Unavailable\r\nX-Reason: %s\r\n\r\n", reason_text);
		conn_puts(c, out);
		say(c, "CONNECT refused: 503 X-Reason");
		return false;
	}
	n = (size_t)asa_connect_head(out, sizeof(out), c->nth);
	if (mode == M_REKEY)
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "X-CSTP-Rekey-Time: %u\r\nX-CSTP-Rekey-Method: new-tunnel\r\n",
				      rekey_s);
	if (mode == M_BIG_CONNECT) {
		for (int i = 0; i < 700; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
					      "X-CSTP-Split-Include: 10.%d.%d.0/255.255.255.0\r\n",
					      i / 250, i % 250);
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "X-CSTP-Post-Auth-XML: <?xml version=\"1.0\" "
				      "encoding=\"UTF-8\"?><config-auth client=\"vpn\" "
				      "type=\"complete\"><session-token>");
		memset(out + n, 'A', 20000);
		n += 20000;
		n += (size_t)snprintf(out + n, sizeof(out) - n,
				      "</session-token><auth id=\"success\"></auth></config-auth>\r\n");
	}
	if (mode == M_HEADERS_10000)
		for (int i = 0; i < 10000; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "X-A: b\r\n");
	n += (size_t)snprintf(out + n, sizeof(out) - n, "\r\n");
	conn_write(c, out, n);
	say(c, "CONNECT 200 (%zu bytes of head) cookie %.8s%s", n, rq->cookie,
	    again ? " after a dropped CONNECT" : "");
	return mode != M_HEADERS_10000;
}

/* ==== The tunnel ==== */

/*
 * Serve CSTP: answer DPD-REQ, take DATA as activity; in mode idle, send an
 * empty DISCONNECT (as ocserv does; what an ASA puts in it is not public)
 * once idle_s seconds have passed without DATA, and close.
 */
static void serve_tunnel(struct conn *c)
{
	struct pollfd pfd = {.fd = c->h.fd, .events = POLLIN};
	uint64_t last_data = now_ms();

	for (;;) {
		int timeout = -1;

		if (mode == M_IDLE) {
			uint64_t t = now_ms(), due = last_data + idle_s * 1000u;

			if (t >= due) {
				uint8_t h[8];

				hconn_cstp_hdr(h, 5, 0);
				conn_write(c, h, 8);
				say(c, "idle for %u s: DISCONNECT", idle_s);
				SSL_shutdown(c->h.ssl);
				linger_until_closed(c);
				return;
			}
			timeout = (int)(due - t);
		}
		if (!SSL_pending(c->h.ssl) && poll(&pfd, 1, timeout) == 0)
			continue;
		if (!hconn_fill(&c->h)) {
			say(c, "tunnel closed by the client");
			return;
		}
		while (c->h.len >= 8) {
			size_t plen = (size_t)c->h.buf[4] << 8 | c->h.buf[5];

			if (memcmp(c->h.buf, "STF\1", 4) || plen > sizeof(c->h.buf) - 8)
				return;
			if (c->h.len < 8 + plen)
				break;
			if (c->h.buf[6] == 0) {
				last_data = now_ms();
			} else if (c->h.buf[6] == 3) { /* DPD-REQ */
				c->h.buf[6] = 4;
				conn_write(c, c->h.buf, 8 + plen);
			} else if (c->h.buf[6] == 5) {
				say(c, "tunnel: DISCONNECT from the client");
				return;
			}
			hconn_consume(&c->h, 8 + plen);
		}
	}
}

/* ==== A connection ==== */

static int accept_any_cert(int preverify, X509_STORE_CTX *xs)
{
	(void)preverify;
	(void)xs;
	return 1;
}

/* Does this connection ask for the client's certificate in its handshake? */
static bool wants_cert(struct conn *c)
{
	bool told;

	if (mode != M_CERT_LATE && mode != M_CERT_FOREVER)
		return true;
	peer_lock();
	told = peer_of(c->addr)->told;
	peer_unlock();
	return told;
}

static void serve(int fd, const struct sockaddr_in *from, void *arg)
{
	SSL_CTX *ctx = arg;
	static struct conn c;
	static struct request rq;
	char loc[768];
	bool first = true;

	c.h.fd = fd;
	c.h.len = 0;
	c.addr = from->sin_addr.s_addr;
	inet_ntop(AF_INET, &from->sin_addr, c.ip, sizeof(c.ip));
	peer_lock();
	c.nth = ++peer_of(c.addr)->conns;
	peer_unlock();

	c.h.ssl = SSL_new(ctx);
	if (!c.h.ssl)
		return;
	SSL_set_fd(c.h.ssl, fd);
	if (wants_cert(&c))
		SSL_set_verify(c.h.ssl, SSL_VERIFY_PEER, accept_any_cert);
	if (SSL_accept(c.h.ssl) != 1)
		return;
	X509 *peer_cert = SSL_get1_peer_certificate(c.h.ssl);

	c.cert = peer_cert != NULL;
	X509_free(peer_cert);
	say(&c, "TLS up, %s, %s", SSL_get_verify_mode(c.h.ssl) ? "certificate asked for" : "not asked for a certificate",
	    c.cert ? "one presented" : "none presented");

	while (read_request(&c, &rq)) {
		bool more = true;

		if (first && mode >= M_CHUNK_OVERFLOW && strcmp(rq.method, "CONNECT")) {
			bad_chunks(&c);
			linger_until_closed(&c); /* no close_notify: the phone must end it */
			return;
		}
		if (strcmp(rq.method, "CONNECT") && redirect_for(&rq, loc, sizeof(loc))) {
			send_redirect(&c, loc);
			break; /* HTTP/1.0 with Connection: Close */
		}
		first = false;
		if (!strcmp(rq.method, "CONNECT")) {
			if (!answer_connect(&c, &rq)) {
				if (mode == M_CONNECT_RETRY || mode == M_CONNECT_DROP) {
					close(fd); /* no status line, no close_notify */
					return;
				}
				break;
			}
			serve_tunnel(&c);
			SSL_shutdown(c.h.ssl);
			return;
		}
		say(&c, "%s %s", rq.method, rq.path);
		if (mode == M_WRONG_GROUP_URL && !strncmp(rq.path, "/+CSCOE+/", 9)) {
			portal_page(&c);
			continue;
		}
		if (!strcmp(rq.method, "GET"))
			more = svc_get(&c, &rq);
		else if (strstr(rq.body, "<config-auth"))
			more = xml_post(&c, &rq);
		else
			more = svc_post(&c, &rq);
		if (!more)
			break;
		if (mode == M_CLOSE_AFTER) {
			say(&c, "closing after the reply (Connection: close)");
			SSL_shutdown(c.h.ssl);
			return;
		}
		if (mode == M_CLOSE_SILENT) {
			say(&c, "closing after the reply (it said Keep-Alive)");
			SSL_shutdown(c.h.ssl);
			return;
		}
	}
	SSL_shutdown(c.h.ssl);
	linger_until_closed(&c);
}

/* ==== Server ==== */

static SSL_CTX *make_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = headend_ctx("asaheadend", cert, key);

	/* an ASA of the logs speaks up to TLS 1.2 */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"asaheadend", 10);
	return ctx;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: asaheadend --listen ADDR:PORT --cert PEM --key PEM --mode MODE\n"
		"                  [--group-url PATH] [--redirect-to URL] [--reason TEXT]\n"
		"                  [--idle S] [--rekey S] [--max-conns N]\nmodes:\n");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, "  %-16s %s\n", modes[i].name, modes[i].help);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_spec = NULL, *cert = NULL, *key = NULL, *mode_name = NULL;
	long max_conns = 0;

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
		else if (!strcmp(argv[i], "--group-url"))
			group_url = v;
		else if (!strcmp(argv[i], "--redirect-to"))
			redirect_to = v;
		else if (!strcmp(argv[i], "--reason"))
			reason_text = v;
		else if (!strcmp(argv[i], "--idle"))
			idle_s = (unsigned)atoi(v);
		else if (!strcmp(argv[i], "--rekey"))
			rekey_s = (unsigned)atoi(v);
		else if (!strcmp(argv[i], "--max-conns"))
			max_conns = atol(v);
		else
			usage();
		i++;
	}
	if (!listen_spec || !cert || !key || !mode_name || idle_s == 0 || rekey_s == 0)
		usage();
	size_t m;
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (!strcmp(modes[m].name, mode_name))
			break;
	if (m == sizeof(modes) / sizeof(modes[0]))
		usage();
	mode = modes[m].mode;

	peers = mmap(NULL, sizeof(*peers), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (peers == MAP_FAILED)
		die("mmap");
	RAND_bytes(cookie_key, sizeof(cookie_key));
	setvbuf(stderr, NULL, _IOLBF, 0);

	SSL_CTX *ctx = make_ctx(cert, key);

	headend_run(headend_listen("asaheadend", listen_spec), max_conns, CHILD_LIFETIME_S, serve,
		    ctx);
	SSL_CTX_free(ctx);
	return 0;
}
