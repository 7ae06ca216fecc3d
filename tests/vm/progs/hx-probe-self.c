// SPDX-License-Identifier: GPL-2.0
/*
 * Reports what a process sees from inside its sandbox, one "KEY: VALUE"
 * line per fact, for the sandbox suite. Several operations may follow each
 * other on one command line:
 *
 *   cgroup              its cgroup v2 path
 *   limits              memory.max, cpu.max, pids.max of its cgroup; RLIMIT_NOFILE
 *   v1limits DIR        its cgroup v1 memory, cpu, pids cgroups ("v1.CTRL: PATH") and their
 *                       limits, for hierarchies mounted at DIR/memory, DIR/cpu, DIR/pids
 *   env                 every environment variable, "env: NAME=VALUE"
 *   status              Cap{Inh,Prm,Eff,Bnd,Amb}, NoNewPrivs, Seccomp of /proc/self/status
 *   ids                 uid, euid, gid, egid, groups; the first line of uid_map
 *   ns                  the inode of each namespace, "ns.NAME: N"
 *   pid                 its pid and parent pid as it sees them
 *   hostname            its host name
 *   try CALL            one system call, "try.CALL: ok|ERRNO": keyctl ptrace unshare
 *                       mount bpf init_module kexec_load open_by_handle_at setns
 *   write PATH          create/truncate PATH and write to it
 *   read PATH           read PATH: "read PATH: ok N" then "content: FIRST LINE"
 *   ls DIR              "ls DIR: N" entries
 *   chown PATH UID      chown(PATH, UID, -1)
 *   umount PATH         detach the mount at PATH
 *   remount-rw PATH     make the mount at PATH writable
 *   cgmove DIR          write its pid to DIR/cgroup.procs
 *   cgwrite FILE VALUE  write VALUE to FILE (a cgroup limit file)
 *   fork N              fork N sleeping children: "fork: N" or "fork: K EAGAIN"
 *   alloc MIB           allocate and touch MIB MiB, reporting every 8 MiB
 *   files N             open /dev/null N times: "files: N" or "files: K EMFILE"
 *   spin MS             burn CPU for MS ms of wall time: "spin: cpu_ms=C wall_ms=W"
 *   net                 its interfaces, and a UDP connect to 192.0.2.1:9
 *   sleep S             sleep S seconds
 *   daemon S FILE       leave a detached grandchild sleeping S seconds; its pid goes to FILE
 *
 * The exit status is 0 unless an argument is wrong (2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int e)
{
	if (!e)
		return "ok";
	return strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

static void result(const char *key, long rc)
{
	printf("%s: %s\n", key, errname(rc < 0 ? errno : 0));
}

static int own_cgroup(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];

	out[0] = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line + 3);
	}
	fclose(f);
	return out[0] ? 0 : -1;
}

static void print_file(const char *key, const char *path)
{
	char buf[256] = "?";
	FILE *f = fopen(path, "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "");
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: %s\n", key, buf);
}

static void op_limits(void)
{
	char cg[4096], path[4200];
	struct rlimit rl;

	own_cgroup(cg, sizeof(cg));
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", cg);
	print_file("memory.max", path);
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", cg);
	print_file("cpu.max", path);
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/pids.max", cg);
	print_file("pids.max", path);
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile: %llu %llu\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max);
}

static void op_v1limits(const char *dir)
{
	static const struct {
		const char *ctrl, *files[3];
	} v1[] = {
		{ "memory", { "memory.limit_in_bytes", NULL } },
		{ "cpu", { "cpu.cfs_quota_us", "cpu.cfs_period_us", NULL } },
		{ "pids", { "pids.max", NULL } },
	};
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], path[8192];

	while (f && fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *cg;

		if (!ctrls || !(cg = strchr(++ctrls, ':')))
			continue;
		*cg++ = 0;
		cg[strcspn(cg, "\n")] = 0;
		for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
			char *save = NULL, list[256];

			snprintf(list, sizeof(list), "%s", ctrls);
			for (char *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (strcmp(t, v1[i].ctrl))
					continue;
				printf("v1.%s: %s\n", v1[i].ctrl, cg);
				for (int j = 0; v1[i].files[j]; j++) {
					snprintf(path, sizeof(path), "%s/%s%s/%s", dir, v1[i].ctrl,
						 cg, v1[i].files[j]);
					print_file(v1[i].files[j], path);
				}
			}
		}
	}
	if (f)
		fclose(f);
}

static void op_status(void)
{
	static const char *const keys[] = { "CapInh:", "CapPrm:",     "CapEff:", "CapBnd:",
					    "CapAmb:", "NoNewPrivs:", "Seccomp:" };
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(line, keys[i], strlen(keys[i])))
				continue;
			char *v = line + strlen(keys[i]);

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			printf("%.*s: %s\n", (int)strlen(keys[i]) - 1, keys[i], v);
		}
	}
	fclose(f);
}

static void op_ids(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups);

	printf("ids: uid=%u euid=%u gid=%u egid=%u ngroups=%d\n", getuid(), geteuid(), getgid(),
	       getegid(), n);
	print_file("uid_map", "/proc/self/uid_map");
}

static void op_ns(void)
{
	static const char *const names[] = { "user", "mnt", "pid", "ipc", "uts", "net", "cgroup" };
	char path[64];
	struct stat st;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		if (stat(path, &st))
			printf("ns.%s: %s\n", names[i], errname(errno));
		else
			printf("ns.%s: %lu\n", names[i], (unsigned long)st.st_ino);
	}
}

static int op_try(const char *call)
{
	char key[64];
	long rc;

	snprintf(key, sizeof(key), "try.%s", call);
	errno = 0;
	if (!strcmp(call, "keyctl"))
		rc = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1);
	else if (!strcmp(call, "ptrace"))
		rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (!strcmp(call, "unshare"))
		rc = unshare(CLONE_NEWUTS);
	else if (!strcmp(call, "mount"))
		rc = mount("none", "/tmp", "tmpfs", 0, NULL);
	else if (!strcmp(call, "bpf"))
		rc = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0);
	else if (!strcmp(call, "init_module"))
		rc = syscall(SYS_init_module, NULL, 0, "");
	else if (!strcmp(call, "kexec_load"))
		rc = syscall(SYS_kexec_load, 0, 0, NULL, 0);
	else if (!strcmp(call, "open_by_handle_at"))
		rc = syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
	else if (!strcmp(call, "setns"))
		rc = syscall(SYS_setns, -1, 0);
	else
		return 2;
	result(key, rc);
	return 0;
}

static void op_write(const char *path)
{
	char key[4200];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	snprintf(key, sizeof(key), "write %s", path);
	if (fd < 0 || write(fd, "written\n", 8) != 8) {
		result(key, -1);
	} else {
		result(key, 0);
	}
	if (fd >= 0)
		close(fd);
}

static void op_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		printf("read %s: %s\n", path, errname(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		printf("read %s: %s\n", path, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("read %s: ok %zd\n", path, n);
	buf[strcspn(buf, "\n")] = 0;
	printf("content: %s\n", buf);
}

static void op_ls(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d) {
		printf("ls %s: %s\n", dir, errname(errno));
		return;
	}
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	printf("ls %s: %d\n", dir, n);
}

static void write_value(const char *key, const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(val);

	if (fd < 0 || write(fd, val, (size_t)len) != len)
		result(key, -1);
	else
		result(key, 0);
	if (fd >= 0)
		close(fd);
}

static void op_cgmove(const char *dir)
{
	char path[4200], key[4200], cg[4096];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(key, sizeof(key), "cgmove %s", dir);
	write_value(key, path, "0");
	own_cgroup(cg, sizeof(cg));
	printf("cgroup: %s\n", cg);
}

static void op_fork(int n)
{
	pid_t kids[4096];
	int k = 0, e = 0;

	for (; k < n && k < 4096; k++) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			e = errno;
			break;
		}
		kids[k] = p;
	}
	if (e)
		printf("fork: %d %s\n", k, errname(e));
	else
		printf("fork: %d\n", k);
	for (int i = 0; i < k; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
}

static void op_alloc(int mib)
{
	for (int i = 1; i <= mib; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			printf("alloc: ENOMEM at %d MiB\n", i);
			return;
		}
		memset(p, i, 1 << 20);
		if (i % 8 == 0)
			printf("alloc: %d MiB\n", i);
	}
	printf("alloc: ok %d MiB\n", mib);
}

static void op_files(int n)
{
	int k = 0, e = 0;

	for (; k < n; k++) {
		if (open("/dev/null", O_RDONLY) < 0) {
			e = errno;
			break;
		}
	}
	if (e)
		printf("files: %d %s\n", k, errname(e));
	else
		printf("files: %d\n", k);
}

static long long ms_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void op_spin(int ms)
{
	long long w0 = ms_of(CLOCK_MONOTONIC), c0 = ms_of(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long x = 0;

	while (ms_of(CLOCK_MONOTONIC) - w0 < ms)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	printf("spin: cpu_ms=%lld wall_ms=%lld\n", ms_of(CLOCK_PROCESS_CPUTIME_ID) - c0,
	       ms_of(CLOCK_MONOTONIC) - w0);
}

static void op_net(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	int s;

	printf("net.ifaces:");
	for (i = ifs; i && i->if_index; i++)
		printf(" %s", i->if_name);
	printf("\n");
	if (ifs)
		if_freenameindex(ifs);
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	result("net.connect", s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof(a)));
	if (s >= 0)
		close(s);
}

static void op_daemon(int secs, const char *file)
{
	int pfd[2];
	pid_t p;

	if (pipe(pfd))
		return;
	p = fork();
	if (p == 0) {
		close(pfd[0]);
		setsid();
		if (fork() == 0) {
			char buf[32];
			int n = snprintf(buf, sizeof(buf), "%d\n", getpid());
			int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd >= 0) {
				(void)!write(fd, buf, (size_t)n);
				close(fd);
			}
			(void)!write(pfd[1], "x", 1);
			close(pfd[1]);
			for (int i = 0; i < 3; i++)
				close(i);
			sleep((unsigned)secs);
			_exit(0);
		}
		_exit(0);
	}
	close(pfd[1]);
	waitpid(p, NULL, 0);
	(void)!read(pfd[0], &p, 1);
	close(pfd[0]);
	printf("daemon: started\n");
}

int main(int argc, char **argv)
{
	char buf[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i];
		const char *a1 = i + 1 < argc ? argv[i + 1] : NULL;
		const char *a2 = i + 2 < argc ? argv[i + 2] : NULL;

#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (i + (n) >= argc) {                                                             \
			fprintf(stderr, "hx-probe-self: %s needs %d argument(s)\n", op, n);        \
			return 2;                                                                  \
		}                                                                                  \
		i += (n);                                                                          \
	} while (0)
		if (!strcmp(op, "cgroup")) {
			own_cgroup(buf, sizeof(buf));
			printf("cgroup: %s\n", buf);
		} else if (!strcmp(op, "limits")) {
			op_limits();
		} else if (!strcmp(op, "v1limits")) {
			NEED(1);
			op_v1limits(a1);
		} else if (!strcmp(op, "env")) {
			for (char **e = environ; *e; e++)
				printf("env: %s\n", *e);
		} else if (!strcmp(op, "status")) {
			op_status();
		} else if (!strcmp(op, "ids")) {
			op_ids();
		} else if (!strcmp(op, "ns")) {
			op_ns();
		} else if (!strcmp(op, "pid")) {
			printf("pid: %d ppid=%d\n", getpid(), getppid());
		} else if (!strcmp(op, "hostname")) {
			gethostname(buf, sizeof(buf));
			printf("hostname: %s\n", buf);
		} else if (!strcmp(op, "try")) {
			NEED(1);
			if (op_try(a1))
				return 2;
		} else if (!strcmp(op, "write")) {
			NEED(1);
			op_write(a1);
		} else if (!strcmp(op, "read")) {
			NEED(1);
			op_read(a1);
		} else if (!strcmp(op, "ls")) {
			NEED(1);
			op_ls(a1);
		} else if (!strcmp(op, "chown")) {
			NEED(2);
			snprintf(buf, sizeof(buf), "chown %s", a1);
			result(buf, chown(a1, (uid_t)atoi(a2), (gid_t)-1));
		} else if (!strcmp(op, "umount")) {
			NEED(1);
			snprintf(buf, sizeof(buf), "umount %s", a1);
			result(buf, umount2(a1, MNT_DETACH));
		} else if (!strcmp(op, "remount-rw")) {
			NEED(1);
			snprintf(buf, sizeof(buf), "remount-rw %s", a1);
			result(buf, mount(NULL, a1, NULL, MS_REMOUNT | MS_BIND, NULL));
		} else if (!strcmp(op, "cgmove")) {
			NEED(1);
			op_cgmove(a1);
		} else if (!strcmp(op, "cgwrite")) {
			NEED(2);
			snprintf(buf, sizeof(buf), "cgwrite %s", a1);
			write_value(buf, a1, a2);
		} else if (!strcmp(op, "fork")) {
			NEED(1);
			op_fork(atoi(a1));
		} else if (!strcmp(op, "alloc")) {
			NEED(1);
			op_alloc(atoi(a1));
		} else if (!strcmp(op, "files")) {
			NEED(1);
			op_files(atoi(a1));
		} else if (!strcmp(op, "spin")) {
			NEED(1);
			op_spin(atoi(a1));
		} else if (!strcmp(op, "net")) {
			op_net();
		} else if (!strcmp(op, "sleep")) {
			NEED(1);
			sleep((unsigned)atoi(a1));
		} else if (!strcmp(op, "daemon")) {
			NEED(2);
			op_daemon(atoi(a1), a2);
		} else {
			fprintf(stderr, "hx-probe-self: unknown operation %s\n", op);
			return 2;
		}
	}
	return 0;
}
