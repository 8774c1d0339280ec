/* SPDX-License-Identifier: Apache-2.0 */
/* event: canonical events (ref §2.1 ConversationEvent) as stored JSON. */
#ifndef KATO_EVENT_H
#define KATO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kato/provider.h"

/* Is `kind` one of the canonical kinds? */
bool event_kind_valid(const char *kind);

/* Byte length of the free-text field at `s` whose ABI 1.1 length member
 * sits at offset `len_off`: that length when the plugin's struct covers it
 * and set it, else strlen(s); 0 for NULL. Use EVENT_LEN. */
size_t event_field_len(const struct kato_event *ev, const char *s, size_t len_off);
#define EVENT_LEN(ev, field)                                                   \
	event_field_len((ev), (ev)->field, offsetof(struct kato_event, field##_len))

/* Check that an event from a plugin is usable: a known kind, an event id
 * and the fields its kind requires (JSON-valued fields are checked by
 * event_to_json, which validates them anyway). On failure returns -1 and sets
 * *why to a static string. */
int event_check(const struct kato_event *ev, const char **why);

/* Append ev as one line of the reference's ConversationEvent JSON (no
 * newline): eventId, provider, sessionId, timestamp, kind, turnId, source,
 * then the kind's fields, then kato's marks "isSidechain": true and
 * "isInjected": true when those flags are set. `raw_cursor` < 0 leaves source.rawCursor out.
 * Returns -1 when input_json / metadata_json is not a JSON object or
 * basis_event_ids_json not an array (the output is then not to be used). */
int event_to_json(const struct kato_event *ev, const char *provider,
		  const char *session_id, int64_t raw_cursor, struct buf *out);

#endif
