/* SPDX-License-Identifier: Apache-2.0 */
/* control: the control socket answers its own user's well-formed
 * requests and drops everyone else without ever making the next client
 * wait: another uid, garbage, a huge request, a client that hangs up half
 * way or never writes, too many clients, a wrong protocol version. */
#include "autoconfig.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "control.h"
#include "testutil.h"

static int handler(void *ud, const char *cmd, struct json_object *req, struct buf *members, char **err)
{
	(void)req;
	if (!strcmp(cmd, "status")) {
		buf_adds(members, ",\"pong\":true");
		return 0;
	}
	if (!strcmp(cmd, "stop")) {
		*(bool *)ud = true;
		return 0;
	}
	struct buf b = BUF_INIT;
	buf_printf(&b, "unknown command: %s", cmd);
	*err = buf_take(&b);
	return -1;
}

/* A server in a child process, like katod's loop: it stops on "stop" or
 * after 20 s. */
static pid_t serve(const char *path, int timeout_ms)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	bool stop = false;
	struct control *c;
	char *err = NULL;
	if (control_open(path, handler, &stop, &c, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		_exit(3);
	}
	control_set_timeout(c, timeout_ms);
	/* ready: the test polls the socket */
	for (int i = 0; i < 400 && !stop; i++) {
		struct pollfd p = {control_fd(c), POLLIN, 0};
		if (poll(&p, 1, 50) > 0)
			control_dispatch(c);
	}
	control_close(c);
	_exit(0);
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *wait_ready(const char *path)
{
	char *reply = NULL;
	for (int i = 0; i < 100; i++) {
		if (control_request(path, "{\"v\":1,\"cmd\":\"status\"}", &reply, 1000) == 0)
			return reply;
		usleep(20000);
	}
	ck_abort_msg("the control server did not come up");
	return NULL;
}

static void finish(const char *path, pid_t pid)
{
	char *reply = NULL;
	ck_assert_int_eq(control_request(path, "{\"v\":1,\"cmd\":\"stop\"}", &reply, 2000), 0);
	free(reply);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the socket file is gone with the server */
	ck_assert_int_eq(access(path, F_OK), -1);
}

static int raw_connect(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* Everything the server says before it closes (at most 4 KiB). */
static char *read_all(int fd)
{
	static char b[4096];
	size_t n = 0;
	ssize_t r;
	while (n + 1 < sizeof b && (r = read(fd, b + n, sizeof b - 1 - n)) > 0)
		n += (size_t)r;
	b[n] = '\0';
	return b;
}

/* The next client is answered at once, whatever the others do. */
static void answered_promptly(const char *path)
{
	char *reply = NULL;
	int64_t t0 = ms_now();
	ck_assert_int_eq(control_request(path, "{\"v\":1,\"cmd\":\"status\"}", &reply, 2000), 0);
	ck_assert_msg(ms_now() - t0 < 500, "answered after %lld ms", (long long)(ms_now() - t0));
	ck_assert_str_eq(reply, "{\"v\":1,\"ok\":true,\"pong\":true}");
	free(reply);
}

START_TEST(round_trip_and_errors)
{
	char *dir = tu_tmpdir();
	char *path = paths_join(dir, "katod.sock");
	/* a stale socket file from a killed katod is replaced */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	ck_assert_int_eq(bind(stale, (struct sockaddr *)&sa, sizeof sa), 0);
	close(stale);
	pid_t pid = serve(path, 2000);
	char *reply = wait_ready(path);
	ck_assert_str_eq(reply, "{\"v\":1,\"ok\":true,\"pong\":true}");
	free(reply);
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	const char *bad[][2] = {
		{"{\"v\":2,\"cmd\":\"status\"}", "unsupported protocol version 2"},
		{"{\"cmd\":\"status\"}", "no protocol version"},
		{"{\"v\":1}", "no \\\"cmd\\\""},
		{"{\"v\":1,\"cmd\":\"frobnicate\"}", "unknown command: frobnicate"},
		{"hello there", "not one JSON object"},
		{"[1,2,3]", "not one JSON object"},
		{"{\"v\":1,\"cmd\":\"status\"", "not one JSON object"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(control_request(path, bad[i][0], &reply, 2000), 0);
		ck_assert_msg(strstr(reply, "\"ok\":false") && strstr(reply, bad[i][1]), "%s -> %s", bad[i][0], reply);
		free(reply);
	}
	answered_promptly(path);
	finish(path, pid);
	free(path);
	free(dir);
}
END_TEST

START_TEST(hostile_clients_do_not_hold_the_server)
{
	char *dir = tu_tmpdir();
	char *path = paths_join(dir, "katod.sock");
	pid_t pid = serve(path, 300);
	free(wait_ready(path));

	/* one that connects and never writes: the next client is answered
	 * at once, and the silent one is dropped after the timeout */
	int idle = raw_connect(path);
	answered_promptly(path);
	int64_t t0 = ms_now();
	ck_assert_str_eq(read_all(idle), "");
	ck_assert_msg(ms_now() - t0 < 1500, "idle client dropped after %lld ms", (long long)(ms_now() - t0));
	close(idle);

	/* one that hangs up half way */
	int half = raw_connect(path);
	ck_assert_int_eq(write(half, "{\"v\":1,\"cm", 10), 10);
	close(half);
	answered_promptly(path);

	/* 1 MiB without a newline: an error, and dropped */
	int big = raw_connect(path);
	size_t n = 1 << 20, sent = 0;
	char *junk = xmalloc(n);
	memset(junk, 'x', n);
	signal(SIGPIPE, SIG_IGN);
	while (sent < n) {
		ssize_t w = send(big, junk + sent, n - sent, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the server closed on us: good */
		sent += (size_t)w;
	}
	ck_assert_msg(sent < n, "the server read a whole 1 MiB request");
	close(big);
	free(junk);
	answered_promptly(path);

	/* a 1 MiB request through the client function: an error, no hang */
	junk = xmalloc(n + 1);
	memset(junk, ' ', n);
	junk[n] = '\0';
	junk[0] = '{';
	char *reply = NULL;
	t0 = ms_now();
	int rc = control_request(path, junk, &reply, 2000);
	ck_assert_msg(rc < 0 || strstr(reply, "too long"), "%s", reply);
	ck_assert(ms_now() - t0 < 2500);
	free(reply);
	free(junk);
	answered_promptly(path);

	/* more clients than the cap: the extra one is told, the rest served
	 * as soon as the silent ones are dropped */
	int many[CONTROL_MAX_CLIENTS];
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		many[i] = raw_connect(path);
	usleep(100000);
	ck_assert_int_eq(control_request(path, "{\"v\":1,\"cmd\":\"status\"}", &reply, 2000), 0);
	ck_assert_msg(strstr(reply, "too many clients"), "%s", reply);
	free(reply);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		close(many[i]);
	usleep(100000);
	answered_promptly(path);
	finish(path, pid);
	free(path);
	free(dir);
}
END_TEST

/* A client of another uid is refused with a line that says why. CI runs
 * as root, so the test can become uid 65534 in a child. */
START_TEST(another_uid_is_refused)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP another_uid_is_refused: needs root to act as another uid "
				"(the check runs in CI, which is root)\n");
		return;
	}
	char *dir = tu_tmpdir();
	ck_assert_int_eq(chmod(dir, 0711), 0);
	char *path = paths_join(dir, "katod.sock");
	pid_t pid = serve(path, 2000);
	free(wait_ready(path));
	/* test only: let the other user reach the socket at all, so that the
	 * peer check (not the file mode) is what refuses it */
	ck_assert_int_eq(chmod(path, 0666), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		char *reply = NULL;
		if (control_request(path, "{\"v\":1,\"cmd\":\"stop\"}", &reply, 2000) < 0)
			_exit(11);
		_exit(strstr(reply, "\"ok\":false") && strstr(reply, "permission denied") ? 0 : 12);
	}
	int st;
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "other uid: child status %d", WEXITSTATUS(st));
	/* its "stop" was not obeyed */
	answered_promptly(path);
	finish(path, pid);
	free(path);
	free(dir);
}
END_TEST

START_TEST(a_file_in_the_way_is_not_removed)
{
	char *dir = tu_tmpdir();
	char *path = paths_join(dir, "katod.sock");
	tu_write(path, "mine\n", 5, O_TRUNC);
	struct control *c = NULL;
	char *err = NULL;
	bool stop = false;
	ck_assert_int_eq(control_open(path, handler, &stop, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is not a socket"));
	free(err);
	char *s = tu_read(path, NULL);
	ck_assert_str_eq(s, "mine\n");
	free(s);
	/* nobody listening */
	char *reply = NULL;
	char *none = paths_join(dir, "none.sock");
	ck_assert_int_eq(control_request(none, "{\"v\":1,\"cmd\":\"status\"}", &reply, 500), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(none);
	free(path);
	free(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, round_trip_and_errors);
	tcase_add_test(tc, hostile_clients_do_not_hold_the_server);
	tcase_add_test(tc, another_uid_is_refused);
	tcase_add_test(tc, a_file_in_the_way_is_not_removed);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(make_suite)
