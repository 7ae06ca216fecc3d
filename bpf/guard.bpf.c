// SPDX-License-Identifier: GPL-2.0
/*
 * Self-protection: what no sandboxed process may do, whatever its policy
 * says and even as root. The agent's files are guarded by HX_RULE_CONTINUE
 * entries in hx_inode (see file.bpf.c); here: bpf(), signals to the agent,
 * and ptrace (which also guards /proc/PID/mem and friends) of any process
 * outside the tracer's own sandbox.
 */
#include "lib/common.bpf.h"
#include "lib/contain.bpf.h"

#define HX_PTRACE_MODE_READ 0x01
#define HX_PTRACE_MODE_NOAUDIT 0x04
/* How long a refused read-mode ptrace check keeps its capability override refused. */
#define HX_PTRACE_OVERRIDE_NS (200ULL * 1000 * 1000)

/*
 * Threads whose last read-mode ptrace check the guard refused, with when.
 * Since 7.x, mm_access() (/proc/PID/environ, maps, auxv, pagemap,
 * process_madvise) lets CAP_PERFMON or CAP_SYS_ADMIN override a refused
 * PTRACE_MODE_READ check: it asks capable() right after ptrace_may_access()
 * said no. hx_guard_capable refuses those two capabilities to a thread listed here,
 * so a sandbox's root cannot override the guard. (exec.bpf.c's hx_capable,
 * on the same hook, enforces capabilities.drop.)
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} hx_ptdeny SEC(".maps");

/*
 * The agent's own calls (it makes some every second) keep hx_acred current
 * for task_prlimit (contain.bpf.c).
 */
static __always_inline void hx_note_agent_cred(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 agent = hx_agent_tgid(), zero = 0, one = 1;
	__u64 v;

	if (!agent || (__u32)(bpf_get_current_pid_tgid() >> 32) != agent)
		return;
	v = (__u64)BPF_CORE_READ(task, cred);
	bpf_map_update_elem(&hx_acred, &zero, &v, BPF_ANY);
	v = (__u64)BPF_CORE_READ(task, real_cred);
	bpf_map_update_elem(&hx_acred, &one, &v, BPF_ANY);
}

/* No BPF at all from a sandbox: no detaching, no map edits, no reading. */
static __always_inline int hx_bpf_check(int cmd)
{
	struct hx_ctx c = {};

	if (!hx_current_sandbox(&c)) {
		hx_note_agent_cred();
		return 0;
	}
	return hx_guard_refuse(&c, HX_ACT_BPF, HX_RULE_NONE, 0, 0);
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
	return hx_guard_refuse(&c, HX_ACT_KILL, HX_RULE_NONE, tgid, 0);
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
	ret = hx_guard_refuse(&c, HX_ACT_PTRACE, HX_RULE_NONE, tgid, mode & HX_PTRACE_MODE_NOAUDIT);
	/* mm_access's checks are never probes (NOAUDIT); a probe, such as
	 * /proc/PID/stat's, which every ps makes, must not cost the thread
	 * its capabilities. */
	if (ret && (mode & (HX_PTRACE_MODE_READ | HX_PTRACE_MODE_NOAUDIT)) == HX_PTRACE_MODE_READ) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u64 now = bpf_ktime_get_ns();

		bpf_map_update_elem(&hx_ptdeny, &tid, &now, BPF_ANY);
	}
	return ret;
}

/*
 * The capability check that follows a refused read-mode ptrace check (see
 * hx_ptdeny). mm_access asks CAP_PERFMON, then CAP_SYS_ADMIN; the second
 * question ends the override, and an entry older than
 * HX_PTRACE_OVERRIDE_NS (the thread lacked CAP_SYS_ADMIN, so this hook was
 * never asked) is dropped.
 */
SEC("lsm/capable")
int BPF_PROG(hx_guard_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	__u32 tid;
	__u64 *at;

	if (ret)
		return ret;
	if (cap != HX_CAP_SYS_ADMIN && cap != HX_CAP_PERFMON)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	at = bpf_map_lookup_elem(&hx_ptdeny, &tid);
	if (!at)
		return 0;
	if (bpf_ktime_get_ns() - *at > HX_PTRACE_OVERRIDE_NS) {
		bpf_map_delete_elem(&hx_ptdeny, &tid);
		return 0;
	}
	if (cap == HX_CAP_SYS_ADMIN)
		bpf_map_delete_elem(&hx_ptdeny, &tid);
	return hx_verdict(1);
}

char LICENSE[] SEC("license") = "GPL";
