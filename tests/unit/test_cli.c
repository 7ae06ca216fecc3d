// SPDX-License-Identifier: GPL-2.0
/*
 * The command line refuses what it should: each command its own options,
 * unknown commands even with --help, policy paths that are not regular files
 * at once (a FIFO must not block), and the exit codes of SPEC section 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/cmd.h"
#include "daemon/state.h"

#include "test_dir_util.h"

static char tmp[64];

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/hx-test-cli.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	return td_remove(tmp);
}

static int parse(const char *name, struct hx_cli *cli, char *err, size_t errlen, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, errlen);
	for (char *a; argc < 15 && (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	memset(cli, 0, sizeof(*cli));
	return hx_cmd_parse(hx_cmd_find(name), argc, argv, cli, err, errlen);
}

/* Runs build/helixagent with ARGS (a shell fragment); its exit status, stderr+stdout in @out. */
static int run(const char *args, char *out, size_t outlen)
{
	char cmd[PATH_MAX + 512];
	size_t n = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "cd '%s' && exec 2>&1 && ./build/helixagent %s", HX_SRCDIR,
		 args);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void tables_are_consistent(void **state)
{
	for (size_t i = 0; hx_cmds[i]; i++) {
		const struct hx_cmd *c = hx_cmds[i];
		bool help = false, config = false;

		assert_ptr_equal(hx_cmd_find(c->name), c);
		assert_non_null(c->run);
		assert_non_null(c->summary);
		for (size_t j = 0; c->opts[j]; j++) {
			help |= !strcmp(c->opts[j]->name, "help");
			config |= !strcmp(c->opts[j]->name, "config");
			assert_non_null(c->opts[j]->help);
			for (size_t k = j + 1; c->opts[k]; k++) {
				assert_string_not_equal(c->opts[j]->name, c->opts[k]->name);
				assert_true(!c->opts[j]->short_name ||
					    c->opts[j]->short_name != c->opts[k]->short_name);
			}
		}
		/* SPEC section 1: every command takes -c FILE; each has its own --help */
		assert_true(help);
		assert_true(config);
	}
	assert_null(hx_cmd_find("lean"));
}

static void each_command_its_own_options(void **state)
{
	struct hx_cli cli;
	char err[256];

	assert_int_equal(parse("check", &cli, err, sizeof(err), "-c", "x.yaml", "--dump", "--json",
			       NULL),
			 0);
	assert_string_equal(cli.config_arg, "x.yaml");
	assert_true(cli.dump && cli.json);

	assert_int_equal(parse("check", &cli, err, sizeof(err), "--audit-log", "/x", NULL),
			 -EINVAL);
	assert_string_equal(err, "check: --audit-log is an option of run, not of check");
	assert_int_equal(parse("status", &cli, err, sizeof(err), "--dump", NULL), -EINVAL);
	assert_string_equal(err, "status: --dump is an option of check, not of status");
	assert_int_equal(parse("status", &cli, err, sizeof(err), "-v", NULL), -EINVAL);
	assert_string_equal(err, "status: -v is an option of run or probe, not of status");
	assert_int_equal(parse("run", &cli, err, sizeof(err), "--json", NULL), -EINVAL);
	assert_non_null(strstr(err, "--json is an option of"));
	assert_int_equal(parse("probe", &cli, err, sizeof(err), "--frobnicate", NULL), -EINVAL);
	assert_string_equal(err, "probe: unknown option --frobnicate");
	assert_int_equal(parse("check", &cli, err, sizeof(err), "-c", NULL), -EINVAL);
	assert_string_equal(err, "check: -c needs a value (FILE)");
	assert_int_equal(parse("check", &cli, err, sizeof(err), "--dump=yes", NULL), -EINVAL);
	assert_int_equal(parse("version", &cli, err, sizeof(err), "now", NULL), -EINVAL);
	assert_string_equal(err, "version: unexpected argument 'now'");

	/* --opt=value, -cFILE, grouped short flags */
	assert_int_equal(parse("run", &cli, err, sizeof(err), "--metrics-listen=127.0.0.1:1",
			       "-vcp.yaml", NULL),
			 0);
	assert_string_equal(cli.metrics_listen, "127.0.0.1:1");
	assert_string_equal(cli.config_arg, "p.yaml");
	assert_true(cli.verbose);
	assert_int_equal(parse("check", &cli, err, sizeof(err), "--help", NULL), 0);
	assert_true(cli.help);
}

static void exec_keeps_the_commands_options(void **state)
{
	struct hx_cli cli;
	char err[256];

	assert_int_equal(parse("exec", &cli, err, sizeof(err), "--sandbox", "web", "ls", "-l",
			       "--json", NULL),
			 0);
	assert_string_equal(cli.sandbox, "web");
	assert_int_equal(cli.argc, 3);
	assert_string_equal(cli.argv[0], "ls");
	assert_string_equal(cli.argv[2], "--json");
	assert_false(cli.json);
	assert_int_equal(parse("exec", &cli, err, sizeof(err), "-c", "p", "--sandbox", "s", "--",
			       "--odd-name", NULL),
			 0);
	assert_int_equal(cli.argc, 1);
	assert_string_equal(cli.argv[0], "--odd-name");
}

/* A FIFO nobody writes: opening it for reading the usual way blocks forever. */
static void fifo_refused_at_once(void **state)
{
	char fifo[PATH_MAX], link[PATH_MAX], reg[PATH_MAX];
	struct timespec t0, t1;
	mode_t type;
	int fd;

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmp);
	snprintf(link, sizeof(link), "%s/link-to-fifo", tmp);
	snprintf(reg, sizeof(reg), "%s/policy.yaml", tmp);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(fifo, link), 0);
	alarm(10); /* a blocking open fails the test instead of hanging it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hx_cli_open_policy(fifo, &type), -EINVAL);
	assert_int_equal(type, S_IFIFO);
	assert_int_equal(hx_cli_open_policy(link, &type), -EINVAL);
	assert_int_equal(type, S_IFIFO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	assert_true(t1.tv_sec - t0.tv_sec < 2);

	assert_int_equal(hx_cli_open_policy(tmp, &type), -EINVAL);
	assert_int_equal(type, S_IFDIR);
	assert_int_equal(hx_cli_open_policy("/dev/null", &type), -EINVAL);
	assert_int_equal(type, S_IFCHR);
	assert_int_equal(hx_cli_open_policy("/nonexistent/x.yaml", &type), -ENOENT);

	fd = open(reg, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "sandboxes: {}\n", 14), 14);
	close(fd);
	fd = hx_cli_open_policy(reg, &type);
	assert_true(fd >= 0);
	assert_int_equal(type, S_IFREG);
	/* the descriptor blocks again: regular reads need no retry loop for EAGAIN */
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
}

static void exit_codes(void **state)
{
	char out[8192], args[PATH_MAX + 64];
	struct timespec t0, t1;

	/* unknown command: an error even when --help follows */
	assert_int_equal(run("lean --help", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "unknown command 'lean'"));
	assert_int_equal(run("--bogus", out, sizeof(out)), 1);
	assert_int_equal(run("", out, sizeof(out)), 1);
	assert_int_equal(run("--help", out, sizeof(out)), 0);
	assert_int_equal(run("help check", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "usage: helixagent check"));
	assert_int_equal(run("check --help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--dump"));
	assert_null(strstr(out, "--audit-log"));
	assert_int_equal(run("check --audit-log /tmp/x -c policy/default.yaml", out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "--audit-log is an option of run, not of check"));

	/* the policy path: usage errors (1), at once */
	snprintf(args, sizeof(args), "check -c '%s/fifo2'", tmp);
	snprintf(out, sizeof(out), "%s/fifo2", tmp);
	assert_int_equal(mkfifo(out, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run(args, out, sizeof(out)), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_non_null(strstr(out, "it is a FIFO, not a regular file"));
	snprintf(args, sizeof(args), "run -c '%s/fifo2'", tmp);
	assert_int_equal(run(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "FIFO"));
	assert_int_equal(run("check -c /dev/null", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "character device"));
	assert_int_equal(run("check -c /nonexistent.yaml", out, sizeof(out)), 1);
	assert_int_equal(run("check -c /", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "a directory"));

	/* -c - reads stdin, for check only */
	assert_int_equal(run("check -c - < policy/default.yaml", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "<stdin>: ok"));
	assert_int_equal(run("run -c - < /dev/null", out, sizeof(out)), 1);
	assert_int_equal(run("exec -c - --sandbox x true < /dev/null", out, sizeof(out)), 1);

	/* run's option values: usage errors before anything starts */
	assert_int_equal(run("run --metrics-listen nowhere", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--metrics-listen: 'nowhere'"));
	assert_int_equal(run("run --metrics-listen 127.0.0.1:70000", out, sizeof(out)), 1);
	assert_int_equal(run("run --syslog 'ftp://x:1'", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--syslog: 'ftp://x:1'"));
	assert_int_equal(run("run --syslog udp://host:notaport", out, sizeof(out)), 1);
	assert_int_equal(run("run --syslog /dev/log --syslog-facility kernel9", out, sizeof(out)),
			 1);
	assert_int_equal(run("run --audit-keep -1", out, sizeof(out)), 1);
	assert_int_equal(run("run --audit-max-size lots", out, sizeof(out)), 1);
	assert_int_equal(run("run --log-format xml", out, sizeof(out)), 1);
}

static void status_without_permission(void **state)
{
	/*
	 * Pins this user may not read: a private bpffs in a mount namespace of
	 * its own (the host's pins are not touched), its directory root's 0700.
	 */
	if (geteuid() != 0 || system("command -v setpriv unshare >/dev/null"))
		skip();
	assert_int_equal(
		system("cd '" HX_SRCDIR "' && unshare -m sh -c '"
		       "mount -t bpf bpf /sys/fs/bpf && mkdir -m 0700 /sys/fs/bpf/helixagent && "
		       "setpriv --reuid=65534 --regid=65534 --clear-groups "
		       "./build/helixagent status >/dev/null 2>&1; test $? -eq 2'"),
		0);
	assert_int_equal(
		system("cd '" HX_SRCDIR "' && unshare -m sh -c '"
		       "mount -t bpf bpf /sys/fs/bpf && mkdir -m 0700 /sys/fs/bpf/helixagent && "
		       "setpriv --reuid=65534 --regid=65534 --clear-groups "
		       "./build/helixagent status 2>&1' | grep -q 'Permission denied (status needs root'"),
		0);
}

static void check_json_carries_every_diagnostic(void **state)
{
	char out[8192];

	assert_int_equal(run("check --json -c - <<'EOF'\n"
			     "sandboxes:\n"
			     "  a:\n"
			     "    bogus: 1\n"
			     "    exec: {default_policy: allw}\n"
			     "EOF\n",
			     out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "\"valid\":false,\"errors\":2"));
	assert_non_null(
		strstr(out, "{\"file\":\"<stdin>\",\"line\":3,\"column\":5,\"severity\":\"error\","
			    "\"message\":\"unknown key 'bogus' in a sandbox\"}"));
	assert_non_null(strstr(out, "\"line\":4,\"column\":28,\"severity\":\"error\""));
	/* nothing on stderr: the JSON is the whole answer */
	assert_int_equal(out[0], '{');
}

static void default_config_said(void **state)
{
	char def[PATH_MAX], target[PATH_MAX];
	struct hx_cli cli = { 0 };
	int fd;

	snprintf(def, sizeof(def), "%s/etc-helixagent.yaml", tmp);
	assert_int_equal(hx_cli_resolve_config_from(&cli, def, true, false), 0);
	assert_null(cli.config);
	assert_string_equal(cli.config_shown, "<embedded default>");

	snprintf(target, sizeof(target), "%s/gone.yaml", tmp);
	assert_int_equal(symlink(target, def), 0);
	memset(&cli, 0, sizeof(cli));
	assert_int_equal(hx_cli_resolve_config_from(&cli, def, true, false), 0);
	assert_null(cli.config);

	fd = open(target, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	memset(&cli, 0, sizeof(cli));
	assert_int_equal(hx_cli_resolve_config_from(&cli, def, true, false), 0);
	assert_string_equal(cli.config, def);

	/* a command that reads no policy says nothing and takes the path as given */
	memset(&cli, 0, sizeof(cli));
	cli.config_arg = "/nonexistent";
	assert_int_equal(hx_cli_resolve_config_from(&cli, def, false, false), 0);
	memset(&cli, 0, sizeof(cli));
	cli.config_arg = "/nonexistent";
	assert_int_equal(hx_cli_resolve_config_from(&cli, def, true, false), 1);
}

static void writable_policy_warned(void **state)
{
	char dir[PATH_MAX], file[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s/etc", tmp);
	snprintf(file, sizeof(file), "%s/etc/helixagent.yaml", tmp);
	assert_int_equal(mkdir(dir, 0700), 0);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	if (geteuid() == 0) /* root's file in root's 0700 directory under sticky /tmp */
		assert_int_equal(hx_cli_warn_writable(file), 0);
	else /* owned by this user: whoever can write it decides */
		assert_true(hx_cli_warn_writable(file) >= 1);
	assert_int_equal(chmod(file, 0666), 0);
	assert_true(hx_cli_warn_writable(file) >= 1);
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_true(hx_cli_warn_writable(file) >= 1);
}

static void exit_status_of_errors(void **state)
{
	assert_int_equal(hx_cli_exit_for(EACCES), 2);
	assert_int_equal(hx_cli_exit_for(EPERM), 2);
	assert_int_equal(hx_cli_exit_for(EIO), 2);
	assert_int_equal(hx_cli_exit_for(ENOENT), 1);
	assert_int_equal(hx_cli_exit_for(EINVAL), 1);
	assert_int_equal(hx_cli_exit_for(EFBIG), 1);
}

/* unload signals the recorded pid only while it is the process that wrote the state. */
static void daemon_identity(void **state)
{
	struct hx_state st = { 0 };
	char what[600];
	pid_t child;
	int wst;

	st.pid = getpid();
	assert_int_equal(hx_proc_identity(st.pid, st.exe, sizeof(st.exe), &st.start), 0);
	assert_true(st.start > 0);
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_ALIVE);
	st.start++;
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_OTHER);
	st.start--;
	strcpy(st.exe, "/usr/sbin/helixagent");
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_OTHER);
	/* an old state file: no start time; the name decides, and this test is not helixagent */
	st.start = 0;
	st.exe[0] = 0;
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_OTHER);

	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	/* a zombie is not alive, a reaped pid is nobody */
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", child);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f) && strstr(buf, ") Z ")) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	st.pid = child;
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_NONE);
	waitpid(child, &wst, 0);
	assert_int_equal(hx_state_daemon(&st, what, sizeof(what)), HX_DAEMON_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables_are_consistent),
		cmocka_unit_test(each_command_its_own_options),
		cmocka_unit_test(exec_keeps_the_commands_options),
		cmocka_unit_test(fifo_refused_at_once),
		cmocka_unit_test(exit_codes),
		cmocka_unit_test(status_without_permission),
		cmocka_unit_test(check_json_carries_every_diagnostic),
		cmocka_unit_test(default_config_said),
		cmocka_unit_test(writable_policy_warned),
		cmocka_unit_test(exit_status_of_errors),
		cmocka_unit_test(daemon_identity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
