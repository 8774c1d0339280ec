/* SPDX-License-Identifier: Apache-2.0 */
/* kato doctor and kato init: check that kato can do its job on this
 * machine, and write the commented default configuration.
 *
 * doctor checks, in order: the configuration (the parser's own message),
 * the provider plugins (load errors, including plugins someone else could
 * replace), each provider root (present or missing), the inotify limits
 * against what the roots need, the store (PRAGMA quick_check, read-only),
 * and the providers' own retention settings that delete logs, compared with
 * the store's file cursors. It reads only: it never writes the store or a
 * provider's files. Exit 0 when healthy, 1 with one line per problem, each
 * naming the fix.
 *
 * Retention facts (checked against the providers' sources):
 *  - Claude Code deletes transcripts whose last activity (mtime) is older
 *    than cleanupPeriodDays (settings.json; default 30) when it starts.
 *    0 makes it keep no transcripts at all. Managed settings
 *    (/etc/claude-code/managed-settings.json) win over the user's.
 *  - Gemini CLI (general.sessionRetention in ~/.gemini/settings.json:
 *    enabled, default true; maxAge, default "30d"; maxCount; minRetention,
 *    default "1d") deletes a project's chats older than maxAge, and beyond
 *    the newest maxCount, when it starts in that project.
 *  - Codex CLI deletes nothing. With [features]
 *    local_thread_store_compression = true in $CODEX_HOME/config.toml it
 *    rewrites rollouts idle for 7 days as .jsonl.zst, which kato reads
 *    too (the session keeps its identity), so nothing is lost.
 */
#include "autoconfig.h"

#include "kato_doctor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "plugin.h"
#include "status.h"
#include "store.h"

#define DAY_MS (24LL * 60 * 60 * 1000)
/* A file deleted within this long counts as "about to be deleted". */
#define SOON_MS (7 * DAY_MS)
/* Retention periods longer than this many days count as "never". */
#define MAX_DAYS 1000000
/* Deepest directory level counted (watch.c stops there too). */
#define MAX_DEPTH 32

const char doctor_help[] =
	"Usage: kato doctor [--json]\n"
	"\n"
	"Check that kato can do its job here: the configuration, the provider\n"
	"plugins (load errors, plugins others could replace), each provider root\n"
	"(present or missing; a missing one is followed as soon as it is created),\n"
	"the inotify limits against the directories the roots need, the store\n"
	"(PRAGMA quick_check, read-only), and the providers' own retention\n"
	"settings that delete logs kato may not have stored yet (Claude Code\n"
	"cleanupPeriodDays, Gemini CLI general.sessionRetention, Codex\n"
	"compression). It only reads.\n"
	"\n"
	"Exit status 0 when healthy; 1 with one line per problem (\"problem: ...\"),\n"
	"each naming the fix.\n"
	"\n"
	"  --json       one JSON object (stable keys, null where unknown)\n"
	"  -h, --help   show this help\n";

const char init_help[] =
	"Usage: kato init [--config FILE]\n"
	"\n"
	"Write the commented default configuration to $XDG_CONFIG_HOME/kato/config.yaml\n"
	"(or $KATO_HOME/config.yaml, $KATO_CONFIG_PATH, or FILE): every key kato\n"
	"knows, each with its default and what it does (see kato-config(5)). An\n"
	"existing file is never overwritten: move it away first to get a fresh one.\n"
	"\n"
	"  -c, --config FILE  write FILE instead\n"
	"  -h, --help         show this help\n";

static int usage(const char *help, const char *what, const char *arg)
{
	fprintf(stderr, "kato: %s%s%s\n\n%s", what, arg ? ": " : "", arg ? arg : "", help);
	return 2;
}

/* ---------------------------------------------------------------- init */

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *file = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'h': fputs(init_help, stdout); return 0;
		default: return usage(init_help, "invalid option for init", NULL);
		}
	}
	if (optind < argc)
		return usage(init_help, "unexpected argument", argv[optind]);
	char *path = file ? paths_expand_home(file) : config_default_path();
	char *err = NULL;
	int rc = config_write_default(path, &err);
	if (rc == 1) {
		fprintf(stderr, "kato: %s already exists; kato init never overwrites it. Move it away "
			"(mv %s %s.old) and run kato init again for a fresh commented default\n",
			path, path, path);
	} else if (rc < 0) {
		fprintf(stderr, "kato: cannot write the configuration: %s\n", err);
	} else {
		printf("wrote the default configuration to %s\n"
		       "(every key with its default, commented; see kato-config(5)). Add the directories\n"
		       "your notes go to under allowedWriteRoots, then: kill -HUP $(pidof katod), or\n"
		       "systemctl --user reload katod\n", path);
	}
	free(err);
	free(path);
	return rc == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- doctor */

struct problem {
	char *check, *message, *fix;
};

struct doctor {
	bool json;
	struct buf text;  /* the human report */
	struct buf js;    /* the JSON object, being built */
	struct problem *problems;
	size_t nproblems;
	struct store *store; /* NULL: no store (or unreadable) */
	sqlite3 *db;         /* the same, for the file cursors; NULL: none */
	sqlite3_stmt *file_q;
	int64_t now_ms;
};

static void problem(struct doctor *d, const char *check, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void problem(struct doctor *d, const char *check, const char *fix, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->problems = xrealloc(d->problems, (d->nproblems + 1) * sizeof *d->problems);
	d->problems[d->nproblems++] = (struct problem){xstrdup(check), buf_take(&b), xstrdup(fix)};
}

static void js_str_or_null(struct buf *b, const char *s)
{
	if (s)
		json_add_str(b, s);
	else
		buf_adds(b, "null");
}

static void js_int_or_null(struct buf *b, long long v, bool known)
{
	if (known)
		buf_printf(b, "%lld", v);
	else
		buf_adds(b, "null");
}

static char *fmt_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[40];
	strftime(s, sizeof s, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
	return xstrdup(s);
}

/* --------------------------------------------------------- config */

static void check_config(struct doctor *d, struct kato_config *cfg)
{
	char *path = config_default_path();
	char *err = NULL;
	struct stat st;
	bool exists = stat(path, &st) == 0;
	int rc = config_load(path, cfg, &err);
	buf_printf(&d->text, "config     %s: %s\n", path,
		   rc < 0 ? "INVALID" : exists ? "ok" : "not found, all defaults (kato init writes a commented one)");
	buf_adds(&d->js, "\"config\":{\"path\":");
	json_add_str(&d->js, path);
	buf_printf(&d->js, ",\"exists\":%s,\"error\":", exists ? "true" : "false");
	js_str_or_null(&d->js, rc < 0 ? err : NULL);
	buf_adds(&d->js, "}");
	if (rc < 0) {
		problem(d, "config", "correct that line; kato-config(5) lists every key",
			"the configuration is invalid: %s", err);
		config_defaults(cfg);
	}
	free(err);
	free(path);
}

/* --------------------------------------------------------- plugins */

static void check_plugins(struct doctor *d, struct plugin_set *set)
{
	int saved = log_get_level();
	log_set_level(LOG_ERROR + 1); /* listed below, not logged */
	plugin_load_all(set);
	log_set_level(saved);
	buf_printf(&d->text, "plugins    %zu loaded:", set->n);
	buf_adds(&d->js, ",\"plugins\":{\"loaded\":[");
	for (size_t i = 0; i < set->n; i++) {
		const struct kato_provider_desc *p = set->v[i].desc;
		buf_printf(&d->text, " %s %s", p->name, p->version ? p->version : "?");
		buf_adds(&d->js, i ? ",{\"name\":" : "{\"name\":");
		json_add_str(&d->js, p->name);
		buf_adds(&d->js, ",\"version\":");
		js_str_or_null(&d->js, p->version);
		buf_adds(&d->js, ",\"path\":");
		json_add_str(&d->js, set->v[i].path);
		buf_adds(&d->js, "}");
	}
	buf_adds(&d->text, set->n ? "\n" : " none\n");
	buf_adds(&d->js, "],\"errors\":[");
	for (size_t i = 0; i < set->nerrors; i++) {
		buf_printf(&d->text, "           not loaded: %s\n", set->errors[i]);
		if (i)
			buf_addc(&d->js, ',');
		json_add_str(&d->js, set->errors[i]);
		problem(d, "plugins", "as the message says, or remove that file (kato providers lists load errors)",
			"a provider plugin was not loaded: %s", set->errors[i]);
	}
	buf_adds(&d->js, "]}");
	if (set->n == 0)
		problem(d, "plugins", "install kato's plugins (make install), or set KATO_PROVIDER_PATH",
			"no provider plugins loaded (searched $KATO_PROVIDER_PATH, "
			"$XDG_DATA_HOME/kato/providers, " PROVIDERDIR "): kato reads nothing");
}

/* --------------------------------------------------------- roots */

struct file_info {
	char *path;
	int64_t mtime_ms;
	int64_t size;
};

struct root_info {
	const char *provider;
	char *path;
	bool present;
	int dirs;          /* directories in the tree (inotify watches needed) */
	struct file_info *files;
	size_t nfiles;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct root_info *r, const char *dir, int depth)
{
	if (depth > MAX_DEPTH)
		return;
	r->dirs++;
	DIR *dh = opendir(dir);
	if (!dh)
		return;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	while ((e = readdir(dh))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *p = paths_join(dir, names[i]);
		struct stat st;
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				walk(r, p, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof *r->files);
				r->files[r->nfiles++] = (struct file_info){
					xstrdup(p), (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000,
					(int64_t)st.st_size};
			}
		}
		free(p);
		free(names[i]);
	}
	free(names);
}

static void add_root(struct root_info **v, size_t *n, const char *provider, const char *dir)
{
	char *x = paths_expand(dir);
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*v)[i].path, x)) {
			free(x);
			return;
		}
	}
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	struct root_info *r = &(*v)[(*n)++];
	memset(r, 0, sizeof *r);
	r->provider = provider;
	r->path = x;
}

/* The roots katod watches: the config's, else each plugin's defaults. */
static void list_roots(const struct kato_config *cfg, const struct plugin_set *set, struct root_info **v,
		       size_t *n)
{
	for (size_t i = 0; i < set->n; i++) {
		const char *name = set->v[i].desc->name;
		const struct config_provider_roots *cr = config_roots_for(cfg, name);
		if (cr) {
			for (size_t k = 0; k < cr->n; k++)
				add_root(v, n, name, cr->roots[k]);
			continue;
		}
		const char *s = set->v[i].desc->default_roots ? set->v[i].desc->default_roots : "";
		while (*s) {
			const char *e = strchr(s, '\n');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			if (len) {
				char *one = xstrndup(s, len);
				add_root(v, n, name, one);
				free(one);
			}
			s += len + (e ? 1 : 0);
		}
	}
}

static void check_roots(struct doctor *d, struct root_info *v, size_t n)
{
	buf_adds(&d->js, ",\"roots\":[");
	for (size_t i = 0; i < n; i++) {
		struct root_info *r = &v[i];
		struct stat st;
		const char *error = NULL;
		int src = stat(r->path, &st);
		if (src == 0 && S_ISDIR(st.st_mode)) {
			if (access(r->path, R_OK | X_OK) < 0) {
				error = "not readable";
				problem(d, "roots", "give yourself read access (chmod u+rx) or remove it from "
					"providerSessionRoots", "%s root %s is not readable: kato cannot see its "
					"sessions", r->provider, r->path);
			} else {
				r->present = true;
				walk(r, r->path, 0);
			}
		} else if (src == 0) {
			error = "not a directory";
			problem(d, "roots", "move that file away, or fix providerSessionRoots",
				"%s root %s is not a directory", r->provider, r->path);
		} else if (errno != ENOENT && errno != ENOTDIR) {
			error = strerror(errno);
			problem(d, "roots", "give yourself access to it, or fix providerSessionRoots",
				"%s root %s cannot be examined: %s", r->provider, r->path, error);
		}
		buf_printf(&d->text, "%s %-6s %s: ", i ? "          " : "roots     ", r->provider, r->path);
		if (r->present)
			buf_printf(&d->text, "present, %d director%s, %zu file%s\n", r->dirs, r->dirs == 1 ? "y" : "ies",
				   r->nfiles, r->nfiles == 1 ? "" : "s");
		else if (error)
			buf_printf(&d->text, "%s\n", error);
		else
			buf_adds(&d->text, "missing (katod follows it as soon as it is created)\n");
		buf_adds(&d->js, i ? ",{\"provider\":" : "{\"provider\":");
		json_add_str(&d->js, r->provider);
		buf_adds(&d->js, ",\"path\":");
		json_add_str(&d->js, r->path);
		buf_printf(&d->js, ",\"present\":%s,\"directories\":", r->present ? "true" : "false");
		js_int_or_null(&d->js, r->dirs, r->present);
		buf_adds(&d->js, ",\"files\":");
		js_int_or_null(&d->js, (long long)r->nfiles, r->present);
		buf_adds(&d->js, ",\"error\":");
		js_str_or_null(&d->js, error);
		buf_adds(&d->js, "}");
	}
	if (n == 0)
		buf_adds(&d->text, "roots      none\n");
	buf_adds(&d->js, "]");
}

/* --------------------------------------------------------- inotify */

static bool read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fscanf(f, "%ld", v) == 1;
	fclose(f);
	return ok;
}

/* inotify instances and watches held by this user's processes (those
 * whose /proc entries we can read), and by katod alone. */
static void inotify_usage(long katod, long *instances, long *watches, long *katod_watches)
{
	*instances = *watches = *katod_watches = 0;
	DIR *proc = opendir("/proc");
	if (!proc)
		return;
	struct dirent *e;
	while ((e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64];
		struct stat st;
		snprintf(path, sizeof path, "/proc/%ld", pid);
		if (stat(path, &st) < 0 || st.st_uid != getuid())
			continue;
		snprintf(path, sizeof path, "/proc/%ld/fd", pid);
		DIR *fds = opendir(path);
		if (!fds)
			continue;
		struct dirent *f;
		while ((f = readdir(fds))) {
			char link[PATH_MAX], target[64];
			snprintf(link, sizeof link, "/proc/%ld/fd/%s", pid, f->d_name);
			ssize_t n = readlink(link, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "anon_inode:inotify"))
				continue;
			(*instances)++;
			snprintf(link, sizeof link, "/proc/%ld/fdinfo/%s", pid, f->d_name);
			FILE *fi = fopen(link, "re");
			if (!fi)
				continue;
			char line[512];
			while (fgets(line, sizeof line, fi)) {
				if (!strncmp(line, "inotify wd:", 11)) {
					(*watches)++;
					if (pid == katod)
						(*katod_watches)++;
				}
			}
			fclose(fi);
		}
		closedir(fds);
	}
	closedir(proc);
}

static void check_inotify(struct doctor *d, const struct root_info *v, size_t n)
{
	long max_watches = 0, max_instances = 0;
	bool have_w = read_long("/proc/sys/fs/inotify/max_user_watches", &max_watches);
	bool have_i = read_long("/proc/sys/fs/inotify/max_user_instances", &max_instances);
	long needed = 0;
	for (size_t i = 0; i < n; i++)
		needed += v[i].present ? v[i].dirs : 1; /* a missing root: one watch on an ancestor */
	long katod = status_katod_pid();
	long instances, watches, katod_watches;
	inotify_usage(katod, &instances, &watches, &katod_watches);
	long others = watches - katod_watches;
	buf_printf(&d->text, "inotify    watches: katod needs %ld (one per directory), others use %ld, limit ",
		   needed, others);
	if (have_w)
		buf_printf(&d->text, "%ld", max_watches);
	else
		buf_adds(&d->text, "unknown");
	buf_printf(&d->text, "; instances: %ld in use, limit ", instances);
	if (have_i)
		buf_printf(&d->text, "%ld\n", max_instances);
	else
		buf_adds(&d->text, "unknown\n");
	buf_adds(&d->js, ",\"inotify\":{\"maxUserWatches\":");
	js_int_or_null(&d->js, max_watches, have_w);
	buf_adds(&d->js, ",\"maxUserInstances\":");
	js_int_or_null(&d->js, max_instances, have_i);
	buf_printf(&d->js, ",\"watchesNeeded\":%ld,\"watchesInUseByOthers\":%ld,\"instancesInUse\":%ld}",
		   needed, others, instances);
	if (have_w && needed + others > max_watches) {
		problem(d, "inotify",
			"raise it: sudo sysctl fs.inotify.max_user_watches=524288 and persist it in /etc/sysctl.d/",
			"the inotify watch limit is too low: katod needs %ld watches and other programs use %ld, "
			"but fs.inotify.max_user_watches is %ld (directories over the limit are re-scanned every "
			"10 s instead of followed at once)", needed, others, max_watches);
	}
	if (have_i && !katod && instances >= max_instances)
		problem(d, "inotify",
			"raise it: sudo sysctl fs.inotify.max_user_instances=1024 and persist it in /etc/sysctl.d/",
			"every inotify instance is in use (%ld of fs.inotify.max_user_instances %ld): katod "
			"cannot start its watcher", instances, max_instances);
}

/* --------------------------------------------------------- store */

static void check_store(struct doctor *d)
{
	char *path = paths_db_file();
	struct stat st;
	bool exists = stat(path, &st) == 0;
	char *integrity = NULL;
	int64_t ns = 0, ne = 0, nf = 0;
	bool counted = false;
	if (exists) {
		sqlite3 *db = NULL;
		int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(db, 5000);
			sqlite3_stmt *q = NULL;
			struct buf r = BUF_INIT;
			rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &q, NULL);
			while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
				const char *row = (const char *)sqlite3_column_text(q, 0);
				if (r.len)
					buf_adds(&r, "; ");
				buf_adds(&r, row ? row : "?");
			}
			if (rc != SQLITE_OK || sqlite3_finalize(q) != SQLITE_OK) {
				buf_reset(&r);
				buf_adds(&r, sqlite3_errmsg(db));
			}
			integrity = buf_take(&r);
		} else {
			integrity = xstrdup(db ? sqlite3_errmsg(db) : "cannot open");
		}
		sqlite3_close(db);
		char *err = NULL;
		if (!strcmp(integrity, "ok") && store_open(path, true, &d->store, &err) == 0)
			counted = store_totals(d->store, &ns, &ne, &nf) == 0;
		free(err);
		if (counted && sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
			sqlite3_busy_timeout(d->db, 5000);
			if (sqlite3_prepare_v2(d->db, "SELECT offset FROM files WHERE path=?1", -1, &d->file_q,
					       NULL) != SQLITE_OK)
				d->file_q = NULL;
		}
	}
	buf_printf(&d->text, "store      %s: ", path);
	if (!exists)
		buf_adds(&d->text, "not created yet (katod creates it)\n");
	else if (!strcmp(integrity, "ok"))
		buf_printf(&d->text, "ok (quick_check), %lld session(s), %lld event(s), %lld file(s)\n",
			   (long long)ns, (long long)ne, (long long)nf);
	else
		buf_printf(&d->text, "DAMAGED: %s\n", integrity);
	buf_adds(&d->js, ",\"store\":{\"path\":");
	json_add_str(&d->js, path);
	buf_printf(&d->js, ",\"exists\":%s,\"integrity\":", exists ? "true" : "false");
	js_str_or_null(&d->js, integrity);
	buf_adds(&d->js, ",\"sessions\":");
	js_int_or_null(&d->js, ns, counted);
	buf_adds(&d->js, ",\"events\":");
	js_int_or_null(&d->js, ne, counted);
	buf_adds(&d->js, ",\"files\":");
	js_int_or_null(&d->js, nf, counted);
	buf_adds(&d->js, "}");
	if (exists && strcmp(integrity, "ok"))
		problem(d, "store",
			"stop katod, keep a copy of the store, then: sqlite3 kato.db '.recover' | sqlite3 new.db "
			"(or move it away: katod re-reads the providers' files that still exist)",
			"the store %s fails its integrity check: %s", path, integrity);
	free(integrity);
	free(path);
}

/* --------------------------------------------------------- retention */

/* Whether the store holds all of file f (its cursor reached its size). */
static bool stored(struct doctor *d, const struct file_info *f)
{
	if (!d->file_q)
		return false;
	sqlite3_reset(d->file_q);
	sqlite3_bind_text(d->file_q, 1, f->path, -1, SQLITE_TRANSIENT);
	bool all = sqlite3_step(d->file_q) == SQLITE_ROW && sqlite3_column_int64(d->file_q, 0) >= f->size;
	sqlite3_reset(d->file_q);
	return all;
}

/* A small regular file's text (malloc'd, NUL-terminated), or NULL: never
 * blocks on a FIFO or device, never follows a final symlink into one. */
static char *read_small_file(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	struct buf b = BUF_INIT;
	char tmp[8192];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0 && b.len <= max)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	if (n < 0 || b.len > max) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static json_object *read_json(const char *path)
{
	char *s = read_small_file(path, 8 << 20);
	if (!s)
		return NULL;
	json_object *o = json_tokener_parse(s);
	free(s);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* The value at a dotted key path, or NULL. */
static json_object *json_at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, b, &v)))
		return NULL;
	return v;
}

struct retention {
	const char *provider;
	char *setting;     /* e.g. "cleanupPeriodDays 30 (default)" */
	char *source;      /* the settings file read, NULL if none */
	bool deletes;      /* the provider deletes logs with this setting */
	char *what;        /* one sentence: what is deleted when */
	long due, due_unstored; /* files past (or within SOON_MS of) deletion; of them, not stored */
	int64_t next_ms;   /* the next deletion among the unstored ones, 0 none */
	char *next_path;
};

static void retention_files(struct doctor *d, struct retention *rt, const struct root_info *v, size_t n,
			    int64_t keep_ms, bool (*match)(const char *path))
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].provider, rt->provider))
			continue;
		for (size_t k = 0; k < v[i].nfiles; k++) {
			const struct file_info *f = &v[i].files[k];
			if (match && !match(f->path))
				continue;
			int64_t at = f->mtime_ms + keep_ms;
			if (at > d->now_ms + SOON_MS)
				continue;
			rt->due++;
			if (stored(d, f))
				continue;
			rt->due_unstored++;
			if (!rt->next_ms || at < rt->next_ms) {
				rt->next_ms = at;
				free(rt->next_path);
				rt->next_path = xstrdup(f->path);
			}
		}
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static bool claude_file(const char *path)
{
	return ends_with(path, ".jsonl");
}

static bool gemini_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "session-", 8) && (ends_with(base, ".json") || ends_with(base, ".jsonl"));
}

static void retention_claude(struct doctor *d, struct retention *rt, const struct root_info *v, size_t n)
{
	const char *cd = getenv("CLAUDE_CONFIG_DIR");
	char *home = cd && *cd ? xstrdup(cd) : paths_expand_home("~/.claude");
	char *user = paths_join(home, "settings.json");
	free(home);
	const char *managed = "/etc/claude-code/managed-settings.json";
	json_object *mo = read_json(managed), *uo = read_json(user);
	json_object *val = json_at(mo, "cleanupPeriodDays", NULL);
	const char *src = val ? managed : NULL;
	if (!val && (val = json_at(uo, "cleanupPeriodDays", NULL)))
		src = user;
	double days = 30;
	bool set = val && (json_object_is_type(val, json_type_int) || json_object_is_type(val, json_type_double));
	if (set) {
		days = json_object_get_double(val);
		if (!isfinite(days) || days < 0) {
			days = 30; /* not a period Claude Code would use either */
			set = false;
		} else if (days > MAX_DAYS) {
			days = MAX_DAYS; /* effectively never */
		}
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "cleanupPeriodDays %g%s", days, set ? "" : " (the default)");
	rt->setting = buf_take(&b);
	rt->source = xstrdup(src ? src : user);
	if (days <= 0) {
		rt->deletes = true;
		rt->what = xstrdup("Claude Code keeps no transcripts at all with cleanupPeriodDays 0: kato sees "
				   "nothing of your conversations");
		problem(d, "retention", "set cleanupPeriodDays to a large number (e.g. 99999) in Claude Code's "
			"settings.json", "Claude Code cleanupPeriodDays is 0 (%s): it keeps no transcripts, so "
			"kato records nothing", rt->source);
	} else {
		rt->deletes = true;
		b = (struct buf)BUF_INIT;
		buf_printf(&b, "Claude Code deletes transcripts idle for %g days (by modification time) each "
			   "time it starts", days);
		rt->what = buf_take(&b);
		retention_files(d, rt, v, n, (int64_t)(days * DAY_MS), claude_file);
	}
	if (mo)
		json_object_put(mo);
	if (uo)
		json_object_put(uo);
	free(user);
}

/* "30d", "24h", "2w", "1m" (30 days) in ms; -1 if invalid */
static int64_t gemini_period(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || v <= 0 || !*end || end[1] || errno)
		return -1;
	if (v > MAX_DAYS)
		v = MAX_DAYS; /* effectively never; no overflow below */
	switch (*end) {
	case 'h': return v * 3600000LL;
	case 'd': return v * DAY_MS;
	case 'w': return v * 7 * DAY_MS;
	case 'm': return v * 30 * DAY_MS;
	}
	return -1;
}

static void retention_gemini(struct doctor *d, struct retention *rt, const struct root_info *v, size_t n)
{
	char *path = paths_expand_home("~/.gemini/settings.json");
	json_object *o = read_json(path);
	json_object *sr = json_at(o, "general", "sessionRetention");
	json_object *en = sr ? json_at(sr, "enabled", NULL) : NULL;
	json_object *age = sr ? json_at(sr, "maxAge", NULL) : NULL;
	json_object *cnt = sr ? json_at(sr, "maxCount", NULL) : NULL;
	bool enabled = en ? json_object_get_boolean(en) : true;
	const char *max_age = age && json_object_is_type(age, json_type_string) ? json_object_get_string(age) : "30d";
	long max_count = cnt && json_object_is_type(cnt, json_type_int) ? (long)json_object_get_int64(cnt) : 0;
	int64_t keep = gemini_period(max_age);
	struct buf b = BUF_INIT;
	buf_printf(&b, "general.sessionRetention enabled %s%s, maxAge %s%s", enabled ? "true" : "false",
		   en ? "" : " (the default)", max_age, age ? "" : " (the default)");
	if (max_count > 0)
		buf_printf(&b, ", maxCount %ld", max_count);
	rt->setting = buf_take(&b);
	rt->source = path;
	b = (struct buf)BUF_INIT;
	if (!enabled) {
		rt->what = xstrdup("Gemini CLI deletes no chats (session retention is off)");
	} else {
		rt->deletes = keep > 0 || max_count > 0;
		if (keep > 0)
			buf_printf(&b, "Gemini CLI deletes a project's chats older than %s", max_age);
		if (max_count > 0)
			buf_printf(&b, "%s beyond the newest %ld", keep > 0 ? ", and those" : "Gemini CLI deletes a "
				   "project's chats", max_count);
		buf_adds(&b, rt->deletes ? " when it starts in that project" : "Gemini CLI deletes no chats "
			 "(its retention setting is invalid, so it is off)");
		rt->what = buf_take(&b);
		if (keep > 0)
			retention_files(d, rt, v, n, keep, gemini_file);
		if (max_count > 0) {
			/* per chats directory: all but the newest max_count */
			for (size_t i = 0; i < n; i++) {
				if (strcmp(v[i].provider, "gemini"))
					continue;
				for (size_t k = 0; k < v[i].nfiles; k++) {
					const struct file_info *f = &v[i].files[k];
					if (!gemini_file(f->path))
						continue;
					const char *slash = strrchr(f->path, '/');
					size_t dl = (size_t)(slash - f->path);
					long newer = 0;
					for (size_t j = 0; j < v[i].nfiles; j++) {
						const struct file_info *g = &v[i].files[j];
						if (j != k && gemini_file(g->path) && !strncmp(g->path, f->path, dl) &&
						    g->path[dl] == '/' && !strchr(g->path + dl + 1, '/') &&
						    g->mtime_ms > f->mtime_ms)
							newer++;
					}
					if (newer < max_count || (keep > 0 && f->mtime_ms + keep <= d->now_ms + SOON_MS))
						continue; /* kept, or counted above already */
					rt->due++;
					if (stored(d, f))
						continue;
					rt->due_unstored++;
					if (!rt->next_ms || d->now_ms < rt->next_ms) {
						rt->next_ms = d->now_ms;
						free(rt->next_path);
						rt->next_path = xstrdup(f->path);
					}
				}
			}
		}
	}
	if (o)
		json_object_put(o);
}

static void retention_codex(struct doctor *d, struct retention *rt)
{
	(void)d;
	const char *ch = getenv("CODEX_HOME");
	char *home = ch && *ch ? xstrdup(ch) : paths_expand_home("~/.codex");
	char *path = paths_join(home, "config.toml");
	free(home);
	bool compress = false;
	char *text = read_small_file(path, 8 << 20);
	char section[256] = "";
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		char *hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		if (*p == '[') {
			char *e = strchr(p, ']');
			snprintf(section, sizeof section, "%.*s", e ? (int)(e - p - 1) : 0, p + 1);
			continue;
		}
		char key[256], val[64];
		if (sscanf(p, " %255[A-Za-z0-9_.\"] = %63s", key, val) != 2)
			continue;
		bool in_features = !strcmp(section, "features") && !strcmp(key, "local_thread_store_compression");
		bool dotted = !strcmp(key, "features.local_thread_store_compression");
		if ((in_features || dotted) && !strcmp(val, "true"))
			compress = true;
	}
	free(text);
	rt->source = path;
	rt->setting = xstrdup(compress ? "[features] local_thread_store_compression = true"
				       : "[features] local_thread_store_compression off (the default)");
	rt->what = xstrdup(compress ? "Codex deletes no sessions; it rewrites rollouts idle for 7 days as "
				      ".jsonl.zst, which kato reads too (nothing is lost)"
				    : "Codex deletes no sessions (archiving moves them to archived_sessions, "
				      "which kato watches too)");
}

static void check_retention(struct doctor *d, const struct root_info *v, size_t n, const struct plugin_set *set)
{
	struct retention rts[3];
	size_t nrt = 0;
	memset(rts, 0, sizeof rts);
	if (plugin_find(set, "claude")) {
		rts[nrt].provider = "claude";
		retention_claude(d, &rts[nrt++], v, n);
	}
	if (plugin_find(set, "codex")) {
		rts[nrt].provider = "codex";
		retention_codex(d, &rts[nrt++]);
	}
	if (plugin_find(set, "gemini")) {
		rts[nrt].provider = "gemini";
		retention_gemini(d, &rts[nrt++], v, n);
	}
	buf_adds(&d->js, ",\"retention\":[");
	for (size_t i = 0; i < nrt; i++) {
		struct retention *rt = &rts[i];
		struct stat sst;
		bool have = rt->source && stat(rt->source, &sst) == 0;
		buf_printf(&d->text, "%s %-6s %s (%s%s):\n           %s.\n", i ? "          " : "retention ",
			   rt->provider, rt->setting, have ? "from " : "no ", rt->source ? rt->source : "file",
			   rt->what);
		if (rt->due)
			buf_printf(&d->text, "           %ld file%s deleted now or within 7 days: %s.\n", rt->due,
				   rt->due == 1 ? " is" : "s are",
				   rt->due_unstored ? "NOT all stored by kato yet" : "kato has stored all of them");
		char *when = rt->next_ms ? fmt_time(rt->next_ms) : NULL;
		if (rt->due_unstored) {
			buf_printf(&d->text, "           first unstored: %s (%s)\n", rt->next_path,
				   rt->next_ms <= d->now_ms ? "the next time it starts" : when);
			problem(d, "retention",
				"start katod now (kato start) so it stores them first; "
				"or raise the provider's retention setting",
				"%s will delete %ld session file%s kato has not stored yet (%s; first: %s)",
				rt->provider, rt->due_unstored, rt->due_unstored == 1 ? "" : "s", rt->setting,
				rt->next_path);
		}
		buf_adds(&d->js, i ? ",{\"provider\":" : "{\"provider\":");
		json_add_str(&d->js, rt->provider);
		buf_adds(&d->js, ",\"setting\":");
		json_add_str(&d->js, rt->setting);
		buf_adds(&d->js, ",\"source\":");
		js_str_or_null(&d->js, rt->source);
		buf_printf(&d->js, ",\"deletes\":%s,\"description\":", rt->deletes ? "true" : "false");
		json_add_str(&d->js, rt->what);
		buf_printf(&d->js, ",\"filesDue\":%ld,\"filesDueNotStored\":%ld,\"firstNotStored\":", rt->due,
			   rt->due_unstored);
		if (rt->next_path) {
			buf_adds(&d->js, "{\"path\":");
			json_add_str(&d->js, rt->next_path);
			buf_adds(&d->js, ",\"deletedAt\":");
			if (rt->next_ms > d->now_ms)
				json_add_str(&d->js, when);
			else
				buf_adds(&d->js, "\"next start\"");
			buf_adds(&d->js, "}");
		} else {
			buf_adds(&d->js, "null");
		}
		buf_adds(&d->js, "}");
		free(when);
		free(rt->setting);
		free(rt->source);
		free(rt->what);
		free(rt->next_path);
	}
	buf_adds(&d->js, "]");
	if (nrt)
		buf_adds(&d->text, "           kato keeps its own copy of every event it stored: what a provider "
			 "deletes stays in kato (kato export, kato sessions).\n");
}

/* --------------------------------------------------------- main */

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct doctor d = {0};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': d.json = true; break;
		case 'h': fputs(doctor_help, stdout); return 0;
		default: return usage(doctor_help, "invalid option for doctor", NULL);
		}
	}
	if (optind < argc)
		return usage(doctor_help, "unexpected argument", argv[optind]);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	d.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	buf_adds(&d.js, "{");

	struct kato_config cfg;
	check_config(&d, &cfg);
	struct plugin_set set = {0};
	check_plugins(&d, &set);
	struct root_info *roots = NULL;
	size_t nroots = 0;
	list_roots(&cfg, &set, &roots, &nroots);
	check_roots(&d, roots, nroots);
	check_inotify(&d, roots, nroots);
	check_store(&d);
	check_retention(&d, roots, nroots, &set);

	buf_printf(&d.js, ",\"healthy\":%s,\"problems\":[", d.nproblems ? "false" : "true");
	for (size_t i = 0; i < d.nproblems; i++) {
		buf_adds(&d.js, i ? ",{\"check\":" : "{\"check\":");
		json_add_str(&d.js, d.problems[i].check);
		buf_adds(&d.js, ",\"message\":");
		json_add_str(&d.js, d.problems[i].message);
		buf_adds(&d.js, ",\"fix\":");
		json_add_str(&d.js, d.problems[i].fix);
		buf_adds(&d.js, "}");
	}
	buf_adds(&d.js, "]}\n");
	if (d.json) {
		fputs(buf_str(&d.js), stdout);
	} else {
		fputs(buf_str(&d.text), stdout);
		if (!d.nproblems)
			fputs("healthy: no problems found\n", stdout);
		for (size_t i = 0; i < d.nproblems; i++)
			printf("problem: %s; fix: %s\n", d.problems[i].message, d.problems[i].fix);
	}
	int rc = d.nproblems ? 1 : 0;
	for (size_t i = 0; i < d.nproblems; i++) {
		free(d.problems[i].check);
		free(d.problems[i].message);
		free(d.problems[i].fix);
	}
	free(d.problems);
	for (size_t i = 0; i < nroots; i++) {
		for (size_t k = 0; k < roots[i].nfiles; k++)
			free(roots[i].files[k].path);
		free(roots[i].files);
		free(roots[i].path);
	}
	free(roots);
	if (d.store)
		store_close(d.store);
	sqlite3_finalize(d.file_q);
	sqlite3_close(d.db);
	plugin_set_free(&set);
	config_free(&cfg);
	buf_free(&d.text);
	buf_free(&d.js);
	return rc;
}
