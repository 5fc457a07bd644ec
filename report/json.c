/*
 * report/json.c - a small streaming JSON writer, for report.json.
 *
 * Output is what jq would print: two-space indentation, one member per line,
 * "key": value, and empty containers as {} and []. Every member goes through
 * member(), which checks the key against its container and writes the comma,
 * newline, indentation and key in front of it; nothing is buffered here.
 */
#include "report/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

void json_open(struct json *j, FILE *f)
{
	j->f = f;
	j->err = 0;
	j->depth = 0;
	j->done = false;
}

int json_close(struct json *j)
{
	int ret = j->err;

	if (!ret && (j->depth || !j->done))
		ret = -EINVAL;
	if (!ret)
		putc('\n', j->f);
	if ((fflush(j->f) || ferror(j->f)) && !ret)
		ret = -EIO;
	return ret;
}

/* ==== Strings ==== */

/*
 * Length of the well-formed UTF-8 sequence starting at the non-ASCII byte
 * p[0], or 0 if there is none: no overlong forms, no surrogates, nothing
 * above U+10FFFF. Stops at a NUL, never reading past it.
 */
static int utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (p[0] == 0xe0)
			lo = 0xa0;
		if (p[0] == 0xed)
			hi = 0x9f;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (p[0] == 0xf0)
			lo = 0x90;
		if (p[0] == 0xf4)
			hi = 0x8f;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	putc('"', f);
	while (*p) {
		if (*p >= 0x80) {
			n = utf8_len(p);
			if (n) {
				fwrite(p, 1, n, f);
				p += n;
			} else {
				fputs("\\ufffd", f);
				p++;
			}
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
		p++;
	}
	putc('"', f);
}

/* ==== Structure ==== */

static void indent(FILE *f, unsigned depth)
{
	unsigned i;

	for (i = 0; i < depth; i++)
		fputs("  ", f);
}

/*
 * Checks that a member with this key may come next and writes what goes
 * before its value. Returns false, after remembering the misuse if that is
 * why, when the value must not be written.
 */
static bool member(struct json *j, const char *key)
{
	unsigned top;

	if (j->err)
		return false;
	if (j->depth == 0) {
		if (key || j->done) {
			j->err = -EINVAL;
			return false;
		}
		return true;
	}
	top = j->depth - 1;
	if (j->is_obj[top] != (key != NULL)) {
		j->err = -EINVAL;
		return false;
	}
	fputs(j->has_elem[top] ? ",\n" : "\n", j->f);
	j->has_elem[top] = true;
	indent(j->f, j->depth);
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
	return true;
}

/* A value just ended; at the top level that ends the document. */
static void ended(struct json *j)
{
	if (j->depth == 0)
		j->done = true;
}

static void begin(struct json *j, const char *key, bool is_obj)
{
	if (!j->err && j->depth == JSON_MAX_DEPTH)
		j->err = -EINVAL;
	if (!member(j, key))
		return;
	putc(is_obj ? '{' : '[', j->f);
	j->is_obj[j->depth] = is_obj;
	j->has_elem[j->depth] = false;
	j->depth++;
}

static void end(struct json *j, bool is_obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->is_obj[j->depth - 1] != is_obj) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	if (j->has_elem[j->depth]) {
		putc('\n', j->f);
		indent(j->f, j->depth);
	}
	putc(is_obj ? '}' : ']', j->f);
	ended(j);
}

void json_obj_begin(struct json *j, const char *key)
{
	begin(j, key, true);
}

void json_obj_end(struct json *j)
{
	end(j, true);
}

void json_arr_begin(struct json *j, const char *key)
{
	begin(j, key, false);
}

void json_arr_end(struct json *j)
{
	end(j, false);
}

/* ==== Scalars ==== */

void json_str(struct json *j, const char *key, const char *value)
{
	if (!member(j, key))
		return;
	if (value)
		put_string(j->f, value);
	else
		fputs("null", j->f);
	ended(j);
}

void json_int(struct json *j, const char *key, int64_t value)
{
	if (!member(j, key))
		return;
	fprintf(j->f, "%" PRId64, value);
	ended(j);
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
	if (!member(j, key))
		return;
	fprintf(j->f, "%" PRIu64, value);
	ended(j);
}

void json_double(struct json *j, const char *key, double value)
{
	if (!member(j, key))
		return;
	if (isfinite(value))
		fprintf(j->f, "%.9g", value);
	else
		fputs("null", j->f);
	ended(j);
}

void json_bool(struct json *j, const char *key, bool value)
{
	if (!member(j, key))
		return;
	fputs(value ? "true" : "false", j->f);
	ended(j);
}

void json_null(struct json *j, const char *key)
{
	if (!member(j, key))
		return;
	fputs("null", j->f);
	ended(j);
}
