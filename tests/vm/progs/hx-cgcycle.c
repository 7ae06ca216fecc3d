// SPDX-License-Identifier: GPL-2.0
/*
 * Short-lived sandboxes, fast: N times, create a child cgroup of a sandbox,
 * run each PATH in it (one process each), wait for them, remove the cgroup.
 * Prints "cycles=N refused=R ran=K failed=F": execs refused with EPERM,
 * programs that ran and exited 0, anything else.
 *
 *   hx-cgcycle CGDIR N PATH...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	unsigned long n, refused = 0, ran = 0, failed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: hx-cgcycle CGDIR N PATH...\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	for (unsigned long i = 0; i < n; i++) {
		char dir[4096], procs[4200];
		int status;
		pid_t pid;

		snprintf(dir, sizeof(dir), "%s/cycle-%d-%lu", argv[1], (int)getpid(), i);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		if (mkdir(dir, 0755)) {
			perror(dir);
			return 1;
		}
		for (int a = 3; a < argc; a++) {
			pid = fork();
			if (pid == 0) {
				char *av[] = { argv[a], NULL };
				int fd = open(procs, O_WRONLY), null = open("/dev/null", O_WRONLY);

				if (fd < 0 || write(fd, "0", 1) != 1)
					_exit(100);
				close(fd);
				if (null >= 0)
					dup2(null, STDOUT_FILENO);
				execve(argv[a], av, environ);
				_exit(errno == EPERM ? 65 : 101);
			}
			if (pid < 0 || waitpid(pid, &status, 0) != pid) {
				perror("fork");
				return 1;
			}
			if (WIFEXITED(status) && WEXITSTATUS(status) == 65)
				refused++;
			else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				ran++;
			else
				failed++;
		}
		if (rmdir(dir)) {
			perror(dir);
			return 1;
		}
	}
	printf("cycles=%lu refused=%lu ran=%lu failed=%lu\n", n, refused, ran, failed);
	return 0;
}
