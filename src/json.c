/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "json.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

/* Does any of the 8 bytes in v need a look of its own: a control
 * character, '"', '\\' or a byte of a multi-byte UTF-8 sequence? */
static inline bool word_needs_care(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = v ^ (ones * '"'), bs = v ^ (ones * '\\');
	uint64_t m = ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | v;
	return (m & highs) != 0;
}

/* The length of the valid UTF-8 sequence at s (n bytes left; s[0] >=
 * 0x80), or 0: as utf8_decode, inline (no overlong forms, surrogates or
 * code points past U+10FFFF). */
static inline size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (c == 0xe0 && s[1] < 0xa0) ||
		    (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80 ||
		    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void json_add_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_reserve(b, n + 2);
	buf_addc(b, '"');
	size_t run = 0, i = 0;
	while (i < n) {
		/* plain ASCII runs 8 bytes at a time */
		while (n - i >= 8) {
			uint64_t v;
			memcpy(&v, s + i, 8);
			if (word_needs_care(v))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];
		size_t skip = 1;
		if (c >= 0x80) {
			size_t len = utf8_seq((const unsigned char *)s + i, n - i);
			if (len) {
				i += len;
				continue;
			}
			esc = "\xef\xbf\xbd";
		} else if (c == '"') {
			esc = "\\\"";
		} else if (c == '\\') {
			esc = "\\\\";
		} else if (c < 0x20) {
			switch (c) {
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				break;
			}
		} else {
			i++;
			continue;
		}
		buf_add(b, s + run, i - run);
		if (esc)
			buf_adds(b, esc);
		else
			buf_add(b, u, 6);
		i += skip;
		run = i;
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

void json_add_str(struct buf *b, const char *s)
{
	json_add_strn(b, s, strlen(s));
}

void json_add_value(struct buf *b, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		buf_adds(b, "null");
		break;
	case json_type_boolean:
		buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
		buf_printf(b, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_double:
		/* json-c keeps the number's original text when it parsed it */
		buf_adds(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string: {
		size_t n;
		const char *s = pj_sval(v, &n); /* the text of a pj_parse_line huge string too */
		json_add_strn(b, s, n);
		break;
	}
	case json_type_array: {
		size_t n = json_object_array_length(v);
		buf_addc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			json_add_value(b, json_object_array_get_idx(v, i));
		}
		buf_addc(b, ']');
		break;
	}
	case json_type_object: {
		bool first = true;
		buf_addc(b, '{');
		json_object_object_foreach(v, key, val)
		{
			if (!first)
				buf_addc(b, ',');
			first = false;
			json_add_str(b, key);
			buf_addc(b, ':');
			json_add_value(b, val);
		}
		buf_addc(b, '}');
		break;
	}
	}
}
