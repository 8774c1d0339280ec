/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "paths.h"

#define DIR_MASK (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
		  IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

/* One watched directory; slots are indexed by watch descriptor. */
struct wdir {
	char *path; /* NULL: free slot */
	int tag;
};

struct watch {
	int fd;
	struct wdir *dirs;
	int ndirs; /* slots in use */
	int cap;   /* slots allocated (max wd + 1) */
	/* Directories that could not be watched (the inotify watch limit):
	 * scanned anyway, and scanned again by watch_rescan. */
	struct wdir *unwatched;
	int nunwatched;
	int limit_logged; /* unwatched directories already logged one by one */
};

int watch_open(struct watch **out)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -1;
	struct watch *w = xcalloc(1, sizeof *w);
	w->fd = fd;
	*out = w;
	return 0;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->cap; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	for (int i = 0; i < w->nunwatched; i++)
		free(w->unwatched[i].path);
	free(w->unwatched);
	close(w->fd);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->fd;
}

int watch_count(const struct watch *w)
{
	return w->ndirs;
}

int watch_unwatched(const struct watch *w)
{
	return w->nunwatched;
}

/* Remember (or, with add false, forget) a directory that has no watch. */
static void note_unwatched(struct watch *w, const char *dir, int tag, bool add)
{
	for (int i = 0; i < w->nunwatched; i++) {
		if (strcmp(w->unwatched[i].path, dir))
			continue;
		if (!add) {
			free(w->unwatched[i].path);
			w->unwatched[i] = w->unwatched[--w->nunwatched];
		}
		return;
	}
	if (!add)
		return;
	w->unwatched = xrealloc(w->unwatched, (size_t)(w->nunwatched + 1) * sizeof *w->unwatched);
	w->unwatched[w->nunwatched++] = (struct wdir){xstrdup(dir), tag};
}

static void set_slot(struct watch *w, int wd, const char *path, int tag)
{
	if (wd >= w->cap) {
		int cap = w->cap ? w->cap : 64;
		while (cap <= wd)
			cap *= 2;
		w->dirs = xrealloc(w->dirs, (size_t)cap * sizeof *w->dirs);
		memset(w->dirs + w->cap, 0, (size_t)(cap - w->cap) * sizeof *w->dirs);
		w->cap = cap;
	}
	if (w->dirs[wd].path) {
		/* the same directory again (inotify returns its existing wd) */
		if (!strcmp(w->dirs[wd].path, path))
			return;
		free(w->dirs[wd].path);
		w->ndirs--;
	}
	w->dirs[wd].path = xstrdup(path);
	w->dirs[wd].tag = tag;
	w->ndirs++;
}

static void drop_slot(struct watch *w, int wd)
{
	if (wd >= 0 && wd < w->cap && w->dirs[wd].path) {
		free(w->dirs[wd].path);
		w->dirs[wd].path = NULL;
		w->ndirs--;
	}
}

/* Watch dir, then scan it: report files, recurse into subdirectories. */
static int add_tree(struct watch *w, const char *dir, int tag, watch_cb cb, void *ud, int depth)
{
	if (depth > 32)
		return 0; /* provider trees are shallow; refuse pathological depth */
	int wd = inotify_add_watch(w->fd, dir, DIR_MASK);
	if (wd < 0) {
		if (errno != ENOSPC && errno != ENOMEM)
			return -1; /* gone, not a directory, no permission */
		/* Out of watches: scan it all the same, and again at every
		 * watch_rescan, so its files are read late, never lost. */
		if (w->limit_logged++ < 3)
			log_warn("cannot watch %s: the inotify watch limit is reached; its files are read "
				 "by a periodic re-scan instead. Raise fs.inotify.max_user_watches "
				 "(see katod(1))", dir);
		note_unwatched(w, dir, tag, true);
	} else {
		set_slot(w, wd, dir, tag);
		note_unwatched(w, dir, tag, false);
	}
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		char *p = paths_join(dir, e->d_name);
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN || type == DT_LNK) {
			struct stat st;
			type = lstat(p, &st) < 0 ? DT_UNKNOWN : S_ISDIR(st.st_mode) ? DT_DIR
				: S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (type == DT_DIR)
			add_tree(w, p, tag, cb, ud, depth + 1);
		else if (type == DT_REG)
			cb(ud, WATCH_FILE, p, tag);
		free(p);
	}
	closedir(d);
	return 0;
}

int watch_add_tree(struct watch *w, const char *dir, int tag, watch_cb cb, void *ud)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return add_tree(w, dir, tag, cb, ud, 0);
}

int watch_rescan(struct watch *w, watch_cb cb, void *ud)
{
	/* a copy: add_tree edits the list (a watch may succeed now) */
	int n = w->nunwatched;
	struct wdir *v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
	for (int i = 0; i < n; i++)
		v[i] = (struct wdir){xstrdup(w->unwatched[i].path), w->unwatched[i].tag};
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (lstat(v[i].path, &st) < 0 || !S_ISDIR(st.st_mode))
			note_unwatched(w, v[i].path, 0, false); /* gone */
		else
			add_tree(w, v[i].path, v[i].tag, cb, ud, 0);
		free(v[i].path);
	}
	free(v);
	return w->nunwatched;
}

int watch_read(struct watch *w, watch_cb cb, void *ud)
{
	char evbuf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->fd, evbuf, sizeof evbuf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		for (char *p = evbuf; p < evbuf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				cb(ud, WATCH_OVERFLOW, NULL, -1);
				continue;
			}
			if (ev->wd < 0 || ev->wd >= w->cap || !w->dirs[ev->wd].path)
				continue;
			struct wdir *d = &w->dirs[ev->wd];
			if (ev->mask & IN_IGNORED) {
				drop_slot(w, ev->wd);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				/* the directory went away or moved: its files are
				 * reported gone by their own events; forget the
				 * stale path (a move is found again by the parent's
				 * IN_MOVED_TO and re-watched there) */
				inotify_rm_watch(w->fd, ev->wd);
				drop_slot(w, ev->wd);
				continue;
			}
			if (!ev->len)
				continue;
			char *path = paths_join(d->path, ev->name);
			int tag = d->tag;
			if (ev->mask & IN_ISDIR) {
				if (ev->mask & (IN_CREATE | IN_MOVED_TO))
					add_tree(w, path, tag, cb, ud, 0);
			} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
				cb(ud, WATCH_GONE, path, tag);
			} else {
				cb(ud, WATCH_FILE, path, tag);
			}
			free(path);
		}
	}
}
