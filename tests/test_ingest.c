/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include <zstd.h>

#include "ingest.h"
#include "source.h"
#include "testutil.h"

struct fixture {
	char *dir;
	struct store *store;
	struct ingest in;
	struct plugin claude, codex, gemini;
};

static void setup(struct fixture *f)
{
	f->dir = tu_tmpdir();
	char *db = paths_join(f->dir, "kato.db");
	char *err = NULL;
	ck_assert_msg(store_open(db, false, &f->store, &err) == 0, "%s", err);
	free(db);
	memset(&f->in, 0, sizeof f->in);
	f->in.store = f->store;
	f->claude = tu_plugin("claude");
	f->codex = tu_plugin("codex");
	f->gemini = tu_plugin("gemini");
}

static void teardown(struct fixture *f)
{
	store_close(f->store);
	tu_plugin_free(&f->claude);
	tu_plugin_free(&f->codex);
	tu_plugin_free(&f->gemini);
	free(f->dir);
}

static int64_t total_events(struct fixture *f)
{
	int64_t s, e, n;
	ck_assert_int_eq(store_totals(f->store, &s, &e, &n), 0);
	return e;
}

/* The fixture's lines, and a file path in the test dir. */
static char *fixture_lines(size_t *n)
{
	char *src = tu_src("tests/data/kato-fixtures/claude-session.jsonl");
	char *data = tu_read(src, n);
	free(src);
	ck_assert_ptr_nonnull(data);
	return data;
}

START_TEST(appends_are_read_once_across_partial_lines)
{
	struct fixture f;
	setup(&f);
	size_t n;
	char *data = fixture_lines(&n);
	char *path = paths_join(f.dir, "sess-001.jsonl");
	/* write the file in chunks that cut lines anywhere, ingesting each time */
	size_t steps[] = {1, 100, 577, 1000, 1377, 2000, n};
	size_t done = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		size_t upto = steps[i] < n ? steps[i] : n;
		tu_write(path, data + done, upto - done, O_APPEND);
		done = upto;
		ck_assert_int_ge(ingest_file(&f.in, &f.claude, path, 0), 0);
	}
	ck_assert_int_eq(total_events(&f), 11); /* ref §1.2: 10 events, + the sidechain line kato keeps */
	ck_assert_int_eq(f.in.stats.events_dup, 0);
	ck_assert_int_eq(f.in.stats.bad, 0); /* half lines are never fed */
	/* nothing new: nothing read */
	int64_t bytes = f.in.stats.bytes;
	ck_assert_int_eq(ingest_file(&f.in, &f.claude, path, 0), INGEST_DONE);
	ck_assert_int_eq(f.in.stats.bytes, bytes);
	free(path);
	free(data);
	teardown(&f);
}
END_TEST

START_TEST(truncation_and_rewrite_are_reread_without_duplicates)
{
	struct fixture f;
	setup(&f);
	size_t n;
	char *data = fixture_lines(&n);
	char *path = paths_join(f.dir, "sess-001.jsonl");
	tu_write(path, data, n, O_TRUNC);
	ingest_file(&f.in, &f.claude, path, 0);
	ck_assert_int_eq(total_events(&f), 11);
	/* truncate to the first 3 lines, then regrow: a reset, no duplicates */
	const char *third = data;
	for (int k = 0; k < 3; k++)
		third = strchr(third, '\n') + 1;
	tu_write(path, data, (size_t)(third - data), O_TRUNC);
	ingest_file(&f.in, &f.claude, path, 0);
	tu_write(path, third, n - (size_t)(third - data), O_APPEND);
	ingest_file(&f.in, &f.claude, path, 0);
	ck_assert_int_eq(f.in.stats.resets, 1);
	ck_assert_int_eq(total_events(&f), 11);
	/* in-place rewrite of an early line to the same length: re-read */
	char *copy = xstrdup(data);
	char *hit = strstr(copy, "authentication");
	ck_assert_ptr_nonnull(hit);
	memcpy(hit, "AUTHENTICATION", 14);
	tu_write(path, copy, n, O_TRUNC);
	ingest_file(&f.in, &f.claude, path, 0);
	ck_assert_int_eq(f.in.stats.resets, 2);
	ck_assert_int_gt(total_events(&f), 11); /* the changed text is new */
	free(copy);
	free(path);
	free(data);
	teardown(&f);
}
END_TEST

START_TEST(a_last_line_without_newline_is_read_when_quiet)
{
	struct fixture f;
	setup(&f);
	size_t n;
	char *data = fixture_lines(&n);
	char *path = paths_join(f.dir, "sess-001.jsonl");
	ck_assert_int_eq(data[n - 1], '\n');
	tu_write(path, data, n - 1, O_TRUNC); /* drop the final newline */
	ck_assert_int_eq(ingest_file(&f.in, &f.claude, path, 0), INGEST_WAITING);
	ck_assert_int_eq(total_events(&f), 10);
	ck_assert_int_eq(ingest_file(&f.in, &f.claude, path, INGEST_TAIL), INGEST_DONE);
	ck_assert_int_eq(total_events(&f), 11);
	/* the newline arrives later: nothing changes */
	tu_write(path, "\n", 1, O_APPEND);
	ingest_file(&f.in, &f.claude, path, 0);
	ck_assert_int_eq(total_events(&f), 11);
	ck_assert_int_eq(f.in.stats.resets, 0);
	/* a half-written tail is not consumed even when quiet */
	tu_write(path, "{\"type\":\"user\",\"mess", 20, O_APPEND);
	ck_assert_int_eq(ingest_file(&f.in, &f.claude, path, INGEST_TAIL), INGEST_WAITING);
	ck_assert_int_eq(f.in.stats.bad, 0);
	free(path);
	free(data);
	teardown(&f);
}
END_TEST

START_TEST(zst_round_trip_adds_nothing)
{
	/* Codex compresses an archived rollout to .jsonl.zst and turns it back
	 * into a plain file when the session resumes (c-practice §2.6). */
	struct fixture f;
	setup(&f);
	char *src = tu_src("tests/data/kato-fixtures/codex-session-vscode-new.jsonl");
	size_t n;
	char *data = tu_read(src, &n);
	char *plain = paths_join(f.dir, "rollout-2026-02-22T10-00-00-sess-vscode-001.jsonl");
	tu_write(plain, data, n, O_TRUNC);
	ingest_file(&f.in, &f.codex, plain, 0);
	int64_t all = total_events(&f);
	ck_assert_int_gt(all, 5);
	size_t cap = ZSTD_compressBound(n);
	char *z = xmalloc(cap);
	size_t zn = ZSTD_compress(z, cap, data, n, 3);
	char *zpath = paths_join(f.dir, "rollout-2026-02-22T10-00-00-sess-vscode-001.jsonl.zst");
	tu_write(zpath, z, zn, O_TRUNC);
	unlink(plain);
	ck_assert_int_eq(ingest_file(&f.in, &f.codex, plain, 0), INGEST_GONE);
	ck_assert_int_eq(ingest_file(&f.in, &f.codex, zpath, 0), INGEST_DONE);
	ck_assert_int_eq(total_events(&f), all);
	/* materialised again, and it grows: only the new line is added */
	unlink(zpath);
	tu_write(plain, data, n, O_TRUNC);
	ingest_file(&f.in, &f.codex, plain, 0);
	ck_assert_int_eq(total_events(&f), all);
	const char *more = "{\"timestamp\":\"2026-02-22T10:09:00.000Z\",\"type\":\"event_msg\","
			   "\"payload\":{\"type\":\"user_message\",\"message\":\"one more\"}}\n";
	tu_write(plain, more, strlen(more), O_APPEND);
	ingest_file(&f.in, &f.codex, plain, 0);
	ck_assert_int_eq(total_events(&f), all + 1);
	int64_t sessions, events, files;
	store_totals(f.store, &sessions, &events, &files);
	ck_assert_int_eq(sessions, 1); /* the session id comes from session_meta */
	free(z);
	free(zpath);
	free(plain);
	free(data);
	free(src);
	teardown(&f);
}
END_TEST

START_TEST(half_written_document_is_retried)
{
	struct fixture f;
	setup(&f);
	char *src = tu_src("tests/data/kato-fixtures/gemini-session.json");
	size_t n;
	char *doc = tu_read(src, &n);
	char *dir = paths_join(f.dir, "tmp/abc/chats");
	paths_mkdir_p(dir, 0755);
	char *path = paths_join(dir, "session-2026-01-01T00-00-abcd1234.json");
	tu_write(path, doc, n / 2, O_TRUNC);
	ck_assert_int_eq(ingest_file(&f.in, &f.gemini, path, 0), INGEST_WAITING);
	ck_assert_int_eq(total_events(&f), 0);
	tu_write(path, doc, n, O_TRUNC);
	ck_assert_int_eq(ingest_file(&f.in, &f.gemini, path, INGEST_FLUSH), INGEST_DONE);
	int64_t all = total_events(&f);
	ck_assert_int_gt(all, 0);
	/* the same document written again (a rewrite): nothing new */
	tu_write(path, doc, n, O_TRUNC);
	ingest_file(&f.in, &f.gemini, path, INGEST_FLUSH);
	ck_assert_int_eq(total_events(&f), all);
	free(path);
	free(dir);
	free(doc);
	free(src);
	teardown(&f);
}
END_TEST

/* A feed mode given by the caller wins over the one the name implies: a
 * Gemini document named .jsonl is parsed whole, not line by line. */
START_TEST(the_caller_chooses_the_feed_mode)
{
	struct fixture f;
	setup(&f);
	char *src = tu_src("tests/data/kato-fixtures/gemini-session.json");
	size_t n;
	char *doc = tu_read(src, &n);
	char *path = paths_join(f.dir, "backup.jsonl");
	tu_write(path, doc, n, O_TRUNC);
	ck_assert_int_eq(ingest_file_feed(&f.in, &f.gemini, path, KATO_FEED_DOCUMENT, INGEST_FLUSH), INGEST_DONE);
	ck_assert_int_gt(total_events(&f), 0);
	ck_assert_int_eq(f.in.stats.bad, 0);
	free(path);
	free(doc);
	free(src);
	teardown(&f);
}
END_TEST

START_TEST(bad_lines_are_counted_and_skipped)
{
	struct fixture f;
	setup(&f);
	size_t n;
	char *data = fixture_lines(&n);
	char *path = paths_join(f.dir, "sess-001.jsonl");
	tu_write(path, "not json at all\n\xff\xfe\n", 19, O_TRUNC);
	tu_write(path, data, n, O_APPEND);
	ck_assert_int_eq(ingest_file(&f.in, &f.claude, path, 0), INGEST_DONE);
	ck_assert_int_eq(total_events(&f), 11);
	ck_assert_int_eq(f.in.stats.bad, 2);
	free(path);
	free(data);
	teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, appends_are_read_once_across_partial_lines);
	tcase_add_test(tc, the_caller_chooses_the_feed_mode);
	tcase_add_test(tc, truncation_and_rewrite_are_reread_without_duplicates);
	tcase_add_test(tc, a_last_line_without_newline_is_read_when_quiet);
	tcase_add_test(tc, zst_round_trip_adds_nothing);
	tcase_add_test(tc, half_written_document_is_retried);
	tcase_add_test(tc, bad_lines_are_counted_and_skipped);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
