/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "frontmatter.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "json.h"
#include "markdown.h"
#include "text.h"

/* ---- scalars ---------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return true;
}

static bool eq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* js-yaml 4 null / bool words. */
static bool yaml_is_null(const char *s, size_t n)
{
	return n == 0 || eq(s, n, "~") || eq(s, n, "null") || eq(s, n, "Null") || eq(s, n, "NULL");
}

static int yaml_bool(const char *s, size_t n)
{
	if (eq(s, n, "true") || eq(s, n, "True") || eq(s, n, "TRUE"))
		return 1;
	if (eq(s, n, "false") || eq(s, n, "False") || eq(s, n, "FALSE"))
		return 0;
	return -1;
}

/* js-yaml 4 integer: [-+]? then 0b…, 0x…, 0o…, or decimal digits; the
 * value must be finite. Stores it in *v. */
static bool yaml_int(const char *s, size_t n, double *v)
{
	size_t i = 0;
	double sign = 1;
	if (n == 0)
		return false;
	if (s[0] == '-' || s[0] == '+') {
		sign = s[0] == '-' ? -1 : 1;
		i++;
	}
	int base = 10;
	const char *digits = "0123456789";
	if (i < n && s[i] == '0') {
		if (i + 1 == n) {
			*v = sign * 0.0;
			return true;
		}
		char c = s[i + 1];
		if (c == 'b' || c == 'x' || c == 'o') {
			base = c == 'b' ? 2 : c == 'x' ? 16 : 8;
			digits = c == 'b' ? "01" : c == 'x' ? "0123456789abcdefABCDEF" : "01234567";
			i += 2;
		}
	}
	if (i >= n || !all_in(s + i, n - i, digits))
		return false;
	double acc = 0;
	for (; i < n; i++) {
		int d = is_digit(s[i]) ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10;
		acc = acc * base + d;
	}
	if (!isfinite(acc))
		return false;
	*v = sign * acc;
	return true;
}

/* js-yaml 4 float: [-+]?D+(.D*)?([eE][-+]?D+)? | .D+([eE][-+]?D+)? |
 * [-+]?.inf | .nan (three spellings each); finite unless special. */
static bool yaml_float(const char *s, size_t n, double *v)
{
	size_t i = 0;
	bool neg = false, signed_ = false;
	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		signed_ = true;
		i = 1;
	}
	const char *r = s + i;
	size_t rn = n - i;
	if (eq(r, rn, ".inf") || eq(r, rn, ".Inf") || eq(r, rn, ".INF")) {
		*v = neg ? -INFINITY : INFINITY;
		return true;
	}
	if (!signed_ && (eq(r, rn, ".nan") || eq(r, rn, ".NaN") || eq(r, rn, ".NAN"))) {
		*v = NAN;
		return true;
	}
	size_t j = 0, d1 = 0, d2 = 0;
	while (j < rn && is_digit(r[j]))
		j++, d1++;
	if (d1 == 0 && signed_)
		return false;
	if (j < rn && r[j] == '.') {
		j++;
		while (j < rn && is_digit(r[j]))
			j++, d2++;
	}
	if (d1 == 0 && d2 == 0)
		return false;
	if (j < rn && (r[j] == 'e' || r[j] == 'E')) {
		j++;
		if (j < rn && (r[j] == '-' || r[j] == '+'))
			j++;
		size_t d3 = 0;
		while (j < rn && is_digit(r[j]))
			j++, d3++;
		if (!d3)
			return false;
	}
	if (j != rn)
		return false;
	char *tmp = xstrndup(s, n);
	double d = strtod(tmp, NULL);
	free(tmp);
	if (!isfinite(d))
		return false;
	*v = d;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date; month may be out of
 * 1..12 and day out of range (they roll over like Date.UTC). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	m -= 1;
	y += m >= 0 ? m / 12 : -((11 - m) / 12);
	m = ((m % 12) + 12) % 12 + 1;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 + (d - 1);
}

static size_t digits_at(const char *s, size_t n, size_t i, size_t max)
{
	size_t k = 0;
	while (i + k < n && k < max && is_digit(s[i + k]))
		k++;
	return k;
}

static int64_t num(const char *s, size_t k)
{
	int64_t v = 0;
	for (size_t i = 0; i < k; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* js-yaml 4 timestamp (date YYYY-MM-DD, or YYYY-M-D[Tt]H:MM:SS[.f][Z|±H[:MM]],
 * no spaces here since callers only pass space-free text). *ms = epoch ms. */
static bool yaml_timestamp(const char *s, size_t n, int64_t *ms)
{
	if (n < 8 || digits_at(s, n, 0, 4) != 4 || s[4] != '-')
		return false;
	int64_t y = num(s, 4);
	size_t i = 5, k = digits_at(s, n, i, 2);
	if (!k)
		return false;
	int64_t mo = num(s + i, k);
	bool two = k == 2;
	i += k;
	if (i >= n || s[i] != '-')
		return false;
	i++;
	k = digits_at(s, n, i, 2);
	if (!k)
		return false;
	int64_t d = num(s + i, k);
	two = two && k == 2;
	i += k;
	if (i == n) {
		if (!two)
			return false;
		*ms = days_from_civil(y, mo, d) * 86400000;
		return true;
	}
	if (s[i] != 'T' && s[i] != 't')
		return false;
	i++;
	int64_t hh, mm, ss, frac = 0;
	k = digits_at(s, n, i, 2);
	if (!k)
		return false;
	hh = num(s + i, k);
	i += k;
	if (i + 3 > n || s[i] != ':' || digits_at(s, n, i + 1, 2) != 2)
		return false;
	mm = num(s + i + 1, 2);
	i += 3;
	if (i + 3 > n || s[i] != ':' || digits_at(s, n, i + 1, 2) != 2)
		return false;
	ss = num(s + i + 1, 2);
	i += 3;
	if (i < n && s[i] == '.') {
		i++;
		k = digits_at(s, n, i, SIZE_MAX);
		for (size_t f = 0; f < 3; f++)
			frac = frac * 10 + (f < k ? s[i + f] - '0' : 0);
		i += k;
	}
	int64_t delta = 0;
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '-' || s[i] == '+')) {
		int sign = s[i] == '-' ? -1 : 1;
		i++;
		k = digits_at(s, n, i, 2);
		if (!k)
			return false;
		int64_t th = num(s + i, k), tm = 0;
		i += k;
		if (i < n && s[i] == ':') {
			if (digits_at(s, n, i + 1, 2) != 2)
				return false;
			tm = num(s + i + 1, 2);
			i += 3;
		}
		delta = sign * (th * 60 + tm) * 60000;
	}
	if (i != n)
		return false;
	*ms = days_from_civil(y, mo, d) * 86400000 + ((hh * 60 + mm) * 60 + ss) * 1000 + frac - delta;
	return true;
}

/* Append Date.prototype.toISOString() of epoch ms. */
static void iso_string(int64_t ms, struct buf *out)
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((86399999 - ms) / 86400000);
	int64_t rem = ms - days * 86400000;
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y >= 0 && y <= 9999)
		buf_printf(out, "%04" PRId64, y);
	else
		buf_printf(out, "%c%06" PRId64, y < 0 ? '-' : '+', y < 0 ? -y : y);
	buf_printf(out, "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64 "Z",
		   m, d, rem / 3600000, rem / 60000 % 60, rem / 1000 % 60, rem % 1000);
}

enum yval { YV_STR, YV_NULL, YV_BOOL, YV_NUM, YV_DATE };

/* Resolve a plain scalar with the js-yaml 4 default schema. */
static enum yval yaml_resolve(const char *s, size_t n, double *num_out, int64_t *date_out)
{
	double d;
	int64_t ms;
	if (yaml_is_null(s, n))
		return YV_NULL;
	if (yaml_bool(s, n) >= 0)
		return YV_BOOL;
	if (yaml_int(s, n, &d) || yaml_float(s, n, &d)) {
		if (num_out)
			*num_out = d;
		return YV_NUM;
	}
	if (yaml_timestamp(s, n, &ms)) {
		if (date_out)
			*date_out = ms;
		return YV_DATE;
	}
	return YV_STR;
}

/* Loading s as a whole document: structure first (document markers, a
 * lone "-", a trailing ':' making a mapping, a leading '@' failing), then
 * the scalar types. `marker`: a "---" was already consumed. */
static bool ambiguous(const char *s, size_t n, bool marker)
{
	if (n >= 3 && !memcmp(s, "---", 3)) {
		if (n == 3)
			return true;
		return ambiguous(s + 3, n - 3, true);
	}
	if (!marker && eq(s, n, "..."))
		return true;
	if (eq(s, n, "-"))
		return true;
	if (n && s[0] == '@')
		return false;
	if (n >= 2 && s[n - 1] == ':')
		return true;
	if (eq(s, n, ":"))
		return false;
	return yaml_resolve(s, n, NULL, NULL) != YV_STR;
}

bool fm_yaml_ambiguous(const char *s, size_t n)
{
	return ambiguous(s, n, false);
}

/* May code point cp stand as it is inside a quoted YAML scalar, and read
 * back as itself? Not the C0 controls (tab included: trimmed or folded),
 * DEL, the C1 controls, the byte order mark, U+FFFE/U+FFFF, nor U+0085,
 * U+2028 and U+2029, which YAML reads as line breaks. */
static bool yaml_plain_cp(uint32_t cp)
{
	return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) && cp != 0xfeff && cp != 0xfffe &&
	       cp != 0xffff && cp != 0x2028 && cp != 0x2029;
}

/* Must s be written double-quoted, with escapes (a line break, a control
 * character, invalid UTF-8)? */
static bool needs_escapes(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l || !yaml_plain_cp(cp))
			return true;
		i += l;
	}
	return false;
}

/* s as a double-quoted YAML scalar: every code point that cannot stand as
 * it is escaped, invalid UTF-8 replaced by U+FFFD (as in the Markdown). */
static void dquote(const char *s, size_t n, struct buf *out)
{
	buf_addc(out, '"');
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l) {
			buf_adds(out, "\\uFFFD");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)cp);
		} else if (cp == '\n') {
			buf_adds(out, "\\n");
		} else if (cp == '\t') {
			buf_adds(out, "\\t");
		} else if (!yaml_plain_cp(cp)) {
			buf_printf(out, "\\u%04X", (unsigned)cp);
		} else {
			buf_add(out, s + i, l);
		}
		i += l;
	}
	buf_addc(out, '"');
}

static void quote(const char *s, size_t n, struct buf *out)
{
	if (needs_escapes(s, n)) {
		dquote(s, n, out);
		return;
	}
	buf_addc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_addc(out, '\'');
		buf_addc(out, s[i]);
	}
	buf_addc(out, '\'');
}

static bool safe_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      (c && strchr("._/@:-", c))))
			return false;
	}
	return true;
}

/* Does s start with something a YAML parser does not take as the start
 * of a plain scalar ('@' is reserved; ':' alone or before a space is a
 * mapping value)? */
static bool bad_start(const char *s, size_t n)
{
	return n && (s[0] == '@' || (s[0] == ':' && (n == 1 || s[1] == ' ')));
}

void fm_scalar(const char *s, size_t n, struct buf *out)
{
	if (n && safe_chars(s, n) && !fm_yaml_ambiguous(s, n) && !bad_start(s, n))
		buf_add(out, s, n);
	else
		quote(s, n, out);
}

/* ---- lists ------------------------------------------------------------ */

struct strlist {
	char **v;
	size_t n;
};

static bool list_has(const struct strlist *l, const char *s, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && !memcmp(l->v[i], s, n))
			return true;
	return false;
}

/* Add JS-trimmed s unless blank or already present; invalid UTF-8 (and
 * NUL) is replaced by U+FFFD first, as it is written, so that an item
 * read back from the block compares equal. */
static void list_add(struct strlist *l, const char *s, size_t n)
{
	struct buf clean = BUF_INIT;
	utf8_sanitize(&clean, s, n);
	size_t a;
	n = js_trim(buf_str(&clean), clean.len, &a);
	if (n && !list_has(l, buf_str(&clean) + a, n)) {
		l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n++] = xstrndup(buf_str(&clean) + a, n);
	}
	buf_free(&clean);
}

static void list_add_all(struct strlist *l, const char *const *items)
{
	for (size_t i = 0; items && items[i]; i++)
		list_add(l, items[i], strlen(items[i]));
}

static void list_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void inline_array(const struct strlist *l, struct buf *out)
{
	buf_addc(out, '[');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_adds(out, ", ");
		fm_scalar(l->v[i], strlen(l->v[i]), out);
	}
	buf_addc(out, ']');
}

/* ---- ids -------------------------------------------------------------- */

/* The ASCII character that String.prototype.toLowerCase gives for cp, or 0
 * when it gives none: A-Z, U+0130 ("i" + U+0307) and the Kelvin sign
 * U+212A ("k") are the only code points whose lowercase has an ASCII
 * letter or digit. */
static char lower_ascii(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return (char)(cp + 32);
	if (cp < 0x80)
		return (char)cp;
	if (cp == 0x130)
		return 'i';
	if (cp == 0x212a)
		return 'k';
	return 0;
}

char *fm_slug(const char *title)
{
	struct buf b = BUF_INIT;
	size_t n = title ? strlen(title) : 0, i = 0;
	bool space = false;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(title + i, n - i, &cp);
		if (!len) {
			len = 1;
			cp = 0xfffd;
		}
		i += len;
		char c = lower_ascii(cp);
		if (js_is_space(cp)) {
			space = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
			continue; /* removed: does not end a whitespace run */
		if (space && b.len && b.p[b.len - 1] != '-')
			buf_addc(&b, '-');
		space = false;
		if (c == '-' && b.len && b.p[b.len - 1] == '-')
			continue;
		if (c == '-' && !b.len)
			continue;
		buf_addc(&b, c);
	}
	size_t len = b.len < 24 ? b.len : 24;
	while (len && b.p[len - 1] == '-')
		len--;
	char *r = len ? xstrndup(b.p, len) : xstrdup("note");
	buf_free(&b);
	return r;
}

char *fm_id(const char *title, const char *session_id, uint32_t random_seed)
{
	struct buf b = BUF_INIT;
	char *slug = fm_slug(title);
	buf_adds(&b, slug);
	buf_addc(&b, '-');
	free(slug);
	size_t n = session_id ? strlen(session_id) : 0, i = 0, got = 0;
	while (i < n && got < 8) {
		uint32_t cp;
		size_t len = utf8_decode(session_id + i, n - i, &cp);
		if (!len) {
			len = 1;
			cp = 0xfffd;
		}
		i += len;
		char c = lower_ascii(cp);
		if ((c >= 'a' && c <= 'z') || is_digit(c)) {
			buf_addc(&b, c);
			got++;
		}
	}
	if (!got) {
		/* splitmix32-style stream of bytes, each taken mod 36 */
		static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
		uint32_t x = random_seed;
		for (int k = 0; k < 6; k++) {
			x += 0x9e3779b9u;
			uint32_t z = x;
			z = (z ^ (z >> 16)) * 0x85ebca6bu;
			z = (z ^ (z >> 13)) * 0xc2b2ae35u;
			z ^= z >> 16;
			buf_addc(&b, alphabet[(z & 0xff) % 36]);
		}
	}
	return buf_take(&b);
}

static uint32_t random_seed(void)
{
	uint32_t seed;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ ((uint32_t)getpid() << 16);
	}
	return seed;
}

/* ---- render ----------------------------------------------------------- */

static void list_line(const char *key, const char *const *items, struct buf *out)
{
	struct strlist l = {0};
	list_add_all(&l, items);
	if (l.n) {
		buf_printf(out, "\n%s: ", key);
		inline_array(&l, out);
	}
	list_free(&l);
}

void fm_render(const struct fm_fields *f, struct buf *out)
{
	const char *title = f->title ? f->title : "Untitled Conversation";
	size_t a = 0, sn = f->session_id ? js_trim(f->session_id, strlen(f->session_id), &a) : 0;
	char *sid = sn ? xstrndup(f->session_id + a, sn) : NULL;
	char *id = f->id ? xstrdup(f->id) : fm_id(title, sid, random_seed());
	struct buf b = BUF_INIT;

	buf_printf(&b, "---\nid: %s\ntitle: ", id);
	quote(title, strlen(title), &b);
	buf_printf(&b, "\ndesc: ''\ncreated: %" PRId64, f->created_ms);
	if (f->updated_ms >= 0)
		buf_printf(&b, "\nupdated: %" PRId64, f->updated_ms);
	list_line("participants", f->participants, &b);
	if (sid) {
		buf_adds(&b, "\nsessionId: ");
		fm_scalar(sid, sn, &b);
	}
	list_line("recordingIds", f->recording_ids, &b);
	list_line("tags", f->tags, &b);
	list_line("conversationEventKinds", f->event_kinds, &b);
	buf_adds(&b, "\n---");
	utf8_sanitize(out, b.p, b.len);
	buf_free(&b);
	free(id);
	free(sid);
}

size_t fm_find(const char *text, size_t len)
{
	if (len < 4 || memcmp(text, "---\n", 4))
		return 0;
	for (size_t i = 4; i + 4 <= len; i++)
		if (!memcmp(text + i, "\n---", 4))
			return i + 4;
	return 0;
}

/* ---- merge ------------------------------------------------------------ */

#define FM_MAX_DEPTH 64

static const char *node_str(yaml_node_t *nd, size_t *n)
{
	*n = nd->data.scalar.length;
	return (const char *)nd->data.scalar.value;
}

/* The js-yaml type of a scalar node (quoted and block scalars are strings). */
static enum yval scalar_type(yaml_node_t *nd, double *d, int64_t *ms)
{
	if (nd->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return YV_STR;
	size_t n;
	const char *s = node_str(nd, &n);
	return yaml_resolve(s, n, d, ms);
}

static bool node_is_string(yaml_node_t *nd)
{
	return nd && nd->type == YAML_SCALAR_NODE && scalar_type(nd, NULL, NULL) == YV_STR;
}

/* The key of a mapping pair as JavaScript's property name; -1 for keys the
 * reference could not use either (dates, collections). */
static int key_string(yaml_node_t *nd, struct buf *out)
{
	if (!nd || nd->type != YAML_SCALAR_NODE)
		return -1;
	double d;
	size_t n;
	const char *s = node_str(nd, &n);
	switch (scalar_type(nd, &d, NULL)) {
	case YV_STR: buf_add(out, s, n); return 0;
	case YV_NULL: buf_adds(out, "null"); return 0;
	case YV_BOOL: buf_adds(out, yaml_bool(s, n) ? "true" : "false"); return 0;
	case YV_NUM: md_js_number(d, out); return 0;
	case YV_DATE: return -1;
	}
	return -1;
}

/* readStringList: the string items of a sequence, or a single string;
 * trimmed, blanks dropped (duplicates kept, as the reference does). */
static void read_list(yaml_document_t *doc, yaml_node_t *nd, struct strlist *l)
{
	if (!nd)
		return;
	if (nd->type == YAML_SCALAR_NODE && node_is_string(nd)) {
		size_t n, a;
		const char *s = node_str(nd, &n);
		n = js_trim(s, n, &a);
		if (n) {
			l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
			l->v[l->n++] = xstrndup(s + a, n);
		}
	} else if (nd->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = nd->data.sequence.items.start; it < nd->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(doc, *it);
			if (node_is_string(item))
				read_list(doc, item, l);
		}
	}
}

static bool lists_equal(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* A string as js-yaml's dump writes it (approximation: plain when safe,
 * single-quoted on one line, double-quoted JSON-style when it has line
 * breaks or control characters). */
static void dump_string(const char *s, size_t n, struct buf *out)
{
	bool plain = n > 0, ctrl = false;
	size_t a;
	if (js_trim(s, n, &a) != n)
		plain = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			ctrl = true;
		if (i == 0 && strchr("-?:,[]{}#&*!|>'\"%@`", c))
			plain = false;
		if (c == ':' && (i + 1 == n || s[i + 1] == ' '))
			plain = false;
		if (c == '#' && i > 0 && s[i - 1] == ' ')
			plain = false;
	}
	if (plain && !ctrl && !fm_yaml_ambiguous(s, n) && !needs_escapes(s, n))
		buf_add(out, s, n);
	else
		quote(s, n, out); /* double-quoted with escapes when it must be */
}

static void dump_scalar(yaml_node_t *nd, struct buf *out)
{
	double d;
	int64_t ms;
	size_t n;
	const char *s = node_str(nd, &n);
	switch (scalar_type(nd, &d, &ms)) {
	case YV_STR: dump_string(s, n, out); break;
	case YV_NULL: buf_adds(out, "null"); break;
	case YV_BOOL: buf_adds(out, yaml_bool(s, n) ? "true" : "false"); break;
	case YV_DATE: iso_string(ms, out); break;
	case YV_NUM:
		if (isnan(d))
			buf_adds(out, ".nan");
		else if (isinf(d))
			buf_adds(out, d > 0 ? ".inf" : "-.inf");
		else
			md_js_number(d, out);
		break;
	}
}

static bool empty_collection(yaml_node_t *nd)
{
	if (nd->type == YAML_SEQUENCE_NODE)
		return nd->data.sequence.items.start == nd->data.sequence.items.top;
	if (nd->type == YAML_MAPPING_NODE)
		return nd->data.mapping.pairs.start == nd->data.mapping.pairs.top;
	return false;
}

static void indent(struct buf *out, int level)
{
	for (int i = 0; i < level; i++)
		buf_adds(out, "  ");
}

/* js-yaml-style block dump of nd at `level`; the first line's indentation
 * is the caller's (after "- " or at line start). No trailing newline. */
static int dump_node(yaml_document_t *doc, yaml_node_t *nd, int level, struct buf *out)
{
	if (level > FM_MAX_DEPTH || !nd)
		return -1;
	if (nd->type == YAML_SCALAR_NODE) {
		dump_scalar(nd, out);
		return 0;
	}
	if (empty_collection(nd)) {
		buf_adds(out, nd->type == YAML_SEQUENCE_NODE ? "[]" : "{}");
		return 0;
	}
	if (nd->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = nd->data.sequence.items.start; it < nd->data.sequence.items.top; it++) {
			if (it != nd->data.sequence.items.start) {
				buf_addc(out, '\n');
				indent(out, level);
			}
			buf_adds(out, "- ");
			if (dump_node(doc, yaml_document_get_node(doc, *it), level + 1, out) < 0)
				return -1;
		}
		return 0;
	}
	for (yaml_node_pair_t *p = nd->data.mapping.pairs.start; p < nd->data.mapping.pairs.top; p++) {
		if (p != nd->data.mapping.pairs.start) {
			buf_addc(out, '\n');
			indent(out, level);
		}
		struct buf k = BUF_INIT;
		if (key_string(yaml_document_get_node(doc, p->key), &k) < 0) {
			buf_free(&k);
			return -1;
		}
		dump_string(buf_str(&k), k.len, out);
		buf_free(&k);
		buf_addc(out, ':');
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		if (!v)
			return -1;
		if (v->type == YAML_SCALAR_NODE || empty_collection(v)) {
			buf_addc(out, ' ');
		} else {
			buf_addc(out, '\n');
			indent(out, level + 1);
		}
		if (dump_node(doc, v, level + 1, out) < 0)
			return -1;
	}
	return 0;
}

/* renderYamlValue of the reference for one existing key. */
static int render_value(yaml_document_t *doc, const char *key, yaml_node_t *v, struct buf *out)
{
	buf_printf(out, "\n%s:", key);
	if (v->type == YAML_SCALAR_NODE) {
		double d;
		size_t n;
		const char *s = node_str(v, &n);
		int64_t ms;
		buf_addc(out, ' ');
		switch (scalar_type(v, &d, &ms)) {
		case YV_STR: fm_scalar(s, n, out); break;
		case YV_NUM: md_js_number(d, out); break;
		case YV_BOOL: buf_adds(out, yaml_bool(s, n) ? "true" : "false"); break;
		case YV_NULL: buf_adds(out, "null"); break;
		case YV_DATE: iso_string(ms, out); break;
		}
		return 0;
	}
	if (empty_collection(v)) {
		buf_adds(out, v->type == YAML_SEQUENCE_NODE ? " []" : " {}");
		return 0;
	}
	if (v->type == YAML_SEQUENCE_NODE) {
		bool strings = true;
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
			strings = strings && node_is_string(yaml_document_get_node(doc, *it));
		if (strings) {
			buf_addc(out, ' ');
			buf_addc(out, '[');
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				size_t n;
				const char *s = node_str(yaml_document_get_node(doc, *it), &n);
				if (it != v->data.sequence.items.start)
					buf_adds(out, ", ");
				fm_scalar(s, n, out);
			}
			buf_addc(out, ']');
			return 0;
		}
	}
	struct buf d = BUF_INIT;
	if (dump_node(doc, v, 0, &d) < 0) {
		buf_free(&d);
		return -1;
	}
	/* a block collection starts on its own line, even with one entry */
	const char *p = buf_str(&d), *end = p + d.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
		buf_adds(out, "\n  ");
		buf_add(out, p, ln);
		p += ln + 1;
	}
	buf_free(&d);
	return 0;
}

/* Is k a canonical array index ("0", "1", … below 2^32-1)? JavaScript lists
 * such keys first, in numeric order. */
static bool array_index(const char *k, uint64_t *v)
{
	size_t n = strlen(k);
	if (!n || n > 10 || (n > 1 && k[0] == '0') || !all_in(k, n, "0123456789"))
		return false;
	*v = strtoull(k, NULL, 10);
	return *v < 4294967295ull;
}

struct pair {
	char *key;
	yaml_node_t *value;
	uint64_t index;
	bool is_index;
};

static const char *const merge_keys[] = {"recordingIds", "participants", "tags", "conversationEventKinds"};

static int merge_fail(char **err, const char *why, const char *block, size_t len, struct buf *out)
{
	if (err)
		*err = xstrdup(why);
	buf_add(out, block, len);
	return -1;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->is_index != y->is_index)
		return x->is_index ? -1 : 1;
	if (x->is_index)
		return x->index < y->index ? -1 : x->index > y->index;
	return 0;
}

int fm_merge(const char *block, size_t len, const char *const *participants,
	     const char *const *recording_ids, const char *const *event_kinds,
	     struct buf *out, bool *changed, char **err)
{
	struct strlist in[4] = {{0}}, have[4] = {{0}}, merged[4] = {{0}};
	bool ch[4] = {false};
	*changed = false;
	list_add_all(&in[0], recording_ids);
	list_add_all(&in[1], participants);
	list_add_all(&in[3], event_kinds);
	if (!in[0].n && !in[1].n && !in[3].n) {
		buf_add(out, block, len);
		return 0;
	}
	size_t end = fm_find(block, len);
	if (!end) {
		for (int i = 0; i < 4; i++)
			list_free(&in[i]);
		return merge_fail(err, "no frontmatter block", block, len, out);
	}

	yaml_parser_t parser;
	yaml_document_t doc;
	struct pair *pairs = NULL;
	size_t npairs = 0;
	int rc = -1;
	const char *why = NULL;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)block + 4, end - 8);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_parser_delete(&parser);
		for (int i = 0; i < 4; i++)
			list_free(&in[i]);
		return merge_fail(err, "frontmatter is not valid YAML", block, len, out);
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		why = "frontmatter is not a YAML mapping";
		goto done;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		struct buf k = BUF_INIT;
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		if (key_string(yaml_document_get_node(&doc, p->key), &k) < 0 || !v) {
			buf_free(&k);
			why = "unsupported frontmatter key";
			goto done;
		}
		char *key = buf_take(&k);
		if (!key)
			key = xstrdup("");
		for (size_t i = 0; i < npairs; i++) {
			if (!strcmp(pairs[i].key, key)) {
				free(key);
				why = "duplicated frontmatter key";
				goto done;
			}
		}
		pairs = xrealloc(pairs, (npairs + 1) * sizeof *pairs);
		pairs[npairs].key = key;
		pairs[npairs].value = v;
		pairs[npairs].is_index = array_index(key, &pairs[npairs].index);
		npairs++;
	}
	/* stable: a merge sort keeps the insertion order of string keys */
	for (size_t i = 1; i < npairs; i++)
		for (size_t j = i; j > 0 && cmp_pair(&pairs[j - 1], &pairs[j]) > 0; j--) {
			struct pair t = pairs[j];
			pairs[j] = pairs[j - 1];
			pairs[j - 1] = t;
		}

	bool any = false;
	for (int m = 0; m < 4; m++) {
		for (size_t i = 0; i < npairs; i++)
			if (!strcmp(pairs[i].key, merge_keys[m]))
				read_list(&doc, pairs[i].value, &have[m]);
		for (size_t i = 0; i < have[m].n; i++)
			list_add(&merged[m], have[m].v[i], strlen(have[m].v[i]));
		for (size_t i = 0; i < in[m].n; i++)
			list_add(&merged[m], in[m].v[i], strlen(in[m].v[i]));
		ch[m] = in[m].n && !lists_equal(&have[m], &merged[m]);
		any = any || ch[m];
	}
	if (!any) {
		buf_add(out, block, len);
		rc = 0;
		goto done;
	}

	struct buf b = BUF_INIT;
	bool present[4] = {false};
	buf_adds(&b, "---");
	for (size_t i = 0; i < npairs; i++) {
		int m = -1;
		for (int k = 0; k < 4; k++)
			if (!strcmp(pairs[i].key, merge_keys[k]))
				m = k;
		if (m >= 0)
			present[m] = true;
		if (m >= 0 && ch[m]) {
			buf_printf(&b, "\n%s: ", merge_keys[m]);
			inline_array(&merged[m], &b);
		} else if (render_value(&doc, pairs[i].key, pairs[i].value, &b) < 0) {
			buf_free(&b);
			why = "frontmatter value cannot be re-rendered";
			goto done;
		}
	}
	for (int m = 0; m < 4; m++) {
		if (ch[m] && !present[m]) {
			buf_printf(&b, "\n%s: ", merge_keys[m]);
			inline_array(&merged[m], &b);
		}
	}
	buf_adds(&b, "\n---");
	utf8_sanitize(out, b.p, b.len);
	buf_free(&b);
	*changed = true;
	rc = 0;
done:
	for (size_t i = 0; i < npairs; i++)
		free(pairs[i].key);
	free(pairs);
	for (int i = 0; i < 4; i++) {
		list_free(&in[i]);
		list_free(&have[i]);
		list_free(&merged[i]);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0)
		return merge_fail(err, why, block, len, out);
	return rc;
}
