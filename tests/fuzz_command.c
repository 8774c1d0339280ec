/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for in-chat command detection and path arguments: the
 * input is one human message. Every detected argument goes through
 * cmd_resolve_path and the read-only pathpolicy_check; cmd_lines and
 * cmd_default_name get slices of the input. Not built by make:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I$builddir -Isrc \
 *     tests/fuzz_command.c src/command.c src/pathpolicy.c src/buf.c src/text.c */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "command.h"
#include "pathpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Resolve one argument and check the result against a fixed policy. */
static void resolve(const char *arg, const struct pathpolicy *pp)
{
	static const struct cmd_path_ctx ctx = {
		"/nonexistent/home/u", "/nonexistent/work", "/nonexistent/rec", "Claude Code",
		"e8cef289-0000-0000-0000-000000000000", INT64_C(1795466758999),
	};
	struct cmd_path_ctx noenv = {NULL, NULL, NULL, NULL, NULL, -1};
	char *out = NULL, *why = NULL;
	if (cmd_resolve_path(arg, &ctx, &out, &why) == 0) {
		if (!out || out[0] != '/' || why)
			abort();
		char *canon = NULL, *pwhy = NULL;
		if (pathpolicy_check(pp, out, &canon, &pwhy) == 0 && (!canon || pwhy))
			abort();
		free(canon);
		free(pwhy);
	} else if (!why || out) {
		abort();
	}
	free(out);
	free(why);
	out = why = NULL;
	if (cmd_resolve_path(arg, &noenv, &out, &why) == 0 && (!out || out[0] != '/'))
		abort();
	free(out);
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct cmd_result r;
	if (cmd_detect(text, size, &r) != 0)
		abort();
	struct pathpolicy pp;
	char *roots[] = {"/nonexistent/work"};
	if (pathpolicy_init(&pp, roots, 1, "/", "/nonexistent/rec") != 0)
		abort();
	int last = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (!r.cmds[i].name || !r.cmds[i].raw || r.cmds[i].line <= last)
			abort();
		last = r.cmds[i].line;
		resolve(r.cmds[i].arg, &pp);
		int next = i + 1 < r.n ? r.cmds[i + 1].line : INT32_MAX;
		free(cmd_lines(text, size, r.cmds[i].line, next));
	}
	for (size_t i = 0; i < r.nerrs; i++)
		if (!r.errs[i].reason || !r.errs[i].raw)
			abort();
	cmd_result_free(&r);

	/* the whole input as a path argument, a path and a provider name */
	char *s = xstrndup(text, size);
	resolve(s, &pp);
	free(pathpolicy_lexical(s));
	free(cmd_default_name(s, s, (int64_t)size * 1000003));
	free(s);
	pathpolicy_free(&pp);
	return 0;
}
