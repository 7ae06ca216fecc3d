// SPDX-License-Identifier: GPL-2.0
/*
 * Performs one operation and reports what the kernel said, as one line:
 *   <op>: ok [detail]      or     <op>: <ERRNO-NAME> [detail]
 * The exit status is 0 on success, else the errno value. Tests compare the
 * errno name, never a message.
 *
 *   hx-try exec PATH [ARG...]     fork, then execve in the child; reports the
 *                                 child's pid and the execve result
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOEXEC: return "ENOEXEC";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENOTDIR: return "ENOTDIR";
	case EEXIST: return "EEXIST";
	default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
	}
}

static int do_exec(int argc, char **argv)
{
	int pfd[2], e = 0, status;
	pid_t pid;

	if (argc < 1) {
		fprintf(stderr, "exec: PATH needed\n");
		return 2;
	}
	if (pipe2(pfd, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(pfd[0]);
		execve(argv[0], argv, environ);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (e)
		printf("exec: %s pid=%d\n", errname(e), pid);
	else
		printf("exec: ok pid=%d status=%d\n", pid,
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return e;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: hx-try OP ARGS...\n");
		return 2;
	}
	if (!strcmp(argv[1], "exec"))
		return do_exec(argc - 2, argv + 2);
	fprintf(stderr, "hx-try: unknown op %s\n", argv[1]);
	return 2;
}
