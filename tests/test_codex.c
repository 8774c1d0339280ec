/* SPDX-License-Identifier: Apache-2.0 */
/* test_codex: the Codex CLI provider plugin (provider-formats §2, ref §1.3). */
#include "autoconfig.h"

#include <dirent.h>

#include "testutil.h"

static struct plugin cx;

static void setup(void)
{
	cx = tu_plugin("codex");
}

static void teardown(void)
{
	tu_plugin_free(&cx);
}

/* ---- helpers ---- */

static const char *const fixture_files[] = {
	"tests/data/kato-fixtures/codex-session-aborted.jsonl",
	"tests/data/kato-fixtures/codex-session-exec.jsonl",
	"tests/data/kato-fixtures/codex-session-legacy.jsonl",
	"tests/data/kato-fixtures/codex-session-request-user-input.jsonl",
	"tests/data/kato-fixtures/codex-session-vscode-new.jsonl",
};

/* Every Codex file under tests/: the corpus directory plus the fixtures.
 * Caller frees the array and its strings. */
static char **all_files(size_t *n)
{
	char **v = NULL;
	*n = 0;
	char *dir = tu_src("tests/corpus/codex");
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 6, ".jsonl"))
			continue;
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s/%s", dir, e->d_name);
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = buf_take(&b);
	}
	closedir(d);
	free(dir);
	for (size_t i = 0; i < sizeof fixture_files / sizeof *fixture_files; i++) {
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = tu_src(fixture_files[i]);
	}
	ck_assert_uint_ge(*n, 9);
	return v;
}

static void free_files(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct tu_run *run_str(const char *path, const char *data)
{
	return tu_parse_buf(&cx, path, data, strlen(data));
}

static const char *ev_str(struct json_object *o, const char *key)
{
	return pj_str(o, key);
}

/* Trim ASCII whitespace, into a new string. */
static char *trim_dup(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return strndup(s, n);
}

/* Independent scan of a rollout: the human prompts (event_msg user_message
 * messages, or item_completed UserMessage texts when there are none), with
 * the IDE preamble removed, and whether the session is non-interactive. */
static char **scan_prompts(const char *path, size_t *n, bool *batch)
{
	size_t len;
	char *data = tu_read(path, &len);
	ck_assert_ptr_nonnull(data);
	char **em = NULL, **ic = NULL;
	size_t nem = 0, nic = 0;
	bool meta = false;
	*batch = false;
	for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
		struct json_object *o = pj_parse(line, strlen(line));
		struct json_object *p = pj_obj(o, "payload");
		const char *t = pj_str(o, "type"), *pt = pj_str(p, "type");
		if (t && !strcmp(t, "session_meta") && !meta) {
			meta = true;
			const char *src = pj_str(p, "source");
			*batch = src && (!strcmp(src, "exec") || !strcmp(src, "mcp"));
		}
		const char *text = NULL;
		char ***list = NULL;
		size_t *cnt = NULL;
		if (t && !strcmp(t, "event_msg") && pt && !strcmp(pt, "user_message")) {
			text = pj_str(p, "message");
			list = &em, cnt = &nem;
		} else if (t && !strcmp(t, "event_msg") && pt && !strcmp(pt, "item_completed")) {
			struct json_object *it = pj_obj(p, "item");
			if (pj_str(it, "type") && !strcmp(pj_str(it, "type"), "UserMessage")) {
				struct json_object *c = json_object_array_get_idx(pj_arr(it, "content"), 0);
				text = pj_str(c, "text");
				list = &ic, cnt = &nic;
			}
		}
		if (text) {
			const char *mark = strstr(text, "## My request for Codex:\n");
			if (mark)
				text = mark + strlen("## My request for Codex:\n");
			char *tt = trim_dup(text);
			if (*tt) {
				*list = xrealloc(*list, (*cnt + 1) * sizeof **list);
				(*list)[(*cnt)++] = tt;
			} else {
				free(tt);
			}
		}
		json_object_put(o);
	}
	free(data);
	if (nem) {
		for (size_t i = 0; i < nic; i++)
			free(ic[i]);
		free(ic);
		*n = nem;
		return em;
	}
	free(em);
	*n = nic;
	return ic;
}

/* ---- every file ---- */

START_TEST(test_all_files_prompts_once_in_order)
{
	size_t nf;
	char **files = all_files(&nf);
	for (size_t f = 0; f < nf; f++) {
		struct tu_run *r = tu_parse_file(&cx, files[f]);
		ck_assert_msg(r->nrejected == 0, "%s: %zu rejected", files[f], r->nrejected);
		ck_assert_msg(r->nbad == 0, "%s: %zu malformed", files[f], r->nbad);
		ck_assert_msg(r->n > 0, "%s: no events", files[f]);
		ck_assert_ptr_nonnull(r->session_id);
		size_t np;
		bool batch;
		char **prompts = scan_prompts(files[f], &np, &batch);
		/* the HUMAN events, in order */
		size_t k = 0;
		for (size_t i = 0; i < r->n; i++) {
			if (!(r->flags[i] & KATO_EVENT_HUMAN))
				continue;
			struct json_object *o = tu_event(r, i);
			ck_assert_str_eq(ev_str(o, "kind"), "message.user");
			ck_assert_msg(!(r->flags[i] & KATO_EVENT_INJECTED), "%s: human and injected", files[f]);
			ck_assert_msg(k < np, "%s: more human messages than prompts", files[f]);
			ck_assert_msg(!strcmp(ev_str(o, "content"), prompts[k]), "%s: prompt %zu is \"%s\", want \"%s\"",
				      files[f], k, ev_str(o, "content"), prompts[k]);
			k++;
			json_object_put(o);
		}
		if (batch)
			ck_assert_msg(k == 0, "%s: non-interactive session has human messages", files[f]);
		else
			ck_assert_msg(k == np, "%s: %zu human messages, %zu prompts", files[f], k, np);
		/* no assistant text twice at the same time; no two events with
		 * the same id, kind and content */
		struct json_object **ev = xcalloc(r->n, sizeof *ev);
		for (size_t i = 0; i < r->n; i++)
			ev[i] = tu_event(r, i);
		for (size_t i = 0; i < r->n; i++) {
			bool asst = !strcmp(ev_str(ev[i], "kind"), "message.assistant");
			for (size_t j = i + 1; j < r->n; j++) {
				bool same_kind = !strcmp(ev_str(ev[i], "kind"), ev_str(ev[j], "kind"));
				bool same_text = !strcmp(ev_str(ev[i], "content") ?: "", ev_str(ev[j], "content") ?: "");
				/* the DERIVED composite replaced distinct texts by
				 * one placeholder; those are not copies */
				bool placeholder = !strcmp(ev_str(ev[i], "content") ?: "", "[trimmed for fixture]");
				if (asst && same_kind && !placeholder)
					ck_assert_msg(!same_text || strcmp(ev_str(ev[i], "timestamp"), ev_str(ev[j], "timestamp")),
						      "%s: assistant text twice: %s", files[f], ev_str(ev[i], "content"));
				ck_assert_msg(!same_kind || !same_text ||
						      strcmp(ev_str(ev[i], "eventId"), ev_str(ev[j], "eventId")),
					      "%s: duplicate event %s", files[f], ev_str(ev[i], "eventId"));
			}
		}
		for (size_t i = 0; i < r->n; i++)
			json_object_put(ev[i]);
		free(ev);
		for (size_t i = 0; i < np; i++)
			free(prompts[i]);
		free(prompts);
		tu_run_free(r);
	}
	free_files(files, nf);
}
END_TEST

static bool counted(const struct tu_run *r, const char *type)
{
	for (size_t i = 0; i < r->ncounted; i++)
		if (!strcmp(r->counted[i], type))
			return true;
	return false;
}

START_TEST(test_counted_types)
{
	char *p = tu_src("tests/corpus/codex/DERIVED-jazzyalex-composite-0.146.jsonl");
	struct tu_run *r = tu_parse_file(&cx, p);
	ck_assert(counted(r, "world_state"));
	ck_assert(counted(r, "token_count"));
	ck_assert(counted(r, "turn_context"));
	ck_assert(counted(r, "ghost_snapshot"));
	ck_assert(counted(r, "session_meta:ancestor")); /* 7 metas: the first is ours */
	ck_assert_str_eq(r->session_id, "019fc8be-3658-7ca3-9e29-000000000000");
	ck_assert_uint_eq(tu_count_kind(r, "compaction"), 6);
	tu_run_free(r);
	free(p);

	r = run_str("/x/rollout-a.jsonl", "{\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"type\":\"brand_new\",\"payload\":{}}\n"
					  "{\"type\":\"event_msg\",\"payload\":{\"type\":\"new_event\"}}\n"
					  "{\"type\":\"response_item\",\"payload\":{\"type\":\"new_item\"}}\n");
	ck_assert_uint_eq(r->n, 0);
	ck_assert(counted(r, "unknown:brand_new"));
	ck_assert(counted(r, "unknown:new_event"));
	ck_assert(counted(r, "unknown:new_item"));
	tu_run_free(r);
}
END_TEST

START_TEST(test_real_session_facts)
{
	char *p = tu_src("tests/corpus/codex/codemie-rollout-0.125-gpt55-websearch.jsonl");
	struct tu_run *r = tu_parse_file(&cx, p);
	ck_assert_str_eq(r->session_id, "019e1625-789d-76c0-80ab-3724b5ddb799");
	ck_assert_str_eq(r->model, "gpt-5.5");
	ck_assert_ptr_nonnull(r->cwd);
	/* real per-line timestamps; model on assistant messages */
	size_t finals = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		ck_assert_msg(!strncmp(ev_str(o, "timestamp"), "2026-05-11T", 11), "timestamp %s",
			      ev_str(o, "timestamp"));
		if (!strcmp(ev_str(o, "kind"), "message.assistant")) {
			ck_assert_str_eq(ev_str(o, "model"), "gpt-5.5");
			if (!strcmp(ev_str(o, "phase"), "final"))
				finals++;
		}
		json_object_put(o);
	}
	/* two turns, each ends in one final answer (event_msg, response_item
	 * and task_complete all carry it) */
	ck_assert_uint_eq(finals, 2);
	/* 3 web searches: web_search_end and web_search_call are one call each */
	size_t ws = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		if (!strcmp(ev_str(o, "kind"), "tool.call") && !strcmp(ev_str(o, "name"), "web_search"))
			ws++;
		json_object_put(o);
	}
	ck_assert_uint_eq(ws, 3);
	ck_assert_uint_eq(tu_count_kind(r, "tool.call"), 99 + 3 + 3);
	tu_run_free(r);
	free(p);
}
END_TEST

/* ---- the reference's fixtures ---- */

static void assert_kinds(const struct tu_run *r, const char *const *kinds, size_t n)
{
	ck_assert_uint_eq(r->n, n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = tu_event(r, i);
		ck_assert_msg(!strcmp(ev_str(o, "kind"), kinds[i]), "event %zu is %s, want %s", i,
			      ev_str(o, "kind"), kinds[i]);
		json_object_put(o);
	}
}

START_TEST(test_fixture_vscode)
{
	char *p = tu_src("tests/data/kato-fixtures/codex-session-vscode-new.jsonl");
	struct tu_run *r = tu_parse_file(&cx, p);
	/* ref §1.3 example: both task_complete lines suppressed */
	static const char *const kinds[] = {"message.user", "tool.call", "tool.result", "thinking",
					    "message.assistant", "message.assistant", "message.assistant",
					    "message.user", "message.assistant"};
	assert_kinds(r, kinds, 9);
	static const char *const phases[] = {"commentary", "commentary", "final", "final"};
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct json_object *o = tu_event(r, i);
		if (!strcmp(ev_str(o, "kind"), "message.assistant")) {
			ck_assert_str_eq(ev_str(o, "phase"), phases[k++]);
			ck_assert_str_eq(ev_str(o, "model"), "gpt-5.3-codex");
		}
		json_object_put(o);
	}
	struct json_object *o = tu_event(r, 0);
	ck_assert_str_eq(ev_str(o, "content"), "::record @documentation/notes/test.md\nHelp me set up authentication");
	ck_assert_str_eq(ev_str(o, "turnId"), "turn-001");
	ck_assert(r->flags[0] & KATO_EVENT_HUMAN);
	/* ref §1.3: "<sid>:<lineEndByteOffset>:<kind>" */
	ck_assert_str_eq(ev_str(o, "eventId"), "sess-vscode-001:541:message.user");
	json_object_put(o);
	o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "toolCallId"), "call-001");
	ck_assert_str_eq(ev_str(o, "description"), "ls src/");
	json_object_put(o);
	ck_assert_str_eq(r->session_id, "sess-vscode-001");
	ck_assert_str_eq(r->cwd, "/home/user/project");
	tu_run_free(r);
	free(p);
}
END_TEST

START_TEST(test_fixture_request_user_input)
{
	char *p = tu_src("tests/data/kato-fixtures/codex-session-request-user-input.jsonl");
	struct tu_run *r = tu_parse_file(&cx, p);
	static const char *const kinds[] = {
		"message.user",
		"tool.call", "decision", "tool.result", "decision",             /* call-rui-001 */
		"tool.call", "decision", "tool.result", "decision",             /* call-rui-002 */
		"tool.call", "decision", "decision", "tool.result", "decision", "decision", /* 003 */
		"tool.call", "decision", "tool.result", "message.user",         /* malformed */
		"tool.call", "tool.result", "message.assistant",
	};
	assert_kinds(r, kinds, sizeof kinds / sizeof *kinds);

	struct json_object *call = tu_event(r, 1), *prop = tu_event(r, 2), *res = tu_event(r, 3),
			   *acc = tu_event(r, 4);
	ck_assert_str_eq(ev_str(prop, "status"), "proposed");
	ck_assert_str_eq(ev_str(prop, "decidedBy"), "assistant");
	ck_assert_str_eq(ev_str(prop, "summary"), "Choose deploy mode.");
	ck_assert_str_eq(ev_str(prop, "decisionKey"), "deploy-mode");
	ck_assert_str_eq(ev_str(prop, "decisionId"), ev_str(prop, "eventId"));
	ck_assert(strstr(ev_str(prop, "eventId"), ":decision:1") != NULL);
	struct json_object *basis = pj_arr(prop, "basisEventIds");
	ck_assert_uint_eq(json_object_array_length(basis), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(basis, 0)), ev_str(call, "eventId"));
	struct json_object *meta = pj_obj(prop, "metadata");
	ck_assert_str_eq(pj_str(meta, "providerQuestionId"), "deploy_mode");
	ck_assert_str_eq(pj_str(meta, "header"), "Deploy");
	ck_assert_uint_eq(json_object_array_length(pj_arr(meta, "options")), 2);

	ck_assert_str_eq(ev_str(acc, "status"), "accepted");
	ck_assert_str_eq(ev_str(acc, "decidedBy"), "user");
	ck_assert_str_eq(ev_str(acc, "summary"), "Choose deploy mode. -> Blue (Recommended)");
	basis = pj_arr(acc, "basisEventIds");
	ck_assert_uint_eq(json_object_array_length(basis), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(basis, 0)), ev_str(call, "eventId"));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(basis, 1)), ev_str(res, "eventId"));
	json_object_put(call);
	json_object_put(prop);
	json_object_put(res);
	json_object_put(acc);

	struct json_object *d = tu_event(r, 14);
	ck_assert_str_eq(ev_str(d, "summary"), "Log mode? -> Verbose (Recommended)");
	ck_assert(strstr(ev_str(d, "eventId"), ":decision:2") != NULL);
	json_object_put(d);

	/* the unparseable answer: fallback message.user, phase other, not human */
	struct json_object *fb = tu_event(r, 18);
	ck_assert_str_eq(ev_str(fb, "content"), "- Malformed output question?: not-json-response-payload");
	ck_assert_str_eq(ev_str(fb, "phase"), "other");
	ck_assert(strstr(ev_str(fb, "eventId"), ":message.user:1") != NULL);
	ck_assert(!(r->flags[18] & KATO_EVENT_HUMAN));
	json_object_put(fb);

	struct json_object *last = tu_event(r, r->n - 1);
	ck_assert_str_eq(ev_str(last, "phase"), "final");
	ck_assert_str_eq(ev_str(last, "content"), "Thanks for the responses.");
	json_object_put(last);
	tu_run_free(r);
	free(p);
}
END_TEST

START_TEST(test_fixture_aborted_exec_legacy)
{
	char *p = tu_src("tests/data/kato-fixtures/codex-session-aborted.jsonl");
	struct tu_run *r = tu_parse_file(&cx, p);
	static const char *const k1[] = {"message.user", "provider.info"};
	assert_kinds(r, k1, 2);
	struct json_object *o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "subtype"), "turn_aborted");
	json_object_put(o);
	tu_run_free(r);
	free(p);

	p = tu_src("tests/data/kato-fixtures/codex-session-exec.jsonl");
	r = tu_parse_file(&cx, p);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_uint_eq(r->flags[0] & KATO_EVENT_HUMAN, 0);
	o = tu_event(r, 0);
	ck_assert_str_eq(ev_str(o, "content"), "exec sub-agent task");
	json_object_put(o);
	tu_run_free(r);
	free(p);

	/* ref: legacy agent_message lines are commentary without a model */
	p = tu_src("tests/data/kato-fixtures/codex-session-legacy.jsonl");
	r = tu_parse_file(&cx, p);
	static const char *const k3[] = {"message.user", "tool.call", "tool.result", "thinking", "message.assistant"};
	assert_kinds(r, k3, 5);
	o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "description"), "async await javascript");
	ck_assert_str_eq(ev_str(o, "name"), "search");
	json_object_put(o);
	o = tu_event(r, 4);
	ck_assert_str_eq(ev_str(o, "phase"), "commentary");
	ck_assert_ptr_null(ev_str(o, "model"));
	json_object_put(o);
	tu_run_free(r);
	free(p);
}
END_TEST

/* ---- restart through the state blob ---- */

/* Feed lines [from, to) of data to st, collecting into r. */
static void feed_lines(void *st, const char *data, size_t len, size_t from, size_t to, struct tu_run *r)
{
	size_t i = 0, line = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		if (line >= from && line < to) {
			r->record_end = (int64_t)(i + n + (nl ? 1 : 0));
			ck_assert_int_ne(cx.desc->parse_line(st, data + i, n), -1);
		}
		i += n + (nl ? 1 : 0);
		line++;
	}
}

START_TEST(test_restart_same_union)
{
	size_t nf;
	char **files = all_files(&nf);
	for (size_t f = 0; f < nf; f++) {
		size_t len;
		char *data = tu_read(files[f], &len);
		struct tu_run *one = tu_parse_buf(&cx, files[f], data, len);
		size_t nlines = 0;
		for (size_t i = 0; i < len; i++)
			nlines += data[i] == '\n';
		size_t cuts[] = {1, 3, nlines / 2, nlines > 1 ? nlines - 1 : 1};
		for (size_t c = 0; c < 4; c++) {
			struct tu_run *r = xcalloc(1, sizeof *r);
			r->plugin = &cx;
			r->record_end = -1; /* ids from line hashes */
			void *st;
			ck_assert_int_eq(cx.desc->open_file(&tu_host, r, files[f], NULL, 0, &st), 0);
			feed_lines(st, data, len, 0, cuts[c], r);
			const void *blob;
			size_t blen;
			ck_assert_int_eq(cx.desc->save_state(st, &blob, &blen), 0);
			char *copy = xmalloc(blen + 1);
			memcpy(copy, blob, blen);
			cx.desc->close_file(st);
			ck_assert_int_eq(cx.desc->open_file(&tu_host, r, files[f], copy, blen, &st), 0);
			free(copy);
			feed_lines(st, data, len, cuts[c], SIZE_MAX, r);
			cx.desc->flush(st);
			cx.desc->close_file(st);
			ck_assert_msg(r->n == one->n, "%s cut %zu: %zu events, one-shot %zu", files[f], cuts[c], r->n,
				      one->n);
			for (size_t i = 0; i < r->n; i++) {
				ck_assert_msg(!strcmp(r->events[i], one->events[i]), "%s cut %zu event %zu:\n%s\n%s",
					      files[f], cuts[c], i, r->events[i], one->events[i]);
				ck_assert_uint_eq(r->flags[i], one->flags[i]);
			}
			tu_run_free(r);
		}
		/* re-reading the same bytes gives the same events (stable ids) */
		struct tu_run *two = tu_parse_buf(&cx, files[f], data, len);
		ck_assert_uint_eq(two->n, one->n);
		for (size_t i = 0; i < one->n; i++)
			ck_assert_str_eq(two->events[i], one->events[i]);
		tu_run_free(two);
		tu_run_free(one);
		free(data);
	}
	free_files(files, nf);
}
END_TEST

START_TEST(test_state_keeps_model_and_pending_question)
{
	const char *path = "/s/rollout-2026-01-01T00-00-00-0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl";
	const char *a = "{\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"type\":\"session_meta\",\"payload\":{\"id\":\" S1 \","
			"\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"cwd\":\"/w\",\"cli_version\":\"0.125.0\",\"source\":\"cli\"}}";
	const char *b = "{\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"type\":\"turn_context\",\"payload\":{\"model\":\"m-1\",\"turn_id\":\"T1\"}}";
	const char *c = "{\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"type\":\"response_item\",\"payload\":{\"type\":\"function_call\","
			"\"name\":\"request_user_input\",\"call_id\":\"q1\",\"arguments\":\"{\\\"questions\\\":[{\\\"id\\\":\\\"k\\\",\\\"question\\\":\\\"Which?\\\"}]}\"}}";
	const char *d = "{\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"type\":\"response_item\",\"payload\":{\"type\":\"function_call_output\","
			"\"call_id\":\"q1\",\"output\":\"just text\"}}";
	const char *e = "{\"timestamp\":\"2026-01-01T00:00:04.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":\"Hi\"}}";
	struct tu_run *r = xcalloc(1, sizeof *r);
	r->plugin = &cx;
	r->record_end = -1; /* ids from line hashes */
	void *st;
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, path, NULL, 0, &st), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, a, strlen(a)), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, b, strlen(b)), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, c, strlen(c)), 0);
	const void *blob;
	size_t blen;
	ck_assert_int_eq(cx.desc->save_state(st, &blob, &blen), 0);
	char *copy = strndup(blob, blen);
	cx.desc->close_file(st);
	size_t before = r->n;

	/* a fresh state from the blob, without re-reading the first lines */
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, path, copy, blen, &st), 0);
	free(copy);
	ck_assert_int_eq(cx.desc->parse_line(st, d, strlen(d)), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, e, strlen(e)), 0);
	cx.desc->close_file(st);
	ck_assert_str_eq(r->session_id, "S1"); /* trimmed */
	ck_assert_uint_eq(r->n, before + 3);    /* tool.result, fallback message.user, assistant */
	struct json_object *o = tu_event(r, before + 1);
	ck_assert_str_eq(ev_str(o, "content"), "- Which?: just text");
	ck_assert_str_eq(ev_str(o, "turnId"), "T1");
	json_object_put(o);
	o = tu_event(r, before + 2);
	ck_assert_str_eq(ev_str(o, "model"), "m-1");
	ck_assert(!strncmp(ev_str(o, "eventId"), "S1:", 3));
	ck_assert_str_eq(ev_str(o, "timestamp"), "2026-01-01T00:00:04.000Z");
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

START_TEST(test_reset_forgets)
{
	const char *a = "{\"type\":\"session_meta\",\"payload\":{\"id\":\"S1\",\"cli_version\":\"0.125.0\"}}";
	const char *b = "{\"type\":\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":\"Hi\"}}";
	struct tu_run *r = xcalloc(1, sizeof *r);
	r->plugin = &cx;
	r->record_end = -1; /* ids from line hashes */
	void *st;
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, "/x/rollout-z.jsonl", NULL, 0, &st), 0);
	cx.desc->parse_line(st, a, strlen(a));
	cx.desc->parse_line(st, b, strlen(b));
	cx.desc->reset(st);
	/* after reset the same message is new again */
	cx.desc->parse_line(st, a, strlen(a));
	cx.desc->parse_line(st, b, strlen(b));
	cx.desc->close_file(st);
	ck_assert_uint_eq(r->n, 2);
	ck_assert_str_eq(r->events[0], r->events[1]);
	tu_run_free(r);
}
END_TEST

/* ---- streams and dedupe ---- */

#define META(ver, src)                                                                             \
	"{\"timestamp\":\"2026-07-01T10:00:00.000Z\",\"type\":\"session_meta\",\"payload\":{\"id\":\"S\"," \
	"\"timestamp\":\"2026-07-01T10:00:00.000Z\",\"cli_version\":\"" ver "\",\"source\":\"" src "\"}}\n"
#define L(ts, type, payload) "{\"timestamp\":\"2026-07-01T10:00:" ts ".000Z\",\"type\":\"" type "\",\"payload\":" payload "}\n"

START_TEST(test_dedupe_either_order)
{
	/* event_msg first, then response_item; then the other way round */
	struct tu_run *r = run_str("/x/rollout-a.jsonl",
		META("0.125.0", "cli")
		L("01", "event_msg", "{\"type\":\"agent_message\",\"message\":\"One\"}")
		L("02", "response_item", "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"One\"}]}")
		L("03", "response_item", "{\"type\":\"message\",\"role\":\"assistant\",\"phase\":\"final_answer\",\"content\":[{\"type\":\"output_text\",\"text\":\"Two\"}]}")
		L("04", "event_msg", "{\"type\":\"agent_message\",\"message\":\"Two\"}")
		L("05", "event_msg", "{\"type\":\"task_complete\",\"last_agent_message\":\"Two\"}")
		/* the same words said again later are a new message */
		L("06", "event_msg", "{\"type\":\"agent_message\",\"message\":\"One\"}")
		L("07", "response_item", "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"One\"}]}")
		L("08", "event_msg", "{\"type\":\"agent_reasoning\",\"text\":\"think\"}")
		L("09", "response_item", "{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"think\"}]}"));
	static const char *const kinds[] = {"message.assistant", "message.assistant", "message.assistant", "thinking"};
	assert_kinds(r, kinds, 4);
	struct json_object *o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "content"), "Two");
	ck_assert_str_eq(ev_str(o, "phase"), "final");
	ck_assert_str_eq(ev_str(o, "timestamp"), "2026-07-01T10:00:03.000Z");
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

START_TEST(test_final_answer_not_lost_behind_commentary)
{
	/* before 0.125 the event_msg copy has no phase and comes first: the
	 * final answer must still be stored as final (with commentary turned
	 * off, Markdown shows only finals) */
	struct tu_run *r = run_str("/x/rollout-a.jsonl",
		META("0.104.0", "cli")
		L("01", "event_msg", "{\"type\":\"agent_message\",\"message\":\"Three\"}")
		L("02", "response_item", "{\"type\":\"message\",\"role\":\"assistant\",\"phase\":\"final_answer\",\"content\":[{\"type\":\"output_text\",\"text\":\"Three\"}]}")
		L("03", "event_msg", "{\"type\":\"task_complete\",\"last_agent_message\":\"Three\"}"));
	ck_assert_uint_eq(r->n, 2);
	struct json_object *o = tu_event(r, 0);
	ck_assert_str_eq(ev_str(o, "phase"), "commentary");
	json_object_put(o);
	o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "phase"), "final");
	ck_assert_str_eq(ev_str(o, "content"), "Three");
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

START_TEST(test_new_generation_item_completed)
{
	/* 0.149: no event_msg user/agent messages; response_item and
	 * item_completed carry the same texts */
	struct tu_run *r = run_str("/x/rollout-a.jsonl",
		"{\"timestamp\":\"2026-07-01T10:00:00.000Z\",\"ordinal\":0,\"type\":\"session_meta\",\"payload\":{\"id\":\"S\",\"cli_version\":\"0.149.0\",\"source\":\"cli\"}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:01.000Z\",\"ordinal\":1,\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"developer\",\"content\":[{\"type\":\"input_text\",\"text\":\"<permissions instructions>x\"}]}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:01.000Z\",\"ordinal\":2,\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"# AGENTS.md instructions for /w\\n\\nbody\"},{\"type\":\"input_text\",\"text\":\"<environment_context>c</environment_context>\"}]}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:02.000Z\",\"ordinal\":3,\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"first prompt\"}]}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:02.000Z\",\"ordinal\":4,\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"turn_id\":\"T\",\"item\":{\"type\":\"UserMessage\",\"id\":\"u1\",\"content\":[{\"type\":\"text\",\"text\":\"first prompt\"}]}}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:03.000Z\",\"type\":\"response_item\",\"payload\":{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"plan\"}]}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:03.000Z\",\"ordinal\":6,\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"turn_id\":\"T\",\"item\":{\"type\":\"Reasoning\",\"id\":\"r1\",\"summary_text\":[\"plan\"],\"raw_content\":[]}}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:04.000Z\",\"ordinal\":7,\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"turn_id\":\"T\",\"item\":{\"type\":\"AgentMessage\",\"id\":\"a1\",\"phase\":\"final_answer\",\"content\":[{\"type\":\"Text\",\"text\":\"done\"}]}}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:04.000Z\",\"ordinal\":8,\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"assistant\",\"phase\":\"final_answer\",\"content\":[{\"type\":\"output_text\",\"text\":\"done\"}]}}\n"
		/* a second prompt with no item_completed copy: the response_item is the prompt */
		"{\"timestamp\":\"2026-07-01T10:00:05.000Z\",\"ordinal\":9,\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"second prompt\"}]}}\n"
		"{\"timestamp\":\"2026-07-01T10:00:06.000Z\",\"ordinal\":10,\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"turn_id\":\"T\",\"item\":{\"type\":\"CommandExecution\",\"id\":\"c1\",\"command\":[\"ls\"],\"aggregated_output\":\"a\\n\",\"exit_code\":0}}}");
	static const char *const kinds[] = {"message.system", "message.user", "message.user", "thinking",
					    "message.assistant", "message.user", "tool.call", "tool.result"};
	assert_kinds(r, kinds, 8);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_INJECTED);
	ck_assert_uint_eq(r->flags[1], KATO_EVENT_INJECTED);
	ck_assert_uint_eq(r->flags[2], KATO_EVENT_HUMAN);
	ck_assert_uint_eq(r->flags[5], KATO_EVENT_HUMAN);
	struct json_object *o = tu_event(r, 2);
	ck_assert_str_eq(ev_str(o, "content"), "first prompt");
	json_object_put(o);
	o = tu_event(r, 4);
	ck_assert_str_eq(ev_str(o, "phase"), "final");
	ck_assert_str_eq(ev_str(o, "turnId"), "T");
	json_object_put(o);
	o = tu_event(r, 5);
	ck_assert_str_eq(ev_str(o, "content"), "second prompt");
	json_object_put(o);
	o = tu_event(r, 6);
	ck_assert_str_eq(ev_str(o, "name"), "exec_command");
	ck_assert_str_eq(ev_str(o, "description"), "ls");
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

START_TEST(test_injected_never_human)
{
	struct tu_run *r = run_str("/x/rollout-a.jsonl",
		META("0.47.0", "cli")
		L("01", "response_item", "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"<user_instructions>\\n::stop\\n</user_instructions>\"}]}")
		L("02", "response_item", "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"<environment_context>\\n<cwd>/w</cwd>\\n</environment_context>\"}]}")
		L("03", "event_msg", "{\"type\":\"user_message\",\"message\":\"<environment_context>x</environment_context>\",\"kind\":\"environment_context\"}")
		L("04", "response_item", "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"real words\"}]}")
		L("05", "event_msg", "{\"type\":\"user_message\",\"message\":\"real words\",\"kind\":\"plain\"}")
		L("06", "compacted", "{\"message\":\"summary so far\",\"replacement_history\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"old\"}]}]}"));
	static const char *const kinds[] = {"message.user", "message.user", "message.user", "message.user", "compaction"};
	assert_kinds(r, kinds, 5);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(r->flags[i], KATO_EVENT_INJECTED);
	ck_assert_uint_eq(r->flags[3], KATO_EVENT_HUMAN);
	ck_assert(r->flags[4] & KATO_EVENT_INJECTED);
	struct json_object *o = tu_event(r, 4);
	ck_assert_str_eq(ev_str(o, "content"), "summary so far");
	json_object_put(o);
	tu_run_free(r);

	/* sub-agent threads: sidechain, never human */
	r = run_str("/x/rollout-a.jsonl",
		"{\"type\":\"session_meta\",\"payload\":{\"id\":\"K\",\"cli_version\":\"0.146.0\",\"source\":{\"subagent\":{\"thread_spawn\":{\"parent_thread_id\":\"P\",\"depth\":1}}}}}\n"
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"do it\"}}\n");
	ck_assert_uint_eq(r->n, 1);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_SIDECHAIN);
	ck_assert_str_eq(r->parent_id, "P");
	tu_run_free(r);
}
END_TEST

START_TEST(test_legacy_generation)
{
	/* bare SessionMeta, bare ResponseItems, record_type markers */
	struct tu_run *r = run_str("/x/rollout-2025-06-01T10-00-00-0196aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl",
		"{\"id\":\"L1\",\"timestamp\":\"2025-06-01T10:00:00.000Z\",\"instructions\":null,\"git\":{\"branch\":\"main\"}}\n"
		"{\"record_type\":\"state\"}\n"
		"{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"<environment_context>e</environment_context>\"}]}\n"
		"{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello legacy\"}]}\n"
		"{\"record_type\":\"state\"}\n"
		"{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":\"[1,2]\",\"call_id\":\"c1\"}\n"
		"{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":{\"content\":\"boom\",\"success\":false}}\n"
		"{\"type\":\"local_shell_call\",\"call_id\":\"c2\",\"status\":\"completed\",\"action\":{\"type\":\"exec\",\"command\":[\"echo\",\"hi\"]}}\n"
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"answer\"}]}");
	ck_assert_str_eq(r->session_id, "L1");
	static const char *const kinds[] = {"message.user", "message.user", "tool.call", "tool.result",
					    "tool.call", "message.assistant"};
	assert_kinds(r, kinds, 6);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_INJECTED);
	ck_assert_uint_eq(r->flags[1], KATO_EVENT_HUMAN);
	ck_assert(counted(r, "record_type:state"));
	struct json_object *o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "timestamp"), "2025-06-01T10:00:00.000Z");
	json_object_put(o);
	o = tu_event(r, 2); /* non-object arguments are wrapped */
	ck_assert_str_eq(pj_str(pj_obj(o, "input"), "arguments"), "[1,2]");
	json_object_put(o);
	o = tu_event(r, 3);
	ck_assert_str_eq(ev_str(o, "result"), "boom");
	ck_assert(r->flags[3] & KATO_EVENT_ERROR);
	json_object_put(o);
	o = tu_event(r, 4);
	ck_assert_str_eq(ev_str(o, "description"), "echo hi");
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

/* Issue 9 item 6: a wrapped legacy output keeps its text and a non-zero
 * exit code; an empty one stays an (empty) result. The lines are the
 * shape of yoavf-pomodoro.jsonl line 11. */
START_TEST(test_legacy_output_exit_code)
{
	struct tu_run *r = run_str("/x/rollout-2025-06-01T10-00-00-0196aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl",
		"{\"id\":\"L1\",\"timestamp\":\"2025-06-01T10:00:00.000Z\",\"instructions\":null}\n"
		"{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"{\\\"output\\\":\\\"boom\\\\n\\\",\\\"metadata\\\":{\\\"exit_code\\\":2,\\\"duration_seconds\\\":0.1}}\"}\n"
		"{\"type\":\"function_call_output\",\"call_id\":\"c2\",\"output\":\"{\\\"output\\\":\\\"\\\",\\\"metadata\\\":{\\\"exit_code\\\":1,\\\"duration_seconds\\\":0.0}}\"}\n"
		"{\"type\":\"function_call_output\",\"call_id\":\"c3\",\"output\":\"{\\\"output\\\":\\\"\\\",\\\"metadata\\\":{\\\"exit_code\\\":0,\\\"duration_seconds\\\":0.0}}\"}\n");
	static const char *const kinds[] = {"tool.result", "tool.result", "tool.result"};
	assert_kinds(r, kinds, 3);
	struct json_object *o = tu_event(r, 0);
	ck_assert_str_eq(ev_str(o, "result"), "boom\n\n\n(exit code 2)");
	ck_assert(r->flags[0] & KATO_EVENT_ERROR);
	json_object_put(o);
	o = tu_event(r, 1);
	ck_assert_str_eq(ev_str(o, "result"), "(exit code 1)");
	json_object_put(o);
	o = tu_event(r, 2);
	ck_assert_str_eq(ev_str(o, "result"), "");
	ck_assert(!(r->flags[2] & KATO_EVENT_ERROR));
	json_object_put(o);
	tu_run_free(r);
}
END_TEST

START_TEST(test_typescript_document)
{
	const char *path = "/x/rollout-2025-04-20-abc.json";
	ck_assert_int_eq(cx.desc->match_path(path), KATO_FEED_DOCUMENT);
	struct tu_run *r = run_str(path,
		"{\"session\":{\"timestamp\":\"2025-04-20T10:00:00.000Z\",\"id\":\"TS1\",\"instructions\":\"\"},"
		"\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"ts prompt\"}]},"
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"ts answer\"}]}]}");
	ck_assert_str_eq(r->session_id, "TS1");
	static const char *const kinds[] = {"message.user", "message.assistant"};
	assert_kinds(r, kinds, 2);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_HUMAN);
	tu_run_free(r);
}
END_TEST

START_TEST(test_match_path)
{
	ck_assert_int_eq(cx.desc->match_path("/h/.codex/sessions/2026/01/02/rollout-2026-01-02T10-00-00-x.jsonl"), KATO_FEED_LINES);
	ck_assert_int_eq(cx.desc->match_path("/h/.codex/archived_sessions/rollout-2026-x.jsonl.zst"), KATO_FEED_LINES);
	ck_assert_int_eq(cx.desc->match_path("/h/.codex/history.jsonl"), KATO_FEED_NONE);
	ck_assert_int_eq(cx.desc->match_path("/h/.codex/sessions/other.jsonl"), KATO_FEED_NONE);
	ck_assert_int_eq(cx.desc->match_path("/h/.codex/sessions/rollout-x.txt"), KATO_FEED_NONE);
	ck_assert_str_eq(cx.desc->name, "codex");
	ck_assert(strstr(cx.desc->default_roots, "${CODEX_HOME:-~/.codex}/archived_sessions") != NULL);
}
END_TEST

START_TEST(test_probe)
{
	tu_check_probe_files(&cx);
	enum kato_feed f;
	/* the TypeScript CLI's document, on one line or pretty printed */
	ck_assert_int_eq(tu_probe_str(&cx, "{\"session\":{\"id\":\"TS1\"},\"items\":[]}", &f), KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_DOCUMENT);
	ck_assert_int_eq(tu_probe_str(&cx, "{\n  \"session\": {\n    \"id\": \"TS1\"\n  },\n  \"items\": [\n", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_DOCUMENT);
	/* pre-envelope: a bare SessionMeta first, or a state marker */
	ck_assert_int_eq(tu_probe_str(&cx, "{\"id\":\"x\",\"timestamp\":\"t\",\"instructions\":null}\n", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_LINES);
	ck_assert_int_eq(tu_probe_str(&cx, "{\"record_type\":\"state\"}\n", &f), KATO_PROBE_SURE);
	/* bare ResponseItems only: maybe */
	ck_assert_int_eq(tu_probe_str(&cx, "{\"type\":\"message\",\"role\":\"user\",\"content\":[]}\n", &f),
			 KATO_PROBE_MAYBE);
	/* a session_meta line longer than the head */
	ck_assert_int_eq(tu_probe_str(&cx, "{\"timestamp\":\"t\",\"type\":\"session_meta\",\"payload\":{\"base_instructions\":\"aaaa", &f),
			 KATO_PROBE_SURE);
	ck_assert_int_eq(f, KATO_FEED_LINES);
	/* not Codex */
	ck_assert_int_eq(tu_probe_str(&cx, "{\"timestamp\":\"t\",\"type\":\"brand_new\",\"payload\":{}}\n", &f), KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&cx, "{\n  \"sessionId\": \"s\",\n  \"messages\": []\n}\n", &f), KATO_PROBE_NO);
	ck_assert_int_eq(tu_probe_str(&cx, "", &f), KATO_PROBE_NO);
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_bad_input)
{
	static const char *const lines[] = {
		"not json",
		"{\"type\":\"event_msg\",\"payload\":",
		"[1,2,3]",
		"{\"type\":42,\"payload\":{}}",
		"{\"type\":\"event_msg\",\"payload\":[1]}",
		"{\"type\":\"session_meta\",\"payload\":{\"id\":7,\"cwd\":[],\"source\":5}}",
		"{\"type\":\"session_meta\",\"payload\":{\"id\":\"  \"}}",
		"{\"type\":\"turn_context\",\"payload\":{\"model\":{},\"turn_id\":3}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":{\"a\":1}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"bad \xff\xfe utf8 \xc3\"}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":[1,null,{}]}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"item\":\"x\"}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"item\":{\"type\":\"UserMessage\",\"content\":5}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"item\":{\"type\":\"Reasoning\",\"summary_text\":[1,{},null]}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"exec_command_end\",\"call_id\":9,\"command\":7}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"exec_command_end\",\"call_id\":\"e1\",\"command\":[1,\"x\"],\"exit_code\":\"no\"}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"mcp_tool_call_end\",\"call_id\":\"m1\",\"invocation\":5,\"result\":{\"Ok\":7}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"web_search_end\",\"call_id\":\"w1\",\"action\":[],\"results\":{}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"patch_apply_end\",\"call_id\":\"p1\",\"changes\":[],\"success\":\"yes\"}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"task_complete\",\"last_agent_message\":null}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"turn_aborted\",\"reason\":{}}}",
		"{\"type\":\"event_msg\",\"payload\":{\"type\":\"error\",\"message\":null}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":5,\"content\":\"x\"}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"assistant\",\"content\":[5,\"s\",{\"type\":1}]}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"reasoning\",\"summary\":\"x\"}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"function_call\",\"name\":5,\"arguments\":5,\"call_id\":[]}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"function_call\",\"name\":\"request_user_input\",\"arguments\":\"{\\\"questions\\\":5}\",\"call_id\":\"r1\"}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"function_call_output\",\"call_id\":\"r1\",\"output\":{\"answers\":{\"a\":5,\"b\":{\"answers\":5},\"c\":{\"answers\":[null,1,{}],\"x\":[1,\"y\"]}}}}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"function_call_output\",\"call_id\":\"zz\",\"output\":\"{\\\"answers\\\":[]}\"}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"custom_tool_call\",\"name\":\"apply_patch\",\"input\":7}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"local_shell_call\",\"action\":5}}",
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"web_search_call\",\"action\":{\"queries\":[5]}}}",
		"{\"type\":\"compacted\",\"payload\":{\"message\":5}}",
		"{\"type\":\"request_user_input\",\"payload\":{\"questions\":[{\"id\":\"q\",\"question\":\"Q?\"},5],\"answers\":{\"q\":{\"a\":1},\"z\":[1,2]}}}",
		"{\"type\":\"request_user_input\",\"payload\":5}",
		"{\"record_type\":5}",
		"{}",
		"null",
	};
	struct buf all = BUF_INIT;
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		buf_adds(&all, lines[i]);
		buf_addc(&all, '\n');
	}
	struct tu_run *r = tu_parse_buf(&cx, "/x/rollout-bad.jsonl", all.p, all.len);
	ck_assert_uint_eq(r->nrejected, 0);
	/* the two lines that are not JSON, and "null" (json-c has no object
	 * for it, so it is no record) */
	ck_assert_uint_eq(r->nbad, 3);
	ck_assert_uint_gt(r->n, 0);
	tu_run_free(r);
	buf_free(&all);

	/* a non-JSON line changes nothing: the next line is not mistaken for
	 * the copy of anything, and the return value is 1 */
	void *st;
	r = xcalloc(1, sizeof *r);
	r->plugin = &cx;
	r->record_end = -1; /* ids from line hashes */
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, "/x/rollout-a.jsonl", NULL, 0, &st), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, "{\"type\":", 8), 1);
	ck_assert_int_eq(cx.desc->parse_line(st, "\xff\xff\xff", 3), 1);
	ck_assert_uint_eq(r->n, 0);
	ck_assert_uint_eq(r->ncounted, 0);
	cx.desc->close_file(st);
	tu_run_free(r);

	/* a blob that is garbage is ignored */
	r = xcalloc(1, sizeof *r);
	r->plugin = &cx;
	r->record_end = -1; /* ids from line hashes */
	const char *odd = "{\"v\":1,\"seen\":\"zz\",\"rui\":[5,{\"call\":1}],\"held\":{\"id\":\"x\"}}";
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, "/x/rollout-a.jsonl", odd, strlen(odd), &st), 0);
	cx.desc->close_file(st);
	ck_assert_int_eq(cx.desc->open_file(&tu_host, r, "/x/rollout-a.jsonl", "\x01\x02", 2, &st), 0);
	ck_assert_int_eq(cx.desc->parse_line(st, "{\"type\":\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":\"ok\"}}", 71), 0);
	cx.desc->close_file(st);
	ck_assert_uint_eq(r->n, 1);
	tu_run_free(r);
}
END_TEST

START_TEST(test_last_line_without_newline)
{
	const char *data = META("0.125.0", "cli")
		"{\"timestamp\":\"2026-07-01T10:00:01.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"tail\"}}";
	struct tu_run *r = run_str("/x/rollout-a.jsonl", data);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_HUMAN);
	tu_run_free(r);

	/* and a held response_item prompt at the very end comes out on flush */
	r = run_str("/x/rollout-a.jsonl",
		"{\"type\":\"session_meta\",\"payload\":{\"id\":\"S\",\"cli_version\":\"0.149.1\"}}\n"
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"last\"}]}}");
	ck_assert_uint_eq(r->n, 1);
	ck_assert_uint_eq(r->flags[0], KATO_EVENT_HUMAN);
	tu_run_free(r);
}
END_TEST

/* SPEC §5: text is stored exactly, including an escaped NUL. */
START_TEST(test_escaped_nul)
{
	struct tu_run *r = run_str("/x/rollout-a.jsonl",
		META("0.125.0", "cli")
		L("01", "response_item", "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"A\\u0000B\"}]}")
		L("02", "event_msg", "{\"type\":\"user_message\",\"message\":\"A\\u0000B\",\"kind\":\"plain\"}")
		L("03", "event_msg", "{\"type\":\"agent_reasoning\",\"text\":\"T\\u0000U\"}")
		L("04", "response_item", "{\"type\":\"function_call\",\"name\":\"shell\",\"call_id\":\"c1\",\"arguments\":\"{\\\"command\\\":[\\\"ls\\\"]}\"}")
		L("05", "response_item", "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"R\\u0000S\"}")
		L("06", "event_msg", "{\"type\":\"agent_message\",\"message\":\"X\\u0000Y\"}"));
	ck_assert_uint_eq(r->nrejected, 0);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"A\\u0000B\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"T\\u0000U\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"result\":\"R\\u0000S\""), 1);
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"X\\u0000Y\""), 1);
	tu_run_free(r);

	/* the 0.149 generation: the prompt comes from its response_item parts */
	r = run_str("/x/rollout-a.jsonl",
		"{\"type\":\"session_meta\",\"payload\":{\"id\":\"S\",\"cli_version\":\"0.149.1\"}}\n"
		"{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"C\\u0000D\"}]}}");
	ck_assert_uint_eq(tu_count_json(r, "\"content\":\"C\\u0000D\""), 1);
	tu_run_free(r);
}
END_TEST

/* Is event i's `key` text exactly want[0..n)? */
static void assert_text(const struct tu_run *r, size_t i, const char *key, const char *want, size_t n)
{
	size_t en;
	char *got = tu_event_text(r, i, key, &en);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(en, n);
	ck_assert(!memcmp(got, want, n));
	free(got);
}

/* Huge lines (pj_parse_line's own decoder) give the texts json-c reads:
 * a user message and a tool output emitted as they are, two joined
 * parts, and a text that normalizing changes. */
START_TEST(test_huge_line)
{
	size_t big = PJ_HUGE_LINE + 4096;
	struct buf in = BUF_INIT;
	size_t at[5];
	buf_adds(&in, "{\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"type\":\"session_meta\",\"payload\":"
		      "{\"id\":\"s-huge\",\"cwd\":\"/tmp\",\"originator\":\"codex_cli_rs\",\"cli_version\":\"0.146.0\"}}\n");
	at[0] = in.len;
	buf_adds(&in, "{\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"type\":\"event_msg\",\"payload\":"
		      "{\"type\":\"user_message\",\"message\":\"");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}}\n");
	at[1] = in.len;
	buf_adds(&in, "{\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"type\":\"response_item\",\"payload\":"
		      "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"first\"},"
		      "{\"type\":\"output_text\",\"text\":\"A");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}]}}\n");
	at[2] = in.len;
	buf_adds(&in, "{\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"type\":\"response_item\",\"payload\":"
		      "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"B");
	tu_escaped_body(&in, big);
	buf_adds(&in, "\"}}\n");
	at[3] = in.len;
	buf_adds(&in, "{\"timestamp\":\"2026-01-01T00:00:04.000Z\",\"type\":\"event_msg\",\"payload\":"
		      "{\"type\":\"agent_message\",\"message\":\"C\\r\\n\\n\\n\\nD");
	tu_escaped_body(&in, big);
	buf_adds(&in, " \\n\"}}\n");
	at[4] = in.len;
	struct tu_run *r = tu_parse_buf(&cx, "/x/rollout-2026-01-01T00-00-00-s-huge.jsonl", in.p, in.len);
	ck_assert_uint_eq(r->nbad, 0);
	ck_assert_uint_eq(r->n, 4);

	/* the expected texts, from json-c */
	struct json_object *o[4];
	for (int k = 0; k < 4; k++) {
		o[k] = pj_parse(in.p + at[k], at[k + 1] - at[k] - 1);
		ck_assert_ptr_nonnull(o[k]);
	}
	size_t n;
	const char *t = pj_strn(pj_obj(o[0], "payload"), "message", &n);
	assert_text(r, tu_find_kind(r, "message.user", 0), "content", t, n);

	struct pj_buf want = {0};
	struct json_object *parts = pj_arr(pj_obj(o[1], "payload"), "content");
	t = pj_strn(json_object_array_get_idx(parts, 1), "text", &n);
	pj_adds(&want, "first\n\n");
	pj_add(&want, t, n);
	size_t i = tu_find_kind(r, "message.assistant", 0);
	assert_text(r, i, "content", want.p, want.len);

	t = pj_strn(pj_obj(o[2], "payload"), "output", &n);
	assert_text(r, tu_find_kind(r, "tool.result", 0), "result", t, n);

	pj_reset(&want);
	t = pj_strn(pj_obj(o[3], "payload"), "message", &n);
	pj_add(&want, t, n);
	pj_normalize_text(&want);
	ck_assert(!memcmp(want.p, "C\n\nDx", 5));
	assert_text(r, tu_find_kind(r, "message.assistant", i + 1), "content", want.p, want.len);

	pj_free(&want);
	for (int k = 0; k < 4; k++)
		json_object_put(o[k]);
	tu_run_free(r);
	buf_free(&in);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("codex");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_all_files_prompts_once_in_order);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_counted_types);
	tcase_add_test(tc, test_real_session_facts);
	tcase_add_test(tc, test_fixture_vscode);
	tcase_add_test(tc, test_fixture_request_user_input);
	tcase_add_test(tc, test_fixture_aborted_exec_legacy);
	tcase_add_test(tc, test_restart_same_union);
	tcase_add_test(tc, test_state_keeps_model_and_pending_question);
	tcase_add_test(tc, test_reset_forgets);
	tcase_add_test(tc, test_dedupe_either_order);
	tcase_add_test(tc, test_final_answer_not_lost_behind_commentary);
	tcase_add_test(tc, test_new_generation_item_completed);
	tcase_add_test(tc, test_injected_never_human);
	tcase_add_test(tc, test_legacy_generation);
	tcase_add_test(tc, test_legacy_output_exit_code);
	tcase_add_test(tc, test_typescript_document);
	tcase_add_test(tc, test_match_path);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_last_line_without_newline);
	tcase_add_test(tc, test_escaped_nul);
	tcase_add_test(tc, test_huge_line);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
