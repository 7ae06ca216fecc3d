/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syslog output of the audit stream: RFC 5424 messages to a local socket
 * (datagram, like /dev/log), a UDP collector, or a TCP collector (RFC 6587
 * octet counting). Sending never blocks: what cannot go out in time is
 * counted as lost, and the stream reports it.
 */
#ifndef HX_SINK_H
#define HX_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hx_sink;

/* Queue of a TCP connection, and how long a line may wait in it for a collector. */
#define HX_SYSLOG_QUEUE_BYTES (4u << 20)
#define HX_SYSLOG_QUEUE_LINES 65536

/*
 * @target: "/path" or "unix:/path" (a datagram socket), "udp://HOST:PORT" or
 * "tcp://HOST:PORT" (HOST: a name, an IPv4 address or [IPv6]). @facility: 0-23.
 * Returns NULL with errno set, and a reason in @err.
 */
struct hx_sink *hx_syslog_open(const char *target, int facility, char *err, size_t errlen);
void hx_syslog_close(struct hx_sink *s);
/* 0 when sent or queued; -errno when the line is lost (it is counted). */
int hx_syslog_send(struct hx_sink *s, int severity, int64_t real_ns, const char *host,
		   const char *msgid, uint64_t seq, const char *msg, size_t len);
/* Flushes the TCP queue, reconnects a lost connection (with backoff). */
void hx_syslog_tick(struct hx_sink *s);
uint64_t hx_syslog_lost(const struct hx_sink *s);
uint64_t hx_syslog_sent(const struct hx_sink *s);
bool hx_syslog_connected(const struct hx_sink *s);
const char *hx_syslog_target(const struct hx_sink *s);

/* "kern", "user", "daemon", "auth", "authpriv", "local0".."local7", or a number; -1 if unknown. */
int hx_syslog_facility(const char *name);
/*
 * One RFC 5424 message: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [meta sequenceId] MSG.
 * Returns the length it needs (like snprintf); out is always terminated.
 */
size_t hx_syslog_format(char *out, size_t outlen, int pri, int64_t real_ns, const char *host,
			const char *app, int procid, const char *msgid, uint64_t seq, const char *msg,
			size_t len);

#endif
