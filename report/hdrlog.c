/*
 * report/hdrlog.c - HdrHistogram interval logs, written and read (hdrlog.h).
 *
 * The facts of the format, as this file uses them (from HdrHistogram's
 * documentation and the encoding its Java implementation, 2.1.11, writes;
 * checked against that implementation by tests/unit/test_hdrlog.c):
 *
 * A histogram's V2 encoding is a 40-byte header, big-endian:
 *	int32  cookie 0x1c849313 (V2 base 0x1c849303; 0x10: word size, LEB128)
 *	int32  payload length, bytes
 *	int32  normalizing index offset (0)
 *	int32  significant value digits (3)
 *	int64  lowest discernible value (1)
 *	int64  highest trackable value
 *	double integer-to-double value conversion ratio (1.0)
 * then the payload: the counts array from index 0 to the highest non-empty
 * index, each count a ZigZag-encoded LEB128 word (7 bits a byte, least
 * significant first, high bit set when more follow, at most 9 bytes, the 9th
 * carrying 8 bits), except that a run of two or more empty slots is written
 * as one negative word, minus the length of the run.
 * Compressed, as log lines carry it: int32 cookie 0x1c849314 (base
 * 0x1c849304), int32 length of what follows, then the V2 encoding deflated
 * in a zlib stream. In the log, that is Base64 (standard, padded).
 * Slot i of the counts array, for lowest 1 and 3 digits, is struct hist's
 * slot i (hist.h).
 */
#include "report/hdrlog.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "engine/stats/hist.h"

#define COOKIE_V2	     0x1c849303u
#define COOKIE_V2_COMPRESSED 0x1c849304u
#define COOKIE_WORD_MASK     0xf0u /* word-size bits of a cookie */
#define COOKIE_LEB128	     0x10u
#define HEADER_LEN	     40
#define MAX_WORD	     9
#define MAX_INFLATED	     (1u << 20) /* far above our layout's worst case (~210 KB) */
#define MAX_LINE	     (4u << 20)

struct hdrlog {
	FILE *f;
	int err; /* first write error, -EIO */
};

/* ==== Encoding ==== */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_room(struct buf *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap * 2 : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* One ZigZag LEB128 word (at most 9 bytes, the 9th whole) into p; its length. */
static size_t put_word(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	while (n < MAX_WORD - 1 && z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

/* Reads one word from p[0..len); its length, or 0 if truncated. */
static size_t get_word(const uint8_t *p, size_t len, int64_t *v)
{
	uint64_t z = 0;
	size_t n = 0;

	for (;;) {
		if (n == len)
			return 0;
		if (n == MAX_WORD - 1) {
			z |= (uint64_t)p[n++] << 56;
			break;
		}
		z |= (uint64_t)(p[n] & 0x7f) << (7 * n);
		if (!(p[n++] & 0x80))
			break;
	}
	*v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
	return n;
}

struct enc {
	struct buf *b;
	uint32_t next; /* the index after the last one written */
};

static int enc_bucket(const struct hist_bucket *hb, void *arg)
{
	struct enc *e = arg;
	uint32_t zeros = hb->index - e->next;

	if (buf_room(e->b, 2 * MAX_WORD))
		return -ENOMEM;
	if (zeros)
		e->b->len += put_word(e->b->p + e->b->len, zeros == 1 ? 0 : -(int64_t)zeros);
	e->b->len += put_word(e->b->p + e->b->len, (int64_t)hb->count);
	e->next = hb->index + 1;
	return 0;
}

/* The uncompressed V2 encoding of h into b. 0 or -ENOMEM. */
static int encode_v2(const struct hist *h, struct buf *b)
{
	struct enc e = {.b = b};
	uint64_t ratio;
	double one = 1.0;

	if (buf_room(b, HEADER_LEN))
		return -ENOMEM;
	b->len = HEADER_LEN;
	if (hist_foreach_bucket(h, enc_bucket, &e))
		return -ENOMEM;
	memcpy(&ratio, &one, sizeof(ratio));
	put_be(b->p, COOKIE_V2 | COOKIE_LEB128, 4);
	put_be(b->p + 4, b->len - HEADER_LEN, 4);
	put_be(b->p + 8, 0, 4);
	put_be(b->p + 12, HIST_SIG_DIGITS, 4);
	put_be(b->p + 16, HIST_LOWEST_US, 8);
	put_be(b->p + 24, HIST_MAX_US, 8);
	put_be(b->p + 32, ratio, 8);
	return 0;
}

char *hdrlog_encode(const struct hist *h)
{
	struct buf raw = {0};
	uint8_t *z = NULL;
	char *out = NULL;
	uLongf zlen;

	if (encode_v2(h, &raw))
		goto done;
	zlen = compressBound((uLong)raw.len);
	z = malloc(8 + zlen);
	if (!z || compress(z + 8, &zlen, raw.p, (uLong)raw.len) != Z_OK)
		goto done;
	put_be(z, COOKIE_V2_COMPRESSED | COOKIE_LEB128, 4);
	put_be(z + 4, zlen, 4);
	out = malloc(4 * ((8 + zlen + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, z, (int)(8 + zlen));
done:
	free(raw.p);
	free(z);
	return out;
}

/* ==== Decoding ==== */

/*
 * Walks the payload's counts; with h, records them. Returns 0, or -EINVAL
 * with why set.
 */
static int walk_counts(const uint8_t *p, size_t len, struct hist *h, const char **why)
{
	uint64_t index = 0, lo, hi;
	int64_t v;
	size_t n;

	while (len) {
		n = get_word(p, len, &v);
		if (!n) {
			*why = "truncated count";
			return -EINVAL;
		}
		p += n;
		len -= n;
		if (v <
		    0) { /* a run of empty slots; past the layout, index only has to stay there */
			index += (uint64_t) - (v + 1) + 1;
			if (index > UINT32_MAX)
				index = UINT32_MAX;
			continue;
		}
		if (hist_slot_bounds((uint32_t)index, &lo, &hi)) {
			if (v == 0)
				continue; /* an empty slot past the layout: harmless */
			*why = "a count above the highest value of the layout (one hour)";
			return -EINVAL;
		}
		if (h)
			hist_record_n(h, hi, (uint64_t)v);
		if (index < UINT32_MAX)
			index++;
	}
	return 0;
}

/* Inflates a zlib stream into a new buffer of at most MAX_INFLATED bytes. */
static int inflate_all(const uint8_t *in, size_t inlen, struct buf *out, const char **why)
{
	z_stream zs;
	size_t room;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	do {
		if (out->len == MAX_INFLATED) {
			*why = "inflated histogram too large";
			r = Z_DATA_ERROR;
			break;
		}
		if (buf_room(out, 8192)) {
			r = Z_MEM_ERROR;
			break;
		}
		room = out->cap - out->len;
		if (room > MAX_INFLATED - out->len)
			room = MAX_INFLATED - out->len;
		zs.next_out = out->p + out->len;
		zs.avail_out = (uInt)room;
		r = inflate(&zs, Z_NO_FLUSH);
		out->len = (size_t)(zs.next_out - out->p);
	} while (r == Z_OK);
	inflateEnd(&zs);
	if (r == Z_STREAM_END)
		return 0;
	if (r == Z_MEM_ERROR)
		return -ENOMEM;
	if (r != Z_DATA_ERROR || !*why)
		*why = "bad zlib stream";
	return -EINVAL;
}

/* Checks the V2 header of raw and walks (h NULL) or records its counts. */
static int decode_v2(const struct buf *raw, struct hist *h, const char **why)
{
	uint64_t plen;

	if (raw->len < HEADER_LEN) {
		*why = "histogram shorter than its header";
		return -EINVAL;
	}
	if ((get_be(raw->p, 4) & ~COOKIE_WORD_MASK) != COOKIE_V2) {
		*why = "not a V2 histogram encoding";
		return -EINVAL;
	}
	plen = get_be(raw->p + 4, 4);
	if (plen > raw->len - HEADER_LEN) {
		*why = "payload length beyond the data";
		return -EINVAL;
	}
	if (get_be(raw->p + 8, 4) != 0 || get_be(raw->p + 12, 4) != HIST_SIG_DIGITS ||
	    get_be(raw->p + 16, 8) != HIST_LOWEST_US) {
		*why = "histogram layout not supported (need lowest 1, 3 digits, no offset)";
		return -EINVAL;
	}
	return walk_counts(raw->p + HEADER_LEN, plen, h, why);
}

static bool b64_ok(const char *s, size_t len, size_t pad)
{
	for (size_t i = 0; i < len - pad; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

int hdrlog_decode(const char *b64, size_t len, struct hist *h, const char **why)
{
	struct buf raw = {0};
	uint8_t *bin;
	int n, r = -EINVAL;
	size_t pad = 0;

	*why = NULL;
	if (len == 0 || len % 4 || len > MAX_LINE) {
		*why = "Base64 length not a multiple of 4";
		return -EINVAL;
	}
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	if (!b64_ok(b64, len, pad)) {
		*why = "bad Base64";
		return -EINVAL;
	}
	bin = malloc(len / 4 * 3);
	if (!bin)
		return -ENOMEM;
	n = EVP_DecodeBlock(bin, (const unsigned char *)b64, (int)len);
	if (n < 0 || (size_t)n < pad) {
		*why = "bad Base64";
		goto done;
	}
	n -= (int)pad;
	if (n < 8 || (get_be(bin, 4) & ~COOKIE_WORD_MASK) != COOKIE_V2_COMPRESSED) {
		*why = "not a V2 compressed histogram";
		goto done;
	}
	if (get_be(bin + 4, 4) > (uint64_t)n - 8) {
		*why = "compressed length beyond the data";
		goto done;
	}
	r = inflate_all(bin + 8, get_be(bin + 4, 4), &raw, why);
	if (!r)
		r = decode_v2(&raw, NULL, why); /* all of it checked before h is touched */
	if (!r)
		r = decode_v2(&raw, h, why);
done:
	free(raw.p);
	free(bin);
	return r;
}

/* ==== Writing a log ==== */

struct hdrlog *hdrlog_create(const char *path, double start_unix_s, char *err, size_t errlen)
{
	struct hdrlog *l = calloc(1, sizeof(*l));
	time_t t = (time_t)start_unix_s;
	char when[64] = "";
	struct tm tm;

	if (!l) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	l->f = fopen(path, "w");
	if (!l->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(l);
		return NULL;
	}
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
	fprintf(l->f,
		"#[Logged with phoneswarm: latencies in microseconds]\n"
		"#[Histogram log format version 1.3]\n"
		"#[StartTime: %.3f (seconds since epoch), %s]\n"
		"#[BaseTime: %.3f (seconds since epoch)]\n"
		"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		"\"Interval_Compressed_Histogram\"\n",
		start_unix_s, when, start_unix_s);
	if (fflush(l->f))
		l->err = -EIO;
	return l;
}

static bool tag_ok(const char *tag)
{
	if (!*tag)
		return false;
	for (const char *c = tag; *c; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && !strchr("_.-", *c))
			return false;
	return true;
}

int hdrlog_write(struct hdrlog *l, const char *tag, double start_s, double len_s,
		 const struct hist *h)
{
	char *b64;

	if (!tag_ok(tag))
		return -EINVAL;
	b64 = hdrlog_encode(h);
	if (!b64)
		return -ENOMEM;
	if (fprintf(l->f, "Tag=%s,%.3f,%.3f,%.3f,%s\n", tag, start_s, len_s,
		    (double)hist_max(h) / 1000.0, b64) < 0 ||
	    fflush(l->f))
		l->err = -EIO;
	free(b64);
	return l->err;
}

int hdrlog_close(struct hdrlog *l)
{
	int r;

	if (!l)
		return 0;
	r = l->err;
	if (fclose(l->f) && !r)
		r = -EIO;
	free(l);
	return r;
}

/* ==== Reading a log ==== */

struct reader {
	double start, base;
	bool have_start, have_base;
};

/* Parses "NUMBER" at *s up to the next comma; advances past it. */
static int field_num(char **s, double *v)
{
	char *end;

	*v = strtod(*s, &end);
	if (end == *s || *end != ',' || !isfinite(*v))
		return -1;
	*s = end + 1;
	return 0;
}

/*
 * One histogram line: fills tag, start, len and adds the histogram into h.
 * Returns 0 or -1 with why.
 */
static int parse_line(char *line, struct reader *rd, char **tag, double *start, double *len,
		      struct hist *h, const char **why)
{
	double max;
	char *s = line;
	size_t n;

	*tag = s + strlen(s); /* "" */
	if (!strncmp(s, "Tag=", 4)) {
		*tag = s + 4;
		s = strchr(s, ',');
		if (!s) {
			*why = "a tag and nothing else";
			return -1;
		}
		*s++ = '\0';
	}
	if (field_num(&s, start) || field_num(&s, len) || field_num(&s, &max)) {
		*why = "expected start,length,max,histogram";
		return -1;
	}
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	if (rd->have_base)
		*start += rd->base - rd->start;
	else if (rd->have_start && *start >= rd->start - 365 * 24 * 3600.0)
		*start -= rd->start; /* absolute timestamps */
	if (hdrlog_decode(s, n, h, why) == -ENOMEM)
		*why = "out of memory";
	return *why ? -1 : 0;
}

int hdrlog_read(const char *path, hdrlog_entry_fn fn, void *arg, double *start_unix_s, char *err,
		size_t errlen)
{
	struct reader rd = {0};
	struct hist *h = hist_new();
	FILE *f = fopen(path, "r");
	char *line = NULL, *tag;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	double start, len;
	const char *why;
	int r = 0;

	if (!f || !h) {
		snprintf(err, errlen, "%s: %s", path, f ? "out of memory" : strerror(errno));
		r = -1;
		goto done;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (!strncmp(line, "#[StartTime: ", 13)) {
			rd.start = strtod(line + 13, NULL);
			rd.have_start = true;
			continue;
		}
		if (!strncmp(line, "#[BaseTime: ", 12)) {
			rd.base = strtod(line + 12, NULL);
			rd.have_base = true;
			continue;
		}
		if (line[0] == '#' || line[0] == '"' || line[0] == '\n' || line[0] == '\r')
			continue;
		if ((size_t)got > MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			r = -1;
			break;
		}
		hist_reset(h);
		why = NULL;
		if (parse_line(line, &rd, &tag, &start, &len, h, &why)) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			r = -1;
			break;
		}
		r = fn(tag, start, len, h, arg);
		if (r)
			break;
	}
	if (!r && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		r = -1;
	}
	if (start_unix_s)
		*start_unix_s = rd.have_start ? rd.start : 0;
done:
	free(line);
	hist_free(h);
	if (f)
		fclose(f);
	return r;
}
