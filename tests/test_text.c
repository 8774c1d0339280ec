/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* json_add_strn as it was, byte by byte over utf8_decode: the word-at-
 * a-time and inline UTF-8 paths must write the same bytes. */
static void quote_slowly(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t l = c >= 0x80 ? utf8_decode(s + i, n - i, &cp) : 0;
		if (l) {
			buf_add(b, s + i, l);
			i += l;
			continue;
		}
		if (c >= 0x80)
			buf_adds(b, "\xef\xbf\xbd");
		else if (c == '"')
			buf_adds(b, "\\\"");
		else if (c == '\\')
			buf_adds(b, "\\\\");
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (c == '\b')
			buf_adds(b, "\\b");
		else if (c == '\f')
			buf_adds(b, "\\f");
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
		i++;
	}
	buf_addc(b, '"');
}

START_TEST(json_quoting_matches_the_byte_by_byte_rule)
{
	srand(7);
	char s[300];
	for (int it = 0; it < 200000; it++) {
		/* every other string long and nearly all plain: the 16- and
		 * 8-byte steps, with the odd byte to look at anywhere in them */
		bool longer = it % 2;
		size_t n = (size_t)(rand() % (longer ? 300 : 80));
		for (size_t i = 0; i < n; i++) {
			int r = rand() % 100;
			if (longer)
				r = r < 96 ? 0 : 70 + (r - 96) * 10; /* 96 % plain, then 1 % of each below */
			/* mostly plain text, then runs of UTF-8 lead and continuation bytes, controls, quotes */
			s[i] = (char)(r < 70 ? 0x20 + rand() % 0x5f : r < 80 ? 0x80 + rand() % 0x40
					   : r < 90 ? 0xc0 + rand() % 0x40 : r < 95 ? "\"\\\n\x01"[rand() % 4] : rand() % 256);
		}
		struct buf a = BUF_INIT, b = BUF_INIT;
		if (it % 3 == 0) { /* after text already in the buffer */
			buf_adds(&a, "x");
			buf_adds(&b, "x");
		}
		json_add_strn(&a, s, n);
		quote_slowly(&b, s, n);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert(memcmp(a.p, b.p, a.len) == 0);
		buf_free(&a);
		buf_free(&b);
	}
}
END_TEST

START_TEST(decode_rejects_bad_sequences)
{
	uint32_t cp;
	ck_assert_uint_eq(utf8_decode("\xc3\xa9", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f600);
	ck_assert_uint_eq(utf8_decode("\xc0\xaf", 2, &cp), 0);         /* overlong */
	ck_assert_uint_eq(utf8_decode("\xed\xa0\x80", 3, &cp), 0);     /* surrogate */
	ck_assert_uint_eq(utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
	ck_assert_uint_eq(utf8_decode("\xe2\x82", 2, &cp), 0);         /* truncated */
	ck_assert_uint_eq(utf8_decode("\x80", 1, &cp), 0);
}
END_TEST

START_TEST(sanitize_replaces_each_bad_byte)
{
	struct buf b = BUF_INIT;
	utf8_sanitize(&b, "a\xffz\xed\xa0\x80!", 7);
	ck_assert_str_eq(buf_str(&b), "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
	ck_assert(utf8_valid(b.p, b.len));
	ck_assert(!utf8_valid("\xff", 1));
	/* a NUL byte never reaches a Markdown file */
	buf_reset(&b);
	utf8_sanitize(&b, "x\0y", 3);
	ck_assert_int_eq(b.len, 5);
	ck_assert_mem_eq(b.p, "x\xef\xbf\xbdy", 5);
	buf_free(&b);
}
END_TEST

START_TEST(js_trim_uses_the_javascript_set)
{
	/* NBSP, BOM, LINE SEPARATOR and ideographic space are trimmed */
	const char *s = "\xc2\xa0\xef\xbb\xbf hi there \xe2\x80\xa8\xe3\x80\x80\n";
	size_t start, n = js_trim(s, strlen(s), &start);
	ck_assert_uint_eq(n, 8);
	ck_assert(!strncmp(s + start, "hi there", 8));
	/* U+200B (zero width space) is not whitespace in JS */
	s = "\xe2\x80\x8bx";
	n = js_trim(s, strlen(s), &start);
	ck_assert_uint_eq(n, 4);
	n = js_trim("   ", 3, &start);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(utf16_length_counts_pairs)
{
	ck_assert_uint_eq(utf16_length("abc", 3), 3);
	ck_assert_uint_eq(utf16_length("\xc3\xa9", 2), 1);
	ck_assert_uint_eq(utf16_length("\xf0\x9f\x98\x80", 4), 2);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("utf8");
	tcase_add_test(tc, decode_rejects_bad_sequences);
	tcase_add_test(tc, json_quoting_matches_the_byte_by_byte_rule);
	tcase_add_test(tc, sanitize_replaces_each_bad_byte);
	tcase_add_test(tc, js_trim_uses_the_javascript_set);
	tcase_add_test(tc, utf16_length_counts_pairs);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
