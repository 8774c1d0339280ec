/* SPDX-License-Identifier: Apache-2.0 */
/* jsonc-baseline FILE...: parse every line of every file with json-c, one
 * reused tokener, and print bytes, lines and seconds. A file named *.json
 * is one JSON document (Gemini CLI's session files, pretty-printed over
 * many lines) and is parsed whole, as one value. The "bare json-c parse"
 * that SPEC §8 compares kato's backfill against. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parse s[0..n) as one value; count it in *bad when json-c refuses it. */
static void parse(json_tokener *tok, const char *s, size_t n, size_t *bad)
{
	json_tokener_reset(tok);
	json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	if (!o)
		(*bad)++;
	json_object_put(o);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	json_tokener *tok = json_tokener_new_ex(256); /* kato's depth */
	size_t cap = 1 << 20, bytes = 0, lines = 0, bad = 0;
	char *line = malloc(cap);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t nlen = strlen(argv[i]);
		if (nlen > 5 && !strcmp(argv[i] + nlen - 5, ".json")) {
			size_t len = 0, k;
			while ((k = fread(line + len, 1, cap - len, f)) > 0) {
				len += k;
				if (len == cap && !(line = realloc(line, cap *= 2)))
					return 1;
			}
			bytes += len;
			lines++;
			parse(tok, line, len, &bad);
			fclose(f);
			continue;
		}
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			bytes += (size_t)n;
			lines++;
			parse(tok, line, (size_t)n, &bad);
		}
		fclose(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%zu %zu %.6f\n", bytes, lines, s);
	json_tokener_free(tok);
	free(line);
	return bad > lines ? 1 : 0;
}
