/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "fingerprint.h"

#include <string.h>
#include <xxhash.h>

#include "event.h"
#include "kato/provider.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void from_hash(XXH128_hash_t h, struct fingerprint *out)
{
	put64(out->b, h.high64);
	put64(out->b + 8, h.low64);
}

void fingerprint_bytes(const void *p, size_t n, struct fingerprint *out)
{
	from_hash(XXH3_128bits(p, n), out);
}

/* Feed one field of n bytes: a presence tag, its length, then its bytes.
 * (For text without a NUL, n is strlen: the same bytes as kato 0.1.) */
static void feed_n(XXH3_state_t *st, const char *s, size_t n)
{
	uint64_t len = s ? (uint64_t)n : UINT64_MAX;
	XXH3_128bits_update(st, &len, sizeof len);
	if (s)
		XXH3_128bits_update(st, s, n);
}

static void feed(XXH3_state_t *st, const char *s)
{
	feed_n(st, s, s ? strlen(s) : 0);
}

void fingerprint_event(const char *provider, const char *session_id,
		       const struct kato_event *ev, struct fingerprint *out)
{
	XXH3_state_t *st = XXH3_createState();
	XXH3_128bits_reset(st);
	uint64_t index = ev->index;
	feed(st, provider);
	feed(st, session_id);
	feed(st, ev->event_id);
	feed(st, ev->kind);
	XXH3_128bits_update(st, &index, sizeof index);
	/* the order of kato 0.1; free text with its ABI 1.1 length */
	feed_n(st, ev->content, EVENT_LEN(ev, content));
	feed(st, ev->phase);
	feed(st, ev->model);
	feed(st, ev->tool_call_id);
	feed(st, ev->name);
	feed_n(st, ev->description, EVENT_LEN(ev, description));
	feed(st, ev->input_json);
	feed_n(st, ev->result, EVENT_LEN(ev, result));
	feed(st, ev->decision_id);
	feed(st, ev->decision_key);
	feed_n(st, ev->summary, EVENT_LEN(ev, summary));
	const char *rest[] = {
		ev->status, ev->decided_by, ev->basis_event_ids_json, ev->metadata_json,
		ev->subtype, ev->level, ev->trigger,
	};
	for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
		feed(st, rest[i]);
	from_hash(XXH3_128bits_digest(st), out);
	XXH3_freeState(st);
}

void fingerprint_hex(const struct fingerprint *fp, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[fp->b[i] >> 4];
		out[2 * i + 1] = hex[fp->b[i] & 15];
	}
	out[32] = '\0';
}
