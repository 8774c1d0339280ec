#include "pjson.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *pj_str(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *member(struct json_object *obj, const char *key, enum json_type t)
{
	struct json_object *v;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

struct json_object *pj_obj(struct json_object *obj, const char *key)
{
	return member(obj, key, json_type_object);
}

struct json_object *pj_arr(struct json_object *obj, const char *key)
{
	return member(obj, key, json_type_array);
}

bool pj_bool(struct json_object *obj, const char *key, bool fallback)
{
	struct json_object *v = member(obj, key, json_type_boolean);
	return v ? json_object_get_boolean(v) : fallback;
}

int64_t pj_int(struct json_object *obj, const char *key, int64_t fallback)
{
	struct json_object *v = member(obj, key, json_type_int);
	if (!v)
		v = member(obj, key, json_type_double);
	return v ? json_object_get_int64(v) : fallback;
}

const char *pj_text(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

struct json_object *pj_parse(const char *s, size_t n)
{
	if (n > INT_MAX - 1)
		return NULL;
	struct json_tokener *tok = json_tokener_new_ex(256);
	if (!tok)
		return NULL;
	struct json_object *v = json_tokener_parse_ex(tok, s, (int)n);
	enum json_tokener_error err = json_tokener_get_error(tok);
	if (err == json_tokener_continue) {
		json_object_put(v);
		v = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
	}
	if (v && err == json_tokener_success) {
		for (size_t end = json_tokener_get_parse_end(tok); end < n; end++) {
			char c = s[end];
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\0') {
				json_object_put(v);
				v = NULL;
				break;
			}
		}
	} else {
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

uint64_t pj_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void pj_add(struct pj_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void pj_adds(struct pj_buf *b, const char *s)
{
	pj_add(b, s, strlen(s));
}

const char *pj_cstr(struct pj_buf *b)
{
	return b->p ? b->p : "";
}

void pj_reset(struct pj_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void pj_free(struct pj_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
