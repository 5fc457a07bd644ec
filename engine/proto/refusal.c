/*
 * engine/proto/refusal.c - the headend's own words when it refuses a phone (refusal.h).
 *
 * Four readers, tried in order: the X-Reason header, an XML <error> or
 * <message> (the aggregate-auth document through authxml, the legacy
 * <auth> page of the phone's exchange by a tag search), the first text of
 * an HTML page, the first line of anything else. Each hands its raw text to
 * refusal_clean(), which is where every byte that leaves this module is
 * checked. Bounded reads only: nothing here trusts the body to end well.
 */
#include "engine/proto/refusal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/proto/authxml.h"
#include "engine/proto/text.h"

/* ==== Cleaning ==== */

static bool is_blank_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/* Bytes of the UTF-8 character at s[0..n), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return k;
}

size_t refusal_clean(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	bool blank = false;
	size_t o = 0;

	while (p < end) {
		size_t k;

		if (is_blank_byte(*p)) {
			blank = o > 0;
			p++;
			continue;
		}
		k = utf8_len(p, (size_t)(end - p));
		if (o + blank + (k ? k : 1) >= cap)
			break;
		if (blank)
			out[o++] = ' ';
		blank = false;
		if (k) {
			memcpy(out + o, p, k);
			o += k;
			p += k;
		} else {
			out[o++] = '?';
			p++;
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * s[0..n) with the entities of XML and HTML that error texts use decoded
 * (&amp; &lt; &gt; &quot; &apos; &#39; &nbsp; and numeric ones), into
 * out[0..cap), cut to fit. Unknown entities stay as written.
 */
static size_t decode(char *out, size_t cap, const char *s, size_t n)
{
	static const struct {
		const char *name;
		const char *text;
	} named[] = {{"&amp;", "&"},  {"&lt;", "<"},   {"&gt;", ">"},
		     {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", " "}};
	size_t o = 0, i = 0;

	while (i < n && o + 4 < cap) {
		const char *semi = s[i] == '&' ? memchr(s + i, ';', n - i < 10 ? n - i : 10) : NULL;
		size_t len = semi ? (size_t)(semi - (s + i)) + 1 : 0;
		bool done = false;

		for (size_t k = 0; semi && k < sizeof(named) / sizeof(named[0]); k++)
			if (strlen(named[k].name) == len && !memcmp(s + i, named[k].name, len)) {
				out[o++] = named[k].text[0];
				done = true;
			}
		if (!done && semi && len > 3 && s[i + 1] == '#') {
			bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			uint32_t cp = 0;
			size_t j = i + 2 + hex;

			for (; j < i + len - 1; j++) {
				int d = hex ? text_hex_digit(s[j])
					    : (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);

				if (d < 0 || cp > 0x10ffff)
					break;
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
			}
			if (j == i + len - 1 && cp && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) {
				o += text_utf8(cp, out + o);
				done = true;
			}
		}
		if (done) {
			i += len;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return o;
}

/* Decoded and cleaned s[0..n) into out; its length. */
static size_t words_of(char *out, size_t cap, const char *s, size_t n)
{
	char tmp[4 * REFUSAL_WORDS_MAX];
	size_t m = decode(tmp, sizeof(tmp), s, n < sizeof(tmp) ? n : sizeof(tmp));

	return refusal_clean(out, cap, tmp, m);
}

/* ==== Readers ==== */

static const char *find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(end - p) >= n; p++)
		if (!strncasecmp(p, needle, n))
			return p;
	return NULL;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank_byte((unsigned char)*p))
		p++;
	return p;
}

static bool starts_ci(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !strncasecmp(p, s, n);
}

/*
 * The text of the first element called name (its start tag "<name" then a
 * blank, '/' or '>'), up to the next '<', decoded and cleaned into out.
 * Returns its length; 0 when absent or empty.
 */
static size_t element_words(const char *body, const char *end, const char *name, char *out,
			    size_t cap)
{
	char open[32] = "<";
	const char *p = body;

	strncat(open, name, sizeof(open) - 2);
	out[0] = '\0';
	while ((p = find_ci(p, end, open)) != NULL) {
		const char *q = p + strlen(open), *gt, *lt;

		if (q < end && (*q == '>' || *q == '/' || is_blank_byte((unsigned char)*q))) {
			gt = memchr(q, '>', (size_t)(end - q));
			if (!gt || gt[-1] == '/')
				return 0;
			lt = memchr(gt + 1, '<', (size_t)(end - gt - 1));
			return words_of(out, cap, gt + 1, (size_t)((lt ? lt : end) - gt - 1));
		}
		p = q;
	}
	return 0;
}

/* An XML reply: <error>, else <message>. */
static enum refusal_source xml_words(const char *body, size_t len, char *out, size_t cap)
{
	const char *end = body + len;
	struct authxml_form f;

	if (authxml_parse(body, len, &f) == 0) {
		/* already unescaped, templates filled and trimmed by authxml */
		if (refusal_clean(out, cap, f.error, strlen(f.error)))
			return REFUSAL_XML_ERROR;
		if (refusal_clean(out, cap, f.message, strlen(f.message)))
			return REFUSAL_XML_MESSAGE;
		return REFUSAL_NONE;
	}
	/* the legacy <auth> page of the phone's exchange */
	if (element_words(body, end, "error", out, cap))
		return REFUSAL_XML_ERROR;
	if (element_words(body, end, "message", out, cap))
		return REFUSAL_XML_MESSAGE;
	return REFUSAL_NONE;
}

/* Skip an element whose content is not text (<script>, <style>) starting at p. */
static const char *skip_raw(const char *p, const char *end)
{
	static const char *const raw[] = {"script", "style", "noscript"};

	for (size_t k = 0; k < sizeof(raw) / sizeof(raw[0]); k++) {
		char close[16];
		const char *c;

		if (!starts_ci(p + 1, end, raw[k]))
			continue;
		snprintf(close, sizeof(close), "</%s", raw[k]);
		c = find_ci(p, end, close);
		return c ? c : end;
	}
	return p;
}

/* The first non-empty text of an HTML page's body, else its title. */
static enum refusal_source page_words(const char *body, size_t len, char *out, size_t cap)
{
	const char *end = body + len, *p = find_ci(body, end, "<body");

	out[0] = '\0';
	if (!p)
		p = body;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *gt;

		if (lt != p && words_of(out, cap, p, (size_t)((lt ? lt : end) - p)))
			return REFUSAL_PAGE;
		if (!lt)
			break;
		if (starts_ci(lt, end, "<!--")) {
			const char *c = find_ci(lt, end, "-->");

			p = c ? c + 3 : end;
			continue;
		}
		lt = skip_raw(lt, end);
		if (starts_ci(lt, end, "<title") || starts_ci(lt, end, "<head")) {
			const char *c = find_ci(lt, end, starts_ci(lt, end, "<title") ? "</title" : "</head");

			lt = c ? c : end;
		}
		gt = memchr(lt, '>', (size_t)(end - lt));
		p = gt ? gt + 1 : end;
	}
	if (element_words(body, end, "title", out, cap))
		return REFUSAL_PAGE;
	return REFUSAL_NONE;
}

/* The first line of a plain body that has something on it. */
static enum refusal_source text_words(const char *body, size_t len, char *out, size_t cap)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (refusal_clean(out, cap, p, (size_t)(e - p)))
			return REFUSAL_TEXT;
		p = e + 1;
	}
	out[0] = '\0';
	return REFUSAL_NONE;
}

enum refusal_source refusal_words(const struct http_response *resp, const char *body, size_t len,
				  char *out, size_t cap)
{
	struct http_header h;
	const char *end = body + len, *p;

	out[0] = '\0';
	if (resp && http_header(resp, "X-Reason", &h) &&
	    refusal_clean(out, cap, h.value, h.value_len))
		return REFUSAL_X_REASON;
	if (!body || len == 0)
		return REFUSAL_NONE;
	p = skip_blanks(body, end);
	if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p = skip_blanks(p + 3, end); /* a byte order mark */
	if (starts_ci(p, end, "<?xml") || starts_ci(p, end, "<config-auth") ||
	    starts_ci(p, end, "<auth"))
		return xml_words(p, (size_t)(end - p), out, cap);
	if ((resp && http_header(resp, "Content-Type", &h) &&
	     find_ci(h.value, h.value + h.value_len, "html")) ||
	    find_ci(p, end, "<html") || find_ci(p, end, "<body"))
		return page_words(p, (size_t)(end - p), out, cap);
	return text_words(p, (size_t)(end - p), out, cap);
}

const char *refusal_source_name(enum refusal_source s)
{
	switch (s) {
	case REFUSAL_X_REASON:
		return "X-Reason";
	case REFUSAL_XML_ERROR:
		return "<error>";
	case REFUSAL_XML_MESSAGE:
		return "<message>";
	case REFUSAL_PAGE:
		return "page";
	case REFUSAL_TEXT:
		return "body";
	default:
		return "nothing";
	}
}
