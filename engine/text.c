/*
 * engine/text.c - the bounded writer and hex digits (text.h).
 */
#include "engine/text.h"

#include <errno.h>
#include <stdint.h>
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
