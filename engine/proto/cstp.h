/*
 * engine/proto/cstp.h - CSTP framing on the TLS stream, and the DTLS equivalent.
 *
 * On TLS every tunnel packet carries an 8-byte header: "STF" 0x01, a 16-bit
 * big-endian payload length, the packet type and a zero byte. Exactly one
 * CSTP packet goes in each TLS record (ocserv drops the session otherwise),
 * so a frame never exceeds one record: CSTP_MAX_PAYLOAD. Over DTLS the
 * plaintext of an application record is just type (1 byte) || payload, with
 * the same type numbers and no length.
 *
 * Pure functions over caller buffers: no allocation, no globals.
 */
#ifndef ENGINE_CSTP_H
#define ENGINE_CSTP_H

#include <stddef.h>
#include <stdint.h>

#define CSTP_HEADER_LEN	       8
#define CSTP_MAX_PAYLOAD       (16384 - CSTP_HEADER_LEN) /* bytes, one TLS record */
#define CSTP_DISCONNECT_LOGOUT 0xb0 /* first DISCONNECT payload byte: log out */

enum cstp_type {
	CSTP_DATA = 0,	     /* an IP packet */
	CSTP_DPD_REQ = 3,    /* dead peer detection request; must be answered */
	CSTP_DPD_RESP = 4,   /* the answer; ocserv echoes the request payload */
	CSTP_DISCONNECT = 5, /* empty: temporary; 0xb0 + text: logout */
	CSTP_KEEPALIVE = 7,  /* client filler, not answered */
	CSTP_COMPRESSED = 8, /* compressed IP packet (never negotiated by us) */
	CSTP_TERMINATE = 9,  /* server kick (ocserv sends DISCONNECT instead) */
};

struct cstp_frame {
	uint8_t type;		/* enum cstp_type, or an unknown value */
	uint16_t len;		/* payload bytes, <= CSTP_MAX_PAYLOAD */
	const uint8_t *payload; /* borrowed from the parsed buffer */
};

/*
 * Write the 8-byte CSTP header for a payload of payload_len bytes into hdr.
 * The caller keeps payload_len <= CSTP_MAX_PAYLOAD and sends header and
 * payload in one TLS record.
 */
void cstp_header(uint8_t hdr[CSTP_HEADER_LEN], uint8_t type, uint16_t payload_len);

/*
 * Decode the frame at the start of buf[0..len), which holds the bytes
 * received so far on the TLS stream.
 *
 * Returns the bytes the frame takes (header + payload, > 0) and fills *out,
 * 0 when more bytes are needed, -EPROTO for a bad magic or a non-zero
 * reserved byte (reported as soon as the bad byte has arrived), -EMSGSIZE
 * for a length above CSTP_MAX_PAYLOAD. Unknown types are returned as they
 * are; the caller decides.
 */
int cstp_parse(const uint8_t *buf, size_t len, struct cstp_frame *out);

/* "DATA", "DPD-REQ", ...; "UNKNOWN" for other values. Never NULL. */
const char *cstp_type_name(uint8_t type);

/*
 * Split the plaintext of one DTLS application record, type || payload, into
 * *out. Returns 0, or -EBADMSG for an empty record and -EMSGSIZE for a
 * payload above CSTP_MAX_PAYLOAD.
 */
int dtls_frame_parse(const uint8_t *rec, size_t len, struct cstp_frame *out);

#endif
