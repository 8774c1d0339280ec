/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"

/* tests/plugins/.libs/<name>.so in the build tree */
static char *test_so(const char *name)
{
	const char *dir = getenv("KATO_TEST_PLUGINS");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/../tests/plugins/.libs/%s.so", dir ? dir : "plugins", name);
	return buf_take(&b);
}

static char *real_so(const char *name)
{
	const char *dir = getenv("KATO_TEST_PLUGINS");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s/.libs/%s.so", dir ? dir : "plugins", name, name);
	return buf_take(&b);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	size_t n;
	char *data = tu_read(from, &n);
	ck_assert_ptr_nonnull(data);
	tu_write(to, data, n, O_TRUNC);
	chmod(to, mode);
	free(data);
}

START_TEST(a_real_provider_loads)
{
	char *path = real_so("claude");
	struct plugin p;
	char *why = NULL;
	ck_assert_msg(plugin_load(path, &p, &why) == 0, "%s", why);
	ck_assert_str_eq(p.desc->name, "claude");
	ck_assert_uint_eq(p.desc->abi_major, KATO_PROVIDER_ABI_MAJOR);
	ck_assert_ptr_nonnull(p.desc->default_roots);
	free(p.path);
	free(path);
}
END_TEST

/* A 1.1 plugin's descriptor ends before probe: the host never reads it. */
START_TEST(probe_is_read_only_when_the_descriptor_has_it)
{
	char *path = real_so("claude");
	struct plugin p;
	char *why = NULL;
	ck_assert_msg(plugin_load(path, &p, &why) == 0, "%s", why);
	static const char line[] = "{\"type\":\"user\",\"uuid\":\"u\",\"sessionId\":\"s\",\"message\":{}}\n";
	enum kato_feed feed = KATO_FEED_NONE;
	ck_assert(plugin_has_probe(&p));
	ck_assert_int_eq(plugin_probe(&p, line, sizeof line - 1, &feed), KATO_PROBE_SURE);
	ck_assert_int_eq(feed, KATO_FEED_LINES);
	struct kato_provider_desc old = *p.desc;
	old.abi_minor = 1;
	old.struct_size = offsetof(struct kato_provider_desc, probe);
	const struct kato_provider_desc *real = p.desc;
	p.desc = &old;
	feed = KATO_FEED_NONE;
	ck_assert(!plugin_has_probe(&p));
	ck_assert_int_eq(plugin_probe(&p, line, sizeof line - 1, &feed), KATO_PROBE_NO);
	ck_assert_int_eq(feed, KATO_FEED_NONE);
	p.desc = real;
	free(p.path);
	free(path);
}
END_TEST

START_TEST(wrong_abi_is_refused_with_a_reason)
{
	char *path = test_so("badabi");
	struct plugin p;
	char *why = NULL;
	ck_assert_int_eq(plugin_load(path, &p, &why), -1);
	ck_assert_msg(strstr(why, "ABI 2.0") != NULL, "%s", why);
	free(why);
	free(path);
}
END_TEST

START_TEST(a_library_without_the_symbol_is_refused)
{
	char *path = test_so("noexport");
	struct plugin p;
	char *why = NULL;
	ck_assert_int_eq(plugin_load(path, &p, &why), -1);
	ck_assert_msg(strstr(why, "kato_provider_get_desc") != NULL, "%s", why);
	free(why);
	free(path);
}
END_TEST

START_TEST(junk_symlinks_and_writable_files_are_refused)
{
	char *dir = tu_tmpdir();
	char *junk = paths_join(dir, "junk.so");
	tu_write(junk, "not an ELF file", 15, O_TRUNC);
	struct plugin p;
	char *why = NULL;
	ck_assert_int_eq(plugin_load(junk, &p, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "dlopen failed"));
	free(why);
	char *real = real_so("claude");
	char *link = paths_join(dir, "link.so");
	ck_assert_int_eq(symlink(real, link), 0);
	ck_assert_int_eq(plugin_load(link, &p, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "symlink"));
	free(why);
	char *ww = paths_join(dir, "ww.so");
	copy_file(real, ww, 0666);
	chmod(ww, 0666);
	ck_assert_int_eq(plugin_load(ww, &p, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "world-writable"));
	free(why);
	free(junk);
	free(real);
	free(link);
	free(ww);
	free(dir);
}
END_TEST

/* A plugin someone else could replace is never loaded: a world-writable
 * or foreign-group-writable directory, a file owned by another user. */
START_TEST(plugins_others_could_replace_are_refused)
{
	char *dir = tu_tmpdir();
	char *real = real_so("claude");
	char *so = paths_join(dir, "claude.so");
	copy_file(real, so, 0755);
	struct plugin p;
	char *why = NULL;
	ck_assert_msg(plugin_load(so, &p, &why) == 0, "%s", why);
	free(p.path);

	chmod(dir, 0777);
	ck_assert_int_eq(plugin_load(so, &p, &why), -1);
	ck_assert_msg(strstr(why, "world-writable") && strstr(why, dir) && strstr(why, "chmod o-w"), "%s", why);
	free(why);
	char *reason = plugin_dir_unsafe(dir);
	ck_assert_ptr_nonnull(reason);
	free(reason);
	/* the sticky bit does not help: anyone may still add a .so */
	chmod(dir, 01777);
	ck_assert_int_eq(plugin_load(so, &p, &why), -1);
	free(why);
	/* kato providers and katod see it as a load error */
	char *dirs[] = {dir, NULL};
	struct plugin_set set = {0};
	plugin_load_dirs(&set, dirs);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_uint_eq(set.nerrors, 1);
	ck_assert_ptr_nonnull(strstr(set.errors[0], "world-writable"));
	plugin_set_free(&set);
	chmod(dir, 0700);
	ck_assert_ptr_null(plugin_dir_unsafe(dir));
	/* an empty plugin directory is no error (and no qsort of NULL) */
	char *empty = tu_tmpdir();
	char *edirs[] = {empty, NULL};
	plugin_load_dirs(&set, edirs);
	ck_assert_uint_eq(set.n + set.nerrors, 0);
	plugin_set_free(&set);
	free(empty);

	if (geteuid() == 0) {
		/* as root (CI): a file or directory of another user */
		ck_assert_int_eq(chown(so, 65534, 65534), 0);
		ck_assert_int_eq(plugin_load(so, &p, &why), -1);
		ck_assert_msg(strstr(why, "owned by uid 65534") && strstr(why, "chown"), "%s", why);
		free(why);
		ck_assert_int_eq(chown(so, 0, 0), 0);
		ck_assert_int_eq(chown(dir, 65534, 0), 0);
		ck_assert_int_eq(plugin_load(so, &p, &why), -1);
		ck_assert_msg(strstr(why, "its directory") && strstr(why, "owned by uid 65534"), "%s", why);
		free(why);
		/* group-writable by a group that is not the user's own */
		ck_assert_int_eq(chown(dir, 0, 65534), 0);
		chmod(dir, 0770);
		ck_assert_int_eq(plugin_load(so, &p, &why), -1);
		ck_assert_msg(strstr(why, "writable by group") && strstr(why, "chmod g-w"), "%s", why);
		free(why);
		chmod(dir, 0750);
		ck_assert_msg(plugin_load(so, &p, &why) == 0, "%s", why);
		free(p.path);
		chown(dir, 0, 0);
	}
	free(so);
	free(real);
	free(dir);
}
END_TEST

START_TEST(directories_load_in_order_and_skip_duplicates)
{
	char *a = tu_tmpdir(), *b = tu_tmpdir();
	char *real = real_so("claude"), *bad = test_so("badabi");
	char *p1 = paths_join(a, "claude.so"), *p2 = paths_join(b, "claude-copy.so"), *p3 = paths_join(b, "badabi.so");
	copy_file(real, p1, 0755);
	copy_file(real, p2, 0755);
	copy_file(bad, p3, 0755);
	char *dirs[] = {a, b, NULL};
	struct plugin_set set = {0};
	plugin_load_dirs(&set, dirs);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_str_eq(set.v[0].path, p1);
	ck_assert_uint_eq(set.nerrors, 2);
	/* sorted by name: badabi.so before claude-copy.so */
	ck_assert_ptr_nonnull(strstr(set.errors[0], "badabi.so"));
	ck_assert_ptr_nonnull(strstr(set.errors[1], "already loaded"));
	ck_assert_ptr_nonnull(plugin_find(&set, "claude"));
	ck_assert_ptr_null(plugin_find(&set, "codex"));
	plugin_set_free(&set);
	free(real);
	free(bad);
	free(p1);
	free(p2);
	free(p3);
	free(a);
	free(b);
}
END_TEST

START_TEST(search_path_honours_the_environment)
{
	setenv("KATO_PROVIDER_PATH", "/one::/two", 1);
	setenv("KATO_HOME", "/kh", 1);
	char **dirs = plugin_search_path();
	ck_assert_str_eq(dirs[0], "/one");
	ck_assert_str_eq(dirs[1], "/two");
	ck_assert_str_eq(dirs[2], "/kh/providers");
	ck_assert_str_eq(dirs[3], PROVIDERDIR);
	ck_assert_ptr_null(dirs[4]);
	plugin_free_path(dirs);
	unsetenv("KATO_HOME");
	unsetenv("KATO_PROVIDER_PATH");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	dirs = plugin_search_path();
	ck_assert_str_eq(dirs[0], "/xdg/kato/providers");
	plugin_free_path(dirs);
}
END_TEST

START_TEST(paths_expand_variables_with_fallbacks)
{
	setenv("HOME", "/home/u", 1);
	unsetenv("CODEX_HOME");
	char *p = paths_expand("${CODEX_HOME:-~/.codex}/sessions");
	ck_assert_str_eq(p, "/home/u/.codex/sessions");
	free(p);
	setenv("CODEX_HOME", "/c", 1);
	p = paths_expand("${CODEX_HOME:-~/.codex}/sessions");
	ck_assert_str_eq(p, "/c/sessions");
	free(p);
	p = paths_expand("~");
	ck_assert_str_eq(p, "/home/u");
	free(p);
	p = paths_expand("~user/x$");
	ck_assert_str_eq(p, "~user/x$");
	free(p);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("loader");
	tcase_add_test(tc, a_real_provider_loads);
	tcase_add_test(tc, probe_is_read_only_when_the_descriptor_has_it);
	tcase_add_test(tc, wrong_abi_is_refused_with_a_reason);
	tcase_add_test(tc, a_library_without_the_symbol_is_refused);
	tcase_add_test(tc, junk_symlinks_and_writable_files_are_refused);
	tcase_add_test(tc, plugins_others_could_replace_are_refused);
	tcase_add_test(tc, directories_load_in_order_and_skip_duplicates);
	tcase_add_test(tc, search_path_honours_the_environment);
	tcase_add_test(tc, paths_expand_variables_with_fallbacks);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
