/*
 * report/jsonread.h - a small JSON reader, to read report.json back.
 *
 * Parses a whole document (RFC 8259: objects, arrays, strings with every
 * escape, numbers, true, false, null) into a tree of struct jval that the
 * caller walks and frees:
 *
 *	struct jval *doc = jval_load("run/report.json", err, sizeof(err));
 *
 *	up = jval_u64(jval_path(doc, "phones.tunnels_up"), 0);
 *	jval_free(doc);
 *
 * Accessors take NULL and values of the wrong type, answering the default
 * given, so a missing member needs no special case. Nesting is limited to
 * JVAL_MAX_DEPTH levels; a string may not hold U+0000.
 */
#ifndef REPORT_JSONREAD_H
#define REPORT_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JVAL_MAX_DEPTH 64

enum jval_type { JVAL_NULL, JVAL_BOOL, JVAL_NUM, JVAL_STR, JVAL_ARR, JVAL_OBJ };

struct jval {
	enum jval_type type;
	bool b;		    /* JVAL_BOOL */
	bool is_u64;	    /* JVAL_NUM written as a whole number 0..UINT64_MAX: u is exact */
	double num;	    /* JVAL_NUM */
	uint64_t u;	    /* JVAL_NUM with is_u64 */
	char *str;	    /* JVAL_STR: UTF-8, NUL-terminated */
	struct jval *items; /* JVAL_ARR, JVAL_OBJ: n elements, in document order */
	char **keys;	    /* JVAL_OBJ: their names */
	size_t n;
};

/*
 * Parses text[0..len) (one value, blanks around it allowed). NULL on error,
 * with "line L, column C: what" in err, or out of memory.
 */
struct jval *jval_parse(const char *text, size_t len, char *err, size_t errlen);

/* Reads and parses the file at path; errors are prefixed with path. */
struct jval *jval_load(const char *path, char *err, size_t errlen);

/* Frees a tree from jval_parse()/jval_load(); NULL is allowed. */
void jval_free(struct jval *v);

/* The member key of object v (the last one, if repeated); NULL if none or v is no object. */
const struct jval *jval_get(const struct jval *v, const char *key);

/* Members by a dotted path ("latency_us.time_to_tunnel.p99"); NULL if any step is missing. */
const struct jval *jval_path(const struct jval *v, const char *path);

/* A number as a double, or dflt. */
double jval_num(const struct jval *v, double dflt);

/* A number as uint64_t: exact when written as a whole number; else rounded if in range; or dflt. */
uint64_t jval_u64(const struct jval *v, uint64_t dflt);

/* A string, or dflt. */
const char *jval_str(const struct jval *v, const char *dflt);

#endif
