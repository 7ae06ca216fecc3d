// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent run`: load, enforce, drain events, reload atomically, watch
 * the things that enforcement depends on (pins, sandbox cgroups, the policy
 * file), serve metrics. Enforcement never depends on this process: the
 * programs and maps are pinned, and a restarted daemon adopts them.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "daemon.h"
#include "events/audit.h"
#include "events/sink.h"
#include "helixagent.skel.h"
#include "loader/family.h"
#include "loader/loader.h"
#include "log.h"
#include "metrics/metrics.h"
#include "notify.h"
#include "loader/probe.h"
#include "stats.h"

#define TICK_NS 250000000LL

/*
 * The agent makes itself the OOM killer's last choice: a sandbox that fills
 * memory must not be able to get its guard killed. Best effort: a daemon
 * not allowed to (no CAP_SYS_RESOURCE) says so and goes on.
 */
static void write_oom_score_adj(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "-1000", 5) != 5)
		hx_dlog(LOG_WARNING, "startup", NULL, "cannot set oom_score_adj to -1000: %s",
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int open_outputs(struct daemon *d, const struct hx_policy *p)
{
	const struct hx_cli *cli = d->cli;
	const char *path = cli->audit_log ? cli->audit_log : p->audit_path;
	uint64_t max_size = 0;
	unsigned long keep = 5;
	char err[256];
	int rc;

	if (cli->audit_max_size && hx_parse_size(cli->audit_max_size, &max_size)) {
		hx_dlog(LOG_ERR, "usage", NULL,
			"--audit-max-size: '%s' is not a size (10M, 512Ki, ...)",
			cli->audit_max_size);
		return 1;
	}
	if (cli->audit_keep) {
		char *end;

		keep = strtoul(cli->audit_keep, &end, 10);
		if (!*cli->audit_keep || *end || keep > 1000) {
			hx_dlog(LOG_ERR, "usage", NULL,
				"--audit-keep: '%s' is not a number of files (0-1000)",
				cli->audit_keep);
			return 1;
		}
	}
	rc = hx_audit_open_direct(&d->audit, p->audit_enabled || cli->audit_log ? path : NULL,
				  cli->audit_stdout);
	if (rc) {
		hx_dlog(LOG_ERR, "audit", NULL, "cannot open audit log %s: %s", path,
			strerror(-rc));
		return 2;
	}
	d->audit_path = path ? strdup(path) : NULL;
	hx_audit_set_rotation(&d->audit, max_size, (unsigned)keep);
	if (cli->syslog || cli->journald) {
		int fac = hx_syslog_facility(cli->syslog_facility ? cli->syslog_facility : "auth");
		struct hx_sink *s;
		struct hx_journal *j;

		if (fac < 0) {
			hx_dlog(LOG_ERR, "usage", NULL, "--syslog-facility: unknown facility '%s'",
				cli->syslog_facility);
			return 1;
		}
		if (cli->syslog) {
			s = hx_syslog_open(cli->syslog, fac, err, sizeof(err));
			if (!s) {
				hx_dlog(LOG_ERR, "syslog", NULL, "--syslog %s: %s", cli->syslog,
					err);
				return errno == EINVAL ? 1 : 2;
			}
			hx_audit_set_syslog(&d->audit, s);
		}
		if (cli->journald) {
			j = hx_journal_open(fac, err, sizeof(err));
			if (!j) {
				hx_dlog(LOG_ERR, "journald", NULL, "--journald: %s", err);
				return 2;
			}
			hx_audit_set_journal(&d->audit, j);
		}
	}
	return 0;
}

static int setup_loop(struct daemon *d, int *sfd, int *tfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->efd = epoll_create1(EPOLL_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || d->efd < 0)
		return -errno;
	timerfd_settime(*tfd, 0,
			&(struct itimerspec){ .it_interval = { .tv_nsec = TICK_NS },
					      .it_value = { .tv_nsec = TICK_NS } },
			NULL);
	ev.data.u32 = 0;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d->rb), &ev))
		return -errno;
	ev.data.u32 = 1;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, *sfd, &ev))
		return -errno;
	ev.data.u32 = 2;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, *tfd, &ev))
		return -errno;
	if (d->metrics) {
		ev.data.u32 = 3;
		epoll_ctl(d->efd, EPOLL_CTL_ADD, hx_metrics_fd(d->metrics), &ev);
	}
	if (d->relay_fd >= 0) {
		ev.data.u32 = TAG_RELAY_LISTEN;
		epoll_ctl(d->efd, EPOLL_CTL_ADD, d->relay_fd, &ev);
	}
	return 0;
}

static void tick(struct daemon *d)
{
	int64_t now = mono_ns();

	d->ticks++;
	hx_d_drain(d);
	hx_d_check_drops(d);
	hx_d_watch_missing_cgroups(d);
	hx_audit_tick(&d->audit);
	hx_net_tick(&d->l);
	hx_d_watch_policy_file(d);
	if (d->wd_usec && now >= d->wd_next_ns) {
		hx_notify("WATCHDOG=1");
		d->wd_next_ns = now + (int64_t)d->wd_usec * 1000 / 2;
	}
	if (d->metrics)
		hx_metrics_run(d->metrics);
	else if (d->metrics_listen && now >= d->metrics_retry_ns) {
		char *l = d->metrics_listen;

		d->metrics_listen = NULL;
		hx_d_metrics_configure(d, l);
		free(l);
	}
	if (d->ticks % TICKS_PER_SEC)
		return;
	hx_d_check_rate_limits(d);
	hx_d_watch_pins(d);
	hx_d_watch_cgroups(d);
	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	hx_d_write_counters(d);
}

static void setup_logging(const struct hx_cli *cli, const struct hx_policy *p)
{
	int lvl = p && p->log_level ? hx_dlog_level(p->log_level) : LOG_INFO;

	if (lvl < 0)
		lvl = LOG_INFO;
	if (cli->verbose)
		lvl = LOG_DEBUG;
	hx_dlog_setup(cli->log_format && !strcmp(cli->log_format, "json") ? HX_LOG_JSON :
									    HX_LOG_LOGFMT,
		      lvl);
}

int hx_cmd_run(const struct hx_cli *cli)
{
	struct daemon d = { .cli = cli, .efd = -1, .relay_fd = -1, .pf = PF_OK };
	struct hx_probe pr;
	struct epoll_event evs[8];
	struct hx_diags dg = { 0 };
	struct hx_policy *p;
	const char *what = "";
	int sfd = -1, tfd = -1, rc = 0, err;
	int64_t t0, t1;
	bool stop = false;
	char kv[128];

	if (cli->log_format && strcmp(cli->log_format, "json") &&
	    strcmp(cli->log_format, "logfmt")) {
		hx_log("--log-format: '%s' is not logfmt or json", cli->log_format);
		return 1;
	}
	/* Before anything else: the guard protects this process from its first moments. */
	hx_loader_name_agent();
	d.started_at = real_s();
	for (int i = 0; i < RELAY_CONNS; i++)
		d.relay_conns[i] = -1;
	/* Validate before touching the kernel: a bad policy is exit 1. */
	p = hx_cli_load_policy(cli, &dg);
	setup_logging(cli, p);
	if (!p) {
		hx_dlog(LOG_ERR, "policy_rejected", NULL, "cannot read policy %s: %s",
			cli->config_shown, strerror(errno));
		return 1;
	}
	hx_d_log_diags(&dg, cli->config_shown);
	if (dg.errors) {
		hx_dlog(LOG_ERR, "policy_rejected", NULL,
			"policy %s has %zu error(s); not starting", cli->config_shown, dg.errors);
		hx_diags_free(&dg);
		hx_policy_free(p);
		return 1;
	}
	hx_diags_free(&dg);
	rc = open_outputs(&d, p);
	hx_policy_free(p);
	if (rc)
		goto out;

	/* Under memory pressure the kernel kills anything before the agent. */
	write_oom_score_adj();

	t0 = mono_ns();
	hx_probe_run(&pr);
	t1 = mono_ns();
	if (!pr.enforce_ok) {
		hx_dlog(LOG_ERR, "probe", NULL, "cannot enforce: %s", pr.reason);
		rc = 2;
		goto out;
	}
	if (hx_dstats_init(&d.stats)) {
		hx_dlog(LOG_ERR, "startup", NULL, "cannot count the possible CPUs");
		rc = 2;
		goto out;
	}

	/* Pinned maps are adopted: the policy in force stays live until the new one replaces it. */
	err = hx_loader_open(&d.l, &what);
	if (err) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to %s: %s", what, strerror(-err));
		rc = 2;
		goto out;
	}
	snprintf(kv, sizeof(kv),
		 "adopted_generation=%u adopted_links=%s probe_seconds=%.3f load_seconds=%.3f",
		 d.l.generation, d.l.adopted ? "yes" : "no", (double)(t1 - t0) / 1e9,
		 (double)(mono_ns() - t1) / 1e9);
	hx_dlog(LOG_INFO, "startup", kv, "%s under %s%s",
		d.l.adopted ? "adopted the pinned programs of this same build" :
			      "programs attached and pinned",
		HX_PIN_DIR,
		d.l.generation ? "; the policy in force stays live while the new one loads" : "");
	hx_d_adopt_counters(&d);
	/* Drain what a dead daemon left in the ring: those events belong to the log too. */
	d.rb = ring_buffer__new(bpf_map__fd(d.l.skel->maps.hx_events), hx_d_on_event, &d, NULL);
	if (!d.rb) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to open the event ring buffer: %s",
			strerror(errno));
		rc = 2;
		goto out;
	}
	hx_d_drain(&d);
	hx_d_check_drops(&d);

	rc = hx_d_load_and_install(&d, T_START);
	if (rc)
		goto out;
	if (cli->metrics_listen)
		hx_d_metrics_configure(&d, cli->metrics_listen);

	/* Not fatal: without it `helixagent exec` writes the log itself. */
	err = d.audit.path ? hx_d_relay_open(&d) : 0;
	if (err)
		hx_dlog(LOG_WARNING, "audit_relay", NULL, "cannot listen on %s: %s",
			HX_AUDIT_SOCKET, strerror(-err));
	err = setup_loop(&d, &sfd, &tfd);
	if (err) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to set up the event loop: %s",
			strerror(-err));
		rc = 2;
		goto out;
	}
	d.wd_usec = hx_notify_watchdog_usec();
	hx_d_write_counters(&d);
	snprintf(kv, sizeof(kv), "pid=%d generation=%u", (int)getpid(), d.l.generation);
	hx_dlog(LOG_INFO, "ready", kv, "enforcing");
	hx_notifyf("READY=1\nMAINPID=%d\nSTATUS=enforcing policy generation %u", (int)getpid(),
		   d.l.generation);

	while (!stop) {
		/* Records left from the last turn: look at the rest, then go on with them. */
		int n = epoll_wait(d.efd, evs, 8, d.ring_more ? 0 : -1);

		if (d.ring_more)
			hx_d_drain(&d);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hx_dlog(LOG_ERR, "event_loop", NULL, "epoll_wait: %s", strerror(errno));
			rc = 2;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				hx_d_drain(&d);
			} else if (evs[i].data.u32 == 1) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					snprintf(kv, sizeof(kv), "sender_pid=%u", si.ssi_pid);
					hx_dlog(LOG_INFO, "reload", kv, "SIGHUP: reloading %s",
						cli->config_shown);
					hx_d_load_and_install(&d, T_SIGNAL);
				} else if (si.ssi_signo == SIGUSR1) {
					err = hx_audit_reopen(&d.audit);
					if (err)
						hx_dlog(LOG_ERR, "audit", NULL,
							"cannot reopen audit log %s: %s",
							d.audit.path, strerror(-err));
					else
						hx_dlog(LOG_INFO, "audit", NULL, "reopened %s",
							d.audit.path ? d.audit.path : "(no file)");
				} else {
					stop = true;
				}
			} else if (evs[i].data.u32 == 2) {
				uint64_t ticks;

				(void)!read(tfd, &ticks, sizeof(ticks));
				tick(&d);
			} else if (evs[i].data.u32 == 3 && d.metrics) {
				hx_metrics_run(d.metrics);
			} else if (evs[i].data.u32 == TAG_RELAY_LISTEN) {
				hx_d_relay_accept(&d);
			} else if (evs[i].data.u32 >= TAG_RELAY_CONN &&
				   evs[i].data.u32 < TAG_RELAY_CONN + RELAY_CONNS) {
				hx_d_relay_read(&d, (int)(evs[i].data.u32 - TAG_RELAY_CONN));
			}
		}
	}
	hx_notify("STOPPING=1");
	/* Enforcement stays pinned; only the daemon goes. */
	hx_d_relay_close(&d);
	for (int i = 0; i < 64; i++) {
		hx_d_drain(&d);
		if (!d.ring_more)
			break;
	}
	hx_d_check_drops(&d);
	hx_d_check_rate_limits(&d);
	hx_dstats_poll(&d.stats, bpf_map__fd(d.l.skel->maps.hx_stats));
	hx_d_write_counters(&d);
	snprintf(kv, sizeof(kv), "generation=%u", d.l.generation);
	hx_dlog(LOG_INFO, "exit", kv,
		"exiting; the policy stays enforced (helixagent unload removes it)");
out:
	hx_metrics_stop(d.metrics);
	free(d.metrics_listen);
	ring_buffer__free(d.rb);
	hx_d_relay_close(&d);
	if (d.efd >= 0)
		close(d.efd);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (d.l.skel)
		hx_loader_close(&d.l);
	hx_dstats_free(&d.stats);
	hx_audit_close(&d.audit);
	for (int i = 0; i < HISTORY; i++)
		hx_compiled_free(&d.hist[i]);
	free(d.good);
	free(d.explicit_cg);
	free(d.cg_missing);
	free(d.audit_path);
	return rc;
}
