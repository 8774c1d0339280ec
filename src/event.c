/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "event.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"

static const char *const kinds[] = {
	"message.user", "message.assistant", "message.system", "thinking",
	"tool.call", "tool.result", "decision", "provider.info", "compaction",
};

bool event_kind_valid(const char *kind)
{
	if (!kind)
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

size_t event_field_len(const struct kato_event *ev, const char *s, size_t len_off)
{
	if (!s)
		return 0;
	if (ev->struct_size >= len_off + sizeof(size_t)) {
		size_t n;
		memcpy(&n, (const char *)ev + len_off, sizeof n);
		if (n)
			return n;
	}
	return strlen(s);
}

int event_check(const struct kato_event *ev, const char **why)
{
	if (ev->struct_size < offsetof(struct kato_event, post_tokens) + sizeof ev->post_tokens) {
		*why = "event struct too small";
		return -1;
	}
	if (!event_kind_valid(ev->kind)) {
		*why = "unknown event kind";
		return -1;
	}
	if (!ev->event_id || !*ev->event_id) {
		*why = "missing event_id";
		return -1;
	}
	const char *k = ev->kind;
	if ((!strncmp(k, "message.", 8) || !strcmp(k, "thinking")) && !ev->content) {
		*why = "message without content";
		return -1;
	}
	if ((!strcmp(k, "tool.call") || !strcmp(k, "tool.result")) && !ev->tool_call_id) {
		*why = "tool event without tool_call_id";
		return -1;
	}
	if (!strcmp(k, "decision") && (!ev->decision_id || !ev->summary || !ev->status)) {
		*why = "decision without id, summary or status";
		return -1;
	}
	return 0;
}

/* The keys are string literals: ",\"k\":" is put together at compile
 * time and added with its known length, with no escaping to look for. */
#define KEY_LIT(k) ",\"" k "\":"
#define KEY(b, k) buf_add((b), KEY_LIT(k), sizeof KEY_LIT(k) - 1)

static void str_field_(struct buf *b, const char *key, size_t key_len, const char *v)
{
	if (!v)
		return;
	buf_add(b, key, key_len);
	json_add_str(b, v);
}
#define str_field(b, k, v) str_field_((b), KEY_LIT(k), sizeof KEY_LIT(k) - 1, (v))

/* A free-text field with its byte length (it may hold a NUL). */
static void text_field_(struct buf *b, const char *key, size_t key_len, const char *v, size_t n)
{
	if (!v)
		return;
	buf_add(b, key, key_len);
	json_add_strn(b, v, n);
}
#define text_field(b, k, v, n) text_field_((b), KEY_LIT(k), sizeof KEY_LIT(k) - 1, (v), (n))

/* A non-negative integer in decimal (what "%" PRId64 writes, without
 * printf's cost per event). */
static void add_int(struct buf *b, int64_t v)
{
	char d[24];
	size_t i = sizeof d;
	uint64_t u = (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	buf_add(b, d + i, sizeof d - i);
}

/* A field holding JSON text from the plugin, written canonically: as it
 * is when it already is in json_add_value's form (as json-c's compact
 * output nearly always is), else parsed and re-serialised. -1 when the
 * text is not JSON of type t. */
static int json_field_(struct buf *b, const char *key, size_t key_len, const char *text, enum json_type t)
{
	if (!text)
		return 0;
	ssize_t n = json_canonical_len(text, t == json_type_array ? '[' : '{');
	if (n >= 0) {
		buf_add(b, key, key_len);
		buf_add(b, text, (size_t)n);
		return 0;
	}
	struct json_object *v = pj_parse(text, strlen(text));
	if (!v || !json_object_is_type(v, t)) {
		json_object_put(v);
		return -1;
	}
	buf_add(b, key, key_len);
	json_add_value(b, v);
	json_object_put(v);
	return 0;
}
#define json_field(b, k, text, t) json_field_((b), KEY_LIT(k), sizeof KEY_LIT(k) - 1, (text), (t))

int event_to_json(const struct kato_event *ev, const char *provider,
		  const char *session_id, int64_t raw_cursor, struct buf *b)
{
	const char *k = ev->kind;
	int rc = 0;
	buf_adds(b, "{\"eventId\":");
	json_add_str(b, ev->event_id);
	str_field(b, "provider", provider);
	str_field(b, "sessionId", session_id);
	KEY(b, "timestamp");
	json_add_str(b, ev->timestamp ? ev->timestamp : "");
	str_field(b, "kind", k);
	str_field(b, "turnId", ev->turn_id);
	KEY(b, "source");
	buf_adds(b, "{\"providerEventType\":");
	json_add_str(b, ev->provider_event_type ? ev->provider_event_type : "");
	str_field(b, "providerEventId", ev->provider_event_id);
	if (raw_cursor >= 0) {
		buf_adds(b, ",\"rawCursor\":{\"kind\":\"byte-offset\",\"value\":");
		add_int(b, raw_cursor);
		buf_addc(b, '}');
	}
	buf_addc(b, '}');

	if (!strncmp(k, "message.", 8)) {
		str_field(b, "role", k + 8);
		text_field(b, "content", ev->content, EVENT_LEN(ev, content));
		str_field(b, "model", ev->model);
		str_field(b, "phase", ev->phase);
	} else if (!strcmp(k, "thinking")) {
		text_field(b, "content", ev->content, EVENT_LEN(ev, content));
	} else if (!strcmp(k, "tool.call")) {
		str_field(b, "toolCallId", ev->tool_call_id);
		str_field(b, "name", ev->name ? ev->name : "unknown");
		text_field(b, "description", ev->description, EVENT_LEN(ev, description));
		rc |= json_field(b, "input", ev->input_json, json_type_object);
	} else if (!strcmp(k, "tool.result")) {
		str_field(b, "toolCallId", ev->tool_call_id);
		KEY(b, "result");
		if (ev->result)
			json_add_strn(b, ev->result, EVENT_LEN(ev, result));
		else
			buf_adds(b, "\"\"");
		if (ev->flags & KATO_EVENT_ERROR)
			buf_adds(b, ",\"isError\":true");
	} else if (!strcmp(k, "decision")) {
		str_field(b, "decisionId", ev->decision_id);
		str_field(b, "decisionKey", ev->decision_key ? ev->decision_key : "");
		text_field(b, "summary", ev->summary, EVENT_LEN(ev, summary));
		str_field(b, "status", ev->status);
		str_field(b, "decidedBy", ev->decided_by ? ev->decided_by : "");
		if (ev->basis_event_ids_json)
			rc |= json_field(b, "basisEventIds", ev->basis_event_ids_json, json_type_array);
		else
			buf_adds(b, ",\"basisEventIds\":[]");
		rc |= json_field(b, "metadata", ev->metadata_json, json_type_object);
	} else if (!strcmp(k, "provider.info")) {
		if (ev->content)
			text_field(b, "content", ev->content, EVENT_LEN(ev, content));
		else
			str_field(b, "content", "");
		str_field(b, "subtype", ev->subtype);
		str_field(b, "level", ev->level);
	} else if (!strcmp(k, "compaction")) {
		text_field(b, "content", ev->content, EVENT_LEN(ev, content));
		str_field(b, "trigger", ev->trigger);
		if (ev->pre_tokens > 0) {
			KEY(b, "preTokens");
			add_int(b, ev->pre_tokens);
		}
		if (ev->post_tokens > 0) {
			KEY(b, "postTokens");
			add_int(b, ev->post_tokens);
		}
	}
	/* kato's own marks, after the reference's fields */
	if (ev->flags & KATO_EVENT_SIDECHAIN)
		buf_adds(b, ",\"isSidechain\":true");
	if (ev->flags & KATO_EVENT_INJECTED)
		buf_adds(b, ",\"isInjected\":true");
	buf_addc(b, '}');
	return rc ? -1 : 0;
}
