// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent exec`: runs a command in a fresh child cgroup of its sandbox,
 * with the sandbox's limits, environment and isolation, watches it, and
 * removes the cgroup when it ends. The only file of the sandbox launcher
 * that logs: one line, where an error surfaces.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "events/audit_sandbox.h"
#include "helixagent/abi.h"
#include "loader/loader.h"
#include "sandbox.h"
#include "util/cgroup.h"

#define TICK_MS 100

extern char **environ;

struct run {
	const struct hx_cli *cli;
	struct hx_policy *p;
	const struct hx_sandbox *s;
	char *shell_argv[4];
	char *const *argv;
	char run_id[32];
	struct hx_run_cg cg;
	struct hx_audit audit;
	bool audit_ok;
	unsigned events; /* HX_AE_* the policy logs */
	struct hx_run_desc desc;
	struct hx_run_plan plan;
	struct hx_run_isolation iso;
	char **envp;
	uint32_t generation;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether enforcement is live, and the sandbox cgroup @cgid one of the live policy's. */
static int check_live(uint64_t cgid, uint32_t *generation)
{
	struct hx_live live = { 0 };
	struct hx_cgrp_key key = { .cgid = cgid };
	struct hx_cgrp_val val;
	__u32 zero = 0;
	int fd = bpf_obj_get(HX_PIN_DIR "/hx_live"), err = 0;

	if (fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &zero, &live) || !live.ready)
		err = -ENOENT;
	close(fd);
	if (err)
		return err;
	*generation = live.generation;
	fd = bpf_obj_get(HX_PIN_DIR "/hx_cgrp");
	if (fd < 0)
		return -ENOENT;
	key.slot = live.slot;
	if (bpf_map_lookup_elem(fd, &key, &val))
		err = -ESRCH;
	close(fd);
	return err;
}

static bool logs(const struct run *r, unsigned ev)
{
	return r->audit_ok && (r->events & ev);
}

static void open_audit(struct run *r)
{
	int err;

	if (!r->p->audit_enabled || !r->p->audit_path)
		return;
	r->events = r->p->audit_events;
	err = hx_audit_open(&r->audit, r->p->audit_path, false);
	if (err) {
		/* The run does not depend on its events being written. */
		hx_log("exec: cannot open audit log %s: %s; running without sandbox events",
		       r->p->audit_path, strerror(-err));
		hx_audit_close(&r->audit);
		return;
	}
	r->audit_ok = true;
}

static int validate(struct run *r)
{
	const struct hx_cmd_validation *v = &r->s->cmd;
	struct hx_cmd_verdict vd;
	char rule[96];
	bool audit = r->s->mode == HX_PM_AUDIT;
	int err;

	err = r->cli->shell ? hx_cmd_validate_shell(v, r->cli->shell, &vd) :
			      hx_cmd_validate_argv(v, r->argv, &vd);
	if (err == -EINVAL) {
		hx_log("exec: sandbox '%s': command_validation.%s[%zu] '%s' is not a valid extended regular expression",
		       r->s->name, vd.list, vd.index, vd.entry);
		return HX_EXEC_EXIT_USAGE;
	}
	if (err) {
		hx_log("exec: command validation: %s", strerror(-err));
		return HX_EXEC_EXIT_SYSTEM;
	}
	if (!vd.refused)
		return 0;
	if (vd.entry)
		snprintf(rule, sizeof(rule), "command_validation.%s[%zu]", vd.list, vd.index);
	else
		snprintf(rule, sizeof(rule), "command_validation.%s", vd.list);
	if (logs(r, HX_AE_PERMISSION_DENIED))
		hx_audit_command_refused(&r->audit, &r->desc, rule, vd.command, audit);
	if (audit)
		return 0; /* mode: audit logs what it would refuse and runs it */
	if (vd.entry)
		hx_log("exec: sandbox '%s' refuses \"%s\": %s \"%s\"", r->s->name, vd.command, rule,
		       vd.entry);
	else
		hx_log("exec: sandbox '%s' refuses \"%s\": not in %s", r->s->name, vd.command,
		       rule);
	return HX_EXEC_EXIT_REFUSED;
}

/* Turns the sandbox's options into what the child does. */
static int make_plan(struct run *r)
{
	const struct hx_sandbox *s = r->s;
	const struct hx_process_opts *o = &s->proc;
	struct hx_run_plan *pl = &r->plan;
	struct hx_run_isolation *iso = &r->iso;
	unsigned last = (unsigned)CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	size_t nns = 0;

	if (f) {
		if (fscanf(f, "%u", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	pl->sandbox = s->name;
	pl->argv = r->argv;
	pl->envp = r->envp;
	pl->proc = o;
	if (o->use_namespaces == HX_YES) {
		pl->userns = pl->pidns = pl->mountns = true;
		pl->ns_flags |= CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	}
	/* Each of these needs a mount namespace, with or without the others. */
	if (o->root_fs || o->read_only_root == HX_YES || o->read_only_paths.n ||
	    o->writable_paths.n || o->masked_paths.n || o->tmpfs.n) {
		pl->mountns = true;
		pl->ns_flags |= CLONE_NEWNS;
	}
	/*
	 * network_mode: none means no network, whether or not use_namespaces
	 * says so; host and bridge (no bridge is created, `check` warns) share
	 * the host's network under the sandbox's network rules.
	 */
	if (o->network_mode && !strcmp(o->network_mode, "none")) {
		pl->netns = true;
		pl->ns_flags |= CLONE_NEWNET;
	}
	pl->nofile = s->limits.max_open_files;
	pl->nnp = o->no_new_privileges == HX_YES;
	pl->seccomp = o->use_seccomp == HX_YES;
	pl->cgroup_mount = r->cg.root;
	pl->caps_keep = last >= 63 ? ~0ull : (1ull << (last + 1)) - 1;
	if (s->caps.present) {
		pl->caps_set = true;
		pl->caps_keep = hx_caps_keep_mask(&s->caps, last);
		pl->caps_added = s->caps.add;
	}
	/*
	 * Mounts made for a program that stays root of the host could be undone
	 * with CAP_SYS_ADMIN; in its own user namespace they are locked anyway.
	 */
	if (pl->mountns && !pl->userns && !(pl->caps_added & (1ull << CAP_SYS_ADMIN)) &&
	    (pl->caps_keep & (1ull << CAP_SYS_ADMIN))) {
		pl->caps_keep &= ~(1ull << CAP_SYS_ADMIN);
		pl->caps_set = true;
	}

	iso->max_memory = s->limits.max_memory;
	iso->max_cpu_milli = s->limits.max_cpu_milli;
	iso->max_processes = s->limits.max_processes;
	iso->max_open_files = s->limits.max_open_files;
	iso->max_execution_ms = s->limits.max_execution_ms;
	if (pl->userns)
		iso->namespaces[nns++] = "user";
	if (pl->mountns)
		iso->namespaces[nns++] = "mnt";
	if (pl->pidns) {
		iso->namespaces[nns++] = "pid";
		iso->namespaces[nns++] = "ipc";
		iso->namespaces[nns++] = "uts";
	}
	if (pl->netns)
		iso->namespaces[nns++] = "net";
	iso->seccomp = pl->seccomp;
	iso->no_new_privileges = pl->nnp;
	iso->caps_set = pl->caps_set;
	iso->caps_keep = pl->caps_keep;
	iso->network_mode = o->network_mode;
	iso->root_fs = o->root_fs;
	return 0;
}

/* Creates the run's cgroup below the sandbox's, which the live policy must govern. */
static int make_cgroup(struct run *r)
{
	char root[256], path[PATH_MAX];
	uint64_t cgid;
	int err;

	err = hx_cgroup2_root(root, sizeof(root));
	if (err) {
		hx_log("exec: no cgroup2 hierarchy mounted (/sys/fs/cgroup or /sys/fs/cgroup/unified)");
		return HX_EXEC_EXIT_SYSTEM;
	}
	err = hx_cgroup_id(root, r->s->cgroup, &cgid);
	if (!err)
		err = check_live(cgid, &r->generation);
	if (err == -ESRCH) {
		hx_log("exec: sandbox '%s' (cgroup %s) is not in the policy the agent enforces; reload the agent with %s",
		       r->s->name, r->s->cgroup, r->cli->config_shown);
		return HX_EXEC_EXIT_SYSTEM;
	}
	if (err) {
		/* Never run an untrusted command unconfined. */
		hx_log("exec: enforcement is not active (start `helixagent run` first); refusing to run unconfined");
		return HX_EXEC_EXIT_SYSTEM;
	}
	snprintf(r->run_id, sizeof(r->run_id), "run-%d", getpid());
	err = hx_runcg_create(&r->cg, root, r->s->cgroup, r->run_id);
	if (err == -EEXIST) {
		/* Left by an earlier launcher of the same pid that was killed: empty, or busy. */
		snprintf(path, sizeof(path), "%s%s/%s", root, r->s->cgroup, r->run_id);
		if (!rmdir(path))
			err = hx_runcg_create(&r->cg, root, r->s->cgroup, r->run_id);
	}
	if (err) {
		hx_log("exec: cannot create cgroup %s%s/%s: %s", root, r->s->cgroup, r->run_id,
		       strerror(-err));
		return HX_EXEC_EXIT_SYSTEM;
	}
	r->desc.cgroup = r->cg.rel;
	r->desc.cgroup_id = r->cg.id;
	r->desc.policy_generation = r->generation;
	return 0;
}

static int apply_limits(struct run *r)
{
	char what[sizeof(r->cg.path) + 128] = "";
	int err = hx_runcg_apply_limits(&r->cg, &r->s->limits, what, sizeof(what));

	if (!err)
		return 0;
	hx_log("exec: sandbox '%s': the kernel refused a limit: %s: %s", r->s->name, what,
	       strerror(-err));
	return HX_EXEC_EXIT_LIMIT;
}

static void report_violation(struct run *r, const struct hx_violation *v)
{
	static const char *const units[] = { "bytes",	  "bytes",    "bytes",
					     "processes", "millicpu", "ms" };
	static const char *const actions[] = { "reclaimed", "oom",	 "killed",
					       "refused",   "throttled", "killed" };
	struct hx_run_violation e = {
		.resource = v->resource,
		.limit_name = v->limit_name,
		.limit = v->limit,
		.current = v->current,
		.unit = units[v->kind],
		.counter = v->counter,
		.count = v->count,
		.action = actions[v->kind],
	};

	if (logs(r, HX_AE_RESOURCE_VIOLATION))
		hx_audit_resource_violation(&r->audit, &r->desc, &e);
}

struct wait_state {
	pid_t pid;
	int status;
	bool exited;
	int err_fd; /* -1 once closed */
	struct hx_child_err cerr;
	bool have_cerr;
	bool timed_out;
	unsigned reported;
	struct hx_runcg_stats zero, last;
	uint64_t seen_mem, seen_pids;
	int64_t start_ms;
};

static void read_child_err(struct wait_state *w)
{
	struct hx_child_err e;
	ssize_t n = read(w->err_fd, &e, sizeof(e));

	if (n == (ssize_t)sizeof(e)) {
		if (!w->have_cerr) {
			w->cerr = e;
			w->cerr.what[sizeof(e.what) - 1] = 0;
			w->have_cerr = true;
		}
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(w->err_fd);
	w->err_fd = -1;
}

static void monitor_tick(struct run *r, struct wait_state *w)
{
	struct hx_runcg_stats now;
	struct hx_violation v[HX_VIO_MAX];
	size_t n;

	hx_runcg_stats(&r->cg, &now);
	/* Kernels without memory.peak / pids.peak: the highest value seen at a tick. */
	if (now.mem_current > w->seen_mem)
		w->seen_mem = now.mem_current;
	if (now.pids_current > w->seen_pids)
		w->seen_pids = now.pids_current;
	if (now.mem_peak < w->seen_mem)
		now.mem_peak = w->seen_mem;
	if (now.pids_peak < w->seen_pids)
		now.pids_peak = w->seen_pids;
	n = hx_monitor_diff(&r->s->limits, &w->zero, &now, (uint64_t)(mono_ms() - w->start_ms),
			    &w->reported, v, HX_VIO_MAX);
	for (size_t i = 0; i < n; i++)
		report_violation(r, &v[i]);
	w->last = now;
}

static void timeout(struct run *r, struct wait_state *w)
{
	struct hx_violation v;
	uint64_t elapsed = (uint64_t)(mono_ms() - w->start_ms);
	int err;

	w->timed_out = true;
	hx_log("exec: %s: max_execution_time of %llu ms reached; killing every process of the run",
	       r->run_id, (unsigned long long)r->s->limits.max_execution_ms);
	err = hx_runcg_kill(&r->cg);
	if (err)
		hx_log("exec: %s: cannot kill cgroup %s: %s", r->run_id, r->cg.path,
		       strerror(-err));
	/* and the run's first process: the init, whose end empties its PID namespace */
	kill(w->pid, SIGKILL);
	hx_monitor_timeout(&r->s->limits, elapsed, &v);
	report_violation(r, &v);
}

/* Waits for the run's first process, forwarding signals, watching limits and the clock. */
static void wait_run(struct run *r, struct wait_state *w, int sfd)
{
	uint64_t limit_ms = r->s->limits.max_execution_ms;

	while (!w->exited) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
					 { .fd = w->err_fd, .events = POLLIN } };
		int64_t left = TICK_MS;
		int n;

		if (limit_ms && !w->timed_out) {
			int64_t due = w->start_ms + (int64_t)limit_ms - mono_ms();

			if (due <= 0) {
				timeout(r, w);
				continue;
			}
			if (due < left)
				left = due;
		}
		n = poll(pfd, w->err_fd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && w->err_fd >= 0)
			read_child_err(w);
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				int sig = (int)si.ssi_signo;

				/* SIGINT and SIGQUIT reach the program from the terminal itself. */
				if (sig != SIGCHLD && sig != SIGINT && sig != SIGQUIT)
					kill(w->pid, sig);
			}
		}
		if (waitpid(w->pid, &w->status, WNOHANG) == w->pid)
			w->exited = true;
		monitor_tick(r, w);
	}
	while (!w->exited) {
		if (waitpid(w->pid, &w->status, 0) == w->pid || errno != EINTR)
			w->exited = true;
	}
	while (w->err_fd >= 0)
		read_child_err(w);
	monitor_tick(r, w);
}

static void close_v1_fds(struct run *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(r->plan.v1_procs_fd[i]);
}

static int start_and_wait(struct run *r)
{
	int go[2], errp[2], sfd, rc, err, procs;
	struct wait_state w = { .err_fd = -1 };
	char path[sizeof(r->cg.path) + 16];
	sigset_t mask, old;
	struct hx_run_end end = { 0 };
	pid_t pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", r->cg.path);
	procs = open(path, O_WRONLY | O_CLOEXEC);
	if (procs < 0) {
		hx_log("exec: cannot open %s: %s", path, strerror(errno));
		return HX_EXEC_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < r->cg.nv1; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", r->cg.v1[i].path);
		r->plan.v1_procs_fd[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (r->plan.v1_procs_fd[i] < 0) {
			hx_log("exec: cannot open %s: %s", path, strerror(errno));
			close(procs);
			close_v1_fds(r, i);
			return HX_EXEC_EXIT_SYSTEM;
		}
		r->plan.nv1 = i + 1;
	}
	if (pipe2(go, O_CLOEXEC)) {
		hx_log("exec: pipe: %s", strerror(errno));
		close(procs);
		close_v1_fds(r, r->plan.nv1);
		return HX_EXEC_EXIT_SYSTEM;
	}
	if (pipe2(errp, O_CLOEXEC)) {
		hx_log("exec: pipe: %s", strerror(errno));
		close(procs);
		close_v1_fds(r, r->plan.nv1);
		close(go[0]);
		close(go[1]);
		return HX_EXEC_EXIT_SYSTEM;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r->plan.go_fd = go[0];
	r->plan.err_fd = errp[1];
	r->plan.cg_procs_fd = procs;
	fflush(NULL);
	/*
	 * A raw clone, as fork() but into new namespaces at once: the child
	 * becomes PID 1 of its PID namespace. Nothing of the command runs
	 * before the program has joined the run's cgroup (child.c).
	 */
	if (r->plan.ns_flags)
		pid = (pid_t)syscall(SYS_clone, r->plan.ns_flags | SIGCHLD, NULL, NULL, NULL, 0);
	else
		pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(errp[0]);
		if (sfd >= 0)
			close(sfd);
		hx_child_main(&r->plan);
	}
	err = pid < 0 ? -errno : 0;
	close(go[0]);
	close(errp[1]);
	close(procs);
	close_v1_fds(r, r->plan.nv1);
	if (err || sfd < 0 || write(go[1], "g", 1) != 1) {
		hx_log("exec: cannot start the sandbox: %s", strerror(err ? -err : errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(go[1]);
		close(errp[0]);
		if (sfd >= 0)
			close(sfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return HX_EXEC_EXIT_SYSTEM;
	}
	close(go[1]);
	w.pid = pid;
	w.err_fd = errp[0];
	w.start_ms = mono_ms();
	fcntl(w.err_fd, F_SETFL, O_NONBLOCK);
	hx_runcg_stats(&r->cg, &w.zero);
	r->desc.pid = pid;
	if (logs(r, HX_AE_SANDBOX_CREATE))
		hx_audit_sandbox_create(&r->audit, &r->desc, &r->iso);

	wait_run(r, &w, sfd);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);

	end.duration_ms = (uint64_t)(mono_ms() - w.start_ms);
	if (WIFSIGNALED(w.status)) {
		rc = 128 + WTERMSIG(w.status);
		end.signal = WTERMSIG(w.status);
		end.reason = "signaled";
	} else {
		rc = WEXITSTATUS(w.status);
		end.reason = "exited";
	}
	if (w.have_cerr) {
		switch (w.cerr.stage) {
		case HX_STAGE_EXEC:
			rc = w.cerr.err == ENOENT || w.cerr.err == ENOTDIR ?
				     HX_EXEC_EXIT_NOT_FOUND :
				     HX_EXEC_EXIT_CANNOT_EXEC;
			hx_log("exec: %s: %s", w.cerr.what, strerror(w.cerr.err));
			end.reason = "exec_failed";
			break;
		case HX_STAGE_LIMIT:
			rc = HX_EXEC_EXIT_LIMIT;
			hx_log("exec: sandbox '%s': the kernel refused a limit: %s: %s", r->s->name,
			       w.cerr.what, strerror(w.cerr.err));
			end.reason = "limit_refused";
			break;
		default:
			rc = HX_EXEC_EXIT_SYSTEM;
			hx_log("exec: sandbox '%s': setup failed: %s: %s", r->s->name, w.cerr.what,
			       strerror(w.cerr.err));
			end.reason = "setup_failed";
			break;
		}
	} else if (w.timed_out) {
		end.reason = "timeout";
	} else if (w.last.mem_oom_kill > w.zero.mem_oom_kill && rc == 128 + SIGKILL) {
		end.reason = "oom_kill";
	}
	end.exit_code = rc;
	end.memory_peak = w.last.mem_peak ? w.last.mem_peak : w.last.mem_current;
	end.pids_peak = w.last.pids_peak;
	end.cpu_usage_usec = w.last.cpu_usage_usec;

	err = hx_runcg_destroy(&r->cg);
	if (err)
		hx_log("exec: cannot remove cgroup %s: %s", r->cg.path, strerror(-err));
	if (logs(r, HX_AE_SANDBOX_DESTROY))
		hx_audit_sandbox_destroy(&r->audit, &r->desc, &end);
	return rc;
}

int hx_cmd_exec(const struct hx_cli *cli)
{
	struct hx_diags d = { 0 };
	struct run r = { .cli = cli };
	int rc, err;

	if (!cli->sandbox || (cli->shell ? (cli->argc > 0 || !cli->shell[0]) : cli->argc < 1)) {
		hx_log("exec: usage: helixagent exec [-c FILE] --sandbox NAME {[--] CMD [ARG...] | --shell \"COMMAND\"}");
		return HX_EXEC_EXIT_USAGE;
	}
	r.p = hx_cli_load_policy(cli, &d);
	if (!r.p) {
		hx_log("cannot read policy %s: %s", cli->config_shown, strerror(errno));
		return HX_EXEC_EXIT_USAGE;
	}
	/* Warnings are for `check`; a run reports only what stops it. */
	if (d.errors)
		hx_diags_print(&d, cli->config_shown, stderr);
	rc = d.errors ? HX_EXEC_EXIT_USAGE : 0;
	hx_diags_free(&d);
	if (rc)
		goto out;
	r.s = hx_policy_find(r.p, cli->sandbox);
	if (!r.s) {
		hx_log("exec: no sandbox named '%s' in %s", cli->sandbox, cli->config_shown);
		rc = HX_EXEC_EXIT_USAGE;
		goto out;
	}
	if (cli->shell) {
		r.shell_argv[0] = "/bin/sh";
		r.shell_argv[1] = "-c";
		r.shell_argv[2] = (char *)cli->shell;
		r.argv = r.shell_argv;
	} else {
		r.argv = cli->argv;
	}
	r.desc = (struct hx_run_desc){
		.sandbox = r.s->name,
		.mode = r.s->mode == HX_PM_AUDIT ? "audit" : "enforce",
		.run_id = r.run_id,
		.argv = r.argv,
		.command_line = cli->shell,
		.launcher_pid = getpid(),
	};
	snprintf(r.run_id, sizeof(r.run_id), "run-%d", getpid());
	open_audit(&r);

	rc = validate(&r);
	if (rc)
		goto out;
	err = hx_env_build(&r.s->env, r.s->perms.allow_environment, environ, &r.envp);
	if (err) {
		hx_log("exec: environment: %s", strerror(-err));
		rc = HX_EXEC_EXIT_SYSTEM;
		goto out;
	}
	rc = make_plan(&r);
	if (!rc)
		rc = make_cgroup(&r);
	if (!rc)
		rc = apply_limits(&r);
	if (!rc)
		rc = start_and_wait(&r);
	/* start_and_wait removes the cgroup; this is for the failures before it */
	if (r.cg.created) {
		err = hx_runcg_destroy(&r.cg);
		if (err)
			hx_log("exec: cannot remove cgroup %s: %s", r.cg.path, strerror(-err));
	}
out:
	hx_env_free(r.envp);
	if (r.audit_ok)
		hx_audit_close(&r.audit);
	hx_policy_free(r.p);
	return rc;
}
