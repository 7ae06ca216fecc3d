/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers shared by every hook file. Each .bpf.c includes this;
 * the definitions are weak so the static linker folds them into one.
 */
#ifndef HX_COMMON_BPF_H
#define HX_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "helixagent/abi.h"
/* the maps every object shares are declared here, the exec family's and the guard's among them */
#include "helixagent/abi_exec.h"
#include "helixagent/abi_guard.h"

#define EPERM 1

/* How many cgroup levels above the current one are searched for a sandbox. */
#define HX_CGRP_DEPTH 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hx_live);
} hx_live SEC(".maps") __weak;

/* Written and read by the loader only (include/helixagent/abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hx_build);
} hx_build SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct hx_cgrp_key);
	__type(value, struct hx_cgrp_val);
} hx_cgrp SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct hx_sbx_key);
	__type(value, struct hx_sbx_cfg);
} hx_sbx SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct hx_inode_key);
	__type(value, struct hx_inode_rule);
} hx_inode SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096); /* resized by the loader */
	__type(key, struct hx_stat_key);
	__type(value, struct hx_stat_val);
} hx_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HX_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hx_drops SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hx_guard);
} hx_guard SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct hx_cmd_key);
	__type(value, struct hx_cmd_val);
} hx_cmds SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* resized by the loader */
} hx_events SEC(".maps") __weak;

/* rate_limit per (slot, sandbox); only limited sandboxes have an entry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct hx_sbx_key);
	__type(value, struct hx_rate_cfg);
} hx_rate SEC(".maps") __weak;

/* the rate limit's buckets, per sandbox index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HX_RL_SANDBOXES);
	__type(key, __u32);
	__type(value, struct hx_rl_state);
} hx_rl SEC(".maps") __weak;

/*
 * Scratch space for building an event before it is copied to the ring,
 * with the sandbox's rate limit, looked up when the event is started and
 * applied when it is sent.
 */
struct hx_scratch_rec {
	struct hx_event e; /* first: hx_event_submit finds the rest from it */
	struct hx_rate_cfg rate;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hx_scratch_rec);
} hx_scratch SEC(".maps") __weak;

/* Where the calling task stands: its sandbox in the live slot, if any. */
struct hx_ctx {
	__u64 cgid; /* the task's own cgroup */
	__u32 slot;
	__u32 generation;
	__u32 sbx;
	__u32 pad;
	struct hx_sbx_cfg cfg;
};

static __always_inline void hx_count_drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&hx_drops, &reason);

	if (v)
		*v += 1;
}

static __always_inline struct cgroup *hx_cgroup_parent(struct cgroup *cg)
{
	struct cgroup_subsys_state *css = BPF_CORE_READ(cg, self.parent);

	if (!css)
		return NULL;
	return (struct cgroup *)((void *)css - bpf_core_field_offset(struct cgroup, self));
}

/*
 * An LSM program's verdict: -EPERM when @deny, else 0, built so that the
 * verifier sees one of the two constants on every path. Written as
 * "deny ? -EPERM : 0", clang negates a 0/1 value, and the 6.12 verifier does
 * not bound a negated scalar to the [-4095, 0] an LSM program must return.
 */
static __always_inline int hx_verdict(int deny)
{
	int r = 0;

	if (deny) {
		r = -EPERM;
		asm volatile("" : "+r"(r));
	}
	return r;
}

/*
 * make MUTANT=allow|silent (tools/mutation.sh, never a real build): an agent
 * broken on purpose, which the VM suites must catch test by test. Applied to
 * a sandbox's configuration wherever it is read from hx_sbx. allow: every
 * sandbox in mode audit, so nothing is denied or killed (decisions are still
 * logged as "audit"); silent: no sandbox logs a decision.
 */
#if defined(HX_MUTANT_ALLOW)
#define hx_mutant(cfg) ((cfg)->mode = HX_MODE_AUDIT)
#elif defined(HX_MUTANT_SILENT)
#define hx_mutant(cfg) ((cfg)->flags &= ~(HX_SBX_AUDIT_DENIED | HX_SBX_AUDIT_EXEC_OK))
#else
#define hx_mutant(cfg) ((void)0)
#endif

/* The decision on what a sandbox's own rules deny: its mode says. */
#define hx_mode_decision(cfg) ((cfg)->mode == HX_MODE_AUDIT ? HX_DECISION_AUDIT : HX_DECISION_DENY)

/*
 * The decision of a wall, the containment baseline or the guard: a refusal in
 * every mode. mode: audit is for the sandbox's own rules; an attacker in an
 * audit-mode sandbox (a workload being learned, a policy being tried) must
 * still not leave its cgroup, change the host or reach the agent. The allow
 * mutant lets the walls follow the mode too, so that the suites can show
 * they would notice.
 */
#if defined(HX_MUTANT_ALLOW)
#define hx_wall_decision(cfg) hx_mode_decision(cfg)
#else
#define hx_wall_decision(cfg) ((void)(cfg), HX_DECISION_DENY)
#endif

/*
 * Finds the sandbox of @task: the nearest ancestor cgroup (itself included)
 * that a sandbox names. Returns 1 when the task is in a sandbox.
 */
static __always_inline int hx_task_sandbox(struct task_struct *task, struct hx_ctx *c)
{
	struct hx_cgrp_key key = {};
	struct hx_cgrp_val *hit;
	struct hx_sbx_key skey = {};
	struct hx_sbx_cfg *cfg;
	struct hx_live *live;
	struct cgroup *cg;
	__u32 zero = 0;
	int i;

	live = bpf_map_lookup_elem(&hx_live, &zero);
	if (!live || !live->ready)
		return 0;
	c->slot = live->slot & 1;
	c->generation = live->generation;

	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	if (!cg)
		return 0;
	c->cgid = BPF_CORE_READ(cg, kn, id);
	key.slot = c->slot;

	for (i = 0; i < HX_CGRP_DEPTH; i++) {
		key.cgid = BPF_CORE_READ(cg, kn, id);
		hit = bpf_map_lookup_elem(&hx_cgrp, &key);
		if (hit) {
			skey.slot = c->slot;
			skey.sbx = hit->sbx;
			cfg = bpf_map_lookup_elem(&hx_sbx, &skey);
			/* A cgroup entry without its configuration is a loader bug;
			 * treat the task as sandboxed with everything denied. */
			if (cfg)
				c->cfg = *cfg;
			else
				c->cfg.flags = HX_SBX_EXEC_PRESENT | HX_SBX_EXEC_FORBIDDEN;
			hx_mutant(&c->cfg);
			c->sbx = hit->sbx;
			return 1;
		}
		cg = hx_cgroup_parent(cg);
		if (!cg)
			return 0;
	}
	/* Deeper than the bound: sandboxes are never that deep below their
	 * cgroup in practice; count it so an operator can see it. */
	hx_count_drop(HX_DROP_CGRP_DEPTH);
	return 0;
}

/*
 * Pointers the verifier trusts (a hook's own arguments) may not be passed as
 * scalars; one read through the stack turns such a pointer into a plain
 * value. Values from BPF_CORE_READ are plain already.
 */
static __always_inline __u64 hx_scalar(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}
#define P(x) ((void *)hx_scalar(x))

/*
 * The calling thread's user registers, saved at the top of its kernel
 * stack at syscall entry: they hold the syscall's number and arguments
 * (execve's until the new program's registers are set, after every exec
 * hook).
 */
static __always_inline struct pt_regs *hx_user_regs(void)
{
	struct task_struct *t;
	void *stack;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	/* before 5.15, task_pt_regs() by hand: x86-64 without KASAN or FRED, 16 KiB stacks */
	t = (struct task_struct *)bpf_get_current_task();
	stack = BPF_CORE_READ(t, stack);
	return stack ? (struct pt_regs *)(stack + 16384) - 1 : NULL;
}

static __always_inline int hx_current_sandbox(struct hx_ctx *c)
{
	return hx_task_sandbox((struct task_struct *)bpf_get_current_task(), c);
}

static __always_inline void hx_count(struct hx_ctx *c, __u8 family, __u8 decision)
{
	struct hx_stat_key key = { .slot = c->slot, .sbx = (__u16)c->sbx, .family = family };
	struct hx_stat_val *v, init = {};

	v = bpf_map_lookup_elem(&hx_stats, &key);
	if (!v) {
		bpf_map_update_elem(&hx_stats, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&hx_stats, &key);
		if (!v)
			return;
	}
	if (decision == HX_DECISION_ALLOW)
		v->allow++;
	else if (decision == HX_DECISION_DENY)
		v->deny++;
	else
		v->audit++;
}

/*
 * The sandbox's rate limit: 1 when its event may be sent. A suppressed event
 * is counted for the sandbox and as a drop; the decision stands either way.
 * Lock-free: concurrent CPUs may each admit an event on the same slice of
 * time, so a burst can briefly exceed the limit by the number of CPUs.
 */
static __always_inline int hx_rate_admit(__u32 sbx, const struct hx_rate_cfg *r)
{
	struct hx_rl_state *st;
	__u64 now, tat;

	if (!r->interval_ns)
		return 1;
	st = bpf_map_lookup_elem(&hx_rl, &sbx);
	if (!st)
		return 1;
	now = bpf_ktime_get_ns();
	tat = st->tat;
	if (tat < now)
		tat = now;
	if (tat - now > r->tolerance_ns) {
		__sync_fetch_and_add(&st->suppressed, 1);
		hx_count_drop(HX_DROP_RATE_LIMIT);
		return 0;
	}
	st->tat = tat + r->interval_ns;
	return 1;
}

/* Copies the sandbox's rate limit (none: zeros) to @out. */
static __always_inline void hx_rate_of(struct hx_ctx *c, struct hx_rate_cfg *out)
{
	struct hx_sbx_key k = { .slot = c->slot, .sbx = c->sbx };
	struct hx_rate_cfg *r = bpf_map_lookup_elem(&hx_rate, &k);

	if (r) {
		out->interval_ns = r->interval_ns;
		out->tolerance_ns = r->tolerance_ns;
	} else {
		out->interval_ns = 0;
		out->tolerance_ns = 0;
	}
}

static __always_inline struct hx_event *hx_event_start(struct hx_ctx *c, __u16 action, __u8 family)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 uid_gid = bpf_get_current_uid_gid();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct hx_scratch_rec *rec;
	struct hx_event *e;
	__u32 zero = 0;

	rec = bpf_map_lookup_elem(&hx_scratch, &zero);
	if (!rec)
		return NULL;
	hx_rate_of(c, &rec->rate);
	e = &rec->e;
	e->type = HX_EV_DECISION;
	e->action = action;
	e->family = family;
	e->mode = c->cfg.mode;
	e->access = 0;
	e->flags = 0;
	e->generation = c->generation;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgid = c->cgid;
	e->start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->sbx = c->sbx;
	e->err = 0;
	e->rule_id = HX_RULE_NONE;
	e->dev = 0;
	e->ino = 0;
	e->path_len = 0;
	e->exe_len = 0;
	e->target_pid = 0;
	e->nargs = 0;
	e->args_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/*
 * Copies the event to the ring; a full ring or the sandbox's rate limit
 * loses the event (counted), never the decision.
 */
static __always_inline void hx_event_submit(struct hx_event *e)
{
	__u64 size = offsetof(struct hx_event, path) + e->path_len;

	if (!hx_rate_admit(e->sbx, &((struct hx_scratch_rec *)e)->rate))
		return;
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&hx_events, e, size, 0))
		hx_count_drop(HX_DROP_RINGBUF);
}

#endif
