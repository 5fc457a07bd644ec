/*
 * report/utc.h - a moment as the outputs write it: UTC, ISO 8601, to the
 * millisecond ("2026-12-04T23:45:01.123Z"), so that a run's rows line up
 * with a headend's syslog whatever the time zones of the two machines.
 */
#ifndef REPORT_UTC_H
#define REPORT_UTC_H

#include <stddef.h>

/* Characters of the text, NUL included. */
#define UTC_LEN 25

/*
 * epoch_s (seconds since 1970-01-01 UTC) written into buf (len bytes, at
 * least UTC_LEN). Returns buf; "" when epoch_s is not a moment after the
 * Epoch (unknown).
 */
char *utc_format(char *buf, size_t len, double epoch_s);

/* The moment text (as utc_format() writes it) in seconds since the Epoch; 0 if it is not one. */
double utc_parse(const char *text);

/* Now, as seconds since the Epoch (CLOCK_REALTIME). */
double utc_now(void);

#endif
