/* SPDX-License-Identifier: Apache-2.0 */
/* pipeline: read many files on all cores. Worker threads (one per CPU,
 * at most 4) run the files' plugins (parsing, event JSON, fingerprints),
 * one file each at a time; the thread that owns the store, the caller's,
 * applies the batches of writes they hand back, file after file in the
 * order the files were added, through a bounded queue per file, each
 * file's events committed together with its cursor as ingest_file does.
 * The store contents are the same as reading the files one by one with
 * ingest_file. katod uses it for its backfill. Plugins may run on several
 * threads at once, one instance per file, as the ABI allows
 * (kato/provider.h: no global mutable state). */
#ifndef KATO_PIPELINE_H
#define KATO_PIPELINE_H

#include "ingest.h"

struct pipeline;

/* Called on the caller's thread when a file is done, in the order the
 * files were added: rc is ingest_file's result, added the events stored,
 * tag what pipeline_add was given. */
typedef void (*pipeline_done)(void *ud, const char *path, int rc, int64_t added, int tag, unsigned flags);

/* A pipeline feeding `in` (its store, stats and on_event are used on the
 * caller's thread only). NULL if no thread can be started: then use
 * ingest_file. */
struct pipeline *pipeline_new(struct ingest *in, pipeline_done done, void *ud);

/* Queue one file (as ingest_file(in, p, path, flags) with in's history
 * rule as it is now; no read budget: the worker reads to the end). May
 * apply earlier files' batches, and call done for them, while the queue
 * is full. */
void pipeline_add(struct pipeline *pl, const struct plugin *p, const char *path, unsigned flags, int tag);

/* Apply everything queued; done has been called for every file added. */
void pipeline_drain(struct pipeline *pl);

/* Stop the workers after the record each is reading (what it read and did
 * not commit is read again next time), then drain. */
void pipeline_stop(struct pipeline *pl);

/* Drain and end the workers. */
void pipeline_free(struct pipeline *pl);

#endif
