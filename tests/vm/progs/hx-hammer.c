// SPDX-License-Identifier: GPL-2.0
/*
 * Performs operations in a loop, as fast as it can, and records what the
 * kernel said to each: the daemon suite's load for reloads, restarts and
 * bursts.
 *
 *   hx-hammer [-o OUT] [-s STOPFILE] [-n ROUNDS] [-r READYFILE] [-d MS] OP...
 *   OP: exec:PATH   fork, execve PATH in the child (its output to /dev/null)
 *       open:PATH   open PATH read-only in this process
 *
 * Rounds go through every OP in turn, until STOPFILE exists (checked every
 * round) or ROUNDS rounds are done, MS milliseconds apart. READYFILE is
 * created after the first round. OUT gets one line per attempt: "OP PATH PID RESULT" (PID: the child
 * for exec), RESULT ok or an errno name. At the end, stdout gets one line per
 * OP: "OP PATH ok=N EPERM=N other=N".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct op {
	bool exec;
	const char *path;
	unsigned long ok, eperm, other;
};

static int do_exec(const char *path, pid_t *child)
{
	int pfd[2], e = 0, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		close(pfd[0]);
		execve(path, argv, environ);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	*child = pid;
	return e;
}

static int do_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *stop = NULL, *ready = NULL;
	unsigned long rounds = 0, delay_ms = 0;
	struct op *ops;
	FILE *o = NULL;
	int c, nops;

	while ((c = getopt(argc, argv, "o:s:n:r:d:")) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			stop = optarg;
			break;
		case 'n':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			ready = optarg;
			break;
		case 'd':
			delay_ms = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	nops = argc - optind;
	if (nops < 1 || (!stop && !rounds)) {
		fprintf(stderr, "usage: hx-hammer [-o OUT] {-s STOPFILE | -n ROUNDS} OP...\n");
		return 2;
	}
	ops = calloc((size_t)nops, sizeof(*ops));
	if (!ops)
		return 2;
	for (int i = 0; i < nops; i++) {
		const char *a = argv[optind + i];

		if (!strncmp(a, "exec:", 5)) {
			ops[i].exec = true;
			ops[i].path = a + 5;
		} else if (!strncmp(a, "open:", 5)) {
			ops[i].path = a + 5;
		} else {
			fprintf(stderr, "hx-hammer: bad OP '%s'\n", a);
			return 2;
		}
	}
	if (out) {
		o = fopen(out, "w");
		if (!o) {
			perror(out);
			return 2;
		}
	}
	for (unsigned long r = 0; !rounds || r < rounds; r++) {
		if (stop && access(stop, F_OK) == 0)
			break;
		for (int i = 0; i < nops; i++) {
			pid_t pid = getpid();
			int e = ops[i].exec ? do_exec(ops[i].path, &pid) : do_open(ops[i].path);

			if (!e)
				ops[i].ok++;
			else if (e == EPERM)
				ops[i].eperm++;
			else
				ops[i].other++;
			if (o)
				fprintf(o, "%s %s %d %s\n", ops[i].exec ? "exec" : "open",
					ops[i].path, (int)pid,
					!e	   ? "ok" :
					e == EPERM ? "EPERM" :
						     strerrorname_np(e));
		}
		if (ready && r == 0)
			close(open(ready, O_WRONLY | O_CREAT, 0644));
		if (delay_ms)
			usleep((useconds_t)delay_ms * 1000);
	}
	if (o)
		fclose(o);
	for (int i = 0; i < nops; i++)
		printf("%s %s ok=%lu EPERM=%lu other=%lu\n", ops[i].exec ? "exec" : "open",
		       ops[i].path, ops[i].ok, ops[i].eperm, ops[i].other);
	free(ops);
	return 0;
}
