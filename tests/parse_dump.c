/* SPDX-License-Identifier: Apache-2.0 */
/* kato-parse-dump PROVIDER.so FILE...: print the events a provider makes
 * of each file, one ConversationEvent JSON per line, then a summary line
 * per file on stderr. A development and test aid; not installed. */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define TU_REQUIRE(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "kato-parse-dump: " __VA_ARGS__);      \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

#include "testutil.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kato-parse-dump PROVIDER.so FILE...\n");
		return 2;
	}
	struct plugin p;
	char *why = NULL;
	if (plugin_load(argv[1], &p, &why) < 0) {
		fprintf(stderr, "kato-parse-dump: %s: %s\n", argv[1], why);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		struct tu_run *r = tu_parse_file(&p, argv[i]);
		for (size_t k = 0; k < r->n; k++)
			printf("%s\t%u\n", r->events[k], r->flags[k]);
		fprintf(stderr, "%s: %zu events, session %s, %zu counted, %zu malformed, %zu rejected\n",
			argv[i], r->n, r->session_id ? r->session_id : "-", r->ncounted, r->nbad, r->nrejected);
		tu_run_free(r);
	}
	free(p.path);
	return 0;
}
