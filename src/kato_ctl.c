/* SPDX-License-Identifier: Apache-2.0 */
/* kato_ctl: kato start, stop, restart, logs, status and clean; see
 * kato_ctl.h and kato(1). */
#include "autoconfig.h"

#include "kato_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clean.h"
#include "control.h"
#include "json.h"
#include "paths.h"
#include "status.h"
#include "store.h"

#define EXIT_USAGE 2
#define START_WAIT_MS 5000
#define STOP_WAIT_MS 10000

const char kato_start_help[] =
	"Usage: kato start [-c FILE] [-v]\n"
	"\n"
	"Start katod in the background and return once it answers on its control\n"
	"socket. If katod exits or does not answer within 5 s, say why, from the\n"
	"end of its log. When the systemd user unit katod.service is active, run\n"
	"systemctl --user start katod instead.\n"
	"\n"
	"  -c, --config FILE  katod reads FILE instead of $XDG_CONFIG_HOME/kato/config.yaml\n"
	"  -v, --verbose      katod logs debug messages too\n"
	"  -h, --help         show this help\n";

const char kato_stop_help[] =
	"Usage: kato stop\n"
	"\n"
	"Ask katod to stop over its control socket (or send SIGTERM to the pid in\n"
	"its lock file when it does not answer) and return once it has exited.\n"
	"When katod.service is active, run systemctl --user stop katod instead.\n"
	"\n"
	"  -h, --help   show this help\n";

const char kato_restart_help[] =
	"Usage: kato restart [-c FILE] [-v]\n"
	"\n"
	"kato stop (when katod runs), then kato start. When katod.service is active,\n"
	"run systemctl --user restart katod instead.\n"
	"\n"
	"  -c, --config FILE  as for kato start\n"
	"  -v, --verbose      as for kato start\n"
	"  -h, --help         show this help\n";

const char kato_logs_help[] =
	"Usage: kato logs [-f] [-n N]\n"
	"\n"
	"Show the end of katod's log, $XDG_STATE_HOME/kato/katod.log (or\n"
	"$KATO_HOME/katod.log; the older part is in katod.log.1). When\n"
	"katod.service is active, run journalctl --user -u katod instead.\n"
	"\n"
	"  -f, --follow   keep printing new lines, also after the log is rotated\n"
	"  -n N           how many lines to show (default 50)\n"
	"  -h, --help     show this help\n";

const char kato_status_help[] =
	"Usage: kato status [--json] [-n N]\n"
	"\n"
	"Ask katod (over its control socket) how it is doing: pid, version, uptime,\n"
	"each provider root (watching, missing or error, and why), directories\n"
	"watched against fs.inotify.max_user_watches, the backlog not read yet,\n"
	"the store, every recording (active or not, and how far it is written),\n"
	"format drift (per provider, the records skipped and of unknown types\n"
	"since counting started, and the files that grew without yielding any\n"
	"event), and the outcome of the last N in-chat commands (default 20):\n"
	"applied, noop, denied, failed, invalid, error, not run or skipped (typed\n"
	"before kato watched the session), with the reason.\n"
	"When katod is down it says so and shows what the store knows.\n"
	"\n"
	"  --json       one JSON object; a value not known is null\n"
	"  -n N         how many command outcomes to show\n"
	"  -h, --help   show this help\n";

const char kato_clean_help[] =
	"Usage: kato clean [--sessions DAYS] [--all|--logs] [--recordings DAYS] [--dry-run] [--json]\n"
	"\n"
	"Remove old data from the store. Recording files are never deleted. When\n"
	"katod runs, katod does the clean (it owns the store); otherwise kato does.\n"
	"A removed session's provider log keeps its read position: it is not\n"
	"imported again, and lines appended to it later start a new session.\n"
	"\n"
	"  --sessions DAYS    remove the sessions whose last event is older than DAYS\n"
	"                     days (with their events and command outcomes); a\n"
	"                     session with an active recording is kept\n"
	"  --all, --logs      empty katod.log and remove katod.log.1\n"
	"  --recordings DAYS  accepted for compatibility; recordings are never removed\n"
	"  --dry-run          only count what would be removed\n"
	"  --json             the outcome as one JSON object\n"
	"  -h, --help         show this help\n";

static int usage(const char *help, const char *what, const char *arg)
{
	fprintf(stderr, "kato: %s%s%s\n\n%s", what, arg ? ": " : "", arg ? arg : "", help);
	return EXIT_USAGE;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static char *log_path(void)
{
	char *dir = paths_state_dir();
	char *p = paths_join(dir, "katod.log");
	free(dir);
	return p;
}

/* Run argv, stdout to /dev/null unless `out` (then its first line goes to
 * out, at most n bytes). The exit status, or -1 if it could not run. */
static int run(char *const argv[], char *out, size_t n)
{
	int pfd[2] = {-1, -1};
	if (out && pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(out ? pfd[1] : null, STDOUT_FILENO);
		if (out) {
			dup2(null, STDERR_FILENO);
			close(pfd[0]);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		size_t got = 0;
		ssize_t r;
		while (got + 1 < n && (r = read(pfd[0], out + got, n - 1 - got)) > 0)
			got += (size_t)r;
		out[got] = '\0';
		out[strcspn(out, "\n")] = '\0';
		close(pfd[0]);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* systemctl --user is-active katod says "active". */
static bool under_systemd(void)
{
	char out[64];
	char *argv[] = {"systemctl", "--user", "is-active", "katod", NULL};
	return run(argv, out, sizeof out) == 0 && !strcmp(out, "active");
}

static int systemctl(const char *verb)
{
	printf("katod runs under systemd (katod.service is active): systemctl --user %s katod\n", verb);
	fflush(stdout);
	char *argv[] = {"systemctl", "--user", (char *)verb, "katod", NULL};
	int rc = run(argv, NULL, 0);
	if (rc != 0) {
		fprintf(stderr, "kato: systemctl --user %s katod failed (status %d); see journalctl --user -u katod\n",
			verb, rc);
		return EXIT_FAILURE;
	}
	return 0;
}

/* One request to katod; the parsed answer (ok or not), or NULL with
 * errno when katod does not answer. */
static struct json_object *ask(const char *request, int timeout_ms)
{
	char *path = control_socket_path();
	char *reply = NULL;
	int rc = control_request(path, request, &reply, timeout_ms);
	int e = errno;
	free(path);
	if (rc < 0) {
		errno = e;
		return NULL;
	}
	struct json_object *o = pj_parse(reply, strlen(reply));
	free(reply);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		errno = EPROTO;
		return NULL;
	}
	return o;
}

static bool answer_ok(struct json_object *o, const char **error)
{
	struct json_object *v;
	*error = "no answer";
	if (!o)
		return false;
	if (json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v))
		return true;
	*error = json_object_object_get_ex(o, "error", &v) ? json_object_get_string(v) : "failed";
	return false;
}

/* ---------------------------------------------------------------- start */

/* The katod next to this kato (a build tree, or the same bin directory),
 * else katod from PATH. */
static char *katod_binary(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *p = paths_join(self, "katod");
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("katod");
}

/* The log lines written since `from` that say what went wrong (its
 * warnings and errors, else its last lines), on stderr. */
static void print_log_errors(const char *path, off_t from)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fseeko(f, from, SEEK_SET) < 0)
		fseeko(f, 0, SEEK_SET);
	char line[4096];
	char *last[5] = {0};
	int shown = 0, n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "error:") || strstr(line, "warning:")) {
			fprintf(stderr, "  %s", line);
			shown++;
		}
		free(last[n % 5]);
		last[n++ % 5] = xstrdup(line);
	}
	fclose(f);
	for (int i = n > 5 ? n - 5 : 0; !shown && i < n; i++)
		fprintf(stderr, "  %s", last[i % 5]);
	if (!shown && !n)
		fprintf(stderr, "  (nothing in its log %s)\n", path);
	for (int i = 0; i < 5; i++)
		free(last[i]);
}

static int start(const char *config, bool verbose)
{
	long pid = status_katod_pid();
	if (pid) {
		printf("katod is already running (pid %ld)\n", pid);
		return 0;
	}
	char *log = log_path(), *dir = paths_state_dir(), *why = NULL;
	int fd = paths_private_dir(dir, &why) < 0 ? -1 : paths_open_private(log, O_WRONLY | O_CREAT | O_APPEND, &why);
	free(dir);
	if (fd < 0) {
		fprintf(stderr, "kato: cannot start katod: log file %s %s\n", log, why ? why : strerror(errno));
		free(why);
		free(log);
		return EXIT_FAILURE;
	}
	struct stat st;
	off_t from = fstat(fd, &st) == 0 ? st.st_size : 0;
	char *bin = katod_binary();
	char *argv[6];
	int k = 0;
	argv[k++] = bin;
	if (config) {
		argv[k++] = "--config";
		argv[k++] = (char *)config;
	}
	if (verbose)
		argv[k++] = "--verbose";
	argv[k] = NULL;
	pid_t child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO); /* what katod says before it detaches */
		execvp(bin, argv);
		fprintf(stderr, "kato: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(fd);
	int status = 0, rc = EXIT_FAILURE;
	while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "kato: katod did not start (%s %s):\n", bin,
			child < 0 ? strerror(errno) : "exited with an error");
		print_log_errors(log, from);
		goto out;
	}
	/* katod detached: wait until it answers, or has gone */
	int64_t deadline = mono_ms() + START_WAIT_MS;
	while (mono_ms() < deadline) {
		struct json_object *o = ask("{\"v\":1,\"cmd\":\"status\",\"limit\":0}", 1000);
		const char *err;
		if (answer_ok(o, &err)) {
			json_object_put(o);
			printf("katod started (pid %ld); log: %s\n", status_katod_pid(), log);
			rc = 0;
			goto out;
		}
		json_object_put(o);
		/* katod takes its lock first thing after detaching: give it a
		 * moment, then a free lock means it has exited */
		if (mono_ms() > deadline - START_WAIT_MS + 500 && status_katod_pid() == 0) {
			fprintf(stderr, "kato: katod exited at once:\n");
			print_log_errors(log, from);
			goto out;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "kato: katod did not answer on its control socket within %d s:\n", START_WAIT_MS / 1000);
	print_log_errors(log, from);
out:
	free(bin);
	free(log);
	return rc;
}

static int start_opts(int argc, char **argv, const char *help, const char **config, bool *verbose)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'v': *verbose = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: return usage(help, "invalid option", NULL);
		}
	}
	if (optind < argc)
		return usage(help, "unexpected argument", argv[optind]);
	return -1;
}

int kato_start(int argc, char **argv)
{
	const char *config = NULL;
	bool verbose = false;
	int rc = start_opts(argc, argv, kato_start_help, &config, &verbose);
	if (rc >= 0)
		return rc;
	if (under_systemd())
		return systemctl("start");
	return start(config, verbose);
}

/* ---------------------------------------------------------------- stop */

/* The process has exited (a zombie counts: it only waits to be reaped). */
static bool gone(long pid)
{
	if (kill((pid_t)pid, 0) < 0)
		return errno == ESRCH;
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z';
}

static int stop(void)
{
	long pid = status_katod_pid();
	if (!pid) {
		printf("katod is not running\n");
		return 0;
	}
	struct json_object *o = ask("{\"v\":1,\"cmd\":\"stop\"}", 2000);
	const char *err;
	if (!answer_ok(o, &err)) {
		const char *reason = o ? err : strerror(errno);
		if (pid < 0) {
			fprintf(stderr, "kato: katod does not answer on its control socket (%s) and its lock file names "
				"no pid; stop it by hand\n", reason);
			json_object_put(o);
			return EXIT_FAILURE;
		}
		printf("katod does not answer on its control socket (%s): sending SIGTERM to pid %ld\n", reason, pid);
		if (kill((pid_t)pid, SIGTERM) < 0 && errno != ESRCH) {
			fprintf(stderr, "kato: cannot signal katod (pid %ld): %s\n", pid, strerror(errno));
			json_object_put(o);
			return EXIT_FAILURE;
		}
	}
	json_object_put(o);
	int64_t deadline = mono_ms() + STOP_WAIT_MS;
	while (status_katod_pid() != 0 || (pid > 0 && !gone(pid))) {
		if (mono_ms() > deadline) {
			fprintf(stderr, "kato: katod (pid %ld) has not exited after %d s; see kato logs, or kill -9 %ld\n",
				pid, STOP_WAIT_MS / 1000, pid);
			return EXIT_FAILURE;
		}
		sleep_ms(20);
	}
	if (pid > 0)
		printf("katod stopped (pid %ld)\n", pid);
	else
		printf("katod stopped\n");
	return 0;
}

int kato_stop(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(kato_stop_help, stdout);
			return 0;
		}
		return usage(kato_stop_help, "invalid option", NULL);
	}
	if (optind < argc)
		return usage(kato_stop_help, "unexpected argument", argv[optind]);
	if (under_systemd())
		return systemctl("stop");
	return stop();
}

int kato_restart(int argc, char **argv)
{
	const char *config = NULL;
	bool verbose = false;
	int rc = start_opts(argc, argv, kato_restart_help, &config, &verbose);
	if (rc >= 0)
		return rc;
	if (under_systemd())
		return systemctl("restart");
	rc = stop();
	return rc ? rc : start(config, verbose);
}

/* ---------------------------------------------------------------- logs */

/* The last n lines of the text in b, written to stdout. */
static void print_tail(const struct buf *b, long n)
{
	if (!b->len || n <= 0)
		return;
	size_t i = b->len;
	if (b->p[i - 1] == '\n')
		i--;
	long lines = 0;
	while (i > 0) {
		if (b->p[i - 1] == '\n' && ++lines == n)
			break;
		i--;
	}
	fwrite(b->p + i, 1, b->len - i, stdout);
}

static void add_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char tmp[65536];
	size_t r;
	while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(b, tmp, r);
	fclose(f);
}

static volatile sig_atomic_t follow_stop;
static void on_int(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* Print what is appended to path; a rotated (renamed) log is read to its
 * end and the new one from its start; a truncated one from its start. */
static int follow(const char *path, off_t pos)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		lseek(fd, pos, SEEK_SET);
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	setvbuf(stdout, NULL, _IONBF, 0);
	char tmp[65536];
	while (!follow_stop) {
		ssize_t r;
		while (fd >= 0 && (r = read(fd, tmp, sizeof tmp)) > 0)
			if (fwrite(tmp, 1, (size_t)r, stdout) != (size_t)r)
				return EXIT_FAILURE;
		struct stat now, cur;
		if (stat(path, &now) == 0 && (fd < 0 || fstat(fd, &cur) < 0 || cur.st_ino != now.st_ino ||
					      cur.st_dev != now.st_dev)) {
			if (fd >= 0)
				close(fd); /* read to its end above */
			fd = open(path, O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (fd >= 0 && lseek(fd, 0, SEEK_CUR) > now.st_size)
			lseek(fd, 0, SEEK_SET); /* emptied by kato clean --logs */
		sleep_ms(200);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int kato_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool fol = false;
	long n = 50;
	const char *narg = "50";
	int c;
	while ((c = getopt_long(argc, argv, "fn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fol = true; break;
		case 'n':
			if (cli_parse_count(optarg, 0, 10000000, &n) < 0)
				return usage(kato_logs_help, "-n needs a number from 0 to 10000000, got", optarg);
			narg = optarg;
			break;
		case 'h': fputs(kato_logs_help, stdout); return 0;
		default: return usage(kato_logs_help, "invalid option", NULL);
		}
	}
	if (optind < argc)
		return usage(kato_logs_help, "unexpected argument", argv[optind]);
	if (under_systemd()) {
		char *jargv[] = {"journalctl", "--user", "-u", "katod", "-n", (char *)narg, fol ? "-f" : NULL, NULL};
		fflush(stdout);
		execvp("journalctl", jargv);
		fprintf(stderr, "kato: katod runs under systemd but journalctl cannot be run: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	char *path = log_path();
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "kato: no log at %s: katod has not run in the background yet (kato start); "
			"under systemd its log is in the journal (journalctl --user -u katod)\n", path);
		free(path);
		return EXIT_FAILURE;
	}
	struct buf b = BUF_INIT;
	struct buf old = BUF_INIT;
	buf_printf(&old, "%s.1", path);
	add_file(&b, old.p);
	buf_free(&old);
	size_t before = b.len;
	add_file(&b, path);
	print_tail(&b, n);
	fflush(stdout);
	off_t pos = (off_t)(b.len - before);
	buf_free(&b);
	int rc = fol ? follow(path, pos) : 0;
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- status */

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)n, path);
		struct json_object *v = NULL;
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
			return NULL;
		o = v;
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *gs(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long gi(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);
	return v && json_object_is_type(v, json_type_int) ? (long long)json_object_get_int64(v) : -1;
}

static void print_bytes(long long n)
{
	if (n < 1024)
		printf("%lld B", n);
	else if (n < 1024 * 1024)
		printf("%.1f KiB", (double)n / 1024);
	else
		printf("%.1f MiB", (double)n / (1024 * 1024));
}

static void print_status(struct json_object *st)
{
	bool running = json_object_get_boolean(get(st, "katod.running"));
	bool answering = json_object_get_boolean(get(st, "katod.answering"));
	long long pid = gi(st, "katod.pid");
	if (running && answering) {
		long long up = gi(st, "katod.uptimeSeconds");
		printf("katod: running (pid %lld), version %s, up %lldd %02lld:%02lld:%02lld\n", pid,
		       gs(st, "katod.version") ? gs(st, "katod.version") : "?", up / 86400, up / 3600 % 24, up / 60 % 60,
		       up % 60);
	} else if (running) {
		printf("katod: running (pid %lld) but not answering on its control socket; what the store knows:\n", pid);
	} else {
		printf("katod: not running (start it with: kato start); what the store knows:\n");
	}
	long long unwatched = gi(st, "katod.unwatchedDirectories");
	if (unwatched > 0)
		printf("watch limit: reached; %lld director%s not watched, re-scanned every 10 s instead.\n"
		       "  Raise it: sysctl fs.inotify.max_user_watches=524288 (persist it in\n"
		       "  /etc/sysctl.d/), then restart katod\n",
		       unwatched, unwatched == 1 ? "y is" : "ies are");
	printf("store: %lld session(s), %lld event(s), %lld file(s); %s (", gi(st, "store.sessions"),
	       gi(st, "store.events"), gi(st, "store.files"), gs(st, "store.path"));
	print_bytes(gi(st, "store.bytes"));
	printf(")\n");
	struct json_object *roots = get(st, "roots");
	if (roots && json_object_is_type(roots, json_type_array)) {
		printf("roots:\n");
		for (size_t i = 0; i < json_object_array_length(roots); i++) {
			struct json_object *r = json_object_array_get_idx(roots, i);
			printf("  %-8s %s  %s%s%s\n", gs(r, "provider"), gs(r, "path"), gs(r, "state"),
			       gs(r, "reason") ? ": " : "", gs(r, "reason") ? gs(r, "reason") : "");
		}
	}
	if (gi(st, "watch.directories") >= 0)
		printf("watches: %lld director%s for %lld file(s); fs.inotify.max_user_watches = %lld\n",
		       gi(st, "watch.directories"), gi(st, "watch.directories") == 1 ? "y" : "ies", gi(st, "watch.files"),
		       gi(st, "watch.maxUserWatches"));
	printf("backlog: %lld file(s), ", gi(st, "backlog.files"));
	print_bytes(gi(st, "backlog.bytes"));
	printf(" not read yet\n");
	struct json_object *prov = get(st, "drift.providers");
	struct json_object *silent = get(st, "drift.silentFiles");
	size_t np = prov ? json_object_array_length(prov) : 0;
	size_t ns = silent && json_object_is_type(silent, json_type_array) ? json_object_array_length(silent) : 0;
	if (!np && !ns) {
		printf("format drift: none\n");
	} else {
		printf("format drift (records skipped or of unknown types) since %s:\n",
		       gs(st, "drift.since") ? gs(st, "drift.since") : "?");
		for (size_t i = 0; i < np; i++) {
			/* what may be drift is named (unknown types, lines that could
			 * not be read); the types a provider skips by design are
			 * only counted here (kato status --json lists them) */
			struct json_object *p = json_object_array_get_idx(prov, i);
			struct buf unknown = BUF_INIT, bad = BUF_INIT;
			long long nbad = 0, nknown = 0;
			json_object_object_foreach(get(p, "counts"), k, v) {
				long long n = (long long)json_object_get_int64(v);
				bool is_unknown = !strncmp(k, "unknown:", 8), is_bad = !strncmp(k, "bad", 3);
				if (is_unknown || is_bad) {
					struct buf *b = is_unknown ? &unknown : &bad;
					buf_printf(b, "%s%s %lld", b->len ? ", " : "", k, n);
					nbad += is_bad ? n : 0;
				} else {
					nknown += n;
				}
			}
			printf("  %s: %lld skipped: %lld of unknown types%s%s%s, %lld unreadable%s%s%s, "
			       "%lld of types kato does not keep\n",
			       gs(p, "provider"), gi(p, "skipped"), gi(p, "unknown"), unknown.len ? " (" : "",
			       buf_str(&unknown), unknown.len ? ")" : "", nbad, bad.len ? " (" : "", buf_str(&bad),
			       bad.len ? ")" : "", nknown);
			buf_free(&unknown);
			buf_free(&bad);
		}
		if (ns)
			printf("  files that grew without yielding any event:\n");
		for (size_t i = 0; i < ns; i++) {
			struct json_object *f = json_object_array_get_idx(silent, i);
			printf("    %s (", gs(f, "path"));
			print_bytes(gi(f, "bytes"));
			printf(")\n");
		}
	}
	struct json_object *recs = get(st, "recordings");
	size_t nr = recs ? json_object_array_length(recs) : 0;
	printf("recordings: %zu\n", nr);
	for (size_t i = 0; i < nr; i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);
		printf("  %-8s %.8s  %s%s\n", json_object_get_boolean(get(r, "active")) ? "active" : "off",
		       gs(r, "session"), gs(r, "path"),
		       json_object_get_boolean(get(r, "pendingAppend")) ? "  (an append is waiting to be retried)" : "");
	}
	printf("last in-chat commands (newest first):\n");
	struct json_object *cmds = get(st, "commands");
	for (size_t i = 0; cmds && i < json_object_array_length(cmds); i++) {
		struct json_object *c = json_object_array_get_idx(cmds, i);
		const char *name = gs(c, "command"), *arg = gs(c, "argument"), *target = gs(c, "target"),
			   *reason = gs(c, "reason");
		bool named = name && name[0] != '(';
		printf("  %s  %.8s  line %-3lld %s%s%s%s  %s%s%s%s%s\n", gs(c, "at"), gs(c, "session"), gi(c, "line"),
		       named ? "::" : "", name, arg ? " " : "", arg ? arg : "", gs(c, "outcome"), target ? " " : "",
		       target ? target : "", reason ? ": " : "", reason ? reason : "");
	}
}

int kato_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false;
	long limit = 20;
	int c;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n':
			if (cli_parse_count(optarg, 0, 100000, &limit) < 0)
				return usage(kato_status_help, "-n needs a number from 0 to 100000, got", optarg);
			break;
		case 'h': fputs(kato_status_help, stdout); return 0;
		default: return usage(kato_status_help, "invalid option for status", NULL);
		}
	}
	if (optind < argc)
		return usage(kato_status_help, "unexpected argument", argv[optind]);
	long pid = status_katod_pid();
	struct json_object *answer = NULL, *st = NULL;
	if (pid) {
		char req[80];
		snprintf(req, sizeof req, "{\"v\":1,\"cmd\":\"status\",\"limit\":%ld}", limit);
		answer = ask(req, 3000);
		const char *err;
		if (answer_ok(answer, &err))
			st = get(answer, "status");
		else
			fprintf(stderr, "kato: katod (pid %ld) does not answer on its control socket (%s); showing what the "
				"store knows\n", pid, answer ? err : strerror(errno));
	}
	struct buf b = BUF_INIT;
	if (!st) {
		struct store *s;
		if (cli_open_store(true, &s) < 0) {
			json_object_put(answer);
			return EXIT_FAILURE;
		}
		int rc = status_json(s, NULL, pid, (int)limit, &b);
		store_close(s);
		if (rc < 0) {
			json_object_put(answer);
			buf_free(&b);
			fprintf(stderr, "kato: cannot read the store\n");
			return EXIT_FAILURE;
		}
		json_object_put(answer);
		answer = pj_parse(b.p, b.len);
		st = answer;
	}
	if (json) {
		buf_reset(&b);
		json_add_value(&b, st);
		buf_addc(&b, '\n');
		fputs(b.p, stdout);
	} else {
		print_status(st);
	}
	buf_free(&b);
	json_object_put(answer);
	return 0;
}

/* ---------------------------------------------------------------- clean */

static int positive_days(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v <= 0 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

int kato_clean(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sessions", required_argument, NULL, 's'},
		{"recordings", required_argument, NULL, 'r'},
		{"all", no_argument, NULL, 'a'},
		{"logs", no_argument, NULL, 'l'},
		{"dry-run", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct clean_opts o = {0};
	bool json = false;
	int recordings = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (positive_days(optarg, &o.sessions_days) < 0)
				return usage(kato_clean_help, "--sessions must be a positive integer, got", optarg);
			break;
		case 'r':
			if (positive_days(optarg, &recordings) < 0)
				return usage(kato_clean_help, "--recordings must be a positive integer, got", optarg);
			break;
		case 'a':
		case 'l': o.logs = true; break;
		case 'd': o.dry_run = true; break;
		case 'j': json = true; break;
		case 'h': fputs(kato_clean_help, stdout); return 0;
		default: return usage(kato_clean_help, "invalid option for clean", NULL);
		}
	}
	if (optind < argc)
		return usage(kato_clean_help, "unexpected argument", argv[optind]);
	if (!o.sessions_days && !o.logs && !recordings)
		return usage(kato_clean_help, "clean needs one of --all, --logs, --recordings DAYS or --sessions DAYS",
			     NULL);
	struct buf out = BUF_INIT;
	long pid = status_katod_pid();
	const char *by = "kato";
	if (pid) {
		struct buf req = BUF_INIT;
		buf_printf(&req, "{\"v\":1,\"cmd\":\"clean\",\"sessionsDays\":%d,\"logs\":%s,\"dryRun\":%s}", o.sessions_days,
			   o.logs ? "true" : "false", o.dry_run ? "true" : "false");
		struct json_object *a = ask(req.p, 30000);
		buf_free(&req);
		const char *err;
		if (!answer_ok(a, &err)) {
			fprintf(stderr, "kato: clean: katod (pid %ld) %s: %s%s\n", pid, a ? "refused" : "does not answer",
				a ? err : strerror(errno), a ? "" : "; stop it (kato stop) and run kato clean again");
			json_object_put(a);
			return EXIT_FAILURE;
		}
		json_object_object_del(a, "v");
		json_object_object_del(a, "ok");
		json_object_object_foreach(a, k, v) {
			buf_printf(&out, ",\"%s\":", k);
			json_add_value(&out, v);
		}
		json_object_put(a);
		by = "katod";
	} else {
		struct store *s;
		char *err = NULL;
		if (cli_open_store(o.dry_run, &s) < 0)
			return EXIT_FAILURE;
		int rc = clean_run(s, &o, &out, &err);
		store_close(s);
		if (rc < 0) {
			fprintf(stderr, "kato: clean: %s\n", err);
			free(err);
			buf_free(&out);
			return EXIT_FAILURE;
		}
	}
	struct buf full = BUF_INIT;
	buf_printf(&full, "{\"by\":\"%s\"%s,\"recordingsDays\":", by, out.p);
	if (recordings)
		buf_printf(&full, "%d}", recordings);
	else
		buf_adds(&full, "null}");
	buf_free(&out);
	struct json_object *r = pj_parse(full.p, full.len);
	if (json) {
		fputs(full.p, stdout);
		putchar('\n');
	} else {
		printf("clean completed mode=%s by=%s", gs(r, "mode"), by);
		if (o.sessions_days)
			printf(" sessions=%dd sessions%s=%lld events%s=%lld", o.sessions_days,
			       o.dry_run ? "ToDelete" : "Deleted", gi(r, "sessions"), o.dry_run ? "ToDelete" : "Deleted",
			       gi(r, "events"));
		if (o.logs)
			printf(" %s=%lld", o.dry_run ? "logsToFlush" : "logsFlushed", gi(r, "logFiles"));
		if (recordings)
			printf(" recordings=%dd (recording files are never deleted)", recordings);
		printf("\n");
	}
	json_object_put(r);
	buf_free(&full);
	return 0;
}
