/*
 * loadgen/outdir.c - the run directory, created and proved writable
 * (outdir.h).
 */
#include "loadgen/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define PROBE_BYTES 4096

/* mkdir path, 0 if it is (now) a directory; -errno otherwise. */
static int make_one(const char *path)
{
	struct stat st;

	if (!mkdir(path, 0755))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* mkdir -p dir. 0, or -errno with the path that failed in err. */
static int make_parents(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	int r;

	if (!len || len >= sizeof(path)) {
		snprintf(err, errlen, "-o %s: %s", dir, strerror(len ? ENAMETOOLONG : ENOENT));
		return len ? -ENAMETOOLONG : -ENOENT;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		r = make_one(path);
		if (r)
			goto out_fail;
		*p = '/';
	}
	r = make_one(path);
	if (!r)
		return 0;
out_fail:
	snprintf(err, errlen, "-o %s: cannot create %s: %s", dir, path, strerror(-r));
	return r;
}

/* Does dir hold anything but . and ..? 0 no, 1 yes, -errno if it cannot be read. */
static int holds_anything(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int any = 0;

	if (!d)
		return -errno;
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return any;
}

int outdir_prepare(const char *dir, bool force, char *err, size_t errlen)
{
	static const char zeros[PROBE_BYTES];
	char path[PATH_MAX + 32];
	int fd, r = make_parents(dir, err, errlen);

	if (r)
		return r;
	r = force ? 0 : holds_anything(dir);
	if (r < 0) {
		snprintf(err, errlen, "-o %s: cannot read it: %s", dir, strerror(-r));
		return r;
	}
	if (r) {
		snprintf(err, errlen,
			 "-o %s: not empty: this run's outputs would mix with what is there; give a "
			 "new or empty directory, or --force to write over it",
			 dir);
		return -EEXIST;
	}
	snprintf(path, sizeof(path), "%s/.phoneswarm-probe-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "-o %s: cannot write in it: %s", dir, strerror(-r));
		return r;
	}
	errno = 0;
	if (write(fd, zeros, sizeof(zeros)) != (ssize_t)sizeof(zeros))
		r = errno ? -errno : -ENOSPC;
	if (close(fd) && !r)
		r = -errno;
	unlink(path);
	if (r)
		snprintf(err, errlen, "-o %s: cannot write in it: %s", dir, strerror(-r));
	return r;
}
