/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: pjson's huge-line parser against plain json-c.
 * pj_parse_big (with thresholds lowered so every input takes the path
 * that decodes long string values itself) must accept exactly what
 * pj_parse accepts and give the same tree: the same pj_text and, for a
 * top-level string, the same pj_sval bytes. Built by tests/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct json_object *a = pj_parse(s, size);
	struct json_object *b = pj_parse_big(s, size, 0, 4);
	if (!a != !b)
		abort(); /* one parser accepted what the other refused */
	if (a) {
		const char *ta = pj_text(a), *tb = pj_text(b);
		if (strcmp(ta, tb))
			abort();
		size_t la, lb;
		const char *sa = pj_sval(a, &la), *sb = pj_sval(b, &lb);
		if (!sa != !sb || (sa && (la != lb || memcmp(sa, sb, la))))
			abort();
	}
	json_object_put(a);
	json_object_put(b);
	return 0;
}
