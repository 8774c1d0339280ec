/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"

#include <limits.h>

#include "pathpolicy.h"

/* A fresh temp dir, canonical (so expected paths need no realpath). */
static char *tmp_real(void)
{
	char *t = tu_tmpdir();
	char *r = realpath(t, NULL);
	ck_assert_ptr_nonnull(r);
	free(t);
	return r;
}

/* dir/rel (malloc'd). */
static char *path_in(const char *dir, const char *rel)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, rel);
	return buf_take(&b);
}

static void mkdir_in(const char *dir, const char *rel)
{
	char *p = path_in(dir, rel);
	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void symlink_in(const char *dir, const char *target, const char *rel)
{
	char *p = path_in(dir, rel);
	ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
	free(p);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* A policy with one configured root dir/<root> and the default recordings
 * dir dir/rec (which need not exist). */
static struct pathpolicy policy(const char *dir, const char *root)
{
	struct pathpolicy pp;
	char *r = path_in(dir, root), *def = path_in(dir, "rec");
	char *roots[] = {r};
	ck_assert_int_eq(pathpolicy_init(&pp, roots, 1, "/nonexistent-base", def), 0);
	free(r);
	free(def);
	return pp;
}

/* check must allow path with this canonical result. */
static void assert_allowed(const struct pathpolicy *pp, const char *path, const char *want)
{
	char *canon = NULL, *why = NULL;
	int rc = pathpolicy_check(pp, path, &canon, &why);
	ck_assert_msg(rc == 0, "%s denied: %s", path, why ? why : "?");
	ck_assert_ptr_null(why);
	ck_assert_str_eq(canon, want);
	free(canon);
}

/* check must deny path with this reason. */
static void assert_denied(const struct pathpolicy *pp, const char *path, const char *want_why)
{
	char *canon = NULL, *why = NULL;
	int rc = pathpolicy_check(pp, path, &canon, &why);
	ck_assert_msg(rc == -1, "%s allowed as %s", path, canon ? canon : "?");
	ck_assert_ptr_null(canon);
	ck_assert_str_eq(why, want_why);
	free(why);
}

/* "outside allowedWriteRoots (dir/<root>, dir/rec)" */
static char *outside(const char *dir, const char *root)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "outside allowedWriteRoots (%s/%s, %s/rec)", dir, root, dir);
	return buf_take(&b);
}

START_TEST(lexical_normalisation)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"/", "/"},       {"//", "/"},          {"/a/b", "/a/b"},     {"/a//b/", "/a/b"},
		{"/a/./b/.", "/a/b"}, {"/a/b/..", "/a"}, {"/..", "/"},         {"/a/../../b", "/b"},
		{"/a/..b/c", "/a/..b/c"}, {"/a/.../c", "/a/.../c"}, {"a/b", "/a/b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *s = pathpolicy_lexical(cases[i].in);
		ck_assert_msg(!strcmp(s, cases[i].out), "%s -> %s, want %s", cases[i].in, s, cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(inside_allowed_outside_denied)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "other");
	struct pathpolicy pp = policy(d, "notes");
	ck_assert_uint_eq(pp.n, 2);
	char *in = path_in(d, "notes/x.md"), *out = path_in(d, "other/x.md"), *why = outside(d, "notes");
	assert_allowed(&pp, in, in);
	assert_denied(&pp, out, why);
	assert_denied(&pp, "/etc/passwd", why);
	char *sub = path_in(d, "notes//./y.md"), *subw = path_in(d, "notes/y.md");
	assert_allowed(&pp, sub, subw);
	free(sub);
	free(subw);
	free(in);
	free(out);
	free(why);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(prefix_is_component_wise)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "notes2");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes2/x.md"), *why = outside(d, "notes");
	assert_denied(&pp, p, why);
	free(p);
	p = path_in(d, "notesx.md");
	assert_denied(&pp, p, why);
	free(p);
	free(why);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(dotdot_escape_denied)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/../outside.md"), *why = outside(d, "notes");
	assert_denied(&pp, p, why);
	free(p);
	p = path_in(d, "notes/sub/../../notes/../x.md");
	assert_denied(&pp, p, why);
	free(p);
	/* ".." that stays inside is fine */
	char *want = path_in(d, "notes/x.md");
	p = path_in(d, "notes/sub/../x.md");
	assert_allowed(&pp, p, want);
	free(p);
	free(want);
	/* "..x" is an ordinary name (the reference's ".." prefix quirk is not copied) */
	want = path_in(d, "notes/..x.md");
	assert_allowed(&pp, want, want);
	free(want);
	free(why);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(symlinked_parent_outside_denied)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "outside");
	char *target = path_in(d, "outside");
	symlink_in(d, target, "notes/link");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/link/x.md"), *why = outside(d, "notes");
	assert_denied(&pp, p, why);
	/* deeper missing parts below the link are resolved through it too */
	free(p);
	p = path_in(d, "notes/link/a/b/x.md");
	assert_denied(&pp, p, why);
	/* and open refuses the link as a directory component */
	char *w = NULL;
	ck_assert_int_eq(pathpolicy_open(&pp, p, 0, &w), -1);
	ck_assert_ptr_nonnull(w);
	free(w);
	char *made = path_in(d, "outside/a");
	ck_assert(!exists(made));
	free(made);
	free(p);
	free(why);
	free(target);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(symlinked_parent_inside_allowed)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "notes/real");
	symlink_in(d, "real", "notes/link"); /* relative link target */
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/link/x.md"), *want = path_in(d, "notes/real/x.md");
	assert_allowed(&pp, p, want);
	char *w = NULL;
	int fd = pathpolicy_open(&pp, want, O_TRUNC, &w);
	ck_assert_msg(fd >= 0, "open: %s", w ? w : "?");
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	close(fd);
	size_t n;
	char *got = tu_read(want, &n);
	ck_assert_str_eq(got, "hi");
	free(got);
	free(p);
	free(want);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(root_given_through_symlink)
{
	char *d = tmp_real();
	mkdir_in(d, "real");
	symlink_in(d, "real", "rootlink");
	struct pathpolicy pp = policy(d, "rootlink");
	char *r = path_in(d, "real");
	ck_assert_str_eq(pp.roots[0], r);
	char *p = path_in(d, "rootlink/x.md"), *want = path_in(d, "real/x.md");
	assert_allowed(&pp, p, want);
	assert_allowed(&pp, want, want);
	free(p);
	free(want);
	free(r);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(final_symlink_denied_and_open_refuses)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	char *victim = path_in(d, "notes/victim.md");
	tu_write(victim, "keep", 4, O_TRUNC);
	symlink_in(d, victim, "notes/x.md"); /* a link inside pointing inside */
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/x.md");
	assert_denied(&pp, p, "is a symbolic link");
	char *w = NULL;
	errno = 0;
	ck_assert_int_eq(pathpolicy_open(&pp, p, O_TRUNC, &w), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_str_eq(w, "is a symbolic link");
	free(w);
	size_t n;
	char *got = tu_read(victim, &n);
	ck_assert_str_eq(got, "keep");
	free(got);
	/* a dangling final link is refused the same way, and nothing is created */
	char *ghost = path_in(d, "notes/ghost.md");
	symlink_in(d, ghost, "notes/dangling.md");
	char *dl = path_in(d, "notes/dangling.md");
	assert_denied(&pp, dl, "is a symbolic link");
	ck_assert_int_eq(pathpolicy_open(&pp, dl, 0, &w), -1);
	ck_assert_int_eq(errno, ELOOP);
	free(w);
	ck_assert(!exists(ghost));
	free(ghost);
	free(dl);
	free(p);
	free(victim);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(dangling_parent_link_denied)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	char *nowhere = path_in(d, "outside/nowhere");
	symlink_in(d, nowhere, "notes/dl");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/dl/x.md"), *dl = path_in(d, "notes/dl");
	struct buf want = BUF_INIT;
	buf_printf(&want, "%s is a dangling symbolic link", dl);
	assert_denied(&pp, p, want.p);
	buf_free(&want);
	free(p);
	free(dl);
	free(nowhere);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(open_refuses_parent_swapped_after_check)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "notes/sub");
	mkdir_in(d, "outside");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/sub/x.md");
	assert_allowed(&pp, p, p);
	/* the attacker swaps sub for a link to outside between check and open */
	char *sub = path_in(d, "notes/sub"), *target = path_in(d, "outside");
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(symlink(target, sub), 0);
	char *w = NULL;
	errno = 0;
	ck_assert_int_eq(pathpolicy_open(&pp, p, 0, &w), -1);
	ck_assert(errno == ENOTDIR || errno == ELOOP);
	ck_assert_ptr_nonnull(w);
	free(w);
	char *leak = path_in(d, "outside/x.md");
	ck_assert(!exists(leak));
	free(leak);
	free(sub);
	free(target);
	free(p);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(default_dir_always_allowed)
{
	char *d = tmp_real();
	char *def = path_in(d, "data/kato/recordings");
	struct pathpolicy pp;
	ck_assert_int_eq(pathpolicy_init(&pp, NULL, 0, NULL, def), 0);
	ck_assert_uint_eq(pp.n, 1);
	ck_assert_str_eq(pp.roots[0], def);
	char *p = path_in(d, "data/kato/recordings/claude-x.md");
	assert_allowed(&pp, p, p);
	struct buf why = BUF_INIT;
	buf_printf(&why, "outside allowedWriteRoots (%s)", def);
	char *o = path_in(d, "data/kato/other.md");
	assert_denied(&pp, o, why.p);
	/* open creates the missing directories, the root included */
	char *w = NULL;
	int fd = pathpolicy_open(&pp, p, O_APPEND, &w);
	ck_assert_msg(fd >= 0, "open: %s", w ? w : "?");
	close(fd);
	ck_assert(exists(p));
	/* a path outside gets no directory made */
	char *o2 = path_in(d, "elsewhere/x.md"), *o2d = path_in(d, "elsewhere");
	errno = 0;
	ck_assert_int_eq(pathpolicy_open(&pp, o2, 0, &w), -1);
	ck_assert_int_eq(errno, EACCES);
	free(w);
	ck_assert(!exists(o2d));
	free(o2);
	free(o2d);
	free(o);
	buf_free(&why);
	free(p);
	free(def);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(deep_missing_path_created)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/a/b/c/x.md");
	assert_allowed(&pp, p, p);
	char *w = NULL;
	int fd = pathpolicy_open(&pp, p, O_APPEND, &w);
	ck_assert_msg(fd >= 0, "open: %s", w ? w : "?");
	ck_assert_int_eq(write(fd, "a", 1), 1);
	close(fd);
	fd = pathpolicy_open(&pp, p, O_APPEND, &w);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "b", 1), 1);
	close(fd);
	size_t n;
	char *got = tu_read(p, &n);
	ck_assert_str_eq(got, "ab");
	free(got);
	char *c = path_in(d, "notes/a/b/c");
	struct stat st;
	ck_assert_int_eq(lstat(c, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	free(c);
	/* O_EXCL is passed through */
	errno = 0;
	ck_assert_int_eq(pathpolicy_open(&pp, p, O_EXCL, &w), -1);
	ck_assert_int_eq(errno, EEXIST);
	free(w);
	free(p);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(relative_root_against_base_dir)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	struct pathpolicy pp;
	char *roots[] = {"notes", "", "./notes/"}; /* empty ignored, duplicate merged */
	ck_assert_int_eq(pathpolicy_init(&pp, roots, 3, d, NULL), 0);
	ck_assert_uint_eq(pp.n, 1);
	char *want = path_in(d, "notes");
	ck_assert_str_eq(pp.roots[0], want);
	char *p = path_in(d, "notes/x.md");
	assert_allowed(&pp, p, p);
	free(p);
	free(want);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(root_created_later_is_honoured)
{
	char *d = tmp_real();
	mkdir_in(d, "real");
	struct pathpolicy pp = policy(d, "later"); /* does not exist yet */
	char *later = path_in(d, "later");
	ck_assert_str_eq(pp.roots[0], later);
	char *p = path_in(d, "later/x.md");
	assert_allowed(&pp, p, p);
	/* now it appears as a link to d/real: checks follow it */
	symlink_in(d, "real", "later");
	char *want = path_in(d, "real/x.md");
	assert_allowed(&pp, p, want);
	free(want);
	free(p);
	free(later);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(non_regular_targets_denied)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	mkdir_in(d, "notes/dir");
	struct pathpolicy pp = policy(d, "notes");
	char *p = path_in(d, "notes/dir");
	assert_denied(&pp, p, "is a directory");
	char *w = NULL;
	ck_assert_int_eq(pathpolicy_open(&pp, p, 0, &w), -1);
	ck_assert_str_eq(w, "is a directory");
	free(w);
	free(p);
	p = path_in(d, "notes/fifo");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	assert_denied(&pp, p, "is not a regular file");
	/* must not block waiting for a reader */
	ck_assert_int_eq(pathpolicy_open(&pp, p, 0, &w), -1);
	ck_assert_str_eq(w, "is not a regular file");
	free(w);
	free(p);
	/* a file used as a directory */
	char *f = path_in(d, "notes/file");
	tu_write(f, "x", 1, O_TRUNC);
	p = path_in(d, "notes/file/x.md");
	struct buf want = BUF_INIT;
	buf_printf(&want, "%s is not a directory", f);
	assert_denied(&pp, p, want.p);
	buf_free(&want);
	free(f);
	free(p);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(bad_arguments)
{
	char *d = tmp_real();
	mkdir_in(d, "notes");
	struct pathpolicy pp = policy(d, "notes");
	assert_denied(&pp, "notes/x.md", "not an absolute path");
	assert_denied(&pp, "", "not an absolute path");
	assert_denied(&pp, NULL, "not an absolute path");
	assert_denied(&pp, "/", "is a directory");
	char *w = NULL;
	char *p = path_in(d, "notes/../notes/x.md");
	errno = 0;
	ck_assert_int_eq(pathpolicy_open(&pp, p, 0, &w), -1); /* not canonical */
	ck_assert_int_eq(errno, EINVAL);
	free(w);
	free(p);
	ck_assert_int_eq(pathpolicy_open(&pp, "rel.md", 0, &w), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(w);
	/* a very long path is denied, not crashed on */
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/notes/", d);
	for (int i = 0; i < 3 * PATH_MAX / 8; i++)
		buf_adds(&b, "abcdefg/");
	buf_adds(&b, "x.md");
	char *c = NULL;
	if (pathpolicy_check(&pp, b.p, &c, &w) == 0) {
		ck_assert_int_eq(pathpolicy_open(&pp, c, 0, &w), -1);
		free(c);
	}
	free(w);
	buf_free(&b);
	pathpolicy_free(&pp);
	free(d);
}
END_TEST

START_TEST(no_roots_at_all_denies)
{
	struct pathpolicy pp;
	ck_assert_int_eq(pathpolicy_init(&pp, NULL, 0, NULL, NULL), 0);
	assert_denied(&pp, "/tmp/x.md", "no allowedWriteRoots configured");
	pathpolicy_free(&pp);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("pathpolicy");
	TCase *t = tcase_create("policy");
	tcase_add_test(t, lexical_normalisation);
	tcase_add_test(t, inside_allowed_outside_denied);
	tcase_add_test(t, prefix_is_component_wise);
	tcase_add_test(t, dotdot_escape_denied);
	tcase_add_test(t, symlinked_parent_outside_denied);
	tcase_add_test(t, symlinked_parent_inside_allowed);
	tcase_add_test(t, root_given_through_symlink);
	tcase_add_test(t, final_symlink_denied_and_open_refuses);
	tcase_add_test(t, dangling_parent_link_denied);
	tcase_add_test(t, open_refuses_parent_swapped_after_check);
	tcase_add_test(t, default_dir_always_allowed);
	tcase_add_test(t, deep_missing_path_created);
	tcase_add_test(t, relative_root_against_base_dir);
	tcase_add_test(t, root_created_later_is_honoured);
	tcase_add_test(t, non_regular_targets_denied);
	tcase_add_test(t, bad_arguments);
	tcase_add_test(t, no_roots_at_all_denies);
	suite_add_tcase(s, t);
	return s;
}

TU_MAIN(make_suite)
