/* SPDX-License-Identifier: Apache-2.0 */
/* json: write JSON the way JavaScript's JSON.stringify does (compact,
 * non-ASCII raw, "/" not escaped, keys in insertion order). */
#ifndef KATO_JSON_H
#define KATO_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"

/* Append s[0..n) as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
void json_add_strn(struct buf *b, const char *s, size_t n);
void json_add_str(struct buf *b, const char *s);
/* Append a json-c value, compact, keys in insertion order. */
void json_add_value(struct buf *b, struct json_object *v);

/* The length of the NUL-terminated JSON text when it is one object (open
 * '{') or array ('[') in exactly the form json_add_value writes what
 * pj_parse makes of it: compact, strings in valid UTF-8 with only the
 * escapes json_add_strn writes, integers of at most 18 digits, no key twice
 * in one object, at most 64 levels deep. Such a text can be copied through
 * as it is; for any other (-1), parse it and write it with json_add_value.
 * One pass, no allocation. */
ssize_t json_canonical_len(const char *text, char open);
/* The value of the top-level member `key` of an object text that
 * json_canonical_len accepts, when it is a string: decoded (as any JSON
 * reader decodes it) into out, which is reset first. false when there is
 * no such member or it is not a string. */
bool json_canonical_member_str(const char *text, const char *key, struct buf *out);

/* Have this thread use the C locale object (kato never sets a locale, so
 * the numbers it reads and writes do not change). json-c copies the
 * thread's locale and makes a "C" one around every parse; from the C
 * locale object that costs a fraction of what it does from the global
 * one: about 5 % of a backfill. Called by each thread that parses. */
void json_c_locale(void);

/* Parsing and member access: see plugins/common/pjson.h (pj_*). */
#include "pjson.h"

#endif
