/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

char *paths_home(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return xstrdup(h);
	struct passwd *pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

char *paths_join(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	buf_add(&b, dir, n);
	if (!(n == 1 && dir[0] == '/'))
		buf_addc(&b, '/');
	while (*name == '/')
		name++;
	buf_adds(&b, name);
	return buf_take(&b);
}

/* $KATO_HOME[/sub], or $XDG_VAR/kato, or ~/fallback/kato. */
static char *base_dir(const char *xdg_var, const char *fallback, const char *kato_sub)
{
	const char *kh = getenv("KATO_HOME");
	if (kh && *kh)
		return kato_sub ? paths_join(kh, kato_sub) : xstrdup(kh);
	const char *x = getenv(xdg_var);
	if (x && x[0] == '/')
		return paths_join(x, "kato");
	char *home = paths_home();
	char *d = paths_join(home, fallback);
	char *r = paths_join(d, "kato");
	free(home);
	free(d);
	return r;
}

char *paths_config_dir(void)
{
	return base_dir("XDG_CONFIG_HOME", ".config", NULL);
}

char *paths_state_dir(void)
{
	return base_dir("XDG_STATE_HOME", ".local/state", NULL);
}

char *paths_data_dir(void)
{
	return base_dir("XDG_DATA_HOME", ".local/share", NULL);
}

char *paths_runtime_dir(void)
{
	const char *kh = getenv("KATO_HOME");
	if (kh && *kh)
		return paths_join(kh, "run");
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (x && x[0] == '/')
		return paths_join(x, "kato");
	/* never a shared directory such as /tmp: another user could plant
	 * a symlink there, or own the name first */
	char *state = paths_state_dir();
	char *r = paths_join(state, "run");
	free(state);
	return r;
}

char *paths_data_file(const char *name)
{
	char *d = paths_data_dir();
	char *r = paths_join(d, name);
	free(d);
	return r;
}

char *paths_db_file(void)
{
	char *d = paths_state_dir();
	char *r = paths_join(d, "kato.db");
	free(d);
	return r;
}

char *paths_expand_home(const char *s)
{
	if (s[0] == '~' && (s[1] == '\0' || s[1] == '/')) {
		char *home = paths_home();
		struct buf b = BUF_INIT;
		buf_adds(&b, home);
		buf_adds(&b, s + 1);
		free(home);
		return buf_take(&b);
	}
	return xstrdup(s);
}

static int is_name(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

char *paths_expand(const char *s)
{
	struct buf b = BUF_INIT;
	const char *p = s;
	while (*p) {
		if (p[0] != '$') {
			buf_addc(&b, *p++);
			continue;
		}
		const char *name = p + 1, *fallback = NULL;
		size_t nlen = 0, flen = 0;
		const char *end;
		if (p[1] == '{') {
			name = p + 2;
			while (is_name(name[nlen], nlen == 0))
				nlen++;
			const char *q = name + nlen;
			if (q[0] == ':' && q[1] == '-') {
				fallback = q + 2;
				int depth = 0;
				const char *r = fallback;
				while (*r && !(*r == '}' && depth == 0)) {
					if (*r == '{')
						depth++;
					else if (*r == '}')
						depth--;
					r++;
				}
				flen = (size_t)(r - fallback);
				q = r;
			}
			if (*q != '}') { /* not a valid reference: keep literally */
				buf_addc(&b, *p++);
				continue;
			}
			end = q + 1;
		} else {
			while (is_name(name[nlen], nlen == 0))
				nlen++;
			end = name + nlen;
		}
		if (nlen == 0) {
			buf_addc(&b, *p++);
			continue;
		}
		char *var = xstrndup(name, nlen);
		const char *val = getenv(var);
		free(var);
		if (val && *val) {
			buf_adds(&b, val);
		} else if (fallback) {
			char *f = xstrndup(fallback, flen);
			char *fx = paths_expand(f);
			buf_adds(&b, fx);
			free(f);
			free(fx);
		}
		p = end;
	}
	char *once = buf_take(&b);
	char *r = paths_expand_home(once);
	free(once);
	return r;
}

/* Set *why to a malloc'd reason and errno to e; returns -1. */
static int refuse(char **why, int e, const char *what)
{
	if (why)
		*why = xstrdup(what);
	errno = e;
	return -1;
}

/* Is st the home directory? */
static bool is_home(const struct stat *st)
{
	char *home = paths_home();
	struct stat h;
	bool same = stat(home, &h) == 0 && h.st_dev == st->st_dev && h.st_ino == st->st_ino;
	free(home);
	return same;
}

int paths_private_dir(const char *path, char **why)
{
	if (why)
		*why = NULL;
	if (paths_mkdir_p(path, 0700) < 0)
		return refuse(why, errno, strerror(errno));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return refuse(why, e, e == ELOOP || e == ENOTDIR ? "is a symbolic link or not a directory"
								 : strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return refuse(why, e, strerror(e));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return refuse(why, EPERM, "is owned by another user");
	}
	if (st.st_mode & S_ISVTX) {
		close(fd);
		return refuse(why, EPERM, "is a directory shared with other users (sticky, as /tmp is); "
					  "kato keeps its files in a directory of its own");
	}
	/* ours but open to others (an old kato, a umask): close it; not the
	 * home directory, though, whose mode is the user's business */
	if ((st.st_mode & 077) && !is_home(&st) && fchmod(fd, st.st_mode & 07700) < 0) {
		int e = errno;
		close(fd);
		return refuse(why, e, strerror(e));
	}
	close(fd);
	return 0;
}

/* The checks of paths_open_private on an open fd. 0 or -1 (*why). */
static int check_private_file(int fd, char **why)
{
	struct stat st;
	if (why)
		*why = NULL;
	if (fstat(fd, &st) < 0)
		return refuse(why, errno, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(why, EINVAL, "is not a regular file");
	if (st.st_uid != geteuid())
		return refuse(why, EPERM, "is owned by another user");
	if (st.st_nlink > 1)
		return refuse(why, EMLINK, "has other hard links");
	return 0;
}

int paths_open_private(const char *path, int flags, char **why)
{
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		return refuse(why, e, e == ELOOP ? "is a symbolic link" : strerror(e));
	}
	if (check_private_file(fd, why) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* back to blocking I/O (O_NONBLOCK only kept open() off FIFOs) */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int paths_mkdir_p(const char *path, unsigned mode)
{
	char *p = xstrdup(path);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*q = '/';
	}
	int r = mkdir(p, mode);
	int e = errno;
	free(p);
	if (r < 0 && e != EEXIST) {
		errno = e;
		return -1;
	}
	return 0;
}
