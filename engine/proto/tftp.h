/*
 * engine/proto/tftp.h - TFTP (RFC 1350) as a phone fetches its config file.
 *
 * A phone reads one file: it sends a read request (RRQ, octet mode) to
 * port 69, the server answers from a port of its own (the transfer's TID)
 * with DATA blocks of 512 bytes numbered from 1, each acknowledged before
 * the next; a block shorter than 512 bytes is the last. Builders write into
 * a caller buffer and the parser points into the caller's; struct tftp_rx
 * assembles the file, up to a size bound, in a buffer it owns. No sockets,
 * no clocks: retransmission is the caller's.
 */
#ifndef ENGINE_TFTP_H
#define ENGINE_TFTP_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_PORT 69
#define TFTP_BLOCK 512 /* bytes of data in every block but the last */

enum tftp_op { TFTP_RRQ = 1, TFTP_WRQ, TFTP_DATA, TFTP_ACK, TFTP_ERROR, TFTP_OACK };

/* A received TFTP packet. Pointers are borrowed from the packet. */
struct tftp_msg {
	uint16_t op;         /* enum tftp_op */
	uint16_t block;      /* DATA, ACK: block number */
	const uint8_t *data; /* DATA: the block's bytes */
	size_t len;          /* DATA: 0..TFTP_BLOCK */
	uint16_t error;      /* ERROR: code (1 file not found, 2 access violation, ...) */
	const char *errmsg;  /* ERROR: the server's message, NUL-terminated in the packet */
};

/* RRQ for file in mode ("octet"). Length, -EINVAL for an empty name, -ENOSPC. */
int tftp_rrq(uint8_t *buf, size_t cap, const char *file, const char *mode);
/* ACK of block. 4, or -ENOSPC. */
int tftp_ack(uint8_t *buf, size_t cap, uint16_t block);
/*
 * Check a packet of len bytes: a known opcode, a DATA block of at most
 * TFTP_BLOCK bytes, an ERROR message ending in NUL. 0 with m filled, or
 * -EBADMSG. Requests (RRQ, WRQ) and OACK parse with no fields filled.
 */
int tftp_parse(const uint8_t *buf, size_t len, struct tftp_msg *m);

/* The file being received. */
struct tftp_rx {
	uint8_t *buf;    /* owned: the bytes so far; NULL before the first */
	size_t len, cap; /* bytes held, bytes allocated */
	size_t max;      /* the file may not be longer, bytes */
	uint16_t block;  /* the last block taken, 0 before the first */
	uint16_t blocks_dup; /* blocks received again (a lost ACK, a slow server) */
};

enum tftp_rx_step {
	TFTP_RX_ACK,     /* new block taken: acknowledge rx.block */
	TFTP_RX_REACK,   /* the previous block again: acknowledge it again */
	TFTP_RX_DONE,    /* the last block taken: acknowledge it, the file is whole */
	TFTP_RX_IGNORE,  /* not the block expected: drop it */
	TFTP_RX_TOO_BIG, /* the file would pass max: give up */
	TFTP_RX_NOMEM,
};

/* Start receiving a file of at most max bytes (max <= 65535 blocks). */
void tftp_rx_init(struct tftp_rx *r, size_t max);
/* A DATA block arrived: what to do about it. */
enum tftp_rx_step tftp_rx_data(struct tftp_rx *r, uint16_t block, const uint8_t *data, size_t len);
void tftp_rx_free(struct tftp_rx *r);

#endif
