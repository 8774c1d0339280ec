/* SPDX-License-Identifier: Apache-2.0 */
/* watch: directory trees watched with the kernel's inotify API. One watch
 * per directory (never per file); a new directory is watched and then
 * scanned, so files created before its watch existed are still seen. */
#ifndef KATO_WATCH_H
#define KATO_WATCH_H

#include <stdint.h>

struct watch;

/* What happened to a path (one of these per call). */
enum watch_what {
	WATCH_FILE,     /* a regular file was created, written, closed or moved in,
			   or found by a scan */
	WATCH_GONE,     /* a file was deleted or moved out */
	WATCH_OVERFLOW, /* events were lost: rescan everything (path is NULL) */
	WATCH_ROOT,     /* a root that was missing exists now (path: the root);
			   its files follow as WATCH_FILE */
	WATCH_ROOT_GONE, /* a root was deleted or moved away (path: the root);
			    it is followed until it exists again */
};

/* Called for every file event; `tag` is the value given to watch_add_tree
 * for the tree the path lies in. */
typedef void (*watch_cb)(void *ud, enum watch_what what, const char *path, int tag);

int watch_open(struct watch **out);
void watch_close(struct watch *w);
/* The inotify descriptor, for epoll (non-blocking, close-on-exec). */
int watch_fd(const struct watch *w);
/* Watch the root `dir` and every directory below it, reporting every
 * regular file found through cb (WATCH_FILE). Directories already watched
 * are not added twice. A directory that cannot be watched because the
 * inotify watch limit (fs.inotify.max_user_watches) is reached is scanned
 * all the same and kept on the unwatched list for watch_rescan. Returns 0,
 * or -1 with errno (ENOENT: dir is missing; ENOSPC: no watch for dir
 * itself, its files were still reported).
 * A missing root (ENOENT, or ENOTDIR: a component is not a directory) is
 * followed: its nearest existing ancestor is watched for the next
 * component, stepping down as components appear, and when the root exists
 * watch_read reports WATCH_ROOT, then watches and scans it. A root that is
 * later deleted or moved away is reported (WATCH_ROOT_GONE) and followed
 * the same way. */
int watch_add_tree(struct watch *w, const char *dir, int tag, watch_cb cb, void *ud);
/* Read and dispatch every queued event; returns 0 or -1. New directories
 * are watched and scanned from here, reported through cb. */
int watch_read(struct watch *w, watch_cb cb, void *ud);
/* Number of missing roots being followed. */
int watch_awaited(const struct watch *w);
/* Number of directories watched. */
int watch_count(const struct watch *w);
/* Number of directories that could not be watched (the watch limit). */
int watch_unwatched(const struct watch *w);
/* Scan every unwatched directory again (files reported through cb), and
 * try once more to watch it. Returns how many remain unwatched. */
int watch_rescan(struct watch *w, watch_cb cb, void *ud);

#endif
