/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "buf.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	fputs("kato: out of memory\n", stderr);
	abort();
}

void mem_tune(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

void mem_give_back(void)
{
	malloc_trim(0);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int buf_flush(struct buf *b)
{
	if (b->sink && b->len && !b->sink_err && b->sink(b->sink_ud, b->p, b->len) < 0)
		b->sink_err = 1;
	b->sunk += b->len;
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
	return b->sink_err ? -1 : 0;
}

/* Make room for extra more bytes; with a sink, flush first when that
 * would grow the buffer past BUF_SINK_HOLD. */
static void grow(struct buf *b, size_t extra)
{
	if (b->sink && b->len + extra + 1 > BUF_SINK_HOLD)
		buf_flush(b);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_reserve(struct buf *b, size_t extra)
{
	if (!b->sink || extra < BUF_SINK_HOLD)
		grow(b, extra);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->sink && n >= BUF_SINK_HOLD) {
		/* straight through, not via the buffer */
		buf_flush(b);
		if (!b->sink_err && n && b->sink(b->sink_ud, p, n) < 0)
			b->sink_err = 1;
		b->sunk += n;
		return;
	}
	grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

const char *buf_str(const struct buf *b)
{
	return b->p ? b->p : "";
}

char *buf_take(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
