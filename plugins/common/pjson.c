/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"
#include "pjson.h"

#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A string value decoded by pj_parse_big rather than by json-c. It hangs
 * on the json-c string that holds its placeholder, as the userdata of that
 * string's serializer, so json-c frees it with the string. */
struct pj_big {
	uint32_t magic;
	size_t len;
	char p[]; /* len bytes, then a NUL */
};
#define PJ_BIG_MAGIC 0x6b617462u

/* The huge text behind string v, or NULL for an ordinary string. */
static const struct pj_big *big_of(struct json_object *v)
{
	const struct pj_big *b = json_object_get_userdata(v);
	return b && b->magic == PJ_BIG_MAGIC ? b : NULL;
}

const char *pj_str(struct json_object *obj, const char *key)
{
	size_t len;
	return pj_strn(obj, key, &len);
}

const char *pj_sval(struct json_object *v, size_t *len)
{
	if (!v || !json_object_is_type(v, json_type_string)) {
		*len = 0;
		return NULL;
	}
	const struct pj_big *b = big_of(v);
	if (b) {
		*len = b->len;
		return b->p;
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

/* json-c's own parse, with the tokener *tok (made on the first call and
 * reset on each; tok NULL: a tokener of its own, freed after). */
static struct json_object *tokener_parse(struct json_tokener **tok, const char *s, size_t n)
{
	if (n > INT_MAX - 1)
		return NULL;
	struct json_tokener *own = NULL, *t = tok ? *tok : NULL;
	if (!t) {
		t = json_tokener_new_ex(256);
		if (!t)
			return NULL;
		if (tok)
			*tok = t;
		else
			own = t;
	} else {
		json_tokener_reset(t);
	}
	struct json_object *v = json_tokener_parse_ex(t, s, (int)n);
	enum json_tokener_error err = json_tokener_get_error(t);
	if (err == json_tokener_continue) {
		json_object_put(v);
		v = json_tokener_parse_ex(t, "", 1);
		err = json_tokener_get_error(t);
	}
	if (v && err == json_tokener_success) {
		for (size_t end = json_tokener_get_parse_end(t); end < n; end++) {
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
	if (own)
		json_tokener_free(own);
	return v;
}

struct json_object *pj_parse_json_c(const char *s, size_t n)
{
	return tokener_parse(NULL, s, n);
}

static struct json_object *build_text(struct json_tokener **tok, const char *s, size_t n,
				      const struct pj_unread *unread);

struct json_object *pj_parse_with(struct json_tokener **tok, const char *s, size_t n)
{
	return build_text(tok, s, n, NULL);
}

struct json_object *pj_parse(const char *s, size_t n)
{
	return build_text(NULL, s, n, NULL);
}

/* Characters that may stand between the string literals of a JSON text
 * (structure, numbers, true/false/null and json-c's NaN/Infinity). Any
 * other (json-c's comments and single quotes, a NUL) sends a line to the
 * plain parser, so that the scan in pj_parse_big sees literals exactly
 * where json-c does. */
static bool plain_between(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '}' || c == '[' ||
	       c == ']' || c == ',' || c == ':' || c == '+' || c == '-' || c == '.' ||
	       (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The closing quote of the literal opening at s[i] in s[0..n): 0 and *end,
 * or -1 when it is not closed. */
static int lit_end(const char *s, size_t n, size_t i, size_t *end)
{
	const char *p = s + i + 1, *e = s + n;
	const char *q;
	while ((q = memchr(p, '"', (size_t)(e - p)))) {
		size_t bs = 0;
		while (q - bs > s + i + 1 && q[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0) {
			*end = (size_t)(q - s);
			return 0;
		}
		p = q + 1;
	}
	return -1;
}

static int hex4(const char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/* Decode the body s[0..n) of a JSON string literal into out (room for n
 * bytes): its length, or -1 for anything json-c might read otherwise
 * than plain JSON does (a raw control byte, a bad escape, a lone
 * surrogate): the caller then leaves the line to json-c. */
static ptrdiff_t decode_into(char *out, const char *s, size_t n)
{
	size_t w = 0, i = 0;
	while (i < n) {
#ifdef __SSE2__
		/* 16 bytes at a time up to the next escape or control byte:
		 * w <= i, so a whole vector stored at w stays inside out */
		const __m128i bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			int bits = _mm_movemask_epi8(
				_mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
			_mm_storeu_si128((__m128i *)(void *)(out + w), v);
			if (bits) {
				unsigned z = (unsigned)__builtin_ctz((unsigned)bits);
				w += z;
				i += z;
				break;
			}
			w += 16;
			i += 16;
		}
		if (i >= n)
			break;
#endif
		unsigned char c = (unsigned char)s[i];
		if (c != '\\') {
			if (c < 0x20)
				goto bad;
			out[w++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= n)
			goto bad;
		char e = s[i + 1];
		i += 2;
		switch (e) {
		case '"': out[w++] = '"'; continue;
		case '\\': out[w++] = '\\'; continue;
		case '/': out[w++] = '/'; continue;
		case 'b': out[w++] = '\b'; continue;
		case 'f': out[w++] = '\f'; continue;
		case 'n': out[w++] = '\n'; continue;
		case 'r': out[w++] = '\r'; continue;
		case 't': out[w++] = '\t'; continue;
		case 'u': break;
		default: goto bad;
		}
		uint32_t cp, lo;
		if (i + 4 > n || hex4(s + i, &cp) < 0)
			goto bad;
		i += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			goto bad;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' || hex4(s + i + 2, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			i += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp < 0x80) {
			out[w++] = (char)cp;
		} else if (cp < 0x800) {
			out[w++] = (char)(0xc0 | cp >> 6);
			out[w++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[w++] = (char)(0xe0 | cp >> 12);
			out[w++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[w++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[w++] = (char)(0xf0 | cp >> 18);
			out[w++] = (char)(0x80 | (cp >> 12 & 0x3f));
			out[w++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[w++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	return (ptrdiff_t)w;
bad:
	return -1;
}

/* s[0..n) decoded (decode_into) into a new pj_big, or NULL. */
static struct pj_big *lit_decode(const char *s, size_t n)
{
	struct pj_big *b = malloc(sizeof *b + n + 1);
	if (!b)
		return NULL;
	b->magic = PJ_BIG_MAGIC;
	ptrdiff_t w = decode_into(b->p, s, n);
	if (w < 0) {
		free(b);
		return NULL;
	}
	b->len = (size_t)w;
	b->p[w] = '\0';
	if (b->len + 4096 < n) {
		struct pj_big *t = realloc(b, sizeof *b + b->len + 1);
		if (t)
			b = t;
	}
	return b;
}

/* Escaping a huge text goes through json-c in slices of this size, so
 * the result is json-c's own, byte for byte. */
#define PJ_ESC_SLICE ((size_t)64 << 10)

/* json-c serializer of a string holding a pj_big. */
static int big_to_json(struct json_object *v, struct printbuf *pb, int level, int flags)
{
	(void)level;
	const struct pj_big *b = big_of(v);
	if (!b)
		return -1;
	printbuf_memappend(pb, "\"", 1);
	for (size_t off = 0; off < b->len; off += PJ_ESC_SLICE) {
		size_t k = b->len - off < PJ_ESC_SLICE ? b->len - off : PJ_ESC_SLICE;
		struct json_object *t = json_object_new_string_len(b->p + off, (int)k);
		if (!t)
			return -1;
		const char *e = json_object_to_json_string_ext(t, flags);
		size_t en = e ? strlen(e) : 0;
		if (en >= 2)
			printbuf_memappend(pb, e + 1, (int)(en - 2));
		json_object_put(t);
		if (en < 2)
			return -1;
	}
	printbuf_memappend(pb, "\"", 1);
	return 0;
}

static void big_free(struct json_object *v, void *ud)
{
	(void)v;
	free(ud);
}

/* Hang bigs[i] on the placeholder string for i in tree v (taking it out
 * of bigs). Every string value that starts with a NUL is a placeholder:
 * pj_parse_big sends lines with any other such value to json-c. */
static void big_attach(struct json_object *v, struct pj_big **bigs, size_t nb)
{
	switch (json_object_get_type(v)) {
	case json_type_string: {
		const char *s = json_object_get_string(v);
		size_t len = (size_t)json_object_get_string_len(v), i = 0;
		if (len < 7 || s[0] || memcmp(s + 1, "kato:", 5))
			return;
		for (size_t k = 6; k < len && s[k] >= '0' && s[k] <= '9'; k++)
			i = i * 10 + (size_t)(s[k] - '0');
		if (i < nb && bigs[i]) {
			json_object_set_serializer(v, big_to_json, bigs[i], big_free);
			bigs[i] = NULL;
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++)
			big_attach(json_object_array_get_idx(v, i), bigs, nb);
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			big_attach(val, bigs, nb);
		}
		break;
	}
	default:
		break;
	}
}

static struct json_object *big_with(struct json_tokener **tok, const char *s, size_t n, size_t min_line,
				    size_t min_str)
{
	if (n < min_line || n > INT_MAX - 1)
		return pj_parse_with(tok, s, n);
	struct pj_big **bigs = NULL;
	size_t *from = NULL, *to = NULL, nb = 0, kept = n;
	bool plain = false;
	for (size_t i = 0; i < n && !plain;) {
		if (s[i] != '"') {
			plain = !plain_between((unsigned char)s[i]);
			i++;
			continue;
		}
		size_t end, k;
		if (lit_end(s, n, i, &end) < 0) {
			plain = true;
			break;
		}
		size_t len = end - i - 1;
		for (k = end + 1; k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n'); k++)
			;
		bool value = k >= n || s[k] != ':';
		if (value && len >= min_str) {
			struct pj_big *b = lit_decode(s + i + 1, len);
			if (!b) {
				plain = true;
				break;
			}
			if (!(nb & (nb - 1))) {
				size_t cap = nb ? 2 * nb : 1;
				void *p1 = realloc(bigs, cap * sizeof *bigs), *p2 = NULL, *p3 = NULL;
				if (p1)
					bigs = p1;
				if (p1 && (p2 = realloc(from, cap * sizeof *from)))
					from = p2;
				if (p2 && (p3 = realloc(to, cap * sizeof *to)))
					to = p3;
				if (!p3) {
					free(b);
					plain = true;
					break;
				}
			}
			bigs[nb] = b;
			from[nb] = i;
			to[nb++] = end + 1;
			kept -= len + 2;
		} else if (value && len && (s[i + 1] == '\0' || (len >= 6 && !memcmp(s + i + 1, "\\u0000", 6)))) {
			plain = true; /* could pass for a placeholder */
		}
		i = end + 1;
	}
	struct json_object *v = NULL;
	char *small = NULL;
	if (!plain && nb)
		small = malloc(kept + nb * 32 + 1);
	if (small) {
		size_t w = 0, r = 0;
		for (size_t j = 0; j < nb; j++) {
			memcpy(small + w, s + r, from[j] - r);
			w += from[j] - r;
			w += (size_t)sprintf(small + w, "\"\\u0000kato:%zu\"", j);
			r = to[j];
		}
		memcpy(small + w, s + r, n - r);
		w += n - r;
		small[w] = '\0';
		v = pj_parse_with(tok, small, w);
		free(small);
		if (v)
			big_attach(v, bigs, nb);
	}
	for (size_t j = 0; j < nb; j++)
		free(bigs[j]);
	free(bigs);
	free(from);
	free(to);
	if (!small)
		return pj_parse_with(tok, s, n);
	return v;
}

struct json_object *pj_parse_big(const char *s, size_t n, size_t min_line, size_t min_str)
{
	return big_with(NULL, s, n, min_line, min_str);
}

struct json_object *pj_parse_line(const char *s, size_t n)
{
	return pj_parse_lean(NULL, s, n, NULL);
}

struct json_object *pj_parse_line_with(struct json_tokener **tok, const char *s, size_t n)
{
	return pj_parse_lean(tok, s, n, NULL);
}

/* ---- pj_parse_lean: a line without the members its plugin never reads */

/* Nesting pj_parse_lean follows (json-c's own limit, pj_parse's, is 256:
 * a line deeper than this is left to json-c to accept or refuse). */
#define LEAN_DEPTH 200

static size_t skip_ws(const char *s, size_t n, size_t k)
{
	while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r'))
		k++;
	return k;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The first '"', '\\' or control byte at or after i in s[0..n), 16 bytes
 * at a time, or where fewer than 16 bytes are left (or n). */
static inline size_t special_at(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		int bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
							  _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
		if (bits)
			return i + (size_t)__builtin_ctz((unsigned)bits);
		i += 16;
	}
#endif
	return i;
}

/* Past the string literal opening at s[*i], if it is plain JSON (no raw
 * control byte, only JSON's escapes); *escaped: it has an escape. */
static bool skip_string(const char *s, size_t n, size_t *i, bool *escaped)
{
	size_t k = *i + 1;
	*escaped = false;
	for (;;) {
		k = special_at(s, k, n);
		while (k < n && s[k] != '"' && s[k] != '\\' && (unsigned char)s[k] >= 0x20)
			k++;
		if (k >= n || (unsigned char)s[k] < 0x20)
			return false;
		if (s[k] == '"') {
			*i = k + 1;
			return true;
		}
		*escaped = true;
		if (k + 1 >= n)
			return false;
		uint32_t cp;
		switch (s[k + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			k += 2;
			break;
		case 'u':
			if (k + 6 > n || hex4(s + k + 2, &cp) < 0)
				return false;
			k += 6;
			break;
		default:
			return false;
		}
	}
}

static bool skip_number(const char *s, size_t n, size_t *i)
{
	size_t k = *i;
	if (k < n && s[k] == '-')
		k++;
	if (k >= n || !is_digit(s[k]))
		return false;
	if (s[k] == '0')
		k++;
	else
		while (k < n && is_digit(s[k]))
			k++;
	if (k < n && s[k] == '.') {
		if (++k >= n || !is_digit(s[k]))
			return false;
		while (k < n && is_digit(s[k]))
			k++;
	}
	if (k < n && (s[k] == 'e' || s[k] == 'E')) {
		if (++k < n && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k >= n || !is_digit(s[k]))
			return false;
		while (k < n && is_digit(s[k]))
			k++;
	}
	*i = k;
	return true;
}

/* After a member or an element, at s[*k]: past a ',' and the blanks
 * after it (1: another follows), or past `close` (0: the last one); -1
 * for anything else. */
static int next_item(const char *s, size_t n, size_t *k, char close)
{
	size_t j = skip_ws(s, n, *k);
	if (j < n && s[j] == ',') {
		*k = skip_ws(s, n, j + 1);
		return 1;
	}
	if (j < n && s[j] == close) {
		*k = j + 1;
		return 0;
	}
	return -1;
}

/* Past the JSON value at s[*i] (after blanks), if it is plain JSON
 * (RFC 8259, object keys without escapes, nesting below LEAN_DEPTH):
 * json-c then accepts it too. false for anything else, which json-c may
 * read otherwise (its comments, single quotes, NaN, trailing commas). */
static bool skip_value(const char *s, size_t n, size_t *i, int depth)
{
	size_t k = skip_ws(s, n, *i);
	bool esc;
	if (k >= n)
		return false;
	switch (s[k]) {
	case '"':
		if (!skip_string(s, n, &k, &esc))
			return false;
		break;
	case '{':
	case '[': {
		bool obj = s[k] == '{';
		char close = obj ? '}' : ']';
		if (depth >= LEAN_DEPTH)
			return false;
		k = skip_ws(s, n, k + 1);
		if (k < n && s[k] == close) {
			k++;
			break;
		}
		for (;;) {
			if (obj) {
				if (k >= n || s[k] != '"' || !skip_string(s, n, &k, &esc) || esc)
					return false;
				k = skip_ws(s, n, k);
				if (k >= n || s[k] != ':')
					return false;
				k++;
			}
			if (!skip_value(s, n, &k, depth + 1))
				return false;
			int next = next_item(s, n, &k, close);
			if (next < 0)
				return false;
			if (!next)
				break;
		}
		break;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *lit = s[k] == 't' ? "true" : s[k] == 'f' ? "false" : "null";
		size_t len = strlen(lit);
		if (n - k < len || memcmp(s + k, lit, len))
			return false;
		k += len;
		break;
	}
	default:
		if (!skip_number(s, n, &k))
			return false;
	}
	*i = k;
	return true;
}

/* The unread member named s[from..to) (a key without escapes), if any. */
static const struct pj_unread *unread_key(const struct pj_unread *unread, const char *s, size_t from, size_t to)
{
	/* every member of every line comes here: the first byte first */
	for (; unread && unread->key; unread++)
		if (unread->key[0] == s[from] && !strncmp(unread->key, s + from, to - from) && !unread->key[to - from])
			return unread;
	return NULL;
}

/* What builds a lean tree: the line, and room to decode a string or to
 * end a key or a number with a NUL. */
struct build {
	const char *s;
	size_t n;
	char *tmp;
	size_t cap;
	char small[128]; /* keys and numbers: no malloc per line */
};

/* n bytes of room, each use done with before the next */
static char *room(struct build *b, size_t n)
{
	if (n <= sizeof b->small)
		return b->small;
	if (n > b->cap) {
		char *p = realloc(b->tmp, n);
		if (!p)
			return NULL;
		b->tmp = p;
		b->cap = n;
	}
	return b->tmp;
}

/* strtod in the C locale, as json-c reads numbers */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The number s[from..to) (plain JSON), made as json-c's tokener makes it:
 * an int64, an uint64 above INT64_MAX, or a double that keeps its text. */
static bool build_number(struct build *b, size_t from, size_t to, struct json_object **out)
{
	size_t len = to - from;
	char *t = room(b, len + 1);
	if (!t)
		return false;
	memcpy(t, b->s + from, len);
	t[len] = '\0';
	bool is_double = memchr(t, '.', len) || memchr(t, 'e', len) || memchr(t, 'E', len);
	int64_t i64;
	uint64_t u64;
	if (!is_double && t[0] == '-' && json_parse_int64(t, &i64) == 0) {
		*out = json_object_new_int64(i64);
	} else if (!is_double && t[0] != '-' && json_parse_uint64(t, &u64) == 0) {
		*out = u64 <= INT64_MAX ? json_object_new_int64((int64_t)u64) : json_object_new_uint64(u64);
	} else if (is_double) {
		pthread_once(&c_locale_once, make_c_locale);
		char *end;
		double d = c_locale ? strtod_l(t, &end, c_locale) : 0;
		if (!c_locale || end != t + len)
			return false;
		*out = json_object_new_double_s(d, t);
	} else {
		return false;
	}
	return *out != NULL;
}

static bool build_value(struct build *b, size_t *i, int depth, const struct pj_unread *unread,
			struct json_object **out);

/* The string literal opening at s[*i], decoded. */
static bool build_string(struct build *b, size_t *i, struct json_object **out)
{
	size_t from = *i + 1;
	bool esc;
	if (!skip_string(b->s, b->n, i, &esc))
		return false;
	const char *p = b->s + from;
	size_t len = *i - 1 - from;
	if (esc) {
		char *t = room(b, len + 1);
		ptrdiff_t w = t ? decode_into(t, p, len) : -1;
		if (w < 0)
			return false;
		p = t;
		len = (size_t)w;
	}
	if (len > INT_MAX - 1)
		return false;
	*out = json_object_new_string_len(p, (int)len);
	return *out != NULL;
}

/* The array opening at s[*i] (at nesting `depth`); its elements that are
 * objects built with the rules `unread`. */
static bool build_array(struct build *b, size_t *i, int depth, const struct pj_unread *unread,
			struct json_object **out)
{
	const char *s = b->s;
	size_t n = b->n, k = skip_ws(s, n, *i + 1);
	if (depth >= LEAN_DEPTH || !(*out = json_object_new_array()))
		return false;
	if (k < n && s[k] == ']') {
		*i = k + 1;
		return true;
	}
	for (;;) {
		struct json_object *v = NULL;
		if (!build_value(b, &k, depth + 1, unread, &v) ||
		    json_object_array_add(*out, v) != 0) {
			json_object_put(v);
			return false;
		}
		int next = next_item(s, n, &k, ']');
		if (next < 0)
			return false;
		if (!next) {
			json_object_array_shrink(*out, 0); /* as json-c's tokener does */
			*i = k;
			return true;
		}
	}
}

/* The object opening at s[*i] (at nesting `depth`), its members in
 * `unread` left out as pj_unread says (or, for one with inner rules
 * whose value is an object or an array, its members or its elements'
 * members in turn). */
static bool build_object(struct build *b, size_t *i, int depth, const struct pj_unread *unread,
			 struct json_object **out)
{
	const char *s = b->s;
	size_t n = b->n, k = skip_ws(s, n, *i + 1);
	bool esc;
	if (depth >= LEAN_DEPTH || !(*out = json_object_new_object()))
		return false;
	if (k < n && s[k] == '}') {
		*i = k + 1;
		return true;
	}
	for (;;) {
		size_t key = k;
		if (k >= n || s[k] != '"' || !skip_string(s, n, &k, &esc) || esc)
			return false;
		size_t key_end = k - 1;
		const struct pj_unread *u = unread_key(unread, s, key + 1, key_end);
		k = skip_ws(s, n, k);
		if (k >= n || s[k] != ':')
			return false;
		size_t v = skip_ws(s, n, k + 1);
		k = v;
		struct json_object *val = NULL;
		bool add = true;
		if (u && u->inner && v < n && (s[v] == '{' || s[v] == '[')) {
			if (!(s[v] == '{' ? build_object(b, &k, depth + 1, u->inner, &val)
					  : build_array(b, &k, depth + 1, u->inner, &val))) {
				json_object_put(val);
				return false;
			}
		} else if (u && !u->inner) {
			if (!skip_value(s, n, &k, depth + 1))
				return false;
			size_t comma = skip_ws(s, n, k);
			bool absent = u->absent && comma < n && s[comma] == ',';
			if ((absent || k - v > 4) && !(u->unless && pj_find(s + v, k - v, u->unless))) {
				add = !absent; /* a null, or nothing */
				if (absent)
					k = comma;
			} else {
				k = v; /* short, or read after all */
				if (!build_value(b, &k, depth + 1, NULL, &val)) {
					json_object_put(val);
					return false;
				}
			}
		} else if (!build_value(b, &k, depth + 1, NULL, &val)) {
			json_object_put(val);
			return false;
		}
		if (add) {
			char *name = room(b, key_end - key);
			if (!name) {
				json_object_put(val);
				return false;
			}
			memcpy(name, s + key + 1, key_end - key - 1);
			name[key_end - key - 1] = '\0';
			if (json_object_object_add(*out, name, val) != 0) {
				json_object_put(val);
				return false;
			}
		}
		int next = next_item(s, n, &k, '}');
		if (next < 0)
			return false;
		if (!next) {
			*i = k;
			return true;
		}
	}
}

/* The JSON value at s[*i] (after blanks), if it is plain JSON as
 * skip_value takes it; an object with the rules `unread`. *out holds
 * what was built, to be freed, when it is not. */
static bool build_value(struct build *b, size_t *i, int depth, const struct pj_unread *unread,
			struct json_object **out)
{
	const char *s = b->s;
	size_t n = b->n, k = skip_ws(s, n, *i);
	bool ok;
	*out = NULL;
	if (k >= n)
		return false;
	switch (s[k]) {
	case '"':
		ok = build_string(b, &k, out);
		break;
	case '{':
		ok = build_object(b, &k, depth, unread, out);
		break;
	case '[':
		ok = build_array(b, &k, depth, NULL, out);
		break;
	case 't':
	case 'f':
	case 'n': {
		size_t from = k;
		ok = skip_value(s, n, &k, depth);
		if (ok && s[from] != 'n' && !(*out = json_object_new_boolean(s[from] == 't')))
			ok = false;
		break;
	}
	default: {
		size_t from = k;
		ok = skip_number(s, n, &k) && build_number(b, from, k, out);
	}
	}
	*i = k;
	return ok;
}

/* The JSON text s[0..n) built by pjson, with the rules `unread` for a
 * top-level object, or by json-c's tokener when pjson does not take it. */
static struct json_object *build_text(struct json_tokener **tok, const char *s, size_t n,
				      const struct pj_unread *unread)
{
	if (n > INT_MAX - 1)
		return NULL; /* as json-c, which takes an int */
	struct build b = {.s = s, .n = n};
	struct json_object *o = NULL;
	/* an object, an array or a string: json-c, as pj_parse calls it,
	 * refuses a number or true/false alone */
	size_t k = skip_ws(s, n, 0);
	bool plain = k < n && (s[k] == '{' || s[k] == '[' || s[k] == '"') && build_value(&b, &k, 1, unread, &o);
	/* then only what json-c lets follow a value */
	while (plain && k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n' || !s[k]))
		k++;
	free(b.tmp);
	if (plain && k == n)
		return o;
	json_object_put(o);
	return tokener_parse(tok, s, n);
}

struct json_object *pj_parse_lean(struct json_tokener **tok, const char *s, size_t n, const struct pj_unread *unread)
{
	if (n >= PJ_HUGE_LINE)
		return big_with(tok, s, n, PJ_HUGE_LINE, PJ_HUGE_STR);
	return build_text(tok, s, n, unread);
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

static bool head_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip a UTF-8 byte order mark and blank space. */
static size_t head_start(const char *s, size_t n)
{
	size_t i = 0;
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && head_blank(s[i]))
		i++;
	return i;
}

enum pj_shape pj_head_shape(const char *head, size_t n)
{
	size_t i = head_start(head, n);
	if (i >= n || head[i] != '{')
		return PJ_SHAPE_OTHER;
	const char *nl = memchr(head + i, '\n', n - i);
	if (!nl)
		return PJ_SHAPE_LINES;
	struct json_object *o = pj_parse(head + i, (size_t)(nl - head) - i);
	bool whole = o && json_object_is_type(o, json_type_object);
	json_object_put(o);
	return whole ? PJ_SHAPE_LINES : PJ_SHAPE_DOCUMENT;
}

struct json_object *pj_head_next(const char *head, size_t n, size_t *pos)
{
	if (*pos == 0)
		*pos = head_start(head, n);
	while (*pos < n) {
		const char *p = head + *pos;
		const char *nl = memchr(p, '\n', n - *pos);
		size_t len = nl ? (size_t)(nl - p) : n - *pos;
		*pos += len + (nl ? 1 : 0);
		while (len && head_blank(p[len - 1]))
			len--;
		if (!len || p[0] != '{')
			continue;
		struct json_object *o = pj_parse(p, len);
		if (o && json_object_is_type(o, json_type_object))
			return o;
		json_object_put(o);
	}
	return NULL;
}

bool pj_head_has_key(const char *s, size_t n, const char *key)
{
	char quoted[64];
	int k = snprintf(quoted, sizeof quoted, "\"%s\"", key);
	if (k < 0 || (size_t)k >= sizeof quoted)
		return false;
	const char *end = s + n, *p = s;
	while ((p = pj_find(p, (size_t)(end - p), quoted))) {
		p += k;
		while (p < end && head_blank(*p))
			p++;
		if (p < end && *p == ':')
			return true;
	}
	return false;
}

/* FNV-1a 64 of h's bytes followed by p[0..n). */
static uint64_t fnv_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t pj_hash64(const void *p, size_t n)
{
	return fnv_add(0xcbf29ce484222325ull, p, n);
}

#define PJ_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* h extended with the string literal of s[0..n) as json-c writes it with
 * PJ_TEXT_FLAGS (its json_escape_str: \b \n \r \t \f \" \\, other controls
 * as \u00xx, every other byte as it is). */
static uint64_t hash_escaped(uint64_t h, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	h = fnv_add(h, "\"", 1);
	for (size_t i = 0; (i = special_at(s, i, n)) < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
		size_t len = 2;
		switch (c) {
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\f': esc[1] = 'f'; break;
		case '"':
		case '\\': break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		h = fnv_add(h, s + run, i - run);
		h = fnv_add(h, esc, len);
		run = i + 1;
	}
	h = fnv_add(h, s + run, n - run);
	return fnv_add(h, "\"", 1);
}

/* h extended with the bytes of pj_text(v), written here as json-c's
 * serialiser writes them rather than by it (a fifth of Gemini's
 * instructions went to json-c making the text, only to be hashed). A
 * value with a serialiser of its own (a double that keeps its text)
 * is written by json-c. */
static uint64_t hash_json(uint64_t h, struct json_object *v)
{
	const char *t;
	const struct pj_big *b;
	char num[24];
	if (!v)
		return fnv_add(h, "null", 4);
	switch (json_object_get_type(v)) {
	case json_type_string:
		if ((b = big_of(v)))
			return hash_escaped(h, b->p, b->len);
		if (json_object_get_userdata(v))
			break;
		return hash_escaped(h, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	case json_type_boolean:
		if (json_object_get_userdata(v))
			break;
		return json_object_get_boolean(v) ? fnv_add(h, "true", 4) : fnv_add(h, "false", 5);
	case json_type_int: {
		int64_t i = json_object_get_int64(v);
		if (json_object_get_userdata(v) || i == INT64_MAX)
			break; /* maybe an uint64 past it: json-c's */
		int k = snprintf(num, sizeof num, "%" PRId64, i);
		return fnv_add(h, num, (size_t)k);
	}
	case json_type_array:
		if (json_object_get_userdata(v))
			break;
		h = fnv_add(h, "[", 1);
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
			if (i)
				h = fnv_add(h, ",", 1);
			h = hash_json(h, json_object_array_get_idx(v, i));
		}
		return fnv_add(h, "]", 1);
	case json_type_object: {
		if (json_object_get_userdata(v))
			break;
		bool first = true;
		h = fnv_add(h, "{", 1);
		json_object_object_foreach(v, key, val)
		{
			if (!first)
				h = fnv_add(h, ",", 1);
			first = false;
			h = hash_escaped(h, key, strlen(key));
			h = fnv_add(h, ":", 1);
			h = hash_json(h, val);
		}
		return fnv_add(h, "}", 1);
	}
	default:
		break;
	}
	t = json_object_to_json_string_ext(v, PJ_TEXT_FLAGS);
	return fnv_add(h, t, strlen(t));
}

uint64_t pj_hash_text(struct json_object *v)
{
	return hash_json(0xcbf29ce484222325ull, v);
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

void pj_normalize_view(struct pj_buf *out, const char *s, size_t n, const char **rp, size_t *rn)
{
	pj_reset(out);
	size_t from, to;
	if (!memchr(s, '\r', n) && !pj_find(s, n, "\n\n\n")) {
		pj_trim_bounds(s, n, &from, &to);
		if (to == n) {
			*rp = s + from;
			*rn = to - from;
			return;
		}
	}
	pj_add(out, s, n);
	pj_normalize_text(out);
	*rp = pj_cstr(out);
	*rn = out->len;
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
