/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kato provider plugin ABI.
 *
 * A provider is a shared object that exports exactly one symbol,
 * kato_provider_get_desc(), returning a constant descriptor. Providers are
 * pure parsers: the host reads files, tracks cursors, stores events and
 * decides what to do with them; the provider turns bytes into canonical
 * events through the callbacks in struct kato_host. A provider does no I/O,
 * keeps no global mutable state and starts no threads, so one instance per
 * file can run anywhere and be fuzzed alone (katod's backfill runs several
 * files' instances at once, each on its own thread).
 *
 * Versioning: the host refuses a descriptor whose abi_major differs from
 * KATO_PROVIDER_ABI_MAJOR or whose abi_minor is newer than its own, and reads
 * only the descriptor fields that struct_size covers. The same rule applies
 * in the other direction to struct kato_host and struct kato_event, which
 * begin with their own struct_size: a plugin must check a field is covered
 * (KATO_HAS_FIELD) before it reads a member added in a later minor version.
 * New members are only ever appended.
 *
 * Strings passed across the ABI are NUL-terminated UTF-8 and borrowed: they
 * are valid only for the duration of the call that passes them. The free
 * text of an event may itself hold a NUL (a JSON "\u0000"): since ABI 1.1
 * its byte length travels in the matching *_len member of struct
 * kato_event (see there).
 *
 * History: 1.0 first release. 1.1 appends content_len, result_len,
 * summary_len and description_len to struct kato_event. 1.2 appends probe
 * to struct kato_provider_desc (recognise a file by its content).
 */
#ifndef KATO_PROVIDER_H
#define KATO_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KATO_PROVIDER_ABI_MAJOR 1
#define KATO_PROVIDER_ABI_MINOR 2

#define KATO_PROVIDER_EXPORT __attribute__((visibility("default")))
#define KATO_PROVIDER_SYMBOL "kato_provider_get_desc"

/* True when a struct that starts with `uint32_t struct_size` is large
 * enough to contain `member`. */
#define KATO_HAS_FIELD(ptr, type, member)                                      \
	((ptr)->struct_size >=                                                 \
	 offsetof(type, member) + sizeof(((type *)0)->member))

/* How a provider wants a file fed to it (return of match_path). */
enum kato_feed {
	KATO_FEED_NONE = 0,     /* not this provider's file */
	KATO_FEED_LINES = 1,    /* append-only JSONL: parse_line per line */
	KATO_FEED_DOCUMENT = 2, /* rewritten whole: parse_document per change */
	/* OR'd in: a fallback claim ("any *.jsonl"). When a file outside every
	 * root is imported, a plain claim by another provider wins. */
	KATO_FEED_WEAK = 0x100,
};
#define KATO_FEED_MODE(f) ((enum kato_feed)((f) & 0xff))

/* How sure a probe is that a file is its provider's (return of probe). */
enum kato_probe {
	KATO_PROBE_NO = 0,    /* not this provider's, or cannot tell */
	KATO_PROBE_MAYBE = 1, /* plausible: records of a shape it reads */
	KATO_PROBE_SURE = 2,  /* records only this provider writes */
};
/* The most bytes a host passes to probe. */
#define KATO_PROBE_BYTES 65536

/* Event flags. */
enum {
	/* Text a human typed. Only message.user events with this flag (and
	 * without KATO_EVENT_SIDECHAIN) are ever scanned for commands. */
	KATO_EVENT_HUMAN = 1u << 0,
	/* Produced by a sub-agent / sidechain rather than the main thread. */
	KATO_EVENT_SIDECHAIN = 1u << 1,
	/* Text the tool injected into the conversation (isMeta, command
	 * caveats, <environment_context>, AGENTS.md bodies, compaction
	 * summaries). Kept, never treated as typed by a human. */
	KATO_EVENT_INJECTED = 1u << 2,
	/* A tool result that reports an error. */
	KATO_EVENT_ERROR = 1u << 3,
};

/*
 * One canonical event (ref §2.1 ConversationEvent). `kind` is one of
 * "message.user", "message.assistant", "message.system", "thinking",
 * "tool.call", "tool.result", "decision", "provider.info", "compaction".
 * Fields that do not apply to a kind stay NULL / 0. The host serialises the
 * event to the reference's JSON, computes its fingerprint and stores it.
 */
struct kato_event {
	uint32_t struct_size; /* sizeof(struct kato_event) as the plugin saw it */
	uint32_t flags;       /* KATO_EVENT_* */
	const char *kind;

	/* Identity. event_id is the reference's eventId ("<uuid>:<kind>[:i]")
	 * and must be stable across re-reads of the same record: together with
	 * kind, `index` and the content it forms the dedupe fingerprint. */
	const char *event_id;
	uint32_t index; /* position of this event within its record */
	const char *turn_id;
	const char *timestamp;           /* ISO-8601 from the provider, or NULL */
	const char *provider_event_type; /* source.providerEventType */
	const char *provider_event_id;   /* source.providerEventId */

	/* message.*, thinking, provider.info, compaction (summary) */
	const char *content;
	const char *phase; /* "commentary" | "final" | "other" */
	const char *model;

	/* tool.call / tool.result */
	const char *tool_call_id;
	const char *name;
	const char *description;
	const char *input_json; /* tool.call input: a JSON object, as text */
	const char *result;

	/* decision */
	const char *decision_id;
	const char *decision_key;
	const char *summary;
	const char *status;     /* proposed|accepted|rejected|superseded */
	const char *decided_by; /* "user" | "assistant" */
	const char *basis_event_ids_json; /* JSON array of strings, as text */
	const char *metadata_json;        /* JSON object, as text */

	/* provider.info */
	const char *subtype;
	const char *level;

	/* compaction */
	const char *trigger; /* "auto" | "manual" | ... */
	int64_t pre_tokens;  /* 0 when unknown */
	int64_t post_tokens; /* 0 when unknown */

	/* ABI 1.1: byte lengths of the free-text fields above, which may then
	 * hold NUL bytes (text is stored exactly; only Markdown shows a NUL,
	 * as U+FFFD). The string must still be NUL-terminated after its
	 * length. 0 means "strlen()", so a plugin that leaves them zero, or
	 * a 1.0 plugin whose struct_size ends before them, is read as
	 * before. */
	size_t content_len;
	size_t result_len;
	size_t summary_len;
	size_t description_len;
};

/* Facts about the session a file belongs to. NULL fields are unchanged. */
struct kato_session_info {
	uint32_t struct_size;
	const char *provider_session_id; /* required */
	const char *parent_session_id;   /* for sub-agent sessions */
	const char *title;
	const char *cwd;
	const char *model;
	const char *started_at; /* ISO-8601 */
};

/* Log levels for kato_host.log. */
enum kato_log_level {
	KATO_LOG_DEBUG = 0,
	KATO_LOG_INFO = 1,
	KATO_LOG_WARN = 2,
	KATO_LOG_ERROR = 3,
};

/*
 * Services the host gives a parser. `ctx` is the host's per-file context,
 * passed back unchanged with every call.
 */
struct kato_host {
	uint32_t struct_size;
	uint32_t abi_minor;
	/* Hand one event to the host. Returns 0, or -1 if the host rejected
	 * it (the parser carries on). */
	int (*emit)(void *ctx, const struct kato_event *ev);
	/* Name or update the session this file belongs to. A file's events
	 * belong to the session most recently named; before any call, the
	 * host uses the file name without its extensions: a compression
	 * suffix (.zst) and then the format's extension ("ab.jsonl.zst" and
	 * "ab.hello" are "ab", "a.b.json" is "a.b"). */
	void (*session)(void *ctx, const struct kato_session_info *info);
	/* Count a record the parser skipped on purpose: `type` names it
	 * ("progress", "unknown:foo", "bad-json", ...). Shown per provider in
	 * kato status (format drift), running or not, with the date counting
	 * started. */
	void (*count)(void *ctx, const char *type);
	/* printf-style log line, attributed to the file by the host. */
	void (*log)(void *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Byte offset just after the record being parsed, counted from the
	 * start of the file (decompressed for .zst), newline included; -1 in
	 * parse_document. Stable for append-only files, so usable in ids. */
	int64_t (*record_end)(void *ctx);
};

/*
 * The descriptor. Every function receives the per-file parser state created
 * by open_file; nothing else is shared.
 */
struct kato_provider_desc {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size; /* sizeof(struct kato_provider_desc) */
	const char *name;     /* "claude", "codex", ...: [a-z0-9_-]+ */
	const char *version;
	const char *description;
	/* Default roots, one per line. The host expands ~ and
	 * ${VAR:-fallback}; a config entry providerSessionRoots.<name> wins. */
	const char *default_roots;

	/* Does this provider read `path`, and how? Must be cheap: decides on
	 * the path alone. The host asks only the provider whose root holds the
	 * file, except for `kato import` of a file outside every root, where
	 * it asks all of them: claim weakly (KATO_FEED_WEAK) what is only
	 * plausible, plainly what follows the provider's own naming. */
	enum kato_feed (*match_path)(const char *path);

	/* Create parser state for one file. `blob`/`blob_len` is what
	 * save_state returned when the host last committed a cursor for this
	 * file (NULL/0 for a file read from its start). Returns 0 or -1. */
	int (*open_file)(const struct kato_host *host, void *ctx,
			 const char *path, const void *blob, size_t blob_len,
			 void **state);

	/* KATO_FEED_LINES: one line, without its newline. Returns 0 when the
	 * line was a well-formed record (whether or not it produced events),
	 * 1 when it is not a complete record (nothing emitted, no state
	 * changed: the host skips it, or, for a last line with no newline
	 * yet, waits for more bytes), -1 on an internal error. A parser
	 * names the problem by calling count() before it returns 1 ("bad-line"):
	 * the host's warning then gives that name; without a count the host
	 * counts "bad-json" and says the line is not JSON. Counts made while
	 * a last line with no newline is tried are kept only if it parses.
	 * Must cope with any bytes: invalid UTF-8, NUL bytes, huge lines. */
	int (*parse_line)(void *state, const char *line, size_t len);

	/* KATO_FEED_DOCUMENT: the whole file as it is now. Returns 0 when the
	 * document parsed (events emitted), 1 when it is incomplete or
	 * half-written and should be retried on the next change (nothing
	 * emitted), -1 on a permanent error. */
	int (*parse_document)(void *state, const char *buf, size_t len);

	/* Serialise what the parser must remember to resume after the last
	 * record it was given (Codex session meta, current turn, ...). The
	 * returned buffer belongs to the state and stays valid until the next
	 * call on it. Optional: NULL means stateless. */
	int (*save_state)(void *state, const void **blob, size_t *blob_len);

	/* The file has been idle for a while: emit records held back while
	 * they might still change (a streamed message written again under the
	 * same id). Optional. */
	void (*flush)(void *state);

	/* The file was truncated or rewritten and will be fed again from its
	 * start: forget everything learned from it. Optional. (katod 0.1 opens
	 * a fresh state in that case instead; a host that keeps states open
	 * between reads calls this.) */
	void (*reset)(void *state);

	void (*close_file)(void *state);

	/* ABI 1.2, optional (read only when struct_size covers it). Is a
	 * file whose first bytes are head[0..len) this provider's, whatever
	 * its name? `head` holds at most KATO_PROBE_BYTES bytes from the start
	 * of the file (decompressed for .zst), is not NUL-terminated and may
	 * end inside a line or a JSON value; len < KATO_PROBE_BYTES means it
	 * is the whole file. Returns an enum kato_probe and, unless it
	 * returns KATO_PROBE_NO, sets *feed to KATO_FEED_LINES or
	 * KATO_FEED_DOCUMENT: how this content must be fed, whatever the
	 * name says (a JSON document named *.jsonl is still a document).
	 * Must be cheap and pure, like match_path. `kato import` asks every
	 * provider about a file its name does not settle, takes the surest
	 * answer, and feeds the file in the mode that answer gives, also
	 * under --provider. */
	enum kato_probe (*probe)(const char *head, size_t len, enum kato_feed *feed);
};

/* The one symbol a provider exports. */
typedef const struct kato_provider_desc *(*kato_provider_get_desc_fn)(void);
KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void);

#ifdef __cplusplus
}
#endif

#endif /* KATO_PROVIDER_H */
