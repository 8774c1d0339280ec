/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include <poll.h>
#include <sys/wait.h>

#include "testutil.h"
#include "watch.h"

struct seen {
	char *paths[256];
	int what[256];
	int n;
	int overflow;
};

static void record(void *ud, enum watch_what what, const char *path, int tag)
{
	struct seen *s = ud;
	if (what == WATCH_OVERFLOW) {
		s->overflow++;
		return;
	}
	ck_assert_int_eq(tag, 7);
	if (s->n < 256) {
		s->what[s->n] = what;
		s->paths[s->n++] = xstrdup(path);
	}
}

static int has(struct seen *s, const char *suffix, enum watch_what what)
{
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		size_t a = strlen(s->paths[i]), b = strlen(suffix);
		if (s->what[i] == (int)what && a >= b && !strcmp(s->paths[i] + a - b, suffix))
			n++;
	}
	return n;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->paths[i]);
	s->n = 0;
}

/* Wait for and dispatch events for up to ms milliseconds. */
static void pump(struct watch *w, struct seen *s, int ms)
{
	struct pollfd p = {.fd = watch_fd(w), .events = POLLIN};
	while (poll(&p, 1, ms) > 0)
		ck_assert_int_eq(watch_read(w, record, s), 0);
}

static void mkdirs(const char *base, const char *rel)
{
	char *p = paths_join(base, rel);
	ck_assert_int_eq(paths_mkdir_p(p, 0755), 0);
	free(p);
}

static void touch(const char *base, const char *rel, const char *data)
{
	char *p = paths_join(base, rel);
	tu_write(p, data, strlen(data), O_APPEND);
	free(p);
}

START_TEST(existing_files_are_reported_by_the_first_scan)
{
	char *root = tu_tmpdir();
	mkdirs(root, "proj/sub");
	touch(root, "proj/a.jsonl", "x\n");
	touch(root, "proj/sub/b.jsonl", "y\n");
	struct watch *w;
	ck_assert_int_eq(watch_open(&w), 0);
	struct seen s = {0};
	ck_assert_int_eq(watch_add_tree(w, root, 7, record, &s), 0);
	ck_assert_int_eq(has(&s, "/proj/a.jsonl", WATCH_FILE), 1);
	ck_assert_int_eq(has(&s, "/proj/sub/b.jsonl", WATCH_FILE), 1);
	ck_assert_int_eq(watch_count(w), 3);
	/* adding the same tree again adds no watches */
	ck_assert_int_eq(watch_add_tree(w, root, 7, record, &s), 0);
	ck_assert_int_eq(watch_count(w), 3);
	watch_close(w);
	seen_free(&s);
	free(root);
}
END_TEST

START_TEST(appends_and_new_files_are_reported)
{
	char *root = tu_tmpdir();
	struct watch *w;
	watch_open(&w);
	struct seen s = {0};
	watch_add_tree(w, root, 7, record, &s);
	touch(root, "new.jsonl", "1\n");
	touch(root, "new.jsonl", "2\n");
	pump(w, &s, 100);
	ck_assert_int_ge(has(&s, "/new.jsonl", WATCH_FILE), 1);
	char *p = paths_join(root, "new.jsonl");
	unlink(p);
	pump(w, &s, 100);
	ck_assert_int_eq(has(&s, "/new.jsonl", WATCH_GONE), 1);
	free(p);
	watch_close(w);
	seen_free(&s);
	free(root);
}
END_TEST

START_TEST(deep_mkdir_then_file_is_not_missed)
{
	/* Codex's YYYY/MM/DD appears with the file inside before any watch
	 * exists on the new levels: the scan after adding the watch finds it */
	char *root = tu_tmpdir();
	struct watch *w;
	watch_open(&w);
	struct seen s = {0};
	watch_add_tree(w, root, 7, record, &s);
	for (int i = 0; i < 20; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "2026/11/%02d", i + 1);
		mkdirs(root, rel);
		snprintf(rel, sizeof rel, "2026/11/%02d/rollout-%d.jsonl", i + 1, i);
		touch(root, rel, "{}\n");
	}
	pump(w, &s, 200);
	for (int i = 0; i < 20; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "/rollout-%d.jsonl", i);
		ck_assert_msg(has(&s, rel, WATCH_FILE) >= 1, "missed %s", rel);
	}
	/* and later appends in the new directories are seen */
	seen_free(&s);
	touch(root, "2026/11/20/rollout-19.jsonl", "{}\n");
	pump(w, &s, 100);
	ck_assert_int_ge(has(&s, "/rollout-19.jsonl", WATCH_FILE), 1);
	watch_close(w);
	seen_free(&s);
	free(root);
}
END_TEST

START_TEST(rename_into_place_is_a_change)
{
	char *root = tu_tmpdir();
	mkdirs(root, "chats");
	struct watch *w;
	watch_open(&w);
	struct seen s = {0};
	watch_add_tree(w, root, 7, record, &s);
	touch(root, "chats/.tmp-1", "{}");
	char *a = paths_join(root, "chats/.tmp-1"), *b = paths_join(root, "chats/session-1.json");
	ck_assert_int_eq(rename(a, b), 0);
	pump(w, &s, 100);
	ck_assert_int_ge(has(&s, "/chats/session-1.json", WATCH_FILE), 1);
	free(a);
	free(b);
	watch_close(w);
	seen_free(&s);
	free(root);
}
END_TEST

START_TEST(missing_root_is_an_error_not_a_crash)
{
	struct watch *w;
	watch_open(&w);
	struct seen s = {0};
	ck_assert_int_eq(watch_add_tree(w, "/nonexistent/kato/root", 7, record, &s), -1);
	ck_assert_int_eq(errno, ENOENT);
	watch_close(w);
	seen_free(&s);
}
END_TEST

/* A root that does not exist yet is followed from its nearest existing
 * ancestor: created (several levels at once), it is watched and scanned at
 * once; deleted and created again, the same. */
START_TEST(missing_root_is_followed_when_created)
{
	char *base = tu_tmpdir();
	char *root = paths_join(base, "home/.claude/projects");
	struct watch *w;
	ck_assert_int_eq(watch_open(&w), 0);
	struct seen s = {0};
	ck_assert_int_eq(watch_add_tree(w, root, 7, record, &s), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(watch_awaited(w), 1);
	/* the same root again (katod's sweep) is awaited once */
	watch_add_tree(w, root, 7, record, &s);
	ck_assert_int_eq(watch_awaited(w), 1);
	pump(w, &s, 50);
	ck_assert_int_eq(s.n, 0);
	/* unrelated directories do not count */
	mkdirs(base, "home/.other");
	pump(w, &s, 50);
	ck_assert_int_eq(s.n, 0);

	mkdirs(base, "home/.claude/projects/-x");
	char *f = paths_join(root, "-x/s.jsonl");
	tu_write(f, "{}\n", 3, O_TRUNC);
	pump(w, &s, 200);
	ck_assert_int_eq(has(&s, "/home/.claude/projects", WATCH_ROOT), 1);
	ck_assert_int_ge(has(&s, "/-x/s.jsonl", WATCH_FILE), 1);
	ck_assert_int_eq(watch_awaited(w), 0);
	seen_free(&s);

	/* deleted: reported, then followed until it is created again */
	unlink(f);
	char *sub = paths_join(root, "-x");
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(root), 0);
	pump(w, &s, 200);
	ck_assert_int_eq(has(&s, "/home/.claude/projects", WATCH_ROOT_GONE), 1);
	ck_assert_int_eq(watch_awaited(w), 1);
	seen_free(&s);
	mkdirs(base, "home/.claude/projects/-y");
	char *g = paths_join(root, "-y/t.jsonl");
	tu_write(g, "{}\n", 3, O_TRUNC);
	pump(w, &s, 200);
	ck_assert_int_eq(has(&s, "/home/.claude/projects", WATCH_ROOT), 1);
	ck_assert_int_ge(has(&s, "/-y/t.jsonl", WATCH_FILE), 1);
	seen_free(&s);

	/* a component that is a file: followed until it is a directory */
	char *odd = paths_join(base, "file/sub");
	char *file = paths_join(base, "file");
	tu_write(file, "x", 1, O_TRUNC);
	ck_assert_int_eq(watch_add_tree(w, odd, 7, record, &s), -1);
	ck_assert_int_eq(watch_awaited(w), 1);
	unlink(file);
	mkdirs(base, "file/sub");
	pump(w, &s, 200);
	ck_assert_int_eq(has(&s, "/file/sub", WATCH_ROOT), 1);
	ck_assert_int_eq(watch_awaited(w), 0);
	seen_free(&s);
	watch_close(w);
	free(odd);
	free(file);
	free(g);
	free(sub);
	free(f);
	free(root);
	free(base);
}
END_TEST

/* rm -rf of a root's parents while katod looks for the nearest existing
 * ancestor: an ancestor removed between that look and its watch must not
 * leave the root unfollowed (it was, until the next 5-minute sweep). */
START_TEST(root_removed_with_its_parents_is_followed_again)
{
	char *base = tu_tmpdir();
	char *root = paths_join(base, "home/.claude/projects");
	char *top = paths_join(base, "home/.claude");
	struct watch *w;
	ck_assert_int_eq(watch_open(&w), 0);
	struct seen s = {0};
	mkdirs(base, "home/.claude/projects/a/b/c");
	ck_assert_int_eq(watch_add_tree(w, root, 7, record, &s), 0);
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char cmd[4200];
			snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
			_exit(system(cmd) == 0 ? 0 : 1);
		}
		pump(w, &s, 5);
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		pump(w, &s, 20);
		seen_free(&s);
		ck_assert_int_eq(watch_awaited(w), 1);
		mkdirs(base, "home/.claude/projects/a/b/c");
		for (int t = 0; t < 100 && !has(&s, "/home/.claude/projects", WATCH_ROOT); t++)
			pump(w, &s, 10);
		ck_assert_msg(has(&s, "/home/.claude/projects", WATCH_ROOT) == 1,
			      "round %d: the re-created root was not followed", i);
		seen_free(&s);
	}
	watch_close(w);
	free(top);
	free(root);
	free(base);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("inotify");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, existing_files_are_reported_by_the_first_scan);
	tcase_add_test(tc, appends_and_new_files_are_reported);
	tcase_add_test(tc, deep_mkdir_then_file_is_not_missed);
	tcase_add_test(tc, rename_into_place_is_a_change);
	tcase_add_test(tc, missing_root_is_an_error_not_a_crash);
	tcase_add_test(tc, missing_root_is_followed_when_created);
	tcase_add_test(tc, root_removed_with_its_parents_is_followed_again);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
