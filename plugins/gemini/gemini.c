/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemini: provider for Gemini CLI chat recordings (provider-formats §3,
 * ref §1.4).
 *
 *   ~/.gemini/tmp/<hash|slug>/chats/session-*.json   whole object, rewritten
 *                                                    in place (DOCUMENT)
 *   ~/.gemini/tmp/<hash|slug>/chats/session-*.jsonl  0.39+, append-only
 *                                                    records (LINES)
 *   .../chats/<parentSessionId>/<id>.json[l]         subagent sessions
 *
 * Both formats feed one model: an ordered "current list" of messages keyed
 * by message id. A document replaces the list; a JSONL message record
 * replaces the entry with its id (first position kept) or appends; a
 * $set.messages checkpoint replaces the list; $rewindTo truncates it.
 *
 * Finality. A message reaches the host only in its final form:
 *   - a message followed by another one in the list is final;
 *   - the last message is final when it is user/info/error/warning (or of
 *     a type that does not stream), or a gemini message that carries a
 *     `tokens` object and whose toolCalls are all in a terminal status
 *     (success/error/cancelled; a call without status counts as terminal
 *     once it holds result or resultDisplay);
 *   - otherwise it is held back until flush() (file idle), until a later
 *     document/line shows it final, or until it is rewound/replaced away
 *     (then it is emitted as it stood: nothing is dropped).
 *
 * Dedupe. Event ids are "<sessionId>:<messageKey>:<kind>[:<j>]", built
 * from the session id and message id only, so a session seen as .json under
 * a hash dir, under a slug dir and as .jsonl yields identical events. The
 * state remembers, per message key, the hash of the message's JSON text
 * (to skip unchanged messages cheaply) and, per emitted event, a hash of its
 * base id and of its full content. Re-parsing emits only events not emitted
 * before. An event whose base id was emitted with different content (a
 * message changed after it was final) is emitted again as
 * "<base id>:r<rev>" and logged at debug level, except inside a $set
 * checkpoint, where history rewritten by the CLI (compression, output
 * masking) is counted ("checkpoint-rewritten") instead of re-emitted.
 */
#include "kato/provider.h"
#include "pjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define GM_EPOCH "1970-01-01T00:00:00.000Z"
#define GM_MAGIC "KGM1"

/* ------------------------------------------------------------------ */
/* small allocation and string helpers                                  */

static void *gm_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void *gm_grow(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* Copy of s (NULL stays NULL); caller frees. */
static char *gm_dup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *p = gm_alloc(n + 1);
	memcpy(p, s, n);
	return p;
}

static char *gm_dupn(const char *s, size_t n)
{
	char *p = gm_alloc(n + 1);
	memcpy(p, s, n);
	return p;
}

/* Replace *dst with a copy of v; true when the value changed. */
static bool gm_set(char **dst, const char *v)
{
	if (!v || (*dst && !strcmp(*dst, v)))
		return false;
	free(*dst);
	*dst = gm_dup(v);
	return true;
}

/* gm_fnv of a buffer's bytes, NULs included (equal to gm_fnv for
 * NUL-free text, so saved hashes stay valid). */
static uint64_t gm_fnvb(uint64_t h, const struct pj_buf *b)
{
	if (!b->p) {
		h ^= 0xff;
		return h * 0x100000001b3ull;
	}
	for (size_t i = 0; i < b->len; i++) {
		h ^= (unsigned char)b->p[i];
		h *= 0x100000001b3ull;
	}
	h ^= 0xfe;
	return h * 0x100000001b3ull;
}

static uint64_t gm_fnv(uint64_t h, const char *s)
{
	if (!s) {
		h ^= 0xff;
		return h * 0x100000001b3ull;
	}
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= 0xfe; /* terminator: "ab"+"c" != "a"+"bc" */
	return h * 0x100000001b3ull;
}

/* ------------------------------------------------------------------ */
/* UTF-8: decoding, JS trim, sanitising, UTF-16 length                  */

/* Decode one code point at s[0..n); *len gets its byte length. Returns
 * -1 (with *len 1) for an invalid or truncated sequence. */
static int32_t gm_u8(const unsigned char *s, size_t n, size_t *len)
{
	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	size_t need;
	int32_t cp, min;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (n < need)
		return -1;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = need;
	return cp;
}

/* Append s[0..n) to b, replacing invalid UTF-8 with U+FFFD. A NUL is
 * kept: text is stored exactly (only Markdown shows it as U+FFFD). */
static void gm_put(struct pj_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, l;
	while (i < n) {
		int32_t c = gm_u8(u + i, n - i, &l);
		if (c >= 0) {
			i += l;
			continue;
		}
		pj_add(b, s + run, i - run);
		pj_add(b, "\xef\xbf\xbd", 3);
		i += l;
		run = i;
	}
	pj_add(b, s + run, n - run);
}

static void gm_puts(struct pj_buf *b, const char *s)
{
	gm_put(b, s, strlen(s));
}

/* Append s to out, cut to 100 UTF-16 units plus "..." when longer (a
 * surrogate pair is never split). */
static void gm_put_trunc100(struct pj_buf *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, units = 0, cut = n, l;
	while (i < n) {
		int32_t c = gm_u8(u + i, n - i, &l);
		size_t w = c >= 0x10000 ? 2 : 1;
		if (units + w > 100 && cut == n)
			cut = i;
		units += w;
		i += l;
	}
	if (units <= 100) {
		gm_put(out, s, n);
		return;
	}
	gm_put(out, s, cut);
	pj_adds(out, "...");
}

/* Trimmed copy of string member key into out; true when non-empty. */
static bool gm_member(struct json_object *o, const char *key, struct pj_buf *out)
{
	pj_reset(out);
	size_t n;
	const char *s = pj_strn(o, key, &n);
	if (!s)
		return false;
	size_t a, e;
	pj_trim_bounds(s, n, &a, &e);
	gm_put(out, s + a, e - a);
	return out->len > 0;
}

/* ------------------------------------------------------------------ */
/* texts: views into the message, or copies                             */

/* A text: [p, p + len), NUL-terminated after; a view into the parsed
 * message (so a huge text is held once, by the message) or the text of
 * buf. p is NULL for "no text". */
struct gm_text {
	const char *p;
	size_t len;
	struct pj_buf buf;
};

static void gm_text_free(struct gm_text *t)
{
	pj_free(&t->buf);
	t->p = NULL;
	t->len = 0;
}

/* gm_fnvb of a text (p NULL: no text). */
static uint64_t gm_fnvt(uint64_t h, const struct gm_text *t)
{
	struct pj_buf b = {(char *)t->p, t->len, 0};
	return gm_fnvb(h, &b);
}

/* Make t the text of t->buf. */
static void gm_text_buf(struct gm_text *t)
{
	t->p = pj_cstr(&t->buf);
	t->len = t->buf.len;
}

/* Move src (its buffer with it) to *dst; src is left empty. */
static void gm_text_move(struct gm_text *dst, struct gm_text *src)
{
	gm_text_free(dst);
	*dst = *src;
	memset(src, 0, sizeof *src);
}

/* Move t->buf to *keep when t's text lives there. */
static void gm_text_keep(struct gm_text *t, struct pj_buf *keep)
{
	if (t->buf.p && t->p >= t->buf.p && t->p <= t->buf.p + t->buf.len) {
		pj_free(keep);
		*keep = t->buf;
		memset(&t->buf, 0, sizeof t->buf);
	}
}

/* Replace t with a copy of b (taken). */
static void gm_text_take(struct gm_text *t, struct pj_buf *b)
{
	pj_free(&t->buf);
	t->buf = *b;
	memset(b, 0, sizeof *b);
	gm_text_buf(t);
}

/* Is s[0..n) valid UTF-8 (gm_put copies it unchanged)? */
static bool gm_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (gm_u8(u + i, n - i, &l) < 0)
			return false;
		i += l;
	}
	return true;
}

/* t = s[0..n) as gm_put gives it: a view when it is valid UTF-8 and
 * `nul` (s[n] is a NUL), else a repaired copy. */
static void gm_text_put(struct gm_text *t, const char *s, size_t n, bool nul)
{
	if (nul && gm_valid(s, n)) {
		t->p = s;
		t->len = n;
		return;
	}
	pj_reset(&t->buf);
	gm_put(&t->buf, s, n);
	gm_text_buf(t);
}

/* JS-trim t (a view when nothing goes at its end). */
static void gm_text_trim(struct gm_text *t)
{
	size_t a, e;
	pj_trim_bounds(t->p, t->len, &a, &e);
	if (e == t->len) {
		t->p += a;
		t->len -= a;
		return;
	}
	struct pj_buf b = {0};
	pj_add(&b, t->p + a, e - a);
	gm_text_take(t, &b);
}

/* pj_normalize_text of t (a view when only leading space goes). */
static void gm_text_normalize(struct gm_text *t)
{
	struct pj_buf b = {0};
	const char *p;
	size_t n;
	pj_normalize_view(&b, t->p, t->len, &p, &n);
	if (b.p && p == b.p) {
		gm_text_take(t, &b);
		return;
	}
	pj_free(&b);
	t->p = p;
	t->len = n;
}

/* ------------------------------------------------------------------ */
/* text extraction (ref §1.4 extractText)                               */

/* The text of v into *out (replacing it): a string trimmed; an array's
 * non-empty item texts joined with a blank line; an object's text,
 * content string, parts, content array, or functionResponse output (only
 * when `fnresp`). Invalid UTF-8 is replaced. A view into v when one
 * string gives it as it stands (but for leading space). */
static void gm_extract_view(struct json_object *v, bool fnresp, struct gm_text *out)
{
	pj_reset(&out->buf);
	gm_text_buf(out);
	if (!v)
		return;
	size_t n;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = pj_sval(v, &n);
		size_t a, e;
		pj_trim_bounds(s, n, &a, &e);
		gm_text_put(out, s + a, e - a, e == n);
		return;
	}
	if (json_object_is_type(v, json_type_array)) {
		struct gm_text item = {0};
		struct pj_buf first = {0};
		size_t k = 0;
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			gm_extract_view(json_object_array_get_idx(v, i), fnresp, &item);
			if (!item.len)
				continue;
			if (!k++) {
				/* one item stays where it is */
				gm_text_keep(&item, &first);
				out->p = item.p;
				out->len = item.len;
				continue;
			}
			if (k == 2)
				pj_add(&out->buf, out->p, out->len);
			pj_adds(&out->buf, "\n\n");
			pj_add(&out->buf, item.p, item.len);
			gm_text_buf(out);
		}
		if (k == 1 && first.p) {
			pj_free(&out->buf);
			out->buf = first;
		} else {
			pj_free(&first);
		}
		gm_text_free(&item);
		gm_text_trim(out);
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	struct json_object *m;
	if (json_object_object_get_ex(v, "text", &m) && json_object_is_type(m, json_type_string)) {
		gm_extract_view(m, fnresp, out);
		if (out->len)
			return;
	}
	if (json_object_object_get_ex(v, "content", &m) && json_object_is_type(m, json_type_string)) {
		gm_extract_view(m, fnresp, out);
		if (out->len)
			return;
	}
	if ((m = pj_arr(v, "parts"))) {
		gm_extract_view(m, fnresp, out);
		if (out->len)
			return;
	}
	if ((m = pj_arr(v, "content"))) {
		gm_extract_view(m, fnresp, out);
		if (out->len)
			return;
	}
	if (fnresp) {
		const char *s = pj_strn(pj_obj(pj_obj(v, "functionResponse"), "response"), "output", &n);
		if (s && n)
			gm_text_put(out, s, n, true);
	}
}

/* gm_extract_view, always copied into out (reset first). */
static void gm_extract(struct json_object *v, bool fnresp, struct pj_buf *out)
{
	struct gm_text t = {0};
	gm_extract_view(v, fnresp, &t);
	pj_reset(out);
	if (t.len)
		pj_add(out, t.p, t.len);
	gm_text_free(&t);
}

/* Does a Part list hold a functionResponse part? *only* gets whether every
 * object part is one. */
static bool gm_has_fnresp(struct json_object *content, bool *only)
{
	*only = false;
	if (!content || !json_object_is_type(content, json_type_array))
		return false;
	size_t n = json_object_array_length(content), nf = 0, nother = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(content, i);
		if (pj_obj(p, "functionResponse"))
			nf++;
		else
			nother++;
	}
	*only = nf > 0 && nother == 0;
	return nf > 0;
}

/* ------------------------------------------------------------------ */
/* parser state                                                         */

struct gm_evrec {
	uint64_t idh;   /* hash of the base event id */
	uint64_t fullh; /* hash of the whole event */
};

/* A message that has been through emission at least once. */
struct gm_seen {
	char *key;
	uint64_t raw; /* hash of the message JSON when last emitted */
	uint32_t rev;
	uint32_t nev, cap;
	struct gm_evrec *ev;
};

/* One message of the current list. */
struct gm_entry {
	char *key;
	struct json_object *msg; /* owned reference while dirty */
	uint64_t raw;
	bool dirty;      /* not emitted in this form yet */
	bool checkpoint; /* came from a $set.messages checkpoint */
};

struct gm_state {
	const struct kato_host *host;
	void *ctx;
	struct json_tokener *tok; /* for every line of the file */
	bool lines;
	bool path_subagent;
	char *path_sid;    /* file name without extension */
	char *path_parent; /* parent session id from the directory */

	/* session facts */
	char *sid, *title, *cwd, *model, *started, *last_ts;
	bool subagent;
	size_t model_pos;
	bool announced;
	uint64_t announced_hash;
	uint32_t nrewind;

	/* message key -> struct gm_seen, open addressing */
	struct gm_seen **seen;
	size_t nseen, seencap;

	/* current list, and key -> position+1 index over it */
	struct gm_entry *list;
	size_t nlist, listcap;
	uint32_t *lidx;
	size_t lidxcap;
	size_t first_dirty;

	struct pj_buf blob;
};

static const char *gm_sid(struct gm_state *st)
{
	return st->sid ? st->sid : st->path_sid;
}

/* Name the session to the host when its facts changed since last time. */
static void gm_announce(struct gm_state *st)
{
	const char *parent = st->path_parent;
	uint64_t h = 0xcbf29ce484222325ull;
	h = gm_fnv(h, gm_sid(st));
	h = gm_fnv(h, parent);
	h = gm_fnv(h, st->title);
	h = gm_fnv(h, st->cwd);
	h = gm_fnv(h, st->model);
	h = gm_fnv(h, st->started);
	if (st->announced && h == st->announced_hash)
		return;
	struct kato_session_info si = {
		.struct_size = sizeof si,
		.provider_session_id = gm_sid(st),
		.parent_session_id = parent,
		.title = st->title,
		.cwd = st->cwd,
		.model = st->model,
		.started_at = st->started,
	};
	st->host->session(st->ctx, &si);
	st->announced = true;
	st->announced_hash = h;
}

/* ---- seen map ---- */

static struct gm_seen **gm_seen_slot(struct gm_state *st, const char *key)
{
	size_t mask = st->seencap - 1;
	size_t i = pj_hash64(key, strlen(key)) & mask;
	while (st->seen[i] && strcmp(st->seen[i]->key, key))
		i = (i + 1) & mask;
	return &st->seen[i];
}

static struct gm_seen *gm_seen_find(struct gm_state *st, const char *key)
{
	if (!st->seencap)
		return NULL;
	return *gm_seen_slot(st, key);
}

/* The seen record of key, created when absent (owned by the state). */
static struct gm_seen *gm_seen_get(struct gm_state *st, const char *key)
{
	if ((st->nseen + 1) * 2 > st->seencap) {
		size_t oldcap = st->seencap;
		struct gm_seen **old = st->seen;
		st->seencap = oldcap ? oldcap * 2 : 64;
		st->seen = gm_alloc(st->seencap * sizeof *st->seen);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				*gm_seen_slot(st, old[i]->key) = old[i];
		free(old);
	}
	struct gm_seen **slot = gm_seen_slot(st, key);
	if (!*slot) {
		*slot = gm_alloc(sizeof **slot);
		(*slot)->key = gm_dup(key);
		st->nseen++;
	}
	return *slot;
}

static void gm_seen_add(struct gm_seen *s, uint64_t idh, uint64_t fullh)
{
	if (s->nev == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->ev = gm_grow(s->ev, s->cap * sizeof *s->ev);
	}
	s->ev[s->nev].idh = idh;
	s->ev[s->nev].fullh = fullh;
	s->nev++;
}

static void gm_seen_clear(struct gm_state *st)
{
	for (size_t i = 0; i < st->seencap; i++) {
		if (!st->seen[i])
			continue;
		free(st->seen[i]->key);
		free(st->seen[i]->ev);
		free(st->seen[i]);
	}
	free(st->seen);
	st->seen = NULL;
	st->nseen = st->seencap = 0;
}

/* ---- current list ---- */

static void gm_lidx_insert(struct gm_state *st, size_t pos)
{
	size_t mask = st->lidxcap - 1;
	const char *key = st->list[pos].key;
	size_t i = pj_hash64(key, strlen(key)) & mask;
	while (st->lidx[i])
		i = (i + 1) & mask;
	st->lidx[i] = (uint32_t)pos + 1;
}

static void gm_lidx_rebuild(struct gm_state *st)
{
	size_t cap = 64;
	while (cap < (st->nlist + 1) * 2)
		cap *= 2;
	free(st->lidx);
	st->lidx = gm_alloc(cap * sizeof *st->lidx);
	st->lidxcap = cap;
	for (size_t i = 0; i < st->nlist; i++)
		gm_lidx_insert(st, i);
}

/* Position of key in the current list, or -1. */
static ssize_t gm_list_find(struct gm_state *st, const char *key)
{
	if (!st->lidxcap)
		return -1;
	size_t mask = st->lidxcap - 1;
	size_t i = pj_hash64(key, strlen(key)) & mask;
	while (st->lidx[i]) {
		size_t pos = st->lidx[i] - 1;
		if (!strcmp(st->list[pos].key, key))
			return (ssize_t)pos;
		i = (i + 1) & mask;
	}
	return -1;
}

static void gm_entry_free(struct gm_entry *e)
{
	free(e->key);
	json_object_put(e->msg);
	e->key = NULL;
	e->msg = NULL;
}

static void gm_list_clear(struct gm_state *st)
{
	for (size_t i = 0; i < st->nlist; i++)
		gm_entry_free(&st->list[i]);
	free(st->list);
	free(st->lidx);
	st->list = NULL;
	st->lidx = NULL;
	st->nlist = st->listcap = st->lidxcap = 0;
	st->first_dirty = 0;
}

/* Append an entry (takes key and msg); keeps the index. */
static void gm_list_push(struct gm_state *st, char *key, struct json_object *msg, uint64_t raw,
			 bool dirty, bool checkpoint)
{
	if (st->nlist == st->listcap) {
		st->listcap = st->listcap ? st->listcap * 2 : 32;
		st->list = gm_grow(st->list, st->listcap * sizeof *st->list);
	}
	struct gm_entry *e = &st->list[st->nlist++];
	e->key = key;
	e->msg = dirty ? msg : NULL;
	if (!dirty)
		json_object_put(msg);
	e->raw = raw;
	e->dirty = dirty;
	e->checkpoint = checkpoint;
	if (dirty && st->nlist - 1 < st->first_dirty)
		st->first_dirty = st->nlist - 1;
	if ((st->nlist + 1) * 2 > st->lidxcap)
		gm_lidx_rebuild(st);
	else
		gm_lidx_insert(st, st->nlist - 1);
}

/* ------------------------------------------------------------------ */
/* building the events of one message                                   */

struct gm_out {
	const char *kind;
	uint32_t flags;
	uint32_t index;
	const char *pet; /* provider event type (static or message-owned) */
	const char *subtype, *level;
	struct pj_buf id, model, tcid, name, desc, input;
	struct gm_text content, result; /* may be views into the message */
};

struct gm_msgev {
	struct gm_out *v;
	size_t n, cap;
	struct pj_buf ts, turn, pid, type;
};

static const char *gm_opt(const struct pj_buf *b)
{
	return b->p ? b->p : NULL;
}

static void gm_out_free(struct gm_out *o)
{
	pj_free(&o->id);
	gm_text_free(&o->content);
	pj_free(&o->model);
	pj_free(&o->tcid);
	pj_free(&o->name);
	pj_free(&o->desc);
	pj_free(&o->input);
	gm_text_free(&o->result);
}

static void gm_msgev_free(struct gm_msgev *m)
{
	for (size_t i = 0; i < m->n; i++)
		gm_out_free(&m->v[i]);
	free(m->v);
	pj_free(&m->ts);
	pj_free(&m->turn);
	pj_free(&m->pid);
	pj_free(&m->type);
}

/* A new event for the message, with its base id "<sid>:<key>:<kind>[:j]". */
static struct gm_out *gm_new_out(struct gm_state *st, struct gm_msgev *m, const char *key,
				 const char *kind, long j)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->v = gm_grow(m->v, m->cap * sizeof *m->v);
	}
	struct gm_out *o = &m->v[m->n];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->index = (uint32_t)m->n;
	o->flags = st->subagent ? KATO_EVENT_SIDECHAIN : 0;
	gm_puts(&o->id, gm_sid(st));
	pj_adds(&o->id, ":");
	gm_puts(&o->id, key);
	pj_adds(&o->id, ":");
	pj_adds(&o->id, kind);
	if (j >= 0) {
		char n[24];
		snprintf(n, sizeof n, ":%ld", j);
		pj_adds(&o->id, n);
	}
	m->n++;
	return o;
}

/* Is this line command-like (ref §1.4): "::name" then end or whitespace.
 * `s` is already JS-trimmed. */
static bool gm_command_line(const char *s, size_t n)
{
	if (n < 3 || s[0] != ':' || s[1] != ':')
		return false;
	char c = s[2];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return false;
	size_t i = 3;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
		i++;
	if (i == n)
		return true;
	size_t l;
	int32_t cp = gm_u8((const unsigned char *)s + i, n - i, &l);
	return cp >= 0 && pj_js_space(cp);
}

/* Is the trimmed line s[0..n) a command-like line of text? */
static bool gm_has_command(const char *text, const char *s, size_t n)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t a, e;
		pj_trim_bounds(p, len, &a, &e);
		if (gm_command_line(p + a, e - a) && e - a == n && !memcmp(p + a, s, n))
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

/* The user text per ref §1.4: displayContent preferred, content's command
 * lines missing from it put in front. Result in *out (replaced; a view
 * into msg when one text gives it as it stands). */
static void gm_user_text(struct json_object *msg, struct gm_text *out)
{
	struct json_object *content = NULL, *display = NULL;
	json_object_object_get_ex(msg, "content", &content);
	json_object_object_get_ex(msg, "displayContent", &display);
	struct gm_text raw = {0}, disp = {0};
	gm_extract_view(content, false, &raw);
	gm_text_normalize(&raw);
	gm_extract_view(display, false, &disp);
	gm_text_normalize(&disp);
	if (!disp.len) {
		gm_text_move(out, &raw);
	} else if (!raw.len) {
		gm_text_move(out, &disp);
	} else {
		struct pj_buf b = {0};
		const char *p = raw.p;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			size_t a, e;
			pj_trim_bounds(p, len, &a, &e);
			if (gm_command_line(p + a, e - a) && !gm_has_command(disp.p, p + a, e - a)) {
				pj_add(&b, p + a, e - a);
				pj_adds(&b, "\n");
			}
			if (!nl)
				break;
			p = nl + 1;
		}
		pj_add(&b, disp.p, disp.len);
		pj_trim(&b);
		gm_text_take(out, &b);
	}
	gm_text_free(&raw);
	gm_text_free(&disp);
}

/* tool.call description (ref §1.4), falling back to displayName. */
static void gm_tool_desc(struct json_object *tc, const char *name, struct pj_buf *out)
{
	struct json_object *args = pj_obj(tc, "args");
	if (gm_member(tc, "description", out))
		return;
	if (!strcmp(name, "run_shell_command") && gm_member(args, "command", out)) {
		struct pj_buf t = {0};
		gm_put_trunc100(&t, out->p);
		pj_reset(out);
		pj_add(out, t.p, t.len);
		pj_free(&t);
		return;
	}
	if ((!strcmp(name, "read_file") || !strcmp(name, "write_file")) && gm_member(args, "path", out))
		return;
	static const char *const keys[] = {"description", "command", "path", "filePath",
					   "query", "pattern", "prompt"};
	struct pj_buf t = {0};
	bool found = false;
	for (size_t i = 0; i < sizeof keys / sizeof *keys && !found; i++)
		found = gm_member(args, keys[i], &t);
	if (!found && args) {
		json_object_object_foreach(args, k, v)
		{
			(void)k;
			if (!json_object_is_type(v, json_type_string))
				continue;
			gm_extract(v, false, &t);
			if (t.len) {
				found = true;
				break;
			}
		}
	}
	pj_reset(out);
	if (found) {
		gm_put_trunc100(out, t.p);
	} else {
		gm_member(tc, "displayName", out);
	}
	pj_free(&t);
	if (!out->len)
		pj_free(out); /* no description */
}

/* tool.result text (ref §1.4), with functionResponse response.error too,
 * into *t (a view into tc when one text gives it as it stands). */
static void gm_tool_result(struct json_object *tc, struct gm_text *t)
{
	struct json_object *rd = NULL, *res = NULL;
	struct pj_buf *out = &t->buf;
	json_object_object_get_ex(tc, "resultDisplay", &rd);
	bool has_res = json_object_object_get_ex(tc, "result", &res);
	gm_extract_view(rd, true, t);
	if (t->len)
		return;
	if (res && json_object_is_type(res, json_type_string)) {
		size_t n;
		const char *s = pj_sval(res, &n);
		gm_text_put(t, s, n, true);
		return;
	}
	gm_extract_view(res, true, t);
	if (t->len)
		return;
	pj_reset(out);
	gm_text_buf(t);
	if (res && json_object_is_type(res, json_type_array)) {
		size_t n = json_object_array_length(res);
		for (size_t i = 0; i < n; i++) {
			struct json_object *r = pj_obj(pj_obj(json_object_array_get_idx(res, i),
							      "functionResponse"),
						       "response");
			size_t en;
			const char *e = pj_strn(r, "error", &en);
			if (e && en) {
				if (out->len)
					pj_adds(out, "\n\n");
				gm_put(out, e, en);
			}
		}
		gm_text_buf(t);
		if (out->len)
			return;
	}
	if (!has_res) {
		pj_add(out, "", 0);
		gm_text_buf(t);
		return;
	}
	gm_puts(out, res ? pj_text(res) : "null");
	gm_text_buf(t);
}

static bool gm_terminal(const char *status)
{
	return !strcmp(status, "success") || !strcmp(status, "error") ||
	       !strcmp(status, "cancelled") || !strcmp(status, "canceled");
}

/* The finality rule for the last message of the list (see top comment). */
static bool gm_final(struct json_object *msg)
{
	const char *type = pj_str(msg, "type");
	if (!type || strcmp(type, "gemini"))
		return true;
	struct json_object *tcs = pj_arr(msg, "toolCalls");
	size_t n = tcs ? json_object_array_length(tcs) : 0;
	for (size_t j = 0; j < n; j++) {
		struct json_object *tc = json_object_array_get_idx(tcs, j);
		if (!json_object_is_type(tc, json_type_object))
			continue;
		const char *status = pj_str(tc, "status");
		if (status) {
			if (!gm_terminal(status))
				return false;
		} else if (!json_object_object_get_ex(tc, "result", NULL) &&
			   !json_object_object_get_ex(tc, "resultDisplay", NULL)) {
			return false;
		}
	}
	return pj_obj(msg, "tokens") != NULL;
}

/* A short [a-z0-9_-] label of an unknown type for count(). */
static void gm_count_unknown(struct gm_state *st, const char *what, const char *type)
{
	char buf[64];
	size_t n = (size_t)snprintf(buf, sizeof buf, "unknown:%s", what);
	if (type && *type && n < sizeof buf - 1) {
		buf[n++] = ':';
		for (const char *p = type; *p && n < sizeof buf - 1; p++) {
			char c = *p;
			bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
				  c == '-' || c == '.';
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a'), ok = true;
			buf[n++] = ok ? c : '?';
		}
		buf[n] = '\0';
	}
	st->host->count(st->ctx, buf);
}

/* Build every event of the message at list position pos into m. */
static void gm_build(struct gm_state *st, struct json_object *msg, const char *key, size_t pos,
		     struct gm_msgev *m)
{
	struct pj_buf t = {0};
	if (!gm_member(msg, "timestamp", &m->ts)) {
		pj_reset(&m->ts);
		gm_puts(&m->ts, st->started ? st->started : GM_EPOCH);
	}
	if (gm_member(msg, "id", &m->pid)) {
		pj_add(&m->turn, m->pid.p, m->pid.len);
	} else {
		pj_free(&m->pid);
		char n[32];
		snprintf(n, sizeof n, ":msg-%zu", pos);
		gm_puts(&m->turn, gm_sid(st));
		pj_adds(&m->turn, n);
	}
	gm_member(msg, "type", &m->type);
	const char *type = pj_cstr(&m->type);
	struct json_object *content = NULL, *display = NULL;
	json_object_object_get_ex(msg, "content", &content);
	json_object_object_get_ex(msg, "displayContent", &display);

	if (!strcmp(type, "user")) {
		bool only;
		bool fn = gm_has_fnresp(content, &only);
		struct gm_text ut = {0};
		gm_user_text(msg, &ut);
		if (!ut.len) {
			st->host->count(st->ctx, fn ? "tool-response" : "empty-user");
		} else {
			struct gm_out *o = gm_new_out(st, m, key, "message.user", -1);
			if (!strncmp(ut.p, "<session_context>", 17))
				o->flags |= KATO_EVENT_INJECTED;
			else if (!fn && !st->subagent)
				o->flags |= KATO_EVENT_HUMAN;
			gm_text_move(&o->content, &ut);
		}
		gm_text_free(&ut);
	} else if (!strcmp(type, "gemini")) {
		struct gm_text ct = {0};
		gm_extract_view(content, true, &ct);
		gm_text_normalize(&ct);
		if (!ct.len)
			gm_extract_view(display, true, &ct);
		struct pj_buf model = {0};
		gm_member(msg, "model", &model);
		if (model.len && pos + 1 >= st->model_pos) {
			gm_set(&st->model, model.p);
			st->model_pos = pos + 1;
		}
		if (ct.len) {
			struct gm_out *o = gm_new_out(st, m, key, "message.assistant", -1);
			gm_text_move(&o->content, &ct);
			if (model.len)
				pj_add(&o->model, model.p, model.len);
		}
		gm_text_free(&ct);
		pj_free(&model);
		struct json_object *th = NULL;
		json_object_object_get_ex(msg, "thoughts", &th);
		size_t nth = 1;
		if (th && json_object_is_type(th, json_type_array))
			nth = json_object_array_length(th);
		for (size_t j = 0; th && j < nth; j++) {
			struct json_object *e =
				json_object_is_type(th, json_type_array) ? json_object_array_get_idx(th, j) : th;
			gm_extract(e, false, &t);
			if (!t.len && json_object_is_type(e, json_type_object)) {
				struct pj_buf subj = {0}, desc = {0};
				gm_member(e, "subject", &subj);
				gm_member(e, "description", &desc);
				if (subj.len) {
					pj_adds(&t, "**");
					pj_add(&t, subj.p, subj.len);
					pj_adds(&t, "**");
				}
				if (subj.len && desc.len)
					pj_adds(&t, "\n\n");
				if (desc.len)
					pj_add(&t, desc.p, desc.len);
				pj_free(&subj);
				pj_free(&desc);
			}
			pj_normalize_text(&t);
			if (!t.len)
				continue;
			struct gm_out *o = gm_new_out(st, m, key, "thinking", (long)j);
			pj_add(&o->content.buf, t.p, t.len);
			gm_text_buf(&o->content);
		}
		struct json_object *tcs = pj_arr(msg, "toolCalls");
		size_t ntc = tcs ? json_object_array_length(tcs) : 0;
		for (size_t j = 0; j < ntc; j++) {
			struct json_object *tc = json_object_array_get_idx(tcs, j);
			if (!json_object_is_type(tc, json_type_object))
				continue;
			struct gm_out *o = gm_new_out(st, m, key, "tool.call", (long)j);
			o->pet = "gemini.tool_call";
			if (!gm_member(tc, "id", &o->tcid)) {
				pj_reset(&o->tcid);
				pj_add(&o->tcid, m->turn.p, m->turn.len);
				char n[32];
				snprintf(n, sizeof n, ":tool-%zu", j);
				pj_adds(&o->tcid, n);
			}
			if (!gm_member(tc, "name", &o->name)) {
				pj_reset(&o->name);
				pj_adds(&o->name, "unknown");
			}
			struct json_object *args = pj_obj(tc, "args");
			if (args)
				gm_puts(&o->input, pj_text(args));
			gm_tool_desc(tc, o->name.p, &o->desc);
			if (!json_object_object_get_ex(tc, "result", NULL) &&
			    !json_object_object_get_ex(tc, "resultDisplay", NULL))
				continue;
			struct gm_out *r = gm_new_out(st, m, key, "tool.result", (long)j);
			o = &m->v[m->n - 2]; /* gm_new_out may move the array */
			r->pet = "gemini.tool_result";
			pj_add(&r->tcid, o->tcid.p, o->tcid.len);
			gm_tool_result(tc, &r->result);
			const char *status = pj_str(tc, "status");
			if (status && !strcmp(status, "error"))
				r->flags |= KATO_EVENT_ERROR;
		}
	} else if (!strcmp(type, "info") || !strcmp(type, "error") || !strcmp(type, "warning")) {
		gm_extract(content, false, &t);
		pj_normalize_text(&t);
		if (!t.len) {
			gm_extract(display, false, &t);
			pj_normalize_text(&t);
		}
		if (t.len) {
			struct gm_out *o = gm_new_out(st, m, key, "provider.info", -1);
			pj_add(&o->content.buf, t.p, t.len);
			gm_text_buf(&o->content);
			o->subtype = !strcmp(type, "info") ? "info" : !strcmp(type, "error") ? "error" : "warning";
			o->level = o->subtype;
		}
	} else {
		gm_count_unknown(st, "type", type);
	}
	pj_free(&t);
}

/* Hash of everything the host fingerprints, the base id included. */
static uint64_t gm_out_hash(const struct gm_msgev *m, const struct gm_out *o)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char n[32];
	snprintf(n, sizeof n, "%u/%u", o->flags, o->index);
	h = gm_fnv(h, o->kind);
	h = gm_fnv(h, n);
	h = gm_fnv(h, gm_opt(&o->id));
	h = gm_fnv(h, gm_opt(&m->ts));
	h = gm_fnv(h, gm_opt(&m->turn));
	h = gm_fnv(h, gm_opt(&m->pid));
	h = gm_fnvt(h, &o->content);
	h = gm_fnv(h, gm_opt(&o->model));
	h = gm_fnv(h, gm_opt(&o->tcid));
	h = gm_fnv(h, gm_opt(&o->name));
	h = gm_fnvb(h, &o->desc);
	h = gm_fnv(h, gm_opt(&o->input));
	h = gm_fnvt(h, &o->result);
	h = gm_fnv(h, o->subtype);
	return h;
}

static void gm_emit_out(struct gm_state *st, const struct gm_msgev *m, const struct gm_out *o,
			const char *event_id)
{
	struct kato_event ev = {
		.struct_size = sizeof ev,
		.flags = o->flags,
		.kind = o->kind,
		.event_id = event_id,
		.index = o->index,
		.turn_id = gm_opt(&m->turn),
		.timestamp = gm_opt(&m->ts),
		.provider_event_type = o->pet ? o->pet : m->type.p ? m->type.p : "",
		.provider_event_id = gm_opt(&m->pid),
		.content = o->content.p,
		.model = gm_opt(&o->model),
		.tool_call_id = gm_opt(&o->tcid),
		.name = gm_opt(&o->name),
		.description = gm_opt(&o->desc),
		.input_json = gm_opt(&o->input),
		.result = o->result.p,
		.subtype = o->subtype,
		.level = o->level,
		.content_len = o->content.len,
		.result_len = o->result.len,
		.description_len = o->desc.len,
	};
	gm_announce(st);
	st->host->emit(st->ctx, &ev);
}

/* Emit the not-yet-emitted events of list entry e (position pos) and mark
 * it clean. */
static void gm_emit_entry(struct gm_state *st, struct gm_entry *e, size_t pos)
{
	struct gm_msgev m = {0};
	gm_build(st, e->msg, e->key, pos, &m);
	struct gm_seen *s = gm_seen_get(st, e->key);
	bool bumped = false;
	for (size_t i = 0; i < m.n; i++) {
		struct gm_out *o = &m.v[i];
		uint64_t idh = pj_hash64(o->id.p, o->id.len), fullh = gm_out_hash(&m, o);
		bool same_id = false, same = false;
		for (uint32_t k = 0; k < s->nev && !same; k++) {
			if (s->ev[k].idh != idh)
				continue;
			same_id = true;
			same = s->ev[k].fullh == fullh;
		}
		if (same)
			continue;
		if (!same_id) {
			gm_emit_out(st, &m, o, o->id.p);
		} else if (e->checkpoint) {
			st->host->count(st->ctx, "checkpoint-rewritten");
			st->host->log(st->ctx, KATO_LOG_DEBUG,
				      "gemini: %s changed inside a $set checkpoint; kept the first form",
				      o->id.p);
		} else {
			if (!bumped)
				s->rev++, bumped = true;
			char suf[32];
			snprintf(suf, sizeof suf, ":r%u", s->rev);
			pj_adds(&o->id, suf);
			st->host->log(st->ctx, KATO_LOG_DEBUG,
				      "gemini: event changed after it was final; emitted as %s", o->id.p);
			gm_emit_out(st, &m, o, o->id.p);
		}
		gm_seen_add(s, idh, fullh);
	}
	s->raw = e->raw;
	e->dirty = false;
	json_object_put(e->msg);
	e->msg = NULL;
	gm_msgev_free(&m);
}

/* Emit every dirty entry that is final (all of them when force). */
static void gm_process(struct gm_state *st, bool force)
{
	for (size_t i = st->first_dirty; i < st->nlist; i++) {
		struct gm_entry *e = &st->list[i];
		if (!e->dirty)
			continue;
		if (i + 1 == st->nlist && !force && !gm_final(e->msg)) {
			st->first_dirty = i;
			return;
		}
		gm_emit_entry(st, e, i);
	}
	st->first_dirty = st->nlist;
}

/* Key of a message: its trimmed id, else "msg-<pos>". Caller frees. */
static char *gm_key(struct json_object *msg, size_t pos)
{
	struct pj_buf b = {0};
	if (!gm_member(msg, "id", &b)) {
		char n[32];
		snprintf(n, sizeof n, "msg-%zu", pos);
		pj_reset(&b);
		pj_adds(&b, n);
	}
	return b.p;
}

/* Hash of the message's JSON text (a huge string hashed in slices). */
static uint64_t gm_raw(struct json_object *msg)
{
	return pj_hash_text(msg);
}

/* Replace the current list with the messages array (a document, a whole
 * record on one line, or a checkpoint). Held entries that are not in the
 * new list are emitted first, as they stood. */
static void gm_replace_list(struct gm_state *st, struct json_object *arr, bool checkpoint)
{
	struct gm_entry *old = st->list;
	size_t nold = st->nlist;
	free(st->lidx);
	st->list = NULL;
	st->lidx = NULL;
	st->nlist = st->listcap = st->lidxcap = 0;
	st->first_dirty = SIZE_MAX;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *msg = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(msg, json_type_object)) {
			st->host->count(st->ctx, "unknown:message-not-object");
			continue;
		}
		char *key = gm_key(msg, i);
		if (gm_list_find(st, key) >= 0) { /* duplicate id: keep the first */
			st->host->count(st->ctx, "duplicate-id");
			free(key);
			continue;
		}
		uint64_t raw = gm_raw(msg);
		struct gm_seen *s = gm_seen_find(st, key);
		bool dirty = !s || s->raw != raw;
		gm_list_push(st, key, json_object_get(msg), raw, dirty, checkpoint);
	}
	/* old held entries gone from the new list */
	for (size_t i = 0; i < nold; i++) {
		if (old[i].dirty && old[i].msg && gm_list_find(st, old[i].key) < 0)
			gm_emit_entry(st, &old[i], i);
		gm_entry_free(&old[i]);
	}
	free(old);
	if (st->first_dirty > st->nlist)
		st->first_dirty = st->nlist;
	gm_process(st, false);
}

/* Header / $set metadata into the session facts. */
static void gm_meta(struct gm_state *st, struct json_object *o)
{
	struct pj_buf b = {0};
	if (gm_member(o, "sessionId", &b))
		gm_set(&st->sid, b.p);
	if (gm_member(o, "startTime", &b))
		gm_set(&st->started, b.p);
	if (gm_member(o, "lastUpdated", &b))
		gm_set(&st->last_ts, b.p);
	if (gm_member(o, "summary", &b))
		gm_set(&st->title, b.p);
	struct json_object *dirs = pj_arr(o, "directories");
	if (dirs && json_object_array_length(dirs) > 0) {
		pj_reset(&b);
		size_t dn, a, e;
		const char *d = pj_sval(json_object_array_get_idx(dirs, 0), &dn);
		if (d) {
			pj_trim_bounds(d, strlen(d), &a, &e);
			gm_put(&b, d + a, e - a);
			if (b.len)
				gm_set(&st->cwd, b.p);
		}
	}
	const char *kind = pj_str(o, "kind");
	if (kind && !strcmp(kind, "subagent"))
		st->subagent = true;
	pj_free(&b);
}

/* $rewindTo: emit what is held, cut the list, emit a provider.info marker. */
static void gm_rewind(struct gm_state *st, const char *target)
{
	gm_process(st, true);
	struct pj_buf t = {0};
	size_t a, e;
	pj_trim_bounds(target, strlen(target), &a, &e);
	gm_put(&t, target + a, e - a);
	ssize_t pos = gm_list_find(st, pj_cstr(&t));
	size_t cut = pos < 0 ? 0 : (size_t)pos;
	for (size_t i = cut; i < st->nlist; i++)
		gm_entry_free(&st->list[i]);
	size_t removed = st->nlist - cut;
	st->nlist = cut;
	st->first_dirty = cut;
	st->model_pos = 0;
	gm_lidx_rebuild(st);

	struct gm_msgev m = {0};
	char n[48];
	snprintf(n, sizeof n, "rewind-%u", st->nrewind++);
	struct gm_out *o = gm_new_out(st, &m, n, "provider.info", -1);
	pj_adds(&o->id, ":");
	pj_add(&o->id, pj_cstr(&t), t.len);
	snprintf(n, sizeof n, "%zu", removed);
	pj_adds(&o->content.buf, "Rewound to message ");
	pj_add(&o->content.buf, pj_cstr(&t), t.len);
	pj_adds(&o->content.buf, pos < 0 ? " (not found: all " : " (");
	pj_adds(&o->content.buf, n);
	pj_adds(&o->content.buf, " message(s) removed from the conversation)");
	gm_text_buf(&o->content);
	o->subtype = "rewind";
	o->level = "info";
	o->pet = "$rewindTo";
	gm_puts(&m.ts, st->last_ts ? st->last_ts : st->started ? st->started : GM_EPOCH);
	gm_emit_out(st, &m, o, o->id.p);
	gm_msgev_free(&m);
	pj_free(&t);
}

/* One JSONL message record: last write wins, first position kept. */
static void gm_line_message(struct gm_state *st, struct json_object *msg)
{
	char *key = gm_key(msg, st->nlist);
	uint64_t raw = gm_raw(msg);
	struct gm_seen *s = gm_seen_find(st, key);
	ssize_t pos = gm_list_find(st, key);
	struct pj_buf ts = {0};
	if (gm_member(msg, "timestamp", &ts))
		gm_set(&st->last_ts, ts.p);
	pj_free(&ts);
	if (pos < 0) {
		gm_list_push(st, key, json_object_get(msg), raw, !s || s->raw != raw, false);
	} else {
		free(key);
		struct gm_entry *e = &st->list[pos];
		if (e->raw == raw) {
			gm_process(st, false);
			return;
		}
		json_object_put(e->msg);
		e->msg = NULL;
		e->raw = raw;
		e->checkpoint = false;
		e->dirty = !s || s->raw != raw;
		if (e->dirty) {
			e->msg = json_object_get(msg);
			if ((size_t)pos < st->first_dirty)
				st->first_dirty = (size_t)pos;
		}
	}
	gm_process(st, false);
}

/* ------------------------------------------------------------------ */
/* state blob                                                           */

static void gm_put_u32(struct pj_buf *b, uint32_t v)
{
	pj_add(b, (const char *)&v, sizeof v);
}

static void gm_put_u64(struct pj_buf *b, uint64_t v)
{
	pj_add(b, (const char *)&v, sizeof v);
}

static void gm_put_str(struct pj_buf *b, const char *s)
{
	if (!s) {
		gm_put_u32(b, UINT32_MAX);
		return;
	}
	size_t n = strlen(s);
	gm_put_u32(b, (uint32_t)n);
	pj_add(b, s, n);
}

struct gm_rd {
	const char *p;
	size_t n, off;
	bool bad;
};

static bool gm_rd_bytes(struct gm_rd *r, void *out, size_t n)
{
	if (r->bad || r->n - r->off < n) {
		r->bad = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, r->p + r->off, n);
	r->off += n;
	return true;
}

static uint32_t gm_rd_u32(struct gm_rd *r)
{
	uint32_t v;
	gm_rd_bytes(r, &v, sizeof v);
	return v;
}

static uint64_t gm_rd_u64(struct gm_rd *r)
{
	uint64_t v;
	gm_rd_bytes(r, &v, sizeof v);
	return v;
}

/* A string from the blob (NULL for a NULL string or on error); caller frees. */
static char *gm_rd_str(struct gm_rd *r)
{
	uint32_t n = gm_rd_u32(r);
	if (r->bad || n == UINT32_MAX)
		return NULL;
	if (r->n - r->off < n || memchr(r->p + r->off, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	char *s = gm_dupn(r->p + r->off, n);
	r->off += n;
	return s;
}

static void gm_forget(struct gm_state *st)
{
	gm_seen_clear(st);
	gm_list_clear(st);
	free(st->sid);
	free(st->title);
	free(st->cwd);
	free(st->model);
	free(st->started);
	free(st->last_ts);
	st->sid = st->title = st->cwd = st->model = st->started = st->last_ts = NULL;
	st->subagent = st->path_subagent;
	st->model_pos = 0;
	st->nrewind = 0;
	st->announced = false;
}

/* Restore from a save_state blob; 0, or -1 (state left empty). */
static int gm_load(struct gm_state *st, const void *blob, size_t len)
{
	struct gm_rd r = {blob, len, 0, false};
	char magic[4];
	if (!gm_rd_bytes(&r, magic, 4) || memcmp(magic, GM_MAGIC, 4))
		return -1;
	uint32_t flags = gm_rd_u32(&r);
	st->subagent = (flags & 1) || st->path_subagent;
	st->sid = gm_rd_str(&r);
	st->title = gm_rd_str(&r);
	st->cwd = gm_rd_str(&r);
	st->model = gm_rd_str(&r);
	st->started = gm_rd_str(&r);
	st->last_ts = gm_rd_str(&r);
	st->model_pos = gm_rd_u32(&r);
	st->nrewind = gm_rd_u32(&r);
	uint32_t nseen = gm_rd_u32(&r);
	for (uint32_t i = 0; i < nseen && !r.bad; i++) {
		char *key = gm_rd_str(&r);
		uint64_t raw = gm_rd_u64(&r);
		uint32_t rev = gm_rd_u32(&r);
		uint32_t nev = gm_rd_u32(&r);
		if (r.bad || !key || nev > (r.n - r.off) / 16) {
			free(key);
			r.bad = true;
			break;
		}
		struct gm_seen *s = gm_seen_get(st, key);
		free(key);
		s->raw = raw;
		s->rev = rev;
		for (uint32_t k = 0; k < nev; k++) {
			uint64_t a = gm_rd_u64(&r), b = gm_rd_u64(&r);
			gm_seen_add(s, a, b);
		}
	}
	uint32_t nlist = gm_rd_u32(&r);
	st->first_dirty = SIZE_MAX;
	for (uint32_t i = 0; i < nlist && !r.bad; i++) {
		char *key = gm_rd_str(&r);
		uint64_t raw = gm_rd_u64(&r);
		uint8_t f = 0;
		gm_rd_bytes(&r, &f, 1);
		struct json_object *msg = NULL;
		if (f & 1) {
			char *text = gm_rd_str(&r);
			msg = text ? pj_parse_line(text, strlen(text)) : NULL;
			free(text);
			if (!json_object_is_type(msg, json_type_object))
				r.bad = true;
		}
		if (r.bad || !key) {
			free(key);
			json_object_put(msg);
			r.bad = true;
			break;
		}
		gm_list_push(st, key, msg, raw, f & 1, f & 2);
	}
	if (st->first_dirty > st->nlist)
		st->first_dirty = st->nlist;
	if (r.bad || r.off != r.n) {
		gm_forget(st);
		return -1;
	}
	return 0;
}

static int gm_save_state(void *state, const void **blob, size_t *blob_len)
{
	struct gm_state *st = state;
	struct pj_buf *b = &st->blob;
	pj_reset(b);
	pj_add(b, GM_MAGIC, 4);
	gm_put_u32(b, st->subagent ? 1 : 0);
	gm_put_str(b, st->sid);
	gm_put_str(b, st->title);
	gm_put_str(b, st->cwd);
	gm_put_str(b, st->model);
	gm_put_str(b, st->started);
	gm_put_str(b, st->last_ts);
	gm_put_u32(b, (uint32_t)st->model_pos);
	gm_put_u32(b, st->nrewind);
	gm_put_u32(b, (uint32_t)st->nseen);
	for (size_t i = 0; i < st->seencap; i++) {
		struct gm_seen *s = st->seen[i];
		if (!s)
			continue;
		gm_put_str(b, s->key);
		gm_put_u64(b, s->raw);
		gm_put_u32(b, s->rev);
		gm_put_u32(b, s->nev);
		for (uint32_t k = 0; k < s->nev; k++) {
			gm_put_u64(b, s->ev[k].idh);
			gm_put_u64(b, s->ev[k].fullh);
		}
	}
	gm_put_u32(b, (uint32_t)st->nlist);
	for (size_t i = 0; i < st->nlist; i++) {
		struct gm_entry *e = &st->list[i];
		gm_put_str(b, e->key);
		gm_put_u64(b, e->raw);
		uint8_t f = (e->dirty && e->msg ? 1 : 0) | (e->checkpoint ? 2 : 0);
		pj_add(b, (const char *)&f, 1);
		if (f & 1)
			gm_put_str(b, pj_text(e->msg));
	}
	*blob = b->p;
	*blob_len = b->len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the descriptor functions                                             */

static bool gm_ends(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && !memcmp(s + n - k, suf, k);
}

/* Split path into basename and its parent dir names; true when it has the
 * layout .../chats/<name> (depth 0) or .../chats/<dir>/<name> (depth 1). */
static bool gm_layout(const char *path, int *depth, const char **base, const char **dir,
		      size_t *dirlen)
{
	const char *b = strrchr(path, '/');
	*base = b ? b + 1 : path;
	if (!b)
		return false;
	const char *p = b;
	while (p > path && p[-1] != '/')
		p--;
	*dir = p;
	*dirlen = (size_t)(b - p);
	if (*dirlen == 5 && !memcmp(p, "chats", 5)) {
		*depth = 0;
		return true;
	}
	if (p == path)
		return false;
	const char *q = p - 1;
	while (q > path && q[-1] != '/')
		q--;
	if ((size_t)(p - 1 - q) == 5 && !memcmp(q, "chats", 5) && *dirlen > 0) {
		*depth = 1;
		return true;
	}
	return false;
}

static enum kato_feed gm_match_path(const char *path)
{
	if (!path)
		return KATO_FEED_NONE;
	int depth;
	const char *base, *dir;
	size_t dirlen, n;
	bool in_chats = gm_layout(path, &depth, &base, &dir, &dirlen);
	n = strlen(base);
	bool jsonl = gm_ends(base, n, ".jsonl"), json = gm_ends(base, n, ".json");
	if (!jsonl && !json)
		return KATO_FEED_NONE;
	enum kato_feed mode = jsonl ? KATO_FEED_LINES : KATO_FEED_DOCUMENT;
	bool session = !strncmp(base, "session-", 8) && n > (jsonl ? 14 : 13);
	if (in_chats && depth == 0 && session)
		return mode;
	if (in_chats && depth == 1 && n > (jsonl ? 6u : 5u))
		return mode;
	/* outside the usual layout (kato import): a weak claim on the name */
	if (session)
		return mode | KATO_FEED_WEAK;
	return KATO_FEED_NONE;
}

/* How surely one JSONL line is Gemini CLI's: 2 for a header, $set or
 * $rewindTo record, 1 for a MessageRecord. */
static int gm_probe_record(struct json_object *o)
{
	static const char *const types[] = {"user", "gemini", "info", "error", "warning"};
	if (json_object_object_get_ex(o, "$set", NULL) || json_object_object_get_ex(o, "$rewindTo", NULL))
		return json_object_object_length(o) == 1 ? 2 : 0;
	if (pj_str(o, "sessionId") && pj_str(o, "projectHash"))
		return 2;
	const char *type = pj_str(o, "type");
	if (!type || !pj_str(o, "id") || !pj_str(o, "timestamp") || pj_str(o, "uuid") ||
	    !json_object_object_get_ex(o, "content", NULL))
		return 0;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (!strcmp(type, types[i]))
			return 1;
	return 0;
}

/* Both generations: the ConversationRecord document (usually pretty
 * printed) and the 0.39+ JSONL log. */
static enum kato_probe gm_probe(const char *head, size_t len, enum kato_feed *feed)
{
	enum pj_shape shape = pj_head_shape(head, len);
	if (shape == PJ_SHAPE_DOCUMENT) {
		if (!pj_head_has_key(head, len, "sessionId") && !pj_head_has_key(head, len, "messages"))
			return KATO_PROBE_NO;
		*feed = KATO_FEED_DOCUMENT;
		return pj_head_has_key(head, len, "sessionId") &&
				       (pj_head_has_key(head, len, "projectHash") ||
					pj_head_has_key(head, len, "messages"))
			       ? KATO_PROBE_SURE
			       : KATO_PROBE_MAYBE;
	}
	if (shape != PJ_SHAPE_LINES)
		return KATO_PROBE_NO;
	int best = 0;
	size_t pos = 0, seen = 0;
	struct json_object *o;
	while (best < 2 && seen < 64 && (o = pj_head_next(head, len, &pos))) {
		int r = gm_probe_record(o);
		json_object_put(o);
		best = r > best ? r : best;
		seen++;
	}
	if (!seen && pj_head_has_key(head, len, "sessionId") && pj_head_has_key(head, len, "projectHash"))
		best = 1; /* a first line longer than the head */
	if (best)
		*feed = KATO_FEED_LINES;
	return (enum kato_probe)best;
}

static int gm_open_file(const struct kato_host *host, void *ctx, const char *path,
			const void *blob, size_t blob_len, void **state)
{
	struct gm_state *st = gm_alloc(sizeof *st);
	st->host = host;
	st->ctx = ctx;
	const char *p = path ? path : "";
	int depth = -1;
	const char *base, *dir;
	size_t dirlen;
	bool in_chats = gm_layout(p, &depth, &base, &dir, &dirlen);
	size_t n = strlen(base);
	st->lines = gm_ends(base, n, ".jsonl");
	size_t ext = st->lines ? 6 : gm_ends(base, n, ".json") ? 5 : 0;
	struct pj_buf b = {0};
	gm_put(&b, base, n - ext);
	if (!b.len)
		pj_adds(&b, "gemini-session");
	st->path_sid = b.p;
	if (in_chats && depth == 1) {
		struct pj_buf d = {0};
		gm_put(&d, dir, dirlen);
		st->path_parent = d.p;
		st->path_subagent = true;
	}
	st->subagent = st->path_subagent;
	if (blob && blob_len && gm_load(st, blob, blob_len) < 0) {
		host->log(ctx, KATO_LOG_WARN, "gemini: saved parser state unusable; starting afresh");
		host->count(ctx, "bad-state");
	}
	*state = st;
	return 0;
}

static int gm_parse_line(void *state, const char *line, size_t len)
{
	struct gm_state *st = state;
	struct json_object *o = pj_parse_line_with(&st->tok, line, len);
	if (!o)
		return 1;
	if (!json_object_is_type(o, json_type_object)) {
		gm_count_unknown(st, "non-object", NULL);
		json_object_put(o);
		return 0;
	}
	struct json_object *v;
	if (pj_str(o, "id")) {
		gm_line_message(st, o);
	} else if (json_object_object_get_ex(o, "$set", &v)) {
		if (json_object_is_type(v, json_type_object)) {
			st->host->count(st->ctx, "$set");
			gm_meta(st, v);
			struct json_object *msgs = pj_arr(v, "messages");
			if (msgs)
				gm_replace_list(st, msgs, true);
		} else {
			gm_count_unknown(st, "$set", NULL);
		}
	} else if (json_object_object_get_ex(o, "$rewindTo", &v)) {
		size_t n;
		if (json_object_is_type(v, json_type_string))
			gm_rewind(st, pj_sval(v, &n));
		else
			gm_count_unknown(st, "$rewindTo", NULL);
	} else if (pj_str(o, "sessionId")) {
		st->host->count(st->ctx, "header");
		gm_meta(st, o);
		struct json_object *msgs = pj_arr(o, "messages");
		if (msgs)
			gm_replace_list(st, msgs, false);
	} else {
		gm_count_unknown(st, "record", NULL);
	}
	gm_announce(st);
	json_object_put(o);
	return 0;
}

static int gm_parse_document(void *state, const char *buf, size_t len)
{
	struct gm_state *st = state;
	struct json_object *o = pj_parse(buf, len);
	if (!o)
		return 1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 1;
	}
	gm_meta(st, o);
	struct json_object *msgs = pj_arr(o, "messages");
	if (msgs)
		gm_replace_list(st, msgs, false);
	else
		gm_count_unknown(st, "document-without-messages", NULL);
	gm_announce(st);
	json_object_put(o);
	return 0;
}

static void gm_flush(void *state)
{
	gm_process(state, true);
}

static void gm_reset(void *state)
{
	gm_forget(state);
}

static void gm_close_file(void *state)
{
	struct gm_state *st = state;
	if (!st)
		return;
	gm_forget(st);
	free(st->path_sid);
	free(st->path_parent);
	if (st->tok) /* json-c 0.16 does not take NULL */
		json_tokener_free(st->tok);
	pj_free(&st->blob);
	free(st);
}

static const struct kato_provider_desc gm_desc = {
	.abi_major = KATO_PROVIDER_ABI_MAJOR,
	.abi_minor = KATO_PROVIDER_ABI_MINOR,
	.struct_size = sizeof(struct kato_provider_desc),
	.name = "gemini",
	.version = "1.0",
	.description = "Gemini CLI chat recordings (session-*.json and session-*.jsonl)",
	.default_roots = "~/.gemini/tmp",
	.match_path = gm_match_path,
	.open_file = gm_open_file,
	.parse_line = gm_parse_line,
	.parse_document = gm_parse_document,
	.save_state = gm_save_state,
	.flush = gm_flush,
	.reset = gm_reset,
	.close_file = gm_close_file,
	.probe = gm_probe,
};

KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void)
{
	return &gm_desc;
}
