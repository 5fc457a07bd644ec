/*
 * tests/unit/test_outdir.c - loadgen/outdir: -o DIR is created with its
 * parents, and a path that cannot be a writable directory is refused with
 * the component that failed and the OS error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "loadgen/outdir.h"

static char root[] = "/tmp/psw-outdir-XXXXXX";

static const char *at(const char *rel)
{
	static char path[2][256];
	static int k;

	k ^= 1;
	snprintf(path[k], sizeof(path[k]), "%s/%s", root, rel);
	return path[k];
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Entries of dir other than . and .. (the probe must be gone). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_parents(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(outdir_prepare(at("a/b/c"), false, err, sizeof(err)), 0);
	assert_true(is_dir(at("a/b/c")));
	assert_int_equal(entries(at("a/b/c")), 0);
	/* again, it exists (and is empty): fine; a trailing slash and doubled slashes too */
	assert_int_equal(outdir_prepare(at("a/b/c"), false, err, sizeof(err)), 0);
	assert_int_equal(outdir_prepare(at("a//b/d/"), false, err, sizeof(err)), 0);
	assert_true(is_dir(at("a/b/d")));
}

/* A directory holding anything is refused, runs never mix; --force writes over it. */
static void test_not_empty(void **state)
{
	char err[512] = "", want[512];
	FILE *f;

	(void)state;
	assert_int_equal(outdir_prepare(at("used"), false, err, sizeof(err)), 0);
	f = fopen(at("used/report.json"), "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(outdir_prepare(at("used"), false, err, sizeof(err)), -EEXIST);
	snprintf(want, sizeof(want),
		 "-o %s: not empty: this run's outputs would mix with what is there; give a new "
		 "or empty directory, or --force to write over it",
		 at("used"));
	assert_string_equal(err, want);
	assert_int_equal(outdir_prepare(at("used"), true, err, sizeof(err)), 0);
	assert_int_equal(entries(at("used")), 1); /* the probe gone, the file kept */
	/* a hidden file counts too */
	assert_int_equal(outdir_prepare(at("hidden"), false, err, sizeof(err)), 0);
	assert_int_equal(mkdir(at("hidden/.x"), 0755), 0);
	assert_int_equal(outdir_prepare(at("hidden"), false, err, sizeof(err)), -EEXIST);
}

static void test_not_a_directory(void **state)
{
	char err[512] = "", want[512];
	FILE *f = fopen(at("file"), "w");

	(void)state;
	assert_non_null(f);
	fclose(f);
	assert_int_equal(outdir_prepare(at("file"), false, err, sizeof(err)), -ENOTDIR);
	snprintf(want, sizeof(want), "-o %s: cannot create %s: Not a directory", at("file"),
		 at("file"));
	assert_string_equal(err, want);
	/* below it: the component that is in the way is named */
	assert_int_equal(outdir_prepare(at("file/x/y"), false, err, sizeof(err)), -ENOTDIR);
	snprintf(want, sizeof(want), "-o %s: cannot create %s: Not a directory", at("file/x/y"),
		 at("file"));
	assert_string_equal(err, want);
	assert_int_equal(outdir_prepare("", false, err, sizeof(err)), -ENOENT);
}

/* A directory this process may not write in (root may write anywhere: skipped). */
static void test_read_only(void **state)
{
	char err[512] = "";

	(void)state;
	if (geteuid() == 0)
		skip();
	assert_int_equal(mkdir(at("ro"), 0555), 0);
	assert_int_equal(outdir_prepare(at("ro"), false, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "cannot write in it: Permission denied"));
	assert_int_equal(outdir_prepare(at("ro/sub"), false, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "cannot create"));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parents),
	    cmocka_unit_test(test_not_a_directory),
	    cmocka_unit_test(test_not_empty),
	    cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
