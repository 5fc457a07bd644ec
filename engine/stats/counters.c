/*
 * engine/stats/counters.c - the table of counters.def as an array, and the
 * figures computed from the counters (counters.h).
 */
#include "engine/stats/counters.h"

#include <string.h>

const struct counter counters[] = {
#define STAT(field, k, u, ...)                                                                     \
	{.type = CT_STAT,                                                                          \
	 .id = #field,                                                                             \
	 .off = offsetof(struct stats, field),                                                     \
	 .kind = KIND_##k,                                                                         \
	 .unit = UNIT_##u,                                                                         \
	 __VA_ARGS__},
#define FIGURE(f, k, u, ...)                                                                       \
	{.type = CT_FIGURE, .id = #f, .fig = f, .kind = KIND_##k, .unit = UNIT_##u, __VA_ARGS__},
#define METRIC(m, nm, ...)                                                                         \
	{.type = CT_METRIC,                                                                        \
	 .id = nm,                                                                                 \
	 .name = nm,                                                                               \
	 .metric = m,                                                                              \
	 .kind = KIND_HISTOGRAM,                                                                   \
	 .unit = UNIT_US,                                                                          \
	 __VA_ARGS__},
#include "engine/stats/counters.def"
};

const size_t n_counters = sizeof(counters) / sizeof(counters[0]);

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A figure's value in f; NULL, or why it has none (*v set all the same). */
static const char *figure(enum figure id, const struct figures *f, double *v)
{
	const struct stats *st = f->st;
	static const char no_rtp[] = "no RTP sent in this window";
	static const char no_call[] = "no call was scored in this window";

	switch (id) {
	case F_CONFIGURED:
		*v = (double)f->configured;
		return NULL;
	case F_PEAK:
		*v = (double)f->peak;
		return NULL;
	case F_UP_MIN:
		*v = (double)f->up_min;
		return NULL;
	case F_FAILURES: {
		uint64_t sum = 0;

		for (int r = 1; r < R__COUNT; r++)
			sum += st->failures[r];
		*v = (double)sum;
		return NULL;
	}
	case F_RTP_LOST:
		*v = (double)(st->rtp_up_lost + st->rtp_down_lost);
		return NULL;
	case F_LOSS:
		*v = pct(st->rtp_up_lost + st->rtp_down_lost, st->rtp_sent);
		return st->rtp_sent ? NULL : no_rtp;
	case F_LOSS_UP:
		*v = pct(st->rtp_up_lost, st->rtp_up_expected);
		return st->rtp_sent ? NULL : no_rtp;
	case F_LOSS_DOWN:
		*v = pct(st->rtp_down_lost, st->rtp_down_expected);
		return st->rtp_sent ? NULL : no_rtp;
	case F_LATE:
		*v = pct(st->rtp_late, st->rtp_received);
		return st->rtp_sent ? NULL : no_rtp;
	case F_MOS:
		*v = st->mos_calls ? (double)st->mos_milli_sum / 1000.0 / (double)st->mos_calls : 0;
		return st->mos_calls ? NULL : no_call;
	case F_MOS_MIN:
		*v = st->mos_calls ? (5000.0 - (double)st->mos_worst_milli) / 1000.0 : 0;
		return st->mos_calls ? NULL : no_call;
	case F__COUNT:
		break;
	}
	*v = 0;
	return NULL;
}

const char *counter_value(const struct counter *c, const struct figures *f, double *v)
{
	if (c->type == CT_STAT) {
		*v = (double)*(const uint64_t *)((const char *)f->st + c->off);
		return NULL;
	}
	return figure(c->fig, f, v);
}

uint64_t counter_count(const struct counter *c, const struct figures *f)
{
	double v;

	if (c->type == CT_STAT)
		return *(const uint64_t *)((const char *)f->st + c->off);
	switch (c->fig) { /* the whole figures, exactly */
	case F_CONFIGURED:
		return f->configured;
	case F_PEAK:
		return f->peak;
	case F_UP_MIN:
		return f->up_min;
	case F_RTP_LOST:
		return f->st->rtp_up_lost + f->st->rtp_down_lost;
	default:
		figure(c->fig, f, &v);
		return (uint64_t)v;
	}
}

bool counter_whole(const struct counter *c)
{
	return c->unit == UNIT_PHONES || c->unit == UNIT_FLEET || c->unit == UNIT_COUNT ||
	       c->unit == UNIT_BYTES;
}

const struct counter *counter_by_name(const char *name)
{
	for (size_t i = 0; i < n_counters; i++)
		if (counters[i].name && counters[i].type != CT_METRIC &&
		    !strcmp(counters[i].name, name))
			return &counters[i];
	return NULL;
}

/* Each entry's place in counters[]: CI_field, CI_F_..., CI_M_... */
enum counter_index {
#define STAT(field, ...) CI_##field,
#define FIGURE(id, ...)	 CI_##id,
#define METRIC(id, ...)	 CI_##id,
#include "engine/stats/counters.def"
};

const struct counter *counter_metric(enum metric m)
{
	static const struct counter *const by_metric[M__COUNT] = {
#define METRIC(id, ...) [id] = &counters[CI_##id],
#include "engine/stats/counters.def"
	};

	return (unsigned)m < M__COUNT ? by_metric[m] : NULL;
}
