/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ingest_job.h"
#include "json.h"
#include "log.h"

/* Files queued ahead of the workers, and batches (or bytes) waiting for
 * the store's thread per file: the bounds of the queues, and of the
 * memory (at most MAX_WORKERS files have batches waiting). */
#define AHEAD_FILES 4
#define QUEUE_BATCHES 32
#define QUEUE_BYTES (16 << 20)
#define MAX_WORKERS 4

struct batch_item {
	struct ingest_batch *b;
	bool wait;     /* the worker waits for it to be applied */
	bool *applied; /* then set, under the lock */
	struct batch_item *next;
};

/* A file added and not finished: its job and the batches its worker has
 * handed over and the store's thread has not applied yet. */
struct job_item {
	struct ingest_job *job;
	int tag;
	unsigned flags;
	struct job_item *next_todo; /* not started by a worker yet */
	struct job_item *next_open; /* added and not finished, in order */
	struct batch_item *batches, **batches_tail;
	size_t nbatches, bytes;
};

struct pipeline {
	struct ingest *in;
	pipeline_done done;
	void *ud;
	pthread_t threads[MAX_WORKERS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t to_worker; /* a job, room in a batch queue, an applied wait batch, closing */
	pthread_cond_t to_main;   /* a batch, a worker free */
	/* jobs not started by a worker yet */
	struct job_item *todo, **todo_tail;
	size_t ntodo;
	/* jobs added and not finished (their done not called), in the order
	 * they were added: the store's thread applies the first one's
	 * batches only */
	struct job_item *open, **open_tail;
	size_t nopen;
	bool closing;
};

/* What a worker's handoff is given: the pipeline and the file. */
struct run {
	struct pipeline *pl;
	struct job_item *it;
};

/* A worker's handoff: queue the batch, waiting for room in the file's
 * own queue (or, with `wait`, until it is applied). Each file has a queue
 * of its own: a worker ahead of the store's thread fills its file's queue
 * and waits, and never takes the room the file being applied needs. */
static void handoff(void *ud, struct ingest_batch *b, bool wait)
{
	struct run *r = ud;
	struct pipeline *pl = r->pl;
	struct job_item *job = r->it;
	bool applied = false;
	struct batch_item *it = xcalloc(1, sizeof *it);
	it->b = b;
	it->wait = wait;
	it->applied = &applied;
	size_t size = ingest_batch_size(b);
	pthread_mutex_lock(&pl->mu);
	while (!wait && job->nbatches && (job->nbatches >= QUEUE_BATCHES || job->bytes + size > QUEUE_BYTES))
		pthread_cond_wait(&pl->to_worker, &pl->mu);
	*job->batches_tail = it;
	job->batches_tail = &it->next;
	job->nbatches++;
	job->bytes += size;
	pthread_cond_signal(&pl->to_main);
	while (wait && !applied)
		pthread_cond_wait(&pl->to_worker, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
}

static void *worker(void *arg)
{
	struct pipeline *pl = arg;
	json_c_locale();
	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!pl->todo && !pl->closing)
			pthread_cond_wait(&pl->to_worker, &pl->mu);
		if (!pl->todo)
			break;
		struct job_item *it = pl->todo;
		pl->todo = it->next_todo;
		if (!pl->todo)
			pl->todo_tail = &pl->todo;
		pl->ntodo--;
		pthread_cond_broadcast(&pl->to_main); /* pipeline_add waits for room ahead */
		pthread_mutex_unlock(&pl->mu);
		struct run r = {pl, it};
		ingest_job_run(it->job, handoff, &r);
		pthread_mutex_lock(&pl->mu);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

/* Parsing threads: one per core, at most MAX_WORKERS (KATOD_WORKERS=N
 * sets it, for tests). The store's thread is the caller's. */
static int worker_count(void)
{
	const char *e = getenv("KATOD_WORKERS");
	long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

struct pipeline *pipeline_new(struct ingest *in, pipeline_done done, void *ud)
{
	struct pipeline *pl = xcalloc(1, sizeof *pl);
	pl->in = in;
	pl->done = done;
	pl->ud = ud;
	pl->todo_tail = &pl->todo;
	pl->open_tail = &pl->open;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->to_worker, NULL);
	pthread_cond_init(&pl->to_main, NULL);
	/* signals are the caller's thread's business */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int n = worker_count(); pl->nthreads < n; pl->nthreads++)
		if (pthread_create(&pl->threads[pl->nthreads], NULL, worker, pl))
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!pl->nthreads) {
		log_warn("cannot start the backfill thread; reading on one core");
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->to_worker);
		pthread_cond_destroy(&pl->to_main);
		free(pl);
		return NULL;
	}
	log_debug("backfill: files are parsed on %d more thread(s)", pl->nthreads);
	return pl;
}

/* Apply one batch of the first open file if there is one (waiting for it
 * if `block`); returns whether it applied one. A batch that ends a job
 * finishes it and calls done. Called with the lock held; drops it while
 * applying. */
static bool apply_one(struct pipeline *pl, bool block)
{
	while (block && pl->open && !pl->open->batches)
		pthread_cond_wait(&pl->to_main, &pl->mu);
	struct job_item *open = pl->open;
	struct batch_item *it = open ? open->batches : NULL;
	if (!it)
		return false;
	open->batches = it->next;
	if (!open->batches)
		open->batches_tail = &open->batches;
	open->nbatches--;
	open->bytes -= ingest_batch_size(it->b);
	pthread_cond_broadcast(&pl->to_worker); /* room */
	pthread_mutex_unlock(&pl->mu);

	struct ingest_job *job = open->job;
	int end = ingest_batch_apply(it->b);
	if (!it->wait)
		ingest_batch_free(it->b);
	if (end) {
		/* jobs end in the order they were added */
		pthread_mutex_lock(&pl->mu);
		pl->open = open->next_open;
		if (!pl->open)
			pl->open_tail = &pl->open;
		pl->nopen--;
		pthread_mutex_unlock(&pl->mu);
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
	for (struct job_item *it = pl->open; it; it = it->next_open)
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
	struct job_item *it = xcalloc(1, sizeof *it);
	it->job = job;
	it->tag = tag;
	it->flags = flags;
	it->batches_tail = &it->batches;
	pthread_mutex_lock(&pl->mu);
	*pl->todo_tail = it;
	pl->todo_tail = &it->next_todo;
	pl->ntodo++;
	*pl->open_tail = it;
	pl->open_tail = &it->next_open;
	pl->nopen++;
	pthread_cond_broadcast(&pl->to_worker);
	/* apply what is ready; wait while the worker is far enough ahead */
	while (apply_one(pl, false))
		;
	while (pl->ntodo >= AHEAD_FILES) {
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
	for (struct job_item *it = pl->open; it; it = it->next_open)
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
	for (int i = 0; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->to_worker);
	pthread_cond_destroy(&pl->to_main);
	free(pl);
}
