/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "paths.h"

char **plugin_search_path(void)
{
	size_t n = 0, cap = 8;
	char **dirs = xcalloc(cap, sizeof *dirs);
	const char *env = getenv("KATO_PROVIDER_PATH");
	if (env && *env) {
		const char *p = env;
		while (*p) {
			const char *e = strchr(p, ':');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len) {
				if (n + 3 >= cap)
					dirs = xrealloc(dirs, (cap *= 2) * sizeof *dirs);
				dirs[n++] = xstrndup(p, len);
			}
			p += len + (e ? 1 : 0);
		}
	}
	if (n + 3 >= cap)
		dirs = xrealloc(dirs, (cap *= 2) * sizeof *dirs);
	dirs[n++] = paths_data_file("providers");
	if (plugin_running_from_build_dir()) {
		/* ./kato or ./katod in the build tree: the plugins just built,
		 * not the installed ones (they may be another version) */
		const char *p = KATO_BUILD_PROVIDER_PATH;
		while (*p) {
			const char *e = strchr(p, ':');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len) {
				if (n + 2 >= cap)
					dirs = xrealloc(dirs, (cap *= 2) * sizeof *dirs);
				dirs[n++] = xstrndup(p, len);
			}
			p += len + (e ? 1 : 0);
		}
	} else {
		dirs[n++] = xstrdup(PROVIDERDIR);
	}
	dirs[n] = NULL;
	/* the same directory twice (KATO_PROVIDER_PATH naming the build
	 * tree's plugins, say) is searched once */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char *ri = realpath(dirs[i], NULL);
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++) {
			char *rj = realpath(dirs[j], NULL);
			dup = !strcmp(ri ? ri : dirs[i], rj ? rj : dirs[j]);
			free(rj);
		}
		free(ri);
		if (dup)
			free(dirs[i]);
		else
			dirs[k++] = dirs[i];
	}
	dirs[k] = NULL;
	return dirs;
}

bool plugin_running_from_build_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash || (strcmp(slash + 1, "kato") && strcmp(slash + 1, "katod")))
		return false;
	*slash = '\0';
	char *build = realpath(KATO_BUILDDIR, NULL);
	bool same = build && !strcmp(build, exe);
	free(build);
	return same;
}

void plugin_free_path(char **dirs)
{
	if (!dirs)
		return;
	for (char **d = dirs; *d; d++)
		free(*d);
	free(dirs);
}

static int fail(char **why, const char *reason, const char *detail)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, reason);
	if (detail)
		buf_printf(&b, ": %s", detail);
	*why = buf_take(&b);
	return -1;
}

/* Whether a group-writable file or directory is still safe: its group is
 * the user's own private group (named like the user, as Debian and most
 * distributions create it, and the user's primary group), so no one else
 * can write through it. */
static bool private_group(gid_t gid)
{
	if (gid != getgid())
		return false;
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(gid);
	if (!pw || !gr || strcmp(pw->pw_name, gr->gr_name))
		return false;
	/* nobody else listed as a member */
	for (char **m = gr->gr_mem; m && *m; m++)
		if (strcmp(*m, pw->pw_name))
			return false;
	return true;
}

/* Why st (the plugin file, or with is_dir its directory) could be changed
 * by someone other than this user or root, with the fix; NULL if it
 * cannot. */
static char *unsafe_reason(const char *path, const struct stat *st, bool is_dir)
{
	struct buf b = BUF_INIT;
	const char *what = is_dir ? "its directory" : "the file";
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		struct passwd *pw = getpwuid(geteuid());
		buf_printf(&b, "%s %s is owned by uid %u, not by you or root, refusing to load (fix: "
			   "chown %s %s, or remove it)", what, path, (unsigned)st->st_uid,
			   pw ? pw->pw_name : "$USER", path);
	} else if (st->st_mode & S_IWOTH) {
		buf_printf(&b, "%s %s is world-writable: anyone could replace the plugin, refusing to "
			   "load (fix: chmod o-w %s)", what, path, path);
	} else if ((st->st_mode & S_IWGRP) && !private_group(st->st_gid)) {
		struct group *gr = getgrgid(st->st_gid);
		buf_printf(&b, "%s %s is writable by group %s: its members could replace the plugin, "
			   "refusing to load (fix: chmod g-w %s)", what, path,
			   gr ? gr->gr_name : "?", path);
	} else {
		return NULL;
	}
	return buf_take(&b);
}

char *plugin_dir_unsafe(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL; /* nothing is loaded from it */
	return unsafe_reason(dir, &st, true);
}

static int name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

int plugin_load(const char *path, struct plugin *out, char **why)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return fail(why, "cannot stat", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(why, S_ISLNK(st.st_mode) ? "a symlink (providers are loaded only from regular files)" : "not a regular file", NULL);
	char *unsafe = unsafe_reason(path, &st, false);
	if (!unsafe) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			unsafe = plugin_dir_unsafe(slash == dir ? "/" : dir);
		} else {
			unsafe = plugin_dir_unsafe(".");
		}
		free(dir);
	}
	if (unsafe) {
		*why = unsafe;
		return -1;
	}

	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return fail(why, "dlopen failed (check its dependencies with ldd)", dlerror());
	kato_provider_get_desc_fn get;
	*(void **)&get = dlsym(h, KATO_PROVIDER_SYMBOL);
	if (!get) {
		dlclose(h);
		return fail(why, "no " KATO_PROVIDER_SYMBOL " symbol: not a kato provider", NULL);
	}
	const struct kato_provider_desc *d = get();
	char msg[160];
	if (!d) {
		dlclose(h);
		return fail(why, KATO_PROVIDER_SYMBOL " returned NULL", NULL);
	}
	if (d->abi_major != KATO_PROVIDER_ABI_MAJOR || d->abi_minor > KATO_PROVIDER_ABI_MINOR) {
		snprintf(msg, sizeof msg, "built for provider ABI %u.%u, this kato supports %d.0-%d.%d",
			 d->abi_major, d->abi_minor, KATO_PROVIDER_ABI_MAJOR,
			 KATO_PROVIDER_ABI_MAJOR, KATO_PROVIDER_ABI_MINOR);
		dlclose(h);
		return fail(why, msg, NULL);
	}
	if (d->struct_size < offsetof(struct kato_provider_desc, close_file) + sizeof d->close_file) {
		dlclose(h);
		return fail(why, "descriptor too small for provider ABI 1.0", NULL);
	}
	if (!name_ok(d->name)) {
		dlclose(h);
		return fail(why, "invalid provider name (want [a-z0-9_-]{1,32})", NULL);
	}
	if (!d->match_path || !d->open_file || !d->close_file || !(d->parse_line || d->parse_document)) {
		dlclose(h);
		return fail(why, "descriptor lacks match_path, open_file, close_file or a parser", NULL);
	}
	out->path = xstrdup(path);
	out->desc = d;
	out->handle = h;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_error(struct plugin_set *set, const char *path, const char *why)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s: %s", path, why);
	log_warn("provider %s skipped: %s", path, why);
	set->errors = xrealloc(set->errors, (set->nerrors + 1) * sizeof *set->errors);
	set->errors[set->nerrors++] = buf_take(&b);
}

static void load_dir(struct plugin_set *set, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 3 && !strcmp(e->d_name + len - 3, ".so")) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (n) /* qsort's first argument must not be NULL, even for 0 items */
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/%s", dir, names[i]);
		struct plugin p;
		char *why = NULL;
		if (plugin_load(path.p, &p, &why) < 0) {
			add_error(set, path.p, why);
		} else if (plugin_find(set, p.desc->name)) {
			struct buf w = BUF_INIT;
			buf_printf(&w, "provider name '%s' already loaded from %s", p.desc->name,
				   plugin_find(set, p.desc->name)->path);
			add_error(set, path.p, w.p);
			buf_free(&w);
			free(p.path);
			/* not initialised yet: safe to unload */
			dlclose(p.handle);
		} else {
			set->v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
			set->v[set->n++] = p;
			log_debug("provider %s %s loaded from %s", p.desc->name,
				  p.desc->version ? p.desc->version : "?", p.path);
		}
		free(why);
		buf_free(&path);
		free(names[i]);
	}
	free(names);
}

void plugin_load_dirs(struct plugin_set *set, char *const *dirs)
{
	for (size_t i = 0; dirs[i]; i++)
		load_dir(set, dirs[i]);
}

void plugin_load_all(struct plugin_set *set)
{
	char **dirs = plugin_search_path();
	plugin_load_dirs(set, dirs);
	plugin_free_path(dirs);
}

const struct plugin *plugin_find(const struct plugin_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].desc->name, name))
			return &set->v[i];
	return NULL;
}

const struct plugin *plugin_for_path(const struct plugin_set *set, const char *path,
				     enum kato_feed *feed)
{
	const struct plugin *weak = NULL;
	enum kato_feed weak_feed = KATO_FEED_NONE;
	for (size_t i = 0; i < set->n; i++) {
		enum kato_feed f = set->v[i].desc->match_path(path);
		if (KATO_FEED_MODE(f) == KATO_FEED_NONE)
			continue;
		if (!(f & KATO_FEED_WEAK)) {
			*feed = KATO_FEED_MODE(f);
			return &set->v[i];
		}
		if (!weak) {
			weak = &set->v[i];
			weak_feed = KATO_FEED_MODE(f);
		}
	}
	*feed = weak_feed;
	return weak;
}

bool plugin_has_probe(const struct plugin *p)
{
	const struct kato_provider_desc *d = p->desc;
	return d->abi_minor >= 2 && KATO_HAS_FIELD(d, struct kato_provider_desc, probe) && d->probe;
}

enum kato_probe plugin_probe(const struct plugin *p, const char *head, size_t len, enum kato_feed *feed)
{
	const struct kato_provider_desc *d = p->desc;
	if (!plugin_has_probe(p))
		return KATO_PROBE_NO;
	enum kato_feed f = KATO_FEED_NONE;
	enum kato_probe r = d->probe(head, len > KATO_PROBE_BYTES ? KATO_PROBE_BYTES : len, &f);
	if (r == KATO_PROBE_NO || (r != KATO_PROBE_MAYBE && r != KATO_PROBE_SURE))
		return KATO_PROBE_NO;
	f = KATO_FEED_MODE(f);
	if (!((f == KATO_FEED_LINES && d->parse_line) || (f == KATO_FEED_DOCUMENT && d->parse_document)))
		return KATO_PROBE_NO;
	*feed = f;
	return r;
}

void plugin_set_free(struct plugin_set *set)
{
	/* Plugins stay mapped: their code may still be referenced. */
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].path);
	for (size_t i = 0; i < set->nerrors; i++)
		free(set->errors[i]);
	free(set->v);
	free(set->errors);
	memset(set, 0, sizeof *set);
}
