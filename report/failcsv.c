/*
 * report/failcsv.c - failures.csv lines (failcsv.h).
 */
#include "report/failcsv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/phone/failure.h"
#include "engine/trust/identity.h"
#include "engine/proto/text.h"
#include "report/utc.h"

/* Append s as one CSV field: as it is, or quoted with its quotes doubled. */
static void put_field(struct text *t, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		text_put(t, s);
		return;
	}
	text_put(t, "\"");
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		text_put_n(t, s, (size_t)(q - s) + 1);
		text_put(t, "\"");
	}
	text_put(t, s);
	text_put(t, "\"");
}

int failcsv_row(char *buf, size_t cap, const struct failure_rec *r, const struct failcsv_t0 *t0)
{
	int64_t dt = (int64_t)(r->t_us - t0->us);
	char num[96], cn[64], utc[UTC_LEN], src[INET_ADDRSTRLEN] = "";
	struct in_addr a = {.s_addr = r->src};
	struct text t;

	text_init(&t, buf, cap);
	identity_cn(cn, sizeof(cn), r->model, r->mac);
	utc_format(utc, sizeof(utc), t0->epoch_s > 0 ? t0->epoch_s + (double)dt / 1e6 : 0);
	snprintf(num, sizeof(num), "%s%lld.%03lld,%s,%u,", dt < 0 ? "-" : "",
		 (long long)((dt < 0 ? -dt : dt) / 1000000),
		 (long long)((dt < 0 ? -dt : dt) % 1000000 / 1000), utc, r->phone);
	text_put(&t, num);
	put_field(&t, cn);
	text_put(&t, ",");
	put_field(&t, r->model);
	text_put(&t, ",");
	if (r->src)
		inet_ntop(AF_INET, &a, src, sizeof(src));
	text_put(&t, src);
	text_put(&t, ",");
	text_put(&t, failure_phase_name((enum fail_phase)r->phase));
	text_put(&t, ",");
	text_put(&t, reason_name((enum reason)r->reason));
	text_put(&t, ",");
	put_field(&t, r->detail);
	text_put(&t, "\n");
	return text_result(&t);
}

int failcsv_header(FILE *f)
{
	return fputs(FAILCSV_HEADER, f) < 0 || fflush(f) ? -EIO : 0;
}

int failcsv_write(FILE *f, const struct failure_rec *recs, size_t n, const struct failcsv_t0 *t0)
{
	char line[1024];

	for (size_t i = 0; i < n; i++) {
		int len = failcsv_row(line, sizeof(line), &recs[i], t0);

		if (len < 0 || fwrite(line, 1, (size_t)len, f) != (size_t)len)
			return -EIO;
	}
	return fflush(f) ? -EIO : 0;
}
