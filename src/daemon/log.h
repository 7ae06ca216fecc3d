/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's own log: one structured line per event on stderr, logfmt by
 * default (ts=... level=... event=... msg="..." key=value...) or JSON. Under
 * systemd (JOURNAL_STREAM names stderr) each line starts with its <priority>
 * so journald files it at the right level.
 */
#ifndef HX_DAEMON_LOG_H
#define HX_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum hx_log_format { HX_LOG_LOGFMT = 0, HX_LOG_JSON };

void hx_dlog_setup(enum hx_log_format fmt, int max_priority);
/* "debug", "info", "warning", "error" -> LOG_*; -1 if unknown */
int hx_dlog_level(const char *name);
/*
 * @event: a short machine name ("policy_load"); @kv: "key=value key=value"
 * (values without spaces; anything free-form belongs in the message) or NULL.
 */
void hx_dlog(int prio, const char *event, const char *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
