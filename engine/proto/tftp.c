/*
 * engine/proto/tftp.c - TFTP packets and the receiving side of a transfer (tftp.h).
 */
#include "engine/proto/tftp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int tftp_rrq(uint8_t *buf, size_t cap, const char *file, const char *mode)
{
	size_t fl = strlen(file), ml = strlen(mode), n = 2 + fl + 1 + ml + 1;

	if (!fl || !ml)
		return -EINVAL;
	if (n > cap || n > 0xffff)
		return -ENOSPC;
	put16(buf, TFTP_RRQ);
	memcpy(buf + 2, file, fl + 1);
	memcpy(buf + 2 + fl + 1, mode, ml + 1);
	return (int)n;
}

int tftp_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < 4)
		return -ENOSPC;
	put16(buf, TFTP_ACK);
	put16(buf + 2, block);
	return 4;
}

int tftp_parse(const uint8_t *buf, size_t len, struct tftp_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 2)
		return -EBADMSG;
	m->op = get16(buf);
	switch (m->op) {
	case TFTP_DATA:
		if (len < 4 || len - 4 > TFTP_BLOCK)
			return -EBADMSG;
		m->block = get16(buf + 2);
		m->data = buf + 4;
		m->len = len - 4;
		return 0;
	case TFTP_ACK:
		if (len != 4)
			return -EBADMSG;
		m->block = get16(buf + 2);
		return 0;
	case TFTP_ERROR:
		if (len < 5 || buf[len - 1] != 0)
			return -EBADMSG;
		m->error = get16(buf + 2);
		m->errmsg = (const char *)buf + 4;
		return 0;
	case TFTP_RRQ:
	case TFTP_WRQ:
	case TFTP_OACK:
		return 0;
	default:
		return -EBADMSG;
	}
}

void tftp_rx_init(struct tftp_rx *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void tftp_rx_free(struct tftp_rx *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

enum tftp_rx_step tftp_rx_data(struct tftp_rx *r, uint16_t block, const uint8_t *data, size_t len)
{
	if (block == r->block && block) {
		r->blocks_dup++;
		return TFTP_RX_REACK;
	}
	if (block != (uint16_t)(r->block + 1) || len > TFTP_BLOCK || r->block == 0xffff)
		return TFTP_RX_IGNORE;
	if (r->len + len > r->max)
		return TFTP_RX_TOO_BIG;
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		uint8_t *b;

		while (cap < r->len + len)
			cap *= 2;
		if (cap > r->max)
			cap = r->max;
		b = realloc(r->buf, cap);
		if (!b)
			return TFTP_RX_NOMEM;
		r->buf = b;
		r->cap = cap;
	}
	if (len)
		memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->block = block;
	return len < TFTP_BLOCK ? TFTP_RX_DONE : TFTP_RX_ACK;
}
