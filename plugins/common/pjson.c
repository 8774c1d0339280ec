#include "pjson.h"

#include <limits.h>
#include <stdio.h>
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

const char *pj_sval(struct json_object *v, size_t *len)
{
	if (!v || !json_object_is_type(v, json_type_string)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

const char *pj_strn(struct json_object *obj, const char *key, size_t *len)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		v = NULL;
	return pj_sval(v, len);
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

const char *pj_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	if (!k)
		return s;
	const char *end = s + n, *p = s;
	while ((size_t)(end - p) >= k && (p = memchr(p, needle[0], (size_t)(end - p) - k + 1))) {
		if (!memcmp(p, needle, k))
			return p;
		p++;
	}
	return NULL;
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

/* One UTF-8 code point at s[0..n): its value, or -1 when invalid; *len is
 * its length (1 for an invalid byte). */
static int32_t u8_at(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0];
	size_t need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	*len = 1;
	if (need == 1)
		return (int32_t)c;
	if (!need || n < need)
		return -1;
	int32_t cp = (int32_t)(c & (0x7f >> need));
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const int32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = need;
	return cp;
}

bool pj_js_space(int32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000 || c == 0xfeff;
}

void pj_trim_bounds(const char *s, size_t n, size_t *from, size_t *to)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t a = 0, b = n, len;
	while (a < b && pj_js_space(u8_at(u + a, b - a, &len)))
		a += len;
	while (b > a) {
		/* step back over continuation bytes to a lead byte */
		size_t k = b - 1;
		while (k > a && b - k < 4 && (u[k] & 0xc0) == 0x80)
			k--;
		int32_t c = u8_at(u + k, b - k, &len);
		if (k + len != b || !pj_js_space(c))
			break;
		b = k;
	}
	*from = a;
	*to = b;
}

void pj_trim(struct pj_buf *b)
{
	if (!b->p)
		return;
	size_t from, to;
	pj_trim_bounds(b->p, b->len, &from, &to);
	memmove(b->p, b->p + from, to - from);
	b->len = to - from;
	b->p[b->len] = '\0';
}

void pj_normalize_text(struct pj_buf *b)
{
	if (!b->p)
		return;
	size_t w = 0, nl = 0;
	for (size_t r = 0; r < b->len; r++) {
		char c = b->p[r];
		if (c == '\r') {
			c = '\n';
			if (r + 1 < b->len && b->p[r + 1] == '\n')
				r++;
		}
		if (c == '\n') {
			if (++nl > 2)
				continue;
		} else {
			nl = 0;
		}
		b->p[w++] = c;
	}
	b->len = w;
	b->p[w] = '\0';
	pj_trim(b);
}

void pj_decision_key(struct pj_buf *out, const char *raw, size_t i)
{
	pj_reset(out);
	if (!raw)
		raw = "";
	size_t from, to;
	pj_trim_bounds(raw, strlen(raw), &from, &to);
	bool dash = false;
	for (size_t k = from; k < to; k++) {
		char c = raw[k];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && out->len)
				pj_add(out, "-", 1);
			dash = false;
			pj_add(out, &c, 1);
		} else {
			dash = true;
		}
	}
	if (!out->len) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "decision-%zu", i + 1);
		pj_adds(out, tmp);
	}
}
