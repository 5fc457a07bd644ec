/*
 * report/capacity.c - stop conditions and limits of the capacity search (capacity.h).
 */
#include "report/capacity.h"

#include <stdio.h>

#include "engine/config.h"

bool capacity_refusal(enum reason r)
{
	switch (r) {
	case R_TCP_REFUSED:
	case R_TCP_TIMEOUT:
	case R_TLS_ALERT:
	case R_TLS_ERROR:
	case R_TLS_REFUSED:
	case R_CLIENT_CERT:
	case R_AUTH_FAILED:
	case R_HTTP_STATUS:
	case R_TUNNEL_REFUSED:
	case R_CLOSED_HANDSHAKE:
	case R_CONNECT_TIMEOUT:
		return true;
	default:
		return false;
	}
}

uint64_t capacity_refused(const struct stats *now, const struct stats *then, enum reason *top)
{
	uint64_t sum = 0, best = 0;

	*top = R_NONE;
	for (int k = 1; k < R__COUNT; k++) {
		uint64_t d = now->failures[k] - then->failures[k];

		if (!capacity_refusal((enum reason)k) || !d)
			continue;
		sum += d;
		if (d > best) {
			best = d;
			*top = (enum reason)k;
		}
	}
	return sum;
}

enum cap_stop capacity_check(const struct swarm_config *cfg, const struct cap_interval *iv)
{
	if (cfg->stop_refusals && iv->refused_total >= cfg->stop_refusals)
		return CAP_REFUSALS;
	if (cfg->stop_failures > 0 && iv->refused &&
	    (double)iv->refused >= cfg->stop_failures * (double)(iv->arrivals ? iv->arrivals : 1))
		return CAP_FAILURES;
	if (cfg->stop_p99_us && iv->ttt_count && iv->ttt_p99_us > cfg->stop_p99_us)
		return CAP_P99;
	return CAP_NONE;
}

const char *capacity_stop_name(enum cap_stop s)
{
	static const char *const names[] = {"none", "stop_failures", "stop_p99", "stop_refusals"};
	return names[s];
}

void capacity_limit(struct capacity_result *r, double cpu_pct, unsigned ncpu, const char *said)
{
	const char *what;

	if (ncpu && cpu_pct >= 90.0 * ncpu) {
		snprintf(r->limit, sizeof(r->limit), "%s",
			 "phoneswarm's own CPU: the load generator is the limit, not the headend "
			 "(run shards on more machines)");
		return;
	}
	if (r->why == CAP_P99 && r->reason == R_NONE)
		what = "handshake rate: the headend kept accepting phones, but slower than the "
		       "time-to-tunnel bound (its CPU)";
	else
		switch (r->reason) {
		case R_TCP_REFUSED:
		case R_TCP_TIMEOUT:
			what = "connections: the headend stopped accepting TCP connections (listen "
			       "backlog, a connection limit or a firewall)";
			break;
		case R_TLS_REFUSED:
		case R_TLS_ERROR:
		case R_TLS_ALERT:
		case R_CLOSED_HANDSHAKE:
			what = "session cap (licence): the headend refused new sessions during the "
			       "TLS handshake";
			break;
		case R_CONNECT_TIMEOUT:
			what = "session cap or overload: new phones hung until their connect timer "
			       "(ocserv's max-clients leaves them hanging in the handshake)";
			break;
		case R_AUTH_FAILED:
			what = "session limit (licence) or credentials: the headend refused the "
			       "login";
			break;
		case R_HTTP_STATUS:
		case R_TUNNEL_REFUSED:
			what = "address pool or licence: the headend refused the tunnel after the "
			       "login";
			break;
		default:
			what = "the headend's handshake rate (time to tunnel grew past the bound)";
			break;
		}
	if (said && said[0])
		snprintf(r->limit, sizeof(r->limit), "%s; the headend said: %s", what, said);
	else
		snprintf(r->limit, sizeof(r->limit), "%s", what);
}
