/* SPDX-License-Identifier: Apache-2.0 */
/* status: the object `kato status --json` prints. katod builds it with
 * what only it knows (roots, watches, files that grew without events)
 * and sends it over the control socket; when katod is down, kato builds
 * it from the store alone and those members are null. */
#ifndef KATO_STATUS_H
#define KATO_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

struct status_root {
	const char *provider, *path;
	const char *state;  /* "watching", "missing" or "error" */
	const char *reason; /* NULL when watching */
};

struct status_silent {
	char *path;
	int64_t bytes; /* read since its last event, without any event */
	bool flushed;  /* still none after the plugin released what it held
			* back (the file went quiet): only these are shown */
};

struct status_live {
	long pid;
	int64_t started_ms; /* wall clock */
	const struct status_root *roots;
	size_t nroots;
	int watched_dirs, unwatched_dirs;
	const struct status_silent *silent;
	size_t nsilent;
	size_t pending_files; /* touched, waiting to be read */
};

/* Append the status object (one line of JSON, no newline) to out. live
 * is NULL when katod does not answer; `pid` then is the pid holding the
 * lock (0: not running, -1: running, pid unknown). `limit`: how many
 * command outcomes. 0 or -1 (store error). */
int status_json(struct store *s, const struct status_live *live, long pid, int limit, struct buf *out);

/* The pid holding katod's lock, -1 if held but unreadable, 0 if free. */
long status_katod_pid(void);

/* "2026-11-30T02:16:33Z" from wall-clock ms. */
void status_iso(int64_t ms, char out[32]);

#endif
