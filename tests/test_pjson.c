/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"

/* pj_parse_big with thresholds so low that every value literal of at
 * least 4 bytes takes the huge-string path. */
static struct json_object *small_big(const char *s)
{
	return pj_parse_big(s, strlen(s), 0, 4);
}

/* Both paths accept or reject s alike, and serialise what they accept to
 * the same bytes. Returns the huge-path tree (or NULL). */
static struct json_object *same(const char *s)
{
	struct json_object *a = pj_parse(s, strlen(s)), *b = small_big(s);
	ck_assert_msg(!a == !b, "%s: plain %s, huge path %s", s, a ? "accepts" : "rejects",
		      b ? "accepts" : "rejects");
	if (a) {
		char *ta = strdup(pj_text(a));
		/* the hash of the text, without the text */
		ck_assert_uint_eq(pj_hash_text(b), pj_hash64(ta, strlen(ta)));
		ck_assert_uint_eq(pj_hash_text(a), pj_hash64(ta, strlen(ta)));
		ck_assert_str_eq(pj_text(b), ta);
		ck_assert_str_eq(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN),
				 json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		free(ta);
	}
	json_object_put(a);
	return b;
}

/* Is v's string held by pjson (json-c sees the placeholder)? */
static bool is_big(struct json_object *v)
{
	size_t n;
	const char *s = pj_sval(v, &n);
	return s && s != json_object_get_string(v);
}

START_TEST(escapes_decode_like_json_c)
{
	struct json_object *o = same("{\"a\":\"x\\\"y\\\\z\\/w\\b\\f\\n\\r\\t end\",\"n\":1}");
	size_t n;
	const char *s = pj_strn(o, "a", &n);
	ck_assert(is_big(json_object_object_get(o, "a")));
	ck_assert_uint_eq(n, 16);
	ck_assert_mem_eq(s, "x\"y\\z/w\b\f\n\r\t end", 16);
	ck_assert_str_eq(pj_str(o, "a"), s);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "a")), ""); /* placeholder */
	json_object_put(o);
	o = same("{\"a\":\"\\u00e9\\u00E9\\u4e2d\\u0041\\u007f \\u0001\"}");
	ck_assert_str_eq(pj_str(o, "a"), "\xc3\xa9\xc3\xa9\xe4\xb8\xad" "A\x7f \x01");
	json_object_put(o);
}
END_TEST

START_TEST(surrogate_pairs_and_nul)
{
	struct json_object *o = same("{\"a\":\"\\ud83d\\ude00 smile\",\"z\":\"A\\u0000B\\u0000\"}");
	ck_assert_str_eq(pj_str(o, "a"), "\xf0\x9f\x98\x80 smile");
	size_t n;
	const char *s = pj_strn(o, "z", &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(s, "A\0B\0", 5);
	json_object_put(o);
	/* lone or reversed surrogates are json-c's business: same result */
	json_object_put(same("{\"a\":\"\\ud800 lone\"}"));
	json_object_put(same("{\"a\":\"\\udc00\\ud800 rev\"}"));
	json_object_put(same("{\"a\":\"end \\ud83d\"}"));
}
END_TEST

START_TEST(placeholder_lookalikes_are_ordinary_text)
{
	/* a value that could pass for a placeholder sends the line to json-c */
	struct json_object *o = same("{\"a\":\"\\u0000kato:0\",\"b\":\"long text\",\"c\":\"\\u0000kato:1\"}");
	size_t n;
	const char *s = pj_strn(o, "a", &n);
	ck_assert_uint_eq(n, 7);
	ck_assert_mem_eq(s, "\0kato:0", 7);
	ck_assert_str_eq(pj_str(o, "b"), "long text");
	json_object_put(o);
	o = same("{\"a\":\"kato:0\",\"b\":\"long text\"}");
	ck_assert_str_eq(pj_str(o, "a"), "kato:0");
	ck_assert_str_eq(pj_str(o, "b"), "long text");
	json_object_put(o);
	/* a NUL-led key is fine: keys are never replaced nor looked at */
	o = same("{\"\\u0000kato:0\":\"long text\"}");
	json_object_object_foreach(o, key, val)
	{
		ck_assert_mem_eq(key, "\0kato:0", 1);
		ck_assert_str_eq(pj_sval(val, &n), "long text");
	}
	json_object_put(o);
}
END_TEST

START_TEST(nested_and_keys)
{
	struct json_object *o = same("{\"a\":[1,{\"b\":{\"c\":[[\"deep string here\"],\"x\"]}}],"
				     "\"a long key\":\"v\",\"t\":true,\"f\":-1.5e3,\"u\":null}");
	struct json_object *deep = json_object_array_get_idx(
		json_object_array_get_idx(pj_arr(pj_obj(json_object_array_get_idx(pj_arr(o, "a"), 1), "b"), "c"), 0),
		0);
	ck_assert(is_big(deep));
	size_t n;
	ck_assert_str_eq(pj_sval(deep, &n), "deep string here");
	ck_assert_str_eq(pj_str(o, "a long key"), "v");
	json_object_put(o);
	o = same("\"a top-level string\"");
	ck_assert_str_eq(pj_sval(o, &n), "a top-level string");
	json_object_put(o);
	/* a duplicate key drops a huge value: its text is freed (valgrind) */
	json_object_put(same("{\"a\":\"first long\",\"a\":\"second long\"}"));
	json_object_put(same("[\"x\",\"long one\",[],{},\"\",\"longer \\\\ \\\" two\"]"));
}
END_TEST

START_TEST(bad_json_rejected_alike)
{
	static const char *const bad[] = {
		"{\"a\":\"bad \\x escape\"}", "{\"a\":\"short \\u12\"}", "{\"a\":\"hex \\u12g4\"}",
		"{\"a\":\"unterminated", "{\"a\":\"trailing\"} x", "{\"a\" \"missing colon\"}",
		"{\"a\":\"end in backslash \\", "[\"abcd\",]x", "{\"a\":\"ok text\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct json_object *o = same(bad[i]);
		ck_assert_msg(!o, "accepted %s", bad[i]);
	}
	/* whatever json-c makes of these, the huge path makes the same */
	static const char *const odd[] = {
		"{\"a\":\"raw\ttab and\nnewline\"}", "/* \"x\" */ {\"a\":\"commented\"}",
		"{'a':'single quoted'}", "{\"a\":\"trailing spaces\"}  \r\n", "{\"a\":\"bytes \xff\xfe\xc3\"}",
		"{\"a\":NaN,\"b\":\"after nan\"}",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		json_object_put(same(odd[i]));
}
END_TEST

START_TEST(huge_line_threshold)
{
	/* a real 9 MiB line through pj_parse_line: one decoded copy */
	size_t n = PJ_HUGE_LINE + (1 << 20);
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"type\":\"user\",\"message\":{\"content\":\"");
	size_t from = b.len;
	buf_reserve(&b, n);
	memset(b.p + b.len, 'Q', n);
	b.len += n;
	b.p[from] = '\\';
	b.p[from + 1] = 'n';
	buf_adds(&b, "\"},\"small\":\"\\u0041\"}");
	struct json_object *o = pj_parse_line(b.p, b.len);
	ck_assert_ptr_nonnull(o);
	struct json_object *c = json_object_object_get(pj_obj(o, "message"), "content");
	ck_assert(is_big(c));
	size_t len;
	const char *s = pj_sval(c, &len);
	ck_assert_uint_eq(len, n - 1);
	ck_assert(s[0] == '\n' && s[1] == 'Q' && s[len - 1] == 'Q' && s[len] == '\0');
	ck_assert(!is_big(json_object_object_get(o, "small")));
	ck_assert_str_eq(pj_str(o, "small"), "A");
	/* and it serialises as json-c would */
	struct json_object *p = pj_parse(b.p, b.len);
	ck_assert_ptr_nonnull(p);
	char *tp = strdup(pj_text(p));
	json_object_put(p);
	ck_assert_uint_eq(pj_hash_text(o), pj_hash64(tp, strlen(tp)));
	ck_assert(!strcmp(pj_text(o), tp));
	free(tp);
	json_object_put(o);
	buf_free(&b);
}
END_TEST

/* pj_normalize_view: a view when only leading space goes, else what
 * pj_normalize_text gives. */
START_TEST(normalize_view)
{
	static const char *const in[] = {
		"plain", "  \n lead", "trail \n", "a\r\nb", "a\n\n\nb", "a\n\nb", "", " \t ",
		"\xe3\x80\x80wide space", "x\xc2\xa0",
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		struct pj_buf out = {0}, want = {0};
		const char *p;
		size_t n;
		pj_adds(&want, in[i]);
		pj_normalize_text(&want);
		pj_normalize_view(&out, in[i], strlen(in[i]), &p, &n);
		ck_assert_uint_eq(n, want.len);
		ck_assert(!memcmp(p, pj_cstr(&want), n) && p[n] == '\0');
		bool view = p >= in[i] && p <= in[i] + strlen(in[i]);
		ck_assert_msg(view == (i <= 1 || (i >= 5 && i <= 8)), "%zu", i);
		pj_free(&out);
		pj_free(&want);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("pjson");
	TCase *tc = tcase_create("huge");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, escapes_decode_like_json_c);
	tcase_add_test(tc, surrogate_pairs_and_nul);
	tcase_add_test(tc, placeholder_lookalikes_are_ordinary_text);
	tcase_add_test(tc, nested_and_keys);
	tcase_add_test(tc, bad_json_rejected_alike);
	tcase_add_test(tc, huge_line_threshold);
	tcase_add_test(tc, normalize_view);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
