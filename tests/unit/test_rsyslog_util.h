/* SPDX-License-Identifier: GPL-2.0 */
/* An rsyslogd of the test's own on loopback, for the syslog unit tests (after cmocka.h). */
#ifndef HX_TEST_RSYSLOG_UTIL_H
#define HX_TEST_RSYSLOG_UTIL_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RSYSLOGD "/usr/sbin/rsyslogd"

/* A loopback port of @type free a moment ago (-1: none). */
static inline int tr_free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0), port;

	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Whether 127.0.0.1:@port takes TCP connections. */
static inline bool tr_listening(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool up = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));

	close(fd);
	return up;
}

/* @dir/rsyslog.conf, opened to be written (NULL: it cannot be). */
static inline FILE *tr_conf(const char *dir)
{
	char conf[128];

	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", dir);
	return fopen(conf, "w");
}

/* rsyslogd in the foreground on @dir/rsyslog.conf, stdout (and, @quiet, stderr) to /dev/null. */
static inline pid_t tr_spawn(const char *dir, bool quiet)
{
	char conf[128];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", dir);
	pid = fork();
	if (pid == 0) {
		char pidf[128];

		snprintf(pidf, sizeof(pidf), "%s/rsyslogd.pid", dir);
		freopen("/dev/null", "w", stdout);
		if (quiet)
			freopen("/dev/null", "w", stderr);
		execl(RSYSLOGD, RSYSLOGD, "-n", "-f", conf, "-i", pidf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Stops what tr_spawn() started (@pid <= 0: nothing). */
static inline void tr_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

#endif
