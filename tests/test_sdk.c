/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of the provider ABI's promises, with the SDK example
 * (examples/provider-hello, a format that is not JSON): a skipped line is
 * counted under the name the plugin gave, not as "bad-json"; counts made
 * while an unterminated last line is tried are kept only if it is taken;
 * the default session id drops the extensions. */
#include "autoconfig.h"

#include "ingest.h"
#include "testutil.h"

struct fixture {
	char *dir;
	struct store *store;
	struct ingest in;
	struct plugin hello;
};

static void setup(struct fixture *f)
{
	f->dir = tu_tmpdir();
	char *db = paths_join(f->dir, "kato.db");
	char *err = NULL;
	ck_assert_msg(store_open(db, false, &f->store, &err) == 0, "%s", err);
	free(db);
	memset(&f->in, 0, sizeof f->in);
	f->in.store = f->store;
	const char *dir = getenv("KATO_TEST_PLUGINS");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/../examples/provider-hello/.libs/hello.so", dir ? dir : "plugins");
	char *why = NULL;
	if (plugin_load(b.p, &f->hello, &why) < 0)
		TU_REQUIRE(0, "cannot load %s: %s", b.p, why);
	buf_free(&b);
}

static void teardown(struct fixture *f)
{
	store_close(f->store);
	tu_plugin_free(&f->hello);
	free(f->dir);
}

struct count_ud {
	const char *type;
	int64_t n;
};

static int sum_count(void *ud, const char *provider, const char *type, int64_t n)
{
	struct count_ud *c = ud;
	if (!strcmp(provider, "hello") && !strcmp(type, c->type))
		c->n += n;
	return 0;
}

static int64_t count_of(struct fixture *f, const char *type)
{
	struct count_ud c = {type, 0};
	ck_assert_int_eq(store_each_count(f->store, sum_count, &c), 0);
	return c.n;
}

START_TEST(a_named_bad_line_is_counted_by_its_name)
{
	struct fixture f;
	setup(&f);
	char *path = paths_join(f.dir, "notes.hello");
	tu_write(path, "user: hi\nno separator\nmood: fine\nassistant: hello\n", 50, O_TRUNC);
	ck_assert_int_eq(ingest_file(&f.in, &f.hello, path, 0), INGEST_DONE);
	ck_assert_int_eq(f.in.stats.bad, 1);
	ck_assert_int_eq(count_of(&f, "bad-line"), 1);
	ck_assert_int_eq(count_of(&f, "unknown:mood"), 1);
	ck_assert_int_eq(count_of(&f, "bad-json"), 0);
	free(path);
	teardown(&f);
}
END_TEST

START_TEST(counts_of_a_trial_last_line_wait_until_it_is_taken)
{
	struct fixture f;
	setup(&f);
	char *path = paths_join(f.dir, "notes.hello");
	/* a last line with no newline yet, not (yet) a record */
	tu_write(path, "user: hi\nhalf a li", 18, O_TRUNC);
	ingest_file(&f.in, &f.hello, path, INGEST_TAIL);
	ingest_file(&f.in, &f.hello, path, INGEST_TAIL);
	ck_assert_int_eq(count_of(&f, "bad-line"), 0);
	/* it ends, still bad: counted once */
	tu_write(path, "ne\n", 3, O_APPEND);
	ck_assert_int_eq(ingest_file(&f.in, &f.hello, path, INGEST_TAIL), INGEST_DONE);
	ck_assert_int_eq(count_of(&f, "bad-line"), 1);
	/* a last line with an unknown key is a record: taken and counted */
	tu_write(path, "mood: fine", 10, O_APPEND);
	ck_assert_int_eq(ingest_file(&f.in, &f.hello, path, INGEST_TAIL), INGEST_DONE);
	ck_assert_int_eq(count_of(&f, "unknown:mood"), 1);
	free(path);
	teardown(&f);
}
END_TEST

START_TEST(default_session_id_drops_the_extensions)
{
	static const char *const cases[][2] = {
		{"/a/notes.hello", "notes"},
		{"/a/notes.v2.hello", "notes.v2"},
		{"/a/ab.jsonl.zst", "ab"},
		{"/a/ab.json", "ab"},
		{"/a/a.b.json", "a.b"},
		{"/a/ab.json.jsonl", "ab"},   /* as before this change */
		{"/a/ab.zst.jsonl", "ab.zst"}, /* as before this change */
		{"/a/ab.hello.zst", "ab"},
		{"/a/.hello", ".hello"},
		{"/a/ab.", "ab."},
		{"plain", "plain"},
		{"/a/.zst", ".zst"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = ingest_default_psid(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		free(s);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("sdk");
	TCase *tc = tcase_create("sdk");
	tcase_add_test(tc, a_named_bad_line_is_counted_by_its_name);
	tcase_add_test(tc, counts_of_a_trial_last_line_wait_until_it_is_taken);
	tcase_add_test(tc, default_session_id_drops_the_extensions);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
