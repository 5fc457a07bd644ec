/*
 * engine/phone/worker.c - the phones of one thread and what they share (worker.h).
 *
 * The thread's loop (engine/ring) owns the I/O; this file owns what the
 * phones record and intern, and carries out on them what the run asks of
 * them as a whole: the timeline's commands, and the run's end.
 */
#include "engine/phone/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/command.h"
#include "engine/phone/io.h"
#include "engine/phone/phone.h"
#include "engine/phone/policy.h"
#include "engine/trust/trust.h"

int worker_init(struct worker *w, int id, const struct phone_io *io, const struct fleet *f,
		uint32_t n_phones)
{
	struct hist_set *ival;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->io = io;
	w->fleet = f;
	w->cfg = f->cfg;
	w->phones = calloc(n_phones ? n_phones : 1, sizeof(struct phone));
	if (!w->phones)
		return -ENOMEM;
	w->n_phones = n_phones;
	ival = hist_set_new();
	if (!ival)
		return -ENOMEM;
	recorder_init(&w->rec, ival);
	w->ival = ival;
	if (failq_init(&w->failq, FAILQ_CAP))
		return -ENOMEM;
	w->trust = trust_table_new();
	if (!w->trust)
		return -ENOMEM;
	return 0;
}

void worker_fini(struct worker *w)
{
	for (uint32_t i = 0; i < w->n_phones; i++)
		phone_release(&w->phones[i]);
	free(w->phones);
	w->phones = NULL;
	w->n_phones = 0;
	trust_table_free(w->trust);
	w->trust = NULL;
	if (w->ival)
		hist_set_free(recorder_fini(&w->rec));
	w->ival = NULL;
	failq_free(&w->failq);
}

void worker_pass_begin(struct worker *w)
{
	w->ival = recorder_enter(&w->rec, &w->ival_ticket);
}

void worker_pass_end(struct worker *w)
{
	recorder_leave(&w->rec, w->ival_ticket);
}

#define HANGUP_MARGIN_US 20000u /* after the calls' last echoes, before the logout */

uint64_t worker_stop(struct worker *w, uint64_t now)
{
	const struct voice_hooks *v = w->fleet->voice;

	/* phones in calls hang up first, and log out once the last echoes are back */
	if (w->cfg->calls > 0 && v && !w->hung_up) {
		w->hung_up = true;
		for (uint32_t i = 0; i < w->n_phones; i++)
			if (w->phones[i].voice)
				v->hangup(w, &w->phones[i], now);
		return now + v->drain_us + HANGUP_MARGIN_US;
	}
	w->stopping = true;
	for (uint32_t i = 0; i < w->n_phones; i++)
		phone_stop(w, &w->phones[i], now);
	return 0;
}

void worker_apply(struct worker *w, const struct phone_command *c, uint64_t now)
{
	if (c->action == PA_DNS) {
		w->io->dns_servers(w, c->dns, c->n_dns);
		return;
	}
	for (uint32_t i = 0; i < w->n_phones; i++) {
		struct phone *p = &w->phones[i];

		if (!policy_selected(&c->sel, p->idx))
			continue;
		switch (c->action) {
		case PA_RESET:
			phone_reset(w, p, now, now + policy_spread_us(p->idx, c->spread_us), c->fetch);
			break;
		case PA_CUT:
			phone_cut(w, p, now, now + c->duration_us, c->loss);
			break;
		case PA_FETCH:
			phone_fetch_config(w, p);
			break;
		case PA_TRUST:
			phone_set_trust(w, p, (const uint8_t(*)[20])c->hashes, c->n_hashes);
			break;
		default:
			break;
		}
	}
}

struct phone *worker_phone(struct worker *w, uint32_t k)
{
	return &w->phones[k];
}

uint32_t worker_n_phones(const struct worker *w)
{
	return w->n_phones;
}

const struct stats *worker_stats(const struct worker *w)
{
	return &w->st;
}

struct failq *worker_failq(struct worker *w)
{
	return &w->failq;
}

struct recorder *worker_recorder(struct worker *w)
{
	return &w->rec;
}
