/*
 * engine/tls/membio.h - the BIO between OpenSSL and the ring.
 *
 * OpenSSL never touches a socket: a membio is the BIO an SSL reads from and
 * writes to. Received bytes are lent to it (membio_feed) for the time of one
 * SSL call; what SSL writes accumulates in an output buffer that the channel
 * takes whole (stream) or one datagram at a time (datagram mode, for DTLS,
 * which needs record boundaries kept: OpenSSL 3.0 has no BIO_s_dgram_mem).
 */
#ifndef ENGINE_MEMBIO_H
#define ENGINE_MEMBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/bio.h>

#define MEMBIO_DGRAM_MTU 1500 /* what DTLS is told the path MTU is */
#define MEMBIO_DGRAM_QUEUE 64 /* datagrams waiting to be sent; more are dropped */

/* A new BIO; dgram selects datagram semantics. NULL on ENOMEM. Freed by BIO_free / SSL_free. */
BIO *membio_new(bool dgram);
/*
 * Lend len bytes (a datagram in datagram mode) for SSL to read. The bytes
 * must stay valid until the next membio_feed or until SSL has consumed them;
 * in practice: feed, then call SSL until it wants more.
 */
void membio_feed(BIO *b, const uint8_t *data, size_t len);
/* Bytes lent and not yet read by SSL. */
size_t membio_unread(BIO *b);
/* Bytes (stream) or datagrams (dgram) waiting to be sent. */
size_t membio_pending(BIO *b);
/*
 * Stream mode: swap the output buffer with *buf (a malloc'ed buffer of *cap
 * bytes, or NULL), handing over *len bytes to send. The channel owns the
 * buffer it got until the next swap. Returns *len.
 */
size_t membio_take(BIO *b, uint8_t **buf, size_t *cap, size_t *len);
/* Datagram mode: copy out the oldest datagram (at most cap bytes); 0 if none. */
size_t membio_take_dgram(BIO *b, uint8_t *out, size_t cap);
/*
 * Datagram mode, a datagram written in place (a DTLS record sealed where it
 * will be sent from): room for one of up to len bytes at *at, valid until
 * the next call on b; membio_dgram_commit(b, n) then queues its first n
 * bytes (n <= len). 0; 1 when MEMBIO_DGRAM_QUEUE datagrams already wait
 * (nothing to write: the datagram is lost, and counted, as by a BIO_write);
 * -ENOMEM.
 */
int membio_dgram_reserve(BIO *b, size_t len, uint8_t **at);
void membio_dgram_commit(BIO *b, size_t n);
/* Datagram mode: datagrams dropped because MEMBIO_DGRAM_QUEUE were already waiting. */
uint64_t membio_dropped(BIO *b);
/* Release the output buffer if empty (an idle phone keeps no memory). */
void membio_trim(BIO *b);

#endif
