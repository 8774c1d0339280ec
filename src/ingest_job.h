/* SPDX-License-Identifier: Apache-2.0 */
/* ingest's two halves, for the backfill pipeline (pipeline.c).
 *
 * Reading one file is a job. Running it (source, plugin, event JSON,
 * fingerprints, the history rule) touches no store: every store write it
 * wants (a session, an event, a count, a cursor and its commit) becomes an
 * op in a batch. Applying the batches, in order, on the thread that owns
 * the store does the writes and publishes the events. ingest_file runs a
 * job with its batches applied at once, op by op, on the calling thread;
 * the pipeline runs jobs on a worker and applies their batches on the
 * store's thread. Both do the same writes in the same order. */
#ifndef KATO_INGEST_JOB_H
#define KATO_INGEST_JOB_H

#include <stdbool.h>

#include "ingest.h"

struct ingest_job;
struct ingest_batch;

/* Where a running job hands its batches: called on the job's thread;
 * with `wait`, return only once b is applied (b then stays the caller's:
 * an op that points into the job's memory, such as a huge event written
 * in slices). Without, b is the receiver's to apply and free. */
typedef void (*ingest_handoff)(void *ud, struct ingest_batch *b, bool wait);

/* On the store's thread: look the file up and make its job, or return NULL
 * with *rc the result when there is nothing to run (not this plugin's
 * kind of file: INGEST_DONE; a store error: -1). The job copies in's
 * history rule and settings as they are now. */
struct ingest_job *ingest_job_new(struct ingest *in, const struct plugin *p, const char *path,
				  enum kato_feed feed, unsigned flags, int *rc);

/* On any one thread: read the file. handoff NULL: apply every op at once
 * (the job's thread owns the store). The last batch handed over ends
 * the job (ingest_batch_apply returns 1 for it). */
void ingest_job_run(struct ingest_job *j, ingest_handoff handoff, void *ud);

/* Ask a running job to stop after the record it is reading; what it read
 * and did not commit is dropped (read again next time). Any thread. */
void ingest_job_stop(struct ingest_job *j);

/* On the store's thread, in the order handed over: do the batch's writes.
 * Returns 1 when the batch ended its job, else 0. */
int ingest_batch_apply(struct ingest_batch *b);
struct ingest_job *ingest_batch_job(const struct ingest_batch *b);
/* Bytes the batch holds (for bounding a queue). */
size_t ingest_batch_size(const struct ingest_batch *b);
void ingest_batch_free(struct ingest_batch *b);

/* On the store's thread, after the job's last batch is applied: add its
 * counts to in->stats, free it and return its enum ingest_result (or -1
 * on a store error). *added: events it stored (may be NULL). */
int ingest_job_finish(struct ingest_job *j, int64_t *added);

const char *ingest_job_path(const struct ingest_job *j);

#endif
