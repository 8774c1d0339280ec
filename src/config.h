/* SPDX-License-Identifier: Apache-2.0 */
/* config: kato's YAML configuration (SPEC §7, ref §6): the reference's keys
 * and defaults, validated fail-closed (any unknown key, wrong type, duplicate
 * key or YAML feature kato does not use is an error naming key and line). */
#ifndef KATO_CONFIG_H
#define KATO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* providerSessionRoots.<provider>: the directories to watch, ~-expanded. */
struct config_provider_roots {
	char *provider;
	char **roots;
	size_t n;
};

struct kato_config {
	/* allowedWriteRoots, ~-expanded, absolute or relative as written;
	 * default none (the recordings directory is always allowed) */
	char **allowed_write_roots;
	size_t n_allowed_write_roots;
	/* only the providers the file (or KATO_<P>_SESSION_ROOTS) names */
	struct config_provider_roots *provider_roots;
	size_t n_provider_roots;
	/* accepted for compatibility; kato always keeps every event */
	bool global_auto_generate_snapshots;
	bool clean_session_states_on_shutdown;
	struct {
		bool include_frontmatter;             /* includeFrontmatterInMarkdownRecordings, true */
		bool include_updated;                 /* includeUpdatedInFrontmatter, false */
		bool add_participant_username;        /* addParticipantUsernameToFrontmatter, false */
		char *default_participant_username;   /* defaultParticipantUsername, "" (never NULL) */
		bool include_conversation_event_kinds; /* includeConversationEventKinds, false */
	} frontmatter;
	struct {
		bool include_commentary;             /* writerIncludeCommentary, true */
		bool include_thinking;               /* writerIncludeThinking, false */
		bool include_tool_calls;             /* writerIncludeToolCalls, false */
		bool italicize_user_messages;        /* writerItalicizeUserMessages, false */
		bool daemon_export_enabled;          /* daemonExportEnabled, true */
		bool capture_include_system_events;  /* captureIncludeSystemEvents, false */
	} flags;
	int operational_level, audit_level; /* LOG_DEBUG..LOG_ERROR (src/log.h), LOG_INFO */
	int daemon_max_memory_mb;           /* 500 */
	char *path;                         /* file it came from, NULL for pure defaults */
};

/* Fill c with the defaults (owns its strings; release with config_free). */
void config_defaults(struct kato_config *c);

/* The config file to read (malloc'd): $KATO_CONFIG_PATH (~-expanded) when
 * set and non-empty; else <config dir>/config.yaml ($KATO_HOME/config.yaml
 * under KATO_HOME); else, when that file is absent, KATO_HOME is unset and
 * ~/.kato/kato-config.yaml (the reference's file) exists, that one. */
char *config_default_path(void);

/* Load path into c: defaults first, then the file, then the environment
 * overrides listed at the top of config.c. A missing file means all
 * defaults and returns 0 (c->path stays NULL). Any problem returns -1, leaves
 * c empty (safe to config_free) and sets *err to one malloc'd line:
 * "<path>:<line>: <key path>: <what is wrong, what is expected>". */
int config_load(const char *path, struct kato_config *c, char **err);

/* The roots for provider `name` if the config names it, else NULL (the
 * caller then uses the plugin's defaults). Owned by c. */
const struct config_provider_roots *config_roots_for(const struct kato_config *c, const char *name);

/* The commented default config text config_write_default writes (static). */
const char *config_default_text(void);

/* Write the commented default config to path (creating its directory),
 * atomically and never over an existing file. 0 written, 1 the file already
 * exists (left alone), -1 and *err (malloc'd) on failure. */
int config_write_default(const char *path, char **err);

/* Release everything c owns and leave it zeroed. */
void config_free(struct kato_config *c);

#endif
