/*
 * tests/fuzz/fuzz_jsonread.c - libFuzzer target for the JSON reader: any
 * bytes either parse into a tree that can be walked, checked as a report
 * (report/contract) and freed, or are refused with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report/contract.h"
#include "report/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct jval *v)
{
	size_t n = 1;

	if (v->type == JVAL_STR && !v->str)
		__builtin_trap();
	for (size_t i = 0; i < v->n; i++) {
		if (v->type == JVAL_OBJ && (!v->keys[i] || jval_get(v, v->keys[i]) == NULL))
			__builtin_trap();
		n += walk(&v->items[i]);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], why[256];
	const char *stopped;
	struct jval *v = jval_parse((const char *)data, size, err, sizeof(err));

	if (v) {
		walk(v);
		jval_u64(v, 0);
		jval_path(v, "a.b");
		if (!contract_check(v, why, sizeof(why)) && !why[0])
			__builtin_trap();
		contract_completed(v, &stopped);
		if (!contract_whole(v, why, sizeof(why)) && !why[0])
			__builtin_trap();
		jval_free(v);
	} else if (!err[0]) {
		__builtin_trap();
	}
	return 0;
}
