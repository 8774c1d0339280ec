/* SPDX-License-Identifier: Apache-2.0 */
/* test_gemini: the Gemini CLI provider (provider-formats §3, ref §1.4). */
#include "autoconfig.h"

#include "testutil.h"

#define CHATS "/home/u/.gemini/tmp/0a1b2c/chats/"

static const char *const corpus_files[] = {
	"tests/corpus/gemini/aim-matrix_pro_run4_success.json",
	"tests/corpus/gemini/aim-session-2026-03-18T01-58-b26e4930.json",
	"tests/corpus/gemini/aim-session-2026-03-18T02-47-daa0ceb2.json",
	"tests/corpus/gemini/aim-session-2026-03-18T15-20-76d8ed24.json",
	"tests/corpus/gemini/aim-session-2026-03-18T15-22-ea9f470a.json",
	"tests/corpus/gemini/codemie-gemini3-pro-image.json",
	"tests/corpus/gemini/entire-gemini25flash.json",
	"tests/corpus/gemini/yoavf-pomodoro.json",
	"tests/corpus/gemini/DERIVED-jazzyalex-jsonl-v040.jsonl",
	"tests/data/kato-fixtures/gemini-session.json",
	"tests/data/kato-fixtures/gemini-session-command-display-mismatch.json",
	"tests/data/kato-fixtures/gemini-session-assistant-content-mismatch.json",
};

/* ---- helpers ---- */

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

/* Read a file under top_srcdir; caller frees. */
static char *read_src(const char *rel, size_t *len)
{
	char *path = tu_src(rel);
	char *data = tu_read(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	return data;
}

/* Parse data as the host would on first sight, as a chats/ file. */
static struct tu_run *run_buf(const struct plugin *p, const char *data, size_t len, bool lines)
{
	return tu_parse_buf(p, lines ? CHATS "session-2026-01-01T00-00-abcd1234.jsonl"
				     : CHATS "session-2026-01-01T00-00-abcd1234.json",
			    data, len);
}

static struct tu_run *run_str(const struct plugin *p, const char *data, bool lines)
{
	return run_buf(p, data, strlen(data), lines);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted copy of the events of several runs (pointers borrowed). */
static char **sorted_events(struct tu_run **runs, size_t nruns, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < nruns; i++)
		total += runs[i]->n;
	char **v = xcalloc(total + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < nruns; i++)
		for (size_t j = 0; j < runs[i]->n; j++)
			v[k++] = runs[i]->events[j];
	qsort(v, total, sizeof *v, cmp_str);
	*n = total;
	return v;
}

/* Do the runs `a` (together) hold exactly the events of `b`? */
static void assert_same_events(struct tu_run **a, size_t na, struct tu_run *b)
{
	size_t n1, n2;
	char **e1 = sorted_events(a, na, &n1);
	char **e2 = sorted_events(&b, 1, &n2);
	for (size_t i = 0; i < n1 && i < n2; i++)
		ck_assert_msg(!strcmp(e1[i], e2[i]), "event sets differ:\n%s\n%s", e1[i], e2[i]);
	ck_assert_uint_eq(n1, n2);
	free(e1);
	free(e2);
}

/* No two events of the run share an event id. */
static void assert_unique_ids(struct tu_run *r)
{
	char **ids = xcalloc(r->n + 1, sizeof *ids);
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		ids[i] = xstrdup(pj_str(o, "eventId"));
		json_object_put(o);
	}
	qsort(ids, r->n, sizeof *ids, cmp_str);
	for (size_t i = 1; i < r->n; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]), "duplicate event id %s", ids[i]);
	for (size_t i = 0; i < r->n; i++)
		free(ids[i]);
	free(ids);
}

static bool utf8_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		size_t n = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2 : (*u & 0xf0) == 0xe0 ? 3 : (*u & 0xf8) == 0xf0 ? 4 : 0;
		if (!n || (n == 2 && *u < 0xc2))
			return false;
		uint32_t cp = n == 1 ? *u : (uint32_t)(*u & (0x7f >> n));
		for (size_t i = 1; i < n; i++) {
			if ((u[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		u += n;
	}
	return true;
}

/* Events of kind (in order) as parsed objects; caller puts each. */
static size_t events_of(struct tu_run *r, const char *kind, struct json_object **out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		const char *kd = pj_str(o, "kind");
		if (kd && !strcmp(kd, kind) && k < max)
			out[k++] = o;
		else
			json_object_put(o);
	}
	return k;
}

static void put_all(struct json_object **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(v[i]);
}

static bool counted(struct tu_run *r, const char *type)
{
	for (size_t i = 0; i < r->ncounted; i++)
		if (!strcmp(r->counted[i], type))
			return true;
	return false;
}

/* ---- a long-lived parser state fed by the test, as the daemon does ---- */

struct feed {
	const struct plugin *p;
	struct tu_run *r;
	void *st;
};

static void feed_open(struct feed *f, const struct plugin *p, const char *path, const void *blob,
		      size_t len)
{
	f->p = p;
	f->r = xcalloc(1, sizeof *f->r);
	f->r->plugin = p;
	ck_assert_int_eq(p->desc->open_file(&tu_host, f->r, path, blob, len, &f->st), 0);
}

static int feed_doc(struct feed *f, const char *s, size_t n)
{
	return f->p->desc->parse_document(f->st, s, n);
}

static int feed_line(struct feed *f, const char *s)
{
	return f->p->desc->parse_line(f->st, s, strlen(s));
}

/* Copy of the current state blob; caller frees. */
static char *feed_save(struct feed *f, size_t *len)
{
	const void *b;
	ck_assert_int_eq(f->p->desc->save_state(f->st, &b, len), 0);
	char *c = xmalloc(*len + 1);
	memcpy(c, b, *len);
	return c;
}

/* Close the state; the run stays (caller frees it). */
static struct tu_run *feed_close(struct feed *f)
{
	f->p->desc->close_file(f->st);
	return f->r;
}

/* ---- independent expectations from the raw JSON ---- */

/* Text parts (or a plain string) of a content value, ASCII-trimmed. */
static char *plain_text(struct json_object *c)
{
	struct buf b = BUF_INIT;
	if (json_object_is_type(c, json_type_string)) {
		buf_adds(&b, json_object_get_string(c));
	} else if (json_object_is_type(c, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(c); i++) {
			const char *t = pj_str(json_object_array_get_idx(c, i), "text");
			if (t && *t) {
				if (b.len)
					buf_adds(&b, "\n\n");
				buf_adds(&b, t);
			}
		}
	}
	char *s = buf_take(&b);
	if (!s)
		s = xstrdup("");
	size_t a = 0, e = strlen(s);
	while (a < e && strchr(" \t\r\n", s[a]))
		a++;
	while (e > a && strchr(" \t\r\n", s[e - 1]))
		e--;
	memmove(s, s + a, e - a);
	s[e - a] = '\0';
	return s;
}

/* The message list of a file: a document's messages, or a JSONL file's
 * records with last write winning at the first position. Caller puts. */
static struct json_object *message_list(const char *data, size_t len, bool lines)
{
	if (!lines) {
		struct json_object *doc = pj_parse(data, len);
		ck_assert_ptr_nonnull(doc);
		struct json_object *m = json_object_get(pj_arr(doc, "messages"));
		json_object_put(doc);
		return m;
	}
	struct json_object *list = json_object_new_array();
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct json_object *o = pj_parse(p, n);
		const char *id = pj_str(o, "id");
		if (id) {
			size_t k, cnt = json_object_array_length(list);
			for (k = 0; k < cnt; k++)
				if (!strcmp(pj_str(json_object_array_get_idx(list, k), "id"), id))
					break;
			if (k < cnt)
				json_object_array_put_idx(list, k, json_object_get(o));
			else
				json_object_array_add(list, json_object_get(o));
		}
		json_object_put(o);
		p += n + 1;
	}
	return list;
}

/* Every user text and every gemini text appears once, in order. */
static void check_texts(struct tu_run *r, struct json_object *msgs)
{
	struct json_object *ev[4096];
	size_t nu = events_of(r, "message.user", ev, 4096), ku = 0;
	size_t cnt = json_object_array_length(msgs);
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *type = pj_str(m, "type");
		if (!type || strcmp(type, "user"))
			continue;
		struct json_object *c = NULL, *d = NULL;
		json_object_object_get_ex(m, "content", &c);
		json_object_object_get_ex(m, "displayContent", &d);
		char *t1 = plain_text(c), *t2 = plain_text(d);
		if (*t1 || *t2) {
			ck_assert_uint_lt(ku, nu);
			ck_assert_str_eq(pj_str(ev[ku], "turnId"), pj_str(m, "id"));
			ku++;
		}
		free(t1);
		free(t2);
	}
	ck_assert_uint_eq(ku, nu);
	put_all(ev, nu);

	size_t na = events_of(r, "message.assistant", ev, 4096), ka = 0;
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *type = pj_str(m, "type");
		if (!type || strcmp(type, "gemini"))
			continue;
		struct json_object *c = NULL;
		json_object_object_get_ex(m, "content", &c);
		char *t = plain_text(c);
		if (*t) {
			ck_assert_uint_lt(ka, na);
			ck_assert_str_eq(pj_str(ev[ka], "turnId"), pj_str(m, "id"));
			if (!strchr(t, '\r') && !strstr(t, "\n\n\n"))
				ck_assert_str_eq(pj_str(ev[ka], "content"), t);
			ka++;
		}
		free(t);
	}
	ck_assert_uint_eq(ka, na);
	put_all(ev, na);
}

/* The same session as JSONL: header, each gemini message first in a
 * partial form (streaming: no tokens, half the text, tools executing),
 * then final, then a $set. Caller frees. */
static char *to_jsonl(const char *data, size_t len)
{
	struct json_object *doc = pj_parse(data, len);
	ck_assert_ptr_nonnull(doc);
	struct buf b = BUF_INIT;
	struct json_object *hdr = json_object_new_object();
	static const char *const keys[] = {"sessionId", "projectHash", "startTime", "lastUpdated", "kind"};
	for (size_t i = 0; i < 5; i++) {
		struct json_object *v;
		if (json_object_object_get_ex(doc, keys[i], &v))
			json_object_object_add(hdr, keys[i], json_object_get(v));
	}
	buf_adds(&b, pj_text(hdr));
	buf_addc(&b, '\n');
	json_object_put(hdr);
	struct json_object *msgs = pj_arr(doc, "messages");
	for (size_t i = 0; msgs && i < json_object_array_length(msgs); i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *type = pj_str(m, "type");
		if (type && !strcmp(type, "gemini")) {
			struct json_object *part = NULL;
			ck_assert_int_eq(json_object_deep_copy(m, &part, NULL), 0);
			json_object_object_del(part, "tokens");
			const char *c = pj_str(part, "content");
			if (c) {
				char *half = xstrdup(c);
				half[strlen(half) / 2] = '\0';
				json_object_object_add(part, "content", json_object_new_string(half));
				free(half);
			}
			struct json_object *tcs = pj_arr(part, "toolCalls");
			for (size_t j = 0; tcs && j < json_object_array_length(tcs); j++) {
				struct json_object *tc = json_object_array_get_idx(tcs, j);
				json_object_object_del(tc, "result");
				json_object_object_del(tc, "resultDisplay");
				json_object_object_add(tc, "status", json_object_new_string("executing"));
			}
			buf_adds(&b, pj_text(part));
			buf_addc(&b, '\n');
			json_object_put(part);
		}
		buf_adds(&b, pj_text(m));
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "{\"$set\":{\"lastUpdated\":\"2030-01-01T00:00:00.000Z\"}}\n");
	json_object_put(doc);
	return buf_take(&b);
}

/* ---- tests ---- */

START_TEST(test_probe)
{
	struct plugin p = tu_plugin("gemini");
	tu_check_probe_files(&p);
	enum kato_feed f;
	/* JSONL: header, $set and $rewindTo are sure, bare messages maybe */
	ck_assert_int_eq(tu_probe_str(&p, "{\"sessionId\":\"s\",\"projectHash\":\"h\",\"startTime\":\"t\"}\n", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_LINES);
	ck_assert_int_eq(tu_probe_str(&p, "{\"$rewindTo\":\"m1\"}\n", &f), KATO_PROBE_SURE);
	ck_assert_int_eq(tu_probe_str(&p, "{\"id\":\"m1\",\"type\":\"gemini\",\"timestamp\":\"t\",\"content\":\"\"}\n", &f),
			 KATO_PROBE_MAYBE);
	/* a legacy document cut off by the head is still a document */
	ck_assert_int_eq(tu_probe_str(&p, "{\n  \"sessionId\": \"s\",\n  \"projectHash\": \"h\",\n  \"messages\": [\n    {", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_DOCUMENT);
	/* not Gemini */
	ck_assert_int_eq(tu_probe_str(&p, "{\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s\",\"message\":{}}\n", &f),
			 KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&p, "{\n  \"session\": {},\n  \"items\": []\n}\n", &f), KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&p, "[1, 2]\n", &f), KATO_PROBE_NO);
	tu_plugin_free(&p);
}
END_TEST


START_TEST(test_match_path)
{
	struct plugin p = tu_plugin("gemini");
	enum kato_feed (*m)(const char *) = p.desc->match_path;
	ck_assert_str_eq(p.desc->name, "gemini");
	ck_assert_str_eq(p.desc->default_roots, "~/.gemini/tmp");
	ck_assert_int_eq(m(CHATS "session-2026-03-18T01-58-b26e4930.json"), KATO_FEED_DOCUMENT);
	ck_assert_int_eq(m(CHATS "session-2026-04-29T21-39-0b7dfb12.jsonl"), KATO_FEED_LINES);
	ck_assert_int_eq(m("/x/.gemini/tmp/myslug/chats/session-a.json"), KATO_FEED_DOCUMENT);
	ck_assert_int_eq(m(CHATS "b26e4930-parent/9f0e-child.json"), KATO_FEED_DOCUMENT);
	ck_assert_int_eq(m(CHATS "b26e4930-parent/9f0e-child.jsonl"), KATO_FEED_LINES);
	ck_assert_int_eq(m("/home/u/.gemini/tmp/0a1b2c/logs.json"), KATO_FEED_NONE);
	ck_assert_int_eq(m("/home/u/.gemini/tmp/0a1b2c/tool-outputs/x.json"), KATO_FEED_NONE);
	ck_assert_int_eq(m("/home/u/.gemini/projects.json"), KATO_FEED_NONE);
	ck_assert_int_eq(m(CHATS "session-x.json.tmp-1234"), KATO_FEED_NONE);
	ck_assert_int_eq(m(CHATS "notes.txt"), KATO_FEED_NONE);
	ck_assert_int_eq(m(CHATS "a/b/c.json"), KATO_FEED_NONE);
	/* outside any chats dir only the session name is claimed, weakly */
	ck_assert_int_eq(m("/tmp/session-x.json"), KATO_FEED_DOCUMENT | KATO_FEED_WEAK);
	ck_assert_int_eq(m("/tmp/other.json"), KATO_FEED_NONE);
	free(p.path);
}
END_TEST

/* ref §1.4: displayContent wins for user text; command lines hidden from
 * it stay; content wins for gemini text; tool descriptions and results. */
START_TEST(test_ref_fixtures)
{
	struct plugin p = tu_plugin("gemini");
	size_t len;
	char *d = read_src("tests/data/kato-fixtures/gemini-session.json", &len);
	struct tu_run *r = run_buf(&p, d, len, false);
	free(d);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_str_eq(r->session_id, "gemini-fixture-session-1");
	ck_assert_str_eq(r->model, "gemini-2.0-pro");
	struct json_object *e[16];
	size_t n = events_of(r, "message.user", e, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "content"), "please analyze auth flow");
	ck_assert_str_eq(pj_str(e[1], "content"), "add jwt refresh tokens too");
	ck_assert_str_eq(pj_str(e[0], "timestamp"), "2026-02-24T10:00:01.000Z");
	ck_assert_str_eq(pj_str(e[0], "turnId"), "u1");
	put_all(e, n);
	n = events_of(r, "thinking", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "content"), "Need to inspect src/middleware first.");
	put_all(e, n);
	n = events_of(r, "tool.call", e, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "toolCallId"), "tool-read-1");
	ck_assert_str_eq(pj_str(e[0], "name"), "read_file");
	ck_assert_str_eq(pj_str(e[0], "description"), "src/middleware/auth.ts");
	ck_assert_str_eq(pj_str(pj_obj(e[0], "input"), "path"), "src/middleware/auth.ts");
	ck_assert_str_eq(pj_str(e[1], "description"), "ls src/routes");
	ck_assert_str_eq(pj_str(pj_obj(e[1], "source"), "providerEventType"), "gemini.tool_call");
	put_all(e, n);
	n = events_of(r, "tool.result", e, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "result"), "export function authMiddleware() {}");
	ck_assert_str_eq(pj_str(e[1], "toolCallId"), "tool-shell-1");
	ck_assert_str_eq(pj_str(e[1], "result"), "auth.ts\nusers.ts");
	put_all(e, n);
	n = events_of(r, "message.assistant", e, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "content"), "I will inspect your middleware and routes.");
	ck_assert_str_eq(pj_str(e[0], "model"), "gemini-2.0-pro");
	ck_assert_str_eq(pj_str(e[1], "content"), "Done. I added refresh token routes.");
	put_all(e, n);
	n = events_of(r, "provider.info", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "content"), "Signed in successfully");
	ck_assert_str_eq(pj_str(e[0], "subtype"), "info");
	put_all(e, n);
	/* order within the first gemini message: text, thought, call/result */
	struct json_object *o = tu_event(r, 1);
	ck_assert_str_eq(pj_str(o, "kind"), "message.assistant");
	json_object_put(o);
	for (size_t i = 0; i < r->n; i++) {
		o = tu_event(r, i);
		const char *k = pj_str(o, "kind");
		bool human = r->flags[i] & KATO_EVENT_HUMAN;
		ck_assert_int_eq(human, !strcmp(k, "message.user"));
		json_object_put(o);
	}
	tu_run_free(r);

	d = read_src("tests/data/kato-fixtures/gemini-session-command-display-mismatch.json", &len);
	r = run_buf(&p, d, len, false);
	free(d);
	n = events_of(r, "message.user", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "content"),
			 "::capture notes/gemini.md\nPlease help with this project.");
	put_all(e, n);
	tu_run_free(r);

	d = read_src("tests/data/kato-fixtures/gemini-session-assistant-content-mismatch.json", &len);
	r = run_buf(&p, d, len, false);
	free(d);
	n = events_of(r, "message.assistant", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "content"),
			 "I'll take the taxonomy-cleanup slice now. Here is the updated code.");
	put_all(e, n);
	tu_run_free(r);
	free(p.path);
}
END_TEST

START_TEST(test_corpus)
{
	struct plugin p = tu_plugin("gemini");
	const char *rel = corpus_files[_i];
	bool lines = ends_with(rel, ".jsonl");
	size_t len;
	char *d = read_src(rel, &len);
	struct tu_run *r = run_buf(&p, d, len, lines);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_eq(r->nbad, 0);
	ck_assert_ptr_nonnull(r->session_id);
	struct json_object *msgs = message_list(d, len, lines);
	check_texts(r, msgs);
	assert_unique_ids(r);
	for (size_t i = 0; i < r->n; i++)
		ck_assert(utf8_valid(r->events[i]));
	json_object_put(msgs);
	free(d);
	tu_run_free(r);
	free(p.path);
}
END_TEST

/* Thoughts of the {subject, description} shape become text. */
START_TEST(test_thoughts_and_info)
{
	struct plugin p = tu_plugin("gemini");
	struct tu_run *r = run_str(
		&p,
		"{\"sessionId\":\"s\",\"messages\":["
		"{\"id\":\"g\",\"type\":\"gemini\",\"content\":\"hi\",\"tokens\":{},"
		"\"thoughts\":[{\"subject\":\"Planning\",\"description\":\"Read the file.\",\"timestamp\":\"t\"},"
		"\"plain thought\",{\"subject\":\"\",\"description\":\"\"}]},"
		"{\"id\":\"w\",\"type\":\"warning\",\"content\":\"Hook failed\"},"
		"{\"id\":\"e\",\"type\":\"error\",\"content\":\"Boom\"}]}",
		false);
	struct json_object *e[8];
	size_t n = events_of(r, "thinking", e, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "content"), "**Planning**\n\nRead the file.");
	ck_assert_str_eq(pj_str(e[1], "content"), "plain thought");
	put_all(e, n);
	n = events_of(r, "provider.info", e, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(pj_str(e[0], "subtype"), "warning");
	ck_assert_str_eq(pj_str(e[0], "level"), "warning");
	ck_assert_str_eq(pj_str(e[1], "subtype"), "error");
	ck_assert_str_eq(pj_str(e[1], "content"), "Boom");
	put_all(e, n);
	for (size_t i = 0; i < r->n; i++)
		ck_assert_uint_eq(r->flags[i] & KATO_EVENT_HUMAN, 0);
	tu_run_free(r);
	free(p.path);
}
END_TEST

/* The in-place rewrite: 50 documents of a growing session, the last
 * message often in a streaming form, one document half-written. */
START_TEST(test_rewrite_50)
{
	struct plugin p = tu_plugin("gemini");
	size_t len;
	char *full = read_src("tests/corpus/gemini/yoavf-pomodoro.json", &len);
	struct tu_run *once = run_buf(&p, full, len, false);
	struct json_object *doc = pj_parse(full, len);
	struct json_object *msgs = pj_arr(doc, "messages");
	size_t nmsg = json_object_array_length(msgs);
	ck_assert_uint_ge(nmsg, 19);

	struct feed f;
	feed_open(&f, &p, CHATS "session-2025-10-21T20-04-0b23371a.json", NULL, 0);
	size_t docs = 0;
	for (size_t k = 1; k <= nmsg; k++) {
		for (int partial = 1; partial >= 0; partial--) {
			struct json_object *cp = NULL;
			ck_assert_int_eq(json_object_deep_copy(doc, &cp, NULL), 0);
			struct json_object *cm = pj_arr(cp, "messages");
			json_object_array_del_idx(cm, k, json_object_array_length(cm) - k);
			struct json_object *last = json_object_array_get_idx(cm, k - 1);
			const char *type = pj_str(last, "type");
			if (partial && type && !strcmp(type, "gemini")) {
				json_object_object_del(last, "tokens");
				const char *c = pj_str(last, "content");
				char *half = xstrdup(c ? c : "");
				half[strlen(half) / 3] = '\0';
				json_object_object_add(last, "content", json_object_new_string(half));
				free(half);
				struct json_object *tcs = pj_arr(last, "toolCalls");
				for (size_t j = 0; tcs && j < json_object_array_length(tcs); j++) {
					struct json_object *tc = json_object_array_get_idx(tcs, j);
					json_object_object_del(tc, "result");
					json_object_object_add(tc, "resultDisplay", json_object_new_string("...running"));
					json_object_object_add(tc, "status", json_object_new_string("executing"));
				}
			} else if (partial) {
				json_object_put(cp);
				continue;
			}
			const char *text = json_object_to_json_string_ext(cp, JSON_C_TO_STRING_PRETTY);
			size_t before = f.r->n;
			if (k == nmsg / 2 && !partial) {
				/* caught mid-write: no events, retried on the next change */
				ck_assert_int_eq(feed_doc(&f, text, strlen(text) * 2 / 3), 1);
				ck_assert_uint_eq(f.r->n, before);
				docs++;
			}
			ck_assert_int_eq(feed_doc(&f, text, strlen(text)), 0);
			docs++;
			json_object_put(cp);
		}
	}
	while (docs < 50) { /* unchanged rewrites (lastUpdated only) */
		size_t before = f.r->n;
		json_object_object_add(doc, "lastUpdated", json_object_new_string("2025-10-22T00:00:00.000Z"));
		const char *text = pj_text(doc);
		ck_assert_int_eq(feed_doc(&f, text, strlen(text)), 0);
		ck_assert_uint_eq(f.r->n, before);
		docs++;
	}
	ck_assert_uint_ge(docs, 50);
	p.desc->flush(f.st);
	struct tu_run *r = feed_close(&f);
	ck_assert_uint_eq(r->nrejected, 0);
	assert_unique_ids(r);
	assert_same_events(&r, 1, once);
	/* nothing of the streaming forms reached the host */
	for (size_t i = 0; i < r->n; i++)
		ck_assert_ptr_null(strstr(r->events[i], "...running"));
	tu_run_free(r);
	tu_run_free(once);
	json_object_put(doc);
	free(full);
	free(p.path);
}
END_TEST

#define DOC_HEAD "{\"sessionId\":\"s-stream\",\"startTime\":\"2026-01-01T00:00:00.000Z\",\"messages\":[" \
		 "{\"id\":\"u1\",\"type\":\"user\",\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"content\":[{\"text\":\"go\"}]}"

START_TEST(test_streaming_message)
{
	struct plugin p = tu_plugin("gemini");
	static const char *const docs[] = {
		DOC_HEAD "]}",
		DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"Hel\"}]}",
		DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"Hello wor\"}]}",
		DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"Hello world\",\"tokens\":{\"total\":5}}]}",
		DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"Hello world\",\"tokens\":{\"total\":5}},"
			 "{\"id\":\"g2\",\"type\":\"gemini\",\"content\":\"\",\"tokens\":{},\"toolCalls\":[{\"id\":\"t1\","
			 "\"name\":\"run_shell_command\",\"args\":{\"command\":\"make\"},\"status\":\"executing\","
			 "\"resultDisplay\":\"partial out\"}]}]}",
		DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"Hello world\",\"tokens\":{\"total\":5}},"
			 "{\"id\":\"g2\",\"type\":\"gemini\",\"content\":\"\",\"tokens\":{},\"toolCalls\":[{\"id\":\"t1\","
			 "\"name\":\"run_shell_command\",\"args\":{\"command\":\"make\"},\"status\":\"error\","
			 "\"resultDisplay\":\"full out\"}]}]}",
	};
	struct feed f;
	feed_open(&f, &p, CHATS "session-s.json", NULL, 0);
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
		ck_assert_int_eq(feed_doc(&f, docs[i], strlen(docs[i])), 0);
	/* everything was final before any flush */
	struct tu_run *r = f.r;
	ck_assert_uint_eq(r->n, 4);
	struct json_object *e[8];
	size_t n = events_of(r, "message.assistant", e, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "content"), "Hello world");
	put_all(e, n);
	n = events_of(r, "tool.result", e, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "result"), "full out");
	put_all(e, n);
	ck_assert_uint_eq(tu_count_kind(r, "tool.call"), 1);
	for (size_t i = 0; i < r->n; i++)
		if (strstr(r->events[i], "\"tool.result\""))
			ck_assert_uint_ne(r->flags[i] & KATO_EVENT_ERROR, 0);
	p.desc->flush(f.st);
	ck_assert_uint_eq(r->n, 4);
	tu_run_free(feed_close(&f));
	free(p.path);
}
END_TEST

/* A held message is released by flush, once; a change after it was final
 * is kept as a revision, never dropped. */
START_TEST(test_flush_and_revision)
{
	struct plugin p = tu_plugin("gemini");
	const char *d1 = DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"partial\"}]}";
	const char *d2 = DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"partial\",\"tokens\":{}}]}";
	const char *d3 = DOC_HEAD ",{\"id\":\"g1\",\"type\":\"gemini\",\"content\":\"edited\",\"tokens\":{}}]}";
	struct feed f;
	feed_open(&f, &p, CHATS "session-s.json", NULL, 0);
	ck_assert_int_eq(feed_doc(&f, d1, strlen(d1)), 0);
	ck_assert_uint_eq(f.r->n, 1);
	p.desc->flush(f.st);
	ck_assert_uint_eq(f.r->n, 2);
	p.desc->flush(f.st);
	ck_assert_int_eq(feed_doc(&f, d1, strlen(d1)), 0);
	ck_assert_int_eq(feed_doc(&f, d2, strlen(d2)), 0); /* same events */
	ck_assert_uint_eq(f.r->n, 2);
	ck_assert_int_eq(feed_doc(&f, d3, strlen(d3)), 0);
	ck_assert_uint_eq(f.r->n, 3);
	struct json_object *o = tu_event(f.r, 2);
	ck_assert_str_eq(pj_str(o, "content"), "edited");
	ck_assert_str_eq(pj_str(o, "eventId"), "s-stream:g1:message.assistant:r1");
	json_object_put(o);
	o = tu_event(f.r, 1);
	ck_assert_str_eq(pj_str(o, "eventId"), "s-stream:g1:message.assistant");
	json_object_put(o);
	ck_assert_int_eq(feed_doc(&f, d3, strlen(d3)), 0);
	ck_assert_uint_eq(f.r->n, 3);
	tu_run_free(feed_close(&f));
	free(p.path);
}
END_TEST

static const char *const jsonl_lines[] = {
	"{\"sessionId\":\"s-jl\",\"projectHash\":\"ab\",\"startTime\":\"2026-05-01T00:00:00.000Z\","
	"\"lastUpdated\":\"2026-05-01T00:00:00.000Z\",\"kind\":\"main\",\"directories\":[\"/work/proj\"]}",
	"{\"$set\":{\"messages\":[{\"id\":\"ctx\",\"timestamp\":\"2026-05-01T00:00:01.000Z\",\"type\":\"user\","
	"\"content\":[{\"text\":\"<session_context>\\nOS: linux\\n</session_context>\"}]}]}}",
	"{\"id\":\"u1\",\"timestamp\":\"2026-05-01T00:00:02.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"hi\"}]}",
	"{\"id\":\"g1\",\"timestamp\":\"2026-05-01T00:00:03.000Z\",\"type\":\"gemini\",\"content\":\"\","
	"\"model\":\"gemini-3-flash-preview\",\"toolCalls\":[{\"id\":\"t1\",\"name\":\"read_file\","
	"\"args\":{\"file_path\":\"a.c\"},\"status\":\"executing\"}]}",
	"{\"id\":\"g1\",\"timestamp\":\"2026-05-01T00:00:03.000Z\",\"type\":\"gemini\",\"content\":\"Done\","
	"\"model\":\"gemini-3-flash-preview\",\"tokens\":{\"total\":3},\"toolCalls\":[{\"id\":\"t1\",\"name\":\"read_file\","
	"\"args\":{\"file_path\":\"a.c\"},\"status\":\"success\",\"result\":[{\"functionResponse\":{\"id\":\"t1\","
	"\"name\":\"read_file\",\"response\":{\"output\":\"int x;\"}}}]}]}",
	"{\"$set\":{\"lastUpdated\":\"2026-05-01T00:00:04.000Z\",\"summary\":\"Read a.c\"}}",
	"{\"id\":\"u2\",\"timestamp\":\"2026-05-01T00:00:05.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"again\"}]}",
	"{\"id\":\"g2\",\"timestamp\":\"2026-05-01T00:00:06.000Z\",\"type\":\"gemini\",\"content\":\"half an ans\"}",
	"{\"$rewindTo\":\"u2\"}",
	"{\"id\":\"u3\",\"timestamp\":\"2026-05-01T00:00:07.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"new question\"}]}",
	"{\"id\":\"u4\",\"timestamp\":\"2026-05-01T00:00:08.000Z\",\"type\":\"user\",\"content\":[{\"functionResponse\":"
	"{\"id\":\"t1\",\"name\":\"read_file\",\"response\":{\"output\":\"int x;\"}}}]}",
	"{\"id\":\"g3\",\"timestamp\":\"2026-05-01T00:00:09.000Z\",\"type\":\"gemini\",\"content\":\"answer\","
	"\"model\":\"gemini-3.1-pro-preview\",\"tokens\":{\"total\":9}}",
	"{\"$set\":{\"messages\":[{\"id\":\"ctx\",\"timestamp\":\"2026-05-01T00:00:01.000Z\",\"type\":\"user\","
	"\"content\":[{\"text\":\"<session_context>\\nOS: linux\\n</session_context>\"}]},"
	"{\"id\":\"u1\",\"timestamp\":\"2026-05-01T00:00:02.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"hi\"}]},"
	"{\"id\":\"g1\",\"timestamp\":\"2026-05-01T00:00:03.000Z\",\"type\":\"gemini\",\"content\":\"Done\","
	"\"model\":\"gemini-3-flash-preview\",\"tokens\":{\"total\":3},\"toolCalls\":[{\"id\":\"t1\",\"name\":\"read_file\","
	"\"args\":{\"file_path\":\"a.c\"},\"status\":\"success\",\"result\":[{\"functionResponse\":{\"id\":\"t1\","
	"\"name\":\"read_file\",\"response\":{\"output\":\"[masked]\"}}}]}]},"
	"{\"id\":\"u3\",\"timestamp\":\"2026-05-01T00:00:07.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"new question\"}]},"
	"{\"id\":\"g3\",\"timestamp\":\"2026-05-01T00:00:09.000Z\",\"type\":\"gemini\",\"content\":\"answer\","
	"\"model\":\"gemini-3.1-pro-preview\",\"tokens\":{\"total\":9}}]}}",
};

static void check_jsonl_run(struct tu_run *r)
{
	ck_assert_uint_eq(r->nrejected, 0);
	assert_unique_ids(r);
	ck_assert_str_eq(r->session_id, "s-jl");
	ck_assert_str_eq(r->title, "Read a.c");
	ck_assert_str_eq(r->cwd, "/work/proj");
	ck_assert_str_eq(r->model, "gemini-3.1-pro-preview");
	ck_assert(counted(r, "header"));
	ck_assert(counted(r, "$set"));
	struct json_object *e[16];
	size_t n = events_of(r, "message.user", e, 16);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(pj_str(e[0], "turnId"), "ctx");
	ck_assert_str_eq(pj_str(e[1], "content"), "hi");
	ck_assert_str_eq(pj_str(e[2], "content"), "again");
	ck_assert_str_eq(pj_str(e[3], "content"), "new question");
	put_all(e, n);
	size_t ku = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (!strstr(r->events[i], "\"kind\":\"message.user\""))
			continue;
		uint32_t want = ku == 0 ? KATO_EVENT_INJECTED : KATO_EVENT_HUMAN;
		ck_assert_uint_eq(r->flags[i], want);
		ku++;
	}
	n = events_of(r, "message.assistant", e, 16);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(pj_str(e[0], "content"), "Done");
	ck_assert_str_eq(pj_str(e[1], "content"), "half an ans"); /* rewound, not dropped */
	ck_assert_str_eq(pj_str(e[2], "content"), "answer");
	put_all(e, n);
	n = events_of(r, "tool.result", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "result"), "int x;");
	put_all(e, n);
	n = events_of(r, "tool.call", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "description"), "a.c");
	put_all(e, n);
	n = events_of(r, "provider.info", e, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pj_str(e[0], "subtype"), "rewind");
	ck_assert_ptr_nonnull(strstr(pj_str(e[0], "content"), "u2"));
	put_all(e, n);
	/* the marker comes after the rewound message and before u3 */
	int pos_g2 = -1, pos_mark = -1, pos_u3 = -1;
	for (size_t i = 0; i < r->n; i++) {
		if (strstr(r->events[i], "half an ans"))
			pos_g2 = (int)i;
		if (strstr(r->events[i], "\"subtype\":\"rewind\""))
			pos_mark = (int)i;
		if (strstr(r->events[i], "new question"))
			pos_u3 = (int)i;
	}
	ck_assert_int_lt(pos_g2, pos_mark);
	ck_assert_int_lt(pos_mark, pos_u3);
	ck_assert(counted(r, "checkpoint-rewritten"));
	ck_assert(counted(r, "tool-response"));
}

START_TEST(test_jsonl_records)
{
	struct plugin p = tu_plugin("gemini");
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof jsonl_lines / sizeof *jsonl_lines; i++) {
		buf_adds(&b, jsonl_lines[i]);
		buf_addc(&b, '\n');
	}
	struct tu_run *r = run_buf(&p, b.p, b.len, true);
	ck_assert_uint_eq(r->nbad, 0);
	check_jsonl_run(r);
	tu_run_free(r);
	buf_free(&b);
	free(p.path);
}
END_TEST

/* Restart at every line of the JSONL session through the state blob. */
START_TEST(test_jsonl_restart)
{
	struct plugin p = tu_plugin("gemini");
	size_t nl = sizeof jsonl_lines / sizeof *jsonl_lines;
	for (size_t cut = 0; cut <= nl; cut++) {
		struct feed f;
		feed_open(&f, &p, CHATS "session-s.jsonl", NULL, 0);
		for (size_t i = 0; i < cut; i++)
			ck_assert_int_eq(feed_line(&f, jsonl_lines[i]), 0);
		size_t blen;
		char *blob = feed_save(&f, &blen);
		struct tu_run *r1 = feed_close(&f);
		feed_open(&f, &p, CHATS "session-s.jsonl", blob, blen);
		free(blob);
		for (size_t i = cut; i < nl; i++)
			ck_assert_int_eq(feed_line(&f, jsonl_lines[i]), 0);
		p.desc->flush(f.st);
		struct tu_run *r2 = feed_close(&f);
		ck_assert(!counted(r2, "bad-state"));
		/* merge: the second run's events after the first's */
		for (size_t i = 0; i < r2->n; i++) {
			r1->events = xrealloc(r1->events, (r1->n + 1) * sizeof *r1->events);
			r1->flags = xrealloc(r1->flags, (r1->n + 1) * sizeof *r1->flags);
			r1->events[r1->n] = r2->events[i];
			r1->flags[r1->n++] = r2->flags[i];
		}
		r2->n = 0;
		for (size_t i = 0; i < r2->ncounted; i++) {
			r1->counted = xrealloc(r1->counted, (r1->ncounted + 1) * sizeof *r1->counted);
			r1->counted[r1->ncounted++] = xstrdup(r2->counted[i]);
		}
		tu_set(&r1->title, r2->title);
		tu_set(&r1->cwd, r2->cwd);
		tu_set(&r1->model, r2->model);
		tu_set(&r1->session_id, r2->session_id);
		check_jsonl_run(r1);
		tu_run_free(r1);
		tu_run_free(r2);
	}
	free(p.path);
}
END_TEST

/* The same session as .json and as .jsonl (re-appended partial copies
 * included) gives the same events; so does a hash and a slug directory. */
START_TEST(test_json_jsonl_same)
{
	const char *rel = corpus_files[_i];
	if (ends_with(rel, ".jsonl"))
		return;
	struct plugin p = tu_plugin("gemini");
	size_t len;
	char *d = read_src(rel, &len);
	char *jl = to_jsonl(d, len);
	struct tu_run *a = run_buf(&p, d, len, false);
	struct tu_run *b = run_str(&p, jl, true);
	ck_assert_uint_eq(b->nbad, 0);
	ck_assert_uint_eq(b->nrejected, 0);
	assert_same_events(&b, 1, a);
	struct tu_run *c = tu_parse_buf(&p, "/h/.gemini/tmp/my-project/chats/session-2026-x.json", d, len);
	assert_same_events(&c, 1, a);
	tu_run_free(a);
	tu_run_free(b);
	tu_run_free(c);
	free(jl);
	free(d);
	free(p.path);
}
END_TEST

/* Restart through the blob in the middle of document rewrites, and of a
 * JSONL file with streamed copies: no duplicate, no loss. */
START_TEST(test_restart_corpus)
{
	struct plugin p = tu_plugin("gemini");
	size_t len;
	char *d = read_src("tests/corpus/gemini/entire-gemini25flash.json", &len);
	struct tu_run *once = run_buf(&p, d, len, false);
	char *jl = to_jsonl(d, len);
	size_t nlines = 0;
	for (char *q = jl; *q; q++)
		nlines += *q == '\n';
	for (size_t cut = 1; cut < nlines; cut += 3) {
		struct feed f;
		feed_open(&f, &p, CHATS "session-x.jsonl", NULL, 0);
		char *line = jl;
		size_t i = 0;
		for (; i < cut; i++) {
			char *nl = strchr(line, '\n');
			*nl = '\0';
			ck_assert_int_eq(feed_line(&f, line), 0);
			*nl = '\n';
			line = nl + 1;
		}
		size_t blen;
		char *blob = feed_save(&f, &blen);
		struct tu_run *runs[2];
		runs[0] = feed_close(&f);
		feed_open(&f, &p, CHATS "session-x.jsonl", blob, blen);
		free(blob);
		while (*line) {
			char *nl = strchr(line, '\n');
			*nl = '\0';
			ck_assert_int_eq(feed_line(&f, line), 0);
			*nl = '\n';
			line = nl + 1;
		}
		p.desc->flush(f.st);
		runs[1] = feed_close(&f);
		assert_same_events(runs, 2, once);
		tu_run_free(runs[0]);
		tu_run_free(runs[1]);
	}
	/* documents: a prefix with a streaming last message, restart, full */
	struct json_object *doc = pj_parse(d, len);
	struct json_object *msgs = pj_arr(doc, "messages");
	size_t nmsg = json_object_array_length(msgs);
	for (size_t k = 1; k < nmsg; k += 2) {
		struct json_object *cp = NULL;
		ck_assert_int_eq(json_object_deep_copy(doc, &cp, NULL), 0);
		struct json_object *cm = pj_arr(cp, "messages");
		json_object_array_del_idx(cm, k, nmsg - k);
		json_object_object_del(json_object_array_get_idx(cm, k - 1), "tokens");
		struct feed f;
		feed_open(&f, &p, CHATS "session-x.json", NULL, 0);
		const char *t = pj_text(cp);
		ck_assert_int_eq(feed_doc(&f, t, strlen(t)), 0);
		size_t blen;
		char *blob = feed_save(&f, &blen);
		struct tu_run *runs[2];
		runs[0] = feed_close(&f);
		feed_open(&f, &p, CHATS "session-x.json", blob, blen);
		free(blob);
		ck_assert_int_eq(feed_doc(&f, d, len), 0);
		p.desc->flush(f.st);
		runs[1] = feed_close(&f);
		assert_same_events(runs, 2, once);
		tu_run_free(runs[0]);
		tu_run_free(runs[1]);
		json_object_put(cp);
	}
	json_object_put(doc);
	tu_run_free(once);
	free(jl);
	free(d);
	free(p.path);
}
END_TEST

START_TEST(test_subagent)
{
	struct plugin p = tu_plugin("gemini");
	const char *s = "{\"sessionId\":\"child-1\",\"kind\":\"subagent\",\"summary\":\"Investigate\","
			"\"messages\":[{\"id\":\"u\",\"type\":\"user\",\"content\":\"Task: look\"},"
			"{\"id\":\"g\",\"type\":\"gemini\",\"content\":\"found it\",\"tokens\":{}}]}";
	struct tu_run *r = tu_parse_buf(&p, CHATS "parent-session-9/child-1.json", s, strlen(s));
	ck_assert_str_eq(r->session_id, "child-1");
	ck_assert_str_eq(r->parent_id, "parent-session-9");
	ck_assert_str_eq(r->title, "Investigate");
	ck_assert_uint_eq(r->n, 2);
	for (size_t i = 0; i < r->n; i++) {
		ck_assert_uint_ne(r->flags[i] & KATO_EVENT_SIDECHAIN, 0);
		ck_assert_uint_eq(r->flags[i] & KATO_EVENT_HUMAN, 0);
	}
	tu_run_free(r);
	/* no sessionId: the file name names the session */
	s = "{\"messages\":[{\"type\":\"user\",\"content\":\"x\"}]}";
	r = tu_parse_buf(&p, CHATS "session-2026-01-01T00-00-deadbeef.json", s, strlen(s));
	ck_assert_str_eq(r->session_id, "session-2026-01-01T00-00-deadbeef");
	ck_assert_uint_eq(r->n, 1);
	struct json_object *o = tu_event(r, 0);
	ck_assert_str_eq(pj_str(o, "turnId"), "session-2026-01-01T00-00-deadbeef:msg-0");
	json_object_put(o);
	tu_run_free(r);
	free(p.path);
}
END_TEST

/* Broken documents, wrong types, invalid UTF-8 and junk lines never crash
 * and never produce an invalid event. */
START_TEST(test_bad_input)
{
	struct plugin p = tu_plugin("gemini");
	const char *doc =
		"{\"sessionId\":\"s\\udc00\xff\",\"startTime\":7,\"summary\":[1],\"directories\":[3],"
		"\"messages\":[5,\"x\",null,{\"id\":5,\"type\":\"user\",\"content\":7},{\"type\":[\"a\"]},"
		"{\"id\":\"w\",\"type\":\"weird type!\",\"content\":\"?\"},"
		"{\"id\":\"g\",\"type\":\"gemini\",\"content\":{\"text\":\"\xff\xfe bad \xc3\"},"
		"\"thoughts\":\"a string thought\",\"toolCalls\":\"nope\",\"tokens\":{}},"
		"{\"id\":\"g2\",\"type\":\"gemini\",\"content\":[1,{\"text\":null}],\"model\":4,"
		"\"toolCalls\":[1,{\"id\":3,\"name\":{},\"args\":[1],\"status\":7,\"result\":{\"x\":\"\xc3\"}}],"
		"\"thoughts\":[{\"subject\":5,\"description\":\"d\xed\xa0\x80\"}],\"tokens\":null},"
		"{\"id\":\"u\xff\",\"type\":\"user\",\"displayContent\":9,\"content\":[{\"inlineData\":{}},"
		"{\"text\":\"ok \\ud800 \xed\xa0\x80 \\u0000 tail\"}]}]}";
	struct tu_run *r = run_str(&p, doc, false);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_ge(r->n, 4);
	for (size_t i = 0; i < r->n; i++)
		ck_assert_msg(utf8_valid(r->events[i]), "invalid UTF-8 in %s", r->events[i]);
	ck_assert(utf8_valid(r->session_id));
	ck_assert_uint_eq(tu_count_kind(r, "thinking"), 2);
	ck_assert(counted(r, "unknown:type:weird?type?"));
	tu_run_free(r);

	/* half-written and non-object documents: 1, nothing emitted */
	struct feed f;
	feed_open(&f, &p, CHATS "session-s.json", NULL, 0);
	ck_assert_int_eq(feed_doc(&f, "", 0), 1);
	ck_assert_int_eq(feed_doc(&f, "{\"sessionId\":\"s\",\"messages\":[{\"id\"", 36), 1);
	ck_assert_int_eq(feed_doc(&f, "[1,2]", 5), 1);
	ck_assert_int_eq(feed_doc(&f, "{} {}", 5), 1);
	ck_assert_uint_eq(f.r->n, 0);
	tu_run_free(feed_close(&f));

	/* JSONL junk: a non-JSON line returns 1 and changes nothing */
	feed_open(&f, &p, CHATS "session-s.jsonl", NULL, 0);
	ck_assert_int_eq(feed_line(&f, jsonl_lines[0]), 0);
	ck_assert_int_eq(feed_line(&f, jsonl_lines[2]), 0);
	ck_assert_int_eq(feed_line(&f, "{\"id\":\"g9\",\"type\":\"gemini\",\"content\":\"held\"}"), 0);
	size_t l1, l2;
	char *b1 = feed_save(&f, &l1);
	size_t n0 = f.r->n;
	static const char *const junk[] = {"\xff\xfe", "{", "{\"id\":\"x\",", "not json", "}{"};
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
		ck_assert_int_eq(feed_line(&f, junk[i]), 1);
	char *b2 = feed_save(&f, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert(!memcmp(b1, b2, l1));
	ck_assert_uint_eq(f.r->n, n0);
	free(b1);
	free(b2);
	static const char *const odd[] = {"[1,2]", "\"str\"", "{\"$set\":5}", "{\"$rewindTo\":{}}",
					  "{\"id\":\"a\"}", "{\"what\":1}", "{\"$set\":{\"messages\":\"no\"}}"};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		ck_assert_int_eq(feed_line(&f, odd[i]), 0);
	/* a huge line */
	size_t big = 4u << 20;
	char *huge = xmalloc(big + 64);
	strcpy(huge, "{\"id\":\"big\",\"type\":\"user\",\"content\":\"");
	size_t at = strlen(huge);
	memset(huge + at, 'a', big);
	strcpy(huge + at + big, "\"}");
	ck_assert_int_eq(feed_line(&f, huge), 0);
	huge[at + big] = '\0'; /* unterminated string */
	ck_assert_int_eq(feed_line(&f, huge), 1);
	free(huge);
	/* a corrupt blob is refused, not trusted */
	struct feed g;
	feed_open(&g, &p, CHATS "session-s.jsonl", "KGM1\x01\x00", 6);
	ck_assert(counted(g.r, "bad-state"));
	tu_run_free(feed_close(&g));
	p.desc->flush(f.st);
	ck_assert_uint_eq(f.r->nrejected, 0);
	for (size_t i = 0; i < f.r->n; i++)
		ck_assert(utf8_valid(f.r->events[i]));
	tu_run_free(feed_close(&f));
	free(p.path);
}
END_TEST

START_TEST(test_reset)
{
	struct plugin p = tu_plugin("gemini");
	const char *d = DOC_HEAD "]}";
	struct feed f;
	feed_open(&f, &p, CHATS "session-s.json", NULL, 0);
	ck_assert_int_eq(feed_doc(&f, d, strlen(d)), 0);
	ck_assert_int_eq(feed_doc(&f, d, strlen(d)), 0);
	ck_assert_uint_eq(f.r->n, 1);
	p.desc->reset(f.st);
	ck_assert_int_eq(feed_doc(&f, d, strlen(d)), 0);
	ck_assert_uint_eq(f.r->n, 2);
	ck_assert_str_eq(f.r->events[0], f.r->events[1]);
	tu_run_free(feed_close(&f));
	free(p.path);
}
END_TEST

/* SPEC §5: text is stored exactly, including an escaped NUL. */
START_TEST(test_escaped_nul)
{
	struct plugin p = tu_plugin("gemini");
	struct tu_run *r = run_str(&p,
		"{\"sessionId\":\"s-nul\",\"projectHash\":\"ab\",\"startTime\":\"2026-05-01T00:00:00.000Z\",\"kind\":\"main\"}\n"
		"{\"id\":\"u1\",\"timestamp\":\"2026-05-01T00:00:02.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"A\\u0000B\"}]}\n"
		"{\"id\":\"g1\",\"timestamp\":\"2026-05-01T00:00:03.000Z\",\"type\":\"gemini\",\"content\":\"X\\u0000Y\","
		"\"thoughts\":[{\"subject\":\"S\\u0000T\",\"description\":\"D\\u0000E\"}],"
		"\"model\":\"gemini-3-flash-preview\",\"tokens\":{\"total\":3},\"toolCalls\":[{\"id\":\"t1\",\"name\":\"read_file\","
		"\"args\":{\"file_path\":\"a.c\"},\"status\":\"success\",\"result\":[{\"functionResponse\":{\"id\":\"t1\","
		"\"name\":\"read_file\",\"response\":{\"output\":\"R\\u0000S\"}}}]}]}\n",
		true);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"A\\u0000B\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"X\\u0000Y\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"**S\\u0000T**\\n\\nD\\u0000E\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"result\":\"R\\u0000S\""), 1);
	tu_run_free(r);

	/* the whole-document form, user content as a plain string */
	r = run_str(&p,
		"{\"sessionId\":\"s-nul\",\"messages\":[{\"id\":\"u1\",\"timestamp\":\"t\",\"type\":\"user\",\"content\":\"C\\u0000D\"}]}",
		false);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"C\\u0000D\""), 1);
	tu_run_free(r);
	free(p.path);
}
END_TEST

/* Is event i's `key` text exactly want[0..n)? */
static void assert_text(const struct tu_run *r, size_t i, const char *key, const char *want, size_t n)
{
	size_t en;
	char *got = tu_event_text(r, i, key, &en);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(en, n);
	ck_assert(!memcmp(got, want, n));
	free(got);
}

/* Huge JSONL lines (pj_parse_line's own decoder) give the texts json-c
 * reads: a user text and a tool output emitted as they are, an assistant
 * text that normalizing changes, two joined user parts. */
START_TEST(test_huge_line)
{
	struct plugin p = tu_plugin("gemini");
	size_t big = PJ_HUGE_LINE + 4096;
	struct buf in = BUF_INIT;
	size_t at[4];
	buf_adds(&in, "{\"sessionId\":\"s-huge\",\"projectHash\":\"x\",\"startTime\":\"2026-01-01T00:00:00.000Z\","
		      "\"lastUpdated\":\"2026-01-01T00:00:00.000Z\",\"kind\":\"main\"}\n");
	at[0] = in.len;
	buf_adds(&in, "{\"id\":\"u1\",\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}]}\n");
	at[1] = in.len;
	buf_adds(&in, "{\"id\":\"g1\",\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"type\":\"gemini\",\"content\":\" C\\r\\nD");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\",\"tokens\":{\"input\":1},\"toolCalls\":[{\"id\":\"tc1\",\"name\":\"read_file\",\"args\":{\"path\":\"/x\"},"
		      "\"status\":\"success\",\"result\":[{\"functionResponse\":{\"id\":\"tc1\",\"name\":\"read_file\","
		      "\"response\":{\"output\":\"B");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}}}]}]}\n");
	at[2] = in.len;
	buf_adds(&in, "{\"id\":\"u2\",\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"type\":\"user\",\"content\":"
		      "[{\"text\":\"first\"},{\"text\":\"A");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}]}\n");
	at[3] = in.len;
	struct tu_run *r = run_buf(&p, in.p, in.len, true);
	ck_assert_uint_eq(r->nbad, 0);
	ck_assert_uint_eq(r->n, 5);

	/* the expected texts, from json-c */
	struct json_object *o[3];
	for (int k = 0; k < 3; k++) {
		o[k] = pj_parse(in.p + at[k], at[k + 1] - at[k] - 1);
		ck_assert_ptr_nonnull(o[k]);
	}
	size_t n;
	const char *t = pj_strn(json_object_array_get_idx(pj_arr(o[0], "content"), 0), "text", &n);
	size_t i = tu_find_kind(r, "message.user", 0);
	assert_text(r, i, "content", t, n);

	struct pj_buf want = {0};
	t = pj_strn(o[1], "content", &n);
	pj_add(&want, t, n);
	pj_normalize_text(&want);
	ck_assert(!memcmp(want.p, "C\nDx", 4));
	assert_text(r, tu_find_kind(r, "message.assistant", 0), "content", want.p, want.len);
	struct json_object *fr = pj_obj(json_object_array_get_idx(
		pj_arr(json_object_array_get_idx(pj_arr(o[1], "toolCalls"), 0), "result"), 0), "functionResponse");
	t = pj_strn(pj_obj(fr, "response"), "output", &n);
	assert_text(r, tu_find_kind(r, "tool.result", 0), "result", t, n);

	pj_reset(&want);
	t = pj_strn(json_object_array_get_idx(pj_arr(o[2], "content"), 1), "text", &n);
	pj_adds(&want, "first\n\n");
	pj_add(&want, t, n);
	assert_text(r, tu_find_kind(r, "message.user", i + 1), "content", want.p, want.len);

	pj_free(&want);
	for (int k = 0; k < 3; k++)
		json_object_put(o[k]);
	tu_run_free(r);
	buf_free(&in);
	tu_plugin_free(&p);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("gemini");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_probe);
	tcase_set_timeout(tc, 120);
	size_t nc = sizeof corpus_files / sizeof *corpus_files;
	tcase_add_test(tc, test_match_path);
	tcase_add_test(tc, test_ref_fixtures);
	tcase_add_loop_test(tc, test_corpus, 0, (int)nc);
	tcase_add_test(tc, test_thoughts_and_info);
	tcase_add_test(tc, test_rewrite_50);
	tcase_add_test(tc, test_streaming_message);
	tcase_add_test(tc, test_flush_and_revision);
	tcase_add_test(tc, test_jsonl_records);
	tcase_add_test(tc, test_jsonl_restart);
	tcase_add_loop_test(tc, test_json_jsonl_same, 0, (int)nc);
	tcase_add_test(tc, test_restart_corpus);
	tcase_add_test(tc, test_subagent);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_escaped_nul);
	tcase_add_test(tc, test_huge_line);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
