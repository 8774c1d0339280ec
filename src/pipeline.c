/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ingest_job.h"
#include "log.h"

/* Files queued ahead of the worker, and batches (or bytes) waiting for
 * the store's thread: the bounds of the queues, and of the memory. */
#define AHEAD_FILES 4
#define QUEUE_BATCHES 64
#define QUEUE_BYTES (32 << 20)

struct job_item {
	struct ingest_job *job;
	int tag;
	unsigned flags;
	struct job_item *next;
};

struct batch_item {
	struct ingest_batch *b;
	bool wait;     /* the worker waits for it to be applied */
	bool *applied; /* then set, under the lock */
	struct batch_item *next;
};

struct pipeline {
	struct ingest *in;
	pipeline_done done;
	void *ud;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t to_worker; /* a job, room in the batch queue, an applied wait batch, closing */
	pthread_cond_t to_main;   /* a batch */
	/* jobs not started by the worker yet */
	struct job_item *jobs, **jobs_tail;
	size_t njobs;
	/* jobs added and not finished (their done not called) */
	struct job_item *open, **open_tail;
	size_t nopen;
	struct ingest_job *running; /* the worker's current job, for pipeline_stop */
	/* batches from the worker */
	struct batch_item *batches, **batches_tail;
	size_t nbatches, bytes;
	bool closing;
};

/* The worker's handoff: queue the batch, waiting for room (or, with
 * `wait`, until it is applied). */
static void handoff(void *ud, struct ingest_batch *b, bool wait)
{
	struct pipeline *pl = ud;
	bool applied = false;
	struct batch_item *it = xcalloc(1, sizeof *it);
	it->b = b;
	it->wait = wait;
	it->applied = &applied;
	size_t size = ingest_batch_size(b);
	pthread_mutex_lock(&pl->mu);
	while (!wait && pl->nbatches && (pl->nbatches >= QUEUE_BATCHES || pl->bytes + size > QUEUE_BYTES))
		pthread_cond_wait(&pl->to_worker, &pl->mu);
	*pl->batches_tail = it;
	pl->batches_tail = &it->next;
	pl->nbatches++;
	pl->bytes += size;
	pthread_cond_signal(&pl->to_main);
	while (wait && !applied)
		pthread_cond_wait(&pl->to_worker, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
}

static void *worker(void *arg)
{
	struct pipeline *pl = arg;
	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!pl->jobs && !pl->closing)
			pthread_cond_wait(&pl->to_worker, &pl->mu);
		if (!pl->jobs)
			break;
		struct job_item *it = pl->jobs;
		pl->jobs = it->next;
		if (!pl->jobs)
			pl->jobs_tail = &pl->jobs;
		pl->njobs--;
		pl->running = it->job;
		pthread_mutex_unlock(&pl->mu);
		ingest_job_run(it->job, handoff, pl);
		free(it);
		pthread_mutex_lock(&pl->mu);
		pl->running = NULL;
		pthread_cond_broadcast(&pl->to_main); /* pipeline_add waits for room ahead */
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

struct pipeline *pipeline_new(struct ingest *in, pipeline_done done, void *ud)
{
	struct pipeline *pl = xcalloc(1, sizeof *pl);
	pl->in = in;
	pl->done = done;
	pl->ud = ud;
	pl->jobs_tail = &pl->jobs;
	pl->open_tail = &pl->open;
	pl->batches_tail = &pl->batches;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->to_worker, NULL);
	pthread_cond_init(&pl->to_main, NULL);
	/* signals are the caller's thread's business */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&pl->thread, NULL, worker, pl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		log_warn("cannot start the backfill thread; reading on one core");
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->to_worker);
		pthread_cond_destroy(&pl->to_main);
		free(pl);
		return NULL;
	}
	log_debug("backfill: files are parsed on a second thread");
	return pl;
}

/* Apply one batch if there is one (waiting for it if `block`); returns
 * whether it applied one. A batch that ends a job finishes it and calls
 * done. Called with the lock held; drops it while applying. */
static bool apply_one(struct pipeline *pl, bool block)
{
	while (block && !pl->batches)
		pthread_cond_wait(&pl->to_main, &pl->mu);
	struct batch_item *it = pl->batches;
	if (!it)
		return false;
	pl->batches = it->next;
	if (!pl->batches)
		pl->batches_tail = &pl->batches;
	pl->nbatches--;
	pl->bytes -= ingest_batch_size(it->b);
	pthread_cond_broadcast(&pl->to_worker); /* room */
	pthread_mutex_unlock(&pl->mu);

	struct ingest_job *job = ingest_batch_job(it->b);
	int end = ingest_batch_apply(it->b);
	if (!it->wait)
		ingest_batch_free(it->b);
	struct job_item *open = NULL;
	if (end) {
		/* jobs end in the order they were added */
		open = pl->open;
		pl->open = open->next;
		if (!pl->open)
			pl->open_tail = &pl->open;
		pl->nopen--;
		int64_t added = 0;
		char *path = xstrdup(ingest_job_path(job));
		int rc = ingest_job_finish(job, &added);
		if (pl->done)
			pl->done(pl->ud, path, rc, added, open->tag, open->flags);
		free(path);
		free(open);
	}
	pthread_mutex_lock(&pl->mu);
	if (it->wait) {
		*it->applied = true;
		pthread_cond_broadcast(&pl->to_worker);
	}
	free(it);
	return true;
}

/* Is path added and not finished? (Its cursor is not stored yet.) */
static bool open_path(struct pipeline *pl, const char *path)
{
	for (struct job_item *it = pl->open; it; it = it->next)
		if (!strcmp(ingest_job_path(it->job), path))
			return true;
	return false;
}

void pipeline_add(struct pipeline *pl, const struct plugin *p, const char *path, unsigned flags, int tag)
{
	pthread_mutex_lock(&pl->mu);
	/* the same file again: its job must be stored first */
	while (pl->nopen && open_path(pl, path))
		apply_one(pl, true);
	pthread_mutex_unlock(&pl->mu);

	int64_t budget = pl->in->read_budget;
	pl->in->read_budget = 0;
	int rc;
	struct ingest_job *job = ingest_job_new(pl->in, p, path, KATO_FEED_NONE, flags, &rc);
	pl->in->read_budget = budget;
	if (!job) {
		if (pl->done)
			pl->done(pl->ud, path, rc, 0, tag, flags);
		return;
	}
	struct job_item *it = xcalloc(1, sizeof *it), *open = xcalloc(1, sizeof *open);
	it->job = open->job = job;
	it->tag = open->tag = tag;
	it->flags = open->flags = flags;
	pthread_mutex_lock(&pl->mu);
	*pl->jobs_tail = it;
	pl->jobs_tail = &it->next;
	pl->njobs++;
	*pl->open_tail = open;
	pl->open_tail = &open->next;
	pl->nopen++;
	pthread_cond_broadcast(&pl->to_worker);
	/* apply what is ready; wait while the worker is far enough ahead */
	while (apply_one(pl, false))
		;
	while (pl->njobs >= AHEAD_FILES) {
		if (!apply_one(pl, false))
			pthread_cond_wait(&pl->to_main, &pl->mu);
	}
	pthread_mutex_unlock(&pl->mu);
}

void pipeline_drain(struct pipeline *pl)
{
	pthread_mutex_lock(&pl->mu);
	while (pl->nopen)
		apply_one(pl, true);
	pthread_mutex_unlock(&pl->mu);
}

void pipeline_stop(struct pipeline *pl)
{
	pthread_mutex_lock(&pl->mu);
	for (struct job_item *it = pl->open; it; it = it->next)
		ingest_job_stop(it->job);
	pthread_mutex_unlock(&pl->mu);
	pipeline_drain(pl);
}

void pipeline_free(struct pipeline *pl)
{
	if (!pl)
		return;
	pipeline_drain(pl);
	pthread_mutex_lock(&pl->mu);
	pl->closing = true;
	pthread_cond_broadcast(&pl->to_worker);
	pthread_mutex_unlock(&pl->mu);
	pthread_join(pl->thread, NULL);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->to_worker);
	pthread_cond_destroy(&pl->to_main);
	free(pl);
}
