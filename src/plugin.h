/* SPDX-License-Identifier: Apache-2.0 */
/* plugin: find, load and check provider plugins (.so files). */
#ifndef KATO_PLUGIN_H
#define KATO_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "kato/provider.h"

struct plugin {
	char *path;
	const struct kato_provider_desc *desc;
	void *handle;
};

struct plugin_set {
	struct plugin *v;
	size_t n;
	/* one line per plugin that was skipped: "<file>: <reason>" */
	char **errors;
	size_t nerrors;
};

/* The directories searched, in order, as a malloc'd NULL-terminated array
 * of malloc'd strings: each entry of $KATO_PROVIDER_PATH (colon-separated),
 * $XDG_DATA_HOME/kato/providers (or ~/.local/share/...), then the
 * compiled-in PROVIDERDIR. */
char **plugin_search_path(void);
void plugin_free_path(char **dirs);
/* Whether this process is the kato or katod binary of the build tree it
 * was configured in (/proc/self/exe lies in KATO_BUILDDIR): then the
 * search path ends with the plugins built there instead of PROVIDERDIR. An
 * installed binary never looks in the build tree. */
bool plugin_running_from_build_dir(void);
/* Why nothing should be loaded from directory dir (malloc'd, with the
 * fix), or NULL when it is safe: it must be owned by the user or root and
 * writable by no one else (world-writable, or group-writable by a group
 * other than the user's own private group, is refused). */
char *plugin_dir_unsafe(const char *dir);

/* Load one .so. Returns 0 and fills *out, or -1 with a reason in *why
 * (malloc'd). The file must be a regular file (not a symlink) and, like
 * its directory (plugin_dir_unsafe), owned by the user or root and
 * writable by no one else. Never dlcloses a plugin that passed its checks. */
int plugin_load(const char *path, struct plugin *out, char **why);

/* Load every *.so in the search path, sorted by name within each
 * directory; a provider name seen before is skipped with an error. Each
 * skip is logged as one warning line. */
void plugin_load_all(struct plugin_set *set);
/* Same, for an explicit list of directories. */
void plugin_load_dirs(struct plugin_set *set, char *const *dirs);
const struct plugin *plugin_find(const struct plugin_set *set, const char *name);
/* Which plugin reads `path`, and how; NULL if none. */
const struct plugin *plugin_for_path(const struct plugin_set *set, const char *path,
				     enum kato_feed *feed);
/* Ask p's content probe (ABI 1.2) about a file's first bytes: an enum
 * kato_probe, with *feed set when it is not KATO_PROBE_NO. KATO_PROBE_NO
 * when the plugin has no probe (older ABI, or none given) or answers with
 * a feed mode it cannot parse. */
enum kato_probe plugin_probe(const struct plugin *p, const char *head, size_t len, enum kato_feed *feed);
/* Whether p has a content probe. */
bool plugin_has_probe(const struct plugin *p);
void plugin_set_free(struct plugin_set *set);

#endif
