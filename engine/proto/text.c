/*
 * engine/proto/text.c - the bounded writer and hex digits (text.h).
 */
#include "engine/proto/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->full = cap == 0;
	if (cap)
		buf[0] = '\0';
}

void text_put_n(struct text *t, const char *s, size_t n)
{
	if (t->full || t->cap - t->len <= n) {
		t->full = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void text_put(struct text *t, const char *s)
{
	text_put_n(t, s, strlen(s));
}

void text_put_u32(struct text *t, uint32_t v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	text_put(t, num);
}

void text_header(struct text *t, const char *name, const char *value)
{
	text_put(t, name);
	text_put(t, ": ");
	text_put(t, value);
	text_put(t, "\r\n");
}

int text_result(const struct text *t)
{
	if (t->full || t->len > INT32_MAX)
		return -ENOSPC;
	return (int)t->len;
}

int text_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t text_utf8(uint32_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}
