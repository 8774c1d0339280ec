/* SPDX-License-Identifier: Apache-2.0 */
/* cli: dates on the command line, display widths, cutting UTF-8 text to
 * a width, and the table that fits the terminal. */
#include "autoconfig.h"

#include "cli.h"
#include "testutil.h"

static const char *since(const char *s, time_t now)
{
	static char out[32];
	if (cli_parse_since(s, now, out) < 0)
		return NULL;
	return out;
}

START_TEST(dates)
{
	setenv("TZ", "UTC", 1);
	tzset();
	time_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	ck_assert_str_eq(since("2025-12-24", now), "2025-12-24T00:00:00.000Z");
	ck_assert_str_eq(since("2025-12-24T10:11:12Z", now), "2025-12-24T10:11:12.000Z");
	ck_assert_str_eq(since("2025-12-24T10:11:12.5Z", now), "2025-12-24T10:11:12.500Z");
	ck_assert_str_eq(since("2025-12-24 10:11", now), "2025-12-24T10:11:00.000Z");
	ck_assert_str_eq(since("2025-12-24T10:11:12+02:00", now), "2025-12-24T08:11:12.000Z");
	ck_assert_str_eq(since("2025-12-24T10:11:12-0130", now), "2025-12-24T11:41:12.000Z");
	ck_assert_str_eq(since("7d", now), "2025-12-25T00:00:00.000Z");
	ck_assert_str_eq(since("24h", now), "2025-12-31T00:00:00.000Z");
	ck_assert_str_eq(since("30m", now), "2025-12-31T23:30:00.000Z");
	ck_assert_str_eq(since("2w", now), "2025-12-18T00:00:00.000Z");
	ck_assert_str_eq(since("10s", now), "2025-12-31T23:59:50.000Z");
	/* local time without a zone */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	ck_assert_str_eq(since("2025-12-24", now), "2025-12-23T23:00:00.000Z");
	setenv("TZ", "UTC", 1);
	tzset();
	static const char *const bad[] = {"", "yesterday", "7", "7x", "d", "-7d", "2025-13-01", "2025-12-32",
					  "2025-12-24T25:00", "2025-12-24T10", "2025-12-24Z", "2025/12/24",
					  "99999999999999999999d", "2025-12-24T10:11:12+2", "2025-12-24 ", "7dd"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(since(bad[i], now) == NULL, "accepted '%s'", bad[i]);
}
END_TEST

/* -n N: a number in range, nothing else (an empty -n "" was taken as 0
 * by kato logs and kato status). */
START_TEST(counts)
{
	long v = -7;
	ck_assert_int_eq(cli_parse_count("20", 1, 100, &v), 0);
	ck_assert_int_eq(v, 20);
	ck_assert_int_eq(cli_parse_count("0", 0, 100, &v), 0);
	ck_assert_int_eq(v, 0);
	static const char *const bad[] = {"", "x", "3x", "0", "101", "-1", "99999999999999999999", "1.5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = -7;
		ck_assert_msg(cli_parse_count(bad[i], 1, 100, &v) == -1, "took \"%s\"", bad[i]);
		ck_assert_int_eq(v, -7);
	}
}
END_TEST

START_TEST(local_time)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct buf b = BUF_INIT;
	cli_local_time("2025-12-24T10:11:12.345Z", &b);
	ck_assert_str_eq(b.p, "2025-12-24 10:11");
	buf_reset(&b);
	cli_local_time(NULL, &b);
	ck_assert_str_eq(b.p, "-");
	buf_reset(&b);
	cli_local_time("[garbage]", &b);
	ck_assert_str_eq(b.p, "[garbage]");
	buf_free(&b);
}
END_TEST

START_TEST(widths_and_cutting)
{
	ck_assert_uint_eq(cli_width("abc"), 3);
	ck_assert_uint_eq(cli_width("café"), 4);
	ck_assert_uint_eq(cli_width("cafe\xcc\x81"), 4);   /* combining acute */
	ck_assert_uint_eq(cli_width("日本語"), 6);            /* wide */
	ck_assert_uint_eq(cli_width("ok 🎉"), 5);           /* emoji */
	ck_assert_uint_eq(cli_width("\xff\xfe"), 2);        /* invalid bytes */
	struct buf b = BUF_INIT;
	cli_fit("hello world", 20, &b);
	ck_assert_str_eq(b.p, "hello world");
	buf_reset(&b);
	cli_fit("hello world", 11, &b);
	ck_assert_str_eq(b.p, "hello world");
	buf_reset(&b);
	cli_fit("hello world", 6, &b);
	ck_assert_str_eq(b.p, "hello…");
	buf_reset(&b);
	cli_fit("日本語のタイトル", 7, &b); /* a wide character never split, never over */
	ck_assert_str_eq(b.p, "日本語…");
	ck_assert_uint_le(cli_width(b.p), 7);
	buf_reset(&b);
	cli_fit("日本語のタイトル", 6, &b);
	ck_assert_str_eq(b.p, "日本…");
	buf_reset(&b);
	cli_fit("cafe\xcc\x81s and more", 5, &b); /* the combining mark stays with its letter */
	ck_assert_str_eq(b.p, "cafe\xcc\x81…");
	buf_free(&b);
}
END_TEST

START_TEST(clean_line)
{
	struct buf b = BUF_INIT;
	cli_clean_line("  one\n\ttwo\r\n  three  ", false, &b);
	ck_assert_str_eq(b.p, "one two three");
	buf_reset(&b);
	cli_clean_line("red \033[31mX\033[0m\a bell \x9b", false, &b); /* no escape reaches the terminal */
	ck_assert_ptr_null(strchr(b.p, '\033'));
	ck_assert_ptr_null(strchr(b.p, '\a'));
	ck_assert_ptr_null(strstr(b.p, "\xc2\x9b"));
	buf_reset(&b);
	cli_clean_line("a \001match\002 b \xff", true, &b);
	ck_assert_str_eq(b.p, "a \001match\002 b \xef\xbf\xbd");
	buf_reset(&b);
	cli_clean_line("a \001match\002", false, &b);
	ck_assert_ptr_null(strchr(b.p, '\001'));
	buf_free(&b);
}
END_TEST

/* Every line of the rendered table: at most width columns, no trailing
 * space; the header is aligned with the rows. */
static void check_lines(const char *text, size_t width, size_t rows)
{
	char *copy = xstrdup(text);
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (width)
			ck_assert_msg(cli_width(line) <= width, "line wider than %zu: '%s'", width, line);
		ck_assert_msg(line[strlen(line) - 1] != ' ', "trailing space: '%s'", line);
		n++;
	}
	ck_assert_uint_eq(n, rows);
	free(copy);
}

START_TEST(table_fits_the_width)
{
	static const char *const head[] = {"ID", "PROVIDER", "EVENTS", "TITLE"};
	struct cli_table t;
	cli_table_init(&t, 4, head);
	cli_table_right(&t, 2);
	cli_table_add(&t, (const char *const[]){"aaaa1111", "claude", "7", "Fix the zebra parser crash in the buffer code"});
	cli_table_add(&t, (const char *const[]){"bbbb2222", "codex", "1234", "日本語のタイトルはとても長いです、本当に長い"});
	cli_table_add(&t, (const char *const[]){"cccc3333", "gemini", "12", "Crème brûlée — naïve café ☕ and more text"});
	cli_table_add(&t, (const char *const[]){"dddd4444", "claude", "3", ""});
	struct buf b = BUF_INIT;
	/* not a terminal: nothing cut */
	cli_table_render(&t, 0, &b);
	check_lines(b.p, 0, 5);
	ck_assert_ptr_nonnull(strstr(b.p, "Fix the zebra parser crash in the buffer code\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "本当に長い\n"));
	ck_assert_ptr_null(strstr(b.p, "…"));
	/* header aligned with the rows: TITLE starts where the titles do */
	const char *h = strstr(b.p, "TITLE");
	const char *r = strstr(b.p, "Fix the");
	const char *r0 = strstr(b.p, "aaaa1111");
	ck_assert_uint_eq((size_t)(h - b.p), (size_t)(r - r0));
	ck_assert_ptr_nonnull(strstr(b.p, "  1234  "));
	ck_assert_ptr_nonnull(strstr(b.p, "     7  ")); /* right-aligned */
	for (size_t w = 72; w >= 37; w -= 7) {
		buf_reset(&b);
		cli_table_render(&t, w, &b);
		check_lines(b.p, w, 5);
		ck_assert_ptr_nonnull(strstr(b.p, "aaaa1111  claude")); /* only the title was cut */
		ck_assert_ptr_nonnull(strstr(b.p, "…"));
	}
	/* absurdly narrow: still no crash, no trailing space */
	buf_reset(&b);
	cli_table_render(&t, 5, &b);
	check_lines(b.p, 0, 5);
	buf_free(&b);
	cli_table_free(&t);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, dates);
	tcase_add_test(tc, counts);
	tcase_add_test(tc, local_time);
	tcase_add_test(tc, widths_and_cutting);
	tcase_add_test(tc, clean_line);
	tcase_add_test(tc, table_fits_the_width);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
