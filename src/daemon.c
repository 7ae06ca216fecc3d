// SPDX-License-Identifier: GPL-2.0
/* `helixagent run`: load, enforce, drain events, reload on SIGHUP. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cli.h"
#include "events/audit.h"
#include "helixagent.skel.h"
#include "loader/family.h"
#include "loader/loader.h"
#include "probe.h"
#include "state.h"

struct daemon {
	const struct hx_cli *cli;
	struct hx_loader l;
	struct hx_audit audit;
	struct ring_buffer *rb;
	uint64_t drops_seen[HX_DROP_MAX];
	struct stat policy_st;
	bool policy_st_ok;
};

static const char *const drop_names[HX_DROP_MAX] = {
	[HX_DROP_RINGBUF] = "ringbuf_full",
	[HX_DROP_WALK_DEPTH] = "path_too_deep",
	[HX_DROP_CGRP_DEPTH] = "cgroup_too_deep",
	[HX_DROP_NO_FILE] = "no_file",
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct hx_event *e = data;
	static struct hx_event copy;

	if (len < offsetof(struct hx_event, path) || e->type != HX_EV_DECISION)
		return 0;
	/* Records are sent without their unused tail: pad into a whole event. */
	if (len < sizeof(copy)) {
		memcpy(&copy, data, len);
		memset((char *)&copy + len, 0, sizeof(copy) - len);
		e = &copy;
	}
	hx_audit_decision(&d->audit, e, hx_loader_tables(&d->l, e->generation));
	return 0;
}

/* Reports each drop reason whose count grew since the last look. */
static void check_drops(struct daemon *d)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(d->l.skel->maps.hx_drops);

	if (ncpu <= 0)
		return;
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		__u64 vals[ncpu], sum = 0;

		if (bpf_map_lookup_elem(fd, &r, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
		if (sum > d->drops_seen[r]) {
			hx_audit_dropped(&d->audit, drop_names[r], sum - d->drops_seen[r], sum);
			d->drops_seen[r] = sum;
		}
	}
}

static void log_diags(const struct hx_diags *dg, const char *file)
{
	hx_diags_print(dg, file, stderr);
}

/* Loads the policy file and installs it. Returns 0, 1 (policy error) or 2 (system error). */
static int load_and_install(struct daemon *d, bool initial)
{
	struct hx_diags dg = { 0 };
	struct hx_policy *p = hx_cli_load_policy(d->cli, &dg);
	int rc = 0, err;

	if (!p) {
		hx_log("cannot read policy %s: %s", d->cli->config, strerror(errno));
		rc = 1;
		goto out;
	}
	log_diags(&dg, d->cli->config_shown);
	if (dg.errors) {
		hx_log("policy %s has %zu error(s); %s", d->cli->config_shown, dg.errors,
		       initial ? "not starting" : "keeping the policy in force");
		hx_audit_policy_load(&d->audit, initial ? NULL : &d->l.cur, d->cli->config_shown,
				     false, "invalid policy");
		rc = 1;
		goto out;
	}
	hx_diags_free(&dg);
	err = hx_loader_install(&d->l, p, &dg);
	log_diags(&dg, d->cli->config_shown);
	if (err) {
		hx_log("cannot install policy %s: %s%s", d->cli->config_shown, strerror(-err),
		       initial ? "" : "; keeping the policy in force");
		hx_audit_policy_load(&d->audit, initial ? NULL : &d->l.cur, d->cli->config_shown,
				     false, strerror(-err));
		rc = err == -EINVAL ? 1 : 2;
		goto out;
	}
	hx_audit_policy_load(&d->audit, &d->l.cur, d->cli->config_shown, true, NULL);
	err = hx_state_write(&d->l, d->cli->config_shown, p);
	if (err)
		hx_log("cannot write %s: %s", HX_STATE_FILE, strerror(-err));
	hx_log("policy generation %u in force: %zu sandbox(es), %zu object rule(s)",
	       d->l.generation, d->l.cur.nsbx, d->l.cur.inode_entries);
out:
	hx_diags_free(&dg);
	hx_policy_free(p);
	if (d->cli->config && stat(d->cli->config, &d->policy_st) == 0)
		d->policy_st_ok = true;
	return rc;
}

static bool policy_changed(struct daemon *d)
{
	struct stat st;

	if (!d->cli->config || stat(d->cli->config, &st))
		return false;
	if (d->policy_st_ok && st.st_mtim.tv_sec == d->policy_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == d->policy_st.st_mtim.tv_nsec && st.st_ino == d->policy_st.st_ino &&
	    st.st_size == d->policy_st.st_size)
		return false;
	return true;
}

int hx_cmd_run(const struct hx_cli *cli)
{
	struct daemon d = { .cli = cli };
	struct hx_probe pr;
	struct epoll_event ev, evs[8];
	struct hx_diags dg = { 0 };
	struct hx_policy *p;
	const char *what = "";
	const char *audit_path;
	sigset_t mask;
	int efd = -1, sfd = -1, tfd = -1, rc = 0, err;
	bool stop = false;

	/* Validate before touching the kernel: a bad policy is exit 1. */
	p = hx_cli_load_policy(cli, &dg);
	if (!p) {
		hx_log("cannot read policy %s: %s", cli->config, strerror(errno));
		return 1;
	}
	log_diags(&dg, cli->config_shown);
	if (dg.errors) {
		hx_log("policy %s has %zu error(s); not starting", cli->config_shown, dg.errors);
		hx_diags_free(&dg);
		hx_policy_free(p);
		return 1;
	}
	audit_path = cli->audit_log ? cli->audit_log : p->audit_path;
	err = hx_audit_open(&d.audit, p->audit_enabled || cli->audit_log ? audit_path : NULL,
			    cli->audit_stdout);
	hx_diags_free(&dg);
	hx_policy_free(p);
	if (err) {
		hx_log("cannot open audit log %s: %s", audit_path, strerror(-err));
		return 2;
	}

	hx_probe_run(&pr);
	if (!pr.enforce_ok) {
		hx_log("cannot enforce: %s", pr.reason);
		hx_audit_close(&d.audit);
		return 2;
	}

	err = hx_loader_open(&d.l, &what);
	if (err) {
		hx_log("failed to %s: %s", what, strerror(-err));
		rc = 2;
		goto out;
	}
	rc = load_and_install(&d, true);
	if (rc)
		goto out;

	d.rb = ring_buffer__new(bpf_map__fd(d.l.skel->maps.hx_events), on_event, &d, NULL);
	if (!d.rb) {
		hx_log("failed to open the event ring buffer: %s", strerror(errno));
		rc = 2;
		goto out;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || efd < 0) {
		hx_log("failed to set up the event loop: %s", strerror(errno));
		rc = 2;
		goto out;
	}
	timerfd_settime(tfd, 0,
			&(struct itimerspec){ .it_interval = { .tv_nsec = 250000000 },
					      .it_value = { .tv_nsec = 250000000 } },
			NULL);
	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	epoll_ctl(efd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d.rb), &ev);
	ev.data.u32 = 1;
	epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = 2;
	epoll_ctl(efd, EPOLL_CTL_ADD, tfd, &ev);

	hx_log("enforcing (pid %d)", getpid());
	while (!stop) {
		int n = epoll_wait(efd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hx_log("epoll_wait: %s", strerror(errno));
			rc = 2;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				ring_buffer__consume(d.rb);
			} else if (evs[i].data.u32 == 1) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					hx_log("SIGHUP: reloading %s", cli->config_shown);
					load_and_install(&d, false);
				} else if (si.ssi_signo == SIGUSR1) {
					err = hx_audit_reopen(&d.audit);
					if (err)
						hx_log("cannot reopen audit log: %s", strerror(-err));
				} else {
					stop = true;
				}
			} else {
				uint64_t ticks;

				(void)!read(tfd, &ticks, sizeof(ticks));
				ring_buffer__consume(d.rb);
				check_drops(&d);
				hx_net_tick(&d.l);
				if (policy_changed(&d)) {
					hx_log("%s changed: reloading", cli->config_shown);
					load_and_install(&d, false);
				}
			}
		}
	}
	/* Enforcement stays pinned; only the daemon goes. */
	if (d.rb)
		ring_buffer__consume(d.rb);
	check_drops(&d);
	hx_log("exiting; the policy stays enforced (helixagent unload removes it)");
out:
	ring_buffer__free(d.rb);
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	hx_loader_close(&d.l);
	hx_audit_close(&d.audit);
	return rc;
}
