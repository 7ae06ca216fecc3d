// SPDX-License-Identifier: GPL-2.0
/* Exec family: which binaries a sandbox may run. */
#include "lib/common.bpf.h"
#include "lib/path.bpf.h"

static __always_inline void hx_fill_exe(struct hx_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	if (!exe)
		return;
	hx_path_names(e, 1, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt));
}

/*
 * Called for the binary and again for each interpreter stage (#! scripts,
 * binfmt_misc), so a script is judged both as itself and as its interpreter.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(hx_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct hx_inode_rule rule = {};
	struct hx_event *e;
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
		decision = 0;
	else if (c.cfg.mode == HX_MODE_AUDIT)
		decision = 2;
	else
		decision = 1;
	hx_count(&c, HX_FAM_EXEC, decision);

	/* Allowed execs are logged after the exec, with their arguments. */
	if (decision && (c.cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(&c, HX_ACT_EXEC, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->flags |= flags;
			e->rule_id = rule_id;
			e->err = decision == 1 ? -EPERM : 0;
			if (d) {
				e->dev = hx_dev_of(d);
				e->ino = BPF_CORE_READ(d, d_inode, i_ino);
				hx_path_names(e, 0, d, mnt);
			}
			hx_fill_exe(e);
			hx_event_submit(e);
		}
	}
	return decision == 1 ? -EPERM : 0;
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
	decision = c.cfg.mode == HX_MODE_AUDIT ? 2 : 1;
	hx_count(&c, HX_FAM_EXEC, decision);
	if (c.cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(&c, (__u16)action, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->access = HX_ACC_X;
			e->rule_id = rule.rule_id;
			e->err = decision == 1 ? -EPERM : 0;
			e->dev = hx_dev_of(d);
			e->ino = BPF_CORE_READ(d, d_inode, i_ino);
			hx_path_names(e, 0, d, mnt);
			hx_fill_exe(e);
			hx_event_submit(e);
		}
	}
	return decision == 1 ? -EPERM : 0;
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
	return hx_exec_map_check(f, HX_ACT_MMAP_EXEC) ? -EPERM : 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(hx_exec_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	return hx_exec_map_check((__u64)(unsigned long)BPF_CORE_READ(vma, vm_file),
				 HX_ACT_MPROTECT_EXEC) ? -EPERM : 0;
}

/*
 * capabilities.drop: refused to the sandbox's processes even when they run
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
	__u8 decision;

	if (ret)
		return ret;
	if (cap < 0 || cap > 63 || !hx_current_sandbox(&c) || !(c.cfg.flags & HX_SBX_CAPS))
		return 0;
	if (!(c.cfg.cap_deny & (1ull << cap)))
		return 0;
	decision = c.cfg.mode == HX_MODE_AUDIT ? 2 : 1;
	hx_count(&c, HX_FAM_EXEC, decision);
	if (!(opts & CAP_OPT_NOAUDIT) && (c.cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(&c, HX_ACT_CAPABLE, HX_FAM_EXEC);
		if (e) {
			e->decision = decision;
			e->err = decision == 1 ? -EPERM : 0;
			e->target_pid = (__u32)cap; /* the capability, reported as such */
			e->flags |= HX_EVF_FORBIDDEN;
			hx_fill_exe(e);
			hx_event_submit(e);
		}
	}
	return decision == 1 ? -EPERM : 0;
}

/*
 * After the exec, before the new program's first instruction: its argv is
 * now the kernel's copy in the new mm, which nothing can change any more.
 * blocked_commands match argv[0]'s basename and the leading arguments; a
 * match is killed (the exec already succeeded, so no errno can be given).
 * Allowed commands are logged here, with their arguments.
 */
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
	__u8 decision = 0;
	char ch;

	if (!hx_current_sandbox(&c))
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
		decision = c.cfg.mode == HX_MODE_AUDIT ? 2 : 1;
		if (decision == 1)
			bpf_send_signal(SIGKILL);
		hx_count(&c, HX_FAM_EXEC, decision);
		if (!(c.cfg.flags & HX_SBX_AUDIT_DENIED))
			return 0;
		e->rule_id = hit->rule_id;
		e->flags |= decision == 1 ? HX_EVF_KILLED : 0;
	} else if (!(c.cfg.flags & HX_SBX_AUDIT_EXEC_OK)) {
		return 0;
	} else {
		e->action = HX_ACT_EXEC;
	}
	e->decision = decision;
	{
		struct file *f = BPF_CORE_READ(p, mm, exe_file);

		if (f) {
			struct dentry *d = BPF_CORE_READ(f, f_path.dentry);

			e->dev = hx_dev_of(d);
			e->ino = BPF_CORE_READ(d, d_inode, i_ino);
			hx_path_names(e, 0, d, BPF_CORE_READ(f, f_path.mnt));
		}
	}
	hx_fill_exe(e);
	hx_event_submit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
