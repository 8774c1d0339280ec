/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "json.h"

#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* The first byte at or after i in s[0..n) that needs a look of its own,
 * or where fewer than 8 bytes are left: 16 bytes at a time with SSE2 (one
 * signed compare finds controls and non-ASCII bytes), then 8 at a time. */
static inline size_t skip_plain(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, sp), _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		if (mask)
			return i + (size_t)__builtin_ctz(mask);
		i += 16;
	}
#endif
	while (n - i >= 8) {
		uint64_t v;
		memcpy(&v, s + i, 8);
		if (word_needs_care(v))
			break;
		i += 8;
	}
	return i;
}

/* buf_add and buf_addc without the call when the bytes fit (buffers with
 * a sink always take the call). */
static inline void add(struct buf *b, const char *p, size_t n)
{
	if (!b->sink && b->cap - b->len > n) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else {
		buf_add(b, p, n);
	}
}

static inline void addc(struct buf *b, char c)
{
	if (!b->sink && b->cap - b->len > 1) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	} else {
		buf_addc(b, c);
	}
}

void json_add_strn(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_reserve(b, n + 2);
	addc(b, '"');
	size_t run = 0, i = 0;
	while (i < n) {
		i = skip_plain(s, i, n);
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		size_t esc_len = 2;
		char u[6];
		if (c >= 0x80) {
			size_t len = utf8_seq((const unsigned char *)s + i, n - i);
			if (len) {
				/* the rest of a run of non-ASCII text */
				do
					i += len;
				while (i < n && (unsigned char)s[i] >= 0x80 &&
				       (len = utf8_seq((const unsigned char *)s + i, n - i)));
				continue;
			}
			esc = "\xef\xbf\xbd";
			esc_len = 3;
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
				esc = u;
				esc_len = 6;
				break;
			}
		} else {
			i++;
			continue;
		}
		add(b, s + run, i - run);
		add(b, esc, esc_len);
		i++;
		run = i;
	}
	add(b, s + run, n - run);
	addc(b, '"');
}

void json_c_locale(void)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c)
		uselocale(c);
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

/* The length of the string literal at s (s[0] == '"'; n bytes to the
 * text's end) when json_add_strn would write its decoded text back as the
 * same bytes, else 0. */
static size_t canonical_string(const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 1;
	for (;;) {
		i = skip_plain((const char *)s, i, n);
		unsigned c = s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20) /* a raw control character, or the text's end */
			return 0;
		if (c == '\\') {
			c = s[i + 1];
			if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
				i += 2;
				continue;
			}
			/* \u00XX only for the controls json_add_strn writes so
			 * (not \u0000: json-c cuts a key at a NUL) */
			if (c != 'u' || s[i + 2] != '0' || s[i + 3] != '0' || (s[i + 4] != '0' && s[i + 4] != '1') ||
			    !s[i + 5] || !strchr(hex, s[i + 5]))
				return 0;
			unsigned v = (unsigned)(s[i + 4] - '0') * 16 + (unsigned)(strchr(hex, s[i + 5]) - hex);
			if (v == 0 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t')
				return 0;
			i += 6;
			continue;
		}
		if (c >= 0x80) {
			/* the sequence ends at the text's NUL at the latest */
			size_t len = utf8_seq(s + i, 4);
			if (!len)
				return 0;
			i += len;
			continue;
		}
		i++;
	}
}

/* The length of the number at s when json-c parses it and json_add_value
 * writes it back as the same bytes, else 0: an integer of at most 18
 * digits (no "-0"), or a number with a fraction or exponent (json-c keeps
 * the text of those). */
static size_t canonical_number(const unsigned char *s)
{
	size_t i = 0;
	if (s[i] == '-')
		i++;
	size_t d = i;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	size_t digits = i - d;
	bool real = false;
	if (s[i] == '.') {
		real = true;
		if (!(s[++i] >= '0' && s[i] <= '9'))
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] == 'e' || s[i] == 'E') {
		real = true;
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!(s[i] >= '0' && s[i] <= '9'))
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (!real && (digits > 18 || (s[0] == '-' && s[1] == '0')))
		return 0;
	return i;
}

#define CANON_DEPTH 64
#define CANON_KEYS 256

ssize_t json_canonical_len(const char *text, char open)
{
	const unsigned char *s = (const unsigned char *)text;
	char stack[CANON_DEPTH];    /* '{' or '[' per open container */
	size_t key_base[CANON_DEPTH]; /* first key of each open object in keys[] */
	size_t key_at[CANON_KEYS], key_len[CANON_KEYS], nkeys = 0;
	int depth = 0;
	size_t i = 0, len = strlen(text);
	if (s[0] != open)
		return -1;
	/* at the top of the loop, a value is due at s[i] */
	for (;;) {
		size_t n;
		unsigned c = s[i];
		if (c == '{' || c == '[') {
			if (depth == CANON_DEPTH)
				return -1;
			stack[depth] = (char)c;
			key_base[depth] = nkeys;
			depth++;
			i++;
			if (s[i] == (c == '{' ? '}' : ']')) {
				i++;
				depth--;
				goto after_value;
			}
			if (c == '[')
				continue;
			goto key;
		} else if (c == '"') {
			if (!(n = canonical_string(s + i, len - i)))
				return -1;
			i += n;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if (!(n = canonical_number(s + i)))
				return -1;
			i += n;
		} else if (!strncmp((const char *)s + i, "true", 4)) {
			i += 4;
		} else if (!strncmp((const char *)s + i, "false", 5)) {
			i += 5;
		} else if (!strncmp((const char *)s + i, "null", 4)) {
			i += 4;
		} else {
			return -1;
		}
	after_value:
		if (!depth)
			return s[i] ? -1 : (ssize_t)i;
		if (s[i] == ',') {
			i++;
			if (stack[depth - 1] == '[')
				continue;
			goto key;
		}
		if (s[i] != (stack[depth - 1] == '{' ? '}' : ']'))
			return -1;
		i++;
		if (stack[--depth] == '{')
			nkeys = key_base[depth];
		goto after_value;
	key:
		/* a member's key, which must not repeat one of its object's
		 * (json-c keeps one of them) */
		if (s[i] != '"' || !(n = canonical_string(s + i, len - i)) || s[i + n] != ':' || nkeys == CANON_KEYS)
			return -1;
		for (size_t k = key_base[depth - 1]; k < nkeys; k++)
			if (key_len[k] == n && !memcmp(s + key_at[k], s + i, n))
				return -1;
		key_at[nkeys] = i;
		key_len[nkeys++] = n;
		i += n + 1;
	}
}

/* Past the value at s[i] of a text json_canonical_len accepts. */
static size_t skip_canonical(const char *s, size_t i)
{
	int depth = 0;
	do {
		char c = s[i];
		if (c == '"') {
			for (i++; s[i += strcspn(s + i, "\"\\")] != '"'; i += 2)
				; /* past an escape's two bytes (\u00XX's four digits are plain) */
			i++;
		} else if (c == '{' || c == '[') {
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			depth--;
			i++;
		} else if (c == ',' || c == ':') {
			i++;
		} else { /* a number, true, false or null */
			i += strcspn(s + i, ",}]");
		}
	} while (depth > 0);
	return i;
}

bool json_canonical_member_str(const char *text, const char *key, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t klen = strlen(key), i = 1;
	buf_reset(out);
	while (text[i] == '"') {
		size_t end = skip_canonical(text, i); /* past the key */
		bool match = end - i == klen + 2 && !memcmp(text + i + 1, key, klen);
		i = end + 1; /* past the ':' */
		if (match) {
			if (text[i] != '"')
				return false;
			/* only json_add_strn's escapes: \" \\ \b \f \n \r \t \u00XX */
			for (i++; text[i] != '"';) {
				size_t run = strcspn(text + i, "\"\\");
				buf_add(out, text + i, run);
				i += run;
				if (text[i] != '\\')
					continue;
				char e = text[i + 1];
				if (e == 'u') {
					buf_addc(out, (char)((strchr(hex, text[i + 4]) - hex) * 16 + (strchr(hex, text[i + 5]) - hex)));
					i += 6;
					continue;
				}
				buf_addc(out, e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
				i += 2;
			}
			return true;
		}
		i = skip_canonical(text, i);
		if (text[i] == ',')
			i++;
	}
	return false;
}
