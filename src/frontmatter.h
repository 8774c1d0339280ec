/* SPDX-License-Identifier: Apache-2.0 */
/* frontmatter: the YAML block at the top of a recording (ref §4.2).
 *
 * A "block" here is what the reference calls the frontmatter: from the
 * opening "---\n" through the three dashes of the first "\n---" after
 * position 4, WITHOUT the newline that follows. A file is
 * "<block>\n\n<body>\n", or "<block>\n" when the body is empty (ref §4.4).
 *
 * Scalars are written as the reference does: bare when they match
 * [A-Za-z0-9._/@:-]+ and a YAML 1.2 reader (js-yaml 4 default schema) reads
 * them back as a string, else single-quoted with ' doubled. */
#ifndef KATO_FRONTMATTER_H
#define KATO_FRONTMATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fm_fields {
	const char *id;         /* NULL: fm_id(title, session_id, random) */
	const char *title;      /* NULL: "Untitled Conversation" */
	const char *session_id; /* NULL or blank: no sessionId line */
	int64_t created_ms;
	int64_t updated_ms; /* < 0: no "updated" line */
	/* NULL-terminated lists, NULL for none; written in the given order
	 * (trimmed, blanks dropped, first occurrence kept). The reference's
	 * callers pass participants = [user.<name>,] sorted provider.model
	 * values, and event_kinds sorted. */
	const char *const *participants;
	const char *const *recording_ids;
	const char *const *tags;
	const char *const *event_kinds; /* conversationEventKinds */
};

/* Append the block for `f` (no trailing newline; see above). */
void fm_render(const struct fm_fields *f, struct buf *out);

/* Length of the block at the start of text[0..len) (through the closing
 * "---", not the newline after it), or 0 if the text has none. */
size_t fm_find(const char *text, size_t len);

/* Accretive merge (ref §4.2) of incoming lists into block[0..len).
 * When nothing new is added, *changed = false and `out` gets the block byte
 * for byte; otherwise *changed = true and `out` gets the re-rendered block
 * (key order kept, replaced keys in place, new keys at the end).
 * Returns -1 and sets *err (malloc'd) when the block does not parse as a
 * YAML mapping; `out` then still gets the block unchanged, which is what
 * the reference keeps. */
int fm_merge(const char *block, size_t len, const char *const *participants,
	     const char *const *recording_ids, const char *const *event_kinds,
	     struct buf *out, bool *changed, char **err);

/* slug(title) of ref §4.2 (lowercase, [a-z0-9-], at most 24, "note" when
 * empty). Caller frees. */
char *fm_slug(const char *title);

/* The frontmatter id: slug + "-" + the first 8 [a-z0-9] of the lowercased
 * session id, or slug + "-" + 6 pseudo-random [a-z0-9] drawn from
 * `random_seed` when the session id gives none. Caller frees. */
char *fm_id(const char *title, const char *session_id, uint32_t random_seed);

/* Append one scalar the way the reference writes inline array items and
 * the sessionId (bare or single-quoted). */
void fm_scalar(const char *s, size_t n, struct buf *out);

/* Would js-yaml's default schema read s[0..n) back as a non-string (null,
 * bool, number, date, or a sequence/mapping)? False also when it would
 * fail to parse. Only meaningful for [A-Za-z0-9._/@:-] text. */
bool fm_yaml_ambiguous(const char *s, size_t n);

#endif
