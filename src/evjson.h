/* SPDX-License-Identifier: Apache-2.0 */
/* evjson: a stored event's JSON (store.c's events.json, as event.c writes
 * it) parsed for the recorder's renderer, cheaply: its top-level string
 * members are built straight from the text, the members no renderer reads
 * ("source", "sessionId") are left out, and anything unusual (escapes
 * other than the plain ones, \u0000, surrogates, raw control characters,
 * nested values) goes through json-c exactly as pj_parse would. */
#ifndef KATO_EVJSON_H
#define KATO_EVJSON_H

#include <json-c/json.h>
#include <stddef.h>

/* pj_parse(s, n), except that an object comes without its "source" and
 * "sessionId" members. NULL unless s[0..n) is exactly one JSON value.
 * Caller owns the result. */
struct json_object *evjson_parse(const char *s, size_t n);

#endif
