/*
 * report/utc.c - UTC moments in ISO 8601 (utc.h).
 */
#include "report/utc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

char *utc_format(char *buf, size_t len, double epoch_s)
{
	long long ms;
	time_t s;
	struct tm tm;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!(epoch_s > 0) || !isfinite(epoch_s))
		return buf;
	ms = (long long)floor(epoch_s * 1000.0); /* cut, as t_s is */
	s = (time_t)(ms / 1000);
	if (!gmtime_r(&s, &tm))
		return buf;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

double utc_parse(const char *text)
{
	struct tm tm;
	int ms = 0, used = 0;

	memset(&tm, 0, sizeof(tm));
	if (!text ||
	    sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
	    text[used])
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + ms / 1000.0;
}

double utc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
