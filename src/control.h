/* SPDX-License-Identifier: Apache-2.0 */
/* control: katod's control socket (a Unix stream socket in the runtime
 * directory) and the client side used by kato. Protocol version 1: the
 * client sends one line of JSON, {"v":1,"cmd":"status",...}, at most
 * CONTROL_MAX_REQUEST bytes; the server answers one line,
 * {"v":1,"ok":true,...} or {"v":1,"ok":false,"error":"..."}, and closes.
 * See doc/design.md, "Control socket". */
#ifndef KATO_CONTROL_H
#define KATO_CONTROL_H

#include <json-c/json.h>

#include "buf.h"

#define CONTROL_VERSION 1
#define CONTROL_MAX_REQUEST (64 << 10)
#define CONTROL_MAX_CLIENTS 16
#define CONTROL_TIMEOUT_MS 2000

struct control;

/* Answer one valid request. `cmd` is its "cmd", `req` the whole request.
 * Return 0 after appending the members of the answer that follow
 * "ok":true to `members` (",\"pid\":12" style, each starting with a
 * comma), or -1 with a malloc'd message in *err. */
typedef int (*control_handler)(void *ud, const char *cmd, struct json_object *req, struct buf *members,
			       char **err);

/* The socket path: <runtime dir>/katod.sock (malloc'd). */
char *control_socket_path(void);

/* Listen on `path` (a stale socket file there is removed first: the
 * caller holds katod's lock). The socket is made 0600. 0, or -1 with a
 * malloc'd message in *err. */
int control_open(const char *path, control_handler h, void *ud, struct control **out, char **err);
/* One descriptor to poll for input (an epoll of the listening socket,
 * the clients and their timeouts): call control_dispatch when it is
 * readable. Never blocks. */
int control_fd(const struct control *c);
void control_dispatch(struct control *c);
/* Per-client timeout (default CONTROL_TIMEOUT_MS), for tests. */
void control_set_timeout(struct control *c, int ms);
/* Close every client and the socket, and unlink the socket file. */
void control_close(struct control *c);

/* Client: send `request` (one JSON object, no newline) to the socket at
 * `path` and wait up to timeout_ms for the answer line. 0 and *reply
 * (malloc'd, without the newline), or -1 with errno: ENOENT or
 * ECONNREFUSED when nobody listens, ETIMEDOUT, EPROTO for an answer
 * that is not one line, EACCES. */
int control_request(const char *path, const char *request, char **reply, int timeout_ms);

#endif
