/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"

#include <time.h>

#include "frontmatter.h"
#include "markdown.h"
#include "text.h"

/* Expected values below come from ref §4.2/§4.3 (quoted there or derived
 * by hand from the rules, see tests/data/golden/README.md), from
 * JavaScript semantics checked against node/js-yaml 4 by hand, never from
 * this code's own output. */

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

struct events {
	struct json_object **v;
	size_t n;
};

static struct events load_events(const char *rel)
{
	struct events e = {NULL, 0};
	char *path = tu_src(rel);
	size_t len;
	char *data = tu_read(path, &len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = pj_parse(line, strlen(line));
		ck_assert_ptr_nonnull(o);
		e.v = xrealloc(e.v, (e.n + 1) * sizeof *e.v);
		e.v[e.n++] = o;
	}
	free(data);
	free(path);
	return e;
}

static void add_event(struct events *e, const char *json)
{
	struct json_object *o = pj_parse(json, strlen(json));
	ck_assert_msg(o != NULL, "bad test JSON: %s", json);
	e->v = xrealloc(e->v, (e->n + 1) * sizeof *e->v);
	e->v[e->n++] = o;
}

static void free_events(struct events *e)
{
	for (size_t i = 0; i < e->n; i++)
		json_object_put(e->v[i]);
	free(e->v);
}

static char *golden(const char *name)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "tests/data/golden/%s", name);
	char *path = tu_src(b.p);
	char *text = tu_read(path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	free(path);
	buf_free(&b);
	return text;
}

static char *render(const struct md_options *o, struct events *e, char role[16])
{
	struct buf out = BUF_INIT;
	char tmp[16] = "";
	md_render(o, e->v, e->n, role ? role : tmp, &out);
	return out.p ? buf_take(&out) : xstrdup("");
}

/* ---- golden documents (ref §4.3) ---- */

START_TEST(golden_claude_defaults)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events e = load_events("tests/data/golden/claude-session.events.jsonl");
	ck_assert_uint_eq(e.n, 10);
	char *got = render(&o, &e, NULL), *want = golden("claude-session.defaults.md");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free_events(&e);
}
END_TEST

START_TEST(golden_claude_all)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	o.include_thinking = o.include_tool_calls = o.italicize_user = true;
	struct events e = load_events("tests/data/golden/claude-session.events.jsonl");
	char *got = render(&o, &e, NULL), *want = golden("claude-session.all.md");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free_events(&e);
}
END_TEST

START_TEST(golden_codex_questionnaire)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events e = load_events("tests/data/golden/codex-request-user-input.events.jsonl");
	char *got = render(&o, &e, NULL), *want = golden("codex-request-user-input.defaults.md");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free_events(&e);
}
END_TEST

/* The live capture block of ref §4.2. */
static const char live_block[] =
	"---\n"
	"id: hello-there-first-messag-sesse2e\n"
	"title: 'Hello there, first message'\n"
	"desc: ''\n"
	"created: 1795466671571\n"
	"participants: [claude.claude-opus-4-6]\n"
	"sessionId: sess-e2e\n"
	"recordingIds: [a41312e7-f3ee-4b4e-9850-2ee287c5f8d6]\n"
	"---";

static const char *const live_participants[] = {"claude.claude-opus-4-6", NULL};
static const char *const live_recordings[] = {"a41312e7-f3ee-4b4e-9850-2ee287c5f8d6", NULL};

START_TEST(document_with_frontmatter)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct fm_fields f = {
		.title = "Hello there, first message", .session_id = "sess-e2e",
		.created_ms = 1795466671571, .updated_ms = -1,
		.participants = live_participants, .recording_ids = live_recordings,
	};
	struct events e = load_events("tests/data/golden/claude-session.events.jsonl");
	struct buf out = BUF_INIT, want = BUF_INIT;
	md_document(&o, &f, e.v, e.n, &out);
	char *body = golden("claude-session.defaults.md");
	buf_printf(&want, "%s\n\n%s", live_block, body);
	ck_assert_str_eq(buf_str(&out), buf_str(&want));

	/* nothing renders: "<frontmatter>\n" */
	buf_reset(&out);
	buf_reset(&want);
	md_document(&o, &f, e.v, 0, &out);
	buf_printf(&want, "%s\n", live_block);
	ck_assert_str_eq(buf_str(&out), buf_str(&want));

	/* a body that starts with a tool block still gets exactly one blank line */
	o.include_tool_calls = true;
	buf_reset(&out);
	md_document(&o, &f, e.v + 3, 1, &out);
	ck_assert_ptr_nonnull(strstr(buf_str(&out), "---\n\n<details>\n"));
	free(body);
	buf_free(&out);
	buf_free(&want);
	free_events(&e);
}
END_TEST

/* ---- frontmatter (ref §4.2) ---- */

START_TEST(fm_live_example)
{
	struct fm_fields f = {
		.title = "Hello there, first message", .session_id = "sess-e2e",
		.created_ms = 1795466671571, .updated_ms = -1,
		.participants = live_participants, .recording_ids = live_recordings,
	};
	struct buf out = BUF_INIT;
	fm_render(&f, &out);
	ck_assert_str_eq(buf_str(&out), live_block);
	ck_assert_uint_eq(fm_find(out.p, out.len), out.len);

	/* updated, tags, kinds, an apostrophe in the title, a blank sessionId */
	static const char *const kinds[] = {"message.assistant", "message.user", "thinking", NULL};
	static const char *const parts[] = {" user.alice ", "", "user.alice", "claude.claude-opus-4-6", NULL};
	struct fm_fields g = {
		.id = "fixed-id", .title = "It's here", .session_id = "  ",
		.created_ms = 5, .updated_ms = 5, .participants = parts, .event_kinds = kinds,
	};
	buf_reset(&out);
	fm_render(&g, &out);
	ck_assert_str_eq(buf_str(&out),
			 "---\nid: fixed-id\ntitle: 'It''s here'\ndesc: ''\ncreated: 5\nupdated: 5\n"
			 "participants: [user.alice, claude.claude-opus-4-6]\n"
			 "conversationEventKinds: [message.assistant, message.user, thinking]\n---");
	buf_free(&out);
}
END_TEST

/* Titles and items that YAML cannot hold as they are (line breaks,
 * control characters, C1, invalid UTF-8, a leading '@' or a lone ':')
 * are written so that the block reads back, and merging the same lists
 * again changes nothing (found by the frontmatter fuzzer). */
START_TEST(fm_hostile_values_round_trip)
{
	static const char *const titles[] = {"two\nlines", "bell\x07 esc\x1b", "c1 \xc2\x85\xc2\x9b", "bad \xff\xfe utf8",
					     "@x", ":", "tab\there", "ls \xe2\x80\xa8 ps \xe2\x80\xa9"};
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
		const char *items[] = {titles[i], "plain", NULL};
		struct fm_fields f = {.id = "x", .title = titles[i], .session_id = "s", .created_ms = 1,
				      .updated_ms = -1, .participants = items, .recording_ids = items};
		struct buf b = BUF_INIT, m = BUF_INIT;
		fm_render(&f, &b);
		buf_adds(&b, "\n");
		bool changed = true;
		char *err = NULL;
		size_t len = fm_find(b.p, b.len);
		ck_assert_msg(len > 0, "no block for title %zu", i);
		ck_assert_msg(fm_merge(b.p, len, items, items, NULL, &m, &changed, &err) == 0,
			      "title %zu: %s\n%s", i, err ? err : "", b.p);
		ck_assert_msg(!changed, "title %zu: merging the same items changed the block:\n%s\n%s", i, b.p,
			      buf_str(&m));
		/* a list grown by a merge reads back too */
		const char *more[] = {"two\nlines", "\x01", NULL};
		struct buf m2 = BUF_INIT, m3 = BUF_INIT;
		ck_assert_int_eq(fm_merge(b.p, len, more, NULL, NULL, &m2, &changed, &err), 0);
		ck_assert(changed);
		ck_assert_int_eq(fm_merge(m2.p, m2.len, more, NULL, NULL, &m3, &changed, &err), 0);
		ck_assert_msg(!changed, "title %zu: second merge changed:\n%s\n%s", i, m2.p, buf_str(&m3));
		buf_free(&b);
		buf_free(&m);
		buf_free(&m2);
		buf_free(&m3);
	}
	/* an existing one-entry block collection stays a block under its key */
	const char *block = "---\ntags:\n  '5': x\nlist:\n  - a\nid: x\n---";
	const char *ids[] = {"r1", NULL};
	struct buf m = BUF_INIT, m2 = BUF_INIT;
	bool changed;
	char *err = NULL;
	ck_assert_int_eq(fm_merge(block, strlen(block), NULL, ids, NULL, &m, &changed, &err), 0);
	ck_assert_msg(strstr(buf_str(&m), "tags:\n  '5': x\nlist: [a]\n"), "%s", buf_str(&m));
	ck_assert_int_eq(fm_merge(m.p, m.len, NULL, ids, NULL, &m2, &changed, &err), 0);
	ck_assert(!changed);
	buf_free(&m);
	buf_free(&m2);
}
END_TEST

START_TEST(fm_quoting)
{
	static const char *const ids[] = {"123", "true", "null", "~", "rec-safe", NULL};
	struct fm_fields f = {.id = "x", .title = "t", .created_ms = 1, .updated_ms = -1, .recording_ids = ids};
	struct buf out = BUF_INIT;
	fm_render(&f, &out);
	ck_assert_ptr_nonnull(strstr(buf_str(&out), "\nrecordingIds: ['123', 'true', 'null', '~', rec-safe]\n"));
	buf_free(&out);

	/* each pair: text, bare? (checked against js-yaml 4 load() by hand;
	 * "@x" and ":" are quoted although js-yaml would read them bare:
	 * libyaml, which reads the block back, refuses them) */
	static const struct {
		const char *s;
		bool bare;
	} cases[] = {
		{"2026-02-22", false}, {"2026-02-22T10:00:00.000Z", false}, {"@x", false},
		{"a:", false}, {"a:b", true}, {"0x1F", false}, {"0o17", false}, {"0b101", false},
		{".5", false}, {"1.", false}, {"1e5", false}, {"-.5", true}, {".inf", false},
		{"-.inf", false}, {".NaN", false}, {"-.nan", true}, {"1_000", true}, {"0123", false},
		{"---a", true}, {"---", false}, {"...", false}, {"....", true}, {"-", false},
		{"--", true}, {":", false}, {"::", false}, {"Yes", true}, {"on", true}, {"NULL", false},
		{"nULL", true}, {"TRUE", false}, {"tRUE", true}, {"2026-2-2", true},
		{"2026-02-22T1:00:00", false}, {"1:20:30", true}, {"http://x/y", true},
		{"", false}, {"a b", false}, {"it's", false}, {"claude.claude-opus-4-6", true},
		{"0x", true}, {"-1", false}, {"--1", true}, {"---1", false}, {"---@x", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = BUF_INIT;
		fm_scalar(cases[i].s, strlen(cases[i].s), &b);
		bool bare = !strcmp(buf_str(&b), cases[i].s);
		ck_assert_msg(bare == cases[i].bare, "%s -> %s", cases[i].s, buf_str(&b));
		if (!bare)
			ck_assert_msg(b.p[0] == '\'', "%s not single-quoted", cases[i].s);
		buf_free(&b);
	}
}
END_TEST

START_TEST(fm_slug_and_id)
{
	char *s = fm_slug("Hello, World! \xc3\x9cn\xc3\xaf" "code test \xe2\x80\x94 long title here ok");
	ck_assert_str_eq(s, "hello-world-ncode-test-l");
	free(s);
	s = fm_slug("  ---  ");
	ck_assert_str_eq(s, "note");
	free(s);
	s = fm_slug("a - b\xe2\x80\x83\tc"); /* em space and tab are whitespace */
	ck_assert_str_eq(s, "a-b-c");
	free(s);
	s = fm_slug("\xe2\x84\xaa" "elvin \xc4\xb0stanbul"); /* Kelvin sign → k, İ → i + U+0307 */
	ck_assert_str_eq(s, "kelvin-istanbul");
	free(s);
	s = fm_slug("abcdefghijklmnopqrstuvw-xyz"); /* cut at 24 leaves a trailing '-' */
	ck_assert_str_eq(s, "abcdefghijklmnopqrstuvw");
	free(s);

	s = fm_id("I want to add authentication to my app. Can you help?", "sess-001", 0);
	ck_assert_str_eq(s, "i-want-to-add-authentica-sess001");
	free(s);
	s = fm_id("x", "019C9FF1-ff6d", 0);
	ck_assert_str_eq(s, "x-019c9ff1");
	free(s);
	/* no usable session id: 6 characters from [a-z0-9], fixed by the seed */
	char *a = fm_id("Title", "--", 42), *b = fm_id("Title", NULL, 42), *c = fm_id("Title", NULL, 43);
	ck_assert_uint_eq(strlen(a), strlen("title-") + 6);
	ck_assert(!strncmp(a, "title-", 6));
	ck_assert_uint_eq(strspn(a + 6, "abcdefghijklmnopqrstuvwxyz0123456789"), 6);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(b, c);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(fm_find_block)
{
	const char *t = "---\nid: x\n---\n\nbody\n";
	ck_assert_uint_eq(fm_find(t, strlen(t)), strlen("---\nid: x\n---"));
	ck_assert_uint_eq(fm_find("---\n---\n", 8), 0); /* the search starts at 4 */
	ck_assert_uint_eq(fm_find("---\n\n---", 8), 8);
	ck_assert_uint_eq(fm_find("# no\n---\n", 9), 0);
	ck_assert_uint_eq(fm_find("---\nid: x\n", 10), 0);
}
END_TEST

static const char merge_block[] =
	"---\n"
	"id: hello-there-first-messag-sesse2e\n"
	"title: 'Hello there, first message'\n"
	"desc: ''\n"
	"created: 1795466671571\n"
	"participants:   [claude.claude-opus-4-6]   # spacing and a comment\n"
	"sessionId: sess-e2e\n"
	"recordingIds: [a41312e7-f3ee-4b4e-9850-2ee287c5f8d6]\n"
	"messageEventKinds: [message.user]\n"
	"customPadded: '  padded  '\n"
	"---";

START_TEST(fm_merge_unchanged)
{
	struct buf out = BUF_INIT;
	bool changed = true;
	char *err = NULL;
	static const char *const again[] = {" a41312e7-f3ee-4b4e-9850-2ee287c5f8d6", NULL};
	ck_assert_int_eq(fm_merge(merge_block, strlen(merge_block), live_participants, again, NULL,
				  &out, &changed, &err), 0);
	ck_assert(!changed);
	ck_assert_str_eq(buf_str(&out), merge_block);
	buf_reset(&out);
	ck_assert_int_eq(fm_merge(merge_block, strlen(merge_block), NULL, NULL, NULL, &out, &changed, &err), 0);
	ck_assert(!changed);
	ck_assert_str_eq(buf_str(&out), merge_block);
	buf_free(&out);
}
END_TEST

START_TEST(fm_merge_grows)
{
	struct buf out = BUF_INIT;
	bool changed = false;
	char *err = NULL;
	static const char *const rec[] = {"a41312e7-f3ee-4b4e-9850-2ee287c5f8d6", "rec-2", NULL};
	static const char *const kinds[] = {"message.user", "thinking", NULL};
	ck_assert_int_eq(fm_merge(merge_block, strlen(merge_block), live_participants, rec, kinds,
				  &out, &changed, &err), 0);
	ck_assert(changed);
	ck_assert_str_eq(buf_str(&out),
			 "---\n"
			 "id: hello-there-first-messag-sesse2e\n"
			 "title: 'Hello there, first message'\n"
			 "desc: ''\n"
			 "created: 1795466671571\n"
			 "participants: [claude.claude-opus-4-6]\n"
			 "sessionId: sess-e2e\n"
			 "recordingIds: [a41312e7-f3ee-4b4e-9850-2ee287c5f8d6, rec-2]\n"
			 "messageEventKinds: [message.user]\n"
			 "customPadded: '  padded  '\n"
			 "conversationEventKinds: [message.user, thinking]\n"
			 "---");

	/* a single-string list is extended in place; other value types re-rendered */
	const char *blk = "---\nrecordingIds: one\nn: 0x10\nf: 1.50\nb: yes\nz: ~\nd: 2026-02-22\n"
			  "nested:\n  a: 1\n  b: [x, 2]\nempty: []\n---";
	static const char *const two[] = {"two", NULL};
	buf_reset(&out);
	ck_assert_int_eq(fm_merge(blk, strlen(blk), NULL, two, NULL, &out, &changed, &err), 0);
	ck_assert(changed);
	ck_assert_str_eq(buf_str(&out), "---\nrecordingIds: [one, two]\nn: 16\nf: 1.5\nb: yes\nz: null\n"
					"d: 2026-02-22T00:00:00.000Z\nnested:\n  a: 1\n  b:\n    - x\n    - 2\n"
					"empty: []\n---");
	buf_free(&out);
}
END_TEST

START_TEST(fm_merge_errors)
{
	struct buf out = BUF_INIT;
	bool changed = true;
	char *err = NULL;
	const char *list = "---\n- a\n- b\n---";
	ck_assert_int_eq(fm_merge(list, strlen(list), live_participants, NULL, NULL, &out, &changed, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert(!changed);
	ck_assert_str_eq(buf_str(&out), list);
	free(err);
	err = NULL;
	const char *bad = "---\nkey: [unclosed\n---";
	buf_reset(&out);
	ck_assert_int_eq(fm_merge(bad, strlen(bad), live_participants, NULL, NULL, &out, &changed, &err), -1);
	ck_assert_str_eq(buf_str(&out), bad);
	free(err);
	err = NULL;
	const char *dup = "---\na: 1\na: 2\n---";
	buf_reset(&out);
	ck_assert_int_eq(fm_merge(dup, strlen(dup), live_participants, NULL, NULL, &out, &changed, &err), -1);
	free(err);
	buf_free(&out);
}
END_TEST

/* ---- body rules (ref §4.3, SPEC §5 and differences 6-7) ---- */

#define MSG(id, role, ts, content, extra)                                                            \
	"{\"eventId\":\"" id "\",\"provider\":\"claude\",\"sessionId\":\"s\",\"timestamp\":\"" ts \
	"\",\"kind\":\"message." role "\",\"source\":{\"providerEventType\":\"x\"},\"role\":\"" role \
	"\",\"content\":\"" content "\"" extra "}"

START_TEST(continuation_no_repeated_heading)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events a = {0}, b = {0};
	add_event(&a, MSG("u1", "user", "2026-02-10T23:36:18Z", "::capture x", ""));
	add_event(&b, MSG("u2", "user", "2026-02-10T23:36:19Z", "more from the user", ""));
	add_event(&b, MSG("a1", "assistant", "2026-02-10T23:36:20Z", "reply", ",\"model\":\"claude-opus-4-6\""));
	char role[16] = "";
	char *first = render(&o, &a, role);
	ck_assert_str_eq(first, "# User_2026-02-10_2336_18\n\n::capture x\n");
	ck_assert_str_eq(role, "user");
	char *second = render(&o, &b, role);
	ck_assert_str_eq(second, "more from the user\n\n# claude-opus-4.6_2026-02-10_2336_20\n\nreply\n");
	ck_assert_str_eq(role, "assistant");
	/* a chunk that renders nothing leaves the role alone and writes nothing */
	struct events c = {0};
	add_event(&c, "{\"eventId\":\"t\",\"kind\":\"thinking\",\"timestamp\":\"\",\"content\":\"hm\"}");
	char *third = render(&o, &c, role);
	ck_assert_str_eq(third, "");
	ck_assert_str_eq(role, "assistant");
	/* the same role after a fresh start ("") gets its heading */
	char fresh[16] = "";
	char *again = render(&o, &b, fresh);
	ck_assert(!strncmp(again, "# User_2026-02-10_2336_19\n\nmore", 31));
	free(first);
	free(second);
	free(third);
	free(again);
	free_events(&a);
	free_events(&b);
	free_events(&c);
}
END_TEST

#define CALL(id, input) \
	"{\"eventId\":\"c-" id "\",\"kind\":\"tool.call\",\"timestamp\":\"\",\"toolCallId\":\"" id \
	"\",\"name\":\"Bash\",\"input\":" input "}"
#define RESULT(id, text) \
	"{\"eventId\":\"r-" id "\",\"kind\":\"tool.result\",\"timestamp\":\"\",\"toolCallId\":\"" id \
	"\",\"result\":\"" text "\"}"

START_TEST(fence_lengthening)
{
	struct md_options o;
	md_options_default(&o);
	o.include_tool_calls = true;
	struct events e = {0};
	add_event(&e, CALL("t1", "{\"command\":\"cat README.md\"}"));
	add_event(&e, RESULT("t1", "intro\\n```sh\\nmake\\n```\\nend"));
	add_event(&e, CALL("t2", "{\"q\":\"a ````` b\"}"));
	add_event(&e, CALL("t3", "{}"));
	add_event(&e, RESULT("t3", "x``y"));
	add_event(&e, CALL("t4", "{}"));
	add_event(&e, RESULT("t4", ""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got,
			 "<details>\n<summary>Tool: Bash</summary>\n\n"
			 "```json\n{\n  \"command\": \"cat README.md\"\n}\n```\n\n"
			 "````\nintro\n```sh\nmake\n```\nend\n````\n\n</details>\n\n"
			 "<details>\n<summary>Tool: Bash</summary>\n\n"
			 "``````json\n{\n  \"q\": \"a ````` b\"\n}\n``````\n\n</details>\n\n"
			 "<details>\n<summary>Tool: Bash</summary>\n\n"
			 "```\nx``y\n```\n\n</details>\n\n"
			 "<details>\n<summary>Tool: Bash</summary>\n\n"
			 "```\n(no output)\n```\n\n</details>\n");
	free(got);
	free_events(&e);
}
END_TEST

START_TEST(tool_pairing_fifo)
{
	struct md_options o;
	md_options_default(&o);
	o.include_tool_calls = true;
	struct events e = {0};
	/* results listed before their calls still pair, first result to first call */
	add_event(&e, RESULT("same", "first"));
	add_event(&e, RESULT("same", "second"));
	add_event(&e, CALL("same", "{}"));
	add_event(&e, CALL("same", "{}"));
	add_event(&e, CALL("same", "{}"));
	char *got = render(&o, &e, NULL);
	const char *blk = "<details>\n<summary>Tool: Bash</summary>\n\n```\n";
	struct buf want = BUF_INIT;
	buf_printf(&want, "%sfirst\n```\n\n</details>\n\n%ssecond\n```\n\n</details>\n\n"
			  "<details>\n<summary>Tool: Bash</summary>\n\n</details>\n", blk, blk);
	ck_assert_str_eq(got, buf_str(&want));
	buf_free(&want);
	free(got);
	free_events(&e);
}
END_TEST

START_TEST(truncation_boundary)
{
	struct md_options o;
	md_options_default(&o);
	o.include_tool_calls = true;
	static const struct {
		size_t xs;
		const char *tail;   /* appended to xs 'x's in the result */
		const char *expect; /* what follows the kept x's */
		size_t kept;
	} cases[] = {
		{4000, "", "\n", 4000},
		{4001, "", "...\n", 4000},
		{3998, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80\n", 3998}, /* 4000 units: whole */
		{3999, "\xf0\x9f\x98\x80", "\xef\xbf\xbd...\n", 3999}, /* pair split at 4000 */
		{3999, "\xc3\xa9z", "\xc3\xa9...\n", 3999},           /* é is one unit */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct buf text = BUF_INIT, want = BUF_INIT;
		for (size_t i = 0; i < cases[c].xs; i++)
			buf_addc(&text, 'x');
		buf_adds(&text, cases[c].tail);
		struct json_object *call = json_object_new_object(), *res = json_object_new_object();
		json_object_object_add(call, "kind", json_object_new_string("tool.call"));
		json_object_object_add(call, "toolCallId", json_object_new_string("t"));
		json_object_object_add(call, "name", json_object_new_string("Read"));
		json_object_object_add(res, "kind", json_object_new_string("tool.result"));
		json_object_object_add(res, "toolCallId", json_object_new_string("t"));
		json_object_object_add(res, "result", json_object_new_string_len(text.p, (int)text.len));
		struct json_object *ev[2] = {call, res};
		struct buf out = BUF_INIT;
		char role[16] = "";
		md_render(&o, ev, 2, role, &out);
		buf_adds(&want, "<details>\n<summary>Tool: Read</summary>\n\n```\n");
		for (size_t i = 0; i < cases[c].kept; i++)
			buf_addc(&want, 'x');
		buf_adds(&want, cases[c].expect);
		buf_adds(&want, "```\n\n</details>\n");
		ck_assert_msg(!strcmp(buf_str(&out), buf_str(&want)), "case %zu", c);
		buf_free(&out);
		buf_free(&want);
		buf_free(&text);
		json_object_put(call);
		json_object_put(res);
	}
}
END_TEST

START_TEST(invalid_utf8_replaced)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct json_object *ev = json_object_new_object();
	json_object_object_add(ev, "eventId", json_object_new_string("u"));
	json_object_object_add(ev, "kind", json_object_new_string("message.user"));
	json_object_object_add(ev, "timestamp", json_object_new_string("2026-02-10T23:36:18Z"));
	json_object_object_add(ev, "content", json_object_new_string_len("a\xff" "b\xed\xa0\x80" "c", 7));
	struct buf out = BUF_INIT;
	char role[16] = "";
	md_render(&o, &ev, 1, role, &out);
	ck_assert_str_eq(buf_str(&out), "# User_2026-02-10_2336_18\n\n"
					"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c\n");
	json_object_put(ev);

	/* a lone surrogate escape in the JSON text never comes out raw */
	struct events e = {0};
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "x\\ud800y", ""));
	buf_reset(&out);
	role[0] = 0;
	md_render(&o, e.v, e.n, role, &out);
	ck_assert(utf8_valid(out.p, out.len));
	ck_assert_ptr_null(strstr(buf_str(&out), "\xed\xa0\x80"));
	buf_free(&out);
	free_events(&e);
}
END_TEST

START_TEST(heading_times)
{
	utc();
	struct buf b = BUF_INIT;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"2026-02-10T23:36:18.000Z", "2026-02-10_2336_18"},
		{"2026-02-10T23:36:18.999999Z", "2026-02-10_2336_18"},
		{"2026-02-10T23:36:18+02:00", "2026-02-10_2136_18"},
		{"2026-02-10T23:36:18+0200", "2026-02-10_2136_18"},
		{"2026-02-10", "2026-02-10_0000_00"},
		{"2026-02-30T00:00:00Z", "2026-03-02_0000_00"},
		{"2026-02-10T24:00:00Z", "2026-02-11_0000_00"},
		{"2026-02-10T23:36:18", "2026-02-10_2336_18"}, /* local = UTC here */
		{"", "unknown-time"},
		{"garbage", "unknown-time"},
		{"2026-02-10T24:00:01Z", "unknown-time"},
		{"2026-00-10", "unknown-time"},
		{"2026-02-10T23:36:18.Z", "unknown-time"},
		{"1700000000000", "unknown-time"},
		{NULL, "unknown-time"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		md_heading_time(cases[i].in, &b);
		ck_assert_msg(!strcmp(buf_str(&b), cases[i].out), "%s -> %s", cases[i].in ? cases[i].in : "NULL",
			      buf_str(&b));
	}
	/* local time: a POSIX TZ without tzdata, UTC+05:30 */
	setenv("TZ", "XST-05:30", 1);
	tzset();
	buf_reset(&b);
	md_heading_time("2026-02-10T23:36:18.000Z", &b);
	ck_assert_str_eq(buf_str(&b), "2026-02-11_0506_18");
	buf_reset(&b);
	md_heading_time("2026-02-10T23:36:18", &b); /* no offset: already local */
	ck_assert_str_eq(buf_str(&b), "2026-02-10_2336_18");
	utc();

	struct md_options o;
	md_options_default(&o);
	struct events e = {0};
	add_event(&e, MSG("a", "assistant", "not a time", "hi", ",\"model\":\"gpt-5.3-codex\""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# gpt-5.3-codex_unknown-time\n\nhi\n");
	free(got);
	free_events(&e);
	buf_free(&b);
}
END_TEST

START_TEST(speakers)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"claude-opus-4-6", "claude-opus-4.6"}, {"gpt-5.3-codex", "gpt-5.3-codex"},
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022"}, {"a-1-2-3", "a-1-2.3"},
		{"x-12-34", "x-12.34"}, {"-1-2", "-1.2"}, {"1-2", "1-2"}, {"a--2", "a--2"},
		{"", "Assistant"}, {NULL, "Assistant"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = BUF_INIT;
		md_speaker(cases[i].in, &b);
		ck_assert_str_eq(buf_str(&b), cases[i].out);
		buf_free(&b);
	}
}
END_TEST

START_TEST(json_pretty)
{
	const char *in = "{\"a\":{},\"b\":[],\"c\":[1,{\"d\":\"x\\u0001\\\"/\xc3\xa9\"}],\"n\":[1.0,1e21,1e-7,0.000001,"
			 "1.5e300,123e-20,-0.0,true,null]}";
	struct json_object *v = pj_parse(in, strlen(in));
	ck_assert_ptr_nonnull(v);
	struct buf b = BUF_INIT;
	md_json_pretty(v, &b);
	ck_assert_str_eq(buf_str(&b), "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    1,\n    {\n"
				      "      \"d\": \"x\\u0001\\\"/\xc3\xa9\"\n    }\n  ],\n  \"n\": [\n"
				      "    1,\n    1e+21,\n    1e-7,\n    0.000001,\n    1.5e+300,\n"
				      "    1.23e-18,\n    0,\n    true,\n    null\n  ]\n}");
	json_object_put(v);
	buf_free(&b);
}
END_TEST

START_TEST(assistant_dedupe)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events e = {0};
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "q", ""));
	/* commentary followed by a final with the same turn and text: only the final */
	add_event(&e, MSG("c1", "assistant", "2026-02-10T23:36:19Z", " same ", ",\"phase\":\"commentary\",\"turnId\":\"t\""));
	add_event(&e, MSG("f1", "assistant", "2026-02-10T23:36:20Z", "same", ",\"phase\":\"final\",\"turnId\":\"t\""));
	/* the same text again right after, same turn: skipped */
	add_event(&e, MSG("f2", "assistant", "2026-02-10T23:36:21Z", "same\\n", ",\"phase\":\"final\",\"turnId\":\"t\""));
	/* different turn: kept, same heading */
	add_event(&e, MSG("f3", "assistant", "2026-02-10T23:36:22Z", "same", ",\"phase\":\"final\",\"turnId\":\"t2\""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# User_2026-02-10_2336_18\n\nq\n\n# Assistant_2026-02-10_2336_20\n\nsame\n\nsame\n");
	free(got);

	/* commentary off: commentary never shows */
	o.include_commentary = false;
	struct events c = {0};
	add_event(&c, MSG("c1", "assistant", "2026-02-10T23:36:19Z", "thinking aloud", ",\"phase\":\"commentary\""));
	got = render(&o, &c, NULL);
	ck_assert_str_eq(got, "");
	free(got);
	free_events(&e);
	free_events(&c);
}
END_TEST

START_TEST(signature_and_roles)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	o.include_thinking = true;
	o.italicize_user = true;
	struct events e = {0};
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "  a *b*  \\n\\n   c", ""));
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "  a *b*  \\n\\n   c", "")); /* same signature */
	add_event(&e, "{\"eventId\":\"t\",\"kind\":\"thinking\",\"timestamp\":\"\",\"content\":\"  deep\\n\\n\\n\\nthought \"}");
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "  a *b*  \\n\\n   c", "")); /* after a reset: again */
	add_event(&e, MSG("blank", "user", "2026-02-10T23:36:18Z", " \\n\\t ", ""));
	add_event(&e, MSG("s", "system", "2026-02-10T23:36:18Z", "sys", ""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# User_2026-02-10_2336_18\n\n*a \\*b\\**\n\n*c*\n\ndeep\n\nthought\n\n*a \\*b\\**\n\n*c*\n");
	free(got);

	o.include_system_events = true;
	struct events s = {0};
	add_event(&s, MSG("s", "system", "2026-02-10T23:36:18Z", "sys", ""));
	add_event(&s, "{\"eventId\":\"i\",\"kind\":\"provider.info\",\"timestamp\":\"\",\"content\":\"hello\",\"subtype\":\"system\"}");
	add_event(&s, "{\"eventId\":\"i2\",\"kind\":\"provider.info\",\"timestamp\":\"\",\"content\":\"plain\"}");
	add_event(&s, "{\"eventId\":\"k\",\"kind\":\"compaction\",\"timestamp\":\"\",\"trigger\":\"auto\"}");
	add_event(&s, "{\"eventId\":\"k2\",\"kind\":\"compaction\",\"timestamp\":\"\",\"content\":\"one\\n\\ntwo\"}");
	add_event(&s, "{\"eventId\":\"d\",\"kind\":\"decision\",\"timestamp\":\"\",\"decisionId\":\"d\",\"decisionKey\":\"k\","
		      "\"summary\":\"Pick?\",\"status\":\"proposed\",\"decidedBy\":\"assistant\",\"basisEventIds\":[],"
		      "\"metadata\":{\"options\":[{\"label\":\"A\"}]}}");
	add_event(&s, "{\"eventId\":\"d2\",\"kind\":\"decision\",\"timestamp\":\"\",\"decisionId\":\"d2\",\"decisionKey\":\"k\","
		      "\"summary\":\"Pick?\",\"status\":\"proposed\",\"decidedBy\":\"assistant\",\"basisEventIds\":[],"
		      "\"metadata\":{\"providerQuestionId\":\"k\",\"options\":[{\"label\":\" A \"},{\"label\":\"\"},"
		      "{\"label\":\"B\",\"description\":\" \"},null,[1],{\"label\":7,\"description\":\"seven\"}]}}");
	got = render(&o, &s, NULL);
	ck_assert_str_eq(got, "# System_2026-02-10_2336_18\n\nsys\n\n"
			      "> [provider.info:system] hello\n\n> [provider.info] plain\n\n"
			      "> [compaction:auto] context compacted\n\n> [compaction] one\n>\n> two\n\n"
			      "**Decision [k]:** Pick?\n*Status: proposed \xe2\x80\x94 decided by: assistant*\n\n"
			      "**Decision [k]:** Pick?\n- A\n- B\n- 7: seven\n");
	free(got);
	free_events(&e);
	free_events(&s);
}
END_TEST

/* Issue 9 item 1: injected user-role text is never under "# User_". */
START_TEST(injected_not_user)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events e = {0};
	add_event(&e, MSG("i", "user", "2026-02-10T23:36:17Z", "<environment_context>cwd</environment_context>",
			  ",\"isInjected\":true"));
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "typed", ""));
	add_event(&e, MSG("a", "assistant", "2026-02-10T23:36:19Z", "answer", ""));
	add_event(&e, MSG("j", "user", "2026-02-10T23:36:20Z", "# AGENTS.md\nbody", ",\"isInjected\":true"));
	add_event(&e, MSG("a2", "assistant", "2026-02-10T23:36:21Z", "more", ""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# User_2026-02-10_2336_18\n\ntyped\n\n# Assistant_2026-02-10_2336_19\n\nanswer\n\nmore\n");
	free(got);
	o.include_system_events = true;
	got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "> [injected] <environment_context>cwd</environment_context>\n\n"
			      "# User_2026-02-10_2336_18\n\ntyped\n\n# Assistant_2026-02-10_2336_19\n\nanswer\n\n"
			      "> [injected] # AGENTS.md\n> body\n\nmore\n");
	free(got);
	free_events(&e);
}
END_TEST

/* Issue 9 item 4: a marker where the context was compacted, the summary
 * left out by default, and a new heading after it. */
START_TEST(compaction_marker)
{
	utc();
	struct md_options o;
	md_options_default(&o);
	struct events e = {0};
	add_event(&e, MSG("a", "assistant", "2026-02-10T23:36:19Z", "before", ""));
	add_event(&e, "{\"eventId\":\"k\",\"kind\":\"compaction\",\"timestamp\":\"\",\"trigger\":\"auto\"}");
	add_event(&e, "{\"eventId\":\"k2\",\"kind\":\"compaction\",\"timestamp\":\"\",\"content\":\"sum\",\"isInjected\":true}");
	add_event(&e, MSG("a2", "assistant", "2026-02-10T23:36:21Z", "after", ""));
	char *got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# Assistant_2026-02-10_2336_19\n\nbefore\n\n"
			      "> [compaction:auto] context compacted (summary not shown; captureIncludeSystemEvents shows it)\n\n"
			      "# Assistant_2026-02-10_2336_21\n\nafter\n");
	free(got);
	o.include_system_events = true;
	got = render(&o, &e, NULL);
	ck_assert_str_eq(got, "# Assistant_2026-02-10_2336_19\n\nbefore\n\n"
			      "> [compaction:auto] context compacted\n\n> [compaction] sum\n\n"
			      "# Assistant_2026-02-10_2336_21\n\nafter\n");
	free(got);
	free_events(&e);
}
END_TEST

START_TEST(js_numbers)
{
	static const struct {
		double d;
		const char *s;
	} cases[] = {
		{1, "1"}, {-0.0, "0"}, {0.1 + 0.2, "0.30000000000000004"}, {1e21, "1e+21"},
		{123456789012345680000.0, "123456789012345680000"}, {5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"}, {-2.5, "-2.5"}, {1e-6, "0.000001"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = BUF_INIT;
		md_js_number(cases[i].d, &b);
		ck_assert_str_eq(buf_str(&b), cases[i].s);
		buf_free(&b);
	}
}
END_TEST

START_TEST(snippets)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(md_snippet(" \r\n ", 4, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	const char *t = "In-chat command redesign\n\nWe're going to dive into "
			"[task.2026.2026-02-27-inchat-command-redesign.md](x)";
	ck_assert_int_eq(md_snippet(t, strlen(t), &b), 0);
	/* ref §3.6 example */
	ck_assert_str_eq(buf_str(&b), "In-chat command redesign  We're going to dive into [task.20\xe2\x80\xa6");
	buf_reset(&b);
	t = "  short\r\none\rtwo  ";
	ck_assert_int_eq(md_snippet(t, strlen(t), &b), 0);
	ck_assert_str_eq(buf_str(&b), "short one two");
	buf_free(&b);
}
END_TEST

/* SPEC §5: a stored NUL renders as U+FFFD, nothing after it is lost. */
START_TEST(nul_rendered_as_replacement)
{
	utc();
	struct md_options o = {true, true, true, true, true};
	struct events e = {0};
	add_event(&e, MSG("u", "user", "2026-02-10T23:36:18Z", "A\\u0000B", ""));
	add_event(&e, "{\"eventId\":\"t\",\"kind\":\"thinking\",\"timestamp\":\"2026-02-10T23:36:19Z\",\"content\":\"T\\u0000U\"}");
	add_event(&e, MSG("a", "assistant", "2026-02-10T23:36:19Z", "X\\u0000Y", ",\"model\":\"m\""));
	add_event(&e, CALL("c", "{\"command\":\"l\\u0000s\"}"));
	add_event(&e, RESULT("c", "R\\u0000S"));
	char *got = render(&o, &e, NULL);
	ck_assert(utf8_valid(got, strlen(got)));
	ck_assert_ptr_nonnull(strstr(got, "A\xef\xbf\xbd" "B"));
	ck_assert_ptr_nonnull(strstr(got, "T\xef\xbf\xbdU"));
	ck_assert_ptr_nonnull(strstr(got, "X\xef\xbf\xbdY"));
	ck_assert_ptr_nonnull(strstr(got, "R\xef\xbf\xbdS"));
	free(got);
	free_events(&e);
}
END_TEST

START_TEST(bad_input_never_crashes)
{
	struct md_options o = {true, true, true, true, true};
	struct events e = {0};
	add_event(&e, "{}");
	add_event(&e, "{\"kind\":7}");
	add_event(&e, "{\"kind\":\"message.user\",\"content\":5}");
	add_event(&e, "{\"kind\":\"message.bogus\",\"content\":\"x\"}");
	add_event(&e, "{\"kind\":\"tool.call\"}");
	add_event(&e, "{\"kind\":\"tool.result\",\"toolCallId\":[]}");
	add_event(&e, "{\"kind\":\"decision\",\"metadata\":[1]}");
	add_event(&e, "{\"kind\":\"decision\",\"metadata\":{\"providerQuestionId\":1,\"options\":\"no\"},\"status\":\"proposed\"}");
	add_event(&e, "{\"kind\":\"provider.info\"}");
	add_event(&e, "{\"kind\":\"message.assistant\",\"content\":\"x\",\"model\":{}}");
	add_event(&e, "[1,2]");
	char *got = render(&o, &e, NULL);
	ck_assert(utf8_valid(got, strlen(got)));
	ck_assert_ptr_nonnull(strstr(got, "<summary>Tool: undefined</summary>"));
	ck_assert_ptr_nonnull(strstr(got, "**Decision [undefined]:** undefined"));
	free(got);
	free_events(&e);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("markdown");
	TCase *t = tcase_create("golden");
	tcase_add_test(t, golden_claude_defaults);
	tcase_add_test(t, golden_claude_all);
	tcase_add_test(t, golden_codex_questionnaire);
	tcase_add_test(t, document_with_frontmatter);
	suite_add_tcase(s, t);
	t = tcase_create("frontmatter");
	tcase_add_test(t, fm_live_example);
	tcase_add_test(t, fm_quoting);
	tcase_add_test(t, fm_hostile_values_round_trip);
	tcase_add_test(t, fm_slug_and_id);
	tcase_add_test(t, fm_find_block);
	tcase_add_test(t, fm_merge_unchanged);
	tcase_add_test(t, fm_merge_grows);
	tcase_add_test(t, fm_merge_errors);
	suite_add_tcase(s, t);
	t = tcase_create("body");
	tcase_add_test(t, continuation_no_repeated_heading);
	tcase_add_test(t, fence_lengthening);
	tcase_add_test(t, tool_pairing_fifo);
	tcase_add_test(t, truncation_boundary);
	tcase_add_test(t, invalid_utf8_replaced);
	tcase_add_test(t, heading_times);
	tcase_add_test(t, speakers);
	tcase_add_test(t, json_pretty);
	tcase_add_test(t, assistant_dedupe);
	tcase_add_test(t, signature_and_roles);
	tcase_add_test(t, injected_not_user);
	tcase_add_test(t, compaction_marker);
	tcase_add_test(t, js_numbers);
	tcase_add_test(t, snippets);
	tcase_add_test(t, bad_input_never_crashes);
	tcase_add_test(t, nul_rendered_as_replacement);
	suite_add_tcase(s, t);
	return s;
}

TU_MAIN(make_suite)
