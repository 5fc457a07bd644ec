/*
 * loadgen/metrics.h - the /metrics endpoint of a run (--metrics-listen).
 *
 * A small HTTP/1.0 and 1.1 server that lives in the run's own loop, with no
 * thread of its own: metrics_poll() takes the place of the loop's sleep,
 * waits in poll() for exactly as long, and serves whoever asks meanwhile.
 * Everything is non-blocking and bounded: at most METRICS_CLIENTS clients
 * at once (more are told 503), a request head of at most METRICS_REQ_MAX
 * bytes (431 beyond), METRICS_CLIENT_MS for a client to send its request
 * and take the answer, whatever its speed. GET or HEAD /metrics is answered
 * by the caller's render function (Prometheus text format), any other path
 * 404, any other method 405; every connection is closed after its answer.
 */
#ifndef LOADGEN_METRICS_H
#define LOADGEN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_CLIENTS 32     /* connections served at once */
#define METRICS_REQ_MAX 4096   /* bytes of request head, at most */
#define METRICS_CLIENT_MS 5000 /* a connection's whole life, at most */

struct metrics; /* opaque */

/* Writes the body of /metrics to out. 0, or non-zero for a 500. */
typedef int (*metrics_render_fn)(FILE *out, void *arg);

/*
 * Listen on addr, "HOST:PORT": an IPv4 address, [an IPv6 address], a host
 * name, or nothing (":9464", every interface); PORT 0 takes a free port.
 * Any address is allowed: serving metrics is not load. NULL with err set
 * on failure.
 */
struct metrics *metrics_listen(const char *addr, char *err, size_t errlen);
/* The port listened on (the one the kernel chose, for port 0). */
uint16_t metrics_port(const struct metrics *m);
/*
 * Serve clients for timeout_ms milliseconds, then return; earlier if a
 * signal arrives. fn(out, arg) renders each answer to /metrics, at the
 * moment it is asked for. m NULL: just sleep timeout_ms.
 */
void metrics_poll(struct metrics *m, int timeout_ms, metrics_render_fn fn, void *arg);
/* Close every connection and the listening socket; NULL is allowed. */
void metrics_close(struct metrics *m);

#endif
