/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claude: provider for Claude Code transcripts (provider-formats §1,
 * ref §1.2).
 *
 *   <root>/<slug>/<sessionId>.jsonl                 main session (LINES)
 *   <root>/<slug>/agent-<id>.jsonl                  2.0.x sub-agent (LINES)
 *   <root>/<slug>/<sessionId>/subagents/.../agent-*.jsonl  2.1.x sub-agent
 *   any other *.jsonl                               weak claim
 *   journal.jsonl, *.meta.json, everything else     not ours
 *
 * Every line is one JSON object with a `type`. Conversation lines (user,
 * assistant, system) become events as in ref §1.2: event ids
 * "<uuid>:<kind>[:i]", i the per-kind index inside the line; the text
 * cleaning (ANSI, <ide_*>/<system-reminder> blocks, JS trim) and
 * normalizeText are the reference's. Where we go further:
 *
 *  - Sidechain lines (isSidechain, and every line of an agent-*.jsonl file)
 *    are parsed like the rest and flagged KATO_EVENT_SIDECHAIN.
 *  - message.user is KATO_EVENT_HUMAN only for text a person typed into the
 *    prompt. isMeta lines, slash-command wrappers (<command-name>,
 *    <command-message>, <command-args>, <local-command-*>), the local
 *    command caveat, bash-mode wrappers (<bash-input>, <bash-stdout>,
 *    <bash-stderr>), <task-notification>, and the interrupt notices
 *    "[Request interrupted by user...]" (written by Claude Code when the
 *    user presses Esc, not typed) are KATO_EVENT_INJECTED instead.
 *  - Compaction: system compact_boundary -> "compaction" (trigger,
 *    preTokens); the isCompactSummary user line after it -> "compaction"
 *    carrying the summary text (INJECTED) instead of a message.user;
 *    microcompact_boundary -> "compaction" with trigger "micro".
 *  - Other system lines -> provider.info (subtype, level, text from the
 *    top-level `content`, message.content, or a short error text for
 *    api_error/error); those with no text (turn_duration, most
 *    stop_hook_summary, session_start) are counted as "system:<subtype>".
 *  - redacted_thinking parts are counted, not turned into invented text;
 *    `fallback` parts count as text when they carry text, else are counted;
 *    image parts are counted ("image").
 *  - Metadata records: custom-title > ai-title > summary > agent-name give
 *    the session title; the rest are counted by type, unknown ones as
 *    "unknown:<type>".
 *
 * Dedupe of assistant blocks. Claude Code writes one API response as
 * several lines (one block each, same message.id, own uuid), and some
 * writers repeat a block already written for that message. Event ids stay
 * the reference's (per line), so a repeated block would get a new id and
 * pass the store's fingerprint dedupe. Ids built from message.id plus block
 * index would not work either: split lines each hold "block 0". So the
 * parser remembers a hash of (message.id, block kind, block content) for
 * the most recent CL_SEEN blocks and skips a block it has already emitted
 * for the same message.id. Event ids and indexes are computed before that
 * check, so they do not depend on what was skipped. The memory is part of
 * the saved state, so a restart between two copies still skips the second.
 */
#include "kato/provider.h"
#include "pjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CL_SEEN 512 /* remembered (message.id, block) hashes */
#define CL_BLOB_VERSION 1
#define CL_PSUM 16 /* summary records waiting for their leaf message */

struct cl_state {
	const struct kato_host *host;
	void *ctx;
	struct json_tokener *tok; /* for every line of the file */
	char *file_sid;  /* basename without .jsonl */
	bool agent_name; /* named agent-*.jsonl */
	bool uuid_name;  /* named <uuid>.jsonl, Claude Code's name for a main file */
	/* An agent transcript (every line is a sidechain): by its name, or
	 * when its first conversation node is a sidechain with an agentId. */
	bool agent_file;
	/* The provider session id (see cl_learn_sid); NULL until known. */
	char *sid;

	/* Session facts as last sent to host->session(). */
	bool named;
	bool dirty; /* a fact changed since the last session() call */
	char *parent, *cwd, *model, *started;
	char *t_custom, *t_ai, *t_summary, *t_agent; /* title candidates */
	char *title;                                 /* the one sent */

	/* A compact_boundary was seen; its summary line may follow. */
	bool pending_summary;
	char *pending_trigger;

	/* A summary record titles the session only when its leafUuid is a
	 * message of this file; until that message is read it waits here
	 * (saved in the blob). uuids: hashes of the message uuids read since
	 * the file was opened (not saved: a summary whose leaf was read before
	 * a restart is not used; the title falls back to the typed message). */
	char *ps_leaf[CL_PSUM], *ps_text[CL_PSUM];
	size_t nps;
	uint64_t *uuids;
	size_t nuuids, capuuids;

	/* Ring of emitted assistant block hashes, oldest at seen_pos when full. */
	uint64_t seen[CL_SEEN];
	size_t nseen, seen_pos;

	struct pj_buf blob; /* save_state output */
};

/* One line being turned into events. */
struct cl_line {
	struct cl_state *st;
	struct json_object *o;
	const char *type;
	const char *uuid;   /* NULL when the line has none */
	const char *idbase; /* uuid, or "line-<hash>" */
	const char *ts;
	uint32_t flags; /* OR'd into every event: SIDECHAIN */
	char idbuf[32];
};

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static char *cl_dup(const char *s)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

/* Replace *dst with a copy of v when v is a non-empty string that differs;
 * true when it changed. */
static bool cl_set(char **dst, const char *v)
{
	if (!v || !*v || (*dst && !strcmp(*dst, v)))
		return false;
	free(*dst);
	*dst = cl_dup(v);
	return true;
}

static uint64_t cl_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	h ^= 0xff; /* separator: ("ab","c") != ("a","bc") */
	return h * 0x100000001b3ull;
}

static uint64_t cl_fnvs(uint64_t h, const char *s)
{
	return cl_fnv(h, s ? s : "", s ? strlen(s) : 0);
}

static bool cl_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool cl_ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Member `key` of obj of any type, or NULL. */
static struct json_object *cl_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* ------------------------------------------------------------------ */
/* text: ANSI, injected tags, JS trim, normalizeText                    */

/* Decode the code point at s (NUL-terminated); *len gets its byte length
 * (1 for an invalid byte, which is returned as -1). */
static int32_t cl_u8(const unsigned char *s, size_t *len)
{
	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	size_t need;
	int32_t cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return -1;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*len = need;
	return cp;
}

/* Append s[0..n) without ANSI CSI sequences (ESC '[' [0-9;]* letter). */
static void cl_strip_ansi(struct pj_buf *out, const char *s, size_t n)
{
	const char *end = s + n;
	const char *run = s;
	const char *p = s;
	while ((p = memchr(p, '\x1b', (size_t)(end - p)))) {
		const char *q = p + 1;
		if (q == end || *q != '[') {
			p = q;
			continue;
		}
		q++;
		while (q < end && ((*q >= '0' && *q <= '9') || *q == ';'))
			q++;
		if (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) {
			pj_add(out, run, (size_t)(p - run));
			run = p = q + 1;
		} else {
			p = q;
		}
	}
	pj_add(out, run, (size_t)(end - run));
}

static const char *const cl_tag_open[] = {"<ide_opened_file>", "<ide_selection>", "<system-reminder>"};
static const char *const cl_tag_close[] = {"</ide_opened_file>", "</ide_selection>", "</system-reminder>"};
#define CL_NTAGS 3

/* Next occurrence of each needle at or after `from`, cached in pos[] so the
 * whole scan stays linear (a NULL entry means "no more"). */
static const char *cl_next(const char *const *needles, const char **pos, bool *done, const char *from,
			   const char *end)
{
	const char *best = NULL;
	for (int i = 0; i < CL_NTAGS; i++) {
		if (!done[i] && (!pos[i] || pos[i] < from)) {
			pos[i] = pj_find(from, (size_t)(end - from), needles[i]);
			done[i] = !pos[i];
		}
		if (!done[i] && (!best || pos[i] < best))
			best = pos[i];
	}
	return best;
}

/* Append s[0..n) with every <ide_opened_file|ide_selection|system-reminder>
 * ... </any of the three> block removed (non-greedy, across newlines). */
static void cl_strip_tags(struct pj_buf *out, const char *s, size_t n)
{
	const char *end = s + n;
	const char *opos[CL_NTAGS] = {0}, *cpos[CL_NTAGS] = {0};
	bool odone[CL_NTAGS] = {0}, cdone[CL_NTAGS] = {0};
	const char *p = s;
	for (;;) {
		const char *open = cl_next(cl_tag_open, opos, odone, p, end);
		if (!open)
			break;
		size_t olen = 0;
		for (int i = 0; i < CL_NTAGS; i++)
			if (opos[i] == open)
				olen = strlen(cl_tag_open[i]);
		const char *close = cl_next(cl_tag_close, cpos, cdone, open + olen, end);
		if (!close)
			break;
		size_t clen = 0;
		for (int i = 0; i < CL_NTAGS; i++)
			if (cpos[i] == close)
				clen = strlen(cl_tag_close[i]);
		pj_add(out, p, (size_t)(open - p));
		p = close + clen;
	}
	pj_add(out, p, (size_t)(end - p));
}

/* The reference's cleaning of s[0..n) (NUL-terminated there): ANSI, tag
 * blocks, JS trim. The result is [*rp, *rp + *rn), NUL-terminated after:
 * a view into s when nothing but leading space goes, else a copy in *out
 * (reset first). A huge text is then held once, by the parsed line. */
static void cl_clean_view(struct pj_buf *out, const char *s, size_t n, const char **rp, size_t *rn)
{
	struct pj_buf a = {0}, b = {0};
	const char *s0 = s;
	pj_reset(out);
	if (memchr(s, '\x1b', n)) {
		cl_strip_ansi(&a, s, n);
		s = pj_cstr(&a);
		n = a.len;
	}
	bool tags = false;
	for (int i = 0; i < CL_NTAGS && !tags; i++)
		tags = pj_find(s, n, cl_tag_open[i]) != NULL;
	if (tags) {
		cl_strip_tags(&b, s, n);
		pj_free(&a);
		s = pj_cstr(&b);
		n = b.len;
	}
	size_t from, to;
	pj_trim_bounds(s, n, &from, &to);
	if (s == s0 && to == n) {
		*rp = s + from;
		*rn = to - from;
	} else {
		pj_add(out, s + from, to - from);
		*rp = pj_cstr(out);
		*rn = out->len;
	}
	pj_free(&a);
	pj_free(&b);
}

/* cl_clean_view, always into *out. */
static void cl_clean(struct pj_buf *out, const char *s, size_t n)
{
	const char *p;
	size_t k;
	cl_clean_view(out, s, n, &p, &k);
	if (p != out->p)
		pj_add(out, p, k);
}

/* Is this (cleaned) user text something Claude Code wrote rather than
 * the person? */
static bool cl_injected_text(const char *s)
{
	static const char *const prefixes[] = {
		"<command-name>", "<command-message>", "<command-args>",
		"<local-command-stdout>", "<local-command-stderr>", "<local-command-caveat>",
		"Caveat: The messages below were generated by the user while running local commands",
		"[Request interrupted by user", "<bash-input>", "<bash-stdout>", "<bash-stderr>",
		"<task-notification>", "<user-prompt-submit-hook>",
	};
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (cl_starts(s, prefixes[i]))
			return true;
	return false;
}

/* extractText for user content (string or text blocks), joined with
 * "\n\n", as [*tp, *tp + *tn): a view into content for one piece with
 * nothing to clean (see cl_clean_view), else in *out. *injected is set
 * when any piece looks injected; image and unknown parts are counted. */
static void cl_user_text(struct cl_state *st, struct json_object *content, struct pj_buf *out,
			 const char **tp, size_t *tn, bool *injected)
{
	struct pj_buf piece = {0};
	pj_reset(out);
	*tp = "";
	*tn = 0;
	*injected = false;
	size_t n;
	const char *s = pj_sval(content, &n);
	if (s) {
		cl_clean_view(out, s, n, tp, tn);
		*injected = cl_injected_text(*tp);
		return;
	}
	if (!json_object_is_type(content, json_type_array))
		return;
	n = json_object_array_length(content);
	size_t pieces = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *blk = json_object_array_get_idx(content, i);
		const char *t = pj_str(blk, "type");
		if (!t) {
			st->host->count(st->ctx, "part:malformed");
			continue;
		}
		if (!strcmp(t, "text")) {
			size_t tl, pn;
			const char *txt = pj_strn(blk, "text", &tl), *pp;
			if (!txt)
				continue;
			cl_clean_view(&piece, txt, tl, &pp, &pn);
			if (!pn)
				continue;
			if (cl_injected_text(pp))
				*injected = true;
			if (!pieces++) {
				/* the first piece stays where it is (a cleaned copy
				 * moves to out) */
				if (pp == piece.p) {
					struct pj_buf tmp = *out;
					*out = piece;
					piece = tmp;
				}
				*tp = pp;
				*tn = pn;
				continue;
			}
			if (*tp != out->p)
				pj_add(out, *tp, *tn);
			pj_adds(out, "\n\n");
			pj_add(out, pp, pn);
			*tp = out->p;
			*tn = out->len;
		} else if (!strcmp(t, "image")) {
			st->host->count(st->ctx, "image");
		} else if (strcmp(t, "tool_result") != 0) {
			char what[96];
			snprintf(what, sizeof what, "part:%s", t);
			st->host->count(st->ctx, what);
		}
	}
	pj_free(&piece);
}

/* String(v) as JavaScript would print it, appended to out. */
static void cl_js_string(struct pj_buf *out, struct json_object *v)
{
	if (!v) {
		pj_adds(out, "null");
	} else if (json_object_is_type(v, json_type_string)) {
		size_t n;
		const char *s = pj_sval(v, &n);
		pj_add(out, s, n);
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			if (i)
				pj_adds(out, ",");
			struct json_object *e = json_object_array_get_idx(v, i);
			if (e) /* null and undefined print as "" inside arrays */
				cl_js_string(out, e);
		}
	} else if (json_object_is_type(v, json_type_object)) {
		pj_adds(out, "[object Object]");
	} else {
		pj_adds(out, pj_text(v));
	}
}

/* ------------------------------------------------------------------ */
/* session facts                                                        */

static const char *cl_title(const struct cl_state *st)
{
	if (st->t_custom)
		return st->t_custom;
	if (st->t_ai)
		return st->t_ai;
	if (st->t_summary)
		return st->t_summary;
	return st->t_agent;
}

/* Does s look like an ISO-8601 date-time ("YYYY-MM-DDT...")? */
static bool cl_iso(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[4] == '-' && s[5] >= '0' && s[5] <= '9';
}

/* Wait for the leaf of summary `text` (the oldest waiting one gives way). */
static void cl_summary_wait(struct cl_state *st, const char *leaf, const char *text)
{
	if (st->nps == CL_PSUM) {
		free(st->ps_leaf[0]);
		free(st->ps_text[0]);
		memmove(st->ps_leaf, st->ps_leaf + 1, (CL_PSUM - 1) * sizeof *st->ps_leaf);
		memmove(st->ps_text, st->ps_text + 1, (CL_PSUM - 1) * sizeof *st->ps_text);
		st->nps--;
	}
	st->ps_leaf[st->nps] = strdup(leaf);
	st->ps_text[st->nps] = strdup(text);
	if (st->ps_leaf[st->nps] && st->ps_text[st->nps]) {
		st->nps++;
	} else {
		free(st->ps_leaf[st->nps]);
		free(st->ps_text[st->nps]);
	}
}

/* A summary record: its title counts only if its leaf is ours. */
static void cl_summary(struct cl_state *st, const char *leaf, const char *text)
{
	if (!leaf || !text)
		return;
	uint64_t h = cl_fnvs(0xcbf29ce484222325ull, leaf);
	for (size_t i = 0; i < st->nuuids; i++)
		if (st->uuids[i] == h) {
			cl_set(&st->t_summary, text);
			return;
		}
	cl_summary_wait(st, leaf, text);
}

/* A message uuid of this file: remember it, and take the summary that
 * was waiting for it. */
static void cl_message_uuid(struct cl_state *st, const char *uuid)
{
	if (!uuid || !*uuid)
		return;
	if (st->nuuids == st->capuuids) {
		size_t cap = st->capuuids ? st->capuuids * 2 : 256;
		uint64_t *v = realloc(st->uuids, cap * sizeof *v);
		if (!v)
			return;
		st->uuids = v;
		st->capuuids = cap;
	}
	st->uuids[st->nuuids++] = cl_fnvs(0xcbf29ce484222325ull, uuid);
	for (size_t i = 0; i < st->nps; i++) {
		if (strcmp(st->ps_leaf[i], uuid) != 0)
			continue;
		cl_set(&st->t_summary, st->ps_text[i]);
		free(st->ps_leaf[i]);
		free(st->ps_text[i]);
		memmove(st->ps_leaf + i, st->ps_leaf + i + 1, (st->nps - i - 1) * sizeof *st->ps_leaf);
		memmove(st->ps_text + i, st->ps_text + i + 1, (st->nps - i - 1) * sizeof *st->ps_text);
		st->nps--;
		i--;
	}
}

/* The session a file belongs to, whatever the file is called now (a
 * renamed copy must land in the same session): agent-<id>.jsonl and
 * <uuid>.jsonl keep their names (Claude Code names them by agent id and
 * session id); any other file takes it from its first conversation node:
 * "agent-<agentId>" (an agent transcript, child of sessionId) when that
 * node is a sidechain with an agentId, else its sessionId; a node without
 * a sessionId falls back to the file name. */
static void cl_learn_sid(struct cl_state *st, struct json_object *o)
{
	if (st->sid || !pj_str(o, "uuid"))
		return;
	const char *sid = pj_str(o, "sessionId"), *agent = pj_str(o, "agentId");
	if (!sid || !*sid) {
		cl_set(&st->sid, st->file_sid);
	} else if (pj_bool(o, "isSidechain", false) && agent && *agent) {
		char *a = malloc(strlen(agent) + 7);
		if (!a)
			return;
		strcpy(a, "agent-");
		strcat(a, agent);
		st->sid = a;
		st->agent_file = true;
	} else {
		cl_set(&st->sid, sid);
	}
	st->dirty = true;
}

/* Take the session facts a line carries. */
static void cl_take_facts(struct cl_state *st, struct json_object *o, const char *type)
{
	cl_learn_sid(st, o);
	bool side = st->agent_file || pj_bool(o, "isSidechain", false);
	if (st->agent_file && !st->parent && cl_set(&st->parent, pj_str(o, "sessionId")))
		st->dirty = true;
	if (!st->cwd && cl_set(&st->cwd, pj_str(o, "cwd")))
		st->dirty = true;
	const char *ts = pj_str(o, "timestamp");
	if (!st->started && ts && cl_iso(ts) && cl_set(&st->started, ts))
		st->dirty = true;
	if (!strcmp(type, "assistant") && (!side || st->agent_file)) {
		const char *m = pj_str(pj_obj(o, "message"), "model");
		if (m && strcmp(m, "<synthetic>") != 0 && cl_set(&st->model, m))
			st->dirty = true;
	}
	if (!strcmp(type, "summary"))
		cl_summary(st, pj_str(o, "leafUuid"), pj_str(o, "summary"));
	else
		cl_message_uuid(st, pj_str(o, "uuid"));
	if (!strcmp(type, "custom-title"))
		cl_set(&st->t_custom, pj_str(o, "customTitle"));
	else if (!strcmp(type, "ai-title"))
		cl_set(&st->t_ai, pj_str(o, "aiTitle"));
	else if (!strcmp(type, "agent-name"))
		cl_set(&st->t_agent, pj_str(o, "agentName"));
	if (cl_set(&st->title, cl_title(st)))
		st->dirty = true;
}

/* Name the session (again) if it was never named or a fact changed. */
static void cl_announce(struct cl_state *st)
{
	if ((st->named && !st->dirty) || !st->sid)
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
	st->named = true;
	st->dirty = false;
}

/* ------------------------------------------------------------------ */
/* emitting                                                             */

/* "<idbase>:<kind>" or "<idbase>:<kind>:<i>" into out. */
static void cl_event_id(struct pj_buf *out, const struct cl_line *ln, const char *kind, size_t i)
{
	pj_reset(out);
	pj_adds(out, ln->idbase);
	pj_adds(out, ":");
	pj_adds(out, kind);
	if (i > 0) {
		char tmp[24];
		snprintf(tmp, sizeof tmp, ":%zu", i);
		pj_adds(out, tmp);
	}
}

/* Fill the line-level fields of ev (kind, ids, time, source) and emit it. */
static void cl_emit(const struct cl_line *ln, struct kato_event *ev, const char *kind, size_t i)
{
	struct pj_buf id = {0};
	cl_event_id(&id, ln, kind, i);
	ev->struct_size = sizeof *ev;
	ev->kind = kind;
	ev->event_id = pj_cstr(&id);
	ev->index = (uint32_t)i;
	ev->turn_id = ln->uuid;
	ev->timestamp = ln->ts;
	ev->provider_event_type = ln->type;
	ev->provider_event_id = ln->uuid;
	ev->flags |= ln->flags;
	ln->st->host->emit(ln->st->ctx, ev);
	pj_free(&id);
}

/* Has this (message id, block) been emitted already? Marks it if not.
 * Without a message id nothing is remembered and the answer is no. */
static bool cl_seen(struct cl_state *st, const char *mid, const char *tag, const char *a,
		    size_t alen, const char *b, const char *c)
{
	if (!mid)
		return false;
	uint64_t h = cl_fnvs(0xcbf29ce484222325ull, mid);
	h = cl_fnvs(h, tag);
	h = cl_fnv(h, a, alen); /* a's bytes, NULs included */
	h = cl_fnvs(h, b);
	h = cl_fnvs(h, c);
	for (size_t i = 0; i < st->nseen; i++)
		if (st->seen[i] == h)
			return true;
	if (st->nseen < CL_SEEN) {
		st->seen[st->nseen++] = h;
	} else {
		st->seen[st->seen_pos] = h;
		st->seen_pos = (st->seen_pos + 1) % CL_SEEN;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* user lines                                                           */

/* tool_result content as the reference flattens it, as [*rp, *rp + *rn):
 * a view into content for one text with no ANSI sequence in it, else in
 * *out (reset first). */
static void cl_result_text(struct pj_buf *out, struct json_object *content, const char **rp, size_t *rn)
{
	pj_reset(out);
	*rp = "";
	*rn = 0;
	size_t tn, n = 0, texts = 0;
	const char *s = pj_sval(content, &tn);
	if (s && !memchr(s, '\x1b', tn)) {
		*rp = s;
		*rn = tn;
		return;
	}
	if (s) {
		cl_strip_ansi(out, s, tn);
		*rp = pj_cstr(out);
		*rn = out->len;
		return;
	}
	if (json_object_is_type(content, json_type_array))
		n = json_object_array_length(content);
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(content, i);
		const char *t = pj_str(it, "type");
		const char *txt = pj_strn(it, "text", &tn);
		if (t && !strcmp(t, "text") && txt)
			texts++;
	}
	for (size_t i = 0, first = 1; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(content, i);
		const char *t = pj_str(it, "type");
		const char *txt = pj_strn(it, "text", &tn);
		if (!t || strcmp(t, "text") != 0 || !txt)
			continue;
		if (texts == 1 && !memchr(txt, '\x1b', tn)) {
			*rp = txt;
			*rn = tn;
			return;
		}
		if (!first)
			pj_adds(out, "\n");
		first = 0;
		cl_strip_ansi(out, txt, tn);
	}
	*rp = pj_cstr(out);
	*rn = out->len;
}

/* AskUserQuestion answers in toolUseResult -> accepted decisions. */
static void cl_answers(const struct cl_line *ln, const char *basis_json)
{
	struct json_object *tur = pj_obj(ln->o, "toolUseResult");
	struct json_object *answers = pj_obj(tur, "answers");
	if (!answers)
		return;
	struct json_object *questions = pj_arr(tur, "questions");
	struct pj_buf summary = {0}, key = {0}, id = {0};
	size_t i = 0;
	json_object_object_foreach(answers, k, v)
	{
		struct json_object *q = NULL;
		size_t nq = questions ? json_object_array_length(questions) : 0;
		for (size_t j = 0; j < nq && !q; j++) {
			struct json_object *e = json_object_array_get_idx(questions, j);
			const char *qid = pj_str(e, "id"), *qq = pj_str(e, "question");
			if ((qid && !strcmp(qid, k)) || (qq && !strcmp(qq, k)))
				q = e;
		}
		const char *qtext = pj_str(q, "question");
		pj_reset(&summary);
		pj_adds(&summary, qtext ? qtext : k);
		pj_adds(&summary, " -> ");
		cl_js_string(&summary, v);
		pj_decision_key(&key, k, i);

		struct json_object *meta = json_object_new_object();
		json_object_object_add(meta, "providerQuestionId", json_object_new_string(k));
		const char *header = pj_str(q, "header");
		if (header && *header)
			json_object_object_add(meta, "header", json_object_new_string(header));
		struct json_object *opts = pj_arr(q, "options");
		if (opts && json_object_array_length(opts) > 0) {
			struct json_object *list = json_object_new_array();
			for (size_t j = 0; j < json_object_array_length(opts); j++) {
				struct json_object *op = json_object_array_get_idx(opts, j);
				struct json_object *e = json_object_new_object();
				const char *l = pj_str(op, "label"), *d = pj_str(op, "description");
				if (l)
					json_object_object_add(e, "label", json_object_new_string(l));
				if (d)
					json_object_object_add(e, "description", json_object_new_string(d));
				json_object_array_add(list, e);
			}
			json_object_object_add(meta, "options", list);
		}
		cl_event_id(&id, ln, "decision", i);
		struct kato_event ev = {0};
		ev.decision_id = pj_cstr(&id);
		ev.decision_key = pj_cstr(&key);
		ev.summary = pj_cstr(&summary);
		ev.summary_len = summary.len;
		ev.status = "accepted";
		ev.decided_by = "user";
		ev.basis_event_ids_json = basis_json;
		ev.metadata_json = pj_text(meta);
		cl_emit(ln, &ev, "decision", i);
		json_object_put(meta);
		i++;
	}
	pj_free(&summary);
	pj_free(&key);
	pj_free(&id);
}

/* The user text is copied out of msg: free the originals now (a string
 * content, the text of text blocks), so that one huge line does not hold
 * its text twice while it is stored. *content is updated (NULL when it
 * was the string). */
static void cl_drop_texts(struct json_object *msg, struct json_object **content)
{
	if (json_object_is_type(*content, json_type_string)) {
		json_object_object_del(msg, "content");
		*content = NULL;
		return;
	}
	size_t n = json_object_is_type(*content, json_type_array) ? json_object_array_length(*content) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *blk = json_object_array_get_idx(*content, i);
		const char *t = pj_str(blk, "type");
		if (t && !strcmp(t, "text"))
			json_object_object_del(blk, "text");
	}
}

static void cl_user(struct cl_line *ln, struct json_object *msg)
{
	struct cl_state *st = ln->st;
	struct json_object *content = cl_get(msg, "content");
	struct pj_buf text = {0};
	const char *tp;
	size_t tn;
	bool injected;
	cl_user_text(st, content, &text, &tp, &tn, &injected);
	if (tn && tp == text.p)
		cl_drop_texts(msg, &content); /* copied: hold a huge text once */

	if (pj_bool(ln->o, "isCompactSummary", false)) {
		if (tn) {
			struct kato_event ev = {0};
			ev.flags = KATO_EVENT_INJECTED;
			ev.content = tp;
			ev.content_len = tn;
			ev.trigger = st->pending_summary ? st->pending_trigger : NULL;
			cl_emit(ln, &ev, "compaction", 0);
		}
		st->pending_summary = false;
		free(st->pending_trigger);
		st->pending_trigger = NULL;
	} else if (tn) {
		struct kato_event ev = {0};
		if (injected || pj_bool(ln->o, "isMeta", false))
			ev.flags = KATO_EVENT_INJECTED;
		else if (!(ln->flags & KATO_EVENT_SIDECHAIN))
			ev.flags = KATO_EVENT_HUMAN;
		ev.content = tp;
		ev.content_len = tn;
		cl_emit(ln, &ev, "message.user", 0);
	}

	/* tool results, then the answers that rest on them */
	struct json_object *basis = json_object_new_array();
	struct pj_buf result = {0}, id = {0}, callid = {0};
	size_t n = json_object_is_type(content, json_type_array) ? json_object_array_length(content) : 0;
	size_t i = 0;
	for (size_t k = 0; k < n; k++) {
		struct json_object *blk = json_object_array_get_idx(content, k);
		const char *t = pj_str(blk, "type");
		if (!t || strcmp(t, "tool_result") != 0)
			continue;
		struct json_object *tid = cl_get(blk, "tool_use_id");
		pj_reset(&callid);
		if (tid && !json_object_is_type(tid, json_type_null))
			cl_js_string(&callid, tid);
		const char *rp;
		size_t rn;
		cl_result_text(&result, cl_get(blk, "content"), &rp, &rn);
		if (rn && rp == result.p)
			json_object_object_del(blk, "content"); /* copied: free a huge one now */
		struct kato_event ev = {0};
		if (pj_bool(blk, "is_error", false))
			ev.flags = KATO_EVENT_ERROR;
		ev.tool_call_id = pj_cstr(&callid);
		ev.result = rp;
		ev.result_len = rn;
		cl_emit(ln, &ev, "tool.result", i);
		cl_event_id(&id, ln, "tool.result", i);
		json_object_array_add(basis, json_object_new_string(pj_cstr(&id)));
		i++;
	}
	cl_answers(ln, pj_text(basis));
	json_object_put(basis);
	pj_free(&result);
	pj_free(&id);
	pj_free(&callid);
	pj_free(&text);
}

/* ------------------------------------------------------------------ */
/* assistant lines                                                      */

/* Bash/Read/Edit/Write/Grep/Glob/Task description (ref §1.2) into out;
 * false when the tool has none. */
static bool cl_describe(struct pj_buf *out, const char *name, struct json_object *input)
{
	pj_reset(out);
	const char *v = NULL;
	size_t vn = 0;
	if (!strcmp(name, "Bash")) {
		v = pj_strn(input, "description", &vn);
		if (!v) {
			size_t cn;
			const char *cmd = pj_strn(input, "command", &cn);
			if (!cmd)
				return false;
			/* first 80 UTF-16 units, never splitting a code point */
			size_t off = 0, units = 0, len;
			while (off < cn && units < 80) {
				int32_t c = cl_u8((const unsigned char *)cmd + off, &len);
				size_t u = c >= 0x10000 ? 2 : 1;
				if (units + u > 80)
					break;
				units += u;
				off += len;
			}
			pj_add(out, cmd, off);
			if (off < cn)
				pj_adds(out, "...");
			return true;
		}
	} else if (!strcmp(name, "Read") || !strcmp(name, "Edit") || !strcmp(name, "Write")) {
		v = pj_strn(input, "file_path", &vn);
	} else if (!strcmp(name, "Grep") || !strcmp(name, "Glob")) {
		v = pj_strn(input, "pattern", &vn);
	} else if (!strcmp(name, "Task") || !strcmp(name, "Agent")) {
		v = pj_strn(input, "description", &vn); /* Agent: Task's later name */
	}
	if (!v)
		return false;
	pj_add(out, v, vn);
	return true;
}

/* AskUserQuestion tool_use -> proposed decisions; *k counts across the line. */
static void cl_questions(const struct cl_line *ln, struct json_object *input, const char *call_id,
			 size_t *k)
{
	struct json_object *qs = pj_arr(input, "questions");
	size_t n = qs ? json_object_array_length(qs) : 0;
	struct json_object *basis = json_object_new_array();
	json_object_array_add(basis, json_object_new_string(call_id));
	struct pj_buf key = {0}, id = {0}, text = {0};
	for (size_t j = 0; j < n; j++) {
		struct json_object *q = json_object_array_get_idx(qs, j);
		const char *raw = pj_str(q, "question");
		if (!raw)
			continue;
		size_t from, to;
		pj_trim_bounds(raw, strlen(raw), &from, &to);
		if (from == to)
			continue;
		pj_reset(&text);
		pj_add(&text, raw + from, to - from);
		pj_decision_key(&key, pj_cstr(&text), *k);
		struct json_object *meta = json_object_new_object();
		const char *header = pj_str(q, "header");
		if (header && *header)
			json_object_object_add(meta, "header", json_object_new_string(header));
		struct json_object *opts = pj_arr(q, "options");
		if (opts && json_object_array_length(opts) > 0) {
			struct json_object *list = json_object_new_array();
			for (size_t m = 0; m < json_object_array_length(opts); m++) {
				struct json_object *op = json_object_array_get_idx(opts, m);
				struct json_object *e = json_object_new_object();
				const char *l = pj_str(op, "label"), *d = pj_str(op, "description");
				if (l)
					json_object_object_add(e, "label", json_object_new_string(l));
				if (d)
					json_object_object_add(e, "description", json_object_new_string(d));
				json_object_array_add(list, e);
			}
			json_object_object_add(meta, "options", list);
		}
		struct json_object *ms = cl_get(q, "multiSelect");
		if (ms && json_object_is_type(ms, json_type_boolean))
			json_object_object_add(meta, "multiSelect",
					       json_object_new_boolean(json_object_get_boolean(ms)));
		cl_event_id(&id, ln, "decision", *k);
		struct kato_event ev = {0};
		ev.decision_id = pj_cstr(&id);
		ev.decision_key = pj_cstr(&key);
		ev.summary = pj_cstr(&text);
		ev.summary_len = text.len;
		ev.status = "proposed";
		ev.decided_by = "assistant";
		ev.basis_event_ids_json = pj_text(basis);
		ev.metadata_json = pj_text(meta);
		cl_emit(ln, &ev, "decision", *k);
		json_object_put(meta);
		(*k)++;
	}
	json_object_put(basis);
	pj_free(&key);
	pj_free(&id);
	pj_free(&text);
}

/* Add one cleaned assistant text to *all unless empty or already seen
 * (the first piece is moved, not copied: texts can be huge). */
static void cl_add_text(struct cl_state *st, const char *mid, struct pj_buf *all, struct pj_buf *piece)
{
	if (!piece->len || cl_seen(st, mid, "text", piece->p, piece->len, NULL, NULL))
		return;
	if (!all->len) {
		struct pj_buf t = *all;
		*all = *piece;
		*piece = t;
		return;
	}
	pj_adds(all, "\n\n");
	pj_add(all, piece->p, piece->len);
}

static void cl_assistant(struct cl_line *ln, struct json_object *msg)
{
	struct cl_state *st = ln->st;
	struct json_object *content = cl_get(msg, "content");
	const char *mid = pj_str(msg, "id");
	const char *model = pj_str(msg, "model");
	size_t n = json_object_is_type(content, json_type_array) ? json_object_array_length(content) : 0;
	struct pj_buf all = {0}, piece = {0};

	/* 1. text (and fallback parts that carry text) */
	size_t tn;
	const char *s = pj_sval(content, &tn);
	if (s) {
		cl_clean(&piece, s, tn);
		cl_add_text(st, mid, &all, &piece);
	}
	for (size_t k = 0; k < n; k++) {
		struct json_object *blk = json_object_array_get_idx(content, k);
		const char *t = pj_str(blk, "type");
		const char *txt = pj_strn(blk, "text", &tn);
		if (!t || !txt || (strcmp(t, "text") != 0 && strcmp(t, "fallback") != 0))
			continue;
		cl_clean(&piece, txt, tn);
		cl_add_text(st, mid, &all, &piece);
	}
	pj_normalize_text(&all);
	if (all.len) {
		struct kato_event ev = {0};
		ev.content = pj_cstr(&all);
		ev.content_len = all.len;
		ev.model = model;
		cl_emit(ln, &ev, "message.assistant", 0);
	}

	/* 2. thinking */
	size_t i = 0;
	for (size_t k = 0; k < n; k++) {
		struct json_object *blk = json_object_array_get_idx(content, k);
		const char *t = pj_str(blk, "type");
		size_t thn;
		const char *th = pj_strn(blk, "thinking", &thn);
		if (!t || strcmp(t, "thinking") != 0 || !th || !thn)
			continue;
		if (!cl_seen(st, mid, "thinking", th, thn, NULL, NULL)) {
			struct kato_event ev = {0};
			ev.content = th;
			ev.content_len = thn;
			cl_emit(ln, &ev, "thinking", i);
		}
		i++;
	}

	/* 3. tool calls (with AskUserQuestion decisions), other parts counted */
	struct pj_buf id = {0}, desc = {0}, callid = {0};
	size_t dk = 0;
	i = 0;
	for (size_t k = 0; k < n; k++) {
		struct json_object *blk = json_object_array_get_idx(content, k);
		const char *t = pj_str(blk, "type");
		if (!t) {
			st->host->count(st->ctx, "part:malformed");
			continue;
		}
		if (!strcmp(t, "text") || !strcmp(t, "thinking") ||
		    (!strcmp(t, "fallback") && pj_str(blk, "text")))
			continue;
		if (!strcmp(t, "redacted_thinking")) {
			st->host->count(st->ctx, "redacted_thinking");
			continue;
		}
		if (strcmp(t, "tool_use") != 0) {
			char what[96];
			snprintf(what, sizeof what, "part:%s", t);
			st->host->count(st->ctx, what);
			continue;
		}
		const char *name = pj_str(blk, "name");
		struct json_object *input = pj_obj(blk, "input");
		const char *bid = pj_str(blk, "id");
		const char *input_json = input ? pj_text(input) : NULL;
		cl_event_id(&id, ln, "tool.call", i);
		pj_reset(&callid);
		pj_adds(&callid, bid ? bid : pj_cstr(&id));
		if (!cl_seen(st, mid, "tool_use", pj_cstr(&callid), callid.len, name, input_json)) {
			struct kato_event ev = {0};
			ev.tool_call_id = pj_cstr(&callid);
			ev.name = name ? name : "unknown";
			ev.description = cl_describe(&desc, ev.name, input) ? pj_cstr(&desc) : NULL;
			ev.description_len = desc.len;
			ev.input_json = input_json;
			cl_emit(ln, &ev, "tool.call", i);
			if (name && !strcmp(name, "AskUserQuestion"))
				cl_questions(ln, input, pj_cstr(&id), &dk);
		} else if (name && !strcmp(name, "AskUserQuestion")) {
			/* keep k counting as if emitted, so ids stay stable */
			struct json_object *qs = pj_arr(input, "questions");
			for (size_t j = 0; qs && j < json_object_array_length(qs); j++) {
				const char *raw = pj_str(json_object_array_get_idx(qs, j), "question");
				size_t from, to;
				if (raw && (pj_trim_bounds(raw, strlen(raw), &from, &to), from < to))
					dk++;
			}
		}
		i++;
	}
	pj_free(&id);
	pj_free(&desc);
	pj_free(&callid);
	pj_free(&all);
	pj_free(&piece);
}

/* ------------------------------------------------------------------ */
/* system lines                                                         */

/* A short text for an api_error / error line into out. */
static void cl_error_text(struct pj_buf *out, struct json_object *o, const char *what)
{
	struct json_object *err = cl_get(o, "error");
	pj_reset(out);
	pj_adds(out, what);
	if (json_object_is_type(err, json_type_string)) {
		size_t n;
		pj_adds(out, ": ");
		pj_adds(out, pj_sval(err, &n));
		return;
	}
	int64_t status = pj_int(err, "status", 0);
	const char *m = pj_str(err, "message");
	if (!m)
		m = pj_str(pj_obj(pj_obj(err, "error"), "error"), "message");
	if (!m)
		m = pj_str(pj_obj(err, "error"), "message");
	if (!m)
		m = pj_str(err, "type");
	char tmp[64];
	if (status > 0) {
		snprintf(tmp, sizeof tmp, " %" PRId64, status);
		pj_adds(out, tmp);
	}
	if (m && *m) {
		pj_adds(out, ": ");
		pj_adds(out, m);
	}
	int64_t attempt = pj_int(o, "retryAttempt", 0), max = pj_int(o, "maxRetries", 0);
	if (attempt > 0 && max > 0) {
		snprintf(tmp, sizeof tmp, " (retry %" PRId64 "/%" PRId64 ")", attempt, max);
		pj_adds(out, tmp);
	}
}

static void cl_system(struct cl_line *ln)
{
	struct cl_state *st = ln->st;
	const char *sub = pj_str(ln->o, "subtype");

	if (sub && (!strcmp(sub, "compact_boundary") || !strcmp(sub, "microcompact_boundary"))) {
		bool micro = sub[0] == 'm';
		struct json_object *meta = pj_obj(ln->o, micro ? "microcompactMetadata" : "compactMetadata");
		struct kato_event ev = {0};
		ev.trigger = micro ? "micro" : pj_str(meta, "trigger");
		if (!ev.trigger)
			ev.trigger = pj_str(ln->o, "trigger");
		ev.pre_tokens = pj_int(meta, "preTokens", 0);
		cl_emit(ln, &ev, "compaction", 0);
		if (!micro) {
			st->pending_summary = true;
			free(st->pending_trigger);
			st->pending_trigger = cl_dup(ev.trigger);
		}
		return;
	}

	struct pj_buf text = {0}, raw = {0};
	bool injected;
	size_t cn;
	const char *c = pj_strn(ln->o, "content", &cn);
	if (c)
		cl_clean(&text, c, cn);
	if (!text.len) {
		const char *tp;
		size_t tn;
		cl_user_text(st, cl_get(pj_obj(ln->o, "message"), "content"), &text, &tp, &tn, &injected);
		if (tp != text.p)
			pj_add(&text, tp, tn);
	}
	if (!text.len && sub && !strcmp(sub, "api_error"))
		cl_error_text(&text, ln->o, "API error");
	else if (!text.len && sub && !strcmp(sub, "error") && cl_get(ln->o, "error"))
		cl_error_text(&text, ln->o, "Error");
	c = pj_strn(ln->o, "apiRefusalExplanation", &cn);
	if (!text.len && sub && !strcmp(sub, "api_refusal") && c)
		cl_clean(&text, c, cn);
	if (!text.len && sub && !strcmp(sub, "stop_hook_summary")) {
		const char *why = pj_strn(ln->o, "stopReason", &cn);
		if (why)
			cl_clean(&text, why, cn);
		struct json_object *errs = pj_arr(ln->o, "hookErrors");
		for (size_t k = 0; !text.len && errs && k < json_object_array_length(errs); k++) {
			pj_reset(&raw);
			cl_js_string(&raw, json_object_array_get_idx(errs, k));
			cl_clean(&text, pj_cstr(&raw), raw.len);
		}
	}
	if (text.len) {
		struct kato_event ev = {0};
		ev.content = pj_cstr(&text);
		ev.content_len = text.len;
		ev.subtype = sub ? sub : "system";
		ev.level = pj_str(ln->o, "level");
		cl_emit(ln, &ev, "provider.info", 0);
	} else {
		char what[96];
		snprintf(what, sizeof what, "system:%s", sub ? sub : "system");
		st->host->count(st->ctx, what);
	}
	pj_free(&text);
	pj_free(&raw);
}

/* ------------------------------------------------------------------ */
/* the provider interface                                               */

static enum kato_feed cl_match_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (!cl_ends(base, n, ".jsonl") || !strcmp(base, "journal.jsonl"))
		return KATO_FEED_NONE;
	if (cl_starts(base, "agent-"))
		return KATO_FEED_LINES;
	/* <uuid>.jsonl: 8-4-4-4-12 hex digits */
	bool uuid = n == 36 + 6;
	for (size_t i = 0; uuid && i < 36; i++) {
		char c = base[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		uuid = (i == 8 || i == 13 || i == 18 || i == 23) ? c == '-' : hex;
	}
	return uuid ? KATO_FEED_LINES : (enum kato_feed)(KATO_FEED_LINES | KATO_FEED_WEAK);
}

/* One of Claude Code's line types, and how much it says: 2 for a
 * conversation node (uuid and sessionId), 1 for a metadata record. */
static int cl_probe_record(struct json_object *o)
{
	static const char *const nodes[] = {"user", "assistant", "system", "progress", "attachment"};
	static const char *const meta[] = {"summary", "file-history-snapshot", "queue-operation",
					   "custom-title", "ai-title", "last-prompt", "pr-link"};
	const char *type = pj_str(o, "type");
	if (!type)
		return 0;
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
		if (!strcmp(type, nodes[i]))
			return pj_str(o, "uuid") && pj_str(o, "sessionId") ? 2 : 0;
	for (size_t i = 0; i < sizeof meta / sizeof *meta; i++)
		if (!strcmp(type, meta[i]))
			return pj_str(o, "uuid") || pj_obj(o, "payload") ? 0 : 1;
	return 0;
}

/* Claude Code writes JSONL only: sure at the first conversation node,
 * maybe on metadata records alone or on a first line too long to see
 * whole that has the node's keys. */
static enum kato_probe cl_probe(const char *head, size_t len, enum kato_feed *feed)
{
	if (pj_head_shape(head, len) != PJ_SHAPE_LINES)
		return KATO_PROBE_NO;
	int best = 0;
	size_t pos = 0, seen = 0;
	struct json_object *o;
	while (best < 2 && seen < 64 && (o = pj_head_next(head, len, &pos))) {
		int r = cl_probe_record(o);
		json_object_put(o);
		best = r > best ? r : best;
		seen++;
	}
	if (!seen && pj_head_has_key(head, len, "parentUuid") && pj_head_has_key(head, len, "sessionId"))
		best = 1;
	if (best)
		*feed = KATO_FEED_LINES;
	return (enum kato_probe)best;
}

/* Forget what was learned from the file (not its name). */
static void cl_forget(struct cl_state *st)
{
	char **strs[] = {&st->parent, &st->cwd, &st->model, &st->started, &st->t_custom,
			 &st->t_ai, &st->t_summary, &st->t_agent, &st->title, &st->pending_trigger};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	st->named = st->dirty = st->pending_summary = false;
	free(st->sid);
	st->sid = st->agent_name || st->uuid_name ? strdup(st->file_sid) : NULL;
	st->agent_file = st->agent_name;
	st->nseen = st->seen_pos = 0;
	for (size_t i = 0; i < st->nps; i++) {
		free(st->ps_leaf[i]);
		free(st->ps_text[i]);
	}
	st->nps = 0;
	free(st->uuids);
	st->uuids = NULL;
	st->nuuids = st->capuuids = 0;
}

/* Blob keys for the string facts, in one table for save and load. */
static char **cl_blob_field(struct cl_state *st, size_t i, const char **key)
{
	static const char *const keys[] = {"parent", "cwd", "model", "started", "tcustom",
					   "tai", "tsummary", "tagent", "title", "ptrigger", "sid"};
	char **fields[] = {&st->parent, &st->cwd, &st->model, &st->started, &st->t_custom,
			   &st->t_ai, &st->t_summary, &st->t_agent, &st->title, &st->pending_trigger,
			   &st->sid};
	if (i >= sizeof keys / sizeof *keys)
		return NULL;
	*key = keys[i];
	return fields[i];
}

/* Restore facts and dedupe memory from a blob; -1 if it is not ours. */
static int cl_load(struct cl_state *st, const void *blob, size_t len)
{
	struct json_object *o = pj_parse(blob, len);
	if (!o || pj_int(o, "v", 0) != CL_BLOB_VERSION) {
		json_object_put(o);
		return -1;
	}
	const char *key;
	char **f;
	for (size_t i = 0; (f = cl_blob_field(st, i, &key)); i++)
		cl_set(f, pj_str(o, key));
	st->named = pj_bool(o, "named", false);
	st->agent_file = st->agent_name || pj_bool(o, "agent", false);
	/* a cursor saved before sessions were named by their records: the
	 * session stays the one named by the file */
	if (!pj_str(o, "sid") || st->agent_name || st->uuid_name)
		cl_set(&st->sid, st->file_sid);
	st->pending_summary = pj_bool(o, "pending", false);
	struct json_object *ps = pj_arr(o, "psum");
	for (size_t i = 0; ps && i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		size_t ln, tn;
		if (!json_object_is_type(p, json_type_array))
			continue;
		const char *leaf = pj_sval(json_object_array_get_idx(p, 0), &ln);
		const char *text = pj_sval(json_object_array_get_idx(p, 1), &tn);
		if (leaf && text)
			cl_summary_wait(st, leaf, text);
	}
	const char *seen = pj_str(o, "seen");
	size_t n = seen ? strlen(seen) / 16 : 0;
	for (size_t i = 0; i < n && st->nseen < CL_SEEN; i++) {
		char hex[17];
		memcpy(hex, seen + 16 * i, 16);
		hex[16] = '\0';
		st->seen[st->nseen++] = strtoull(hex, NULL, 16);
	}
	json_object_put(o);
	return 0;
}

static int cl_open_file(const struct kato_host *host, void *ctx, const char *path, const void *blob,
			size_t blob_len, void **state)
{
	struct cl_state *st = calloc(1, sizeof *st);
	if (!st)
		return -1;
	st->host = host;
	st->ctx = ctx;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (cl_ends(base, n, ".jsonl"))
		n -= 6;
	st->file_sid = strndup(base, n);
	if (!st->file_sid) {
		free(st);
		return -1;
	}
	st->agent_name = st->agent_file = cl_starts(st->file_sid, "agent-");
	st->uuid_name = !st->agent_name && cl_match_path(path) == KATO_FEED_LINES;
	if ((st->agent_name || st->uuid_name) && !(st->sid = strdup(st->file_sid))) {
		free(st->file_sid);
		free(st);
		return -1;
	}
	if (blob && blob_len && cl_load(st, blob, blob_len) < 0) {
		host->log(ctx, KATO_LOG_WARN, "claude: saved state unreadable, starting fresh");
		cl_forget(st);
	}
	*state = st;
	return 0;
}

static void cl_count_type(struct cl_state *st, const char *type)
{
	static const char *const known[] = {
		"progress", "attachment", "queue-operation", "file-history-snapshot", "last-prompt",
		"pr-link", "mode", "permission-mode", "worktree-state", "frame-link", "relocated",
		"bridge-session", "atis-latch", "started", "result",
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		if (!strcmp(type, known[i])) {
			st->host->count(st->ctx, type);
			return;
		}
	}
	char what[128];
	snprintf(what, sizeof what, "unknown:%.100s", type);
	st->host->count(st->ctx, what);
}

/* Top-level members no part of this plugin reads: json-c is spared
 * building them (pj_parse_lean). They are a good half of real logs: an
 * Edit's toolUseResult holds the whole file before the edit, a Read's the
 * file read, a progress record's data a sub-agent's messages. A
 * toolUseResult with AskUserQuestion answers is read (cl_answers). */
/* a thinking block's signature: 3 % of the bytes of real logs */
static const struct pj_unread cl_block_unread[] = {
	{"signature", NULL, NULL, true},
	{NULL, NULL, NULL, false},
};
static const struct pj_unread cl_message_unread[] = {
	{"usage", NULL, NULL, false}, /* token counts: a tenth of an assistant line */
	{"content", NULL, cl_block_unread, false},
	{"role", NULL, NULL, true},
	{"stop_reason", NULL, NULL, true},
	{"stop_sequence", NULL, NULL, true},
	{NULL, NULL, NULL, false},
};
static const struct pj_unread cl_unread[] = {
	{"toolUseResult", "\"answers\"", NULL, false},
	{"data", NULL, NULL, false},
	{"snapshot", NULL, NULL, false},
	{"message", NULL, cl_message_unread, false},
	/* never looked for (no such name in this file): a dozen short
	 * members on every line, each a key, an entry and a value to json-c,
	 * 8 % of a backfill's time */
	{"gitBranch", NULL, NULL, true},
	{"slug", NULL, NULL, true},
	{"requestId", NULL, NULL, true},
	{"userType", NULL, NULL, true},
	{"version", NULL, NULL, true},
	{"toolUseID", NULL, NULL, true},
	{"parentToolUseID", NULL, NULL, true},
	{"sourceToolAssistantUUID", NULL, NULL, true},
	{"messageId", NULL, NULL, true},
	{"hookInfos", NULL, NULL, true},
	{"thinkingMetadata", NULL, NULL, true},
	{"permissionMode", NULL, NULL, true},
	{"entrypoint", NULL, NULL, true},
	{"promptId", NULL, NULL, true},
	{NULL, NULL, NULL, false},
};

static int cl_parse_line(void *state, const char *line, size_t len)
{
	struct cl_state *st = state;
	struct json_object *o = pj_parse_lean(&st->tok, line, len, cl_unread);
	if (!o)
		return 1;
	const char *type = pj_str(o, "type");
	if (!type) {
		st->host->count(st->ctx, "malformed");
		json_object_put(o);
		return 0;
	}
	cl_take_facts(st, o, type);
	cl_announce(st);

	struct cl_line ln = {.st = st, .o = o, .type = type};
	ln.uuid = pj_str(o, "uuid");
	if (ln.uuid && !*ln.uuid)
		ln.uuid = NULL;
	if (ln.uuid) {
		ln.idbase = ln.uuid;
	} else {
		snprintf(ln.idbuf, sizeof ln.idbuf, "line-%016" PRIx64, pj_hash64(line, len));
		ln.idbase = ln.idbuf;
	}
	ln.ts = pj_str(o, "timestamp");
	if (st->agent_file || pj_bool(o, "isSidechain", false))
		ln.flags = KATO_EVENT_SIDECHAIN;

	bool user = !strcmp(type, "user"), assistant = !strcmp(type, "assistant");
	if (user || assistant) {
		struct json_object *msg = pj_obj(o, "message");
		if (!msg)
			st->host->count(st->ctx, "malformed");
		else if (user)
			cl_user(&ln, msg);
		else
			cl_assistant(&ln, msg);
	} else if (!strcmp(type, "system")) {
		cl_system(&ln);
	} else if (strcmp(type, "summary") != 0 && strcmp(type, "custom-title") != 0 &&
		   strcmp(type, "ai-title") != 0 && strcmp(type, "agent-name") != 0) {
		cl_count_type(st, type);
	}
	json_object_put(o);
	return 0;
}

static int cl_save_state(void *state, const void **blob, size_t *blob_len)
{
	struct cl_state *st = state;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(CL_BLOB_VERSION));
	json_object_object_add(o, "named", json_object_new_boolean(st->named));
	if (st->agent_file && !st->agent_name)
		json_object_object_add(o, "agent", json_object_new_boolean(1));
	if (st->pending_summary)
		json_object_object_add(o, "pending", json_object_new_boolean(1));
	const char *key;
	char **f;
	for (size_t i = 0; (f = cl_blob_field(st, i, &key)); i++)
		if (*f)
			json_object_object_add(o, key, json_object_new_string(*f));
	if (st->nps) {
		struct json_object *ps = json_object_new_array();
		for (size_t i = 0; i < st->nps; i++) {
			struct json_object *p = json_object_new_array();
			json_object_array_add(p, json_object_new_string(st->ps_leaf[i]));
			json_object_array_add(p, json_object_new_string(st->ps_text[i]));
			json_object_array_add(ps, p);
		}
		json_object_object_add(o, "psum", ps);
	}
	/* oldest first, so a reload refills the ring in the same order */
	struct pj_buf seen = {0};
	for (size_t i = 0; i < st->nseen; i++) {
		char hex[17];
		size_t at = st->nseen < CL_SEEN ? i : (st->seen_pos + i) % CL_SEEN;
		snprintf(hex, sizeof hex, "%016" PRIx64, st->seen[at]);
		pj_add(&seen, hex, 16);
	}
	if (seen.len)
		json_object_object_add(o, "seen", json_object_new_string(pj_cstr(&seen)));
	pj_free(&seen);
	pj_reset(&st->blob);
	pj_adds(&st->blob, pj_text(o));
	json_object_put(o);
	*blob = st->blob.p;
	*blob_len = st->blob.len;
	return 0;
}

static void cl_reset(void *state)
{
	cl_forget(state);
}

static void cl_close_file(void *state)
{
	struct cl_state *st = state;
	if (!st)
		return;
	cl_forget(st);
	free(st->file_sid);
	free(st->sid);
	if (st->tok) /* json-c 0.16 does not take NULL */
		json_tokener_free(st->tok);
	pj_free(&st->blob);
	free(st);
}

static const struct kato_provider_desc cl_desc = {
	.abi_major = KATO_PROVIDER_ABI_MAJOR,
	.abi_minor = KATO_PROVIDER_ABI_MINOR,
	.struct_size = sizeof(struct kato_provider_desc),
	.name = "claude",
	.version = "1.0",
	.description = "Claude Code transcripts (<session>.jsonl, agent-*.jsonl)",
	.default_roots = "${CLAUDE_CONFIG_DIR:-~/.claude}/projects",
	.match_path = cl_match_path,
	.open_file = cl_open_file,
	.parse_line = cl_parse_line,
	.parse_document = NULL,
	.save_state = cl_save_state,
	.flush = NULL,
	.reset = cl_reset,
	.close_file = cl_close_file,
	.probe = cl_probe,
};

KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void)
{
	return &cl_desc;
}
