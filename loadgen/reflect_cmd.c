/*
 * loadgen/reflect_cmd.c - run the voice reflector (reflect_cmd.h).
 */
#include "loadgen/reflect_cmd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "engine/voice/reflect.h"
#include "loadgen/cmdline.h"
#include "loadgen/value.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: phoneswarm reflect --listen ADDR:PORT [--slots N] [--jitter D]\n"
		   "  echoes every UDP datagram to its sender; phoneswarm's RTP probes are\n"
		   "  stamped with the reflector's receive time and per-stream count, so a\n"
		   "  run can measure loss and delay in each direction. Ends on SIGINT/SIGTERM.\n"
		   "  --slots N    datagrams in flight (or held) at once, 1..4096 (256)\n"
		   "  --jitter D   hold each echo a random time, uniform in 0..D (at most 1s),\n"
		   "               after stamping it: jitter on the way back to the phones\n");
}

int reflect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"slots", required_argument, NULL, 's'},
		{"jitter", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmdline cl = {.argc = argc, .argv = argv, .shortopts = "h", .longopts = opts,
			     .usage = usage};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct reflect_stats st;
	uint64_t slots = 256, jitter_us = 0;
	bool have = false;
	int opt;

	while ((opt = cmdline_next(&cl)) != -1) {
		switch (opt) {
		case 'l': {
			char host[64];
			const char *colon = strrchr(optarg, ':');
			uint64_t port;

			if (!colon || (size_t)(colon - optarg) >= sizeof(host) ||
			    value_uint(colon + 1, 1, 65535, &port)) {
				fprintf(stderr, "phoneswarm reflect: --listen %s: want ADDR:PORT\n",
					optarg);
				return 2;
			}
			memcpy(host, optarg, (size_t)(colon - optarg));
			host[colon - optarg] = 0;
			if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
				fprintf(stderr, "phoneswarm reflect: --listen %s: not an IPv4 address\n",
					optarg);
				return 2;
			}
			sa.sin_port = htons((uint16_t)port);
			have = true;
			break;
		}
		case 's':
			if (value_uint(optarg, 1, 4096, &slots)) {
				fprintf(stderr, "phoneswarm reflect: --slots %s: 1..4096\n", optarg);
				return 2;
			}
			break;
		case 'j':
			if (value_duration(optarg, &jitter_us) || jitter_us > 1000000) {
				fprintf(stderr, "phoneswarm reflect: --jitter %s: a duration up to 1s "
						"(20ms)\n",
					optarg);
				return 2;
			}
			break;
		}
	}
	if (cl.exit >= 0)
		return cl.exit;
	if (!cmdline_operands(&cl, 0, 0))
		return 2;
	if (!have) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct reflect_cfg cfg = {.slots = (unsigned)slots, .jitter_us = jitter_us};
	int fd = reflect_listen(&sa), r = fd;

	if (fd >= 0) {
		r = reflect_run(fd, &cfg, &stop, &st);
		close(fd);
	}
	if (r < 0) {
		fprintf(stderr, "phoneswarm reflect: %s: %s\n", argv[0], strerror(-r));
		return 3;
	}
	fprintf(stderr,
		"phoneswarm reflect: %llu received, %llu echoed, %llu RTP probes stamped, %llu "
		"streams, %llu send errors\n",
		(unsigned long long)st.received, (unsigned long long)st.echoed,
		(unsigned long long)st.stamped, (unsigned long long)st.streams,
		(unsigned long long)st.dropped);
	return 0;
}
