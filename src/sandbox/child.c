// SPDX-License-Identifier: GPL-2.0
/*
 * The new process. Without namespaces it is the program. With them, the
 * launcher creates it in new mount, PID, IPC, UTS (and network) namespaces;
 * it is then PID 1 of the sandbox: it sets up the mounts as root, forks the
 * program, maps the program's user namespace (root inside, nobody outside),
 * moves it into the run's cgroup, drops its own privileges, forwards
 * signals and reaps orphans until the program ends. When it exits, the
 * kernel kills whatever is left in the PID namespace.
 *
 * Every privileged step happens before the program joins the run's cgroup:
 * inside it, the kernel refuses the capabilities the sandbox drops, even to
 * root. The program joins right before exec, so nothing of the command ever
 * runs outside the cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

void hx_child_report(const struct hx_run_plan *plan, int stage, int err, const char *fmt, ...)
{
	struct hx_child_err e = { .stage = stage, .err = err < 0 ? -err : err };
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(e.what, sizeof(e.what), fmt, ap);
	va_end(ap);
	/* One write of less than PIPE_BUF: whole or not at all. */
	(void)!write(plan->err_fd, &e, sizeof(e));
}

static void __attribute__((noreturn))
fail(const struct hx_run_plan *plan, int stage, int err, const char *what)
{
	hx_child_report(plan, stage, err, "%s", what);
	_exit(stage == HX_STAGE_LIMIT ? HX_EXEC_EXIT_LIMIT : HX_EXEC_EXIT_SYSTEM);
}

static bool read_byte(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static void reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP and reserved ones */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			err = -errno;
	} else {
		err = -errno;
	}
	close(s);
	return err;
}

static int write_proc(pid_t pid, const char *file, const char *val)
{
	char path[64];
	int fd, err = 0;
	ssize_t len = (ssize_t)strlen(val);

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}

/* Writes @pid (0: the caller) into the run's cgroup, and its v1 twins in a hybrid layout. */
static int join(const struct hx_run_plan *plan, pid_t pid)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	/* v1 first: once in the cgroup2 run cgroup the kernel rules apply, limits must too */
	for (size_t i = 0; i < plan->nv1; i++)
		if (write(plan->v1_procs_fd[i], buf, (size_t)n) != n)
			return -errno;
	if (write(plan->cg_procs_fd, buf, (size_t)n) != n)
		return -errno;
	return 0;
}

static void close_cgroup_fds(const struct hx_run_plan *plan)
{
	close(plan->cg_procs_fd);
	for (size_t i = 0; i < plan->nv1; i++)
		close(plan->v1_procs_fd[i]);
}

/* Between the sandbox's init and the program (PID namespace only). */
struct init_sync {
	int up[2]; /* program -> init: 'u' unshared, map me; 'j' ready, move me into the cgroup */
	int down[2]; /* init -> program: 'g' done */
};

static bool ask_init(struct init_sync *s, char what)
{
	return write(s->up[1], &what, 1) == 1 && read_byte(s->down[0]);
}

/* The program: its own user namespace, environment, no_new_privs, seccomp, capabilities, exec. */
static void __attribute__((noreturn))
run_program(const struct hx_run_plan *plan, bool chroot_fallback, struct init_sync *is)
{
	uint64_t keep = plan->caps_keep;
	bool caps_set = plan->caps_set;
	int err;

	reset_signals();
	if (is) {
		close(is->up[0]);
		close(is->down[1]);
	}
	/* Still root of the host: a limit above the current hard one needs CAP_SYS_RESOURCE there. */
	if (plan->nofile) {
		struct rlimit rl = { plan->nofile, plan->nofile };
		char what[64];

		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			snprintf(what, sizeof(what), "RLIMIT_NOFILE %u", plan->nofile);
			fail(plan, HX_STAGE_LIMIT, errno, what);
		}
	}
	if (plan->userns) {
		/* A new mount namespace too: owned by a less privileged user namespace, it locks the mounts. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			fail(plan, HX_STAGE_SETUP, errno, "create the user namespace");
		if (!ask_init(is, 'u'))
			_exit(HX_EXEC_EXIT_SYSTEM); /* init reported it */
		if (setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0))
			fail(plan, HX_STAGE_SETUP, errno, "become root of the user namespace");
	}
	/* chroot(2) can leave a moved root (not a pivoted one): only pivot_root hides the old root. */
	if (chroot_fallback && (keep & (1ull << CAP_SYS_CHROOT)) &&
	    !(plan->caps_added & (1ull << CAP_SYS_CHROOT))) {
		keep &= ~(1ull << CAP_SYS_CHROOT);
		caps_set = true;
	}
	environ = plan->envp;
	if (plan->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fail(plan, HX_STAGE_SETUP, errno, "set no_new_privs");
	/* seccomp before the capabilities: loading it needs CAP_SYS_ADMIN or no_new_privs */
	if (plan->seccomp) {
		err = hx_seccomp_load();
		if (err)
			fail(plan, HX_STAGE_SETUP, err, "load the seccomp filter");
	}
	if (caps_set) {
		err = hx_caps_apply(keep);
		if (err)
			fail(plan, HX_STAGE_SETUP, err, "set the capabilities");
	}
	/*
	 * Into the run's cgroup, where the kernel rules and limits hold, as the
	 * last step before exec: the init does it in a PID namespace (the
	 * program may be nobody by now), the program itself otherwise.
	 */
	if (is) {
		if (!ask_init(is, 'j'))
			_exit(HX_EXEC_EXIT_SYSTEM);
		close(is->up[1]);
		close(is->down[0]);
	} else {
		err = join(plan, 0);
		if (err)
			fail(plan, HX_STAGE_SETUP, err, "join the run's cgroup");
	}
	close_cgroup_fds(plan);
	execvp(plan->argv[0], plan->argv);
	err = errno;
	hx_child_report(plan, HX_STAGE_EXEC, err, "%s", plan->argv[0]);
	_exit(err == ENOENT || err == ENOTDIR ? HX_EXEC_EXIT_NOT_FOUND : HX_EXEC_EXIT_CANNOT_EXEC);
}

static volatile pid_t program_pid;

static void forward(int sig)
{
	if (program_pid > 0)
		kill(program_pid, sig);
}

/* Answers the program's requests: 'u' map its user namespace, 'j' move it into the cgroup. */
static int serve_program(const struct hx_run_plan *plan, pid_t pid, struct init_sync *is)
{
	char map[64], req;
	int err = 0;

	while (read(is->up[0], &req, 1) == 1) {
		if (req == 'u') {
			snprintf(map, sizeof(map), "0 %u 1\n", HX_SANDBOX_HOST_UID);
			err = write_proc(pid, "uid_map", map);
			if (!err) {
				snprintf(map, sizeof(map), "0 %u 1\n", HX_SANDBOX_HOST_GID);
				err = write_proc(pid, "gid_map", map);
			}
			if (err) {
				hx_child_report(plan, HX_STAGE_SETUP, err,
						"map the user namespace");
				return err;
			}
		} else if (req == 'j') {
			err = join(plan, pid);
			if (err) {
				hx_child_report(plan, HX_STAGE_SETUP, err,
						"move the program into the run's cgroup");
				return err;
			}
		} else {
			return -EPROTO;
		}
		if (write(is->down[1], "g", 1) != 1)
			return -errno;
		if (req == 'j')
			return 0;
	}
	return -EPIPE; /* the program failed on its own, and reported it */
}

/* PID 1 of the sandbox. It stays outside the run's cgroup: only the program and its descendants are in it. */
static void __attribute__((noreturn))
init_main(const struct hx_run_plan *plan, bool chroot_fallback)
{
	static const int fwd[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT };
	struct init_sync is;
	sigset_t none;
	pid_t pid;
	int status = 0;

	if (pipe2(is.up, O_CLOEXEC) || pipe2(is.down, O_CLOEXEC))
		fail(plan, HX_STAGE_SETUP, errno, "pipe");
	pid = fork();
	if (pid < 0)
		fail(plan, HX_STAGE_SETUP, errno, "fork the program");
	if (pid == 0)
		run_program(plan, chroot_fallback, &is);
	program_pid = pid;
	close(is.up[1]);
	close(is.down[0]);
	if (serve_program(plan, pid, &is))
		kill(pid, SIGKILL);
	close(is.up[0]);
	close(is.down[1]);
	close_cgroup_fds(plan);
	/* The launcher sees the end of this pipe when the program has exec'd (or failed to). */
	close(plan->err_fd);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		signal(fwd[i], forward);
	/* The terminal sends these to the whole process group, the program included. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	/* The launcher's mask, inherited, held back what arrived so far: now it is forwarded. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nothing but waiting and signalling from here on. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	hx_caps_apply(1ull << CAP_KILL);
	for (;;) {
		pid_t w = waitpid(-1, &status, 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			_exit(HX_EXEC_EXIT_SYSTEM);
	}
	/* PID 1 cannot die of its own signal: the status says it instead. */
	_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

void hx_child_main(const struct hx_run_plan *plan)
{
	char what[200] = "";
	bool fallback = false;
	int err;

	/* A run whose launcher died has nobody to enforce its time limit or clean up after it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!read_byte(plan->go_fd))
		_exit(HX_EXEC_EXIT_SYSTEM);
	close(plan->go_fd);
	if ((plan->ns_flags & CLONE_NEWUTS) && sethostname(plan->sandbox, strlen(plan->sandbox)))
		fail(plan, HX_STAGE_SETUP, errno, "set the host name");
	if (plan->netns) {
		err = lo_up();
		if (err)
			fail(plan, HX_STAGE_SETUP, err, "bring up lo in the network namespace");
	}
	if (plan->mountns) {
		err = hx_mounts_setup(plan, &fallback, what, sizeof(what));
		if (err)
			fail(plan, HX_STAGE_SETUP, err, what);
	}
	if (plan->pidns)
		init_main(plan, fallback);
	run_program(plan, fallback, NULL);
}
