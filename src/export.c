/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "export.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buf.h"
#include "config.h"
#include "frontmatter.h"
#include "json.h"
#include "markdown.h"

struct collect {
	FILE *out;
	enum export_format fmt;
	struct json_object **ev;
	size_t n;
	bool write_failed;
	bool show_sidechain; /* the session is a sub-agent's own */
};

static int on_event(void *ud, int64_t seq, const char *kind, uint32_t flags, const char *json)
{
	struct collect *c = ud;
	if (c->fmt == EXPORT_JSONL) {
		/* everything, sub-agent lines marked "isSidechain" */
		if (fputs(json, c->out) == EOF || fputc('\n', c->out) == EOF) {
			c->write_failed = true;
			return 1;
		}
		return 0;
	}
	/* Markdown is the session's own conversation: a sub-agent run inside
	 * it (sidechain lines) is left out, as the reference renders it */
	if ((flags & KATO_EVENT_SIDECHAIN) && !c->show_sidechain)
		return 0;
	struct json_object *o = pj_parse(json, strlen(json));
	if (!o)
		return 0;
	c->ev = xrealloc(c->ev, (c->n + 1) * sizeof *c->ev);
	c->ev[c->n++] = o;
	return 0;
}

void export_title(const struct store_session_row *r, const char *fallback, struct buf *out)
{
	if (r->title && *r->title)
		buf_adds(out, r->title);
	else if ((!r->snippet || md_snippet(r->snippet, strlen(r->snippet), out) < 0) && fallback)
		buf_adds(out, fallback);
}

struct session_facts {
	char *psid, *title;
	bool sidechain_only;
};

static int on_session(void *ud, const struct store_session_row *r)
{
	struct session_facts *f = ud;
	struct buf t = BUF_INIT;
	export_title(r, r->psid, &t);
	f->psid = xstrdup(r->psid);
	f->title = buf_take(&t);
	f->sidechain_only = r->sidechain_only;
	return 0;
}

void export_md_options(const struct kato_config *cfg, struct md_options *o)
{
	md_options_default(o);
	if (!cfg)
		return;
	o->include_commentary = cfg->flags.include_commentary;
	o->include_thinking = cfg->flags.include_thinking;
	o->include_tool_calls = cfg->flags.include_tool_calls;
	o->italicize_user = cfg->flags.italicize_user_messages;
	o->include_system_events = cfg->flags.capture_include_system_events;
}

const char *export_user_participant(const struct kato_config *cfg)
{
	if (!cfg || !cfg->frontmatter.add_participant_username)
		return NULL;
	const char *name = cfg->frontmatter.default_participant_username;
	if (!name || !*name)
		name = getenv("USER");
	if (!name || !*name)
		name = getenv("USERNAME");
	if (!name || !*name) {
		const char *home = getenv("HOME");
		const char *slash = home ? strrchr(home, '/') : NULL;
		name = slash ? slash + 1 : home;
	}
	return name && *name ? name : NULL;
}

void export_free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int export_session(struct store *s, int64_t sid, enum export_format fmt,
		   const struct kato_config *cfg, FILE *out, char **err)
{
	struct session_facts facts = {0};
	store_get_session(s, sid, on_session, &facts);
	struct collect c = {.out = out, .fmt = fmt, .show_sidechain = facts.sidechain_only};
	if (store_each_event(s, sid, 0, on_event, &c) < 0) {
		*err = xstrdup(store_errmsg(s));
		return -1;
	}
	int rc = 0;
	if (c.write_failed) {
		*err = xstrdup("write error");
		rc = -1;
	}
	if (rc < 0 || fmt == EXPORT_JSONL) {
		free(facts.psid);
		free(facts.title);
		return rc;
	}

	struct md_options o;
	export_md_options(cfg, &o);
	char **parts = md_participants(c.ev, c.n, export_user_participant(cfg));
	char **kinds = cfg && cfg->frontmatter.include_conversation_event_kinds ? md_event_kinds(c.ev, c.n) : NULL;
	struct timeval now;
	gettimeofday(&now, NULL);
	int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000;
	struct fm_fields fm = {
		.title = facts.title ? facts.title : "",
		.session_id = facts.psid,
		.created_ms = ms,
		.updated_ms = cfg && cfg->frontmatter.include_updated ? ms : -1,
		.participants = (const char *const *)parts,
		.recording_ids = NULL,
		.event_kinds = (const char *const *)kinds,
	};
	bool with_fm = !cfg || cfg->frontmatter.include_frontmatter;
	struct buf doc = BUF_INIT;
	md_document(&o, with_fm ? &fm : NULL, c.ev, c.n, &doc);
	if (fwrite(buf_str(&doc), 1, doc.len, out) != doc.len) {
		*err = xstrdup("write error");
		rc = -1;
	}
	buf_free(&doc);
	export_free_list(parts);
	export_free_list(kinds);
	free(facts.psid);
	free(facts.title);
	for (size_t i = 0; i < c.n; i++)
		json_object_put(c.ev[i]);
	free(c.ev);
	return rc;
}
