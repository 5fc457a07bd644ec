/*
 * report/failcsv.h - failures.csv: one line per failure event.
 *
 *   t_s,phone,cn,model,phase,reason,detail
 *
 * t_s is seconds since the first arrival (3 decimals), phone the phone's
 * index, cn its certificate CN (CP-<model>-SEP<MAC>), phase and reason the
 * public names (engine/phone/failure.h, engine/reason.h), detail the phone's own
 * words. A field holding a comma, a double quote, CR or LF is quoted, as
 * RFC 4180 says (quotes doubled). The file is written as the run goes, a
 * batch at a time, so a soak's memory stays flat.
 */
#ifndef REPORT_FAILCSV_H
#define REPORT_FAILCSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct failure_rec;

/* The header line, with its newline. */
#define FAILCSV_HEADER "t_s,phone,cn,model,phase,reason,detail\n"

/*
 * One line for r (newline included) into buf, t0_us being the first
 * arrival (clock_us()). Returns its length, or -ENOSPC if it does not fit
 * in cap bytes (NUL included). 512 bytes always suffice.
 */
int failcsv_row(char *buf, size_t cap, const struct failure_rec *r, uint64_t t0_us);

/* Write the header to f. 0 or -EIO. */
int failcsv_header(FILE *f);

/* Write the n records of recs to f, then flush it. 0 or -EIO. */
int failcsv_write(FILE *f, const struct failure_rec *recs, size_t n, uint64_t t0_us);

#endif
