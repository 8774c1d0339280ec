/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"
#include "evjson.h"
#include "pjson.h"

/* evjson_parse(s) must be pj_parse(s) without "source" and "sessionId":
 * same acceptance, same members in the same order, same bytes. */
static void same(const char *s, size_t n)
{
	struct json_object *want = pj_parse(s, n), *got = evjson_parse(s, n);
	ck_assert_msg(!want == !got, "%.*s: pj_parse %s, evjson %s", (int)n, s, want ? "accepts" : "rejects",
		      got ? "accepts" : "rejects");
	if (want) {
		if (json_object_is_type(want, json_type_object)) {
			json_object_object_del(want, "source");
			json_object_object_del(want, "sessionId");
		}
		ck_assert_int_eq(json_object_get_type(got), json_object_get_type(want));
		ck_assert_str_eq(json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN),
				 json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(want);
	json_object_put(got);
}

static void same_s(const char *s)
{
	same(s, strlen(s));
}

/* Events as event.c stores them, with escapes, non-ASCII text and a
 * tool call's input. */
static const char *const events[] = {
	"{\"eventId\":\"u1:message.user\",\"provider\":\"claude\",\"sessionId\":\"s1\",\"timestamp\":\"2026-01-13T00:00:39.236Z\","
	"\"kind\":\"message.user\",\"turnId\":\"u1\",\"source\":{\"providerEventType\":\"user\",\"providerEventId\":\"u1\","
	"\"rawCursor\":{\"kind\":\"byte-offset\",\"value\":325}},\"role\":\"user\",\"content\":\"line 1\\nline \\\"2\\\"\\t\\\\ "
	"caf\\u00e9 \xe4\xb8\xad \\ud83d\\ude00 \\/ \\b\\f\\r\"}",
	"{\"eventId\":\"a1:message.assistant\",\"provider\":\"codex\",\"sessionId\":\"s1\",\"timestamp\":\"\",\"kind\":"
	"\"message.assistant\",\"turnId\":\"a1\",\"source\":{\"providerEventType\":\"response_item\",\"providerEventId\":\"a1\","
	"\"rawCursor\":{\"kind\":\"byte-offset\",\"value\":0}},\"role\":\"assistant\",\"content\":\"ok\",\"model\":\"gpt-5\","
	"\"phase\":\"commentary\"}",
	"{\"eventId\":\"t1:tool.call\",\"provider\":\"claude\",\"sessionId\":\"s1\",\"timestamp\":\"2026-01-13T00:00:40Z\","
	"\"kind\":\"tool.call\",\"turnId\":\"t1\",\"source\":{\"providerEventType\":\"assistant\",\"providerEventId\":\"t1\"},"
	"\"toolCallId\":\"toolu_1\",\"name\":\"Bash\",\"description\":\"ls\",\"input\":{\"command\":\"ls -l\",\"n\":[1,2.5,-3e2,"
	"true,false,null,{}],\"deep\":{\"a\":{\"b\":\"}]\\\"{\"}}}}",
	"{\"eventId\":\"d1:decision\",\"provider\":\"claude\",\"sessionId\":\"s1\",\"timestamp\":\"x\",\"kind\":\"decision\","
	"\"turnId\":\"d1\",\"source\":{},\"decisionId\":\"q\",\"decisionKey\":\"\",\"summary\":\"pick\",\"status\":\"proposed\","
	"\"decidedBy\":\"\",\"basisEventIds\":[\"a\",\"b\"],\"metadata\":{\"options\":[{\"label\":\"A\",\"description\":\"d\"}]}}",
};

START_TEST(stored_events_parse_like_pj_parse)
{
	for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
		same_s(events[i]);
		struct json_object *o = evjson_parse(events[i], strlen(events[i]));
		ck_assert_ptr_nonnull(o);
		ck_assert(!json_object_object_get_ex(o, "source", NULL));
		ck_assert(!json_object_object_get_ex(o, "sessionId", NULL));
		ck_assert_ptr_nonnull(pj_str(o, "kind"));
		json_object_put(o);
	}
	struct json_object *o = evjson_parse(events[0], strlen(events[0]));
	size_t len;
	const char *c = pj_strn(o, "content", &len);
	const char want[] = "line 1\nline \"2\"\t\\ caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 / \b\f\r";
	ck_assert_uint_eq(len, sizeof want - 1);
	ck_assert(!memcmp(c, want, len));
	json_object_put(o);
}
END_TEST

START_TEST(odd_text_goes_to_json_c)
{
	static const char *const odd[] = {
		"{\"kind\":\"x\",\"content\":\"nul \\u0000 here\"}",
		"{\"kind\":\"x\",\"content\":\"lone \\ud800 x\",\"b\":\"\\udc00\"}",
		"{\"kind\":\"x\",\"content\":\"bad escape \\q\"}",
		"  { \"kind\" : \"x\" , \"n\" : 12 , \"d\":1.5e3, \"t\":true,\"f\":false,\"z\":null }  ",
		"{\"kind\":\"x\"} trailing",
		"{\"kind\":\"x\"}\n",
		"{}",
		"[]",
		"\"str\"",
		"12",
		"",
		"{",
		"{\"kind\":\"x\",}",
		"{\"kind\":\"x\" \"y\":1}",
		"{\"k\\u0065y\":\"v\",\"source\":{\"a\":1},\"sessionId\":\"s\",\"kind\":\"k\"}",
		"{\"kind\":\"x\",\"kind\":\"y\"}",
		"{\"kind\":\"x\",\"n\":-}",
		"{\"kind\":\"x\",\"n\":1 2}",
		"{\"kind\":\"x\",\"s\":\"raw\ttab\"}",
		"{\"kind\":\"x\",\"s\":\"unterminated}",
		"{\"kind\":\"x\",\"o\":{\"unterminated\":[}",
		"{\"kind\":\"x\",\"n\":NaN,\"i\":Infinity}",
		"{'kind':'x'}",
		"{\"kind\":\"x\" /* c */}",
		"{\"kind\":\"x\",\"u\":\"\\u12\"}",
		"{\"kind\":\"x\",\"u\":\"\\uZZZZ\"}",
		"{\"source\":{},\"sessionId\":1}",
		"{\"source\":{\"a\":[1,2,{\"b\":null}]},\"sessionId\":\"s\"}",
		"{\"source\":{\"a\":01},\"kind\":\"x\"}",
		"{\"source\":{\"a\":1e400},\"kind\":\"x\"}",
		"{\"source\":{\"a\":tru},\"kind\":\"x\"}",
		"{\"source\":{\"a\":'b'},\"kind\":\"x\"}",
		"{\"sessionId\":\"s\\u0000\",\"kind\":\"x\"}",
		"{\"sessionId\":1ses\",\"kind\":\"x\"}",
		"{\"kind\":\"x\",\"big\":12345678901234567890123}",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		same_s(odd[i]);
	same("{\"kind\":\"x\"}\0\0", 14);
	same("{\"kind\":\"x\",\"c\":\"a\0b\"}", 22);
	same("{\"kind\":\"x\",\"c\":\"\xff\xfe\"}", 21);
}
END_TEST

/* Nesting up to json-c's limit and past it, inside kept and left-out
 * members. */
START_TEST(deep_nesting_decided_by_json_c)
{
	static const int depths[] = {1, 199, 200, 201, 254, 255, 256, 300};
	for (size_t d = 0; d < sizeof depths / sizeof *depths; d++) {
		for (int left_out = 0; left_out < 2; left_out++) {
			struct buf b = BUF_INIT;
			buf_adds(&b, left_out ? "{\"kind\":\"x\",\"source\":" : "{\"kind\":\"x\",\"deep\":");
			for (int i = 0; i < depths[d]; i++)
				buf_adds(&b, "[");
			buf_adds(&b, "1");
			for (int i = 0; i < depths[d]; i++)
				buf_adds(&b, "]");
			buf_adds(&b, "}");
			same(b.p, b.len);
			buf_free(&b);
		}
	}
}
END_TEST

/* Random edits of stored events are accepted and rejected as pj_parse
 * does them (a deterministic generator: the same cases every run). */
START_TEST(mutated_events_alike)
{
	static const char alphabet[] = "{}[]\",:\\u0dD8eE \t1-.ntfa/'";
	uint32_t seed = 12345;
	for (int round = 0; round < 4000; round++) {
		const char *src = events[round % (sizeof events / sizeof *events)];
		size_t n = strlen(src);
		char *s = malloc(n + 8);
		memcpy(s, src, n);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			char c = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
			switch ((seed >> 20) % 3) {
			case 0: s[at] = c; break;
			case 1:
				memmove(s + at + 1, s + at, n - at);
				s[at] = c;
				n++;
				break;
			default:
				memmove(s + at, s + at + 1, n - at - 1);
				n--;
				break;
			}
		}
		same(s, n);
		free(s);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("evjson");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stored_events_parse_like_pj_parse);
	tcase_add_test(tc, odd_text_goes_to_json_c);
	tcase_add_test(tc, deep_nesting_decided_by_json_c);
	tcase_add_test(tc, mutated_events_alike);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
