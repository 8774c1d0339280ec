/* SPDX-License-Identifier: Apache-2.0 */
/* control: katod's control socket; see control.h. The server never
 * blocks: every socket is non-blocking, a request is read into a bounded
 * buffer, an answer that does not fit the socket is written as the
 * client reads it, and a client that takes longer than the timeout, in
 * all, is dropped. */
#include "autoconfig.h"

#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "paths.h"

/* An answer longer than this is cut by the client (kato status with
 * every command outcome stays far below). */
#define CONTROL_MAX_REPLY (64 << 20)

struct client {
	int fd; /* -1: free slot */
	struct buf in;
	struct buf out;
	size_t sent;
	int64_t deadline_ms;
};

struct control {
	int ep;  /* epoll of lfd, tfd and the clients */
	int lfd; /* listening socket */
	int tfd; /* timerfd: the next client deadline */
	char *path;
	control_handler handler;
	void *ud;
	int timeout_ms;
	struct client clients[CONTROL_MAX_CLIENTS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *control_socket_path(void)
{
	char *dir = paths_runtime_dir();
	char *p = paths_join(dir, "katod.sock");
	free(dir);
	return p;
}

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);
	if (n >= sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	return 0;
}

/* ---------------------------------------------------------------- server */

static void arm(struct control *c)
{
	int64_t due = 0;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0 && (!due || c->clients[i].deadline_ms < due))
			due = c->clients[i].deadline_ms;
	struct itimerspec its = {{0, 0}, {0, 0}};
	if (due) {
		int64_t wait = due - mono_ms();
		if (wait < 1)
			wait = 1;
		its.it_value.tv_sec = wait / 1000;
		its.it_value.tv_nsec = (wait % 1000) * 1000000;
	}
	timerfd_settime(c->tfd, 0, &its, NULL);
}

static void drop(struct control *c, struct client *cl)
{
	epoll_ctl(c->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	cl->fd = -1;
	buf_free(&cl->in);
	buf_free(&cl->out);
	cl->sent = 0;
}

/* Write what is left of the answer; drop the client once it is all
 * written (or the client went away). */
static void flush_out(struct control *c, struct client *cl)
{
	while (cl->sent < cl->out.len) {
		ssize_t n = send(cl->fd, cl->out.p + cl->sent, cl->out.len - cl->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.fd = cl->fd};
			epoll_ctl(c->ep, EPOLL_CTL_MOD, cl->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		cl->sent += (size_t)n;
	}
	drop(c, cl);
}

static void answer_error(struct buf *out, const char *msg)
{
	buf_printf(out, "{\"v\":%d,\"ok\":false,\"error\":", CONTROL_VERSION);
	json_add_str(out, msg);
	buf_adds(out, "}\n");
}

/* Best effort for a connection that is refused at once. */
static void refuse(int fd, const char *msg)
{
	struct buf b = BUF_INIT;
	answer_error(&b, msg);
	ssize_t n = send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	buf_free(&b);
	close(fd);
}

/* A whole request line is in cl->in: answer it. */
static void handle(struct control *c, struct client *cl, size_t len)
{
	struct json_object *req = pj_parse(cl->in.p, len);
	struct json_object *v = NULL, *cmd = NULL;
	buf_reset(&cl->out);
	if (!req || !json_object_is_type(req, json_type_object)) {
		answer_error(&cl->out, "bad request: not one JSON object on one line");
		log_debug("control socket: a request that is not a JSON object");
	} else if (!json_object_object_get_ex(req, "v", &v) || !json_object_is_type(v, json_type_int)) {
		answer_error(&cl->out, "bad request: no protocol version (\"v\":1)");
	} else if (json_object_get_int64(v) != CONTROL_VERSION) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "unsupported protocol version %lld: this katod speaks version %d; use the kato of "
			   "the same release",
			   (long long)json_object_get_int64(v), CONTROL_VERSION);
		answer_error(&cl->out, m.p);
		buf_free(&m);
	} else if (!json_object_object_get_ex(req, "cmd", &cmd) || !json_object_is_type(cmd, json_type_string)) {
		answer_error(&cl->out, "bad request: no \"cmd\"");
	} else {
		struct buf members = BUF_INIT;
		char *err = NULL;
		if (c->handler(c->ud, json_object_get_string(cmd), req, &members, &err) < 0) {
			answer_error(&cl->out, err ? err : "failed");
		} else {
			buf_printf(&cl->out, "{\"v\":%d,\"ok\":true", CONTROL_VERSION);
			buf_add(&cl->out, members.p ? members.p : "", members.len);
			buf_adds(&cl->out, "}\n");
		}
		free(err);
		buf_free(&members);
	}
	json_object_put(req);
	buf_free(&cl->in);
	cl->sent = 0;
	flush_out(c, cl);
}

static void on_readable(struct control *c, struct client *cl)
{
	char tmp[16384];
	for (;;) {
		ssize_t n = recv(cl->fd, tmp, sizeof tmp, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* hung up before a whole line: nothing to answer */
			log_debug("control socket: a client hung up before its request was complete");
			drop(c, cl);
			return;
		}
		size_t old = cl->in.len;
		buf_add(&cl->in, tmp, (size_t)n);
		char *nl = memchr(cl->in.p + old, '\n', (size_t)n);
		if (nl) {
			handle(c, cl, (size_t)(nl - cl->in.p));
			return;
		}
		if (cl->in.len > CONTROL_MAX_REQUEST) {
			log_debug("control socket: a request over %d bytes; dropped", CONTROL_MAX_REQUEST);
			buf_free(&cl->in);
			answer_error(&cl->out, "request too long (the limit is 64 KiB)");
			flush_out(c, cl);
			return;
		}
	}
}

static void on_accept(struct control *c)
{
	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn("control socket: accept: %s", strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		socklen_t len = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
			log_warn("control socket: refused a connection from uid %ld (pid %ld): only katod's own "
				 "user may use it",
				 (long)cred.uid, (long)cred.pid);
			refuse(fd, "permission denied: this katod belongs to another user");
			continue;
		}
		struct client *cl = NULL;
		for (int i = 0; i < CONTROL_MAX_CLIENTS && !cl; i++)
			if (c->clients[i].fd < 0)
				cl = &c->clients[i];
		if (!cl) {
			log_debug("control socket: %d clients already; one refused", CONTROL_MAX_CLIENTS);
			refuse(fd, "busy: too many clients at once; try again");
			continue;
		}
		cl->fd = fd;
		cl->deadline_ms = mono_ms() + c->timeout_ms;
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			cl->fd = -1;
		}
	}
}

static void expire(struct control *c)
{
	uint64_t ticks;
	if (read(c->tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_debug("control timer: %s", strerror(errno));
	int64_t now = mono_ms();
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct client *cl = &c->clients[i];
		if (cl->fd >= 0 && cl->deadline_ms <= now) {
			log_debug("control socket: a client took over %d ms; dropped", c->timeout_ms);
			drop(c, cl);
		}
	}
}

void control_dispatch(struct control *c)
{
	struct epoll_event evs[CONTROL_MAX_CLIENTS + 2];
	int n = epoll_wait(c->ep, evs, CONTROL_MAX_CLIENTS + 2, 0);
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd == c->lfd) {
			on_accept(c);
		} else if (fd == c->tfd) {
			expire(c);
		} else {
			for (int k = 0; k < CONTROL_MAX_CLIENTS; k++) {
				struct client *cl = &c->clients[k];
				if (cl->fd != fd)
					continue;
				if (cl->out.len)
					flush_out(c, cl);
				else
					on_readable(c, cl);
				break;
			}
		}
	}
	arm(c);
}

int control_fd(const struct control *c)
{
	return c->ep;
}

void control_set_timeout(struct control *c, int ms)
{
	c->timeout_ms = ms;
}

static int open_fail(struct control *c, char **err, const char *what)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "control socket %s: %s: %s", c->path, what, strerror(errno));
	*err = buf_take(&b);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->tfd >= 0)
		close(c->tfd);
	if (c->ep >= 0)
		close(c->ep);
	free(c->path);
	free(c);
	return -1;
}

int control_open(const char *path, control_handler h, void *ud, struct control **out, char **err)
{
	struct control *c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->handler = h;
	c->ud = ud;
	c->timeout_ms = CONTROL_TIMEOUT_MS;
	c->lfd = c->tfd = c->ep = -1;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	struct sockaddr_un sa;
	if (fill_addr(path, &sa) < 0)
		return open_fail(c, err, "path too long for a Unix socket");
	/* a socket left by a katod that was killed: the lock is ours now */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return open_fail(c, err, "exists and is not a socket (remove it)");
		}
		if (unlink(path) < 0)
			return open_fail(c, err, "cannot remove the stale socket");
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return open_fail(c, err, "socket");
	mode_t old = umask(0177);
	int rc = bind(c->lfd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0)
		return open_fail(c, err, "bind");
	if (chmod(path, 0600) < 0 || listen(c->lfd, 32) < 0)
		return open_fail(c, err, "listen");
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->tfd < 0 || c->ep < 0)
		return open_fail(c, err, "epoll");
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->lfd};
	epoll_ctl(c->ep, EPOLL_CTL_ADD, c->lfd, &ev);
	ev.data.fd = c->tfd;
	epoll_ctl(c->ep, EPOLL_CTL_ADD, c->tfd, &ev);
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop(c, &c->clients[i]);
	/* the lock is still held: the socket file is ours */
	struct stat st;
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(c->path);
	close(c->lfd);
	close(c->tfd);
	close(c->ep);
	free(c->path);
	free(c);
}

/* ---------------------------------------------------------------- client */

static int wait_fd(int fd, short what, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {fd, what, 0};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n > 0)
			return 0;
	}
}

int control_request(const char *path, const char *request, char **reply, int timeout_ms)
{
	*reply = NULL;
	int64_t deadline = mono_ms() + timeout_ms;
	struct sockaddr_un sa;
	if (fill_addr(path, &sa) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int e = 0;
	struct buf in = BUF_INIT;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		if (wait_fd(fd, POLLOUT, deadline) < 0)
			goto fail;
		int soerr = 0;
		socklen_t len = sizeof soerr;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	struct buf req = BUF_INIT;
	buf_adds(&req, request);
	buf_addc(&req, '\n');
	size_t sent = 0;
	while (sent < req.len) {
		ssize_t n = send(fd, req.p + sent, req.len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				break;
			continue;
		}
		if (n < 0)
			break;
		sent += (size_t)n;
	}
	buf_free(&req);
	/* even when the request could not be sent whole, the server may have
	 * answered why (too long, refused) */
	for (;;) {
		char tmp[16384];
		ssize_t n = recv(fd, tmp, sizeof tmp, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLIN, deadline) < 0)
				goto fail;
			continue;
		}
		if (n < 0 && in.len == 0)
			goto fail;
		if (n <= 0)
			break;
		buf_add(&in, tmp, (size_t)n);
		if (memchr(in.p + in.len - (size_t)n, '\n', (size_t)n) || in.len > CONTROL_MAX_REPLY)
			break;
	}
	char *nl = in.p ? memchr(in.p, '\n', in.len) : NULL;
	if (!nl) {
		errno = EPROTO;
		goto fail;
	}
	*nl = '\0';
	close(fd);
	*reply = buf_take(&in);
	return 0;
fail:
	e = errno;
	close(fd);
	buf_free(&in);
	errno = e;
	return -1;
}
