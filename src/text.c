/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "text.h"

#include "pjson.h"

size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

void utf8_encode(struct buf *b, uint32_t cp)
{
	char t[4];
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 4);
	}
}

void utf8_sanitize(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80 && s[i]) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = s[i] ? utf8_decode(s + i, n - i, &cp) : 0;
		if (len) {
			i += len;
			continue;
		}
		buf_add(b, s + run, i - run);
		buf_add(b, "\xef\xbf\xbd", 3);
		i++;
		run = i;
	}
	buf_add(b, s + run, n - run);
}

bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

bool js_is_space(uint32_t cp)
{
	return cp <= 0x10ffff && pj_js_space((int32_t)cp);
}

/* Length of the whitespace code point starting at s[i], or 0. */
static size_t space_at(const char *s, size_t n, size_t i)
{
	uint32_t cp;
	size_t len = utf8_decode(s + i, n - i, &cp);
	return len && js_is_space(cp) ? len : 0;
}

size_t js_trim(const char *s, size_t n, size_t *start)
{
	size_t a = 0, len;
	while (a < n && (len = space_at(s, n, a)))
		a += len;
	size_t z = n;
	while (z > a) {
		/* step back to the start of the previous code point */
		size_t p = z - 1;
		while (p > a && ((unsigned char)s[p] & 0xc0) == 0x80 && z - p < 4)
			p--;
		len = space_at(s, z, p);
		if (!len || p + len != z)
			break;
		z = p;
	}
	*start = a;
	return z - a;
}

size_t utf16_length(const char *s, size_t n)
{
	size_t units = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (!len) {
			units++; /* replaced by U+FFFD on output */
			i++;
			continue;
		}
		units += cp >= 0x10000 ? 2 : 1;
		i += len;
	}
	return units;
}
