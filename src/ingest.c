/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "ingest.h"
#include "ingest_job.h"

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
/* A batch is handed to the store's thread after this many ops or bytes
 * even before its commit, so the two threads overlap within a file. */
#define HANDOFF_OPS 512
#define HANDOFF_BYTES (1 << 20)

/* A string in a batch's data: its offset, or NO_STR for NULL. */
#define NO_STR ((size_t)-1)

enum op_type {
	OP_BEGIN,    /* store_begin */
	OP_COMMIT,   /* the cursor row, then store_commit, then publish */
	OP_ROLLBACK, /* store_rollback, drop what was to be published */
	OP_COUNT,    /* store_count(provider, a, 1); with `fatal` a failure fails the file */
	OP_FACTS,    /* a session's facts (a: psid, b..f: parent, title, cwd, model, started) */
	OP_EVENT,    /* an event: a kind, b timestamp, c json (n bytes) */
	OP_BIG,      /* an event too big to hold: written in slices from `big` */
	OP_END,      /* the job is over */
};

struct op {
	enum op_type type;
	bool fatal;
	uint32_t flags;
	size_t a, b, c, d, e, f; /* strings in the batch's data */
	size_t n;
	struct fingerprint fp;
	struct source_id id; /* OP_COMMIT: the cursor; a: the plugin state (n bytes) */
	struct big_event *big;
};

struct ingest_batch {
	struct ingest_job *job;
	struct op *ops;
	size_t nops, cap;
	struct buf data;
};

/* Stored in a batch, published to on_event after the commit. */
struct pending {
	int64_t sid, seq;
	uint32_t flags;
	size_t kind; /* in the job's pend_data */
	bool maybe_command;
};

/* One file: what its reading knows (the job's thread) and what applying
 * its batches knows (the store's thread). */
struct ingest_job {
	struct ingest *in;
	const struct plugin *p;
	char *path;
	enum kato_feed feed;
	unsigned flags;
	bool known; /* the store has a cursor row for it */
	struct store_file f;

	/* the reading side */
	struct ingest_stats stats; /* everything but events_new, events_dup */
	int rc;
	char *psid;            /* the session id its events get */
	int64_t raw_cursor;    /* end offset of the record being parsed */
	int64_t live_after_ms; /* events older than this are history (0: history decides) */
	bool history;          /* for events without a timestamp */
	bool scanning;
	int64_t read_budget;
	bool failed;        /* a store error or a state that cannot be saved: abandon the batch */
	bool warned_reject;
	int64_t bad_lines, long_lines; /* skipped in this read, for the warnings */
	/* The type the plugin passed to count() during the parse_line call
	 * under way ("" if none): the name of a skipped line's problem. */
	char counted[64];
	bool named_bad; /* a skipped line was named by the plugin */
	/* A trial parse of a last line with no newline: counts wait until the
	 * line is taken (it is parsed again when it grows). */
	bool hold_counts;
	char *held[8];
	size_t nheld;
	struct ingest_batch *batch;
	ingest_handoff handoff;
	void *handoff_ud;
	int stop;         /* ingest_job_stop (atomic) */
	int apply_failed; /* set by the store's side (atomic) */

	/* the applying side */
	char *apsid;
	int64_t sid;
	int64_t events_new, events_dup;
	struct pending *pend;
	size_t npend, pend_cap;
	struct buf pend_data;
};

char *ingest_default_psid(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *s = xstrdup(base);
	/* the compression suffix, then the format's extension: "a.jsonl.zst"
	 * and "a.hello" are "a"; "a.b.json" is "a.b"; a dot file keeps its
	 * name. (.jsonl and .json as before, also "a.json.jsonl" -> "a".) */
	size_t n = strlen(s);
	if (n > 4 && !strcmp(s + n - 4, ".zst"))
		s[n -= 4] = '\0';
	static const char *const exts[] = {".jsonl", ".json"};
	bool known = false;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && !strcmp(s + n - e, exts[i])) {
			s[n -= e] = '\0';
			known = true;
		}
	}
	char *dot = strrchr(s, '.');
	if (!known && dot && dot > s && dot[1])
		*dot = '\0';
	return s;
}

static bool job_failed(struct ingest_job *j)
{
	return j->failed || __atomic_load_n(&j->apply_failed, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&j->stop, __ATOMIC_ACQUIRE);
}

/* ---------------------------------------------------------------- batches */

static struct ingest_batch *batch_new(struct ingest_job *j)
{
	struct ingest_batch *b = xcalloc(1, sizeof *b);
	b->job = j;
	return b;
}

void ingest_batch_free(struct ingest_batch *b)
{
	if (!b)
		return;
	free(b->ops);
	buf_free(&b->data);
	free(b);
}

struct ingest_job *ingest_batch_job(const struct ingest_batch *b)
{
	return b->job;
}

size_t ingest_batch_size(const struct ingest_batch *b)
{
	return b->data.len + b->nops * sizeof *b->ops;
}

/* Copy n bytes (and a NUL) into b's data. */
static size_t put_mem(struct ingest_batch *b, const void *p, size_t n)
{
	size_t off = b->data.len;
	buf_add(&b->data, p, n);
	buf_addc(&b->data, '\0');
	return off;
}

static size_t put_str(struct ingest_batch *b, const char *s)
{
	return s ? put_mem(b, s, strlen(s)) : NO_STR;
}

static const char *str_at(const struct ingest_batch *b, size_t off)
{
	return off == NO_STR ? NULL : b->data.p + off;
}

static struct op *op_new(struct ingest_job *j, enum op_type type)
{
	struct ingest_batch *b = j->batch;
	if (b->nops == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->ops = xrealloc(b->ops, b->cap * sizeof *b->ops);
	}
	struct op *o = &b->ops[b->nops++];
	memset(o, 0, sizeof *o);
	o->type = type;
	o->a = o->b = o->c = o->d = o->e = o->f = NO_STR;
	return o;
}

static void apply_op(struct ingest_job *j, const struct ingest_batch *b, const struct op *o);

/* The op just added is complete: apply it at once (no handoff), or hand
 * the batch over when it ends a transaction or has grown. */
static void op_done(struct ingest_job *j)
{
	struct ingest_batch *b = j->batch;
	struct op *o = &b->ops[b->nops - 1];
	if (!j->handoff) {
		apply_op(j, b, o);
		b->nops = 0;
		b->data.len = 0;
		return;
	}
	bool wait = o->type == OP_BIG;
	if (!wait && o->type != OP_COMMIT && o->type != OP_ROLLBACK && o->type != OP_END &&
	    b->nops < HANDOFF_OPS && b->data.len < HANDOFF_BYTES)
		return;
	j->batch = o->type == OP_END ? NULL : batch_new(j);
	j->handoff(j->handoff_ud, b, wait);
	if (wait)
		ingest_batch_free(b);
}

static void op_count(struct ingest_job *j, const char *type, bool fatal)
{
	struct op *o = op_new(j, OP_COUNT);
	o->a = put_str(j->batch, type);
	o->fatal = fatal;
	op_done(j);
}

/* ---------------------------------------------------------------- applying */

static int ensure_session(struct ingest_job *j)
{
	if (j->sid)
		return 0;
	if (store_session(j->in->store, j->p->desc->name, j->apsid, &j->sid) < 0) {
		log_error("store: cannot create session %s:%s: %s", j->p->desc->name, j->apsid,
			  store_errmsg(j->in->store));
		return -1;
	}
	return 0;
}

static void publish(struct ingest_job *j)
{
	for (size_t i = 0; i < j->npend; i++) {
		struct pending *e = &j->pend[i];
		if (j->in->on_event)
			j->in->on_event(j->in->ud, e->sid, e->seq, j->pend_data.p + e->kind, e->flags,
					e->maybe_command);
	}
	j->npend = 0;
	j->pend_data.len = 0;
}

static void drop_pending(struct ingest_job *j)
{
	j->npend = 0;
	j->pend_data.len = 0;
}

static void add_pending(struct ingest_job *j, int64_t seq, uint32_t flags, const char *kind, const char *json,
			size_t n)
{
	if (!j->in->on_event)
		return;
	if (j->npend == j->pend_cap) {
		j->pend_cap = j->pend_cap ? j->pend_cap * 2 : 64;
		j->pend = xrealloc(j->pend, j->pend_cap * sizeof *j->pend);
	}
	struct pending *e = &j->pend[j->npend++];
	e->sid = j->sid;
	e->seq = seq;
	e->flags = flags;
	e->kind = j->pend_data.len;
	buf_add(&j->pend_data, kind, strlen(kind) + 1);
	/* as the recorder's scan reads a message: "::" in its JSON (a big
	 * row's JSON is not in hand: it may) */
	e->maybe_command = !strcmp(kind, "message.user") && (!json || memmem(json, n, "::", 2));
}

/* A store error while applying: roll back, and tell the reading side. */
static void apply_fail(struct ingest_job *j)
{
	store_rollback(j->in->store);
	drop_pending(j);
	__atomic_store_n(&j->apply_failed, 1, __ATOMIC_RELEASE);
}

/* An event the store keeps as it is written: the JSON, again. */
struct big_event {
	const struct kato_event *ev;
	struct ingest_job *j;
	int64_t raw_cursor;
};

/* store_add_event_fill's fill: the event's JSON, again. */
static int fill_event(void *ud, struct buf *b)
{
	struct big_event *e = ud;
	return event_to_json(e->ev, e->j->p->desc->name, e->j->psid, e->raw_cursor, b);
}

static void apply_op(struct ingest_job *j, const struct ingest_batch *b, const struct op *o)
{
	struct ingest *in = j->in;
	struct store *s = in->store;
	const char *prov = j->p->desc->name;
	if (__atomic_load_n(&j->apply_failed, __ATOMIC_RELAXED))
		return; /* the file's batch was abandoned: skip to its end */
	switch (o->type) {
	case OP_BEGIN:
		if (store_begin(s) < 0)
			apply_fail(j);
		break;
	case OP_COMMIT: {
		struct store_file f = {
			.path = j->path,
			.provider = (char *)prov,
			.psid = j->apsid,
			.session = j->sid,
			.dev = o->id.dev,
			.ino = o->id.ino,
			.size = o->id.size,
			.offset = o->id.offset,
			.head_len = o->id.head_len,
			.marker_len = o->id.marker_len,
			.state = o->a == NO_STR ? NULL : (void *)str_at(b, o->a),
			.state_len = o->a == NO_STR ? 0 : o->n,
		};
		memcpy(f.head, o->id.head, 16);
		memcpy(f.marker, o->id.marker, 16);
		if (store_put_file(s, &f) < 0 || store_commit(s) < 0) {
			log_error("%s: cannot commit to the store: %s", j->path, store_errmsg(s));
			apply_fail(j);
			break;
		}
		publish(j);
		break;
	}
	case OP_ROLLBACK:
		store_rollback(s);
		drop_pending(j);
		break;
	case OP_COUNT:
		if (store_count(s, prov, str_at(b, o->a), 1) < 0 && o->fatal)
			apply_fail(j);
		break;
	case OP_FACTS: {
		const char *psid = str_at(b, o->a);
		if (strcmp(psid, j->apsid)) {
			free(j->apsid);
			j->apsid = xstrdup(psid);
			j->sid = 0;
		}
		struct kato_session_info si = {sizeof si, psid, str_at(b, o->b), str_at(b, o->c), str_at(b, o->d),
					       str_at(b, o->e), str_at(b, o->f)};
		if (ensure_session(j) < 0) {
			apply_fail(j);
		} else if (store_session_facts(s, j->sid, &si) < 0) {
			log_error("store: cannot update session: %s", store_errmsg(s));
			apply_fail(j);
		}
		break;
	}
	case OP_EVENT:
	case OP_BIG: {
		if (ensure_session(j) < 0) {
			apply_fail(j);
			break;
		}
		const char *kind = o->type == OP_BIG ? o->big->ev->kind : str_at(b, o->a);
		const char *ts = o->type == OP_BIG ? o->big->ev->timestamp : str_at(b, o->b);
		const char *json = str_at(b, o->c);
		int64_t seq;
		int rc = o->type == OP_BIG
				 ? store_add_event_fill(s, j->sid, &o->fp, kind, ts, o->flags, o->n, fill_event, o->big, &seq)
				 : store_add_event_n(s, j->sid, &o->fp, kind, ts, o->flags, json, o->n, &seq);
		if (rc < 0) {
			log_error("store: cannot add event: %s", store_errmsg(s));
			apply_fail(j);
			break;
		}
		if (!seq) {
			j->events_dup++;
			break;
		}
		j->events_new++;
		add_pending(j, seq, o->flags, kind, json, o->n);
		break;
	}
	case OP_END:
		break;
	}
}

int ingest_batch_apply(struct ingest_batch *b)
{
	int end = 0;
	for (size_t i = 0; i < b->nops; i++) {
		apply_op(b->job, b, &b->ops[i]);
		if (b->ops[i].type == OP_END)
			end = 1;
	}
	return end;
}

/* ---------------------------------------------------------------- reading */

/* Is ev history: written before kato watched (see struct ingest)? */
static bool is_history(const struct ingest_job *j, const struct kato_event *ev)
{
	int64_t ts;
	if (j->live_after_ms && ev->timestamp && md_parse_time(ev->timestamp, &ts) == 0)
		return ts < j->live_after_ms;
	return j->history;
}

/* Set j's history rule from its copy of the ingest's (see struct ingest)
 * and the file's birth and modification times. */
static void history_rule(struct ingest_job *j)
{
	struct statx sx;
	if (!j->live_after_ms || j->live_after_ms == INT64_MAX ||
	    statx(AT_FDCWD, j->path, 0, STATX_BTIME | STATX_MTIME, &sx) < 0)
		return;
	int64_t mtime = (int64_t)sx.stx_mtime.tv_sec * 1000 + sx.stx_mtime.tv_nsec / 1000000;
	if (j->scanning && mtime < j->live_after_ms)
		j->history = true;
	int64_t born = (int64_t)sx.stx_btime.tv_sec * 1000 + sx.stx_btime.tv_nsec / 1000000;
	if ((sx.stx_mask & STATX_BTIME) && born > 0 && born - INGEST_BIRTH_SLACK_MS > j->live_after_ms)
		j->live_after_ms = born - INGEST_BIRTH_SLACK_MS;
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

static int host_emit(void *ctx, const struct kato_event *ev)
{
	struct ingest_job *j = ctx;
	const char *why = "a JSON-valued field is not valid JSON of the right type";
	if (job_failed(j))
		return -1;
	bool big = text_bytes(ev) >= INGEST_BIG_TEXT;
	struct buf count = BUF_INIT;
	struct ingest_batch *b = j->batch;
	size_t mark = b->data.len;
	if (big)
		count.sink = count_only;
	/* the JSON goes straight into the batch */
	if (event_check(ev, &why) < 0 ||
	    event_to_json(ev, j->p->desc->name, j->psid, j->raw_cursor, big ? &count : &b->data) < 0) {
		buf_free(&count);
		b->data.len = mark;
		if (b->data.p)
			b->data.p[mark] = '\0';
		j->stats.rejected++;
		op_count(j, "rejected-event", false);
		if (!j->warned_reject)
			log_warn("%s: provider %s produced an unusable event (%s); skipped", j->path,
				 j->p->desc->name, why);
		j->warned_reject = true;
		return -1;
	}
	size_t json_len = b->data.len - mark;
	if (!big)
		buf_addc(&b->data, '\0');
	/* only the flags the ABI defines, plus kato's own history mark */
	uint32_t flags = ev->flags & (KATO_EVENT_HUMAN | KATO_EVENT_SIDECHAIN | KATO_EVENT_INJECTED | KATO_EVENT_ERROR);
	if (is_history(j, ev))
		flags |= STORE_EVENT_HISTORY;
	if (big) {
		struct big_event e = {ev, j, j->raw_cursor};
		buf_flush(&count);
		struct op *o = op_new(j, OP_BIG);
		fingerprint_event(j->p->desc->name, j->psid, ev, &o->fp);
		o->flags = flags;
		o->n = count.sunk;
		o->big = &e;
		buf_free(&count);
		op_done(j); /* applied before it returns: e lives until then */
	} else {
		struct op *o = op_new(j, OP_EVENT);
		fingerprint_event(j->p->desc->name, j->psid, ev, &o->fp);
		o->flags = flags;
		o->c = mark;
		o->n = json_len;
		o->a = put_str(b, ev->kind);
		o->b = ev->timestamp && *ev->timestamp ? put_str(b, ev->timestamp) : NO_STR;
		op_done(j);
	}
	return job_failed(j) ? -1 : 0;
}

static void host_session(void *ctx, const struct kato_session_info *si)
{
	struct ingest_job *j = ctx;
	if (job_failed(j) || !si || !si->provider_session_id || !*si->provider_session_id)
		return;
	if (strcmp(si->provider_session_id, j->psid)) {
		free(j->psid);
		j->psid = xstrdup(si->provider_session_id);
	}
	struct op *o = op_new(j, OP_FACTS);
	struct ingest_batch *b = j->batch;
	o->a = put_str(b, si->provider_session_id);
	o->b = put_str(b, si->parent_session_id);
	o->c = put_str(b, si->title);
	o->d = put_str(b, si->cwd);
	o->e = put_str(b, si->model);
	o->f = put_str(b, si->started_at);
	op_done(j);
}

static void host_count(void *ctx, const char *type)
{
	struct ingest_job *j = ctx;
	if (!type)
		return;
	snprintf(j->counted, sizeof j->counted, "%s", type);
	if (j->hold_counts) {
		if (j->nheld < sizeof j->held / sizeof j->held[0])
			j->held[j->nheld++] = xstrdup(type);
		return;
	}
	if (!job_failed(j))
		op_count(j, type, true);
}

/* The counts held during a trial parse: stored when `keep`, else dropped. */
static void release_counts(struct ingest_job *j, bool keep)
{
	j->hold_counts = false;
	for (size_t i = 0; i < j->nheld; i++) {
		if (keep && !job_failed(j))
			op_count(j, j->held[i], true);
		free(j->held[i]);
	}
	j->nheld = 0;
}

static void host_log(void *ctx, int level, const char *fmt, ...)
{
	struct ingest_job *j = ctx;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(level, "%s: %s", j->path, msg);
}

static int64_t host_record_end(void *ctx)
{
	return ((struct ingest_job *)ctx)->raw_cursor;
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

static void op_begin(struct ingest_job *j)
{
	op_new(j, OP_BEGIN);
	op_done(j);
}

static void op_rollback(struct ingest_job *j)
{
	op_new(j, OP_ROLLBACK);
	op_done(j);
}

/* The cursor row for `id` and the commit of the batch; -1 when the
 * plugin cannot save its state (the batch is rolled back) or the store
 * failed. */
static int commit(struct ingest_job *j, void *state, const struct source_id *id)
{
	const struct kato_provider_desc *d = j->p->desc;
	const void *blob = NULL;
	size_t blob_len = 0;
	if (d->save_state && d->save_state(state, &blob, &blob_len) < 0) {
		log_error("%s: provider %s could not save its state", j->path, d->name);
		j->failed = true;
	}
	if (job_failed(j)) {
		log_error("%s: cannot commit to the store: %s", j->path,
			  j->failed ? "the provider's state could not be saved" : "a store error (above)");
		op_rollback(j);
		return -1;
	}
	struct op *o = op_new(j, OP_COMMIT);
	o->id = *id;
	if (blob) {
		o->a = put_mem(j->batch, blob, blob_len);
		o->n = blob_len;
	}
	op_done(j);
	return job_failed(j) ? -1 : 0;
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
static void warn_skipped(const struct ingest_job *j)
{
	if (j->bad_lines > INGEST_WARN_LINES && j->named_bad)
		log_warn("%s: skipped %lld lines %s could not read in all (see kato status for the counts)",
			 j->path, (long long)j->bad_lines, j->p->desc->name);
	else if (j->bad_lines > INGEST_WARN_LINES)
		log_warn("%s: skipped %lld lines that are not JSON in all (%s read it as JSON lines)", j->path,
			 (long long)j->bad_lines, j->p->desc->name);
	if (j->long_lines > INGEST_WARN_LINES)
		log_warn("%s: skipped %lld lines over %u MiB in all", j->path, (long long)j->long_lines,
			 SOURCE_MAX_LINE >> 20);
}

static int ingest_lines(struct ingest_job *j, void *state, int64_t offset, const struct source_id *prev,
			unsigned flags)
{
	const struct kato_provider_desc *d = j->p->desc;
	struct ingest_stats *stats = &j->stats;
	struct source_reader *r = source_open(j->path, offset);
	if (!r) {
		int e = errno;
		log_warn("%s: cannot read: %s", j->path,
			 e == EINVAL ? "not a regular file (a FIFO, device or socket)" : strerror(e));
		stats->errors++;
		return e == ENOENT ? INGEST_GONE : INGEST_DONE;
	}
	int result = INGEST_DONE;
	int64_t batch_lines = 0, batch_start = offset, pos = offset;
	int64_t budget_end = j->read_budget ? offset + j->read_budget : INT64_MAX;
	bool dirty = false;
	op_begin(j);
	if (job_failed(j))
		goto store_error;
	for (;;) {
		const char *line;
		size_t len;
		int64_t end;
		int rc = source_next(r, &line, &len, &end);
		if (rc < 0) {
			log_warn("%s: read error at byte %lld: %s", j->path, (long long)pos, strerror(errno));
			stats->errors++;
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
			j->raw_cursor = start + (int64_t)len;
			j->hold_counts = true;
			int trc = d->parse_line(state, tail, len);
			release_counts(j, trc == 0);
			if (trc == 0) {
				source_consume_tail(r);
				pos = j->raw_cursor;
				stats->lines++;
				stats->bytes += (int64_t)len;
				dirty = true;
				result = INGEST_DONE;
			}
			break;
		}
		stats->bytes += end - pos;
		pos = end;
		dirty = true;
		if (rc == 2) {
			stats->oversized++;
			op_count(j, "oversized-line", false);
			if (++j->long_lines <= INGEST_WARN_LINES)
				log_warn("%s: skipped a line over %u MiB ending at byte %lld", j->path,
					 SOURCE_MAX_LINE >> 20, (long long)end);
			continue;
		}
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		j->raw_cursor = end;
		stats->lines++;
		j->counted[0] = '\0';
		int prc = d->parse_line(state, line, len);
		if (prc == 1 && j->counted[0]) {
			/* the plugin named the problem (and counted it): a format
			 * that need not be JSON */
			stats->bad++;
			j->named_bad = true;
			if (++j->bad_lines <= INGEST_WARN_LINES)
				log_warn("%s: skipped a line %s could not read (%s), ending at byte %lld",
					 j->path, d->name, j->counted, (long long)end);
		} else if (prc == 1) {
			stats->bad++;
			op_count(j, "bad-json", false);
			if (++j->bad_lines <= INGEST_WARN_LINES)
				log_warn("%s: skipped a line that is not JSON, ending at byte %lld", j->path,
					 (long long)end);
		}
		if (job_failed(j))
			goto store_error;
		if (end >= budget_end) {
			result = INGEST_MORE; /* committed below; the caller comes back */
			break;
		}
		if (++batch_lines >= BATCH_LINES || end - batch_start >= BATCH_BYTES) {
			struct source_id id;
			if (source_cursor(r, j->path, prev, &id) < 0) {
				op_rollback(j);
				goto error;
			}
			if (commit(j, state, &id) < 0)
				goto error;
			batch_lines = 0;
			batch_start = end;
			dirty = false;
			op_begin(j);
			if (job_failed(j))
				goto store_error;
		}
	}
	if ((flags & INGEST_FLUSH) && d->flush && result != INGEST_MORE) {
		d->flush(state);
		dirty = true;
	}
	if (job_failed(j))
		goto store_error;
	if (dirty || !prev) {
		struct source_id id;
		if (source_cursor(r, j->path, prev, &id) < 0) {
			op_rollback(j);
			source_close(r);
			return INGEST_DONE;
		}
		if (commit(j, state, &id) < 0)
			goto error;
	} else {
		op_rollback(j);
	}
	source_close(r);
	return result;

store_error:
	op_rollback(j);
error:
	source_close(r);
	return -1;
}

static int ingest_document(struct ingest_job *j, void *state, const struct source_id *prev, unsigned flags)
{
	const struct kato_provider_desc *d = j->p->desc;
	struct ingest_stats *stats = &j->stats;
	char *data;
	size_t len;
	if (source_read_all(j->path, SOURCE_MAX_LINE, &data, &len) < 0) {
		int e = errno;
		if (e == ENOENT)
			return INGEST_GONE;
		log_warn("%s: cannot read: %s", j->path,
			 e == EINVAL ? "not a regular file (a FIFO, device or socket)" : strerror(e));
		stats->errors++;
		if (e == EFBIG)
			op_count(j, "oversized-document", false);
		return INGEST_DONE;
	}
	struct source_id id;
	if (source_stamp_document(j->path, data, len, &id) < 0) {
		free(data);
		return INGEST_GONE;
	}
	bool same = prev && prev->offset == id.offset && !memcmp(prev->marker, id.marker, 16);
	if (same && !(flags & INGEST_FLUSH)) {
		free(data);
		return INGEST_DONE; /* unchanged */
	}
	/* a flush parses an unchanged document again for what its plugin held
	 * back: no new bytes (format drift counts bytes that gave no event) */
	if (!same)
		stats->bytes += (int64_t)len;
	stats->lines++;
	j->raw_cursor = -1;
	op_begin(j);
	if (job_failed(j)) {
		free(data);
		op_rollback(j);
		return -1;
	}
	int rc = d->parse_document ? d->parse_document(state, data, len) : -1;
	free(data);
	if (rc == 1) {
		/* half-written: nothing was emitted; try again on the next change */
		op_rollback(j);
		return INGEST_WAITING;
	}
	if (rc < 0) {
		stats->bad++;
		op_count(j, "bad-document", false);
		log_warn("%s: not a %s session document; skipped until it changes", j->path, d->name);
	}
	if ((flags & INGEST_FLUSH) && d->flush)
		d->flush(state);
	if (job_failed(j)) {
		op_rollback(j);
		return -1;
	}
	return commit(j, state, &id) < 0 ? -1 : INGEST_DONE;
}

/* ---------------------------------------------------------------- jobs */

static void job_free(struct ingest_job *j)
{
	if (j->known)
		store_file_free(&j->f);
	ingest_batch_free(j->batch);
	free(j->path);
	free(j->psid);
	free(j->apsid);
	free(j->pend);
	buf_free(&j->pend_data);
	free(j);
}

struct ingest_job *ingest_job_new(struct ingest *in, const struct plugin *p, const char *path,
				  enum kato_feed feed, unsigned flags, int *rc)
{
	const struct kato_provider_desc *d = p->desc;
	*rc = INGEST_DONE;
	feed = KATO_FEED_MODE(feed);
	if (feed == KATO_FEED_NONE)
		feed = KATO_FEED_MODE(d->match_path(path));
	if (feed == KATO_FEED_NONE)
		feed = d->parse_line ? KATO_FEED_LINES : KATO_FEED_DOCUMENT;
	if ((feed == KATO_FEED_LINES && !d->parse_line) || (feed == KATO_FEED_DOCUMENT && !d->parse_document))
		return NULL;
	struct ingest_job *j = xcalloc(1, sizeof *j);
	int known = store_get_file(in->store, path, &j->f);
	if (known < 0) {
		log_error("store: %s", store_errmsg(in->store));
		free(j);
		*rc = -1;
		return NULL;
	}
	j->known = known;
	j->in = in;
	j->p = p;
	j->path = xstrdup(path);
	j->feed = feed;
	j->flags = flags;
	j->raw_cursor = -1;
	j->live_after_ms = in->live_after_ms;
	j->history = in->history;
	j->scanning = in->scanning;
	j->read_budget = in->read_budget;
	if (known && j->f.psid) {
		j->psid = xstrdup(j->f.psid);
		j->sid = j->f.session;
	} else {
		j->psid = ingest_default_psid(path);
	}
	j->apsid = xstrdup(j->psid);
	return j;
}

const char *ingest_job_path(const struct ingest_job *j)
{
	return j->path;
}

void ingest_job_stop(struct ingest_job *j)
{
	__atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
}

static int job_read(struct ingest_job *j)
{
	const struct kato_provider_desc *d = j->p->desc;
	struct ingest_stats *stats = &j->stats;
	const char *path = j->path;
	struct source_id prev;
	if (j->known)
		id_from_file(&j->f, &prev);
	enum source_change change;
	const char *why;
	/* Documents are compared whole (by hash) in ingest_document, and
	 * their parser always resumes from its state: a rewrite is normal. */
	if (source_examine(path, j->known && j->feed == KATO_FEED_LINES ? &prev : NULL, &change, &why) < 0) {
		log_warn("%s: cannot examine: %s", path, strerror(errno));
		stats->errors++;
		return INGEST_DONE;
	}
	if (change == SOURCE_GONE)
		return INGEST_GONE;
	if (change == SOURCE_SPECIAL) {
		log_warn("%s: %s; skipped", path, why);
		op_count(j, "not-regular-file", false);
		stats->errors++;
		return INGEST_DONE;
	}
	if (change == SOURCE_SAME && !j->flags && j->feed == KATO_FEED_LINES)
		return INGEST_DONE;
	bool resume = j->known && (change != SOURCE_RESET || j->feed == KATO_FEED_DOCUMENT);
	if (j->known && change == SOURCE_RESET) {
		stats->resets++;
		log_info("%s: %s; reading it again from the start (stored events are not duplicated)", path, why);
	}
	history_rule(j);
	void *state = NULL;
	if (d->open_file(&host, j, path, resume ? j->f.state : NULL, resume ? j->f.state_len : 0, &state) < 0) {
		log_warn("%s: provider %s could not open it%s", path, d->name,
			 resume ? " from its saved state; reading from the start" : "");
		if (!resume || d->open_file(&host, j, path, NULL, 0, &state) < 0) {
			stats->errors++;
			return INGEST_DONE;
		}
		resume = false;
	}
	stats->files++;
	if (resume && j->feed == KATO_FEED_LINES && prev.offset > 0)
		stats->resumed++;
	int rc;
	if (j->feed == KATO_FEED_DOCUMENT)
		rc = ingest_document(j, state, j->known && resume ? &prev : NULL, j->flags);
	else
		rc = ingest_lines(j, state, resume ? prev.offset : 0, resume ? &prev : NULL, j->flags);
	warn_skipped(j);
	d->close_file(state);
	return rc;
}

void ingest_job_run(struct ingest_job *j, ingest_handoff handoff, void *ud)
{
	j->handoff = handoff;
	j->handoff_ud = ud;
	j->batch = batch_new(j);
	j->rc = job_read(j);
	op_new(j, OP_END);
	op_done(j);
}

int ingest_job_finish(struct ingest_job *j, int64_t *added)
{
	struct ingest_stats *t = &j->in->stats;
	const struct ingest_stats *s = &j->stats;
	t->files += s->files;
	t->bytes += s->bytes;
	t->lines += s->lines;
	t->bad += s->bad;
	t->oversized += s->oversized;
	t->rejected += s->rejected;
	t->resets += s->resets;
	t->errors += s->errors;
	t->resumed += s->resumed;
	t->events_new += j->events_new;
	t->events_dup += j->events_dup;
	if (added)
		*added = j->events_new;
	int rc = j->apply_failed ? -1 : j->rc;
	job_free(j);
	return rc;
}

/* ---------------------------------------------------------------- one thread */

int ingest_file(struct ingest *in, const struct plugin *p, const char *path, unsigned flags)
{
	return ingest_file_feed(in, p, path, KATO_FEED_NONE, flags);
}

int ingest_file_feed(struct ingest *in, const struct plugin *p, const char *path, enum kato_feed feed,
		     unsigned flags)
{
	int rc;
	struct ingest_job *j = ingest_job_new(in, p, path, feed, flags, &rc);
	if (!j)
		return rc;
	ingest_job_run(j, NULL, NULL);
	return ingest_job_finish(j, NULL);
}
