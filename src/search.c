/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "search.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int set_err(char **err, const char *what, const char *detail)
{
	if (err) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
		*err = buf_take(&b);
	}
	return -1;
}

/* The hits come in two steps: the rows, ranked and filtered, then a
 * snippet for each of the few kept (a snippet costs reading and
 * tokenizing the text; SQLite would make one for every match before it
 * sorts). */
static const char hits_sql[] =
	"SELECT f.rowid, e.session, e.kind, e.ts, s.kato_id, s.provider, s.psid "
	"FROM events_fts f JOIN events e ON e.seq = f.rowid JOIN sessions s ON s.id = e.session "
	"WHERE f.events_fts MATCH ?1 AND (?2 IS NULL OR s.provider = ?2) "
	"AND (?3 IS NULL OR e.ts >= ?3) AND (?4 = 0 OR e.session = ?4) ";
/* Newest first streams: FTS5 walks the matches from the highest rowid
 * and stops at the limit, however many there are. Ranking reads every
 * match (about a second for a word in every message of 1 GB). */
static const char order_newest[] = "ORDER BY f.rowid DESC LIMIT ?5";
static const char order_rank[] = "ORDER BY f.rank, f.rowid DESC LIMIT ?5";
static const char snippet_sql[] =
	"SELECT snippet(events_fts, 0, char(1), char(2), '\u2026', 16) FROM events_fts "
	"WHERE events_fts MATCH ?1 AND rowid = ?2";

/* An SQLite error the query itself caused (its syntax, a column filter
 * that names no column, ...), as opposed to the store's. */
static bool query_fault(sqlite3 *db)
{
	int code = sqlite3_extended_errcode(db);
	return code == SQLITE_ERROR;
}

static int query_err(sqlite3 *db, char **err)
{
	const char *m = sqlite3_errmsg(db);
	if (!strncmp(m, "fts5: ", 6))
		m += 6;
	const char *end = strstr(m, " near \"\"");
	if (err) {
		struct buf b = BUF_INIT;
		if (end && !end[8])
			buf_printf(&b, "%.*s at the end", (int)(end - m), m);
		else
			buf_adds(&b, m);
		*err = buf_take(&b);
	}
	return -2;
}

int search_run(struct store *s, const struct search_query *q,
	       int (*cb)(void *ud, const struct search_hit *h), void *ud, char **err)
{
	if (store_schema(s) < 3) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "the store has no search index yet (schema %d); start katod or run kato import "
			       "once to build it", store_schema(s));
		*err = buf_take(&b);
		return -1;
	}
	sqlite3 *db = store_db(s);
	sqlite3_stmt *hits = NULL, *snip = NULL;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "%s%s", hits_sql, q->rank ? order_rank : order_newest);
	int prc = sqlite3_prepare_v2(db, sql.p, -1, &hits, NULL);
	buf_free(&sql);
	if (prc != SQLITE_OK ||
	    sqlite3_prepare_v2(db, snippet_sql, -1, &snip, NULL) != SQLITE_OK) {
		set_err(err, "cannot search the store", sqlite3_errmsg(db));
		sqlite3_finalize(hits);
		return -1;
	}
	sqlite3_bind_text(hits, 1, q->match, -1, SQLITE_STATIC);
	if (q->provider)
		sqlite3_bind_text(hits, 2, q->provider, -1, SQLITE_STATIC);
	if (q->since)
		sqlite3_bind_text(hits, 3, q->since, -1, SQLITE_STATIC);
	sqlite3_bind_int64(hits, 4, q->session);
	sqlite3_bind_int(hits, 5, q->limit);
	sqlite3_bind_text(snip, 1, q->match, -1, SQLITE_STATIC);
	int rc, ret = 0;
	while ((rc = sqlite3_step(hits)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(hits, 0);
		sqlite3_reset(snip);
		sqlite3_bind_int64(snip, 2, seq);
		const char *snippet = "";
		int src = sqlite3_step(snip);
		if (src == SQLITE_ROW && sqlite3_column_text(snip, 0))
			snippet = (const char *)sqlite3_column_text(snip, 0);
		else if (src != SQLITE_DONE && src != SQLITE_ROW) {
			ret = set_err(err, "cannot search the store", sqlite3_errmsg(db));
			break;
		}
		struct search_hit h = {
			.seq = seq,
			.session = sqlite3_column_int64(hits, 1),
			.kind = (const char *)sqlite3_column_text(hits, 2),
			.ts = (const char *)sqlite3_column_text(hits, 3),
			.kato_id = (const char *)sqlite3_column_text(hits, 4),
			.provider = (const char *)sqlite3_column_text(hits, 5),
			.psid = (const char *)sqlite3_column_text(hits, 6),
			.snippet = snippet,
		};
		if (cb(ud, &h))
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = query_fault(db) ? query_err(db, err) : set_err(err, "cannot search the store", sqlite3_errmsg(db));
	sqlite3_finalize(hits);
	sqlite3_finalize(snip);
	return ret;
}
