/* buf: a growable byte buffer, always NUL-terminated. */
#ifndef KATO_BUF_H
#define KATO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;    /* NUL-terminated; NULL until something is added */
	size_t len; /* bytes used, excluding the NUL */
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* All adders abort on allocation failure: kato treats OOM as fatal. */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reserve(struct buf *b, size_t extra);
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

#endif
