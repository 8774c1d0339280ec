/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "paths.h"
#include "store.h"
#include "text.h"

int cli_open_store(bool readonly, struct store **s)
{
	char *db = paths_db_file(), *err = NULL;
	int rc = store_open(db, readonly, s, &err);
	if (rc < 0) {
		fprintf(stderr, "kato: %s\n", err);
		free(err);
	}
	free(db);
	return rc;
}

/* n digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static void format_utc(time_t t, int ms, char out[32])
{
	struct tm tm;
	char b[24];
	if (!gmtime_r(&t, &tm) || !strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm))
		b[0] = '\0';
	snprintf(out, 32, "%.20s.%03dZ", b, ms % 1000);
}

/* Parse an ISO date or time (see cli_parse_since); *local when it has no
 * zone. The broken-down time goes to *tm, the zone offset in seconds to
 * *off, milliseconds to *ms. */
static bool parse_iso(const char *p, struct tm *tm, long *off, int *ms, bool *local)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	memset(tm, 0, sizeof *tm);
	*off = 0;
	*ms = 0;
	*local = true;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return false;
			if (*p == '.' || *p == ',') {
				p++;
				int n = 0, scale = 100;
				while (isdigit((unsigned char)*p)) {
					if (n++ < 3) {
						*ms += (*p - '0') * scale;
						scale /= 10;
					}
					p++;
				}
				if (!n)
					return false;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			*local = false;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (!digits(&p, 2, &oh))
				return false;
			if (*p == ':')
				p++;
			if (*p && !digits(&p, 2, &om))
				return false;
			if (oh > 23 || om > 59)
				return false;
			*off = sign * (oh * 3600L + om * 60L);
			*local = false;
		}
	}
	if (*p)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	tm->tm_isdst = -1;
	return true;
}

int cli_parse_count(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_since(const char *s, time_t now, char out[32])
{
	if (!s || !*s)
		return -1;
	/* a span back from now: 7d, 24h */
	if (isdigit((unsigned char)s[0])) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (end != s && end[0] && !end[1] && strchr("smhdw", end[0])) {
			unsigned long long unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
						  : end[0] == 'd' ? 86400 : 604800;
			if (errno || n > (unsigned long long)now / unit)
				return -1; /* before 1970 */
			format_utc(now - (time_t)(n * unit), 0, out);
			return 0;
		}
	}
	struct tm tm;
	long off;
	int ms;
	bool local;
	if (!parse_iso(s, &tm, &off, &ms, &local))
		return -1;
	time_t t;
	if (local) {
		t = mktime(&tm);
	} else {
		t = timegm(&tm);
		t -= off;
	}
	if (t == (time_t)-1)
		return -1;
	format_utc(t, ms, out);
	return 0;
}

void cli_local_time(const char *ts, struct buf *out)
{
	if (!ts || !*ts) {
		buf_addc(out, '-');
		return;
	}
	struct tm tm;
	long off;
	int ms;
	bool local;
	/* stored timestamps carry milliseconds and a Z */
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%s", ts);
	if (!parse_iso(tmp, &tm, &off, &ms, &local)) {
		buf_adds(out, ts);
		return;
	}
	time_t t = local ? mktime(&tm) : timegm(&tm) - off;
	struct tm lt;
	char b[32];
	if (t == (time_t)-1 || !localtime_r(&t, &lt) || !strftime(b, sizeof b, "%Y-%m-%d %H:%M", &lt)) {
		buf_adds(out, ts);
		return;
	}
	buf_adds(out, b);
}

int cli_term_width(int fd)
{
	if (!isatty(fd))
		return 0;
	const char *c = getenv("COLUMNS");
	if (c && *c) {
		char *end;
		long v = strtol(c, &end, 10);
		if (!*end && v > 0 && v < 100000)
			return (int)v;
	}
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int cli_cp_width(uint32_t cp)
{
	static const uint32_t zero[][2] = {
		{0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a}, {0x064b, 0x065f},
		{0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff},
		{0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x2064}, {0x20d0, 0x20ff}, {0xfe00, 0xfe0f},
		{0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0100, 0xe01ef},
	};
	static const uint32_t wide[][2] = {
		{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec}, {0x23f0, 0x23f3},
		{0x25fd, 0x25fe}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x26aa, 0x26ab}, {0x26bd, 0x26be},
		{0x26c4, 0x26c5}, {0x26ce, 0x26ce}, {0x26d4, 0x26d4}, {0x26ea, 0x26ea}, {0x26f2, 0x26f5},
		{0x26fa, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b}, {0x2728, 0x2728}, {0x274c, 0x274c},
		{0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27b0, 0x27b0}, {0x27bf, 0x27bf},
		{0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55}, {0x2e80, 0x303e}, {0x3041, 0x33ff},
		{0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf}, {0xa960, 0xa97f}, {0xac00, 0xd7a3},
		{0xf900, 0xfaff}, {0xfe10, 0xfe19}, {0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6},
		{0x16fe0, 0x16fe4}, {0x17000, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004},
		{0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251},
		{0x1f300, 0x1f320}, {0x1f32d, 0x1f335}, {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393},
		{0x1f3a0, 0x1f3ca}, {0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0}, {0x1f3f4, 0x1f3f4},
		{0x1f3f8, 0x1f43e}, {0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d},
		{0x1f54b, 0x1f54e}, {0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596},
		{0x1f5a4, 0x1f5a4}, {0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc},
		{0x1f6d0, 0x1f6d2}, {0x1f6d5, 0x1f6d7}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc},
		{0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f93a}, {0x1f93c, 0x1f945}, {0x1f947, 0x1f9ff},
		{0x1fa70, 0x1faff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
	};
	if (cp < 0x300)
		return 1;
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (cp >= zero[i][0] && cp <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

/* The next character of s: its byte length (>= 1) and width. */
static size_t next_char(const char *s, size_t n, int *w)
{
	uint32_t cp;
	size_t k = utf8_decode(s, n, &cp);
	if (!k) {
		*w = 1;
		return 1;
	}
	*w = cli_cp_width(cp);
	return k;
}

size_t cli_width(const char *s)
{
	size_t n = strlen(s), w = 0;
	for (size_t i = 0; i < n;) {
		int cw;
		i += next_char(s + i, n - i, &cw);
		w += (size_t)cw;
	}
	return w;
}

void cli_clean_line(const char *s, bool keep_marks, struct buf *out)
{
	size_t n = strlen(s);
	bool space = false, any = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);
		if (!k) {
			k = 1;
			cp = 0xfffd;
		}
		i += k;
		if (keep_marks && (cp == 1 || cp == 2)) {
			if (space && any)
				buf_addc(out, ' ');
			space = false;
			buf_addc(out, (char)cp);
			continue;
		}
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
		    cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
			space = true;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			cp = 0xfffd; /* never an escape sequence on the terminal */
		if (space && any)
			buf_addc(out, ' ');
		space = false;
		any = true;
		utf8_encode(out, cp);
	}
}

void cli_fit(const char *s, size_t width, struct buf *out)
{
	if (!width)
		return;
	if (cli_width(s) <= width) {
		buf_adds(out, s);
		return;
	}
	size_t n = strlen(s), w = 0;
	for (size_t i = 0; i < n;) {
		int cw;
		size_t k = next_char(s + i, n - i, &cw);
		if (w + (size_t)cw > width - 1)
			break;
		buf_add(out, s + i, k);
		w += (size_t)cw;
		i += k;
	}
	buf_adds(out, "\u2026");
}

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	t->right = xcalloc(ncols, sizeof *t->right);
	cli_table_add(t, header);
}

void cli_table_right(struct cli_table *t, size_t col)
{
	t->right[col] = true;
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *t->cells);
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xstrdup(row[c] ? row[c] : "");
	t->nrows++;
}

void cli_table_render(const struct cli_table *t, size_t width, struct buf *out)
{
	size_t nc = t->ncols;
	size_t *w = xcalloc(nc, sizeof *w);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < nc; c++) {
			size_t cw = cli_width(t->cells[r * nc + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	if (width) {
		size_t total = 2 * (nc - 1);
		for (size_t c = 0; c < nc; c++)
			total += w[c];
		/* narrow the widest column (the last of equals), down to the
		 * next widest or as far as needed, until it fits or every
		 * column is down to one character and "…" */
		while (total > width) {
			size_t wi = 0, next = 0;
			for (size_t c = 0; c < nc; c++)
				if (w[c] >= w[wi])
					wi = c;
			for (size_t c = 0; c < nc; c++)
				if (c != wi && w[c] > next)
					next = w[c];
			if (w[wi] <= 2)
				break;
			size_t excess = total - width;
			size_t room = w[wi] > next ? w[wi] - next : 1; /* down to the next widest first */
			if (room > excess)
				room = excess;
			if (w[wi] - room < 2)
				room = w[wi] - 2;
			w[wi] -= room;
			total -= room;
		}
	}
	struct buf cell = BUF_INIT;
	for (size_t r = 0; r < t->nrows; r++) {
		size_t line_start = out->len;
		for (size_t c = 0; c < nc; c++) {
			buf_reset(&cell);
			cli_fit(t->cells[r * nc + c], w[c], &cell);
			const char *v = buf_str(&cell);
			size_t pad = w[c] - cli_width(v);
			if (c)
				buf_adds(out, "  ");
			if (t->right[c])
				for (size_t i = 0; i < pad; i++)
					buf_addc(out, ' ');
			buf_adds(out, v);
			if (!t->right[c] && c + 1 < nc)
				for (size_t i = 0; i < pad; i++)
					buf_addc(out, ' ');
		}
		while (out->len > line_start && out->p[out->len - 1] == ' ')
			out->len--; /* no trailing spaces (an empty last cell) */
		buf_addc(out, '\n');
	}
	buf_free(&cell);
	free(w);
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	memset(t, 0, sizeof *t);
}
