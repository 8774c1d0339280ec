/* pjson: small json-c helpers shared by the bundled providers (compiled
 * into each plugin; not part of the ABI). */
#ifndef KATO_PJSON_H
#define KATO_PJSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Member accessors: NULL / fallback when absent or of another type. */
const char *pj_str(struct json_object *obj, const char *key);
struct json_object *pj_obj(struct json_object *obj, const char *key);
struct json_object *pj_arr(struct json_object *obj, const char *key);
bool pj_bool(struct json_object *obj, const char *key, bool fallback);
int64_t pj_int(struct json_object *obj, const char *key, int64_t fallback);
/* Compact JSON text of v (no "/" escaping); owned by v, valid until v
 * is serialised again or freed. */
const char *pj_text(struct json_object *v);
/* Parse one line or document; NULL unless it is exactly one JSON value.
 * Nesting up to 256 levels. Caller owns the result. */
struct json_object *pj_parse(const char *s, size_t n);

/* FNV-1a 64 of bytes, for stable ids of records that carry none. */
uint64_t pj_hash64(const void *p, size_t n);

/* A growable string for plugins. */
struct pj_buf {
	char *p;
	size_t len, cap;
};
void pj_add(struct pj_buf *b, const char *s, size_t n);
void pj_adds(struct pj_buf *b, const char *s);
const char *pj_cstr(struct pj_buf *b); /* "" when empty */
void pj_reset(struct pj_buf *b);
void pj_free(struct pj_buf *b);

#endif
