/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codex: provider for OpenAI Codex CLI rollouts (provider-formats §2 and
 * its Addendum, ref §1.3).
 *
 *   <root>/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl(.zst)   LINES (the host
 *                                                       decompresses .zst)
 *   rollout-*.json (TypeScript codex, 2025)             DOCUMENT
 *   anything else (history.jsonl, ...)                  not ours
 *
 * Generations read:
 *  - legacy Rust JSONL: a bare SessionMeta line ({id, timestamp, ...} with
 *    no `type`), bare ResponseItem lines, {"record_type": ...} markers;
 *  - the {timestamp, type, payload} envelope, with or without `ordinal`;
 *  - 0.147+ event_msg/item_completed with PascalCase items (UserMessage,
 *    AgentMessage, Reasoning, CommandExecution, McpToolCall, FileChange,
 *    Extension) and their renamed fields (summary_text, Text parts);
 *  - the TypeScript one-document {session, items[]} form.
 *
 * Where this differs from the reference parser (ref §1.3), on purpose:
 *  - Event ids are the reference's "<sid>:<lineEnd>:<kind>[:i]" when the
 *    host reports record_end (the byte offset after the line, decompressed
 *    for .zst); otherwise (documents, older hosts) <lineEnd> is "h" plus
 *    pj_hash64 of the record's bytes in hex. Payload ids and call ids go to
 *    provider_event_id / tool_call_id. Ids are stable across re-reads of
 *    the same bytes.
 *  - Timestamps are the envelope's `timestamp` when it looks like ISO-8601.
 *    Legacy lines have none: they get the session_meta timestamp (NULL
 *    before any session_meta, or when it has none).
 *  - The model follows every turn_context (not only the first).
 *  - The current turn id (task_started / turn_context / item_completed) is
 *    put on every event of the turn.
 *  - Every message is kept once, whichever streams carried it. Codex writes
 *    one message as event_msg (E), response_item (R), item_completed (I)
 *    and for the last answer task_complete (T). A table of recent
 *    (kind, text) keys counts how often each stream produced a key; a copy
 *    is emitted only when its stream has now produced the key more often
 *    than any other stream. That works whichever copy comes first and keeps
 *    a message that is genuinely said twice. No "finalized" suppression:
 *    commentary after a final answer is kept.
 *  - The human's prompt: event_msg user_message (then item_completed
 *    UserMessage, skipped once the file has shown a user_message). A
 *    response_item user message whose text was already emitted is the
 *    model's copy; otherwise it is held for one line: if the next line is
 *    the event_msg / item_completed copy it is dropped, else it is emitted
 *    on its own: as the prompt in files that have no user_message events
 *    (0.147+ and the pre-envelope generation), as injected context in
 *    envelope files older than 0.147, where every prompt has its
 *    user_message (such a message is context this parser's tag list does
 *    not know, or text a log sanitiser rewrote).
 *  - Injected context (<environment_context>, <user_instructions>, AGENTS.md
 *    bodies, <permissions instructions>, developer-role messages, ...) is
 *    kept as message.user / message.system with KATO_EVENT_INJECTED, never
 *    KATO_EVENT_HUMAN. Sessions whose source is "exec" or "mcp" (or whose
 *    originator is codex_exec) are not interactive: nothing is HUMAN.
 *    Sub-agent threads (source {subagent: ...}) are SIDECHAIN, never HUMAN.
 *  - Tool calls: function_call, custom_tool_call, local_shell_call and
 *    web_search_call, with outputs by call_id. The event_msg *_end events
 *    and item_completed tool items only produce events for a call id no
 *    response_item produced (web searches are matched by query, since
 *    web_search_call often has no id).
 *  - compacted -> "compaction" (content = message, INJECTED; the
 *    replacement_history is not expanded). turn_aborted and error ->
 *    provider.info. thread_name_updated names the session.
 *
 * State that must survive a restart (session facts, turn, model, pending
 * request_user_input calls, the held user message and the dedupe table) is
 * saved as a small JSON blob.
 */
#include "kato/provider.h"
#include "pjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CX_SEEN 256   /* remembered dedupe keys */
#define CX_RUI 16     /* pending request_user_input calls */
#define CX_BLOB_VERSION 1

/* The streams a message can come from. */
enum { CX_E, CX_R, CX_I, CX_T, CX_NSTREAM };

struct cx_seen {
	uint64_t key;
	uint16_t n[CX_NSTREAM];
};

/* A request_user_input call waiting for its answers. */
struct cx_rui {
	char *call_id;
	char *event_id;  /* its tool.call event id */
	char *questions; /* JSON text of the questions array */
};

/* A response_item user message held back for one line. */
struct cx_held {
	bool on;
	char *id, *ts, *text, *turn, *pid;
	size_t text_len; /* text may hold a NUL */
	uint32_t flags;
};

struct cx_state {
	const struct kato_host *host;
	void *ctx;
	struct json_tokener *tok; /* for every line of the file */
	char *file_sid;

	bool have_meta;
	char *sid, *cwd, *started, *model, *parent, *title;
	bool batch;    /* exec / mcp: no message is typed by a human */
	bool subagent; /* sub-agent thread: every event is a sidechain */
	char *turn;
	bool has_e_user, has_i_user;
	bool e_expected;     /* an envelope file older than 0.147: prompts come as event_msg */
	bool turn_answered;  /* an assistant message was emitted since the last prompt */
	struct cx_held held;

	struct cx_seen seen[CX_SEEN];
	size_t nseen, seen_pos;
	struct cx_rui rui[CX_RUI];
	size_t nrui;

	struct pj_buf blob;
};

/* One record being turned into events. */
struct cx_line {
	struct cx_state *st;
	const char *ts;
	char hex[24]; /* the line's end offset, or hash of its bytes */
};

/* A text on its way to an event: [p, p + len), NUL-terminated after;
 * a view into the parsed record (a huge text is then held once) or the
 * text of buf. */
struct cx_text {
	const char *p;
	size_t len;
	struct pj_buf buf;
};

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

/* A NUL-terminated copy of s[0..n) (which may hold NULs). */
static char *cx_dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *cx_dup(const char *s)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

/* Replace *dst with a copy of v (NULL clears); true when it changed. */
static bool cx_set(char **dst, const char *v)
{
	if ((!v && !*dst) || (v && *dst && !strcmp(v, *dst)))
		return false;
	free(*dst);
	*dst = cx_dup(v);
	return true;
}

static bool cx_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool cx_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Member `key` of obj of any type, or NULL. */
static struct json_object *cx_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* json_object_get_string(v), but the real text of a huge string. */
static const char *cx_sget(struct json_object *v)
{
	size_t n;
	if (json_object_is_type(v, json_type_string))
		return pj_sval(v, &n);
	return json_object_get_string(v);
}

static void cx_text_free(struct cx_text *t)
{
	pj_free(&t->buf);
	t->p = "";
	t->len = 0;
}

/* Move t->buf to *keep when t's text lives there (so t->buf can be
 * reused while the text stays). */
static void cx_text_keep(struct cx_text *t, struct pj_buf *keep)
{
	if (t->buf.p && t->p >= t->buf.p && t->p <= t->buf.p + t->buf.len) {
		pj_free(keep);
		*keep = t->buf;
		memset(&t->buf, 0, sizeof t->buf);
	}
}

/* Make t the text of t->buf. */
static void cx_text_buf(struct cx_text *t)
{
	t->p = pj_cstr(&t->buf);
	t->len = t->buf.len;
}

/* A non-empty string member, or NULL. */
static const char *cx_nstr(struct json_object *obj, const char *key)
{
	const char *s = pj_str(obj, key);
	return s && *s ? s : NULL;
}

static uint64_t cx_fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= 0xff; /* separator */
	return h * 0x100000001b3ull;
}

/* Dedupe key of (tag, text). */
/* cx_fnv over s[0..n), NULs included (the same value for NUL-free s). */
static uint64_t cx_fnvn(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	h ^= 0xff; /* separator */
	return h * 0x100000001b3ull;
}

static uint64_t cx_key(const char *tag, const char *text)
{
	return cx_fnv(cx_fnv(0xcbf29ce484222325ull, tag), text);
}

/* cx_key of a text of n bytes. */
static uint64_t cx_keyn(const char *tag, const char *text, size_t n)
{
	return cx_fnvn(cx_fnv(0xcbf29ce484222325ull, tag), text, n);
}

/* Does s look like an ISO-8601 date ("YYYY-MM-DD...")? */
static bool cx_iso(const char *s)
{
	if (!s || strlen(s) < 10)
		return false;
	for (int i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	}
	return true;
}

/* stripIdePreamble: keep what follows "## My request for Codex:\n",
 * JS-trimmed (a view into t when nothing goes at its end). */
static void cx_strip_ide(struct cx_text *t)
{
	static const char mark[] = "## My request for Codex:\n";
	const char *at = pj_find(t->p, t->len, mark);
	if (!at)
		return;
	const char *s = at + sizeof mark - 1;
	size_t n = t->len - (size_t)(s - t->p), from, to;
	pj_trim_bounds(s, n, &from, &to);
	if (to == n) {
		t->p = s + from;
		t->len = to - from;
		return;
	}
	struct pj_buf b = {0};
	pj_add(&b, s + from, to - from);
	pj_free(&t->buf);
	t->buf = b;
	cx_text_buf(t);
}

/* Is this user-role text something Codex injected rather than typed? */
static bool cx_injected(const char *s)
{
	static const char *const prefixes[] = {
		"<environment_context>", "<user_instructions>", "<permissions instructions>",
		"<skills_instructions>", "<session_context>", "<collaboration_mode>",
		"<developer_instructions>", "<apps_instructions>", "<personality_spec>",
		"<user_shell_command>", "<turn_aborted>", "<subagent_notification>",
		"<INSTRUCTIONS>", "# AGENTS.md instructions for", "<model_switch>",
	};
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (cx_starts(s, prefixes[i]))
			return true;
	return false;
}

/* Text of a content value (string, or array of parts typed text / Text /
 * input_text / output_text, joined with "\n\n"), normalized, into *out
 * (replacing it): a view into content for one part that normalizing
 * leaves alone but for leading space, else a copy. */
static void cx_content_text(struct json_object *content, struct cx_text *out)
{
	struct pj_buf *b = &out->buf;
	const char *one = "";
	size_t onen = 0, parts = 0;
	pj_reset(b);
	if (json_object_is_type(content, json_type_string)) {
		one = pj_sval(content, &onen);
		parts = 1;
	} else if (json_object_is_type(content, json_type_array)) {
		size_t n = json_object_array_length(content);
		for (size_t i = 0; i < n; i++) {
			struct json_object *part = json_object_array_get_idx(content, i);
			size_t xn;
			const char *t = pj_str(part, "type"), *x = pj_strn(part, "text", &xn);
			if (!t || !x || !xn)
				continue;
			if (strcmp(t, "text") && strcmp(t, "Text") && strcmp(t, "input_text") &&
			    strcmp(t, "output_text"))
				continue;
			if (!parts++) {
				one = x;
				onen = xn;
				continue;
			}
			if (parts == 2)
				pj_add(b, one, onen);
			pj_adds(b, "\n\n");
			pj_add(b, x, xn);
		}
	}
	if (parts == 1) {
		pj_normalize_view(b, one, onen, &out->p, &out->len);
		return;
	}
	pj_normalize_text(b);
	cx_text_buf(out);
}

/* String(v) as JavaScript prints it, appended to out. */
static void cx_js_string(struct pj_buf *out, struct json_object *v)
{
	if (!v) {
		pj_adds(out, "null");
	} else if (json_object_is_type(v, json_type_string)) {
		pj_adds(out, cx_sget(v));
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			if (i)
				pj_adds(out, ",");
			struct json_object *e = json_object_array_get_idx(v, i);
			if (e)
				cx_js_string(out, e);
		}
	} else if (json_object_is_type(v, json_type_object)) {
		pj_adds(out, "[object Object]");
	} else {
		pj_adds(out, pj_text(v));
	}
}

/* ------------------------------------------------------------------ */
/* session facts, dedupe table, emitting                                */

static const char *cx_sid(const struct cx_state *st)
{
	return st->sid ? st->sid : st->file_sid;
}

/* Tell the host the session facts as they are now. */
static void cx_announce(struct cx_state *st)
{
	if (!st->sid)
		return;
	struct kato_session_info si = {
		.struct_size = sizeof si,
		.provider_session_id = st->sid,
		.parent_session_id = st->parent,
		.title = st->title,
		.cwd = st->cwd,
		.model = st->model,
		.started_at = st->started,
	};
	st->host->session(st->ctx, &si);
}

/* Count that `stream` produced `key`; true when this copy is new, i.e.
 * the stream has now produced it more often than any other stream. */
static bool cx_fresh(struct cx_state *st, uint64_t key, int stream)
{
	struct cx_seen *e = NULL;
	for (size_t i = 0; i < st->nseen && !e; i++)
		if (st->seen[i].key == key)
			e = &st->seen[i];
	if (!e) {
		if (st->nseen < CX_SEEN) {
			e = &st->seen[st->nseen++];
		} else {
			e = &st->seen[st->seen_pos];
			st->seen_pos = (st->seen_pos + 1) % CX_SEEN;
		}
		memset(e, 0, sizeof *e);
		e->key = key;
	}
	if (e->n[stream] < UINT16_MAX)
		e->n[stream]++;
	for (int s = 0; s < CX_NSTREAM; s++)
		if (s != stream && e->n[s] >= e->n[stream])
			return false;
	return true;
}

/* Has any stream produced `key`? */
static bool cx_known(const struct cx_state *st, uint64_t key)
{
	for (size_t i = 0; i < st->nseen; i++)
		if (st->seen[i].key == key)
			return true;
	return false;
}

/* "<sid>:<line hash>:<kind>[:i]" into out. */
static void cx_event_id(struct pj_buf *out, const struct cx_line *ln, const char *kind, size_t i)
{
	pj_reset(out);
	pj_adds(out, cx_sid(ln->st));
	pj_adds(out, ":");
	pj_adds(out, ln->hex);
	pj_adds(out, ":");
	pj_adds(out, kind);
	if (i) {
		char n[24];
		snprintf(n, sizeof n, ":%zu", i);
		pj_adds(out, n);
	}
}

/* Fill the common fields of ev (id from the line unless ev->event_id is
 * set) and hand it to the host. */
static void cx_emit(const struct cx_line *ln, struct kato_event *ev, const char *kind, size_t i)
{
	struct pj_buf id = {0};
	ev->struct_size = sizeof *ev;
	ev->kind = kind;
	ev->index = (uint32_t)i;
	if (!ev->event_id) {
		cx_event_id(&id, ln, kind, i);
		ev->event_id = pj_cstr(&id);
	}
	if (!ev->turn_id)
		ev->turn_id = ln->st->turn;
	if (!ev->timestamp)
		ev->timestamp = ln->ts;
	if (ln->st->subagent)
		ev->flags |= KATO_EVENT_SIDECHAIN;
	ln->st->host->emit(ln->st->ctx, ev);
	pj_free(&id);
}

/* Emit an assistant message from `stream` unless another stream did. */
static void cx_assistant(const struct cx_line *ln, const char *text, size_t len, const char *phase,
			 int stream, const char *ptype, const char *pid)
{
	if (!len)
		return;
	/* task_complete repeats the turn's last answer */
	if (stream == CX_T && ln->st->turn_answered)
		return;
	/* A final answer is keyed apart from commentary: older event_msg
	 * copies carry no phase, and the final answer must not be lost behind
	 * its commentary twin (the reference emits both; the Markdown writer
	 * drops a commentary followed by the same final text). */
	bool final = !strcmp(phase, "final");
	uint64_t final_key = cx_keyn("assistant-final", text, len);
	if (!final && cx_known(ln->st, final_key))
		return; /* a phase-less copy of an answer already given as final */
	if (!cx_fresh(ln->st, final ? final_key : cx_keyn("assistant", text, len), stream))
		return;
	ln->st->turn_answered = true;
	struct kato_event ev = {0};
	ev.content = text;
	ev.content_len = len;
	ev.phase = phase;
	ev.model = ln->st->model;
	ev.provider_event_type = ptype;
	ev.provider_event_id = pid;
	cx_emit(ln, &ev, "message.assistant", 0);
}

/* Map a Codex phase to ours; NULL (absent) means commentary (ref §1.3). */
static const char *cx_phase(const char *p)
{
	if (!p || !strcmp(p, "commentary"))
		return "commentary";
	if (!strcmp(p, "final_answer") || !strcmp(p, "final"))
		return "final";
	return "other";
}

/* Emit a thinking block made of `parts` unless another stream emitted
 * every part already. */
static void cx_thinking(const struct cx_line *ln, struct json_object **parts, size_t n, int stream,
			const char *ptype, const char *pid)
{
	struct pj_buf all = {0}, first = {0};
	struct cx_text one = {0};
	const char *tp = "";
	size_t tn = 0, k = 0;
	bool fresh = false;
	for (size_t i = 0; i < n; i++) {
		cx_content_text(parts[i], &one);
		if (!one.len)
			continue;
		if (cx_fresh(ln->st, cx_keyn("thinking", one.p, one.len), stream))
			fresh = true;
		if (!k++) {
			/* one part is emitted where it is */
			cx_text_keep(&one, &first);
			tp = one.p;
			tn = one.len;
			continue;
		}
		if (k == 2)
			pj_add(&all, tp, tn);
		pj_adds(&all, "\n");
		pj_add(&all, one.p, one.len);
		tp = all.p;
		tn = all.len;
	}
	if (fresh && tn) {
		struct kato_event ev = {0};
		ev.content = tp;
		ev.content_len = tn;
		ev.provider_event_type = ptype;
		ev.provider_event_id = pid;
		cx_emit(ln, &ev, "thinking", 0);
	}
	pj_free(&all);
	pj_free(&first);
	cx_text_free(&one);
}

/* Emit a user-role message: injected context flagged so, the rest as the
 * human's prompt (unless the session is not interactive). */
static void cx_user_emit(const struct cx_line *ln, const char *text, size_t len, bool injected,
			 int stream, const char *ptype, const char *pid)
{
	if (!len || !cx_fresh(ln->st, cx_keyn(injected ? "injected" : "user", text, len), stream))
		return;
	struct kato_event ev = {0};
	ev.content = text;
	ev.content_len = len;
	if (injected)
		ev.flags = KATO_EVENT_INJECTED;
	else if (!ln->st->batch && !ln->st->subagent)
		ev.flags = KATO_EVENT_HUMAN;
	if (!injected)
		ln->st->turn_answered = false;
	ev.provider_event_type = ptype;
	ev.provider_event_id = pid;
	cx_emit(ln, &ev, "message.user", 0);
}

static void cx_held_clear(struct cx_held *h)
{
	free(h->id);
	free(h->ts);
	free(h->text);
	free(h->turn);
	free(h->pid);
	memset(h, 0, sizeof *h);
}

/* Emit the held response_item user message: it had no event_msg copy.
 * Where prompts come as event_msg, such a message is context Codex
 * injected (in a form cx_injected does not know); else it is the prompt. */
static void cx_held_emit(struct cx_state *st)
{
	struct cx_held *h = &st->held;
	if (!h->on)
		return;
	bool prompt = !st->e_expected && !st->has_e_user;
	if (cx_fresh(st, cx_keyn(prompt ? "user" : "injected", h->text, h->text_len), CX_R)) {
		h->flags = prompt ? (st->batch || st->subagent ? 0 : KATO_EVENT_HUMAN) : KATO_EVENT_INJECTED;
		if (prompt)
			st->turn_answered = false;
		struct kato_event ev = {0};
		ev.struct_size = sizeof ev;
		ev.kind = "message.user";
		ev.event_id = h->id;
		ev.turn_id = h->turn;
		ev.timestamp = h->ts;
		ev.content = h->text;
		ev.content_len = h->text_len;
		ev.flags = h->flags | (st->subagent ? KATO_EVENT_SIDECHAIN : 0);
		ev.provider_event_type = "response_item.message";
		ev.provider_event_id = h->pid;
		st->host->emit(st->ctx, &ev);
	}
	cx_held_clear(h);
}

/* ------------------------------------------------------------------ */
/* tools and request_user_input                                          */

/* The description of a function call (ref §1.3) into out; false if none. */
static bool cx_describe(struct pj_buf *out, const char *name, struct json_object *input)
{
	pj_reset(out);
	const char *v = NULL;
	if (!json_object_is_type(input, json_type_object))
		return false;
	if (!strcmp(name, "exec_command") || !strcmp(name, "exec")) {
		v = pj_str(input, "cmd");
	} else if (!strcmp(name, "search")) {
		v = pj_str(input, "query");
	} else {
		json_object_object_foreach(input, k, val)
		{
			(void)k;
			if (json_object_is_type(val, json_type_string)) {
				v = cx_sget(val);
				break;
			}
		}
	}
	if (!v)
		return false;
	pj_adds(out, v);
	return true;
}

/* A command given as argv array or string, space-joined into out. */
static void cx_command(struct pj_buf *out, struct json_object *cmd)
{
	pj_reset(out);
	if (json_object_is_type(cmd, json_type_string)) {
		pj_adds(out, cx_sget(cmd));
	} else if (json_object_is_type(cmd, json_type_array)) {
		size_t n = json_object_array_length(cmd);
		for (size_t i = 0; i < n; i++) {
			const char *s = cx_sget(json_object_array_get_idx(cmd, i));
			if (!s)
				continue;
			if (out->len)
				pj_adds(out, " ");
			pj_adds(out, s);
		}
	}
}

/* Emit tool.call for call_id (synthetic id when empty) unless another
 * stream already did. input may be NULL. */
static void cx_tool_call(const struct cx_line *ln, const char *call_id, const char *name,
			 struct json_object *input, const char *desc, int stream, const char *ptype,
			 const char *pid, char **event_id_out)
{
	struct pj_buf id = {0}, synth = {0};
	cx_event_id(&id, ln, "tool.call", 0);
	if (event_id_out)
		*event_id_out = cx_dup(id.p);
	if (call_id && *call_id && !cx_fresh(ln->st, cx_key("call", call_id), stream))
		goto out;
	if (!call_id || !*call_id) {
		pj_adds(&synth, id.p);
		call_id = synth.p;
	}
	struct kato_event ev = {0};
	ev.event_id = id.p;
	ev.tool_call_id = call_id;
	ev.name = name ? name : "unknown";
	ev.description = desc && *desc ? desc : NULL;
	ev.input_json = json_object_is_type(input, json_type_object) ? pj_text(input) : NULL;
	ev.provider_event_type = ptype;
	ev.provider_event_id = pid;
	cx_emit(ln, &ev, "tool.call", 0);
out:
	pj_free(&id);
	pj_free(&synth);
}

/* Emit tool.result for call_id unless another stream already did. */
static void cx_tool_result(const struct cx_line *ln, const char *call_id, const char *result,
			   size_t result_len, bool error, int stream, const char *ptype, const char *pid)
{
	struct pj_buf synth = {0};
	if (call_id && *call_id && !cx_fresh(ln->st, cx_key("result", call_id), stream))
		return;
	if (!call_id || !*call_id) {
		cx_event_id(&synth, ln, "tool.call", 0);
		call_id = synth.p;
	}
	struct kato_event ev = {0};
	ev.tool_call_id = call_id;
	ev.result = result ? result : "";
	ev.result_len = result ? result_len : 0;
	ev.flags = error ? KATO_EVENT_ERROR : 0;
	ev.provider_event_type = ptype;
	ev.provider_event_id = pid;
	cx_emit(ln, &ev, "tool.result", 0);
	pj_free(&synth);
}

/* Output of a tool as text into *out (replacing it; a view into output
 * where it is one string as it stands); *error set when it says it
 * failed. Strings that hold {"output": ..., "metadata": {exit_code}} are
 * unwrapped, a non-zero exit code kept as a last line "(exit code N)";
 * lists of content parts give their texts; other values their
 * JSON. */
static void cx_output_text(struct cx_state *st, struct cx_text *out, struct json_object *output, bool *error)
{
	struct pj_buf *b = &out->buf;
	size_t tn;
	const char *t;
	pj_reset(b);
	cx_text_buf(out);
	*error = false;
	if (!output)
		return;
	if (json_object_is_type(output, json_type_string)) {
		size_t sn, in;
		const char *s = pj_sval(output, &sn);
		struct json_object *o = NULL;
		if (s[0] == '{')
			o = pj_parse_with(&st->tok, s, sn);
		const char *inner = pj_strn(o, "output", &in);
		if (inner) {
			pj_add(b, inner, in);
			cx_text_buf(out);
			struct json_object *md = pj_obj(o, "metadata");
			int64_t code = pj_int(md, "exit_code", 0);
			if (code != 0) {
				char line[40];
				snprintf(line, sizeof line, "%s(exit code %" PRId64 ")", in ? "\n\n" : "", code);
				pj_adds(b, line);
				cx_text_buf(out);
				*error = true;
			}
		} else {
			out->p = s;
			out->len = sn;
		}
		json_object_put(o);
	} else if (json_object_is_type(output, json_type_array)) {
		size_t n = json_object_array_length(output), k = 0;
		for (size_t i = 0; i < n; i++) {
			t = pj_strn(json_object_array_get_idx(output, i), "text", &tn);
			if (!t)
				continue;
			if (!k++) {
				out->p = t;
				out->len = tn;
				continue;
			}
			if (k == 2)
				pj_add(b, out->p, out->len);
			pj_adds(b, "\n");
			pj_add(b, t, tn);
			cx_text_buf(out);
		}
	} else if (json_object_is_type(output, json_type_object) && pj_str(output, "content")) {
		out->p = pj_strn(output, "content", &out->len);
		if (!pj_bool(output, "success", true))
			*error = true;
	} else if (json_object_is_type(output, json_type_object) && pj_str(output, "text")) {
		out->p = pj_strn(output, "text", &out->len);
	} else {
		pj_adds(b, pj_text(output));
		cx_text_buf(out);
	}
}

/* decision metadata for a question: providerQuestionId, header?, options?,
 * multiSelect?. Caller puts. */
static struct json_object *cx_question_meta(struct json_object *q, const char *pqid)
{
	struct json_object *m = json_object_new_object();
	json_object_object_add(m, "providerQuestionId", json_object_new_string(pqid));
	const char *h = pj_str(q, "header");
	if (h)
		json_object_object_add(m, "header", json_object_new_string(h));
	struct json_object *opts = pj_arr(q, "options");
	if (opts) {
		struct json_object *a = json_object_new_array();
		size_t n = json_object_array_length(opts);
		for (size_t i = 0; i < n; i++) {
			struct json_object *op = json_object_array_get_idx(opts, i);
			const char *l = pj_str(op, "label"), *d = pj_str(op, "description");
			if (!l)
				continue;
			struct json_object *e = json_object_new_object();
			json_object_object_add(e, "label", json_object_new_string(l));
			if (d)
				json_object_object_add(e, "description", json_object_new_string(d));
			json_object_array_add(a, e);
		}
		json_object_object_add(m, "options", a);
	}
	struct json_object *ms = cx_get(q, "multiSelect");
	if (json_object_is_type(ms, json_type_boolean))
		json_object_object_add(m, "multiSelect", json_object_new_boolean(json_object_get_boolean(ms)));
	return m;
}

/* The question with id `qid` in a questions array, or NULL. */
static struct json_object *cx_find_question(struct json_object *qs, const char *qid)
{
	size_t n = json_object_is_type(qs, json_type_array) ? json_object_array_length(qs) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *q = json_object_array_get_idx(qs, i);
		const char *id = pj_str(q, "id");
		if (id && !strcmp(id, qid))
			return q;
	}
	return NULL;
}

/* Emit one decision event. */
static void cx_decision(const struct cx_line *ln, size_t i, const char *ptype, const char *key,
			const char *summary, const char *status, const char *by,
			struct json_object *basis, struct json_object *meta)
{
	struct pj_buf id = {0};
	cx_event_id(&id, ln, "decision", i);
	struct kato_event ev = {0};
	ev.event_id = id.p;
	ev.decision_id = id.p;
	ev.decision_key = key;
	ev.summary = summary;
	ev.status = status;
	ev.decided_by = by;
	ev.basis_event_ids_json = pj_text(basis);
	ev.metadata_json = meta ? pj_text(meta) : NULL;
	ev.provider_event_type = ptype;
	cx_emit(ln, &ev, "decision", i);
	pj_free(&id);
}

/* One proposed decision per question (i from *i+1); basis = call_event. */
static void cx_propose(const struct cx_line *ln, struct json_object *qs, const char *call_event,
		       const char *ptype, size_t *i)
{
	size_t n = json_object_is_type(qs, json_type_array) ? json_object_array_length(qs) : 0;
	struct pj_buf pq = {0}, key = {0};
	for (size_t k = 0; k < n; k++) {
		struct json_object *q = json_object_array_get_idx(qs, k);
		const char *text = pj_str(q, "question");
		if (!text || !*text)
			continue;
		size_t at = ++*i;
		const char *qid = cx_nstr(q, "id");
		if (!qid) {
			pj_decision_key(&pq, text, at);
			qid = pq.p;
		}
		pj_decision_key(&key, qid, at);
		struct json_object *basis = json_object_new_array();
		json_object_array_add(basis, json_object_new_string(call_event));
		struct json_object *meta = cx_question_meta(q, qid);
		cx_decision(ln, at, ptype, key.p, text, "proposed", "assistant", basis, meta);
		json_object_put(basis);
		json_object_put(meta);
	}
	pj_free(&pq);
	pj_free(&key);
}

static void cx_rui_free(struct cx_rui *r)
{
	free(r->call_id);
	free(r->event_id);
	free(r->questions);
	memset(r, 0, sizeof *r);
}

/* Remember a request_user_input call (oldest dropped when full). */
static void cx_rui_add(struct cx_state *st, const char *call_id, const char *event_id,
		       const char *questions)
{
	if (st->nrui == CX_RUI) {
		cx_rui_free(&st->rui[0]);
		memmove(&st->rui[0], &st->rui[1], (CX_RUI - 1) * sizeof st->rui[0]);
		st->nrui--;
		memset(&st->rui[st->nrui], 0, sizeof st->rui[0]);
	}
	struct cx_rui *r = &st->rui[st->nrui++];
	r->call_id = cx_dup(call_id);
	r->event_id = cx_dup(event_id);
	r->questions = cx_dup(questions ? questions : "[]");
}

static struct cx_rui *cx_rui_find(struct cx_state *st, const char *call_id)
{
	for (size_t i = 0; call_id && i < st->nrui; i++)
		if (!strcmp(st->rui[i].call_id, call_id))
			return &st->rui[i];
	return NULL;
}

static void cx_rui_drop(struct cx_state *st, struct cx_rui *r)
{
	size_t at = (size_t)(r - st->rui);
	cx_rui_free(r);
	memmove(&st->rui[at], &st->rui[at + 1], (st->nrui - at - 1) * sizeof st->rui[0]);
	st->nrui--;
	memset(&st->rui[st->nrui], 0, sizeof st->rui[0]);
}

/* Answers to request_user_input found in a function_call_output (ref
 * §1.3): accepted decisions, or the fallback message.user. */
static void cx_answers(const struct cx_line *ln, const char *call_id, struct json_object *output,
		       const char *result_event)
{
	struct cx_state *st = ln->st;
	struct cx_rui *pending = cx_rui_find(st, call_id);
	struct json_object *parsed = NULL, *obj = output;
	if (json_object_is_type(output, json_type_string)) {
		const char *s = cx_sget(output);
		parsed = pj_parse_with(&ln->st->tok, s, strlen(s));
		obj = parsed;
	}
	struct json_object *answers = pj_obj(obj, "answers");
	struct json_object *qs = pending ? pj_parse_with(&ln->st->tok, pending->questions, strlen(pending->questions)) : NULL;
	const char *ptype = "response_item.function_call_output.request_user_input";
	size_t i = 0;
	bool any = false;
	if (answers) {
		struct pj_buf sel = {0}, summary = {0}, key = {0}, one = {0};
		json_object_object_foreach(answers, qid, val)
		{
			struct json_object *list = cx_get(val, "answers");
			if (!json_object_is_type(val, json_type_object) || !list)
				continue;
			any = true;
			pj_reset(&sel);
			size_t nl = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
			for (size_t k = 0; k < nl; k++) {
				pj_reset(&one);
				cx_js_string(&one, json_object_array_get_idx(list, k));
				pj_trim(&one);
				if (!one.len)
					continue;
				if (sel.len)
					pj_adds(&sel, ", ");
				pj_adds(&sel, one.p);
			}
			json_object_object_foreach(val, k2, v2)
			{
				if (!strcmp(k2, "answers"))
					continue;
				if (json_object_is_type(v2, json_type_string) && *cx_sget(v2)) {
					if (sel.len)
						pj_adds(&sel, ", ");
					pj_adds(&sel, cx_sget(v2));
				} else if (json_object_is_type(v2, json_type_array)) {
					size_t n2 = json_object_array_length(v2);
					for (size_t k = 0; k < n2; k++) {
						const char *s2 = cx_sget(json_object_array_get_idx(v2, k));
						struct json_object *e2 = json_object_array_get_idx(v2, k);
						if (!json_object_is_type(e2, json_type_string) || !*s2)
							continue;
						if (sel.len)
							pj_adds(&sel, ", ");
						pj_adds(&sel, s2);
					}
				}
			}
			struct json_object *q = cx_find_question(qs, qid);
			const char *qtext = cx_nstr(q, "question") ? pj_str(q, "question") : qid;
			size_t at = ++i;
			pj_reset(&summary);
			pj_adds(&summary, qtext);
			pj_adds(&summary, " -> ");
			pj_adds(&summary, pj_cstr(&sel));
			pj_decision_key(&key, qid, at);
			struct json_object *basis = json_object_new_array();
			if (pending)
				json_object_array_add(basis, json_object_new_string(pending->event_id));
			json_object_array_add(basis, json_object_new_string(result_event));
			struct json_object *meta = cx_question_meta(q, qid);
			cx_decision(ln, at, ptype, key.p, summary.p, "accepted", "user", basis, meta);
			json_object_put(basis);
			json_object_put(meta);
		}
		pj_free(&sel);
		pj_free(&summary);
		pj_free(&key);
		pj_free(&one);
	}
	if (!any && pending) {
		struct pj_buf raw = {0}, text = {0};
		size_t on;
		const char *os = pj_sval(output, &on);
		if (os)
			pj_add(&raw, os, on);
		else if (output)
			pj_adds(&raw, pj_text(output));
		pj_trim(&raw);
		size_t nq = json_object_is_type(qs, json_type_array) ? json_object_array_length(qs) : 0;
		if (raw.len) {
			if (nq == 1) {
				pj_adds(&text, "- ");
				pj_adds(&text, pj_str(json_object_array_get_idx(qs, 0), "question") ?: "");
				pj_adds(&text, ": ");
			}
			pj_add(&text, raw.p, raw.len);
			struct kato_event ev = {0};
			ev.content = text.p;
			ev.content_len = text.len;
			ev.phase = "other";
			ev.provider_event_type = ptype;
			cx_emit(ln, &ev, "message.user", 1);
		}
		pj_free(&raw);
		pj_free(&text);
	}
	if (pending)
		cx_rui_drop(st, pending);
	json_object_put(qs);
	json_object_put(parsed);
}

/* ------------------------------------------------------------------ */
/* response_item                                                         */

static void cx_count(struct cx_state *st, const char *prefix, const char *type)
{
	struct pj_buf b = {0};
	pj_adds(&b, prefix);
	pj_adds(&b, type ? type : "?");
	st->host->count(st->ctx, b.p);
	pj_free(&b);
}

static void cx_message(const struct cx_line *ln, struct json_object *p)
{
	struct cx_state *st = ln->st;
	const char *role = pj_str(p, "role"), *pid = cx_nstr(p, "id");
	struct cx_text text = {0};
	cx_content_text(cx_get(p, "content"), &text);
	if (!role || !text.len) {
		st->host->count(st->ctx, "empty:message");
	} else if (!strcmp(role, "assistant")) {
		cx_assistant(ln, text.p, text.len, cx_phase(pj_str(p, "phase")), CX_R, "response_item.message", pid);
	} else if (!strcmp(role, "user")) {
		cx_strip_ide(&text);
		if (cx_injected(text.p)) {
			cx_user_emit(ln, text.p, text.len, true, CX_R, "response_item.message", pid);
		} else if (cx_known(st, cx_keyn("user", text.p, text.len))) {
			/* the model's copy of a prompt already emitted */
			cx_fresh(st, cx_keyn("user", text.p, text.len), CX_R);
		} else {
			/* the model's copy of the prompt, which the next line
			 * may repeat as event_msg: hold it for one line */
			cx_held_emit(st);
			struct pj_buf id = {0};
			cx_event_id(&id, ln, "message.user", 0);
			st->held.on = true;
			st->held.id = cx_dup(id.p);
			st->held.ts = cx_dup(ln->ts);
			st->held.text = cx_dupn(text.p, text.len);
			st->held.text_len = text.len;
			st->held.turn = cx_dup(st->turn);
			st->held.pid = cx_dup(pid);
			pj_free(&id);
		}
	} else {
		/* developer / system: instructions Codex injected */
		if (cx_fresh(st, cx_keyn("system", text.p, text.len), CX_R)) {
			struct kato_event ev = {0};
			ev.content = text.p;
			ev.content_len = text.len;
			ev.flags = KATO_EVENT_INJECTED;
			ev.provider_event_type = "response_item.message";
			ev.provider_event_id = pid;
			cx_emit(ln, &ev, "message.system", 0);
		}
	}
	cx_text_free(&text);
}

/* Parts of a reasoning item: summary, else content (raw reasoning). */
static void cx_reasoning(const struct cx_line *ln, struct json_object *p, const char *sum_key,
			 const char *raw_key, int stream, const char *ptype)
{
	struct json_object *arr = pj_arr(p, sum_key);
	if (!arr || !json_object_array_length(arr))
		arr = pj_arr(p, raw_key);
	size_t n = arr ? json_object_array_length(arr) : 0;
	if (!n) {
		ln->st->host->count(ln->st->ctx, "reasoning:encrypted");
		return;
	}
	struct json_object **parts = calloc(n, sizeof *parts);
	if (!parts)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		/* {type, text} or, in item_completed, plain strings */
		parts[i] = json_object_is_type(e, json_type_string) ? e : cx_get(e, "text");
	}
	cx_thinking(ln, parts, n, stream, ptype, cx_nstr(p, "id"));
	free(parts);
}

static void cx_function_call(const struct cx_line *ln, struct json_object *p, bool custom)
{
	const char *name = cx_nstr(p, "name") ? pj_str(p, "name") : "unknown";
	const char *call_id = cx_nstr(p, "call_id");
	struct json_object *raw = cx_get(p, custom ? "input" : "arguments");
	struct json_object *input = NULL, *owned = NULL;
	if (json_object_is_type(raw, json_type_string)) {
		const char *s = cx_sget(raw);
		owned = pj_parse_with(&ln->st->tok, s, strlen(s));
		if (!json_object_is_type(owned, json_type_object)) {
			json_object_put(owned);
			owned = json_object_new_object();
			json_object_object_add(owned, custom ? "input" : "arguments", json_object_new_string(s));
		}
		input = owned;
	} else if (json_object_is_type(raw, json_type_object)) {
		input = raw;
	}
	struct pj_buf desc = {0};
	if (custom && !strcmp(name, "apply_patch") && json_object_is_type(raw, json_type_string)) {
		/* the first file the patch touches */
		static const char *const marks[] = {"*** Update File: ", "*** Add File: ", "*** Delete File: "};
		const char *s = cx_sget(raw);
		for (size_t k = 0; k < 3 && !desc.len; k++) {
			const char *at = strstr(s, marks[k]);
			if (at) {
				at += strlen(marks[k]);
				pj_add(&desc, at, strcspn(at, "\r\n"));
			}
		}
	} else {
		cx_describe(&desc, name, input);
	}
	char *event_id = NULL;
	const char *ptype = custom ? "response_item.custom_tool_call" : "response_item.function_call";
	cx_tool_call(ln, call_id, name, input, desc.p, CX_R, ptype, cx_nstr(p, "id"), &event_id);
	if (!custom && !strcmp(name, "request_user_input")) {
		struct json_object *qs = pj_arr(input, "questions");
		size_t i = 0;
		cx_propose(ln, qs, event_id, "response_item.function_call.request_user_input", &i);
		if (call_id)
			cx_rui_add(ln->st, call_id, event_id, qs ? pj_text(qs) : "[]");
	}
	free(event_id);
	pj_free(&desc);
	json_object_put(owned);
}

static void cx_function_output(const struct cx_line *ln, struct json_object *p, bool custom)
{
	const char *call_id = cx_nstr(p, "call_id");
	struct json_object *output = cx_get(p, "output");
	struct pj_buf rid = {0};
	struct cx_text text = {0};
	bool error;
	if (cx_rui_find(ln->st, call_id) && json_object_is_type(output, json_type_string)) {
		text.p = pj_sval(output, &text.len);
		error = false;
	} else {
		cx_output_text(ln->st, &text, output, &error);
	}
	const char *ptype = custom ? "response_item.custom_tool_call_output" : "response_item.function_call_output";
	cx_tool_result(ln, call_id, text.p, text.len, error, CX_R, ptype, cx_nstr(p, "id"));
	if (!custom) {
		struct json_object *parsed = NULL;
		const char *os = json_object_is_type(output, json_type_string) ? cx_sget(output) : NULL;
		if (os && os[0] == '{')
			parsed = pj_parse_with(&ln->st->tok, os, strlen(os));
		bool answers = pj_obj(json_object_is_type(output, json_type_object) ? output : parsed, "answers") != NULL;
		json_object_put(parsed);
		if (answers || cx_rui_find(ln->st, call_id)) {
			cx_event_id(&rid, ln, "tool.result", 0);
			cx_answers(ln, call_id, output, rid.p);
		}
	}
	cx_text_free(&text);
	pj_free(&rid);
}

/* A web search from any stream, deduped by its query. */
static void cx_web_search(const struct cx_line *ln, const char *call_id, struct json_object *action,
			  const char *query, struct json_object *results, int stream, const char *ptype,
			  const char *pid)
{
	struct pj_buf q = {0};
	if (query)
		pj_adds(&q, query);
	if (!q.len)
		pj_adds(&q, pj_str(action, "query") ?: pj_str(action, "url") ?: "");
	if (!q.len) {
		struct json_object *qs = pj_arr(action, "queries");
		if (qs && json_object_array_length(qs))
			pj_adds(&q, cx_sget(json_object_array_get_idx(qs, 0)) ?: "");
	}
	if (!q.len)
		pj_adds(&q, pj_str(action, "pattern") ?: "");
	if (q.len && !cx_fresh(ln->st, cx_key("web", q.p), stream))
		goto out;
	struct json_object *input = json_object_is_type(action, json_type_object) ? action : NULL;
	struct pj_buf id = {0};
	if (!call_id || !*call_id) {
		cx_event_id(&id, ln, "tool.call", 0);
		call_id = id.p;
	}
	cx_tool_call(ln, call_id, "web_search", input, q.p, stream, ptype, pid, NULL);
	if (json_object_is_type(results, json_type_array)) {
		struct pj_buf r = {0};
		size_t n = json_object_array_length(results);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(results, i);
			const char *t = pj_str(e, "title"), *u = pj_str(e, "url");
			if (!t && !u)
				continue;
			if (r.len)
				pj_adds(&r, "\n");
			pj_adds(&r, t ? t : "");
			if (u) {
				pj_adds(&r, t ? " " : "");
				pj_adds(&r, u);
			}
		}
		cx_tool_result(ln, call_id, pj_cstr(&r), r.len, false, stream, ptype, pid);
		pj_free(&r);
	}
	pj_free(&id);
out:
	pj_free(&q);
}

static void cx_response_item(const struct cx_line *ln, struct json_object *p)
{
	struct cx_state *st = ln->st;
	const char *t = pj_str(p, "type");
	if (!t) {
		st->host->count(st->ctx, "unknown:response_item");
	} else if (!strcmp(t, "message")) {
		cx_message(ln, p);
	} else if (!strcmp(t, "reasoning")) {
		cx_reasoning(ln, p, "summary", "content", CX_R, "response_item.reasoning");
	} else if (!strcmp(t, "function_call") || !strcmp(t, "custom_tool_call")) {
		cx_function_call(ln, p, t[0] == 'c');
	} else if (!strcmp(t, "function_call_output") || !strcmp(t, "custom_tool_call_output")) {
		cx_function_output(ln, p, t[0] == 'c');
	} else if (!strcmp(t, "local_shell_call")) {
		struct json_object *action = pj_obj(p, "action");
		struct pj_buf desc = {0};
		cx_command(&desc, cx_get(action, "command"));
		const char *call_id = cx_nstr(p, "call_id") ? pj_str(p, "call_id") : cx_nstr(p, "id");
		cx_tool_call(ln, call_id, "local_shell", action, desc.p, CX_R, "response_item.local_shell_call",
			     cx_nstr(p, "id"), NULL);
		pj_free(&desc);
	} else if (!strcmp(t, "web_search_call")) {
		const char *call_id = cx_nstr(p, "call_id") ? pj_str(p, "call_id") : cx_nstr(p, "id");
		cx_web_search(ln, call_id, pj_obj(p, "action"), NULL, NULL, CX_R, "response_item.web_search_call",
			      cx_nstr(p, "id"));
	} else if (!strcmp(t, "ghost_snapshot") || !strcmp(t, "compaction") ||
		   !strcmp(t, "compaction_summary") || !strcmp(t, "context_compaction") ||
		   !strcmp(t, "tool_search_call") || !strcmp(t, "tool_search_output") ||
		   !strcmp(t, "image_generation_call") || !strcmp(t, "additional_tools") ||
		   !strcmp(t, "agent_message") || !strcmp(t, "local_shell_call_output")) {
		st->host->count(st->ctx, t);
	} else {
		cx_count(st, "unknown:", t);
	}
}

/* ------------------------------------------------------------------ */
/* event_msg                                                             */

/* A tool that ran, reported by an event (E) or item_completed (I): emitted
 * only when no response_item named this call id. */
static void cx_orphan_tool(const struct cx_line *ln, const char *type, const char *call_id,
			   const char *name, struct json_object *input, const char *desc,
			   const char *result, bool error, int stream, const char *ptype)
{
	if (!call_id || !*call_id || cx_known(ln->st, cx_key("call", call_id))) {
		ln->st->host->count(ln->st->ctx, type);
		return;
	}
	cx_tool_call(ln, call_id, name, input, desc, stream, ptype, NULL, NULL);
	cx_tool_result(ln, call_id, result, result ? strlen(result) : 0, error, stream, ptype, NULL);
}

/* exec_command_end / CommandExecution. */
static void cx_exec_end(const struct cx_line *ln, struct json_object *p, const char *call_id,
			int stream, const char *type, const char *ptype)
{
	struct pj_buf desc = {0};
	cx_command(&desc, cx_get(p, "command"));
	const char *out = pj_str(p, "aggregated_output") ?: pj_str(p, "formatted_output") ?: pj_str(p, "stdout");
	struct json_object *input = json_object_new_object();
	json_object_object_add(input, "command", json_object_new_string(pj_cstr(&desc)));
	bool error = pj_int(p, "exit_code", 0) != 0;
	cx_orphan_tool(ln, type, call_id, "exec_command", input, desc.p, out, error, stream, ptype);
	json_object_put(input);
	pj_free(&desc);
}

/* patch_apply_end / FileChange. */
static void cx_patch_end(const struct cx_line *ln, struct json_object *p, const char *call_id,
			 int stream, const char *type, const char *ptype)
{
	struct pj_buf out = {0};
	const char *desc = NULL;
	struct json_object *changes = pj_obj(p, "changes");
	if (changes) {
		json_object_object_foreach(changes, path, v)
		{
			(void)v;
			desc = path;
			break;
		}
	}
	pj_adds(&out, pj_str(p, "stdout") ?: "");
	if (cx_nstr(p, "stderr")) {
		if (out.len)
			pj_adds(&out, "\n");
		pj_adds(&out, pj_str(p, "stderr"));
	}
	struct json_object *input = json_object_new_object();
	if (changes)
		json_object_object_add(input, "changes", json_object_get(changes));
	bool error = !pj_bool(p, "success", true) ||
		     (pj_str(p, "status") && !strcmp(pj_str(p, "status"), "failed"));
	cx_orphan_tool(ln, type, call_id, "apply_patch", input, desc, pj_cstr(&out), error, stream, ptype);
	json_object_put(input);
	pj_free(&out);
}

/* mcp_tool_call_end / McpToolCall. */
static void cx_mcp_end(const struct cx_line *ln, struct json_object *p, const char *call_id,
		       int stream, const char *type, const char *ptype)
{
	struct json_object *inv = pj_obj(p, "invocation");
	if (!inv)
		inv = p; /* item_completed: server/tool/arguments on the item */
	struct pj_buf name = {0};
	struct cx_text out = {.p = ""};
	pj_adds(&name, "mcp__");
	pj_adds(&name, pj_str(inv, "server") ?: "?");
	pj_adds(&name, "__");
	pj_adds(&name, pj_str(inv, "tool") ?: "?");
	struct json_object *res = cx_get(p, "result"), *ok = pj_obj(res, "Ok");
	bool error = false;
	if (ok)
		res = ok;
	if (pj_str(res, "Err")) {
		out.p = pj_str(res, "Err");
		error = true;
	} else if (res) {
		cx_output_text(ln->st, &out, pj_arr(res, "content") ? pj_arr(res, "content") : res, &error);
		error = pj_bool(res, "isError", false);
	}
	struct json_object *args = pj_obj(inv, "arguments");
	cx_orphan_tool(ln, type, call_id, name.p, args, NULL, out.p, error, stream, ptype);
	pj_free(&name);
	cx_text_free(&out);
}

/* event_msg/item_completed: the 0.147+ PascalCase items. */
static void cx_item_completed(const struct cx_line *ln, struct json_object *p)
{
	struct cx_state *st = ln->st;
	struct json_object *item = pj_obj(p, "item");
	const char *t = pj_str(item, "type"), *id = cx_nstr(item, "id");
	const char *ptype = "event_msg.item_completed";
	struct cx_text text = {0};
	if (!t) {
		st->host->count(st->ctx, "unknown:item_completed");
	} else if (!strcmp(t, "UserMessage")) {
		cx_content_text(cx_get(item, "content"), &text);
		cx_strip_ide(&text);
		bool inj = cx_injected(text.p);
		if (inj || !st->has_e_user) {
			if (!inj)
				st->has_i_user = true;
			cx_user_emit(ln, text.p, text.len, inj, CX_I, ptype, id);
		}
	} else if (!strcmp(t, "AgentMessage")) {
		cx_content_text(cx_get(item, "content"), &text);
		cx_assistant(ln, text.p, text.len, cx_phase(pj_str(item, "phase")), CX_I, ptype, id);
	} else if (!strcmp(t, "Reasoning")) {
		cx_reasoning(ln, item, "summary_text", "raw_content", CX_I, ptype);
	} else if (!strcmp(t, "CommandExecution")) {
		cx_exec_end(ln, item, id, CX_I, "item_completed:CommandExecution", ptype);
	} else if (!strcmp(t, "FileChange")) {
		cx_patch_end(ln, item, id, CX_I, "item_completed:FileChange", ptype);
	} else if (!strcmp(t, "McpToolCall")) {
		cx_mcp_end(ln, item, id, CX_I, "item_completed:McpToolCall", ptype);
	} else if ((!strcmp(t, "Extension") || !strcmp(t, "WebSearch")) && pj_obj(item, "action")) {
		cx_web_search(ln, id, pj_obj(item, "action"), pj_str(item, "query"), pj_arr(item, "results"),
			      CX_I, ptype, id);
	} else if (!strcmp(t, "Plan") || !strcmp(t, "Sleep") || !strcmp(t, "Extension") ||
		   !strcmp(t, "ImageGeneration") || !strcmp(t, "CollabAgentToolCall") ||
		   !strcmp(t, "ContextCompaction")) {
		cx_count(st, "item_completed:", t);
	} else {
		cx_count(st, "unknown:item_completed:", t);
	}
	cx_text_free(&text);
}

static void cx_info(const struct cx_line *ln, const char *subtype, const char *level,
		    const char *content, const char *ptype)
{
	struct kato_event ev = {0};
	ev.content = content;
	ev.subtype = subtype;
	ev.level = level;
	ev.provider_event_type = ptype;
	cx_emit(ln, &ev, "provider.info", 0);
}

static void cx_set_turn(struct cx_state *st, struct json_object *p)
{
	const char *turn = cx_nstr(p, "turn_id");
	if (turn)
		cx_set(&st->turn, turn);
}

static void cx_event_msg(const struct cx_line *ln, struct json_object *p)
{
	struct cx_state *st = ln->st;
	const char *t = pj_str(p, "type");
	struct pj_buf ptype = {0};
	struct cx_text text = {0};
	pj_adds(&ptype, "event_msg.");
	pj_adds(&ptype, t ? t : "");
	if (!t) {
		st->host->count(st->ctx, "unknown:event_msg");
	} else if (!strcmp(t, "user_message")) {
		const char *kind = pj_str(p, "kind");
		cx_content_text(cx_get(p, "message"), &text);
		cx_strip_ide(&text);
		bool inj = (kind && (!strcmp(kind, "user_instructions") || !strcmp(kind, "environment_context"))) ||
			   cx_injected(text.p);
		if (!inj)
			st->has_e_user = true;
		cx_user_emit(ln, text.p, text.len, inj, CX_E, ptype.p, NULL);
	} else if (!strcmp(t, "agent_message")) {
		cx_content_text(cx_get(p, "message"), &text);
		cx_assistant(ln, text.p, text.len, cx_phase(pj_str(p, "phase")), CX_E, ptype.p, NULL);
	} else if (!strcmp(t, "agent_reasoning")) {
		struct json_object *part = cx_get(p, "text");
		cx_thinking(ln, &part, 1, CX_E, ptype.p, NULL);
	} else if (!strcmp(t, "task_complete")) {
		cx_content_text(cx_get(p, "last_agent_message"), &text);
		if (text.len)
			cx_assistant(ln, text.p, text.len, "final", CX_T, ptype.p, NULL);
		else
			st->host->count(st->ctx, t);
	} else if (!strcmp(t, "task_started")) {
		cx_set_turn(st, p);
		st->turn_answered = false;
		st->host->count(st->ctx, t);
	} else if (!strcmp(t, "item_completed")) {
		cx_set_turn(st, p);
		cx_item_completed(ln, p);
	} else if (!strcmp(t, "turn_aborted")) {
		const char *reason = cx_nstr(p, "reason");
		pj_adds(&text.buf, "Turn aborted");
		if (reason) {
			pj_adds(&text.buf, ": ");
			pj_adds(&text.buf, reason);
		}
		cx_info(ln, "turn_aborted", "warning", text.buf.p, ptype.p);
	} else if (!strcmp(t, "error") || !strcmp(t, "stream_error") || !strcmp(t, "warning")) {
		cx_content_text(cx_get(p, "message"), &text);
		cx_info(ln, t, t[0] == 'w' ? "warning" : "error", text.p, ptype.p);
	} else if (!strcmp(t, "exec_command_end")) {
		cx_exec_end(ln, p, cx_nstr(p, "call_id"), CX_E, t, ptype.p);
	} else if (!strcmp(t, "patch_apply_end")) {
		cx_patch_end(ln, p, cx_nstr(p, "call_id"), CX_E, t, ptype.p);
	} else if (!strcmp(t, "mcp_tool_call_end")) {
		cx_mcp_end(ln, p, cx_nstr(p, "call_id"), CX_E, t, ptype.p);
	} else if (!strcmp(t, "web_search_end")) {
		cx_web_search(ln, cx_nstr(p, "call_id"), pj_obj(p, "action"), pj_str(p, "query"),
			      pj_arr(p, "results"), CX_E, ptype.p, NULL);
	} else if (!strcmp(t, "thread_name_updated")) {
		const char *name = cx_nstr(p, "thread_name");
		if (name && cx_set(&st->title, name))
			cx_announce(st);
		st->host->count(st->ctx, t);
	} else if (!strcmp(t, "token_count") || !strcmp(t, "agent_reasoning_raw_content") ||
		   !strcmp(t, "context_compacted") || !strcmp(t, "thread_rolled_back") ||
		   !strcmp(t, "entered_review_mode") || !strcmp(t, "exited_review_mode") ||
		   !strcmp(t, "thread_goal_updated") || !strcmp(t, "sub_agent_activity") ||
		   !strcmp(t, "thread_settings_applied") || !strcmp(t, "guardian_assessment") ||
		   !strcmp(t, "image_generation_end") || !strcmp(t, "view_image_tool_call") ||
		   !strcmp(t, "undo_completed") || !strcmp(t, "dynamic_tool_call_request") ||
		   !strcmp(t, "dynamic_tool_call_response") || !strcmp(t, "plan_update") ||
		   !strcmp(t, "turn_diff") || !strcmp(t, "agent_reasoning_section_break") ||
		   cx_starts(t, "collab_")) {
		st->host->count(st->ctx, t);
	} else {
		cx_count(st, "unknown:", t);
	}
	cx_text_free(&text);
	pj_free(&ptype);
}

/* ------------------------------------------------------------------ */
/* other top-level records                                               */

/* Is a cli_version ("0.104.0-alpha.1") older than 0.147? */
static bool cx_before_0147(const char *v)
{
	unsigned long major, minor;
	char *end;
	if (!v || *v < '0' || *v > '9')
		return false;
	major = strtoul(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return false;
	minor = strtoul(end + 1, NULL, 10);
	return major == 0 && minor < 147;
}

static void cx_session_meta(const struct cx_line *ln, struct json_object *p, bool envelope)
{
	struct cx_state *st = ln->st;
	struct pj_buf id = {0};
	pj_adds(&id, pj_str(p, "id") ?: pj_str(p, "session_id") ?: "");
	pj_trim(&id);
	if (st->have_meta || !id.len) {
		/* a fork's copy of an ancestor's meta, or no id */
		st->host->count(st->ctx, st->have_meta ? "session_meta:ancestor" : "session_meta:no-id");
		pj_free(&id);
		return;
	}
	st->have_meta = true;
	st->e_expected = envelope && cx_before_0147(pj_str(p, "cli_version"));
	cx_set(&st->sid, id.p);
	cx_set(&st->cwd, cx_nstr(p, "cwd"));
	const char *ts = pj_str(p, "timestamp");
	cx_set(&st->started, cx_iso(ts) ? ts : cx_iso(ln->ts) ? ln->ts : NULL);
	struct json_object *src = cx_get(p, "source");
	const char *s = json_object_is_type(src, json_type_string) ? cx_sget(src) : NULL;
	const char *orig = pj_str(p, "originator");
	st->batch = (s && (!strcmp(s, "exec") || !strcmp(s, "mcp"))) || (orig && !strcmp(orig, "codex_exec"));
	struct json_object *sub = pj_obj(src, "subagent");
	st->subagent = sub != NULL;
	const char *parent = cx_nstr(pj_obj(sub, "thread_spawn"), "parent_thread_id");
	if (!parent && sub)
		parent = cx_nstr(p, "parent_thread_id");
	cx_set(&st->parent, parent);
	if (!st->model)
		cx_set(&st->model, cx_nstr(p, "model"));
	cx_announce(st);
	pj_free(&id);
}

static void cx_turn_context(const struct cx_line *ln, struct json_object *p)
{
	struct cx_state *st = ln->st;
	cx_set_turn(st, p);
	const char *model = cx_nstr(p, "model");
	if (model && cx_set(&st->model, model))
		cx_announce(st);
	st->host->count(st->ctx, "turn_context");
}

static void cx_compacted(const struct cx_line *ln, struct json_object *p)
{
	struct kato_event ev = {0};
	struct cx_text text = {0};
	cx_content_text(cx_get(p, "message"), &text);
	ev.content = text.p;
	ev.content_len = text.len;
	ev.flags = KATO_EVENT_INJECTED;
	ev.provider_event_type = "compacted";
	cx_emit(ln, &ev, "compaction", 0);
	cx_text_free(&text);
}

/* The standalone {"type":"request_user_input","payload":{questions,answers}}
 * record (ref §1.3). */
static void cx_request_user_input(const struct cx_line *ln, struct json_object *p)
{
	const char *ptype = "request_user_input";
	struct json_object *qs = pj_arr(p, "questions"), *answers = cx_get(p, "answers");
	struct pj_buf call_id = {0}, rid = {0}, key = {0}, summary = {0};
	cx_event_id(&call_id, ln, "request_user_input", 0);
	struct json_object *input = json_object_new_object();
	if (qs)
		json_object_object_add(input, "questions", json_object_get(qs));
	char *call_event = NULL;
	cx_tool_call(ln, call_id.p, "request_user_input", input, NULL, CX_R, ptype, NULL, &call_event);
	size_t i = 0;
	cx_propose(ln, qs, call_event, ptype, &i);

	cx_event_id(&rid, ln, "tool.result", 1);
	struct kato_event ev = {0};
	ev.event_id = rid.p;
	ev.tool_call_id = call_id.p;
	ev.result = answers ? pj_text(answers) : "";
	ev.provider_event_type = ptype;
	cx_emit(ln, &ev, "tool.result", 1);

	if (json_object_is_type(answers, json_type_object)) {
		json_object_object_foreach(answers, qid, val)
		{
			struct json_object *q = cx_find_question(qs, qid);
			size_t at = ++i;
			pj_reset(&summary);
			pj_adds(&summary, cx_nstr(q, "question") ? pj_str(q, "question") : qid);
			pj_adds(&summary, " \xe2\x86\x92 ");
			cx_js_string(&summary, val);
			pj_decision_key(&key, qid, at);
			struct json_object *basis = json_object_new_array();
			json_object_array_add(basis, json_object_new_string(call_event));
			json_object_array_add(basis, json_object_new_string(rid.p));
			struct json_object *meta = cx_question_meta(q, qid);
			cx_decision(ln, at, ptype, key.p, summary.p, "accepted", "user", basis, meta);
			json_object_put(basis);
			json_object_put(meta);
		}
	}
	json_object_put(input);
	free(call_event);
	pj_free(&call_id);
	pj_free(&rid);
	pj_free(&key);
	pj_free(&summary);
}

/* Is `type` a ResponseItem type (a bare legacy line)? */
static bool cx_response_type(const char *t)
{
	static const char *const types[] = {
		"message", "reasoning", "function_call", "function_call_output", "custom_tool_call",
		"custom_tool_call_output", "local_shell_call", "web_search_call", "ghost_snapshot",
		"compaction", "compaction_summary", "tool_search_call", "tool_search_output",
		"image_generation_call", "agent_message", "context_compaction", "additional_tools",
	};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (!strcmp(t, types[i]))
			return true;
	return false;
}

/* Dispatch one parsed record. raw/len are its bytes (for the id hash). */
static void cx_record(struct cx_state *st, struct json_object *o, const char *raw, size_t len)
{
	struct cx_line ln = {.st = st};
	int64_t end = -1;
	if (KATO_HAS_FIELD(st->host, struct kato_host, record_end) && st->host->record_end)
		end = st->host->record_end(st->ctx);
	if (end >= 0)
		snprintf(ln.hex, sizeof ln.hex, "%" PRId64, end);
	else
		snprintf(ln.hex, sizeof ln.hex, "h%016" PRIx64, pj_hash64(raw, len));
	const char *ts = pj_str(o, "timestamp");
	ln.ts = cx_iso(ts) ? ts : NULL;
	const char *type = pj_str(o, "type");
	struct json_object *payload = cx_get(o, "payload");

	/* the held user message is the copy of an event_msg / item_completed
	 * user message on the very next line, else it stands alone */
	if (st->held.on) {
		struct json_object *it = pj_obj(payload, "item");
		const char *pt = pj_str(payload, "type");
		bool copy = type && !strcmp(type, "event_msg") && pt &&
			    (!strcmp(pt, "user_message") ||
			     (!strcmp(pt, "item_completed") && pj_str(it, "type") &&
			      !strcmp(pj_str(it, "type"), "UserMessage")));
		if (copy)
			cx_held_clear(&st->held);
		else
			cx_held_emit(st);
	}

	if (!payload) {
		/* legacy generation: bare meta, bare items, state markers */
		if (cx_get(o, "record_type")) {
			cx_count(st, "record_type:", pj_str(o, "record_type") ?: "?");
		} else if (!type && pj_str(o, "id")) {
			cx_session_meta(&ln, o, false);
		} else if (type && cx_response_type(type)) {
			if (!ln.ts && st->started)
				ln.ts = st->started;
			cx_response_item(&ln, o);
		} else if (type) {
			cx_count(st, "unknown:", type);
		} else {
			st->host->count(st->ctx, "unknown:untyped");
		}
		return;
	}
	if (!ln.ts && st->started)
		ln.ts = st->started;
	if (!type) {
		st->host->count(st->ctx, "unknown:untyped");
	} else if (!json_object_is_type(payload, json_type_object)) {
		cx_count(st, "invalid:", type);
	} else if (!strcmp(type, "session_meta")) {
		cx_session_meta(&ln, payload, true);
	} else if (!strcmp(type, "turn_context")) {
		cx_turn_context(&ln, payload);
	} else if (!strcmp(type, "response_item")) {
		cx_response_item(&ln, payload);
	} else if (!strcmp(type, "event_msg")) {
		cx_event_msg(&ln, payload);
	} else if (!strcmp(type, "compacted")) {
		cx_compacted(&ln, payload);
	} else if (!strcmp(type, "request_user_input")) {
		cx_request_user_input(&ln, payload);
	} else if (!strcmp(type, "world_state") || !strcmp(type, "inter_agent_communication") ||
		   !strcmp(type, "inter_agent_communication_metadata")) {
		st->host->count(st->ctx, type);
	} else {
		cx_count(st, "unknown:", type);
	}
}

/* ------------------------------------------------------------------ */
/* the descriptor                                                        */

static const char *cx_base(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static enum kato_feed cx_match_path(const char *path)
{
	const char *b = cx_base(path);
	if (!cx_starts(b, "rollout-"))
		return KATO_FEED_NONE;
	if (cx_ends(b, ".jsonl") || cx_ends(b, ".jsonl.zst"))
		return KATO_FEED_LINES;
	if (cx_ends(b, ".json"))
		return KATO_FEED_DOCUMENT;
	return KATO_FEED_NONE;
}

/* How surely one line is a Codex record: 2 for a RolloutLine envelope, a
 * pre-envelope SessionMeta (first line) or state marker, 1 for a bare
 * ResponseItem. */
static int cx_probe_record(struct json_object *o, bool first)
{
	static const char *const envelopes[] = {"session_meta", "response_item", "event_msg", "turn_context",
						"compacted", "world_state", "inter_agent_communication",
						"inter_agent_communication_metadata"};
	static const char *const items[] = {"message", "reasoning", "function_call", "function_call_output",
					    "custom_tool_call", "custom_tool_call_output", "local_shell_call",
					    "web_search_call"};
	const char *type = pj_str(o, "type");
	if (type && pj_obj(o, "payload")) {
		for (size_t i = 0; i < sizeof envelopes / sizeof *envelopes; i++)
			if (!strcmp(type, envelopes[i]))
				return 2;
		return 0;
	}
	if (pj_str(o, "record_type"))
		return 2;
	if (first && !type && pj_str(o, "id") && pj_str(o, "timestamp") &&
	    (json_object_object_get_ex(o, "instructions", NULL) || pj_str(o, "cli_version") ||
	     pj_str(o, "originator") || pj_obj(o, "git")))
		return 2;
	if (type && !pj_str(o, "uuid") && !pj_str(o, "sessionId"))
		for (size_t i = 0; i < sizeof items / sizeof *items; i++)
			if (!strcmp(type, items[i]))
				return 1;
	return 0;
}

/* Every generation: JSONL (envelope or not; .zst arrives decompressed)
 * and the TypeScript CLI's one document {session, items}. */
static enum kato_probe cx_probe(const char *head, size_t len, enum kato_feed *feed)
{
	enum pj_shape shape = pj_head_shape(head, len);
	if (shape == PJ_SHAPE_OTHER)
		return KATO_PROBE_NO;
	if (shape == PJ_SHAPE_DOCUMENT || len < KATO_PROBE_BYTES) {
		/* a whole document, possibly on one line */
		struct json_object *o = shape == PJ_SHAPE_DOCUMENT ? NULL : pj_parse(head, len);
		bool ts = o ? pj_obj(o, "session") && pj_arr(o, "items")
			    : shape == PJ_SHAPE_DOCUMENT && pj_head_has_key(head, len, "session") &&
				      pj_head_has_key(head, len, "items");
		json_object_put(o);
		if (ts) {
			*feed = KATO_FEED_DOCUMENT;
			return KATO_PROBE_SURE;
		}
		if (shape == PJ_SHAPE_DOCUMENT)
			return KATO_PROBE_NO;
	}
	int best = 0;
	size_t pos = 0, seen = 0;
	struct json_object *o;
	while (best < 2 && seen < 64 && (o = pj_head_next(head, len, &pos))) {
		if (!seen && pj_obj(o, "session") && pj_arr(o, "items")) {
			json_object_put(o);
			*feed = KATO_FEED_DOCUMENT;
			return KATO_PROBE_SURE;
		}
		int r = cx_probe_record(o, !seen);
		json_object_put(o);
		best = r > best ? r : best;
		seen++;
	}
	if (!seen && pj_find(head, len, "\"type\":\"session_meta\"") && pj_head_has_key(head, len, "payload"))
		best = 2; /* a first line longer than the head */
	if (best)
		*feed = KATO_FEED_LINES;
	return (enum kato_probe)best;
}

/* Forget everything learned from the file. */
static void cx_forget(struct cx_state *st)
{
	st->have_meta = false;
	cx_set(&st->sid, NULL);
	cx_set(&st->cwd, NULL);
	cx_set(&st->started, NULL);
	cx_set(&st->model, NULL);
	cx_set(&st->parent, NULL);
	cx_set(&st->title, NULL);
	cx_set(&st->turn, NULL);
	st->batch = st->subagent = false;
	st->has_e_user = st->has_i_user = false;
	st->e_expected = st->turn_answered = false;
	cx_held_clear(&st->held);
	st->nseen = st->seen_pos = 0;
	for (size_t i = 0; i < st->nrui; i++)
		cx_rui_free(&st->rui[i]);
	st->nrui = 0;
}

/* The saved string fields: blob key and where each lives. */
static char **cx_blob_field(struct cx_state *st, size_t i, const char **key)
{
	static const char *const keys[] = {"sid", "cwd", "started", "model", "parent", "title", "turn"};
	char **fields[] = {&st->sid, &st->cwd, &st->started, &st->model, &st->parent, &st->title, &st->turn};
	if (i >= sizeof keys / sizeof *keys)
		return NULL;
	*key = keys[i];
	return fields[i];
}

static void cx_load_seen(struct cx_state *st, const char *hex)
{
	size_t n = hex ? strlen(hex) / 32 : 0;
	for (size_t i = 0; i < n && i < CX_SEEN; i++) {
		char part[17];
		memcpy(part, hex + i * 32, 16);
		part[16] = '\0';
		struct cx_seen *e = &st->seen[st->nseen++];
		e->key = strtoull(part, NULL, 16);
		for (int s = 0; s < CX_NSTREAM; s++) {
			char c[5];
			memcpy(c, hex + i * 32 + 16 + s * 4, 4);
			c[4] = '\0';
			e->n[s] = (uint16_t)strtoul(c, NULL, 16);
		}
	}
	st->seen_pos = 0;
}

/* Restore what save_state wrote; a blob we cannot read is ignored. */
static void cx_load(struct cx_state *st, const void *blob, size_t len)
{
	struct json_object *o = pj_parse_line(blob, len); /* a held text may be huge */
	if (!o || pj_int(o, "v", 0) != CX_BLOB_VERSION) {
		st->host->log(st->ctx, KATO_LOG_WARN, "codex: unreadable saved state ignored");
		json_object_put(o);
		return;
	}
	const char *key;
	char **f;
	for (size_t i = 0; (f = cx_blob_field(st, i, &key)); i++)
		cx_set(f, cx_nstr(o, key));
	st->have_meta = pj_bool(o, "meta", false);
	st->batch = pj_bool(o, "batch", false);
	st->subagent = pj_bool(o, "sub", false);
	st->has_e_user = pj_bool(o, "eu", false);
	st->has_i_user = pj_bool(o, "iu", false);
	st->e_expected = pj_bool(o, "ee", false);
	st->turn_answered = pj_bool(o, "ta", false);
	struct json_object *h = pj_obj(o, "held");
	if (h && pj_str(h, "id") && pj_str(h, "text")) {
		st->held.on = true;
		st->held.id = cx_dup(pj_str(h, "id"));
		size_t tn;
		const char *t = pj_strn(h, "text", &tn);
		st->held.text = cx_dupn(t, tn);
		st->held.text_len = tn;
		st->held.ts = cx_dup(pj_str(h, "ts"));
		st->held.turn = cx_dup(pj_str(h, "turn"));
		st->held.pid = cx_dup(pj_str(h, "pid"));
	}
	cx_load_seen(st, pj_str(o, "seen"));
	struct json_object *rui = pj_arr(o, "rui");
	size_t n = rui ? json_object_array_length(rui) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(rui, i);
		if (pj_str(e, "call") && pj_str(e, "event"))
			cx_rui_add(st, pj_str(e, "call"), pj_str(e, "event"), pj_str(e, "q"));
	}
	json_object_put(o);
}

/* "…/rollout-<date>-<uuid>.jsonl[.zst]" -> "<uuid>" when it ends in one,
 * else the base name without extensions. Caller frees. */
static char *cx_file_sid(const char *path)
{
	const char *b = cx_base(path);
	size_t n = strcspn(b, ".");
	if (n >= 36) {
		const char *u = b + n - 36;
		bool uuid = true;
		for (int i = 0; i < 36 && uuid; i++) {
			char c = u[i];
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;
			uuid = dash ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
		}
		if (uuid)
			return strndup(u, 36);
	}
	return strndup(b, n);
}

static int cx_open_file(const struct kato_host *host, void *ctx, const char *path, const void *blob,
			size_t blob_len, void **state)
{
	struct cx_state *st = calloc(1, sizeof *st);
	if (!st)
		return -1;
	st->host = host;
	st->ctx = ctx;
	st->file_sid = cx_file_sid(path ? path : "");
	if (!st->file_sid) {
		free(st);
		return -1;
	}
	if (blob && blob_len)
		cx_load(st, blob, blob_len);
	*state = st;
	return 0;
}

/* Members of a record's payload no part of this plugin reads: json-c is
 * spared building them (pj_parse_lean). A token_count's usage and rate
 * limits are about a fifth of real rollouts, a reasoning item's
 * encrypted_content a tenth. (A member name here is never read in any
 * record's payload: "summary", also in a turn_context, is a reasoning
 * item's text.) */
static const struct pj_unread cx_payload_unread[] = {
	{"info", NULL, NULL, false},
	{"rate_limits", NULL, NULL, false},
	{"encrypted_content", NULL, NULL, false},
	/* a turn_context's settings (a tenth of a rollout) and session_meta's
	 * base instructions */
	{"collaboration_mode", NULL, NULL, false},
	{"sandbox_policy", NULL, NULL, false},
	{"user_instructions", NULL, NULL, false},
	{"developer_instructions", NULL, NULL, false},
	{"truncation_policy", NULL, NULL, false},
	{"permission_profile", NULL, NULL, false},
	{"base_instructions", NULL, NULL, false},
	/* a compacted record's history (3 % of rollouts: kato keeps its
	 * summary), an exec_command_end's parsed command, and settings of a
	 * turn_context never looked for */
	{"replacement_history", NULL, NULL, false},
	{"parsed_cmd", NULL, NULL, true},
	{"approval_policy", NULL, NULL, true},
	{"current_date", NULL, NULL, true},
	{"personality", NULL, NULL, true},
	{NULL, NULL, NULL, false},
};
static const struct pj_unread cx_unread[] = {
	{"payload", NULL, cx_payload_unread, false},
	{NULL, NULL, NULL, false},
};

static int cx_parse_line(void *state, const char *line, size_t len)
{
	struct cx_state *st = state;
	size_t k = 0;
	while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
		k++;
	if (k == len)
		return 0; /* a blank line: nothing to read */
	struct json_object *o = pj_parse_lean(&st->tok, line, len, cx_unread);
	if (!o)
		return 1;
	if (json_object_is_type(o, json_type_object))
		cx_record(st, o, line, len);
	else
		st->host->count(st->ctx, "not-object");
	json_object_put(o);
	return 0;
}

/* TypeScript codex: {session: {timestamp, id, instructions}, items: [...]}
 * rewritten whole; every call re-reads it from a clean state. */
static int cx_parse_document(void *state, const char *buf, size_t len)
{
	struct cx_state *st = state;
	struct json_object *o = pj_parse(buf, len);
	if (!o)
		return 1;
	struct json_object *session = pj_obj(o, "session"), *items = pj_arr(o, "items");
	if (!session && !items) {
		json_object_put(o);
		return -1;
	}
	cx_forget(st);
	if (session) {
		const char *text = pj_text(session);
		cx_record(st, session, text, strlen(text));
	}
	size_t n = items ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		if (!json_object_is_type(it, json_type_object)) {
			st->host->count(st->ctx, "not-object");
			continue;
		}
		/* the item's text plus its position: identical items stay apart */
		struct pj_buf raw = {0};
		char pos[32];
		snprintf(pos, sizeof pos, "#%zu:", i);
		pj_adds(&raw, pos);
		pj_adds(&raw, pj_text(it));
		cx_record(st, it, raw.p, raw.len);
		pj_free(&raw);
	}
	cx_held_emit(st);
	json_object_put(o);
	return 0;
}

static int cx_save_state(void *state, const void **blob, size_t *blob_len)
{
	struct cx_state *st = state;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(CX_BLOB_VERSION));
	const char *key;
	char **f;
	for (size_t i = 0; (f = cx_blob_field(st, i, &key)); i++)
		if (*f)
			json_object_object_add(o, key, json_object_new_string(*f));
	if (st->have_meta)
		json_object_object_add(o, "meta", json_object_new_boolean(1));
	if (st->batch)
		json_object_object_add(o, "batch", json_object_new_boolean(1));
	if (st->subagent)
		json_object_object_add(o, "sub", json_object_new_boolean(1));
	if (st->has_e_user)
		json_object_object_add(o, "eu", json_object_new_boolean(1));
	if (st->has_i_user)
		json_object_object_add(o, "iu", json_object_new_boolean(1));
	if (st->e_expected)
		json_object_object_add(o, "ee", json_object_new_boolean(1));
	if (st->turn_answered)
		json_object_object_add(o, "ta", json_object_new_boolean(1));
	if (st->held.on) {
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "id", json_object_new_string(st->held.id));
		json_object_object_add(h, "text", json_object_new_string_len(st->held.text, (int)st->held.text_len));
		if (st->held.ts)
			json_object_object_add(h, "ts", json_object_new_string(st->held.ts));
		if (st->held.turn)
			json_object_object_add(h, "turn", json_object_new_string(st->held.turn));
		if (st->held.pid)
			json_object_object_add(h, "pid", json_object_new_string(st->held.pid));
		json_object_object_add(o, "held", h);
	}
	/* oldest first, so a reload refills the ring in the same order */
	struct pj_buf seen = {0};
	for (size_t i = 0; i < st->nseen; i++) {
		const struct cx_seen *e = &st->seen[st->nseen < CX_SEEN ? i : (st->seen_pos + i) % CX_SEEN];
		char hex[33];
		snprintf(hex, sizeof hex, "%016" PRIx64 "%04x%04x%04x%04x", e->key, e->n[0], e->n[1], e->n[2],
			 e->n[3]);
		pj_add(&seen, hex, 32);
	}
	if (seen.len)
		json_object_object_add(o, "seen", json_object_new_string(seen.p));
	pj_free(&seen);
	if (st->nrui) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < st->nrui; i++) {
			struct json_object *e = json_object_new_object();
			json_object_object_add(e, "call", json_object_new_string(st->rui[i].call_id));
			json_object_object_add(e, "event", json_object_new_string(st->rui[i].event_id));
			json_object_object_add(e, "q", json_object_new_string(st->rui[i].questions));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "rui", a);
	}
	pj_reset(&st->blob);
	pj_adds(&st->blob, pj_text(o));
	json_object_put(o);
	*blob = st->blob.p;
	*blob_len = st->blob.len;
	return 0;
}

/* Idle file: a held user message had no event_msg copy after all. */
static void cx_flush(void *state)
{
	cx_held_emit(state);
}

static void cx_reset(void *state)
{
	cx_forget(state);
}

static void cx_close_file(void *state)
{
	struct cx_state *st = state;
	if (!st)
		return;
	cx_forget(st);
	free(st->file_sid);
	if (st->tok) /* json-c 0.16 does not take NULL */
		json_tokener_free(st->tok);
	pj_free(&st->blob);
	free(st);
}

static const struct kato_provider_desc cx_desc = {
	.abi_major = KATO_PROVIDER_ABI_MAJOR,
	.abi_minor = KATO_PROVIDER_ABI_MINOR,
	.struct_size = sizeof(struct kato_provider_desc),
	.name = "codex",
	.version = "1.0",
	.description = "OpenAI Codex CLI rollouts (rollout-*.jsonl, .jsonl.zst, legacy rollout-*.json)",
	.default_roots = "${CODEX_HOME:-~/.codex}/sessions\n${CODEX_HOME:-~/.codex}/archived_sessions",
	.match_path = cx_match_path,
	.open_file = cx_open_file,
	.parse_line = cx_parse_line,
	.parse_document = cx_parse_document,
	.save_state = cx_save_state,
	.flush = cx_flush,
	.reset = cx_reset,
	.close_file = cx_close_file,
	.probe = cx_probe,
};

KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void)
{
	return &cx_desc;
}
