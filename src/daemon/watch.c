// SPDX-License-Identifier: GPL-2.0
/*
 * What the daemon watches on its ticks: the policy file (a change is
 * reloaded once the file stays the same for a tick), the sandbox cgroups
 * (an explicit one that appears is mapped, one the agent created and lost
 * is recreated), and the pins that keep enforcement alive without it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "daemon.h"
#include "helixagent.skel.h"
#include "log.h"
#include "state.h"
#include "util/cgroup.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * The file changed, vanished or was emptied: say so once and keep the
 * policy in force; reload a changed file once it stayed the same for a tick
 * (a writer is done with it).
 */
void hx_d_watch_policy_file(struct daemon *d)
{
	struct stat st;
	enum pf_state now;

	if (!d->cli->config)
		return;
	if (stat(d->cli->config, &st))
		now = errno == ENOENT ? PF_MISSING : PF_UNREADABLE;
	else
		now = st.st_size == 0 ? PF_EMPTY : PF_OK;
	if (now != PF_OK) {
		if (now != d->pf) {
			char kv[64];

			snprintf(kv, sizeof(kv), "generation_in_force=%u", d->l.generation);
			hx_dlog(LOG_WARNING, "policy_file", kv, "%s %s; the policy in force stays",
				d->cli->config_shown,
				now == PF_MISSING ? "was deleted" :
				now == PF_EMPTY	  ? "is empty" :
						    "cannot be read");
		}
		d->pf = now;
		d->pending_ok = false;
		return;
	}
	if (d->pf != PF_OK) {
		hx_dlog(LOG_INFO, "policy_file", NULL, "%s is back", d->cli->config_shown);
		d->seen_ok = false; /* whatever its times say, read it */
	}
	d->pf = PF_OK;
	if (d->seen_ok && same_file(&st, &d->seen_st)) {
		d->pending_ok = false;
		return;
	}
	if (!d->pending_ok || !same_file(&st, &d->pending_st)) {
		d->pending_st = st;
		d->pending_ok = true;
		return;
	}
	d->pending_ok = false;
	hx_dlog(LOG_INFO, "policy_file", NULL, "%s changed: reloading", d->cli->config_shown);
	hx_d_load_and_install(d, T_FILE);
}

/* ---- what enforcement stands on ---------------------------------------------------------- */

/* The explicit cgroup of sandbox @i is (again) there: its rules apply to it from now on. */
static void map_cgroup(struct daemon *d, size_t i, uint64_t id)
{
	const struct hx_sbx_info *s = &d->l.cur.sbx[i];
	struct hx_policy mode = { .mode = d->pmode };
	char kv[160];
	int err;

	snprintf(kv, sizeof(kv), "sandbox=%s cgroup_id=%llu old_cgroup_id=%llu", s->name,
		 (unsigned long long)id, (unsigned long long)s->cgid);
	err = hx_loader_map_cgroup(&d->l, (uint32_t)i, id);
	if (err) {
		hx_dlog(LOG_ERR, "cgroup_map", kv, "cannot map cgroup %s of sandbox %s: %s",
			s->cgroup, s->name, strerror(-err));
		return;
	}
	hx_dlog(LOG_WARNING, "cgroup_mapped", kv,
		"cgroup %s of sandbox %s appeared; its rules apply", s->cgroup, s->name);
	if (d->cg_missing)
		d->cg_missing[i] = false;
	err = hx_state_write(&d->l, d->cli->config_shown, &mode);
	if (err)
		hx_dlog(LOG_WARNING, "state", NULL, "cannot write %s: %s", HX_STATE_FILE,
			strerror(-err));
}

/*
 * Explicit cgroups of the policy in force that are not there: looked for on
 * every tick (a quarter second), so a cgroup created after the load is
 * governed within that time.
 */
void hx_d_watch_missing_cgroups(struct daemon *d)
{
	for (size_t i = 0; d->cg_missing && d->explicit_cg && i < d->l.cur.nsbx; i++) {
		uint64_t id = 0;

		if (d->explicit_cg[i] && d->cg_missing[i] &&
		    !hx_cgroup_id(d->l.cg_root, d->l.cur.sbx[i].cgroup, &id))
			map_cgroup(d, i, id);
	}
}

/*
 * A sandbox cgroup the agent created was removed behind its back: a new one
 * by that name would be a cgroup no rule knows. Recreate it and reinstall
 * the policy in force, which maps the new cgroup id.
 */
void hx_d_watch_cgroups(struct daemon *d)
{
	bool repair = false;

	for (size_t i = 0; i < d->l.cur.nsbx; i++) {
		const struct hx_sbx_info *s = &d->l.cur.sbx[i];
		uint64_t id = 0;
		int err = hx_cgroup_id(d->l.cg_root, s->cgroup, &id);
		char kv[128];

		if (!err && id == s->cgid) {
			if (d->cg_missing)
				d->cg_missing[i] = false;
			continue;
		}
		if (d->explicit_cg && d->explicit_cg[i]) {
			/* Not ours to create: a container that ended, a unit that stopped. */
			if (!err) {
				map_cgroup(d, i, id); /* there again, as a new cgroup */
				continue;
			}
			if (d->cg_missing && !d->cg_missing[i]) {
				snprintf(kv, sizeof(kv), "sandbox=%s cgroup_id=%llu", s->name,
					 (unsigned long long)s->cgid);
				hx_dlog(LOG_WARNING, "cgroup_gone", kv,
					"cgroup %s of sandbox %s is gone; its rules apply again as soon as it is created",
					s->cgroup, s->name);
				d->cg_missing[i] = true;
			}
			continue;
		}
		snprintf(kv, sizeof(kv), "sandbox=%s old_cgroup_id=%llu", s->name,
			 (unsigned long long)s->cgid);
		hx_dlog(LOG_WARNING, "cgroup_gone", kv,
			"cgroup %s of sandbox %s was %s behind the agent's back; recreating it",
			s->cgroup, s->name, err ? "removed" : "replaced");
		repair = true;
	}
	/* A repair that failed (the cgroup cannot be made) is retried, but not every second. */
	if (repair && d->good && mono_ns() >= d->repair_after_ns) {
		d->repairs++;
		if (hx_d_load_and_install(d, T_REPAIR))
			d->repair_after_ns = mono_ns() + 30 * 1000000000LL;
	}
}

/* Pins the links this daemon holds (attached or adopted) where their pins went missing. */
static int pin_links(struct daemon *d)
{
	int pinned = 0;

	for (size_t i = 0; i < d->l.nlinks; i++) {
		const char *path = bpf_link__pin_path(d->l.links[i]);

		if (path && access(path, F_OK) && !bpf_obj_pin(bpf_link__fd(d->l.links[i]), path))
			pinned++;
	}
	return pinned;
}

/*
 * The pins are gone (bpffs unmounted, or the directory removed): this
 * process alone holds enforcement now. Mount bpffs again if needed and pin
 * every map and link once more, so enforcement outlives us again.
 */
static void repin(struct daemon *d)
{
	struct statfs sf;
	struct bpf_map *m;
	int maps = 0, links;

	if (statfs("/sys/fs/bpf", &sf) || sf.f_type != BPF_FS_MAGIC) {
		if (mount("bpffs", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			if (!d->pins_lost)
				hx_dlog(LOG_CRIT, "pins_lost", NULL,
					"bpffs is not mounted at /sys/fs/bpf and cannot be mounted (%s): enforcement now lasts only as long as this daemon",
					strerror(errno));
			d->pins_lost = true;
			return;
		}
	}
	if (mkdir(HX_PIN_DIR, 0700) && errno != EEXIST) {
		if (!d->pins_lost)
			hx_dlog(LOG_CRIT, "pins_lost", NULL, "cannot create %s: %s", HX_PIN_DIR,
				strerror(errno));
		d->pins_lost = true;
		return;
	}
	bpf_object__for_each_map(m, d->l.skel->obj) {
		const char *path = bpf_map__pin_path(m);

		if (path && bpf_map__fd(m) >= 0 && access(path, F_OK) &&
		    !bpf_obj_pin(bpf_map__fd(m), path))
			maps++;
	}
	links = pin_links(d);
	d->repins++;
	d->pins_lost = false;
	{
		char kv[64];

		snprintf(kv, sizeof(kv), "maps=%d links=%d", maps, links);
		hx_dlog(LOG_WARNING, "repinned", kv,
			"the pins under %s were gone; pinned the live maps and links again",
			HX_PIN_DIR);
	}
}

void hx_d_watch_pins(struct daemon *d)
{
	if (access(HX_PIN_DIR "/hx_live", F_OK) == 0)
		return;
	repin(d);
}
