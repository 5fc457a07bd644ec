/*
 * tests/unit/test_docs.c - the repository's Markdown stands alone.
 *
 * Every link of every Markdown file of the repository (build trees and
 * hidden folders aside) is checked: a relative link must name a file or
 * folder inside the repository, and its #anchor, when given, a heading of
 * that file as GitHub makes anchors (or an <a name/id>); a link with a
 * scheme (https:, mailto:...) or a bare web address points outside and is
 * refused, as is any mention of the project's private notes (../shared).
 * Then the reference is held to the code: docs/scenario.md describes each
 * scenario key, event key and event action phoneswarm knows, exactly once,
 * and docs/failures.md has a heading for each failure reason.
 *
 * The checker itself is tested first, on small files made for it, so that
 * a checker that finds nothing cannot pass for a clean repository.
 * Run from the repository's root (tests/run-unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "engine/reason.h"
#include "loadgen/event.h"
#include "loadgen/scenario_keys.h"

#define MAX_FILES 256
#define MAX_ANCHORS 512

/* ==== Reading files ==== */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool is_fence(const char *line)
{
	while (*line == ' ')
		line++;
	return !strncmp(line, "```", 3) || !strncmp(line, "~~~", 3);
}

/* ==== GitHub's anchors ==== */

/*
 * The anchor GitHub gives a heading: its text as rendered (code marks and
 * emphasis gone, a link's text kept), lower case, every character that is
 * not a letter, a digit, a space, '-' or '_' dropped, spaces made '-'.
 */
static void md_slug(const char *heading, char *out, size_t len)
{
	char text[1024];
	size_t t = 0, o = 0;
	mbstate_t st;

	/* the rendered text: drop ` and *, keep [text] of [text](url) */
	for (const char *p = heading; *p && t + 1 < sizeof(text); p++) {
		if (*p == '`' || *p == '*')
			continue;
		if (*p == ']' && p[1] == '(') {
			const char *close = strchr(p, ')');

			if (close) {
				p = close;
				continue;
			}
		}
		text[t++] = *p;
	}
	text[t] = '\0';

	memset(&st, 0, sizeof(st));
	for (const char *p = text; *p && o + 8 < len;) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, strlen(p), &st);

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof(st));
			p++;
			continue;
		}
		if (wc == L' ') {
			out[o++] = '-';
		} else if (wc == L'-' || wc == L'_' || iswalnum((wint_t)wc)) {
			char mb[MB_LEN_MAX];
			mbstate_t ws;
			size_t k;

			memset(&ws, 0, sizeof(ws));
			k = wcrtomb(mb, (wchar_t)towlower((wint_t)wc), &ws);
			if (k != (size_t)-1 && o + k < len) {
				memcpy(out + o, mb, k);
				o += k;
			}
		}
		p += n;
	}
	out[o] = '\0';
}

/* The anchors of a Markdown text: headings (with -1, -2... for repeats) and <a name/id>. */
static int md_anchors(const char *text, char (*anchors)[128], int max)
{
	int n = 0;
	bool code = false;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = end ? end + 1 : NULL;
		if (is_fence(buf)) {
			code = !code;
			continue;
		}
		if (code)
			continue;
		if (buf[0] == '#') {
			char *h = buf;
			char slug[128];
			int same = 0;

			while (*h == '#')
				h++;
			while (*h == ' ')
				h++;
			md_slug(h, slug, sizeof(slug));
			for (int i = 0; i < n; i++) {
				char base[128];

				snprintf(base, sizeof(base), "%s", anchors[i]);
				if (!strcmp(base, slug))
					same++;
			}
			if (n < max) {
				if (same)
					snprintf(anchors[n], 128, "%.100s-%d", slug, same);
				else
					snprintf(anchors[n], 128, "%s", slug);
				n++;
			}
		}
		for (char *a = strstr(buf, "<a "); a && n < max; a = strstr(a + 1, "<a ")) {
			char *q = strstr(a, "name=\"");

			if (!q || (strchr(a, '>') && q > strchr(a, '>')))
				q = strstr(a, "id=\"");
			if (!q)
				continue;
			q = strchr(q, '"') + 1;
			snprintf(anchors[n], 128, "%.*s", (int)strcspn(q, "\""), q);
			n++;
		}
	}
	return n;
}

/* ==== Links ==== */

struct checker {
	const char *root; /* the repository: no link may leave it */
	bool quiet;       /* errors kept in msgs only (the checker's own test) */
	int errors;
	char msgs[4096];  /* the first errors, for the failure message */
};

static void complain(struct checker *c, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	size_t off = strlen(c->msgs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->quiet)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	if (off < sizeof(c->msgs) - 1)
		snprintf(c->msgs + off, sizeof(c->msgs) - off, "%s:%d: %s\n", file, line, msg);
	c->errors++;
}

/* path, resolved against dir and made canonical without touching the disk. */
static bool resolve(const char *dir, const char *rel, char *out, size_t len)
{
	char tmp[PATH_MAX * 2];
	char *parts[256], *save = NULL, *tok;
	int n = 0;
	size_t o = 0;

	snprintf(tmp, sizeof(tmp), "%s/%s", rel[0] == '/' ? "" : dir, rel);
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n == 0)
				return false; /* above the root */
			n--;
			continue;
		}
		if (n < 256)
			parts[n++] = tok;
	}
	out[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "/" : "", parts[i]);
	if (n == 0)
		snprintf(out, len, ".");
	return true;
}

/* One link target found at file:line (file relative to the root). */
static void check_target(struct checker *c, const char *file, int line, const char *target)
{
	char path[PATH_MAX], dir[PATH_MAX], full[PATH_MAX * 2], rel[PATH_MAX];
	const char *hash = strchr(target, '#');
	size_t plen = hash ? (size_t)(hash - target) : strlen(target);
	struct stat st;
	const char *colon = strchr(target, ':');

	if (colon && (!hash || colon < hash) && colon > target) {
		bool scheme = true;

		for (const char *p = target; p < colon; p++)
			scheme &= isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-';
		if (scheme) {
			complain(c, file, line, "%s: points outside the repository", target);
			return;
		}
	}
	snprintf(path, sizeof(path), "%.*s", (int)plen, target);
	snprintf(dir, sizeof(dir), "%s", file);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (plen == 0) {
		snprintf(rel, sizeof(rel), "%s", file);
	} else if (!resolve(target[0] == '/' ? "." : dir, target[0] == '/' ? path + 1 : path, rel,
			    sizeof(rel))) {
		complain(c, file, line, "%s: points outside the repository", target);
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", c->root, rel);
	if (stat(full, &st) != 0) {
		complain(c, file, line, "%s: no such file (%s)", target, rel);
		return;
	}
	if (!hash || !hash[1])
		return;
	if (!S_ISREG(st.st_mode) || strlen(rel) < 3 || strcmp(rel + strlen(rel) - 3, ".md")) {
		complain(c, file, line, "%s: an anchor into %s, which is not Markdown", target, rel);
		return;
	}
	{
		static char anchors[MAX_ANCHORS][128];
		char *text = slurp(full);
		int n = text ? md_anchors(text, anchors, MAX_ANCHORS) : 0;
		bool found = false;

		for (int i = 0; i < n && !found; i++)
			found = !strcmp(anchors[i], hash + 1);
		if (!found)
			complain(c, file, line, "%s: no heading with anchor #%s in %s", target, hash + 1,
				 rel);
		free(text);
	}
}

/* Every link of one Markdown file (path relative to the root). */
static void check_file(struct checker *c, const char *file)
{
	char full[PATH_MAX * 2];
	char *text;
	bool code = false;
	int lineno = 0;

	snprintf(full, sizeof(full), "%s/%s", c->root, file);
	text = slurp(full);
	if (!text) {
		complain(c, file, 0, "cannot read");
		return;
	}
	if (strstr(text, "../shared") || strstr(text, "shared/docs/"))
		complain(c, file, 0, "mentions the project's private notes (../shared)");
	for (char *line = text; line;) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		lineno++;
		if (is_fence(line)) {
			code = !code;
		} else if (!code) {
			const char *p = line;
			const char *def = line;

			/* a reference definition: [id]: target */
			while (*def == ' ')
				def++;
			if (*def == '[' && strstr(def, "]:") && strstr(def, "]:") == strchr(def, ']')) {
				char target[1024];

				if (sscanf(strstr(def, "]:") + 2, " %1023s", target) == 1)
					check_target(c, file, lineno, target);
			}
			while (*p) {
				if (*p == '`') { /* a code span: nothing in it is a link */
					size_t ticks = strspn(p, "`");
					char fence[16];
					const char *close;

					snprintf(fence, sizeof(fence), "%.*s", (int)(ticks < 15 ? ticks : 15), p);
					close = strstr(p + ticks, fence);
					p = close ? close + ticks : p + ticks;
					continue;
				}
				if (!strncmp(p, "](", 2)) {
					char target[1024];
					size_t n = strcspn(p + 2, ") ");

					if (n && n < sizeof(target)) {
						snprintf(target, sizeof(target), "%.*s", (int)n, p + 2);
						if (target[0] == '<' && target[n - 1] == '>')
							snprintf(target, sizeof(target), "%.*s", (int)n - 2, p + 3);
						check_target(c, file, lineno, target);
					}
					p += 2 + n;
					continue;
				}
				if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8) ||
				    !strncmp(p, "www.", 4)) {
					complain(c, file, lineno, "%.60s: a web address (GitHub links it)", p);
					p += strcspn(p, " )>");
					continue;
				}
				p++;
			}
		}
		line = end ? end + 1 : NULL;
	}
	free(text);
}

/* ==== Walking the repository ==== */

static char md_files[MAX_FILES][PATH_MAX];
static int n_found;
static size_t root_len;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	size_t len = strlen(path);

	(void)st;
	if (type == FTW_D && ftw->level > 0 &&
	    (base[0] == '.' || !strncmp(base, "build", 5)))
		return FTW_SKIP_SUBTREE;
	if (type == FTW_F && len > 3 && !strcmp(path + len - 3, ".md") && n_found < MAX_FILES)
		snprintf(md_files[n_found++], PATH_MAX, "%s", path + root_len + 1);
	return FTW_CONTINUE;
}

static int markdown_files(const char *root)
{
	n_found = 0;
	root_len = strlen(root);
	nftw(root, walk_one, 16, FTW_ACTIONRETVAL | FTW_PHYS);
	return n_found;
}

/* ==== The checker, tried on files made to fail ==== */

static void test_slugs(void **state)
{
	static const struct {
		const char *heading, *anchor;
	} cases[] = {
	    {"Overrides: `-s`", "overrides--s"},
	    {"Events: `[event.NAME]`", "events-eventname"},
	    {"`cert-renewal.ini`", "cert-renewalini"},
	    {"report.json", "reportjson"},
	    {"Reading the headend's side", "reading-the-headends-side"},
	    {"`[headend]`: where the phones go, and what they trust",
	     "headend-where-the-phones-go-and-what-they-trust"},
	    {"Prometheus: `--metrics-listen`", "prometheus---metrics-listen"},
	    {"Against a [real](x.md) headend", "against-a-real-headend"},
	    {"Latency in µs → ms", "latency-in-µs--ms"},
	    {"stop_p99 and *i*", "stop_p99-and-i"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[128];

		md_slug(cases[i].heading, got, sizeof(got));
		if (strcmp(got, cases[i].anchor))
			fail_msg("heading \"%s\": expected anchor \"%s\", got \"%s\"", cases[i].heading,
				 cases[i].anchor, got);
	}
}

static void test_anchor_repeats(void **state)
{
	static char anchors[8][128];
	int n = md_anchors("# A\n## Notes\n```\n## Not a heading\n```\n## Notes\n<a name=\"here\"></a>\n",
			   anchors, 8);

	(void)state;
	assert_int_equal(n, 4);
	assert_string_equal(anchors[0], "a");
	assert_string_equal(anchors[1], "notes");
	assert_string_equal(anchors[2], "notes-1");
	assert_string_equal(anchors[3], "here");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Each broken link of a made-up tree is found, and nothing else. */
static void test_checker_finds_broken_links(void **state)
{
	char root[] = "/tmp/psw-docs-XXXXXX", sub[PATH_MAX], cmd[PATH_MAX + 16];
	struct checker c = {.quiet = true};

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(sub, sizeof(sub), "%s/docs", root);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(root, "README.md",
		   "# Top\n"
		   "[ok](docs/b.md) [ok](docs/b.md#second-part) [ok](#top) [ok](docs/)\n"
		   "[bad file](docs/missing.md)\n"
		   "[bad anchor](docs/b.md#nowhere)\n"
		   "[outside](../elsewhere.md)\n"
		   "[web](https://example.com/) and see www.example.com\n"
		   "`[not a link](nowhere.md)` and\n"
		   "```\n[in code](nowhere.md)\n```\n"
		   "[ref]: docs/gone.md\n");
	write_file(sub, "b.md", "# B\n## Second part\nBack [up](../README.md#top), "
				"and ../shared/docs/x.md\n");
	c.root = root;
	assert_int_equal(markdown_files(root), 2);
	for (int i = 0; i < n_found; i++)
		check_file(&c, md_files[i]);
	/* missing.md, #nowhere, ../elsewhere.md, https, www, [ref], ../shared */
	if (c.errors != 7)
		fail_msg("expected 7 errors, got %d:\n%s", c.errors, c.msgs);
	assert_non_null(strstr(c.msgs, "README.md:3: docs/missing.md: no such file"));
	assert_non_null(strstr(c.msgs, "README.md:4: docs/b.md#nowhere: no heading"));
	assert_non_null(strstr(c.msgs, "README.md:5: ../elsewhere.md: points outside"));
	assert_non_null(strstr(c.msgs, "README.md:11: docs/gone.md: no such file"));
	assert_non_null(strstr(c.msgs, "docs/b.md:0: mentions the project's private notes"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

/* ==== The repository ==== */

static void test_repository_links(void **state)
{
	struct checker c = {.root = "."};
	int n = markdown_files(".");

	(void)state;
	/* README.md, NOTES.md, scenarios/README.md and docs/ at least */
	if (n < 8)
		fail_msg("found only %d Markdown files: not run from the repository's root?", n);
	for (int i = 0; i < n; i++)
		check_file(&c, md_files[i]);
	if (c.errors)
		fail_msg("%d broken link(s) in the Markdown:\n%s", c.errors, c.msgs);
}

/* The backquoted words of a table's first cell, each passed to fn. */
static void first_cell_words(const char *row, void (*fn)(const char *word, void *arg), void *arg)
{
	const char *end = strchr(row + 1, '|');

	for (const char *p = strchr(row, '`'); p && (!end || p < end); p = strchr(p + 1, '`')) {
		const char *q = strchr(p + 1, '`');
		char word[128];

		if (!q || (end && q > end))
			break;
		snprintf(word, sizeof(word), "%.*s", (int)(q - p - 1), p + 1);
		fn(word, arg);
		p = q;
	}
}

/* The rows of the tables between the heading "start" and the next "## " heading. */
static void section_rows(const char *text, const char *start, const char *first_header,
			 void (*fn)(const char *word, void *arg), void *arg)
{
	const char *s = strstr(text, start);
	const char *stop;
	bool in_table = false;

	if (!s)
		fail_msg("docs/scenario.md: no \"%s\"", start);
	stop = strstr(s + strlen(start), "\n## ");
	for (const char *line = strchr(s, '\n'); line && (!stop || line < stop);
	     line = strchr(line + 1, '\n')) {
		const char *l = line + 1;

		if (strncmp(l, "|", 1)) {
			in_table = false;
			continue;
		}
		if (!in_table) { /* the header row */
			in_table = !strncmp(l, first_header, strlen(first_header));
			continue;
		}
		if (!strncmp(l, "|---", 4))
			continue;
		first_cell_words(l, fn, arg);
	}
}

struct seen {
	int count[K__COUNT];
	char unknown[512];
};

/* " word" added to a list of names kept in buf. */
static void note(char *buf, size_t len, const char *prefix, const char *word)
{
	size_t off = strlen(buf);

	snprintf(buf + off, len - off, " %s%s", prefix, word);
}

static void see_key(const char *word, void *arg)
{
	struct seen *s = arg;
	const char *dot = strchr(word, '.');
	char section[64];
	int k;

	if (!dot)
		return;
	snprintf(section, sizeof(section), "%.*s", (int)(dot - word), word);
	k = scenario_keys_find(section, dot + 1);
	if (k < 0) {
		note(s->unknown, sizeof(s->unknown), "", word);
		return;
	}
	s->count[k]++;
}

/* Every key of loadgen/scenario_keys.c in docs/scenario.md's tables, once; no other. */
static void test_scenario_keys_documented(void **state)
{
	char *text = slurp("docs/scenario.md");
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_non_null(text);
	section_rows(text, "\n## Keys\n", "| key |", see_key, &s);
	if (s.unknown[0])
		fail_msg("docs/scenario.md documents keys phoneswarm does not know:%s", s.unknown);
	for (int k = 0; k < K__COUNT; k++) {
		if (s.count[k] != 1)
			fail_msg("docs/scenario.md: key %s.%s is described %d times (want once)",
				 scenario_keys[k].section, scenario_keys[k].name, s.count[k]);
	}
	free(text);
}

struct ev_seen {
	int keys, actions;
	bool action_seen[EV__COUNT];
	char bad[512];
};

static void see_event_key(const char *word, void *arg)
{
	struct ev_seen *s = arg;
	static struct timeline_spec tl;
	char why[256] = "";

	memset(&tl, 0, sizeof(tl));
	event_set(&tl, "e", word, "x", 1, 1, why, sizeof(why));
	if (strstr(why, "unknown key"))
		note(s->bad, sizeof(s->bad), "", word);
	s->keys++;
}

static void see_action(const char *word, void *arg)
{
	struct ev_seen *s = arg;

	for (int a = 0; a < EV__COUNT; a++) {
		if (!strcmp(word, event_action_name((enum event_action)a))) {
			s->action_seen[a] = true;
			s->actions++;
			return;
		}
	}
	note(s->bad, sizeof(s->bad), "action ", word);
}

/* The event keys and actions: as many as loadgen/event.c has, each one it accepts. */
static void test_event_keys_documented(void **state)
{
	char *text = slurp("docs/scenario.md");
	struct ev_seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_non_null(text);
	section_rows(text, "\n## Events: `[event.NAME]`\n", "| key |", see_event_key, &s);
	section_rows(text, "\n## Events: `[event.NAME]`\n", "| action |", see_action, &s);
	if (s.bad[0])
		fail_msg("docs/scenario.md documents event keys or actions phoneswarm does not know:%s",
			 s.bad);
	if (s.keys != EVENT_KEYS)
		fail_msg("docs/scenario.md describes %d event keys, loadgen/event.c has %d", s.keys,
			 EVENT_KEYS);
	for (int a = 0; a < EV__COUNT; a++) {
		if (!s.action_seen[a])
			fail_msg("docs/scenario.md does not describe the event action %s",
				 event_action_name((enum event_action)a));
	}
	assert_int_equal(s.actions, EV__COUNT);
	free(text);
}

/* Each failure reason has its own heading in docs/failures.md. */
static void test_failure_reasons_documented(void **state)
{
	static char anchors[MAX_ANCHORS][128];
	char *text = slurp("docs/failures.md");
	int n;

	(void)state;
	assert_non_null(text);
	n = md_anchors(text, anchors, MAX_ANCHORS);
	for (int r = 1; r < R__COUNT; r++) {
		char want[128];
		bool found = false;

		md_slug(reason_name((enum reason)r), want, sizeof(want));
		for (int i = 0; i < n && !found; i++)
			found = !strcmp(anchors[i], want);
		if (!found)
			fail_msg("docs/failures.md has no heading for the reason %s (anchor #%s)",
				 reason_name((enum reason)r), want);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slugs),
	    cmocka_unit_test(test_anchor_repeats),
	    cmocka_unit_test(test_checker_finds_broken_links),
	    cmocka_unit_test(test_repository_links),
	    cmocka_unit_test(test_scenario_keys_documented),
	    cmocka_unit_test(test_event_keys_documented),
	    cmocka_unit_test(test_failure_reasons_documented),
	};

	/* GitHub's anchors keep letters beyond ASCII: classify them as UTF-8 */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
