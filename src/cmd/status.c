// SPDX-License-Identifier: GPL-2.0
/* `helixagent status`: read what is pinned, whether or not a daemon runs. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "daemon/state.h"
#include "helixagent/abi.h"
#include "loader/loader.h"
#include "util/json.h"
#include "util/names.h"

static int pinned_fd(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), HX_PIN_DIR "/%s", name);
	return bpf_obj_get(path);
}

static int percpu_sum(int fd, const void *key, size_t nvals, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu * nvals, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, nvals * sizeof(*out));
	if (bpf_map_lookup_elem(fd, key, vals)) {
		free(vals);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < nvals; i++)
			out[i] += vals[(size_t)c * nvals + i];
	free(vals);
	return 0;
}

/* allow, deny, audit of sandbox @idx in family @f of the live slot; zeros without the map. */
static void family_counters(int stats_fd, const struct hx_live *live, unsigned idx, int f,
			    uint64_t v[HX_DECISION_MAX])
{
	struct hx_stat_key k = { .slot = live->slot & 1, .sbx = (__u16)idx, .family = (__u8)f };

	/* struct hx_stat_val is the HX_DECISION_MAX counters, in the enum's order */
	for (unsigned d = 0; d < HX_DECISION_MAX; d++)
		v[d] = 0;
	if (stats_fd >= 0)
		percpu_sum(stats_fd, &k, HX_DECISION_MAX, v);
}

static uint64_t cnum(const struct hx_counters *c, const char *name)
{
	const char *v = hx_counters_get(c, name);

	return v ? strtoull(v, NULL, 10) : 0;
}

static void jw_counter_str(struct jw *w, const struct hx_counters *c, const char *key,
			   const char *name)
{
	const char *v = hx_counters_get(c, name);

	jw_kstr(w, key, v && v[0] ? v : NULL);
}

static const char *const loss_names[] = { "audit_write", "syslog", "audit_format", "journald_queue",
					  "journald" };

/* What the running daemon counts: policy loads, audit outputs, metrics. */
static void daemon_json(struct jw *w, const struct hx_counters *c)
{
	const char *v;

	jw_key(w, "policy_load");
	jw_obj(w);
	jw_counter_str(w, c, "sha256", "policy_sha256");
	jw_ku64(w, "loaded_at", cnum(c, "policy_loaded_at"));
	jw_key(w, "seconds");
	v = hx_counters_get(c, "policy_load_seconds");
	jw_raw(w, v && v[0] ? v : "null");
	jw_ku64(w, "succeeded", cnum(c, "policy_loads_ok"));
	jw_ku64(w, "failed", cnum(c, "policy_loads_failed"));
	jw_counter_str(w, c, "last_error", "policy_last_error");
	jw_counter_str(w, c, "file", "policy_file_state");
	jw_obj_end(w);

	jw_key(w, "audit");
	jw_obj(w);
	jw_counter_str(w, c, "path", "audit_path");
	jw_ku64(w, "written", cnum(c, "audit_written"));
	jw_ku64(w, "sequence", cnum(c, "audit_sequence"));
	jw_ku64(w, "rotations", cnum(c, "audit_rotations"));
	jw_counter_str(w, c, "last_error", "audit_last_error");
	jw_ku64(w, "ringbuf_events", cnum(c, "ringbuf_events"));
	jw_ku64(w, "relayed", cnum(c, "audit_relayed"));
	jw_ku64(w, "relay_refused", cnum(c, "audit_relay_refused"));
	jw_key(w, "lost");
	jw_obj(w);
	for (size_t i = 0; i < sizeof(loss_names) / sizeof(loss_names[0]); i++) {
		char name[48];

		snprintf(name, sizeof(name), "lost_%s", loss_names[i]);
		jw_ku64(w, loss_names[i], cnum(c, name));
	}
	jw_obj_end(w);
	if (hx_counters_get(c, "syslog_target")) {
		jw_key(w, "syslog");
		jw_obj(w);
		jw_counter_str(w, c, "target", "syslog_target");
		jw_ku64(w, "sent", cnum(c, "syslog_sent"));
		jw_kbool(w, "connected", cnum(c, "syslog_connected") != 0);
		jw_counter_str(w, c, "error", "syslog_error");
		jw_obj_end(w);
	}
	if (hx_counters_get(c, "journald_offered")) {
		jw_key(w, "journald");
		jw_obj(w);
		jw_ku64(w, "offered", cnum(c, "journald_offered"));
		jw_ku64(w, "sent", cnum(c, "journald_sent"));
		jw_ku64(w, "queued", cnum(c, "journald_queued"));
		jw_kbool(w, "ok", cnum(c, "journald_ok") != 0);
		jw_obj_end(w);
	}
	jw_obj_end(w);

	jw_key(w, "metrics");
	jw_obj(w);
	jw_counter_str(w, c, "listen", "metrics_listen");
	jw_ku64(w, "scrapes", cnum(c, "metrics_scrapes"));
	jw_obj_end(w);
	jw_ku64(w, "pins_restored", cnum(c, "pins_restored"));
	jw_ku64(w, "cgroup_repairs", cnum(c, "cgroup_repairs"));
}

static int status(const struct hx_cli *cli)
{
	struct hx_counters cn;
	bool have_cn;
	struct hx_live live = { 0 };
	struct hx_state st;
	bool active, links_ok = true, alive, attached[64] = { 0 };
	int live_fd, stats_fd, drops_fd, rc, serr;
	__u32 zero = 0;
	struct jw w;

	char what[600];

	live_fd = pinned_fd("hx_live");
	/* "Not active" only when it is known: no permission is not an answer (exit 2). */
	if (live_fd < 0 && errno != ENOENT) {
		serr = errno;
		hx_log("status: cannot read the pinned maps under %s: %s%s", HX_PIN_DIR,
		       strerror(serr),
		       serr == EPERM || serr == EACCES ?
			       " (status needs root, or CAP_BPF and CAP_SYS_ADMIN)" :
			       "");
		return 2;
	}
	if (live_fd < 0 || bpf_map_lookup_elem(live_fd, &zero, &live))
		live.ready = 0;
	serr = hx_state_read(&st);
	if (serr == -EACCES || serr == -EPERM) {
		hx_log("status: cannot read %s: %s (status needs root)", HX_STATE_FILE,
		       strerror(-serr));
		if (live_fd >= 0)
			close(live_fd);
		return 2;
	}
	if (serr)
		memset(&st, 0, sizeof(st));
	/* Every program the daemon attached must still be pinned. */
	for (size_t i = 0; i < st.nprogs; i++) {
		int fd = pinned_fd(st.progs[i].pin);

		attached[i] = fd >= 0;
		if (fd < 0)
			links_ok = false;
		else
			close(fd);
	}
	active = live.ready && links_ok && st.nprogs > 0;
	alive = hx_state_daemon(&st, what, sizeof(what)) == HX_DAEMON_ALIVE;
	have_cn = alive && !hx_counters_read(&cn) && (int)cnum(&cn, "pid") == st.pid;
	stats_fd = pinned_fd("hx_stats");
	drops_fd = pinned_fd("hx_drops");

	jw_init(&w);
	jw_obj(&w);
	jw_kbool(&w, "active", active);
	jw_kstr(&w, "mode", st.mode[0] ? st.mode : NULL);
	jw_ku64(&w, "policy_generation", live.generation);
	jw_kstr(&w, "policy", st.policy[0] ? st.policy : NULL);
	jw_key(&w, "daemon");
	jw_obj(&w);
	jw_kbool(&w, "running", alive);
	if (alive)
		jw_ku64(&w, "pid", (uint64_t)st.pid);
	if (have_cn) {
		jw_ku64(&w, "started", cnum(&cn, "started"));
		daemon_json(&w, &cn);
	}
	jw_obj_end(&w);
	jw_key(&w, "programs");
	jw_arr(&w);
	for (size_t i = 0; i < st.nprogs; i++) {
		jw_obj(&w);
		jw_kstr(&w, "name", st.progs[i].section);
		jw_kbool(&w, "attached", attached[i]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "sandboxes");
	jw_arr(&w);
	for (size_t i = 0; i < st.nsbx && st.generation == live.generation; i++) {
		jw_obj(&w);
		jw_kstr(&w, "name", st.sbx[i].name);
		jw_kstr(&w, "cgroup", st.sbx[i].cgroup);
		jw_ku64(&w, "cgroup_id", st.sbx[i].cgid);
		jw_kstr(&w, "mode", st.sbx[i].mode);
		jw_key(&w, "counters");
		jw_obj(&w);
		for (int f = 0; f < HX_FAM_MAX; f++) {
			uint64_t v[HX_DECISION_MAX];

			family_counters(stats_fd, &live, st.sbx[i].idx, f, v);
			jw_key(&w, hx_family_name(f));
			jw_obj(&w);
			for (unsigned k = 0; k < HX_DECISION_MAX; k++)
				jw_ku64(&w, hx_decision_name(k), v[k]);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "dropped");
	jw_obj(&w);
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		uint64_t v = 0;

		if (drops_fd >= 0)
			percpu_sum(drops_fd, &r, 1, &v);
		jw_ku64(&w, hx_drop_name(r), v);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);

	if (cli->json) {
		printf("%s\n", w.buf ? w.buf : "{}");
	} else {
		printf("enforcement: %s\n", active ? "active" : "not active");
		printf("daemon:      %s", alive ? "running" : "not running");
		if (alive)
			printf(" (pid %d)", st.pid);
		printf("\npolicy:      %s (generation %u, mode %s)\n",
		       st.policy[0] ? st.policy : "-", live.generation, st.mode[0] ? st.mode : "-");
		if (have_cn) {
			const char *err = hx_counters_get(&cn, "policy_last_error");
			const char *fs = hx_counters_get(&cn, "policy_file_state");
			const char *ae = hx_counters_get(&cn, "audit_last_error");
			const char *ml = hx_counters_get(&cn, "metrics_listen");

			printf("policy sha:  %s (loaded in %ss; %llu load(s) ok, %llu failed)\n",
			       hx_counters_get(&cn, "policy_sha256") ?: "-",
			       hx_counters_get(&cn, "policy_load_seconds") ?: "?",
			       (unsigned long long)cnum(&cn, "policy_loads_ok"),
			       (unsigned long long)cnum(&cn, "policy_loads_failed"));
			if (err && err[0])
				printf("last reload: rejected: %s\n", err);
			if (fs && strcmp(fs, "ok"))
				printf("policy file: %s (the policy in force stays)\n", fs);
			printf("audit:       %s: %llu written, sequence %llu, %llu rotation(s)%s%s\n",
			       hx_counters_get(&cn, "audit_path") ?: "-",
			       (unsigned long long)cnum(&cn, "audit_written"),
			       (unsigned long long)cnum(&cn, "audit_sequence"),
			       (unsigned long long)cnum(&cn, "audit_rotations"),
			       ae && ae[0] ? "; last error: " : "", ae && ae[0] ? ae : "");
			for (size_t i = 0; i < sizeof(loss_names) / sizeof(loss_names[0]); i++) {
				char name[48];

				snprintf(name, sizeof(name), "lost_%s", loss_names[i]);
				printf("lost:        %-16s %llu\n", loss_names[i],
				       (unsigned long long)cnum(&cn, name));
			}
			if (hx_counters_get(&cn, "syslog_target"))
				printf("syslog:      %s, %llu sent, %s\n",
				       hx_counters_get(&cn, "syslog_target"),
				       (unsigned long long)cnum(&cn, "syslog_sent"),
				       cnum(&cn, "syslog_connected") ? "connected" :
								       "not connected");
			if (ml && ml[0])
				printf("metrics:     http://%s/metrics\n", ml);
		}
		for (size_t i = 0; i < st.nprogs; i++)
			printf("program:     %s %s\n", st.progs[i].section,
			       attached[i] ? "attached" : "NOT attached");
		for (size_t i = 0; i < st.nsbx && st.generation == live.generation; i++) {
			printf("sandbox:     %-16s cgroup %s (id %llu) mode %s\n", st.sbx[i].name,
			       st.sbx[i].cgroup, (unsigned long long)st.sbx[i].cgid,
			       st.sbx[i].mode);
			for (int f = 0; f < HX_FAM_MAX; f++) {
				uint64_t v[HX_DECISION_MAX];

				family_counters(stats_fd, &live, st.sbx[i].idx, f, v);
				printf("             %-10s allow %llu deny %llu audit %llu\n",
				       hx_family_name(f), (unsigned long long)v[0],
				       (unsigned long long)v[1], (unsigned long long)v[2]);
			}
		}
		for (__u32 r = 0; r < HX_DROP_MAX; r++) {
			uint64_t v = 0;

			if (drops_fd >= 0)
				percpu_sum(drops_fd, &r, 1, &v);
			printf("dropped:     %-16s %llu\n", hx_drop_name(r), (unsigned long long)v);
		}
	}
	rc = active ? 0 : 3;
	jw_free(&w);
	hx_state_free(&st);
	if (live_fd >= 0)
		close(live_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (drops_fd >= 0)
		close(drops_fd);
	return rc;
}

const struct hx_cmd hx_cmd_status_def = {
	.name = "status",
	.synopsis = "[--json]",
	.summary = "enforcement state; exit 3 when not active",
	.details = "Reads the pinned maps and /run/helixagent, with or without a daemon: mode,\n"
		   "policy generation, programs, sandboxes with their cgroups and counters,\n"
		   "dropped events, and what a running daemon counts.\n"
		   "Exit status: 0 active, 3 not active, 2 no permission to read the pins.\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config_unused, &hx_opt_json, &hx_opt_help,
						NULL },
	.run = status,
};
