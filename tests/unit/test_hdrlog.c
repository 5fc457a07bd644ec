/*
 * tests/unit/test_hdrlog.c - report/hdrlog: HdrHistogram interval logs.
 *
 * Three kinds of checks:
 * - known bytes: a small histogram's V2 encoding is compared byte by byte
 *   with an encoding worked out by hand here from the format's definition
 *   (header fields, ZigZag LEB128 words, runs of empty slots as negative
 *   words; see the top of report/hdrlog.c), after undoing the Base64 and the
 *   zlib stream with their own libraries;
 * - round trips: random histograms written to a log and read back have the
 *   same slots and counts, tags and times; bad input is refused with a
 *   reason and leaves the histogram untouched;
 * - HdrHistogram's own Java implementation (Debian's libhdrhistogram-java,
 *   its HistogramLogProcessor) reads a log we wrote, and the counts it
 *   reports per interval and its cumulative distribution agree exactly with
 *   the values recorded. Skipped only when java or the jar is missing
 *   (scripts/deps installs both).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "report/hdrlog.h"
#include "engine/stats/hist.h"
#include "tests/unit/skip.h"
#include "tests/unit/splitmix.h"

#define HDR_JAR "/usr/share/java/hdrhistogram.jar"

/* ==== Helpers ==== */

/* Log-uniform from 1 us to about 2 hours (past HIST_MAX_US: clamped), sometimes 0. */
static uint64_t rng_latency(void)
{
	if (rng_next() % 50 == 0)
		return 0;
	return (uint64_t)exp((double)(rng_next() % 10000) / 10000.0 * 22.7);
}

struct slots {
	uint32_t index[23221];
	uint64_t count[23221];
	size_t n;
};

static int take_slot(const struct hist_bucket *b, void *arg)
{
	struct slots *s = arg;

	s->index[s->n] = b->index;
	s->count[s->n++] = b->count;
	return 0;
}

static void assert_same_slots(const struct hist *a, const struct hist *b)
{
	static struct slots sa, sb;

	sa.n = sb.n = 0;
	hist_foreach_bucket(a, take_slot, &sa);
	hist_foreach_bucket(b, take_slot, &sb);
	assert_int_equal(sa.n, sb.n);
	for (size_t i = 0; i < sa.n; i++) {
		if (sa.index[i] != sb.index[i] || sa.count[i] != sb.count[i])
			fail_msg("slot %zu: expected #%u x%" PRIu64 ", got #%u x%" PRIu64, i,
				 sa.index[i], sa.count[i], sb.index[i], sb.count[i]);
	}
	assert_int_equal(hist_count(a), hist_count(b));
}

/* Undoes Base64, the compressed wrapper and zlib: the V2 encoding into out; its length. */
static size_t unwrap(const char *b64, uint8_t *out, size_t cap)
{
	size_t len = strlen(b64), pad = 0;
	uint8_t *bin = malloc(len);
	uLongf n = cap;
	int got;
	uint32_t clen;

	assert_non_null(bin);
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	got = EVP_DecodeBlock(bin, (const unsigned char *)b64, (int)len);
	assert_true(got > 8);
	got -= (int)pad;
	/* compressed V2 cookie, then the length of the zlib stream */
	assert_int_equal(bin[0], 0x1c);
	assert_int_equal(bin[1], 0x84);
	assert_int_equal(bin[2], 0x93);
	assert_int_equal(bin[3], 0x14);
	clen = (uint32_t)bin[4] << 24 | (uint32_t)bin[5] << 16 | (uint32_t)bin[6] << 8 | bin[7];
	assert_int_equal(clen, got - 8);
	assert_int_equal(uncompress(out, &n, bin + 8, clen), Z_OK);
	free(bin);
	return n;
}

/* The inverse, for hand-made encodings: raw V2 bytes to log Base64 (caller frees). */
static char *wrap(const uint8_t *raw, size_t len)
{
	uLongf zlen = compressBound(len);
	uint8_t *z = malloc(8 + zlen);
	char *out;

	assert_non_null(z);
	assert_int_equal(compress(z + 8, &zlen, raw, len), Z_OK);
	memcpy(z, "\x1c\x84\x93\x14", 4);
	z[4] = (uint8_t)(zlen >> 24);
	z[5] = (uint8_t)(zlen >> 16);
	z[6] = (uint8_t)(zlen >> 8);
	z[7] = (uint8_t)zlen;
	out = malloc(4 * ((8 + zlen + 2) / 3) + 1);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, z, (int)(8 + zlen));
	free(z);
	return out;
}

/*
 * The header of a V2 encoding (cookie 0x1c849313, payload length, offset 0,
 * 3 digits, lowest 1, highest 3,600,000,000 = 0xD693A400, ratio 1.0) and
 * payload, as the definition gives them.
 */
static size_t hand_encoding(uint8_t *out, const uint8_t *payload, size_t plen)
{
	static const uint8_t head[40] = {
	    0x1c, 0x84, 0x93, 0x13, 0,	  0,	0,    0,    /* cookie, payload length */
	    0,	  0,	0,    0,    0,	  0,	0,    3,    /* offset, digits */
	    0,	  0,	0,    0,    0,	  0,	0,    1,    /* lowest */
	    0,	  0,	0,    0,    0xd6, 0x93, 0xa4, 0x00, /* highest */
	    0x3f, 0xf0, 0,    0,    0,	  0,	0,    0,    /* 1.0 */
	};

	memcpy(out, head, 40);
	out[7] = (uint8_t)plen;
	memcpy(out + 40, payload, plen);
	return 40 + plen;
}

/*
 * One value of 1 us (slot 1), three of 1,000 us (slot 1000), two of
 * 1,000,000 us: 2^19 <= 1e6 < 2^20, slots of width 2^9 from slot 9 x 1024,
 * so slot 9216 + 1e6 / 512 = 11169. Counts array: [0]=0, [1]=1, 998 empty,
 * [1000]=3, 10168 empty, [11169]=2. Words: 0 -> 00; 1 -> zigzag 2 -> 02;
 * -998 -> zigzag 1995 = 0x7cb -> cb 0f; 3 -> 06; -10168 -> zigzag 20335 =
 * 0x4f6f -> ef 9e 01; 2 -> 04.
 */
static const uint8_t small_payload[] = {0x00, 0x02, 0xcb, 0x0f, 0x06, 0xef, 0x9e, 0x01, 0x04};

static struct hist *small_hist(void)
{
	struct hist *h = hist_new();

	assert_non_null(h);
	hist_record(h, 1);
	hist_record_n(h, 1000, 3);
	hist_record_n(h, 1000000, 2);
	return h;
}

/* ==== Known bytes ==== */

static void test_encoding_known_bytes(void **state)
{
	struct hist *h = small_hist();
	uint8_t got[4096], want[128];
	size_t wn = hand_encoding(want, small_payload, sizeof(small_payload));
	char *b64 = hdrlog_encode(h);
	size_t n;

	(void)state;
	assert_non_null(b64);
	/* the cookie 1c 84 93 14 and a length below 2^16: every HdrHistogram log line's start */
	assert_memory_equal(b64, "HISTFAAA", 8);
	n = unwrap(b64, got, sizeof(got));
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
	free(b64);
	hist_free(h);
}

/* A count of 2^62 is zigzag 2^63: eight bytes 0x80 then the 9th byte, whole, 0x80. */
static void test_encoding_nine_byte_word(void **state)
{
	static const uint8_t payload[] = {0x00, 0x80, 0x80, 0x80, 0x80,
					  0x80, 0x80, 0x80, 0x80, 0x80};
	struct hist *h = hist_new(), *back = hist_new();
	uint8_t got[4096], want[128];
	size_t wn = hand_encoding(want, payload, sizeof(payload));
	char *b64;
	const char *why;

	(void)state;
	hist_record_n(h, 1, 1ULL << 62);
	b64 = hdrlog_encode(h);
	assert_int_equal(unwrap(b64, got, sizeof(got)), wn);
	assert_memory_equal(got, want, wn);
	free(b64);

	/* and the hand-made one decodes to it */
	b64 = wrap(want, wn);
	assert_int_equal(hdrlog_decode(b64, strlen(b64), back, &why), 0);
	assert_int_equal(hist_count(back), 1ULL << 62);
	assert_same_slots(h, back);
	free(b64);
	hist_free(h);
	hist_free(back);
}

static void test_decode_hand_made(void **state)
{
	uint8_t raw[128];
	size_t n = hand_encoding(raw, small_payload, sizeof(small_payload));
	char *b64 = wrap(raw, n);
	struct hist *h = hist_new(), *want = small_hist();
	const char *why = "x";

	(void)state;
	assert_int_equal(hdrlog_decode(b64, strlen(b64), h, &why), 0);
	assert_null(why);
	assert_same_slots(want, h);
	/* values come back at their slot's highest value */
	assert_int_equal(hist_min(h), 1);
	assert_int_equal(hist_max(h), 999936 + 511); /* 1953 x 512 .. +511 */
	free(b64);
	hist_free(h);
	hist_free(want);
}

/* A zero-run word may also stand for a single empty slot, and a count of 0 for one too. */
static void test_decode_run_variants(void **state)
{
	/* [0]: a run of 1 (-1 -> 01), [1]=5 (0a), [2]=0 (00), [3]=0 (00), [4]=1 (02) */
	static const uint8_t payload[] = {0x01, 0x0a, 0x00, 0x00, 0x02};
	uint8_t raw[128];
	size_t n = hand_encoding(raw, payload, sizeof(payload));
	char *b64 = wrap(raw, n);
	struct hist *h = hist_new(), *want = hist_new();
	const char *why;

	(void)state;
	hist_record_n(want, 1, 5);
	hist_record(want, 4);
	assert_int_equal(hdrlog_decode(b64, strlen(b64), h, &why), 0);
	assert_same_slots(want, h);
	free(b64);
	hist_free(h);
	hist_free(want);
}

static void expect_refused(const uint8_t *raw, size_t n, const char *reason)
{
	char *b64 = wrap(raw, n);
	struct hist *h = hist_new();
	const char *why = NULL;

	hist_record(h, 77);
	assert_int_equal(hdrlog_decode(b64, strlen(b64), h, &why), -EINVAL);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("expected a reason with \"%s\", got \"%s\"", reason, why);
	/* untouched */
	assert_int_equal(hist_count(h), 1);
	assert_int_equal(hist_max(h), 77);
	free(b64);
	hist_free(h);
}

static void test_decode_refuses(void **state)
{
	uint8_t raw[128];
	size_t n = hand_encoding(raw, small_payload, sizeof(small_payload));
	struct hist *h = hist_new();
	const char *why;

	(void)state;
	raw[15] = 2; /* 2 digits: another layout */
	expect_refused(raw, n, "layout");
	raw[15] = 3;
	raw[3] = 0x12; /* a V1 cookie */
	expect_refused(raw, n, "V2");
	raw[3] = 0x13;
	expect_refused(raw, n - 1, "length"); /* payload cut short */
	raw[7] = 8;
	raw[47] = 0x80; /* the last word now says "more follows" */
	expect_refused(raw, n - 1, "truncated");
	raw[7] = 9;
	raw[47] = 0x04;
	/* a count past the last slot of one hour: a run to slot 23221, then 1 */
	{
		static const uint8_t far[] = {0xe9, 0xea, 0x02, 0x02}; /* -23221 -> 46441 */
		n = hand_encoding(raw, far, sizeof(far));
		expect_refused(raw, n, "one hour");
	}

	assert_int_equal(hdrlog_decode("HISTFAAA", 8, h, &why), -EINVAL);
	assert_int_equal(hdrlog_decode("not base64!!", 12, h, &why), -EINVAL);
	assert_string_equal(why, "bad Base64");
	assert_int_equal(hdrlog_decode("abc", 3, h, &why), -EINVAL);
	assert_int_equal(hist_count(h), 0);
	hist_free(h);
}

/* ==== Round trips through a log ==== */

struct entry {
	char tag[32];
	double start, len;
	struct hist *h;
};

struct collected {
	struct entry e[16];
	int n;
};

static int collect(const char *tag, double start, double len, const struct hist *h, void *arg)
{
	struct collected *c = arg;
	struct entry *e = &c->e[c->n++];

	snprintf(e->tag, sizeof(e->tag), "%s", tag);
	e->start = start;
	e->len = len;
	e->h = hist_new();
	hist_merge(e->h, h);
	return 0;
}

static void collected_free(struct collected *c)
{
	for (int i = 0; i < c->n; i++)
		hist_free(c->e[i].h);
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_hdrlog_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* KEEP=1 in the environment keeps the files (and prints where) for a look. */
static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s%s", getenv("KEEP") ? "echo " : "rm -rf ", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static void test_log_round_trip(void **state)
{
	static const char *tags[] = {"time_to_tunnel", "dpd_rtt"};
	struct hist *h[6];
	struct collected c = {0};
	char err[256];
	double start = 0;
	struct hdrlog *l;

	(void)state;
	rng_state = 42;
	l = hdrlog_create(tmp("rt.hlog"), 1712345678.25, err, sizeof(err));
	assert_non_null(l);
	for (int i = 0; i < 6; i++) {
		h[i] = hist_new();
		for (int k = 0; k < 1000 * (i + 1); k++)
			hist_record(h[i], rng_latency());
		if (i == 5)
			hist_reset(h[i]); /* an empty interval is a line too */
		assert_int_equal(hdrlog_write(l, tags[i % 2], (double)(i / 2), 1.0, h[i]), 0);
	}
	assert_int_equal(hdrlog_write(l, "bad tag", 0, 1, h[0]), -EINVAL);
	assert_int_equal(hdrlog_write(l, "a,b", 0, 1, h[0]), -EINVAL);
	assert_int_equal(hdrlog_close(l), 0);

	assert_int_equal(hdrlog_read(tmp("rt.hlog"), collect, &c, &start, err, sizeof(err)), 0);
	assert_true(start == 1712345678.25);
	assert_int_equal(c.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(c.e[i].tag, tags[i % 2]);
		assert_true(c.e[i].start == (double)(i / 2));
		assert_true(c.e[i].len == 1.0);
		assert_same_slots(h[i], c.e[i].h);
		hist_free(h[i]);
	}
	collected_free(&c);
}

/*
 * What merge relies on: a histogram read back, given its exact min, max and
 * mean, answers every percentile as the original did.
 */
static void test_set_exact_restores_percentiles(void **state)
{
	static const double pct[] = {0, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
	struct hist *h = hist_new(), *back = hist_new();
	const char *why;
	char *b64;

	(void)state;
	rng_state = 7;
	for (int k = 0; k < 50000; k++)
		hist_record(h, rng_latency() + 3000); /* min in a wide slot */
	b64 = hdrlog_encode(h);
	assert_int_equal(hdrlog_decode(b64, strlen(b64), back, &why), 0);
	assert_true(hist_min(back) >= hist_min(h));
	assert_int_equal(hist_set_exact(back, hist_min(h), hist_max(h), hist_mean(h)), 0);
	assert_int_equal(hist_min(back), hist_min(h));
	assert_int_equal(hist_max(back), hist_max(h));
	assert_true(fabs(hist_mean(back) - hist_mean(h)) <= hist_mean(h) * 1e-12);
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		assert_int_equal(hist_percentile(back, pct[i]), hist_percentile(h, pct[i]));
	/* values out of place are refused, changing nothing */
	assert_int_equal(hist_set_exact(back, 1, hist_max(h), -1), -EINVAL);
	assert_int_equal(hist_set_exact(back, hist_min(h), hist_max(h) * 2, -1), -EINVAL);
	assert_int_equal(hist_set_exact(back, hist_min(h), hist_max(h), 1e12), -EINVAL);
	assert_int_equal(hist_min(back), hist_min(h));
	hist_reset(back);
	assert_int_equal(hist_set_exact(back, 1, 1, 1), -EINVAL);
	free(b64);
	hist_free(h);
	hist_free(back);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Logs as other tools write them: absolute times, no BaseTime, untagged lines. */
static void test_read_foreign_forms(void **state)
{
	struct hist *h = small_hist();
	char *b64 = hdrlog_encode(h), text[4096], err[256];
	struct collected c = {0};

	(void)state;
	snprintf(text, sizeof(text),
		 "#[Logged with jHiccup version 2.0.7]\n"
		 "#[Histogram log format version 1.3]\n"
		 "#[StartTime: 1441812279.474 (seconds since epoch), Wed Sep 09 08:24:39 PDT "
		 "2015]\n"
		 "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		 "\"Interval_Compressed_Histogram\"\n"
		 "1441812279.601,1.000,1.000,%s\r\n"
		 "Tag=x,1441812280.601,0.500,1.000,%s\n",
		 b64, b64);
	write_file(tmp("foreign.hlog"), text);
	assert_int_equal(hdrlog_read(tmp("foreign.hlog"), collect, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.e[0].tag, "");
	assert_true(fabs(c.e[0].start - 0.127) < 1e-6);
	assert_string_equal(c.e[1].tag, "x");
	assert_true(fabs(c.e[1].start - 1.127) < 1e-6);
	assert_true(c.e[1].len == 0.5);
	assert_same_slots(h, c.e[1].h);
	collected_free(&c);

	/* errors name the file and line */
	snprintf(text, sizeof(text),
		 "#[StartTime: 10 (seconds since epoch)]\nTag=a,0,1,2,%s\n"
		 "Tag=b,0,1,%s\n",
		 b64, b64);
	write_file(tmp("bad.hlog"), text);
	memset(&c, 0, sizeof(c));
	assert_int_equal(hdrlog_read(tmp("bad.hlog"), collect, &c, NULL, err, sizeof(err)), -1);
	assert_int_equal(c.n, 1);
	if (!strstr(err, "bad.hlog:3: expected start,length,max,histogram"))
		fail_msg("got \"%s\"", err);
	collected_free(&c);
	assert_int_equal(hdrlog_read(tmp("none.hlog"), collect, &c, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	free(b64);
	hist_free(h);
}

static int stop_at_second(const char *tag, double start, double len, const struct hist *h,
			  void *arg)
{
	int *n = arg;

	(void)tag, (void)start, (void)len, (void)h;
	return ++*n == 2 ? 42 : 0;
}

static void test_read_stops_when_told(void **state)
{
	struct hist *h = small_hist();
	char err[256];
	struct hdrlog *l = hdrlog_create(tmp("stop.hlog"), 0, err, sizeof(err));
	int n = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(hdrlog_write(l, "m", i, 1, h), 0);
	assert_int_equal(hdrlog_close(l), 0);
	assert_int_equal(hdrlog_read(tmp("stop.hlog"), stop_at_second, &n, NULL, err, sizeof(err)),
			 42);
	assert_int_equal(n, 2);
	assert_null(hdrlog_create("/nonexistent/dir/x.hlog", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/x.hlog"));
	hist_free(h);
}

/* ==== HdrHistogram's own implementation reads our log ==== */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Values recorded <= v, from the sorted values s[0..n) (clamped as the histogram does). */
static uint64_t count_le(const uint64_t *s, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* HdrHistogram's HistogramLogProcessor on one tag of log: out (intervals) and out.hgrm. */
static void log_processor(const char *log, const char *tag, const char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "java -cp " HDR_JAR " org.HdrHistogram.HistogramLogProcessor -i %s -tag %s "
		 "-outputValueUnitRatio 1 -o %s 2>&1",
		 log, tag, out);
	assert_int_equal(system(cmd), 0);
}

static void test_java_hdrhistogram_reads_it(void **state)
{
	enum { N_INT = 4, PER = 20000 };
	static uint64_t vals[N_INT * PER];
	struct hist *h = hist_new(), *dpd = hist_new();
	char err[256], line[512];
	struct hdrlog *l;
	size_t n = 0;
	FILE *f;
	int rows = 0, lines = 0;
	uint64_t total = 0;

	(void)state;
	if (access(HDR_JAR, R_OK) || system("command -v java >/dev/null 2>&1"))
		skip_not_installed("java or " HDR_JAR " (default-jre-headless libhdrhistogram-java)");
	rng_state = 2024;
	l = hdrlog_create(tmp("java.hlog"), 1700000000.5, err, sizeof(err));
	assert_non_null(l);
	hist_record_n(dpd, 1234, 7);
	for (int i = 0; i < N_INT; i++) {
		hist_reset(h);
		for (int k = 0; k < PER * (i + 1) / N_INT; k++) {
			/* up to 10 s, plus a few clamped at one hour */
			uint64_t v = k % 1000 ? rng_latency() % 10000000 : HIST_MAX_US;

			vals[n++] = v;
			hist_record(h, v);
		}
		assert_int_equal(hdrlog_write(l, "time_to_tunnel", 10.0 * i, 10.0, h), 0);
		assert_int_equal(hdrlog_write(l, "dpd_rtt", 10.0 * i, 10.0, dpd), 0);
	}
	assert_int_equal(hdrlog_close(l), 0);
	qsort(vals, n, sizeof(vals[0]), cmp_u64);

	log_processor(tmp("java.hlog"), "time_to_tunnel", tmp("java.out"));

	/* per interval: "10.000: I:5000 ( ... ) T:5000 ( ... )", end times and counts */
	f = fopen(tmp("java.out"), "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		double t;
		unsigned long long ic, tc;

		if (sscanf(line, "%lf: I:%llu ( %*s %*s %*s ) T:%llu", &t, &ic, &tc) != 3)
			continue;
		assert_true(fabs(t - 10.0 * (rows + 1)) < 1e-9);
		assert_int_equal(ic, PER * (rows + 1) / N_INT);
		total += ic;
		assert_int_equal(tc, total);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, N_INT);

	/*
	 * The whole distribution: each line "Value Percentile TotalCount" says how
	 * many values are at most Value (the top of a slot): exactly our count.
	 */
	f = fopen(tmp("java.out.hgrm"), "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		double v, p, mx;
		unsigned long long c;

		if (sscanf(line, "#[Max = %lf, Total count = %llu", &mx, &c) == 2) {
			uint64_t lo, hi;

			assert_int_equal(c, n);
			/* the top of the slot of the largest value */
			for (uint32_t s = 0; !hist_slot_bounds(s, &lo, &hi); s++)
				if (vals[n - 1] >= lo && vals[n - 1] <= hi)
					break;
			assert_true(mx == (double)hi);
			continue;
		}
		if (sscanf(line, "%lf %lf %llu", &v, &p, &c) != 3)
			continue;
		if (count_le(vals, n, (uint64_t)v) != c)
			fail_msg("HdrHistogram: %llu values <= %.0f, expected %" PRIu64, c, v,
				 (uint64_t)count_le(vals, n, (uint64_t)v));
		lines++;
	}
	fclose(f);
	assert_true(lines > 50);

	/* the other tag, alone */
	log_processor(tmp("java.hlog"), "dpd_rtt", tmp("dpd.out"));
	f = fopen(tmp("dpd.out.hgrm"), "r");
	assert_non_null(f);
	lines = 0;
	while (fgets(line, sizeof(line), f)) {
		double mx;
		unsigned long long c;

		if (sscanf(line, "#[Max = %lf, Total count = %llu", &mx, &c) == 2) {
			assert_true(mx == 1234.0);
			assert_int_equal(c, 7 * N_INT);
			lines++;
		}
	}
	fclose(f);
	assert_int_equal(lines, 1);
	hist_free(h);
	hist_free(dpd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encoding_known_bytes),
	    cmocka_unit_test(test_encoding_nine_byte_word),
	    cmocka_unit_test(test_decode_hand_made),
	    cmocka_unit_test(test_decode_run_variants),
	    cmocka_unit_test(test_decode_refuses),
	    cmocka_unit_test(test_log_round_trip),
	    cmocka_unit_test(test_set_exact_restores_percentiles),
	    cmocka_unit_test(test_read_foreign_forms),
	    cmocka_unit_test(test_read_stops_when_told),
	    cmocka_unit_test(test_java_hdrhistogram_reads_it),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
