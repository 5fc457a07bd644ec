/*
 * engine/proto/inner.c - IPv4/ICMP/UDP packets inside the tunnel (inner.h).
 */
#include "engine/proto/inner.h"

#include <errno.h>
#include <string.h>

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t inner_checksum(const void *data, size_t len, uint32_t sum)
{
	return fold(sum16(data, len, sum));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void ipv4_header(uint8_t *h, size_t total, uint8_t proto, struct in_addr src,
			struct in_addr dst)
{
	memset(h, 0, INNER_IPV4_HDR);
	h[0] = 0x45;
	put16(h + 2, (uint16_t)total);
	h[6] = 0x40; /* don't fragment */
	h[8] = 64;   /* TTL */
	h[9] = proto;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	put16(h + 10, inner_checksum(h, INNER_IPV4_HDR, 0));
}

int inner_icmp_echo(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
		    uint16_t id, uint16_t seq, size_t payload_len)
{
	size_t total = INNER_IPV4_HDR + INNER_ICMP_HDR + payload_len;
	uint8_t *icmp = buf + INNER_IPV4_HDR;

	if (total > cap || total > 0xffff)
		return -ENOSPC;
	ipv4_header(buf, total, IPPROTO_ICMP, src, dst);
	icmp[0] = 8; /* echo request */
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (size_t i = 0; i < payload_len; i++)
		icmp[INNER_ICMP_HDR + i] = (uint8_t)i;
	put16(icmp + 2, inner_checksum(icmp, INNER_ICMP_HDR + payload_len, 0));
	return (int)total;
}

/* The UDP pseudo-header's contribution to the checksum. */
static uint32_t pseudo(const uint8_t *iph, uint16_t udp_len)
{
	uint32_t sum = sum16(iph + 12, 8, 0);

	return sum + IPPROTO_UDP + udp_len;
}

int inner_udp(uint8_t *buf, size_t cap, struct in_addr src, uint16_t sport, struct in_addr dst,
	      uint16_t dport, const void *payload, size_t payload_len)
{
	size_t total = INNER_IPV4_HDR + INNER_UDP_HDR + payload_len;
	uint8_t *udp = buf + INNER_IPV4_HDR;
	uint16_t ulen = (uint16_t)(INNER_UDP_HDR + payload_len);

	if (total > cap || total > 0xffff)
		return -ENOSPC;
	ipv4_header(buf, total, IPPROTO_UDP, src, dst);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	memcpy(udp + INNER_UDP_HDR, payload, payload_len);
	uint16_t c = inner_checksum(udp, ulen, pseudo(buf, ulen));
	put16(udp + 6, c ? c : 0xffff);
	return (int)total;
}

int inner_parse(const uint8_t *pkt, size_t len, struct inner_info *info)
{
	size_t ihl, total;
	const uint8_t *t;

	if (len < INNER_IPV4_HDR || (pkt[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	total = get16(pkt + 2);
	if (ihl < INNER_IPV4_HDR || total < ihl || total > len)
		return -EBADMSG;
	if (inner_checksum(pkt, ihl, 0) != 0)
		return -EBADMSG;
	memset(info, 0, sizeof(*info));
	memcpy(&info->src, pkt + 12, 4);
	memcpy(&info->dst, pkt + 16, 4);
	info->proto = pkt[9];
	t = pkt + ihl;
	len = total - ihl;
	switch (info->proto) {
	case IPPROTO_ICMP:
		if (len < INNER_ICMP_HDR || inner_checksum(t, len, 0) != 0)
			return -EBADMSG;
		info->icmp_type = t[0];
		info->icmp_id = get16(t + 4);
		info->icmp_seq = get16(t + 6);
		info->payload = t + INNER_ICMP_HDR;
		info->payload_len = len - INNER_ICMP_HDR;
		break;
	case IPPROTO_UDP:
		if (len < INNER_UDP_HDR || get16(t + 4) != len)
			return -EBADMSG;
		if (get16(t + 6) && inner_checksum(t, len, pseudo(pkt, (uint16_t)len)) != 0)
			return -EBADMSG;
		info->sport = get16(t);
		info->dport = get16(t + 2);
		info->payload = t + INNER_UDP_HDR;
		info->payload_len = len - INNER_UDP_HDR;
		break;
	default:
		info->payload = t;
		info->payload_len = len;
		break;
	}
	return 0;
}
