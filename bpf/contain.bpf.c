// SPDX-License-Identifier: GPL-2.0
/*
 * Containment: what every sandbox is refused by default, root included,
 * whatever its rule families say (docs/threat-model.md).
 *
 *   leaving the cgroup  clone3(CLONE_INTO_CGROUP) (writes to cgroupfs are
 *                       refused in file.bpf.c through lib/contain.bpf.h)
 *   the mount topology  mount, umount, pivot_root, move_mount here; the
 *                       mount API's other syscalls at their CAP_SYS_ADMIN
 *                       check (exec.bpf.c's capable program)
 *   kernel code         module loading and autoloading, kexec, firmware
 *   the agent's life    SIGIO/SIGURG aimed at it through F_SETOWN, its
 *                       nice value, I/O priority, scheduler, affinity,
 *                       memory placement and resource limits, leases on
 *                       the files it reads, fanotify permission marks
 *                       (which stall whoever opens the marked file)
 *
 * The policy's containment: section may give a sandbox mounts of named
 * filesystem types, in a mount namespace of its own only; nothing else
 * here can be relaxed.
 */
#include "lib/common.bpf.h"
#include "lib/path.bpf.h"
#include "lib/contain.bpf.h"

#define CLONE_INTO_CGROUP 0x200000000ULL

#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define HX_MS_PROPAGATION (MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)

#define F_SETLEASE 1024
#define F_UNLCK 2
#define LSM_PRLIMIT_WRITE 2
#define HX_NR_PRLIMIT64 302

/* fanotify permission events: FAN_OPEN_PERM, FAN_ACCESS_PERM, FAN_OPEN_EXEC_PERM */
#define HX_FAN_PERM_EVENTS 0x70000ULL

/*
 * Files whose owner (F_SETOWN, FIOSETOWN, SIOCSPGRP) a sandboxed process
 * set, with its sandbox: the signal is sent later, from whatever context
 * does the I/O (a softirq for a socket), so the setter is remembered.
 */
struct hx_fown_val {
	__u32 slot;
	__u32 sbx;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct hx_fown_val);
} hx_fown SEC(".maps");

/*
 * A refusal for the calling task's sandbox (0 when it has none), with the
 * object it was about (a mount point, a file) or none: a global function,
 * so the sandbox lookup and the path walk are verified once for every hook
 * that uses it (each inlined copy costs seconds of load time under
 * emulation). Returns 0 or -EPERM (as a scalar: see hx_ct_obj).
 */
__noinline int hx_ct_obj_g(__u32 action, __u32 bi, __u64 d_, __u64 mnt_, __u32 target)
{
	struct dentry *d = (struct dentry *)d_;
	struct vfsmount *mnt = (struct vfsmount *)mnt_;
	struct hx_event *e;
	struct hx_ctx c = {};
	__u8 decision;

	if (!hx_current_sandbox(&c))
		return 0;
	decision = hx_wall_decision(&c.cfg);
	hx_count(&c, HX_FAM_GUARD, decision);
	if (c.cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(&c, (__u16)action, HX_FAM_GUARD);
		if (e) {
			e->decision = decision;
			e->flags |= HX_EVF_FORBIDDEN;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			e->rule_id = HX_RULE_BUILTIN | bi;
			e->target_pid = target;
			if (d)
				hx_event_object(e, d, mnt);
			hx_event_submit(e);
		}
	}
	return decision == HX_DECISION_DENY ? -EPERM : 0;
}

#define hx_ct_obj(action, bi, d, mnt, target)                                                      \
	(hx_ct_obj_g((action), (bi), (__u64)(unsigned long)(d), (__u64)(unsigned long)(mnt),       \
		     (target)) ?                                                                   \
		 -EPERM :                                                                          \
		 0)

/* Compares a kernel string with the literal @lit (at most 8 bytes with its NUL). */
static __always_inline int hx_name_is(const char *buf, const char *lit, int n)
{
	int i;

#pragma unroll
	for (i = 0; i < 8; i++) {
		if (i >= n)
			break;
		if (buf[i] != lit[i])
			return 0;
	}
	return 1;
}

/* The HX_MNT_* bit of a filesystem type name (a kernel string), 0 for any other. */
static __always_inline __u16 hx_mnt_type(const char *name)
{
	char t[8] = {};

	if (!name || bpf_probe_read_kernel_str(t, sizeof(t), name) <= 0)
		return 0;
	if (hx_name_is(t, "tmpfs", 6))
		return HX_MNT_TMPFS;
	if (hx_name_is(t, "proc", 5))
		return HX_MNT_PROC;
	if (hx_name_is(t, "sysfs", 6))
		return HX_MNT_SYSFS;
	if (hx_name_is(t, "mqueue", 7))
		return HX_MNT_MQUEUE;
	if (hx_name_is(t, "devpts", 7))
		return HX_MNT_DEVPTS;
	if (hx_name_is(t, "ramfs", 6))
		return HX_MNT_RAMFS;
	if (hx_name_is(t, "overlay", 8))
		return HX_MNT_OVERLAY;
	return 0;
}

static __always_inline __u16 hx_mnt_type_of(struct vfsmount *mnt)
{
	return hx_mnt_type(BPF_CORE_READ(mnt, mnt_sb, s_type, name));
}

/* May the sandbox change mounts at all here: relaxed, and not in the host's namespace. */
static __always_inline int hx_may_mount(struct hx_ctx *c)
{
	return c->cfg.mount_types && hx_own_mntns();
}

/* ---- leaving the cgroup ---- */

SEC("lsm/task_alloc")
int BPF_PROG(hx_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	if (ret)
		return ret;
	if (!((__u64)clone_flags & CLONE_INTO_CGROUP))
		return 0;
	return hx_ct_obj(HX_ACT_CLONE, HX_BI_CGROUP_ESCAPE, NULL, NULL, 0);
}

/* ---- the mount topology ---- */

SEC("lsm/sb_mount")
int BPF_PROG(hx_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	struct hx_ctx c = {};
	__u16 t;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c))
		return 0;
	if (hx_may_mount(&c) && !(flags & (MS_REMOUNT | MS_MOVE))) {
		if (flags & MS_BIND) {
			if (c.cfg.mount_types & HX_MNT_BIND)
				return 0;
		} else if (flags & HX_MS_PROPAGATION) {
			return 0; /* in its own namespace: what its mounts share, with whom */
		} else {
			t = hx_mnt_type(type);
			if (t && (c.cfg.mount_types & t))
				return 0;
		}
	}
	return hx_ct_obj(HX_ACT_MOUNT, HX_BI_MOUNT, BPF_CORE_READ(path, dentry),
			 BPF_CORE_READ(path, mnt), 0);
}

SEC("lsm/sb_umount")
int BPF_PROG(hx_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	struct hx_ctx c = {};
	__u16 t;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c))
		return 0;
	if (hx_may_mount(&c)) {
		t = hx_mnt_type_of(mnt);
		if (t && (c.cfg.mount_types & t))
			return 0;
	}
	return hx_ct_obj(HX_ACT_UMOUNT, HX_BI_MOUNT, BPF_CORE_READ(mnt, mnt_root), hx_scalar(mnt),
			 0);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(hx_sb_pivotroot, const struct path *old_path, const struct path *new_path, int ret)
{
	struct hx_ctx c = {};

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c) || hx_may_mount(&c))
		return 0;
	return hx_ct_obj(HX_ACT_PIVOT_ROOT, HX_BI_MOUNT, BPF_CORE_READ(new_path, dentry),
			 BPF_CORE_READ(new_path, mnt), 0);
}

SEC("lsm/move_mount")
int BPF_PROG(hx_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	struct hx_ctx c = {};
	__u16 t;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c))
		return 0;
	if (hx_may_mount(&c)) {
		t = hx_mnt_type_of(BPF_CORE_READ(from_path, mnt));
		if (t && (c.cfg.mount_types & t))
			return 0;
	}
	return hx_ct_obj(HX_ACT_MOVE_MOUNT, HX_BI_MOUNT, BPF_CORE_READ(to_path, dentry),
			 BPF_CORE_READ(to_path, mnt), 0);
}

/* ---- kernel code ---- */

static __always_inline __u32 hx_load_rule(int module, int kexec)
{
	return module ? HX_BI_KERNEL_MODULES : kexec ? HX_BI_KEXEC : HX_BI_KERNEL_LOAD;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(hx_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents,
	     int ret)
{
	int module, kexec;

	if (ret)
		return ret;
	module = id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE);
	kexec = id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) ||
		id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS);
	return hx_ct_obj(HX_ACT_KERNEL_READ, hx_load_rule(module, kexec),
			 file ? BPF_CORE_READ(file, f_path.dentry) : NULL,
			 file ? BPF_CORE_READ(file, f_path.mnt) : NULL, 0);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(hx_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	int module, kexec;

	if (ret)
		return ret;
	module = id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE);
	kexec = id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE) ||
		id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_INITRAMFS);
	return hx_ct_obj(HX_ACT_KERNEL_LOAD, hx_load_rule(module, kexec), NULL, NULL, 0);
}

/* A socket family, filesystem or binary format the kernel would load a module for. */
SEC("lsm/kernel_module_request")
int BPF_PROG(hx_module_request, char *kmod_name, int ret)
{
	if (ret)
		return ret;
	return hx_ct_obj(HX_ACT_MODULE_REQUEST, HX_BI_KERNEL_MODULES, NULL, NULL, 0);
}

/* ---- the agent's life ---- */

/*
 * The agent's nice value, I/O priority, scheduling, affinity and memory
 * placement. The refusals go through hx_ct_obj_g, which finds the caller's
 * sandbox: verified once for every program here, not once per program.
 */
static __always_inline int hx_sched_guard(struct task_struct *p, __u16 action)
{
	__u32 agent = hx_agent_tgid();

	if (!agent || BPF_CORE_READ(p, tgid) != agent)
		return 0;
	return hx_ct_obj(action, HX_BI_SCHED, NULL, NULL, agent);
}

SEC("lsm/task_setnice")
int BPF_PROG(hx_task_setnice, struct task_struct *p, int nice, int ret)
{
	if (ret)
		return ret;
	return hx_sched_guard(p, HX_ACT_SETNICE);
}

SEC("lsm/task_setioprio")
int BPF_PROG(hx_task_setioprio, struct task_struct *p, int ioprio, int ret)
{
	if (ret)
		return ret;
	return hx_sched_guard(p, HX_ACT_SETIOPRIO);
}

/* sched_setscheduler, sched_setparam, sched_setattr and sched_setaffinity */
SEC("lsm/task_setscheduler")
int BPF_PROG(hx_task_setscheduler, struct task_struct *p, int ret)
{
	if (ret)
		return ret;
	return hx_sched_guard(p, HX_ACT_SETSCHED);
}

/* migrate_pages, move_pages */
SEC("lsm/task_movememory")
int BPF_PROG(hx_task_movememory, struct task_struct *p, int ret)
{
	if (ret)
		return ret;
	return hx_sched_guard(p, HX_ACT_MOVEMEM);
}

/*
 * prlimit64 on another process: the hook names the target by credentials
 * only. It is the agent when they are the agent's (recorded by guard.bpf.c),
 * or when a caller in the initial PID namespace named the agent's pid.
 */
SEC("lsm/task_prlimit")
int BPF_PROG(hx_task_prlimit, const struct cred *cred, const struct cred *tcred, unsigned int flags,
	     int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pt_regs *regs;
	__u32 zero = 0, one = 1, agent;
	__u64 *a0, *a1, tc = (__u64)tcred;
	int hit;

	if (ret)
		return ret;
	if (!(flags & LSM_PRLIMIT_WRITE))
		return 0; /* reading limits changes nothing */
	agent = hx_agent_tgid();
	if (!agent)
		return 0;
	a0 = bpf_map_lookup_elem(&hx_acred, &zero);
	a1 = bpf_map_lookup_elem(&hx_acred, &one);
	hit = (a0 && *a0 && *a0 == tc) || (a1 && *a1 && *a1 == tc);
	if (!hit && BPF_CORE_READ(task, thread_pid, level) == 0) {
		regs = hx_user_regs();
		hit = regs && BPF_CORE_READ(regs, orig_ax) == HX_NR_PRLIMIT64 &&
		      (__u32)BPF_CORE_READ(regs, di) == agent;
	}
	if (!hit)
		return 0;
	return hx_ct_obj(HX_ACT_PRLIMIT, HX_BI_PRLIMIT, NULL, NULL, agent);
}

/* struct file before 6.12, when the fown_struct was embedded in it */
struct file___fown_embedded {
	struct fown_struct f_owner;
} __attribute__((preserve_access_index));

/* The file a fown_struct belongs to: embedded in it before 6.12, pointed to since. */
static __always_inline __u64 hx_fown_file(struct fown_struct *fown)
{
	if (bpf_core_field_exists(fown->file))
		return (__u64)BPF_CORE_READ(fown, file);
	return (__u64)((void *)fown - bpf_core_field_offset(struct file___fown_embedded, f_owner));
}

SEC("lsm/file_set_fowner")
int BPF_PROG(hx_file_set_fowner, struct file *file)
{
	struct hx_fown_val v = {};
	struct hx_ctx c = {};
	__u64 key = (__u64)file;

	if (!hx_current_sandbox(&c)) {
		bpf_map_delete_elem(&hx_fown, &key);
		return 0;
	}
	v.slot = c.slot;
	v.sbx = c.sbx;
	bpf_map_update_elem(&hx_fown, &key, &v, BPF_ANY);
	return 0;
}

SEC("lsm/file_send_sigiotask")
int BPF_PROG(hx_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown, int sig,
	     int ret)
{
	struct hx_fown_val *v;
	struct hx_sbx_key sk = {};
	struct hx_sbx_cfg *cfg;
	struct hx_live *live;
	struct hx_ctx c = {};
	__u32 agent = hx_agent_tgid(), zero = 0;
	__u64 key;

	if (ret)
		return ret;
	if (!agent || BPF_CORE_READ(tsk, tgid) != agent)
		return 0;
	if (hx_current_sandbox(&c))
		return hx_bi_deny(&c, HX_ACT_SIGIO, HX_BI_SIGIO, agent, 0);
	/* Sent from elsewhere (a softirq, another process's I/O): who set the owner? */
	key = hx_fown_file(fown);
	v = bpf_map_lookup_elem(&hx_fown, &key);
	if (!v)
		return 0;
	c.slot = v->slot & 1;
	c.sbx = v->sbx;
	live = bpf_map_lookup_elem(&hx_live, &zero);
	c.generation = live ? live->generation : 0;
	sk.slot = c.slot;
	sk.sbx = c.sbx;
	cfg = bpf_map_lookup_elem(&hx_sbx, &sk);
	if (cfg)
		c.cfg = *cfg;
	hx_mutant(&c.cfg);
	return hx_bi_deny(&c, HX_ACT_SIGIO, HX_BI_SIGIO, agent, 0);
}

/* A guard rule (the agent's own files) on @d or its directory, for the sandbox in @c. */
static __always_inline int hx_guarded(struct hx_ctx *c, struct dentry *d)
{
	struct hx_inode_key key = { .slot = c->slot, .sbx = (__u16)c->sbx, .family = HX_FAM_FILE };
	struct hx_inode_rule *r;

	if (!d)
		return 0;
	key.dev = hx_dev_of(d);
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	r = bpf_map_lookup_elem(&hx_inode, &key);
	if (r && (r->flags & HX_RULE_CONTINUE) && (r->deny & HX_ACC_W))
		return 1;
	d = BPF_CORE_READ(d, d_parent);
	if (!d)
		return 0;
	key.dev = hx_dev_of(d);
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	r = bpf_map_lookup_elem(&hx_inode, &key);
	return r && (r->flags & HX_RULE_CONTINUE) && (r->deny & HX_ACC_W);
}

/* A lease on a file the agent reads would hold its open for lease-break-time. */
SEC("lsm/file_fcntl")
int BPF_PROG(hx_file_fcntl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct hx_ctx c = {};
	struct dentry *d;

	if (ret)
		return ret;
	if (cmd != F_SETLEASE || arg == F_UNLCK)
		return 0;
	if (!hx_current_sandbox(&c))
		return 0;
	d = BPF_CORE_READ(file, f_path.dentry);
	if (!hx_guarded(&c, d))
		return 0;
	return hx_ct_obj(HX_ACT_LEASE, HX_BI_LEASE, d, BPF_CORE_READ(file, f_path.mnt), 0);
}

/* A fanotify permission mark makes every opener on the host wait for the sandbox's answer. */
SEC("lsm/path_notify")
int BPF_PROG(hx_path_notify, const struct path *path, __u64 mask, unsigned int obj_type, int ret)
{
	if (ret)
		return ret;
	if (!(mask & HX_FAN_PERM_EVENTS))
		return 0;
	return hx_ct_obj(HX_ACT_FANOTIFY, HX_BI_FANOTIFY, BPF_CORE_READ(path, dentry),
			 BPF_CORE_READ(path, mnt), 0);
}

/* ---- the host's terminals, the kernel's events ---- */

#define TIOCSTI 0x5412
#define TIOCLINUX 0x541c

/* Typing into a terminal: what a sandbox types into the operator's shell runs outside. */
static __always_inline int hx_ioctl(struct file *file, unsigned int cmd)
{
	if (cmd != TIOCSTI && cmd != TIOCLINUX)
		return 0;
	return hx_ct_obj(HX_ACT_IOCTL, HX_BI_TTY_INJECT, BPF_CORE_READ(file, f_path.dentry),
			 BPF_CORE_READ(file, f_path.mnt), 0);
}

SEC("lsm/file_ioctl")
int BPF_PROG(hx_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return hx_ioctl(file, cmd);
}

/* 32-bit programs' ioctls, since 6.8 (before, they reached file_ioctl) */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(hx_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return hx_ioctl(file, cmd);
}

/* security_perf_event_open's type (enum perf_event_... PERF_SECURITY_*) */
#define HX_PERF_SECURITY_OPEN 0

/*
 * perf_event_open beyond counting one's own user-space work: system-wide
 * (per CPU), kernel events and tracepoints watch the whole kernel. (Probe
 * PMUs need CAP_PERFMON or CAP_SYS_ADMIN, which the baseline refuses.)
 */
static __always_inline int hx_perf(int type)
{
	if (type == HX_PERF_SECURITY_OPEN)
		return 0;
	return hx_ct_obj(HX_ACT_PERF, HX_BI_PERF, NULL, NULL, 0);
}

SEC("lsm/perf_event_open")
int BPF_PROG(hx_perf_event_open, struct perf_event_attr *attr, int type, int ret)
{
	if (ret)
		return ret;
	return hx_perf(type);
}

/* Newer kernels pass the type alone (the loader picks by BTF). */
SEC("lsm/perf_event_open")
int BPF_PROG(hx_perf_event_open1, int type, int ret)
{
	if (ret)
		return ret;
	return hx_perf(type);
}

char LICENSE[] SEC("license") = "GPL";
