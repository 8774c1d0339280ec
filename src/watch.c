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

/* What a missing root's nearest existing ancestor is watched for: the
 * next component being created or moved in, or the ancestor itself going
 * away. IN_MASK_ADD: the ancestor may also be a watched tree directory,
 * whose own mask (a superset) must stay. */
#define AWAIT_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD)

/* One watched directory; slots are indexed by watch descriptor. */
struct wdir {
	char *path; /* NULL: free slot */
	int tag;
};

/* A root that does not exist (yet), followed through the watch `wd` on its
 * nearest existing ancestor (-1: none could be set). */
struct await {
	char *target;
	int tag;
	int wd;
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
	/* Every root given to watch_add_tree, and those of them missing now. */
	struct wdir *roots;
	int nroots;
	struct await *awaits;
	int nawaits;
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
	for (int i = 0; i < w->nroots; i++)
		free(w->roots[i].path);
	free(w->roots);
	for (int i = 0; i < w->nawaits; i++)
		free(w->awaits[i].target);
	free(w->awaits);
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

/* ---------------------------------------------------------------- roots
 * A root that does not exist yet (an assistant installed after katod) is
 * followed through its nearest existing ancestor: that directory is watched
 * for the creation of the next component, and the watch steps down as the
 * components appear, so the root is watched and scanned the moment it is
 * created. A root that is deleted (or moved away) is awaited again. */

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir without repeated or trailing slashes (malloc'd) */
static char *normalise(const char *dir)
{
	char *out = xmalloc(strlen(dir) + 1), *o = out;
	for (const char *p = dir; *p; p++)
		if (!(*p == '/' && o > out && o[-1] == '/'))
			*o++ = *p;
	while (o > out + 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return out;
}

/* The component of target just below its ancestor anc (a prefix of it,
 * "." for a relative target), as a pointer into target, length in *len. */
static const char *next_component(const char *target, const char *anc, size_t *len)
{
	const char *p = !strcmp(anc, ".") ? target : !strcmp(anc, "/") ? target + 1 : target + strlen(anc) + 1;
	const char *e = strchr(p, '/');
	*len = e ? (size_t)(e - p) : strlen(p);
	return p;
}

static bool wd_in_use(const struct watch *w, int wd)
{
	if (wd >= 0 && wd < w->cap && w->dirs[wd].path)
		return true;
	for (int i = 0; i < w->nawaits; i++)
		if (w->awaits[i].wd == wd)
			return true;
	return false;
}

/* a->wd is no longer needed by a: remove the watch if nothing else uses it */
static void release_wd(struct watch *w, struct await *a)
{
	int wd = a->wd;
	a->wd = -1;
	if (wd >= 0 && !wd_in_use(w, wd))
		inotify_rm_watch(w->fd, wd);
}

/* Watch the nearest existing ancestor of a->target. 1: the target exists
 * now; 0: its ancestor is watched; -1: no ancestor could be watched. */
static int arm(struct watch *w, struct await *a)
{
	for (int tries = 0; tries < 64; tries++) {
		char *anc = xstrdup(a->target);
		while (!is_dir(anc)) {
			char *slash = strrchr(anc, '/');
			if (!slash)
				strcpy(anc, ".");
			else if (slash == anc)
				anc[1] = '\0';
			else
				*slash = '\0';
		}
		if (!strcmp(anc, a->target)) {
			free(anc);
			release_wd(w, a);
			return 1;
		}
		int wd = inotify_add_watch(w->fd, anc, AWAIT_MASK);
		if (wd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			free(anc); /* removed since is_dir (rm -rf under way): look higher up */
			continue;
		}
		if (wd < 0) {
			log_warn("cannot watch %s for the creation of %s: %s; it is looked for again at "
				 "the next sweep", anc, a->target, strerror(errno));
			free(anc);
			release_wd(w, a);
			return -1;
		}
		if (wd != a->wd) {
			release_wd(w, a);
			a->wd = wd;
		}
		/* created before the watch existed? then step down at once */
		size_t len;
		const char *next = next_component(a->target, anc, &len);
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s/%.*s", anc, (int)len, next);
		bool appeared = is_dir(b.p);
		buf_free(&b);
		free(anc);
		if (!appeared)
			return 0;
	}
	return 0;
}

static void note_root(struct watch *w, const char *dir, int tag)
{
	for (int i = 0; i < w->nroots; i++)
		if (!strcmp(w->roots[i].path, dir))
			return;
	w->roots = xrealloc(w->roots, (size_t)(w->nroots + 1) * sizeof *w->roots);
	w->roots[w->nroots++] = (struct wdir){xstrdup(dir), tag};
}

static const struct wdir *find_root(const struct watch *w, const char *dir)
{
	for (int i = 0; i < w->nroots; i++)
		if (!strcmp(w->roots[i].path, dir))
			return &w->roots[i];
	return NULL;
}

/* Follow the missing root dir. 1: it exists after all (not awaited). */
static int await_root(struct watch *w, const char *dir, int tag)
{
	struct await *a = NULL;
	for (int i = 0; i < w->nawaits; i++)
		if (!strcmp(w->awaits[i].target, dir))
			a = &w->awaits[i];
	if (!a) {
		w->awaits = xrealloc(w->awaits, (size_t)(w->nawaits + 1) * sizeof *w->awaits);
		a = &w->awaits[w->nawaits++];
		*a = (struct await){xstrdup(dir), tag, -1};
	}
	int r = arm(w, a);
	if (r == 1) {
		free(a->target);
		*a = w->awaits[--w->nawaits];
	}
	return r;
}

/* An awaited root appeared: report it, then watch and scan it. */
static void root_appeared(struct watch *w, const char *dir, int tag, watch_cb cb, void *ud)
{
	log_debug("%s appeared: watching it", dir);
	cb(ud, WATCH_ROOT, dir, tag);
	if (add_tree(w, dir, tag, cb, ud, 0) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		/* gone again already */
		if (await_root(w, dir, tag) == 1)
			add_tree(w, dir, tag, cb, ud, 0);
	}
}

/* The watched directory of slot wd went away: if it was a root, report
 * it and follow its re-creation. */
static void dir_gone(struct watch *w, int wd, watch_cb cb, void *ud)
{
	const struct wdir *r = find_root(w, w->dirs[wd].path);
	drop_slot(w, wd);
	if (!r)
		return;
	char *dir = xstrdup(r->path);
	int tag = r->tag;
	cb(ud, WATCH_ROOT_GONE, dir, tag);
	if (await_root(w, dir, tag) == 1)
		root_appeared(w, dir, tag, cb, ud);
	free(dir);
}

/* An event on a watch some awaited roots depend on. */
static void await_event(struct watch *w, const struct inotify_event *ev, watch_cb cb, void *ud)
{
	bool self = ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF);
	for (int i = 0; i < w->nawaits;) {
		struct await *a = &w->awaits[i];
		if (a->wd != ev->wd) {
			i++;
			continue;
		}
		if (!self && !(ev->mask & (IN_CREATE | IN_MOVED_TO))) {
			i++;
			continue;
		}
		if (self)
			a->wd = -1; /* that watch is gone or going */
		/* something was created: step down if it was the next
		 * component (arm costs a few stat calls) */
		int r = arm(w, a);
		if (r != 1) {
			i++;
			continue;
		}
		char *dir = a->target;
		int tag = a->tag;
		*a = w->awaits[--w->nawaits];
		root_appeared(w, dir, tag, cb, ud);
		free(dir);
	}
	if ((ev->mask & IN_MOVE_SELF) && !wd_in_use(w, ev->wd))
		inotify_rm_watch(w->fd, ev->wd);
}

int watch_add_tree(struct watch *w, const char *dir, int tag, watch_cb cb, void *ud)
{
	char *root = normalise(dir);
	note_root(w, root, tag);
	struct stat st;
	int rc = stat(root, &st);
	if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	}
	if (rc < 0) {
		int e = errno;
		if ((e == ENOENT || e == ENOTDIR) && await_root(w, root, tag) == 1) {
			rc = add_tree(w, root, tag, cb, ud, 0);
		} else {
			errno = e;
		}
		free(root);
		return rc;
	}
	rc = add_tree(w, root, tag, cb, ud, 0);
	free(root);
	return rc;
}

int watch_awaited(const struct watch *w)
{
	return w->nawaits;
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
			for (int i = 0; i < w->nawaits; i++) {
				if (w->awaits[i].wd == ev->wd) {
					await_event(w, ev, cb, ud);
					break;
				}
			}
			if (ev->wd < 0 || ev->wd >= w->cap || !w->dirs[ev->wd].path)
				continue;
			struct wdir *d = &w->dirs[ev->wd];
			if (ev->mask & IN_IGNORED) {
				dir_gone(w, ev->wd, cb, ud);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				/* the directory went away or moved: its files are
				 * reported gone by their own events; forget the
				 * stale path (a move is found again by the parent's
				 * IN_MOVED_TO and re-watched there); a root is
				 * followed until it is created again */
				inotify_rm_watch(w->fd, ev->wd);
				dir_gone(w, ev->wd, cb, ud);
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
