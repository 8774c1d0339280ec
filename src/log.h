/* SPDX-License-Identifier: Apache-2.0 */
/* log: one line per message to stderr: "katod: LEVEL: text". */
#ifndef KATO_LOG_H
#define KATO_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Messages below `level` are dropped. Default LOG_INFO. */
void log_set_level(int level);
int log_get_level(void);
/* Program name printed before each line (default "kato"). */
void log_set_ident(const char *ident);
/* Send the log to the file `path` (kato's private file, created 0600),
 * also as stderr, one line per message with a UTC timestamp. When a line
 * would take the file past cap_bytes, the file is renamed path.1 (one old
 * copy) and a new one started. 0, or -1 and *why (malloc'd). */
int log_to_file(const char *path, long long cap_bytes, char **why);
/* Under systemd: when $JOURNAL_STREAM names stderr, start each line with
 * the sd-daemon priority prefix <3>..<7> (journalctl -p works). */
void log_detect_journal(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
