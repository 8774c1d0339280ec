/* SPDX-License-Identifier: Apache-2.0 */
/* json: write JSON the way JavaScript's JSON.stringify does (compact,
 * non-ASCII raw, "/" not escaped, keys in insertion order). */
#ifndef KATO_JSON_H
#define KATO_JSON_H

#include <json-c/json.h>
#include <stdbool.h>

#include "buf.h"

/* Append s[0..n) as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
void json_add_strn(struct buf *b, const char *s, size_t n);
void json_add_str(struct buf *b, const char *s);
/* Append a json-c value, compact, keys in insertion order. */
void json_add_value(struct buf *b, struct json_object *v);

/* Parsing and member access: see plugins/common/pjson.h (pj_*). */
#include "pjson.h"

#endif
