/*
 * report/csvread.c - reads back phoneswarm's CSV files (csvread.h).
 */
#include "report/csvread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int csv_load(const char *path, struct csv *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, cells_cap = 0;
	char *line, *next;
	unsigned lineno = 0;

	memset(c, 0, sizeof(*c));
	if (!f) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (getdelim(&c->text, &cap, '\0', f) < 0) {
		/* an empty file: getdelim() may have made a buffer and put nothing in it */
		if (!c->text || ferror(f)) {
			fclose(f);
			snprintf(err, errlen, "%s: cannot be read", path);
			return -1;
		}
		c->text[0] = '\0';
	}
	fclose(f);
	for (line = c->text; line && *line; line = next) {
		size_t n = 0;
		char *cell = line;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (!*line)
			continue;
		if (!c->header) {
			c->header = strdup(line);
			if (!c->header)
				goto oom;
			c->ncols = 1;
			for (char *p = line; *p; p++)
				c->ncols += *p == ',';
			continue;
		}
		if (cells_cap < (c->nrows + 1) * c->ncols) {
			char **cells;

			cells_cap = cells_cap ? cells_cap * 2 : 64 * c->ncols;
			cells = realloc(c->cells, cells_cap * sizeof(*cells));
			if (!cells)
				goto oom;
			c->cells = cells;
		}
		for (char *p = line;; p++) {
			if (*p != ',' && *p)
				continue;
			if (n == c->ncols) {
				n++; /* one too many */
				break;
			}
			c->cells[c->nrows * c->ncols + n++] = cell;
			if (!*p)
				break;
			*p = '\0';
			cell = p + 1;
		}
		if (n != c->ncols) {
			snprintf(err, errlen, "%s:%u: %s cells than the header's %zu", path, lineno,
				 n > c->ncols ? "more" : "fewer", c->ncols);
			return -1;
		}
		c->nrows++;
	}
	if (!c->header) {
		snprintf(err, errlen, "%s: empty", path);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

void csv_free(struct csv *c)
{
	free(c->text);
	free(c->header);
	free(c->cells);
	memset(c, 0, sizeof(*c));
}

const char *csv_name(const struct csv *c, size_t k, char *buf, size_t len)
{
	const char *p = c->header;
	size_t n;

	for (size_t i = 0; i < k && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	n = p ? strcspn(p, ",") : 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p ? p : "", n);
	buf[n] = '\0';
	return buf;
}

int csv_col(const struct csv *c, const char *name)
{
	char buf[128];

	for (size_t k = 0; k < c->ncols; k++)
		if (!strcmp(csv_name(c, k, buf, sizeof(buf)), name))
			return (int)k;
	return -1;
}

const char *csv_cell(const struct csv *c, size_t row, size_t col)
{
	return c->cells[row * c->ncols + col];
}
