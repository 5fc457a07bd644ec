/*
 * engine/phone/trace.c - bounded per-phone transcripts (trace.h).
 */
#include "engine/phone/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static int64_t epoch_offset_us; /* realtime - monotonic, set once before the workers start */

void trace_set_epoch(uint64_t now_us)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	epoch_offset_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec - (int64_t)now_us;
}

/* Drop whole lines after the head until at least need bytes are free. */
static void make_room(struct trace *t, uint32_t need)
{
	uint32_t head = 0, cut;

	/* the head ends at a line end at or before TRACE_HEAD */
	for (uint32_t i = 0; i < t->len && i < TRACE_HEAD; i++)
		if (t->buf[i] == '\n')
			head = i + 1;
	cut = head;
	while (cut < t->len && t->cap - t->len + (cut - head) < need) {
		char *nl = memchr(t->buf + cut, '\n', t->len - cut);
		cut = nl ? (uint32_t)(nl - t->buf) + 1 : t->len;
	}
	memmove(t->buf + head, t->buf + cut, t->len - cut);
	t->len -= cut - head;
}

void trace_add(struct trace *t, uint64_t now_us, const char *fmt, ...)
{
	char line[512];
	int64_t wall = epoch_offset_us + (int64_t)now_us;
	time_t sec = (time_t)(wall / 1000000);
	struct tm tm;
	va_list ap;
	int n;

	localtime_r(&sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (int)(wall % 1000000 / 1000));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';

	if (!t->buf) {
		t->buf = malloc(TRACE_MAX);
		if (!t->buf)
			return;
		t->cap = TRACE_MAX;
		t->len = 0;
	}
	if (t->len + (uint32_t)n > t->cap)
		make_room(t, (uint32_t)n);
	if (t->len + (uint32_t)n > t->cap)
		return;
	memcpy(t->buf + t->len, line, (size_t)n);
	t->len += (uint32_t)n;
}

int trace_write(const struct trace *t, FILE *f)
{
	if (t->len && fwrite(t->buf, 1, t->len, f) != t->len)
		return -EIO;
	return 0;
}

void trace_free(struct trace *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}
