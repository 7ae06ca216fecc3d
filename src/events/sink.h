/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syslog output of the audit stream: RFC 5424 messages to a local socket
 * (datagram, like /dev/log), a UDP collector, or a TCP collector (RFC 6587
 * octet counting), in clear or over TLS (RFC 5425). Sending never blocks: what cannot go out in time is
 * counted as lost, and the stream reports it.
 */
#ifndef HX_SINK_H
#define HX_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct hx_sink;

/* Queue of a TCP connection, and how long a line may wait in it for a collector. */
#define HX_SYSLOG_QUEUE_BYTES (4u << 20)
#define HX_SYSLOG_QUEUE_LINES 65536

/*
 * @target: "/path" or "unix:/path" (a datagram socket), "udp://HOST:PORT",
 * "tcp://HOST:PORT" or "tls://HOST:PORT[?ca=FILE&cert=FILE&key=FILE]" (RFC
 * 5425: the collector's certificate verified against ca=, or the system's
 * trust store, and HOST; HOST: a name, an IPv4 address or [IPv6]). @facility: 0-23.
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
/*
 * Stream lines handed to the connection but not yet acknowledged by the
 * collector's TCP: counted sent once they are, lost if the connection ends first.
 */
uint64_t hx_syslog_unconfirmed(const struct hx_sink *s);
/* Stream lines waiting in the queue for the connection. */
uint64_t hx_syslog_queued(const struct hx_sink *s);
/* Why the last connection failed ("TLS handshake: ..."), "" if it did not. */
const char *hx_syslog_error(const struct hx_sink *s);
const char *hx_syslog_target(const struct hx_sink *s);

/* "kern", "user", "daemon", "auth", "authpriv", "local0".."local7", or a number; -1 if unknown. */
int hx_syslog_facility(const char *name);
/*
 * One RFC 5424 message: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [meta sequenceId] MSG.
 * Returns the length it needs (like snprintf); out is always terminated.
 */
size_t hx_syslog_format(char *out, size_t outlen, int pri, int64_t real_ns, const char *host,
			const char *app, int procid, const char *msgid, uint64_t seq,
			const char *msg, size_t len);

/*
 * journald output of the audit stream: each line as one journal entry with
 * structured fields (sd_journal_sendv): MESSAGE (a one-line summary),
 * PRIORITY, SYSLOG_IDENTIFIER=helixagent, SYSLOG_FACILITY, every ECS leaf of
 * the line flattened to a journal field name (event.action -> EVENT_ACTION;
 * array elements repeat the field), and the whole line in HELIXAGENT_JSON.
 *
 * journald's socket blocks a sender it cannot keep up with, so entries go
 * through a bounded queue to a thread of their own: the stream never waits
 * for journald, and what does not fit or is refused is counted.
 */
struct hx_journal;

#define HX_JOURNAL_QUEUE_LINES 65536
#define HX_JOURNAL_QUEUE_BYTES (32u << 20)
#define HX_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Why an entry did not reach journald. */
enum hx_journal_loss {
	HX_JLOSS_QUEUE = 0, /* the queue was full: journald is behind */
	HX_JLOSS_SEND, /* journald refused it (not running, too large, ...) */
	HX_JLOSS_MAX,
};

/* NULL with errno set, and a reason in @err, when journald does not listen. */
struct hx_journal *hx_journal_open(int facility, char *err, size_t errlen);
/* Sends what is queued (for up to a second), then stops. */
void hx_journal_close(struct hx_journal *j);
/* 0 when queued; -ENOBUFS when the line is lost (it is counted). */
int hx_journal_send(struct hx_journal *j, int priority, const char *line, size_t len);
/* Lines offered = sent + lost (all reasons) + still queued. */
uint64_t hx_journal_offered(const struct hx_journal *j);
uint64_t hx_journal_sent(const struct hx_journal *j);
/* Lines lost for @reason (enum hx_journal_loss); HX_JLOSS_MAX: for any reason. */
uint64_t hx_journal_lost(const struct hx_journal *j, unsigned reason);
uint64_t hx_journal_queued(const struct hx_journal *j);
/* Whether the last entry journald was handed was taken. */
bool hx_journal_ok(const struct hx_journal *j);
/* Waits (up to @ms) until the queue is empty; for tests and shutdown. */
bool hx_journal_flush(struct hx_journal *j, int ms);

/*
 * The journal fields of one JSON line: fills @iov (up to @max) with
 * "NAME=value" entries allocated in *@arena (free it after use); returns how
 * many, or a negative errno (-EINVAL: not a JSON object line).
 */
int hx_journal_fields(const char *line, size_t len, int priority, int facility, struct iovec *iov,
		      size_t max, char **arena);
/* The journal field name of an ECS name: "event.action" -> "EVENT_ACTION"; its length. */
size_t hx_journal_name(const char *ecs, size_t n, char *out, size_t outlen);

#endif
