/* Environment honoured: KATO_CONFIG_PATH (the file to read),
 * KATO_LOGGING_OPERATIONAL_LEVEL and KATO_LOGGING_AUDIT_LEVEL (override
 * the file's levels). The reference's runtimeDir, katoDir, statusPath and
 * controlPath keys are accepted so existing files load, and ignored: kato
 * keeps its files in the XDG directories (or KATO_HOME). */
#include "autoconfig.h"

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "buf.h"
#include "log.h"
#include "paths.h"

void config_defaults(struct kato_config *c)
{
	memset(c, 0, sizeof *c);
	c->frontmatter.include_frontmatter = true;
	c->frontmatter.default_participant_username = xstrdup("");
	c->flags.include_commentary = true;
	c->flags.daemon_export_enabled = true;
	c->operational_level = LOG_INFO;
	c->audit_level = LOG_INFO;
	c->daemon_max_memory_mb = 500;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct kato_config *c)
{
	free_list(c->allowed_write_roots, c->n_allowed_write_roots);
	for (size_t i = 0; i < c->n_provider_roots; i++) {
		free(c->provider_roots[i].provider);
		free_list(c->provider_roots[i].roots, c->provider_roots[i].n);
	}
	free(c->provider_roots);
	free(c->frontmatter.default_participant_username);
	free(c->path);
	memset(c, 0, sizeof *c);
}

char *config_default_path(void)
{
	const char *env = getenv("KATO_CONFIG_PATH");
	if (env && *env)
		return xstrdup(env);
	char *dir = paths_config_dir();
	char *path = paths_join(dir, "config.yaml");
	free(dir);
	struct stat st;
	const char *kh = getenv("KATO_HOME");
	if (stat(path, &st) < 0 && !(kh && *kh)) {
		char *home = paths_home();
		char *legacy = paths_join(home, ".kato/kato-config.yaml");
		free(home);
		if (stat(legacy, &st) == 0) {
			free(path);
			return legacy;
		}
		free(legacy);
	}
	return path;
}

const struct config_provider_roots *config_roots_for(const struct kato_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_provider_roots; i++)
		if (!strcmp(c->provider_roots[i].provider, name))
			return &c->provider_roots[i];
	return NULL;
}

/* ---------------------------------------------------------------- parsing */

struct ctx {
	yaml_document_t *doc;
	const char *path;
	char **err;
	struct kato_config *c;
};

static int fail(struct ctx *x, const yaml_node_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct ctx *x, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s:%lu: %s: ", x->path, n ? (unsigned long)n->start_mark.line + 1 : 0UL, key);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*x->err = buf_take(&b);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: break;
	}
	const char *s = scalar(n);
	if (!plain(n))
		return "a string";
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return "null";
	if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "True") || !strcmp(s, "False") ||
	    !strcmp(s, "TRUE") || !strcmp(s, "FALSE"))
		return "a boolean";
	char *end;
	errno = 0;
	strtod(s, &end);
	if (*s && !*end)
		return "a number";
	return "a string";
}

static int get_bool(struct ctx *x, const yaml_node_t *n, const char *key, bool *out)
{
	if (n->type == YAML_SCALAR_NODE && plain(n)) {
		const char *s = scalar(n);
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
			*out = false;
			return 0;
		}
		if (!strcasecmp(s, "yes") || !strcasecmp(s, "no") || !strcasecmp(s, "on") || !strcasecmp(s, "off"))
			return fail(x, n, key, "'%s' is not a boolean in YAML 1.2; use true or false", s);
	}
	return fail(x, n, key, "expected true or false, got %s", type_name(n));
}

/* A non-empty string: quoted, or plain text that YAML would not read as
 * another type. */
static int get_string(struct ctx *x, const yaml_node_t *n, const char *key, bool allow_empty, const char **out)
{
	if (n->type != YAML_SCALAR_NODE || strcmp(type_name(n), "a string"))
		return fail(x, n, key, "expected a string, got %s", type_name(n));
	if (!allow_empty && !*scalar(n))
		return fail(x, n, key, "must not be empty");
	*out = scalar(n);
	return 0;
}

static int get_list(struct ctx *x, const yaml_node_t *n, const char *key, char ***out, size_t *nout)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, key, "expected a list of strings, got %s", type_name(n));
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	char **v = xcalloc(cnt + 1, sizeof *v);
	size_t k = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *item = yaml_document_get_node(x->doc, *it);
		const char *s;
		struct buf kb = BUF_INIT;
		buf_printf(&kb, "%s[%zu]", key, k);
		int rc = item ? get_string(x, item, kb.p, false, &s) : -1;
		buf_free(&kb);
		if (rc < 0) {
			free_list(v, k);
			return -1;
		}
		v[k++] = paths_expand_home(s);
	}
	*out = v;
	*nout = k;
	return 0;
}

static int get_level(struct ctx *x, const yaml_node_t *n, const char *key, int *out)
{
	const char *s;
	if (get_string(x, n, key, false, &s) < 0)
		return -1;
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char low[16] = "";
	size_t a = 0, z = strlen(s);
	while (a < z && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
		z--;
	for (size_t i = 0; i < z - a && i < sizeof low - 1; i++)
		low[i] = (char)(s[a + i] >= 'A' && s[a + i] <= 'Z' ? s[a + i] + 32 : s[a + i]);
	for (int i = 0; i < 4; i++) {
		if (z - a < sizeof low && !strcmp(low, names[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(x, n, key, "'%s' is not a level; use debug, info, warn or error", s);
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Walk a mapping: for each key, call `field(x, key, value, keypath)`,
 * rejecting duplicate keys. */
typedef int (*field_fn)(struct ctx *x, const char *key, const yaml_node_t *v, const char *keypath);

static int each_field(struct ctx *x, const yaml_node_t *map, const char *prefix, field_fn field)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(x, map, prefix[0] ? prefix : "(top level)", "expected a mapping of keys, got %s",
			    type_name(map));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail(x, k, prefix[0] ? prefix : "(top level)", "keys must be plain strings");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *k2 = yaml_document_get_node(x->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && !strcmp(scalar(k2), scalar(k)))
				return fail(x, k, scalar(k), "duplicate key (first at line %lu)",
					    (unsigned long)k2->start_mark.line + 1);
		}
		struct buf kp = BUF_INIT;
		buf_printf(&kp, "%s%s%s", prefix, prefix[0] ? "." : "", scalar(k));
		int rc = field(x, scalar(k), v, kp.p);
		buf_free(&kp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int unknown(struct ctx *x, const yaml_node_t *v, const char *keypath, const char *valid)
{
	(void)v;
	return fail(x, v, keypath, "unknown key (valid keys here: %s)", valid);
}

static int fm_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	struct kato_config *c = x->c;
	if (!strcmp(k, "includeFrontmatterInMarkdownRecordings"))
		return get_bool(x, v, kp, &c->frontmatter.include_frontmatter);
	if (!strcmp(k, "includeUpdatedInFrontmatter"))
		return get_bool(x, v, kp, &c->frontmatter.include_updated);
	if (!strcmp(k, "addParticipantUsernameToFrontmatter"))
		return get_bool(x, v, kp, &c->frontmatter.add_participant_username);
	if (!strcmp(k, "includeConversationEventKinds"))
		return get_bool(x, v, kp, &c->frontmatter.include_conversation_event_kinds);
	if (!strcmp(k, "defaultParticipantUsername")) {
		const char *s;
		if (get_string(x, v, kp, true, &s) < 0)
			return -1;
		free(c->frontmatter.default_participant_username);
		c->frontmatter.default_participant_username = xstrdup(s);
		return 0;
	}
	return unknown(x, v, kp, "includeFrontmatterInMarkdownRecordings, includeUpdatedInFrontmatter, "
			     "addParticipantUsernameToFrontmatter, defaultParticipantUsername, "
			     "includeConversationEventKinds");
}

static int flag_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	struct kato_config *c = x->c;
	static const struct {
		const char *key;
		size_t off;
	} flags[] = {
		{"writerIncludeCommentary", offsetof(struct kato_config, flags.include_commentary)},
		{"writerIncludeThinking", offsetof(struct kato_config, flags.include_thinking)},
		{"writerIncludeToolCalls", offsetof(struct kato_config, flags.include_tool_calls)},
		{"writerItalicizeUserMessages", offsetof(struct kato_config, flags.italicize_user_messages)},
		{"daemonExportEnabled", offsetof(struct kato_config, flags.daemon_export_enabled)},
		{"captureIncludeSystemEvents", offsetof(struct kato_config, flags.capture_include_system_events)},
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (!strcmp(k, flags[i].key))
			return get_bool(x, v, kp, (bool *)((char *)c + flags[i].off));
	return unknown(x, v, kp, "writerIncludeCommentary, writerIncludeThinking, writerIncludeToolCalls, "
			     "writerItalicizeUserMessages, daemonExportEnabled, captureIncludeSystemEvents");
}

static int logging_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	if (!strcmp(k, "operationalLevel"))
		return get_level(x, v, kp, &x->c->operational_level);
	if (!strcmp(k, "auditLevel"))
		return get_level(x, v, kp, &x->c->audit_level);
	return unknown(x, v, kp, "operationalLevel, auditLevel");
}

static int roots_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	struct kato_config *c = x->c;
	if (!name_ok(k))
		return fail(x, v, kp, "not a provider name ([a-z0-9_-], at most 32 characters)");
	struct config_provider_roots r = {.provider = xstrdup(k)};
	if (get_list(x, v, kp, &r.roots, &r.n) < 0) {
		free(r.provider);
		return -1;
	}
	c->provider_roots = xrealloc(c->provider_roots, (c->n_provider_roots + 1) * sizeof *c->provider_roots);
	c->provider_roots[c->n_provider_roots++] = r;
	return 0;
}

static int autogen_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	bool ignored;
	if (!name_ok(k))
		return fail(x, v, kp, "not a provider name ([a-z0-9_-], at most 32 characters)");
	return get_bool(x, v, kp, &ignored);
}

static int top_field(struct ctx *x, const char *k, const yaml_node_t *v, const char *kp)
{
	struct kato_config *c = x->c;
	const char *s;
	if (!strcmp(k, "schemaVersion")) {
		if (v->type != YAML_SCALAR_NODE || !plain(v) || strcmp(scalar(v), "1"))
			return fail(x, v, kp, "must be 1 (this kato reads configuration schema 1)");
		return 0;
	}
	if (!strcmp(k, "runtimeDir") || !strcmp(k, "katoDir") || !strcmp(k, "statusPath") ||
	    !strcmp(k, "controlPath"))
		return get_string(x, v, kp, false, &s); /* accepted, unused */
	if (!strcmp(k, "allowedWriteRoots")) {
		free_list(c->allowed_write_roots, c->n_allowed_write_roots);
		c->allowed_write_roots = NULL;
		c->n_allowed_write_roots = 0;
		return get_list(x, v, kp, &c->allowed_write_roots, &c->n_allowed_write_roots);
	}
	if (!strcmp(k, "providerSessionRoots"))
		return each_field(x, v, kp, roots_field);
	if (!strcmp(k, "globalAutoGenerateSnapshots"))
		return get_bool(x, v, kp, &c->global_auto_generate_snapshots);
	if (!strcmp(k, "providerAutoGenerateSnapshots"))
		return each_field(x, v, kp, autogen_field);
	if (!strcmp(k, "cleanSessionStatesOnShutdown"))
		return get_bool(x, v, kp, &c->clean_session_states_on_shutdown);
	if (!strcmp(k, "markdownFrontmatter"))
		return each_field(x, v, kp, fm_field);
	if (!strcmp(k, "featureFlags"))
		return each_field(x, v, kp, flag_field);
	if (!strcmp(k, "logging"))
		return each_field(x, v, kp, logging_field);
	if (!strcmp(k, "daemonMaxMemoryMb")) {
		const char *t = v->type == YAML_SCALAR_NODE && plain(v) ? scalar(v) : "";
		char *end;
		errno = 0;
		long mb = strtol(t, &end, 10);
		if (!*t || *end || errno || mb <= 0 || mb > 1048576)
			return fail(x, v, kp, "expected a whole number of megabytes greater than 0, got %s",
				    type_name(v));
		c->daemon_max_memory_mb = (int)mb;
		return 0;
	}
	return unknown(x, v, kp, "schemaVersion, allowedWriteRoots, providerSessionRoots, markdownFrontmatter, "
			     "featureFlags, logging, daemonMaxMemoryMb, globalAutoGenerateSnapshots, "
			     "providerAutoGenerateSnapshots, cleanSessionStatesOnShutdown, runtimeDir, katoDir, "
			     "statusPath, controlPath");
}

static int env_level(const char *var, int *out, char **err)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return 0;
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, names[i])) {
			*out = i;
			return 0;
		}
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s must be one of: debug, info, warn, error (got '%s')", var, v);
	*err = buf_take(&b);
	return -1;
}

int config_load(const char *path, struct kato_config *c, char **err)
{
	config_defaults(c);
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno != ENOENT) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "%s: cannot read: %s", path, strerror(errno));
			*err = buf_take(&b);
			config_free(c);
			return -1;
		}
	} else {
		c->path = xstrdup(path);
		yaml_parser_t parser;
		yaml_document_t doc;
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_file(&parser, f);
		int rc = 0;
		if (!yaml_parser_load(&parser, &doc)) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "%s:%lu: invalid YAML: %s", path, (unsigned long)parser.problem_mark.line + 1,
				   parser.problem ? parser.problem : "syntax error");
			*err = buf_take(&b);
			rc = -1;
		} else {
			yaml_node_t *root = yaml_document_get_root_node(&doc);
			struct ctx x = {&doc, path, err, c};
			if (root && !(root->type == YAML_SCALAR_NODE && !strcmp(type_name(root), "null")))
				rc = each_field(&x, root, "", top_field);
			/* a second document in the file is not allowed */
			yaml_document_t extra;
			if (rc == 0 && yaml_parser_load(&parser, &extra)) {
				if (yaml_document_get_root_node(&extra)) {
					struct buf b = BUF_INIT;
					buf_printf(&b, "%s: more than one YAML document; keep one", path);
					*err = buf_take(&b);
					rc = -1;
				}
				yaml_document_delete(&extra);
			}
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&parser);
		fclose(f);
		if (rc < 0) {
			config_free(c);
			return -1;
		}
	}
	if (env_level("KATO_LOGGING_OPERATIONAL_LEVEL", &c->operational_level, err) < 0 ||
	    env_level("KATO_LOGGING_AUDIT_LEVEL", &c->audit_level, err) < 0) {
		config_free(c);
		return -1;
	}
	return 0;
}
