/* SPDX-License-Identifier: Apache-2.0 */
/* latency: time from a provider appending a line to its session log until
 * the text is in the active recording.
 *
 *   latency SESSION.jsonl RECORDING.md N [-v]
 *
 * Appends N Claude Code assistant lines (each with a unique marker) to
 * SESSION.jsonl, one at a time with one write(2), and waits with inotify on
 * the recording's directory until the marker is in RECORDING.md (appends,
 * or a rename when the frontmatter is replaced). Prints
 * "median_ms p95_ms max_ms n failures"; a marker not seen within 5 s is a
 * failure. Only libc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Is `marker` in the last 64 KiB of the file? */
static int has_marker(const char *path, const char *marker)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	static char buf[65536];
	int found = 0;
	if (fstat(fd, &st) == 0) {
		off_t from = st.st_size > (off_t)sizeof buf ? st.st_size - (off_t)sizeof buf : 0;
		ssize_t n = pread(fd, buf, sizeof buf, from);
		found = n > 0 && memmem(buf, (size_t)n, marker, strlen(marker)) != NULL;
	}
	close(fd);
	return found;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: latency SESSION.jsonl RECORDING.md N [-v]\n");
		return 2;
	}
	const char *session = argv[1], *rec = argv[2];
	int n = atoi(argv[3]);
	int verbose = argc > 4 && !strcmp(argv[4], "-v");
	if (n < 1)
		return 2;
	char *dir = strdup(rec);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, slash ? dir : ".", IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
		perror("inotify");
		return 1;
	}
	double *lat = calloc((size_t)n, sizeof *lat);
	int got = 0, failures = 0;
	srand((unsigned)getpid());
	for (int i = 0; i < n; i++) {
		char marker[64], line[1024];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		char ts[32];
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		snprintf(marker, sizeof marker, "lat-marker-%04d-%d", i, (int)getpid());
		int len = snprintf(line, sizeof line,
				   "{\"type\":\"assistant\",\"uuid\":\"lat-%d-%d\",\"parentUuid\":null,"
				   "\"isSidechain\":false,\"sessionId\":\"bench-latency\",\"timestamp\":\"%s\","
				   "\"message\":{\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"content\":"
				   "[{\"type\":\"text\",\"text\":\"%s: the quick brown fox jumps over the lazy dog.\"}]}}\n",
				   i, (int)getpid(), ts, marker);
		char drain[4096];
		while (read(in, drain, sizeof drain) > 0)
			;
		int fd = open(session, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0) {
			perror(session);
			return 1;
		}
		double t0 = now_ms();
		if (write(fd, line, (size_t)len) != len) {
			perror("write");
			return 1;
		}
		close(fd);
		int seen = 0;
		while (!seen) {
			if (has_marker(rec, marker)) {
				seen = 1;
				break;
			}
			double left = 5000 - (now_ms() - t0);
			if (left <= 0)
				break;
			struct pollfd p = {.fd = in, .events = POLLIN};
			if (poll(&p, 1, (int)left + 1) > 0)
				while (read(in, drain, sizeof drain) > 0)
					;
		}
		double dt = now_ms() - t0;
		if (seen) {
			lat[got++] = dt;
			if (verbose)
				printf("%d %.3f\n", i, dt);
		} else {
			failures++;
			if (verbose)
				printf("%d timeout\n", i);
		}
		usleep((useconds_t)(20000 + rand() % 40000));
	}
	if (!got) {
		printf("- - - 0 %d\n", failures);
		return 1;
	}
	qsort(lat, (size_t)got, sizeof *lat, cmp_double);
	double median = got % 2 ? lat[got / 2] : (lat[got / 2 - 1] + lat[got / 2]) / 2;
	int k = (int)(0.95 * got + 0.999999) - 1; /* nearest-rank p95 */
	if (k < 0)
		k = 0;
	printf("%.2f %.2f %.2f %d %d\n", median, lat[k], lat[got - 1], got, failures);
	free(lat);
	free(dir);
	return failures ? 1 : 0;
}
