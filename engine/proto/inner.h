/*
 * engine/proto/inner.h - the IPv4 packets a phone sends inside its tunnel.
 *
 * Builders write a whole IPv4 packet (header checksum and ICMP/UDP checksum
 * right) into a caller buffer; the parser checks one received from the
 * headend. Pure functions, no sockets.
 */
#ifndef ENGINE_INNER_H
#define ENGINE_INNER_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define INNER_IPV4_HDR 20
#define INNER_ICMP_HDR 8
#define INNER_UDP_HDR 8

struct inner_info {
	struct in_addr src, dst;
	uint8_t proto;          /* IPPROTO_ICMP, IPPROTO_UDP, ... */
	const uint8_t *payload; /* borrowed: after the transport header */
	size_t payload_len;
	/* ICMP */
	uint8_t icmp_type;      /* 0 echo reply, 8 echo request */
	uint16_t icmp_id, icmp_seq;
	/* UDP */
	uint16_t sport, dport;
};

/* ICMP echo request of payload_len bytes (a counting pattern). Length, or -ENOSPC. */
int inner_icmp_echo(uint8_t *buf, size_t cap, struct in_addr src, struct in_addr dst,
		    uint16_t id, uint16_t seq, size_t payload_len);
/* UDP datagram carrying payload. Length, or -ENOSPC. */
int inner_udp(uint8_t *buf, size_t cap, struct in_addr src, uint16_t sport, struct in_addr dst,
	      uint16_t dport, const void *payload, size_t payload_len);
/*
 * Check an IPv4 packet: version, header length, total length, header
 * checksum, and the ICMP or UDP checksum. 0 with info filled, or -EBADMSG.
 */
int inner_parse(const uint8_t *pkt, size_t len, struct inner_info *info);
/* The Internet checksum of len bytes, starting from sum (host order partial sum). */
uint16_t inner_checksum(const void *data, size_t len, uint32_t sum);

#endif
