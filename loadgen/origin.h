/*
 * loadgen/origin.h - where a run came from, for its report.json: this
 * phoneswarm's version and build, a new run id, the load machine.
 */
#ifndef LOADGEN_ORIGIN_H
#define LOADGEN_ORIGIN_H

#include "report/report.h"

/* The texts a struct run_origin borrows, kept here. */
struct origin_texts {
	char run_id[37];  /* a random (version 4) UUID */
	char host[256];	  /* gethostname() */
	char kernel[128]; /* uname's release */
};

/*
 * Fill o (zeroed first) with this phoneswarm's version and build, a new
 * run id, and the machine's name, kernel and CPUs; its strings live in t,
 * which must outlive o. The caller adds the settings and overrides.
 */
void origin_fill(struct run_origin *o, struct origin_texts *t);

#endif
