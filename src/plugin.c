/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	dirs[n++] = xstrdup(PROVIDERDIR);
	dirs[n] = NULL;
	return dirs;
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
	if (st.st_mode & S_IWOTH)
		return fail(why, "world-writable, refusing to load", NULL);

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
