/*
 * loadgen/preflight.c - what this machine allows a run (preflight.h).
 *
 * Everything is read from the kernel as it stands for this process: its
 * rlimits, /proc/meminfo and its cgroup's memory.max, the port range of
 * net.ipv4, binding each source address once, setting up a ring, making a
 * thread of its own real-time. Nothing is sent anywhere.
 */
#include "loadgen/preflight.h"

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "engine/config.h"
#include "engine/stats/stats.h"
#include "engine/swarm/swarm.h"

#define HIST_BYTES 185816 /* one histogram (engine/stats/hist.h) */

/* The first number in file path, or -1 when it cannot be read. */
static long long read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int preflight_threads(const struct swarm_config *cfg)
{
	long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if ((uint64_t)n > cfg->count)
		n = (long)cfg->count;
	return (int)n;
}

/* A phone's sockets: TCP and UDP; one UDP socket with traffic.path = direct. */
static unsigned socks_per_phone(const struct swarm_config *cfg)
{
	return cfg->voice_direct ? 1 : 2;
}

uint64_t preflight_fds_needed(const struct swarm_config *cfg, bool fixed_files)
{
	return (fixed_files ? 0 : (uint64_t)socks_per_phone(cfg) * cfg->count) +
	       (uint64_t)PREFLIGHT_FDS_THREAD * (uint64_t)preflight_threads(cfg) +
	       PREFLIGHT_FDS_RUN;
}

uint64_t preflight_table_needed(const struct swarm_config *cfg)
{
	uint64_t threads = (uint64_t)preflight_threads(cfg);

	/* phone i lives on worker i mod threads: the first ones get the rounding */
	return 2 * ((cfg->count + threads - 1) / threads);
}

/* ==== Descriptors ==== */

uint64_t preflight_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

bool preflight_fixed_files(const struct swarm_config *cfg)
{
	const char *force = getenv("PHONESWARM_FIXED_FILES");

	if (force && !strcmp(force, "1"))
		return true;
	return preflight_fds_needed(cfg, false) > preflight_raise_nofile();
}

int64_t preflight_rx_buffers(char *err, size_t len)
{
	const char *v = getenv("PHONESWARM_RX_BUFFERS");
	char *end;
	unsigned long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || n < 1 || n > 32768) {
		snprintf(err, len, "PHONESWARM_RX_BUFFERS=%s: want a number from 1 to 32768", v);
		return -1;
	}
	return (int64_t)n;
}

/*
 * As descriptors, the phones' sockets count against the limit with the
 * rest. As registered files (when they would not fit, or forced), two
 * limits of the same number: the process's descriptors (a few a worker,
 * some for the run), and each ring's table, which the kernel caps at
 * RLIMIT_NOFILE too.
 */
void preflight_descriptors(const struct swarm_config *cfg, struct preflight *out)
{
	bool fixed = preflight_fixed_files(cfg);
	uint64_t need = preflight_fds_needed(cfg, fixed), as_fds = preflight_fds_needed(cfg, false);
	uint64_t table = fixed ? preflight_table_needed(cfg) : 0, have = preflight_raise_nofile();
	uint64_t raise = need > table ? need : table, per_thread = have / 2, threads_needed;
	long long nr_open = read_number("/proc/sys/fs/nr_open");
	int threads = preflight_threads(cfg);
	char how[200], more[64] = "", why[200];

	snprintf(how, sizeof(how),
		 "(as root: ulimit -Hn %llu; LimitNOFILE= for a systemd service; nofile in "
		 "/etc/security/limits.conf%s)",
		 (unsigned long long)raise,
		 nr_open >= 0 && (uint64_t)nr_open < raise ? "; and sysctl fs.nr_open, below it too"
							   : "");
	out->problem = need > have || table > have;
	if (!fixed) {
		snprintf(out->text, sizeof(out->text),
			 "need %llu (%u a phone, %d a worker thread, %d for the run), may open %llu: ok",
			 (unsigned long long)need, socks_per_phone(cfg), PREFLIGHT_FDS_THREAD,
			 PREFLIGHT_FDS_RUN, (unsigned long long)have);
		return;
	}
	if (need > have) {
		snprintf(out->text, sizeof(out->text),
			 "%d worker thread%s need %llu descriptors (%d a thread, %d for the run), "
			 "but this process may open %llu (its hard limit, ulimit -Hn): raise it to "
			 "%llu %s",
			 threads, threads == 1 ? "" : "s", (unsigned long long)need,
			 PREFLIGHT_FDS_THREAD, PREFLIGHT_FDS_RUN, (unsigned long long)have,
			 (unsigned long long)raise, how);
		return;
	}
	if (table > have) {
		threads_needed = per_thread ? (cfg->count + per_thread - 1) / per_thread : 0;
		if (threads_needed && threads_needed <= CONFIG_MAX_THREADS)
			snprintf(more, sizeof(more), "set run.threads = %llu or more, or ",
				 (unsigned long long)threads_needed);
		snprintf(out->text, sizeof(out->text),
			 "%u phones on %d worker thread%s put %llu on one thread, whose io_uring "
			 "holds their sockets (2 a phone) as a table of %llu registered files, but "
			 "the kernel caps a ring's table at the descriptor limit, %llu here (its "
			 "hard limit, ulimit -Hn): %sraise the limit to %llu %s, or run at most "
			 "%llu phones",
			 cfg->count, threads, threads == 1 ? "" : "s",
			 (unsigned long long)table / 2, (unsigned long long)table,
			 (unsigned long long)have, more, (unsigned long long)raise, how,
			 (unsigned long long)per_thread * (uint64_t)threads);
		return;
	}
	if (as_fds > have)
		snprintf(why, sizeof(why),
			 "as descriptors the phones' sockets would need %llu (%u a phone, %d a worker "
			 "thread, %d for the run), more than this process may open",
			 (unsigned long long)as_fds, socks_per_phone(cfg), PREFLIGHT_FDS_THREAD,
			 PREFLIGHT_FDS_RUN);
	else
		snprintf(why, sizeof(why), "PHONESWARM_FIXED_FILES=1");
	snprintf(out->text, sizeof(out->text),
		 "%s: they are io_uring registered files instead, %llu entries (2 a phone) in the "
		 "table of the busiest of %d thread%s, of %llu a ring may hold; the run needs %llu "
		 "descriptors (%d a worker thread, %d for the run), may open %llu: ok",
		 why, (unsigned long long)table, threads, threads == 1 ? "" : "s",
		 (unsigned long long)have, (unsigned long long)need, PREFLIGHT_FDS_THREAD,
		 PREFLIGHT_FDS_RUN, (unsigned long long)have);
}

/* ==== Memory ==== */

/* MemAvailable of /proc/meminfo, bytes; -1 unknown. */
static long long mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib < 0 ? -1 : kib * 1024;
}

/* What this process's cgroup (v2) still allows, bytes; -1 no limit or unknown. */
static long long cgroup_room(void)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[4096], path[4200];
	long long max, cur;

	if (!f)
		return -1;
	path[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
		}
	fclose(f);
	if (!path[0])
		return -1;
	max = read_number(path); /* "max" reads as none */
	if (max < 0)
		return -1;
	strcpy(strrchr(path, '/'), "/memory.current");
	cur = read_number(path);
	return cur >= 0 && cur < max ? max - cur : 0;
}

void preflight_memory(const struct swarm_config *cfg, struct preflight *out)
{
	unsigned kib_phone =
	    cfg->dtls_mode == DTLS_MODE_OFF ? PREFLIGHT_KIB_PHONE_TLS : PREFLIGHT_KIB_PHONE_DTLS;
	int sets =
	    preflight_threads(cfg) + 3; /* each worker's interval, the run's two, the timeline's */
	unsigned long long need = (unsigned long long)cfg->count * kib_phone * 1024 +
				  PREFLIGHT_KIB_BASE * 1024ull +
				  (unsigned long long)sets * M__COUNT * HIST_BYTES;
	long long avail = mem_available(), cg = cgroup_room();
	const char *what = "MemAvailable";

	if (cg >= 0 && (avail < 0 || cg < avail)) {
		avail = cg;
		what = "its cgroup's memory.max less what it uses";
	}
	if (avail < 0) {
		out->problem = false;
		snprintf(
		    out->text, sizeof(out->text),
		    "need about %.0f MiB (%u KiB a phone, as measured with%s DTLS); what is free "
		    "is unknown here",
		    (double)need / 1048576, kib_phone,
		    kib_phone == PREFLIGHT_KIB_PHONE_TLS ? "out" : "");
		return;
	}
	out->problem = need > (unsigned long long)avail;
	snprintf(
	    out->text, sizeof(out->text),
	    "need about %.0f MiB (%u KiB a phone, as measured with%s DTLS, and %.0f MiB for the "
	    "run), %.0f MiB free (%s)%s",
	    (double)need / 1048576, kib_phone, kib_phone == PREFLIGHT_KIB_PHONE_TLS ? "out" : "",
	    (double)(need - (unsigned long long)cfg->count * kib_phone * 1024) / 1048576,
	    (double)avail / 1048576, what,
	    out->problem ? ": not enough; run fewer phones, or shard the fleet over machines "
			   "(run --shard)"
			 : ": ok");
}

/* ==== Source addresses ==== */

void preflight_ports(const struct swarm_config *cfg, struct preflight *out)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned lo = 0, hi = 0;
	uint64_t addrs = cfg->n_source ? cfg->n_source : 1, per, range;

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = hi = 0;
		fclose(f);
	}
	if (addrs > cfg->count)
		addrs = cfg->count;
	per = (cfg->count + addrs - 1) / addrs;
	range = hi >= lo && hi ? hi - lo + 1 : 0;
	out->problem = range && per > range;
	snprintf(out->text, sizeof(out->text),
		 "%llu phone%s a source address (%llu address%s%s); ephemeral ports %u-%u: %llu an "
		 "address for TCP, as many for UDP%s",
		 (unsigned long long)per, per == 1 ? "" : "s", (unsigned long long)addrs,
		 addrs == 1 ? "" : "es", cfg->n_source ? "" : ", the one the kernel picks", lo, hi,
		 (unsigned long long)range,
		 out->problem ? ": too few; give phones.source more addresses, or widen "
				"net.ipv4.ip_local_port_range"
		 : range && per * 2 > range
		     ? ": ok, but reconnections need room (a closed connection holds its port "
		       "a minute): more addresses would be safer"
		     : ": ok");
}

/* Bind addr (network order) as a phone would, its port left to connect(). 0 or -errno. */
static int try_bind(uint32_t addr, bool freebind)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, r = 0;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (freebind)
		setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		r = -errno;
	close(fd);
	return r;
}

void preflight_sources(const struct swarm_config *cfg, struct preflight *out)
{
	uint32_t n = cfg->n_source < cfg->count ? cfg->n_source : cfg->count, bad = 0, away = 0;
	char first[INET_ADDRSTRLEN] = "", why[64] = "", first_away[INET_ADDRSTRLEN] = "";
	size_t off;

	out->problem = false;
	if (!n) {
		snprintf(out->text, sizeof(out->text),
			 "none given (phones.source): the kernel picks the address of the route to "
			 "the headend");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		int r = try_bind(cfg->source[i], cfg->freebind);
		struct in_addr a = {.s_addr = cfg->source[i]};

		if (!r && cfg->freebind && try_bind(cfg->source[i], false) == -EADDRNOTAVAIL) {
			/* bound, but not this machine's: connect() would fail ENETUNREACH */
			if (!away++)
				inet_ntop(AF_INET, &a, first_away, sizeof(first_away));
			continue;
		}
		if (!r)
			continue;
		if (!bad++) {
			inet_ntop(AF_INET, &a, first, sizeof(first));
			snprintf(why, sizeof(why), "%s", strerror(-r));
		}
	}
	out->problem = bad + away > 0;
	off = (size_t)snprintf(out->text, sizeof(out->text),
			       "%u of the %u addresses used bind here%s%s", n - bad, n,
			       cfg->freebind ? " (with IP_FREEBIND)" : "",
			       out->problem ? "" : ": ok");
	if (bad && off < sizeof(out->text))
		off += (size_t)snprintf(out->text + off, sizeof(out->text) - off,
					"; %u %s not (the first, %s: %s): their phones would fail "
					"with LocalResource. Put them on an interface or in a local "
					"route (docs/real-headend.md)",
					bad, bad == 1 ? "does" : "do", first, why);
	if (away && off < sizeof(out->text))
		snprintf(out->text + off, sizeof(out->text) - off,
			 "; %u %s not this machine's yet (the first, %s): it sends nothing from "
			 "them, so their phones would fail with LocalResource (Network is "
			 "unreachable) until they are on an interface or a local route "
			 "(docs/real-headend.md)",
			 away, away == 1 ? "is" : "are", first_away);
}

/* ==== io_uring ==== */

void preflight_io_uring(struct preflight *out)
{
	struct io_uring_params params = {
	    .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
	    .cq_entries = 64,
	};
	long long disabled = read_number("/proc/sys/kernel/io_uring_disabled");
	char seccomp[32] = "?", line[256], kernel[128] = "?";
	struct io_uring ring;
	struct utsname u;
	FILE *f;
	int r;

	if (!uname(&u))
		snprintf(kernel, sizeof(kernel), "%s", u.release);
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %31s", seccomp) == 1)
			break;
	if (f)
		fclose(f);
	r = io_uring_queue_init_params(8, &ring, &params);
	if (r < 0) {
		memset(&params, 0, sizeof(params)); /* as the workers: without the newer flags */
		params.flags = IORING_SETUP_CQSIZE;
		params.cq_entries = 64;
		r = io_uring_queue_init_params(8, &ring, &params);
	}
	if (!r)
		io_uring_queue_exit(&ring);
	out->problem = r < 0;
	snprintf(out->text, sizeof(out->text),
		 "kernel %s, kernel.io_uring_disabled %s, seccomp %s: %s%s%s", kernel,
		 disabled < 0	 ? "absent (before 6.6)"
		 : disabled == 0 ? "0"
		 : disabled == 1 ? "1"
				 : "2",
		 !strcmp(seccomp, "0")	 ? "off"
		 : !strcmp(seccomp, "2") ? "filtering"
					 : seccomp,
		 r < 0 ? "a ring cannot be set up: " : "a ring was set up: ok",
		 r < 0 ? strerror(-r) : "",
		 r == -ENOSYS  ? " (no io_uring in this kernel, or a seccomp filter refuses it: "
				 "a container's runtime may; allow io_uring_setup/enter/register)"
		 : r == -EPERM ? " (kernel.io_uring_disabled, or a seccomp filter)"
			       : "");
}

/* ==== Scheduling ==== */

static void *try_realtime(void *arg)
{
	*(int *)arg = swarm_realtime_self();
	return NULL;
}

void preflight_priority(const struct swarm_config *cfg, struct preflight *out)
{
	long long runtime = read_number("/proc/sys/kernel/sched_rt_runtime_us");
	long long period = read_number("/proc/sys/kernel/sched_rt_period_us");
	pthread_t th;
	int r, got = 0;

	out->problem = false;
	if (!cfg->realtime) {
		snprintf(out->text, sizeof(out->text),
			 "normal: the worker threads take turns with everything else on the "
			 "cores (run.priority = realtime puts their sends first)");
		return;
	}
	/* a thread of its own, so that this one's scheduling is left as it was */
	r = pthread_create(&th, NULL, try_realtime, &got);
	if (r)
		r = -r;
	else if (!pthread_join(th, NULL))
		r = got;
	out->problem = r < 0;
	if (r < 0)
		snprintf(out->text, sizeof(out->text),
			 "realtime: a thread cannot be made real-time here (SCHED_FIFO %d): %s%s",
			 SWARM_RT_PRIORITY, strerror(-r),
			 r == -EPERM ? " (run as root, give phoneswarm CAP_SYS_NICE (a container: "
				       "--cap-add SYS_NICE) or raise `ulimit -r` to 1 or more; or "
				       "set run.priority = normal)"
				     : "");
	else if (runtime < 0 || period <= 0)
		snprintf(out->text, sizeof(out->text),
			 "realtime: the worker threads run SCHED_FIFO %d: ok; kernel.sched_rt_runtime_us "
			 "is -1 or unreadable: busy workers may take whole cores from everything else",
			 SWARM_RT_PRIORITY);
	else
		snprintf(out->text, sizeof(out->text),
			 "realtime: the worker threads run SCHED_FIFO %d: ok; when they are busy, "
			 "everything else on the machine (the rest of phoneswarm included) keeps "
			 "%.0f%% of each core (kernel.sched_rt_runtime_us)",
			 SWARM_RT_PRIORITY, 100.0 * (double)(period - runtime) / (double)period);
}
