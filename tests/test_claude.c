/* SPDX-License-Identifier: Apache-2.0 */
/* test_claude: the Claude Code provider (provider-formats §1, ref §1.2). */
#include "autoconfig.h"

#include <dirent.h>

#include "testutil.h"

#define PROJ "/home/u/.claude/projects/-home-u-proj/"
#define MAIN_PATH PROJ "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0.jsonl"

/* ---- helpers ---- */

static bool starts_with(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static char *read_src(const char *rel, size_t *len)
{
	char *path = tu_src(rel);
	char *data = tu_read(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	return data;
}

static struct tu_run *run_str(const struct plugin *p, const char *path, const char *data)
{
	return tu_parse_buf(p, path, data, strlen(data));
}

/* Field `key` of event i as a string ("" when absent; static buffer). */
static const char *ev_str(const struct tu_run *r, size_t i, const char *key)
{
	static char out[4096];
	struct json_object *o = tu_event(r, i);
	const char *v = pj_str(o, key);
	snprintf(out, sizeof out, "%s", v ? v : "");
	json_object_put(o);
	return out;
}

/* Indexes of events of `kind` (NULL: any) with all of `need` flags set and
 * none of `without`; returns how many, up to max. */
static size_t find_kind(const struct tu_run *r, const char *kind, uint32_t need, uint32_t without,
			size_t *idx, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		if ((r->flags[i] & need) != need || (r->flags[i] & without))
			continue;
		if (kind && strcmp(ev_str(r, i, "kind"), kind) != 0)
			continue;
		if (n < max && idx)
			idx[n] = i;
		n++;
	}
	return n;
}

static size_t count_counted(const struct tu_run *r, const char *type)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ncounted; i++)
		n += !strcmp(r->counted[i], type);
	return n;
}

/* Split data into lines (in place); returns the count, *lines malloc'd. */
static size_t split_lines(char *data, size_t len, char ***lines)
{
	size_t n = 0, cap = 16;
	char **v = xmalloc(cap * sizeof *v);
	size_t i = 0;
	while (i < len) {
		char *nl = memchr(data + i, '\n', len - i);
		size_t k = nl ? (size_t)(nl - (data + i)) : len - i;
		data[i + k] = '\0';
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[n++] = data + i;
		i += k + 1;
	}
	*lines = v;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect every *.jsonl under tests/corpus/claude (recursively). */
static void walk(const char *dir, char ***files, size_t *n)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s/%s", dir, e->d_name);
		struct stat sb;
		ck_assert_int_eq(stat(b.p, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			walk(b.p, files, n);
			buf_free(&b);
		} else if (strlen(e->d_name) > 6 && !strcmp(e->d_name + strlen(e->d_name) - 6, ".jsonl")) {
			*files = xrealloc(*files, (*n + 1) * sizeof **files);
			(*files)[(*n)++] = buf_take(&b);
		} else {
			buf_free(&b);
		}
	}
	closedir(d);
}

static size_t corpus_files(char ***files)
{
	char *dir = tu_src("tests/corpus/claude");
	size_t n = 0;
	*files = NULL;
	walk(dir, files, &n);
	free(dir);
	qsort(*files, n, sizeof **files, cmp_str);
	return n;
}

/* Text a person typed, by a deliberately simple independent rule: a user
 * line, not meta/sidechain/compact summary, whose text does not start with
 * a tag, the local-command caveat or an interrupt notice. */
static bool typed_text(struct json_object *line)
{
	if (pj_bool(line, "isMeta", false) || pj_bool(line, "isSidechain", false) ||
	    pj_bool(line, "isCompactSummary", false))
		return false;
	struct json_object *c = NULL;
	struct json_object *m = pj_obj(line, "message");
	if (!m || !json_object_object_get_ex(m, "content", &c))
		return false;
	struct buf b = BUF_INIT;
	if (json_object_is_type(c, json_type_string)) {
		buf_adds(&b, json_object_get_string(c));
	} else if (json_object_is_type(c, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(c); i++) {
			struct json_object *blk = json_object_array_get_idx(c, i);
			const char *t = pj_str(blk, "type");
			if (t && !strcmp(t, "text") && pj_str(blk, "text"))
				buf_adds(&b, pj_str(blk, "text"));
		}
	}
	const char *s = b.p ? b.p : "";
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	bool typed = *s && *s != '<' && !starts_with(s, "Caveat: The messages below") &&
		     !starts_with(s, "[Request interrupted by user");
	buf_free(&b);
	return typed;
}

/* ---- tests ---- */

START_TEST(test_match_path)
{
	struct plugin p = tu_plugin("claude");
	enum kato_feed (*m)(const char *) = p.desc->match_path;
	ck_assert_int_eq(m(MAIN_PATH), KATO_FEED_LINES);
	ck_assert_int_eq(m(PROJ "agent-a485154.jsonl"), KATO_FEED_LINES);
	ck_assert_int_eq(m(PROJ "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0/subagents/agent-a4.jsonl"),
			 KATO_FEED_LINES);
	ck_assert_int_eq(m(PROJ "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0/subagents/workflows/w1/agent-x.jsonl"),
			 KATO_FEED_LINES);
	ck_assert_int_eq(m("/tmp/some-export.jsonl"), KATO_FEED_LINES | KATO_FEED_WEAK);
	ck_assert_int_eq(m(PROJ "x/subagents/workflows/w1/journal.jsonl"), KATO_FEED_NONE);
	ck_assert_int_eq(m(PROJ "x/subagents/agent-a4.meta.json"), KATO_FEED_NONE);
	ck_assert_int_eq(m(PROJ "notes.txt"), KATO_FEED_NONE);
	ck_assert_int_eq(m(PROJ "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0.jsonl.bak"), KATO_FEED_NONE);
	ck_assert_str_eq(p.desc->name, "claude");
	ck_assert_str_eq(p.desc->default_roots, "${CLAUDE_CONFIG_DIR:-~/.claude}/projects");
	tu_plugin_free(&p);
}
END_TEST

/* How many entries of the sorted array v[0..n) equal key. */
static size_t sorted_count(char **v, size_t n, const char *key)
{
	char **hit = bsearch(&key, v, n, sizeof *v, cmp_str);
	if (!hit)
		return 0;
	char **a = hit, **b = hit;
	while (a > v && !strcmp(a[-1], key))
		a--;
	while (b + 1 < v + n && !strcmp(b[1], key))
		b++;
	return (size_t)(b - a) + 1;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every corpus file: no crash, nothing rejected, no duplicate, no lost
 * human message, every non-conversation type counted. */
START_TEST(test_corpus)
{
	struct plugin p = tu_plugin("claude");
	char **files;
	size_t nf = corpus_files(&files);
	ck_assert_uint_ge(nf, 13);
	for (size_t f = 0; f < nf; f++) {
		struct tu_run *r = tu_parse_file(&p, files[f]);
		ck_assert_msg(r->nrejected == 0, "%s: %zu rejected", files[f], r->nrejected);
		ck_assert_msg(r->n > 0, "%s: no events", files[f]);
		const char *base = strrchr(files[f], '/') + 1;
		bool agent = starts_with(base, "agent-");

		/* independent tallies from the file itself, one pass */
		size_t len;
		char *data = tu_read(files[f], &len);
		char **lines;
		size_t nl = split_lines(data, len, &lines);
		size_t typed = 0, nbad = 0, nuk = 0, nother = 0;
		char **userkeys = xmalloc((nl + 1) * sizeof *userkeys);
		char **other = xmalloc((nl + 1) * sizeof *other);
		for (size_t i = 0; i < nl; i++) {
			struct json_object *o = pj_parse(lines[i], strlen(lines[i]));
			if (!o) {
				nbad++;
				continue;
			}
			const char *t = pj_str(o, "type");
			if (t && !strcmp(t, "user")) {
				if (!agent && typed_text(o))
					typed++;
				struct buf k = BUF_INIT;
				buf_printf(&k, "%s\x1f%s", pj_str(o, "uuid") ? pj_str(o, "uuid") : "",
					   pj_str(o, "timestamp") ? pj_str(o, "timestamp") : "");
				userkeys[nuk++] = buf_take(&k);
			} else if (t && strcmp(t, "assistant") && strcmp(t, "system") && strcmp(t, "summary") &&
				   strcmp(t, "custom-title") && strcmp(t, "ai-title") && strcmp(t, "agent-name")) {
				other[nother++] = xstrdup(t);
			}
			json_object_put(o);
		}
		ck_assert_msg(r->nbad == nbad, "%s: %zu malformed, expected %zu", files[f], r->nbad, nbad);
		qsort(userkeys, nuk, sizeof *userkeys, cmp_str);
		qsort(other, nother, sizeof *other, cmp_str);

		/* every other record type is counted, as itself or unknown:<type> */
		for (size_t i = 0; i < nother; i++) {
			if (i > 0 && !strcmp(other[i - 1], other[i]))
				continue;
			struct buf u = BUF_INIT;
			buf_printf(&u, "unknown:%s", other[i]);
			size_t want = sorted_count(other, nother, other[i]);
			size_t got = count_counted(r, other[i]) + count_counted(r, u.p);
			ck_assert_msg(got == want, "%s: type %s counted %zu times, %zu lines", files[f], other[i],
				      got, want);
			buf_free(&u);
		}

		size_t human = find_kind(r, "message.user", KATO_EVENT_HUMAN, KATO_EVENT_SIDECHAIN, NULL, 0);
		ck_assert_msg(human == typed, "%s: %zu human messages, %zu typed lines", files[f], human, typed);
		ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_HUMAN | KATO_EVENT_INJECTED, 0, NULL, 0),
				  0);
		if (agent)
			ck_assert_uint_eq(find_kind(r, NULL, 0, KATO_EVENT_SIDECHAIN, NULL, 0), 0);

		/* duplicates: assistant-side events unique by kind+content+time;
		 * user messages no more often than source lines with their uuid+time */
		char **keys = xmalloc((r->n + 1) * sizeof *keys);
		char **ukeys = xmalloc((r->n + 1) * sizeof *ukeys);
		size_t nk = 0, nu = 0;
		for (size_t i = 0; i < r->n; i++) {
			struct json_object *o = tu_event(r, i);
			const char *k = pj_str(o, "kind");
			struct buf b = BUF_INIT;
			if (!strcmp(k, "message.assistant") || !strcmp(k, "thinking") || !strcmp(k, "tool.call")) {
				buf_printf(&b, "%s\x1f%s\x1f%s\x1f%s", k,
					   pj_str(o, "content") ? pj_str(o, "content") : "",
					   pj_str(o, "toolCallId") ? pj_str(o, "toolCallId") : "",
					   pj_str(o, "timestamp"));
				keys[nk++] = buf_take(&b);
			} else if (!strcmp(k, "message.user")) {
				buf_printf(&b, "%s\x1f%s", pj_str(o, "turnId") ? pj_str(o, "turnId") : "",
					   pj_str(o, "timestamp"));
				ukeys[nu++] = buf_take(&b);
			}
			json_object_put(o);
		}
		qsort(keys, nk, sizeof *keys, cmp_str);
		for (size_t i = 1; i < nk; i++)
			ck_assert_msg(strcmp(keys[i - 1], keys[i]) != 0, "%s: duplicate %s", files[f], keys[i]);
		qsort(ukeys, nu, sizeof *ukeys, cmp_str);
		for (size_t i = 0; i < nu; i++) {
			size_t have = sorted_count(ukeys, nu, ukeys[i]);
			size_t src = sorted_count(userkeys, nuk, ukeys[i]);
			ck_assert_msg(have <= src, "%s: user message %s emitted %zu times from %zu lines", files[f],
				      ukeys[i], have, src);
		}
		free_strv(keys, nk);
		free_strv(ukeys, nu);
		free_strv(userkeys, nuk);
		free_strv(other, nother);
		/* the session is the one its records name (a renamed copy lands
		 * in it too): sessionId, or agent-<agentId> for an agent
		 * transcript; agent-*.jsonl keeps its name */
		struct buf want = BUF_INIT;
		if (agent)
			buf_add(&want, base, strlen(base) - 6);
		for (size_t i = 0; !agent && i < nl && !want.len; i++) {
			struct json_object *o = pj_parse(lines[i], strlen(lines[i]));
			if (o && pj_str(o, "uuid") && pj_str(o, "sessionId")) {
				if (pj_bool(o, "isSidechain", false) && pj_str(o, "agentId"))
					buf_printf(&want, "agent-%s", pj_str(o, "agentId"));
				else
					buf_adds(&want, pj_str(o, "sessionId"));
			}
			json_object_put(o);
		}
		ck_assert_msg(want.len && !strcmp(r->session_id, want.p), "%s: session %s, want %s", files[f],
			      r->session_id, want.p ? want.p : "?");
		buf_free(&want);
		free(lines);
		free(data);
		tu_run_free(r);
		free(files[f]);
	}
	free(files);
	tu_plugin_free(&p);
}
END_TEST

/* claude-session.jsonl: the reference's kind sequence and example line. */
START_TEST(test_ref_session)
{
	struct plugin p = tu_plugin("claude");
	size_t len;
	char *data = read_src("tests/data/kato-fixtures/claude-session.jsonl", &len);
	struct tu_run *r = tu_parse_buf(&p, PROJ "sess-001.jsonl", data, len);
	static const char *const want[] = {
		"message.user", "thinking",          "message.assistant", "tool.call",    "tool.result",
		"tool.call",    "tool.result",       "message.assistant", "message.user", "message.assistant",
	};
	size_t idx[16];
	size_t n = find_kind(r, NULL, 0, KATO_EVENT_SIDECHAIN, idx, 16);
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(ev_str(r, idx[i], "kind"), want[i]);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_eq(r->nbad, 0);

	/* ref §1.2 example, without rawCursor */
	const char *line = "{\"eventId\":\"msg-a1c:tool.call\",\"provider\":\"claude\",\"sessionId\":\"sess-001\","
			   "\"timestamp\":\"2026-02-10T23:36:27.000Z\",\"kind\":\"tool.call\",\"turnId\":\"msg-a1c\","
			   "\"source\":{\"providerEventType\":\"assistant\",\"providerEventId\":\"msg-a1c\"},"
			   "\"toolCallId\":\"toolu_read1\",\"name\":\"Read\",\"description\":\"/home/user/project/package.json\","
			   "\"input\":{\"file_path\":\"/home/user/project/package.json\"}}";
	ck_assert_str_eq(r->events[idx[3]], line);

	/* first user event (ref §8.2) */
	ck_assert_str_eq(ev_str(r, idx[0], "content"), "I want to add authentication to my app. Can you help?");
	ck_assert_str_eq(ev_str(r, idx[0], "turnId"), "msg-u1");
	ck_assert_str_eq(ev_str(r, idx[0], "timestamp"), "2026-02-10T23:36:18.000Z");
	ck_assert_uint_eq(r->flags[idx[0]], KATO_EVENT_HUMAN);
	ck_assert_uint_eq(r->flags[idx[8]], KATO_EVENT_HUMAN);
	ck_assert_str_eq(ev_str(r, idx[1], "content"), "The user wants auth. Let me check what framework they're using.");
	ck_assert_str_eq(ev_str(r, idx[2], "model"), "claude-opus-4-6");
	ck_assert_str_eq(ev_str(r, idx[5], "description"), "auth|login|session");
	ck_assert_str_eq(ev_str(r, idx[6], "toolCallId"), "toolu_grep1");
	ck_assert_str_eq(ev_str(r, idx[6], "result"), "No matches found.");
	ck_assert_str_eq(ev_str(r, idx[4], "eventId"), "msg-tr1:tool.result");

	/* the sidechain line is kept, flagged, never human */
	size_t side[4];
	ck_assert_uint_eq(find_kind(r, NULL, KATO_EVENT_SIDECHAIN, 0, side, 4), 1);
	ck_assert_str_eq(ev_str(r, side[0], "content"), "This is a sidechain message that should be skipped.");
	ck_assert_uint_eq(r->flags[side[0]], KATO_EVENT_SIDECHAIN);

	/* noise is counted */
	ck_assert_uint_eq(count_counted(r, "queue-operation"), 1);
	ck_assert_uint_eq(count_counted(r, "progress"), 1);
	ck_assert_uint_eq(count_counted(r, "file-history-snapshot"), 1);
	ck_assert_str_eq(r->session_id, "sess-001");
	ck_assert_str_eq(r->cwd, "/home/user/project");
	ck_assert_str_eq(r->model, "claude-opus-4-6");
	tu_run_free(r);
	free(data);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_ref_ask_and_string)
{
	struct plugin p = tu_plugin("claude");
	size_t len;
	char *data = read_src("tests/data/kato-fixtures/claude-session-ask-user-question.jsonl", &len);
	struct tu_run *r = tu_parse_buf(&p, PROJ "sess-ask-1.jsonl", data, len);
	ck_assert_uint_eq(r->n, 5);
	ck_assert_str_eq(ev_str(r, 0, "kind"), "message.assistant");
	ck_assert_str_eq(ev_str(r, 0, "content"), "Thanks for the selection.");
	ck_assert_str_eq(ev_str(r, 1, "kind"), "tool.call");
	ck_assert_str_eq(ev_str(r, 2, "kind"), "decision");
	ck_assert_str_eq(ev_str(r, 3, "kind"), "tool.result");
	ck_assert_str_eq(ev_str(r, 4, "kind"), "decision");
	ck_assert_uint_eq(tu_count_kind(r, "message.user"), 0);

	struct json_object *d = tu_event(r, 2);
	ck_assert_str_eq(pj_str(d, "decisionId"), "ask-a1:decision");
	ck_assert_str_eq(pj_str(d, "decisionKey"), "which-file-should-we-start-implementation-with");
	ck_assert_str_eq(pj_str(d, "summary"), "Which file should we start implementation with?");
	ck_assert_str_eq(pj_str(d, "status"), "proposed");
	ck_assert_str_eq(pj_str(d, "decidedBy"), "assistant");
	ck_assert_str_eq(pj_text(pj_arr(d, "basisEventIds")), "[\"ask-a1:tool.call\"]");
	ck_assert_str_eq(pj_text(pj_obj(d, "metadata")),
			 "{\"header\":\"Start with\",\"options\":[{\"label\":\"shared contracts\",\"description\":"
			 "\"shared/src/contracts/status.ts\"},{\"label\":\"projection helpers\",\"description\":"
			 "\"shared/src/status_projection.ts\"}],\"multiSelect\":false}");
	json_object_put(d);

	d = tu_event(r, 4);
	ck_assert_str_eq(pj_str(d, "decisionId"), "ask-u1:decision");
	ck_assert_str_eq(pj_str(d, "summary"),
			 "Which file should we start implementation with? -> shared contracts");
	ck_assert_str_eq(pj_str(d, "status"), "accepted");
	ck_assert_str_eq(pj_str(d, "decidedBy"), "user");
	ck_assert_str_eq(pj_text(pj_arr(d, "basisEventIds")), "[\"ask-u1:tool.result\"]");
	struct json_object *meta = pj_obj(d, "metadata");
	ck_assert_str_eq(pj_str(meta, "providerQuestionId"), "Which file should we start implementation with?");
	ck_assert_str_eq(pj_str(meta, "header"), "Start with");
	ck_assert_uint_eq(json_object_array_length(pj_arr(meta, "options")), 2);
	json_object_put(d);
	tu_run_free(r);
	free(data);

	data = read_src("tests/data/kato-fixtures/claude-session-user-string-content.jsonl", &len);
	r = tu_parse_buf(&p, PROJ "sess-string-1.jsonl", data, len);
	ck_assert_uint_eq(r->n, 2);
	ck_assert_str_eq(ev_str(r, 0, "content"), "Please do a quick capture.\n::capture notes/out-of-turn.md");
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_HUMAN);
	ck_assert_str_eq(ev_str(r, 1, "content"), "Acknowledged.");
	tu_run_free(r);
	free(data);
	tu_plugin_free(&p);
}
END_TEST

/* One response split over lines, and partial copies written again. */
static const char split_fixture[] =
	"{\"type\":\"assistant\",\"uuid\":\"a1\",\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"message\":{\"id\":\"msg_1\",\"model\":\"m1\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"plan\"}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a2\",\"timestamp\":\"2026-01-01T00:00:01.100Z\",\"message\":{\"id\":\"msg_1\",\"model\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"Looking.\"}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a3\",\"timestamp\":\"2026-01-01T00:00:01.200Z\",\"message\":{\"id\":\"msg_1\",\"model\":\"m1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{\"command\":\"ls\"}}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a4\",\"timestamp\":\"2026-01-01T00:00:01.300Z\",\"message\":{\"id\":\"msg_1\",\"model\":\"m1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"Bash\",\"input\":{\"command\":\"pwd\"}}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a5\",\"timestamp\":\"2026-01-01T00:00:01.400Z\",\"message\":{\"id\":\"msg_1\",\"model\":\"m1\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"plan\"},{\"type\":\"text\",\"text\":\"Looking.\"},{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{\"command\":\"ls\"}},{\"type\":\"text\",\"text\":\"And more.\"}]}}\n"
	"{\"type\":\"user\",\"uuid\":\"u1\",\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"a\\nb\"},{\"type\":\"tool_result\",\"tool_use_id\":\"t2\",\"content\":[{\"type\":\"text\",\"text\":\"/x\"},{\"type\":\"image\",\"source\":{}}],\"is_error\":true}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a6\",\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"message\":{\"id\":\"msg_2\",\"model\":\"m2\",\"content\":[{\"type\":\"text\",\"text\":\"Looking.\"}]}}\n"
	"{\"type\":\"assistant\",\"uuid\":\"a6\",\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"message\":{\"id\":\"msg_2\",\"model\":\"m2\",\"content\":[{\"type\":\"text\",\"text\":\"Looking.\"}]}}\n";

START_TEST(test_split_and_repeat)
{
	struct plugin p = tu_plugin("claude");
	struct tu_run *r = run_str(&p, MAIN_PATH, split_fixture);
	ck_assert_uint_eq(r->nrejected, 0);
	/* thinking, Looking., t1, t2, And more., 2 results, Looking. (msg_2) */
	ck_assert_uint_eq(r->n, 8);
	ck_assert_str_eq(ev_str(r, 0, "eventId"), "a1:thinking");
	ck_assert_str_eq(ev_str(r, 1, "eventId"), "a2:message.assistant");
	ck_assert_str_eq(ev_str(r, 2, "eventId"), "a3:tool.call");
	ck_assert_str_eq(ev_str(r, 2, "description"), "ls");
	ck_assert_str_eq(ev_str(r, 3, "toolCallId"), "t2");
	ck_assert_str_eq(ev_str(r, 4, "eventId"), "a5:message.assistant");
	ck_assert_str_eq(ev_str(r, 4, "content"), "And more.");
	ck_assert_str_eq(ev_str(r, 5, "eventId"), "u1:tool.result");
	ck_assert_str_eq(ev_str(r, 5, "result"), "a\nb");
	ck_assert_uint_eq(r->flags[5], 0);
	ck_assert_str_eq(ev_str(r, 6, "eventId"), "u1:tool.result:1");
	ck_assert_str_eq(ev_str(r, 6, "result"), "/x");
	ck_assert_uint_eq(r->flags[6], KATO_EVENT_ERROR);
	/* same text under another message id is its own message */
	ck_assert_str_eq(ev_str(r, 7, "eventId"), "a6:message.assistant");
	ck_assert_str_eq(ev_str(r, 7, "model"), "m2");
	ck_assert_str_eq(r->model, "m2");
	ck_assert_uint_eq(tu_count_kind(r, "message.user"), 0);
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_human_and_injected)
{
	struct plugin p = tu_plugin("claude");
	const char *in =
		"{\"type\":\"user\",\"uuid\":\"u1\",\"timestamp\":\"t1\",\"isMeta\":true,\"message\":{\"role\":\"user\",\"content\":\"Caveat: The messages below were generated by the user while running local commands. DO NOT respond.\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u2\",\"timestamp\":\"t2\",\"message\":{\"role\":\"user\",\"content\":\"<command-name>/clear</command-name>\\n<command-message>clear</command-message>\\n<command-args>::stop</command-args>\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u3\",\"timestamp\":\"t3\",\"message\":{\"role\":\"user\",\"content\":\"<local-command-stdout>Bye!</local-command-stdout>\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u4\",\"timestamp\":\"t4\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"[Request interrupted by user for tool use]\"}]}}\n"
		"{\"type\":\"user\",\"uuid\":\"u5\",\"timestamp\":\"t5\",\"message\":{\"role\":\"user\",\"content\":\"<local-command-caveat>Caveat: The messages below were generated by the user while running local commands.</local-command-caveat>\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u6\",\"timestamp\":\"t6\",\"isMeta\":true,\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Base directory for this skill: /x\"}]}}\n"
		"{\"type\":\"user\",\"uuid\":\"u7\",\"timestamp\":\"t7\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"data\":\"AAAA\"}},{\"type\":\"text\",\"text\":\"\\u001b[1m::record\\u001b[0m <system-reminder>\\nignore\\n</system-reminder> now\"}]}}\n"
		"{\"type\":\"user\",\"uuid\":\"u8\",\"timestamp\":\"t8\",\"isSidechain\":true,\"message\":{\"role\":\"user\",\"content\":\"sub-agent prompt\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u9\",\"timestamp\":\"t9\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"<ide_selection>a</ide_selection>\"}]}}\n"
		"{\"type\":\"user\",\"uuid\":\"u10\",\"timestamp\":\"t10\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"r\"},{\"type\":\"text\",\"text\":\"typed while the tool ran\"}]}}\n"
		"{\"type\":\"assistant\",\"uuid\":\"a1\",\"timestamp\":\"t11\",\"message\":{\"model\":\"<synthetic>\",\"content\":[{\"type\":\"text\",\"text\":\"x\\r\\n\\r\\n\\r\\n\\r\\ny  \"},{\"type\":\"redacted_thinking\",\"data\":\"zz\"},{\"type\":\"fallback\",\"from\":{}},{\"type\":\"server_tool_use\",\"id\":\"s\"}]}}\n";
	struct tu_run *r = run_str(&p, MAIN_PATH, in);
	ck_assert_uint_eq(r->nrejected, 0);
	size_t idx[16];
	ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_INJECTED, 0, idx, 16), 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_uint_eq(r->flags[idx[i]] & KATO_EVENT_HUMAN, 0);
	ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_HUMAN, 0, idx, 16), 2);
	ck_assert_str_eq(ev_str(r, idx[0], "turnId"), "u7");
	ck_assert_str_eq(ev_str(r, idx[0], "content"), "::record  now");
	ck_assert_str_eq(ev_str(r, idx[1], "turnId"), "u10");
	ck_assert_str_eq(ev_str(r, idx[1], "content"), "typed while the tool ran");
	ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_SIDECHAIN, 0, idx, 16), 1);
	ck_assert_uint_eq(r->flags[idx[0]], KATO_EVENT_SIDECHAIN);
	ck_assert_uint_eq(tu_count_kind(r, "message.user"), 9); /* u9 cleans to nothing */
	ck_assert_uint_eq(count_counted(r, "image"), 1);
	ck_assert_uint_eq(count_counted(r, "redacted_thinking"), 1);
	ck_assert_uint_eq(count_counted(r, "part:fallback"), 1);
	ck_assert_uint_eq(count_counted(r, "part:server_tool_use"), 1);
	ck_assert_uint_eq(find_kind(r, "message.assistant", 0, 0, idx, 16), 1);
	ck_assert_str_eq(ev_str(r, idx[0], "content"), "x\n\ny");
	ck_assert_str_eq(ev_str(r, idx[0], "model"), "<synthetic>");
	ck_assert_ptr_null(r->model); /* <synthetic> is not the session's model */
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_inline_sidechain)
{
	struct plugin p = tu_plugin("claude");
	char *path = tu_src("tests/corpus/claude/kimuson-1.0.98-inline-sidechain-summary.jsonl");
	struct tu_run *r = tu_parse_file(&p, path);
	size_t side = find_kind(r, NULL, KATO_EVENT_SIDECHAIN, 0, NULL, 0);
	ck_assert_uint_gt(side, 300);
	ck_assert_uint_eq(find_kind(r, NULL, KATO_EVENT_SIDECHAIN | KATO_EVENT_HUMAN, 0, NULL, 0), 0);
	ck_assert_uint_gt(find_kind(r, "message.user", KATO_EVENT_HUMAN, 0, NULL, 0), 0);
	/* its summary record's leafUuid is no message of this file (issue 9
	 * item 5): it describes another conversation and gives no title */
	ck_assert_ptr_null(r->title);
	ck_assert_ptr_null(r->parent_id);
	tu_run_free(r);
	free(path);
	tu_plugin_free(&p);
}
END_TEST

/* Issue 9 item 5: a summary titles the session only when its leafUuid is
 * a message of this session, whether it comes before or after that
 * message; custom-title still wins. The real 1.0.98 file, its summary
 * pointed at one of its own messages, or one appended. */
START_TEST(test_summary_title_needs_own_leaf)
{
	struct plugin p = tu_plugin("claude");
	size_t len;
	char *data = read_src("tests/corpus/claude/kimuson-1.0.98-inline-sidechain-summary.jsonl", &len);
	const char *old = "549b3502-6e30-4fa5-869f-c998df26c3f0";
	char *leaf = strstr(data, "\"uuid\":\"");
	ck_assert_ptr_nonnull(leaf);
	char uuid[37];
	memcpy(uuid, leaf + 8, 36);
	uuid[36] = '\0';
	/* before its leaf: the summary line comes first in the file */
	char *at = strstr(data, old);
	ck_assert_ptr_nonnull(at);
	memcpy(at, uuid, 36);
	struct tu_run *r = run_str(&p, "/p/s1.jsonl", data);
	ck_assert_str_eq(r->title, "Empty Repo Setup: CLAUDE.md Foundation Created");
	tu_run_free(r);
	/* after its leaf, appended; a foreign one after it changes nothing */
	memcpy(at, old, 36);
	struct buf b = BUF_INIT;
	buf_add(&b, data, len);
	buf_printf(&b, "{\"type\":\"summary\",\"summary\":\"Own summary\",\"leafUuid\":\"%s\"}\n", uuid);
	buf_adds(&b, "{\"type\":\"summary\",\"summary\":\"Foreign\",\"leafUuid\":\"no-such-uuid\"}\n");
	r = run_str(&p, "/p/s2.jsonl", buf_str(&b));
	ck_assert_str_eq(r->title, "Own summary");
	tu_run_free(r);
	buf_adds(&b, "{\"type\":\"custom-title\",\"customTitle\":\"Mine\"}\n");
	r = run_str(&p, "/p/s3.jsonl", buf_str(&b));
	ck_assert_str_eq(r->title, "Mine");
	tu_run_free(r);
	buf_free(&b);
	free(data);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_compaction)
{
	struct plugin p = tu_plugin("claude");
	const char *rel = "tests/corpus/claude/entire-apierror-compact-sonnet45.jsonl";
	size_t len;
	char *data = read_src(rel, &len);
	struct tu_run *r = tu_parse_buf(&p, MAIN_PATH, data, len);

	/* what the file says, read independently */
	char **lines;
	size_t nl = split_lines(data, len, &lines);
	char *boundary = NULL, *summary_uuid = NULL, *trigger = NULL;
	int64_t pre = 0;
	size_t api_errors = 0;
	for (size_t i = 0; i < nl; i++) {
		struct json_object *o = pj_parse(lines[i], strlen(lines[i]));
		const char *sub = pj_str(o, "subtype");
		if (sub && !strcmp(sub, "compact_boundary")) {
			boundary = xstrdup(pj_str(o, "uuid"));
			trigger = xstrdup(pj_str(pj_obj(o, "compactMetadata"), "trigger"));
			pre = pj_int(pj_obj(o, "compactMetadata"), "preTokens", 0);
		}
		if (sub && !strcmp(sub, "api_error"))
			api_errors++;
		if (pj_bool(o, "isCompactSummary", false))
			summary_uuid = xstrdup(pj_str(o, "uuid"));
		json_object_put(o);
	}
	ck_assert_ptr_nonnull(boundary);
	ck_assert_ptr_nonnull(summary_uuid);
	ck_assert_int_gt(pre, 0);

	size_t idx[4];
	ck_assert_uint_eq(find_kind(r, "compaction", 0, 0, idx, 4), 2);
	struct json_object *b = tu_event(r, idx[0]);
	struct buf id = BUF_INIT;
	buf_printf(&id, "%s:compaction", boundary);
	ck_assert_str_eq(pj_str(b, "eventId"), id.p);
	ck_assert_str_eq(pj_str(b, "trigger"), trigger);
	ck_assert_int_eq(pj_int(b, "preTokens", -1), pre);
	ck_assert_ptr_null(pj_str(b, "content"));
	json_object_put(b);
	struct json_object *s = tu_event(r, idx[1]);
	ck_assert_str_eq(pj_str(s, "turnId"), summary_uuid);
	ck_assert_msg(starts_with(pj_str(s, "content"), "This session is being continued from a previous conversation"),
		      "summary content: %s", pj_str(s, "content"));
	ck_assert_str_eq(pj_str(s, "trigger"), trigger);
	ck_assert_uint_eq(r->flags[idx[1]], KATO_EVENT_INJECTED);
	json_object_put(s);
	/* the summary is not also a user message */
	for (size_t i = 0; i < r->n; i++)
		ck_assert_msg(!(strstr(r->events[i], "being continued from a previous") &&
				strstr(r->events[i], "\"message.user\"")),
			      "summary leaked as message.user");

	ck_assert_uint_eq(api_errors, 1);
	size_t info[64];
	size_t ni = find_kind(r, "provider.info", 0, 0, info, 64);
	size_t got = 0;
	for (size_t i = 0; i < ni && i < 64; i++) {
		if (strcmp(ev_str(r, info[i], "subtype"), "api_error") != 0)
			continue;
		got++;
		ck_assert_str_eq(ev_str(r, info[i], "level"), "error");
		ck_assert_msg(starts_with(ev_str(r, info[i], "content"), "API error"), "%s", r->events[info[i]]);
	}
	ck_assert_uint_eq(got, 1);
	ck_assert_uint_eq(count_counted(r, "system:turn_duration"), 10);
	buf_free(&id);
	free(boundary);
	free(summary_uuid);
	free(trigger);
	free(lines);
	free(data);
	tu_run_free(r);

	/* microcompaction and system lines with text */
	const char *in =
		"{\"type\":\"system\",\"subtype\":\"microcompact_boundary\",\"uuid\":\"m1\",\"timestamp\":\"t\",\"microcompactMetadata\":{\"trigger\":\"auto\",\"preTokens\":5000,\"tokensSaved\":100}}\n"
		"{\"type\":\"system\",\"subtype\":\"local_command\",\"uuid\":\"l1\",\"timestamp\":\"t\",\"level\":\"info\",\"content\":\"<local-command-stdout>ok</local-command-stdout>\"}\n"
		"{\"type\":\"system\",\"uuid\":\"o1\",\"timestamp\":\"t\",\"level\":\"warning\",\"content\":\"old style\"}\n"
		"{\"type\":\"system\",\"subtype\":\"stop_hook_summary\",\"uuid\":\"h1\",\"timestamp\":\"t\",\"hookErrors\":[],\"stopReason\":\"\"}\n";
	r = run_str(&p, MAIN_PATH, in);
	ck_assert_uint_eq(r->n, 3);
	ck_assert_str_eq(r->events[0],
			 "{\"eventId\":\"m1:compaction\",\"provider\":\"claude\",\"sessionId\":\"0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0\","
			 "\"timestamp\":\"t\",\"kind\":\"compaction\",\"turnId\":\"m1\",\"source\":{\"providerEventType\":\"system\","
			 "\"providerEventId\":\"m1\"},\"trigger\":\"micro\",\"preTokens\":5000}");
	ck_assert_str_eq(ev_str(r, 1, "subtype"), "local_command");
	ck_assert_str_eq(ev_str(r, 1, "content"), "<local-command-stdout>ok</local-command-stdout>");
	ck_assert_str_eq(ev_str(r, 2, "subtype"), "system");
	ck_assert_str_eq(ev_str(r, 2, "level"), "warning");
	ck_assert_str_eq(ev_str(r, 2, "content"), "old style");
	ck_assert_uint_eq(count_counted(r, "system:stop_hook_summary"), 1);
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_session_facts)
{
	struct plugin p = tu_plugin("claude");
	char *path = tu_src("tests/corpus/claude/entire-tiny-summary.jsonl");
	struct tu_run *r = tu_parse_file(&p, path);
	size_t len;
	char *data = tu_read(path, &len);
	struct json_object *first = pj_parse(data, (size_t)(strchr(data, '\n') - data));
	ck_assert_str_eq(pj_str(first, "type"), "summary");
	/* its leafUuid is no message of this file: no title from it (issue 9) */
	ck_assert_ptr_null(strstr(data, "\"uuid\":\"ad6e295a-2045-4d21-958d-582ae79be8ed\""));
	ck_assert_ptr_null(r->title);
	/* named by its records, not by the file */
	ck_assert_str_eq(r->session_id, "5a3bb1c8-c3ce-466e-b487-24212cbf1da1");
	json_object_put(first);
	free(data);
	tu_run_free(r);
	free(path);

	/* custom-title beats ai-title beats summary, whatever the order */
	const char *in =
		"{\"type\":\"custom-title\",\"customTitle\":\"Mine\"}\n"
		"{\"type\":\"summary\",\"summary\":\"Sum\",\"leafUuid\":\"x\"}\n"
		"{\"type\":\"ai-title\",\"aiTitle\":\"AI\"}\n"
		"{\"type\":\"user\",\"uuid\":\"u1\",\"cwd\":\"/w\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n"
		"{\"type\":\"assistant\",\"uuid\":\"a1\",\"cwd\":\"/elsewhere\",\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"message\":{\"model\":\"m-a\",\"content\":[{\"type\":\"text\",\"text\":\"yo\"}]}}\n"
		"{\"type\":\"assistant\",\"uuid\":\"a2\",\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"message\":{\"model\":\"<synthetic>\",\"content\":[{\"type\":\"text\",\"text\":\"No response requested.\"}]}}\n";
	r = run_str(&p, MAIN_PATH, in);
	ck_assert_str_eq(r->title, "Mine");
	ck_assert_str_eq(r->cwd, "/w");
	ck_assert_str_eq(r->model, "m-a");
	ck_assert_str_eq(r->session_id, "0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0");
	tu_run_free(r);
	r = run_str(&p, MAIN_PATH, "{\"type\":\"summary\",\"summary\":\"Sum\"}\n{\"type\":\"ai-title\",\"aiTitle\":\"AI\"}\n");
	ck_assert_str_eq(r->title, "AI");
	ck_assert_uint_eq(r->n, 0);
	tu_run_free(r);

	char *cpath = tu_src("tests/corpus/claude/DERIVED-jazzyalex-composite.jsonl");
	r = tu_parse_file(&p, cpath);
	ck_assert_str_eq(r->title, "Stage0 small fixture");
	ck_assert_uint_eq(count_counted(r, "unknown:bridge-session"), 0);
	ck_assert_uint_eq(count_counted(r, "bridge-session"), 1);
	tu_run_free(r);
	free(cpath);

	r = run_str(&p, MAIN_PATH, "{\"type\":\"brand-new-thing\",\"x\":1}\n");
	ck_assert_uint_eq(count_counted(r, "unknown:brand-new-thing"), 1);
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_subagent_parent)
{
	struct plugin p = tu_plugin("claude");
	char *path = tu_src("tests/corpus/claude/codemie-subagent-parent-2.1.7/subagents/agent-a485154.jsonl");
	struct tu_run *r = tu_parse_file(&p, path);
	size_t len;
	char *data = tu_read(path, &len);
	struct json_object *first = pj_parse(data, (size_t)(strchr(data, '\n') - data));
	ck_assert_str_eq(r->session_id, "agent-a485154");
	ck_assert_ptr_nonnull(r->parent_id);
	ck_assert_str_eq(r->parent_id, pj_str(first, "sessionId"));
	ck_assert_uint_eq(find_kind(r, NULL, KATO_EVENT_SIDECHAIN, 0, NULL, 0), r->n);
	ck_assert_uint_eq(find_kind(r, NULL, KATO_EVENT_HUMAN, 0, NULL, 0), 0);
	ck_assert_ptr_nonnull(r->model);
	json_object_put(first);
	free(data);
	tu_run_free(r);
	free(path);

	/* 2.0.x: agent-<id>.jsonl beside the main file */
	data = read_src("tests/corpus/claude/codemie-warmup-agent-2.0.64.jsonl", &len);
	r = tu_parse_buf(&p, PROJ "agent-36541525.jsonl", data, len);
	ck_assert_str_eq(r->session_id, "agent-36541525");
	ck_assert_str_eq(r->parent_id, "4c2ddfdc-b619-4525-8d03-1950fb1b0257");
	ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_SIDECHAIN, KATO_EVENT_HUMAN, NULL, 0), 1);
	tu_run_free(r);
	/* the same lines in a main file have no parent */
	r = tu_parse_buf(&p, MAIN_PATH, data, len);
	ck_assert_ptr_null(r->parent_id);
	tu_run_free(r);
	/* under any other name they are recognised as an agent transcript */
	r = tu_parse_buf(&p, "/backup/w.txt", data, len);
	ck_assert_str_eq(r->session_id, "agent-36541525");
	ck_assert_str_eq(r->parent_id, "4c2ddfdc-b619-4525-8d03-1950fb1b0257");
	ck_assert_uint_eq(find_kind(r, "message.user", KATO_EVENT_SIDECHAIN, KATO_EVENT_HUMAN, NULL, 0), 1);
	tu_run_free(r);
	free(data);
	tu_plugin_free(&p);
}
END_TEST

/* ---- restart: parse a prefix, save, reopen from the blob, parse the rest ---- */

struct counted_run {
	struct tu_run r; /* first: tu_* callbacks take it as ctx */
	size_t nsession;
};

static void cr_session(void *ctx, const struct kato_session_info *si)
{
	((struct counted_run *)ctx)->nsession++;
	tu_session(ctx, si);
}

static const struct kato_host cr_host = {
	sizeof(struct kato_host), KATO_PROVIDER_ABI_MINOR, tu_emit, cr_session, tu_count, tu_log,
	tu_record_end,
};

/* Feed lines [0,n) with a restart before line `cut` (n: no restart). */
static struct counted_run *run_restart(const struct plugin *p, const char *path, char **lines, size_t n,
				       size_t cut)
{
	struct counted_run *cr = xcalloc(1, sizeof *cr);
	cr->r.plugin = p;
	void *st = NULL;
	ck_assert_int_eq(p->desc->open_file(&cr_host, cr, path, NULL, 0, &st), 0);
	for (size_t i = 0; i < n; i++) {
		if (i == cut) {
			const void *blob;
			size_t blen;
			ck_assert_int_eq(p->desc->save_state(st, &blob, &blen), 0);
			char *copy = xmalloc(blen + 1);
			memcpy(copy, blob, blen);
			p->desc->close_file(st);
			ck_assert_int_eq(p->desc->open_file(&cr_host, cr, path, copy, blen, &st), 0);
			free(copy);
		}
		if (p->desc->parse_line(st, lines[i], strlen(lines[i])) == 1)
			cr->r.nbad++;
	}
	p->desc->close_file(st);
	return cr;
}

static void check_restarts(const struct plugin *p, const char *path, char *data, size_t len, size_t step)
{
	char **lines;
	size_t n = split_lines(data, len, &lines);
	struct counted_run *full = run_restart(p, path, lines, n, n);
	ck_assert_uint_gt(full->r.n, 0);
	for (size_t cut = 1; cut < n; cut += step) {
		struct counted_run *two = run_restart(p, path, lines, n, cut);
		ck_assert_msg(two->r.n == full->r.n, "%s cut %zu: %zu events, full parse %zu", path, cut,
			      two->r.n, full->r.n);
		for (size_t i = 0; i < full->r.n; i++)
			ck_assert_str_eq(two->r.events[i], full->r.events[i]);
		ck_assert_uint_eq(two->nsession, full->nsession);
		ck_assert_str_eq(two->r.session_id, full->r.session_id);
		if (full->r.title)
			ck_assert_str_eq(two->r.title, full->r.title);
		if (full->r.model)
			ck_assert_str_eq(two->r.model, full->r.model);
		tu_run_free(&two->r);
	}
	tu_run_free(&full->r);
	free(lines);
}

START_TEST(test_restart)
{
	struct plugin p = tu_plugin("claude");
	/* every cut of the split/repeat fixture: the dedupe memory must survive */
	char *d = xstrdup(split_fixture);
	check_restarts(&p, MAIN_PATH, d, strlen(d), 1);
	free(d);
	static const char *const files[] = {
		"tests/data/kato-fixtures/claude-session.jsonl",
		"tests/corpus/claude/DERIVED-jazzyalex-composite.jsonl",
		"tests/corpus/claude/entire-v2.0.76-compact.jsonl",
	};
	for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
		size_t len;
		char *data = read_src(files[f], &len);
		check_restarts(&p, MAIN_PATH, data, len, f == 2 ? 23 : 1);
		free(data);
	}
	/* a restart between compact_boundary and its summary keeps the trigger */
	size_t len;
	char *data = read_src("tests/corpus/claude/entire-apierror-compact-sonnet45.jsonl", &len);
	char *copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	char **lines;
	size_t n = split_lines(copy, len, &lines);
	size_t cut = 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], "\"compact_boundary\""))
			cut = i + 1;
	ck_assert_uint_gt(cut, 0);
	struct counted_run *full = run_restart(&p, MAIN_PATH, lines, n, n);
	struct counted_run *two = run_restart(&p, MAIN_PATH, lines, n, cut);
	ck_assert_uint_eq(two->r.n, full->r.n);
	for (size_t i = 0; i < full->r.n; i++)
		ck_assert_str_eq(two->r.events[i], full->r.events[i]);
	tu_run_free(&full->r);
	tu_run_free(&two->r);
	free(lines);
	free(copy);
	free(data);

	/* a garbage blob is not fatal */
	void *st = NULL;
	struct tu_run *r = xcalloc(1, sizeof *r);
	r->plugin = &p;
	ck_assert_int_eq(p.desc->open_file(&tu_host, r, MAIN_PATH, "{nope", 5, &st), 0);
	const char *one = "{\"type\":\"user\",\"uuid\":\"u\",\"message\":{\"content\":\"x\"}}";
	ck_assert_int_eq(p.desc->parse_line(st, one, strlen(one)), 0);
	p.desc->reset(st);
	p.desc->close_file(st);
	ck_assert_uint_eq(r->n, 1);
	tu_run_free(r);

	/* a file read on from a cursor saved before sessions were named by
	 * their records stays in the session its name gave it; a new one's
	 * state carries the session its records named */
	const char *named = "{\"type\":\"user\",\"uuid\":\"u2\",\"sessionId\":\"S-REC\",\"message\":{\"content\":\"y\"}}";
	r = xcalloc(1, sizeof *r);
	r->plugin = &p;
	ck_assert_int_eq(p.desc->open_file(&tu_host, r, PROJ "old-name.jsonl", "{\"v\":1,\"named\":true}", 20, &st), 0);
	const char *three = "{\"type\":\"custom-title\",\"customTitle\":\"T\"}";
	ck_assert_int_eq(p.desc->parse_line(st, named, strlen(named)), 0);
	ck_assert_int_eq(p.desc->parse_line(st, three, strlen(three)), 0);
	ck_assert_str_eq(r->session_id, "old-name");
	p.desc->close_file(st);
	tu_run_free(r);
	r = xcalloc(1, sizeof *r);
	r->plugin = &p;
	ck_assert_int_eq(p.desc->open_file(&tu_host, r, PROJ "new-name.jsonl", NULL, 0, &st), 0);
	ck_assert_int_eq(p.desc->parse_line(st, named, strlen(named)), 0);
	ck_assert_str_eq(r->session_id, "S-REC");
	const void *blob;
	size_t blen;
	ck_assert_int_eq(p.desc->save_state(st, &blob, &blen), 0);
	char *saved = xstrndup(blob, blen);
	p.desc->close_file(st);
	free(r->session_id);
	r->session_id = NULL;
	ck_assert_int_eq(p.desc->open_file(&tu_host, r, PROJ "renamed-again.jsonl", saved, blen, &st), 0);
	ck_assert_int_eq(p.desc->parse_line(st, three, strlen(three)), 0);
	ck_assert_str_eq(r->session_id, "S-REC");
	p.desc->close_file(st);
	free(saved);
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_malformed)
{
	struct plugin p = tu_plugin("claude");
	struct tu_run *r = xcalloc(1, sizeof *r);
	r->plugin = &p;
	void *st = NULL;
	ck_assert_int_eq(p.desc->open_file(&tu_host, r, MAIN_PATH, NULL, 0, &st), 0);
	int (*pl)(void *, const char *, size_t) = p.desc->parse_line;
#define PL(s) pl(st, s, strlen(s))
	ck_assert_int_eq(PL("not json"), 1);
	ck_assert_int_eq(PL("{\"type\":\"user\",\"uuid\":\"x\""), 1); /* half-written */
	ck_assert_int_eq(PL(""), 1);
	ck_assert_uint_eq(r->n, 0);
	ck_assert_ptr_null(r->session_id); /* no state change, nothing named */
	ck_assert_int_eq(PL("[1,2]"), 0);
	ck_assert_int_eq(PL("\"str\""), 0);
	ck_assert_int_eq(PL("{\"type\":5}"), 0);
	ck_assert_int_eq(PL("{}"), 0);
	ck_assert_uint_eq(count_counted(r, "malformed"), 4);
	/* wrong types everywhere: no crash, nothing rejected */
	static const char *const wrong[] = {
		"{\"type\":\"user\",\"message\":\"str\"}",
		"{\"type\":\"user\",\"uuid\":7,\"timestamp\":[],\"message\":{\"content\":5}}",
		"{\"type\":\"user\",\"message\":{\"content\":[null,1,\"s\",{\"type\":7},{\"type\":\"text\",\"text\":{}}]}}",
		"{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":7,\"content\":[{\"type\":\"text\",\"text\":5},7]}]},\"toolUseResult\":{\"answers\":{\"q\":[1,\"b\",null],\"r\":{}},\"questions\":\"x\"}}",
		"{\"type\":\"user\",\"message\":{\"content\":[]},\"toolUseResult\":{\"answers\":[1],\"questions\":[{\"question\":5,\"options\":7}]}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":[1,null,{\"type\":7},{\"type\":\"tool_use\",\"input\":\"x\",\"name\":5,\"id\":[]},{\"type\":\"thinking\",\"thinking\":5}]}}",
		"{\"type\":\"assistant\",\"message\":{\"id\":5,\"model\":{},\"content\":[{\"type\":\"tool_use\",\"name\":\"AskUserQuestion\",\"input\":{\"questions\":[null,{\"question\":\" \"},{\"question\":\"Q?\",\"options\":[1,{\"label\":2}],\"multiSelect\":\"no\"}]}}]}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{\"command\":7,\"description\":[]}}]}}",
		"{\"type\":\"assistant\",\"message\":{\"content\":\"plain string reply\"}}",
		"{\"type\":\"system\",\"subtype\":7,\"content\":{},\"level\":3}",
		"{\"type\":\"system\",\"subtype\":\"compact_boundary\",\"compactMetadata\":\"x\"}",
		"{\"type\":\"user\",\"isCompactSummary\":\"yes\",\"message\":{\"content\":\"s\"}}",
		"{\"type\":\"system\",\"subtype\":\"api_error\",\"error\":\"boom\",\"retryAttempt\":\"1\"}",
		"{\"type\":\"system\",\"subtype\":\"api_error\",\"error\":[1]}",
		"{\"type\":\"summary\",\"summary\":5}",
		"{\"type\":\"custom-title\",\"customTitle\":null}",
		"{\"type\":\"assistant\",\"isSidechain\":\"true\",\"cwd\":5,\"sessionId\":[],\"message\":{\"content\":[{\"type\":\"text\"}]}}",
	};
	for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++)
		ck_assert_msg(PL(wrong[i]) == 0, "line %zu", i);
	ck_assert_uint_eq(r->nrejected, 0);
	/* too deep for pj_parse: not a record */
	struct buf deep = BUF_INIT;
	buf_adds(&deep, "{\"type\":\"user\",\"message\":{\"content\":");
	for (int i = 0; i < 300; i++)
		buf_adds(&deep, "[");
	for (int i = 0; i < 300; i++)
		buf_adds(&deep, "]");
	buf_adds(&deep, "}}");
	ck_assert_int_eq(pl(st, deep.p, deep.len), 1);
	buf_free(&deep);
	/* a big line (8 MiB of text) */
	size_t big = 8u << 20;
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"type\":\"user\",\"uuid\":\"big\",\"message\":{\"content\":\"");
	for (size_t i = 0; i < big / 64; i++)
		buf_adds(&b, "0123456789abcdef0123456789abcdef<system-reminder>01234</system-reminder>x");
	buf_adds(&b, "\"}}");
	size_t before = r->n;
	ck_assert_int_eq(pl(st, b.p, b.len), 0);
	ck_assert_uint_eq(r->n, before + 1);
	struct json_object *o = tu_event(r, before);
	ck_assert_uint_eq(strlen(pj_str(o, "content")), (big / 64) * 33);
	json_object_put(o);
	buf_free(&b);
	p.desc->close_file(st);
#undef PL
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	struct plugin p = tu_plugin("claude");
	const char in[] = "{\"type\":\"user\",\"uuid\":\"u\",\"timestamp\":\"t\",\"message\":{\"content\":\"ab\xff\xfe c\xc3\"}}\n"
			  "{\"type\":\"assistant\",\"uuid\":\"a\",\"timestamp\":\"t\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"\xe2\x80\xa8 x\xed\xa0\x80 \xe2\x80\xa8\"}]}}\n";
	struct tu_run *r = run_str(&p, MAIN_PATH, in);
	ck_assert_uint_eq(r->nrejected, 0);
	/* json-c passes the bytes through; the events still serialise to
	 * valid JSON (the host replaces bad sequences), and the JS trim still
	 * removes U+2028 at both ends */
	ck_assert_uint_eq(r->n, 2);
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		ck_assert_ptr_nonnull(o);
		json_object_put(o);
	}
	ck_assert(starts_with(ev_str(r, 0, "content"), "ab"));
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_HUMAN);
	ck_assert(starts_with(ev_str(r, 1, "content"), "x"));
	ck_assert_ptr_null(strstr(ev_str(r, 1, "content"), "\xe2\x80\xa8"));
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

/* SPEC §5: text is stored exactly, including an escaped NUL. */
START_TEST(test_escaped_nul)
{
	struct plugin p = tu_plugin("claude");
	const char *in =
		"{\"type\":\"user\",\"uuid\":\"u1\",\"timestamp\":\"t1\",\"message\":{\"role\":\"user\",\"content\":\"A\\u0000B\"}}\n"
		"{\"type\":\"user\",\"uuid\":\"u2\",\"timestamp\":\"t2\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"C\\u0000\\u001b[1mD \"},{\"type\":\"text\",\"text\":\"E\\u0000<system-reminder>x</system-reminder>F\"}]}}\n"
		"{\"type\":\"assistant\",\"uuid\":\"a1\",\"timestamp\":\"t3\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"T\\u0000U\"},{\"type\":\"text\",\"text\":\"X\\u0000Y\"},{\"type\":\"tool_use\",\"id\":\"tu1\",\"name\":\"Bash\",\"input\":{\"command\":\"l\\u0000s\"}}]}}\n"
		"{\"type\":\"user\",\"uuid\":\"u3\",\"timestamp\":\"t4\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"tu1\",\"content\":\"R\\u0000S\"},{\"type\":\"tool_result\",\"tool_use_id\":\"tu1\",\"content\":[{\"type\":\"text\",\"text\":\"P\\u0000Q\"},{\"type\":\"text\",\"text\":\"Z\"}]}]}}\n"
		"{\"type\":\"system\",\"uuid\":\"s1\",\"timestamp\":\"t5\",\"subtype\":\"informational\",\"content\":\"I\\u0000J\"}\n";
	struct tu_run *r = run_str(&p, MAIN_PATH, in);
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"A\\u0000B\""), 1);
	/* cleaning (ANSI, tags, trim) and joining keep what follows a NUL */
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"C\\u0000D\\n\\nE\\u0000F\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"T\\u0000U\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"X\\u0000Y\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"input\":{\"command\":\"l\\u0000s\"}"), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"result\":\"R\\u0000S\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"result\":\"P\\u0000Q\\nZ\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"I\\u0000J\""), 1);
	tu_run_free(r);
	tu_plugin_free(&p);
}
END_TEST

/* A huge line (pj_parse_line's own decoder) gives events with the same
 * text, so the same JSON, as json-c's reading of the line. */
START_TEST(test_huge_line)
{
	struct plugin p = tu_plugin("claude");
	size_t big = PJ_HUGE_LINE + 4096;
	struct buf in = BUF_INIT;
	buf_adds(&in, "{\"type\":\"assistant\",\"uuid\":\"a1\",\"timestamp\":\"2026-01-01T00:00:00.000Z\","
		      "\"message\":{\"id\":\"m\",\"content\":[{\"type\":\"tool_use\",\"id\":\"tu\","
		      "\"name\":\"Bash\",\"input\":{\"command\":\"cat\"}}]}}\n");
	size_t l1 = in.len;
	buf_adds(&in, "{\"type\":\"user\",\"uuid\":\"u1\",\"timestamp\":\"2026-01-01T00:00:01.000Z\","
		      "\"message\":{\"role\":\"user\",\"content\":\"");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}}\n");
	size_t l2 = in.len;
	buf_adds(&in, "{\"type\":\"user\",\"uuid\":\"u2\",\"timestamp\":\"2026-01-01T00:00:02.000Z\","
		      "\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"first\"},"
		      "{\"type\":\"text\",\"text\":\"");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"},{\"type\":\"tool_result\",\"tool_use_id\":\"tu\",\"content\":\"");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}]}}\n");
	struct tu_run *r = tu_parse_buf(&p, "/x/s.jsonl", in.p, in.len);
	ck_assert_uint_eq(r->nbad, 0);
	ck_assert_uint_eq(r->n, 4);

	/* the expected texts, from json-c */
	struct json_object *o1 = pj_parse(in.p + l1, l2 - l1 - 1);
	struct json_object *o2 = pj_parse(in.p + l2, in.len - l2 - 1);
	ck_assert(o1 && o2);
	size_t n, en;
	const char *m1 = pj_strn(pj_obj(o1, "message"), "content", &n);
	char *got = tu_event_text(r, 1, "content", &en);
	ck_assert_uint_eq(en, n);
	ck_assert(!memcmp(got, m1, n));
	free(got);
	struct json_object *parts = pj_arr(pj_obj(o2, "message"), "content");
	const char *m2 = pj_strn(json_object_array_get_idx(parts, 1), "text", &n);
	got = tu_event_text(r, 2, "content", &en);
	ck_assert_uint_eq(en, n + 7);
	ck_assert(!memcmp(got, "first\n\n", 7) && !memcmp(got + 7, m2, n));
	free(got);
	const char *m3 = pj_strn(json_object_array_get_idx(parts, 2), "content", &n);
	got = tu_event_text(r, 3, "result", &en);
	ck_assert_uint_eq(en, n);
	ck_assert(!memcmp(got, m3, n));
	free(got);
	json_object_put(o1);
	json_object_put(o2);
	tu_run_free(r);
	buf_free(&in);
	tu_plugin_free(&p);
}
END_TEST

START_TEST(test_probe)
{
	struct plugin p = tu_plugin("claude");
	tu_check_probe_files(&p);
	enum kato_feed f;
	/* a conversation node: sure; metadata records alone: maybe */
	ck_assert_int_eq(tu_probe_str(&p, "{\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s\",\"message\":{}}\n", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_LINES);
	ck_assert_int_eq(tu_probe_str(&p, "{\"type\":\"summary\",\"summary\":\"t\",\"leafUuid\":\"u\"}\n", &f),
			 KATO_PROBE_MAYBE);
	/* a first line longer than the head: its keys */
	ck_assert_int_eq(tu_probe_str(&p, "{\"parentUuid\":null,\"sessionId\":\"s\",\"message\":{\"content\":\"aaa", &f),
			 KATO_PROBE_MAYBE);
	/* other tools' records, documents, text, nothing */
	ck_assert_int_eq(tu_probe_str(&p, "{\"id\":\"m1\",\"type\":\"user\",\"timestamp\":\"t\",\"content\":\"x\"}\n", &f),
			 KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&p, "{\n  \"type\": \"user\",\n  \"uuid\": \"u\",\n  \"sessionId\": \"s\"\n}\n", &f),
			 KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&p, "hello\n", &f), KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&p, "", &f), KATO_PROBE_NO);
	ck_assert_int_eq(f, KATO_FEED_NONE);
	tu_plugin_free(&p);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("claude");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{"match_path", test_match_path},
		{"probe", test_probe},
		{"corpus", test_corpus},
		{"ref_session", test_ref_session},
		{"ref_ask_and_string", test_ref_ask_and_string},
		{"split_and_repeat", test_split_and_repeat},
		{"human_and_injected", test_human_and_injected},
		{"inline_sidechain", test_inline_sidechain},
		{"summary_title_needs_own_leaf", test_summary_title_needs_own_leaf},
		{"compaction", test_compaction},
		{"session_facts", test_session_facts},
		{"subagent_parent", test_subagent_parent},
		{"restart", test_restart},
		{"malformed", test_malformed},
		{"invalid_utf8", test_invalid_utf8},
		{"escaped_nul", test_escaped_nul},
		{"huge_line", test_huge_line},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

TU_MAIN(make_suite)
