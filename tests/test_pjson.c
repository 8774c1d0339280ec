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
	struct json_object *a = pj_parse_json_c(s, strlen(s)), *b = small_big(s);
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
	o = same("{\"a\":\"\\u00e9\\u00E9\\u4e2d\\u0041\\u007f \\u0001\\u001f\\u000B\"}");
	ck_assert_str_eq(pj_str(o, "a"), "\xc3\xa9\xc3\xa9\xe4\xb8\xad" "A\x7f \x01\x1f\x0b");
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

/* ---------------------------------------------------------- pj_parse_lean */

static const struct pj_unread inner[] = {
	{"deep", NULL, NULL, false}, {"sig", NULL, NULL, true}, {NULL, NULL, NULL, false}};

/* inner's rules on o's members (null, or removed if absent). */
static void inner_rules(struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "deep", NULL))
		json_object_object_add(o, "deep", NULL);
	json_object_object_del(o, "sig");
}
static const struct pj_unread unread[] = {{"skip", NULL, NULL, false},
					  {"tur", "\"answers\"", NULL, false},
					  {"in", NULL, inner, false},
					  {"gone", NULL, NULL, true},
					  {NULL, NULL, NULL, false}};

/* o with its top-level members in `unread` set to null, or removed if
 * absent (what pj_parse_lean may give), as text; "" when o is NULL.
 * Caller frees. */
static char *nulled(struct json_object *o)
{
	if (!o)
		return strdup("");
	struct json_object *in = NULL;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "in", &in)) {
		inner_rules(in);
		for (size_t i = 0; json_object_is_type(in, json_type_array) && i < json_object_array_length(in); i++)
			inner_rules(json_object_array_get_idx(in, i));
	}
	if (json_object_is_type(o, json_type_object)) {
		for (const struct pj_unread *u = unread; u->key; u++) {
			if (u->absent)
				json_object_object_del(o, u->key);
			else if (!u->inner && json_object_object_get_ex(o, u->key, NULL))
				json_object_object_add(o, u->key, NULL);
		}
	}
	return strdup(pj_text(o));
}

/* pj_parse_lean (from lines of any length) accepts and rejects s as
 * pj_parse does, and gives the same tree but for unread members. Returns
 * the lean tree's text as it is ("" for a refusal). Caller frees. */
static char *lean_same(const char *s, size_t n)
{
	struct json_tokener *tok = NULL;
	struct json_object *a = pj_parse_json_c(s, n), *b = pj_parse_lean(&tok, s, n, unread);
	ck_assert_msg(!a == !b, "%.200s: plain %s, lean %s", s, a ? "accepts" : "rejects", b ? "accepts" : "rejects");
	/* the hash of the text, made without the text */
	if (a)
		ck_assert_uint_eq(pj_hash_text(a), pj_hash64(pj_text(a), strlen(pj_text(a))));
	char *text = strdup(b ? pj_text(b) : "");
	char *ta = nulled(a), *tb = nulled(b);
	ck_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
	json_object_put(a);
	json_object_put(b);
	if (tok)
		if (tok)
			json_tokener_free(tok);
	return text;
}

START_TEST(lean_leaves_out_unread_members)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* left out: json-c never sees them */
		{"{\"a\":1,\"skip\":{\"big\":[1,2,{\"x\":\"y\"}]},\"b\":\"z\"}", "{\"a\":1,\"skip\":null,\"b\":\"z\"}"},
		{"{ \"skip\" : [ \"t\\\"e\\\\x\\u00e9t\" , -1.5e+3 , true , false , null ] }", "{\"skip\":null}"},
		{"{\"tur\":{\"stdout\":\"lots of output\"},\"k\":2}", "{\"tur\":null,\"k\":2}"},
		/* kept: it holds what the plugin reads, or is too short to matter */
		{"{\"tur\":{\"answers\":{\"q\":\"yes\"}},\"k\":2}", "{\"tur\":{\"answers\":{\"q\":\"yes\"}},\"k\":2}"},
		{"{\"skip\":true}", "{\"skip\":true}"},
		/* an escaped key is json-c's to decode: parsed whole */
		{"{\"sk\\u0069p\":{\"x\":1}}", "{\"skip\":{\"x\":1}}"},
		/* a nested member of that name is not a top-level one */
		{"{\"a\":{\"skip\":{\"x\":1}}}", "{\"a\":{\"skip\":{\"x\":1}}}"},
		/* json-c's extensions in the value: json-c reads the line whole */
		{"{\"skip\":{\"x\":NaN},\"a\":1}", "{\"skip\":{\"x\":NaN},\"a\":1}"},
		{"{\"skip\":[1,2,],\"a\":1}", "{\"skip\":[1,2],\"a\":1}"},
		/* inner rules: the member is read, its member "deep" is not */
		{"{\"in\":{\"a\":1,\"deep\":{\"x\":[1,2]},\"b\":\"c\"},\"deep\":{\"y\":2}}",
		 "{\"in\":{\"a\":1,\"deep\":null,\"b\":\"c\"},\"deep\":{\"y\":2}}"},
		{"{\"in\":[{\"deep\":{\"x\":[1,2]}}]}", "{\"in\":[{\"deep\":null}]}"},
		/* and in each object of an array */
		{"{\"in\":[1,{\"sig\":\"s\",\"a\":{\"sig\":1}},[{\"deep\":\"kept\"}],{\"deep\":[1,2],\"sig\":\"last\"}]}",
		 "{\"in\":[1,{\"a\":{\"sig\":1}},[{\"deep\":\"kept\"}],{\"deep\":null,\"sig\":null}]}"},
		{"{\"in\":{\"deep\":{\"x\":[1,2]},\"bad\":NaN}}", "{\"in\":{\"deep\":{\"x\":[1,2]},\"bad\":NaN}}"},
		/* controls json-c writes as \u00xx (lowercase), in a key too */
		{"{\"a\":\"\\u001f\\u000B\\u0000x\",\"k\\u00e9\":1,\"\x1f\":2}",
		 "{\"a\":\"\\u001f\\u000b\\u0000x\",\"k\xc3\xa9\":1,\"\\u001f\":2}"},
		/* absent: the member and its comma are gone; last, it is null */
		{"{\"gone\":\"x\",\"a\":1}", "{\"a\":1}"},
		{"{\"a\":1, \"gone\" : [1,{\"b\":2}] ,\"c\":2,\"gone\":1,\"d\":3}", "{\"a\":1,\"c\":2,\"d\":3}"},
		{"{\"a\":1,\"gone\":\"long enough\"}", "{\"a\":1,\"gone\":null}"},
		{"{\"gone\":1}", "{\"gone\":1}"},
		{"{\"gone\":1,\"skip\":{\"x\":1},\"gone\":{},\"a\":2}", "{\"skip\":null,\"a\":2}"},
		/* json-c's trailing commas: json-c reads the line whole */
		{"{\"gone\":1,}", "{\"gone\":1}"},
		{"{\"gone\":[1,],\"a\":1}", "{\"gone\":[1],\"a\":1}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = lean_same(cases[i].in, strlen(cases[i].in));
		ck_assert_msg(!strcmp(t, cases[i].out), "%s -> %s, not %s", cases[i].in, t, cases[i].out);
		free(t);
	}
	/* refused alike: broken JSON inside or around the value, garbage after */
	static const char *const bad[] = {
		"{\"skip\":{\"x\":1}", "{\"skip\":{\"x\":\"unterminated}}", "{\"skip\":{\"x\":1}} x",
		"{\"skip\":{\"x\" 1},\"a\":1}", "{\"skip\":\"bad \\q escape\",\"a\":1}", "{\"skip\":tru}",
		"{\"a\":1,\"skip\":{\"x\":1},}x", "{\"skip\":{\"x\":01x}}",
		"{\"gone\":1,\"a\":}", "{\"gone\":\"x\",\"a\":1} x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *t = lean_same(bad[i], strlen(bad[i]));
		ck_assert_msg(!*t, "accepted %s", bad[i]);
		free(t);
	}
	/* nesting: json-c refuses a line 300 deep; so must the lean parse, and
	 * both accept 150 */
	for (int depth = 150; depth <= 300; depth += 150) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\"skip\":");
		for (int d = 0; d < depth; d++)
			buf_adds(&b, "[");
		for (int d = 0; d < depth; d++)
			buf_adds(&b, "]");
		buf_adds(&b, ",\"a\":1}");
		char *t = lean_same(b.p, b.len);
		ck_assert_msg(depth == 300 ? !*t : !strcmp(t, "{\"skip\":null,\"a\":1}"), "depth %d: %s", depth, t);
		free(t);
		buf_free(&b);
	}
}
END_TEST

/* Every line of the committed corpus, whole and cut at many places, and
 * with a byte changed: the lean parse agrees with json-c. */
static int lean_corpus_file(const char *path)
{
	size_t n;
	char *data = tu_read(path, &n);
	int lines = 0;
	for (char *p = data, *end = data + n; p < end; lines++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		free(lean_same(p, len));
		for (size_t cut = len / 7; cut < len; cut += len / 7 + 1)
			free(lean_same(p, cut));
		if (len > 40) {
			char keep = p[len / 2];
			p[len / 2] = keep == '}' ? ']' : keep == '"' ? '\\' : '"';
			free(lean_same(p, len));
			p[len / 2] = keep;
		}
		p += len + 1;
	}
	free(data);
	return lines;
}

/* String values with every kind of escape, across the lengths where
 * decode_into's 16-byte steps end: pjson decodes them as json-c does (as
 * pj_sval gives them and as pj_text writes them). */
START_TEST(lean_long_strings)
{
	static const char *const pieces[] = {"plain text ", "\\n", "\\\"", "\\\\", "\\u00e9",
					     "\\ud83d\\ude00", "\\/", "\\t", "\\u0000", "caf\xc3\xa9 "};
	for (size_t len = 1; len < 320; len += 7) {
		char body[1024], line[2200];
		size_t w = 0;
		for (size_t i = 0; w < len; i++)
			w += (size_t)snprintf(body + w, sizeof body - w, "%s", pieces[i % (sizeof pieces / sizeof pieces[0])]);
		w = (size_t)snprintf(line, sizeof line, "{\"a\":1,\"skip\":{\"x\":2},\"s\":\"%s\",\"t\":[\"%s\"]}", body, body);
		struct json_tokener *tok = NULL;
		struct json_object *a = pj_parse_json_c(line, w), *b = pj_parse_lean(&tok, line, w, unread);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		size_t an, bn;
		const char *as = pj_strn(a, "s", &an), *bs = pj_strn(b, "s", &bn);
		ck_assert_uint_eq(an, bn);
		ck_assert(!memcmp(as, bs, an));
		as = pj_sval(json_object_array_get_idx(pj_arr(a, "t"), 0), &an);
		bs = pj_sval(json_object_array_get_idx(pj_arr(b, "t"), 0), &bn);
		ck_assert_uint_eq(an, bn);
		ck_assert(!memcmp(as, bs, an));
		json_object_object_add(a, "skip", NULL);
		ck_assert_str_eq(pj_text(a), pj_text(b));
		json_object_put(a);
		json_object_put(b);
		if (tok)
			json_tokener_free(tok);
	}
}
END_TEST

/* The lean tree is built by pjson, not json-c's tokener: every number
 * becomes the object json-c makes of it (an int64, an uint64 past
 * INT64_MAX, a double that keeps its text), and a key given twice keeps
 * its first place and its last value. */
START_TEST(lean_builds_what_json_c_builds)
{
	static const char *const numbers[] = {
		"0", "-0", "7", "-7", "1234567890123", "9223372036854775807", "9223372036854775808",
		"18446744073709551615", "18446744073709551616", "99999999999999999999999",
		"-9223372036854775808", "-9223372036854775809", "-99999999999999999999999", "0.5", "-0.0",
		"1.0", "1e2", "1E+2", "1e-2", "-1.25e-300", "1e400", "-1e400", "2.2250738585072011e-308",
		"0.1000000000000000055511151231257827", "123456789.123456789",
	};
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		char line[200];
		int w = snprintf(line, sizeof line, "{\"n\":%s,\"a\":[%s]}", numbers[i], numbers[i]);
		struct json_tokener *tok = NULL;
		struct json_object *a = pj_parse_json_c(line, (size_t)w), *b = pj_parse_with(&tok, line, (size_t)w);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_null(tok); /* pjson's, not json-c's */
		struct json_object *na = NULL, *nb = NULL;
		json_object_object_get_ex(a, "n", &na);
		json_object_object_get_ex(b, "n", &nb);
		ck_assert_msg(json_object_get_type(na) == json_object_get_type(nb), "%s: type", numbers[i]);
		ck_assert_int_eq(json_object_get_int64(na), json_object_get_int64(nb));
		ck_assert_uint_eq(json_object_get_uint64(na), json_object_get_uint64(nb));
		double da = json_object_get_double(na), db = json_object_get_double(nb);
		ck_assert(!memcmp(&da, &db, sizeof da));
		ck_assert_str_eq(pj_text(a), pj_text(b));
		json_object_put(a);
		json_object_put(b);
		/* the number alone, as the whole text: json-c refuses it, as
		 * pj_parse calls it (so does pjson) */
		ck_assert_ptr_null(pj_parse_json_c(numbers[i], strlen(numbers[i])));
		ck_assert_ptr_null(pj_parse(numbers[i], strlen(numbers[i])));
	}
	static const char *const lines[] = {
		"{\"a\":1,\"b\":2,\"a\":{\"x\":[]}}", "{\"\":\"\",\"e\":{},\"f\":[[],{}]}",
		"{\"t\":true,\"f\":false,\"n\":null,\"k\xc3\xa9y\":\"v\"}",
		" {\"a\" : [ 1 , \"x\" ] }\r\n", "[1,{\"b\":[]},\"c\"]", "\"just a string\"", "{\"s\":\"\\u0000\\\"\\/\\b\\f\\n\\r\\t\\u20ac\\ud834\\udd1e\"}",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct json_tokener *tok = NULL;
		struct json_object *a = pj_parse_json_c(lines[i], strlen(lines[i])),
				   *b = pj_parse_lean(&tok, lines[i], strlen(lines[i]), NULL);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_null(tok);
		ck_assert_str_eq(pj_text(a), pj_text(b));
		json_object_put(a);
		json_object_put(b);
	}
}
END_TEST

START_TEST(lean_agrees_with_json_c_on_the_corpus)
{
	static const char *const files[] = {
		"tests/corpus/claude/DERIVED-jazzyalex-composite.jsonl",
		"tests/corpus/claude/entire-image-toolresult-opus46.jsonl",
		"tests/corpus/claude/codemie-2.0.76-compact.jsonl",
		"tests/corpus/codex/DERIVED-jazzyalex-composite-0.146.jsonl",
		"tests/corpus/gemini/DERIVED-jazzyalex-jsonl-v040.jsonl",
	};
	int lines = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *path = tu_src(files[i]);
		lines += lean_corpus_file(path);
		free(path);
	}
	ck_assert_int_gt(lines, 500);
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
	struct json_object *p = pj_parse_json_c(b.p, b.len);
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
	tcase_add_test(tc, lean_leaves_out_unread_members);
	tcase_add_test(tc, lean_long_strings);
	tcase_add_test(tc, lean_builds_what_json_c_builds);
	tcase_add_test(tc, lean_agrees_with_json_c_on_the_corpus);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
