/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hello: a complete kato provider for a line format of its own.
 *
 * A *.hello file is one conversation. Each line is "KEY: TEXT":
 *
 *     session: greet-42           names the session (optional: without it
 *                                 the session is the file name without its
 *                                 extension, "notes" for notes.hello)
 *     title: Saying hello         the session's title (after session:)
 *     user: hi there              a message the user typed
 *     assistant: hello!           the assistant's answer
 *
 * Blank lines are skipped by kato. A line with another key is counted as
 * "unknown:KEY" (kato status shows the counts) and skipped; a line with no
 * ": " is counted as "bad-line" and skipped, with a warning from kato.
 *
 * The parser remembers two things between reads, the number of the current
 * turn and the session the file named, and hands them to kato through
 * save_state, so that a file that grows later goes on with the right turn
 * ids and can still set the title.
 *
 * Build: make (uses only pkg-config --cflags --libs kato-provider).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kato/provider.h>

struct hello {
	const struct kato_host *host;
	void *ctx;
	unsigned turn;  /* user messages seen so far */
	char sid[128];  /* the session named by "session:", or "" */
	char saved[160]; /* save_state's buffer: "<turn> <sid>" */
};

static enum kato_feed hello_match_path(const char *path)
{
	size_t n = strlen(path);
	return n > 6 && !strcmp(path + n - 6, ".hello") ? KATO_FEED_LINES : KATO_FEED_NONE;
}

static int hello_open(const struct kato_host *host, void *ctx, const char *path,
		      const void *blob, size_t blob_len, void **state)
{
	(void)path;
	struct hello *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->host = host;
	h->ctx = ctx;
	/* resume: the blob is what hello_save_state returned, "<turn> <sid>"
	 * (any bytes may come back from a damaged store: check them) */
	if (blob && blob_len > 0 && blob_len < sizeof h->saved) {
		char saved[sizeof h->saved];
		memcpy(saved, blob, blob_len);
		saved[blob_len] = '\0';
		char *end;
		h->turn = (unsigned)strtoul(saved, &end, 10);
		if (*end == ' ')
			snprintf(h->sid, sizeof h->sid, "%s", end + 1);
	}
	*state = h;
	return 0;
}

/* Copy line[0..len) to a NUL-terminated string (the ABI passes strings so). */
static char *dup_text(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int emit_message(struct hello *h, const char *kind, const char *text, size_t len)
{
	char id[64], turn[32];
	/* ids must be stable across re-reads: the record's end offset is */
	snprintf(id, sizeof id, "line-%lld:%s", (long long)h->host->record_end(h->ctx), kind);
	snprintf(turn, sizeof turn, "turn-%u", h->turn);
	char *content = dup_text(text, len);
	if (!content)
		return -1;
	struct kato_event ev = {
		.struct_size = sizeof ev,
		.flags = strcmp(kind, "message.user") ? 0 : KATO_EVENT_HUMAN,
		.kind = kind,
		.event_id = id,
		.turn_id = turn,
		.provider_event_type = kind + 8, /* "user" or "assistant" */
		.content = content,
		.content_len = len, /* the text may hold a NUL byte */
		.phase = strcmp(kind, "message.user") ? "final" : NULL,
	};
	h->host->emit(h->ctx, &ev); /* -1: the host rejected it; carry on */
	free(content);
	return 0;
}

static int hello_parse_line(void *state, const char *line, size_t len)
{
	struct hello *h = state;
	const char *sep = memchr(line, ':', len);
	if (!sep || (size_t)(sep - line) + 1 >= len || sep[1] != ' ') {
		/* Not a record of ours. Name the problem (kato counts it and
		 * says so in its warning) and return 1: skipped. */
		h->host->count(h->ctx, "bad-line");
		return 1;
	}
	size_t klen = (size_t)(sep - line);
	const char *text = sep + 2;
	size_t tlen = len - klen - 2;
	if (klen == 7 && !memcmp(line, "session", 7)) {
		if (tlen == 0 || tlen >= sizeof h->sid || memchr(text, '\0', tlen)) {
			h->host->count(h->ctx, "bad-session");
			return 0;
		}
		memcpy(h->sid, text, tlen);
		h->sid[tlen] = '\0';
		struct kato_session_info si = {.struct_size = sizeof si, .provider_session_id = h->sid};
		h->host->session(h->ctx, &si);
	} else if (klen == 5 && !memcmp(line, "title", 5)) {
		/* session facts need the session's id: only after "session:" */
		if (!h->sid[0]) {
			h->host->count(h->ctx, "title-without-session");
			return 0;
		}
		char *title = dup_text(text, tlen);
		if (!title)
			return -1;
		struct kato_session_info si = {
			.struct_size = sizeof si, .provider_session_id = h->sid, .title = title};
		h->host->session(h->ctx, &si);
		free(title);
	} else if (klen == 4 && !memcmp(line, "user", 4)) {
		h->turn++;
		return emit_message(h, "message.user", text, tlen);
	} else if (klen == 9 && !memcmp(line, "assistant", 9)) {
		return emit_message(h, "message.assistant", text, tlen);
	} else {
		/* A well-formed line we do not read: count it by its key. */
		char type[48];
		snprintf(type, sizeof type, "unknown:%.*s", (int)(klen > 32 ? 32 : klen), line);
		h->host->count(h->ctx, type);
	}
	return 0;
}

static int hello_save_state(void *state, const void **blob, size_t *blob_len)
{
	struct hello *h = state;
	int n = snprintf(h->saved, sizeof h->saved, "%u %s", h->turn, h->sid);
	*blob = h->saved;
	*blob_len = (size_t)n;
	return 0;
}

static void hello_close(void *state)
{
	free(state);
}

static const struct kato_provider_desc desc = {
	.abi_major = KATO_PROVIDER_ABI_MAJOR,
	.abi_minor = KATO_PROVIDER_ABI_MINOR,
	.struct_size = sizeof desc,
	.name = "hello",
	.version = "1.0",
	.description = "an example provider: KEY: TEXT lines in *.hello files",
	.default_roots = "${HELLO_HOME:-~/.hello}/sessions",
	.match_path = hello_match_path,
	.open_file = hello_open,
	.parse_line = hello_parse_line,
	.save_state = hello_save_state,
	.close_file = hello_close,
};

KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void)
{
	return &desc;
}
