/* SPDX-License-Identifier: Apache-2.0 */
/* paths: kato's private directories and files are never reached through
 * a symlink, another user's directory or a hard link. */
#include "autoconfig.h"

#include <pwd.h>

#include "testutil.h"

START_TEST(private_dir_is_made_0700_and_checked)
{
	char *dir = tu_tmpdir();
	char *d = paths_join(dir, "a/b/run");
	char *why = NULL;
	ck_assert_int_eq(paths_private_dir(d, &why), 0);
	struct stat st;
	ck_assert_int_eq(lstat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	/* an own directory open to others is closed */
	chmod(d, 0777);
	ck_assert_int_eq(paths_private_dir(d, &why), 0);
	ck_assert_int_eq(lstat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	/* a shared directory (KATO_HOME=/tmp, as root: found when make check
	 * left /tmp mode 1700) is refused and left as it is */
	char *shared = paths_join(dir, "shared");
	ck_assert_int_eq(mkdir(shared, 0700), 0);
	ck_assert_int_eq(chmod(shared, 01777), 0);
	ck_assert_int_eq(paths_private_dir(shared, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "shared with other users"));
	free(why);
	ck_assert_int_eq(lstat(shared, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 01777);
	/* the home directory is used as it is, not closed */
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	ck_assert_int_eq(chmod(shared, 0755), 0);
	setenv("HOME", shared, 1);
	ck_assert_int_eq(paths_private_dir(shared, &why), 0);
	ck_assert_int_eq(lstat(shared, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	if (old_home)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	free(old_home);
	free(shared);
	/* a symlink planted where the directory should be */
	char *victim = paths_join(dir, "victim"), *link = paths_join(dir, "link");
	mkdir(victim, 0700);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(paths_private_dir(link, &why), -1);
	ck_assert_str_eq(why, "is a symbolic link or not a directory");
	free(why);
	/* another user's directory (needs root to make one) */
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		char *theirs = paths_join(dir, "theirs");
		mkdir(theirs, 0700);
		ck_assert_int_eq(chown(theirs, pw ? pw->pw_uid : 65534, pw ? pw->pw_gid : 65534), 0);
		ck_assert_int_eq(paths_private_dir(theirs, &why), -1);
		ck_assert_str_eq(why, "is owned by another user");
		free(why);
		free(theirs);
	}
	free(victim);
	free(link);
	free(d);
	free(dir);
}
END_TEST

START_TEST(private_files_refuse_links_fifos_and_hard_links)
{
	char *dir = tu_tmpdir();
	char *why = NULL;
	/* a symlink to a file the user owns: never opened, never created */
	char *victim = paths_join(dir, "victim"), *lock = paths_join(dir, "katod.lock");
	tu_write(victim, "precious\n", 9, O_TRUNC);
	ck_assert_int_eq(symlink(victim, lock), 0);
	ck_assert_int_eq(paths_open_private(lock, O_RDWR | O_CREAT, &why), -1);
	ck_assert_str_eq(why, "is a symbolic link");
	free(why);
	char *s = tu_read(victim, NULL);
	ck_assert_str_eq(s, "precious\n");
	free(s);
	/* a dangling symlink is not followed to create its target */
	char *dangling = paths_join(dir, "dangling"), *made = paths_join(dir, "made-through-link");
	ck_assert_int_eq(symlink(made, dangling), 0);
	ck_assert_int_eq(paths_open_private(dangling, O_WRONLY | O_CREAT | O_APPEND, &why), -1);
	free(why);
	ck_assert_int_eq(access(made, F_OK), -1);
	/* a hard link to another file */
	char *hard = paths_join(dir, "katod.log");
	ck_assert_int_eq(link(victim, hard), 0);
	ck_assert_int_eq(paths_open_private(hard, O_WRONLY | O_APPEND, &why), -1);
	ck_assert_str_eq(why, "has other hard links");
	free(why);
	/* a FIFO: refused at once, not blocked on */
	char *fifo = paths_join(dir, "kato.db");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	alarm(5);
	ck_assert_int_eq(paths_open_private(fifo, O_RDWR, &why), -1);
	ck_assert_str_eq(why, "is not a regular file");
	free(why);
	alarm(0);
	/* a plain new file is made 0600 */
	char *ok = paths_join(dir, "new.lock");
	int fd = paths_open_private(ok, O_RDWR | O_CREAT, &why);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	free(ok);
	free(fifo);
	free(hard);
	free(dangling);
	free(made);
	free(victim);
	free(lock);
	free(dir);
}
END_TEST

/* Without XDG_RUNTIME_DIR the runtime directory is under the user's state
 * directory, never in /tmp where another user can plant things. */
START_TEST(runtime_dir_is_never_shared)
{
	unsetenv("KATO_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("XDG_STATE_HOME", "/home/u/.local/state", 1);
	char *r = paths_runtime_dir();
	ck_assert_str_eq(r, "/home/u/.local/state/kato/run");
	free(r);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	r = paths_runtime_dir();
	ck_assert_str_eq(r, "/run/user/1000/kato");
	free(r);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("paths");
	TCase *tc = tcase_create("paths");
	tcase_add_test(tc, private_dir_is_made_0700_and_checked);
	tcase_add_test(tc, private_files_refuse_links_fifos_and_hard_links);
	tcase_add_test(tc, runtime_dir_is_never_shared);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
