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
#include "cli.h"
#include "config.h"
#include "export.h"
#include "ingest.h"
#include "json.h"
#include "kato_cmds.h"
#include "kato_ctl.h"
#include "kato_doctor.h"
#include "kato_providers.h"
#include "log.h"
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
	"  init [--config FILE]            write the commented default config.yaml\n"
	"  doctor [--json]                 check limits, roots, plugins, store and\n"
	"                                  provider retention that deletes logs\n"
	"  import [--provider P] [--allow-empty] FILE...\n"
	"                                  read session log files into the store\n"
	"  sessions [--provider P] [--since DATE] [--cwd DIR] [-n N] [--json]\n"
	"                                  list the sessions in the store\n"
	"  search QUERY [--provider P] [--since DATE] [--session ID] [-n N] [--json]\n"
	"                                  find messages in every conversation\n"
	"  export SESSION [--format markdown|jsonl] [-o FILE|-]\n"
	"                                  write one session (stdout by default)\n"
	"  status [--json] [-n N]          katod, roots, watches, backlog, format\n"
	"                                  drift, recordings, in-chat command outcomes\n"
	"  providers [--json]              list provider plugins and load errors\n"
	"  start [-c FILE] [-v]            start katod in the background\n"
	"  stop                            stop katod (returns once it has exited)\n"
	"  restart [-c FILE] [-v]          stop, then start katod\n"
	"  logs [-f] [-n N]                show (or follow) katod's log\n"
	"  clean [--sessions DAYS] [--all|--logs] [--dry-run] [--json]\n"
	"                                  remove old sessions from the store, empty\n"
	"                                  the log (recordings are never deleted)\n"
	"  help [COMMAND]                  show help for a command\n"
	"\n"
	"SESSION is a kato id, a provider session id, or a unique prefix of\n"
	"either, optionally as PROVIDER:ID. The store is $XDG_STATE_HOME/kato/kato.db\n"
	"(or $KATO_HOME/kato.db). The daemon is katod(1); see kato(1).\n";

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

static const char export_help[] =
	"Usage: kato export SESSION [--format markdown|jsonl] [-o FILE|-]\n"
	"\n"
	"Write one session from the store. SESSION is a kato id, a provider session\n"
	"id, or a unique prefix of either (PROVIDER:ID narrows to one provider).\n"
	"\n"
	"  -f, --format F   markdown (default) or jsonl (one ConversationEvent per line)\n"
	"  -o, --output F   write to file F instead of standard output ('-': stdout)\n"
	"  -h, --help       show this help\n";

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
	struct store *store;
	if (cli_open_store(false, &store) < 0) {
		plugin_set_free(&plugins);
		return EXIT_FAILURE;
	}
	struct ingest in = {.store = store, .history = true, .live_after_ms = INT64_MAX}; /* never runs commands */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	store_bulk(store, true);
	store_group(store, true);
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
					feed == KATO_FEED_DOCUMENT ? "one document" : "lines",
					allow_empty ? "" : "; --allow-empty accepts that");
			if (!allow_empty || in.stats.errors != errors0)
				status = EXIT_FAILURE;
		}
		buf_free(&tried);
		free(abs);
	}
	bool stored = store_group(store, false) == 0 && !store_groups_lost(store);
	if (!stored) {
		/* the counts below would claim events that were rolled back */
		fprintf(stderr,
			"kato: cannot store the import: %s; the files read before a failed commit (up to %u MiB of "
			"events each time) are not in the store: make room and run the same import again (what is "
			"stored is skipped)\n",
			store_errmsg(store), STORE_GROUP_MAX >> 20);
		status = EXIT_FAILURE;
	}
	store_bulk(store, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!quiet && stored) {
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
	plugin_set_free(&plugins);
	return status;
}

/* ---------------------------------------------------------------- sessions */

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
	if (cli_open_store(true, &s) < 0) {
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

/* ---------------------------------------------------------------- status */

/* ---------------------------------------------------------------- main */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"import", cmd_import, import_help},
	{"sessions", kato_sessions, kato_sessions_help},
	{"search", kato_search, kato_search_help},
	{"export", cmd_export, export_help},
	{"status", kato_status, kato_status_help},
	{"providers", cmd_providers, providers_help},
	{"start", kato_start, kato_start_help},
	{"stop", kato_stop, kato_stop_help},
	{"restart", kato_restart, kato_restart_help},
	{"logs", kato_logs, kato_logs_help},
	{"clean", kato_clean, kato_clean_help},
	{"init", cmd_init, init_help},
	{"doctor", cmd_doctor, doctor_help},
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
	json_c_locale();
	mem_tune();
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
