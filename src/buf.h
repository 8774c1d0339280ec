/* SPDX-License-Identifier: Apache-2.0 */
/* buf: a growable byte buffer, always NUL-terminated. */
#ifndef KATO_BUF_H
#define KATO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;    /* NUL-terminated; NULL until something is added */
	size_t len; /* bytes used, excluding the NUL */
	size_t cap;
	/* Optional sink: when set, the buffer holds about BUF_SINK_HOLD bytes
	 * at most and hands everything before them to sink(sink_ud, ...),
	 * which returns 0 or -1 (after -1 it is not called again and sink_err
	 * is set). `sunk` counts the bytes handed over. For writing a huge
	 * text somewhere without holding it; buf_flush hands the rest. */
	int (*sink)(void *ud, const char *p, size_t n);
	void *sink_ud;
	size_t sunk;
	int sink_err;
};

#define BUF_SINK_HOLD ((size_t)64 << 10)

#define BUF_INIT {NULL, 0, 0, NULL, NULL, 0, 0}

/* All adders abort on allocation failure: kato treats OOM as fatal. */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Room for `extra` more bytes (for a buffer with a sink, only a hint). */
void buf_reserve(struct buf *b, size_t extra);
/* Hand what a buffer with a sink holds to the sink. Returns 0, or -1 when
 * the sink failed (now or before). */
int buf_flush(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* The contents as a string ("" when empty); owned by the buffer. */
const char *buf_str(const struct buf *b);
/* Hand the contents to the caller (malloc'd, NUL-terminated) and reset. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

/* xmalloc family: abort with a message on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* malloc settings for a process that reads much at once (katod, kato):
 * blocks under 4 MiB (a file's read buffer, a long line's copy) come
 * from the heap and are used again, instead of being mapped, faulted in
 * page by page and unmapped each time (3 % of a backfill); free memory
 * past 16 MiB is given back at once, and all of it by mem_give_back. */
void mem_tune(void);
void mem_give_back(void);

#endif
