/*
 * tests/tools/headend.c - what the scripted headends share (headend.h).
 */
#include "tests/tools/headend.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/err.h>

/* ==== A connection ==== */

int hconn_fill(struct hconn *c)
{
	if (c->len == sizeof(c->buf))
		return 0;
	int r = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));

	if (r <= 0)
		return 0;
	c->len += (size_t)r;
	return r;
}

void hconn_consume(struct hconn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

bool hconn_write(struct hconn *c, const void *buf, size_t len)
{
	return SSL_write(c->ssl, buf, (int)len) == (int)len;
}

bool hconn_puts(struct hconn *c, const char *s)
{
	return hconn_write(c, s, strlen(s));
}

void hconn_linger(struct hconn *c, unsigned linger_s)
{
	alarm(linger_s);
	while (hconn_fill(c))
		c->len = 0;
}

bool hconn_header(const struct hconn *c, size_t head_len, const char *name, char *out, size_t cap)
{
	const char *h = (const char *)c->buf, *end = h + head_len, *p;
	size_t nl = strlen(name);

	for (p = h; p < end; p++) {
		const char *line = p, *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			break;
		p = eol;
		if (line == h || (size_t)(eol - line) <= nl || strncasecmp(line, name, nl) ||
		    line[nl] != ':')
			continue;
		line += nl + 1;
		while (line < eol && (*line == ' ' || *line == '\t'))
			line++;
		size_t n = (size_t)(eol - line);

		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (n >= cap)
			n = cap - 1;
		memcpy(out, line, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

bool hconn_request(struct hconn *c, size_t *head, size_t *body)
{
	for (;;) {
		uint8_t *end = memmem(c->buf, c->len, "\r\n\r\n", 4);

		if (end) {
			char v[32];

			*head = (size_t)(end - c->buf) + 4;
			*body = 0;
			if (hconn_header(c, *head, "Content-Length", v, sizeof(v)))
				*body = strtoul(v, NULL, 10);
			if (*head + *body > sizeof(c->buf))
				return false;
			while (c->len < *head + *body)
				if (!hconn_fill(c))
					return false;
			return true;
		}
		if (!hconn_fill(c))
			return false;
	}
}

void hconn_cstp_hdr(uint8_t h[8], uint8_t type, uint16_t len)
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

/* ==== The server ==== */

static void die(const char *who, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, strerror(errno));
	exit(1);
}

static void die_ssl(const char *who, const char *what)
{
	fprintf(stderr, "%s: %s\n", who, what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

SSL_CTX *headend_ctx(const char *who, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		die_ssl(who, "SSL_CTX_new");
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		die_ssl(who, "cannot load the certificate");
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		die_ssl(who, "cannot load the key");
	/* phones: TLS 1.0 and 1.2 with old suites; allow everything OpenSSL will */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

int headend_listen(const char *who, const char *spec)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(stderr, "%s: --listen wants ADDR:PORT\n", who);
		exit(2);
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		fprintf(stderr, "%s: bad --listen %s\n", who, spec);
		exit(2);
	}
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(who, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(who, "bind");
	if (listen(fd, 1024))
		die(who, "listen");
	return fd;
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

void headend_run(int lfd, long max_conns, unsigned lifetime_s,
		 void (*serve)(int fd, const struct sockaddr_in *peer, void *arg), void *arg)
{
	struct sigaction sa = {0};
	pid_t parent = getpid();
	long conns = 0;

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_flags = SA_NOCLDWAIT; /* children reap themselves */
	sigaction(SIGCHLD, &sa, NULL);

	while (!stop && (!max_conns || conns < max_conns)) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		int fd = accept4(lfd, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		conns++;
		pid_t pid = fork();
		if (pid < 0) {
			close(fd);
			continue;
		}
		if (pid == 0) {
			struct sigaction dfl = {.sa_handler = SIG_DFL};

			sigaction(SIGTERM, &dfl, NULL);
			sigaction(SIGINT, &dfl, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			close(lfd);
			alarm(lifetime_s);
			serve(fd, &from, arg);
			_exit(0);
		}
		close(fd);
	}
	close(lfd);
	if (!stop) /* --max-conns: let the last connections finish */
		while (!stop && (wait(NULL) > 0 || errno == EINTR))
			;
}
