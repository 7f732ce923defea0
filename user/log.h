/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Diagnostics on stderr. Primary output never goes through here.
 * Messages are lowercase, name the step that failed and quote the subject:
 *   bw_err("failed to open '%s': %s", path, strerror(-err));
 */
#ifndef BW_LOG_H
#define BW_LOG_H

enum bw_log_level {
	BW_LOG_ERROR = 0,
	BW_LOG_WARN = 1,
	BW_LOG_INFO = 2,
	BW_LOG_DEBUG = 3,
};

void bw_log_set_level(enum bw_log_level level);
enum bw_log_level bw_log_level(void);
void bw_log(enum bw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define bw_err(...) bw_log(BW_LOG_ERROR, __VA_ARGS__)
#define bw_warn(...) bw_log(BW_LOG_WARN, __VA_ARGS__)
#define bw_info(...) bw_log(BW_LOG_INFO, __VA_ARGS__)
#define bw_dbg(...) bw_log(BW_LOG_DEBUG, __VA_ARGS__)

#endif /* BW_LOG_H */
