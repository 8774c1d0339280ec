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
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
