/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include <zstd.h>

#include "source.h"
#include "testutil.h"

static char *tmpfile_with(const char *name, const char *data)
{
	char *dir = tu_tmpdir();
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", dir, name);
	free(dir);
	tu_write(b.p, data, strlen(data), O_TRUNC);
	return buf_take(&b);
}

/* Read every complete line from offset; returns them joined by '|'. */
static char *lines_from(const char *path, int64_t off, int64_t *end_out, char **tail)
{
	struct source_reader *r = source_open(path, off);
	ck_assert_ptr_nonnull(r);
	struct buf b = BUF_INIT;
	const char *l;
	size_t n;
	int64_t end = off;
	int rc;
	while ((rc = source_next(r, &l, &n, &end)) == 1) {
		buf_add(&b, l, n);
		buf_addc(&b, '|');
	}
	ck_assert_int_eq(rc, 0);
	if (tail) {
		const char *t;
		int64_t start;
		source_tail(r, &t, &n, &start);
		*tail = xstrndup(t ? t : "", n);
	}
	if (end_out)
		*end_out = end;
	source_close(r);
	return buf_take(&b);
}

START_TEST(lines_and_a_half_written_tail)
{
	char *p = tmpfile_with("a.jsonl", "one\ntwo\nthr");
	int64_t end;
	char *tail;
	char *got = lines_from(p, 0, &end, &tail);
	ck_assert_str_eq(got, "one|two|");
	ck_assert_int_eq(end, 8);
	ck_assert_str_eq(tail, "thr");
	free(got);
	free(tail);
	/* the writer finishes the line: resume from the cursor */
	tu_write(p, "ee\nfour\n", 8, O_APPEND);
	got = lines_from(p, 8, &end, NULL);
	ck_assert_str_eq(got, "three|four|");
	ck_assert_int_eq(end, 19);
	free(got);
	free(p);
}
END_TEST

START_TEST(long_lines_grow_the_buffer)
{
	char *dir = tu_tmpdir();
	char *p = paths_join(dir, "big.jsonl");
	size_t big = (5u << 20) + 123;
	char *line = xmalloc(big + 1);
	memset(line, 'x', big);
	line[big] = '\n';
	tu_write(p, line, big + 1, O_TRUNC);
	tu_write(p, "after\n", 6, O_APPEND);
	struct source_reader *r = source_open(p, 0);
	const char *l;
	size_t n;
	int64_t end;
	ck_assert_int_eq(source_next(r, &l, &n, &end), 1);
	ck_assert_uint_eq(n, big);
	ck_assert_int_eq(end, (int64_t)big + 1);
	ck_assert_int_eq(source_next(r, &l, &n, &end), 1);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(source_next(r, &l, &n, &end), 0);
	source_close(r);
	free(line);
	free(p);
	free(dir);
}
END_TEST

static void write_zst(const char *path, const char *data)
{
	size_t cap = ZSTD_compressBound(strlen(data));
	char *z = xmalloc(cap);
	size_t n = ZSTD_compress(z, cap, data, strlen(data), 3);
	ck_assert(!ZSTD_isError(n));
	tu_write(path, z, n, O_TRUNC);
	free(z);
}

START_TEST(zstd_files_read_like_plain_ones)
{
	const char *text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
	char *plain = tmpfile_with("rollout-x.jsonl", text);
	struct buf zp = BUF_INIT;
	buf_printf(&zp, "%s.zst", plain);
	write_zst(zp.p, text);
	ck_assert(source_is_zst(zp.p));
	char *a = lines_from(plain, 8, NULL, NULL), *b = lines_from(zp.p, 8, NULL, NULL);
	ck_assert_str_eq(a, "{\"b\":2}|{\"c\":3}|");
	ck_assert_str_eq(a, b);
	/* a cursor taken on the plain file is valid on its .zst twin */
	struct source_id id;
	ck_assert_int_eq(source_stamp(plain, 16, &id), 0);
	enum source_change ch;
	const char *why;
	ck_assert_int_eq(source_examine(zp.p, &id, &ch, &why), 0);
	ck_assert_int_ne(ch, SOURCE_RESET);
	char *data;
	size_t len;
	ck_assert_int_eq(source_read_all(zp.p, 1 << 20, &data, &len), 0);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(!memcmp(data, text, len));
	free(data);
	free(a);
	free(b);
	buf_free(&zp);
	free(plain);
}
END_TEST

START_TEST(examine_tells_growth_truncation_and_rewrites)
{
	char *p = tmpfile_with("s.jsonl", "{\"n\":1}\n{\"n\":2}\n");
	struct source_id id;
	enum source_change ch;
	const char *why;
	ck_assert_int_eq(source_examine(p, NULL, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_NEW);
	ck_assert_int_eq(source_stamp(p, 16, &id), 0);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_SAME);
	tu_write(p, "{\"n\":3}\n", 8, O_APPEND);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_GREW);
	/* truncated */
	tu_write(p, "{\"n\":1}\n", 8, O_TRUNC);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_RESET);
	ck_assert_str_eq(why, "truncated");
	/* copytruncate then regrowth past the old cursor: marker differs */
	tu_write(p, "{\"n\":1}\n{\"n\":9}\n{\"n\":4}\n", 24, O_TRUNC);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_RESET);
	/* replaced by a different file via rename */
	char *q = tmpfile_with("other.jsonl", "{\"z\":0}\n{\"z\":1}\n{\"z\":2}\n");
	ck_assert_int_eq(rename(q, p), 0);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_RESET);
	ck_assert_ptr_nonnull(strstr(why, "replaced"));
	/* gone */
	unlink(p);
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_GONE);
	free(p);
	free(q);
}
END_TEST

START_TEST(same_content_under_a_new_inode_keeps_the_cursor)
{
	/* Codex materialises a file by hard-linking a fresh copy: same bytes */
	char *p = tmpfile_with("r.jsonl", "{\"n\":1}\n{\"n\":2}\n");
	struct source_id id;
	ck_assert_int_eq(source_stamp(p, 16, &id), 0);
	char *q = tmpfile_with("copy.jsonl", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
	ck_assert_int_eq(rename(q, p), 0);
	enum source_change ch;
	const char *why;
	ck_assert_int_eq(source_examine(p, &id, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_GREW);
	free(p);
	free(q);
}
END_TEST

START_TEST(cursor_from_reader_equals_stamp)
{
	char *p = tmpfile_with("c.jsonl", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\npartial");
	struct source_reader *r = source_open(p, 0);
	const char *l;
	size_t n;
	int64_t end;
	while (source_next(r, &l, &n, &end) == 1)
		;
	struct source_id a, b;
	ck_assert_int_eq(source_cursor(r, p, NULL, &a), 0);
	source_close(r);
	ck_assert_int_eq(source_stamp(p, 24, &b), 0);
	ck_assert_int_eq(a.offset, 24);
	ck_assert_uint_eq(a.head_len, b.head_len);
	ck_assert_mem_eq(a.head, b.head, 16);
	ck_assert_uint_eq(a.marker_len, b.marker_len);
	ck_assert_mem_eq(a.marker, b.marker, 16);
	/* resumed reader: same answer */
	r = source_open(p, 8);
	while (source_next(r, &l, &n, &end) == 1)
		;
	struct source_id first;
	source_stamp(p, 8, &first);
	ck_assert_int_eq(source_cursor(r, p, &first, &a), 0);
	source_close(r);
	ck_assert_mem_eq(a.head, b.head, 16);
	ck_assert_mem_eq(a.marker, b.marker, 16);
	free(p);
}
END_TEST

START_TEST(a_200mb_line_is_read_whole)
{
	char *dir = tu_tmpdir();
	char *p = paths_join(dir, "huge.jsonl");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char chunk[1 << 16];
	memset(chunk, 'y', sizeof chunk);
	size_t total = 200u << 20;
	for (size_t w = 0; w < total; w += sizeof chunk)
		ck_assert_int_eq(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
	ck_assert_int_eq(write(fd, "\nok\n", 4), 4);
	close(fd);
	struct source_reader *r = source_open(p, 0);
	const char *l;
	size_t n;
	int64_t end;
	ck_assert_int_eq(source_next(r, &l, &n, &end), 1);
	ck_assert_uint_eq(n, total);
	ck_assert_int_eq(source_next(r, &l, &n, &end), 1);
	ck_assert_uint_eq(n, 2);
	source_close(r);
	unlink(p);
	free(p);
	free(dir);
}
END_TEST

/* A FIFO or a symlink to a device named like a session file: opening
 * must neither block (a FIFO without a writer) nor read an endless
 * device; both are refused as not regular files. */
START_TEST(only_regular_files_are_opened)
{
	char *dir = tu_tmpdir();
	char *fifo = paths_join(dir, "x.jsonl");
	char *dev = paths_join(dir, "y.jsonl");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(symlink("/dev/zero", dev), 0);
	alarm(5); /* a blocking open() would hang the test */
	struct source_reader *r = source_open(fifo, 0);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(errno, EINVAL);
	r = source_open(dev, 0);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(errno, EINVAL);
	char *data;
	size_t len;
	ck_assert_int_eq(source_read_all(dev, 1u << 20, &data, &len), -1);
	ck_assert_int_eq(source_read_all(fifo, 1u << 20, &data, &len), -1);
	struct source_id id;
	ck_assert_int_eq(source_stamp(fifo, 1, &id), -1);
	enum source_change ch;
	const char *why;
	ck_assert_int_eq(source_examine(dev, NULL, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_SPECIAL);
	ck_assert_int_eq(source_examine(fifo, NULL, &ch, &why), 0);
	ck_assert_int_eq(ch, SOURCE_SPECIAL);
	alarm(0);
	free(fifo);
	free(dev);
	free(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lines_and_a_half_written_tail);
	tcase_add_test(tc, long_lines_grow_the_buffer);
	tcase_add_test(tc, zstd_files_read_like_plain_ones);
	tcase_add_test(tc, examine_tells_growth_truncation_and_rewrites);
	tcase_add_test(tc, same_content_under_a_new_inode_keeps_the_cursor);
	tcase_add_test(tc, cursor_from_reader_equals_stamp);
	tcase_add_test(tc, a_200mb_line_is_read_whole);
	tcase_add_test(tc, only_regular_files_are_opened);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
