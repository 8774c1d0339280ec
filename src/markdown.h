/* SPDX-License-Identifier: Apache-2.0 */
/* markdown: render canonical events (ConversationEvent JSON, ref §2.1) as
 * the reference's Markdown body (ref §4.3), byte for byte, with the fixes of
 * SPEC "Deliberate differences" 6-7 and SPEC §5 (long enough fences, no
 * invalid UTF-8).
 *
 * Choices where the reference is silent or could not be copied:
 * - `compaction` events render like provider.info, only with system events
 *   on: "> [compaction:<trigger>] <content>", every line of a multi-line
 *   content prefixed with "> ", "context compacted" when the content is
 *   blank, and ":<trigger>" left out when there is no trigger.
 * - Fences: "```" unless the wrapped text holds a run of 3 or more
 *   backticks; then one backtick more than its longest run.
 * - Tool results are cut at 4000 UTF-16 units + "...". When the cut splits a
 *   surrogate pair, the reference writes the lone half, which its UTF-8
 *   encoder turns into U+FFFD; we write U+FFFD there too (same bytes).
 * - Invalid UTF-8 anywhere in the output becomes U+FFFD (one per bad byte).
 * - Heading times: the ECMAScript ISO date-time forms that V8's Date accepts
 *   (date-only = UTC, date-time without offset = local time, "T"/"t"/" "
 *   separator, any number of fraction digits, Z or ±HH:MM or ±HHMM, day
 *   overflow such as Feb 30 rolls over); any other text is "unknown-time"
 *   (V8's free-form legacy formats such as "Feb 10 2026" are not read).
 */
#ifndef KATO_MARKDOWN_H
#define KATO_MARKDOWN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frontmatter.h"

struct md_options {
	bool include_commentary;    /* assistant phase "commentary" */
	bool include_thinking;      /* thinking paragraphs */
	bool include_tool_calls;    /* <details> per tool.call with its result */
	bool italicize_user;        /* *line* per user line */
	bool include_system_events; /* message.system, provider.info, compaction */
};

/* The config defaults of ref §4.1: commentary on, everything else off. */
void md_options_default(struct md_options *o);

/* Render events[0..n) (in order) as Markdown body text per ref §4.3 and
 * append it to `out`.
 * `last_role` (in/out; "" at the start of a file) is the role ("user",
 * "assistant", "system") of the last message heading already in the file:
 * within one chunk the reference rules apply unchanged; across chunks the
 * first message gets a heading only if its role differs from *last_role
 * (SPEC difference 7). On return it holds the role of the last message
 * rendered (unchanged when none was).
 * The text has no leading newlines and ends with exactly one "\n" when
 * non-empty; nothing is appended when nothing renders. */
void md_render(const struct md_options *o, struct json_object *const *events, size_t n,
	       char last_role[16], struct buf *out);

/* md_render of events[first..n), with events[0..first) as context only:
 * the message before `first` counts for the assistant de-duplication rule
 * (a recording's chunk continues what is already in the file). */
void md_render_after(const struct md_options *o, struct json_object *const *events, size_t n, size_t first,
		     char last_role[16], struct buf *out);

/* A whole document as the reference writes it on create / overwrite without
 * an existing frontmatter (ref §4.4): with `fm`, "<frontmatter>\n\n<body>\n",
 * or "<frontmatter>\n" when the body is empty; without `fm`, "<body>\n"
 * ("\n" when empty). Appends to `out`. */
void md_document(const struct md_options *o, const struct fm_fields *fm,
		 struct json_object *const *events, size_t n, struct buf *out);

/* The snippet of ref §3.6 of one message text: with each "\r\n", "\n" or
 * "\r" made one space and JS-trimmed; kept whole up to 60 UTF-16 units,
 * else its first 59 units + "…" (a split surrogate pair becomes U+FFFD).
 * Appends it to `out` and returns 0, or -1 (nothing appended) when the
 * text is blank. Which message it is taken from is export_title's rule. */
int md_snippet(const char *s, size_t len, struct buf *out);

/* Heading speaker for an assistant model (ref §4.3): a trailing
 * "-<digits>-<digits>" becomes "-<digits>.<digits>"; NULL or "" gives
 * "Assistant". Appends to `out`. */
void md_speaker(const char *model, struct buf *out);

/* Heading time of an ISO timestamp in local time (TZ):
 * "YYYY-MM-DD_HHMM_SS", or "unknown-time" when it is not a valid date.
 * Appends to `out`. */
void md_heading_time(const char *iso, struct buf *out);

/* Parse a timestamp as JavaScript's Date does for ISO forms (see above).
 * Returns 0 and the epoch milliseconds, or -1 when invalid. */
int md_parse_time(const char *iso, int64_t *ms);

/* JSON.stringify(v, null, 2): 2-space indentation, "{}" / "[]" when empty,
 * key order kept, numbers as JavaScript prints them. Appends to `out`. */
void md_json_pretty(struct json_object *v, struct buf *out);

/* JavaScript's String(number) for a double ("1", "0.5", "1e+21", "NaN").
 * Appends to `out`. */
void md_js_number(double d, struct buf *out);

/* The frontmatter participants of ref §4.2: "user.<user>" first when user
 * is non-NULL (lowercased, blanks as "-", only [a-z0-9._-] kept), then the
 * sorted unique "<provider>.<model>" ("<provider>.assistant" without a
 * model) of the message.assistant events. NULL-terminated, malloc'd. */
char **md_participants(struct json_object *const *ev, size_t n, const char *user);
/* The sorted unique kinds of the events (conversationEventKinds). */
char **md_event_kinds(struct json_object *const *ev, size_t n);

#endif
