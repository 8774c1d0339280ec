/* SPDX-License-Identifier: Apache-2.0 */
/* cli: what kato's commands share: opening the store, dates
 * given on the command line, the terminal's width, text made safe and
 * cut to a display width, and a table that fits the terminal. */
#ifndef KATO_CLI_H
#define KATO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

struct store;
/* Open the store (paths_db_file), read-only or for writing; when it
 * cannot be opened, print "kato: <why>" on stderr. 0, or -1. */
int cli_open_store(bool readonly, struct store **s);

/* Parse a --since DATE relative to `now`: YYYY-MM-DD (local midnight),
 * an ISO time YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM] (local
 * without a zone), or a span back from now: N followed by s, m, h, d or
 * w (7d, 24h). Writes the instant as a stored timestamp
 * (YYYY-MM-DDTHH:MM:SS.mmmZ, UTC) into out. 0, or -1 if not a date. */
int cli_parse_since(const char *s, time_t now, char out[32]);

/* A count given on the command line (-n N): a decimal number from min to
 * max into *out. 0, or -1 for anything else (empty, not a number, out of
 * range). */
int cli_parse_count(const char *s, long min, long max, long *out);

/* An event timestamp (ISO, UTC) as local "YYYY-MM-DD HH:MM"; "-" when
 * absent, the text itself when it does not parse. */
void cli_local_time(const char *ts, struct buf *out);

/* The terminal's width when fd is a terminal ($COLUMNS wins, then
 * TIOCGWINSZ, then 80); 0 when it is not a terminal. */
int cli_term_width(int fd);

/* Columns one code point takes on a terminal: 0 (combining, zero
 * width), 1, or 2 (East Asian wide, emoji). */
int cli_cp_width(uint32_t cp);
/* Display width of UTF-8 text (invalid bytes count 1). */
size_t cli_width(const char *s);

/* Append s as one line of plain text: every run of whitespace becomes
 * one space, control characters (escape sequences included) and invalid
 * UTF-8 become U+FFFD, leading and trailing spaces go. Bytes 0x01 and
 * 0x02 are kept when keep_marks (search highlight markers). */
void cli_clean_line(const char *s, bool keep_marks, struct buf *out);

/* Append s cut to at most `width` display columns: when it is wider, as
 * many whole characters as fit in width - 1 and then "…" (one column).
 * width 0: nothing. */
void cli_fit(const char *s, size_t width, struct buf *out);

/* A table: a header row and rows of `ncols` cells (malloc'd copies). */
struct cli_table {
	size_t ncols, nrows;
	char **cells; /* nrows * ncols, row 0 is the header */
	bool *right;  /* right-aligned columns */
};
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header);
void cli_table_right(struct cli_table *t, size_t col);
void cli_table_add(struct cli_table *t, const char *const *row);
/* Render: columns separated by two spaces, aligned to the widest cell,
 * no trailing spaces. width > 0: the widest column (again and again) is
 * narrowed until the table fits, its cells cut with "…"; 0: nothing is
 * cut. */
void cli_table_render(const struct cli_table *t, size_t width, struct buf *out);
void cli_table_free(struct cli_table *t);

#endif
