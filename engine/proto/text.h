/*
 * engine/proto/text.h - building and reading short protocol text.
 *
 * A bounded writer for the requests and bodies the phones send (HTTP heads,
 * XML): appends never overrun the caller's buffer, the text stays
 * NUL-terminated, and one check at the end says whether it all fitted. And
 * the hex digit that session IDs, hashes and MACs are written with, and
 * UTF-8 for the code points of XML and JSON escapes.
 */
#ifndef ENGINE_TEXT_H
#define ENGINE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct text {
	char *buf;  /* borrowed: the caller's buffer */
	size_t cap; /* bytes */
	size_t len; /* bytes written, without the NUL */
	bool full;  /* something did not fit */
};

/* Start writing into buf[0..cap). */
void text_init(struct text *t, char *buf, size_t cap);
/* Append n bytes of s (or the string s); once something does not fit, nothing more is. */
void text_put_n(struct text *t, const char *s, size_t n);
void text_put(struct text *t, const char *s);
/* Append v in decimal. */
void text_put_u32(struct text *t, uint32_t v);
/* Append an HTTP header line "name: value\r\n". */
void text_header(struct text *t, const char *name, const char *value);
/* The length written, or -ENOSPC if something did not fit. */
int text_result(const struct text *t);
/* The value of a hex digit (either case), or -1. */
int text_hex_digit(char c);
/* Code point cp (at most 0x10FFFF) as UTF-8 into out; the number of bytes, 1 to 4. */
size_t text_utf8(uint32_t cp, char out[4]);

#endif
