/*
 * report/jsonread.c - a small JSON reader (jsonread.h): recursive descent
 * over the text, building the tree as it goes.
 */
#include "report/jsonread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proto/text.h"

#define MAX_FILE (64u << 20)

struct parser {
	const char *s, *end, *start;
	char *err;
	size_t errlen;
	bool failed;
};

static int fail(struct parser *p, const char *fmt, ...)
{
	unsigned line = 1, col = 1;
	size_t n;
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = true;
	for (const char *c = p->start; c < p->s; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(p->err, p->errlen, "line %u, column %u: ", line, col);
	n = strlen(p->err);
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_blanks(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static bool eat(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n))
		return false;
	p->s += n;
	return true;
}

/* ==== Strings ==== */

static int hex4(struct parser *p, unsigned *v)
{
	*v = 0;
	if (p->end - p->s < 4)
		return fail(p, "\\u needs four hex digits");
	for (int i = 0; i < 4; i++) {
		int d = text_hex_digit(*p->s++);

		if (d < 0)
			return fail(p, "\\u needs four hex digits");
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* One \u escape (after the "\u"), a surrogate pair taken whole, as UTF-8 into o. */
static int unicode_escape(struct parser *p, char *o, size_t *n)
{
	unsigned cp, lo;

	if (hex4(p, &cp))
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, "lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!eat(p, "\\u") || hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "high surrogate \\u%04x without its low half", cp);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return fail(p, "\\u0000 in a string");
	*n = text_utf8(cp, o);
	return 0;
}

/* A string (p->s at its opening quote) into a new NUL-terminated buffer. */
static char *string(struct parser *p)
{
	const char *q;
	char *out, *o;
	size_t n = 0;

	p->s++;
	/* the decoded string is never longer than its text */
	for (q = p->s; q < p->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < p->end)
			q++;
	out = malloc((size_t)(q - p->s) + 1);
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	o = out;
	for (;;) {
		if (p->s == p->end) {
			fail(p, "unterminated string");
			goto bad;
		}
		unsigned char c = (unsigned char)*p->s;

		if (c == '"') {
			p->s++;
			break;
		}
		if (c < 0x20) {
			fail(p, "control character 0x%02x in a string", c);
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p->s++;
			continue;
		}
		p->s++;
		if (p->s == p->end) {
			fail(p, "unterminated string");
			goto bad;
		}
		c = (unsigned char)*p->s++;
		switch (c) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (unicode_escape(p, o, &n))
				goto bad;
			o += n;
			break;
		default:
			p->s--;
			fail(p, "bad escape \\%c", c);
			goto bad;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* ==== Numbers ==== */

static int number(struct parser *p, struct jval *v)
{
	const char *q = p->s, *digits;
	char buf[64];
	bool whole = true;

	if (q < p->end && *q == '-')
		q++;
	digits = q;
	if (q < p->end && *q == '0')
		q++;
	else if (q < p->end && *q >= '1' && *q <= '9')
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	else
		return fail(p, "bad number");
	if (q < p->end && *q == '.') {
		whole = false;
		if (++q == p->end || *q < '0' || *q > '9')
			return fail(p, "bad number: digits must follow '.'");
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < p->end && (*q == 'e' || *q == 'E')) {
		whole = false;
		q++;
		if (q < p->end && (*q == '+' || *q == '-'))
			q++;
		if (q == p->end || *q < '0' || *q > '9')
			return fail(p, "bad number: digits must follow the exponent");
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - p->s) >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s, (size_t)(q - p->s));
	buf[q - p->s] = '\0';
	v->type = JVAL_NUM;
	v->num = strtod(buf, NULL);
	if (whole && digits == p->s) {
		errno = 0;
		v->u = strtoull(buf, NULL, 10);
		v->is_u64 = errno == 0;
	}
	p->s = q;
	return 0;
}

/* ==== Values ==== */

static int value(struct parser *p, struct jval *v, int depth);

/* Appends an empty element to v's items (and keys); returns it, or NULL. */
static struct jval *grow(struct parser *p, struct jval *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		struct jval *items = realloc(v->items, c * sizeof(*items));

		if (!items)
			goto oom;
		v->items = items;
		if (v->type == JVAL_OBJ) {
			char **keys = realloc(v->keys, c * sizeof(*keys));

			if (!keys)
				goto oom;
			v->keys = keys;
		}
		*cap = c;
	}
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	if (v->type == JVAL_OBJ)
		v->keys[v->n] = NULL;
	return &v->items[v->n++];
oom:
	fail(p, "out of memory");
	return NULL;
}

static int container(struct parser *p, struct jval *v, int depth)
{
	bool obj = *p->s == '{';
	char close = obj ? '}' : ']';
	size_t cap = 0;
	struct jval *e;

	if (depth >= JVAL_MAX_DEPTH)
		return fail(p, "nested deeper than %d", JVAL_MAX_DEPTH);
	v->type = obj ? JVAL_OBJ : JVAL_ARR;
	p->s++;
	skip_blanks(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return 0;
	}
	for (;;) {
		e = grow(p, v, &cap);
		if (!e)
			return -1;
		if (obj) {
			skip_blanks(p);
			if (p->s == p->end || *p->s != '"')
				return fail(p, "expected a member name");
			v->keys[v->n - 1] = string(p);
			if (!v->keys[v->n - 1])
				return -1;
			skip_blanks(p);
			if (p->s == p->end || *p->s != ':')
				return fail(p, "expected ':'");
			p->s++;
		}
		if (value(p, e, depth + 1))
			return -1;
		skip_blanks(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			return 0;
		}
		return fail(p, "expected ',' or '%c'", close);
	}
}

static int value(struct parser *p, struct jval *v, int depth)
{
	skip_blanks(p);
	if (p->s == p->end)
		return fail(p, "expected a value");
	switch (*p->s) {
	case '{':
	case '[':
		return container(p, v, depth);
	case '"':
		v->type = JVAL_STR;
		v->str = string(p);
		return v->str ? 0 : -1;
	case 't':
	case 'f':
	case 'n':
		if (eat(p, "true") || eat(p, "false")) {
			v->type = JVAL_BOOL;
			v->b = p->s[-4] == 't'; /* "true", or "false"'s "alse" */
			return 0;
		}
		if (eat(p, "null")) {
			v->type = JVAL_NULL;
			return 0;
		}
		return fail(p, "unknown word");
	default:
		return number(p, v);
	}
}

static void clear(struct jval *v)
{
	for (size_t i = 0; i < v->n; i++) {
		clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void jval_free(struct jval *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

struct jval *jval_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {text, text + len, text, err, errlen, false};
	struct jval *v = calloc(1, sizeof(*v));

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (value(&p, v, 0) == 0) {
		skip_blanks(&p);
		if (p.s == p.end)
			return v;
		fail(&p, "text after the value");
	}
	jval_free(v);
	return NULL;
}

struct jval *jval_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, msg[256];
	size_t n = 0, cap = 0, got;
	struct jval *v = NULL;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			char *t = cap < MAX_FILE ? realloc(text, cap ? cap * 2 : 65536) : NULL;

			if (!t) {
				snprintf(err, errlen, "%s: %s", path,
					 cap < MAX_FILE ? "out of memory" : "file too large");
				goto done;
			}
			text = t;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(text + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	v = jval_parse(text, n, msg, sizeof(msg));
	if (!v)
		snprintf(err, errlen, "%s: %s", path, msg);
done:
	free(text);
	fclose(f);
	return v;
}

/* ==== Access ==== */

const struct jval *jval_get(const struct jval *v, const char *key)
{
	if (!v || v->type != JVAL_OBJ)
		return NULL;
	for (size_t i = v->n; i-- > 0;)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const struct jval *jval_path(const struct jval *v, const char *path)
{
	char key[256];
	const char *dot;
	size_t n;

	while (v && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = jval_get(v, key);
		path += n + (dot != NULL);
	}
	return v;
}

double jval_num(const struct jval *v, double dflt)
{
	return v && v->type == JVAL_NUM ? v->num : dflt;
}

uint64_t jval_u64(const struct jval *v, uint64_t dflt)
{
	if (!v || v->type != JVAL_NUM)
		return dflt;
	if (v->is_u64)
		return v->u;
	if (!(v->num >= 0) || v->num + 0.5 >= 18446744073709551616.0)
		return dflt;
	return (uint64_t)(v->num + 0.5);
}

const char *jval_str(const struct jval *v, const char *dflt)
{
	return v && v->type == JVAL_STR ? v->str : dflt;
}
