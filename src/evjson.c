/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"
#include "evjson.h"
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pjson.h"

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* End of the string literal starting at s[i] == '"' (index after its
 * closing quote), or 0 when it does not end. */
static size_t string_end(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* End of the value starting at s[i] (a string, object, array or a bare
 * word such as a number), or 0 when it does not end before n. */
static size_t value_end(const char *s, size_t n, size_t i)
{
	if (s[i] == '"')
		return string_end(s, n, i);
	if (s[i] == '{' || s[i] == '[') {
		size_t depth = 0;
		for (; i < n; i++) {
			char c = s[i];
			if (c == '"') {
				size_t e = string_end(s, n, i);
				if (!e)
					return 0;
				i = e - 1;
			} else if (c == '{' || c == '[') {
				if (++depth > 200)
					return 0; /* deep: json-c's own limit decides */
			} else if ((c == '}' || c == ']') && --depth == 0) {
				return i + 1;
			}
		}
		return 0;
	}
	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !space(s[i]))
		i++;
	return i;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The string literal s[a..e) (quotes included) decoded into *out (grown
 * as needed); false when it holds what only json-c should decide: \u0000,
 * a surrogate, an unknown escape or a raw control character. */
static bool decode(const char *s, size_t a, size_t e, char **out, size_t *cap, size_t *len)
{
	size_t need = e - a;
	if (need > *cap) {
		char *p = realloc(*out, need);
		if (!p)
			return false;
		*out = p;
		*cap = need;
	}
	char *o = *out;
	size_t k = 0;
	for (size_t i = a + 1; i < e - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20)
			return false;
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		switch (s[++i]) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			if (i + 4 >= e - 1)
				return false;
			uint32_t u = 0;
			for (int j = 1; j <= 4; j++) {
				int h = hexval(s[i + j]);
				if (h < 0)
					return false;
				u = u << 4 | (uint32_t)h;
			}
			if (u == 0 || (u >= 0xD800 && u <= 0xDFFF))
				return false;
			i += 4;
			if (u < 0x80) {
				o[k++] = (char)u;
			} else if (u < 0x800) {
				o[k++] = (char)(0xC0 | u >> 6);
				o[k++] = (char)(0x80 | (u & 0x3F));
			} else {
				o[k++] = (char)(0xE0 | u >> 12);
				o[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
				o[k++] = (char)(0x80 | (u & 0x3F));
			}
			break;
		}
		default: return false;
		}
	}
	*len = k;
	return true;
}

/* Is the value at s[*i] plain JSON json-c is sure to accept (strings
 * decode() takes, short integers, true/false/null, objects and arrays of
 * those, nested less than 200 deep)? *i moves past it. A value left out
 * is checked with this, so that what is accepted does not depend on it. */
static bool plain(const char *s, size_t n, size_t *i, int depth, char **tmp, size_t *cap)
{
	size_t len;
	if (depth > 200)
		return false;
	while (*i < n && space(s[*i]))
		(*i)++;
	if (*i >= n)
		return false;
	char c = s[*i];
	if (c == '"') {
		size_t e = string_end(s, n, *i);
		if (!e || !decode(s, *i, e, tmp, cap, &len))
			return false;
		*i = e;
		return true;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		(*i)++;
		while (*i < n && space(s[*i]))
			(*i)++;
		if (*i < n && s[*i] == close) {
			(*i)++;
			return true;
		}
		for (;;) {
			if (c == '{') {
				while (*i < n && space(s[*i]))
					(*i)++;
				if (*i >= n || s[*i] != '"' || !plain(s, n, i, depth + 1, tmp, cap))
					return false;
				while (*i < n && space(s[*i]))
					(*i)++;
				if (*i >= n || s[*i] != ':')
					return false;
				(*i)++;
			}
			if (!plain(s, n, i, depth + 1, tmp, cap))
				return false;
			while (*i < n && space(s[*i]))
				(*i)++;
			if (*i < n && s[*i] == ',') {
				(*i)++;
				continue;
			}
			if (*i < n && s[*i] == close) {
				(*i)++;
				return true;
			}
			return false;
		}
	}
	static const char *const words[] = {"true", "false", "null"};
	for (size_t w = 0; w < 3; w++) {
		size_t wl = strlen(words[w]);
		if (n - *i >= wl && !memcmp(s + *i, words[w], wl)) {
			*i += wl;
			return *i >= n || !((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z'));
		}
	}
	size_t a = *i;
	if (s[*i] == '-')
		(*i)++;
	size_t d = *i;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	if (*i == d || *i - d > 15 || (s[d] == '0' && *i - d > 1) || *i == a)
		return false;
	return *i >= n || s[*i] == ',' || s[*i] == '}' || s[*i] == ']' || space(s[*i]);
}

/* The members event.c writes: added under these constant keys (no copy
 * of the key per event), as new while not seen yet (no lookup). */
static const char *const known[] = {
	"eventId", "provider", "timestamp", "kind", "turnId", "role", "content", "model", "phase",
	"toolCallId", "name", "description", "input", "result", "decisionId", "decisionKey", "summary",
	"status", "decidedBy", "basisEventIds", "metadata", "subtype", "level", "trigger",
};

static int known_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (!strncmp(known[i], key, len) && known[i][len] == '\0')
			return (int)i;
	return -1;
}

static bool left_out(const char *key, size_t len)
{
	return (len == 6 && !memcmp(key, "source", 6)) || (len == 9 && !memcmp(key, "sessionId", 9));
}

/* The fast path; NULL when the text needs the full parser. */
static struct json_object *fast(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && space(s[i]))
		i++;
	if (i >= n || s[i] != '{')
		return NULL;
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	char *tmp = NULL, *key = NULL;
	size_t tcap = 0, kcap = 0, tlen, klen;
	uint32_t seen = 0;
	i++;
	while (i < n && space(s[i]))
		i++;
	if (i < n && s[i] == '}')
		goto close;
	for (;;) {
		if (i >= n || s[i] != '"')
			goto fail;
		size_t ke = string_end(s, n, i);
		if (!ke || !decode(s, i, ke, &key, &kcap, &klen))
			goto fail;
		key[klen] = '\0'; /* fits: the literal had two quotes */
		i = ke;
		while (i < n && space(s[i]))
			i++;
		if (i >= n || s[i] != ':')
			goto fail;
		i++;
		while (i < n && space(s[i]))
			i++;
		if (i >= n)
			goto fail;
		size_t ve;
		if (left_out(key, klen)) {
			ve = i;
			if (!plain(s, n, &ve, 0, &tmp, &tcap))
				goto fail;
		} else {
			ve = value_end(s, n, i);
			if (!ve || ve == i)
				goto fail;
			struct json_object *v;
			if (s[i] == '"' && decode(s, i, ve, &tmp, &tcap, &tlen))
				v = json_object_new_string_len(tmp, (int)tlen);
			else
				v = pj_parse(s + i, ve - i);
			if (!v)
				goto fail;
			int k = known_key(key, klen);
			int rc;
			if (k >= 0) {
				unsigned opts = JSON_C_OBJECT_ADD_CONSTANT_KEY;
				if (!(seen & (1u << k)))
					opts |= JSON_C_OBJECT_ADD_KEY_IS_NEW;
				seen |= 1u << k;
				rc = json_object_object_add_ex(o, known[k], v, opts);
			} else {
				rc = json_object_object_add(o, key, v);
			}
			if (rc < 0) {
				json_object_put(v);
				goto fail;
			}
		}
		i = ve;
		while (i < n && space(s[i]))
			i++;
		if (i < n && s[i] == ',') {
			i++;
			while (i < n && space(s[i]))
				i++;
			continue;
		}
		if (i < n && s[i] == '}')
			break;
		goto fail;
	}
close:
	for (i++; i < n; i++)
		if (!space(s[i]) && s[i] != '\0')
			goto fail;
	free(tmp);
	free(key);
	return o;
fail:
	free(tmp);
	free(key);
	json_object_put(o);
	return NULL;
}

struct json_object *evjson_parse(const char *s, size_t n)
{
	if (n > INT_MAX - 1)
		return NULL;
	struct json_object *o = fast(s, n);
	if (o)
		return o;
	o = pj_parse(s, n);
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_del(o, "source");
		json_object_object_del(o, "sessionId");
	}
	return o;
}
