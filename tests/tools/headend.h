/*
 * tests/tools/headend.h - what the scripted headends share: a TLS server
 * that forks a child per connection, and a connection's buffered reads.
 *
 * badheadend and asaheadend serve one connection at a time per process
 * with blocking I/O: simple to script, and a crash or a hang stays inside
 * one phone's connection. The parent accepts, each child dies with it
 * (PR_SET_PDEATHSIG) and after a lifetime cap. Errors at start-up end the
 * program with a message naming it (exit 1, or 2 for a bad --listen).
 */
#ifndef TESTS_TOOLS_HEADEND_H
#define TESTS_TOOLS_HEADEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#define HCONN_MAX 65536 /* bytes of one request, head and body */

struct hconn {
	SSL *ssl;
	int fd;
	uint8_t buf[HCONN_MAX]; /* bytes read and not yet consumed */
	size_t len;		/* bytes in buf */
};

/* Read more into c->buf; the byte count, 0 on EOF, error or a full buffer. */
int hconn_fill(struct hconn *c);
void hconn_consume(struct hconn *c, size_t n);
/* All of buf in one SSL_write (one record if it fits); false on error. */
bool hconn_write(struct hconn *c, const void *buf, size_t len);
bool hconn_puts(struct hconn *c, const char *s);
/* Wait until the client closes (or linger_s seconds), discarding what it sends. */
void hconn_linger(struct hconn *c, unsigned linger_s);
/*
 * Wait for a whole request at the start of c->buf: its head (up to the
 * blank line, whose last LF is made a NUL while head_value() reads it) and
 * a body of Content-Length bytes. *head and *body get their lengths; the
 * request stays in c->buf until consumed. false on EOF or a request that
 * does not fit.
 */
bool hconn_request(struct hconn *c, size_t *head, size_t *body);
/* The value of header name in head[0..head_len), into out[0..cap); false if absent. */
bool hconn_header(const struct hconn *c, size_t head_len, const char *name, char *out, size_t cap);
/* A CSTP header: "STF", 1, length, type, 0. */
void hconn_cstp_hdr(uint8_t h[8], uint8_t type, uint16_t len);

/*
 * A server context for cert and key (PEM files): TLS 1.0 and up with every
 * suite OpenSSL allows (the phones' old ones too), no session tickets.
 */
SSL_CTX *headend_ctx(const char *who, const char *cert, const char *key);
/* A listening TCP socket on "ADDR:PORT" (IPv4). */
int headend_listen(const char *who, const char *spec);
/*
 * Accept on lfd until SIGTERM or SIGINT (or max_conns connections, 0: no
 * limit, then wait for them), serving each in a forked child with
 * serve(fd, peer, arg); the child exits when serve returns.
 */
void headend_run(int lfd, long max_conns, unsigned lifetime_s,
		 void (*serve)(int fd, const struct sockaddr_in *peer, void *arg), void *arg);

#endif
