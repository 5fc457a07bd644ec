/*
 * tests/fuzz/fuzz_tftp.c - libFuzzer target for the TFTP parser and the
 * file assembly. The input is a run of packets, each a length byte then
 * that many bytes, as the server's side of a transfer might send them: a
 * parse that succeeds must point inside its packet, and the file being
 * assembled never passes its bound nor holds more than it was given.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/proto/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_rx r;
	size_t given = 0;

	tftp_rx_init(&r, 3000);
	while (size) {
		size_t n = data[0] * 3u;
		struct tftp_msg m;

		data++, size--;
		if (n > size)
			n = size;
		if (tftp_parse(data, n, &m) == 0) {
			if (m.op == TFTP_DATA && (m.data < data + 4 || m.data + m.len > data + n))
				__builtin_trap();
			if (m.op == TFTP_ERROR && strlen(m.errmsg) > n - 5)
				__builtin_trap();
			if (m.op == TFTP_DATA) {
				enum tftp_rx_step s = tftp_rx_data(&r, m.block, m.data, m.len);

				if (s == TFTP_RX_ACK || s == TFTP_RX_DONE)
					given += m.len;
			}
		}
		if (r.len > r.max || r.len != given || r.cap > r.max)
			__builtin_trap();
		data += n, size -= n;
	}
	tftp_rx_free(&r);
	return 0;
}
