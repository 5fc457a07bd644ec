/*
 * engine/proto/cstp.c - CSTP framing on the TLS stream, and the DTLS equivalent.
 *
 * The decoder is incremental and strict: it looks at the bytes as they
 * arrive and refuses a stream as soon as a header byte is wrong, because a
 * desynchronised TLS stream never recovers.
 */
#include "engine/proto/cstp.h"

#include <errno.h>

static const uint8_t cstp_magic[4] = {'S', 'T', 'F', 0x01};

void cstp_header(uint8_t hdr[CSTP_HEADER_LEN], uint8_t type, uint16_t payload_len)
{
	hdr[0] = cstp_magic[0];
	hdr[1] = cstp_magic[1];
	hdr[2] = cstp_magic[2];
	hdr[3] = cstp_magic[3];
	hdr[4] = (uint8_t)(payload_len >> 8);
	hdr[5] = (uint8_t)payload_len;
	hdr[6] = type;
	hdr[7] = 0;
}

int cstp_parse(const uint8_t *buf, size_t len, struct cstp_frame *out)
{
	size_t plen;

	for (size_t i = 0; i < 4 && i < len; i++)
		if (buf[i] != cstp_magic[i])
			return -EPROTO;
	if (len < 6)
		return 0;
	plen = (size_t)buf[4] << 8 | buf[5];
	if (plen > CSTP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (len < CSTP_HEADER_LEN)
		return 0;
	if (buf[7] != 0)
		return -EPROTO;
	if (len < CSTP_HEADER_LEN + plen)
		return 0;
	out->type = buf[6];
	out->len = (uint16_t)plen;
	out->payload = buf + CSTP_HEADER_LEN;
	return (int)(CSTP_HEADER_LEN + plen);
}

const char *cstp_type_name(uint8_t type)
{
	switch (type) {
	case CSTP_DATA:
		return "DATA";
	case CSTP_DPD_REQ:
		return "DPD-REQ";
	case CSTP_DPD_RESP:
		return "DPD-RESP";
	case CSTP_DISCONNECT:
		return "DISCONNECT";
	case CSTP_KEEPALIVE:
		return "KEEPALIVE";
	case CSTP_COMPRESSED:
		return "COMPRESSED";
	case CSTP_TERMINATE:
		return "TERMINATE";
	}
	return "UNKNOWN";
}

int dtls_frame_parse(const uint8_t *rec, size_t len, struct cstp_frame *out)
{
	if (len == 0)
		return -EBADMSG;
	if (len - 1 > CSTP_MAX_PAYLOAD)
		return -EMSGSIZE;
	out->type = rec[0];
	out->len = (uint16_t)(len - 1);
	out->payload = rec + 1;
	return 0;
}
