/*
 * loadgen/version.c - `phoneswarm version` (version.h).
 *
 * A bug report needs the libraries phoneswarm actually runs with, which a
 * shared-library upgrade changes without a rebuild, so both are shown: the
 * version each library reports at run time, and the one in its headers (or
 * pkg-config) at build time. OpenSSL, c-ares and zlib say their own version;
 * liburing (before 2.4) and inih do not, so theirs is read from the file the
 * dynamic loader mapped (liburing.so.2.3, libinih.so.55).
 */
#include "loadgen/version.h"

#include <ares.h>
#include <limits.h>
#include <link.h>
#include <liburing.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "buildinfo.h"
#include "loadgen/labscript.h"

const char *version_string(void)
{
	return PHONESWARM_VERSION " (build " PHONESWARM_BUILD ")";
}

const char *version_number(void)
{
	return PHONESWARM_VERSION;
}

const char *version_build(void)
{
	return PHONESWARM_BUILD;
}

struct lib_file {
	const char *stem; /* "liburing.so." */
	char version[32]; /* what follows the stem in the file's real name */
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib_file *lf = arg;
	const char *base, *v;
	char real[PATH_MAX];

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, lf->stem))
		return 0;
	if (!realpath(info->dlpi_name, real))
		return 0;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	v = strstr(base, lf->stem);
	if (!v)
		return 0;
	snprintf(lf->version, sizeof(lf->version), "%s", v + strlen(lf->stem));
	return 1;
}

/* The version in the name of the loaded library file, or "?" (linked in statically). */
static void lib_file_version(const char *stem, const char *prefix, char *out, size_t len)
{
	struct lib_file lf = {.stem = stem};

	if (dl_iterate_phdr(find_lib, &lf) && lf.version[0])
		snprintf(out, len, "%s%s", prefix, lf.version);
	else
		snprintf(out, len, "?");
}

static void row(FILE *f, const char *name, const char *running, const char *built)
{
	fprintf(f, "  %-9s %-12s %s\n", name, running, built);
}

void version_print(FILE *f)
{
	char uring[48], inih[48], lab[PATH_MAX + 32];
	struct utsname u;

#ifdef IO_URING_VERSION_MAJOR
	snprintf(uring, sizeof(uring), "%d.%d", io_uring_major_version(), io_uring_minor_version());
#else
	lib_file_version("liburing.so.", "", uring, sizeof(uring));
#endif
	lib_file_version("libinih.so.", "r", inih, sizeof(inih));

	fprintf(f, "phoneswarm %s\n", version_string());
	fprintf(f, "libraries:  running      built with\n");
	row(f, "OpenSSL", OpenSSL_version(OPENSSL_VERSION_STRING), OPENSSL_VERSION_STR);
	row(f, "liburing", uring, PHONESWARM_LIBURING_BUILT);
	row(f, "c-ares", ares_version(NULL), ARES_VERSION_STR);
	row(f, "inih", inih, "r" PHONESWARM_INIH_BUILT);
	row(f, "zlib", zlibVersion(), ZLIB_VERSION);
	if (uname(&u) == 0)
		fprintf(f, "kernel:     %s %s %s\n", u.sysname, u.release, u.machine);
	labscript_path(lab, sizeof(lab));
	fprintf(f, "lab script: %s\n", lab);
}
