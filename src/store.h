/* SPDX-License-Identifier: Apache-2.0 */
/* store: the SQLite database (WAL) holding sessions, events, file cursors
 * and counters. One writer (katod or kato import); readers open it
 * read-only and work whether or not the daemon runs. */
#ifndef KATO_STORE_H
#define KATO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fingerprint.h"
#include "kato/provider.h"

#define STORE_SCHEMA_VERSION 3
/* The oldest schema a reader (read-only open) accepts: kato search
 * needs 3 (the search index), the rest 2. */
#define STORE_SCHEMA_READABLE 2
/* PRAGMA application_id of a kato store ("kato"), set from schema 3 on. */
#define STORE_APPLICATION_ID 0x6b61746f
#define STORE_APPLICATION_ID_STR "1801548911"

/* kato's own event flag, beside the plugin's KATO_EVENT_*: the event was
 * stored from history (a backfill of a file never seen live, kato import,
 * or a store older than schema 2). Commands in it are never run. */
#define STORE_EVENT_HISTORY (1u << 30)

struct store;

/* Open (creating the file and its directory, and migrating the schema,
 * unless read-only). Returns 0, or -1 with a malloc'd message in *err. */
int store_open(const char *path, bool readonly, struct store **out, char **err);
void store_close(struct store *s);
/* The last SQLite error message, for logs. */
const char *store_errmsg(struct store *s);
/* The schema version of an open store (older than STORE_SCHEMA_VERSION
 * only when opened read-only). */
int store_schema(struct store *s);
/* The SQLite handle, for read-only queries of other modules (search). */
struct sqlite3 *store_db(struct store *s);

/* Transactions: one batch of events and the cursor that produced them. */
/* Bulk mode for a backfill (on) and back to normal (off): a larger page
 * cache; savepoint journals in memory (a group's batches are savepoints,
 * and their journal in a temporary file was written 2.8 times the store's
 * size); the WAL checkpointed on a thread of its own each time it grows by
 * STORE_BULK_WAL_BYTES / 2, so hot index pages are written to the
 * database once per checkpoint and the writer does not wait for the
 * copies and syncs (if the thread cannot start, the writer checkpoints
 * every STORE_BULK_WAL_BYTES). Off stops the thread, checkpoints the WAL
 * (without waiting for readers; the file shrinks to STORE_WAL_BYTES when
 * next reset) and gives the cache's memory back. Durability is unchanged
 * (WAL, synchronous=NORMAL): every commit is as safe as before. */
#define STORE_BULK_CACHE "-16384" /* KiB */
#define STORE_BULK_WAL_BYTES (64 << 20)
#define STORE_WAL_BYTES (4 << 20)
/* The page size of a new store: rows of event JSON are 1-4 KB and tool
 * output often tens of KB, and bigger pages than SQLite's 4 KiB default
 * cut the time of a backfill's inserts and checkpoints by about 15 %
 * (doc/PERFORMANCE.md). */
#define STORE_PAGE_SIZE "16384"
int store_bulk(struct store *s, bool on);

/* Group commits, for a backfill or an import: with on, each
 * store_begin .. store_commit is a savepoint inside one transaction that
 * is committed once it holds a quarter of the new events stored since
 * on, but at least STORE_GROUP_MIN and at most STORE_GROUP_MAX bytes
 * (and by store_group off); store_rollback undoes only its own batch. A
 * file's events still commit together with its cursor, with other
 * files'; a crash loses no more than the uncommitted files' progress,
 * which is read again. Every commit of an index page writes the page
 * again (to the WAL and at the checkpoint): many small files, each its
 * own transaction, wrote the store five times over, and groups that grow
 * with the store keep that share small in a long backfill; small groups
 * early write the WAL while other threads still parse, instead of all of
 * a short backfill's pages at its end. Never on while the recorder runs:
 * its commits must be durable before it writes a file. off commits. */
#define STORE_GROUP_MIN (2u << 20)
#define STORE_GROUP_MAX (32u << 20)
int store_group(struct store *s, bool on);
/* How many groups were rolled back whole (their commit failed: a full
 * disk). Their files' events and cursors are not stored, though each
 * file's own commit said yes: read them again. */
unsigned store_groups_lost(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Find or create the session (provider, provider session id); its row id
 * goes to *sid. A new session gets a random UUID v4 as its kato id. */
int store_session(struct store *s, const char *provider, const char *psid, int64_t *sid);
/* Record session facts; NULL fields are left as they are. */
int store_session_facts(struct store *s, int64_t sid, const struct kato_session_info *info);

/* Add an event unless its fingerprint is already stored. *seq is the new
 * event's sequence number, or 0 when it was a duplicate. */
int store_add_event(struct store *s, int64_t sid, const struct fingerprint *fp,
		    const char *kind, const char *timestamp, uint32_t flags,
		    const char *json, int64_t *seq);
/* store_add_event for a JSON text of known length n (json[n] is '\0'). */
int store_add_event_n(struct store *s, int64_t sid, const struct fingerprint *fp, const char *kind,
		      const char *timestamp, uint32_t flags, const char *json, size_t n, int64_t *seq);
/* store_add_event for event JSON of exactly n bytes that is never held
 * whole: fill(ud, b) writes it into b, a buffer that passes it on to the
 * row in slices (called only when the event is new). -1 when fill fails
 * or writes other than n bytes. */
int store_add_event_fill(struct store *s, int64_t sid, const struct fingerprint *fp,
			 const char *kind, const char *timestamp, uint32_t flags, size_t n,
			 int (*fill)(void *ud, struct buf *b), void *ud, int64_t *seq);

/* Per-file cursor and identity. */
struct store_file {
	char *path;
	char *provider;
	char *psid; /* provider session id the file's events belong to */
	int64_t session;
	uint64_t dev, ino;
	int64_t size;   /* size when the cursor was committed */
	int64_t offset; /* bytes consumed: end of the last complete record */
	uint32_t head_len, marker_len;
	uint8_t head[16], marker[16];
	void *state; /* parser state blob */
	size_t state_len;
};
/* 1 and *f filled (caller frees with store_file_free), 0 if unknown, -1. */
int store_get_file(struct store *s, const char *path, struct store_file *f);
int store_put_file(struct store *s, const struct store_file *f);
int store_forget_file(struct store *s, const char *path);
void store_file_free(struct store_file *f);
/* Every known file of `provider` (NULL: all): callback per path. */
int store_each_file(struct store *s, const char *provider,
		    int (*cb)(void *ud, const char *path, const char *provider), void *ud);

/* Add n to the counter (provider, type): skipped records, format drift.
 * In a transaction the counts are added up and written when it commits. */
int store_count(struct store *s, const char *provider, const char *type, int64_t n);

/* ---- reading ---- */
struct store_session_row {
	int64_t id;
	const char *kato_id, *provider, *psid, *parent_psid, *title, *cwd, *model;
	const char *first_ts, *last_ts, *snippet;
	int64_t events;
	/* A sub-agent's own session: it has events and every one is marked
	 * sidechain. Such a session shows its sidechain events when exported
	 * or recorded; any other hides them (they belong to a sub-agent run
	 * inside its conversation). */
	bool sidechain_only;
};
/* Every session, oldest activity first. The row's strings are borrowed
 * for the duration of the callback. */
int store_each_session(struct store *s, int (*cb)(void *ud, const struct store_session_row *r), void *ud);
/* Resolve a selector (kato id, provider session id, or a unique prefix of
 * either, optionally "provider:id"). Returns 1 and *sid, 0 if none
 * matched, 2 if ambiguous (*err lists candidates), -1 on error. */
int store_find_session(struct store *s, const char *selector, int64_t *sid, char **err);
int store_get_session(struct store *s, int64_t sid,
		      int (*cb)(void *ud, const struct store_session_row *r), void *ud);
/* Events of a session in sequence order from `after_seq` (exclusive). */
int store_each_event(struct store *s, int64_t sid, int64_t after_seq,
		     int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
		     void *ud);
/* store_each_event, with the JSON read only for events of kind json_kind
 * (NULL for the others): a scan for commands does not read back every
 * tool output of a long history. */
int store_each_event_of_kind(struct store *s, int64_t sid, int64_t after_seq, const char *json_kind,
			     int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
			     void *ud);
/* store_each_event_of_kind for the one event `seq` (nothing if absent). */
int store_event_of_kind(struct store *s, int64_t seq, const char *json_kind,
			int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
			void *ud);
/* How many events session sid has after after_seq, in *n (from its index,
 * without reading the events). */
int store_count_events_after(struct store *s, int64_t sid, int64_t after_seq, int64_t *n);
/* Counters, optionally for one provider. */
int store_each_count(struct store *s, int (*cb)(void *ud, const char *provider, const char *type, int64_t n), void *ud);
/* Totals for status output. */
int store_totals(struct store *s, int64_t *sessions, int64_t *events, int64_t *files);

/* ---- recordings (the recorder's durable state) ---- */

/* Per session: the destination pointer (ref §3.3) and how far commands
 * have been handled: every event with seq < command_seq is done; the
 * message command_seq itself is done when command_line is 0, else its
 * commands up to line command_line are. */
struct store_rec_session {
	char *pointer; /* NULL: unset */
	int64_t command_seq;
	int command_line;
};
/* Fills *r (zeroed when the session has no row yet). 0 or -1. */
int store_rec_session_get(struct store *s, int64_t sid, struct store_rec_session *r);
int store_rec_session_put(struct store *s, int64_t sid, const struct store_rec_session *r);
void store_rec_session_free(struct store_rec_session *r);

/* One destination of one session. Events with seq <= write_seq are in the
 * file (or were not meant for it). A pending append is an intent committed
 * before the bytes are written: `pending_bytes` are to end up at the end of
 * the file, which had pending_before bytes and is to have pending_after. */
struct store_recording {
	int64_t id; /* 0: not stored yet */
	int64_t session;
	char *path;
	char rec_id[40];
	bool active;
	int64_t write_seq;
	char last_role[16];
	int64_t size; /* file size after kato's last write, -1 unknown */
	bool pending;
	int64_t pending_upto, pending_before, pending_after;
	char *pending_bytes;
	size_t pending_len;
	char pending_role[16];
};
/* Every recording of session `sid` (sid 0: of every session), by id.
 * *v is malloc'd; free with store_recordings_free. */
int store_recordings(struct store *s, int64_t sid, struct store_recording **v, size_t *n);
void store_recordings_free(struct store_recording *v, size_t n);
/* Insert (r->id == 0; r->id is set) or update by id. */
int store_recording_put(struct store *s, struct store_recording *r);

/* One command outcome (applied, noop, denied, failed, invalid, error,
 * skipped), for the log's readers and `kato status`. */
struct store_command {
	int64_t session, seq;
	int line;
	const char *name, *arg, *target, *outcome, *reason;
	int64_t at_ms;
};
int store_add_command(struct store *s, const struct store_command *c);
/* The newest `limit` outcomes, newest first; strings borrowed for the
 * callback. */
int store_each_command(struct store *s, int limit,
		       int (*cb)(void *ud, const struct store_command *c, const char *kato_id), void *ud);

/* Small named integers (daemon start/stop times, recorder progress).
 * get: 1 and *v, 0 when unset, -1. */
int store_meta_get(struct store *s, const char *key, int64_t *v);
int store_meta_set(struct store *s, const char *key, int64_t v);
/* kato clean: the sessions whose last event is before `before_ts` (ISO
 * 8601 UTC) and that have no active recording. Counts them and their
 * events into *sessions and *events; unless dry_run, deletes them with
 * their events, command outcomes and recording state (never a file).
 * Their files keep their cursors, so nothing is read again. */
int store_clean_sessions(struct store *s, const char *before_ts, bool dry_run, int64_t *sessions,
			 int64_t *events);
/* Highest event seq (0 when empty). */
int store_max_seq(struct store *s, int64_t *seq);
/* Each session with an event after `after_seq`, by session id. */
int store_each_session_after(struct store *s, int64_t after_seq, int (*cb)(void *ud, int64_t sid), void *ud);

#endif
