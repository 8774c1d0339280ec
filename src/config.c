/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

/* config: load and validate kato's YAML configuration (SPEC §7, ref §6).
 *
 * Keys are those of the reference's kato-config.yaml (ref §6.1), so a user's
 * existing file loads unchanged, and every one is optional: an omitted key
 * takes its default and a missing file means all defaults. Validation is
 * fail-closed: the first unknown key (at any level, with the valid keys of
 * that mapping listed), wrong type, bad value, duplicate key, YAML syntax
 * error or unsupported YAML feature stops the load with one line naming the
 * file, the line and the key path.
 *
 * Decisions:
 *  - runtimeDir, katoDir, statusPath and controlPath are accepted (non-empty
 *    strings) and ignored: kato keeps its files in the XDG base directories
 *    (or $KATO_HOME) and talks to katod over a Unix socket.
 *  - schemaVersion, if present, must be the plain number 1.
 *  - Provider names (providerSessionRoots, providerAutoGenerateSnapshots)
 *    are any [a-z0-9_-]{1,32}, since plugins add providers; at most 256.
 *    providerAutoGenerateSnapshots and globalAutoGenerateSnapshots are
 *    validated and otherwise unused: kato always keeps every event.
 *  - Types follow the YAML 1.2 core schema. Booleans are plain true/false
 *    (True/TRUE/False/FALSE too); YAML 1.1's yes/no/on/off are rejected with
 *    a hint to use true or false, and a quoted "true" is a string, not a
 *    boolean. Numbers are plain decimal integers ("512" quoted is a string).
 *    Where a string is expected a plain number, boolean or null is an error
 *    (a number is not a path: quote it if you mean the text), except that a
 *    plain ~ in a path list means the home directory, not null.
 *  - Path values (allowedWriteRoots, providerSessionRoots) are ~-expanded
 *    and otherwise kept as written; they must not be empty.
 *  - Anchors, aliases and explicit tags are rejected; so are a second YAML
 *    document, complex (non-scalar) keys and files over 1 MiB. An empty file,
 *    one holding only comments, or a lone null document is all defaults.
 *
 * Environment (ref §6.3), applied after the file:
 *  - KATO_CONFIG_PATH: the file to read (config_default_path).
 *  - KATO_LOGGING_OPERATIONAL_LEVEL, KATO_LOGGING_AUDIT_LEVEL: override the
 *    file's logging levels (trimmed, lowercased; anything but
 *    debug|info|warn|error is an error; an empty value is ignored).
 *  - KATO_CLAUDE_SESSION_ROOTS, KATO_CODEX_SESSION_ROOTS,
 *    KATO_GEMINI_SESSION_ROOTS: a JSON array of non-empty strings used as
 *    that provider's roots when the file's providerSessionRoots does not
 *    name it. Empty, or an empty array, is ignored; anything else that is
 *    not such an array is an error.
 *  Not honoured: KATO_RUNTIME_DIR, KATO_DAEMON_STATUS_PATH,
 *  KATO_DAEMON_CONTROL_PATH (no such files in kato), KATO_AUTO_INIT_ON_START
 *  (not a config matter), KATO_ALLOWED_WRITE_ROOT(S_JSON) and
 *  KATO_DAEMON_MAX_MEMORY_MB (they only fed the reference's generated file;
 *  kato's generated file is fixed text).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "log.h"
#include "paths.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_PROVIDERS 256
#define CONFIG_DEFAULT_MEMORY_MB 500

/* ---------------------------------------------------------------- defaults */

void config_defaults(struct kato_config *c)
{
	memset(c, 0, sizeof *c);
	c->frontmatter.include_frontmatter = true;
	c->frontmatter.default_participant_username = xstrdup("");
	c->flags.include_commentary = true;
	c->flags.daemon_export_enabled = true;
	c->operational_level = LOG_INFO;
	c->audit_level = LOG_INFO;
	c->daemon_max_memory_mb = CONFIG_DEFAULT_MEMORY_MB;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct kato_config *c)
{
	free_strv(c->allowed_write_roots, c->n_allowed_write_roots);
	for (size_t i = 0; i < c->n_provider_roots; i++) {
		free(c->provider_roots[i].provider);
		free_strv(c->provider_roots[i].roots, c->provider_roots[i].n);
	}
	free(c->provider_roots);
	free(c->frontmatter.default_participant_username);
	free(c->path);
	memset(c, 0, sizeof *c);
}

const struct config_provider_roots *config_roots_for(const struct kato_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_provider_roots; i++)
		if (!strcmp(c->provider_roots[i].provider, name))
			return &c->provider_roots[i];
	return NULL;
}

/* ---------------------------------------------------------------- schema */

enum field_kind {
	F_BOOL,          /* bool at off */
	F_IGNORED_BOOL,  /* validated boolean, not stored */
	F_STRING,        /* char * at off, may be empty */
	F_IGNORED_PATH,  /* non-empty string, not stored */
	F_PATHS,         /* allowedWriteRoots */
	F_LEVEL,         /* int log level at off */
	F_MEMORY,        /* positive int at off */
	F_SCHEMA,        /* must be 1 */
	F_PROVIDER_ROOTS, /* providerSessionRoots mapping */
	F_PROVIDER_PATHS, /* one provider's list in it */
	F_PROVIDER_BOOLS, /* providerAutoGenerateSnapshots mapping */
	F_MAP,           /* nested mapping: sub / nsub */
};

struct field {
	const char *name;
	enum field_kind kind;
	size_t off;
	const struct field *sub;
	size_t nsub;
};

#define FIELD(n, k, member) {n, k, offsetof(struct kato_config, member), NULL, 0}
#define NOFIELD(n, k) {n, k, 0, NULL, 0}
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct field frontmatter_fields[] = {
	FIELD("includeFrontmatterInMarkdownRecordings", F_BOOL, frontmatter.include_frontmatter),
	FIELD("includeUpdatedInFrontmatter", F_BOOL, frontmatter.include_updated),
	FIELD("addParticipantUsernameToFrontmatter", F_BOOL, frontmatter.add_participant_username),
	FIELD("defaultParticipantUsername", F_STRING, frontmatter.default_participant_username),
	FIELD("includeConversationEventKinds", F_BOOL, frontmatter.include_conversation_event_kinds),
};

static const struct field flag_fields[] = {
	FIELD("writerIncludeCommentary", F_BOOL, flags.include_commentary),
	FIELD("writerIncludeThinking", F_BOOL, flags.include_thinking),
	FIELD("writerIncludeToolCalls", F_BOOL, flags.include_tool_calls),
	FIELD("writerItalicizeUserMessages", F_BOOL, flags.italicize_user_messages),
	FIELD("daemonExportEnabled", F_BOOL, flags.daemon_export_enabled),
	FIELD("captureIncludeSystemEvents", F_BOOL, flags.capture_include_system_events),
};

static const struct field logging_fields[] = {
	FIELD("operationalLevel", F_LEVEL, operational_level),
	FIELD("auditLevel", F_LEVEL, audit_level),
};

static const struct field top_fields[] = {
	NOFIELD("schemaVersion", F_SCHEMA),
	NOFIELD("runtimeDir", F_IGNORED_PATH),
	NOFIELD("katoDir", F_IGNORED_PATH),
	NOFIELD("statusPath", F_IGNORED_PATH),
	NOFIELD("controlPath", F_IGNORED_PATH),
	NOFIELD("allowedWriteRoots", F_PATHS),
	NOFIELD("providerSessionRoots", F_PROVIDER_ROOTS),
	FIELD("globalAutoGenerateSnapshots", F_BOOL, global_auto_generate_snapshots),
	NOFIELD("providerAutoGenerateSnapshots", F_PROVIDER_BOOLS),
	FIELD("cleanSessionStatesOnShutdown", F_BOOL, clean_session_states_on_shutdown),
	{"markdownFrontmatter", F_MAP, 0, frontmatter_fields, NELEM(frontmatter_fields)},
	{"featureFlags", F_MAP, 0, flag_fields, NELEM(flag_fields)},
	{"logging", F_MAP, 0, logging_fields, NELEM(logging_fields)},
	FIELD("daemonMaxMemoryMb", F_MEMORY, daemon_max_memory_mb),
};

/* ---------------------------------------------------------------- parser */

struct ps {
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev;
	const char *file;          /* name used in messages */
	const unsigned char *input;
	size_t len;
	char *err;                 /* the first error, malloc'd */
	struct kato_config *c;
};

/* Append s to b for a message: at most ~60 bytes, control bytes as \xNN. */
static void add_shown(struct buf *b, const char *s, size_t n)
{
	size_t lim = n;
	bool cut = false;
	if (lim > 60) {
		lim = 60;
		while (lim > 0 && ((unsigned char)s[lim] & 0xC0) == 0x80)
			lim--;
		cut = true;
	}
	for (size_t i = 0; i < lim; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			buf_printf(b, "\\x%02x", ch);
		else
			buf_addc(b, (char)ch);
	}
	if (cut)
		buf_adds(b, "...");
}

/* Record the first error: "<file>:<line>: <keypath>: <message>". */
static int fail(struct ps *ps, size_t line, const char *keypath, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct ps *ps, size_t line, const char *keypath, const char *fmt, ...)
{
	if (ps->err)
		return -1;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s:%zu: ", ps->file, line);
	if (keypath) {
		add_shown(&b, keypath, strlen(keypath));
		buf_adds(&b, ": ");
	}
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	/* keep it one line whatever the message quoted */
	for (size_t i = 0; i < b.len; i++)
		if (b.p[i] == '\n' || b.p[i] == '\r')
			b.p[i] = ' ';
	ps->err = buf_take(&b);
	return -1;
}

static size_t ev_line(const struct ps *ps)
{
	return ps->ev.start_mark.line + 1;
}

static const char *sval(const struct ps *ps)
{
	return (const char *)ps->ev.data.scalar.value;
}

static size_t slen(const struct ps *ps)
{
	return ps->ev.data.scalar.length;
}

static bool is_plain(const struct ps *ps)
{
	return ps->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Turn a libyaml failure into our error. */
static int fail_yaml(struct ps *ps)
{
	const yaml_parser_t *p = &ps->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail(ps, 1, NULL, "out of memory while parsing YAML");
	case YAML_READER_ERROR: {
		size_t line = 1;
		for (size_t i = 0; i < p->problem_offset && i < ps->len; i++)
			if (ps->input[i] == '\n')
				line++;
		return fail(ps, line, NULL, "not valid YAML text: %s (byte %zu); the file must be UTF-8",
			    problem, p->problem_offset);
	}
	default:
		if (p->context)
			return fail(ps, p->problem_mark.line + 1, NULL, "invalid YAML: %s (%s at line %zu)",
				    problem, p->context, p->context_mark.line + 1);
		return fail(ps, p->problem_mark.line + 1, NULL, "invalid YAML: %s", problem);
	}
}

/* Advance to the next event; reject YAML features kato does not use. */
static int next_event(struct ps *ps, const char *keypath)
{
	if (ps->have_ev)
		yaml_event_delete(&ps->ev);
	ps->have_ev = false;
	if (!yaml_parser_parse(&ps->parser, &ps->ev))
		return fail_yaml(ps);
	ps->have_ev = true;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	switch (ps->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail(ps, ev_line(ps), keypath,
			    "aliases (*%s) are not supported; write the value out in full",
			    (const char *)ps->ev.data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ps->ev.data.scalar.anchor;
		tag = ps->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ps->ev.data.sequence_start.anchor;
		tag = ps->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ps->ev.data.mapping_start.anchor;
		tag = ps->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail(ps, ev_line(ps), keypath, "anchors (&%s) are not supported", (const char *)anchor);
	if (tag)
		return fail(ps, ev_line(ps), keypath, "tags (%s) are not supported; quote a value to make it a string",
			    (const char *)tag);
	return 0;
}

/* What a plain scalar means under the YAML 1.2 core schema. */
enum plain_kind { P_NULL, P_BOOL, P_INT, P_FLOAT, P_TEXT };

static bool all_digits(const char *s, const char *digits)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(digits, *s))
			return false;
	return true;
}

static bool is_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
		return true;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	size_t ndig = 0;
	while (*s >= '0' && *s <= '9')
		s++, ndig++;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9')
			s++, ndig++;
	}
	if (!ndig)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static enum plain_kind classify(const char *s, size_t n)
{
	if (strlen(s) != n)
		return P_TEXT;
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return P_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "false") ||
	    !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return P_BOOL;
	const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
	if (all_digits(d, "0123456789") || (!strncmp(s, "0o", 2) && all_digits(s + 2, "01234567")) ||
	    (!strncmp(s, "0x", 2) && all_digits(s + 2, "0123456789abcdefABCDEF")))
		return P_INT;
	if (is_float(s))
		return P_FLOAT;
	return P_TEXT;
}

/* Describe the current value for "got ..." in a message. */
static void describe(const struct ps *ps, struct buf *b)
{
	switch (ps->ev.type) {
	case YAML_MAPPING_START_EVENT:
		buf_adds(b, "a mapping");
		return;
	case YAML_SEQUENCE_START_EVENT:
		buf_adds(b, "a list");
		return;
	case YAML_SCALAR_EVENT:
		break;
	default:
		buf_adds(b, "nothing");
		return;
	}
	if (!is_plain(ps)) {
		buf_adds(b, "the quoted string '");
	} else {
		switch (classify(sval(ps), slen(ps))) {
		case P_NULL:
			buf_adds(b, "null (an empty value)");
			return;
		case P_BOOL:
			buf_adds(b, "the boolean ");
			break;
		case P_INT:
		case P_FLOAT:
			buf_adds(b, "the number ");
			break;
		case P_TEXT:
			buf_adds(b, "the string '");
			break;
		}
	}
	add_shown(b, sval(ps), slen(ps));
	if (!is_plain(ps) || classify(sval(ps), slen(ps)) == P_TEXT)
		buf_addc(b, '\'');
}

/* Fail with "expected <what>, got <current value><hint>". */
static int fail_type(struct ps *ps, const char *keypath, const char *what, const char *hint)
{
	struct buf got = BUF_INIT;
	describe(ps, &got);
	fail(ps, ev_line(ps), keypath, "expected %s, got %s%s", what, buf_str(&got), hint ? hint : "");
	buf_free(&got);
	return -1;
}

static bool ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* The current value as a boolean. */
static int get_bool(struct ps *ps, const char *keypath, bool *out)
{
	if (ps->ev.type == YAML_SCALAR_EVENT && is_plain(ps) && classify(sval(ps), slen(ps)) == P_BOOL) {
		*out = ieq(sval(ps), "true");
		return 0;
	}
	if (ps->ev.type == YAML_SCALAR_EVENT && is_plain(ps)) {
		static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n"};
		for (size_t i = 0; i < NELEM(yaml11); i++)
			if (ieq(sval(ps), yaml11[i]))
				return fail(ps, ev_line(ps), keypath,
					    "'%s' is not a boolean here; use true or false", sval(ps));
	}
	if (ps->ev.type == YAML_SCALAR_EVENT && !is_plain(ps) && classify(sval(ps), slen(ps)) == P_BOOL)
		return fail_type(ps, keypath, "true or false", " (remove the quotes)");
	return fail_type(ps, keypath, "true or false", NULL);
}

enum { STR_EMPTY_OK = 1, STR_PATH = 2 };

/* The current value as a string (malloc'd into *out); STR_PATH ~-expands. */
static int get_string(struct ps *ps, const char *keypath, int flags, char **out)
{
	if (ps->ev.type != YAML_SCALAR_EVENT)
		return fail_type(ps, keypath, (flags & STR_PATH) ? "a path (a string)" : "a string", NULL);
	const char *s = sval(ps);
	if (is_plain(ps)) {
		enum plain_kind k = classify(s, slen(ps));
		bool home = (flags & STR_PATH) && !strcmp(s, "~");
		if (k == P_NULL && !home)
			return fail_type(ps, keypath, "a string",
					 (flags & STR_EMPTY_OK) ? " (write '' for an empty string)" : NULL);
		if (k == P_BOOL || k == P_INT || k == P_FLOAT)
			return fail_type(ps, keypath, (flags & STR_PATH) ? "a path (a string)" : "a string",
					 "; quote it if you mean the text");
	}
	if (strlen(s) != slen(ps))
		return fail(ps, ev_line(ps), keypath, "the string contains a NUL character");
	if (!*s && !(flags & STR_EMPTY_OK))
		return fail(ps, ev_line(ps), keypath, "must not be empty");
	*out = (flags & STR_PATH) ? paths_expand_home(s) : xstrdup(s);
	return 0;
}

/* The current value as a list of non-empty paths, ~-expanded. */
static int get_paths(struct ps *ps, const char *keypath, char ***out, size_t *nout)
{
	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail_type(ps, keypath, "a list of paths", NULL);
	char **v = NULL;
	size_t n = 0;
	struct buf kp = BUF_INIT;
	for (;;) {
		buf_reset(&kp);
		buf_printf(&kp, "%s[%zu]", keypath, n);
		if (next_event(ps, buf_str(&kp)) < 0)
			goto fail;
		if (ps->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		char *s;
		if (get_string(ps, buf_str(&kp), STR_PATH, &s) < 0)
			goto fail;
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = s;
	}
	buf_free(&kp);
	*out = v;
	*nout = n;
	return 0;
fail:
	buf_free(&kp);
	free_strv(v, n);
	return -1;
}

/* A log level name (trimmed, lowercased) to LOG_*; -1 if it is none. */
static int level_from(const char *s)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	static const int levels[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
		n--;
	for (size_t i = 0; i < NELEM(names); i++)
		if (strlen(names[i]) == n) {
			char tmp[8];
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			if (ieq(tmp, names[i]))
				return levels[i];
		}
	return -1;
}

/* The current value as a plain decimal integer. */
static int get_int(struct ps *ps, const char *keypath, long long *out)
{
	if (ps->ev.type == YAML_SCALAR_EVENT && is_plain(ps) && classify(sval(ps), slen(ps)) == P_INT) {
		const char *s = sval(ps);
		const char *d = (*s == '+' || *s == '-') ? s + 1 : s;
		if (all_digits(d, "0123456789")) {
			errno = 0;
			long long v = strtoll(s, NULL, 10);
			if (errno == ERANGE || v > INT_MAX || v < INT_MIN)
				return fail(ps, ev_line(ps), keypath, "the number %s is too large", s);
			*out = v;
			return 0;
		}
	}
	if (ps->ev.type == YAML_SCALAR_EVENT && !is_plain(ps) && classify(sval(ps), slen(ps)) == P_INT)
		return fail_type(ps, keypath, "a whole number", " (remove the quotes)");
	return fail_type(ps, keypath, "a whole number", NULL);
}

static bool is_provider_name(const char *s, size_t n)
{
	if (n < 1 || n > 32 || strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int parse_value(struct ps *ps, const char *name, const char *keypath, const struct field *f);

/* The mapping whose MAPPING_START is the current event. For fixed fields
 * (fields != NULL) each key must be one of them; otherwise keys are
 * provider names and each value goes to parse_value with `dyn`. */
static int parse_map(struct ps *ps, const char *path, const struct field *fields, size_t n,
		     const struct field *dyn)
{
	char **seen = NULL;
	size_t nseen = 0;
	bool seen_field[16] = {false};
	struct buf kp = BUF_INIT;
	int rc = -1;
	for (;;) {
		if (next_event(ps, path) < 0)
			goto out;
		if (ps->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (ps->ev.type != YAML_SCALAR_EVENT) {
			fail_type(ps, path, "a key (a name followed by ':')", NULL);
			goto out;
		}
		size_t line = ev_line(ps);
		buf_reset(&kp);
		if (path) {
			buf_adds(&kp, path);
			buf_addc(&kp, '.');
		}
		add_shown(&kp, sval(ps), slen(ps));
		const struct field *f = NULL;
		if (fields) {
			for (size_t i = 0; i < n; i++)
				if (!strcmp(fields[i].name, sval(ps)) && strlen(fields[i].name) == slen(ps)) {
					f = &fields[i];
					break;
				}
			if (!f) {
				struct buf valid = BUF_INIT;
				for (size_t i = 0; i < n; i++)
					buf_printf(&valid, "%s%s", i ? ", " : "", fields[i].name);
				fail(ps, line, buf_str(&kp), "unknown key; valid keys%s%s are: %s",
				     path ? " in " : "", path ? path : "", buf_str(&valid));
				buf_free(&valid);
				goto out;
			}
			if (seen_field[f - fields]) {
				fail(ps, line, buf_str(&kp), "duplicate key (each key may appear once)");
				goto out;
			}
			seen_field[f - fields] = true;
		} else {
			if (!is_provider_name(sval(ps), slen(ps))) {
				fail(ps, line, buf_str(&kp),
				     "not a provider name (1 to 32 of a-z, 0-9, '_' and '-', e.g. claude, codex, gemini)");
				goto out;
			}
			for (size_t i = 0; i < nseen; i++)
				if (!strcmp(seen[i], sval(ps))) {
					fail(ps, line, buf_str(&kp), "duplicate key (each key may appear once)");
					goto out;
				}
			if (nseen == CONFIG_MAX_PROVIDERS) {
				fail(ps, line, buf_str(&kp), "too many providers (at most %d)", CONFIG_MAX_PROVIDERS);
				goto out;
			}
			seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
			seen[nseen++] = xstrdup(sval(ps));
			f = dyn;
		}
		char *key = buf_take(&kp);
		int r = next_event(ps, key);
		if (r == 0)
			r = parse_value(ps, fields ? f->name : seen[nseen - 1], key, f);
		free(key);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&kp);
	free_strv(seen, nseen);
	return rc;
}

/* The value of key `name` (full path keypath; its first event is current)
 * per field f. */
static int parse_value(struct ps *ps, const char *name, const char *keypath, const struct field *f)
{
	struct kato_config *c = ps->c;
	char *base = (char *)c;
	long long num;
	char *s;
	bool b;
	switch (f->kind) {
	case F_BOOL:
		return get_bool(ps, keypath, (bool *)(base + f->off));
	case F_IGNORED_BOOL:
		return get_bool(ps, keypath, &b);
	case F_STRING:
		if (get_string(ps, keypath, STR_EMPTY_OK, &s) < 0)
			return -1;
		free(*(char **)(base + f->off));
		*(char **)(base + f->off) = s;
		return 0;
	case F_IGNORED_PATH:
		if (get_string(ps, keypath, STR_PATH, &s) < 0)
			return -1;
		free(s);
		return 0;
	case F_PATHS: {
		char **v;
		size_t n;
		if (get_paths(ps, keypath, &v, &n) < 0)
			return -1;
		free_strv(c->allowed_write_roots, c->n_allowed_write_roots);
		c->allowed_write_roots = v;
		c->n_allowed_write_roots = n;
		return 0;
	}
	case F_LEVEL: {
		if (ps->ev.type != YAML_SCALAR_EVENT ||
		    (is_plain(ps) && classify(sval(ps), slen(ps)) != P_TEXT))
			return fail_type(ps, keypath, "one of debug, info, warn, error", NULL);
		int lvl = strlen(sval(ps)) == slen(ps) ? level_from(sval(ps)) : -1;
		if (lvl < 0)
			return fail_type(ps, keypath, "one of debug, info, warn, error", NULL);
		*(int *)(base + f->off) = lvl;
		return 0;
	}
	case F_MEMORY:
		if (get_int(ps, keypath, &num) < 0)
			return -1;
		if (num <= 0)
			return fail(ps, ev_line(ps), keypath, "must be a whole number of megabytes above 0, got %lld",
				    num);
		*(int *)(base + f->off) = (int)num;
		return 0;
	case F_SCHEMA:
		if (get_int(ps, keypath, &num) < 0)
			return -1;
		if (num != 1)
			return fail(ps, ev_line(ps), keypath,
				    "unsupported schemaVersion %lld; this kato reads schemaVersion 1", num);
		return 0;
	case F_PROVIDER_ROOTS: {
		static const struct field roots = {"", F_PROVIDER_PATHS, 0, NULL, 0};
		if (ps->ev.type != YAML_MAPPING_START_EVENT)
			return fail_type(ps, keypath, "a mapping of provider names to lists of paths", NULL);
		return parse_map(ps, keypath, NULL, 0, &roots);
	}
	case F_PROVIDER_PATHS: {
		struct config_provider_roots pr = {NULL, NULL, 0};
		if (get_paths(ps, keypath, &pr.roots, &pr.n) < 0)
			return -1;
		pr.provider = xstrdup(name);
		c->provider_roots = xrealloc(c->provider_roots, (c->n_provider_roots + 1) * sizeof *c->provider_roots);
		c->provider_roots[c->n_provider_roots++] = pr;
		return 0;
	}
	case F_PROVIDER_BOOLS: {
		static const struct field flag = {"", F_IGNORED_BOOL, 0, NULL, 0};
		if (ps->ev.type != YAML_MAPPING_START_EVENT)
			return fail_type(ps, keypath, "a mapping of provider names to true or false", NULL);
		return parse_map(ps, keypath, NULL, 0, &flag);
	}
	case F_MAP:
		if (ps->ev.type != YAML_MAPPING_START_EVENT)
			return fail_type(ps, keypath, "a mapping (indented key: value lines below it)",
					 ps->ev.type == YAML_SCALAR_EVENT && is_plain(ps) &&
							 classify(sval(ps), slen(ps)) == P_NULL
						 ? "; remove the key or write {}"
						 : NULL);
		return parse_map(ps, keypath, f->sub, f->nsub, NULL);
	}
	return -1;
}

_Static_assert(NELEM(top_fields) <= 16, "parse_map tracks at most 16 fixed keys");

/* Parse the whole input held by ps (set up by ps_open). With env_provider
 * NULL the document is a config file: a mapping, or nothing at all. Else it
 * is the JSON array of $KATO_<P>_SESSION_ROOTS for that provider, stored in
 * c->provider_roots unless it is empty. */
static int parse_document(struct ps *ps, const char *env_provider)
{
	struct buf kp = BUF_INIT;
	if (env_provider)
		buf_printf(&kp, "providerSessionRoots.%s", env_provider);
	const char *keypath = env_provider ? buf_str(&kp) : "(top level)";
	int rc = -1;
	if (next_event(ps, NULL) < 0) /* stream start */
		goto out;
	if (next_event(ps, NULL) < 0)
		goto out;
	if (ps->ev.type == YAML_STREAM_END_EVENT && !env_provider) {
		rc = 0; /* empty, or only comments */
		goto out;
	}
	if (ps->ev.type != YAML_DOCUMENT_START_EVENT) {
		fail(ps, ev_line(ps), keypath, "expected a JSON array of paths, got nothing");
		goto out;
	}
	if (next_event(ps, keypath) < 0)
		goto out;
	if (env_provider) {
		struct config_provider_roots pr = {NULL, NULL, 0};
		if (get_paths(ps, keypath, &pr.roots, &pr.n) < 0)
			goto out;
		if (pr.n) {
			pr.provider = xstrdup(env_provider);
			ps->c->provider_roots = xrealloc(ps->c->provider_roots,
							 (ps->c->n_provider_roots + 1) * sizeof *ps->c->provider_roots);
			ps->c->provider_roots[ps->c->n_provider_roots++] = pr;
		}
	} else if (ps->ev.type == YAML_MAPPING_START_EVENT) {
		if (parse_map(ps, NULL, top_fields, NELEM(top_fields), NULL) < 0)
			goto out;
	} else if (!(ps->ev.type == YAML_SCALAR_EVENT && is_plain(ps) &&
		     classify(sval(ps), slen(ps)) == P_NULL)) {
		fail_type(ps, keypath, "a mapping of settings (key: value lines)", NULL);
		goto out;
	}
	if (next_event(ps, NULL) < 0) /* document end */
		goto out;
	if (next_event(ps, NULL) < 0)
		goto out;
	if (ps->ev.type != YAML_STREAM_END_EVENT) {
		fail(ps, ev_line(ps), NULL, "a second YAML document is not allowed (remove the '---' line)");
		goto out;
	}
	rc = 0;
out:
	buf_free(&kp);
	return rc;
}

/* Parse input (len bytes, named `file` in messages) into c. */
static int parse_input(struct kato_config *c, const char *file, const char *input, size_t len,
		       const char *env_provider, char **err)
{
	struct ps ps;
	memset(&ps, 0, sizeof ps);
	ps.file = file;
	ps.input = (const unsigned char *)input;
	ps.len = len;
	ps.c = c;
	if (!yaml_parser_initialize(&ps.parser)) {
		*err = xstrdup("out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&ps.parser, ps.input, len);
	int rc = parse_document(&ps, env_provider);
	if (ps.have_ev)
		yaml_event_delete(&ps.ev);
	yaml_parser_delete(&ps.parser);
	if (rc < 0) {
		*err = ps.err ? ps.err : xstrdup("invalid configuration");
		return -1;
	}
	free(ps.err);
	return 0;
}

/* Read a whole file of at most CONFIG_MAX_BYTES into *out (malloc'd).
 * 0, 1 if it does not exist, -1 with *err. */
static int read_config_file(const char *path, char **out, size_t *len, char **err)
{
	struct buf e = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		buf_printf(&e, "%s: cannot open: %s", path, strerror(errno));
		*err = buf_take(&e);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		buf_printf(&e, "%s: not a regular file", path);
		*err = buf_take(&e);
		close(fd);
		return -1;
	}
	struct buf b = BUF_INIT;
	char tmp[16384];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		buf_add(&b, tmp, (size_t)n);
		if (b.len > CONFIG_MAX_BYTES)
			break;
	}
	int saved = errno;
	close(fd);
	if (n < 0) {
		buf_printf(&e, "%s: cannot read: %s", path, strerror(saved));
	} else if (b.len > CONFIG_MAX_BYTES) {
		buf_printf(&e, "%s: larger than %d bytes; this is not a kato config file", path, CONFIG_MAX_BYTES);
	} else {
		*len = b.len;
		*out = buf_take(&b);
		return 0;
	}
	buf_free(&b);
	*err = buf_take(&e);
	return -1;
}

/* Apply the environment overrides listed at the top of this file. */
static int apply_env(struct kato_config *c, char **err)
{
	static const struct {
		const char *var;
		size_t off;
	} levels[] = {
		{"KATO_LOGGING_OPERATIONAL_LEVEL", offsetof(struct kato_config, operational_level)},
		{"KATO_LOGGING_AUDIT_LEVEL", offsetof(struct kato_config, audit_level)},
	};
	for (size_t i = 0; i < NELEM(levels); i++) {
		const char *v = getenv(levels[i].var);
		if (!v || !*v)
			continue;
		int lvl = level_from(v);
		if (lvl < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "environment: %s: expected one of debug, info, warn, error, got '", levels[i].var);
			add_shown(&b, v, strlen(v));
			buf_addc(&b, '\'');
			*err = buf_take(&b);
			return -1;
		}
		*(int *)((char *)c + levels[i].off) = lvl;
	}
	static const char *const providers[] = {"claude", "codex", "gemini"};
	for (size_t i = 0; i < NELEM(providers); i++) {
		if (config_roots_for(c, providers[i]))
			continue;
		struct buf var = BUF_INIT;
		buf_adds(&var, "KATO_");
		for (const char *p = providers[i]; *p; p++)
			buf_addc(&var, (char)(*p - 'a' + 'A'));
		buf_adds(&var, "_SESSION_ROOTS");
		const char *v = getenv(buf_str(&var));
		int rc = 0;
		if (v && *v) {
			struct buf name = BUF_INIT;
			buf_printf(&name, "$%s", buf_str(&var));
			rc = parse_input(c, buf_str(&name), v, strlen(v), providers[i], err);
			buf_free(&name);
		}
		buf_free(&var);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int config_load(const char *path, struct kato_config *c, char **err)
{
	config_defaults(c);
	*err = NULL;
	char *text = NULL;
	size_t len = 0;
	int r = read_config_file(path, &text, &len, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		c->path = xstrdup(path);
		int rc = parse_input(c, path, text, len, NULL, err);
		free(text);
		if (rc < 0)
			goto fail;
	}
	if (apply_env(c, err) < 0)
		goto fail;
	return 0;
fail:
	config_free(c);
	return -1;
}

/* ---------------------------------------------------------------- paths */

char *config_default_path(void)
{
	const char *explicit_path = getenv("KATO_CONFIG_PATH");
	if (explicit_path && *explicit_path)
		return paths_expand_home(explicit_path);
	char *dir = paths_config_dir();
	char *path = paths_join(dir, "config.yaml");
	free(dir);
	const char *kh = getenv("KATO_HOME");
	if ((kh && *kh) || access(path, F_OK) == 0)
		return path;
	char *legacy = paths_expand_home("~/.kato/kato-config.yaml");
	if (access(legacy, F_OK) == 0) {
		free(path);
		return legacy;
	}
	free(legacy);
	return path;
}

/* ---------------------------------------------------------------- kato init */

static const char default_text[] =
	"# kato configuration (YAML). Every key is optional: a key left out takes\n"
	"# the default shown here, and a missing file means all defaults. kato\n"
	"# refuses a file with an unknown key, a wrong type or a duplicate key and\n"
	"# names the key and the line, so a typo never passes silently.\n"
	"#\n"
	"# The keys are those of the original kato's kato-config.yaml, which loads\n"
	"# unchanged. Its runtimeDir, katoDir, statusPath and controlPath are\n"
	"# accepted and ignored: kato keeps its files in the XDG directories (or\n"
	"# under $KATO_HOME) and talks to katod over a Unix socket.\n"
	"\n"
	"schemaVersion: 1\n"
	"\n"
	"# Accepted and ignored (kato keeps its files in the XDG directories, or\n"
	"# under $KATO_HOME); the original kato's defaults were:\n"
	"#   runtimeDir: ~/.kato/runtime\n"
	"#   katoDir: ~/.kato\n"
	"#   statusPath: ~/.kato/runtime/status.json\n"
	"#   controlPath: ~/.kato/runtime/control.json\n"
	"\n"
	"# Directories that ::record, ::capture, ::export and `kato export -o` may\n"
	"# write into, besides kato's own recordings directory, which is always\n"
	"# allowed. The default is none: the original kato allowed the directory\n"
	"# `kato init` ran in, and a broad root such as ~ would let a command that\n"
	"# ends up in a chat overwrite any file in your home directory. Add the\n"
	"# directories you want notes in, e.g.:\n"
	"#   allowedWriteRoots:\n"
	"#     - ~/notes\n"
	"#     - ~/src/my-project/docs\n"
	"# (~ is your home directory; prefer absolute paths to relative ones.)\n"
	"allowedWriteRoots: []\n"
	"\n"
	"# Where each provider's session logs are watched. A provider not named\n"
	"# here is watched in its plugin's default places (see kato providers);\n"
	"# naming one replaces them, and an empty list [] stops watching it. The\n"
	"# built-in defaults are:\n"
	"#   providerSessionRoots:\n"
	"#     claude:\n"
	"#       - ~/.claude/projects      # $CLAUDE_CONFIG_DIR/projects if set\n"
	"#     codex:\n"
	"#       - ~/.codex/sessions\n"
	"#     gemini:\n"
	"#       - ~/.gemini/tmp\n"
	"providerSessionRoots: {}\n"
	"\n"
	"# Accepted for compatibility and unused: kato always keeps every event.\n"
	"globalAutoGenerateSnapshots: false\n"
	"providerAutoGenerateSnapshots: {}\n"
	"\n"
	"# Forget every session's recording state when katod stops.\n"
	"cleanSessionStatesOnShutdown: false\n"
	"\n"
	"# YAML front matter at the top of Markdown recordings.\n"
	"markdownFrontmatter:\n"
	"  includeFrontmatterInMarkdownRecordings: true\n"
	"  includeUpdatedInFrontmatter: false\n"
	"  addParticipantUsernameToFrontmatter: false\n"
	"  defaultParticipantUsername: ''   # '' means $USER\n"
	"  includeConversationEventKinds: false\n"
	"\n"
	"# What the Markdown writer includes, and what katod does.\n"
	"featureFlags:\n"
	"  writerIncludeCommentary: true\n"
	"  writerIncludeThinking: false\n"
	"  writerIncludeToolCalls: false\n"
	"  writerItalicizeUserMessages: false\n"
	"  daemonExportEnabled: true\n"
	"  captureIncludeSystemEvents: false\n"
	"\n"
	"# debug, info, warn or error ($KATO_LOGGING_OPERATIONAL_LEVEL and\n"
	"# $KATO_LOGGING_AUDIT_LEVEL override these).\n"
	"logging:\n"
	"  operationalLevel: info\n"
	"  auditLevel: info\n"
	"\n"
	"# Memory budget for katod, in megabytes.\n"
	"daemonMaxMemoryMb: 500\n";

const char *config_default_text(void)
{
	return default_text;
}

int config_write_default(const char *path, char **err)
{
	struct buf e = BUF_INIT;
	struct stat st;
	*err = NULL;
	if (lstat(path, &st) == 0)
		return 1;
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		int r = paths_mkdir_p(dir, 0700);
		free(dir);
		if (r < 0) {
			buf_printf(&e, "%s: cannot create its directory: %s", path, strerror(errno));
			*err = buf_take(&e);
			return -1;
		}
	}
	struct buf t = BUF_INIT;
	buf_printf(&t, "%s.tmp-XXXXXX", path);
	char *tmp = buf_take(&t);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		buf_printf(&e, "%s: %s", tmp, strerror(errno));
		goto fail_tmp;
	}
	size_t len = sizeof default_text - 1, done = 0;
	while (done < len) {
		ssize_t n = write(fd, default_text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_printf(&e, "%s: write failed: %s", tmp, n < 0 ? strerror(errno) : "short write");
			close(fd);
			goto fail_unlink;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		buf_printf(&e, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail_unlink;
	}
	if (close(fd) < 0) {
		buf_printf(&e, "%s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	/* link() never replaces an existing file, unlike rename(); fall back
	 * to rename() only where hard links are unsupported. */
	int rc = 0;
	if (link(tmp, path) < 0) {
		if (errno == EEXIST) {
			rc = 1;
		} else if (lstat(path, &st) == 0) {
			rc = 1;
		} else if (rename(tmp, path) < 0) {
			buf_printf(&e, "%s: %s", path, strerror(errno));
			goto fail_unlink;
		}
	}
	unlink(tmp);
	free(tmp);
	return rc;
fail_unlink:
	unlink(tmp);
fail_tmp:
	free(tmp);
	*err = buf_take(&e);
	return -1;
}
