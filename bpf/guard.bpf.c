// SPDX-License-Identifier: GPL-2.0
/*
 * Self-protection: what no sandboxed process may do, whatever its policy
 * says and even as root. The agent's files are guarded by HX_RULE_CONTINUE
 * entries in hx_inode (see file.bpf.c); here: bpf(), signals to the agent,
 * and ptrace (which also guards /proc/PID/mem and friends) of any process
 * outside the tracer's own sandbox.
 */
#include "lib/common.bpf.h"

static __always_inline int hx_guard_deny(struct hx_ctx *c, __u16 action, __u32 target)
{
	struct hx_event *e;
	__u8 decision = c->cfg.mode == HX_MODE_AUDIT ? 2 : 1;

	hx_count(c, HX_FAM_GUARD, decision);
	if (c->cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(c, action, HX_FAM_GUARD);
		if (e) {
			e->decision = decision;
			e->flags |= HX_EVF_FORBIDDEN;
			e->err = decision == 1 ? -EPERM : 0;
			e->target_pid = target;
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == 1);
}

/* No BPF at all from a sandbox: no detaching, no map edits, no reading. */
static __always_inline int hx_bpf_check(int cmd)
{
	struct hx_ctx c = {};

	if (!hx_current_sandbox(&c))
		return 0;
	return hx_guard_deny(&c, HX_ACT_BPF, 0);
}

SEC("lsm/bpf")
int BPF_PROG(hx_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return ret;
	return hx_bpf_check(cmd);
}

/* 6.14 added a "kernel" argument; the loader keeps the one matching the kernel. */
SEC("lsm/bpf")
int BPF_PROG(hx_bpf4, int cmd, union bpf_attr *attr, unsigned int size, bool kernel, int ret)
{
	if (ret)
		return ret;
	if (kernel)
		return 0; /* the kernel's own use (light skeletons), not a process's */
	return hx_bpf_check(cmd);
}

static __always_inline __u32 hx_agent_tgid(void)
{
	__u32 zero = 0;
	struct hx_guard *g = bpf_map_lookup_elem(&hx_guard, &zero);

	return g ? g->agent_tgid : 0;
}

SEC("lsm/task_kill")
int BPF_PROG(hx_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	struct hx_ctx c = {};
	__u32 agent, tgid;

	if (ret)
		return ret;
	agent = hx_agent_tgid();
	tgid = BPF_CORE_READ(p, tgid);
	if (!agent || tgid != agent || sig == 0)
		return 0;
	if (!hx_current_sandbox(&c))
		return 0;
	return hx_guard_deny(&c, HX_ACT_KILL, tgid);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(hx_ptrace_check, struct task_struct *child, unsigned int mode, int ret)
{
	struct hx_ctx c = {}, t = {};
	__u32 tgid;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c))
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	/* Its own sandbox is fair game; the agent and everything else is not. */
	if (tgid != hx_agent_tgid() && hx_task_sandbox(child, &t) && t.sbx == c.sbx)
		return 0;
	return hx_guard_deny(&c, HX_ACT_PTRACE, tgid);
}

char LICENSE[] SEC("license") = "GPL";
