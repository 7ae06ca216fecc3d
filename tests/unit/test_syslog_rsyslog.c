// SPDX-License-Identifier: GPL-2.0
/*
 * The syslog output against a real collector: an rsyslogd of our own on
 * loopback (UDP, TCP) and on a local datagram socket, parsing what the audit
 * stream sends as RFC 5424 and writing back the fields it understood. Skipped
 * when rsyslogd is not installed (tools/deps.sh installs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "events/audit.h"
#include "events/sink.h"

#include "test_dir_util.h"
#include "test_rsyslog_util.h"

static char dir[64];
static pid_t rs_pid;
static int udp_port, tcp_port;

static bool file_has(const char *path, const char *needle)
{
	char line[65536];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static int start_rsyslog(void **state)
{
	char out[128], buf[2048];
	FILE *f;

	if (access(RSYSLOGD, X_OK))
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/hx-rsyslog-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	udp_port = tr_free_port(SOCK_DGRAM);
	tcp_port = tr_free_port(SOCK_STREAM);
	snprintf(out, sizeof(out), "%s/out.log", dir);
	f = tr_conf(dir);
	if (!f)
		return -1;
	/* Every field rsyslog parsed out of the message, '|'-separated, one line per message. */
	fprintf(f,
		"global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
		"module(load=\"imudp\")\n"
		"module(load=\"imtcp\")\n"
		"module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
		"input(type=\"imudp\" address=\"127.0.0.1\" port=\"%d\")\n"
		"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\")\n"
		"input(type=\"imuxsock\" Socket=\"%s/log.sock\" UseSpecialParser=\"off\" ParseHostname=\"on\")\n"
		"template(name=\"fields\" type=\"string\" string=\"%%inputname%%|%%protocol-version%%|"
		"%%syslogfacility-text%%|%%syslogseverity-text%%|%%timereported:::date-rfc3339%%|"
		"%%hostname%%|%%app-name%%|%%procid%%|%%msgid%%|%%structured-data%%|%%msg%%\\n\")\n"
		"*.* action(type=\"omfile\" file=\"%s\" template=\"fields\")\n",
		dir, udp_port, tcp_port, dir, out);
	fclose(f);
	rs_pid = tr_spawn(dir, false);
	/* Its inputs are up once the socket exists and the TCP port takes connections. */
	snprintf(buf, sizeof(buf), "%s/log.sock", dir);
	for (int i = 0; i < 100; i++) {
		if (!access(buf, F_OK) && tr_listening(tcp_port))
			return 0;
		usleep(100000);
	}
	return -1;
}

static int stop_rsyslog(void **state)
{
	tr_stop(rs_pid);
	if (dir[0])
		return td_remove(dir);
	return 0;
}

/* A denial as the kernel would report it. */
static void denial(struct hx_audit *a, uint32_t pid)
{
	static struct hx_event e;

	memset(&e, 0, sizeof(e));
	e.type = HX_EV_DECISION;
	e.action = HX_ACT_OPEN;
	e.family = HX_FAM_FILE;
	e.decision = 1;
	e.err = -1;
	e.pid = e.tid = pid;
	e.rule_id = HX_RULE_NONE;
	memcpy(e.comm, "cat", 4);
	memcpy(e.path, "shadow\0etc\0\0", 12);
	e.path_len = 12;
	hx_audit_decision(a, &e, NULL);
}

static void one_transport(const char *target, const char *input, uint32_t pid)
{
	char err[256], out[128], needle[64], line[65536], host[256];
	struct hx_audit a;
	struct hx_sink *s;
	FILE *f;
	bool found = false;

	snprintf(out, sizeof(out), "%s/out.log", dir);
	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	s = hx_syslog_open(target, 19 /* local3 */, err, sizeof(err));
	if (!s)
		fail_msg("%s: %s", target, err);
	hx_audit_set_syslog(&a, s);
	a.seq = 18233;
	denial(&a, pid);
	for (int i = 0; i < 50 && hx_syslog_sent(s) < 1; i++) {
		hx_audit_tick(&a);
		usleep(100000);
	}
	snprintf(needle, sizeof(needle), "\"pid\":%u,", pid);
	for (int i = 0; i < 100 && !file_has(out, needle); i++)
		usleep(100000);
	hx_audit_close(&a);

	f = fopen(out, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	if (!found)
		fail_msg("rsyslog did not receive the message sent to %s", target);
	line[strcspn(line, "\n")] = 0;
	/* input|version|facility|severity|time|host|app|procid|msgid|sd|msg */
	{
		char *fld[11], *p = line;
		char want[512];

		for (int i = 0; i < 10; i++) {
			fld[i] = p;
			p = strchr(p, '|');
			assert_non_null(p);
			*p++ = 0;
		}
		fld[10] = p;
		gethostname(host, sizeof(host));
		assert_string_equal(fld[0], input);
		assert_string_equal(fld[1], "1");
		assert_string_equal(fld[2], "local3");
		assert_string_equal(fld[3], "warning");
		assert_true(strlen(fld[4]) >= 20 && fld[4][10] == 'T');
		assert_string_equal(fld[5], host);
		assert_string_equal(fld[6], "helixagent");
		snprintf(want, sizeof(want), "%d", (int)getpid());
		assert_string_equal(fld[7], want);
		assert_string_equal(fld[8], "permission_denied");
		assert_string_equal(fld[9], "[meta sequenceId=\"18234\"]");
		/* the message is the JSON line, whole */
		while (*fld[10] == ' ')
			fld[10]++;
		assert_true(fld[10][0] == '{');
		assert_non_null(strstr(fld[10], "\"sequence\":18234,"));
		assert_non_null(strstr(fld[10], "\"file\":{\"path\":\"/etc/shadow\""));
		assert_true(fld[10][strlen(fld[10]) - 1] == '}');
	}
}

/* One line over @scheme to the collector's @port, parsed by its @input. */
static void over_port(const char *scheme, int port, const char *input, uint32_t pid)
{
	char target[64];

	if (!rs_pid)
		skip();
	snprintf(target, sizeof(target), "%s://127.0.0.1:%d", scheme, port);
	one_transport(target, input, pid);
}

static void rsyslog_parses_udp(void **state)
{
	over_port("udp", udp_port, "imudp", 4101);
}

static void rsyslog_parses_tcp(void **state)
{
	over_port("tcp", tcp_port, "imtcp", 4102);
}

static void rsyslog_parses_unix_socket(void **state)
{
	char target[128];

	if (!rs_pid)
		skip();
	snprintf(target, sizeof(target), "%s/log.sock", dir);
	one_transport(target, "imuxsock", 4103);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsyslog_parses_udp),
		cmocka_unit_test(rsyslog_parses_tcp),
		cmocka_unit_test(rsyslog_parses_unix_socket),
	};

	if (access(RSYSLOGD, X_OK))
		fprintf(stderr, "test_syslog_rsyslog: %s not installed (tools/deps.sh): skipped\n",
			RSYSLOGD);
	return cmocka_run_group_tests(tests, start_rsyslog, stop_rsyslog);
}
