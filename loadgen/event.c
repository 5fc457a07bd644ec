/*
 * loadgen/event.c - the [event.NAME] sections of a scenario (event.h).
 */
#include "loadgen/event.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "loadgen/value.h"

static const char *const action_names[EV__COUNT] = {
	"mark", "reset", "fetch", "trust", "dns", "cut", "impair", "exec", "lab",
};

enum ev_key { EK_AT, EK_ACTION, EK_FRACTION, EK_PHONES, EK_SPREAD, EK_FETCH, EK_HASHES,
	      EK_SERVERS, EK_DURATION, EK_LOSS, EK_COMMAND, EK_TIMEOUT, EK__COUNT };

_Static_assert(EK__COUNT == EVENT_KEYS, "event.h: EVENT_KEYS is the number of keys");

static const char *const key_names[EK__COUNT] = {
	"at", "action", "fraction", "phones", "spread", "fetch_config", "hashes",
	"servers", "duration", "loss", "command", "timeout",
};

#define B(k) (1u << (k))
#define SELECT (B(EK_FRACTION) | B(EK_PHONES))
/* Which keys each action takes, besides at and action. */
static const unsigned takes[EV__COUNT] = {
	[EV_MARK] = 0,
	[EV_RESET] = SELECT | B(EK_SPREAD) | B(EK_FETCH),
	[EV_FETCH] = SELECT,
	[EV_TRUST] = SELECT | B(EK_HASHES),
	[EV_DNS] = B(EK_SERVERS),
	[EV_CUT] = SELECT | B(EK_DURATION),
	[EV_IMPAIR] = SELECT | B(EK_DURATION) | B(EK_LOSS),
	[EV_EXEC] = B(EK_COMMAND) | B(EK_TIMEOUT),
	[EV_LAB] = B(EK_COMMAND) | B(EK_TIMEOUT),
};
/* ... and which they cannot do without. */
static const unsigned needs[EV__COUNT] = {
	[EV_TRUST] = B(EK_HASHES),
	[EV_DNS] = B(EK_SERVERS),
	[EV_CUT] = B(EK_DURATION),
	[EV_IMPAIR] = B(EK_DURATION) | B(EK_LOSS),
	[EV_EXEC] = B(EK_COMMAND),
	[EV_LAB] = B(EK_COMMAND),
};

const char *event_action_name(enum event_action a)
{
	return (unsigned)a < EV__COUNT ? action_names[a] : "?";
}

const struct event_spec *event_find(const struct timeline_spec *tl, const char *name)
{
	for (int i = 0; i < tl->n_ev; i++)
		if (!strcmp(tl->ev[i].name, name))
			return &tl->ev[i];
	return NULL;
}

static bool good_name(const char *s)
{
	if (!*s || strlen(s) >= EVENT_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static bool reserved(const char *name)
{
	return !strcmp(name, "start") || !strcmp(name, "end") || !strcmp(name, "ramp_end");
}

/* "90s", "rotate", "rotate + 60s", "ramp_end+10s". */
static int set_at(struct event_spec *e, const char *v, char *why, size_t whylen)
{
	char anchor[EVENT_NAME_MAX];
	const char *plus = strchr(v, '+');
	size_t len = plus ? (size_t)(plus - v) : strlen(v);

	e->anchor[0] = '\0';
	e->at_us = 0;
	if (isdigit((unsigned char)v[0]) && !plus) {
		if (value_duration(v, &e->at_us))
			goto bad;
		return 0;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= sizeof(anchor))
		goto bad;
	memcpy(anchor, v, len);
	anchor[len] = '\0';
	if (!good_name(anchor) || (reserved(anchor) && strcmp(anchor, "ramp_end") &&
				   strcmp(anchor, "start")))
		goto bad;
	if (plus) {
		plus++;
		while (*plus == ' ' || *plus == '\t')
			plus++;
		if (value_duration(plus, &e->at_us))
			goto bad;
	}
	snprintf(e->anchor, sizeof(e->anchor), "%s", strcmp(anchor, "start") ? anchor : "");
	return 0;
bad:
	snprintf(why, whylen, "\"%s\" is not a time: give 90s (after the first arrival), "
			      "NAME + 30s (after event NAME), or ramp_end + 10s", v);
	return -1;
}

/* "0-9,100,200-299": phone indexes. */
static int set_phones(struct phone_sel *sel, const char *v, char *why, size_t whylen)
{
	const char *cur = v;
	char item[64];
	int rc;

	sel->n_ranges = 0;
	while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
		char *dash = strchr(item, '-');
		uint64_t lo, hi;

		if (sel->n_ranges == POLICY_MAX_RANGES) {
			snprintf(why, whylen, "more than %d ranges", POLICY_MAX_RANGES);
			return -1;
		}
		if (dash)
			*dash = '\0';
		if (value_uint(item, 0, UINT32_MAX, &lo) ||
		    value_uint(dash ? dash + 1 : item, lo, UINT32_MAX, &hi))
			break;
		sel->lo[sel->n_ranges] = (uint32_t)lo;
		sel->hi[sel->n_ranges] = (uint32_t)hi;
		sel->n_ranges++;
	}
	if (rc != 0) {
		snprintf(why, whylen, "\"%s\" is not a list of phone indexes and ranges "
				      "(0-9,100,200-299)", v);
		return -1;
	}
	return 0;
}

static int set_key(struct event_spec *e, enum ev_key k, const char *v, char *why,
		   size_t whylen)
{
	struct phone_command *c = &e->cmd;
	int rc;

	switch (k) {
	case EK_AT:
		return set_at(e, v, why, whylen);
	case EK_ACTION:
		for (int a = 0; a < EV__COUNT; a++)
			if (!strcmp(v, action_names[a])) {
				e->action = (enum event_action)a;
				return 0;
			}
		snprintf(why, whylen, "\"%s\" is not one of mark, reset, fetch, trust, dns, cut, "
				      "impair, exec, lab", v);
		return -1;
	case EK_FRACTION:
		if (value_share(v, &c->sel.fraction))
			goto bad_share;
		return 0;
	case EK_PHONES:
		return set_phones(&c->sel, v, why, whylen);
	case EK_SPREAD:
		if (value_duration(v, &c->spread_us))
			goto bad_duration;
		return 0;
	case EK_FETCH:
		if (value_bool(v, &c->fetch)) {
			snprintf(why, whylen, "\"%s\" is not yes or no", v);
			return -1;
		}
		return 0;
	case EK_HASHES:
		rc = value_cert_hashes(v, c->hashes, CONFIG_MAX_HASHES, &c->n_hashes);
		if (rc) {
			snprintf(why, whylen, "\"%s\" is not a list of 1 to %d SHA-1 hashes "
					      "(Base64 or hex)%s%s", v, CONFIG_MAX_HASHES,
				 rc == -EINVAL ? "" : ": ", rc == -EINVAL ? "" : strerror(-rc));
			return -1;
		}
		return 0;
	case EK_SERVERS: {
		const char *cur = v;
		char item[INET_ADDRSTRLEN];

		c->n_dns = 0;
		while ((rc = value_list_next(&cur, item, sizeof(item))) > 0) {
			if (c->n_dns == CONFIG_MAX_DNS ||
			    inet_pton(AF_INET, item, &c->dns[c->n_dns]) != 1)
				break;
			c->n_dns++;
		}
		if (rc != 0) {
			snprintf(why, whylen, "\"%s\" is not one or %d IPv4 addresses", v,
				 CONFIG_MAX_DNS);
			return -1;
		}
		return 0;
	}
	case EK_DURATION:
		if (value_duration(v, &c->duration_us) || !c->duration_us)
			goto bad_duration;
		return 0;
	case EK_LOSS:
		if (value_share(v, &c->loss))
			goto bad_share;
		return 0;
	case EK_COMMAND:
		if (strlen(v) >= sizeof(e->command)) {
			snprintf(why, whylen, "longer than %zu characters", sizeof(e->command) - 1);
			return -1;
		}
		snprintf(e->command, sizeof(e->command), "%s", v);
		return 0;
	case EK_TIMEOUT:
		if (value_duration(v, &e->timeout_us) || !e->timeout_us)
			goto bad_duration;
		return 0;
	default:
		break;
	}
	return -1;
bad_share:
	snprintf(why, whylen, "\"%s\" is not a share (30%% or 0.3)", v);
	return -1;
bad_duration:
	snprintf(why, whylen, "\"%s\" is not a duration above zero (250ms, 20s, 5m)", v);
	return -1;
}

int event_set(struct timeline_spec *tl, const char *name, const char *key, const char *value,
	      int section_line, int origin, char *why, size_t whylen)
{
	struct event_spec *e = (struct event_spec *)event_find(tl, name);
	int k;

	if (!good_name(name) || reserved(name)) {
		snprintf(why, whylen, "\"%s\" cannot name an event (letters, digits, _ and -; not "
				      "start, end or ramp_end)", name);
		return -1;
	}
	for (k = 0; k < EK__COUNT; k++)
		if (!strcmp(key, key_names[k]))
			break;
	if (k == EK__COUNT) {
		snprintf(why, whylen, "unknown key (at, action, fraction, phones, spread, "
				      "fetch_config, hashes, servers, duration, loss, command, timeout)");
		return -1;
	}
	if (!e) {
		if (tl->n_ev == TIMELINE_MAX_EVENTS) {
			snprintf(why, whylen, "more than %d events", TIMELINE_MAX_EVENTS);
			return -1;
		}
		e = &tl->ev[tl->n_ev++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->line = section_line > 0 ? section_line : 0;
		e->cmd.sel.fraction = 1;
		e->cmd.loss = 1;
		e->timeout_us = 300000000u; /* 5 min */
	}
	if (origin > 0 && e->key_at[k] > 0) {
		snprintf(why, whylen, "given twice (first on line %d)", e->key_at[k]);
		return -1;
	}
	if (set_key(e, (enum ev_key)k, value, why, whylen)) {
		e->refused |= B(k);
		return -1;
	}
	e->refused &= ~B(k);
	e->key_at[k] = origin;
	e->keys |= B(k);
	e->has_at |= k == EK_AT;
	e->has_action |= k == EK_ACTION;
	return 0;
}

int event_check(const struct timeline_spec *tl, int i, char *why, size_t whylen, int *origin)
{
	const struct event_spec *e = &tl->ev[i];
	unsigned extra, missing;

	*origin = e->line;
	if (e->refused & B(EK_ACTION))
		return 0; /* its action is wrong: what it takes is unknown */
	if (!e->has_action) {
		snprintf(why, whylen, "event.%s.action: required key missing", e->name);
		return -1;
	}
	if (!e->has_at && !(e->refused & B(EK_AT))) {
		snprintf(why, whylen, "event.%s.at: required key missing", e->name);
		return -1;
	}
	extra = e->keys & ~(takes[e->action] | B(EK_AT) | B(EK_ACTION));
	missing = needs[e->action] & ~(e->keys | e->refused);
	for (int k = 0; k < EK__COUNT; k++) {
		if (extra & B(k)) {
			snprintf(why, whylen, "event.%s.%s: not a key of action %s", e->name,
				 key_names[k], action_names[e->action]);
			*origin = e->key_at[k];
			return -1;
		}
		if (missing & B(k)) {
			snprintf(why, whylen, "event.%s.%s: required key missing (action is %s)",
				 e->name, key_names[k], action_names[e->action]);
			return -1;
		}
	}
	/* follow the anchors: they must end at the run clock, never loop */
	const struct event_spec *a = e;
	int lowest = i; /* the first event, in file order, met on the way */

	for (int hops = 0; a->anchor[0] && strcmp(a->anchor, "ramp_end"); hops++) {
		const struct event_spec *next = event_find(tl, a->anchor);

		if (!next) {
			if (a != e)
				return 0; /* said when that event is checked */
			snprintf(why, whylen, "event.%s.at: no event called \"%s\"", a->name,
				 a->anchor);
			*origin = a->key_at[EK_AT];
			return -1;
		}
		if (next == e) {
			/* a circle through e: said once, by its first event in the file */
			if (lowest < i)
				return 0;
			snprintf(why, whylen,
				 "event.%s.at: events anchored on each other in a "
				 "circle",
				 e->name);
			*origin = e->key_at[EK_AT];
			return -1;
		}
		if (hops > tl->n_ev)
			return 0; /* anchored on a circle that e is not in: said by the circle */
		if (next - tl->ev < lowest)
			lowest = (int)(next - tl->ev);
		a = next;
	}
	return 0;
}
