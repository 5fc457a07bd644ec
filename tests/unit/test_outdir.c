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
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
	assert_int_equal(outdir_prepare(at("a/b/c"), err, sizeof(err)), 0);
	assert_true(is_dir(at("a/b/c")));
	assert_int_equal(entries(at("a/b/c")), 0);
	/* again, it exists: fine; a trailing slash and doubled slashes too */
	assert_int_equal(outdir_prepare(at("a/b/c"), err, sizeof(err)), 0);
	assert_int_equal(outdir_prepare(at("a//b/d/"), err, sizeof(err)), 0);
	assert_true(is_dir(at("a/b/d")));
}

static void test_not_a_directory(void **state)
{
	char err[512] = "", want[512];
	FILE *f = fopen(at("file"), "w");

	(void)state;
	assert_non_null(f);
	fclose(f);
	assert_int_equal(outdir_prepare(at("file"), err, sizeof(err)), -ENOTDIR);
	snprintf(want, sizeof(want), "-o %s: cannot create %s: Not a directory", at("file"),
		 at("file"));
	assert_string_equal(err, want);
	/* below it: the component that is in the way is named */
	assert_int_equal(outdir_prepare(at("file/x/y"), err, sizeof(err)), -ENOTDIR);
	snprintf(want, sizeof(want), "-o %s: cannot create %s: Not a directory", at("file/x/y"),
		 at("file"));
	assert_string_equal(err, want);
	assert_int_equal(outdir_prepare("", err, sizeof(err)), -ENOENT);
}

/*
 * The checks of test_read_only in the directory dir, made here: NULL when
 * they hold, else what went wrong. No cmocka call: it may run in a child.
 */
static const char *read_only_checks(const char *dir)
{
	static char why[1024];
	char err[512] = "", sub[300];
	int r;

	if (mkdir(dir, 0555))
		return "cannot make the directory";
	r = outdir_prepare(dir, err, sizeof(err));
	if (r != -EACCES || !strstr(err, "cannot write in it: Permission denied")) {
		snprintf(why, sizeof(why), "%s: want -EACCES, cannot write in it; got %d, \"%s\"", dir,
			 r, err);
		return why;
	}
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	r = outdir_prepare(sub, err, sizeof(err));
	if (r != -EACCES || !strstr(err, "cannot create")) {
		snprintf(why, sizeof(why), "%s: want -EACCES, cannot create; got %d, \"%s\"", sub, r,
			 err);
		return why;
	}
	return NULL;
}

/*
 * A directory this process may not write in. Root may write anywhere, so as
 * root the checks run in a child that has become nobody (uid and gid 65534,
 * no supplementary groups, hence no capabilities), in a directory of its own.
 */
static void test_read_only(void **state)
{
	char why[700] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		const char *w = read_only_checks(at("ro"));

		if (w)
			fail_msg("%s", w);
		return;
	}
	assert_int_equal(chmod(root, 0711), 0);
	assert_int_equal(mkdir(at("nobody"), 0755), 0);
	assert_int_equal(chown(at("nobody"), 65534, 65534), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *w = NULL;

		close(fds[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534) || geteuid() != 65534 ||
		    !setuid(0))
			w = "cannot become nobody for good";
		else
			w = read_only_checks(at("nobody/ro"));
		if (w && write(fds[1], w, strlen(w)) < 0)
			_exit(2);
		_exit(w ? 1 : 0);
	}
	close(fds[1]);
	n = read(fds[0], why, sizeof(why) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n > 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("as nobody: %s (exit status %d)", why, status);
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
	    cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
