/* SPDX-License-Identifier: Apache-2.0 */
/* The recorder: commands from the store's events, appends, the path
 * policy and the guard against overwriting a user's file, and recovery of
 * an append interrupted between its intent and its write. Events are put
 * in the store directly, as ingest would. */
#include "autoconfig.h"

#include <dirent.h>
#include <time.h>

#include "fingerprint.h"
#include "frontmatter.h"
#include "recorder.h"
#include "testutil.h"

#define PSID "sess-rec-1"

struct fixture {
	char *dir, *notes, *db;
	struct store *store;
	struct recorder *rec;
	struct kato_config cfg;
	int64_t sid;
	int n; /* events added */
};

static void open_all(struct fixture *f)
{
	char *err = NULL;
	ck_assert_msg(store_open(f->db, false, &f->store, &err) == 0, "%s", err);
	ck_assert_msg(recorder_open(f->store, &f->cfg, &f->rec, &err) == 0, "%s", err);
	ck_assert_int_eq(store_session(f->store, "claude", PSID, &f->sid), 0);
}

static void close_all(struct fixture *f)
{
	recorder_close(f->rec);
	store_close(f->store);
}

static void setup(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->dir = tu_tmpdir();
	f->notes = paths_join(f->dir, "notes");
	f->db = paths_join(f->dir, "kato.db");
	char *home = paths_join(f->dir, "home");
	mkdir(home, 0700);
	mkdir(f->notes, 0755);
	setenv("HOME", home, 1);
	char *kh = paths_join(f->dir, "kato"); /* kato's own directory: never a destination */
	setenv("KATO_HOME", kh, 1);
	free(kh);
	setenv("TZ", "UTC", 1);
	tzset();
	free(home);
	config_defaults(&f->cfg);
	f->cfg.allowed_write_roots = xcalloc(2, sizeof(char *));
	f->cfg.allowed_write_roots[0] = xstrdup(f->notes);
	f->cfg.n_allowed_write_roots = 1;
	open_all(f);
	struct kato_session_info si = {.struct_size = sizeof si, .provider_session_id = PSID, .cwd = f->notes};
	ck_assert_int_eq(store_session_facts(f->store, f->sid, &si), 0);
}

static void teardown(struct fixture *f)
{
	close_all(f);
	config_free(&f->cfg);
	free(f->notes);
	free(f->db);
	free(f->dir);
}

/* Store one event of the session (kind message.user / message.assistant). */
static int64_t add(struct fixture *f, const char *kind, uint32_t flags, const char *content)
{
	f->n++;
	struct buf j = BUF_INIT;
	buf_printf(&j, "{\"eventId\":\"e%d\",\"provider\":\"claude\",\"sessionId\":\"" PSID "\","
		       "\"timestamp\":\"2026-02-10T23:%02d:%02d.000Z\",\"kind\":\"%s\",",
		   f->n, f->n / 60, f->n % 60, kind);
	if (!strcmp(kind, "message.assistant"))
		buf_adds(&j, "\"model\":\"claude-opus-4-6\",");
	if (flags & KATO_EVENT_INJECTED) /* as event.c marks it */
		buf_adds(&j, "\"isInjected\":true,");
	struct json_object *c = json_object_new_string(content);
	buf_printf(&j, "\"content\":%s}", json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	struct fingerprint fp;
	fingerprint_bytes(j.p, j.len, &fp);
	int64_t seq;
	ck_assert_int_eq(store_add_event(f->store, f->sid, &fp, kind, NULL, flags, j.p, &seq), 0);
	ck_assert_int_gt(seq, 0);
	buf_free(&j);
	return seq;
}

static void user(struct fixture *f, const char *text)
{
	add(f, "message.user", KATO_EVENT_HUMAN, text);
}

static void bot(struct fixture *f, const char *text)
{
	add(f, "message.assistant", 0, text);
}

static void run(struct fixture *f)
{
	recorder_note(f->rec, f->sid);
	ck_assert_int_eq(recorder_run(f->rec), 0);
}

static char *note_path(struct fixture *f, const char *name)
{
	return paths_join(f->notes, name);
}

/* The file's text after its frontmatter ("" when absent: NULL). */
static char *body_of(struct fixture *f, const char *name)
{
	char *p = note_path(f, name);
	size_t n;
	char *s = tu_read(p, &n);
	free(p);
	if (!s)
		return NULL;
	size_t fm = fm_find(s, n);
	char *b = xstrdup(s + fm + (fm && s[fm] == '\n' ? 1 : 0) + (fm && s[fm + 1] == '\n' ? 1 : 0));
	free(s);
	return b;
}

static bool exists(struct fixture *f, const char *name)
{
	char *p = note_path(f, name);
	bool e = access(p, F_OK) == 0;
	free(p);
	return e;
}

START_TEST(init_record_stop_record)
{
	struct fixture f;
	setup(&f);
	user(&f, "hello there");
	bot(&f, "hi");
	user(&f, "::init a.md");
	run(&f);
	char *b = body_of(&f, "a.md");
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, ""); /* only the stub */
	free(b);
	char *p = note_path(&f, "a.md");
	char *s = tu_read(p, NULL);
	ck_assert_msg(strstr(s, "title: 'hello there'\n") && strstr(s, "sessionId: " PSID "\n") &&
			      strstr(s, "recordingIds: ["),
		      "stub frontmatter:\n%s", s);
	free(s);
	bot(&f, "not recorded: before ::record");
	user(&f, "::record");
	bot(&f, "one");
	user(&f, "two");
	run(&f);
	bot(&f, "three");
	user(&f, "::stop");
	bot(&f, "hidden");
	user(&f, "::record\nseed line");
	bot(&f, "four");
	run(&f);
	b = body_of(&f, "a.md");
	ck_assert_str_eq(b, "# User_2026-02-10_2300_05\n\n::record\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_06\n\none\n\n"
			    "# User_2026-02-10_2300_07\n\ntwo\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_08\n\nthree\n\n"
			    "# User_2026-02-10_2300_11\n\n::record\nseed line\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_12\n\nfour\n");
	free(b);
	/* running again adds nothing */
	run(&f);
	b = body_of(&f, "a.md");
	ck_assert_ptr_nonnull(strstr(b, "four\n"));
	ck_assert_ptr_null(strstr(strstr(b, "four\n") + 1, "four"));
	free(b);
	free(p);
	teardown(&f);
}
END_TEST

START_TEST(only_live_human_text_runs_commands)
{
	struct fixture f;
	setup(&f);
	char *evil = note_path(&f, "evil.md");
	struct buf t = BUF_INIT;
	buf_printf(&t, "::capture %s", evil);
	bot(&f, t.p);                                            /* assistant */
	add(&f, "message.user", 0, t.p);                         /* tool output / not typed */
	add(&f, "message.user", KATO_EVENT_HUMAN | KATO_EVENT_INJECTED, t.p);
	add(&f, "message.user", KATO_EVENT_HUMAN | KATO_EVENT_SIDECHAIN, t.p);
	add(&f, "message.user", KATO_EVENT_HUMAN | STORE_EVENT_HISTORY, t.p); /* history */
	buf_reset(&t);
	buf_printf(&t, "```\n::capture %s\n```", evil);
	user(&f, t.p); /* fenced */
	buf_reset(&t);
	buf_printf(&t, "::capture %s\n::bogus", evil);
	user(&f, t.p); /* fail closed */
	run(&f);
	ck_assert_msg(!exists(&f, "evil.md"), "a command ran from text a human did not type live");
	buf_free(&t);
	free(evil);
	teardown(&f);
}
END_TEST

/* The pass reads only the messages ingest said may hold a command when
 * what it said is every event after the session's pointer, and every
 * event when it is not (an event stored without a word: another writer,
 * a resume): no command is ever missed. */
START_TEST(what_ingest_says_spares_the_scan_but_never_a_command)
{
	struct fixture f;
	setup(&f);
	int64_t seq = add(&f, "message.user", KATO_EVENT_HUMAN, "hello there");
	recorder_note_event(f.rec, f.sid, seq, false);
	seq = add(&f, "message.assistant", 0, "hi");
	recorder_note_event(f.rec, f.sid, seq, false);
	seq = add(&f, "message.user", KATO_EVENT_HUMAN, "::init a.md");
	recorder_note_event(f.rec, f.sid, seq, true);
	recorder_note(f.rec, f.sid); /* a resume notes it too: no change */
	ck_assert_int_eq(recorder_run(f.rec), 0);
	ck_assert(exists(&f, "a.md"));
	/* stored without a word, then one said: the pass reads every event */
	add(&f, "message.user", KATO_EVENT_HUMAN, "::init b.md");
	seq = add(&f, "message.assistant", 0, "ok");
	recorder_note_event(f.rec, f.sid, seq, false);
	ck_assert_int_eq(recorder_run(f.rec), 0);
	ck_assert(exists(&f, "b.md"));
	/* and after it, the said ones again */
	seq = add(&f, "message.user", KATO_EVENT_HUMAN, "::init c.md");
	recorder_note_event(f.rec, f.sid, seq, true);
	seq = add(&f, "message.assistant", 0, "done");
	recorder_note_event(f.rec, f.sid, seq, false);
	ck_assert_int_eq(recorder_run(f.rec), 0);
	ck_assert(exists(&f, "c.md"));
	/* a command already run is not run again: c.md removed stays so */
	char *p = note_path(&f, "c.md");
	ck_assert_int_eq(unlink(p), 0);
	seq = add(&f, "message.assistant", 0, "later");
	recorder_note_event(f.rec, f.sid, seq, false);
	ck_assert_int_eq(recorder_run(f.rec), 0);
	ck_assert(!exists(&f, "c.md"));
	free(p);
	teardown(&f);
}
END_TEST

START_TEST(paths_outside_the_roots_are_denied)
{
	struct fixture f;
	setup(&f);
	char *outside = paths_join(f.dir, "outside");
	mkdir(outside, 0755);
	char *link = note_path(&f, "link");
	ck_assert_int_eq(symlink(outside, link), 0);
	char *final = note_path(&f, "final.md");
	char *target = paths_join(outside, "t.md");
	ck_assert_int_eq(symlink(target, final), 0);
	struct buf t = BUF_INIT;
	buf_printf(&t, "::capture %s/x.md", outside);
	user(&f, t.p);
	user(&f, "::capture link/y.md");
	user(&f, "::capture ../outside/z.md");
	user(&f, "::capture final.md");
	run(&f);
	char *x = paths_join(outside, "x.md"), *y = paths_join(outside, "y.md"), *z = paths_join(outside, "z.md");
	ck_assert(access(x, F_OK) < 0 && access(y, F_OK) < 0 && access(z, F_OK) < 0 && access(target, F_OK) < 0);
	/* the default directory is allowed */
	user(&f, "::capture");
	run(&f);
	char *def = paths_data_file("recordings");
	size_t nfiles = 0;
	DIR *dh = opendir(def);
	ck_assert_ptr_nonnull(dh);
	for (struct dirent *de; (de = readdir(dh));)
		if (de->d_name[0] != '.') {
			nfiles++;
			ck_assert_msg(!strncmp(de->d_name, "claude-", 7), "%s", de->d_name);
		}
	closedir(dh);
	ck_assert_int_eq(nfiles, 1);
	free(def);
	free(x);
	free(y);
	free(z);
	buf_free(&t);
	free(target);
	free(final);
	free(link);
	free(outside);
	teardown(&f);
}
END_TEST

START_TEST(capture_never_overwrites_a_users_file)
{
	struct fixture f;
	setup(&f);
	char *mine = note_path(&f, "mine.md");
	tu_write(mine, "my own notes\n", 13, O_TRUNC);
	char *other = note_path(&f, "other.md");
	const char *otherfm = "---\nid: x\ntitle: 'x'\ndesc: ''\ncreated: 1\nsessionId: another-session\n---\n\nkeep\n";
	tu_write(other, otherfm, strlen(otherfm), O_TRUNC);
	user(&f, "hello");
	user(&f, "::capture mine.md");
	user(&f, "::export other.md");
	run(&f);
	char *s = tu_read(mine, NULL);
	ck_assert_str_eq(s, "my own notes\n");
	free(s);
	s = tu_read(other, NULL);
	ck_assert_str_eq(s, otherfm);
	free(s);
	/* a file kato wrote for this session may be captured again */
	user(&f, "::capture ok.md");
	bot(&f, "reply");
	user(&f, "::capture ok.md");
	run(&f);
	char *b = body_of(&f, "ok.md");
	ck_assert_str_eq(b, "# User_2026-02-10_2300_01\n\nhello\n\n::capture mine.md\n\n::export other.md\n\n"
			    "::capture ok.md\n\n# claude-opus-4.6_2026-02-10_2300_05\n\nreply\n\n"
			    "# User_2026-02-10_2300_06\n\n::capture ok.md\n");
	free(b);
	/* a long frontmatter (over 8 KiB) that names this session is kato's too */
	char *longfm = note_path(&f, "long.md");
	struct buf lf = BUF_INIT;
	buf_adds(&lf, "---\nid: x\ntitle: 'x'\ndesc: '");
	for (int i = 0; i < 1000; i++)
		buf_adds(&lf, "0123456789");
	buf_adds(&lf, "'\ncreated: 1\nsessionId: " PSID "\n---\n\nold body\n");
	tu_write(longfm, lf.p, lf.len, O_TRUNC);
	user(&f, "::export long.md");
	run(&f);
	s = tu_read(longfm, NULL);
	/* (the merge re-renders the block: scalars by the inline rules, ref §4.2) */
	ck_assert_msg(!strncmp(s, "---\nid: x\n", 10) && strstr(s, "89\ncreated: 1\nsessionId: " PSID "\n") &&
			      fm_find(s, strlen(s)) > 10000 &&
			      !strstr(s, "old body") && strstr(s, "::export long.md\n"),
		      "the long frontmatter was not kept, or the body not replaced");
	free(s);
	buf_free(&lf);
	free(longfm);
	free(mine);
	free(other);
	teardown(&f);
}
END_TEST

START_TEST(capture_then_continuation_and_export)
{
	struct fixture f;
	setup(&f);
	user(&f, "first question");
	bot(&f, "first answer");
	user(&f, "::capture cap.md\nafter the command");
	bot(&f, "second answer");
	user(&f, "::export exp.md");
	run(&f);
	char *b = body_of(&f, "cap.md");
	/* the continuation follows the cut message without a second heading */
	ck_assert_str_eq(b, "# User_2026-02-10_2300_01\n\nfirst question\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_02\n\nfirst answer\n\n"
			    "# User_2026-02-10_2300_03\n\n::capture cap.md\n\nafter the command\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_04\n\nsecond answer\n\n"
			    "# User_2026-02-10_2300_05\n\n::export exp.md\n");
	free(b);
	b = body_of(&f, "exp.md");
	ck_assert_str_eq(b, "# User_2026-02-10_2300_01\n\nfirst question\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_02\n\nfirst answer\n\n"
			    "# User_2026-02-10_2300_03\n\n::capture cap.md\nafter the command\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_04\n\nsecond answer\n\n"
			    "# User_2026-02-10_2300_05\n\n::export exp.md\n");
	free(b);
	char *p = note_path(&f, "exp.md");
	char *s = tu_read(p, NULL);
	ck_assert_msg(!strstr(s, "recordingIds"), "an export has no recording ids:\n%s", s);
	free(s);
	free(p);
	teardown(&f);
}
END_TEST

/* Issue 9 items 1 and 2: a recording neither shows injected context as
 * the user's words nor takes its title from it. */
START_TEST(injected_context_is_not_the_user)
{
	struct fixture f;
	setup(&f);
	add(&f, "message.user", KATO_EVENT_INJECTED, "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>");
	user(&f, "first question");
	bot(&f, "first answer");
	add(&f, "message.user", KATO_EVENT_INJECTED, "# AGENTS.md instructions for /w");
	user(&f, "::capture cap.md");
	run(&f);
	char *b = body_of(&f, "cap.md");
	ck_assert_str_eq(b, "# User_2026-02-10_2300_02\n\nfirst question\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_03\n\nfirst answer\n\n"
			    "# User_2026-02-10_2300_05\n\n::capture cap.md\n");
	free(b);
	char *p = note_path(&f, "cap.md");
	char *s = tu_read(p, NULL);
	ck_assert_msg(strstr(s, "title: 'first question'\n"), "title from injected text:\n%s", s);
	free(s);
	free(p);
	teardown(&f);
}
END_TEST

/* Feeding events one run at a time or all at once gives the same bytes. */
START_TEST(batching_does_not_change_the_output)
{
	char *out[2];
	for (int mode = 0; mode < 2; mode++) {
		struct fixture f;
		setup(&f);
		const char *script[] = {"u:::record", "a:one", "a:one more", "u:two", "a:three", "u:::stop",
					"a:gone", "u:::record", "a:four", NULL};
		for (int i = 0; script[i]; i++) {
			if (script[i][0] == 'u')
				user(&f, script[i] + 2);
			else
				bot(&f, script[i] + 2);
			if (mode == 0)
				run(&f);
		}
		run(&f);
		char *def = paths_data_file("recordings");
		DIR *dh = opendir(def);
		ck_assert_ptr_nonnull(dh);
		struct dirent *de;
		while ((de = readdir(dh)) && de->d_name[0] == '.')
			;
		ck_assert_ptr_nonnull(de);
		char *p = paths_join(def, de->d_name);
		char *s = tu_read(p, NULL);
		size_t fm = fm_find(s, strlen(s));
		out[mode] = xstrdup(s + fm);
		closedir(dh);
		free(s);
		free(p);
		free(def);
		teardown(&f);
	}
	ck_assert_str_eq(out[0], out[1]);
	ck_assert_ptr_nonnull(strstr(out[0], "one\n\none more\n"));
	ck_assert_ptr_null(strstr(out[0], "gone"));
	free(out[0]);
	free(out[1]);
}
END_TEST

/* The frontmatter is replaced (by rename) when a new model appears. */
START_TEST(frontmatter_grows_by_atomic_replace)
{
	struct fixture f;
	setup(&f);
	user(&f, "::capture fm.md");
	bot(&f, "from opus");
	run(&f);
	char *p = note_path(&f, "fm.md");
	struct stat a, b;
	ck_assert_int_eq(stat(p, &a), 0);
	char *s = tu_read(p, NULL);
	ck_assert_ptr_nonnull(strstr(s, "participants: [claude.claude-opus-4-6]\n"));
	free(s);
	f.n++;
	const char *j = "{\"eventId\":\"x\",\"provider\":\"claude\",\"sessionId\":\"" PSID "\",\"timestamp\":"
			"\"2026-02-10T23:59:00.000Z\",\"kind\":\"message.assistant\",\"model\":\"claude-haiku-4-5\","
			"\"content\":\"from haiku\"}";
	struct fingerprint fp;
	fingerprint_bytes(j, strlen(j), &fp);
	int64_t seq;
	ck_assert_int_eq(store_add_event(f.store, f.sid, &fp, "message.assistant", NULL, 0, j, &seq), 0);
	bot(&f, "opus again");
	run(&f);
	ck_assert_int_eq(stat(p, &b), 0);
	ck_assert_msg(a.st_ino != b.st_ino, "the file was rewritten in place");
	s = tu_read(p, NULL);
	ck_assert_msg(strstr(s, "participants: [claude.claude-opus-4-6, claude.claude-haiku-4-5]\n"), "%s", s);
	/* a heading comes only when the role changes (ref §4.3) */
	ck_assert_msg(strstr(s, "from opus\n\nfrom haiku\n\nopus again\n"),
		      "%s", s);
	free(s);
	free(p);
	teardown(&f);
}
END_TEST

/* An append whose intent was committed but whose write did not happen,
 * happened whole, or happened in part (a crash between), or whose file
 * was changed meanwhile: the events end up in the file exactly once. */
START_TEST(an_interrupted_append_is_finished_once)
{
	for (int mode = 0; mode < 4; mode++) {
		struct fixture f;
		setup(&f);
		user(&f, "::capture r.md");
		bot(&f, "before");
		run(&f);
		char *p = note_path(&f, "r.md");
		size_t n0;
		char *c0 = tu_read(p, &n0);
		int64_t seq = add(&f, "message.assistant", 0, "the interrupted one");
		/* what the append writes: the same step on a copy */
		struct store_recording *v;
		size_t nv;
		ck_assert_int_eq(store_recordings(f.store, f.sid, &v, &nv), 0);
		ck_assert_int_eq(nv, 1);
		const char *bytes = "\nthe interrupted one\n"; /* same speaker: no heading */
		v[0].pending = true;
		v[0].pending_upto = seq;
		v[0].pending_before = (int64_t)n0;
		v[0].pending_after = (int64_t)(n0 + strlen(bytes));
		v[0].pending_bytes = xstrdup(bytes);
		v[0].pending_len = strlen(bytes);
		snprintf(v[0].pending_role, sizeof v[0].pending_role, "assistant");
		ck_assert_int_eq(store_recording_put(f.store, &v[0]), 0);
		store_recordings_free(v, nv);
		if (mode == 1)
			tu_write(p, bytes, strlen(bytes), O_APPEND);
		if (mode == 2)
			tu_write(p, bytes, 5, O_APPEND);
		if (mode == 3)
			tu_write(p, "user typed this\n", 16, O_APPEND);
		close_all(&f); /* "crash" and restart */
		open_all(&f);
		ck_assert_int_eq(recorder_resume(f.rec), 0);
		ck_assert_int_eq(recorder_run(f.rec), 0);
		size_t n1;
		char *c1 = tu_read(p, &n1);
		struct buf want = BUF_INIT;
		buf_add(&want, c0, n0);
		if (mode == 3)
			buf_adds(&want, "user typed this\n");
		buf_adds(&want, bytes);
		ck_assert_msg(n1 == want.len && !memcmp(c1, want.p, n1), "mode %d:\n%s", mode, c1);
		/* and nothing more on the next event */
		bot(&f, "next");
		run(&f);
		free(c1);
		c1 = tu_read(p, &n1);
		ck_assert_msg(strstr(c1, "the interrupted one\n\nnext\n") &&
				      !strstr(strstr(c1, "the interrupted one") + 1, "the interrupted one"),
			      "mode %d:\n%s", mode, c1);
		free(c1);
		buf_free(&want);
		free(c0);
		free(p);
		teardown(&f);
	}
}
END_TEST

/* A recording that cannot be written is reported for a retry, and the
 * retry writes the events once. */
static int count_failed_appends(void *ud, const struct store_command *c, const char *kato_id)
{
	(void)kato_id;
	if (!strcmp(c->name, "(append)") && !strcmp(c->outcome, "failed") && c->reason && c->target)
		(*(int *)ud)++;
	return 0;
}

START_TEST(a_failed_append_is_retried)
{
	struct fixture f;
	setup(&f);
	user(&f, "::capture sub/r.md");
	run(&f);
	char *sub = note_path(&f, "sub"), *moved = note_path(&f, "sub.away");
	ck_assert_int_eq(rename(sub, moved), 0);
	tu_write(sub, "not a directory\n", 16, O_TRUNC); /* the append cannot open sub/r.md */
	recorder_set_retry(f.rec, 200, 1000);
	bot(&f, "first reply");
	recorder_note(f.rec, f.sid);
	ck_assert_int_eq(recorder_run(f.rec), 1);
	int64_t due = recorder_next_retry(f.rec);
	ck_assert_int_gt(due, 0);
	usleep(250 * 1000);
	ck_assert_int_eq(recorder_run(f.rec), 1); /* tried again when due, still failing */
	ck_assert_int_ge(recorder_next_retry(f.rec) - due, 400); /* and the wait doubled */
	/* kato status shows the streak once, as a failed (append) */
	int appends = 0;
	ck_assert_int_eq(store_each_command(f.store, 100, count_failed_appends, &appends), 0);
	ck_assert_int_eq(appends, 1);
	ck_assert_int_eq(unlink(sub), 0);
	ck_assert_int_eq(rename(moved, sub), 0);
	bot(&f, "second reply"); /* its own new event: tried at once */
	recorder_note(f.rec, f.sid);
	ck_assert_int_eq(recorder_run(f.rec), 0);
	ck_assert_int_eq(recorder_next_retry(f.rec), 0);
	char *b = body_of(&f, "sub/r.md");
	ck_assert_str_eq(b, "# User_2026-02-10_2300_01\n\n::capture sub/r.md\n\n"
			    "# claude-opus-4.6_2026-02-10_2300_02\n\nfirst reply\n\nsecond reply\n");
	free(b);
	free(sub);
	free(moved);
	teardown(&f);
}
END_TEST

/* A failed recording is retried on its own timer only: another
 * session's events never make it try again before it is due. */
START_TEST(other_sessions_do_not_trigger_a_retry)
{
	struct fixture f;
	setup(&f);
	recorder_set_retry(f.rec, 60 * 1000, 60 * 1000);
	user(&f, "::capture sub/a.md");
	run(&f);
	char *sub = note_path(&f, "sub"), *moved = note_path(&f, "sub.away");
	ck_assert_int_eq(rename(sub, moved), 0);
	tu_write(sub, "not a directory\n", 16, O_TRUNC);
	bot(&f, "reply for a");
	recorder_note(f.rec, f.sid);
	ck_assert_int_eq(recorder_run(f.rec), 1);
	int64_t due = recorder_next_retry(f.rec);
	/* the way is clear again, but the retry is not due */
	ck_assert_int_eq(unlink(sub), 0);
	ck_assert_int_eq(rename(moved, sub), 0);
	int64_t other;
	ck_assert_int_eq(store_session(f.store, "claude", "another-session", &other), 0);
	for (int i = 0; i < 50; i++) {
		recorder_note(f.rec, other);
		ck_assert_int_eq(recorder_run(f.rec), 1);
	}
	char *b = body_of(&f, "sub/a.md");
	ck_assert_ptr_null(strstr(b, "reply for a"));
	ck_assert_int_eq(recorder_next_retry(f.rec), due);
	free(b);
	free(sub);
	free(moved);
	teardown(&f);
}
END_TEST

/* ::init and ::record never append to a file kato did not write for this
 * session, nor through a hard link, nor inside kato's own directories. */
START_TEST(record_never_appends_to_a_users_file)
{
	struct fixture f;
	setup(&f);
	char *mine = note_path(&f, "mine.md");
	tu_write(mine, "my own notes\n", 13, O_TRUNC);
	user(&f, "::init mine.md");
	user(&f, "::record");
	bot(&f, "a reply that must not land in mine.md");
	run(&f);
	char *s = tu_read(mine, NULL);
	ck_assert_str_eq(s, "my own notes\n");
	free(s);
	/* ::record straight at it too */
	user(&f, "::record mine.md");
	bot(&f, "another reply");
	run(&f);
	s = tu_read(mine, NULL);
	ck_assert_str_eq(s, "my own notes\n");
	free(s);
	/* a hard link inside the roots to a file outside them */
	char *outside = paths_join(f.dir, "outside.md");
	tu_write(outside, "", 0, O_TRUNC);
	char *hard = note_path(&f, "link.md");
	ck_assert_int_eq(link(outside, hard), 0);
	user(&f, "::init link.md");
	user(&f, "::record");
	bot(&f, "through the link?");
	user(&f, "::capture link.md");
	run(&f);
	size_t n = 99;
	s = tu_read(outside, &n);
	ck_assert_uint_eq(n, 0);
	free(s);
	/* a hard link made after the recording started: the append stops */
	user(&f, "::capture ok.md");
	run(&f);
	char *ok = note_path(&f, "ok.md"), *ok2 = paths_join(f.dir, "ok-outside.md");
	ck_assert_int_eq(link(ok, ok2), 0);
	size_t before;
	free(tu_read(ok2, &before));
	bot(&f, "after the link was made");
	recorder_note(f.rec, f.sid);
	ck_assert_int_eq(recorder_run(f.rec), 1);
	size_t after;
	free(tu_read(ok2, &after));
	ck_assert_uint_eq(after, before);
	/* kato's own state directory, even when a root covers it */
	config_free(&f.cfg);
	config_defaults(&f.cfg);
	f.cfg.allowed_write_roots = xcalloc(2, sizeof(char *));
	f.cfg.allowed_write_roots[0] = xstrdup(f.dir);
	f.cfg.n_allowed_write_roots = 1;
	char *err = NULL;
	ck_assert_int_eq(recorder_configure(f.rec, &f.cfg, &err), 0);
	char *kh = paths_join(f.dir, "kato");
	mkdir(kh, 0700);
	char *db = paths_join(kh, "kato.db");
	tu_write(db, "", 0, O_TRUNC);
	struct buf cmd = BUF_INIT;
	buf_printf(&cmd, "::capture %s", db);
	unlink(ok2);
	user(&f, cmd.p);
	run(&f);
	free(tu_read(db, &n));
	ck_assert_uint_eq(n, 0);
	/* the default recordings directory, inside it, stays allowed: 0700,
	 * files 0600 */
	user(&f, "::capture");
	run(&f);
	char *recdir = paths_join(kh, "recordings");
	struct stat st;
	ck_assert_int_eq(stat(recdir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	DIR *dd = opendir(recdir);
	ck_assert_ptr_nonnull(dd);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(dd))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = paths_join(recdir, e->d_name);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0600);
		free(p);
		files++;
	}
	closedir(dd);
	ck_assert_int_eq(files, 1);
	buf_free(&cmd);
	free(recdir);
	free(db);
	free(kh);
	free(ok);
	free(ok2);
	free(hard);
	free(outside);
	free(mine);
	teardown(&f);
}
END_TEST

START_TEST(recording_ids_are_stable)
{
	char a[37], b[37], c[37];
	recorder_rec_id("k1", "/n/a.md", a);
	recorder_rec_id("k1", "/n/a.md", b);
	recorder_rec_id("k1", "/n/b.md", c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_int_eq(strlen(a), 36);
	ck_assert_int_eq(a[14], '8');
	ck_assert(strchr("89ab", a[19]) != NULL);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("recorder");
	TCase *tc = tcase_create("recorder");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, init_record_stop_record);
	tcase_add_test(tc, only_live_human_text_runs_commands);
	tcase_add_test(tc, what_ingest_says_spares_the_scan_but_never_a_command);
	tcase_add_test(tc, paths_outside_the_roots_are_denied);
	tcase_add_test(tc, capture_never_overwrites_a_users_file);
	tcase_add_test(tc, capture_then_continuation_and_export);
	tcase_add_test(tc, injected_context_is_not_the_user);
	tcase_add_test(tc, batching_does_not_change_the_output);
	tcase_add_test(tc, frontmatter_grows_by_atomic_replace);
	tcase_add_test(tc, an_interrupted_append_is_finished_once);
	tcase_add_test(tc, a_failed_append_is_retried);
	tcase_add_test(tc, other_sessions_do_not_trigger_a_retry);
	tcase_add_test(tc, record_never_appends_to_a_users_file);
	tcase_add_test(tc, recording_ids_are_stable);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
