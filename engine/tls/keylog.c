/*
 * engine/tls/keylog.c - the NSS key log (keylog.h).
 */
#include "engine/tls/keylog.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/tls/tls.h"

static int log_fd = -1;		    /* set once, before the workers start */
static keylog_wanted_fn log_wanted; /* likewise */

void keylog_start(int fd, keylog_wanted_fn wanted)
{
	log_fd = fd;
	log_wanted = wanted;
}

/* One line and its newline, in one write (O_APPEND: whole lines, whatever the threads). */
static void put_line(const char *line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(buf) && write(log_fd, buf, (size_t)n) < 0)
		return; /* a key log that cannot be written costs the capture, not the run */
}

static void on_keylog(const SSL *ssl, const char *line)
{
	if (log_fd >= 0 && log_wanted && log_wanted(tls_app(ssl)))
		put_line(line);
}

void keylog_attach(SSL_CTX *ctx)
{
	if (log_fd >= 0 && ctx)
		SSL_CTX_set_keylog_callback(ctx, on_keylog);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* The CLIENT_RANDOM line of (random, master), nm bytes of master. */
static void client_random_line(const uint8_t random[SSL3_RANDOM_SIZE], const uint8_t *master,
			       size_t nm)
{
	char line[32 + 2 * SSL3_RANDOM_SIZE + 2 * SSL_MAX_MASTER_KEY_LENGTH];

	strcpy(line, "CLIENT_RANDOM ");
	hex(line + strlen(line), random, SSL3_RANDOM_SIZE);
	strcat(line, " ");
	hex(line + strlen(line), master, nm);
	put_line(line);
}

void keylog_session(const SSL *ssl)
{
	uint8_t random[SSL3_RANDOM_SIZE], master[SSL_MAX_MASTER_KEY_LENGTH];
	SSL_SESSION *s = SSL_get_session(ssl);
	size_t nr, nm;

	if (log_fd < 0 || !log_wanted || !s || !log_wanted(tls_app(ssl)))
		return;
	nr = SSL_get_client_random(ssl, random, sizeof(random));
	nm = SSL_SESSION_get_master_key(s, master, sizeof(master));
	if (nr != sizeof(random) || !nm)
		return;
	client_random_line(random, master, nm);
}

void keylog_random(void *app, const uint8_t random[32], const uint8_t master[48])
{
	if (log_fd >= 0 && log_wanted && log_wanted(app))
		client_random_line(random, master, 48);
}
