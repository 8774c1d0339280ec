/* SPDX-License-Identifier: Apache-2.0 */
/* kato: the command-line interface. Reads the store directly (read-only)
 * for sessions and export; imports files as a one-shot writer. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "export.h"
#include "ingest.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "pjson.h"
#include "plugin.h"
#include "source.h"
#include "store.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"kato " KATO_VERSION " - own your AI conversations\n"
	"\n"
	"Usage: kato <command> [options]\n"
	"       kato --version\n"
	"\n"
	"Commands:\n"
	"  import [--provider P] [--allow-empty] FILE...\n"
	"                                  read session log files into the store\n"
	"  sessions [--json]               list the sessions in the store\n"
	"  export SESSION [--format markdown|jsonl] [-o FILE|-]\n"
	"                                  write one session (stdout by default)\n"
	"  status [--json] [-n N]          daemon, store, recordings and the last\n"
	"                                  in-chat command outcomes\n"
	"  providers [--json]              list provider plugins and load errors\n"
	"  help [COMMAND]                  show help for a command\n"
	"\n"
	"SESSION is a kato id, a provider session id, or a unique prefix of\n"
	"either, optionally as PROVIDER:ID. The store is $XDG_STATE_HOME/kato/kato.db\n"
	"(or $KATO_HOME/kato.db). The daemon is katod(8); see kato(1).\n";

static const char import_help[] =
	"Usage: kato import [--provider P] [--allow-empty] FILE...\n"
	"\n"
	"Read provider session logs into the store once and exit: for example logs\n"
	"restored from a backup. A file is recognised by its name when that follows\n"
	"a provider's own naming, and otherwise by its content, so a renamed copy\n"
	"imports the same; JSON lines and whole JSON documents are told apart by\n"
	"content too. Files already imported are read only from where the last\n"
	"import stopped; nothing is stored twice, also from a renamed copy: a\n"
	"session is named by its records, not by its file.\n"
	"Commands typed in these sessions are never executed.\n"
	"\n"
	"A file that yields no events is named on stderr and makes the exit\n"
	"status 1, as does a file no provider recognises.\n"
	"\n"
	"  -p, --provider P   parse every FILE with provider P (how it is fed,\n"
	"                     lines or one document, still follows the content)\n"
	"  -e, --allow-empty  a file with no events is not a failure\n"
	"  -q, --quiet        print nothing but errors\n"
	"  -h, --help         show this help\n";

static const char sessions_help[] =
	"Usage: kato sessions [--json]\n"
	"\n"
	"List every session in the store: kato id, provider, provider session id,\n"
	"title, first and last event time, event count, working directory.\n"
	"\n"
	"  --json       one JSON object per session, one per line\n"
	"  -h, --help   show this help\n";

static const char export_help[] =
	"Usage: kato export SESSION [--format markdown|jsonl] [-o FILE|-]\n"
	"\n"
	"Write one session from the store. SESSION is a kato id, a provider session\n"
	"id, or a unique prefix of either (PROVIDER:ID narrows to one provider).\n"
	"\n"
	"  -f, --format F   markdown (default) or jsonl (one ConversationEvent per line)\n"
	"  -o, --output F   write to file F instead of standard output ('-': stdout)\n"
	"  -h, --help       show this help\n";

static const char status_help[] =
	"Usage: kato status [--json] [-n N]\n"
	"\n"
	"Show whether katod is running, what the store holds, every recording\n"
	"(active or not, and how far it is written), and the outcome of the last N\n"
	"in-chat commands (default 20): applied, noop, denied, failed, invalid,\n"
	"error, not run (another line of the message was not a valid command) or\n"
	"skipped (typed before kato watched the session), with the reason.\n"
	"Reads the store; works whether or not katod runs.\n"
	"\n"
	"  --json       one JSON object\n"
	"  -n N         how many command outcomes to show\n"
	"  -h, --help   show this help\n";

static const char providers_help[] =
	"Usage: kato providers [--json]\n"
	"\n"
	"List the provider plugins kato would load, with version, ABI and roots,\n"
	"and every plugin that failed to load, with the reason.\n"
	"Search path: $KATO_PROVIDER_PATH, $XDG_DATA_HOME/kato/providers, " PROVIDERDIR ".\n"
	"\n"
	"  --json       machine-readable output\n"
	"  -h, --help   show this help\n";

static int usage_error(const char *help, const char *what, const char *arg)
{
	fprintf(stderr, "kato: %s%s%s\n\n%s", what, arg ? ": " : "", arg ? arg : "", help);
	return EXIT_USAGE;
}

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "kato: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	return EXIT_FAILURE;
}

static int load_config(struct kato_config *cfg)
{
	char *path = config_default_path();
	char *err = NULL;
	int rc = config_load(path, cfg, &err);
	free(path);
	if (rc < 0) {
		fprintf(stderr, "kato: invalid configuration: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- import */

/* Which plugin reads `path` for kato import, and how (*feed). The feed
 * mode follows the content whenever a probe recognises it. The plugin is
 * `forced` (--provider) if given; else the one that claims the name
 * plainly; else the surest content probe (a weak name claim breaks a
 * tie, then load order); else a weak name claim by a plugin that has no
 * probe. NULL when none, with what was tried in *tried. */
static const struct plugin *import_pick(const struct plugin_set *set, const struct plugin *forced,
					const char *path, enum kato_feed *feed, struct buf *tried)
{
	static char head[KATO_PROBE_BYTES];
	size_t len = 0;
	bool have_head = source_read_head(path, head, sizeof head, &len) == 0;
	enum kato_feed named_feed = KATO_FEED_NONE;
	const struct plugin *named = plugin_for_path(set, path, &named_feed);
	bool weak = named && (named->desc->match_path(path) & KATO_FEED_WEAK);
	const struct plugin *p = forced;
	if (!p && named && !weak)
		p = named;
	if (p) {
		if (have_head && plugin_probe(p, head, len, feed) != KATO_PROBE_NO)
			return p;
		*feed = KATO_FEED_MODE(p->desc->match_path(path));
		if (*feed == KATO_FEED_NONE) /* --provider on a name it does not know */
			*feed = have_head && pj_head_shape(head, len) == PJ_SHAPE_DOCUMENT && p->desc->parse_document
					? KATO_FEED_DOCUMENT
					: KATO_FEED_LINES;
		return p;
	}
	const struct plugin *best = NULL;
	enum kato_probe best_r = KATO_PROBE_NO;
	buf_adds(tried, "content probed by");
	for (size_t i = 0; have_head && i < set->n; i++) {
		const struct plugin *q = &set->v[i];
		if (!plugin_has_probe(q))
			continue;
		buf_printf(tried, " %s", q->desc->name);
		enum kato_feed f;
		enum kato_probe r = plugin_probe(q, head, len, &f);
		if (r > best_r || (r == best_r && r != KATO_PROBE_NO && q == named)) {
			best = q;
			best_r = r;
			*feed = f;
		}
	}
	if (!have_head)
		buf_printf(tried, " none (cannot read it: %s)", strerror(errno));
	if (best)
		return best;
	if (named && !plugin_has_probe(named)) {
		*feed = named_feed;
		return named;
	}
	if (named)
		buf_printf(tried, "; name claimed only weakly by %s", named->desc->name);
	else
		buf_adds(tried, "; no provider claims the name");
	return NULL;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"provider", required_argument, NULL, 'p'},
		{"allow-empty", no_argument, NULL, 'e'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *provider = NULL;
	bool quiet = false, allow_empty = false;
	int c;
	while ((c = getopt_long(argc, argv, "p:eqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': provider = optarg; break;
		case 'e': allow_empty = true; break;
		case 'q': quiet = true; break;
		case 'h': fputs(import_help, stdout); return 0;
		default: return usage_error(import_help, "invalid option for import", NULL);
		}
	}
	if (optind >= argc)
		return usage_error(import_help, "import needs at least one FILE", NULL);

	struct plugin_set plugins = {0};
	plugin_load_all(&plugins);
	const struct plugin *forced = NULL;
	if (provider && !(forced = plugin_find(&plugins, provider))) {
		plugin_set_free(&plugins);
		fprintf(stderr, "kato: no provider named '%s' (see kato providers)\n", provider);
		return EXIT_FAILURE;
	}
	char *dbpath = paths_db_file();
	struct store *store;
	char *err = NULL;
	if (store_open(dbpath, false, &store, &err) < 0) {
		int rc = fail(err, NULL);
		free(err);
		free(dbpath);
		plugin_set_free(&plugins);
		return rc;
	}
	struct ingest in = {.store = store, .history = true, .live_after_ms = INT64_MAX}; /* never runs commands */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	store_bulk(store, true);
	int status = 0;
	long long empty = 0, unknown = 0;
	for (int i = optind; i < argc; i++) {
		char *abs = realpath(argv[i], NULL);
		if (!abs) {
			fprintf(stderr, "kato: %s: %s\n", argv[i], strerror(errno));
			status = EXIT_FAILURE;
			continue;
		}
		enum kato_feed feed = KATO_FEED_NONE;
		struct buf tried = BUF_INIT;
		const struct plugin *p = import_pick(&plugins, forced, abs, &feed, &tried);
		int64_t events0 = in.stats.events_new + in.stats.events_dup, resumed0 = in.stats.resumed;
		int64_t errors0 = in.stats.errors;
		int rc = 0;
		if (!p) {
			fprintf(stderr, "kato: %s: not recognised as any provider's log (%s); name one with --provider\n",
				argv[i], tried.p);
			unknown++;
			status = EXIT_FAILURE;
		} else if ((rc = ingest_file_feed(&in, p, abs, feed, INGEST_TAIL | INGEST_FLUSH)) < 0) {
			fprintf(stderr, "kato: %s: import failed (store error)\n", argv[i]);
			status = EXIT_FAILURE;
		} else if (rc != INGEST_GONE && in.stats.events_new + in.stats.events_dup == events0 &&
			   in.stats.resumed == resumed0) {
			empty++;
			if (!allow_empty || !quiet)
				fprintf(stderr, "kato: %s: no events (read by %s as %s)%s\n", argv[i], p->desc->name,
					feed == KATO_FEED_DOCUMENT ? "one JSON document" : "JSON lines",
					allow_empty ? "" : "; --allow-empty accepts that");
			if (!allow_empty || in.stats.errors != errors0)
				status = EXIT_FAILURE;
		}
		buf_free(&tried);
		free(abs);
	}
	store_bulk(store, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!quiet) {
		const struct ingest_stats *st = &in.stats;
		printf("imported %lld file(s), %.1f MB in %.2f s: %lld new event(s), %lld already stored",
		       (long long)st->files, (double)st->bytes / 1e6, secs, (long long)st->events_new,
		       (long long)st->events_dup);
		if (st->bad || st->oversized || st->rejected)
			printf(", skipped %lld bad line(s), %lld oversized line(s), %lld bad event(s)",
			       (long long)st->bad, (long long)st->oversized, (long long)st->rejected);
		if (empty)
			printf("; %lld file(s) with no events", empty);
		if (unknown)
			printf("; %lld file(s) not recognised", unknown);
		printf("\n");
	}
	store_close(store);
	free(dbpath);
	plugin_set_free(&plugins);
	return status;
}

/* ---------------------------------------------------------------- sessions */

static int open_readonly(struct store **s)
{
	char *dbpath = paths_db_file();
	char *err = NULL;
	int rc = store_open(dbpath, true, s, &err);
	free(dbpath);
	if (rc < 0) {
		fail(err, NULL);
		free(err);
	}
	return rc;
}

/* A one-line title: export_title's, at most 60 characters. */
static void title_of(const struct store_session_row *r, struct buf *out)
{
	struct buf tb = BUF_INIT;
	export_title(r, NULL, &tb);
	const char *t = buf_str(&tb);
	size_t n = 0;
	for (const char *p = t; *p && n < 60; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch & 0xc0) != 0x80)
			n++;
		if (n > 60)
			break;
		buf_addc(out, ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : (char)ch);
	}
	buf_free(&tb);
}

static int print_session(void *ud, const struct store_session_row *r)
{
	bool json = *(bool *)ud;
	if (json) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\"id\":");
		json_add_str(&b, r->kato_id);
		buf_adds(&b, ",\"provider\":");
		json_add_str(&b, r->provider);
		buf_adds(&b, ",\"providerSessionId\":");
		json_add_str(&b, r->psid);
		const char *keys[] = {"parentSessionId", "title", "snippet", "cwd", "model", "firstEventAt", "lastEventAt"};
		const char *vals[] = {r->parent_psid, r->title, r->snippet, r->cwd, r->model, r->first_ts, r->last_ts};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (!vals[i])
				continue;
			buf_printf(&b, ",\"%s\":", keys[i]);
			json_add_str(&b, vals[i]);
		}
		buf_printf(&b, ",\"events\":%lld}\n", (long long)r->events);
		fputs(b.p, stdout);
		buf_free(&b);
		return 0;
	}
	struct buf t = BUF_INIT;
	title_of(r, &t);
	printf("%.8s  %-7s %-36.36s %-19.19s %6lld  %s\n", r->kato_id, r->provider, r->psid,
	       r->last_ts ? r->last_ts : "-", (long long)r->events, buf_str(&t));
	buf_free(&t);
	return 0;
}

static int cmd_sessions(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(sessions_help, stdout); return 0;
		default: return usage_error(sessions_help, "invalid option for sessions", NULL);
		}
	}
	if (optind < argc)
		return usage_error(sessions_help, "unexpected argument", argv[optind]);
	struct store *s;
	if (open_readonly(&s) < 0)
		return EXIT_FAILURE;
	if (!json)
		printf("%-8s  %-7s %-36s %-19s %6s  %s\n", "ID", "PROVIDER", "SESSION", "LAST EVENT (UTC)", "EVENTS", "TITLE");
	int rc = store_each_session(s, print_session, &json);
	store_close(s);
	return rc < 0 ? fail("cannot list sessions", NULL) : 0;
}

/* ---------------------------------------------------------------- export */

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	enum export_format fmt = EXPORT_MARKDOWN;
	const char *output = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				fmt = EXPORT_MARKDOWN;
			else if (!strcmp(optarg, "jsonl"))
				fmt = EXPORT_JSONL;
			else
				return usage_error(export_help, "--format must be 'markdown' or 'jsonl', got", optarg);
			break;
		case 'o': output = optarg; break;
		case 'h': fputs(export_help, stdout); return 0;
		default: return usage_error(export_help, "invalid option for export", NULL);
		}
	}
	if (argc - optind != 1)
		return usage_error(export_help, "export needs exactly one SESSION", NULL);
	const char *sel = argv[optind];
	struct kato_config cfg;
	if (load_config(&cfg) < 0)
		return EXIT_FAILURE;
	struct store *s;
	if (open_readonly(&s) < 0) {
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	int64_t sid;
	char *err = NULL;
	int found = store_find_session(s, sel, &sid, &err);
	int status = 0;
	if (found == 0) {
		fprintf(stderr, "kato: no session matches '%s' (list them with kato sessions)\n", sel);
		status = EXIT_FAILURE;
	} else if (found == 2) {
		fprintf(stderr, "kato: '%s' matches several sessions; give more of the id:\n%s", sel, err);
		status = EXIT_FAILURE;
	} else if (found < 0) {
		status = fail("cannot read the store", store_errmsg(s));
	}
	free(err);
	err = NULL;
	if (status == 0) {
		FILE *out = stdout;
		char *tmp = NULL;
		if (output && strcmp(output, "-")) {
			struct buf t = BUF_INIT;
			buf_printf(&t, "%s.tmp-XXXXXX", output);
			tmp = buf_take(&t);
			int fd = mkstemp(tmp);
			if (fd < 0 || !(out = fdopen(fd, "w"))) {
				status = fail(output, strerror(errno));
				free(tmp);
				tmp = NULL;
				out = NULL;
			}
		}
		if (out && export_session(s, sid, fmt, &cfg, out, &err) < 0) {
			status = fail("export failed", err);
		}
		if (tmp) {
			bool ok = status == 0 && fflush(out) == 0 && fsync(fileno(out)) == 0;
			if (fclose(out) != 0)
				ok = false;
			if (ok && rename(tmp, output) < 0) {
				status = fail(output, strerror(errno));
				ok = false;
			}
			if (!ok) {
				unlink(tmp);
				if (!status)
					status = fail(output, "write failed");
			}
			free(tmp);
		} else if (out && fflush(out) != 0) {
			status = fail("write failed", strerror(errno));
		}
	}
	free(err);
	store_close(s);
	config_free(&cfg);
	return status;
}

/* ---------------------------------------------------------------- providers */

static int cmd_providers(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(providers_help, stdout); return 0;
		default: return usage_error(providers_help, "invalid option for providers", NULL);
		}
	}
	int saved = log_get_level();
	log_set_level(LOG_ERROR + 1); /* errors are listed below, not logged */
	struct plugin_set set = {0};
	plugin_load_all(&set);
	log_set_level(saved);
	for (size_t i = 0; i < set.n; i++) {
		const struct kato_provider_desc *d = set.v[i].desc;
		if (json) {
			struct buf b = BUF_INIT;
			buf_adds(&b, "{\"name\":");
			json_add_str(&b, d->name);
			buf_adds(&b, ",\"version\":");
			json_add_str(&b, d->version ? d->version : "");
			buf_printf(&b, ",\"abi\":\"%u.%u\",\"path\":", d->abi_major, d->abi_minor);
			json_add_str(&b, set.v[i].path);
			buf_adds(&b, "}\n");
			fputs(b.p, stdout);
			buf_free(&b);
		} else {
			printf("%-10s %-10s ABI %u.%u  %s\n", d->name, d->version ? d->version : "?",
			       d->abi_major, d->abi_minor, set.v[i].path);
			if (d->description)
				printf("           %s\n", d->description);
		}
	}
	for (size_t i = 0; i < set.nerrors; i++) {
		if (json) {
			struct buf b = BUF_INIT;
			buf_adds(&b, "{\"error\":");
			json_add_str(&b, set.errors[i]);
			buf_adds(&b, "}\n");
			fputs(b.p, stdout);
			buf_free(&b);
		} else {
			printf("not loaded: %s\n", set.errors[i]);
		}
	}
	if (!json && set.n == 0)
		printf("no provider plugins found (search path: $KATO_PROVIDER_PATH, "
		       "$XDG_DATA_HOME/kato/providers, " PROVIDERDIR ")\n");
	plugin_set_free(&set);
	return 0;
}

/* ---------------------------------------------------------------- status */

/* The pid of the running katod (its lock is held), or 0. */
static long katod_pid(void)
{
	char *dir = paths_runtime_dir();
	char *path = paths_join(dir, "katod.lock");
	free(dir);
	long pid = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		char b[32] = "";
		ssize_t n = read(fd, b, sizeof b - 1);
		pid = n > 0 ? strtol(b, NULL, 10) : -1;
		if (pid == 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

struct status_out {
	bool json;
	bool first;
	struct buf b;
};

static int print_command(void *ud, const struct store_command *c, const char *kato_id)
{
	struct status_out *o = ud;
	time_t t = (time_t)(c->at_ms / 1000);
	struct tm tm;
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
	if (!o->json) {
		bool named = c->name[0] != '(';
		printf("  %s  %.8s  line %-3d %s%s%s%s  %s%s%s%s%s\n", when, kato_id, c->line, named ? "::" : "",
		       c->name, c->arg ? " " : "", c->arg ? c->arg : "", c->outcome, c->target ? " " : "",
		       c->target ? c->target : "", c->reason ? ": " : "", c->reason ? c->reason : "");
		return 0;
	}
	struct buf *b = &o->b;
	buf_adds(b, o->first ? "" : ",");
	o->first = false;
	buf_adds(b, "{\"at\":");
	json_add_str(b, when);
	buf_adds(b, ",\"session\":");
	json_add_str(b, kato_id);
	buf_printf(b, ",\"seq\":%lld,\"line\":%d,\"command\":", (long long)c->seq, c->line);
	json_add_str(b, c->name);
	const char *keys[] = {"argument", "outcome", "target", "reason"};
	const char *vals[] = {c->arg, c->outcome, c->target, c->reason};
	for (size_t i = 0; i < 4; i++) {
		if (!vals[i])
			continue;
		buf_printf(b, ",\"%s\":", keys[i]);
		json_add_str(b, vals[i]);
	}
	buf_addc(b, '}');
	return 0;
}

static int id_cb(void *ud, const struct store_session_row *r)
{
	buf_adds(ud, r->kato_id);
	return 0;
}

static const char *kato_id_of(struct store *s, int64_t sid, struct buf *tmp)
{
	buf_reset(tmp);
	store_get_session(s, sid, id_cb, tmp);
	return buf_str(tmp);
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false;
	long limit = 20;
	int c;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n': {
			char *end;
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 0 || limit > 100000)
				return usage_error(status_help, "-n needs a number from 0 to 100000, got", optarg);
			break;
		}
		case 'h': fputs(status_help, stdout); return 0;
		default: return usage_error(status_help, "invalid option for status", NULL);
		}
	}
	if (optind < argc)
		return usage_error(status_help, "unexpected argument", argv[optind]);
	long pid = katod_pid();
	struct store *s;
	if (open_readonly(&s) < 0)
		return EXIT_FAILURE;
	int64_t ns, ne, nf;
	struct store_recording *v = NULL;
	size_t nv = 0;
	if (store_totals(s, &ns, &ne, &nf) < 0 || store_recordings(s, 0, &v, &nv) < 0) {
		store_close(s);
		return fail("cannot read the store", NULL);
	}
	/* directories katod could not watch (inotify watch limit) */
	int64_t unwatched = 0;
	if (pid)
		store_meta_get(s, "unwatched_dirs", &unwatched);
	struct status_out o = {json, true, BUF_INIT};
	struct buf tmp = BUF_INIT;
	if (json) {
		buf_printf(&o.b, "{\"katod\":{\"running\":%s", pid ? "true" : "false");
		if (pid > 0)
			buf_printf(&o.b, ",\"pid\":%ld", pid);
		buf_printf(&o.b, ",\"unwatchedDirectories\":%lld", (long long)unwatched);
		buf_printf(&o.b, "},\"sessions\":%lld,\"events\":%lld,\"files\":%lld,\"recordings\":[",
			   (long long)ns, (long long)ne, (long long)nf);
	} else {
		if (pid > 0)
			printf("katod: running (pid %ld)\n", pid);
		else if (pid < 0)
			printf("katod: running\n");
		else
			printf("katod: not running (start it with: systemctl --user start katod)\n");
		if (unwatched > 0)
			printf("watch limit: reached; %lld director%s not watched, re-scanned every 10 s instead.\n"
			       "  Raise it: sysctl fs.inotify.max_user_watches=524288 (persist it in\n"
			       "  /etc/sysctl.d/), then restart katod\n",
			       (long long)unwatched, unwatched == 1 ? "y is" : "ies are");
		printf("store: %lld session(s), %lld event(s), %lld file(s)\n", (long long)ns, (long long)ne,
		       (long long)nf);
		printf("recordings: %zu\n", nv);
	}
	for (size_t i = 0; i < nv; i++) {
		const char *kid = kato_id_of(s, v[i].session, &tmp);
		if (json) {
			buf_adds(&o.b, i ? ",{\"path\":" : "{\"path\":");
			json_add_str(&o.b, v[i].path);
			buf_adds(&o.b, ",\"session\":");
			json_add_str(&o.b, kid);
			buf_printf(&o.b, ",\"recordingId\":\"%s\",\"active\":%s,\"writtenThroughSeq\":%lld,\"pendingAppend\":%s}",
				   v[i].rec_id, v[i].active ? "true" : "false", (long long)v[i].write_seq,
				   v[i].pending ? "true" : "false");
		} else {
			printf("  %-8s %.8s  %s%s\n", v[i].active ? "active" : "off", kid, v[i].path,
			       v[i].pending ? "  (an append is waiting to be retried)" : "");
		}
	}
	if (json)
		buf_adds(&o.b, "],\"commands\":[");
	else
		printf("last in-chat commands (newest first):\n");
	int rc = store_each_command(s, (int)limit, print_command, &o);
	if (json) {
		buf_adds(&o.b, "]}\n");
		fputs(o.b.p, stdout);
	}
	buf_free(&o.b);
	buf_free(&tmp);
	store_recordings_free(v, nv);
	store_close(s);
	return rc < 0 ? fail("cannot read the command outcomes", NULL) : 0;
}

/* ---------------------------------------------------------------- main */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"import", cmd_import, import_help},
	{"sessions", cmd_sessions, sessions_help},
	{"export", cmd_export, export_help},
	{"status", cmd_status, status_help},
	{"providers", cmd_providers, providers_help},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	log_set_ident("kato");
	if (argc < 2) {
		fputs(usage_text, stdout);
		return 0;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("kato %s\n", KATO_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			fputs(usage_text, stdout);
			return 0;
		}
		const struct command *c = find_command(argv[2]);
		if (!c)
			return usage_error(usage_text, "unknown command", argv[2]);
		fputs(c->help, stdout);
		return 0;
	}
	const struct command *c = find_command(cmd);
	if (!c)
		return usage_error(usage_text, "unknown command", cmd);
	return c->run(argc - 1, argv + 1);
}
