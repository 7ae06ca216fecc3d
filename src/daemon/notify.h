/* SPDX-License-Identifier: GPL-2.0 */
/* systemd's readiness protocol (sd_notify(3)), spoken directly over $NOTIFY_SOCKET. */
#ifndef HX_DAEMON_NOTIFY_H
#define HX_DAEMON_NOTIFY_H

#include <stdint.h>

/* Sends @state ("READY=1\nSTATUS=..."); 0, or -errno; 0 too when not under systemd. */
int hx_notify(const char *state);
int hx_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval systemd asks for (WATCHDOG_USEC for this pid), 0 if none. */
uint64_t hx_notify_watchdog_usec(void);

#endif
