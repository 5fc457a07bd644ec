/*
 * engine/proto/authxml.c - the XML bodies of AnyConnect authentication.
 *
 * The headend's documents are small and come from two families (ocserv,
 * ASA), so a full XML parser would buy nothing but a dependency. Instead a
 * cursor walks the body tag by tag; every read is bounded by the end of
 * the body, every copy by the size of its destination, so any input,
 * however broken, ends in a filled struct or an error code.
 */
#include "engine/proto/authxml.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/proto/text.h"

/* ==== Output buffer ==== */

/* s with & < > " ' as entities, valid in text and in attribute values. */
static void put_escaped(struct text *w, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			text_put(w, "&amp;");
			break;
		case '<':
			text_put(w, "&lt;");
			break;
		case '>':
			text_put(w, "&gt;");
			break;
		case '"':
			text_put(w, "&quot;");
			break;
		case '\'':
			text_put(w, "&apos;");
			break;
		default:
			text_put_n(w, s, 1);
		}
	}
}

/* <name>escaped text</name> */
static void put_element(struct text *w, const char *name, const char *text)
{
	text_put(w, "<");
	text_put(w, name);
	text_put(w, ">");
	put_escaped(w, text);
	text_put(w, "</");
	text_put(w, name);
	text_put(w, ">");
}

/* ==== Builders ==== */

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

static void put_envelope(struct text *w, const char *type, const char *version,
			 const char *device_id)
{
	text_put(w, xml_decl);
	text_put(w, "<config-auth client=\"vpn\" type=\"");
	text_put(w, type);
	text_put(w, "\" aggregate-auth-version=\"2\">");
	if (version) {
		text_put(w, "<version who=\"vpn\">");
		put_escaped(w, version);
		text_put(w, "</version>");
	}
	if (device_id)
		put_element(w, "device-id", device_id);
}

int authxml_init(char *buf, size_t cap, const char *version, const char *device_id,
		 const char *group_access_url, bool cert_fail)
{
	struct text w;

	if (!group_access_url)
		return -EINVAL;
	text_init(&w, buf, cap);
	put_envelope(&w, "init", version, device_id);
	put_element(&w, "group-access", group_access_url);
	if (cert_fail)
		text_put(&w, "<client-cert-fail/>");
	text_put(&w, "</config-auth>");
	return text_result(&w);
}

/* A name we may write as an element: letters, digits, '_', '-', '.'. */
static bool is_xml_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static bool is_password_alias(const char *name)
{
	return !strcmp(name, "answer") || !strcmp(name, "whichpin") ||
	       !strcmp(name, "new_password");
}

int authxml_reply(char *buf, size_t cap, const struct authxml_form *form, const char *username,
		  const char *password)
{
	const char *group = NULL;
	struct text w;

	text_init(&w, buf, cap);
	put_envelope(&w, "auth-reply", form->version, form->device_id);
	if (form->opaque && form->opaque_len)
		text_put_n(&w, form->opaque, form->opaque_len);
	text_put(&w, "<auth>");
	for (int i = 0; i < form->n_inputs && i < AUTHXML_MAX_INPUTS; i++) {
		const struct authxml_input *in = &form->inputs[i];
		const char *name = in->name, *value;

		if (!strncmp(name, "verify_", 7) || !strcmp(in->type, "submit") ||
		    !strcmp(in->type, "reset") || !strcmp(in->type, "button"))
			continue;
		if (!is_xml_name(name))
			return -EINVAL;
		if (!strcmp(in->type, "select")) {
			if (!strcmp(name, "group_list")) {
				group = form->group ? form->group : in->value;
				continue;
			}
			value = in->value;
		} else if (!strcmp(in->type, "password")) {
			if (is_password_alias(name))
				name = "password";
			value = password;
		} else if (!strcmp(in->type, "hidden")) {
			value = in->value;
		} else {
			value = username;
		}
		if (!value)
			return -EINVAL;
		put_element(&w, name, value);
	}
	text_put(&w, "</auth>");
	if (group)
		put_element(&w, "group-select", group);
	text_put(&w, "</config-auth>");
	return text_result(&w);
}

/* ==== Scanner ==== */

struct tag {
	const char *start; /* the '<' */
	const char *end;   /* one past the '>' */
	const char *name;  /* element name, not NUL-terminated */
	size_t name_len;
	const char *attrs; /* what follows the name, up to '/>' or '>' */
	size_t attrs_len;
	bool closing; /* </name> */
	bool empty;   /* <name ... /> */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	if ((size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, n);
}

/*
 * The next element tag at or after p, skipping declarations, processing
 * instructions, comments and CDATA. Returns false at the end of the body
 * or on a tag that never closes.
 */
static bool next_tag(const char *p, const char *end, struct tag *t)
{
	for (;;) {
		const char *q;

		p = memchr(p, '<', (size_t)(end - p));
		if (!p || end - p < 2)
			return false;
		if (p[1] == '?' || p[1] == '!') {
			const char *close = "?>";

			if (p[1] == '!' && end - p >= 4 && !memcmp(p, "<!--", 4))
				close = "-->";
			else if (p[1] == '!' && end - p >= 9 && !memcmp(p, "<![CDATA[", 9))
				close = "]]>";
			else if (p[1] == '!')
				close = ">";
			q = find(p + 2, end, close);
			if (!q)
				return false;
			p = q + strlen(close);
			continue;
		}

		t->start = p;
		t->closing = p[1] == '/';
		q = p + 1 + t->closing;
		t->name = q;
		while (q < end && !is_space(*q) && *q != '>' && *q != '/')
			q++;
		t->name_len = (size_t)(q - t->name);
		t->attrs = q;
		/* Quoted attribute values may hold '>'. */
		for (char quote = 0; q < end; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '"' || *q == '\'') {
				quote = *q;
			} else if (*q == '>') {
				break;
			}
		}
		if (q >= end)
			return false;
		t->end = q + 1;
		t->empty = q > t->attrs && q[-1] == '/';
		t->attrs_len = (size_t)(q - t->attrs) - t->empty;
		if (t->name_len == 0) {
			p = t->end;
			continue;
		}
		return true;
	}
}

static bool tag_is(const struct tag *t, const char *name)
{
	return strlen(name) == t->name_len && !strncasecmp(t->name, name, t->name_len);
}

/* The raw value of attribute name in t, or false when absent. */
static bool tag_attr(const struct tag *t, const char *name, const char **val, size_t *val_len)
{
	const char *p = t->attrs, *end = t->attrs + t->attrs_len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *n, *v;
		size_t n_len;

		while (p < end && (is_space(*p) || *p == '/'))
			p++;
		n = p;
		while (p < end && !is_space(*p) && *p != '=' && *p != '/')
			p++;
		n_len = (size_t)(p - n);
		while (p < end && is_space(*p))
			p++;
		if (p >= end || *p != '=') {
			if (n_len == 0 && p < end)
				p++;
			continue; /* an attribute without a value */
		}
		p++;
		while (p < end && is_space(*p))
			p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));

			v = p + 1;
			if (!q)
				q = end;
			p = q < end ? q + 1 : end;
			*val_len = (size_t)(q - v);
		} else {
			v = p;
			while (p < end && !is_space(*p))
				p++;
			*val_len = (size_t)(p - v);
		}
		if (n_len == nlen && !strncasecmp(n, name, nlen)) {
			*val = v;
			return true;
		}
	}
	return false;
}

/* ==== Unescaping ==== */

/*
 * Decode the entity at s (s[0] == '&') into out; returns the bytes of
 * input it takes, or 0 when it is not an entity we know (then the '&' is
 * copied as it is).
 */
static size_t entity(const char *s, const char *end, char out[4], size_t *out_len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
	    {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
	const char *semi = memchr(s, ';', (size_t)(end - s) < 12 ? (size_t)(end - s) : 12);
	uint32_t c = 0;
	const char *p;

	if (!semi)
		return 0;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].name);

		if ((size_t)(semi + 1 - s) == n && !memcmp(s, named[i].name, n)) {
			out[0] = named[i].c;
			*out_len = 1;
			return n;
		}
	}
	if (semi - s < 3 || s[1] != '#')
		return 0;
	p = s + 2;
	if (*p == 'x' || *p == 'X') {
		if (++p == semi)
			return 0;
		for (; p < semi; p++) {
			int d = (*p >= '0' && *p <= '9')   ? *p - '0'
				: (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
				: (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
							   : -1;
			if (d < 0 || c > 0x10ffff)
				return 0;
			c = c * 16 + (uint32_t)d;
		}
	} else {
		for (; p < semi; p++) {
			if (*p < '0' || *p > '9' || c > 0x10ffff)
				return 0;
			c = c * 10 + (uint32_t)(*p - '0');
		}
	}
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*out_len = text_utf8(c, out);
	return (size_t)(semi + 1 - s);
}

/*
 * Unescaped s[0..n) into out[0..cap), NUL-terminated, truncated to fit
 * (never in the middle of a decoded entity). NUL bytes in the input end
 * the text.
 */
static void copy_text(char *out, size_t cap, const char *s, size_t n)
{
	const char *end = s + n;
	size_t o = 0;

	while (s < end && *s) {
		char tmp[4];
		size_t tlen = 1, used = 0;

		if (*s == '&')
			used = entity(s, end, tmp, &tlen);
		if (!used) {
			tmp[0] = *s;
			tlen = 1;
			used = 1;
		}
		if (o + tlen >= cap)
			break;
		memcpy(out + o, tmp, tlen);
		o += tlen;
		s += used;
	}
	out[o] = '\0';
}

/* Text of the element whose start tag is t: up to the next '<'. */
static void element_text(const struct tag *t, const char *end, char *out, size_t cap)
{
	const char *lt;

	if (t->empty) {
		out[0] = '\0';
		return;
	}
	lt = memchr(t->end, '<', (size_t)(end - t->end));
	copy_text(out, cap, t->end, (size_t)((lt ? lt : end) - t->end));
}

static void attr_copy(const struct tag *t, const char *name, char *out, size_t cap)
{
	const char *v;
	size_t n;

	if (tag_attr(t, name, &v, &n))
		copy_text(out, cap, v, n);
}

/* Append s[0..n) to out at *o, cut to leave room for the NUL of out[0..cap). */
static void put_cut(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (n > cap - 1 - *o)
		n = cap - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
}

/*
 * A <message> or <error>: its text with the first two "%s" replaced by the
 * param1 and param2 attributes (a Cisco headend writes its messages as
 * templates), blanks at either end trimmed, cut to fit out[0..cap).
 */
static void message_text(const struct tag *t, const char *end, char *out, size_t cap)
{
	char tmpl[AUTHXML_TEXT_MAX], param[2][AUTHXML_TEXT_MAX] = {"", ""};
	const char *s, *pct;
	size_t o = 0;
	int k = 0;

	element_text(t, end, tmpl, sizeof(tmpl));
	attr_copy(t, "param1", param[0], sizeof(param[0]));
	attr_copy(t, "param2", param[1], sizeof(param[1]));
	s = tmpl;
	while (is_space(*s))
		s++;
	while (k < 2 && (pct = strstr(s, "%s")) != NULL) {
		put_cut(out, cap, &o, s, (size_t)(pct - s));
		put_cut(out, cap, &o, param[k], strlen(param[k]));
		k++;
		s = pct + 2;
	}
	put_cut(out, cap, &o, s, strlen(s));
	out[o] = '\0';
	while (o > 0 && is_space(out[o - 1]))
		out[--o] = '\0';
}

/* ==== Parser ==== */

/*
 * End of the <opaque> element that t starts: one past its matching
 * </opaque>, counting nested opaque elements. NULL if it never closes.
 */
static const char *opaque_end(const struct tag *t, const char *end)
{
	const char *p = t->end;
	struct tag u;
	int depth = 1;

	if (t->empty)
		return t->end;
	while (next_tag(p, end, &u)) {
		p = u.end;
		if (!tag_is(&u, "opaque") || u.empty)
			continue;
		depth += u.closing ? -1 : 1;
		if (depth == 0)
			return u.end;
	}
	return NULL;
}

/* A <select>: recorded as an input; group_list options kept. */
static const char *parse_select(const struct tag *t, const char *end, struct authxml_form *f)
{
	struct authxml_input *in = NULL;
	bool groups;
	const char *p = t->end;
	struct tag u;

	if (f->n_inputs < AUTHXML_MAX_INPUTS) {
		in = &f->inputs[f->n_inputs++];
		attr_copy(t, "name", in->name, sizeof(in->name));
		strcpy(in->type, "select");
	}
	groups = in && !strcmp(in->name, "group_list");
	if (t->empty)
		return t->end;
	bool first = true;

	while (next_tag(p, end, &u)) {
		char value[AUTHXML_NAME_MAX], sel[8] = "";
		const char *v;
		size_t n;

		p = u.end;
		if (tag_is(&u, "select") && u.closing)
			break;
		if (!tag_is(&u, "option") || u.closing)
			continue;
		if (tag_attr(&u, "value", &v, &n))
			copy_text(value, sizeof(value), v, n);
		else
			element_text(&u, end, value, sizeof(value));
		attr_copy(&u, "selected", sel, sizeof(sel));
		/* the last option marked selected wins, as openconnect reads it */
		bool selected = !strcasecmp(sel, "true");

		if (in && (first || selected))
			strcpy(in->value, value);
		first = false;
		if (groups && f->n_options < AUTHXML_MAX_OPTIONS) {
			if (selected)
				f->selected = f->n_options;
			strcpy(f->options[f->n_options++], value);
		}
	}
	return p;
}

int authxml_parse(const char *body, size_t len, struct authxml_form *out)
{
	const char *p = body, *end = body + len;
	bool root = false, have_message = false, have_error = false;
	struct tag t;

	memset(out, 0, sizeof(*out));
	out->selected = -1;

	while (next_tag(p, end, &t)) {
		p = t.end;
		if (!root) {
			char type[AUTHXML_NAME_MAX] = "";

			if (t.closing || !tag_is(&t, "config-auth"))
				return -EBADMSG;
			root = true;
			attr_copy(&t, "type", type, sizeof(type));
			if (!strcmp(type, "auth-request"))
				out->type = AUTHXML_AUTH_REQUEST;
			else if (!strcmp(type, "complete"))
				out->type = AUTHXML_COMPLETE;
			continue;
		}
		if (t.closing)
			continue;

		if (tag_is(&t, "auth")) {
			attr_copy(&t, "id", out->auth_id, sizeof(out->auth_id));
			if (!strcmp(out->auth_id, "success"))
				out->success = true;
		} else if (tag_is(&t, "authentication-complete")) {
			out->success = true;
		} else if (tag_is(&t, "client-cert-request")) {
			out->client_cert_request = true;
		} else if (tag_is(&t, "cert-authenticated")) {
			out->cert_authenticated = true;
		} else if (tag_is(&t, "message") && !have_message) {
			have_message = true;
			message_text(&t, end, out->message, sizeof(out->message));
		} else if (tag_is(&t, "error") && !have_error) {
			char id[16] = "";

			have_error = true;
			message_text(&t, end, out->error, sizeof(out->error));
			attr_copy(&t, "id", id, sizeof(id));
			out->error_id = atoi(id);
		} else if (tag_is(&t, "form")) {
			attr_copy(&t, "action", out->action, sizeof(out->action));
		} else if (tag_is(&t, "input")) {
			struct authxml_input *in;

			if (out->n_inputs >= AUTHXML_MAX_INPUTS)
				continue;
			in = &out->inputs[out->n_inputs++];
			attr_copy(&t, "name", in->name, sizeof(in->name));
			attr_copy(&t, "type", in->type, sizeof(in->type));
			attr_copy(&t, "value", in->value, sizeof(in->value));
			if (in->type[0] == '\0')
				strcpy(in->type, "text");
		} else if (tag_is(&t, "select")) {
			p = parse_select(&t, end, out);
		} else if (tag_is(&t, "opaque")) {
			const char *oe = opaque_end(&t, end);

			if (!oe)
				break;
			if (!out->opaque) {
				out->opaque = t.start;
				out->opaque_off = (size_t)(t.start - body);
				out->opaque_len = (size_t)(oe - t.start);
			}
			p = oe;
		} else if (tag_is(&t, "session-token")) {
			const char *v, *lt;
			size_t n;

			if (t.empty)
				continue;
			v = t.end;
			lt = memchr(v, '<', (size_t)(end - v));
			if (!lt)
				lt = end;
			while (v < lt && is_space(*v))
				v++;
			while (lt > v && is_space(lt[-1]))
				lt--;
			n = (size_t)(lt - v);
			if (n >= sizeof(out->session_token))
				return -EMSGSIZE;
			copy_text(out->session_token, sizeof(out->session_token), v, n);
			out->has_session_token = true;
		}
	}
	return root ? 0 : -EBADMSG;
}
