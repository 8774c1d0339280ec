/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "command.h"
#include "evjson.h"
#include "export.h"
#include "frontmatter.h"
#include "json.h"
#include "log.h"
#include "markdown.h"
#include "paths.h"
#include "pathpolicy.h"
#include "text.h"

/* How much of a file is read to find its frontmatter: HEAD_SMALL first,
 * up to HEAD_MAX when it is longer. */
#define HEAD_SMALL (8 * 1024)
#define HEAD_MAX (256 * 1024)

/* A session with new events, and what ingest said of them
 * (recorder_note_event): when they are every event after the session's
 * command pointer, its pass reads only the messages that may hold a
 * command, not every event back. known false: nothing was said (a retry,
 * a resume, recorder_note): the pass reads every event after the pointer. */
struct note {
	int64_t sid;
	bool known;
	int64_t n, first, last; /* events said, their least and greatest seq */
	int64_t *cand;          /* those that may hold a command, in order */
	size_t ncand, capcand;
};

struct recorder {
	struct store *store;
	struct md_options md;
	struct pathpolicy policy;
	bool with_fm, with_updated, with_kinds;
	char *user;        /* participant user name, or NULL */
	char *default_dir; /* the default recordings directory */
	char *home;
	struct note *noted; /* sessions with new events */
	size_t nnoted;
	/* Sessions whose last run failed (a recording that cannot be
	 * written): tried again only when due, whatever else is noted. */
	struct retry {
		int64_t sid;
		int64_t due_ms;   /* CLOCK_MONOTONIC */
		int64_t delay_ms; /* the wait that led to due_ms */
	} *retry;
	size_t nretry;
	int64_t retry_base_ms, retry_max_ms;
	unsigned tmp_counter;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One stored event, parsed on demand. */
struct ev {
	int64_t seq;
	uint32_t flags;
	char *kind, *json;
	struct json_object *o;
};

struct evlist {
	struct ev *v;
	size_t n, cap;
};

/* A session being processed. */
struct sess {
	struct recorder *r;
	int64_t sid;
	char *kato_id, *provider, *psid, *cwd;
	bool sidechain_only; /* a sub-agent's own session: show its events */
	struct store_rec_session st;
	struct store_recording *recs;
	size_t nrecs;
};

/* A destination file, opened through the path policy. */
struct target {
	int dfd;          /* O_PATH descriptor of its directory */
	const char *name; /* final component, inside path */
	char *path;       /* canonical */
	bool exists;
	int64_t size;
	mode_t mode;
	char *head; /* the first min(size, HEAD_MAX) bytes */
	size_t headlen;
	size_t fmlen; /* frontmatter block length in head, 0 if none */
	char last[2]; /* its last two bytes */
	int nlast;
};

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static bool blank(const char *s)
{
	size_t a;
	return !s || js_trim(s, strlen(s), &a) == 0;
}

void recorder_rec_id(const char *kato_id, const char *path, char out[37])
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "kato-recording\n%s\n%s", kato_id, path);
	XXH128_hash_t h = XXH3_128bits(b.p, b.len);
	buf_free(&b);
	uint8_t u[16];
	for (int i = 0; i < 8; i++) {
		u[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
		u[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x80); /* version 8 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* ---------------------------------------------------------------- setup */

int recorder_configure(struct recorder *r, const struct kato_config *cfg, char **err)
{
	struct pathpolicy pp;
	if (pathpolicy_init(&pp, cfg->allowed_write_roots, cfg->n_allowed_write_roots, NULL, r->default_dir) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "allowedWriteRoots: cannot make a root absolute: %s", strerror(errno));
		*err = buf_take(&b);
		return -1;
	}
	/* kato's own files are never a destination (the recordings
	 * directory, inside the data directory, is the exception) */
	char *(*const own[])(void) = {paths_config_dir, paths_state_dir, paths_runtime_dir, paths_data_dir};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		char *dir = own[i]();
		pathpolicy_deny(&pp, dir);
		free(dir);
	}
	pathpolicy_free(&r->policy);
	r->policy = pp;
	export_md_options(cfg, &r->md);
	r->with_fm = cfg->frontmatter.include_frontmatter;
	r->with_updated = cfg->frontmatter.include_updated;
	r->with_kinds = cfg->frontmatter.include_conversation_event_kinds;
	free(r->user);
	const char *u = export_user_participant(cfg);
	r->user = u ? xstrdup(u) : NULL;
	return 0;
}

int recorder_open(struct store *s, const struct kato_config *cfg, struct recorder **out, char **err)
{
	struct recorder *r = xcalloc(1, sizeof *r);
	r->store = s;
	r->retry_base_ms = 2000;
	r->retry_max_ms = 5 * 60 * 1000;
	r->default_dir = paths_data_file("recordings");
	char *why = NULL;
	if (paths_private_dir(r->default_dir, &why) < 0) /* conversations hold secrets: 0700 */
		log_warn("default recordings directory %s %s; recordings there will fail", r->default_dir, why);
	free(why);
	const char *home = getenv("HOME");
	r->home = home && *home ? xstrdup(home) : NULL;
	if (recorder_configure(r, cfg, err) < 0) {
		recorder_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

void recorder_close(struct recorder *r)
{
	if (!r)
		return;
	pathpolicy_free(&r->policy);
	free(r->user);
	free(r->default_dir);
	free(r->home);
	for (size_t i = 0; i < r->nnoted; i++)
		free(r->noted[i].cand);
	free(r->noted);
	free(r->retry);
	free(r);
}

/* The note of session sid, made if absent (known: what ingest says of
 * its events follows). */
static struct note *note_of(struct recorder *r, int64_t sid, bool known)
{
	/* events come in runs of one session: the last one first */
	if (r->nnoted && r->noted[r->nnoted - 1].sid == sid)
		return &r->noted[r->nnoted - 1];
	for (size_t i = 0; i < r->nnoted; i++)
		if (r->noted[i].sid == sid)
			return &r->noted[i];
	r->noted = xrealloc(r->noted, (r->nnoted + 1) * sizeof *r->noted);
	r->noted[r->nnoted] = (struct note){.sid = sid, .known = known};
	return &r->noted[r->nnoted++];
}

void recorder_note(struct recorder *r, int64_t sid)
{
	/* a note that exists stays as it is: run_session checks that what it
	 * says covers every event after the session's pointer */
	note_of(r, sid, false);
}

void recorder_note_event(struct recorder *r, int64_t sid, int64_t seq, bool maybe_command)
{
	struct note *n = note_of(r, sid, true);
	if (!n->known)
		return;
	if (!n->n || seq < n->first)
		n->first = seq;
	if (!n->n || seq > n->last)
		n->last = seq;
	n->n++;
	if (maybe_command) {
		if (n->ncand == n->capcand) {
			n->capcand = n->capcand ? 2 * n->capcand : 8;
			n->cand = xrealloc(n->cand, n->capcand * sizeof *n->cand);
		}
		n->cand[n->ncand++] = seq;
	}
}

/* ---------------------------------------------------------------- events */

static struct json_object *ev_obj(struct ev *e)
{
	if (!e->o)
		e->o = evjson_parse(e->json, strlen(e->json));
	return e->o;
}

static void evlist_push(struct evlist *el, int64_t seq, uint32_t flags, const char *kind, const char *json)
{
	if (el->n == el->cap) {
		el->cap = el->cap ? 2 * el->cap : 64;
		el->v = xrealloc(el->v, el->cap * sizeof *el->v);
	}
	el->v[el->n++] = (struct ev){seq, flags, xstrdup(kind), xstrdup(json), NULL};
}

struct load {
	struct evlist *out;
	int64_t before; /* stop at this seq (exclusive); 0: no limit */
};

static int load_one(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json)
{
	struct load *l = ud;
	if (l->before && seq >= l->before)
		return 1;
	struct evlist *el = l->out;
	evlist_push(el, seq, flags, kind, json);
	return 0;
}

/* Events of the session with after < seq < before (before 0: all). */
static int load_events(struct sess *s, int64_t after, int64_t before, struct evlist *out)
{
	struct load l = {out, before};
	return store_each_event(s->r->store, s->sid, after, load_one, &l);
}

static void evlist_free(struct evlist *el)
{
	for (size_t i = 0; i < el->n; i++) {
		free(el->v[i].kind);
		free(el->v[i].json);
		if (el->v[i].o)
			json_object_put(el->v[i].o);
	}
	free(el->v);
	el->v = NULL;
	el->n = el->cap = 0;
}

/* A human message kato may take commands from. */
static bool commandable(const struct ev *e)
{
	return !strcmp(e->kind, "message.user") && (e->flags & KATO_EVENT_HUMAN) &&
	       !(e->flags & (KATO_EVENT_SIDECHAIN | KATO_EVENT_INJECTED));
}

/* A copy of event o with its content replaced (seed, continuation and cut
 * command messages, ref §3.3). */
static struct json_object *with_content(struct json_object *o, const char *content)
{
	const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct json_object *c = pj_parse(js, strlen(js));
	if (c)
		json_object_object_add(c, "content", json_object_new_string(content));
	return c;
}

/* Is e a sub-agent run inside s's conversation (not rendered)? */
static bool hidden(const struct sess *s, const struct ev *e)
{
	return (e->flags & KATO_EVENT_SIDECHAIN) && !s->sidechain_only;
}

/* The parsed events of el that s renders, as an array for the renderer. */
static struct json_object **md_events(const struct sess *s, struct evlist *el, size_t *n)
{
	struct json_object **v = xcalloc(el->n + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < el->n; i++) {
		if (hidden(s, &el->v[i]))
			continue;
		struct json_object *o = ev_obj(&el->v[i]);
		if (o)
			v[(*n)++] = o;
	}
	return v;
}

/* ---------------------------------------------------------------- files */

static void target_close(struct target *t)
{
	if (t->dfd >= 0)
		close(t->dfd);
	free(t->path);
	free(t->head);
	memset(t, 0, sizeof *t);
	t->dfd = -1;
}

/* Open the directory of canonical path `canon` through the policy and
 * look at the file: exists, size, frontmatter, last bytes. -1 with errno
 * and *why when it cannot be used. */
static int target_open(struct recorder *r, const char *canon, struct target *t, char **why)
{
	memset(t, 0, sizeof *t);
	t->path = xstrdup(canon);
	t->dfd = pathpolicy_open_dir(&r->policy, t->path, &t->name, why);
	if (t->dfd < 0) {
		free(t->path);
		t->path = NULL;
		return -1;
	}
	int fd = openat(t->dfd, t->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return 0;
		*why = xstrdup(e == ELOOP ? "is a symbolic link" : strerror(e));
		target_close(t);
		errno = e;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		*why = xstrdup(e == EINVAL ? "is not a regular file" : strerror(e));
		target_close(t);
		errno = e;
		return -1;
	}
	if (st.st_nlink > 1) {
		close(fd);
		*why = xstrdup("has other hard links (kato never writes through one)");
		target_close(t);
		errno = EMLINK;
		return -1;
	}
	t->exists = true;
	t->size = st.st_size;
	t->mode = st.st_mode & 07777;
	/* a frontmatter is small: read 8 KiB, more only for a long one */
	size_t want = st.st_size < HEAD_SMALL ? (size_t)st.st_size : HEAD_SMALL;
	t->head = xmalloc(HEAD_SMALL + 1);
	ssize_t got = pread(fd, t->head, want, 0);
	t->headlen = got > 0 ? (size_t)got : 0;
	t->fmlen = fm_find(t->head, t->headlen);
	if (!t->fmlen && t->headlen == HEAD_SMALL && !memcmp(t->head, "---\n", 4)) {
		want = st.st_size < HEAD_MAX ? (size_t)st.st_size : HEAD_MAX;
		t->head = xrealloc(t->head, HEAD_MAX + 1);
		got = pread(fd, t->head, want, 0);
		t->headlen = got > 0 ? (size_t)got : 0;
		t->fmlen = fm_find(t->head, t->headlen);
	}
	t->head[t->headlen] = '\0';
	if (st.st_size > 0) {
		int k = st.st_size >= 2 ? 2 : 1;
		if (pread(fd, t->last, (size_t)k, st.st_size - k) == k)
			t->nlast = k;
	}
	close(fd);
	return 0;
}

/* The whole file (for a frontmatter rewrite or a tail check). */
static int read_all(struct target *t, struct buf *out)
{
	int fd = openat(t->dfd, t->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Does the file end with bytes[0..len)? */
static bool ends_with(struct target *t, const char *bytes, size_t len)
{
	if ((int64_t)len > t->size)
		return false;
	int fd = openat(t->dfd, t->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	char *b = xmalloc(len + 1);
	bool same = pread(fd, b, len, t->size - (int64_t)len) == (ssize_t)len && !memcmp(b, bytes, len);
	free(b);
	close(fd);
	return same;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void sync_dir(int dfd)
{
	int d = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d >= 0) {
		fsync(d);
		close(d);
	}
}

/* Replace (or, with noreplace, create) the file with data[0..len)
 * atomically: a temporary file in the same directory, fsync, rename.
 * Keeps the mode of the file it replaces. 0, 1 (noreplace: it exists), or
 * -1 with errno. */
static int replace_file(struct recorder *r, struct target *t, const char *data, size_t len, bool noreplace)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, ".kato-%ld-%u.tmp", (long)getpid(), r->tmp_counter++);
	int fd = openat(t->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (t->exists && !noreplace)
		fchmod(fd, t->mode);
	if (write_all(fd, data, len) < 0 || fdatasync(fd) < 0) {
		int e = errno;
		close(fd);
		unlinkat(t->dfd, tmp, 0);
		errno = e;
		return -1;
	}
	close(fd);
	if (renameat2(t->dfd, tmp, t->dfd, t->name, noreplace ? RENAME_NOREPLACE : 0) < 0) {
		int e = errno;
		unlinkat(t->dfd, tmp, 0);
		if (e == EEXIST && noreplace)
			return 1;
		errno = e;
		return -1;
	}
	sync_dir(t->dfd);
	return 0;
}

/* Append data[0..len) with one write on O_APPEND, then fdatasync. */
static int append_file(struct target *t, const char *data, size_t len)
{
	int fd = openat(t->dfd, t->name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
		close(fd);
		errno = st.st_nlink > 1 ? EMLINK : EINVAL;
		return -1;
	}
	int rc = write_all(fd, data, len) < 0 || fdatasync(fd) < 0 ? -1 : 0;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The separator before appended text (ref §4.4): none after an empty file
 * or a blank line, one "\n" after a line end, else a blank line. */
static const char *separator(const struct target *t)
{
	if (!t->exists || t->size == 0)
		return "";
	if (t->nlast == 2 && t->last[0] == '\n' && t->last[1] == '\n')
		return "";
	if (t->last[t->nlast - 1] == '\n')
		return "\n";
	return "\n\n";
}

/* The frontmatter's sessionId value, or NULL (malloc'd). */
static char *fm_session_id(const char *block, size_t len)
{
	const char *p = block, *end = block + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) > 10 && !strncmp(p, "sessionId:", 10)) {
			const char *v = p + 10;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = le;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			struct buf b = BUF_INIT;
			if (ve - v >= 2 && *v == '\'' && ve[-1] == '\'') {
				for (const char *q = v + 1; q < ve - 1; q++) {
					buf_addc(&b, *q);
					if (*q == '\'' && q + 1 < ve - 1 && q[1] == '\'')
						q++;
				}
			} else if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				buf_add(&b, v + 1, (size_t)(ve - v - 2));
			} else {
				buf_add(&b, v, (size_t)(ve - v));
			}
			return buf_take(&b);
		}
		p = le + 1;
	}
	return NULL;
}

/* ---------------------------------------------------------------- frontmatter */

static int on_title_row(void *ud, const struct store_session_row *row)
{
	export_title(row, NULL, ud);
	return 0;
}

/* A new file's frontmatter (ref §4.2): title = export_title of the
 * session (its title, else its first typed message), else the provider
 * session id. */
static void new_frontmatter(struct sess *s, struct json_object *const *events, size_t n, const char *rec_id,
			    struct buf *out)
{
	struct recorder *r = s->r;
	struct buf title = BUF_INIT;
	store_get_session(r->store, s->sid, on_title_row, &title);
	if (!title.len)
		buf_adds(&title, s->psid);
	char **parts = md_participants(events, n, r->user);
	char **kinds = r->with_kinds ? md_event_kinds(events, n) : NULL;
	const char *ids[2] = {rec_id, NULL};
	int64_t now = wall_ms();
	struct fm_fields f = {
		.title = buf_str(&title),
		.session_id = s->psid,
		.created_ms = now,
		.updated_ms = r->with_updated ? now : -1,
		.participants = (const char *const *)parts,
		.recording_ids = rec_id ? ids : NULL,
		.event_kinds = (const char *const *)kinds,
	};
	fm_render(&f, out);
	export_free_list(parts);
	export_free_list(kinds);
	buf_free(&title);
}

/* Merge the lists of `events` (and rec_id) into the file's frontmatter
 * (which it must have): `out` gets the block, new or as it was; returns
 * true when it grew. */
static bool merge_frontmatter(struct sess *s, struct target *t, struct json_object *const *events, size_t n,
			      const char *rec_id, struct buf *out)
{
	char **parts = md_participants(events, n, s->r->user);
	char **kinds = s->r->with_kinds ? md_event_kinds(events, n) : NULL;
	const char *ids[2] = {rec_id, NULL};
	bool changed = false;
	char *err = NULL;
	if (fm_merge(t->head, t->fmlen, (const char *const *)parts, rec_id ? ids : NULL,
		     (const char *const *)kinds, out, &changed, &err) < 0) {
		log_warn("%s: frontmatter left as it is: %s", t->path, err);
		free(err);
		changed = false;
	}
	export_free_list(parts);
	export_free_list(kinds);
	return changed;
}

/* ---------------------------------------------------------------- appends */

enum plan_mode { PLAN_APPEND, PLAN_CREATE, PLAN_REWRITE };

/* What an append will do; the intent stored with the recording says what
 * the file ends with afterwards. */
struct plan {
	enum plan_mode mode;
	struct buf content; /* CREATE / REWRITE: the whole new file */
};

static struct store_recording *find_rec(struct sess *s, const char *path)
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (!strcmp(s->recs[i].path, path))
			return &s->recs[i];
	return NULL;
}

static struct store_recording *active_rec(struct sess *s)
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (s->recs[i].active)
			return &s->recs[i];
	return NULL;
}

/* Plan appending `chunk` (rendered Markdown ending in "\n") to rec's file
 * as described by t, for events up to `upto`, leaving the last role `role`:
 * fills rec's intent and *p. `events` are what the chunk came from (their
 * participants and kinds go into the frontmatter). */
static void plan_append(struct sess *s, struct store_recording *rec, struct target *t, const char *chunk,
			struct json_object *const *events, size_t n, int64_t upto, const char *role,
			struct plan *p)
{
	struct buf tail = BUF_INIT;
	p->mode = PLAN_APPEND;
	p->content = (struct buf)BUF_INIT;
	if (!t->exists) {
		p->mode = PLAN_CREATE;
		if (s->r->with_fm) {
			new_frontmatter(s, events, n, rec->rec_id, &p->content);
			buf_adds(&p->content, "\n\n");
		}
		buf_adds(&tail, chunk);
		buf_add(&p->content, tail.p, tail.len);
	} else {
		buf_adds(&tail, separator(t));
		buf_adds(&tail, chunk);
		struct buf fm = BUF_INIT;
		if (t->fmlen && merge_frontmatter(s, t, events, n, rec->rec_id, &fm)) {
			struct buf all = BUF_INIT;
			if (read_all(t, &all) == 0 && all.len >= t->fmlen) {
				p->mode = PLAN_REWRITE;
				buf_add(&p->content, fm.p, fm.len);
				buf_add(&p->content, all.p + t->fmlen, all.len - t->fmlen);
				buf_add(&p->content, tail.p, tail.len);
			}
			buf_free(&all);
		}
		buf_free(&fm);
	}
	free(rec->pending_bytes);
	rec->pending = true;
	rec->pending_upto = upto;
	rec->pending_before = t->exists ? t->size : 0;
	rec->pending_after = p->mode == PLAN_APPEND ? rec->pending_before + (int64_t)tail.len : (int64_t)p->content.len;
	rec->pending_len = tail.len;
	rec->pending_bytes = buf_take(&tail);
	snprintf(rec->pending_role, sizeof rec->pending_role, "%s", role);
	buf_free(&tail);
}

/* Commit the intent's completion: the events are in the file. */
static int commit_done(struct sess *s, struct store_recording *rec)
{
	rec->write_seq = rec->pending_upto;
	snprintf(rec->last_role, sizeof rec->last_role, "%s", rec->pending_role);
	rec->size = rec->pending_after;
	rec->pending = false;
	free(rec->pending_bytes);
	rec->pending_bytes = NULL;
	rec->pending_len = 0;
	if (store_begin(s->r->store) < 0)
		return -1;
	if (store_recording_put(s->r->store, rec) < 0 || store_commit(s->r->store) < 0) {
		store_rollback(s->r->store);
		return -1;
	}
	return 0;
}

/* Carry out a planned append whose intent is committed. */
static int perform(struct recorder *r, struct target *t, const struct plan *p, const struct store_recording *rec)
{
	switch (p->mode) {
	case PLAN_CREATE: {
		int rc = replace_file(r, t, p->content.p, p->content.len, true);
		if (rc == 1) { /* appeared meanwhile: append to it instead */
			errno = EAGAIN;
			return -1;
		}
		return rc;
	}
	case PLAN_REWRITE:
		return replace_file(r, t, p->content.p, p->content.len, false);
	case PLAN_APPEND:
		return append_file(t, rec->pending_bytes, rec->pending_len);
	}
	return -1;
}

static struct retry *find_retry(struct recorder *r, int64_t sid);

/* An append failed: log it; the first failure of a streak (the session is
 * not waiting for a retry yet) also goes to the outcomes `kato status`
 * shows, as "(append) failed". */
static void log_append_failure(struct sess *s, const struct store_recording *rec, const char *why)
{
	log_error("recording %s (%s session %s): cannot append: %s; will retry", rec->path, s->provider, s->psid,
		  why);
	if (find_retry(s->r, s->sid))
		return;
	struct store_command sc = {
		.session = s->sid,
		.seq = rec->write_seq,
		.name = "(append)",
		.target = rec->path,
		.outcome = "failed",
		.reason = why,
		.at_ms = wall_ms(),
	};
	if (store_add_command(s->r->store, &sc) < 0)
		log_debug("store: cannot note the failed append: %s", store_errmsg(s->r->store));
}

/* Finish rec's committed intent after a crash or a failure: done if the
 * file ends with the bytes at the expected size; completed if a prefix of
 * them is there; otherwise appended again from the start (the file
 * changed under us, or the write never happened). 0 or -1. */
static int finish_pending(struct sess *s, struct store_recording *rec)
{
	struct target t;
	char *why = NULL;
	if (target_open(s->r, rec->path, &t, &why) < 0) {
		log_append_failure(s, rec, why);
		free(why);
		return -1;
	}
	int rc = 0;
	if (t.exists && t.size == rec->pending_after && ends_with(&t, rec->pending_bytes, rec->pending_len)) {
		rc = commit_done(s, rec);
		target_close(&t);
		return rc;
	}
	if (t.exists && t.size > rec->pending_before && t.size < rec->pending_after) {
		size_t have = (size_t)(t.size - rec->pending_before);
		struct buf all = BUF_INIT;
		if (read_all(&t, &all) == 0 && all.len == (size_t)t.size &&
		    !memcmp(all.p + rec->pending_before, rec->pending_bytes, have)) {
			buf_free(&all);
			if (append_file(&t, rec->pending_bytes + have, rec->pending_len - have) < 0) {
				log_append_failure(s, rec, strerror(errno));
				target_close(&t);
				return -1;
			}
			rc = commit_done(s, rec);
			target_close(&t);
			return rc;
		}
		buf_free(&all);
	}
	/* not written (or not recognisable): plan it again on the file as it is */
	char *chunk = xstrdup(rec->pending_bytes);
	size_t skip = 0;
	while (chunk[skip] == '\n')
		skip++;
	char role[16];
	snprintf(role, sizeof role, "%s", rec->pending_role);
	struct plan p;
	plan_append(s, rec, &t, chunk + skip, NULL, 0, rec->pending_upto, role, &p);
	free(chunk);
	if (store_begin(s->r->store) < 0 || store_recording_put(s->r->store, rec) < 0 ||
	    store_commit(s->r->store) < 0) {
		store_rollback(s->r->store);
		rc = -1;
	} else if (perform(s->r, &t, &p, rec) < 0) {
		log_append_failure(s, rec, strerror(errno));
		rc = -1;
	} else {
		rc = commit_done(s, rec);
	}
	buf_free(&p.content);
	target_close(&t);
	return rc;
}

/* Append `chunk` (may be empty: then only the cursor moves) for events up
 * to `upto`. The intent is committed together with whatever the caller
 * has begun (`in_tx`: a transaction is open; it is committed here). */
static int write_chunk(struct sess *s, struct store_recording *rec, const char *chunk,
		       struct json_object *const *events, size_t n, int64_t upto, const char *role, bool in_tx)
{
	struct store *st = s->r->store;
	if (!*chunk) {
		rec->write_seq = upto;
		if (!in_tx && store_begin(st) < 0)
			return -1;
		if (store_recording_put(st, rec) < 0 || store_commit(st) < 0) {
			store_rollback(st);
			return -1;
		}
		return 0;
	}
	struct target t;
	char *why = NULL;
	if (target_open(s->r, rec->path, &t, &why) < 0) {
		if (in_tx)
			store_rollback(st);
		log_append_failure(s, rec, why);
		free(why);
		return -1;
	}
	struct plan p;
	plan_append(s, rec, &t, chunk, events, n, upto, role, &p);
	int rc = 0;
	if ((!in_tx && store_begin(st) < 0) || store_recording_put(st, rec) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		rc = -1;
	} else if (perform(s->r, &t, &p, rec) < 0) {
		log_append_failure(s, rec, strerror(errno));
		rc = -1; /* the intent stays; finish_pending retries */
	} else {
		rc = commit_done(s, rec);
	}
	buf_free(&p.content);
	target_close(&t);
	return rc;
}

/* Append the session's events with write_seq < seq <= upto (0: all) to
 * the active recording `rec`; with `settle`, not past what may still
 * change (settled_upto). The event at write_seq, when it is this
 * session's, is passed to the renderer as context. */
static int64_t settled_upto(struct sess *s, struct evlist *el, int64_t after);

static int append_through(struct sess *s, struct store_recording *rec, int64_t upto, bool settle)
{
	if (upto && upto <= rec->write_seq)
		return 0;
	struct evlist el = {0};
	if (load_events(s, rec->write_seq > 0 ? rec->write_seq - 1 : 0, upto ? upto + 1 : 0, &el) < 0)
		return -1;
	if (settle)
		upto = settled_upto(s, &el, rec->write_seq);
	else if (!upto && el.n)
		upto = el.v[el.n - 1].seq;
	int rc = 0;
	if (upto > rec->write_seq) {
		struct json_object **v = xcalloc(el.n + 1, sizeof *v);
		size_t n = 0, first = 0;
		for (size_t i = 0; i < el.n; i++) {
			struct ev *e = &el.v[i];
			if (e->seq > upto || hidden(s, e) || !ev_obj(e))
				continue;
			if (e->seq <= rec->write_seq) /* context */
				first = n + 1;
			v[n++] = ev_obj(e);
		}
		char role[16];
		snprintf(role, sizeof role, "%s", rec->last_role);
		struct buf chunk = BUF_INIT;
		md_render_after(&s->r->md, v, n, first, role, &chunk);
		rc = write_chunk(s, rec, buf_str(&chunk), v + first, n - first, upto, role, false);
		buf_free(&chunk);
		free(v);
	}
	evlist_free(&el);
	return rc;
}

/* How far the active recording may be written without guessing the
 * future: not past a tool call whose result has not arrived (when tool
 * calls are rendered; a later user message gives up on it), nor a trailing
 * commentary message (its final copy may follow and replace it). */
static int64_t settled_upto(struct sess *s, struct evlist *el, int64_t after)
{
	int64_t upto = after;
	for (size_t i = 0; i < el->n; i++) {
		struct ev *e = &el->v[i];
		if (e->seq <= after || hidden(s, e))
			continue;
		if (s->r->md.include_tool_calls && !strcmp(e->kind, "tool.call")) {
			struct json_object *o = ev_obj(e);
			const char *id = o ? pj_str(o, "toolCallId") : NULL;
			bool resolved = false;
			for (size_t k = i + 1; k < el->n && !resolved; k++) {
				struct ev *f = &el->v[k];
				if (hidden(s, f))
					continue;
				if (!strcmp(f->kind, "message.user")) {
					resolved = true;
				} else if (!strcmp(f->kind, "tool.result")) {
					struct json_object *fo = ev_obj(f);
					const char *fid = fo ? pj_str(fo, "toolCallId") : NULL;
					resolved = (!id && !fid) || (id && fid && !strcmp(id, fid));
				}
			}
			if (!resolved)
				return upto;
		}
		if (s->r->md.include_commentary && !strcmp(e->kind, "message.assistant")) {
			struct json_object *o = ev_obj(e);
			const char *phase = o ? pj_str(o, "phase") : NULL;
			bool later = false;
			for (size_t k = i + 1; k < el->n && !later; k++)
				later = !hidden(s, &el->v[k]);
			if (phase && !strcmp(phase, "commentary") && !later)
				return upto;
		}
		upto = e->seq;
	}
	return upto;
}

/* ---------------------------------------------------------------- commands */

/* One command being run: the message it came from and its place. */
struct run {
	struct sess *s;
	struct ev *msg;
	const char *text; /* the message content */
	size_t len;
	const struct cmd *c;
	int next_line; /* the line of the next command, or INT_MAX */
};

/* Record an outcome in the store (inside the caller's transaction) and
 * the log. */
static int outcome(struct run *x, const char *target, const char *what, const char *reason)
{
	struct sess *s = x->s;
	int level = !strcmp(what, "applied") || !strcmp(what, "noop") || !strcmp(what, "skipped") ? LOG_INFO
												  : LOG_WARN;
	size_t a, tn = js_trim(x->c->raw, strlen(x->c->raw), &a);
	log_msg(level, "%s session %s: line %d \"%.*s\": %s%s%s%s%s", s->provider, s->psid, x->c->line, (int)tn,
		x->c->raw + a, what, target ? " " : "", target ? target : "", reason ? ": " : "",
		reason ? reason : "");
	struct store_command sc = {
		.session = s->sid,
		.seq = x->msg->seq,
		.line = x->c->line,
		.name = x->c->name,
		.arg = x->c->arg,
		.target = target,
		.outcome = what,
		.reason = reason,
		.at_ms = wall_ms(),
	};
	return store_add_command(s->r->store, &sc);
}

/* Begin the transaction that records a command's outcome and progress. */
static int begin_command(struct run *x)
{
	return store_begin(x->s->r->store);
}

/* Commit the command's progress (and whatever else the transaction has). */
static int end_command(struct run *x)
{
	struct sess *s = x->s;
	s->st.command_seq = x->msg->seq;
	s->st.command_line = x->c->line;
	if (store_rec_session_put(s->r->store, s->sid, &s->st) < 0 || store_commit(s->r->store) < 0) {
		store_rollback(s->r->store);
		return -1;
	}
	return 0;
}

/* An outcome that changes nothing else (a refusal, a no-op, an export):
 * the outcome and the progress, in one transaction. */
static int settle(struct run *x, const char *target, const char *what, const char *reason)
{
	if (begin_command(x) < 0)
		return -1;
	if (outcome(x, target, what, reason) < 0) {
		store_rollback(x->s->r->store);
		return -1;
	}
	return end_command(x);
}

/* Resolve the command's destination: the argument, else the pointer (when
 * use_pointer), else the generated default; then the policy. 0 and
 * *canon, or 1 after recording the refusal, or -1. */
static int destination(struct run *x, bool use_pointer, char **canon)
{
	struct sess *s = x->s;
	struct recorder *r = s->r;
	char *path = NULL, *why = NULL;
	if (!x->c->arg && use_pointer && s->st.pointer) {
		path = xstrdup(s->st.pointer);
	} else {
		int64_t ms;
		struct json_object *o = ev_obj(x->msg);
		const char *ts = o ? pj_str(o, "timestamp") : NULL;
		if (!ts || md_parse_time(ts, &ms) < 0)
			ms = wall_ms();
		struct cmd_path_ctx ctx = {
			.home = r->home,
			.cwd = s->cwd,
			.default_dir = r->default_dir,
			.provider = s->provider,
			.kato_session_id = s->kato_id,
			.now_ms = ms,
		};
		if (cmd_resolve_path(x->c->arg, &ctx, &path, &why) < 0) {
			int rc = settle(x, NULL, "invalid", why);
			free(why);
			return rc < 0 ? -1 : 1;
		}
	}
	if (pathpolicy_check(&r->policy, path, canon, &why) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "path denied by policy: %s", why);
		int rc = settle(x, path, "denied", b.p);
		buf_free(&b);
		free(why);
		free(path);
		return rc < 0 ? -1 : 1;
	}
	free(path);
	return 0;
}

/* The registry entry for a destination, created (not stored yet) if new. */
static struct store_recording *entry_for(struct sess *s, const char *canon)
{
	struct store_recording *rec = find_rec(s, canon);
	if (rec)
		return rec;
	s->recs = xrealloc(s->recs, (s->nrecs + 1) * sizeof *s->recs);
	rec = &s->recs[s->nrecs++];
	memset(rec, 0, sizeof *rec);
	rec->session = s->sid;
	rec->path = xstrdup(canon);
	rec->size = -1;
	recorder_rec_id(s->kato_id, canon, rec->rec_id);
	return rec;
}

/* Turn off every active recording but `keep` (stored in the open
 * transaction). */
static int deactivate_others(struct sess *s, const struct store_recording *keep)
{
	for (size_t i = 0; i < s->nrecs; i++) {
		struct store_recording *o = &s->recs[i];
		if (o == keep || !o->active)
			continue;
		o->active = false;
		if (store_recording_put(s->r->store, o) < 0)
			return -1;
	}
	return 0;
}

/* The events of the conversation up to the command line: every event
 * before the message, then the message cut to lines 1..line. *n set;
 * the array's objects are owned by `el`, except the last (cut) one, which
 * the caller puts. */
static struct json_object **events_upto_command(struct run *x, struct evlist *el, size_t *n,
						struct json_object **cut)
{
	struct json_object **v = md_events(x->s, el, n);
	char *lines = cmd_lines(x->text, x->len, 1, x->c->line + 1);
	*cut = with_content(ev_obj(x->msg), lines);
	free(lines);
	if (*cut)
		v[(*n)++] = *cut;
	return v;
}

/* Is this file kato's to write for this session? Absent, empty, kato's
 * for this session (frontmatter sessionId), or what kato last wrote there
 * for this session (same size). */
static bool is_ours(struct sess *s, struct target *t)
{
	if (!t->exists || t->size == 0)
		return true;
	if (t->fmlen) {
		char *sid = fm_session_id(t->head, t->fmlen);
		bool ours = sid && !strcmp(sid, s->psid);
		free(sid);
		if (ours)
			return true;
	}
	struct store_recording *rec = find_rec(s, t->path);
	return rec && rec->size == t->size && !t->fmlen;
}

static const char not_ours[] =
	"refusing to write to a file kato did not write for this session; "
	"choose another path or move the file away";

/* May a snapshot overwrite this file? When it is ours, or already
 * exactly `content`. */
static bool may_overwrite(struct sess *s, struct target *t, const char *content, size_t len)
{
	if (is_ours(s, t))
		return true;
	if ((int64_t)len == t->size) {
		struct buf all = BUF_INIT;
		bool same = read_all(t, &all) == 0 && all.len == len && !memcmp(all.p, content, len);
		buf_free(&all);
		return same;
	}
	return false;
}

/* The snapshot document for ::capture / ::export (ref §4.4 overwrite):
 * the existing frontmatter merged, or a new one; *role gets the last role
 * of the body. */
static void snapshot(struct sess *s, struct target *t, struct json_object *const *v, size_t n, const char *rec_id,
		     struct buf *doc, char role[16])
{
	struct buf body = BUF_INIT;
	role[0] = '\0';
	md_render(&s->r->md, v, n, role, &body);
	if (t->fmlen) {
		struct buf fm = BUF_INIT;
		merge_frontmatter(s, t, v, n, rec_id, &fm);
		buf_add(doc, fm.p, fm.len);
		buf_free(&fm);
		buf_adds(doc, body.len ? "\n\n" : "\n");
	} else if (s->r->with_fm) {
		new_frontmatter(s, v, n, rec_id, doc);
		buf_adds(doc, body.len ? "\n\n" : "\n");
	}
	buf_add(doc, body.p, body.len); /* ends with "\n" when non-empty */
	buf_free(&body);
}

/* Did a write fail for a reason that may pass (disk full, quota, I/O
 * error, out of memory or descriptors)? Then the command is not settled:
 * it runs again at its session's retry. */
static bool transient(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EAGAIN || e == EINTR || e == ENOMEM ||
	       e == EMFILE || e == ENFILE;
}

/* Leave the command unsettled, to be run again later: returns -1 (the
 * session's run fails and is retried with the doubling delay). */
static int try_later(struct run *x, const char *target, const char *why)
{
	log_warn("%s session %s: ::%s %s: %s; will try again", x->s->provider, x->s->psid, x->c->name, target,
		 why);
	return -1;
}

static bool is_md(const char *path)
{
	size_t n = strlen(path);
	return n >= 3 && !strcasecmp(path + n - 3, ".md");
}

static int cmd_init(struct run *x)
{
	struct sess *s = x->s;
	char *canon = NULL, *why = NULL;
	int rc = destination(x, true, &canon);
	if (rc)
		return rc < 0 ? -1 : 0;
	struct store_recording *rec = entry_for(s, canon);
	struct target t;
	if (target_open(s->r, canon, &t, &why) < 0) {
		rc = transient(errno) ? try_later(x, canon, why) : settle(x, canon, "failed", why);
		free(why);
		free(canon);
		return rc;
	}
	if (!is_ours(s, &t)) {
		target_close(&t);
		rc = settle(x, canon, "denied", not_ours);
		free(canon);
		return rc;
	}
	if (!t.exists) {
		struct buf stub = BUF_INIT;
		if (is_md(canon) && s->r->with_fm) {
			struct evlist el = {0};
			if (load_events(s, 0, x->msg->seq, &el) < 0) {
				evlist_free(&el);
				target_close(&t);
				free(canon);
				return -1;
			}
			size_t n;
			struct json_object *cut;
			struct json_object **v = events_upto_command(x, &el, &n, &cut);
			new_frontmatter(s, v, n, rec->rec_id, &stub);
			buf_addc(&stub, '\n');
			if (cut)
				json_object_put(cut);
			free(v);
			evlist_free(&el);
		}
		if (replace_file(s->r, &t, buf_str(&stub), stub.len, true) < 0) {
			int e = errno;
			struct buf b = BUF_INIT;
			buf_printf(&b, "cannot create the file: %s", strerror(e));
			buf_free(&stub);
			target_close(&t);
			rc = transient(e) ? try_later(x, canon, b.p) : settle(x, canon, "failed", b.p);
			buf_free(&b);
			free(canon);
			return rc;
		}
		buf_free(&stub);
	}
	target_close(&t);
	struct store *st = s->r->store;
	if (begin_command(x) < 0) {
		free(canon);
		return -1;
	}
	rec->active = false;
	rec->write_seq = x->msg->seq;
	rec->last_role[0] = '\0';
	free(s->st.pointer);
	s->st.pointer = xstrdup(canon);
	if (deactivate_others(s, rec) < 0 || store_recording_put(st, rec) < 0 ||
	    outcome(x, canon, "applied", NULL) < 0) {
		store_rollback(st);
		free(canon);
		return -1;
	}
	free(canon);
	return end_command(x);
}

static int cmd_record(struct run *x)
{
	struct sess *s = x->s;
	char *canon = NULL;
	int rc = destination(x, true, &canon);
	if (rc)
		return rc < 0 ? -1 : 0;
	struct store_recording *rec = find_rec(s, canon);
	if (rec && rec->active) {
		rc = settle(x, canon, "noop", "already recording there");
		free(canon);
		return rc;
	}
	struct target t;
	char *why = NULL;
	if (target_open(s->r, canon, &t, &why) < 0) {
		rc = transient(errno) ? try_later(x, canon, why) : settle(x, canon, "failed", why);
		free(why);
		free(canon);
		return rc;
	}
	bool ours = is_ours(s, &t);
	target_close(&t);
	if (!ours) {
		rc = settle(x, canon, "denied", not_ours);
		free(canon);
		return rc;
	}
	rec = entry_for(s, canon);
	/* the seed: this message from the ::record line to the next command */
	char *seed = cmd_lines(x->text, x->len, x->c->line, x->next_line);
	struct buf chunk = BUF_INIT;
	char role[16] = "";
	struct json_object *ev = NULL;
	if (!blank(seed)) {
		ev = with_content(ev_obj(x->msg), seed);
		if (ev)
			md_render(&s->r->md, &ev, 1, role, &chunk);
	}
	free(seed);
	struct store *st = s->r->store;
	rc = -1;
	if (begin_command(x) < 0)
		goto out;
	rec->active = true;
	rec->write_seq = x->msg->seq;
	rec->last_role[0] = '\0'; /* a resumed recording starts with a heading */
	free(s->st.pointer);
	s->st.pointer = xstrdup(canon);
	s->st.command_seq = x->msg->seq;
	s->st.command_line = x->c->line;
	if (deactivate_others(s, rec) < 0 || store_recording_put(st, rec) < 0 ||
	    outcome(x, canon, "applied", NULL) < 0 || store_rec_session_put(st, s->sid, &s->st) < 0) {
		store_rollback(st);
		goto out;
	}
	/* the seed's intent commits with the state */
	rc = write_chunk(s, rec, buf_str(&chunk), ev ? &ev : NULL, ev ? 1 : 0, x->msg->seq, chunk.len ? role : "",
			 true);
	if (rc < 0 && rec->pending)
		rc = 0; /* committed; the append is retried */
out:
	if (ev)
		json_object_put(ev);
	buf_free(&chunk);
	free(canon);
	return rc;
}

/* ::capture (recording = true) and ::export. */
static int cmd_snapshot(struct run *x, bool recording)
{
	struct sess *s = x->s;
	struct store *st = s->r->store;
	char *canon = NULL, *why = NULL;
	int rc = destination(x, recording, &canon);
	if (rc)
		return rc < 0 ? -1 : 0;
	struct target t;
	if (target_open(s->r, canon, &t, &why) < 0) {
		rc = transient(errno) ? try_later(x, canon, why) : settle(x, canon, "failed", why);
		free(why);
		free(canon);
		return rc;
	}
	struct evlist el = {0};
	if (load_events(s, 0, x->msg->seq, &el) < 0) {
		evlist_free(&el);
		target_close(&t);
		free(canon);
		return -1;
	}
	struct store_recording *rec = recording ? entry_for(s, canon) : NULL;
	size_t n;
	struct json_object *cut;
	struct json_object **v = events_upto_command(x, &el, &n, &cut);
	struct buf doc = BUF_INIT;
	char role[16];
	snapshot(s, &t, v, n, rec ? rec->rec_id : NULL, &doc, role);
	if (cut)
		json_object_put(cut);
	free(v);
	evlist_free(&el);
	if (!may_overwrite(s, &t, doc.p, doc.len)) {
		rc = settle(x, canon, "denied", not_ours);
		goto out;
	}
	if (replace_file(s->r, &t, doc.p, doc.len, false) < 0) {
		int e = errno;
		struct buf b = BUF_INIT;
		buf_printf(&b, "cannot write the file: %s", strerror(e));
		rc = transient(e) ? try_later(x, canon, b.p) : settle(x, canon, "failed", b.p);
		buf_free(&b);
		goto out;
	}
	if (!recording) {
		rc = settle(x, canon, "applied", NULL); /* outcome + progress only */
		goto out;
	}
	/* the lines after ::capture, up to the next command, follow */
	char *more = cmd_lines(x->text, x->len, x->c->line + 1, x->next_line);
	struct buf chunk = BUF_INIT;
	struct json_object *ev = NULL;
	if (!blank(more)) {
		ev = with_content(ev_obj(x->msg), more);
		if (ev)
			md_render(&s->r->md, &ev, 1, role, &chunk);
	}
	free(more);
	rc = -1;
	if (begin_command(x) < 0)
		goto out2;
	rec->active = true;
	rec->write_seq = x->msg->seq;
	snprintf(rec->last_role, sizeof rec->last_role, "%s", role);
	rec->size = (int64_t)doc.len;
	free(s->st.pointer);
	s->st.pointer = xstrdup(canon);
	s->st.command_seq = x->msg->seq;
	s->st.command_line = x->c->line;
	if (deactivate_others(s, rec) < 0 || store_recording_put(st, rec) < 0 ||
	    outcome(x, canon, "applied", NULL) < 0 || store_rec_session_put(st, s->sid, &s->st) < 0) {
		store_rollback(st);
		goto out2;
	}
	rc = write_chunk(s, rec, buf_str(&chunk), ev ? &ev : NULL, ev ? 1 : 0, x->msg->seq, role, true);
	if (rc < 0 && rec->pending)
		rc = 0;
out2:
	if (ev)
		json_object_put(ev);
	buf_free(&chunk);
out:
	buf_free(&doc);
	target_close(&t);
	free(canon);
	return rc;
}

static int cmd_stop(struct run *x)
{
	struct sess *s = x->s;
	struct store_recording *rec = active_rec(s);
	if (!rec)
		return settle(x, NULL, "noop", "nothing is recording");
	if (begin_command(x) < 0)
		return -1;
	if (deactivate_others(s, NULL) < 0 || outcome(x, rec->path, "applied", NULL) < 0) {
		store_rollback(s->r->store);
		return -1;
	}
	return end_command(x);
}

/* Run the commands of one live human message. */
static int run_message(struct sess *s, struct ev *e, const char *text, size_t len, const struct cmd_result *cr)
{
	for (size_t i = 0; i < cr->n; i++) {
		const struct cmd *c = &cr->cmds[i];
		if (s->st.command_seq == e->seq && s->st.command_line >= c->line)
			continue; /* done before a restart */
		struct run x = {s, e, text, len, c, i + 1 < cr->n ? cr->cmds[i + 1].line : INT_MAX};
		int rc;
		if (!strcmp(c->name, "init"))
			rc = cmd_init(&x);
		else if (!strcmp(c->name, "record"))
			rc = cmd_record(&x);
		else if (!strcmp(c->name, "capture"))
			rc = cmd_snapshot(&x, true);
		else if (!strcmp(c->name, "export"))
			rc = cmd_snapshot(&x, false);
		else
			rc = cmd_stop(&x);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Record the refusal of a whole message (parse errors: fail closed; or
 * history) in one transaction, with the progress. */
static int refuse_message(struct sess *s, struct ev *e, const struct cmd_result *cr, bool history)
{
	struct store *st = s->r->store;
	if (store_begin(st) < 0)
		return -1;
	int rc = 0;
	if (history) {
		for (size_t i = 0; i < cr->n && rc == 0; i++) {
			struct run x = {s, e, NULL, 0, &cr->cmds[i], 0};
			rc = outcome(&x, NULL, "skipped", "history: the message was written before kato watched it");
		}
	} else {
		for (size_t i = 0; i < cr->nerrs && rc == 0; i++) {
			size_t a, tn = js_trim(cr->errs[i].raw, strlen(cr->errs[i].raw), &a);
			char *line = xstrndup(cr->errs[i].raw + a, tn);
			struct cmd c = {.name = (char *)"(invalid)", .arg = line, .line = cr->errs[i].line,
					.raw = cr->errs[i].raw};
			struct run x = {s, e, NULL, 0, &c, 0};
			rc = outcome(&x, NULL, "error", cr->errs[i].reason);
			free(line);
		}
		for (size_t i = 0; i < cr->n && rc == 0; i++) {
			struct run x = {s, e, NULL, 0, &cr->cmds[i], 0};
			rc = outcome(&x, NULL, "not run",
				     "another line of the message is not a valid command (fail closed)");
		}
	}
	s->st.command_seq = e->seq;
	s->st.command_line = 0;
	if (rc < 0 || store_rec_session_put(st, s->sid, &s->st) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sessions */

static int on_session_row(void *ud, const struct store_session_row *row)
{
	struct sess *s = ud;
	s->kato_id = xstrdup(row->kato_id);
	s->provider = xstrdup(row->provider);
	s->psid = xstrdup(row->psid);
	s->cwd = row->cwd && *row->cwd ? xstrdup(row->cwd) : NULL;
	s->sidechain_only = row->sidechain_only;
	return 0;
}

static void sess_free(struct sess *s)
{
	free(s->kato_id);
	free(s->provider);
	free(s->psid);
	free(s->cwd);
	store_rec_session_free(&s->st);
	store_recordings_free(s->recs, s->nrecs);
}

/* The command scan: keeps only the messages that may hold a command (a
 * human message whose JSON has "::"), so a long history costs no memory;
 * notes the last seq. */
struct scan {
	struct evlist *out;
	int64_t after, last;
};

static int scan_one(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json)
{
	struct scan *sc = ud;
	sc->last = seq;
	struct ev probe = {seq, flags, (char *)kind, (char *)json, NULL};
	if (seq <= sc->after || !commandable(&probe) || !strstr(json, "::"))
		return 0;
	struct evlist *el = sc->out;
	evlist_push(el, seq, flags, kind, json);
	return 0;
}

/* Process one session: finish intents, run new commands in order, append
 * new events to the active recording. 0 or -1 (try again later). */
static int run_session(struct recorder *r, const struct note *note)
{
	int64_t sid = note->sid;
	struct sess s = {.r = r, .sid = sid};
	struct evlist el = {0};
	int rc = -1;
	if (store_get_session(r->store, sid, on_session_row, &s) < 0 || !s.kato_id ||
	    store_rec_session_get(r->store, sid, &s.st) < 0 || store_recordings(r->store, sid, &s.recs, &s.nrecs) < 0)
		goto out;
	for (size_t i = 0; i < s.nrecs; i++)
		if (s.recs[i].pending && finish_pending(&s, &s.recs[i]) < 0)
			goto out;

	int64_t cmd_after = s.st.command_line > 0 ? s.st.command_seq - 1 : s.st.command_seq;
	struct scan sc = {.out = &el, .after = cmd_after, .last = cmd_after};
	/* What ingest said is every event after the pointer: read only the
	 * messages that may hold a command (reading every event back was
	 * 0.4 s of a 2 GB backfill). Else (a resume, a retry, another
	 * writer) read every event after the pointer. */
	int64_t after_n = -1;
	if (note->known && note->n && note->first > cmd_after &&
	    store_count_events_after(r->store, sid, cmd_after, &after_n) < 0)
		goto out;
	if (after_n == note->n) {
		for (size_t i = 0; i < note->ncand; i++)
			if (store_event_of_kind(r->store, note->cand[i], "message.user", scan_one, &sc) < 0)
				goto out;
		sc.last = note->last;
	} else if (store_each_event_of_kind(r->store, sid, cmd_after, "message.user", scan_one, &sc) < 0) {
		goto out;
	}
	for (size_t i = 0; i < el.n; i++) {
		struct ev *e = &el.v[i];
		struct json_object *o = ev_obj(e);
		struct json_object *cv;
		if (!o || !json_object_object_get_ex(o, "content", &cv) || !json_object_is_type(cv, json_type_string))
			continue;
		const char *text = json_object_get_string(cv);
		size_t len = (size_t)json_object_get_string_len(cv);
		struct cmd_result cr;
		cmd_detect(text, len, &cr);
		int step = 0;
		if (cr.n == 0 && cr.nerrs == 0) {
			step = 0;
		} else if ((e->flags & STORE_EVENT_HISTORY) || cr.nerrs) {
			step = refuse_message(&s, e, &cr, (e->flags & STORE_EVENT_HISTORY) != 0);
		} else {
			/* what came before the message goes to the recording first */
			struct store_recording *act = active_rec(&s);
			if (act && !act->pending && append_through(&s, act, e->seq - 1, false) < 0)
				step = -1;
			else
				step = run_message(&s, e, text, len, &cr);
			if (step == 0) {
				s.st.command_seq = e->seq;
				s.st.command_line = 0;
			}
		}
		cmd_result_free(&cr);
		if (step < 0)
			goto out;
	}
	/* commands done through the session's last event */
	if (sc.last > s.st.command_seq || s.st.command_line) {
		s.st.command_seq = sc.last > s.st.command_seq ? sc.last : s.st.command_seq;
		s.st.command_line = 0;
		if (store_begin(r->store) < 0)
			goto out;
		if (store_rec_session_put(r->store, sid, &s.st) < 0 || store_commit(r->store) < 0) {
			store_rollback(r->store);
			goto out;
		}
	}
	struct store_recording *act = active_rec(&s);
	if (act && !act->pending && append_through(&s, act, 0, true) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < s.nrecs; i++)
		if (s.recs[i].pending)
			rc = -1; /* an append failed: try again later */
out:
	evlist_free(&el);
	sess_free(&s);
	return rc;
}

void recorder_set_retry(struct recorder *r, int64_t base_ms, int64_t max_ms)
{
	r->retry_base_ms = base_ms;
	r->retry_max_ms = max_ms;
}

static struct retry *find_retry(struct recorder *r, int64_t sid)
{
	for (size_t i = 0; i < r->nretry; i++)
		if (r->retry[i].sid == sid)
			return &r->retry[i];
	return NULL;
}

/* Session sid failed (again): wait twice as long as last time. */
static void schedule_retry(struct recorder *r, int64_t sid, int64_t now)
{
	struct retry *t = find_retry(r, sid);
	if (!t) {
		r->retry = xrealloc(r->retry, (r->nretry + 1) * sizeof *r->retry);
		t = &r->retry[r->nretry++];
		*t = (struct retry){sid, 0, 0};
	}
	t->delay_ms = t->delay_ms ? t->delay_ms * 2 : r->retry_base_ms;
	if (t->delay_ms > r->retry_max_ms)
		t->delay_ms = r->retry_max_ms;
	t->due_ms = now + t->delay_ms;
}

int64_t recorder_next_retry(const struct recorder *r)
{
	int64_t due = 0;
	for (size_t i = 0; i < r->nretry; i++)
		if (!due || r->retry[i].due_ms < due)
			due = r->retry[i].due_ms;
	return due;
}

int recorder_run(struct recorder *r)
{
	int64_t now = mono_ms();
	/* The failed sessions whose retry is due join the noted ones (those
	 * with new events of their own: the user may have typed ::stop or a
	 * new destination). Another session's events never retry them. */
	for (size_t i = 0; i < r->nretry; i++)
		if (r->retry[i].due_ms <= now)
			recorder_note(r, r->retry[i].sid);
	struct note *v = r->noted;
	size_t n = r->nnoted;
	r->noted = NULL;
	r->nnoted = 0;
	for (size_t i = 0; i < n; i++) {
		struct retry *t = find_retry(r, v[i].sid);
		if (run_session(r, &v[i]) < 0) {
			schedule_retry(r, v[i].sid, now);
		} else if (t) {
			*t = r->retry[--r->nretry]; /* done: forget its delay */
		}
		free(v[i].cand);
	}
	free(v);
	int64_t max;
	if (!r->nretry && n && store_max_seq(r->store, &max) == 0 &&
	    store_meta_set(r->store, "recorder_seq", max) < 0)
		return -1;
	return r->nretry ? 1 : 0;
}

static int note_cb(void *ud, int64_t sid)
{
	recorder_note(ud, sid);
	return 0;
}

int recorder_resume(struct recorder *r)
{
	int64_t mark = 0;
	if (store_meta_get(r->store, "recorder_seq", &mark) < 0)
		return -1;
	struct store_recording *v;
	size_t n;
	if (store_recordings(r->store, 0, &v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].pending || v[i].active)
			recorder_note(r, v[i].session);
	store_recordings_free(v, n);
	return store_each_session_after(r->store, mark, note_cb, r);
}
