/*
 * engine/tls/membio.c - a BIO that lends input and collects output (membio.h).
 *
 * Input is borrowed: the bytes of one receive completion are handed to the
 * BIO and read by SSL in place, with no copy. Output goes to one growable
 * buffer; in datagram mode each write is one datagram, stored behind a
 * two-byte length, so DTLS record boundaries survive. An output buffer of
 * BUFCACHE_SIZE comes from and goes back to the thread's bufcache: a phone
 * that sends a datagram now and then allocates nothing for it.
 */
#include "engine/tls/membio.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "engine/bufcache.h"

struct membio {
	const uint8_t *in; /* borrowed: the current receive buffer */
	size_t in_len;
	uint8_t *out; /* owned: pending output */
	size_t out_len, out_cap;
	size_t n_dgrams; /* datagram mode: datagrams in out */
	uint64_t dropped; /* datagram mode: datagrams lost to a full queue */
	bool dgram;
};

static BIO_METHOD *method_stream, *method_dgram;

/* An output buffer of cap bytes, gone: back to the cache if it came from there. */
static void out_release(uint8_t *out, size_t cap)
{
	if (cap == BUFCACHE_SIZE)
		bufcache_put(out);
	else
		free(out);
}

static int mb_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int mb_destroy(BIO *b)
{
	struct membio *m = BIO_get_data(b);

	if (m) {
		out_release(m->out, m->out_cap);
		free(m);
		BIO_set_data(b, NULL);
	}
	return 1;
}

static int mb_read(BIO *b, char *buf, int len)
{
	struct membio *m = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (!m->in_len) {
		BIO_set_retry_read(b);
		return -1;
	}
	size_t n = (size_t)len < m->in_len ? (size_t)len : m->in_len;
	memcpy(buf, m->in, n);
	if (m->dgram) {
		/* a datagram is read whole or its tail is lost, as on a socket */
		m->in_len = 0;
		m->in = NULL;
	} else {
		m->in += n;
		m->in_len -= n;
	}
	return (int)n;
}

static int reserve(struct membio *m, size_t more)
{
	if (m->out_len + more <= m->out_cap)
		return 0;
	if (!m->out && more <= BUFCACHE_SIZE) {
		m->out = bufcache_get();
		m->out_cap = m->out ? BUFCACHE_SIZE : 0;
		return m->out ? 0 : -1;
	}
	size_t cap = m->out_cap ? m->out_cap : BUFCACHE_SIZE;
	while (cap < m->out_len + more)
		cap *= 2;
	uint8_t *p = realloc(m->out, cap);
	if (!p)
		return -1;
	m->out = p;
	m->out_cap = cap;
	return 0;
}

static int mb_write(BIO *b, const char *buf, int len)
{
	struct membio *m = BIO_get_data(b);
	size_t hdr = m->dgram ? 2 : 0;

	BIO_clear_retry_flags(b);
	if (len < 0 || (m->dgram && len > 0xffff))
		return -1;
	if (m->dgram && m->n_dgrams >= MEMBIO_DGRAM_QUEUE) {
		/* the phone's send queue is full: the datagram is lost, as on a real link */
		m->dropped++;
		return len;
	}
	if (reserve(m, hdr + (size_t)len))
		return -1;
	if (m->dgram) {
		m->out[m->out_len] = (uint8_t)(len >> 8);
		m->out[m->out_len + 1] = (uint8_t)len;
		m->n_dgrams++;
	}
	memcpy(m->out + m->out_len + hdr, buf, (size_t)len);
	m->out_len += hdr + (size_t)len;
	return len;
}

static long mb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct membio *m = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)m->in_len;
	case BIO_CTRL_WPENDING:
		return (long)m->out_len;
	case BIO_CTRL_EOF:
		return 0;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return MEMBIO_DGRAM_MTU - 28; /* IPv4 + UDP headers */
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 28;
	case BIO_CTRL_DGRAM_SET_MTU:
		return num;
	case BIO_CTRL_DGRAM_MTU_EXCEEDED:
	case BIO_CTRL_DGRAM_SET_CONNECTED:
	case BIO_CTRL_DGRAM_SET_PEER:
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
		return 0;
	case BIO_CTRL_DGRAM_GET_PEER:
		return 0;
	default:
		return 0;
	}
}

static BIO_METHOD *make_method(bool dgram)
{
	BIO_METHOD *bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				      dgram ? "phoneswarm dgram" : "phoneswarm stream");
	if (!bm)
		return NULL;
	BIO_meth_set_create(bm, mb_create);
	BIO_meth_set_destroy(bm, mb_destroy);
	BIO_meth_set_read(bm, mb_read);
	BIO_meth_set_write(bm, mb_write);
	BIO_meth_set_ctrl(bm, mb_ctrl);
	return bm;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_methods(void)
{
	method_stream = make_method(false);
	method_dgram = make_method(true);
}

BIO *membio_new(bool dgram)
{
	pthread_once(&once, init_methods);
	BIO_METHOD *bm = dgram ? method_dgram : method_stream;
	if (!bm)
		return NULL;
	struct membio *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->dgram = dgram;
	BIO *b = BIO_new(bm);
	if (!b) {
		free(m);
		return NULL;
	}
	BIO_set_data(b, m);
	return b;
}

void membio_feed(BIO *b, const uint8_t *data, size_t len)
{
	struct membio *m = BIO_get_data(b);

	m->in = data;
	m->in_len = len;
}

size_t membio_unread(BIO *b)
{
	struct membio *m = BIO_get_data(b);

	return m->in_len;
}

size_t membio_pending(BIO *b)
{
	struct membio *m = BIO_get_data(b);

	return m->dgram ? m->n_dgrams : m->out_len;
}

size_t membio_take(BIO *b, uint8_t **buf, size_t *cap, size_t *len)
{
	struct membio *m = BIO_get_data(b);
	uint8_t *old = *buf;
	size_t old_cap = *cap;

	*buf = m->out;
	*cap = m->out_cap;
	*len = m->out_len;
	m->out = old;
	m->out_cap = old_cap;
	m->out_len = 0;
	return *len;
}

size_t membio_take_dgram(BIO *b, uint8_t *out, size_t cap)
{
	struct membio *m = BIO_get_data(b);

	if (!m->n_dgrams)
		return 0;
	size_t n = ((size_t)m->out[0] << 8) | m->out[1];
	size_t copy = n < cap ? n : cap;
	memcpy(out, m->out + 2, copy);
	memmove(m->out, m->out + 2 + n, m->out_len - 2 - n);
	m->out_len -= 2 + n;
	m->n_dgrams--;
	return copy;
}

int membio_dgram_reserve(BIO *b, size_t len, uint8_t **at)
{
	struct membio *m = BIO_get_data(b);

	if (m->n_dgrams >= MEMBIO_DGRAM_QUEUE) {
		m->dropped++; /* as mb_write: lost to the full queue */
		return 1;
	}
	if (len > 0xffff || reserve(m, 2 + len))
		return -ENOMEM;
	*at = m->out + m->out_len + 2;
	return 0;
}

void membio_dgram_commit(BIO *b, size_t n)
{
	struct membio *m = BIO_get_data(b);

	m->out[m->out_len] = (uint8_t)(n >> 8);
	m->out[m->out_len + 1] = (uint8_t)n;
	m->out_len += 2 + n;
	m->n_dgrams++;
}

uint64_t membio_dropped(BIO *b)
{
	struct membio *m = BIO_get_data(b);

	return m->dropped;
}

void membio_trim(BIO *b)
{
	struct membio *m = BIO_get_data(b);

	if (!m->out_len && m->out) {
		out_release(m->out, m->out_cap);
		m->out = NULL;
		m->out_cap = 0;
	}
}
