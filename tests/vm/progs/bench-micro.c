// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark workload (bench/): one operation repeated N times per round.
 *
 *   bench-micro calibrate OP ARG MS      prints the N that makes one round last about MS ms
 *   bench-micro run OP ARG N ROUNDS      prints "round I NS_PER_OP" per round
 *   bench-micro serve PORT               TCP listener (accept+close) and UDP sink on 127.0.0.1:PORT
 *
 * OP and its ARG: open PATH (open+close), stat PATH, exec PROGRAM (fork, execve, wait),
 * connect PORT (socket, TCP connect to 127.0.0.1, close), udp PORT (sendto of 16 bytes).
 * A failed operation ends the run with status 1: a benchmark of denials would measure
 * something else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int udp_fd = -1;
static struct sockaddr_in dst;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "bench-micro: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static void op_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open", path);
	close(fd);
}

static void op_stat(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		die("stat", path);
}

static void op_exec(const char *prog)
{
	char *argv[] = { (char *)prog, NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", prog);
	if (pid == 0) {
		execve(prog, argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", prog);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? EPERM : ECHILD;
		die("exec", prog);
	}
}

static void op_connect(const char *port)
{
	/* reset on close: no TIME_WAIT, so thousands of rounds never run out of ports */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", port);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
		die("connect", port);
	close(fd);
}

static void op_udp(const char *port)
{
	static const char msg[16] = "helixagent-bench";

	if (udp_fd < 0) {
		udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp_fd < 0)
			die("socket", port);
	}
	if (sendto(udp_fd, msg, sizeof(msg), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	    errno != ENOBUFS && errno != EAGAIN)
		die("sendto", port);
}

static void (*lookup(const char *op, const char *arg))(const char *)
{
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!strcmp(op, "open"))
		return op_open;
	if (!strcmp(op, "stat"))
		return op_stat;
	if (!strcmp(op, "exec"))
		return op_exec;
	dst.sin_port = htons((uint16_t)atoi(arg));
	if (!strcmp(op, "connect"))
		return op_connect;
	if (!strcmp(op, "udp"))
		return op_udp;
	fprintf(stderr, "bench-micro: unknown operation %s\n", op);
	exit(2);
}

static uint64_t round_ns(void (*fn)(const char *), const char *arg, unsigned long n)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		fn(arg);
	return now_ns() - t0;
}

static __attribute__((noreturn)) void serve(const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, ls, us, buf = 4096;

	a.sin_port = htons((uint16_t)atoi(port));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	us = socket(AF_INET, SOCK_DGRAM, 0);
	if (ls < 0 || us < 0)
		die("socket", port);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* datagrams pile up and are dropped once this small buffer is full: cheap and steady */
	setsockopt(us, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4096))
		die("listen", port);
	if (bind(us, (struct sockaddr *)&a, sizeof(a)))
		die("bind udp", port);
	printf("serving %s\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

int main(int argc, char **argv)
{
	void (*fn)(const char *);

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "calibrate")) {
		uint64_t target = strtoull(argv[4], NULL, 10) * 1000000ull, t;
		unsigned long n = 1;

		fn = lookup(argv[2], argv[3]);
		fn(argv[3]); /* warm caches */
		/* double until a round lasts a tenth of the target, then scale */
		while ((t = round_ns(fn, argv[3], n)) < target / 10 && n < (1ul << 30))
			n *= 2;
		n = (unsigned long)((double)n * (double)target / (double)(t ? t : 1));
		printf("%lu\n", n ? n : 1);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "run")) {
		unsigned long n = strtoul(argv[4], NULL, 10);
		int rounds = atoi(argv[5]);

		fn = lookup(argv[2], argv[3]);
		fn(argv[3]);
		for (int r = 0; r < rounds; r++)
			printf("round %d %.1f\n", r, (double)round_ns(fn, argv[3], n) / (double)n);
		return 0;
	}
	fprintf(stderr, "usage: bench-micro calibrate|run|serve ... (see the source)\n");
	return 2;
}
