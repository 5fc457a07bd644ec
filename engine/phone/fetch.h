/*
 * engine/phone/fetch.h - a phone fetches its config file through its tunnel.
 *
 * A phone whose tunnel is up reads SEP<MAC>.cnf.xml from the TFTP server
 * (phones.tftp) with inner UDP packets through its tunnel, over DTLS or TLS
 * as its voice goes: a read request, then an ACK for every block, sending
 * again what a timeout says was lost (FETCH_TRIES sends, FETCH_WAIT_US
 * apart) as a phone's TFTP client does. The file whole, it reads the
 * certHash entries of its <vpnGroup> and takes them as its trust list for
 * its next connection (phone_set_trust). The state of a fetch lives only
 * while it runs; a phone that is not fetching holds a flag and a NULL.
 */
#ifndef ENGINE_FETCH_H
#define ENGINE_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#define FETCH_WAIT_US 2000000u  /* no answer for this long: send again */
#define FETCH_TRIES 4           /* sends of one packet before giving up */
#define FETCH_MAX_BYTES 65536u  /* a longer config file is refused */

struct worker;
struct phone;
struct inner_info;

/*
 * Fetch the phone's config now if its tunnel can carry it (up, DTLS settled
 * one way or the other), else once it can. 0, or -EALREADY if a fetch is
 * under way (it carries on).
 */
int fetch_request(struct worker *w, struct phone *p, uint64_t now);
/* The tunnel's data path has just settled: start a fetch that was asked for. */
void fetch_ready(struct worker *w, struct phone *p, uint64_t now);
/* When the fetch needs the phone's timer next; UINT64_MAX if none runs. */
uint64_t fetch_next(const struct phone *p);
/* Time has come: send again, or give up. */
void fetch_tick(struct worker *w, struct phone *p, uint64_t now);
/* A UDP packet from the tunnel: true if it belonged to the fetch (and was taken). */
bool fetch_rx(struct worker *w, struct phone *p, const struct inner_info *in, uint64_t now);
/*
 * The tunnel went down: a fetch under way fails and is asked for again, to
 * run once the tunnel is back. When the run is ending it is counted as cut
 * short (config_unfinished), neither fetched nor failed.
 */
void fetch_cut(struct worker *w, struct phone *p, uint64_t now);
/* Free a fetch's state, if any. */
void fetch_free(struct phone *p);

#endif
