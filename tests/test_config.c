/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "config.h"
#include "log.h"
#include "testutil.h"

/* Write `text` to a fresh config file and load it. */
static int load_text(const char *text, struct kato_config *c, char **err)
{
	char *dir = tu_tmpdir();
	char *path = paths_join(dir, "config.yaml");
	tu_write(path, text, strlen(text), O_TRUNC);
	*err = NULL;
	int rc = config_load(path, c, err);
	free(path);
	free(dir);
	return rc;
}

/* Loading must fail with an error containing every fragment given. */
static void expect_error(const char *text, const char *line, const char *key, const char *what)
{
	struct kato_config c;
	char *err;
	ck_assert_msg(load_text(text, &c, &err) == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, line) && strstr(err, key) && strstr(err, what),
		      "error '%s' lacks '%s' / '%s' / '%s'", err, line, key, what);
	free(err);
}

START_TEST(missing_or_empty_file_means_defaults)
{
	struct kato_config c;
	char *err = NULL;
	ck_assert_int_eq(config_load("/nonexistent/config.yaml", &c, &err), 0);
	ck_assert(c.frontmatter.include_frontmatter);
	ck_assert(!c.frontmatter.include_updated);
	ck_assert(c.flags.include_commentary);
	ck_assert(!c.flags.include_thinking);
	ck_assert(!c.flags.include_tool_calls);
	ck_assert(c.flags.daemon_export_enabled);
	ck_assert_int_eq(c.operational_level, LOG_INFO);
	ck_assert_int_eq(c.daemon_max_memory_mb, 500);
	ck_assert_ptr_null(c.path);
	config_free(&c);
	ck_assert_int_eq(load_text("# only a comment\n", &c, &err), 0);
	ck_assert(c.flags.include_commentary);
	config_free(&c);
}
END_TEST

START_TEST(a_file_with_only_allowed_write_roots_is_valid)
{
	struct kato_config c;
	char *err;
	setenv("HOME", "/home/alice", 1);
	ck_assert_int_eq(load_text("allowedWriteRoots:\n  - ~/notes\n  - /srv/notes\n  - rel\n", &c, &err), 0);
	ck_assert_uint_eq(c.n_allowed_write_roots, 3);
	ck_assert_str_eq(c.allowed_write_roots[0], "/home/alice/notes");
	ck_assert_str_eq(c.allowed_write_roots[1], "/srv/notes");
	ck_assert_str_eq(c.allowed_write_roots[2], "rel");
	ck_assert(c.flags.include_commentary); /* the rest stays default */
	config_free(&c);
}
END_TEST

START_TEST(the_reference_default_config_loads)
{
	/* ref §6.1, verbatim */
	const char *ref =
		"schemaVersion: 1\nruntimeDir: ~/.kato/runtime\nkatoDir: ~/.kato\n"
		"statusPath: ~/.kato/runtime/status.json\ncontrolPath: ~/.kato/runtime/control.json\n"
		"allowedWriteRoots:\n  - .\nproviderSessionRoots:\n  claude:\n    - ~/.claude/projects\n"
		"  codex:\n    - ~/.codex/sessions\n  gemini:\n    - ~/.gemini/tmp\n"
		"globalAutoGenerateSnapshots: false\nproviderAutoGenerateSnapshots: {}\n"
		"cleanSessionStatesOnShutdown: false\nmarkdownFrontmatter:\n"
		"  includeFrontmatterInMarkdownRecordings: true\n  includeUpdatedInFrontmatter: false\n"
		"  addParticipantUsernameToFrontmatter: false\n  defaultParticipantUsername: ''\n"
		"  includeConversationEventKinds: false\nfeatureFlags:\n  writerIncludeCommentary: true\n"
		"  writerIncludeThinking: false\n  writerIncludeToolCalls: false\n"
		"  writerItalicizeUserMessages: false\n  daemonExportEnabled: true\n"
		"  captureIncludeSystemEvents: false\nlogging:\n  operationalLevel: info\n  auditLevel: info\n"
		"daemonMaxMemoryMb: 500\n";
	setenv("HOME", "/home/alice", 1);
	struct kato_config c;
	char *err;
	ck_assert_msg(load_text(ref, &c, &err) == 0, "%s", err);
	const struct config_provider_roots *r = config_roots_for(&c, "codex");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->roots[0], "/home/alice/.codex/sessions");
	ck_assert_ptr_null(config_roots_for(&c, "other"));
	config_free(&c);
}
END_TEST

/* kato init's file: written where asked, never over an existing file,
 * accepted unchanged by the parser with every value its default, and
 * naming every key the parser knows (ref §6.1). */
START_TEST(the_default_file_kato_init_writes_is_valid_and_complete)
{
	char *dir = tu_tmpdir();
	char *path = paths_join(dir, "sub/config.yaml");
	char *err = NULL;
	unsetenv("KATO_LOGGING_OPERATIONAL_LEVEL");
	unsetenv("KATO_LOGGING_AUDIT_LEVEL");
	unsetenv("KATO_CLAUDE_SESSION_ROOTS");
	unsetenv("KATO_CODEX_SESSION_ROOTS");
	unsetenv("KATO_GEMINI_SESSION_ROOTS");
	ck_assert_int_eq(config_write_default(path, &err), 0);
	size_t n;
	char *text = tu_read(path, &n);
	ck_assert_str_eq(text, config_default_text());
	struct kato_config c, def;
	ck_assert_msg(config_load(path, &c, &err) == 0, "%s", err);
	config_defaults(&def);
	ck_assert_uint_eq(c.n_allowed_write_roots, 0);
	ck_assert_uint_eq(c.n_provider_roots, 0);
	ck_assert_int_eq(c.global_auto_generate_snapshots, def.global_auto_generate_snapshots);
	ck_assert_int_eq(c.clean_session_states_on_shutdown, def.clean_session_states_on_shutdown);
	ck_assert_int_eq(c.frontmatter.include_frontmatter, def.frontmatter.include_frontmatter);
	ck_assert_int_eq(c.frontmatter.include_updated, def.frontmatter.include_updated);
	ck_assert_int_eq(c.frontmatter.add_participant_username, def.frontmatter.add_participant_username);
	ck_assert_str_eq(c.frontmatter.default_participant_username, def.frontmatter.default_participant_username);
	ck_assert_int_eq(c.frontmatter.include_conversation_event_kinds, def.frontmatter.include_conversation_event_kinds);
	ck_assert_int_eq(c.flags.include_commentary, def.flags.include_commentary);
	ck_assert_int_eq(c.flags.include_thinking, def.flags.include_thinking);
	ck_assert_int_eq(c.flags.include_tool_calls, def.flags.include_tool_calls);
	ck_assert_int_eq(c.flags.italicize_user_messages, def.flags.italicize_user_messages);
	ck_assert_int_eq(c.flags.daemon_export_enabled, def.flags.daemon_export_enabled);
	ck_assert_int_eq(c.flags.capture_include_system_events, def.flags.capture_include_system_events);
	ck_assert_int_eq(c.operational_level, def.operational_level);
	ck_assert_int_eq(c.audit_level, def.audit_level);
	ck_assert_int_eq(c.daemon_max_memory_mb, def.daemon_max_memory_mb);
	static const char *const keys[] = {
		"schemaVersion", "runtimeDir", "katoDir", "statusPath", "controlPath", "allowedWriteRoots",
		"providerSessionRoots", "globalAutoGenerateSnapshots", "providerAutoGenerateSnapshots",
		"cleanSessionStatesOnShutdown", "markdownFrontmatter", "includeFrontmatterInMarkdownRecordings",
		"includeUpdatedInFrontmatter", "addParticipantUsernameToFrontmatter",
		"defaultParticipantUsername", "includeConversationEventKinds", "featureFlags",
		"writerIncludeCommentary", "writerIncludeThinking", "writerIncludeToolCalls",
		"writerItalicizeUserMessages", "daemonExportEnabled", "captureIncludeSystemEvents", "logging",
		"operationalLevel", "auditLevel", "daemonMaxMemoryMb",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct buf k = BUF_INIT;
		buf_printf(&k, "%s:", keys[i]);
		ck_assert_msg(strstr(text, k.p), "the default file lacks %s", keys[i]);
		buf_free(&k);
	}
	/* never over an existing file, whatever it holds */
	tu_write(path, "mine\n", 5, O_TRUNC);
	ck_assert_int_eq(config_write_default(path, &err), 1);
	free(text);
	text = tu_read(path, &n);
	ck_assert_str_eq(text, "mine\n");
	config_free(&c);
	config_free(&def);
	free(text);
	free(path);
	free(dir);
}
END_TEST

START_TEST(values_are_read)
{
	struct kato_config c;
	char *err;
	ck_assert_int_eq(load_text("featureFlags:\n  writerIncludeThinking: true\n  writerIncludeCommentary: false\n"
				   "logging:\n  operationalLevel: ' WARN '\nmarkdownFrontmatter:\n"
				   "  defaultParticipantUsername: alice\ndaemonMaxMemoryMb: 64\n"
				   "providerSessionRoots:\n  my-provider:\n    - /data/x\n", &c, &err), 0);
	ck_assert(c.flags.include_thinking);
	ck_assert(!c.flags.include_commentary);
	ck_assert_int_eq(c.operational_level, LOG_WARN);
	ck_assert_str_eq(c.frontmatter.default_participant_username, "alice");
	ck_assert_int_eq(c.daemon_max_memory_mb, 64);
	ck_assert_ptr_nonnull(config_roots_for(&c, "my-provider"));
	config_free(&c);
}
END_TEST

START_TEST(errors_name_the_key_and_the_line)
{
	expect_error("allowedWriteRoots: []\nbogus: 1\n", ":2:", "bogus", "unknown key");
	expect_error("featureFlags:\n  writerIncludeThinking: true\n  writerIncludeThinkin: true\n", ":3:",
		     "featureFlags.writerIncludeThinkin", "unknown key");
	expect_error("featureFlags:\n  writerIncludeThinking: yes\n", ":2:", "featureFlags.writerIncludeThinking",
		     "use true or false");
	expect_error("featureFlags:\n  writerIncludeThinking: 'true'\n", ":2:", "writerIncludeThinking",
		     "expected true or false");
	expect_error("logging:\n  auditLevel: verbose\n", ":2:", "logging.auditLevel", "debug, info, warn");
	expect_error("daemonMaxMemoryMb: '512'\n", ":1:", "daemonMaxMemoryMb", "whole number");
	expect_error("daemonMaxMemoryMb: 0\n", ":1:", "daemonMaxMemoryMb", "whole number");
	expect_error("daemonMaxMemoryMb: -1\n", ":1:", "daemonMaxMemoryMb", "whole number");
	expect_error("daemonMaxMemoryMb: 1.5\n", ":1:", "daemonMaxMemoryMb", "whole number");
	expect_error("daemonMaxMemoryMb: null\n", ":1:", "daemonMaxMemoryMb", "whole number");
	expect_error("schemaVersion: 2\n", ":1:", "schemaVersion", "reads schemaVersion 1");
	expect_error("allowedWriteRoots: /one/path\n", ":1:", "allowedWriteRoots", "expected a list");
	expect_error("allowedWriteRoots:\n  - ok\n  - 42\n", ":3:", "allowedWriteRoots[1]", "got the number 42");
	expect_error("allowedWriteRoots:\n  - ''\n", ":2:", "allowedWriteRoots[0]", "must not be empty");
	expect_error("providerSessionRoots:\n  Bad Name:\n    - /x\n", ":2:", "providerSessionRoots.Bad Name",
		     "not a provider name");
	expect_error("logging:\n  auditLevel: info\nlogging:\n  auditLevel: info\n", ":3:", "logging",
		     "duplicate key");
	expect_error("- a\n- b\n", ":1:", "(top level)", "expected a mapping");
	expect_error("allowedWriteRoots: 'unterminated\n", ":", "", "YAML");
	expect_error("markdownFrontmatter: true\n", ":1:", "markdownFrontmatter", "expected a mapping");
}
END_TEST

START_TEST(garbage_never_crashes)
{
	static const char *const inputs[] = {
		"\x00\x01\x02\xff\xfe",
		"a: &x [*x]\n",
		"a: *nothing\n",
		"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
		"featureFlags: !!binary aGVsbG8=\n",
		"---\nallowedWriteRoots: []\n---\nallowedWriteRoots: []\n",
		"? [complex, key]\n: value\n",
		"allowedWriteRoots: &r [/a]\nproviderSessionRoots: {claude: *r}\n",
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		struct kato_config c;
		char *err = NULL;
		int rc = load_text(inputs[i], &c, &err);
		ck_assert(rc == 0 || rc == -1);
		if (rc == 0)
			config_free(&c);
		else
			ck_assert_ptr_nonnull(err);
		free(err);
	}
	/* a huge file is refused with a clear reason, not read into memory */
	size_t n = 4u << 20;
	char *big = xmalloc(n + 32);
	memcpy(big, "allowedWriteRoots: [/", 21);
	memset(big + 21, 'a', n);
	memcpy(big + 21 + n, "]\n", 3);
	struct kato_config c;
	char *err;
	ck_assert_int_eq(load_text(big, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a kato config file"));
	free(err);
	free(big);
}
END_TEST

START_TEST(default_path_follows_kato_home_xdg_and_legacy)
{
	char *home = tu_tmpdir();
	setenv("HOME", home, 1);
	unsetenv("KATO_CONFIG_PATH");
	unsetenv("KATO_HOME");
	unsetenv("XDG_CONFIG_HOME");
	char *p = config_default_path();
	char *want = paths_join(home, ".config/kato/config.yaml");
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	/* the reference's file is used when the XDG one is absent */
	char *kd = paths_join(home, ".kato");
	paths_mkdir_p(kd, 0700);
	char *legacy = paths_join(kd, "kato-config.yaml");
	tu_write(legacy, "allowedWriteRoots: []\n", 22, O_TRUNC);
	p = config_default_path();
	ck_assert_str_eq(p, legacy);
	free(p);
	setenv("KATO_HOME", "/kh", 1);
	p = config_default_path();
	ck_assert_str_eq(p, "/kh/config.yaml");
	free(p);
	setenv("KATO_CONFIG_PATH", "/etc/x.yaml", 1);
	p = config_default_path();
	ck_assert_str_eq(p, "/etc/x.yaml");
	free(p);
	free(kd);
	free(legacy);
	free(home);
}
END_TEST

START_TEST(environment_overrides_levels)
{
	struct kato_config c;
	char *err;
	setenv("KATO_LOGGING_OPERATIONAL_LEVEL", "debug", 1);
	ck_assert_int_eq(load_text("logging:\n  operationalLevel: error\n", &c, &err), 0);
	ck_assert_int_eq(c.operational_level, LOG_DEBUG);
	config_free(&c);
	setenv("KATO_LOGGING_OPERATIONAL_LEVEL", "loud", 1);
	ck_assert_int_eq(load_text("", &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "KATO_LOGGING_OPERATIONAL_LEVEL"));
	free(err);
	unsetenv("KATO_LOGGING_OPERATIONAL_LEVEL");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, missing_or_empty_file_means_defaults);
	tcase_add_test(tc, a_file_with_only_allowed_write_roots_is_valid);
	tcase_add_test(tc, the_reference_default_config_loads);
	tcase_add_test(tc, values_are_read);
	tcase_add_test(tc, errors_name_the_key_and_the_line);
	tcase_add_test(tc, garbage_never_crashes);
	tcase_add_test(tc, default_path_follows_kato_home_xdg_and_legacy);
	tcase_add_test(tc, environment_overrides_levels);
	tcase_add_test(tc, the_default_file_kato_init_writes_is_valid_and_complete);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
