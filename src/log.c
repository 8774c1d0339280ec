/* SPDX-License-Identifier: Apache-2.0 */
#include "autoconfig.h"

#include "log.h"

#include <stdio.h>

/* Process-wide logging settings: set once at start-up by main(). */
static int log_level = LOG_INFO;
static const char *log_ident = "kato";

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_set_ident(const char *ident)
{
	log_ident = ident;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	if (level < log_level)
		return;
	if (level < LOG_DEBUG || level > LOG_ERROR)
		level = LOG_ERROR;
	char line[4096];
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "%s: %s: %s\n", log_ident, names[level], line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
