// SPDX-License-Identifier: GPL-2.0
/* Exec family: which binaries a sandbox may run. */
#include "lib/common.bpf.h"
#include "lib/path.bpf.h"
#include "lib/contain.bpf.h"

/*
 * One exec in flight of a sandboxed thread, keyed by its thread id: the
 * context bprm_check decided in, so the events after the exec tell the
 * generation that judged it. Taken at sched_process_exec; left behind by a
 * failed exec until the thread's next one (bprm tells them apart) or the
 * LRU drops it, which only costs an event its generation (then the live one).
 */
struct hx_exec_st {
	__u64 bprm; /* the exec the fields below belong to */
	__u64 cgid;
	__u32 generation;
	__u32 slot;
	__u32 sbx;
	__u32 decided;
	struct hx_sbx_cfg cfg;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct hx_exec_st);
} hx_execs SEC(".maps");

/* Words of the caller's argv read into a refusal's event (at most HX_ARGS_BUF bytes). */
#define HX_ARGV_MAX 32
#define HX_NR_EXECVE 59 /* x86-64 */
#define HX_NR_EXECVEAT 322

static __always_inline void hx_exec_forget(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&hx_execs, &tid);
}

/* Remembers which policy judged this exec, for the events after it. */
static __always_inline void hx_exec_note(struct hx_ctx *c, struct linux_binprm *bprm)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hx_exec_st *st, init = {};

	st = bpf_map_lookup_elem(&hx_execs, &tid);
	if (!st) {
		bpf_map_update_elem(&hx_execs, &tid, &init, BPF_ANY);
		st = bpf_map_lookup_elem(&hx_execs, &tid);
		if (!st)
			return;
	}
	st->bprm = (__u64)bprm;
	st->cgid = c->cgid;
	st->generation = c->generation;
	st->slot = c->slot;
	st->sbx = c->sbx;
	st->cfg = c->cfg;
	st->decided = 1;
}

/*
 * The argv of a refused exec, read from the caller's memory: the mm is
 * still the caller's until the point of no return, so the user pointers
 * the syscall was given are valid. Another thread of the caller
 * could change the strings meanwhile; the decision never depends on them.
 */
static __always_inline void hx_caller_args(struct hx_event *e)
{
	struct pt_regs *regs = hx_user_regs();
	const char *arg;
	__u64 argv, nr;
	__u32 i, off;
	long n;

	if (!regs)
		return;
	/* a 32-bit call (other numbers) or an exec started by the kernel: no argv to offer */
	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr == HX_NR_EXECVE)
		argv = BPF_CORE_READ(regs, si);
	else if (nr == HX_NR_EXECVEAT)
		argv = BPF_CORE_READ(regs, dx);
	else
		return;
	for (i = 0; i < HX_ARGV_MAX; i++) {
		/* the offset lives in the event (map memory): one state per turn, not per path */
		asm volatile("" ::: "memory");
		off = e->args_len;
		if (off >= HX_ARGS_BUF - 1)
			break;
		off &= HX_ARGS_BUF - 1;
		arg = NULL;
		if (bpf_probe_read_user(&arg, sizeof(arg), (void *)(argv + i * sizeof(arg))) ||
		    !arg)
			break;
		n = bpf_probe_read_user_str(e->args + off, HX_ARGS_BUF - off, arg);
		if (n <= 0)
			break;
		e->args_len = off + (__u32)n;
		e->nargs++;
	}
	if (e->args_len > HX_ARGS_BUF - 1)
		e->args_len = HX_ARGS_BUF - 1; /* the last word cut short */
}

static __always_inline void hx_fill_exe(struct hx_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	if (!exe)
		return;
	hx_path_names(e, 1, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt));
}

/*
 * The end of an exec decision (bprm_check, bprm_creds_from_file): counted;
 * a refusal (or what audit mode would have refused) is logged with the
 * file, the caller's exe and argv when the sandbox logs denials; a refused
 * exec forgets its hx_execs note. @target: the event's target_pid field.
 */
static __always_inline int hx_exec_decided(struct hx_ctx *c, __u16 action, __u8 decision,
					   __u32 flags, __u32 rule_id, __u32 target,
					   struct dentry *d, struct vfsmount *mnt)
{
	struct hx_event *e;

	hx_count(c, HX_FAM_EXEC, decision);
	if (decision != HX_DECISION_ALLOW && (c->cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(c, action, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->flags |= flags;
			e->rule_id = rule_id;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			e->target_pid = target;
			if (d)
				hx_event_object(e, d, mnt);
			hx_fill_exe(e);
			hx_caller_args(e);
			hx_event_submit(e);
		}
	}
	if (decision == HX_DECISION_DENY)
		hx_exec_forget();
	return hx_verdict(decision == HX_DECISION_DENY);
}

/*
 * Called for the binary and again for each interpreter stage (#! scripts,
 * binfmt_misc), so a script is judged both as itself and as its interpreter.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(hx_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct hx_inode_rule rule = {};
	struct hx_ctx c = {};
	struct dentry *d;
	struct vfsmount *mnt;
	__u32 flags = 0, rule_id = HX_RULE_NONE;
	__u8 decision;
	int deny = 0, walk;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c))
		return 0;
	hx_exec_note(&c, bprm);
	if (!(c.cfg.flags & HX_SBX_EXEC_PRESENT))
		return 0;

	d = BPF_CORE_READ(bprm, file, f_path.dentry);
	mnt = BPF_CORE_READ(bprm, file, f_path.mnt);
	if (c.cfg.flags & HX_SBX_EXEC_FORBIDDEN) {
		deny = 1;
		flags |= HX_EVF_FORBIDDEN;
	} else if (d && hx_fileless(d)) {
		/* memfd, O_TMPFILE, a deleted file: no name any rule could have named. */
		deny = 1;
		flags |= HX_EVF_FILELESS;
	} else if (!d || !mnt) {
		/* Nothing to judge: refuse rather than guess. */
		hx_count_drop(HX_DROP_NO_FILE);
		deny = 1;
	} else {
		walk = hx_walk_rules(&c, HX_FAM_EXEC, d, mnt, HX_ACC_X, &rule);
		if (walk == HX_WALK_HIT) {
			rule_id = rule.rule_id;
			deny = (rule.deny & HX_ACC_X) || !(rule.allow & HX_ACC_X);
		} else if (walk == HX_WALK_DEEP) {
			hx_count_drop(HX_DROP_WALK_DEPTH);
			deny = 1;
			flags |= HX_EVF_NO_RULE;
		} else {
			deny = !!(c.cfg.flags & HX_SBX_EXEC_DEFAULT_DENY);
			flags |= HX_EVF_NO_RULE;
		}
	}

	if (!deny)
		decision = HX_DECISION_ALLOW;
	else if (c.cfg.mode == HX_MODE_AUDIT)
		decision = HX_DECISION_AUDIT;
	else
		decision = HX_DECISION_DENY;
	/* Allowed execs are logged after the exec, with their arguments. */
	return hx_exec_decided(&c, HX_ACT_EXEC, decision, flags, rule_id, 0, d, mnt);
}

/*
 * A PROT_EXEC mapping of a file the exec rules block: `ld.so /usr/bin/blocked`
 * maps it without an exec. Only explicit blocks apply here, never the
 * default: shared libraries are mapped the same way.
 */
__noinline int hx_exec_map_check(__u64 file_, __u32 action)
{
	struct file *file = (struct file *)file_;
	struct hx_inode_rule rule = {};
	struct hx_event *e;
	struct hx_ctx c = {};
	struct dentry *d;
	struct vfsmount *mnt;
	__u8 decision;

	if (!file || hx_is_own_image(file) || !hx_current_sandbox(&c) ||
	    !(c.cfg.flags & HX_SBX_EXEC_PRESENT))
		return 0;
	d = BPF_CORE_READ(file, f_path.dentry);
	mnt = BPF_CORE_READ(file, f_path.mnt);
	if (!d || !mnt)
		return 0;
	if (hx_walk_rules(&c, HX_FAM_EXEC, d, mnt, HX_ACC_X, &rule) != HX_WALK_HIT ||
	    !(rule.deny & HX_ACC_X))
		return 0;
	decision = hx_mode_decision(&c.cfg);
	hx_count(&c, HX_FAM_EXEC, decision);
	if (c.cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(&c, (__u16)action, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->access = HX_ACC_X;
			e->rule_id = rule.rule_id;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			hx_event_object(e, d, mnt);
			hx_fill_exe(e);
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

#define PROT_EXEC 0x4

SEC("lsm/mmap_file")
int BPF_PROG(hx_exec_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long mflags, int ret)
{
	__u64 f = 0;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	/* a trusted pointer cannot be a global function's scalar argument: copy it */
	bpf_probe_read_kernel(&f, sizeof(f), &file);
	/* a global function's result is unbounded to the verifier: map it */
	return hx_verdict(hx_exec_map_check(f, HX_ACT_MMAP_EXEC));
}

SEC("lsm/file_mprotect")
int BPF_PROG(hx_exec_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	return hx_verdict(hx_exec_map_check((__u64)(unsigned long)BPF_CORE_READ(vma, vm_file),
					    HX_ACT_MPROTECT_EXEC));
}

/*
 * no_new_privileges: by now the kernel has applied the file's setuid and
 * setgid bits and file capabilities to bprm->cred. An exec that would leave
 * the caller with other user or group ids, or with a capability its
 * permitted set lacks, is refused: the kernel's own no_new_privs would strip
 * the gain instead, which a BPF program cannot do. Effective capabilities are
 * compared with the permitted set too, since a process may raise those itself.
 */
SEC("lsm/bprm_creds_from_file")
int BPF_PROG(hx_bprm_creds, struct linux_binprm *bprm, struct file *file, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *old = BPF_CORE_READ(task, cred);
	struct cred *new = BPF_CORE_READ(bprm, cred);
	__u64 old_p = 0, new_p = 0, new_e = 0;
	struct hx_ctx c = {};
	__u32 new_euid;
	__u8 decision;

	if (ret)
		return ret;
	if (!hx_current_sandbox(&c) || !(c.cfg.flags & HX_SBX_NNP))
		return 0;
	if (!old || !new) {
		/* nothing to compare: refuse rather than let a setuid exec through */
		hx_count_drop(HX_DROP_NO_FILE);
		return hx_verdict(c.cfg.mode != HX_MODE_AUDIT);
	}
	/* kernel_cap_t is 64 bits in every layout: u32 cap[2] before 6.3, u64 val since */
	BPF_CORE_READ_INTO(&old_p, old, cap_permitted);
	BPF_CORE_READ_INTO(&new_p, new, cap_permitted);
	BPF_CORE_READ_INTO(&new_e, new, cap_effective);
	new_euid = BPF_CORE_READ(new, euid.val);
	if (new_euid == BPF_CORE_READ(old, euid.val) &&
	    BPF_CORE_READ(new, egid.val) == BPF_CORE_READ(old, egid.val) && !(new_p & ~old_p) &&
	    !(new_e & ~old_p))
		return 0;

	decision = hx_mode_decision(&c.cfg);
	/* target_pid: the user id the exec would have run as */
	return hx_exec_decided(&c, HX_ACT_EXEC_CREDS, decision, 0, HX_RULE_NONE, new_euid,
			       BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
}

/*
 * capabilities.drop, and the containment baseline's capabilities
 * (lib/contain.bpf.h): refused to the sandbox's processes even when they run
 * as root. Checks marked "no audit" by the kernel (probes, not uses) are
 * refused silently, or they would flood the log.
 */
#define CAP_OPT_NOAUDIT 0x2
SEC("lsm/capable")
int BPF_PROG(hx_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct hx_event *e;
	struct hx_ctx c = {};
	__u16 action;
	__u32 bi;
	__u8 decision;

	if (ret)
		return ret;
	if (cap < 0 || cap > 63 || !hx_current_sandbox(&c))
		return 0;
	bi = hx_contain_cap(&c, ns, cap, &action);
	if (bi)
		return hx_bi_deny(&c, action, bi, (__u32)cap, opts & CAP_OPT_NOAUDIT);
	if (!(c.cfg.flags & HX_SBX_CAPS) || !(c.cfg.cap_deny & (1ull << cap)))
		return 0;
	decision = hx_mode_decision(&c.cfg);
	hx_count(&c, HX_FAM_EXEC, decision);
	if (!(opts & CAP_OPT_NOAUDIT) && (c.cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(&c, HX_ACT_CAPABLE, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			e->target_pid = (__u32)cap; /* the capability, reported as such */
			e->flags |= HX_EVF_FORBIDDEN;
			hx_fill_exe(e);
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

/*
 * After the exec, before the new program's first instruction: its argv is
 * now the kernel's copy in the new mm, which nothing can change any more.
 * blocked_commands match argv[0]'s basename and the leading arguments; a
 * match is killed (the exec already succeeded, so no errno can be given).
 * Allowed commands are logged here, with their arguments.
 */
/*
 * The context of the exec that just succeeded: the one bprm_check decided
 * in, unless a second reload since then may have refilled its slot (then
 * the live one). @old_pid is the thread id the exec started with.
 */
static __always_inline int hx_exec_ctx(struct hx_ctx *c, __u32 old_pid, struct linux_binprm *bprm)
{
	struct hx_exec_st *st = bpf_map_lookup_elem(&hx_execs, &old_pid);
	struct hx_live *live;
	__u32 zero = 0;
	int ok = 0;

	if (!st)
		return hx_current_sandbox(c);
	live = bpf_map_lookup_elem(&hx_live, &zero);
	if (st->decided && st->bprm == (__u64)bprm && live &&
	    live->generation - st->generation <= 1) {
		c->cgid = st->cgid;
		c->slot = st->slot & 1;
		c->generation = st->generation;
		c->sbx = st->sbx;
		c->cfg = st->cfg;
		ok = 1;
	}
	bpf_map_delete_elem(&hx_execs, &old_pid);
	return ok ? 1 : hx_current_sandbox(c);
}

#define SIGKILL 9
SEC("tp_btf/sched_process_exec")
int BPF_PROG(hx_exec_done, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct hx_cmd_key key = {};
	struct hx_cmd_val *hit = NULL;
	struct hx_event *e;
	struct hx_ctx c = {};
	unsigned long start, end;
	__u32 len, i;
	__u8 decision = HX_DECISION_ALLOW;
	char ch;

	if (!hx_exec_ctx(&c, (__u32)old_pid, bprm))
		return 0;
	if (!(c.cfg.flags & (HX_SBX_CMDS | HX_SBX_AUDIT_EXEC_OK)))
		return 0;
	e = hx_event_start(&c, HX_ACT_COMMAND, HX_FAM_EXEC);
	if (!e)
		return 0;
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	/* Exactly argv, never past it: the environment that follows may hold secrets. */
	if (len > HX_ARGS_BUF - 1)
		len = HX_ARGS_BUF - 1;
	asm volatile("" : "+r"(len));
	len &= HX_ARGS_BUF - 1;
	if (len && bpf_probe_read_user(e->args, len, (void *)start))
		len = 0;
	e->args_len = len;

	/*
	 * The running hash and the word count live in the event (map memory),
	 * so the verifier sees one imprecise state per byte, not one per path
	 * (see hx_path_names). e->dev and e->ino are set properly further down.
	 */
	key.slot = c.slot;
	key.sbx = (__u16)c.sbx;
	e->dev = HX_FNV_OFFSET;
	e->ino = 0;
	for (i = 0; i < HX_ARGS_BUF; i++) {
		asm volatile("" ::: "memory");
		if (i >= e->args_len || !(c.cfg.flags & HX_SBX_CMDS))
			break;
		ch = e->args[i];
		if (!ch)
			e->nargs++;
		if (e->ino >= HX_CMD_WORDS)
			continue; /* only the leading words can match */
		if (ch == '/' && e->ino == 0) {
			e->dev = HX_FNV_OFFSET; /* argv[0] counts by its basename */
			continue;
		}
		e->dev = (e->dev ^ (__u8)ch) * HX_FNV_PRIME;
		if (ch)
			continue;
		e->ino++;
		key.hash = e->dev;
		key.nwords = (__u8)e->ino;
		hit = bpf_map_lookup_elem(&hx_cmds, &key);
		if (hit)
			break;
	}
	if (!(c.cfg.flags & HX_SBX_CMDS)) {
		for (i = 0; i < HX_ARGS_BUF; i++) {
			if (i >= e->args_len)
				break;
			if (!e->args[i])
				e->nargs++;
		}
	}
	e->dev = 0;
	e->ino = 0;

	if (hit) {
		decision = hx_mode_decision(&c.cfg);
		if (decision == HX_DECISION_DENY)
			bpf_send_signal(SIGKILL);
		hx_count(&c, HX_FAM_EXEC, decision);
		if (!(c.cfg.flags & HX_SBX_AUDIT_DENIED))
			return 0;
		e->rule_id = hit->rule_id;
		e->flags |= decision == HX_DECISION_DENY ? HX_EVF_KILLED : 0;
	} else if (!(c.cfg.flags & HX_SBX_AUDIT_EXEC_OK) ||
		   !(c.cfg.flags & (HX_SBX_EXEC_PRESENT | HX_SBX_CMDS))) {
		/* command_execute only where the policy has exec rules and lists the event */
		return 0;
	} else {
		e->action = HX_ACT_EXEC;
	}
	e->decision = decision;
	{
		struct file *f = BPF_CORE_READ(p, mm, exe_file);

		if (f)
			hx_event_object(e, BPF_CORE_READ(f, f_path.dentry),
					BPF_CORE_READ(f, f_path.mnt));
	}
	hx_fill_exe(e);
	hx_event_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
