#include "autoconfig.h"

#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
		if (errno == ENOSPC)
			log_error("cannot watch %s: the inotify watch limit is reached; raise "
				  "fs.inotify.max_user_watches (sysctl) and restart katod", dir);
		return -1;
	}
	set_slot(w, wd, dir, tag);
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
