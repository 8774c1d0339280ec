/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "event.h"
#include "fingerprint.h"
#include "log.h"
#include "markdown.h"
#include "source.h"

/* Commit after this many records or bytes, so a huge backfill holds no
 * long write lock and a crash costs little re-reading. */
#define BATCH_LINES 4096
#define BATCH_BYTES (16 << 20)

/* Stored in a batch, published to on_event after the commit. */
struct pending {
	int64_t sid, seq;
	uint32_t flags;
	char *kind, *json;
};

/* The host side of one file while its plugin runs. */
struct file_ctx {
	struct ingest *in;
	const struct plugin *p;
	const char *path;
	char *psid;
	int64_t sid;
	int64_t raw_cursor; /* end offset of the record being parsed */
	int64_t live_after_ms; /* events older than this are history (0: history decides) */
	bool history;          /* for events without a timestamp */
	bool failed;        /* a store error: abandon the batch */
	bool warned_reject;
	int64_t bad_lines, long_lines; /* skipped in this read, for the warnings */
	struct pending *pend;
	size_t npend;
};

char *ingest_default_psid(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *s = xstrdup(base);
	static const char *const exts[] = {".zst", ".jsonl", ".json"};
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t n = strlen(s), e = strlen(exts[i]);
		if (n > e && !strcmp(s + n - e, exts[i]))
			s[n - e] = '\0';
	}
	return s;
}

static int ensure_session(struct file_ctx *c)
{
	if (c->sid)
		return 0;
	if (store_session(c->in->store, c->p->desc->name, c->psid, &c->sid) < 0) {
		log_error("store: cannot create session %s:%s: %s", c->p->desc->name, c->psid,
			  store_errmsg(c->in->store));
		c->failed = true;
		return -1;
	}
	return 0;
}

/* Is ev history: written before kato watched (see struct ingest)? */
static bool is_history(const struct file_ctx *c, const struct kato_event *ev)
{
	int64_t ts;
	if (c->live_after_ms && ev->timestamp && md_parse_time(ev->timestamp, &ts) == 0)
		return ts < c->live_after_ms;
	return c->history;
}

/* Set c's history rule for path from in's (see struct ingest) and the
 * file's birth and modification times. */
static void history_rule(struct file_ctx *c, const char *path)
{
	struct ingest *in = c->in;
	c->live_after_ms = in->live_after_ms;
	c->history = in->history;
	struct statx sx;
	if (!in->live_after_ms || in->live_after_ms == INT64_MAX ||
	    statx(AT_FDCWD, path, 0, STATX_BTIME | STATX_MTIME, &sx) < 0)
		return;
	int64_t mtime = (int64_t)sx.stx_mtime.tv_sec * 1000 + sx.stx_mtime.tv_nsec / 1000000;
	if (in->scanning && mtime < in->live_after_ms)
		c->history = true;
	int64_t born = (int64_t)sx.stx_btime.tv_sec * 1000 + sx.stx_btime.tv_nsec / 1000000;
	if ((sx.stx_mask & STATX_BTIME) && born > 0 && born - INGEST_BIRTH_SLACK_MS > c->live_after_ms)
		c->live_after_ms = born - INGEST_BIRTH_SLACK_MS;
}

/* An event with this many bytes of text or more is big: its JSON is never
 * held whole, but counted and then written into its row in slices (one
 * huge line costs about twice its size: SPEC 8). */
#define INGEST_BIG_TEXT ((size_t)1 << 20)

static size_t text_bytes(const struct kato_event *ev)
{
	return EVENT_LEN(ev, content) + EVENT_LEN(ev, result) + EVENT_LEN(ev, description) +
	       EVENT_LEN(ev, summary) + (ev->input_json ? strlen(ev->input_json) : 0) +
	       (ev->metadata_json ? strlen(ev->metadata_json) : 0);
}

/* A buffer sink that only counts (struct buf sunk). */
static int count_only(void *ud, const char *p, size_t n)
{
	(void)ud;
	(void)p;
	(void)n;
	return 0;
}

struct big_event {
	const struct kato_event *ev;
	struct file_ctx *c;
};

/* store_add_event_fill's fill: the event's JSON, again. */
static int fill_event(void *ud, struct buf *b)
{
	struct big_event *e = ud;
	return event_to_json(e->ev, e->c->p->desc->name, e->c->psid, e->c->raw_cursor, b);
}

static int host_emit(void *ctx, const struct kato_event *ev)
{
	struct file_ctx *c = ctx;
	const char *why = "a JSON-valued field is not valid JSON of the right type";
	if (c->failed)
		return -1;
	struct buf json = BUF_INIT;
	bool big = text_bytes(ev) >= INGEST_BIG_TEXT;
	if (big)
		json.sink = count_only;
	if (event_check(ev, &why) < 0 ||
	    event_to_json(ev, c->p->desc->name, c->psid, c->raw_cursor, &json) < 0) {
		buf_free(&json);
		c->in->stats.rejected++;
		store_count(c->in->store, c->p->desc->name, "rejected-event", 1);
		if (!c->warned_reject)
			log_warn("%s: provider %s produced an unusable event (%s); skipped",
				 c->path, c->p->desc->name, why);
		c->warned_reject = true;
		return -1;
	}
	if (ensure_session(c) < 0) {
		buf_free(&json);
		return -1;
	}
	struct fingerprint fp;
	fingerprint_event(c->p->desc->name, c->psid, ev, &fp);
	/* only the flags the ABI defines, plus kato's own history mark */
	uint32_t flags = ev->flags & (KATO_EVENT_HUMAN | KATO_EVENT_SIDECHAIN | KATO_EVENT_INJECTED | KATO_EVENT_ERROR);
	if (is_history(c, ev))
		flags |= STORE_EVENT_HISTORY;
	int64_t seq;
	int rc;
	if (big) {
		struct big_event e = {ev, c};
		buf_flush(&json);
		rc = store_add_event_fill(c->in->store, c->sid, &fp, ev->kind, ev->timestamp, flags, json.sunk,
					  fill_event, &e, &seq);
	} else {
		rc = store_add_event(c->in->store, c->sid, &fp, ev->kind, ev->timestamp, flags, json.p, &seq);
	}
	if (rc < 0) {
		log_error("store: cannot add event: %s", store_errmsg(c->in->store));
		c->failed = true;
		buf_free(&json);
		return -1;
	}
	if (!seq) {
		c->in->stats.events_dup++;
		buf_free(&json);
		return 0;
	}
	c->in->stats.events_new++;
	if (c->in->on_event) {
		c->pend = xrealloc(c->pend, (c->npend + 1) * sizeof *c->pend);
		c->pend[c->npend++] = (struct pending){c->sid, seq, flags, xstrdup(ev->kind), big || !c->in->event_json ? NULL : buf_take(&json)};
	}
	buf_free(&json);
	return 0;
}

static void host_session(void *ctx, const struct kato_session_info *si)
{
	struct file_ctx *c = ctx;
	if (c->failed || !si || !si->provider_session_id || !*si->provider_session_id)
		return;
	if (strcmp(si->provider_session_id, c->psid)) {
		free(c->psid);
		c->psid = xstrdup(si->provider_session_id);
		c->sid = 0;
	}
	if (ensure_session(c) < 0)
		return;
	if (store_session_facts(c->in->store, c->sid, si) < 0) {
		log_error("store: cannot update session: %s", store_errmsg(c->in->store));
		c->failed = true;
	}
}

static void host_count(void *ctx, const char *type)
{
	struct file_ctx *c = ctx;
	if (!c->failed && type && store_count(c->in->store, c->p->desc->name, type, 1) < 0)
		c->failed = true;
}

static void host_log(void *ctx, int level, const char *fmt, ...)
{
	struct file_ctx *c = ctx;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(level, "%s: %s", c->path, msg);
}

static int64_t host_record_end(void *ctx)
{
	return ((struct file_ctx *)ctx)->raw_cursor;
}

static const struct kato_host host = {
	.struct_size = sizeof(struct kato_host),
	.abi_minor = KATO_PROVIDER_ABI_MINOR,
	.emit = host_emit,
	.session = host_session,
	.count = host_count,
	.log = host_log,
	.record_end = host_record_end,
};

static void publish(struct file_ctx *c)
{
	for (size_t i = 0; i < c->npend; i++) {
		struct pending *e = &c->pend[i];
		if (c->in->on_event)
			c->in->on_event(c->in->ud, e->sid, e->seq, e->kind, e->flags, e->json);
		free(e->kind);
		free(e->json);
	}
	c->npend = 0;
}

static void drop_pending(struct file_ctx *c)
{
	for (size_t i = 0; i < c->npend; i++) {
		free(c->pend[i].kind);
		free(c->pend[i].json);
	}
	c->npend = 0;
}

/* Write the cursor row for `id` and commit the batch. */
static int commit(struct file_ctx *c, void *state, const struct source_id *id)
{
	const struct kato_provider_desc *d = c->p->desc;
	struct store_file f = {
		.path = (char *)c->path,
		.provider = (char *)d->name,
		.psid = c->psid,
		.session = c->sid,
		.dev = id->dev,
		.ino = id->ino,
		.size = id->size,
		.offset = id->offset,
		.head_len = id->head_len,
		.marker_len = id->marker_len,
	};
	memcpy(f.head, id->head, 16);
	memcpy(f.marker, id->marker, 16);
	const void *blob = NULL;
	size_t blob_len = 0;
	if (d->save_state && d->save_state(state, &blob, &blob_len) < 0) {
		log_error("%s: provider %s could not save its state", c->path, d->name);
		c->failed = true;
	}
	f.state = (void *)blob;
	f.state_len = blob_len;
	if (c->failed || store_put_file(c->in->store, &f) < 0 || store_commit(c->in->store) < 0) {
		log_error("%s: cannot commit to the store: %s", c->path, store_errmsg(c->in->store));
		store_rollback(c->in->store);
		drop_pending(c);
		return -1;
	}
	publish(c);
	return 0;
}

static void id_from_file(const struct store_file *f, struct source_id *id)
{
	id->dev = f->dev;
	id->ino = f->ino;
	id->size = f->size;
	id->offset = f->offset;
	id->head_len = f->head_len;
	id->marker_len = f->marker_len;
	memcpy(id->head, f->head, 16);
	memcpy(id->marker, f->marker, 16);
}

/* One line for what the per-line warnings left out. */
static void warn_skipped(const struct file_ctx *c)
{
	if (c->bad_lines > INGEST_WARN_LINES)
		log_warn("%s: skipped %lld lines that are not JSON in all (%s read it as JSON lines)", c->path,
			 (long long)c->bad_lines, c->p->desc->name);
	if (c->long_lines > INGEST_WARN_LINES)
		log_warn("%s: skipped %lld lines over %u MiB in all", c->path, (long long)c->long_lines,
			 SOURCE_MAX_LINE >> 20);
}

static int ingest_lines(struct file_ctx *c, void *state, int64_t offset,
			const struct source_id *prev, unsigned flags)
{
	const struct kato_provider_desc *d = c->p->desc;
	struct ingest *in = c->in;
	struct source_reader *r = source_open(c->path, offset);
	if (!r) {
		int e = errno;
		log_warn("%s: cannot read: %s", c->path,
			 e == EINVAL ? "not a regular file (a FIFO, device or socket)" : strerror(e));
		in->stats.errors++;
		return e == ENOENT ? INGEST_GONE : INGEST_DONE;
	}
	int result = INGEST_DONE;
	int64_t batch_lines = 0, batch_start = offset, pos = offset;
	int64_t budget_end = in->read_budget ? offset + in->read_budget : INT64_MAX;
	bool dirty = false;
	if (store_begin(in->store) < 0)
		goto store_error;
	for (;;) {
		const char *line;
		size_t len;
		int64_t end;
		int rc = source_next(r, &line, &len, &end);
		if (rc < 0) {
			log_warn("%s: read error at byte %lld: %s", c->path, (long long)pos, strerror(errno));
			in->stats.errors++;
			break;
		}
		if (rc == 0) {
			const char *tail;
			int64_t start;
			source_tail(r, &tail, &len, &start);
			if (len == 0)
				break;
			result = INGEST_WAITING;
			if (!(flags & INGEST_TAIL))
				break;
			/* quiet file: a last record with no newline may be complete */
			c->raw_cursor = start + (int64_t)len;
			if (d->parse_line(state, tail, len) == 0) {
				source_consume_tail(r);
				pos = c->raw_cursor;
				in->stats.lines++;
				in->stats.bytes += (int64_t)len;
				dirty = true;
				result = INGEST_DONE;
			}
			break;
		}
		in->stats.bytes += end - pos;
		pos = end;
		dirty = true;
		if (rc == 2) {
			in->stats.oversized++;
			store_count(in->store, d->name, "oversized-line", 1);
			if (++c->long_lines <= INGEST_WARN_LINES)
				log_warn("%s: skipped a line over %u MiB ending at byte %lld", c->path,
					 SOURCE_MAX_LINE >> 20, (long long)end);
			continue;
		}
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		c->raw_cursor = end;
		in->stats.lines++;
		int prc = d->parse_line(state, line, len);
		if (prc == 1) {
			in->stats.bad++;
			store_count(in->store, d->name, "bad-json", 1);
			if (++c->bad_lines <= INGEST_WARN_LINES)
				log_warn("%s: skipped a line that is not JSON, ending at byte %lld", c->path,
					 (long long)end);
		}
		if (c->failed)
			goto store_error;
		if (end >= budget_end) {
			result = INGEST_MORE; /* committed below; the caller comes back */
			break;
		}
		if (++batch_lines >= BATCH_LINES || end - batch_start >= BATCH_BYTES) {
			struct source_id id;
			if (source_cursor(r, c->path, prev, &id) < 0 || commit(c, state, &id) < 0)
				goto store_error_committed;
			batch_lines = 0;
			batch_start = end;
			dirty = false;
			if (store_begin(in->store) < 0)
				goto store_error_committed;
		}
	}
	if ((flags & INGEST_FLUSH) && d->flush && result != INGEST_MORE) {
		d->flush(state);
		dirty = true;
	}
	if (c->failed)
		goto store_error;
	if (dirty || !prev) {
		struct source_id id;
		if (source_cursor(r, c->path, prev, &id) < 0) {
			store_rollback(in->store);
			drop_pending(c);
			source_close(r);
			return INGEST_DONE;
		}
		if (commit(c, state, &id) < 0)
			goto store_error_committed;
	} else {
		store_rollback(in->store);
	}
	source_close(r);
	return result;

store_error:
	store_rollback(in->store);
	drop_pending(c);
store_error_committed:
	source_close(r);
	return -1;
}

static int ingest_document(struct file_ctx *c, void *state, const struct source_id *prev, unsigned flags)
{
	const struct kato_provider_desc *d = c->p->desc;
	struct ingest *in = c->in;
	char *data;
	size_t len;
	if (source_read_all(c->path, SOURCE_MAX_LINE, &data, &len) < 0) {
		int e = errno;
		if (e == ENOENT)
			return INGEST_GONE;
		log_warn("%s: cannot read: %s", c->path,
			 e == EINVAL ? "not a regular file (a FIFO, device or socket)" : strerror(e));
		in->stats.errors++;
		if (e == EFBIG)
			store_count(in->store, d->name, "oversized-document", 1);
		return INGEST_DONE;
	}
	struct source_id id;
	if (source_stamp_document(c->path, data, len, &id) < 0) {
		free(data);
		return INGEST_GONE;
	}
	if (prev && !(flags & INGEST_FLUSH) && prev->offset == id.offset && !memcmp(prev->marker, id.marker, 16)) {
		free(data);
		return INGEST_DONE; /* unchanged */
	}
	in->stats.bytes += (int64_t)len;
	in->stats.lines++;
	c->raw_cursor = -1;
	if (store_begin(in->store) < 0) {
		free(data);
		return -1;
	}
	int rc = d->parse_document ? d->parse_document(state, data, len) : -1;
	free(data);
	if (rc == 1) {
		/* half-written: nothing was emitted; try again on the next change */
		store_rollback(in->store);
		drop_pending(c);
		return INGEST_WAITING;
	}
	if (rc < 0) {
		in->stats.bad++;
		store_count(in->store, d->name, "bad-document", 1);
		log_warn("%s: not a %s session document; skipped until it changes", c->path, d->name);
	}
	if ((flags & INGEST_FLUSH) && d->flush)
		d->flush(state);
	if (c->failed) {
		store_rollback(in->store);
		drop_pending(c);
		return -1;
	}
	return commit(c, state, &id) < 0 ? -1 : INGEST_DONE;
}

int ingest_file(struct ingest *in, const struct plugin *p, const char *path, unsigned flags)
{
	return ingest_file_feed(in, p, path, KATO_FEED_NONE, flags);
}

int ingest_file_feed(struct ingest *in, const struct plugin *p, const char *path, enum kato_feed feed,
		     unsigned flags)
{
	const struct kato_provider_desc *d = p->desc;
	feed = KATO_FEED_MODE(feed);
	if (feed == KATO_FEED_NONE)
		feed = KATO_FEED_MODE(d->match_path(path));
	if (feed == KATO_FEED_NONE)
		feed = d->parse_line ? KATO_FEED_LINES : KATO_FEED_DOCUMENT;
	if ((feed == KATO_FEED_LINES && !d->parse_line) || (feed == KATO_FEED_DOCUMENT && !d->parse_document))
		return INGEST_DONE;

	struct store_file f;
	int known = store_get_file(in->store, path, &f);
	if (known < 0) {
		log_error("store: %s", store_errmsg(in->store));
		return -1;
	}
	struct source_id prev;
	if (known)
		id_from_file(&f, &prev);
	enum source_change change;
	const char *why;
	/* Documents are compared whole (by hash) in ingest_document, and
	 * their parser always resumes from its state: a rewrite is normal. */
	if (source_examine(path, known && feed == KATO_FEED_LINES ? &prev : NULL, &change, &why) < 0) {
		log_warn("%s: cannot examine: %s", path, strerror(errno));
		in->stats.errors++;
		if (known)
			store_file_free(&f);
		return INGEST_DONE;
	}
	if (change == SOURCE_GONE) {
		if (known)
			store_file_free(&f);
		return INGEST_GONE;
	}
	if (change == SOURCE_SPECIAL) {
		log_warn("%s: %s; skipped", path, why);
		store_count(in->store, d->name, "not-regular-file", 1);
		in->stats.errors++;
		if (known)
			store_file_free(&f);
		return INGEST_DONE;
	}
	if (change == SOURCE_SAME && !flags && feed == KATO_FEED_LINES) {
		store_file_free(&f);
		return INGEST_DONE;
	}
	bool resume = known && (change != SOURCE_RESET || feed == KATO_FEED_DOCUMENT);
	if (known && change == SOURCE_RESET) {
		in->stats.resets++;
		log_info("%s: %s; reading it again from the start (stored events are not duplicated)", path, why);
	}

	struct file_ctx c = {.in = in, .p = p, .path = path, .raw_cursor = -1};
	history_rule(&c, path);
	if (known && f.psid) {
		c.psid = xstrdup(f.psid);
		c.sid = f.session;
	} else {
		c.psid = ingest_default_psid(path);
	}
	void *state = NULL;
	if (d->open_file(&host, &c, path, resume ? f.state : NULL, resume ? f.state_len : 0, &state) < 0) {
		log_warn("%s: provider %s could not open it%s", path, d->name,
			 resume ? " from its saved state; reading from the start" : "");
		if (!resume || d->open_file(&host, &c, path, NULL, 0, &state) < 0) {
			free(c.psid);
			if (known)
				store_file_free(&f);
			in->stats.errors++;
			return INGEST_DONE;
		}
		resume = false;
	}
	in->stats.files++;
	if (resume && feed == KATO_FEED_LINES && prev.offset > 0)
		in->stats.resumed++;
	int rc;
	if (feed == KATO_FEED_DOCUMENT)
		rc = ingest_document(&c, state, known && resume ? &prev : NULL, flags);
	else
		rc = ingest_lines(&c, state, resume ? prev.offset : 0, resume ? &prev : NULL, flags);
	warn_skipped(&c);
	d->close_file(state);
	drop_pending(&c);
	free(c.pend);
	free(c.psid);
	if (known)
		store_file_free(&f);
	return rc;
}
