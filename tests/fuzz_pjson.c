/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: pjson's huge-line parser against plain json-c.
 * pj_parse_big (with thresholds lowered so every input takes the path
 * that decodes long string values itself) must accept exactly what
 * pj_parse accepts and give the same tree: the same pj_text and, for a
 * top-level string, the same pj_sval bytes. And json_canonical_len (the
 * event JSON's copy of a plugin's text as it is) must take only texts that
 * parsing and json_add_value give back byte for byte. And pj_parse_lean
 * must accept exactly what pj_parse accepts, with the same tree but for
 * the top-level members it leaves out. Built by tests/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"
#include "pjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pj_unread inner[] = {
	{"d", NULL, NULL, false}, {"f", NULL, NULL, true}, {NULL, NULL, NULL, false}};

/* inner's rules on o's members (null, or removed if absent). */
static void inner_rules(struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "d", NULL))
		json_object_object_add(o, "d", NULL);
	json_object_object_del(o, "f");
}
static const struct pj_unread unread[] = {{"a", NULL, NULL, false}, {"b", "\"x\"", NULL, false},
					  {"c", NULL, inner, false}, {"e", NULL, NULL, true},
					  {NULL, NULL, NULL, false}};

/* v's text with the members pj_parse_lean may leave out set to null, or
 * removed if absent. */
static char *nulled(struct json_object *v)
{
	struct json_object *c = NULL;
	if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "c", &c)) {
		inner_rules(c);
		for (size_t i = 0; json_object_is_type(c, json_type_array) && i < json_object_array_length(c); i++)
			inner_rules(json_object_array_get_idx(c, i));
	}
	if (json_object_is_type(v, json_type_object)) {
		for (const struct pj_unread *u = unread; u->key; u++) {
			if (u->absent)
				json_object_object_del(v, u->key);
			else if (!u->inner && json_object_object_get_ex(v, u->key, NULL))
				json_object_object_add(v, u->key, NULL);
		}
	}
	return strdup(pj_text(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct json_object *a = pj_parse_json_c(s, size);
	struct json_object *b = pj_parse_big(s, size, 0, 4);
	if (!a != !b)
		abort(); /* one parser accepted what the other refused */
	if (a) {
		const char *ta = pj_text(a), *tb = pj_text(b);
		if (strcmp(ta, tb))
			abort();
		/* the hash of the text, made without the text */
		if (pj_hash_text(a) != pj_hash64(ta, strlen(ta)) || pj_hash_text(b) != pj_hash64(ta, strlen(ta)))
			abort();
		size_t la, lb;
		const char *sa = pj_sval(a, &la), *sb = pj_sval(b, &lb);
		if (!sa != !sb || (sa && (la != lb || memcmp(sa, sb, la))))
			abort();
	}
	/* pjson's own build, no rules: json-c's tree exactly */
	struct json_object *d = pj_parse(s, size);
	if (!a != !d)
		abort();
	if (a) {
		size_t la, ld;
		const char *sa = pj_sval(a, &la), *sd = pj_sval(d, &ld);
		if (json_object_get_type(a) != json_object_get_type(d) || strcmp(pj_text(a), pj_text(d)) ||
		    !sa != !sd || (sa && (la != ld || memcmp(sa, sd, la))))
			abort();
	}
	json_object_put(d);
	struct json_tokener *tok = NULL;
	struct json_object *c = pj_parse_lean(&tok, s, size, unread);
	if (!a != !c)
		abort();
	if (a) {
		char *ta = nulled(a), *tc = nulled(c);
		if (strcmp(ta, tc))
			abort();
		free(ta);
		free(tc);
	}
	if (tok)
		json_tokener_free(tok);
	json_object_put(c);
	json_object_put(a);
	json_object_put(b);

	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ssize_t n = json_canonical_len(text, text[0] == '[' ? '[' : '{');
	if (n >= 0) {
		struct json_object *v = pj_parse(text, strlen(text));
		struct buf out = BUF_INIT;
		if (!v || (size_t)n != strlen(text))
			abort();
		json_add_value(&out, v);
		if (strcmp(buf_str(&out), text))
			abort(); /* taken as it is, but re-serialising writes other bytes */
		buf_free(&out);
		json_object_put(v);
	}
	free(text);
	return 0;
}
