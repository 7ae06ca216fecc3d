// SPDX-License-Identifier: GPL-2.0
/*
 * helixagent learn --sandbox NAME [--out FILE] [--fold N] [--network none|host]
 *                  {--from-audit LOG | -- CMD [ARG...]}
 *
 * With a command: the sandbox is loaded in audit mode with every family
 * deny-by-default and no rules, so each thing the workload does is one "would
 * deny" event; the workload runs through `helixagent exec`; the daemon is
 * stopped (it drains the ring buffer and reports any loss first) and the
 * enforcement unloaded; the audit log it wrote is read as --from-audit reads
 * an operator's log. The events come through the kernel programs and the ring
 * buffer like every decision; learning is not a second tracer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "daemon/state.h"
#include "learn/learn.h"
#include "loader/loader.h"

#define LEARN_READY_SECONDS 900 /* verification under emulation takes minutes */

static int read_audit(struct hx_learn *l, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = getline(&line, &cap, f)) > 0)
		rc = hx_learn_audit_line(l, line, (size_t)n);
	free(line);
	if (!rc && ferror(f))
		rc = -EIO;
	return rc;
}

/* Runs this binary with @argv (argv[0] unused) and waits; its exit status, or -1. */
static pid_t spawn_self(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (log) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether enforcement of any daemon is loaded: learning would replace it. */
static bool enforcement_loaded(int *pid)
{
	struct hx_state st;
	bool loaded = access(HX_PIN_DIR "/hx_build", F_OK) == 0;

	*pid = 0;
	if (!hx_state_read(&st)) {
		if (st.pid > 0 && kill(st.pid, 0) == 0)
			*pid = st.pid;
		loaded = true;
		hx_state_free(&st);
	}
	return loaded;
}

/* Waits until daemon @pid enforces (its state names it), or it died. */
static int wait_ready(pid_t pid)
{
	for (int i = 0; i < LEARN_READY_SECONDS * 10; i++) {
		struct hx_state st;
		int w;

		if (!hx_state_read(&st)) {
			bool ours = st.pid == pid;

			hx_state_free(&st);
			if (ours)
				return 0;
		}
		if (waitpid(pid, &w, WNOHANG) == pid)
			return -ECHILD;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static int write_learning_policy(const char *path, const char *sandbox, bool net_host)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f,
		"# helixagent learn: every family denies by default, in audit mode, so that\n"
		"# each thing the workload does is logged; no event is rate-limited.\n"
		"sandboxes:\n"
		"  %s:\n"
		"    mode: audit\n"
		"    rate_limit: none\n"
		"%s"
		"    exec: {default_policy: deny}\n"
		"    filesystem: {default_policy: deny}\n"
		"    network: {default_policy: deny, allow_inbound: false}\n",
		sandbox, net_host ? "    process: {network_mode: host}\n" : "");
	return fclose(f) ? -errno : 0;
}

/* The live run: daemon, workload, stop, unload. Fills @audit with the log's path. */
static int learn_run(const char *sandbox, bool net_host, char **cmd, char *dir, size_t dlen,
		     int *workload)
{
	char pol[PATH_MAX], audit[PATH_MAX], dlog[PATH_MAX];
	pid_t d, w;
	int rc, busy, err;

	if (enforcement_loaded(&busy)) {
		if (busy)
			hx_log("learn: a daemon is running (pid %d); learning loads a policy of its own: "
			       "stop it, or put the sandbox in mode: audit and use --from-audit",
			       busy);
		else
			hx_log("learn: enforcement is loaded (see helixagent status); learning would "
			       "replace it: run helixagent unload first");
		return 2;
	}
	snprintf(dir, dlen, "/run/helixagent-learn.XXXXXX");
	if (!mkdtemp(dir)) {
		hx_log("learn: cannot make a directory under /run: %s", strerror(errno));
		return 2;
	}
	snprintf(pol, sizeof(pol), "%s/learn.yaml", dir);
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", dir);
	snprintf(dlog, sizeof(dlog), "%s/daemon.log", dir);
	rc = write_learning_policy(pol, sandbox, net_host);
	if (rc) {
		hx_log("learn: cannot write %s: %s", pol, strerror(-rc));
		return 2;
	}
	{
		char *argv[] = { "helixagent", "run", "-c", pol, "--audit-log", audit, NULL };

		d = spawn_self(argv, dlog);
	}
	if (d < 0) {
		hx_log("learn: fork: %s", strerror(errno));
		return 2;
	}
	fprintf(stderr, "learn: loading the learning policy (the daemon's log: %s)\n", dlog);
	rc = wait_ready(d);
	if (rc) {
		hx_log("learn: the daemon %s (its log: %s)",
		       rc == -ECHILD ? "exited before enforcing" : "did not become ready", dlog);
		kill(d, SIGTERM);
		wait_status(d);
		goto unload;
	}
	{
		int n = 0;
		char **argv;

		while (cmd[n])
			n++;
		argv = calloc((size_t)n + 8, sizeof(*argv));
		if (!argv) {
			rc = -ENOMEM;
			goto stop;
		}
		argv[0] = "helixagent";
		argv[1] = "exec";
		argv[2] = "-c";
		argv[3] = pol;
		argv[4] = "--sandbox";
		argv[5] = (char *)sandbox;
		argv[6] = "--";
		memcpy(argv + 7, cmd, (size_t)n * sizeof(*argv));
		fprintf(stderr, "learn: running the workload in sandbox %s\n", sandbox);
		w = spawn_self(argv, NULL);
		free(argv);
	}
	*workload = w < 0 ? -1 : wait_status(w);
stop:
	/* SIGTERM: the daemon drains the ring buffer and reports losses before it exits. */
	kill(d, SIGTERM);
	if (wait_status(d) != 0 && !rc)
		hx_log("learn: the daemon did not exit cleanly (its log: %s)", dlog);
unload:
	err = hx_loader_unpin_all();
	if (err)
		hx_log("learn: cannot remove the learning policy's pins: %s", strerror(-err));
	unlink(HX_STATE_FILE);
	return rc ? 2 : 0;
}

static const struct hx_opt opt_sandbox =
	HX_OPT_ARG("sandbox", 0, "NAME", sandbox, "the sandbox the policy is for");
static const struct hx_opt opt_out = HX_OPT_ARG("out", 'o', "FILE", learn_out,
						"where the policy goes (default: standard output)");
static const struct hx_opt opt_from =
	HX_OPT_ARG("from-audit", 0, "LOG", from_audit,
		   "learn from an audit log (\"-\": standard input) of the sandbox in audit mode");
static const struct hx_opt opt_fold =
	HX_OPT_ARG("fold", 0, "N", fold,
		   "files of one directory folded into it from N on (default 8, 0: never)");
static const struct hx_opt opt_network =
	HX_OPT_ARG("network", 0, "MODE", network,
		   "the learning run's network: none (an empty namespace, the default) or host; "
		   "the policy keeps it");

static int learn_check(const struct hx_cli *cli)
{
	const char *s = cli->sandbox;

	if (!s || !!cli->from_audit == (cli->argc > 0)) {
		hx_log("learn: needs --sandbox NAME and either --from-audit LOG or a command");
		return 1;
	}
	if (!s[0] || strlen(s) > 63 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s)) {
		hx_log("learn: '%s' is not a sandbox name ([a-z0-9_-]{1,63})", s);
		return 1;
	}
	if (cli->network && strcmp(cli->network, "none") && strcmp(cli->network, "host")) {
		hx_log("learn: --network is none or host, not '%s'", cli->network);
		return 1;
	}
	if (cli->fold) {
		char *end;
		unsigned long v = strtoul(cli->fold, &end, 10);

		if (*end || end == cli->fold || cli->fold[0] == '-' || v > 1000000) {
			hx_log("learn: --fold takes a number of files, not '%s'", cli->fold);
			return 1;
		}
	}
	return 0;
}

static int learn_main(const struct hx_cli *cli)
{
	struct hx_learn_opts o = { .fold_threshold = 8, .sandbox = cli->sandbox };
	const char *outpath = cli->learn_out, *from = cli->from_audit;
	char dir[PATH_MAX] = "", source[PATH_MAX + 64];
	int rc = 0, workload = 0;
	struct hx_learn *l;
	FILE *in, *out;

	if (cli->fold)
		o.fold_threshold = (unsigned)strtoul(cli->fold, NULL, 10);
	o.network_host = cli->network && !strcmp(cli->network, "host");
	if (!from) {
		rc = learn_run(o.sandbox, o.network_host, cli->argv, dir, sizeof(dir), &workload);
		if (rc)
			return rc;
		snprintf(source, sizeof(source), "a run of '%s' in sandbox %s", cli->argv[0],
			 o.sandbox);
		snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/audit.jsonl");
		from = dir;
	} else {
		snprintf(source, sizeof(source), "the audit log %s", from);
	}
	o.source = source;

	in = strcmp(from, "-") ? fopen(from, "re") : stdin;
	if (!in) {
		hx_log("learn: cannot read %s: %s", from, strerror(errno));
		return errno == ENOENT ? 1 : 2;
	}
	l = hx_learn_new(&o);
	if (!l) {
		hx_log("learn: out of memory");
		return 2;
	}
	rc = read_audit(l, in);
	if (in != stdin)
		fclose(in);
	if (rc) {
		hx_log("learn: reading %s: %s", from, strerror(-rc));
		hx_learn_free(l);
		return 2;
	}
	out = outpath ? fopen(outpath, "we") : stdout;
	if (!out) {
		hx_log("learn: cannot write %s: %s", outpath, strerror(errno));
		hx_learn_free(l);
		return 2;
	}
	rc = hx_learn_write(l, out);
	if (outpath && fclose(out) && !rc)
		rc = -errno;
	if (rc) {
		hx_log("learn: writing %s: %s", outpath ? outpath : "the policy", strerror(-rc));
		hx_learn_free(l);
		return 2;
	}
	{
		const struct hx_learn_stats *s = hx_learn_stats(l);

		fprintf(stderr,
			"learn: %lu audit lines, %lu observations used, %lu not learnable, %lu "
			"enforced denials ignored%s%s\n",
			s->lines, s->used, s->unlearnable, s->enforced,
			outpath ? "; policy written to " : "", outpath ? outpath : "");
		if (workload)
			hx_log("learn: the workload exited with status %d: what it did until then "
			       "was learned",
			       workload);
		if (s->dropped) {
			hx_log("learn: %lu events were lost; the policy may lack rules (see the "
			       "agent's drop counters)",
			       s->dropped);
			rc = 3;
		} else if (!s->used) {
			hx_log("learn: nothing of sandbox %s was seen%s", o.sandbox,
			       s->enforced ? " in audit mode (its denials were enforced ones)" :
					     "");
		}
	}
	hx_learn_free(l);
	return rc;
}

const struct hx_cmd hx_cmd_learn_def = {
	.name = "learn",
	.synopsis =
		"--sandbox NAME {--from-audit LOG | [--] CMD [ARG...]} [--out FILE] [--fold N]\n"
		"                        [--network none|host]",
	.summary = "write a deny-by-default policy for a sandbox from what a workload did",
	.details =
		"With CMD: the sandbox is loaded in audit mode, every family denying by default,\n"
		"CMD runs in it (helixagent exec), and what it did becomes the rules; no\n"
		"enforcement may be loaded. With --from-audit: the audit log of the sandbox in\n"
		"audit mode. The folding rules are in docs/learn.md.\n"
		"Exit status: 0; 1 usage; 2 system error; 3 events were lost (the policy is\n"
		"written and says so, but may lack rules).\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config_unused, &opt_sandbox, &opt_from,
						&opt_out, &opt_fold, &opt_network, &hx_opt_help,
						NULL },
	.flags = HX_CMD_TRAILING,
	.check = learn_check,
	.run = learn_main,
};
