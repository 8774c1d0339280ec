/* config: the YAML configuration ($XDG_CONFIG_HOME/kato/config.yaml).
 * Same keys and defaults as the reference kato (ref §6); every key is
 * optional; validation is fail-closed: an unknown key at any level, a
 * wrong type or a bad value is an error naming the key and its line. */
#ifndef KATO_CONFIG_H
#define KATO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config_provider_roots {
	char *provider;
	char **roots; /* ~-expanded */
	size_t n;
};

struct kato_config {
	char **allowed_write_roots; /* ~-expanded; relative entries as written */
	size_t n_allowed_write_roots;
	struct config_provider_roots *provider_roots; /* only providers the file names */
	size_t n_provider_roots;
	bool global_auto_generate_snapshots; /* accepted; kato keeps every event anyway */
	bool clean_session_states_on_shutdown;
	struct {
		bool include_frontmatter;
		bool include_updated;
		bool add_participant_username;
		char *default_participant_username;
		bool include_conversation_event_kinds;
	} frontmatter;
	struct {
		bool include_commentary;
		bool include_thinking;
		bool include_tool_calls;
		bool italicize_user_messages;
		bool daemon_export_enabled;
		bool capture_include_system_events;
	} flags;
	int operational_level; /* LOG_DEBUG..LOG_ERROR (log.h) */
	int audit_level;
	int daemon_max_memory_mb;
	char *path; /* the file read; NULL when none existed */
};

/* The defaults of ref §6.1 (allowedWriteRoots empty: the default
 * recordings directory is always allowed anyway). */
void config_defaults(struct kato_config *c);
/* The file to read: $KATO_CONFIG_PATH if set; else <config dir>/config.yaml
 * (paths.h); if that is absent, KATO_HOME is unset and the reference's
 * ~/.kato/kato-config.yaml exists, that one. Malloc'd. */
char *config_default_path(void);
/* Defaults, then the file at `path` on top. A missing file is not an
 * error. -1 with *err = "<path>:<line>: <key>: <problem>" (malloc'd). */
int config_load(const char *path, struct kato_config *c, char **err);
/* The configured roots of provider `name`, or NULL (use its defaults). */
const struct config_provider_roots *config_roots_for(const struct kato_config *c, const char *name);
void config_free(struct kato_config *c);

#endif
