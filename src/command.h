/* SPDX-License-Identifier: Apache-2.0 */
/* command: in-chat command detection (ref §3.1) and path arguments (SPEC §4). */
#ifndef KATO_COMMAND_H
#define KATO_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#define CMD_MAX_PER_MESSAGE 1000

struct cmd {
	char *name; /* "init", "record", "capture", "export" or "stop" */
	char *arg;  /* JS-trimmed argument; NULL when there is none */
	int line;   /* 1-based line in the normalised message */
	char *raw;  /* the whole line as written (after \r\n normalisation) */
};

struct cmd_error {
	int line;
	char *raw;
	char *reason; /* e.g. "Command '::record' does not accept arguments" */
};

struct cmd_result {
	struct cmd *cmds; /* in line order */
	size_t n;
	struct cmd_error *errs; /* in line order */
	size_t nerrs;
};

/* Detect the commands in one human message (ref §3.1): \r\n and lone \r
 * become \n, fenced blocks are skipped, each other line is matched against
 * ^\s*::([a-z][a-z0-9-]*)(?:\s+(.+))?\s*$ with JavaScript semantics (/i,
 * \s = JS whitespace, '.' stops at U+2028/U+2029) and validated.
 * Both lists are filled, as the reference does: the caller must run NOTHING
 * from a message whose nerrs > 0 (fail closed per message); the valid
 * commands are still listed in cmds for logging.
 * Deviations, for input no person types: an argument holding a NUL byte is
 * an error "Command '::<name>' argument contains a NUL byte"; past
 * CMD_MAX_PER_MESSAGE commands and errors, scanning stops with the error
 * "Too many control commands in one message (more than N)" (memory stays
 * bounded, and the message fails closed).
 * Pure (no I/O). Always returns 0; free *out with cmd_result_free. */
int cmd_detect(const char *text, size_t len, struct cmd_result *out);
void cmd_result_free(struct cmd_result *r);

/* Lines [from, to) of the message (1-based, after \r\n / \r normalisation),
 * joined with "\n"; the range is clamped to the message, and an empty range
 * gives "". For ::record seeding and ::capture trailing lines (ref §3.3).
 * Returns a malloc'd string. */
char *cmd_lines(const char *text, size_t len, int from, int to);

struct cmd_path_ctx {
	const char *home;            /* for "~"; NULL: "~" is an error */
	const char *cwd;             /* the session's working dir, or NULL */
	const char *default_dir;     /* the default recordings directory */
	const char *provider;        /* provider name, for the generated name */
	const char *kato_session_id; /* kato's session id, for the generated name */
	int64_t now_ms;              /* Unix ms, for the generated name */
};

/* Resolve a command's path argument (raw: NULL or "" when the command had
 * none) to an absolute, lexically normalised path (no ".", "..", "//" or
 * trailing "/"), per SPEC §4:
 *   - trim; a whole "[label](target)" becomes target; then one matching
 *     pair of ", ' or ` is removed (ref §3.2);
 *   - a leading "@" is stripped; "~" and "~/..." expand to ctx->home;
 *   - a relative path is resolved against ctx->cwd (an error without one);
 *   - a path naming an existing directory, ending in "/" (or in "/." or
 *     "/..", or being "~") gets the generated name (cmd_default_name) inside;
 *   - no argument: ctx->default_dir + the generated name.
 * Does not check allowedWriteRoots (pathpolicy does) and does not add ".md".
 * Returns 0 and *out (malloc'd), or -1 and *why (malloc'd, caller frees). */
int cmd_resolve_path(const char *raw, const struct cmd_path_ctx *ctx, char **out, char **why);

/* The generated file name of ref §3.3 (no directory):
 * <prov>-<first 8 chars of the session id>-<UTC yyyyMMdd'T'HHmmss'Z'>.md,
 * <prov> lowercased, runs outside [a-z0-9._-] turned into one "-", "-" runs
 * collapsed, edge "-" trimmed, "recording" if nothing is left. A "/" in the
 * session id part becomes "-". Returns a malloc'd string. */
char *cmd_default_name(const char *provider, const char *kato_session_id, int64_t now_ms);

#endif
