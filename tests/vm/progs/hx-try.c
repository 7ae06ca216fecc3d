// SPDX-License-Identifier: GPL-2.0
/*
 * Performs one operation and reports what the kernel said, as one line:
 *   <op>: ok [detail]      or     <op>: <ERRNO-NAME> [detail]
 * The exit status is 0 on success, else the errno value. Tests compare the
 * errno name, never a message. "ok" means the kernel said so: an outcome
 * that cannot be told (a failure that set no errno, a fork that failed, a
 * child that could not be waited for) is reported as "<op>: unknown ..."
 * with exit status 125, which no test accepts as either answer.
 *
 *   hx-try [-j CGDIR] OP ARGS...
 *   -j CGDIR                      join cgroup CGDIR (write cgroup.procs) before
 *                                 the operation, after its "-pre" step
 *   exec PATH [ARG...]            fork, then execve in the child; reports the
 *                                 child's pid and the execve result
 *   open PATH r|w|rw|c|t|a        open for read, write, both, create (O_CREAT|O_WRONLY),
 *                                 truncate (O_WRONLY|O_TRUNC), append; reads 1 byte for r
 *   openat-pre DIR NAME           open DIR before joining, openat(dirfd, NAME) after
 *   reopen-pre PATH               O_PATH open before joining, /proc/self/fd/N re-open after
 *   reopen PATH                   O_PATH open then /proc/self/fd/N re-open, both after
 *   readdir DIR                   opendir + readdir
 *   mkdir|rmdir|unlink|chmod|truncate PATH
 *   rename|link|symlink A B
 *   mmapx PATH                    open read-only, then mmap PROT_READ|PROT_EXEC
 *   chdir-open DIR REL            chdir(DIR) before joining, then open(REL) after
 *   mkdeep DIR N                  below DIR, N nested directories of 200-byte names (made
 *                                 by relative steps, so the whole path may pass PATH_MAX),
 *                                 and a file "f" at the bottom
 *   deep-open DIR N               chdir down those N levels before joining, open "f" after
 *   bpf-obj-get PATH              bpf(BPF_OBJ_GET) of a pinned object
 *   cgns-join CGDIR               unshare a new cgroup namespace, then join CGDIR
 *   setxattr PATH                 set user.hx on PATH
 *   init-module                   init_module(2) with a bogus image
 *   memfd-exec PATH               copy PATH into a memfd, fexecve it (in a child)
 *   deleted-exec PATH TMP         copy PATH to TMP, open it, unlink it, execveat(fd, "")
 *   handle-get PATH FILE          name_to_handle_at(PATH), the handle saved to FILE
 *   handle-open DIR FILE r|w      open_by_handle_at(DIR's mount, FILE's handle), read-only
 *                                 (and read 1 byte) or write-only (nothing written)
 *   execat-opath PATH             after joining, O_PATH open, then execveat(fd, "", AT_EMPTY_PATH)
 *                                 in a child
 *   tree-open DIR REL             open_tree(DIR, OPEN_TREE_CLONE) before joining, then
 *                                 openat(REL) in that detached copy after, and read 1 byte
 *   as UID PATH [ARG...]          become user and group UID (no supplementary groups),
 *                                 then as exec
 *   exec-stalled GO PATH [ARG...] as exec, but the exec is held after the LSM checks
 *                                 (in de_thread, by a thread that cannot die yet) until
 *                                 file GO exists; prints "stalled pid=N" once it is held
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <pthread.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/userfaultfd.h>

extern char **environ;

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case ENOEXEC:
		return "ENOEXEC";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ENOTDIR:
		return "ENOTDIR";
	case EEXIST:
		return "EEXIST";
	default:
		return strerrorname_np(e) ? strerrorname_np(e) : "E?";
	}
}

#define HX_UNKNOWN 125

/* An outcome that cannot be told: never "ok", never an errno. */
static int unknown(const char *op, const char *why, pid_t pid)
{
	printf("%s: unknown (%s) pid=%d\n", op, why, pid);
	return HX_UNKNOWN;
}

/*
 * The execve result of child @pid, which writes its errno to the close-on-exec
 * pipe @rfd when execve fails: end of file means the exec happened. Reaps the
 * child and prints the result line.
 */
static int exec_result(pid_t pid, int rfd)
{
	int e = 0, status;
	ssize_t n;
	pid_t w;

	do
		n = read(rfd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(rfd);
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w != pid)
		return unknown("exec", "waitpid failed", pid);
	if (n == 0) {
		printf("exec: ok pid=%d status=%d\n", pid,
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return 0;
	}
	if (n != sizeof(e) || e <= 0)
		return unknown("exec", "no execve result from the child", pid);
	printf("exec: %s pid=%d\n", errname(e), pid);
	return e;
}

/* fork (or pipe) failed: the exec was never tried, so no "exec:" line. */
static int exec_not_tried(const char *what)
{
	int e = errno;

	if (e <= 0)
		return unknown(what, "failed without errno", -1);
	printf("%s: %s pid=-1\n", what, errname(e));
	return e;
}

static int do_exec(int argc, char **argv)
{
	int pfd[2], e = 0;
	pid_t pid;

	if (argc < 1) {
		fprintf(stderr, "exec: PATH needed\n");
		return 2;
	}
	if (pipe2(pfd, O_CLOEXEC))
		return exec_not_tried("pipe");
	pid = fork();
	if (pid < 0)
		return exec_not_tried("fork");
	if (pid == 0) {
		close(pfd[0]);
		execve(argv[0], argv, environ);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	return exec_result(pid, pfd[0]);
}

/* Runs fd as a program in a child; reports like do_exec. */
static int exec_fd(int fd, const char *label)
{
	char *const av[] = { (char *)label, NULL };
	int pfd[2], e = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return exec_not_tried("pipe");
	pid = fork();
	if (pid < 0)
		return exec_not_tried("fork");
	if (pid == 0) {
		close(pfd[0]);
		syscall(SYS_execveat, fd, "", av, environ, AT_EMPTY_PATH);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	return exec_result(pid, pfd[0]);
}

static int copy_to(const char *src, int dst)
{
	char buf[65536];
	ssize_t n;
	int in = open(src, O_RDONLY);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t w = write(dst, buf, (size_t)n);

		if (w != n) {
			if (w >= 0)
				errno = 0; /* a short write: no errno to report */
			close(in);
			return -1;
		}
	}
	close(in);
	return n < 0 ? -1 : 0;
}

static const char *join_dir;

static void join(void)
{
	char path[4096], buf[32];
	int fd, n;

	if (!join_dir)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", join_dir);
	fd = open(path, O_WRONLY);
	n = snprintf(buf, sizeof(buf), "%d", getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		perror("hx-try: join");
		exit(2);
	}
	close(fd);
}

/*
 * The result of one call: rc >= 0 is success, rc < 0 a failure with errno
 * set. Callers clear errno before the call, so a failure that set none is
 * "unknown", never "ok".
 */
static int report(const char *op, int rc)
{
	int e = rc < 0 ? errno : 0;

	if (rc < 0 && e <= 0)
		return unknown(op, "failed without errno", getpid());
	printf("%s: %s pid=%d\n", op, errname(e), getpid());
	return e;
}

static int do_open(const char *path, const char *mode)
{
	int flags = O_RDONLY, fd;
	char c;

	if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else if (!strcmp(mode, "c"))
		flags = O_WRONLY | O_CREAT;
	else if (!strcmp(mode, "t"))
		flags = O_WRONLY | O_TRUNC;
	else if (!strcmp(mode, "a"))
		flags = O_WRONLY | O_APPEND;
	join();
	fd = open(path, flags, 0644);
	if (fd >= 0 && flags == O_RDONLY && read(fd, &c, 1) < 0)
		fd = -1;
	return report("open", fd);
}

/*
 * exec-stalled: a holder process writes to a tmpfs file from a page that a
 * userfaultfd keeps missing, so the file's inode lock stays held; a thread
 * of the exec'ing process waits for that lock in an uninterruptible sleep,
 * and de_thread() cannot finish the exec before that thread dies.
 */
struct hx_stall {
	int fd;
	void *buf;
	size_t len;
	volatile pid_t tid;
};

static void *stall_write(void *arg)
{
	struct hx_stall *s = arg;

	s->tid = (pid_t)syscall(SYS_gettid);
	(void)!write(s->fd, s->buf, s->len);
	return NULL;
}

/* The scheduler state letter of thread @tid of @pid, or 0. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : 0;
}

/* Waits until @tid of @pid was seen in state D @times polls in a row (10 ms apart). */
static int wait_state_d(pid_t pid, pid_t tid, int times)
{
	int seen = 0;

	for (int i = 0; i < 6000 && seen < times; i++) {
		seen = task_state(pid, tid) == 'D' ? seen + 1 : 0;
		usleep(10000);
	}
	return seen >= times ? 0 : -1;
}

static int do_exec_stalled(int argc, char **argv)
{
	char tmpl[] = "/tmp/hx-stall-XXXXXX", c = 0;
	int hold[2], go[2], epipe[2], fd, e = 0, rc;
	struct hx_stall st = { 0 };
	pid_t holder, pid;
	pthread_t t;

	fd = mkstemp(tmpl);
	if (fd < 0 || unlink(tmpl) || pipe(hold) || pipe(go) || pipe2(epipe, O_CLOEXEC))
		return report("exec-stalled", -1);
	holder = fork();
	if (holder == 0) {
		struct uffdio_api api = { .api = UFFD_API };
		struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
		struct uffdio_zeropage zp = { 0 };
		struct uffd_msg msg;
		int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

		st.len = 4096;
		st.fd = fd;
		st.buf = mmap(NULL, st.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			      0);
		reg.range.start = zp.range.start = (unsigned long)st.buf;
		reg.range.len = zp.range.len = st.len;
		if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || st.buf == MAP_FAILED ||
		    ioctl(uffd, UFFDIO_REGISTER, &reg) ||
		    pthread_create(&t, NULL, stall_write, &st))
			_exit(10);
		/* the write faults with the inode lock held */
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			_exit(11);
		(void)!write(hold[1], "h", 1);
		(void)!read(go[0], &c, 1);
		ioctl(uffd, UFFDIO_ZEROPAGE, &zp);
		pthread_join(t, NULL);
		_exit(0);
	}
	if (holder < 0)
		return exec_not_tried("fork");
	errno = 0;
	if (read(hold[0], &c, 1) != 1)
		return report("exec-stalled holder", -1);
	pid = fork();
	if (pid == 0) {
		close(epipe[0]);
		st.fd = fd;
		st.buf = &c;
		st.len = 1;
		if (pthread_create(&t, NULL, stall_write, &st))
			_exit(12);
		while (!st.tid)
			usleep(1000);
		if (wait_state_d(getpid(), st.tid, 3))
			_exit(13);
		execve(argv[1], argv + 1, environ);
		e = errno;
		(void)!write(epipe[1], &e, sizeof(e));
		_exit(127);
	}
	close(epipe[1]);
	if (pid < 0)
		return exec_not_tried("fork");
	/* held in de_thread: the exec'ing thread itself sleeps, past the LSM checks */
	if (wait_state_d(pid, pid, 20)) {
		errno = 0;
		return report("exec-stalled wait", -1);
	}
	printf("stalled pid=%d\n", pid);
	while (access(argv[0], F_OK))
		usleep(20000);
	(void)!write(go[1], "g", 1);
	rc = exec_result(pid, epipe[0]);
	waitpid(holder, NULL, 0);
	return rc;
}

int main(int argc, char **argv)
{
	int i = 1, fd, rc;
	const char *op;
	char buf[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	errno = 0; /* see report() */
	if (argc > 2 && !strcmp(argv[1], "-j")) {
		join_dir = argv[2];
		i = 3;
	}
	if (argc <= i) {
		fprintf(stderr, "usage: hx-try [-j CGDIR] OP ARGS...\n");
		return 2;
	}
	op = argv[i];
	argv += i + 1;
	argc -= i + 1;
#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (argc < (n)) {                                                                  \
			fprintf(stderr, "hx-try %s: %d argument(s)\n", op, n);                     \
			return 2;                                                                  \
		}                                                                                  \
	} while (0)
	if (!strcmp(op, "exec")) {
		join();
		return do_exec(argc, argv);
	}
	if (!strcmp(op, "open")) {
		NEED(2);
		return do_open(argv[0], argv[1]);
	}
	if (!strcmp(op, "openat-pre")) {
		NEED(2);
		fd = open(argv[0], O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return report("openat-pre", -1);
		join();
		return report("openat", openat(fd, argv[1], O_RDONLY));
	}
	if (!strcmp(op, "reopen-pre") || !strcmp(op, "reopen")) {
		NEED(1);
		if (!strcmp(op, "reopen"))
			join();
		fd = open(argv[0], O_PATH);
		if (fd < 0)
			return report("opath", -1);
		join();
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
		return report("reopen", open(buf, O_RDONLY));
	}
	if (!strcmp(op, "chdir-open")) {
		NEED(2);
		if (chdir(argv[0]))
			return report("chdir", -1);
		join();
		return report("open", open(argv[1], O_RDONLY));
	}
	if (!strcmp(op, "mkdeep") || !strcmp(op, "deep-open")) {
		bool make = !strcmp(op, "mkdeep");
		char name[201];

		NEED(2);
		memset(name, 'n', 200);
		name[200] = 0;
		if (chdir(argv[0]))
			return report("chdir", -1);
		for (int k = atoi(argv[1]); k > 0; k--) {
			if ((make && mkdir(name, 0755) && errno != EEXIST) || chdir(name))
				return report(op, -1);
		}
		if (make)
			return report(op, open("f", O_WRONLY | O_CREAT, 0644));
		join();
		return report("open", open("f", O_RDONLY));
	}
	if (!strcmp(op, "handle-get")) {
		struct {
			struct file_handle fh;
			unsigned char buf[MAX_HANDLE_SZ];
		} h;
		int mnt_id, out;

		NEED(2);
		h.fh.handle_bytes = MAX_HANDLE_SZ;
		if (name_to_handle_at(AT_FDCWD, argv[0], &h.fh, &mnt_id, 0))
			return report(op, -1);
		out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (out < 0)
			return report(op, -1);
		errno = 0;
		if (write(out, &h, sizeof(h.fh) + h.fh.handle_bytes) !=
		    (ssize_t)(sizeof(h.fh) + h.fh.handle_bytes))
			return report(op, -1);
		close(out);
		return report(op, 0);
	}
	if (!strcmp(op, "handle-open")) {
		struct {
			struct file_handle fh;
			unsigned char buf[MAX_HANDLE_SZ];
		} h;
		int mfd, in;

		NEED(3);
		in = open(argv[1], O_RDONLY);
		if (in < 0)
			return report("handle-read", -1);
		errno = 0;
		if (read(in, &h, sizeof(h)) < (ssize_t)sizeof(h.fh))
			return report("handle-read", -1);
		close(in);
		mfd = open(argv[0], O_RDONLY | O_DIRECTORY);
		if (mfd < 0)
			return report("mount-open", -1);
		join();
		fd = open_by_handle_at(mfd, &h.fh, strcmp(argv[2], "w") ? O_RDONLY : O_WRONLY);
		if (fd >= 0 && strcmp(argv[2], "w") && read(fd, buf, 1) < 0)
			fd = -1;
		return report(op, fd);
	}
	if (!strcmp(op, "execat-opath")) {
		NEED(1);
		join();
		fd = open(argv[0], O_PATH);
		if (fd < 0)
			return report("open", -1);
		return exec_fd(fd, "opath");
	}
	if (!strcmp(op, "tree-open")) {
		int tfd;

		NEED(2);
		tfd = (int)syscall(SYS_open_tree, AT_FDCWD, argv[0], 1 /* OPEN_TREE_CLONE */);
		if (tfd < 0)
			return report("open_tree", -1);
		join();
		fd = openat(tfd, argv[1], O_RDONLY);
		if (fd >= 0 && read(fd, buf, 1) < 0)
			fd = -1;
		return report(op, fd);
	}
	join();
	if (!strcmp(op, "readdir")) {
		DIR *d;

		NEED(1);
		d = opendir(argv[0]);
		if (!d)
			return report("readdir", -1);
		errno = 0;
		rc = readdir(d) ? 0 : (errno ? -1 : 0);
		closedir(d);
		return report("readdir", rc);
	}
	if (!strcmp(op, "mkdir")) {
		NEED(1);
		return report(op, mkdir(argv[0], 0755));
	}
	if (!strcmp(op, "rmdir")) {
		NEED(1);
		return report(op, rmdir(argv[0]));
	}
	if (!strcmp(op, "unlink")) {
		NEED(1);
		return report(op, unlink(argv[0]));
	}
	if (!strcmp(op, "chmod")) {
		NEED(1);
		return report(op, chmod(argv[0], 0600));
	}
	if (!strcmp(op, "truncate")) {
		NEED(1);
		return report(op, truncate(argv[0], 0));
	}
	if (!strcmp(op, "rename")) {
		NEED(2);
		return report(op, rename(argv[0], argv[1]));
	}
	if (!strcmp(op, "link")) {
		NEED(2);
		return report(op, link(argv[0], argv[1]));
	}
	if (!strcmp(op, "symlink")) {
		NEED(2);
		return report(op, symlink(argv[0], argv[1]));
	}
	if (!strcmp(op, "memfd-exec")) {
		NEED(1);
		join();
		fd = (int)syscall(SYS_memfd_create, "hx-memfd", 0);
		if (fd < 0 || copy_to(argv[0], fd))
			return report("memfd", -1);
		return exec_fd(fd, "memfd");
	}
	if (!strcmp(op, "deleted-exec")) {
		NEED(2);
		join();
		fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0755);
		if (fd < 0 || copy_to(argv[0], fd))
			return report("copy", -1);
		close(fd);
		fd = open(argv[1], O_RDONLY);
		if (fd < 0 || unlink(argv[1]))
			return report("unlink", -1);
		return exec_fd(fd, "deleted");
	}
	if (!strcmp(op, "cgns-join")) {
		char path[4096], b[32];
		int n;

		NEED(1);
		if (unshare(CLONE_NEWCGROUP))
			return report("unshare", -1);
		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[0]);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			return report(op, -1);
		n = snprintf(b, sizeof(b), "%d", getpid());
		errno = 0;
		return report(op, write(fd, b, (size_t)n) == n ? 0 : -1);
	}
	if (!strcmp(op, "bpf-obj-get")) {
		union bpf_attr attr;

		NEED(1);
		memset(&attr, 0, sizeof(attr));
		attr.pathname = (__u64)(unsigned long)argv[0];
		return report(op, (int)syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof(attr)));
	}
	if (!strcmp(op, "setxattr")) {
		NEED(1);
		return report(op, setxattr(argv[0], "user.hx", "1", 1, 0));
	}
	if (!strcmp(op, "init-module")) {
		static char image[64];

		return report(op, (int)syscall(SYS_init_module, image, sizeof(image), ""));
	}
	if (!strcmp(op, "mmapx")) {
		void *p;

		NEED(1);
		fd = open(argv[0], O_RDONLY);
		if (fd < 0)
			return report("open", -1);
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		return report("mmapx", p == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(op, "as")) {
		uid_t id;

		NEED(2);
		id = (uid_t)strtoul(argv[0], NULL, 10);
		if (setgroups(0, NULL) || setgid(id) || setuid(id))
			return report(op, -1);
		return do_exec(argc - 1, argv + 1);
	}
	if (!strcmp(op, "exec-stalled")) {
		NEED(2);
		return do_exec_stalled(argc, argv);
	}
	fprintf(stderr, "hx-try: unknown op %s\n", op);
	return 2;
}
