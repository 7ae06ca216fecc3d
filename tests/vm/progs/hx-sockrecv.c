// SPDX-License-Identifier: GPL-2.0
/*
 * A collector for the daemon suite: receives messages and appends each, as
 * one line, to OUT. Runs until killed.
 *
 *   hx-sockrecv unix PATH OUT     a datagram socket at PATH (sd_notify, /dev/log)
 *   hx-sockrecv udp PORT OUT      UDP on 127.0.0.1:PORT
 *   hx-sockrecv tcp PORT OUT      TCP on 127.0.0.1:PORT, RFC 6587 octet-counted frames
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int out;

static void emit(const char *m, size_t n)
{
	char *line = malloc(n + 1);

	if (!line)
		exit(2);
	memcpy(line, m, n);
	line[n] = '\n';
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' '; /* sd_notify sends several assignments in one datagram */
	(void)!write(out, line, n + 1);
	free(line);
}

static void tcp_conn(int c)
{
	static char buf[1 << 20];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(c, buf + have, sizeof(buf) - have);
		size_t off = 0;

		if (n <= 0)
			break;
		have += (size_t)n;
		/* frames: LEN SP MSG */
		for (;;) {
			char *sp = memchr(buf + off, ' ', have - off);
			unsigned long len;

			if (!sp)
				break;
			len = strtoul(buf + off, NULL, 10);
			if ((size_t)(sp + 1 - buf) + len > have)
				break;
			emit(sp + 1, len);
			off = (size_t)(sp + 1 - buf) + len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(c);
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: hx-sockrecv unix|udp|tcp PATH|PORT OUT\n");
		return 2;
	}
	out = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0) {
		perror(argv[3]);
		return 2;
	}
	if (!strcmp(argv[1], "unix")) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		unlink(argv[2]);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("bind");
			return 2;
		}
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)atoi(argv[2])),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		bool tcp = !strcmp(argv[1], "tcp");
		int one = 1;

		fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    (tcp && listen(fd, 8))) {
			perror("bind");
			return 2;
		}
		if (tcp) {
			for (;;) {
				int c = accept(fd, NULL, NULL);

				if (c >= 0)
					tcp_conn(c);
			}
		}
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0)
			emit(buf, (size_t)n);
		else if (n < 0 && errno != EINTR)
			return 1;
	}
}
