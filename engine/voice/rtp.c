/*
 * engine/voice/rtp.c - RTP header, probe payload and send schedule (rtp.h).
 */
#include "engine/voice/rtp.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

int rtp_build(uint8_t *buf, size_t cap, const struct rtp_hdr *h, const void *payload, size_t len)
{
	if (h->pt > 127)
		return -EINVAL;
	if (len > cap || cap - len < RTP_HDR_LEN || len > INT_MAX - RTP_HDR_LEN)
		return -ENOSPC;
	buf[0] = 2 << 6; /* V=2, P=0, X=0, CC=0 */
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	put16(buf + 2, h->seq);
	put32(buf + 4, h->ts);
	put32(buf + 8, h->ssrc);
	if (payload)
		memmove(buf + RTP_HDR_LEN, payload, len);
	else
		memset(buf + RTP_HDR_LEN, 0, len);
	return (int)(RTP_HDR_LEN + len);
}

/*
 * RFC 3550 5.1 and 5.3.1: after the fixed header come CC CSRCs of 4 bytes,
 * then if X an extension of 4 bytes plus 4 x its length field, then the
 * payload, then if P padding whose last byte counts it (itself included,
 * so at least 1).
 */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h, const uint8_t **payload,
	      size_t *plen)
{
	size_t off = RTP_HDR_LEN, end = len;

	if (len < RTP_HDR_LEN || buf[0] >> 6 != 2)
		return -EBADMSG;
	off += 4u * (buf[0] & 0x0f);
	if (off > len)
		return -EBADMSG;
	if (buf[0] & 0x10) {
		if (len - off < 4)
			return -EBADMSG;
		size_t ext = 4 + 4u * get16(buf + off + 2);
		if (len - off < ext)
			return -EBADMSG;
		off += ext;
	}
	if (buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return -EBADMSG;
		end -= pad;
	}
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	*payload = buf + off;
	*plen = end - off;
	return 0;
}

int rtp_probe_put(uint8_t *buf, size_t cap, const struct rtp_probe *p)
{
	if (cap < RTP_PROBE_LEN)
		return -ENOSPC;
	put32(buf, p->phone);
	put32(buf + 4, p->seq32);
	put64(buf + 8, p->sent_us);
	put64(buf + 16, p->refl_rx_us);
	put32(buf + 24, p->refl_count);
	put32(buf + 28, p->call);
	return RTP_PROBE_LEN;
}

int rtp_probe_get(const uint8_t *buf, size_t len, struct rtp_probe *p)
{
	if (len < RTP_PROBE_LEN)
		return -EBADMSG;
	p->phone = get32(buf);
	p->seq32 = get32(buf + 4);
	p->sent_us = get64(buf + 8);
	p->refl_rx_us = get64(buf + 16);
	p->refl_count = get32(buf + 24);
	p->call = get32(buf + 28);
	return 0;
}

uint64_t rtp_due_us(uint64_t start_us, uint64_t n, uint32_t ptime_us)
{
	return start_us + n * ptime_us;
}

uint64_t rtp_due_count(uint64_t start_us, uint32_t ptime_us, uint64_t now_us)
{
	if (now_us < start_us)
		return 0;
	if (ptime_us == 0)
		return UINT64_MAX;
	return (now_us - start_us) / ptime_us + 1;
}
