/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "paths.h"

/* Prepared statements, indexed by enum stmt. */
enum stmt {
	ST_SESSION_GET, ST_SESSION_ADD, ST_EVENT_ADD, ST_FILE_GET, ST_FILE_PUT,
	ST_FILE_DEL, ST_COUNT_ADD, ST_SESSION_TS, ST_TEXT_GET, ST_TEXT_ADD, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_N
};

/* Which events the search index holds, and their text: what the user
 * and the assistant said (not injected context, thinking or tool
 * output; doc/design.md says why). One definition, used by the
 * migration, the insert below and the index's content view. Rows held as
 * big rows (typed BLOB) are not indexed. */
#define TEXT_WHERE(e)                                                                   \
	"(" e "kind = 'message.assistant' OR (" e "kind = 'message.user' AND (" e "flags & 4) = 0)) " \
	"AND typeof(" e "json) = 'text' AND json_valid(" e "json) "                          \
	"AND json_type(" e "json, '$.content') = 'text'"
#define TEXT_OF(e) "json_extract(" e "json, '$.content')"

static const char *const stmt_sql[ST_N] = {
	[ST_SESSION_GET] = "SELECT id FROM sessions WHERE provider=?1 AND psid=?2",
	[ST_SESSION_ADD] = "INSERT INTO sessions(kato_id, provider, psid) VALUES(?1,?2,?3)",
	[ST_EVENT_ADD] = "INSERT OR IGNORE INTO events(session, fp, kind, ts, flags, json) "
			 "VALUES(?1,?2,?3,?4,?5,?6)",
	[ST_FILE_GET] = "SELECT provider, psid, session, dev, ino, size, offset, head_len, head, "
			"marker_len, marker, state FROM files WHERE path=?1",
	[ST_FILE_PUT] = "INSERT OR REPLACE INTO files(path, provider, psid, session, dev, ino, size, "
			"offset, head_len, head, marker_len, marker, state) "
			"VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	[ST_FILE_DEL] = "DELETE FROM files WHERE path=?1",
	[ST_COUNT_ADD] = "INSERT INTO counts(provider, type, n) VALUES(?1,?2,?3) "
			 "ON CONFLICT(provider, type) DO UPDATE SET n = n + excluded.n",
	/* prepared once: parsing them each time cost a parser allocation
	 * (and, in glibc, a heap consolidation) per transaction */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* one batch inside a group's transaction (store_group) */
	[ST_SAVEPOINT] = "SAVEPOINT batch",
	[ST_RELEASE] = "RELEASE batch",
	[ST_ROLLBACK_TO] = "ROLLBACK TO batch",
	[ST_SESSION_TS] = "UPDATE sessions SET first_ts = CASE WHEN first_ts IS NULL OR ?2 < first_ts "
			  "THEN ?2 ELSE first_ts END, last_ts = CASE WHEN last_ts IS NULL OR ?2 > last_ts "
			  "THEN ?2 ELSE last_ts END WHERE id=?1",
	/* Two statements, not INSERT ... SELECT: a statement that may write
	 * several rows makes FTS5 flush its pending terms to disk (a
	 * savepoint) every time, which tripled what indexing cost. */
	[ST_TEXT_GET] = "SELECT " TEXT_OF("") " FROM events WHERE seq = ?1 AND " TEXT_WHERE(""),
	[ST_TEXT_ADD] = "INSERT INTO events_fts(rowid, text) VALUES(?1, ?2)",
};

#define KEPT_STMTS 16

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
	bool readonly;
	bool counted; /* counts_since_ms is set */
	/* store_group: batches gather in one transaction (open), each in a
	 * savepoint (batch), until it holds group_limit() bytes of events;
	 * grouped_bytes: those of the groups committed since on */
	bool group, group_open, batch;
	size_t group_bytes, grouped_bytes;
	unsigned groups_lost; /* store_groups_lost */
	/* store_count in a transaction: added up per provider and type, and
	 * written when it commits (one row update per type, not per record) */
	struct pending_count {
		char *provider, *type;
		int64_t n;
	} *counts;
	size_t ncounts, capcounts;
	int schema;
	/* In a transaction, the first and last timestamps of the events
	 * added to session ts_sid since the last flush: its row is updated
	 * once per run of its events (at the next session or the commit),
	 * not once per event. */
	int64_t ts_sid;
	struct buf ts_first, ts_last;
	struct buf text; /* an event's text for the search index */
	/* statements of the calls made per session or per recording (the
	 * recorder's pass after a backfill, a ::capture), prepared on first
	 * use and kept: see take() */
	struct kept_stmt {
		const char *sql;
		sqlite3_stmt *st;
		bool busy;
	} kept[KEPT_STMTS];
	size_t nkept;
	/* bulk mode's checkpoints, on a thread of their own (checkpointer) */
	struct checkpointer *ck;
	size_t ck_next;   /* the WAL size that wakes it next */
	size_t page_size; /* of this store (writers only) */
};

/* In bulk mode the WAL is checkpointed by a thread with a connection of
 * its own, woken each time the WAL has grown by STORE_BULK_WAL_BYTES / 2:
 * copying a checkpoint's pages into the database and its two fdatasyncs
 * (90 ms each time on a 500 MB backfill) no longer stop the thread that
 * writes, and a passive checkpoint never waits for that writer. But the
 * WAL file starts over only after a checkpoint that reached its end,
 * which the writer, always ahead, never lets the checkpointer do: once
 * the WAL holds STORE_BULK_WAL_MAX the writer checkpoints too, the few
 * frames not copied yet, and its next transaction starts the file over. */
#define STORE_BULK_WAL_MAX ((size_t)256 << 20)
struct checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool due, stop;
	sqlite3 *db;
};

/* Schema versions: migrations[v] takes the store from v to v + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" kato_id TEXT NOT NULL UNIQUE,"
	" provider TEXT NOT NULL,"
	" psid TEXT NOT NULL,"
	" parent_psid TEXT, title TEXT, cwd TEXT, model TEXT, started_at TEXT,"
	" first_ts TEXT, last_ts TEXT,"
	" UNIQUE(provider, psid));"
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY,"
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" fp BLOB NOT NULL UNIQUE,"
	" kind TEXT NOT NULL,"
	" ts TEXT,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" json TEXT NOT NULL);"
	"CREATE INDEX events_session ON events(session, seq);"
	"CREATE TABLE files ("
	" path TEXT PRIMARY KEY,"
	" provider TEXT NOT NULL, psid TEXT, session INTEGER,"
	" dev INTEGER, ino INTEGER, size INTEGER, offset INTEGER,"
	" head_len INTEGER, head BLOB, marker_len INTEGER, marker BLOB, state BLOB);"
	"CREATE TABLE counts ("
	" provider TEXT NOT NULL, type TEXT NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY(provider, type));",
	/* 1 -> 2: recordings. Events stored before it are history: their
	 * commands are never run. */
	"UPDATE events SET flags = flags | 1073741824;"
	"CREATE TABLE recorder ("
	" session INTEGER PRIMARY KEY REFERENCES sessions(id),"
	" pointer TEXT,"
	" command_seq INTEGER NOT NULL DEFAULT 0,"
	" command_line INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE recordings ("
	" id INTEGER PRIMARY KEY,"
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" path TEXT NOT NULL,"
	" rec_id TEXT NOT NULL,"
	" active INTEGER NOT NULL DEFAULT 0,"
	" write_seq INTEGER NOT NULL DEFAULT 0,"
	" last_role TEXT NOT NULL DEFAULT '',"
	" size INTEGER NOT NULL DEFAULT -1,"
	" pending_upto INTEGER, pending_before INTEGER, pending_after INTEGER,"
	" pending_bytes BLOB, pending_role TEXT,"
	" UNIQUE(session, path));"
	"CREATE TABLE commands ("
	" id INTEGER PRIMARY KEY,"
	" session INTEGER NOT NULL REFERENCES sessions(id),"
	" seq INTEGER NOT NULL, line INTEGER NOT NULL,"
	" name TEXT NOT NULL, arg TEXT, target TEXT,"
	" outcome TEXT NOT NULL, reason TEXT, at_ms INTEGER NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);",
	/* 2 -> 3: the search index (kato search), of the stored events too.
	 * External content: the text is read back from events through a
	 * view, never stored twice. Events are only ever added by
	 * store_add_event; the trigger keeps the index right if a row is
	 * deleted. Run again (a store set back to 2) it changes nothing:
	 * 'rebuild' makes the index anew from the view. The application id
	 * marks the file as kato's. Automerge 16 (not 4): every commit
	 * writes a small segment, and merging them less often cuts what
	 * indexing costs a backfill by about a tenth. */
	"CREATE VIEW IF NOT EXISTS events_text(seq, text) AS SELECT seq, " TEXT_OF("") " FROM events WHERE "
	TEXT_WHERE("") ";"
	"CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='events_text', content_rowid='seq',"
	" tokenize='unicode61 remove_diacritics 2');"
	"INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 16);"
	"INSERT INTO events_fts(events_fts) VALUES('rebuild');"
	"CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events WHEN " TEXT_WHERE("old.") " BEGIN"
	" INSERT INTO events_fts(events_fts, rowid, text) VALUES('delete', old.seq, " TEXT_OF("old.") ");"
	" END;"
	"PRAGMA application_id = " STORE_APPLICATION_ID_STR ";",
};
#define N_MIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

static int set_err(char **err, const char *what, const char *detail)
{
	if (err) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
		*err = buf_take(&b);
	}
	return -1;
}

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* An error that means the file is not a kato store: every command and
 * katod say the same. */
static int not_a_store(char **err, const char *path, const char *why)
{
	if (err) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "not a kato store: %s: %s; move it aside and re-import", path, why);
		*err = buf_take(&b);
	}
	return -1;
}

/* Why SQLite could not read the file, in words for a user. */
static const char *sqlite_why(sqlite3 *db)
{
	switch (sqlite3_errcode(db)) {
	case SQLITE_NOTADB: return "not an SQLite database";
	case SQLITE_CORRUPT: return "damaged or truncated (database disk image is malformed)";
	default: return sqlite3_errmsg(db);
	}
}

static int pragma_int(struct store *s, const char *sql, int *v)
{
	sqlite3_stmt *st;
	*v = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Forget the counts of the transaction (rolled back, or written). */
static void drop_counts(struct store *s)
{
	for (size_t i = 0; i < s->ncounts; i++) {
		free(s->counts[i].provider);
		free(s->counts[i].type);
	}
	s->ncounts = 0;
}

/* PRAGMA wal_autocheckpoint for a WAL of about `bytes`, in this store's
 * pages. */
static int wal_limit(struct store *s, int bytes)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%zu", (size_t)bytes / s->page_size);
	return exec(s, sql);
}

/* Is this file a kato store (or an empty database to become one)?
 * Sets *version. 0, or -1 with *err. */
static int check_identity(struct store *s, const char *path, int *version, char **err)
{
	int appid, tables, ours;
	if (pragma_int(s, "PRAGMA application_id", &appid) < 0 || pragma_int(s, "PRAGMA user_version", version) < 0 ||
	    pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables) < 0 ||
	    pragma_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
			  "('sessions', 'events', 'files', 'counts')", &ours) < 0) {
		int code = sqlite3_errcode(s->db);
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_CANTOPEN || code == SQLITE_IOERR ||
		    code == SQLITE_PERM || code == SQLITE_NOMEM)
			return set_err(err, "cannot read store", sqlite3_errmsg(s->db));
		return not_a_store(err, path, sqlite_why(s->db));
	}
	struct buf why = BUF_INIT;
	if (appid != 0 && (uint32_t)appid != STORE_APPLICATION_ID)
		buf_printf(&why, "an SQLite database of another application (application_id 0x%08x)", (unsigned)appid);
	else if (appid == 0 && *version == 0 && tables > 0)
		buf_adds(&why, "an SQLite database of another application (it has tables, none of them kato's)");
	else if (*version > 0 && ours < 4)
		buf_printf(&why, "an SQLite database of another application (schema version %d without kato's tables)",
			   *version);
	if (why.len) {
		not_a_store(err, path, why.p);
		buf_free(&why);
		return -1;
	}
	return 0;
}

static int migrate(struct store *s, const char *path, int version, char **err)
{
	s->schema = version;
	if (version > N_MIGRATIONS) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "store %s has schema version %d, newer than this kato understands (%d); "
			       "upgrade kato", path, version, N_MIGRATIONS);
		set_err(err, b.p, NULL);
		buf_free(&b);
		return -1;
	}
	if (version == N_MIGRATIONS)
		return 0;
	if (s->readonly && version == 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "the store %s is empty; start katod or run kato import first", path);
		set_err(err, b.p, NULL);
		buf_free(&b);
		return -1;
	}
	if (s->readonly && version >= STORE_SCHEMA_READABLE)
		return 0; /* readable as it is; katod or kato import upgrades it */
	if (s->readonly)
		return set_err(err, "store needs a schema upgrade; run katod or kato import once", NULL);
	if (exec(s, "BEGIN IMMEDIATE") < 0)
		return set_err(err, "cannot start migration", sqlite3_errmsg(s->db));
	for (int v = version; v < N_MIGRATIONS; v++) {
		if (exec(s, migrations[v]) < 0) {
			const char *m = sqlite3_errmsg(s->db);
			if (strstr(m, "no such module: fts5"))
				set_err(err, "schema migration failed: this SQLite library has no FTS5 "
					     "(full-text search), which kato needs; install an SQLite built with it",
					NULL);
			else
				set_err(err, "schema migration failed", m);
			exec(s, "ROLLBACK");
			return -1;
		}
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", N_MIGRATIONS);
	if (exec(s, sql) < 0 || exec(s, "COMMIT") < 0) {
		set_err(err, "schema migration failed", sqlite3_errmsg(s->db));
		exec(s, "ROLLBACK");
		return -1;
	}
	s->schema = N_MIGRATIONS;
	return 0;
}

/* A writer opens the database, its -wal and -shm only when each is absent
 * or a regular file of the user's, with no symlink and no other hard
 * link (SQLite itself would follow them). 0 or -1 (*err). */
static int check_own_files(const char *path, char **err)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s%s", path, suffix[i]);
		char *why = NULL;
		int fd = paths_open_private(p.p, O_RDONLY, &why);
		if (fd >= 0) {
			close(fd);
		} else if (errno != ENOENT) {
			set_err(err, p.p, why);
			free(why);
			buf_free(&p);
			return -1;
		}
		free(why);
		buf_free(&p);
	}
	return 0;
}

/* After a new store's schema: SQLite's syncs from now on, and the file's
 * header on disk (see store_open). 0 or -1 (*err). */
static int fresh_done(struct store *s, const char *path, char **err)
{
	if (exec(s, "PRAGMA synchronous=NORMAL") < 0)
		return set_err(err, "cannot configure store", sqlite3_errmsg(s->db));
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fdatasync(fd) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return set_err(err, "cannot sync the new store", strerror(e));
	}
	close(fd);
	return 0;
}

int store_open(const char *path, bool readonly, struct store **out, char **err)
{
	/* No allocation statistics: they cost a global mutex per malloc. Only
	 * possible before SQLite's first use; later calls change nothing. */
	static bool configured;
	if (!configured) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = true;
	}
	struct store *s = xcalloc(1, sizeof *s);
	s->page_size = 4096; /* SQLite's default, until a writer reads its own */
	s->readonly = readonly;
	if (!readonly) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		char *why = NULL;
		if (slash && slash != dir) {
			*slash = '\0';
			if (paths_private_dir(dir, &why) < 0) {
				struct buf b = BUF_INIT;
				buf_printf(&b, "store directory %s", dir);
				set_err(err, b.p, why);
				buf_free(&b);
				free(why);
				free(dir);
				free(s);
				return -1;
			}
		}
		free(dir);
		if (check_own_files(path, err) < 0) {
			free(s);
			return -1;
		}
	} else if (access(path, R_OK) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "no store at %s (%s); start katod or run kato import first", path,
			   strerror(errno));
		set_err(err, b.p, NULL);
		buf_free(&b);
		free(s);
		return -1;
	}
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOFOLLOW;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		set_err(err, "cannot open store", s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sqlite3_close(s->db);
		free(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* before anything writes to it: a file of another application is
	 * left as it is */
	int version = 0;
	if (check_identity(s, path, &version, err) < 0) {
		store_close(s);
		return -1;
	}
	if (!readonly) {
		chmod(path, 0600); /* best effort: the directory is 0700 already */
		/* a new store gets pages of STORE_PAGE_SIZE (an existing one keeps
		 * its own: the setting is ignored once the file has pages) */
		if (version == 0 && exec(s, "PRAGMA page_size=" STORE_PAGE_SIZE) < 0) {
			set_err(err, "cannot configure store", sqlite3_errmsg(s->db));
			store_close(s);
			return -1;
		}
		int page = 0;
		pragma_int(s, "PRAGMA page_size", &page);
		s->page_size = page > 0 ? (size_t)page : 4096;
		/* A new store is made without SQLite's syncs (six fdatasyncs, 2
		 * to 10 ms of a first start), then its file is synced once
		 * (fresh_done): its header is then durable, and a schema lost
		 * with the WAL in a power cut is made again at the next start
		 * (user_version 0). A crash of katod itself loses nothing
		 * with synchronous=OFF; a power cut in the milliseconds before
		 * that sync may leave a file that is not a database yet, which
		 * katod refuses with its reason (it holds nothing). */
		if (exec(s, version == 0 ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL") < 0 ||
		    exec(s, "PRAGMA journal_mode=WAL") < 0 || exec(s, "PRAGMA foreign_keys=ON") < 0 ||
		    wal_limit(s, STORE_WAL_BYTES) < 0) {
			set_err(err, "cannot configure store", sqlite3_errmsg(s->db));
			store_close(s);
			return -1;
		}
	}
	if (migrate(s, path, version, err) < 0 || (!readonly && version == 0 && fresh_done(s, path, err) < 0)) {
		store_close(s);
		return -1;
	}
	{
		for (int i = 0; i < ST_N; i++) {
			if (readonly && i != ST_FILE_GET) /* readers: cursors for kato status */
				continue;
			if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					       &s->st[i], NULL) != SQLITE_OK) {
				set_err(err, "cannot prepare store statement", sqlite3_errmsg(s->db));
				store_close(s);
				return -1;
			}
		}
	}
	*out = s;
	return 0;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->due) {
			pthread_cond_wait(&c->wake, &c->mu);
			continue;
		}
		c->due = false;
		pthread_mutex_unlock(&c->mu);
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* sqlite3_wal_hook in bulk mode: after each commit, with the WAL's size
 * in pages. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;
	size_t bytes = (size_t)pages * s->page_size;
	if (bytes >= STORE_BULK_WAL_MAX) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		s->ck_next = STORE_BULK_WAL_BYTES / 2;
	} else if (bytes >= s->ck_next) {
		s->ck_next = bytes + STORE_BULK_WAL_BYTES / 2;
		pthread_mutex_lock(&s->ck->mu);
		s->ck->due = true;
		pthread_cond_signal(&s->ck->wake);
		pthread_mutex_unlock(&s->ck->mu);
	} else if (bytes < s->ck_next - STORE_BULK_WAL_BYTES / 2) {
		s->ck_next = STORE_BULK_WAL_BYTES / 2; /* the file started over */
	}
	return SQLITE_OK;
}

/* Start the checkpointer; 0, or -1 if it cannot (the writer then
 * checkpoints as before). */
static int checkpointer_start(struct store *s)
{
	const char *path = sqlite3_db_filename(s->db, "main");
	struct checkpointer *c = calloc(1, sizeof *c);
	if (!c || !path || !*path)
		goto fail;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->wake, NULL);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* signals are the caller's */
	int rc = pthread_create(&c->thread, NULL, checkpointer_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->wake);
		goto fail;
	}
	s->ck = c;
	s->ck_next = STORE_BULK_WAL_BYTES / 2;
	sqlite3_wal_hook(s->db, on_wal_commit, s);
	return 0;
fail:
	if (c)
		sqlite3_close(c->db);
	free(c);
	return -1;
}

static void checkpointer_stop(struct store *s)
{
	struct checkpointer *c = s->ck;
	if (!c)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->wake);
	sqlite3_close(c->db);
	free(c);
	s->ck = NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(s->st[i]);
	for (size_t i = 0; i < s->nkept; i++)
		sqlite3_finalize(s->kept[i].st);
	checkpointer_stop(s);
	sqlite3_close(s->db);
	buf_free(&s->ts_first);
	buf_free(&s->text);
	buf_free(&s->ts_last);
	drop_counts(s);
	free(s->counts);
	free(s);
}

const char *store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int store_schema(struct store *s)
{
	return s->schema;
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

int store_bulk(struct store *s, bool on)
{
	if (on) {
		if (exec(s, "PRAGMA cache_size=" STORE_BULK_CACHE) < 0 || exec(s, "PRAGMA temp_store=MEMORY") < 0)
			return -1;
		/* the hook takes the place of wal_autocheckpoint's */
		if (!s->readonly && !s->ck && checkpointer_start(s) == 0)
			return 0;
		return s->ck ? 0 : wal_limit(s, STORE_BULK_WAL_BYTES);
	}
	checkpointer_stop(s);
	int rc = wal_limit(s, STORE_WAL_BYTES) < 0 || exec(s, "PRAGMA cache_size=-2000") < 0 ||
			 exec(s, "PRAGMA temp_store=DEFAULT") < 0
		 ? -1
		 : 0;
	/* passive: a kato command reading the store never makes katod wait;
	 * the WAL file shrinks back to 4 MiB when it is next reset */
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA journal_size_limit=%d", STORE_WAL_BYTES);
	if (exec(s, sql) < 0 || exec(s, "PRAGMA wal_checkpoint(PASSIVE)") < 0)
		rc = -1;
	sqlite3_db_release_memory(s->db);
	return rc;
}

/* Run one of the prepared transaction statements (exec's SQL if the
 * store is read-only and has none). */
static int step_tx(struct store *s, enum stmt i, const char *sql)
{
	sqlite3_stmt *st = s->st[i];
	if (!st)
		return exec(s, sql);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static sqlite3_stmt *stmt(struct store *s, enum stmt i);
static void bind_text(sqlite3_stmt *st, int i, const char *v);

static int session_ts(struct store *s, int64_t sid, const char *ts)
{
	sqlite3_stmt *st = stmt(s, ST_SESSION_TS);
	sqlite3_bind_int64(st, 1, sid);
	bind_text(st, 2, ts);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Write the pending first and last timestamps (see struct store). */
static int flush_ts(struct store *s)
{
	int64_t sid = s->ts_sid;
	if (!sid)
		return 0;
	s->ts_sid = 0;
	if (session_ts(s, sid, s->ts_first.p) < 0)
		return -1;
	return strcmp(s->ts_first.p, s->ts_last.p) ? session_ts(s, sid, s->ts_last.p) : 0;
}

/* An event of session sid at ts was added: note its time. */
static int note_ts(struct store *s, int64_t sid, const char *ts)
{
	if (sqlite3_get_autocommit(s->db))
		return session_ts(s, sid, ts); /* no transaction: at once */
	if (s->ts_sid != sid) {
		if (flush_ts(s) < 0)
			return -1;
		s->ts_sid = sid;
		buf_reset(&s->ts_first);
		buf_adds(&s->ts_first, ts);
		buf_reset(&s->ts_last);
		buf_adds(&s->ts_last, ts);
		return 0;
	}
	if (strcmp(ts, s->ts_first.p) < 0) {
		buf_reset(&s->ts_first);
		buf_adds(&s->ts_first, ts);
	}
	if (strcmp(ts, s->ts_last.p) > 0) {
		buf_reset(&s->ts_last);
		buf_adds(&s->ts_last, ts);
	}
	return 0;
}

static int count_row(struct store *s, const char *provider, const char *type, int64_t n)
{
	if (!s->counted) { /* when counting started, for kato status */
		s->counted = true;
		sqlite3_exec(s->db, "INSERT OR IGNORE INTO meta(key, value) VALUES('counts_since_ms', "
			     "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))", NULL, NULL, NULL);
	}
	sqlite3_stmt *st = stmt(s, ST_COUNT_ADD);
	bind_text(st, 1, provider);
	bind_text(st, 2, type);
	sqlite3_bind_int64(st, 3, n);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Write the counts of the transaction, before it commits. */
static int flush_counts(struct store *s)
{
	int rc = 0;
	for (size_t i = 0; i < s->ncounts && rc == 0; i++)
		rc = count_row(s, s->counts[i].provider, s->counts[i].type, s->counts[i].n);
	drop_counts(s);
	return rc;
}

int store_begin(struct store *s)
{
	if (!s->group)
		return step_tx(s, ST_BEGIN, "BEGIN IMMEDIATE");
	if (!s->group_open) {
		if (step_tx(s, ST_BEGIN, "BEGIN IMMEDIATE") < 0)
			return -1;
		s->group_open = true;
		s->group_bytes = 0;
	}
	/* counts made between batches are the group's, not this batch's */
	if (flush_counts(s) < 0 || step_tx(s, ST_SAVEPOINT, "SAVEPOINT batch") < 0)
		return -1;
	s->batch = true;
	return 0;
}

/* How many bytes of events the open group commits at (store.h). */
static size_t group_limit(const struct store *s)
{
	size_t quarter = s->grouped_bytes / 4;
	return quarter < STORE_GROUP_MIN ? STORE_GROUP_MIN : quarter > STORE_GROUP_MAX ? STORE_GROUP_MAX : quarter;
}

/* Commit the group's transaction, if one is open. */
static int group_commit(struct store *s)
{
	if (!s->group_open)
		return 0;
	s->group_open = false;
	if (flush_ts(s) < 0 || flush_counts(s) < 0 || /* counts made between batches */
	    step_tx(s, ST_COMMIT, "COMMIT") < 0) {
		s->groups_lost++;
		if (!sqlite3_get_autocommit(s->db))
			step_tx(s, ST_ROLLBACK, "ROLLBACK");
		return -1;
	}
	s->grouped_bytes += s->group_bytes;
	return 0;
}

int store_commit(struct store *s)
{
	if (flush_ts(s) < 0 || flush_counts(s) < 0)
		return -1;
	if (!s->group)
		return step_tx(s, ST_COMMIT, "COMMIT");
	s->batch = false;
	if (step_tx(s, ST_RELEASE, "RELEASE batch") < 0)
		return -1;
	return s->group_bytes >= group_limit(s) ? group_commit(s) : 0;
}

void store_rollback(struct store *s)
{
	s->ts_sid = 0;
	drop_counts(s);
	if (s->group && s->batch && !sqlite3_get_autocommit(s->db) &&
	    step_tx(s, ST_ROLLBACK_TO, "ROLLBACK TO batch") == 0 && step_tx(s, ST_RELEASE, "RELEASE batch") == 0) {
		s->batch = false; /* the batch is undone; the group goes on */
		return;
	}
	/* the whole transaction: outside a group, or the group's own went
	 * wrong (SQLite may already have rolled it back) */
	if (s->group_open)
		s->groups_lost++;
	s->batch = s->group_open = false;
	if (!sqlite3_get_autocommit(s->db))
		step_tx(s, ST_ROLLBACK, "ROLLBACK");
}

int store_group(struct store *s, bool on)
{
	int rc = 0;
	if (!on && s->group) {
		if (s->batch) /* a batch left open: it never happened */
			store_rollback(s);
		rc = group_commit(s);
	}
	if (on && !s->group)
		s->grouped_bytes = 0;
	s->group = on;
	return rc;
}

unsigned store_groups_lost(struct store *s)
{
	return s->groups_lost;
}

/* Take a prepared statement, reset and unbound. */
static sqlite3_stmt *stmt(struct store *s, enum stmt i)
{
	sqlite3_stmt *st = s->st[i];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void uuid4(char out[37])
{
	unsigned char r[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) {
		/* no urandom: fall back to SQLite's PRNG */
		sqlite3_randomness(sizeof r, r);
	}
	if (fd >= 0)
		close(fd);
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

int store_session(struct store *s, const char *provider, const char *psid, int64_t *sid)
{
	sqlite3_stmt *st = stmt(s, ST_SESSION_GET);
	bind_text(st, 1, provider);
	bind_text(st, 2, psid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*sid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	char id[37];
	uuid4(id);
	st = stmt(s, ST_SESSION_ADD);
	bind_text(st, 1, id);
	bind_text(st, 2, provider);
	bind_text(st, 3, psid);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	*sid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_session_facts(struct store *s, int64_t sid, const struct kato_session_info *info)
{
	static const char *const cols[] = {"parent_psid", "title", "cwd", "model", "started_at"};
	const char *vals[] = {info->parent_session_id, info->title, info->cwd, info->model, info->started_at};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		if (!vals[i])
			continue;
		char sql[96];
		snprintf(sql, sizeof sql, "UPDATE sessions SET %s=?1 WHERE id=?2 AND %s IS NOT ?1", cols[i], cols[i]);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		bind_text(st, 1, vals[i]);
		sqlite3_bind_int64(st, 2, sid);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* Event JSON at least this long is written into its row in place
 * (incremental blob I/O) instead of through a bound value, which SQLite
 * would first copy into a record as large as the text: one huge line
 * must not cost that extra copy (SPEC §8). Such a row's json holds the
 * same bytes, typed BLOB; readers take it with sqlite3_column_text. */
#define STORE_BIG_ROW (1u << 20)

/* Where the JSON of a big row goes: its blob, at off of n bytes. */
struct blob_sink {
	sqlite3_blob *b;
	size_t off, n;
};

static int blob_put(void *ud, const char *p, size_t n)
{
	struct blob_sink *bs = ud;
	if (n > bs->n - bs->off)
		return -1; /* longer than counted */
	for (size_t k; n; p += k, n -= k, bs->off += k) {
		k = n < STORE_BIG_ROW ? n : STORE_BIG_ROW;
		if (sqlite3_blob_write(bs->b, p, (int)k, (int)bs->off) != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* Fill the zeroblob json of event `seq` (n bytes) with what fill writes. */
static int write_big(struct store *s, int64_t seq, size_t n, int (*fill)(void *ud, struct buf *b), void *ud)
{
	struct blob_sink bs = {NULL, 0, n};
	if (sqlite3_blob_open(s->db, "main", "events", "json", seq, 1, &bs.b) != SQLITE_OK)
		return -1;
	struct buf b = {.sink = blob_put, .sink_ud = &bs};
	int rc = fill(ud, &b) < 0 || buf_flush(&b) < 0 || bs.off != n ? -1 : 0;
	buf_free(&b);
	if (sqlite3_blob_close(bs.b) != SQLITE_OK)
		rc = -1;
	return rc;
}

/* The insert behind store_add_event and store_add_event_fill: the row's
 * json is `json` (n bytes), or a zeroblob of n bytes written by fill. */
static int add_event(struct store *s, int64_t sid, const struct fingerprint *fp, const char *kind,
		     const char *timestamp, uint32_t flags, const char *json, size_t n,
		     int (*fill)(void *ud, struct buf *b), void *ud, int64_t *seq)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT_ADD);
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_blob(st, 2, fp->b, sizeof fp->b, SQLITE_STATIC);
	bind_text(st, 3, kind);
	bind_text(st, 4, timestamp && *timestamp ? timestamp : NULL);
	sqlite3_bind_int64(st, 5, flags);
	if (fill)
		sqlite3_bind_zeroblob64(st, 6, n);
	else
		sqlite3_bind_text(st, 6, json, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	*seq = sqlite3_changes(s->db) ? sqlite3_last_insert_rowid(s->db) : 0;
	if (*seq)
		s->group_bytes += n;
	if (*seq && fill && write_big(s, *seq, n, fill, ud) < 0)
		return -1;
	/* the search index, in the same transaction as the event: what it
	 * holds is decided by TEXT_WHERE; big rows are never indexed */
	bool indexed = *seq && !fill &&
		       (!strcmp(kind, "message.assistant") ||
			(!strcmp(kind, "message.user") && !(flags & KATO_EVENT_INJECTED))); /* flags & 4 */
	if (indexed && json_canonical_len(json, '{') == (ssize_t)n) {
		/* JSON as event_to_json writes it: its content read here, as
		 * SQLite's json_extract would, without reading the row back and
		 * parsing it again (about a fifth of what indexing cost) */
		rc = SQLITE_DONE;
		if (json_canonical_member_str(json, "content", &s->text)) {
			st = stmt(s, ST_TEXT_ADD);
			sqlite3_bind_int64(st, 1, *seq);
			sqlite3_bind_text(st, 2, s->text.p ? s->text.p : "", (int)s->text.len, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
		}
		if (rc != SQLITE_DONE)
			return -1;
	} else if (indexed) {
		sqlite3_stmt *get = stmt(s, ST_TEXT_GET);
		sqlite3_bind_int64(get, 1, *seq);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW) {
			st = stmt(s, ST_TEXT_ADD);
			sqlite3_bind_int64(st, 1, *seq);
			sqlite3_bind_value(st, 2, sqlite3_column_value(get, 0));
			rc = sqlite3_step(st);
			sqlite3_reset(st);
		}
		sqlite3_reset(get);
		if (rc != SQLITE_DONE)
			return -1;
	}
	if (*seq && timestamp && *timestamp && note_ts(s, sid, timestamp) < 0)
		return -1;
	return 0;
}

/* fill for a JSON text already in memory. */
static int fill_text(void *ud, struct buf *b)
{
	buf_adds(b, ud);
	return 0;
}

int store_add_event(struct store *s, int64_t sid, const struct fingerprint *fp,
		    const char *kind, const char *timestamp, uint32_t flags,
		    const char *json, int64_t *seq)
{
	size_t n = strlen(json);
	return add_event(s, sid, fp, kind, timestamp, flags, json, n,
			 n >= STORE_BIG_ROW ? fill_text : NULL, (void *)json, seq);
}

int store_add_event_n(struct store *s, int64_t sid, const struct fingerprint *fp, const char *kind,
		      const char *timestamp, uint32_t flags, const char *json, size_t n, int64_t *seq)
{
	return add_event(s, sid, fp, kind, timestamp, flags, json, n, n >= STORE_BIG_ROW ? fill_text : NULL,
			 (void *)json, seq);
}

int store_add_event_fill(struct store *s, int64_t sid, const struct fingerprint *fp,
			 const char *kind, const char *timestamp, uint32_t flags, size_t n,
			 int (*fill)(void *ud, struct buf *b), void *ud, int64_t *seq)
{
	return add_event(s, sid, fp, kind, timestamp, flags, NULL, n, fill, ud, seq);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static void col_blob16(sqlite3_stmt *st, int i, uint8_t out[16])
{
	memset(out, 0, 16);
	const void *p = sqlite3_column_blob(st, i);
	if (p && sqlite3_column_bytes(st, i) == 16)
		memcpy(out, p, 16);
}

int store_get_file(struct store *s, const char *path, struct store_file *f)
{
	sqlite3_stmt *st = stmt(s, ST_FILE_GET);
	bind_text(st, 1, path);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->provider = col_dup(st, 0);
	f->psid = col_dup(st, 1);
	f->session = sqlite3_column_int64(st, 2);
	f->dev = (uint64_t)sqlite3_column_int64(st, 3);
	f->ino = (uint64_t)sqlite3_column_int64(st, 4);
	f->size = sqlite3_column_int64(st, 5);
	f->offset = sqlite3_column_int64(st, 6);
	f->head_len = (uint32_t)sqlite3_column_int(st, 7);
	col_blob16(st, 8, f->head);
	f->marker_len = (uint32_t)sqlite3_column_int(st, 9);
	col_blob16(st, 10, f->marker);
	int n = sqlite3_column_bytes(st, 11);
	if (n > 0) {
		f->state = xmalloc((size_t)n);
		memcpy(f->state, sqlite3_column_blob(st, 11), (size_t)n);
		f->state_len = (size_t)n;
	}
	sqlite3_reset(st);
	return 1;
}

int store_put_file(struct store *s, const struct store_file *f)
{
	sqlite3_stmt *st = stmt(s, ST_FILE_PUT);
	bind_text(st, 1, f->path);
	bind_text(st, 2, f->provider);
	bind_text(st, 3, f->psid);
	if (f->session)
		sqlite3_bind_int64(st, 4, f->session);
	sqlite3_bind_int64(st, 5, (int64_t)f->dev);
	sqlite3_bind_int64(st, 6, (int64_t)f->ino);
	sqlite3_bind_int64(st, 7, f->size);
	sqlite3_bind_int64(st, 8, f->offset);
	sqlite3_bind_int(st, 9, (int)f->head_len);
	sqlite3_bind_blob(st, 10, f->head, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, (int)f->marker_len);
	sqlite3_bind_blob(st, 12, f->marker, 16, SQLITE_STATIC);
	if (f->state_len)
		sqlite3_bind_blob(st, 13, f->state, (int)f->state_len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_forget_file(struct store *s, const char *path)
{
	sqlite3_stmt *st = stmt(s, ST_FILE_DEL);
	bind_text(st, 1, path);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void store_file_free(struct store_file *f)
{
	free(f->path);
	free(f->provider);
	free(f->psid);
	free(f->state);
	memset(f, 0, sizeof *f);
}

int store_each_file(struct store *s, const char *provider,
		    int (*cb)(void *ud, const char *path, const char *provider), void *ud)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT path, provider FROM files WHERE ?1 IS NULL OR provider=?1 ORDER BY path",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, provider);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ud, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_count(struct store *s, const char *provider, const char *type, int64_t n)
{
	if (sqlite3_get_autocommit(s->db)) /* no transaction: at once */
		return count_row(s, provider, type, n);
	for (size_t i = 0; i < s->ncounts; i++) {
		if (!strcmp(s->counts[i].type, type) && !strcmp(s->counts[i].provider, provider)) {
			s->counts[i].n += n;
			return 0;
		}
	}
	if (s->ncounts == s->capcounts) {
		s->capcounts = s->capcounts ? 2 * s->capcounts : 16;
		s->counts = xrealloc(s->counts, s->capcounts * sizeof *s->counts);
	}
	s->counts[s->ncounts++] = (struct pending_count){xstrdup(provider), xstrdup(type), n};
	return 0;
}

/* ---- reading ---- */

/* The snippet is the start of the first typed message; a message stored
 * as a big row (STORE_BIG_ROW, typed BLOB) gives none: parsing it here
 * would cost several times its size. */
#define SESSION_COLS                                                                   \
	"SELECT s.id, s.kato_id, s.provider, s.psid, s.parent_psid, s.title, s.cwd, s.model, " \
	"s.first_ts, s.last_ts, "                                                      \
	"(SELECT CASE WHEN typeof(e.json) = 'blob' THEN NULL "                          \
	" ELSE substr(json_extract(e.json, '$.content'), 1, 200) END FROM events e "    \
	" WHERE e.session = s.id AND e.kind = 'message.user' AND (e.flags & 1) "       \
	" ORDER BY e.seq LIMIT 1), "                                                   \
	"(SELECT count(*) FROM events e WHERE e.session = s.id), "                      \
	"(EXISTS (SELECT 1 FROM events e WHERE e.session = s.id) AND NOT EXISTS "        \
	" (SELECT 1 FROM events e WHERE e.session = s.id AND (e.flags & 2) = 0)) "      \
	"FROM sessions s "

/* The statement for sql, which must be a string literal (its address is
 * the key), prepared on its first use and kept until store_close (the
 * first KEPT_STMTS of them); NULL on error. For the calls made once per
 * session (the recorder's pass after a backfill) or per recording (a
 * ::capture), which prepared them each time. Hand it back with
 * give_back. A statement still in use (a callback calling
 * into the store again) is prepared anew for the inner call. */
static sqlite3_stmt *take(struct store *s, const char *sql)
{
	size_t i = 0;
	while (i < s->nkept && s->kept[i].sql != sql)
		i++;
	if (i < s->nkept && !s->kept[i].busy) {
		s->kept[i].busy = true;
		return s->kept[i].st;
	}
	sqlite3_stmt *st;
	bool keep = i == s->nkept && i < KEPT_STMTS;
	if (sqlite3_prepare_v3(s->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK)
		return NULL;
	if (keep)
		s->kept[s->nkept++] = (struct kept_stmt){sql, st, true};
	return st;
}

/* Done with a statement from take: reset and unbound if kept, else
 * finalized. */
static void give_back(struct store *s, sqlite3_stmt *st)
{
	for (size_t i = 0; i < s->nkept; i++) {
		if (s->kept[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->kept[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

static int session_rows(struct store *s, sqlite3_stmt *st, int (*cb)(void *, const struct store_session_row *),
			void *ud)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_session_row r = {
			.id = sqlite3_column_int64(st, 0),
			.kato_id = (const char *)sqlite3_column_text(st, 1),
			.provider = (const char *)sqlite3_column_text(st, 2),
			.psid = (const char *)sqlite3_column_text(st, 3),
			.parent_psid = (const char *)sqlite3_column_text(st, 4),
			.title = (const char *)sqlite3_column_text(st, 5),
			.cwd = (const char *)sqlite3_column_text(st, 6),
			.model = (const char *)sqlite3_column_text(st, 7),
			.first_ts = (const char *)sqlite3_column_text(st, 8),
			.last_ts = (const char *)sqlite3_column_text(st, 9),
			.snippet = (const char *)sqlite3_column_text(st, 10),
			.events = sqlite3_column_int64(st, 11),
			.sidechain_only = sqlite3_column_int(st, 12) != 0,
		};
		if (cb(ud, &r))
			break;
	}
	give_back(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_each_session(struct store *s, int (*cb)(void *ud, const struct store_session_row *r), void *ud)
{
	sqlite3_stmt *st = take(s, SESSION_COLS "ORDER BY coalesce(s.last_ts, ''), s.id");
	if (!st)
		return -1;
	return session_rows(s, st, cb, ud);
}

int store_get_session(struct store *s, int64_t sid,
		      int (*cb)(void *ud, const struct store_session_row *r), void *ud)
{
	sqlite3_stmt *st = take(s, SESSION_COLS "WHERE s.id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	return session_rows(s, st, cb, ud);
}

int store_find_session(struct store *s, const char *sel, int64_t *sid, char **err)
{
	/* "provider:id" narrows to one provider */
	char *provider = NULL;
	const char *id = sel;
	const char *colon = strchr(sel, ':');
	if (colon && colon != sel) {
		provider = xstrndup(sel, (size_t)(colon - sel));
		id = colon + 1;
	}
	sqlite3_stmt *st;
	const char *sql =
		"SELECT id, provider, psid, kato_id, "
		" (kato_id = ?1 OR psid = ?1) AS exact FROM sessions "
		"WHERE (?2 IS NULL OR provider = ?2) AND "
		" (kato_id = ?1 OR psid = ?1 OR substr(kato_id, 1, length(?1)) = ?1 "
		"  OR substr(psid, 1, length(?1)) = ?1) "
		"ORDER BY exact DESC, id LIMIT 11";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(provider);
		return -1;
	}
	bind_text(st, 1, id);
	bind_text(st, 2, provider);
	int n = 0, exact = 0;
	struct buf cands = BUF_INIT;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int is_exact = sqlite3_column_int(st, 4);
		if (n == 0) {
			*sid = sqlite3_column_int64(st, 0);
			exact = is_exact;
		} else if (exact && !is_exact) {
			break; /* an exact match beats prefixes */
		}
		buf_printf(&cands, "%s  %s:%s\n", sqlite3_column_text(st, 3),
			   sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	free(provider);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		buf_free(&cands);
		return -1;
	}
	if (n > 1) {
		if (err)
			*err = buf_take(&cands);
		buf_free(&cands);
		return 2;
	}
	buf_free(&cands);
	return n;
}

int store_each_event(struct store *s, int64_t sid, int64_t after_seq,
		     int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
		     void *ud)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT seq, kind, flags, json FROM events WHERE session=?1 AND seq>?2 ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, after_seq);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (uint32_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_each_event_of_kind(struct store *s, int64_t sid, int64_t after_seq, const char *json_kind,
			     int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
			     void *ud)
{
	sqlite3_stmt *st = take(s, "SELECT seq, kind, flags, CASE WHEN kind=?3 THEN json END FROM events "
				   "WHERE session=?1 AND seq>?2 ORDER BY seq");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, after_seq);
	sqlite3_bind_text(st, 3, json_kind, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (uint32_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3)))
			break;
	}
	give_back(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_event_of_kind(struct store *s, int64_t seq, const char *json_kind,
			int (*cb)(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json),
			void *ud)
{
	sqlite3_stmt *st = take(s, "SELECT seq, kind, flags, CASE WHEN kind=?2 THEN json END FROM events WHERE seq=?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, json_kind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		cb(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		   (uint32_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3));
	give_back(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_count_events_after(struct store *s, int64_t sid, int64_t after_seq, int64_t *n)
{
	sqlite3_stmt *st = take(s, "SELECT count(*) FROM events WHERE session=?1 AND seq>?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, after_seq);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	give_back(s, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_each_count(struct store *s, int (*cb)(void *ud, const char *provider, const char *type, int64_t n), void *ud)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT provider, type, n FROM counts ORDER BY provider, type", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ud, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		       sqlite3_column_int64(st, 2)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int64_t scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int store_totals(struct store *s, int64_t *sessions, int64_t *events, int64_t *files)
{
	*sessions = scalar(s, "SELECT count(*) FROM sessions");
	*events = scalar(s, "SELECT count(*) FROM events");
	*files = scalar(s, "SELECT count(*) FROM files");
	return *sessions < 0 || *events < 0 || *files < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- recorder */

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int store_rec_session_get(struct store *s, int64_t sid, struct store_rec_session *r)
{
	memset(r, 0, sizeof *r);
	sqlite3_stmt *st = take(s, "SELECT pointer, command_seq, command_line FROM recorder WHERE session=?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->pointer = col_dup(st, 0);
		r->command_seq = sqlite3_column_int64(st, 1);
		r->command_line = sqlite3_column_int(st, 2);
	}
	give_back(s, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_rec_session_put(struct store *s, int64_t sid, const struct store_rec_session *r)
{
	sqlite3_stmt *st = take(s, "INSERT OR REPLACE INTO recorder(session, pointer, command_seq, command_line) "
				   "VALUES(?1,?2,?3,?4)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	bind_text(st, 2, r->pointer);
	sqlite3_bind_int64(st, 3, r->command_seq);
	sqlite3_bind_int(st, 4, r->command_line);
	int rc = sqlite3_step(st);
	give_back(s, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void store_rec_session_free(struct store_rec_session *r)
{
	free(r->pointer);
	memset(r, 0, sizeof *r);
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	snprintf(out, size, "%s", v ? v : "");
}

int store_recordings(struct store *s, int64_t sid, struct store_recording **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	sqlite3_stmt *st = take(s, "SELECT id, session, path, rec_id, active, write_seq, last_role, size, "
				   "pending_upto, pending_before, pending_after, pending_bytes, pending_role "
				   "FROM recordings WHERE ?1 = 0 OR session = ?1 ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sid);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		struct store_recording *r = &(*v)[(*n)++];
		memset(r, 0, sizeof *r);
		r->id = sqlite3_column_int64(st, 0);
		r->session = sqlite3_column_int64(st, 1);
		r->path = col_dup(st, 2);
		col_copy(st, 3, r->rec_id, sizeof r->rec_id);
		r->active = sqlite3_column_int(st, 4) != 0;
		r->write_seq = sqlite3_column_int64(st, 5);
		col_copy(st, 6, r->last_role, sizeof r->last_role);
		r->size = sqlite3_column_int64(st, 7);
		r->pending = sqlite3_column_type(st, 8) != SQLITE_NULL;
		if (r->pending) {
			r->pending_upto = sqlite3_column_int64(st, 8);
			r->pending_before = sqlite3_column_int64(st, 9);
			r->pending_after = sqlite3_column_int64(st, 10);
			r->pending_len = (size_t)sqlite3_column_bytes(st, 11);
			r->pending_bytes = xmalloc(r->pending_len + 1);
			if (r->pending_len)
				memcpy(r->pending_bytes, sqlite3_column_blob(st, 11), r->pending_len);
			r->pending_bytes[r->pending_len] = '\0';
			col_copy(st, 12, r->pending_role, sizeof r->pending_role);
		}
	}
	give_back(s, st);
	if (rc != SQLITE_DONE) {
		store_recordings_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void store_recordings_free(struct store_recording *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].pending_bytes);
	}
	free(v);
}

int store_recording_put(struct store *s, struct store_recording *r)
{
	sqlite3_stmt *st;
	const char *sql = r->id ? "UPDATE recordings SET session=?2, path=?3, rec_id=?4, active=?5, write_seq=?6, "
				  "last_role=?7, size=?8, pending_upto=?9, pending_before=?10, "
				  "pending_after=?11, pending_bytes=?12, pending_role=?13 WHERE id=?1"
				: "INSERT INTO recordings(session, path, rec_id, active, write_seq, last_role, size, "
				  "pending_upto, pending_before, pending_after, pending_bytes, pending_role) "
				  "VALUES(?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
	if (!(st = take(s, sql)))
		return -1;
	if (r->id)
		sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->session);
	bind_text(st, 3, r->path);
	bind_text(st, 4, r->rec_id);
	sqlite3_bind_int(st, 5, r->active);
	sqlite3_bind_int64(st, 6, r->write_seq);
	bind_text(st, 7, r->last_role);
	sqlite3_bind_int64(st, 8, r->size);
	if (r->pending) {
		sqlite3_bind_int64(st, 9, r->pending_upto);
		sqlite3_bind_int64(st, 10, r->pending_before);
		sqlite3_bind_int64(st, 11, r->pending_after);
		sqlite3_bind_blob(st, 12, r->pending_bytes ? r->pending_bytes : "", (int)r->pending_len,
				  SQLITE_TRANSIENT);
		bind_text(st, 13, r->pending_role);
	}
	int rc = sqlite3_step(st);
	give_back(s, st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!r->id)
		r->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_add_command(struct store *s, const struct store_command *c)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO commands(session, seq, line, name, arg, target, outcome, reason, at_ms) "
			       "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, c->session);
	sqlite3_bind_int64(st, 2, c->seq);
	sqlite3_bind_int(st, 3, c->line);
	bind_text(st, 4, c->name);
	bind_text(st, 5, c->arg);
	bind_text(st, 6, c->target);
	bind_text(st, 7, c->outcome);
	bind_text(st, 8, c->reason);
	sqlite3_bind_int64(st, 9, c->at_ms);
	return step_done(st);
}

int store_each_command(struct store *s, int limit,
		       int (*cb)(void *ud, const struct store_command *c, const char *kato_id), void *ud)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT c.session, c.seq, c.line, c.name, c.arg, c.target, c.outcome, c.reason, "
			       "c.at_ms, s.kato_id FROM commands c JOIN sessions s ON s.id = c.session "
			       "ORDER BY c.id DESC LIMIT ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_command c = {
			.session = sqlite3_column_int64(st, 0),
			.seq = sqlite3_column_int64(st, 1),
			.line = sqlite3_column_int(st, 2),
			.name = (const char *)sqlite3_column_text(st, 3),
			.arg = (const char *)sqlite3_column_text(st, 4),
			.target = (const char *)sqlite3_column_text(st, 5),
			.outcome = (const char *)sqlite3_column_text(st, 6),
			.reason = (const char *)sqlite3_column_text(st, 7),
			.at_ms = sqlite3_column_int64(st, 8),
		};
		if (cb(ud, &c, (const char *)sqlite3_column_text(st, 9)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_meta_get(struct store *s, const char *key, int64_t *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	int found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (found)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int store_meta_set(struct store *s, const char *key, int64_t v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1,?2)", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, v);
	return step_done(st);
}

int store_max_seq(struct store *s, int64_t *seq)
{
	int64_t v = scalar(s, "SELECT coalesce(max(seq), 0) FROM events");
	if (v < 0)
		return -1;
	*seq = v;
	return 0;
}

int store_each_session_after(struct store *s, int64_t after_seq, int (*cb)(void *ud, int64_t sid), void *ud)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT session FROM events WHERE seq > ?1 ORDER BY session", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, after_seq);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ud, sqlite3_column_int64(st, 0)))
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------------- clean */

/* The sessions kato clean removes: last event before the cutoff, and no
 * active recording (a session still being recorded is kept). */
#define CLEAN_SESSIONS                                                                   \
	"SELECT id FROM sessions WHERE last_ts IS NOT NULL AND last_ts < ?1 AND id NOT IN " \
	"(SELECT session FROM recordings WHERE active)"

int store_clean_sessions(struct store *s, const char *before_ts, bool dry_run, int64_t *sessions,
			 int64_t *events)
{
	static const char *const counts[] = {
		"SELECT count(*) FROM (" CLEAN_SESSIONS ")",
		"SELECT count(*) FROM events WHERE session IN (" CLEAN_SESSIONS ")",
	};
	int64_t *outs[] = {sessions, events};
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, counts[i], -1, &st, NULL) != SQLITE_OK)
			return -1;
		bind_text(st, 1, before_ts);
		int rc = sqlite3_step(st);
		*outs[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
		if (*outs[i] < 0)
			return -1;
	}
	if (dry_run || !*sessions)
		return 0;
	/* The files keep their cursors (what was read stays read: the next
	 * sweep does not import the cleaned events again) but no longer name
	 * the session: lines appended later start a new one. */
	static const char *const steps[] = {
		"CREATE TEMP TABLE IF NOT EXISTS clean_ids(id INTEGER PRIMARY KEY)",
		"DELETE FROM temp.clean_ids",
		"INSERT INTO temp.clean_ids " CLEAN_SESSIONS,
		"DELETE FROM events WHERE session IN (SELECT id FROM temp.clean_ids)",
		"DELETE FROM commands WHERE session IN (SELECT id FROM temp.clean_ids)",
		"DELETE FROM recordings WHERE session IN (SELECT id FROM temp.clean_ids)",
		"DELETE FROM recorder WHERE session IN (SELECT id FROM temp.clean_ids)",
		"UPDATE files SET session = NULL WHERE session IN (SELECT id FROM temp.clean_ids)",
		"DELETE FROM sessions WHERE id IN (SELECT id FROM temp.clean_ids)",
		"DELETE FROM temp.clean_ids",
	};
	if (store_begin(s) < 0)
		return -1;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, steps[i], -1, &st, NULL) != SQLITE_OK) {
			store_rollback(s);
			return -1;
		}
		if (sqlite3_bind_parameter_count(st))
			bind_text(st, 1, before_ts);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			store_rollback(s);
			return -1;
		}
	}
	return store_commit(s);
}
