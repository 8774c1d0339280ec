/* SPDX-License-Identifier: Apache-2.0 */
/* A provider built for a future ABI major: the loader must refuse it. */
#include "kato/provider.h"

static enum kato_feed match(const char *path)
{
	(void)path;
	return KATO_FEED_LINES;
}

static int open_file(const struct kato_host *h, void *ctx, const char *path, const void *blob,
		     size_t n, void **st)
{
	return -1;
}

static int parse_line(void *st, const char *l, size_t n)
{
	return 0;
}

static void close_file(void *st)
{
}

static const struct kato_provider_desc desc = {
	.abi_major = KATO_PROVIDER_ABI_MAJOR + 1,
	.abi_minor = 0,
	.struct_size = sizeof(struct kato_provider_desc),
	.name = "badabi",
	.version = "0",
	.match_path = match,
	.open_file = open_file,
	.parse_line = parse_line,
	.close_file = close_file,
};

KATO_PROVIDER_EXPORT const struct kato_provider_desc *kato_provider_get_desc(void)
{
	return &desc;
}
