/* SPDX-License-Identifier: Apache-2.0 */
/* katod: the kato daemon. One thread, one epoll loop over the inotify
 * descriptor, a signalfd and a timerfd that is armed only while something
 * is pending (an idle flush, or the next safety sweep).
 *
 * Daemon state, all owned by main() and passed down as `struct daemon`:
 * the config, the loaded plugins, the store, the watcher, the roots (one
 * per provider root directory, tagged by index), and the pending files
 * (touched recently: their tail is read after TAIL_MS of quiet and held-back
 * records are flushed after FLUSH_MS). */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clean.h"
#include "config.h"
#include "control.h"
#include "ingest.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "pipeline.h"
#include "plugin.h"
#include "recorder.h"
#include "status.h"
#include "store.h"
#include "watch.h"

/* After this long without changes, an unterminated last line is read if
 * it is complete JSON ... */
#define TAIL_MS 500
/* ... and after this long, records a plugin held back (a streamed message
 * that might still change) are released. */
#define FLUSH_MS 10000
/* Safety sweep: stat every known file in case inotify missed something
 * (NFS, mmap writers, a lost overflow). */
#define SWEEP_MS (5 * 60 * 1000)
/* A recording that could not be written (disk full, permissions) is tried
 * again after RETRY_MS, then twice as long each time up to RETRY_MAX_MS. */
#define RETRY_MS 2000
#define RETRY_MAX_MS (5 * 60 * 1000)
/* Directories that could not be watched (inotify watch limit) are
 * scanned this often instead. */
#define RESCAN_MS (10 * 1000)
/* The store leaves bulk mode (its WAL is checkpointed into the database
 * and its cache given back) this long after a backfill, not before the
 * backfill is reported done: every event is committed and searchable by
 * then, and the checkpoint's writes and syncs (a third of a small
 * backfill's time) need not hold up the first live events either. */
#define BULK_LINGER_MS 1000
/* Bytes read from one file before katod looks at its signals and at the
 * other files again: a file that grows faster than it is read cannot
 * hold the loop, and SIGTERM is honoured within about a second. */
#define READ_BUDGET (16 << 20)
/* A message is live (its commands run) when it is newer than the moment
 * katod last had its root under watch, less LIVE_SLACK_MS, and than its
 * file's birth less INGEST_BIRTH_SLACK_MS (ingest.h). The moment is kept in the store and
 * refreshed at most every HEARTBEAT_MS while files change (an idle katod
 * writes nothing: no file changed, so no message can fall in between). */
#define LIVE_SLACK_MS (60 * 1000)
#define HEARTBEAT_MS (60 * 1000)
/* The detached katod's log file is renamed katod.log.1 at this size
 * ($KATO_LOG_MAX_BYTES overrides it). */
#define LOG_CAP (1 << 20)

struct root {
	char *dir;
	const struct plugin *plugin;
	bool watched;
	int missing_logged; /* "does not exist (yet)" logged */
	/* wall clock: since when this root counts as watched without a gap
	 * (the end of the previous katod's watch, or this one's start) */
	int64_t since_ms;
};

struct pending_file {
	char *path;
	int root;
	int64_t due_ms;  /* act when the clock passes this */
	unsigned flags;  /* what to do then: INGEST_TAIL, then INGEST_FLUSH */
};

struct daemon {
	struct kato_config cfg;
	char *config_path;
	struct plugin_set plugins;
	struct store *store;
	struct ingest in;
	struct pipeline *pipe; /* while backfilling at start: files read on a second core */
	struct recorder *rec;
	int64_t retry_ms;     /* when to run the recorder again after a failure, 0: never */
	int64_t heartbeat_ms; /* when the roots' watch times were last stored */
	struct watch *watch;
	struct root *roots;
	size_t nroots;
	struct pending_file *pending; /* touched: read tail / flush when quiet */
	size_t npending;
	struct pending_file *dirty; /* changed in this inotify drain */
	size_t ndirty;
	int timer_fd;
	int sig_fd;
	int64_t next_sweep_ms;
	int64_t next_rescan_ms; /* unwatched directories: 0 when there are none */
	int64_t reread_ms;      /* every root read again (the backfill was not all stored), 0: no */
	int64_t bulk_end_ms;    /* when the store leaves bulk mode, 0: it is not in it */
	bool backfilling; /* scanning: read files found at once, not on the next drain */
	bool stop;        /* SIGTERM or SIGINT taken */
	bool reload;      /* SIGHUP taken */
	struct control *ctl;         /* the control socket (kato status, stop, clean) */
	int64_t started_ms;          /* wall clock */
	struct status_silent *silent; /* files that grew without yielding an event */
	size_t nsilent;
};

/* At most this many "grew without events" files are remembered. */
#define SILENT_MAX 100

static const char usage_text[] =
	"Usage: katod [--foreground] [--config FILE] [--verbose]\n"
	"\n"
	"The kato daemon: watches the provider session directories, keeps every\n"
	"conversation event in the store ($XDG_STATE_HOME/kato/kato.db, or\n"
	"$KATO_HOME/kato.db) and follows new lines as they are written. Commands\n"
	"you type into a chat (::capture ~/notes/x.md, ::record, ::stop, ::init,\n"
	"::export) write it to Markdown; see kato(1) and kato status.\n"
	"\n"
	"  -f, --foreground   stay in the foreground and log to stderr\n"
	"  -c, --config FILE  read FILE instead of $XDG_CONFIG_HOME/kato/config.yaml\n"
	"  -v, --verbose      log debug messages too\n"
	"  -h, --help         show this help\n"
	"  -V, --version      show the version\n"
	"\n"
	"Signals: SIGTERM or SIGINT finish the current batch and exit 0; SIGHUP\n"
	"reloads the configuration. See katod(1).\n";

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- systemd */

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (!sock || (sock[0] != '/' && sock[0] != '@') || strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, sock, strlen(sock));
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sock));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_debug("sd_notify failed: %s", strerror(errno));
	close(fd);
}

/* SIGTERM or SIGINT while a file is being read (signals are unblocked
 * only then: one huge line can take seconds to parse). Nothing is lost by
 * stopping here: the batch being read is not committed and is read again
 * at the next start, as after a crash. */
static void stop_now(int sig)
{
	static const char msg[] = "katod: stopping at once (the file being read is read again at the next start)\n";
	(void)sig;
	ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)w;
	_exit(0);
}

static sigset_t stop_signals; /* SIGTERM, SIGINT */

/* Take the signals that arrived: SIGTERM/SIGINT stop, SIGHUP asks for a
 * reload (done by the main loop). Called by the loop, and between files
 * and read slices while scanning, so a long backfill stops in time. */
static void take_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			d->reload = true;
		} else if (!d->stop) {
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			d->stop = true;
		}
	}
}

/* ---------------------------------------------------------------- files */

static void arm_timer(struct daemon *d)
{
	int64_t due = d->next_sweep_ms;
	if (d->retry_ms && d->retry_ms < due)
		due = d->retry_ms;
	if (d->next_rescan_ms && d->next_rescan_ms < due)
		due = d->next_rescan_ms;
	if (d->reread_ms && d->reread_ms < due)
		due = d->reread_ms;
	if (d->bulk_end_ms && d->bulk_end_ms < due)
		due = d->bulk_end_ms;
	for (size_t i = 0; i < d->npending; i++)
		if (d->pending[i].due_ms < due)
			due = d->pending[i].due_ms;
	int64_t wait = due - now_ms();
	if (wait < 1)
		wait = 1;
	struct itimerspec its = {.it_value = {wait / 1000, (wait % 1000) * 1000000}};
	timerfd_settime(d->timer_fd, 0, &its, NULL);
}

/* Add path to a list, or reset its due time and flags if it is there. */
static void list_put(struct pending_file **list, size_t *n, const char *path, int root,
		     int64_t due, unsigned flags)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*list)[i].path, path)) {
			(*list)[i].due_ms = due;
			(*list)[i].flags = flags;
			return;
		}
	}
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = (struct pending_file){xstrdup(path), root, due, flags};
}

/* Look at the file again once it has been quiet: first its tail, later a
 * flush. */
static void mark_pending(struct daemon *d, const char *path, int root, unsigned flags)
{
	int64_t wait = flags & INGEST_FLUSH ? FLUSH_MS - TAIL_MS : TAIL_MS;
	list_put(&d->pending, &d->npending, path, root, now_ms() + wait, flags);
}

static void take_signals(struct daemon *d);
static void note_unwatched(struct daemon *d);
static void read_done(void *ud, const char *path, int rc, int64_t added, int root, unsigned flags);

/* Format drift seen live: a file that grew by `bytes` and gave `events`
 * (new or already stored). Bytes without any event are added up per file;
 * an event clears the file. Once a flush (the file quiet, held-back
 * records released) still gives none, kato status lists it. */
static void note_silent(struct daemon *d, const char *path, int64_t bytes, int64_t events, bool flush)
{
	size_t i = 0;
	while (i < d->nsilent && strcmp(d->silent[i].path, path))
		i++;
	if (events > 0) {
		if (i < d->nsilent) {
			free(d->silent[i].path);
			d->silent[i] = d->silent[--d->nsilent];
		}
		return;
	}
	if (bytes > 0 && !d->backfilling && i == d->nsilent) { /* only growth seen live */
		if (d->nsilent == SILENT_MAX)
			return;
		d->silent = xrealloc(d->silent, (d->nsilent + 1) * sizeof *d->silent);
		d->silent[d->nsilent++] = (struct status_silent){xstrdup(path), 0, false};
	}
	if (i == d->nsilent)
		return;
	if (!d->backfilling)
		d->silent[i].bytes += bytes;
	if (flush && !d->silent[i].flushed) {
		d->silent[i].flushed = true;
		log_info("%s: grew by %lld byte(s) without any event (format drift? see kato status)", path,
			 (long long)d->silent[i].bytes);
	}
}

/* Read what is new in one file of root `root` (flags: INGEST_*), and
 * schedule the next look: the tail after TAIL_MS, a flush after FLUSH_MS.
 * At most READ_BUDGET bytes at a time: while scanning, the signals are
 * looked at between slices; live, the rest is queued behind the other
 * files' events. */
static void read_file(struct daemon *d, const char *path, int root, unsigned flags)
{
	const struct plugin *p = d->roots[root].plugin;
	if (KATO_FEED_MODE(p->desc->match_path(path)) == KATO_FEED_NONE)
		return;
	int64_t before = d->in.stats.events_new;
	int64_t bytes_before = d->in.stats.bytes, seen_before = before + d->in.stats.events_dup;
	d->in.live_after_ms = d->roots[root].since_ms - LIVE_SLACK_MS;
	d->in.scanning = d->backfilling;
	if (d->pipe && d->backfilling) {
		sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
		pipeline_add(d->pipe, p, path, flags, root);
		sigprocmask(SIG_BLOCK, &stop_signals, NULL);
		return;
	}
	int rc;
	for (;;) {
		sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
		rc = ingest_file(&d->in, p, path, flags);
		sigprocmask(SIG_BLOCK, &stop_signals, NULL);
		if (rc != INGEST_MORE)
			break;
		if (!d->backfilling) {
			list_put(&d->pending, &d->npending, path, root, now_ms(), flags & INGEST_TAIL);
			return;
		}
		take_signals(d);
		if (d->stop)
			return;
	}
	if (rc >= 0) /* (the pipeline's backfill is before anything can drift live) */
		note_silent(d, path, d->in.stats.bytes - bytes_before,
			    d->in.stats.events_new + d->in.stats.events_dup - seen_before, flags & INGEST_FLUSH);
	read_done(d, path, rc, d->in.stats.events_new - before, root, flags);
}

/* After a file was read (rc: ingest_file's result, added: events stored):
 * schedule its next look. Also the pipeline's done callback. */
static void read_done(void *ud, const char *path, int rc, int64_t added, int root, unsigned flags)
{
	struct daemon *d = ud;
	if (rc < 0 && d->stop)
		return; /* stopped while reading: read again at the next start */
	if (rc < 0) {
		log_error("%s: could not store what was read; will retry shortly", path);
		mark_pending(d, path, root, INGEST_TAIL);
		return;
	}
	if (added)
		log_debug("%s: %lld new event(s)", path, (long long)added);
	if (rc == INGEST_GONE || (flags & INGEST_FLUSH))
		return;
	mark_pending(d, path, root, flags & INGEST_TAIL ? INGEST_TAIL | INGEST_FLUSH : INGEST_TAIL);
}

static void on_watch(void *ud, enum watch_what what, const char *path, int root);

static void on_event(void *ud, int64_t sid, int64_t seq, const char *kind, uint32_t flags, bool maybe_command)
{
	(void)kind;
	(void)flags;
	recorder_note_event(ud, sid, seq, maybe_command);
}

/* Run the commands and appends of the sessions that got new events (and
 * of failed ones whose retry is due); arm the retry of the rest. */
static void record(struct daemon *d)
{
	int rc = recorder_run(d->rec);
	if (rc < 0) {
		log_error("recorder: store error: %s; will retry", store_errmsg(d->store));
		d->retry_ms = now_ms() + RETRY_MS;
		return;
	}
	d->retry_ms = recorder_next_retry(d->rec);
}

/* Store, for every watched root, that katod has it under watch now (the
 * live rule's "since" for the next katod). At most every HEARTBEAT_MS
 * unless `force`. */
static void heartbeat(struct daemon *d, bool force)
{
	int64_t now = now_ms();
	if (!force && d->heartbeat_ms && now - d->heartbeat_ms < HEARTBEAT_MS)
		return;
	d->heartbeat_ms = now;
	int64_t wall = wall_now_ms();
	for (size_t i = 0; i < d->nroots; i++) {
		if (!d->roots[i].watched)
			continue;
		char *key = paths_join("root_watched_ms:", d->roots[i].dir);
		if (store_meta_set(d->store, key, wall) < 0)
			log_debug("store: cannot note the watch time of %s: %s", d->roots[i].dir,
				  store_errmsg(d->store));
		free(key);
	}
}

/* Unchanged for longer than FLUSH_MS: history, safe to flush at once. */
static bool quiet_for_long(const char *path)
{
	struct stat st;
	struct timespec now;
	if (stat(path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return false;
	int64_t age_ms = (int64_t)(now.tv_sec - st.st_mtim.tv_sec) * 1000 +
			 (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	return age_ms > FLUSH_MS;
}

/* Since when root r counts as watched: when the previous katod last had
 * it under watch (stored by heartbeat), else now. */
static void root_since(struct daemon *d, struct root *r)
{
	if (r->since_ms)
		return;
	char *key = paths_join("root_watched_ms:", r->dir);
	int64_t v;
	r->since_ms = store_meta_get(d->store, key, &v) == 1 && v > 0 && v < wall_now_ms() ? v : wall_now_ms();
	free(key);
}

/* Watch and scan every root that exists, reading the files found at once;
 * returns how many are watched. */
static size_t watch_roots(struct daemon *d)
{
	size_t n = 0;
	bool was = d->backfilling;
	d->backfilling = true;
	for (size_t i = 0; i < d->nroots && !d->stop; i++) {
		struct root *r = &d->roots[i];
		root_since(d, r);
		if (watch_add_tree(d->watch, r->dir, (int)i, on_watch, d) < 0) {
			if (r->watched || (errno != ENOENT && errno != ENOTDIR))
				log_info("%s root %s: %s; it is checked again at the next sweep",
					 r->plugin->desc->name, r->dir, strerror(errno));
			else if (!r->missing_logged++)
				log_info("%s root %s does not exist (yet): it is followed as soon as it is "
					 "created", r->plugin->desc->name, r->dir);
			r->watched = false;
			continue;
		}
		if (!r->watched)
			log_info("watching %s root %s", r->plugin->desc->name, r->dir);
		r->watched = true;
		n++;
	}
	d->backfilling = was;
	note_unwatched(d);
	return n;
}

/* Publish how many directories have no watch (kato status shows it) and
 * schedule their re-scan. */
static void note_unwatched(struct daemon *d)
{
	int n = watch_unwatched(d->watch);
	int64_t prev = 0;
	store_meta_get(d->store, "unwatched_dirs", &prev);
	if (prev != n) {
		if (n)
			log_warn("%d director%s cannot be watched (inotify watch limit reached): re-scanned "
				 "every %d s instead; raise fs.inotify.max_user_watches (see katod(1))",
				 n, n == 1 ? "y" : "ies", RESCAN_MS / 1000);
		else if (prev)
			log_info("every directory is watched again");
		store_meta_set(d->store, "unwatched_dirs", n);
	}
	d->next_rescan_ms = n ? now_ms() + RESCAN_MS : 0;
}

static void on_watch(void *ud, enum watch_what what, const char *path, int root)
{
	struct daemon *d = ud;
	switch (what) {
	case WATCH_FILE:
		if (d->stop)
			break;
		if (d->backfilling) {
			read_file(d, path, root, INGEST_TAIL | (quiet_for_long(path) ? INGEST_FLUSH : 0));
			take_signals(d);
			if (d->ctl) /* kato status and stop answered during a long backfill */
				control_dispatch(d->ctl);
		} else
			list_put(&d->dirty, &d->ndirty, path, root, 0, 0);
		break;
	case WATCH_GONE:
		log_debug("%s: removed (its events stay in the store)", path);
		break;
	case WATCH_ROOT: /* a missing root was created: its files follow */
		if (root >= 0 && (size_t)root < d->nroots && !d->roots[root].watched) {
			d->roots[root].watched = true;
			log_info("watching %s root %s (it was just created)", d->roots[root].plugin->desc->name, path);
		}
		break;
	case WATCH_ROOT_GONE:
		if (root >= 0 && (size_t)root < d->nroots && d->roots[root].watched) {
			d->roots[root].watched = false;
			log_info("%s root %s was removed (its events stay in the store); it is followed "
				 "again as soon as it is created", d->roots[root].plugin->desc->name, path);
		}
		break;
	case WATCH_OVERFLOW:
		log_warn("inotify queue overflowed: rescanning every root");
		store_count(d->store, "katod", "inotify-overflow", 1);
		watch_roots(d);
		break;
	}
}

/* The safety sweep: every known file is examined (stat + two small
 * hashes); missing roots are tried again. */
struct sweep {
	struct daemon *d;
	char **paths;
	int *roots;
	size_t n;
};

static int root_of(struct daemon *d, const char *path, const char *provider)
{
	for (size_t i = 0; i < d->nroots; i++) {
		size_t n = strlen(d->roots[i].dir);
		if (!strcmp(d->roots[i].plugin->desc->name, provider) && !strncmp(path, d->roots[i].dir, n) &&
		    path[n] == '/')
			return (int)i;
	}
	return -1;
}

static int sweep_one(void *ud, const char *path, const char *provider)
{
	struct sweep *s = ud;
	int root = root_of(s->d, path, provider);
	if (root < 0)
		return 0; /* imported by hand, or a root no longer configured */
	s->paths = xrealloc(s->paths, (s->n + 1) * sizeof *s->paths);
	s->roots = xrealloc(s->roots, (s->n + 1) * sizeof *s->roots);
	s->paths[s->n] = xstrdup(path);
	s->roots[s->n++] = root;
	return 0;
}

static void sweep(struct daemon *d)
{
	struct sweep s = {.d = d};
	store_each_file(d->store, NULL, sweep_one, &s);
	for (size_t i = 0; i < s.n; i++) {
		read_file(d, s.paths[i], s.roots[i], 0);
		free(s.paths[i]);
	}
	free(s.paths);
	free(s.roots);
	for (size_t i = 0; i < d->nroots; i++)
		if (!d->roots[i].watched) {
			watch_roots(d);
			break;
		}
	d->next_sweep_ms = now_ms() + SWEEP_MS;
}

/* Directories without a watch: scan them again (new files, growth). */
static void rescan(struct daemon *d)
{
	d->backfilling = true;
	watch_rescan(d->watch, on_watch, d);
	d->backfilling = false;
	note_unwatched(d);
}

static void on_timer(struct daemon *d)
{
	uint64_t ticks;
	if (read(d->timer_fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	int64_t now = now_ms();
	/* take the due entries out first: read_file may queue new ones */
	struct pending_file *due = NULL;
	size_t ndue = 0, k = 0;
	for (size_t i = 0; i < d->npending; i++) {
		if (d->pending[i].due_ms > now) {
			d->pending[k++] = d->pending[i];
			continue;
		}
		due = xrealloc(due, (ndue + 1) * sizeof *due);
		due[ndue++] = d->pending[i];
	}
	d->npending = k;
	for (size_t i = 0; i < ndue; i++) {
		read_file(d, due[i].path, due[i].root, due[i].flags);
		free(due[i].path);
	}
	free(due);
	if (now >= d->next_sweep_ms)
		sweep(d);
	if (d->next_rescan_ms && now >= d->next_rescan_ms)
		rescan(d);
	if (d->reread_ms && now >= d->reread_ms) {
		d->reread_ms = 0;
		log_info("reading every root again");
		watch_roots(d);
	}
	if (d->bulk_end_ms && now >= d->bulk_end_ms) {
		d->bulk_end_ms = 0;
		if (store_bulk(d->store, false) < 0)
			log_warn("store: cannot checkpoint its log: %s", store_errmsg(d->store));
		mem_give_back(); /* what the backfill's threads and buffers used */
	}
	record(d);
}

/* Read the changed files of one inotify drain, each once however many
 * events it had. */
static void read_dirty(struct daemon *d)
{
	for (size_t k = 0; k < d->ndirty; k++) {
		if (!d->stop)
			read_file(d, d->dirty[k].path, d->dirty[k].root, 0);
		free(d->dirty[k].path);
	}
	d->ndirty = 0;
}

/* ---------------------------------------------------------------- control */

/* Answer one control socket request (control.h): status, stop, clean. */
static int on_control(void *ud, const char *cmd, struct json_object *req, struct buf *out, char **err)
{
	struct daemon *d = ud;
	struct json_object *v;
	struct buf msg = BUF_INIT;
	if (!strcmp(cmd, "status")) {
		int limit = 20;
		if (json_object_object_get_ex(req, "limit", &v) && json_object_is_type(v, json_type_int))
			limit = (int)json_object_get_int64(v);
		if (limit < 0 || limit > 100000)
			limit = 20;
		struct status_root *roots = xcalloc(d->nroots + 1, sizeof *roots);
		char **why = xcalloc(d->nroots + 1, sizeof *why);
		for (size_t i = 0; i < d->nroots; i++) {
			struct stat st;
			roots[i].provider = d->roots[i].plugin->desc->name;
			roots[i].path = d->roots[i].dir;
			roots[i].state = "watching";
			if (d->roots[i].watched)
				continue;
			int e = stat(d->roots[i].dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
			roots[i].state = e == ENOENT ? "missing" : "error";
			why[i] = xstrdup(e == ENOENT ? "does not exist (yet); followed from its parent: read as soon as it is created"
					 : e ? strerror(e) : "cannot be watched; checked again at the next sweep");
			roots[i].reason = why[i];
		}
		struct status_live live = {
			.pid = (long)getpid(),
			.started_ms = d->started_ms,
			.roots = roots,
			.nroots = d->nroots,
			.watched_dirs = watch_count(d->watch),
			.unwatched_dirs = watch_unwatched(d->watch),
			.silent = d->silent,
			.nsilent = d->nsilent,
			.pending_files = d->npending,
		};
		buf_adds(out, ",\"status\":");
		int rc = status_json(d->store, &live, live.pid, limit, out);
		for (size_t i = 0; i < d->nroots; i++)
			free(why[i]);
		free(why);
		free(roots);
		if (rc < 0)
			buf_printf(&msg, "cannot read the store: %s", store_errmsg(d->store));
	} else if (!strcmp(cmd, "stop")) {
		log_info("stop requested over the control socket");
		d->stop = true;
		buf_printf(out, ",\"pid\":%ld", (long)getpid());
	} else if (!strcmp(cmd, "clean")) {
		struct clean_opts o = {0};
		if (json_object_object_get_ex(req, "sessionsDays", &v) && json_object_is_type(v, json_type_int))
			o.sessions_days = (int)json_object_get_int64(v);
		o.logs = json_object_object_get_ex(req, "logs", &v) && json_object_get_boolean(v);
		o.dry_run = json_object_object_get_ex(req, "dryRun", &v) && json_object_get_boolean(v);
		if (clean_run(d->store, &o, out, err) < 0)
			return -1;
		if (!o.dry_run)
			log_info("kato clean:%s%s", o.sessions_days ? " old sessions" : "", o.logs ? " log" : "");
	} else {
		buf_printf(&msg, "unknown command: %s (this katod knows status, stop, clean)", cmd);
	}
	if (msg.len) {
		*err = buf_take(&msg);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- setup */

static void add_root(struct daemon *d, const char *dir, const struct plugin *p)
{
	char *x = paths_expand(dir);
	char *real = realpath(x, NULL);
	char *use = real ? real : x;
	for (size_t i = 0; i < d->nroots; i++) {
		if (!strcmp(d->roots[i].dir, use)) {
			free(real);
			free(x);
			return;
		}
	}
	d->roots = xrealloc(d->roots, (d->nroots + 1) * sizeof *d->roots);
	d->roots[d->nroots++] = (struct root){xstrdup(use), p, false, 0, 0};
	free(real);
	free(x);
}

static void setup_roots(struct daemon *d)
{
	for (size_t i = 0; i < d->plugins.n; i++) {
		const struct plugin *p = &d->plugins.v[i];
		const struct config_provider_roots *cr = config_roots_for(&d->cfg, p->desc->name);
		if (cr) {
			for (size_t k = 0; k < cr->n; k++)
				add_root(d, cr->roots[k], p);
			continue;
		}
		const char *s = p->desc->default_roots ? p->desc->default_roots : "";
		while (*s) {
			const char *e = strchr(s, '\n');
			size_t n = e ? (size_t)(e - s) : strlen(s);
			if (n) {
				char *one = xstrndup(s, n);
				add_root(d, one, p);
				free(one);
			}
			s += n + (e ? 1 : 0);
		}
	}
	for (size_t i = 0; i < d->cfg.n_provider_roots; i++)
		if (!plugin_find(&d->plugins, d->cfg.provider_roots[i].provider))
			log_warn("config names provider '%s' but no such plugin is loaded (see kato providers)",
				 d->cfg.provider_roots[i].provider);
}

static int load_config(struct daemon *d)
{
	struct kato_config cfg;
	char *err = NULL;
	if (config_load(d->config_path, &cfg, &err) < 0) {
		log_error("invalid configuration: %s", err);
		free(err);
		return -1;
	}
	config_free(&d->cfg);
	d->cfg = cfg;
	return 0;
}

/* One katod per user: an flock on <runtime dir>/katod.lock. */
static int take_lock(void)
{
	char *dir = paths_runtime_dir();
	char *why = NULL;
	if (paths_private_dir(dir, &why) < 0) {
		log_error("runtime directory %s %s; katod will not use it (remove it, or set "
			  "XDG_RUNTIME_DIR to a private directory)", dir, why);
		free(why);
		free(dir);
		return -1;
	}
	char *path = paths_join(dir, "katod.lock");
	free(dir);
	int fd = paths_open_private(path, O_RDWR | O_CREAT, &why);
	if (fd < 0) {
		log_error("lock file %s %s; katod will not use it", path, why);
		free(why);
		free(path);
		return -1;
	}
	/* a katod that was just stopped may still be finishing its threads:
	 * give it up to a second before calling it running */
	for (int i = 0; i < 10 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK; i++)
		usleep(100 * 1000);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_error("another katod is already running for this user (lock %s held)", path);
		else
			log_error("cannot lock %s: %s", path, strerror(errno));
		free(path);
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, (size_t)n) != n)
		log_debug("cannot write pid to %s", path);
	free(path);
	return fd; /* kept open for the life of the process */
}

static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	/* stderr goes to <state dir>/katod.log (never through a link), with
	 * timestamps, rotated at LOG_CAP bytes */
	char *dir = paths_state_dir();
	char *log = paths_join(dir, "katod.log");
	const char *cap = getenv("KATO_LOG_MAX_BYTES");
	if (paths_private_dir(dir, NULL) == 0)
		log_to_file(log, cap && atoll(cap) > 0 ? atoll(cap) : LOG_CAP, NULL);
	free(log);
	free(dir);
	return chdir("/");
}

static void log_summary(struct daemon *d, const char *when)
{
	const struct ingest_stats *s = &d->in.stats;
	log_info("%s: %lld file(s) read, %.1f MB, %lld new event(s), %lld already stored, "
		 "%lld bad line(s), %lld re-read from the start",
		 when, (long long)s->files, (double)s->bytes / 1e6, (long long)s->events_new,
		 (long long)s->events_dup, (long long)s->bad, (long long)s->resets);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	bool foreground = false;
	struct daemon d = {.timer_fd = -1, .sig_fd = -1};
	log_set_ident("katod");
	json_c_locale();
	mem_tune();
	int c;
	while ((c = getopt_long(argc, argv, "fc:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': foreground = true; break;
		case 'c': d.config_path = xstrdup(optarg); break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("katod %s\n", KATO_VERSION); return 0;
		default: fprintf(stderr, "\n%s", usage_text); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "katod: unexpected argument: %s\n\n%s", argv[optind], usage_text);
		return 2;
	}
	bool verbose = log_get_level() == LOG_DEBUG;
	if (foreground)
		log_detect_journal();
	if (!d.config_path)
		d.config_path = config_default_path();
	config_defaults(&d.cfg);
	int rc = 1, lock = -1, ep = -1;
	char *dbpath = NULL, *err = NULL;
	if (load_config(&d) < 0)
		goto out;
	if (!verbose)
		log_set_level(d.cfg.operational_level);
	if (!foreground && daemonize() < 0) {
		log_error("cannot detach: %s", strerror(errno));
		goto out;
	}
	lock = take_lock();
	if (lock < 0)
		goto out;
	d.started_ms = wall_now_ms();
	char *sock = control_socket_path();
	if (control_open(sock, on_control, &d, &d.ctl, &err) < 0) {
		log_error("%s; kato status, stop and clean cannot reach this katod", err);
		free(err);
		err = NULL;
	}
	free(sock);

	plugin_load_all(&d.plugins);
	if (d.plugins.n == 0)
		log_warn("no provider plugins loaded: nothing to watch (see kato providers)");
	dbpath = paths_db_file();
	if (store_open(dbpath, false, &d.store, &err) < 0) {
		log_error("%s: %s", dbpath, err);
		goto out;
	}
	log_info("katod %s starting: store %s, %zu provider(s)", KATO_VERSION, dbpath, d.plugins.n);
	d.in.store = d.store;
	if (recorder_open(d.store, &d.cfg, &d.rec, &err) < 0) {
		log_error("recordings: %s", err);
		goto out;
	}
	recorder_set_retry(d.rec, RETRY_MS, RETRY_MAX_MS);
	d.in.on_event = on_event;
	d.in.ud = d.rec;
	d.in.read_budget = READ_BUDGET;
	if (store_meta_set(d.store, "katod_started_ms", wall_now_ms()) < 0 ||
	    store_meta_set(d.store, "katod_stopped_ms", 0) < 0) {
		log_error("store: %s", store_errmsg(d.store));
		goto out;
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* taken through the signalfd, but at once while a file is read */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	struct sigaction sa = {.sa_handler = stop_now};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	d.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (d.sig_fd < 0 || d.timer_fd < 0 || ep < 0 || watch_open(&d.watch) < 0) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = watch_fd(d.watch);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = d.sig_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d.sig_fd, &ev);
	ev.data.fd = d.timer_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d.timer_fd, &ev);
	if (d.ctl) {
		ev.data.fd = control_fd(d.ctl);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}

	/* Backfill: watch every root, then read every file found. Ready is
	 * reported first: a long backfill must not trip a start timeout. */
	notify("READY=1\nSTATUS=reading existing history");
	setup_roots(&d);
	store_bulk(d.store, true);
	store_group(d.store, true);
	if (!getenv("KATOD_ONE_THREAD")) /* the single-threaded backfill, for tests */
		d.pipe = pipeline_new(&d.in, read_done, &d);
	size_t watched = watch_roots(&d);
	if (d.stop && d.pipe)
		pipeline_stop(d.pipe);
	sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
	pipeline_free(d.pipe);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	d.pipe = NULL;
	/* before the recorder runs: its commits must be durable at once */
	store_group(d.store, false);
	if (store_groups_lost(d.store)) {
		/* the files of a lost group have no cursor in the store: a
		 * rescan of every root finds them (as after an overflow) */
		log_error("store: part of the backfill could not be stored (%s); every root is read again in %d s",
			  store_errmsg(d.store), RETRY_MS / 1000);
		d.reread_ms = now_ms() + RETRY_MS;
	}
	/* stopped half way: the files not read yet keep the old "since" */
	bool scanned = !d.stop;
	if (scanned)
		heartbeat(&d, true);
	if (recorder_resume(d.rec) < 0)
		log_error("recorder: cannot read its state: %s", store_errmsg(d.store));
	record(&d);
	d.bulk_end_ms = now_ms() + BULK_LINGER_MS;
	log_summary(&d, "backfill done");
	log_info("watching %zu of %zu root(s), %d director%s", watched, d.nroots, watch_count(d.watch),
		 watch_count(d.watch) == 1 ? "y" : "ies");
	d.next_sweep_ms = now_ms() + SWEEP_MS;
	arm_timer(&d);
	notify("STATUS=watching for new conversation events");

	while (!d.stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == watch_fd(d.watch)) {
				if (watch_read(d.watch, on_watch, &d) < 0)
					log_error("inotify read: %s", strerror(errno));
				read_dirty(&d);
				heartbeat(&d, false);
				record(&d);
			} else if (fd == d.timer_fd) {
				on_timer(&d);
			} else if (fd == d.sig_fd) {
				take_signals(&d);
			} else if (d.ctl && fd == control_fd(d.ctl)) {
				control_dispatch(d.ctl);
			}
		}
		if (d.reload && !d.stop) {
			d.reload = false;
			log_info("SIGHUP: reloading %s", d.config_path);
			notify("RELOADING=1");
			if (load_config(&d) == 0) {
				if (!verbose)
					log_set_level(d.cfg.operational_level);
				char *rerr = NULL;
				if (recorder_configure(d.rec, &d.cfg, &rerr) < 0) {
					log_error("recordings keep the old settings: %s", rerr);
					free(rerr);
				}
				setup_roots(&d);
				watch_roots(&d); /* a new root's files are read now */
				read_dirty(&d);
				heartbeat(&d, true);
				record(&d);
			}
			notify("READY=1");
		}
		arm_timer(&d);
	}
	notify("STOPPING=1");
	record(&d);
	if (scanned)
		heartbeat(&d, true);
	store_meta_set(d.store, "katod_stopped_ms", wall_now_ms());
	log_summary(&d, "stopped");
	rc = 0;
out:
	control_close(d.ctl);
	for (size_t i = 0; i < d.nsilent; i++)
		free(d.silent[i].path);
	free(d.silent);
	for (size_t i = 0; i < d.npending; i++)
		free(d.pending[i].path);
	free(d.pending);
	for (size_t i = 0; i < d.ndirty; i++)
		free(d.dirty[i].path);
	free(d.dirty);
	for (size_t i = 0; i < d.nroots; i++)
		free(d.roots[i].dir);
	free(d.roots);
	watch_close(d.watch);
	recorder_close(d.rec);
	store_close(d.store);
	plugin_set_free(&d.plugins);
	config_free(&d.cfg);
	free(d.config_path);
	free(dbpath);
	free(err);
	if (ep >= 0)
		close(ep);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	if (d.timer_fd >= 0)
		close(d.timer_fd);
	if (lock >= 0)
		close(lock);
	return rc;
}
