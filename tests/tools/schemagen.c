/*
 * tests/tools/schemagen.c - report.json's counter sections of the JSON Schema,
 * from the counter table.
 *
 *	schemagen
 *
 * Prints one JSON object whose members are the sections of report.json that
 * engine/stats/counters.def fills (phones, rtp, config, traffic), each the
 * schema of that object: every entry with a .json path is a required
 * property, in the table's order, described by its .help; a percentage is a
 * number from 0, a score (MOS) a number from 1 to 5 or null, anything else
 * a count (#/$defs/count). scripts/report-schema puts them into
 * docs/report.schema.json, so that the schema is not a second copy of the
 * table kept by hand.
 */
#include <stdio.h>
#include <string.h>

#include "engine/stats/counters.h"
#include "report/json.h"

#define MAX_SECTIONS 16

/* The length of c's section name ("phones" of "phones.attempted"), or 0. */
static size_t section_len(const struct counter *c)
{
	const char *dot = c->json ? strchr(c->json, '.') : NULL;
	return dot ? (size_t)(dot - c->json) : 0;
}

static bool same_section(const struct counter *a, const struct counter *b)
{
	size_t n = section_len(a);
	return n && n == section_len(b) && !strncmp(a->json, b->json, n);
}

static void property(struct json *j, const struct counter *c)
{
	json_obj_begin(j, c->json + section_len(c) + 1);
	if (c->help)
		json_str(j, "description", c->help);
	switch (c->unit) {
	case UNIT_PERCENT:
		json_str(j, "type", "number");
		json_int(j, "minimum", 0);
		break;
	case UNIT_SCORE:
		json_arr_begin(j, "type");
		json_str(j, NULL, "number");
		json_str(j, NULL, "null");
		json_arr_end(j);
		json_int(j, "minimum", 1);
		json_int(j, "maximum", 5);
		break;
	default:
		json_str(j, "$ref", "#/$defs/count");
	}
	json_obj_end(j);
}

static void section(struct json *j, const struct counter *first)
{
	char name[64];
	size_t n = section_len(first);

	snprintf(name, sizeof name, "%.*s", (int)n, first->json);
	json_obj_begin(j, name);
	json_str(j, "type", "object");
	json_bool(j, "additionalProperties", false);
	json_arr_begin(j, "required");
	for (size_t i = 0; i < n_counters; i++)
		if (same_section(&counters[i], first))
			json_str(j, NULL, counters[i].json + n + 1);
	json_arr_end(j);
	json_obj_begin(j, "properties");
	for (size_t i = 0; i < n_counters; i++)
		if (same_section(&counters[i], first))
			property(j, &counters[i]);
	json_obj_end(j);
	json_obj_end(j);
}

int main(void)
{
	const struct counter *seen[MAX_SECTIONS];
	size_t nseen = 0;
	struct json j;

	json_open(&j, stdout);
	json_obj_begin(&j, NULL);
	for (size_t i = 0; i < n_counters; i++) {
		const struct counter *c = &counters[i];
		bool known = false;

		if (!section_len(c))
			continue;
		for (size_t k = 0; k < nseen; k++)
			known = known || same_section(seen[k], c);
		if (known)
			continue;
		if (nseen == MAX_SECTIONS) {
			fprintf(stderr, "schemagen: more than %d sections in counters.def\n", MAX_SECTIONS);
			return 1;
		}
		seen[nseen++] = c;
		section(&j, c);
	}
	json_obj_end(&j);
	return json_close(&j) ? 1 : 0;
}
