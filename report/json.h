/*
 * report/json.h - a small streaming JSON writer, for report.json.
 *
 * Values go straight to a stdio stream as they are given; the writer only
 * remembers, for each open object or array, whether it already holds an
 * element, so commas, newlines and two-space indentation come out right:
 *
 *	struct json j;
 *
 *	json_open(&j, f);
 *	json_obj_begin(&j, NULL);
 *	json_uint(&j, "count", 12);
 *	json_obj_end(&j);
 *	if (json_close(&j) < 0) ...
 *
 * The struct is visible so it can live on the caller's stack; its fields
 * are private. Misuse (a missing key inside an object, a key inside an
 * array, more than JSON_MAX_DEPTH levels, an end that matches no begin)
 * is remembered, writing stops there, and json_close() reports it.
 */
#ifndef REPORT_JSON_H
#define REPORT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16 /* nested objects and arrays */

struct json {
	FILE *f;		       /* borrowed: the caller opens and closes it */
	int err;		       /* first misuse, -EINVAL; 0 if none */
	unsigned depth;		       /* containers open */
	bool done;		       /* the top-level value is complete */
	bool has_elem[JSON_MAX_DEPTH]; /* container i holds an element already */
	bool is_obj[JSON_MAX_DEPTH];   /* container i is an object (else array) */
};

/* Starts a document written to f. f stays the caller's. */
void json_open(struct json *j, FILE *f);

/*
 * Ends the document: checks every container was closed, writes the final
 * newline and flushes f (it does not close f). Returns 0; -EINVAL if the
 * writer was misused; -EIO if f had a write error (a full disk, say).
 */
int json_close(struct json *j);

/*
 * Every function below writes one member. key is the member's name inside
 * an object, and must be NULL inside an array and for the top-level value.
 * key is copied out with the same escaping as strings.
 */

/* Opens an object; members follow until json_obj_end(). */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);

/* Opens an array; elements follow (with key NULL) until json_arr_end(). */
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);

/*
 * A string, NUL-terminated, UTF-8 passed through. Quote, backslash and
 * control characters are escaped (\n, \r, \t by name, others as \u00XX);
 * bytes that are not valid UTF-8 become U+FFFD, so a headend's garbage never
 * makes the report unreadable. value NULL writes null.
 */
void json_str(struct json *j, const char *key, const char *value);

void json_int(struct json *j, const char *key, int64_t value);
void json_uint(struct json *j, const char *key, uint64_t value);

/* A number with 9 significant digits ("%.9g"); NaN and infinities are null. */
void json_double(struct json *j, const char *key, double value);

void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

#endif
