// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: the daemon's Prometheus families, rendered at each scrape from
 * the kernel's maps and the daemon's counters, and the listener, started,
 * moved or stopped as the command line or the policy says.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon.h"
#include "events/sink.h"
#include "helixagent.skel.h"
#include "log.h"
#include "metrics/metrics.h"
#include "util/names.h"

#define METRICS_RETRY_NS 10000000000LL

static bool healthy(void *ctx)
{
	struct daemon *d = ctx;
	struct hx_live live = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(d->l.skel->maps.hx_live), &zero, &live))
		return false;
	return live.ready && access(HX_PIN_DIR "/hx_live", F_OK) == 0;
}

static size_t map_entries(int fd, size_t key_size)
{
	char key[512], next[512];
	void *prev = NULL;
	size_t n = 0;

	if (key_size > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static void render_maps(struct daemon *d, struct hx_buf *b)
{
	struct bpf_map *m;

	hx_prom_family(b, "helixagent_map_entries", "gauge",
		       "Entries in each pinned BPF map (both policy slots).");
	bpf_object__for_each_map(m, d->l.skel->obj) {
		enum bpf_map_type t = bpf_map__type(m);

		if (strncmp(bpf_map__name(m), "hx_", 3) || bpf_map__fd(m) < 0 ||
		    t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    t == BPF_MAP_TYPE_RINGBUF)
			continue;
		hx_prom_u64(b, "helixagent_map_entries",
			    (const char *[]){ "map", bpf_map__name(m), NULL },
			    map_entries(bpf_map__fd(m), bpf_map__key_size(m)));
	}
	hx_prom_family(b, "helixagent_map_capacity", "gauge",
		       "Capacity of each pinned BPF map (max_entries; bytes for the ring buffer).");
	bpf_object__for_each_map(m, d->l.skel->obj) {
		if (strncmp(bpf_map__name(m), "hx_", 3) || bpf_map__fd(m) < 0)
			continue;
		hx_prom_u64(b, "helixagent_map_capacity",
			    (const char *[]){ "map", bpf_map__name(m), NULL },
			    bpf_map__max_entries(m));
	}
}

static void render(void *ctx, struct hx_buf *b)
{
	struct daemon *d = ctx;
	const struct hx_dstats *s = &d->stats;

	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	hx_d_read_drops(d);

	hx_prom_build_info(b);
	hx_prom_family(b, "helixagent_enforcement_active", "gauge",
		       "1 while a policy is live in the kernel and its pins are in place.");
	hx_prom_u64(b, "helixagent_enforcement_active", NULL, healthy(d));
	hx_prom_family(b, "helixagent_policy_generation", "gauge",
		       "Generation of the policy in force; grows by one per successful load.");
	hx_prom_u64(b, "helixagent_policy_generation", NULL, d->l.generation);
	hx_prom_family(b, "helixagent_policy_info", "gauge",
		       "The policy in force: its file and the SHA-256 of its text.");
	hx_prom_u64(b, "helixagent_policy_info",
		    (const char *[]){ "file", d->cli->config_shown, "sha256", d->sha, NULL }, 1);
	hx_prom_family(b, "helixagent_policy_load_duration_seconds", "gauge",
		       "Time the last successful load took: read, validate, compile, switch.");
	hx_prom_f64(b, "helixagent_policy_load_duration_seconds", NULL, d->load_seconds);
	hx_prom_family(b, "helixagent_policy_last_load_timestamp_seconds", "gauge",
		       "When the policy in force was loaded (Unix time).");
	hx_prom_u64(b, "helixagent_policy_last_load_timestamp_seconds", NULL,
		    (uint64_t)d->loaded_at);
	hx_prom_family(b, "helixagent_policy_loads_total", "counter",
		       "Policy loads by result since the daemon started.");
	hx_prom_u64(b, "helixagent_policy_loads_total",
		    (const char *[]){ "result", "success", NULL }, d->loads_ok);
	hx_prom_u64(b, "helixagent_policy_loads_total",
		    (const char *[]){ "result", "failure", NULL }, d->loads_failed);
	hx_prom_family(b, "helixagent_sandboxes", "gauge", "Sandboxes in the policy in force.");
	hx_prom_u64(b, "helixagent_sandboxes", NULL, d->l.cur.nsbx);

	hx_prom_family(b, "helixagent_decisions_total", "counter",
		       "Kernel decisions by sandbox, rule family and outcome (audit: would deny).");
	for (size_t i = 0; i < s->ntot; i++)
		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			for (unsigned k = 0; k < HX_DECISION_MAX; k++)
				hx_prom_u64(b, "helixagent_decisions_total",
					    (const char *[]){ "sandbox", s->tot[i].name, "family",
							      hx_family_name(f), "decision",
							      hx_decision_name(k), NULL },
					    s->tot[i].v[f][k]);
	hx_prom_family(b, "helixagent_permission_denied_total", "counter",
		       "Operations refused (EPERM) by sandbox and rule family.");
	for (size_t i = 0; i < s->ntot; i++)
		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			hx_prom_u64(b, "helixagent_permission_denied_total",
				    (const char *[]){ "sandbox", s->tot[i].name, "family",
						      hx_family_name(f), NULL },
				    s->tot[i].v[f][HX_DECISION_DENY]);
	hx_prom_family(
		b, "helixagent_sandbox_violations_total", "counter",
		"Policy violations by sandbox: refused operations, and those audit mode let through.");
	for (size_t i = 0; i < s->ntot; i++) {
		uint64_t v = 0;

		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			v += s->tot[i].v[f][HX_DECISION_DENY] + s->tot[i].v[f][HX_DECISION_AUDIT];
		hx_prom_u64(b, "helixagent_sandbox_violations_total",
			    (const char *[]){ "sandbox", s->tot[i].name, NULL }, v);
	}

	hx_prom_family(
		b, "helixagent_events_dropped_total", "counter",
		"Audit events lost, by reason: ringbuf_full (kernel), audit_write, syslog, audit_format, journald_queue, journald (daemon).");
	for (unsigned r = 0; r < HX_DROP_MAX; r++)
		if (hx_drop_loses_event(r))
			hx_prom_u64(b, "helixagent_events_dropped_total",
				    (const char *[]){ "reason", hx_drop_name(r), NULL },
				    d->drops_now[r]);
	for (unsigned r = 0; r < HX_LOSS_MAX; r++)
		hx_prom_u64(b, "helixagent_events_dropped_total",
			    (const char *[]){ "reason", hx_audit_loss_name(r), NULL },
			    d->audit.lost[r]);
	hx_prom_family(
		b, "helixagent_events_rate_limited_total", "counter",
		"Decision events a sandbox's rate_limit kept in the kernel (the decisions stood).");
	hx_d_read_rate_limits(d);
	for (size_t i = 0; i < d->l.cur.nsbx && i < HX_RL_SANDBOXES; i++)
		hx_prom_u64(b, "helixagent_events_rate_limited_total",
			    (const char *[]){ "sandbox", d->l.cur.sbx[i].name, NULL },
			    d->rl_now[i]);
	hx_prom_family(b, "helixagent_unresolved_total", "counter",
		       "Operations decided without full information (denied), by reason.");
	for (unsigned r = 0; r < HX_DROP_MAX; r++)
		if (!hx_drop_loses_event(r))
			hx_prom_u64(b, "helixagent_unresolved_total",
				    (const char *[]){ "reason", hx_drop_name(r), NULL },
				    d->drops_now[r]);

	hx_prom_family(b, "helixagent_ringbuf_events_total", "counter",
		       "Records the daemon read from the kernel's event ring buffer.");
	hx_prom_u64(b, "helixagent_ringbuf_events_total", NULL, d->ring_events);
	hx_prom_family(b, "helixagent_audit_lines_total", "counter",
		       "Audit lines written, by output.");
	hx_prom_u64(b, "helixagent_audit_lines_total", (const char *[]){ "output", "file", NULL },
		    d->audit.written);
	if (d->audit.syslog)
		hx_prom_u64(b, "helixagent_audit_lines_total",
			    (const char *[]){ "output", "syslog", NULL },
			    hx_syslog_sent(d->audit.syslog));
	if (d->audit.journal)
		hx_prom_u64(b, "helixagent_audit_lines_total",
			    (const char *[]){ "output", "journald", NULL },
			    hx_journal_sent(d->audit.journal));
	hx_prom_family(
		b, "helixagent_audit_relayed_total", "counter",
		"Audit lines other processes (helixagent exec) handed to the daemon, by result.");
	hx_prom_u64(b, "helixagent_audit_relayed_total",
		    (const char *[]){ "result", "written", NULL }, d->relayed);
	hx_prom_u64(b, "helixagent_audit_relayed_total",
		    (const char *[]){ "result", "refused", NULL }, d->relay_refused);
	hx_prom_family(b, "helixagent_audit_sequence", "gauge",
		       "event.sequence of the last audit event.");
	hx_prom_u64(b, "helixagent_audit_sequence", NULL, d->audit.seq);
	hx_prom_family(b, "helixagent_audit_rotations_total", "counter",
		       "Rotations of the audit log by size.");
	hx_prom_u64(b, "helixagent_audit_rotations_total", NULL, d->audit.rotations);

	render_maps(d, b);

	hx_prom_family(b, "helixagent_pins_restored_total", "counter",
		       "Times the daemon found its pins gone and pinned maps and links again.");
	hx_prom_u64(b, "helixagent_pins_restored_total", NULL, d->repins);
	hx_prom_family(b, "helixagent_cgroup_repairs_total", "counter",
		       "Times a sandbox cgroup removed behind the agent's back was recreated.");
	hx_prom_u64(b, "helixagent_cgroup_repairs_total", NULL, d->repairs);
	hx_prom_family(b, "helixagent_start_time_seconds", "gauge",
		       "When the daemon started (Unix time).");
	hx_prom_u64(b, "helixagent_start_time_seconds", NULL, (uint64_t)d->started_at);
}

void hx_d_metrics_configure(struct daemon *d, const char *listen)
{
	char err[256];

	if (listen && !strcmp(listen, "none"))
		listen = NULL;
	if ((!listen && !d->metrics_listen) ||
	    (listen && d->metrics_listen && !strcmp(listen, d->metrics_listen) && d->metrics))
		return;
	if (d->metrics) {
		epoll_ctl(d->efd, EPOLL_CTL_DEL, hx_metrics_fd(d->metrics), NULL);
		hx_metrics_stop(d->metrics);
		d->metrics = NULL;
	}
	free(d->metrics_listen);
	d->metrics_listen = listen ? strdup(listen) : NULL;
	if (!d->metrics_listen)
		return;
	d->metrics = hx_metrics_start(d->metrics_listen, render, healthy, d, err, sizeof(err));
	if (!d->metrics) {
		if (mono_ns() >= d->metrics_retry_ns)
			hx_dlog(LOG_ERR, "metrics", NULL, "%s; trying again every %llds", err,
				METRICS_RETRY_NS / 1000000000);
		d->metrics_retry_ns = mono_ns() + METRICS_RETRY_NS;
		return;
	}
	if (d->efd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 3 };

		epoll_ctl(d->efd, EPOLL_CTL_ADD, hx_metrics_fd(d->metrics), &ev);
	}
	hx_dlog(LOG_INFO, "metrics", NULL, "serving /metrics on %s", d->metrics_listen);
}
