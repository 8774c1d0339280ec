/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "fingerprint.h"
#include "testutil.h"

/* computed by kato 0.1 (commit d99ddab), see fingerprint_pinned */
#define PIN_M "02cc3126ca01370ac18305cb04cfd119"
#define PIN_R "e36e0b9b67865c50920514b479ca71af"
#define PIN_C "e307a2a35347229b3d4300abee184f6b"
#define PIN_D "92b79b5127cc3144374f677fb8b422bf"

static struct kato_event base(const char *kind)
{
	struct kato_event ev = {.struct_size = sizeof ev, .kind = kind, .event_id = "u1:x",
				.turn_id = "u1", .timestamp = "2026-02-10T23:36:27.000Z",
				.provider_event_type = "assistant", .provider_event_id = "u1"};
	return ev;
}

START_TEST(tool_call_json_matches_reference)
{
	/* ref §1.2: the tool.call example line, byte for byte */
	struct kato_event ev = base("tool.call");
	ev.event_id = "msg-a1c:tool.call";
	ev.turn_id = "msg-a1c";
	ev.provider_event_id = "msg-a1c";
	ev.tool_call_id = "toolu_read1";
	ev.name = "Read";
	ev.description = "/home/user/project/package.json";
	ev.input_json = "{ \"file_path\" : \"/home/user/project/package.json\" }";
	struct buf b = BUF_INIT;
	event_to_json(&ev, "claude", "sess-001", 1376, &b);
	ck_assert_str_eq(b.p,
		"{\"eventId\":\"msg-a1c:tool.call\",\"provider\":\"claude\",\"sessionId\":\"sess-001\","
		"\"timestamp\":\"2026-02-10T23:36:27.000Z\",\"kind\":\"tool.call\",\"turnId\":\"msg-a1c\","
		"\"source\":{\"providerEventType\":\"assistant\",\"providerEventId\":\"msg-a1c\","
		"\"rawCursor\":{\"kind\":\"byte-offset\",\"value\":1376}},\"toolCallId\":\"toolu_read1\","
		"\"name\":\"Read\",\"description\":\"/home/user/project/package.json\","
		"\"input\":{\"file_path\":\"/home/user/project/package.json\"}}");
	buf_free(&b);
}
END_TEST

START_TEST(message_json_escapes_like_json_stringify)
{
	struct kato_event ev = base("message.assistant");
	ev.content = "a/b \"q\" \\ \t\n\x01 \xc3\xa9 \xff";
	ev.model = "claude-opus-4-6";
	struct buf b = BUF_INIT;
	event_to_json(&ev, "claude", "s", -1, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "\"role\":\"assistant\",\"content\":\"a/b \\\"q\\\" \\\\ \\t\\n\\u0001 \xc3\xa9 \xef\xbf\xbd\",\"model\":\"claude-opus-4-6\"}"));
	ck_assert_ptr_null(strstr(b.p, "rawCursor"));
	/* the output is valid JSON */
	struct json_object *o = pj_parse(b.p, b.len);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	buf_free(&b);
}
END_TEST

START_TEST(decision_and_compaction_fields)
{
	struct kato_event ev = base("decision");
	ev.decision_id = "u1:decision";
	ev.decision_key = "deploy-mode";
	ev.summary = "Choose";
	ev.status = "proposed";
	ev.decided_by = "assistant";
	ev.metadata_json = "{\"header\":\"H\"}";
	struct buf b = BUF_INIT;
	event_to_json(&ev, "codex", "s", -1, &b);
	ck_assert_ptr_nonnull(strstr(b.p, ",\"decisionId\":\"u1:decision\",\"decisionKey\":\"deploy-mode\","
					 "\"summary\":\"Choose\",\"status\":\"proposed\",\"decidedBy\":\"assistant\","
					 "\"basisEventIds\":[],\"metadata\":{\"header\":\"H\"}}"));
	buf_reset(&b);
	ev = base("compaction");
	ev.trigger = "auto";
	ev.pre_tokens = 155000;
	event_to_json(&ev, "claude", "s", -1, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "\"kind\":\"compaction\""));
	ck_assert_ptr_nonnull(strstr(b.p, ",\"trigger\":\"auto\",\"preTokens\":155000}"));
	buf_free(&b);
}
END_TEST

START_TEST(check_rejects_unusable_events)
{
	const char *why;
	struct kato_event ev = base("message.user");
	ck_assert_int_eq(event_check(&ev, &why), -1); /* no content */
	ev.content = "hi";
	ck_assert_int_eq(event_check(&ev, &why), 0);
	ev.kind = "message.bogus";
	ck_assert_int_eq(event_check(&ev, &why), -1);
	ev = base("tool.call");
	ck_assert_int_eq(event_check(&ev, &why), -1); /* no tool_call_id */
	ev.tool_call_id = "t";
	ck_assert_int_eq(event_check(&ev, &why), 0);
	struct buf b = BUF_INIT;
	ev.input_json = "[1,2]";
	ck_assert_int_eq(event_to_json(&ev, "p", "s", -1, &b), -1); /* input must be an object */
	ev.input_json = "{\"a\":";
	ck_assert_int_eq(event_to_json(&ev, "p", "s", -1, &b), -1); /* and valid JSON */
	ev.input_json = "{\"a\":1}";
	buf_reset(&b);
	ck_assert_int_eq(event_to_json(&ev, "p", "s", -1, &b), 0);
	buf_free(&b);
	ev.event_id = NULL;
	ck_assert_int_eq(event_check(&ev, &why), -1);
	ev = base("message.user");
	ev.content = "x";
	ev.struct_size = 8;
	ck_assert_int_eq(event_check(&ev, &why), -1);
}
END_TEST

START_TEST(fingerprint_ignores_time_but_not_content)
{
	struct kato_event a = base("message.user"), b;
	a.content = "hello";
	b = a;
	b.timestamp = "2030-01-01T00:00:00.000Z";
	struct fingerprint fa, fb;
	fingerprint_event("claude", "s1", &a, &fa);
	fingerprint_event("claude", "s1", &b, &fb);
	ck_assert_mem_eq(fa.b, fb.b, 16);
	b.content = "hello!";
	fingerprint_event("claude", "s1", &b, &fb);
	ck_assert_mem_ne(fa.b, fb.b, 16);
	fingerprint_event("claude", "s2", &a, &fb); /* other session */
	ck_assert_mem_ne(fa.b, fb.b, 16);
	b = a;
	b.index = 1;
	fingerprint_event("claude", "s1", &b, &fb);
	ck_assert_mem_ne(fa.b, fb.b, 16);
	/* field boundaries matter: content "ab"+model NULL != content "a"+model "b" */
	struct kato_event c = base("message.assistant"), d = base("message.assistant");
	c.content = "ab";
	d.content = "a";
	d.model = "b";
	fingerprint_event("p", "s", &c, &fa);
	fingerprint_event("p", "s", &d, &fb);
	ck_assert_mem_ne(fa.b, fb.b, 16);
	char hex[33];
	fingerprint_hex(&fa, hex);
	ck_assert_uint_eq(strlen(hex), 32);
}
END_TEST

/* Fingerprints of text without a NUL are pinned to the values kato 0.1
 * computed (before events carried lengths): stores must not grow
 * duplicates when the fingerprint code changes. */
START_TEST(fingerprint_pinned)
{
	struct kato_event m = base("message.user");
	m.content = "hello \xc3\xa9 world";
	m.flags = KATO_EVENT_HUMAN;
	struct kato_event r = base("tool.result");
	r.tool_call_id = "toolu_1";
	r.result = "line 1\nline 2";
	r.index = 2;
	struct kato_event c = base("tool.call");
	c.tool_call_id = "toolu_1";
	c.name = "Bash";
	c.description = "List files";
	c.input_json = "{\"command\":\"ls\"}";
	struct kato_event d = base("decision");
	d.decision_id = "d1";
	d.decision_key = "which";
	d.summary = "Which? yes";
	d.status = "accepted";
	d.decided_by = "user";
	struct kato_event *evs[] = {&m, &r, &c, &d};
	static const char *const want[] = {PIN_M, PIN_R, PIN_C, PIN_D};
	for (size_t i = 0; i < 4; i++) {
		struct fingerprint fp;
		char hex[33];
		fingerprint_event("claude", "sess-1", evs[i], &fp);
		fingerprint_hex(&fp, hex);
		ck_assert_str_eq(hex, want[i]);
	}
}
END_TEST

/* ABI 1.1 lengths: text after a NUL is kept; a 1.0 event (struct_size
 * ending before the lengths) is read with strlen whatever follows it. */
START_TEST(text_lengths)
{
	struct kato_event ev = base("message.user");
	ev.content = "A\0B";
	ev.content_len = 3;
	struct buf b = BUF_INIT;
	ck_assert_int_eq(event_to_json(&ev, "p", "s", -1, &b), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",\"content\":\"A\\u0000B\""));
	struct fingerprint f3, f1;
	fingerprint_event("p", "s", &ev, &f3);
	struct kato_event old = ev;
	old.struct_size = offsetof(struct kato_event, content_len);
	old.content_len = 99; /* not covered by struct_size: never read */
	buf_reset(&b);
	ck_assert_int_eq(event_to_json(&old, "p", "s", -1, &b), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",\"content\":\"A\""));
	fingerprint_event("p", "s", &old, &f1);
	ck_assert_mem_ne(f3.b, f1.b, 16);
	/* 0 means strlen: the same as a 1.0 event */
	ev.content_len = 0;
	fingerprint_event("p", "s", &ev, &f3);
	ck_assert_mem_eq(f3.b, f1.b, 16);

	struct kato_event r = base("tool.result");
	r.tool_call_id = "t";
	r.result = "R\0S";
	r.result_len = 3;
	buf_reset(&b);
	ck_assert_int_eq(event_to_json(&r, "p", "s", -1, &b), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",\"result\":\"R\\u0000S\""));
	struct kato_event d = base("decision");
	d.decision_id = "d";
	d.status = "accepted";
	d.summary = "S\0T";
	d.summary_len = 3;
	buf_reset(&b);
	ck_assert_int_eq(event_to_json(&d, "p", "s", -1, &b), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",\"summary\":\"S\\u0000T\""));
	struct kato_event c = base("tool.call");
	c.tool_call_id = "t";
	c.description = "D\0E";
	c.description_len = 3;
	buf_reset(&b);
	ck_assert_int_eq(event_to_json(&c, "p", "s", -1, &b), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",\"description\":\"D\\u0000E\""));
	buf_free(&b);
}
END_TEST

/* A sink that collects into the struct buf at ud. */
static int collect(void *ud, const char *p, size_t n)
{
	buf_add(ud, p, n);
	return 0;
}

/* The JSON of a big event written through a sink buffer (as ingest
 * streams it into its row) is byte for byte the JSON built in memory. */
START_TEST(json_through_a_sink_is_the_same)
{
	struct buf text = BUF_INIT;
	for (size_t i = 0; text.len < (3u << 20); i++)
		buf_printf(&text, "line %zu \"q\" \\ \t\x01 \xc3\xa9 \xff%c", i, i % 7 ? ' ' : '\n');
	text.p[100] = '\0';
	struct kato_event ev = base("tool.result");
	ev.tool_call_id = "t1";
	ev.result = text.p;
	ev.result_len = text.len;
	struct buf mem = BUF_INIT, out = BUF_INIT, counted = BUF_INIT;
	ck_assert_int_eq(event_to_json(&ev, "p", "s", 42, &mem), 0);
	struct buf sunk = {.sink = collect, .sink_ud = &out};
	ck_assert_int_eq(event_to_json(&ev, "p", "s", 42, &sunk), 0);
	ck_assert_int_eq(buf_flush(&sunk), 0);
	ck_assert_uint_le(sunk.cap, 2 * BUF_SINK_HOLD);
	ck_assert_uint_eq(sunk.sunk, mem.len);
	ck_assert_uint_eq(out.len, mem.len);
	ck_assert(!memcmp(out.p, mem.p, mem.len));
	buf_free(&sunk);
	buf_free(&mem);
	buf_free(&out);
	buf_free(&counted);
	buf_free(&text);
}
END_TEST

/* The text json_add_value writes for what pj_parse makes of s, or NULL when
 * s is not JSON. */
static char *reserialised(const char *s)
{
	struct json_object *v = pj_parse(s, strlen(s));
	if (!v)
		return NULL;
	struct buf b = BUF_INIT;
	json_add_value(&b, v);
	json_object_put(v);
	return buf_take(&b);
}

START_TEST(canonical_provider_json_is_recognised)
{
	/* what the plugins hand over: json-c's compact text */
	const char *src = "{\"command\": \"ls -la\\n\\tcd \\\"x\\\" \\\\ /tmp\", \"n\": [1, -2, 0, 3.25, "
			  "1e5, -0.0, 123456789012345678], \"ok\": true, \"no\": false, \"z\": null, "
			  "\"u\": \"\\u00e9\xe4\xb8\xad\xf0\x9f\x98\x80\\u001f\\u0001\", \"e\": {}, \"a\": [], "
			  "\"d\": {\"x\": [{\"x\": 1}]}}";
	struct json_object *o = pj_parse(src, strlen(src));
	ck_assert_ptr_nonnull(o);
	const char *text = pj_text(o);
	ck_assert_int_eq(json_canonical_len(text, '{'), (ssize_t)strlen(text));
	char *again = reserialised(text);
	ck_assert_str_eq(again, text);
	free(again);
	json_object_put(o);
	ck_assert_int_eq(json_canonical_len("[]", '['), 2);
	ck_assert_int_eq(json_canonical_len("[\"u1:x\",\"u2:y\"]", '['), 15);
	ck_assert_int_eq(json_canonical_len("{}", '{'), 2);
	ck_assert_int_eq(json_canonical_len("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", '{'), 25); /* same key, other objects */

	/* anything json_add_value would write differently, or that is not JSON */
	static const char *const other[] = {
		"", "{", "}", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} ", " {\"a\":1}", "{\"a\" :1}", "{\"a\": 1}",
		"{\"a\":1 }", "{\"a\":[1, 2]}", "[1,2]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "{a:1}",
		"{'a':1}", "{\"a\":\"\\u00e9\"}", "{\"a\":\"\\/\"}", "{\"a\":\"\\u001F\"}", "{\"a\":\"\\u000a\"}",
		"{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u00\"}", "{\"a\":\"\n\"}",
		"{\"a\":\"\xc3\"}", "{\"a\":\"\xc3(\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":-0}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":-}", "{\"a\":1234567890123456789}",
		"{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":True}", "{\"a\":nul}", "{\"a\":truex}",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":{\"c\":1},\"a\":2}", "{\"a\":1}/*c*/", "{\"a\":1}x",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		ck_assert_msg(json_canonical_len(other[i], '{') == -1, "%s", other[i]);
	ck_assert_int_eq(json_canonical_len("{\"a\":1}", '['), -1);

	/* deeper than 64 levels: parsed the long way (json-c allows 256) */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 65; i++)
		buf_adds(&deep, "{\"a\":");
	buf_adds(&deep, "1");
	for (int i = 0; i < 65; i++)
		buf_addc(&deep, '}');
	ck_assert_int_eq(json_canonical_len(buf_str(&deep), '{'), -1);
	buf_free(&deep);
}
END_TEST

/* A random JSON-ish text: mostly valid structure, leaves and spacing that
 * are sometimes not canonical, keys from a small set (so some repeat). */
static void random_json(struct buf *b, unsigned *seed, int depth)
{
	static const char *const leaves[] = {
		"1", "0", "-7", "-0", "01", "3.5", "-0.0", "1e5", "1E+5", "2.50e-3", "1e999", "123456789012345678",
		"1234567890123456789", "9223372036854775807", "99999999999999999999", "true", "false", "null",
		"\"\"", "\"x\"", "\"a b\"", "\"\\n\\t\\r\\b\\f\"", "\"\\\"\\\\\"", "\"\\u0001\\u001f\\u007f\"",
		"\"\\u001F\"", "\"\\u000a\"", "\"\\u00e9\"", "\"\\/\"", "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"",
		"\"\x7f\"", "\"\xc3\"", "\"\xe4\xb8\"", "\"\xed\xa0\x80\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"",
		"\"\\u0000\"", "\"\t\"", "\"\xc0\x80\"", "nan", "1.", "\"\\'\"",
	};
	static const char *const keys[] = {"\"a\"", "\"b\"", "\"\"", "\"\\u0001\"", "\"\xc3\xa9\"", "\"\\u00e9\"", "\"\xe9\""};
	static const char *const spaces[] = {"", "", "", "", "", "", "", "", "", "", " ", "\n"};
#define PICK(a) (a)[rand_r(seed) % (sizeof(a) / sizeof((a)[0]))]
	unsigned r = (unsigned)rand_r(seed) % 10;
	if (depth > 4 || r < 5) {
		buf_adds(b, PICK(leaves));
		return;
	}
	bool obj = r < 8;
	int n = rand_r(seed) % 4;
	buf_addc(b, obj ? '{' : '[');
	buf_adds(b, PICK(spaces));
	for (int i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		if (obj) {
			buf_adds(b, PICK(keys));
			buf_adds(b, PICK(spaces));
			buf_addc(b, ':');
		}
		random_json(b, seed, depth + 1);
	}
	buf_adds(b, PICK(spaces));
	buf_addc(b, obj ? '}' : ']');
#undef PICK
}

START_TEST(odd_provider_json_is_written_as_before)
{
	/* texts not in canonical form still go through json-c: invalid UTF-8
	 * becomes U+FFFD, spacing and escapes are normalised, a repeated key
	 * is kept once, a NUL stays escaped */
	static const char *const odd[][2] = {
		{"{\"a\":\"\xff\"}", "{\"a\":\"\xef\xbf\xbd\"}"},
		{"{ \"a\" : [1, 2] }", "{\"a\":[1,2]}"},
		{"{\"a\":\"\\u00e9\\/\"}", "{\"a\":\"\xc3\xa9/\"}"},
		{"{\"a\":\"\\u0000\"}", "{\"a\":\"\\u0000\"}"},
		{"{\"a\":1,\"a\":2}", NULL},
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		struct kato_event ev = base("tool.call");
		ev.tool_call_id = "t";
		ev.input_json = odd[i][0];
		char *want = odd[i][1] ? strdup(odd[i][1]) : reserialised(odd[i][0]);
		ck_assert_ptr_nonnull(want);
		if (!odd[i][1])
			ck_assert_int_eq((int)strlen(want), 7); /* one "a" */
		struct buf b = BUF_INIT;
		ck_assert_int_eq(event_to_json(&ev, "p", "s", -1, &b), 0);
		const char *in = strstr(buf_str(&b), "\"input\":");
		ck_assert_ptr_nonnull(in);
		ck_assert(!strncmp(in + 8, want, strlen(want)));
		ck_assert_str_eq(in + 8 + strlen(want), "}");
		free(want);
		buf_free(&b);
	}
}
END_TEST

START_TEST(canonical_copy_is_what_reserialising_writes)
{
	/* every text taken as it is must be exactly what parsing and writing
	 * it gives (the event JSON is the same bytes as before) */
	unsigned seed = 13;
	int taken = 0, same = 0;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 20000; i++) {
		buf_reset(&b);
		random_json(&b, &seed, 0);
		const char *s = buf_str(&b);
		if (s[0] != '{' && s[0] != '[')
			continue;
		ssize_t n = json_canonical_len(s, s[0] == '[' ? '[' : '{');
		char *again = reserialised(s);
		if (again && !strcmp(again, s))
			same++;
		if (n >= 0) {
			taken++;
			ck_assert_msg(again && !strcmp(again, s), "%s -> %s", s, again ? again : "(not JSON)");
			ck_assert_int_eq(n, (ssize_t)strlen(s));
		}
		free(again);
	}
	buf_free(&b);
	/* most texts already canonical are recognised (not: integers of 19
	 * digits or more, "\u0000", "1.") */
	ck_assert_int_gt(taken, 2000);
	ck_assert_int_ge(taken * 100, same * 90);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, tool_call_json_matches_reference);
	tcase_add_test(tc, message_json_escapes_like_json_stringify);
	tcase_add_test(tc, decision_and_compaction_fields);
	tcase_add_test(tc, check_rejects_unusable_events);
	tcase_add_test(tc, json_through_a_sink_is_the_same);
	tcase_add_test(tc, canonical_provider_json_is_recognised);
	tcase_add_test(tc, canonical_copy_is_what_reserialising_writes);
	tcase_add_test(tc, odd_provider_json_is_written_as_before);
	suite_add_tcase(s, tc);
	tc = tcase_create("fingerprint");
	tcase_add_test(tc, fingerprint_ignores_time_but_not_content);
	tcase_add_test(tc, fingerprint_pinned);
	tcase_add_test(tc, text_lengths);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
