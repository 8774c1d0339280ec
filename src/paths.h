/* SPDX-License-Identifier: Apache-2.0 */
/* paths: where kato keeps its files (XDG base directories, KATO_HOME). */
#ifndef KATO_PATHS_H
#define KATO_PATHS_H

/* Every function returns a malloc'd absolute path the caller frees.
 *
 *             KATO_HOME=D      otherwise
 * config      D                $XDG_CONFIG_HOME/kato   (~/.config/kato)
 * state       D                $XDG_STATE_HOME/kato    (~/.local/state/kato)
 * data        D                $XDG_DATA_HOME/kato     (~/.local/share/kato)
 * runtime     D/run            $XDG_RUNTIME_DIR/kato   (<state dir>/run)
 */
char *paths_home(void);
char *paths_config_dir(void);
char *paths_state_dir(void);
char *paths_data_dir(void);
char *paths_runtime_dir(void);
/* <data dir>/<name>, e.g. paths_data_file("recordings"). */
char *paths_data_file(const char *name);
/* The store: <state dir>/kato.db. */
char *paths_db_file(void);

/* Expand "~" and "~/..." with the home directory; anything else is
 * copied unchanged. */
char *paths_expand_home(const char *s);
/* Expand ~ and ${VAR:-fallback} / $VAR / ${VAR} (an unset or empty VAR
 * takes the fallback, which is itself expanded). */
char *paths_expand(const char *s);
/* mkdir -p with `mode` for the directories it creates. 0 or -1/errno. */
int paths_mkdir_p(const char *path, unsigned mode);
/* Make `path` (and its parents) a private directory: created 0700;
 * refused when it is a symbolic link, not a directory, owned by another
 * user, or a directory meant to be shared (sticky, as /tmp is: root's
 * own /tmp is never closed to everyone else); an own directory open to
 * others is chmod'ed 0700, but for the home directory, which is left as
 * it is. 0, or -1 with errno and *why (malloc'd reason, when why is not
 * NULL). */
int paths_private_dir(const char *path, char **why);
/* Open a file kato writes for itself (lock, log, store): O_NOFOLLOW and
 * O_CLOEXEC are added, created 0600, and refused unless it is a regular
 * file owned by the user with no other hard link. The fd, or -1 with
 * errno and *why (malloc'd, when why is not NULL). */
int paths_open_private(const char *path, int flags, char **why);
/* Join dir and name with one '/'. */
char *paths_join(const char *dir, const char *name);

#endif
