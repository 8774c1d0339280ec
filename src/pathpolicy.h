/* SPDX-License-Identifier: Apache-2.0 */
/* pathpolicy: the allowedWriteRoots write-path policy (ref §6.4, SPEC §4/§5). */
#ifndef KATO_PATHPOLICY_H
#define KATO_PATHPOLICY_H

#include <stddef.h>

struct pathpolicy {
	char **roots; /* canonical absolute roots, as resolved at init (for display) */
	char **given; /* the same roots absolute and lexically normalised, as configured */
	size_t n;
	char **denied; /* kato's own directories, lexically normalised: never written */
	size_t ndenied;
};

/* Build the policy from the configured roots (already ~-expanded; a relative
 * entry is resolved against base_dir, or the process's current directory
 * when base_dir is NULL; empty entries are ignored) plus default_dir, the
 * default recordings directory, which is always allowed.
 * Roots are kept even when they do not exist yet: like targets, they are
 * canonicalised through their nearest existing ancestor, and they are
 * canonicalised again on every check, so a root created (or re-pointed)
 * later is honoured. (The reference drops missing roots instead.)
 * Returns 0, or -1 with errno when a relative root cannot be made absolute. */
int pathpolicy_init(struct pathpolicy *pp, char *const *roots, size_t n, const char *base_dir,
		    const char *default_dir);

/* Check an absolute path for writing: normalise it lexically, resolve the
 * symlinks of its nearest existing ancestor (realpath) and re-append the
 * missing tail, and require the result to lie inside a root (component-wise:
 * /a/notes2 is not inside /a/notes). Denied also when the final component is
 * a symbolic link, a directory or another non-regular file, or when an
 * ancestor is a dangling symlink or not a directory.
 * Returns 0 and *canonical (malloc'd), or -1 and *why (malloc'd; a reason
 * without the path, e.g. "outside allowedWriteRoots (/a/notes, /b/rec)"). */
int pathpolicy_check(const struct pathpolicy *pp, const char *path, char **canonical, char **why);

/* Open a canonical path returned by pathpolicy_check for writing:
 * O_WRONLY|O_CREAT|O_NOFOLLOW|O_CLOEXEC|flags, mode 0600 (flags: O_APPEND,
 * O_TRUNC, O_EXCL...). The path is re-checked against the roots and then
 * walked from "/" one component at a time with O_NOFOLLOW, so no symlink
 * anywhere in it is followed (a component swapped for a symlink since the
 * check fails with ELOOP/ENOTDIR). Missing directories on the way are
 * created with mode 0700: inside a root, or the root itself and its
 * parents when the root does not exist yet (e.g. the default recordings
 * directory on first use); never for a path outside the roots.
 * Only regular files are opened (a FIFO or device is refused), and never
 * one with other hard links (EMLINK). A path inside a denied directory
 * is refused (EACCES).
 * Returns the fd, or -1 with errno and *why (malloc'd). */
int pathpolicy_open(const struct pathpolicy *pp, const char *canonical, int flags, char **why);

/* The directory half of pathpolicy_open: the same checks and walk, but it
 * returns an O_PATH descriptor of the parent directory and points *name at
 * the final component inside `canonical`, for openat/renameat there
 * (atomic replaces). Returns the fd, or -1 with errno and *why. */
int pathpolicy_open_dir(const struct pathpolicy *pp, const char *canonical, const char **name, char **why);

/* Never allow writes inside `dir` (absolute; kato's own config, state,
 * runtime or data directory), whatever the roots say, except inside the
 * default recordings directory. Checked, canonicalised, on every check.
 * 0, or -1 (EINVAL: not absolute). */
int pathpolicy_deny(struct pathpolicy *pp, const char *dir);

void pathpolicy_free(struct pathpolicy *pp);

/* Lexically normalise a path taken as absolute: no "." or ".." components
 * (".." at "/" stays at "/"), no duplicate or trailing "/". Malloc'd. */
char *pathpolicy_lexical(const char *path);

#endif
