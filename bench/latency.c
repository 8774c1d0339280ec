/* SPDX-License-Identifier: Apache-2.0 */
/* latency: time from a provider appending a line to its session log until
 * the text is in the active recording.
 *
 *   latency SESSION.jsonl RECORDING.md N [-v]
 *   latency --capture SESSION.jsonl DIR N MESSAGES [-v]
 *
 * Appends N Claude Code assistant lines (each with a unique marker) to
 * SESSION.jsonl, one at a time with one write(2), and waits with inotify on
 * the recording's directory until the marker is in RECORDING.md (appends,
 * or a rename when the frontmatter is replaced). Prints
 * "median_ms p95_ms p99_ms max_ms n failures"; a marker not seen within
 * 5 s is a failure.
 *
 * --capture: first appends MESSAGES user and assistant lines (a long
 * conversation), then N times appends an assistant line with a marker
 * and, timed, a user line "::capture DIR/capture-I.md", and waits until
 * that file holds the marker: the whole conversation so far written out.
 * Only libc. */
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

static int append(const char *path, const char *line, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

static int line_of(char *line, size_t cap, const char *type, int i, const char *text)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	if (!strcmp(type, "user"))
		return snprintf(line, cap,
				"{\"type\":\"user\",\"uuid\":\"lat-u-%d-%d\",\"parentUuid\":null,"
				"\"isSidechain\":false,\"sessionId\":\"bench-latency\",\"timestamp\":\"%s\","
				"\"message\":{\"role\":\"user\",\"content\":\"%s\"}}\n",
				i, (int)getpid(), ts, text);
	return snprintf(line, cap,
			"{\"type\":\"assistant\",\"uuid\":\"lat-%d-%d\",\"parentUuid\":null,"
			"\"isSidechain\":false,\"sessionId\":\"bench-latency\",\"timestamp\":\"%s\","
			"\"message\":{\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"content\":"
			"[{\"type\":\"text\",\"text\":\"%s\"}]}}\n",
			i, (int)getpid(), ts, text);
}

int main(int argc, char **argv)
{
	int capture = argc > 1 && !strcmp(argv[1], "--capture");
	if (capture) {
		argv++;
		argc--;
	}
	if (argc < 4 + capture) {
		fprintf(stderr, "usage: latency SESSION.jsonl RECORDING.md N [-v]\n"
				"       latency --capture SESSION.jsonl DIR N MESSAGES [-v]\n");
		return 2;
	}
	const char *session = argv[1], *rec = argv[2];
	int n = atoi(argv[3]);
	int messages = capture ? atoi(argv[4]) : 0;
	int verbose = argc > 4 + capture && !strcmp(argv[4 + capture], "-v");
	if (n < 1)
		return 2;
	char *dir = strdup(rec);
	char *slash = capture ? NULL : strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	char line[2048];
	for (int i = 0; i < messages; i++) {
		char text[256];
		snprintf(text, sizeof text, "message %d of a long conversation: the quick brown fox jumps over "
			 "the lazy dog, and then some more words so the line is a realistic length.", i);
		int len = line_of(line, sizeof line, i % 2 ? "assistant" : "user", 100000 + i, text);
		if (append(session, line, (size_t)len) < 0)
			return 1;
	}
	if (messages)
		sleep(2); /* stored, and the file quiet */
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, capture || slash ? dir : ".", IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
		perror("inotify");
		return 1;
	}
	double *lat = calloc((size_t)n, sizeof *lat);
	int got = 0, failures = 0;
	srand((unsigned)getpid());
	for (int i = 0; i < n; i++) {
		char marker[64], text[4200], target[4096];
		snprintf(marker, sizeof marker, "lat-marker-%04d-%d", i, (int)getpid());
		snprintf(text, sizeof text, "%s: the quick brown fox jumps over the lazy dog.", marker);
		int len = line_of(line, sizeof line, "assistant", i, text);
		const char *wait_in = rec;
		if (capture) {
			/* the marker first, untimed; then the timed command */
			if (append(session, line, (size_t)len) < 0)
				return 1;
			usleep(100000);
			snprintf(target, sizeof target, "%s/capture-%d.md", dir, i);
			snprintf(text, sizeof text, "::capture %s", target);
			len = line_of(line, sizeof line, "user", i, text);
			wait_in = target;
		}
		char drain[4096];
		while (read(in, drain, sizeof drain) > 0)
			;
		double t0 = now_ms();
		if (append(session, line, (size_t)len) < 0)
			return 1;
		int seen = 0;
		while (!seen) {
			if (has_marker(wait_in, marker)) {
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
		printf("- - - - 0 %d\n", failures);
		return 1;
	}
	qsort(lat, (size_t)got, sizeof *lat, cmp_double);
	double median = got % 2 ? lat[got / 2] : (lat[got / 2 - 1] + lat[got / 2]) / 2;
	int k = (int)(0.95 * got + 0.999999) - 1, k99 = (int)(0.99 * got + 0.999999) - 1; /* nearest rank */
	if (k < 0)
		k = 0;
	if (k99 < 0)
		k99 = 0;
	printf("%.2f %.2f %.2f %.2f %d %d\n", median, lat[k], lat[k99], lat[got - 1], got, failures);
	free(lat);
	free(dir);
	return failures ? 1 : 0;
}
