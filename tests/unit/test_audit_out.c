// SPDX-License-Identifier: GPL-2.0
/*
 * The audit stream's outputs: rotation by size and count, reopening,
 * sequence continuity across rotations and restarts, lines lost to a full
 * disk counted and reported, the RFC 5424 syslog format and its three
 * transports.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "events/audit.h"
#include "events/audit_daemon.h"
#include "events/sink.h"
#include "util/sha256.h"

#include "test_dir_util.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hx-audit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	return td_remove(dir);
}

static char *path_in(const char *name)
{
	return td_path(dir, name);
}

/* The sequence numbers of a file's lines, in order; returns how many. */
static size_t sequences(const char *path, uint64_t *out, size_t max)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	size_t n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		char *s = strstr(line, "\"sequence\":");

		assert_non_null(s);
		out[n++] = strtoull(s + 11, NULL, 10);
	}
	fclose(f);
	return n;
}

static void emit(struct hx_audit *a, int n)
{
	for (int i = 0; i < n; i++)
		hx_audit_dropped(a, "test", 1, (uint64_t)i);
}

static void rotation_keeps_count_and_sequence(void **state)
{
	struct hx_audit a;
	struct stat st;
	uint64_t seq[200];
	uint64_t expect;
	char log[128];

	snprintf(log, sizeof(log), "%s", path_in("audit.jsonl"));

	/* a file left by an earlier, larger count */
	close(open(path_in("audit.jsonl.3"), O_WRONLY | O_CREAT, 0600));
	assert_int_equal(hx_audit_open(&a, log, false), 0);
	hx_audit_set_rotation(&a, 2048, 2);
	emit(&a, 60);
	assert_true(a.rotations >= 3);
	assert_int_equal(stat(path_in("audit.jsonl.1"), &st), 0);
	assert_int_equal(stat(path_in("audit.jsonl.2"), &st), 0);
	assert_int_equal(stat(path_in("audit.jsonl.3"), &st), -1);
	assert_int_equal(stat(log, &st), 0);
	assert_true(st.st_size <= 2048);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* oldest first: .2, .1, current: one sequence, no gap */
	{
		size_t n2 = sequences(path_in("audit.jsonl.2"), seq, 200);
		size_t n1 = sequences(path_in("audit.jsonl.1"), seq + n2, 200 - n2);
		size_t n0 = sequences(log, seq + n2 + n1, 200 - n2 - n1);

		assert_true(n2 > 0 && n1 > 0 && n0 > 0);
		for (size_t i = 1; i < n2 + n1 + n0; i++)
			assert_int_equal(seq[i], seq[i - 1] + 1);
		assert_int_equal(seq[n2 + n1 + n0 - 1], 60);
	}
	hx_audit_close(&a);

	/* A restart goes on from the last sequence, even in a freshly rotated, empty file. */
	assert_int_equal(rename(log, path_in("audit.jsonl.1")), 0);
	assert_int_equal(hx_audit_open(&a, log, false), 0);
	emit(&a, 1);
	expect = 61;
	assert_int_equal(sequences(log, seq, 200), 1);
	assert_int_equal(seq[0], expect);
	hx_audit_close(&a);
}

static void reopen_after_logrotate(void **state)
{
	struct hx_audit a;
	uint64_t seq[10];
	char *log = path_in("r.jsonl");

	assert_int_equal(hx_audit_open(&a, log, false), 0);
	emit(&a, 3);
	assert_int_equal(rename(log, path_in("r.jsonl.old")), 0);
	emit(&a, 1); /* still into the renamed file, as logrotate expects until told */
	assert_int_equal(hx_audit_reopen(&a), 0);
	emit(&a, 2);
	assert_int_equal(sequences(path_in("r.jsonl.old"), seq, 10), 4);
	assert_int_equal(sequences(log, seq, 10), 2);
	assert_int_equal(seq[0], 5);
	assert_int_equal(seq[1], 6);
	hx_audit_close(&a);
}

/* /dev/full refuses every write with ENOSPC: the disk is full. */
static void full_disk_losses_counted_and_reported(void **state)
{
	struct hx_audit a;
	uint64_t seq[20];
	char line[8192];
	char *log = path_in("full.jsonl");
	FILE *f;
	size_t n;

	assert_int_equal(hx_audit_open(&a, "/dev/full", false), 0);
	emit(&a, 5);
	assert_int_equal(a.lost[HX_LOSS_WRITE], 5);
	assert_int_equal(a.last_errno, ENOSPC);
	assert_int_equal(a.written, 0);
	/* No report can get through while the disk is full. */
	hx_audit_tick(&a);
	assert_int_equal(a.lost_reported[HX_LOSS_WRITE], 0);
	assert_int_equal(a.lost[HX_LOSS_WRITE], 6); /* the report itself was lost too */

	/* Space returns: the next line goes through, then the report of what was lost. */
	free(a.path);
	a.path = strdup(log);
	assert_int_equal(hx_audit_reopen(&a), 0);
	emit(&a, 1);
	assert_int_equal(a.lost_reported[HX_LOSS_WRITE], 6);
	n = sequences(log, seq, 20);
	assert_int_equal(n, 2);
	assert_int_equal(seq[0], 7); /* 1-6 lost: a gap of 6 */
	assert_int_equal(seq[1], 8);
	f = fopen(log, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "\"code\":\"events_dropped\""));
	assert_non_null(strstr(line, "\"drop_reason\":\"audit_write\""));
	assert_non_null(strstr(line, "\"dropped\":6,"));
	assert_non_null(strstr(line, "\"dropped_total\":6"));
	hx_audit_close(&a);
}

/* Lines of `helixagent exec` take the daemon's next sequence number, whatever they carried. */
static void relayed_lines_join_the_sequence(void **state)
{
	static const char line[] =
		"{\"@timestamp\":\"x\",\"event\":{\"kind\":\"event\",\"code\":\"sandbox_create\","
		"\"sequence\":4711,\"provider\":\"helixagent/exec\"},\"helixagent\":{\"note\":\"\\\"sequence\\\":1\"}}";
	struct hx_audit a;
	uint64_t seq[10];
	char buf[4096];
	char *log = path_in("relay.jsonl");
	FILE *f;

	assert_int_equal(hx_audit_open_direct(&a, log, false), 0);
	emit(&a, 2);
	hx_audit_relay(&a, line, strlen(line));
	emit(&a, 1);
	hx_audit_relay(&a, "not json", 8);
	assert_int_equal(a.lost[HX_LOSS_FORMAT], 1);
	hx_audit_close(&a);
	assert_int_equal(sequences(log, seq, 10), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(seq[i], (uint64_t)i + 1);
	f = fopen(log, "r");
	assert_non_null(f);
	for (int i = 0; i < 3; i++)
		assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	/* the third line: the relayed one, renumbered, otherwise as sent */
	assert_non_null(strstr(buf, "\"code\":\"sandbox_create\",\"sequence\":3,\"provider\""));
	assert_non_null(strstr(buf, "\\\"sequence\\\":1"));
}

static void policy_event_fields(void **state)
{
	struct hx_audit a;
	struct hx_diag dv[2] = {
		{ HX_DIAG_ERROR, { 12, 23 }, (char *)"'exec.default_policy' must be allow or deny" },
		{ HX_DIAG_WARNING, { 3, 1 }, (char *)"a warning" },
	};
	struct hx_diags dg = { .v = dv, .n = 2, .errors = 1, .warnings = 1 };
	char sha[65];

	hx_sha256_hex("abc", 3, sha);
	assert_string_equal(sha,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	hx_audit_policy_event(&a, &(struct hx_policy_event){ .ok = false,
							     .generation = 7,
							     .file = "/etc/p.yaml",
							     .sha256 = sha,
							     .trigger = "signal",
							     .seconds = 0.25,
							     .message = "1 error(s)",
							     .diags = &dg });
	assert_non_null(strstr(a.w.buf, "\"action\":\"policy_load\""));
	assert_non_null(strstr(a.w.buf, "\"decision\":\"rejected\",\"policy_generation\":7,"));
	assert_non_null(strstr(a.w.buf, sha));
	assert_non_null(strstr(a.w.buf, "\"trigger\":\"signal\""));
	assert_non_null(strstr(a.w.buf, "\"load_seconds\":0.250000"));
	assert_non_null(strstr(a.w.buf, "\"errors\":[{\"line\":12,\"column\":23,\"message\":"));
	assert_non_null(strstr(a.w.buf, "\"warnings\":[{\"line\":3,"));
	hx_audit_close(&a);
}

/* ---- syslog ---- */

static void rfc5424_format(void **state)
{
	char buf[512];
	/* 2026-11-29T10:15:02.123456789Z */
	int64_t ns = 1795947302123456789LL;
	size_t n = hx_syslog_format(buf, sizeof(buf), 19 * 8 + 4, ns, "node-1", "helixagent", 42,
				    "permission_denied", 18234, "{\"a\":1}", 7);

	assert_string_equal(buf, "<156>1 2026-11-29T10:15:02.123456Z node-1 helixagent 42 "
				 "permission_denied [meta sequenceId=\"18234\"] {\"a\":1}");
	assert_int_equal(n, strlen(buf));
	/* header fields: no spaces, never empty, bounded */
	hx_syslog_format(buf, sizeof(buf), 13, ns, "my host", "", 1, NULL, 0, "x", 1);
	assert_string_equal(buf, "<13>1 2026-11-29T10:15:02.123456Z my_host - 1 - - x");
	/* sequenceId stays within 1..2147483647 */
	hx_syslog_format(buf, sizeof(buf), 13, ns, "h", "a", 1, "m", 2147483648ULL, "x", 1);
	assert_non_null(strstr(buf, "sequenceId=\"1\""));
	/* truncation keeps the buffer terminated and reports the length needed */
	n = hx_syslog_format(buf, 20, 13, ns, "h", "a", 1, "m", 1, "xyz", 3);
	assert_int_equal(strlen(buf), 19);
	assert_true(n > 20);
}

static void facilities(void **state)
{
	assert_int_equal(hx_syslog_facility("auth"), 4);
	assert_int_equal(hx_syslog_facility("authpriv"), 10);
	assert_int_equal(hx_syslog_facility("local0"), 16);
	assert_int_equal(hx_syslog_facility("local7"), 23);
	assert_int_equal(hx_syslog_facility("19"), 19);
	assert_int_equal(hx_syslog_facility("24"), -1);
	assert_int_equal(hx_syslog_facility("mystery"), -1);
}

static void bad_targets(void **state)
{
	char err[256];

	assert_null(hx_syslog_open("syslog.example", 4, err, sizeof(err)));
	assert_non_null(strstr(err, "not a syslog target"));
	assert_null(hx_syslog_open("udp://127.0.0.1", 4, err, sizeof(err)));
	assert_non_null(strstr(err, "port"));
	assert_null(hx_syslog_open("unix:relative", 4, err, sizeof(err)));
}

static void unix_datagram_and_absent_collector(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char target[160], err[256], buf[4096];
	struct hx_sink *s;
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log.sock", dir);
	snprintf(target, sizeof(target), "unix:%s", sa.sun_path);
	/* Nobody listens yet: the line is lost, and counted. */
	s = hx_syslog_open(target, 4, err, sizeof(err));
	assert_non_null(s);
	assert_int_not_equal(hx_syslog_send(s, 4, 0, "h", "m", 1, "one", 3), 0);
	assert_int_equal(hx_syslog_lost(s), 1);

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Within the reconnect backoff the sink may still count a loss; then it gets through. */
	for (int i = 0; i < 40 && hx_syslog_send(s, 4, 0, "h", "m", 2, "two", 3); i++)
		usleep(100000);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "sequenceId=\"2\"] two"));
	assert_int_equal(hx_syslog_sent(s), 1);
	hx_syslog_close(s);
	close(fd);
}

static int listen_tcp(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Reads octet-counted frames until @want have arrived; returns how many. */
static int read_frames(int c, char frames[][256], int want)
{
	char buf[8192];
	size_t have = 0;
	int got = 0;

	while (got < want) {
		ssize_t n = recv(c, buf + have, sizeof(buf) - have, 0);
		size_t off = 0;

		if (n <= 0)
			break;
		have += (size_t)n;
		for (;;) {
			char *sp = memchr(buf + off, ' ', have - off);
			size_t len;

			if (!sp)
				break;
			len = strtoul(buf + off, NULL, 10);
			if ((size_t)(sp + 1 - buf) + len > have)
				break;
			snprintf(frames[got++], 256, "%.*s", (int)len, sp + 1);
			off = (size_t)(sp + 1 - buf) + len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	return got;
}

static void tcp_octet_counting_and_reconnect(void **state)
{
	char target[64], err[256], frames[4][256];
	struct hx_sink *s;
	int lfd, c, port;

	lfd = listen_tcp(&port);
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", port);
	s = hx_syslog_open(target, 16, err, sizeof(err));
	assert_non_null(s);
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	assert_int_equal(hx_syslog_send(s, 6, 0, "h", "m", 1, "first line", 10), 0);
	assert_int_equal(hx_syslog_send(s, 6, 0, "h", "m", 2, "second line", 11), 0);
	assert_int_equal(read_frames(c, frames, 2), 2);
	assert_non_null(strstr(frames[0], "<134>1 "));
	assert_non_null(strstr(frames[0], "] first line"));
	assert_non_null(strstr(frames[1], "] second line"));

	/* The collector restarts: the sink notices, queues, reconnects, delivers. */
	close(c);
	usleep(100000);
	assert_int_equal(hx_syslog_send(s, 6, 0, "h", "m", 3, "third line", 10), 0);
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	for (int i = 0; i < 50 && hx_syslog_sent(s) < 3; i++) {
		hx_syslog_tick(s);
		usleep(100000);
	}
	assert_int_equal(read_frames(c, frames, 1), 1);
	assert_non_null(strstr(frames[0], "] third line"));
	assert_int_equal(hx_syslog_lost(s), 0);
	hx_syslog_close(s);
	close(c);
	close(lfd);
}

/*
 * A collector that stops reading, then resets the connection: the lines its
 * TCP acknowledged count as sent, those it did not as lost, the rest stay
 * queued for the next connection. Every line offered is in exactly one.
 */
static void tcp_unacknowledged_lines_counted_lost(void **state)
{
	char target[64], err[256], line[300];
	struct linger lg = { 1, 0 };
	struct hx_sink *s;
	int lfd, c, port, small = 4096;
	uint64_t total = 0;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);

		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 4), 0);
		assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
		port = ntohs(sa.sin_port);
	}
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", port);
	s = hx_syslog_open(target, 16, err, sizeof(err));
	assert_non_null(s);
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	memset(line, 'x', sizeof(line));
	for (int i = 0; i < 5000; i++, total++)
		assert_int_equal(
			hx_syslog_send(s, 6, 0, "h", "m", (uint64_t)i + 1, line, sizeof(line)), 0);
	for (int i = 0; i < 10; i++) {
		hx_syslog_tick(s);
		usleep(10000);
	}
	/* the collector's window is a few KiB: most lines are not acknowledged */
	assert_true(hx_syslog_unconfirmed(s) + hx_syslog_queued(s) > 1000);
	assert_int_equal(hx_syslog_sent(s) + hx_syslog_unconfirmed(s) + hx_syslog_queued(s), total);
	/* reset, as a crashed collector's kernel does */
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	close(lfd);
	usleep(50000);
	for (int i = 0; i < 5; i++, total++) {
		hx_syslog_send(s, 6, 0, "h", "m", 9000, line, sizeof(line));
		hx_syslog_tick(s);
	}
	assert_false(hx_syslog_connected(s));
	assert_true(hx_syslog_lost(s) > 0);
	assert_int_equal(hx_syslog_unconfirmed(s), 0);
	assert_int_equal(hx_syslog_sent(s) + hx_syslog_lost(s) + hx_syslog_queued(s), total);
	printf("TCP reset: %llu lines offered, %llu acknowledged, %llu counted lost, %llu queued\n",
	       (unsigned long long)total, (unsigned long long)hx_syslog_sent(s),
	       (unsigned long long)hx_syslog_lost(s), (unsigned long long)hx_syslog_queued(s));
	hx_syslog_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rotation_keeps_count_and_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_after_logrotate, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_losses_counted_and_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(relayed_lines_join_the_sequence, setup, teardown),
		cmocka_unit_test(policy_event_fields),
		cmocka_unit_test(rfc5424_format),
		cmocka_unit_test(facilities),
		cmocka_unit_test(bad_targets),
		cmocka_unit_test_setup_teardown(unix_datagram_and_absent_collector, setup,
						teardown),
		cmocka_unit_test(tcp_octet_counting_and_reconnect),
		cmocka_unit_test(tcp_unacknowledged_lines_counted_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
