/*
 * tests/fuzz/fuzz_scenario.c - libFuzzer target for the scenario loader: the
 * input is an INI file, optionally followed by a line "#-s" and then -s
 * overrides, one per line ("section.key=value"). Every input is either
 * loaded into a config (then freed) or refused with a one-line message that
 * says where: exit status 2 for the user, never a crash, a hang or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "loadgen/event.h"
#include "loadgen/scenario.h"
#include "tests/fuzz/memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OVERRIDES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct timeline_spec tl;
	struct swarm_config cfg;
	const char *ov[MAX_OVERRIDES];
	char path[64], err[512] = "";
	const uint8_t *cut = NULL;
	char *copy = NULL;
	int n_ov = 0;

	for (size_t i = 0; i + 4 <= size; i++)
		if ((i == 0 || data[i - 1] == '\n') && !memcmp(data + i, "#-s\n", 4)) {
			cut = data + i;
			break;
		}
	if (cut) {
		size_t rest = size - (size_t)(cut - data) - 4;
		char *line;

		copy = malloc(rest + 1);
		if (!copy)
			return 0;
		memcpy(copy, cut + 4, rest);
		copy[rest] = '\0';
		for (line = strtok(copy, "\n"); line && n_ov < MAX_OVERRIDES; line = strtok(NULL, "\n"))
			ov[n_ov++] = line;
		size = (size_t)(cut - data);
	}
	memfile_set(data, size, path);
	memset(&tl, 0, sizeof(tl));
	if (scenario_load_run(path, ov, n_ov, &cfg, &tl, NULL, err, sizeof(err))) {
		/* refused: at least one error, each a line of its own, NUL-terminated */
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			__builtin_trap();
	} else {
		config_free(&cfg);
	}
	free(copy);
	return 0;
}
