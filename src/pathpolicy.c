/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "pathpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

char *pathpolicy_lexical(const char *path)
{
	struct buf b = BUF_INIT;
	const char *p = path ? path : "";
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = b.len ? strrchr(b.p, '/') : NULL;
			if (slash) {
				b.len = (size_t)(slash - b.p);
				b.p[b.len] = '\0';
			}
		} else if (n && !(n == 1 && p[0] == '.')) {
			buf_addc(&b, '/');
			buf_add(&b, p, n);
		}
		p = e;
	}
	if (!b.len)
		buf_addc(&b, '/');
	return buf_take(&b);
}

/* printf into a malloc'd string. */
__attribute__((format(printf, 1, 2))) static char *fmt_why(const char *fmt, ...)
{
	struct buf w = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&w, fmt, ap);
	va_end(ap);
	return buf_take(&w);
}

/* Canonicalise a lexically normalised absolute path: realpath() of its
 * nearest existing ancestor with the missing tail re-appended, so symlinks
 * are resolved even for files that do not exist yet. A final component
 * that is a symlink is refused when deny_final_link is set; a dangling
 * symlink or a non-directory on the way is refused always.
 * Returns 0 and *out (malloc'd) or -1 and *why (malloc'd). */
static int canonicalize(const char *norm, bool deny_final_link, char **out, char **why)
{
	size_t n = strlen(norm), cut = n;
	char *prefix = xstrdup(norm);
	struct stat st;
	const char *p;
	for (;;) {
		prefix[cut] = '\0';
		p = cut ? prefix : "/";
		if (lstat(p, &st) == 0)
			break;
		if (cut == 0 || (errno != ENOENT && errno != ENOTDIR)) {
			*why = fmt_why("cannot resolve %s: %s", p, strerror(errno));
			goto fail;
		}
		while (cut > 0 && norm[cut - 1] != '/')
			cut--;
		if (cut > 0)
			cut--;
	}
	if (S_ISLNK(st.st_mode) && cut == n && deny_final_link) {
		*why = xstrdup("is a symbolic link");
		goto fail;
	}
	char *real = realpath(p, NULL);
	if (!real) {
		if (errno == ENOENT && S_ISLNK(st.st_mode))
			*why = fmt_why("%s is a dangling symbolic link", p);
		else
			*why = fmt_why("cannot resolve %s: %s", p, strerror(errno));
		goto fail;
	}
	if (cut < n && (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))) {
		*why = fmt_why("%s is not a directory", p);
		free(real);
		goto fail;
	}
	struct buf b = BUF_INIT;
	if (strcmp(real, "/") || cut == n)
		buf_adds(&b, real);
	buf_adds(&b, norm + cut);
	free(real);
	free(prefix);
	*out = buf_take(&b);
	return 0;
fail:
	free(prefix);
	return -1;
}

/* Is path equal to root or below it, component-wise? */
static bool is_inside(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return true;
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

/* The roots canonicalised now (a root that cannot be resolved keeps its
 * init-time form). Malloc'd array of malloc'd strings, pp->n entries. */
static char **current_roots(const struct pathpolicy *pp)
{
	char **r = xcalloc(pp->n ? pp->n : 1, sizeof *r);
	for (size_t i = 0; i < pp->n; i++) {
		char *why = NULL;
		if (canonicalize(pp->given[i], false, &r[i], &why) < 0) {
			free(why);
			r[i] = xstrdup(pp->roots[i]);
		}
	}
	return r;
}

static void free_roots(char **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i]);
	free(r);
}

/* Index of the first root holding path, or -1. */
static long find_root(char **roots, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (is_inside(roots[i], path))
			return (long)i;
	return -1;
}

/* "outside allowedWriteRoots (a, b)" (malloc'd). */
static char *outside_why(char **roots, size_t n)
{
	if (!n)
		return xstrdup("no allowedWriteRoots configured");
	struct buf b = BUF_INIT;
	buf_adds(&b, "outside allowedWriteRoots (");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", roots[i]);
	buf_addc(&b, ')');
	return buf_take(&b);
}

/* Add one root (see pathpolicy_init). 0, or -1 with errno. */
static int add_root(struct pathpolicy *pp, const char *root, const char *base_dir)
{
	if (!root || !*root)
		return 0;
	char *abs;
	if (root[0] == '/') {
		abs = xstrdup(root);
	} else {
		/* relative: against base_dir, itself against the current directory */
		char *cwd = NULL;
		if (!base_dir || base_dir[0] != '/') {
			cwd = getcwd(NULL, 0);
			if (!cwd)
				return -1;
		}
		struct buf b = BUF_INIT;
		if (cwd)
			buf_printf(&b, "%s/", cwd);
		if (base_dir)
			buf_printf(&b, "%s/", base_dir);
		buf_adds(&b, root);
		free(cwd);
		abs = buf_take(&b);
	}
	char *norm = pathpolicy_lexical(abs);
	free(abs);
	for (size_t i = 0; i < pp->n; i++) {
		if (!strcmp(pp->given[i], norm)) {
			free(norm);
			return 0;
		}
	}
	char *canon = NULL, *why = NULL;
	if (canonicalize(norm, false, &canon, &why) < 0) {
		free(why);
		canon = xstrdup(norm);
	}
	pp->roots = xrealloc(pp->roots, (pp->n + 1) * sizeof *pp->roots);
	pp->given = xrealloc(pp->given, (pp->n + 1) * sizeof *pp->given);
	pp->roots[pp->n] = canon;
	pp->given[pp->n] = norm;
	pp->n++;
	return 0;
}

int pathpolicy_init(struct pathpolicy *pp, char *const *roots, size_t n, const char *base_dir,
		    const char *default_dir)
{
	memset(pp, 0, sizeof *pp);
	for (size_t i = 0; i < n; i++) {
		if (add_root(pp, roots[i], base_dir) < 0)
			goto fail;
	}
	if (add_root(pp, default_dir, base_dir) < 0)
		goto fail;
	return 0;
fail:;
	int e = errno;
	pathpolicy_free(pp);
	errno = e;
	return -1;
}

void pathpolicy_free(struct pathpolicy *pp)
{
	free_roots(pp->roots, pp->n);
	free_roots(pp->given, pp->n);
	free_roots(pp->denied, pp->ndenied);
	memset(pp, 0, sizeof *pp);
}

int pathpolicy_deny(struct pathpolicy *pp, const char *dir)
{
	if (!dir || dir[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	pp->denied = xrealloc(pp->denied, (pp->ndenied + 1) * sizeof *pp->denied);
	pp->denied[pp->ndenied++] = pathpolicy_lexical(dir);
	return 0;
}

/* Is canonical path `canon` inside one of kato's own directories (and
 * not in the default recordings directory, the last root)? Sets *why. */
static bool denied(const struct pathpolicy *pp, const char *canon, char **why)
{
	if (!pp->ndenied)
		return false;
	char *def = NULL, *w = NULL;
	if (pp->n && canonicalize(pp->given[pp->n - 1], false, &def, &w) < 0) {
		free(w);
		def = xstrdup(pp->roots[pp->n - 1]);
	}
	bool in_default = def && is_inside(def, canon);
	free(def);
	if (in_default)
		return false;
	for (size_t i = 0; i < pp->ndenied; i++) {
		char *d = NULL;
		w = NULL;
		if (canonicalize(pp->denied[i], false, &d, &w) < 0) {
			free(w);
			d = xstrdup(pp->denied[i]);
		}
		bool in = is_inside(d, canon);
		if (in)
			*why = fmt_why("inside kato's own directory %s (never written, whatever allowedWriteRoots says)", d);
		free(d);
		if (in)
			return true;
	}
	return false;
}

int pathpolicy_check(const struct pathpolicy *pp, const char *path, char **canonical, char **why)
{
	*canonical = NULL;
	*why = NULL;
	if (!path || path[0] != '/') {
		*why = xstrdup("not an absolute path");
		return -1;
	}
	char *norm = pathpolicy_lexical(path);
	char *canon = NULL;
	if (canonicalize(norm, true, &canon, why) < 0) {
		free(norm);
		return -1;
	}
	free(norm);
	struct stat st;
	if (lstat(canon, &st) == 0 && !S_ISREG(st.st_mode)) {
		*why = xstrdup(S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
		free(canon);
		return -1;
	}
	char **roots = current_roots(pp);
	if (find_root(roots, pp->n, canon) < 0) {
		*why = outside_why(roots, pp->n);
		free(canon);
		free_roots(roots, pp->n);
		return -1;
	}
	free_roots(roots, pp->n);
	if (denied(pp, canon, why)) {
		free(canon);
		return -1;
	}
	*canonical = canon;
	return 0;
}

/* Fail pathpolicy_open: take reason as *why, close dfd, set errno. */
static int open_fail(int dfd, int err, char **why, char *reason)
{
	*why = reason;
	if (dfd >= 0)
		close(dfd);
	errno = err;
	return -1;
}

int pathpolicy_open_dir(const struct pathpolicy *pp, const char *canonical, const char **name, char **why)
{
	*why = NULL;
	if (!canonical || canonical[0] != '/' || !strcmp(canonical, "/")) {
		*why = xstrdup("not a canonical absolute file path");
		errno = EINVAL;
		return -1;
	}
	char *norm = pathpolicy_lexical(canonical);
	bool same = !strcmp(norm, canonical);
	free(norm);
	if (!same) {
		*why = xstrdup("not a canonical absolute file path");
		errno = EINVAL;
		return -1;
	}
	char **roots = current_roots(pp);
	bool inside = find_root(roots, pp->n, canonical) >= 0;
	if (!inside)
		*why = outside_why(roots, pp->n);
	free_roots(roots, pp->n);
	if (!inside || denied(pp, canonical, why)) {
		errno = EACCES;
		return -1;
	}

	/* Walk from "/" without following any symlink: canonical has none. */
	int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		return open_fail(-1, e, why, fmt_why("cannot open /: %s", strerror(e)));
	}
	char *path = xstrdup(canonical);
	char *comp = path + 1;
	for (char *slash; (slash = strchr(comp, '/'));) {
		*slash = '\0';
		int fd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(dfd, comp, 0700) < 0 && errno != EEXIST) {
				int e = errno;
				int r = open_fail(dfd, e, why, fmt_why("cannot create directory %s: %s", path, strerror(e)));
				free(path);
				return r;
			}
			fd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			int e = errno;
			int r = open_fail(dfd, e, why,
					  e == ENOTDIR || e == ELOOP
						  ? fmt_why("%s is a symbolic link or not a directory", path)
						  : fmt_why("cannot open directory %s: %s", path, strerror(e)));
			free(path);
			return r;
		}
		close(dfd);
		dfd = fd;
		*slash = '/';
		comp = slash + 1;
	}
	*name = canonical + (comp - path);
	free(path);
	return dfd;
}

int pathpolicy_open(const struct pathpolicy *pp, const char *canonical, int flags, char **why)
{
	const char *comp;
	int dfd = pathpolicy_open_dir(pp, canonical, &comp, why);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, comp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags, 0600);
	if (fd < 0) {
		int e = errno;
		int r;
		if (e == ELOOP)
			r = open_fail(dfd, e, why, xstrdup("is a symbolic link"));
		else if (e == EISDIR)
			r = open_fail(dfd, e, why, xstrdup("is a directory"));
		else if (e == ENXIO)
			r = open_fail(dfd, e, why, xstrdup("is not a regular file"));
		else
			r = open_fail(dfd, e, why, fmt_why("cannot open %s: %s", canonical, strerror(e)));
		return r;
	}
	close(dfd);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = xstrdup("is not a regular file");
		errno = EINVAL;
		return -1;
	}
	if (st.st_nlink > 1) {
		close(fd);
		*why = xstrdup("has other hard links (kato never writes through one)");
		errno = EMLINK;
		return -1;
	}
	if (!(flags & O_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	return fd;
}
