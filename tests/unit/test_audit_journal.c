// SPDX-License-Identifier: GPL-2.0
/*
 * The journald output: ECS fields flattened to journal field names, the
 * summary MESSAGE, and, through the real libsystemd into a journal socket of
 * our own (in a private mount namespace, where one can be made), delivery
 * counted: written + lost by reason = lines generated, losses reported once
 * journald takes lines again.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>

#include "events/audit.h"
#include "events/sink.h"

#include "test_dir_util.h"

static void names(void **state)
{
	static const char *const cases[][2] = {
		{ "event.action", "EVENT_ACTION" },
		{ "@timestamp", "TIMESTAMP" },
		{ "helixagent.cgroup.path", "HELIXAGENT_CGROUP_PATH" },
		{ "labels.address_translation", "LABELS_ADDRESS_TRANSLATION" },
		{ "_x-y", "X_Y" },
		{ "9a", "A" },
	};
	char out[80];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hx_journal_name(cases[i][0], strlen(cases[i][0]), out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	/* journald's limit: 64 characters */
	memset(out, 0, sizeof(out));
	assert_int_equal(
		hx_journal_name(
			"a.bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopq",
			70, out, sizeof(out)),
		64);
}

/* The decision line of a refused open, as the formatter writes it. */
static char *denial(struct hx_audit *a)
{
	static struct hx_event e;
	struct hx_sbx_info sbx = { .name = "web", .cgroup = "/helixagent/web", .cgid = 42 };
	struct hx_rule_info rule = { .name = "filesystem.blocked_paths[0]" };
	struct hx_compiled c = {
		.generation = 1, .sbx = &sbx, .nsbx = 1, .rules = &rule, .nrules = 1
	};

	e.type = HX_EV_DECISION;
	e.action = HX_ACT_OPEN;
	e.family = HX_FAM_FILE;
	e.decision = 1;
	e.cgid = 42;
	e.pid = 4242;
	e.rule_id = 0;
	memcpy(e.comm, "cat", 4);
	memcpy(e.args, "cat\0/etc/sh\"adow\0", 18);
	e.args_len = 18;
	memcpy(e.path, "sh\"adow\0etc\0\0", 13);
	e.path_len = 13;
	hx_audit_format_decision(a, &e, &c);
	hx_ecs_emit(a);
	return strndup(a->w.buf, a->w.len);
}

/* How many fields named @name hold @value (NULL: any). */
static int count(const struct iovec *iov, int n, const char *name, const char *value)
{
	size_t nl = strlen(name);
	int k = 0;

	for (int i = 0; i < n; i++) {
		const char *f = iov[i].iov_base;

		if (iov[i].iov_len > nl && !memcmp(f, name, nl) && f[nl] == '=' &&
		    (!value || (iov[i].iov_len - nl - 1 == strlen(value) &&
				!memcmp(f + nl + 1, value, iov[i].iov_len - nl - 1))))
			k++;
	}
	return k;
}

static void field_mapping(void **state)
{
	struct hx_audit a;
	struct iovec iov[256];
	char *arena, *line;
	int n;

	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	snprintf(a.hostname, sizeof(a.hostname), "node-1");
	line = denial(&a);
	n = hx_journal_fields(line, strlen(line), 4, 4, iov, 256, &arena);
	assert_true(n > 30);
	assert_int_equal(count(iov, n, "EVENT_ACTION", "open"), 1);
	assert_int_equal(count(iov, n, "EVENT_CODE", "permission_denied"), 1);
	assert_int_equal(count(iov, n, "EVENT_MODULE", "helixagent"), 1);
	/* arrays: the field once per element */
	assert_int_equal(count(iov, n, "EVENT_CATEGORY", NULL), 2);
	assert_int_equal(count(iov, n, "EVENT_CATEGORY", "intrusion_detection"), 1);
	assert_int_equal(count(iov, n, "PROCESS_ARGS", "/etc/sh\"adow"), 1);
	/* JSON escapes undone; numbers as written */
	assert_int_equal(count(iov, n, "FILE_PATH", "/etc/sh\"adow"), 1);
	assert_int_equal(count(iov, n, "PROCESS_PID", "4242"), 1);
	assert_int_equal(count(iov, n, "HELIXAGENT_SANDBOX", "web"), 1);
	assert_int_equal(count(iov, n, "AGENT_ID", a.agent_id), 1);
	assert_int_equal(count(iov, n, "HOST_HOSTNAME", "node-1"), 1);
	assert_int_equal(count(iov, n, "TIMESTAMP", NULL), 1);
	assert_int_equal(count(iov, n, "PRIORITY", "4"), 1);
	assert_int_equal(count(iov, n, "SYSLOG_FACILITY", "4"), 1);
	assert_int_equal(count(iov, n, "SYSLOG_IDENTIFIER", "helixagent"), 1);
	assert_int_equal(count(iov, n, "HELIXAGENT_JSON", line), 1);
	assert_int_equal(count(iov, n, "MESSAGE",
			       "permission_denied open /etc/sh\"adow (deny, rule "
			       "filesystem.blocked_paths[0], sandbox web)"),
			 1);
	/* no field journald would take for its own or refuse */
	for (int i = 0; i < n; i++) {
		const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);

		assert_non_null(eq);
		assert_true(eq - f <= 64 && f[0] != '_' && !(f[0] >= '0' && f[0] <= '9'));
		for (const char *p = f; p < eq; p++)
			assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				    *p == '_');
	}
	free(arena);
	/* more fields than room: the JSON field still has the whole line, and says so */
	n = hx_journal_fields(line, strlen(line), 6, 4, iov, 12, &arena);
	assert_int_equal(n, 12);
	assert_int_equal(count(iov, n, "HELIXAGENT_JSON", line), 1);
	assert_int_equal(count(iov, n, "HELIXAGENT_FIELDS_TRUNCATED", "1"), 1);
	free(arena);
	assert_int_equal(hx_journal_fields("not json", 8, 6, 4, iov, 256, &arena), -EINVAL);
	assert_null(arena);
	free(line);
	hx_audit_close(&a);
}

/* ---- through libsystemd, into a socket of our own at journald's path ---- */

static int journal_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = HX_JOURNAL_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return fd;
}

/* One native-protocol datagram: is field NAME=value in it? (values here have no newline) */
static bool has(const char *dgram, size_t n, const char *field)
{
	size_t fl = strlen(field);

	for (const char *p = dgram; p < dgram + n;) {
		const char *nl = memchr(p, '\n', (size_t)(dgram + n - p));

		if (!nl)
			break;
		if ((size_t)(nl - p) == fl && !memcmp(p, field, fl))
			return true;
		if (!memchr(p, '=', (size_t)(nl - p))) {
			/* NAME\n then a little-endian 64-bit length, the value, \n */
			uint64_t len;

			memcpy(&len, nl + 1, 8);
			p = nl + 1 + 8 + len + 1;
		} else {
			p = nl + 1;
		}
	}
	return false;
}

static ssize_t recv_one(int fd, char *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, buf, len, 0);
}

/* A mount namespace of our own with an empty /run/systemd/journal; -1: not for us. */
static int private_run_systemd(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    (mkdir("/run/systemd", 0755) && errno != EEXIST) ||
	    mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") ||
	    mkdir("/run/systemd/journal", 0755))
		return -1;
	return 0;
}

/* @child's exit status in a child process: 0 passes, 77 skips, anything else fails. */
static void in_child(int (*child)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (!pid)
		_exit(child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* In the child: a private /run/systemd with our journal socket. 77: cannot, skip. */
static int delivery_child(void)
{
	static char buf[1 << 16];
	struct hx_audit a;
	struct hx_journal *j;
	char err[256];
	uint64_t generated;
	ssize_t n;
	int fd;

	if (private_run_systemd())
		return 77;
	/* no journald: refused at open, with the reason */
	j = hx_journal_open(4, err, sizeof(err));
	if (j || !strstr(err, "does not listen"))
		return 1;
	fd = journal_listen();
	if (fd < 0)
		return 2;
	j = hx_journal_open(4, err, sizeof(err));
	if (!j)
		return 3;
	if (hx_audit_open(&a, NULL, false))
		return 4;
	hx_audit_set_journal(&a, j);
	free(denial(&a));
	hx_audit_dropped(&a, "test", 1, 1);
	if (!hx_journal_flush(j, 5000) || hx_journal_sent(j) != 2)
		return 5;
	n = recv_one(fd, buf, sizeof(buf));
	if (n <= 0 || !has(buf, (size_t)n, "EVENT_ACTION=open") ||
	    !has(buf, (size_t)n, "PRIORITY=4") ||
	    !has(buf, (size_t)n, "SYSLOG_IDENTIFIER=helixagent") ||
	    !has(buf, (size_t)n, "FILE_PATH=/etc/sh\"adow") ||
	    !has(buf, (size_t)n, "EVENT_CATEGORY=file") ||
	    !has(buf, (size_t)n, "EVENT_CATEGORY=intrusion_detection"))
		return 6;
	n = recv_one(fd, buf, sizeof(buf));
	if (n <= 0 || !has(buf, (size_t)n, "EVENT_CODE=events_dropped") ||
	    !has(buf, (size_t)n, "PRIORITY=4"))
		return 7;

	/* journald goes away: each line refused, counted; nothing waits */
	close(fd);
	unlink(HX_JOURNAL_SOCKET);
	for (int i = 0; i < 3; i++)
		hx_audit_dropped(&a, "test", 1, 1);
	if (!hx_journal_flush(j, 5000) || hx_journal_lost(j, HX_JLOSS_SEND) != 3)
		return 8;
	hx_audit_tick(&a);
	if (a.lost[HX_LOSS_JOURNALD] != 3)
		return 9;
	/* every line offered is written or lost, by reason */
	generated = hx_journal_offered(j);
	if (generated !=
	    hx_journal_sent(j) + hx_journal_lost(j, HX_JLOSS_MAX) + hx_journal_queued(j))
		return 10;

	/* back: the next line goes through, then the report of the three */
	fd = journal_listen();
	if (fd < 0)
		return 11;
	hx_audit_dropped(&a, "test", 1, 1);
	hx_journal_flush(j, 5000);
	hx_audit_tick(&a); /* the line got through: the worker says so; report now */
	hx_journal_flush(j, 5000);
	n = recv_one(fd, buf, sizeof(buf));
	if (n <= 0 || !has(buf, (size_t)n, "HELIXAGENT_DROP_REASON=test"))
		return 12;
	n = recv_one(fd, buf, sizeof(buf));
	if (n <= 0 || !has(buf, (size_t)n, "HELIXAGENT_DROP_REASON=journald") ||
	    !has(buf, (size_t)n, "HELIXAGENT_DROPPED=3"))
		return 13;
	if (a.lost_reported[HX_LOSS_JOURNALD] != 3)
		return 14;
	hx_audit_close(&a);
	close(fd);
	return 0;
}

static void delivery_through_libsystemd(void **state)
{
	/* skipped (77) without a mount namespace for us (not root): the mapping is tested above */
	in_child(delivery_child);
}

/*
 * journald stops reading: the sink's thread waits in sendmsg, the queue
 * fills, the lines past it are lost as journald_queue, the stream never
 * waits, and at close a stuck send is cancelled. Lines generated = written +
 * lost by reason + still queued, at every moment.
 */
static int behind_child(void)
{
	struct hx_audit a;
	struct hx_journal *j;
	char err[256];
	int fd, small = 4096;
	uint64_t offered, sent, lostq, losts, queued;
	struct timespec t0, t1;

	if (private_run_systemd())
		return 77;
	fd = journal_listen();
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)))
		return 1;
	j = hx_journal_open(4, err, sizeof(err));
	if (!j || hx_audit_open(&a, NULL, false))
		return 2;
	hx_audit_set_journal(&a, j);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 40000; i++)
		free(denial(&a));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* nobody reads: the lines did not wait for journald (40,000 in well under a minute) */
	if (t1.tv_sec - t0.tv_sec > 60)
		return 3;
	offered = hx_journal_offered(j);
	sent = hx_journal_sent(j);
	lostq = hx_journal_lost(j, HX_JLOSS_QUEUE);
	losts = hx_journal_lost(j, HX_JLOSS_SEND);
	queued = hx_journal_queued(j);
	if (offered != 40000 || !lostq || offered != sent + lostq + losts + queued)
		return 4;
	/*
	 * The tick reports the losses in a line of its own, which journald's
	 * full queue may lose too (or take, if a send timed out meanwhile): the
	 * stream's count is the sink's count after it, never less than before.
	 */
	hx_audit_tick(&a);
	if (a.lost[HX_LOSS_JOURNALD_QUEUE] != hx_journal_lost(j, HX_JLOSS_QUEUE) ||
	    a.lost[HX_LOSS_JOURNALD_QUEUE] < lostq ||
	    a.lost[HX_LOSS_JOURNALD_QUEUE] > lostq + HX_LOSS_MAX)
		return 5;
	/* close gives it a second, then leaves the stuck send behind; it must return */
	hx_audit_close(&a);
	close(fd);
	return 0;
}

static void journald_behind(void **state)
{
	in_child(behind_child);
}

/*
 * The file, syslog and journald together under a burst, syslog's collector
 * and journald both reading nothing: for each output, lines written + lost
 * by reason (+ still queued) = lines generated, and the file, which takes
 * everything, has every sequence number once with the others' losses
 * reported in it.
 */
struct reader {
	int fds[2];
	volatile bool stop;
};

/* A collector reading again: empties both sockets until told to stop. */
static void *drain(void *arg)
{
	struct reader *rd = arg;
	static char buf[1 << 16];

	while (!rd->stop) {
		bool got = false;

		for (int i = 0; i < 2; i++)
			while (recv(rd->fds[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				got = true;
		if (!got)
			usleep(200);
	}
	return NULL;
}

static int together_child(void)
{
	struct reader rd = { { -1, -1 }, false };
	pthread_t reader;
	char dir[] = "/tmp/hx-together-XXXXXX", log[64], target[128], err[256], line[16384];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hx_audit a;
	struct hx_journal *j;
	struct hx_sink *s;
	uint64_t gen, nfile = 0, prev = 0, reported_sys = 0, reported_jq = 0;
	int jfd, sfd, small = 4096;
	FILE *f;

	if (private_run_systemd())
		return 77;
	if (!mkdtemp(dir))
		return 1;
	jfd = journal_listen();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/syslog.sock", dir);
	sfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (jfd < 0 || sfd < 0 || bind(sfd, (struct sockaddr *)&sa, sizeof(sa)))
		return 2;
	setsockopt(jfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(sfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
	snprintf(target, sizeof(target), "unix:%s", sa.sun_path);
	if (hx_audit_open_direct(&a, log, false))
		return 3;
	s = hx_syslog_open(target, 4, err, sizeof(err));
	j = hx_journal_open(4, err, sizeof(err));
	if (!s || !j)
		return 4;
	hx_audit_set_syslog(&a, s);
	hx_audit_set_journal(&a, j);
	/* more than the journald queue's 32 MiB */
	for (int i = 0; i < 30000; i++) {
		free(denial(&a));
		if (i % 1000 == 0)
			hx_audit_tick(&a);
	}
	hx_journal_flush(j, 100);
	hx_audit_tick(&a);
	gen = a.seq;
	/* file */
	if (a.written + a.lost[HX_LOSS_WRITE] != gen)
		return 10;
	/* syslog: one try per datagram */
	if (hx_syslog_sent(s) + hx_syslog_lost(s) != gen || !hx_syslog_lost(s))
		return 11;
	/* journald: offered, and each one written, lost or still queued */
	if (hx_journal_offered(j) != gen ||
	    hx_journal_offered(j) !=
		    hx_journal_sent(j) + hx_journal_lost(j, HX_JLOSS_MAX) + hx_journal_queued(j) ||
	    !hx_journal_lost(j, HX_JLOSS_QUEUE))
		return 12;
	/* the collectors read again: what was lost is reported, through every output */
	rd.fds[0] = jfd;
	rd.fds[1] = sfd;
	if (pthread_create(&reader, NULL, drain, &rd))
		return 5;
	if (!hx_journal_flush(j, 60000))
		return 6;
	for (int i = 0; i < 5; i++) {
		free(denial(&a));
		hx_journal_flush(j, 1000);
		usleep(20000); /* the reader empties the syslog socket */
		hx_audit_tick(&a);
	}
	rd.stop = true;
	pthread_join(reader, NULL);
	gen = a.seq;
	if (a.written + a.lost[HX_LOSS_WRITE] != gen ||
	    hx_syslog_sent(s) + hx_syslog_lost(s) != gen || hx_journal_offered(j) != gen ||
	    hx_journal_offered(j) !=
		    hx_journal_sent(j) + hx_journal_lost(j, HX_JLOSS_MAX) + hx_journal_queued(j))
		return 18;
	/* the file: every sequence number once, in order, and the losses it reported */
	f = fopen(log, "r");
	if (!f)
		return 13;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "\"sequence\":"), *r;
		uint64_t seq = p ? strtoull(p + 11, NULL, 10) : 0;

		if (seq != prev + 1)
			return 14;
		prev = seq;
		nfile++;
		/* a report repeats until it reached the output that lost: its running total counts */
		if (strstr(line, "\"drop_reason\":\"syslog\"") &&
		    (r = strstr(line, "\"dropped_total\":")))
			reported_sys = strtoull(r + 16, NULL, 10);
		if (strstr(line, "\"drop_reason\":\"journald_queue\"") &&
		    (r = strstr(line, "\"dropped_total\":")))
			reported_jq = strtoull(r + 16, NULL, 10);
	}
	fclose(f);
	if (nfile != gen || nfile != a.written)
		return 15;
	printf("together: %llu lines; file %llu; syslog %llu sent, %llu lost (%llu reported); "
	       "journald %llu sent, %llu lost to its queue (%llu reported), %llu refused, %llu queued\n",
	       (unsigned long long)gen, (unsigned long long)a.written,
	       (unsigned long long)hx_syslog_sent(s), (unsigned long long)hx_syslog_lost(s),
	       (unsigned long long)reported_sys, (unsigned long long)hx_journal_sent(j),
	       (unsigned long long)hx_journal_lost(j, HX_JLOSS_QUEUE),
	       (unsigned long long)reported_jq,
	       (unsigned long long)hx_journal_lost(j, HX_JLOSS_SEND),
	       (unsigned long long)hx_journal_queued(j));
	fflush(stdout);
	/* every loss reported, once */
	if (reported_sys != hx_syslog_lost(s) || reported_jq != hx_journal_lost(j, HX_JLOSS_QUEUE))
		return 16;
	hx_audit_close(&a);
	close(jfd);
	close(sfd);
	return td_remove(dir) ? 17 : 0;
}

static void outputs_together_under_load(void **state)
{
	in_child(together_child);
}

/* ---- a real journald, started in a private mount namespace ---- */

#define JOURNALD "/lib/systemd/systemd-journald"

static int real_child(void)
{
	static char out[1 << 20];
	struct hx_audit a;
	struct hx_journal *j;
	char err[256], *line;
	struct stat st;
	pid_t jd;
	size_t n = 0;
	FILE *f;
	int rc = 0, i;

	if (access(JOURNALD, X_OK) || access("/usr/bin/journalctl", X_OK) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    (mkdir("/run/systemd", 0755) && errno != EEXIST) ||
	    mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") ||
	    (mkdir("/run/log", 0755) && errno != EEXIST) ||
	    mount("tmpfs", "/run/log", "tmpfs", 0, "mode=0755") ||
	    (!stat("/var/log/journal", &st) &&
	     mount("tmpfs", "/var/log/journal", "tmpfs", 0, "mode=0755")))
		return 77;
	mkdir("/run/systemd/journal", 0755);
	jd = fork();
	if (!jd) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(JOURNALD, JOURNALD, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && stat(HX_JOURNAL_SOCKET, &st); i++)
		usleep(50000);
	if (i == 100) {
		rc = 77; /* journald would not start here */
		goto out;
	}
	j = hx_journal_open(4, err, sizeof(err));
	if (!j || hx_audit_open(&a, NULL, false)) {
		rc = 1;
		goto out;
	}
	snprintf(a.hostname, sizeof(a.hostname), "node-1");
	hx_audit_set_journal(&a, j);
	line = denial(&a);
	if (!hx_journal_flush(j, 5000) || hx_journal_sent(j) != 1 ||
	    hx_journal_lost(j, HX_JLOSS_MAX)) {
		rc = 2;
		goto done;
	}
	/* what an operator runs: journalctl -o json shows the ECS fields */
	for (i = 0; i < 50 && !strstr(out, "\"EVENT_ACTION\""); i++) {
		usleep(100000);
		f = popen("journalctl -o json --no-pager SYSLOG_IDENTIFIER=helixagent", "r");
		if (!f) {
			rc = 3;
			goto done;
		}
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = 0;
		pclose(f);
	}
	if (!strstr(out, "\"EVENT_ACTION\":\"open\"") ||
	    !strstr(out, "\"FILE_PATH\":\"/etc/sh\\\"adow\"") ||
	    !strstr(out, "\"EVENT_CATEGORY\":[\"file\",\"intrusion_detection\"]") ||
	    !strstr(out, "\"PRIORITY\":\"4\"") || !strstr(out, "\"HELIXAGENT_JSON\":") ||
	    !strstr(out, "\"AGENT_ID\":") ||
	    !strstr(out, "\"MESSAGE\":\"permission_denied open /etc/sh\\\"adow (deny, rule "
			 "filesystem.blocked_paths[0], sandbox web)\"")) {
		fprintf(stderr, "journalctl -o json:\n%s\n", out);
		rc = 4;
	}
done:
	free(line);
	hx_audit_close(&a);
out:
	kill(jd, SIGTERM);
	waitpid(jd, NULL, 0);
	return rc;
}

static void real_journald(void **state)
{
	/* skipped (77) when not root, or with no systemd-journald on this machine */
	in_child(real_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(field_mapping),
		cmocka_unit_test(delivery_through_libsystemd),
		cmocka_unit_test(journald_behind),
		cmocka_unit_test(outputs_together_under_load),
		cmocka_unit_test(real_journald),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
