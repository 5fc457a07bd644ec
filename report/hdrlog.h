/*
 * report/hdrlog.h - HdrHistogram interval logs (latency.hlog), written and read.
 *
 * The format is HdrHistogram's "Histogram log format version 1.3": a few
 * "#[...]" header lines, a CSV legend, then one line per histogram:
 *
 *	Tag=time_to_tunnel,12.000,1.000,84.213,HISTFAAAAC...
 *
 * tag, interval start (seconds since the log's StartTime), interval length
 * (s), the interval's max in milliseconds (informative; values are recorded
 * in microseconds), and the histogram in HdrHistogram's V2 compressed
 * encoding, Base64. Any HdrHistogram implementation reads these files
 * (HistogramLogReader, HistogramLogProcessor, hdr_log_read...).
 *
 * A histogram is encoded for lowest = 1, highest = HIST_MAX_US, 3 digits,
 * the layout of struct hist, so its slots go out and come back exactly. A
 * histogram read back keeps only slot counts: each slot's count is recorded
 * at the slot's highest value (HdrHistogram's "highest equivalent value"),
 * so its min, max and mean are the slots', not the exact ones (see
 * hist_set_exact()). Only that layout can be read.
 */
#ifndef REPORT_HDRLOG_H
#define REPORT_HDRLOG_H

#include <stddef.h>

struct hist;
struct hdrlog;

/*
 * Creates (truncates) the log at path and writes its header; start_unix_s
 * is the StartTime (and BaseTime) the intervals are relative to. NULL on
 * error, with a one-line message in err.
 */
struct hdrlog *hdrlog_create(const char *path, double start_unix_s, char *err, size_t errlen);

/*
 * Appends one interval of histogram h under tag ([A-Za-z0-9_.-], not empty),
 * starting start_s after StartTime and lasting len_s, and flushes it.
 * Returns 0, -EINVAL (a bad tag), -ENOMEM or -EIO.
 */
int hdrlog_write(struct hdrlog *l, const char *tag, double start_s, double len_s,
		 const struct hist *h);

/* Closes the log (NULL is allowed). Returns 0, or -EIO if anything failed to be written. */
int hdrlog_close(struct hdrlog *l);

/*
 * Called once per histogram line, in file order: tag ("" for an untagged
 * line), start (s since StartTime) and length (s) of the interval, and the
 * histogram, valid only during the call. Return 0 to go on; anything else
 * stops the reading and is returned by hdrlog_read().
 */
typedef int (*hdrlog_entry_fn)(const char *tag, double start_s, double len_s,
			       const struct hist *h, void *arg);

/*
 * Reads the log at path, calling fn for each histogram line. Timestamps are
 * given relative to StartTime whether the file has them relative (to a
 * BaseTime, or to StartTime) or absolute. *start_unix_s (if not NULL) gets
 * StartTime, 0 if the log has none.
 * Returns 0; what fn returned if it stopped the reading; or -1 with a
 * message naming the file and line in err (unreadable file, a line that is
 * not a histogram of the supported layout).
 */
int hdrlog_read(const char *path, hdrlog_entry_fn fn, void *arg, double *start_unix_s,
		char *err, size_t errlen);

/*
 * One histogram as the Base64 text of its V2 compressed encoding, as it
 * stands in a log line: a malloc'ed string the caller frees; NULL if out of
 * memory.
 */
char *hdrlog_encode(const struct hist *h);

/*
 * Decodes the Base64 V2 compressed histogram b64[0..len) and adds its counts
 * into h. Returns 0, -ENOMEM, or -EINVAL with why (a static string) set.
 */
int hdrlog_decode(const char *b64, size_t len, struct hist *h, const char **why);

#endif
