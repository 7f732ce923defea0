// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum bw_log_level current_level = BW_LOG_WARN;

void bw_log_set_level(enum bw_log_level level)
{
	current_level = level;
}

enum bw_log_level bw_log_level(void)
{
	return current_level;
}

void bw_log(enum bw_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > current_level)
		return;
	fprintf(stderr, "blockwatch: %s: ", prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
