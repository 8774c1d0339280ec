/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"
#include "fingerprint.h"

#define CHUNK (1u << 20)

static int hash_range(const char *path, int64_t off, uint32_t n, uint8_t out[16]);

struct source_reader {
	int fd;
	ZSTD_DCtx *z;       /* NULL for plain files */
	char *zin;          /* compressed input buffer */
	ZSTD_inBuffer in;
	bool eof;
	char *buf;          /* aligned; holds [start, fill) */
	size_t cap, start, fill;
	int64_t pos;        /* file offset of buf[start] */
	bool skipping;      /* inside an over-long line */
	/* For cursor stamps without re-reading: the first bytes of the file
	 * (when reading started at 0) and the last bytes consumed. */
	char head[SOURCE_HEAD_MAX];
	uint32_t head_len;
	char win[SOURCE_MARKER_MAX];
	uint32_t win_len;
	bool from_start;
};

bool source_is_zst(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && !strcmp(path + n - 4, ".zst");
}

/* Read up to n decompressed bytes into p. Returns bytes, 0 at EOF, -1. */
static ssize_t raw_read(struct source_reader *r, char *p, size_t n)
{
	if (!r->z) {
		ssize_t got;
		do
			got = read(r->fd, p, n);
		while (got < 0 && errno == EINTR);
		return got;
	}
	ZSTD_outBuffer out = {p, n, 0};
	while (out.pos == 0) {
		if (r->in.pos == r->in.size) {
			if (r->eof)
				return 0;
			ssize_t got = read(r->fd, r->zin, ZSTD_DStreamInSize());
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (got == 0) {
				r->eof = true;
				return 0;
			}
			r->in.src = r->zin;
			r->in.size = (size_t)got;
			r->in.pos = 0;
		}
		size_t rc = ZSTD_decompressStream(r->z, &out, &r->in);
		if (ZSTD_isError(rc)) {
			errno = EBADMSG;
			return -1;
		}
	}
	return (ssize_t)out.pos;
}

static int skip_to(struct source_reader *r, int64_t offset)
{
	if (!r->z) {
		if (lseek(r->fd, offset, SEEK_SET) < 0)
			return -1;
		return 0;
	}
	int64_t left = offset;
	while (left > 0) {
		size_t want = left < (int64_t)r->cap ? (size_t)left : r->cap;
		ssize_t got = raw_read(r, r->buf, want);
		if (got <= 0) {
			if (got == 0)
				errno = ESPIPE; /* shorter than the cursor */
			return -1;
		}
		left -= got;
	}
	return 0;
}

int source_open_regular(const char *path)
{
	/* O_NONBLOCK: a FIFO without a writer would block open() forever */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

struct source_reader *source_open(const char *path, int64_t offset)
{
	struct source_reader *r = xcalloc(1, sizeof *r);
	r->fd = source_open_regular(path);
	if (r->fd < 0) {
		free(r);
		return NULL;
	}
	r->cap = CHUNK;
	if (posix_memalign((void **)&r->buf, 4096, r->cap) != 0) {
		close(r->fd);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	if (source_is_zst(path)) {
		r->z = ZSTD_createDCtx();
		r->zin = xmalloc(ZSTD_DStreamInSize());
	}
	if (offset > 0 && skip_to(r, offset) < 0) {
		int e = errno;
		source_close(r);
		errno = e;
		return NULL;
	}
	r->pos = offset;
	r->from_start = offset == 0;
	return r;
}

/* Remember consumed bytes for the head and marker hashes. */
static void remember(struct source_reader *r, const char *p, size_t n)
{
	if (r->from_start && r->head_len < SOURCE_HEAD_MAX) {
		size_t k = SOURCE_HEAD_MAX - r->head_len < n ? SOURCE_HEAD_MAX - r->head_len : n;
		memcpy(r->head + r->head_len, p, k);
		r->head_len += (uint32_t)k;
	}
	if (n >= SOURCE_MARKER_MAX) {
		memcpy(r->win, p + n - SOURCE_MARKER_MAX, SOURCE_MARKER_MAX);
		r->win_len = SOURCE_MARKER_MAX;
		return;
	}
	size_t keep = r->win_len + n > SOURCE_MARKER_MAX ? SOURCE_MARKER_MAX - n : r->win_len;
	memmove(r->win, r->win + r->win_len - keep, keep);
	memcpy(r->win + keep, p, n);
	r->win_len = (uint32_t)(keep + n);
}

void source_close(struct source_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->z);
	free(r->zin);
	free(r->buf);
	free(r);
}

/* Make room at the end of the buffer: move the live bytes to the front or
 * grow it. Growth is a realloc after moving the live bytes to the front:
 * for a large block glibc remaps the pages rather than copying them, so a
 * huge line never has its old and its new buffer resident at once. */
static int make_room(struct source_reader *r)
{
	size_t live = r->fill - r->start;
	if (r->start > 0 && live < r->cap / 2) {
		memmove(r->buf, r->buf + r->start, live);
		r->start = 0;
		r->fill = live;
		return 0;
	}
	if (live > SOURCE_MAX_LINE || r->cap >= SOURCE_MAX_LINE + CHUNK)
		return 1; /* line too long */
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, live);
		r->start = 0;
		r->fill = live;
	}
	size_t cap = r->cap * 2;
	if (cap > SOURCE_MAX_LINE + CHUNK)
		cap = SOURCE_MAX_LINE + CHUNK; /* room for the longest line and its newline */
	char *nb = realloc(r->buf, cap);
	if (!nb)
		return -1;
	r->buf = nb;
	r->cap = cap;
	return 0;
}

/* After a huge line has been consumed, give its memory back: once the
 * live bytes fit in half a CHUNK, move them to the front and shrink the
 * buffer to one CHUNK (best effort: a failed shrink keeps the buffer). */
static void shrink(struct source_reader *r)
{
	size_t live = r->fill - r->start;
	if (r->cap <= 4 * CHUNK || live > CHUNK / 2)
		return;
	memmove(r->buf, r->buf + r->start, live);
	r->start = 0;
	r->fill = live;
	char *nb = realloc(r->buf, CHUNK);
	if (nb) {
		r->buf = nb;
		r->cap = CHUNK;
	}
}

int source_next(struct source_reader *r, const char **line, size_t *len, int64_t *end)
{
	size_t scanned = 0;
	shrink(r); /* the previous line is no longer borrowed */
	for (;;) {
		char *s = r->buf + r->start;
		size_t live = r->fill - r->start;
		char *nl = live > scanned ? memchr(s + scanned, '\n', live - scanned) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - s);
			remember(r, s, n + 1);
			r->start += n + 1;
			r->pos += (int64_t)(n + 1);
			*end = r->pos;
			if (r->skipping || n > SOURCE_MAX_LINE) {
				r->skipping = false;
				*line = NULL;
				*len = 0;
				return 2;
			}
			*line = s;
			*len = n;
			return 1;
		}
		scanned = live;
		if (r->skipping) {
			/* drop what we have of the over-long line */
			remember(r, s, live);
			r->pos += (int64_t)live;
			r->start = r->fill = 0;
			scanned = 0;
		} else if (r->fill == r->cap) {
			int rc = make_room(r);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				r->skipping = true;
				continue;
			}
			scanned = r->fill - r->start;
		}
		ssize_t got = raw_read(r, r->buf + r->fill, r->cap - r->fill);
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		r->fill += (size_t)got;
	}
}

void source_consume_tail(struct source_reader *r)
{
	size_t live = r->fill - r->start;
	remember(r, r->buf + r->start, live);
	r->pos += (int64_t)live;
	r->start = r->fill = 0;
}

int source_cursor(struct source_reader *r, const char *path, const struct source_id *prev,
		  struct source_id *id)
{
	struct stat st;
	if (fstat(r->fd, &st) < 0)
		return -1;
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = st.st_size;
	id->offset = r->pos;
	struct fingerprint fp;
	if (r->from_start) {
		id->head_len = r->head_len;
		fingerprint_bytes(r->head, r->head_len, &fp);
		memcpy(id->head, fp.b, 16);
	} else if (prev && (prev->head_len == SOURCE_HEAD_MAX || source_is_zst(path))) {
		id->head_len = prev->head_len;
		memcpy(id->head, prev->head, 16);
	} else {
		id->head_len = r->pos < (int64_t)SOURCE_HEAD_MAX ? (uint32_t)r->pos : SOURCE_HEAD_MAX;
		if (hash_range(path, 0, id->head_len, id->head) < 0)
			return -1;
	}
	if (r->win_len == SOURCE_MARKER_MAX || (int64_t)r->win_len == r->pos) {
		id->marker_len = r->win_len;
		fingerprint_bytes(r->win, r->win_len, &fp);
		memcpy(id->marker, fp.b, 16);
	} else {
		/* resumed close to a previous cursor: fill the window from disk */
		id->marker_len = r->pos < (int64_t)SOURCE_MARKER_MAX ? (uint32_t)r->pos : SOURCE_MARKER_MAX;
		if (hash_range(path, r->pos - id->marker_len, id->marker_len, id->marker) < 0)
			return -1;
	}
	return 0;
}

void source_tail(struct source_reader *r, const char **p, size_t *len, int64_t *start)
{
	*p = r->skipping ? NULL : r->buf + r->start;
	*len = r->skipping ? 0 : r->fill - r->start;
	*start = r->pos;
}

/* Read exactly n bytes at offset into out; 0, or -1 (short file too). */
static int read_range(const char *path, int64_t off, size_t n, char *out)
{
	if (n == 0)
		return 0;
	if (!source_is_zst(path)) {
		int fd = source_open_regular(path);
		if (fd < 0)
			return -1;
		ssize_t got = pread(fd, out, n, off);
		close(fd);
		return got == (ssize_t)n ? 0 : -1;
	}
	struct source_reader *r = source_open(path, off);
	if (!r)
		return -1;
	size_t have = 0;
	while (have < n) {
		ssize_t got = raw_read(r, out + have, n - have);
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	source_close(r);
	return have == n ? 0 : -1;
}

static int hash_range(const char *path, int64_t off, uint32_t n, uint8_t out[16])
{
	char tmp[SOURCE_HEAD_MAX];
	if (read_range(path, off, n, tmp) < 0)
		return -1;
	struct fingerprint fp;
	fingerprint_bytes(tmp, n, &fp);
	memcpy(out, fp.b, 16);
	return 0;
}

int source_stamp(const char *path, int64_t offset, struct source_id *id)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = st.st_size;
	id->offset = offset;
	id->head_len = offset < (int64_t)SOURCE_HEAD_MAX ? (uint32_t)offset : SOURCE_HEAD_MAX;
	id->marker_len = offset < (int64_t)SOURCE_MARKER_MAX ? (uint32_t)offset : SOURCE_MARKER_MAX;
	if (hash_range(path, 0, id->head_len, id->head) < 0 ||
	    hash_range(path, offset - id->marker_len, id->marker_len, id->marker) < 0)
		return -1;
	return 0;
}

int source_stamp_document(const char *path, const char *data, size_t len, struct source_id *id)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = st.st_size;
	id->offset = (int64_t)len;
	struct fingerprint fp;
	fingerprint_bytes(data, len, &fp);
	memcpy(id->marker, fp.b, 16);
	id->marker_len = 16;
	return 0;
}

int source_examine(const char *path, const struct source_id *known, enum source_change *change,
		   const char **why)
{
	struct stat st;
	*why = NULL;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*change = SOURCE_GONE;
			return 0;
		}
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*change = SOURCE_SPECIAL;
		*why = "not a regular file (a FIFO, device, socket or directory)";
		return 0;
	}
	if (!known) {
		*change = SOURCE_NEW;
		return 0;
	}
	bool zst = source_is_zst(path);
	if (!zst && st.st_size < known->offset) {
		*change = SOURCE_RESET;
		*why = "truncated";
		return 0;
	}
	bool same_inode = known->dev == (uint64_t)st.st_dev && known->ino == (uint64_t)st.st_ino;
	uint8_t h[16];
	if (hash_range(path, 0, known->head_len, h) < 0 || memcmp(h, known->head, 16)) {
		*change = SOURCE_RESET;
		*why = same_inode ? "rewritten in place (its first bytes changed)" : "replaced by another file";
		return 0;
	}
	if (hash_range(path, known->offset - known->marker_len, known->marker_len, h) < 0 ||
	    memcmp(h, known->marker, 16)) {
		*change = SOURCE_RESET;
		*why = "rewritten in place (the bytes before the cursor changed)";
		return 0;
	}
	*change = (zst ? st.st_size != known->size : st.st_size > known->offset) ? SOURCE_GREW : SOURCE_SAME;
	if (!zst && st.st_size == known->offset && st.st_size != known->size)
		*change = SOURCE_GREW; /* an unterminated tail was dropped: look again */
	return 0;
}

int source_read_all(const char *path, size_t max, char **data, size_t *len)
{
	struct source_reader *r = source_open(path, 0);
	if (!r)
		return -1;
	struct buf b = BUF_INIT;
	char *tmp = r->buf;
	for (;;) {
		ssize_t got = raw_read(r, tmp, r->cap);
		if (got < 0) {
			int e = errno;
			source_close(r);
			buf_free(&b);
			errno = e;
			return -1;
		}
		if (got == 0)
			break;
		if (b.len + (size_t)got > max) {
			source_close(r);
			buf_free(&b);
			errno = EFBIG;
			return -1;
		}
		buf_add(&b, tmp, (size_t)got);
	}
	source_close(r);
	*len = b.len;
	*data = buf_take(&b);
	return 0;
}

int source_read_head(const char *path, char *out, size_t max, size_t *len)
{
	struct source_reader *r = source_open(path, 0);
	if (!r)
		return -1;
	size_t n = 0;
	while (n < max) {
		ssize_t got = raw_read(r, out + n, max - n);
		if (got < 0) {
			int e = errno;
			source_close(r);
			errno = e;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	source_close(r);
	*len = n;
	return 0;
}
