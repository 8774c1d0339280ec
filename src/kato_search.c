/* SPDX-License-Identifier: Apache-2.0 */
/* kato search: find what was said, in every stored conversation. */
#include "autoconfig.h"

#include <getopt.h>
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
#include "search.h"
#include "store.h"
#include "text.h"

const char kato_search_help[] =
	"Usage: kato search QUERY... [--provider P] [--since DATE] [--session ID] [-n N]\n"
	"                            [--rank] [--json]\n"
	"\n"
	"Find messages in every stored conversation: what the user typed and what\n"
	"the assistant answered (not thinking, tool output or injected context).\n"
	"QUERY is SQLite FTS5 syntax: words (all must match), \"a phrase\", OR, NOT,\n"
	"prefix*, NEAR(a b). Several arguments are joined by spaces. Put words\n"
	"with punctuation in double quotes. The newest matches come first.\n"
	"Each hit shows the session id prefix, the time, who spoke, the session's\n"
	"title and a snippet with the matches in bold (on a terminal).\n"
	"\n"
	"  -p, --provider P   only sessions of provider P\n"
	"  -s, --since DATE   only messages from DATE on: YYYY-MM-DD, an ISO time,\n"
	"                     or a span back from now (30m, 24h, 7d, 2w)\n"
	"  -S, --session ID   only this session (id, provider id or a unique prefix)\n"
	"  -n N               at most N hits (default 20)\n"
	"  -r, --rank         the best matches first (bm25); slower when a word is in\n"
	"                     many messages\n"
	"      --json         one JSON object per hit, one per line (see kato(1))\n"
	"  -h, --help         show this help\n";

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, "kato search: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	return 2;
}

struct out {
	struct store *store;
	bool json;
	int width; /* 0: not a terminal */
	long hits;
	struct buf b;
};

static int title_cb(void *ud, const struct store_session_row *r)
{
	export_title(r, NULL, ud);
	return 0;
}

/* The snippet as one clean line: markers kept in marked, dropped in
 * plain with their code point offsets in *hl (JSON pairs). */
static void snippet_parts(const char *snippet, struct buf *marked, struct buf *plain, struct buf *hl)
{
	cli_clean_line(snippet, true, marked);
	size_t cps = 0, start = 0;
	bool first = true;
	buf_addc(hl, '[');
	for (const char *p = buf_str(marked); *p; p++) {
		if (*p == SEARCH_MARK_ON) {
			start = cps;
		} else if (*p == SEARCH_MARK_OFF) {
			buf_printf(hl, "%s[%zu,%zu]", first ? "" : ",", start, cps);
			first = false;
		} else {
			buf_addc(plain, *p);
			if (((unsigned char)*p & 0xc0) != 0x80)
				cps++;
		}
	}
	buf_addc(hl, ']');
}

/* marked cut to width columns (0: not cut), the markers made bold on a
 * terminal and dropped otherwise. */
static void render_marked(const char *marked, size_t width, bool tty, struct buf *out)
{
	struct buf plain = BUF_INIT;
	for (const char *p = marked; *p; p++)
		if (*p != SEARCH_MARK_ON && *p != SEARCH_MARK_OFF)
			buf_addc(&plain, *p);
	bool cut = width && cli_width(buf_str(&plain)) > width;
	buf_free(&plain);
	size_t w = 0, n = strlen(marked);
	bool bold = false;
	for (size_t i = 0; i < n;) {
		if (marked[i] == SEARCH_MARK_ON || marked[i] == SEARCH_MARK_OFF) {
			bold = marked[i] == SEARCH_MARK_ON;
			if (tty)
				buf_adds(out, bold ? "\033[1m" : "\033[22m");
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_decode(marked + i, n - i, &cp);
		int cw = k ? cli_cp_width(cp) : 1;
		if (!k)
			k = 1;
		if (cut && w + (size_t)cw > width - 1)
			break;
		buf_add(out, marked + i, k);
		w += (size_t)cw;
		i += k;
	}
	if (cut) {
		if (bold && tty)
			buf_adds(out, "\033[22m");
		buf_adds(out, "\u2026");
	}
}

static int on_hit(void *ud, const struct search_hit *h)
{
	struct out *o = ud;
	struct buf title = BUF_INIT, raw = BUF_INIT, marked = BUF_INIT, plain = BUF_INIT, hl = BUF_INIT;
	store_get_session(o->store, h->session, title_cb, &raw);
	cli_clean_line(buf_str(&raw), false, &title);
	snippet_parts(h->snippet, &marked, &plain, &hl);
	const char *speaker = !strcmp(h->kind, "message.user") ? "user" : "assistant";
	struct buf *b = &o->b;
	buf_reset(b);
	if (o->json) {
		buf_adds(b, "{\"session\":");
		json_add_str(b, h->kato_id);
		buf_adds(b, ",\"provider\":");
		json_add_str(b, h->provider);
		buf_adds(b, ",\"providerSessionId\":");
		json_add_str(b, h->psid);
		buf_printf(b, ",\"seq\":%lld,\"time\":", (long long)h->seq);
		if (h->ts)
			json_add_str(b, h->ts);
		else
			buf_adds(b, "null");
		buf_printf(b, ",\"speaker\":\"%s\",\"title\":", speaker);
		if (title.len)
			json_add_str(b, title.p);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"snippet\":");
		json_add_str(b, buf_str(&plain));
		buf_printf(b, ",\"highlights\":%s}\n", hl.p);
	} else {
		struct buf head = BUF_INIT, when = BUF_INIT;
		cli_local_time(h->ts, &when);
		buf_printf(&head, "%.8s  %s  %-9s  %s", h->kato_id, buf_str(&when), speaker,
			   title.len ? title.p : "(untitled)");
		cli_fit(head.p, o->width ? (size_t)o->width : (size_t)-1 / 2, b);
		buf_adds(b, "\n    ");
		render_marked(buf_str(&marked), o->width > 4 ? (size_t)o->width - 4 : o->width ? 1 : 0, o->width > 0,
			      b);
		buf_addc(b, '\n');
		buf_free(&head);
		buf_free(&when);
	}
	fputs(buf_str(b), stdout);
	o->hits++;
	buf_free(&title);
	buf_free(&raw);
	buf_free(&marked);
	buf_free(&plain);
	buf_free(&hl);
	return 0;
}

int kato_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{"provider", required_argument, NULL, 'p'},
		{"since", required_argument, NULL, 's'},
		{"session", required_argument, NULL, 'S'},
		{"rank", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct search_query q = {.limit = 20};
	const char *session = NULL;
	char since[32];
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "p:s:S:n:rh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': q.provider = optarg; break;
		case 's':
			if (cli_parse_since(optarg, time(NULL), since) < 0)
				return usage("--since: not a date (YYYY-MM-DD, an ISO time, or 30m/24h/7d/2w)", optarg);
			q.since = since;
			break;
		case 'r': q.rank = true; break;
		case 'S': session = optarg; break;
		case 'n': {
			long n;
			if (cli_parse_count(optarg, 1, 100000, &n) < 0)
				return usage("-n needs a number from 1 to 100000, got", optarg);
			q.limit = (int)n;
			break;
		}
		case 'j': json = true; break;
		case 'h': fputs(kato_search_help, stdout); return 0;
		default: return usage("invalid option; see kato search --help", NULL);
		}
	}
	struct buf query = BUF_INIT;
	for (int i = optind; i < argc; i++)
		buf_printf(&query, "%s%s", i > optind ? " " : "", argv[i]);
	size_t start;
	if (!js_trim(buf_str(&query), query.len, &start)) {
		buf_free(&query);
		return usage("search needs a QUERY; see kato search --help", NULL);
	}
	q.match = query.p;
	struct store *s;
	char *err = NULL;
	if (cli_open_store(true, &s) < 0) {
		buf_free(&query);
		return 1;
	}
	int status = 0;
	if (session) {
		int found = store_find_session(s, session, &q.session, &err);
		if (found != 1) {
			if (found == 0)
				fprintf(stderr, "kato search: no session matches '%s' (list them with kato sessions)\n",
					session);
			else if (found == 2)
				fprintf(stderr, "kato search: '%s' matches several sessions; give more of the id:\n%s",
					session, err);
			else
				fprintf(stderr, "kato search: cannot read the store: %s\n", store_errmsg(s));
			free(err);
			store_close(s);
			buf_free(&query);
			return 1;
		}
	}
	struct out o = {.store = s, .json = json, .width = json ? 0 : cli_term_width(STDOUT_FILENO), .b = BUF_INIT};
	int rc = search_run(s, &q, on_hit, &o, &err);
	if (rc == -2) {
		struct buf shown = BUF_INIT;
		cli_clean_line(q.match, false, &shown);
		fprintf(stderr, "kato search: bad query \"%s\": %s (put words with punctuation in double quotes; "
				"see kato search --help)\n",
			buf_str(&shown), err);
		buf_free(&shown);
		status = 2;
	} else if (rc < 0) {
		fprintf(stderr, "kato search: %s\n", err);
		status = 1;
	} else if (o.hits == 0 && o.width) {
		fprintf(stderr, "kato search: no matches\n");
	}
	if (fflush(stdout) != 0 && !status) {
		fprintf(stderr, "kato search: write error\n");
		status = 1;
	}
	free(err);
	buf_free(&o.b);
	buf_free(&query);
	store_close(s);
	return status;
}
