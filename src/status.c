/* SPDX-License-Identifier: Apache-2.0 */
/* status: see status.h. Stable keys: a value that is not known is null,
 * never left out. */
#include "autoconfig.h"

#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "paths.h"

long status_katod_pid(void)
{
	char *dir = paths_runtime_dir();
	char *path = paths_join(dir, "katod.lock");
	free(dir);
	long pid = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		char b[32] = "";
		ssize_t n = read(fd, b, sizeof b - 1);
		pid = n > 0 ? strtol(b, NULL, 10) : -1;
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

void status_iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static void add_time(struct buf *b, const char *key, int64_t ms)
{
	buf_printf(b, ",\"%s\":", key);
	if (ms <= 0) {
		buf_adds(b, "null");
		return;
	}
	char iso[32];
	status_iso(ms, iso);
	json_add_str(b, iso);
}

static void add_str(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, ",\"%s\":", key);
	if (v)
		json_add_str(b, v);
	else
		buf_adds(b, "null");
}

static int64_t read_proc_int(const char *path)
{
	FILE *f = fopen(path, "re");
	long long v = -1;
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* ---- backlog: bytes of known files past their cursor ---- */
struct backlog {
	struct store *s;
	int64_t files, bytes;
};

static int backlog_one(void *ud, const char *path, const char *provider)
{
	struct backlog *bl = ud;
	struct store_file f;
	struct stat st;
	(void)provider;
	if (store_get_file(bl->s, path, &f) != 1)
		return 0;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > f.offset) {
		bl->files++;
		bl->bytes += st.st_size - f.offset;
	}
	store_file_free(&f);
	return 0;
}

/* ---- drift: the counts table, per provider ---- */
struct drift {
	struct buf *b;
	char *provider;
	int64_t total, unknown;
	struct buf counts;
};

static void drift_end(struct drift *d)
{
	if (!d->provider)
		return;
	buf_adds(d->b, d->b->p[d->b->len - 1] == '[' ? "{\"provider\":" : ",{\"provider\":");
	json_add_str(d->b, d->provider);
	buf_printf(d->b, ",\"skipped\":%lld,\"unknown\":%lld,\"counts\":{%s}}", (long long)d->total,
		   (long long)d->unknown, buf_str(&d->counts));
	free(d->provider);
	d->provider = NULL;
	d->total = d->unknown = 0;
	buf_reset(&d->counts);
}

static int drift_one(void *ud, const char *provider, const char *type, int64_t n)
{
	struct drift *d = ud;
	if (d->provider && strcmp(d->provider, provider))
		drift_end(d);
	if (!d->provider)
		d->provider = xstrdup(provider);
	if (d->counts.len)
		buf_addc(&d->counts, ',');
	json_add_str(&d->counts, type);
	buf_printf(&d->counts, ":%lld", (long long)n);
	d->total += n;
	if (!strncmp(type, "unknown:", 8))
		d->unknown += n;
	return 0;
}

/* ---- commands ---- */
struct cmds {
	struct buf *b;
	bool first;
};

static int command_one(void *ud, const struct store_command *c, const char *kato_id)
{
	struct cmds *o = ud;
	struct buf *b = o->b;
	char when[32];
	status_iso(c->at_ms, when);
	buf_adds(b, o->first ? "{\"at\":" : ",{\"at\":");
	o->first = false;
	json_add_str(b, when);
	buf_adds(b, ",\"session\":");
	json_add_str(b, kato_id);
	buf_printf(b, ",\"seq\":%lld,\"line\":%d,\"command\":", (long long)c->seq, c->line);
	json_add_str(b, c->name);
	add_str(b, "argument", c->arg);
	add_str(b, "outcome", c->outcome);
	add_str(b, "target", c->target);
	add_str(b, "reason", c->reason);
	buf_addc(b, '}');
	return 0;
}

static int id_cb(void *ud, const struct store_session_row *r)
{
	buf_adds(ud, r->kato_id);
	return 0;
}

int status_json(struct store *s, const struct status_live *live, long pid, int limit, struct buf *out)
{
	int64_t ns, ne, nf, unwatched = -1, since = 0, started = 0, stopped = 0;
	if (store_totals(s, &ns, &ne, &nf) < 0)
		return -1;
	store_meta_get(s, "counts_since_ms", &since);
	store_meta_get(s, "katod_started_ms", &started);
	store_meta_get(s, "katod_stopped_ms", &stopped);
	if (live)
		pid = live->pid;
	if (pid && !live)
		store_meta_get(s, "unwatched_dirs", &unwatched);

	/* katod */
	buf_printf(out, "{\"katod\":{\"running\":%s,\"answering\":%s,\"pid\":", pid ? "true" : "false",
		   live ? "true" : "false");
	if (pid > 0)
		buf_printf(out, "%ld", pid);
	else
		buf_adds(out, "null");
	add_str(out, "version", live ? KATO_VERSION : NULL);
	add_time(out, "startedAt", pid ? started : 0);
	buf_adds(out, ",\"uptimeSeconds\":");
	if (live && live->started_ms) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		buf_printf(out, "%lld", (long long)((int64_t)ts.tv_sec - live->started_ms / 1000));
	} else {
		buf_adds(out, "null");
	}
	add_time(out, "stoppedAt", pid ? 0 : stopped);
	buf_adds(out, ",\"unwatchedDirectories\":");
	if (live)
		buf_printf(out, "%d", live->unwatched_dirs);
	else if (unwatched >= 0)
		buf_printf(out, "%lld", (long long)unwatched);
	else
		buf_adds(out, "null");
	char *dir = paths_state_dir(), *log = paths_join(dir, "katod.log");
	add_str(out, "log", log);
	free(log);
	free(dir);
	buf_addc(out, '}');

	/* store */
	char *db = paths_db_file();
	struct stat st;
	int64_t bytes = stat(db, &st) == 0 ? (int64_t)st.st_size : -1;
	char *wal = xmalloc(strlen(db) + 5);
	sprintf(wal, "%s-wal", db); /* the write-ahead log is part of it */
	if (bytes >= 0 && stat(wal, &st) == 0)
		bytes += (int64_t)st.st_size;
	free(wal);
	buf_adds(out, ",\"store\":{\"path\":");
	json_add_str(out, db);
	free(db);
	buf_printf(out, ",\"bytes\":%lld,\"sessions\":%lld,\"events\":%lld,\"files\":%lld}", (long long)bytes,
		   (long long)ns, (long long)ne, (long long)nf);
	buf_printf(out, ",\"sessions\":%lld,\"events\":%lld,\"files\":%lld", (long long)ns, (long long)ne,
		   (long long)nf);

	/* roots and watches */
	buf_adds(out, ",\"roots\":");
	if (live) {
		buf_addc(out, '[');
		for (size_t i = 0; i < live->nroots; i++) {
			const struct status_root *r = &live->roots[i];
			buf_adds(out, i ? ",{\"provider\":" : "{\"provider\":");
			json_add_str(out, r->provider);
			add_str(out, "path", r->path);
			add_str(out, "state", r->state);
			add_str(out, "reason", r->reason);
			buf_addc(out, '}');
		}
		buf_addc(out, ']');
	} else {
		buf_adds(out, "null");
	}
	int64_t max_watches = read_proc_int("/proc/sys/fs/inotify/max_user_watches");
	buf_adds(out, ",\"watch\":{\"directories\":");
	if (live)
		buf_printf(out, "%d", live->watched_dirs);
	else
		buf_adds(out, "null");
	buf_printf(out, ",\"files\":%lld,\"maxUserWatches\":", (long long)nf);
	if (max_watches >= 0)
		buf_printf(out, "%lld", (long long)max_watches);
	else
		buf_adds(out, "null");
	buf_addc(out, '}');

	/* backlog */
	struct backlog bl = {s, 0, 0};
	store_each_file(s, NULL, backlog_one, &bl);
	buf_printf(out, ",\"backlog\":{\"files\":%lld,\"bytes\":%lld,\"pendingFiles\":", (long long)bl.files,
		   (long long)bl.bytes);
	if (live)
		buf_printf(out, "%zu}", live->pending_files);
	else
		buf_adds(out, "null}");

	/* format drift */
	buf_adds(out, ",\"drift\":{\"since\":");
	if (since > 0) {
		char iso[32];
		status_iso(since, iso);
		json_add_str(out, iso);
	} else {
		buf_adds(out, "null");
	}
	buf_adds(out, ",\"providers\":[");
	struct drift d = {out, NULL, 0, 0, BUF_INIT};
	int rc = store_each_count(s, drift_one, &d);
	drift_end(&d);
	buf_free(&d.counts);
	buf_adds(out, "],\"silentFiles\":");
	if (live) {
		buf_addc(out, '[');
		for (size_t i = 0, n = 0; i < live->nsilent; i++) {
			if (!live->silent[i].flushed)
				continue;
			buf_adds(out, n++ ? ",{\"path\":" : "{\"path\":");
			json_add_str(out, live->silent[i].path);
			buf_printf(out, ",\"bytes\":%lld}", (long long)live->silent[i].bytes);
		}
		buf_addc(out, ']');
	} else {
		buf_adds(out, "null");
	}
	buf_addc(out, '}');

	/* recordings */
	struct store_recording *v = NULL;
	size_t nv = 0;
	if (store_recordings(s, 0, &v, &nv) < 0)
		return -1;
	struct buf tmp = BUF_INIT;
	size_t active = 0;
	buf_adds(out, ",\"recordings\":[");
	for (size_t i = 0; i < nv; i++) {
		buf_reset(&tmp);
		store_get_session(s, v[i].session, id_cb, &tmp);
		buf_adds(out, i ? ",{\"path\":" : "{\"path\":");
		json_add_str(out, v[i].path);
		buf_adds(out, ",\"session\":");
		json_add_str(out, buf_str(&tmp));
		buf_printf(out, ",\"recordingId\":\"%s\",\"active\":%s,\"writtenThroughSeq\":%lld,\"pendingAppend\":%s}",
			   v[i].rec_id, v[i].active ? "true" : "false", (long long)v[i].write_seq,
			   v[i].pending ? "true" : "false");
		active += v[i].active;
	}
	buf_printf(out, "],\"activeRecordings\":%zu", active);
	buf_free(&tmp);
	store_recordings_free(v, nv);

	/* command outcomes */
	buf_adds(out, ",\"commands\":[");
	struct cmds c = {out, true};
	if (store_each_command(s, limit, command_one, &c) < 0)
		rc = -1;
	buf_adds(out, "]}");
	return rc < 0 ? -1 : 0;
}
