/*
 * tests/unit/test_includes.c - the layers point one way: no include circle
 * crosses a folder (scripts/includes --check, run from the repository root
 * as tests/run-unit runs every test).
 *
 * And the check itself is checked: on a tree made here with a circle
 * between two folders it must fail and name them, and a circle inside one
 * folder (one concern in several files) must pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Runs cmd with its output into out; returns its exit status (-1 if it did not exit). */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	assert_non_null(f);
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
		n += strlen(out + n);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tree_has_no_circle_across_folders(void **state)
{
	char out[8192];

	(void)state;
	if (access("scripts/includes", X_OK))
		fail_msg("scripts/includes not found: run from the repository root");
	if (run("scripts/includes --check 2>&1", out, sizeof(out)))
		fail_msg("include circles across folders:\n%s", out);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A tree with a circle a <-> b across folders, and one inside folder c. */
static void test_check_finds_a_circle(void **state)
{
	char dir[] = "/tmp/test_includes_XXXXXX", cmd[512], out[4096], path[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	const char *sub[] = {"scripts", "x", "x/a", "x/b", "x/c"};
	for (unsigned i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(cmd, sizeof(cmd), "cp scripts/includes %s/scripts/", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/x/c/p.h", dir);
	write_file(path, "#include \"x/c/q.h\"\n");
	snprintf(path, sizeof(path), "%s/x/c/q.h", dir);
	write_file(path, "#include \"x/c/p.h\"\n");
	snprintf(path, sizeof(path), "%s/x/a/a.c", dir);
	write_file(path, "#include \"x/c/p.h\"\n");
	/* no circle across folders yet: the one inside x/c is allowed */
	snprintf(cmd, sizeof(cmd), "%s/scripts/includes --check x 2>&1", dir);
	if (run(cmd, out, sizeof(out)))
		fail_msg("a circle inside one folder failed the check:\n%s", out);

	snprintf(path, sizeof(path), "%s/x/a/a.h", dir);
	write_file(path, "#include <stdio.h>\n");
	snprintf(path, sizeof(path), "%s/x/b/b.c", dir);
	write_file(path, "#include \"x/a/a.h\"\n");
	snprintf(path, sizeof(path), "%s/x/a/a.c", dir);
	write_file(path, "#include \"x/b/b.h\"\n");
	snprintf(path, sizeof(path), "%s/x/b/b.h", dir);
	write_file(path, "\n");
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	if (!strstr(out, "circle folders: x/a x/b") && !strstr(out, "circle folders: x/b x/a"))
		fail_msg("expected the circle between x/a and x/b, got:\n%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_has_no_circle_across_folders),
	    cmocka_unit_test(test_check_finds_a_circle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
