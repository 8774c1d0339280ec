/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "testutil.h"

#include "command.h"

/* 2026-11-23T20:45:58.999Z: the ref §3.3 example time (ms are cut, not rounded). */
#define NOW_MS INT64_C(1795466758999)
#define GEN "claude-e8cef289-20261123T204558Z.md"

static struct cmd_result detect(const char *s)
{
	struct cmd_result r;
	ck_assert_int_eq(cmd_detect(s, strlen(s), &r), 0);
	return r;
}

static void assert_cmd(const struct cmd_result *r, size_t i, const char *name, const char *arg, int line)
{
	ck_assert_uint_gt(r->n, i);
	ck_assert_str_eq(r->cmds[i].name, name);
	if (arg)
		ck_assert_str_eq(r->cmds[i].arg, arg);
	else
		ck_assert_ptr_null(r->cmds[i].arg);
	ck_assert_int_eq(r->cmds[i].line, line);
}

static void assert_err(const struct cmd_result *r, size_t i, const char *reason, int line)
{
	ck_assert_uint_gt(r->nerrs, i);
	ck_assert_str_eq(r->errs[i].reason, reason);
	ck_assert_int_eq(r->errs[i].line, line);
}

/* The message yields exactly nothing: no command, no error. */
static void assert_nothing(const char *s)
{
	struct cmd_result r = detect(s);
	ck_assert_msg(r.n == 0 && r.nerrs == 0, "expected nothing from \"%s\", got %zu commands, %zu errors", s,
		      r.n, r.nerrs);
	cmd_result_free(&r);
}

/* The message yields exactly one command. */
static void assert_one(const char *s, const char *name, const char *arg, int line)
{
	struct cmd_result r = detect(s);
	ck_assert_msg(r.n == 1 && r.nerrs == 0, "\"%s\": %zu commands, %zu errors", s, r.n, r.nerrs);
	assert_cmd(&r, 0, name, arg, line);
	cmd_result_free(&r);
}

/* The message yields exactly one error. */
static void assert_one_err(const char *s, const char *reason, int line)
{
	struct cmd_result r = detect(s);
	ck_assert_msg(r.n == 0 && r.nerrs == 1, "\"%s\": %zu commands, %zu errors", s, r.n, r.nerrs);
	assert_err(&r, 0, reason, line);
	cmd_result_free(&r);
}

/* ---- grammar ---- */

START_TEST(each_command_alone)
{
	assert_one("::init", "init", NULL, 1);
	assert_one("::init /tmp/a.md", "init", "/tmp/a.md", 1);
	assert_one("::capture", "capture", NULL, 1);
	assert_one("::capture /tmp/c.md", "capture", "/tmp/c.md", 1);
	assert_one("::record", "record", NULL, 1);
	assert_one("::stop", "stop", NULL, 1);
	assert_one("::export /tmp/e.md", "export", "/tmp/e.md", 1);
}
END_TEST

START_TEST(reference_detection_example)
{
	/* command-detection_test.ts: four commands in order, intro ignored,
	 * an indented ::capture counts */
	struct cmd_result r = detect("Please do these:\n::init /tmp/session.md\n::record\n   ::capture /tmp/capture.md\n"
				     "::stop");
	ck_assert_uint_eq(r.n, 4);
	ck_assert_uint_eq(r.nerrs, 0);
	assert_cmd(&r, 0, "init", "/tmp/session.md", 2);
	assert_cmd(&r, 1, "record", NULL, 3);
	assert_cmd(&r, 2, "capture", "/tmp/capture.md", 4);
	assert_cmd(&r, 3, "stop", NULL, 5);
	ck_assert_str_eq(r.cmds[2].raw, "   ::capture /tmp/capture.md");
	cmd_result_free(&r);
}
END_TEST

START_TEST(text_before_the_command_does_not_count)
{
	assert_nothing("text ::record");
	assert_nothing("> ::record");
	assert_nothing("- ::record");
	assert_nothing("see `::record /tmp/x` inline");
	assert_nothing("x::stop");
}
END_TEST

START_TEST(non_names_are_ignored)
{
	assert_nothing("::");
	assert_nothing("::123");
	assert_nothing("::-record");
	assert_nothing(":: record");
	assert_nothing(":record");
	assert_nothing("::record!"); /* no whitespace after the name: no match */
	assert_nothing("::é");
	assert_nothing("");
}
END_TEST

START_TEST(names_are_case_insensitive_and_lowercased)
{
	assert_one("::RECORD", "record", NULL, 1);
	assert_one("::Stop", "stop", NULL, 1);
	assert_one("::eXpOrT /tmp/X.md", "export", "/tmp/X.md", 1);
	assert_one_err("::START", "Unknown control command '::start'", 1);
	/* non-ASCII letters never match [a-z] under /i without /u */
	assert_nothing("::\xe2\x84\xaa"); /* KELVIN SIGN */
	assert_nothing("::\xc5\xbftop"); /* LONG S */
}
END_TEST

START_TEST(leading_whitespace_is_js_whitespace)
{
	assert_one("\t  ::record", "record", NULL, 1);
	assert_one("\xc2\xa0::record", "record", NULL, 1);     /* NBSP */
	assert_one("\xef\xbb\xbf::record", "record", NULL, 1); /* BOM */
	assert_one("\xe3\x80\x80::record", "record", NULL, 1); /* ideographic space */
	assert_one("\v\f::record", "record", NULL, 1);
	assert_nothing("\xc2\x85::record");     /* NEL is not \s in JS */
	assert_nothing("\xe2\x80\x8b::record"); /* zero width space is not \s */
}
END_TEST

START_TEST(argument_is_trimmed)
{
	assert_one("::init    /tmp/a b.md   ", "init", "/tmp/a b.md", 1);
	assert_one("::init\t/tmp/a.md\t", "init", "/tmp/a.md", 1);
	assert_one("::export \xc2\xa0/tmp/a.md\xc2\xa0", "export", "/tmp/a.md", 1);
	/* whitespace only after the name: no argument */
	assert_one("::init    ", "init", NULL, 1);
	assert_one("::record \t ", "record", NULL, 1);
	assert_one_err("::export   ", "Command '::export' requires a path argument", 1);
}
END_TEST

START_TEST(line_separators_u2028_u2029)
{
	/* '.' stops at U+2028/U+2029, which \s accepts: */
	assert_one("::init /a\xe2\x80\xa8", "init", "/a", 1);     /* trailing: still matches */
	assert_one("::init\xe2\x80\xa8/a", "init", "/a", 1);      /* as the separator */
	assert_nothing("::init /a\xe2\x80\xa8" "b");              /* text after it: no match at all */
	assert_nothing("::export /a\xe2\x80\xa9 x");
	assert_one("::record\xe2\x80\xa9", "record", NULL, 1);
	assert_one("\xe2\x80\xa8::stop", "stop", NULL, 1);
}
END_TEST

/* ---- fences ---- */

START_TEST(backtick_fence_suppresses)
{
	struct cmd_result r = detect("Example:\n```md\n::record\n::capture /tmp/in-fence.md\n```\n"
				     "`::record /tmp/x` inline\n::capture /tmp/real.md");
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.nerrs, 0);
	assert_cmd(&r, 0, "capture", "/tmp/real.md", 7);
	cmd_result_free(&r);
}
END_TEST

START_TEST(tilde_fence_suppresses)
{
	struct cmd_result r = detect("~~~\n::stop\n~~~\n::record");
	ck_assert_uint_eq(r.n, 1);
	assert_cmd(&r, 0, "record", NULL, 4);
	cmd_result_free(&r);
}
END_TEST

START_TEST(fence_lines_themselves_are_ignored)
{
	/* an opening line is a fence line even with text after the marker */
	assert_nothing("```::record");
	assert_nothing("  ~~~ ::record");
	/* two backticks do not open a fence */
	assert_one("``\n::record", "record", NULL, 2);
}
END_TEST

START_TEST(longer_closing_fence_closes)
{
	assert_one("```\n::stop\n`````\n::record", "record", NULL, 4);
	assert_one("  ```\n::stop\n   ```   \n::record", "record", NULL, 4);
}
END_TEST

START_TEST(shorter_closing_fence_does_not_close)
{
	assert_nothing("````\n::stop\n```\n::record");
}
END_TEST

START_TEST(other_marker_does_not_close)
{
	assert_nothing("```\n~~~\n::record");
	assert_nothing("~~~\n```\n::record");
}
END_TEST

START_TEST(closing_line_with_text_does_not_close)
{
	assert_nothing("```\n``` md\n::record");
	assert_one("```\n``` \t\n::record", "record", NULL, 3);
}
END_TEST

START_TEST(unclosed_fence_suppresses_rest)
{
	struct cmd_result r = detect("::init /a.md\n```python\n::record\n::foo\n::stop");
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.nerrs, 0);
	assert_cmd(&r, 0, "init", "/a.md", 1);
	cmd_result_free(&r);
}
END_TEST

START_TEST(mixed_marker_run_uses_first_char_and_whole_length)
{
	/* "`~~" opens with marker ` and length 3: "~~~" does not close, "```" does */
	assert_nothing("`~~\n~~~\n::record");
	assert_one("`~~\n```\n::record", "record", NULL, 3);
}
END_TEST

/* ---- validation table ---- */

START_TEST(record_with_argument_is_error)
{
	assert_one_err("::record /tmp/x", "Command '::record' does not accept arguments", 1);
	assert_one_err("::record x", "Command '::record' does not accept arguments", 1);
}
END_TEST

START_TEST(stop_with_argument_is_error)
{
	assert_one_err("::stop x", "Command '::stop' does not accept arguments", 1);
	assert_one_err("::stop id:abc12345", "Command '::stop' does not accept arguments", 1);
	assert_one_err("::stop dest:/tmp/a.md", "Command '::stop' does not accept arguments", 1);
}
END_TEST

START_TEST(export_without_argument_is_error)
{
	assert_one_err("::export", "Command '::export' requires a path argument", 1);
	struct cmd_result r = detect("::export");
	ck_assert_str_eq(r.errs[0].raw, "::export");
	cmd_result_free(&r);
}
END_TEST

START_TEST(unknown_command_is_error)
{
	assert_one_err("::start", "Unknown control command '::start'", 1);
	assert_one_err("::foo-bar baz", "Unknown control command '::foo-bar'", 1);
	assert_one_err("::Foo-Bar", "Unknown control command '::foo-bar'", 1);
	assert_one_err("::a1", "Unknown control command '::a1'", 1);
}
END_TEST

START_TEST(reference_error_example)
{
	/* command-detection_test.ts: 4 errors, 0 commands */
	struct cmd_result r = detect("::start\n::export\n::record /tmp/x\n::stop id:abc12345");
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(r.nerrs, 4);
	assert_err(&r, 0, "Unknown control command '::start'", 1);
	assert_err(&r, 1, "Command '::export' requires a path argument", 2);
	assert_err(&r, 2, "Command '::record' does not accept arguments", 3);
	assert_err(&r, 3, "Command '::stop' does not accept arguments", 4);
	cmd_result_free(&r);
}
END_TEST

START_TEST(error_fails_message_closed_but_lists_both)
{
	/* Like the reference, both lists are returned; nerrs > 0 tells the
	 * caller to run none of the commands. */
	struct cmd_result r = detect("::init /tmp/a.md\n::stop deadbeef\n::record");
	ck_assert_uint_eq(r.nerrs, 1);
	assert_err(&r, 0, "Command '::stop' does not accept arguments", 2);
	ck_assert_str_eq(r.errs[0].raw, "::stop deadbeef");
	ck_assert_uint_eq(r.n, 2);
	assert_cmd(&r, 0, "init", "/tmp/a.md", 1);
	assert_cmd(&r, 1, "record", NULL, 3);
	cmd_result_free(&r);
}
END_TEST

START_TEST(nul_in_argument_is_error)
{
	static const char s[] = "::export /tmp/a\0b.md\n::record";
	struct cmd_result r;
	cmd_detect(s, sizeof s - 1, &r);
	ck_assert_uint_eq(r.nerrs, 1);
	assert_err(&r, 0, "Command '::export' argument contains a NUL byte", 1);
	ck_assert_uint_eq(r.n, 1);
	assert_cmd(&r, 0, "record", NULL, 2);
	cmd_result_free(&r);
}
END_TEST

START_TEST(too_many_commands_fail_closed)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < CMD_MAX_PER_MESSAGE + 5; i++)
		buf_adds(&b, "::record\n");
	struct cmd_result r;
	cmd_detect(b.p, b.len, &r);
	ck_assert_uint_eq(r.n, CMD_MAX_PER_MESSAGE);
	ck_assert_uint_eq(r.nerrs, 1);
	assert_err(&r, 0, "Too many control commands in one message (more than 1000)", CMD_MAX_PER_MESSAGE + 1);
	cmd_result_free(&r);
	/* exactly the limit is fine */
	buf_reset(&b);
	for (int i = 0; i < CMD_MAX_PER_MESSAGE; i++)
		buf_adds(&b, "::stop\n");
	cmd_detect(b.p, b.len, &r);
	ck_assert_uint_eq(r.n, CMD_MAX_PER_MESSAGE);
	ck_assert_uint_eq(r.nerrs, 0);
	cmd_result_free(&r);
	buf_free(&b);
}
END_TEST

/* ---- lines ---- */

START_TEST(multiple_commands_in_line_order)
{
	struct cmd_result r = detect("::capture /tmp/a.md\nsome text\n\n::stop\n  ::init\n::record");
	ck_assert_uint_eq(r.n, 4);
	assert_cmd(&r, 0, "capture", "/tmp/a.md", 1);
	assert_cmd(&r, 1, "stop", NULL, 4);
	assert_cmd(&r, 2, "init", NULL, 5);
	assert_cmd(&r, 3, "record", NULL, 6);
	cmd_result_free(&r);
}
END_TEST

START_TEST(crlf_and_lone_cr_are_line_breaks)
{
	struct cmd_result r = detect("hello\r\n::init /tmp/a.md\r\n::record\r::stop\r\r\n::capture");
	ck_assert_uint_eq(r.n, 4);
	ck_assert_uint_eq(r.nerrs, 0);
	assert_cmd(&r, 0, "init", "/tmp/a.md", 2);
	ck_assert_str_eq(r.cmds[0].raw, "::init /tmp/a.md");
	assert_cmd(&r, 1, "record", NULL, 3);
	assert_cmd(&r, 2, "stop", NULL, 4);
	/* "\r\r\n" is a lone \r then \r\n: two breaks */
	assert_cmd(&r, 3, "capture", NULL, 6);
	cmd_result_free(&r);
}
END_TEST

START_TEST(trailing_newline_and_empty_text)
{
	assert_one("::record\n", "record", NULL, 1);
	assert_one("\n\n::record\n\n", "record", NULL, 3);
	struct cmd_result r;
	ck_assert_int_eq(cmd_detect(NULL, 0, &r), 0);
	ck_assert_uint_eq(r.n + r.nerrs, 0);
	cmd_result_free(&r);
}
END_TEST

START_TEST(invalid_utf8_does_not_break_detection)
{
	assert_one("\xff\xfe\n::init /tmp/\xff.md", "init", "/tmp/\xff.md", 2);
	assert_nothing("\xff::record");
}
END_TEST

START_TEST(cmd_lines_ranges)
{
	static const char s[] = "a\r\n::record\r\nb\rc\n::stop\nd";
	size_t n = sizeof s - 1;
	char *t = cmd_lines(s, n, 2, 5); /* lines 2..4 */
	ck_assert_str_eq(t, "::record\nb\nc");
	free(t);
	t = cmd_lines(s, n, 1, 2);
	ck_assert_str_eq(t, "a");
	free(t);
	t = cmd_lines(s, n, 5, 100); /* clamped to the end */
	ck_assert_str_eq(t, "::stop\nd");
	free(t);
	t = cmd_lines(s, n, 3, 3); /* empty range */
	ck_assert_str_eq(t, "");
	free(t);
	t = cmd_lines(s, n, 0, 3); /* clamped to line 1 */
	ck_assert_str_eq(t, "a\n::record");
	free(t);
	t = cmd_lines(s, n, 7, 9); /* past the end */
	ck_assert_str_eq(t, "");
	free(t);
	t = cmd_lines("x\n", 2, 2, 3); /* the empty line after a final \n */
	ck_assert_str_eq(t, "");
	free(t);
	t = cmd_lines("x\n\ny", 4, 1, 4);
	ck_assert_str_eq(t, "x\n\ny");
	free(t);
}
END_TEST

/* ---- default name (ref §3.3) ---- */

START_TEST(default_name_reference_example)
{
	char *s = cmd_default_name("codex", "e8cef289-5f0b-4b1c-9d3a-123456789abc", NOW_MS);
	ck_assert_str_eq(s, "codex-e8cef289-20261123T204558Z.md");
	free(s);
	s = cmd_default_name("claude", "0123", 0);
	ck_assert_str_eq(s, "claude-0123-19700101T000000Z.md");
	free(s);
	s = cmd_default_name("claude", "abc", -1); /* 1969-12-31T23:59:59.999Z */
	ck_assert_str_eq(s, "claude-abc-19691231T235959Z.md");
	free(s);
}
END_TEST

START_TEST(default_name_provider_normalisation)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"Claude Code", "claude-code"},
		{" --Gemini__CLI!! ", "gemini__cli"},
		{"a...b", "a...b"},
		{"", "recording"},
		{"!!!", "recording"},
		{"\xc3\x84rger", "rger"},     /* Ä: not [a-z] after lowercasing */
		{"\xe2\x84\xaa" "ato", "kato"}, /* KELVIN SIGN lowercases to k */
		{"\xc4\xb0" "d", "i-d"},        /* İ lowercases to i + U+0307 */
		{"a\xff" "b", "a-b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *s = cmd_default_name(cases[i].in, "12345678", NOW_MS);
		struct buf want = BUF_INIT;
		buf_printf(&want, "%s-12345678-20261123T204558Z.md", cases[i].out);
		ck_assert_str_eq(s, want.p);
		buf_free(&want);
		free(s);
	}
	char *s = cmd_default_name(NULL, NULL, NOW_MS);
	ck_assert_str_eq(s, "recording--20261123T204558Z.md");
	free(s);
}
END_TEST

START_TEST(default_name_session_prefix)
{
	char *s = cmd_default_name("x", "../../etc", NOW_MS); /* no "/" may escape into the name */
	ck_assert_str_eq(s, "x-..-..-et-20261123T204558Z.md");
	free(s);
	s = cmd_default_name("x", "\xf0\x9f\x98\x80" "abcdefgh", NOW_MS); /* an emoji is 2 UTF-16 units */
	ck_assert_str_eq(s, "x-\xf0\x9f\x98\x80" "abcdef-20261123T204558Z.md");
	free(s);
}
END_TEST

/* ---- path arguments (SPEC §4) ---- */

static const struct cmd_path_ctx CTX = {
	"/home/u", "/work/proj", "/home/u/.local/share/kato/recordings", "claude",
	"e8cef289-5f0b-4b1c-9d3a-123456789abc", NOW_MS,
};

/* Resolve raw with ctx and compare with want. */
static void assert_path(const struct cmd_path_ctx *ctx, const char *raw, const char *want)
{
	char *out = NULL, *why = NULL;
	int rc = cmd_resolve_path(raw, ctx, &out, &why);
	ck_assert_msg(rc == 0, "\"%s\": %s", raw ? raw : "(null)", why ? why : "?");
	ck_assert_ptr_null(why);
	ck_assert_str_eq(out, want);
	free(out);
}

static void assert_path_err(const struct cmd_path_ctx *ctx, const char *raw, const char *want_why)
{
	char *out = NULL, *why = NULL;
	int rc = cmd_resolve_path(raw, ctx, &out, &why);
	ck_assert_msg(rc == -1, "\"%s\" resolved to %s", raw, out ? out : "?");
	ck_assert_ptr_null(out);
	ck_assert_str_eq(why, want_why);
	free(why);
}

START_TEST(path_no_argument_uses_default_dir)
{
	assert_path(&CTX, NULL, "/home/u/.local/share/kato/recordings/" GEN);
	assert_path(&CTX, "", "/home/u/.local/share/kato/recordings/" GEN);
	struct cmd_path_ctx c = CTX;
	c.default_dir = "/home/u/rec//./";
	assert_path(&c, NULL, "/home/u/rec/" GEN);
	c.default_dir = NULL;
	assert_path_err(&c, NULL, "no default recordings directory is known");
}
END_TEST

START_TEST(path_absolute_kept)
{
	assert_path(&CTX, "/abs/x.md", "/abs/x.md");
	assert_path(&CTX, "  /abs/x.md  ", "/abs/x.md");
	assert_path(&CTX, "/abs/x", "/abs/x"); /* .md is not added */
	assert_path(&CTX, "/abs/a b.md", "/abs/a b.md");
}
END_TEST

START_TEST(path_markdown_link_unwrapped)
{
	assert_path(&CTX, "[notes](/abs/x.md)", "/abs/x.md");
	assert_path(&CTX, "[my notes]( /abs/x.md )", "/abs/x.md");
	assert_path(&CTX, "[n](\"/abs/q.md\")", "/abs/q.md");
	assert_path(&CTX, "[n](notes/x.md)", "/work/proj/notes/x.md");
	assert_path(&CTX, "[a](/x)(y)", "/x)(y"); /* greedy (.+) up to the last ")" */
	/* not a whole link: taken literally (relative) */
	assert_path(&CTX, "[a](/x) more", "/work/proj/[a](/x) more");
	assert_path(&CTX, "[](/x)", "/work/proj/[](/x)");
	assert_path_err(&CTX, "[a]( )", "Path argument is missing");
}
END_TEST

START_TEST(path_quotes_unwrapped)
{
	assert_path(&CTX, "\"/abs/a b.md\"", "/abs/a b.md");
	assert_path(&CTX, "'/abs/x.md'", "/abs/x.md");
	assert_path(&CTX, "`/abs/x.md`", "/abs/x.md");
	assert_path(&CTX, "\" /abs/x.md \"", "/abs/x.md");
	/* mismatched quotes stay */
	assert_path(&CTX, "\"/abs/x.md'", "/work/proj/\"/abs/x.md'");
	assert_path(&CTX, "'/abs/x.md", "/work/proj/'/abs/x.md");
	/* only one pair is removed */
	assert_path(&CTX, "\"'/abs/x.md'\"", "/work/proj/'/abs/x.md'");
	assert_path_err(&CTX, "\"\"", "Path argument is missing");
	assert_path_err(&CTX, "` `", "Path argument is missing");
}
END_TEST

START_TEST(path_tilde_expanded)
{
	assert_path(&CTX, "~/notes/x.md", "/home/u/notes/x.md");
	assert_path(&CTX, "~", "/home/u/" GEN);
	assert_path(&CTX, "~/", "/home/u/" GEN);
	assert_path(&CTX, "\"~/n.md\"", "/home/u/n.md");
	/* ~user is not expanded: it is relative */
	assert_path(&CTX, "~bob/x.md", "/work/proj/~bob/x.md");
	struct cmd_path_ctx c = CTX;
	c.home = NULL;
	assert_path_err(&c, "~/x.md",
			"cannot expand \"~\": the home directory is not known; use an absolute path");
}
END_TEST

START_TEST(path_leading_at_stripped)
{
	assert_path(&CTX, "@/abs/x.md", "/abs/x.md");
	assert_path(&CTX, "@notes/x.md", "/work/proj/notes/x.md");
	assert_path(&CTX, "@~/x.md", "/home/u/x.md");
	assert_path(&CTX, "\"@/abs/x.md\"", "/abs/x.md");
	assert_path(&CTX, "@@x", "/work/proj/@x"); /* only one */
	assert_path_err(&CTX, "@", "Path argument is missing");
}
END_TEST

START_TEST(path_relative_needs_cwd)
{
	assert_path(&CTX, "notes/x.md", "/work/proj/notes/x.md");
	assert_path(&CTX, "x.md", "/work/proj/x.md");
	struct cmd_path_ctx c = CTX;
	c.cwd = NULL;
	const char *msg = "relative path needs the session's working directory, which the provider did not "
			  "record; use an absolute path";
	assert_path_err(&c, "notes/x.md", msg);
	assert_path_err(&c, "./x.md", msg);
	c.cwd = "relative/dir"; /* a non-absolute cwd is no cwd */
	assert_path_err(&c, "x.md", msg);
	c.cwd = NULL;
	assert_path(&c, "/abs/x.md", "/abs/x.md"); /* absolute needs none */
}
END_TEST

START_TEST(path_dot_dot_normalised)
{
	assert_path(&CTX, "../x.md", "/work/x.md");
	assert_path(&CTX, "a/../../../../../x.md", "/x.md");
	assert_path(&CTX, "/a/b/../../../x.md", "/x.md");
	assert_path(&CTX, "./a//b/./c.md", "/work/proj/a/b/c.md");
	assert_path(&CTX, "~/../v/x.md", "/home/v/x.md");
}
END_TEST

START_TEST(path_trailing_slash_gets_generated_name)
{
	assert_path(&CTX, "notes/", "/work/proj/notes/" GEN);
	assert_path(&CTX, "/abs/dir/", "/abs/dir/" GEN);
	assert_path(&CTX, "/abs/dir/.", "/abs/dir/" GEN);
	assert_path(&CTX, "/abs/dir/sub/..", "/abs/dir/" GEN);
	assert_path(&CTX, ".", "/work/proj/" GEN);
	assert_path(&CTX, "/", "/" GEN);
}
END_TEST

START_TEST(path_existing_directory_gets_generated_name)
{
	char *dir = tu_tmpdir();
	struct buf sub = BUF_INIT, want = BUF_INIT;
	buf_printf(&sub, "%s/notes", dir);
	ck_assert_int_eq(mkdir(sub.p, 0755), 0);
	buf_printf(&want, "%s/notes/" GEN, dir);
	assert_path(&CTX, sub.p, want.p);
	struct cmd_path_ctx c = CTX;
	c.cwd = dir;
	assert_path(&c, "notes", want.p);
	assert_path(&c, "'notes'", want.p);
	/* an existing file is kept as the file */
	buf_reset(&sub);
	buf_printf(&sub, "%s/notes/x.md", dir);
	tu_write(sub.p, "x", 1, O_TRUNC);
	assert_path(&c, "notes/x.md", sub.p);
	/* a name that does not exist is a file name */
	buf_reset(&want);
	buf_printf(&want, "%s/new", dir);
	assert_path(&c, "new", want.p);
	buf_free(&sub);
	buf_free(&want);
	free(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("command");
	TCase *t = tcase_create("detect");
	tcase_add_test(t, each_command_alone);
	tcase_add_test(t, reference_detection_example);
	tcase_add_test(t, text_before_the_command_does_not_count);
	tcase_add_test(t, non_names_are_ignored);
	tcase_add_test(t, names_are_case_insensitive_and_lowercased);
	tcase_add_test(t, leading_whitespace_is_js_whitespace);
	tcase_add_test(t, argument_is_trimmed);
	tcase_add_test(t, line_separators_u2028_u2029);
	tcase_add_test(t, backtick_fence_suppresses);
	tcase_add_test(t, tilde_fence_suppresses);
	tcase_add_test(t, fence_lines_themselves_are_ignored);
	tcase_add_test(t, longer_closing_fence_closes);
	tcase_add_test(t, shorter_closing_fence_does_not_close);
	tcase_add_test(t, other_marker_does_not_close);
	tcase_add_test(t, closing_line_with_text_does_not_close);
	tcase_add_test(t, unclosed_fence_suppresses_rest);
	tcase_add_test(t, mixed_marker_run_uses_first_char_and_whole_length);
	tcase_add_test(t, record_with_argument_is_error);
	tcase_add_test(t, stop_with_argument_is_error);
	tcase_add_test(t, export_without_argument_is_error);
	tcase_add_test(t, unknown_command_is_error);
	tcase_add_test(t, reference_error_example);
	tcase_add_test(t, error_fails_message_closed_but_lists_both);
	tcase_add_test(t, nul_in_argument_is_error);
	tcase_add_test(t, too_many_commands_fail_closed);
	tcase_add_test(t, multiple_commands_in_line_order);
	tcase_add_test(t, crlf_and_lone_cr_are_line_breaks);
	tcase_add_test(t, trailing_newline_and_empty_text);
	tcase_add_test(t, invalid_utf8_does_not_break_detection);
	tcase_add_test(t, cmd_lines_ranges);
	suite_add_tcase(s, t);
	t = tcase_create("paths");
	tcase_add_test(t, default_name_reference_example);
	tcase_add_test(t, default_name_provider_normalisation);
	tcase_add_test(t, default_name_session_prefix);
	tcase_add_test(t, path_no_argument_uses_default_dir);
	tcase_add_test(t, path_absolute_kept);
	tcase_add_test(t, path_markdown_link_unwrapped);
	tcase_add_test(t, path_quotes_unwrapped);
	tcase_add_test(t, path_tilde_expanded);
	tcase_add_test(t, path_leading_at_stripped);
	tcase_add_test(t, path_relative_needs_cwd);
	tcase_add_test(t, path_dot_dot_normalised);
	tcase_add_test(t, path_trailing_slash_gets_generated_name);
	tcase_add_test(t, path_existing_directory_gets_generated_name);
	suite_add_tcase(s, t);
	return s;
}

TU_MAIN(make_suite)
