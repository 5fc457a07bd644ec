/*
 * tests/fuzz/fuzz_metrics.c - libFuzzer target for the request reader of the
 * --metrics-listen endpoint, which anyone who can reach its port may talk
 * to: the input is the request head as received (up to the buffer's size).
 * Whatever it is, the answer is a whole HTTP response.
 *
 * loadgen/metrics.c is included to reach its static request handler.
 */
#include "loadgen/metrics.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int render(FILE *f, void *arg)
{
	(void)arg;
	return fputs("# TYPE x gauge\nx 1\n", f) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client c;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.st = CL_READ;
	if (size > sizeof(c.req) - 1)
		size = sizeof(c.req) - 1;
	memcpy(c.req, data, size);
	c.rlen = size;
	c.req[size] = '\0';
	if (!head_done(&c))
		return 0;
	respond(&c, render, NULL);
	if (c.st != CL_WRITE || !c.out || c.olen < 17 || memcmp(c.out, "HTTP/1.1 ", 9))
		__builtin_trap();
	free(c.out);
	return 0;
}
