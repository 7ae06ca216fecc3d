// SPDX-License-Identifier: GPL-2.0
/*
 * Containment attacks: each op tries one thing a sandbox must not do and
 * reports what the kernel said, as one line:
 *   <op>: ok|<ERRNO-NAME> pid=N [detail]
 * The exit status is 0 on success, else the errno value.
 *
 *   hx-attack [-u UID] OP ARGS...
 *   -u UID                         become UID (and gid UID, no groups) first
 *   clone-into-cgroup CGDIR        clone3(CLONE_INTO_CGROUP) into CGDIR; the child
 *                                  prints its cgroup as "cgroup=PATH"
 *   mount-tmpfs DIR                mount a tmpfs on DIR
 *   bind SRC DST                   bind mount SRC on DST
 *   remount-ro DIR                 remount DIR read-only (MS_REMOUNT|MS_BIND|MS_RDONLY)
 *   move SRC DST                   MS_MOVE the mount at SRC to DST
 *   make-private DIR               change DIR's propagation to private
 *   umount DIR                     umount2(DIR, MNT_DETACH)
 *   pivot-root NEW                 unshare a mount namespace, pivot_root(NEW, NEW/old)
 *   fsmount DIR                    fsopen(tmpfs), fsconfig, fsmount, move_mount to DIR
 *   open-tree-clone SRC DST        open_tree(OPEN_TREE_CLONE) of SRC, move_mount to DST
 *   mount-setattr-rw DIR           mount_setattr clearing MOUNT_ATTR_RDONLY on DIR
 *   ns-mount-tmpfs DIR             unshare a mount namespace, make it private, mount a
 *                                  tmpfs on DIR there
 *   userns-mount DIR               unshare user+mount namespaces (as any user), map
 *                                  root, mount a tmpfs on DIR
 *   write PATH VALUE               open(O_WRONLY) and write VALUE
 *   finit-module PATH              finit_module of PATH
 *   kexec-unload                   kexec_load with no segments (unloads nothing)
 *   reboot-cad-off                 reboot(LINUX_REBOOT_CMD_CAD_OFF): harmless
 *   settime                        clock_settime(CLOCK_REALTIME, now)
 *   swapon PATH                    swapon PATH
 *   ioperm                         ioperm(0x80, 1, 1)
 *   lo-mtu                         SIOCSIFMTU on lo with its current MTU
 *   sigio PID                      a pipe whose owner is PID (F_SETOWN, O_ASYNC), then a
 *                                  write to it: the kernel sends SIGIO to PID
 *   setpriority PID N              setpriority(PRIO_PROCESS, PID, N)
 *   ioprio PID                     ioprio_set(IOPRIO_WHO_PROCESS, PID, idle class)
 *   affinity PID                   sched_setaffinity(PID) to CPU 0
 *   prlimit PID                    prlimit(PID, RLIMIT_NOFILE) lowered to 64
 *   lease PATH                     open PATH read-only, F_SETLEASE F_RDLCK
 *   fanotify-perm PATH             fanotify_mark(FAN_OPEN_PERM) on PATH
 *   open-rw PATH                   open(O_RDWR)
 *   tiocsti                        a new pseudo-terminal; TIOCSTI of one byte into it
 *   perf-kernel | perf-user        perf_event_open of the CPU clock on itself, with
 *                                  the kernel counted, or user space only
 *   syslog-level                   syslog(SYSLOG_ACTION_CONSOLE_LEVEL) to the current level
 *   sethostname | uts-sethostname  sethostname to the current name; the second in a new
 *                                  UTS namespace
 *   socket FAMILY                  socket(FAMILY, SOCK_DGRAM, 0)
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <linux/sched.h>
#include <linux/mount.h>
#include <linux/reboot.h>
#include <sys/fanotify.h>
#include <sys/klog.h>
#include <linux/perf_event.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *errname(int e)
{
	if (!e)
		return "ok";
	return strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

static const char *op;

/* Reports @rc (negative: errno holds the error) with @detail; the exit status. */
static int report(int rc, const char *detail)
{
	int e = rc < 0 ? errno : 0;

	printf("%s: %s pid=%d%s%s\n", op, errname(e), getpid(), detail ? " " : "",
	       detail ? detail : "");
	fflush(stdout);
	return e;
}

/* A failed step of a chain: reported with the step's name. */
static int report_step(const char *step)
{
	char d[64];

	snprintf(d, sizeof(d), "step=%s", step);
	return report(-1, d);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int do_clone_into_cgroup(const char *cgdir)
{
	struct clone_args args = { 0 };
	int cfd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), status;
	long pid;

	if (cfd < 0)
		return report_step("open");
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cfd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return report(-1, NULL);
	if (pid == 0) {
		char buf[512] = "";
		int fd = open("/proc/self/cgroup", O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("child cgroup=%s\n", strchr(buf, '/') ? strchr(buf, '/') : buf);
		fflush(stdout);
		_exit(0);
	}
	waitpid((pid_t)pid, &status, 0);
	return report(0, NULL);
}

static int do_pivot_root(const char *newroot)
{
	char old[512];

	if (unshare(CLONE_NEWNS))
		return report_step("unshare");
	snprintf(old, sizeof(old), "%s/old", newroot);
	if (syscall(SYS_pivot_root, newroot, old))
		return report(-1, NULL);
	return report(0, NULL);
}

static int do_fsmount(const char *dir)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC), mfd;

	if (fs < 0)
		return report_step("fsopen");
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		return report_step("fsconfig");
	mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return report_step("fsmount");
	if (syscall(SYS_move_mount, mfd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH))
		return report_step("move_mount");
	return report(0, NULL);
}

static int do_open_tree_clone(const char *src, const char *dst)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return report_step("open_tree");
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH))
		return report_step("move_mount");
	return report(0, NULL);
}

static int do_mount_setattr_rw(const char *dir)
{
	struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, AT_FDCWD, dir, 0, &attr, sizeof(attr)))
		return report(-1, NULL);
	return report(0, NULL);
}

static int do_userns_mount(const char *dir)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return report_step("unshare");
	if (write_file("/proc/self/setgroups", "deny"))
		return report_step("setgroups");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map))
		return report_step("uid_map");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (write_file("/proc/self/gid_map", map))
		return report_step("gid_map");
	if (mount("none", dir, "tmpfs", 0, NULL))
		return report(-1, NULL);
	return report(0, NULL);
}

static int do_ns_mount_tmpfs(const char *dir)
{
	if (unshare(CLONE_NEWNS))
		return report_step("unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return report_step("private");
	return report(mount("none", dir, "tmpfs", 0, NULL), NULL);
}

static int do_sigio(pid_t target)
{
	int p[2];

	if (pipe(p))
		return report_step("pipe");
	if (fcntl(p[0], F_SETOWN, target))
		return report_step("setown");
	if (fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		return report_step("async");
	if (write(p[1], "x", 1) != 1)
		return report_step("write");
	return report(0, NULL);
}

static int do_lo_mtu(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return report_step("socket");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFMTU, &ifr))
		return report_step("get");
	return report(ioctl(s, SIOCSIFMTU, &ifr), NULL);
}

static int do_prlimit(pid_t pid)
{
	struct rlimit rl;

	if (prlimit(pid, RLIMIT_NOFILE, NULL, &rl))
		return report_step("get");
	rl.rlim_cur = rl.rlim_cur < 64 ? rl.rlim_cur : 64;
	return report(prlimit(pid, RLIMIT_NOFILE, &rl, NULL), NULL);
}

static int do_lease(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return report_step("open");
	return report(fcntl(fd, F_SETLEASE, F_RDLCK), NULL);
}

static int do_fanotify(const char *path)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);

	if (fd < 0)
		return report_step("init");
	return report(fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, path), NULL);
}

static int do_tiocsti(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), t;
	char c = 'x';

	if (m < 0 || grantpt(m) || unlockpt(m))
		return report_step("ptmx");
	t = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (t < 0)
		return report_step("pts");
	return report(ioctl(t, TIOCSTI, &c), NULL);
}

static int do_perf(int kernel)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE,
				     .size = sizeof(a),
				     .config = PERF_COUNT_SW_CPU_CLOCK };

	a.exclude_kernel = !kernel;
	a.exclude_hv = !kernel;
	return report((int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0) < 0 ? -1 : 0, NULL);
}

static int do_syslog_level(void)
{
	int level = 0;
	FILE *f = fopen("/proc/sys/kernel/printk", "r");

	if (!f || fscanf(f, "%d", &level) != 1)
		return report_step("printk");
	fclose(f);
	return report(klogctl(8, NULL, level), NULL);
}

static int do_sethostname(int uts)
{
	char name[256];

	if (uts && unshare(CLONE_NEWUTS))
		return report_step("unshare");
	if (gethostname(name, sizeof(name)))
		return report_step("gethostname");
	return report(sethostname(name, strlen(name)), NULL);
}

static int become(const char *uid_s)
{
	unsigned id = (unsigned)atoi(uid_s);

	if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id)) {
		perror("become");
		return -1;
	}
	/* as a process that was that user from the start: its /proc/self files are its own */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc > 2 && !strcmp(argv[1], "-u")) {
		if (become(argv[2]))
			return 2;
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: hx-attack [-u UID] OP ARGS...\n");
		return 2;
	}
	op = argv[1];
#define ARGS(n)                                                                                    \
	do {                                                                                       \
		if (argc < 2 + (n)) {                                                              \
			fprintf(stderr, "%s: missing arguments\n", op);                            \
			return 2;                                                                  \
		}                                                                                  \
	} while (0)
	if (!strcmp(op, "clone-into-cgroup")) {
		ARGS(1);
		return do_clone_into_cgroup(argv[2]);
	}
	if (!strcmp(op, "mount-tmpfs")) {
		ARGS(1);
		return report(mount("none", argv[2], "tmpfs", 0, NULL), NULL);
	}
	if (!strcmp(op, "bind")) {
		ARGS(2);
		return report(mount(argv[2], argv[3], NULL, MS_BIND, NULL), NULL);
	}
	if (!strcmp(op, "remount-ro")) {
		ARGS(1);
		return report(mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
			      NULL);
	}
	if (!strcmp(op, "move")) {
		ARGS(2);
		return report(mount(argv[2], argv[3], NULL, MS_MOVE, NULL), NULL);
	}
	if (!strcmp(op, "make-private")) {
		ARGS(1);
		return report(mount(NULL, argv[2], NULL, MS_PRIVATE, NULL), NULL);
	}
	if (!strcmp(op, "umount")) {
		ARGS(1);
		return report(umount2(argv[2], MNT_DETACH), NULL);
	}
	if (!strcmp(op, "pivot-root")) {
		ARGS(1);
		return do_pivot_root(argv[2]);
	}
	if (!strcmp(op, "fsmount")) {
		ARGS(1);
		return do_fsmount(argv[2]);
	}
	if (!strcmp(op, "open-tree-clone")) {
		ARGS(2);
		return do_open_tree_clone(argv[2], argv[3]);
	}
	if (!strcmp(op, "mount-setattr-rw")) {
		ARGS(1);
		return do_mount_setattr_rw(argv[2]);
	}
	if (!strcmp(op, "ns-mount-tmpfs")) {
		ARGS(1);
		return do_ns_mount_tmpfs(argv[2]);
	}
	if (!strcmp(op, "userns-mount")) {
		ARGS(1);
		return do_userns_mount(argv[2]);
	}
	if (!strcmp(op, "write")) {
		ARGS(2);
		return report(write_file(argv[2], argv[3]), NULL);
	}
	if (!strcmp(op, "finit-module")) {
		ARGS(1);
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return report_step("open");
		return report((int)syscall(SYS_finit_module, fd, "", 0), NULL);
	}
	if (!strcmp(op, "kexec-unload"))
		return report((int)syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL), NULL);
	if (!strcmp(op, "reboot-cad-off"))
		return report((int)syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
					   LINUX_REBOOT_CMD_CAD_OFF, NULL),
			      NULL);
	if (!strcmp(op, "settime")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return report(clock_settime(CLOCK_REALTIME, &ts), NULL);
	}
	if (!strcmp(op, "swapon")) {
		ARGS(1);
		return report(swapon(argv[2], 0), NULL);
	}
	if (!strcmp(op, "ioperm"))
		return report(ioperm(0x80, 1, 1), NULL);
	if (!strcmp(op, "lo-mtu"))
		return do_lo_mtu();
	if (!strcmp(op, "sigio")) {
		ARGS(1);
		return do_sigio((pid_t)atoi(argv[2]));
	}
	if (!strcmp(op, "setpriority")) {
		ARGS(2);
		return report(setpriority(PRIO_PROCESS, (id_t)atoi(argv[2]), atoi(argv[3])), NULL);
	}
	if (!strcmp(op, "ioprio")) {
		ARGS(1);
		/* IOPRIO_WHO_PROCESS, class idle (3) << 13 */
		return report((int)syscall(SYS_ioprio_set, 1, atoi(argv[2]), 3 << 13), NULL);
	}
	if (!strcmp(op, "affinity")) {
		cpu_set_t set;

		ARGS(1);
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		return report(sched_setaffinity((pid_t)atoi(argv[2]), sizeof(set), &set), NULL);
	}
	if (!strcmp(op, "prlimit")) {
		ARGS(1);
		return do_prlimit((pid_t)atoi(argv[2]));
	}
	if (!strcmp(op, "lease")) {
		ARGS(1);
		return do_lease(argv[2]);
	}
	if (!strcmp(op, "fanotify-perm")) {
		ARGS(1);
		return do_fanotify(argv[2]);
	}
	if (!strcmp(op, "open-rw")) {
		ARGS(1);
		fd = open(argv[2], O_RDWR | O_CLOEXEC);
		return report(fd < 0 ? -1 : 0, NULL);
	}
	if (!strcmp(op, "tiocsti"))
		return do_tiocsti();
	if (!strcmp(op, "perf-kernel") || !strcmp(op, "perf-user"))
		return do_perf(!strcmp(op, "perf-kernel"));
	if (!strcmp(op, "syslog-level"))
		return do_syslog_level();
	if (!strcmp(op, "sethostname") || !strcmp(op, "uts-sethostname"))
		return do_sethostname(!strcmp(op, "uts-sethostname"));
	if (!strcmp(op, "socket")) {
		ARGS(1);
		fd = socket(atoi(argv[2]), SOCK_DGRAM, 0);
		return report(fd < 0 ? -1 : 0, NULL);
	}
	fprintf(stderr, "hx-attack: unknown op %s\n", op);
	return 2;
}
