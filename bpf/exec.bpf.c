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

	if ((decision && (c.cfg.flags & HX_SBX_AUDIT_DENIED)) ||
	    (!decision && (c.cfg.flags & HX_SBX_AUDIT_EXEC_OK))) {
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

char LICENSE[] SEC("license") = "GPL";
