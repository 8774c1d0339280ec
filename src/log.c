/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "paths.h"

/* Process-wide logging settings: set once at start-up by main(). */
static int log_level = LOG_INFO;
static const char *log_ident = "kato";
static bool log_journal;     /* <N> prefixes */
static char *log_path;       /* log_to_file: the file, rotated */
static long long log_cap, log_size;
/* The backfill's workers log too (a provider's host->log): the size count
 * and the rotation are shared. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_set_ident(const char *ident)
{
	log_ident = ident;
}

int log_to_file(const char *path, long long cap_bytes, char **why)
{
	int fd = paths_open_private(path, O_WRONLY | O_CREAT | O_APPEND, why);
	if (fd < 0)
		return -1;
	struct stat st;
	log_size = fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
	if (fd != STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (log_path != path) {
		free(log_path);
		log_path = xstrdup(path);
	}
	log_cap = cap_bytes;
	return 0;
}

void log_detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;
	log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		      (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The file is full: keep it as path.1 and start a new one. */
static void rotate(void)
{
	struct buf old = BUF_INIT;
	buf_printf(&old, "%s.1", log_path);
	if (rename(log_path, old.p) < 0 || log_to_file(log_path, log_cap, NULL) < 0)
		log_cap = 0; /* cannot rotate: keep writing where we are */
	buf_free(&old);
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	static const int prio[] = {7, 6, 4, 3}; /* sd-daemon.h: SD_DEBUG .. SD_ERR */
	if (level < log_level)
		return;
	if (level < LOG_DEBUG || level > LOG_ERROR)
		level = LOG_ERROR;
	char text[4096], line[4200];
	vsnprintf(text, sizeof text, fmt, ap);
	int n;
	if (log_path) {
		struct timespec ts;
		struct tm tm;
		char when[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
		n = snprintf(line, sizeof line, "%s.%03ldZ %s: %s: %s\n", when, ts.tv_nsec / 1000000, log_ident,
			     names[level], text);
	} else if (log_journal) {
		n = snprintf(line, sizeof line, "<%d>%s: %s: %s\n", prio[level], log_ident, names[level], text);
	} else {
		n = snprintf(line, sizeof line, "%s: %s: %s\n", log_ident, names[level], text);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) { /* cut, but still one line */
		n = (int)sizeof line - 1;
		line[n - 1] = '\n';
	}
	pthread_mutex_lock(&log_mu);
	if (log_path && log_cap > 0 && log_size + n > log_cap && log_size > 0)
		rotate();
	fflush(stderr);
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	if (w > 0)
		log_size += w;
	pthread_mutex_unlock(&log_mu);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
