/* SPDX-License-Identifier: Apache-2.0 */
/* faultinj: an LD_PRELOAD interposer that makes katod's writes fail, for
 * tests/reliability/faults.sh. Built by that script with $CC:
 *   $CC -shared -fPIC -O1 -o faultinj.so faultinj.c -ldl
 * It wraps write, pwrite, pwrite64, fsync, fdatasync and open/openat and
 * injects a fault on a call whose file (the fd's /proc/self/fd link, or
 * the path opened) contains KATO_FAULT_PATH. Configured by environment:
 *   KATO_FAULT        enospc | eio | short | eintr | fsync | open
 *                     (write and pwrite fail with ENOSPC, EIO or EINTR, or
 *                     write half the bytes; fsync and fdatasync fail with
 *                     EIO; an open for writing fails with ENOSPC)
 *   KATO_FAULT_PATH   substring of the target path (default: any file)
 *   KATO_FAULT_AFTER  let the first N matching calls through (default 0)
 *   KATO_FAULT_EVERY  then fault every Kth matching call (default 1)
 *   KATO_FAULT_MAX    inject at most M faults in this process (default: no limit)
 *   KATO_FAULT_ARM    a file: no faults before it exists
 *   KATO_FAULT_STOP   a file: once it exists, no more faults
 *   KATO_FAULT_LOG    a file that gets one line per injected fault */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum kind { F_NONE, F_ENOSPC, F_EIO, F_SHORT, F_EINTR, F_FSYNC, F_OPEN };

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);

static enum kind kind = F_NONE;
static const char *match, *armfile, *stopfile, *logfile;
static long after, every = 1, max = -1;
static long seen, injected;
static int inited, busy;

static void init(void)
{
	if (inited)
		return;
	inited = 1;
	real_write = dlsym(RTLD_NEXT, "write");
	real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_open = dlsym(RTLD_NEXT, "open");
	real_open64 = dlsym(RTLD_NEXT, "open64");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_openat64 = dlsym(RTLD_NEXT, "openat64");
	const char *k = getenv("KATO_FAULT"), *v;
	if (!k)
		return;
	if (!strcmp(k, "enospc"))
		kind = F_ENOSPC;
	else if (!strcmp(k, "eio"))
		kind = F_EIO;
	else if (!strcmp(k, "short"))
		kind = F_SHORT;
	else if (!strcmp(k, "eintr"))
		kind = F_EINTR;
	else if (!strcmp(k, "fsync"))
		kind = F_FSYNC;
	else if (!strcmp(k, "open"))
		kind = F_OPEN;
	match = getenv("KATO_FAULT_PATH");
	armfile = getenv("KATO_FAULT_ARM");
	stopfile = getenv("KATO_FAULT_STOP");
	logfile = getenv("KATO_FAULT_LOG");
	if ((v = getenv("KATO_FAULT_AFTER")))
		after = atol(v);
	if ((v = getenv("KATO_FAULT_EVERY")) && atol(v) > 0)
		every = atol(v);
	if ((v = getenv("KATO_FAULT_MAX")))
		max = atol(v);
}

/* Does this call's target match? path, or else the fd's link. */
static int targets(int fd, const char *path)
{
	if (!match || !*match)
		return 1;
	if (path)
		return strstr(path, match) != NULL;
	char link[64], buf[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, match) != NULL;
}

/* Decide whether to inject a fault of one of the given kinds now. */
static int fire(int fd, const char *path, const char *what, enum kind k1, enum kind k2)
{
	init();
	if (busy || (kind != k1 && kind != k2) || !targets(fd, path))
		return 0;
	if (armfile && access(armfile, F_OK) != 0)
		return 0;
	if (stopfile && access(stopfile, F_OK) == 0)
		return 0;
	if (max >= 0 && injected >= max)
		return 0;
	seen++;
	if (seen <= after || (seen - after - 1) % every)
		return 0;
	injected++;
	if (logfile) {
		busy = 1;
		int lfd = real_open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (lfd >= 0) {
			char line[4200], link[64], buf[4096] = "";
			if (!path) {
				snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
				ssize_t n = readlink(link, buf, sizeof buf - 1);
				buf[n > 0 ? n : 0] = 0;
			}
			int n = snprintf(line, sizeof line, "%s %s %s\n", getenv("KATO_FAULT"), what,
					 path ? path : buf);
			real_write(lfd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
			close(lfd);
		}
		busy = 0;
	}
	return 1;
}

static ssize_t write_fault(void)
{
	errno = kind == F_ENOSPC ? ENOSPC : kind == F_EIO ? EIO : EINTR;
	return -1;
}

ssize_t write(int fd, const void *p, size_t n)
{
	init();
	if (n > 1 && fire(fd, NULL, "write", F_SHORT, F_SHORT))
		return real_write(fd, p, n / 2);
	if (fire(fd, NULL, "write", F_ENOSPC, F_EIO) || fire(fd, NULL, "write", F_EINTR, F_EINTR))
		return write_fault();
	return real_write(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	init();
	if (n > 1 && fire(fd, NULL, "pwrite", F_SHORT, F_SHORT))
		return real_pwrite(fd, p, n / 2, off);
	if (fire(fd, NULL, "pwrite", F_ENOSPC, F_EIO) || fire(fd, NULL, "pwrite", F_EINTR, F_EINTR))
		return write_fault();
	return real_pwrite(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	init();
	if (n > 1 && fire(fd, NULL, "pwrite64", F_SHORT, F_SHORT))
		return real_pwrite64(fd, p, n / 2, off);
	if (fire(fd, NULL, "pwrite64", F_ENOSPC, F_EIO) || fire(fd, NULL, "pwrite64", F_EINTR, F_EINTR))
		return write_fault();
	return real_pwrite64(fd, p, n, off);
}

int fsync(int fd)
{
	init();
	if (fire(fd, NULL, "fsync", F_FSYNC, F_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	init();
	if (fire(fd, NULL, "fdatasync", F_FSYNC, F_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

/* An open for writing of a matching path fails with ENOSPC. */
static int open_fault(const char *path, int flags)
{
	if ((flags & (O_WRONLY | O_RDWR | O_CREAT)) && fire(-1, path, "open", F_OPEN, F_OPEN)) {
		errno = ENOSPC;
		return 1;
	}
	return 0;
}

static mode_t mode_of(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_of(flags, ap);
	va_end(ap);
	init();
	return open_fault(path, flags) ? -1 : real_open(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_of(flags, ap);
	va_end(ap);
	init();
	return open_fault(path, flags) ? -1 : real_open64(path, flags, m);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_of(flags, ap);
	va_end(ap);
	init();
	return open_fault(path, flags) ? -1 : real_openat(dirfd, path, flags, m);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_of(flags, ap);
	va_end(ap);
	init();
	return open_fault(path, flags) ? -1 : real_openat64(dirfd, path, flags, m);
}
