/* SPDX-License-Identifier: Apache-2.0 */
/* search: full-text search of what was said (the FTS5 index of schema
 * 3, kept by store_add_event in the same transaction as the events). */
#ifndef KATO_SEARCH_H
#define KATO_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Highlight markers around each match in a hit's snippet. */
#define SEARCH_MARK_ON '\001'
#define SEARCH_MARK_OFF '\002'

struct search_query {
	const char *match;    /* FTS5 query syntax */
	const char *provider; /* NULL: any */
	const char *since;    /* stored-timestamp form (cli_parse_since); NULL: any */
	int64_t session;      /* store row id; 0: any */
	int limit;            /* at most this many hits */
	bool rank;            /* best matches first (bm25), not newest first */
};

struct search_hit {
	int64_t seq, session;
	const char *kato_id, *provider, *psid;
	const char *kind; /* message.user or message.assistant */
	const char *ts;   /* NULL when the event has none */
	/* Around the best match, a few words, each match between
	 * SEARCH_MARK_ON and SEARCH_MARK_OFF; "…" where text was left out. */
	const char *snippet;
};

/* The newest hits first (the order the events were stored in), or with
 * q->rank the best first (FTS5's bm25 rank), newest first among equals.
 * The hit's strings are borrowed for the callback; a non-zero return
 * stops. 0; -2 when the query is not valid FTS5 syntax (*err says why,
 * one line); -1 on another error (*err). */
int search_run(struct store *s, const struct search_query *q,
	       int (*cb)(void *ud, const struct search_hit *h), void *ud, char **err);

#endif
