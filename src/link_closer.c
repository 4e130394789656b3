// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "array.h"
#include "link_closer.h"

/* A closer only calls close(2): a small stack does. */
#define CLOSER_STACK_BYTES (64u << 10)

struct link_closer {
	pthread_mutex_t lock;
	pthread_cond_t work; /* fds queued, or stopping */
	pthread_cond_t idle; /* nothing queued nor being closed */
	int *fds;
	size_t nr, cap;
	size_t busy; /* fds taken off the queue, not closed yet */
	unsigned int nr_threads, max_threads, waiting;
	pthread_t *threads;
	bool stopping;
};

static void *closer_main(void *arg)
{
	struct link_closer *c = arg;
	int fd;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->nr && !c->stopping) {
			c->waiting++;
			pthread_cond_wait(&c->work, &c->lock);
			c->waiting--;
		}
		if (!c->nr)
			break;
		fd = c->fds[--c->nr];
		c->busy++;
		pthread_mutex_unlock(&c->lock);
		close(fd);
		pthread_mutex_lock(&c->lock);
		c->busy--;
		if (!c->nr && !c->busy)
			pthread_cond_broadcast(&c->idle);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct link_closer *link_closer__new(unsigned int nr_threads)
{
	struct link_closer *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->threads = calloc(nr_threads ? nr_threads : 1, sizeof(*c->threads));
	if (!c->threads) {
		free(c);
		return NULL;
	}
	c->max_threads = nr_threads;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->idle, NULL);
	return c;
}

/* One more thread when every one is busy. Called locked. */
static void grow(struct link_closer *c)
{
	pthread_attr_t attr;

	if (c->waiting >= c->nr || c->nr_threads >= c->max_threads)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CLOSER_STACK_BYTES);
	if (!pthread_create(&c->threads[c->nr_threads], &attr, closer_main, c))
		c->nr_threads++;
	pthread_attr_destroy(&attr);
}

void link_closer__close(struct link_closer *c, int fd)
{
	if (fd < 0)
		return;
	if (!c) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (ARRAY_RESERVE(c->fds, c->cap, c->nr + 1, 64)) {
		pthread_mutex_unlock(&c->lock);
		close(fd);
		return;
	}
	c->fds[c->nr++] = fd;
	grow(c);
	if (!c->nr_threads) { /* no thread at all: close it here */
		fd = c->fds[--c->nr];
		pthread_mutex_unlock(&c->lock);
		close(fd);
		return;
	}
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
}

size_t link_closer__pending(struct link_closer *c)
{
	size_t nr;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	nr = c->nr + c->busy;
	pthread_mutex_unlock(&c->lock);
	return nr;
}

void link_closer__wait(struct link_closer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	while (c->nr || c->busy)
		pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

void link_closer__free(struct link_closer *c)
{
	unsigned int i;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < c->nr_threads; i++)
		pthread_join(c->threads[i], NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->idle);
	free(c->fds);
	free(c->threads);
	free(c);
}
