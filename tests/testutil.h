/* SPDX-License-Identifier: Apache-2.0 */
/* testutil: shared helpers for the Check suites (header-only). */
#ifndef KATO_TESTUTIL_H
#define KATO_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "json.h"
#include "paths.h"
#include "plugin.h"

/* Assertion used by the helpers below; kato-parse-dump (not a Check
 * runner) defines its own before including this file. */
#ifndef TU_REQUIRE
#define TU_REQUIRE(cond, ...) ck_assert_msg(cond, __VA_ARGS__)
#endif

/* The integer in the first column of the first row of sql on db. */
static inline int tu_db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	TU_REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	TU_REQUIRE(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* $top_srcdir/<rel> (make check exports top_srcdir). */
static inline char *tu_src(const char *rel)
{
	const char *top = getenv("top_srcdir");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", top ? top : ".", rel);
	return buf_take(&b);
}

/* Read a whole file; NULL on error. */
static inline char *tu_read(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct buf b = BUF_INIT;
	char tmp[65536];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	if (len)
		*len = b.len;
	return buf_take(&b);
}

static inline void tu_write(const char *path, const char *s, size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
	close(fd);
}

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? 0 : 0;
}

/* Directories made by tu_tmpdir, removed when the (forked) test exits. */
static char *tu_tmpdirs[64];
static int tu_ntmpdirs;

static inline void tu_cleanup(void)
{
	for (int i = 0; i < tu_ntmpdirs; i++)
		nftw(tu_tmpdirs[i], tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary directory, removed when the test process exits. */
static inline char *tu_tmpdir(void)
{
	char *t = xstrdup("/tmp/kato-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t));
	if (tu_ntmpdirs == 0)
		atexit(tu_cleanup);
	if (tu_ntmpdirs < 64)
		tu_tmpdirs[tu_ntmpdirs++] = xstrdup(t);
	return t;
}

/* ---- running a provider plugin over a file, collecting its output ---- */

struct tu_run {
	const struct plugin *plugin;
	char **events; /* ConversationEvent JSON lines */
	uint32_t *flags;
	size_t n;
	char *session_id; /* last provider_session_id named */
	char *parent_id, *title, *cwd, *model;
	char **counted;   /* types passed to count() */
	size_t ncounted;
	size_t nrejected; /* events that failed event_check */
	size_t nbad;      /* lines the parser called malformed */
	int64_t record_end; /* what host->record_end reports */
};

static inline int tu_emit(void *ctx, const struct kato_event *ev)
{
	struct tu_run *r = ctx;
	const char *why = "bad JSON-valued field";
	struct buf b = BUF_INIT;
	if (event_check(ev, &why) < 0 ||
	    event_to_json(ev, r->plugin->desc->name, r->session_id ? r->session_id : "", -1, &b) < 0) {
		fprintf(stderr, "rejected event %s: %s\n", ev->event_id ? ev->event_id : "?", why);
		buf_free(&b);
		r->nrejected++;
		return -1;
	}
	r->events = xrealloc(r->events, (r->n + 1) * sizeof *r->events);
	r->flags = xrealloc(r->flags, (r->n + 1) * sizeof *r->flags);
	r->flags[r->n] = ev->flags;
	r->events[r->n++] = buf_take(&b);
	return 0;
}

static inline void tu_set(char **dst, const char *v)
{
	if (v) {
		free(*dst);
		*dst = xstrdup(v);
	}
}

static inline void tu_session(void *ctx, const struct kato_session_info *si)
{
	struct tu_run *r = ctx;
	tu_set(&r->session_id, si->provider_session_id);
	tu_set(&r->parent_id, si->parent_session_id);
	tu_set(&r->title, si->title);
	tu_set(&r->cwd, si->cwd);
	tu_set(&r->model, si->model);
}

static inline void tu_count(void *ctx, const char *type)
{
	struct tu_run *r = ctx;
	r->counted = xrealloc(r->counted, (r->ncounted + 1) * sizeof *r->counted);
	r->counted[r->ncounted++] = xstrdup(type);
}

static inline void tu_log(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	if (level < KATO_LOG_WARN && !getenv("TU_VERBOSE"))
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline int64_t tu_record_end(void *ctx)
{
	return ((struct tu_run *)ctx)->record_end;
}

static const struct kato_host tu_host = {
	sizeof(struct kato_host), KATO_PROVIDER_ABI_MINOR, tu_emit, tu_session, tu_count, tu_log,
	tu_record_end,
};

/* Load plugins/<name>/.libs/<name>.so from the build tree. */
static inline struct plugin tu_plugin(const char *name)
{
	const char *dir = getenv("KATO_TEST_PLUGINS");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s/.libs/%s.so", dir ? dir : "plugins", name, name);
	struct plugin p;
	char *why = NULL;
	if (plugin_load(b.p, &p, &why) < 0)
		TU_REQUIRE(0, "cannot load %s: %s", b.p, why);
	buf_free(&b);
	return p;
}

/* Ask p's content probe about the first KATO_PROBE_BYTES of the file at
 * `rel` (relative to the source tree). */
static inline enum kato_probe tu_probe_file(const struct plugin *p, const char *rel, enum kato_feed *feed)
{
	char *path = tu_src(rel);
	size_t len;
	char *data = tu_read(path, &len);
	free(path);
	*feed = KATO_FEED_NONE;
	enum kato_probe r = plugin_probe(p, data, len < KATO_PROBE_BYTES ? len : KATO_PROBE_BYTES, feed);
	free(data);
	return r;
}

/* Every real log and fixture under tests/ with the provider that wrote it
 * and its feed mode, for the content probe tests. */
static const struct {
	const char *provider, *path;
	enum kato_feed feed;
} tu_probe_files[] = {
	{"claude", "tests/corpus/claude/DERIVED-jazzyalex-composite.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/codemie-2.0.76-compact.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/codemie-subagent-parent-2.1.7.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/codemie-subagent-parent-2.1.7/subagents/agent-a485154.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/codemie-warmup-agent-2.0.64.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-apierror-compact-sonnet45.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-image-toolresult-opus46.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-large-localcmd-compact.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-prlink-synthetic.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-tiny-summary.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/entire-v2.0.76-compact.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/kimuson-1.0.98-inline-sidechain-summary.jsonl", KATO_FEED_LINES},
	{"claude", "tests/corpus/claude/yoavf-pomodoro.jsonl", KATO_FEED_LINES},
	{"claude", "tests/data/kato-fixtures/claude-session.jsonl", KATO_FEED_LINES},
	{"claude", "tests/data/kato-fixtures/claude-session-ask-user-question.jsonl", KATO_FEED_LINES},
	{"claude", "tests/data/kato-fixtures/claude-session-user-string-content.jsonl", KATO_FEED_LINES},
	{"codex", "tests/corpus/codex/DERIVED-jazzyalex-composite-0.146.jsonl", KATO_FEED_LINES},
	{"codex", "tests/corpus/codex/codemie-rollout-0.125-gpt55-websearch.jsonl", KATO_FEED_LINES},
	{"codex", "tests/corpus/codex/localpush-sanitized-0.104alpha-compacted.jsonl", KATO_FEED_LINES},
	{"codex", "tests/corpus/codex/yoavf-pomodoro.jsonl", KATO_FEED_LINES},
	{"codex", "tests/data/kato-fixtures/codex-session-aborted.jsonl", KATO_FEED_LINES},
	{"codex", "tests/data/kato-fixtures/codex-session-exec.jsonl", KATO_FEED_LINES},
	{"codex", "tests/data/kato-fixtures/codex-session-legacy.jsonl", KATO_FEED_LINES},
	{"codex", "tests/data/kato-fixtures/codex-session-request-user-input.jsonl", KATO_FEED_LINES},
	{"codex", "tests/data/kato-fixtures/codex-session-vscode-new.jsonl", KATO_FEED_LINES},
	{"gemini", "tests/corpus/gemini/DERIVED-jazzyalex-jsonl-v040.jsonl", KATO_FEED_LINES},
	{"gemini", "tests/corpus/gemini/aim-matrix_pro_run4_success.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/aim-session-2026-03-18T01-58-b26e4930.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/aim-session-2026-03-18T02-47-daa0ceb2.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/aim-session-2026-03-18T15-20-76d8ed24.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/aim-session-2026-03-18T15-22-ea9f470a.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/codemie-gemini3-pro-image.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/entire-gemini25flash.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/corpus/gemini/yoavf-pomodoro.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/data/kato-fixtures/gemini-session.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/data/kato-fixtures/gemini-session-assistant-content-mismatch.json", KATO_FEED_DOCUMENT},
	{"gemini", "tests/data/kato-fixtures/gemini-session-command-display-mismatch.json", KATO_FEED_DOCUMENT},
};

/* The probe of p claims every file of its provider with the right feed
 * mode, surely, and no file of another provider. */
static inline void tu_check_probe_files(const struct plugin *p)
{
	for (size_t i = 0; i < sizeof tu_probe_files / sizeof *tu_probe_files; i++) {
		enum kato_feed feed;
		enum kato_probe r = tu_probe_file(p, tu_probe_files[i].path, &feed);
		if (!strcmp(tu_probe_files[i].provider, p->desc->name)) {
			ck_assert_msg(r == KATO_PROBE_SURE, "%s: probe %d", tu_probe_files[i].path, r);
			ck_assert_msg(feed == tu_probe_files[i].feed, "%s: feed %d", tu_probe_files[i].path, feed);
		} else {
			ck_assert_msg(r == KATO_PROBE_NO, "%s: claimed by %s (%d)", tu_probe_files[i].path,
				      p->desc->name, r);
		}
	}
}

/* Probe a string; *feed KATO_FEED_NONE when not claimed. */
static inline enum kato_probe tu_probe_str(const struct plugin *p, const char *s, enum kato_feed *feed)
{
	*feed = KATO_FEED_NONE;
	return plugin_probe(p, s, strlen(s), feed);
}

/* Feed a buffer to a fresh parser state as the host would on first sight
 * (lines split on \n, the last unterminated line fed too if it parses;
 * documents whole), then flush. Returns the run; the plugin must outlive it. */
static inline struct tu_run *tu_parse_buf(const struct plugin *p, const char *path,
					  const char *data, size_t len)
{
	struct tu_run *r = xcalloc(1, sizeof *r);
	r->plugin = p;
	void *st = NULL;
	enum kato_feed feed = KATO_FEED_MODE(p->desc->match_path(path));
	if (feed == KATO_FEED_NONE)
		feed = p->desc->parse_line ? KATO_FEED_LINES : KATO_FEED_DOCUMENT;
	TU_REQUIRE(p->desc->open_file(&tu_host, r, path, NULL, 0, &st) == 0, "open_file failed for %s", path);
	r->record_end = -1;
	if (feed == KATO_FEED_DOCUMENT) {
		TU_REQUIRE(p->desc->parse_document(st, data, len) != -1, "parse_document failed for %s", path);
	} else {
		size_t i = 0;
		while (i < len) {
			const char *nl = memchr(data + i, '\n', len - i);
			size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
			r->record_end = (int64_t)(i + n + (nl ? 1 : 0));
			int rc = p->desc->parse_line(st, data + i, n);
			TU_REQUIRE(rc != -1, "parse_line failed in %s", path);
			if (rc == 1)
				r->nbad++;
			i += n + (nl ? 1 : 0);
		}
	}
	if (p->desc->flush)
		p->desc->flush(st);
	p->desc->close_file(st);
	return r;
}

static inline struct tu_run *tu_parse_file(const struct plugin *p, const char *path)
{
	size_t len;
	char *data = tu_read(path, &len);
	TU_REQUIRE(data != NULL, "cannot read %s", path);
	struct tu_run *r = tu_parse_buf(p, path, data, len);
	free(data);
	return r;
}

/* How many events of `kind` (NULL: any) does the run hold? */
static inline size_t tu_count_kind(const struct tu_run *r, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = pj_parse(r->events[i], strlen(r->events[i]));
		const char *k = pj_str(o, "kind");
		if (!kind || (k && !strcmp(k, kind)))
			n++;
		json_object_put(o);
	}
	return n;
}

/* Parsed JSON of event i (caller puts). */
static inline struct json_object *tu_event(const struct tu_run *r, size_t i)
{
	ck_assert_uint_lt(i, r->n);
	return pj_parse(r->events[i], strlen(r->events[i]));
}

/* How many events of the run contain `needle` in their stored JSON text
 * (what kato export --format jsonl prints)? */
static inline size_t tu_count_json(const struct tu_run *r, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += strstr(r->events[i], needle) != NULL;
	return n;
}

/* Free what tu_plugin allocated (the plugin itself stays mapped). */
/* Append n bytes of JSON string body full of escapes (a pattern that
 * pj_parse_line's decoder and json-c must read alike): "x", the pattern,
 * "y". */
static inline void tu_escaped_body(struct buf *b, size_t n)
{
	static const char pat[] = "ab \\n\\\"\\u00e9\\ud83d\\ude00\\u0000\\t/\\/ \xc3\xa9 ";
	size_t k = sizeof pat - 1;
	buf_adds(b, "x");
	while (n > k) {
		buf_add(b, pat, k);
		n -= k;
	}
	buf_adds(b, "y");
}

/* Field `key` of event i as read back by json-c: malloc'd copy, *len. */
static inline char *tu_event_text(const struct tu_run *r, size_t i, const char *key, size_t *len)
{
	struct json_object *o = tu_event(r, i);
	const char *v = pj_strn(o, key, len);
	char *c = v ? xstrndup(v, *len) : NULL;
	json_object_put(o);
	return c;
}

/* Index of the first event of `kind` at or after `from` (fails if none). */
static inline size_t tu_find_kind(const struct tu_run *r, const char *kind, size_t from)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
	for (size_t i = from; i < r->n; i++)
		if (strstr(r->events[i], needle))
			return i;
	ck_abort_msg("no %s event from %zu", kind, from);
	return 0;
}

static inline void tu_plugin_free(struct plugin *p)
{
	free(p->path);
	p->path = NULL;
}

static inline void tu_run_free(struct tu_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->events[i]);
	for (size_t i = 0; i < r->ncounted; i++)
		free(r->counted[i]);
	free(r->events);
	free(r->flags);
	free(r->counted);
	free(r->session_id);
	free(r->parent_id);
	free(r->title);
	free(r->cwd);
	free(r->model);
	free(r);
}

/* Standard main for a suite built by `make_suite`. */
#define TU_MAIN(make_suite)                                                    \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(make_suite());                    \
		srunner_run_all(sr, CK_NORMAL);                                \
		int failed = srunner_ntests_failed(sr);                        \
		srunner_free(sr);                                              \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                   \
	}

#endif
