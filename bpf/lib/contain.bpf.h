/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The containment baseline and the guard's built-in rules: what no sandbox
 * may do, whatever its rule families say, unless its policy's containment:
 * section relaxes it (include/helixagent/abi.h HX_RELAX_*, HX_MNT_*).
 * Refusals are counted in the guard family and logged with rule_id
 * HX_RULE_BUILTIN | enum hx_builtin, which the audit stream names.
 */
#ifndef HX_CONTAIN_BPF_H
#define HX_CONTAIN_BPF_H

#include "common.bpf.h"

/* Superblock magic numbers (include/uapi/linux/magic.h) */
#define HX_PROC_MAGIC 0x9fa0
#define HX_SYSFS_MAGIC 0x62656572
#define HX_SECURITYFS_MAGIC 0x73636673
#define HX_DEBUGFS_MAGIC 0x64626720
#define HX_TRACEFS_MAGIC 0x74726163
#define HX_CONFIGFS_MAGIC 0x62656570
#define HX_EFIVARFS_MAGIC 0xde5e81e4
#define HX_BINFMTFS_MAGIC 0x42494e4d
#define HX_PSTOREFS_MAGIC 0x6165676c
#define HX_FUSECTL_MAGIC 0x65735543
#define HX_CGROUP_MAGIC 0x27e0eb
#define HX_CGROUP2_MAGIC 0x63677270

#define HX_S_IFMT 00170000
#define HX_S_IFBLK 0060000
#define HX_S_IFCHR 0020000

/*
 * The character devices every sandbox may open, as the container runtimes'
 * default device list: null, zero, full, random, urandom, kmsg, tty,
 * console, ptmx and the pseudo-terminals. Any other (a disk through SCSI
 * generic or NVMe, device-mapper and loop control, kvm, serial lines and
 * virtual consoles, ...) is a raw device.
 */
static __always_inline int hx_plain_chrdev(__u32 rdev)
{
	__u32 major = rdev >> 20, minor = rdev & 0xfffff;

	if (major == 1)
		return minor == 3 || minor == 5 || minor == 7 || minor == 8 || minor == 9 ||
		       minor == 11;
	if (major == 5)
		return minor <= 2;
	return major >= 136 && major <= 143;
}

/*
 * The agent's credentials (struct cred pointers, [0] cred, [1] real_cred),
 * seen on its own bpf() calls (guard.bpf.c): task_prlimit names its target
 * by credentials only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hx_acred SEC(".maps") __weak;

static __always_inline struct hx_guard *hx_guard_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&hx_guard, &zero);
}

static __always_inline __u32 hx_agent_tgid(void)
{
	struct hx_guard *g = hx_guard_get();

	return g ? g->agent_tgid : 0;
}

/*
 * 1 when the calling task's mount namespace is not the host's (the
 * agent's). Unknown (an agent that did not say): the host's.
 */
static __always_inline int hx_own_mntns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct hx_guard *g = hx_guard_get();
	__u32 inum = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

	return g && g->host_mntns && inum && inum != g->host_mntns;
}

/* 1 when the calling task uses the host's network namespace (or it is unknown). */
static __always_inline int hx_host_netns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct hx_guard *g = hx_guard_get();
	__u32 inum = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);

	return !g || !g->host_netns || inum == g->host_netns;
}

/* 1 when the calling task uses the host's UTS namespace (or it is unknown). */
static __always_inline int hx_host_utsns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct hx_guard *g = hx_guard_get();
	__u32 inum = BPF_CORE_READ(task, nsproxy, uts_ns, ns.inum);

	return !g || !g->host_utsns || inum == g->host_utsns;
}

/*
 * A refusal of the guard or the baseline, for the sandbox in @c: counted in
 * the guard family, logged with @rule_id (HX_RULE_NONE: the audit stream
 * names it guard.<action>) unless @quiet, a check the kernel marks as a
 * probe. A refusal in every mode (hx_wall_decision).
 */
static __always_inline int hx_guard_refuse(struct hx_ctx *c, __u16 action, __u32 rule_id,
					   __u32 target, int quiet)
{
	struct hx_event *e;
	__u8 decision = hx_wall_decision(&c->cfg);

	hx_count(c, HX_FAM_GUARD, decision);
	if (!quiet && (c->cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(c, action, HX_FAM_GUARD);
		if (e) {
			e->decision = decision;
			e->flags |= HX_EVF_FORBIDDEN;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			e->rule_id = rule_id;
			e->target_pid = target;
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

/* A refusal by built-in rule @bi (enum hx_builtin). */
#define hx_bi_deny(c, action, bi, target, quiet)                                                   \
	hx_guard_refuse((c), (action), HX_RULE_BUILTIN | (bi), (target), (quiet))

/*
 * The task behind a /proc/PID (or /proc/PID/task/TID) inode, NULL for
 * every other procfs inode (/proc/sys, /proc/sysrq-trigger, ...).
 */
static __always_inline struct task_struct *hx_proc_task(struct inode *inode, int *is_pid)
{
	struct proc_inode *pi =
		(struct proc_inode *)((void *)inode -
				      bpf_core_field_offset(struct proc_inode, vfs_inode));
	struct hlist_node *first;
	struct pid *pid;

	pid = BPF_CORE_READ(pi, pid);
	*is_pid = pid != NULL;
	if (!pid)
		return NULL;
	first = BPF_CORE_READ(pid, tasks[0].first); /* PIDTYPE_PID */
	if (!first)
		return NULL;
	return (struct task_struct *)((void *)first -
				      bpf_core_field_offset(struct task_struct, pid_links));
}

/*
 * The baseline's part of a filesystem access (@need: HX_ACC_*) to @d by the
 * sandbox in @c: 0 when it has none, else the built-in rule that refuses it.
 * Writes to kernel state (sysfs, procfs outside /proc/PID, securityfs,
 * debugfs, tracefs, configfs, efivarfs, binfmt_misc, pstore, fusectl) and to
 * cgroupfs (every mount, v1 included); /proc/PID of a process outside the
 * sandbox (oom_score_adj, attr, ...); block devices, opened for writing in
 * every sandbox and at all where the filesystem family is present; character
 * devices other than the plain ones (hx_plain_chrdev). For a
 * creation @d is the parent directory, so making files there is refused too.
 */
static __always_inline __u32 hx_contain_fs(struct hx_ctx *c, struct dentry *d, __u8 need)
{
	struct inode *inode;
	unsigned long magic;
	__u32 mode;

	if (!d)
		return 0;
	inode = BPF_CORE_READ(d, d_inode);
	if (!inode)
		return 0;
	magic = BPF_CORE_READ(d, d_sb, s_magic);
	if (need & HX_ACC_W) {
		if (magic == HX_CGROUP2_MAGIC || magic == HX_CGROUP_MAGIC)
			return HX_BI_CGROUPFS;
		if (magic == HX_SYSFS_MAGIC || magic == HX_SECURITYFS_MAGIC ||
		    magic == HX_DEBUGFS_MAGIC || magic == HX_TRACEFS_MAGIC ||
		    magic == HX_CONFIGFS_MAGIC || magic == HX_EFIVARFS_MAGIC ||
		    magic == HX_BINFMTFS_MAGIC || magic == HX_PSTOREFS_MAGIC ||
		    magic == HX_FUSECTL_MAGIC)
			return (c->cfg.relax & HX_RELAX_KERNEL_TUNABLES) ? 0 :
									   HX_BI_KERNEL_TUNABLES;
		if (magic == HX_PROC_MAGIC) {
			struct hx_ctx t = {};
			struct task_struct *task;
			int is_pid = 0;

			task = hx_proc_task(inode, &is_pid);
			if (!is_pid)
				return (c->cfg.relax & HX_RELAX_KERNEL_TUNABLES) ?
					       0 :
					       HX_BI_KERNEL_TUNABLES;
			/* Its own processes are its business; any other one is not. */
			if (task && hx_task_sandbox(task, &t) && t.sbx == c->sbx)
				return 0;
			return HX_BI_PROC_PID;
		}
	}
	if (c->cfg.relax & HX_RELAX_RAW_DEVICES)
		return 0;
	mode = BPF_CORE_READ(inode, i_mode) & HX_S_IFMT;
	if (mode == HX_S_IFBLK && ((need & HX_ACC_W) || (c->cfg.flags & HX_SBX_FS_PRESENT)))
		return HX_BI_RAW_DEVICES;
	if (mode == HX_S_IFCHR && !hx_plain_chrdev(BPF_CORE_READ(inode, i_rdev)))
		return HX_BI_RAW_DEVICES;
	return 0;
}

/* Capabilities (linux/capability.h) */
#define HX_CAP_NET_ADMIN 12
#define HX_CAP_SYS_MODULE 16
#define HX_CAP_SYS_RAWIO 17
#define HX_CAP_SYS_ADMIN 21
#define HX_CAP_SYS_PACCT 20
#define HX_CAP_SYS_BOOT 22
#define HX_CAP_SYS_TIME 25
#define HX_CAP_SYS_TTY_CONFIG 26
#define HX_CAP_AUDIT_CONTROL 30
#define HX_CAP_MAC_ADMIN 33
#define HX_CAP_SYSLOG 34
#define HX_CAP_PERFMON 38

/* x86-64 syscall numbers whose CAP_SYS_ADMIN check the baseline answers */
#define HX_NR_SYSLOG 103
#define HX_NR_PERF_EVENT_OPEN 298
#define HX_NR_SWAPON 167
#define HX_NR_SWAPOFF 168
#define HX_NR_SETHOSTNAME 170
#define HX_NR_SETDOMAINNAME 171
#define HX_NR_QUOTACTL 179
#define HX_NR_QUOTACTL_FD 443
#define HX_NR_OPEN_TREE 428
#define HX_NR_MOVE_MOUNT 429
#define HX_NR_FSOPEN 430
#define HX_NR_FSCONFIG 431
#define HX_NR_FSMOUNT 432
#define HX_NR_FSPICK 433
#define HX_NR_MOUNT_SETATTR 442

static __always_inline long hx_syscall_nr(void)
{
	struct pt_regs *regs = hx_user_regs();

	return regs ? (long)BPF_CORE_READ(regs, orig_ax) : -1;
}

/*
 * The baseline's answer to a capability check of the sandbox in @c, asked
 * over user namespace @ns: 0 when it has none, else the built-in rule that
 * refuses it, with the action to report in *@action. Host-wide powers are
 * refused over the host's user namespace only (one a sandbox made is its
 * own); the mount API's syscalls have no LSM hook of their own, so their
 * CAP_SYS_ADMIN check is where they are refused, in any namespace.
 */
static __always_inline __u32 hx_contain_cap(struct hx_ctx *c, struct user_namespace *ns, int cap,
					    __u16 *action)
{
	int host = BPF_CORE_READ(ns, level) == 0;
	long nr;

	*action = HX_ACT_CAPABLE;
	switch (cap) {
	case HX_CAP_SYS_MODULE:
	case HX_CAP_SYS_BOOT:
	case HX_CAP_MAC_ADMIN:
	case HX_CAP_AUDIT_CONTROL:
	case HX_CAP_SYS_PACCT: /* acct(2): the host's process accounting */
	case HX_CAP_SYSLOG: /* clearing the kernel log, the console level */
	case HX_CAP_SYS_TTY_CONFIG: /* vhangup, the consoles' configuration */
	case HX_CAP_PERFMON: /* perf beyond an unprivileged user's: kprobes, kernel events */
		return host ? HX_BI_CAPABILITY : 0;
	case HX_CAP_SYS_RAWIO:
		return host && !(c->cfg.relax & HX_RELAX_RAW_DEVICES) ? HX_BI_CAPABILITY : 0;
	case HX_CAP_SYS_TIME:
		return host && !(c->cfg.relax & HX_RELAX_SYSTEM_TIME) ? HX_BI_CAPABILITY : 0;
	case HX_CAP_NET_ADMIN:
		/* Over the host's network namespace: netfilter, routes, addresses. */
		return host && hx_host_netns() && !(c->cfg.relax & HX_RELAX_NETWORK_ADMIN) ?
			       HX_BI_CAPABILITY :
			       0;
	case HX_CAP_SYS_ADMIN:
		nr = hx_syscall_nr();
		if (nr == HX_NR_OPEN_TREE || nr == HX_NR_MOVE_MOUNT || nr == HX_NR_FSOPEN ||
		    nr == HX_NR_FSCONFIG || nr == HX_NR_FSMOUNT || nr == HX_NR_FSPICK ||
		    nr == HX_NR_MOUNT_SETATTR) {
			*action = HX_ACT_MOUNT_API;
			return c->cfg.mount_types && hx_own_mntns() ? 0 : HX_BI_MOUNT;
		}
		/* syslog(2) and perf fall back to CAP_SYS_ADMIN where CAP_SYSLOG or
		 * CAP_PERFMON was refused */
		if (host && (nr == HX_NR_SYSLOG || nr == HX_NR_PERF_EVENT_OPEN)) {
			*action = HX_ACT_CAPABLE;
			return HX_BI_CAPABILITY;
		}
		if (host &&
		    (nr == HX_NR_SWAPON || nr == HX_NR_SWAPOFF || nr == HX_NR_QUOTACTL ||
		     nr == HX_NR_QUOTACTL_FD ||
		     ((nr == HX_NR_SETHOSTNAME || nr == HX_NR_SETDOMAINNAME) && hx_host_utsns()))) {
			*action = HX_ACT_SYSCALL;
			return HX_BI_HOST_SYSCALL;
		}
		return 0;
	}
	return 0;
}

#endif
