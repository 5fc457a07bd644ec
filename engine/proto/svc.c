/*
 * engine/proto/svc.c - the IP phone's own login exchange (svc.h).
 *
 * Two requests built on anyconnect.c's common head, and one pass over the
 * answer's Set-Cookie headers that notes what the phone looks for: a
 * webvpn cookie (expired, or carrying the session) and a single webvpnlogin
 * with a value. The body is only glanced at, to say what answered when it
 * was not the phone's login (the desktop XML login, an HTML page).
 */
#include "engine/proto/svc.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "engine/proto/text.h"

/* ==== Requests ==== */

/* A byte that form encoding keeps as it is. */
static bool form_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* s, application/x-www-form-urlencoded. */
static void put_form_value(struct text *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};

		if (form_plain(*c))
			text_put_n(w, (const char *)c, 1);
		else if (*c == ' ')
			text_put(w, "+");
		else
			text_put_n(w, esc, 3);
	}
}

/* What both requests carry after the common head. */
static void put_common(struct text *w)
{
	text_header(w, "Accept", "*/*");
	text_header(w, "X-Transcend-Version", "1");
}

int svc_get_request(char *buf, size_t cap, const struct ac_request *rq, const char *path)
{
	struct text w;

	text_init(&w, buf, cap);
	if (ac_request_head(&w, "GET", rq, path))
		return -EINVAL;
	put_common(&w);
	text_put(&w, "\r\n");
	return text_result(&w);
}

int svc_post_request(char *buf, size_t cap, const struct ac_request *rq, const char *path,
		     const char *username, const char *password)
{
	char body[1024];
	struct text w, b;
	int bl;

	if (!username != !password)
		return -EINVAL;
	text_init(&b, body, sizeof(body));
	if (username) {
		text_put(&b, "username=");
		put_form_value(&b, username);
		text_put(&b, "&password=");
		put_form_value(&b, password);
	}
	bl = text_result(&b);
	if (bl < 0)
		return bl;

	text_init(&w, buf, cap);
	if (ac_request_head(&w, "POST", rq, path))
		return -EINVAL;
	put_common(&w);
	text_header(&w, "Content-Type", "application/x-www-form-urlencoded");
	text_put(&w, "Content-Length: ");
	text_put_u32(&w, (uint32_t)bl);
	text_put(&w, "\r\n\r\n");
	text_put_n(&w, body, (size_t)bl);
	return text_result(&w);
}

/* ==== Answers ==== */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [p, end) with blanks trimmed on both sides. */
static void trim(const char **p, const char **end)
{
	while (*p < *end && is_blank(**p))
		(*p)++;
	while (*end > *p && is_blank((*end)[-1]))
		(*end)--;
}

static bool span_is(const char *p, const char *end, const char *s)
{
	return (size_t)(end - p) == strlen(s) && !memcmp(p, s, (size_t)(end - p));
}

/* Does [p, end) hold s, compared case-insensitively? */
static bool span_has(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(p + i, s, k))
			return true;
	return false;
}

/* One cookie of a Set-Cookie value: its name, value, and whether it has expires=. */
struct cookie {
	const char *name, *name_end;
	const char *value, *value_end; /* value == value_end: no value (or no '=') */
	bool expires;
};

static void read_cookie(const struct http_header *h, struct cookie *c)
{
	const char *p = h->value, *end = h->value + h->value_len;
	const char *semi = memchr(p, ';', h->value_len);
	const char *first_end = semi ? semi : end;
	const char *eq = memchr(p, '=', (size_t)(first_end - p));

	c->name = p;
	c->name_end = eq ? eq : first_end;
	trim(&c->name, &c->name_end);
	c->value = eq ? eq + 1 : first_end;
	c->value_end = first_end;
	trim(&c->value, &c->value_end);
	c->expires = false;
	/* attributes: "; expires=...", "; path=/", "; secure" */
	for (const char *a = semi; a && a < end;) {
		const char *next = memchr(a + 1, ';', (size_t)(end - a - 1));
		const char *an = a + 1, *aend = next ? next : end;
		const char *aeq = memchr(an, '=', (size_t)(aend - an));

		if (aeq)
			aend = aeq;
		trim(&an, &aend);
		if ((size_t)(aend - an) == 7 && !strncasecmp(an, "expires", 7))
			c->expires = true;
		a = next;
	}
}

static enum svc_body body_kind(const struct http_response *resp, const char *body, size_t len)
{
	struct http_header ct;
	bool has_ct = http_header(resp, "Content-Type", &ct);

	if (span_has(body, len, "<config-auth"))
		return SVC_BODY_XML;
	if ((has_ct && span_has(ct.value, ct.value_len, "html")) || span_has(body, len, "<html"))
		return SVC_BODY_HTML;
	return len ? SVC_BODY_OTHER : SVC_BODY_EMPTY;
}

int svc_classify(const struct http_response *resp, const char *body, size_t body_len,
		 struct svc_reply *out)
{
	struct http_header h;
	bool login_value = false, session = false;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->status = resp->status;
	out->body = body_kind(resp, body, body_len);
	for (int i = 0; (i = http_header_find(resp, "Set-Cookie", i, &h)) >= 0; i++) {
		struct cookie c;
		size_t vlen;

		read_cookie(&h, &c);
		vlen = (size_t)(c.value_end - c.value);
		if (span_is(c.name, c.name_end, "webvpn")) {
			out->webvpn_seen = true;
			out->webvpn_expires |= c.expires;
			if (!vlen)
				continue;
			/* the last non-empty value wins, as a cookie jar keeps it */
			session = true;
			if (vlen >= sizeof(out->cookie)) {
				out->cookie[0] = '\0';
				err = -EMSGSIZE;
				continue;
			}
			memcpy(out->cookie, c.value, vlen);
			out->cookie[vlen] = '\0';
			err = 0;
		} else if (span_is(c.name, c.name_end, "webvpnlogin")) {
			out->n_login++;
			login_value = vlen > 0;
		}
	}

	if (resp->status >= 300 && resp->status < 400) {
		struct http_header loc;

		out->answer = SVC_REDIRECT;
		if (http_header(resp, "Location", &loc)) {
			out->location = loc.value;
			out->location_len = loc.value_len;
		}
	} else if (resp->status == 401) {
		out->answer = SVC_UNAUTHORIZED;
	} else if (resp->status != 200) {
		out->answer = SVC_STATUS;
	} else if (session) {
		out->answer = SVC_SESSION;
	} else if (!out->webvpn_seen) {
		out->answer = SVC_NO_WEBVPN;
	} else if (out->n_login == 0) {
		out->answer = SVC_NO_LOGIN;
	} else if (out->n_login > 1) {
		out->answer = SVC_LOGIN_TWICE;
	} else if (!login_value) {
		out->answer = SVC_EMPTY_LOGIN;
	} else {
		out->answer = SVC_LOGIN_PAGE;
	}
	if (out->answer != SVC_SESSION) {
		out->cookie[0] = '\0'; /* a cookie counts only on a 200 */
		return 0;
	}
	return err;
}

const char *svc_answer_name(enum svc_answer a)
{
	static const char *const names[] = {
		[SVC_LOGIN_PAGE] = "the phone's login page (webvpnlogin)",
		[SVC_SESSION] = "a session cookie",
		[SVC_NO_WEBVPN] = "no webvpn cookie",
		[SVC_NO_LOGIN] = "no webvpnlogin cookie",
		[SVC_EMPTY_LOGIN] = "a webvpnlogin cookie without a value",
		[SVC_LOGIN_TWICE] = "webvpnlogin set more than once",
		[SVC_REDIRECT] = "a redirect",
		[SVC_UNAUTHORIZED] = "401",
		[SVC_STATUS] = "an HTTP error",
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) && names[a] ? names[a] : "?";
}

const char *svc_body_name(enum svc_body b)
{
	static const char *const names[] = {
		[SVC_BODY_EMPTY] = "no body",
		[SVC_BODY_XML] = "the desktop AnyConnect XML login",
		[SVC_BODY_HTML] = "an HTML page",
		[SVC_BODY_OTHER] = "a body of another kind",
	};

	return (unsigned)b < sizeof(names) / sizeof(names[0]) ? names[b] : "?";
}
