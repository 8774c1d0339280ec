/* SPDX-License-Identifier: Apache-2.0 */
/* source: read a provider file from a cursor, and tell whether the file
 * still is what the cursor was taken from. Files ending in .zst are read
 * through zstd; their offsets count decompressed bytes. No descriptor is
 * kept open between reads. */
#ifndef KATO_SOURCE_H
#define KATO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Longest line kept in memory (without its newline); longer lines are
 * skipped and counted. */
#define SOURCE_MAX_LINE (256u << 20)
/* Bytes hashed at the head of a file, and just before the cursor. */
#define SOURCE_HEAD_MAX 1024u
#define SOURCE_MARKER_MAX 64u

/* What a cursor knows about its file. */
struct source_id {
	uint64_t dev, ino;
	int64_t size;   /* on-disk size when taken */
	int64_t offset; /* cursor: end of the last consumed record */
	uint32_t head_len, marker_len;
	uint8_t head[16], marker[16];
};

enum source_change {
	SOURCE_NEW,       /* no cursor yet: read from 0 */
	SOURCE_SAME,      /* nothing to read */
	SOURCE_GREW,      /* read from the cursor */
	SOURCE_RESET,     /* truncated, replaced or rewritten: read from 0 */
	SOURCE_GONE,      /* the path no longer exists */
	SOURCE_SPECIAL,   /* not a regular file (FIFO, device...): never opened */
};

/* Compare the file at `path` with `known` (NULL: never seen). Sets *why to
 * a static explanation for SOURCE_RESET. -1 on an I/O error. */
int source_examine(const char *path, const struct source_id *known, enum source_change *change,
		   const char **why);
/* Fill *id for a cursor at `offset` in `path` (reads the head and the
 * bytes before offset). 0 or -1. */
int source_stamp(const char *path, int64_t offset, struct source_id *id);
/* Hash a whole document into id->marker (documents' cursor). 0 or -1. */
int source_stamp_document(const char *path, const char *data, size_t len, struct source_id *id);

/* Open `path` for reading only if it is a regular file (after following
 * symlinks): opened non-blocking, then checked with fstat, so a FIFO or a
 * device never blocks or feeds endless bytes. The fd, or -1 with errno
 * (EINVAL: not a regular file). */
int source_open_regular(const char *path);

/* Is `path` zstd-compressed (by name)? */
bool source_is_zst(const char *path);

struct source_reader;
/* Open `path` positioned at `offset` (regular files only, see
 * source_open_regular). NULL with errno set on failure. */
struct source_reader *source_open(const char *path, int64_t offset);
/* Next complete line (without '\n'). Returns 1 with line, len and end set
 * (*end = offset just after the newline), 2 when a line longer than
 * SOURCE_MAX_LINE was skipped (*end set, *line NULL), 0 at the end of
 * the complete lines, -1 on a read error. The line stays valid until the
 * next call. */
int source_next(struct source_reader *r, const char **line, size_t *len, int64_t *end);
/* After source_next returned 0: the unterminated bytes at the end (a
 * half-written line, or a last line the writer never ends), and the
 * offset it starts at. */
void source_tail(struct source_reader *r, const char **p, size_t *len, int64_t *start);
/* Take the tail as consumed (it was a complete record after all). */
void source_consume_tail(struct source_reader *r);
/* The cursor identity after everything consumed so far, computed from the
 * bytes already read where possible. `prev` is the cursor the reader was
 * opened at (NULL when opened at 0). 0 or -1. */
int source_cursor(struct source_reader *r, const char *path, const struct source_id *prev,
		  struct source_id *id);
void source_close(struct source_reader *r);

/* Read a whole file (decompressing .zst) into a malloc'd buffer, at most
 * `max` bytes. 0, or -1 with errno (EFBIG when larger than max). */
int source_read_all(const char *path, size_t max, char **data, size_t *len);

/* Read the first bytes of a file (decompressing .zst), at most `max`,
 * into out. 0 with *len set, or -1 with errno. */
int source_read_head(const char *path, char *out, size_t max, size_t *len);

#endif
