/* SPDX-License-Identifier: Apache-2.0 */
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
	int64_t resumed;     /* files of lines read on from a stored cursor past 0 */
};

struct ingest {
	struct store *store;
	struct ingest_stats stats;
	/* Which events are history (STORE_EVENT_HISTORY: their commands are
	 * never run). An event whose timestamp is before live_after_ms (wall
	 * clock, ms) is history, and so is one from before its file's birth
	 * less INGEST_BIRTH_SLACK_MS (a copied-in or resumed file). With
	 * live_after_ms 0, and for events without a timestamp, `history`
	 * decides (kato import sets it, and live_after_ms INT64_MAX); with
	 * `scanning` (katod reading files a directory scan found), so does a
	 * file last written before live_after_ms. */
	int64_t live_after_ms;
	bool history;
	bool scanning;
	/* Stop after about this many bytes and return INGEST_MORE (0: read
	 * to the end). */
	int64_t read_budget;
	/* Optional: called after each commit for every event it stored.
	 * maybe_command: the event is a message.user whose JSON holds "::"
	 * (as the recorder looks for commands), or one too big to hold in
	 * memory, which may. */
	void (*on_event)(void *ud, int64_t sid, int64_t seq, const char *kind, uint32_t flags,
			 bool maybe_command);
	void *ud;
};

enum ingest_result {
	INGEST_DONE = 0,    /* read to the end */
	INGEST_WAITING = 1, /* an unterminated last line, or a half-written document: look again later */
	INGEST_GONE = 2,    /* the file no longer exists */
	INGEST_MORE = 3,    /* stopped at the read budget: call again */
};

/* A message is live only if it is no older than its file's birth time
 * less this (where the file system records one): a session copied or
 * resumed into a new file brings old messages, a new session starts when
 * its first message is written. */
#define INGEST_BIRTH_SLACK_MS (10 * 60 * 1000)

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

/* ingest_file with the feed mode decided by the caller (kato import, from
 * the file's content) instead of by the plugin's match_path on the name;
 * KATO_FEED_NONE: as ingest_file. */
int ingest_file_feed(struct ingest *in, const struct plugin *p, const char *path, enum kato_feed feed,
		     unsigned flags);

/* Per file and read, the first this many lines skipped for not being JSON
 * (or for their length) are logged one by one, the rest as one count. */
#define INGEST_WARN_LINES 3

/* The provider session id a file gets before its plugin names one: the
 * base name without .zst, .jsonl or .json. Malloc'd. */
char *ingest_default_psid(const char *path);

#endif
