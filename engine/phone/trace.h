/*
 * engine/phone/trace.h - a phone's console log.
 *
 * For the phones asked for (--trace) or, with --trace-failed, for every
 * phone until it is known which failed, the engine keeps a transcript in the
 * manner of a Cisco phone's console log: wall-clock timestamps and the
 * VPNC/SECD lines of ../shared/docs/phone-behaviour.md (ciphers offered and
 * chosen, the leaf certificate hash and whether it is trusted, DTLS version
 * and cipher, login state changes, notify codes). A transcript is a bounded
 * buffer owned by its phone; when full, the oldest lines after its first
 * lines make room, so both the bring-up and the end are kept.
 */
#ifndef ENGINE_TRACE_H
#define ENGINE_TRACE_H

#include <stdint.h>
#include <stdio.h>

#define TRACE_MAX 16384u  /* bytes kept per phone */
#define TRACE_HEAD 4096u  /* bytes of the first lines never dropped */

struct trace {
	char *buf; /* owned; NULL until the first line */
	uint32_t len, cap;
};

/* Fix the wall clock at monotonic time now_us (clock_us()), for timestamps. */
void trace_set_epoch(uint64_t now_us);
/* Append one line, stamped with the wall-clock time of now_us. */
void trace_add(struct trace *t, uint64_t now_us, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write the transcript to f. 0 or -EIO. */
int trace_write(const struct trace *t, FILE *f);
void trace_free(struct trace *t);

#endif
