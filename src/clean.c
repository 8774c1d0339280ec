/* SPDX-License-Identifier: Apache-2.0 */
/* clean: see clean.h. A cleaned session is gone from the store (events,
 * command outcomes, recording state); the provider logs it came from
 * keep their cursors, so neither the next sweep nor a restart reads them
 * again (see doc/design.md, "kato clean"). */
#include "autoconfig.h"

#include "clean.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

static int clean_logs(bool dry_run, int64_t *files, int64_t *bytes, char **err)
{
	char *dir = paths_state_dir();
	char *paths[2] = {paths_join(dir, "katod.log"), paths_join(dir, "katod.log.1")};
	free(dir);
	int rc = 0;
	for (int i = 0; i < 2 && rc == 0; i++) {
		struct stat st;
		if (lstat(paths[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		(*files)++;
		*bytes += st.st_size;
		if (dry_run)
			continue;
		int fd = i == 0 ? paths_open_private(paths[i], O_WRONLY, NULL) : -1;
		if (i == 0 ? fd < 0 || ftruncate(fd, 0) < 0 : unlink(paths[i]) < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "cannot empty %s: %s", paths[i], strerror(errno));
			*err = buf_take(&b);
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	free(paths[0]);
	free(paths[1]);
	return rc;
}

int clean_run(struct store *s, const struct clean_opts *o, struct buf *out, char **err)
{
	buf_printf(out, ",\"mode\":\"%s\"", o->dry_run ? "dry-run" : "execute");
	if (o->sessions_days > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		time_t cut = ts.tv_sec - (time_t)o->sessions_days * 86400;
		struct tm tm;
		char iso[40];
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S.000Z", gmtime_r(&cut, &tm));
		int64_t ns = 0, ne = 0;
		if (store_clean_sessions(s, iso, o->dry_run, &ns, &ne) < 0) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "cannot clean the store: %s", store_errmsg(s));
			*err = buf_take(&b);
			return -1;
		}
		buf_printf(out, ",\"sessionsDays\":%d,\"before\":\"%s\",\"sessions\":%lld,\"events\":%lld",
			   o->sessions_days, iso, (long long)ns, (long long)ne);
	} else {
		buf_adds(out, ",\"sessionsDays\":null,\"before\":null,\"sessions\":null,\"events\":null");
	}
	if (o->logs) {
		int64_t files = 0, bytes = 0;
		if (clean_logs(o->dry_run, &files, &bytes, err) < 0)
			return -1;
		buf_printf(out, ",\"logFiles\":%lld,\"logBytes\":%lld", (long long)files, (long long)bytes);
	} else {
		buf_adds(out, ",\"logFiles\":null,\"logBytes\":null");
	}
	return 0;
}
