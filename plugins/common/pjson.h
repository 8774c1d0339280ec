/* SPDX-License-Identifier: Apache-2.0 */
/* pjson: small json-c helpers shared by the bundled providers (compiled
 * into each plugin; not part of the ABI). */
#ifndef KATO_PJSON_H
#define KATO_PJSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Member accessors: NULL / fallback when absent or of another type. */
const char *pj_str(struct json_object *obj, const char *key);
/* Member `key` as a string and its byte length in *len (which counts a
 * NUL written as \u0000; 0 when absent); NULL when absent or no string. */
const char *pj_strn(struct json_object *obj, const char *key, size_t *len);
/* v itself as a string with its byte length; NULL (and *len 0) when v is
 * not a string. */
const char *pj_sval(struct json_object *v, size_t *len);
struct json_object *pj_obj(struct json_object *obj, const char *key);
struct json_object *pj_arr(struct json_object *obj, const char *key);
bool pj_bool(struct json_object *obj, const char *key, bool fallback);
int64_t pj_int(struct json_object *obj, const char *key, int64_t fallback);
/* Compact JSON text of v (no "/" escaping); owned by v, valid until v
 * is serialised again or freed. */
const char *pj_text(struct json_object *v);
/* Parse one line or document; NULL unless it is exactly one JSON value.
 * Nesting up to 256 levels. Caller owns the result. It is what json-c's
 * parser gives (pj_parse_json_c), accepting and refusing the same texts,
 * but built by pjson in the pass that checks the text, without json-c's
 * tokener, which reads a byte at a time and copies each value through a
 * buffer: strings are found 16 bytes at a time and copied once, numbers
 * become what the tokener makes of them (an int64, an uint64 past
 * INT64_MAX, a double that keeps its text), a key given twice keeps its
 * first place and its last value. Anything pjson does not take (json-c's
 * extensions, escaped keys, a bad escape or a lone surrogate, nesting
 * past 200, broken JSON) goes to json-c whole (tests/test_pjson.c,
 * tests/fuzz_pjson.c). */
struct json_object *pj_parse(const char *s, size_t n);
/* pj_parse with the tokener *tok for what goes to json-c, made then and
 * reset on each use: making one clears 256 levels of state. */
struct json_object *pj_parse_with(struct json_tokener **tok, const char *s, size_t n);
/* json-c's tokener alone (tests compare pj_parse with it). */
struct json_object *pj_parse_json_c(const char *s, size_t n);

/* A record line at least PJ_HUGE_LINE long has its string values of at
 * least PJ_HUGE_STR raw bytes decoded by pjson, once, into their own
 * buffer, instead of by json-c (whose tokener buffer and string object
 * would hold two more copies of the text besides the line: SPEC 8). */
#define PJ_HUGE_LINE ((size_t)8 << 20)
#define PJ_HUGE_STR ((size_t)1 << 20)
/* pj_parse for a record line, accepting and rejecting exactly what it
 * does. A huge string value (above) is held by a json-c string whose own
 * text is a placeholder ("", then more after a NUL): read strings with
 * pj_sval / pj_strn / pj_str and serialise with pj_text or json-c's
 * to_json_string, which all see the real text. The text lives as long as
 * the string object. Caller owns the result. */
struct json_object *pj_parse_line(const char *s, size_t n);
/* pj_parse_line with the tokener *tok, made on the first call (*tok NULL)
 * and reset on each: one per file state saves making and clearing one per
 * line (about 6 % of a backfill's instructions). The caller frees it with
 * json_tokener_free (not NULL: json-c 0.16 crashes on it). */
struct json_object *pj_parse_line_with(struct json_tokener **tok, const char *s, size_t n);

/* A member of a record that a plugin never reads: `key`, unless the raw
 * text of its value holds `unless` (NULL: whatever it holds). With
 * `inner`, the member itself is read but those of its members (when it is
 * an object, or of its elements when it is an array of objects) are not.
 * The member comes back as null; with `absent`, it is left out altogether
 * when a comma follows it (json-c makes no key for it either), for a
 * member the plugin never even looks for. A list ends with a NULL key. */
struct pj_unread {
	const char *key;
	const char *unless;
	const struct pj_unread *inner;
	bool absent;
};
/* pj_parse_line_with, except that in a line that is one plain JSON object
 * (as pj_parse builds it) the members listed in `unread` come back as
 * null (or absent): pjson checks their text and builds nothing for them.
 * A line pjson leaves to json-c is parsed whole. unread NULL: every
 * member. */
struct json_object *pj_parse_lean(struct json_tokener **tok, const char *s, size_t n,
				  const struct pj_unread *unread);
/* pj_parse_line with its two thresholds as parameters (for tests). */
struct json_object *pj_parse_big(const char *s, size_t n, size_t min_line, size_t min_str);

/* First occurrence of the NUL-terminated needle in s[0..n), or NULL. */
const char *pj_find(const char *s, size_t n, const char *needle);

/* Content probes (ABI 1.2): the first bytes of a file, which may end
 * inside a line or a value. */
enum pj_shape {
	PJ_SHAPE_OTHER = 0,    /* does not start with a JSON object */
	PJ_SHAPE_LINES = 1,    /* its first line is a whole JSON object, or
				* runs past the head (JSONL with a long line) */
	PJ_SHAPE_DOCUMENT = 2, /* one JSON object spread over several lines */
};
enum pj_shape pj_head_shape(const char *head, size_t n);
/* The next line of head[*pos..n) that is one JSON object, parsed (caller
 * owns it), advancing *pos past it; lines that are not are skipped. NULL
 * at the end. An unterminated last line counts when it parses. */
struct json_object *pj_head_next(const char *head, size_t n, size_t *pos);
/* Does s[0..n) hold "key" followed by optional blanks and a ':'? */
bool pj_head_has_key(const char *s, size_t n, const char *key);

/* FNV-1a 64 of bytes, for stable ids of records that carry none. */
uint64_t pj_hash64(const void *p, size_t n);
/* pj_hash64 of pj_text(v), without holding the text of a huge string
 * (pj_parse_line) whole: it is escaped and hashed in slices. */
uint64_t pj_hash_text(struct json_object *v);

/* A growable string for plugins. */
struct pj_buf {
	char *p;
	size_t len, cap;
};

/* Is code point c whitespace for JavaScript's trim and \s? */
bool pj_js_space(int32_t c);
/* JavaScript's String.prototype.trim: the bounds [*from, *to) of s[0..n)
 * without JS whitespace (WhiteSpace + LineTerminator) at either end. */
void pj_trim_bounds(const char *s, size_t n, size_t *from, size_t *to);
/* JS-trim b in place. */
void pj_trim(struct pj_buf *b);
/* The reference's normalizeText, in place: CRLF and CR to LF, runs of 3+
 * LF to two, then JS trim. */
void pj_normalize_text(struct pj_buf *b);
/* pj_normalize_text of s[0..n) (NUL-terminated there) as [*rp, *rp +
 * *rn), NUL-terminated after: a view into s when at most leading space
 * goes, else a normalized copy in *out (reset first). */
void pj_normalize_view(struct pj_buf *out, const char *s, size_t n, const char **rp, size_t *rn);
/* The reference's normalizeDecisionKey(raw, i) into out (replacing it):
 * JS-trim, lowercase, runs of non-[a-z0-9] to "-", no edge "-";
 * "decision-<i+1>" when nothing is left. */
void pj_decision_key(struct pj_buf *out, const char *raw, size_t i);
void pj_add(struct pj_buf *b, const char *s, size_t n);
void pj_adds(struct pj_buf *b, const char *s);
const char *pj_cstr(struct pj_buf *b); /* "" when empty */
void pj_reset(struct pj_buf *b);
void pj_free(struct pj_buf *b);

#endif
