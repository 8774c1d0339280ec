/* SPDX-License-Identifier: Apache-2.0 */
/* recorder: runs the in-chat commands (ref §3.3, SPEC §4) found in the
 * events of the store, and appends each later event to the session's active
 * recording exactly once (SPEC §5).
 *
 * All of its state is in the store (tables recorder, recordings, commands):
 *   - per session, the pointer (primary destination) and how far commands
 *     have been handled, as an event sequence number and a line;
 *   - per destination, whether it is active, the sequence number of the
 *     last event in the file, and an append intent: the bytes about to be
 *     appended, committed before they are written. After a crash the intent
 *     is checked against the file (is it there, whole or in part?) and
 *     finished, so nothing is written twice or lost.
 * Commands run only from live human messages: never from events marked
 * STORE_EVENT_HISTORY, assistant text, tool output, injected context or
 * sidechains. */
#ifndef KATO_RECORDER_H
#define KATO_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct recorder;

/* Create a recorder over `s` (borrowed, open read-write) with the
 * settings of `cfg` (copied what it needs; see recorder_configure).
 * Returns 0, or -1 with *err (malloc'd). */
int recorder_open(struct store *s, const struct kato_config *cfg, struct recorder **out, char **err);
void recorder_close(struct recorder *r);

/* Take new settings (after SIGHUP). 0, or -1 with *err (old ones kept). */
int recorder_configure(struct recorder *r, const struct kato_config *cfg, char **err);

/* Note that session `sid` has new events, or needs a pass (a resume, a
 * retry): its pass reads every event after its command pointer. */
void recorder_note(struct recorder *r, int64_t sid);
/* Note the new event `seq` of session `sid` (ingest's on_event);
 * maybe_command: a user message that may hold a command. When what was
 * noted is every event after the session's pointer, its pass reads only
 * those messages. */
void recorder_note_event(struct recorder *r, int64_t sid, int64_t seq, bool maybe_command);

/* Find what was left undone by an earlier run (append intents, events
 * stored but not yet processed) and note those sessions. */
int recorder_resume(struct recorder *r);

/* Process every noted session: run its new commands, append its new events
 * to its active recording. A session that fails (a store or file error;
 * logged) is tried again by a later recorder_run once its retry is due:
 * after the base delay, then twice as long each time up to the maximum,
 * or sooner when it gets new events of its own; other sessions' runs do
 * not touch it. Returns 0 when everything is done, 1 when some session waits for a
 * retry (see recorder_next_retry), -1 when the store failed. */
int recorder_run(struct recorder *r);
/* When the earliest retry is due (CLOCK_MONOTONIC ms), or 0: none. */
int64_t recorder_next_retry(const struct recorder *r);
/* The retry delays (defaults: 2 s, doubling up to 5 min). */
void recorder_set_retry(struct recorder *r, int64_t base_ms, int64_t max_ms);

/* The recording id of a destination of a session: a UUID (version 8, RFC
 * 9562) derived from the kato session id and the path, so that the same
 * destination always gets the same id, even across a crash. */
void recorder_rec_id(const char *kato_id, const char *path, char out[37]);

#endif
