// SPDX-License-Identifier: GPL-2.0
/* `helixagent exec`: run a command in a fresh child cgroup of its sandbox. */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "helixagent/abi.h"
#include "loader/loader.h"
#include "util/cgroup.h"

/* Exit codes of the launcher itself, as env(1) and shells use them. */
#define HX_EXIT_CANNOT_EXEC 126
#define HX_EXIT_NOT_FOUND 127

static bool enforcement_active(void)
{
	struct hx_live live = { 0 };
	__u32 zero = 0;
	int fd = bpf_obj_get(HX_PIN_DIR "/hx_live");
	bool ok;

	if (fd < 0)
		return false;
	ok = !bpf_map_lookup_elem(fd, &zero, &live) && live.ready;
	close(fd);
	return ok;
}

static void remove_cgroup(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s/cgroup.kill", root, rel);
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s%s", root, rel);
		if (!rmdir(path) || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		/* Descendants still inside: end them, the run is over. */
		snprintf(path, sizeof(path), "%s%s/cgroup.kill", root, rel);
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			(void)!write(fd, "1", 1);
			close(fd);
		}
		usleep(10000);
	}
	hx_log("cannot remove cgroup %s%s: %s", root, rel, strerror(errno));
}

int hx_cmd_exec(const struct hx_cli *cli)
{
	struct hx_diags d = { 0 };
	struct hx_policy *p;
	const struct hx_sandbox *s;
	char root[256], run_cg[PATH_MAX];
	int pfd[2], status, err, rc;
	pid_t pid;

	if (!cli->sandbox || cli->argc < 1) {
		hx_log("exec: usage: helixagent exec [-c FILE] --sandbox NAME [--] CMD [ARG...]");
		return 1;
	}
	p = hx_cli_load_policy(cli, &d);
	if (!p) {
		hx_log("cannot read policy %s: %s", cli->config, strerror(errno));
		return 1;
	}
	hx_diags_print(&d, cli->config_shown, stderr);
	if (d.errors) {
		hx_diags_free(&d);
		hx_policy_free(p);
		return 1;
	}
	hx_diags_free(&d);
	s = hx_policy_find(p, cli->sandbox);
	if (!s) {
		hx_log("exec: no sandbox named '%s' in %s", cli->sandbox, cli->config_shown);
		hx_policy_free(p);
		return 1;
	}
	/* Never run an untrusted command unconfined. */
	if (!enforcement_active()) {
		hx_log("exec: enforcement is not active (start `helixagent run` first); refusing to run unconfined");
		hx_policy_free(p);
		return 2;
	}
	err = hx_cgroup2_root(root, sizeof(root));
	if (!err) {
		snprintf(run_cg, sizeof(run_cg), "%s/run-%d", s->cgroup, getpid());
		err = hx_cgroup_mkdir_p(root, run_cg);
	}
	if (err) {
		hx_log("exec: cannot create cgroup %s%s: %s", root, run_cg, strerror(-err));
		hx_policy_free(p);
		return 2;
	}
	hx_policy_free(p);

	if (pipe2(pfd, O_CLOEXEC)) {
		hx_log("exec: pipe: %s", strerror(errno));
		remove_cgroup(root, run_cg);
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		hx_log("exec: fork: %s", strerror(errno));
		remove_cgroup(root, run_cg);
		return 2;
	}
	if (pid == 0) {
		int e;

		close(pfd[0]);
		e = hx_cgroup_attach(root, run_cg, 0);
		if (!e) {
			execvp(cli->argv[0], cli->argv);
			e = -errno;
		}
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(e == -ENOENT ? HX_EXIT_NOT_FOUND : HX_EXIT_CANNOT_EXEC);
	}
	close(pfd[1]);
	err = 0;
	if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err)
		hx_log("exec: %s: %s", cli->argv[0], strerror(-err));
	remove_cgroup(root, run_cg);
	if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = WEXITSTATUS(status);
	return rc;
}
