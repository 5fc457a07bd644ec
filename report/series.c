/*
 * report/series.c - timeseries.csv rows (series.h).
 */
#include "report/series.h"

#include <errno.h>

#include "report/hist.h"

static const char *const head =
	"t_s,interval_s,arrived,up,dtls,failed,arrivals,tunnels_up,failures,drops,reconnects,"
	"ttt_count,ttt_p50_ms,ttt_p90_ms,ttt_p99_ms,ttt_max_ms,"
	"rtp_sent,rtp_received,rtp_lost_up,rtp_lost_down,rtp_rtt_p50_ms,rtp_rtt_p99_ms,"
	"rtp_jitter_p99_ms,cpu_pct,rss_mib";

void series_header(FILE *f)
{
	fputs(head, f);
	for (int r = 1; r < R__COUNT; r++)
		fprintf(f, ",fail_%s", reason_name((enum reason)r));
	fputs(",events\n", f);
}

#define D(field) (r->now->field - r->prev->field)

/* ",12.345" for a percentile of h, or "," when h is empty. */
static void pct_ms(FILE *f, const struct hist *h, double p)
{
	if (!hist_count(h))
		fputc(',', f);
	else
		fprintf(f, ",%.3f", (double)hist_percentile(h, p) / 1000.0);
}

int series_write(FILE *f, const struct series_row *r)
{
	const struct hist *ttt = r->lat[M_TIME_TO_TUNNEL];
	uint64_t failures = 0;

	for (int k = 1; k < R__COUNT; k++)
		failures += D(failures[k]);
	fprintf(f, "%.3f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu", r->t_s,
		r->interval_s, (unsigned long long)r->now->attempted,
		(unsigned long long)r->now->up_now, (unsigned long long)r->now->dtls_now,
		(unsigned long long)r->now->failed, (unsigned long long)D(attempted),
		(unsigned long long)D(tunnels_up), (unsigned long long)failures,
		(unsigned long long)D(tunnels_dropped), (unsigned long long)D(reconnects),
		(unsigned long long)hist_count(ttt));
	pct_ms(f, ttt, 50);
	pct_ms(f, ttt, 90);
	pct_ms(f, ttt, 99);
	pct_ms(f, ttt, 100);
	fprintf(f, ",%llu,%llu,%llu,%llu", (unsigned long long)D(rtp_sent),
		(unsigned long long)D(rtp_received), (unsigned long long)D(rtp_up_lost),
		(unsigned long long)D(rtp_down_lost));
	pct_ms(f, r->lat[M_RTP_RTT], 50);
	pct_ms(f, r->lat[M_RTP_RTT], 99);
	pct_ms(f, r->lat[M_RTP_JITTER_DOWN], 99);
	fprintf(f, ",%.1f,%.1f", r->cpu_pct, r->rss_mib);
	for (int k = 1; k < R__COUNT; k++)
		fprintf(f, ",%llu", (unsigned long long)D(failures[k]));
	fprintf(f, ",%s\n", r->events ? r->events : "");
	return ferror(f) ? -EIO : 0;
}
