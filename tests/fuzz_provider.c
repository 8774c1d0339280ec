/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for a provider: the input is split into lines and fed
 * to parse_line (or given whole to parse_document), with a restart through
 * the state blob after the third line. The provider's source is linked in
 * (instrumented) by tests/fuzz.sh, which `make fuzz` runs for each one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "kato/provider.h"

static const struct kato_provider_desc *d;

static int emit(void *ctx, const struct kato_event *ev)
{
	const char *why;
	struct buf b = BUF_INIT;
	if (event_check(ev, &why) == 0)
		event_to_json(ev, "fuzz", "s", 0, &b);
	buf_free(&b);
	return 0;
}

static void session(void *ctx, const struct kato_session_info *si)
{
	if (!si->provider_session_id)
		abort(); /* the ABI requires it */
}

static void count(void *ctx, const char *type)
{
	if (!type)
		abort();
}

static void logf_(void *ctx, int level, const char *fmt, ...)
{
}

static int64_t record_end(void *ctx)
{
	return 0;
}

static const struct kato_host host = {sizeof host, KATO_PROVIDER_ABI_MINOR, emit, session, count, logf_,
				      record_end};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	d = kato_provider_get_desc();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	void *st = NULL;
	/* the path decides the feed mode: odd sizes try the document path */
	const char *path = size % 2 && d->parse_document ? "/x/chats/session-1.json" : "/x/s.jsonl";
	if (d->open_file(&host, NULL, path, NULL, 0, &st) < 0)
		return 0;
	if (KATO_FEED_MODE(d->match_path(path)) == KATO_FEED_DOCUMENT) {
		d->parse_document(st, buf, size);
	} else if (d->parse_line) {
		size_t i = 0, lines = 0;
		while (i < size) {
			const char *nl = memchr(buf + i, '\n', size - i);
			size_t n = nl ? (size_t)(nl - (buf + i)) : size - i;
			d->parse_line(st, buf + i, n);
			i += n + 1;
			if (++lines == 3 && d->save_state) {
				/* restart through the state blob */
				const void *blob;
				size_t len;
				if (d->save_state(st, &blob, &len) == 0) {
					void *copy = malloc(len ? len : 1);
					memcpy(copy, blob, len);
					void *st2 = NULL;
					if (d->open_file(&host, NULL, path, copy, len, &st2) == 0) {
						d->close_file(st);
						st = st2;
					}
					free(copy);
				}
			}
		}
	}
	if (d->flush)
		d->flush(st);
	d->close_file(st);
	return 0;
}
