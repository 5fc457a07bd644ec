/*
 * engine/tls/keylog.h - the NSS key log of chosen sessions, so that a
 * capture of them can be decrypted (Wireshark, tshark -o tls.keylog_file).
 *
 * One key log per process: a descriptor opened by the caller, and a
 * predicate saying, from a session's application pointer (tls_open()'s
 * app), whether its secrets are to be written. OpenSSL gives the secrets
 * of every handshake it makes (TLS 1.2 and DTLS: CLIENT_RANDOM; TLS 1.3:
 * its traffic secrets); a resumed legacy DTLS 0.9 session makes no master
 * secret of its own (it is the one the phone sent in the CONNECT), so its
 * line is written with keylog_session(), or keylog_random() when the
 * handshake was engine/tls/dtlshs.c's (no SSL). Each line goes out in one
 * write() to a descriptor opened with O_APPEND: worker threads never
 * interleave them.
 */
#ifndef ENGINE_TLS_KEYLOG_H
#define ENGINE_TLS_KEYLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>

/* Whether the session of app (tls_open()'s app pointer) is to be logged. */
typedef bool (*keylog_wanted_fn)(void *app);

/* Log to fd (O_APPEND; the caller's, kept open for the process's life) what wanted picks. */
void keylog_start(int fd, keylog_wanted_fn wanted);

/* Give ctx's sessions to the key log (nothing when keylog_start() was not called). */
void keylog_attach(SSL_CTX *ctx);

/*
 * The CLIENT_RANDOM line of ssl's session as it stands (its client random
 * and its session's master secret), for a resumed session whose master
 * secret OpenSSL did not make. Nothing when not wanted, or no key log.
 */
void keylog_session(const SSL *ssl);

/*
 * The same line for a session without an SSL (engine/tls/dtlshs.c's
 * handshake): its client random and master secret; app as keylog_wanted_fn
 * takes it.
 */
void keylog_random(void *app, const uint8_t random[32], const uint8_t master[48]);

#endif
