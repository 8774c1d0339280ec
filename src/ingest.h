/* ingest: feed what is new in a provider file through its plugin into the
 * store, committing each batch of events together with the cursor that
 * produced it. Used by `kato import` and by katod. */
#ifndef KATO_INGEST_H
#define KATO_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "plugin.h"
#include "store.h"

struct ingest_stats {
	int64_t files;       /* files that had something to read */
	int64_t bytes;       /* bytes read */
	int64_t lines;       /* records fed to plugins */
	int64_t events_new;  /* events stored */
	int64_t events_dup;  /* events already stored (re-reads, repeats) */
	int64_t bad;         /* lines that are not JSON, skipped */
	int64_t oversized;   /* lines over SOURCE_MAX_LINE, skipped */
	int64_t rejected;    /* events a plugin got wrong (event_check) */
	int64_t resets;      /* files re-read from 0 (truncated, replaced, rewritten) */
	int64_t errors;      /* files that could not be read */
};

struct ingest {
	struct store *store;
	struct ingest_stats stats;
	/* Mark what is stored now as history (STORE_EVENT_HISTORY): its
	 * commands are never run. kato import sets it always; katod for
	 * files it finds at start-up that it never saw live. */
	bool history;
	/* Optional: called after each commit for every event it stored. */
	void (*on_event)(void *ud, int64_t sid, int64_t seq, const char *kind, uint32_t flags,
			 const char *json);
	void *ud;
};

enum ingest_result {
	INGEST_DONE = 0,    /* read to the end */
	INGEST_WAITING = 1, /* an unterminated last line, or a half-written document: look again later */
	INGEST_GONE = 2,    /* the file no longer exists */
};

/* Flags for ingest_file. */
enum {
	/* The file has been quiet briefly: feed an unterminated last line if
	 * it parses (some writers never end their last line). */
	INGEST_TAIL = 1,
	/* The file has been quiet for long: let the plugin release records it
	 * held back because they might still change. */
	INGEST_FLUSH = 2,
};

/* Read what is new in `path` with plugin `p`. Returns an enum
 * ingest_result, or -1 on a store error (the batch is rolled back;
 * nothing is lost). */
int ingest_file(struct ingest *in, const struct plugin *p, const char *path, unsigned flags);

/* The provider session id a file gets before its plugin names one: the
 * base name without .zst, .jsonl or .json. Malloc'd. */
char *ingest_default_psid(const char *path);

#endif
