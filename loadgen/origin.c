/*
 * loadgen/origin.c - where a run came from (origin.h).
 */
#include "loadgen/origin.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "loadgen/version.h"

/* A version 4 UUID from OpenSSL's generator (the clock's few bits if it fails). */
static void new_uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)time(NULL);

		for (int i = 0; i < 16;
		     i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
			b[i] = (unsigned char)(x >> 56);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

void origin_fill(struct run_origin *o, struct origin_texts *t)
{
	struct utsname u;

	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(*t));
	new_uuid(t->run_id);
	if (gethostname(t->host, sizeof(t->host) - 1))
		snprintf(t->host, sizeof(t->host), "?");
	if (!uname(&u))
		snprintf(t->kernel, sizeof(t->kernel), "%s", u.release);
	o->version = version_number();
	o->build = version_build();
	o->run_id = t->run_id;
	o->host = t->host;
	o->kernel = t->kernel[0] ? t->kernel : NULL;
	o->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}
