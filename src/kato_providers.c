/* SPDX-License-Identifier: Apache-2.0 */
/* kato providers: the plugins kato would load, and each one that failed
 * with the reason and the fix. Exits 1 when one failed, so that a script
 * (or a package test) notices a broken plugin directory. */
#include "autoconfig.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "kato_providers.h"
#include "log.h"
#include "plugin.h"

const char providers_help[] =
	"Usage: kato providers [--json]\n"
	"\n"
	"List the provider plugins kato would load, with version, ABI and path,\n"
	"and every plugin that failed to load, with the reason and the fix.\n"
	"Exits 1 when a plugin failed to load.\n"
	"Search path: $KATO_PROVIDER_PATH, $XDG_DATA_HOME/kato/providers ($KATO_HOME/providers\n"
	"when KATO_HOME is set), " PROVIDERDIR ".\n"
	"\n"
	"  --json       one JSON object per line: name, version, abi, path,\n"
	"               description, roots, error, fix (null when absent)\n"
	"  -h, --help   show this help\n";

const char *providers_fix(const char *reason)
{
	static const struct {
		const char *says, *fix;
	} fixes[] = {
		{"world-writable", "chmod o-w the file"},
		{"a symlink", "copy the .so itself into the directory instead of a link"},
		{"not a regular file", "remove it from the provider directory"},
		{"cannot stat", "check the file's permissions"},
		{"dlopen failed", "install what it links to (ldd FILE lists it) or rebuild it"},
		{"not a kato provider", "remove it from the provider directory: it is not a kato provider"},
		{"built for provider ABI", "rebuild it against this kato's <kato/provider.h> (kato-dev)"},
		{"already loaded from", "remove one of the two files"},
	};
	for (size_t i = 0; i < sizeof fixes / sizeof fixes[0]; i++)
		if (strstr(reason, fixes[i].says))
			return fixes[i].fix;
	return "fix the plugin's descriptor (see kato-provider(7)) or remove it from the provider directory";
}

/* An error is "<file>.so: <reason>" (plugin_set.errors). */
static void split_error(const char *e, struct buf *path, const char **reason)
{
	const char *sep = strstr(e, ".so: ");
	if (sep) {
		buf_add(path, e, (size_t)(sep + 3 - e));
		*reason = sep + 5;
	} else {
		*reason = e;
	}
}

static void json_str_or_null(struct buf *b, const char *s)
{
	if (s)
		json_add_str(b, s);
	else
		buf_adds(b, "null");
}

/* default_roots, one per line, as a JSON array (null when none). */
static void json_roots(struct buf *b, const char *roots)
{
	if (!roots || !*roots) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '[');
	bool first = true;
	for (const char *p = roots; *p;) {
		size_t n = strcspn(p, "\n");
		if (n) {
			if (!first)
				buf_addc(b, ',');
			json_add_strn(b, p, n);
			first = false;
		}
		p += n;
		if (*p)
			p++;
	}
	buf_addc(b, ']');
}

static void print_json(const char *name, const char *version, const char *abi, const char *path,
		       const char *description, const char *roots, const char *error, const char *fix)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"name\":");
	json_str_or_null(&b, name);
	buf_adds(&b, ",\"version\":");
	json_str_or_null(&b, version);
	buf_adds(&b, ",\"abi\":");
	json_str_or_null(&b, abi);
	buf_adds(&b, ",\"path\":");
	json_str_or_null(&b, path);
	buf_adds(&b, ",\"description\":");
	json_str_or_null(&b, description);
	buf_adds(&b, ",\"roots\":");
	json_roots(&b, roots);
	buf_adds(&b, ",\"error\":");
	json_str_or_null(&b, error);
	buf_adds(&b, ",\"fix\":");
	json_str_or_null(&b, fix);
	buf_adds(&b, "}\n");
	fputs(b.p, stdout);
	buf_free(&b);
}

int cmd_providers(int argc, char **argv)
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
		default:
			fprintf(stderr, "kato: invalid option for providers\n\n%s", providers_help);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kato: providers takes no arguments: %s\n\n%s", argv[optind], providers_help);
		return 2;
	}
	int saved = log_get_level();
	log_set_level(LOG_ERROR + 1); /* failures are listed below, not logged */
	struct plugin_set set = {0};
	plugin_load_all(&set);
	log_set_level(saved);
	for (size_t i = 0; i < set.n; i++) {
		const struct kato_provider_desc *d = set.v[i].desc;
		if (json) {
			char abi[32];
			snprintf(abi, sizeof abi, "%u.%u", d->abi_major, d->abi_minor);
			print_json(d->name, d->version, abi, set.v[i].path, d->description,
				   d->default_roots, NULL, NULL);
		} else {
			printf("%-10s %-10s ABI %u.%u  %s\n", d->name, d->version ? d->version : "?",
			       d->abi_major, d->abi_minor, set.v[i].path);
			if (d->description)
				printf("           %s\n", d->description);
		}
	}
	for (size_t i = 0; i < set.nerrors; i++) {
		struct buf path = BUF_INIT;
		const char *reason;
		split_error(set.errors[i], &path, &reason);
		/* the loader names the fix itself when it knows it: "... (fix: F)" */
		struct buf why = BUF_INIT, own = BUF_INIT;
		const char *named = strstr(reason, " (fix: ");
		size_t rlen = strlen(reason);
		if (named && rlen && reason[rlen - 1] == ')') {
			buf_add(&why, reason, (size_t)(named - reason));
			buf_add(&own, named + 7, (size_t)(reason + rlen - 1 - (named + 7)));
			reason = buf_str(&why);
		}
		const char *fix = own.len ? buf_str(&own) : providers_fix(reason);
		if (json)
			print_json(NULL, NULL, NULL, path.p, NULL, NULL, reason, fix);
		else
			printf("not loaded: %s%s%s (fix: %s)\n", path.p ? path.p : "", path.p ? ": " : "", reason, fix);
		buf_free(&why);
		buf_free(&own);
		buf_free(&path);
	}
	if (!json && set.n == 0 && set.nerrors == 0)
		printf("no provider plugins found (search path: $KATO_PROVIDER_PATH, "
		       "$XDG_DATA_HOME/kato/providers, " PROVIDERDIR ")\n");
	int status = set.nerrors ? 1 : 0;
	plugin_set_free(&set);
	if (fflush(stdout) != 0)
		return 1;
	return status;
}
