/* SPDX-License-Identifier: Apache-2.0 */
/* clean: kato clean --sessions removes only the sessions quiet for longer
 * than asked and without an active recording; a dry run changes nothing;
 * the files keep their cursors (nothing is read again) and no longer name
 * the removed session. */
#include "autoconfig.h"

#include "clean.h"
#include "store.h"
#include "testutil.h"

static int64_t add_session(struct store *s, const char *psid, const char *ts, int nevents)
{
	int64_t sid, seq;
	ck_assert_int_eq(store_session(s, "claude", psid, &sid), 0);
	for (int i = 0; i < nevents; i++) {
		char key[64];
		snprintf(key, sizeof key, "%s-%d", psid, i);
		struct fingerprint fp;
		fingerprint_bytes(key, strlen(key), &fp);
		ck_assert_int_eq(store_add_event(s, sid, &fp, "message.user", ts, 1, "{}", &seq), 0);
	}
	return sid;
}

START_TEST(old_sessions_go_recent_and_recorded_ones_stay)
{
	char *dir = tu_tmpdir();
	char *db = paths_join(dir, "kato.db");
	struct store *s;
	char *err = NULL;
	ck_assert_msg(store_open(db, false, &s, &err) == 0, "%s", err);
	int64_t old = add_session(s, "old", "2020-01-01T00:00:00.000Z", 3);
	add_session(s, "new", "2999-01-01T00:00:00.000Z", 2);
	int64_t rec = add_session(s, "recorded", "2020-01-01T00:00:00.000Z", 1);
	struct store_recording r = {.session = rec, .path = "/notes/r.md", .rec_id = "r1", .active = true, .size = -1};
	ck_assert_int_eq(store_recording_put(s, &r), 0);
	struct store_command c = {.session = old, .seq = 1, .line = 1, .name = "capture", .outcome = "applied", .at_ms = 1};
	ck_assert_int_eq(store_add_command(s, &c), 0);
	struct store_file f = {.path = "/p/old.jsonl", .provider = "claude", .psid = "old", .session = old,
			       .size = 500, .offset = 500};
	ck_assert_int_eq(store_put_file(s, &f), 0);

	/* a dry run counts and changes nothing */
	struct clean_opts o = {.sessions_days = 30, .dry_run = true};
	struct buf out = BUF_INIT;
	ck_assert_int_eq(clean_run(s, &o, &out, &err), 0);
	ck_assert_msg(strstr(out.p, "\"mode\":\"dry-run\"") && strstr(out.p, "\"sessions\":1,\"events\":3"), "%s",
		      out.p);
	int64_t ns, ne, nf;
	ck_assert_int_eq(store_totals(s, &ns, &ne, &nf), 0);
	ck_assert_int_eq(ns, 3);
	ck_assert_int_eq(ne, 6);

	/* the real thing */
	o.dry_run = false;
	buf_reset(&out);
	ck_assert_int_eq(clean_run(s, &o, &out, &err), 0);
	ck_assert_msg(strstr(out.p, "\"mode\":\"execute\"") && strstr(out.p, "\"sessions\":1,\"events\":3"), "%s",
		      out.p);
	ck_assert_int_eq(store_totals(s, &ns, &ne, &nf), 0);
	ck_assert_int_eq(ns, 2);
	ck_assert_int_eq(ne, 3);
	ck_assert_int_eq(nf, 1);
	int64_t sid = 0;
	ck_assert_int_eq(store_find_session(s, "claude:old", &sid, &err), 0);
	ck_assert_int_eq(store_find_session(s, "claude:new", &sid, &err), 1);
	ck_assert_int_eq(store_find_session(s, "claude:recorded", &sid, &err), 1);
	struct store_recording *v;
	size_t nv;
	ck_assert_int_eq(store_recordings(s, 0, &v, &nv), 0);
	ck_assert_int_eq(nv, 1);
	store_recordings_free(v, nv);
	/* the cursor stays where it was, without the session */
	struct store_file g;
	ck_assert_int_eq(store_get_file(s, "/p/old.jsonl", &g), 1);
	ck_assert_int_eq(g.offset, 500);
	ck_assert_int_eq(g.session, 0);
	ck_assert_str_eq(g.psid, "old");
	store_file_free(&g);
	/* a line appended later starts a new session */
	int64_t again = add_session(s, "old", "2999-01-01T00:00:00.000Z", 1);
	ck_assert_int_ne(again, old);
	buf_free(&out);
	store_close(s);
	free(db);
	free(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("clean");
	TCase *tc = tcase_create("clean");
	tcase_add_test(tc, old_sessions_go_recent_and_recorded_ones_stay);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
