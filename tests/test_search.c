/* SPDX-License-Identifier: Apache-2.0 */
/* The search index (schema 3): what it holds, its migration, that it
 * stays in step with the events through rollbacks and kill -9, query
 * errors, filters and snippets; and the store's identity checks (a file
 * that is not a kato store). */
#include "autoconfig.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "search.h"
#include "store.h"
#include "testutil.h"

static char *tmp_db(void)
{
	char *dir = tu_tmpdir();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/state/kato.db", dir);
	free(dir);
	return buf_take(&b);
}

static struct store *open_rw(const char *path)
{
	struct store *s;
	char *err = NULL;
	ck_assert_msg(store_open(path, false, &s, &err) == 0, "%s", err);
	return s;
}

static int64_t add(struct store *s, int64_t sid, const char *kind, uint32_t flags, const char *ts,
		   const char *content)
{
	struct buf j = BUF_INIT;
	buf_printf(&j, "{\"kind\":\"%s\",\"timestamp\":\"%s\",\"content\":", kind, ts);
	json_add_str(&j, content);
	buf_addc(&j, '}');
	struct fingerprint fp;
	fingerprint_bytes(j.p, j.len, &fp);
	int64_t seq = 0;
	ck_assert_int_eq(store_add_event(s, sid, &fp, kind, ts, flags, j.p, &seq), 0);
	buf_free(&j);
	return seq;
}

struct hits {
	int n;
	char snippet[512];
	char kind[32];
	int64_t seq[16];
};

static int on_hit(void *ud, const struct search_hit *h)
{
	struct hits *r = ud;
	if (r->n == 0) {
		snprintf(r->snippet, sizeof r->snippet, "%s", h->snippet);
		snprintf(r->kind, sizeof r->kind, "%s", h->kind);
	}
	if (r->n < 16)
		r->seq[r->n] = h->seq;
	r->n++;
	return 0;
}

/* Number of hits for match (with optional filters); -2 for a bad query. */
static int count(struct store *s, const char *match, const char *provider, const char *since, int64_t session,
		 struct hits *out)
{
	struct hits r;
	memset(&r, 0, sizeof r);
	struct search_query q = {.match = match, .provider = provider, .since = since, .session = session, .limit = 50};
	char *err = NULL;
	int rc = search_run(s, &q, on_hit, &r, &err);
	if (rc == -2) {
		ck_assert_ptr_nonnull(err);
		free(err);
		return -2;
	}
	ck_assert_msg(rc == 0, "search failed: %s", err ? err : "?");
	if (out)
		*out = r;
	return r.n;
}

/* The index against the events: 0 when in step. FTS5's integrity check
 * (SQLite 3.40) checks the index itself but not that it holds what the
 * content view gives, so every word, at its place, is also compared with
 * those of an index built anew from the view (in temp: the store is left
 * as it is). */
static int integrity(const char *path)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, "INSERT INTO events_fts(events_fts) VALUES('integrity-check')", NULL, NULL, NULL);
	char *msg = NULL;
	ck_assert_msg(sqlite3_exec(db,
				   "CREATE TEMP VIEW events_text AS SELECT * FROM main.events_text;"
				   "CREATE VIRTUAL TABLE temp.fresh USING fts5(text, content='events_text',"
				   " content_rowid='seq', tokenize='unicode61 remove_diacritics 2');"
				   "INSERT INTO temp.fresh(fresh) VALUES('rebuild');"
				   "CREATE VIRTUAL TABLE temp.kept_words USING fts5vocab(main, events_fts, instance);"
				   "CREATE VIRTUAL TABLE temp.fresh_words USING fts5vocab(temp, fresh, instance);",
				   NULL, NULL, &msg) == SQLITE_OK,
		      "%s", msg);
	int fresh = tu_db_int(db, "SELECT count(*) FROM temp.fresh_words");
	if (tu_db_int(db, "SELECT count(*) FROM temp.kept_words") != fresh ||
	    tu_db_int(db, "SELECT count(*) FROM (SELECT * FROM temp.kept_words EXCEPT SELECT * FROM temp.fresh_words)"))
		rc = SQLITE_CORRUPT;
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void sql(const char *path, const char *q)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	ck_assert_msg(sqlite3_exec(db, q, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", q, msg);
	sqlite3_close(db);
}

static int sql_int(const char *path, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A small conversation: what is indexed and what is not. */
static void fill(struct store *s, int64_t *sid_a, int64_t *sid_b)
{
	ck_assert_int_eq(store_session(s, "claude", "sess-a", sid_a), 0);
	ck_assert_int_eq(store_session(s, "codex", "sess-b", sid_b), 0);
	ck_assert_int_eq(store_begin(s), 0);
	add(s, *sid_a, "message.user", KATO_EVENT_HUMAN, "2026-01-01T10:00:00.000Z", "Why does the zebra crash?");
	add(s, *sid_a, "message.assistant", 0, "2026-01-01T10:00:05.000Z",
	    "The zebra parser crashes because the buffer is freed twice. Fixed in parse.c");
	add(s, *sid_a, "message.user", KATO_EVENT_INJECTED, "2026-01-01T10:00:06.000Z", "injected giraffe context");
	add(s, *sid_a, "thinking", 0, "2026-01-01T10:00:07.000Z", "thinking about an okapi");
	add(s, *sid_a, "tool.result", 0, "2026-01-01T10:00:08.000Z", "tool output with a gazelle");
	add(s, *sid_b, "message.user", KATO_EVENT_HUMAN, "2026-03-01T09:00:00.000Z",
	    "Crème brûlée with a Zebra and naïve café");
	ck_assert_int_eq(store_commit(s), 0);
}

START_TEST(fresh_store_indexes_what_was_said)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	ck_assert_int_eq(store_schema(s), 3);
	int64_t a, b;
	fill(s, &a, &b);
	struct hits h;
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, &h), 3);
	ck_assert_int_eq(count(s, "giraffe", NULL, NULL, 0, NULL), 0); /* injected context */
	ck_assert_int_eq(count(s, "okapi", NULL, NULL, 0, NULL), 0);   /* thinking */
	ck_assert_int_eq(count(s, "gazelle", NULL, NULL, 0, NULL), 0); /* tool output */
	/* diacritics and case fold; phrases, prefixes, OR, NOT */
	ck_assert_int_eq(count(s, "creme brulee naive cafe", NULL, NULL, 0, NULL), 1);
	ck_assert_int_eq(count(s, "\"buffer is freed\"", NULL, NULL, 0, NULL), 1);
	ck_assert_int_eq(count(s, "cras*", NULL, NULL, 0, NULL), 2);
	ck_assert_int_eq(count(s, "zebra NOT crash*", NULL, NULL, 0, NULL), 1);
	ck_assert_int_eq(count(s, "okapi OR buffer", NULL, NULL, 0, NULL), 1);
	/* words with punctuation, quoted: "parse.c" is the phrase parse c */
	ck_assert_int_eq(count(s, "\"parse.c\"", NULL, NULL, 0, NULL), 1);
	ck_assert_int_eq(sql_int(path, "PRAGMA application_id"), (int)STORE_APPLICATION_ID);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	free(path);
}
END_TEST

/* The store reads an event's text for the index itself when the JSON is
 * as event_to_json writes it (json_canonical_len), and asks SQLite for
 * anything else: either way the index holds exactly what the content
 * view gives (the FTS5 integrity check compares them), for every escape,
 * a NUL, bad UTF-8, JSON written otherwise, and contents that are not
 * text. */
START_TEST(index_text_is_what_sqlite_reads)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t sid;
	ck_assert_int_eq(store_session(s, "claude", "sess-t", &sid), 0);
	struct buf j = BUF_INIT;
	static const char tricky[] = "tab\there \"quoted\" back\\slash \x01 ctl\nnl \r\f\b walrus "
				     "\xf0\x9f\x98\x80 \xc3\xbc bad \xff\xfe utf8 \x1f end";
	static const char *const raw[] = {
		"{\"content\":\"caf\\u00e9 \\/ slash okapi\"}",                 /* not json_add_strn's */
		"{\"content\":{\"nested\":\"heron\"}}",                          /* not text */
		"{\"a\":{\"content\":\"inner ibis\"},\"content\":\"outer lemur\"}", /* the top-level one */
		"{\"x\":[1,{\"content\":\"no\"},[\"]\"]],\"n\":-1.5e3,\"t\":true,\"content\":\"yes marmot\"}",
		"{\"content\":1}",
		"{\"content\":\"dup one\",\"content\":\"dup two\"}",              /* json-c keeps one */
		"{\"content\":\"\"}",
		"{}",
		"{\"content\": \"spaced tapir\"}",
		"not json at all",
	};
	ck_assert_int_eq(store_begin(s), 0);
	int64_t seq;
	for (int pass = 0; pass < 2; pass++) {
		buf_reset(&j);
		buf_adds(&j, "{\"eventId\":\"e\",\"source\":{\"content\":\"src\"},\"content\":");
		json_add_strn(&j, tricky, sizeof tricky - 1 - (size_t)pass);
		buf_adds(&j, ",\"model\":\"m\"}");
		ck_assert_int_ge(json_canonical_len(j.p, '{'), 0); /* the store's own reading */
		struct fingerprint fp;
		fingerprint_bytes(j.p, j.len, &fp);
		ck_assert_int_eq(store_add_event(s, sid, &fp, pass ? "message.assistant" : "message.user", NULL,
						 0, j.p, &seq), 0);
		ck_assert_int_gt(seq, 0);
	}
	buf_reset(&j);
	buf_adds(&j, "{\"content\":");
	json_add_strn(&j, "a\0b nul zebu", 12); /* \u0000: left to SQLite */
	buf_addc(&j, '}');
	struct fingerprint fp;
	fingerprint_bytes(j.p, j.len, &fp);
	ck_assert_int_eq(store_add_event(s, sid, &fp, "message.user", NULL, 0, j.p, &seq), 0);
	for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		fingerprint_bytes(raw[i], strlen(raw[i]), &fp);
		ck_assert_int_eq(store_add_event(s, sid, &fp, "message.user", NULL, 0, raw[i], &seq), 0);
	}
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	s = open_rw(path);
	struct hits h;
	ck_assert_int_eq(count(s, "walrus", NULL, NULL, 0, &h), 2);
	ck_assert_int_eq(count(s, "okapi", NULL, NULL, 0, &h), 1);
	ck_assert_int_eq(count(s, "lemur", NULL, NULL, 0, &h), 1);
	ck_assert_int_eq(count(s, "ibis", NULL, NULL, 0, &h), 0);
	ck_assert_int_eq(count(s, "heron", NULL, NULL, 0, &h), 0);
	ck_assert_int_eq(count(s, "marmot", NULL, NULL, 0, &h), 1);
	ck_assert_int_eq(count(s, "tapir", NULL, NULL, 0, &h), 1);
	ck_assert_int_eq(count(s, "src", NULL, NULL, 0, &h), 0);
	store_close(s);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events_fts WHERE events_fts MATCH 'walrus OR okapi "
				       "OR lemur OR marmot OR tapir OR dup'"),
			 7);
	buf_free(&j);
	free(path);
}
END_TEST

START_TEST(filters_and_snippet)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t a, b;
	fill(s, &a, &b);
	ck_assert_int_eq(count(s, "zebra", "codex", NULL, 0, NULL), 1);
	ck_assert_int_eq(count(s, "zebra", "claude", NULL, 0, NULL), 2);
	ck_assert_int_eq(count(s, "zebra", "gemini", NULL, 0, NULL), 0);
	ck_assert_int_eq(count(s, "zebra", NULL, "2026-02-01T00:00:00.000Z", 0, NULL), 1);
	ck_assert_int_eq(count(s, "zebra", NULL, "2026-01-01T10:00:01.000Z", 0, NULL), 2);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, a, NULL), 2);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, b, NULL), 1);
	struct hits h;
	ck_assert_int_eq(count(s, "freed", NULL, NULL, 0, &h), 1);
	ck_assert_str_eq(h.kind, "message.assistant");
	ck_assert_msg(strstr(h.snippet, "\001freed\002") != NULL, "snippet: %s", h.snippet);
	ck_assert_int_eq(count(s, "brulee", NULL, NULL, 0, &h), 1);
	ck_assert_msg(strstr(h.snippet, "\001brûlée\002") != NULL, "snippet keeps the text: %s", h.snippet);
	/* a limit */
	struct search_query q = {.match = "zebra", .limit = 1};
	struct hits r = {0};
	ck_assert_int_eq(search_run(s, &q, on_hit, &r, NULL), 0);
	ck_assert_int_eq(r.n, 1);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(bad_queries_are_errors_not_traces)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t a, b;
	fill(s, &a, &b);
	static const char *const bad[] = {"zebra AND", "\"unterminated", "NEAR(", "nocolumn:zebra", "*", "(zebra",
					  "zebra)", "AND", "-zebra"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct search_query q = {.match = bad[i], .limit = 5};
		char *err = NULL;
		struct hits r = {0};
		int rc = search_run(s, &q, on_hit, &r, &err);
		ck_assert_msg(rc == -2, "%s: rc %d", bad[i], rc);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(!strchr(err, '\n') && strncmp(err, "fts5:", 5), "%s: one clean line: %s", bad[i], err);
		free(err);
	}
	/* the store is fine afterwards */
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, NULL), 3);
	store_close(s);
	free(path);
}
END_TEST

/* A schema-2 store, as kato before the index left it, is indexed when a
 * writer opens it; opening it again, or migrating again, changes
 * nothing. Readers of a schema-2 store still list it; search says what
 * to do. */
START_TEST(schema_2_store_is_indexed_by_the_migration)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t a, b;
	fill(s, &a, &b);
	store_close(s);
	/* back to what schema 2 was: no index, no view, no trigger, no id */
	sql(path, "DROP TRIGGER events_fts_delete; DROP TABLE events_fts; DROP VIEW events_text;"
		  "PRAGMA application_id=0; PRAGMA user_version=2;");
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'events_fts%'"), 0);
	/* a reader: sessions yes, search no (with the fix) */
	struct store *r;
	char *err = NULL;
	ck_assert_int_eq(store_open(path, true, &r, &err), 0);
	ck_assert_int_eq(store_schema(r), 2);
	struct search_query q = {.match = "zebra", .limit = 5};
	ck_assert_int_eq(search_run(r, &q, on_hit, &(struct hits){0}, &err), -1);
	ck_assert_msg(strstr(err, "no search index") && strstr(err, "katod"), "%s", err);
	free(err);
	store_close(r);
	/* a writer migrates and indexes what is there */
	s = open_rw(path);
	ck_assert_int_eq(store_schema(s), 3);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, NULL), 3);
	ck_assert_int_eq(count(s, "giraffe", NULL, NULL, 0, NULL), 0);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	/* migrate again over an index that exists: harmless */
	sql(path, "PRAGMA user_version=2");
	s = open_rw(path);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, NULL), 3);
	/* and new events are indexed as before */
	ck_assert_int_eq(store_begin(s), 0);
	add(s, a, "message.user", KATO_EVENT_HUMAN, "2026-04-01T00:00:00.000Z", "one more zebra");
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, NULL), 4);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	/* a deleted event leaves the index too (the trigger) */
	sql(path, "DELETE FROM events WHERE json LIKE '%one more zebra%'");
	ck_assert_int_eq(integrity(path), 0);
	s = open_rw(path);
	ck_assert_int_eq(count(s, "zebra", NULL, NULL, 0, NULL), 3);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(rollback_and_kill_keep_the_index_in_step)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t a, b;
	fill(s, &a, &b);
	ck_assert_int_eq(store_begin(s), 0);
	add(s, a, "message.user", KATO_EVENT_HUMAN, "2026-05-01T00:00:00.000Z", "a quagga appears");
	store_rollback(s);
	ck_assert_int_eq(count(s, "quagga", NULL, NULL, 0, NULL), 0);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	/* kill -9 in the middle of a batch, after one committed */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *c;
		if (store_open(path, false, &c, NULL) < 0)
			_exit(3);
		free(path); /* valgrind checks the child too, at its SIGKILL */
		store_begin(c);
		add(c, a, "message.user", KATO_EVENT_HUMAN, "2026-05-02T00:00:00.000Z", "committed tapir");
		store_commit(c);
		store_begin(c);
		for (int i = 0; i < 200; i++) {
			char text[64];
			snprintf(text, sizeof text, "lost tapir number %d", i);
			add(c, a, "message.assistant", 0, "2026-05-02T00:00:01.000Z", text);
		}
		raise(SIGKILL);
		_exit(4);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	s = open_rw(path);
	ck_assert_int_eq(count(s, "tapir", NULL, NULL, 0, NULL), 1);
	ck_assert_int_eq(count(s, "lost", NULL, NULL, 0, NULL), 0);
	store_close(s);
	ck_assert_int_eq(integrity(path), 0);
	free(path);
}
END_TEST

/* ---------------------------------------------------------------- identity */

static void expect_not_a_store(const char *path, bool readonly)
{
	struct store *s = NULL;
	char *err = NULL;
	ck_assert_int_eq(store_open(path, readonly, &s, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(!strncmp(err, "not a kato store: ", 18) && strstr(err, path) &&
			      strstr(err, "; move it aside and re-import") && !strchr(err, '\n') &&
			      !strstr(err, "schema upgrade"),
		      "%s: %s", readonly ? "reader" : "writer", err);
	free(err);
}

static void write_file(const char *path, const void *p, size_t n)
{
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0700);
	free(dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

START_TEST(random_bytes_are_not_a_store)
{
	char *path = tmp_db();
	char junk[8192];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7919 % 251);
	write_file(path, junk, sizeof junk);
	expect_not_a_store(path, true);
	expect_not_a_store(path, false);
	/* left as it was */
	size_t n;
	char *after = tu_read(path, &n);
	ck_assert_uint_eq(n, sizeof junk);
	ck_assert_int_eq(memcmp(after, junk, n), 0);
	free(after);
	free(path);
}
END_TEST

START_TEST(another_apps_database_is_not_a_store)
{
	char *path = tmp_db();
	write_file(path, "", 0);
	sql(path, "CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places(url) VALUES('x')");
	expect_not_a_store(path, true);
	expect_not_a_store(path, false);
	/* the writer left it alone: no kato tables, not switched to WAL */
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"), 0);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 0);
	/* one with a version of its own, and one with its own application id */
	sql(path, "PRAGMA user_version=2");
	expect_not_a_store(path, false);
	sql(path, "PRAGMA user_version=0; PRAGMA application_id=1095909956");
	expect_not_a_store(path, true);
	free(path);
}
END_TEST

START_TEST(truncated_store_is_not_a_store)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	int64_t a, b;
	fill(s, &a, &b);
	store_close(s); /* checkpoints the WAL into the file */
	sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
	size_t n;
	char *whole = tu_read(path, &n);
	/* the page size, from the header (a big-endian 16-bit field at 16) */
	size_t page = (size_t)(unsigned char)whole[16] << 8 | (unsigned char)whole[17];
	ck_assert_uint_gt(n, 2 * page);
	const size_t cut[] = {50, 100, page, n - page};
	for (size_t i = 0; i < 4; i++) {
		size_t k = cut[i];
		write_file(path, whole, k);
		char wal[4096];
		snprintf(wal, sizeof wal, "%s-wal", path);
		unlink(wal);
		expect_not_a_store(path, true);
		expect_not_a_store(path, false);
	}
	free(whole);
	free(path);
}
END_TEST

START_TEST(newer_store_says_so)
{
	char *path = tmp_db();
	struct store *s = open_rw(path);
	store_close(s);
	sql(path, "PRAGMA user_version=99");
	for (int ro = 0; ro < 2; ro++) {
		char *err = NULL;
		ck_assert_int_eq(store_open(path, ro, &s, &err), -1);
		ck_assert_msg(strstr(err, "newer than this kato") && strstr(err, "upgrade kato") &&
				      !strstr(err, "not a kato store"),
			      "%s", err);
		free(err);
	}
	free(path);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("search");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fresh_store_indexes_what_was_said);
	tcase_add_test(tc, index_text_is_what_sqlite_reads);
	tcase_add_test(tc, filters_and_snippet);
	tcase_add_test(tc, bad_queries_are_errors_not_traces);
	tcase_add_test(tc, schema_2_store_is_indexed_by_the_migration);
	tcase_add_test(tc, rollback_and_kill_keep_the_index_in_step);
	tcase_add_test(tc, random_bytes_are_not_a_store);
	tcase_add_test(tc, another_apps_database_is_not_a_store);
	tcase_add_test(tc, truncated_store_is_not_a_store);
	tcase_add_test(tc, newer_store_says_so);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
