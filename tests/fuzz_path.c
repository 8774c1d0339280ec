/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the in-chat command path rules (SPEC §4): the input
 * is a command argument, resolved by cmd_resolve_path against a real
 * directory tree (made once, under $TMPDIR) that holds an allowed root,
 * symlinks out of it and into it, a dangling link, a FIFO and an outside
 * directory, then checked by pathpolicy_check. The first input byte picks
 * the session's working directory. Checked: a resolved path is absolute and
 * lexically normal; an accepted path lies inside a root after resolving
 * every symlink of its existing part, is not itself a symlink, directory or
 * FIFO, and checking it again gives the same path. Built by tests/fuzz.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "pathpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];
static char home[PATH_MAX], root[PATH_MAX], later[PATH_MAX], rec[PATH_MAX];
static struct pathpolicy pp;

static void mk(const char *fmt, const char *kind, const char *target)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, fmt, base);
	int rc = 0;
	if (!strcmp(kind, "dir"))
		rc = mkdir(p, 0755);
	else if (!strcmp(kind, "fifo"))
		rc = mkfifo(p, 0600);
	else if (!strcmp(kind, "file"))
		rc = close(creat(p, 0644));
	else {
		char t[PATH_MAX];
		snprintf(t, sizeof t, target, base);
		rc = symlink(t, p);
	}
	if (rc && errno != EEXIST)
		abort();
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

/* The tree goes when the process ends normally. */
static void teardown(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof base, "%s/kato-fuzz-path.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(base))
		abort();
	atexit(teardown);
	mk("%s/home", "dir", NULL);
	mk("%s/home/notes", "dir", NULL);
	mk("%s/home/notes/sub", "dir", NULL);
	mk("%s/home/notes/sub/a.md", "file", NULL);
	mk("%s/home/notes/fifo.md", "fifo", NULL);
	mk("%s/home/notes/out", "link", "%s/outside");
	mk("%s/home/notes/in", "link", "%s/home/notes/sub");
	mk("%s/home/notes/file-link.md", "link", "%s/outside/secret.md");
	mk("%s/home/notes/dangling", "link", "%s/nowhere/x");
	mk("%s/home/notes/loop", "link", "%s/home/notes/loop");
	mk("%s/home/notes-evil", "dir", NULL);
	mk("%s/home/to-notes", "link", "%s/home/notes");
	mk("%s/outside", "dir", NULL);
	mk("%s/outside/secret.md", "file", NULL);
	snprintf(home, sizeof home, "%s/home", base);
	snprintf(root, sizeof root, "%s/home/notes", base);
	snprintf(later, sizeof later, "%s/home/later", base); /* a root that does not exist */
	snprintf(rec, sizeof rec, "%s/rec", base);
	char *roots[] = {root, later};
	if (pathpolicy_init(&pp, roots, 2, "/", rec) != 0)
		abort();
}

/* Is p inside dir, component-wise? */
static int inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && (p[n] == '/' || p[n] == 0);
}

static int lexically_normal(const char *p)
{
	if (p[0] != '/')
		return 0;
	if (!strcmp(p, "/"))
		return 1;
	size_t n = strlen(p);
	if (p[n - 1] == '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
		return 0;
	if ((n >= 2 && !strcmp(p + n - 2, "/.")) || (n >= 3 && !strcmp(p + n - 3, "/..")))
		return 0;
	return 1;
}

/* The longest existing prefix of an accepted path must be its own realpath
 * (no symlink anywhere) and lie inside a root. */
static void check_accepted(const char *canon)
{
	if (!lexically_normal(canon))
		abort();
	int ok = 0;
	for (size_t i = 0; i < pp.n; i++)
		ok = ok || inside(canon, pp.roots[i]);
	if (!ok)
		abort(); /* accepted outside every root */
	struct stat st;
	if (lstat(canon, &st) == 0 && !S_ISREG(st.st_mode))
		abort(); /* a symlink, directory or FIFO accepted as the file */
	char *p = xstrdup(canon), rp[PATH_MAX];
	for (;;) {
		if (lstat(p, &st) == 0) {
			if (!realpath(p, rp) || strcmp(rp, p))
				abort(); /* an existing ancestor is reached through a symlink */
			break;
		}
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	free(p);
	char *again = NULL, *why = NULL;
	if (pathpolicy_check(&pp, canon, &again, &why) != 0 || strcmp(again, canon))
		abort(); /* not idempotent */
	free(again);
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base[0])
		setup();
	if (size < 1)
		return 0;
	char cwd[PATH_MAX];
	switch (data[0] % 4) {
	case 0: snprintf(cwd, sizeof cwd, "%s", root); break;
	case 1: snprintf(cwd, sizeof cwd, "%s/out", root); break;
	case 2: snprintf(cwd, sizeof cwd, "%s/to-notes/sub", home); break;
	default: cwd[0] = 0; break;
	}
	struct cmd_path_ctx ctx = {home, cwd[0] ? cwd : NULL, rec, "Claude Code",
				   "e8cef289-0000-0000-0000-000000000000", INT64_C(1795466758999)};
	char *arg = xstrndup((const char *)data + 1, size - 1);
	char *out = NULL, *why = NULL;
	if (cmd_resolve_path(arg, &ctx, &out, &why) == 0) {
		if (!out || why || !lexically_normal(out))
			abort();
		char *canon = NULL, *pwhy = NULL;
		if (pathpolicy_check(&pp, out, &canon, &pwhy) == 0) {
			if (!canon || pwhy)
				abort();
			check_accepted(canon);
		} else if (!pwhy || canon) {
			abort();
		}
		free(canon);
		free(pwhy);
	} else if (!why || out) {
		abort();
	}
	free(out);
	free(why);
	free(arg);
	return 0;
}
