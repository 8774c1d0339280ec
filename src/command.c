/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "command.h"

#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "pathpolicy.h"
#include "text.h"

/* ---- JavaScript character classes over UTF-8 ---- */

/* Length of the JS whitespace code point (\s) at s[i], or 0. */
static size_t space_len(const char *s, size_t n, size_t i)
{
	uint32_t cp;
	size_t len = utf8_decode(s + i, n - i, &cp);
	return len && js_is_space(cp) ? len : 0;
}

/* Index of the first non-whitespace byte at or after i. */
static size_t skip_space(const char *s, size_t n, size_t i)
{
	size_t len;
	while (i < n && (len = space_len(s, n, i)))
		i += len;
	return i;
}

/* Is s[i] the start of a JS line terminator left after normalisation
 * (U+2028 or U+2029, which '.' does not match)? */
static bool is_line_sep(const char *s, size_t n, size_t i)
{
	return i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
	       ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9);
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A JS-trimmed copy of s[0..n) (malloc'd). */
static char *trim_dup(const char *s, size_t n)
{
	size_t start;
	size_t len = js_trim(s, n, &start);
	return xstrndup(s + start, len);
}

/* ---- lines ---- */

/* The message with \r\n and lone \r turned into \n (malloc'd, *nlen set). */
static char *normalize_newlines(const char *text, size_t len, size_t *nlen)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else {
			out[o++] = text[i];
		}
	}
	out[o] = '\0';
	*nlen = o;
	return out;
}

/* ---- fences ---- */

struct fence {
	char marker; /* 0 when no fence is open */
	size_t len;
};

/* Does the line open a fence (^\s*([`~]{3,}))? Fills *f if so. The run may
 * mix ` and ~: its first character is the marker, its length the minimum
 * length of the closing run (as the reference computes them). */
static bool fence_open(const char *s, size_t n, struct fence *f)
{
	size_t i = skip_space(s, n, 0), k = i;
	while (k < n && (s[k] == '`' || s[k] == '~'))
		k++;
	if (k - i < 3)
		return false;
	f->marker = s[i];
	f->len = k - i;
	return true;
}

/* Does the line close fence f: after leading whitespace, at least f->len of
 * the same marker and then only whitespace? */
static bool fence_close(const char *s, size_t n, const struct fence *f)
{
	size_t i = skip_space(s, n, 0), k = i;
	while (k < n && s[k] == f->marker)
		k++;
	return k - i >= f->len && skip_space(s, n, k) == n;
}

/* ---- the command line pattern ---- */

struct match {
	char *name; /* lowercased */
	char *arg;  /* JS-trimmed, non-empty; NULL when none */
	bool arg_has_nul;
};

/* Match one line against ^\s*::([a-z][a-z0-9-]*)(?:\s+(.+))?\s*$ (flag i,
 * no u, no m) the way a JS engine does. The name run is always maximal
 * (a shorter one is followed by a name character, which neither \s nor $
 * accepts). After it, the rest R must be empty, or start with whitespace;
 * then (.+) starts at the first non-space S of R and can run only up to the
 * first U+2028/U+2029 T, and everything from T on must be whitespace for
 * \s*$ to match. Whitespace-only R is "no argument" (the group either fails
 * or captures only spaces, which trim to nothing). Returns false for no
 * match; fills *m (caller frees name and arg) on a match. */
static bool match_command(const char *s, size_t n, struct match *m)
{
	size_t i = skip_space(s, n, 0);
	if (n - i < 3 || s[i] != ':' || s[i + 1] != ':' || !is_alpha(s[i + 2]))
		return false;
	size_t a = i + 2, z = a + 1;
	while (z < n && (is_alpha(s[z]) || (s[z] >= '0' && s[z] <= '9') || s[z] == '-'))
		z++;
	size_t argstart = 0, argend = 0;
	bool has_arg = false;
	if (z < n) {
		if (!space_len(s, n, z))
			return false;
		size_t j = skip_space(s, n, z);
		if (j < n) {
			size_t k = j;
			while (k < n && !is_line_sep(s, n, k))
				k++;
			if (skip_space(s, n, k) != n)
				return false;
			argstart = j;
			argend = k;
			has_arg = true;
		}
	}
	m->name = xstrndup(s + a, z - a);
	for (char *p = m->name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	m->arg = NULL;
	m->arg_has_nul = false;
	if (has_arg) {
		size_t start;
		size_t len = js_trim(s + argstart, argend - argstart, &start);
		if (len) {
			m->arg_has_nul = memchr(s + argstart + start, '\0', len) != NULL;
			m->arg = xstrndup(s + argstart + start, len);
		}
	}
	return true;
}

static void add_cmd(struct cmd_result *r, char *name, char *arg, int line, const char *raw, size_t rawlen)
{
	r->cmds = xrealloc(r->cmds, (r->n + 1) * sizeof *r->cmds);
	r->cmds[r->n++] = (struct cmd){name, arg, line, xstrndup(raw, rawlen)};
}

/* printf into a malloc'd string. */
__attribute__((format(printf, 1, 2))) static char *strf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

/* Record an error line; takes ownership of reason. */
static void add_err(struct cmd_result *r, int line, const char *raw, size_t rawlen, char *reason)
{
	r->errs = xrealloc(r->errs, (r->nerrs + 1) * sizeof *r->errs);
	r->errs[r->nerrs++] = (struct cmd_error){line, xstrndup(raw, rawlen), reason};
}

/* Validate a matched line (the table of ref §3.1) and record it. Takes
 * ownership of m's strings. */
static void validate(struct cmd_result *r, struct match *m, int line, const char *raw, size_t rawlen)
{
	const char *nm = m->name;
	bool takes_arg = !strcmp(nm, "init") || !strcmp(nm, "capture") || !strcmp(nm, "export");
	if (!takes_arg && strcmp(nm, "record") && strcmp(nm, "stop")) {
		add_err(r, line, raw, rawlen, strf("Unknown control command '::%s'", nm));
	} else if (!takes_arg && m->arg) {
		add_err(r, line, raw, rawlen, strf("Command '::%s' does not accept arguments", nm));
	} else if (!strcmp(nm, "export") && !m->arg) {
		add_err(r, line, raw, rawlen, strf("Command '::%s' requires a path argument", nm));
	} else if (m->arg_has_nul) {
		add_err(r, line, raw, rawlen, strf("Command '::%s' argument contains a NUL byte", nm));
	} else {
		add_cmd(r, m->name, m->arg, line, raw, rawlen);
		return;
	}
	free(m->name);
	free(m->arg);
}

int cmd_detect(const char *text, size_t len, struct cmd_result *out)
{
	memset(out, 0, sizeof *out);
	size_t n;
	char *s = normalize_newlines(text ? text : "", text ? len : 0, &n);
	struct fence f = {0, 0};
	size_t pos = 0;
	int line = 0;
	for (;;) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		const char *l = s + pos;
		size_t ll = end - pos;
		if (line < INT_MAX)
			line++;
		if (f.marker) {
			if (fence_close(l, ll, &f))
				f.marker = 0;
		} else if (!fence_open(l, ll, &f)) {
			struct match m;
			if (match_command(l, ll, &m)) {
				if (out->n + out->nerrs >= CMD_MAX_PER_MESSAGE) {
					free(m.name);
					free(m.arg);
					add_err(out, line, l, ll,
						strf("Too many control commands in one message (more than %d)",
						     CMD_MAX_PER_MESSAGE));
					break;
				}
				validate(out, &m, line, l, ll);
			}
		}
		if (!nl)
			break;
		pos = end + 1;
	}
	free(s);
	return 0;
}

void cmd_result_free(struct cmd_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->cmds[i].name);
		free(r->cmds[i].arg);
		free(r->cmds[i].raw);
	}
	for (size_t i = 0; i < r->nerrs; i++) {
		free(r->errs[i].raw);
		free(r->errs[i].reason);
	}
	free(r->cmds);
	free(r->errs);
	memset(r, 0, sizeof *r);
}

char *cmd_lines(const char *text, size_t len, int from, int to)
{
	size_t n;
	char *s = normalize_newlines(text ? text : "", text ? len : 0, &n);
	if (from < 1)
		from = 1;
	struct buf b = BUF_INIT;
	size_t pos = 0;
	int line = 1;
	bool first = true;
	while (line < to) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (line >= from) {
			if (!first)
				buf_addc(&b, '\n');
			buf_add(&b, s + pos, end - pos);
			first = false;
		}
		if (!nl)
			break;
		pos = end + 1;
		line++;
	}
	free(s);
	return b.p ? buf_take(&b) : xstrdup("");
}

/* ---- path arguments ---- */

/* Does s[0..n) contain a character JS '.' does not match (\n, \r, U+2028,
 * U+2029)? */
static bool has_line_terminator(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r' || is_line_sep(s, n, i))
			return true;
	return false;
}

/* Ref §3.2 normalisation: trim; a whole [label](target) link becomes its
 * trimmed target (^\[[^\]]+\]\((.+)\)$); then one matching pair of ", ' or `
 * around the value is removed and the rest trimmed. Malloc'd. */
static char *unwrap_argument(const char *raw)
{
	char *v = trim_dup(raw, strlen(raw));
	size_t n = strlen(v);
	if (n >= 5 && v[0] == '[' && v[n - 1] == ')') {
		const char *close = strchr(v, ']');
		size_t b = close ? (size_t)(close - v) : 0;
		if (b >= 2 && b + 3 < n && v[b + 1] == '(' &&
		    !has_line_terminator(v + b + 2, n - 1 - (b + 2))) {
			char *t = trim_dup(v + b + 2, n - 1 - (b + 2));
			free(v);
			v = t;
			n = strlen(v);
		}
	}
	if (n >= 2 && (v[0] == '"' || v[0] == '\'' || v[0] == '`') && v[n - 1] == v[0]) {
		char *t = trim_dup(v + 1, n - 2);
		free(v);
		v = t;
	}
	return v;
}

/* Does the (unnormalised) path ask for a directory: ending in "/", "/." or
 * "/.." (or being "." or "..")? */
static bool names_directory(const char *p)
{
	size_t n = strlen(p);
	if (n && p[n - 1] == '/')
		return true;
	const char *last = strrchr(p, '/');
	last = last ? last + 1 : p;
	return !strcmp(last, ".") || !strcmp(last, "..");
}

/* dir/<generated name>, with dir lexically normalised. Malloc'd. */
static char *generated_in(const char *dir, const struct cmd_path_ctx *ctx)
{
	char *d = pathpolicy_lexical(dir);
	char *name = cmd_default_name(ctx->provider, ctx->kato_session_id, ctx->now_ms);
	struct buf b = BUF_INIT;
	buf_adds(&b, d);
	if (strcmp(d, "/"))
		buf_addc(&b, '/');
	buf_adds(&b, name);
	free(d);
	free(name);
	return buf_take(&b);
}

int cmd_resolve_path(const char *raw, const struct cmd_path_ctx *ctx, char **out, char **why)
{
	*out = NULL;
	*why = NULL;
	size_t start;
	if (!raw || !js_trim(raw, strlen(raw), &start)) {
		if (!ctx->default_dir || ctx->default_dir[0] != '/') {
			*why = xstrdup("no default recordings directory is known");
			return -1;
		}
		*out = generated_in(ctx->default_dir, ctx);
		return 0;
	}
	char *v = unwrap_argument(raw);
	const char *p = v;
	char *stripped = NULL;
	if (p[0] == '@') {
		stripped = trim_dup(p + 1, strlen(p + 1));
		p = stripped;
	}
	if (!*p) {
		free(v);
		free(stripped);
		*why = xstrdup("Path argument is missing");
		return -1;
	}
	struct buf abs = BUF_INIT;
	bool dir = names_directory(p);
	if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
		if (!ctx->home || ctx->home[0] != '/') {
			*why = xstrdup("cannot expand \"~\": the home directory is not known; use an absolute path");
			goto fail;
		}
		buf_printf(&abs, "%s/%s", ctx->home, p + 1);
		dir = dir || p[1] == '\0';
	} else if (p[0] == '/') {
		buf_adds(&abs, p);
	} else if (ctx->cwd && ctx->cwd[0] == '/') {
		buf_printf(&abs, "%s/%s", ctx->cwd, p);
	} else {
		*why = xstrdup("relative path needs the session's working directory, which the provider did not "
			       "record; use an absolute path");
		goto fail;
	}
	char *norm = pathpolicy_lexical(abs.p);
	struct stat st;
	if (!dir && stat(norm, &st) == 0 && S_ISDIR(st.st_mode))
		dir = true;
	if (dir) {
		*out = generated_in(norm, ctx);
		free(norm);
	} else {
		*out = norm;
	}
	buf_free(&abs);
	free(v);
	free(stripped);
	return 0;
fail:
	buf_free(&abs);
	free(v);
	free(stripped);
	return -1;
}

/* Append the lowercased form of provider code point cp to b as JS
 * toLowerCase would, with every character outside [a-z0-9._-] as '-'. */
static void add_name_char(struct buf *b, uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	if (cp == 0x212a) { /* KELVIN SIGN lowercases to ASCII k */
		buf_addc(b, 'k');
	} else if (cp == 0x130) { /* I WITH DOT ABOVE lowercases to i + U+0307 */
		buf_adds(b, "i-");
	} else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '.' || cp == '_' || cp == '-') {
		buf_addc(b, (char)cp);
	} else {
		buf_addc(b, '-');
	}
}

char *cmd_default_name(const char *provider, const char *kato_session_id, int64_t now_ms)
{
	struct buf raw = BUF_INIT, b = BUF_INIT;
	const char *s = provider ? provider : "";
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode(s + i, n - i, &cp);
		add_name_char(&raw, l ? cp : 0xfffd);
		i += l ? l : 1;
	}
	/* collapse '-' runs, drop edge '-' */
	for (size_t i = 0; i < raw.len; i++) {
		if (raw.p[i] == '-' && (b.len == 0 || b.p[b.len - 1] == '-'))
			continue;
		buf_addc(&b, raw.p[i]);
	}
	while (b.len && b.p[b.len - 1] == '-')
		b.p[--b.len] = '\0';
	if (!b.len)
		buf_adds(&b, "recording");
	buf_addc(&b, '-');

	/* first 8 UTF-16 units of the session id */
	const char *id = kato_session_id ? kato_session_id : "";
	size_t idn = strlen(id), units = 0;
	for (size_t i = 0; i < idn;) {
		uint32_t cp;
		size_t l = utf8_decode(id + i, idn - i, &cp);
		size_t u = l && cp > 0xffff ? 2 : 1;
		if (!l)
			l = 1;
		if (units + u > 8)
			break;
		if (l == 1 && id[i] == '/')
			buf_addc(&b, '-');
		else
			buf_add(&b, id + i, l);
		units += u;
		i += l;
	}

	int64_t secs = now_ms / 1000 - (now_ms % 1000 < 0 ? 1 : 0);
	time_t t = (time_t)secs;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		buf_printf(&b, "-%04d%02d%02dT%02d%02d%02dZ.md", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			   tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		buf_adds(&b, "-00000000T000000Z.md");
	buf_free(&raw);
	return buf_take(&b);
}
