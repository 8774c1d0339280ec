/* SPDX-License-Identifier: Apache-2.0 */
/* kato sessions: list the stored sessions, filtered, as a table that
 * fits the terminal or one JSON object per line. */
#include "autoconfig.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "export.h"
#include "json.h"
#include "kato_cmds.h"
#include "store.h"

const char kato_sessions_help[] =
	"Usage: kato sessions [--provider P] [--since DATE] [--cwd DIR] [-n N] [--json]\n"
	"\n"
	"List the sessions in the store, least recently active first: kato id\n"
	"prefix, provider, time of the last event (local time), number of events\n"
	"and title. On a terminal the table fits its width (the widest column,\n"
	"usually the title, is cut with \"\xe2\x80\xa6\"); otherwise nothing is cut and the\n"
	"columns are aligned with spaces.\n"
	"\n"
	"  -p, --provider P   only sessions of provider P\n"
	"  -s, --since DATE   only sessions active since DATE: YYYY-MM-DD, an ISO\n"
	"                     time, or a span back from now (30m, 24h, 7d, 2w)\n"
	"  -C, --cwd DIR      only sessions whose working directory is DIR or below it\n"
	"  -n N               only the N most recently active\n"
	"      --json         one JSON object per session, one per line (see kato(1))\n"
	"  -h, --help         show this help\n";

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, "kato sessions: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	return 2;
}

struct filter {
	const char *provider, *since;
	char *cwd; /* without a trailing slash */
	bool json;
	struct buf *lines; /* one output line per row, in order */
	size_t n;
};

static bool under(const char *cwd, const char *dir)
{
	if (!cwd)
		return false;
	size_t n = strlen(dir);
	if (n == 0) /* "/" */
		return cwd[0] == '/';
	return !strncmp(cwd, dir, n) && (cwd[n] == '\0' || cwd[n] == '/');
}

static void json_field(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, ",\"%s\":", key);
	if (v)
		json_add_str(b, v);
	else
		buf_adds(b, "null");
}

static int on_session(void *ud, const struct store_session_row *r)
{
	struct filter *f = ud;
	if (f->provider && strcmp(r->provider, f->provider))
		return 0;
	if (f->since && (!r->last_ts || strcmp(r->last_ts, f->since) < 0))
		return 0;
	if (f->cwd && !under(r->cwd, f->cwd))
		return 0;
	struct buf raw = BUF_INIT, title = BUF_INIT, b = BUF_INIT;
	export_title(r, NULL, &raw);
	cli_clean_line(buf_str(&raw), false, &title);
	if (f->json) {
		buf_adds(&b, "{\"id\":");
		json_add_str(&b, r->kato_id);
		json_field(&b, "provider", r->provider);
		json_field(&b, "providerSessionId", r->psid);
		json_field(&b, "parentSessionId", r->parent_psid);
		json_field(&b, "title", r->title);
		json_field(&b, "displayTitle", title.len ? title.p : NULL);
		json_field(&b, "snippet", r->snippet);
		json_field(&b, "cwd", r->cwd);
		json_field(&b, "model", r->model);
		json_field(&b, "firstEventAt", r->first_ts);
		json_field(&b, "lastEventAt", r->last_ts);
		buf_printf(&b, ",\"events\":%lld}\n", (long long)r->events);
	} else {
		/* cells separated by NUL, made into a table row later */
		buf_printf(&b, "%.8s", r->kato_id);
		buf_addc(&b, '\0');
		buf_adds(&b, r->provider);
		buf_addc(&b, '\0');
		cli_local_time(r->last_ts, &b);
		buf_addc(&b, '\0');
		buf_printf(&b, "%lld", (long long)r->events);
		buf_addc(&b, '\0');
		buf_adds(&b, title.len ? title.p : "-");
	}
	f->lines = xrealloc(f->lines, (f->n + 1) * sizeof *f->lines);
	f->lines[f->n++] = b;
	buf_free(&raw);
	buf_free(&title);
	return 0;
}

int kato_sessions(int argc, char **argv)
{
	static const struct option opts[] = {
		{"provider", required_argument, NULL, 'p'},
		{"since", required_argument, NULL, 's'},
		{"cwd", required_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct filter f = {0};
	char since[32];
	long limit = -1;
	const char *cwd = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "p:s:C:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': f.provider = optarg; break;
		case 's':
			if (cli_parse_since(optarg, time(NULL), since) < 0)
				return usage("--since: not a date (YYYY-MM-DD, an ISO time, or 30m/24h/7d/2w)", optarg);
			f.since = since;
			break;
		case 'C': cwd = optarg; break;
		case 'n':
			if (cli_parse_count(optarg, 1, 10000000, &limit) < 0)
				return usage("-n needs a number from 1 to 10000000, got", optarg);
			break;
		case 'j': f.json = true; break;
		case 'h': fputs(kato_sessions_help, stdout); return 0;
		default: return usage("invalid option; see kato sessions --help", NULL);
		}
	}
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (cwd) {
		/* the directory as the provider recorded it: its real path
		 * when it exists, else as typed */
		char *real = realpath(cwd, NULL);
		f.cwd = real ? real : xstrdup(cwd);
		size_t n = strlen(f.cwd);
		while (n > 0 && f.cwd[n - 1] == '/')
			f.cwd[--n] = '\0';
	}
	struct store *s;
	if (cli_open_store(true, &s) < 0) {
		free(f.cwd);
		return 1;
	}
	int rc = store_each_session(s, on_session, &f);
	if (rc < 0)
		fprintf(stderr, "kato sessions: cannot read the store: %s\n", store_errmsg(s));
	size_t first = limit > 0 && (size_t)limit < f.n ? f.n - (size_t)limit : 0;
	if (rc == 0 && f.json) {
		for (size_t i = first; i < f.n; i++)
			fputs(buf_str(&f.lines[i]), stdout);
	} else if (rc == 0) {
		static const char *const header[] = {"ID", "PROVIDER", "LAST ACTIVE", "EVENTS", "TITLE"};
		struct cli_table t;
		cli_table_init(&t, 5, header);
		cli_table_right(&t, 3);
		for (size_t i = first; i < f.n; i++) {
			const char *row[5];
			const char *p = buf_str(&f.lines[i]);
			for (int k = 0; k < 5; k++) {
				row[k] = p;
				p += strlen(p) + 1;
			}
			cli_table_add(&t, row);
		}
		struct buf out = BUF_INIT;
		cli_table_render(&t, (size_t)cli_term_width(STDOUT_FILENO), &out);
		fputs(buf_str(&out), stdout);
		buf_free(&out);
		cli_table_free(&t);
	}
	for (size_t i = 0; i < f.n; i++)
		buf_free(&f.lines[i]);
	free(f.lines);
	free(f.cwd);
	store_close(s);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "kato sessions: write error\n");
		rc = -1;
	}
	return rc < 0 ? 1 : 0;
}
