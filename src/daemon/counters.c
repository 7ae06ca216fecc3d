// SPDX-License-Identifier: GPL-2.0
/*
 * The counters `status` reads (HX_COUNTERS_FILE): written every second and
 * after each load. At start the daemon adopts the last one's, so drops and
 * rate limited events it had not reported yet are reported now.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "events/sink.h"
#include "helixagent.skel.h"
#include "log.h"
#include "metrics/metrics.h"
#include "state.h"
#include "util/names.h"

void hx_d_write_counters(struct daemon *d)
{
	struct hx_counters c = { 0 };
	int err;

	hx_counters_set(&c, "pid", "%d", (int)getpid());
	hx_counters_set(&c, "generation", "%u", d->l.generation);
	hx_counters_set(&c, "started", "%lld", (long long)d->started_at);
	hx_counters_set(&c, "policy_sha256", "%s", d->sha);
	hx_counters_set(&c, "policy_loaded_at", "%lld", (long long)d->loaded_at);
	hx_counters_set(&c, "policy_load_seconds", "%.6f", d->load_seconds);
	hx_counters_set(&c, "policy_loads_ok", "%llu", (unsigned long long)d->loads_ok);
	hx_counters_set(&c, "policy_loads_failed", "%llu", (unsigned long long)d->loads_failed);
	hx_counters_set(&c, "policy_last_error", "%s", d->last_error);
	hx_counters_set(&c, "policy_file_state", "%s",
			d->pf == PF_MISSING    ? "missing" :
			d->pf == PF_EMPTY      ? "empty" :
			d->pf == PF_UNREADABLE ? "unreadable" :
						 "ok");
	hx_counters_set(&c, "ringbuf_events", "%llu", (unsigned long long)d->ring_events);
	hx_counters_set(&c, "audit_path", "%s", d->audit.path ? d->audit.path : "");
	hx_counters_set(&c, "audit_written", "%llu", (unsigned long long)d->audit.written);
	hx_counters_set(&c, "audit_sequence", "%llu", (unsigned long long)d->audit.seq);
	hx_counters_set(&c, "audit_rotations", "%llu", (unsigned long long)d->audit.rotations);
	hx_counters_set(&c, "audit_last_error", "%s",
			d->audit.last_errno ? strerror(d->audit.last_errno) : "");
	for (unsigned r = 0; r < HX_LOSS_MAX; r++) {
		char name[48];

		snprintf(name, sizeof(name), "lost_%s", hx_audit_loss_name(r));
		hx_counters_set(&c, name, "%llu", (unsigned long long)d->audit.lost[r]);
	}
	for (unsigned r = 0; r < HX_DROP_MAX; r++) {
		char name[48];

		snprintf(name, sizeof(name), "reported_%s", hx_drop_name(r));
		hx_counters_set(&c, name, "%llu", (unsigned long long)d->drops_reported[r]);
	}
	if (d->audit.syslog) {
		hx_counters_set(&c, "syslog_target", "%s", hx_syslog_target(d->audit.syslog));
		hx_counters_set(&c, "syslog_sent", "%llu",
				(unsigned long long)hx_syslog_sent(d->audit.syslog));
		hx_counters_set(&c, "syslog_connected", "%d", hx_syslog_connected(d->audit.syslog));
		hx_counters_set(&c, "syslog_error", "%s", hx_syslog_error(d->audit.syslog));
	}
	if (d->audit.journal) {
		hx_counters_set(&c, "journald_offered", "%llu",
				(unsigned long long)hx_journal_offered(d->audit.journal));
		hx_counters_set(&c, "journald_sent", "%llu",
				(unsigned long long)hx_journal_sent(d->audit.journal));
		hx_counters_set(&c, "journald_queued", "%llu",
				(unsigned long long)hx_journal_queued(d->audit.journal));
		hx_counters_set(&c, "journald_ok", "%d", hx_journal_ok(d->audit.journal));
	}
	hx_counters_set(&c, "metrics_listen", "%s", d->metrics ? d->metrics_listen : "");
	hx_counters_set(&c, "metrics_scrapes", "%llu",
			(unsigned long long)hx_metrics_scrapes(d->metrics));
	hx_counters_set(&c, "audit_relayed", "%llu", (unsigned long long)d->relayed);
	hx_counters_set(&c, "audit_relay_refused", "%llu", (unsigned long long)d->relay_refused);
	hx_counters_set(&c, "pins_restored", "%llu", (unsigned long long)d->repins);
	hx_counters_set(&c, "cgroup_repairs", "%llu", (unsigned long long)d->repairs);
	err = hx_counters_write(&c);
	if (err && d->ticks % (60 * TICKS_PER_SEC) == 0)
		hx_dlog(LOG_WARNING, "state", NULL, "cannot write %s: %s", HX_COUNTERS_FILE,
			strerror(-err));
}

/* What the last daemon reported, so drops while no daemon ran are reported now. */
void hx_d_adopt_counters(struct daemon *d)
{
	struct hx_counters c;
	struct hx_state st;
	__u32 zero = 0;
	struct hx_live live = { 0 };

	hx_d_read_drops(d);
	memcpy(d->drops_reported, d->drops_now, sizeof(d->drops_reported));
	/* Rate limit counts of sandboxes the last daemon knew: reported, as a whole, below. */
	d->rl_since = real_ns();
	{
		int fd = bpf_map__fd(d->l.skel->maps.hx_rl);

		for (__u32 i = 0; i < HX_RL_SANDBOXES; i++) {
			struct hx_rl_state rs;

			if (!bpf_map_lookup_elem(fd, &i, &rs))
				d->rl_now[i] = d->rl_reported[i] = rs.suppressed;
		}
	}
	if (!hx_counters_read(&c)) {
		for (unsigned r = 0; r < HX_DROP_MAX; r++) {
			char name[48];
			const char *v;

			snprintf(name, sizeof(name), "reported_%s", hx_drop_name(r));
			v = hx_counters_get(&c, name);
			if (v && strtoull(v, NULL, 10) <= d->drops_now[r])
				d->drops_reported[r] = strtoull(v, NULL, 10);
		}
	}
	/* Suppressed after the last daemon's last summary: their sandboxes are not known. */
	if (d->drops_reported[HX_DROP_RATE_LIMIT] < d->drops_now[HX_DROP_RATE_LIMIT]) {
		hx_d_audit_rate_limited(d, NULL,
					d->drops_now[HX_DROP_RATE_LIMIT] -
						d->drops_reported[HX_DROP_RATE_LIMIT],
					d->drops_now[HX_DROP_RATE_LIMIT], d->rl_since, d->rl_since);
		d->drops_reported[HX_DROP_RATE_LIMIT] = d->drops_now[HX_DROP_RATE_LIMIT];
	}
	/* The live slot's sandboxes, named as the last daemon wrote them. */
	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	if (bpf_map_lookup_elem(bpf_map__fd(d->l.skel->maps.hx_live), &zero, &live) || !live.ready)
		return;
	{
		struct hx_compiled t;

		/* The last daemon's names for the live generation, for what it left queued. */
		if (!hx_state_read_tables(&t)) {
			if (t.generation == live.generation) {
				hx_compiled_free(&d->hist[t.generation % HISTORY]);
				d->hist[t.generation % HISTORY] = t;
			} else {
				hx_compiled_free(&t);
			}
		}
	}
	if (!hx_state_read(&st)) {
		if (st.generation == live.generation && st.nsbx) {
			const char **names = calloc(st.nsbx, sizeof(*names));

			for (size_t i = 0; names && i < st.nsbx; i++)
				if (st.sbx[i].idx < st.nsbx)
					names[st.sbx[i].idx] = st.sbx[i].name;
			if (names)
				hx_dstats_name_slot(&d->stats, live.slot, names, st.nsbx);
			free(names);
		}
		hx_state_free(&st);
	}
}
