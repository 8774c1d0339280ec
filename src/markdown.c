/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "markdown.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "text.h"

#define MD_TRUNCATE_UNITS 4000

void md_options_default(struct md_options *o)
{
	o->include_commentary = true;
	o->include_thinking = false;
	o->include_tool_calls = false;
	o->italicize_user = false;
	o->include_system_events = false;
}

/* ---- JavaScript value formatting ------------------------------------- */

void md_js_number(double d, struct buf *out)
{
	if (isnan(d)) {
		buf_adds(out, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_adds(out, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (d == 0) {
		buf_addc(out, '0');
		return;
	}
	if (d < 0) {
		buf_addc(out, '-');
		d = -d;
	}
	/* shortest round-tripping digits */
	char tmp[40];
	for (int p = 0; p < 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	char digits[20];
	int k = 0;
	char *e = strchr(tmp, 'e');
	for (char *c = tmp; c < e; c++)
		if (*c >= '0' && *c <= '9')
			digits[k++] = *c;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	int n = atoi(e + 1) + 1; /* position of the decimal point */
	if (k <= n && n <= 21) {
		buf_add(out, digits, (size_t)k);
		for (int i = k; i < n; i++)
			buf_addc(out, '0');
	} else if (0 < n && n <= 21) {
		buf_add(out, digits, (size_t)n);
		buf_addc(out, '.');
		buf_add(out, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		buf_adds(out, "0.");
		for (int i = n; i < 0; i++)
			buf_addc(out, '0');
		buf_add(out, digits, (size_t)k);
	} else {
		buf_addc(out, digits[0]);
		if (k > 1) {
			buf_addc(out, '.');
			buf_add(out, digits + 1, (size_t)(k - 1));
		}
		buf_printf(out, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

/* A json-c number as JavaScript prints it (integers beyond 2^53 lose
 * precision there, so they go through double too). */
static void js_number_of(struct json_object *v, struct buf *out)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i >= -(INT64_C(1) << 53) && i <= (INT64_C(1) << 53)) {
			buf_printf(out, "%" PRId64, i);
			return;
		}
	}
	md_js_number(json_object_get_double(v), out);
}

/* String(v) of JavaScript; v NULL is undefined. */
static void js_string(struct json_object *v, bool present, struct buf *out)
{
	if (!present) {
		buf_adds(out, "undefined");
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_null: buf_adds(out, "null"); break;
	case json_type_boolean: buf_adds(out, json_object_get_boolean(v) ? "true" : "false"); break;
	case json_type_int:
	case json_type_double: js_number_of(v, out); break;
	case json_type_string: buf_add(out, json_object_get_string(v), (size_t)json_object_get_string_len(v)); break;
	case json_type_object: buf_adds(out, "[object Object]"); break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *it = json_object_array_get_idx(v, i);
			if (i)
				buf_addc(out, ',');
			if (it)
				js_string(it, true, out);
		}
		break;
	}
}

/* `${ev[key]}` */
static void field_text(struct json_object *ev, const char *key, struct buf *out)
{
	struct json_object *v = NULL;
	bool present = json_object_object_get_ex(ev, key, &v);
	js_string(v, present, out);
}

static void pretty(struct json_object *v, int level, struct buf *out)
{
	switch (json_object_get_type(v)) {
	case json_type_null: buf_adds(out, "null"); break;
	case json_type_boolean: buf_adds(out, json_object_get_boolean(v) ? "true" : "false"); break;
	case json_type_int:
	case json_type_double: {
		double d = json_object_get_double(v);
		if (json_object_is_type(v, json_type_double) && !isfinite(d))
			buf_adds(out, "null");
		else
			js_number_of(v, out);
		break;
	}
	case json_type_string:
		json_add_strn(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(v);
		if (!n) {
			buf_adds(out, "[]");
			break;
		}
		buf_addc(out, '[');
		for (size_t i = 0; i < n; i++) {
			buf_adds(out, i ? ",\n" : "\n");
			for (int k = 0; k <= level; k++)
				buf_adds(out, "  ");
			pretty(json_object_array_get_idx(v, i), level + 1, out);
		}
		buf_addc(out, '\n');
		for (int k = 0; k < level; k++)
			buf_adds(out, "  ");
		buf_addc(out, ']');
		break;
	}
	case json_type_object: {
		if (!json_object_object_length(v)) {
			buf_adds(out, "{}");
			break;
		}
		bool first = true;
		buf_addc(out, '{');
		json_object_object_foreach(v, key, val)
		{
			buf_adds(out, first ? "\n" : ",\n");
			first = false;
			for (int k = 0; k <= level; k++)
				buf_adds(out, "  ");
			json_add_str(out, key);
			buf_adds(out, ": ");
			pretty(val, level + 1, out);
		}
		buf_addc(out, '\n');
		for (int k = 0; k < level; k++)
			buf_adds(out, "  ");
		buf_addc(out, '}');
		break;
	}
	}
}

void md_json_pretty(struct json_object *v, struct buf *out)
{
	pretty(v, 0, out);
}

/* ---- headings --------------------------------------------------------- */

void md_speaker(const char *model, struct buf *out)
{
	if (!model || !*model) {
		buf_adds(out, "Assistant");
		return;
	}
	/* trailing "-<digits>-<digits>": find the last two digit groups */
	size_t n = strlen(model), z = n;
	while (z > 0 && model[z - 1] >= '0' && model[z - 1] <= '9')
		z--;
	if (z < n && z >= 2 && model[z - 1] == '-') {
		size_t y = z - 1;
		while (y > 0 && model[y - 1] >= '0' && model[y - 1] <= '9')
			y--;
		if (y < z - 1 && y >= 1 && model[y - 1] == '-') {
			buf_add(out, model, z - 1);
			buf_addc(out, '.');
			buf_adds(out, model + z);
			return;
		}
	}
	buf_adds(out, model);
}

static int digits(const char **p, int count, int *v)
{
	*v = 0;
	for (int i = 0; i < count; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += count;
	return 0;
}

int md_parse_time(const char *s, int64_t *ms)
{
	if (!s)
		return -1;
	int year, mon = 1, day = 1, hh = 0, mi = 0, ss = 0, frac = 0;
	bool has_time = false, has_zone = false;
	int64_t offset_min = 0;
	const char *p = s;
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		if (digits(&p, 6, &year) < 0 || (sign < 0 && year == 0))
			return -1;
		year *= sign;
	} else if (digits(&p, 4, &year) < 0) {
		return -1;
	}
	if (*p == '-') {
		p++;
		if (digits(&p, 2, &mon) < 0 || mon < 1 || mon > 12)
			return -1;
		if (*p == '-') {
			p++;
			if (digits(&p, 2, &day) < 0 || day < 1 || day > 31)
				return -1;
		}
	}
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		has_time = true;
		if (digits(&p, 2, &hh) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &ss) < 0)
				return -1;
			if (*p == '.') {
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				/* milliseconds: the first 3 digits, zero-padded */
				for (int i = 0; i < 3 || (*p >= '0' && *p <= '9'); i++) {
					bool dig = *p >= '0' && *p <= '9';
					if (i < 3)
						frac = frac * 10 + (dig ? *p - '0' : 0);
					if (dig)
						p++;
				}
			}
		}
		if (hh > 24 || mi > 59 || ss > 59 || (hh == 24 && (mi || ss || frac)))
			return -1;
		if (*p == 'Z' || *p == 'z') {
			p++;
			has_zone = true;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (digits(&p, 2, &oh) < 0)
				return -1;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
				return -1;
			offset_min = sign * (oh * 60 + om);
			has_zone = true;
		}
	}
	if (*p)
		return -1;
	if (has_time && !has_zone) {
		struct tm tm = {0};
		tm.tm_year = year - 1900;
		tm.tm_mon = mon - 1;
		tm.tm_mday = day;
		tm.tm_hour = hh;
		tm.tm_min = mi;
		tm.tm_sec = ss;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		*ms = (int64_t)t * 1000 + frac;
		return 0;
	}
	/* days from civil (Howard Hinnant), day overflow rolls over */
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*ms = ((days * 24 + hh) * 60 + mi - offset_min) * 60000 + (int64_t)ss * 1000 + frac;
	return 0;
}

void md_heading_time(const char *iso, struct buf *out)
{
	int64_t ms;
	struct tm tm;
	if (md_parse_time(iso, &ms) < 0) {
		buf_adds(out, "unknown-time");
		return;
	}
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((999 - ms) / 1000));
	if (!localtime_r(&t, &tm)) {
		buf_adds(out, "unknown-time");
		return;
	}
	int year = tm.tm_year + 1900;
	int two[5] = {tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
	bool plain = year >= 1000 && year <= 9999;
	for (int i = 0; i < 5; i++)
		plain = plain && two[i] >= 0 && two[i] <= 99;
	if (!plain) {
		buf_printf(out, "%d-%02d-%02d_%02d%02d_%02d", year, two[0], two[1], two[2], two[3], two[4]);
		return;
	}
	/* the same bytes without printf: once per heading of a capture */
	char txt[] = "0000-00-00_0000_00";
	static const int at[5] = {5, 8, 11, 13, 16};
	for (int i = 3; i >= 0; i--, year /= 10)
		txt[i] = (char)('0' + year % 10);
	for (int i = 0; i < 5; i++) {
		txt[at[i]] = (char)('0' + two[i] / 10);
		txt[at[i] + 1] = (char)('0' + two[i] % 10);
	}
	buf_add(out, txt, sizeof txt - 1);
}

/* ---- rendering -------------------------------------------------------- */

struct render {
	const struct md_options *o;
	struct buf raw; /* the parts joined with "\n" */
	size_t nparts;
};

static void part(struct render *r, const char *s, size_t n)
{
	if (r->nparts++)
		buf_addc(&r->raw, '\n');
	buf_add(&r->raw, s, n);
}

/* Push a block followed by the empty part the reference pushes after it. */
static void block(struct render *r, struct buf *b)
{
	part(r, buf_str(b), b->len);
	part(r, "", 0);
	buf_reset(b);
}

static const char *sfield(struct json_object *ev, const char *key)
{
	return pj_str(ev, key);
}

static bool same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* JS-trimmed content of a string field ("" when absent). */
static size_t trimmed(struct json_object *ev, const char *key, const char **start)
{
	struct json_object *v;
	if (!json_object_object_get_ex(ev, key, &v) || !json_object_is_type(v, json_type_string)) {
		*start = "";
		return 0;
	}
	const char *s = json_object_get_string(v);
	size_t a, n = js_trim(s, (size_t)json_object_get_string_len(v), &a);
	*start = s + a;
	return n;
}

static bool trimmed_equal(struct json_object *a, struct json_object *b)
{
	const char *x, *y;
	size_t nx = trimmed(a, "content", &x), ny = trimmed(b, "content", &y);
	return nx == ny && !memcmp(x, y, nx);
}

static bool is_assistant(struct json_object *ev)
{
	return ev && str_eq(sfield(ev, "kind"), "message.assistant");
}

/* Each line JS-trimmed; non-blank lines become *line* with * escaped. */
static void italicize(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	for (;;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n, a;
		size_t ln = js_trim(s + i, end - i, &a);
		if (ln) {
			buf_addc(out, '*');
			for (size_t k = 0; k < ln; k++) {
				char c = s[i + a + k];
				if (c == '*')
					buf_addc(out, '\\');
				buf_addc(out, c);
			}
			buf_addc(out, '*');
		}
		if (!nl)
			break;
		buf_addc(out, '\n');
		i = end + 1;
	}
}

static void signature(struct json_object *ev, struct buf *out)
{
	buf_reset(out);
	field_text(ev, "kind", out);
	buf_addc(out, '\0');
	field_text(ev, "eventId", out);
	buf_addc(out, '\0');
	field_text(ev, "timestamp", out);
	buf_addc(out, '\0');
	field_text(ev, "content", out);
}

static size_t longest_backtick_run(const char *s, size_t n)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void fence(size_t inner_run, struct buf *out)
{
	size_t len = inner_run >= 3 ? inner_run + 1 : 3;
	for (size_t i = 0; i < len; i++)
		buf_addc(out, '`');
}

/* s cut to `max` UTF-16 units + "..." when longer (a split surrogate pair
 * becomes U+FFFD, as the reference's encoder writes it). */
static void truncate_units(const char *s, size_t n, size_t max, struct buf *out)
{
	if (utf16_length(s, n) <= max) {
		buf_add(out, s, n);
		return;
	}
	size_t i = 0, units = 0;
	while (units < max) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		size_t u = len && cp >= 0x10000 ? 2 : 1;
		if (!len)
			len = 1;
		if (units + u > max) {
			buf_add(out, s, i);
			buf_adds(out, "\xef\xbf\xbd");
			buf_adds(out, "...");
			return;
		}
		units += u;
		i += len;
	}
	buf_add(out, s, i);
	buf_adds(out, "...");
}

int md_snippet(const char *s, size_t len, struct buf *out)
{
	struct buf flat = BUF_INIT, cut = BUF_INIT;
	size_t a;
	for (size_t k = 0; s && k < len; k++) {
		if (s[k] == '\r' && k + 1 < len && s[k + 1] == '\n')
			k++;
		buf_addc(&flat, s[k] == '\r' || s[k] == '\n' ? ' ' : s[k]);
	}
	size_t tn = js_trim(buf_str(&flat), flat.len, &a);
	if (!tn) {
		buf_free(&flat);
		return -1;
	}
	if (utf16_length(flat.p + a, tn) <= 60) {
		buf_add(&cut, flat.p + a, tn);
	} else {
		truncate_units(flat.p + a, tn, 59, &cut);
		cut.len -= 3; /* truncate_units' "..." */
		buf_adds(&cut, "\xe2\x80\xa6");
	}
	utf8_sanitize(out, cut.p, cut.len);
	buf_free(&flat);
	buf_free(&cut);
	return 0;
}

/* The next unused tool.result for `id` (FIFO per id), or NULL. */
static struct json_object *next_result(struct json_object *queues, struct json_object *used,
				       struct json_object *const *events, const char *id)
{
	struct json_object *q, *ptr;
	if (!json_object_object_get_ex(queues, id, &q))
		return NULL;
	int idx = json_object_object_get_ex(used, id, &ptr) ? json_object_get_int(ptr) : 0;
	json_object_object_add(used, id, json_object_new_int(idx + 1));
	if ((size_t)idx >= json_object_array_length(q))
		return NULL;
	return events[json_object_get_int(json_object_array_get_idx(q, (size_t)idx))];
}

static void render_tool(struct render *r, struct json_object *ev, struct json_object *res, struct buf *b)
{
	const char *desc = sfield(ev, "description");
	buf_adds(b, "\n<details>\n<summary>Tool: ");
	field_text(ev, "name", b);
	if (desc && *desc) {
		buf_adds(b, " \xe2\x80\x94 ");
		buf_adds(b, desc);
	}
	buf_adds(b, "</summary>\n");

	struct json_object *input;
	if (json_object_object_get_ex(ev, "input", &input) && input &&
	    ((json_object_is_type(input, json_type_object) && json_object_object_length(input)) ||
	     (json_object_is_type(input, json_type_array) && json_object_array_length(input)) ||
	     (json_object_is_type(input, json_type_string) && json_object_get_string_len(input)))) {
		struct buf js = BUF_INIT;
		md_json_pretty(input, &js);
		size_t run = longest_backtick_run(js.p, js.len);
		buf_addc(b, '\n');
		fence(run, b);
		buf_adds(b, "json\n");
		buf_add(b, js.p, js.len);
		buf_addc(b, '\n');
		fence(run, b);
		buf_free(&js);
	}
	const char *text = res ? sfield(res, "result") : NULL;
	if (res) {
		/* an empty result is said so, not left out (issue 9) */
		struct json_object *rv = NULL;
		json_object_object_get_ex(res, "result", &rv);
		struct buf cut = BUF_INIT;
		if (text && *text)
			truncate_units(text, (size_t)json_object_get_string_len(rv), MD_TRUNCATE_UNITS, &cut);
		else
			buf_adds(&cut, "(no output)");
		size_t run = longest_backtick_run(cut.p, cut.len);
		buf_adds(b, "\n\n");
		fence(run, b);
		buf_addc(b, '\n');
		buf_add(b, cut.p, cut.len);
		buf_addc(b, '\n');
		fence(run, b);
		buf_free(&cut);
	}
	buf_adds(b, "\n\n</details>");
	block(r, b);
}

static void render_decision(struct render *r, struct json_object *ev, struct buf *b)
{
	struct json_object *meta = NULL, *opts;
	json_object_object_get_ex(ev, "metadata", &meta);
	bool questionnaire = meta && json_object_is_type(meta, json_type_object) &&
			     json_object_object_get_ex(meta, "providerQuestionId", NULL);
	const char *status = sfield(ev, "status");

	buf_adds(b, "\n**Decision [");
	field_text(ev, "decisionKey", b);
	buf_adds(b, "]:** ");
	field_text(ev, "summary", b);
	if (questionnaire && str_eq(status, "accepted")) {
		/* one line */
	} else if (questionnaire && str_eq(status, "proposed")) {
		if (json_object_object_get_ex(meta, "options", &opts) && json_object_is_type(opts, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(opts); i++) {
				struct json_object *op = json_object_array_get_idx(opts, i), *lv, *dv;
				if (!op || !(json_object_is_type(op, json_type_object) || json_object_is_type(op, json_type_array)))
					continue;
				struct buf label = BUF_INIT, d = BUF_INIT;
				/* String(option.label ?? "").trim() */
				if (json_object_is_type(op, json_type_object) && json_object_object_get_ex(op, "label", &lv) && lv)
					js_string(lv, true, &label);
				if (json_object_is_type(op, json_type_object) && json_object_object_get_ex(op, "description", &dv) && dv)
					js_string(dv, true, &d);
				size_t la, ln = js_trim(buf_str(&label), label.len, &la);
				size_t da, dn = js_trim(buf_str(&d), d.len, &da);
				if (ln) {
					buf_adds(b, "\n- ");
					buf_add(b, label.p + la, ln);
					if (dn) {
						buf_adds(b, ": ");
						buf_add(b, d.p + da, dn);
					}
				}
				buf_free(&label);
				buf_free(&d);
			}
		}
	} else {
		buf_adds(b, "\n*Status: ");
		field_text(ev, "status", b);
		buf_adds(b, " \xe2\x80\x94 decided by: ");
		field_text(ev, "decidedBy", b);
		buf_addc(b, '*');
	}
	block(r, b);
}

/* "> [<label>:<sub>] <content>", every line quoted; `empty` stands in for
 * blank content. */
static void render_quoted(struct render *r, const char *label, const char *sub, struct json_object *ev,
			  const char *empty, struct buf *b)
{
	const char *c;
	size_t n = trimmed(ev, "content", &c);
	if (!n) {
		c = empty;
		n = strlen(c);
	}
	buf_adds(b, "\n> [");
	buf_adds(b, label);
	if (sub && *sub) {
		buf_addc(b, ':');
		buf_adds(b, sub);
	}
	buf_adds(b, "] ");
	for (size_t i = 0; i < n; i++) {
		buf_addc(b, c[i]);
		if (c[i] == '\n')
			buf_adds(b, i + 1 < n && c[i + 1] != '\n' ? "> " : ">");
	}
	block(r, b);
}

/* Append the parts for events[first..n) to r->raw; events before `first`
 * are context only (the previous-message rule). *last_role in/out. */
static void render_parts(struct render *r, struct json_object *const *events, size_t n, size_t first,
			 char last_role[16])
{
	const struct md_options *o = r->o;
	struct json_object *queues = json_object_new_object(), *used = json_object_new_object();
	struct buf b = BUF_INIT, sig = BUF_INIT, last_sig = BUF_INIT, content = BUF_INIT;
	bool have_sig = false;
	char role[16];
	snprintf(role, sizeof role, "%s", last_role ? last_role : "");

	for (size_t i = 0; i < n; i++) {
		if (!events[i] || !str_eq(sfield(events[i], "kind"), "tool.result"))
			continue;
		const char *id = sfield(events[i], "toolCallId");
		struct json_object *q;
		if (!id)
			id = "undefined";
		if (!json_object_object_get_ex(queues, id, &q)) {
			q = json_object_new_array();
			json_object_object_add(queues, id, q);
		}
		json_object_array_add(q, json_object_new_int((int)i));
	}

	for (size_t i = first; i < n; i++) {
		struct json_object *ev = events[i];
		const char *kind = ev ? sfield(ev, "kind") : NULL;
		if (!kind)
			continue;
		if (!strncmp(kind, "message.", 8)) {
			const char *rl = kind + 8;
			if (strcmp(rl, "user") && strcmp(rl, "assistant") && strcmp(rl, "system"))
				continue;
			const char *phase = sfield(ev, "phase");
			if (!strcmp(rl, "system") && !o->include_system_events)
				continue;
			/* Text the tool injected as the user (<environment_context>,
			 * AGENTS.md bodies, isMeta, ...) is not the user's words: never
			 * under a "# User_" heading; a quoted block with system events. */
			if (!strcmp(rl, "user") && pj_bool(ev, "isInjected", false)) {
				const char *c;
				if (o->include_system_events && trimmed(ev, "content", &c)) {
					render_quoted(r, "injected", NULL, ev, "", &b);
					have_sig = false;
				}
				continue;
			}
			if (!strcmp(rl, "assistant") && str_eq(phase, "commentary") && !o->include_commentary)
				continue;
			struct json_object *cv = NULL;
			json_object_object_get_ex(ev, "content", &cv);
			if (!cv || !json_object_is_type(cv, json_type_string))
				continue;
			const char *raw = json_object_get_string(cv);
			size_t rawn = (size_t)json_object_get_string_len(cv), a;
			buf_reset(&content);
			if (!strcmp(rl, "user") && o->italicize_user)
				italicize(raw, rawn, &content);
			else
				buf_add(&content, raw, rawn);
			if (!js_trim(buf_str(&content), content.len, &a))
				continue;
			if (!strcmp(rl, "assistant")) {
				struct json_object *next = i + 1 < n ? events[i + 1] : NULL;
				struct json_object *prev = i > 0 ? events[i - 1] : NULL;
				if (str_eq(phase, "commentary") && is_assistant(next) &&
				    str_eq(sfield(next, "phase"), "final") &&
				    same_opt(sfield(next, "turnId"), sfield(ev, "turnId")) && trimmed_equal(next, ev))
					continue;
				if (is_assistant(prev) && same_opt(sfield(prev, "turnId"), sfield(ev, "turnId")) &&
				    trimmed_equal(prev, ev) &&
				    !(str_eq(sfield(prev, "phase"), "commentary") && str_eq(phase, "final")))
					continue;
			}
			signature(ev, &sig);
			if (have_sig && sig.len == last_sig.len && !memcmp(sig.p, last_sig.p, sig.len))
				continue;
			buf_reset(&last_sig);
			buf_add(&last_sig, sig.p, sig.len);
			have_sig = true;

			if (strcmp(role, rl)) {
				buf_adds(&b, "# ");
				if (!strcmp(rl, "user"))
					buf_adds(&b, "User");
				else if (!strcmp(rl, "system"))
					buf_adds(&b, "System");
				else
					md_speaker(sfield(ev, "model"), &b);
				buf_addc(&b, '_');
				md_heading_time(sfield(ev, "timestamp"), &b);
				buf_adds(&b, "\n\n");
			}
			snprintf(role, sizeof role, "%s", rl);
			buf_add(&b, content.p, content.len);
			block(r, &b);
		} else if (!strcmp(kind, "tool.call")) {
			if (!o->include_tool_calls)
				continue;
			const char *id = sfield(ev, "toolCallId");
			render_tool(r, ev, next_result(queues, used, events, id ? id : "undefined"), &b);
			have_sig = false;
		} else if (!strcmp(kind, "thinking")) {
			const char *c;
			size_t cn;
			if (!o->include_thinking || !(cn = trimmed(ev, "content", &c)))
				continue;
			buf_add(&b, c, cn);
			block(r, &b);
			have_sig = false;
		} else if (!strcmp(kind, "decision")) {
			render_decision(r, ev, &b);
			have_sig = false;
		} else if (!strcmp(kind, "provider.info")) {
			if (!o->include_system_events)
				continue;
			const char *sub = sfield(ev, "subtype");
			buf_adds(&b, "\n> [provider.info");
			if (sub && *sub) {
				buf_addc(&b, ':');
				buf_adds(&b, sub);
			}
			buf_adds(&b, "] ");
			field_text(ev, "content", &b);
			block(r, &b);
			have_sig = false;
		} else if (!strcmp(kind, "compaction")) {
			/* A boundary (no text) and the summary it may be followed by:
			 * with system events both are shown; by default one marker line
			 * stands where the context was compacted, the summary left out. */
			const char *c;
			bool summary = trimmed(ev, "content", &c) != 0;
			struct json_object *prev = i > 0 ? events[i - 1] : NULL;
			struct json_object *next = i + 1 < n ? events[i + 1] : NULL;
			if (o->include_system_events) {
				render_quoted(r, "compaction", sfield(ev, "trigger"), ev, "context compacted", &b);
			} else if (!(summary && prev && str_eq(sfield(prev, "kind"), "compaction") &&
				     !trimmed(prev, "content", &c))) {
				bool hidden = summary || (next && str_eq(sfield(next, "kind"), "compaction") &&
							  trimmed(next, "content", &c));
				buf_adds(&b, "\n> [compaction");
				const char *trigger = sfield(ev, "trigger");
				if (trigger && *trigger) {
					buf_addc(&b, ':');
					buf_adds(&b, trigger);
				}
				buf_adds(&b, "] context compacted");
				if (hidden)
					buf_adds(&b, " (summary not shown; captureIncludeSystemEvents shows it)");
				block(r, &b);
			}
			have_sig = false;
			role[0] = '\0'; /* what follows starts under a new heading */
		}
	}
	if (last_role)
		snprintf(last_role, 16, "%s", role);
	buf_free(&b);
	buf_free(&sig);
	buf_free(&last_sig);
	buf_free(&content);
	json_object_put(queues);
	json_object_put(used);
}

/* Collapse runs of 3+ "\n" to 2, trim the end (JS set), optionally drop
 * leading newlines, replace invalid UTF-8, append to out. Returns the
 * number of bytes appended. */
static size_t finish(const struct buf *raw, bool strip_leading, struct buf *out)
{
	struct buf c = BUF_INIT;
	const char *s = buf_str(raw);
	size_t n = raw->len, i = 0;
	if (strip_leading)
		while (i < n && s[i] == '\n')
			i++;
	while (i < n) {
		if (s[i] == '\n') {
			size_t k = i;
			while (k < n && s[k] == '\n')
				k++;
			buf_add(&c, "\n\n", k - i >= 2 ? 2 : 1);
			i = k;
		} else {
			const char *nl = memchr(s + i, '\n', n - i);
			size_t e = nl ? (size_t)(nl - s) : n;
			buf_add(&c, s + i, e - i);
			i = e;
		}
	}
	/* trimEnd: keep everything up to the end of the trimmed part */
	size_t a, len = js_trim(buf_str(&c), c.len, &a);
	size_t before = out->len;
	utf8_sanitize(out, buf_str(&c), len ? a + len : 0);
	buf_free(&c);
	return out->len - before;
}

void md_render(const struct md_options *o, struct json_object *const *events, size_t n,
	       char last_role[16], struct buf *out)
{
	md_render_after(o, events, n, 0, last_role, out);
}

void md_render_after(const struct md_options *o, struct json_object *const *events, size_t n, size_t first,
		     char last_role[16], struct buf *out)
{
	struct render r = {o, BUF_INIT, 0};
	render_parts(&r, events, n, first, last_role);
	if (finish(&r.raw, true, out))
		buf_addc(out, '\n');
	buf_free(&r.raw);
}

void md_document(const struct md_options *o, const struct fm_fields *fm,
		 struct json_object *const *events, size_t n, struct buf *out)
{
	struct render r = {o, BUF_INIT, 0};
	char role[16] = "";
	if (fm) {
		struct buf f = BUF_INIT;
		fm_render(fm, &f);
		part(&r, buf_str(&f), f.len);
		part(&r, "", 0);
		buf_free(&f);
	}
	render_parts(&r, events, n, 0, role);
	finish(&r.raw, true, out);
	buf_addc(out, '\n');
	buf_free(&r.raw);
}

/* ---- frontmatter lists ---------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **md_participants(struct json_object *const *ev, size_t n, const char *user)
{
	char **v = xcalloc(n + 2, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *kind = pj_str(ev[i], "kind");
		if (!kind || strcmp(kind, "message.assistant"))
			continue;
		const char *model = pj_str(ev[i], "model");
		const char *prov = pj_str(ev[i], "provider");
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s.%s", prov ? prov : "", model && *model ? model : "assistant");
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(v[j], b.p);
		if (dup)
			buf_free(&b);
		else
			v[k++] = buf_take(&b);
	}
	qsort(v, k, sizeof *v, cmp_str);
	{
		const char *name = user;
		if (name && *name) {
			struct buf b = BUF_INIT;
			buf_adds(&b, "user.");
			for (const char *p = name; *p; p++) {
				char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
				if (ch == ' ' || ch == '\t')
					ch = '-';
				if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
					buf_addc(&b, ch);
			}
			memmove(v + 1, v, k * sizeof *v);
			v[0] = buf_take(&b);
			k++;
		}
	}
	v[k] = NULL;
	return v;
}

char **md_event_kinds(struct json_object *const *ev, size_t n)
{
	char **v = xcalloc(n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *kind = pj_str(ev[i], "kind");
		bool dup = !kind;
		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(v[j], kind);
		if (!dup)
			v[k++] = xstrdup(kind);
	}
	qsort(v, k, sizeof *v, cmp_str);
	v[k] = NULL;
	return v;
}

