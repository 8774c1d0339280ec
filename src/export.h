/* SPDX-License-Identifier: Apache-2.0 */
/* export: write a stored session as JSONL (ref §2.1 ConversationEvent
 * lines) or Markdown (ref §4, default flags). */
#ifndef KATO_EXPORT_H
#define KATO_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "store.h"

enum export_format { EXPORT_MARKDOWN, EXPORT_JSONL };

struct markdown_settings;

/* Write session `sid` to `out`. Markdown uses the feature flags and
 * frontmatter settings of `cfg` (NULL: defaults). 0, or -1 with *err. */
struct kato_config;
int export_session(struct store *s, int64_t sid, enum export_format fmt,
		   const struct kato_config *cfg, FILE *out, char **err);

struct md_options;
/* The Markdown options of cfg's featureFlags (NULL: defaults). */
void export_md_options(const struct kato_config *cfg, struct md_options *o);
/* The participant user name when cfg asks for one (ref §4.2:
 * defaultParticipantUsername, else $USER, $USERNAME, basename of $HOME),
 * else NULL. */
const char *export_user_participant(const struct kato_config *cfg);
/* The title of a session, the one rule for export, recordings and `kato
 * sessions`: the session's own title (a provider title record), else the
 * snippet (ref §3.6) of its first message a human typed (injected context
 * never), else `fallback` (may be NULL: nothing). Appends to `out`. */
void export_title(const struct store_session_row *r, const char *fallback, struct buf *out);
/* Free a NULL-terminated list from md_participants / md_event_kinds. */
void export_free_list(char **v);

#endif
