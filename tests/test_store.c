/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "testutil.h"

static struct store *open_tmp(char **path)
{
	char *dir = tu_tmpdir();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/state/kato.db", dir);
	free(dir);
	struct store *s;
	char *err = NULL;
	ck_assert_msg(store_open(b.p, false, &s, &err) == 0, "%s", err);
	*path = buf_take(&b);
	return s;
}

static struct fingerprint fp_of(const char *s)
{
	struct fingerprint fp;
	fingerprint_bytes(s, strlen(s), &fp);
	return fp;
}

START_TEST(events_are_stored_once)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t sid, sid2, seq;
	ck_assert_int_eq(store_session(s, "claude", "sess-1", &sid), 0);
	ck_assert_int_eq(store_session(s, "claude", "sess-1", &sid2), 0);
	ck_assert_int_eq(sid, sid2);
	struct fingerprint a = fp_of("a"), b = fp_of("b");
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_add_event(s, sid, &a, "message.user", "2026-01-01T00:00:00.000Z", 1, "{}", &seq), 0);
	ck_assert_int_gt(seq, 0);
	int64_t first = seq;
	ck_assert_int_eq(store_add_event(s, sid, &a, "message.user", NULL, 1, "{}", &seq), 0);
	ck_assert_int_eq(seq, 0); /* duplicate */
	ck_assert_int_eq(store_add_event(s, sid, &b, "message.assistant", "2026-01-01T00:00:01.000Z", 0, "{}", &seq), 0);
	ck_assert_int_gt(seq, first);
	ck_assert_int_eq(store_commit(s), 0);
	int64_t ns, ne, nf;
	ck_assert_int_eq(store_totals(s, &ns, &ne, &nf), 0);
	ck_assert_int_eq(ns, 1);
	ck_assert_int_eq(ne, 2);
	store_close(s);
	/* reopen: still there, dedupe still holds (no window) */
	char *err = NULL;
	ck_assert_int_eq(store_open(path, false, &s, &err), 0);
	ck_assert_int_eq(store_add_event(s, sid, &a, "message.user", NULL, 1, "{}", &seq), 0);
	ck_assert_int_eq(seq, 0);
	store_close(s);
	free(path);
}
END_TEST

struct span {
	char first[32], last[32];
};

static int get_span(void *ud, const struct store_session_row *r)
{
	struct span *sp = ud;
	snprintf(sp->first, sizeof sp->first, "%s", r->first_ts ? r->first_ts : "-");
	snprintf(sp->last, sizeof sp->last, "%s", r->last_ts ? r->last_ts : "-");
	return 0;
}

static struct span span_of(struct store *s, int64_t sid)
{
	struct span sp;
	ck_assert_int_eq(store_get_session(s, sid, get_span, &sp), 0);
	return sp;
}

/* A session's first and last event times are kept per run of its events
 * and written at the commit: interleaved sessions, events out of order, a
 * rollback (its times are dropped) and an event outside a transaction. */
START_TEST(session_times_follow_the_events_through_commits_and_rollbacks)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t a, b, seq;
	store_session(s, "claude", "a", &a);
	store_session(s, "claude", "b", &b);
	struct fingerprint f1 = fp_of("1"), f2 = fp_of("2"), f3 = fp_of("3"), f4 = fp_of("4"), f5 = fp_of("5"),
			   f6 = fp_of("6"), f7 = fp_of("7");
	ck_assert_int_eq(store_begin(s), 0);
	store_add_event(s, a, &f1, "message.user", "2026-01-01T00:00:05.000Z", 0, "{}", &seq);
	store_add_event(s, a, &f2, "message.user", "2026-01-01T00:00:01.000Z", 0, "{}", &seq);
	store_add_event(s, b, &f3, "message.user", "2026-02-01T00:00:00.000Z", 0, "{}", &seq);
	store_add_event(s, a, &f4, "message.user", "2026-01-01T00:00:09.000Z", 0, "{}", &seq);
	store_add_event(s, a, &f4, "message.user", "2027-01-01T00:00:00.000Z", 0, "{}", &seq); /* a duplicate: no time */
	ck_assert_int_eq(store_commit(s), 0);
	struct span sa = span_of(s, a), sb = span_of(s, b);
	ck_assert_str_eq(sa.first, "2026-01-01T00:00:01.000Z");
	ck_assert_str_eq(sa.last, "2026-01-01T00:00:09.000Z");
	ck_assert_str_eq(sb.first, "2026-02-01T00:00:00.000Z");
	ck_assert_str_eq(sb.last, "2026-02-01T00:00:00.000Z");
	ck_assert_int_eq(store_begin(s), 0);
	store_add_event(s, a, &f5, "message.user", "2025-01-01T00:00:00.000Z", 0, "{}", &seq);
	store_rollback(s);
	ck_assert_int_eq(store_begin(s), 0);
	store_add_event(s, b, &f6, "message.user", "2026-03-01T00:00:00.000Z", 0, "{}", &seq);
	ck_assert_int_eq(store_commit(s), 0);
	store_add_event(s, a, &f7, "message.user", "2026-01-01T00:00:00.000Z", 0, "{}", &seq); /* autocommit */
	sa = span_of(s, a);
	sb = span_of(s, b);
	ck_assert_str_eq(sa.first, "2026-01-01T00:00:00.000Z");
	ck_assert_str_eq(sa.last, "2026-01-01T00:00:09.000Z");
	ck_assert_str_eq(sb.last, "2026-03-01T00:00:00.000Z");
	store_close(s);
	free(path);
}
END_TEST

START_TEST(rollback_loses_the_batch_and_its_cursor_together)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t sid, seq;
	store_session(s, "codex", "x", &sid);
	struct fingerprint a = fp_of("a");
	struct store_file f = {.path = "/tmp/x.jsonl", .provider = "codex", .psid = "x", .session = sid,
			       .offset = 100, .size = 100};
	ck_assert_int_eq(store_begin(s), 0);
	store_add_event(s, sid, &a, "message.user", NULL, 1, "{}", &seq);
	store_put_file(s, &f);
	store_rollback(s);
	struct store_file g;
	ck_assert_int_eq(store_get_file(s, "/tmp/x.jsonl", &g), 0);
	int64_t ns, ne, nf;
	store_totals(s, &ns, &ne, &nf);
	ck_assert_int_eq(ne, 0);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(file_rows_round_trip)
{
	char *path;
	struct store *s = open_tmp(&path);
	struct store_file f = {.path = "/p/a.jsonl", .provider = "claude", .psid = "a", .session = 0,
			       .dev = 7, .ino = 1234567890123ull, .size = 999, .offset = 900,
			       .head_len = 1024, .marker_len = 64, .state = "blob\0x", .state_len = 6};
	memset(f.head, 0xab, 16);
	memset(f.marker, 0xcd, 16);
	ck_assert_int_eq(store_put_file(s, &f), 0);
	struct store_file g;
	ck_assert_int_eq(store_get_file(s, "/p/a.jsonl", &g), 1);
	ck_assert_str_eq(g.provider, "claude");
	ck_assert_str_eq(g.psid, "a");
	ck_assert_uint_eq(g.ino, 1234567890123ull);
	ck_assert_int_eq(g.offset, 900);
	ck_assert_uint_eq(g.head_len, 1024);
	ck_assert_mem_eq(g.head, f.head, 16);
	ck_assert_mem_eq(g.marker, f.marker, 16);
	ck_assert_uint_eq(g.state_len, 6);
	ck_assert_mem_eq(g.state, "blob\0x", 6);
	store_file_free(&g);
	ck_assert_int_eq(store_forget_file(s, "/p/a.jsonl"), 0);
	ck_assert_int_eq(store_get_file(s, "/p/a.jsonl", &g), 0);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(sessions_resolve_by_id_and_prefix)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t a, b, c, got;
	store_session(s, "claude", "8356ebc3-aaaa", &a);
	store_session(s, "claude", "8356ebc3-bbbb", &b);
	store_session(s, "codex", "019c9ff1-cccc", &c);
	char *err = NULL;
	ck_assert_int_eq(store_find_session(s, "8356ebc3-bbbb", &got, NULL), 1);
	ck_assert_int_eq(got, b);
	ck_assert_int_eq(store_find_session(s, "019c", &got, NULL), 1);
	ck_assert_int_eq(got, c);
	ck_assert_int_eq(store_find_session(s, "8356", &got, &err), 2);
	ck_assert_ptr_nonnull(strstr(err, "8356ebc3-aaaa"));
	ck_assert_ptr_nonnull(strstr(err, "8356ebc3-bbbb"));
	free(err);
	ck_assert_int_eq(store_find_session(s, "codex:8356", &got, NULL), 0);
	ck_assert_int_eq(store_find_session(s, "claude:8356ebc3-a", &got, NULL), 1);
	ck_assert_int_eq(got, a);
	ck_assert_int_eq(store_find_session(s, "nothing", &got, NULL), 0);
	store_close(s);
	free(path);
}
END_TEST

static int count_rows(void *ud, const struct store_session_row *r)
{
	(*(int *)ud)++;
	ck_assert_uint_eq(strlen(r->kato_id), 36); /* UUID v4 */
	ck_assert_int_eq(r->kato_id[14], '4');
	return 0;
}

START_TEST(readers_see_a_running_writer)
{
	char *path;
	struct store *w = open_tmp(&path);
	int64_t sid, seq;
	store_session(w, "gemini", "g1", &sid);
	struct fingerprint a = fp_of("a");
	store_add_event(w, sid, &a, "message.user", NULL, 1, "{\"content\":\"hello\"}", &seq);
	struct store *r;
	char *err = NULL;
	ck_assert_int_eq(store_open(path, true, &r, &err), 0);
	int n = 0;
	ck_assert_int_eq(store_each_session(r, count_rows, &n), 0);
	ck_assert_int_eq(n, 1);
	store_close(r);
	store_close(w);
	free(path);
}
END_TEST

/* A new store gets STORE_PAGE_SIZE pages and a WAL limit in those pages;
 * a store made with SQLite's 4 KiB default keeps its pages and works. */
START_TEST(page_size_of_new_and_old_stores)
{
	char *path;
	struct store *s = open_tmp(&path);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA page_size"), atoi(STORE_PAGE_SIZE));
	/* made without SQLite's syncs, used with them */
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA synchronous"), 1);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA wal_autocheckpoint"), STORE_WAL_BYTES / atoi(STORE_PAGE_SIZE));
	ck_assert_int_eq(store_bulk(s, true), 0);
	/* bulk: the writer's own checkpoints are off, a thread makes them */
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA wal_autocheckpoint"), 0);
	ck_assert_int_eq(store_bulk(s, false), 0);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA wal_autocheckpoint"), STORE_WAL_BYTES / atoi(STORE_PAGE_SIZE));
	store_close(s);
	free(path);

	/* an empty database file made by an older kato or by hand with 4 KiB
	 * pages in WAL mode: kato's schema goes in, the pages stay */
	char *dir = tu_tmpdir();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/old.db", dir);
	free(dir);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(b.p, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; "
					  "CREATE TABLE t(x); DROP TABLE t;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char *err = NULL;
	ck_assert_msg(store_open(b.p, false, &s, &err) == 0, "%s", err);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA page_size"), 4096);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA wal_autocheckpoint"), STORE_WAL_BYTES / 4096);
	int64_t sid, seq;
	ck_assert_int_eq(store_session(s, "claude", "c1", &sid), 0);
	struct fingerprint a = fp_of("a");
	ck_assert_int_eq(store_add_event(s, sid, &a, "message.user", NULL, 0, "{\"content\":\"hi\"}", &seq), 0);
	ck_assert_int_gt(seq, 0);
	store_close(s);
	buf_free(&b);
}
END_TEST

/* A new store is made without SQLite's syncs: katod killed at any
 * instant of that leaves a file the next start opens (and completes). */
START_TEST(kill_during_creation_leaves_a_usable_store)
{
	char *dir = tu_tmpdir();
	for (int i = 0; i < 40; i++) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s/s%d/kato.db", dir, i);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct store *c;
			_exit(store_open(b.p, false, &c, NULL) == 0 ? 0 : 1);
		}
		usleep((useconds_t)(i * 100));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		struct store *s;
		char *err = NULL;
		ck_assert_msg(store_open(b.p, false, &s, &err) == 0, "kill after %d us: %s", i * 100, err);
		ck_assert_int_gt(tu_db_int(store_db(s), "PRAGMA user_version"), 0);
		sqlite3_stmt *st;
		ck_assert_int_eq(sqlite3_prepare_v2(store_db(s), "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA synchronous"), 1);
		store_close(s);
		buf_free(&b);
	}
	free(dir);
}
END_TEST

/* Events in the store as another connection sees them (committed). */
static int committed_events(const char *path, const char *like)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE json LIKE ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void add_batch(struct store *s, int64_t sid, const char *text, bool keep)
{
	int64_t seq;
	char json[128];
	snprintf(json, sizeof json, "{\"content\":\"%s\"}", text);
	struct fingerprint fp = fp_of(text);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_add_event(s, sid, &fp, "message.user", "2026-01-01T00:00:00Z", 0, json, &seq), 0);
	ck_assert_int_gt(seq, 0);
	if (keep)
		ck_assert_int_eq(store_commit(s), 0);
	else
		store_rollback(s);
}

/* Add a row of 512 KiB (under STORE_BIG_ROW), {"content":"<tag><i> xx..."},
 * in a batch of its own; returns its length. */
static size_t add_big(struct store *s, int64_t sid, const char *tag, int i)
{
	size_t big = 512 << 10;
	char *json = malloc(big + 64);
	int n = snprintf(json, 64, "{\"content\":\"%s%d ", tag, i);
	memset(json + n, 'x', big);
	strcpy(json + n + big, "\"}");
	struct fingerprint fp;
	fingerprint_bytes(json, strlen(json), &fp);
	int64_t seq;
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_add_event(s, sid, &fp, "tool.result", NULL, 0, json, &seq), 0);
	ck_assert_int_eq(store_commit(s), 0);
	size_t len = strlen(json);
	free(json);
	return len;
}

/* Group commits: batches commit together at the end (or once the group
 * is big); a batch rolled back inside it is undone alone; killed before
 * the end, the group never happened and the store is sound. */
START_TEST(group_commits)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t sid;
	ck_assert_int_eq(store_session(s, "claude", "g", &sid), 0);
	ck_assert_int_eq(store_group(s, true), 0);
	add_batch(s, sid, "first", true);
	add_batch(s, sid, "undone", false);
	add_batch(s, sid, "third", true);
	ck_assert_int_eq(committed_events(path, "%"), 0); /* not yet */
	ck_assert_int_eq(store_group(s, false), 0);
	ck_assert_int_eq(committed_events(path, "%first%"), 1);
	ck_assert_int_eq(committed_events(path, "%third%"), 1);
	ck_assert_int_eq(committed_events(path, "%undone%"), 0);
	/* off again: every batch commits at once */
	add_batch(s, sid, "alone", true);
	ck_assert_int_eq(committed_events(path, "%alone%"), 1);

	/* a group commits by itself once it holds a quarter of what the
	 * groups before it (since on) held, at least STORE_GROUP_MIN and at
	 * most STORE_GROUP_MAX bytes: the first at STORE_GROUP_MIN, later
	 * ones at more once 4 * STORE_GROUP_MIN are stored */
	ck_assert_int_eq(store_group(s, true), 0);
	int base = committed_events(path, "%"), commits = 0, open_rows = 0;
	size_t grouped = 0, group = 0, biggest = 0;
	for (int i = 0; grouped < 8 * STORE_GROUP_MIN; i++) {
		group += add_big(s, sid, "big", i);
		open_rows++;
		size_t limit = grouped / 4 < STORE_GROUP_MIN ? STORE_GROUP_MIN : grouped / 4;
		if (group >= limit) {
			biggest = group > biggest ? group : biggest;
			grouped += group;
			group = 0;
			open_rows = 0;
			commits++;
		}
		/* nothing seen until the group is big enough, then all of it */
		ck_assert_int_eq(committed_events(path, "%") - base, i + 1 - open_rows);
	}
	ck_assert_int_ge(commits, 4);
	ck_assert_uint_gt(biggest, STORE_GROUP_MIN + (512 << 10)); /* the groups grew */
	ck_assert_int_eq(store_group(s, false), 0);
	store_close(s);

	/* killed with the group open */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *c;
		if (store_open(path, false, &c, NULL) < 0)
			_exit(3);
		store_group(c, true);
		add_batch(c, sid, "lost", true);
		add_batch(c, sid, "lost too", true);
		raise(SIGKILL);
		_exit(4);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(committed_events(path, "%lost%"), 0);
	char *err = NULL;
	ck_assert_msg(store_open(path, false, &s, &err) == 0, "%s", err);
	ck_assert_int_eq(tu_db_int(store_db(s), "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
	add_batch(s, sid, "lost", true); /* and it can be stored again */
	ck_assert_int_eq(committed_events(path, "%lost%"), 1);
	store_close(s);
	free(path);
}
END_TEST

/* In bulk mode a thread checkpoints the WAL while the writer goes on:
 * the database file grows though the writer never checkpoints; off, the
 * writer's own checkpoints are back and nothing was lost. */
START_TEST(bulk_checkpoints_on_a_thread)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t sid;
	ck_assert_int_eq(store_session(s, "claude", "ck", &sid), 0);
	ck_assert_int_eq(store_bulk(s, true), 0);
	ck_assert_int_eq(store_group(s, true), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	off_t before = st.st_size;
	size_t total = 0;
	int rows = 0;
	for (; total < STORE_BULK_WAL_BYTES * 3 / 4; rows++) /* short of the writer's own limit */
		total += add_big(s, sid, "ck", rows);
	/* the WAL passed STORE_BULK_WAL_BYTES / 2 long ago: the thread copies
	 * its pages into the database file */
	for (int i = 0; i < 500 && stat(path, &st) == 0 && st.st_size < before + STORE_BULK_WAL_BYTES / 4; i++)
		usleep(10000);
	ck_assert_int_ge(st.st_size, before + STORE_BULK_WAL_BYTES / 4);
	ck_assert_int_eq(store_group(s, false), 0);
	ck_assert_int_eq(store_bulk(s, false), 0);
	ck_assert_int_eq(tu_db_int(store_db(s), "PRAGMA wal_autocheckpoint"), STORE_WAL_BYTES / atoi(STORE_PAGE_SIZE));
	ck_assert_int_eq(committed_events(path, "%ck%"), rows);
	sqlite3_stmt *ic;
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(s), "PRAGMA integrity_check", -1, &ic, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(ic), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(ic, 0), "ok");
	sqlite3_finalize(ic);
	store_close(s);

	/* killed while the thread checkpoints, a group open: the store is
	 * sound and holds every group committed before the kill */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *c;
		close(fds[0]);
		if (store_open(path, false, &c, NULL) < 0 || store_bulk(c, true) < 0)
			_exit(3);
		for (int i = 0;; i++) {
			store_group(c, true);
			for (int k = 0; k < 8; k++)
				add_big(c, sid, "killed", 8 * i + k);
			if (store_group(c, false) < 0)
				_exit(4);
			int done = 8 * (i + 1);
			if (write(fds[1], &done, sizeof done) != (ssize_t)sizeof done)
				_exit(5);
		}
	}
	close(fds[1]);
	ck_assert_int_eq(stat(path, &st), 0);
	before = st.st_size;
	int done = 0, got;
	/* until the thread has copied pages of the child's WAL */
	while (done < 512 && stat(path, &st) == 0 && st.st_size < before + STORE_BULK_WAL_BYTES / 4 &&
	       read(fds[0], &got, sizeof got) == (ssize_t)sizeof got)
		done = got;
	kill(pid, SIGKILL);
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
	while (read(fds[0], &got, sizeof got) == (ssize_t)sizeof got)
		done = got;
	close(fds[0]);
	ck_assert_int_ge(st.st_size, before + STORE_BULK_WAL_BYTES / 4);
	int left = committed_events(path, "%killed%");
	/* the child's last 8 rows may have committed (on their own, or
	 * before it could say so) or not */
	ck_assert_msg(left >= done && left <= done + 8, "%d stored, %d reported committed", left, done);
	char *err = NULL;
	ck_assert_msg(store_open(path, false, &s, &err) == 0, "%s", err);
	ck_assert_int_eq(tu_db_int(store_db(s), "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
	store_close(s);
	free(path);
}
END_TEST

/* Counts made in a transaction are written when it commits, added up;
 * those of a batch rolled back are not. */
START_TEST(counts_follow_their_transaction)
{
	char *path;
	struct store *s = open_tmp(&path);
	const char *q = "SELECT coalesce(sum(n), -1) FROM counts WHERE provider = 'codex' AND type = 'token_count'";
	ck_assert_int_eq(store_count(s, "codex", "token_count", 1), 0); /* no transaction: at once */
	ck_assert_int_eq(tu_db_int(store_db(s), q), 1);
	ck_assert_int_eq(store_begin(s), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(store_count(s, "codex", "token_count", 1), 0);
	ck_assert_int_eq(store_count(s, "codex", "turn_context", 2), 0);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(tu_db_int(store_db(s), q), 6);
	ck_assert_int_eq(tu_db_int(store_db(s), "SELECT n FROM counts WHERE type = 'turn_context'"), 2);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_count(s, "codex", "token_count", 7), 0);
	store_rollback(s);
	ck_assert_int_eq(tu_db_int(store_db(s), q), 6);
	/* in a group: per batch, and those made between batches at the end */
	ck_assert_int_eq(store_group(s, true), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_count(s, "codex", "token_count", 10), 0);
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_count(s, "codex", "token_count", 100), 0);
	store_rollback(s);
	ck_assert_int_eq(store_count(s, "katod", "inotify-overflow", 1), 0);
	ck_assert_int_eq(store_begin(s), 0); /* a batch undone after it does not undo it */
	store_rollback(s);
	ck_assert_int_eq(store_group(s, false), 0);
	ck_assert_int_eq(tu_db_int(store_db(s), q), 16);
	ck_assert_int_eq(tu_db_int(store_db(s), "SELECT n FROM counts WHERE provider = 'katod'"), 1);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(missing_or_newer_store_is_a_clear_error)
{
	struct store *s;
	char *err = NULL;
	ck_assert_int_eq(store_open("/nonexistent/kato.db", true, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no store"));
	free(err);
	char *path;
	s = open_tmp(&path);
	store_close(s);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	err = NULL;
	ck_assert_int_eq(store_open(path, false, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
	free(err);
	free(path);
}
END_TEST

static int fill_json(void *ud, struct buf *b)
{
	buf_add(b, ud, strlen(ud));
	return 0;
}

static int last_json(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json)
{
	(void)seq;
	(void)kind;
	(void)flags;
	free(*(char **)ud);
	*(char **)ud = xstrdup(json);
	return 0;
}

/* A big row written in slices through store_add_event_fill reads back as
 * the same bytes; a fill that writes other than the announced length
 * fails. */
START_TEST(big_rows_written_in_slices)
{
	char *path;
	struct store *s = open_tmp(&path);
	int64_t sid, seq;
	ck_assert_int_eq(store_session(s, "claude", "big", &sid), 0);
	struct buf j = BUF_INIT;
	buf_adds(&j, "{\"content\":\"");
	while (j.len < (5u << 20) / 2)
		buf_adds(&j, "abcdefghij\\n");
	buf_adds(&j, "\"}");
	struct fingerprint fp = fp_of("big-1"), fp2 = fp_of("big-2");
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_add_event_fill(s, sid, &fp, "message.user", NULL, 0, j.len, fill_json, j.p, &seq), 0);
	ck_assert_int_gt(seq, 0);
	ck_assert_int_eq(store_add_event_fill(s, sid, &fp, "message.user", NULL, 0, j.len, fill_json, j.p, &seq), 0);
	ck_assert_int_eq(seq, 0); /* a duplicate: not written again */
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_add_event_fill(s, sid, &fp2, "message.user", NULL, 0, j.len + 1, fill_json, j.p, &seq), -1);
	store_rollback(s);
	char *got = NULL;
	ck_assert_int_eq(store_each_event(s, sid, 0, last_json, &got), 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, j.p);
	free(got);
	buf_free(&j);
	store_close(s);
	free(path);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, events_are_stored_once);
	tcase_add_test(tc, big_rows_written_in_slices);
	tcase_add_test(tc, rollback_loses_the_batch_and_its_cursor_together);
	tcase_add_test(tc, session_times_follow_the_events_through_commits_and_rollbacks);
	tcase_add_test(tc, file_rows_round_trip);
	tcase_add_test(tc, sessions_resolve_by_id_and_prefix);
	tcase_add_test(tc, readers_see_a_running_writer);
	tcase_add_test(tc, missing_or_newer_store_is_a_clear_error);
	tcase_add_test(tc, page_size_of_new_and_old_stores);
	tcase_add_test(tc, kill_during_creation_leaves_a_usable_store);
	tcase_add_test(tc, group_commits);
	tcase_add_test(tc, bulk_checkpoints_on_a_thread);
	tcase_add_test(tc, counts_follow_their_transaction);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
