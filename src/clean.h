/* SPDX-License-Identifier: Apache-2.0 */
/* clean: what `kato clean` does, run by katod when it runs (it owns the
 * store's writes) and by kato otherwise. Never deletes a recording. */
#ifndef KATO_CLEAN_H
#define KATO_CLEAN_H

#include <stdbool.h>

#include "buf.h"
#include "store.h"

struct clean_opts {
	int sessions_days; /* remove sessions quiet for this many days; 0: keep all */
	bool logs;         /* empty katod.log, remove katod.log.1 */
	bool dry_run;      /* count only */
};

/* Run it on store s (read-only is enough for a dry run). Appends the
 * outcome as JSON members (",\"mode\":\"dry-run\",...") to out. 0, or -1
 * with a malloc'd message in *err. */
int clean_run(struct store *s, const struct clean_opts *o, struct buf *out, char **err);

#endif
