/*
 * engine/bufcache.c - the 2 KiB buffers a thread's sends go through, kept for reuse (bufcache.h).
 */
#include "engine/bufcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct cache {
	uint8_t *free[BUFCACHE_KEEP]; /* owned: buffers kept for reuse, free[0..n) */
	uint32_t n;
	bool keyed;                   /* the thread-exit destructor knows this cache */
	struct bufcache_stats st;
};

static __thread struct cache tl;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void drain(struct cache *c)
{
	while (c->n)
		free(c->free[--c->n]);
	c->st.kept = 0;
}

static void on_thread_exit(void *arg)
{
	drain(arg);
}

static void make_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

uint8_t *bufcache_get(void)
{
	if (tl.n) {
		tl.st.reused++;
		tl.st.kept = tl.n - 1;
		return tl.free[--tl.n];
	}
	tl.st.allocated++;
	return malloc(BUFCACHE_SIZE);
}

void bufcache_put(uint8_t *buf)
{
	if (!buf)
		return;
	if (tl.n == BUFCACHE_KEEP) {
		free(buf);
		return;
	}
	if (!tl.keyed) {
		/* the thread's first: have its exit free what it keeps */
		pthread_once(&key_once, make_key);
		tl.keyed = pthread_setspecific(exit_key, &tl) == 0;
		if (!tl.keyed) {
			free(buf); /* nothing would free it at the thread's exit */
			return;
		}
	}
	tl.free[tl.n++] = buf;
	tl.st.kept = tl.n;
}

void bufcache_drain(void)
{
	drain(&tl);
}

struct bufcache_stats bufcache_stats(void)
{
	return tl.st;
}
