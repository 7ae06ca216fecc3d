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

#include "cli.h"
#include "helixagent/abi.h"
#include "loader/loader.h"
#include "state.h"
#include "util/json.h"

static const char *const fam_names[HX_FAM_MAX] = { "exec", "filesystem", "network", "guard" };
static const char *const drop_names[HX_DROP_MAX] = { "ringbuf_full", "path_too_deep",
						     "cgroup_too_deep", "no_file" };

static int pinned_fd(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), HX_PIN_DIR "/%s", name);
	return bpf_obj_get(path);
}

static bool daemon_alive(int pid)
{
	char path[64], exe[256];
	ssize_t n;

	if (pid <= 0 || kill(pid, 0))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return true; /* exists; cannot tell more */
	exe[n] = 0;
	return strstr(exe, "helixagent") != NULL;
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

int hx_cmd_status(const struct hx_cli *cli)
{
	struct hx_live live = { 0 };
	struct hx_state st;
	bool active, links_ok = true, alive, attached[64] = { 0 };
	int live_fd, stats_fd, drops_fd, rc;
	__u32 zero = 0;
	struct jw w;

	live_fd = pinned_fd("hx_live");
	if (live_fd < 0 || bpf_map_lookup_elem(live_fd, &zero, &live))
		live.ready = 0;
	if (hx_state_read(&st))
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
	alive = daemon_alive(st.pid);
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
			struct hx_stat_key k = { .slot = live.slot & 1,
						 .sbx = (__u16)st.sbx[i].idx,
						 .family = (__u8)f };
			uint64_t v[3] = { 0 };

			if (stats_fd >= 0)
				percpu_sum(stats_fd, &k, 3, v);
			jw_key(&w, fam_names[f]);
			jw_obj(&w);
			jw_ku64(&w, "allow", v[0]);
			jw_ku64(&w, "deny", v[1]);
			jw_ku64(&w, "audit", v[2]);
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
		jw_ku64(&w, drop_names[r], v);
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
		       st.policy[0] ? st.policy : "-", live.generation,
		       st.mode[0] ? st.mode : "-");
		for (size_t i = 0; i < st.nprogs; i++)
			printf("program:     %s %s\n", st.progs[i].section,
			       attached[i] ? "attached" : "NOT attached");
		for (size_t i = 0; i < st.nsbx && st.generation == live.generation; i++) {
			printf("sandbox:     %-16s cgroup %s (id %llu) mode %s\n", st.sbx[i].name,
			       st.sbx[i].cgroup, (unsigned long long)st.sbx[i].cgid,
			       st.sbx[i].mode);
			for (int f = 0; f < HX_FAM_MAX; f++) {
				struct hx_stat_key k = { .slot = live.slot & 1,
							 .sbx = (__u16)st.sbx[i].idx,
							 .family = (__u8)f };
				uint64_t v[3] = { 0 };

				if (stats_fd >= 0)
					percpu_sum(stats_fd, &k, 3, v);
				printf("             %-10s allow %llu deny %llu audit %llu\n",
				       fam_names[f], (unsigned long long)v[0],
				       (unsigned long long)v[1], (unsigned long long)v[2]);
			}
		}
		for (__u32 r = 0; r < HX_DROP_MAX; r++) {
			uint64_t v = 0;

			if (drops_fd >= 0)
				percpu_sum(drops_fd, &r, 1, &v);
			printf("dropped:     %-16s %llu\n", drop_names[r], (unsigned long long)v);
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
